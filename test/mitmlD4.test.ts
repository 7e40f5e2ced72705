/**
 * mitml 0.4-4's testModels with method D4 (the models fitted to the imputations stacked, each grouping
 * factor's levels made distinct per imputation) and its ariv options, through our fits of the 5
 * imputations of test/fixtures/mitml/imputed_long.csv, against test/oracle/mitml_d4.R (lme4 1.1-31 by
 * bobyqa to rhoend 1e-10; glmer to 1e-9 with tolPwrss 1e-13): the stacked fits' log-likelihoods to
 * 1e-9 relative, the tests to 1e-6 relative (their F and r are differences of log-likelihoods of
 * order 10³ that differ by 10¹: 1e-9 in ℓ is ~1e-7 in F), mitml's printout line for line.
 * ariv = 'positive' changes nothing where r > 0 (every R case here), so its truncation is checked on
 * the pure functions with log-likelihoods that make r negative.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ImputedFits, glmerImputed, printTestModels, splitImputations, stackImputations } from '../src/fit/imputed.js';
import { lmer } from '../src/fit/lmer.js';
import { checkMiAriv, miD3, miD4 } from '../src/inference/miTests.js';
import { pchisqUpper } from '../src/stats/distributions.js';
import { capture } from './helpers/cliEngines.js';
import { runPool } from '../src/cli/poolCommand.js';
import { GLMER, GLMER0, LMER, LMER0, MITML_DIR, TIGHT, afterCall, checkTest, close, fitLmerSets, mitmlTable } from './helpers/mitmlCase.js';

const ref = JSON.parse(readFileSync(new URL('d4.json', MITML_DIR), 'utf8'));
const table = mitmlTable();

describe('the imputations stacked (mitml\'s .updateStackedLL)', () => {
  it('relabels the grouping variable per imputation; the stacked ML fit is the sum of the 5 data sets\' at common parameters', async () => {
    const sets = splitImputations(table);
    const s = stackImputations(sets, ['ID']);
    expect(s.numRows).toBe(5 * 750);
    expect(String(s.getChild('ID')!.get(0))).toBe(`imp1_${String(sets[0].getChild('ID')!.get(0))}`);
    expect(String(s.getChild('ID')!.get(750))).toBe(`imp2_${String(sets[1].getChild('ID')!.get(0))}`);
    expect(s.getChild('ReadDis')!.get(750 * 3 + 7)).toBe(sets[3].getChild('ReadDis')!.get(7));
    const fit = await lmer(LMER, s, { REML: false, ...TIGHT });
    // 250 schools: 50 per imputation
    expect(fit.model.frame.reTerms[0].levels.length).toBe(250);
    close(fit.logLik / 5, ref.lmer.stacked, 1e-9, 0, 'stacked logLik / m');
    expect(() => stackImputations(sets, ['school'])).toThrow(/grouping variable "school" is not a column/);
  }, 120_000);
});

describe('testModels D4 and ariv (lmer, a random slope)', () => {
  const R = ref.lmer;
  let fits: ImputedFits, fits0: ImputedFits, ml: ImputedFits, ml0: ImputedFits;
  beforeAll(async () => {
    ({ fits, fits0, ml, ml0 } = await fitLmerSets(table));
  }, 180_000);

  it('D4 on ML fits, with ariv default, positive and robust', async () => {
    ml.fits.forEach((f, l) => close(f.logLik, R.logLik[l], 1e-9, 0, `logLik ${l + 1}`));
    for (const [key, ariv] of [['D4', 'default'], ['D4positive', 'positive'], ['D4robust', 'robust']] as const) {
      const t = await ml.testModels(ml0, { method: 'D4', ariv });
      checkTest(t, R[key].test, key);
      expect(t.use).toBe('likelihood');
      expect(printTestModels(t)).toBe(afterCall(R[key].print));
    }
  }, 120_000);
  it('D4 on REML fits refits them by ML (mitml\'s refit), and says so', async () => {
    const t = await fits.testModels(fits0, { method: 'D4' });
    expect(t.reml).toBe(true);
    expect(t.refit).toBe(true);
    checkTest(t, R.D4reml.test, 'D4 REML');
    expect(printTestModels(t)).toBe(afterCall(R.D4reml.print));
  }, 120_000);
  it('ariv positive with D2 (Wald and likelihood) and D3', async () => {
    checkTest(await fits.testModels(fits0, { method: 'D2', ariv: 'positive' }), R.D2waldPositive.test, 'D2 wald');
    checkTest(await ml.testModels(ml0, { method: 'D2', use: 'likelihood', ariv: 'positive' }), R.D2positive.test, 'D2 likelihood');
    checkTest(await ml.testModels(ml0, { method: 'D3', ariv: 'positive' }), R.D3positive.test, 'D3');
  }, 120_000);
  it('refuses ariv where mitml ignores it, and an unknown one', async () => {
    await expect(ml.testModels(ml0, { method: 'D1', ariv: 'positive' })).rejects.toThrow(/positive' is not available with method D1/);
    await expect(ml.testModels(ml0, { method: 'D3', ariv: 'robust' })).rejects.toThrow(/robust' is D4's option only, not D3's/);
    expect(() => checkMiAriv('negative', 'D4')).toThrow(/ariv must be 'default', 'positive' or 'robust', not "negative"|not negative/);
    await expect(ml.testModels(ml0, { method: 'D4', use: 'likelihood' })).rejects.toThrow(/use = 'likelihood' is D2's option/);
  });
});

describe('testModels D4 (glmer, binomial)', () => {
  it('fits the stack by glmer (Laplace) and tests as mitml does, default and robust', async () => {
    const opts = { family: 'binomial' as const, optimizer: { rhoend: 1e-9 } };
    const fits = await glmerImputed(GLMER, table, opts);
    const fits0 = await glmerImputed(GLMER0, table, opts);
    for (const [key, ariv] of [['D4', 'default'], ['D4robust', 'robust']] as const) {
      const t = await fits.testModels(fits0, { method: 'D4', ariv });
      expect(t.reml).toBe(false);
      checkTest(t, ref.glmer[key].test, `glmer ${key}`);
      expect(printTestModels(t)).toBe(afterCall(ref.glmer[key].print));
    }
  }, 240_000);
});

describe('the pure D3 and D4 with r < 0 (ariv = "positive" truncates it)', () => {
  // log-likelihoods whose per-imputation ratios are smaller than the pooled (stacked) one: d̄ < d̂
  const ll = [-100, -101, -99], ll0 = [-101, -102, -100];
  it('D4: r < 0 as derived; 0 with positive, then ν = ∞ and P = P(χ²ₖ > k F)', () => {
    const d = miD4(ll, ll0, -100, -101.5, 1, 4);
    // d̄ = 2, d̂ = 3, r = (m + 1)/(k(m − 1)) (d̄ − d̂) = 4/2 · (−1) = −2, F = d̂/(k(1 + r)) = −3
    expect(d.riv).toBeCloseTo(-2, 14);
    expect(d.F).toBeCloseTo(-3, 14);
    const p = miD4(ll, ll0, -100, -101.5, 1, 4, 'positive');
    expect(p.riv).toBe(0);
    expect(p.F).toBeCloseTo(3, 14);
    expect(p.df2).toBe(Infinity);
    expect(p.p).toBeCloseTo(pchisqUpper(3, 1), 15);
    // robust: r = (m + 1)/(h(m − 1)) (2 mean ℓ − 2ℓ̂) = 4/8 · (−200 + 200) = 0 here
    const rb = miD4(ll, ll0, -100, -101.5, 1, 4, 'robust');
    expect(rb.riv).toBe(0);
    expect(rb.df2).toBe(Infinity);
  });
  it('D3: r < 0 as derived; 0 with positive', () => {
    const d = miD3(ll, ll0, [-100, -101, -99], [-101.5, -102.5, -100.5], 1);
    expect(d.riv).toBeCloseTo(-2, 14);
    const p = miD3(ll, ll0, [-100, -101, -99], [-101.5, -102.5, -100.5], 1, 'positive');
    expect(p.riv).toBe(0);
    expect(p.F).toBeCloseTo(3, 14);
  });
});

describe('mixedgpu pool --method D4 --ariv', () => {
  const file = new URL('imputed_long.csv', MITML_DIR).pathname;
  it("prints mitml's D4 (robust) table; refuses --ariv without --null and a bad value", async () => {
    const t = await capture((io) => runPool({ file, formula: LMER, null: LMER0, method: 'D4', ariv: 'robust', ml: true, quiet: true }, io));
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout.endsWith(afterCall(ref.lmer.D4robust.print))).toBe(true);
    const a = await capture((io) => runPool({ file, formula: LMER, ariv: 'robust', quiet: true }, io));
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/--ariv chooses the estimate of r of the test of --null/);
    const b = await capture((io) => runPool({ file, formula: LMER, null: LMER0, ariv: 'big', quiet: true }, io));
    expect(b.stderr).toMatch(/--ariv must be default, positive or robust, got 'big'/);
    const c = await capture((io) => runPool({ file, formula: LMER, constraints: 'SES', method: 'D4', quiet: true }, io));
    expect(c.stderr).toMatch(/--constraints is tested by D1 or D2/);
  }, 180_000);
});
