/**
 * The browser app's nlmer fits and nlme comparisons in headless Chromium:
 * 1. Orange (dropped as a CSV): the formula `circumference ~ SSlogis(age, Asym, xmid, scal) ~ Asym | Tree`
 *    shows one start box per parameter, empty, and says they must be filled (lme4's nlmer, and the library,
 *    do not self-start); with lme4's example's values the page's fit is the library's fit of the same data
 *    and start in Node: the same Nelder–Mead stages on the same objective, so the deviance agrees to 1e-10
 *    relative and β̂, σ̂, the VarCorr SDs to 1e-6 relative and the SEs to 1e-5 (Chromium's V8 rounds
 *    Math.exp differently from Node's in the last bit, which moves where Nelder–Mead stops within its
 *    tolerance, see ordinal.test.ts; the SEs come from σ̂²(R_XᵀR_X)⁻¹ at that point; observed here with
 *    Debian's Chromium: the same path, every number within 6e-15 relative), the summary's lines
 *    without numbers exactly, the fitted-curves plot with its five trees, and the address keeps the start values.
 * 2. Cancel of a running nlmer fit (Theoph's SSfol with three correlated effects, seconds of work), once the
 *    progress line shows the library's stage 1, its evaluations and deviance: the worker's AbortSignal stops
 *    it, the page says "Cancelled." and the worker is not restarted (a mark set in its global scope before the
 *    fit is still there after the page's 1.5 s fallback), the data stay loaded, and a second fit then runs to
 *    the library's fit in Node (logLik to 1e-10 relative, as case 1).
 * 3. Bad input: a wrong number of model arguments and an unknown model are the library's formula errors at
 *    their token before fitting; start values for which the model is not finite are the library's error in
 *    the app's error box after the worker tried.
 * 4. nlme's anova(fit1, fit2) in the Fits history: two lme fits of Orthodont (REML, the same fixed effects)
 *    give the library's anovaLme rows (df exactly, AIC, BIC, logLik, L.Ratio, p to 1e-6 × max(1, |x|), as
 *    app2.test.ts compares lme fits between Chromium and Node; observed: 1e-13); a REML pair with different fixed effects is
 *    refused with the library's message; an lmer fit and an nlme fit are not compared.
 * 5. nlmer fits in the Fits history: two Orange fits (a random Asym; a random Asym and xmid) are listed with
 *    the library's logLik, AIC and BIC (1e-10 relative, as case 1), and their comparison is lme4's anova(fit1, fit2)
 *    (test/fixtures/nlmer/orange_anova.json: npar exactly, AIC, BIC, logLik, deviance, Chisq and p to 1e-6 of the
 *    7 significant digits shown) with the library's printout (anovaNlmer, tested against lme4's in
 *    test/nlmerBlocks.test.ts) exactly; an nlmer fit and an lmer fit are not compared.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'puppeteer';
import { describe, expect, test } from 'vitest';
import { anovaLme, anovaNlmer, lme, nlmer, readCsv } from '../../src/index.js';
import { EXAMPLES } from '../../demo/src/load.js';
import { isNlmerFormula, nlmerParameters, nlmerStartProblem } from '../../demo/src/nlmer.js';
import { parseStartText, startText } from '../../demo/src/nlmerView.js';
import { readUrlState, writeUrlState } from '../../demo/src/urlState.js';
import { ROOT, dropFile, enabled, text } from './harness.js';
import { appSuite } from './appSuite.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
const near = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));
const csv = (name: string) => readFileSync(join(ROOT, `test/fixtures/data/${name}`), 'utf8');

/** Replaces the formula box's text as a user types it, and waits for the (debounced) check to see it. */
async function setFormula(page: Page, formula: string): Promise<void> {
  await page.$eval('#formula', (e) => { (e as HTMLInputElement).value = ''; });
  await page.type('#formula', formula);
  await page.waitForFunction(() => {
    const f = document.querySelector('#formula') as HTMLInputElement;
    return f.dataset.validated === f.value;
  });
}

async function fillStart(page: Page, values: Record<string, string>): Promise<void> {
  for (const [p, v] of Object.entries(values)) {
    await page.$eval(`#nlmer-start input[data-param="${p}"]`, (e) => { (e as HTMLInputElement).value = ''; });
    await page.type(`#nlmer-start input[data-param="${p}"]`, v);
  }
}

