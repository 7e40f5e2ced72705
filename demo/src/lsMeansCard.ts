/**
 * The page's side of the Least-squares means card (lmerTest 3.1-3's ls_means / difflsmeans of the lmer fit
 * shown), no DOM and no library math: the card's fields as the worker's request (each bad field named), the
 * R call that reproduces the table, the table's cells (NA where lmerTest gives NA), its CSV, and the card's
 * settings in the address. The numbers are the library's fit.lsMeans, computed in the worker
 * (./lsMeansRun.ts, which also names the field a refusal of the library is about).
 */
import type { LsmField, LsmMsg, LsmRequest } from './protocol.js';
import { csv, fmt, fmtP } from './dom.js';

/** each field's name in the card's messages */
export const LSM_FIELD_LABELS: Record<LsmField, string> = { which: 'term', pairwise: 'pairwise', ddf: 'df', level: 'level' };

/** the card's fields, as chosen or typed; the ddf is the page's (the fixed-effects card's df method) */
export interface LsmFields {
  /** a factor term, or '' for every factor term (ls_means's default) */
  which: string;
  pairwise: boolean;
  ddf: string;
  level: string;
}

export function defaultLsmFields(): LsmFields {
  return { which: '', pairwise: false, ddf: 'satterthwaite', level: '0.95' };
}

/** a field the card refuses, named */
export class LsmFieldError extends Error {
  constructor(readonly field: LsmField, message: string) {
    super(`${LSM_FIELD_LABELS[field]}: ${message}`);
    this.name = 'LsmFieldError';
  }
}

/**
 * The worker's request of the card's fields for a fit whose factor terms are `terms` (null: not an lmer fit);
 * a bad field throws an LsmFieldError naming it.
 */
export function lsmRequest(f: LsmFields, terms: readonly string[] | null): LsmRequest {
  if (terms === null) throw new LsmFieldError('which', "lmerTest's ls_means is for lmer fits (for this fit use the estimated marginal means card: emmeans)");
  if (terms.length === 0) throw new LsmFieldError('which', 'the fixed part has no factor term: lmerTest\'s least-squares means are of terms of factors only');
  if (f.which !== '' && !terms.includes(f.which)) throw new LsmFieldError('which', `'${f.which}' is not a factor term of the fixed part (${terms.join(', ')})`);
  if (f.ddf !== 'satterthwaite' && f.ddf !== 'kenward-roger') throw new LsmFieldError('ddf', `'${f.ddf}' is not Satterthwaite or Kenward-Roger`);
  const t = f.level.trim();
  const level = Number(t);
  if (t === '' || !Number.isFinite(level) || !(level > 0 && level < 1)) throw new LsmFieldError('level', `a number between 0 and 1 (exclusive), e.g. 0.95, not '${f.level}'`);
  return { which: f.which === '' ? null : [f.which], pairwise: f.pairwise, ddf: f.ddf, level };
}

/** the message the card shows for the library's refusal: the field named first */
export function lsmErrorText(message: string, field: LsmField | null): string {
  return field ? `${LSM_FIELD_LABELS[field]}: ${message}` : message;
}

/** an R string literal */
const rString = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** ls_means(fit, which = "A", level = 0.9, pairwise = TRUE, ddf = "Kenward-Roger"): lmerTest's defaults left out */
export function lsmCall(r: LsmRequest): string {
  const args = ['fit'];
  if (r.which) args.push(`which = ${r.which.length === 1 ? rString(r.which[0]!) : `c(${r.which.map(rString).join(', ')})`}`);
  if (r.level !== 0.95) args.push(`level = ${r.level}`);
  if (r.pairwise) args.push('pairwise = TRUE');
  if (r.ddf === 'kenward-roger') args.push('ddf = "Kenward-Roger"');
  return `ls_means(${args.join(', ')})`;
}

/** the table's header, as lmerTest prints it (the interval's ends named lower and upper) */
export const LSM_HEADER = ['', 'Estimate', 'Std. Error', 'df', 't value', 'lower', 'upper', 'Pr(>|t|)'];

/** a row's cells: 5 significant digits, df to 1 decimal as lmerTest rounds it, NA where lmerTest gives NA (a non-estimable row) */
export function lsmCells(r: LsmMsg['rows'][number]): string[] {
  const df = Number.isNaN(r.df) ? 'NA' : (Math.round(r.df * 10) / 10).toFixed(1);
  return [r.name, fmt(r.estimate), fmt(r.se), df, fmt(r.t, 4), fmt(r.lower), fmt(r.upper), Number.isNaN(r.p) ? 'NA' : fmtP(r.p)];
}

/** the table as CSV: the term and row name, then lmerTest's columns at full precision (NA where it gives NA) */
export function lsmCsv(m: LsmMsg): string {
  return csv(['term', 'name', 'estimate', 'std_error', 'df', 't_value', 'lower', 'upper', 'p_value'],
    m.rows.map((r) => [r.term, r.name, r.estimate, r.se, r.df, r.t, r.lower, r.upper, r.p]));
}

/** the card's settings in the address (absent: the default); the ddf is the page's own (`ddf`) */
export interface LsmUrlState {
  which?: string;
  pairwise?: true;
  level?: number;
}

/** lsm=1&lsmw=A:B&lsmp=1&lsml=0.9 */
export function readLsmUrl(q: URLSearchParams): LsmUrlState | undefined {
  if (q.get('lsm') !== '1') return undefined;
  const s: LsmUrlState = {};
  const w = q.get('lsmw');
  if (w && w.trim() !== '' && w.length <= 300) s.which = w.trim();
  if (q.get('lsmp') === '1') s.pairwise = true;
  const level = Number(q.get('lsml'));
  if (q.get('lsml') && level > 0 && level < 1 && level !== 0.95) s.level = level;
  return s;
}

export function writeLsmUrl(q: URLSearchParams, s: LsmUrlState): void {
  q.set('lsm', '1');
  if (s.which) q.set('lsmw', s.which);
  if (s.pairwise) q.set('lsmp', '1');
  if (s.level !== undefined && s.level !== 0.95) q.set('lsml', String(s.level));
}

/** the address's state of the card's fields */
export function lsmUrlOf(f: LsmFields): LsmUrlState {
  const s: LsmUrlState = {};
  if (f.which !== '') s.which = f.which;
  if (f.pairwise) s.pairwise = true;
  const level = Number(f.level);
  if (f.level.trim() !== '' && level > 0 && level < 1 && level !== 0.95) s.level = level;
  return s;
}
