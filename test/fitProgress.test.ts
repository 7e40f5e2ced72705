/**
 * The progress callbacks of clmm and zeroInflated (onProgress, as lmer's FitProgress): called after
 * every evaluation of the objective with the count so far, the value, the best so far and the time;
 * the fit with a callback is bit-identical to the fit without (the callback only observes). A callback
 * that is not a function is refused by the options' rules, naming the option.
 * Data: ordinal's wine (test/fixtures/data/wine.csv) and glmmTMB's Salamanders (salamanders.csv).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { OptionError } from '../src/errors/errors.js';
import { clmm } from '../src/ordinal/clmm.js';
import type { ClmmProgress } from '../src/ordinal/fit.js';
import { zeroInflated } from '../src/zeroinfl/zeroInflated.js';
import type { ZeroInflatedProgress } from '../src/zeroinfl/fit.js';

const data = join(import.meta.dirname, 'fixtures', 'data');
const wine = readCsv(readFileSync(join(data, 'wine.csv'), 'utf8')).table;
const salamanders = readCsv(readFileSync(join(data, 'salamanders.csv'), 'utf8')).table;

/** every report: feval 1, 2, 3, … (one per evaluation), best the running minimum of the values, time not decreasing */
function checkReports(reports: (ClmmProgress | ZeroInflatedProgress)[], evaluations: number): void {
  expect(reports.length).toBe(evaluations);
  let best = Infinity;
  let t = 0;
  reports.forEach((p, k) => {
    expect(p.feval).toBe(k + 1);
    best = Math.min(best, p.objective);
    expect(p.best).toBe(best);
    expect(p.elapsedMs).toBeGreaterThanOrEqual(t);
    t = p.elapsedMs;
  });
}

describe('clmm onProgress', () => {
  it('is called once per evaluation, and the fit is unchanged', async () => {
    const formula = 'rating ~ temp + contact + (1 | judge)';
    const plain = await clmm(formula, wine, { factors: ['judge'] });
    const reports: ClmmProgress[] = [];
    const watched = await clmm(formula, wine, { factors: ['judge'], onProgress: (p) => reports.push({ ...p }) });
    checkReports(reports, watched.evaluations);
    expect(watched.evaluations).toBe(plain.evaluations);
    expect([...watched.par]).toEqual([...plain.par]);
    expect(watched.logLik).toBe(plain.logLik);
    expect(watched.coefficients).toEqual(plain.coefficients);
    expect(watched.thresholdTable).toEqual(plain.thresholdTable);
    // the optimum's value is among the reports: the best is the fit's −logLik (the fit's value is evaluated
    // again at x̂ after the optimizer, from another starting point of the inner Newton iteration: 1e-12 relative)
    expect(Math.abs(reports.at(-1)!.best + plain.logLik) / Math.abs(plain.logLik)).toBeLessThan(1e-12);
  });

  it('refuses a callback that is not a function', async () => {
    await expect(clmm('rating ~ temp + (1 | judge)', wine, { factors: ['judge'], onProgress: 'yes' as never })).rejects.toThrow(OptionError);
    await expect(clmm('rating ~ temp + (1 | judge)', wine, { factors: ['judge'], onProgress: 'yes' as never })).rejects.toThrow(/onProgress/);
  });
});

describe('zeroInflated onProgress', () => {
  it('is called once per evaluation, and the fit is unchanged (ZIP, Salamanders)', async () => {
    const formula = 'count ~ mined + (1 | site)';
    const opts = { family: 'poisson' as const, ziformula: '~ mined' };
    const plain = await zeroInflated(formula, salamanders, opts);
    const reports: ZeroInflatedProgress[] = [];
    const watched = await zeroInflated(formula, salamanders, { ...opts, onProgress: (p) => reports.push({ ...p }) });
    checkReports(reports, watched.evaluations);
    expect(watched.evaluations).toBe(plain.evaluations);
    expect([...watched.par]).toEqual([...plain.par]);
    expect(watched.logLik).toBe(plain.logLik);
    expect(watched.cond).toEqual(plain.cond);
    expect(watched.zi).toEqual(plain.zi);
    expect([...watched.vcov]).toEqual([...plain.vcov]);
    // the best report is the optimum (its value evaluated again at x̂ from other modes: 1e-12 relative)
    expect(Math.abs(reports.at(-1)!.best - plain.objective) / plain.objective).toBeLessThan(1e-12);
  });

  it('refuses a callback that is not a function', async () => {
    await expect(zeroInflated('count ~ mined + (1 | site)', salamanders, { family: 'poisson', ziformula: '~ 1', onProgress: 42 as never })).rejects.toThrow(/onProgress/);
  });
});
