/**
 * The page's side of the Simulation intervals card (merTools 0.5.2's REsim, FEsim, plotREsim and
 * predictInterval of the lmer or glmer fit shown), no DOM and no library math: the card's fields as the
 * worker's requests (each bad field named), the R calls that reproduce the card's tables, the tables' cells
 * and CSVs, plotREsim's panels (per grouping factor and term, the levels ranked by the median, the intervals
 * that exclude 0 marked), the card's state in the address. The draws are the library's, in the worker
 * (./merToolsRun.ts, which also names the field a refusal of the library is about).
 */
import type { MerSimField, MerSimMsg, MerSimRequest, ReSimMsgRow } from './protocol.js';
import { csv } from './dom.js';

/** each field's name in the card's messages (merTools's argument names) */
export const MERSIM_FIELD_LABELS: Record<MerSimField, string> = {
  nsims: 'n.sims', seed: 'seed', level: 'level', which: 'which', type: 'type', rows: 'rows', newdata: 'newdata',
};

/** the largest n.sims the card sends (the library's own limit is 1e7; the page keeps the draws in memory) */
export const MAX_NSIMS = 100_000;

/** the card's fields, as chosen or typed: REsim's (re*) and predictInterval's (pi*) */
export interface MerSimFields {
  reNsims: string;
  reSeed: string;
  /** plotREsim's level */
  reLevel: string;
  piWhich: string;
  piLevel: string;
  piNsims: string;
  piSeed: string;
  piType: string;
  /** include.resid.var */
  piResid: boolean;
  /** 'edit': the CSV box; 'data': the data's rows */
  piRows: string;
  piNewdata: string;
}

export function defaultMerSimFields(newdata = ''): MerSimFields {
  return {
    reNsims: '1000', reSeed: '1', reLevel: '0.95',
    piWhich: 'full', piLevel: '0.8', piNsims: '1000', piSeed: '1', piType: 'linear.prediction', piResid: true, piRows: 'edit', piNewdata: newdata,
  };
}

/** a field the card refuses, named */
export class MerSimFieldError extends Error {
  constructor(readonly field: MerSimField, message: string) {
    super(`${MERSIM_FIELD_LABELS[field]}: ${message}`);
    this.name = 'MerSimFieldError';
  }
}

function nsimsOf(text: string): number {
  const t = text.trim();
  const n = Number(t);
  if (t === '' || !Number.isInteger(n) || n < 2 || n > MAX_NSIMS) throw new MerSimFieldError('nsims', `a whole number of draws from 2 to ${MAX_NSIMS.toLocaleString('en-US')}, not '${text}'`);
  return n;
}

function seedOf(text: string): number {
  const t = text.trim();
  const n = Number(t);
  if (t === '' || !Number.isSafeInteger(n)) throw new MerSimFieldError('seed', `a whole number, not '${text}'`);
  return n;
}

function levelOf(text: string, example: string): number {
  const t = text.trim();
  const level = Number(t);
  if (t === '' || !Number.isFinite(level) || !(level > 0 && level < 1)) throw new MerSimFieldError('level', `a number between 0 and 1 (exclusive), e.g. ${example}, not '${text}'`);
  return level;
}

/** REsim's and FEsim's request of the card's fields (a bad field throws a MerSimFieldError naming it) */
export function reSimRequest(f: MerSimFields): Extract<MerSimRequest, { kind: 'resim' }> {
  return { kind: 'resim', nsims: nsimsOf(f.reNsims), seed: seedOf(f.reSeed), level: levelOf(f.reLevel, '0.95') };
}

/** predictInterval's request of the card's fields for an lmer (glmm false) or glmer fit */
export function predictIntervalRequest(f: MerSimFields, glmm: boolean): Extract<MerSimRequest, { kind: 'predict' }> {
  if (f.piWhich !== 'full' && f.piWhich !== 'fixed' && f.piWhich !== 'random') throw new MerSimFieldError('which', `'${f.piWhich}' is not full, fixed or random`);
  if (f.piType !== 'linear.prediction' && f.piType !== 'probability') throw new MerSimFieldError('type', `'${f.piType}' is not linear.prediction or probability`);
  if (f.piType === 'probability' && !glmm) throw new MerSimFieldError('type', "'probability' is for glmer fits (the inverse link of the linear predictor); an lmer fit's predictions are 'linear.prediction'");
  if (f.piRows !== 'edit' && f.piRows !== 'data') throw new MerSimFieldError('rows', `'${f.piRows}' is not the box's rows or the data's rows`);
  const level = levelOf(f.piLevel, '0.8');
  const nsims = nsimsOf(f.piNsims);
  const seed = seedOf(f.piSeed);
  if (f.piRows === 'edit') {
    const lines = f.piNewdata.split(/\r?\n/).filter((l) => l.trim() !== '');
    if (lines.length < 2) throw new MerSimFieldError('newdata', 'write a header line of column names and at least one row (CSV), as the box shows on a new fit');
  }
  return {
    kind: 'predict', nsims, seed, level, which: f.piWhich, type: f.piType, includeResidVar: f.piResid,
    rows: f.piRows, newdata: f.piRows === 'edit' ? f.piNewdata : '',
  };
}

