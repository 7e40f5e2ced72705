/**
 * DuckDB, embedded (npm @duckdb/node-api; Node only): files (.parquet, .csv, .tsv, globs such as
 * 'data/*.parquet') and tables of a DuckDB database, scanned out of core: the Gram queries'
 * GROUP BY state is O(levels + pairs), and DuckDB spills to its temporary directory past its memory limit.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { GroupSums } from '../assemble.js';
import type { ColumnKind, ColumnSchema } from '../frameSpec.js';
import { duckdb } from './dialect.js';
import { EngineError, ResultBuilder, type SqlEngine, type TableColumn } from './engine.js';
import type { GramQuery } from './generate.js';

export interface DuckDbOptions {
  /** a database file (default: in memory) */
  database?: string;
  /** DuckDB's memory_limit, e.g. '1GB' */
  memoryLimit?: string;
  /** worker threads (default: DuckDB's, the number of cores) */
  threads?: number;
  /** where DuckDB spills (default: a new temporary directory, removed by close()) */
  tempDirectory?: string;
}

const TEMP_PREFIX = 'mixedgpu-duckdb-';
/** a spill directory's name: the prefix, the owner's PID, mkdtemp's suffix */
const TEMP_NAME = new RegExp(`^${TEMP_PREFIX}(\\d+)-`);

/** Whether process `pid` is alive (signal 0 tests for it; EPERM: alive, another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the spill directories (`mixedgpu-duckdb-<pid>-*` under `parent`) of processes that no longer
 * run: close() removes a fit's own directory, but a process killed mid-query (SIGKILL, a timeout, an
 * interrupted CLI) leaves its spill files behind, gigabytes for a large GROUP BY. Returns the removed paths.
 */
export function sweepStaleTempDirs(parent: string = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    const path = join(parent, name);
    try {
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // another process's, or already gone: left as it is
    }
  }
  return removed;
}

/** The FROM item that reads a file or glob, by extension; a name without one is a table. */
export function duckdbSource(path: string): string {
  const lit = duckdb.text(path);
  const lower = path.toLowerCase();
  if (lower.endsWith('.parquet') || lower.endsWith('.pq')) return `read_parquet(${lit})`;
  // R's read.csv and src/io/csv.ts read empty fields and NA as missing
  if (lower.endsWith('.csv')) return `read_csv(${lit}, header = true, nullstr = ['NA', ''])`;
  if (lower.endsWith('.tsv')) return `read_csv(${lit}, header = true, delim = '\t', nullstr = ['NA', ''])`;
  if (/\.(arrow|feather|ipc)$/.test(lower)) {
    throw new Error(`duckdb: ${path}: DuckDB reads Parquet and CSV files, not Arrow IPC (use --engine stream or memory)`);
  }
  return path.split('.').map((part) => duckdb.ident(part)).join('.');
}

/** DuckDB's type names → how the model frame reads the column. */
export function duckdbKind(type: string): ColumnKind {
  const t = type.toUpperCase();
  if (t === 'BOOLEAN') return 'bool';
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL)/.test(t)) return 'numeric';
  return 'text';
}

export class DuckDbEngine implements SqlEngine {
  readonly name = 'duckdb' as const;
  readonly dialect = duckdb;

  private constructor(private readonly instance: DuckDBInstance, private readonly con: DuckDBConnection, private readonly ownTemp: string | null) {}

  static async open(options: DuckDbOptions = {}): Promise<DuckDbEngine> {
    let instance: DuckDBInstance;
    // spills go to a directory of our own (DuckDB's default is .tmp under the working directory),
    // named by our PID so that a later process can tell a dead one's leftovers from a live one's
    let ownTemp: string | null = null;
    if (!options.tempDirectory) {
      sweepStaleTempDirs();
      ownTemp = mkdtempSync(join(tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
    }
    try {
      const config: Record<string, string> = { temp_directory: options.tempDirectory ?? ownTemp! };
      if (options.memoryLimit) config.memory_limit = options.memoryLimit;
      if (options.threads) config.threads = String(options.threads);
      instance = await DuckDBInstance.create(options.database ?? ':memory:', config);
    } catch (e) {
      if (ownTemp) rmSync(ownTemp, { recursive: true, force: true });
      throw new EngineError('duckdb', `opening ${options.database ?? 'an in-memory database'}`, e);
    }
    const con = await instance.connect();
    // row order does not matter to sums; letting DuckDB drop it saves memory on large scans
    await con.run('SET preserve_insertion_order = false');
    return new DuckDbEngine(instance, con, ownTemp);
  }

  async schema(source: string): Promise<ColumnSchema> {
    const rows = await this.rows(`DESCRIBE SELECT * FROM ${source}`, 'reading the schema');
    return new Map(rows.map((r) => [String(r.column_name), duckdbKind(String(r.column_type))] as const));
  }

  async run(query: GramQuery): Promise<GroupSums> {
    const out = new ResultBuilder(query);
    try {
      const result = await this.con.stream(query.sql);
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        const cols = [];
        for (let c = 0; c < chunk.columnCount; c++) cols.push(chunk.getColumnValues(c));
        out.addColumns(cols, chunk.rowCount);
      }
    } catch (e) {
      throw new EngineError('duckdb', query.stage, e);
    }
    return out.finish();
  }

  async exec(sql: string, stage: string): Promise<void> {
    try {
      await this.con.run(sql);
    } catch (e) {
      throw new EngineError('duckdb', stage, e);
    }
  }

  async rows(sql: string, stage: string): Promise<Record<string, unknown>[]> {
    try {
      const r = await this.con.runAndReadAll(sql);
      return r.getRowObjects() as Record<string, unknown>[];
    } catch (e) {
      throw new EngineError('duckdb', stage, e);
    }
  }

  async createTable(name: string, columns: TableColumn[], data: (string[] | Float64Array)[], stage: string): Promise<void> {
    const d = this.dialect;
    await this.exec(`CREATE TEMP TABLE ${d.ident(name)} (${columns.map((c) => `${d.ident(c.name)} ${c.kind === 'numeric' ? 'DOUBLE' : 'VARCHAR'}`).join(', ')})`, stage);
    try {
      const app = await this.con.createAppender(name, 'main', 'temp');
      const rows = data[0]?.length ?? 0;
      for (let i = 0; i < rows; i++) {
        columns.forEach((c, k) => {
          if (c.kind === 'numeric') app.appendDouble((data[k] as Float64Array)[i]);
          else app.appendVarchar((data[k] as string[])[i]);
        });
        app.endRow();
      }
      app.closeSync();
    } catch (e) {
      await this.dropTable(name);
      throw new EngineError('duckdb', stage, e);
    }
  }

  async dropTable(name: string): Promise<void> {
    await this.con.run(`DROP TABLE IF EXISTS temp.main.${this.dialect.ident(name)}`);
  }

  async close(): Promise<void> {
    this.con.closeSync();
    this.instance.closeSync();
    if (this.ownTemp) rmSync(this.ownTemp, { recursive: true, force: true });
  }
}
