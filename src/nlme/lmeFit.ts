/**
 * An lme fit's results as nlme reports them: fixef, the fixed-effects table with nlme's DF rule,
 * VarCorr, ranef, logLik / AIC / BIC, σ, the variance function's and correlation structure's
 * estimates, fitted values and residuals (levels 0 … Q of Q nested levels of grouping; response,
 * pearson and normalized), predict on new data, summary() as nlme prints it, and a JSON-ready object.
 */
import type { LmmFit } from '../lmm/lmmFit.js';
import type { LmmModel } from '../lmm/model.js';
import type { DataInput } from '../io/dataInput.js';
import { OptionError } from '../errors/errors.js';
import { pvalueT } from '../stats/distributions.js';
import { fixedEffectsDFLevels, fixedEffectsDFTerms } from './fixDF.js';
import type { EmmGrid } from '../inference/emmeans.js';
import { type Glht, type GlhtModel, type GlhtOptions, type Linfct, glht } from '../inference/glht.js';
import { lmeGlhtModel } from './glht.js';
import { type NlmeEmmeansOptions, lmeEmmeans } from './emmeans.js';
import { type NlmeAnovaOptions, type NlmeFTable, checkAnovaOptions, fixedTermAssign, nlmeAnovaF } from './anovaF.js';
import type { RandomLevel } from './randomSpec.js';
import { deparseRhs, levelUnits, pdParameterCount } from './pdMat.js';
import { type ResidualCovariance, rowSds, whitenVector } from './whitening.js';
import { formatLmeSummary } from './summary.js';
import { type NlmeIntervals, lmeIntervals } from './intervals.js';

/** A level of grouping of the fit (outermost first) and its block of the model. */
export interface LmeLevel extends RandomLevel {
  /** the index of its block in model.blocks */
  block: number;
}

export interface LmeFitInit {
  model: LmmModel;
  rc: ResidualCovariance;
  /** the levels of grouping, outermost first */
  levels: LmeLevel[];
  /** whether the levels come from nlme's random (else from an lme4 term in the formula) */
  fromRandom: boolean;
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
  /** nlme's random argument as given (the call's; absent where the levels come from an lme4 term) */
  randomArg?: string;
  ms: number;
}

export type ResidualType = 'response' | 'pearson' | 'normalized';

export interface TTableRow { name: string; Value: number; StdError: number; DF: number; t: number; p: number }

/** One level's random effects: SDs (and correlations) as nlme's VarCorr. */
export interface LevelVarCorr {
  level: string; label: string; pd: string;
  /** the level's formula as nlme prints it (`~age`, `~Machine - 1`) */
  formula: string;
  names: string[]; stdDev: number[]; corr: number[][];
  /** pdBlocked's blocks: each one's class as nlme prints it, formula (`~Variety - 1`) and columns; the class as written (a bare formula: pdLogChol) */
  blocks?: { pd: string; formula: string; col: number; q: number; written?: string }[];
}

/** One level's conditional modes; levels named as nlme names them (`I/Golden Rain` for Variety in Block I). */
export interface LevelRanef { level: string; levels: string[]; values: Record<string, number[]> }

export class LmeFit {
  readonly model: LmmModel;
  readonly rc: ResidualCovariance;
  /** the levels of grouping, outermost first */
  readonly levels: LmeLevel[];
  readonly fromRandom: boolean;
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
  /** nlme's random argument as given, for the call (null where the levels come from an lme4 term: randomText) */
  readonly randomArg: string | null;
  readonly ms: number;
  readonly method: 'REML' | 'ML';
  /** each coefficient's denominator df (nlme's getFixDF) */
  readonly fixDF: number[];

  constructor(init: LmeFitInit) {
    this.model = init.model; this.rc = init.rc; this.levels = init.levels; this.fromRandom = init.fromRandom; this.inner = init.inner; this.theta = init.theta; this.psi = init.psi;
    this.criterion = init.criterion; this.feval = init.feval; this.converged = init.converged; this.dataName = init.dataName;
    this.fixedText = init.fixedText; this.ms = init.ms; this.randomArg = init.randomArg ?? null;
    this.method = init.model.reml ? 'REML' : 'ML';
    const { frame } = this.model;
    const levels = this.levels.map((l) => { const b = this.model.blocks[l.block]; return { codes: b.codes, M: b.levels.length }; });
    this.fixDF = fixedEffectsDFLevels(frame.X, frame.n, frame.p, levels);
  }

