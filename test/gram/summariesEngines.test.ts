/**
 * R's whole-column summaries inside formula expressions (mean, sd, var, median, min, max, sum,
 * length, with na.rm) on the engines (src/gram/summaryPass.ts; stream: src/gram/stream/summaryScan.ts,
 * SQL: src/gram/sql/summaryScan.ts), against the in-memory frame (src/frame/reductions.ts), which
 * test/formulaFunctions2.test.ts checks against R:
 *  - the values: every summary of a column with missing values, ±∞, ties and an even count (R's median
 *    the mean of the middle two), with and without na.rm, equals reduceColumn's — the stream's bit for
 *    bit (the same sums in input order), DuckDB's and two-shard ClickHouse's within 1e-14 relative
 *    for mean, var, sd and sum (compensated sums) and exactly for min, max, length and median (its
 *    order statistics exact);
 *  - the fits of test/fixtures/formula_functions2's summary models (ff2.csv, x with 10 missing values):
 *    the stream as memory (1e-12), DuckDB and ClickHouse at formulaParity.test.ts's tolerances
 *    (criterion 1e-10, β 1e-8, θ 1e-6), and the REML criterion at R's fixed θ (objective_at) from
 *    each engine's A within 1e-8 relative of lme4's, as memory's test;
 *  - a summary inside scale() (`scale(x2 - mean(x2))`) through the stream and DuckDB, as memory;
 *  - a GLMM (cbpp, binomial with cbind, `I((size - median(size)) / sd(size))`) through DuckDB and the
 *    stream against the in-memory glmer fit (test/helpers/engineGlmm.ts's tolerances): the PIRLS
 *    passes read the pre-pass's constants too;
 *  - bad input, with memory's messages (the engines' after the engine's name and stage): a summary of
 *    a text column, of a constant, a missing value without na.rm; a summary of scale() or of a
 *    summary, refused by name.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../../src/io/csv.js';
import { parseFormula } from '../../src/formula/parse.js';
import { columnFromArrow, evalExpr } from '../../src/frame/columns.js';
import { type ColumnSchema, describeFrame } from '../../src/gram/frameSpec.js';
import { summaryValues } from '../../src/gram/summaryPass.js';
import { sqlSummaryScan } from '../../src/gram/sql/summaryScan.js';
import { streamSummaryScan } from '../../src/gram/stream/summaryScan.js';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { clickhouseSource } from '../../src/gram/sql/clickhouse.js';
import type { SqlEngine } from '../../src/gram/sql/engine.js';
import { lmerSql } from '../../src/gram/sql/lmer.js';
import { gramFromSql } from '../../src/gram/sql/sqlSource.js';
import { lmerStream } from '../../src/gram/stream/lmer.js';
import { gramFromStream } from '../../src/gram/stream/streamSource.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { lmer } from '../../src/fit/lmer.js';
import { expectEngineFit, expectObjectiveAt, fitDifferences, memoryFits } from '../helpers/gramCompare.js';
import { clickhouseTestsMissing, loadSharded, useCluster } from '../helpers/clickhouse.js';
import { tableToParquet } from '../helpers/parquetFile.js';
import { glmer } from '../../src/fit/glmer.js';
import { glmerSql } from '../../src/gram/sql/glmer.js';
import { glmerStream } from '../../src/gram/stream/glmer.js';
import { expectSameFit } from '../helpers/engineGlmm.js';
import { dataPath, loadData } from '../helpers/reference.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'formula_functions2');
const ff2 = readCsv(readFileSync(join(FIX, 'ff2.csv'), 'utf8')).table;
const REF = JSON.parse(readFileSync(join(FIX, 'models.json'), 'utf8')).models as Record<string, { formula: string; objective_at: { theta: number[]; value: number } }>;
const MODELS = ['mean_na_rm', 'sd_na_rm', 'min_log', 'summaries', 'median_na_rm'];

/** x: missing values, ties, an even count of non-missing values; w: ±∞; s: text; a row id */
function valuesTable(): arrow.Table {
  const xs = ['3.5', '', '1.25', '7', '3.5', '-2', '', '0.1', '1e6', '0.3', '2', '2'];
  const ws = ['1', '2', 'Inf', '4', '5', '-Inf', '7', '8', '9', '10', '11', '12'];
  const rows = xs.map((x, i) => `${i},${x},${ws[i]},${(i * 7) % 5},s${i % 3},g${i % 4}`);
  return readCsv(`id,x,w,z,s,g\n${rows.join('\n')}\n`).table;
}
const vals = valuesTable();
/** each summary of x (na.rm), z (no missing: odd and even counts through the expressions) and of w (±∞) */
const SUMMARY_EXPRS = [
  'mean(x, na.rm = TRUE)', 'sd(x, na.rm = TRUE)', 'var(x, na.rm = TRUE)', 'median(x, na.rm = TRUE)', 'min(x, na.rm = TRUE)', 'max(x, na.rm = TRUE)', 'sum(x, na.rm = TRUE)', 'length(x)',
  'mean(z)', 'sd(z)', 'var(z / 3)', 'median(z)', 'min(z)', 'max(z)', 'sum(z / 10)', 'length(z)',
  'mean(w)', 'sum(w)', 'min(w)', 'max(w)', 'median(w)', 'sd(w)', 'mean(x * w, na.rm = TRUE)', 'median(x + z, na.rm = TRUE)',
];
const VALUES_FORMULA = `id ~ ${SUMMARY_EXPRS.map((e) => `I(${e})`).join(' + ')} + (1 | g)`;
const schemaOf = (t: arrow.Table): ColumnSchema => new Map(t.schema.fields.map((f) => [f.name, columnFromArrow(t, f.name).kind === 'factor' ? 'text' : 'numeric'] as const));

