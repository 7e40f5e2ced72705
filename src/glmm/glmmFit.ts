/**
 * A fitted generalized linear mixed model: the accessors every fit has (src/results/mixedFit.ts:
 * fixef, vcov, VarCorr — with a residual row only for Gamma, inverse.gaussian and gaussian —, ranef, logLik, AIC, BIC, predict, toJSON) and those
 * of lme4's glmerMod: z values and p-values, Var(β̂)'s method, fitted values on the response scale,
 * predictions on the link or response scale, residuals (deviance, Pearson, working, response),
 * deviance, the stage-1 optimum, glmer's summary.
 */
import type { DataInput } from '../io/dataInput.js';
import type { BackendInfo } from '../model/objective.js';
import { matrixRows, named } from '../results/components.js';
import { type JsonParts, MixedFit, type MixedFitInit } from '../results/mixedFit.js';
import type { PredictOptions } from '../results/predict.js';
import { naPad } from '../results/naAction.js';
import { type ResidualOptions, type ResidualType, checkResidualsCall, glmmResiduals } from '../results/residuals.js';
import type { GlmmModel } from './model.js';
import type { PirlsResult } from './pirls.js';
import { pvalueNormal } from './rmath.js';
import { familyLabel } from './family.js';
import { formatGlmmSummary } from './summary.js';
import { type StructureEstimate, structureEstimates } from '../model/covStructure.js';
import { GLMM_SIGMA } from './structured.js';
import { ModelError } from '../errors/errors.js';

export interface GlmmFitInit extends Omit<MixedFitInit<GlmmModel>, 'backend'> {
  nAGQ: number;
  /** θ in the internal parametrization that PIRLS and the optimizer use (src/model/reparam.ts) */
  thetaInternal: Float64Array;
  /** the PIRLS result at the optimum */
  pirls: PirlsResult;
  vcovMethod: 'hessian' | 'RX';
  /** (R_XᵀR_X)⁻¹ at the optimum */
  unsc: Float64Array;
  /** the finite-difference Hessian and gradient of the deviance in (θ, β), when computed */
  hessian: Float64Array | null;
  gradient: Float64Array | null;
  /** spherical conditional modes ũ per block */
  u: Float64Array[];
  eta: Float64Array;
  mu: Float64Array;
  /** stage 1 (nAGQ = 0) optimum */
  stage1: { theta: Float64Array; beta: Float64Array; objective: number; feval: number; converged: boolean; message: string };
  /** evaluations of stage 2 */
  feval2: number;
  /** the backend that ran the fit's weighted passes (default: the CPU, float64) */
  backend?: BackendInfo;
  /** σ̂ of a family with a scale (Gamma, inverse.gaussian: lme4's √(pwrss/n)); 1 (absent) otherwise */
  sigma?: number;
}

export interface GlmmPredictOptions extends PredictOptions {
  /** 'link' (default, as lme4's predict) or 'response' (μ) */
  type?: 'link' | 'response';
}

/** How glmer.nb estimated the negative binomial size θ (src/fit/glmerNb.ts). */
export interface NbThetaEstimation {
  /** theta.ml's starting value from the Poisson fit, and its warning if any */
  theta0: number;
  theta0Warning: string | null;
  /** the interval of log θ searched and the tolerance */
  interval: [number, number];
  tol: number;
  /** the fits of the search, in order (θ, −2 log L), the last at the estimate */
  steps: { theta: number; deviance: number }[];
  evaluations: number;
  /** whether the estimate is at an end of the interval */
  boundary: boolean;
}

/** One row of the fixed-effects table: estimate, standard error, z value, Pr(>|z|). */
export interface CoefRow {
  name: string;
  estimate: number;
  se: number;
  z: number;
  p: number;
}

export class GlmmFit extends MixedFit<GlmmModel> {
  readonly nAGQ: number;
  /**
   * binomial, Poisson and the negative binomial have no scale parameter: σ = 1; Gamma and
   * inverse.gaussian report lme4's σ̂ = √(pwrss/n), pwrss = Σ wt (y − μ̂)²/V(μ̂) + ‖ũ‖² (mkMerMod's
   * sigmaML), which scales VarCorr (with a Residual row), the conditional variances and the RX Var(β̂)
   */
  readonly sigma: number;
  protected readonly useScale: boolean;
  /** how Var(β̂) was computed: the finite-difference Hessian (glmer's default) or R_X */
  readonly vcovMethod: 'hessian' | 'RX';
  private readonly init: GlmmFitInit;

