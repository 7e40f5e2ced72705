/**
 * multcomp 1.4-22's glht() against R (test/oracle/glht.R, fixtures in test/fixtures/glht): per case the
 * hypotheses' K, row names, rhs, alternative and contrast type exactly; the estimates, their covariance,
 * the statistics and every deterministic test (univariate, p.adjust's eight methods, Shaffer, the Chisq and F
 * global tests) and the univariate intervals at 1e-6 relative (lmer at lme4's tight optimum; glmer at the exact
 * Laplace optimum, 5e-6: R's Var(β̂) from lme4's finite-difference Hessian); the integrated ones (single-step, free, Westfall p-values; the adjusted quantile)
 * within 4e-5 of references integrated to 2e-6 (the t case's to 1e-5; ours run to abseps 1e-5: three standard
 * errors), the adjusted quantile within 2e-4; the
 * printouts of the deterministic tests line for line but the Fit block, which is compared on its own (R's call
 * has the oracle's control argument). Cases: Oats's Variety by mcp's ten contrast types and by hypotheses on its levels; sum contrasts;
 * a model without an intercept; hypotheses on the coefficients (two-sided, <=, >=) and a matrix with rhs;
 * a t with df 20; cbpp's binomial glmer (Tukey; Dunnett one-sided); a factor in an interaction (multcomp's
 * warning) and two factors at once. The refusals.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';
import { fitFixtureModels } from './helpers/fixtureModels.js';
import { type GlhtGlobalResult, type GlhtOptions, type GlhtTest, type GlhtTestResult, type Linfct, glht, mcp } from '../src/inference/glht.js';
import { contrMat } from '../src/inference/contrMat.js';
import { symbolicHypotheses, deparseNumber } from '../src/inference/glhtLinfct.js';
import { printGlht, printGlhtConfint, printGlhtSummary } from '../src/inference/glhtPrint.js';
import { withoutFit } from './helpers/withoutFit.js';
import { close } from './helpers/closeR.js';
import { readCsv } from '../src/io/csv.js';
import { glmer, lmer } from '../src/index.js';
import type { Contrasts } from '../src/frame/contrasts.js';

const dir = join(import.meta.dirname, 'fixtures');
interface Case {
  name: string; model: string; linfct: unknown; options: Record<string, unknown> | unknown[]; level: number;
  K: number[][]; rownames: string[]; coefnames: string[]; rhs: number[]; alternative: string; type: string | null; df: number;
  estimate: number[]; covariance: number[][]; se: number[]; statistic: number[];
  tests: Record<string, { p: number[]; error: number }>;
  global: Record<'Chisq' | 'F', { statistic: number; df: number[]; p: number }>;
  confint: { adjusted?: { quantile: number; lower: number[]; upper: number[] }; univariate: { quantile: number; lower: number[]; upper: number[] } };
  print_glht: string[]; prints: Record<string, string[]>; warnings: string[] | null;
}
const fx = JSON.parse(readFileSync(join(dir, 'glht', 'glht.json'), 'utf8')) as { models: Record<string, never>; cases: Case[] };

let fits = new Map<string, LmmFit | GlmmFit>();
beforeAll(async () => {
  fits = await fitFixtureModels(fx.models, dir);
}, 120_000);

function linfctOf(c: Case): Linfct {
  const l = c.linfct as { mcp?: Record<string, string | string[] | number[][]>; K?: number[][] } | string | string[];
  if (typeof l === 'string' || Array.isArray(l)) return l;
  if (l.mcp) return mcp(l.mcp);
  return { K: l.K! };
}
const optionsOf = (c: Case): GlhtOptions => (Array.isArray(c.options) ? {} : (c.options as GlhtOptions));



const DETERMINISTIC = ['univariate', 'holm', 'hochberg', 'hommel', 'bonferroni', 'BH', 'BY', 'fdr', 'none', 'Shaffer'];

describe('glht: the hypotheses and their tests against multcomp', () => {
  for (const c of fx.cases) {
    it(c.name, () => {
      const fit = fits.get(c.model)!;
      const g = glht(fit, linfctOf(c), optionsOf(c));
      // Var(β̂): lmer's closed form to 1e-6; a glmer's from the Hessian of the deviance, lme4's by finite
      // differences (exact_laplace.R's deriv12), ours analytic, which agree to a few 1e-6 (as test/parameters.test.ts)
      const tol = 'family' in fit ? 5e-6 : 1e-6;
      expect(g.coefNames).toEqual(c.coefnames);
      expect(g.rowNames).toEqual(c.rownames);
      close(g.linfct.flat(), c.K.flat(), 1e-14, 1e-15);
      close(g.rhs, c.rhs, 0);
      expect(g.alternative).toBe(c.alternative);
      expect(g.type).toBe(c.type);
      expect(g.df).toBe(c.df);
      expect(g.messages).toEqual([c.warnings ?? []].flat());
      close(g.estimate, c.estimate, 1e-6, 1e-9);
      // (each element to tol relative, or tol of the largest: off-diagonal elements near 0 cancel)
      close(g.covariance.flat(), c.covariance.flat(), tol, tol * Math.max(...c.covariance.flat().map(Math.abs)));
      for (const [test, ref] of Object.entries(c.tests)) {
        const r = g.summary({ test: test as GlhtTest, abseps: 1e-5 }) as GlhtTestResult;
        close(r.se, c.se, tol);
        close(r.statistic, c.statistic, tol, 1e-9);
        // (a tail probability's relative error is about t² times its statistic's: d log p / dt ≈ −t)
        const pTol = tol * (1 + Math.max(...r.statistic.map((t) => t * t)));
        if (DETERMINISTIC.includes(test)) close(r.pValue, ref.p, pTol, 1e-12);
        else close(r.pValue, ref.p, 0, 4e-5 + ref.error);
        const printed = c.prints[test];
        if (printed) expect(withoutFit(printGlhtSummary(g, r)), test).toEqual(withoutFit(printed));
      }
      for (const t of ['Chisq', 'F'] as const) {
        const r = g.summary({ test: t }) as GlhtGlobalResult;
        close([r.statistic], [c.global[t].statistic], tol);
        expect(r.df).toEqual([c.global[t].df].flat());
        // (χ²'s tail: d log p / dx ≈ −½, so p's relative error is about x/2 times x's; F's as q·F)
        close([r.pValue], [c.global[t].p], tol * (1 + r.statistic * r.df[0]), 1e-12);
        expect(printGlhtSummary(g, r), t).toEqual(c.prints[t]);
      }
      const u = g.confint({ level: c.level, calpha: 'univariate' });
      close([u.quantile], [c.confint.univariate.quantile], 1e-12);
      close(u.lower, c.confint.univariate.lower, tol, 1e-9);
      close(u.upper, c.confint.univariate.upper, tol, 1e-9);
      expect(withoutFit(printGlhtConfint(g, u))).toEqual(withoutFit(c.prints.confint_univariate));
      // (the t case's adjusted quantile has no reference: test/oracle/glht.R)
      if (c.confint.adjusted) {
        const a = g.confint({ level: c.level, abseps: 1e-5 });
        close([a.quantile], [c.confint.adjusted.quantile], 0, 2e-4);
        close(a.lower, c.confint.adjusted.lower, 0, 2e-4 * Math.max(...a.estimate.map((_, i) => Math.sqrt(g.covariance[i][i]))));
      } else expect(c.name).toBe('oats_tukey_df');
      expect(printGlht(g)).toEqual(c.print_glht);
    });
  }
});

describe('glht: parts', () => {
  it("contrMat's types as multcomp's (unequal group sizes)", () => {
    const n = [3, 5, 2, 4];
    const names = ['a', 'b', 'c', 'd'];
    expect(contrMat(n, names, 'Tukey').names).toEqual(['b - a', 'c - a', 'd - a', 'c - b', 'd - b', 'd - c']);
    expect(contrMat(n, names, 'Dunnett', 2).K[0]).toEqual([1, -1, 0, 0]);
    // R: contrMat(c(a=3,b=5,c=2,d=4), "Williams")[1, ] = c(-1, 0, 0, 1); [2, ] = c(-1, 0, 2/6, 4/6)
    const w = contrMat(n, names, 'Williams').K;
    expect(w[0]).toEqual([-1, 0, 0, 1]);
    close(w[1], [-1, 0, 2 / 6, 4 / 6], 1e-15);
    close(contrMat(n, names, 'GrandMean').K[0], [1 - 3 / 14, -5 / 14, -2 / 14, -4 / 14], 1e-15);
  });

  it('symbolic hypotheses: coefficients, row names as R deparses them, errors', () => {
    const v = ['(Intercept)', 'x', 'fb', 'x:fb'];
    const h = symbolicHypotheses(['2*x - fb/4 <= 1', 'Intercept + x:fb <= -2'], v);
    expect(h.K).toEqual([[0, 2, -0.25, 0], [1, 0, 0, 1]]);
    expect(h.rowNames).toEqual(['2 * x - fb/4', 'Intercept + x:fb']);
    expect(h.rhs).toEqual([1, -2]);
    expect(h.alternative).toBe('greater');
    expect(() => symbolicHypotheses(['x - 1 = 0'], v)).toThrow(/a constant and an effect/);
    expect(() => symbolicHypotheses(['x + x = 0'], v)).toThrow(/'x' occurs more than once/);
    expect(() => symbolicHypotheses(['x * fb = 0'], v)).toThrow(/multiplies two effects/);
    expect(() => symbolicHypotheses(['z = 0'], v)).toThrow(/'z' is not one of the coefficients/);
    expect(() => symbolicHypotheses(['x = 0', 'fb <= 0'], v)).toThrow(/mix alternatives/);
    expect(() => symbolicHypotheses(['x < 0'], v)).toThrow(/comparisons ==, =, <=, >=/);
    expect([1e5, 100000.5, 0.5, 2, -3, 1e-3, 1234567].map(deparseNumber)).toEqual(['1e+05', '100000.5', '0.5', '2', '-3', '0.001', '1234567']);
    // R 4.2.2: deparse(1e-300), deparse(2.5e-7), deparse(442641386327248.5) (an exact tie at the 16th digit: to even)
    expect([1e-300, 2.5e-7, 442641386327248.5].map(deparseNumber)).toEqual(['1e-300', '2.5e-07', '442641386327248']);
  });

  it('refusals name the problem', () => {
    const oats = fits.get('oats')!;
    expect(() => glht(oats, mcp({ Nope: 'Tukey' }))).toThrow(/'Nope' was given in mcp\(\) but is not in the model/);
    expect(() => glht(oats, mcp({ nitro: 'Tukey' }))).toThrow(/'nitro' is not contained as a factor/);
    expect(() => glht(oats, mcp({ Variety: 'Tukeyish' }))).toThrow(/not one of multcomp's contrast types/);
    expect(() => glht(oats, { K: [[1, 2]] })).toThrow(/each row of K must hold 4 numbers/);
    expect(() => glht(oats, ['nitro = 0'], { rhs: 1 })).toThrow(/rhs/);
    expect(() => glht(oats, mcp({ Variety: 'Tukey' }), { df: -1 })).toThrow(/df must be a number ≥ 0/);
    expect(() => glht(oats, mcp({ Variety: 'Tukey' })).summary({ test: 'maxT' as never })).toThrow(/test must be one of/);
    expect(() => glht(oats, mcp({ Variety: 'Tukey' })).confint({ level: 95 })).toThrow(/level must be between 0 and 1/);
    expect(() => glht(oats, 42 as never)).toThrow(/linfct must be/);
  });
});

describe("the printout's Fit block: the fit's call as R prints it", () => {
  it("lmer and glmer (contrasts, family) with the data's name, broken as R's deparse (R's ', control = tight' left out)", async () => {
    for (const [name, m] of Object.entries(fx.models) as [string, { formula: string; data: string; factors: string[]; family?: string; contrasts?: Contrasts }][]) {
      const c = fx.cases.find((x) => x.model === name && Object.values(x.prints).some((p) => p.some((l) => l.startsWith('Fit: '))))!;
      const printed = Object.values(c.prints).find((p) => p.some((l) => l.startsWith('Fit: ')))!;
      const at = printed.findIndex((l) => l.startsWith('Fit: '));
      const block = printed.slice(at, printed.indexOf('', at));
      const dataName = /data = (\w+)/.exec(block.join(''))![1];
      const data = readCsv(readFileSync(join(dir, m.data))).table;
      const fit = m.family
        ? await glmer(m.formula, data, { family: 'binomial', factors: m.factors, dataName })
        : await lmer(m.formula, data, { factors: m.factors, dataName, ...(m.contrasts ? { contrasts: m.contrasts } : {}) });
      const s = printGlhtSummary(glht(fit, linfctOf(c), optionsOf(c)), glht(fit, linfctOf(c), optionsOf(c)).summary({ test: 'univariate' }) as GlhtTestResult);
      const ours = s.slice(s.findIndex((l) => l.startsWith('Fit: ')));
      expect(ours.slice(0, ours.indexOf('')), name).toEqual(block.map((l) => l.replace(/, control = g?tight/, '')));
    }
  }, 60_000);
});
