/**
 * lmerTest's inference and lme4's profile intervals on engine fits, from the A the engine formed (kept
 * on the model's source; no rows): the same data fitted in memory (lmer) and through each engine give
 * the same Satterthwaite and Kenward–Roger tables, anova tables of types I, II and III, contrasts,
 * likelihood-ratio tests (ML refits from A), prediction intervals for new data and profile intervals.
 *
 * Data: a synthetic design (seeded) of 1 200 rows: a factor trt (3 levels) × numeric x, a factor site
 * (2 levels), random slopes (x | g) over 40 levels crossed with (1 | h) over 12 levels; REML and ML.
 *
 * - The stream (Parquet row groups of 500 rows, CSV chunks of 300) forms A bit for bit as in memory,
 *   so its fit is the in-memory fit (same starts: momentStart false). Tolerance 1e-10 relative on every
 *   number (estimate, SE, df, t, F, p, χ²; prediction bounds relative to their SE; profile bounds).
 *   Worst seen: 0 for everything computed from A and θ̂ alone (ddf tables, type III, contrasts, LRT,
 *   intervals, profiles); 1.8e-12 for type I and 4.0e-14 for type II, whose XᵀX comes from A's centred
 *   block here (fixedDesign.ts) and from the rows in memory.
 * - DuckDB sums in another order (compensated, threaded): A agrees to rounding and θ̂ is determined by
 *   the float64 criterion only to about √ε (test/gram/fit.test.ts's header allows |Δθ| ≤ 1e-6, at the
 *   tight optimizer setting used here too), so everything that depends on θ̂ moves by that much times
 *   its O(1) sensitivity: tolerance 1e-5 relative (p values 1e-5 absolute) on the tables and profile
 *   bounds. Worst seen over runs (DuckDB's threaded sums vary): 4.9e-7 (ML coefficient table),
 *   2.7e-7 (anova), 1.3e-7 (intervals), 1e-9 (profile bounds), 3.7e-13 (LRT).
 * - Two-shard ClickHouse (two clickhouse-server processes started and stopped by PID, as the other
 *   engine tests; skipped where there is none): the same comparison and tolerances as DuckDB. Worst
 *   seen: 6.3e-7 (ML coefficient table), 5.5e-7 (anova), 1.3e-7 (intervals), 1.1e-9 (profile bounds).
 * A weighted fit (A holds XᵀWX) gives the ddf tables and type III as in memory (worst 0) and refuses
 * types I and II (lmerTest's Doolittle factorization of the unweighted XᵀX); a design with an empty
 * cell (an aliased column dropped) refuses type III (rdX not in X's span: X⁺ rdX depends on the rows)
 * and gives types I and II (worst 8.6e-14).
 * What needs the rows themselves (the bootstrap, hat values, simulate, predict without new data,
 * residuals) stays refused with a message naming the engine.
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
import { lmer } from '../../src/fit/lmer.js';
import { readCsv } from '../../src/io/csv.js';
import '../../src/inference/methods.js';
import { anovaModels, coefficientTable } from '../../src/inference/fitInference.js';
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import { tableToParquet } from '../helpers/parquetFile.js';
import { clickhouseTestsMissing, loadSharded, useCluster } from '../helpers/clickhouse.js';
import { clickhouseSource } from '../../src/gram/sql/clickhouse.js';

const FORMULA = 'y ~ x * trt + site + (x | g) + (1 | h)';
const FORMULA0 = 'y ~ x + trt + site + (x | g) + (1 | h)';

/** the synthetic data as CSV text (seeded LCG; values printed round-trip) */
function dataCsv(n = 1200, seed = 11): string {
  let s = seed >>> 0;
  const u = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s + 0.5) / 4294967296; };
  const z = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const bg = Array.from({ length: 40 }, () => [0.8 * z(), 0.3 * z()]);
  const bh = Array.from({ length: 12 }, () => 0.5 * z());
  const trtEffect: Record<string, number> = { a: 0, b: 0.4, c: -0.3 };
  const lines = ['y,x,trt,site,g,h,w'];
  for (let i = 0; i < n; i++) {
    const g = i % 40, h = Math.floor(u() * 12), trt = 'abc'[Math.floor(u() * 3)], site = u() < 0.5 ? 'north' : 'south';
    const x = Math.round(u() * 1000) / 100;
    const y = 2 + trtEffect[trt] + (0.5 + (trt === 'b' ? 0.1 : 0) + bg[g][1]) * x + (site === 'south' ? 0.2 : 0) + bg[g][0] + bh[h] + z();
    lines.push(`${y},${x},${trt},${site},g${g},h${h},${0.5 + Math.round(u() * 100) / 100}`);
  }
  return lines.join('\n') + '\n';
}

