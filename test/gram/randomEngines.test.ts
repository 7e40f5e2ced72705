/**
 * Randomized differential audit of the out-of-memory engines against the in-memory model frame and
 * lme4: the 200 random cases of test/randomFrames.test.ts (test/oracle/randomFrames.ts; lme4's
 * answers in test/fixtures/random-frame/lme4.json) through the stream of record batches (batches of
 * 17 rows) from Parquet, CSV and Arrow IPC files written from each case (the IPC file keeps the
 * Arrow dictionaries with unused entries), DuckDB on the Parquet files (and on the CSV files for
 * every fourth case), and a two-shard ClickHouse cluster on every fifth case (one cluster for the
 * file, stopped in afterAll).
 *
 * For every case and engine: nobs and the rows na.omit dropped, the messages (the rank check), the
 * fixed-effects columns kept (lme4's names), the random-effects terms' groups, levels and columns,
 * θ's names; at lme4's θ the criterion and β against the in-memory fit at that θ and against lme4;
 * the engine's own optimum no worse than lme4's by more than 1e-6 (as the in-memory audit). Where
 * lme4 refuses a model (a factor left with one level) the engine refuses it for the same reason.
 * scale() (R's over the whole column before na.omit) takes passes of its own in each engine: the
 * stream's sums in input order (the in-memory doubles), the SQL engines' queries (their rounding);
 * its cases are in every engine's subset.
 *
 * Tolerances. The stream (default `exact` mode) repeats the in-memory arithmetic in input order, so
 * its criterion and β must equal the in-memory ones bit for bit. DuckDB and ClickHouse sum the same
 * ≤ 140 rows per group in their own order (ClickHouse: per shard, merged), and round the transform's
 * means and β₀ differently (free parameters: any means and β₀ give the same criterion and β), so
 * the results differ by rounding only: a few ulps of each Gram entry, amplified by the
 * cancellation in XᵀX − R_ZXᵀR_ZX and r², which for these data (6-digit values, ≤ 30 columns,
 * aliased columns dropped by the rank check) stays near 1e-15. Asserted: criterion 1e-12 relative,
 * β 1e-11 of max(|β|, SE) — about 300 times the worst seen (2.8e-15 and 4.1e-14; AUDIT_REPORT=1
 * prints the worst values per engine). Against lme4 the in-memory audit's tolerances: criterion
 * 1e-8 relative, β 1e-6 of max(|β|, SE) (R's sums round differently and it prints 15 digits).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fitAtTheta } from '../helpers/atTheta.js';
import { buildLmm } from '../../src/lmm/model.js';
import { lmer } from '../../src/fit/lmer.js';
import { gramLmm, lmerFromGram } from '../../src/gram/fit.js';
import type { GramSourceResult } from '../../src/gram/source.js';
import { gramFromStream } from '../../src/gram/stream/streamSource.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { gramFromSql } from '../../src/gram/sql/sqlSource.js';
import { clickhouseSource } from '../../src/gram/sql/clickhouse.js';
import { type FrameCase, generateRandomFrames } from '../oracle/randomFrames.js';
import { randomFrameTable } from '../helpers/randomFrameTable.js';
import { clickhouseTestsMissing, loadSharded, useCluster } from '../helpers/clickhouse.js';
import { SAME_LABEL_FACTORS, SAME_LABEL_FORMULAS, sameLabelData } from '../helpers/sameLabelData.js';
import { lmerSql } from '../../src/gram/sql/lmer.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'random-frame');

interface Lme4Case {
  name: string; formula: string; reml: boolean; error?: string;
  colnames: string[]; dropped: string[]; fixef: number[]; se: number[];
  theta_names: string[]; theta: number[]; criterion: number; nobs: number; na_dropped: number;
}

const index = JSON.parse(readFileSync(join(fixtures, 'cases.json'), 'utf8')) as { seed: number; count: number };
const lme4 = JSON.parse(readFileSync(join(fixtures, 'lme4.json'), 'utf8')) as { cases: Lme4Case[] };
const cases = generateRandomFrames(index.seed, index.count);
const byName = new Map(cases.map((c) => [c.name, c]));


/** worst relative differences seen, by engine and quantity (printed with AUDIT_REPORT=1) */
const worst = new Map<string, { v: number; at: string }>();
function note(key: string, v: number, at: string): void {
  const w = worst.get(key);
  if (!w || v > w.v) worst.set(key, { v, at });
}
afterAll(() => {
  if (!process.env.AUDIT_REPORT) return;
  for (const [k, w] of [...worst].sort()) console.log(`${k}: ${w.v.toExponential(2)} (${w.at})`);
});

/** Parquet of a case's table: numbers as nullable DOUBLE, text (and dictionaries) as STRING. */
function parquetOf(t: arrow.Table): Uint8Array {
  const columnData = t.schema.fields.map((f) => {
    const v = t.getChild(f.name)!;
    const text = arrow.DataType.isDictionary(f.type) || arrow.DataType.isUtf8(f.type);
    const data = Array.from({ length: v.length }, (_, i) => (v.isValid(i) ? (text ? String(v.get(i)) : Number(v.get(i))) : null));
    return { name: f.name, data, type: text ? 'STRING' as const : 'DOUBLE' as const };
  });
  return new Uint8Array(parquetWriteBuffer({ columnData, rowGroupSize: 40 }));
}

