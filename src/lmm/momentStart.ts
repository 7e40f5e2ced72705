/**
 * Moment starting values of θ for a linear mixed model (issue 17: fewer evaluations on crossed
 * designs). lme4 starts every relative standard deviation at 1; where a factor's true one is far
 * from 1 (InstEval's dept:service: 0.09), BOBYQA spends dozens of evaluations walking there after
 * the other coordinates have converged and its trust region has shrunk.
 *
 * For the random intercepts (the intercept column of a block's first term, whose column of Z is all
 * ones) the level effects are first fitted as fixed effects, by backfitting on the least-squares
 * residuals e = y_c (src/model/fixedTransform.ts): each sweep replaces each factor's effects by the
 * level means of the residual with that factor's effects added back (Gauss–Seidel on the normal
 * equations of y_c ~ Σ_f Z_f b_f, the factors with fewest levels first; SWEEPS sweeps, a start value
 * need not be converged). Then, with
 * r the residual after the last sweep and J_f the levels of f that occur,
 *
 *   σ² = Σ r² / (N − p − Σ_f (J_f − 1))                     (the fixed-effects ANOVA's mean square error)
 *   σ_f² = max(0, Σ_j (b̂_fj − mean b̂_f)² / (J_f − 1) − σ² · mean_j(1 / n_fj))
 *                                                    (b̂_fj = b_fj + noise of variance σ²/n_fj)
 *   θ_f = σ_f / σ
 *
 * (Searle, Casella & McCulloch 1992, ch. 5: moment estimators from fitted constants.)
 *
 * A term with slopes, (x | g) (one term, intercept first, full q × q factor; Z_int centred by
 * src/model/reparam.ts), is backfitted as per-level regressions, b_j ← b_j + G_j⁻¹ Z_jᵀ r_j with
 * G_j = Z_jᵀ Z_j (levels whose G_j is singular, fewer rows than q or a constant covariate, keep
 * b_j = 0), and its relative covariance from Swamy's (1970) estimator over the J fitted levels:
 *
 *   Σ_f / σ² = S_b / σ² − mean_j G_j⁻¹,   S_b = Σ_j (b̂_j − b̄)(b̂_j − b̄)ᵀ / (J − 1)
 *                                       (b̂_j = b_j + noise of covariance σ² G_j⁻¹)
 *
 * its eigenvalues in the optimizer's units raised to at least MOMENT_MIN_SD² (a start off the
 * boundary, where the deviance is stationary in T), and θ_f its lower Cholesky factor. Each fitted level then takes q of the residual degrees of freedom (J_f q − q
 * in all). Other entries of θ keep lme4's start; too few residual degrees of freedom (under a tenth
 * of N) or no random intercept give none. The θ optimizer evaluates both starts and begins at the lower
 * (src/optim/thetaOptimizer.ts, `candidates`), so a poor estimate costs one evaluation.
 */
import type { LmmModel } from './model.js';
import { type GramMatrix, formedFrom } from '../linalg/gram.js';
import { semidefiniteCholesky } from '../linalg/dense.js';
import { symmetricEigen } from '../linalg/symmetricEigen.js';
import { FRAME_CHUNK, rowJobs } from '../linalg/rowChunks.js';
import { type RowArrays, registerRowKernel, sharedFloat64 } from '../linalg/rowThreads.js';

/**
 * BOBYQA's first initial radius (scaled θ) from a moment start when it is lower than lme4's: the
 * estimates are typically within a factor 1.5 of θ̂ (test/momentStart.test.ts), and the default 0.2
 * would move a small one (InstEval's 0.14) onto 0.2 or the bound for the first design.
 */
export const MOMENT_RHOBEG = 0.05;

/** Backfitting sweeps over the factors. */
const SWEEPS = 12;

/*
 * The passes over the rows that need no residual vector are row jobs (src/linalg/rowChunks.ts) on
 * chunks of FRAME_CHUNK rows, their partial results combined in chunk order (so any number of threads
 * gives the same start). mParams = [n, q, column, rows per chunk].
 */

/** Chunk c: mOnes[c] = 1 when column `column` of Z (n × q, row-major) is 1 on every row of the chunk, else 0. */
export function onesColumnChunk(A: RowArrays, c: number): void {
  const P = A.mParams as Float64Array;
  const n = P[0], q = P[1], col = P[2], i0 = c * P[3], i1 = Math.min(n, i0 + P[3]);
  const Z = A.Z as Float64Array;
  let ones = 1;
  for (let i = i0; i < i1; i++) if (Z[i * q + col] !== 1) { ones = 0; break; }
  (A.mOnes as Float64Array)[c] = ones;
}

