/**
 * afex's mixed() (afex 1.2-1): one table of type 3 (or 2) tests of the fixed-effects terms of a mixed
 * model for factorial designs, composed of this library's pieces:
 *   the formula → afex's parts (formulaParts.ts) → the model frame of the data (which variables are
 *   factors, the rows used) → check_contrasts (contr.sum for every factor; afexData.ts) and the random
 *   part (factors of its terms coded as afex codes them; expand_re) → the fits (lmer, glmer) → the tests:
 *  - "KR", "S": lmerTest's anova of the full model (REML unless REML = false), Kenward–Roger's or
 *    Satterthwaite's denominator df, type 3 or 2 (src/inference/fitInference.ts anovaTable); with
 *    test_intercept and KR, car::Anova's row of the intercept, its F test of β₀ = 0 by Kenward–Roger
 *    (contrastTest); afex refuses both for a GLMM;
 *  - "LRT": the nested fits of nestedDesigns.ts (X with a term's columns removed; ML fits, afex sets
 *    REML = FALSE), each against its full model by lme4's anova:
 *      χ² = 2 max(0, ℓ_full − ℓ_restricted) on npar_full − npar_restricted df;
 *  - "PB": the same pairs by pbkrtest's PBmodcomp (src/inference/pbModcomp.ts for lmer, pbGlmm.ts for
 *    glmer), args_test's nsim and seed; our draws are not R's;
 *  - "nested-KR": the same nested designs fitted by REML (afex leaves lmer's REML = TRUE), each pair by
 *    pbkrtest's KRmodcomp (src/inference/modcomp.ts): the restriction Lβ = 0 of the columns the nested
 *    model drops, tested at the full model's REML fit with Kenward–Roger's scaled F,
 *      F = F.scaling · (Lβ̂)ᵀ (L Φ_A Lᵀ)⁻¹ (Lβ̂) / q   on (q, ddf) df;
 *    afex's table: num Df, den Df, F.scaling, F, Pr(>F); lmer only, as afex;
 *  - "F": afex 1.2-1 accepts the name, fits the nested models and then stops ("Only methods "KR",
 *    "PB", "LRT", or "nested-KR" currently implemented."): refused here with its message, before fitting.
 * per_parameter (LRT, PB, nested-KR; type 3, as afex): the terms whose label a pattern matches are
 * tested one column of X at a time (nestedDesigns.ts perParameterTerms).
 * all_fit = TRUE maps to this library's allFit (src/fit/allFit.ts): every fit refitted by each of its
 * optimizers, the largest log-likelihood kept, as afex's all_fit keeps its best (afex runs lme4's
 * bobyqa, Nelder_Mead, optimx, nloptwrap and nmkbw; the optimizers here are our BOBYQA, lme4's
 * Nelder_Mead and a bounded quasi-Newton).
 */
import type * as arrow from 'apache-arrow';
import { OptionError, ModelError } from '../errors/errors.js';
import { buildModelFrame, type ModelFrame } from '../frame/modelFrame.js';
import type { Contrasts } from '../frame/contrasts.js';
import { allFit } from '../fit/allFit.js';
import { glmer } from '../fit/glmer.js';
import { type LmerOptions, lmer } from '../fit/lmer.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import type { FamilyName, LinkName } from '../glmm/family.js';
import { anovaTable, contrastTest } from '../inference/fitInference.js';
import { type KrModcomp, krModcomp } from '../inference/modcomp.js';
import { pbModcomp } from '../inference/pbModcomp.js';
import { termColumns } from '../inference/termColumns.js';
import { toArrowTable, type DataInput } from '../io/dataInput.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import { deparseFormula } from '../results/rFormat.js';
import { pchisqUpper } from '../stats/distributions.js';
import { type NewColumn, afexContrasts, designColumnName, randomPart, withColumns } from './afexData.js';
import { afexFormulaParts } from './formulaParts.js';
import { nestedDesigns, perParameterTerms } from './nestedDesigns.js';
import { type NiceRow, niceMixed, printMixed } from './print.js';
import { pbModcompGlmm } from './pbGlmm.js';

