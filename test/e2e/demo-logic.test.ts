/**
 * The browser app's worker-side logic, in Node (no browser): the shrinkage plot's per-group OLS
 * estimates, predictions for one row, the Parquet reader, column summaries and error placement.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { coefficientTable, confintLmm, emmeans, glmer, lmer, readCsv, type LmmFit } from '../../src/index.js';
import { emtrends } from '../../src/inference/emmeans.js';
import { contrastsCsv, defaultAdjustLabel, emmAxisLabel, emmPlotRows, meansCsv, requestAdjust } from '../../demo/src/emm.js';
import { checkColumns, compareFits, placeError, predictOne, shrinkageData } from '../../demo/src/fitting.js';
import { describeColumns, suggestFormula } from '../../demo/src/load.js';
import { binnedMeans, diagnosticsOf, qqPoints, quantileResiduals, residualsCsv } from '../../demo/src/diagnostics.js';
import { pchisqUpper, qnorm } from '../../src/stats/distributions.js';
import { readUrlState, writeUrlState } from '../../demo/src/urlState.js';
import { shrinkageCaption, labelledRanks } from '../../demo/src/plots.js';
import { readParquet } from '../../src/io/parquet.js';
import { parseFormula } from '../../src/index.js';
import { emmTables, emmVariables, inferenceTables, runConfint } from '../../demo/src/inference.js';
import { CONFINT_METHODS, confintForStream } from '../../demo/src/confintMethods.js';
import { streamFit } from '../../demo/src/stream.js';
import { type ModelTestContext, runModelTest } from '../../demo/src/modelTestsRun.js';
import { influenceOrder } from '../../src/inference/format.js';
import { INFLUENCE_TOP, MODEL_TESTS, cooksBars, modelTestTables, streamRefusal, testTableCsv, testsFor, testsForStream } from '../../demo/src/modelTests.js';
import { ranovaTable } from '../../src/inference/ranova.js';
import { drop1Table } from '../../src/inference/drop1.js';
import type { ModelTestMsg, ModelTestRequest } from '../../demo/src/protocol.js';
import { runMeta } from '../../demo/src/meta.js';
import { tableToParquet } from '../helpers/parquetFile.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const sleep = readCsv(readFileSync(`${ROOT}test/fixtures/data/sleepstudy.csv`, 'utf8')).table;

/** a seeded table of n rows: y = 1 + 2x + u_g + e, 50 groups */
function bigTable(n: number) {
  let seed = 11;
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const lines = ['g,x,y'];
  for (let i = 0; i < n; i++) {
    const g = i % 50;
    const x = rand();
    lines.push(`${g},${x},${1 + 2 * x + Math.sin(g) + rand() - 0.5}`);
  }
  return readCsv(lines.join('\n')).table;
}

