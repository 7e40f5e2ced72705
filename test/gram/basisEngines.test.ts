/**
 * poly(), ns() and bs() fitted by the engines that never hold the table (stream, DuckDB, two-shard
 * ClickHouse): their coefficients from a pre-pass over every row (src/gram/basisPass.ts), the bases
 * evaluated row by row in the passes (stream: memory's code; SQL: src/gram/sql/basisColumns.ts).
 *
 * 1. Which rows, against R (test/oracle/basis_na.R → test/fixtures/formula_functions/basis_na.json:
 *    lme4 1.1-31): R evaluates the calls on every row before na.omit, ns/bs's knots from their own
 *    argument's non-missing values, poly refusing a missing value. The in-memory fits and the
 *    coefficients are R's (formulaFunctions.test.ts's tolerances for lmer: criterion 1e-9, θ 1e-6,
 *    β and σ 1e-7 relative; coefficients 1e-13 relative, the fixture's 15 digits).
 * 2. Each engine's fit is the in-memory fit (formulaParity.test.ts's tolerances): ns/bs on the
 *    stream are memory's code on memory's knots (the same doubles), its fit memory's to 1e-12; poly's
 *    columns on an engine come from predict.poly's recurrence with coefficients summed in passes, not
 *    from memory's QR of the whole column: they agree to rounding, so the stream's poly fits, and every
 *    SQL fit (its sums in another order, its splines as piecewise polynomials), to the SQL engines'
 *    tolerances: criterion 1e-10, β 1e-8 (relative to the largest), |Δθ| ≤ 1e-6, predictions of new
 *    data (with the conditional modes) 1e-5 relative (formulaParity's tables). Knots are exact
 *    quantiles (src/gram/quantiles.ts): the same doubles on every engine; poly's α and norm2 to
 *    1e-12 relative.
 * 3. glmer with poly() and ns() on the stream and DuckDB (test/gram/glmer.test.ts's tolerances).
 * 4. Bad input: poly of a column with missing values, a degree not below the number of distinct
 *    values, a factor or text argument: memory's errors, naming the engine's stage.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../../src/io/csv.js';
import { readParquet } from '../../src/io/parquet.js';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { clickhouseSource } from '../../src/gram/sql/clickhouse.js';
import { lmerSql } from '../../src/gram/sql/lmer.js';
import { glmerSql } from '../../src/gram/sql/glmer.js';
import type { SqlEngine } from '../../src/gram/sql/engine.js';
import { lmerStream } from '../../src/gram/stream/lmer.js';
import { glmerStream } from '../../src/gram/stream/glmer.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { lmer } from '../../src/fit/lmer.js';
import { glmer } from '../../src/fit/glmer.js';
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import type { GlmmFit } from '../../src/glmm/glmmFit.js';
import type { BasisCoefs, ScaleParams } from '../../src/frame/columns.js';
import { featureColumns, featureParquet } from '../helpers/featureData.js';
import { fitDifferences, jsonDiff } from '../helpers/gramCompare.js';
import { emmeans } from '../../src/inference/emmeans.js';
import '../../src/inference/methods.js';
import { clickhouseTestsMissing, loadSharded, useCluster } from '../helpers/clickhouse.js';
import { tableToParquet } from '../helpers/parquetFile.js';
import { dataPath } from '../helpers/reference.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'formula_functions');
interface RModel { formula: string; basis: string; xnames: string[]; n: number; theta: number[]; beta: number[]; sigma: number; criterion: number; coefs: { alpha?: number[]; norm2?: number[]; knots?: number[]; boundary?: number[] } }
const R = JSON.parse(readFileSync(join(FIXTURES, 'basis_na.json'), 'utf8')) as { models: Record<string, RModel>; poly_na_error: string };
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

interface Case {
  name: string;
  formula: string;
  /** 'ffna' (R's data with missing values), the feature table, or lme4's sleepstudy */
  data: 'ffna' | 'features' | 'sleepstudy';
  factors?: string[];
  /** the stream does memory's arithmetic (no poly with coefficients) */
  exactOnStream: boolean;
}

