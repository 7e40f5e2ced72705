/**
 * gamm4(formula, data, { random, family: 'binomial' | 'poisson' }): gamm4 0.2-6's GAMMs for binomial and
 * Poisson responses. gamm4 builds the same mixed model as for a Gaussian response (./setup.ts) and hands it
 * to glmer's devfun (mkGlmerDevfun, Laplace: nAGQ = 1) and optimizeGlmer's two stages; the smooths' terms
 * are homdiag terms on one-level factors, which glmer fits in its structured path (src/glmm/structured.ts:
 * the canonical links, Laplace; the smooth's s = θ_s ≥ 0, the family having no dispersion). Stages:
 *   gammSetup (./setup.ts) → glmer (src/fit/glmer.ts, any backend) → glmmGamView (./glmmGamView.ts).
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { glmer, type GlmerOptions } from '../fit/glmer.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { GlmmEngines } from '../glmm/objectives.js';
import { PirlsEngine } from '../glmm/pirls.js';
import { hessianObjective } from '../glmm/assemble.js';
import { glmmVarianceParameters } from '../glmm/structured.js';
import { modesToOriginal } from '../model/reparam.js';
import type { DataInput } from '../io/dataInput.js';
import { printGamSummary } from './summary.js';
import { sTableJSON } from './smoothTable.js';
import type { GammSetup } from './setup.js';
import { gamPredict } from './gamView.js';
import { GamFitBase, thetaFromGamm4Order } from './gamFit.js';
import { type GlmmGamState, type GlmmGamView, glmmGamView } from './glmmGamView.js';

/** The families gamm4 fits by glmer here, and their (canonical) links. */
export const GAMM4_GLMM_LINKS: Record<string, string> = { binomial: 'logit', poisson: 'log' };

/** R's formatC of format "g" (./summary.ts), which the printout uses */
export { formatCg } from './summary.js';

/**
 * summary(gam)'s printout of a binomial or Poisson gamm4 fit (mgcv's print.summary.gam, ./summary.ts): z tests
 * of the parametric coefficients, the smooths' Chi.sq tests (the scale known), glmer.ML = gamm4's gcv.ubre,
 * Scale est. = 1.
 */
export function glmmGamSummary(g: GlmmGamView): string {
  const t = g.parametric;
  return printGamSummary({
    family: g.family, link: g.link, formula: g.formula, statName: 'z',
    parametric: { names: t.names, estimate: t.estimate, se: t.se, stat: t.z, p: t.p },
    smooths: g.smooths, scaleEstimated: g.scaleEstimated, rSq: g.rSq,
    method: 'glmer.ML', criterion: g.criterion, scale: g.sig2, n: g.n,
  });
}

/** A binomial or Poisson gamm4 fit: the glmer fit (`mer`) and gamm4's gam view of it. */
export class Gamm4GlmmFit extends GamFitBase<GlmmGamView, GlmmFit> {
  /**
   * predict.gam(newdata, type, se.fit = TRUE): the parametric and smooth parts (no other random effects);
   * on the link scale (default) with SE sqrt(diag(X Vp Xᵀ)), or on the response scale g⁻¹(η) with the
   * delta method's SE |dμ/dη| · SE(η)
   */
  predict(newdata: DataInput, options: { type?: 'link' | 'response' } = {}): { fit: Float64Array; se: Float64Array } {
    const type = options.type ?? 'link';
    if (type !== 'link' && type !== 'response') throw new OptionError('type', `predict: type must be 'link' or 'response', not '${String(type)}'`);
    const r = gamPredict(this.state, newdata);
    if (type === 'link') return r;
    const fam = this.mer.model.family;
    return { fit: r.fit.map((e) => fam.linkinv(e)), se: r.se.map((s, i) => Math.abs(fam.muEta(r.fit[i])) * s) };
  }

  /**
   * lme4's Laplace deviance of the mer at (θ, β) as gamm4's mer orders them (its stage-2 devfun): θ in
   * lme4's order of the terms (a smooth's term one value s of Λ = s I_r, placed as a factor of r levels),
   * β in the mer's fixed effects' order
   */
  devianceAt(theta: ArrayLike<number>, beta: ArrayLike<number>): number {
    return this.pirlsAt(theta, beta, 'devianceAt').deviance;
  }

  /**
   * gamm4's gam view at (θ, β) as devianceAt takes them (lme4's order; gamm4's mer's parameters, to check the
   * view against gamm4's at its own optimum): the conditional modes and η by PIRLS there, every other input
   * of the view as at this fit's (the criterion stays this fit's deviance()).
   */
  gamAt(theta: ArrayLike<number>, beta: ArrayLike<number>): GlmmGamView {
    const r = this.pirlsAt(theta, beta, 'gamAt');
    const e = r.engines.engine;
    e.syncRows();
    // the engine's modes are the reparametrized model's: b = M b_int (src/model/reparam.ts), as glmer's fit holds them
    const model = this.mer.model;
    const modes = e.conditionalModes().map((b, k) => { const out = Float64Array.from(b); modesToOriginal(out, model.blocks[k].q, model.transforms[k]); return out; });
    const eta = Float64Array.from(e.eta);
    const betaAt = Float64Array.from(beta);
    const mer = Object.create(this.mer, {
      theta: { value: r.theta }, beta: { value: betaAt }, linearPredictor: { value: eta },
      conditionalModes: { value: (k: number) => modes[k] },
    }) as GlmmFit;
    return glmmGamView(mer, this.state.setup, this.gam.formula).view;
  }

