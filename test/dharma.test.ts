/**
 * DHARMa's residual diagnostics (src/diagnostics/) against DHARMa 0.5.0's own R code
 * (test/oracle/dharma.R, which sources it from the package's git sources and runs it on OUR simulations,
 * test/fixtures/dharma/<case>.json from test/oracle/exportDharmaSimulations.ts; fixture
 * test/fixtures/dharma/dharma.json). Cases: cbpp (binomial glmer), Poisson glmers of overdispersed and of
 * zero-inflated counts (test/oracle/dharma_data.R), sleepstudy (lmer, 100 simulations) and Dyestuff
 * (lmer, unconditional simulations).
 *
 * Tolerances: the scaled residuals within 1e-12 of DHARMa's getQuantile given the same simulations and
 * the same uniforms (R's runif replaced by ours), its PIT bounds exactly (ratios of counts); the tests'
 * statistics and p-values within 1e-10 (relative to max(1, |value|)); the bootstrap's outlier test with R's
 * sample() replaced by our resamples. The fit stage (fit.simulateResiduals) reproduces the fixture's
 * simulations: counts exactly, an lmer's responses within 1e-9 relative (the fit's optimum, not the
 * draws, is what may move in the last digits between versions).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { glmer } from '../src/fit/glmer.js';
import { lmer } from '../src/fit/lmer.js';
import { lmerFromGram } from '../src/gram/fit.js';
import { gramFromStream } from '../src/gram/stream/streamSource.js';
import { openBatchSource } from '../src/gram/stream/node.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import { ModelError, OptionError, DataError } from '../src/errors/errors.js';
import { createDharma, type DharmaResiduals } from '../src/diagnostics/dharma.js';
import { printDharma, testDispersion, testOutliers, testUniformity, testZeroInflation } from '../src/diagnostics/dharmaTests.js';
import { recalculateResiduals } from '../src/diagnostics/recalculate.js';
import { simulateResidualsAsync } from '../src/diagnostics/simulateResiduals.js';
import { printHTest } from '../src/diagnostics/htest.js';
import { dharmaPlotData, rankTransform } from '../src/diagnostics/plotData.js';
import { ksTestUniform } from '../src/stats/ksTest.js';
import { binomTestP } from '../src/stats/binomTest.js';
import { type DharmaArgs, runDharma } from '../src/cli/dharmaCommand.js';
import { buildProgram, main } from '../src/cli/program.js';
import { DHARMA_CASES, type DharmaCase, fitDharmaCase } from './oracle/dharmaCases.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const dir = join(fixtures, 'dharma');
const read = <T = any>(f: string): T => JSON.parse(readFileSync(join(dir, f), 'utf8'));
const table = (f: string) => readCsv(readFileSync(join(fixtures, 'data', f), 'utf8')).table;

interface Exported {
  case: DharmaCase; nObs: number; nSim: number; integerResponse: boolean;
  observed: number[]; fitted: number[]; uniforms: number[]; residuals: number[];
  simulated: number[][]; boot: number[][] | null; group: string[] | null;
}
interface RTest { statistic: number; p_value: number; method: string; parameter: number | null; estimate: number | null; estimate_name: string | null; conf_int: number[] | null; exact?: boolean }
const R = read<Record<string, any>>('dharma.json');

/** |a − b| ≤ tol · max(1, |b|) (R's NaN arrives as the string "NaN" from jsonlite) */
const close = (a: number, b: number, tol: number) => {
  // both NaN: the zero-inflation ratio of a continuous response (0 zeros over 0 expected), in R too
  if (Number.isNaN(a) && (b === null || (b as unknown) === 'NaN')) return;
  if (!(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)))) throw new Error(`${a} vs R's ${b} (tolerance ${tol})`);
};
const TOL = 1e-10;

function fromFixture(e: Exported): DharmaResiduals {
  return createDharma(e.simulated.map((s) => Float64Array.from(s)), Float64Array.from(e.observed), Float64Array.from(e.fitted), e.integerResponse, e.case.seed);
}

