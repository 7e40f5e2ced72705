/**
 * The browser app's ANOVA (afex) card in headless Chromium, in one test: sleepstudy's lmer opened from an
 * address that keeps the card open with method KR (afex=1&xmethod=KR) shows the card with KR chosen and
 * runs nothing until Compute is clicked; then afex's messages (the contrasts it set), its table — the
 * cells equal afex 1.2-1's nice() of the same model (test/fixtures/afex/mixed.json, 'sleepstudy KR':
 * printed to 2 decimals, so Chromium's last-bit differences from Node's fit cannot show) — and
 * print(mixed) equal to afex's printout line for line but the Data: line (the page names its data
 * sleepstudy, the fixture dd); the CSV has the effect's row; the address keeps the method. Then PB with
 * 5,000 simulations is started and cancelled: the card says Cancelled and Compute is enabled again. On
 * cbpp's binomial glmer (a second page from an address), KR is the library's refusal, in afex's words.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ROOT, captureDownloads, enabled, text } from './harness.js';
import { appSuite } from './appSuite.js';

interface AfexCase { name: string; printed: string[]; messages: string[] }
const cases = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/afex/mixed.json'), 'utf8')) as AfexCase[];

describe.skipIf(!enabled)('browser app: the ANOVA (afex) card', () => {
  const app = appSuite();

  test("sleepstudy's KR table from a link, afex's printout, PB's Cancel; cbpp's KR refused", async () => {
    const c = cases.find((x) => x.name === 'sleepstudy KR')!;
    const formula = 'Reaction ~ Days + (Days | Subject)';
    const query = `?${new URLSearchParams({ example: 'sleepstudy', formula, factors: 'Subject', fit: '1', afex: '1', xmethod: 'KR' })}`;
    const page = await app().openPage({ query });
    try {
      const download = await captureDownloads(page);
      await page.waitForSelector('#fixef-table', { timeout: 120_000 });
      expect(await page.$eval('#afex-card', (e) => (e as HTMLDetailsElement).open)).toBe(true);
      expect(await page.$eval('#afex-method', (e) => (e as HTMLSelectElement).value)).toBe('KR');
      expect(await page.$eval('#afex-nsim', (e) => (e as HTMLInputElement).disabled)).toBe(true);
      // nothing is run on opening the link
      expect(await page.$eval('#afex-out', (e) => e.childElementCount)).toBe(0);
      await page.click('#afex-run');
      await page.waitForSelector('#afex-afex-table', { timeout: 120_000 });
      const rows = await page.$$eval('#afex-afex-table tbody tr', (trs) => trs.map((r) => Array.from(r.querySelectorAll('td')).map((td) => (td.textContent ?? '').trim())));
      // afex's printed row: "1   Days 1, 17 45.85 ***   <.001"
      expect(rows).toEqual([['Days', '1, 17', '45.85 ***', '<.001']]);
      const messages = await page.$$eval('#afex-messages li', (lis) => lis.map((l) => (l.textContent ?? '').trim()));
      expect(messages.slice(0, 2)).toEqual(c.messages.map((m) => m.trim()));
      const printed = (await page.$eval('#afex-text', (e) => e.textContent ?? '')).split('\n');
      expect(printed.length).toBe(c.printed.length);
      printed.forEach((line, i) => {
        if (c.printed[i]!.startsWith('Data:')) expect(line).toBe('Data: sleepstudy');
        else expect(line).toBe(c.printed[i]);
      });
      expect(await text(page, '#afex-status')).toMatch(/^afex's mixed\(method = "KR", type = 3\)/);
      await page.click('#export-afex');
      const csv = (await download('sleepstudy_afex.csv')).text.trim().split(/\r?\n/);
      expect(csv[0]).toBe('Effect,df_printed,F_printed,p.value_printed,num_Df,den_Df,F,Pr_F');
      expect(csv[1]).toMatch(/^Days,"?1, 17"?,45\.85 \*\*\*,<\.001,1,17(\.0+\d*)?,45\.85/);
      expect(new URL(page.url()).searchParams.get('xmethod')).toBe('KR');

      // PB with many simulations: Cancel stops it
      await page.select('#afex-method', 'PB');
      expect(await page.$eval('#afex-nsim', (e) => (e as HTMLInputElement).disabled)).toBe(false);
      await page.$eval('#afex-nsim', (e) => { (e as HTMLInputElement).value = '5000'; e.dispatchEvent(new Event('change')); });
      expect(new URL(page.url()).searchParams.get('xnsim')).toBe('5000');
      await page.click('#afex-run');
      await page.waitForFunction(() => !(document.getElementById('afex-cancel') as HTMLButtonElement).disabled);
      await page.click('#afex-cancel');
      await page.waitForFunction(() => document.getElementById('afex-progress-text')?.textContent === 'Cancelled.', { timeout: 60_000 });
      expect(await page.$eval('#afex-run', (e) => (e as HTMLButtonElement).disabled)).toBe(false);
      expect(await text(page, '#afex-error')).toBe('');
    } finally {
      await page.close();
    }

    const q2 = `?${new URLSearchParams({ example: 'cbpp', formula: 'cbind(incidence, size - incidence) ~ period + (1 | herd)', factors: 'herd,period', family: 'binomial', link: 'logit', fit: '1', afex: '1', xmethod: 'KR' })}`;
    const p2 = await app().openPage({ query: q2 });
    try {
      await p2.waitForSelector('#fixef-table', { timeout: 120_000 });
      await p2.click('#afex-run');
      await p2.waitForFunction(() => (document.getElementById('afex-error')?.textContent ?? '') !== '', { timeout: 60_000 });
      expect(await text(p2, '#afex-error')).toContain("GLMMs can only be estimated with 'LRT' or 'PB'.");
    } finally {
      await p2.close();
    }
  }, 400_000);
});
