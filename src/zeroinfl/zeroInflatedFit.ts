/**
 * A fitted zero-inflated or hurdle count GLMM: glmmTMB's object and its summary's pieces.
 *   - the conditional and zero-inflation models' tables: estimates β̂, γ̂; SEs from Var(x̂) = H⁻¹, H the
 *     central-difference Hessian of the Laplace objective in all fixed parameters x = (β, γ, log φ, ψ)
 *     at the optimum (glmmTMB's sdreport: TMB's Hessian of the same objective, b integrated out);
 *     z = est/SE, Pr(>|z|) = 2Φ(−|z|);
 *   - the random effects' variances and SDs: SD = exp(ψ) per scalar term (glmmTMB's theta);
 *   - the NB dispersion φ = exp(log φ) (glmmTMB's sigma(), Var = μ + μ²/φ); 1 for Poisson;
 *   - logLik = −objective, df = the number of parameters, AIC = −2ℓ + 2 df, BIC = −2ℓ + log(n) df,
 *     deviance = −2ℓ (glmmTMB's summary), df.resid = n − df;
 *   - ranef: b̃ = Λũ per level, with the conditional variances Λ (L Lᵀ)⁻¹ Λᵀ (L at ũ, observed W);
 *   - predictions on the fit's rows at the conditional modes (glmmTMB's predict, re.form = NULL):
 *     'link' η = xᵀβ + o + zᵀb̃, 'conditional' the count model's mean (μ = e^η; a hurdle's truncated
 *     count: μ / (1 − f(0; μ))), 'zprob' p, 'response' (1 − p) × the conditional mean (the mean of y),
 *     as glmmTMB 1.1.5's predict.
 */
import type { DataInput } from '../io/dataInput.js';
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import { checkObject, positiveNumber } from '../options/rules.js';
import { type Overdispersion, overdispersion } from '../checks/overdispersion.js';
import { type ZeroInflation, zeroInflation } from '../checks/zeroInflation.js';
import { ziPearsonResiduals } from './pearson.js';
import type { DharmaResiduals } from '../diagnostics/dharma.js';
import { type DharmaSimulator, type SimulateResidualsOptions, simulateResiduals } from '../diagnostics/simulateResiduals.js';
import { pvalueNormal } from '../glmm/rmath.js';
import { spdInverse } from '../linalg/dense.js';
import { applyTemplate } from '../linalg/template.js';
import { conditionalVariances } from '../lmm/solution.js';
import { type ZiLaplace, condFixed, splitParameters, ziLinear } from './laplace.js';
import type { ZeroInflatedModel, ZiFamily } from './model.js';
import { formatZeroInflatedSummary } from './summary.js';
import { type ZiPredictOptions, type ZiPredictType, predictZeroInflated, ziConditionalMean } from './predict.js';
export type { ZiPredictType } from './predict.js';
import { type ZiSimulateOptions, type ZiSimulateResult, simulateZeroInflated } from './simulate.js';

export interface ZeroInflatedOptimum {
  x: Float64Array;
  objective: number;
  hessian: Float64Array;
  gradient: Float64Array;
  parNames: string[];
  evaluations: number;
  iterations: number;
  safeguardedSteps: number;
  converged: boolean;
  messages: string[];
  dataName?: string;
  elapsedMs: number;
}

export interface ZiCoefRow { name: string; estimate: number; se: number; z: number; p: number }
export interface ZiVarCorrRow { group: string; name: string; variance: number; sd: number }
export interface ZiRanef { group: string; levels: string[]; cnames: string[]; values: Float64Array; condVar: Float64Array }

export class ZeroInflatedFit {
  readonly model: ZeroInflatedModel;
  readonly family: ZiFamily;
  readonly formula: string;
  readonly ziformula: string;
  readonly nobs: number;
  /** x = (β, γ, log φ, ψ): glmmTMB's fit$par */
  readonly par: Float64Array;
  readonly parNames: string[];
  readonly beta: Float64Array;
  readonly gamma: Float64Array;
  /** the NB size φ (glmmTMB's sigma); 1 for Poisson */
  readonly sigma: number;
  /** −log L at the optimum (glmmTMB's fit$objective) */
  readonly objective: number;
  readonly logLik: number;
  readonly df: number;
  readonly AIC: number;
  readonly BIC: number;
  readonly deviance: number;
  readonly dfResid: number;
  /** Var(x̂) = H⁻¹ (NaN where H is not positive definite), row-major nPar × nPar */
  readonly vcov: Float64Array;
  readonly hessian: Float64Array;
  /** the objective's gradient at the optimum (central differences) */
  readonly gradient: Float64Array;
  readonly cond: ZiCoefRow[];
  readonly zi: ZiCoefRow[];
  readonly varCorr: ZiVarCorrRow[];
  readonly ranef: ZiRanef[];
  readonly ngroups: { group: string; levels: number }[];
  /** per row: η, μ, p */
  readonly eta: Float64Array;
  readonly mu: Float64Array;
  readonly zprob: Float64Array;
  readonly evaluations: number;
  readonly iterations: number;
  readonly safeguardedSteps: number;
  readonly converged: boolean;
  readonly messages: string[];
  readonly dataName?: string;
  readonly elapsedMs: number;

