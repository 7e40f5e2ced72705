/**
 * The dense blocks of a crossed model on the GPU: the CPU's blocked Cholesky (float64) assembles each
 * dense block D_kk and the right-hand sides S of its solves, and this solver factors D_kk and solves
 * S ← S L_kk⁻ᵀ with shaders/dense.wgsl in f32, keeping L_kk on the GPU (DenseSolver in
 * src/linalg/blockedCholesky.ts). Uploads D and S, reads back the solved rows and the log-determinant.
 */
import type { DenseRhs, DenseSolver } from '../../linalg/blockedCholesky.js';
import { NotPositiveDefiniteError } from '../../linalg/dense.js';
import type { GpuContext } from './device.js';
import { DenseCholeskyGpu } from './dense.js';
import { readBuffer, readRanges, writeBuffer } from './buffers.js';

export class GpuDenseSolver implements DenseSolver {
  private readonly ctx: GpuContext;
  /** one factorization object per dense block index */
  private readonly kernels: Map<number, DenseCholeskyGpu>;
  /** time in the calls, summed (ms): converting to f32 and queueing the uploads and the work, and waiting for the results */
  readonly timings = { uploadMs: 0, waitMs: 0 };
  /**
   * the f32 copies uploaded, one per block and kind, kept from call to call (queue.writeBuffer copies
   * at the call): a fresh m² array each evaluation cost its first writes (16 ms at m = 1156 here, 1 ms
   * into a kept one)
   */
  private readonly staging = new Map<string, Float32Array>();

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
    const t0 = performance.now();
    // the call runs synchronously up to its readback's wait: the conversion, the upload and the work queued
    const pending = dense.factor(this.f32(`D${k}`, D, 0, m * m));
    const t1 = performance.now();
    const res = await pending;
    this.timings.uploadMs += t1 - t0;
    this.timings.waitMs += performance.now() - t1;
    if (res.failedPivot >= 0) throw new NotPositiveDefiniteError(`${what} (on the GPU, f32)`, res.failedPivot, res.failedValue);
    return res.logdet;
  }

  /**
   * Factors block k and solves every right-hand side in one submission and one readback (the status
   * words and the solved rows copied into one staging buffer): one round trip where `cholesky` and a
   * `rightSolve` per right-hand side take one each. The rows are solved independently, so each row's
   * values are those of the separate calls. Where the rows together exceed the block's maxRows, the
   * separate calls.
   */
  async factorAndSolve(k: number, D: Float64Array, m: number, what: string, rhs: readonly DenseRhs[]): Promise<number> {
    const dense = this.kernel(k, m);
    let rows = 0;
    for (const r of rhs) rows += r.rows;
    if (rows > dense.maxRows) {
      const ld = await this.cholesky(k, D, m, what);
      for (const r of rhs) await this.rightSolve(k, r.S, r.rows, D, m);
      return ld;
    }
    const t0 = performance.now();
    writeBuffer(this.ctx, dense.matrix, this.f32(`D${k}`, D, 0, m * m));
    if (rows > 0) {
      // the right-hand sides one after another in the kept f32 array
      const buf = this.stage(`S${k}`, rows * m);
      let at = 0;
      for (const r of rhs) {
        buf.set(r.S.subarray(0, r.rows * m), at);
        at += r.rows * m;
      }
      writeBuffer(this.ctx, dense.rhs, buf);
    }
    const encoder = this.ctx.device.createCommandEncoder({ label: 'dense factor and solve' });
    dense.encodeFactor(encoder);
    dense.encodeRightSolve(encoder, dense.rhs, rows);
    const pending = readRanges(this.ctx, [dense.statusRange(), { buffer: dense.rhs, size: rows * m * 4 }], encoder);
    const t1 = performance.now();
    const [words, solved] = await pending;
    this.timings.uploadMs += t1 - t0;
    this.timings.waitMs += performance.now() - t1;
    const res = dense.result(words);
    if (res.failedPivot >= 0) throw new NotPositiveDefiniteError(`${what} (on the GPU, f32)`, res.failedPivot, res.failedValue);
    const out = new Float32Array(solved);
    let at = 0;
    for (const r of rhs) {
      r.S.set(out.subarray(at, at + r.rows * m));
      at += r.rows * m;
    }
    return res.logdet;
  }

  async rightSolve(k: number, S: Float64Array, rows: number, _L: Float64Array, m: number): Promise<void> {
    const dense = this.kernel(k, m);
    // in pieces of at most maxRows rows
    for (let r0 = 0; r0 < rows; r0 += dense.maxRows) {
      const r = Math.min(dense.maxRows, rows - r0);
      const t0 = performance.now();
      writeBuffer(this.ctx, dense.rhs, this.f32(`S${k}`, S, r0 * m, (r0 + r) * m));
      dense.rightSolve(dense.rhs, r);
      const pending = readBuffer(this.ctx, dense.rhs, 0, r * m * 4);
      const t1 = performance.now();
      const out = new Float32Array(await pending);
      this.timings.uploadMs += t1 - t0;
      this.timings.waitMs += performance.now() - t1;
      S.set(out, r0 * m);
    }
  }

  /** x[from, to) in f32, in the kept array for `key` */
  private f32(key: string, x: Float64Array, from: number, to: number): Float32Array {
    const out = this.stage(key, to - from);
    out.set(x.subarray(from, to));
    return out;
  }

  /** The first n entries of the kept f32 array for `key` (grown when too small). */
  private stage(key: string, n: number): Float32Array {
    let buf = this.staging.get(key);
    if (!buf || buf.length < n) this.staging.set(key, (buf = new Float32Array(n)));
    return buf.length === n ? buf : buf.subarray(0, n);
  }

  /** Does this solver factor dense block k? */
  has(k: number): boolean {
    return this.kernels.has(k);
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