const rel = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));

/** the largest relative difference over the numbers of two tables (p values: absolute), by key */
function tableDiff(a: Record<string, unknown>[], b: Record<string, unknown>[], pAbsolute: boolean): number {
  expect(b.length).toBe(a.length);
  let worst = 0;
  a.forEach((row, i) => {
    for (const [k, v] of Object.entries(row)) {
      const w = b[i][k];
      if (typeof v === 'number') {
        expect(typeof w).toBe('number');
        const d = pAbsolute && /^p/.test(k) ? Math.abs(v - (w as number)) : rel(v, w as number);
        worst = Math.max(worst, Number.isNaN(d) ? (Number.isNaN(v) && Number.isNaN(w as number) ? 0 : Infinity) : d);
      } else if (typeof v === 'string') expect(w).toBe(v);
    }
  });
  return worst;
}

const worst: Record<string, number> = {};
const note = (key: string, d: number) => { worst[key] = Math.max(worst[key] ?? 0, d); return d; };

/** every table of the ddf methods, anova types, a contrast, an LRT and prediction intervals, engine against memory */
async function compareInference(label: string, mem: LmmFit, eng: LmmFit, mem0: LmmFit, eng0: LmmFit, newdata: arrow.Table, tol: number, pAbsolute: boolean): Promise<void> {
  const ddfs = mem.reml ? (['satterthwaite', 'kenward-roger'] as const) : (['satterthwaite'] as const);
  for (const ddf of ddfs) {
    expect(note(`${label} coefficients`, tableDiff(mem.coefficients({ ddf }) as never, eng.coefficients({ ddf }) as never, pAbsolute))).toBeLessThan(tol);
    for (const type of ['I', 'II', 'III'] as const) {
      expect(note(`${label} anova ${type}`, tableDiff(mem.anova({ ddf, type }) as never, eng.anova({ ddf, type }) as never, pAbsolute))).toBeLessThan(tol);
    }
    const L = [[0, 0, 1, -1, 0, 0, 0], [0, 0, 0, 0, 0, 1, -1]];
    const cm = mem.contrast(L, { ddf }), ce = eng.contrast(L, { ddf });
    expect(note(`${label} contrast`, tableDiff([cm as never], [ce as never], pAbsolute))).toBeLessThan(tol);
    const tm = mem.contrast([0, 1, 0, 0, 0, 0.5, 0], { ddf }).t!, te = eng.contrast([0, 1, 0, 0, 0, 0.5, 0], { ddf }).t!;
    expect(note(`${label} contrast`, tableDiff([tm as never], [te as never], pAbsolute))).toBeLessThan(tol);
  }
  // anova(m0, m1): ML refits (of REML fits) from each fit's A
  const lm = await anovaModels([mem0, mem]), le = await anovaModels([eng0, eng]);
  expect(le.messages).toEqual(lm.messages);
  expect(le.tests[1]).not.toBeNull();
  expect(note(`${label} lrt`, tableDiff(lm.models as never, le.models as never, pAbsolute))).toBeLessThan(tol);
  expect(note(`${label} lrt`, tableDiff(lm.tests.slice(1) as never, le.tests.slice(1) as never, pAbsolute))).toBeLessThan(tol);
  // prediction and confidence intervals of new data: the factor at θ̂ and the new rows' design
  for (const interval of ['prediction', 'confidence'] as const) {
    const a = mem.predict(newdata, { interval }), b = eng.predict(newdata, { interval });
    // the prediction and bounds relative to the row's SE (a bound can be near 0), the SE relative to itself
    for (const k of ['fit', 'lower', 'upper', 'se'] as const) {
      const d = Math.max(...Array.from(a[k], (v, i) => (k === 'se' ? rel(v, b[k][i]) : Math.abs(v - b[k][i]) / a.se[i])));
      expect(note(`${label} ${interval} intervals`, d)).toBeLessThan(tol);
    }
  }
}

async function compareProfile(label: string, mem: LmmFit, eng: LmmFit, tol: number): Promise<void> {
  const a = await mem.confint({ method: 'profile' }), b = await eng.confint({ method: 'profile' });
  expect(b.messages).toEqual(a.messages);
  expect(Object.keys(b.intervals)).toEqual(Object.keys(a.intervals));
  for (const [name, [lo, hi]] of Object.entries(a.intervals)) {
    const [lo2, hi2] = b.intervals[name];
    expect(lo2 === null).toBe(lo === null);
    expect(hi2 === null).toBe(hi === null);
    if (lo !== null) expect(note(`${label} profile`, rel(lo, lo2!))).toBeLessThan(tol);
    if (hi !== null) expect(note(`${label} profile`, rel(hi, hi2!))).toBeLessThan(tol);
  }
}