/** The in-memory model and its fit at lme4's θ (null where lme4 refuses the model). */
const memory = new Map<string, ReturnType<typeof memoryFit>>();
function memoryAt(c: FrameCase, r: Lme4Case): ReturnType<typeof memoryFit> {
  if (!memory.has(c.name)) memory.set(c.name, memoryFit(c, r));
  return memory.get(c.name)!;
}
function memoryFit(c: FrameCase, r: Lme4Case) {
  const model = buildLmm(c.formula, randomFrameTable(c), { REML: c.reml, factors: c.factors });
  const fit = fitAtTheta(model, r.theta);
  return { model, fit };
}

/** Compares an engine's Gram source with the in-memory frame and lme4 at lme4's θ, and its optimum. */
const exactEngine = (engine: string) => engine.startsWith('stream');

async function compare(engine: string, c: FrameCase, r: Lme4Case, res: GramSourceResult, optimum: boolean): Promise<void> {
  const { model, fit: mem } = memoryAt(c, r);
  const S = res.summary;
  expect(S.n, 'nobs').toBe(r.nobs);
  expect(S.nDropped, 'rows dropped by na.omit').toBe(r.na_dropped);
  expect(S.messages, 'messages (rank check)').toEqual(model.frame.messages);
  expect(S.xnames, 'fixed-effects columns kept').toEqual(r.colnames);
  expect(res.reTerms.map((t) => [t.group, t.levels, t.cnames])).toEqual(model.frame.reTerms.map((t) => [t.group, t.levels, t.cnames]));
  expect(res.theta.names).toEqual(r.theta_names);
  const gm = gramLmm(res, { REML: c.reml, factors: c.factors });
  const fit = fitAtTheta(gm, r.theta, res.gram);
  const dm = Math.abs(fit.objective - mem.objective) / Math.abs(mem.objective);
  note(`${engine} criterion vs memory`, dm, c.name);
  // the stream repeats the in-memory arithmetic (exact mode): the same numbers, bit for bit
  if (exactEngine(engine)) expect(fit.objective, 'criterion (bit for bit)').toBe(mem.objective);
  else expect(dm, `criterion ${fit.objective} vs in-memory ${mem.objective}`).toBeLessThan(1e-12);
  const dr = Math.abs(fit.objective - r.criterion) / Math.max(1, Math.abs(r.criterion));
  note(`${engine} criterion vs lme4`, dr, c.name);
  expect(dr, `criterion ${fit.objective} vs lme4 ${r.criterion}`).toBeLessThan(1e-8);
  const b = Object.values(fit.fixef), bm = Object.values(mem.fixef);
  expect(Object.keys(fit.fixef)).toEqual(r.colnames);
  for (let k = 0; k < b.length; k++) {
    const scale = Math.max(Math.abs(r.fixef[k]), r.se[k]);
    const d1 = Math.abs(b[k] - bm[k]) / scale;
    note(`${engine} β vs memory`, d1, `${c.name} ${r.colnames[k]}`);
    if (exactEngine(engine)) expect(b[k], `β[${r.colnames[k]}] (bit for bit)`).toBe(bm[k]);
    else expect(d1, `β[${r.colnames[k]}] ${b[k]} vs in-memory ${bm[k]}`).toBeLessThan(1e-11);
    const d2 = Math.abs(b[k] - r.fixef[k]) / scale;
    note(`${engine} β vs lme4`, d2, `${c.name} ${r.colnames[k]}`);
    expect(d2, `β[${r.colnames[k]}] ${b[k]} vs lme4 ${r.fixef[k]}`).toBeLessThan(1e-6);
  }
  // the engine's optimum: no worse than lme4's (as the in-memory fit's, test/randomFrames.test.ts);
  // the stream's A is the same from every format, so its optimum once (runtime)
  if (!optimum) return;
  const opt = await lmerFromGram(res, { REML: c.reml, factors: c.factors });
  note(`${engine} optimum − lme4`, opt.objective - r.criterion, c.name);
  expect(opt.nobs).toBe(r.nobs);
  expect(opt.objective).toBeLessThanOrEqual(r.criterion + 1e-6);
}


/** Where lme4 refuses a model: the engine refuses it, for the in-memory frame's reason. */
async function refuses(c: FrameCase, r: Lme4Case, run: () => Promise<unknown>): Promise<void> {
  expect(() => buildLmm(c.formula, randomFrameTable(c), { REML: c.reml, factors: c.factors })).toThrow(/2 or more levels/);
  expect(r.error).toMatch(/2 or more levels/);
  await expect(run()).rejects.toThrow(/2 or more levels/);
}

