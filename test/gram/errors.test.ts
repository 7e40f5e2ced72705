/**
 * Bad input to the out-of-core Gram sources gives a clear error naming the engine, the stage and
 * the cause; nothing is left behind (DuckDB's spill directory is its own and removed).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEngine, duckdbSource, sweepStaleTempDirs } from '../../src/gram/sql/duckdb.js';
import { spawnSync } from 'node:child_process';
import { ClickHouseEngine, clickhouseSource } from '../../src/gram/sql/clickhouse.js';
import { gramFromSql } from '../../src/gram/sql/sqlSource.js';
import { gramFromStream } from '../../src/gram/stream/streamSource.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { readParquet } from '../../src/io/parquet.js';
import { buildLmm } from '../../src/lmm/model.js';
import { DataError } from '../../src/errors/errors.js';
import { dataPath, loadData, loadReference } from '../helpers/reference.js';
import { clickhouseTestsMissing, loadSharded, useCluster } from '../helpers/clickhouse.js';

const sleep = dataPath('sleepstudy.csv');
const F = 'Reaction ~ Days + (Days | Subject)';
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mixedgpu-errors-'));
  // a CSV whose 30 000th row breaks the type DuckDB sniffed from the first rows
  const lines = ['y,x,g'];
  for (let i = 0; i < 40_000; i++) lines.push(`${i % 17},${i === 30_000 ? 'oops' : i % 13},g${i % 50}`);
  writeFileSync(join(dir, 'late-text.csv'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'not.parquet'), 'y,x\n1,2\n');
  writeFileSync(join(dir, 'ragged.csv'), 'y,x,g\n1,2,a\n3,4\n');
  writeFileSync(join(dir, 'infinite.parquet'), new Uint8Array(infiniteParquet()));
});

/**
 * ±∞ in a complete row: x is Inf in rows 5 and 40, -Inf in row 23, and Inf in row 31 whose y is NaN
 * (missing: that row is dropped, not counted); z is 0 in rows 8 and 50 (log(z) = -Inf there).
 */
const INF_ROWS = 60;
function infiniteParquet(): ArrayBuffer {
  const y: number[] = [], x: number[] = [], z: number[] = [], g: string[] = [];
  for (let i = 0; i < INF_ROWS; i++) {
    y.push(i === 30 ? NaN : (i * 7919) % 13 + 0.25 * i);
    x.push(i === 4 || i === 39 || i === 30 ? Infinity : i === 22 ? -Infinity : (i * 31) % 17);
    z.push(i === 7 || i === 49 ? 0 : 1 + (i % 5));
    g.push(`g${i % 6}`);
  }
  return parquetWriteBuffer({
    columnData: [
      { name: 'y', data: y, type: 'DOUBLE' },
      { name: 'x', data: x, type: 'DOUBLE' },
      { name: 'z', data: z, type: 'DOUBLE' },
      { name: 'g', data: g, type: 'STRING' },
    ],
  });
}
/** the models and what every engine says of them: the variable, the count, and (memory, stream) the first row */
const INF_CASES = [
  { formula: 'y ~ x + (1 | g)', label: 'x', count: 3, first: 'Inf in row 5 (and 2 more rows)' },
  { formula: 'y ~ log(z) + (1 | g)', label: 'log(z)', count: 2, first: '-Inf in row 8 (and 1 more row)' },
];
async function inMemoryError(formula: string): Promise<DataError> {
  const { table } = await readParquet(infiniteParquet());
  try { buildLmm(formula, table); } catch (e) { return e as DataError; }
  throw new Error(`no error in memory for ${formula}`);
}
async function expectInfinite(p: Promise<unknown>, c: (typeof INF_CASES)[number], rows: boolean): Promise<void> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(DataError);
  const err = e as DataError;
  expect(err.column).toBe(c.label);
  expect(err.message).toContain(`NA/NaN/Inf in '${c.label}'`);
  if (rows) {
    // the stream numbers rows: the in-memory message, word for word
    expect(err.message).toBe((await inMemoryError(c.formula)).message);
    expect(err.message).toContain(`is ${c.first}`);
  } else {
    expect(err.message).toContain(`is Inf or -Inf in ${c.count} rows`);
  }
}

