/**
 * A fitted linear mixed model: estimates, variance components, conditional modes, fit statistics and
 * predictions, with the names and meaning of lme4's accessors (fixef, vcov, VarCorr, ranef, logLik,
 * AIC, BIC, fitted, residuals, predict).
 */
import type { DataInput } from '../options/data.js';
import type { GpuCheck, LmmModel } from '../model/fitLmm.js';
import type { ObjectiveParts } from '../model/objective.js';
import type { LmmSolution } from '../model/solution.js';
import { groupCounts, matrixRows, named, ranefGroups, termCovariance, varCorrRows, type RanefGroup, type VarCorrRow } from './components.js';
import { predictLmm, type PredictOptions } from './predict.js';
import { formatSummary } from './summary.js';

export type { VarCorrRow, RanefGroup } from './components.js';

/** Share of the total variance (intercept variances and the residual) at each level of the hierarchy. */
export interface VarianceShare {
  group: string;
  variance: number;
  /** variance / (Σ intercept variances + σ²): the intraclass correlation of this level */
  share: number;
}

export interface LmmFitInit {
  model: LmmModel;
  theta: Float64Array;
  deviance: number;
  parts: ObjectiveParts;
  solution: LmmSolution;
  condVar: Float64Array[];
  feval: number;
  converged: boolean;
  optimizerMessage: string;
  singular: boolean;
  messages: string[];
  backend: { name: string; device: string; precision: string };
  timings: Record<string, number>;
  dataName?: string;
  /** for a GPU fit: the GPU objective's error at its optimum and the float64 polish */
  gpu?: GpuCheck;
}

export class LmmFit {
  readonly model: LmmModel;
  /** θ at the optimum, in lme4's order */
  readonly theta: Float64Array;
  /** REML criterion (REML fits) or deviance −2ℓ (ML fits) at θ̂ */
  readonly objective: number;
  readonly sigma: number;
  readonly feval: number;
  readonly converged: boolean;
  readonly singular: boolean;
  readonly messages: string[];
  readonly backend: { name: string; device: string; precision: string };
  readonly timings: Record<string, number>;
  readonly optimizerMessage: string;
  readonly dataName?: string;
  /** for a GPU fit: the GPU objective's error at its optimum and the float64 polish */
  readonly gpuCheck?: GpuCheck;
  private readonly init: LmmFitInit;

  constructor(init: LmmFitInit) {
    this.init = init;
    this.model = init.model;
    this.theta = init.theta;
    this.objective = init.deviance;
    this.sigma = init.solution.sigma;
    this.feval = init.feval;
    this.converged = init.converged;
    this.singular = init.singular;
    this.messages = init.messages;
    this.backend = init.backend;
    this.timings = init.timings;
    this.optimizerMessage = init.optimizerMessage;
    this.dataName = init.dataName;
    this.gpuCheck = init.gpu;
  }

  get reml(): boolean { return this.model.reml; }
  get nobs(): number { return this.model.frame.n; }
  get formula(): string { return this.model.formula.text; }

  /** number of levels of each grouping factor */
  get ngroups(): Record<string, number> { return groupCounts(this.model.blocks); }

  /** fixed-effect estimates by name */
  get fixef(): Record<string, number> {
    return named(this.model.frame.xnames, this.init.solution.beta);
  }

  get beta(): Float64Array { return this.init.solution.beta; }

  /** Var(β̂) as a p × p array of rows */
  get vcov(): number[][] {
    return matrixRows(this.init.solution.vcov, this.model.frame.p);
  }

  /** standard errors of the fixed effects by name */
  get se(): Record<string, number> {
    const p = this.model.frame.p;
    const v = this.init.solution.vcov;
    return named(this.model.frame.xnames, Array.from({ length: p }, (_, r) => Math.sqrt(v[r * p + r])));
  }

  /** degrees of freedom of the likelihood: p + length(θ) + 1 */
  get df(): number { return this.model.frame.p + this.theta.length + 1; }

  /** log-likelihood (REML fits: the REML log-likelihood, as lme4's logLik) */
  get logLik(): number { return -this.objective / 2; }
  get AIC(): number { return this.objective + 2 * this.df; }
  get BIC(): number { return this.objective + Math.log(this.nobs) * this.df; }

  /**
   * Variance components as lme4's `as.data.frame(VarCorr(fit))`: per term, the variances of its
   * columns, then the covariances; a term whose grouping factor was already named gets `.1`, `.2`.
   */
  get varCorr(): VarCorrRow[] {
    return varCorrRows(this.model.frame.reTerms, this.theta, this.sigma, true);
  }

