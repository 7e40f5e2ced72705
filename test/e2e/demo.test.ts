/**
 * End-to-end tests of the browser app (demo/): the page is built once with Vite into a temporary
 * folder, served by a small static server on 127.0.0.1, and driven in Debian's Chromium through
 * Puppeteer (never a downloaded browser), with WebGPU on SwiftShader (--enable-unsafe-webgpu).
 *
 * Without Chromium the tests are skipped; under CI (env CI set) a missing Chromium, or a page that
 * finds no WebGPU adapter, fails them instead.
 *
 * UPDATE_SCREENSHOTS=1 writes demo/screenshots/*.png from the fitted page.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'puppeteer';
import { CI, ROOT, captureDownloads, dropFile, enabled, startApp, text, type App } from './harness.js';

type Ref = { fixef: Record<string, number>; se: Record<string, number>; sigma: number };
/** lme4 1.1-31 with its default optimizer settings, and run to a tight tolerance (the optimum) */
const REF = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/reference/sleepstudy_slopes_reml.json'), 'utf8')) as Ref;
const REF_TIGHT = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/reference-tight/sleepstudy_slopes_reml_tight.json'), 'utf8')) as Ref;

let app: App | undefined;
let tmp = '';
const openPage = (): Promise<Page> => app!.openPage();

/** Waits until the (debounced) formula check has seen the text now in the box. */
async function validated(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const f = document.querySelector('#formula') as HTMLInputElement;
    return f.dataset.validated === f.value;
  });
}

/** shown = the reference to the precision the page displays (plus a hair for the optimizer's tolerance). */
function expectDisplayed(shown: string, ref: number, what: string): void {
  const v = Number(shown);
  expect(Number.isFinite(v), `${what}: '${shown}' is not a number`).toBe(true);
  const decimals = (shown.split('.')[1] ?? '').length;
  const tol = 0.5 * 10 ** -decimals + 1e-6 * Math.abs(ref);
  expect(Math.abs(v - ref), `${what}: shown ${shown}, lme4 ${ref}`).toBeLessThanOrEqual(tol);
  expect(shown.replace(/[-.]/g, '').replace(/^0+/, '').length, `${what}: at least 5 significant digits shown`).toBeGreaterThanOrEqual(5);
}

