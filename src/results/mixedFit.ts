/**
 * What a fitted mixed model is, for lmer fits (src/lmm/lmmFit.ts) and glmer fits
 * (src/glmm/glmmFit.ts) alike, with the names and meaning of lme4's accessors: fixef, vcov, se,
 * theta, VarCorr, ranef (with conditional SDs), logLik, AIC, BIC, predict (on the linear predictor's
 * scale) and the machine-readable toJSON, whose model-specific fields the subclasses add.
 */
import { type CoefGroup, coefGroups } from './coef.js';
import { type RePcaGroup, rePca } from './rePCA.js';
import { OptionError, showValue } from '../errors/errors.js';
import type { MixedModel } from '../model/mixedModel.js';
import type { BackendInfo, GpuCheck } from '../model/objective.js';
import type { ConvergenceCheck, Derivatives } from '../model/convergence.js';
import { groupCounts, matrixRows, named, ranefGroups, ranefJson, varCorrRows, type RanefGroup, type VarCorrRow } from './components.js';
import type { DataInput } from '../io/dataInput.js';
import { checkPredictCall, predictLinear, type PredictOptions } from './predict.js';
import { naPad } from './naAction.js';

/** A fit's description beyond lme4's (blme's prior lines and class, the prior's deviance). */
export interface FitAnnotation {
  /** the model class in the summary's title ('blmerMod', 'bglmerMod') */
  cls?: string;
  /** lines printed before lme4's summary */
  preamble?: string[];
  /** fields added to the JSON object (after the criterion) */
  json?: Record<string, unknown>;
}

/** What every fit holds: the estimates at the optimum and how it was reached. */
export interface MixedFitInit<M extends MixedModel = MixedModel> {
  model: M;
  /** θ at the optimum, in lme4's parametrization */
  theta: Float64Array;
  beta: Float64Array;
  /** Var(β̂), p × p row-major */
  vcov: Float64Array;
  /** conditional modes b̂ per block (nl · q, level-major) */
  b: Float64Array[];
  /**
   * their conditional covariance matrices (q × q per level), or a function that computes them on
   * first use (an LMM's, as lme4's ranef(condVar = TRUE): a fit that never reads them does not pay)
   */
  condVar: Float64Array[] | (() => Float64Array[]);
  /** the criterion at the optimum (−2ℓ, or the REML criterion) */
  objective: number;
  feval: number;
  converged: boolean;
  optimizerMessage: string;
  /** the optimizer's name (src/optim/minimizers.ts OPTIMIZER_NAMES; default 'bobyqa') */
  optimizer?: string;
  singular: boolean;
  messages: string[];
  backend: BackendInfo;
  timings: Record<string, number>;
  dataName?: string;
  /** for a device fit: its objective's error at its optimum and the float64 polish */
  gpu?: GpuCheck;
  /** a description beyond lme4's (a prior's), for the summary and the JSON */
  annotation?: FitAnnotation;
  /**
   * the criterion's central-difference gradient and Hessian at the optimum, in lme4's coordinates
   * (lme4's optinfo$derivs: lmer's θ, glmer's (θ, β)), when computed
   */
  derivs?: Derivatives | null;
  /** lme4's convergence checks on them (src/model/convergence.ts), when made */
  convergence?: ConvergenceCheck | null;
}

/** The model-specific parts of toJSON, in their places among the common fields. */
export interface JsonParts {
  /** after `formula`: the family and how it was fitted */
  head: Record<string, unknown>;
  /** after `vcov` */
  estimates?: Record<string, unknown>;
  /** after `varcorr` */
  variance?: Record<string, unknown>;
  /** after `df` */
  df?: Record<string, unknown>;
  /** after `bic`: the criterion at the optimum */
  criterion: Record<string, unknown>;
  /** after `converged` */
  optimizer?: Record<string, unknown>;
  /** after `ranef` */
  fitted?: Record<string, unknown>;
}

/**
 * A grouping factor with more levels than this is summarized in toJSON's `ranef` by default (a
 * 100M-row fit's million levels made 142 MB of JSON); `ranef: 'all'` lists every level.
 */
export const RANEF_JSON_LEVELS = 10_000;

/** How toJSON may write the random effects (JsonOptions.ranef). */
export const RANEF_MODES = ['auto', 'all', 'summary'] as const;

/** What toJSON writes. */
export interface JsonOptions {
  /**
   * the random effects: 'all' every level of every grouping factor (lme4's ranef), 'summary' a
   * summary per grouping factor, 'auto' (default) every level of a grouping factor of at most
   * RANEF_JSON_LEVELS levels and a summary beyond
   */
  ranef?: (typeof RANEF_MODES)[number];
}

/** Where A came from (#14): an SQL engine or a stream (src/gram/), else the in-memory table. */
interface SourceInfo {
  engine: string;
  rowsScanned: number;
  rowsReplayed?: number;
  queries: { stage: string; ms: number; rows: number }[];
}

