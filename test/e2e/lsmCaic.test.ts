/**
 * The browser app's Least-squares means card (lmerTest's ls_means) and the Model tests card's conditional
 * AIC (cAIC4) in headless Chromium, in one short test: sleepstudy with Days as a factor
 * (`Reaction ~ DayF + (1 | Subject)`) fitted from a link that also opens the card on DayF with Kenward–Roger
 * df (the card computed again once the fit is back); the table against the library's fit.lsMeans of the same
 * model fitted in Node; a bad level named in the card; difflsmeans (pairwise) with its R call; the CSV;
 * the address keeping the card's settings; then cAIC in the Model tests card against the library's fit.cAIC
 * and its printout.
 *
 * Tolerances: Chromium's fit is not Node's to the last bit (V8's Math functions round differently and the
 * optimizer stops elsewhere within its tolerance: test/e2e/zeroinfl.test.ts's header); θ̂ agrees to about
 * 1e-7 relative, so every number is compared to 1e-5 relative (of max(|value|, SE) for the estimates and
 * interval ends), p to 1e-5 × (1 + t²) relative.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { lmer, readCsv } from '../../src/index.js';
import '../../src/inference/methods.js';
import { formatCaic } from '../../src/inference/caic.js';
import { ROOT, captureDownloads, enabled, text } from './harness.js';
import { appSuite } from './appSuite.js';

describe.skipIf(!enabled)("browser app: lmerTest's least-squares means and cAIC4's conditional AIC", () => {
  const app = appSuite();

  test('sleepstudy by day: ls_means from the link (Kenward–Roger), difflsmeans, the CSV; cAIC in the Model tests card', async () => {
    const formula = 'Reaction ~ DayF + (1 | Subject)';
    const data = readCsv(readFileSync(join(ROOT, 'test/fixtures/data/sleepstudy_dayf.csv'), 'utf8'), { factors: ['Subject', 'DayF'] }).table;
    const fit = await lmer(formula, data, { factors: ['Subject', 'DayF'] });
    const lib = fit.lsMeans({ which: 'DayF', ddf: 'kenward-roger' });
    const libPairs = fit.lsMeans({ which: 'DayF', ddf: 'kenward-roger', pairwise: true, level: 0.9 });
    const caic = await fit.cAIC();

    const query = `?${new URLSearchParams({ example: 'sleepstudy_ar1', formula, factors: 'Subject,DayF', backend: 'cpu', fit: '1', ddf: 'kenward-roger', lsm: '1', lsmw: 'DayF' })}`;
    const page = await app().openPage({ query });
    try {
      const download = await captureDownloads(page);
      await page.waitForSelector('#fixef-table', { timeout: 120_000 });
      // the link's settings: the card open on DayF and computed again with the page's Kenward–Roger df
      await page.waitForSelector('#lsm-table', { timeout: 60_000 });
      expect(await page.$eval('#lsm-card', (e) => (e as HTMLDetailsElement).open)).toBe(true);
      expect(await page.$$eval('#lsm-which option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['', 'DayF']);
      expect(await text(page, '#lsm-ddf')).toBe("df: Kenward–Roger (the fixed effects' choice)");
      const read = () => page.$$eval('#lsm-table tbody tr', (trs) => trs.map((tr) => {
        const d = (tr as HTMLElement).dataset;
        return { name: d.name!, estimate: Number(d.estimate), se: Number(d.se), df: Number(d.df), t: Number(d.t), lower: Number(d.lower), upper: Number(d.upper), p: Number(d.p) };
      }));
      const compare = (rows: Awaited<ReturnType<typeof read>>, want: typeof lib) => {
        expect(rows.map((r) => r.name)).toEqual(want.rows.map((r) => r.name));
        const rel = (a: number, b: number, s: number) => Math.abs(a - b) / s;
        rows.forEach((r, i) => {
          const w = want.rows[i]!;
          const s = Math.max(Math.abs(w.estimate), w.se);
          for (const k of ['estimate', 'se', 'lower', 'upper'] as const) expect(rel(r[k], w[k], s), `${r.name} ${k}`).toBeLessThan(1e-5);
          expect(rel(r.t, w.t, Math.max(1, Math.abs(w.t))), `${r.name} t`).toBeLessThan(1e-5);
          expect(rel(r.df, w.df, w.df), `${r.name} df`).toBeLessThan(1e-5);
          expect(rel(r.p, w.p, w.p), `${r.name} p`).toBeLessThan(1e-5 * (1 + w.t ** 2));
        });
      };
      compare(await read(), lib);
      expect(await page.$eval('#lsm-table', (e) => (e as HTMLElement).dataset.ddf)).toBe('kenward-roger');
      expect(await page.$$eval('#lsm-table thead th', (ths) => ths.map((t) => t.textContent))).toEqual(['', 'Estimate', 'Std. Error', 'df', 't value', 'lower', 'upper', 'Pr(>|t|)']);
      expect(await text(page, '#lsm-call code')).toBe('ls_means(fit, which = "DayF", ddf = "Kenward-Roger")');
      expect((await text(page, '#lsm-text')).split('\n').slice(0, 2)).toEqual(['Least Squares Means table:', '']);
      expect(await text(page, '#lsm-text')).toMatch(/Confidence level: 95%\n {2}Degrees of freedom method: Kenward-Roger/);

      // a bad level: the card names the field, nothing is sent
      await page.$eval('#lsm-level', (e) => { (e as HTMLInputElement).value = '90'; });
      await page.click('#lsm-run');
      expect(await text(page, '#lsm-error')).toBe("level: a number between 0 and 1 (exclusive), e.g. 0.95, not '90'");
      expect(await page.$eval('#lsm-error', (e) => (e as HTMLElement).dataset.field)).toBe('level');
      // difflsmeans at 90 %
      await page.$eval('#lsm-level', (e) => { (e as HTMLInputElement).value = '0.9'; e.dispatchEvent(new Event('change')); });
      await page.click('#lsm-pairwise');
      await page.click('#lsm-run');
      await page.waitForSelector('#lsm-table[data-pairwise="true"]', { timeout: 60_000 });
      expect(await text(page, '#lsm-error')).toBe('');
      compare(await read(), libPairs);
      expect(await text(page, '#lsm-call code')).toBe('ls_means(fit, which = "DayF", level = 0.9, pairwise = TRUE, ddf = "Kenward-Roger")');
      const q = new URL(page.url()).searchParams;
      expect([q.get('lsm'), q.get('lsmw'), q.get('lsmp'), q.get('lsml'), q.get('ddf')]).toEqual(['1', 'DayF', '1', '0.9', 'kenward-roger']);
      await page.click('#lsm-csv');
      const csv = (await download('sleepstudy_ar1_ls_means.csv')).text.trim().split('\n');
      expect(csv[0]).toBe('term,name,estimate,std_error,df,t_value,lower,upper,p_value');
      expect(csv).toHaveLength(1 + 45);
      expect(csv[1]!.split(',').slice(0, 2)).toEqual(['DayF', 'DayF0 - DayF1']);

      // the page's df changed: the card says its table is of the other method until computed again
      await page.select('#ddf', 'satterthwaite');
      expect(await text(page, '#lsm-ddf')).toBe("df: Satterthwaite (the fixed effects' choice)");
      expect(await text(page, '#lsm-status')).toBe('The table is of the df method chosen before: Compute again for this one.');
      await page.select('#ddf', 'kenward-roger');
      expect(await text(page, '#lsm-status')).toBe('');

      // cAIC4's conditional AIC in the Model tests card
      await page.select('#tests-kind', 'caic');
      await page.click('#tests-run');
      await page.waitForSelector('#tests-caic-table tr[data-key="Conditional AIC"]', { timeout: 60_000 });
      const value = (key: string) => page.$eval(`#tests-caic-table tr[data-key="${key}"]`, (e) => Number((e as HTMLElement).dataset.value));
      for (const [key, want] of [['Conditional log-likelihood', caic.loglikelihood], ['Degrees of freedom', caic.df], ['Conditional AIC', caic.caic]] as const) {
        expect(Math.abs((await value(key)) - want) / Math.abs(want), key).toBeLessThan(1e-5);
      }
      // cAIC4's printout (untrimmed: its first line is blank headers)
      expect(await page.$eval('#tests-sec-caic pre', (e) => e.textContent)).toBe(formatCaic(caic));
    } finally {
      await page.close();
    }
  }, 400_000);
});
