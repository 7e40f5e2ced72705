/**
 * A fitted linear mixed model: the accessors every fit has (src/results/mixedFit.ts: fixef, vcov,
 * VarCorr, ranef, logLik, AIC, BIC, predict, toJSON) and the LMM's own: σ̂, REML, variance shares,
 * fitted values and residuals, prior weights, lmer's summary.
 */
import type { LmmModel } from './model.js';
import type { ObjectiveParts } from './deviance.js';
import type { LmmSolution } from './solution.js';
import { termCovariance } from '../results/components.js';
import { type StructureEstimate, structureEstimates } from '../model/covStructure.js';
import { type JsonParts, MixedFit, type MixedFitInit } from '../results/mixedFit.js';
import { formatSummary } from './summary.js';
import { naPad } from '../results/naAction.js';
import { type ResidualOptions, type ResidualType, checkResidualsCall, lmmResiduals } from '../results/residuals.js';

export type { VarCorrRow, RanefGroup } from '../results/components.js';

/** Share of the total variance (intercept variances and the residual) at each level of the hierarchy. */
export interface VarianceShare {
  group: string;
  variance: number;
  /** variance / (Σ intercept variances + σ²): the intraclass correlation of this level */
  share: number;
}

/** What an LMM fit holds besides the common parts: the criterion's pieces and the solution at θ̂. */
export interface LmmFitInit extends Omit<MixedFitInit<LmmModel>, 'beta' | 'vcov' | 'b' | 'objective'> {
  /** REML criterion (REML fits) or deviance −2ℓ (ML fits) at θ̂ */
  deviance: number;
  parts: ObjectiveParts;
  solution: LmmSolution;
  /** σ was fixed, not estimated (lmer's sigma option): the likelihood's df does not count it */
  sigmaFixed?: boolean;
}

export class LmmFit extends MixedFit<LmmModel> {
  readonly sigma: number;
  protected readonly useScale = true;
  /** log|L|², log|R_X|² and r² at θ̂ */
  readonly parts: ObjectiveParts;
  /** whether σ was fixed rather than estimated */
  readonly sigmaFixed: boolean;

  constructor(init: LmmFitInit) {
    super({ ...init, beta: init.solution.beta, vcov: init.solution.vcov, b: init.solution.b, objective: init.deviance });
    this.sigma = init.solution.sigma;
    this.parts = init.parts;
    this.sigmaFixed = init.sigmaFixed ?? false;
  }

  get reml(): boolean { return this.model.reml; }
  /**
   * degrees of freedom of the likelihood: p + length(θ) + 1 (without the 1 when σ is fixed); with
   * covariance structures, their parameters in place of θ (glmmTMB's df)
   */
  get df(): number { return this.model.frame.p + (this.model.covariance?.length ?? this.theta.length) + (this.sigmaFixed ? 0 : 1); }

