/**
 * The browser app's Regression table card (sjPlot's tab_model of kept fits) in headless Chromium, in one test:
 * sleepstudy fitted from a link (`Reaction ~ Days + (Days | Subject)`), then a second formula
 * (`Reaction ~ Days + (1 | Subject)`); the card opened, the second fit ticked after the first (the table's
 * order), the AIC switched on, and the two-model table made in the worker: its cells equal the library's
 * tabModel of the same two fits in Node (the estimates, CIs and p of both models, σ², τ00, ICC, observations,
 * R², AIC: sjPlot's rounded texts, which Chromium's last-bit differences from Node's Math do not reach), its
 * text equals the library's; the CSV and HTML page downloads; the address keeps the settings, and opened in a new tab computes the link's fit's table without a click; a label typed
 * with markup is shown as text (no element made, nothing run).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'puppeteer';
import { ROOT, captureDownloads, enabled, text } from './harness.js';
import { appSuite } from './appSuite.js';
import { lmer, readCsv, type LmmFit } from '../../src/index.js';
import { tabModel } from '../../src/tabmodel/tabModel.js';
import { htmlToText } from '../../src/tabmodel/text.js';

async function setFormula(page: Page, formula: string): Promise<void> {
  await page.$eval('#formula', (e) => { (e as HTMLInputElement).value = ''; });
  await page.type('#formula', formula);
  await page.waitForFunction(() => {
    const f = document.querySelector('#formula') as HTMLInputElement;
    return f.dataset.validated === f.value;
  });
}

/** the table's rows as the page shows them: each cell's text, non-breaking spaces as spaces */
async function pageCells(page: Page): Promise<string[][]> {
  return page.$$eval('#tm-table tr', (trs) => trs.map((tr) => Array.from(tr.children).map((c) => (c.textContent ?? '').replace(/\u00a0/g, ' ').replace(/ {2,}/g, ' ').trim())));
}

