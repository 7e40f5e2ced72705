/**
 * The browser app's Intervals card of a glmmTMB fit (glmmTMB's confint) in headless Chromium, in one test:
 * glmmTMB's Salamanders zero-inflated NB2 (count ~ mined + (1 | site), zero-inflation ~ mined) opened from an
 * address; the Wald table, computed at once, against the library's confint of the same model fitted in Node;
 * full's σ row; a profile of the fixed effects (parm beta_) showing its progress (parameters done of 4) and
 * stopped by Cancel; then the profile of one parameter (theta_1|site.1) to the end against Node's, its CSV;
 * the address with the card's fields and the profile, which, opened, shows the fields and the Wald table
 * with a note and starts no profile (as the lmer card's profile and bootstrap). Then method "profile" of
 * zi~(Intercept) (glmmTMB's spline through tmbprofile's points): its table against Node's
 * confint(method = "profile"), its plot, the profile's CSV against Node's profile data frame, the address.
 *
 * Tolerances: Chromium's fit is not Node's to the last bit (test/e2e/zeroinfl.test.ts's header: V8's
 * Math.exp/log/pow round differently and BOBYQA stops elsewhere within its tolerance). Here the estimates
 * agree to ~1e-9 SE, but the SEs, from a central-difference Hessian that divides those last bits by δ²,
 * only to 1.4e-5 relative (the zero-inflation intercept's: measured in Debian's Chromium 156 against Node for this
 * model). A Wald end x̂ ± z SE moves by z ΔSE, i.e. by the half-width times ΔSE/SE, and σ(x̂ ∓ z SE) and the
 * SDs likewise to first order; so the ends are compared to 1e-5 of the interval's width (ΔSE/SE up to
 * 2e-5), the estimates to 1e-6 relative. The card's coefficient rows are also checked against the page's
 * own coefficient tables (x̂ ± z SE of the same fit) to 1e-12. The profile's ends are the likelihood's
 * (both re-optimize the other parameters, each root to 1e-8 SE; x̂'s error does not enter): 1e-6 ×
 * max(1, |end|), the tolerance against TMB's tmbroot in test/tmbConfint.test.ts. Method "profile" walks a
 * grid from x̂ in steps of SE/4 (doubled and halved), so its points move with x̂ (~1e-9 SE) and the SE
 * (1.4e-5 relative): a point x̂ + t by t × ΔSE/SE (measured: 4.2e-4 at t = −29.4), its value by the
 * profile's slope times that, and the spline's end with them (6e-9 SE measured); .focal and the end are
 * compared to 2e-5 of max(SE, |t|), each value to twice its local secant slope times its .focal's move.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Page } from 'puppeteer';
import { type TmbProfile, confintGlmmTmb, readCsv, zeroInflated } from '../../src/index.js';
import { ROOT, captureDownloads, enabled, text } from './harness.js';
import { appSuite } from './appSuite.js';

interface Row { name: string; lower: number | null; upper: number | null; estimate: number }
const tableOf = (page: Page): Promise<Row[]> => page.$$eval('#zi-ci-table tbody tr', (trs) => trs.map((tr) => {
  const d = (tr as HTMLElement).dataset;
  return { name: d.name!, lower: d.lower === undefined ? null : Number(d.lower), upper: d.upper === undefined ? null : Number(d.upper), estimate: Number(d.estimate) };
}));
const near = (a: number | null, b: number, tol: number) => a !== null && Math.abs(a - b) / Math.max(1, Math.abs(b)) < tol;
type LibRow = { name: string; lower: number; upper: number; estimate: number };
/** the profile's rows: each end and the estimate within tol × max(1, |value|); NA where Node's is NaN */
function expectRows(shown: Row[], lib: LibRow[], tol: number): void {
  expect(shown.map((r) => r.name)).toEqual(lib.map((r) => r.name));
  shown.forEach((r, i) => {
    const l = lib[i]!;
    for (const k of ['lower', 'upper', 'estimate'] as const) {
      if (Number.isNaN(l[k])) expect(r[k], `${r.name} ${k}`).toBeNull();
      else expect(near(r[k], l[k], tol), `${r.name} ${k}: ${r[k]} vs ${l[k]}`).toBe(true);
    }
  });
}
/** Wald rows: the estimates within 1e-6 relative, the ends within 1e-5 of the interval's width (the SEs' error, above) */
function expectWald(shown: Row[], lib: LibRow[]): void {
  expect(shown.map((r) => r.name)).toEqual(lib.map((r) => r.name));
  shown.forEach((r, i) => {
    const l = lib[i]!;
    expect(Math.abs(r.estimate - l.estimate) / Math.max(1e-300, Math.abs(l.estimate)), `${r.name} estimate: ${r.estimate} vs ${l.estimate}`).toBeLessThan(1e-6);
    for (const k of ['lower', 'upper'] as const) {
      expect(r[k], `${r.name} ${k}`).not.toBeNull();
      expect(Math.abs(r[k]! - l[k]) / (l.upper - l.lower), `${r.name} ${k}: ${r[k]} vs ${l[k]}`).toBeLessThan(1e-5);
    }
  });
}

