/**
 * The browser app's late results, in headless Chromium: a card's computation of one fit (simr's powerSim,
 * a long run) is running when the user fits another model that is shown in another section (a formula with
 * a smooth term: gamm4's section, the lmer cards hidden); the card's late result must not be drawn into the
 * old fit's card (the job is cancelled in the worker, its reply dropped: demo/src/requests.ts). And a fit
 * still running when new data are loaded is cancelled: its result is never drawn as the new data's.
 * Each check waits for the stale reply to arrive (the page counts the replies it drops in
 * body[data-stale-dropped]) or for the wrong drawing, whichever comes first, then looks at the page.
 */
import type { Page } from 'puppeteer';
import { describe, expect, test } from 'vitest';
import { enabled, text } from './harness.js';
import { appSuite } from './appSuite.js';

async function setFormula(page: Page, formula: string): Promise<void> {
  await page.$eval('#formula', (e, f) => { (e as HTMLInputElement).value = f; e.dispatchEvent(new Event('input', { bubbles: true })); }, formula);
  await page.waitForFunction((f) => (document.querySelector('#formula') as HTMLElement).dataset.validated === f, {}, formula);
}

const dropped = (page: Page) => page.evaluate(() => Number(document.body.dataset.staleDropped ?? 0));

describe.skipIf(!enabled)('browser app: late results of a fit no longer shown', () => {
  const app = appSuite();

  test("a running power simulation's result is not drawn after another model (gamm4) is shown", async () => {
    const query = '?example=sleepstudy&formula=Reaction+~+Days+%2B+(Days+%7C+Subject)&factors=Subject&backend=cpu&fit=1'
      + '&power=1&ptest=Days&pmethod=t&pnsim=10000&pseed=5';
    const page = await app().openPage({ query });
    try {
      await page.waitForSelector('body[data-state="fitted"]', { timeout: 120_000 });
      expect(await page.$eval('#power-card', (e) => (e as HTMLDetailsElement).open)).toBe(true);
      await page.click('#power-run');
      await page.waitForFunction(() => /^[1-9]\d* of 10000 simulations/.test(document.querySelector('#power-progress-text')!.textContent ?? ''), { timeout: 60_000 });
      const before = await dropped(page);
      // another model while the simulations run: gamm4's section replaces the lmer cards
      await setFormula(page, 'Reaction ~ s(Days, k = 5) + (1 | Subject)');
      await page.click('#fit');
      await page.waitForSelector('#gamm-results:not([hidden]) #gamm-parametric-table', { timeout: 120_000 });
      expect(await page.$eval('#results', (e) => (e as HTMLElement).hidden)).toBe(true);
      // the power run's last reply (its cancellation; without the cancel, its result) arrives: dropped, or drawn
      await page.waitForFunction((n) => Number(document.body.dataset.staleDropped ?? 0) > n || !!document.querySelector('#power-headline') || (document.querySelector('#power-out')?.childElementCount ?? 0) > 0, { timeout: 180_000 }, before);
      expect(await page.$('#power-headline')).toBeNull();
      expect(await page.$eval('#power-out', (e) => e.childElementCount)).toBe(0);
      // the card is idle, not running for a fit that is gone
      expect(await page.$eval('#power-progress', (e) => (e as HTMLElement).hidden)).toBe(true);
      expect(await page.$eval('#power-cancel', (e) => (e as HTMLButtonElement).disabled)).toBe(true);
      expect(await dropped(page)).toBeGreaterThan(before);
    } finally {
      await page.close();
    }
  }, 400_000);

  test('a fit still running when new data are loaded is cancelled, never drawn as their fit', async () => {
    const page = await app().openPage({ query: '?example=insteval&formula=y+~+service+%2B+(1+%7C+s)+%2B+(1+%7C+d)+%2B+(1+%7C+dept%3Aservice)&factors=s,d,dept,service&backend=cpu&fit=1' });
    try {
      await page.waitForSelector('body[data-state="fitting"]', { timeout: 120_000 });
      await page.waitForFunction(() => /evaluations \d+/.test(document.querySelector('#progress-text')?.textContent ?? ''), { timeout: 120_000 });
      const before = await dropped(page);
      await page.click('[data-example="cbpp"]');
      await page.waitForSelector('body[data-state="loaded"]', { timeout: 120_000 });
      // the InstEval fit's last reply arrives: dropped (cancelled), or drawn as cbpp's results
      await page.waitForFunction((n) => Number(document.body.dataset.staleDropped ?? 0) > n || document.body.dataset.state !== 'loaded', { timeout: 300_000 }, before);
      expect(await page.evaluate(() => document.body.dataset.state)).toBe('loaded');
      expect(await page.$eval('#fit', (e) => (e as HTMLButtonElement).disabled)).toBe(false);
      expect(await page.$eval('#results', (e) => (e as HTMLElement).hidden)).toBe(true);
      expect(await page.$eval('#progress', (e) => (e as HTMLElement).hidden)).toBe(true);
      expect(await text(page, '#data-status')).toMatch(/^cbpp/);
      expect(await page.$eval('#formula', (e) => (e as HTMLInputElement).value)).toMatch(/^cbind\(incidence/);
    } finally {
      await page.close();
    }
  }, 500_000);
});