  /** each structured term's estimate (glmmTMB's SDs, correlation(s) and theta), empty without structures */
  get structures(): StructureEstimate[] {
    return this.model.covariance ? structureEstimates(this.model.covariance, this.theta, this.sigma) : [];
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

  /**
   * the quantiles (Min, 1Q, Median, 3Q, Max) of the scaled Pearson residuals, when the rows are not
   * in memory (an out-of-core fit, src/gram/fit.ts, computes them by queries); else null
   */
  scaledResidualQuantiles: number[] | null = null;

  /** where the rows of an out-of-core fit are (its engine and source), null when they are in memory */
  get rowsSource(): string | null {
    const src = this.model.source;
    return src ? `${src.engine} (${src.name})` : null;
  }

  /** an error for the accessors that need the rows, when they are in an engine or a file */
  private rowsElsewhere(what: string): Error {
    return new Error(`${what}: the rows of this fit are in ${this.rowsSource}, not in memory; write the fitted values and residuals there (writeResiduals, the CLI's --residuals)`);
  }

  /**
   * Heritability of each scalar grouping factor with a known covariance (relmat: a kinship,
   * pedigree or phylogeny): σ²_b / (σ²_b + σ²), the share of the additive (or phylogenetic)
   * variance in the sum with the residual variance (Lynch & Walsh's h², Pagel's λ for a phylogeny);
   * the variance shares give each component's share of the total.
   */
  get heritability(): { group: string; variance: number; heritability: number }[] {
    const s2 = this.sigma * this.sigma;
    const out: { group: string; variance: number; heritability: number }[] = [];
    this.model.known.forEach((k, b) => {
      const blk = this.model.blocks[b];
      if (!k || blk.q !== 1 || blk.cnames[0] !== '(Intercept)') return;
      const row = this.varCorr.find((r) => r.group === k.group && r.var1 === '(Intercept)' && r.var2 === null);
      if (row) out.push({ group: k.group, variance: row.vcov, heritability: row.vcov / (row.vcov + s2) });
    });
    return out;
  }

  /** μ̂ = Xβ̂ + Zb̂ (+ offset): the fitted values of the rows used (lme4's fit@resp$mu; never padded) */
  get mu(): Float64Array {
    if (this.model.source) throw this.rowsElsewhere('fitted values');
    const { frame, blocks } = this.model;
    const { n, p, X } = frame;
    const beta = this.beta;
    const out = new Float64Array(n);
    if (frame.offset) out.set(frame.offset);
    for (let r = 0; r < p; r++) {
      const br = beta[r];
      for (let i = 0; i < n; i++) out[i] += X[r * n + i] * br;
    }
    blocks.forEach((blk, k) => {
      const b = this.modes[k];
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

  /**
   * fitted values (lme4's fitted(fit)): μ̂ of the rows used; with naAction 'exclude', one per input row
   * with NaN at the rows dropped for missing values (napredict)
   */
  get fitted(): Float64Array {
    return naPad(this.model.frame, this.mu);
  }

  /**
   * residuals as lme4's residuals(fit, type, scaled) (residuals.lmResp): 'response' (default) and
   * 'working' y − μ̂, 'pearson' and 'deviance' √w (y − μ̂); `scaled` divides by σ̂; with naAction
   * 'exclude', one per input row with NaN at the dropped rows (naresid). 'partial' is refused (lme4 stops).
   */
  residuals(type: ResidualType = 'response', options: ResidualOptions = {}): Float64Array {
    return naPad(this.model.frame, this.rowResiduals(type, options));
  }

  /** residuals(type, options) of the rows used (never padded, whatever naAction) */
  rowResiduals(type: ResidualType = 'response', options: ResidualOptions = {}): Float64Array {
    const c = checkResidualsCall(type, options, 'response');
    if (this.model.source) throw this.rowsElsewhere('residuals');
    return lmmResiduals(this.model.frame.y, this.mu, this.model.frame.weights, c.type, c.scaled ? this.sigma : 1);
  }

  /** Pearson residuals √w_i (y − μ̂) of the rows used (lme4's residuals(fit, "pearson") under na.omit) */
  get pearsonResiduals(): Float64Array {
    return this.rowResiduals('pearson');
  }

  /** the prior weights (one per observation used), or null for an unweighted fit */
  get weights(): Float64Array | null { return this.model.frame.weights ?? null; }

  /** the name of the prior weights' column (the summary's `Weights:` line), when given by name */
  get weightsName(): string | null { return this.model.frame.weightsName ?? null; }

  /** lme4-style summary text */
  summary(): string {
    return formatSummary(this);
  }

  protected jsonParts(): JsonParts {
    return {
      head: { family: 'gaussian', reml: this.reml, ...(this.sigmaFixed ? { sigma_fixed: true } : {}) },
      variance: {
        ...(this.model.covariance ? { covariance_structures: this.structures } : {}),
        variance_shares: this.varianceShares, ...(this.heritability.length > 0 ? { heritability: this.heritability } : {}) },
      criterion: this.reml ? { remlcrit: this.objective } : { deviance: this.objective },
      // after `converged`, as glmer's: the optimizer that ran (lmer's optimizer.method, by its name)
      optimizer: { optimizer: this.optimizer },
    };
  }
}