function checkTest(ours: { statistic: { value: number }; pValue: number; method: string; parameter?: { value: number }; estimate?: { name: string; value: number }; confInt?: { lower: number; upper: number } }, r: RTest) {
  expect(ours.method).toBe(r.method);
  close(ours.statistic.value, r.statistic, TOL);
  close(ours.pValue, r.p_value, TOL);
  if (r.parameter !== null) expect(ours.parameter?.value).toBe(r.parameter);
  if (r.estimate !== null) {
    close(ours.estimate!.value, r.estimate, TOL);
    expect(ours.estimate!.name).toBe(r.estimate_name);
  }
  if (r.conf_int !== null) {
    close(ours.confInt!.lower, r.conf_int[0], TOL);
    close(ours.confInt!.upper, r.conf_int[1], TOL);
  }
}

describe.each(DHARMA_CASES.map((c) => [c.name, c] as const))('DHARMa 0.5.0 on our simulations: %s', (name) => {
  const e = read<Exported>(`${name}.json`);
  const r = R[name];
  const d = fromFixture(e);

  it('scaled residuals: DHARMa\'s PIT given the same simulations and uniforms; the bounds exactly', () => {
    expect(d.nObs).toBe(e.nObs);
    expect(d.nSim).toBe(e.nSim);
    for (let i = 0; i < d.nObs; i++) {
      expect(d.lower[i]).toBe(r.lower[i]);
      expect(d.upper[i]).toBe(r.upper[i]);
      close(d.scaledResiduals[i], r.residuals[i], 1e-12);
      expect(d.scaledResiduals[i]).toBeGreaterThanOrEqual(d.lower[i]);
      expect(d.scaledResiduals[i]).toBeLessThanOrEqual(d.upper[i]);
      // where the PIT is not randomized the residual is the ECDF below y, a multiple of 1/nSim
      if (d.lower[i] === d.upper[i]) expect(d.scaledResiduals[i]).toBe(d.lower[i]);
    }
    // an integer response has randomized residuals; a continuous one none
    if (e.integerResponse) expect(d.randomized).toBeGreaterThan(0);
    else expect(d.randomized).toBe(0);
    // the exported residuals are these (the fixture's residuals were written by the same code)
    expect(Array.from(d.scaledResiduals)).toEqual(e.residuals);
  });

  it('testUniformity (ks.test, each alternative; exact or asymptotic as R chooses)', () => {
    for (const alt of ['two.sided', 'less', 'greater'] as const) {
      const t = testUniformity(d, { alternative: alt });
      checkTest(t, r[`uniformity_${alt}`]);
      expect(t.exact).toBe(r[`uniformity_${alt}`].exact);
    }
  });

  it('testDispersion and testZeroInflation (each alternative)', () => {
    for (const alt of ['two.sided', 'greater', 'less'] as const) {
      checkTest(testDispersion(d, { alternative: alt }), r[`dispersion_${alt}`]);
      checkTest(testZeroInflation(d, { alternative: alt }), r[`zeroinflation_${alt}`]);
    }
  });

  it('testOutliers, binomial (each margin and alternative) and, for counts, the bootstrap (each margin)', () => {
    for (const alt of ['two.sided', 'greater', 'less'] as const) {
      for (const margin of ['both', 'upper', 'lower'] as const) {
        const t = testOutliers(d, { type: 'binomial', alternative: alt, margin });
        expect(t.type).toBe('binomial');
        checkTest(t, r[`outliers_binomial_${margin}_${alt}`]);
      }
    }
    if (e.integerResponse) {
      for (const margin of ['both', 'upper', 'lower'] as const) {
        const t = testOutliers(d, { type: 'bootstrap', margin });
        checkTest(t, r[`outliers_bootstrap_${margin}`]);
      }
      // DHARMa's default for counts of at most 500 observations is the bootstrap (salamanders: 644, binomial)
      expect(testOutliers(d).type).toBe(e.nObs > 500 ? 'binomial' : 'bootstrap');
    } else expect(testOutliers(d).type).toBe('binomial');
  });

  it('print.htest and print.DHARMa lines', () => {
    expect(printHTest(testUniformity(d))).toEqual(r.printed.uniformity);
    expect(printHTest(testDispersion(d))).toEqual(r.printed.dispersion);
    expect(printHTest(testOutliers(d, { type: 'binomial' }))).toEqual(r.printed.outliers);
    expect(printDharma(d)).toEqual(r.printed.dharma);
  });

  it('the plots\' data: rankTransform of the predictions, the QQ points', () => {
    const rk = rankTransform(d.fittedPredictedResponse);
    for (let i = 0; i < d.nObs; i++) close(rk[i], r.rank[i], 1e-15);
    const p = dharmaPlotData(d.scaledResiduals, d.fittedPredictedResponse);
    const sorted = Array.from(d.scaledResiduals).sort((a, b) => a - b);
    p.qq.forEach((q, i) => { expect(q.expected).toBe((i + 1) / (d.nObs + 1)); expect(q.observed).toBe(sorted[i]); });
    expect(p.residualsVsPredicted.filter((x) => x.outlier).length).toBe(Array.from(d.scaledResiduals).filter((v) => v === 0 || v === 1).length);
  });

  if (e.group) {
    it('recalculateResiduals by group (sums per group), its uniformity and dispersion tests', () => {
      const g = recalculateResiduals(d, e.group!);
      const rr = r.recalculated;
      expect(g.groups).toEqual(rr.levels);
      g.observedResponse.forEach((v, k) => close(v, rr.observed[k], 1e-12));
      g.fittedPredictedResponse.forEach((v, k) => close(v, rr.fitted[k], 1e-12));
      g.scaledResiduals.forEach((v, k) => close(v, rr.residuals[k], 1e-12));
      checkTest(testUniformity(g), rr.uniformity);
      checkTest(testDispersion(g), rr.dispersion);
      expect(printDharma(g)).toEqual(rr.printed);
    });
  }

  it('fit.simulateResiduals reproduces the fixture\'s simulations, observed and fitted responses', async () => {
    const c = e.case;
    const data = table(c.data);
    const fit = await fitDharmaCase(c, data);
    await new Promise((res) => setTimeout(res, 0));
    const ours = fit.simulateResiduals({ nsim: c.nsim, seed: c.seed, ...(c.simulateREs ? { simulateREs: c.simulateREs } : {}) });
    expect(ours.integerResponse).toBe(e.integerResponse);
    const tol = e.integerResponse ? 0 : 1e-9;
    const same = (a: ArrayLike<number>, b: number[]) => { for (let i = 0; i < b.length; i++) close(a[i], b[i], tol === 0 ? 0 : tol); };
    same(ours.observedResponse, e.observed);
    ours.fittedPredictedResponse.forEach((v, i) => close(v, e.fitted[i], 1e-9));
    ours.simulatedResponse.forEach((s, k) => { if (tol === 0) expect(Array.from(s)).toEqual(e.simulated[k]); else same(s, e.simulated[k]); });
    if (e.integerResponse) expect(Array.from(ours.scaledResiduals)).toEqual(e.residuals);
  }, 60_000);
});

