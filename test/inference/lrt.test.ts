/** Likelihood-ratio anova between nested lmer and glmer models against lme4's anova(). */
import { describe, expect, it } from 'vitest';
import { lmer } from '../../src/fit/lmer.js';
import { glmer } from '../../src/fit/glmer.js';
import { likelihoodRatioTable, type LrtModel } from '../../src/inference/lrt.js';
import { loadDataFile, loadInference } from '../helpers/inference.js';

interface LrtCase {
  data: string; factors: string[]; family: string; formulas: string[];
  models: { formula: string; npar: number; aic: number; bic: number; loglik: number; deviance: number }[];
  tests: ({ chisq: number; df: number; p: number } | null)[];
}

async function fitted(c: LrtCase, formula: string): Promise<LrtModel> {
  const data = loadDataFile(c.data);
  const fit = c.family === 'gaussian'
    ? await lmer(formula, data, { REML: false, factors: c.factors })
    : await glmer(formula, data, { family: c.family as 'binomial', factors: c.factors });
  return {
    formula, npar: fit.df, loglik: fit.logLik, nobs: fit.nobs, rows: fit.model.frame.rows, nInput: fit.model.frame.nInput,
    fixed: fit.model.frame.xnames, random: fit.model.frame.reTerms.flatMap((t) => t.cnames.map((cn) => `${cn}|${t.group}`)), family: c.family,
  };
}

describe('likelihood-ratio anova', () => {
  for (const name of ['lrt_sleepstudy', 'lrt_design', 'lrt_cbpp']) {
    it(name, async () => {
      const c = loadInference<LrtCase>(name);
      const table = likelihoodRatioTable(await Promise.all(c.formulas.map((f) => fitted(c, f))));
      expect(table.models.map((m) => m.formula)).toEqual(c.models.map((m) => m.formula));
      table.models.forEach((m, k) => {
        expect(m.npar).toBe(c.models[k].npar);
        expect(Math.abs(m.loglik - c.models[k].loglik)).toBeLessThan(1e-5);
        expect(Math.abs(m.aic - c.models[k].aic)).toBeLessThan(1e-5);
        expect(Math.abs(m.bic - c.models[k].bic)).toBeLessThan(1e-5);
      });
      table.tests.forEach((t, k) => {
        const w = c.tests[k];
        if (w === null) { expect(t).toBeNull(); return; }
        expect(Math.abs(t!.chisq - w.chisq)).toBeLessThan(1e-5);
        expect(t!.df).toBe(w.df);
        expect(Math.abs(t!.p! - w.p) / w.p).toBeLessThan(1e-3);
      });
      expect(table.warnings).toEqual([]);
    }, 60_000);
  }

  it('refuses models fitted to different rows and warns about non-nested models', async () => {
    const c = loadInference<LrtCase>('lrt_sleepstudy');
    const a = await fitted(c, 'Reaction ~ Days + (1 | Subject)');
    const b = await fitted(c, 'Reaction ~ 1 + (Days | Subject)');
    expect(likelihoodRatioTable([a, b]).warnings[0]).toMatch(/do not look nested/);
    expect(() => likelihoodRatioTable([a, { ...b, nobs: 170 }])).toThrow(/not all fitted to the same size of dataset/);
    expect(() => likelihoodRatioTable([a, { ...b, rows: Int32Array.from({ length: 180 }, (_, i) => i), nInput: 181 }])).toThrow(/different rows/);
  }, 60_000);
});
