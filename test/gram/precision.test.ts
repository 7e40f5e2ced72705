/**
 * The precision suite's hard cases (large means in X and Z, a group-level covariate of sd 1e3, a
 * near-singular fit, a response of 1e6, a large offset) through DuckDB and ClickHouse: the engines'
 * two passes reproduce the in-memory fixed-effects transform, so A and the objective at fixed θ
 * agree to 1e-10 relative.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { clickhouseSource } from '../../src/gram/sql/clickhouse.js';
import { gramFromSql } from '../../src/gram/sql/sqlSource.js';
import type { SqlEngine } from '../../src/gram/sql/engine.js';
import { buildLmm } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { makeFloat64Vector } from '../../src/io/arrow.js';
import { type HardCase, syntheticHardCases } from '../helpers/hardCases.js';
import { centresOf, gramDifference, objectiveAt, rebaseGram } from '../helpers/gramCompare.js';
import { tableToParquet } from '../helpers/parquetFile.js';
import { clickhouseTestsMissing, loadSharded, useCluster } from '../helpers/clickhouse.js';

/** the hard cases, and one more: an offset of 1e6 (y = 1e6 + o-free signal + o) */
function cases(): HardCase[] {
  const hard = syntheticHardCases();
  const base = hard.find((c) => c.name.startsWith('response offset'))!;
  const y = Float64Array.from(base.table.getChild('y')!.toArray() as Float64Array);
  const o = Float64Array.from(y, (_, i) => 1e6 + (i % 7) * 1e3);
  for (let i = 0; i < y.length; i++) y[i] += o[i] - 1e6;
  const cols: Record<string, arrow.Vector> = {};
  for (const f of base.table.schema.fields) cols[f.name] = base.table.getChild(f.name)!;
  cols.y = makeFloat64Vector(y);
  cols.o = makeFloat64Vector(o);
  return [...hard, { name: 'offset 1e6', formula: 'y ~ x + offset(o) + (1 | g)', REML: true, note: '', table: new arrow.Table(cols) }];
}

const CASES = cases();

async function compare(engine: SqlEngine, from: string, c: HardCase): Promise<void> {
  const model = buildLmm(c.formula, c.table, { REML: c.REML, factors: c.factors });
  const mem = formGram(model);
  const sql = await gramFromSql(engine, { from, name: c.name }, c.formula, { factors: c.factors });
  // the same model with the engine's transform parameters (its means and β₀ are more accurate:
  // compensated sums), then A to 1e-10; the objective does not depend on them
  const rebased = rebaseGram(mem, { ...model.fixed, centres: centresOf(model) }, { ...sql.summary, centres: sql.centres });
  const d = gramDifference(rebased, sql.gram);
  expect(d, gramDifference.where).toBeLessThan(1e-10);
  for (const scale of [0.05, 0.5, 2]) {
    const th = Float64Array.from(model.theta.start, (t) => t * scale);
    const a = objectiveAt(mem, model.theta.length, th, c.REML);
    const b = objectiveAt(sql.gram, sql.theta.length, th, c.REML);
    expect(Math.abs(a - b) / Math.abs(a), `θ scale ${scale}: ${a} vs ${b}`).toBeLessThan(1e-10);
  }
}

describe('hard cases through DuckDB (Parquet)', () => {
  let dir: string;
  let duck: DuckDbEngine;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mixedgpu-hard-'));
    CASES.forEach((c, k) => writeFileSync(join(dir, `case${k}.parquet`), new Uint8Array(tableToParquet(c.table))));
    duck = await DuckDbEngine.open({ threads: 2 });
  });
  afterAll(async () => {
    await duck?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  CASES.forEach((c, k) => {
    it(c.name, async () => { await compare(duck, duckdbSource(join(dir, `case${k}.parquet`)), c); }, 60_000);
  });
});

const missing = clickhouseTestsMissing();

describe.skipIf(missing !== null)('hard cases through ClickHouse (two shards)', () => {
  const ch = useCluster();
  CASES.forEach((c, k) => {
    it(c.name, async () => {
      const table = await loadSharded(ch.cluster, `hard${k}`, c.table);
      await compare(ch.engine, clickhouseSource(table), c);
    }, 60_000);
  });
});
