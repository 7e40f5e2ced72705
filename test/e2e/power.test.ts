/**
 * The browser app's Power card (simr's powerSim, extend, powerCurve) and per-group fits card (lme4's
 * lmList), in headless Chromium: opened from an address that holds their settings, a small powerSim
 * (sleepstudy, nsim 10, a fixed seed, the slope set to 3) whose power, Clopper–Pearson interval and
 * p-values on the page equal the library's powerSim in Node with the same seed, Cancel of a long run,
 * a power curve extended beyond the data's 18 subjects drawn with its error bars, and the lmList table
 * equal to the library's lmList, sorted by a click, with its CSV. Small runs only: the whole file takes
 * well under a minute of simulations on two cores.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { lmer, readCsv } from '../../src/index.js';
import { powerSim } from '../../src/inference/powerSim.js';
import { extend, powerCurve } from '../../src/inference/powerCurve.js';
import { lmList } from '../../src/lmlist/lmList.js';
import { ROOT, captureDownloads, enabled, text } from './harness.js';
import { appSuite } from './appSuite.js';

describe.skipIf(!enabled)('browser app: power analysis and per-group fits', () => {
  const app = appSuite();

  test('powerSim equals the library\'s with the same seed; Cancel; the power curve with extend; lmList\'s table; the address', async () => {
    const sleep = readCsv(readFileSync(join(ROOT, 'test/fixtures/data/sleepstudy.csv'), 'utf8')).table;
    const fit = await lmer('Reaction ~ Days + (Days | Subject)', sleep, { factors: ['Subject'] });
    const lib = await powerSim(fit, { test: 'Days', method: 't', nsim: 10, seed: 5, fixef: { Days: 3 } });
    // the same CPU fit in Chromium and in Node agrees to ~1e-10 (workbench.test.ts): the refits' p-values to 1e-6 relative
    const close = (a: number, b: number, what: string) => expect(Math.abs(a - b) / Math.max(1e-12, Math.abs(b)), what).toBeLessThan(1e-6);
    const query = '?example=sleepstudy&formula=Reaction+~+Days+%2B+(Days+%7C+Subject)&factors=Subject&backend=cpu&fit=1'
      + '&power=1&ptest=Days&pmethod=t&pnsim=10&pseed=5&peffect=Days%3D3&palong=Subject&lmlist=Subject';
    const page = await app().openPage({ query });
    try {
      const download = await captureDownloads(page);
      await page.waitForSelector('body[data-state="fitted"]', { timeout: 120_000 });
      // the address opened both cards with their settings
      expect(await page.$eval('#power-card', (e) => (e as HTMLDetailsElement).open)).toBe(true);
      expect(await page.$eval('#lmlist-card', (e) => (e as HTMLDetailsElement).open)).toBe(true);
      const value = (sel: string) => page.$eval(sel, (e) => (e as HTMLInputElement).value);
      expect([await value('#power-test'), await value('#power-method'), await value('#power-nsim'), await value('#power-seed'), await value('[data-effect="Days"]')])
        .toEqual(['Days', 't', '10', '5', '3']);
      expect(await page.$$eval('#power-method option', (o) => o.map((x) => (x as HTMLOptionElement).value))).toEqual(['kr', 't', 'z', 'lr', 'f', 'anova', 'chisq']);

      // powerSim: power, its interval and every p-value as the library's
      await page.click('#power-run');
      await page.waitForSelector('#power-headline', { timeout: 120_000 });
      const head = await page.$eval('#power-headline', (e) => {
        const d = (e as HTMLElement).dataset;
        return { power: d.power!, lower: d.lower!, upper: d.upper!, text: e.textContent ?? '' };
      });
      expect(Number(head.power)).toBe(lib.power);
      expect([Number(head.lower), Number(head.upper)]).toEqual(lib.ci);
      expect(head.text).toContain(`${lib.successes} of 10 simulations with p < 0.05`);
      expect(await text(page, '#power-text')).toMatch(/^Power for predictor 'Days', \(95% confidence interval\):/);
      expect(await text(page, '#power-text')).toContain('Effect size for Days is 3.0');
      await page.click('#export-power-pvalues');
      const pv = (await download('sleepstudy_power_pvalues.csv')).text.trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
      expect(pv.length).toBe(10);
      pv.forEach((p, r) => close(p, lib.pValues[r]!, `p-value of replicate ${r + 1}`));

      // Cancel: a long run (lr refits both models of every replicate) stops; the result shown stays
      await page.select('#power-method', 'lr');
      await page.$eval('#power-nsim', (e) => { (e as HTMLInputElement).value = '5000'; });
      await page.click('#power-run');
      await page.waitForFunction(() => /^[1-9]\d* of 5000 simulations/.test(document.querySelector('#power-progress-text')!.textContent ?? ''), { timeout: 60_000 });
      await page.click('#power-cancel');
      await page.waitForFunction(() => document.querySelector('#power-progress-text')!.textContent === 'Cancelled.', { timeout: 30_000 });
      expect(await page.$eval('#power-headline', (e) => (e as HTMLElement).dataset.power)).toBe(head.power);
      expect(await page.$eval('#power-run', (e) => (e as HTMLButtonElement).disabled)).toBe(false);

      // a bad field is named in the card, nothing runs
      await page.$eval('#power-nsim', (e) => { (e as HTMLInputElement).value = '0'; });
      await page.click('#power-run');
      expect(await text(page, '#power-error')).toMatch(/^nsim must be a whole number of simulations from 1/);

      // the power curve beyond the data's 18 subjects: extended to 20 first, drawn with its error bars
      await page.select('#power-method', 't');
      await page.$eval('#power-nsim', (e) => { (e as HTMLInputElement).value = '3'; });
      await page.$eval('#power-breaks', (e) => { (e as HTMLInputElement).value = '3, 20'; });
      await page.click('#power-curve-run');
      await page.waitForSelector('#power-plot svg', { timeout: 120_000 });
      const extended = await extend(fit, sleep, { along: 'Subject', n: 20 });
      const curve = await powerCurve(extended, { test: 'Days', method: 't', nsim: 3, seed: 5, along: 'Subject', breaks: [3, 20], fixef: { Days: 3 } });
      const rows = await page.$$eval('#power-power-curve-table tbody tr', (trs) => trs.map((r) => ({ x: Number((r as HTMLElement).dataset.x), nrow: Number((r as HTMLElement).dataset.nrow), power: Number((r as HTMLElement).dataset.power), successes: Number((r as HTMLElement).dataset.successes) })));
      expect(rows).toEqual(curve.points.map((p) => ({ x: p.x, nrow: p.nrow, power: 100 * p.power, successes: p.successes })));
      expect(rows.map((r) => r.nrow)).toEqual([30, 200]);
      expect(await page.$eval('#power-out', (e) => e.textContent)).toContain('extended along Subject from 18 to 20 levels');
      expect(await page.$$eval('#power-plot svg line', (l) => l.length)).toBeGreaterThanOrEqual(6);

      // lmList by Subject: the library's coefficients, sorted by a click on a column, CSV in level order
      await page.click('#lmlist-run');
      await page.waitForSelector('#lmlist-lmlist-table');
      const libList = lmList('Reaction ~ Days | Subject', sleep, { factors: ['Subject'] });
      const cf = libList.coef();
      const table = () => page.$$eval('#lmlist-lmlist-table tbody tr', (trs) => trs.map((r) => [(r as HTMLElement).dataset.key!, Number((r as HTMLElement).dataset['est-0']), Number((r as HTMLElement).dataset['est-1'])] as [string, number, number]));
      const shown = await table();
      expect(shown.map((r) => r[0])).toEqual(cf.groups);
      // least squares on the same rows by the same code: equal to the last bit
      expect(shown.map((r) => [r[1], r[2]])).toEqual(cf.values);
      expect(await text(page, '#lmlist-caption')).toMatch(/^Pooled residual SD 25\.5918 on 144 df/);
      await page.click('#lmlist-lmlist-table th[data-sort="4"]');
      const sorted = (await table()).map((r) => r[2]);
      expect(sorted).toEqual([...sorted].sort((a, b) => a - b));
      await page.click('#export-lmlist');
      const csvText = (await download('sleepstudy_lmlist_Subject.csv')).text;
      expect(csvText.split('\n')[0]).toBe('group,n,(Intercept),se_(Intercept),Days,se_Days,sigma');
      expect(csvText.split('\n')[1]!.split(',')[0]).toBe('308');

      // the address holds both cards and the power card's settings
      const search = await page.evaluate(() => location.search);
      expect(search).toContain('power=1&ptest=Days&pmethod=t&pnsim=3&pseed=5&palpha=0.05&peffect=Days%3D3&palong=Subject&pbreaks=3%2C20&lmlist=Subject');
      if (process.env.UPDATE_SCREENSHOTS) {
        // the two cards at 1440 px: the curve (its table, chart and notes) and the sorted lmList table
        const box = await page.$eval('#power-card', (e) => { e.scrollIntoView(); const a = e.getBoundingClientRect(); const b = document.querySelector('#lmlist-card')!.getBoundingClientRect(); return { x: a.x, y: a.y + window.scrollY, width: a.width, height: b.bottom - a.top }; });
        await page.screenshot({ path: join(ROOT, 'demo/screenshots/power-desktop.png'), clip: box, captureBeyondViewport: true });
      }
    } finally {
      await page.close();
    }
  }, 600_000);

  test('at 390 px: the open cards, a power curve and the lmList table do not scroll the page sideways', async () => {
    const query = '?example=sleepstudy&formula=Reaction+~+Days+%2B+(Days+%7C+Subject)&factors=Subject&backend=cpu&fit=1'
      + '&power=1&ptest=Days&pmethod=t&pnsim=2&pseed=1&palong=Subject&pbreaks=3%2C4&lmlist=Subject';
    const page = await app().openPage({ query, width: 390, height: 844 });
    try {
      await page.waitForSelector('body[data-state="fitted"]', { timeout: 120_000 });
      await page.click('#power-curve-run');
      await page.waitForSelector('#power-plot svg', { timeout: 120_000 });
      await page.click('#lmlist-run');
      await page.waitForSelector('#lmlist-lmlist-table');
      const widths = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        plot: (document.querySelector('#power-plot svg') as SVGSVGElement).getBoundingClientRect().right,
        card: document.querySelector('#power-card')!.getBoundingClientRect().right,
      }));
      expect(widths.page).toBeLessThanOrEqual(390);
      expect(widths.plot).toBeLessThanOrEqual(widths.card);
    } finally {
      await page.close();
    }
  }, 300_000);
});