/** the message the card shows for the library's refusal: the field named first */
export function merSimErrorText(message: string, field: MerSimField | null): string {
  return field ? `${MERSIM_FIELD_LABELS[field]}: ${message}` : message;
}

/** the R calls of the card's REsim tables and plot */
export function reSimCalls(r: Extract<MerSimRequest, { kind: 'resim' }>): { re: string; fe: string; plot: string } {
  const args = `n.sims = ${r.nsims}, seed = ${r.seed}`;
  return {
    re: `REsim(fit, ${args})`,
    fe: `FEsim(fit, ${args})`,
    plot: `plotREsim(REsim(fit, ${args})${r.level !== 0.95 ? `, level = ${r.level}` : ''})`,
  };
}

/** predictInterval's R call (merTools's defaults left out but the seed; nd: the box's rows, none: the model frame) */
export function predictIntervalCall(r: Extract<MerSimRequest, { kind: 'predict' }>): string {
  const args = ['fit'];
  if (r.rows === 'edit') args.push('newdata = nd');
  if (r.which !== 'full') args.push(`which = "${r.which}"`);
  if (r.level !== 0.8) args.push(`level = ${r.level}`);
  if (r.nsims !== 1000) args.push(`n.sims = ${r.nsims}`);
  if (r.type !== 'linear.prediction') args.push(`type = "${r.type}"`);
  if (!r.includeResidVar) args.push('include.resid.var = FALSE');
  args.push(`seed = ${r.seed}`);
  return `predictInterval(${args.join(', ')})`;
}

/** REsim's table as CSV, with plotREsim's interval (ymin, ymax) and whether it excludes 0 */
export function reSimCsv(m: Extract<MerSimMsg, { kind: 'resim' }>): string {
  return csv(['groupFctr', 'groupID', 'term', 'mean', 'median', 'sd', 'ymin', 'ymax', 'sig'],
    m.re.map((r) => [r.groupFctr, r.groupID, r.term, r.mean, r.median, r.sd, r.ymin, r.ymax, r.sig ? 'TRUE' : 'FALSE']));
}

export function feSimCsv(m: Extract<MerSimMsg, { kind: 'resim' }>): string {
  return csv(['term', 'mean', 'median', 'sd'], m.fe.map((r) => [r.term, r.mean, r.median, r.sd]));
}

/**
 * predictInterval's table as CSV: the row's number, the new data's columns (where the message has every
 * row's cells; the data's rows beyond the first MAX_CELL_ROWS have only their number), then fit, upr, lwr
 */
export function predictIntervalCsv(m: Extract<MerSimMsg, { kind: 'predict' }>): string {
  const all = m.cells.length === m.fit.length;
  return csv(['row', ...(all ? m.columns : []), 'fit', 'upr', 'lwr'], m.fit.map((f, i) => [i + 1, ...(all ? m.cells[i]! : []), f, m.upr[i]!, m.lwr[i]!]));
}

/** one panel of plotREsim: a grouping factor's term, its levels ranked by the median */
export interface ReSimPanel {
  groupFctr: string;
  term: string;
  rows: (ReSimMsgRow & { rank: number })[];
  /** how many intervals exclude 0 */
  sig: number;
}

/** plotREsim's panels (facet_grid(term ~ groupFctr)), each's levels in the order of the median (its x axis) */
export function reSimPanels(rows: readonly ReSimMsgRow[]): ReSimPanel[] {
  const panels = new Map<string, ReSimPanel>();
  for (const r of rows) {
    const key = JSON.stringify([r.groupFctr, r.term]);
    let p = panels.get(key);
    if (!p) { p = { groupFctr: r.groupFctr, term: r.term, rows: [], sig: 0 }; panels.set(key, p); }
    p.rows.push({ ...r, rank: 0 });
    if (r.sig) p.sig++;
  }
  for (const p of panels.values()) {
    p.rows.sort((a, b) => a.median - b.median);
    p.rows.forEach((r, i) => { r.rank = i + 1; });
  }
  return [...panels.values()];
}

