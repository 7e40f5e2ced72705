/**
 * A fitted generalized linear mixed model with the names and meaning of lme4's accessors for a
 * glmerMod: fixef, vcov (with z values and p-values), VarCorr, ranef (with conditional SDs),
 * fitted (response scale), predict (link or response scale), residuals (deviance, Pearson,
 * working, response), logLik, AIC, BIC, deviance, and the summary.
 */
import type { DataInput } from '../options/data.js';
import type { GpuCheck } from '../model/fitLmm.js';
import type { LmmFit } from '../results/lmmFit.js';
import { groupCounts, matrixRows, named, ranefGroups, varCorrRows, type RanefGroup, type VarCorrRow } from '../results/components.js';
import { predictLmm, type PredictOptions } from '../results/predict.js';
import type { GlmmModel } from './model.js';
import type { PirlsResult } from './pirls.js';
import { pvalueNormal } from './rmath.js';
import { formatGlmmSummary } from './summary.js';

export interface GlmmFitInit {
  model: GlmmModel;
  nAGQ: number;
  theta: Float64Array;
  /** θ in the internal parametrization that PIRLS and the optimizer use (src/glmm/reparam.ts) */
  thetaInternal: Float64Array;
  beta: Float64Array;
  /** glmer's objective at the optimum: −2ℓ by Laplace (nAGQ ≤ 1) or by adaptive Gauss–Hermite quadrature */
  objective: number;
  /** the PIRLS result at the optimum */
  pirls: PirlsResult;
  /** Var(β̂), p × p row-major */
  vcov: Float64Array;
  vcovMethod: 'hessian' | 'RX';
  /** (R_XᵀR_X)⁻¹ at the optimum */
  unsc: Float64Array;
  /** the finite-difference Hessian and gradient of the deviance in (θ, β), when computed */
  hessian: Float64Array | null;
  gradient: Float64Array | null;
  u: Float64Array[];
  b: Float64Array[];
  eta: Float64Array;
  mu: Float64Array;
  condVar: Float64Array[];
  /** stage 1 (nAGQ = 0) optimum */
  stage1: { theta: Float64Array; beta: Float64Array; objective: number; feval: number; converged: boolean; message: string };
  /** objective evaluations in all (both stages and the Hessian) */
  feval: number;
  /** evaluations of stage 2 */
  feval2: number;
  converged: boolean;
  optimizerMessage: string;
  singular: boolean;
  messages: string[];
  timings: Record<string, number>;
  dataName?: string;
  /** the backend that ran the fit's weighted passes (default: the CPU, float64) */
  backend?: { name: string; device: string; precision: string };
  /** for a GPU fit: the GPU objective's error at its optimum and the float64 polish */
  gpu?: GpuCheck;
}

export interface GlmmPredictOptions extends PredictOptions {
  /** 'link' (default, as lme4's predict) or 'response' (μ) */
  type?: 'link' | 'response';
}

/** One row of the fixed-effects table: estimate, standard error, z value, Pr(>|z|). */
export interface CoefRow {
  name: string;
  estimate: number;
  se: number;
  z: number;
  p: number;
}

export class GlmmFit {
  readonly model: GlmmModel;
  readonly nAGQ: number;
  /** θ at the optimum, in lme4's order */
  readonly theta: Float64Array;
  readonly beta: Float64Array;
  /** −2ℓ at the optimum (glmer's deviance criterion: Laplace or AGQ) */
  readonly objective: number;
  /** binomial and Poisson families have no scale parameter: σ = 1 */
  readonly sigma = 1;
  readonly feval: number;
  readonly converged: boolean;
  readonly singular: boolean;
  readonly messages: string[];
  readonly timings: Record<string, number>;
  readonly optimizerMessage: string;
  readonly dataName?: string;
  /** how Var(β̂) was computed: the finite-difference Hessian (glmer's default) or R_X */
  readonly vcovMethod: 'hessian' | 'RX';
  readonly backend: { name: string; device: string; precision: string };
  /** for a GPU fit: the GPU objective's error at its optimum and the float64 polish */
  readonly gpuCheck?: GpuCheck;
  private readonly init: GlmmFitInit;

