/** A gls fit's results as nlme reports them (coefficients table with n − p df, σ, the structures' estimates, residuals, summary). */
import type { ModelFrame } from '../frame/modelFrame.js';
import { OptionError } from '../errors/errors.js';
import { pvalueT } from '../stats/distributions.js';
import type { GlsEvaluation } from './gls.js';
import { type ResidualCovariance, rowSds, whitenVector } from './whitening.js';
import { formatSummary } from './summary.js';
import { type NlmeIntervals, glsIntervals } from './intervals.js';
import type { ResidualType, TTableRow } from './lmeFit.js';
import type { EmmGrid } from '../inference/emmeans.js';
import { type Glht, type GlhtModel, type GlhtOptions, type Linfct, glht } from '../inference/glht.js';
import { glsGlhtModel } from './glht.js';
import { type NlmeEmmeansOptions, glsEmmeans } from './emmeans.js';
import { type NlmeAnovaOptions, type NlmeFTable, checkAnovaOptions, fixedTermAssign, nlmeAnovaF } from './anovaF.js';

export interface GlsFitInit {
  frame: ModelFrame; rc: ResidualCovariance; psi: Float64Array; ev: GlsEvaluation; reml: boolean;
  feval: number; converged: boolean; dataName: string; modelText: string; ms: number;
}

export class GlsFit {
  readonly frame: ModelFrame;
  readonly rc: ResidualCovariance;
  readonly psi: Float64Array;
  readonly criterion: number;
  readonly beta: Float64Array;
  readonly sigma: number;
  readonly method: 'REML' | 'ML';
  readonly feval: number;
  readonly converged: boolean;
  /** what the fit has to say beyond nlme's printout (the fitted(.) covariate's iteration: fittedIteration.ts) */
  readonly messages: string[] = [];
  readonly dataName: string;
  readonly modelText: string;
  readonly ms: number;
  private readonly XtXinv: Float64Array;

  constructor(init: GlsFitInit) {
    this.frame = init.frame; this.rc = init.rc; this.psi = init.psi; this.criterion = init.ev.criterion; this.beta = init.ev.beta;
    this.XtXinv = init.ev.XtXinv; this.feval = init.feval; this.converged = init.converged; this.dataName = init.dataName;
    this.modelText = init.modelText; this.ms = init.ms;
    this.method = init.reml ? 'REML' : 'ML';
    // σ̂² = r²/(n − p) (REML) or r²/n (ML)
    this.sigma = Math.sqrt(init.ev.pwrss / (init.frame.n - (init.reml ? init.frame.p : 0)));
  }

  get nobs(): number { return this.frame.n; }
  get xnames(): string[] { return this.frame.xnames; }
  get npar(): number { return this.frame.p + this.rc.nPar + 1; }
  get logLik(): number { return -this.criterion / 2; }
  get AIC(): number { return this.criterion + 2 * this.npar; }
  get BIC(): number { return this.criterion + Math.log(this.nobs - (this.method === 'REML' ? this.frame.p : 0)) * this.npar; }
  get fixef(): Record<string, number> { return Object.fromEntries(this.frame.xnames.map((n, j) => [n, this.beta[j]])); }
  /** Var(β̂) = σ̂² (XᵀR⁻¹X)⁻¹, an ML fit's scaled by N/(N − p) as nlme's */
  get vcov(): number[][] {
    const p = this.frame.p, s2 = this.sigma ** 2 * (this.method === 'ML' ? this.frame.n / (this.frame.n - p) : 1);
    return Array.from({ length: p }, (_, r) => Array.from({ length: p }, (__, c) => s2 * this.XtXinv[r * p + c]));
  }
  get tTable(): TTableRow[] {
    const V = this.vcov;
    const df = this.nobs - this.frame.p;
    return this.frame.xnames.map((name, j) => {
      const se = Math.sqrt(V[j][j]);
      const t = this.beta[j] / se;
      return { name, Value: this.beta[j], StdError: se, DF: df, t, p: pvalueT(t, df) };
    });
  }
  get varStruct() {
    const vf = this.rc.vf;
    return vf ? { structure: vf.structure, formula: vf.formula, ...vf.estimates(this.psi.subarray(0, vf.nPar)) } : null;
  }
  get corStruct() {
    const cor = this.rc.cor;
    return cor ? { structure: cor.structure, formula: cor.formula, ...cor.estimates(this.psi.subarray(this.rc.vf?.nPar ?? 0)) } : null;
  }
  fitted(): Float64Array {
    const { n, p, X } = this.frame;
    const out = new Float64Array(n);
    for (let j = 0; j < p; j++) for (let i = 0; i < n; i++) out[i] += X[j * n + i] * this.beta[j];
    if (this.frame.offset) for (let i = 0; i < n; i++) out[i] += this.frame.offset[i];
    return out;
  }
  residuals(options: { type?: ResidualType } = {}): Float64Array {
    const type = options.type ?? 'response';
    if (!['response', 'pearson', 'normalized'].includes(type)) throw new OptionError('type', `type must be 'response', 'pearson' or 'normalized', got ${JSON.stringify(type)}`);
    const f = this.fitted();
    const r = f.map((v, i) => this.frame.y[i] - v);
    if (type === 'response') return r;
    if (type === 'pearson') { const g = rowSds(this.rc, this.psi); return r.map((v, i) => v / (this.sigma * g[i])); }
    return whitenVector(this.rc, this.psi, r).map((v) => v / this.sigma);
  }
  /** nlme's intervals(fit): approximate confidence intervals (intervals.ts) */
  intervals(level = 0.95, step?: number): NlmeIntervals { return glsIntervals(this, level, step); }

