/**
 * The browser app's newer library features in headless Chromium (three pages from addresses):
 *
 * 1. glmmTMB's betabinomial picked in the family select on the shipped cbpp example (its formula
 *    cbind(incidence, size - incidence) ~ period + (1 | herd)): the conditional table's terms are glmmTMB
 *    1.1.5's (test/fixtures/tmbfamilies2/betabinom_cbpp.json), the estimates and SEs those of the same fit in
 *    Node to 1e-6 and 1e-5 relative (Chromium's V8 rounds Math.exp/log/pow differently in the last bit and
 *    BOBYQA's stopping point moves with those bits: test/e2e/zeroinfl.test.ts's header) and glmmTMB's at
 *    test/tmbfamilies2.test.ts's 5e-5 × max(1, |x|); the dispersion line is φ, the proportions' histogram's
 *    expected numbers add up to the rows, and the address keeps the family.
 * 2. afex's nested-KR on sleepstudy's Reaction ~ Days + (Days | Subject): the card's table has F.scaling, and
 *    its cells and print(mixed) are afex 1.2-1's (test/fixtures/afex/nested.json, 'sleepstudy nested-KR',
 *    printed to 2 decimals and F.scaling to 4 digits, so the last-bit differences cannot show) but the
 *    Data: line (the page names its data sleepstudy, the fixture dd).
 * 3. nlme's lme with varIdent(form = ~ 1 | f) on the shipped heteroscedastic example (yg ~ x + (1 | g), family
 *    gaussian from the address): the page's nlme summary is the library's printout of the same fit in Node
 *    line for line and word for word, its numbers to 1e-6 × max(1, |x|) (nlme prints σ's SD to 7 digits and the
 *    residual quantiles to 10, where the last-bit differences above show: not exact strings), and its
 *    fixed-effects table's numbers the Node fit's to 1e-6 relative; the address keeps the boxes.
 * 4. At 390 px: an lme fit with varIdent and corCompSymm, the binomial family's trials box, and a tweedie fit
 *    (its dispersion and power lines) leave the page without a sideways scroll.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { lme, readCsv, zeroInflated } from '../../src/index.js';
import { ROOT, enabled, text } from './harness.js';
import { appSuite } from './appSuite.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
const rowsOf = (page: import('puppeteer').Page, id: string) => page.$$eval(`${id} tbody tr`, (trs) => trs.map((r) => [(r as HTMLElement).dataset.term!, Number(r.getAttribute('data-estimate')), Number(r.getAttribute('data-se'))] as [string, number, number]));

describe.skipIf(!enabled)('browser app: glmmTMB\'s new families, afex nested-KR, nlme', () => {
  const app = appSuite();

  test('cbpp: betabinomial picked in the select, its table', async () => {
    const cbpp = readCsv(readFileSync(join(ROOT, 'test/fixtures/data/cbpp.csv'), 'utf8')).table;
    const formula = 'cbind(incidence, size - incidence) ~ period + (1 | herd)';
    const lib = await zeroInflated(formula, cbpp, { family: 'betabinomial', factors: ['herd', 'period'] });
    const ref = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/tmbfamilies2/betabinom_cbpp.json'), 'utf8')) as { cond: { rownames: string[]; estimate: number[] } };
    const page = await app().openPage({ query: '?example=cbpp' });
    try {
      await page.waitForFunction(() => !(document.getElementById('fit') as HTMLButtonElement).disabled, { timeout: 60_000 });
      await page.select('#family', 'tmb_betabinomial');
      expect(await page.$eval('#link', (e) => (e as HTMLSelectElement).value)).toBe('logit');
      expect(await page.$eval('#ziformula', (e) => (e as HTMLInputElement).value)).toBe('~ 0');
      expect(await page.$eval('#weights-row', (e) => (e as HTMLElement).hidden)).toBe(false);
      await page.click('#fit');
      await page.waitForSelector('#zi-results:not([hidden]) #zi-cond-table', { timeout: 120_000 });
      const cond = await rowsOf(page, '#zi-cond-table');
      expect(cond.map((r) => r[0])).toEqual(ref.cond.rownames);
      cond.forEach(([name, est, se], k) => {
        expect(rel(est, lib.cond[k]!.estimate), `${name} estimate (Node)`).toBeLessThan(1e-6);
        expect(rel(se, lib.cond[k]!.se), `${name} SE (Node)`).toBeLessThan(1e-5);
        expect(Math.abs(est - ref.cond.estimate[k]!), `${name} estimate (glmmTMB)`).toBeLessThan(5e-5 * Math.max(1, Math.abs(ref.cond.estimate[k]!)));
      });
      expect(await text(page, '#zi-dispersion-line')).toMatch(/^Dispersion parameter for betabinomial family \(φ, Var = mμ\(1 − μ\)\(1 \+ \(m − 1\)\/\(φ \+ 1\)\)\): /);
      expect(rel(Number(await page.$eval('#zi-sigma', (e) => e.getAttribute('data-value'))), lib.sigma)).toBeLessThan(1e-5);
      expect(await text(page, '#zi-freq-title')).toMatch(/^Response histogram/);
      expect(rel(Number(await page.$eval('#zi-freq-caption', (e) => e.getAttribute('data-expected-total'))), lib.nobs)).toBeLessThan(1e-12);
      expect(await text(page, '#zi-summary')).toMatch(/Family: betabinomial/);
      expect(new URL(page.url()).searchParams.get('family')).toBe('tmb_betabinomial');
    } finally {
      await page.close();
    }
  }, 300_000);

  test('sleepstudy: afex nested-KR with F.scaling', async () => {
    const fixture = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/afex/nested.json'), 'utf8')) as { cases: { name: string; printed: string[]; rows: Record<string, number>[] }[] };
    const c = fixture.cases.find((x) => x.name === 'sleepstudy nested-KR')!;
    const formula = 'Reaction ~ Days + (Days | Subject)';
    const page = await app().openPage({ query: `?${new URLSearchParams({ example: 'sleepstudy', formula, factors: 'Subject', fit: '1', afex: '1', xmethod: 'nested-KR' })}` });
    try {
      await page.waitForSelector('#fixef-table', { timeout: 120_000 });
      expect(await page.$eval('#afex-method', (e) => (e as HTMLSelectElement).value)).toBe('nested-KR');
      expect(await page.$eval('#afex-perparam', (e) => (e as HTMLInputElement).disabled)).toBe(false);
      await page.click('#afex-run');
      await page.waitForSelector('#afex-afex-table', { timeout: 120_000 });
      const heads = await page.$$eval('#afex-afex-table thead th', (ths) => ths.map((t) => (t.textContent ?? '').trim()));
      expect(heads).toEqual(['Effect', 'df', 'F.scaling', 'F', 'p.value']);
      const rows = await page.$$eval('#afex-afex-table tbody tr', (trs) => trs.map((r) => Array.from(r.querySelectorAll('td')).map((td) => (td.textContent ?? '').trim())));
      expect(rows.length).toBe(1);
      expect(rows[0]![0]).toBe('Days');
      expect(rel(Number(rows[0]![2]), c.rows[0]!['F.scaling'])).toBeLessThan(1e-3);
      const printed = (await page.$eval('#afex-text', (e) => e.textContent ?? '')).split('\n');
      expect(printed.length).toBe(c.printed.length);
      printed.forEach((line, i) => expect(line).toBe(c.printed[i]!.startsWith('Data:') ? 'Data: sleepstudy' : c.printed[i]));
      const line = c.printed.find((l) => /^\d+\s+Days\s/.test(l))!;
      for (const cell of [rows[0]![1], rows[0]![3], rows[0]![4]]) expect(line).toContain(cell);
      expect(await text(page, '#afex-status')).toMatch(/^afex's mixed\(method = "nested-KR", type = 3\)/);
    } finally {
      await page.close();
    }
  }, 300_000);

  test('heteroscedastic groups: lme with varIdent shows nlme\'s summary, the library\'s', async () => {
    const tmb = readCsv(readFileSync(join(ROOT, 'test/fixtures/data/tmbfamilies.csv'), 'utf8')).table;
    const lib = await lme('yg ~ x', tmb, { random: '~ 1 | g', weights: 'varIdent(form = ~ 1 | f)', method: 'REML', dataName: 'tmbfamilies' });
    const query = `?${new URLSearchParams({ example: 'tmbfamilies', formula: 'yg ~ x + (1 | g)', family: 'gaussian', varf: 'varIdent(form = ~ 1 | f)', fit: '1' })}`;
    const page = await app().openPage({ query });
    try {
      await page.waitForSelector('#nlme-results:not([hidden]) #nlme-fixed-table', { timeout: 120_000 });
      expect(await page.$eval('#nlme-weights', (e) => (e as HTMLInputElement).value)).toBe('varIdent(form = ~ 1 | f)');
      expect(await page.$eval('#results', (e) => (e as HTMLElement).hidden)).toBe(true);
      expect(await page.$eval('#zi-results', (e) => (e as HTMLElement).hidden)).toBe(true);
      // nlme's printout: every line's words exactly, its numbers to 1e-6 × max(1, |x|) (the standardized
      // residuals' quantiles, O(1) and printed to 10 digits, are where Chromium's last-bit differences show)
      const shownLines = (await page.$eval('#nlme-summary', (e) => e.textContent ?? '')).split('\n');
      const nodeLines = lib.summary().split('\n');
      expect(shownLines.length).toBe(nodeLines.length);
      shownLines.forEach((line, i) => {
        const a = line.split(/(\s+)/);
        const b = nodeLines[i]!.split(/(\s+)/);
        expect(a.length, `line ${i}: '${line}'`).toBe(b.length);
        a.forEach((tok, k) => {
          const x = Number(tok);
          const y = Number(b[k]);
          if (tok.trim() !== '' && Number.isFinite(x) && Number.isFinite(y) && tok !== b[k]) {
            expect(Math.abs(x - y), `line ${i}: ${tok} vs ${b[k]}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(y)));
          } else expect(tok, `line ${i}`).toBe(b[k]);
        });
      });
      const fixed = await rowsOf(page, '#nlme-fixed-table');
      expect(fixed.map((r) => r[0])).toEqual(lib.tTable.map((t) => t.name));
      fixed.forEach(([name, est, se], k) => {
        expect(rel(est, lib.tTable[k]!.Value), `${name} Value`).toBeLessThan(1e-6);
        expect(rel(se, lib.tTable[k]!.StdError), `${name} Std.Error`).toBeLessThan(1e-6);
      });
      expect(await text(page, '#nlme-headline')).toMatch(/^nlme's lme \(random effects by g\), REML: weights = varIdent\(form = ~ 1 \| f\)/);
      expect(await page.$$eval('#nlme-varstruct-table tbody tr', (trs) => trs.map((r) => r.getAttribute('data-name')))).toEqual(lib.varStruct!.names);
      expect(new URL(page.url()).searchParams.get('varf')).toBe('varIdent(form = ~ 1 | f)');
    } finally {
      await page.close();
    }
  }, 300_000);

  test('at 390 px: the new options and the nlme and tweedie results do not scroll the page sideways', async () => {
    const scroll = (page: import('puppeteer').Page) => page.evaluate(() => document.documentElement.scrollWidth);
    const nlme = `?${new URLSearchParams({ example: 'tmbfamilies', formula: 'yg ~ x + (1 | g)', family: 'gaussian', varf: 'varIdent(form = ~ 1 | f)', corr: 'corCompSymm(form = ~ 1 | g)', fit: '1' })}`;
    const page = await app().openPage({ query: nlme, width: 390, height: 844 });
    try {
      await page.waitForSelector('#nlme-results:not([hidden]) #nlme-corstruct-table', { timeout: 120_000 });
      expect(await scroll(page)).toBeLessThanOrEqual(390);
      // the family select's new choices and the binomial families' trials box
      await page.select('#family', 'tmb_binomial');
      expect(await page.$eval('#weights-row', (e) => (e as HTMLElement).hidden)).toBe(false);
      expect(await page.$eval('#nlme-row', (e) => (e as HTMLElement).hidden)).toBe(true);
      expect(await scroll(page)).toBeLessThanOrEqual(390);
    } finally {
      await page.close();
    }
    const tweedie = await app().openPage({ query: `?${new URLSearchParams({ example: 'tmbfamilies', formula: 'yb ~ x + (1 | g)', family: 'tmb_tweedie', link: 'log', fit: '1' })}`, width: 390, height: 844 });
    try {
      await tweedie.waitForSelector('#zi-results:not([hidden]) #zi-cond-table', { timeout: 120_000 });
      expect(await text(tweedie, '#zi-dispersion-line')).toMatch(/^Dispersion parameter for tweedie family \(φ, Var = φμ\^p\): /);
      const p = Number(await tweedie.$eval('#zi-power', (e) => e.getAttribute('data-value')));
      expect(p > 1 && p < 2).toBe(true);
      expect(await text(tweedie, '#zi-power-line')).toMatch(/^Tweedie power \(p, Var = φμ\^p, glmmTMB's family_params\): 1\.\d+$/);
      expect(await scroll(tweedie)).toBeLessThanOrEqual(390);
    } finally {
      await tweedie.close();
    }
  }, 300_000);
});
