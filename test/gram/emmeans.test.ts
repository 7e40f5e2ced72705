/**
 * emmeans, emtrends and joint tests on engine fits (a stream, DuckDB, a two-shard ClickHouse) equal
 * the in-memory fit's of the same data. The reference grid is built from the engine's first pass
 * (src/gram/gridCells.ts: covariate means, min, max and two-valuedness, rows per cell) and, for a
 * rank-deficient fit, the full XᵀX from the cell table; the in-memory grid from the rows. The
 * in-memory emmeans is itself checked against R (test/inference/emmeans*.test.ts): here the oracle
 * is the in-memory fit, so no R fixture.
 *
 * Data: seeded synthetic rows (1 200): factor trt (3 levels), factor site (2), 0/1 covariates d and
 * e, a positive covariate z (used as log(z)), x, and (1 | g) over 40 levels.
 *
 * Two levels:
 *  - the grid, independent of θ̂ (every engine): the same variables and values, the counts equal
 *    exactly (integers), the covariate means to 1e-14 relative (Σv/N from compensated per-cell sums
 *    against R's two-pass mean: both within a few ulps of the exact mean), the grid's model-matrix
 *    rows to 1e-13 relative to max(|x|, 1) (log of the mean: one more rounding), the same estimability.
 *  - the tables (estimates, SE, df, bounds, t, F, p; every number relative to max(|x|, 1)):
 *    the stream forms A bit for bit as in memory (test/gram/inference.test.ts), so the fit is the
 *    same and only the grid's last-ulp covariate means differ: 1e-10. DuckDB and ClickHouse sum in
 *    another order, so θ̂ agrees only to ~1e-7 (the float64 criterion's √ε flatness; the tight
 *    optimizer setting), and every number moves by that times its O(1) sensitivity: 1e-5, the
 *    tolerance of the other engine-inference tests (test/gram/inference.test.ts). Worst seen (printed):
 *    stream 0 (grid and tables); DuckDB 3.1e-7 over runs (its threaded sums vary), ClickHouse 1.7e-7;
 *    the grids 0 on every engine.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as arrow from 'apache-arrow';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { lmerSql } from '../../src/gram/sql/lmer.js';
import { lmerStream } from '../../src/gram/stream/lmer.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { clickhouseSource } from '../../src/gram/sql/clickhouse.js';
import { lmer } from '../../src/fit/lmer.js';
import { readCsv } from '../../src/io/csv.js';
import { emmeans, emtrends } from '../../src/inference/emmeans.js';
import { jointTests } from '../../src/inference/jointTests.js';
import { type AtValues, referenceGrid } from '../../src/inference/referenceGrid.js';
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import { tableToParquet } from '../helpers/parquetFile.js';
import { diff, jsonDiff } from '../helpers/gramCompare.js';
import { clickhouseTestsMissing, loadSharded, useCluster } from '../helpers/clickhouse.js';

/** trt × d, log(z), site; d a 0/1 covariate kept at both values, z at its mean (of z, not log z) */
const FORMULA = 'y ~ trt * d + log(z) + site + (1 | g)';
/** a covariate's slope (emtrends of z) varying with trt */
const TREND = 'y ~ trt * z + site + (1 | g)';
/** two 0/1 covariates: their joint counts are not formed by the engines */
const TWO = 'y ~ trt + d + e + (1 | g)';

function dataCsv(n = 1200, seed = 5, emptyCell = false): string {
  let s = seed >>> 0;
  const u = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s + 0.5) / 4294967296; };
  const nz = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const bg = Array.from({ length: 40 }, () => 0.7 * nz());
  const eff: Record<string, number> = { a: 0, b: 0.5, c: -0.4 };
  const lines = ['y,x,z,d,e,trt,site,g'];
  for (let i = 0; i < n; i++) {
    const g = i % 40, trt = 'abc'[Math.floor(u() * 3)];
    let site = u() < 0.45 ? 'north' : 'south';
    // the empty cell c:south (its interaction column aliased)
    if (emptyCell && trt === 'c') site = 'north';
    const d = u() < 0.4 ? 1 : 0, e = u() < 0.6 ? 1 : 0;
    const z = Math.round((0.5 + 4 * u()) * 1000) / 1000, x = Math.round(u() * 1000) / 100;
    const y = 1 + eff[trt] + 0.6 * d + (trt === 'b' ? 0.4 * d : 0) + 0.8 * Math.log(z) + (trt === 'c' ? 0.3 * z : 0.1 * z) + (site === 'south' ? 0.25 : 0) - 0.2 * e + bg[g] + nz();
    lines.push(`${y},${x},${z},${d},${e},${trt},${site},g${g}`);
  }
  return lines.join('\n') + '\n';
}

