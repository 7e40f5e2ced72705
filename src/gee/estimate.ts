/**
 * geepack's estimating-equation iterations (gee2.cc's gee_est; Halekoh, Højsgaard & Yan 2006, §2;
 * Yan & Fine 2004): β, the scale φ and the correlation α by one scoring step each per iteration,
 *   β ← β + (Σ D̃ᵢᵀ Rᵢ⁻¹ D̃ᵢ)⁻¹ Σ D̃ᵢᵀ Rᵢ⁻¹ r̃ᵢ,   D̃ᵢ = √w V^{-1/2} diag(dμ/dη) Xᵢ,  r̃ᵢ = √w (yᵢ − μᵢ)/√V(μᵢ);
 *   φ ← φ + Σ w (r² − φ)/(2φ) / Σ w/(2φ) = Σ w r² / Σ w       (r the Pearson residuals at the new β;
 *                                                             no degrees-of-freedom correction);
 *   α ← α + (Σ Eᵢᵀ Wᵢ Eᵢ)⁻¹ Σ Eᵢᵀ Wᵢ (zᵢ − ρᵢ(α)),  zᵢ = r_j r_k / φ over the pairs j < k of a cluster,
 *        Wᵢ = diag(w_j w_k), ρᵢ the upper triangle of Rᵢ(α), Eᵢ = ∂ρᵢ/∂α (clusters of one row skipped);
 * until max(|Δβ|, |Δφ|, |Δα|) ≤ ε (geese.control's epsilon, default 1e-4; maxit 25). Jackknife fits
 * leave one cluster out of every sum (`skip`).
 */
import { FitError } from '../errors/errors.js';
import { type Mat, solve, zeros } from './dense.js';
import type { GeeFrame } from './frame.js';
import type { MeanModel } from './meanModel.js';
import type { WorkingCorrelation } from './workingCorrelation.js';

/** the frame's rows in cluster order (X, y, w, offset, wave codes t, the clusters' start and size), the mean model and the working correlation */
export interface GeeProblem extends Pick<GeeFrame, 'X' | 'y' | 'w' | 'offset' | 't' | 'start' | 'size' | 'p'> {
  mean: MeanModel;
  cor: WorkingCorrelation;
  /** geeglm's scale.fix: φ stays at its start */
  scaleFix: boolean;
}

export interface GeeParams { beta: number[]; phi: number; alpha: number[] }

/** One cluster's pieces at β: the Pearson residuals r, D = V^{-1/2} diag(dμ/dη) X, V(μ), V′(μ) (geepack's gee_prep). */
export interface ClusterPieces { r: number[]; D: Mat; V: number[]; dV: number[]; w: number[]; t: Int32Array }

export function clusterPieces(pr: GeeProblem, c: number, beta: readonly number[]): ClusterPieces {
  const s0 = pr.start[c];
  const s = pr.size[c];
  const r: number[] = [];
  const D: Mat = [];
  const V: number[] = [];
  const dV: number[] = [];
  const w: number[] = [];
  for (let k = s0; k < s0 + s; k++) {
    const x = pr.X[k];
    let eta = pr.offset[k];
    for (let j = 0; j < pr.p; j++) eta += x[j] * beta[j];
    const mu = pr.mean.linkinv(eta);
    const v = pr.mean.variance(mu);
    const me = pr.mean.muEta(eta);
    const iv = 1 / Math.sqrt(v);
    // r = (y − μ)/√V,  D row = dμ/dη · x / √V
    r.push((pr.y[k] - mu) * iv);
    D.push(x.map((xj) => me * xj * iv));
    V.push(v);
    dV.push(pr.mean.varianceDeriv(mu));
    w.push(pr.w[k]);
  }
  return { r, D, V, dV, w, t: pr.t.subarray(s0, s0 + s) };
}

/** Bᵀ M C with M = A⁻¹ given (geepack's AtBiC(B, A, C)); C a matrix or a vector (one column) */
export function quadForm(B: Mat, Ainv: Mat, C: Mat | number[]): Mat {
  const n = B.length;
  const cols = B[0]?.length ?? 0;
  const Cm: Mat = Array.isArray(C[0]) ? (C as Mat) : (C as number[]).map((v) => [v]);
  const cc = Cm[0]?.length ?? 0;
  const out = zeros(cols, cc);
  // tmp = A⁻¹ C (n × cc)
  const tmp = zeros(n, cc);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) { const a = Ainv[i][k]; if (a !== 0) for (let j = 0; j < cc; j++) tmp[i][j] += a * Cm[k][j]; }
  for (let i = 0; i < n; i++) for (let a = 0; a < cols; a++) { const b = B[i][a]; if (b !== 0) for (let j = 0; j < cc; j++) out[a][j] += b * tmp[i][j]; }
  return out;
}

