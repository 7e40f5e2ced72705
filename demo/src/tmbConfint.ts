/**
 * The Intervals card of a glmmTMB fit (page side, no DOM): glmmTMB's confint with the card's parameters
 * (parm), level and full; Wald intervals at once, the profile likelihood's ends (method "uniroot", TMB's
 * tmbroot) on request in the worker (./tmbConfintRun.ts). Here: the request of the card's fields (a bad
 * field named), the R call it matches, the table's cells (NA where the profile did not reach the level
 * within ±7 SE), its notes, the CSV, and the address's fields (the profile, like lme4's profile intervals
 * of the lmer card, is never run on opening a link: the Wald table is, with a note).
 */
import type { TmbCiMsg, TmbCiRequest, TmbCiSetup } from './protocol.js';
import { csv } from './dom.js';

/** the card's fields as the page holds them */
export interface TmbCiFields {
  /** '' (every row), 'beta_', 'theta_', 'disp_' or a position */
  parm: string;
  level: string;
  full: boolean;
}

/** a field the request refuses: its name ('parm', 'level', 'method') and the reason */
export class TmbCiFieldError extends Error {
  constructor(readonly field: 'parm' | 'level' | 'method', message: string) {
    super(message);
    this.name = 'TmbCiFieldError';
  }
}

export const TMB_CI_DEFAULT_FIELDS: TmbCiFields = { parm: '', level: '0.95', full: false };

/** the request of the card's fields for the method; a bad field is a TmbCiFieldError naming it */
export function tmbCiRequest(f: TmbCiFields, method: 'wald' | 'uniroot', setup: TmbCiSetup): TmbCiRequest {
  const text = f.level.trim();
  const level = Number(text);
  if (text === '' || !Number.isFinite(level) || !(level > 0 && level < 1)) {
    throw new TmbCiFieldError('level', `level must be a number between 0 and 1 (exclusive), e.g. 0.95, not "${f.level}"`);
  }
  if (f.parm !== '' && !setup.parms.some((p) => p.value === f.parm)) {
    throw new TmbCiFieldError('parm', `parameters: "${f.parm}" is none of this fit's (${setup.parms.map((p) => p.value).join(', ')})`);
  }
  if (method === 'uniroot' && setup.profileRefusal) throw new TmbCiFieldError('method', `Profile intervals: ${setup.profileRefusal}`);
  return { method, level, parm: f.parm, full: f.full };
}

/** R's call: confint(fit, parm = "theta_", level = 0.9, method = "uniroot", full = TRUE), the defaults left out */
export function tmbCiCall(r: TmbCiRequest): string {
  const args = ['fit'];
  if (r.parm !== '') args.push(`parm = ${/^[0-9]+$/.test(r.parm) ? r.parm : `"${r.parm}"`}`);
  if (r.level !== 0.95) args.push(`level = ${r.level}`);
  if (r.method === 'uniroot') args.push('method = "uniroot"');
  if (r.full) args.push('full = TRUE');
  return `confint(${args.join(', ')})`;
}

/** the table's header (Parameter and R's columns) and each row's cells: 'NA' where an end is NA */
export function tmbCiCells(m: TmbCiMsg, format: (x: number) => string): { header: string[]; rows: { name: string; cells: string[] }[] } {
  const cell = (v: number | null) => (v === null ? 'NA' : format(v));
  return {
    header: ['Parameter', ...m.columns],
    rows: m.rows.map((r) => ({ name: r.name, cells: [cell(r.lower), cell(r.upper), ...(m.columns.length > 2 ? [cell(r.estimate)] : [])] })),
  };
}

/** the rows with an NA end */
export function tmbCiNaRows(m: TmbCiMsg): string[] {
  return m.rows.filter((r) => r.lower === null || r.upper === null).map((r) => r.name);
}

/** what the table's caption says of the method, and the notes under it (NA's reason) */
export function tmbCiNotes(m: TmbCiMsg): string[] {
  const out: string[] = [];
  const pct = `${Math.round(m.request.level * 1e6) / 1e4} %`;
  if (m.request.method === 'wald') {
    out.push(`Wald intervals at ${pct}: estimate ± z SE (z = qnorm((1 + level)/2), SE from the inverse Hessian); σ, the random effects' standard deviations and correlations by glmmTMB's monotone transformation of the parameters moved by ± z SE.`);
  } else {
    out.push(`Profile likelihood intervals at ${pct} (TMB's tmbroot): the ends where −log L, minimized over the other parameters, has risen by χ²₁(level)/2, on the parameters' own scale (the fixed effects; log φ (d~); the random effects' log SDs and correlation parameters (theta_)); ${m.profileEvaluations} profile evaluations, each an optimization over the other parameters.`);
  }
  const na = tmbCiNaRows(m);
  if (na.length) out.push(`NA (${na.join(', ')}): the profile did not reach the level within ±7 SE of the estimate (tmbroot's bracket), so that end is not found — the likelihood is too flat there.`);
  return out;
}

/** the table as CSV: the parameter's name and R's columns (NA for an end not found) */
export function tmbCiCsv(m: TmbCiMsg): string {
  return csv(['parameter', ...m.columns], m.rows.map((r) => [r.name, r.lower, r.upper, ...(m.columns.length > 2 ? [r.estimate] : [])]));
}

/** the card's fields in the address, each left out at its default; method 'uniroot': the profile was the table shown (never run on opening) */
export interface TmbCiUrlState {
  parm?: string;
  level?: number;
  full?: true;
  method?: 'uniroot';
}

/** tcip=theta_&tcil=0.9&tcif=1&tcim=uniroot */
export function readTmbCiUrl(q: URLSearchParams): TmbCiUrlState | undefined {
  const s: TmbCiUrlState = {};
  const parm = q.get('tcip');
  if (parm && /^(beta_|theta_|disp_|[1-9][0-9]{0,3})$/.test(parm)) s.parm = parm;
  const level = Number(q.get('tcil'));
  if (q.get('tcil') && level > 0 && level < 1 && level !== 0.95) s.level = level;
  if (q.get('tcif') === '1') s.full = true;
  if (q.get('tcim') === 'uniroot') s.method = 'uniroot';
  return Object.keys(s).length ? s : undefined;
}

export function writeTmbCiUrl(q: URLSearchParams, s: TmbCiUrlState): void {
  if (s.parm) q.set('tcip', s.parm);
  if (s.level !== undefined && s.level !== 0.95) q.set('tcil', String(s.level));
  if (s.full) q.set('tcif', '1');
  if (s.method === 'uniroot') q.set('tcim', 'uniroot');
}

/** the address's state of the card's fields and the method of the table shown (a level not yet valid left out) */
export function tmbCiUrlOf(f: TmbCiFields, method: 'wald' | 'uniroot'): TmbCiUrlState | undefined {
  const s: TmbCiUrlState = {};
  if (f.parm !== '') s.parm = f.parm;
  const level = Number(f.level);
  if (f.level.trim() !== '' && level > 0 && level < 1 && level !== 0.95) s.level = level;
  if (f.full) s.full = true;
  if (method === 'uniroot') s.method = 'uniroot';
  return Object.keys(s).length ? s : undefined;
}

/** the card's fields of an address's state; a parm this fit has not is every row's */
export function tmbCiFieldsOf(s: TmbCiUrlState, setup: TmbCiSetup): TmbCiFields {
  return {
    parm: s.parm && setup.parms.some((p) => p.value === s.parm) ? s.parm : '',
    level: String(s.level ?? 0.95),
    full: s.full === true,
  };
}
