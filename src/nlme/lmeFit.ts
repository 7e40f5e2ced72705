/**
 * An lme fit's results as nlme reports them: fixef, the fixed-effects table with nlme's DF rule,
 * VarCorr, ranef, logLik / AIC / BIC, σ, the variance function's and correlation structure's
 * estimates, fitted values and residuals (levels 0 and 1; response, pearson and normalized), predict
 * on new data, summary() as nlme prints it, and a JSON-ready object.
 */
import type { LmmFit } from '../lmm/lmmFit.js';
import type { LmmModel } from '../lmm/model.js';
import type { DataInput } from '../io/dataInput.js';
import { OptionError } from '../errors/errors.js';
import { pvalueT } from '../stats/distributions.js';
import { fixedEffectsDF } from './fixDF.js';
import { type ResidualCovariance, rowSds, whitenVector } from './whitening.js';
import { formatLmeSummary } from './summary.js';
import { type NlmeIntervals, lmeIntervals } from './intervals.js';

export interface LmeFitInit {
  model: LmmModel;
  rc: ResidualCovariance;
  /** lme4's assembly of the fit on the whitened rows (β̂, Var(β̂), σ̂, modes, predict) */
  inner: LmmFit;
  theta: Float64Array;
  psi: Float64Array;
  /** −2 × the (restricted) log-likelihood */
  criterion: number;
  feval: number;
  converged: boolean;
  dataName: string;
  fixedText: string;
  ms: number;
}

export type ResidualType = 'response' | 'pearson' | 'normalized';

export interface TTableRow { name: string; Value: number; StdError: number; DF: number; t: number; p: number }

export class LmeFit {
  readonly model: LmmModel;
  readonly rc: ResidualCovariance;
  readonly inner: LmmFit;
  readonly theta: Float64Array;
  /** the variance function's, then the correlation structure's parameters (nlme's unconstrained) */
  readonly psi: Float64Array;
  readonly criterion: number;
  readonly feval: number;
  readonly converged: boolean;
  /** what the fit has to say beyond nlme's printout (the fitted(.) covariate's iteration: fittedIteration.ts) */
  readonly messages: string[] = [];
  readonly dataName: string;
  readonly fixedText: string;
  readonly ms: number;
  readonly method: 'REML' | 'ML';
  /** each coefficient's denominator df (nlme's getFixDF) */
  readonly fixDF: number[];

  constructor(init: LmeFitInit) {
    this.model = init.model; this.rc = init.rc; this.inner = init.inner; this.theta = init.theta; this.psi = init.psi;
    this.criterion = init.criterion; this.feval = init.feval; this.converged = init.converged; this.dataName = init.dataName;
    this.fixedText = init.fixedText; this.ms = init.ms;
    this.method = init.model.reml ? 'REML' : 'ML';
    const { frame } = this.model;
    const blk = this.model.blocks[0];
    this.fixDF = fixedEffectsDF(frame.X, frame.n, frame.p, blk.codes, blk.levels.length);
  }

  get nobs(): number { return this.model.frame.n; }
  get group(): string { return this.model.blocks[0].group; }
  get ngroups(): number { return this.model.blocks[0].levels.length; }
  get sigma(): number { return this.inner.sigma; }
  get beta(): Float64Array { return this.inner.beta; }
  get fixef(): Record<string, number> { return this.inner.fixef; }
  /**
   * Var(β̂) = σ̂² (XᵀV⁻¹X)⁻¹ as nlme reports it: an ML fit's scaled by N/(N − p) (nlme's lme and gls
   * do so; lme4 does not)
   */
  get vcov(): number[][] {
    const { n, p } = this.model.frame;
    const s = this.method === 'ML' ? n / (n - p) : 1;
    return this.inner.vcov.map((r) => r.map((v) => v * s));
  }
  get se(): number[] { return this.vcov.map((r, i) => Math.sqrt(r[i])); }
  /** number of parameters: β, θ, the variance function's and correlation's, σ */
  get npar(): number { return this.model.frame.p + this.theta.length + this.rc.nPar + 1; }
  get logLik(): number { return -this.criterion / 2; }
  get AIC(): number { return this.criterion + 2 * this.npar; }
  /** nlme's BIC: log of N − p for REML, of N for ML */
  get BIC(): number { return this.criterion + Math.log(this.nobs - (this.method === 'REML' ? this.model.frame.p : 0)) * this.npar; }

  /** the fixed-effects table (nlme's summary: Value, Std.Error, DF, t-value, p-value) */
  get tTable(): TTableRow[] {
    const se = this.se;
    return this.model.frame.xnames.map((name, j) => {
      const t = this.beta[j] / se[j];
      return { name, Value: this.beta[j], StdError: se[j], DF: this.fixDF[j], t, p: pvalueT(t, this.fixDF[j]) };
    });
  }

