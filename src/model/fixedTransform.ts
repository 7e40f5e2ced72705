/**
 * A reparametrization of the fixed effects that the profiled deviance does not see, applied before
 * the Gram matrix is formed (by either backend) to avoid cancellation in A_XX − Σ L_Xk L_Xkᵀ and r²:
 *
 *   X_c = X C        C unit upper triangular: each non-intercept column minus its mean times the
 *                    intercept column (so log|R_X| is unchanged: det C = 1)
 *   y_c = y − offset − X_c β₀   β₀ the float64 least-squares coefficients of y on X_c
 *                    (so r² is unchanged: β absorbs any shift along X)
 *
 * The fit of (X_c, y_c) gives β_c; the model's β = C (β_c + β₀) and Var(β) = C Var(β_c) Cᵀ. The
 * random effects, fitted values and the objective are the same as without the transform.
 */
import type { ModelFrame } from '../frame/modelFrame.js';
import { choleskyInPlace, solveLower, solveLowerT } from '../linalg/dense.js';
import { crossProducts } from './crossProducts.js';

export interface FixedTransform {
  /** X C, n × p column-major */
  Xc: Float64Array;
  /** y − offset − X_c β₀ */
  yc: Float64Array;
  /** column means subtracted (0 for the intercept and when X has none) */
  means: Float64Array;
  /** index of the intercept column, or −1 */
  intercept: number;
  /** β₀, the least-squares coefficients of y − offset on X_c */
  beta0: Float64Array;
}

export function fixedTransform(frame: ModelFrame): FixedTransform {
  const { n, p, X } = frame;
  const intercept = frame.xnames.indexOf('(Intercept)');
  const means = new Float64Array(p);
  // X_c written column by column: the intercept's and, without an intercept, every column as it is
  const Xc = new Float64Array(n * p);
  for (let j = 0; j < p; j++) {
    const col = X.subarray(j * n, j * n + n);
    if (intercept < 0 || j === intercept) {
      Xc.set(col, j * n);
      continue;
    }
    let m = 0;
    for (let i = 0; i < n; i++) m += col[i];
    m /= n;
    means[j] = m;
    const out = Xc.subarray(j * n, j * n + n);
    for (let i = 0; i < n; i++) out[i] = col[i] - m;
  }
  const offset = frame.offset;
  let y: Float64Array;
  if (offset) {
    y = new Float64Array(n);
    for (let i = 0; i < n; i++) y[i] = frame.y[i] - offset[i];
  } else {
    y = frame.y.slice();
  }
  // β₀ from the normal equations of the centred columns (well conditioned after centring):
  // [X_c y]ᵀ[X_c y] in one pass over the rows
  const beta0 = new Float64Array(p);
  if (p > 0) {
    const cols: Float64Array[] = [];
    for (let j = 0; j < p; j++) cols.push(Xc.subarray(j * n, j * n + n));
    cols.push(y);
    const C = crossProducts(cols, n);
    const XtX = new Float64Array(p * p);
    for (let a = 0; a < p; a++) {
      for (let b = 0; b <= a; b++) XtX[a * p + b] = C[a * (p + 1) + b];
      beta0[a] = C[p * (p + 1) + a];
    }
    choleskyInPlace(XtX, p, 'the fixed-effects cross-product matrix X\'X');
    solveLower(XtX, p, beta0);
    solveLowerT(XtX, p, beta0);
  }
  const yc = y;
  for (let j = 0; j < p; j++) {
    const b = beta0[j];
    if (b === 0) continue;
    const col = Xc.subarray(j * n, j * n + n);
    for (let i = 0; i < n; i++) yc[i] -= col[i] * b;
  }
  return { Xc, yc, means, intercept, beta0 };
}

/** β = C (β_c + β₀): the intercept absorbs the centring, −Σ_j mean_j β_j. */
export function mapBeta(t: FixedTransform, betaC: Float64Array): Float64Array {
  const beta = Float64Array.from(betaC, (b, j) => b + t.beta0[j]);
  if (t.intercept >= 0) {
    let shift = 0;
    for (let j = 0; j < beta.length; j++) shift += t.means[j] * beta[j];
    beta[t.intercept] -= shift;
  }
  return beta;
}

/** Var(β) = C Var(β_c) Cᵀ (p × p row-major). */
export function mapVcov(t: FixedTransform, vc: Float64Array): Float64Array {
  const p = t.means.length;
  if (t.intercept < 0) return vc;
  // C = I − e_int mᵀ (m: the means, 0 at the intercept): row int of C is e_intᵀ − mᵀ
  const k = t.intercept;
  const CV = Float64Array.from(vc);
  for (let s = 0; s < p; s++) {
    let acc = 0;
    for (let j = 0; j < p; j++) acc += t.means[j] * vc[j * p + s];
    CV[k * p + s] -= acc;
  }
  const out = Float64Array.from(CV);
  for (let r = 0; r < p; r++) {
    let acc = 0;
    for (let j = 0; j < p; j++) acc += CV[r * p + j] * t.means[j];
    out[r * p + k] -= acc;
  }
  return out;
}
