/**
 * The profile problem of a linear mixed model (lme4's devfun2 and the fixed-effect profiles of
 * profile.merMod), on the model's Gram matrix: every point is a float64 refit that never touches
 * the rows again.
 *
 * - Variance parameters: lme4's "sdcor" scale, per term the standard deviations and correlations
 *   (Cv_to_Sv), then σ; the ML deviance with σ free (not profiled),
 *     d(sd, cor, σ) = log|L_θ|² + r²(θ)/σ² + n log(2πσ²) − Σ log w,  θ = Sv_to_Cv(sd, cor)/σ,
 *   is minimized over the other parameters (BOBYQA) with one fixed.
 * - Fixed effect j at v: the model with column j dropped and v X_j moved to the offset, fitted by ML
 *   over θ (σ profiled). Its Gram matrix is a linear map of the model's, [X' y'] = [X_c y_c] B, so
 *   only A_Xk and A_XX change: A_Xk' = Bᵀ A_Xk, A_XX' = Bᵀ A_XX B.
 * Profiles are of the ML fit, as lme4's (devfun2 calls refitML).
 */
import type { ReTerm } from '../frame/modelFrame.js';
import { BlockedCholesky } from '../linalg/blockedCholesky.js';
import { semidefiniteCholesky } from '../linalg/dense.js';
import type { GramMatrix } from '../linalg/gram.js';
import { mapBeta } from '../model/fixedTransform.js';
import type { LmmModel } from '../lmm/model.js';
import { thetaToInternal, thetaToOriginal } from '../model/reparam.js';
import { solveLmm } from '../lmm/solution.js';
import { bobyqa } from '../optim/bobyqa.js';
import type { ProfilePoint, ProfileProblem } from './profile.js';

/**
 * BOBYQA's trust region in a profile refit (on the parameters over their scale). The first point
 * of each direction starts 0.02 wide from the optimum (lme4's steps change a parameter by a few
 * percent). Every later point starts from the linear extrapolation of its two neighbours
 * (profile.ts), within about the square of the step (1e-4 relative) of its optimum, so its region
 * starts at 5e-4 instead of 0.02; the radius ends at 1e-6 (parameter error of that order: the
 * deviance is then within curvature × 1e-12 of its minimum, far below what moves a bound).
 * On InstEval this cut a refit from about 45–50 factorizations to about 15–25 (bench/RESULTS.md).
 */
export const PROFILE_RHOBEG = 0.02;
export const PROFILE_WARM_RHOBEG = 5e-4;
export const PROFILE_RHOEND = 1e-6;

/** The ML fit the profile starts from (lme4's refitML of a REML fit). */
export interface MlFit {
  /** lme4's θ at the ML optimum */
  theta: Float64Array;
  sigma: number;
  beta: Float64Array;
  /** standard errors of β̂ (ML) */
  se: Float64Array;
  /** the ML deviance −2ℓ */
  deviance: number;
}

/** lme4's names of the variance parameters with oldNames = FALSE: sd_…|g, cor_….…|g, then sigma */
export function varianceParameterNames(terms: ReTerm[]): string[] {
  const names: string[] = [];
  for (const t of terms) {
    for (let j = 0; j < t.q; j++) {
      for (let i = j; i < t.q; i++) {
        names.push(i === j ? `sd_${t.cnames[i]}|${t.group}` : `cor_${t.cnames[i]}.${t.cnames[j]}|${t.group}`);
      }
    }
  }
  names.push('sigma');
  return names;
}

/** lme4's Cv_to_Sv: θ and σ → per term (sd, cor) in θ's order, then σ. */
export function thetaToSdcor(terms: ReTerm[], theta: ArrayLike<number>, sigma: number): Float64Array {
  const out: number[] = [];
  let k = 0;
  for (const t of terms) {
    const q = t.q;
    const T = new Float64Array(q * q);
    for (let j = 0; j < q; j++) for (let i = j; i < q; i++) T[i * q + j] = theta[k++];
    const S = new Float64Array(q * q);
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
      let acc = 0;
      for (let u = 0; u <= Math.min(i, j); u++) acc += T[i * q + u] * T[j * q + u];
      S[i * q + j] = sigma * sigma * acc;
    }
    const sd = Float64Array.from({ length: q }, (_, i) => Math.sqrt(S[i * q + i]));
    for (let j = 0; j < q; j++) for (let i = j; i < q; i++) {
      // cov2sdcor: NaN correlations (a zero SD) become 0
      const c = i === j ? sd[i] : S[i * q + j] / (sd[i] * sd[j]);
      out.push(Number.isNaN(c) ? 0 : c);
    }
  }
  out.push(sigma);
  return Float64Array.from(out);
}