const CASES: Case[] = [
  { name: "ns of a column with missing values (R's knots)", formula: R.models.ns_na.formula, data: 'ffna', factors: ['gnum'], exactOnStream: true },
  { name: 'bs × a factor, missing values in x and y', formula: R.models.bs_na_f.formula, data: 'ffna', factors: ['gnum'], exactOnStream: true },
  { name: 'poly over every row while other columns have missing values', formula: R.models.poly_na_other.formula, data: 'ffna', factors: ['gnum'], exactOnStream: false },
  { name: 'poly(z, 2) with missing y and f', formula: 'y ~ poly(z, 2) + f + (1 | g)', data: 'features', exactOnStream: false },
  { name: 'ns(x, df = 3) * f', formula: 'y ~ ns(x, df = 3) * f + (1 | g)', data: 'features', exactOnStream: true },
  { name: 'bs(x, df = 5) with a random slope of x', formula: 'y ~ bs(x, df = 5) + (x | g)', data: 'features', exactOnStream: true },
  {
    name: 'given knots and Boundary.knots inside the range (rows beyond them), bs of degree 2, a tied lower knot',
    formula: 'y ~ ns(x, knots = c(99.5, 100.5), Boundary.knots = c(98, 102)) + bs(z, degree = 2, df = 4) + (1 | g)', data: 'features', exactOnStream: true,
  },
  { name: 'poly of an expression, raw poly', formula: 'y ~ poly(log(z + 1), 3) + poly(w, 2, raw = TRUE) + (1 | g)', data: 'features', exactOnStream: false },
  { name: 'a basis × basis interaction; a removed ns() still drops the rows its x is missing in (R\'s model frame)', formula: 'y ~ poly(z, 2):ns(w, df = 2) + z - ns(x, df = 2) + (1 | g)', data: 'features', exactOnStream: false },
  { name: 'poly in a random term (sleepstudy)', formula: 'Reaction ~ poly(Days, 2) + (poly(Days, 1) | Subject)', data: 'sleepstudy', factors: ['Subject'], exactOnStream: false },
];

let dir: string;
const tables = new Map<string, arrow.Table>();
const files = new Map<string, string>();
const memFits = new Map<string, LmmFit>();

async function memoryFit(c: Case): Promise<LmmFit> {
  let fit = memFits.get(c.name);
  if (!fit) {
    fit = await lmer(c.formula, tables.get(c.data)!, { factors: c.factors, momentStart: false });
    memFits.set(c.name, fit);
  }
  return fit;
}

/** the largest relative difference between two fits' basis coefficients (spec.scales' poly/ns/bs entries) */
function coefDifference(a: ScaleParams, b: ScaleParams): { knots: number; poly: number } {
  let knots = 0, poly = 0;
  for (const [key, p] of a) {
    if (!('fn' in p) || (p.fn !== 'poly' && p.fn !== 'ns' && p.fn !== 'bs')) continue;
    const q = b.get(key) as BasisCoefs | undefined;
    expect(q, `the engine's coefficients of ${key}`).toBeDefined();
    if (p.fn === 'poly') {
      const pc = (p as BasisCoefs & { fn: 'poly' }).coefs, qc = (q as BasisCoefs & { fn: 'poly' }).coefs;
      expect(qc === null).toBe(pc === null);
      if (pc && qc) [...pc.alpha.map((v, k) => rel(v, qc.alpha[k])), ...pc.norm2.map((v, k) => rel(v, qc.norm2[k]))].forEach((d) => { poly = Math.max(poly, d); });
    } else {
      const pc = (p as BasisCoefs & { fn: 'ns' }).coefs, qc = (q as BasisCoefs & { fn: 'ns' }).coefs;
      expect(qc.knots.length).toBe(pc.knots.length);
      [...pc.knots.map((v, k) => Math.abs(v - qc.knots[k])), ...pc.boundary.map((v, k) => Math.abs(v - qc.boundary[k]))].forEach((d) => { knots = Math.max(knots, d); });
    }
  }
  return { knots, poly };
}

/** the new data: rows of the table (x beyond ns's given boundary knots among them) */
const newdataOf = (c: Case) => tables.get(c.data)!.slice(0, 200);

