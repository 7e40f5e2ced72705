import { describe, expect, it } from 'vitest';
import { gpuOrSkip, gpuSuiteName, GPU_TIMEOUT } from './setup.js';
import type { GpuContext } from '../../src/backend/webgpu/device.js';
import { DenseCholeskyGpu, type DenseUpdateVariant } from '../../src/backend/webgpu/dense.js';
import { createStorage, readBuffer } from '../../src/backend/webgpu/buffers.js';
import { choleskyInPlace, NotPositiveDefiniteError } from '../../src/linalg/dense.js';

const gpu = await gpuOrSkip();

/** mulberry32 with Box–Muller normals: reproducible test matrices */
function normals(seed: number): () => number {
  let s = seed >>> 0;
  const u = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/**
 * D = (c / k) B Bᵀ + I with B m × k standard normal, k = min(m, 200), c = 10: SPD with eigenvalues
 * in [1, ~40] (like D = ΛᵀZᵀZΛ + I), rounded to f32 (what the GPU sees) and returned in float64.
 * The strict upper triangle holds the symmetric values too.
 */
function spd(m: number, seed: number): Float64Array {
  const k = Math.min(m, 200);
  const rnd = normals(seed);
  const B = new Float64Array(m * k);
  for (let i = 0; i < B.length; i++) B[i] = rnd();
  const D = new Float64Array(m * m);
  const c = 10 / k;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += B[i * k + t] * B[j * k + t];
      const v = Math.fround(c * s + (i === j ? 1 : 0));
      D[i * m + j] = v;
      D[j * m + i] = v;
    }
  }
  return D;
}

/** float64 reference: L (lower; upper zeroed) and log det */
function reference(D: Float64Array, m: number): { L: Float64Array; logdet: number } {
  const L = Float64Array.from(D);
  const logdet = choleskyInPlace(L, m);
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) L[i * m + j] = 0;
  return { L, logdet };
}

/** X = S L⁻ᵀ in float64 (row r solves L xᵀ = s_rᵀ) */
function rightSolveRef(L: Float64Array, m: number, S: Float64Array, rows: number): Float64Array {
  const X = Float64Array.from(S.subarray(0, rows * m));
  for (let r = 0; r < rows; r++) {
    const x = r * m;
    for (let j = 0; j < m; j++) {
      let s = X[x + j];
      for (let l = 0; l < j; l++) s -= L[j * m + l] * X[x + l];
      X[x + j] = s / L[j * m + j];
    }
  }
  return X;
}

const UPPER_SENTINEL = 7.5;

/** D as f32 for upload, with a sentinel in the strict upper triangle (which must stay untouched) */
function upload(D: Float64Array, m: number): Float32Array {
  const a = Float32Array.from(D);
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) a[i * m + j] = UPPER_SENTINEL;
  return a;
}

async function readMatrix(ctx: GpuContext, dense: DenseCholeskyGpu): Promise<Float32Array> {
  return new Float32Array(await readBuffer(ctx, dense.matrix, 0, dense.m * dense.m * 4));
}

interface Errors { maxL: number; maxAbsL: number; upperIntact: boolean }

function compareFactor(Lgpu: Float32Array, Lref: Float64Array, m: number): Errors {
  let maxL = 0;
  let maxAbsL = 0;
  let upperIntact = true;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      if (j > i) {
        if (Lgpu[i * m + j] !== UPPER_SENTINEL) upperIntact = false;
        continue;
      }
      maxL = Math.max(maxL, Math.abs(Lgpu[i * m + j] - Lref[i * m + j]));
      maxAbsL = Math.max(maxAbsL, Math.abs(Lref[i * m + j]));
    }
  }
  return { maxL, maxAbsL, upperIntact };
}

