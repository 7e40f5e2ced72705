/**
 * The Intervals card of a glmmTMB fit (page side, no DOM): glmmTMB's confint with the card's parameters
 * (parm), level and full; Wald intervals at once, on request in the worker (./tmbConfintRun.ts) the profile
 * likelihood's ends (method "uniroot", TMB's tmbroot) or glmmTMB's spline through tmbprofile's points (method
 * "profile", with the profile's plot and CSV). Here: the request of the card's fields (a bad field named), the
 * R call it matches, the table's cells (NA where an end is not found), its notes (each NA's reason), the CSV,
 * the profile plot's series (ζ against the parameter), and the address's fields (a profile, like lme4's
 * profile intervals of the lmer card, is never run on opening a link: the Wald table is, with a note).
 */
import { qnorm } from '../../src/index.js';
import type { TmbNaReason } from '../../src/zeroinfl/profileConfint.js';
import type { TmbCiMsg, TmbCiProfileMsg, TmbCiRequest, TmbCiSetup } from './protocol.js';
import { csv } from './dom.js';

/** glmmTMB's confint methods the card runs: 'wald' at once, 'uniroot' and 'profile' on request */
export type TmbCiMethod = TmbCiRequest['method'];
/** the methods run in the worker with progress and Cancel (a link never starts one) */
export type TmbCiProfileMethod = Exclude<TmbCiMethod, 'wald'>;

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
export function tmbCiRequest(f: TmbCiFields, method: TmbCiMethod, setup: TmbCiSetup): TmbCiRequest {
  if (method !== 'wald' && method !== 'uniroot' && method !== 'profile') throw new TmbCiFieldError('method', `method must be "wald", "uniroot" or "profile" (glmmTMB's confint), not "${String(method)}"`);
  const text = f.level.trim();
  const level = Number(text);
  if (text === '' || !Number.isFinite(level) || !(level > 0 && level < 1)) {
    throw new TmbCiFieldError('level', `level must be a number between 0 and 1 (exclusive), e.g. 0.95, not "${f.level}"`);
  }
  if (f.parm !== '' && !setup.parms.some((p) => p.value === f.parm)) {
    throw new TmbCiFieldError('parm', `parameters: "${f.parm}" is none of this fit's (${setup.parms.map((p) => p.value).join(', ')})`);
  }
  if (method !== 'wald' && setup.profileRefusal) throw new TmbCiFieldError('method', `Profile intervals: ${setup.profileRefusal}`);
  return { method, level, parm: f.parm, full: f.full };
}

