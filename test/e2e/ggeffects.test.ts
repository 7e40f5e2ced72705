/**
 * The browser app's Adjusted predictions (ggeffects) card and Tidy output exports in headless Chromium, in
 * one test: sleepstudy's lmer fitted from a link; the card opened, a bad value typed into x's brackets is
 * named as it is typed (the library's parser and the covariate's check), then ggpredict of 'Days [0, 5, 9]'
 * computed in the worker: its table equals the library's ggpredict of Node's fit to 1e-6 relative (Chromium's
 * Math differs from Node's in the last bit, which moves the optimizer's stopping point: the tolerance of the
 * other Chromium tests' estimates) and ggeffects 1.2.0's values (test/fixtures/ggeffects/ggeffects.json,
 * sleep_days) to 1e-6 (the library's tolerance at our optimum), its printout equals the library's line for
 * line, the plot is drawn, the CSV has ggeffects's columns and the address keeps the terms; a second page
 * opened from that address at 390 px computes the same table without a click and does not scroll sideways. glance's CSV has broom's columns and
 * the fit's logLik. A streamed Parquet file's panel: its card computes ggpredict of Days (default values, by
 * the library's scans over the file) by phase, equal to Node's ggpredictAsync of the same streamed fit to
 * 1e-6; augment is the library's refusal, glance's CSV has the fit's logLik.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'puppeteer';
import { ROOT, captureDownloads, enabled, text } from './harness.js';
import { appSuite } from './appSuite.js';
import { rmSync } from 'node:fs';
import { lmer, readCsv, type LmmFit } from '../../src/index.js';
import { augment } from '../../src/broom/augment.js';
import { lmerStream } from '../../src/gram/stream/lmer.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { FORMULA, designParquet, fitStreamed } from './streamed.js';
import { type GgEffects, ggpredict } from '../../src/inference/ggpredict.js';
import { ggpredictAsync } from '../../src/inference/ggRows.js';

interface FixtureRow { x: number; predicted: number; 'std.error': number; 'conf.low': number; 'conf.high': number }
const fixture = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/ggeffects/ggeffects.json'), 'utf8')) as { cases: { name: string; rows: FixtureRow[] }[] };
const rFixture = fixture.cases.find((c) => c.name === 'sleep_days')!.rows;
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
const COLS = ['x', 'predicted', 'std_error', 'conf_low', 'conf_high'] as const;

/** the card's table as numbers, from its rows' data attributes (the full values, not the printed digits) */
async function tableOf(page: Page): Promise<Record<(typeof COLS)[number], number>[]> {
  return page.$$eval('#ggeffects-gg-table tbody tr', (trs, cols) => trs.map((tr) => Object.fromEntries(cols.map((c) => [c, Number(tr.getAttribute(`data-${c}`))]))), [...COLS]) as never;
}

function expectLibraryValues(rows: Record<(typeof COLS)[number], number>[], lib: GgEffects): void {
  expect(rows.map((r) => r.x)).toEqual([0, 5, 9]);
  rows.forEach((r, i) => {
    const want = lib.rows[i]!;
    const rr = rFixture.find((x) => x.x === r.x)!;
    expect(rel(r.predicted, want.predicted)).toBeLessThan(1e-6);
    expect(rel(r.std_error, want.std_error)).toBeLessThan(1e-6);
    expect(rel(r.conf_low, want.conf_low)).toBeLessThan(1e-6);
    expect(rel(r.conf_high, want.conf_high)).toBeLessThan(1e-6);
    // ggeffects 1.2.0's own
    expect(rel(r.predicted, rr.predicted)).toBeLessThan(1e-6);
    expect(rel(r.std_error, rr['std.error'])).toBeLessThan(1e-6);
    expect(rel(r.conf_low, rr['conf.low'])).toBeLessThan(1e-6);
    expect(rel(r.conf_high, rr['conf.high'])).toBeLessThan(1e-6);
  });
}

