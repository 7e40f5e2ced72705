/**
 * Every model-frame feature through DuckDB (Parquet, CSV, a glob of Parquet files) and ClickHouse
 * (two shards) equals the in-memory frame and Gram matrix: rows dropped and counted, levels and
 * their order, column names, the rank check, and A to 1e-10 (normwise), the objective at fixed θ.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../../src/io/csv.js';
import { readParquet } from '../../src/io/parquet.js';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { clickhouseSource } from '../../src/gram/sql/clickhouse.js';
import { gramFromSql } from '../../src/gram/sql/sqlSource.js';
import type { SqlEngine } from '../../src/gram/sql/engine.js';
import { buildLmm } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { FEATURE_MODELS, featureColumns, featureCsv, featureParquet } from '../helpers/featureData.js';
import { gramDifference, objectiveAt } from '../helpers/gramCompare.js';
import { clickhouseTestsMissing, loadSharded, useCluster } from '../helpers/clickhouse.js';

const cols = featureColumns();
let dir: string;
let parquetTable: arrow.Table;
let csvTable: arrow.Table;
let duck: DuckDbEngine;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mixedgpu-features-'));
  const whole = featureParquet(cols);
  writeFileSync(join(dir, 'features.parquet'), new Uint8Array(whole));
  writeFileSync(join(dir, 'part-1.parquet'), new Uint8Array(featureParquet(cols, 0, 1700)));
  writeFileSync(join(dir, 'part-2.parquet'), new Uint8Array(featureParquet(cols, 1700)));
  const csv = featureCsv(cols);
  writeFileSync(join(dir, 'features.csv'), csv);
  parquetTable = (await readParquet(whole)).table;
  csvTable = readCsv(csv, { factors: ['h'] }).table; // h: numbers but for 'x' (a factor, as in the engines)
  duck = await DuckDbEngine.open({ threads: 2 });
});
afterAll(async () => {
  await duck?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function compare(engine: SqlEngine, from: string, table: arrow.Table, m: (typeof FEATURE_MODELS)[number]): Promise<void> {
  const model = buildLmm(m.formula, table, { weights: m.weights, factors: m.factors, contrasts: m.contrasts });
  const mem = formGram(model);
  const sql = await gramFromSql(engine, { from, name: from }, m.formula, { weights: m.weights, factors: m.factors, contrasts: m.contrasts });
  expect(sql.summary.nInput).toBe(model.frame.nInput);
  expect(sql.summary.n).toBe(model.frame.n);
  expect(sql.summary.nDropped).toBe(model.frame.nDropped);
  expect(sql.summary.messages).toEqual(model.frame.messages);
  expect(sql.summary.xnames).toEqual(model.frame.xnames);
  expect(sql.reTerms.map((t) => [t.group, t.levels, t.cnames])).toEqual(model.frame.reTerms.map((t) => [t.group, t.levels, t.cnames]));
  expect(sql.theta.names).toEqual(model.theta.names);
  expect(sql.summary.sumLogW).toBeCloseTo(model.sumLogW, 8);
  const d = gramDifference(mem, sql.gram);
  expect(d, gramDifference.where).toBeLessThan(1e-10);
  const th = Float64Array.from(model.theta.start, (t, k) => t * (0.5 + 0.1 * k));
  const a = objectiveAt(mem, model.theta.length, th, true, model.sumLogW);
  const b = objectiveAt(sql.gram, sql.theta.length, th, true, sql.summary.sumLogW);
  expect(Math.abs(a - b) / Math.abs(a)).toBeLessThan(1e-10);
}

describe('DuckDB: model-frame features as in memory', () => {
  it('the data have what the cases need: dropped rows, a dropped-only level, zeros in log()', () => {
    const model = buildLmm(FEATURE_MODELS[1].formula, parquetTable);
    expect(model.frame.nDropped).toBeGreaterThan(100);
    expect(model.frame.reTerms.find((t) => t.group === 'h')!.levels).toEqual(['1', '10', '2', '3']);
  });
  for (const m of FEATURE_MODELS) {
    it(`Parquet: ${m.name}`, async () => { await compare(duck, duckdbSource(join(dir, 'features.parquet')), parquetTable, m); }, 60_000);
    it(`CSV: ${m.name}`, async () => { await compare(duck, duckdbSource(join(dir, 'features.csv')), csvTable, m); }, 60_000);
    it(`glob of Parquet files: ${m.name}`, async () => { await compare(duck, duckdbSource(join(dir, 'part-*.parquet')), parquetTable, m); }, 60_000);
  }
});

const missing = clickhouseTestsMissing();

describe.skipIf(missing !== null)('ClickHouse (two shards): model-frame features as in memory', () => {
  const ch = useCluster();
  let table: string;
  beforeAll(async () => { table = await loadSharded(ch.cluster, 'features', parquetTable); }, 120_000);
  for (const m of FEATURE_MODELS) {
    it(m.name, async () => { await compare(ch.engine, clickhouseSource(table), parquetTable, m); }, 60_000);
  }
});