// Tolerances from f32 (unit roundoff u = 2^-24 ≈ 6e-8). Cholesky is backward stable: the computed
// factor is exact for D + ΔD with |ΔD| ≲ m·u·|L||Lᵀ| (worst case; rounding errors of the dot products
// of length ≤ m), and for these well-conditioned D (eigenvalues in [1, ~40]) the forward error of L
// is a small multiple of that; in practice errors grow like √m·u. So:
//   max |L_gpu − L_f64| ≤ 1e-4 · max |L|          (≈ 1700 u; observed errors are ~100× smaller)
//   |logdet_gpu − logdet_f64| ≤ 1e-5 · m          (δ log det = tr(D⁻¹ ΔD) ≤ Σ_i |ΔD_ii| / λ_min with
//                                                  λ_min ≥ 1: ~m terms each ~u·D_ii·(small factor))
//   max |X_gpu − X_f64| ≤ 1e-4 · max |X|          (the solve adds its own O(m·u) backward error on top
//                                                  of L's, and L⁻¹ is bounded since σ_min(L) ≥ 1)
const L_TOL = 1e-4;
const LOGDET_TOL_PER_M = 1e-5;
const X_TOL = 1e-4;
const MAX_ROWS = 40;

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'dense Cholesky and right solve (dense.wgsl)'), { timeout: GPU_TIMEOUT }, () => {
  const ctx = gpu as GpuContext;

  async function checkSize(m: number, seed: number, rows: number, update?: DenseUpdateVariant, label = ''): Promise<void> {
    const D = spd(m, seed);
    const ref = reference(D, m);
    const dense = await DenseCholeskyGpu.create(ctx, m, MAX_ROWS, update ? { update } : {});
    try {
      // warm (the first dispatch of each pipeline includes SwiftShader's JIT), then the median of `reps` runs
      const Df32 = upload(D, m);
      let res = await dense.factor(Df32);
      const reps = m >= 1000 ? 3 : 1;
      const times: number[] = [];
      for (let r = 0; r < reps; r++) {
        const t0 = performance.now();
        res = await dense.factor(Df32);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const tFactor = times[(reps - 1) >> 1];
      expect(res.failedPivot).toBe(-1);
      const Lgpu = await readMatrix(ctx, dense);
      const err = compareFactor(Lgpu, ref.L, m);
      const logdetErr = Math.abs(res.logdet - ref.logdet);
      expect(err.upperIntact).toBe(true);
      expect(err.maxL).toBeLessThanOrEqual(L_TOL * err.maxAbsL);
      expect(logdetErr).toBeLessThanOrEqual(LOGDET_TOL_PER_M * m);

      // right solve of `rows` rows inside a MAX_ROWS-row buffer: the rows after `rows` stay as they were
      const rnd = normals(seed + 1);
      const S64 = new Float64Array(MAX_ROWS * m);
      for (let i = 0; i < S64.length; i++) S64[i] = Math.fround(rnd());
      const S = createStorage(ctx, Float32Array.from(S64), 'S');
      dense.rightSolve(dense.rhs, rows); // warm (on whatever is in rhs)
      await ctx.device.queue.onSubmittedWorkDone();
      const t1 = performance.now();
      dense.rightSolve(S, rows);
      await ctx.device.queue.onSubmittedWorkDone();
      const tSolve = performance.now() - t1;
      const out = new Float32Array(await readBuffer(ctx, S));
      S.destroy();
      const Xref = rightSolveRef(ref.L, m, S64, rows);
      let maxX = 0;
      let maxAbsX = 0;
      for (let i = 0; i < rows * m; i++) {
        maxX = Math.max(maxX, Math.abs(out[i] - Xref[i]));
        maxAbsX = Math.max(maxAbsX, Math.abs(Xref[i]));
      }
      let tailIntact = true;
      for (let i = rows * m; i < MAX_ROWS * m; i++) if (out[i] !== S64[i]) tailIntact = false;
      expect(maxX).toBeLessThanOrEqual(X_TOL * maxAbsX);
      expect(tailIntact).toBe(true);
      console.log(`[dense] m=${m}${label}, update '${dense.updateVariant}': ${dense.npanels} panels, ${dense.factorDispatches} + ${dense.solveDispatches} dispatches; ` +
        `factor ${tFactor.toFixed(1)} ms (upload + dispatch + readback${reps > 1 ? `; median of ${reps}, min ${times[0].toFixed(1)}` : ''}), right solve (${rows} rows) ${tSolve.toFixed(1)} ms; ` +
        `max|ΔL|/max|L| ${(err.maxL / err.maxAbsL).toExponential(2)}, |Δlogdet| ${logdetErr.toExponential(2)} ` +
        `(logdet ${ref.logdet.toFixed(4)}), max|ΔX|/max|X| ${(maxX / maxAbsX).toExponential(2)}`);
    } finally {
      dense.destroy();
    }
  }

  for (const update of ['direct', 'tiled'] as const) {
    for (const [m, rows] of [[1, 1], [7, 3], [32, 32], [33, 33], [100, 37], [257, 40]] as const) {
      it(`m = ${m}, update '${update}': L, log det and ${rows}-row right solve match float64`, async () => {
        await checkSize(m, 1000 + m, rows, update);
      });
    }
  }

  it('m = 1128 (InstEval-sized): matches float64, timed', async () => {
    const m = 1128;
    await checkSize(m, 4242, MAX_ROWS, undefined, ' (InstEval)'); // the adapter's default update kernel
    // the CPU reference for comparison
    const D = spd(m, 4242);
    const t0 = performance.now();
    choleskyInPlace(D, m);
    console.log(`[dense] m=${m}: float64 choleskyInPlace (JS) ${(performance.now() - t0).toFixed(1)} ms`);
  });

  it('reports the first non-positive pivot and its value', async () => {
    const m = 100;
    const dense = await DenseCholeskyGpu.create(ctx, m, 1);
    try {
      for (const k of [0, 45, 64, m - 1]) {
        // pivot k of D is (D_kk − Σ_{l<k} L_kl²) = L_kk²: lower D_kk by L_kk² + 0.5 to make it −0.5
        const D = spd(m, 7 + k);
        const { L } = reference(D, m);
        D[k * m + k] = Math.fround(D[k * m + k] - (L[k * m + k] ** 2 + 0.5));
        expect(() => choleskyInPlace(Float64Array.from(D), m)).toThrow(NotPositiveDefiniteError);
        expect(() => choleskyInPlace(Float64Array.from(D), m)).toThrow(`pivot ${k + 1} is`);
        const res = await dense.factor(upload(D, m));
        expect(res.failedPivot).toBe(k);
        expect(res.failedValue).toBeCloseTo(-0.5, 3);
        expect(res.logdet).toBeNaN();
      }
    } finally {
      dense.destroy();
    }
  });

  it('reuses one object: no state leaks between factorizations; GPU-buffer input and a caller encoder', async () => {
    const m = 100;
    const D1 = spd(m, 11);
    const D2 = spd(m, 12);
    const bad = spd(m, 13);
    bad[50 * m + 50] = -1;
    const fresh = await DenseCholeskyGpu.create(ctx, m, 4);
    const dense = await DenseCholeskyGpu.create(ctx, m, 4);
    try {
      const want2 = await fresh.factor(upload(D2, m));
      const L2 = await readMatrix(ctx, fresh);

      const r1 = await dense.factor(upload(D1, m));
      expect(r1.failedPivot).toBe(-1);
      expect(Math.abs(r1.logdet - reference(D1, m).logdet)).toBeLessThanOrEqual(LOGDET_TOL_PER_M * m);
      const rb = await dense.factor(upload(bad, m));
      expect(rb.failedPivot).toBeGreaterThanOrEqual(0);
      expect(rb.failedPivot).toBeLessThanOrEqual(50);
      // after a failure, the next factorization is clean and bitwise equal to a fresh object's
      const r2 = await dense.factor(upload(D2, m));
      expect(r2).toEqual(want2);
      expect(await readMatrix(ctx, dense)).toEqual(L2);

      // D2 from a GPU buffer, recorded after the caller's own command in the caller's encoder
      const input = createStorage(ctx, upload(D2, m), 'D2 input');
      const enc = ctx.device.createCommandEncoder({ label: 'caller' });
      enc.clearBuffer(dense.matrix); // the caller's earlier work; overwritten by the copy of `input`
      const r3 = await dense.factor(input, enc);
      expect(r3).toEqual(want2);
      expect(await readMatrix(ctx, dense)).toEqual(L2);
      expect(new Float32Array(await readBuffer(ctx, input))).toEqual(upload(D2, m)); // input untouched
      input.destroy();

      // factor + solve recorded into one encoder, S = dense.rhs (no copy in)
      const rows = 3;
      const rnd = normals(99);
      const S64 = new Float64Array(rows * m).map(() => Math.fround(rnd()));
      ctx.device.queue.writeBuffer(dense.rhs, 0, Float32Array.from(S64));
      const input1 = createStorage(ctx, upload(D1, m), 'D1 input');
      const enc2 = ctx.device.createCommandEncoder({ label: 'factor + solve' });
      dense.encodeFactor(enc2, input1);
      dense.encodeRightSolve(enc2, dense.rhs, rows);
      ctx.device.queue.submit([enc2.finish()]);
      const r4 = await dense.readResult();
      expect(r4).toEqual(r1);
      input1.destroy();
      const X = new Float32Array(await readBuffer(ctx, dense.rhs, 0, rows * m * 4));
      const Xref = rightSolveRef(reference(D1, m).L, m, S64, rows);
      const maxAbsX = Xref.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      for (let i = 0; i < rows * m; i++) expect(Math.abs(X[i] - Xref[i])).toBeLessThanOrEqual(X_TOL * maxAbsX);
      expect(new Float32Array(await readBuffer(ctx, dense.solution, 0, rows * m * 4))).toEqual(X);
    } finally {
      fresh.destroy();
      dense.destroy();
    }
  });

  it('rejects bad sizes', async () => {
    const dense = await DenseCholeskyGpu.create(ctx, 5, 2);
    try {
      await expect(dense.factor(new Float32Array(24))).rejects.toThrow(/expected 25 entries/);
      const small = createStorage(ctx, 16, 'small');
      expect(() => dense.rightSolve(small, 1)).toThrow(/needs 20/);
      expect(() => dense.rightSolve(small, 3)).toThrow(/0 \.\. 2/);
      small.destroy();
    } finally {
      dense.destroy();
    }
    await expect(DenseCholeskyGpu.create(ctx, 0, 1)).rejects.toThrow(/positive integer/);
  });
});
