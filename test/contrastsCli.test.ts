/**
 * `--contrasts` on the CLI (fit and the commands that fit): the JSON's column names, β and lmerTest's
 * type III anova against lme4 1.1-31 / lmerTest 3.1-3 with those contrasts (test/oracle/contrasts.R,
 * test/fixtures/contrasts/), also through the stream and DuckDB engines, a post-fit command (emmeans),
 * and the refusals.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from './helpers/cliEngines.js';

const DIR = join(import.meta.dirname, 'fixtures', 'contrasts');
const ref = JSON.parse(readFileSync(join(DIR, 'contrasts.json'), 'utf8'));
const CSV = join(DIR, 'contr.csv');
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

describe('mixedgpu --contrasts', () => {
  it("fit --json: X's names, β and SEs as lme4's with contr.sum and contr.helmert; the contrasts in the JSON", async () => {
    const c = ref.lmm.crossed_sum_helmert;
    const r = await runMain(['fit', CSV, c.formula, '--contrasts', 'a=contr.sum, b=contr.helmert', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.contrasts).toEqual({ a: 'contr.sum', b: 'contr.helmert' });
    expect(Object.keys(j.fixef)).toEqual(c.xnames);
    // at our optimum against lme4's tight one (test/contrasts.test.ts: 1e-5)
    Object.values(j.fixef as Record<string, number>).forEach((b, k) => expect(rel(b, c.beta[k])).toBeLessThan(1e-5));
    Object.values(j.se as Record<string, number>).forEach((s, k) => expect(rel(s, c.se[k])).toBeLessThan(1e-5));
  });

  it("fit --ddf satterthwaite --json: lmerTest's type III anova with contr.sum", async () => {
    const t = ref.anova.type3_sum;
    const r = await runMain(['fit', CSV, ref.anova.formula, '--contrasts', 'a=contr.sum,b=contr.sum', '--ddf', 'satterthwaite', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j.anova)).toEqual(t.terms);
    t.terms.forEach((term: string, k: number) => {
      expect(rel(j.anova[term].F, t.F[k])).toBeLessThan(1e-5);
      expect(rel(j.anova[term].dendf, t.DenDF[k])).toBeLessThan(1e-5);
    });
  });

  it('glmer (--family binomial) with contr.poly: the names and β of lme4', async () => {
    const c = ref.glmm.cbpp_poly;
    const cbpp = join(import.meta.dirname, 'fixtures', 'data', 'cbpp.csv');
    const r = await runMain(['fit', cbpp, c.formula, '--family', 'binomial', '--factors', 'herd,period', '--contrasts', 'period=contr.poly', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j.fixef)).toEqual(c.xnames);
    // as test/contrasts.test.ts's glmer fit: 1e-4
    Object.values(j.fixef as Record<string, number>).forEach((b, k) => expect(Math.abs(b - c.beta[k])).toBeLessThan(1e-4));
  });

  it('emmeans --json with contrasts: the means of emmeans 1.8.4', async () => {
    const e = ref.anova.emmeans_a;
    const r = await runMain(['emmeans', CSV, ref.anova.formula, '~ a', '--contrasts', 'a=contr.sum,b=contr.sum', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout).emmeans.rows as { a: string; emmean: number; SE: number }[];
    expect(rows.map((x) => x.a)).toEqual(e.levels);
    // as test/contrasts.test.ts: means to 1e-6, SEs to 1e-5 at our optimum
    rows.forEach((x, i) => {
      expect(rel(x.emmean, e.emmean[i])).toBeLessThan(1e-6);
      expect(rel(x.SE, e.SE[i])).toBeLessThan(1e-5);
    });
  });

  it('anova of nested formulas with --contrasts: the smaller model without the factor fits (the contrast ignored, as R warns), the χ² as without contrasts', async () => {
    const args = ['anova', CSV, 'y ~ 1 + (1 | g)', 'y ~ a + (1 | g)', '--json'];
    const r = await runMain([...args, '--contrasts', 'a=contr.sum']);
    expect(r.code, r.stderr).toBe(0);
    const r0 = await runMain([...args, '--quiet']);
    // ML deviances are invariant to the coding: the χ² of two fits of ours to the optimizers' stopping (1e-6)
    expect(Math.abs(JSON.parse(r.stdout).tests[1].chisq - JSON.parse(r0.stdout).tests[1].chisq)).toBeLessThan(1e-6);
  });

  for (const engine of ['stream', 'duckdb']) {
    it(`fit --engine ${engine} --json: the engine's fit with contr.sum and contr.helmert, X's names, β and SEs as lme4's`, async () => {
      const c = ref.lmm.crossed_sum_helmert;
      const r = await runMain(['fit', CSV, c.formula, '--contrasts', 'a=contr.sum,b=contr.helmert', '--engine', engine, '--json', '--quiet']);
      expect(r.code, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.engine).toBe(engine);
      expect(j.contrasts).toEqual({ a: 'contr.sum', b: 'contr.helmert' });
      expect(Object.keys(j.fixef)).toEqual(c.xnames);
      Object.values(j.fixef as Record<string, number>).forEach((b, k) => expect(rel(b, c.beta[k])).toBeLessThan(1e-5));
      Object.values(j.se as Record<string, number>).forEach((s, k) => expect(rel(s, c.se[k])).toBeLessThan(1e-5));
    });
  }

  it('refusals: a malformed entry, an unknown contrast, a factor named twice', async () => {
    let r = await runMain(['fit', CSV, 'y ~ a + (1 | g)', '--contrasts', 'a', '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--contrasts: 'a' is not factor=contrast/);
    r = await runMain(['fit', CSV, 'y ~ a + (1 | g)', '--contrasts', 'a=sum', '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/contrasts\.a: unknown contrast 'sum' \(did you mean 'contr\.sum'\?\)/);
    r = await runMain(['fit', CSV, 'y ~ a + (1 | g)', '--contrasts', 'a=contr.sum,a=contr.poly', '--quiet']);
    expect(r.stderr).toMatch(/the factor 'a' is named twice/);
  });
});
