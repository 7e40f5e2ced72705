/**
 * A glmmPQL fit as MASS returns it (class c("glmmPQL", "lme")): the last lme of the PQL iteration, on
 * its working response, with the GLM's family. Its fixed effects, their table (t tests on nlme's DF),
 * σ (the quasi-likelihood scale, estimated), VarCorr and ranef are that lme's; the log-likelihood, AIC
 * and BIC are NA (MASS: a working model's likelihood is not the GLMM's); fitted values and predictions
 * on the link scale (η = Xβ̂ + offset + Zb̂) or the response scale μ = g⁻¹(η) (MASS's
 * predict.glmmPQL type = "link" | "response"); summary() prints as R's summary(glmmPQL(...)).
 */
import type { DataInput } from '../io/dataInput.js';
import { OptionError } from '../errors/errors.js';
import type { GlmFamily } from '../glmm/family.js';
import type { LevelRanef, LevelVarCorr, LmeFit, ResidualType, TTableRow } from '../nlme/lmeFit.js';
import { formatLmeSummary } from '../nlme/summary.js';
import type { EmmGrid } from '../inference/emmeans.js';
import { type Glht, type GlhtModel, type GlhtOptions, type Linfct, glht } from '../inference/glht.js';
import { lmeGlhtModel } from '../nlme/glht.js';
import type { NlmeEmmeansOptions } from '../nlme/emmeans.js';
import { pqlEmmeans } from './emmeans.js';
import { deparseCall } from '../results/rFormat.js';

export type PqlFamilyName = 'binomial' | 'quasibinomial' | 'poisson' | 'quasipoisson' | 'Gamma';
export type PredictType = 'link' | 'response';

export interface GlmmPqlFitInit {
  /** the last lme of the iteration (its response the working response zz, varFixed(~ invwt)) */
  lme: LmeFit;
  family: GlmFamily;
  /** the family as asked for (quasipoisson and quasibinomial fit as poisson and binomial: the same PQL) */
  familyName: PqlFamilyName;
  /** the lme fits made (MASS's "iteration k" messages) */
  iterations: number;
  /** whether η converged (Σ(η − η_old)² < 1e-6 Σ η²) within niter */
  converged: boolean;
  niter: number;
  /** the fixed formula as written (the printout's "Fixed effects:" line) */
  fixedText: string;
  random: string;
  correlation: string | null;
  weights: string | null;
  dataName: string;
  messages: string[];
  ms: number;
}

export class GlmmPqlFit {
  readonly lme: LmeFit;
  readonly family: GlmFamily;
  readonly familyName: PqlFamilyName;
  readonly iterations: number;
  readonly converged: boolean;
  readonly niter: number;
  readonly fixedText: string;
  readonly random: string;
  readonly correlation: string | null;
  readonly weights: string | null;
  readonly dataName: string;
  readonly messages: string[];
  readonly ms: number;
  /** MASS sets the log-likelihood to NA: PQL maximizes no likelihood of the GLMM (AIC, BIC likewise) */
  readonly logLik = null;
  readonly AIC = null;
  readonly BIC = null;

  constructor(init: GlmmPqlFitInit) {
    this.lme = init.lme; this.family = init.family; this.familyName = init.familyName; this.iterations = init.iterations;
    this.converged = init.converged; this.niter = init.niter; this.fixedText = init.fixedText; this.random = init.random;
    this.correlation = init.correlation; this.weights = init.weights; this.dataName = init.dataName; this.messages = init.messages; this.ms = init.ms;
  }

  get nobs(): number { return this.lme.nobs; }
  get Q(): number { return this.lme.Q; }
  get ngroups(): number { return this.lme.ngroups; }
  get groupCounts(): { level: string; label: string; count: number }[] { return this.lme.groupCounts; }
  /** σ̂: the working model's residual SD, PQL's estimated scale (1 would be the binomial's and Poisson's nominal dispersion) */
  get sigma(): number { return this.lme.sigma; }
  get beta(): Float64Array { return this.lme.beta; }
  get fixef(): Record<string, number> { return this.lme.fixef; }
  get vcov(): number[][] { return this.lme.vcov; }
  get se(): number[] { return this.lme.se; }
  /** the fixed-effects table (Value, Std.Error, DF, t-value, p-value) with nlme's DF */
  get tTable(): TTableRow[] { return this.lme.tTable; }
  get varCorr(): { names: string[]; stdDev: number[]; corr: number[][] } { return this.lme.varCorr; }
  get varCorrLevels(): LevelVarCorr[] { return this.lme.varCorrLevels; }
  get ranef(): { levels: string[]; values: Record<string, number[]> } { return this.lme.ranef; }
  get ranefLevels(): LevelRanef[] { return this.lme.ranefLevels; }
  get corStruct(): LmeFit['corStruct'] { return this.lme.corStruct; }
  get varStruct(): LmeFit['varStruct'] { return this.lme.varStruct; }
  get method(): 'ML' { return 'ML'; }

