/**
 * blme's posterior-mode objective in its profiled form (blme 1.0-5: R/devFun.R, R/control.R,
 * R/blmer.R lmmObjective, R/dist_*.R), given the linear mixed model's decomposition at θ:
 *
 *   objective(θ[, β][, σ]) = D(θ, σ) + Σ_k c_k σ^{k} + Σ_terms poly(Λ_t) + constant + df_adj · log σ²
 *
 * where D(θ, σ) = log|L|² [+ log|R_X|²] − Σ log w + (n − reml·p) log(2πσ²) + r²/σ² is lme4's
 * objective at a given σ (lmerResp::Laplace with σ²), r² = ‖W½(y − Xβ̃ − ZΛu)‖² + ‖u‖² the
 * penalized residual sum of squares at θ (unpenalized by a fixed-effects prior);
 *   - "exponential" terms c_k σ^k, k ∈ {−2, −1, 0, 1, 2}: each prior's −2 log-density part that is
 *     exp(−½ c σ^k), from getExponentialTerm (on the common scale they are on Λ, k = 0);
 *   - "polynomial" terms in the relative factors Λ_t (getPolynomialTerm), e.g. the default Wishart's
 *     −2(df − q − 1) Σ log diag Λ_t;
 *   - constants (normalizing terms; getConstantTerm) and the σ powers (getDFAdjustment).
 * σ is profiled in closed form when the σ-terms allow it (blme's sigma optimization types):
 *   σ̂² = (r² + c₋₂) / (n − reml·p + df_adj)                      ('sigma.sq.linear')
 *   σ̂² = (√(m² + 4 (r² + c₋₂) c₂) − m) / (2 c₂),  m = n − reml·p + df_adj   ('sigma.sq.quadratic')
 *   σ̂  = (√(c₋₁² + 16 m (r² + c₋₂)) + c₋₁) / (4m)                ('sigma.quadratic')
 * and is otherwise a parameter of the optimizer ('numeric'), or fixed by a point prior ('point').
 * A normal prior on β enters the decomposition (X'X + Σ_β⁻¹, scaled by σ² off the common scale:
 * pseudo-data) and c₋₂ (β̃ᵀΣ_β⁻¹β̃); a t prior makes β a parameter of the optimizer and adds
 * ‖R_X(β − β̃)‖² to c₋₂. bglmer adds the σ⁰ terms, the polynomial terms and the constants to the
 * Laplace deviance (all of its priors are on the common scale).
 *
 * Matrices: Λ_tᵀ per term as blme's getCovBlocks(Lambdat) (q × q upper triangular, column-major).
 */
import { lgamma } from '../glmm/rmath.js';
import { devianceAtSigma } from '../lmm/deviance.js';
import { crossprod, invertUpper, transpose } from './matrix.js';
import type { CovPrior, FixefPrior, ModelPriors, PriorTerm, ResidPrior } from './distributions.js';
import { symmetricEigen } from '../linalg/symmetricEigen.js';

export type SigmaOptimization = 'na' | 'numeric' | 'point' | 'sigma.sq.linear' | 'sigma.sq.quadratic' | 'sigma.quadratic';
export type FixefOptimization = 'na' | 'numeric' | 'linear';

/** blme's blmerControl: the σ power, the constant, and which parameters the optimizer sees. */
export interface BlmeControl {
  /** the power of σ² from the priors (the objective gains df · log σ²) */
  df: number;
  /** normalizing constants, on the deviance scale */
  constant: number;
  fixefOptimization: FixefOptimization;
  sigmaOptimization: SigmaOptimization;
}

type AnyPrior = CovPrior | FixefPrior | ResidPrior;

/** getDFAdjustment (covariance and fixed-effects priors). */
function dfAdjustment(prior: AnyPrior | null): number {
  if (!prior) return 0;
  switch (prior.family) {
    case 'wishart': return prior.commonScale || !Number.isFinite(prior.logDetScale) ? 0 : -prior.q * (prior.df - prior.q - 1);
    case 'invwishart': return prior.commonScale || !Number.isFinite(prior.logDetScale) ? 0 : prior.q * (prior.df + prior.q + 1);
    case 'gamma': return prior.commonScale ? 0 : (prior.posteriorScale === 'sd' ? -1 : -2) * (prior.shape - 1);
    case 'invgamma': return prior.commonScale ? 0 : (prior.posteriorScale === 'sd' ? 1 : 2) * (prior.shape + 1);
    case 'normal': {
      if (!prior.commonScale) return 0;
      let r = 0;
      for (let i = 0; i < prior.p; i++) if (prior.RCovInv[i * prior.p + i] !== 0) r++;
      return r;
    }
    case 't': return prior.commonScale ? prior.d : 0;
    case 'point': return 0;
  }
}