  constructor(init: GlmmFitInit) {
    super({
      ...init, backend: init.backend ?? { name: 'cpu', device: 'CPU (JavaScript, float64)', precision: 'float64' },
      derivs: init.hessian && init.gradient ? { gradient: init.gradient, hessian: init.hessian } : null,
    });
    this.init = init;
    this.sigma = init.sigma ?? 1;
    this.useScale = init.model.family.hasScale === true;
    this.nAGQ = init.nAGQ;
    this.vcovMethod = init.vcovMethod;
  }

  get family(): string { return this.model.family.family; }
  /** the family as lme4 names it (`Negative Binomial(2.0522)`) */
  get familyName(): string { return familyLabel(this.model.family); }
  /** the negative binomial's size θ, or null for other families */
  get nbSize(): number | null { return this.model.family.family === 'negative.binomial' ? this.model.family.theta ?? null : null; }
  /** how θ was estimated (glmer.nb), or null when it was given or the family has none */
  get thetaEstimation(): NbThetaEstimation | null { return this.nbEstimation; }
  private nbEstimation: NbThetaEstimation | null = null;

  /** glmer.nb (src/fit/glmerNb.ts): this fit is at an estimated θ, which counts as a parameter */
  recordThetaEstimation(e: NbThetaEstimation): void {
    if (this.model.family.family !== 'negative.binomial') throw new Error('internal: a θ estimate for a family without θ');
    this.nbEstimation = e;
  }
  get link(): string { return this.model.family.link; }
  /** the stage-1 (nAGQ = 0) optimum */
  get stage1() { return this.init.stage1; }
  /** objective evaluations of stage 2 (θ and β together; a GPU fit's float64 polish included) */
  get feval2(): number { return this.init.feval2; }
  /** the PIRLS pieces at the optimum: log|L|², ‖ũ‖², Σ deviance residuals, aic */
  get pirls(): PirlsResult { return this.init.pirls; }

  /** σ̂² (R_XᵀR_X)⁻¹: Var(β̂) by the RX formula (lme4's vcov(fit, use.hessian = FALSE); σ̂ = 1 without a scale) */
  get vcovRX(): number[][] {
    const s2 = this.sigma * this.sigma;
    return matrixRows(this.init.unsc.map((v) => v * s2), this.model.frame.p);
  }

  /**
   * the fixed-effects table of the summary: estimate, standard error, z = estimate/SE, two-sided normal
   * p-value (for a family with a scale lme4 heads the column "t value" and keeps the normal p-value)
   */
  get coefficients(): CoefRow[] {
    const p = this.model.frame.p;
    return this.model.frame.xnames.map((name, j) => {
      const se = Math.sqrt(this.vcovValues[j * p + j]);
      const z = this.beta[j] / se;
      return { name, estimate: this.beta[j], se, z, p: pvalueNormal(z) };
    });
  }

  /**
   * degrees of freedom of the likelihood, lme4 1.1-31's npar.merMod: p + length(θ), + 1 for a family
   * with a scale (useSc), + 1 for the negative binomial, whose size lme4 counts whether glmer.nb
   * estimated it or it was given (glmer with negative.binomial(θ): "Negative Binomial" in the family's name)
   */
  get df(): number { return this.model.frame.p + (this.model.covariance?.length ?? this.theta.length) + (this.model.family.family === 'negative.binomial' ? 1 : 0) + (this.useScale ? 1 : 0); }
  get dfResidual(): number { return this.nobs - this.df; }

  /**
   * each structured term's estimate (glmmTMB's SDs, correlation(s) and theta), empty without
   * structures: the SDs absolute (σ ≡ 1, src/glmm/structured.ts GLMM_SIGMA)
   */
  get structures(): StructureEstimate[] {
    return this.model.covariance ? structureEstimates(this.model.covariance, this.theta, GLMM_SIGMA) : [];
  }
  /** lme4's deviance() of a GLMM: the sum of squared deviance residuals at μ̂ (not −2ℓ) */
  get deviance(): number { return this.init.pirls.devResid; }

