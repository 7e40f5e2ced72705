/**
 * The browser app's ordinal (clmm) fits and covariance structures in headless Chromium, in one test:
 * the wine data's cumulative link mixed model opened from an address (family ordinal, cloglog link,
 * equidistant thresholds, fit=1) shows the library's thresholds and coefficients: those of the fit's
 * own JSON (the library's toJSON of the worker's ClmmFit) to 1e-10 relative; against the same clmm in
 * Node, the page's parameters are an optimum of the same objective (Node's clmm objective at them is
 * the page's logLik to 1e-10 relative) and the logLik is Node's to 1e-10 relative, while the parameters
 * agree to 1e-6 relative: Chromium's V8 rounds Math.exp, Math.log and Math.pow differently from
 * Node's in the last bit (about 5 % of arguments: exp, log, pow, atan, sin, cos; measured while writing
 * this test), and BOBYQA's path, hence where it stops within its tolerance, moves with those bits
 * (observed 1.4e-8 relative for cloglog, 9.6e-8 for logit). The SEs to 1e-5: they come from the
 * objective's central-difference Hessian (δ = 1e-4), whose entries carry the objective's last-bit
 * differences divided by δ², about 2e-16 · 81 / 1e-8 ≈ 2e-6 (observed 1.2e-6 relative). It also shows ordinal's summary, the fitted
 * probabilities' bars and the cards a clmm fit does not have named in one line; then the sleepstudy ar1 example, fitted
 * by its button, shows ρ (ar1) on one row of the random-effects table, the library's ρ (1e-8 relative),
 * with the structure's note, and Kenward–Roger's refusal is the library's message.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { clmm, lmer, readCsv } from '../../src/index.js';
import { clmmObjective } from '../../src/ordinal/fit.js';
import { ROOT, captureDownloads, enabled, text } from './harness.js';
import { appSuite } from './appSuite.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe.skipIf(!enabled)('browser app: ordinal (clmm) fits and covariance structures', () => {
  const app = appSuite();

  test('wine\'s clmm from a link: the library\'s thresholds and coefficients; sleepstudy\'s ar1: its ρ shown', async () => {
    const wine = readCsv(readFileSync(join(ROOT, 'test/fixtures/data/wine.csv'), 'utf8')).table;
    const formula = 'rating ~ temp + contact + (1 | judge)';
    const lib = await clmm(formula, wine, { factors: ['judge'], link: 'cloglog', threshold: 'equidistant' });
    const sleep = readCsv(readFileSync(join(ROOT, 'test/fixtures/data/sleepstudy_dayf.csv'), 'utf8')).table;
    const ar1 = await lmer('Reaction ~ Days + ar1(0 + DayF | Subject)', sleep, { factors: ['Subject', 'DayF'] });

    const query = `?${new URLSearchParams({ example: 'wine', formula, factors: 'judge', family: 'ordinal', link: 'cloglog', threshold: 'equidistant', fit: '1' })}`;
    const page = await app().openPage({ query });
    try {
      const download = await captureDownloads(page);
      await page.waitForSelector('#clmm-results:not([hidden]) #clmm-coef-table', { timeout: 120_000 });
      await page.click('#clmm-export-json');
      const own = JSON.parse((await download('wine_clmm.json')).text) as {
        threshold_coefficients: { name: string; estimate: number; se: number }[]; coefficients: { name: string; estimate: number; se: number }[];
        par: Record<string, number>; loglik: number; model: string;
      };
      expect(own.model).toBe('clmm');
      expect(await page.$eval('#results', (e) => (e as HTMLElement).hidden)).toBe(true);
      const rows = (id: string) => page.$$eval(`${id} tbody tr`, (trs) => trs.map((r) => [(r as HTMLElement).dataset.term!, Number(r.getAttribute('data-estimate')), Number(r.getAttribute('data-se'))] as [string, number, number]));
      const thresholds = await rows('#clmm-threshold-table');
      const coefs = await rows('#clmm-coef-table');
      expect(thresholds.map((t) => t[0])).toEqual(lib.thresholdTable.map((t) => t.name));
      expect(coefs.map((t) => t[0])).toEqual(['tempwarm', 'contactyes']);
      const check = (shown: [string, number, number][], libs: { estimate: number; se: number }[], tol: number, what: string, seTol = tol) => shown.forEach(([name, est, se], k) => {
        expect(rel(est, libs[k]!.estimate), `${name} estimate (${what})`).toBeLessThan(tol);
        expect(rel(se, libs[k]!.se), `${name} SE (${what})`).toBeLessThan(seTol);
      });
      // the library's numbers of the page's fit
      check(thresholds, own.threshold_coefficients, 1e-10, 'its JSON');
      check(coefs, own.coefficients, 1e-10, 'its JSON');
      const logLik = Number(await page.$eval('#clmm-loglik', (e) => e.getAttribute('data-value')));
      expect(rel(logLik, own.loglik)).toBeLessThan(1e-10);
      // Node's library: the same objective at the page's optimum, the same maximum, the same parameters to BOBYQA's stop
      const par = lib.parNames.map((n) => own.par[n]!);
      expect(rel(-clmmObjective(lib.model, 1).f(par), logLik)).toBeLessThan(1e-10);
      expect(rel(logLik, lib.logLik)).toBeLessThan(1e-10);
      check(thresholds, lib.thresholdTable, 1e-6, 'Node', 1e-5);
      check(coefs, lib.coefficients, 1e-6, 'Node', 1e-5);
      expect(await text(page, '#clmm-summary')).toMatch(/^Cumulative Link Mixed Model fitted with the Laplace approximation/);
      expect(await text(page, '#clmm-levels')).toBe('1 < 2 < 3 < 4 < 5');
      expect(await page.$eval('#threshold', (e) => (e as HTMLSelectElement).value)).toBe('equidistant');
      await page.waitForSelector('#clmm-probs svg');
      expect(await page.$eval('#clmm-probs-caption', (e) => e.getAttribute('data-by'))).toBe('temp');
      expect(await page.$('#clmm-caterpillar svg')).not.toBeNull();
      expect(await text(page, '#clmm-not-shown')).toMatch(/^Not shown for an ordinal \(clmm\) fit: estimated marginal means/);

      // the ar1 example: the structure's one row with ρ, as the library prints it
      await page.click('[data-example="sleepstudy_ar1"]');
      await page.waitForFunction(() => document.body.dataset.state === 'loaded' && (document.getElementById('formula') as HTMLInputElement).value.includes('ar1('));
      expect(await page.$eval('#family', (e) => (e as HTMLSelectElement).value)).toBe('gaussian');
      await page.click('#fit');
      await page.waitForSelector('#results:not([hidden]) #varcorr-table td[data-rho]', { timeout: 120_000 });
      expect(await page.$eval('#clmm-results', (e) => (e as HTMLElement).hidden)).toBe(true);
      const rho = Number(await page.$eval('#varcorr-table td[data-rho]', (e) => e.getAttribute('data-rho')));
      expect(rel(rho, ar1.structures[0]!.rho[0]!)).toBeLessThan(1e-8);
      expect(await text(page, '#varcorr-table td[data-rho]')).toBe('0.88 (ar1)');
      expect(await page.$$eval('#varcorr-table tbody tr', (trs) => trs.map((r) => (r as HTMLElement).dataset.name))).toEqual(['DayF0', '']);
      expect(await text(page, '.structure-note')).toMatch(/^Covariance structure: ar1\(0 \+ DayF \| Subject\) \(glmmTMB's ar1\)/);
      // Kenward–Roger is refused with the library's message
      await page.select('#ddf', 'kenward-roger');
      await page.waitForFunction(() => (document.getElementById('inference-error')?.textContent ?? '').length > 0, { timeout: 60_000 });
      expect(await text(page, '#inference-error')).toMatch(/Kenward-Roger's method is not available for a fit with a covariance structure \(ar1\(0 \+ DayF \| Subject\)\)/);
    } finally {
      await page.close();
    }
  }, 300_000);
});