describe.skipIf(!enabled)('browser app: the Adjusted predictions (ggeffects) card and Tidy output', () => {
  const app = appSuite();
  const formula = 'Reaction ~ Days + (Days | Subject)';
  let fit: LmmFit;
  beforeAll(async () => {
    fit = await lmer(formula, readCsv(readFileSync(join(ROOT, 'test/fixtures/data/sleepstudy.csv'), 'utf8')).table, { factors: ['Subject'] });
  }, 60_000);

  test("sleepstudy: ggpredict of 'Days [0, 5, 9]' equals the library's and ggeffects's; the address recomputes it; glance's CSV", async () => {
    const lib = ggpredict(fit, ['Days [0, 5, 9]']);
    const query = `?${new URLSearchParams({ example: 'sleepstudy', formula, factors: 'Subject', fit: '1' })}`;
    const page = await app().openPage({ query });
    let link = '';
    try {
      const download = await captureDownloads(page);
      await page.waitForSelector('#fixef-table', { timeout: 120_000 });
      await page.click('#gg-card > summary');
      expect(await page.$eval('#gg-x', (e) => (e as HTMLSelectElement).value)).toBe('Days');
      // a word for a covariate is named as it is typed
      await page.type('#gg-x-values', '0, 5, x');
      await page.waitForFunction(() => (document.getElementById('gg-error')?.textContent ?? '') !== '');
      expect(await text(page, '#gg-error')).toMatch(/^x: 'x' is not a number, and 'Days' is a covariate/);
      expect(await page.$eval('#gg-x-values', (e) => e.getAttribute('aria-invalid'))).toBe('true');
      await page.$eval('#gg-x-values', (e) => { (e as HTMLInputElement).value = ''; });
      await page.type('#gg-x-values', '0, 5, 9');
      expect(await text(page, '#gg-error')).toBe('');
      await page.click('#gg-run');
      await page.waitForSelector('#ggeffects-gg-table', { timeout: 60_000 });
      expectLibraryValues(await tableOf(page), lib);
      expect(await page.$eval('#gg-text', (e) => e.textContent)).toBe(lib.toString());
      expect(await text(page, '#gg-adjusted')).toBe('Adjusted for: Subject = 0 (population-level)');
      // the plot: a line with its ribbon, and its SVG export
      expect(await page.$$eval('#gg-plot svg path', (p) => p.length)).toBeGreaterThanOrEqual(2);
      await page.click('#export-gg');
      const csv = (await download('sleepstudy_ggpredict.csv')).text.trim().split(/\r?\n/);
      expect(csv[0]).toBe('x,predicted,std.error,conf.low,conf.high');
      expect(csv.length).toBe(4);
      expect(Number(csv[3]!.split(',')[1])).toBeCloseTo(lib.rows[2]!.predicted, 4);
      link = page.url();
      expect(new URL(link).searchParams.get('ggx')).toBe('Days [0, 5, 9]');
      expect(new URL(link).searchParams.get('gg')).toBe('1');
      // broom.mixed's glance
      await page.click('#export-glance');
      const gl = (await download('sleepstudy_glance.csv')).text.trim().split(/\r?\n/);
      expect(gl[0]).toBe('"nobs","sigma","logLik","AIC","BIC","REMLcrit","df.residual"');
      const g = gl[1]!.split(',').map(Number);
      expect(g[0]).toBe(180);
      expect(rel(g[2]!, fit.logLik)).toBeLessThan(1e-9);
      expect(g[6]).toBe(174);
    } finally {
      await page.close();
    }

    // the link, on a phone's width: the card open with its terms, computed again once the fit is back, and no sideways scroll
    const p2 = await app().openPage({ query: new URL(link).search, width: 390, height: 844 });
    try {
      await p2.waitForSelector('#ggeffects-gg-table', { timeout: 120_000 });
      expect(await p2.$eval('#gg-card', (e) => (e as HTMLDetailsElement).open)).toBe(true);
      expect(await p2.$eval('#gg-x-values', (e) => (e as HTMLInputElement).value)).toBe('0, 5, 9');
      expectLibraryValues(await tableOf(p2), lib);
      expect(await p2.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    } finally {
      await p2.close();
    }
  }, 400_000);

  test("a streamed fit: the card's default values by the library's scans over the file, equal to Node's; augment's refusal; glance's CSV", async () => {
    const { dir, path } = designParquet('mixedgpu-gg-stream-');
    const page = await app().openPage();
    try {
      const download = await captureDownloads(page);
      await fitStreamed(page, path);
      // the library's own answers for the same streamed fit, in Node (its source open for the scans)
      const src = await openBatchSource(path);
      let sfit: LmmFit;
      let lib: GgEffects;
      try {
        sfit = (await lmerStream(src, FORMULA, { factors: ['Subject'] })).fit;
        lib = await ggpredictAsync(sfit, ['Days', 'phase']);
      } finally {
        await src.close();
      }
      let augmentMessage = '';
      try { augment(sfit); } catch (e) { augmentMessage = (e as Error).message; }
      // the card: Days (the first covariate) at its default values, by phase; computed in the worker from the file
      await page.click('#stream-gg-card > summary');
      expect(await page.$eval('#stream-gg-x', (e) => (e as HTMLSelectElement).value)).toBe('Days');
      await page.select('#stream-gg-group', 'phase');
      await page.click('#stream-gg-run');
      await page.waitForSelector('#stream-ggeffects-gg-table', { timeout: 120_000 });
      const rows = await page.$$eval('#stream-ggeffects-gg-table tbody tr', (trs) => trs.map((tr) => ({ x: Number(tr.getAttribute('data-x')), predicted: Number(tr.getAttribute('data-predicted')), se: Number(tr.getAttribute('data-std_error')) })));
      expect(rows.map((r) => r.x)).toEqual(lib.rows.map((r) => r.x));
      expect(rows.length).toBeGreaterThan(2);
      // (Chromium's Math moves the optimizer's stopping point: 1e-6, as above)
      rows.forEach((r, i) => {
        expect(rel(r.predicted, lib.rows[i]!.predicted)).toBeLessThan(1e-6);
        expect(rel(r.se, lib.rows[i]!.std_error)).toBeLessThan(1e-6);
      });
      expect(await page.$$eval('#stream-gg-plot svg path', (p) => p.length)).toBeGreaterThanOrEqual(2);
      // (the page names the source by the file's name, Node by its path)
      expect(await text(page, '#stream-augment-refusal')).toBe(augmentMessage.replace(`${dir}/`, ''));
      await page.click('#stream-export-glance');
      const gl = (await download('design_glance.csv')).text.trim().split(/\r?\n/);
      expect(gl[0]).toBe('"nobs","sigma","logLik","AIC","BIC","REMLcrit","df.residual"');
      expect(rel(Number(gl[1]!.split(',')[2]), sfit.logLik)).toBeLessThan(1e-6);
    } finally {
      await page.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