/**
 * Chunk c of the residual sum of squares after one factor's fit from r = y_c: Σ (y_c,i − Z_i d_g(i))²
 * over the chunk's rows into mSse[c], with d the levels' effects (nl × q, row-major) for a term with
 * slopes (q = mParams[1] columns of Z), or Σ (y_c,i − d_g(i))² for a random intercept (mParams[2] = −1:
 * its column of Z is all ones).
 */
export function oneFactorResidualChunk(A: RowArrays, c: number): void {
  const P = A.mParams as Float64Array;
  const n = P[0], q = P[1], i0 = c * P[3], i1 = Math.min(n, i0 + P[3]);
  const y = A.yc as Float64Array, codes = A.codes as Int32Array, d = A.mD as Float64Array;
  let sse = 0;
  if (P[2] < 0) {
    for (let i = i0; i < i1; i++) { const r = y[i] - d[codes[i]]; sse += r * r; }
  } else {
    const Z = A.Z as Float64Array;
    for (let i = i0; i < i1; i++) {
      const o = codes[i] * q, zi = i * q;
      let v = 0;
      for (let s = 0; s < q; s++) v += Z[zi + s] * d[o + s];
      const r = y[i] - v;
      sse += r * r;
    }
  }
  (A.mSse as Float64Array)[c] = sse;
}

const ONES_COLUMN = registerRowKernel('momentOnesColumn', onesColumnChunk);
const ONE_FACTOR_RESIDUAL = registerRowKernel('momentOneFactorResidual', oneFactorResidualChunk);

/** The parameters of the moment start's row jobs over n rows of a block of q columns. */
function momentParams(n: number, q: number, col: number): Float64Array {
  const P = sharedFloat64(4);
  P.set([n, q, col, FRAME_CHUNK]);
  return P;
}

/** Whether column `col` of a block's Z (n × q) is all ones (a random intercept's), from a row job. */
function onesColumn(Z: Float64Array, n: number, q: number, col: number): boolean {
  const chunks = Math.max(1, Math.ceil(n / FRAME_CHUNK));
  const arrays: RowArrays = { Z, mParams: momentParams(n, q, col), mOnes: sharedFloat64(chunks) };
  rowJobs(arrays, arrays).run(ONES_COLUMN, chunks);
  const ones = arrays.mOnes as Float64Array;
  for (let c = 0; c < chunks; c++) if (ones[c] !== 1) return false;
  return true;
}

/** A random intercept: the level effects b (one per level). */
interface ScalarFactor { kind: 'scalar'; k: number; codes: Int32Array; nl: number; cnt: Float64Array; b: Float64Array; J: number }

/** A term with slopes: q effects per level (b, nl × q), G_j⁻¹ per fitted level (ginv, nl × q × q; null rows for the others). */
interface VectorFactor {
  kind: 'vector'; q: number; index: Int32Array; codes: Int32Array; Z: Float64Array; nl: number;
  fitted: Uint8Array; ginv: Float64Array; b: Float64Array; J: number;
}

type Factor = ScalarFactor | VectorFactor;

/**
 * The per-level regressions' G_j⁻¹ = (Z_jᵀ Z_j)⁻¹, and which levels have a non-singular G_j. `G`:
 * the G_j (lower triangles read) where known (A_kk), else summed here over the rows.
 */
function vectorFactor(q: number, index: Int32Array, codes: Int32Array, Z: Float64Array, nl: number, n: number, known?: Float64Array): VectorFactor {
  const qq = q * q;
  let G = known;
  if (!G) {
    G = new Float64Array(nl * qq);
    for (let i = 0; i < n; i++) {
      const o = codes[i] * qq, zi = i * q;
      for (let s = 0; s < q; s++) for (let t = 0; t <= s; t++) G[o + s * q + t] += Z[zi + s] * Z[zi + t];
    }
  }
  const ginv = new Float64Array(nl * qq);
  const fitted = new Uint8Array(nl);
  let J = 0;
  const L = new Float64Array(qq);
  for (let j = 0; j < nl; j++) {
    const o = j * qq;
    // Cholesky G_j = L Lᵀ; a pivot below 1e-10 of its diagonal entry: singular (the level is not fitted)
    let ok = true;
    for (let c = 0; c < q && ok; c++) {
      for (let r = c; r < q; r++) {
        let v = G[o + r * q + c];
        for (let k = 0; k < c; k++) v -= L[r * q + k] * L[c * q + k];
        if (r === c) {
          if (!(v > 1e-10 * G[o + c * q + c])) { ok = false; break; }
          L[c * q + c] = Math.sqrt(v);
        } else L[r * q + c] = v / L[c * q + c];
      }
    }
    if (!ok) continue;
    // G_j⁻¹ column by column: L y = e_c, Lᵀ x = y
    for (let c = 0; c < q; c++) {
      const x = new Float64Array(q);
      x[c] = 1;
      for (let r = 0; r < q; r++) { let v = x[r]; for (let k = 0; k < r; k++) v -= L[r * q + k] * x[k]; x[r] = v / L[r * q + r]; }
      for (let r = q - 1; r >= 0; r--) { let v = x[r]; for (let k = r + 1; k < q; k++) v -= L[k * q + r] * x[k]; x[r] = v / L[r * q + r]; }
      for (let r = 0; r < q; r++) ginv[o + r * q + c] = x[r];
    }
    fitted[j] = 1;
    J++;
  }
  return { kind: 'vector', q, index, codes, Z, nl, fitted, ginv, b: new Float64Array(nl * q), J };
}