export type AfexMethod = 'KR' | 'S' | 'LRT' | 'PB' | 'nested-KR';
export const AFEX_METHODS: readonly AfexMethod[] = ['KR', 'S', 'LRT', 'PB', 'nested-KR'];

/** afex's message where it stops on method = "F" (afex 1.2-1 lists the name, implements no such test) */
export const AFEX_F_METHOD_ERROR = 'Only methods "KR", "PB", "LRT", or "nested-KR" currently implemented.';

export interface MixedOptions {
  /** afex's method: "S" (default, afex_options("method_mixed")), "KR", "LRT", "PB" or "nested-KR" */
  method?: AfexMethod;
  /**
   * afex's per_parameter (LRT, PB, nested-KR; type 3): regular expressions; each term whose label one
   * matches is tested one parameter (column of X) at a time
   */
  perParameter?: string | string[];
  /** 3 (default) or 2; also 'III', 'II' */
  type?: 2 | 3 | 'II' | 'III' | '2' | '3';
  /** test the intercept too (KR: car::Anova's F test; LRT, PB: a nested fit without it; type 3) */
  testIntercept?: boolean;
  /** afex's check_contrasts (default true): every factor of the formula set to contr.sum */
  checkContrasts?: boolean;
  /** afex's expand_re: the random-effects terms' left-hand sides as numeric columns (for `||` with factors) */
  expandRe?: boolean;
  /** afex's all_fit: every fit refitted by this library's allFit optimizers, the best log-likelihood kept */
  allFit?: boolean;
  /** afex's args_test for PB: pbkrtest's nsim (default 1000) and seed (default 1) */
  argsTest?: { nsim?: number; seed?: number };
  /** a GLMM (glmer): its family and link; afex allows LRT and PB only */
  family?: FamilyName;
  link?: LinkName;
  nAGQ?: number;
  /** lmer's REML for KR, S and nested-KR (default true); LRT and PB fit by ML whatever it says, as afex */
  REML?: boolean;
  /** numeric columns to read as factors (R's factor()) */
  factors?: string[];
  /**
   * the optimizer settings of every fit (lmer's and glmer's `optimizer`: rhobeg, rhoend, maxfun, method),
   * as afex passes `control` on to (g)lmer
   */
  optimizer?: LmerOptions['optimizer'];
  /** the data's name in the heading's "Data:" line (afex deparses the data argument; default 'data') */
  dataName?: string;
  /** called after each fit and each test */
  onProgress?: (p: { done: number; total: number; what: string }) => void;
  signal?: AbortSignal;
}

/** one row of afex's anova table (the numbers; afex's column names in `MixedAnova.columns`) */
export interface MixedRow {
  effect: string;
  /** KR, S: numerator and denominator df, F, Pr(>F) in `p` */
  numDf?: number;
  denDf?: number;
  F?: number;
  /** nested-KR: pbkrtest's F.scaling (Kenward–Roger's scale of the Wald statistic) */
  Fscaling?: number;
  /** LRT: npar of the restricted model (afex's Df) */
  Df?: number;
  /** LRT, PB: the likelihood-ratio statistic, its df (Chi Df) and χ² p-value (`p`) */
  Chisq?: number;
  chiDf?: number;
  /** PB: the parametric bootstrap's p-value (Pr(>PB)) */
  pPB?: number;
  /** Pr(>F) (KR, S, nested-KR) or Pr(>Chisq) (LRT, PB); null where afex has NA */
  p: number | null;
}

type Fit = LmmFit | GlmmFit;

/** a nested fit: the effect it tests, its fit and which full model it is compared with */
export interface RestrictedModel {
  effect: string;
  formula: string;
  fit: Fit;
  full: number;
}

const COLUMNS: Record<AfexMethod, string[]> = {
  KR: ['num Df', 'den Df', 'F', 'Pr(>F)'],
  S: ['num Df', 'den Df', 'F', 'Pr(>F)'],
  LRT: ['Df', 'Chisq', 'Chi Df', 'Pr(>Chisq)'],
  PB: ['Chisq', 'Chi Df', 'Pr(>Chisq)', 'Pr(>PB)'],
  'nested-KR': ['num Df', 'den Df', 'F.scaling', 'F', 'Pr(>F)'],
};

