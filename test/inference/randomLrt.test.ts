/**
 * Randomized comparison of the likelihood-ratio anova between nested lmer models (anova(fits),
 * src/inference/lrt.ts) with lme4's anova(m0, m1, …), on 40 seeded random sets of 2 or 3 nested
 * models (test/oracle/randomLrt.ts: random slope added, `||` vs correlated, fixed covariate and
 * factor terms added, crossed (1 | h) added, intercept-only up; half REML fits refitted by ML;
 * singular fits and boundary cases where the bigger model's ML deviance equals the smaller's).
 * lme4's reference: test/oracle/random_lrt.R (lme4 1.1-31), test/fixtures/random-lrt/lme4.json:
 * anova()'s table and, per model, the ML deviance of a tight nloptwrap fit; the best of lme4's two
 * ML deviances (default refit, tight) is the reference optimum.
 *
 * Comparisons and tolerances:
 *  - the models' order (by npar, stable) and npar, and each test's Df: exactly lme4's.
 *  - each model's ML deviance ≤ lme4's best + 1e-6.
 *  - χ² within 1e-5 of max(0, best deviance difference).
 *  - p-value: our pchisq tail at lme4's χ² is lme4's p to 1e-10 relative (1e-300 absolute); and our
 *    p is the tail at our χ² (df from the table).
 *  - AIC and BIC: our deviance + 2·npar and + log(n)·npar to 1e-9, and lme4's AIC/BIC minus lme4's
 *    deviance (its penalty) equal to ours to 1e-9.
 * Worst values (seed 20261205, 40 cases, 105 models, 65 tests, 6 of them on the boundary; 17 REML sets, 21 with a singular fit):
 * deviance − lme4's best 4.8e-9 (never more than that above; up to 283 below lme4's anova, below);
 * |χ² − exact| 4.8e-9; p-value 2.1e-13 relative; AIC/BIC exact to rounding.
 *
 * No bug of ours found. lme4's problems, not ours (evidence in random_lrt.R's reference columns):
 *  - with a year covariate (x = 2000…2022) in a random slope, lme4's default ML fits, and often
 *    its tight nloptwrap fits, stop far short: l017's y ~ x + (x | g) at 391.96 (default) and
 *    365.00 (tight) where the tight fit with x − 2000 (the same model) reaches 108.63, as ours;
 *    lme4's anova() then reports χ² = 0.999 where the exact χ² is 284.3 (l017[1]), 0.049 for 3.137
 *    (l032[2]), 0 for 0.157 (l005[1], a REML fit's ML refit). 12 of the 65 tests differ from
 *    lme4's printed χ² by more than 1e-4 (l005, l006, l015, l017, l031, l032, l037, l039), each
 *    because lme4's fit is above its own best (tight, x-shifted or probe) deviance.
 *  - l006, y ~ x + (x || g) (no shift applies to `||`): lme4's default, tight, bobyqa and
 *    Nelder-Mead fits stop at 2203.9646–2203.9652 (θ ≈ (0.483, 2e-5)); lme4's own deviance
 *    function at our θ (1.5e-7, 2.41e-4) is 2203.9023521695, ours 2203.902352169498 (the
 *    probe_deviance column).
 *
 *   npx vite-node test/oracle/exportRandomLrt.ts && Rscript test/oracle/random_lrt.R
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../../src/io/csv.js';
import { anova, lmer } from '../../src/index.js';
import { pchisqUpper } from '../../src/stats/distributions.js';
import { generateLrtCases } from '../oracle/randomLrt.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'random-lrt');
interface Lme4Case {
  name: string; formulas: string[]; reml: boolean; order: number[];
  npar: number[]; AIC: number[]; BIC: number[]; logLik: number[]; deviance: number[];
  Chisq: (number | null)[]; Df: (number | null)[]; p: (number | null)[];
  singular: boolean[]; tight_deviance: number[]; centred_deviance: (number | null)[]; probe_deviance: (number | null)[]; fit_messages: string[]; anova_messages: string[];
}
const index = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as {
  seed: number; count: number; cases: { name: string; chain: string; formulas: string[]; reml: boolean; data: string; nobs: number }[];
};
const lme4 = JSON.parse(readFileSync(join(dir, 'lme4.json'), 'utf8')) as { lme4: string; cases: Lme4Case[] };

const worst = { deviance: -Infinity, chisq: 0, p: 0 };
const lme4Off: string[] = [];
let boundary = 0;

describe('random nested lmer models: the fixtures', () => {
  it('are what the seeded generator makes (the data R fitted)', () => {
    const cases = generateLrtCases(index.seed, index.count);
    expect(cases.map(({ name, chain, formulas, reml, nobs }) => ({ name, chain, formulas, reml, data: `${name}.csv`, nobs }))).toEqual(index.cases);
    for (const c of cases) expect(readFileSync(join(dir, `${c.name}.csv`), 'utf8')).toBe(c.csv);
    expect(lme4.lme4).toBe('1.1.31');
    expect(lme4.cases.map((c) => [c.name, c.formulas, c.reml])).toEqual(index.cases.map((c) => [c.name, c.formulas, c.reml]));
  });
  it('cover REML and ML, singular fits and boundary tests (χ² = 0)', () => {
    expect(lme4.cases.filter((c) => c.reml).length).toBeGreaterThanOrEqual(15);
    expect(lme4.cases.filter((c) => !c.reml).length).toBeGreaterThanOrEqual(15);
    expect(lme4.cases.filter((c) => c.singular.some(Boolean)).length).toBeGreaterThanOrEqual(10);
    // boundary: the bigger model's best ML deviance is the smaller's (χ² = 0 up to 1e-6)
    const best = (c: Lme4Case) => c.deviance.map((d, k) => Math.min(d, c.tight_deviance[k], c.centred_deviance[k] ?? Infinity, c.probe_deviance[k] ?? Infinity));
    expect(lme4.cases.filter((c) => best(c).some((d, k) => k > 0 && best(c)[k - 1] - d < 1e-6)).length).toBeGreaterThanOrEqual(4);
  });
});

describe('random nested lmer models: anova against lme4', () => {
  it.each(lme4.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const table = readCsv(readFileSync(join(dir, `${c.name}.csv`), 'utf8')).table;
    const fits = [];
    for (const f of c.formulas) fits.push(await lmer(f, table, { REML: c.reml }));
    const names = c.formulas.map((_, k) => `m${k}`);
    const t = await anova(fits, names);
    expect(t.names).toEqual(c.order.map((k) => `m${k}`));
    expect(t.models.map((m) => m.npar)).toEqual(c.npar);
    expect(t.messages.some((m) => m.includes('refitting model(s) with ML'))).toBe(c.reml);
    const best = c.deviance.map((d, k) => Math.min(d, c.tight_deviance[k], c.centred_deviance[k] ?? Infinity, c.probe_deviance[k] ?? Infinity));
    const n = fits[0].nobs;
    t.models.forEach((m, k) => {
      expect(m.deviance - best[k]).toBeLessThanOrEqual(1e-6);
      worst.deviance = Math.max(worst.deviance, m.deviance - best[k]);
      expect(Math.abs(m.aic - (m.deviance + 2 * m.npar))).toBeLessThan(1e-9);
      expect(Math.abs(m.bic - (m.deviance + Math.log(n) * m.npar))).toBeLessThan(1e-9);
      expect(Math.abs((m.aic - m.deviance) - (c.AIC[k] - c.deviance[k]))).toBeLessThan(1e-9);
      expect(Math.abs((m.bic - m.deviance) - (c.BIC[k] - c.deviance[k]))).toBeLessThan(1e-9);
      expect(Math.abs(m.loglik + m.deviance / 2)).toBeLessThan(1e-9);
    });
    t.tests.forEach((x, k) => {
      if (k === 0) { expect(x).toBeNull(); expect(c.Df[0]).toBeNull(); return; }
      expect(x!.df).toBe(c.Df[k]);
      const exact = Math.max(0, best[k - 1] - best[k]);
      worst.chisq = Math.max(worst.chisq, Math.abs(x!.chisq - exact));
      if (exact < 1e-6) boundary++;
      if (Math.abs(c.Chisq[k]! - x!.chisq) > 1e-4) lme4Off.push(`${c.name}[${k}] lme4 ${c.Chisq[k]} ours ${x!.chisq}`);
      expect(Math.abs(x!.chisq - exact)).toBeLessThan(1e-5);
      expect(x!.p).toBe(pchisqUpper(x!.chisq, x!.df));
      const ours = pchisqUpper(c.Chisq[k]!, c.Df[k]!);
      const rel = Math.abs(ours - c.p[k]!) / Math.max(c.p[k]!, 1e-300);
      worst.p = Math.max(worst.p, rel);
      expect(rel).toBeLessThan(1e-10);
    });
  }, 30_000);
  it('worst values', () => { console.log('worst', worst, 'boundary tests', boundary, 'lme4 χ² off', lme4Off); });
});