describe('lmerTest inference and profiles on engine fits equal the in-memory fit', () => {
  let dir: string;
  let duck: DuckDbEngine;
  let table: arrow.Table;
  const csv = dataCsv();
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mixedgpu-engineinf-'));
    table = readCsv(csv).table;
    writeFileSync(join(dir, 'd.csv'), csv);
    writeFileSync(join(dir, 'd.parquet'), new Uint8Array(tableToParquet(table, 500)));
    duck = await DuckDbEngine.open({ threads: 2 });
  });
  afterAll(async () => {
    await duck?.close();
    rmSync(dir, { recursive: true, force: true });
    console.log('worst relative differences:', JSON.stringify(worst, null, 1));
  });

  const streamFit = async (file: string, formula: string, REML: boolean, batchSize: number) => {
    const src = await openBatchSource(join(dir, file));
    try {
      return (await lmerStream(src, formula, { REML, batchSize })).fit;
    } finally {
      await src.close();
    }
  };

  for (const REML of [true, false]) {
    const crit = REML ? 'REML' : 'ML';
    it(`${crit}: a Parquet and a CSV stream (A bit for bit the in-memory A)`, async () => {
      const mem = await lmer(FORMULA, table, { REML, momentStart: false });
      const mem0 = await lmer(FORMULA0, table, { REML, momentStart: false });
      for (const [file, batch] of [['d.parquet', 500], ['d.csv', 300]] as const) {
        const eng = await streamFit(file, FORMULA, REML, batch);
        const eng0 = await streamFit(file, FORMULA0, REML, batch);
        expect(eng.objective).toBe(mem.objective);
        await compareInference(`stream ${crit}`, mem, eng, mem0, eng0, table.slice(0, 50), 1e-10, false);
      }
    }, 300_000);

    it(`${crit}: DuckDB (A to rounding)`, async () => {
      const tight = { REML, momentStart: false, optimizer: { rhoend: 1e-10 } };
      const mem = await lmer(FORMULA, table, tight);
      const mem0 = await lmer(FORMULA0, table, tight);
      const from = duckdbSource(join(dir, 'd.parquet'));
      const eng = (await lmerSql(duck, { from, name: 'd.parquet' }, FORMULA, tight)).fit;
      const eng0 = (await lmerSql(duck, { from, name: 'd.parquet' }, FORMULA0, tight)).fit;
      await compareInference(`duckdb ${crit}`, mem, eng, mem0, eng0, table.slice(0, 50), 1e-5, true);
    }, 300_000);
  }

  it('profile intervals: a Parquet stream (REML fit, profiled by ML refits from A) and DuckDB', async () => {
    const f = 'y ~ x + trt + (1 | g) + (1 | h)';
    const mem = await lmer(f, table, { momentStart: false });
    await compareProfile('stream profile', mem, await streamFit('d.parquet', f, true, 500), 1e-10);
    const eng = (await lmerSql(duck, { from: duckdbSource(join(dir, 'd.parquet')), name: 'd.parquet' }, f, {})).fit;
    await compareProfile('duckdb profile', await lmer(f, table), eng, 1e-5);
  }, 600_000);

  it('a weighted fit: the ddf tables and type III from A; types I and II refused (A holds XᵀWX, lmerTest takes XᵀX)', async () => {
    const mem = await lmer(FORMULA, table, { weights: 'w', momentStart: false });
    const src = await openBatchSource(join(dir, 'd.parquet'));
    let eng: LmmFit;
    try {
      eng = (await lmerStream(src, FORMULA, { weights: 'w', batchSize: 500 })).fit;
    } finally {
      await src.close();
    }
    expect(eng.objective).toBe(mem.objective);
    expect(note('stream weighted coefficients', tableDiff(mem.coefficients() as never, eng.coefficients() as never, false))).toBeLessThan(1e-10);
    expect(note('stream weighted anova III', tableDiff(mem.anova() as never, eng.anova() as never, false))).toBeLessThan(1e-10);
    // Kenward–Roger refuses prior weights (pbkrtest's residual covariance is σ² I) and falls back to
    // Satterthwaite with lmerTest's message, as in memory
    const krMem = coefficientTable(mem, { ddf: 'kenward-roger' }), krEng = coefficientTable(eng, { ddf: 'kenward-roger' });
    expect(krEng.ddf).toBe('satterthwaite');
    expect(krEng.messages).toEqual(krMem.messages);
    expect(krEng.messages.join()).toMatch(/prior weights/);
    expect(note('stream weighted coefficients', tableDiff(krMem.rows as never, krEng.rows as never, false))).toBeLessThan(1e-10);
    for (const type of ['I', 'II'] as const) {
      expect(() => eng.anova({ type })).toThrow(/anova of type I or II: not available for this weighted fit, whose rows are in a stream \(.*d\.parquet\): its hypotheses are lmerTest's Doolittle factorization of the unweighted XᵀX/);
    }
  }, 300_000);

  it('type III refused where rdX is not in the span of X (a column aliased by an empty cell, dropped); types I and II from A', async () => {
    // no row with trt c in the south: trtc:sitesouth is all zero and dropped, and lmerTest's X⁺ rdX
    // for the full coding of trt:site then depends on the rows
    const lines = csv.trimEnd().split('\n').filter((l) => !/,c,south,/.test(l));
    writeFileSync(join(dir, 'cell.csv'), lines.join('\n') + '\n');
    const f = 'y ~ trt * site + (1 | g)';
    const mem = await lmer(f, readCsv(lines.join('\n') + '\n').table, { momentStart: false });
    expect(mem.model.frame.xnames).not.toContain('trtc:sitesouth');
    const eng = await streamFit('cell.csv', f, true, 300);
    expect(eng.objective).toBe(mem.objective);
    expect(() => eng.anova()).toThrow(/anova of type III: not available for this fit, whose rows are in a stream \(.*cell\.csv\): lmerTest's hypotheses need X⁺ rdX, and rdX is not in the span of X's columns/);
    for (const type of ['I', 'II'] as const) {
      expect(note(`stream aliased anova ${type}`, tableDiff(mem.anova({ type }) as never, eng.anova({ type }) as never, false))).toBeLessThan(1e-10);
    }
  }, 300_000);

  it('what needs the rows themselves is refused with a message naming the engine', async () => {
    const eng = await streamFit('d.parquet', FORMULA, true, 500);
    const duckFit = (await lmerSql(duck, { from: duckdbSource(join(dir, 'd.parquet')), name: 'd.parquet' }, FORMULA, {})).fit;
    for (const [fit, where] of [[eng, /a stream \(.*d\.parquet\)/], [duckFit, /duckdb \(d\.parquet\)/]] as const) {
      const named = (what: string) => new RegExp(`${what}: not available for this fit, whose rows are in ${where.source}; it needs the rows themselves`);
      await expect(fit.bootstrap({ nsim: 10, seed: 1 })).rejects.toThrow(named('the parametric bootstrap'));
      await expect(fit.confint({ method: 'boot', nsim: 10 })).rejects.toThrow(named('the parametric bootstrap'));
      expect(() => fit.hatvalues()).toThrow(named('hat values'));
      expect(() => fit.simulate()).toThrow(named('simulate'));
      expect(() => fit.predict()).toThrow(/this fit's rows are in an SQL engine or a stream: pass the data as newdata/);
      expect(() => fit.residuals()).toThrow(/the rows of this fit are in/);
    }
  }, 300_000);
});