  /** VarCorr: the random effects' SDs (and correlations) and the residual SD */
  get varCorr(): { names: string[]; stdDev: number[]; corr: number[][] } {
    const rows = this.inner.varCorr.filter((r) => r.group === this.group);
    const names = this.model.blocks[0].cnames;
    const stdDev = names.map((nm) => rows.find((r) => r.var1 === nm && r.var2 === null)!.sdcor);
    const corr = names.map((a, i) => names.map((b, j) => (i === j ? 1 : rows.find((r) => (r.var1 === a && r.var2 === b) || (r.var1 === b && r.var2 === a))?.sdcor ?? 0)));
    return { names: [...names, 'Residual'], stdDev: [...stdDev, this.sigma], corr };
  }

  /** the conditional modes of the random effects per level */
  get ranef(): { levels: string[]; values: Record<string, number[]> } {
    const g = this.inner.ranef[0];
    return { levels: g.levels, values: g.values };
  }

  /** the variance function's estimates as nlme prints them (null without one) */
  get varStruct(): { structure: string; formula: string; names: string[]; values: number[] } | null {
    const vf = this.rc.vf;
    if (!vf) return null;
    return { structure: vf.structure, formula: vf.formula, ...vf.estimates(this.psi.subarray(0, vf.nPar)) };
  }

  /** the correlation structure's estimates (null without one) */
  get corStruct(): { structure: string; formula: string; names: string[]; values: number[] } | null {
    const cor = this.rc.cor;
    if (!cor) return null;
    return { structure: cor.structure, formula: cor.formula, ...cor.estimates(this.psi.subarray(this.rc.vf?.nPar ?? 0)) };
  }

  /** fitted values: level 0 Xβ̂ (+ offset), level 1 Xβ̂ + Zb̂ (default) */
  fitted(level: 0 | 1 = 1): Float64Array {
    if (level !== 0 && level !== 1) throw new OptionError('level', `level must be 0 or 1, got ${String(level)}`);
    const { frame } = this.model;
    const { n, p, X } = frame;
    const out = new Float64Array(n);
    for (let j = 0; j < p; j++) for (let i = 0; i < n; i++) out[i] += X[j * n + i] * this.beta[j];
    if (frame.offset) for (let i = 0; i < n; i++) out[i] += frame.offset[i];
    if (level === 1) {
      const blk = this.model.blocks[0];
      const b = this.inner.conditionalModes(0);
      const q = blk.q;
      for (let i = 0; i < n; i++) for (let s = 0; s < q; s++) out[i] += blk.Z[i * q + s] * b[blk.codes[i] * q + s];
    }
    return out;
  }

  /**
   * residuals (nlme's residuals.lme): 'response' y − fitted, 'pearson' divided by σ̂ g_i, 'normalized'
   * L⁻¹(y − fitted)/σ̂ (the correlation's whitening too)
   */
  residuals(options: { level?: 0 | 1; type?: ResidualType } = {}): Float64Array {
    const type = options.type ?? 'response';
    if (!['response', 'pearson', 'normalized'].includes(type)) throw new OptionError('type', `type must be 'response', 'pearson' or 'normalized', got ${JSON.stringify(type)}`);
    const fit = this.fitted(options.level ?? 1);
    const y = this.model.frame.y;
    const r = fit.map((f, i) => y[i] - f);
    if (type === 'response') return r;
    if (type === 'pearson') {
      const g = rowSds(this.rc, this.psi);
      return r.map((v, i) => v / (this.sigma * g[i]));
    }
    return whitenVector(this.rc, this.psi, r).map((v) => v / this.sigma);
  }

  /** predictions for new data: level 1 with the groups' effects (default), level 0 the population's */
  predict(newdata: DataInput, level: 0 | 1 = 1): Float64Array {
    if (level !== 0 && level !== 1) throw new OptionError('level', `level must be 0 or 1, got ${String(level)}`);
    return this.inner.predict(newdata, level === 0 ? { groups: false } : {});
  }

  /** what anova compares */
  get xnames(): string[] { return this.model.frame.xnames; }

  /** nlme's intervals(fit): approximate confidence intervals (intervals.ts) */
  intervals(level = 0.95, step?: number): NlmeIntervals { return lmeIntervals(this, level, step); }

  /** nlme's print(summary(fit)) */
  summary(): string { return formatLmeSummary(this); }

  toJSON(): Record<string, unknown> {
    return {
      call: { fn: 'lme', fixed: this.fixedText, random: `~${this.model.blocks[0].cnames.join(' + ')} | ${this.group}`, weights: this.rc.vf?.text ?? null, correlation: this.rc.cor?.text ?? null, method: this.method },
      logLik: this.logLik, AIC: this.AIC, BIC: this.BIC, df: this.npar, sigma: this.sigma,
      fixed: this.tTable, vcov: this.vcov, varCorr: this.varCorr, varStruct: this.varStruct, corStruct: this.corStruct,
      theta: Array.from(this.theta), psi: Array.from(this.psi),
      nobs: this.nobs, groups: { [this.group]: this.ngroups }, feval: this.feval, converged: this.converged, messages: this.messages,
    };
  }
}