/**
 * One backfitting step of a factor: its effects refitted to r plus its current part of the fit, r
 * updated. `zr`: Z_fᵀ r where known (A's response row, for the first step of one factor), else
 * summed here over the rows.
 */
function sweepFactor(f: Factor, r: Float64Array, n: number, zr?: Float64Array): void {
  const d = factorChange(f, r, n, zr);
  // r ← r + Z_f (b_old − b_new)
  if (f.kind === 'scalar') {
    const { codes } = f;
    for (let i = 0; i < n; i++) r[i] -= d[codes[i]];
  } else {
    const { q, codes, Z } = f;
    for (let i = 0; i < n; i++) { const o = codes[i] * q, zi = i * q; let v = 0; for (let s = 0; s < q; s++) v += Z[zi + s] * d[o + s]; r[i] -= v; }
  }
  const { b } = f;
  for (let e = 0; e < b.length; e++) b[e] += d[e];
}

/**
 * The change d of a factor's effects in one backfitting step, the refit of r plus its current part
 * of the fit: for a random intercept the level means of r (b_f ← level means of r + Z_f b_f), for a
 * term with slopes G_j⁻¹ Z_jᵀ r_j (the normal equations of r_j + Z_j b_j on Z_j). `zr`: Z_fᵀ r
 * where known, else summed here over the rows of r.
 */
function factorChange(f: Factor, r: Float64Array | null, n: number, zr?: Float64Array): Float64Array {
  if (f.kind === 'scalar') {
    const { codes, nl, cnt } = f;
    const sum = zr ? Float64Array.from(zr) : new Float64Array(nl);
    if (!zr) for (let i = 0; i < n; i++) sum[codes[i]] += r![i];
    for (let j = 0; j < nl; j++) if (cnt[j] > 0) sum[j] /= cnt[j];
    return sum;
  }
  const { q, codes, Z, nl, fitted, ginv } = f;
  const qq = q * q;
  if (!zr) {
    zr = new Float64Array(nl * q);
    for (let i = 0; i < n; i++) { const o = codes[i] * q, zi = i * q; for (let s = 0; s < q; s++) zr[o + s] += Z[zi + s] * r![i]; }
  }
  const d = new Float64Array(nl * q);
  for (let j = 0; j < nl; j++) {
    if (!fitted[j]) continue;
    for (let s = 0; s < q; s++) { let v = 0; for (let t = 0; t < q; t++) v += ginv[j * qq + s * q + t] * zr[j * q + t]; d[j * q + s] = v; }
  }
  return d;
}

/**
 * One factor's least-squares fit from r = y_c in one step (its Z_fᵀ y_c given, from A): b_f = d, and
 * the residual sum of squares Σ (y_c − Z_f d)² from a row job, without a residual vector.
 */
function oneFactorFit(f: Factor, yc: Float64Array, n: number, zr: Float64Array): number {
  const d = factorChange(f, null, n, zr);
  f.b.set(d);
  const chunks = Math.max(1, Math.ceil(n / FRAME_CHUNK));
  const q = f.kind === 'vector' ? f.q : 1;
  const arrays: RowArrays = {
    yc, codes: f.codes, mD: sharedFloat64(d.length), mSse: sharedFloat64(chunks),
    mParams: momentParams(n, q, f.kind === 'vector' ? 0 : -1),
  };
  if (f.kind === 'vector') arrays.Z = f.Z;
  (arrays.mD as Float64Array).set(d);
  rowJobs(arrays, arrays).run(ONE_FACTOR_RESIDUAL, chunks);
  const part = arrays.mSse as Float64Array;
  let sse = 0;
  for (let c = 0; c < chunks; c++) sse += part[c];
  return sse;
}

