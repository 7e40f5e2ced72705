/**
 * The anova table and intervals of a streamed fit (panel *Files larger than the tab*), in headless
 * Chromium: a Parquet file streamed in the worker (row groups of 20 rows, 7 rows a batch), lmerTest's
 * anova of type III, II and I with Satterthwaite's and Kenward–Roger's ddf (and the fixed-effects
 * table's df and p-values with them) and lme4's Wald and profile intervals, run in the worker on the
 * kept streamed fit by the in-memory card's code, compared with the same file loaded whole and fitted
 * in memory; the profile's progress and Cancel; the bootstrap listed as unavailable with the reason.
 */
import { rmSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { Page } from 'puppeteer';
import { enabled, text } from './harness.js';
import { appSuite } from './appSuite.js';
import { type Row, designParquet, expectClose, fitInMemory, fitStreamed, tableRows } from './streamed.js';

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

describe.skipIf(!enabled)('the anova table and intervals of a streamed fit', () => {
  const app = appSuite();

  test('anova (types III, II, I; Satterthwaite and Kenward–Roger), Wald and profile intervals of a streamed Parquet file equal those of the same file fitted in memory; the profile cancelled; the bootstrap unavailable with the reason', async () => {
    const { dir, path } = designParquet('mixedgpu-streaminference-');
    const page = await app().openPage();
    const worst: Record<string, number> = {};
    const cases = [['satterthwaite', 'III'], ['satterthwaite', 'II'], ['satterthwaite', 'I'], ['kenward-roger', 'III'], ['kenward-roger', 'II'], ['kenward-roger', 'I']] as const;
    try {
      // the file loaded whole and fitted in memory
      await fitInMemory(page, path);
      const memory: Record<string, { anova: Row[]; fixef: Row[] }> = {};
      for (const [ddf, type] of cases) memory[`${ddf} ${type}`] = await inferenceAt(page, '', ddf, type);
      const memWald = await tableRows(page, '#confint-table[data-method="wald"]');
      await page.click('#confint-profile');
      const memProfile = await tableRows(page, '#confint-table[data-method="profile"]');

      // the same file streamed
      await fitStreamed(page, path);
      // the anova table comes with the fit, with the card's choices (Satterthwaite, type III)
      await page.waitForSelector('#stream-anova-table', { timeout: 60_000 });
      expect(await page.$eval('#stream-anova-wrap', (e) => (e as HTMLElement).hidden)).toBe(false);
      expect(await page.$eval('#stream-ddf-controls', (e) => (e as HTMLElement).hidden)).toBe(false);

      for (const [ddf, type] of cases) {
        const s = await inferenceAt(page, 'stream-', ddf, type);
        const m = memory[`${ddf} ${type}`]!;
        expect(s.anova.map((r) => r.term)).toEqual(['Days', 'phase', 'grp', 'Days:phase']);
        expect(s.anova.map((r) => r.numdf)).toEqual(m.anova.map((r) => r.numdf));
        worst[`anova ${ddf} ${type}`] = expectClose(s.anova, m.anova, `anova ${ddf} ${type}`, { key: 'term', columns: ['sumsq', 'meansq', 'dendf', 'f', 'p'], pScaled: true });
        // the fixed-effects table's df and p-values follow the card's ddf
        worst[`fixef ${ddf}`] = Math.max(worst[`fixef ${ddf}`] ?? 0, expectClose(s.fixef, m.fixef, `fixef ${ddf} ${type}`, { key: 'term', columns: ['estimate', 'df', 'p'], pScaled: true }));
      }
      expect(await text(page, '#stream-fixef-ddf-caption')).toMatch(/^df, t and p: lmerTest's summary with Kenward–Roger's denominator degrees of freedom \(and its adjusted standard errors\), from the Gram matrix A the stream formed/);
      // the types differ on this model (the comparison can tell them apart)
      expect(memory['satterthwaite I']!.anova[1]!.f).not.toBe(memory['satterthwaite III']!.anova[1]!.f);

      // Wald at once, with the fit
      const wald = await tableRows(page, '#stream-confint-table[data-method="wald"]');
      expect(wald.map((r) => r.name)).toEqual(['(Intercept)', 'Days', 'phaselate', 'grpB', 'grpC', 'Days:phaselate']);
      worst.wald = expectClose(wald, memWald, 'Wald', { key: 'name', columns: ['lower', 'upper'] });
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
      worst.profile = expectClose(profile, memProfile, 'profile', { key: 'name', columns: ['lower', 'upper'] });
      expect(await text(page, '#stream-confint-caption')).toMatch(/^Profile intervals/);
      expect(await page.$eval('#stream-confint-progress', (e) => (e as HTMLElement).hidden)).toBe(true);
      // the new tables stay within the narrow panel, scrolling inside it where wide (as workbench.test.ts
      // checks the streamed fit's others: a table measured by the .table-wrap that scrolls it)
      const spill = await page.$$eval('#stream-result table', (els) => {
        const panel = document.querySelector('#stream-panel')!.getBoundingClientRect();
        return Math.max(...els.map((e) => (e.closest('.table-wrap') ?? e).getBoundingClientRect().right - panel.right));
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
