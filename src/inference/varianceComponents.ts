/**
 * The variance components of Nakagawa's R² and the ICC, as insight 0.19.0's `get_variance()` computes
 * them for an lme4 fit (`.compute_variances`):
 *
 *   σ²_f (var.fixed)     = var(Xβ̂), the sample variance (n − 1) of the fixed part over the rows used
 *   σ²_α (var.random)    = Σ_k (1/n) Σ_i z_ik Σ_k z_ikᵀ over the grouping factors k that are not at the
 *                          observation level (fewer levels than rows), where Σ_k is the covariance of
 *                          the factor's (first) term and z_ik row i of its columns taken from X: the
 *                          term's columns that are not among X's columns (a random slope whose variable
 *                          is not in the fixed part) are left out, as insight does, and an intercept
 *                          column of 1 is added to X when it has none. For (1 | g) this is Σ_k.
 *   σ²_d (var.distribution) the family's (distributionVariance.ts)
 *   σ²_e (var.dispersion) = 0 for lmer; for glmer the same sum over the observation-level factors
 *                          (as many levels as rows: an overdispersion term)
 *   var.residual         = σ²_d + σ²_e
 *   var.intercept        = Σ_k[1, 1] of each term whose first column is the intercept, named as
 *                          VarCorr names the terms (`Subject`, `Subject.1`)
 *
 * insight looks each factor's covariance up by the factor's name in VarCorr, which finds only the
 * first term of a factor with several (`(Days || Subject)`'s `Subject`, not `Subject.1`): the function
 * reproduces that, and the fit-level functions (r2Nakagawa.ts) refuse such models.
 *
 * Both are read from the design's cross-products (designMoments.ts), formed from the rows of an
 * in-memory fit or from the Gram matrix A of a fit whose rows are in an engine (no rows): one set of
 * formulas for both. (Against insight's row-by-row sums at lme4's θ̂ they agree to ~1e-14 relative,
 * test/r2.test.ts.)
 *
 * A fit is singular for insight when a diagonal element of θ (lower bound 0; lme4) or a variance of a
 * conditional-model term (glmmTMB) is below `tolerance` (1e-5) in absolute value: var.random is then not
 * computed (null), with insight's warning. The function takes each term's Σ_k, the singularity flag and
 * σ²_d from its caller: merVarianceInput forms them from an lme4 fit's θ, σ̂ and family;
 * src/zeroinfl/r2.ts from a glmmTMB fit's ψ and family.
 */
import { termCovariance, type VarCorrTerm } from '../results/components.js';
import { type DistributionSpec, distributionVariance } from './distributionVariance.js';
import { type DesignMoments } from './designMoments.js';

export interface VarianceInput {
  /** the fixed-effects design's cross-products (designMoments.ts: from the rows or from an engine's A) */
  moments: DesignMoments;
  beta: ArrayLike<number>;
  /** the random-effects terms in VarCorr's order, with each grouping factor's number of levels */
  terms: readonly (VarCorrTerm & { levels: readonly string[] })[];
  /** each term's covariance Σ_k (q × q row-major): lme4's σ̂² T Tᵀ from θ, glmmTMB's from its ψ */
  Sigma: readonly Float64Array[];
  /** insight's singularity check, by the fitting package's rule (insightSingular, tmbSingular) */
  singular: boolean;
  /** σ²_d and its warnings (distributionVariance.ts; for glmmTMB src/zeroinfl/distributionVariance.ts) */
  distribution: { variance: number; messages: string[] };
  /** a linear (gaussian) model: insight's var.dispersion is 0 */
  linear: boolean;
  /** whether every random slope's variable is in the fixed part (insight's .random_slopes_in_fixed) */
  randomSlopesInFixed: boolean;
}

export interface VarianceComponents {
  fixed: number;
  /** null where the fit is singular (insight does not compute it) */
  random: number | null;
  residual: number;
  distribution: number;
  dispersion: number;
  /** the intercept variance of each term with an intercept, by VarCorr's name */
  intercept: Record<string, number>;
  singular: boolean;
  /** insight's warnings, in its order */
  messages: string[];
}

export const SINGULAR_MESSAGE = "Can't compute random effect variances. Some variance components equal zero. Your model may suffer from singularity (see `?lme4::isSingular` and `?performance::check_singularity`). Solution: Respecify random structure! You may also decrease the `tolerance` level to enforce the calculation of random effect variances.";
export const SLOPES_NOT_FIXED_MESSAGE = 'Random slopes not present as fixed effects. This artificially inflates the conditional random effect variances. Solution: Respecify fixed structure!';

/**
 * var(Xβ̂): the sample variance (denominator n − 1) of the fixed part η_i = Σ_j X_ij β̂_j, from the
 * shifted cross-products (designMoments.ts): with β' = β̂ without the intercept's entry (a constant
 * added to η leaves its variance unchanged),
 *   Σ_i (η_i − η̄)² = β'ᵀ W β' − (tᵀβ')² / n
 * An intercept-only model has no β' and variance exactly 0, as R's.
 */
export function fixedVariance(m: DesignMoments, beta: ArrayLike<number>): number {
  const { ss, lin2 } = m.fixedParts(beta);
  return (ss - lin2) / (m.n - 1);
}