/** The pairs' products z_jk = s_j s_k (j < k), geepack's genzi */
export function pairProducts(s: readonly number[]): number[] {
  const out: number[] = [];
  for (let j = 0; j < s.length; j++) for (let k = j + 1; k < s.length; k++) out.push(s[j] * s[k]);
  return out;
}

/** The upper triangle of R by rows, geepack's utri */
export function upperTriangle(R: Mat): number[] {
  const out: number[] = [];
  for (let j = 0; j < R.length; j++) for (let k = j + 1; k < R.length; k++) out.push(R[j][k]);
  return out;
}

/** geepack's update_beta: one scoring step of β at the current α; returns max |Δβ|. */
export function updateBeta(pr: GeeProblem, par: GeeParams, skip = -1): number {
  const H = zeros(pr.p, pr.p);
  const G = new Array<number>(pr.p).fill(0);
  for (let c = 0; c < pr.start.length; c++) {
    if (c === skip) continue;
    const cp = clusterPieces(pr, c, par.beta);
    const Rinv = invertSmall(pr.cor.R(par.alpha, cp.t));
    const rw = cp.w.map(Math.sqrt);
    const Dw = cp.D.map((row, k) => row.map((v) => v * rw[k]));
    const rr = cp.r.map((v, k) => v * rw[k]);
    // H += D̃ᵀ R⁻¹ D̃,  G += D̃ᵀ R⁻¹ r̃
    const h = quadForm(Dw, Rinv, Dw);
    const g = quadForm(Dw, Rinv, rr);
    for (let a = 0; a < pr.p; a++) { G[a] += g[a][0]; for (let b = 0; b < pr.p; b++) H[a][b] += h[a][b]; }
  }
  const del = solve(H, G, 'Σ Dᵀ R⁻¹ D (the β step)');
  par.beta = par.beta.map((b, j) => b + del[j]);
  return Math.max(0, ...del.map(Math.abs));
}

/** the Pearson residuals of every row at β */
export function pearsonResiduals(pr: GeeProblem, beta: readonly number[]): Float64Array {
  const out = new Float64Array(pr.y.length);
  for (let k = 0; k < out.length; k++) {
    let eta = pr.offset[k];
    for (let j = 0; j < pr.p; j++) eta += pr.X[k][j] * beta[j];
    const mu = pr.mean.linkinv(eta);
    out[k] = (pr.y[k] - mu) / Math.sqrt(pr.mean.variance(mu));
  }
  return out;
}

/** geepack's update_gamma (identity scale link, intercept-only scale model): φ ← Σ w r² / Σ w; returns |Δφ|. */
export function updatePhi(pr: GeeProblem, par: GeeParams, r: Float64Array, skip = -1): number {
  if (pr.scaleFix) return 0;
  let H = 0;
  let G = 0;
  for (let c = 0; c < pr.start.length; c++) {
    if (c === skip) continue;
    for (let k = pr.start[c]; k < pr.start[c] + pr.size[c]; k++) {
      // H += w/(2φ), G += w (r² − φ)/(2φ)
      const wv = pr.w[k] / (2 * par.phi);
      H += wv;
      G += wv * (r[k] * r[k] - par.phi);
    }
  }
  const del = G / H;
  par.phi += del;
  return Math.abs(del);
}

/** geepack's update_alpha: one Gauss–Newton step of α on the moment equations; returns max |Δα|. */
export function updateAlpha(pr: GeeProblem, par: GeeParams, r: Float64Array, skip = -1): number {
  const q = pr.cor.q;
  if (q === 0) return 0;
  const H = zeros(q, q);
  const G = new Array<number>(q).fill(0);
  for (let c = 0; c < pr.start.length; c++) {
    const s = pr.size[c];
    if (c === skip || s === 1) continue;
    const s0 = pr.start[c];
    const t = pr.t.subarray(s0, s0 + s);
    const sr = Array.from(r.subarray(s0, s0 + s), (v) => v / Math.sqrt(par.phi));
    const z = pairProducts(sr);
    const rho = upperTriangle(pr.cor.R(par.alpha, t));
    const E = pr.cor.E(par.alpha, t);
    const ww = pairProducts(Array.from(pr.w.subarray(s0, s0 + s)));
    // H += Eᵀ W E,  G += Eᵀ W (z − ρ)
    for (let k = 0; k < z.length; k++) {
      const e = E[k];
      for (let a = 0; a < q; a++) {
        if (e[a] === 0) continue;
        G[a] += e[a] * ww[k] * (z[k] - rho[k]);
        for (let b = 0; b < q; b++) H[a][b] += e[a] * ww[k] * e[b];
      }
    }
  }
  const del = solve(H, G, 'Σ Eᵀ W E (the α step: no cluster has two rows for some correlation parameter)');
  par.alpha = par.alpha.map((a, j) => a + del[j]);
  return Math.max(0, ...del.map(Math.abs));
}