const worst: Record<string, number> = {};
const note = (key: string, d: number) => { worst[key] = Math.max(worst[key] ?? 0, d); return d; };

/** the reference grids of the two fits: same variables, counts, estimability; values and X to rounding */
function compareGrid(label: string, mem: LmmFit, eng: LmmFit, at?: AtValues): void {
  const a = referenceGrid(mem.model, at), b = referenceGrid(eng.model, at);
  expect(b.variables.map((v) => [v.name, v.kind, v.counted, v.values.length])).toEqual(a.variables.map((v) => [v.name, v.kind, v.counted, v.values.length]));
  a.variables.forEach((v, k) => {
    v.values.forEach((x, i) => {
      const y = b.variables[k].values[i];
      if (typeof x === 'string') expect(y).toBe(x);
      else expect(note(`${label} grid values`, Math.abs(x - (y as number)) / Math.max(Math.abs(x), 1e-300))).toBeLessThan(1e-14);
    });
  });
  expect(Array.from(b.counts)).toEqual(Array.from(a.counts));
  let dx = 0;
  a.X.forEach((x, i) => { dx = Math.max(dx, diff(x, b.X[i])); });
  expect(note(`${label} grid X`, dx)).toBeLessThan(1e-13);
  expect(b.estimability === null).toBe(a.estimability === null);
  if (a.estimability && b.estimability) {
    expect(b.estimability.kept).toEqual(a.estimability.kept);
    expect(b.estimability.nullBasis.length).toBe(a.estimability.nullBasis.length);
  }
}

/** emmeans (specs, by, weights, ddf), contrasts, emtrends and joint tests of the two fits */
function compareTables(label: string, mem: LmmFit, eng: LmmFit, trend: { mem: LmmFit; eng: LmmFit }, tol: number): void {
  const cmp = (what: string, x: { toJSON(): unknown }, y: { toJSON(): unknown }) => expect(note(`${label} ${what}`, jsonDiff(x.toJSON(), y.toJSON()))).toBeLessThan(tol);
  for (const ddf of ['kenward-roger', 'satterthwaite'] as const) {
    for (const weights of ['equal', 'proportional', 'cells', 'outer'] as const) {
      const m = emmeans(mem, 'trt', { ddf, weights }), e = emmeans(eng, 'trt', { ddf, weights });
      cmp(`emmeans ${weights}`, m, e);
      cmp('pairs', m.pairs(), e.pairs());
    }
    cmp('emmeans trt | d', emmeans(mem, '~ trt | d', { ddf }), emmeans(eng, '~ trt | d', { ddf }));
    cmp('emmeans d by site', emmeans(mem, 'd', { ddf, by: 'site', weights: 'proportional' }), emmeans(eng, 'd', { ddf, by: 'site', weights: 'proportional' }));
    cmp('emmeans trt:site at z', emmeans(mem, ['trt', 'site'], { ddf, at: { z: [1, 2] } }), emmeans(eng, ['trt', 'site'], { ddf, at: { z: [1, 2] } }));
    cmp('emmeans ~ 1', emmeans(mem, '~ 1', { ddf, weights: 'proportional' }), emmeans(eng, '~ 1', { ddf, weights: 'proportional' }));
    cmp('joint tests', jointTests(mem, { ddf }), jointTests(eng, { ddf }));
    cmp('joint tests by d', jointTests(mem, { ddf, by: 'd' }), jointTests(eng, { ddf, by: 'd' }));
    cmp('emtrends', emtrends(trend.mem, 'trt', { var: 'z', ddf }), emtrends(trend.eng, 'trt', { var: 'z', ddf }));
    cmp('emtrends proportional', emtrends(trend.mem, '~ 1', { var: 'z', ddf, weights: 'proportional' }), emtrends(trend.eng, '~ 1', { var: 'z', ddf, weights: 'proportional' }));
    cmp('joint tests (trend model)', jointTests(trend.mem, { ddf }), jointTests(trend.eng, { ddf }));
  }
}

/** the grid's inputs from the engine's first pass: z's summary is of z (not log z), d's is two-valued */
function checkSummaries(eng: LmmFit, mem: LmmFit): void {
  const a = mem.model.frame.covariates!, b = eng.model.frame.covariates!;
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [name, s] of a) {
    const t = b.get(name)!;
    expect(t.values).toEqual(s.values);
    expect(t.min).toBe(s.min);
    expect(t.max).toBe(s.max);
    expect(Math.abs(t.mean - s.mean) / Math.abs(s.mean)).toBeLessThan(1e-14);
  }
  expect(b.get('d')!.values).toEqual([0, 1]);
  expect(b.get('z')!.values).toBeNull();
}

