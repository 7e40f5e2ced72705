/**
 * The engines fit the formula language that the in-memory frame fits: comparisons and logicals
 * (`I(x > 100)`, `(z > 1)`, `f2 == "lo"`, `!`, `&`), relevel() and factor() of a numeric column, R's
 * contrasts (contr.sum, contr.helmert, contr.poly, contr.SAS) and boolean columns — the same fits as
 * memory's, and the tables that engine fits give from A (lmerTest's coefficients and anova, emmeans,
 * predictions of new data, the summary's scaled-residual quantiles by the engine's passes over the
 * rows) the same, or refused as memory refuses them.
 *
 * Data: the feature table (test/helpers/featureData.ts: 3 000 rows, missing values of every kind).
 * A's parity itself (every feature model, every engine, every file format) is test/gram/features.test.ts
 * and stream.test.ts; here the optimum and what comes after it, at fit.test.ts's and inference.test.ts's
 * tolerances: the stream (Parquet row groups of 1 000 rows) does the in-memory arithmetic, its fit is
 * memory's to 1e-12 (θ, β, criterion) and its tables to 1e-10; DuckDB and two-shard ClickHouse sum in
 * another order: the criterion 1e-10, β 1e-8, |Δθ| ≤ 1e-6, the tables 1e-5 (relative above 1,
 * absolute below: p values). Worst seen: the stream's θ, β and criterion 0 (bit for bit), its tables
 * 2.4e-12 (contrasts); DuckDB's criterion 6.4e-14, β 4.0e-9, θ 7.5e-7 (toep: a flat ridge), tables
 * 3.7e-7; ClickHouse's criterion 6.4e-14, β 3.7e-9, θ 3.9e-7, tables 1.3e-6 (ar1 with a crossed term).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquet } from '../../src/io/parquet.js';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { clickhouseSource } from '../../src/gram/sql/clickhouse.js';
import { lmerSql } from '../../src/gram/sql/lmer.js';
import type { SqlEngine } from '../../src/gram/sql/engine.js';
import { lmerStream } from '../../src/gram/stream/lmer.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { lmer } from '../../src/fit/lmer.js';
import { emmeans } from '../../src/inference/emmeans.js';
import '../../src/inference/methods.js';
import type { Contrasts } from '../../src/frame/contrasts.js';
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import { featureColumns, featureParquet } from '../helpers/featureData.js';
import { fitDifferences, jsonDiff } from '../helpers/gramCompare.js';
import { clickhouseTestsMissing, loadSharded, useCluster } from '../helpers/clickhouse.js';
import { loadDataFile } from '../helpers/inference.js';
import { tableToParquet } from '../helpers/parquetFile.js';

interface Case {
  name: string;
  formula: string;
  /** the data (default: the feature table) */
  data?: string;
  REML?: boolean;
  factors?: string[];
  contrasts?: Contrasts;
  /** emmeans's specs, with memory's refusal where it refuses (none: not compared) */
  emmeans?: string;
  refused?: RegExp;
}

