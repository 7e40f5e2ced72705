/**
 * A tidy table: broom's tibble as named columns and rows, each cell a number, a string or null (R's
 * NA). broom.mixed's reorder_cols fixes the order of tidy()'s columns; bindRows is dplyr's bind_rows
 * (the union of the blocks' columns, NA where a block has none), and the CSV and JSON forms are what
 * the CLI prints (write.csv's text, src/io/csvWrite.ts's conventions).
 */

/** One cell: a number (NaN and ±Inf kept), a string, or null (NA). */
export type Cell = number | string | null;

/** A table with its columns in order; every row has every column. */
export interface TidyTable {
  columns: string[];
  rows: Record<string, Cell>[];
}

/** broom.mixed 0.2.9.4's reorder_cols: tidy()'s columns in this order, the others dropped. */
export const TIDY_COLUMNS = [
  'response', 'effect', 'component', 'group', 'level', 'term', 'index', 'estimate', 'std.error', 'statistic',
  'df', 'p.value', 'conf.low', 'conf.high', 'rhat', 'ess',
] as const;

/**
 * broom.mixed 0.2.9.4's tidy.lme: its select(any_of(...)) of these columns, in this order (not
 * reorder_cols: no component, no index).
 */
export const TIDY_LME_COLUMNS = [
  'effect', 'group', 'level', 'term', 'estimate', 'estimated', 'std.error', 'df', 'statistic', 'p.value', 'conf.low', 'conf.high',
] as const;

/**
 * dplyr's bind_rows of blocks of rows (each with its own columns), then reorder_cols: every row gets
 * every column of any block (null where its block has none), in `order` (TIDY_COLUMNS's by default);
 * `alsoColumns`: the columns of blocks with no rows (a tibble of none still has its columns).
 */
export function bindTidyRows(blocks: readonly Record<string, Cell>[][], order: readonly string[] = TIDY_COLUMNS, alsoColumns: readonly string[] = []): TidyTable {
  const present = new Set<string>(alsoColumns);
  for (const rows of blocks) for (const r of rows) for (const k of Object.keys(r)) present.add(k);
  const columns = order.filter((c) => present.has(c));
  const rows = blocks.flat().map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null])));
  return { columns, rows };
}

function quote(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/** R's write.csv(row.names = FALSE) of the table: quoted names and strings, numbers in shortest round-trip form, NA. */
export function tidyCsv(table: TidyTable): string {
  const cell = (v: Cell): string => {
    if (v === null) return 'NA';
    if (typeof v === 'string') return quote(v);
    if (Number.isNaN(v)) return 'NaN';
    if (v === Infinity) return 'Inf';
    if (v === -Infinity) return '-Inf';
    return String(v);
  };
  const lines = [table.columns.map(quote).join(',')];
  for (const r of table.rows) lines.push(table.columns.map((c) => cell(r[c])).join(','));
  return `${lines.join('\n')}\n`;
}

/** The table as JSON's array of row objects (NaN and ±Inf, which JSON lacks, as null). */
export function tidyJson(table: TidyTable): Record<string, Cell>[] {
  return table.rows.map((r) => Object.fromEntries(table.columns.map((c) => {
    const v = r[c];
    return [c, typeof v === 'number' && !Number.isFinite(v) ? null : v];
  })));
}
