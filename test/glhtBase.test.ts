/**
 * multcomp 1.4-22's glht() with a matrix over a factor's levels that carries row names (R's
 * mcp(f = contrMat(table(f), "Dunnett", base = b)): Dunnett's comparisons against another base level, as the
 * browser app's Multiple comparisons card asks for them), against R (test/oracle/glhtBase.R, fixtures in
 * test/fixtures/glht/glht_base.json): our contrMat's rows and names equal R's; glht keeps the row names and
 * calls the type "User-defined" as multcomp does; K exactly; the estimates, SEs and statistics, the holm and
 * univariate p-values and the univariate intervals at test/glht.test.ts's tolerances (1e-6 relative for
 * lmer at lme4's tight optimum, 5e-6 for glmer: R's Var(β̂) from lme4's finite-difference Hessian); the holm
 * printout line for line but the Fit line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';
import { fitFixtureModels } from './helpers/fixtureModels.js';
import { type GlhtTestResult, glht, mcp } from '../src/inference/glht.js';
import { contrMat } from '../src/inference/contrMat.js';
import { printGlhtSummary } from '../src/inference/glhtPrint.js';
import { withoutFit } from './helpers/withoutFit.js';
import { close } from './helpers/closeR.js';

const dir = join(import.meta.dirname, 'fixtures');
interface Case {
  name: string; model: string; factor: string; base: number; alternative: 'two.sided' | 'less' | 'greater';
  levelK: number[][]; levelRownames: string[]; K: number[][]; rownames: string[]; type: string;
  estimate: number[]; se: number[]; statistic: number[]; p_univariate: number[]; p_holm: number[];
  ci_univariate: { quantile: number; lower: (number | string)[]; upper: (number | string)[] }; print_holm: string[];
}
const fx = JSON.parse(readFileSync(join(dir, 'glht', 'glht_base.json'), 'utf8')) as { cases: Case[] };
const models = JSON.parse(readFileSync(join(dir, 'glht', 'glht.json'), 'utf8')).models as Record<string, never>;


let fits = new Map<string, LmmFit | GlmmFit>();
beforeAll(async () => {
  fits = await fitFixtureModels({ oats: models.oats, cbpp: models.cbpp }, dir);
}, 120_000);

describe("glht: a matrix over a factor's levels with row names (Dunnett against another base)", () => {
  for (const c of fx.cases) {
    it(c.name, () => {
      const fit = fits.get(c.model)!;
      const col = fit.model.frame.columns.get(c.factor)!;
      if (col.kind !== 'factor') throw new Error('not a factor');
      const n = col.levels.map(() => 0);
      for (const code of col.codes) if (code >= 0) n[code]++;
      const cm = contrMat(n, col.levels, 'Dunnett', c.base);
      expect(cm.names).toEqual(c.levelRownames);
      expect(cm.K).toEqual(c.levelK);
      const g = glht(fit, mcp({ [c.factor]: { K: cm.K, rowNames: cm.names } }), { alternative: c.alternative });
      const tol = 'family' in fit ? 5e-6 : 1e-6;
      expect(g.rowNames).toEqual(c.rownames);
      expect(g.type).toBe(c.type);
      expect(g.linfct).toEqual(c.K);
      close(g.estimate, c.estimate, 1e-6, 1e-9);
      const u = g.summary({ test: 'univariate' }) as GlhtTestResult;
      close(u.se, c.se, tol);
      close(u.statistic, c.statistic, tol, 1e-9);
      const pTol = tol * (1 + Math.max(...u.statistic.map((t) => t * t)));
      close(u.pValue, c.p_univariate, pTol, 1e-12);
      const holm = g.summary({ test: 'holm' }) as GlhtTestResult;
      close(holm.pValue, c.p_holm, pTol, 1e-12);
      expect(withoutFit(printGlhtSummary(g, holm))).toEqual(withoutFit(c.print_holm));
      const ci = g.confint({ calpha: 'univariate' });
      close([ci.quantile], [c.ci_univariate.quantile], 1e-12);
      close(ci.lower, c.ci_univariate.lower, tol, 1e-9);
      close(ci.upper, c.ci_univariate.upper, tol, 1e-9);
    });
  }

  it('a matrix whose row names do not match its rows is refused, naming the factor', () => {
    const oats = fits.get('oats')!;
    expect(() => glht(oats, mcp({ Variety: { K: [[1, -1, 0]], rowNames: ['a', 'b'] } }))).toThrow(/mcp's 'Variety' must be/);
    expect(() => glht(oats, mcp({ Variety: { K: [[1, -1]], rowNames: ['a'] } }))).toThrow(/3 columns/);
  });
});