describe.skipIf(!enabled)('browser app: the Regression table (tab_model) card', () => {
  const app = appSuite();
  const f1 = 'Reaction ~ Days + (Days | Subject)';
  const f2 = 'Reaction ~ Days + (1 | Subject)';
  let m1: LmmFit;
  let m2: LmmFit;
  beforeAll(async () => {
    const sleep = readCsv(readFileSync(join(ROOT, 'test/fixtures/data/sleepstudy.csv'), 'utf8')).table;
    m1 = await lmer(f1, sleep, { factors: ['Subject'] });
    m2 = await lmer(f2, sleep, { factors: ['Subject'] });
  }, 60_000);

  test('sleepstudy fitted twice: the two-model table equals the library\'s tabModel; downloads; address; a typed label stays text', async () => {
    const lib = await tabModel([m1, m2], { showAic: true });
    const query = `?${new URLSearchParams({ example: 'sleepstudy', formula: f1, factors: 'Subject', fit: '1' })}`;
    const page = await app().openPage({ query });
    try {
      const download = await captureDownloads(page);
      await page.waitForSelector('#fixef-table', { timeout: 120_000 });
      await page.waitForFunction(() => document.querySelectorAll('#history-table tbody tr').length === 1);
      await setFormula(page, f2);
      await page.waitForFunction(() => !(document.querySelector('#fit') as HTMLButtonElement).disabled);
      await page.click('#fit');
      await page.waitForFunction(() => document.querySelectorAll('#history-table tbody tr').length === 2 && document.body.dataset.state === 'fitted', { timeout: 120_000 });

      await page.click('#tm-card > summary');
      // both fits offered, the first (shown when the card first had a fit) ticked; tick the second: the table's order
      const offered = await page.$$eval('#tm-fits label', (ls) => ls.map((l) => (l.textContent ?? '').trim()));
      expect(offered).toEqual([`1. fit 1 (${f1})`, `fit 2 (${f2})`]);
      const second = await page.$$eval('#tm-fits input[data-tm-fit]', (bs) => (bs[1] as HTMLInputElement).dataset.tmFit!);
      await page.click(`#tm-fits input[data-tm-fit="${second}"]`);
      expect(await page.$$eval('#tm-fits .tm-order', (bs) => bs.map((b) => b.textContent))).toEqual(['1.', '2.']);
      await page.click('#tm-switches input[data-tm-switch="showAic"]');
      // a bad level is named as typed
      await page.$eval('#tm-level', (e) => { (e as HTMLInputElement).value = ''; });
      await page.type('#tm-level', '1.5');
      expect(await text(page, '#tm-error')).toMatch(/^CI level: a number between 0 and 1/);
      await page.$eval('#tm-level', (e) => { (e as HTMLInputElement).value = ''; });
      await page.type('#tm-level', '0.95');
      expect(await text(page, '#tm-error')).toBe('');
      await page.click('#tm-run');
      await page.waitForSelector('#tm-table table', { timeout: 60_000 });
      expect(await text(page, '#tm-error')).toBe('');

      // the cells: the library's table of the same two fits in Node, read by the same browser (an inert DOMParser document)
      const cells = await pageCells(page);
      const libCells = await page.evaluate((html) => Array.from(new DOMParser().parseFromString(html, 'text/html').querySelectorAll('tr'))
        .map((tr) => Array.from(tr.children).map((c) => (c.textContent ?? '').replace(/\u00a0/g, ' ').replace(/ {2,}/g, ' ').trim())), lib.html());
      expect(cells).toEqual(libCells);
      const byLabel = (label: string) => cells.find((r) => r[0] === label)!;
      const libRow = (term: string) => lib.rows.find((r) => r.term === term)!.cells.map(htmlToText);
      expect(byLabel('(Intercept)').slice(1)).toEqual(libRow('(Intercept)'));
      expect(byLabel('Days').slice(1)).toEqual(libRow('Days'));
      expect(byLabel('Days').slice(1, 4)).toEqual(['10.47', '7.42 – 13.52', '<0.001']);
      for (const label of ['σ2', 'ICC', 'Observations', 'Marginal R2 / Conditional R2', 'AIC']) expect(byLabel(label), label).toBeDefined();
      expect(byLabel('AIC').slice(1)).toEqual(lib.summary.find((r) => r.kind === 'aic')!.cells.map((c) => c.text));
      expect(await page.$eval('#tm-text', (e) => e.textContent)).toBe(lib.text());

      // downloads: the cells as CSV, sjPlot's complete page
      await page.click('#tm-export-csv');
      const csvText = (await download('sleepstudy_tab_model.csv')).text;
      expect(csvText.split(/\r?\n/)[1]).toBe('Predictors,Estimates,CI,p,Estimates,CI,p');
      expect(csvText).toContain(`Days,${libRow('Days').join(',')}`);
      await page.click('#tm-export-html');
      expect((await download('sleepstudy_tab_model.html')).text).toBe(lib.page());

      // the address keeps the card and its settings
      const q = new URLSearchParams(await page.evaluate(() => location.search));
      expect(q.get('tm')).toBe('1');
      expect(q.get('tmsw')).toBe('aic');

      // the address reopened: the link's fit (the fit shown: the second formula, the only fit the address holds) refitted and
      // its table computed without a click, with the settings
      expect(q.get('formula')).toBe(f2);
      const one = await tabModel([m2], { showAic: true });
      const page2 = await app().openPage({ query: `?${q.toString()}` });
      try {
        await page2.waitForSelector('#tm-table table', { timeout: 120_000 });
        expect(await page2.$eval('#tm-card', (d) => (d as HTMLDetailsElement).open)).toBe(true);
        expect(await page2.$eval('#tm-switches input[data-tm-switch="showAic"]', (b) => (b as HTMLInputElement).checked)).toBe(true);
        expect(await page2.$eval('#tm-text', (e) => e.textContent)).toBe(one.text());
      } finally {
        await page2.close();
      }

      // a label typed with markup: escaped before the library, shown as text
      await page.type('#tm-dv', '<img src=x onerror="window.pwned=1">; <b>two</b>');
      await page.click('#tm-run');
      await page.waitForFunction(() => (document.querySelector('#tm-table th:nth-child(2)')?.textContent ?? '').startsWith('<img'));
      expect(await page.$$eval('#tm-table th', (ths) => ths.slice(1).map((t) => t.textContent))).toEqual(['<img src=x onerror="window.pwned=1">', '<b>two</b>']);
      expect(await page.$$eval('#tm-table img, #tm-table b, #tm-table script', (x) => x.length)).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    } finally {
      await page.close();
    }
  }, 300_000);
});