/** R's call: confint(fit, parm = "theta_", level = 0.9, method = "uniroot", full = TRUE), the defaults left out (method "wald") */
export function tmbCiCall(r: TmbCiRequest): string {
  const args = ['fit'];
  if (r.parm !== '') args.push(`parm = ${/^[0-9]+$/.test(r.parm) ? r.parm : `"${r.parm}"`}`);
  if (r.level !== 0.95) args.push(`level = ${r.level}`);
  if (r.method !== 'wald') args.push(`method = "${r.method}"`);
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

/** one parameter's profile rows (the i-th profiled), in .focal order */
function profileRowsOf(p: TmbCiProfileMsg, i: number): TmbCiProfileMsg['rows'] {
  const position = p.parameters[i]!.position;
  return p.rows.filter((r) => r.position === position);
}

/** each NA end (parameter, side) with the library's reason (confint's TmbConfintRow.naReason), in the rows' order */
export function tmbCiNa(m: TmbCiMsg): { name: string; side: 'lower' | 'upper'; reason: TmbNaReason }[] {
  return m.rows.flatMap((r) => (['lower', 'upper'] as const).flatMap((side) => (r[side] === null ? [{ name: r.name, side, reason: r.naReason[side] ?? 'not-evaluated' }] : [])));
}

/** what the table's caption says of the method, and the notes under it (NA's reason) */
export function tmbCiNotes(m: TmbCiMsg): string[] {
  const out: string[] = [];
  const pct = `${Math.round(m.request.level * 1e6) / 1e4} %`;
  const scale = 'on the parameters\' own scale (the fixed effects; log φ (d~); the random effects\' log SDs and correlation parameters (theta_))';
  if (m.request.method === 'wald') {
    out.push(`Wald intervals at ${pct}: estimate ± z SE (z = qnorm((1 + level)/2), SE from the inverse Hessian); σ, the random effects' standard deviations and correlations by glmmTMB's monotone transformation of the parameters moved by ± z SE.`);
  } else if (m.request.method === 'uniroot') {
    out.push(`Profile likelihood intervals at ${pct} (TMB's tmbroot): the ends where −log L, minimized over the other parameters, has risen by χ²₁(level)/2, ${scale}; ${m.profileEvaluations} profile evaluations, each an optimization over the other parameters.`);
  } else {
    out.push(`Profile likelihood intervals at ${pct} (glmmTMB's profile(fit, level_max = level), then confint of it): TMB's tmbprofile walks each parameter up and down from its estimate in steps from SE/4 (halved where −log L moved by more than χ²₁(level)/8, doubled where by much less), minimizing −log L over the other parameters at each point, until −log L has risen by χ²₁(level); on each side of the least point a natural spline through the points, inverted at χ²₁(level)/2; ${scale}; ${m.profileEvaluations} profile evaluations, each an optimization over the other parameters.`);
  }
  const na = tmbCiNa(m);
  const named = (reason: TmbNaReason) => na.filter((x) => x.reason === reason).map((x) => `${x.name} ${x.side}`);
  const [notReached, outside, failed] = [named('not-reached'), named('spline'), named('not-evaluated')];
  if (m.request.method === 'profile') {
    if (notReached.length) out.push(`NA (${notReached.join(', ')}): on that side the profile did not rise by χ²₁(level)/2 before tmbprofile's walk ended, so glmmTMB's inverse spline has no value at the level (NA) — the likelihood is too flat there (see the plot).`);
    if (outside.length) out.push(`NA (${outside.join(', ')}): the profile rose past the level on that side, but glmmTMB's inverse spline has no value there inside that side's profile points (NA, or an extrapolation that glmmTMB 1.1.5 prints and this library gives as NA); method "uniroot" finds the end where there is one.`);
    if (failed.length) out.push(`NA (${failed.join(', ')}): the profile's optimization failed at every point of that parameter's walk.`);
    // the library's own notes (profileGuard.ts: the 'local-minimum' ends), as it prints them
    out.push(...m.notes);
  } else if (m.request.method === 'uniroot') {
    if (notReached.length) out.push(`NA (${notReached.join(', ')}): the profile did not reach the level within ±7 SE of the estimate (tmbroot's bracket), so that end is not found — the likelihood is too flat there.`);
    if (failed.length) out.push(`NA (${failed.join(', ')}): the profile could not be evaluated there (the optimization over the other parameters failed at the bracket's end, ±7 SE, or the parameter has no finite SE).`);
  } else if (failed.length) {
    out.push(`NA (${failed.join(', ')}): glmmTMB's transformation of the parameters moved by ± z SE is undefined there.`);
  }
  return out;
}

/** ζ's line for one profiled parameter: the points, the interval's ends (null: NA or none) and ±z */
export interface TmbProfileSeries {
  name: string;
  /** the parameter's 1-based position in the full vector */
  position: number;
  /** the profile's points, .focal ascending, a repeated .focal once (the two walks' start) and NA values left out */
  points: { focal: number; value: number; zeta: number }[];
  /** the interval's ends shown in the table (null: NA, or no table: the intervals' error) */
  lower: number | null;
  upper: number | null;
  /** ζ at the level's ends: ±z, z = qnorm((1 + level)/2) = √χ²₁(level) */
  z: number;
  /** the points with an NA value (the optimization failed there), left out of the line */
  naPoints: number;
}

/**
 * The profile plot's series: per profiled parameter, lme4's ζ (the signed square root of the deviance difference)
 * against the parameter, ζ = sign(.focal − .focal at the least value) √(2 value), value glmmTMB's −log L
 * difference (so 2 value the deviance difference), and the interval's ends, where ζ crosses ±z. glmmTMB's own
 * example plots √value with a line at 1.96; ζ = √(2 value) is the scale on which that line is the 95 % end.
 */
export function tmbProfileSeries(m: TmbCiMsg): TmbProfileSeries[] {
  if (!m.profile) return [];
  const z = qnorm((1 + m.request.level) / 2);
  return m.profile.parameters.map((p, i) => {
    const all = profileRowsOf(m.profile!, i);
    const finite = all.filter((x) => x.value !== null);
    const least = finite.reduce<(typeof finite)[number] | undefined>((a, x) => (a === undefined || x.value! < a.value! ? x : a), undefined);
    const seen = new Set<number>();
    const points = finite.filter((x) => (seen.has(x.focal) ? false : (seen.add(x.focal), true))).map((x) => ({
      focal: x.focal, value: x.value!,
      // ζ = sign(x − x_min) √(2 (−log L(x) − min −log L)): the deviance difference's signed root
      zeta: Math.sign(x.focal - least!.focal) * Math.sqrt(2 * Math.max(0, x.value!)),
    }));
    const row = m.rows[i];
    return { name: p.name, position: p.position, points, lower: row ? row.lower : null, upper: row ? row.upper : null, z, naPoints: all.length - finite.length };
  });
}

/** the table as CSV: the parameter's name and R's columns (NA for an end not found) */
export function tmbCiCsv(m: TmbCiMsg): string {
  return csv(['parameter', ...m.columns], m.rows.map((r) => [r.name, r.lower, r.upper, ...(m.columns.length > 2 ? [r.estimate] : [])]));
}

/** the card's fields in the address, each left out at its default; method 'uniroot' or 'profile': that profile was the table shown (never run on opening) */
export interface TmbCiUrlState {
  parm?: string;
  level?: number;
  full?: true;
  method?: TmbCiProfileMethod;
}

/** tcip=theta_&tcil=0.9&tcif=1&tcim=uniroot (or profile) */
export function readTmbCiUrl(q: URLSearchParams): TmbCiUrlState | undefined {
  const s: TmbCiUrlState = {};
  const parm = q.get('tcip');
  if (parm && /^(beta_|theta_|disp_|[1-9][0-9]{0,3})$/.test(parm)) s.parm = parm;
  const level = Number(q.get('tcil'));
  if (q.get('tcil') && level > 0 && level < 1 && level !== 0.95) s.level = level;
  if (q.get('tcif') === '1') s.full = true;
  const method = q.get('tcim');
  if (method === 'uniroot' || method === 'profile') s.method = method;
  return Object.keys(s).length ? s : undefined;
}

export function writeTmbCiUrl(q: URLSearchParams, s: TmbCiUrlState): void {
  if (s.parm) q.set('tcip', s.parm);
  if (s.level !== undefined && s.level !== 0.95) q.set('tcil', String(s.level));
  if (s.full) q.set('tcif', '1');
  if (s.method) q.set('tcim', s.method);
}

/** the address's state of the card's fields and the method of the table shown (a level not yet valid left out) */
export function tmbCiUrlOf(f: TmbCiFields, method: TmbCiMethod): TmbCiUrlState | undefined {
  const s: TmbCiUrlState = {};
  if (f.parm !== '') s.parm = f.parm;
  const level = Number(f.level);
  if (f.level.trim() !== '' && level > 0 && level < 1 && level !== 0.95) s.level = level;
  if (f.full) s.full = true;
  if (method !== 'wald') s.method = method;
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