  constructor(model: ZeroInflatedModel, lap: ZiLaplace, opt: ZeroInflatedOptimum) {
    this.model = model;
    this.family = model.family;
    this.formula = model.formula.text;
    this.ziformula = model.ziText;
    this.nobs = model.n;
    this.par = Float64Array.from(opt.x);
    this.parNames = opt.parNames;
    const { beta, gamma, logPhi, psi } = splitParameters(model, opt.x);
    this.beta = beta;
    this.gamma = gamma;
    this.sigma = model.nb ? Math.exp(logPhi) : 1;
    this.objective = opt.objective;
    this.logLik = -opt.objective;
    this.df = model.nPar;
    this.AIC = -2 * this.logLik + 2 * this.df;
    this.BIC = -2 * this.logLik + Math.log(model.n) * this.df;
    this.deviance = -2 * this.logLik;
    this.dfResid = model.n - this.df;
    const nx = model.nPar;
    this.hessian = Float64Array.from(opt.hessian);
    this.gradient = Float64Array.from(opt.gradient);
    let vcov: Float64Array;
    try {
      vcov = spdInverse(opt.hessian, nx, 'the Hessian').inv;
    } catch {
      vcov = new Float64Array(nx * nx).fill(NaN);
    }
    this.vcov = vcov;
    const row = (name: string, k: number): ZiCoefRow => {
      const se = Math.sqrt(vcov[k * nx + k]);
      const z = opt.x[k] / se;
      return { name, estimate: opt.x[k], se, z, p: pvalueNormal(z) };
    };
    this.cond = model.xnames.map((v, k) => row(v, k));
    this.zi = model.zinames.map((v, k) => row(v, model.p + k));
    const terms = model.frame.reTerms;
    this.varCorr = terms.map((t, k) => {
      const sd = Math.exp(psi[k]);
      return { group: t.group, name: t.cnames[0], variance: sd * sd, sd };
    });
    const cv = conditionalVariances(lap.chol, 1);
    this.ranef = model.blocks.map((b, k) => ({
      group: terms[b.terms[0].term].group, levels: terms[b.terms[0].term].levels, cnames: b.cnames,
      values: applyTemplate(lap.T[k], b.q, b.nl, lap.u[k]), condVar: cv[k],
    }));
    const seen = new Map<string, number>();
    for (const t of terms) if (!seen.has(t.group)) seen.set(t.group, t.levels.length);
    this.ngroups = [...seen].map(([group, levels]) => ({ group, levels }));
    // predictions at the modes
    const n = model.n;
    this.eta = condFixed(model, beta);
    for (let i = 0; i < n; i++) this.eta[i] += lap.zeta[i];
    this.mu = Float64Array.from(this.eta, Math.exp);
    const lz = ziLinear(model, gamma);
    this.zprob = Float64Array.from(lz, (e) => (model.pz === 0 ? 0 : 1 / (1 + Math.exp(-e))));
    this.evaluations = opt.evaluations;
    this.iterations = opt.iterations;
    this.safeguardedSteps = opt.safeguardedSteps;
    this.converged = opt.converged;
    this.messages = opt.messages;
    if (opt.dataName !== undefined) this.dataName = opt.dataName;
    this.elapsedMs = opt.elapsedMs;
  }

  /**
   * glmmTMB's predict (predict.ts): `predict(type)` on the fit's rows (re.form = NULL) — 'response'
   * (1 − p) × the conditional mean (default), 'conditional' the count model's mean, 'zprob' p, 'link' η,
   * 'zlink' logit p — or `predict(newdata, { type, groups, allowNewLevels })` for new data (newdata null:
   * the fit's rows; `groups: false` is re.form = NA).
   */
  predict(type?: ZiPredictType): Float64Array;
  predict(newdata: DataInput | null | undefined, options?: ZiPredictOptions): Float64Array;
  predict(arg?: ZiPredictType | DataInput | null, options: ZiPredictOptions = {}): Float64Array {
    if (arg === undefined || typeof arg === 'string') return predictZeroInflated(this, null, { type: (arg ?? 'response') as ZiPredictType });
    return predictZeroInflated(this, arg, options);
  }

  /** b̃ of block k, level-major (ranef's values) */
  conditionalModes(k: number): Float64Array {
    return this.ranef[k].values;
  }

  /** The count model's mean per row at the modes: μ, or a hurdle's zero-truncated count's μ / (1 − f(0; μ)). */
  conditionalMean(): Float64Array {
    return ziConditionalMean(this.model, this.sigma, this.eta);
  }

