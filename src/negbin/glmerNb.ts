/**
 * The negative binomial GLMM as lme4's glmer.nb fits it (lme4 R/nbinom.R):
 *
 *   1. a Poisson GLMM; θ₀ = MASS's theta.ml(y, μ̂) from its fitted means (limit 20, eps 2·tol);
 *   2. the NB2(θ₀) GLMM;
 *   3. Brent's minimization (R's optimize, src/negbin/fmin.ts) of −2 log L over log θ on
 *      log θ₀ ± 3 with tol 5e-5, each evaluation a GLMM fit at that θ (θ, β re-optimized), then
 *      the fit at the minimizer (optimize's last evaluation), which is the result.
 *
 * −2 log L(θ) is the Laplace deviance of the fit at θ, profiled over (θ_re, β). With `theta` given,
 * step 3 is a single fit at that θ (glmer with negative.binomial(theta)).
 */
import type * as arrow from 'apache-arrow';
import type { Formula } from '../formula/types.js';
import type { GlmFamily } from '../glmm/family.js';
import { type GlmerOptions, fitGlmm, glmer } from '../glmm/fitGlmm.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { type GlmmModel, buildGlmm } from '../glmm/model.js';
import { PirlsEngine } from '../glmm/pirls.js';
import { fminAsync } from './fmin.js';
import { type NegativeBinomialFamily, negativeBinomialFamily } from './family.js';
import { thetaMl } from './thetaMl.js';

export interface GlmerNbOptions extends Omit<GlmerOptions, 'family' | 'link' | 'weights' | 'backend' | 'device'> {
  /** a fixed size θ: no estimation (glmer with negative.binomial(theta)) */
  theta?: number;
  /** the tolerance of the minimization over log θ (glmer.nb's tol, default 5e-5) */
  tol?: number;
  /** the interval for log θ (default log θ₀ ± 3, as glmer.nb) */
  interval?: [number, number];
}

export interface NbThetaStep {
  theta: number;
  /** −2 log L of the fit at θ */
  deviance: number;
}

export interface GlmerNbResult {
  /** the fit at the estimated (or given) θ */
  fit: GlmmFit;
  /** the NB size θ */
  theta: number;
  /** theta.ml's starting value from the Poisson fit (null when θ was given) */
  theta0: number | null;
  /** the fits of the minimization over θ, in order (glmer.nb's verbose trace), the last at the minimizer */
  steps: NbThetaStep[];
  /** −2 log L, log L and AIC counting θ as a parameter (glmer.nb's df = p + nθ + 1) */
  deviance: number;
  logLik: number;
  AIC: number;
  df: number;
}

/** The NB2 model: the Poisson model's frame and structure with the family replaced. */
function nbModel(formula: string | Formula, data: arrow.Table, options: GlmerNbOptions): GlmmModel {
  return buildGlmm(formula, data, { family: 'poisson', factors: options.factors });
}

function setTheta(model: GlmmModel, theta: number): NegativeBinomialFamily {
  const fam = negativeBinomialFamily(theta);
  // the PIRLS engine reads the family through the model: GlmFamily's interface, family name aside
  model.family = fam as unknown as GlmFamily;
  model.pirls.family = fam as unknown as GlmFamily;
  return fam;
}

/** Fits a negative binomial GLMM (lme4's glmer.nb). */
export async function glmerNb(formula: string | Formula, data: arrow.Table, options: GlmerNbOptions = {}): Promise<GlmerNbResult> {
  const t0 = performance.now();
  const nAGQ = options.nAGQ ?? 1;
  if (nAGQ !== 1) throw new Error(`the negative binomial GLMM is fitted with the Laplace approximation (nAGQ = 1), as glmer.nb; got nAGQ = ${nAGQ}`);
  const model = nbModel(formula, data, options);
  const engine = new PirlsEngine(model.pirls);
  const steps: NbThetaStep[] = [];
  const fitAt = async (theta: number, final: boolean): Promise<GlmmFit> => {
    setTheta(model, theta);
    const timings: Record<string, number> = {};
    // the θ search needs only −2 log L; the Hessian for Var(β̂) only at the end
    const fit = await fitGlmm(model, engine, 1, { ...options, family: 'poisson', vcov: final ? options.vcov : 'RX' }, performance.now(), timings);
    steps.push({ theta, deviance: fit.objective });
    return fit;
  };
  let theta0: number | null = null;
  let theta: number;
  if (options.theta !== undefined) {
    theta = options.theta;
    negativeBinomialFamily(theta); // checks it
  } else {
    // 1. the Poisson fit and theta.ml from its fitted means
    const pois = await glmer(formula, data, { ...options, family: 'poisson', vcov: 'RX' });
    const tol = options.tol ?? 5e-5;
    const est = thetaMl(model.pirls.y, pois.fitted, { limit: 20, eps: 2 * tol });
    theta0 = est.theta;
    if (!(theta0 > 0 && Number.isFinite(theta0))) {
      throw new Error(`the starting value of the negative binomial size from the Poisson fit is ${theta0} (theta.ml${est.warning ? `: ${est.warning}` : ''}): the counts show no overdispersion to estimate`);
    }
    // 2. the NB fit at θ₀, then 3. Brent over log θ
    await fitAt(theta0, false);
    const [lo, hi] = options.interval ?? [Math.log(theta0) - 3, Math.log(theta0) + 3];
    const logTheta = await fminAsync(async (t) => (await fitAt(Math.exp(t), false)).objective, lo, hi, tol);
    theta = Math.exp(logTheta);
  }
  const fit = await fitAt(theta, true);
  const df = fit.df + (options.theta === undefined ? 1 : 0);
  fit.timings.nbTotalMs = performance.now() - t0;
  return { fit, theta, theta0, steps, deviance: fit.objective, logLik: -fit.objective / 2, AIC: fit.objective + 2 * df, df };
}
