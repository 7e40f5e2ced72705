/**
 * A fitted cumulative link mixed model: ordinal's clmm object and its summary's pieces.
 *   - coefficients: α (thresholds' parameters), β; their table from Var = H⁻¹, H the objective's
 *     central-difference Hessian in (α, β, ψ) at the optimum (clmm's Hess = TRUE, vcov), z = est/SE,
 *     Pr(>|z|) = 2Φ(−|z|); cond.H = |λ_max/λ_min| of H;
 *   - the thresholds Θ = J_Θ α;
 *   - the random effects' variances, SDs and correlations: Σ = T Tᵀ per term (T: Λ's template);
 *   - logLik = −objective, AIC = −2ℓ + 2 edf, BIC = −2ℓ + log(nobs) edf, edf = n_α + p + n_ψ,
 *     nobs = Σ prior weights (clmm's);
 *   - ranef: b̃ = Λũ per level, condVar: Λ (L Lᵀ)⁻¹ Λᵀ's diagonal blocks (clmm's condVar);
 *   - fitted: each row's probability of its own category at the conditional modes (clmm's
 *     fitted.values), and `probabilities()`: every category's.
 */
import { pvalueNormal } from '../glmm/rmath.js';
import { type DataInput, toArrowTable } from '../io/dataInput.js';
import { newDataDesign } from '../results/predict.js';
import { spdInverse } from '../linalg/dense.js';
import { symmetricEigen } from '../linalg/symmetricEigen.js';
import { conditionalVariances } from '../lmm/solution.js';
import { applyTemplate } from '../linalg/template.js';
import type { ClmmLaplace } from './laplace.js';
import type { ClmmModel } from './model.js';
import { categoryProbabilities } from './rowKernel.js';
import { thresholdsOf } from './thresholds.js';
import { formatClmmSummary } from './summary.js';
import type { EmmGrid } from '../inference/emmeans.js';
import { type ClmmEmmeansOptions, clmmEmmeans } from './emmeans.js';

export interface ClmmOptimum {
  x: Float64Array;
  objective: number;
  nAGQ: number;
  hessian: Float64Array;
  gradient: Float64Array;
  /** the parameters the Hessian is over (those not on the boundary) */
  free: number[];
  evaluations: number;
  iterations: number;
  converged: boolean;
  messages: string[];
  dataName?: string;
  elapsedMs: number;
}

export interface CoefRow { name: string; estimate: number; se: number; z: number; p: number }
export interface VarCorrRow { group: string; name: string; variance: number; sd: number; corr: number[] }
export interface RanefTable { group: string; levels: string[]; cnames: string[]; values: Float64Array; condVar: Float64Array }

export class ClmmFit {
  readonly model: ClmmModel;
  readonly link: string;
  readonly threshold: string;
  readonly nAGQ: number;
  readonly formula: string;
  readonly nobs: number;
  /** (α, β, ψ): clmm's optRes$par */
  readonly par: Float64Array;
  readonly parNames: string[];
  readonly alpha: Float64Array;
  readonly beta: Float64Array;
  /** the thresholds Θ and their names */
  readonly Theta: Float64Array;
  readonly thetaNames: string[];
  /** lme4's θ */
  readonly theta: Float64Array;
  readonly logLik: number;
  readonly edf: number;
  readonly AIC: number;
  readonly BIC: number;
  /** the Hessian over the free parameters (names: hessianNames), row-major */
  readonly hessian: Float64Array;
  readonly hessianNames: string[];
  readonly gradient: Float64Array;
  readonly maxGrad: number;
  /** Var of the free parameters, H⁻¹ (null where H is not positive definite) */
  readonly vcov: Float64Array | null;
  readonly condH: number;
  readonly coefficients: CoefRow[];
  readonly thresholdTable: CoefRow[];
  readonly varCorr: VarCorrRow[];
  readonly ngroups: { group: string; levels: number }[];
  readonly ranef: RanefTable[];
  /** each row's probability of its observed category at the conditional modes */
  readonly fitted: Float64Array;
  readonly evaluations: number;
  readonly iterations: number;
  readonly converged: boolean;
  readonly messages: string[];
  readonly dataName?: string;
  readonly elapsedMs: number;
  readonly backend = 'cpu';
  private readonly zeta: Float64Array;
  private readonly fixedPart: Float64Array;

