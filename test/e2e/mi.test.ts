/**
 * The browser app's Multiple imputation card (mitml's testEstimates and testModels, mice's pool) in headless
 * Chromium, in one short test: the studentratings (imputed) example (mice's long format, 5 imputations of 120
 * rows) opened from a link that has the card open with extra.pars and a null model (nothing is fitted on
 * opening: the card waits for its button); a bad df.com named in the card; then the model fitted to each
 * imputation in the worker and pooled: testEstimates's table against lmerImputed's of the same model in Node,
 * the pooled variance components, mice's pool table, testModels's D1 row and mitml's printouts, the R calls, the
 * CSV download, the address; on a phone the card and its tables fit the width; then sleepstudy (no imputation
 * column): no panel.
 *
 * Tolerances: Chromium's fits are not Node's to the last bit (V8's Math.exp/log/pow round differently and the
 * optimizer stops elsewhere within its tolerance: test/e2e/zeroinfl.test.ts's header); the fits' β̂ and θ̂ agree
 * to about 1e-6 relative, so the pooled numbers are compared to 1e-5 relative (the exact equality of the
 * worker's numbers with the library's is test/e2e/demo-mi.test.ts's, in Node).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { lmerImputed, printTestModels, readCsv } from '../../src/index.js';
import { ROOT, captureDownloads, enabled, text } from './harness.js';
import { appSuite } from './appSuite.js';

const close = (a: number, b: number, what: string) => expect(Math.abs(a - b), `${what}: ${a} against ${b}`).toBeLessThanOrEqual(1e-5 * Math.abs(b) + 1e-12);

describe.skipIf(!enabled)('browser app: the Multiple imputation card (mitml, mice)', () => {
  const app = appSuite();

  test("studentratings (imputed): the card from a link, not fitted on opening; a bad df.com named; the pooled tables against lmerImputed's, the printouts, R calls and CSV", async () => {
    const formula = 'ReadAchiev ~ ReadDis + SES + Sex + (1 | ID)';
    const null0 = 'ReadAchiev ~ ReadDis + (1 | ID)';
    const data = readCsv(readFileSync(join(ROOT, 'test/fixtures/data/studentratings_mi.csv'), 'utf8')).table;
    const fits = await lmerImputed(formula, data, { factors: ['ID'], backend: 'cpu' });
    const fits0 = await lmerImputed(null0, data, { factors: ['ID'], backend: 'cpu' });
    const est = fits.testEstimates({ extraPars: true });
    const pool = fits.pool();
    const d1 = await fits.testModels(fits0, { method: 'D1' });

    const query = `?${new URLSearchParams({ example: 'studentratings_mi', backend: 'cpu', mi: '1', mix: '1', mi0: null0 })}`;
    const page = await app().openPage({ query });
    try {
      const download = await captureDownloads(page);
      await page.waitForSelector('#mi-panel:not([hidden]) #mi-card[open]', { timeout: 120_000 });
      // the link's card: open, its fields, nothing fitted
      expect(await page.$eval('#mi-imp', (e) => (e as HTMLSelectElement).value)).toBe('.imp');
      expect(await page.$eval('#mi-extra', (e) => (e as HTMLInputElement).checked)).toBe(true);
      expect(await page.$eval('#mi-null', (e) => (e as HTMLInputElement).value)).toBe(null0);
      expect(await page.$eval('#formula', (e) => (e as HTMLInputElement).value)).toBe(formula);
      expect(await page.$('#mi-est-table')).toBeNull();
      // a bad df.com: the card names the field, nothing is sent
      await page.$eval('#mi-dfcom', (e) => { (e as HTMLInputElement).value = '-5'; });
      await page.click('#mi-run');
      expect(await text(page, '#mi-error')).toBe("df.com: the complete-data degrees of freedom: a positive number, or empty for none, not '-5'");
      expect(await page.$eval('#mi-error', (e) => (e as HTMLElement).dataset.field)).toBe('dfCom');
      await page.$eval('#mi-dfcom', (e) => { (e as HTMLInputElement).value = ''; });
      await page.click('#mi-run');
      await page.waitForSelector('#mi-est-table', { timeout: 120_000 });
      expect(await text(page, '#mi-error')).toBe('');

      const rows = await page.$$eval('#mi-est-table tbody tr', (trs) => trs.map((tr) => {
        const d = (tr as HTMLElement).dataset;
        return { term: d.term!, estimate: Number(d.estimate), se: Number(d.se), df: Number(d.df), p: Number(d.p), riv: Number(d.riv), fmi: Number(d.fmi) };
      }));
      expect(rows.map((r) => r.term)).toEqual(['(Intercept)', 'ReadDis', 'SES', 'SexGirl']);
      rows.forEach((r, i) => {
        const lib = est.estimates.rows[i]!;
        close(r.estimate, lib.estimate, `${r.term} estimate`);
        close(r.se, lib.se, `${r.term} SE`);
        close(r.df, lib.df, `${r.term} df`);
        close(r.riv, lib.riv, `${r.term} RIV`);
        close(r.fmi, lib.fmi, `${r.term} FMI`);
      });
      const extra = await page.$$eval('#mi-extra-table tbody tr', (trs) => trs.map((tr) => ({ term: (tr as HTMLElement).dataset.term!, estimate: Number((tr as HTMLElement).dataset.estimate) })));
      expect(extra.map((x) => x.term)).toEqual(est.extraPars!.map((x) => x.term));
      extra.forEach((x, i) => close(x.estimate, est.extraPars![i]!.estimate, x.term));
      const poolRows = await page.$$eval('#mi-pool-table tbody tr', (trs) => trs.map((tr) => ({ term: (tr as HTMLElement).dataset.term!, se: Number((tr as HTMLElement).dataset.se), df: Number((tr as HTMLElement).dataset.df) })));
      expect(poolRows.map((r) => r.term)).toEqual(pool.map((r) => r.term));
      poolRows.forEach((r, i) => { close(r.se, pool[i]!.std_error, `pool ${r.term} SE`); close(r.df, pool[i]!.df, `pool ${r.term} df`); });
      const t = await page.$eval('#mi-test-table tbody tr', (tr) => ({ F: Number((tr as HTMLElement).dataset.f), df2: Number((tr as HTMLElement).dataset.df2), p: Number((tr as HTMLElement).dataset.p) }));
      close(t.F, d1.F, 'D1 F');
      close(t.df2, d1.df2, 'D1 df2');
      // mitml's printouts (3 decimals: the same as Node's where the fits agree to 1e-6)
      expect(await text(page, '#mi-est-text')).toMatch(/^Final parameter estimates and inferences obtained from 5 imputed data sets\./);
      expect((await text(page, '#mi-test-text')).split('\n').slice(0, 4).join('\n')).toBe(printTestModels(d1).split('\n').slice(0, 4).join('\n'));
      // the R calls
      expect(await text(page, '#mi-est-call code')).toBe(`implist <- as.mitml.list(split(dat[dat$.imp != 0, ], dat$.imp[dat$.imp != 0])); fit <- with(implist, lmer(${formula})); testEstimates(fit, extra.pars = TRUE)`);
      expect(await text(page, '#mi-pool-call code')).toBe('summary(pool(fit), type = "all")');
      expect(await text(page, '#mi-test-call code')).toBe(`fit0 <- with(implist, lmer(${null0})); testModels(fit, fit0, method = "D1")`);
      await page.click('#mi-est-csv');
      const csv = (await download('studentratings_mi_testEstimates.csv')).text.trim().split('\n');
      expect(csv[0]).toBe('term,Estimate,Std.Error,t.value,df,P(>|t|),RIV,FMI');
      expect(csv).toHaveLength(1 + 4 + est.extraPars!.length);
      // the address keeps the card's fields
      const q = new URL(page.url()).searchParams;
      expect([q.get('mi'), q.get('mix'), q.get('mi0')]).toEqual(['1', '1', null0]);
    } finally {
      await page.close();
    }
    // a phone: the card and its tables fit the width (the tables scroll in their own boxes)
    const phone = await app().openPage({ query, width: 390, height: 844 });
    try {
      await phone.waitForSelector('#mi-panel:not([hidden]) #mi-card[open]', { timeout: 120_000 });
      await phone.click('#mi-run');
      await phone.waitForSelector('#mi-test-table', { timeout: 120_000 });
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    } finally {
      await phone.close();
    }
    // data without an imputation column: no panel
    const other = await app().openPage({ query: '?example=sleepstudy' });
    try {
      await other.waitForFunction(() => document.querySelector('#formula') && (document.querySelector('#formula') as HTMLInputElement).value !== '', { timeout: 120_000 });
      expect(await other.$eval('#mi-panel', (e) => (e as HTMLElement).hidden)).toBe(true);
    } finally {
      await other.close();
    }
  }, 400_000);
});