/** the inverse of a working correlation (n ≤ the largest cluster size) */
export function invertSmall(R: Mat): Mat {
  const n = R.length;
  if (n === 1) return [[1 / R[0][0]]];
  const flat: Mat = R.map((row) => row.slice());
  // Gauss–Jordan on a copy
  const inv: Mat = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let k = c + 1; k < n; k++) if (Math.abs(flat[k][c]) > Math.abs(flat[piv][c])) piv = k;
    const pv = flat[piv][c];
    if (!(Math.abs(pv) > 0) || !Number.isFinite(pv)) throw new FitError('gee: a working correlation matrix is singular (a correlation parameter at ±1, or two rows of a cluster with the same wave under ar1)');
    [flat[c], flat[piv]] = [flat[piv], flat[c]];
    [inv[c], inv[piv]] = [inv[piv], inv[c]];
    for (let j = 0; j < n; j++) { flat[c][j] /= pv; inv[c][j] /= pv; }
    for (let k = 0; k < n; k++) {
      if (k === c) continue;
      const f = flat[k][c];
      if (f === 0) continue;
      for (let j = 0; j < n; j++) { flat[k][j] -= f * flat[c][j]; inv[k][j] -= f * inv[c][j]; }
    }
  }
  return inv;
}

export interface EstimateResult { iterations: number; converged: boolean }

/** geepack's gee_est: β, φ, α in turn until the largest step is ≤ ε; `par` is updated in place. */
export function geeEstimate(pr: GeeProblem, par: GeeParams, epsilon: number, maxit: number, skip = -1): EstimateResult {
  let iter = 0;
  for (; iter < maxit; iter++) {
    const d1 = updateBeta(pr, par, skip);
    const r = pearsonResiduals(pr, par.beta);
    const d2 = updatePhi(pr, par, r, skip);
    const d3 = updateAlpha(pr, par, r, skip);
    if (![...par.beta, par.phi, ...par.alpha].every(Number.isFinite)) throw new FitError(`gee: the estimates are not finite at iteration ${iter + 1} (the mean left the family's range?)`);
    if (Math.max(d1, d2, d3) <= epsilon) break;
  }
  return { iterations: Math.min(iter + 1, maxit), converged: iter < maxit };
}

/**
 * The starting values (geese.fit): β from R's glm (IRLS to convergence: the GEE step with R = I from
 * R's family$initialize μ), φ = the mean of (y − μ)²/V(μ) at that β with μ = g⁻¹(Xβ) (lm.fit of the
 * intercept, unweighted, without the offset, as geese.fit computes it), α = 0.
 */
export function startValues(pr: GeeProblem): GeeParams {
  const n = pr.y.length;
  // the first step: weighted least squares of the working response at R's starting μ
  const H = zeros(pr.p, pr.p);
  const G = new Array<number>(pr.p).fill(0);
  for (let k = 0; k < n; k++) {
    const mu = pr.mean.mustart(pr.y[k], pr.w[k]);
    const eta = pr.mean.linkfun(mu);
    const me = pr.mean.muEta(eta);
    const z = eta - pr.offset[k] + (pr.y[k] - mu) / me;
    const wt = (pr.w[k] * me * me) / pr.mean.variance(mu);
    for (let a = 0; a < pr.p; a++) { G[a] += wt * pr.X[k][a] * z; for (let b = 0; b < pr.p; b++) H[a][b] += wt * pr.X[k][a] * pr.X[k][b]; }
  }
  const par: GeeParams = { beta: solve(H, G, "the starting glm's XᵀWX (is the design of full rank?)"), phi: 1, alpha: [] };
  const indep: GeeProblem = { ...pr, cor: { corstr: 'independence', q: 0, names: [], R: (_a, t) => Array.from({ length: t.length }, (_, j) => Array.from({ length: t.length }, (_, k) => (j === k ? 1 : 0))), E: () => [] } };
  for (let it = 0; it < 50; it++) if (updateBeta(indep, par) <= 1e-10) break;
  let s = 0;
  for (let k = 0; k < n; k++) {
    let eta = 0;
    for (let j = 0; j < pr.p; j++) eta += pr.X[k][j] * par.beta[j];
    const mu = pr.mean.linkinv(eta);
    s += (pr.y[k] - mu) ** 2 / pr.mean.variance(mu);
  }
  par.phi = s / n;
  par.alpha = new Array<number>(pr.cor.q).fill(0);
  return par;
}
