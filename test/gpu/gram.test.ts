/**
 * The data pass (shaders/gram.wgsl) and the per-θ block (shaders/blockdiag.wgsl) against float64 on
 * the CPU: the per-group Gram matrices, with the upload in one piece and in forced chunks (identical
 * results), groups longer than one segment, and the objective's parts at fixed θ.
 */
import { describe, expect, it } from 'vitest';
import { generateLmmData } from '../../bench/synth.js';
import { buildLmm } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { CpuBackend } from '../../src/backend/cpu/cpuBackend.js';
import { buildGpuLayout, SEGMENT } from '../../src/backend/webgpu/upload.js';
import { formGramGpu, segmentChunks } from '../../src/backend/webgpu/gram.js';
import { readBuffer } from '../../src/backend/webgpu/buffers.js';
import { WebGpuBackend } from '../../src/backend/webgpu/webgpuBackend.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';

const gpu = await gpuOrSkip();

describe('segment chunks', () => {
  it('split whole segments within the byte limit', () => {
    const segStart = Uint32Array.from([0, 10, 20, 25, 40, 41]);
    expect(segmentChunks(segStart, 4, 80)).toEqual([[0, 2], [2, 4], [4, 5]]);
    expect(segmentChunks(segStart, 4, 1e9)).toEqual([[0, 5]]);
    expect(() => segmentChunks(segStart, 4, 40)).toThrow(/one segment of 15 rows/);
  });
});

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'GPU data pass and per-group block'), { timeout: GPU_TIMEOUT }, () => {
  // 40 groups, a few longer than one segment (uneven sizes: rows are assigned to groups at random)
  const { table } = generateLmmData({ n: 24_000, groups: 40, seed: 3 });
  const model = buildLmm('y ~ x + w + (x | g)', table, {});
  const layout = buildGpuLayout(model);

  it('per-group Gram matrices equal float64 sums (f32 accuracy), chunked or not', async () => {
    expect(Math.max(...Array.from({ length: layout.G }, (_, g) => layout.groupSeg[g + 1] - layout.groupSeg[g]))).toBeGreaterThan(1);
    const whole = await formGramGpu(gpu!, layout);
    const chunked = await formGramGpu(gpu!, layout, SEGMENT * layout.w * 4 * 7);
    expect(whole.chunks).toBe(1);
    expect(chunked.chunks).toBeGreaterThan(5);
    const a = new Float32Array(await readBuffer(gpu!, whole.gram, 0, layout.G * layout.E * 4));
    const b = new Float32Array(await readBuffer(gpu!, chunked.gram, 0, layout.G * layout.E * 4));
    expect(Array.from(b)).toEqual(Array.from(a));
    // float64 reference from the same f32 rows
    const { w, E } = layout;
    const ref = new Float64Array(layout.G * E);
    let maxRel = 0;
    for (let g = 0; g < layout.G; g++) {
      for (let s = layout.groupSeg[g]; s < layout.groupSeg[g + 1]; s++) {
        for (let r = layout.segStart[s]; r < layout.segStart[s + 1]; r++) {
          let e = 0;
          for (let i = 0; i < w; i++) for (let j = 0; j <= i; j++) ref[g * E + e++] += layout.rows[r * w + i] * layout.rows[r * w + j];
        }
      }
      for (let e = 0; e < E; e++) {
        // scale: the diagonal entries of the rows' Gram (Cauchy–Schwarz bound on |entry|)
        const i = Math.floor((Math.sqrt(8 * e + 1) - 1) / 2);
        const j = e - (i * (i + 1)) / 2;
        const scale = Math.sqrt(ref[g * E + (i * (i + 3)) / 2] * ref[g * E + (j * (j + 3)) / 2]) || 1;
        maxRel = Math.max(maxRel, Math.abs(a[g * E + e] - ref[g * E + e]) / scale);
      }
    }
    // f32 sums of ≤ 256 products per segment: a few × 256 × 2⁻²⁴ in the worst case
    expect(maxRel).toBeLessThan(256 * 6e-8);
    for (const buf of [...whole.buffers, ...chunked.buffers]) buf.destroy();
  });

  it('the objective parts at fixed θ agree with float64 to f32 accuracy', async () => {
    const backend = await WebGpuBackend.create(gpu!, model);
    const cpu = new CpuBackend(formGram(model), model.theta.length);
    for (const theta of [[1, 0, 1], [0.5, -0.2, 0.3], [2, 0.5, 0.01]]) {
      const t = Float64Array.from(theta);
      const g = await backend.evaluate(t);
      const c = cpu.evaluate(t);
      expect(Math.abs(g.ldL2 - c.ldL2) / Math.abs(c.ldL2)).toBeLessThan(1e-5);
      expect(Math.abs(g.pwrss - c.pwrss) / c.pwrss).toBeLessThan(1e-5);
      // log|R_X|² differs by a constant: centring X leaves it unchanged (unit triangular)
      expect(Math.abs(g.ldRX2 - c.ldRX2)).toBeLessThan(1e-3);
    }
    backend.dispose();
  });
});
