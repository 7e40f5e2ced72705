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
import { type GamState, type GamView, type SmoothPlotData, gamPredict, gamView, smoothPlotData, smoothValues } from './gamView.js';
import { gamSummary } from './summary.js';
import { sTableJSON } from './smoothTable.js';
import { Gamm4GlmmFit, fitGamm4Glmm } from './gamm4Glmm.js';
import type { GlmerOptions } from '../fit/glmer.js';
import { profiledCriterion } from '../lmm/deviance.js';
import { thetaToInternal } from '../model/reparam.js';
import { referenceOf } from '../inference/fitInference.js';
import { type ReTerm, lme4TermOrder } from '../frame/modelFrame.js';

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
export class Gamm4Fit {
  /** the lmer fit of the mixed-model form */
  readonly mer: LmmFit;
  /** gamm4's gam object */
  readonly gam: GamView;
  private readonly state: GamState;

  constructor(state: GamState) {
    this.state = state;
    this.mer = state.mer;
    this.gam = state.view;
  }

  /** each smooth's grouping factor in the mer (gamm4's `Xr`, `Xr.0`, …), in the smooths' order */
  get setupGroups(): string[] {
    return this.state.setup.smooths.map((s) => s.group);
  }

  /** predict.gam(newdata, se.fit = TRUE): the parametric and smooth parts (no other random effects) with SEs */
  predict(newdata: DataInput): { fit: Float64Array; se: Float64Array } {
    return gamPredict(this.state, newdata);
  }

  /** one smooth's values and SEs at covariate values x (by its index or label) */
  smooth(which: number | string, x: ArrayLike<number>): { fit: Float64Array; se: Float64Array } {
    const k = typeof which === 'number' ? which : this.gam.smooths.findIndex((s) => s.label === which);
    if (!(k >= 0 && k < this.gam.smooths.length)) throw new OptionError('smooth', `no smooth ${String(which)} (the model's: ${this.gam.smooths.map((s) => s.label).join(', ')})`);
    return smoothValues(this.state, k, x);
  }

  /** plot.gam's data: each smooth's values ± 2 SE on `points` values over its covariate's range */
  plotData(points = 50): SmoothPlotData[] {
    if (!Number.isInteger(points) || points < 2) throw new OptionError('points', `points must be an integer of at least 2, got ${points}`);
    return smoothPlotData(this.state, points);
  }

  /**
   * lme4's criterion of the mer (REML criterion or deviance) at θ as gamm4's mer orders it (lme4's devfun
   * of gamm4's mer): each smooth's term (gamm4's (1 | Xr), a factor of r levels there) one value s of
   * Λ = s I_r, the terms in lme4's order with r as a smooth's number of levels (here its factor has one)
   */
  criterionAt(theta: ArrayLike<number>): number {
    const model = this.mer.model;
    const terms = model.frame.reTerms;
    const count = terms.reduce((c, t) => c + (t.term.smooth !== undefined ? 1 : (t.q * (t.q + 1)) / 2), 0);
    if (theta.length !== count) throw new OptionError('theta', `criterionAt: θ has ${count} values in lme4's order (a smooth's term one), not ${theta.length}`);
    // gamm4's order of the terms, and where each one's θ starts there
    const byPosition = [...terms].sort((a, b) => a.position - b.position);
    const order = lme4TermOrder(byPosition.map((t) => (t.term.smooth !== undefined ? t.q : t.levels.length))).map((k) => byPosition[k]);
    const start = new Map<ReTerm, number>();
    let at = 0;
    for (const t of order) { start.set(t, at); at += t.term.smooth !== undefined ? 1 : (t.q * (t.q + 1)) / 2; }
    const full = new Float64Array(model.theta.length);
    let off = 0;
    for (const t of terms) {
      const from = start.get(t)!;
      if (t.term.smooth !== undefined) {
        for (let j = 0; j < t.q; j++) for (let i = j; i < t.q; i++) full[off++] = i === j ? theta[from] : 0;
      } else {
        for (let e = 0; e < (t.q * (t.q + 1)) / 2; e++) full[off++] = theta[from + e];
      }
    }
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
