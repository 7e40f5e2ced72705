/**
 * A named matrix from a table: the first column holds the level names, the other columns are
 * named by the same levels (a CSV with the level names as the header and as the first column, as
 * R's write.csv(K) writes it). Columns are matched to rows by name, so their order may differ.
 */
import { DataError } from '../errors/errors.js';
import type * as arrow from 'apache-arrow';
import type { NamedMatrix } from './phylo.js';

export function namedMatrixFromTable(table: arrow.Table, what = 'relmat'): NamedMatrix {
  const fields = table.schema.fields.map((f) => f.name);
  if (fields.length < 2) throw new DataError(`${what}: a matrix table needs a column of level names and one column per level (found ${fields.length} column${fields.length === 1 ? '' : 's'})`);
  const nameCol = table.getChild(fields[0])!;
  const n = table.numRows;
  const levels: string[] = [];
  const row = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const v = nameCol.get(i);
    if (v === null || v === undefined || String(v) === '') throw new DataError(`${what}: row ${i + 1} has no level name in the first column '${fields[0]}'`);
    const s = String(v);
    if (row.has(s)) throw new DataError(`${what}: the level '${s}' names two rows (${row.get(s)! + 1} and ${i + 1})`);
    row.set(s, i);
    levels.push(s);
  }
  const cols = fields.slice(1);
  if (cols.length !== n) throw new DataError(`${what}: ${n} rows but ${cols.length} matrix columns (the matrix must be square: one column per level)`);
  const matrix = new Float64Array(n * n);
  for (const name of cols) {
    const j = row.get(name);
    if (j === undefined) throw new DataError(`${what}: the column '${name}' is not a level of the first column ('${fields[0]}': ${levels.slice(0, 5).join(', ')}${n > 5 ? ', …' : ''})`);
    const col = table.getChild(name)!;
    for (let i = 0; i < n; i++) {
      const v = col.get(i);
      const x = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : v === null || v === undefined ? NaN : Number(v);
      matrix[i * n + j] = x;
    }
  }
  return { kind: 'matrix', levels, matrix };
}
