/**
 * The browser app's Cluster-robust card in headless Chromium, opened from an address that holds its
 * settings (sleepstudy, CR1, naive-t, a 90% level, a Wald test of Days with HTZ and chi-sq) and an
 * emmeans setting: once the fit is back the card is open with those settings and its tables are
 * computed; the coefficient tests, intervals and Wald test equal the library's in Node to 1e-10
 * relative (the same CPU fit in Chromium and Node agrees to ~1e-10, workbench.test.ts), and the
 * emmeans card shows the address's df method, estimated once. On the same page, the Optimizers
 * (allFit) card: opened by the address with its optimizers ticked, never run by it; run by its button,
 * its table equals the library's allFit in Node (logLik to 1e-9 relative: the optimum is flat there, so
 * the last-bit differences of two engines barely move it; the fixed effects to 1e-5 relative, the
 * optimizers' stopping tolerance, within which two runs' stopping points may differ), its verdict as the
 * headline, its CSV. A second small page fits the model lme4 warns about (income.csv, a binomial GLMM of
 * 2,000 rows): the "check with other optimizers" link sits beside its convergence warnings and opens
 * the card without running it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { lmer, readCsv } from '../../src/index.js';
import { coefTest, confIntCR, vcovCR, waldTest } from '../../src/inference/robust/robust.js';
import { allFit } from '../../src/fit/allFit.js';
import { ROOT, captureDownloads, enabled, text } from './harness.js';
import { appSuite } from './appSuite.js';

describe.skipIf(!enabled)('browser app: cluster-robust card and the cards\' settings in the address', () => {
  const app = appSuite();

  test('a link restores the robust card (tables equal the library\'s), the emmeans card\'s df and the allFit card (run by its button: the library\'s rows)', async () => {
    const sleep = readCsv(readFileSync(join(ROOT, 'test/fixtures/data/sleepstudy.csv'), 'utf8')).table;
    const fit = await lmer('Reaction ~ Days + (Days | Subject)', sleep, { factors: ['Subject'] });
    const v = vcovCR(fit, { type: 'CR1' });
    const ct = coefTest(fit, { vcov: v, test: 'naive-t' });
    const ci = confIntCR(fit, { vcov: v, test: 'naive-t', level: 0.9 });
    const w = waldTest(fit, { zero: ['Days'] }, { vcov: v, test: ['HTZ', 'chi-sq'] });
    const close = (a: number, b: number, what: string) => expect(Math.abs(a - b) / Math.max(1e-300, Math.abs(b)), what).toBeLessThan(1e-10);

    const query = '?example=sleepstudy&formula=Reaction+~+Days+%2B+(Days+%7C+Subject)&factors=Subject&backend=cpu&fit=1'
      + '&emm=1&especs=Days&eddf=satterthwaite'
      + '&robust=1&rtype=CR1&rtest=naive-t&rlevel=0.9&rwald=term%3ADays&rwaldkind=zero&rwtests=HTZ%2Cchi-sq'
      + '&allfit=1&aopt=nelderMead%2CquasiNewton';
    const page = await app().openPage({ query });
    try {
      const download = await captureDownloads(page);
      await page.waitForSelector('body[data-state="fitted"]', { timeout: 120_000 });
      // the card open with the address's settings, its tables computed once the fit is back
      expect(await page.$eval('#robust-card', (e) => (e as HTMLDetailsElement).open)).toBe(true);
      await page.waitForSelector('#robust-robust-coef-table', { timeout: 60_000 });
      const value = (sel: string) => page.$eval(sel, (e) => (e as HTMLInputElement).value);
      expect([await value('#robust-type'), await value('#robust-test'), await value('#robust-level'), await value('#robust-cluster')]).toEqual(['CR1', 'naive-t', '0.9', '']);
      const rows = (id: string, keys: string[]) => page.$$eval(`${id} tbody tr`, (trs, ks) => trs.map((r) => [(r as HTMLElement).dataset.key!, ...ks.map((k) => Number((r as HTMLElement).getAttribute(`data-${k}`)))] as [string, ...number[]]), keys);

      const coef = await rows('#robust-robust-coef-table', ['beta', 'model-se', 'se', 't', 'df', 'p']);
      expect(coef.map((r) => r[0])).toEqual(['(Intercept)', 'Days']);
      coef.forEach(([name, beta, modelSe, se, t, df, p], j) => {
        const lib = ct.rows[j]!;
        close(beta!, lib.beta, `${name} estimate`);
        close(modelSe!, fit.se[name]!, `${name} model SE`);
        close(se!, lib.se, `${name} robust SE`);
        close(t!, lib.t, `${name} t`);
        expect(df, `${name} df`).toBe(lib.df);
        close(p!, lib.p, `${name} p`);
      });
      const cis = await rows('#robust-robust-ci-table', ['lower', 'upper']);
      cis.forEach(([name, lower, upper], j) => {
        close(lower!, ci.rows[j]!.lower, `${name} lower`);
        close(upper!, ci.rows[j]!.upper, `${name} upper`);
      });
      const wald = await rows('#robust-robust-wald-table', ['f', 'dfdenom', 'p']);
      // in the library's order of the tests
      expect(wald.map((r) => r[0])).toEqual(w.rows.map((r) => r.test));
      expect(wald.map((r) => r[0]).sort()).toEqual(['HTZ', 'chi-sq']);
      wald.forEach(([name, F, dfDenom, p], j) => {
        close(F!, w.rows[j]!.Fstat, `${name} F`);
        if (Number.isFinite(w.rows[j]!.dfDenom)) close(dfDenom!, w.rows[j]!.dfDenom, `${name} denominator df`);
        close(p!, w.rows[j]!.p, `${name} p`);
      });
      expect(await text(page, '#robust-text')).toMatch(/^Cluster-robust variance CR1 \(clubSandwich's vcovCR\), clustered by Subject: 18 clusters, 180 observations/);

      await page.click('#export-robust-robust-coef');
      const csvLines = (await download('sleepstudy_robust-coef.csv')).text.trim().split('\n');
      expect(csvLines[0]).toBe('coef,estimate,model_se,robust_se,se_ratio,t_stat,df,p_value');
      close(Number(csvLines[2]!.split(',')[3]), ct.rows[1]!.se, 'Days robust SE in the CSV');

      // the emmeans card: the address's df method, estimated once
      await page.waitForSelector('#emm-means-table', { timeout: 60_000 });
      expect([await value('#emm-specs'), await value('#emm-ddf')]).toEqual(['Days', 'satterthwaite']);
      expect(await text(page, '#emm-text')).toMatch(/Degrees-of-freedom method: satterthwaite/);

      // the address keeps both
      const search = await page.evaluate(() => location.search);
      expect(search).toContain('emm=1&especs=Days');
      expect(search).toContain('eddf=satterthwaite');
      expect(search).toContain('robust=1&rtype=CR1&rtest=naive-t&rlevel=0.9&rwald=term%3ADays&rwaldkind=zero&rwtests=HTZ%2Cchi-sq');
      expect(search).toContain('allfit=1&aopt=nelderMead%2CquasiNewton');

      // the Optimizers (allFit) card: open with the address's optimizers, not run by it
      expect(await page.$eval('#allfit-card', (e) => (e as HTMLDetailsElement).open)).toBe(true);
      expect(await page.$$eval('#allfit-optimizers input', (xs) => xs.map((x) => `${(x as HTMLInputElement).dataset.optimizer}:${(x as HTMLInputElement).checked}`)))
        .toEqual(['bobyqa:false', 'nelderMead:true', 'quasiNewton:true']);
      expect(await page.$('#allfit-headline')).toBeNull();
      const lib = await allFit(fit, { optimizers: ['nelderMead', 'quasiNewton'] });
      await page.click('#allfit-run');
      await page.waitForSelector('#allfit-headline', { timeout: 120_000 });
      expect(await text(page, '#allfit-headline')).toMatch(/^both optimizers agree: logLik within /);
      expect(await page.$eval('#allfit-headline', (e) => (e as HTMLElement).dataset.agree)).toBe('true');
      const fits = await rows('#allfit-allfit-table', ['loglik', 'fixef-0', 'fixef-1', 'feval']);
      expect(fits.map((r) => r[0])).toEqual(['nelderMead', 'quasiNewton']);
      fits.forEach(([method, loglik, b0, b1, feval], j) => {
        const r = lib.rows[j]!;
        expect(Math.abs(loglik! - r.logLik) / Math.abs(r.logLik), `${method} logLik`).toBeLessThan(1e-9);
        expect(Math.abs(b0! - r.fixef['(Intercept)']!) / Math.abs(r.fixef['(Intercept)']!), `${method} intercept`).toBeLessThan(1e-5);
        expect(Math.abs(b1! - r.fixef.Days!) / Math.abs(r.fixef.Days!), `${method} slope`).toBeLessThan(1e-5);
        expect(feval, `${method} evaluations`).toBeGreaterThan(0);
      });
      expect(await text(page, '#allfit-text')).toMatch(/^\$which\.OK\nNelder_Mead {22}TRUE\nquasi-Newton \(projected L-BFGS\)  TRUE\n/);
      await page.click('#export-allfit');
      const allfitCsv = (await download('sleepstudy_allfit.csv')).text.trim().split('\n');
      expect(allfitCsv).toHaveLength(3);
      expect(allfitCsv[0]).toMatch(/^optimizer,ok,converged,messages,loglik,loglik_minus_best,fixef_\(Intercept\),fixef_Days,theta1,/);
      expect(allfitCsv[1]).toMatch(/^Nelder_Mead,ok,yes,,/);
      if (process.env.UPDATE_SCREENSHOTS) {
        const box = await page.$eval('#allfit-card', (e) => { e.scrollIntoView(); const a = e.getBoundingClientRect(); return { x: a.x, y: a.y + window.scrollY, width: a.width, height: a.height }; });
        await page.screenshot({ path: join(ROOT, 'demo/screenshots/allfit-desktop.png'), clip: box, captureBeyondViewport: true });
      }
      if (process.env.UPDATE_SCREENSHOTS) {
        const box = await page.$eval('#robust-card', (e) => { e.scrollIntoView(); const a = e.getBoundingClientRect(); return { x: a.x, y: a.y + window.scrollY, width: a.width, height: a.height }; });
        await page.screenshot({ path: join(ROOT, 'demo/screenshots/robust-desktop.png'), clip: box, captureBeyondViewport: true });
      }
    } finally {
      await page.close();
    }
  }, 600_000);

  test('a fit lme4 warns about: a "check with other optimizers" link beside its convergence warning opens the allFit card', async () => {
    const page = await app().openPage();
    try {
      const input = await page.$('#file');
      await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(join(ROOT, 'test/fixtures/convergence/income.csv'));
      await page.waitForFunction(() => document.body.dataset.state === 'loaded' && document.querySelector('#data-status')!.textContent!.startsWith('income.csv'));
      await page.select('#backend', 'cpu');
      await page.select('#family', 'binomial');
      await page.$$eval('[data-factor]', (boxes) => { for (const b of boxes) if ((b as HTMLInputElement).dataset.factor === 'g' && !(b as HTMLInputElement).checked) (b as HTMLInputElement).click(); });
      await page.$eval('#formula', (e) => {
        (e as HTMLInputElement).value = 'yb ~ income + (1 | g)';
        e.dispatchEvent(new Event('input', { bubbles: true }));
      });
      await page.waitForFunction(() => (document.querySelector('#formula') as HTMLElement).dataset.validated === 'yb ~ income + (1 | g)');
      await page.waitForFunction(() => !(document.querySelector('#fit') as HTMLButtonElement).disabled);
      await page.click('#fit');
      await page.waitForSelector('body[data-state="fitted"], body[data-state="error"]', { timeout: 120_000 });
      expect(await text(page, '#fit-error')).toBe('');
      // the link sits beside lme4's convergence messages only, and the card is closed until it is clicked
      const beside = await page.$$eval('#fit-info .msg', (ms) => ms.filter((m) => m.querySelector('.allfit-link')).map((m) => m.firstChild!.textContent ?? ''));
      expect(beside.length).toBeGreaterThan(0);
      for (const m of beside) expect(m).toMatch(/^Model (failed to converge|is nearly unidentifiable)/);
      expect(await page.$eval('#allfit-card', (e) => (e as HTMLDetailsElement).open)).toBe(false);
      await page.click('#fit-info .allfit-link');
      expect(await page.$eval('#allfit-card', (e) => (e as HTMLDetailsElement).open)).toBe(true);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('allfit-run');
      expect(await text(page, '#allfit-hint')).toMatch(/lme4 warned about this fit's convergence/);
      expect(await page.evaluate(() => location.search)).toContain('allfit=1');
      // nothing ran: the refits are the user's to start
      expect(await page.$('#allfit-headline')).toBeNull();
    } finally {
      await page.close();
    }
  }, 300_000);
});