async function load(page: Page, name: string): Promise<void> {
  await dropFile(page, name, csv(name));
  await page.waitForFunction((n) => document.body.dataset.state === 'loaded' && (document.querySelector('#data-status')?.textContent ?? '').startsWith(n), {}, name);
}

describe('nlmer in the app: the formula\'s parameters, the start boxes\' checks, the address (no browser)', () => {
  test('the parameters as written, in the model\'s order; R\'s argument matching', () => {
    expect(isNlmerFormula('y ~ SSlogis(age, A, xm, s) ~ A | Tree')).toBe(true);
    expect(isNlmerFormula('y ~ x + (1 | g)')).toBe(false);
    expect(isNlmerFormula('y ~ s(x, by = f) + (1 | g)')).toBe(false);
    expect(nlmerParameters('circumference ~ SSlogis(age, Asym, xmid, scal) ~ Asym | Tree')).toEqual({ model: 'SSlogis', parameters: ['Asym', 'xmid', 'scal'] });
    expect(nlmerParameters('y ~ SSlogis(scal = s, age, A, xm) ~ A | Tree')).toEqual({ model: 'SSlogis', parameters: ['A', 'xm', 's'] });
    expect(nlmerParameters('conc ~ SSfol(Dose, Time, lKe, lKa, lCl) ~ (lKe + lKa + lCl | Subject)')).toEqual({ model: 'SSfol', parameters: ['lKe', 'lKa', 'lCl'] });
    // not (yet) a call of a self-starting model with its arguments: no boxes (the library's parser says why)
    expect(nlmerParameters('y ~ SSlogis(age, A, xm) ~ A | Tree')).toBeNull();
    expect(nlmerParameters('y ~ Foo(age, A) ~ A | Tree')).toBeNull();
    expect(nlmerParameters('y ~ SSlogis(age, A, xm, s)')).toBeNull();
  });

  test('the start boxes\' problems; the address\'s nlstart', () => {
    expect(nlmerStartProblem(['Asym', 'xmid', 'scal'], { Asym: '200', xmid: ' ' })).toMatch(/^nlmer needs a starting value for each parameter .*: fill xmid, scal\.$/);
    expect(nlmerStartProblem(['Asym'], { Asym: '2e' })).toBe('Start value of Asym: \'2e\' is not a finite number.');
    expect(nlmerStartProblem(['Asym'], { Asym: 'Inf' })).toMatch(/not a finite number/);
    expect(nlmerStartProblem(['Asym', 'xmid'], { Asym: '200', xmid: '-1.5e2' })).toBeNull();
    expect(startText(['Asym', 'xmid', 'scal'], { scal: '350', Asym: '200', xmid: '' })).toBe('Asym=200,scal=350');
    expect(parseStartText('Asym=200, xmid = 725,bad,=3,scal=350')).toEqual({ Asym: '200', xmid: '725', scal: '350' });
    const s = { example: 'orange' as const, formula: EXAMPLES.orange.formula, family: 'gaussian' as const, nlmerStart: 'Asym=200,xmid=725,scal=350', fit: true };
    const q = writeUrlState(s);
    expect(readUrlState(q)).toMatchObject({ example: 'orange', formula: EXAMPLES.orange.formula, nlmerStart: 'Asym=200,xmid=725,scal=350', fit: true });
    expect(writeUrlState({ ...s, nlmerStart: undefined })).not.toMatch(/nlstart=/);
  });
});