  get nobs(): number { return this.model.frame.n; }
  /** the number of levels of grouping (Q) */
  get Q(): number { return this.levels.length; }
  /** the innermost level's grouping variable */
  get group(): string { return this.levels[this.Q - 1].name; }
  /** the innermost level's number of groups */
  get ngroups(): number { return this.model.blocks[this.levels[this.Q - 1].block].levels.length; }
  /** each level's number of groups, outermost first (nlme's "Number of Groups:") */
  get groupCounts(): { level: string; label: string; count: number }[] {
    return this.levels.map((l) => ({ level: l.name, label: l.label, count: this.model.blocks[l.block].levels.length }));
  }
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
  /** number of parameters: β, each level's Ψ's (θ's free entries, pdIdent 1, pdCompSymm 2), the variance function's and correlation's, σ */
  get npar(): number {
    const re = this.levels.reduce((a, l) => {
      const b = this.model.blocks[l.block];
      return a + levelUnits(l, b).reduce((c, u) => c + pdParameterCount(u, b), 0);
    }, 0);
    return this.model.frame.p + re + this.rc.nPar + 1;
  }
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

  /** each level's random effects' SDs and correlations, outermost first */
  get varCorrLevels(): LevelVarCorr[] {
    return this.levels.map((l) => {
      const b = this.model.blocks[l.block];
      // Ψ/σ² = T Tᵀ, T the block's lower-triangular factor of θ (zeros outside its template)
      const q = b.q;
      const T = new Float64Array(q * q);
      for (let i = 0; i < q * q; i++) if (b.thetaIndex[i] >= 0) T[i] = this.theta[b.thetaIndex[i]];
      const S = (i: number, j: number) => { let v = 0; for (let t = 0; t < q; t++) v += T[i * q + t] * T[j * q + t]; return v; };
      const names = b.cnames;
      const stdDev = names.map((_, i) => this.sigma * Math.sqrt(S(i, i)));
      const corr = names.map((_, i) => names.map((__, j) => (i === j ? 1 : S(i, j) / Math.sqrt(S(i, i) * S(j, j)) || 0)));
      // a formula among pdBlocked's blocks is nlme's pdSymm (printed 'General positive-definite')
      const blocks = l.parts ? levelUnits(l, b).map((u) => ({ pd: u.pd === 'pdLogChol' ? 'pdSymm' : u.pd, formula: `~${deparseRhs(u.lhs)}`, col: u.col, q: u.q, written: u.pd })) : undefined;
      return { level: l.name, label: l.label, pd: l.pd, formula: this.levelFormula(l), names: [...names], stdDev, corr, ...(blocks ? { blocks } : {}) };
    });
  }

  /**
   * VarCorr: the random effects' SDs (and correlations) and the residual SD; with several levels, the
   * levels' in turn (outermost first) and their correlations as a block-diagonal matrix
   */
  get varCorr(): { names: string[]; stdDev: number[]; corr: number[][] } {
    const lv = this.varCorrLevels;
    const names = lv.flatMap((l) => l.names);
    const stdDev = lv.flatMap((l) => l.stdDev);
    const corr = names.map(() => new Array<number>(names.length).fill(0));
    let o = 0;
    for (const l of lv) {
      l.corr.forEach((r, i) => r.forEach((v, j) => { corr[o + i][o + j] = v; }));
      o += l.names.length;
    }
    return { names: [...names, 'Residual'], stdDev: [...stdDev, this.sigma], corr };
  }

  /** each level's conditional modes, outermost first, its groups named as nlme names them (`A/B`) */
  get ranefLevels(): LevelRanef[] {
    return this.levels.map((l, k) => {
      const g = this.inner.ranef.find((r) => r.group === this.model.blocks[l.block].group)!;
      return { level: l.name, levels: this.levelNames(k), values: g.values };
    });
  }

  /** the conditional modes of the random effects per group (the innermost level's) */
  get ranef(): { levels: string[]; values: Record<string, number[]> } {
    const r = this.ranefLevels[this.Q - 1];
    return { levels: r.levels, values: r.values };
  }

  /** nlme's formula of a level: random's as written (`~Machine - 1`), or of the lme4 term's columns */
  private levelFormula(l: LmeLevel): string {
    if (this.fromRandom) return `~${deparseRhs(l.lhs)}`;
    const names = this.model.blocks[l.block].cnames;
    const lhs = names.filter((c) => c !== '(Intercept)');
    return `~${lhs.length ? `${lhs.join(' + ')}${names.includes('(Intercept)') ? '' : ' - 1'}` : '1'}`;
  }

