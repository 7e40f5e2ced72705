/**
 * The page's side of the Multiple comparisons card (multcomp 1.4-22's glht of the lmer or glmer fit shown),
 * no DOM and no library math: the card's fields as the worker's request (each bad field named), the R call
 * that reproduces the card's tables, the card's field a refusal of the library is about, the summary table's
 * and the intervals' cells, the CSV and the plot's rows (plot.confint.glht: one interval per hypothesis, a
 * line at 0). The numbers are the library's glht, computed in the worker (./glhtRun.ts, which also names the
 * field a refusal of the library is about).
 */
import { CONTRAST_TYPES, type ContrastType } from '../../src/inference/contrMat.js';
import { GLHT_TESTS, MAXSETS_LIMIT, type GlhtTest } from '../../src/inference/glht.js';
import type { EmmVariable, GlhtField, GlhtMsg, GlhtRequest } from './protocol.js';
import { csv, fmtP } from './dom.js';

export { CONTRAST_TYPES, GLHT_TESTS, MAXSETS_LIMIT };
export const GLHT_ALTERNATIVES = ['two.sided', 'less', 'greater'] as const;

/** each field's name in the card's messages */
export const GLHT_FIELD_LABELS: Record<GlhtField, string> = {
  factor: 'factor', type: 'contrast', base: 'base level', alternative: 'alternative', test: 'test', level: 'level',
  interactionAverage: 'interaction_average', covariateAverage: 'covariate_average',
};

/** the card's fields, as chosen or typed */
export interface GlhtFields {
  factor: string;
  type: string;
  /** Dunnett's base level by name ('' or the first level: mcp's own) */
  base: string;
  alternative: string;
  test: string;
  level: string;
  /** mcp's interaction_average and covariate_average (the checkboxes) */
  interactionAverage: boolean;
  covariateAverage: boolean;
}

export function defaultGlhtFields(factor = ''): GlhtFields {
  return { factor, type: 'Tukey', base: '', alternative: 'two.sided', test: 'single-step', level: '0.95', interactionAverage: false, covariateAverage: false };
}

/** a field the card refuses, named ('factor', 'type', 'base', 'alternative', 'test', 'level') */
export class GlhtFieldError extends Error {
  constructor(readonly field: GlhtField, message: string) {
    super(`${GLHT_FIELD_LABELS[field]}: ${message}`);
    this.name = 'GlhtFieldError';
  }
}

/** the factors the card offers: the fixed part's factors (emmeans's variables of kind factor) */
export function glhtFactors(vars: readonly EmmVariable[]): EmmVariable[] {
  return vars.filter((v) => v.kind === 'factor');
}

/**
 * The worker's request of the card's fields for a fit whose fixed part has `vars`; a bad field throws a
 * GlhtFieldError naming it. (What only the library knows — a type that needs three levels, Shaffer's and
 * Westfall's limit of hypotheses — is its refusal, named by ./glhtRun.ts glhtFieldOf.)
 */
export function glhtRequest(f: GlhtFields, vars: readonly EmmVariable[]): GlhtRequest {
  const factors = glhtFactors(vars);
  if (factors.length === 0) throw new GlhtFieldError('factor', 'the fixed part has no factor: mcp compares the levels of a factor');
  const v = factors.find((x) => x.name === f.factor);
  if (!v) throw new GlhtFieldError('factor', `'${f.factor}' is not a factor of the fixed part (${factors.map((x) => x.name).join(', ')})`);
  if (v.levels.length < 2) throw new GlhtFieldError('factor', `'${v.name}' has ${v.levels.length === 1 ? `one level ('${v.levels[0]}')` : 'no levels'}: multiple comparisons need two or more`);
  if (!(CONTRAST_TYPES as readonly string[]).includes(f.type)) throw new GlhtFieldError('type', `'${f.type}' is not one of multcomp's contrast types (${CONTRAST_TYPES.join(', ')})`);
  let base = 1;
  if (f.type === 'Dunnett' && f.base !== '') {
    const k = v.levels.indexOf(f.base);
    if (k < 0) throw new GlhtFieldError('base', `'${f.base}' is not a level of '${v.name}' (${v.levels.join(', ')})`);
    base = k + 1;
  }
  if (!(GLHT_ALTERNATIVES as readonly string[]).includes(f.alternative)) throw new GlhtFieldError('alternative', `'${f.alternative}' is not two.sided, less or greater`);
  if (!(GLHT_TESTS as readonly string[]).includes(f.test)) throw new GlhtFieldError('test', `'${f.test}' is not one of multcomp's tests (${GLHT_TESTS.join(', ')})`);
  const t = f.level.trim();
  const level = Number(t);
  if (t === '' || !Number.isFinite(level) || !(level > 0 && level < 1)) throw new GlhtFieldError('level', `a number between 0 and 1 (exclusive), e.g. 0.95, not '${f.level}'`);
  return {
    factor: v.name, type: f.type as ContrastType, base, alternative: f.alternative as GlhtRequest['alternative'], test: f.test as GlhtTest, level,
    interactionAverage: f.interactionAverage === true, covariateAverage: f.covariateAverage === true,
  };
}

