/**
 * What the streamed-fit e2e tests share (streamTests.test.ts: the Model tests card; streamInference.test.ts:
 * the anova table and intervals): the design file as Parquet, the same file fitted in memory and streamed in
 * the page, a table's rows, and the comparison of the streamed card's rows with the in-memory card's.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Page } from 'puppeteer';
import { readCsv } from '../../src/index.js';
import { tableToParquet } from '../helpers/parquetFile.js';
import { ROOT, text } from './harness.js';

export const FORMULA = 'Reaction ~ Days * phase + grp + (Days | Subject)';

export type Row = Record<string, string>;

/** test/fixtures/data/sleepstudy_design.csv as a Parquet file of 20-row row groups in a new temporary directory */
export function designParquet(prefix: string): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const path = join(dir, 'design.parquet');
  const design = readCsv(readFileSync(join(ROOT, 'test/fixtures/data/sleepstudy_design.csv'), 'utf8')).table;
  writeFileSync(path, new Uint8Array(tableToParquet(design, 20)));
  return { dir, path };
}

/** a table's rows as their data attributes (the raw values) */
export async function tableRows(page: Page, selector: string): Promise<Row[]> {
  await page.waitForSelector(selector, { timeout: 60_000 });
  return page.$$eval(`${selector} tbody tr`, (trs) => trs.map((tr) => ({ ...(tr as HTMLElement).dataset } as Record<string, string>)));
}

/** the file at `path` loaded whole and FORMULA fitted in memory on the CPU (Subject a factor) */
export async function fitInMemory(page: Page, path: string): Promise<void> {
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
}

/** the same file streamed in the panel *Files larger than the tab*: row groups of 20 rows, 7 rows a batch, no extra passes */
export async function fitStreamed(page: Page, path: string): Promise<void> {
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
}

/**
 * The streamed card's rows against the in-memory card's: the same rows (by `key`), every number of
 * `columns` (default: every column, the two rows' columns equal) within 1e-6 relative; returns the
 * largest difference. Why 1e-6 (also the streamed fit's tolerance against lme4 in workbench.test.ts):
 * the page's in-memory fit starts from the moment start (a backfit over the rows) and the stream from
 * lme4's start only, so the two optima agree to the criterion's flatness, θ within 1e-6 (README,
 * *Beyond memory*, Limits); from the same start the values are equal to 1e-10
 * (test/e2e/demo-logic.test.ts). With `pScaled`, a p-value (column `p`) is compared on the scale of its
 * statistic: a tail probability's relative error is its statistic's times about 2|log p| (a normal
 * tail: d log p / dz ≈ −z, z² ≈ 2|log p|), so a tiny p (the intercept's 2.4e-13) moves 58 times more
 * than the t it comes from; its relative difference is divided by max(1, 2|log p|).
 */
export function expectClose(streamed: Row[], memory: Row[], what: string, o: { key?: string; columns?: string[]; pScaled?: boolean } = {}): number {
  const key = o.key ?? 'key';
  expect(streamed.map((r) => r[key]), what).toEqual(memory.map((r) => r[key]));
  let worst = 0;
  streamed.forEach((r, i) => {
    const m = memory[i]!;
    if (!o.columns) expect(Object.keys(r).sort(), what).toEqual(Object.keys(m).sort());
    for (const k of o.columns ?? Object.keys(m).filter((c) => c !== key)) {
      const a = Number(r[k]), b = Number(m[k]);
      expect(Number.isFinite(a), `${what} ${m[key]} ${k}: ${r[k]}`).toBe(true);
      const scale = o.pScaled && k === 'p' ? Math.max(1, 2 * Math.abs(Math.log(b))) : 1;
      const rel = Math.abs(a - b) / Math.max(Math.abs(b), 1e-300) / scale;
      expect(rel, `${what} ${m[key]} ${k}: ${a} vs ${b}`).toBeLessThan(1e-6);
      worst = Math.max(worst, rel);
    }
  });
  return worst;
}
