/**
 * The Model tests card of a streamed fit (panel *Files larger than the tab*), in headless Chromium:
 * a Parquet file streamed in the worker (row groups of 20 rows, 7 rows a batch), the tests that work
 * from what the stream kept — lmerTest's drop1 (Satterthwaite and Kenward–Roger) and emmeans's joint
 * tests from the Gram matrix A and the first pass's per-cell summaries, performance's R² and ICC from
 * A — run on the worker's streamed fit and compared with the same tests of the same file loaded whole
 * and fitted in memory; ranova, step and influence listed as unavailable with the reason.
 */
import { rmSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { Page } from 'puppeteer';
import { captureDownloads, enabled, text } from './harness.js';
import { appSuite } from './appSuite.js';
import { type Row, designParquet, expectClose, fitInMemory, fitStreamed, tableRows } from './streamed.js';

/** runs a test of a card (prefix 'tests': the fit shown; 'stream-tests': the streamed fit) and returns its table's rows */
async function runTest(page: Page, prefix: string, kind: string, table: string, by = ''): Promise<Row[]> {
  await page.select(`#${prefix}-kind`, kind);
  if (kind === 'jointTests') await page.select(`#${prefix}-by`, by);
  // the previous result of this kind is replaced: wait for the new one
  await page.$eval(`#${prefix}-out`, (e, k) => e.querySelector(`[data-kind="${k}"]`)?.remove(), kind);
  await page.waitForFunction((p) => !(document.querySelector(`#${p}-run`) as HTMLButtonElement).disabled, {}, prefix);
  await page.click(`#${prefix}-run`);
  await page.waitForSelector(`#${prefix}-${table}-table, #${prefix}-error:not(:empty)`, { timeout: 60_000 });
  expect(await text(page, `#${prefix}-error`)).toBe('');
  return tableRows(page, `#${prefix}-${table}-table`);
}

describe.skipIf(!enabled)('the Model tests card of a streamed fit', () => {
  const app = appSuite();

  test('drop1, joint tests and R² of a streamed Parquet file equal those of the same file fitted in memory; ranova, step and influence unavailable with the reason', async () => {
    const { dir, path } = designParquet('mixedgpu-streamtests-');
    const page = await app().openPage();
    const worst: Record<string, number> = {};
    try {
      // the file loaded whole and fitted in memory
      await fitInMemory(page, path);
      const memory: Record<string, Row[]> = {};
      memory.drop1S = await runTest(page, 'tests', 'drop1', 'drop1');
      await page.select('#ddf', 'kenward-roger');
      memory.drop1KR = await runTest(page, 'tests', 'drop1', 'drop1');
      memory.joint = await runTest(page, 'tests', 'jointTests', 'joint');
      memory.jointBy = await runTest(page, 'tests', 'jointTests', 'joint', 'phase');
      memory.r2 = await runTest(page, 'tests', 'r2', 'r2');
      memory.components = await tableRows(page, '#tests-r2-components-table');

      // the same file streamed
      await fitStreamed(page, path);

      // the card offers the tests that work without the rows, and lists the others with the reason
      expect(await page.$$eval('#stream-tests-kind option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['drop1', 'jointTests', 'r2']);
      const unavailable = await page.$$eval('#stream-tests-unavailable li', (lis) => lis.map((li) => [(li as HTMLElement).dataset.kind, li.textContent]));
      expect(unavailable.map(([k]) => k)).toEqual(['ranova', 'step', 'influence', 'caic']);
      expect(unavailable[0]![1]).toMatch(/^lmerTest's ranova: ranova refits the reduced models, whose Z is built from the rows/);
      expect(unavailable[1]![1]).toMatch(/^lmerTest's step: step eliminates random-effects terms by ranova's refits/);
      expect(unavailable[2]![1]).toMatch(/^lme4's influence: case deletion refits the model without each unit's rows, which a stream does not hold/);
      expect(await text(page, '#stream-tests-unavailable')).toMatch(/^Not available for a streamed fit \(the rows are never held\):/);
      // the by choices: the fixed part's factors, from the stream's frame
      expect(await page.$$eval('#stream-tests-by option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['', 'phase', 'grp']);
      // drop1 has its own df choice here (the streamed panel's table is Satterthwaite's); what each test is computed from
      await page.select('#stream-tests-kind', 'drop1');
      expect(await page.$eval('#stream-tests-ddf-label', (e) => (e as HTMLElement).hidden)).toBe(false);
      expect(await text(page, '#stream-tests-hint')).toMatch(/^lmerTest's drop1, from the Gram matrix A the stream formed/);
      expect(await page.$eval('#stream-tests-cancel', (e) => (e as HTMLElement).hidden)).toBe(true);

      const drop1S = await runTest(page, 'stream-tests', 'drop1', 'drop1');
      expect(drop1S.map((r) => r.key)).toEqual(['grp', 'Days:phase']);
      worst.drop1S = expectClose(drop1S, memory.drop1S!, 'drop1 (Satterthwaite)');
      expect(await page.$eval('#stream-tests-sec-drop1 h4', (e) => e.textContent)).toMatch(/^Single term deletions \(Satterthwaite\)/);
      await page.select('#stream-tests-ddf', 'kenward-roger');
      const drop1KR = await runTest(page, 'stream-tests', 'drop1', 'drop1');
      worst.drop1KR = expectClose(drop1KR, memory.drop1KR!, 'drop1 (Kenward–Roger)');
      expect(await page.$eval('#stream-tests-sec-drop1 h4', (e) => e.textContent)).toMatch(/^Single term deletions \(Kenward–Roger\)/);
      worst.joint = expectClose(await runTest(page, 'stream-tests', 'jointTests', 'joint'), memory.joint!, 'joint tests');
      worst.jointBy = expectClose(await runTest(page, 'stream-tests', 'jointTests', 'joint', 'phase'), memory.jointBy!, 'joint tests by phase');
      const r2 = await runTest(page, 'stream-tests', 'r2', 'r2');
      expect(r2.map((r) => r.key)).toEqual(['Conditional R²', 'Marginal R²', 'Adjusted ICC', 'Unadjusted ICC', 'ICC Subject']);
      worst.r2 = expectClose(r2, memory.r2!, 'R² and ICC');
      worst.components = expectClose(await tableRows(page, '#stream-tests-r2-components-table'), memory.components!, 'variance components');
      // the results stay side by side, in the list's order, each with R's printout
      expect(await page.$$eval('#stream-tests-out > section', (ss) => ss.map((s) => (s as HTMLElement).dataset.kind))).toEqual(['drop1', 'jointTests', 'r2']);
      expect(await page.$eval('#stream-tests-sec-r2 pre', (e) => e.textContent)).toMatch(/^# R2 for Mixed Models/);
      // a table's CSV, named after the streamed file
      const downloaded = await captureDownloads(page);
      await page.click('#export-stream-tests-drop1');
      const csv = (await downloaded('design_drop1.csv')).text.trim().split('\n');
      expect(csv[0]).toBe('term,sumsq,meansq,numdf,dendf,F,p_value');
      expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(['grp', 'Days:phase']);
      // the in-memory card is untouched by the streamed card's runs
      expect(await page.$$eval('#tests-out > section', (ss) => ss.map((s) => (s as HTMLElement).dataset.kind))).toEqual(['drop1', 'jointTests', 'r2']);

      // a new stream drops the card's results: the previous fit is no longer kept
      await page.click('#stream-fit');
      await page.waitForSelector('#stream-result:not([hidden])', { timeout: 60_000 });
      expect(await page.$$eval('#stream-tests-out > section', (ss) => ss.length)).toBe(0);
      const again = await runTest(page, 'stream-tests', 'drop1', 'drop1');
      expect(again.map((r) => r.key)).toEqual(['grp', 'Days:phase']);
      console.log(`streamed card vs in-memory card, worst relative difference: ${JSON.stringify(worst)}`);
    } finally {
      await page.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