describe.skipIf(!enabled)('browser app: nlmer fits, nlme fits in the Fits history', () => {
  const app = appSuite();

  test('the Orange example fits from lme4\'s start values (at 390 px, no sideways scroll); a link\'s nlstart fills the boxes and fits', async () => {
    const page = await app().openPage({ query: '?example=orange&fit=1', width: 390, height: 844 });
    try {
      await page.waitForSelector('#nlmer-results:not([hidden]) #nlmer-fixed-table', { timeout: 120_000 });
      expect(await page.$eval('#formula', (e) => (e as HTMLInputElement).value)).toBe(EXAMPLES.orange.formula);
      expect(await page.$$eval('#nlmer-start input', (xs) => xs.map((x) => (x as HTMLInputElement).value))).toEqual(['200', '725', '350']);
      expect(await text(page, '#nlmer-headline')).toMatch(/start Asym = 200, xmid = 725, scal = 350$/);
      expect(new URL(page.url()).searchParams.get('nlstart')).toBe('Asym=200,xmid=725,scal=350');
      expect(await page.$('#nlmer-plot svg')).not.toBeNull();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    } finally {
      await page.close();
    }
    const query = `?${new URLSearchParams({ example: 'orange', formula: EXAMPLES.orange.formula, nlstart: 'Asym=190,xmid=700,scal=340', fit: '1' })}`;
    const page2 = await app().openPage({ query });
    try {
      await page2.waitForSelector('#nlmer-results:not([hidden]) #nlmer-fixed-table', { timeout: 120_000 });
      expect(await page2.$$eval('#nlmer-start input', (xs) => xs.map((x) => (x as HTMLInputElement).value))).toEqual(['190', '700', '340']);
      expect(await text(page2, '#nlmer-headline')).toMatch(/start Asym = 190, xmid = 700, scal = 340$/);
    } finally {
      await page2.close();
    }
  }, 300_000);

  test('Orange\'s SSlogis fit: the start boxes, the library\'s numbers, the curves; a bad formula; bad start values', async () => {
    const formula = 'circumference ~ SSlogis(age, Asym, xmid, scal) ~ Asym | Tree';
    const start = { Asym: 200, xmid: 725, scal: 350 };
    const lib = await nlmer(formula, readCsv(csv('Orange.csv')).table, { start, dataName: 'Orange' });
    const page = await app().openPage();
    try {
      await load(page, 'Orange.csv');
      await setFormula(page, formula);
      // one box per parameter, in the model's order, empty: the page says they must be filled
      expect(await page.$eval('#nlmer-row', (e) => (e as HTMLElement).hidden)).toBe(false);
      expect(await page.$$eval('#nlmer-start input', (xs) => xs.map((x) => [(x as HTMLInputElement).dataset.param, (x as HTMLInputElement).value]))).toEqual([['Asym', ''], ['xmid', ''], ['scal', '']]);
      expect(await text(page, '#nlmer-note')).toMatch(/^SSlogis: give each parameter a starting value/);
      expect(await text(page, '#nlmer-error')).toMatch(/nlmer needs a starting value for each parameter .*: fill Asym, xmid, scal\./);
      expect(await text(page, '#formula-error')).toBe('');
      await fillStart(page, { Asym: '200', xmid: '725', scal: '350' });
      expect(await text(page, '#nlmer-error')).toBe('');
      expect(new URL(page.url()).searchParams.get('nlstart')).toBe('Asym=200,xmid=725,scal=350');
      await page.click('#fit');
      await page.waitForSelector('#nlmer-results:not([hidden]) #nlmer-fixed-table', { timeout: 120_000 });
      expect(await page.$eval('#results', (e) => (e as HTMLElement).hidden)).toBe(true);
      const logLik = Number(await page.$eval('#nlmer-loglik', (e) => e.getAttribute('data-value')));
      expect(rel(logLik, lib.logLik())).toBeLessThan(1e-10);
      expect(rel(Number(await page.$eval('#nlmer-sigma', (e) => e.getAttribute('data-value'))), lib.sigma)).toBeLessThan(1e-6);
      const fixed = await page.$$eval('#nlmer-fixed-table tbody tr', (trs) => trs.map((r) => [(r as HTMLElement).dataset.term!, Number(r.getAttribute('data-estimate')), Number(r.getAttribute('data-se'))] as [string, number, number]));
      const beta = lib.fixef();
      const se = lib.se();
      expect(fixed.map((f) => f[0])).toEqual(Object.keys(beta));
      fixed.forEach(([name, est, s], j) => {
        expect(rel(est, beta[name]!), `${name} estimate`).toBeLessThan(1e-6);
        expect(rel(s, se[j]!), `${name} SE`).toBeLessThan(1e-5);
      });
      const vc = await page.$$eval('#nlmer-varcorr-table tbody tr', (trs) => trs.map((r) => [(r as HTMLElement).dataset.group!, (r as HTMLElement).dataset.name!, Number(r.getAttribute('data-sdcor'))] as [string, string, number]));
      const libVc = lib.varCorr();
      expect(vc.map((v) => `${v[0]}/${v[1]}`)).toEqual(libVc.map((v) => `${v.group}/${v.var1 ?? ''}`));
      vc.forEach(([g, n, sd], j) => expect(rel(sd, libVc[j]!.sdcor), `${g} ${n} SD`).toBeLessThan(1e-6));
      // lme4's printout: the lines without numbers are the library's exactly
      const shown = (await page.$eval('#nlmer-summary', (e) => e.textContent ?? '')).split('\n');
      const mine = lib.summary().split('\n');
      expect(shown.length).toBe(mine.length);
      mine.forEach((l, k) => { if (!/\d/.test(l)) expect(shown[k]).toBe(l); });
      expect(shown[0]).toMatch(/^Nonlinear mixed model fit by maximum likelihood/);
      // the fitted curves: every tree, drawn with Observable Plot
      expect(await page.$('#nlmer-plot svg')).not.toBeNull();
      expect(await page.$eval('#nlmer-curves-caption', (e) => [e.getAttribute('data-levels'), e.getAttribute('data-total')])).toEqual(['5', '5']);
      // one line per tree (Plot's line mark) and every observation as a dot
      expect(await page.$$eval('#nlmer-plot svg g[aria-label="line"] path', (ps) => ps.length)).toBe(5);
      expect(await page.$$eval('#nlmer-plot svg g[aria-label="dot"] circle', (cs) => cs.length)).toBe(35);
      expect(new URL(page.url()).searchParams.get('fit')).toBe('1');

      // a bad formula: the library's parser's message at its token, before any fit
      await setFormula(page, 'circumference ~ SSlogis(age, Asym, xmid) ~ Asym | Tree');
      expect(await text(page, '#formula-error')).toMatch(/SSlogis takes 4 arguments \(input, Asym, xmid, scal\), not 3/);
      expect(await page.$eval('#fit', (e) => (e as HTMLButtonElement).disabled)).toBe(true);
      await setFormula(page, 'circumference ~ SSlogist(age, Asym, xmid, scal) ~ Asym | Tree');
      expect(await text(page, '#formula-error')).toMatch(/unknown nonlinear model function 'SSlogist'/);
      await setFormula(page, 'circumference ~ SSlogis(agee, Asym, xmid, scal) ~ Asym | Tree');
      expect(await text(page, '#formula-error')).toMatch(/^Unknown column 'agee': not in Orange\.csv/);
      // start values where the model is not finite: the library's error, in the app's error box
      await setFormula(page, formula);
      expect(await page.$$eval('#nlmer-start input', (xs) => xs.map((x) => (x as HTMLInputElement).value))).toEqual(['200', '725', '350']);
      await fillStart(page, { scal: '0' });
      await page.click('#fit');
      await page.waitForFunction(() => (document.querySelector('#fit-error')?.textContent ?? '') !== '', { timeout: 120_000 });
      expect(await text(page, '#fit-error')).toMatch(/the gradient of SSlogis in xmid is not finite \(NaN\) at row 1 \(age = 118; Asym = 200, xmid = 725, scal = 0\)/);
      expect(await page.evaluate(() => document.body.dataset.state)).toBe('error');
    } finally {
      await page.close();
    }
  }, 300_000);

  test('Cancel stops a running nlmer fit (Theoph, SSfol) through the library\'s signal: the worker and its data stay, a second fit runs', async () => {
    const formula = 'conc ~ SSfol(Dose, Time, lKe, lKa, lCl) ~ (lKe + lKa + lCl | Subject)';
    const start = { lKe: -2.5, lKa: 0.5, lCl: -3 };
    const page = await app().openPage();
    try {
      await load(page, 'Theoph.csv');
      await setFormula(page, formula);
      expect(await page.$$eval('#nlmer-start input', (xs) => xs.map((x) => (x as HTMLInputElement).dataset.param))).toEqual(['lKe', 'lKa', 'lCl']);
      await fillStart(page, { lKe: '-2.5', lKa: '0.5', lCl: '-3' });
      // a mark in the worker's global scope: a restarted worker would not have it
      const workers = page.workers();
      expect(workers.length).toBe(1);
      await workers[0]!.evaluate(() => { (self as unknown as { mark: string }).mark = 'before Cancel'; });
      await page.click('#fit');
      // the library's progress: the stage, the evaluations, the deviance
      await page.waitForFunction(() => /^stage 1 · evaluations \d+ · deviance [-\d.]+ · best [-\d.]+ · /.test(document.querySelector('#progress-text')?.textContent ?? ''), { timeout: 30_000 });
      expect(await page.$eval('#cancel', (e) => (e as HTMLButtonElement).disabled)).toBe(false);
      await page.click('#cancel');
      await page.waitForFunction(() => /^Cancelled/.test(document.querySelector('#progress-text')?.textContent ?? ''), { timeout: 30_000 });
      // stopped by the AbortSignal, not by restarting the worker: the data stay loaded, the fit button is back
      expect(await text(page, '#progress-text')).toBe('Cancelled.');
      expect(await page.evaluate(() => document.body.dataset.state)).toBe('loaded');
      expect(await page.$eval('#fit', (e) => (e as HTMLButtonElement).disabled)).toBe(false);
      expect(await page.$eval('#nlmer-results', (e) => (e as HTMLElement).hidden)).toBe(true);
      // past the page's 1.5 s fallback (it restarts a worker whose fit runs on): still the same worker
      await new Promise((r) => setTimeout(r, 2000));
      expect(await text(page, '#progress-text')).toBe('Cancelled.');
      expect(page.workers().length).toBe(1);
      expect(await page.workers()[0]!.evaluate(() => (self as unknown as { mark?: string }).mark)).toBe('before Cancel');
      expect(await page.$eval('#formula', (e) => (e as HTMLInputElement).value)).toBe(formula);
      expect(await page.$$eval('#nlmer-start input', (xs) => xs.map((x) => (x as HTMLInputElement).value))).toEqual(['-2.5', '0.5', '-3']);

      // a second fit on the same worker's data runs to the end: the library's fit of Theoph (its stage 2's progress shown on the way)
      const lib = await nlmer(formula, readCsv(csv('Theoph.csv')).table, { start, dataName: 'Theoph' });
      await page.click('#fit');
      await page.waitForSelector('#nlmer-results:not([hidden]) #nlmer-fixed-table', { timeout: 240_000 });
      expect(await page.workers()[0]!.evaluate(() => (self as unknown as { mark?: string }).mark)).toBe('before Cancel');
      const logLik = Number(await page.$eval('#nlmer-loglik', (e) => e.getAttribute('data-value')));
      expect(rel(logLik, lib.logLik())).toBeLessThan(1e-10);
      expect(await text(page, '#nlmer-info')).toMatch(/ · evaluations \d+ \+ \d+ \(lme4's two stages\)/);
    } finally {
      await page.close();
    }
  }, 400_000);

  test('two lme fits in the Fits history: nlme\'s anova, its REML rule, no mixed pair', async () => {
    const ortho = readCsv(csv('Orthodont.csv')).table;
    const opts = { random: '~ 1 | Subject', weights: 'varIdent(form = ~ 1 | Sex)', method: 'REML' as const };
    const f1 = await lme('distance ~ age', ortho, opts);
    const f2 = await lme('distance ~ age', ortho, { ...opts, correlation: 'corAR1(form = ~ 1 | Subject)' });
    const rows = anovaLme([f1, f2], ['nlme1', 'nlme2']);
    const page = await app().openPage();
    try {
      await load(page, 'Orthodont.csv');
      const fitWith = async (formula: string, weights: string, correlation: string) => {
        await page.$eval('#nlme-weights', (e, v) => { (e as HTMLInputElement).value = v; e.dispatchEvent(new Event('input', { bubbles: true })); }, weights);
        await page.$eval('#nlme-correlation', (e, v) => { (e as HTMLInputElement).value = v; e.dispatchEvent(new Event('input', { bubbles: true })); }, correlation);
        await setFormula(page, formula);
        const before = await page.$$eval('#history-table tbody tr', (trs) => trs.length).catch(() => 0);
        await page.waitForFunction(() => !(document.querySelector('#fit') as HTMLButtonElement).disabled);
        await page.click('#fit');
        await page.waitForFunction((n) => document.querySelectorAll('#history-table tbody tr').length === n + 1, { timeout: 120_000 }, before);
      };
      await fitWith('distance ~ age + (1 | Subject)', 'varIdent(form = ~ 1 | Sex)', '');
      await fitWith('distance ~ age + (1 | Subject)', 'varIdent(form = ~ 1 | Sex)', 'corAR1(form = ~ 1 | Subject)');
      const hist = await page.$$eval('#history-table tbody tr', (trs) => trs.map((r) => [(r as HTMLElement).dataset.kind ?? 'mer', r.children[1]!.textContent, r.children[4]!.textContent]));
      expect(hist).toEqual([
        ['nlme', 'nlme 1', 'lme, REML, weights = varIdent(form = ~ 1 | Sex)'],
        ['nlme', 'nlme 2', 'lme, REML, weights = varIdent(form = ~ 1 | Sex), correlation = corAR1(form = ~ 1 | Subject)'],
      ]);
      // each tick draws the table again: the boxes are found afresh for every click
      const pick = async (ks: number[]) => {
        while (await page.$('#history-table input[data-compare]:checked')) await page.click('#history-table input[data-compare]:checked');
        for (const k of ks) await page.click(`#history-table tbody tr:nth-child(${k + 1}) input[data-compare]`);
      };
      await pick([0, 1]);
      await page.click('#compare');
      await page.waitForSelector('#nlme-anova-table', { timeout: 60_000 });
      const shown = await page.$$eval('#nlme-anova-table tbody tr', (trs) => trs.map((r) => {
        const d = (r as HTMLElement).dataset;
        return { name: d.name!, df: Number(d.df), AIC: Number(d.aic), BIC: Number(d.bic), logLik: Number(d.loglik), L: d.lratio === '' ? null : Number(d.lratio), p: d.p === '' ? null : Number(d.p) };
      }));
      expect(shown.map((r) => [r.name, r.df])).toEqual(rows.map((r) => [r.name, r.df]));
      shown.forEach((r, k) => {
        const o = rows[k]!;
        for (const [a, b] of [[r.AIC, o.AIC], [r.BIC, o.BIC], [r.logLik, o.logLik]] as const) expect(near(a, b)).toBeLessThan(1e-6);
        expect(r.L === null).toBe(o.L_Ratio === null);
        if (r.L !== null) expect(near(r.L, o.L_Ratio!)).toBeLessThan(1e-6);
        if (r.p !== null) expect(near(r.p, o.p!)).toBeLessThan(1e-6);
      });
      expect(await text(page, '#nlme-anova-print')).toMatch(/^Model df\s+AIC\s+BIC\s+logLik\s+Test\s+L\.Ratio p-value/);
      expect(await text(page, '#compare-error')).toBe('');

      // REML fits with different fixed effects: nlme's rule, the library's message
      await fitWith('distance ~ age + Sex + (1 | Subject)', 'varIdent(form = ~ 1 | Sex)', '');
      await pick([0, 2]);
      await page.click('#compare');
      await page.waitForFunction(() => (document.querySelector('#compare-error')?.textContent ?? '') !== '', { timeout: 60_000 });
      expect(await text(page, '#compare-error')).toBe('No comparison: anova: REML fits with different fixed effects: their restricted likelihoods are not comparable; refit with method = "ML".');

      // an lmer fit and an nlme fit: not compared
      await fitWith('distance ~ age + (1 | Subject)', '', '');
      expect(await page.$$eval('#history-table tbody tr', (trs) => trs.map((r) => (r as HTMLElement).dataset.kind ?? 'mer'))).toEqual(['nlme', 'nlme', 'nlme', 'mer']);
      await pick([0, 3]);
      await page.click('#compare');
      expect(await text(page, '#compare-error')).toMatch(/^No comparison: an nlme fit \(lme or gls\) is compared with another nlme fit/);
    } finally {
      await page.close();
    }
  }, 400_000);
  test('two nlmer fits in the Fits history: logLik, AIC, BIC and lme4\'s anova(fit1, fit2); no nlmer-lmer pair', async () => {
    const fx = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/nlmer/orange_anova.json'), 'utf8')) as {
      formulas: string[]; npar: number[]; AIC: number[]; BIC: number[]; logLik: number[]; deviance: number[]; Chisq: (number | null)[]; Df: (number | null)[]; p: (number | null)[];
    };
    const start = { Asym: 200, xmid: 725, scal: 350 };
    const libs = await Promise.all(fx.formulas.map((f) => nlmer(f, readCsv(csv('Orange.csv')).table, { start, dataName: 'Orange' })));
    const page = await app().openPage();
    try {
      await load(page, 'Orange.csv');
      for (const [k, formula] of fx.formulas.entries()) {
        await setFormula(page, formula);
        await fillStart(page, { Asym: '200', xmid: '725', scal: '350' });
        await page.click('#fit');
        await page.waitForFunction((n) => document.querySelectorAll('#history-table tbody tr[data-kind="nlmer"]').length === n, { timeout: 120_000 }, k + 1);
      }
      const hist = await page.$$eval('#history-table tbody tr', (trs) => trs.map((r) => ({
        kind: (r as HTMLElement).dataset.kind, label: r.children[1]!.textContent, formula: r.children[2]!.textContent, options: r.children[4]!.textContent,
        logLik: Number(r.querySelector('[data-col="logLik"]')!.textContent), AIC: Number(r.querySelector('[data-col="AIC"]')!.textContent), BIC: Number(r.querySelector('[data-col="BIC"]')!.textContent),
      })));
      expect(hist.map((r) => [r.kind, r.label, r.formula, r.options])).toEqual(fx.formulas.map((f, k) => ['nlmer', `nlmer ${k + 1}`, f, 'nlmer, Laplace']));
      hist.forEach((r, k) => {
        // the history shows 7 significant digits
        expect(near(r.logLik, libs[k]!.logLik())).toBeLessThan(1e-6);
        expect(near(r.AIC, libs[k]!.AIC())).toBeLessThan(1e-6);
        expect(near(r.BIC, libs[k]!.BIC())).toBeLessThan(1e-6);
      });
      for (const k of [0, 1]) await page.click(`#history-table tbody tr:nth-child(${k + 1}) input[data-compare]`);
      await page.click('#compare');
      await page.waitForSelector('#compare-table', { timeout: 60_000 });
      const rows = await page.$$eval('#compare-table tbody tr', (trs) => trs.map((r) => Object.fromEntries(Array.from(r.querySelectorAll('[data-col]'), (c) => [(c as HTMLElement).dataset.col!, c.textContent ?? '']))));
      rows.forEach((r, k) => {
        expect(Number(r.npar)).toBe(fx.npar[k]);
        for (const [col, ref] of [['AIC', fx.AIC], ['BIC', fx.BIC], ['logLik', fx.logLik], ['deviance', fx.deviance]] as const) expect(near(Number(r[col]), ref[k]!), `${col} ${k}`).toBeLessThan(1e-6);
      });
      expect(rows[0]!.Chisq).toBe('');
      expect(near(Number(rows[1]!.Chisq), fx.Chisq[1]!)).toBeLessThan(1e-4);
      expect(Number(rows[1]!.Df)).toBe(fx.Df[1]);
      expect(near(Number(rows[1]!.p), fx.p[1]!)).toBeLessThan(1e-4);
      expect(await text(page, '#compare-print')).toBe(anovaNlmer(libs, ['nlmer1', 'nlmer2']).print.join('\n'));
      expect(await text(page, '#compare-error')).toBe('');

      // an nlmer fit and an lmer fit: not compared
      await setFormula(page, 'circumference ~ age + (1 | Tree)');
      await page.click('#fit');
      await page.waitForFunction(() => document.querySelectorAll('#history-table tbody tr').length === 3, { timeout: 120_000 });
      while (await page.$('#history-table input[data-compare]:checked')) await page.click('#history-table input[data-compare]:checked');
      for (const k of [0, 2]) await page.click(`#history-table tbody tr:nth-child(${k + 1}) input[data-compare]`);
      await page.click('#compare');
      expect(await text(page, '#compare-error')).toMatch(/^No comparison: .* an nlmer fit with another nlmer fit/);
    } finally {
      await page.close();
    }
  }, 400_000);
});