  constructor(init: GlmmFitInit) {
    this.init = init;
    this.model = init.model;
    this.nAGQ = init.nAGQ;
    this.theta = init.theta;
    this.beta = init.beta;
    this.objective = init.objective;
    this.feval = init.feval;
    this.converged = init.converged;
    this.singular = init.singular;
    this.messages = init.messages;
    this.timings = init.timings;
    this.optimizerMessage = init.optimizerMessage;
    this.dataName = init.dataName;
    this.vcovMethod = init.vcovMethod;
    this.backend = init.backend ?? { name: 'cpu', device: 'CPU (JavaScript, float64)', precision: 'float64' };
    this.gpuCheck = init.gpu;
  }

  get family(): string { return this.model.family.family; }
  get link(): string { return this.model.family.link; }
  get nobs(): number { return this.model.frame.n; }
  get formula(): string { return this.model.formula.text; }
  /** the stage-1 (nAGQ = 0) optimum */
  get stage1() { return this.init.stage1; }
  /** objective evaluations of stage 2 (θ and β together; a GPU fit's float64 polish included) */
  get feval2(): number { return this.init.feval2; }
  /** the PIRLS pieces at the optimum: log|L|², ‖ũ‖², Σ deviance residuals, aic */
  get pirls(): PirlsResult { return this.init.pirls; }

  get ngroups(): Record<string, number> { return groupCounts(this.model.blocks); }

  get fixef(): Record<string, number> { return named(this.model.frame.xnames, this.beta); }

  /** Var(β̂) as a p × p array of rows (lme4's vcov) */
  get vcov(): number[][] { return matrixRows(this.init.vcov, this.model.frame.p); }

  /** (R_XᵀR_X)⁻¹: Var(β̂) by the RX formula (lme4's vcov(fit, use.hessian = FALSE)) */
  get vcovRX(): number[][] { return matrixRows(this.init.unsc, this.model.frame.p); }

  get se(): Record<string, number> {
    const p = this.model.frame.p;
    return named(this.model.frame.xnames, Array.from({ length: p }, (_, j) => Math.sqrt(this.init.vcov[j * p + j])));
  }

  /** the fixed-effects table of the summary: estimate, standard error, z = estimate/SE, two-sided normal p-value */
  get coefficients(): CoefRow[] {
    const p = this.model.frame.p;
    return this.model.frame.xnames.map((name, j) => {
      const se = Math.sqrt(this.init.vcov[j * p + j]);
      const z = this.beta[j] / se;
      return { name, estimate: this.beta[j], se, z, p: pvalueNormal(z) };
    });
  }

  /** degrees of freedom of the likelihood: p + length(θ) */
  get df(): number { return this.model.frame.p + this.theta.length; }
  get dfResidual(): number { return this.nobs - this.df; }
  get logLik(): number { return -this.objective / 2; }
  get AIC(): number { return this.objective + 2 * this.df; }
  get BIC(): number { return this.objective + Math.log(this.nobs) * this.df; }
  /** lme4's deviance() of a GLMM: the sum of squared deviance residuals at μ̂ (not −2ℓ) */
  get deviance(): number { return this.init.pirls.devResid; }

  /** the finite-difference Hessian of the deviance in (θ, β) and its gradient, when computed */
  get derivatives(): { gradient: number[]; hessian: number[][] } | null {
    const h = this.init.hessian;
    const g = this.init.gradient;
    if (!h || !g) return null;
    return { gradient: Array.from(g), hessian: matrixRows(h, g.length) };
  }

  /** variance components as lme4's as.data.frame(VarCorr(fit)) (no residual row: σ = 1) */
  get varCorr(): VarCorrRow[] { return varCorrRows(this.model.frame.reTerms, this.theta, this.sigma, false); }

  /** conditional modes with conditional standard deviations, per grouping factor */
  get ranef(): RanefGroup[] { return ranefGroups(this.model.blocks, this.init.b, this.init.condVar); }