/** lme4's Sv_to_Cv: per term (sd, cor) and σ → θ (the lower Cholesky factor of Σ/σ², safe_chol). */
export function sdcorToTheta(terms: ReTerm[], v: ArrayLike<number>, sigma: number): Float64Array {
  const out: number[] = [];
  let k = 0;
  for (const t of terms) {
    const q = t.q;
    const M = new Float64Array(q * q);
    for (let j = 0; j < q; j++) for (let i = j; i < q; i++) { M[i * q + j] = v[k]; M[j * q + i] = v[k]; k++; }
    const sd = Float64Array.from({ length: q }, (_, i) => M[i * q + i]);
    const S = new Float64Array(q * q);
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) S[i * q + j] = (i === j ? sd[i] * sd[i] : M[i * q + j] * sd[i] * sd[j]) / (sigma * sigma);
    // lme4's safe_chol; a singular Σ (|cor| = 1, a zero SD) gets zero columns, as R's pivoted factor for q ≤ 2.
    // Each pivot against its own column's diagonal (as reparam.ts's θ map): a slope's real pivot beside
    // an intercept's variance at year 0 is far below 1e-14 of the largest diagonal
    const L = semidefiniteCholesky(S, q, 'column');
    for (let j = 0; j < q; j++) for (let i = j; i < q; i++) out.push(L[i * q + j]);
  }
  return Float64Array.from(out);
}

export interface LmmProfileInput {
  model: LmmModel;
  gram: GramMatrix;
  ml: MlFit;
  /**
   * the general path (tests): every refit from its start with the first point's wide trust region
   * and a tighter end (1e-7), a fixed effect's from the ML fit's θ, as before warm starts
   */
  cold?: boolean;
}

/** The ProfileProblem of a linear mixed model at its ML fit. */
export function lmmProfileProblem({ model, gram, ml, cold = false }: LmmProfileInput): ProfileProblem {
  const { frame } = model;
  const terms = frame.reTerms;
  const n = frame.n;
  const nt = model.theta.length;
  const chol = new BlockedCholesky(gram, nt);
  const sdcor = thetaToSdcor(terms, ml.theta, ml.sigma);
  const nvp = sdcor.length;
  const names = [...varianceParameterNames(terms), ...frame.xnames];
  const opt = Float64Array.from([...sdcor, ...ml.beta]);
  // bounds on the sdcor scale: sd ≥ 0, −1 ≤ cor ≤ 1, σ ≥ 0
  const lower = new Float64Array(nvp), upper = new Float64Array(nvp).fill(Infinity);
  for (let k = 0; k < nt; k++) if (model.theta.lower[k] !== 0) { lower[k] = -1; upper[k] = 1; }
  // scales for the optimizer: the estimate (σ̂ for a zero SD), 1 for correlations
  const scale = Float64Array.from(sdcor, (v, k) => (upper[k] === 1 ? 1 : v > 0 ? v : ml.sigma));

  const trustRegion = (warm: boolean) => ({
    rhobeg: warm && !cold ? PROFILE_WARM_RHOBEG : PROFILE_RHOBEG, rhoend: cold ? 1e-7 : PROFILE_RHOEND, maxfun: 20000,
  });

  /** lme4's devfun2: the ML deviance at (sd, cor, σ) */
  const devfun2 = (pars: Float64Array): number => {
    const sigma = pars[nvp - 1];
    if (!(sigma > 0)) return Infinity;
    const theta = sdcorToTheta(terms, pars, sigma);
    chol.factor(thetaToInternal(model, theta));
    return chol.ldL2 + chol.pwrss / (sigma * sigma) + n * Math.log(2 * Math.PI * sigma * sigma) - model.sumLogW;
  };

  const fixVariance = (w: number, x: number, start: Float64Array, warm = false): ProfilePoint => {
    const free = Array.from({ length: nvp }, (_, k) => k).filter((k) => k !== w);
    const pars = Float64Array.from(start);
    pars[w] = x;
    const toPars = (u: Float64Array) => { free.forEach((k, i) => { pars[k] = u[i] * scale[k]; }); return pars; };
    const u0 = Float64Array.from(free, (k) => Math.min(upper[k], Math.max(lower[k], start[k])) / scale[k]);
    const res = bobyqa((u) => devfun2(toPars(u)), u0, {
      lower: Float64Array.from(free, (k) => lower[k] / scale[k]),
      upper: Float64Array.from(free, (k) => upper[k] / scale[k]),
      ...trustRegion(warm),
    });
    const best = Float64Array.from(toPars(res.x));
    const dev = devfun2(best);
    const beta = mapBeta(model.fixed, solveLmm(chol, n, false).beta);
    return { par: Float64Array.from([...best, ...beta]), deviance: dev, notConverged: res.converged ? undefined : res.message };
  };

  // fixed-effect profiles: one reduced Gram matrix and factor per column j, refilled per value
  const reduced = new Map<number, { gram: GramMatrix; chol: BlockedCholesky; B: (v: number) => Float64Array; back: (b: Float64Array, v: number) => Float64Array }>();
  const reducedFor = (j: number) => {
    let r = reduced.get(j);
    if (r) return r;
    r = reducedModel(model, gram, j);
    reduced.set(j, r);
    return r;
  };
  const thetaStart = thetaToInternal(model, ml.theta);
  const fixFixed = (j: number, v: number, start?: Float64Array, warm = false): ProfilePoint => {
    const r = reducedFor(j);
    fillReducedGram(gram, r.gram, r.B(v));
    const f = (th: Float64Array) => {
      r.chol.factor(th);
      const pw = r.chol.pwrss;
      return pw > 0 ? r.chol.ldL2 + n * (1 + Math.log((2 * Math.PI * pw) / n)) - model.sumLogW : Infinity;
    };
    // from the neighbouring point's θ (extrapolated) where the profile gives one, else the ML fit's
    const th0 = start && !cold ? thetaToInternal(model, sdcorToTheta(terms, start, start[nvp - 1])) : thetaStart;
    const res = bobyqa(f, th0.map((x, k) => Math.max(model.theta.lower[k], x)), {
      lower: model.theta.lower, upper: new Float64Array(nt).fill(Infinity),
      ...trustRegion(warm),
    });
    const dev = f(res.x);
    const sig = Math.sqrt(r.chol.pwrss / n);
    const vp = thetaToSdcor(terms, thetaToOriginal(model, res.x), sig);
    const beta = r.back(solveLmm(r.chol, n, false).beta, v);
    return { par: Float64Array.from([...vp, ...beta]), deviance: dev, notConverged: res.converged ? undefined : res.message };
  };

  return {
    names, opt, nvp, lower, upper, base: ml.deviance, stderr: ml.se,
    fixVariance, fixFixed,
  };
}