export abstract class MixedFit<M extends MixedModel = MixedModel> {
  readonly model: M;
  /** θ at the optimum, in lme4's order */
  readonly theta: Float64Array;
  readonly beta: Float64Array;
  /** the criterion at the optimum: the REML criterion (REML fits) or −2ℓ */
  readonly objective: number;
  readonly feval: number;
  readonly converged: boolean;
  readonly singular: boolean;
  readonly messages: string[];
  readonly backend: BackendInfo;
  readonly timings: Record<string, number>;
  readonly optimizerMessage: string;
  /** the optimizer that ran ('bobyqa', 'Nelder_Mead', 'quasi-Newton': lmer's and glmer's optimizer.method) */
  readonly optimizer: string;
  readonly dataName?: string;
  /** for a GPU fit: the GPU objective's error at its optimum and the float64 polish */
  readonly gpuCheck?: GpuCheck;
  /** a description beyond lme4's (a prior's: blme's summary lines and class, its deviance) */
  readonly annotation?: FitAnnotation;
  /**
   * lme4's convergence checks at the optimum (optinfo$conv$lme4: codes and messages, both empty when
   * none fired), or null when they were not made (a singular fit, or lme4's rule for large data:
   * src/model/convergence.ts). Their messages are among the fit's `messages`.
   */
  readonly convergence: ConvergenceCheck | null;
  protected readonly derivs: Derivatives | null;
  /** the residual standard deviation (1 for families without a scale) */
  abstract readonly sigma: number;
  /** degrees of freedom of the likelihood */
  abstract get df(): number;
  protected readonly vcovValues: Float64Array;
  protected readonly modes: Float64Array[];
  private condVarSource: Float64Array[] | (() => Float64Array[]);

  constructor(init: MixedFitInit<M>) {
    this.model = init.model;
    this.theta = init.theta;
    this.beta = init.beta;
    this.objective = init.objective;
    this.feval = init.feval;
    this.converged = init.converged;
    this.singular = init.singular;
    this.messages = init.messages;
    this.backend = init.backend;
    this.timings = init.timings;
    this.optimizerMessage = init.optimizerMessage;
    this.optimizer = init.optimizer ?? 'bobyqa';
    this.dataName = init.dataName;
    this.gpuCheck = init.gpu;
    this.annotation = init.annotation;
    this.derivs = init.derivs ?? null;
    this.convergence = init.convergence ?? null;
    this.vcovValues = init.vcov;
    this.modes = init.b;
    this.condVarSource = init.condVar;
  }

  /** the conditional covariances of the modes, q × q per level (computed on first use where deferred) */
  protected get condVar(): Float64Array[] {
    if (typeof this.condVarSource === 'function') this.condVarSource = this.condVarSource();
    return this.condVarSource;
  }

  /**
   * the criterion's finite-difference gradient and Hessian at the optimum, when computed (lme4's
   * optinfo$derivs): lmer's in θ, glmer's in (θ, β)
   */
  get derivatives(): { gradient: number[]; hessian: number[][] } | null {
    const d = this.derivs;
    return d ? { gradient: Array.from(d.gradient), hessian: matrixRows(d.hessian, d.gradient.length) } : null;
  }

  get nobs(): number { return this.model.frame.n; }
  get formula(): string { return this.model.formula.text; }

  /** number of levels of each grouping factor */
  get ngroups(): Record<string, number> { return groupCounts(this.model.blocks, this.model.known.map((k) => k?.extraLevels ?? 0)); }

  /**
   * The grouping factors with a known covariance matrix (relmat): where K came from, its levels, and
   * how many of them have no rows in the data (a pedigree's ancestors, whose values are predicted)
   */
  get knownCovariances(): { group: string; source: string; levels: number; levels_without_data: number }[] {
    const out: { group: string; source: string; levels: number; levels_without_data: number }[] = [];
    this.model.known.forEach((k, b) => {
      if (k) out.push({ group: k.group, source: k.source, levels: this.model.blocks[b].nl, levels_without_data: k.extraLevels });
    });
    return out;
  }

  /** fixed-effect estimates by name */
  get fixef(): Record<string, number> { return named(this.model.frame.xnames, this.beta); }

  /** Var(β̂) as a p × p array of rows (lme4's vcov) */
  get vcov(): number[][] { return matrixRows(this.vcovValues, this.model.frame.p); }

  /** standard errors of the fixed effects by name */
  get se(): Record<string, number> {
    const p = this.model.frame.p;
    const v = this.vcovValues;
    return named(this.model.frame.xnames, Array.from({ length: p }, (_, r) => Math.sqrt(v[r * p + r])));
  }

  get logLik(): number { return -this.objective / 2; }
  get AIC(): number { return this.objective + 2 * this.df; }
  get BIC(): number { return this.objective + Math.log(this.nobs) * this.df; }

  /** whether the variance components scale with σ² and VarCorr has a residual row (lmer: yes; binomial, Poisson: no) */
  protected abstract readonly useScale: boolean;

  /**
   * Variance components as lme4's `as.data.frame(VarCorr(fit))`: per term, the variances of its
   * columns, then the covariances; a term whose grouping factor was already named gets `.1`, `.2`.
   */
  get varCorr(): VarCorrRow[] { return varCorrRows(this.model.frame.reTerms, this.theta, this.sigma, this.useScale); }