/** the methods whose table is of F tests (afex's nice: df "num, den", F) */
export const isFMethod = (m: AfexMethod): boolean => m === 'KR' || m === 'S' || m === 'nested-KR';

/** afex's mixed object: the anova table, the fits, the tests, the printout */
export class MixedAnova {
  constructor(
    readonly method: AfexMethod,
    readonly type: 2 | 3,
    readonly rows: MixedRow[],
    readonly heading: string[],
    /** the full model (KR, S, type 3 LRT, PB and nested-KR: one; type 2 LRT, PB and nested-KR: one per order, the last the model as written) */
    readonly fullModels: Fit[],
    readonly fullFormulas: string[],
    /** the nested fits (LRT, PB, nested-KR), one per effect */
    readonly restrictedModels: RestrictedModel[],
    /** the tests' details (PB: pbkrtest's summary per effect; nested-KR: pbkrtest's KRmodcomp per effect) */
    readonly tests: unknown[],
    /** afex's messages and warnings, and the notes of this library */
    readonly messages: string[],
    /** the data the fits read (the input with the columns afex adds) */
    readonly data: arrow.Table,
    /** all_fit: the optimizer kept for each fit (full models first) */
    readonly allFitSelected?: string[],
  ) {}

  /** afex's anova table's columns (its names) */
  get columns(): string[] { return COLUMNS[this.method]; }

  /** the full model (type 2 with LRT or PB: the model as written) */
  get fullModel(): Fit { return this.fullModels[this.fullModels.length - 1]; }

  /** afex's anova(mixed): the table's rows with afex's column names */
  anova(): Record<string, string | number | null>[] {
    return this.rows.map((r) => {
      const out: Record<string, string | number | null> = { Effect: r.effect };
      if (this.method === 'KR' || this.method === 'S') Object.assign(out, { 'num Df': r.numDf!, 'den Df': r.denDf ?? null, F: r.F!, 'Pr(>F)': r.p });
      else if (this.method === 'nested-KR') Object.assign(out, { 'num Df': r.numDf!, 'den Df': r.denDf!, 'F.scaling': r.Fscaling!, F: r.F!, 'Pr(>F)': r.p });
      else if (this.method === 'LRT') Object.assign(out, { Df: r.Df!, Chisq: r.Chisq!, 'Chi Df': r.chiDf!, 'Pr(>Chisq)': r.p });
      else Object.assign(out, { Chisq: r.Chisq!, 'Chi Df': r.chiDf!, 'Pr(>Chisq)': r.p, 'Pr(>PB)': r.pPB ?? null });
      return out;
    });
  }

  /** afex's nice(mixed): the formatted table */
  nice(): { columns: string[]; rows: NiceRow[] } { return niceMixed(this); }

  /** afex's print(mixed), line by line */
  print(): string[] { return printMixed(this); }

  toJSON(): object {
    const fitJson = (f: Fit) => ({ formula: f.formula, logLik: f.logLik, df: f.df, REML: f instanceof GlmmFit ? false : f.reml, fixef: Object.fromEntries(f.model.frame.xnames.map((x, j) => [x, f.beta[j]])), theta: Array.from(f.theta) });
    return {
      method: this.method, type: this.type, heading: this.heading, columns: this.columns, anova_table: this.anova(),
      nice: this.nice().rows.map((r) => ({ Effect: r.Effect, df: r.df, [isFMethod(this.method) ? 'F' : 'Chisq']: r.stat, 'p.value': r['p.value'] })),
      full_model: this.fullModels.map(fitJson),
      restricted_models: this.restrictedModels.map((r) => ({ effect: r.effect, compared_with: r.full, ...fitJson(r.fit) })),
      ...(this.allFitSelected ? { all_fit_selected: this.allFitSelected } : {}),
      messages: this.messages,
    };
  }
}

