/**
 * merTools's data frames as tables: predictInterval's (fit, upr, lwr per row; with which 'all' its effect
 * and obs columns), REsim's (groupFctr, groupID, term, mean, median, sd) and FEsim's (term, mean, median,
 * sd), and their printout as aligned text columns (numbers to 6 significant digits, NA for a missing
 * value). Shared by the CLI (`mixedgpu predictinterval`, `mixedgpu resim`) and the browser app's
 * Simulation intervals card.
 */
import type { PredictIntervalSimResult } from './predictIntervalSim.js';
import type { FeSimRow, ReSimRow } from './reSim.js';

/** a data frame: its columns in order and its rows by column name (the shape of broom's SimTable, which the CLI writes as CSV) */
export interface SimTable {
  columns: string[];
  rows: Record<string, number | string | null>[];
}

/** predictInterval's data frame: fit, upr, lwr per row (with which 'all', merTools's effect and obs columns) */
export function predictIntervalTable(r: PredictIntervalSimResult): SimTable {
  const n = r.fit.length;
  const rowsOf = (effect: string | null, c: { fit: Float64Array; upr: Float64Array; lwr: Float64Array }) =>
    Array.from({ length: n }, (_, i) => ({ ...(effect === null ? {} : { effect }), fit: c.fit[i], upr: c.upr[i], lwr: c.lwr[i], ...(effect === null ? {} : { obs: i + 1 }) }));
  if (!r.parts) return { columns: ['fit', 'upr', 'lwr'], rows: rowsOf(null, r) };
  return { columns: ['effect', 'fit', 'upr', 'lwr', 'obs'], rows: [...rowsOf('combined', r), ...r.parts.flatMap((p) => rowsOf(p.effect, p))] };
}

/** REsim's data frame */
export function reSimTable(rows: readonly ReSimRow[]): SimTable {
  return { columns: ['groupFctr', 'groupID', 'term', 'mean', 'median', 'sd'], rows: rows.map((r) => ({ ...r })) };
}

/** FEsim's data frame */
export function feSimTable(rows: readonly FeSimRow[]): SimTable {
  return { columns: ['term', 'mean', 'median', 'sd'], rows: rows.map((r) => ({ ...r })) };
}

/** a table as aligned text columns (numbers to 6 significant digits, NA for null) */
export function printSimTable(t: SimTable): string {
  const cells = t.rows.map((r) => t.columns.map((c) => {
    const v = r[c];
    return v === null || v === undefined ? 'NA' : typeof v === 'number' ? String(Number(v.toPrecision(6))) : String(v);
  }));
  const widths = t.columns.map((c, j) => Math.max(c.length, ...cells.map((row) => row[j].length)));
  const line = (xs: string[]) => xs.map((x, j) => x.padStart(widths[j])).join('  ');
  return [line(t.columns), ...cells.map(line)].join('\n');
}
