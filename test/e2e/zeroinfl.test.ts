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
 * checks and model_performance's AIC, R² and ICC computed (to 1e-5 relative of Node's fit: smooth functions
 * of estimates that agree to 1e-6), the checks the library does not do for these fits as notes, the simulations not run until the button is
 * pressed; then DHARMa's four tests, testZeroInflation included, and the per-site tests. Their p-values
 * equal Node's to 1e-12: the simulations invert each row's distribution function at a seeded uniform, so a
 * draw would differ only if its uniform fell within ~1e-6 (the estimates' difference) of a step; none of
 * the 25,760 does with this Chromium and seed (deterministic: the same every run). Were a Chromium update
 * to move one, this comparison would have to become one against the page's own residuals (its CSV).
 *
 * A second test opens glmmTMB's gaussian with a dispersion model from a link (the heteroscedastic example,
 * yg ~ x + (1 | g), dispformula ~ f: a residual variance per level of f): the Dispersion formula box holds
 * the link's ~ f, the zero-inflation box is disabled with its reason, and the page's dispersion table equals
 * the fit's own JSON (the library's toJSON of the worker's fit) to 1e-10 relative and Node's fit to 1e-6
 * (estimates) and 1e-5 (SEs), as above; the histogram is drawn in place of the count frequencies, with its
 * expected numbers adding up to the rows; the predictions CSV has the disp column; and typing a random-effects
 * term in the Dispersion formula box shows the parser's complaint and disables Fit.
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
      expect(await text(page, '#zi-not-shown')).toMatch(/^Not shown for a glmmTMB fit \(zero-inflated, hurdle, beta, gaussian\): /);
      // a Poisson family: no dispersion formula box, no dispersion table
      expect(await page.$eval('#disp-row', (e) => (e as HTMLElement).hidden)).toBe(true);
      expect(await page.$eval('#zi-disp-card', (e) => (e as HTMLElement).hidden)).toBe(true);
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
      expect(notes).toEqual(['check_collinearity', 'check_singularity', 'check_convergence']);
      // model_performance of the glmmTMB fit: the library's row, Nakagawa's R² and the ICC among its cells
      const mp = await lib.modelPerformance();
      expect(await page.$$eval('#checks-performance-table th', (t) => t.map((x) => x.textContent))).toEqual(['AIC', 'AICc', 'BIC', 'R2 (cond.)', 'R2 (marg.)', 'ICC', 'RMSE', 'Sigma', 'Score_log', 'Score_spherical']);
      for (const k of ['AIC', 'R2_conditional', 'R2_marginal', 'ICC'] as const) {
        expect(rel(Number(await page.$eval('#checks-performance-table tbody tr', (r, key) => r.getAttribute(`data-perf-${key}`), k)), mp[k] as number), k).toBeLessThan(1e-5);
      }
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

  test('glmmTMB\'s gaussian with dispformula ~ f from a link: the dispersion table is the library\'s', async () => {
    const tmb = readCsv(readFileSync(join(ROOT, 'test/fixtures/data/tmbfamilies.csv'), 'utf8')).table;
    const formula = 'yg ~ x + (1 | g)';
    const lib = await zeroInflated(formula, tmb, { family: 'gaussian', dispformula: '~ f' });
    const query = `?${new URLSearchParams({ example: 'tmbfamilies', formula, family: 'tmb_gaussian', link: 'identity', disp: '~ f', fit: '1' })}`;
    const page = await app().openPage({ query });
    try {
      const download = await captureDownloads(page);
      await page.waitForSelector('#zi-results:not([hidden]) #zi-disp-table', { timeout: 120_000 });
      expect(await page.$eval('#dispformula', (e) => (e as HTMLInputElement).value)).toBe('~ f');
      expect(await page.$eval('#disp-row', (e) => (e as HTMLElement).hidden)).toBe(false);
      expect(await page.$eval('#ziformula', (e) => (e as HTMLInputElement).disabled)).toBe(true);
      expect(await text(page, '#ziformula-none')).toMatch(/^No zero-inflation model for gaussian/);
      await page.click('#zi-export-json');
      const own = JSON.parse((await download('tmbfamilies_zeroinfl.json')).text) as {
        family: string; dispformula: string; disp: { name: string; estimate: number; se: number }[]; sigma: number | null;
      };
      expect([own.family, own.dispformula, own.sigma]).toEqual(['gaussian', '~ f', null]);
      const rows = (id: string) => page.$$eval(`${id} tbody tr`, (trs) => trs.map((r) => [(r as HTMLElement).dataset.term!, Number(r.getAttribute('data-estimate')), Number(r.getAttribute('data-se'))] as [string, number, number]));
      const disp = await rows('#zi-disp-table');
      expect(disp.map((r) => r[0])).toEqual(['(Intercept)', 'fb', 'fc']);
      expect(disp.map((r) => r[0])).toEqual(lib.dispersion.map((r) => r.name));
      disp.forEach(([name, est, se], k) => {
        expect(rel(est, own.disp[k]!.estimate), `${name} estimate (its JSON)`).toBeLessThan(1e-10);
        expect(rel(se, own.disp[k]!.se), `${name} SE (its JSON)`).toBeLessThan(1e-10);
        expect(rel(est, lib.dispersion[k]!.estimate), `${name} estimate (Node)`).toBeLessThan(1e-6);
        expect(rel(se, lib.dispersion[k]!.se), `${name} SE (Node)`).toBeLessThan(1e-5);
      });
      const cond = await rows('#zi-cond-table');
      cond.forEach(([name, est], k) => expect(rel(est, lib.cond[k]!.estimate), name).toBeLessThan(1e-6));
      expect(await page.$('#zi-sigma')).toBeNull();
      expect(await text(page, '#zi-dispersion-line')).toMatch(/^Residual standard deviation for gaussian family \(σ, Var = σ²\): one per row from the dispersion model ~ f/);
      expect(await text(page, '#zi-zi-none')).toMatch(/^No zero-inflation model: gaussian takes none/);
      // the histogram in place of the count frequencies
      await page.waitForSelector('#zi-freq svg');
      expect(await text(page, '#zi-freq-title')).toMatch(/^Response histogram/);
      expect(Number(await page.$eval('#zi-freq-caption', (e) => e.getAttribute('data-bins')))).toBe(15);
      expect(rel(Number(await page.$eval('#zi-freq-caption', (e) => e.getAttribute('data-expected-total'))), 400)).toBeLessThan(1e-12);
      expect(await text(page, '#zi-summary')).toMatch(/Dispersion model:/);
      await page.click('#zi-export-predictions');
      const csv = (await download('tmbfamilies_predictions.csv')).text.trim().split('\n');
      expect(csv[0]).toBe('row,observed,response,conditional,disp');
      expect(csv.length).toBe(401);
      // the Dispersion formula box is checked as one types: a random-effects term is refused, Fit disabled
      await page.click('#dispformula', { clickCount: 3 });
      await page.type('#dispformula', '~ (1 | g)');
      expect(await text(page, '#dispformula-error')).toBe('The dispersion model takes fixed effects only here: (1 | g) is a random-effects term.');
      expect(await page.$eval('#fit', (e) => (e as HTMLButtonElement).disabled)).toBe(true);
      expect(new URL(page.url()).searchParams.get('disp')).toBe('~ (1 | g)');
    } finally {
      await page.close();
    }
  }, 300_000);
});