/** getResidPriorDFAdjustment. */
function residDfAdjustment(prior: ResidPrior | null): number {
  if (!prior) return 0;
  if (prior.family === 'gamma') return -(prior.shape - 1) * (prior.posteriorScale === 'sd' ? 1 : 2);
  if (prior.family === 'invgamma') return (prior.shape + 1) * (prior.posteriorScale === 'sd' ? 1 : 2);
  return 0;
}

/** getConstantTerm. */
export function constantTerm(prior: AnyPrior | null): number {
  if (!prior) return 0;
  switch (prior.family) {
    case 'wishart': case 'invwishart': {
      if (!Number.isFinite(prior.logDetScale)) return 0;
      const q = prior.q, df = prior.df;
      let r = df * (q * Math.LN2 + (prior.family === 'wishart' ? prior.logDetScale : -prior.logDetScale)) + 0.5 * q * (q - 1) * Math.log(Math.PI);
      for (let i = 1; i <= q; i++) r += 2 * lgamma(0.5 * (df + 1 - i));
      return r;
    }
    case 'gamma': {
      const { shape, rate } = prior;
      if (shape === 0 || rate === 0) return 0;
      return -2 * (shape * Math.log(rate) - lgamma(shape));
    }
    case 'invgamma': {
      const { shape, scale } = prior;
      if (shape === 0 || scale === 0) return 0;
      return -2 * (shape * Math.log(scale) - lgamma(shape));
    }
    case 'normal': {
      let rank = 0, ld = 0;
      for (let i = 0; i < prior.p; i++) {
        const d = prior.RCovInv[i * prior.p + i];
        if (d !== 0) { rank++; ld += Math.log(d); }
      }
      return rank * Math.log(2 * Math.PI) - 2 * ld;
    }
    case 't': {
      const { d, df, p } = prior;
      let ld = 0;
      for (let i = 0; i < p; i++) {
        const x = prior.RScaleInv[i * p + i];
        if (d === p || x > 0) ld += Math.log(x);
      }
      return -2 * lgamma(0.5 * (df + d)) + 2 * lgamma(0.5 * df) + d * (Math.log(df) + Math.log(Math.PI)) - 2 * ld;
    }
    case 'point': return 0;
  }
}

/** getExponentialSigmaPower. */
function sigmaPower(prior: CovPrior | ResidPrior | null): number {
  if (!prior) return 0;
  switch (prior.family) {
    // an infinite scale (blme's default) leaves no exponential term, so no power of σ from it: off the
    // common scale blme still chooses 'sigma.sq.quadratic' with c₂ = 0 (σ̂² = 0/0, its deviance function
    // returns NULL and blmer stops: "argument is of length zero"); its df adjustment and constant
    // already treat the infinite scale as scale-free, which makes the objective the common-scale one
    case 'wishart': return prior.commonScale || prior.RScaleInv.every((x) => x === 0) ? 0 : prior.posteriorScale === 'sqrt' ? 1 : 2;
    case 'invwishart': return prior.commonScale ? 0 : prior.posteriorScale === 'sqrt' ? -1 : -2;
    case 'gamma': return prior.commonScale || prior.rate === 0 ? 0 : prior.posteriorScale === 'sd' ? 1 : 2;
    case 'invgamma': return prior.commonScale || prior.scale === 0 ? 0 : prior.posteriorScale === 'sd' ? -1 : -2;
    case 'point': return 0;
  }
}

/** createBlmerControl: df, constant, and the fixed-effects and σ optimization types. */
export function blmeControl(priors: ModelPriors, glmm: boolean, p: number): BlmeControl {
  let df = dfAdjustment(priors.fixef) + residDfAdjustment(priors.resid);
  let constant = constantTerm(priors.fixef) + constantTerm(priors.resid);
  for (const c of priors.cov) {
    df += dfAdjustment(c);
    constant += constantTerm(c);
  }
  const fixefOptimization: FixefOptimization = p === 0 ? 'na' : glmm || priors.fixef?.family === 't' ? 'numeric' : 'linear';
  return { df, constant, fixefOptimization, sigmaOptimization: glmm ? 'na' : sigmaOptimization(priors) };
}