  /** spherical conditional modes ũ of block k */
  sphericalModes(k: number): Float64Array { return this.init.u[k]; }

  /** where the rows of an engine's fit are (its engine and source), null when they are in memory */
  get rowsSource(): string | null {
    const src = this.model.source;
    return src ? `${src.engine} (${src.name})` : null;
  }

  /** the state's rows (μ̂, η̂), or the error naming where they are for an engine's fit */
  private rowState(what: string): { mu: Float64Array; eta: Float64Array } {
    if (this.model.source) throw new ModelError(`${what}: the rows of this fit are in ${this.rowsSource}, not in memory; fit with the rows in memory for them (the CLI's --engine memory)`);
    return this.init;
  }

  /** μ̂ on the response scale for the rows used (lme4's fit@resp$mu; never padded) */
  get mu(): Float64Array { return Float64Array.from(this.rowState('fitted values').mu); }
  /**
   * fitted values on the response scale (lme4's fitted): μ̂ of the rows used; with naAction 'exclude',
   * one per input row with NaN at the rows dropped for missing values (napredict)
   */
  get fitted(): Float64Array { return naPad(this.model.frame, this.mu); }
  /** the linear predictor η̂ = offset + Xβ̂ + Zb̂ of the rows used */
  get linearPredictor(): Float64Array { return Float64Array.from(this.rowState('the linear predictor').eta); }

  /**
   * residuals as lme4's residuals(fit, type, scaled) (residuals.glmResp): deviance (default), pearson,
   * working, response; `scaled` divides by σ̂ (1 without a scale); with naAction 'exclude', one per
   * input row with NaN at the dropped rows (naresid). 'partial' is refused (lme4 stops).
   */
  residuals(type: ResidualType = 'deviance', options: ResidualOptions = {}): Float64Array {
    return naPad(this.model.frame, this.rowResiduals(type, options));
  }

  /** residuals(type, options) of the rows used (never padded, whatever naAction) */
  rowResiduals(type: ResidualType = 'deviance', options: ResidualOptions = {}): Float64Array {
    const c = checkResidualsCall(type, options, 'deviance');
    const { mu, eta } = this.rowState('residuals');
    const { y, weights } = this.model.pirls;
    return glmmResiduals(this.model.family, y, mu, eta, weights, c.type, c.scaled ? this.sigma : 1);
  }

  /**
   * Predictions for new data (lme4's predict.merMod): on the link scale (default) or the response
   * scale; with the conditional modes of groups seen in the fit (default), at population level
   * (`groups: false`), and new levels at population level with `allowNewLevels`.
   */
  override predict(newdata?: DataInput, options: GlmmPredictOptions = {}): Float64Array {
    const eta = super.predict(newdata, options);
    if (options.type !== 'response') return eta;
    const out = new Float64Array(eta.length);
    for (let i = 0; i < eta.length; i++) out[i] = Number.isNaN(eta[i]) ? NaN : this.model.family.linkinv(eta[i]);
    return out;
  }

  /** lme4-style summary text */
  summary(): string {
    return formatGlmmSummary(this);
  }

  protected jsonParts(): JsonParts {
    return {
      head: {
        family: this.family, link: this.link, kind: 'glmer', nAGQ: this.nAGQ, reml: false,
        ...(this.nbSize !== null ? { nb_size: this.nbSize, nb_size_estimated: this.nbEstimation !== null } : {}),
        ...(this.nbEstimation ? { nb_theta0: this.nbEstimation.theta0, nb_evaluations: this.nbEstimation.evaluations } : {}),
      },
      estimates: { vcov_method: this.vcovMethod, coefficients: this.coefficients },
      ...(this.model.covariance ? { variance: { covariance_structures: this.structures } } : {}),
      df: { df_resid: this.dfResidual },
      criterion: { deviance: this.deviance, deviance_laplace: this.objective },
      optimizer: {
        optimizer: this.optimizer,
        stage1: { theta: Array.from(this.stage1.theta), fixef: named(this.model.frame.xnames, this.stage1.beta), deviance: this.stage1.objective, feval: this.stage1.feval },
      },
      fitted: this.model.source ? {} : { fitted_head: Array.from(this.init.mu.subarray(0, 20)), resid_head: Array.from(this.rowResiduals('deviance').subarray(0, 20)) },
    };
  }
}
