/**
 * The page's side of the Adjusted predictions card (ggeffects 1.2.0's ggpredict and ggemmeans), no DOM and
 * no library math: each focal term's text from its chooser and bracket box, checked as it is typed by the
 * library's own term parser (src/inference/ggTerms.ts parseTerm) and against what the fit offers (a factor's
 * levels, a covariate's numbers); the request of the card's fields, each bad field named; the table of
 * ggeffects's data frame with its CSV (ggeffects's column names); the plot's rows; the card's state in the
 * address. The predictions are computed in the worker (./ggeffectsRun.ts) by the library.
 */
import { MAX_TERMS, itemNumber, parseTerm } from '../../src/inference/ggTerms.js';
import type { GgMsg, GgRequest, GgSetup, GgVariable } from './protocol.js';
import type { CellFormat, TestColumn, TestTable } from './modelTests.js';
import { csv } from './dom.js';

/** the card's fields, as chosen or typed */
export interface GgFields {
  method: string;
  type: string;
  /** the confidence level, as typed (0.95) */
  level: string;
  /** x, group, facet: a variable's name ('' for none) and the bracket box's text ('' for ggeffects's default values) */
  terms: { variable: string; values: string }[];
}

/** a field the card refuses, named: 'x', 'group', 'facet', 'level', 'method', 'type' or 'fit' */
export class GgFieldError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'GgFieldError';
  }
}

/** the three focal terms' roles, ggeffects's names */
export const TERM_ROLES = ['x', 'group', 'facet'] as const;

/** the bracket box's text inside ggeffects's brackets: '0, 5, 9' and '[0, 5, 9]' alike; '' for the default values */
function innerOf(values: string): string {
  const t = values.trim();
  return t.startsWith('[') && t.endsWith(']') ? t.slice(1, -1).trim() : t;
}

/** A focal term as ggeffects writes it: 'Days', 'Days [0, 5, 9]'. */
export function termText(variable: string, values: string): string {
  const inner = innerOf(values);
  return inner === '' ? variable : `${variable} [${inner}]`;
}

/**
 * One term's check as it is typed: the library's parser (brackets, ranges, values_at's words, n = k), then
 * what the fit has: a factor's values must be its levels (where the page has all of them), a covariate's
 * list must be numbers. Returns the term's text, or throws a GgFieldError naming the role.
 */
export function checkTerm(role: string, variable: string, values: string, setup: Pick<GgSetup, 'variables'>): string {
  const v: GgVariable | undefined = setup.variables.find((x) => x.name === variable);
  if (!v) throw new GgFieldError(role, `${role}: '${variable}' is not a variable of the model's fixed part or a grouping factor (${setup.variables.map((x) => x.name).join(', ') || 'none'})`);
  const text = termText(variable, values);
  if (/[[\]]/.test(innerOf(values))) throw new GgFieldError(role, `${role}: write the values between one pair of brackets, as '0, 5, 9' or '[0, 5, 9]', not '${values.trim()}'`);
  let term;
  try {
    term = parseTerm(text);
  } catch (e) {
    throw new GgFieldError(role, `${role}: ${(e as Error).message}`);
  }
  const spec = term.values;
  if (v.kind !== 'covariate') {
    // a factor (or grouping factor) takes its levels, or [all]
    if (spec.kind === 'valuesAt' && spec.how === 'all') return text;
    if (spec.kind !== 'default' && spec.kind !== 'list') {
      throw new GgFieldError(role, `${role}: '${variable}' is a factor; give some of its levels in brackets (its levels: ${v.levels.slice(0, 10).join(', ')}${v.nlevels > 10 ? ', …' : ''})`);
    }
    if (spec.kind === 'list' && v.levels.length === v.nlevels) {
      const bad = spec.items.find((l) => !v.levels.includes(l));
      if (bad !== undefined) throw new GgFieldError(role, `${role}: '${bad}' is not a level of '${variable}' (its levels: ${v.levels.slice(0, 10).join(', ')}${v.nlevels > 10 ? ', …' : ''})`);
    }
    return text;
  }
  if (spec.kind === 'list') {
    const bad = spec.items.find((s) => itemNumber(s) === null);
    if (bad !== undefined) {
      throw new GgFieldError(role, `${role}: '${bad}' is not a number, and '${variable}' is a covariate (numbers such as 0, 5, 9, a range 0:9 or 0:9 by = 3, or one of pretty, n = 5, minmax, meansd, zeromax, quart, quart2, fivenum, terciles, terciles2, all)`);
    }
  }
  return text;
}