function sigmaOptimization(priors: ModelPriors): SigmaOptimization {
  const { fixef, resid } = priors;
  if (resid?.family === 'point') return 'point';
  if (fixef?.family === 'normal' && !fixef.commonScale) return 'numeric';
  if (fixef?.family === 't' && fixef.commonScale) return 'numeric';
  const powers = new Set<number>();
  for (const c of priors.cov) {
    const k = sigmaPower(c);
    if (k !== 0) powers.add(k);
  }
  const r = sigmaPower(resid);
  if (r !== 0) powers.add(r);
  // exp(−½ σ⁻² r²) is always there: other powers are extra
  powers.delete(-2);
  if (powers.size === 0) return 'sigma.sq.linear';
  if (powers.size > 1) return 'numeric';
  const [k] = powers;
  if (k === -1) return 'sigma.quadratic';
  if (k === 2) return 'sigma.sq.quadratic';
  return 'numeric';
}

/** Each term's Λ_tᵀ (q × q, column-major, upper triangular) from θ in lme4's order. */
export function lambdaBlocks(theta: ArrayLike<number>, terms: PriorTerm[]): Float64Array[] {
  let off = 0;
  return terms.map((t) => {
    const q = t.q;
    const Lt = new Float64Array(q * q);
    // θ fills T's lower triangle column by column; Λᵀ(j, i) = T(i, j), stored at [i·q + j]
    for (let j = 0; j < q; j++) for (let i = j; i < q; i++) Lt[i * q + j] = theta[off++];
    return Lt;
  });
}

/** f(Σ) = V f(Λ) Vᵀ for symmetric Σ (column-major). */
function matrixFunction(S: Float64Array, q: number, f: (x: number) => number): Float64Array {
  const { values, vectors } = symmetricEigen(S, q);
  const out = new Float64Array(q * q);
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
    let s = 0;
    for (let k = 0; k < q; k++) s += vectors[i * q + k] * f(values[k]) * vectors[j * q + k];
    out[j * q + i] = s;
  }
  return out;
}

/** (column-major) A B */
function mul(A: Float64Array, B: Float64Array, q: number): Float64Array {
  const out = new Float64Array(q * q);
  for (let j = 0; j < q; j++) for (let k = 0; k < q; k++) {
    const b = B[j * q + k];
    if (b === 0) continue;
    for (let i = 0; i < q; i++) out[j * q + i] += A[k * q + i] * b;
  }
  return out;
}

function sumSquares(A: Float64Array): number {
  let s = 0;
  for (const x of A) s += x * x;
  return s;
}

/** getExponentialTerm of a covariance prior: [σ power, value]. */
function covExponential(prior: CovPrior, Lt: Float64Array): [number, number] {
  switch (prior.family) {
    case 'wishart': {
      if (!Number.isFinite(prior.logDetScale)) return [0, 0];
      const q = prior.q;
      let value: number, power: number;
      if (prior.posteriorScale === 'cov') {
        value = sumSquares(mul(Lt, prior.RScaleInv, q));
        power = 2;
      } else {
        const root = matrixFunction(crossprod(Lt, q), q, (x) => Math.sqrt(Math.max(x, 0)));
        // sum(Σ^½ * crossprod(R⁻¹))
        const C = crossprod(prior.RScaleInv, q);
        value = 0;
        for (let e = 0; e < q * q; e++) value += root[e] * C[e];
        power = 1;
      }
      return [prior.commonScale ? 0 : power, value];
    }
    case 'invwishart': {
      if (!Number.isFinite(prior.logDetScale)) return [0, 0];
      const q = prior.q;
      const power = prior.posteriorScale === 'cov' ? -2 : -1;
      for (let i = 0; i < q; i++) if (Lt[i * q + i] === 0) return [prior.commonScale ? 0 : power, Infinity];
      let value: number;
      if (prior.posteriorScale === 'cov') {
        value = sumSquares(mul(prior.RScale, invertUpper(Lt, q), q));
      } else {
        const invRoot = matrixFunction(crossprod(Lt, q), q, (x) => 1 / Math.sqrt(x));
        // sum(Σ^−½ * tcrossprod(R))
        const C = crossprod(transpose(prior.RScale, q), q);
        value = 0;
        for (let e = 0; e < q * q; e++) value += invRoot[e] * C[e];
      }
      return [prior.commonScale ? 0 : power, value];
    }
    case 'gamma': {
      if (prior.rate === 0) return [0, 0];
      const l = Lt[0];
      const [value, power] = prior.posteriorScale === 'var' ? [2 * l * l * prior.rate, 2] : [2 * l * prior.rate, 1];
      return [prior.commonScale ? 0 : power, value];
    }
    case 'invgamma': {
      if (prior.scale === 0) return [0, 0];
      const l = Lt[0];
      const [value, power] = prior.posteriorScale === 'var' ? [(2 * prior.scale) / (l * l), -2] : [(2 * prior.scale) / l, -1];
      return [prior.commonScale ? 0 : power, value];
    }
  }
}

