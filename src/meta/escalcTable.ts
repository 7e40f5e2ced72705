/**
 * escalc on a table: the measure's input columns named as metafor's arguments (ai = 'tpos', …), the
 * effect sizes yi and sampling variances vi appended as columns (metafor's escalc(data = ...)).
 * Missing values (nulls) give missing outcomes; a non-numeric input column is an error naming it.
 */
import type * as arrow from 'apache-arrow';
import { makeFloat64Vector, tableFromColumns } from '../io/arrow.js';
import { numericColumn } from '../io/tableColumns.js';
import { type EffectMeasure, type EscalcInput, type EscalcOptions, type EscalcResult, MEASURE_INPUTS, escalc, isEffectMeasure } from './escalc.js';

export type EscalcColumns = Partial<Record<keyof EscalcInput, string>>;

export interface EscalcTableOptions extends EscalcOptions {
  /** column with study labels (for error messages) */
  slab?: string;
  /** names of the appended columns (default 'yi', 'vi') */
  names?: { yi?: string; vi?: string };
}

/** A column as strings (labels). */
export function labelColumnOf(table: arrow.Table, name: string): string[] {
  const col = table.getChild(name);
  if (!col) throw new Error(`slab: no column '${name}' in the data`);
  return Array.from({ length: col.length }, (_, i) => String(col.get(i)));
}

/** escalc of `measure` from the table's columns; the table with yi and vi appended. */
export function escalcTable(measure: string, table: arrow.Table, columns: EscalcColumns, options: EscalcTableOptions = {}): { result: EscalcResult; table: arrow.Table } {
  if (!isEffectMeasure(measure)) throw new Error(`unknown effect-size measure '${measure}' (one of ${Object.keys(MEASURE_INPUTS).join(', ')})`);
  const input: EscalcInput = {};
  for (const [arg, col] of Object.entries(columns) as [keyof EscalcInput, string | undefined][]) {
    if (col === undefined) continue;
    const needed = MEASURE_INPUTS[measure as EffectMeasure].flatMap((s) => s.split('|'));
    if (!needed.includes(arg)) throw new Error(`escalc ${measure} does not use '${arg}' (it reads ${MEASURE_INPUTS[measure as EffectMeasure].join(', ')})`);
    input[arg] = numericColumn(table, col, `escalc ${measure} ${arg}`);
  }
  const labels = options.slab ? labelColumnOf(table, options.slab) : undefined;
  const result = escalc(measure, input, { ...options, labels });
  const yiName = options.names?.yi ?? 'yi', viName = options.names?.vi ?? 'vi';
  const keep = table.schema.fields.map((f) => f.name).filter((n) => n !== yiName && n !== viName);
  const withNulls = (x: Float64Array) => {
    const validity = new Uint8Array(Math.ceil(x.length / 8));
    let nulls = 0;
    for (let i = 0; i < x.length; i++) {
      if (Number.isNaN(x[i])) nulls++;
      else validity[i >> 3] |= 1 << (i & 7);
    }
    return nulls ? makeFloat64Vector(x, validity, nulls) : makeFloat64Vector(x);
  };
  // Table.assign re-chunks the new columns to the table's record batches
  const added = tableFromColumns([[yiName, withNulls(result.yi)], [viName, withNulls(result.vi)]]);
  return { result, table: table.select(keep).assign(added) };
}