/** The request of the card's fields: the terms in their roles (no gaps, no variable twice), the method, type and level. */
export function ggRequest(f: GgFields, setup: GgSetup): GgRequest {
  if (setup.refusal) throw new GgFieldError('fit', `Adjusted predictions are not available for this fit: ${setup.refusal}`);
  if (f.method !== 'ggpredict' && f.method !== 'ggemmeans') throw new GgFieldError('method', `method: '${f.method}' is not ggpredict or ggemmeans`);
  if (f.type !== 'fixed' && f.type !== 'random') throw new GgFieldError('type', `type: '${f.type}' is not fixed or random (ggeffects's "fe" and "re")`);
  const levelText = f.level.trim();
  const level = Number(levelText);
  if (levelText === '' || !(level > 0 && level < 1)) throw new GgFieldError('level', `CI level: a number between 0 and 1 (ggeffects's ci.lvl, such as 0.95), got '${f.level}'`);
  const terms: string[] = [];
  const used: string[] = [];
  f.terms.slice(0, MAX_TERMS).forEach((t, k) => {
    const role = TERM_ROLES[k]!;
    if (t.variable === '') {
      if (innerOf(t.values) !== '') throw new GgFieldError(role, `${role}: choose a variable for the values '${t.values.trim()}'`);
      return;
    }
    if (terms.length < k) throw new GgFieldError(role, `${role}: choose ${TERM_ROLES[terms.length]} first (ggeffects's terms are x, then group, then facet)`);
    if (used.includes(t.variable)) throw new GgFieldError(role, `${role}: '${t.variable}' is already a focal term`);
    used.push(t.variable);
    terms.push(checkTerm(role, t.variable, t.values, setup));
  });
  if (terms.length === 0) throw new GgFieldError('x', 'x: choose the variable whose predictions are drawn');
  return { method: f.method, terms, type: f.type, level };
}

const col = (key: string, head: string, csvName: string, format: CellFormat): TestColumn => ({ key, head, csv: csvName, format });
const pct = (level: number) => `${Math.round(level * 1000) / 10}%`;

/**
 * ggeffects's data frame as a table: x (named by its variable), predicted, std.error, conf.low, conf.high,
 * group, facet (CSV columns as ggeffects's as.data.frame names them).
 */
export function ggTable(m: GgMsg): TestTable {
  const [x, group, facet] = m.terms;
  const hasGroup = group !== undefined, hasFacet = facet !== undefined;
  const columns = [
    // a numeric x as written (String: 0, 4.5, 6.0074125), as ggeffects's data frame holds it
    col('x', x!, 'x', m.xKind === 'numeric' ? 'int' : 'text'),
    col('predicted', 'Predicted', 'predicted', 'num'),
    col('std_error', 'SE (link)', 'std.error', 'num'),
    col('conf_low', `${pct(m.level)} ${m.predictionInterval ? 'PI' : 'CI'} low`, 'conf.low', 'num'),
    col('conf_high', 'high', 'conf.high', 'num'),
    ...(hasGroup ? [col('group', group, 'group', 'text')] : []),
    ...(hasFacet ? [col('facet', facet, 'facet', 'text')] : []),
  ];
  const rows = m.rows.map((r, i) => ({
    key: String(i),
    cells: [r.x, r.predicted, r.std_error, r.conf_low, r.conf_high, ...(hasGroup ? [String(r.group)] : []), ...(hasFacet ? [String(r.facet)] : [])],
  }));
  return {
    id: 'gg', title: `${m.title} (${m.method}, type ${m.type})`, columns, rows,
    caption: `${m.method === 'ggpredict' ? 'Predictions at the grid of the focal values, the other variables at the values listed under "Adjusted for"' : "emmeans's marginal means at the focal values, the other factors averaged"}; `
      + `${m.predictionInterval ? 'prediction' : 'confidence'} intervals at ${pct(m.level)} (${m.df === Infinity ? 'normal quantile' : `t quantile on ${m.df} df`}); the SE is on the link scale.`,
  };
}