/** getPolynomialTerm of a covariance prior. */
function covPolynomial(prior: CovPrior, Lt: Float64Array, q: number): number {
  const coef = (c: number, logs: number) => (c === 0 ? 0 : c * logs);
  switch (prior.family) {
    case 'wishart': case 'invwishart': {
      let s = 0;
      for (let i = 0; i < q; i++) {
        const l = Lt[i * q + i];
        if (l <= 0) return Infinity;
        s += Math.log(l);
      }
      return prior.family === 'wishart' ? -2 * (prior.df - q - 1) * s : 2 * (prior.df + q + 1) * s;
    }
    case 'gamma': return coef((prior.posteriorScale === 'var' ? -4 : -2) * (prior.shape - 1), Math.log(Lt[0]));
    case 'invgamma': return coef((prior.posteriorScale === 'var' ? 4 : 2) * (prior.shape + 1), Math.log(Lt[0]));
  }
}

/** getExponentialTerm of a fixed-effects prior: [σ power, value] (t: with σ on the common scale). */
function fixefExponential(prior: FixefPrior, beta: ArrayLike<number>, sigma: number | null): [number, number] {
  const p = prior.p;
  if (prior.family === 'normal') {
    // ‖βᵀ R⁻¹‖² = βᵀ Σ_β⁻¹ β
    let s = 0;
    for (let j = 0; j < p; j++) {
      let v = 0;
      for (let i = 0; i <= j; i++) v += beta[i] * prior.RCovInv[j * p + i];
      s += v * v;
    }
    return [prior.commonScale ? -2 : 0, s];
  }
  let dist = 0;
  for (let j = 0; j < p; j++) {
    let v = 0;
    for (let i = 0; i < p; i++) v += (beta[i] - prior.mean[i]) * prior.RScaleInv[j * p + i];
    dist += v * v;
  }
  if (prior.commonScale && sigma !== null) dist /= sigma * sigma;
  if (!Number.isFinite(dist)) throw new Error('non-finite or NA result in t-prior');
  return [0, (prior.df + prior.d) * Math.log1p(dist / prior.df)];
}

/** calculatePriorExponentialTerms: σ power → total (terms of equal power summed). */
export function exponentialTerms(priors: ModelPriors, beta: ArrayLike<number> | null, Lts: Float64Array[], sigma: number | null): Map<number, number> {
  const out = new Map<number, number>();
  const add = ([power, value]: [number, number]) => out.set(power, (out.get(power) ?? 0) + value);
  if (priors.fixef && beta) add(fixefExponential(priors.fixef, beta, sigma));
  priors.cov.forEach((c, i) => { if (c) add(covExponential(c, Lts[i])); });
  const r = priors.resid;
  if (r && r.family === 'gamma') add(r.rate === 0 ? [0, 0] : r.posteriorScale === 'var' ? [2, 2 * r.rate] : [1, 2 * r.rate]);
  if (r && r.family === 'invgamma') add(r.scale === 0 ? [0, 0] : r.posteriorScale === 'var' ? [-2, 2 * r.scale] : [-1, 2 * r.scale]);
  return out;
}

/** calculatePriorPolynomialTerm: Σ over the terms with a covariance prior. */
export function polynomialTerm(priors: ModelPriors, Lts: Float64Array[], terms: PriorTerm[]): number {
  let s = 0;
  priors.cov.forEach((c, i) => { if (c) s += covPolynomial(c, Lts[i], terms[i].q); });
  return s;
}

