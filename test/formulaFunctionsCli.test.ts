/**
 * The CLI with factor(), poly(), ns(), bs() in its FORMULA arguments (`mixedgpu fit`, `anova`,
 * `emmeans`, with --json): the same numbers as the library's fits, which test/formulaFunctions.test.ts
 * checks against lme4 1.1-31, lmerTest 3.1-3 and emmeans 1.8.4 (same fixtures, same tolerances here).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from './helpers/cliEngines.js';

const DIR = join(import.meta.dirname, 'fixtures', 'formula_functions');
const ref = JSON.parse(readFileSync(join(DIR, 'models.json'), 'utf8'));
const SLEEP = join(import.meta.dirname, 'fixtures', 'data', 'sleepstudy.csv');
const FF = join(DIR, 'ff.csv');
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

describe('mixedgpu with formula functions', () => {
  it('fit --json: poly(Days, 3, raw = TRUE) — the coefficients by R\'s names, lme4\'s values', async () => {
    const c = ref.models.poly3_raw;
    const r = await runMain(['fit', SLEEP, c.formula, '--factors', 'Subject', '--json', '--quiet']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { fixef: Record<string, number> };
    expect(Object.keys(json.fixef)).toEqual(c.xnames);
    // lme4 to rhoend 1e-12, one θ: β to 1e-7 relative (as the library's test)
    Object.values(json.fixef).forEach((b, j) => expect(rel(b, c.beta[j])).toBeLessThan(1e-7));
  });
  it('fit: (1 | factor(gnum)) prints the grouping factor as lme4 names it', async () => {
    const r = await runMain(['fit', FF, 'y ~ x + (1 | factor(gnum))', '--json', '--quiet']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).ngroups).toEqual({ 'factor(gnum)': 20 });
  });
  it('fit --ddf satterthwaite --type 3 --json: lmerTest\'s anova of poly(x, 2) * f', async () => {
    const want = ref.anova.poly_interaction.type3;
    const r = await runMain(['fit', FF, 'y ~ poly(x, 2) * f + (1 | gnum)', '--ddf', 'satterthwaite', '--type', '3', '--json', '--quiet']);
    expect(r.code).toBe(0);
    const anova = (JSON.parse(r.stdout) as { anova: Record<string, { numdf: number; F: number }> }).anova;
    expect(Object.keys(anova)).toEqual(want.terms);
    Object.values(anova).forEach((x, k) => {
      expect(x.numdf).toBe(want.NumDF[k]);
      expect(rel(x.F, want.F[k])).toBeLessThan(1e-6);
    });
  });
  it('emmeans --json over factor(Days)', async () => {
    const want = ref.emm.factor_days;
    const r = await runMain(['emmeans', SLEEP, 'Reaction ~ factor(Days) + (1 | Subject)', '~ Days', '--factors', 'Subject', '--json', '--quiet']);
    expect(r.code).toBe(0);
    const rows = (JSON.parse(r.stdout) as { emmeans: { rows: { emmean: number }[] } }).emmeans.rows;
    rows.forEach((x, i) => expect(rel(x.emmean, want.emmean[i])).toBeLessThan(1e-6));
  });
  it('errors: a FormulaError with its caret', async () => {
    const bad = await runMain(['fit', SLEEP, 'Reaction ~ poly(Days, deg = 2) + (1 | Subject)', '--json']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/'poly' has no argument 'deg' \(write its full name: degree = …\)/);
  });
  it('fit --engine stream --json: ns(Days, df = 3) with (Days | Subject), lme4\'s values (the knots from the pre-pass: test/gram/basisEngines.test.ts)', async () => {
    const c = ref.models.ns3;
    const r = await runMain(['fit', SLEEP, c.formula, '--engine', 'stream', '--factors', 'Subject', '--json', '--quiet']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { fixef: Record<string, number> };
    expect(Object.keys(json.fixef)).toEqual(c.xnames);
    // lme4 to rhoend 1e-12: β to 1e-7 relative (as the library's test of the same model)
    Object.values(json.fixef).forEach((b, j) => expect(rel(b, c.beta[j])).toBeLessThan(1e-7));
  });
});