  /** PIRLS on a fresh float64 engine at (θ, β) in lme4's order: the Laplace deviance, the engines and the internal θ */
  private pirlsAt(theta: ArrayLike<number>, beta: ArrayLike<number>, what: string): { deviance: number; engines: GlmmEngines; theta: Float64Array } {
    const model = this.mer.model;
    const terms = model.frame.reTerms;
    const full = thetaFromGamm4Order(terms, model.theta.length, theta, what);
    if (beta.length !== model.frame.p) throw new OptionError('beta', `${what}: β has ${model.frame.p} values (${model.frame.xnames.join(', ')}), not ${beta.length}`);
    const variance = glmmVarianceParameters(model);
    const v = variance.fromTheta(full);
    const z = new Float64Array(v.length + beta.length);
    z.set(v);
    z.set(Array.from(beta), v.length);
    const e = new GlmmEngines(model, new PirlsEngine(model.pirls), undefined, undefined);
    return { deviance: hessianObjective(e, null)(z), engines: e, theta: full };
  }

  /** summary(gam)'s printout */
  summary(): string {
    return glmmGamSummary(this.gam);
  }

  toJSON(): Record<string, unknown> {
    const g = this.gam;
    const P = g.coefficients.length;
    return {
      formula: g.formula, family: g.family, link: g.link, n: g.n, method: 'glmer.ML', criterion: g.criterion, sig2: g.sig2,
      coefficients: Object.fromEntries(g.names.map((nm, j) => [nm, g.coefficients[j]])),
      edf: Object.fromEntries(g.names.map((nm, j) => [nm, g.edf[j]])),
      Vp: Array.from({ length: P }, (_, a) => Array.from(g.Vp.subarray(a * P, (a + 1) * P))),
      smooths: g.smooths, parametric: g.parametric, r_sq: g.rSq, df_residual: g.dfResidual, scale_estimated: g.scaleEstimated,
      // summary.gam's s.table (the scale known: Chi.sq)
      s_table: sTableJSON(g.smooths, g.scaleEstimated),
      mer: { theta: Array.from(this.mer.theta), fixef: this.mer.fixef, varcorr: this.mer.varCorr, deviance: this.mer.objective },
    };
  }
}

/** The glmer options gamm4 passes through for a binomial or Poisson GAMM. */
export type Gamm4GlmmOptions = Pick<GlmerOptions, 'factors' | 'backend' | 'signal' | 'optimizer'> & { family: 'binomial' | 'poisson'; link?: string; nAGQ?: number; REML?: boolean };

/** Stage: the setup → the glmer fit (Laplace) → gamm4's gam view. */
export async function fitGamm4Glmm(setup: GammSetup, formula: string, options: Gamm4GlmmOptions): Promise<Gamm4GlmmFit> {
  const { family } = options;
  const canonical = GAMM4_GLMM_LINKS[family];
  if (!canonical) throw new OptionError('family', `gamm4: family '${String(family)}' is not available (gamm4 fits 'gaussian', 'binomial' and 'poisson' here)`);
  if (options.link !== undefined && options.link !== canonical) {
    throw new OptionError('link', `gamm4: the ${family} family's link '${String(options.link)}' is not available: a smooth's penalized part is fitted in glmer's structured path, which needs the canonical link (${family}: ${canonical}) for lme4's Laplace deviance to be the one glmer's structures are checked against`);
  }
  if (options.nAGQ !== undefined && options.nAGQ !== 1) {
    throw new OptionError('nAGQ', `gamm4: nAGQ = ${String(options.nAGQ)} is not available: gamm4 fits by the Laplace approximation (nAGQ = 1; glmer's adaptive quadrature integrates a single scalar random-effects term, and a smooth is not one)`);
  }
  if (options.REML === true) {
    throw new OptionError('REML', `gamm4: REML is not available for the ${family} family: gamm4 fits a GLMM by glmer's Laplace approximation to the likelihood (glmer.ML)`);
  }
  if (setup.formula.offsets.length > 0) throw new ModelError('gamm4: offset() is not available for a binomial or Poisson GAMM here (its gam view and predictions are not checked against gamm4 with an offset)');
  const mer = await glmer(setup.formula, setup.data, {
    family, link: canonical as GlmerOptions['link'], nAGQ: 1,
    ...(options.factors ? { factors: options.factors } : {}),
    ...(options.backend ? { backend: options.backend } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.optimizer ? { optimizer: options.optimizer } : {}),
  });
  return new Gamm4GlmmFit(glmmGamView(mer, setup, formula));
}