function comparePredictions(mem: LmmFit, eng: LmmFit, c: Case): number {
  const a = mem.predict(newdataOf(c)), b = eng.predict(newdataOf(c));
  let worst = 0;
  a.forEach((v, i) => { if (!Number.isNaN(v) || !Number.isNaN(b[i])) worst = Math.max(worst, rel(b[i], v)); });
  return worst;
}

async function compare(c: Case, fit: LmmFit, exact: boolean): Promise<void> {
  const mem = await memoryFit(c);
  expect(fit.model.frame.xnames).toEqual(mem.model.frame.xnames);
  expect(fit.nobs).toBe(mem.nobs);
  const d = fitDifferences(mem, fit);
  const k = coefDifference(mem.model.frame.scales, fit.model.frame.scales);
  expect(k.knots).toBe(0);
  expect(k.poly).toBeLessThan(1e-12);
  if (exact) {
    expect(d.criterion).toBeLessThan(1e-12);
    expect(d.theta).toBeLessThan(1e-12);
    expect(d.beta).toBeLessThan(1e-12);
  } else {
    expect(d.criterion).toBeLessThan(1e-10);
    expect(d.beta).toBeLessThan(1e-8);
    expect(d.theta).toBeLessThan(1e-6);
  }
  expect(comparePredictions(mem, fit, c)).toBeLessThan(exact ? 1e-12 : 1e-5);
  expect(downstream(mem, fit, c)).toBeLessThan(exact ? 1e-10 : 1e-5);
}

/**
 * lmerTest's coefficients and anova (types I and III: the engine's type III from the design grid, a
 * basis as its zero and unit rows), emmeans over f where the model has it, the scaled-residual
 * quantiles by the engine's own passes: the largest difference from memory's (formulaParity.test.ts)
 */
function downstream(mem: LmmFit, eng: LmmFit, c: Case): number {
  let worst = jsonDiff(mem.coefficients({ ddf: 'satterthwaite' }), eng.coefficients({ ddf: 'satterthwaite' }));
  worst = Math.max(worst, jsonDiff(mem.anova({ ddf: 'satterthwaite', type: 'I' }), eng.anova({ ddf: 'satterthwaite', type: 'I' })));
  worst = Math.max(worst, jsonDiff(mem.anova({ ddf: 'satterthwaite', type: 'III' }), eng.anova({ ddf: 'satterthwaite', type: 'III' })));
  if (/\bf\b/.test(c.formula)) worst = Math.max(worst, jsonDiff(emmeans(mem, 'f', { ddf: 'satterthwaite' }).toJSON(), emmeans(eng, 'f', { ddf: 'satterthwaite' }).toJSON()));
  const r = Float64Array.from(mem.residuals('response', { scaled: true })).filter((v) => !Number.isNaN(v)).sort();
  const q = [0, 0.25, 0.5, 0.75, 1].map((p) => { const h = (r.length - 1) * p, lo = Math.floor(h); return r[lo] + (h - lo) * (r[Math.min(lo + 1, r.length - 1)] - r[lo]); });
  return Math.max(worst, jsonDiff(q, eng.scaledResidualQuantiles));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mixedgpu-basis-engines-'));
  const pq = featureParquet(featureColumns());
  writeFileSync(join(dir, 'features.parquet'), new Uint8Array(pq));
  tables.set('features', (await readParquet(pq)).table);
  files.set('features', join(dir, 'features.parquet'));
  const ffna = readCsv(readFileSync(join(FIXTURES, 'ffna.csv'), 'utf8')).table;
  tables.set('ffna', ffna);
  writeFileSync(join(dir, 'ffna.parquet'), new Uint8Array(tableToParquet(ffna, 50)));
  files.set('ffna', join(dir, 'ffna.parquet'));
  const sleep = readCsv(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'data', 'sleepstudy.csv'), 'utf8')).table;
  tables.set('sleepstudy', sleep);
  writeFileSync(join(dir, 'sleepstudy.parquet'), new Uint8Array(tableToParquet(sleep, 50)));
  files.set('sleepstudy', join(dir, 'sleepstudy.parquet'));
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe("the in-memory bases with missing values are R's (which rows: every row, before na.omit)", () => {
  for (const [name, m] of Object.entries(R.models)) {
    it(`${name}: ${m.formula}`, async () => {
      const fit = await memoryFit(CASES.find((c) => c.formula === m.formula)!);
      expect(fit.model.frame.xnames).toEqual(m.xnames);
      expect(fit.nobs).toBe(m.n);
      expect(Math.abs(fit.objective - m.criterion)).toBeLessThan(1e-9);
      fit.theta.forEach((t, k) => expect(Math.abs(t - m.theta[k])).toBeLessThan(1e-6));
      fit.beta.forEach((b, j) => expect(rel(b, m.beta[j])).toBeLessThan(1e-7));
      expect(rel(fit.sigma, m.sigma)).toBeLessThan(1e-7);
      const coefs = [...fit.model.frame.scales.values()].find((p) => 'fn' in p && (p.fn === 'poly' || p.fn === 'ns' || p.fn === 'bs')) as BasisCoefs;
      const ours = coefs.fn === 'poly' ? [...coefs.coefs!.alpha, ...coefs.coefs!.norm2] : [...coefs.coefs.knots, ...coefs.coefs.boundary];
      const theirs = coefs.fn === 'poly' ? [...m.coefs.alpha!, ...m.coefs.norm2!] : [...m.coefs.knots!, ...m.coefs.boundary!];
      expect(ours.length).toBe(theirs.length);
      ours.forEach((v, k) => expect(Math.abs(v - theirs[k]) / Math.abs(theirs[k])).toBeLessThan(1e-13));
    });
  }
  it("poly of a column with missing values: R's error", async () => {
    expect(R.poly_na_error).toBe("missing values are not allowed in 'poly'");
    await expect(lmer('yNA ~ poly(xNA, 2) + (1 | gnum)', tables.get('ffna')!, { factors: ['gnum'] })).rejects.toThrow(/missing values are not allowed in 'poly'/);
  });
});

