/**
 * The anova table and intervals of a streamed fit (panel *Files larger than the tab*), in headless
 * Chromium: a Parquet file streamed in the worker (row groups of 20 rows, 7 rows a batch), lmerTest's
 * anova of type III, II and I with Satterthwaite's and Kenward–Roger's ddf (and the fixed-effects
 * table's df and p-values with them) and lme4's Wald and profile intervals, run in the worker on the
 * kept streamed fit by the in-memory card's code, compared with the same file loaded whole and fitted
 * in memory; the profile's progress and Cancel; the bootstrap listed as unavailable with the reason.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'puppeteer';
import { readCsv } from '../../src/index.js';
import { tableToParquet } from '../helpers/parquetFile.js';
import { ROOT, enabled, startApp, text, type App } from './harness.js';

let app: App | undefined;
const FORMULA = 'Reaction ~ Days * phase + grp + (Days | Subject)';

type Row = Record<string, string>;

/** a table's rows as their data attributes (the raw values) */
async function tableRows(page: Page, selector: string): Promise<Row[]> {
  await page.waitForSelector(selector, { timeout: 60_000 });
  return page.$$eval(`${selector} tbody tr`, (trs) => trs.map((tr) => ({ ...(tr as HTMLElement).dataset } as Record<string, string>)));
}

/**
 * A card's anova table and fixed-effects df and p-values (prefix '': the fit shown; 'stream-': the
 * streamed fit) with the given ddf and type: the ddf set without an event, the type chosen (one
 * request with both), the previous table removed so that the new one is waited for.
 */
async function inferenceAt(page: Page, prefix: string, ddf: string, type: string): Promise<{ anova: Row[]; fixef: Row[] }> {
  await page.$eval(`#${prefix}ddf`, (e, v) => { (e as HTMLSelectElement).value = v as string; }, ddf);
  await page.$eval(`#${prefix}anova`, (e) => e.replaceChildren());
  await page.select(`#${prefix}anova-type`, type);
  await page.waitForSelector(`#${prefix}anova-table, #${prefix}inference-error:not(:empty)`, { timeout: 60_000 });
  expect(await text(page, `#${prefix}inference-error`)).toBe('');
  expect(await text(page, `#${prefix}anova-heading`)).toBe(`Type ${type} anova`);
  expect(await text(page, `#${prefix}inference-status`)).toMatch(ddf === 'satterthwaite' ? /^Satterthwaite's method/ : /^Kenward–Roger's method/);
  return { anova: await tableRows(page, `#${prefix}anova-table`), fixef: await tableRows(page, `#${prefix}fixef-table`) };
}

/**
 * The streamed card's rows against the in-memory card's: the same rows (by `key`), every number of
 * `columns` within 1e-6 relative. Why 1e-6 (streamTests.test.ts's tolerance, and the streamed fit's
 * against lme4 in workbench.test.ts): the page's in-memory fit starts from the moment start (a backfit
 * over the rows) and the stream from lme4's start only, so the two optima agree to the criterion's
 * flatness, θ within 1e-6 (README, *Beyond memory*, Limits); from the same start the values are equal
 * to 1e-10 (test/e2e/demo-logic.test.ts, seen 4.4e-14, the profile's bounds equal). A p-value is
 * compared on the scale of its statistic: a tail probability's relative error is its statistic's times
 * about 2|log p| (a normal tail: d log p / dz ≈ −z, z² ≈ 2|log p|), so a tiny p (the intercept's 2.4e-13)
 * moves 58 times more than the t it comes from; its relative difference is divided by max(1, 2|log p|)
 * (for p ≥ e^−½ the plain relative difference).
 */
function expectClose(streamed: Row[], memory: Row[], key: string, columns: string[], what: string): number {
  expect(streamed.map((r) => r[key]), what).toEqual(memory.map((r) => r[key]));
  let worst = 0;
  streamed.forEach((r, i) => {
    const m = memory[i]!;
    for (const k of columns) {
      const a = Number(r[k]), b = Number(m[k]);
      expect(Number.isFinite(a), `${what} ${m[key]} ${k}: ${r[k]}`).toBe(true);
      const scale = k === 'p' ? Math.max(1, 2 * Math.abs(Math.log(b))) : 1;
      const rel = Math.abs(a - b) / Math.max(Math.abs(b), 1e-300) / scale;
      expect(rel, `${what} ${m[key]} ${k}: ${a} vs ${b}`).toBeLessThan(1e-6);
      worst = Math.max(worst, rel);
    }
  });
  return worst;
}