describe('responses as DHARMa reads them', () => {
  it('a binomial given as proportions with the trials as weights: the same counts, simulations and residuals as cbind', async () => {
    const cb = table('cbpp.csv');
    const inc = cb.getChild('incidence')!.toArray() as Float64Array, size = cb.getChild('size')!.toArray() as Float64Array;
    const prop = readCsv(['herd,prop,size,period', ...Array.from({ length: cb.numRows }, (_, i) => `${cb.getChild('herd')!.get(i)},${inc[i] / size[i]},${size[i]},${cb.getChild('period')!.get(i)}`)].join('\n')).table;
    const a = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', cb, { family: 'binomial', factors: ['period', 'herd'] });
    const b = await glmer('prop ~ period + (1 | herd)', prop, { family: 'binomial', weights: 'size', factors: ['period', 'herd'] });
    const da = a.simulateResiduals({ nsim: 60 }), db = b.simulateResiduals({ nsim: 60 });
    expect(Array.from(db.observedResponse)).toEqual(Array.from(inc));
    db.simulatedResponse.forEach((s, r) => expect(Array.from(s)).toEqual(Array.from(da.simulatedResponse[r])));
    expect(Array.from(db.scaledResiduals)).toEqual(Array.from(da.scaledResiduals));
    // every simulated count is a whole number of successes out of the row's trials
    for (const s of db.simulatedResponse) s.forEach((k, i) => { expect(Number.isInteger(k)).toBe(true); expect(k).toBeLessThanOrEqual(size[i]); });
  }, 60_000);

  it("rows dropped for missing values have no residual (na.omit and na.exclude alike); a negative binomial fit's counts", async () => {
    const na = table('sleepstudy_na.csv');
    const f = await lmer('Reaction ~ Days + (Days | Subject)', na, { factors: ['Subject'], naAction: 'exclude' });
    const d = f.simulateResiduals({ nsim: 30 });
    expect(d.nObs).toBe(f.nobs);
    expect(d.nObs).toBeLessThan(na.numRows);
    expect(Array.from(d.scaledResiduals).every((v) => v >= 0 && v <= 1)).toBe(true);
    const od = table('dharma_overdispersed.csv');
    const nb = await glmer('y ~ x + (1 | g)', od, { family: 'negative.binomial', factors: ['g'] });
    const dn = nb.simulateResiduals({ nsim: 100 });
    expect(dn.integerResponse).toBe(true);
    expect(dn.simulatedResponse.every((s) => s.every((k) => Number.isInteger(k) && k >= 0))).toBe(true);
    // the negative binomial fit takes in the overdispersion the Poisson fit shows (its test rejects: above)
    expect(testDispersion(dn).pValue).toBeGreaterThan(0.05);
  }, 60_000);
});