/** The profiled σ of blme's closed-form cases. */
export function profileSigma(type: SigmaOptimization, pwrss: number, exps: Map<number, number>, n: number, p: number, reml: boolean, df: number): number {
  const r2 = pwrss + (exps.get(-2) ?? 0);
  const m = n - (reml ? p : 0) + df;
  if (type === 'sigma.sq.linear') return Math.sqrt(r2 / m);
  if (type === 'sigma.sq.quadratic') {
    const a = exps.get(2)!;
    return Math.sqrt((Math.sqrt(m * m + 4 * r2 * a) - m) / (2 * a));
  }
  if (type === 'sigma.quadratic') {
    const a = exps.get(-1)!;
    return (0.25 * (Math.sqrt(a * a + 16 * m * r2) + a)) / m;
  }
  throw new Error(`σ is not profiled for sigma optimization '${type}'`);
}

/** The LMM's decomposition at θ and the parameters the optimizer adds. */
export interface BlmeLmmInput {
  ldL2: number;
  /** log|R_X|² of the (penalized, with a normal prior) fixed-effects block */
  ldRX2: number;
  /** r² = weighted RSS + ‖u‖² at the penalized least-squares solution β̃, without β̃ᵀΣ_β⁻¹β̃ */
  pwrss: number;
  n: number;
  p: number;
  reml: boolean;
  sumLogW: number;
  /** θ in lme4's order */
  theta: ArrayLike<number>;
  /** β̃ (linear case) or the optimizer's β (numeric case), in the model's coefficients */
  beta: ArrayLike<number> | null;
  /** ‖R_X(β − β̃)‖² when β is the optimizer's (numeric case) */
  betaDistance?: number;
  /** the optimizer's σ (numeric case) */
  sigma?: number;
}

export interface BlmeLmmValue {
  /** the penalized objective the optimizer minimizes */
  objective: number;
  sigma: number;
  /** blme's reported criterion: lme4's objective at σ (REML criterion or deviance), unpenalized */
  criterion: number;
  /** the prior's deviance (blme's "Prior dev"): objective − criterion */
  penalty: number;
}

/** blme's LMM objective (getBlmerDevianceFunctionBody + lmmObjective) and its reported split. */
export function blmeLmmObjective(input: BlmeLmmInput, priors: ModelPriors, control: BlmeControl, terms: PriorTerm[]): BlmeLmmValue {
  const { ldL2, ldRX2, pwrss, n, p, reml, sumLogW } = input;
  const type = control.sigmaOptimization;
  let sigma: number | null = null;
  if (type === 'point') sigma = (priors.resid as { value: number }).value;
  else if (type === 'numeric') {
    if (input.sigma === undefined) throw new Error('blme objective: σ is a parameter of the optimizer here and was not given');
    sigma = input.sigma;
  }
  const Lts = lambdaBlocks(input.theta, terms);
  const exps = exponentialTerms(priors, input.beta, Lts, sigma);
  const poly = polynomialTerm(priors, Lts, terms);
  if (control.fixefOptimization === 'numeric') exps.set(-2, (exps.get(-2) ?? 0) + (input.betaDistance ?? 0));
  if (sigma === null) sigma = profileSigma(type, pwrss, exps, n, p, reml, control.df);
  const sigma2 = sigma * sigma;
  const parts = { ldL2, ldRX2, pwrss };
  let objective = devianceAtSigma(parts, n, p, reml, sumLogW, sigma2);
  let expTotal = 0;
  for (const [power, value] of exps) {
    if (!Number.isFinite(value)) {
      expTotal = value;
      break;
    }
    expTotal += value * sigma ** power;
  }
  const penalty = expTotal + poly + control.constant + control.df * Math.log(sigma2);
  objective += penalty;
  // blme reports lme4's objective at σ (with the numeric case's ‖R_X(β − β̃)‖²/σ²) and the rest as the penalty
  const criterion = devianceAtSigma(parts, n, p, reml, sumLogW, sigma2)
    + (control.fixefOptimization === 'numeric' ? (input.betaDistance ?? 0) / sigma2 : 0);
  return { objective, sigma, criterion, penalty: objective - criterion };
}

/** bglmer's penalty added to the Laplace deviance at (θ, β) (stage 1: β = 0). */
export function bglmerPenalty(theta: ArrayLike<number>, beta: ArrayLike<number>, priors: ModelPriors, control: BlmeControl, terms: PriorTerm[]): number {
  const Lts = lambdaBlocks(theta, terms);
  const exps = exponentialTerms(priors, beta, Lts, null);
  let e = 0;
  for (const v of exps.values()) e += v;
  return e + polynomialTerm(priors, Lts, terms) + control.constant;
}