/**
 * (1/n) Σ_i z_i Σ z_iᵀ = tr(Σ M) / n with z_i the row of X's columns named `cnames` (Σ q × q row-major
 * over `cnames`) and M = Σ_i z_i z_iᵀ, XᵀX's entries: the term's columns not in X are dropped with
 * their rows and columns of Σ; X has an intercept of 1 if none of its names starts with
 * "(Intercept)" (insight's .sigma_sum), whose entries of M are n and X's column sums.
 */
export function meanQuadraticForm(m: DesignMoments, cnames: readonly string[], Sigma: Float64Array): number {
  const { n, xnames } = m;
  const q = cnames.length;
  const hasIntercept = xnames.some((nm) => nm.startsWith('(Intercept)'));
  // per kept column of the term: its column of X (−1: the added intercept of 1)
  const kept: { s: number; col: number }[] = [];
  cnames.forEach((nm, s) => {
    const j = xnames.indexOf(nm);
    if (j >= 0) kept.push({ s, col: j });
    else if (!hasIntercept && nm === '(Intercept)') kept.push({ s, col: -1 });
  });
  let total = 0;
  for (const a of kept) for (const b of kept) total += Sigma[a.s * q + b.s] * m.product(a.col, b.col);
  return total / n;
}

/** insight's .is_singular for a merMod: a diagonal element of θ below `tolerance` in absolute value */
export function insightSingular(theta: ArrayLike<number>, lower: ArrayLike<number>, tolerance = 1e-5): boolean {
  for (let i = 0; i < theta.length; i++) if (lower[i] === 0 && Math.abs(theta[i]) < tolerance) return true;
  return false;
}

/**
 * insight's .is_singular for a glmmTMB fit: a variance (a diagonal element of a conditional-model term's Σ_k,
 * not θ as for lme4) below `tolerance` in absolute value
 */
export function tmbSingular(Sigma: readonly Float64Array[], q: readonly number[], tolerance = 1e-5): boolean {
  return Sigma.some((S, k) => Array.from({ length: q[k] }, (_, j) => S[j * q[k] + j]).some((v) => Math.abs(v) < tolerance));
}

/** an lme4 fit's pieces: θ (lme4's order) with its lower bounds, σ̂, the family's DistributionSpec */
export interface MerVarianceInput extends Pick<VarianceInput, 'moments' | 'beta' | 'terms' | 'randomSlopesInFixed'> {
  theta: ArrayLike<number>;
  thetaLower: ArrayLike<number>;
  /** the scale σ̂ of the covariances (1 for binomial, Poisson and the negative binomial) */
  sigma: number;
  distribution: DistributionSpec;
  /** insight's tolerance of the singularity check (default 1e-5) */
  tolerance?: number;
}

/** VarianceInput of an lme4 fit: Σ_k = σ̂² T_k T_kᵀ from θ, insight's merMod singularity rule, σ²_d of the spec */
export function merVarianceInput(m: MerVarianceInput): VarianceInput {
  const s2 = m.sigma * m.sigma;
  return {
    moments: m.moments, beta: m.beta, terms: m.terms, randomSlopesInFixed: m.randomSlopesInFixed,
    Sigma: m.terms.map((_, k) => termCovariance(m.terms, m.theta, k, s2)),
    singular: insightSingular(m.theta, m.thetaLower, m.tolerance ?? 1e-5),
    distribution: distributionVariance(m.distribution), linear: m.distribution.family === 'gaussian',
  };
}

/** insight's get_variance (the equations in the header) */
export function varianceComponents(input: VarianceInput): VarianceComponents {
  const { moments, beta, terms, Sigma, singular } = input;
  const n = moments.n;
  const messages: string[] = [];
  if (singular) messages.push(SINGULAR_MESSAGE);
  const fixed = fixedVariance(moments, beta);
  if (!input.randomSlopesInFixed) messages.push(SLOPES_NOT_FIXED_MESSAGE);
  // each grouping factor's first term (VarCorr's entry of the factor's own name)
  const first = new Map<string, number>();
  terms.forEach((t, k) => { if (!first.has(t.group)) first.set(t.group, k); });
  let random = 0;
  let dispersion = 0;
  for (const k of first.values()) {
    const t = terms[k];
    const v = meanQuadraticForm(moments, t.cnames, Sigma[k]);
    if (t.levels.length === n) dispersion += v;
    else random += v;
  }
  const dist = input.distribution;
  messages.push(...dist.messages);
  // a linear model has no dispersion component (insight: 0 for a linear model)
  if (input.linear) dispersion = 0;
  // VarCorr's names: a factor's second term is `g.1`, its third `g.2`
  const intercept: Record<string, number> = {};
  const seen = new Map<string, number>();
  terms.forEach((t, k) => {
    const c = seen.get(t.group) ?? 0;
    seen.set(t.group, c + 1);
    if (t.cnames[0].startsWith('(Intercept)')) intercept[c === 0 ? t.group : `${t.group}.${c}`] = Sigma[k][0];
  });
  return {
    fixed, random: singular ? null : random, residual: dist.variance + dispersion, distribution: dist.variance, dispersion,
    intercept, singular, messages,
  };
}