const chMissing = clickhouseTestsMissing();

describe.skipIf(chMissing !== null)('lmerTest inference on a two-shard ClickHouse fit equals the in-memory fit', () => {
  const house = useCluster();
  let dist: string;
  let table: arrow.Table;
  beforeAll(async () => {
    table = readCsv(dataCsv()).table;
    dist = await loadSharded(house.cluster, 'engineinf', table, 400);
  }, 120_000);

  it('REML and ML: the ddf tables, anova I/II/III, contrasts, LRT, intervals and profiles (tolerance 1e-5, as DuckDB)', async () => {
    for (const REML of [true, false]) {
      const tight = { REML, momentStart: false, optimizer: { rhoend: 1e-10 } };
      const mem = await lmer(FORMULA, table, tight);
      const mem0 = await lmer(FORMULA0, table, tight);
      const from = clickhouseSource(dist);
      const eng = (await lmerSql(house.engine, { from, name: dist }, FORMULA, tight)).fit;
      const eng0 = (await lmerSql(house.engine, { from, name: dist }, FORMULA0, tight)).fit;
      expect(() => eng.hatvalues()).toThrow(new RegExp(`hat values: not available for this fit, whose rows are in clickhouse \\(${dist}\\)`));
      await compareInference(`clickhouse ${REML ? 'REML' : 'ML'}`, mem, eng, mem0, eng0, table.slice(0, 50), 1e-5, true);
    }
    const f = 'y ~ x + trt + (1 | g) + (1 | h)';
    const eng = (await lmerSql(house.engine, { from: clickhouseSource(dist), name: dist }, f, {})).fit;
    await compareProfile('clickhouse profile', await lmer(f, table), eng, 1e-5);
    console.log('worst relative differences (ClickHouse):', JSON.stringify(Object.fromEntries(Object.entries(worst).filter(([k]) => k.startsWith('clickhouse'))), null, 1));
  }, 600_000);
});
