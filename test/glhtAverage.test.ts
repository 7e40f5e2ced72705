/**
 * multcomp 1.4-22's mcp(..., interaction_average, covariate_average) against R (test/oracle/glht_average.R,
 * fixtures in test/fixtures/glht_average): per case K, its row names, type and multcomp's warnings exactly (K to
 * 1e-14: R's 1/3 and covariate means); for lmer (at lme4's tight optimum) and glmer (the exact Laplace optimum)
 * fits the estimates at 1e-6 relative, the covariance, SEs and statistics at test/glht.test.ts's 1e-6 (lmer) and
 * 5e-6 (glmer), the univariate p-values at that times (1 + t²); nlme's lme at R's β̂ and vcov (the fit's frame:
 * test/glhtFits.test.ts's first level) at 1e-10; single-step p-values within 4e-5 of references integrated to
 * 2e-6 (ours to abseps 1e-5); the univariate printout line for line but the Fit line. Cases: obk_long's
 * treatment × phase (3 × 3: the interaction's columns in both orders; two factors at once), anova_types's
 * B × x (a covariate: at x = 1 with multcomp's warnings, at x̄ with covariate_average), binomial_interaction's
 * glmer f × x1, the lme of obk_long. The refusals, where multcomp's K is no average.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';
import { readCsv } from '../src/io/csv.js';
import { lme } from '../src/nlme/lme.js';
import { lmer } from '../src/fit/lmer.js';
import type { LmeFit } from '../src/nlme/lmeFit.js';
import { type GlhtTestResult, glht, mcp } from '../src/inference/glht.js';
import { printGlhtSummary } from '../src/inference/glhtPrint.js';
import { ModelError, OptionError } from '../src/errors/errors.js';
import { type FixtureModel, fitFixtureModels } from './helpers/fixtureModels.js';
import { withoutFit } from './helpers/withoutFit.js';
import { close } from './helpers/closeR.js';

const dir = join(import.meta.dirname, 'fixtures');
interface Model extends FixtureModel { kind: 'lmer' | 'glmer' | 'lme'; fixed?: string; random?: string }
interface Case {
  name: string; model: string; mcp: Record<string, string>; interaction_average: boolean; covariate_average: boolean;
  K: number[][]; rownames: string[] | string; coefnames: string[]; type: string; warnings: string[] | string | null;
  beta: number[]; vcov: number[][];
  estimate: number[] | number; covariance: number[][] | number[]; se: number[] | number; statistic: number[] | number;
  tests: Record<'univariate' | 'single-step', { p: number[] | number; error: number }>;
  prints: { univariate: string[] };
}
const fx = JSON.parse(readFileSync(join(dir, 'glht_average', 'glht_average.json'), 'utf8')) as { models: Record<string, Model>; cases: Case[] };

let fits = new Map<string, LmmFit | GlmmFit | LmeFit>();
beforeAll(async () => {
  const lme4 = Object.fromEntries(Object.entries(fx.models).filter(([, m]) => m.kind !== 'lme'));
  fits = await fitFixtureModels(lme4, dir) as Map<string, LmmFit | GlmmFit | LmeFit>;
  for (const [name, m] of Object.entries(fx.models)) {
    if (m.kind !== 'lme') continue;
    const data = readCsv(readFileSync(join(dir, m.data)), { factors: [m.factors].flat() }).table;
    fits.set(name, await lme(m.fixed!, data, { random: m.random!, dataName: 'obk' }));
  }
}, 120_000);

/** jsonlite unboxes a one-element vector (a single comparison's estimate, row name, p-value) */
const arr = <T>(v: T | T[]): T[] => [v].flat() as T[];
const linfctOf = (c: Case) => mcp(c.mcp, { interactionAverage: c.interaction_average, covariateAverage: c.covariate_average });