describe('emmeans, emtrends and joint tests on engine fits equal the in-memory fit', () => {
  let dir: string;
  let duck: DuckDbEngine;
  let table: arrow.Table;
  let deficient: arrow.Table;
  const tight = { momentStart: false, optimizer: { rhoend: 1e-10 } };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mixedgpu-engemm-'));
    const csv = dataCsv();
    table = readCsv(csv).table;
    writeFileSync(join(dir, 'd.csv'), csv);
    writeFileSync(join(dir, 'd.parquet'), new Uint8Array(tableToParquet(table, 500)));
    const csv2 = dataCsv(1200, 7, true);
    deficient = readCsv(csv2).table;
    writeFileSync(join(dir, 'e.parquet'), new Uint8Array(tableToParquet(deficient, 500)));
    duck = await DuckDbEngine.open({ threads: 2 });
  });
  afterAll(async () => {
    await duck?.close();
    rmSync(dir, { recursive: true, force: true });
    console.log('worst differences (emmeans on engine fits):', JSON.stringify(worst, null, 1));
  });

  const streamFit = async (file: string, formula: string, batchSize: number) => {
    const src = await openBatchSource(join(dir, file));
    try {
      return (await lmerStream(src, formula, { ...tight, batchSize })).fit;
    } finally {
      await src.close();
    }
  };
  const duckFit = async (file: string, formula: string) => (await lmerSql(duck, { from: duckdbSource(join(dir, file)), name: file }, formula, tight)).fit;

  it('a Parquet and a CSV stream: the grid, then every table to 1e-10', async () => {
    const mem = await lmer(FORMULA, table, tight);
    const memT = await lmer(TREND, table, tight);
    for (const [file, batch] of [['d.parquet', 500], ['d.csv', 300]] as const) {
      const eng = await streamFit(file, FORMULA, batch);
      expect(eng.objective).toBe(mem.objective);
      checkSummaries(eng, mem);
      compareGrid('stream', mem, eng);
      compareGrid('stream', mem, eng, { z: [1, 3], trt: ['a', 'c'] });
      compareTables('stream', mem, eng, { mem: memT, eng: await streamFit(file, TREND, batch) }, 1e-10);
    }
  }, 300_000);

  it('DuckDB: the grid to rounding, every table to 1e-5 (θ̂ to ~1e-7)', async () => {
    const mem = await lmer(FORMULA, table, tight);
    const eng = await duckFit('d.parquet', FORMULA);
    checkSummaries(eng, mem);
    compareGrid('duckdb', mem, eng);
    compareGrid('duckdb', mem, eng, { d: 1 });
    compareTables('duckdb', mem, eng, { mem: await lmer(TREND, table, tight), eng: await duckFit('d.parquet', TREND) }, 1e-5);
  }, 300_000);

  it('a rank-deficient fit (an empty cell): the estimability from the first pass\'s XᵀX, non-estimable means NaN as in memory', async () => {
    const f = 'y ~ trt * site + d + (1 | g)';
    const mem = await lmer(f, deficient, tight);
    // 1 + trt (2) + site + d + trt:site (2) = 7 columns, c:south aliased (no rows) and dropped
    expect(mem.model.frame.p).toBe(6);
    const src = await openBatchSource(join(dir, 'e.parquet'));
    let eng: LmmFit;
    try { eng = (await lmerStream(src, f, { ...tight, batchSize: 500 })).fit; } finally { await src.close(); }
    const duckEng = await duckFit('e.parquet', f);
    for (const [label, fit, tol] of [['stream deficient', eng, 1e-10], ['duckdb deficient', duckEng, 1e-5]] as const) {
      compareGrid(label, mem, fit);
      const m = emmeans(mem, ['trt', 'site']), e = emmeans(fit, ['trt', 'site']);
      expect(m.rows.filter((r) => Number.isNaN(r.emmean)).map((r) => r.levels)).toEqual([{ trt: 'c', site: 'south' }]);
      expect(note(label, jsonDiff(m.toJSON(), e.toJSON()))).toBeLessThan(tol);
      expect(note(label, jsonDiff(emmeans(mem, 'trt').toJSON(), emmeans(fit, 'trt').toJSON()))).toBeLessThan(tol);
      // joint tests of a non-estimable contrast are refused in memory (jointTests.ts), and so on the engine fit
      expect(() => jointTests(mem)).toThrow(/joint tests: a contrast of the means is not estimable/);
      expect(() => jointTests(fit)).toThrow(/joint tests: a contrast of the means is not estimable/);
      expect(note(label, jsonDiff(emmeans(mem, 'site', { by: 'trt' }).pairs().toJSON(), emmeans(fit, 'site', { by: 'trt' }).pairs().toJSON()))).toBeLessThan(tol);
    }
    // an engine fit without the full XᵀX (a model built before it was kept) is refused, not guessed
    const { fullCrossProduct, ...rest } = eng.model.frame;
    expect(fullCrossProduct).toBeDefined();
    const bare = { ...eng, model: { ...eng.model, frame: rest } } as unknown as LmmFit;
    expect(() => referenceGrid(bare.model, { trt: ['a', 'c'] })).toThrow(/emmeans: this rank-deficient fit's rows are in a stream and its full design's XᵀX was not kept/);
  }, 300_000);

  it('two kept two-valued covariates: refused on engine fits (their joint counts are not formed), given with `at` they work', async () => {
    const mem = await lmer(TWO, table, tight);
    const eng = await streamFit('d.parquet', TWO, 500);
    const duckEng = await duckFit('d.parquet', TWO);
    for (const [fit, where] of [[eng, 'a stream'], [duckEng, 'duckdb']] as const) {
      expect(() => emmeans(fit, 'trt')).toThrow(new RegExp(`emmeans: the covariates 'd', 'e' each take two values, and their reference grid's weights need the rows at each combination of their values, which this fit \\(its rows in ${where}\\) does not have: give all but one of them values with 'at'`));
      expect(() => jointTests(fit)).toThrow(/the covariates 'd', 'e' each take two values/);
    }
    expect(emmeans(mem, 'trt').rows.length).toBe(3);
    compareGrid('stream two', mem, eng, { e: [0, 1] });
    expect(note('stream two', jsonDiff(emmeans(mem, 'trt', { at: { e: [0, 1] }, weights: 'proportional' }).toJSON(), emmeans(eng, 'trt', { at: { e: [0, 1] }, weights: 'proportional' }).toJSON()))).toBeLessThan(1e-10);
  }, 300_000);

  it('a covariate whose cells\' extremes take two values but which takes a third: not kept (DuckDB\'s count in pass 2, the stream\'s per-cell flag)', async () => {
    // x in one cell (no factor): min and max are always two values; x has many
    const f = 'y ~ x + (1 | g)';
    const mem = await lmer(f, table, tight);
    const eng = await streamFit('d.parquet', f, 500);
    const res = await lmerSql(duck, { from: duckdbSource(join(dir, 'd.parquet')), name: 'd.parquet' }, f, tight);
    // the count rides on the second pass's first query: no extra scan (pass 1, one per-level query)
    expect(res.fit.model.source!.queries.map((q) => q.stage).slice(0, 3)).toEqual(['reading the schema', 'pass 1 (moments)', 'pass 2 (per level of g)']);
    expect(res.fit.model.source!.queries.map((q) => q.stage)[3]).toMatch(/^residual quantiles/);
    for (const fit of [eng, res.fit]) {
      expect(fit.model.frame.covariates!.get('x')!.values).toBeNull();
      compareGrid('one cell', mem, fit);
    }
    // a 0/1 covariate alone: the count says it takes no third value
    const g = 'y ~ d + (1 | g)';
    const r2 = await lmerSql(duck, { from: duckdbSource(join(dir, 'd.parquet')), name: 'd.parquet' }, g, tight);
    expect(r2.fit.model.frame.covariates!.get('d')!.values).toEqual([0, 1]);
    compareGrid('one cell', await lmer(g, table, tight), r2.fit);
  }, 300_000);
});