  private checkType(type: unknown): PredictType {
    if (type !== 'link' && type !== 'response') throw new OptionError('type', `type must be 'link' or 'response', got ${JSON.stringify(type)}`);
    return type;
  }

  private toScale(eta: Float64Array, type: PredictType): Float64Array {
    return type === 'link' ? eta : eta.map((e) => this.family.linkinv(e));
  }

  /**
   * fitted values at level k (default the innermost, Q; 0 the population's): η = Xβ̂ + offset + the
   * random effects of the k outermost levels, or μ = g⁻¹(η) with type 'response'
   */
  fitted(options: { level?: number; type?: PredictType } = {}): Float64Array {
    return this.toScale(this.lme.fitted(options.level ?? this.Q), this.checkType(options.type ?? 'link'));
  }

  /** MASS's predict.glmmPQL: the fitted values without newdata, else the lme's predictions at newdata (with its offset), on the link or response scale */
  predict(newdata?: DataInput, options: { level?: number; type?: PredictType } = {}): Float64Array {
    const type = this.checkType(options.type ?? 'link');
    if (newdata === undefined) return this.fitted(options);
    return this.toScale(this.lme.predict(newdata, options.level ?? this.Q), type);
  }

  /** the working model's residuals (MASS's residuals of a glmmPQL fit are lme's: zz − η, pearson (zz − η)√w/σ̂) */
  residuals(options: { level?: number; type?: ResidualType } = {}): Float64Array { return this.lme.residuals(options); }

  /**
   * emmeans(fit, specs): estimated marginal means on the link scale (containment df by default; mode
   * 'asymptotic'), or with type 'response' back-transformed (prob, rate, response); pairs() and contrast() on
   * the grid (odds ratios and ratios of a logit or log link with type 'response')
   */
  emmeans(specs: string | string[], options: NlmeEmmeansOptions = {}): EmmGrid { return pqlEmmeans(this, specs, options); }

  /** multcomp's modelparm.lme of the last lme (glmmPQL's class is c("glmmPQL", "lme")), for glht(fit, linfct) */
  glhtModel(component?: string): GlhtModel {
    return lmeGlhtModel(this.lme, component, deparseCall('glmmPQL', [
      { name: 'fixed', formula: this.fixedText }, { name: 'random', formula: this.random },
      { name: 'family', code: this.familyName }, { name: 'data', code: this.dataName },
    ]));
  }

  /** multcomp's glht(fit, linfct): general linear hypotheses of the fixed effects, mcp()'s multiple comparisons (src/inference/glht.ts) */
  glht(linfct: Linfct, options: GlhtOptions = {}): Glht { return glht(this, linfct, options); }

  /** R's print(summary(glmmPQL(...))): nlme's summary of the last lme, AIC, BIC and logLik NA, the fixed formula as written */
  summary(): string {
    const lme = this.lme;
    return formatLmeSummary({
      method: 'ML', dataName: this.dataName, AIC: null, BIC: null, logLik: null, sigma: lme.sigma,
      varCorrLevels: lme.varCorrLevels, groupCounts: lme.groupCounts, corStruct: lme.corStruct, varStruct: lme.varStruct,
      fixedText: this.fixedText, tTable: lme.tTable, vcov: lme.vcov, residuals: (o) => lme.residuals(o), nobs: lme.nobs, ngroups: lme.ngroups,
    });
  }

  toJSON(): Record<string, unknown> {
    const j = this.lme.toJSON();
    return {
      call: { fn: 'glmmPQL', fixed: this.fixedText, random: this.random, family: this.familyName, link: this.family.link, correlation: this.correlation, weights: this.weights, niter: this.niter },
      logLik: null, AIC: null, BIC: null, sigma: this.sigma,
      fixed: this.tTable, vcov: this.vcov, varCorr: this.varCorr, ...(j.varCorrLevels ? { varCorrLevels: j.varCorrLevels } : {}), corStruct: this.corStruct,
      iterations: this.iterations, converged: this.converged,
      nobs: this.nobs, groups: j.groups, messages: this.messages,
    };
  }
}