  /** conditional modes b̂ of block k (nl · q, level-major) */
  conditionalModes(k: number): Float64Array { return this.init.b[k]; }
  /** spherical conditional modes ũ of block k */
  sphericalModes(k: number): Float64Array { return this.init.u[k]; }
  /** conditional covariance matrices (q × q per level) of block k */
  conditionalCovariance(k: number): Float64Array { return this.init.condVar[k]; }

  /** fitted values on the response scale μ̂ (lme4's fitted) */
  get fitted(): Float64Array { return Float64Array.from(this.init.mu); }
  /** the linear predictor η̂ = offset + Xβ̂ + Zb̂ */
  get linearPredictor(): Float64Array { return Float64Array.from(this.init.eta); }

  /** residuals as lme4's residuals(fit, type): deviance (default), pearson, working, response */
  residuals(type: 'deviance' | 'pearson' | 'working' | 'response' = 'deviance'): Float64Array {
    const { family } = this.model;
    const { y, weights } = this.model.pirls;
    const mu = this.init.mu;
    const eta = this.init.eta;
    const out = new Float64Array(mu.length);
    for (let i = 0; i < mu.length; i++) {
      switch (type) {
        case 'deviance': {
          const d = Math.sqrt(Math.max(0, family.devResid(y[i], mu[i], weights[i])));
          out[i] = y[i] > mu[i] ? d : -d;
          break;
        }
        case 'pearson': out[i] = (y[i] - mu[i]) * Math.sqrt(weights[i] / family.variance(mu[i])); break;
        case 'working': out[i] = (y[i] - mu[i]) / family.muEta(eta[i]); break;
        case 'response': out[i] = y[i] - mu[i]; break;
      }
    }
    return out;
  }

  /**
   * Predictions for new data (lme4's predict.merMod): on the link scale (default) or the response
   * scale; with the conditional modes of groups seen in the fit (default), at population level
   * (`groups: false`), and new levels at population level with `allowNewLevels`.
   */
  predict(newdata: DataInput, options: GlmmPredictOptions = {}): Float64Array {
    // predictLmm reads the model structure, β̂ and b̂, which a GlmmFit has under the same names
    const eta = predictLmm(this as unknown as LmmFit, newdata, options);
    if (options.type !== 'response') return eta;
    const out = new Float64Array(eta.length);
    for (let i = 0; i < eta.length; i++) out[i] = Number.isNaN(eta[i]) ? NaN : this.model.family.linkinv(eta[i]);
    return out;
  }

  /** lme4-style summary text */
  summary(): string {
    return formatGlmmSummary(this);
  }

  /** the machine-readable result, with the field names and meaning of the lme4 reference files */
  toJSON(): Record<string, unknown> {
    return {
      formula: this.formula,
      family: this.family,
      link: this.link,
      kind: 'glmer',
      nAGQ: this.nAGQ,
      reml: false,
      nobs: this.nobs,
      ngroups: this.ngroups,
      theta: Array.from(this.theta),
      theta_names: this.model.theta.names,
      sigma: this.sigma,
      fixef: this.fixef,
      se: this.se,
      vcov: this.vcov,
      vcov_method: this.vcovMethod,
      coefficients: this.coefficients,
      varcorr: this.varCorr,
      loglik: this.logLik,
      df: this.df,
      df_resid: this.dfResidual,
      aic: this.AIC,
      bic: this.BIC,
      deviance: this.deviance,
      deviance_laplace: this.objective,
      singular: this.singular,
      feval: this.feval,
      converged: this.converged,
      optimizer: 'bobyqa',
      stage1: { theta: Array.from(this.stage1.theta), fixef: named(this.model.frame.xnames, this.stage1.beta), deviance: this.stage1.objective, feval: this.stage1.feval },
      ranef: this.ranef,
      fitted_head: Array.from(this.init.mu.subarray(0, 20)),
      resid_head: Array.from(this.residuals('deviance').subarray(0, 20)),
      nobs_dropped: this.model.frame.nDropped,
      backend: this.backend.name,
      device: this.backend.device,
      precision: this.backend.precision,
      messages: this.messages,
      ...(this.gpuCheck ? { gpu_check: this.gpuCheck } : {}),
      timings_ms: this.timings,
    };
  }
}