/** memory's value of each summary (src/frame/reductions.ts over every row) */
function memoryValues(): number[] {
  const f = parseFormula(VALUES_FORMULA);
  return f.fixed.terms.map((t) => {
    const e = t.vars[0].expr;
    const c = evalExpr(e, (name) => columnFromArrow(vals, name), t.label, vals.numRows) as { values: Float64Array };
    return c.values[0];
  });
}

/** the pre-pass's values over a scan, in the formula's order */
async function prePassValues(scan: (spec: ReturnType<typeof describeFrame>) => Parameters<typeof summaryValues>[1]): Promise<number[]> {
  const spec = describeFrame(parseFormula(VALUES_FORMULA), schemaOf(vals));
  expect(spec.summaries.length).toBe(SUMMARY_EXPRS.length);
  await summaryValues(spec.summaries, scan(spec), spec.scales);
  return spec.summaries.map((c) => {
    const v = spec.scales.get(c.key);
    if (!v || !('fn' in v) || v.fn !== 'summary') throw new Error(`no value for ${c.what}`);
    return v.value;
  });
}

function expectSameValues(got: number[], exact: boolean): void {
  const want = memoryValues();
  SUMMARY_EXPRS.forEach((e, k) => {
    const a = want[k], b = got[k];
    const loose = !exact && /^(mean|var|sd|sum)\(/.test(e);
    const same = Object.is(a, b) || a === b || (Number.isNaN(a) && Number.isNaN(b)) || (loose && Number.isFinite(a) && Math.abs(a - b) <= 1e-14 * Math.abs(a));
    expect(same, `${e}: memory ${a}, engine ${b}`).toBe(true);
  });
}

const BAD: [string, RegExp][] = [
  ['y ~ I(x - mean(x)) + (1 | g)', /mean\(x\) in 'I\(x - mean\(x\)\)': 'x' has 10 missing values, so mean\(x\) is NA in every row .* write mean\(…, na.rm = TRUE\)/],
  ['y ~ I(x2 - mean(f)) + (1 | g)', /'f' is a factor and cannot be used in the arithmetic of 'I\(x2 - mean\(f\)\)'/],
  ['y ~ I(x2 - mean(3)) + (1 | g)', /'I\(x2 - mean\(3\)\)': mean\(\) of a constant: it summarizes a column/],
];
const REFUSED: [string, RegExp][] = [
  ['y ~ I(x2 - mean(scale(x2))) + (1 | g)', /'I\(x2 - mean\(scale\(x2\)\)\)': mean\(\) of an expression with scale\(\) in it is not evaluated by the engines/],
  ['y ~ I(x2 - mean(x2 - min(x2))) + (1 | g)', /mean\(\) of an expression with another summary in it is not evaluated by the engines/],
];

let dir: string;
const memoryFit = memoryFits(ff2);
/** an SQL engine's fit as memory's, and lme4's criterion at its θ from the engine's A */
async function compareSql(engine: SqlEngine, from: string, name: string): Promise<void> {
  const formula = REF[name].formula;
  const mem = await memoryFit(formula);
  const { fit } = await lmerSql(engine, { from, name: from }, formula);
  expectEngineFit(fit, mem, 'sql');
  expectObjectiveAt(await gramFromSql(engine, { from, name: from }, formula), REF[name].objective_at);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mixedgpu-summaries-'));
  writeFileSync(join(dir, 'ff2.parquet'), new Uint8Array(tableToParquet(ff2, 100)));
  writeFileSync(join(dir, 'vals.parquet'), new Uint8Array(tableToParquet(vals, 5)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the stream (Parquet)', () => {
  it('every summary equals memory\'s, bit for bit (batches of 5 rows)', async () => {
    const src = await openBatchSource(join(dir, 'vals.parquet'));
    try {
      expectSameValues(await prePassValues((spec) => streamSummaryScan(src, spec, 5, () => {})), true);
    } finally {
      await src.close();
    }
  });
  for (const name of MODELS) {
    it(`${name}: ${REF[name].formula} as memory fits it, and lme4's criterion at its θ`, async () => {
      const formula = REF[name].formula;
      const mem = await memoryFit(formula);
      const src = await openBatchSource(join(dir, 'ff2.parquet'));
      try {
        const { fit } = await lmerStream(src, formula, { batchSize: 100 });
        expectEngineFit(fit, mem, 'stream');
        expectObjectiveAt(await gramFromStream(src, formula, { batchSize: 100 }), REF[name].objective_at);
      } finally {
        await src.close();
      }
    }, 60_000);
  }
  for (const [formula, error] of [...BAD, ...REFUSED]) {
    it(`bad input: ${formula}`, async () => {
      if (BAD.some(([f]) => f === formula)) await expect(lmer(formula, ff2)).rejects.toThrow(error);
      const src = await openBatchSource(join(dir, 'ff2.parquet'));
      try {
        await expect(lmerStream(src, formula)).rejects.toThrow(error);
      } finally {
        await src.close();
      }
    });
  }
});

describe('DuckDB', () => {
  let duck: DuckDbEngine;
  beforeAll(async () => { duck = await DuckDbEngine.open({ threads: 2 }); });
  afterAll(async () => { await duck?.close(); });
  it("every summary equals memory's (mean, var, sd, sum within 1e-14; the others exactly)", async () => {
    const from = duckdbSource(join(dir, 'vals.parquet'));
    expectSameValues(await prePassValues((spec) => sqlSummaryScan(duck.dialect, spec, from, (q) => duck.run(q))), false);
  });
  for (const name of MODELS) it(`${name}: ${REF[name].formula}`, async () => { await compareSql(duck, duckdbSource(join(dir, 'ff2.parquet')), name); }, 60_000);
  for (const [formula, error] of [...BAD, ...REFUSED]) {
    it(`bad input: ${formula}`, async () => { await expect(lmerSql(duck, { from: duckdbSource(join(dir, 'ff2.parquet')), name: 'ff2' }, formula)).rejects.toThrow(error); });
  }
});

const missing = clickhouseTestsMissing();

describe.skipIf(missing !== null)('ClickHouse (two shards)', () => {
  const ch = useCluster();
  const from = new Map<string, string>();
  beforeAll(async () => {
    from.set('ff2', clickhouseSource(await loadSharded(ch.cluster, 'summaries_ff2', ff2, 60)));
    from.set('vals', clickhouseSource(await loadSharded(ch.cluster, 'summaries_vals', vals, 3)));
  }, 120_000);
  it("every summary equals memory's (mean, var, sd, sum within 1e-14; the others exactly)", async () => {
    expectSameValues(await prePassValues((spec) => sqlSummaryScan(ch.engine.dialect, spec, from.get('vals')!, async (q, merge = true) => {
      const { mergeDuplicateKeys } = await import('../../src/gram/assemble.js');
      const r = await ch.engine.run(q);
      return merge ? mergeDuplicateKeys(r) : r;
    })), false);
  });
  for (const name of MODELS) it(`${name}: ${REF[name].formula}`, async () => { await compareSql(ch.engine, from.get('ff2')!, name); }, 60_000);
  it(`bad input: ${BAD[0][0]}`, async () => {
    await expect(lmerSql(ch.engine, { from: from.get('ff2')!, name: 'ff2' }, BAD[0][0])).rejects.toThrow(/mean\(x\) in 'I\(x - mean\(x\)\)': 'x' has 10 missing values/);
  });
});

describe('a summary inside scale() (the summaries first, then the centres and scales)', () => {
  const formula = 'y ~ scale(x2 - mean(x2)) + scale(x, center = FALSE) + I(x - median(x, na.rm = TRUE)) + (1 | g)';
  it('the stream (1e-12) and DuckDB (criterion 1e-10, β 1e-8, θ 1e-6) fit it as memory does', async () => {
    const mem = await memoryFit(formula);
    const src = await openBatchSource(join(dir, 'ff2.parquet'));
    try {
      const { fit } = await lmerStream(src, formula, { batchSize: 100 });
      expectEngineFit(fit, mem, 'stream');
    } finally {
      await src.close();
    }
    const duck = await DuckDbEngine.open({ threads: 1 });
    try {
      const { fit } = await lmerSql(duck, { from: duckdbSource(join(dir, 'ff2.parquet')), name: 'ff2' }, formula);
      const d = fitDifferences(mem, fit);
      expect(d.criterion).toBeLessThan(1e-10);
      expect(d.beta).toBeLessThan(1e-8);
      expect(d.theta).toBeLessThan(1e-6);
    } finally {
      await duck.close();
    }
  }, 60_000);
});

describe('a GLMM with summaries (cbpp, binomial)', () => {
  const formula = 'cbind(incidence, size - incidence) ~ period + I((size - median(size)) / sd(size)) + (1 | herd)';
  const options = { family: 'binomial' as const, factors: ['herd', 'period'] };
  it('DuckDB and the stream equal the in-memory glmer fit', async () => {
    const memory = await glmer(formula, loadData({ data: '../data/cbpp.csv' }), options);
    const duck = await DuckDbEngine.open({ threads: 1 });
    try {
      expectSameFit(await glmerSql(duck, { from: duckdbSource(dataPath('cbpp.csv')), name: 'cbpp' }, formula, options), memory);
    } finally {
      await duck.close();
    }
    const src = await openBatchSource(dataPath('cbpp.csv'));
    try {
      expectSameFit(await glmerStream(src, formula, { ...options, batchSize: 10 }), memory);
    } finally {
      await src.close();
    }
  }, 120_000);
});
