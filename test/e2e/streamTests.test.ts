/**
 * The Model tests card of a streamed fit (panel *Files larger than the tab*), in headless Chromium:
 * a Parquet file streamed in the worker (row groups of 20 rows, 7 rows a batch), the tests that work
 * from what the stream kept — lmerTest's drop1 (Satterthwaite and Kenward–Roger) and emmeans's joint
 * tests from the Gram matrix A and the first pass's per-cell summaries, performance's R² and ICC from
 * A — run on the worker's streamed fit and compared with the same tests of the same file loaded whole
 * and fitted in memory; ranova, step and influence listed as unavailable with the reason.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'puppeteer';
import { readCsv } from '../../src/index.js';
import { tableToParquet } from '../helpers/parquetFile.js';
import { ROOT, captureDownloads, enabled, startApp, text, type App } from './harness.js';

let app: App | undefined;
const FORMULA = 'Reaction ~ Days * phase + grp + (Days | Subject)';

type Row = Record<string, string>;

/** a test's table as its rows' data attributes (the raw values), by the row's key */
async function tableRows(page: Page, selector: string): Promise<Row[]> {
  await page.waitForSelector(selector, { timeout: 60_000 });
  return page.$$eval(`${selector} tbody tr`, (trs) => trs.map((tr) => ({ ...(tr as HTMLElement).dataset } as Record<string, string>)));
}

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

/**
 * The streamed fit's rows against the in-memory fit's: the same rows (terms, by values, statistics) and columns, every number
 * within 1e-6 relative. Why 1e-6 (the streamed-fit test's tolerance against lme4, workbench.test.ts):
 * the page's in-memory fit starts from the moment start too (a backfit over the rows) and the stream
 * from lme4's start only, so the two optima agree to the criterion's flatness, θ within 1e-6 (README,
 * *Beyond memory*, Limits); seen: θ 2.9e-8 apart (Node), the cards' values within 3.1e-7 (worst in the joint tests).
 */
function expectClose(streamed: Row[], memory: Row[], what: string): number {
  expect(streamed.map((r) => r.key), what).toEqual(memory.map((r) => r.key));
  let worst = 0;
  streamed.forEach((r, i) => {
    const m = memory[i]!;
    expect(Object.keys(r).sort(), what).toEqual(Object.keys(m).sort());
    for (const k of Object.keys(m)) {
      if (k === 'key') continue;
      const a = Number(r[k]), b = Number(m[k]);
      const rel = Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
      expect(rel, `${what} ${m.key} ${k}: ${a} vs ${b}`).toBeLessThan(1e-6);
      worst = Math.max(worst, rel);
    }
  });
  return worst;
}

describe.skipIf(!enabled)('the Model tests card of a streamed fit', () => {
  beforeAll(async () => {
    app = await startApp();
  }, 300_000);

  afterAll(async () => {
    await app?.close();
  }, 60_000);

  test('drop1, joint tests and R² of a streamed Parquet file equal those of the same file fitted in memory; ranova, step and influence unavailable with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mixedgpu-streamtests-'));
    const path = join(dir, 'design.parquet');
    const design = readCsv(readFileSync(join(ROOT, 'test/fixtures/data/sleepstudy_design.csv'), 'utf8')).table;
    writeFileSync(path, new Uint8Array(tableToParquet(design, 20)));
    const page = await app!.openPage();
    const worst: Record<string, number> = {};
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
      const memory: Record<string, Row[]> = {};
      memory.drop1S = await runTest(page, 'tests', 'drop1', 'drop1');
      await page.select('#ddf', 'kenward-roger');
      memory.drop1KR = await runTest(page, 'tests', 'drop1', 'drop1');
      memory.joint = await runTest(page, 'tests', 'jointTests', 'joint');
      memory.jointBy = await runTest(page, 'tests', 'jointTests', 'joint', 'phase');
      memory.r2 = await runTest(page, 'tests', 'r2', 'r2');
      memory.components = await tableRows(page, '#tests-r2-components-table');

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

      // the card offers the tests that work without the rows, and lists the others with the reason
      expect(await page.$$eval('#stream-tests-kind option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['drop1', 'jointTests', 'r2']);
      const unavailable = await page.$$eval('#stream-tests-unavailable li', (lis) => lis.map((li) => [(li as HTMLElement).dataset.kind, li.textContent]));
      expect(unavailable.map(([k]) => k)).toEqual(['ranova', 'step', 'influence']);
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