const chMissing = clickhouseTestsMissing();

describe.skipIf(chMissing !== null)('emmeans and joint tests on a two-shard ClickHouse fit equal the in-memory fit', () => {
  const house = useCluster();
  let dist: string;
  let table: arrow.Table;
  beforeAll(async () => {
    table = readCsv(dataCsv()).table;
    dist = await loadSharded(house.cluster, 'engemm', table, 400);
  }, 120_000);

  it('the grid to rounding (cells merged across shards), every table to 1e-5', async () => {
    const tight = { momentStart: false, optimizer: { rhoend: 1e-10 } };
    const mem = await lmer(FORMULA, table, tight);
    const from = clickhouseSource(dist);
    const eng = (await lmerSql(house.engine, { from, name: dist }, FORMULA, tight)).fit;
    checkSummaries(eng, mem);
    compareGrid('clickhouse', mem, eng);
    const engT = (await lmerSql(house.engine, { from, name: dist }, TREND, tight)).fit;
    compareTables('clickhouse', mem, eng, { mem: await lmer(TREND, table, tight), eng: engT }, 1e-5);
    console.log('worst differences (ClickHouse):', JSON.stringify(Object.fromEntries(Object.entries(worst).filter(([k]) => k.startsWith('clickhouse'))), null, 1));
  }, 600_000);
});
