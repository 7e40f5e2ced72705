/**
 * The browser app's Model checks card in headless Chromium, opened from an address that holds its
 * settings (cbpp's binomial glmer, 40 simulations, seed 9, the residuals also summed per herd): once the
 * fit is back the card is open with those settings, performance's checks are computed (the collinearity
 * table is NULL for one term and a note, the overdispersion, singularity and convergence rows, the
 * model_performance row, zero-inflation's refusal as a note), and the simulations are not run until the
 * button is clicked. Then DHARMa's tests (uniformity, dispersion, outliers; per herd, uniformity,
 * dispersion, outliers) have the p-values of the library's in Node with the same nsim and seed to 1e-12:
 * the glmer fit in Chromium differs from Node's in β's last digits (4e-10, workbench.test.ts), which
 * moves the fitted μ by as much, but the p-values are proportions of simulations and the scaled
 * residuals ranks among them, so the draws (by inversion of uniforms) land on the same side of the
 * observations; performance's AIC within 1e-8 relative for the same reason. The QQ plot's legend
 * carries the p-values as DHARMa's plotQQunif prints them, the residuals' CSV has every observation,
 * and the address keeps the card's settings.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { glmer, readCsv } from '../../src/index.js';
import { testDispersion, testOutliers, testUniformity } from '../../src/diagnostics/dharmaTests.js';
import { recalculateResiduals } from '../../src/diagnostics/recalculate.js';
import { pasteRounded } from '../../demo/src/modelChecks.js';
import { ROOT, captureDownloads, enabled, text } from './harness.js';
import { appSuite } from './appSuite.js';

describe.skipIf(!enabled)('browser app: Model checks card', () => {
  const app = appSuite();

  test('cbpp from a link: performance\'s checks shown, DHARMa\'s simulations run by the button with the library\'s p-values', async () => {
    const cbpp = readCsv(readFileSync(join(ROOT, 'test/fixtures/data/cbpp.csv'), 'utf8')).table;
    const formula = 'cbind(incidence, size - incidence) ~ period + (1 | herd)';
    const gfit = await glmer(formula, cbpp, { family: 'binomial', factors: ['herd', 'period'] });
    const d = gfit.simulateResiduals({ nsim: 40, seed: 9 });
    const lib = [testUniformity(d), testDispersion(d), testOutliers(d)];
    const term = gfit.model.frame.reTerms[0]!;
    const g = recalculateResiduals(d, Array.from(term.codes, (k) => term.levels[k]!));
    const glib = [testUniformity(g), testDispersion(g), testOutliers(g)];
    const perf = await gfit.modelPerformance();

    const query = `?${new URLSearchParams({ example: 'cbpp', formula, factors: 'herd,period', family: 'binomial', backend: 'cpu', fit: '1', checks: '1', cknsim: '40', ckseed: '9', ckgroup: 'herd' })}`;
    const page = await app().openPage({ query });
    try {
      const download = await captureDownloads(page);
      await page.waitForSelector('body[data-state="fitted"]', { timeout: 120_000 });
      expect(await page.$eval('#checks-card', (e) => (e as HTMLDetailsElement).open)).toBe(true);
      const value = (sel: string) => page.$eval(sel, (e) => (e as HTMLInputElement).value);
      expect([await value('#checks-nsim'), await value('#checks-seed'), await value('#checks-re'), await value('#checks-group')]).toEqual(['40', '9', 'conditional', 'herd']);

      // performance's checks, computed once the fit is back
      await page.waitForSelector('#checks-checks-table', { timeout: 60_000 });
      expect(await page.$$eval('#checks-checks-table tbody tr', (trs) => trs.map((r) => (r as HTMLElement).dataset.key))).toEqual(['overdispersion', 'singularity', 'convergence']);
      const od = gfit.checkOverdispersion();
      expect(Math.abs(Number(await page.$eval('#checks-checks-table tr[data-key="overdispersion"]', (r) => r.getAttribute('data-p'))) - od.p)).toBeLessThan(1e-6);
      const aic = Number(await page.$eval('#checks-performance-table tbody tr', (r) => r.getAttribute('data-perf-AIC')));
      expect(Math.abs(aic - perf.AIC) / perf.AIC).toBeLessThan(1e-8);
      expect(await page.$$eval('#checks-performance-table th', (t) => t.map((x) => x.textContent))).toEqual(['AIC', 'AICc', 'BIC', 'R2 (cond.)', 'R2 (marg.)', 'ICC', 'RMSE', 'Sigma', 'Log_loss']);
      const notes = await page.$$eval('#checks-notes li', (li) => li.map((x) => x.textContent ?? ''));
      expect(notes).toContain('Not enough model terms in the conditional part of the model to check for multicollinearity.');
      expect(notes.some((n) => n.startsWith('check_zeroinflation is not available for this fit: the model must be from a count family'))).toBe(true);
      expect(await page.$('#checks-collinearity-table')).toBeNull();
      // the simulations are not run by the link
      expect(await page.$('#checks-dharma-tests-table')).toBeNull();

      await page.click('#checks-run');
      await page.waitForSelector('#checks-dharma-tests-table', { timeout: 120_000 });
      const ps = (id: string) => page.$$eval(`${id} tbody tr`, (trs) => trs.map((r) => [(r as HTMLElement).dataset.key!, Number(r.getAttribute('data-p'))] as [string, number]));
      const tests = await ps('#checks-dharma-tests-table');
      expect(tests.map((t) => t[0])).toEqual(['uniformity', 'dispersion', 'outliers']);
      tests.forEach(([k, p], i) => expect(Math.abs(p - lib[i]!.pValue), `${k} p`).toBeLessThan(1e-12));
      const grouped = await ps('#checks-dharma-grouped-table');
      expect(grouped.map((t) => t[0])).toEqual(['uniformity', 'dispersion', 'outliers']);
      grouped.forEach(([k, p], i) => expect(Math.abs(p - glib[i]!.pValue), `per herd ${k} p`).toBeLessThan(1e-12));
      // the QQ plot's legend as DHARMa's, the residual plot, the note on qgam's lines
      const qq = await text(page, '#checks-qq');
      expect(qq).toContain(`KS test: p= ${pasteRounded(lib[0]!.pValue)}`);
      expect(qq).toContain(`Dispersion test: p= ${pasteRounded(lib[1]!.pValue)}`);
      expect(qq).toContain(`Outlier test: p= ${pasteRounded(lib[2]!.pValue)}`);
      expect(await page.$('#checks-resid svg')).not.toBeNull();
      expect(await text(page, '#checks-plot-note')).toMatch(/quantile regressions .* are not computed by the library/);
      expect(await text(page, '#checks-dharma-text')).toMatch(/^Object of Class DHARMa with simulated residuals based on 40 simulations/);
      await page.click('#export-dharma-residuals');
      const lines = (await download('cbpp_dharma_residuals.csv')).text.trim().split('\n');
      expect(lines[0]).toBe('row,observed,fitted_population,scaled_residual');
      expect(lines).toHaveLength(57);
      lines.slice(1).forEach((l, i) => expect(Number(l.split(',')[3]), `residual ${i + 1}`).toBe(d.scaledResiduals[i]));
      expect(await page.evaluate(() => location.search)).toContain('checks=1&cknsim=40&ckseed=9&ckgroup=herd');
      if (process.env.UPDATE_SCREENSHOTS) {
        const box = await page.$eval('#checks-card', (e) => { e.scrollIntoView(); const a = e.getBoundingClientRect(); return { x: a.x, y: a.y + window.scrollY, width: a.width, height: a.height }; });
        await page.screenshot({ path: join(ROOT, 'demo/screenshots/checks-desktop.png'), clip: box, captureBeyondViewport: true });
      }
    } finally {
      await page.close();
    }
  }, 600_000);
});