  /** level k's groups as nlme names them: the outer levels' values and its own, joined by '/' */
  private levelNames(k: number): string[] {
    const b = this.model.blocks[this.levels[k].block];
    if (k === 0) return [...b.levels];
    const names = new Array<string>(b.levels.length).fill('');
    const outer = this.levels.slice(0, k + 1).map((l) => {
      const ob = this.model.blocks[l.block];
      return { codes: ob.codes, levels: ob.levels };
    });
    // the interaction's level at a row: each level's own value, the last part of its interaction label
    const own = (lv: { codes: Int32Array; levels: string[] }, i: number, depth: number): string => {
      const label = lv.levels[lv.codes[i]];
      return depth === 0 ? label : label.slice(outer[depth - 1].levels[outer[depth - 1].codes[i]].length + 1);
    };
    for (let i = 0; i < b.codes.length; i++) {
      const c = b.codes[i];
      if (names[c] !== '') continue;
      names[c] = outer.map((lv, d) => own(lv, i, d)).join('/');
    }
    return names;
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

  private checkLevel(level: number): number {
    if (!(Number.isInteger(level) && level >= 0 && level <= this.Q)) {
      throw new OptionError('level', `level must be an integer from 0 to ${this.Q} (0: the population, ${this.Q}: the innermost level, ${this.levels[this.Q - 1].label}), got ${String(level)}`);
    }
    return level;
  }

  /**
   * fitted values at level k (nlme's fitted(fit, level = k)): Xβ̂ (+ offset) and the random effects of
   * the k outermost levels, Z_1 b̂_1 + … + Z_k b̂_k; level 0 the population's, the default the innermost
   */
  fitted(level: number = this.Q): Float64Array {
    this.checkLevel(level);
    const { frame } = this.model;
    const { n, p, X } = frame;
    const out = new Float64Array(n);
    for (let j = 0; j < p; j++) for (let i = 0; i < n; i++) out[i] += X[j * n + i] * this.beta[j];
    if (frame.offset) for (let i = 0; i < n; i++) out[i] += frame.offset[i];
    for (const l of this.levels.slice(0, level)) {
      const blk = this.model.blocks[l.block];
      const b = this.inner.conditionalModes(l.block);
      const q = blk.q;
      for (let i = 0; i < n; i++) for (let s = 0; s < q; s++) out[i] += blk.Z[i * q + s] * b[blk.codes[i] * q + s];
    }
    return out;
  }

  /**
   * residuals (nlme's residuals.lme): 'response' y − fitted, 'pearson' divided by σ̂ g_i, 'normalized'
   * L⁻¹(y − fitted)/σ̂ (the correlation's whitening too)
   */
  residuals(options: { level?: number; type?: ResidualType } = {}): Float64Array {
    const type = options.type ?? 'response';
    if (!['response', 'pearson', 'normalized'].includes(type)) throw new OptionError('type', `type must be 'response', 'pearson' or 'normalized', got ${JSON.stringify(type)}`);
    const fit = this.fitted(options.level ?? this.Q);
    const y = this.model.frame.y;
    const r = fit.map((f, i) => y[i] - f);
    if (type === 'response') return r;
    if (type === 'pearson') {
      const g = rowSds(this.rc, this.psi);
      return r.map((v, i) => v / (this.sigma * g[i]));
    }
    return whitenVector(this.rc, this.psi, r).map((v) => v / this.sigma);
  }

  /**
   * predictions for new data at level k: with the random effects of the k outermost levels (default
   * all), level 0 the population's
   */
  predict(newdata: DataInput, level: number = this.Q): Float64Array {
    this.checkLevel(level);
    if (level === 0) return this.inner.predict(newdata, { groups: false });
    if (level === this.Q) return this.inner.predict(newdata, {});
    // lme4's re.form: the terms of the k outermost levels' blocks
    const terms = this.levels.slice(0, level).flatMap((l) => {
      const b = this.model.blocks[l.block];
      return b.terms.map((t) => {
        const cn = b.cnames.slice(t.col, t.col + t.q);
        const lhs = cn.map((c) => (c === '(Intercept)' ? '1' : c));
        return `(${cn.includes('(Intercept)') ? '' : '0 + '}${lhs.join(' + ')} | ${b.group})`;
      });
    });
    return this.inner.predict(newdata, { reForm: `~ ${terms.join(' + ')}` });
  }

  /** nlme's random as text: `~age | Subject`, `list(Dog = ~day, Side = ~1)`, `list(Subject = pdDiag(~age))` */
  get randomText(): string {
    const lv = this.varCorrLevels;
    // (a bare formula is nlme's default class: pdLogChol, or pdSymm inside pdBlocked)
    const cls = (pd: string, formula: string) => (pd === 'pdLogChol' ? formula : `${pd}(${formula})`);
    const f = (k: number) => {
      const bl = lv[k].blocks;
      return bl ? `pdBlocked(list(${bl.map((b) => cls(b.written ?? b.pd, b.formula)).join(', ')}))` : cls(this.levels[k].pd, lv[k].formula);
    };
    if (this.Q === 1 && this.levels[0].pd === 'pdLogChol') return `${f(0)} | ${this.levels[0].name}`;
    return `list(${this.levels.map((l, k) => `${l.name} = ${f(k)}`).join(', ')})`;
  }

  /** what anova compares */
  get xnames(): string[] { return this.model.frame.xnames; }

  /** multcomp's modelparm.lme, for glht(fit, linfct): fixef, nlme's vcov, no df.residual */
  glhtModel(component?: string): GlhtModel { return lmeGlhtModel(this, component); }

  /** multcomp's glht(fit, linfct): general linear hypotheses of the fixed effects, mcp()'s multiple comparisons (src/inference/glht.ts) */
  glht(linfct: Linfct, options: GlhtOptions = {}): Glht { return glht(this, linfct, options); }

  /** nlme's intervals(fit): approximate confidence intervals (intervals.ts) */
  intervals(level = 0.95, step?: number): NlmeIntervals { return lmeIntervals(this, level, step); }

  /** nlme's print(summary(fit)) */
  summary(): string { return formatLmeSummary(this); }

  /** nlme's fixDF with its terms: each term's and each column's denominator DF (the terms of fixedTermAssign) */
  get fixDFTerms(): { X: number[]; terms: number[] } {
    const { frame } = this.model;
    const levels = this.levels.map((l) => { const b = this.model.blocks[l.block]; return { codes: b.codes, M: b.levels.length }; });
    return fixedEffectsDFTerms(frame.X, frame.n, frame.p, levels, fixedTermAssign(frame).assign);
  }

  /**
   * nlme's anova(fit): the Wald F test of each fixed-effects term (type 'sequential' or 'marginal') on
   * nlme's containment DF, or one joint test of `terms` or of `L` (anovaF.ts); format it with formatAnovaF
   */
  /** emmeans(fit, specs): estimated marginal means (containment df by default), with pairs() and contrast() on the grid */
  emmeans(specs: string | string[], options: NlmeEmmeansOptions = {}): EmmGrid { return lmeEmmeans(this, specs, options); }

  anova(options: NlmeAnovaOptions = {}): NlmeFTable {
    const o = checkAnovaOptions(options);
    const { n, p } = this.model.frame;
    // vcov holds an ML fit's σ̂² N/(N − p) (nlme's adjustSigma = TRUE); without it, σ̂²_ML
    const s = this.method === 'ML' && o.adjustSigma === false ? (n - p) / n : 1;
    const { termNames, assign } = fixedTermAssign(this.model.frame);
    return nlmeAnovaF({ kind: 'lme', beta: this.beta, V: this.vcov.map((r) => r.map((v) => v * s)), xnames: this.xnames, termNames, assign, denDF: this.fixDFTerms }, o);
  }

  toJSON(): Record<string, unknown> {
    return {
      call: { fn: 'lme', fixed: this.fixedText, random: this.randomText, weights: this.rc.vf?.text ?? null, correlation: this.rc.cor?.text ?? null, method: this.method },
      logLik: this.logLik, AIC: this.AIC, BIC: this.BIC, df: this.npar, sigma: this.sigma,
      fixed: this.tTable, vcov: this.vcov, varCorr: this.varCorr, ...(this.Q > 1 || this.levels[0].pd !== 'pdLogChol' ? { varCorrLevels: this.varCorrLevels } : {}), varStruct: this.varStruct, corStruct: this.corStruct,
      theta: Array.from(this.theta), psi: Array.from(this.psi),
      nobs: this.nobs, groups: Object.fromEntries(this.groupCounts.map((g) => [g.level, g.count])), feval: this.feval, converged: this.converged, messages: this.messages,
    };
  }
}
