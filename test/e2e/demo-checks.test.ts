/**
 * The browser app's Model checks card, in Node (no browser): what the card offers for a fit
 * (demo/src/modelChecksRun.ts modelChecksSetup: the grouping factors, a count model or not, the library's
 * refusal of the simulations), the worker's DHARMa run — equal to the library's simulateResiduals and
 * tests of the same fit with the same nsim, seed and random effects (exact: the same code on the same
 * fit) —, its per-group residuals (recalculateResiduals), progress and Cancel, performance's checks equal
 * to the library's methods with its refusals as notes, the card's request with each bad field named, its
 * tables, the QQ plot's legend as DHARMa writes it, the CSVs, and the card's state in the address.
 * The same for a zero-inflated fit (the card in the zero-inflated results section): Salamanders' ZIP, whose
 * residuals and four tests (testZeroInflation included) equal the fit's own simulateResiduals exactly, and
 * whose performance checks are the fit's checkOverdispersion and checkZeroinflation, with the checks the
 * library does not do for it as notes (model_performance's with the library's own message).
 * DHARMa's and performance's numbers themselves are checked against R in test/dharma.test.ts,
 * test/modelChecks.test.ts and test/zeroinflChecks.test.ts; this file checks that the card shows the library's.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { glmer, lmer, readCsv, zeroInflated, type GlmmFit, type LmmFit, type ZeroInflatedFit } from '../../src/index.js';
import { printDharma, testDispersion, testOutliers, testUniformity, testZeroInflation } from '../../src/diagnostics/dharmaTests.js';
import { printHTest } from '../../src/diagnostics/htest.js';
import { recalculateResiduals } from '../../src/diagnostics/recalculate.js';
import { dharmaPlotData } from '../../src/diagnostics/plotData.js';
import { ZI_UNCHECKED, modelChecksSetup, runDharma, runPerformanceChecks, type DharmaContext } from '../../demo/src/modelChecksRun.js';
import { describeZeroInflated } from '../../demo/src/zeroinfl.js';
import {
  ChecksFieldError, MAX_PLOT_POINTS, MAX_SIMULATED_VALUES, checksTable, collinearityTable, dharmaRequest, dharmaResidualsCsv, dharmaTestsTable,
  groupedResidualsCsv, pasteRounded, performanceTable, qqLegends, qqPoints, residualPoints, spread, type DharmaFields,
} from '../../demo/src/modelChecks.js';
import { testTableCsv } from '../../demo/src/modelTests.js';
import type { DharmaRequest } from '../../demo/src/protocol.js';
import { readUrlState, writeUrlState } from '../../demo/src/urlState.js';
import { streamFit } from '../../demo/src/stream.js';
import { tableToParquet } from '../helpers/parquetFile.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const csvTable = (name: string) => readCsv(readFileSync(`${ROOT}test/fixtures/data/${name}`, 'utf8')).table;
const sleep = csvTable('sleepstudy.csv');

const ctx = (signal = new AbortController().signal): DharmaContext & { reports: { done: number; total: number; label: string }[] } => {
  const reports: { done: number; total: number; label: string }[] = [];
  return { signal, onProgress: (p) => reports.push(p), reports };
};
const fields = (over: Partial<DharmaFields> = {}): DharmaFields => ({ nsim: '250', seed: '123', simulateREs: 'conditional', group: '', ...over });
const request = (over: Partial<DharmaRequest> = {}): DharmaRequest => ({ nsim: 60, seed: 7, simulateREs: 'conditional', group: null, ...over });

describe('Model checks card (worker logic)', () => {
  let fit: LmmFit;
  let gfit: GlmmFit;
  let pfit: GlmmFit;
  beforeAll(async () => {
    fit = await lmer('Reaction ~ Days + (Days | Subject)', sleep, { factors: ['Subject'] });
    gfit = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', csvTable('cbpp.csv'), { family: 'binomial', factors: ['herd', 'period'] });
    pfit = await glmer('y ~ x + (1 | g)', csvTable('dharma_zip.csv'), { family: 'poisson', factors: ['g'] });
  }, 120_000);

  test('setup: the grouping factors, a count model or not, the observations; a Gamma fit\'s simulations refused with the library\'s message', async () => {
    expect(modelChecksSetup(fit)).toEqual({ dharmaRefusal: null, countModel: false, groups: ['Subject'], nobs: 180, model: 'lme4' });
    expect(modelChecksSetup(gfit)).toEqual({ dharmaRefusal: null, countModel: false, groups: ['herd'], nobs: 56, model: 'lme4' });
    expect(modelChecksSetup(pfit)).toMatchObject({ dharmaRefusal: null, countModel: true, groups: ['g'], model: 'lme4' });
    const gamma = await glmer('Reaction ~ Days + (1 | Subject)', sleep, { family: 'Gamma', link: 'log', factors: ['Subject'] });
    await new Promise((r) => setTimeout(r, 0));
    const s = modelChecksSetup(gamma);
    let libraryMessage = '';
    try { gamma.simulateResiduals(); } catch (e) { libraryMessage = (e as Error).message; }
    expect(libraryMessage).toMatch(/^simulateResiduals: a Gamma GLMM's response cannot be simulated/);
    expect(s.dharmaRefusal).toBe(libraryMessage);
    expect(() => dharmaRequest(fields(), s)).toThrow(ChecksFieldError);
    expect(() => dharmaRequest(fields(), s)).toThrow(/^simulated residuals are not available for this fit: simulateResiduals: a Gamma GLMM/);
    // a gaussian glmer (a non-identity link): refused up front too, with the library's message
    const glog = await glmer('Reaction ~ Days + (1 | Subject)', sleep, { family: 'gaussian', link: 'log', factors: ['Subject'] });
    let gaussMessage = '';
    try { glog.simulateResiduals(); } catch (e) { gaussMessage = (e as Error).message; }
    expect(gaussMessage).toMatch(/^simulateResiduals: a gaussian GLMM's response cannot be simulated/);
    expect(modelChecksSetup(glog).dharmaRefusal).toBe(gaussMessage);
  });

  test('lmer: the worker\'s DHARMa run equals the library\'s simulateResiduals and tests, value for value, with a report per stage', async () => {
    const c = ctx();
    const m = await runDharma(fit, request(), c);
    const d = fit.simulateResiduals({ nsim: 60, seed: 7, simulateREs: 'conditional' });
    expect(Array.from(m.scaledResiduals)).toEqual(Array.from(d.scaledResiduals));
    expect(Array.from(m.fittedPredictedResponse)).toEqual(Array.from(d.fittedPredictedResponse));
    expect(Array.from(m.observedResponse)).toEqual(Array.from(d.observedResponse));
    expect({ nObs: m.nObs, nSim: m.nSim, seed: m.seed, integerResponse: m.integerResponse }).toEqual({ nObs: 180, nSim: 60, seed: 7, integerResponse: false });
    const lib = [['uniformity', testUniformity(d)], ['dispersion', testDispersion(d)], ['outliers', testOutliers(d)]] as const;
    expect(m.tests.map((t) => t.test)).toEqual(lib.map(([k]) => k));
    lib.forEach(([, t], i) => {
      expect(m.tests[i]!.pValue).toBe(t.pValue);
      expect(m.tests[i]!.statistic).toEqual(t.statistic);
      expect(m.tests[i]!.method).toBe(t.method);
      expect(m.tests[i]!.text).toBe(printHTest(t).join('\n'));
    });
    expect(m.text).toBe([...printDharma(d), '', ...lib.map(([, t]) => printHTest(t).join('\n'))].join('\n'));
    // the plots' data are the library's
    const plot = dharmaPlotData(d.scaledResiduals, d.fittedPredictedResponse);
    expect(Array.from(m.qqObserved)).toEqual(plot.qq.map((q) => q.observed));
    expect(Array.from(m.qqExpected)).toEqual(plot.qq.map((q) => q.expected));
    expect(Array.from(m.rankPrediction)).toEqual(plot.residualsVsPredicted.map((p) => p.rankPrediction));
    expect(m.asFactor).toBe(plot.asFactor);
    expect(m.grouped).toBeNull();
    expect(c.reports.map((r) => [r.done, r.total])).toEqual([[0, 3], [1, 3], [2, 3], [3, 3]]);
    // unconditional: new random effects, as the library's
    const u = await runDharma(fit, request({ simulateREs: 'unconditional' }), ctx());
    expect(Array.from(u.scaledResiduals)).toEqual(Array.from(fit.simulateResiduals({ nsim: 60, seed: 7, simulateREs: 'unconditional' }).scaledResiduals));
    expect(Array.from(u.scaledResiduals)).not.toEqual(Array.from(m.scaledResiduals));
  });

  test('glmer (cbpp): the four tests but zero-inflation (a binomial model), per herd with its own tests (recalculateResiduals)', async () => {
    const c = ctx();
    const m = await runDharma(gfit, request({ group: 'herd' }), c);
    const d = gfit.simulateResiduals({ nsim: 60, seed: 7 });
    expect(m.integerResponse).toBe(true);
    expect(m.tests.map((t) => t.test)).toEqual(['uniformity', 'dispersion', 'outliers']);
    expect(m.tests.map((t) => t.pValue)).toEqual([testUniformity(d).pValue, testDispersion(d).pValue, testOutliers(d).pValue]);
    const labels = Array.from(gfit.model.frame.reTerms[0]!.codes, (k) => gfit.model.frame.reTerms[0]!.levels[k]!);
    const g = recalculateResiduals(d, labels);
    expect(m.grouped!.group).toBe('herd');
    expect(m.grouped!.labels).toEqual(g.groups);
    expect(Array.from(m.grouped!.scaledResiduals)).toEqual(Array.from(g.scaledResiduals));
    expect(m.grouped!.tests.map((t) => t.pValue)).toEqual([testUniformity(g).pValue, testDispersion(g).pValue, testOutliers(g).pValue]);
    expect(m.grouped!.text).toContain(`Residuals summed per herd (${g.nObs} groups):`);
    expect(c.reports.map((r) => r.done)).toEqual([0, 1, 2, 3, 4]);
    expect(groupedResidualsCsv(m.grouped!).split('\n')[0]).toBe('herd,scaled_residual');
    // a grouping factor the fit does not have: the worker names it
    await expect(runDharma(gfit, request({ group: 'period' }), ctx())).rejects.toThrow(/'period' is not a grouping factor of this fit \(its grouping factors: herd\)/);
  });

  test('Poisson: testZeroInflation is in the table (a count model), equal to the library\'s', async () => {
    const m = await runDharma(pfit, request({ nsim: 40 }), ctx());
    const d = pfit.simulateResiduals({ nsim: 40, seed: 7 });
    expect(m.tests.map((t) => t.test)).toEqual(['uniformity', 'dispersion', 'zeroInflation', 'outliers']);
    expect(m.tests[2]!.pValue).toBe(testZeroInflation(d).pValue);
    expect(m.tests[2]!.statistic).toEqual(testZeroInflation(d).statistic);
    const t = dharmaTestsTable(m.tests, 'dharma-tests', 'tests');
    expect(t.rows.map((r) => r.cells[0])).toEqual(['testUniformity', 'testDispersion', 'testZeroInflation', 'testOutliers']);
    expect(t.rows.map((r) => r.cells[4])).toEqual(m.tests.map((x) => x.pValue));
  });

  test('Cancel: before the simulations and between the stages (the simulations themselves stop between their chunks: test/dharma.test.ts)', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(runDharma(fit, request(), ctx(ac.signal))).rejects.toMatchObject({ name: 'AbortError' });
    const ac2 = new AbortController();
    const c: DharmaContext = { signal: ac2.signal, onProgress: (p) => { if (p.done === 1) ac2.abort(); } };
    await expect(runDharma(fit, request(), c)).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('performance\'s checks: the library\'s values; a check the library refuses is a note with its reason', async () => {
    const m = await runPerformanceChecks(fit);
    expect(m.collinearity).toEqual(fit.checkCollinearity());
    expect(m.singularity).toEqual(fit.checkSingularity());
    expect(m.convergence).toEqual(fit.checkConvergence());
    expect(m.modelPerformance).toEqual(await fit.modelPerformance());
    expect(m.overdispersion).toBeNull();
    expect(m.zeroinflation).toBeNull();
    let od = '';
    try { fit.checkOverdispersion(); } catch (e) { od = (e as Error).message; }
    expect(m.refusals).toEqual(expect.arrayContaining([{ check: 'check_overdispersion', reason: od }]));
    expect(m.refusals.map((r) => r.check).sort()).toEqual(['check_overdispersion', 'check_zeroinflation']);
    // one fixed term: performance's NULL with its warning, no table
    expect(m.collinearity!.rows).toBeNull();
    expect(m.notes).toContain('Not enough model terms in the conditional part of the model to check for multicollinearity.');
    expect(collinearityTable(m)).toBeNull();
    expect(m.text).toMatch(/^NULL\n\n# Check for singularity/);
    expect(m.text).toContain('# Indices of model performance');
    // two correlated terms: the VIF table with performance's groups
    const quad = await lmer('Reaction ~ Days + I(Days^2) + (1 | Subject)', sleep, { factors: ['Subject'] });
    const q = await runPerformanceChecks(quad);
    const lib = quad.checkCollinearity();
    expect(q.collinearity).toEqual(lib);
    expect(q.text).toMatch(/^# Check for Multicollinearity/);
    const c = collinearityTable(q)!;
    expect(c.rows.map((r) => r.key)).toEqual(['Days', 'I(Days^2)']);
    expect(c.rows.map((r) => r.cells[1])).toEqual(lib.rows!.map((r) => r.VIF));
    expect(c.rows.map((r) => r.cells[2])).toEqual(lib.rows!.map((r) => r.VIF_CI_low));
    expect(c.rows.map((r) => r.cells.at(-1))).toEqual(lib.rows!.map((r) => (r.VIF < 5 ? 'Low' : r.VIF < 10 ? 'Moderate' : 'High')));
    expect(c.columns.map((x) => x.head)).toEqual(['Term', 'VIF', 'VIF 95% CI low', 'high', 'Increased SE', 'Tolerance', 'Tolerance 95% CI low', 'high', 'correlation']);
    const k = checksTable(m);
    expect(k.rows.map((r) => r.key)).toEqual(['singularity', 'convergence']);
    const p = performanceTable(m)!;
    expect(p.columns.map((x) => x.head)).toEqual(['AIC', 'AICc', 'BIC', 'R2 (cond.)', 'R2 (marg.)', 'ICC', 'RMSE', 'Sigma']);
    const mp = (await fit.modelPerformance()) as unknown as Record<string, number>;
    expect(p.rows[0]!.cells).toEqual(['AIC', 'AICc', 'BIC', 'R2_conditional', 'R2_marginal', 'ICC', 'RMSE', 'Sigma'].map((x) => mp[x]));
    expect(testTableCsv(p).split('\n')[0]).toBe('AIC,AICc,BIC,R2_conditional,R2_marginal,ICC,RMSE,Sigma');

    // cbpp: overdispersion (binomial with trials > 1) is the library's; zero-inflation refused (not a count model)
    const g = await runPerformanceChecks(gfit);
    expect(g.overdispersion).toEqual(gfit.checkOverdispersion());
    expect(g.refusals.map((r) => r.check)).toEqual(['check_zeroinflation']);
    expect(checksTable(g).rows.map((r) => r.key)).toEqual(['overdispersion', 'singularity', 'convergence']);
    expect(checksTable(g).rows[0]!.cells[3]).toBe(gfit.checkOverdispersion().p);
    // Poisson: zero-inflation's verdict
    const pz = await runPerformanceChecks(pfit);
    expect(pz.zeroinflation).toEqual(pfit.checkZeroinflation());
    expect(checksTable(pz).rows[1]!.cells[1]).toBe(pfit.checkZeroinflation()!.message);
  });

  test('a streamed fit (its rows never held): collinearity, singularity and convergence are the in-memory fit\'s; model_performance and the simulations refused with the library\'s reasons', async () => {
    const design = csvTable('sleepstudy_design.csv');
    const formula = 'Reaction ~ Days + grp + (Days | Subject)';
    // the same start as the stream fit (the moment start backfits over rows, which a stream has not)
    const mem = await lmer(formula, design, { factors: ['Subject'], momentStart: false });
    const { fit: sfit, result } = await streamFit(new Blob([tableToParquet(design, 20)]), 'design.parquet', { formula, factors: ['Subject'], reml: true, batchSize: 7, diagnostics: false, residualQuantiles: false }, { signal: new AbortController().signal, onProgress: () => {} });
    expect(result.dharmaRefusal).toMatch(/^simulateResiduals/);
    expect(modelChecksSetup(sfit).dharmaRefusal).toBe(result.dharmaRefusal);
    await expect(runDharma(sfit, request(), ctx())).rejects.toThrow(result.dharmaRefusal!);
    const s = await runPerformanceChecks(sfit);
    const m = await runPerformanceChecks(mem);
    // the stream's A is the in-memory A and its fit the in-memory fit from the same start (1e-12, demo-logic.test.ts): 1e-10 relative
    const close = (a: number | null, b: number | null) => (a === null || b === null ? expect(a).toBe(b) : expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-10 * Math.abs(b)));
    expect(s.collinearity!.rows!.map((r) => r.Term)).toEqual(m.collinearity!.rows!.map((r) => r.Term));
    s.collinearity!.rows!.forEach((r, i) => { close(r.VIF, m.collinearity!.rows![i]!.VIF); close(r.VIF_CI_low, m.collinearity!.rows![i]!.VIF_CI_low); });
    expect(s.singularity).toEqual(m.singularity);
    expect(s.convergence!.converged).toBe(m.convergence!.converged);
    expect(s.modelPerformance).toBeNull();
    expect(s.refusals.map((r) => r.check)).toEqual(['check_overdispersion', 'check_zeroinflation', 'model_performance']);
    expect(s.refusals[2]!.reason).toMatch(/^model_performance: not available for this fit, whose rows are in a stream \(design.parquet\): its RMSE needs the response residuals of every row/);
    expect(m.modelPerformance).not.toBeNull();
  });

  test('the card\'s request: each bad field named; nsim × observations within what the tab holds', () => {
    const s = modelChecksSetup(fit);
    expect(dharmaRequest(fields(), s)).toEqual({ nsim: 250, seed: 123, simulateREs: 'conditional', group: null });
    expect(dharmaRequest(fields({ nsim: ' 20 ', seed: '-5', simulateREs: 'unconditional', group: 'Subject' }), s)).toEqual({ nsim: 20, seed: -5, simulateREs: 'unconditional', group: 'Subject' });
    const bad = (f: Partial<DharmaFields>, field: string, re: RegExp) => {
      try { dharmaRequest(fields(f), s); } catch (e) {
        expect(e).toBeInstanceOf(ChecksFieldError);
        expect((e as ChecksFieldError).field).toBe(field);
        expect((e as Error).message).toMatch(re);
        return;
      }
      throw new Error('not refused');
    };
    bad({ nsim: '1' }, 'nsim', /^nsim: the number of simulations must be a whole number ≥ 2 .*got '1'/);
    bad({ nsim: '2.5' }, 'nsim', /got '2.5'/);
    bad({ nsim: '' }, 'nsim', /got ''/);
    bad({ seed: 'x' }, 'seed', /^seed: a whole number, got 'x'/);
    bad({ simulateREs: 'new' }, 'simulateREs', /got 'new'/);
    bad({ group: 'Days' }, 'group', /^group: 'Days' is not a grouping factor of this fit \(Subject\)/);
    const big = { ...s, nobs: 1_000_000 };
    expect(() => dharmaRequest(fields(), big)).toThrow(/250 simulations of 1,000,000 observations are 250,000,000 simulated values, more than the 50,000,000 .*at most 50 simulations/);
    expect(dharmaRequest(fields({ nsim: String(MAX_SIMULATED_VALUES / 1_000_000) }), big).nsim).toBe(50);
  });

  test('the QQ plot\'s legends as DHARMa\'s plotQQunif writes them; the plots\' points; the residuals\' CSV', async () => {
    expect(pasteRounded(0.123456)).toBe('0.12346');
    expect(pasteRounded(0.1)).toBe('0.1');
    expect(pasteRounded(1)).toBe('1');
    expect(pasteRounded(3e-7)).toBe('0');
    expect(pasteRounded(0.0000512)).toBe('5e-05');
    const m = await runDharma(fit, request(), ctx());
    const legends = qqLegends(m.tests);
    const p = (k: string) => m.tests.find((t) => t.test === k)!.pValue;
    expect(legends).toEqual([
      { anchor: 'top-left', lines: [`KS test: p= ${pasteRounded(p('uniformity'))}`, `Deviation  ${p('uniformity') < 0.05 ? 'significant' : 'n.s.'}`], significant: p('uniformity') < 0.05 },
      { anchor: 'middle', lines: [`Dispersion test: p= ${pasteRounded(p('dispersion'))}`, `Deviation  ${p('dispersion') < 0.05 ? 'significant' : 'n.s.'}`], significant: p('dispersion') < 0.05 },
      { anchor: 'bottom-right', lines: [`Outlier test: p= ${pasteRounded(p('outliers'))}`, `Deviation  ${p('outliers') < 0.05 ? 'significant' : 'n.s.'}`], significant: p('outliers') < 0.05 },
    ]);
    expect(qqPoints(m)).toHaveLength(180);
    expect(residualPoints(m).map((r) => r.residual)).toEqual(Array.from(m.scaledResiduals));
    expect(spread(10_000)).toHaveLength(MAX_PLOT_POINTS);
    expect(spread(10_000)[0]).toBe(0);
    expect(spread(10_000).at(-1)).toBe(9999);
    const lines = dharmaResidualsCsv(m).trim().split('\n');
    expect(lines[0]).toBe('row,observed,fitted_population,scaled_residual');
    expect(lines).toHaveLength(181);
    expect(lines[1]).toBe(`1,${m.observedResponse[0]},${m.fittedPredictedResponse[0]},${m.scaledResiduals[0]}`);
  });

  test('the card\'s state in the address: round trips, invalid values left out', () => {
    const s = { example: 'cbpp' as const, formula: 'y ~ 1', fit: true, checks: { nsim: 40, seed: 5, simulateREs: 'unconditional' as const, group: 'herd' } };
    const q = writeUrlState(s);
    expect(q).toContain('checks=1&cknsim=40&ckseed=5&ckre=unconditional&ckgroup=herd');
    expect(readUrlState(q).checks).toEqual(s.checks);
    expect(readUrlState(writeUrlState({ checks: {} })).checks).toEqual({});
    expect(readUrlState('?checks=1&cknsim=1&ckseed=1.5&ckre=maybe').checks).toEqual({});
    expect(readUrlState('?cknsim=40').checks).toBeUndefined();
  });
});

describe('Model checks card of a zero-inflated fit (worker logic)', () => {
  // glmmTMB's Salamanders: zero-inflated Poisson, count ~ mined + (1 | site), zero-inflation ~ mined
  let zip: ZeroInflatedFit;
  beforeAll(async () => {
    zip = await zeroInflated('count ~ mined + (1 | site)', csvTable('salamanders.csv'), { family: 'poisson', ziformula: '~ mined' });
  }, 120_000);

  test('setup: a count model simulated by glmmTMB\'s rules, never refused; its grouping factor; in the page\'s result', async () => {
    const s = modelChecksSetup(zip);
    expect(s).toEqual({ dharmaRefusal: null, countModel: true, groups: ['site'], nobs: 644, model: 'glmmTMB' });
    expect(describeZeroInflated(zip, 1, 'zi_poisson').checks).toEqual(s);
    expect(dharmaRequest(fields({ group: 'site', simulateREs: 'unconditional' }), s)).toEqual({ nsim: 250, seed: 123, simulateREs: 'unconditional', group: 'site' });
    expect(() => dharmaRequest(fields({ group: 'mined' }), s)).toThrow(/^group: 'mined' is not a grouping factor of this fit \(site\)/);
  });

  test('ZIP: the worker\'s DHARMa run equals the fit\'s simulateResiduals and its four tests (zero-inflation included), value for value', async () => {
    const c = ctx();
    const m = await runDharma(zip, request({ nsim: 80, group: 'site' }), c);
    const d = zip.simulateResiduals({ nsim: 80, seed: 7, simulateREs: 'conditional' });
    expect(Array.from(m.scaledResiduals)).toEqual(Array.from(d.scaledResiduals));
    expect(Array.from(m.observedResponse)).toEqual(Array.from(d.observedResponse));
    expect(Array.from(m.fittedPredictedResponse)).toEqual(Array.from(d.fittedPredictedResponse));
    expect({ nObs: m.nObs, nSim: m.nSim, seed: m.seed, integerResponse: m.integerResponse }).toEqual({ nObs: 644, nSim: 80, seed: 7, integerResponse: true });
    const lib = [['uniformity', testUniformity(d)], ['dispersion', testDispersion(d)], ['zeroInflation', testZeroInflation(d)], ['outliers', testOutliers(d)]] as const;
    expect(m.tests.map((t) => t.test)).toEqual(lib.map(([k]) => k));
    lib.forEach(([, t], i) => {
      expect(m.tests[i]!.pValue).toBe(t.pValue);
      expect(m.tests[i]!.statistic).toEqual(t.statistic);
      expect(m.tests[i]!.text).toBe(printHTest(t).join('\n'));
    });
    expect(m.text).toBe([...printDharma(d), '', ...lib.map(([, t]) => printHTest(t).join('\n'))].join('\n'));
    // the plots' data: the library's
    const plot = dharmaPlotData(d.scaledResiduals, d.fittedPredictedResponse);
    expect(Array.from(m.qqObserved)).toEqual(plot.qq.map((q) => q.observed));
    expect(Array.from(m.rankPrediction)).toEqual(plot.residualsVsPredicted.map((p) => p.rankPrediction));
    // per site: recalculateResiduals of the same residuals, with its own tests
    const term = zip.model.frame.reTerms[0]!;
    const g = recalculateResiduals(d, Array.from(term.codes, (k) => term.levels[k]!));
    expect(m.grouped!.group).toBe('site');
    expect(m.grouped!.labels).toEqual(g.groups);
    expect(Array.from(m.grouped!.scaledResiduals)).toEqual(Array.from(g.scaledResiduals));
    expect(m.grouped!.tests.map((t) => t.pValue)).toEqual([testUniformity(g).pValue, testDispersion(g).pValue, testOutliers(g).pValue]);
    expect(c.reports.at(0)).toEqual({ done: 0, total: 4, label: 'simulating 80 responses of 644 observations' });
    expect(c.reports.at(-1)!.done).toBe(4);
    expect(dharmaTestsTable(m.tests, 'dharma-tests', 'tests').rows.map((r) => r.cells[0])).toEqual(['testUniformity', 'testDispersion', 'testZeroInflation', 'testOutliers']);
    // unconditional: new random effects (glmmTMB 1.1.5's simulate), as the fit's
    const u = await runDharma(zip, request({ nsim: 80, simulateREs: 'unconditional' }), ctx());
    expect(Array.from(u.scaledResiduals)).toEqual(Array.from(zip.simulateResiduals({ nsim: 80, seed: 7, simulateREs: 'unconditional' }).scaledResiduals));
    expect(Array.from(u.scaledResiduals)).not.toEqual(Array.from(m.scaledResiduals));
    // Cancel between the stages
    const ac = new AbortController();
    await expect(runDharma(zip, request({ nsim: 20 }), { signal: ac.signal, onProgress: (p) => { if (p.done === 1) ac.abort(); } })).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('performance\'s checks: the fit\'s overdispersion and zero-inflation checks, model_performance with R² and ICC; the others notes with the library\'s reasons', async () => {
    const m = await runPerformanceChecks(zip);
    expect(m.overdispersion).toEqual(zip.checkOverdispersion());
    expect(m.zeroinflation).toEqual(zip.checkZeroinflation());
    expect([m.collinearity, m.singularity, m.convergence]).toEqual([null, null, null]);
    // model_performance is the fit's (test/tmbR2.test.ts compares it with performance 0.10.2)
    const mp = await zip.modelPerformance();
    expect(m.modelPerformance).toEqual(mp);
    expect(typeof mp.R2_conditional).toBe('number');
    expect(typeof mp.ICC).toBe('number');
    expect(m.notes).toEqual([...new Set(mp.messages)]);
    expect(m.refusals).toEqual([
      { check: 'check_collinearity', reason: ZI_UNCHECKED.check_collinearity },
      { check: 'check_singularity', reason: ZI_UNCHECKED.check_singularity },
      { check: 'check_convergence', reason: ZI_UNCHECKED.check_convergence },
    ]);
    // the library has no such methods for these fits (what the notes say)
    const methods = zip as unknown as Record<string, unknown>;
    expect([methods.checkCollinearity, methods.checkSingularity, methods.checkConvergence]).toEqual([undefined, undefined, undefined]);
    const t = checksTable(m);
    expect(t.rows.map((r) => r.key)).toEqual(['overdispersion', 'zeroinflation']);
    expect(t.rows[0]!.cells[3]).toBe(zip.checkOverdispersion().p);
    expect(t.rows[1]!.cells[1]).toBe(zip.checkZeroinflation()!.message);
    expect(collinearityTable(m)).toBeNull();
    // the card's table: the R² and ICC cells are the fit's
    const p = performanceTable(m)!;
    expect(p.rows[0]!.cells[p.columns.findIndex((c) => c.key === 'perf-R2_marginal')]).toBe(mp.R2_marginal);
    expect(p.rows[0]!.cells[p.columns.findIndex((c) => c.key === 'perf-ICC')]).toBe(mp.ICC);
    expect(p.columns.length).toBe(Object.keys(mp).length - 1);
    expect(m.text).toMatch(/^# Overdispersion test/);
    expect(m.text).toContain('# Check for zero-inflation');
    expect(m.text).toContain('# Indices of model performance');
  });

  // a refused R² (a dispersion model) leaves the columns out with the library's reason as a note
  test('a glmmTMB fit whose R² performance gives as NA: model_performance without R² and ICC, the reason a note', async () => {
    const fit = await zeroInflated('count ~ mined + (1 | site)', csvTable('salamanders.csv'), { family: 'nbinom2', ziformula: '~ 0', dispformula: '~ mined' });
    const m = await runPerformanceChecks(fit);
    expect(m.modelPerformance).not.toBeNull();
    expect('R2_marginal' in m.modelPerformance!).toBe(false);
    expect(m.notes.some((n) => /^R2 and ICC not available: .*dispformula '~ mined'/.test(n))).toBe(true);
  });

  test('the card\'s state in the address of a zero-inflated fit: round trips beside the zero-inflation formula', () => {
    const s = { example: 'salamanders' as const, formula: 'count ~ mined + (1 | site)', family: 'zi_poisson' as const, ziformula: '~ mined', fit: true, checks: { nsim: 40, group: 'site' } };
    const u = readUrlState(writeUrlState(s));
    expect(u.checks).toEqual(s.checks);
    expect([u.family, u.ziformula, u.fit]).toEqual(['zi_poisson', '~ mined', true]);
  });
});
