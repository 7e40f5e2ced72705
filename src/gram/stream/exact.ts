/**
 * The in-memory path's arithmetic, pass by pass (the stream engine's default): the fixed-effects
 * transform (src/model/fixedTransform.ts), lmer's centring of the random-effects columns
 * (src/model/reparam.ts), Σ log w (src/lmm/model.ts) and the response's total sum of squares
 * (src/lmm/assemble.ts) as float64 sums in input order, chunked as the in-memory row jobs chunk
 * them (src/linalg/rowChunks.ts: each chunk of kept rows summed from 0, the chunks added in order),
 * so that A is the one the in-memory table gives, bit for bit, and so is the fit:
 *   pass a  column sums: Σ x_j, each centred block's Σ z_s, Σ y, Σ log w → means m_j = Σ x_j / n …
 *   pass b  Σ (x_a − m_a)(x_b − m_b) (b ≤ a), Σ (x_a − m_a) y', Σ (y − ȳ)² → β₀ by Cholesky.
 * The first pass's per-cell moments (./accumulate.ts) still give the levels and the rank check.
 */
import { choleskyInPlace, solveLower, solveLowerT } from '../../linalg/dense.js';
import type { GroupSpec } from '../assemble.js';
import type { FrameSummary } from '../moments.js';
import type { BatchFrame } from './evaluate.js';
import { designColumns } from './evaluate.js';
import { FRAME_CHUNK, chunkRows } from '../../linalg/rowChunks.js';

/** total += partial, partial = 0 (a chunk's sums folded into the totals, in chunk order) */
function fold(total: Float64Array, partial: Float64Array): void {
  for (let j = 0; j < total.length; j++) { total[j] += partial[j]; partial[j] = 0; }
}

/**
 * Pass a: sums of X's columns, the centred blocks' columns and log w per chunk of FRAME_CHUNK kept
 * rows (fixedTransform.ts, reparam.ts, src/lmm/model.ts), and the plain sum of y, in input order.
 */
export class ColumnSums {
  n = 0;
  readonly x: Float64Array;
  readonly z: Float64Array[];
  y = 0;
  logW = 0;
  /** the current chunk's sums */
  private plogW = 0;
  private readonly px: Float64Array;
  private readonly pz: Float64Array[];

  constructor(readonly summary: FrameSummary, readonly groups: GroupSpec[]) {
    this.x = new Float64Array(summary.p);
    this.z = groups.map((g) => new Float64Array(g.zcols.length));
    this.px = new Float64Array(summary.p);
    this.pz = groups.map((g) => new Float64Array(g.zcols.length));
  }

  add(frame: BatchFrame): void {
    const { ok, n } = frame;
    const column = designColumns(frame, this.summary);
    const xs = this.summary.xcols.map(column);
    const zs = this.groups.map((g) => (g.centre ? g.zcols.map(column) : []));
    for (let i = 0; i < n; i++) {
      if (!ok[i]) continue;
      for (let j = 0; j < xs.length; j++) this.px[j] += xs[j][i];
      zs.forEach((cols, gi) => { for (let s = 0; s < cols.length; s++) this.pz[gi][s] += cols[s][i]; });
      this.y += frame.y[i];
      if (frame.w) this.plogW += Math.log(frame.w[i]);
      if (++this.n % FRAME_CHUNK === 0) this.fold();
    }
  }

  private fold(): void {
    this.logW += this.plogW;
    this.plogW = 0;
    fold(this.x, this.px);
    this.z.forEach((z, gi) => fold(z, this.pz[gi]));
  }

  /** X's means (fixedTransform.ts: none without an intercept), the blocks' centring means, ȳ */
  means(): { x: Float64Array; z: (Float64Array | null)[]; y: number } {
    // the last (partial) chunk
    if (this.n % FRAME_CHUNK !== 0) this.fold();
    const { summary: S, n } = this;
    const x = new Float64Array(S.p);
    if (S.intercept >= 0) for (let j = 0; j < S.p; j++) if (j !== S.intercept) x[j] = this.x[j] / n;
    const z = this.groups.map((g, gi) => (g.centre ? Float64Array.from(this.z[gi], (v, s) => (s === 0 ? 0 : v / n)) : null));
    return { x, z, y: this.y / n };
  }
}

/**
 * Pass b: the centred normal equations per chunk of kept rows (fixedTransform.ts's chunks: chunkRows
 * of the frame's n and [X y]'s p + 1 columns), and the response's sum of squares about its mean.
 */
export class NormalEquations {
  readonly XtX: Float64Array;
  readonly Xty: Float64Array;
  ss = 0;
  /** kept rows so far */
  private rows = 0;
  private readonly chunk: number;
  private readonly pXtX: Float64Array;
  private readonly pXty: Float64Array;

  constructor(readonly summary: FrameSummary, readonly xMeans: Float64Array, readonly yMean: number) {
    this.XtX = new Float64Array(summary.p * summary.p);
    this.Xty = new Float64Array(summary.p);
    this.pXtX = new Float64Array(summary.p * summary.p);
    this.pXty = new Float64Array(summary.p);
    this.chunk = chunkRows(summary.n, (summary.p + 1) * (summary.p + 1));
  }

  add(frame: BatchFrame): void {
    const { ok, n } = frame;
    const p = this.summary.p;
    const column = designColumns(frame, this.summary);
    const xc = this.summary.xcols.map((col, j) => {
      const x = column(col);
      if (this.summary.intercept >= 0 && j !== this.summary.intercept) { const m = this.xMeans[j]; for (let i = 0; i < n; i++) x[i] -= m; }
      return x;
    });
    const XtX = this.pXtX, Xty = this.pXty;
    for (let i = 0; i < n; i++) {
      if (!ok[i]) continue;
      for (let a = 0; a < p; a++) {
        const va = xc[a][i];
        for (let b = 0; b <= a; b++) XtX[a * p + b] += va * xc[b][i];
        Xty[a] += va * frame.yp[i];
      }
      const d = frame.y[i] - this.yMean;
      this.ss += d * d;
      if (++this.rows % this.chunk === 0) this.fold();
    }
  }

  private fold(): void {
    fold(this.XtX, this.pXtX);
    fold(this.Xty, this.pXty);
  }

  /** β₀ from the normal equations (fixedTransform.ts) */
  beta0(): Float64Array {
    // the last (partial) chunk
    if (this.rows % this.chunk !== 0) this.fold();
    const p = this.summary.p;
    const beta0 = Float64Array.from(this.Xty);
    if (p > 0) {
      const A = Float64Array.from(this.XtX);
      choleskyInPlace(A, p, 'the fixed-effects cross-product matrix X\'X');
      solveLower(A, p, beta0);
      solveLowerT(A, p, beta0);
    }
    return beta0;
  }
}
