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
import { FRAME_CHUNK, chunkRows, rowFloat64, rowJobs } from '../linalg/rowChunks.js';
import { type RowArrays, registerRowKernel, sharedFloat64 } from '../linalg/rowThreads.js';
import { crossProductsRange } from './crossProducts.js';

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

/*
 * The transform's three passes over the rows are row jobs (src/linalg/rowChunks.ts), on chunk c of
 * `A`: rows [c·m, (c + 1)·m), with tParams = [n, p, intercept, m, has offset, m of pass 1]: pass 1's
 * chunks are FRAME_CHUNK rows, the others' chunkRows of n and (p + 1)² (src/linalg/rowChunks.ts; the
 * stream engine's exact passes chunk the same way, src/gram/stream/exact.ts). Each is
 * self-contained (the row threads evaluate its text).
 */

/** Pass 1: Σ x_j over the chunk's rows of each non-intercept column j into tSums[c p + j]. */
export function columnSumsChunk(A: RowArrays, c: number): void {
  const P = A.tParams as Float64Array;
  const n = P[0], p = P[1], intercept = P[2], i0 = c * P[5], i1 = Math.min(n, i0 + P[5]);
  const X = A.X as Float64Array, out = A.tSums as Float64Array;
  for (let j = 0; j < p; j++) {
    if (j === intercept) continue;
    let s = 0;
    for (let i = j * n + i0, e = j * n + i1; i < e; i++) s += X[i];
    out[c * p + j] = s;
  }
}

/**
 * Pass 2: the chunk's rows of X_c (x_j − m_j; the intercept's and, without one, every column as it
 * is) and y − offset (into yc), and their cross-products [X_c y]ᵀ[X_c y] over the chunk (lower
 * triangle, from 0) into tCross at c (p + 1)².
 */
export function centreChunk(A: RowArrays, c: number): void {
  const P = A.tParams as Float64Array;
  const n = P[0], p = P[1], intercept = P[2], i0 = c * P[3], i1 = Math.min(n, i0 + P[3]);
  const X = A.X as Float64Array, Xc = A.Xc as Float64Array, means = A.tMeans as Float64Array;
  const y = A.y as Float64Array, yc = A.yc as Float64Array, offset = A.offset as Float64Array;
  for (let j = 0; j < p; j++) {
    const o = j * n;
    if (intercept < 0 || j === intercept) {
      for (let i = o + i0, e = o + i1; i < e; i++) Xc[i] = X[i];
      continue;
    }
    const m = means[j];
    for (let i = o + i0, e = o + i1; i < e; i++) Xc[i] = X[i] - m;
  }
  if (P[4] === 1) for (let i = i0; i < i1; i++) yc[i] = y[i] - offset[i];
  else for (let i = i0; i < i1; i++) yc[i] = y[i];
  const cols: Float64Array[] = [];
  for (let j = 0; j < p; j++) cols.push(Xc.subarray(j * n, j * n + n));
  cols.push(yc);
  const m1 = p + 1, out = A.tCross as Float64Array, o = c * m1 * m1;
  for (let e = 0; e < m1 * m1; e++) out[o + e] = 0;
  crossRange(cols, i0, i1, out, o);
}

/** Pass 3: yc −= X_c β₀ on the chunk's rows, column by column (β₀,j = 0 skipped). */
export function subtractFittedChunk(A: RowArrays, c: number): void {
  const P = A.tParams as Float64Array;
  const n = P[0], p = P[1], i0 = c * P[3], i1 = Math.min(n, i0 + P[3]);
  const Xc = A.Xc as Float64Array, yc = A.yc as Float64Array, beta0 = A.tBeta0 as Float64Array;
  for (let j = 0; j < p; j++) {
    const b = beta0[j];
    if (b === 0) continue;
    const o = j * n;
    for (let i = i0; i < i1; i++) yc[i] -= Xc[o + i] * b;
  }
}

/** crossProductsRange under a name of this module (the kernel's text names it; a test runner rewrites imported names) */
const crossRange = crossProductsRange;
const COLUMN_SUMS = registerRowKernel('fixedColumnSums', columnSumsChunk);
const CENTRE = registerRowKernel('fixedCentre', centreChunk, `const crossRange = ${crossProductsRange.toString()};`);
const SUBTRACT_FITTED = registerRowKernel('fixedSubtractFitted', subtractFittedChunk);

export function fixedTransform(frame: ModelFrame): FixedTransform {
  const { n, p } = frame;
  const intercept = frame.xnames.indexOf('(Intercept)');
  const m1 = p + 1;
  // rows per chunk: the chunks' (p + 1)² partial cross-products kept within bounds
  const rows = chunkRows(n, m1 * m1);
  const chunks = Math.max(1, Math.ceil(n / rows));
  const Xc = rowFloat64(n * p, n);
  const yc = rowFloat64(n);
  const sumChunks = Math.max(1, Math.ceil(n / FRAME_CHUNK));
  const tParams = sharedFloat64(6);
  tParams.set([n, p, intercept, rows, frame.offset ? 1 : 0, FRAME_CHUNK]);
  const result: FixedTransform = { Xc, yc, means: new Float64Array(p), intercept, beta0: new Float64Array(p) };
  // the frame's arrays as they are where they are shared (rowJobs runs the chunks here if one is not)
  const arrays: RowArrays = {
    X: frame.X, y: frame.y, offset: frame.offset ?? sharedFloat64(0), Xc, yc, tParams,
    tSums: sharedFloat64(intercept >= 0 ? sumChunks * p : 0), tMeans: sharedFloat64(p),
    tCross: sharedFloat64(chunks * m1 * m1), tBeta0: sharedFloat64(p),
  };
  const jobs = rowJobs(arrays, result);
  // the column means (each the chunks' sums added in chunk order)
  const means = arrays.tMeans as Float64Array;
  if (intercept >= 0) {
    jobs.run(COLUMN_SUMS, sumChunks);
    const sums = arrays.tSums as Float64Array;
    for (let j = 0; j < p; j++) {
      if (j === intercept) continue;
      let s = sums[j];
      for (let c = 1; c < sumChunks; c++) s += sums[c * p + j];
      means[j] = s / n;
    }
  }
  result.means.set(means);
  // X_c, y − offset and [X_c y]ᵀ[X_c y] in one pass over the rows
  jobs.run(CENTRE, chunks);
  // β₀ from the normal equations of the centred columns (well conditioned after centring)
  const beta0 = arrays.tBeta0 as Float64Array;
  if (p > 0) {
    const cross = arrays.tCross as Float64Array;
    const XtX = new Float64Array(p * p);
    // the chunks' lower triangles added in chunk order
    const C = cross.slice(0, m1 * m1);
    for (let c = 1; c < chunks; c++) {
      const o = c * m1 * m1;
      for (let a = 0; a < m1; a++) for (let b = 0; b <= a; b++) C[a * m1 + b] += cross[o + a * m1 + b];
    }
    for (let a = 0; a < p; a++) {
      for (let b = 0; b <= a; b++) XtX[a * p + b] = C[a * m1 + b];
      beta0[a] = C[p * m1 + a];
    }
    choleskyInPlace(XtX, p, 'the fixed-effects cross-product matrix X\'X');
    solveLower(XtX, p, beta0);
    solveLowerT(XtX, p, beta0);
    // y_c = y − offset − X_c β₀
    jobs.run(SUBTRACT_FITTED, chunks);
  }
  result.beta0.set(beta0);
  return result;
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