const CASES: Case[] = [
  { name: 'comparisons in interactions and as whole terms, a factor with a level', formula: 'y ~ I(x > 100) * f + (z > 1) + I(h != "2") + (1 | g)', emmeans: 'f', refused: /'h' is in the fixed part as 'I\(h != "2"\)': a reference grid over a relevel\(\)'d factor or a factor's comparison with a level is not supported/ },
  { name: 'a comparison of numbers in an interaction with a factor', formula: 'y ~ I(x > 100) * f + (z > 1) + (1 | g)', emmeans: 'f' },
  { name: '!, & and a logical in arithmetic', formula: 'y ~ I(!(x > 100) & g2 != 3) + I((z > 1) * x) + f + (1 | g)', factors: ['g2'], emmeans: 'f', refused: /'g2' is in the fixed part as 'I\(!\(x > 100\) & g2 != 3\)': a reference grid over a relevel\(\)'d factor or a factor's comparison with a level is not supported/ },
  { name: 'relevel() by name and position, factor() of a number', formula: 'y ~ relevel(f, ref = "mid") + x + relevel(factor(g2), ref = 3) + (1 | g)', emmeans: 'f', refused: /a reference grid over a relevel\(\)'d factor .* is not supported/ },
  { name: 'contr.sum × x, contr.helmert, contr.poly of a boolean', formula: 'y ~ f * x + h + b + (1 | g)', contrasts: { f: 'contr.sum', h: 'contr.helmert', b: 'contr.poly' }, emmeans: 'f' },
];

/**
 * glmmTMB's covariance structures (test/structcov.test.ts's data and models against glmmTMB 1.1.5): A
 * is the unstructured term's, the fit works in the structure's parameters on it
 */
const STRUCTURED: Case[] = [
  { name: 'ar1() with a crossed (1 | site)', data: 'structcov.csv', formula: 'y_ar1 ~ time + x + ar1(0 + factor(time) | subject) + (1 | site)', emmeans: '~ 1' },
  { name: 'cs(), ML', data: 'structcov.csv', formula: 'y_cs ~ time + x + cs(0 + factor(time) | subject)', REML: false },
  { name: 'toep()', data: 'structcov.csv', formula: 'y_toep ~ time + x + toep(0 + factor(time) | subject)' },
  { name: 'ou() at irregular times (the levels of factor(t_irr))', data: 'structcov.csv', formula: 'y_ar1 ~ time + x + ou(0 + factor(t_irr) | subject)' },
  { name: 'diag() of a centred block (1 + Days)', data: 'sleepstudy.csv', formula: 'Reaction ~ Days + diag(1 + Days | Subject)', factors: ['Subject'], emmeans: '~ 1' },
  { name: "exp() over the positions a text column of numFactor's (x,y) strings names", data: 'spatialcov.csv', formula: 'y_exp ~ x + exp(0 + pos | plot)' },
  { name: 'rr() of rank 1', data: 'structcov.csv', formula: 'y_cs ~ time + x + rr(0 + factor(time) | subject, d = 1)' },
  { name: 'an unstructured intercept beside ar1() on the same factor', data: 'structcov.csv', formula: 'y_cs ~ time + x + (1 | subject) + ar1(0 + factor(time) | subject)' },
];

/** lmerTest's tables, emmeans and predictions of new data: the largest difference of engine from memory */
function downstream(c: Case, mem: LmmFit, eng: LmmFit, newdata: arrow.Table): number {
  let worst = jsonDiff(mem.coefficients({ ddf: 'satterthwaite' }), eng.coefficients({ ddf: 'satterthwaite' }));
  worst = Math.max(worst, jsonDiff(mem.anova({ ddf: 'satterthwaite', type: 'I' }), eng.anova({ ddf: 'satterthwaite', type: 'I' })));
  if (c.contrasts) {
    // lmerTest's type III with contrasts maps the hypotheses through the rows' X (src/inference): refused, as for every engine fit
    expect(() => eng.anova({ ddf: 'satterthwaite', type: 'III' })).toThrow(/anova of type III with contrasts: this fit's rows are not in memory/);
  } else {
    worst = Math.max(worst, jsonDiff(mem.anova({ ddf: 'satterthwaite', type: 'III' }), eng.anova({ ddf: 'satterthwaite', type: 'III' })));
  }
  worst = Math.max(worst, jsonDiff(Array.from(mem.predict(newdata)), Array.from(eng.predict(newdata))));
  // the summary's scaled-residual quantiles, the engine's by its own passes over the rows (R's type 7)
  const r = Float64Array.from(mem.residuals('response', { scaled: true })).sort();
  const q = [0, 0.25, 0.5, 0.75, 1].map((p) => { const h = (r.length - 1) * p, lo = Math.floor(h); return r[lo] + (h - lo) * (r[Math.min(lo + 1, r.length - 1)] - r[lo]); });
  worst = Math.max(worst, jsonDiff(q, eng.scaledResidualQuantiles));
  if (c.emmeans && c.refused) {
    expect(() => emmeans(mem, c.emmeans!)).toThrow(c.refused);
    expect(() => emmeans(eng, c.emmeans!)).toThrow(c.refused);
  } else if (c.emmeans) {
    // Satterthwaite's df (Kenward–Roger's, emmeans's default, is refused for covariance structures, as in memory)
    const ddf = 'satterthwaite' as const;
    worst = Math.max(worst, jsonDiff(emmeans(mem, c.emmeans, { ddf }).toJSON(), emmeans(eng, c.emmeans, { ddf }).toJSON()));
  }
  return worst;
}

const cols = featureColumns();
let dir: string;
let table: arrow.Table;
const tableOf = (c: Case) => (c.data ? loadDataFile(c.data) : table);
/** a case's data as Parquet (row groups of 1 000 rows) */
const fileOf = (c: Case) => join(dir, c.data ? c.data.replace('.csv', '.parquet') : 'features.parquet');
/** new data: rows of the table (predict codes them by the fit's levels, the comparisons evaluated again) */
const newdataOf = (c: Case) => (c.data ? tableOf(c).slice(0, 60) : table.slice(100, 500));
const memFits = new Map<string, LmmFit>();

async function memoryFit(c: Case): Promise<LmmFit> {
  let fit = memFits.get(c.name);
  if (!fit) {
    // the engines' start (the moment start backfits over rows, which an engine's fit has not)
    fit = await lmer(c.formula, tableOf(c), { REML: c.REML, factors: c.factors, contrasts: c.contrasts, momentStart: false });
    memFits.set(c.name, fit);
  }
  return fit;
}

async function compareStream(c: Case): Promise<void> {
  const mem = await memoryFit(c);
  const src = await openBatchSource(fileOf(c));
  try {
    const { fit } = await lmerStream(src, c.formula, { REML: c.REML, factors: c.factors, contrasts: c.contrasts, batchSize: 1000 });
    expect(fit.model.frame.xnames).toEqual(mem.model.frame.xnames);
    const d = fitDifferences(mem, fit);
    expect(d.criterion).toBeLessThan(1e-12);
    expect(d.theta).toBeLessThan(1e-12);
    expect(d.beta).toBeLessThan(1e-12);
    expect(downstream(c, mem, fit, newdataOf(c))).toBeLessThan(1e-10);
  } finally {
    await src.close();
  }
}

async function compareSql(engine: SqlEngine, from: string, c: Case): Promise<void> {
  const mem = await memoryFit(c);
  const { fit } = await lmerSql(engine, { from, name: from }, c.formula, { REML: c.REML, factors: c.factors, contrasts: c.contrasts });
  expect(fit.model.frame.xnames).toEqual(mem.model.frame.xnames);
  expect(fit.model.frame.messages).toEqual(mem.model.frame.messages);
  const d = fitDifferences(mem, fit);
  expect(d.criterion).toBeLessThan(1e-10);
  expect(d.beta).toBeLessThan(1e-8);
  expect(d.theta).toBeLessThan(1e-6);
  expect(downstream(c, mem, fit, newdataOf(c))).toBeLessThan(1e-5);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mixedgpu-formula-parity-'));
  const pq = featureParquet(cols);
  writeFileSync(join(dir, 'features.parquet'), new Uint8Array(pq));
  table = (await readParquet(pq)).table;
  for (const file of new Set(STRUCTURED.map((c) => c.data!))) writeFileSync(fileOf({ data: file } as Case), new Uint8Array(tableToParquet(loadDataFile(file), 1000)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the stream fits the formula language as memory does (Parquet, batches of 1 000 rows)', () => {
  for (const c of [...CASES, ...STRUCTURED]) it(c.name, async () => { await compareStream(c); }, 120_000);
  // memory's errors, the engine and its stage named before them
  const errors = [
    { what: 'a comparison with a level the factor does not have', formula: 'y ~ I(f == "none") + (1 | g)', error: `'I(f == "none")': "none" is not a level of 'f'; the comparison would be FALSE in every row`, memory: /"none" is not a level of 'f' .*the comparison would be FALSE in every row/ },
    { what: "relevel()'s reference level not a level", formula: 'y ~ relevel(f, ref = "none") + (1 | g)', error: `'relevel(f, ref = "none")': the reference level "none" is not a level of 'f' (its levels: "hi", "lo", "mid")`, memory: /the reference level "none" is not a level of 'f' \(its levels: "hi", "lo", "mid"\)/ },
  ];
  for (const e of errors) {
    it(`${e.what}: memory's error, naming the engine`, async () => {
      await expect(lmer(e.formula, table)).rejects.toThrow(e.memory);
      const src = await openBatchSource(fileOf(CASES[0]));
      try {
        await expect(lmerStream(src, e.formula)).rejects.toThrow(`stream: pass 1 (moments): ${e.error}`);
      } finally {
        await src.close();
      }
    });
  }
});

describe('DuckDB fits the formula language as memory does', () => {
  let duck: DuckDbEngine;
  beforeAll(async () => { duck = await DuckDbEngine.open({ threads: 2 }); });
  afterAll(async () => { await duck?.close(); });
  for (const c of [...CASES, ...STRUCTURED]) {
    it(c.name, async () => { await compareSql(duck, duckdbSource(fileOf(c)), c); }, 120_000);
  }
  it("a comparison with a level the factor does not have: memory's error, naming the engine", async () => {
    await expect(lmerSql(duck, { from: duckdbSource(fileOf(CASES[0])), name: 'features' }, 'y ~ I(f2 != "none") + (1 | g)'))
      .rejects.toThrow(/^duckdb: pass 1 \(moments\): 'I\(f2 != "none"\)': "none" is not a level of 'f2'/);
  });
});

const missing = clickhouseTestsMissing();

describe.skipIf(missing !== null)('ClickHouse (two shards) fits the formula language as memory does', () => {
  const ch = useCluster();
  const from = new Map<string, string>();
  beforeAll(async () => {
    from.set('features', clickhouseSource(await loadSharded(ch.cluster, 'formula_parity', table)));
    for (const file of new Set(STRUCTURED.map((c) => c.data!))) from.set(file, clickhouseSource(await loadSharded(ch.cluster, file.replace('.csv', ''), loadDataFile(file))));
  }, 120_000);
  for (const c of [...CASES, ...STRUCTURED]) {
    it(c.name, async () => { await compareSql(ch.engine, from.get(c.data ?? 'features')!, c); }, 120_000);
  }
});
