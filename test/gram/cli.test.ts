/**
 * `mixedgpu fit --engine …` (src/cli/engines.ts): the same fit through every engine, the default
 * choice (a glob or a file over the size threshold goes to DuckDB, said on stderr), JSON's engine
 * fields, --residuals written by each engine and never over an existing file, and the errors for
 * what an engine cannot do (a GLMM over ClickHouse, which forms A once; the stream and DuckDB fit GLMMs: test/gram/glmer.test.ts).
 */
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliIO, type FitArgs, runFit } from '../../src/cli/fitCommand.js';
import { AUTO_ENGINE_BYTES, chooseEngine } from '../../src/cli/engines.js';
import { readTableFileAsync } from '../../src/io/node.js';
import { lmer } from '../../src/fit/lmer.js';
import { dataPath, loadData, loadReference } from '../helpers/reference.js';
import { tableToParquet } from '../helpers/parquetFile.js';
import { clickhouseTestsMissing, loadSharded, useCluster } from '../helpers/clickhouse.js';

const sleepstudy = dataPath('sleepstudy.csv');
const FORMULA = 'Reaction ~ Days + (Days | Subject)';

async function run(args: FitArgs) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { stdout: (s) => { out.push(s); }, stderr: (s) => { err.push(s); } };
  const code = await runFit(args, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

interface FitJson {
  remlcrit: number; theta: number[]; fixef: Record<string, number>; sigma: number; nobs: number;
  engine: string; rows_scanned: number; rows_replayed: number; queries: { stage: string; ms: number; rows: number }[];
}

async function fitJson(args: FitArgs): Promise<FitJson & { stderr: string }> {
  const r = await run({ ...args, json: true });
  expect(r.stderr.replace(/^mixedgpu: note: .*\n/gm, ''), r.stderr).toBe('');
  expect(r.code).toBe(0);
  return { ...(JSON.parse(r.stdout) as FitJson), stderr: r.stderr };
}

/** relative differences of criterion, θ (absolute), β (relative to its scale) */
function expectSameFit(a: FitJson, b: FitJson, tol: { criterion: number; theta: number; beta: number }): void {
  expect(b.nobs).toBe(a.nobs);
  expect(Math.abs(a.remlcrit - b.remlcrit) / Math.abs(a.remlcrit)).toBeLessThan(tol.criterion);
  a.theta.forEach((t, k) => expect(Math.abs(t - b.theta[k])).toBeLessThan(tol.theta));
  const fa = Object.values(a.fixef);
  const fb = Object.values(b.fixef);
  const scale = Math.max(1, ...fa.map(Math.abs));
  fa.forEach((v, k) => expect(Math.abs(v - fb[k]) / scale).toBeLessThan(tol.beta));
}

describe('mixedgpu fit --engine', () => {
  let dir: string;
  let memory: FitJson;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mixedgpu-cli-engine-'));
    memory = await fitJson({ file: sleepstudy, formula: FORMULA, factors: 'Subject', engine: 'memory' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('memory: JSON names the engine, the rows read and no queries', () => {
    expect(memory).toMatchObject({ engine: 'memory', rows_scanned: 180, rows_replayed: 0, queries: [] });
  });

  it('duckdb: the same fit, with the engine, the rows scanned and each query\'s time', async () => {
    const duck = await fitJson({ file: sleepstudy, formula: FORMULA, factors: 'Subject', engine: 'duckdb', memoryLimit: '256MB' });
    expectSameFit(memory, duck, { criterion: 1e-10, theta: 1e-6, beta: 1e-8 });
    expect(duck.engine).toBe('duckdb');
    // two passes for A, three scans for the residual quantiles
    expect(duck.rows_scanned).toBe(5 * 180);
    // every query scans: nothing replayed
    expect(duck.rows_replayed).toBe(0);
    expect(duck.queries.length).toBeGreaterThanOrEqual(3);
    for (const q of duck.queries) expect(q).toMatchObject({ stage: expect.any(String), ms: expect.any(Number), rows: expect.any(Number) });
    expect(duck.stderr).toBe('');
  });

  it('stream: batches of 1 000 rows from Parquet give the in-memory fit (same starts) to 1e-12; the summary is the same', async () => {
    const parquet = join(dir, 'sleepstudy.parquet');
    const table = loadData(loadReference('sleepstudy_slopes_reml'));
    writeFileSync(parquet, new Uint8Array(tableToParquet(table, 50)));
    const s = await fitJson({ file: parquet, formula: FORMULA, factors: 'Subject', engine: 'stream', batchSize: '1000' });
    // the in-memory fit from lme4's start only: the moment start backfits over rows, which a stream fit has not
    const mem = await lmer(FORMULA, table, { factors: ['Subject'], momentStart: false, dataName: 'sleepstudy' });
    const memJson = mem.toJSON() as unknown as FitJson;
    expectSameFit(memJson, s, { criterion: 1e-12, theta: 1e-12, beta: 1e-12 });
    expectSameFit(memory, s, { criterion: 1e-10, theta: 1e-6, beta: 1e-8 });
    expect(s.engine).toBe('stream');
    const body = (t: string) => t.split('\n').filter((l) => !l.startsWith('Backend:')).join('\n');
    expect(body((await run({ file: parquet, formula: FORMULA, factors: 'Subject', engine: 'stream' })).stdout)).toBe(`${body(mem.summary())}\n`);
  });

  it('a glob goes to DuckDB by default, and says so', async () => {
    const table = loadData(loadReference('sleepstudy_slopes_reml'));
    const parts = join(dir, 'parts');
    rmSync(parts, { recursive: true, force: true });
    mkdirSync(parts);
    writeFileSync(join(parts, 'a.parquet'), new Uint8Array(tableToParquet(table.slice(0, 100))));
    writeFileSync(join(parts, 'b.parquet'), new Uint8Array(tableToParquet(table.slice(100))));
    const g = await fitJson({ file: join(parts, '*.parquet'), formula: FORMULA, factors: 'Subject' });
    expect(g.engine).toBe('duckdb');
    expect(g.stderr).toMatch(/note: .*\*\.parquet is a glob: read through DuckDB/);
    expectSameFit(memory, g, { criterion: 1e-10, theta: 1e-6, beta: 1e-8 });
  });

  it('a file over the size threshold goes to DuckDB by default; a small one stays in memory', () => {
    const big = join(dir, 'big.parquet');
    // a sparse file: its size, not its bytes
    closeSync(openSync(big, 'w'));
    truncateSync(big, AUTO_ENGINE_BYTES + 1);
    const c = chooseEngine(big, undefined, false);
    expect(c.engine).toBe('duckdb');
    expect(c.note).toMatch(/big\.parquet is 1\.07 GB, over the 1\.07 GB that are read into memory: read through DuckDB/);
    expect(chooseEngine(big, undefined, true).engine).toBe('memory');
    expect(chooseEngine(sleepstudy, undefined, false)).toEqual({ engine: 'memory', note: null });
    expect(chooseEngine(big, 'stream', false)).toEqual({ engine: 'stream', note: null });
    rmSync(big);
  });

  for (const engine of ['duckdb', 'stream'] as const) {
    it(`${engine}: --residuals writes every used row with its fitted value and residual, and never over a file`, async () => {
      const out = join(dir, `res-${engine}.parquet`);
      const r = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', engine, residuals: out, json: true });
      expect(r.stderr).toBe(`mixedgpu: note: fitted values and residuals of 180 rows written to ${out}\n`);
      expect(r.code).toBe(0);
      const { table } = await readTableFileAsync(out);
      expect(table.numRows).toBe(180);
      const mem = await lmer(FORMULA, loadData(loadReference('sleepstudy_slopes_reml')), { factors: ['Subject'] });
      const res = table.getChild('residual')!.toArray() as Float64Array;
      const fitted = table.getChild('fitted')!.toArray() as Float64Array;
      const scale = Math.max(...Array.from(mem.fitted, Math.abs));
      const memRes = mem.residuals();
      res.forEach((v, i) => expect(Math.abs(v - memRes[i]) / scale).toBeLessThan(1e-8));
      fitted.forEach((v, i) => expect(Math.abs(v - mem.fitted[i]) / scale).toBeLessThan(1e-8));
      const again = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', engine, residuals: out });
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/exists \(not overwritten\)/);
    });
  }

  it('errors: a GLMM over an engine, a missing file or glob, options of another engine', async () => {
    const cbpp = dataPath('cbpp.csv');
    const g = await run({ file: cbpp, formula: 'cbind(incidence, size - incidence) ~ period + (1 | herd)', family: 'binomial', engine: 'clickhouse' });
    expect(g.code).toBe(1);
    // a GLMM on ClickHouse reads --table, as an LMM (the fits: test/gram/glmerClickhouse.test.ts)
    expect(g.stderr).toMatch(/--engine clickhouse reads --table, not a file/);
    const missingFile = await run({ file: join(dir, 'nope.parquet'), formula: FORMULA, engine: 'duckdb' });
    expect(missingFile.stderr).toMatch(/duckdb: reading .*nope\.parquet: data file not found/);
    const emptyGlob = await run({ file: join(dir, 'none', '*.parquet'), formula: FORMULA });
    expect(emptyGlob.code).toBe(1);
    expect(emptyGlob.stderr).toMatch(/duckdb: reading the schema: IO Error: No files found that match the pattern/);
    expect((await run({ file: sleepstudy, formula: FORMULA, engine: 'stream', table: 't' })).stderr).toMatch(/--table is for --engine clickhouse/);
    expect((await run({ file: sleepstudy, formula: FORMULA, batchSize: '10' })).stderr).toMatch(/--batch-size is for --engine stream/);
    expect((await run({ file: sleepstudy, formula: FORMULA, engine: 'stream', memoryLimit: '1GB' })).stderr).toMatch(/--memory-limit is for --engine duckdb/);
    expect((await run({ file: sleepstudy, formula: FORMULA, residuals: join(dir, 'r.parquet') })).stderr).toMatch(/--residuals .*add --engine stream, duckdb or clickhouse/);
    expect((await run({ file: sleepstudy, formula: FORMULA, engine: 'spark' })).stderr).toMatch(/unknown engine 'spark' \(choose one of memory, stream, duckdb, clickhouse\)/);
    expect((await run({ formula: FORMULA, engine: 'clickhouse', table: 't' })).stderr).toMatch(/--engine clickhouse needs --url/);
    expect(existsSync(join(dir, 'r.parquet'))).toBe(false);
  });
});

const missing = clickhouseTestsMissing();

describe.skipIf(missing !== null)('mixedgpu fit --engine clickhouse (two shards)', () => {
  const house = useCluster();
  let dist: string;
  beforeAll(async () => { dist = await loadSharded(house.cluster, 'sleepstudy', loadData(loadReference('sleepstudy_slopes_reml')), 60); }, 120_000);

  it('--url --table: the in-memory fit; --residuals makes a table; a refused connection is named', async () => {
    const memory = await fitJson({ file: sleepstudy, formula: FORMULA, factors: 'Subject', engine: 'memory' });
    const ch = await fitJson({ formula: FORMULA, factors: 'Subject', url: house.cluster.urls[0], table: dist, residuals: 'sleepstudy_residuals' });
    expect(ch.engine).toBe('clickhouse');
    expectSameFit(memory, ch, { criterion: 1e-10, theta: 1e-6, beta: 1e-8 });
    expect(ch.stderr).toBe('mixedgpu: note: fitted values and residuals of 180 rows written to the table sleepstudy_residuals\n');
    expect(Number((await house.cluster.sql(0, 'SELECT count() FROM sleepstudy_residuals')).trim())).toBe(180);
    const refused = await run({ formula: FORMULA, engine: 'clickhouse', url: 'http://127.0.0.1:9', table: dist });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/clickhouse: .*refused/i);
  }, 120_000);
});
