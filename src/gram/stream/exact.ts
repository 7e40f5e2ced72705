/**
 * The in-memory path's arithmetic, pass by pass (the stream engine's default): the fixed-effects
 * transform (src/model/fixedTransform.ts), lmer's centring of the random-effects columns
 * (src/model/reparam.ts), Σ log w (src/lmm/model.ts) and the response's total sum of squares
 * (src/lmm/assemble.ts) as plain float64 sums in input order, so that A is the one the in-memory
 * table gives, bit for bit, and so is the fit:
 *   pass a  column sums: Σ x_j, each centred block's Σ z_s, Σ y, Σ log w → means m_j = Σ x_j / n …
 *   pass b  Σ (x_a − m_a)(x_b − m_b) (b ≤ a), Σ (x_a − m_a) y', Σ (y − ȳ)² → β₀ by Cholesky.
 * The first pass's per-cell moments (./accumulate.ts) still give the levels and the rank check.
 */
import { choleskyInPlace, solveLower, solveLowerT } from '../../linalg/dense.js';
import type { GroupSpec } from '../assemble.js';
import type { FrameSummary } from '../moments.js';
import type { BatchFrame } from './evaluate.js';
import { designColumns } from './evaluate.js';

/** Pass a: plain sums of X's columns, the centred blocks' columns, y and log w, in input order. */
export class ColumnSums {
  n = 0;
  readonly x: Float64Array;
  readonly z: Float64Array[];
  y = 0;
  logW = 0;

  constructor(readonly summary: FrameSummary, readonly groups: GroupSpec[]) {
    this.x = new Float64Array(summary.p);
    this.z = groups.map((g) => new Float64Array(g.zcols.length));
  }

  add(frame: BatchFrame): void {
    const { ok, n } = frame;
    const column = designColumns(frame, this.summary);
    const xs = this.summary.xcols.map(column);
    const zs = this.groups.map((g) => (g.centre ? g.zcols.map(column) : []));
    for (let i = 0; i < n; i++) {
      if (!ok[i]) continue;
      this.n++;
      for (let j = 0; j < xs.length; j++) this.x[j] += xs[j][i];
      zs.forEach((cols, gi) => { for (let s = 0; s < cols.length; s++) this.z[gi][s] += cols[s][i]; });
      this.y += frame.y[i];
      if (frame.w) this.logW += Math.log(frame.w[i]);
    }
  }

  /** X's means (fixedTransform.ts: none without an intercept), the blocks' centring means, ȳ */
  means(): { x: Float64Array; z: (Float64Array | null)[]; y: number } {
    const { summary: S, n } = this;
    const x = new Float64Array(S.p);
    if (S.intercept >= 0) for (let j = 0; j < S.p; j++) if (j !== S.intercept) x[j] = this.x[j] / n;
    const z = this.groups.map((g, gi) => (g.centre ? Float64Array.from(this.z[gi], (v, s) => (s === 0 ? 0 : v / n)) : null));
    return { x, z, y: this.y / n };
  }
}

/** Pass b: the centred normal equations and the response's sum of squares about its mean. */
export class NormalEquations {
  readonly XtX: Float64Array;
  readonly Xty: Float64Array;
  ss = 0;

  constructor(readonly summary: FrameSummary, readonly xMeans: Float64Array, readonly yMean: number) {
    this.XtX = new Float64Array(summary.p * summary.p);
    this.Xty = new Float64Array(summary.p);
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
    for (let i = 0; i < n; i++) {
      if (!ok[i]) continue;
      for (let a = 0; a < p; a++) {
        const va = xc[a][i];
        for (let b = 0; b <= a; b++) this.XtX[a * p + b] += va * xc[b][i];
        this.Xty[a] += va * frame.yp[i];
      }
      const d = frame.y[i] - this.yMean;
      this.ss += d * d;
    }
  }

  /** β₀ from the normal equations (fixedTransform.ts) */
  beta0(): Float64Array {
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