/** the message the card shows for the library's refusal: the field named first */
export function glhtErrorText(message: string, field: GlhtField | null): string {
  return field ? `${GLHT_FIELD_LABELS[field]}: ${message}` : message;
}

/** an R name: as it is where syntactic, else in backticks */
function rName(name: string): string {
  return /^([A-Za-z]|\.(?![0-9]))[A-Za-z0-9._]*$/.test(name) ? name : `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

/** an R string literal */
const rString = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * glht(fit, linfct = mcp(f = "Tukey"), alternative = "less"): Dunnett against another base by contrMat;
 * mcp's interaction_average = TRUE and covariate_average = TRUE where ticked
 */
export function glhtObjectCall(r: GlhtRequest): string {
  const f = rName(r.factor);
  const column = /^`/.test(f) ? `model.frame(fit)[[${rString(r.factor)}]]` : `model.frame(fit)$${f}`;
  const spec = r.type === 'Dunnett' && r.base !== 1 ? `contrMat(table(${column}), "Dunnett", base = ${r.base})` : rString(r.type);
  const average = `${r.interactionAverage ? ', interaction_average = TRUE' : ''}${r.covariateAverage ? ', covariate_average = TRUE' : ''}`;
  return `glht(fit, linfct = mcp(${f} = ${spec}${average})${r.alternative === 'two.sided' ? '' : `, alternative = "${r.alternative}"`})`;
}

/** multcomp's test argument of summary(): adjusted("holm"), univariate(), Chisqtest(), Ftest(); null for the default (single-step) */
export function glhtTestArg(test: GlhtTest): string | null {
  if (test === 'single-step') return null;
  if (test === 'univariate') return 'univariate()';
  if (test === 'Chisq') return 'Chisqtest()';
  if (test === 'F') return 'Ftest()';
  return `adjusted("${test}")`;
}

/** the R calls of the card's two tables: summary(glht(…), test = …) and confint(glht(…), level = …) */
export function glhtCalls(r: GlhtRequest): { summary: string; confint: string } {
  const g = glhtObjectCall(r);
  const test = glhtTestArg(r.test);
  return {
    summary: `summary(${g}${test ? `, test = ${test}` : ''})`,
    confint: `confint(${g}${r.level !== 0.95 ? `, level = ${r.level}` : ''})`,
  };
}

/** multcomp's eps.Pvalue of an integration error: 10^−s, s = which.min(|1/error − 10^(1:10)|); 0 where none */
export function glhtPEps(error: number): number {
  if (!(error > Number.EPSILON)) return 0;
  let best = 1, gap = Infinity;
  for (let s = 1; s <= 10; s++) { const d = Math.abs(1 / error - Math.pow(10, s)); if (d < gap) { gap = d; best = s; } }
  return Math.pow(10, -best);
}

/** a p-value's cell: below the integration error's power of ten as multcomp prints it ('<1e-04') */
export function glhtPText(p: number | null, error: number): string {
  if (p === null) return '';
  const eps = glhtPEps(error);
  return eps > 0 && p < eps ? `<${eps.toExponential(0).replace(/e-(\d)$/, 'e-0$1')}` : fmtP(p);
}

/** the summary table's header: multcomp's columns (Estimate, Std. Error, z value, the p's), the p's only for a test of each hypothesis */
export function glhtSummaryHeader(m: GlhtMsg): string[] {
  return ['Hypothesis', 'Estimate', 'Std. Error', `${m.stat} value`, ...(m.global ? [] : [m.pName])];
}

/** the note under the summary table, as multcomp's printout ends */
export function glhtSummaryNote(m: GlhtMsg): string {
  if (m.global) return `Global test (${m.global.test}): ${m.global.test === 'Chisq' ? `Chisq = ${m.global.statistic.toPrecision(4)} on ${m.global.df[0]} DF` : `F = ${m.global.statistic.toPrecision(4)} on ${m.global.df[0]} and ${m.global.df[1]} DF`}, p = ${fmtP(m.global.p)}`;
  return m.request.test === 'univariate' ? '(Univariate p values reported)' : `(Adjusted p values reported -- ${m.request.test} method)`;
}