/** The blocks that may give a factor (a first term whose column is the intercept, with its θ entry): at most that many factors. */
function countFactors(model: LmmModel): number {
  let c = 0;
  for (const blk of model.internalBlocks) {
    const term = blk.terms[0];
    if (term && blk.cnames[term.col] === '(Intercept)' && blk.thetaIndex[term.col * blk.q + term.col] >= 0) c++;
  }
  return c;
}

/**
 * The least standard deviation, in the optimizer's units (θ scaled so that lme4's start is the
 * identity), of a term with slopes along any direction at the moment start: its estimate's
 * eigenvalues are raised to at least its square. A projection onto the semi-definite matrices can
 * leave the term's Σ singular, or 0 (Swamy's estimate of a small Σ is often indefinite), and
 * there the profiled deviance is stationary in T (it depends on T Tᵀ), so BOBYQA, which moves one
 * coordinate at a time at first, could stop at a saddle: `y ~ a*x + (x | g)` (test/momentStart.test.ts)
 * started at θ = 0 and stopped at −2ℓ 223.051 where lme4's optimum is 222.923. Twice the moment
 * start's first radius (MOMENT_RHOBEG).
 */
const MOMENT_MIN_SD = 0.1;

/**
 * Swamy's estimator of Σ_f / σ² (see the header) written into θ as its lower Cholesky factor, with its
 * eigenvalues in the optimizer's units at least MOMENT_MIN_SD² (`start`: lme4's start, 1 / the scale
 * of each diagonal entry).
 */
function storeVectorEstimate(f: VectorFactor, sigma2: number, theta: Float64Array, start: Float64Array): void {
  const { q, nl, fitted, ginv, b, J, index } = f;
  const qq = q * q;
  const mean = new Float64Array(q);
  for (let j = 0; j < nl; j++) if (fitted[j]) for (let s = 0; s < q; s++) mean[s] += b[j * q + s] / J;
  const S = new Float64Array(qq);
  for (let j = 0; j < nl; j++) {
    if (!fitted[j]) continue;
    for (let s = 0; s < q; s++) for (let t = 0; t < q; t++) {
      S[s * q + t] += ((b[j * q + s] - mean[s]) * (b[j * q + t] - mean[t])) / (J - 1) / sigma2 - ginv[j * qq + s * q + t] / J;
    }
  }
  // in the optimizer's units D S D (d_s: the scale of row s of T, 1 / lme4's start), the nearest
  // matrix with eigenvalues at least MOMENT_MIN_SD², V max(Λ, MOMENT_MIN_SD²) Vᵀ, back as D⁻¹ · D⁻¹
  const d = Float64Array.from({ length: q }, (_, s) => 1 / start[index[s * q + s]]);
  for (let s = 0; s < q; s++) for (let t = 0; t < q; t++) S[s * q + t] *= d[s] * d[t];
  const { values, vectors } = symmetricEigen(S, q);
  const P = new Float64Array(qq);
  for (let s = 0; s < q; s++) for (let t = 0; t < q; t++) {
    let v = 0;
    for (let k = 0; k < q; k++) v += vectors[s * q + k] * Math.max(MOMENT_MIN_SD * MOMENT_MIN_SD, values[k]) * vectors[t * q + k];
    P[s * q + t] = v / (d[s] * d[t]);
  }
  const T = semidefiniteCholesky(P, q);
  for (let s = 0; s < q; s++) for (let t = 0; t <= s; t++) theta[index[s * q + t]] = T[s * q + t];
}

/**
 * θ with moment estimates in place of lme4's start for the random intercepts and the terms with
 * slopes, or null when there are none. Prior weights are ignored (unweighted residuals): the
 * estimate is only a start, and unit weights then give the unweighted fit's path.
 *
 * `gram`: an A; where it was formed from the model's unweighted rows (formedFrom: the internal
 * blocks' Z, y_c) and one factor is fitted, its G_j and the first step's Z_jᵀ r (r = y_c) are A's
 * entries — the same sums, in the same row order (src/backend/cpu/gram.ts) — so that only the
 * residual's pass goes over the rows.
 */