describe('simulateResidualsAsync: the simulations in chunks, with progress and Cancel', () => {
  it('equals simulateResiduals bit for bit whatever the chunk; reports each chunk; an abort stops it between chunks', async () => {
    const cb = table('cbpp.csv');
    const fit = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', cb, { family: 'binomial', factors: ['period', 'herd'] });
    const sync = fit.simulateResiduals({ nsim: 25, seed: 7 });
    const seen: number[] = [];
    const chunked = await simulateResidualsAsync(fit, { nsim: 25, seed: 7, chunk: 4, onProgress: (k, n) => { expect(n).toBe(25); seen.push(k); } });
    expect(seen).toEqual([4, 8, 12, 16, 20, 24, 25]);
    expect(Array.from(chunked.scaledResiduals)).toEqual(Array.from(sync.scaledResiduals));
    chunked.simulatedResponse.forEach((s, r) => expect(Array.from(s)).toEqual(Array.from(sync.simulatedResponse[r])));
    const whole = await simulateResidualsAsync(fit, { nsim: 25, seed: 7 });
    expect(Array.from(whole.scaledResiduals)).toEqual(Array.from(sync.scaledResiduals));
    const ac = new AbortController();
    const stopped: number[] = [];
    await expect(simulateResidualsAsync(fit, { nsim: 25, seed: 7, chunk: 4, signal: ac.signal, onProgress: (k) => { stopped.push(k); if (k === 8) ac.abort(); } }))
      .rejects.toMatchObject({ name: 'AbortError' });
    expect(stopped).toEqual([4, 8]);
    await expect(simulateResidualsAsync(fit, { nsim: 25, chunk: 0 })).rejects.toBeInstanceOf(OptionError);
  }, 60_000);
});

describe('what the cases show', () => {
  const d = (name: string) => fromFixture(read<Exported>(`${name}.json`));
  it('the overdispersed Poisson fit fails the dispersion test; the zero-inflated one the zero-inflation test', () => {
    const od = testDispersion(d('overdispersed'));
    expect(od.statistic.value).toBeGreaterThan(1.5);
    expect(od.pValue).toBeLessThan(0.01);
    const zi = testZeroInflation(d('zip'));
    expect(zi.statistic.value).toBeGreaterThan(1.5);
    expect(zi.pValue).toBeLessThan(0.01);
    // cbpp's binomial fit passes both
    expect(testDispersion(d('cbpp')).pValue).toBeGreaterThan(0.05);
    expect(testZeroInflation(d('cbpp')).pValue).toBeGreaterThan(0.05);
  });
});

