/**
 * The page's side of the ANOVA (afex) card (afex's mixed(), the library's src/afex/), no DOM and no
 * library math: the request of the card's fields (a bad field named), the result as afex's nice()
 * table of cells with a CSV (afex's anova() numbers beside nice()'s text), and the card's address
 * state. mixed() runs in the worker (./afexRun.ts) on the fit's formula and data.
 */
import type { AfexMsg, AfexRequest, FitRequest } from './protocol.js';
import type { CellFormat, TestColumn, TestTable } from './modelTests.js';
import { csv } from './dom.js';

export const AFEX_METHOD_CHOICES = ['S', 'KR', 'LRT', 'PB', 'nested-KR'] as const;

/** the methods that take afex's per_parameter (the nested-model methods) */
export const AFEX_PER_PARAMETER_METHODS: readonly string[] = ['LRT', 'PB', 'nested-KR'];

/** the card's fields, as chosen or typed */
export interface AfexFields {
  method: string;
  type: string;
  testIntercept: boolean;
  expandRe: boolean;
  /** PB's simulations and seed, as typed */
  nsim: string;
  seed: string;
  /** LRT, PB, nested-KR: afex's per_parameter as typed: regular expressions separated by commas (empty: none) */
  perParameter?: string;
}

/** the per-parameter box's patterns: split at commas, trimmed, empty ones dropped */
export function perParameterPatterns(text: string | undefined): string[] {
  return (text ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
}

/** a field the card refuses, named */
export class AfexFieldError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'AfexFieldError';
  }
}

/** pbkrtest's default number of simulations (afex passes args_test on) */
export const AFEX_PB_NSIM = 1000;
/** the most simulations the card runs (each one refits every nested pair) */
export const AFEX_PB_MAX_NSIM = 100_000;

/**
 * The request of the card's fields. The method is not checked against the fit's kind here: KR and S of
 * a glmer fit are the library's refusal (afex's "GLMMs can only be estimated with 'LRT' or 'PB'."),
 * shown as it words it.
 */
export function afexRequest(f: AfexFields): AfexRequest {
  if (!(AFEX_METHOD_CHOICES as readonly string[]).includes(f.method)) {
    throw new AfexFieldError('method', `method: '${f.method}' is not one of ${AFEX_METHOD_CHOICES.join(', ')} (afex's mixed methods offered here)`);
  }
  const method = f.method as AfexRequest['method'];
  if (f.type !== '3' && f.type !== '2') throw new AfexFieldError('type', `type: afex's mixed tests type 3 or 2, got '${f.type}'`);
  const req: AfexRequest = { method, type: f.type === '3' ? 3 : 2, testIntercept: f.testIntercept, expandRe: f.expandRe };
  const patterns = perParameterPatterns(f.perParameter);
  if (patterns.length > 0) {
    if (!AFEX_PER_PARAMETER_METHODS.includes(method)) {
      throw new AfexFieldError('perParameter', `per_parameter: afex tests single parameters with the nested-model methods (LRT, PB, nested-KR), not ${method}; clear the box or choose one of them`);
    }
    for (const p of patterns) {
      try {
        new RegExp(p);
      } catch {
        throw new AfexFieldError('perParameter', `per_parameter: '${p}' is not a regular expression`);
      }
    }
    req.perParameter = patterns;
  }
  if (method === 'PB') {
    const nText = f.nsim.trim();
    const nsim = Number(nText);
    if (nText === '' || !Number.isInteger(nsim) || nsim < 1 || nsim > AFEX_PB_MAX_NSIM) {
      throw new AfexFieldError('nsim', `nsim: the parametric bootstrap's simulations must be a whole number from 1 to ${AFEX_PB_MAX_NSIM} (pbkrtest's default ${AFEX_PB_NSIM}), got '${f.nsim}'`);
    }
    const sText = f.seed.trim();
    const seed = Number(sText);
    if (sText === '' || !Number.isSafeInteger(seed)) throw new AfexFieldError('seed', `seed: a whole number, got '${f.seed}'`);
    req.nsim = nsim;
    req.seed = seed;
  }
  return req;
}

/** why afex's mixed() is not offered for a fit of this request (the page and the worker say the same), or null */
export function afexRefusal(r: Pick<FitRequest, 'prior' | 'relmat'>): string | null {
  if (r.prior) return "afex's mixed() fits lmer and glmer without priors: this fit has blme's priors";
  if (r.relmat) return "afex's mixed() fits lmer and glmer without a known covariance: this fit has a relatedness matrix";
  return null;
}

const col = (key: string, head: string, csvName: string, format: CellFormat): TestColumn => ({ key, head, csv: csvName, format });

/** the CSV's name of one of afex's anova() columns ('Pr(>F)' → 'Pr_F', 'num Df' → 'num_Df') */
function csvName(c: string): string {
  return c.replace(/Pr\(>(\w+)\)/, 'Pr_$1').replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '');
}

/**
 * afex's nice() table as afex prints it (Effect, df, F or Chisq with its symbols, p.value rounded as
 * afex_options' round_ps): text cells. Its CSV (csvRows) has afex's anova() numbers too, full precision.
 */
export interface AfexTable extends TestTable {
  /** the CSV's columns: nice()'s, then anova()'s */
  csvColumns: string[];
}

/** F.scaling as the card prints it: 4 significant digits ('NA' where afex has none) */
function fmtScaling(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? 'NA' : Number(v.toPrecision(4)).toString();
}

