/** The CLI's --backend webgpu and auto on a WebGPU adapter (SwiftShader in CI). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFit, type FitArgs } from '../../src/cli/fitCommand.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';

const gpu = await gpuOrSkip();
const sleepstudy = join(import.meta.dirname, '..', 'fixtures', 'data', 'sleepstudy.csv');
const FORMULA = 'Reaction ~ Days + (Days | Subject)';

async function run(args: FitArgs) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runFit(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t), stderrIsTTY: false });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'mixedgpu fit --backend'), { timeout: GPU_TIMEOUT }, () => {
  it('webgpu fits on the adapter and says which precision produced the numbers', async () => {
    const { code, stdout, stderr } = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', json: true, backend: 'webgpu' });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const j = JSON.parse(stdout);
    expect(j.backend).toBe('webgpu');
    expect(j.device).toContain(gpu!.adapterName);
    expect(j.precision).toBe('float32 (webgpu) polished in float64');
    expect(j.gpu_check.polishEvaluations).toBeGreaterThan(0);
    expect(j.remlcrit).toBeCloseTo(1743.6282719599, 6);
  });

  it('auto picks the adapter and notes it on stderr', async () => {
    const { code, stdout, stderr } = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', json: true, backend: 'auto' });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).backend).toBe('webgpu');
    expect(stderr).toMatch(/--backend auto used webgpu/);
  });

  it('the summary names the backend', async () => {
    const { code, stdout } = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', backend: 'webgpu' });
    expect(code).toBe(0);
    expect(stdout).toMatch(/Backend: webgpu \(WebGPU: .*\)/);
  });
});