  /** glmmTMB's residuals: 'response' y − ŷ, 'pearson' (y − ŷ)/√v (pearson.ts), at the conditional modes */
  residuals(type: 'response' | 'pearson' = 'response'): Float64Array {
    const resp = this.predict('response');
    if (type === 'response') return Float64Array.from(this.model.y, (v, i) => v - resp[i]);
    if (type === 'pearson') return ziPearsonResiduals(this.model, this.model.y, resp, this.conditionalMean(), this.zprob, this.sigma);
    throw new OptionError('type', `residuals: type ${showValue(type)} is not one of response, pearson`);
  }

  /**
   * performance 0.10.2's check_overdispersion of a glmmTMB fit: Σ r² of glmmTMB's Pearson residuals
   * against df.residual = n − (number of parameters) (src/checks/overdispersion.ts).
   */
  checkOverdispersion(): Overdispersion {
    return overdispersion(this.residuals('pearson'), this.dfResid);
  }

  /**
   * performance 0.10.2's check_zeroinflation of a glmmTMB fit: the zeros that fitted(fit) — the response
   * mean (1 − p) μ, zero model included — would give under a plain Poisson, or NB2 with size sigma(fit) for
   * the nbinom2 families (insight's is_negbin), against the observed (src/checks/zeroInflation.ts). As in
   * performance, the zero model is not counted as a source of zeros: a ZIP fit can read as "underfitting zeros".
   */
  checkZeroinflation(options: { tolerance?: number } = {}): ZeroInflation | null {
    checkObject(options, 'checkZeroinflation', { tolerance: positiveNumber });
    return zeroInflation(this.model.y, this.predict('response'), this.model.nb ? this.sigma : null, options.tolerance ?? 0.05);
  }

  /**
   * performance's model_performance is not available for these fits: its glmmTMB row needs Nakagawa's R²
   * and the ICC of a zero-inflated model (insight's get_variance for zero-inflation), not implemented here.
   */
  modelPerformance(): never {
    throw new ModelError("modelPerformance: performance's model_performance of a zero-inflated or hurdle (glmmTMB) fit needs Nakagawa's R2 and the ICC of a zero-inflated model (insight's get_variance), which are not implemented here; the fit's AIC, BIC and logLik are fit.AIC, fit.BIC, fit.logLik");
  }

  /**
   * glmmTMB 1.1.5's simulate(fit, nsim, seed): nsim responses with new random effects (default), or on
   * the fitted ones with `conditional: true` (simulate.ts).
   */
  simulate(nsim = 1, options: ZiSimulateOptions = {}): ZiSimulateResult {
    return simulateZeroInflated(this, nsim, options);
  }

  /**
   * DHARMa's simulateResiduals for this fit (src/diagnostics/simulateResiduals.ts): the simulations of
   * simulate.ts, the observed counts, getFitted's predict(type = "response", re.form = ~0), integerResponse.
   */
  simulateResiduals(options: SimulateResidualsOptions = {}): DharmaResiduals {
    return simulateResiduals(this, options);
  }

  /** what DHARMa's residuals read of this fit (src/diagnostics/simulateResiduals.ts's DharmaSimulator) */
  dharmaSimulator(conditional: boolean): DharmaSimulator {
    return {
      observed: Float64Array.from(this.model.y),
      fitted: this.predict(null, { groups: false }),
      integerResponse: true,
      simulate: (count, first, seed) => simulateZeroInflated(this, count, { seed, conditional }, first),
    };
  }

  /** glmmTMB's summary printout. */
  summary(): string {
    return formatZeroInflatedSummary(this);
  }

  toJSON(): Record<string, unknown> {
    const tab = (rows: ZiCoefRow[]) => rows.map((r) => ({ name: r.name, estimate: r.estimate, se: r.se, z: r.z, p: r.p }));
    return {
      model: 'glmmTMB', family: this.family, link: 'log', formula: this.formula, ziformula: this.ziformula,
      nobs: this.nobs, nobs_dropped: this.model.frame.nDropped,
      par: Array.from(this.par), par_names: this.parNames,
      objective: this.objective, loglik: this.logLik, df: this.df, aic: this.AIC, bic: this.BIC, deviance: this.deviance, df_resid: this.dfResid,
      cond: tab(this.cond), zi: tab(this.zi),
      varcorr: this.varCorr, sigma: this.sigma,
      vcov: Array.from({ length: this.df }, (_, r) => Array.from(this.vcov.subarray(r * this.df, (r + 1) * this.df))),
      ngroups: this.ngroups,
      evaluations: this.evaluations, inner_iterations: this.iterations, safeguarded_steps: this.safeguardedSteps,
      converged: this.converged, messages: this.messages, elapsed_ms: this.elapsedMs,
    };
  }
}