/** method "profile": the page's ends and .focal against Node's, relative to max(SE, |.focal − x̂|): the SEs' relative error (header) */
const PROFILE_TOL = 2e-5;

describe.skipIf(!enabled)("browser app: a glmmTMB fit's Intervals card (glmmTMB's confint)", () => {
  const app = appSuite();

  test("Salamanders' ZINB2: Wald at once, full's σ row, the profile's progress, Cancel and ends, CSV, the address", async () => {
    const salamanders = readCsv(readFileSync(join(ROOT, 'test/fixtures/data/salamanders.csv'), 'utf8')).table;
    const formula = 'count ~ mined + (1 | site)';
    const lib = await zeroInflated(formula, salamanders, { family: 'nbinom2', ziformula: '~ mined' });
    const wald = await confintGlmmTmb(lib);
    const waldFull = await confintGlmmTmb(lib, { full: true });
    const profile = await confintGlmmTmb(lib, { method: 'uniroot', parm: 6 });
    let libProfile: TmbProfile | undefined;
    const spline = await confintGlmmTmb(lib, { method: 'profile', parm: 3, full: true, onProfile: (p) => { libProfile = p; } });

    const query = `?${new URLSearchParams({ example: 'salamanders', formula, family: 'zi_nbinom2', link: 'log', zi: '~ mined', fit: '1' })}`;
    const page = await app().openPage({ query });
    let link = '';
    try {
      const download = await captureDownloads(page);
      // Wald at once, with the fit
      await page.waitForSelector('#zi-results:not([hidden]) #zi-ci-table[data-method="wald"]', { timeout: 120_000 });
      const shownWald = await tableOf(page);
      expectWald(shownWald, wald.rows);
      // the coefficient rows are x̂ ± z SE of the page's own fit (its coefficient tables)
      const z = 1.959963984540054;
      const coefs = await page.$$eval('#zi-cond-table tbody tr, #zi-zi-table tbody tr', (trs) => trs.map((r) => [Number(r.getAttribute('data-estimate')), Number(r.getAttribute('data-se'))] as [number, number]));
      expect(coefs).toHaveLength(4);
      coefs.forEach(([est, se], i) => {
        const r = shownWald[i]!;
        expect(Math.abs(r.lower! - (est - z * se)) / Math.abs(est - z * se), r.name).toBeLessThan(1e-12);
        expect(Math.abs(r.upper! - (est + z * se)) / Math.abs(est + z * se), r.name).toBeLessThan(1e-12);
        expect(r.estimate).toBe(est);
      });
      expect(await page.$$eval('#zi-ci-table thead th', (th) => th.map((e) => e.textContent))).toEqual(['Parameter', '2.5 %', '97.5 %', 'Estimate']);
      expect(await text(page, '#zi-ci-caption')).toMatch(/^Wald intervals: confint\(fit\)/);
      expect(await page.$eval('#zi-ci-print', (e) => e.textContent!.split('\n')[0]!.trim().split(/\s+/))).toEqual(['2.5', '%', '97.5', '%', 'Estimate']);
      // full: the σ row
      await page.click('#zi-ci-full');
      await page.waitForSelector('#zi-ci-table tr[data-name="sigma"]');
      expectWald(await tableOf(page), waldFull.rows);

      // a profile of the four fixed effects: its progress, then Cancel
      await page.select('#zi-ci-parm', 'beta_');
      await page.waitForFunction(() => document.querySelector('#zi-ci-caption')?.textContent?.includes('parm = "beta_"'));
      await page.click('#zi-ci-profile');
      await page.waitForFunction(() => /^profiling \S+ \([1-4] of 4; [0-3] done\)$/.test(document.getElementById('zi-ci-progress-text')?.textContent ?? ''));
      expect(await page.$eval('#zi-ci-bar', (e) => (e as HTMLProgressElement).max)).toBe(4);
      expect(await page.$eval('#zi-ci-level', (e) => (e as HTMLInputElement).disabled)).toBe(true);
      await page.click('#zi-ci-cancel');
      await page.waitForFunction(() => document.getElementById('zi-ci-progress-text')?.textContent === 'Cancelled.');
      expect(await page.$eval('#zi-ci-table', (e) => e.getAttribute('data-method'))).toBe('wald');
      expect(await page.$eval('#zi-ci-profile', (e) => (e as HTMLButtonElement).disabled)).toBe(false);

      // the profile of theta_1|site.1 (parameter 6) to the end
      await page.select('#zi-ci-parm', '6');
      await page.waitForFunction(() => document.querySelector('#zi-ci-caption')?.textContent?.includes('parm = 6'));
      await page.click('#zi-ci-profile');
      await page.waitForSelector('#zi-ci-table[data-method="uniroot"]', { timeout: 60_000 });
      expectRows(await tableOf(page), profile.rows, 1e-6);
      expect(await text(page, '#zi-ci-caption')).toMatch(/^Profile intervals: confint\(fit, parm = 6, method = "uniroot", full = TRUE\)/);
      await page.click('#zi-ci-csv');
      const csv = (await download('salamanders_confint_uniroot.csv')).text.trim().split(/\r?\n/);
      expect(csv[0]).toBe('parameter,2.5 %,97.5 %,Estimate');
      const [name, lo, hi] = csv[1]!.split(',');
      expect(name).toBe('theta_1|site.1');
      expect(near(Number(lo), profile.rows[0]!.lower, 1e-6) && near(Number(hi), profile.rows[0]!.upper, 1e-6)).toBe(true);
      link = page.url();
      const q = new URL(link).searchParams;
      expect([q.get('tcip'), q.get('tcif'), q.get('tcim')]).toEqual(['6', '1', 'uniroot']);

      // method "profile" of zi~(Intercept) (parameter 3): the table, the plot, the profile's CSV, the address
      await page.select('#zi-ci-parm', '3');
      await page.waitForFunction(() => document.querySelector('#zi-ci-caption')?.textContent?.includes('parm = 3'));
      await page.click('#zi-ci-spline');
      await page.waitForSelector('#zi-ci-table[data-method="profile"]', { timeout: 90_000 });
      expect(await text(page, '#zi-ci-caption')).toMatch(/^Profile intervals: confint\(fit, parm = 3, method = "profile", full = TRUE\)/);
      expect(await page.$$eval('#zi-ci-table thead th', (th) => th.map((e) => e.textContent))).toEqual(['Parameter', '2.5 %', '97.5 %']);
      const se3 = libProfile!.parameters[0]!.se;
      const shownSpline = await tableOf(page);
      expect(shownSpline.map((r) => r.name)).toEqual(['zi~(Intercept)']);
      expect(shownSpline[0]!.lower).toBeNull();
      expect(Number.isNaN(spline.rows[0]!.lower)).toBe(true);
      expect(Math.abs(shownSpline[0]!.upper! - spline.rows[0]!.upper) / se3).toBeLessThan(PROFILE_TOL);
      expect(await page.$$eval('#zi-ci-notes li', (li) => li.map((e) => e.getAttribute('data-note')))).toEqual(['method', 'na']);
      expect(await page.$eval('#zi-ci-profile-plots .profile-plot[data-par="zi~(Intercept)"]', (e) => [e.getAttribute('data-points'), e.querySelectorAll('svg').length > 0])).toEqual([String(libProfile!.rows.length - 1), true]);
      await page.click('#zi-ci-profile-csv');
      const prCsv = (await download('salamanders_profile.csv')).text.trim().split(/\r?\n/);
      const nodeCsv = libProfile!.toCsv().trim().split('\n');
      expect(prCsv[0]).toBe('".par",".focal","value"');
      expect(prCsv).toHaveLength(nodeCsv.length);
      const xhat3 = lib.par[2]!;
      const nodeRows = libProfile!.rows;
      prCsv.slice(1).forEach((line, i) => {
        const [par, focal, value] = line.split(',');
        expect(par).toBe('"zi~(Intercept)"');
        const n = nodeRows[i]!;
        // .focal = x̂ + t, t a sum of steps SE/4 × 2^k: it moves by t × ΔSE/SE
        const dFocal = Math.abs(Number(focal) - n.focal);
        expect(dFocal / Math.max(se3, Math.abs(n.focal - xhat3)), line).toBeLessThan(PROFILE_TOL);
        // the value moves with it along the profile: by its slope (the larger secant next to the point, twice) times Δ.focal
        const secant = (j: number) => (j < 0 || j + 1 >= nodeRows.length || nodeRows[j + 1]!.focal === nodeRows[j]!.focal ? 0 : Math.abs((nodeRows[j + 1]!.value - nodeRows[j]!.value) / (nodeRows[j + 1]!.focal - nodeRows[j]!.focal)));
        expect(Math.abs(Number(value) - n.value), line).toBeLessThanOrEqual(2 * Math.max(secant(i - 1), secant(i)) * dFocal + 1e-8);
      });
      expect(new URL(page.url()).searchParams.get('tcim')).toBe('profile');
    } finally {
      await page.close();
    }

    // the link: the fields back, the Wald table computed again with a note, no profile started
    const p2 = await app().openPage({ query: new URL(link).search });
    try {
      await p2.waitForSelector('#zi-ci-link-hint', { timeout: 120_000 });
      expect(await p2.$eval('#zi-ci-parm', (e) => (e as HTMLSelectElement).value)).toBe('6');
      expect(await p2.$eval('#zi-ci-full', (e) => (e as HTMLInputElement).checked)).toBe(true);
      expect(await p2.$eval('#zi-ci-table', (e) => e.getAttribute('data-method'))).toBe('wald');
      expect(await p2.$eval('#zi-ci-progress', (e) => (e as HTMLElement).hidden)).toBe(true);
      expectWald(await tableOf(p2), (await confintGlmmTmb(lib, { parm: 6, full: true })).rows);
      expect(new URL(p2.url()).searchParams.get('tcim')).toBe('uniroot');
    } finally {
      await p2.close();
    }
  }, 300_000);
});