/** the table as CSV, with ggeffects's column names (x, predicted, std.error, conf.low, conf.high, group, facet) */
export function ggCsv(m: GgMsg): string {
  const t = ggTable(m);
  return csv(t.columns.map((c) => c.csv), t.rows.map((r) => r.cells));
}

export interface GgPlotRow {
  x: number | string;
  predicted: number;
  low: number;
  high: number;
  /** the group's label ('' without a group term) */
  group: string;
  /** the facet's label ('' without a facet term) */
  facet: string;
}

/** the plot's rows: one per grid row with finite numbers, group and facet as labels ('name = value') */
export function ggPlotRows(m: GgMsg): GgPlotRow[] {
  const [, group, facet] = m.terms;
  return m.rows.filter((r) => Number.isFinite(r.predicted)).map((r) => ({
    x: r.x,
    predicted: r.predicted,
    low: r.conf_low,
    high: r.conf_high,
    group: group !== undefined ? String(r.group) : '',
    facet: facet !== undefined ? `${facet} = ${String(r.facet)}` : '',
  }));
}

/** the y axis's label: ggeffects's title without "Predicted" (values, probabilities, counts of the response) */
export function ggAxisLabel(m: GgMsg): string {
  return m.title.replace(/^Predicted /, 'predicted ');
}

/** the card's settings in the address (absent: the default) */
export interface GgUrlState {
  method?: 'ggemmeans';
  type?: 'random';
  level?: number;
  /** the terms as ggeffects writes them, x first */
  terms?: string[];
}

/** gg=1&ggm=ggemmeans&ggt=random&ggl=0.9&ggx=Days [0, 5, 9]&ggg=…&ggf=… */
const TERM_KEYS = ['ggx', 'ggg', 'ggf'];

export function readGgUrl(q: URLSearchParams): GgUrlState {
  const g: GgUrlState = {};
  if (q.get('ggm') === 'ggemmeans') g.method = 'ggemmeans';
  if (q.get('ggt') === 'random') g.type = 'random';
  const level = Number(q.get('ggl'));
  if (q.get('ggl') && level > 0 && level < 1 && level !== 0.95) g.level = level;
  const terms: string[] = [];
  for (const k of TERM_KEYS) {
    const t = q.get(k);
    if (!t || t.trim() === '' || t.length > 300) break;
    terms.push(t.trim());
  }
  if (terms.length) g.terms = terms;
  return g;
}

export function writeGgUrl(q: URLSearchParams, g: GgUrlState): void {
  q.set('gg', '1');
  if (g.method === 'ggemmeans') q.set('ggm', 'ggemmeans');
  if (g.type === 'random') q.set('ggt', 'random');
  if (g.level !== undefined && g.level !== 0.95) q.set('ggl', String(g.level));
  (g.terms ?? []).slice(0, MAX_TERMS).forEach((t, k) => q.set(TERM_KEYS[k]!, t));
}

/** the address's state of the card's fields (the terms as written, even before they are valid) */
export function ggUrlOf(f: GgFields): GgUrlState {
  const g: GgUrlState = {};
  if (f.method === 'ggemmeans') g.method = 'ggemmeans';
  if (f.type === 'random') g.type = 'random';
  const level = Number(f.level);
  if (f.level.trim() !== '' && level > 0 && level < 1 && level !== 0.95) g.level = level;
  const terms: string[] = [];
  for (const t of f.terms) {
    if (t.variable === '') break;
    terms.push(termText(t.variable, t.values));
  }
  if (terms.length) g.terms = terms;
  return g;
}

/** the card's fields of an address's state: each term split into its variable and its brackets' text */
export function ggFieldsOf(g: GgUrlState): GgFields {
  const terms = TERM_ROLES.map((_, k) => {
    const t = g.terms?.[k];
    if (t === undefined) return { variable: '', values: '' };
    const open = t.indexOf('[');
    if (open < 0) return { variable: t.trim(), values: '' };
    const close = t.lastIndexOf(']');
    return { variable: t.slice(0, open).trim(), values: t.slice(open + 1, close > open ? close : undefined).trim() };
  });
  return { method: g.method ?? 'ggpredict', type: g.type ?? 'fixed', level: String(g.level ?? 0.95), terms };
}