/** memory's errors from an engine: the stage named, the message memory's */
const ERRORS = [
  { what: 'poly of a column with missing values', formula: 'y ~ poly(x, 2) + (1 | g)', error: /poly\/ns\/bs: their coefficients: 'poly\(x, 2\)': the variable has 30 missing values.*missing values are not allowed in 'poly'/, memory: /'poly\(x, 2\)': the variable has a missing value in row 10; .*missing values are not allowed in 'poly'/ },
  { what: 'a degree not below the number of distinct values', formula: 'y ~ poly(g2, 25) + (1 | g)', error: /'poly\(g2, 25\)': the degree \(25\) must be less than the number of unique points \(25\)/, memory: /'poly\(g2, 25\)': the degree \(25\) must be less than the number of unique points \(25\)/ },
  { what: 'poly of a text column', formula: 'y ~ poly(f, 2) + (1 | g)', error: /'poly\(f, 2\)': 'f' is a factor; poly\(\) needs a numeric variable/, memory: /'poly\(f, 2\)': 'f' is a factor; poly\(\) needs a numeric variable/ },
  { what: 'ns of a boolean column', formula: 'y ~ ns(b, df = 2) + (1 | g)', error: /'ns\(b, df = 2\)': 'b' is a factor; ns\(\) needs a numeric variable/, memory: /'ns\(b, df = 2\)': 'b' is a factor; ns\(\) needs a numeric variable/ },
];

describe('the stream fits poly/ns/bs as memory does (Parquet, batches of 1 000 rows; ffna: 50)', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const src = await openBatchSource(files.get(c.data)!);
      try {
        const { fit } = await lmerStream(src, c.formula, { factors: c.factors, batchSize: 1000 });
        await compare(c, fit, c.exactOnStream);
      } finally {
        await src.close();
      }
    }, 120_000);
  }
  for (const e of ERRORS) {
    it(`${e.what}: memory's error`, async () => {
      await expect(lmer(e.formula, tables.get('features')!)).rejects.toThrow(e.memory);
      const src = await openBatchSource(files.get('features')!);
      try {
        await expect(lmerStream(src, e.formula)).rejects.toThrow(e.error);
      } finally {
        await src.close();
      }
    });
  }
  it('poly of a column with missing values names the first such row', async () => {
    const src = await openBatchSource(files.get('features')!);
    try {
      await expect(lmerStream(src, 'y ~ poly(x, 2) + (1 | g)', { batchSize: 7 })).rejects.toThrow(/\(the first in row 10\)/);
    } finally {
      await src.close();
    }
  });
});

