/**
 * A rowless model (the Gram matrix from a stream of record batches; an SQL engine's is the same
 * kind) on the WebGPU backend: the backend works from the reference's float64 A alone (no rows), so
 * the fit — f32 on the GPU, polished in float64 — meets lme4's references as the in-memory fits do
 * (test/gpu/lmer.test.ts's tolerances, less the fitted values, which stay with the rows), for a
 * single and a crossed grouping.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lmerStream } from '../../src/gram/stream/lmer.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { loadData, loadReference } from '../helpers/reference.js';
import { checkAgainstReference, loadTight } from '../helpers/parity.js';
import { tableToParquet } from '../helpers/parquetFile.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';

const gpu = await gpuOrSkip();

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'a streamed (rowless) lmer on the WebGPU backend'), { timeout: GPU_TIMEOUT }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mixedgpu-gpu-stream-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of ['sleepstudy_slopes_reml', 'penicillin_crossed_reml']) {
    it(name, async () => {
      const ref = loadReference(name);
      const path = join(dir, `${name}.parquet`);
      writeFileSync(path, new Uint8Array(tableToParquet(loadData(ref), 1000)));
      const src = await openBatchSource(path);
      try {
        const { fit } = await lmerStream(src, ref.formula, { REML: ref.reml, factors: ref.factors, batchSize: 1000, backend: 'webgpu' });
        expect(fit.backend.name).toBe('webgpu');
        expect(fit.backend.precision).toBe('float32 (webgpu) polished in float64');
        const crit = ref.reml ? ref.remlcrit! : ref.deviance!;
        expect(fit.objective).toBeLessThanOrEqual(crit + 1e-6);
        checkAgainstReference(fit, loadTight(name), false);
        const check = fit.gpuCheck!;
        expect(Math.abs(check.objectiveError) / Math.abs(check.float64AtGpuOptimum)).toBeLessThan(1e-5);
      } finally {
        await src.close();
      }
    });
  }
});