  /** conditional modes with conditional standard deviations, per grouping factor */
  get ranef(): RanefGroup[] { return ranefGroups(this.model.blocks, this.modes, this.condVar); }

  /** lme4's coef(): per grouping factor, each level's β̂ + b̂ (src/results/coef.ts) */
  get coef(): CoefGroup[] { return coefGroups(this.model.blocks, this.model.frame.xnames, this.beta, this.modes); }

  /** lme4's rePCA(): per grouping factor, the principal components of its relative covariance (src/results/rePCA.ts) */
  get rePCA(): RePcaGroup[] { return rePca(this.model.blocks, this.theta); }

  /** conditional modes b̂ of block k (nl · q, level-major) */
  conditionalModes(k: number): Float64Array { return this.modes[k]; }

  /** conditional covariance matrices (q × q per level) of the random effects of block k */
  conditionalCovariance(k: number): Float64Array { return this.condVar[k]; }

  /**
   * Predictions of the linear predictor for new data (lme4's predict.merMod): with the conditional
   * modes of groups seen in the fit (default), at population level (`groups: false`), some terms
   * (`reForm`), and new levels at population level with `allowNewLevels`; without new data (undefined),
   * of the fit's own rows.
   */
  predict(newdata?: DataInput, options: PredictOptions = {}): Float64Array {
    // a glmer fit's model has a family (its predict adds the option `type`)
    const pred = predictLinear(this, checkPredictCall(newdata, options, 'family' in this.model), options);
    // without new data, the fit's own rows: padded to the input's rows with naAction 'exclude'
    // (predict.merMod's napredict with the model frame's na.action)
    return newdata === undefined ? naPad(this.model.frame, pred) : pred;
  }

  /** lme4-style summary text */
  abstract summary(): string;

  /** the model-specific fields of toJSON */
  protected abstract jsonParts(): JsonParts;

  /**
   * the machine-readable result, with the field names and meaning of the lme4 reference files;
   * JSON.stringify(fit) calls it with a key (a string), which means the default options
   */
  toJSON(options?: JsonOptions | string): Record<string, unknown> {
    const ranefMode = (typeof options === 'object' && options?.ranef) || 'auto';
    if (!(RANEF_MODES as readonly string[]).includes(ranefMode)) throw new OptionError('ranef', `toJSON: ranef must be 'auto', 'all' or 'summary', not ${showValue(ranefMode)}`);
    const summarize = (nl: number) => ranefMode === 'summary' || (ranefMode === 'auto' && nl > RANEF_JSON_LEVELS);
    const s = this.jsonParts();
    return {
      formula: this.formula,
      ...s.head,
      // lme4's contrasts argument, where a factor is coded by other than treatment contrasts
      ...(this.model.frame.contrasts ? { contrasts: this.model.frame.contrasts } : {}),
      nobs: this.nobs,
      ngroups: this.ngroups,
      theta: Array.from(this.theta),
      theta_names: this.model.theta.names,
      sigma: this.sigma,
      fixef: this.fixef,
      se: this.se,
      vcov: this.vcov,
      ...s.estimates,
      varcorr: this.varCorr,
      ...s.variance,
      loglik: this.logLik,
      df: this.df,
      ...s.df,
      aic: this.AIC,
      bic: this.BIC,
      ...s.criterion,
      ...this.annotation?.json,
      singular: this.singular,
      feval: this.feval,
      converged: this.converged,
      ...s.optimizer,
      derivs: this.derivatives,
      check_conv: this.convergence,
      ranef: ranefJson(this.model.blocks, this.modes, this.condVar, summarize),
      ...(this.model.known.some((k) => k) ? { relmat: this.knownCovariances } : {}),
      ...s.fitted,
      nobs_dropped: this.model.frame.nDropped,
      ...(this.model.frame.naAction === 'exclude' ? { na_action: 'exclude' } : {}),
      ...this.engineJson(),
      backend: this.backend.name,
      device: this.backend.device,
      precision: this.backend.precision,
      messages: this.messages,
      ...(this.gpuCheck ? { gpu_check: this.gpuCheck } : {}),
      timings_ms: this.timings,
    };
  }

  /**
   * `engine`, `rows_scanned` (the rows read from the source over all passes), `rows_replayed` (the
   * stream's rows handed to a pass again from its cache, not read: 0 in memory and for the SQL
   * engines, whose every query scans) and the time of each query or pass over the rows, with the
   * rows it processed (read or replayed)
   */
  private engineJson(): Record<string, unknown> {
    const src = (this.model as { source?: SourceInfo }).source;
    if (!src) return { engine: 'memory', rows_scanned: this.model.frame.nInput, rows_replayed: 0, queries: [] };
    return { engine: src.engine, rows_scanned: src.rowsScanned, rows_replayed: src.rowsReplayed ?? 0, queries: src.queries.map((q) => ({ stage: q.stage, ms: q.ms, rows: q.rows })) };
  }
}