describe('pieces against R values', () => {
  it("ks.test's branches: exact two-sided and one-sided, asymptotic, ties", () => {
    // R 4.2.2 (options(digits = 17)): ks.test(c(0.1, 0.25, 0.4, 0.42, 0.9), "punif", alternative)
    const x = [0.1, 0.25, 0.4, 0.42, 0.9];
    const a = ksTestUniform(x);
    expect(a.exact).toBe(true);
    close(a.statistic, 0.38, 1e-15);
    close(a.pValue, 0.36661811199999994, TOL);
    close(ksTestUniform(x, 'less').pValue, 0.85358999999999985, TOL);
    close(ksTestUniform(x, 'greater').pValue, 0.18375598719999997, TOL);
    // a value with ties: asymptotic (R warns), ks.test(c(0.1, 0.1, 0.5, 0.7), "punif")
    const b = ksTestUniform([0.1, 0.1, 0.5, 0.7]);
    expect(b.exact).toBe(false);
    expect(b.ties).toBe(true);
    close(b.statistic, 0.4, 1e-15);
    close(b.pValue, 0.54414250308288747, TOL);
  });
  it('ks.test at n = 99 (exact: the matrix power of Marsaglia, Tsang and Wang) and n = 150 (asymptotic, both series)', () => {
    // R 4.2.2 (options(digits = 17)): ks.test(x, "punif", alternative)$statistic, $p.value
    const seq = (n: number, m: number, pow: number) => Array.from({ length: n }, (_, i) => ((i + 1) / m) ** pow);
    const cases: [number[], string, boolean, number, number][] = [
      [seq(99, 100, 1.3), 'two.sided', true, 0.10052601741625065, 0.25238173838824285],
      [seq(99, 100, 1.3), 'less', true, 0.0025118864315095799, 0.99678801137347861],
      [seq(99, 100, 1.3), 'greater', true, 0.10052601741625065, 0.12643380109022384],
      [seq(99, 100, 1.05), 'two.sided', true, 0.022164347674704481, 0.99999999806363138],
      [seq(99, 100, 1.05), 'less', true, 0.0079432823472428138, 0.98275205789788944],
      [seq(99, 100, 1.05), 'greater', true, 0.022164347674704481, 0.89423361664204126],
      [seq(150, 151, 0.8), 'two.sided', false, 0.08643780062564449, 0.21235351984292605],
      [seq(150, 151, 0.8), 'less', false, 0.08643780062564449, 0.10630446262450269],
      [seq(150, 151, 0.8), 'greater', false, 0.0053015311914263582, 0.99160357862045556],
      // √n D = 2.14 (the alternating series) and 0.85 (the Jacobi form)
      [seq(150, 151, 1.6), 'two.sided', false, 0.17439026740717439, 0.00021812496415385407],
      [seq(150, 151, 1.2), 'two.sided', false, 0.069703076926886223, 0.45973913940752265],
    ];
    for (const [x, alt, exact, stat, p] of cases) {
      const k = ksTestUniform(x, alt as 'two.sided');
      expect(k.exact).toBe(exact);
      close(k.statistic, stat, 1e-14);
      close(k.pValue, p, TOL);
    }
  });
  it("binom.test's two-sided p-value", () => {
    // R 4.2.2: binom.test(3, 56, 2/251)$p.value, binom.test(0, 10, 0.5, alternative = "less")$p.value
    close(binomTestP(3, 56, 2 / 251), 0.010241619148932729, TOL);
    close(binomTestP(0, 10, 0.5, 'less'), 0.00097656250000000022, TOL);
    expect(binomTestP(5, 10, 0.5)).toBe(1);
  });
});