export function momentStart(model: LmmModel, start: Float64Array, gram?: GramMatrix): Float64Array | null {
  const { n, p } = model.frame;
  const factors: Factor[] = [];
  // A's entries for the one factor: its G_j (A_kk) and Z_jᵀ y_c (A_Xk's response row), by the factor's block
  const fromA = gram && formedFrom(gram) === model.rows && !model.weights && model.rows.y === model.fixed.yc &&
    model.rows.blocks === model.internalBlocks ? gram : null;
  const blockOf = new Map<Factor, number>();
  const qualifying = fromA ? countFactors(model) : 0;
  for (const [kb, blk] of model.internalBlocks.entries()) {
    const term = blk.terms[0];
    if (!term || blk.cnames[term.col] !== '(Intercept)') continue;
    const { q, nl, codes, Z } = blk;
    const col = term.col;
    const k = blk.thetaIndex[col * q + col];
    if (k < 0) continue;
    if (!onesColumn(Z, n, q, col)) continue;
    // one term, intercept first, a full factor: the per-level regressions
    let full = blk.terms.length === 1 && col === 0 && q > 1;
    for (let s = 0; s < q && full; s++) for (let t = 0; t <= s; t++) if (blk.thetaIndex[s * q + t] < 0) full = false;
    if (full) {
      const v = vectorFactor(q, blk.thetaIndex, codes, Z, nl, n, fromA && qualifying === 1 ? fromA.Akk[kb] : undefined);
      if (v.J >= 2) { factors.push(v); blockOf.set(v, kb); continue; }
    }
    // the levels' counts: with the one factor's A, its diagonal entries Σ 1 · 1 (exact), else a pass
    const cnt = new Float64Array(nl);
    if (fromA && qualifying === 1) {
      const Akk = fromA.Akk[kb]!, qq = q * q;
      for (let j = 0; j < nl; j++) cnt[j] = Akk[j * qq + col * q + col];
    } else {
      for (let i = 0; i < n; i++) cnt[codes[i]]++;
    }
    let J = 0;
    for (let j = 0; j < nl; j++) if (cnt[j] > 0) J++;
    if (J >= 2) {
      const f: ScalarFactor = { kind: 'scalar', k, codes, nl, cnt, b: new Float64Array(nl), J };
      factors.push(f);
      blockOf.set(f, kb);
    }
  }
  if (factors.length === 0) return null;
  // coarsest first: a factor nested in another (batch/cask) then takes only the deviations within
  // the coarser one's levels, the hierarchical split (largest first, it would take all of them)
  factors.sort((a, b) => a.J - b.J);
  const df = n - p - factors.reduce((s, f) => s + (f.kind === 'scalar' ? f.J - 1 : f.q * (f.J - 1)), 0);
  if (df < 0.1 * n) return null;
  let sse = 0;
  // one factor: its levels' fits are independent, one sweep is the least-squares fit (its Z_jᵀ y_c from A)
  if (factors.length === 1 && fromA) {
    const f = factors[0]!, kb = blockOf.get(f)!;
    const m = model.internalBlocks[kb]!.nl * model.internalBlocks[kb]!.q;
    const { q } = model.internalBlocks[kb]!;
    const yRow = fromA.AXk[kb]!.subarray(p * m, p * m + m);
    // a random intercept's column of a block with several (its Z column all ones): every q-th entry
    const col = f.kind === 'scalar' ? model.internalBlocks[kb]!.terms[0]!.col : 0;
    sse = oneFactorFit(f, model.fixed.yc, n, f.kind === 'scalar' && q > 1 ? Float64Array.from({ length: f.nl }, (_, j) => yRow[j * q + col]!) : yRow);
  } else {
    const r = Float64Array.from(model.fixed.yc);
    for (let sweep = 0; sweep < (factors.length > 1 ? SWEEPS : 1); sweep++) for (const f of factors) sweepFactor(f, r, n);
    for (let i = 0; i < n; i++) sse += r[i] * r[i];
  }
  const sigma2 = sse / df;
  if (!(sigma2 > 0) || !Number.isFinite(sigma2)) return null;
  const theta = Float64Array.from(start);
  for (const f of factors) {
    if (f.kind === 'vector') { storeVectorEstimate(f, sigma2, theta, start); continue; }
    const { k, nl, cnt, b, J } = f;
    // the spread of b̂ about its mean (with several factors and X's intercept, b is fixed up to a shift)
    let mean = 0, sb = 0, inv = 0;
    for (let j = 0; j < nl; j++) if (cnt[j] > 0) mean += b[j] / J;
    for (let j = 0; j < nl; j++) if (cnt[j] > 0) { sb += (b[j] - mean) ** 2; inv += 1 / cnt[j]; }
    theta[k] = Math.sqrt(Math.max(0, sb / (J - 1) - (sigma2 * inv) / J) / sigma2);
  }
  return theta;
}