export function afexTable(m: AfexMsg): AfexTable {
  const scaling = m.columns.includes('F.scaling');
  const statHead = m.nice.columns[2] ?? 'F';
  const numCols = m.columns;
  const what = m.request.method === 'KR' ? 'Kenward–Roger F tests' : m.request.method === 'S' ? 'Satterthwaite F tests'
    : m.request.method === 'nested-KR' ? 'Kenward–Roger F tests of nested REML fits (pbkrtest\'s KRmodcomp)'
    : m.request.method === 'LRT' ? 'likelihood-ratio tests' : `parametric bootstrap (${m.request.nsim ?? AFEX_PB_NSIM} simulations, seed ${m.request.seed ?? 1})`;
  return {
    id: 'afex',
    title: `Mixed Model Anova Table (Type ${m.request.type} tests, ${m.request.method}-method): ${what}`,
    // nested-KR: pbkrtest's F.scaling beside nice()'s columns (afex's anova() number, 4 significant digits)
    columns: [col('effect', 'Effect', 'Effect', 'text'), col('df', 'df', 'df', 'text'), ...(scaling ? [col('fscaling', 'F.scaling', 'F.scaling', 'text')] : []), col('stat', statHead, statHead, 'text'), col('p', 'p.value', 'p.value', 'text')],
    rows: m.nice.rows.map((r, i) => ({ key: r.Effect, cells: [r.Effect, r.df, ...(scaling ? [fmtScaling(m.anova[i]?.['F.scaling'] as number | null | undefined)] : []), r.stat, r['p.value']] })),
    caption: `Model: ${m.fullFormula}`,
    csvRows: m.nice.rows.map((r, i) => [r.Effect, r.df, r.stat, r['p.value'], ...numCols.map((c) => m.anova[i]?.[c] ?? null)]),
    csvColumns: ['Effect', 'df_printed', `${statHead}_printed`, 'p.value_printed', ...numCols.map(csvName)],
  };
}

/** the table's CSV: nice()'s text columns, then anova()'s numbers (afex's names, made CSV names) */
export function afexCsv(m: AfexMsg): string {
  const t = afexTable(m);
  return csv(t.csvColumns, t.csvRows!);
}

/** the card's state in the address: open, with its settings other than the defaults (S, type 3, no intercept test, no expand_re, nsim 1000, seed 1) */
export interface AfexUrlState {
  method?: AfexRequest['method'];
  type?: 2;
  testIntercept?: true;
  expandRe?: true;
  nsim?: number;
  seed?: number;
  /** per_parameter's box as typed */
  perParameter?: string;
}

/** the address's afex keys (after afex=1) read; values that are not the card's dropped */
export function readAfexUrl(q: URLSearchParams): AfexUrlState {
  const a: AfexUrlState = {};
  const m = q.get('xmethod');
  if (m && (AFEX_METHOD_CHOICES as readonly string[]).includes(m) && m !== 'S') a.method = m as AfexRequest['method'];
  if (q.get('xtype') === '2') a.type = 2;
  if (q.get('xint') === '1') a.testIntercept = true;
  if (q.get('xre') === '1') a.expandRe = true;
  const nsim = Number(q.get('xnsim'));
  if (q.get('xnsim') && Number.isInteger(nsim) && nsim >= 1 && nsim <= AFEX_PB_MAX_NSIM && nsim !== AFEX_PB_NSIM) a.nsim = nsim;
  const seed = Number(q.get('xseed'));
  if (q.get('xseed') && Number.isSafeInteger(seed) && seed !== 1) a.seed = seed;
  const pp = q.get('xpp');
  if (pp && pp.trim() !== '' && pp.length <= 500) a.perParameter = pp;
  return a;
}

/** the card's state written into the address */
export function writeAfexUrl(q: URLSearchParams, a: AfexUrlState): void {
  q.set('afex', '1');
  if (a.method && a.method !== 'S') q.set('xmethod', a.method);
  if (a.type === 2) q.set('xtype', '2');
  if (a.testIntercept) q.set('xint', '1');
  if (a.expandRe) q.set('xre', '1');
  if (a.nsim !== undefined && a.nsim !== AFEX_PB_NSIM) q.set('xnsim', String(a.nsim));
  if (a.seed !== undefined && a.seed !== 1) q.set('xseed', String(a.seed));
  if (a.perParameter && a.perParameter.trim() !== '') q.set('xpp', a.perParameter);
}

/** the card's fields of an address state (the defaults where it says nothing) */
export function afexFieldsOf(a: AfexUrlState): AfexFields {
  return { method: a.method ?? 'S', type: String(a.type ?? 3), testIntercept: a.testIntercept ?? false, expandRe: a.expandRe ?? false, nsim: String(a.nsim ?? AFEX_PB_NSIM), seed: String(a.seed ?? 1), ...(a.perParameter ? { perParameter: a.perParameter } : {}) };
}

/** the address state of the card's fields (defaults left out); a bad number left out too */
export function afexUrlOf(f: AfexFields): AfexUrlState {
  const a: AfexUrlState = {};
  if ((AFEX_METHOD_CHOICES as readonly string[]).includes(f.method) && f.method !== 'S') a.method = f.method as AfexRequest['method'];
  if (f.type === '2') a.type = 2;
  if (f.testIntercept) a.testIntercept = true;
  if (f.expandRe) a.expandRe = true;
  const nsim = Number(f.nsim);
  if (Number.isInteger(nsim) && nsim >= 1 && nsim <= AFEX_PB_MAX_NSIM && nsim !== AFEX_PB_NSIM) a.nsim = nsim;
  const seed = Number(f.seed);
  if (f.seed.trim() !== '' && Number.isSafeInteger(seed) && seed !== 1) a.seed = seed;
  if (f.perParameter && f.perParameter.trim() !== '') a.perParameter = f.perParameter;
  return a;
}