function checkType(type: unknown): 2 | 3 {
  if (type === undefined || type === 3 || type === '3' || type === 'III') return 3;
  if (type === 2 || type === '2' || type === 'II') return 2;
  throw new OptionError('type', `mixed: type must be 3 (default) or 2 ('III', 'II'), not ${JSON.stringify(type)}: afex implements only type 3 and type 2 tests`);
}

/** afex's method names (with "F", which afex accepts and then refuses: the caller refuses it, after afex's earlier checks) */
function checkMethod(method: unknown): AfexMethod | 'F' {
  if (method === undefined) return 'S';
  if (typeof method === 'string' && ((AFEX_METHODS as readonly string[]).includes(method) || method === 'F')) return method as AfexMethod | 'F';
  throw new OptionError('method', `mixed: method must be "KR", "S", "LRT", "PB" or "nested-KR", not ${JSON.stringify(method)}`);
}

/** afex's per_parameter: one regular expression or several (validated where the terms are known) */
function checkPerParameter(x: unknown): string[] | null {
  if (x === undefined || x === null) return null;
  const list = typeof x === 'string' ? [x] : x;
  if (!Array.isArray(list) || list.length === 0 || list.some((v) => typeof v !== 'string' || v === '')) {
    throw new OptionError('perParameter', `mixed: perParameter must be a regular expression or a list of them (afex's per_parameter), not ${JSON.stringify(x)}`);
  }
  // the patterns' syntax before any fit (what they match is checked against the terms: perParameterTerms)
  for (const pattern of list as string[]) perParameterTerms([], [], [pattern], false, false);
  return list as string[];
}

/**
 * afex's KR and S tables of an lmer fit: lmerTest's anova (type 3 or 2, Kenward–Roger's or
 * Satterthwaite's ddf); with testIntercept, KR's row of the intercept first (car::Anova's F test of
 * β₀ = 0), S's afex warning instead.
 */
export function lmerTestRows(fit: LmmFit, method: 'KR' | 'S', type: 2 | 3, testIntercept: boolean): { rows: MixedRow[]; messages: string[] } {
  const a = anovaTable(fit, { ddf: method === 'KR' ? 'kenward-roger' : 'satterthwaite', type: type === 3 ? 'III' : 'II' });
  const messages = [...a.messages];
  const rows: MixedRow[] = a.rows.map((r) => ({ effect: r.term, numDf: r.numdf, denDf: r.dendf, F: r.F, p: r.p }));
  if (testIntercept && method === 'S') messages.push('Cannot test intercept with Satterthwaite approximation.');
  const j = fit.model.frame.xnames.indexOf('(Intercept)');
  if (testIntercept && method === 'KR' && type === 3 && j >= 0) {
    const L = Array.from({ length: fit.model.frame.p }, (_, k) => (k === j ? 1 : 0));
    const t = contrastTest(fit, [L], { ddf: 'kenward-roger' });
    rows.unshift({ effect: '(Intercept)', numDf: t.numdf, denDf: t.dendf, F: t.F, p: t.p });
  }
  return { rows, messages };
}

/**
 * afex's heading: the title (its own line break), paste0("Model: ", deparse(formula)) (each line of R's
 * deparse prefixed), "Data: " and the data's name, and LRT's "Df full model(s): …".
 */
export function mixedHeading(type: 2 | 3, method: AfexMethod, formula: string, dataName: string, addition: string | null): string[] {
  return [
    `Mixed Model Anova Table (Type ${type} tests, ${method}-method)\n`,
    ...deparseFormula(formula).map((l) => `Model: ${l}`),
    `Data: ${dataName}`,
    ...(addition ? [addition] : []),
  ];
}

/** afex's row of a nested-KR test: pbkrtest's Ftest row (stat, ndf, ddf, F.scaling, p.value) */
export function krRow(effect: string, kr: KrModcomp): MixedRow {
  return { effect, numDf: kr.Ftest.ndf, denDf: kr.Ftest.ddf, Fscaling: kr.Ftest.Fscaling, F: kr.Ftest.stat, p: kr.Ftest.p };
}