  /**
   * nlme's anova(fit): the Wald F test of each coefficient term (type 'sequential' or 'marginal') on
   * N − p denominator DF, or one joint test of `terms` or of `L` (anovaF.ts); format it with formatAnovaF
   */
  /** emmeans(fit, specs): estimated marginal means (Satterthwaite df by default where nlme has apVar, else df.error), with pairs() and contrast() on the grid */
  emmeans(specs: string | string[], options: NlmeEmmeansOptions = {}): EmmGrid { return glsEmmeans(this, specs, options); }

  /** multcomp's modelparm.default of a gls fit, for glht(fit, linfct): coef, nlme's vcov, no df.residual */
  glhtModel(component?: string): GlhtModel { return glsGlhtModel(this, component); }

  /** multcomp's glht(fit, linfct): general linear hypotheses of the fixed effects, mcp()'s multiple comparisons (src/inference/glht.ts) */
  glht(linfct: Linfct, options: GlhtOptions = {}): Glht { return glht(this, linfct, options); }

  anova(options: NlmeAnovaOptions = {}): NlmeFTable {
    const o = checkAnovaOptions(options);
    const { n, p } = this.frame;
    // vcov holds an ML fit's σ̂² N/(N − p); adjustSigma = TRUE takes σ̂²_ML (nlme's anova.gls)
    const s = this.method === 'ML' && o.adjustSigma === true ? (n - p) / n : 1;
    const { termNames, assign } = fixedTermAssign(this.frame);
    return nlmeAnovaF({ kind: 'gls', beta: this.beta, V: this.vcov.map((r) => r.map((v) => v * s)), xnames: this.xnames, termNames, assign, denDF: n - p }, o);
  }

  summary(): string {
    return formatSummary({
      title: `Generalized least squares fit by ${this.method === 'ML' ? 'maximum likelihood' : 'REML'}`, model: this.modelText, dataName: this.dataName, AIC: this.AIC, BIC: this.BIC, logLik: this.logLik,
      random: null, corStruct: this.corStruct, varStruct: this.varStruct, fixedText: this.modelText, table: this.tTable.map(({ DF: _df, ...r }) => r),
      vcov: this.vcov, standardized: this.residuals({ type: 'pearson' }), nobs: this.nobs, ngroups: null, sigma: this.sigma,
    });
  }
  toJSON(): Record<string, unknown> {
    return {
      call: { fn: 'gls', model: this.modelText, weights: this.rc.vf?.text ?? null, correlation: this.rc.cor?.text ?? null, method: this.method },
      logLik: this.logLik, AIC: this.AIC, BIC: this.BIC, df: this.npar, sigma: this.sigma, coefficients: this.tTable, vcov: this.vcov,
      varStruct: this.varStruct, corStruct: this.corStruct, psi: Array.from(this.psi), nobs: this.nobs, feval: this.feval, converged: this.converged, messages: this.messages,
    };
  }
}
