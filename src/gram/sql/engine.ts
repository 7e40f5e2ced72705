/**
 * What the SQL Gram source needs of an engine: a table's columns, and a query's result as key
 * columns and float64 value columns. Errors name the engine, the query's stage and the cause.
 */
import type { GroupSums } from '../assemble.js';
import type { ColumnSchema } from '../frameSpec.js';
import type { LevelKey } from '../levels.js';
import type { Dialect, EngineName } from './dialect.js';
import type { GramQuery } from './generate.js';
import type { QueryTiming } from '../source.js';

export { EngineError, inStage, type QueryTiming } from '../source.js';

export interface SqlEngine {
  readonly name: EngineName;
  readonly dialect: Dialect;
  /** the source's columns and their kinds (`source`: a FROM item in this engine's SQL) */
  schema(source: string): Promise<ColumnSchema>;
  /** runs a generated query; numeric keys come back as numbers (NaN as null), text keys as strings */
  run(query: GramQuery): Promise<GroupSums>;
  /** runs a statement without a result (DDL, COPY, INSERT … SELECT) */
  exec(sql: string, stage: string): Promise<void>;
  /** the rows of a query as objects (small results: quantiles, counts) */
  rows(sql: string, stage: string): Promise<Record<string, unknown>[]>;
  /**
   * A table of text and float64 columns, loaded exactly (temporary where the engine has them;
   * ClickHouse: a Memory table on the server the client talks to). `data[c]` holds column c.
   */
  createTable(name: string, columns: TableColumn[], data: (string[] | Float64Array)[], stage: string): Promise<void>;
  /** drops a table created by createTable (no error if it is gone) */
  dropTable(name: string): Promise<void>;
  close(): Promise<void>;
}

/** A column of a table the engine is given: text or float64. */
export interface TableColumn {
  name: string;
  kind: 'numeric' | 'text';
}

/** A key value as the Gram source keeps it. */
export function toKey(v: unknown, kind: GramQuery['keys'][number]): LevelKey | null {
  if (v === null || v === undefined) return null;
  if (kind === 'numeric') {
    const x = typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
    return Number.isNaN(x) ? null : x;
  }
  return String(v);
}

/** Grows column arrays as chunks of a result arrive. */
export class ResultBuilder {
  rows = 0;
  private keyCols: (LevelKey | null)[][];
  private valueChunks: Float64Array[][];
  private pending: number[][];

  constructor(readonly query: GramQuery) {
    this.keyCols = query.keys.map(() => []);
    this.valueChunks = Array.from({ length: query.values }, () => []);
    this.pending = Array.from({ length: query.values }, () => []);
  }

  /** appends a chunk given as columns */
  addColumns(cols: ArrayLike<unknown>[], count: number): void {
    const nk = this.query.keys.length;
    for (let c = 0; c < nk; c++) {
      const src = cols[c];
      const dst = this.keyCols[c];
      const kind = this.query.keys[c];
      for (let i = 0; i < count; i++) dst.push(toKey(src[i], kind));
    }
    for (let v = 0; v < this.query.values; v++) {
      const src = cols[nk + v];
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const x = src[i];
        out[i] = x === null || x === undefined ? NaN : Number(x);
      }
      this.valueChunks[v].push(out);
    }
    this.rows += count;
  }

  /** appends one row given as text fields (ClickHouse's TabSeparated) */
  addTextRow(fields: string[]): void {
    const nk = this.query.keys.length;
    for (let c = 0; c < nk; c++) this.keyCols[c].push(toKey(fields[c] === '\\N' ? null : unescapeTsv(fields[c]), this.query.keys[c]));
    for (let v = 0; v < this.query.values; v++) this.pending[v].push(parseFloatText(fields[nk + v]));
    this.rows++;
    if (this.pending[0]?.length >= 65536) this.flushPending();
  }

  private flushPending(): void {
    for (let v = 0; v < this.query.values; v++) {
      if (this.pending[v].length) this.valueChunks[v].push(Float64Array.from(this.pending[v]));
      this.pending[v] = [];
    }
  }

  finish(): GroupSums {
    this.flushPending();
    const values = this.valueChunks.map((chunks) => {
      const out = new Float64Array(this.rows);
      let o = 0;
      for (const c of chunks) { out.set(c, o); o += c.length; }
      return out;
    });
    return { rows: this.rows, keys: this.keyCols, values };
  }
}

/** A float as ClickHouse writes it in text formats (nan, inf, -inf, \N). */
export function parseFloatText(s: string | undefined): number {
  if (s === undefined || s === '\\N') return NaN;
  if (s === 'inf' || s === '+inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

/** Undoes ClickHouse's TabSeparated escaping. */
export function unescapeTsv(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\' || i + 1 >= s.length) { out += c; continue; }
    const e = s[++i];
    out += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === 'b' ? '\b' : e === 'f' ? '\f' : e === '0' ? '\0' : e;
  }
  return out;
}