  constructor(model: ClmmModel, lap: ClmmLaplace, opt: ClmmOptimum) {
    this.model = model;
    const { nAlpha, p, nPsi } = model;
    this.link = model.link.name;
    this.threshold = model.thresholds.kind;
    this.nAGQ = opt.nAGQ;
    this.formula = model.formula.text;
    this.nobs = model.nobs;
    this.par = opt.x;
    const psiNames = model.ssr ? [`log(SD) ${model.blocks[0].group}`] : Array.from({ length: nPsi }, (_, k) => `ST${k + 1}`);
    this.parNames = [...model.thresholds.alphaNames, ...model.xnames, ...psiNames];
    this.alpha = opt.x.slice(0, nAlpha);
    this.beta = opt.x.slice(nAlpha, nAlpha + p);
    this.Theta = thresholdsOf(model.thresholds, this.alpha);
    this.thetaNames = model.thresholds.thetaNames;
    this.theta = Float64Array.from(lap.theta);
    this.logLik = -opt.objective;
    this.edf = nAlpha + p + nPsi;
    this.AIC = -2 * this.logLik + 2 * this.edf;
    this.BIC = -2 * this.logLik + Math.log(this.nobs) * this.edf;
    this.hessian = opt.hessian;
    this.hessianNames = opt.free.map((k) => this.parNames[k]);
    this.gradient = opt.gradient;
    this.maxGrad = opt.gradient.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
    const m = opt.free.length;
    let vcov: Float64Array | null = null;
    const finiteH = m > 0 && opt.hessian.every(Number.isFinite);
    // (clmm: "Variance-covariance matrix of the parameters is not defined" where H is not positive definite)
    if (finiteH) { try { vcov = spdInverse(opt.hessian, m, 'the Hessian').inv; } catch { vcov = null; } }
    this.vcov = vcov;
    if (vcov) {
      const ev = symmetricEigen(opt.hessian, m).values;
      this.condH = Math.abs(ev[0] / ev[m - 1]);
    } else {
      this.condH = NaN;
      opt.messages.push('the variance-covariance matrix of the parameters is not defined: the Hessian at the optimum is not positive definite (SEs are NaN)');
    }
    const row = (k: number): CoefRow => {
      const j = opt.free.indexOf(k);
      const est = opt.x[k];
      const se = vcov && j >= 0 ? Math.sqrt(vcov[j * m + j]) : NaN;
      return { name: this.parNames[k], estimate: est, se, z: est / se, p: pvalueNormal(est / se) };
    };
    this.thresholdTable = Array.from({ length: nAlpha }, (_, k) => row(k));
    this.coefficients = Array.from({ length: p }, (_, k) => row(nAlpha + k));
    // the random effects' covariance per term: Σ = T Tᵀ of the term's part of its block's template
    this.varCorr = [];
    model.frame.reTerms.forEach((t) => {
      const blockIndex = model.blocks.findIndex((b) => b.group === t.group);
      const b = model.blocks[blockIndex];
      const member = b.terms.find((mt) => model.frame.reTerms[mt.term] === t)!;
      const T = lap.T[blockIndex];
      const q = b.q;
      const S = new Float64Array(t.q * t.q);
      for (let r = 0; r < t.q; r++) for (let s = 0; s < t.q; s++) {
        let v = 0;
        for (let l = 0; l < q; l++) v += T[(member.col + r) * q + l] * T[(member.col + s) * q + l];
        S[r * t.q + s] = v;
      }
      for (let r = 0; r < t.q; r++) {
        const sd = Math.sqrt(S[r * t.q + r]);
        const corr = Array.from({ length: r }, (_, s) => S[r * t.q + s] / (sd * Math.sqrt(S[s * t.q + s])));
        this.varCorr.push({ group: t.group, name: t.cnames[r], variance: S[r * t.q + r], sd, corr });
      }
    });
    this.ngroups = model.blocks.map((b) => ({ group: b.group, levels: b.nl })).sort((a, b) => b.levels - a.levels);
    const cv = conditionalVariances(lap.chol, 1);
    this.ranef = model.blocks.map((b, k) => ({
      group: b.group, levels: b.levels, cnames: b.cnames,
      values: applyTemplate(lap.T[k], b.q, b.nl, lap.u[k]), condVar: cv[k],
    }));
    this.zeta = Float64Array.from(lap.zeta);
    // xᵀβ per row
    const n = model.n;
    this.fixedPart = new Float64Array(n);
    for (let r = 0; r < p; r++) for (let i = 0; i < n; i++) this.fixedPart[i] += this.beta[r] * model.X[r * n + i];
    const probs = categoryProbabilities(model.link, this.Theta, this.fixedPart, this.zeta);
    const J = this.Theta.length + 1;
    this.fitted = Float64Array.from({ length: n }, (_, i) => probs[i * J + model.y[i]]);
    this.evaluations = opt.evaluations;
    this.iterations = opt.iterations;
    this.converged = opt.converged;
    this.messages = opt.messages;
    this.dataName = opt.dataName;
    this.elapsedMs = opt.elapsedMs;
  }

