/**
 * Worker side of the Simulation intervals card (merTools 0.5.2) of a kept lmer or glmer fit: the library's
 * REsim and FEsim of one set of arm's sim draws (src/inference/reSim.ts reFeSimAsync: the same numbers as
 * fit.REsim(options) and fit.FEsim(options)) with plotREsim's intervals (reSimIntervals), or predictInterval
 * (src/inference/predictIntervalSim.ts predictIntervalSimAsync: the same numbers as fit.predictIntervalSim)
 * of the data's rows or of the card's CSV box; progress after each chunk of draws, Cancel through the
 * library's signal; the printouts of the CLI (src/inference/merToolsTables.ts). A refusal of the library is
 * returned with the card's field it is about (merSimFieldOf). The page's logic is ./merToolsCard.ts.
 */
import type * as arrow from 'apache-arrow';
import { DataError, OptionError } from '../../src/errors/errors.js';
import { readCsv } from '../../src/io/csv.js';
import { LmmFit } from '../../src/lmm/lmmFit.js';
import { GlmmFit } from '../../src/glmm/glmmFit.js';
import { predictIntervalSimAsync } from '../../src/inference/predictIntervalSim.js';
import { reFeSimAsync, reSimIntervals } from '../../src/inference/reSim.js';
import { feSimTable, predictIntervalTable, printSimTable, reSimTable } from '../../src/inference/merToolsTables.js';
import { csvField } from './dom.js';
import type { StoredFit } from './fitting.js';
import type { MerSimField, MerSimMsg, MerSimRequest } from './protocol.js';

export interface MerSimContext {
  signal?: AbortSignal;
  onProgress?: (p: { done: number; total: number; label: string }) => void;
}

/** how many rows of the new data the message carries as cells (the table's; the CSV has fit, upr and lwr of all) */
export const MAX_CELL_ROWS = 500;

/**
 * the most draws predictInterval keeps in the worker: rows × n.sims × (grouping factors + 2) values (the parts'
 * draws and their sum, 8 bytes each: 400 MB)
 */
export const MAX_DRAW_VALUES = 5e7;

/** a refusal whose field the card names (merSimFieldOf) */
export class MerSimRunError extends Error {
  constructor(readonly field: MerSimField | null, message: string) {
    super(message);
    this.name = 'MerSimRunError';
  }
}

/**
 * The card's field a refusal is about (null: none): the library's OptionError by its option (nsims, seed,
 * level, which, type, newdata), a DataError of the new data (an unknown level, a column of the wrong kind,
 * the CSV box's text) the rows' field; type 'probability' of an lmer fit the type's.
 */
export function merSimFieldOf(e: unknown, r: MerSimRequest): MerSimField | null {
  if (e instanceof MerSimRunError) return e.field;
  const rowsField: MerSimField = r.kind === 'predict' && r.rows === 'edit' ? 'newdata' : 'rows';
  if (e instanceof OptionError) {
    const o = e.option;
    if (o === 'nsims' || o === 'seed' || o === 'level' || o === 'which' || o === 'type') return o;
    if (o === 'newdata' || o === 'factors' || o === 'delimiter') return rowsField;
    return null;
  }
  if (e instanceof DataError) return rowsField;
  const msg = (e as Error)?.message ?? '';
  if (/not found in the (new )?data|newdata|new data/.test(msg)) return rowsField;
  return null;
}

/** the CSV box as a table: the fit's factor columns that the box has read as factors */
export function newdataOfText(text: string, factors: readonly string[]): arrow.Table {
  let header: string[];
  try {
    header = readCsv(text).table.schema.fields.map((f) => f.name);
  } catch (e) {
    throw new MerSimRunError('newdata', (e as Error).message);
  }
  try {
    return readCsv(text, { factors: factors.filter((f) => header.includes(f)) }).table;
  } catch (e) {
    throw new MerSimRunError('newdata', (e as Error).message);
  }
}

/** the data's columns a prediction reads: the fixed and random parts' variables and the grouping factors (g1:g2's both) */
export function modelVariables(fit: LmmFit | GlmmFit, table: arrow.Table): string[] {
  const frame = fit.model.frame;
  const names = [...frame.columns.keys(), ...frame.reTerms.flatMap((t) => t.group.split(':'))];
  return [...new Set(names)].filter((n) => table.getChild(n) !== null);
}

/** the first rows of the data's model variables as CSV: the CSV box's text for a new fit */
export function newdataHead(fit: LmmFit | GlmmFit, table: arrow.Table, rows = 6): string {
  const names = modelVariables(fit, table);
  const cols = names.map((n) => table.getChild(n)!);
  const k = Math.min(rows, table.numRows);
  const lines = [names.map(csvField).join(',')];
  for (let i = 0; i < k; i++) lines.push(cols.map((c) => cellText(c.get(i))).map(csvField).join(','));
  return `${lines.join('\n')}\n`;
}

