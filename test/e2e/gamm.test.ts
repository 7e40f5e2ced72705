/**
 * The browser app's smooth terms (gamm4) in headless Chromium, in one test: mgcv's gamSim example opened
 * from an address (example=gamsim, its formula y ~ s(x0) + s(x1, bs = "cr") + x2 + (1 | fac), fit=1) is
 * fitted by gamm4 with (1 | fac) as its random part, and the gamm4 section shows the library's numbers:
 * the parametric table and the smooths' edf equal the fit's own JSON (the library's toJSON of the worker's
 * fit) to 1e-10 relative (the smooths' p-values of summary.gam's tests too), and Node's gamm4 of the same arguments to 1e-6 (estimates, edf) and 1e-5 (SEs):
 * Chromium's Math.exp, log and pow differ from Node's in the last bit, which moves the optimizer's stopping
 * point (test/e2e/zeroinfl.test.ts's header). Each smooth's plot is drawn (100 grid points, a rug of the
 * data's 400 distinct values); summary(gam) and the mer's summary are shown; the lmer cards' absence is one
 * line; the smooths' plot data CSV has a row per grid point. Then the formula box: typing a smooth of
 * another basis shows the library's refusal at its token and disables Fit; `s(x0, k = 8)` is accepted.
 */
import { describe, expect, test } from 'vitest';
import { gamm4 } from '../../src/gamm/gamm4.js';
import { loadDataFile } from '../helpers/inference.js';
import { captureDownloads, enabled, text } from './harness.js';
import { appSuite } from './appSuite.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe.skipIf(!enabled)('browser app: smooth terms (gamm4)', () => {
  const app = appSuite();

  test("gamSim from a link: gamm4's tables, plots and printouts; the formula box's refusal at its token", async () => {
    const formula = 'y ~ s(x0) + s(x1, bs = "cr") + x2 + (1 | fac)';
    const lib = await gamm4('y ~ x2 + s(x0) + s(x1, bs = "cr")', loadDataFile('gamsim1.csv'), { random: '~ (1 | fac)' });
    const page = await app().openPage({ query: `?${new URLSearchParams({ example: 'gamsim', formula, fit: '1' })}` });
    try {
      const download = await captureDownloads(page);
      await page.waitForSelector('#gamm-results:not([hidden]) #gamm-parametric-table', { timeout: 120_000 });
      expect(await page.$eval('#results', (e) => (e as HTMLElement).hidden)).toBe(true);
      expect(await text(page, '#gamm-call')).toBe('gamm4(y ~ x2 + s(x0) + s(x1, bs = "cr"), random = ~ (1 | fac))');
      await page.click('#gamm-export-json');
      const own = JSON.parse((await download('gamsim_gamm4.json')).text) as {
        parametric: { names: string[]; estimate: number[]; se: number[] }; smooths: { label: string; edf: number }[]; sig2: number; s_table: { p: number[] };
      };
      const par = await page.$$eval('#gamm-parametric-table tbody tr', (trs) => trs.map((r) => [(r as HTMLElement).dataset.term!, Number(r.getAttribute('data-estimate')), Number(r.getAttribute('data-se'))] as [string, number, number]));
      expect(par.map((r) => r[0])).toEqual(lib.gam.parametric.names);
      par.forEach(([name, est, se], j) => {
        expect(rel(est, own.parametric.estimate[j]!), `${name} (JSON)`).toBeLessThan(1e-10);
        expect(rel(se, own.parametric.se[j]!), `${name} SE (JSON)`).toBeLessThan(1e-10);
        expect(rel(est, lib.gam.parametric.estimate[j]!), `${name} (Node)`).toBeLessThan(1e-6);
        expect(rel(se, lib.gam.parametric.se[j]!), `${name} SE (Node)`).toBeLessThan(1e-5);
      });
      const sm = await page.$$eval('#gamm-smooths-table tbody tr', (trs) => trs.map((r) => [(r as HTMLElement).dataset.term!, Number(r.getAttribute('data-edf')), Number(r.getAttribute('data-p'))] as [string, number, number]));
      expect(sm.map((r) => r[0])).toEqual(['s(x0)', 's(x1)']);
      sm.forEach(([label, edf, p], k) => {
        expect(rel(edf, own.smooths[k]!.edf), `${label} edf (JSON)`).toBeLessThan(1e-10);
        // summary.gam's smooth test's p-value (a p of 0 in R's and the library's printout is 0 in both)
        const pj = own.s_table.p[k]!;
        expect(pj === 0 ? p : rel(p, pj), `${label} p (JSON)`).toBeLessThan(1e-10);
        expect(rel(edf, lib.gam.smooths[k]!.edf), `${label} edf (Node)`).toBeLessThan(1e-6);
      });
      expect(rel(Number(await page.$eval('#gamm-sigma', (e) => e.getAttribute('data-value'))), Math.sqrt(own.sig2))).toBeLessThan(1e-10);
      // the plots: one per smooth, 100 grid points, the data's 400 distinct values as the rug, an SVG drawn
      const plots = await page.$$eval('.gamm-plot', (ps) => ps.map((p) => [(p as HTMLElement).dataset.smooth, (p as HTMLElement).dataset.points, (p as HTMLElement).dataset.rug, p.querySelectorAll('svg').length > 0]));
      expect(plots).toEqual([['s(x0)', '100', '400', true], ['s(x1)', '100', '400', true]]);
      const summary = await text(page, '#gamm-summary');
      expect(summary).toContain('Formula:\ny ~ x2 + s(x0) + s(x1, bs = "cr")');
      expect(summary).toMatch(/R-sq\.\(adj\) = /);
      expect(await page.$eval('#gamm-mer-summary', (e) => e.textContent ?? '')).toMatch(/Linear mixed model fit by REML/);
      expect(await text(page, '#gamm-not-shown')).toMatch(/^Not shown for a gamm4 fit: /);
      await page.click('#gamm-export-plots');
      const csv = (await download('gamsim_smooths_plot.csv')).text.trim().split(/\r?\n/);
      expect(csv[0]).toBe('smooth,x,fit,se,lower,upper');
      expect(csv.length).toBe(201);

      // the formula box: another basis refused at its token, Fit disabled; k = 8 accepted
      const bad = 'y ~ s(x0, bs = "ds") + x2 + (1 | fac)';
      await page.$eval('#formula', (e, v) => { (e as HTMLInputElement).value = v; e.dispatchEvent(new Event('input', { bubbles: true })); }, bad);
      await page.waitForFunction((f) => (document.querySelector('#formula') as HTMLElement).dataset.validated === f, {}, bad);
      expect(await text(page, '#formula-error')).toMatch(/bs = "ds": basis not supported/);
      expect(await page.$eval('#formula-token', (e) => e.getAttribute('data-position'))).toBe(String(bad.indexOf('bs =')));
      expect(await page.$eval('#fit', (e) => (e as HTMLButtonElement).disabled)).toBe(true);
      const good = 'y ~ s(x0, k = 8) + x2 + (1 | fac)';
      await page.$eval('#formula', (e, v) => { (e as HTMLInputElement).value = v; e.dispatchEvent(new Event('input', { bubbles: true })); }, good);
      await page.waitForFunction((f) => (document.querySelector('#formula') as HTMLElement).dataset.validated === f, {}, good);
      expect(await text(page, '#formula-error')).toBe('');
      expect(await page.$eval('#fit', (e) => (e as HTMLButtonElement).disabled)).toBe(false);
    } finally {
      await page.close();
    }
  }, 400_000);
});