describe('browser app logic', () => {
  let fit: LmmFit;

  test('shrinkage: each Subject\'s own OLS line, and β + b̂', async () => {
    fit = await lmer('Reaction ~ Days + (Days | Subject)', sleep, { factors: ['Subject'] });
    const [s] = shrinkageData(fit);
    expect(s!.group).toBe('Subject');
    expect(s!.cnames).toEqual(['(Intercept)', 'Days']);
    expect(s!.adjustedFor).toEqual([]);
    // subject 308, by hand: least squares of Reaction on Days over its 10 rows
    const y = sleep.getChild('Reaction')!.toArray() as Float64Array;
    const d = sleep.getChild('Days')!.toArray() as Float64Array;
    const g = sleep.getChild('Subject')!.toArray() as Float64Array;
    const rows = [...g.keys()].filter((i) => g[i] === 308);
    const mx = rows.reduce((a, i) => a + d[i]!, 0) / rows.length;
    const my = rows.reduce((a, i) => a + y[i]!, 0) / rows.length;
    const slope = rows.reduce((a, i) => a + (d[i]! - mx) * (y[i]! - my), 0) / rows.reduce((a, i) => a + (d[i]! - mx) ** 2, 0);
    const k = fit.ranef[0]!.levels.indexOf('308');
    expect(s!.count[k]).toBe(10);
    expect(s!.ols[1]![k]).toBeCloseTo(slope, 9);
    expect(s!.ols[0]![k]).toBeCloseTo(my - slope * mx, 9);
    expect(s!.pooled[1]![k]).toBeCloseTo(fit.fixef.Days! + fit.ranef[0]!.values.Days![k]!, 12);
    // partial pooling: the spread of the pooled slopes is smaller than that of the own slopes
    const sd = (a: Float64Array) => Math.sqrt(a.reduce((s2, v) => s2 + (v - a.reduce((m, w) => m + w, 0) / a.length) ** 2, 0) / a.length);
    expect(sd(s!.pooled[1]!)).toBeLessThan(sd(s!.ols[1]!));
  });

  test('predictions: population level and an existing Subject', () => {
    const p = predictOne(fit, sleep, { Days: '4.5', Subject: '308' }, []);
    expect(p.population).toBeCloseTo(fit.fixef['(Intercept)']! + 4.5 * fit.fixef.Days!, 9);
    const k = fit.ranef[0]!.levels.indexOf('308');
    expect(p.conditional).toBeCloseTo(p.population + fit.ranef[0]!.values['(Intercept)']![k]! + 4.5 * fit.ranef[0]!.values.Days![k]!, 9);
    const q = predictOne(fit, sleep, { Days: '4.5' }, ['Subject']);
    expect(q.conditional).toBeCloseTo(q.population, 12);
    expect(q.groups).toBe('Subject = a new level');
    expect(() => predictOne(fit, sleep, { Days: 'x', Subject: '308' }, [])).toThrow(/Days must be a number/);
    expect(() => predictOne(fit, sleep, { Days: '1', Subject: '999' }, [])).not.toThrow();
  });

  test('Parquet: numbers, integers and strings to Arrow columns, nulls kept', async () => {
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'y', data: Float64Array.of(1.5, 2.5, 3.5), type: 'DOUBLE' },
        { name: 'n', data: [1n, null, 3n], type: 'INT64', nullable: true },
        { name: 'g', data: ['b', 'a', null], type: 'STRING', nullable: true },
      ],
    });
    const { table: t, warnings } = await readParquet(buf);
    expect(warnings).toEqual([]);
    expect(t.numRows).toBe(3);
    expect(Array.from(t.getChild('y')!.toArray() as Float64Array)).toEqual([1.5, 2.5, 3.5]);
    expect([...t.getChild('n')!].map((v) => (v === null ? null : Number(v)))).toEqual([1, null, 3]);
    expect([...t.getChild('g')!]).toEqual(['b', 'a', null]);
    const cols = describeColumns(t);
    expect(cols.map((c) => [c.name, c.kind, c.nulls])).toEqual([['y', 'numeric', 0], ['n', 'numeric', 1], ['g', 'factor', 1]]);
    expect(cols[2]!.distinct).toBe(2);
    await expect(readParquet(new Uint8Array([1, 2, 3, 4]).buffer)).rejects.toThrow(/not a valid Parquet file/);
  });

  test('errors are placed beside their cause', () => {
    const req = { formula: 'Reaction ~ Dayz + (1 | Subject)', factors: [], reml: true, backend: 'cpu' as const, family: 'gaussian' as const };
    try {
      checkColumns(parseFormula(req.formula), sleep, req);
      expect.unreachable();
    } catch (e) {
      const p = placeError(e);
      expect(p.where).toBe('formula');
      expect(p.message).toMatch(/unknown column 'Dayz'/);
      expect(p.position).toBe(req.formula.indexOf('Dayz'));
    }
    let fe: unknown;
    try { parseFormula('y ~ x +'); } catch (e) { fe = e; }
    const placed = placeError(fe);
    expect(placed.where).toBe('formula');
    expect(placed.position).toBe(6);
    expect(placed.message).not.toMatch(/\n/);
    expect(placeError(new Error('no WebGPU adapter is available')).where).toBe('options');
  });

  test('the library\'s qnorm and χ² upper tail as the app uses them: R\'s values', () => {
    // R: qnorm(c(1e-10, 0.001, 0.025, 0.3, 0.5, 0.975, 0.999999))
    const q: [number, number][] = [[1e-10, -6.361340902404056], [0.001, -3.090232306167813], [0.025, -1.959963984540054], [0.3, -0.5244005127080407], [0.5, 0], [0.975, 1.959963984540054], [0.999999, 4.753424308817089]];
    for (const [p, ref] of q) expect(Math.abs(qnorm(p) - ref)).toBeLessThan(1e-12 * Math.max(1, Math.abs(ref)));
    // R: pchisq(x, df, lower.tail = FALSE)
    const c: [number, number, number][] = [[42.1392985420164, 2, 7.07241254722995e-10], [3.84145882069412, 1, 5.00000000000002e-02], [0.5, 3, 0.918891411654676], [100, 10, 5.44970198292053e-17], [12, 12, 0.445679641364611]];
    for (const [x, df, ref] of c) expect(Math.abs(pchisqUpper(x, df) - ref) / ref).toBeLessThan(1e-9);
    expect(pchisqUpper(0, 2)).toBe(1);
  });

  test('anova of two sleepstudy fits: lme4\'s table (REML fits refitted by ML)', async () => {
    const ref = JSON.parse(readFileSync(`${ROOT}test/fixtures/reference/sleepstudy_anova.json`, 'utf8')) as { npar: number[]; logLik: number[]; AIC: number[]; BIC: number[]; Chisq: number; Df: number; p: number };
    const req = (formula: string) => ({ formula, factors: ['Subject'], reml: true, backend: 'cpu' as const, family: 'gaussian' as const });
    const m1 = { id: 2, fit, request: req('Reaction ~ Days + (Days | Subject)') };
    const m0 = { id: 1, fit: await lmer('Reaction ~ Days + (1 | Subject)', sleep, { factors: ['Subject'] }), request: req('Reaction ~ Days + (1 | Subject)') };
    const ctx = { signal: new AbortController().signal, onProgress: () => {} };
    const { rows, refitted } = await compareFits(m1, m0, sleep, ctx);
    expect(refitted.length).toBe(2);
    expect(rows.map((r) => r.fit)).toEqual([1, 2]);
    expect(rows.map((r) => r.npar)).toEqual(ref.npar);
    for (let k = 0; k < 2; k++) {
      expect(rows[k]!.logLik).toBeCloseTo(ref.logLik[k]!, 5);
      expect(rows[k]!.AIC).toBeCloseTo(ref.AIC[k]!, 4);
      expect(rows[k]!.BIC).toBeCloseTo(ref.BIC[k]!, 4);
    }
    expect(rows[1]!.Chisq!).toBeCloseTo(ref.Chisq, 4);
    expect(rows[1]!.Df).toBe(ref.Df);
    expect(Math.abs(rows[1]!.p! - ref.p) / ref.p).toBeLessThan(1e-4);
    expect(rows[0]!.Chisq).toBeNull();
    // not the same observations: refused, with the counts
    const fewer = readCsv(readFileSync(`${ROOT}test/fixtures/data/sleepstudy.csv`, 'utf8').split('\n').slice(0, 101).join('\n')).table;
    const m2 = { id: 3, fit: await lmer('Reaction ~ Days + (1 | Subject)', fewer, { factors: ['Subject'] }), request: req('Reaction ~ Days + (1 | Subject)') };
    await expect(compareFits(m0, m2, sleep, ctx)).rejects.toThrow(/same size of dataset \(180 and 100 observations\)/);
  });

  test('p-values, the anova of each type and confidence intervals as the page asks the worker: lmerTest\'s and lme4\'s values', async () => {
    const ref = JSON.parse(readFileSync(`${ROOT}test/fixtures/inference/sleepstudy.json`, 'utf8')) as {
      satterthwaite: { coefficients: Record<string, { se: number; df: number; t: number; p: number }>; anova: Record<string, { F: number; dendf: number; p: number }> };
      kenward_roger: { coefficients: Record<string, { se: number; df: number; t: number; p: number }>; anova: Record<string, { F: number; dendf: number; p: number }> };
      profile: { intervals: Record<string, [number, number]> };
    };
    for (const [ddf, want] of [['satterthwaite', ref.satterthwaite], ['kenward-roger', ref.kenward_roger]] as const) {
      const m = inferenceTables(fit, ddf);
      expect(m.ddf).toBe(ddf);
      expect(m.coefficients.map((c) => c.name)).toEqual(['(Intercept)', 'Days']);
      for (const c of m.coefficients) {
        const w = want.coefficients[c.name]!;
        expect(Math.abs(c.se - w.se) / w.se).toBeLessThan(1e-5);
        expect(Math.abs(c.df - w.df) / w.df).toBeLessThan(1e-4);
        expect(Math.abs(c.t - w.t) / Math.abs(w.t)).toBeLessThan(1e-5);
        expect(Math.abs(c.p - w.p) / w.p).toBeLessThan(1e-3);
      }
      expect(m.anova.map((a) => a.term)).toEqual(['Days']);
      const a = m.anova[0]!;
      expect(Math.abs(a.F - want.anova.Days!.F) / want.anova.Days!.F).toBeLessThan(1e-5);
      expect(Math.abs(a.dendf - want.anova.Days!.dendf) / want.anova.Days!.dendf).toBeLessThan(1e-4);
      expect(Math.abs(a.p - want.anova.Days!.p) / want.anova.Days!.p).toBeLessThan(1e-3);
    }
    // the anova type the page asks for: lmerTest's anova(fit, type) on a model where the types differ
    const types = (JSON.parse(readFileSync(`${ROOT}test/fixtures/inference/anova-types.json`, 'utf8')) as {
      name: string; formula: string; data: string; factors: string[]; types: Record<string, { satterthwaite: Record<string, { F: number }> }>;
    }[]).find((c) => c.name === 'design_factors')!;
    const design = await lmer(types.formula, readCsv(readFileSync(`${ROOT}test/fixtures/data/${types.data}`, 'utf8'), { factors: types.factors }).table, { factors: types.factors });
    for (const type of ['I', 'II', 'III'] as const) {
      const m = inferenceTables(design, 'satterthwaite', type);
      expect(m.anovaType).toBe(type);
      for (const a of m.anova) expect(Math.abs(a.F - types.types[type].satterthwaite[a.term]!.F) / types.types[type].satterthwaite[a.term]!.F, `${type} ${a.term}`).toBeLessThan(1e-5);
    }
    expect(inferenceTables(design, 'satterthwaite', 'I').anova[0]!.F).not.toBeCloseTo(inferenceTables(design, 'satterthwaite', 'III').anova[0]!.F, 2);
    // the profile, one parameter at a time with progress: lme4's confint(method = "profile")
    const progress: string[] = [];
    const ctx = (signal: AbortSignal) => ({ signal, onProgress: (p: { done: number; total: number; label: string }) => progress.push(`${p.done}/${p.total} ${p.label}`) });
    const prof = await runConfint(fit, { method: 'profile' }, ctx(new AbortController().signal));
    expect(prof.rows.map((r) => r.name)).toEqual(Object.keys(ref.profile.intervals));
    for (const r of prof.rows) {
      const [lo, hi] = ref.profile.intervals[r.name]!;
      expect(Math.abs(r.lower! - lo) / (hi - lo), r.name).toBeLessThan(2e-3);
      expect(Math.abs(r.upper! - hi) / (hi - lo), r.name).toBeLessThan(2e-3);
    }
    expect(progress[0]).toBe('0/6 sd_(Intercept)|Subject');
    expect(progress.at(-1)).toBe('6/6 ');
    // the bootstrap reports replicates; Cancel (the AbortSignal) stops it
    progress.length = 0;
    const boot = await runConfint(fit, { method: 'boot', nsim: 20, seed: 3 }, ctx(new AbortController().signal));
    expect(boot.method).toBe('boot');
    expect(progress.at(-1)).toBe('20/20 replicates');
    for (const r of boot.rows) expect(r.lower!).toBeLessThan(r.upper!);
    const ac = new AbortController();
    const running = runConfint(fit, { method: 'boot', nsim: 5000, seed: 3 }, { signal: ac.signal, onProgress: (p) => { if (p.done > 0) ac.abort(); } });
    await expect(running).rejects.toThrow(expect.objectContaining({ name: 'AbortError' }) as unknown as Error);
    await expect(runConfint(fit, { method: 'boot', nsim: 3 }, ctx(new AbortController().signal))).rejects.toThrow(/replicates must be a whole number from 10/);
  }, 120_000);

  test('a Parquet file streamed in small batches: the in-memory fit, the bytes read counted, the diagnostics pass, GLMMs refused', async () => {
    // the same start as the stream fit (the moment start backfits over rows, which a stream has not)
    const mem = await lmer('Reaction ~ Days + (Days | Subject)', sleep, { factors: ['Subject'], momentStart: false });
    const blob = new Blob([tableToParquet(sleep, 25)]);
    const progress: { pass: number; rowsScanned: number; bytesRead: number; stage?: string }[] = [];
    const { result: r } = await streamFit(blob, 'sleep.parquet', { formula: 'Reaction ~ Days + (Days | Subject)', factors: ['Subject'], reml: true, batchSize: 7 }, {
      signal: new AbortController().signal, onProgress: (p) => progress.push(p),
    });
    // the stream path's exact mode: the in-memory fit's arithmetic in the same order
    expect(r.nobs).toBe(180);
    // the Cluster-robust card's refusal of a streamed fit: the library's (the sandwich needs the rows)
    expect(r.robustRefusal).toMatch(/^cluster-robust variance \(vcovCR\): the rows of this fit are in .*not in memory/);
    // the Optimizers (allFit) card's: the library's (a streamed fit keeps no call to refit)
    expect(r.allFitRefusal).toMatch(/^allFit: this fit keeps no record of its call/);
    expect(Math.abs(r.objective - mem.objective)).toBeLessThan(1e-12 * mem.objective);
    expect(Math.abs(r.sigma - mem.sigma) / mem.sigma).toBeLessThan(1e-12);
    // lmerTest's Satterthwaite df and p from the stream's A: the in-memory fit's (same A, same θ̂)
    const memCoef = coefficientTable(mem, { ddf: 'satterthwaite' }).rows;
    expect(r.ddfMessages).toEqual([]);
    r.fixef.forEach((f, j) => {
      expect(Math.abs(f.estimate - mem.fixef[f.name]!) / Math.abs(mem.fixef[f.name]!)).toBeLessThan(1e-12);
      expect(Math.abs(f.se - mem.se[f.name]!) / mem.se[f.name]!).toBeLessThan(1e-12);
      expect(Math.abs(f.df - memCoef[j]!.df) / memCoef[j]!.df).toBeLessThan(1e-10);
      expect(Math.abs(f.p - memCoef[j]!.p)).toBeLessThan(1e-12);
    });
    // every pass reads the file's used columns again: bytes read grow past the file's size
    expect(progress.length).toBeGreaterThan(20);
    expect(new Set(progress.map((p) => p.pass)).size).toBe(3);
    expect(progress.at(-1)!.stage).toBe('diagnostics');
    expect(r.bytesRead).toBeGreaterThan(blob.size);
    // rows read from the file: once for the fit's 4 passes for A and k for the residual quantiles (the
    // stream's cache keeps every batch) and once for the diagnostics; the fit's 3 + k later passes replay the kept batches
    const k = Number(/^residual quantiles \((\d+) passes\)$/.exec(r.passes.find((p) => p.startsWith('residual quantiles'))!)![1]);
    expect(k).toBeGreaterThanOrEqual(3);
    expect(r.rowsScanned).toBe(2 * 180);
    expect(r.rowsReplayed).toBe((3 + k) * 180);
    expect(r.rowsPerSecond).toBeGreaterThan(0);
    expect(r.bytesPerSecond).toBeGreaterThan(0);
    // the diagnostics pass: 180 rows ≤ 4,000, so every row, as the in-memory fit's fitted values and scaled residuals
    const d = r.diagnostics!;
    expect(d.sample).toEqual({ rows: 180, of: 180 });
    const fitted = mem.fitted;
    const scaled = mem.pearsonResiduals.map((v) => v / mem.sigma);
    for (let i = 0; i < 180; i++) {
      expect(Math.abs(d.fitted[i]! - fitted[i]!)).toBeLessThan(1e-9);
      expect(Math.abs(d.resid[i]! - scaled[i]!)).toBeLessThan(1e-9);
    }
    expect(r.passes.at(-1)).toBe('diagnostics (1 pass)');
    const mean = scaled.reduce((a, b) => a + b, 0) / 180;
    expect(Math.abs(r.residualStats!.mean - mean)).toBeLessThan(1e-12);
    expect(Math.abs(r.residualStats!.sd - Math.sqrt(scaled.reduce((a, b) => a + (b - mean) ** 2, 0) / 179))).toBeLessThan(1e-12);
    expect(r.residualStats!.n).toBe(180);
    // the modes' QQ plots: from the fit, one per term
    expect(d.modesQQ.map((m) => `${m.group}:${m.cname}:${m.n}`)).toEqual(['Subject:(Intercept):18', 'Subject:Days:18']);
    // a larger file than the sample: 4,000 rows at evenly spread positions, the rows' own values
    const big = await streamFit(new Blob([tableToParquet(bigTable(9_000), 1000)]), 'big.parquet', { formula: 'y ~ x + (1 | g)', factors: ['g'], reml: true, exact: false, residualQuantiles: false }, { signal: new AbortController().signal, onProgress: () => {} });
    expect(big.result.passes).toEqual(['reading the schema', 'pass 1 (moments)', 'pass 2 (Gram)', 'diagnostics (1 pass)']);
    expect(big.result.diagnostics!.sample).toEqual({ rows: 4000, of: 9000 });
    expect(big.result.diagnostics!.fitted.length).toBe(4000);
    const ctx = { signal: new AbortController().signal, onProgress: () => {} };
    await expect(streamFit(blob, 'sleep.parquet', { formula: 'cbind(a, b) ~ 1 + (1 | g)', factors: [], reml: false }, ctx)).rejects.toThrow(/GLMM .* cannot be fitted from a stream/);
    await expect(streamFit(blob, 'sleep.csv', { formula: 'Reaction ~ 1 + (1 | Subject)', factors: [], reml: true }, ctx)).rejects.toThrow(/streaming reads Parquet files/);
    const ac = new AbortController();
    ac.abort();
    await expect(streamFit(blob, 'sleep.parquet', { formula: 'Reaction ~ Days + (1 | Subject)', factors: ['Subject'], reml: true, batchSize: 7 }, { signal: ac.signal, onProgress: () => {} })).rejects.toThrow();
  }, 60_000);

  test('diagnostics: QQ points, binned means, residuals CSV', () => {
    const q = qqPoints([3, 1, 2, 5, 4]);
    expect(Array.from(q.sample)).toEqual([1, 2, 3, 4, 5]);
    // R: qnorm(ppoints(5))
    expect(q.theoretical[0]).toBeCloseTo(-1.1797611, 6);
    expect(q.theoretical[2]).toBeCloseTo(0, 12);
    // R: qqline: quartiles 2 and 4 against ±0.6744898
    expect(q.slope).toBeCloseTo(2 / (2 * 0.6744897501960817), 12);
    expect(q.intercept).toBeCloseTo(3, 12);
    const big = qqPoints(Float64Array.from({ length: 10_000 }, (_, i) => i));
    expect(big.theoretical.length).toBe(2000);
    expect(big.sample[1999]).toBe(9999);
    const b = binnedMeans(Float64Array.of(1, 2, 3, 4, 5, 6), Float64Array.of(1, 1, 2, 2, 3, 5), 3);
    expect(Array.from(b.x)).toEqual([1.5, 3.5, 5.5]);
    expect(Array.from(b.y)).toEqual([1, 2, 4]);
    expect(Array.from(b.count)).toEqual([2, 2, 2]);
    expect(b.twoSe[2]).toBeCloseTo(2 * Math.sqrt(2 / 2), 12);
    const d = diagnosticsOf(fit, false).msg;
    expect(d.n).toBe(180);
    expect(d.modesQQ.map((m) => `${m.group}:${m.cname}:${m.n}`)).toEqual(['Subject:(Intercept):18', 'Subject:Days:18']);
    // scaled residuals: (y − fitted) / σ
    const r = fit.residuals();
    expect(d.resid[0]).toBeCloseTo(r[0]! / fit.sigma, 12);
    expect(d.smooth.count.reduce((a, c) => a + c, 0)).toBe(180);
    const csvText = residualsCsv(fit, false).trim().split('\n');
    expect(csvText.length).toBe(181);
    expect(Number(csvText[1]!.split(',')[1]) + Number(csvText[1]!.split(',')[2])).toBeCloseTo(249.56, 9);
  });

  test('randomized quantile residuals: inside the observation\'s CDF jump', () => {
    // binomial, 4 trials, 1 success, μ = 0.5: u in [F(0), F(1)] = [1/16, 5/16]
    const r = quantileResiduals('binomial', Float64Array.of(0.25), Float64Array.of(4), Float64Array.of(0.5), Int32Array.of(0))!;
    expect(r[0]!).toBeGreaterThanOrEqual(qnorm(1 / 16));
    expect(r[0]!).toBeLessThanOrEqual(qnorm(5 / 16));
    // Poisson 0 with μ = 2: u in [0, e^{−2}]
    const p = quantileResiduals('poisson', Float64Array.of(0), Float64Array.of(1), Float64Array.of(2), Int32Array.of(0))!;
    expect(p[0]!).toBeLessThanOrEqual(qnorm(Math.exp(-2)));
    // not whole counts: none
    expect(quantileResiduals('binomial', Float64Array.of(0.3), Float64Array.of(1.5), Float64Array.of(0.5), Int32Array.of(0))).toBeNull();
  });

  test('a suggested formula for uploaded data', () => {
    const col = (name: string, kind: 'numeric' | 'factor', distinct: number, integer = false) => ({ name, arrowType: '', kind, nulls: 0, distinct, sample: [], integer });
    expect(suggestFormula([col('id', 'numeric', 1000, true), col('x', 'numeric', 990), col('school', 'factor', 100), col('outcome', 'numeric', 1000)], 1000))
      .toEqual({ formula: 'outcome ~ x + (1 | school)', factors: [] });
    // no text column: an integer column named like a group, as a factor; the last numeric column is the response
    expect(suggestFormula([col('Reaction', 'numeric', 180), col('Days', 'numeric', 10, true), col('Subject', 'numeric', 18, true)], 180))
      .toEqual({ formula: 'Reaction ~ Days + (1 | Subject)', factors: ['Subject'] });
    // names that are not identifiers are backquoted
    expect(suggestFormula([col('my y', 'numeric', 50), col('site', 'factor', 5)], 50)!.formula).toBe('`my y` ~ 1 + (1 | site)');
    // no repeated grouping column: nothing to suggest
    expect(suggestFormula([col('y', 'numeric', 50), col('name', 'factor', 50)], 50)).toBeNull();
  });

  test('the state in the address round-trips; invalid values are dropped', () => {
    const s = { example: 'cbpp' as const, formula: 'cbind(incidence, size - incidence) ~ period + (1 | herd)', factors: ['herd', 'period'], family: 'binomial' as const, link: 'logit', nAGQ: 1, backend: 'cpu' as const, prior: 'blme' as const, diag: 'binned', fit: true };
    expect(readUrlState(writeUrlState(s))).toEqual(s);
    expect(writeUrlState(s)).toContain('prior=blme');
    expect(readUrlState('?example=nope&family=gamma&nAGQ=99&backend=tpu&criterion=ml&file=a.csv&prior=flat')).toEqual({ file: 'a.csv', criterion: 'ml' });
  });

  test('the shrinkage caption describes arrows only when they are drawn; labels only where they fit', () => {
    const base = { group: 'g', cnames: ['(Intercept)'], adjustedFor: [], estimable: 3000, total: 3000 };
    expect(shrinkageCaption({ ...base, shown: 18, estimable: 18, total: 18 })).toMatch(/Arrows point from the diagonal/);
    const many = shrinkageCaption({ ...base, shown: 1500 });
    expect(many).not.toMatch(/Arrows point/);
    expect(many).toMatch(/arrows from the diagonal \(no pooling\) are left out \(they are drawn for at most 300\)/);
    expect(many).toMatch(/Showing 1,500 of 3,000 levels/);
    const ticks = labelledRanks(1, 3000, 650);
    expect(ticks.length).toBeLessThanOrEqual(50);
    expect(ticks[0]).toBe(1);
    expect(labelledRanks(1, 10, 650)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});

describe('meta-analysis mode as the page asks the worker', () => {
  const metaRef = (name: string) => JSON.parse(readFileSync(`${ROOT}test/fixtures/meta/${name}.json`, 'utf8')) as {
    beta: Record<string, number>; se: Record<string, number>; tau2?: number; sigma2?: number[]; QM: number; R2?: number; QE: number;
  };
  const metaData = (file: string) => readCsv(readFileSync(`${ROOT}test/fixtures/meta/data/${file}`, 'utf8')).table;
  const near = (a: number, b: number, rel: number, what: string) => expect(Math.abs(a - b) / Math.max(1e-12, Math.abs(b)), `${what}: ${a} vs metafor ${b}`).toBeLessThan(rel);

  test('escalc RR from the 2×2 counts, then a meta-regression on ablat: metafor\'s rma(yi, vi, mods = ~ ablat)', async () => {
    const ref = metaRef('bcg_reml_ablat');
    const r = await runMeta(metaData('bcg.csv'), {
      yi: '', vi: '', escalc: { measure: 'RR', columns: { ai: 'tpos', bi: 'tneg', ci: 'cpos', di: 'cneg' } }, slab: 'author', method: 'REML', mods: 'ablat',
    });
    expect(r.model).toBe('rma.uni');
    expect(r.escalc).toEqual({ measure: 'RR', yi: 'yi', vi: 'vi' });
    expect(r.pooled).toBe(null);
    for (const c of r.coef) {
      near(c.estimate, ref.beta[c.name]!, 1e-6, `β ${c.name}`);
      near(c.se, ref.se[c.name]!, 1e-5, `SE ${c.name}`);
    }
    near(r.tau2!, ref.tau2!, 1e-5, 'τ²');
    near(r.QM!.QM, ref.QM, 1e-6, 'QM');
    near(r.R2!, ref.R2!, 1e-5, 'R²');
    expect(r.studies.length).toBe(13);
    expect(r.studies[0]!.label).toBe('Aronson');
    // one of two alternatives, never both, and every input named
    await expect(runMeta(metaData('bcg.csv'), { yi: '', vi: '', escalc: { measure: 'RR', columns: { ai: 'tpos', bi: 'tneg', n1i: 'tneg', ci: 'cpos', di: 'cneg' } }, method: 'REML' })).rejects.toThrow(/choose bi or n1i, not both/);
    await expect(runMeta(metaData('bcg.csv'), { yi: '', vi: '', escalc: { measure: 'RR', columns: { ai: 'tpos', bi: 'tneg', ci: 'cpos' } }, method: 'REML' })).rejects.toThrow(/choose the column of di or n2i/);
  });

  test('escalc SMD from means, SDs and ns: metafor\'s rma of Hedges\' g', async () => {
    const ref = metaRef('normand_smd_reml');
    const cols = { m1i: 'm1i', sd1i: 'sd1i', n1i: 'n1i', m2i: 'm2i', sd2i: 'sd2i', n2i: 'n2i' };
    const r = await runMeta(metaData('normand1999.csv'), { yi: '', vi: '', escalc: { measure: 'SMD', columns: cols }, slab: 'source', method: 'REML' });
    near(r.pooled!.mu, ref.beta.intrcpt!, 1e-6, 'μ');
    near(r.pooled!.se, ref.se.intrcpt!, 1e-5, 'SE');
    near(r.QE, ref.QE, 1e-6, 'QE');
  });

  test('a three-level model with a cluster column: metafor\'s rma.mv(yi, vi, random = ~ 1 | district/school)', async () => {
    const ref = metaRef('konstantopoulos_reml');
    const ko = metaData('konstantopoulos2011.csv');
    const r = await runMeta(ko, { yi: 'yi', vi: 'vi', method: 'REML', cluster: 'district', inner: 'school' });
    expect(r.model).toBe('rma.mv');
    expect(r.random).toBe('~ 1 | district/school');
    expect(r.sigma2!.map((s) => s.levels)).toEqual([11, 56]);
    r.sigma2!.forEach((s, l) => near(s.value, ref.sigma2![l]!, 1e-5, `σ² ${s.name}`));
    near(r.pooled!.mu, ref.beta.intrcpt!, 1e-6, 'μ');
    near(r.pooled!.se, ref.se.intrcpt!, 1e-5, 'SE');
    // without the inner column: each row an estimate in its cluster (schools are the rows here: the same model)
    const rows = await runMeta(ko, { yi: 'yi', vi: 'vi', method: 'REML', cluster: 'district' });
    expect(rows.random).toBe('~ 1 | district/es_id');
    rows.sigma2!.forEach((s, l) => near(s.value, ref.sigma2![l]!, 1e-5, `σ² ${s.name} (rows)`));
    await expect(runMeta(ko, { yi: 'yi', vi: 'vi', method: 'DL', cluster: 'district' })).rejects.toThrow(/fitted by REML or ML/);
  });
});

describe('estimated marginal means as the page asks the worker', () => {
  test('sleepstudy with Days as a factor: the means and pairwise contrasts are the library\'s; the variables offered; the CSVs', async () => {
    const fit = await lmer('Reaction ~ Days + (1 | Subject)', sleep, { factors: ['Subject', 'Days'] });
    expect(emmVariables(fit).map((v) => [v.name, v.kind, v.levels.length])).toEqual([['Days', 'factor', 10]]);
    const m = await emmTables(fit, { specs: 'Days', contrast: 'pairwise' });
    const lib = emmeans(fit, '~ Days');
    const pairs = lib.pairs();
    expect(m.ddf).toBe('kenward-roger');
    expect(m.means.map((r) => r.emmean)).toEqual(lib.rows.map((r) => r.emmean));
    expect(m.means.map((r) => r.SE)).toEqual(lib.rows.map((r) => r.SE));
    expect(m.means[3]!.levels).toEqual({ Days: '3' });
    expect(m.contrasts!.adjust).toBe('tukey');
    expect(m.contrasts!.rows.length).toBe(45);
    expect(m.contrasts!.rows.map((r) => r.p)).toEqual(pairs.rows.map((r) => r.p));
    expect(m.contrasts!.rows[0]!.contrast).toBe('Days0 - Days1');
    expect(m.meansNotes).toContain('Degrees-of-freedom method: kenward-roger');
    expect(m.contrasts!.notes.some((n) => /tukey method for comparing a family of 10 estimates/.test(n))).toBe(true);
    const means = meansCsv(m).trim().split('\n');
    expect(means[0]).toBe('Days,emmean,SE,df,lower_CL,upper_CL');
    expect(means.length).toBe(11);
    expect(Number(means[1]!.split(',')[1])).toBe(lib.rows[0]!.emmean);
    const cons = contrastsCsv(m)!.trim().split('\n');
    expect(cons[0]).toBe('contrast,estimate,SE,df,lower_CL,upper_CL,t_ratio,p_value,adjust');
    expect(cons[1]!.split(',').at(-1)).toBe('tukey');
    // Satterthwaite on request; consec with its own adjustment, emmeans's mvt, or another one
    const sat = await emmTables(fit, { specs: 'Days', contrast: 'none', ddf: 'satterthwaite' });
    expect(sat.ddf).toBe('satterthwaite');
    expect(sat.contrasts).toBeNull();
    expect(requestAdjust('consec', '')).toEqual({ note: null });
    expect(defaultAdjustLabel('consec')).toBe('default (mvt)');
    // (the mvt numbers themselves: test/emmeans.test.ts's sleep_consec_mvt, this model against emmeans)
    const consec = await emmTables(fit, { specs: 'Days', contrast: 'consec' });
    expect(consec.contrasts!.adjust).toBe('mvt');
    expect(consec.contrasts!.notes).toContain('P value adjustment: mvt method for 9 tests');
    expect((await emmTables(fit, { specs: 'Days', contrast: 'consec', adjust: 'sidak' })).contrasts!.adjust).toBe('sidak');
    expect(requestAdjust('pairwise', '')).toEqual({ note: null });
    expect(requestAdjust('pairwise', 'holm')).toEqual({ adjust: 'holm', note: null });
    expect(defaultAdjustLabel('trt.vs.ctrl')).toBe('default (dunnettx)');
    // trt.vs.ctrl with a control level
    const trt = await emmTables(fit, { specs: 'Days', contrast: 'trt.vs.ctrl', ref: '2' });
    expect(trt.contrasts!.rows[0]!.contrast).toBe('Days0 - Days2');
    expect(trt.contrasts!.adjust).toBe('dunnettx');
    // a bad choice is an error with the library's message
    await expect(emmTables(fit, { specs: 'Subject', contrast: 'none' })).rejects.toThrow(/groups random effects/);
    // plot rows: one per level, no groups
    const rows = emmPlotRows(m);
    expect(rows.length).toBe(10);
    expect(rows[0]).toEqual({ level: '0', group: '', estimate: lib.rows[0]!.emmean, lower: lib.rows[0]!.lower, upper: lib.rows[0]!.upper });
  });

  test('slopes (emtrends) by a factor, and cbpp\'s response scale: probabilities and odds ratios', async () => {
    const fit = await lmer('Reaction ~ Days * g + (1 | Subject)', withGroup(), { factors: ['Subject', 'g'] });
    expect(emmVariables(fit).map((v) => v.kind)).toEqual(['covariate', 'factor']);
    const t = await emmTables(fit, { specs: 'g', trend: 'Days', contrast: 'pairwise' });
    const lib = emtrends(fit, '~ g', { var: 'Days' });
    expect(t.kind).toBe('emtrends');
    expect(t.estimateName).toBe('Days.trend');
    expect(t.means.map((r) => r.emmean)).toEqual(lib.rows.map((r) => r.emmean));
    expect(t.contrasts!.rows[0]!.p).toBe(lib.pairs().rows[0]!.p);
    const cbpp = readCsv(readFileSync(`${ROOT}test/fixtures/data/cbpp.csv`, 'utf8')).table;
    const g = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', cbpp, { family: 'binomial', factors: ['herd', 'period'] });
    const r = await emmTables(g, { specs: 'period', contrast: 'pairwise', type: 'response' });
    const glib = emmeans(g, '~ period', { type: 'response' });
    expect(r.responseLabel).toBe('prob');
    expect(r.means.map((x) => x.response)).toEqual(glib.rows.map((x) => x.response));
    expect(r.contrasts!.ratioLabel).toBe('odds.ratio');
    expect(r.contrasts!.rows[0]!.contrast).toBe('period1 / period2');
    expect(r.contrasts!.rows.map((x) => x.response)).toEqual(glib.pairs().rows.map((x) => x.response));
    expect(meansCsv(r).split('\n')[0]).toBe('period,emmean,SE,df,lower_CL,upper_CL,prob,response_SE,response_lower_CL,response_upper_CL');
    expect(contrastsCsv(r)!.split('\n')[0]).toBe('contrast,estimate,SE,df,lower_CL,upper_CL,z_ratio,p_value,adjust,odds.ratio,response_SE,response_lower_CL,response_upper_CL');
    expect(emmPlotRows(r)[0]!.estimate).toBe(glib.rows[0]!.response);
    expect(emmAxisLabel(r)).toBe('prob (response scale)');
    // a by group
    const by = await emmTables(fit, { specs: 'Days', by: 'g', contrast: 'none' });
    expect(emmPlotRows(by).map((x) => x.group)).toEqual(['g = a', 'g = b']);
  });

  test("an ML fit's default df: Kenward–Roger from its REML refit, as emmeans's", async () => {
    const fit = await lmer('Reaction ~ Days + (1 | Subject)', sleep, { factors: ['Subject', 'Days'], REML: false });
    const m = await emmTables(fit, { specs: 'Days', contrast: 'none' });
    const lib = emmeans(fit, '~ Days', { remlRefit: await fit.remlFit() });
    expect(m.ddf).toBe('kenward-roger');
    expect(m.means.map((r) => [r.SE, r.df])).toEqual(lib.rows.map((r) => [r.SE, r.df]));
    expect((await emmTables(fit, { specs: 'Days', contrast: 'none', ddf: 'satterthwaite' })).ddf).toBe('satterthwaite');
  });
});

/**
 * The "Model tests" card as the page asks the worker: each result is the library's own (equal), and
 * against R's fixtures (the library's own tests' references and tolerances, at our optimum):
 *  - ranova vs lmerTest 3.1-3 (test/fixtures/inference/ranova-drop1.json, test/oracle/ranova_drop1.R):
 *    logLik 1e-9 relative, LRT 1e-7 absolute + 1e-7 relative, p 1e-6 relative (the reduced models are
 *    refitted here: test/inference/ranovaDrop1.test.ts's tolerances);
 *  - drop1 (Satterthwaite, Kenward–Roger) vs lmerTest: F, DenDF 1e-5 relative, p 1e-5 relative (our θ̂
 *    against lme4's, ~1e-7 apart where the criterion is flat: ranovaDrop1.test.ts);
 *  - joint tests vs emmeans 1.8.4 (test/fixtures/joint-tests, test/oracle/joint_tests.R): p 1e-5
 *    relative for lmer, 3e-5 for glmer, F within emmeans's rounding to 3 decimals (5e-4) plus 1e-6
 *    (3e-6 glmer) relative (test/jointTests.test.ts's: emmeans's table holds F rounded);
 *  - influence by Subject vs R's tight refits of each deletion (test/fixtures/influence/lme4.json,
 *    test/oracle/influence.R): Cook's D 1e-6 relative to the largest, dfbetas 1e-6 relative (or
 *    absolute below 1) (test/influence.test.ts's);
 *  - car's Wald χ² anova of cbpp vs car 3.1-1 (test/fixtures/car-anova/car.json): χ² and p 5e-5
 *    relative at our fit (test/waldAnova.test.ts's).
 */
describe('model tests as the page asks the worker', () => {
  const ctx = (): ModelTestContext => ({ signal: new AbortController().signal, onProgress: () => {} });
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
  type Kind<K extends ModelTestMsg['kind']> = Extract<ModelTestMsg, { kind: K }>;
  const run = async <K extends ModelTestMsg['kind']>(fit: Parameters<typeof runModelTest>[0], req: ModelTestRequest & { kind: K }, c: ModelTestContext = ctx()) =>
    (await runModelTest(fit, req, c)) as Kind<K>;

  test('the tests offered: lmer ranova, drop1, step, joint tests, R², influence, cAIC; glmer drop1 (LRT), joint tests, car\'s Wald anova, R², influence, cAIC', () => {
    expect(testsFor('lmer').map((s) => s.kind)).toEqual(['ranova', 'drop1', 'step', 'jointTests', 'r2', 'influence', 'caic']);
    expect(testsFor('glmer').map((s) => s.kind)).toEqual(['glmerDrop1', 'jointTests', 'waldAnova', 'r2', 'influence', 'caic']);
    expect(MODEL_TESTS.filter((s) => s.progress).map((s) => s.kind)).toEqual(['glmerDrop1', 'influence', 'caic']);
  });

  test('sleepstudy: step and R² are the library\'s, with their tables', async () => {
    const fit = await lmer('Reaction ~ Days + (Days | Subject)', sleep, { factors: ['Subject'] });
    const st = await run(fit, { kind: 'step', ddf: 'kenward-roger' });
    const lib = await fit.step({ ddf: 'kenward-roger' });
    expect(st.random).toEqual(lib.random);
    expect(st.fixed).toEqual(lib.fixed);
    expect(st.formula).toBe(lib.formula);
    const [rt, ft] = modelTestTables(st);
    expect(rt!.columns.map((c) => c.head)).toEqual(['', 'Eliminated', 'npar', 'logLik', 'AIC', 'LRT', 'Df', 'Pr(>Chisq)']);
    expect(ft!.columns.map((c) => c.head)).toEqual(['', 'Eliminated', 'Sum Sq', 'Mean Sq', 'NumDF', 'DenDF', 'F value', 'Pr(>F)']);
    expect(ft!.caption).toBe(`Model found: ${lib.formula}`);
    expect(st.text).toContain('Backward reduced random-effect table:');
    const r2 = await run(fit, { kind: 'r2' });
    const want = await fit.r2();
    const icc = await fit.icc();
    expect(r2.r2.conditional).toBe(want.conditional);
    expect(r2.r2.marginal).toBe(want.marginal);
    expect(r2.icc).toEqual(icc.icc);
    const [t, c] = modelTestTables(r2);
    expect(t!.rows.map((r) => r.key)).toEqual(['Conditional R²', 'Marginal R²', 'Adjusted ICC', 'Unadjusted ICC', 'ICC Subject']);
    expect(c!.rows.map((r) => r.cells[1])).toEqual([want.components.fixed, want.components.random, want.components.residual, want.components.distribution, want.components.dispersion]);
    expect(r2.text.split('\n')[0]).toBe('# R2 for Mixed Models');
  });

  test('sleepstudy (Days | Subject): ranova, drop1, joint tests and influence are the library\'s and R\'s; tables, CSVs, progress and Cancel', async () => {
    const fit = await lmer('Reaction ~ Days + (Days | Subject)', sleep, { factors: ['Subject'] });
    const R = (JSON.parse(readFileSync(`${ROOT}test/fixtures/inference/ranova-drop1.json`, 'utf8')) as {
      name: string; reml: boolean;
      ranova: { name: string; npar: number; logLik: number; LRT: number | null; Df: number | null; p: number | null }[];
      ranovaFull: { name: string; npar: number; logLik: number; LRT: number | null; Df: number | null; p: number | null }[];
      drop1: Record<'satterthwaite' | 'kenward-roger', { term: string; numdf: number; dendf: number; F: number; p: number }[]>;
    }[]).find((c) => c.name === 'sleepstudy slope' && c.reml)!;
    // ranova, each term reduced (default) and removed
    for (const [reduceTerms, want] of [[true, R.ranova], [false, R.ranovaFull]] as const) {
      const m = await run(fit, { kind: 'ranova', reduceTerms });
      expect(m.rows).toEqual((await ranovaTable(fit, { reduceTerms })).rows);
      expect(m.rows.map((r) => r.name)).toEqual(want.map((r) => r.name));
      m.rows.forEach((r, k) => {
        const w = want[k]!;
        expect(r.npar).toBe(w.npar);
        expect(rel(r.logLik, w.logLik)).toBeLessThan(1e-9);
        if (w.LRT === null) { expect(r.LRT).toBeNull(); expect(r.p).toBeNull(); return; }
        expect(Math.abs(r.LRT! - w.LRT)).toBeLessThan(1e-7 + 1e-7 * w.LRT);
        expect(r.Df).toBe(w.Df);
        expect(rel(r.p!, w.p!)).toBeLessThan(1e-6);
      });
      expect(m.text.split('\n')[0]).toBe('ANOVA-like table for random-effects: Single term deletions');
    }
    const ra = await run(fit, { kind: 'ranova' });
    const [rt] = modelTestTables(ra);
    expect(rt!.columns.map((c) => c.head)).toEqual(['', 'npar', 'logLik', 'AIC', 'LRT', 'Df', 'Pr(>Chisq)']);
    expect(rt!.caption).toBe('Model: Reaction ~ Days + (Days | Subject)');
    const rcsv = testTableCsv(rt!).trim().split('\n');
    expect(rcsv[0]).toBe('term,npar,logLik,AIC,LRT,Df,p_value');
    expect(rcsv[1]).toBe(`<none>,6,${ra.rows[0]!.logLik},${ra.rows[0]!.AIC},NA,NA,NA`);
    // drop1 with the page's ddf
    for (const ddf of ['satterthwaite', 'kenward-roger'] as const) {
      const m = await run(fit, { kind: 'drop1', ddf });
      expect(m.ddf).toBe(ddf);
      expect(m.rows).toEqual(drop1Table(fit, { ddf }).rows);
      const w = R.drop1[ddf][0]!;
      expect(m.rows.map((r) => r.term)).toEqual(['Days']);
      expect(m.rows[0]!.numdf).toBe(w.numdf);
      expect(rel(m.rows[0]!.F, w.F)).toBeLessThan(1e-5);
      expect(rel(m.rows[0]!.dendf, w.dendf)).toBeLessThan(1e-5);
      expect(rel(m.rows[0]!.p, w.p)).toBeLessThan(1e-5);
      expect(m.text).toMatch(ddf === 'satterthwaite' ? /^Single term deletions using Satterthwaite's method:/ : /^Single term deletions using Kenward-Roger's method:/);
    }
    // joint tests: emmeans's default df (Kenward–Roger for this REML fit)
    const J = (JSON.parse(readFileSync(`${ROOT}test/fixtures/joint-tests/joint_tests.json`, 'utf8')) as {
      cases: { name: string; result: { rows: (string | number)[][] } }[];
    }).cases;
    const jt = await run(fit, { kind: 'jointTests' });
    const lib = fit.jointTests();
    expect(jt.rows.map(({ by: _b, ...r }) => r)).toEqual(lib.rows.map(({ by: _b, ...r }) => r));
    expect(jt.ddf).toBe('kenward-roger');
    expect(jt.text).toBe(lib.toString());
    const [, df1, df2, F, p] = J.find((c) => c.name === 'sleepstudy')!.result.rows[0]! as [string, number, number, number, number];
    expect(jt.rows[0]!.term).toBe('Days');
    expect(jt.rows[0]!.df1).toBe(df1);
    expect(Math.abs(jt.rows[0]!.df2 - df2)).toBeLessThan(5e-3 + 1e-6 * df2);
    expect(Math.abs(jt.rows[0]!.F - F)).toBeLessThan(5e-4 + 1e-6 * F);
    expect(rel(jt.rows[0]!.p, p)).toBeLessThan(1e-5);
    const [jtab] = modelTestTables(jt);
    expect(jtab!.columns.map((c) => c.head)).toEqual(['model term', 'df1', 'df2', 'F.ratio', 'p.value']);
    expect(testTableCsv(jtab!).split('\n')[0]).toBe('model_term,df1,df2,F_ratio,p_value');
    // influence by Subject: progress per refit, the top 10 by Cook's D, every unit in the CSV
    const I = (JSON.parse(readFileSync(`${ROOT}test/fixtures/influence/lme4.json`, 'utf8')) as {
      cases: { name: string; deleted: string[]; tight: { cooks: number[]; dfbetas: number[][] } }[];
    }).cases.find((c) => c.name === 'sleepstudy_subject')!;
    const progress: string[] = [];
    const inf = await run(fit, { kind: 'influence', groups: 'Subject' }, { signal: new AbortController().signal, onProgress: (q) => progress.push(`${q.done}/${q.total} ${q.label}`) });
    expect(progress.length).toBe(18);
    expect(progress[0]).toBe(`1/18 ${I.deleted[0]}`);
    expect(progress.at(-1)).toBe(`18/18 ${I.deleted[17]}`);
    const libInf = await fit.influence({ groups: 'Subject' });
    const libCooks = libInf.cooksDistance();
    expect(inf.units.map((u) => u.cooks)).toEqual([...libCooks].sort((a, b) => b - a));
    expect(inf.xnames).toEqual(['(Intercept)', 'Days']);
    const cScale = Math.max(...I.tight.cooks);
    for (const u of inf.units) {
      const i = I.deleted.indexOf(u.label);
      expect(Math.abs(u.cooks - I.tight.cooks[i]!) / cScale, `Cook's D ${u.label}`).toBeLessThan(1e-6);
      u.dfbetas.forEach((v, j) => expect(Math.abs(v - I.tight.dfbetas[i]![j]!) / Math.max(1, Math.abs(I.tight.dfbetas[i]![j]!)), `dfbetas ${u.label}`).toBeLessThan(1e-6));
      expect(u.rows).toBe(10);
    }
    const [itab] = modelTestTables(inf);
    expect(itab!.rows.length).toBe(INFLUENCE_TOP);
    expect(itab!.rows[0]!.key).toBe(I.deleted[I.tight.cooks.indexOf(cScale)]);
    expect(itab!.columns.map((c) => c.head)).toEqual(['Subject', 'n', "Cook's D", 'dfbetas (Intercept)', 'dfbetas Days']);
    const icsv = testTableCsv(itab!).trim().split('\n');
    expect(icsv.length).toBe(19);
    expect(icsv[0]).toBe('unit,rows,cooks_distance,dfbetas_(Intercept),dfbetas_Days');
    expect(cooksBars(inf).length).toBe(18);
    expect(inf.text.split('\n')[0]).toBe("Case-deletion influence (lme4's influence.merMod) by Subject: 18 refits, the 10 largest Cook's distances");
    // Cancel: the AbortSignal stops the refits
    const ac = new AbortController();
    await expect(runModelTest(fit, { kind: 'influence', groups: 'Subject' }, { signal: ac.signal, onProgress: () => ac.abort() }))
      .rejects.toThrow(expect.objectContaining({ name: 'AbortError' }) as unknown as Error);
    // refusals: a test the card does not offer for lmer, a bad grouping factor (the library's message)
    await expect(runModelTest(fit, { kind: 'waldAnova' }, ctx())).rejects.toThrow(/car's Anova is offered for glmer fits, not for lmer fit \(an lmer fit has lmerTest's F tests/);
    await expect(runModelTest(fit, { kind: 'influence', groups: 'Days' }, ctx())).rejects.toThrow(/'Days' is not one of the model's grouping factors \(Subject\)/);
  }, 120_000);

  test('ranova of a fit that dropped a row with a missing value: lmerTest\'s refusal, as the card shows it', async () => {
    const lines = readFileSync(`${ROOT}test/fixtures/data/sleepstudy.csv`, 'utf8').trim().split('\n');
    const header = lines[0]!.split(',');
    const y = header.findIndex((h) => h.replace(/"/g, '') === 'Reaction');
    const cells = lines[5]!.split(',');
    cells[y] = 'NA';
    lines[5] = cells.join(',');
    const fit = await lmer('Reaction ~ Days + (Days | Subject)', readCsv(lines.join('\n')).table, { factors: ['Subject'] });
    expect(fit.model.frame.nDropped).toBe(1);
    await expect(runModelTest(fit, { kind: 'ranova' }, ctx())).rejects.toThrow(/the model dropped 1 row with missing values.*remove missing values/);
  });

  test('cbpp (glmer): car\'s Wald anova (II, III) and joint tests are the library\'s and R\'s; lmer-only tests refused', async () => {
    const cbpp = readCsv(readFileSync(`${ROOT}test/fixtures/data/cbpp.csv`, 'utf8')).table;
    const g = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', cbpp, { family: 'binomial', factors: ['herd', 'period'] });
    const car = (JSON.parse(readFileSync(`${ROOT}test/fixtures/car-anova/car.json`, 'utf8')) as {
      cases: { name: string; type2: { terms: string; chisq: number; df: number; p: number }; type3: { terms: string[]; chisq: number[]; df: number[]; p: number[] } }[];
    }).cases.find((c) => c.name === 'cbpp')!;
    const w2 = await run(g, { kind: 'waldAnova', type: 'II' });
    expect(w2.rows).toEqual(g.anova({ type: 'II' }));
    expect(w2.rows.map((r) => r.term)).toEqual([car.type2.terms].flat());
    expect(rel(w2.rows[0]!.chisq, [car.type2.chisq].flat()[0]!)).toBeLessThan(5e-5);
    expect(rel(w2.rows[0]!.p, [car.type2.p].flat()[0]!)).toBeLessThan(5e-5);
    expect(w2.text.split('\n')[0]).toBe('Analysis of Deviance Table (Type II Wald chisquare tests)');
    const w3 = await run(g, { kind: 'waldAnova', type: 'III' });
    expect(w3.rows.map((r) => r.term)).toEqual([car.type3.terms].flat());
    w3.rows.forEach((r, k) => {
      expect(rel(r.chisq, [car.type3.chisq].flat()[k]!)).toBeLessThan(5e-5);
      expect(r.df).toBe([car.type3.df].flat()[k]);
      expect(rel(r.p, [car.type3.p].flat()[k]!)).toBeLessThan(5e-5);
    });
    const [wt] = modelTestTables(w3);
    expect(testTableCsv(wt!).split('\n')[0]).toBe('term,chisq,df,p_value');
    // joint tests: ∞ df (z), emmeans's
    const J = (JSON.parse(readFileSync(`${ROOT}test/fixtures/joint-tests/joint_tests.json`, 'utf8')) as {
      cases: { name: string; result: { rows: (string | number)[][] } }[];
    }).cases.find((c) => c.name === 'cbpp')!;
    const jt = await run(g, { kind: 'jointTests' });
    expect(jt.rows.map(({ by: _b, ...r }) => r)).toEqual(g.jointTests().rows.map(({ by: _b, ...r }) => r));
    const [, df1, , F, p] = J.result.rows[0]! as [string, number, string, number, number];
    expect(jt.rows[0]!.df1).toBe(df1);
    expect(jt.rows[0]!.df2).toBe(Infinity);
    expect(Math.abs(jt.rows[0]!.F - F)).toBeLessThan(5e-4 + 3e-6 * F);
    expect(rel(jt.rows[0]!.p, p)).toBeLessThan(3e-5);
    expect(testTableCsv(modelTestTables(jt)[0]!).split('\n')[1]).toMatch(/^period,3,Inf,/);
    // the lmer-only tests: refused, naming the test (the card does not offer them)
    await expect(runModelTest(g, { kind: 'ranova' }, ctx())).rejects.toThrow(/lmerTest's ranova is offered for lmer fits, not for glmer fit/);
    await expect(runModelTest(g, { kind: 'drop1' }, ctx())).rejects.toThrow(/lmerTest's drop1 is offered for lmer fits/);
    await expect(runModelTest(g, { kind: 'step' }, ctx())).rejects.toThrow(/lmerTest's step is offered for lmer fits/);
    // lme4's drop1 (likelihood-ratio tests, refits reported) and influence of the glmer fit: the library's
    const seen: number[] = [];
    const d1 = await run(g, { kind: 'glmerDrop1' }, { signal: new AbortController().signal, onProgress: (p) => seen.push(p.done) });
    const libD = await g.drop1();
    expect(d1.rows).toEqual(libD.rows);
    expect(d1.none).toEqual(libD.none);
    expect(seen).toEqual([1]);
    const [dt] = modelTestTables(d1);
    expect(dt!.rows.map((r) => r.key)).toEqual(['<none>', 'period']);
    expect(d1.text.split('\n')[0]).toBe('Single term deletions');
    const gi = await run(g, { kind: 'influence', groups: 'herd' });
    const libI = await g.influence({ groups: 'herd' });
    expect(gi.units.map((u) => u.cooks)).toEqual(influenceOrder(libI.cooksDistance()).map((i) => libI.cooksDistance()[i]));
  });

  test('joint tests by a factor: the by values as emmeans labels them, a column per by variable', async () => {
    const fit = await lmer('Reaction ~ Days * g + (1 | Subject)', withGroup(), { factors: ['Subject', 'g'] });
    const jt = await run(fit, { kind: 'jointTests', by: 'g' });
    const lib = fit.jointTests({ by: 'g' });
    expect(jt.by).toEqual(['g']);
    expect(jt.rows.map((r) => r.by.g)).toEqual(lib.rows.map((r) => String(r.by.g)));
    expect(jt.rows.map((r) => r.F)).toEqual(lib.rows.map((r) => r.F));
    const [t] = modelTestTables(jt);
    expect(t!.columns.map((c) => c.head)).toEqual(['model term', 'g', 'df1', 'df2', 'F.ratio', 'p.value']);
    expect(t!.rows.map((r) => r.key)).toEqual(lib.rows.map((r) => `${r.term}|${r.by.g}`));
  });

  test('a streamed fit\'s card: drop1, joint tests and R² offered (from A and the first pass\'s cells); ranova, step, influence and cAIC listed with the reason; glmer\'s tests not listed', () => {
    const { offered, unavailable } = testsForStream();
    expect(offered.map((s) => s.kind)).toEqual(['drop1', 'jointTests', 'r2']);
    expect(unavailable.map((u) => u.spec.kind)).toEqual(['ranova', 'step', 'influence', 'caic']);
    expect(unavailable.find((u) => u.spec.kind === 'caic')!.reason).toMatch(/^cAIC4's bias correction needs the rows/);
    expect(unavailable.find((u) => u.spec.kind === 'ranova')!.reason).toMatch(/^ranova refits the reduced models, whose Z is built from the rows/);
    expect(unavailable.find((u) => u.spec.kind === 'influence')!.reason).toMatch(/refits the model without each unit's rows, which a stream does not hold/);
    // every lmer test is either offered or listed with its reason: none silently missing
    expect([...offered, ...unavailable.map((u) => u.spec)].map((s) => s.kind).sort()).toEqual(testsFor('lmer').map((s) => s.kind).sort());
    for (const s of offered) expect(streamRefusal(s.kind)).toBeNull();
    for (const u of unavailable) expect(streamRefusal(u.spec.kind)).toBe(u.reason);
    // glmer's tests: a stream fits lmer only
    expect(streamRefusal('waldAnova')).toMatch(/a stream fits lmer only/);
  });

  test('a streamed fit as the worker keeps it: drop1 (both ddf), joint tests (with and without by) and R² are the in-memory fit\'s; ranova, step and influence refused with the reason', async () => {
    const design = readCsv(readFileSync(`${ROOT}test/fixtures/data/sleepstudy_design.csv`, 'utf8')).table;
    const formula = 'Reaction ~ Days * phase + grp + (Days | Subject)';
    // the same start as the stream fit (the moment start backfits over rows, which a stream has not)
    const mem = await lmer(formula, design, { factors: ['Subject'], momentStart: false });
    const { fit: sfit, result } = await streamFit(new Blob([tableToParquet(design, 20)]), 'design.parquet', { formula, factors: ['Subject'], reml: true, batchSize: 7, diagnostics: false, residualQuantiles: false }, { signal: new AbortController().signal, onProgress: () => {} });
    expect(Math.abs(sfit.objective - mem.objective)).toBeLessThan(1e-12 * mem.objective);
    // the card's by choices: the fixed part's factors, from the stream's frame
    expect(result.emmVariables.filter((v) => v.kind === 'factor').map((v) => [v.name, v.levels])).toEqual([['phase', ['early', 'late']], ['grp', ['A', 'B', 'C']]]);
    // 1e-10 relative: the stream's exact A is the in-memory A and its fit the in-memory fit from the same
    // start (1e-12 above); the README's inference from A through a Parquet stream states 1e-10 (worst 0)
    const close = (a: number | null, b: number | null) => {
      if (a === null || b === null) { expect(a).toBe(b); return; }
      expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-10 * Math.abs(b));
    };
    for (const ddf of ['satterthwaite', 'kenward-roger'] as const) {
      const s = await run(sfit, { kind: 'drop1', ddf });
      const m = await run(mem, { kind: 'drop1', ddf });
      expect(s.rows.map((r) => r.term)).toEqual(['grp', 'Days:phase']);
      expect(s.rows.map((r) => r.term)).toEqual(m.rows.map((r) => r.term));
      s.rows.forEach((r, i) => { const w = m.rows[i]!; for (const k of ['sumsq', 'meansq', 'numdf', 'dendf', 'F', 'p'] as const) close(r[k], w[k]); });
      expect(s.text).toBe(m.text);
      expect(s.notes).toEqual(m.notes);
    }
    for (const by of [undefined, 'phase']) {
      const s = await run(sfit, { kind: 'jointTests', ...(by ? { by } : {}) });
      const m = await run(mem, { kind: 'jointTests', ...(by ? { by } : {}) });
      expect(s.ddf).toBe(m.ddf);
      expect(s.rows.map((r) => [r.term, r.by, r.df1, r.note])).toEqual(m.rows.map((r) => [r.term, r.by, r.df1, r.note]));
      s.rows.forEach((r, i) => { const w = m.rows[i]!; close(r.df2, w.df2); close(r.F, w.F); close(r.p, w.p); });
      expect(s.text).toBe(m.text);
    }
    const s2 = await run(sfit, { kind: 'r2' });
    const m2 = await run(mem, { kind: 'r2' });
    close(s2.r2.conditional, m2.r2.conditional);
    close(s2.r2.marginal, m2.r2.marginal);
    for (const k of ['fixed', 'random', 'residual', 'distribution', 'dispersion'] as const) close(s2.r2.components[k], m2.r2.components[k]);
    close(s2.icc!.adjusted, m2.icc!.adjusted);
    close(s2.icc!.unadjusted, m2.icc!.unadjusted);
    expect(s2.byGroup!.map((g) => g.group)).toEqual(['Subject']);
    close(s2.byGroup![0]!.ICC, m2.byGroup![0]!.ICC);
    expect(s2.notes).toEqual(m2.notes);
    expect(s2.text).toBe(m2.text);
    // the tests that need the rows: refused by the worker too, naming the stream and the reason
    await expect(run(sfit, { kind: 'ranova' })).rejects.toThrow(/^lmerTest's ranova is not offered for a fit whose rows are in a stream \(design\.parquet\): ranova refits the reduced models, whose Z is built from the rows/);
    await expect(run(sfit, { kind: 'step', ddf: 'satterthwaite' })).rejects.toThrow(/^lmerTest's step is not offered for a fit whose rows are in a stream \(design\.parquet\): step eliminates random-effects terms by ranova's refits/);
    await expect(run(sfit, { kind: 'influence', groups: 'Subject' })).rejects.toThrow(/^lme4's influence is not offered for a fit whose rows are in a stream \(design\.parquet\): case deletion refits/);
    // a glmer test is refused as for an in-memory lmer fit (it is not an lmer test)
    await expect(run(sfit, { kind: 'waldAnova' })).rejects.toThrow(/car's Anova is offered for glmer fits, not for lmer fit/);
  }, 60_000);
});

describe('the anova table and intervals of a streamed fit as the page asks the worker', () => {
  test('the streamed card\'s intervals: Wald and profile offered (from A), the bootstrap listed with the reason', () => {
    const { offered, unavailable } = confintForStream();
    expect(offered.map((m) => m.method)).toEqual(['wald', 'profile']);
    expect(unavailable.map((u) => u.spec.method)).toEqual(['boot']);
    expect(unavailable[0]!.spec.r).toBe('lme4\'s confint(method = "boot")');
    expect(unavailable[0]!.reason).toMatch(/^each bootstrap replicate simulates a new response for every row .* which needs the rows themselves/);
    // every method the page has is either offered or listed: none silently missing
    expect([...offered, ...unavailable.map((u) => u.spec)].map((m) => m.method).sort()).toEqual(CONFINT_METHODS.map((m) => m.method).sort());
  });

  test('a streamed fit as the worker keeps it: the anova of each type with each ddf, the coefficient table, Wald and profile intervals are the in-memory fit\'s; the bootstrap refused with the reason', async () => {
    const design = readCsv(readFileSync(`${ROOT}test/fixtures/data/sleepstudy_design.csv`, 'utf8')).table;
    const formula = 'Reaction ~ Days * phase + grp + (Days | Subject)';
    // the same start as the stream fit (the moment start backfits over rows, which a stream has not)
    const mem = await lmer(formula, design, { factors: ['Subject'], momentStart: false });
    const { fit: sfit, result } = await streamFit(new Blob([tableToParquet(design, 20)]), 'design.parquet', { formula, factors: ['Subject'], reml: true, batchSize: 7, diagnostics: false, residualQuantiles: false }, { signal: new AbortController().signal, onProgress: () => {} });
    // 1e-10 relative, as the Model tests above: the stream's exact A is the in-memory A and its fit the
    // in-memory fit from the same start; what differs is only where the rows' sums were formed
    let worst = 0;
    const close = (a: number | null, b: number | null, what: string) => {
      if (a === null || b === null) { expect(a, what).toBe(b); return; }
      const rel = Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
      worst = Math.max(worst, rel);
      expect(rel, `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-10);
    };
    for (const ddf of ['satterthwaite', 'kenward-roger'] as const) {
      for (const type of ['I', 'II', 'III'] as const) {
        const s = inferenceTables(sfit, ddf, type);
        const m = inferenceTables(mem, ddf, type);
        expect([s.ddf, s.anovaType]).toEqual([ddf, type]);
        expect(s.anova.map((a) => a.term)).toEqual(['Days', 'phase', 'grp', 'Days:phase']);
        expect(s.anova.map((a) => [a.term, a.numdf])).toEqual(m.anova.map((a) => [a.term, a.numdf]));
        s.anova.forEach((a, i) => { const w = m.anova[i]!; for (const k of ['sumsq', 'meansq', 'dendf', 'F', 'p'] as const) close(a[k], w[k], `${ddf} ${type} ${a.term} ${k}`); });
        expect(s.coefficients.map((c) => c.name)).toEqual(m.coefficients.map((c) => c.name));
        s.coefficients.forEach((c, i) => { const w = m.coefficients[i]!; for (const k of ['se', 'df', 't', 'p'] as const) close(c[k], w[k], `${ddf} ${c.name} ${k}`); });
        expect(s.messages).toEqual(m.messages);
      }
      // the types differ on this model (the test can tell them apart)
      expect(inferenceTables(sfit, ddf, 'I').anova[1]!.F).not.toBeCloseTo(inferenceTables(sfit, ddf, 'III').anova[1]!.F, 3);
    }
    // Wald: the stream's result carries lme4's confint(method = "Wald") of the fixed effects
    const wald = await confintLmm(mem, { method: 'wald' });
    for (const f of result.fixef) {
      close(f.lower, wald.intervals[f.name]![0], `Wald ${f.name} lower`);
      close(f.upper, wald.intervals[f.name]![1], `Wald ${f.name} upper`);
    }
    // the profile, one parameter at a time with progress, as the page runs it
    const progress: string[] = [];
    const ctx = () => ({ signal: new AbortController().signal, onProgress: (p: { done: number; total: number; label: string }) => progress.push(`${p.done}/${p.total} ${p.label}`) });
    const sp = await runConfint(sfit, { method: 'profile' }, ctx());
    expect(progress[0]).toBe('0/10 sd_(Intercept)|Subject');
    expect(progress.at(-1)).toBe('10/10 ');
    const mp = await runConfint(mem, { method: 'profile' }, ctx());
    expect(sp.method).toBe('profile');
    expect(sp.rows.map((r) => r.name)).toEqual(mp.rows.map((r) => r.name));
    // every parameter has its interval (lme4's profile gives all ten here)
    for (const r of sp.rows) expect(r.lower!, r.name).toBeLessThan(r.upper!);
    const profWorst = worst;
    worst = 0;
    sp.rows.forEach((r, i) => { const w = mp.rows[i]!; close(r.lower, w.lower, `profile ${r.name} lower`); close(r.upper, w.upper, `profile ${r.name} upper`); });
    expect(sp.messages).toEqual(mp.messages);
    console.log(`streamed vs in-memory (Node): anova, coefficients and Wald worst ${profWorst}, profile worst ${worst}`);
    // the bootstrap needs the rows: refused by the worker too, naming the stream and the reason
    await expect(runConfint(sfit, { method: 'boot', nsim: 20, seed: 1 }, ctx())).rejects.toThrow(/^lme4's confint\(method = "boot"\) is not offered for a fit whose rows are in a stream \(design\.parquet\): each bootstrap replicate simulates a new response for every row/);
  }, 120_000);
});

test('the address keeps the families the app offers now (negative binomial, Gamma, inverse Gaussian)', () => {
  for (const family of ['negative.binomial', 'Gamma', 'inverse.gaussian'] as const) {
    const s = readUrlState(`?${writeUrlState({ example: 'sleepstudy', family, link: 'log' })}`);
    expect(s.family).toBe(family);
    expect(s.link).toBe('log');
  }
  expect(readUrlState('?family=gamma').family).toBeUndefined();
});

/** sleepstudy with a between-subject factor g: a for the first nine subjects, b for the others */
function withGroup() {
  const subj = sleep.getChild('Subject')!.toArray() as Float64Array;
  const ids = [...new Set(subj)].sort((a, b) => a - b);
  const days = sleep.getChild('Days')!.toArray() as Float64Array;
  const y = sleep.getChild('Reaction')!.toArray() as Float64Array;
  const lines = ['Reaction,Days,Subject,g'];
  for (let i = 0; i < y.length; i++) lines.push(`${y[i]},${days[i]},${subj[i]},${ids.indexOf(subj[i]!) < 9 ? 'a' : 'b'}`);
  return readCsv(lines.join('\n')).table;
}