/**
 * The model without fixed-effect column j: B ((p+1) × p) with [X' y'] = [X_c y_c] B, and the map
 * of its coefficients back to the model's β (with v at j).
 */
function reducedModel(model: LmmModel, gram: GramMatrix, j: number) {
  const p = model.frame.p;
  const t = model.fixed;
  const k = t.intercept;
  const keep = Array.from({ length: p }, (_, c) => c).filter((c) => c !== j);
  // M = C⁻¹ = I + e_k mᵀ: X = X_c M
  const Mcol = (c: number) => Float64Array.from({ length: p }, (_, r) => (r === c ? 1 : 0) + (k >= 0 && r === k ? t.means[c] : 0));
  const B = (v: number) => {
    const out = new Float64Array((p + 1) * p);
    // X' columns: X_c's own columns (j not the intercept), or the original columns (j the intercept)
    keep.forEach((c, a) => {
      const col = j === k ? Mcol(c) : Float64Array.from({ length: p }, (_, r) => (r === c ? 1 : 0));
      for (let r = 0; r < p; r++) out[r * p + a] = col[r];
    });
    // y' = y_c + X_c (β₀ − v M_j)
    const Mj = Mcol(j);
    for (let r = 0; r < p; r++) out[r * p + (p - 1)] = t.beta0[r] - v * Mj[r];
    out[p * p + (p - 1)] = 1;
    return out;
  };
  const back = (b: Float64Array, v: number) => {
    const beta = new Float64Array(p);
    keep.forEach((c, a) => { beta[c] = b[a]; });
    beta[j] = v;
    if (j !== k && k >= 0) {
      // coefficients on X_c columns: the intercept absorbs −Σ m_c β_c over the kept columns
      let shift = 0;
      for (const c of keep) if (c !== k) shift += t.means[c] * beta[c];
      beta[k] -= shift;
    }
    return beta;
  };
  const AXk = gram.AXk.map((a) => new Float64Array(p * (a.length / (p + 1))));
  const rgram: GramMatrix = { ...gram, p: p - 1, AXk, AXX: new Float64Array(p * p) };
  return { gram: rgram, chol: new BlockedCholesky(rgram, model.theta.length), B, back };
}

/** A_Xk' = Bᵀ A_Xk and A_XX' = Bᵀ A_XX B for B ((p+1) × p'+1). */
function fillReducedGram(gram: GramMatrix, r: GramMatrix, B: Float64Array): void {
  const p1 = gram.p + 1, q1 = r.p + 1;
  gram.AXk.forEach((A, kk) => {
    const m = A.length / p1;
    const out = r.AXk[kk];
    out.fill(0);
    for (let a = 0; a < q1; a++) for (let s = 0; s < p1; s++) {
      const b = B[s * q1 + a];
      if (b === 0) continue;
      for (let c = 0; c < m; c++) out[a * m + c] += b * A[s * m + c];
    }
  });
  const AB = new Float64Array(p1 * q1);
  for (let s = 0; s < p1; s++) for (let a = 0; a < q1; a++) {
    let acc = 0;
    for (let u = 0; u < p1; u++) acc += gram.AXX[s * p1 + u] * B[u * q1 + a];
    AB[s * q1 + a] = acc;
  }
  for (let a = 0; a < q1; a++) for (let b = 0; b < q1; b++) {
    let acc = 0;
    for (let s = 0; s < p1; s++) acc += B[s * q1 + a] * AB[s * q1 + b];
    r.AXX[a * q1 + b] = acc;
  }
}