  /** the categories in order */
  get levels(): string[] { return this.model.levels; }

  /**
   * The probability of every category for each observation used, n × J row-major: at the conditional
   * modes (default), or at the population level (b = 0) with `{ random: false }`.
   */
  probabilities(options: { random?: boolean } = {}): Float64Array {
    return categoryProbabilities(this.model.link, this.Theta, this.fixedPart, options.random === false ? null : this.zeta);
  }

  /**
   * Each category's probability for new data (n × J row-major; NaN rows where a variable is missing):
   * at the conditional modes of the rows' groups (default), or at the population level (b = 0) with
   * `{ groups: false }`; a level not seen in the fit is an error unless `allowNewLevels` (then b = 0
   * for it). ordinal has no predict method for clmm; this is its model's P(Y = j | x, b̃).
   */
  predict(newdata: DataInput, options: { groups?: boolean; allowNewLevels?: boolean } = {}): Float64Array {
    const table = toArrowTable(newdata, 'newdata');
    const design = newDataDesign({ model: this.model } as never, table, { groups: options.groups ?? true, ...(options.allowNewLevels ? { allowNewLevels: true } : {}) });
    const n = design.n;
    const p = this.model.p;
    const fixed = new Float64Array(n);
    // X's first column is the intercept, which the thresholds replace
    for (let r = 0; r < p; r++) for (let i = 0; i < n; i++) fixed[i] += this.beta[r] * design.X[(r + 1) * n + i];
    const zeta = new Float64Array(n);
    if (design.blocks) {
      design.blocks.forEach((blk, k) => {
        const q = this.model.blocks[k].q;
        const b = this.ranef[k].values;
        for (let i = 0; i < n; i++) {
          const c = blk.codes[i];
          if (c < 0) continue;
          for (let s = 0; s < q; s++) zeta[i] += blk.Z[s][i] * b[c * q + s];
        }
      });
    }
    const P = categoryProbabilities(this.model.link, this.Theta, fixed, zeta);
    const J = this.Theta.length + 1;
    for (let i = 0; i < n; i++) {
      const missing = design.missing[i] === 1 || (design.blocks?.some((blk) => blk.codes[i] === -2) ?? false);
      if (missing) P.fill(NaN, i * J, i * J + J);
    }
    return P;
  }

  /**
   * emmeans's estimated marginal means (emmeans(fit, specs, mode = …)): the latent variable's mean,
   * the linear predictor or the cumulative or exceedance probabilities per cut point, each category's
   * probability (`'~ rating | temp'`) or the mean class, with contrasts and adjustments (src/ordinal/emmeans.ts)
   */
  emmeans(specs: string | string[], options: ClmmEmmeansOptions = {}): EmmGrid {
    return clmmEmmeans(this, specs, options);
  }

  /** ordinal's summary(clmm) as text */
  summary(): string {
    return formatClmmSummary(this);
  }

  /** a plain object of the results (the CLI's --json), in the other fits' JSON style (snake_case) */
  toJSON(): Record<string, unknown> {
    const arr = (a: ArrayLike<number>) => Array.from(a);
    const row = (r: CoefRow) => ({ name: r.name, estimate: r.estimate, se: r.se, z: r.z, p: r.p });
    return {
      model: 'clmm', formula: this.formula, link: this.link, threshold: this.threshold, nagq: this.nAGQ,
      nobs: this.nobs, nobs_dropped: this.model.frame.nDropped, levels: this.levels,
      loglik: this.logLik, aic: this.AIC, bic: this.BIC, edf: this.edf,
      coefficients: this.coefficients.map(row), threshold_coefficients: this.thresholdTable.map(row),
      thresholds: Object.fromEntries(this.thetaNames.map((nm, j) => [nm, this.Theta[j]])),
      varcorr: this.varCorr.map((r) => ({ group: r.group, name: r.name, variance: r.variance, sd: r.sd, corr: r.corr })),
      ngroups: Object.fromEntries(this.ngroups.map((g) => [g.group, g.levels])),
      theta: arr(this.theta), theta_names: this.model.theta.names,
      par: Object.fromEntries(this.parNames.map((nm, k) => [nm, this.par[k]])),
      cond_h: this.condH, max_grad: this.maxGrad, hessian_names: this.hessianNames,
      vcov: this.vcov ? arr(this.vcov) : null,
      ranef: this.ranef.map((r) => ({ group: r.group, levels: r.levels, cnames: r.cnames, values: arr(r.values), cond_var: arr(r.condVar) })),
      feval: this.evaluations, newton_iterations: this.iterations, converged: this.converged,
      backend: this.backend, messages: this.messages, elapsed_ms: this.elapsedMs,
    };
  }
}