describe.skipIf(!enabled)('the anova table and intervals of a streamed fit', () => {
  beforeAll(async () => {
    app = await startApp();
  }, 300_000);

  afterAll(async () => {
    await app?.close();
  }, 60_000);

  test('anova (types III, II, I; Satterthwaite and Kenward–Roger), Wald and profile intervals of a streamed Parquet file equal those of the same file fitted in memory; the profile cancelled; the bootstrap unavailable with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mixedgpu-streaminference-'));
    const path = join(dir, 'design.parquet');
    const design = readCsv(readFileSync(join(ROOT, 'test/fixtures/data/sleepstudy_design.csv'), 'utf8')).table;
    writeFileSync(path, new Uint8Array(tableToParquet(design, 20)));
    const page = await app!.openPage();
    const worst: Record<string, number> = {};
    const cases = [['satterthwaite', 'III'], ['satterthwaite', 'II'], ['satterthwaite', 'I'], ['kenward-roger', 'III'], ['kenward-roger', 'II'], ['kenward-roger', 'I']] as const;
    try {
      // the file loaded whole and fitted in memory
      const input = await page.$('#file');
      await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(path);
      await page.waitForFunction(() => document.body.dataset.state === 'loaded' && document.querySelector('#data-status')!.textContent!.startsWith('design.parquet'));
      await page.select('#backend', 'cpu');
      await page.$$eval('[data-factor]', (boxes) => { for (const b of boxes) if ((b as HTMLInputElement).dataset.factor === 'Subject' && !(b as HTMLInputElement).checked) (b as HTMLInputElement).click(); });
      await page.$eval('#formula', (e, f) => { (e as HTMLInputElement).value = f; e.dispatchEvent(new Event('input', { bubbles: true })); }, FORMULA);
      await page.waitForFunction((f) => (document.querySelector('#formula') as HTMLElement).dataset.validated === f, {}, FORMULA);
      await page.waitForFunction(() => !(document.querySelector('#fit') as HTMLButtonElement).disabled);
      await page.click('#fit');
      await page.waitForSelector('body[data-state="fitted"], body[data-state="error"]', { timeout: 120_000 });
      expect(await text(page, '#fit-error')).toBe('');
      const memory: Record<string, { anova: Row[]; fixef: Row[] }> = {};
      for (const [ddf, type] of cases) memory[`${ddf} ${type}`] = await inferenceAt(page, '', ddf, type);
      const memWald = await tableRows(page, '#confint-table[data-method="wald"]');
      await page.click('#confint-profile');
      const memProfile = await tableRows(page, '#confint-table[data-method="profile"]');

      // the same file streamed: row groups of 20 rows, 7 rows a batch, no extra passes
      await page.click('#stream-details summary');
      const sinput = await page.$('#stream-file');
      await (sinput as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(path);
      await page.$eval('#stream-formula', (e, f) => { (e as HTMLInputElement).value = f; }, FORMULA);
      await page.$eval('#stream-factors', (e) => { (e as HTMLInputElement).value = 'Subject'; });
      await page.$eval('#stream-batch', (e) => { (e as HTMLInputElement).value = '7'; });
      await page.$eval('#stream-diag', (e) => { (e as HTMLInputElement).checked = false; });
      await page.$eval('#stream-quantiles', (e) => { (e as HTMLInputElement).checked = false; });
      await page.click('#stream-fit');
      await page.waitForSelector('#stream-result:not([hidden]), #stream-error:not(:empty)', { timeout: 60_000 });
      expect(await text(page, '#stream-error')).toBe('');
      // the anova table comes with the fit, with the card's choices (Satterthwaite, type III)
      await page.waitForSelector('#stream-anova-table', { timeout: 60_000 });
      expect(await page.$eval('#stream-anova-wrap', (e) => (e as HTMLElement).hidden)).toBe(false);
      expect(await page.$eval('#stream-ddf-controls', (e) => (e as HTMLElement).hidden)).toBe(false);

      for (const [ddf, type] of cases) {
        const s = await inferenceAt(page, 'stream-', ddf, type);
        const m = memory[`${ddf} ${type}`]!;
        expect(s.anova.map((r) => r.term)).toEqual(['Days', 'phase', 'grp', 'Days:phase']);
        expect(s.anova.map((r) => r.numdf)).toEqual(m.anova.map((r) => r.numdf));
        worst[`anova ${ddf} ${type}`] = expectClose(s.anova, m.anova, 'term', ['sumsq', 'meansq', 'dendf', 'f', 'p'], `anova ${ddf} ${type}`);
        // the fixed-effects table's df and p-values follow the card's ddf
        worst[`fixef ${ddf}`] = Math.max(worst[`fixef ${ddf}`] ?? 0, expectClose(s.fixef, m.fixef, 'term', ['estimate', 'df', 'p'], `fixef ${ddf} ${type}`));
      }
      expect(await text(page, '#stream-fixef-ddf-caption')).toMatch(/^df, t and p: lmerTest's summary with Kenward–Roger's denominator degrees of freedom \(and its adjusted standard errors\), from the Gram matrix A the stream formed/);
      // the types differ on this model (the comparison can tell them apart)
      expect(memory['satterthwaite I']!.anova[1]!.f).not.toBe(memory['satterthwaite III']!.anova[1]!.f);

      // Wald at once, with the fit
      const wald = await tableRows(page, '#stream-confint-table[data-method="wald"]');
      expect(wald.map((r) => r.name)).toEqual(['(Intercept)', 'Days', 'phaselate', 'grpB', 'grpC', 'Days:phaselate']);
      worst.wald = expectClose(wald, memWald, 'name', ['lower', 'upper'], 'Wald');
      // the bootstrap: no control, listed with the reason; the other bullets of the card the in-memory card's
      expect(await page.$('#stream-confint-boot')).toBeNull();
      expect(await text(page, '#stream-confint-unavailable')).toMatch(/^Not available for a streamed fit \(the rows are never held\):/);
      const unavailable = await page.$$eval('#stream-confint-unavailable li', (lis) => lis.map((li) => [(li as HTMLElement).dataset.method, li.textContent]));
      expect(unavailable.map(([m]) => m)).toEqual(['boot']);
      expect(unavailable[0]![1]).toMatch(/^lme4's confint\(method = "boot"\): each bootstrap replicate simulates a new response for every row \(y\* = Xβ̂ \+ Zb\* \+ ε\*\) and refits it, which needs the rows themselves/);
      // the panel's note no longer says the anova table and intervals are not offered
      expect(await text(page, '#stream-not-shown')).not.toMatch(/anova/);
      expect(await text(page, '#stream-not-shown')).toMatch(/bootstrap intervals — the rows are never held in the tab/);

      // the profile: Cancel (sent right after the request, so the worker sees it at the first turn between parameters)
      expect(await page.$eval('#stream-confint-cancel', (e) => (e as HTMLButtonElement).disabled)).toBe(true);
      await page.evaluate(() => {
        (document.querySelector('#stream-confint-profile') as HTMLButtonElement).click();
        (document.querySelector('#stream-confint-cancel') as HTMLButtonElement).click();
      });
      await page.waitForFunction(() => document.querySelector('#stream-confint-progress-text')!.textContent === 'Cancelled.', { timeout: 60_000 });
      expect(await page.$eval('#stream-confint-table', (e) => e.getAttribute('data-method'))).toBe('wald');
      expect(await page.$eval('#stream-confint-profile', (e) => (e as HTMLButtonElement).disabled)).toBe(false);
      // and to the end, with its progress: each parameter profiled in turn
      await page.click('#stream-confint-profile');
      expect(await page.$eval('#stream-confint-progress', (e) => (e as HTMLElement).hidden)).toBe(false);
      expect(await page.$eval('#stream-confint-cancel', (e) => (e as HTMLButtonElement).disabled)).toBe(false);
      const profile = await tableRows(page, '#stream-confint-table[data-method="profile"]');
      expect(profile.map((r) => r.name)).toEqual(memProfile.map((r) => r.name));
      expect(profile).toHaveLength(10);
      worst.profile = expectClose(profile, memProfile, 'name', ['lower', 'upper'], 'profile');
      expect(await text(page, '#stream-confint-caption')).toMatch(/^Profile intervals/);
      expect(await page.$eval('#stream-confint-progress', (e) => (e as HTMLElement).hidden)).toBe(true);
      // the new tables fit the narrow panel (as workbench.test.ts checks the streamed fit's others)
      const spill = await page.$$eval('#stream-result table', (els) => {
        const panel = document.querySelector('#stream-panel')!.getBoundingClientRect();
        return Math.max(...els.map((e) => e.getBoundingClientRect().right - panel.right));
      });
      expect(spill).toBeLessThanOrEqual(0);
      // the in-memory card is untouched by the streamed card's runs
      expect(await page.$eval('#confint-table', (e) => e.getAttribute('data-method'))).toBe('profile');
      expect(await text(page, '#anova-heading')).toBe('Type I anova');

      // a new stream starts the card again: Wald, and the anova with the card's current choices
      await page.$eval('#stream-anova', (e) => e.replaceChildren());
      await page.click('#stream-fit');
      await page.waitForSelector('#stream-result:not([hidden])', { timeout: 60_000 });
      await page.waitForSelector('#stream-anova-table', { timeout: 60_000 });
      expect(await page.$eval('#stream-confint-table', (e) => e.getAttribute('data-method'))).toBe('wald');
      expect(await text(page, '#stream-anova-heading')).toBe('Type I anova');
      console.log(`streamed vs in-memory (Chromium), worst relative difference: ${JSON.stringify(worst)}`);
    } finally {
      await page.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 400_000);
});