/** the table as CSV: each hypothesis, its estimate, SE, statistic, p (for a test of each hypothesis) and simultaneous interval */
export function glhtCsv(m: GlhtMsg): string {
  const header = ['hypothesis', 'estimate', 'std_error', `${m.stat}_value`, ...(m.global ? [] : ['p_value']), 'lwr', 'upr'];
  return csv(header, m.rows.map((r) => [r.name, r.estimate, r.se, r.statistic, ...(m.global ? [] : [r.p]), r.lower, r.upper]));
}

export interface GlhtPlotRow { name: string; estimate: number; lower: number; upper: number; lowerOpen: boolean; upperOpen: boolean }

/**
 * The plot's rows (plot.confint.glht: one interval per hypothesis, in order from the top, named by its row name) and its x domain
 * (the intervals' finite ends and 0); an infinite end (a one-sided interval) is drawn to the domain's edge.
 */
export function glhtPlotRows(m: GlhtMsg): { rows: GlhtPlotRow[]; domain: [number, number] } {
  const finite = m.rows.flatMap((r) => [r.lower, r.upper, r.estimate]).filter(Number.isFinite);
  let lo = Math.min(0, ...finite), hi = Math.max(0, ...finite);
  const pad = (hi - lo) * 0.05 || 1;
  lo -= pad; hi += pad;
  return {
    domain: [lo, hi],
    rows: m.rows.map((r) => ({
      name: r.label, estimate: r.estimate,
      lower: Number.isFinite(r.lower) ? r.lower : lo, upper: Number.isFinite(r.upper) ? r.upper : hi,
      lowerOpen: !Number.isFinite(r.lower), upperOpen: !Number.isFinite(r.upper),
    })),
  };
}

/** the card in the address: open, with its fields (absent: the default) */
export interface GlhtUrlState {
  factor?: string;
  type?: string;
  /** Dunnett's base level by name */
  base?: string;
  alternative?: string;
  test?: string;
  level?: number;
  interactionAverage?: boolean;
  covariateAverage?: boolean;
}

/** glht=1&ghf=Variety&ght=Dunnett&ghb=Marvellous&gha=less&ghs=holm&ghl=0.9&ghia=1&ghca=1 */
export function readGlhtUrl(q: URLSearchParams): GlhtUrlState | undefined {
  if (q.get('glht') !== '1') return undefined;
  const s: GlhtUrlState = {};
  if (q.get('ghf')) s.factor = q.get('ghf')!;
  const type = q.get('ght');
  if (type && (CONTRAST_TYPES as readonly string[]).includes(type)) s.type = type;
  if (q.get('ghb')) s.base = q.get('ghb')!;
  const alt = q.get('gha');
  if (alt && (GLHT_ALTERNATIVES as readonly string[]).includes(alt)) s.alternative = alt;
  const test = q.get('ghs');
  if (test && (GLHT_TESTS as readonly string[]).includes(test)) s.test = test;
  const level = Number(q.get('ghl'));
  if (q.get('ghl') && level > 0 && level < 1) s.level = level;
  if (q.get('ghia') === '1') s.interactionAverage = true;
  if (q.get('ghca') === '1') s.covariateAverage = true;
  return s;
}

export function writeGlhtUrl(q: URLSearchParams, s: GlhtUrlState): void {
  const d = defaultGlhtFields();
  q.set('glht', '1');
  if (s.factor) q.set('ghf', s.factor);
  if (s.type && s.type !== d.type) q.set('ght', s.type);
  if (s.base) q.set('ghb', s.base);
  if (s.alternative && s.alternative !== d.alternative) q.set('gha', s.alternative);
  if (s.test && s.test !== d.test) q.set('ghs', s.test);
  if (s.level !== undefined && s.level !== 0.95) q.set('ghl', String(s.level));
  if (s.interactionAverage) q.set('ghia', '1');
  if (s.covariateAverage) q.set('ghca', '1');
}

/** the card's fields as the address keeps them (a level that is not a number left out) */
export function glhtUrlOf(f: GlhtFields): GlhtUrlState {
  const s: GlhtUrlState = {};
  if (f.factor) s.factor = f.factor;
  if (f.type) s.type = f.type;
  if (f.type === 'Dunnett' && f.base) s.base = f.base;
  if (f.alternative) s.alternative = f.alternative;
  if (f.test) s.test = f.test;
  const level = Number(f.level.trim());
  if (f.level.trim() !== '' && level > 0 && level < 1) s.level = level;
  if (f.interactionAverage) s.interactionAverage = true;
  if (f.covariateAverage) s.covariateAverage = true;
  return s;
}
