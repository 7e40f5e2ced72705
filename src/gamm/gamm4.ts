/**
 * gamm4(formula, data, { random, REML, … }): generalized additive mixed models as gamm4 0.2-6 fits
 * them, for Gaussian responses — each penalized smooth s(x) written as a mixed model and the whole
 * fitted by lmer (Wood & Scheipl's gamm4; mgcv's smoothCon and smooth2random). Stages:
 *   gammSetup (./setup.ts: the smooths' bases and the lmer model) → lmer (src/fit/lmer.ts, any backend;
 *   the smooths' terms are homdiag terms on one-level factors) → gamView (./gamView.ts: gamm4's gam object).
 * Binomial and Poisson responses (`family`) are fitted by glmer instead (./gamm4Glmm.ts).
 */
import { OptionError } from '../errors/errors.js';
import { lmer, type LmerOptions } from '../fit/lmer.js';
import { toArrowTable, type DataInput } from '../io/dataInput.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import { gammSetup } from './setup.js';
import { type GamView, gamPredict, gamView } from './gamView.js';
import { GamFitBase, thetaFromGamm4Order } from './gamFit.js';
import { gamSummary } from './summary.js';
import { sTableJSON } from './smoothTable.js';
import { Gamm4GlmmFit, fitGamm4Glmm } from './gamm4Glmm.js';
import type { GlmerOptions } from '../fit/glmer.js';
import { profiledCriterion } from '../lmm/deviance.js';
import { thetaToInternal } from '../model/reparam.js';
import { referenceOf } from '../inference/fitInference.js';

export interface Gamm4Options extends Pick<LmerOptions, 'REML' | 'factors' | 'backend' | 'signal' | 'optimizer' | 'calcDerivs'> {
  /** the random-effects formula, gamm4's `random = ~ (1 | g)` */
  random?: string;
  /** gamm4's family: 'gaussian' (the default; lmer) */
  family?: 'gaussian';
  /** the family's link: identity */
  link?: 'identity';
}

/** gamm4's options for binomial and Poisson responses (fitted by glmer, ./gamm4Glmm.ts) */
export interface Gamm4FamilyOptions extends Pick<LmerOptions, 'factors' | 'backend' | 'signal'> {
  random?: string;
  family: 'binomial' | 'poisson';
  /** the canonical link (logit, log), the only one offered */
  link?: string;
  /** glmer's nAGQ: 1 (Laplace, gamm4's) is the only value offered */
  nAGQ?: number;
  /** false (maximum likelihood: glmer.ML); true is refused */
  REML?: boolean;
  /** glmer's stage-2 BOBYQA settings (gamm4's control): rhobeg, rhoend (default 1e-5), maxfun */
  optimizer?: GlmerOptions['optimizer'];
}

const ALLOWED = new Set(['random', 'REML', 'factors', 'backend', 'signal', 'optimizer', 'calcDerivs', 'family', 'link', 'nAGQ']);
/** the options of a binomial or Poisson fit (glmer's) */
const GLMM_ALLOWED = new Set(['random', 'REML', 'factors', 'backend', 'signal', 'family', 'link', 'nAGQ', 'optimizer']);

/** A gamm4 fit: the lmer fit (`mer`) and gamm4's gam view of it. */
export class Gamm4Fit extends GamFitBase<GamView, LmmFit> {
  /** predict.gam(newdata, se.fit = TRUE): the parametric and smooth parts (no other random effects) with SEs */
  predict(newdata: DataInput): { fit: Float64Array; se: Float64Array } {
    return gamPredict(this.state, newdata);
  }

  /**
   * lme4's criterion of the mer (REML criterion or deviance) at θ as gamm4's mer orders it (lme4's devfun
   * of gamm4's mer): each smooth's term (gamm4's (1 | Xr), a factor of r levels there) one value s of
   * Λ = s I_r, the terms in lme4's order with r as a smooth's number of levels (here its factor has one)
   */
  criterionAt(theta: ArrayLike<number>): number {
    const model = this.mer.model;
    const full = thetaFromGamm4Order(model.frame.reTerms, model.theta.length, theta, 'criterionAt');
    return profiledCriterion(model)(referenceOf(this.mer, 'criterionAt').evaluate(thetaToInternal(model, full)));
  }

  /** summary(gam)'s printout */
  summary(): string {
    return gamSummary(this.gam, this.mer);
  }

