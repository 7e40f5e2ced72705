/**
 * performance 0.10.2's check_overdispersion and check_zeroinflation on zero-inflated and hurdle fits,
 * and glmmTMB 1.1.5's Pearson residuals (src/zeroinfl/pearson.ts), against
 * test/oracle/zeroinfl_performance.R → test/fixtures/zeroinfl/performance.json (salamanders: ZIP, ZINB,
 * hurdle NB2, hurdle Poisson, and NB2 without a zero model), at glmmTMB's parameters (our fit built
 * there: test/helpers/zeroinflAt.ts). Tolerances: Pearson residuals 1e-8 × max(1, |r|); χ², ratio and p-value
 * 1e-8 relative; rdf, the zero counts, the prints and the verdicts exact. model_performance is refused
 * (its R² and ICC for zero-inflated glmmTMB fits are not implemented).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { ModelError, OptionError } from '../src/errors/errors.js';
import { printOverdispersion } from '../src/checks/overdispersion.js';
import { printZeroInflation } from '../src/checks/zeroInflation.js';
import { zeroInflatedAt } from './helpers/zeroinflAt.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const salamanders = readCsv(readFileSync(join(fixtures, 'data', 'salamanders.csv'), 'utf8')).table;
const R = JSON.parse(readFileSync(join(fixtures, 'zeroinfl', 'performance.json'), 'utf8'));
const CASES = ['zip_mined', 'zinb_mined', 'hurdle_nb_mined', 'hurdle_pois_cover', 'nb_nozi'];
const relClose = (a: number, b: number, tol: number) => {
  if (!(Math.abs(a - b) <= tol * Math.abs(b))) throw new Error(`${a} vs R's ${b} (relative tolerance ${tol})`);
};

describe.each(CASES)('performance 0.10.2 on glmmTMB 1.1.5: %s', (name) => {
  const ref = R[name];
  const fit = zeroInflatedAt(salamanders, ref);
  it('glmmTMB\'s Pearson residuals', () => {
    const r = fit.residuals('pearson');
    expect(r.length).toBe(ref.pearson.length);
    ref.pearson.forEach((v: number, i: number) => {
      if (!(Math.abs(r[i] - v) <= 1e-8 * Math.max(1, Math.abs(v)))) throw new Error(`row ${i + 1}: ${r[i]} vs glmmTMB's ${v}`);
    });
  });
  it('check_overdispersion', () => {
    const o = fit.checkOverdispersion();
    const od = ref.overdispersion;
    expect(o.rdf).toBe(od.rdf);
    expect(fit.dfResid).toBe(ref.df_residual);
    relClose(o.chisq, od.chisq, 1e-8);
    relClose(o.ratio, od.ratio, 1e-8);
    relClose(o.p, od.p, 1e-8);
    expect(printOverdispersion(o)).toEqual(od.print);
    expect(o.message).toBe(od.message);
  });
  it('check_zeroinflation', () => {
    const z = fit.checkZeroinflation()!;
    const zi = ref.zeroinflation;
    expect(z.predictedZeros).toBe(zi.predicted);
    expect(z.observedZeros).toBe(zi.observed);
    relClose(z.ratio, zi.ratio, 1e-12);
    expect(printZeroInflation(z)).toEqual(zi.print);
    expect([zi.message].flat().join(' ').replace(/\s+/g, ' ')).toBe(z.message);
    expect(fit.model.nb).toBe(ref.is_negbin);
  });
});

describe('checks of zero-inflated fits: what is refused', () => {
  const fit = zeroInflatedAt(salamanders, R.zip_mined);
  it('model_performance (test/tmbR2.test.ts against performance) names a bad estimator; bad options name themselves', async () => {
    await expect(fit.modelPerformance({ estimator: 'OLS' as never })).rejects.toThrow(OptionError);
    expect((await fit.modelPerformance()).AIC).toBeCloseTo(fit.AIC, 10);
    expect(() => fit.checkZeroinflation({ tolerance: -1 })).toThrow(OptionError);
    expect(() => fit.checkZeroinflation({ tol: 0.1 } as never)).toThrow(/tol/);
    expect(() => fit.residuals('deviance' as never)).toThrow(/deviance/);
  });
});