/** the card in the address: open, with the fields other than their defaults (never the CSV box's rows) */
export interface MerSimUrlState {
  reNsims?: number;
  reSeed?: number;
  reLevel?: number;
  piWhich?: 'fixed' | 'random';
  piLevel?: number;
  piNsims?: number;
  piSeed?: number;
  piType?: 'probability';
  /** include.resid.var = FALSE */
  piNoResid?: boolean;
  piRows?: 'data';
}

const int = (v: string | null, lo: number, hi: number): number | undefined => {
  const n = Number(v);
  return v && Number.isSafeInteger(n) && n >= lo && n <= hi ? n : undefined;
};
const prob = (v: string | null): number | undefined => {
  const n = Number(v);
  return v && n > 0 && n < 1 ? n : undefined;
};

/** mersim=1&msn=1000&mss=1&msl=0.9&mpw=fixed&mpl=0.9&mpn=500&mps=2&mpt=probability&mpr=0&mpd=data */
export function readMerSimUrl(q: URLSearchParams): MerSimUrlState | undefined {
  if (q.get('mersim') !== '1') return undefined;
  const s: MerSimUrlState = {};
  const set = <K extends keyof MerSimUrlState>(k: K, v: MerSimUrlState[K] | undefined) => { if (v !== undefined) s[k] = v; };
  set('reNsims', int(q.get('msn'), 2, MAX_NSIMS));
  set('reSeed', int(q.get('mss'), -(2 ** 53) + 1, 2 ** 53 - 1));
  set('reLevel', prob(q.get('msl')));
  const w = q.get('mpw');
  if (w === 'fixed' || w === 'random') s.piWhich = w;
  set('piLevel', prob(q.get('mpl')));
  set('piNsims', int(q.get('mpn'), 2, MAX_NSIMS));
  set('piSeed', int(q.get('mps'), -(2 ** 53) + 1, 2 ** 53 - 1));
  if (q.get('mpt') === 'probability') s.piType = 'probability';
  if (q.get('mpr') === '0') s.piNoResid = true;
  if (q.get('mpd') === 'data') s.piRows = 'data';
  return s;
}

export function writeMerSimUrl(q: URLSearchParams, s: MerSimUrlState): void {
  q.set('mersim', '1');
  if (s.reNsims !== undefined) q.set('msn', String(s.reNsims));
  if (s.reSeed !== undefined) q.set('mss', String(s.reSeed));
  if (s.reLevel !== undefined) q.set('msl', String(s.reLevel));
  if (s.piWhich) q.set('mpw', s.piWhich);
  if (s.piLevel !== undefined) q.set('mpl', String(s.piLevel));
  if (s.piNsims !== undefined) q.set('mpn', String(s.piNsims));
  if (s.piSeed !== undefined) q.set('mps', String(s.piSeed));
  if (s.piType) q.set('mpt', s.piType);
  if (s.piNoResid) q.set('mpr', '0');
  if (s.piRows) q.set('mpd', s.piRows);
}

/** the card's fields as the address keeps them: those other than the defaults, valid ones only */
export function merSimUrlOf(f: MerSimFields): MerSimUrlState {
  const d = defaultMerSimFields();
  const q = new URLSearchParams();
  const num = (v: string, dv: string) => (v.trim() !== dv ? v.trim() : null);
  const put = (k: string, v: string | null) => { if (v !== null && v !== '') q.set(k, v); };
  put('msn', num(f.reNsims, d.reNsims));
  put('mss', num(f.reSeed, d.reSeed));
  put('msl', num(f.reLevel, d.reLevel));
  if (f.piWhich !== 'full') put('mpw', f.piWhich);
  put('mpl', num(f.piLevel, d.piLevel));
  put('mpn', num(f.piNsims, d.piNsims));
  put('mps', num(f.piSeed, d.piSeed));
  if (f.piType === 'probability') put('mpt', 'probability');
  if (!f.piResid) put('mpr', '0');
  if (f.piRows === 'data') put('mpd', 'data');
  q.set('mersim', '1');
  return readMerSimUrl(q)!;
}