  toJSON(): Record<string, unknown> {
    const g = this.gam;
    const P = g.coefficients.length;
    return {
      formula: g.formula, n: g.n, method: this.mer.reml ? 'lmer.REML' : 'lmer.ML', criterion: g.criterion, sig2: g.sig2,
      coefficients: Object.fromEntries(g.names.map((nm, j) => [nm, g.coefficients[j]])),
      edf: Object.fromEntries(g.names.map((nm, j) => [nm, g.edf[j]])),
      Vp: Array.from({ length: P }, (_, a) => Array.from(g.Vp.subarray(a * P, (a + 1) * P))),
      smooths: g.smooths, parametric: g.parametric, r_sq: g.rSq, df_residual: g.dfResidual, scale_estimated: g.scaleEstimated,
      // summary.gam's s.table: F when the scale is estimated, else Chi.sq
      s_table: sTableJSON(g.smooths, g.scaleEstimated),
      mer: { theta: Array.from(this.mer.theta), sigma: this.mer.sigma, fixef: this.mer.fixef, varcorr: this.mer.varCorr },
    };
  }
}

/**
 * Fits a GAMM as gamm4 does: `gamm4('y ~ s(x) + z', data, { random: '~ (1 | g)' })` (Gaussian, by lmer), or
 * with `family: 'binomial' | 'poisson'` by glmer (a Gamm4GlmmFit).
 */
export async function gamm4(formula: string, input: DataInput, options?: Gamm4Options): Promise<Gamm4Fit>;
export async function gamm4(formula: string, input: DataInput, options: Gamm4FamilyOptions): Promise<Gamm4GlmmFit>;
export async function gamm4(formula: string, input: DataInput, options?: Gamm4Options | Gamm4FamilyOptions): Promise<Gamm4Fit | Gamm4GlmmFit>;
export async function gamm4(formula: string, input: DataInput, options: Gamm4Options | Gamm4FamilyOptions = {}): Promise<Gamm4Fit | Gamm4GlmmFit> {
  if (options === null || typeof options !== 'object') throw new OptionError('options', `gamm4: options must be an object, not ${options === null ? 'null' : typeof options}`);
  for (const key of Object.keys(options)) {
    if (!ALLOWED.has(key)) throw new OptionError(key, `gamm4: option '${key}' is not available (gamm4 takes ${[...ALLOWED].join(', ')})`);
  }
  const family = options.family ?? 'gaussian';
  if (family !== 'gaussian' && family !== 'binomial' && family !== 'poisson') {
    throw new OptionError('family', `gamm4: family '${String(family)}' is not available (gamm4 fits 'gaussian', 'binomial' and 'poisson' here)`);
  }
  if (family !== 'gaussian') {
    for (const key of Object.keys(options)) {
      if (!GLMM_ALLOWED.has(key)) throw new OptionError(key, `gamm4: option '${key}' is not available for the ${family} family (a GLMM fit takes ${[...GLMM_ALLOWED].join(', ')})`);
    }
  } else {
    if (options.link !== undefined && (options.link as string) !== 'identity') throw new OptionError('link', `gamm4: the gaussian family's link '${String(options.link)}' is not available (gamm4 fits a Gaussian GAMM with the identity link by lmer)`);
    if ('nAGQ' in options) throw new OptionError('nAGQ', 'gamm4: nAGQ is a glmer option (family binomial or poisson); a Gaussian GAMM is fitted by lmer');
  }
  const table = toArrowTable(input);
  const glmmFamily = options.family === 'binomial' || options.family === 'poisson' ? options.family : undefined;
  const setup = gammSetup(formula, table, options.random, options.factors, glmmFamily);
  if (options.family === 'binomial' || options.family === 'poisson') {
    return fitGamm4Glmm(setup, formula, {
      family: options.family, ...(options.link !== undefined ? { link: options.link } : {}), ...(options.nAGQ !== undefined ? { nAGQ: options.nAGQ } : {}),
      ...(options.REML !== undefined ? { REML: options.REML } : {}), ...(options.factors ? { factors: options.factors } : {}),
      ...(options.backend ? { backend: options.backend } : {}), ...(options.signal ? { signal: options.signal } : {}),
      ...(options.optimizer ? { optimizer: options.optimizer } : {}),
    });
  }
  const { random: _, family: _f, link: _l, ...lmerOptions } = options;
  void _; void _f; void _l;
  const mer = await lmer(setup.formula, setup.data, lmerOptions);
  return new Gamm4Fit(gamView(mer, setup, formula));
}