/** AUDIT_CASES=f003,f017: only those cases (to reproduce one) */
const only = process.env.AUDIT_CASES ? new Set(process.env.AUDIT_CASES.split(',')) : null;
const selected = lme4.cases.filter((r) => !only || only.has(r.name));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mixedgpu-random-engines-'));
  for (const r of selected) {
    const c = byName.get(r.name)!;
    const t = randomFrameTable(c);
    writeFileSync(join(dir, `${c.name}.csv`), c.csv);
    writeFileSync(join(dir, `${c.name}.parquet`), parquetOf(t));
    writeFileSync(join(dir, `${c.name}.arrow`), arrow.tableToIPC(t, 'stream'));
  }
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

async function streamOf(path: string, c: FrameCase, batchSize: number): Promise<GramSourceResult> {
  const src = await openBatchSource(path);
  try {
    return await gramFromStream(src, c.formula, { factors: c.factors, levelOrder: c.levelOrder, batchSize });
  } finally {
    await src.close();
  }
}

describe('random frames through the stream (Parquet, CSV, Arrow IPC)', () => {
  for (const ext of ['parquet', 'csv', 'arrow'] as const) {
    it.each(selected.map((r) => [r.name, r.formula, r] as const))(`${ext}: %s %s`, async (name, _f, r) => {
      const c = byName.get(name)!;
      const run = () => streamOf(join(dir, `${name}.${ext}`), c, 17);
      if (r.error) return refuses(c, r, run);
      await compare(`stream ${ext}`, c, r, await run(), ext === 'parquet');
    }, 30_000);
  }
});

/** the cases lme4 refuses and those with scale() (a pass of its own in each engine): in every subset */
const refused = (r: Lme4Case) => r.error !== undefined || /scale\(/.test(byName.get(r.name)!.formula);

/** DuckDB on the CSV files: every fourth case (the CSV reader's own types and NA; runtime) */
const csvSubset = (r: Lme4Case) => Number(r.name.slice(1)) % 4 === 1 || refused(r);

describe('random frames through DuckDB (Parquet and CSV files)', () => {
  let engine: DuckDbEngine;
  beforeAll(async () => { engine = await DuckDbEngine.open({ threads: 1 }); });
  afterAll(async () => { await engine?.close(); });
  for (const ext of ['parquet', 'csv'] as const) {
    it.each(selected.filter((r) => ext === 'parquet' || csvSubset(r)).map((r) => [r.name, r.formula, r] as const))(`${ext}: %s %s`, async (name, _f, r) => {
      const c = byName.get(name)!;
      const file = join(dir, `${name}.${ext}`);
      const run = () => gramFromSql(engine, { from: duckdbSource(file), name: file }, c.formula, { factors: c.factors, levelOrder: c.levelOrder });
      if (r.error) return refuses(c, r, run);
      await compare(`duckdb ${ext}`, c, r, await run(), true);
    }, 30_000);
  }
});

/** ClickHouse: every fifth case and the refused ones, and the numeric codes with one label (test/gram/numericLevels.test.ts) */
const clickhouseSubset = (r: Lme4Case) => Number(r.name.slice(1)) % 5 === 2 || refused(r);
const missing = clickhouseTestsMissing();

describe.skipIf(missing !== null)('random frames through ClickHouse (two shards)', () => {
  const ch = useCluster();
  it.each(selected.filter((r) => clickhouseSubset(r)).map((r) => [r.name, r.formula, r] as const))('%s %s', async (name, _f, r) => {
    const c = byName.get(name)!;
    const dist = await loadSharded(ch.cluster, `rf_${name}`, randomFrameTable(c));
    const run = () => gramFromSql(ch.engine, { from: clickhouseSource(dist), name: dist }, c.formula, { factors: c.factors, levelOrder: c.levelOrder });
    if (r.error) return refuses(c, r, run);
    await compare('clickhouse', c, r, await run(), true);
  }, 60_000);

  it.each(SAME_LABEL_FORMULAS)('numeric codes with one printed label: %s', async (formula) => {
    const data = sameLabelData();
    const dist = await loadSharded(ch.cluster, 'same_label', data.table);
    const mem = await lmer(formula, data.table, { factors: SAME_LABEL_FACTORS, momentStart: false });
    const { fit } = await lmerSql(ch.engine, { from: clickhouseSource(dist), name: dist }, formula, { factors: SAME_LABEL_FACTORS });
    expect(Object.keys(fit.fixef)).toEqual(Object.keys(mem.fixef));
    expect(fit.model.frame.reTerms.map((t) => [t.group, t.levels])).toEqual(mem.model.frame.reTerms.map((t) => [t.group, t.levels]));
    expect(Math.abs(fit.objective - mem.objective) / Math.abs(mem.objective)).toBeLessThan(1e-10);
    // the residual quantiles join the conditional modes to the rows by their keys (a row joined
    // to no level or the wrong one is off by a level's b̂); the two optima agree to the optimizer's
    // tolerance, not to rounding: 1e-6, as test/gram/numericLevels.test.ts
    const s = Array.from(mem.pearsonResiduals, (v) => v / mem.sigma).sort((a, b) => a - b);
    expect(Math.abs(fit.scaledResidualQuantiles![0] - s[0])).toBeLessThan(1e-6);
    expect(Math.abs(fit.scaledResidualQuantiles![4] - s[s.length - 1])).toBeLessThan(1e-6);
  }, 60_000);
});
