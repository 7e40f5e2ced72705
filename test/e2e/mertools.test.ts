/**
 * The browser app's Simulation intervals card (merTools's REsim, FEsim, plotREsim) in headless Chromium, in one
 * short test: sleepstudy's `Reaction ~ Days + (Days | Subject)` fitted from a link that has the card open with
 * n.sims = 500 (the simulation is not run on opening: the card waits for its button); a bad level named in the
 * card; then REsim: the table's 36 rows (18 subjects × 2 terms) against the library's REsim of the same model
 * fitted in Node, FEsim's table, the R call, plotREsim's two panels (a dot per level, the intervals that exclude
 * 0 counted as the table marks them), the CSV download.
 *
 * Tolerances: Chromium's fit is not Node's to the last bit (V8's Math.exp/log/pow round differently and the
 * optimizer stops elsewhere within its tolerance: test/e2e/zeroinfl.test.ts's header), while the draws' normals
 * are the same (counter-based); the fits' θ̂ and β̂ agree to about 1e-6 relative, so the draws' means, medians
 * and SDs are compared to 1e-4 of each row's SD.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { lmer, readCsv } from '../../src/index.js';
import { ROOT, captureDownloads, enabled, text } from './harness.js';
import { appSuite } from './appSuite.js';

describe.skipIf(!enabled)("browser app: the Simulation intervals card (merTools's REsim)", () => {
  const app = appSuite();

  test("sleepstudy: the card from a link, not run on opening; a bad level named; REsim's table against the library's, FEsim, the R call, plotREsim's panels and the CSV", async () => {
    const formula = 'Reaction ~ Days + (Days | Subject)';
    const sleep = readCsv(readFileSync(join(ROOT, 'test/fixtures/data/sleepstudy.csv'), 'utf8')).table;
    const fit = await lmer(formula, sleep, { factors: ['Subject'] });
    const re = fit.REsim({ nsims: 500, seed: 1 });
    const fe = fit.FEsim({ nsims: 500, seed: 1 });

    const query = `?${new URLSearchParams({ example: 'sleepstudy', formula, factors: 'Subject', backend: 'cpu', fit: '1', mersim: '1', msn: '500' })}`;
    const page = await app().openPage({ query });
    try {
      const download = await captureDownloads(page);
      await page.waitForSelector('#fixef-table', { timeout: 120_000 });
      // the link's card: open, its n.sims, nothing simulated
      expect(await page.$eval('#mersim-card', (e) => (e as HTMLDetailsElement).open)).toBe(true);
      expect(await page.$eval('#mersim-re-nsims', (e) => (e as HTMLInputElement).value)).toBe('500');
      expect(await page.$('#mersim-re-table')).toBeNull();
      // the CSV box: the data's first rows of the model's variables
      expect((await page.$eval('#mersim-newdata', (e) => (e as HTMLTextAreaElement).value)).split('\n')[0]).toBe('Days,Subject');
      // a bad level: the card names the field, nothing is sent
      await page.$eval('#mersim-re-level', (e) => { (e as HTMLInputElement).value = '95'; });
      await page.click('#mersim-re-run');
      expect(await text(page, '#mersim-error')).toBe("level: a number between 0 and 1 (exclusive), e.g. 0.95, not '95'");
      expect(await page.$eval('#mersim-error', (e) => (e as HTMLElement).dataset.field)).toBe('level');
      await page.$eval('#mersim-re-level', (e) => { (e as HTMLInputElement).value = '0.95'; });
      await page.click('#mersim-re-run');
      await page.waitForSelector('#mersim-re-table', { timeout: 120_000 });
      expect(await text(page, '#mersim-error')).toBe('');

      const rows = await page.$$eval('#mersim-re-table tbody tr', (trs) => trs.map((tr) => {
        const d = (tr as HTMLElement).dataset;
        return { group: d.group!, level: d.level!, term: d.term!, mean: Number(d.mean), median: Number(d.median), sd: Number(d.sd), ymin: Number(d.ymin), ymax: Number(d.ymax), sig: d.sig === '1' };
      }));
      expect(rows.map((r) => [r.group, r.level, r.term])).toEqual(re.map((r) => [r.groupFctr, r.groupID, r.term]));
      rows.forEach((r, i) => {
        const lib = re[i]!;
        expect(Math.abs(r.mean - lib.mean) / lib.sd!, `${r.level} ${r.term} mean`).toBeLessThan(1e-4);
        expect(Math.abs(r.median - lib.median) / lib.sd!, `${r.level} ${r.term} median`).toBeLessThan(1e-4);
        expect(Math.abs(r.sd - lib.sd!) / lib.sd!, `${r.level} ${r.term} sd`).toBeLessThan(1e-4);
        // plotREsim's interval: median ± 1.96 sd
        expect(Math.abs(r.ymax - (r.median + 1.959963984540054 * r.sd))).toBeLessThan(1e-9 * (1 + Math.abs(r.ymax)));
        expect(r.sig).toBe(r.ymin > 0 || r.ymax < 0);
      });
      const feRows = await page.$$eval('#mersim-fe-table tbody tr', (trs) => trs.map((tr) => ({ term: (tr as HTMLElement).dataset.term!, median: Number((tr as HTMLElement).dataset.median), sd: Number((tr as HTMLElement).dataset.sd) })));
      expect(feRows.map((r) => r.term)).toEqual(['(Intercept)', 'Days']);
      feRows.forEach((r, i) => expect(Math.abs(r.median - fe[i]!.median) / fe[i]!.sd!).toBeLessThan(1e-4));
      expect(await text(page, '#mersim-re-call code')).toBe('REsim(fit, n.sims = 500, seed = 1)');
      expect(await text(page, '#mersim-plot-call code')).toBe('plotREsim(REsim(fit, n.sims = 500, seed = 1))');

      // plotREsim: one panel per term, a dot per level, the intervals that exclude 0 as the table marks them
      const panels = await page.$$eval('#mersim-plot .mersim-panel', (ps) => ps.map((p) => ({
        term: (p as HTMLElement).dataset.term, levels: Number((p as HTMLElement).dataset.levels), sig: Number((p as HTMLElement).dataset.sig),
        dots: p.querySelectorAll('svg circle').length,
      })));
      expect(panels.map((p) => [p.term, p.levels, p.dots])).toEqual([['(Intercept)', 18, 18], ['Days', 18, 18]]);
      expect(panels.map((p) => p.sig)).toEqual(['(Intercept)', 'Days'].map((t) => rows.filter((r) => r.term === t && r.sig).length));
      expect(panels.reduce((a, p) => a + p.sig, 0)).toBeGreaterThan(0);

      await page.click('#mersim-re-csv');
      const csv = (await download('sleepstudy_REsim.csv')).text.trim().split('\n');
      expect(csv[0]).toBe('groupFctr,groupID,term,mean,median,sd,ymin,ymax,sig');
      expect(csv).toHaveLength(37);
      // the address keeps the card's fields
      expect(new URL(page.url()).searchParams.get('msn')).toBe('500');
    } finally {
      await page.close();
    }
  }, 400_000);
});