describe('bad input', () => {
  const cbpp = table('cbpp.csv');
  it('nsim below 2 or not a whole number; unknown options; refit', async () => {
    const fit = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', cbpp, { family: 'binomial', factors: ['period', 'herd'] });
    for (const nsim of [1, 0, 2.5, -3, '10', Number.NaN]) {
      expect(() => fit.simulateResiduals({ nsim: nsim as never })).toThrow(OptionError);
      expect(() => fit.simulateResiduals({ nsim: nsim as never })).toThrow(/nsim must be a whole number of simulations, at least 2/);
    }
    expect(() => fit.simulateResiduals({ nsims: 10 } as never)).toThrow(/unknown option 'nsims' \(did you mean 'nsim'\?\)/);
    expect(() => fit.simulateResiduals({ refit: true })).toThrow(/refit = TRUE .* is not supported/);
    expect(() => fit.simulateResiduals({ simulateREs: 'unconditional', useU: true })).toThrow(/contradicts/);
    expect(() => fit.simulateResiduals({ simulateREs: 'all' as never })).toThrow(OptionError);
    const dd = fit.simulateResiduals({ nsim: 20 });
    expect(() => testOutliers(dd, { margin: 'top' as never })).toThrow(/margin must be one of 'both', 'upper', 'lower'/);
    expect(() => testOutliers(dd, { type: 'exact' as never })).toThrow(OptionError);
    expect(() => testOutliers(dd, { nBoot: 0 })).toThrow(/nBoot must be a whole number/);
    expect(() => testDispersion(dd, { alternative: 'two-sided' as never })).toThrow(/alternative must be one of 'two.sided', 'greater', 'less'/);
    expect(() => testUniformity(dd, { alternative: 'bigger' as never })).toThrow(OptionError);
    expect(() => recalculateResiduals(dd, ['a', 'b'])).toThrow(DataError);
    expect(() => recalculateResiduals(dd, ['a', 'b'])).toThrow(/the group has 2 values, the residuals 56/);
    // nBoot above nsim is lowered to nsim with DHARMa's message
    const t = testOutliers(dd, { type: 'bootstrap', nBoot: 50 });
    expect(t.bootstrap!.nBoot).toBe(20);
    expect(t.messages[0]).toMatch(/nBoot > nSim/);
  }, 60_000);

  it('Gamma and inverse Gaussian glmer fits (their responses are not simulated)', async () => {
    for (const [name, family] of [['gamma_log', 'Gamma'], ['ig_log', 'inverse.gaussian']] as const) {
      const ref = JSON.parse(readFileSync(join(fixtures, 'gamma', `${name}.json`), 'utf8'));
      const data = readCsv(readFileSync(join(fixtures, 'gamma', ref.data), 'utf8')).table;
      const fit = await glmer(ref.formula, data, { family, link: 'log', factors: ['g', 'h'] });
      expect(() => fit.simulateResiduals()).toThrow(ModelError);
      expect(() => fit.simulateResiduals()).toThrow(new RegExp(`simulateResiduals: a ${family} GLMM's response cannot be simulated here`));
    }
  }, 60_000);

  it('a fit whose rows are in an engine (the stream)', async () => {
    const src = await openBatchSource(join(fixtures, 'data', 'sleepstudy.csv'));
    let fit: LmmFit;
    try { fit = await lmerFromGram(await gramFromStream(src, 'Reaction ~ Days + (Days | Subject)', { batchSize: 50, factors: ['Subject'] })); } finally { await src.close(); }
    expect(() => fit.simulateResiduals()).toThrow(ModelError);
    expect(() => fit.simulateResiduals()).toThrow(/simulateResiduals: not available for this fit, whose rows are in a stream/);
  }, 60_000);

  it('createDharma: too few simulations or observations, NaN, mismatched lengths', () => {
    const sims = [Float64Array.of(1, 2, 3), Float64Array.of(2, 3, 4)];
    expect(() => createDharma([sims[0]], Float64Array.of(1, 2, 3), null, false, 1)).toThrow(/at least 2 simulations/);
    expect(() => createDharma(sims, Float64Array.of(1, 2), null, false, 1)).toThrow(/at least 3 observations/);
    expect(() => createDharma(sims, Float64Array.of(1, Number.NaN, 3), null, false, 1)).toThrow(/NaN at observation 2/);
    expect(() => createDharma([sims[0], Float64Array.of(1, 2)], Float64Array.of(1, 2, 3), null, false, 1)).toThrow(/simulation 2 has 2 values/);
  });
});