  /** Σ = σ² T Tᵀ of lme4 term t (q × q row-major) */
  termCovariance(t: number, s2 = this.sigma * this.sigma): Float64Array {
    return termCovariance(this.model.frame.reTerms, this.theta, t, s2);
  }

  /** Share of variance at each grouping level: intercept variances against their sum with σ². */
  get varianceShares(): VarianceShare[] {
    const rows = this.varCorr.filter((r) => r.var1 === '(Intercept)' && r.var2 === null);
    const s2 = this.sigma * this.sigma;
    const total = rows.reduce((s, r) => s + r.vcov, 0) + s2;
    return [...rows.map((r) => ({ group: r.group, variance: r.vcov, share: r.vcov / total })), { group: 'Residual', variance: s2, share: s2 / total }];
  }

  /** conditional modes with conditional standard deviations, per grouping factor */
  get ranef(): RanefGroup[] {
    return ranefGroups(this.model.blocks, this.init.solution.b, this.init.condVar);
  }

  /** conditional covariance matrices (q × q per level) of the random effects of block k */
  conditionalCovariance(k: number): Float64Array { return this.init.condVar[k]; }

  /** conditional modes b̂ of block k (nl · q, level-major) */
  conditionalModes(k: number): Float64Array { return this.init.solution.b[k]; }

  /** fitted values Xβ̂ + Zb̂ (+ offset) for the observations used */
  get fitted(): Float64Array {
    const { frame, blocks } = this.model;
    const { n, p, X } = frame;
    const beta = this.init.solution.beta;
    const out = new Float64Array(n);
    if (frame.offset) out.set(frame.offset);
    for (let r = 0; r < p; r++) {
      const br = beta[r];
      for (let i = 0; i < n; i++) out[i] += X[r * n + i] * br;
    }
    blocks.forEach((blk, k) => {
      const b = this.init.solution.b[k];
      const q = blk.q;
      for (let i = 0; i < n; i++) {
        const g = blk.codes[i];
        let acc = 0;
        for (let s = 0; s < q; s++) acc += blk.Z[i * q + s] * b[g * q + s];
        out[i] += acc;
      }
    });
    return out;
  }

  /** response residuals y − fitted (not weighted, as lme4's residuals()) */
  get residuals(): Float64Array {
    const f = this.fitted;
    const y = this.model.frame.y;
    for (let i = 0; i < f.length; i++) f[i] = y[i] - f[i];
    return f;
  }

  /** Pearson residuals √w_i (y − fitted) (lme4's residuals(fit, "pearson"); the response residuals without weights) */
  get pearsonResiduals(): Float64Array {
    const r = this.residuals;
    const w = this.model.frame.weights;
    if (w) for (let i = 0; i < r.length; i++) r[i] *= Math.sqrt(w[i]);
    return r;
  }

  /** the prior weights (one per observation used), or null for an unweighted fit */
  get weights(): Float64Array | null { return this.model.frame.weights ?? null; }

  /** the name of the prior weights' column (the summary's `Weights:` line), when given by name */
  get weightsName(): string | null { return this.model.frame.weightsName ?? null; }

  /** predictions for new data: with group effects (default), population level, new levels as population */
  predict(newdata: DataInput, options: PredictOptions = {}): Float64Array {
    return predictLmm(this, newdata, options);
  }

  /** lme4-style summary text */
  summary(): string {
    return formatSummary(this);
  }

  /** the machine-readable result, with the field names and meaning of lme4 reference files */
  toJSON(): Record<string, unknown> {
    const reml = this.reml;
    const out: Record<string, unknown> = {
      formula: this.formula,
      family: 'gaussian',
      reml,
      nobs: this.nobs,
      ngroups: this.ngroups,
      theta: Array.from(this.theta),
      theta_names: this.model.theta.names,
      sigma: this.sigma,
      fixef: this.fixef,
      se: this.se,
      vcov: this.vcov,
      varcorr: this.varCorr,
      variance_shares: this.varianceShares,
      loglik: this.logLik,
      df: this.df,
      aic: this.AIC,
      bic: this.BIC,
    };
    if (reml) out.remlcrit = this.objective;
    else out.deviance = this.objective;
    Object.assign(out, {
      singular: this.singular,
      feval: this.feval,
      converged: this.converged,
      ranef: this.ranef,
      nobs_dropped: this.model.frame.nDropped,
      backend: this.backend.name,
      device: this.backend.device,
      precision: this.backend.precision,
      messages: this.messages,
      ...(this.gpuCheck ? { gpu_check: this.gpuCheck } : {}),
      timings_ms: this.timings,
    });
    return out;
  }
}