describe('DuckDB fits poly/ns/bs as memory does', () => {
  let duck: DuckDbEngine;
  beforeAll(async () => { duck = await DuckDbEngine.open({ threads: 2 }); });
  afterAll(async () => { await duck?.close(); });
  for (const c of CASES) {
    it(c.name, async () => {
      const { fit } = await lmerSql(duck, { from: duckdbSource(files.get(c.data)!), name: c.data }, c.formula, { factors: c.factors });
      await compare(c, fit, false);
    }, 120_000);
  }
  for (const e of ERRORS) {
    it(`${e.what}: memory's error`, async () => {
      await expect(lmerSql(duck, { from: duckdbSource(files.get('features')!), name: 'features' }, e.formula)).rejects.toThrow(e.error);
    });
  }
});

const missing = clickhouseTestsMissing();

describe.skipIf(missing !== null)('ClickHouse (two shards) fits poly/ns/bs as memory does', () => {
  const ch = useCluster();
  const from = new Map<string, string>();
  beforeAll(async () => {
    for (const [name, t] of tables) from.set(name, clickhouseSource(await loadSharded(ch.cluster, `basis_${name}`, t)));
  }, 120_000);
  for (const c of CASES) {
    it(c.name, async () => {
      const { fit } = await lmerSql(ch.engine, { from: from.get(c.data)!, name: c.data }, c.formula, { factors: c.factors });
      await compare(c, fit, false);
    }, 120_000);
  }
  for (const e of ERRORS.slice(0, 2)) {
    it(`${e.what}: memory's error`, async () => {
      await expect(lmerSql(ch.engine as SqlEngine, { from: from.get('features')!, name: 'features' }, e.formula)).rejects.toThrow(e.error);
    });
  }
});

describe('glmer with poly() and ns() on the stream and DuckDB', () => {
  const near = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));
  /** test/gram/glmer.test.ts's tolerances: the Laplace deviance 1e-7 relative, θ and β 1e-5 */
  const expectSameFit = (ours: GlmmFit, memory: GlmmFit) => {
    expect(ours.nobs).toBe(memory.nobs);
    expect(ours.model.frame.xnames).toEqual(memory.model.frame.xnames);
    expect(Math.abs(ours.objective - memory.objective) / Math.abs(memory.objective)).toBeLessThan(1e-7);
    ours.theta.forEach((t, k) => expect(near(t, memory.theta[k])).toBeLessThan(1e-5));
    ours.beta.forEach((b, j) => expect(near(b, memory.beta[j])).toBeLessThan(1e-5));
  };
  const file = dataPath('grouseticks.csv');
  // (DuckDB's glmer, a query per PIRLS step, is the slow part: the spline case on the stream only)
  const cases = [
    { formula: 'TICKS ~ poly(HEIGHT, 2) + (1 | LOCATION)', factors: ['LOCATION'], duckdb: true },
    { formula: 'TICKS ~ ns(HEIGHT, df = 3) + YEAR + (1 | BROOD)', factors: ['BROOD', 'YEAR'], duckdb: false },
  ];
  let duck: DuckDbEngine;
  beforeAll(async () => { duck = await DuckDbEngine.open({ threads: 1 }); });
  afterAll(async () => { await duck?.close(); });
  for (const c of cases) {
    it(`${c.formula} (poisson)`, async () => {
      const table = readCsv(readFileSync(file, 'utf8')).table;
      const memory = await glmer(c.formula, table, { family: 'poisson', factors: c.factors });
      const src = await openBatchSource(file);
      try {
        expectSameFit(await glmerStream(src, c.formula, { family: 'poisson', factors: c.factors, batchSize: 150 }), memory);
      } finally {
        await src.close();
      }
      if (c.duckdb) expectSameFit(await glmerSql(duck, { from: duckdbSource(file), name: file }, c.formula, { family: 'poisson', factors: c.factors }), memory);
    }, 300_000);
  }
});