/** lme4's anova(full, restricted) as afex reads it: χ² = 2 max(0, ℓ_full − ℓ_restricted) on npar_full − npar_restricted */
export function lrtRow(effect: string, full: Fit, restricted: Fit): MixedRow {
  const chisq = 2 * Math.max(0, full.logLik - restricted.logLik);
  const df = full.df - restricted.df;
  return { effect, Df: restricted.df, Chisq: chisq, chiDf: df, p: df > 0 ? pchisqUpper(chisq, df) : null };
}

const KNOWN = ['method', 'perParameter', 'type', 'testIntercept', 'checkContrasts', 'expandRe', 'allFit', 'argsTest', 'family', 'link', 'nAGQ', 'REML', 'factors', 'optimizer', 'dataName', 'onProgress', 'signal'];

/**
 * afex's mixed(formula, data, type, method, test_intercept, check_contrasts, expand_re, all_fit,
 * args_test, family, …): see the header.
 */
export async function mixed(formula: string, input: DataInput, options: MixedOptions = {}): Promise<MixedAnova> {
  if (options === null || typeof options !== 'object') throw new OptionError('options', 'mixed: options must be an object');
  for (const k of Object.keys(options)) {
    if (!KNOWN.includes(k)) {
      const hint = k === 'per_parameter' ? ' (perParameter)' : k === 'cl' ? ' (the fits run one after another)' : '';
      throw new OptionError(k, `mixed: unknown option '${k}'${hint}; the options are ${KNOWN.join(', ')}`);
    }
  }
  const methodName = checkMethod(options.method);
  const type = checkType(options.type);
  const perParameter = checkPerParameter(options.perParameter);
  for (const k of ['testIntercept', 'checkContrasts', 'expandRe', 'allFit', 'REML'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'boolean') throw new OptionError(k, `mixed: ${k} must be true or false, not ${JSON.stringify(options[k])}`);
  }
  const glmm = options.family !== undefined;
  // afex's checks in afex's order: a GLMM's methods, per_parameter's type, then "F"
  if (glmm && methodName !== 'LRT' && methodName !== 'PB') {
    throw new OptionError('method', `GLMMs can only be estimated with 'LRT' or 'PB'. (afex: method "${methodName}" is ${methodName === 'F' ? 'not implemented' : methodName === 'nested-KR' ? "pbkrtest's KRmodcomp of lmer fits" : "lmerTest's F tests of lmer fits"})`);
  }
  if (perParameter && methodName !== 'KR' && methodName !== 'S' && type === 2) throw new OptionError('perParameter', 'per_parameter argument only implemented for Type 3 tests. (afex)');
  if (methodName === 'F') throw new OptionError('method', `${AFEX_F_METHOD_ERROR} (afex 1.2-1 accepts method "F" and stops with this message after fitting the nested models)`);
  const method: AfexMethod = methodName;
  if (perParameter && (method === 'KR' || method === 'S')) {
    throw new OptionError('perParameter', `mixed: perParameter is for methods "LRT", "PB" and "nested-KR", whose tests are of nested fits; with "${method}" (lmerTest's anova of whole terms) afex ignores per_parameter: use method "nested-KR" for its F tests per parameter`);
  }
  if (method === 'KR' && options.REML === false) throw new OptionError('REML', "mixed: Kenward-Roger's method is only available for REML model fits (lmerTest's rule; afex stops there too): leave REML on, or use method \"S\"");
  if (!glmm && (options.link !== undefined || options.nAGQ !== undefined)) throw new OptionError(options.link !== undefined ? 'link' : 'nAGQ', 'mixed: link and nAGQ are for a GLMM (give family)');
  if (options.argsTest !== undefined) {
    if (method !== 'PB') throw new OptionError('argsTest', `mixed: argsTest (nsim, seed) is for method "PB", not "${method}"`);
    for (const k of Object.keys(options.argsTest)) if (k !== 'nsim' && k !== 'seed') throw new OptionError('argsTest', `mixed: argsTest takes nsim and seed, not '${k}'`);
  }
  const testIntercept = options.testIntercept ?? false;
  const checkContrasts = options.checkContrasts ?? true;
  const expandRe = options.expandRe ?? false;
  const factors = options.factors ?? [];
  const messages: string[] = [];

  // the formula and the model frame of the data (its factors, the rows used)
  const parts = afexFormulaParts(formula);
  const table = toArrowTable(input);
  const frame: ModelFrame = buildModelFrame(parts.formula, table, { factors }, glmm ? { family: options.family!, ...(options.link ? { link: options.link } : {}) } : undefined);
  const ac = afexContrasts(parts, frame, table, factors, checkContrasts);
  messages.push(...ac.messages);
  if (frame.nDropped > 0) messages.push(`Due to missing values, reduced number of observations to ${frame.n}`);
  const rand = randomPart(parts, frame, checkContrasts ? Object.fromEntries(ac.factors.map((f) => [f, 'contr.sum'])) as Contrasts : {}, checkContrasts, expandRe);
  const contrasts = Object.keys(ac.contrasts).length > 0 ? ac.contrasts : undefined;
  let data = withColumns(table, frame, rand.columns);
  const fullText = rand.columns.length === 0 && rand.text === parts.random.map((r) => `(${r})`).join(' + ')
    ? parts.text : `${parts.response} ~ ${parts.fixedText} + ${rand.text}`;
  const reml = method === 'LRT' || method === 'PB' ? false : (options.REML ?? true);
  // the fits are compared by their log-likelihoods where they are ML fits (afex's check_likelihood: `!isREML`)
  const mlFits = glmm || !reml;
  if (!glmm && (method === 'LRT' || method === 'PB') && options.REML !== false) messages.push("REML argument to lmer() set to FALSE for method = 'PB' or 'LRT'");

  let done = 0;
  const selected: string[] = [];
  const fitOne = async (text: string, withContrasts: boolean): Promise<Fit> => {
    const common = { factors, ...(withContrasts && contrasts ? { contrasts } : {}), ...(options.optimizer ? { optimizer: options.optimizer } : {}), signal: options.signal };
    let fit: Fit = glmm
      ? await glmer(text, data, { ...common, family: options.family!, ...(options.link ? { link: options.link } : {}), ...(options.nAGQ !== undefined ? { nAGQ: options.nAGQ } : {}) })
      : await lmer(text, data, { ...common, REML: reml });
    if (options.allFit) {
      // afex's all_fit: the default fit and every optimizer's refit, the largest log-likelihood kept
      const res = await allFit(fit, { signal: options.signal });
      let best = { fit, name: 'default' };
      for (const r of res.rows) if (r.ok && r.fit && r.fit.logLik > best.fit.logLik) best = { fit: r.fit as Fit, name: r.optimizer };
      fit = best.fit;
      selected.push(best.name);
    }
    return fit;
  };

  const fulls: Fit[] = [];
  const fullFormulas: string[] = [];
  const restricted: RestrictedModel[] = [];
  const tests: unknown[] = [];
  let rows: MixedRow[];
  let addition: string | null = null;

  if (method === 'KR' || method === 'S') {
    const total = 1;
    const full = await fitOne(fullText, true) as LmmFit;
    fulls.push(full);
    fullFormulas.push(fullText);
    options.onProgress?.({ done: ++done, total, what: 'full model' });
    const t = lmerTestRows(full, method, type, testIntercept);
    rows = t.rows;
    messages.push(...t.messages);
  } else {
    // the nested fits: X's columns as numeric columns of the data
    const full0 = await fitOne(fullText, true);
    const fr = full0.model.frame;
    const taken = new Set(data.schema.fields.map((f) => f.name));
    const names = fr.xnames.map((x) => designColumnName(x, taken));
    const xcols: NewColumn[] = names.map((name, j) => ({ name, values: fr.X.subarray(j * fr.n, (j + 1) * fr.n) }));
    data = withColumns(data, fr, xcols);
    const tc = termColumns(fr);
    const intercept = fr.xnames.indexOf('(Intercept)');
    let terms = fr.formula.fixed.terms.map((t, k) => ({ label: t.label, order: t.vars.length, columns: tc[k] })).filter((t) => t.columns.length > 0);
    if (perParameter) terms = perParameterTerms(terms, fr.xnames, perParameter, intercept >= 0);
    const designs = nestedDesigns(fr.p, intercept, terms, type, testIntercept);
    const textOf = (keep: number[]) => `${parts.response} ~ 0${keep.map((j) => ` + ${names[j]}`).join('')} + ${rand.text}`;
    const total = designs.full.length + designs.restricted.length * (method === 'LRT' ? 1 : 2);
    for (const [c, keep] of designs.full.entries()) {
      if (keep.length === fr.p) {
        fulls.push(full0);
        fullFormulas.push(fullText);
      } else {
        fulls.push(await fitOne(textOf(keep), false));
        fullFormulas.push(textOf(keep));
      }
      options.onProgress?.({ done: ++done, total, what: `full model ${c + 1}` });
    }
    for (const r of designs.restricted) {
      const text = textOf(r.keep);
      restricted.push({ effect: r.effect, formula: text, fit: await fitOne(text, false), full: r.full });
      options.onProgress?.({ done: ++done, total, what: r.effect });
    }
    // afex's check_likelihood (ML fits): a nested model fitting better than its full model
    const better = mlFits ? restricted.filter((r) => r.fit.logLik > fulls[r.full].logLik).map((r) => r.effect) : [];
    if (better.length > 0) messages.push(`Following nested model(s) provide better fit than full model: ${better.join(', ')}\n  Results cannot be trusted. Try all_fit=TRUE or reduce random effect structure!`);
    if (method === 'LRT') {
      // lme4's anova(full, restricted): χ² = 2 max(0, ℓ_full − ℓ_restricted) on npar_full − npar_restricted
      rows = restricted.map((r) => lrtRow(r.effect, fulls[r.full], r.fit));
      addition = type === 3 ? `Df full model: ${fulls[0].df}` : `Df full model(s): ${restricted.map((r) => fulls[r.full].df).join(', ')}`;
    } else if (method === 'nested-KR') {
      // pbkrtest's KRmodcomp(full, restricted) of each pair: the full model's REML fit and the restriction the nested X makes
      rows = [];
      for (const r of restricted) {
        const kr = await krModcomp(fulls[r.full] as LmmFit, r.fit as LmmFit);
        tests.push(kr);
        for (const m of kr.messages) if (!messages.includes(m)) messages.push(m);
        rows.push(krRow(r.effect, kr));
        options.onProgress?.({ done: ++done, total, what: `KR ${r.effect}` });
      }
    } else {
      const { nsim, seed } = options.argsTest ?? {};
      rows = [];
      for (const r of restricted) {
        const full = fulls[r.full];
        const pb = glmm
          ? await pbModcompGlmm(full as GlmmFit, r.fit as GlmmFit, { nsim, seed, signal: options.signal })
          : await pbModcomp(full as LmmFit, r.fit as LmmFit, { nsim, seed, signal: options.signal });
        tests.push(pb);
        for (const m of pb.messages) if (!messages.includes(m)) messages.push(m);
        rows.push({ effect: r.effect, Chisq: pb.LRT.stat, chiDf: pb.LRT.df, p: pb.LRT.p, pPB: pb.PBtest.p });
        options.onProgress?.({ done: ++done, total, what: `PB ${r.effect}` });
      }
    }
  }
  if (rows.length === 0) throw new ModelError('mixed: the model has no fixed-effects term to test');
  for (const f of [...fulls, ...restricted.map((r) => r.fit)]) for (const m of f.messages) if (!messages.includes(m)) messages.push(m);
  const heading = mixedHeading(type, method, parts.text, options.dataName ?? 'data', addition);
  return new MixedAnova(method, type, rows, heading, fulls, fullFormulas, restricted, tests, messages, data, options.allFit ? selected : undefined);
}
