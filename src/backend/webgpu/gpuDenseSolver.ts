/**
 * The dense blocks of a crossed model on the GPU: the CPU's blocked Cholesky (float64) assembles each
 * dense block D_kk and the right-hand sides S of its solves, and this solver factors D_kk and solves
 * S ← S L_kk⁻ᵀ with shaders/dense.wgsl in f32, keeping L_kk on the GPU (DenseSolver in
 * src/linalg/blockedCholesky.ts). Uploads D and S, reads back the solved rows and the log-determinant.
 */
import type { DenseSolver } from '../../linalg/blockedCholesky.js';
import { NotPositiveDefiniteError } from '../../linalg/dense.js';
import type { GpuContext } from './device.js';
import { DenseCholeskyGpu } from './dense.js';
import { readBuffer, writeBuffer } from './buffers.js';

export class GpuDenseSolver implements DenseSolver {
  private readonly ctx: GpuContext;
  /** one factorization object per dense block index */
  private readonly kernels: Map<number, DenseCholeskyGpu>;

  private constructor(ctx: GpuContext, kernels: Map<number, DenseCholeskyGpu>) {
    this.ctx = ctx;
    this.kernels = kernels;
  }

  /** For dense blocks k of sizes m_k, each solving at most maxRows_k rows at once. */
  static async create(ctx: GpuContext, blocks: { k: number; m: number; maxRows: number }[]): Promise<GpuDenseSolver> {
    // the blocks' pipelines compiled concurrently
    const made = await Promise.allSettled(blocks.map((b) => DenseCholeskyGpu.create(ctx, b.m, Math.max(1, b.maxRows))));
    const failed = made.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      // the blocks made are released before the failure is passed on
      for (const r of made) if (r.status === 'fulfilled') r.value.destroy();
      throw failed.reason;
    }
    const kernels = made.map((r) => (r as PromiseFulfilledResult<DenseCholeskyGpu>).value);
    return new GpuDenseSolver(ctx, new Map(blocks.map((b, i) => [b.k, kernels[i]])));
  }

  async cholesky(k: number, D: Float64Array, m: number, what: string): Promise<number> {
    const dense = this.kernel(k, m);
    const res = await dense.factor(Float32Array.from(D));
    if (res.failedPivot >= 0) throw new NotPositiveDefiniteError(`${what} (on the GPU, f32)`, res.failedPivot, res.failedValue);
    return res.logdet;
  }

  async rightSolve(k: number, S: Float64Array, rows: number, _L: Float64Array, m: number): Promise<void> {
    const dense = this.kernel(k, m);
    // in pieces of at most maxRows rows
    for (let r0 = 0; r0 < rows; r0 += dense.maxRows) {
      const r = Math.min(dense.maxRows, rows - r0);
      writeBuffer(this.ctx, dense.rhs, Float32Array.from(S.subarray(r0 * m, (r0 + r) * m)));
      dense.rightSolve(dense.rhs, r);
      const out = new Float32Array(await readBuffer(this.ctx, dense.rhs, 0, r * m * 4));
      S.set(out, r0 * m);
    }
  }

  private kernel(k: number, m: number): DenseCholeskyGpu {
    const dense = this.kernels.get(k);
    if (!dense || dense.m !== m) throw new Error(`GpuDenseSolver: no dense kernel for block ${k} of size ${m}`);
    return dense;
  }

  destroy(): void {
    for (const d of this.kernels.values()) d.destroy();
  }
}
