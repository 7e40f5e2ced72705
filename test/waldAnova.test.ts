/**
 * car's Anova (Wald χ² tests of the fixed-effects terms, types II and III) of glmer fits against car
 * 3.1-1 (test/oracle/car_anova.R, fixtures in test/fixtures/car-anova): a one-factor binomial (cbpp),
 * a binomial with a factor interaction and a covariate, a Poisson with an offset and a factor–covariate
 * interaction. The references are car::Anova on β̂ and Var(β̂) of the exact Laplace deviance's optimum
 * (glmer's own belong to its early-stopping PIRLS), the fit our glmer reaches.
 * Two levels: (1) the tables at R's β̂ and Var(β̂) (the Wald machinery alone): χ² and p-values 1e-10
 * relative (worst seen 5.8e-14); (2) at our fit: 5e-5 (worst seen 2.3e-5, a p-value of the binary
 * model): our β̂ agrees with R's exact optimum to 2e-6 (6e-6 on a small
 * coefficient), the GLMM criterion being flat there, and the two Var(β̂) are finite-difference
 * Hessians, which agree to ~1e-5; χ² = (β/SE)² doubles β's relative error. The terms and df exactly.
 * Without the V-orthogonal complement type II would be type III: the test fails then (A and B differ
 * between the two tables).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { glmer } from '../src/fit/glmer.js';
import { readCsv } from '../src/io/csv.js';
import { printWaldAnova } from '../src/inference/format.js';
import { waldAnova } from '../src/inference/waldAnova.js';
import { runFit } from '../src/cli/fitCommand.js';
import '../src/inference/methods.js';

const dir = join(import.meta.dirname, 'fixtures', 'car-anova');
interface Table { terms: string[] | string; chisq: number[] | number; df: number[] | number; p: number[] | number }
const fx = JSON.parse(readFileSync(join(dir, 'car.json'), 'utf8')) as {
  cases: { name: string; data: string; formula: string; family: 'binomial' | 'poisson'; beta: Record<string, number>; vcov: number[][] | number[]; type2: Table; type3: Table }[];
};
const arr = <T>(x: T[] | T): T[] => (Array.isArray(x) ? x : [x]);
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe("car's Anova (Wald χ²) of glmer fits", () => {
  for (const c of fx.cases) {
    it(c.name, async () => {
      const file = c.data === 'cbpp' ? join(import.meta.dirname, 'fixtures', 'data', 'cbpp.csv') : join(dir, c.data);
      const fit = await glmer(c.formula, readCsv(readFileSync(file)).table, { family: c.family, factors: c.data === 'cbpp' ? ['period', 'herd'] : [] });
      const names = fit.model.frame.xnames;
      const rBeta = names.map((nm) => c.beta[nm]);
      const rV = Float64Array.from((c.vcov as number[][]).flat());
      for (const [type, ref] of [['II', c.type2], ['III', c.type3]] as const) {
        for (const [rows, tol, at] of [[waldAnova(fit.model.frame, rBeta, rV, type), 1e-10, "R's β̂, V"], [fit.anova({ type }), 5e-5, 'our fit']] as const) {
          expect(rows.map((r) => r.term)).toEqual(arr(ref.terms));
          rows.forEach((r, i) => {
            expect(r.df).toBe(arr(ref.df)[i]);
            expect(rel(r.chisq, arr(ref.chisq)[i]), `${c.name} type ${type} ${r.term} χ² at ${at}`).toBeLessThan(tol);
            expect(rel(r.p, arr(ref.p)[i]), `${c.name} type ${type} ${r.term} p at ${at}`).toBeLessThan(tol);
          });
        }
      }
      expect(fit.anova()).toEqual(fit.anova({ type: 'II' }));
      expect(fit.anova({ type: 3 })).toEqual(fit.anova({ type: 'III' }));
    });
  }
  it('prints as car does, and refuses an unknown type', async () => {
    const fit = await glmer(fx.cases[0].formula, readCsv(readFileSync(join(import.meta.dirname, 'fixtures', 'data', 'cbpp.csv'))).table, { family: 'binomial', factors: ['period', 'herd'] });
    const lines = printWaldAnova(fit.anova({ type: 'III' }), 'III', 'cbind(incidence, size - incidence)');
    expect(lines.slice(0, 4)).toEqual(['Analysis of Deviance Table (Type III Wald chisquare tests)', '', 'Response: cbind(incidence, size - incidence)', '             Chisq Df Pr(>Chisq)    ']);
    expect(lines[4]).toMatch(/^\(Intercept\) 36\.19\d* +1 +1\.789e-09 \*\*\*$/);
    expect(() => fit.anova({ type: 'I' as 'II' })).toThrow(/type must be 'II' \(car's default\) or 'III'/);
  });
});

describe('mixedgpu fit --family … --type II|III', () => {
  it("adds car's Wald χ² table to the summary and to the JSON", async () => {
    const io = () => {
      const out: string[] = [], err: string[] = [];
      return { out, err, stdout: (s: string) => { out.push(s); }, stderr: (s: string) => { err.push(s); }, stderrIsTTY: false };
    };
    const args = { file: join(import.meta.dirname, 'fixtures', 'data', 'cbpp.csv'), formula: fx.cases[0].formula, family: 'binomial', factors: 'period,herd', quiet: true };
    const a = io();
    expect(await runFit({ ...args, type: 'III' }, a)).toBe(0);
    expect(a.out.join('')).toContain('Analysis of Deviance Table (Type III Wald chisquare tests)');
    const b = io();
    expect(await runFit({ ...args, type: '2', json: true }, b)).toBe(0);
    const j = JSON.parse(b.out.join('')) as { anovaType: string; anova: Record<string, { chisq: number; df: number; p: number }> };
    expect(j.anovaType).toBe('II');
    expect(rel(j.anova.period.chisq, arr(fx.cases[0].type2.chisq)[0])).toBeLessThan(5e-5);
    const c = io();
    expect(await runFit({ ...args, type: 'I' }, c)).toBe(1);
    expect(c.err.join('')).toMatch(/type must be 'II' \(car's default\) or 'III'/);
  });
});