describe('mcp(interaction_average, covariate_average) against multcomp', () => {
  for (const c of fx.cases) {
    it(c.name, () => {
      const fit = fits.get(c.model)!;
      const isLme = fx.models[c.model].kind === 'lme';
      // lme: at R's β̂ and vcov, the fit's own frame
      const g = isLme ? glht({ ...(fit as LmeFit).glhtModel(), beta: c.beta, vcov: c.vcov }, linfctOf(c)) : glht(fit as LmmFit, linfctOf(c));
      expect(g.coefNames).toEqual(c.coefnames);
      expect(g.rowNames).toEqual(arr(c.rownames));
      close(g.linfct.flat(), c.K.flat(), 1e-14, 1e-15, 'K');
      expect(g.type).toBe(c.type);
      expect(g.messages).toEqual([c.warnings ?? []].flat());
      const tol = isLme ? 1e-10 : 'family' in fit ? 5e-6 : 1e-6;
      close(g.estimate, arr(c.estimate), tol, 1e-9, 'estimate');
      close(g.covariance.flat(), (c.covariance.flat() as number[]), tol, tol * Math.max(...(c.covariance.flat() as number[]).map(Math.abs)), 'covariance');
      const u = g.summary({ test: 'univariate' }) as GlhtTestResult;
      close(u.se, arr(c.se), tol, 0, 'se');
      close(u.statistic, arr(c.statistic), tol, 1e-9, 'statistic');
      close(u.pValue, arr(c.tests.univariate.p), tol * (1 + Math.max(...u.statistic.map((t) => t * t))), 1e-12, 'univariate p');
      const s = g.summary({ test: 'single-step', abseps: 1e-5 }) as GlhtTestResult;
      close(s.pValue, arr(c.tests['single-step'].p), 0, 4e-5 + c.tests['single-step'].error, 'single-step p');
      expect(withoutFit(printGlhtSummary(g, u))).toEqual(withoutFit(c.prints.univariate));
    });
  }
});

describe('mcp averages: refusals where multcomp builds no average', () => {
  const at = () => readCsv(readFileSync(join(dir, 'data', 'anova_types.csv')), { factors: ['A', 'B', 'g'] }).table;
  it('an option that is not a boolean', () => {
    expect(() => mcp({ B: 'Tukey' }, { interactionAverage: 'yes' as never })).toThrow(OptionError);
    expect(() => mcp({ B: 'Tukey' }, { covariateAverage: 1 as never })).toThrow(/covariateAverage must be true or false/);
  });
  it('a three-way interaction, sum contrasts of the other factor, covariate_average alone with a factor interaction', async () => {
    const three = await lmer('y ~ A * B * h + (1 | g)', readCsv(readFileSync(join(dir, 'data', 'anova_types.csv')), { factors: ['A', 'B', 'g', 'h'] }).table);
    expect(() => glht(three, mcp({ B: 'Tukey' }, { interactionAverage: true }))).toThrow(/interaction 'A:B:h' of 3 variables/);
    const sum = await lmer('y ~ A * B + (1 | g)', at(), { contrasts: { A: 'contr.sum' } });
    expect(() => glht(sum, mcp({ B: 'Tukey' }, { interactionAverage: true }))).toThrow(/'A' is coded by contr.sum/);
    expect(() => glht(sum, mcp({ B: 'Tukey' }, { covariateAverage: true }))).toThrow(ModelError);
    const ab = await lmer('y ~ A * B + (1 | g)', at());
    expect(() => glht(ab, mcp({ B: 'Tukey' }, { covariateAverage: true }))).toThrow(/covariate_average without interaction_average/);
  });
  it("multcomp's covariate step: only the last interaction's covariate, by a search of the columns' names", async () => {
    // B:x then B:z: multcomp scales the columns named like z only, leaving B:x at x = 1
    const two = await lmer('y ~ B * x + B * z + (1 | g)', at());
    expect(() => glht(two, mcp({ B: 'Tukey' }, { interactionAverage: true, covariateAverage: true }))).toThrow(/only the last interaction's covariate at its mean.*'Bb2:x'/);
    // B:x without x's main effect: B coded by indicators in B:x (3 columns for B's 2)
    const noMain = await lmer('y ~ B + B:x + (1 | g)', at());
    expect(() => glht(noMain, mcp({ B: 'Tukey' }, { interactionAverage: true, covariateAverage: true }))).toThrow(/'B:x' has 3 columns in the fitted X, not 2/);
    // a model without an intercept
    const noint = await lmer('y ~ 0 + A + B * x + (1 | g)', at());
    expect(() => glht(noint, mcp({ B: 'Tukey' }, { interactionAverage: true, covariateAverage: true }))).toThrow(/without an intercept/);
  });
});
