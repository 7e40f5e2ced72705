/**
 * The browser app's Multiple comparisons card (multcomp's glht) in headless Chromium, in one short test:
 * cbpp's binomial glmer (`cbind(incidence, size - incidence) ~ period + (1 | herd)`) fitted from a link; the
 * card opened; a bad level named in the card; then Tukey's comparisons of period with holm's adjustment: the
 * table's estimates, SEs, z values and adjusted p, and the simultaneous intervals, against the library's glht of
 * the same model fitted in Node; the R call; the plot (one interval per comparison); the CSV download.
 *
 * Tolerances: Chromium's fit is not Node's to the last bit (V8's Math.exp/log/pow round differently, and the
 * optimizer stops elsewhere within its tolerance: test/e2e/zeroinfl.test.ts's header); the glmer's estimates
 * and Var(β̂) agree to about 1e-7 relative, so the estimates, SEs and z values are compared to 1e-5 relative,
 * holm's p (deterministic) to 1e-5 × (1 + z²) relative (a tail's relative error is about z times z's), and
 * the intervals' ends to 1e-3 SE (the adjusted quantile is integrated in each run to about 1e-4).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { glmer, readCsv } from '../../src/index.js';
import { type GlhtTestResult, glht, mcp } from '../../src/inference/glht.js';
import { ROOT, captureDownloads, enabled, text } from './harness.js';
import { appSuite } from './appSuite.js';

describe.skipIf(!enabled)("browser app: the Multiple comparisons card (multcomp's glht)", () => {
  const app = appSuite();

  test("cbpp's period: a bad level named; Tukey with holm against the library's glht; the R call, plot and CSV", async () => {
    const formula = 'cbind(incidence, size - incidence) ~ period + (1 | herd)';
    const cbpp = readCsv(readFileSync(join(ROOT, 'test/fixtures/data/cbpp.csv'), 'utf8')).table;
    const fit = await glmer(formula, cbpp, { family: 'binomial', factors: ['herd', 'period'] });
    const g = glht(fit, mcp({ period: 'Tukey' }));
    const lib = g.summary({ test: 'holm' }) as GlhtTestResult;
    const ci = g.confint();

    const query = `?${new URLSearchParams({ example: 'cbpp', formula, factors: 'herd,period', family: 'binomial', link: 'logit', backend: 'cpu', fit: '1' })}`;
    const page = await app().openPage({ query });
    try {
      const download = await captureDownloads(page);
      await page.waitForSelector('#fixef-table', { timeout: 120_000 });
      await page.click('#glht-card > summary');
      expect(await page.$$eval('#glht-factor option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['period']);
      expect(await page.$eval('#glht-type', (e) => (e as HTMLSelectElement).value)).toBe('Tukey');
      await page.select('#glht-test', 'holm');
      // a bad level: the card names the field, nothing is sent
      await page.$eval('#glht-level', (e) => { (e as HTMLInputElement).value = '95'; });
      await page.click('#glht-run');
      expect(await text(page, '#glht-error')).toBe("level: a number between 0 and 1 (exclusive), e.g. 0.95, not '95'");
      expect(await page.$eval('#glht-error', (e) => (e as HTMLElement).dataset.field)).toBe('level');
      await page.$eval('#glht-level', (e) => { (e as HTMLInputElement).value = '0.95'; });
      await page.click('#glht-run');
      await page.waitForSelector('#glht-table', { timeout: 60_000 });
      expect(await text(page, '#glht-error')).toBe('');

      const rows = await page.$$eval('#glht-table tbody tr', (trs) => trs.map((tr) => {
        const d = (tr as HTMLElement).dataset;
        return { name: d.name!, estimate: Number(d.estimate), se: Number(d.se), statistic: Number(d.statistic), p: Number(d.p) };
      }));
      expect(rows.map((r) => r.name)).toEqual(g.rowNames.map((r) => `${r} == 0`));
      const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
      rows.forEach((r, i) => {
        expect(rel(r.estimate, lib.estimate[i]!), `${r.name} estimate`).toBeLessThan(1e-5);
        expect(rel(r.se, lib.se[i]!), `${r.name} SE`).toBeLessThan(1e-5);
        expect(rel(r.statistic, lib.statistic[i]!), `${r.name} z`).toBeLessThan(1e-5);
        expect(rel(r.p, lib.pValue[i]!), `${r.name} p`).toBeLessThan(1e-5 * (1 + lib.statistic[i]! ** 2));
      });
      expect(await page.$$eval('#glht-table thead th', (ths) => ths.map((t) => t.textContent))).toEqual(['Hypothesis', 'Estimate', 'Std. Error', 'z value', 'Pr(>|z|)']);
      expect(await text(page, '#glht-note')).toBe('(Adjusted p values reported -- holm method)');
      expect(await text(page, '#glht-call code')).toBe('summary(glht(fit, linfct = mcp(period = "Tukey")), test = adjusted("holm"))');

      const ends = await page.$$eval('#glht-ci-table tbody tr', (trs) => trs.map((tr) => ({ lower: Number((tr as HTMLElement).dataset.lower), upper: Number((tr as HTMLElement).dataset.upper) })));
      ends.forEach((e, i) => {
        expect(Math.abs(e.lower - ci.lower[i]!) / lib.se[i]!).toBeLessThan(1e-3);
        expect(Math.abs(e.upper - ci.upper[i]!) / lib.se[i]!).toBeLessThan(1e-3);
      });
      // the plot: a y axis of the six comparisons by their row names (plot.confint.glht's)
      const ticks = await page.$$eval('#glht-plot svg [aria-label="y-axis tick label"] text', (ts) => ts.map((t) => t.textContent));
      expect(ticks).toEqual(g.rowNames);

      await page.click('#glht-csv');
      const csv = (await download('cbpp_glht.csv')).text.trim().split('\n');
      expect(csv[0]).toBe('hypothesis,estimate,std_error,z_value,p_value,lwr,upr');
      expect(csv).toHaveLength(7);
      expect(csv[1]!.split(',')[0]).toBe('2 - 1 == 0');
    } finally {
      await page.close();
    }
  }, 400_000);
});
