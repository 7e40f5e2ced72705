/**
 * The browser app's zero-inflated fits in headless Chromium, in one test: glmmTMB's Salamanders ZIP
 * (count ~ mined + (1 | site), zero-inflation ~ mined) opened from an address (family zi_poisson,
 * zi=~ mined, fit=1) shows the library's conditional and zero-inflation tables: those of the fit's own
 * JSON (the library's toJSON of the worker's ZeroInflatedFit) to 1e-10 relative. Against the same fit
 * in Node, the logLik to 1e-10 relative, the estimates to 1e-6 and the SEs to 1e-5: Chromium's V8
 * rounds Math.exp, Math.log and Math.pow differently from Node's in the last bit, and BOBYQA's path,
 * hence where it stops within its tolerance, moves with those bits (test/e2e/ordinal.test.ts's header);
 * the SEs come from the objective's central-difference Hessian, which carries those bits divided by δ².
 * It also shows the observed and expected count frequencies (the observed zeros exactly, the expected
 * zeros to 1e-6 of Node's), the caterpillar, glmmTMB's summary, the cards that do not apply in one line,
 * and the predictions CSV with one row per observation. The link also opens the Model checks card (moved
 * into the zero-inflated results) with its settings: performance's overdispersion and zero-inflation
 * checks computed (to 1e-5 relative of Node's fit: smooth functions of estimates that agree to 1e-6), the
 * checks the library does not do for these fits as notes, the simulations not run until the button is
 * pressed; then DHARMa's four tests, testZeroInflation included, and the per-site tests. Their p-values
 * equal Node's to 1e-12: the simulations invert each row's distribution function at a seeded uniform, so a
 * draw would differ only if its uniform fell within ~1e-6 (the estimates' difference) of a step; none of
 * the 25,760 does with this Chromium and seed (deterministic: the same every run). Were a Chromium update
 * to move one, this comparison would have to become one against the page's own residuals (its CSV).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readCsv, zeroInflated } from '../../src/index.js';
import { expectedFrequencies } from '../../demo/src/zeroinfl.js';
import { testDispersion, testOutliers, testUniformity, testZeroInflation } from '../../src/diagnostics/dharmaTests.js';
import { ROOT, captureDownloads, enabled, text } from './harness.js';
import { appSuite } from './appSuite.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe.skipIf(!enabled)('browser app: zero-inflated and hurdle count GLMMs', () => {
  const app = appSuite();

  test('Salamanders\' ZIP from a link: the library\'s tables, frequencies and exports', async () => {
    const salamanders = readCsv(readFileSync(join(ROOT, 'test/fixtures/data/salamanders.csv'), 'utf8')).table;
    const formula = 'count ~ mined + (1 | site)';
    const lib = await zeroInflated(formula, salamanders, { family: 'poisson', ziformula: '~ mined' });
    const freq = expectedFrequencies(lib);
    const od = lib.checkOverdispersion();
    const d = lib.simulateResiduals({ nsim: 40, seed: 9 });
    const dlib = [testUniformity(d), testDispersion(d), testZeroInflation(d), testOutliers(d)];

    const query = `?${new URLSearchParams({ example: 'salamanders', formula, family: 'zi_poisson', link: 'log', zi: '~ mined', fit: '1', checks: '1', cknsim: '40', ckseed: '9', ckgroup: 'site' })}`;
    const page = await app().openPage({ query });
    try {
      const download = await captureDownloads(page);
      await page.waitForSelector('#zi-results:not([hidden]) #zi-cond-table', { timeout: 120_000 });
      expect(await page.$eval('#ziformula', (e) => (e as HTMLInputElement).value)).toBe('~ mined');
      expect(await page.$eval('#zi-row', (e) => (e as HTMLElement).hidden)).toBe(false);
      expect(await page.$eval('#results', (e) => (e as HTMLElement).hidden)).toBe(true);
      await page.click('#zi-export-json');
      const own = JSON.parse((await download('salamanders_zeroinfl.json')).text) as {
        model: string; family: string; cond: { name: string; estimate: number; se: number }[]; zi: { name: string; estimate: number; se: number }[]; loglik: number;
      };
      expect([own.model, own.family]).toEqual(['glmmTMB', 'poisson']);
      const rows = (id: string) => page.$$eval(`${id} tbody tr`, (trs) => trs.map((r) => [(r as HTMLElement).dataset.term!, Number(r.getAttribute('data-estimate')), Number(r.getAttribute('data-se'))] as [string, number, number]));
      const cond = await rows('#zi-cond-table');
      const zi = await rows('#zi-zi-table');
      expect(cond.map((r) => r[0])).toEqual(lib.cond.map((r) => r.name));
      expect(zi.map((r) => r[0])).toEqual(lib.zi.map((r) => r.name));
      const check = (shown: [string, number, number][], libs: { estimate: number; se: number }[], tol: number, what: string, seTol = tol) => shown.forEach(([name, est, se], k) => {
        expect(rel(est, libs[k]!.estimate), `${name} estimate (${what})`).toBeLessThan(tol);
        expect(rel(se, libs[k]!.se), `${name} SE (${what})`).toBeLessThan(seTol);
      });
      check(cond, own.cond, 1e-10, 'its JSON');
      check(zi, own.zi, 1e-10, 'its JSON');
      const logLik = Number(await page.$eval('#zi-loglik', (e) => e.getAttribute('data-value')));
      expect(rel(logLik, own.loglik)).toBeLessThan(1e-10);
      expect(rel(logLik, lib.logLik)).toBeLessThan(1e-10);
      check(cond, lib.cond, 1e-6, 'Node', 1e-5);
      check(zi, lib.zi, 1e-6, 'Node', 1e-5);
      expect(await text(page, '#zi-dfresid')).toBe(String(lib.dfResid));
      expect(await page.$('#zi-sigma')).toBeNull();
      // the frequencies' plot: the observed zeros, and the expected ones of Node's fit
      await page.waitForSelector('#zi-freq svg');
      expect(Number(await page.$eval('#zi-freq-caption', (e) => e.getAttribute('data-zero-observed')))).toBe(freq[0]!.observed);
      expect(rel(Number(await page.$eval('#zi-freq-caption', (e) => e.getAttribute('data-zero-expected'))), freq[0]!.expected)).toBeLessThan(1e-6);
      expect(await page.$('#zi-caterpillar svg')).not.toBeNull();
      expect(await text(page, '#zi-summary')).toMatch(/^ Family: poisson {2}\( log \)|^Family: poisson {2}\( log \)/);
      expect(await text(page, '#zi-not-shown')).toMatch(/^Not shown for a zero-inflated or hurdle fit: /);
      // the predictions: one row per observation, glmmTMB's three types
      await page.click('#zi-export-predictions');
      const csv = (await download('salamanders_predictions.csv')).text.trim().split('\n');
      expect(csv[0]).toBe('row,observed,response,conditional,zprob');
      expect(csv.length).toBe(lib.nobs + 1);

      // the Model checks card, in this section, open with the link's settings
      expect(await page.$eval('#zi-results #checks-card', (e) => (e as HTMLDetailsElement).open)).toBe(true);
      const value = (sel: string) => page.$eval(sel, (e) => (e as HTMLInputElement).value);
      expect([await value('#checks-nsim'), await value('#checks-seed'), await value('#checks-re'), await value('#checks-group')]).toEqual(['40', '9', 'conditional', 'site']);
      await page.waitForSelector('#checks-checks-table', { timeout: 60_000 });
      expect(await page.$$eval('#checks-checks-table tbody tr', (trs) => trs.map((r) => (r as HTMLElement).dataset.key))).toEqual(['overdispersion', 'zeroinflation']);
      expect(rel(Number(await page.$eval('#checks-checks-table tr[data-key="overdispersion"]', (r) => r.getAttribute('data-p'))), od.p)).toBeLessThan(1e-5);
      const notes = await page.$$eval('#checks-notes li', (li) => li.map((x) => (x as HTMLElement).dataset.check));
      expect(notes).toEqual(['check_collinearity', 'check_singularity', 'check_convergence', 'model_performance']);
      let mpReason = '';
      try { lib.modelPerformance(); } catch (e) { mpReason = (e as Error).message; }
      expect(await text(page, '#checks-notes li[data-check="model_performance"]')).toBe(`model_performance is not available for this fit: ${mpReason.replace(/^modelPerformance: /, '')}`);
      expect(await page.$('#checks-dharma-tests-table')).toBeNull();
      await page.click('#checks-run');
      await page.waitForSelector('#checks-dharma-tests-table', { timeout: 120_000 });
      const ps = (id: string) => page.$$eval(`${id} tbody tr`, (trs) => trs.map((r) => [(r as HTMLElement).dataset.key!, Number(r.getAttribute('data-p'))] as [string, number]));
      const tests = await ps('#checks-dharma-tests-table');
      expect(tests.map((t) => t[0])).toEqual(['uniformity', 'dispersion', 'zeroInflation', 'outliers']);
      tests.forEach(([k, p], i) => expect(Math.abs(p - dlib[i]!.pValue), `${k} p`).toBeLessThan(1e-12));
      expect((await ps('#checks-dharma-grouped-table')).map((t) => t[0])).toEqual(['uniformity', 'dispersion', 'outliers']);
      expect(await page.$('#checks-qq svg')).not.toBeNull();
    } finally {
      await page.close();
    }
  }, 300_000);
});