describe('±∞ in a complete row: the same error on every engine', () => {
  it('in memory (the reference): the variable, the first row and the count', async () => {
    for (const c of INF_CASES) {
      const e = await inMemoryError(c.formula);
      expect(e).toBeInstanceOf(DataError);
      expect(e.column).toBe(c.label);
      expect(e.message).toContain(`NA/NaN/Inf in '${c.label}': the variable '${c.label}' is ${c.first}`);
    }
  });
  it('stream (Parquet, batches of 7 rows)', async () => {
    for (const c of INF_CASES) {
      const src = await openBatchSource(join(dir, 'infinite.parquet'));
      try { await expectInfinite(gramFromStream(src, c.formula, { batchSize: 7 }), c, true); } finally { await src.close(); }
    }
  });
  it('DuckDB (Parquet)', async () => {
    const duck = await DuckDbEngine.open({ threads: 1 });
    try {
      const path = join(dir, 'infinite.parquet');
      for (const c of INF_CASES) await expectInfinite(gramFromSql(duck, { from: duckdbSource(path), name: path }, c.formula), c, false);
    } finally { await duck.close(); }
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('DuckDB: bad input', () => {
  let duck: DuckDbEngine;
  beforeAll(async () => { duck = await DuckDbEngine.open({ threads: 1 }); });
  afterAll(async () => { await duck?.close(); });
  const fit = (path: string, formula = F, opts = {}) => gramFromSql(duck, { from: duckdbSource(path), name: path }, formula, opts);

  it('a missing file', async () => {
    await expect(fit(join(dir, 'nope.parquet'))).rejects.toThrow(/^duckdb: reading the schema: .*nope\.parquet/s);
  });
  it('a glob that matches nothing', async () => {
    await expect(fit(join(dir, 'none-*.parquet'))).rejects.toThrow(/^duckdb: reading the schema: .*No files found.*none-\*\.parquet/s);
  });
  it('a column that does not exist', async () => {
    await expect(fit(sleep, 'Reaction ~ Dayz + (1 | Subject)')).rejects.toThrow(/^duckdb: the model frame of .*sleepstudy\.csv: column 'Dayz' not found in the data \(columns: Reaction, Days, Subject\)/);
  });
  it('a query that fails mid-way (a value the sniffed type cannot hold)', async () => {
    await expect(fit(join(dir, 'late-text.csv'), 'y ~ x + (1 | g)')).rejects.toThrow(/^duckdb: pass 1 \(moments\): .*oops/s);
  });
  it('a grouping factor with more levels than the limit', async () => {
    await expect(fit(sleep, F, { factors: ['Subject'], maxLevels: 10 })).rejects.toThrow(/^duckdb: pass 2 \(per level of Subject\): the grouping factor 'Subject' has more than 10 levels \(the limit, maxLevels\)/);
  });
  it('Arrow IPC is not a DuckDB input', () => {
    expect(() => duckdbSource('x.arrow')).toThrow(/duckdb: x\.arrow: DuckDB reads Parquet and CSV files, not Arrow IPC/);
  });
  it('spills only into its own temporary directory, removed on close', async () => {
    const before = new Set(readdirSync(tmpdir()).filter((d) => d.startsWith('mixedgpu-duckdb-')));
    const e = await DuckDbEngine.open();
    const mine = readdirSync(tmpdir()).filter((d) => d.startsWith('mixedgpu-duckdb-') && !before.has(d));
    expect(mine).toHaveLength(1);
    await gramFromSql(e, { from: duckdbSource(sleep), name: sleep }, F, { factors: ['Subject'] });
    await e.close();
    expect(existsSync(join(tmpdir(), mine[0]))).toBe(false);
    expect(existsSync(join(process.cwd(), '.tmp'))).toBe(false);
  });
  it("removes the spill directories a killed process left behind, and only those of dead processes", async () => {
    // a PID that has exited: a child's, after it ends
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    expect(deadPid).toBeGreaterThan(0);
    const parent = mkdtempSync(join(tmpdir(), 'mixedgpu-sweep-'));
    try {
      const stale = `mixedgpu-duckdb-${deadPid}-abc123`;
      const live = `mixedgpu-duckdb-${process.pid}-def456`;
      const other = 'mixedgpu-duckdb-notapid';
      for (const d of [stale, live, other]) {
        mkdirSync(join(parent, d));
        writeFileSync(join(parent, d, 'duckdb_temp_block-1.block'), 'spill');
      }
      expect(sweepStaleTempDirs(parent)).toEqual([join(parent, stale)]);
      expect(readdirSync(parent).sort()).toEqual([live, other].sort());
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
  it("names its own spill directory by its PID", async () => {
    const before = new Set(readdirSync(tmpdir()));
    const e = await DuckDbEngine.open();
    try {
      const mine = readdirSync(tmpdir()).filter((d) => !before.has(d) && d.startsWith('mixedgpu-duckdb-'));
      expect(mine).toHaveLength(1);
      expect(mine[0].startsWith(`mixedgpu-duckdb-${process.pid}-`)).toBe(true);
    } finally {
      await e.close();
    }
  });
});

describe('stream: bad input', () => {
  const fit = async (path: string, formula = F) => {
    const src = await openBatchSource(path);
    try { return await gramFromStream(src, formula, { batchSize: 100 }); } finally { await src.close(); }
  };
  it('a missing file', async () => {
    await expect(fit(join(dir, 'nope.parquet'))).rejects.toThrow(/^stream: reading .*nope\.parquet: data file not found/);
  });
  it('a file that is not Parquet', async () => {
    await expect(fit(join(dir, 'not.parquet'), 'y ~ x + (1 | x)')).rejects.toThrow(/^stream: reading the schema: .*not\.parquet: not a valid Parquet file/);
  });
  it('a CSV row with too few fields', async () => {
    await expect(fit(join(dir, 'ragged.csv'), 'y ~ x + (1 | g)')).rejects.toThrow(/^stream: reading the schema: .*ragged\.csv: a CSV row near line \d+ has 2 fields, but the header has 3/);
  });
  it('a column that does not exist', async () => {
    await expect(fit(sleep, 'Reaction ~ Dayz + (1 | Subject)')).rejects.toThrow(/^stream: the model frame of .*sleepstudy\.csv: column 'Dayz' not found/);
  });
});

const missing = clickhouseTestsMissing();

describe.skipIf(missing !== null)('ClickHouse: bad input', () => {
  const ch = useCluster();
  let table: string;
  beforeAll(async () => { table = await loadSharded(ch.cluster, 'sleep', loadData(loadReference('sleepstudy_slopes_reml'))); }, 120_000);

  it('a server that refuses the connection', async () => {
    const e = new ClickHouseEngine({ url: 'http://127.0.0.1:9', requestTimeoutMs: 5000 });
    await expect(gramFromSql(e, { from: clickhouseSource('t'), name: 't' }, F)).rejects.toThrow(/^clickhouse: reading the schema: cannot connect to http:\/\/127\.0\.0\.1:9 \(connection refused\)/);
    await e.close();
  });
  it('a table that does not exist', async () => {
    const e = new ClickHouseEngine({ url: ch.cluster.urls[0] });
    await expect(gramFromSql(e, { from: clickhouseSource('nope'), name: 'nope' }, F)).rejects.toThrow(/^clickhouse: reading the schema: .*nope.*doesn't exist/s);
    await e.close();
  });
  it('±∞ in a complete row: the variable and the count, as in memory', async () => {
    const { table: data } = await readParquet(infiniteParquet());
    const t = await loadSharded(ch.cluster, 'infinite', data);
    const e = new ClickHouseEngine({ url: ch.cluster.urls[0] });
    try {
      for (const c of INF_CASES) await expectInfinite(gramFromSql(e, { from: clickhouseSource(t), name: t }, c.formula), c, false);
    } finally { await e.close(); }
  }, 60_000);
  it('a shard that goes away mid-fit', async () => {
    const e = new ClickHouseEngine({ url: ch.cluster.urls[0] });
    const run = e.run.bind(e);
    let calls = 0;
    e.run = async (q) => {
      if (++calls === 2) await ch.cluster.stopServer(1);
      return run(q);
    };
    await expect(gramFromSql(e, { from: clickhouseSource(table), name: table }, F, { factors: ['Subject'] })).rejects.toThrow(/^clickhouse: pass 2 \(per level of Subject\): /);
    await e.close();
  }, 60_000);
});