describe('CLI: mixedgpu dharma', () => {
  const run = async (args: DharmaArgs) => {
    const out: string[] = [], err: string[] = [];
    const code = await runDharma(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
    return { code, out: out.join(''), err: err.join('') };
  };
  const e = read<Exported>('cbpp.json');
  const file = join(fixtures, 'data', 'cbpp.csv');

  it('the printout: print.DHARMa and the tests, as the library gives them (R\'s lines where the oracle printed them)', async () => {
    const r = await run({ file, formula: e.case.formula, family: 'binomial', factors: 'period,herd', outlierType: 'binomial' });
    expect(r.code).toBe(0);
    const d = fromFixture(e);
    const lines = r.out.split('\n');
    expect(lines.slice(0, 3)).toEqual(R.cbpp.printed.dharma);
    const text = r.out;
    for (const block of [R.cbpp.printed.uniformity, R.cbpp.printed.dispersion, R.cbpp.printed.outliers]) expect(text).toContain((block as string[]).join('\n'));
    expect(text).toContain(printHTest(testZeroInflation(d)).join('\n'));
  }, 60_000);

  it('JSON: residuals, tests, plot data; --group, --nsim, --seed, --unconditional reach the library', async () => {
    const r = await run({ file, formula: e.case.formula, family: 'binomial', factors: 'period,herd', json: true, nsim: '40', seed: '5', group: 'herd', unconditional: true });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    const fit = await glmer(e.case.formula, table('cbpp.csv'), { family: 'binomial', factors: ['period', 'herd'] });
    const d = fit.simulateResiduals({ nsim: 40, seed: 5, simulateREs: 'unconditional' });
    expect(j.nSim).toBe(40);
    expect(j.simulateREs).toBe('unconditional');
    expect(j.scaledResiduals).toEqual(Array.from(d.scaledResiduals));
    expect(j.tests.uniformity.p_value).toBe(testUniformity(d).pValue);
    expect(j.tests.outliers.p_value).toBe(testOutliers(d).pValue);
    expect(j.plot.qq).toHaveLength(56);
    expect(j.plot.asFactor).toBe(true);
    const herd = Array.from({ length: 56 }, (_, i) => String(table('cbpp.csv').getChild('herd')!.get(i)));
    expect(j.grouped.scaledResiduals).toEqual(Array.from(recalculateResiduals(d, herd).scaledResiduals));
    expect(j.grouped.groups).toHaveLength(15);
  }, 60_000);

  it('is a command of the program: its options reach runDharma', async () => {
    const cmd = buildProgram().commands.find((c) => c.name() === 'dharma')!;
    expect(cmd.options.find((x) => x.long === '--outlier-type')!.attributeName()).toBe('outlierType');
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((t: string | Uint8Array) => { written.push(String(t)); return true; });
    try {
      await main(['node', 'mixedgpu', 'dharma', file, e.case.formula, '--family', 'binomial', '--factors', 'period,herd', '--nsim', '30', '--seed', '9', '--outlier-type', 'binomial', '--unconditional', '--json', '--quiet']);
    } finally { spy.mockRestore(); }
    expect(process.exitCode ?? 0).toBe(0);
    const j = JSON.parse(written.join(''));
    expect([j.nSim, j.seed, j.simulateREs, j.tests.outliers.method]).toEqual([30, 9, 'unconditional', 'DHARMa outlier test based on exact binomial test with approximate expectations']);
  }, 60_000);

  it('bad arguments: --nsim 1 or not whole, --outlier-type, --group, a Gamma fit', async () => {
    for (const nsim of ['1', '2.5', 'ten']) {
      const r = await run({ file, formula: e.case.formula, family: 'binomial', factors: 'period,herd', nsim });
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/--nsim must be/);
    }
    const t = await run({ file, formula: e.case.formula, family: 'binomial', factors: 'period,herd', outlierType: 'exact' });
    expect(t.err).toMatch(/unknown --outlier-type 'exact' \(choose default, bootstrap, binomial\)/);
    const g = await run({ file, formula: e.case.formula, family: 'binomial', factors: 'period,herd', group: 'farm' });
    expect(g.code).toBe(1);
    expect(g.err).toMatch(/--group: no column 'farm' in the data \(columns: herd, incidence, size, period\)/);
  }, 60_000);
});