/** a printout's header and first `rows` rows, and how many more there are */
function printedHead(text: string, rows: number): string {
  const lines = text.split('\n');
  if (lines.length <= rows + 1) return text;
  return [...lines.slice(0, rows + 1), `… ${(lines.length - rows - 1).toLocaleString('en-US')} more rows (in the CSV)`].join('\n');
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NA';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'NA';
  if (typeof v === 'bigint') return v.toString();
  return String(v);
}

/** REsim and FEsim (one set of draws) with plotREsim's intervals, or predictInterval, of the card's request */
export async function runMerSim(stored: StoredFit | undefined, table: arrow.Table | null, r: MerSimRequest, ctx: MerSimContext = {}): Promise<MerSimMsg> {
  const t0 = performance.now();
  if (!stored) throw new Error('that fit is no longer kept (new data were loaded)');
  const fit = stored.fit;
  if (!(fit instanceof LmmFit || fit instanceof GlmmFit)) throw new Error("merTools's simulations are implemented here for lmer and glmer fits");
  const onProgress = (label: string) => (p: { done: number; total: number }) => ctx.onProgress?.({ done: p.done, total: p.total, label });
  if (r.kind === 'resim') {
    // REsim keeps every draw of every random effect and fixed effect (its medians need them)
    const effects = fit.model.frame.p + fit.model.blocks.reduce((a, b) => a + b.nl * b.q, 0);
    if (effects * r.nsims > MAX_DRAW_VALUES) {
      throw new MerSimRunError('nsims', `${effects.toLocaleString('en-US')} effects × ${r.nsims.toLocaleString('en-US')} draws keep ${(effects * r.nsims * 8 / 2 ** 20).toFixed(0)} MB of draws in the page, more than its ${(MAX_DRAW_VALUES * 8 / 2 ** 20).toFixed(0)} MB: take fewer draws`);
    }
    const { re, fe } = await reFeSimAsync(fit, { nsims: r.nsims, seed: r.seed }, { signal: ctx.signal, onProgress: onProgress('draws') });
    const intervals = reSimIntervals(re, { level: r.level });
    return {
      kind: 'resim', request: { ...r },
      re: intervals.map((x) => ({ groupFctr: x.groupFctr, groupID: x.groupID, term: x.term, mean: x.mean, median: x.median, sd: x.sd!, ymin: x.ymin, ymax: x.ymax, sig: x.sig })),
      fe: fe.map((x) => ({ term: x.term, mean: x.mean, median: x.median, sd: x.sd! })),
      reText: printSimTable(reSimTable(re)),
      feText: printSimTable(feSimTable(fe)),
      elapsedMs: performance.now() - t0,
    };
  }
  let newdata: arrow.Table;
  if (r.rows === 'data') {
    if (!table) throw new MerSimRunError('rows', 'no data are loaded');
    newdata = table;
  } else {
    newdata = newdataOfText(r.newdata, stored.request.factors);
  }
  // the library keeps every draw of every row (its quantiles need them): refused before memory runs out
  const values = newdata.numRows * r.nsims * (fit.model.blocks.length + 2);
  if (values > MAX_DRAW_VALUES) {
    throw new MerSimRunError('nsims', `${newdata.numRows.toLocaleString('en-US')} rows × ${r.nsims.toLocaleString('en-US')} draws keep ${(values * 8 / 2 ** 20).toFixed(0)} MB of draws in the page, more than its ${(MAX_DRAW_VALUES * 8 / 2 ** 20).toFixed(0)} MB: take fewer draws or fewer rows (the box's rows)`);
  }
  const res = await predictIntervalSimAsync(fit, newdata, {
    which: r.which, level: r.level, nsims: r.nsims, type: r.type, includeResidVar: r.includeResidVar, seed: r.seed,
  }, { signal: ctx.signal, onProgress: onProgress('draws') });
  // the new data's cells shown beside the intervals: the box's columns, or the data's model variables
  const names = r.rows === 'edit'
    ? newdata.schema.fields.map((f) => f.name)
    : modelVariables(fit, newdata);
  const cols = names.map((n) => newdata.getChild(n)!);
  const shown = Math.min(newdata.numRows, MAX_CELL_ROWS);
  const cells = Array.from({ length: shown }, (_, i) => cols.map((c) => cellText(c.get(i))));
  const messages = [...res.messages];
  if (r.rows === 'data' && newdata.numRows !== fit.nobs) messages.push(`the data have ${newdata.numRows.toLocaleString('en-US')} rows and the fit ${fit.nobs.toLocaleString('en-US')}: rows with a missing value of a model variable have no interval (NA), where merTools's default newdata (the model frame) leaves them out`);
  return {
    kind: 'predict', request: { ...r },
    columns: names, cells,
    fit: [...res.fit], upr: [...res.upr], lwr: [...res.lwr],
    text: printedHead(printSimTable(predictIntervalTable(res)), shown),
    messages,
    elapsedMs: performance.now() - t0,
  };
}