describe.skipIf(!enabled)('browser app (demo/) in headless Chromium', () => {
  beforeAll(async () => {
    app = await startApp();
    tmp = app.tmp;
  }, 300_000);

  afterAll(async () => {
    await app?.close();
  }, 60_000);

  test('sleepstudy on WebGPU: the shown estimates are lme4\'s', async (ctx) => {
    const page = await openPage();
    try {
      const gpu = await page.evaluate(() => document.body.dataset.gpu);
      const note = await text(page, '#gpu-note');
      if (gpu !== 'available') {
        if (CI) throw new Error(`the page found no WebGPU adapter under CI: ${note}`);
        ctx.skip();
      }
      expect(note).toMatch(/swiftshader/i);
      await page.click('[data-example="sleepstudy"]');
      await page.waitForSelector('body[data-state="loaded"]');
      expect(await page.$eval('#formula', (e) => (e as HTMLInputElement).value)).toBe('Reaction ~ Days + (Days | Subject)');
      // Subject (numeric codes in the CSV) is marked as a factor
      expect(await page.$eval('[data-factor="Subject"]', (e) => (e as HTMLInputElement).checked)).toBe(true);
      expect(await text(page, '#columns-table tr[data-column="Subject"] .kind')).toBe('factor');
      expect(await text(page, '#columns-table tr[data-column="Days"] .kind')).toBe('numeric');
      await page.select('#backend', 'webgpu');
      await page.click('#fit');
      await page.waitForSelector('body[data-state="fitted"], body[data-state="error"]', { timeout: 150_000 });
      const fitError = await text(page, '#fit-error') + await text(page, '#options-error') + await text(page, '#formula-error');
      expect(fitError).toBe('');
      expect(await text(page, '#backend-name')).toBe('webgpu');
      expect(await text(page, '#backend-device')).toMatch(/swiftshader/i);
      for (const ref of [REF, REF_TIGHT]) {
        for (const term of ['(Intercept)', 'Days']) {
          const row = `#fixef-table tr[data-term="${term}"]`;
          expectDisplayed(await text(page, `${row} td[data-col="estimate"]`), ref.fixef[term]!, `estimate of ${term}`);
          expectDisplayed(await text(page, `${row} td[data-col="se"]`), ref.se[term]!, `SE of ${term}`);
        }
        expectDisplayed(await text(page, '#sigma'), ref.sigma, 'σ');
        expectDisplayed(await text(page, '#varcorr-table tr[data-group="Residual"] td[data-col="sd"]'), ref.sigma, 'residual SD');
      }
      expect(await text(page, '#summary')).toMatch(/Linear mixed model fit by REML/);
      // the plots are drawn
      expect(await page.$$eval('#caterpillar svg', (s) => s.length)).toBeGreaterThan(0);
      expect(await page.$$eval('#shrinkage svg', (s) => s.length)).toBeGreaterThan(0);
      expect(await page.$$eval('#icc svg', (s) => s.length)).toBeGreaterThan(0);
      // predictions: population level at the mean of Days (4.5), and for an existing Subject
      expect(await page.$eval('[name="Days"]', (e) => (e as HTMLInputElement).value)).toBe('4.5');
      await page.click('#predict');
      await page.waitForSelector('#pred-population');
      expectDisplayed(await text(page, '#pred-population'), REF.fixef['(Intercept)']! + 4.5 * REF.fixef.Days!, 'population prediction');
      expect(await text(page, '#predict-out')).toMatch(/Subject = 308/);
      // exports: capture the downloads' contents
      const get = await captureDownloads(page);
      const downloaded = async (name: string): Promise<string> => (await get(name)).text;
      await page.waitForFunction(() => !!document.querySelector('#fixef-table tr[data-term="Days"]')?.getAttribute('data-p'));
      await page.click('#export-fixef');
      const fixefCsv = (await downloaded('sleepstudy_fixef.csv')).trim().split('\n');
      // lmer: lmerTest's columns (Satterthwaite's ddf, computed after the fit) once they have arrived
      expect(fixefCsv[0]).toBe('term,estimate,std_error,df,t_value,p_value,ddf_method,wald_lower_95,wald_upper_95');
      expect(fixefCsv[1]!.split(',')[6]).toBe('satterthwaite');
      expect(fixefCsv[1]!.startsWith('(Intercept),251.40')).toBe(true);
      await page.click('#export-varcorr');
      expect(await downloaded('sleepstudy_varcorr.csv')).toMatch(/^group,var1,var2,vcov,sdcor\nSubject,\(Intercept\),NA,612\./);
      await page.click('#export-ranef');
      const ranefCsv = (await downloaded('sleepstudy_ranef.csv')).trim().split('\n');
      expect(ranefCsv[0]).toBe('group,level,term,condval,condsd');
      expect(ranefCsv.length).toBe(1 + 18 * 2);
      await page.click('#export-json');
      const json = JSON.parse(await downloaded('sleepstudy_fit.json')) as { fixef: Record<string, number>; backend: string; nobs: number };
      expect(json.nobs).toBe(180);
      expect(json.backend).toBe('webgpu');
      expect(Math.abs(json.fixef.Days! - REF_TIGHT.fixef.Days!)).toBeLessThan(1e-5);
      if (process.env.UPDATE_SCREENSHOTS) {
        await page.mouse.move(2, 2);
        await page.screenshot({ path: join(ROOT, 'demo/screenshots/sleepstudy-fit.png'), fullPage: true });
      }
    } finally {
      await page.close();
    }
  }, 240_000);

  test('a malformed file: the message names the line and the problem, beside the file picker', async () => {
    const page = await openPage();
    try {
      const bad = join(tmp, 'ragged.csv');
      writeFileSync(bad, 'y,x,g\n1,2,a\n3,4,b\n5,6\n7,8,c\n');
      const input = await page.$('#file');
      await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(bad);
      await page.waitForSelector('body[data-state="error"]');
      const msg = await text(page, '#data-error');
      expect(msg).toMatch(/ragged\.csv/);
      expect(msg).toMatch(/line 4/);
      expect(msg).toMatch(/has 2 fields, but the header has 3/);
      // beside the file picker: inside the data panel
      expect(await page.$eval('#data-error', (e) => !!e.closest('#data-panel'))).toBe(true);
      expect(await page.$eval('#drop', (e) => e.classList.contains('invalid'))).toBe(true);
      expect(await page.$eval('#fit', (e) => (e as HTMLButtonElement).disabled)).toBe(true);
      // a good file dropped on the drop zone replaces it and clears the message
      await dropFile(page, 'dropped.csv', 'y,x,g\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n');
      await page.waitForSelector('body[data-state="loaded"]');
      expect(await text(page, '#data-error')).toBe('');
      expect(await text(page, '#data-status')).toMatch(/^dropped\.csv: 4 rows × 3 columns/);
      expect(await page.$eval('#drop', (e) => e.classList.contains('invalid'))).toBe(false);
    } finally {
      await page.close();
    }
  }, 120_000);

  test('a malformed formula: the message points at the token', async () => {
    const page = await openPage();
    try {
      await page.click('[data-example="sleepstudy"]');
      await page.waitForSelector('body[data-state="loaded"]');
      const formula = 'Reaction ~ Days + (Days | Subject) + * Days';
      await page.$eval('#formula', (e) => { (e as HTMLInputElement).value = ''; });
      await page.type('#formula', formula);
      await validated(page);
      await page.waitForSelector('#formula-token');
      const pos = Number(await page.$eval('#formula-token', (e) => (e as HTMLElement).dataset.position));
      expect(pos).toBe(formula.indexOf('*'));
      expect(await text(page, '#formula-token')).toBe('*');
      expect(await text(page, '#formula-error')).toMatch(/Formula error/);
      expect(await page.$eval('#formula', (e) => e.getAttribute('aria-invalid'))).toBe('true');
      expect(await page.$eval('#fit', (e) => (e as HTMLButtonElement).disabled)).toBe(true);
      // an unclosed parenthesis points at the end or at the parenthesis
      await page.$eval('#formula', (e) => { (e as HTMLInputElement).value = ''; });
      await page.type('#formula', 'Reaction ~ Days + (Days | Subject');
      await validated(page);
      await page.waitForFunction(() => !!document.querySelector('#formula-token'));
      expect(await text(page, '#formula-error')).toMatch(/\)|parenthes/i);
      // fixing it clears the message
      await page.type('#formula', ')');
      await page.waitForFunction(() => document.querySelector('#formula-error')!.textContent === '');
      expect(await page.$eval('#fit', (e) => (e as HTMLButtonElement).disabled)).toBe(false);
    } finally {
      await page.close();
    }
  }, 120_000);

  test('an unknown column in the formula is named', async () => {
    const page = await openPage();
    try {
      await page.click('[data-example="sleepstudy"]');
      await page.waitForSelector('body[data-state="loaded"]');
      const formula = 'Reaction ~ Dayz + (Days | Subject)';
      await page.$eval('#formula', (e) => { (e as HTMLInputElement).value = ''; });
      await page.type('#formula', formula);
      await validated(page);
      await page.waitForSelector('#formula-token');
      const msg = await text(page, '#formula-error');
      expect(msg).toMatch(/Unknown column 'Dayz'/);
      expect(msg).toMatch(/Did you mean 'Days'/);
      expect(await text(page, '#formula-token')).toBe('Dayz');
      expect(Number(await page.$eval('#formula-token', (e) => (e as HTMLElement).dataset.position))).toBe(formula.indexOf('Dayz'));
      expect(await page.$eval('#fit', (e) => (e as HTMLButtonElement).disabled)).toBe(true);
    } finally {
      await page.close();
    }
  }, 120_000);

  test('a 1M-row CSV loads in the worker and fits in the tab', async () => {
    const { writeSynthCsv } = await import('../../bench/write-csv.js');
    const big = join(tmp, 'synth-1m.csv');
    const { bytes } = writeSynthCsv(big, { n: 1_000_000, groups: 20_000, seed: 7 });
    expect(bytes).toBeGreaterThan(30e6);
    const page = await openPage();
    try {
      const input = await page.$('#file');
      const t0 = Date.now();
      await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(big);
      await page.waitForSelector('body[data-state="loaded"], body[data-state="error"]', { timeout: 150_000 });
      expect(await text(page, '#data-error')).toBe('');
      expect(await text(page, '#data-status')).toMatch(/1,000,000 rows × 4 columns/);
      expect(await text(page, '#columns-table tr[data-column="g"] .kind')).toBe('factor');
      // the formula suggested for the file (response y, text grouping column g), then the user's
      expect(await page.$eval('#formula', (e) => (e as HTMLInputElement).value)).toBe('y ~ x + w + (1 | g)');
      await page.$eval('#formula', (e) => { (e as HTMLInputElement).value = ''; });
      await page.type('#formula', 'y ~ x + w + (x | g)');
      await page.select('#backend', 'cpu');
      await page.waitForFunction(() => !(document.querySelector('#fit') as HTMLButtonElement).disabled);
      // the page stays responsive while the worker fits: the progress line updates
      await page.click('#fit');
      await page.waitForFunction(() => /evaluations \d+/.test(document.querySelector('#progress-text')?.textContent ?? '') || document.body.dataset.state !== 'fitting', { timeout: 150_000 });
      await page.waitForSelector('body[data-state="fitted"], body[data-state="error"]', { timeout: 240_000 });
      expect(await text(page, '#fit-error')).toBe('');
      expect(await text(page, '#fit-info')).toMatch(/1,000,000 observations · g: 20,000 levels/);
      // generated with β = (2, 0.5, −0.3), σ = 1
      expect(Math.abs(Number(await text(page, '#fixef-table tr[data-term="x"] td[data-col="estimate"]')) - 0.5)).toBeLessThan(0.02);
      expect(Math.abs(Number(await text(page, '#sigma')) - 1)).toBeLessThan(0.01);
      // the data stay in the worker: the page's own heap is small
      const heapMB = await page.evaluate(() => ((performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0) / 1048576);
      expect(heapMB).toBeLessThan(150);
      console.log(`1M-row CSV (${(bytes / 1e6).toFixed(0)} MB): loaded and fitted in ${((Date.now() - t0) / 1000).toFixed(1)} s; page heap ${heapMB.toFixed(0)} MB`);
    } finally {
      await page.close();
    }
  }, 420_000);

  test('Cancel stops a running fit through the worker\'s AbortSignal; the generated 1M-row example loads', async () => {
    const page = await openPage();
    try {
      await page.click('[data-example="insteval"]');
      await page.waitForSelector('body[data-state="loaded"]', { timeout: 120_000 });
      await page.select('#backend', 'cpu');
      // a quick fit first: its results are marked stale while the next fit runs and after its Cancel
      const full = await page.$eval('#formula', (e) => (e as HTMLInputElement).value);
      await page.$eval('#formula', (e) => { (e as HTMLInputElement).value = ''; });
      await page.type('#formula', 'y ~ 1 + (1 | dept)');
      await page.waitForFunction(() => !(document.querySelector('#fit') as HTMLButtonElement).disabled);
      await page.click('#fit');
      await page.waitForSelector('body[data-state="fitted"]', { timeout: 120_000 });
      await page.$eval('#formula', (e) => { (e as HTMLInputElement).value = ''; });
      await page.type('#formula', full);
      await page.waitForFunction(() => !(document.querySelector('#fit') as HTMLButtonElement).disabled);
      await page.click('#fit');
      expect(await page.$eval('#results', (e) => e.getAttribute('data-stale'))).toBe('true');
      expect(await text(page, '#stale-banner')).toMatch(/^Fitting: the results below are from the previous fit: y ~ 1 \+ \(1 \| dept\)/);
      await page.waitForFunction(() => /evaluations \d+/.test(document.querySelector('#progress-text')?.textContent ?? ''), { timeout: 120_000 });
      expect(await page.$eval('#cancel', (e) => (e as HTMLButtonElement).disabled)).toBe(false);
      await page.click('#cancel');
      await page.waitForFunction(() => /^Cancelled/.test(document.querySelector('#progress-text')?.textContent ?? ''), { timeout: 30_000 });
      // stopped by the AbortSignal, not by restarting the worker
      expect(await text(page, '#progress-text')).toBe('Cancelled.');
      expect(await page.evaluate(() => document.body.dataset.state)).toBe('loaded');
      expect(await page.$eval('#fit', (e) => (e as HTMLButtonElement).disabled)).toBe(false);
      // the previous fit's results stay, marked stale
      expect(await page.$eval('#results', (e) => (e as HTMLElement).hidden)).toBe(false);
      expect(await page.$eval('#results', (e) => e.getAttribute('data-stale'))).toBe('true');
      expect(await text(page, '#stale-banner')).toMatch(/^Cancelled: the results below are from the previous fit: y ~ 1 \+ \(1 \| dept\)/);
      expect(await page.$eval('#fixef-table', (e) => getComputedStyle(e.closest('.card')!).opacity)).toBe('0.45');
      // the seeded generator runs in the worker
      await page.click('[data-example="synthetic"]');
      await page.waitForSelector('body[data-state="loaded"]', { timeout: 120_000 });
      expect(await text(page, '#data-status')).toMatch(/1,000,000 rows × 4 columns/);
      expect(await page.$eval('#formula', (e) => (e as HTMLInputElement).value)).toBe('y ~ x + w + (x | g)');
    } finally {
      await page.close();
    }
  }, 240_000);

  test('cbpp: a binomial GLMM (glmer) with the family and link controls', async () => {
    const ref = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/reference/cbpp_binomial.json'), 'utf8')) as Ref;
    const page = await openPage();
    try {
      await page.click('[data-example="cbpp"]');
      await page.waitForSelector('body[data-state="loaded"]');
      expect(await page.$eval('#family', (e) => (e as HTMLSelectElement).value)).toBe('binomial');
      expect(await page.$eval('#link', (e) => (e as HTMLSelectElement).value)).toBe('logit');
      // a Gaussian family with a cbind() response is pointed out at the formula
      await page.select('#family', 'gaussian');
      await page.waitForSelector('#formula-token');
      expect(await text(page, '#formula-error')).toMatch(/binomial/);
      await page.select('#family', 'binomial');
      await page.waitForFunction(() => document.querySelector('#formula-error')!.textContent === '');
      await page.click('#fit');
      await page.waitForSelector('body[data-state="fitted"], body[data-state="error"]', { timeout: 120_000 });
      expect(await text(page, '#fit-error') + await text(page, '#options-error')).toBe('');
      expect(await text(page, '#fit-info')).toMatch(/GLMM, binomial \(logit\)/);
      expect(await text(page, '#summary')).toMatch(/Generalized linear mixed model fit by maximum likelihood/);
      // glmer's optimum differs from lme4's in the 4th significant digit at most
      for (const term of ['(Intercept)', 'period2']) {
        const shown = Number(await text(page, `#fixef-table tr[data-term="${term}"] td[data-col="estimate"]`));
        expect(Math.abs(shown - ref.fixef[term]!), term).toBeLessThan(2e-3 * Math.abs(ref.fixef[term]!));
      }
    } finally {
      await page.close();
    }
  }, 180_000);

  // a tool for redrawing the committed screenshot, not a check: registered only when asked for
  if (process.env.UPDATE_SCREENSHOTS) test('screenshot: InstEval (crossed factors, unbalanced groups)', async () => {
    const page = await openPage();
    try {
      await page.click('[data-example="insteval"]');
      await page.waitForSelector('body[data-state="loaded"]', { timeout: 120_000 });
      await page.select('#backend', 'cpu');
      await page.click('#fit');
      await page.waitForSelector('body[data-state="fitted"], body[data-state="error"]', { timeout: 400_000 });
      expect(await text(page, '#fit-error')).toBe('');
      await page.mouse.move(2, 2);
      await page.screenshot({ path: join(ROOT, 'demo/screenshots/insteval-fit.png'), fullPage: true });
    } finally {
      await page.close();
    }
  }, 480_000);

  test('Parquet and Arrow IPC files load with their column types; a CPU fit of the Parquet data', async () => {
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const arrow = await import('apache-arrow');
    const lines = readFileSync(join(ROOT, 'test/fixtures/data/sleepstudy.csv'), 'utf8').trim().split('\n').slice(1);
    const rows = lines.map((l) => l.split(','));
    const reaction = Float64Array.from(rows, (r) => Number(r[0]));
    const days = Int32Array.from(rows, (r) => Number(r[1]));
    const subject = rows.map((r) => `S${r[2]!.replace(/"/g, '')}`);
    const pq = join(tmp, 'sleep.parquet');
    writeFileSync(pq, new Uint8Array(parquetWriteBuffer({
      columnData: [
        { name: 'Reaction', data: reaction, type: 'DOUBLE' },
        { name: 'Days', data: days, type: 'INT32' },
        { name: 'Subject', data: subject, type: 'STRING' },
      ],
    })));
    const ipc = join(tmp, 'sleep.arrow');
    writeFileSync(ipc, arrow.tableToIPC(new arrow.Table({
      Reaction: arrow.makeVector(reaction), Days: arrow.makeVector(days),
      Subject: arrow.vectorFromArray(subject, new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
    }), 'file'));
    const page = await openPage();
    try {
      for (const file of [ipc, pq]) {
        const input = await page.$('#file');
        await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(file);
        await page.waitForFunction((name) => document.body.dataset.state === 'loaded' && document.querySelector('#data-status')!.textContent!.startsWith(name), {}, file.split('/').pop()!);
        expect(await text(page, '#data-status')).toMatch(/180 rows × 3 columns/);
        expect(await text(page, '#columns-table tr[data-column="Subject"] .kind')).toBe('factor');
        expect(await text(page, '#columns-table tr[data-column="Reaction"] .kind')).toBe('numeric');
        expect(await text(page, '#columns-table tr[data-column="Days"] .kind')).toBe('numeric');
      }
      await page.$eval('#formula', (e) => { (e as HTMLInputElement).value = ''; });
      await page.type('#formula', 'Reaction ~ Days + (Days | Subject)');
      await page.select('#backend', 'cpu');
      await page.waitForFunction(() => !(document.querySelector('#fit') as HTMLButtonElement).disabled);
      await page.click('#fit');
      await page.waitForSelector('body[data-state="fitted"], body[data-state="error"]', { timeout: 90_000 });
      expect(await text(page, '#fit-error')).toBe('');
      expect(await text(page, '#backend-name')).toBe('cpu');
      expectDisplayed(await text(page, '#fixef-table tr[data-term="Days"] td[data-col="estimate"]'), REF.fixef.Days!, 'Days (Parquet, CPU)');
    } finally {
      await page.close();
    }
  }, 180_000);
});
