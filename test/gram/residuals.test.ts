/**
 * Fitted values, residuals and the summary's scaled-residual quantiles as queries (DuckDB,
 * ClickHouse) equal the in-memory fit's, given the in-memory estimates; the b̂ tables are dropped.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquet } from '../../src/io/parquet.js';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { clickhouseSource } from '../../src/gram/sql/clickhouse.js';
import { gramFromSql } from '../../src/gram/sql/sqlSource.js';
import { residualQuantiles, residualSql, writeResiduals } from '../../src/gram/sql/residuals.js';
import type { SqlEngine } from '../../src/gram/sql/engine.js';
import { lmer } from '../../src/fit/lmer.js';
import { quantile7 } from '../../src/frame/basis/bspline.js';
import { readCsv } from '../../src/io/csv.js';
import { gramFromStream } from '../../src/gram/stream/streamSource.js';
import { openBatchSource, writeStreamResiduals } from '../../src/gram/stream/node.js';
import { StreamResiduals, streamResidualQuantiles } from '../../src/gram/stream/residuals.js';
import { FEATURE_MODELS, featureColumns, featureParquet } from '../helpers/featureData.js';
import { dataPath, loadData, loadReference } from '../helpers/reference.js';
import { clickhouseTestsMissing, loadSharded, useCluster } from '../helpers/clickhouse.js';

interface Case { name: string; formula: string; table: () => arrow.Table; file: () => string; options: { factors?: string[]; weights?: string } }

let dir: string;
let features: arrow.Table;
const cases: Case[] = [
  { name: 'sleepstudy slopes', formula: 'Reaction ~ Days + (Days | Subject)', table: () => loadData(loadReference('sleepstudy_slopes_reml')), file: () => dataPath('sleepstudy.csv'), options: { factors: ['Subject'] } },
  { name: 'penicillin crossed', formula: 'diameter ~ 1 + (1 | plate) + (1 | sample)', table: () => loadData(loadReference('penicillin_crossed_reml')), file: () => dataPath('penicillin.csv'), options: {} },
  ...FEATURE_MODELS.slice(0, 3).map((m) => ({ name: m.name, formula: m.formula, table: () => features, file: () => join(dir, 'features.parquet'), options: { factors: m.factors, weights: m.weights } })),
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mixedgpu-resid-'));
  const pq = featureParquet(featureColumns());
  writeFileSync(join(dir, 'features.parquet'), new Uint8Array(pq));
  features = (await readParquet(pq)).table;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function check(engine: SqlEngine, from: string, c: Case): Promise<void> {
  const fit = await lmer(c.formula, c.table(), c.options);
  const g = await gramFromSql(engine, { from, name: c.name }, c.formula, c.options);
  const rs = residualSql(engine, g, { beta: fit.beta, b: g.blocks.map((_, k) => fit.conditionalModes(k)), sigma: fit.sigma });
  // every residual (as a sorted vector: the engines return rows in their own order)
  const all = await rs.withTables(engine, () => engine.run({ stage: 'residuals', sql: `SELECT __mg_res, __mg_fit FROM ${rs.relation(from)} AS t`, keys: [], values: 2 }));
  const mine = Float64Array.from(all.values[0]).sort();
  const theirs = Float64Array.from(fit.residuals()).sort();
  expect(mine.length).toBe(theirs.length);
  const scale = Math.max(...theirs.map(Math.abs));
  for (let i = 0; i < mine.length; i++) expect(Math.abs(mine[i] - theirs[i])).toBeLessThanOrEqual(1e-12 * scale);
  // the summary's quantiles of the scaled Pearson residuals
  const scaled = Array.from(fit.pearsonResiduals, (r) => r / fit.sigma);
  const want = quantile7(scaled, [0, 0.25, 0.5, 0.75, 1]);
  const { quantiles } = await residualQuantiles(engine, rs, from);
  quantiles.forEach((v, k) => expect(Math.abs(v - want[k])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want[k]))));
  // written back: every complete row with its fitted value and residual
  const target: { file: string } | { table: string } = engine.name === 'duckdb' ? { file: join(dir, `resid-${Math.random().toString(36).slice(2)}.parquet`) } : { table: `resid_${Math.random().toString(36).slice(2)}` };
  const written = await writeResiduals(engine, rs, from, target);
  expect(written).toBe(fit.nobs);
  const back = 'file' in target ? (await readParquet(new Uint8Array(readFileSync(target.file)).buffer)).table : null;
  const col = back ? Float64Array.from(back.getChild('residual')!.toArray() as Float64Array).sort()
    : Float64Array.from((await engine.rows(`SELECT residual FROM ${(target as { table: string }).table}`, 'read back')).map((r) => Number(r.residual))).sort();
  for (let i = 0; i < col.length; i++) expect(Math.abs(col[i] - theirs[i])).toBeLessThanOrEqual(1e-12 * scale);
  await expect(writeResiduals(engine, rs, from, target)).rejects.toThrow(/exists \(not overwritten\)/);
  // the b̂ tables are gone
  const left = await engine.rows(engine.name === 'duckdb' ? "SELECT table_name AS name FROM duckdb_tables() WHERE table_name LIKE '__mg_b_%'" : "SELECT name FROM system.tables WHERE name LIKE '__mg_b_%'", 'listing tables');
  expect(left).toEqual([]);
}

describe('DuckDB: residuals and their quantiles as queries', () => {
  let duck: DuckDbEngine;
  beforeAll(async () => { duck = await DuckDbEngine.open({ threads: 2 }); });
  afterAll(async () => { await duck?.close(); });
  for (const c of cases) it(c.name, async () => { await check(duck, duckdbSource(c.file()), c); }, 60_000);
});

const missing = clickhouseTestsMissing();

describe.skipIf(missing !== null)('ClickHouse (two shards): residuals and their quantiles as queries', () => {
  const ch = useCluster();
  const tables = new Map<arrow.Table, string>();
  for (const c of cases) {
    it(c.name, async () => {
      const t = c.table();
      if (!tables.has(t)) tables.set(t, await loadSharded(ch.cluster, `r${tables.size}`, t));
      await check(ch.engine, clickhouseSource(tables.get(t)!), c);
    }, 60_000);
  }
});

describe('stream: residuals, their quantiles and the rows written back', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const fit = await lmer(c.formula, c.table(), c.options);
      const src = await openBatchSource(c.file());
      try {
        const g = await gramFromStream(src, c.formula, { ...c.options, batchSize: 500 });
        const sr = new StreamResiduals(g, { beta: fit.beta, b: g.blocks.map((_, k) => fit.conditionalModes(k)), sigma: fit.sigma });
        const mine: number[] = [];
        for await (const b of src.batches(g.spec.columns, 500)) { const r = sr.compute(b); r.residual.forEach((v, i) => { if (r.ok[i]) mine.push(v); }); }
        // rows come in input order here: compare row by row
        const theirs = fit.residuals();
        expect(mine.length).toBe(theirs.length);
        const scale = Math.max(...Array.from(theirs, Math.abs));
        mine.forEach((v, i) => expect(Math.abs(v - theirs[i])).toBeLessThanOrEqual(1e-12 * scale));
        const want = quantile7(Array.from(fit.pearsonResiduals, (r) => r / fit.sigma), [0, 0.25, 0.5, 0.75, 1]);
        const { quantiles } = await streamResidualQuantiles(src, sr, 500);
        quantiles.forEach((v, k) => expect(Math.abs(v - want[k])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want[k]))));
        for (const ext of ['parquet', 'csv']) {
          const out = join(dir, `stream-resid-${Math.random().toString(36).slice(2)}.${ext}`);
          expect(await writeStreamResiduals(src, sr, out, 700)).toBe(fit.nobs);
          const back = ext === 'parquet' ? (await readParquet(new Uint8Array(readFileSync(out)).buffer)).table : readCsv(readFileSync(out, 'utf8')).table;
          const r = back.getChild('residual')!.toArray() as Float64Array;
          r.forEach((v, i) => expect(Math.abs(v - theirs[i])).toBeLessThanOrEqual(1e-12 * scale));
          await expect(writeStreamResiduals(src, sr, out)).rejects.toThrow(/exists \(not overwritten\)/);
        }
      } finally {
        await src.close();
      }
    }, 60_000);
  }
});
