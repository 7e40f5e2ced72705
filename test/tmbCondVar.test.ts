/**
 * glmmTMB's ranef(fit, condVar = TRUE) against glmmTMB 1.1.5 (test/oracle/tmb_condvar.R,
 * test/fixtures/tmb-condvar/condvar.json): TMB's sdreport covariance of the random effects,
 * Λ(LLᵀ)⁻¹Λᵀ + A Var(x̂) Aᵀ (src/zeroinfl/ranefVariance.ts), which glmmTMB reports per level's diagonal.
 *   - at glmmTMB's tight optimum and with TMB's own Var(x̂) (no optimizer, no Hessian of ours): the first
 *     term equals the inverse Hessian's diagonal (ML; 1e-8 relative) and the sum sdreport's diag.cov.random
 *     (ML and REML, where β joins the random parameters; 1e-6 relative: the modes' central differences);
 *   - the fit: ranef's values within 1e-5 (relative to max(1, |b|)) and the condVar diagonals within 1e-4
 *     relative (our Var(x̂) from the Hessian by differences, as the SEs' tolerance in test/tmbreml.test.ts);
 *   - the first term alone is not glmmTMB's (smaller by 2.5–61% of glmmTMB's in the ML cases: the parameters' uncertainty).
 * Cases: sleepstudy gaussian (Days | Subject) by ML and REML, ZIP with mined in both models by ML and
 * REML, NB2, and ZIP with (1 | site) in the zero model too (its entries component 'zi').
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { glmmTMB } from '../src/zeroinfl/zeroInflated.js';
import { buildZeroInflatedModel } from '../src/zeroinfl/model.js';
import { ZiLaplace } from '../src/zeroinfl/laplace.js';
import { parameterVariance } from '../src/zeroinfl/ranefVariance.js';
import { conditionalVariances } from '../src/lmm/solution.js';

interface Case {
  name: string; data: string; formula: string; ziformula: string; family: string; reml: boolean;
  tight_par: number[]; vcov: number[][]; b: number[]; bzi: number[] | number; var_b: number[]; var_bzi: number[] | number;
  term1_b: number[];
}
const fixtures = join(import.meta.dirname, 'fixtures');
const table = (f: string): arrow.Table => readCsv(readFileSync(join(fixtures, 'data', `${f}.csv`), 'utf8')).table;
const CASES = JSON.parse(readFileSync(join(fixtures, 'tmb-condvar', 'condvar.json'), 'utf8')) as Case[];
const arr = (v: number[] | number): number[] => (Array.isArray(v) ? v : [v]);
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const optionsOf = (c: Case) => ({ family: c.family as never, ziformula: c.ziformula, ...(c.data === 'sleepstudy' ? { factors: ['Subject'] } : {}) });

/** the diagonals of level-major q × q blocks */
const diagonals = (blocks: Float64Array, q: number) => Array.from({ length: (blocks.length / q / q) * q }, (_, r) => blocks[Math.floor(r / q) * q * q + (r % q) * q + (r % q)]);

describe("glmmTMB's condVar at glmmTMB's optimum and Var(x̂) (no optimizer)", () => {
  for (const c of CASES) {
    it(c.name, () => {
      const model = buildZeroInflatedModel(c.formula, table(c.data), optionsOf(c));
      // x: (β, x_o) — under REML the fit's parameters too are β̂ (the joint mode) and x_o
      let x = c.tight_par;
      if (c.reml) {
        const joint = new ZiLaplace(model, true);
        joint.evaluate([...new Array(model.p).fill(0), ...c.tight_par]);
        x = [...joint.beta, ...c.tight_par];
      }
      expect(x.length).toBe(c.vcov.length);
      const lap = new ZiLaplace(model);
      lap.evaluate(x);
      const t1 = conditionalVariances(lap.chol, 1);
      const t2 = parameterVariance(model, x, c.vcov.flat());
      // per model (b, then bzi: a grouping factor shared by the two models is one block whose columns
      // belong to either predictor, model.predictors)
      const got: number[][] = [[], []];
      model.blocks.forEach((b, k) => {
        const d = diagonals(t1[k].map((v, r) => v + t2[k][r]), b.q);
        d.forEach((v, r) => got[model.predictors[k][r % b.q]].push(v));
      });
      for (const [g, want] of [[got[0], c.var_b], [got[1], arr(c.var_bzi)]] as const) {
        expect(g.length).toBe(want.length);
        g.forEach((v, r) => expect(rel(v, want[r]), `Var(b̂)[${r}]`).toBeLessThan(1e-6));
      }
      if (!c.reml && arr(c.bzi).length === 0) {
        const first = model.blocks.flatMap((b, k) => diagonals(t1[k], b.q));
        first.forEach((v, r) => expect(rel(v, c.term1_b[r]), `term1[${r}]`).toBeLessThan(1e-8));
        // the parameters' uncertainty matters: the first term alone is not glmmTMB's condVar
        expect(Math.max(...first.map((v, r) => rel(v, c.var_b[r])))).toBeGreaterThan(0.03);
      }
    });
  }
});

describe("glmmTMB's condVar: the fit", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const fit = await glmmTMB(c.formula, table(c.data), { ...optionsOf(c), REML: c.reml });
      const cond = fit.ranef.filter((r) => r.component !== 'zi');
      const zi = fit.ranef.filter((r) => r.component === 'zi');
      for (const [entries, b, v] of [[cond, c.b, c.var_b], [zi, arr(c.bzi), arr(c.var_bzi)]] as const) {
        const values = entries.flatMap((r) => Array.from(r.values));
        const vars = entries.flatMap((r) => diagonals(r.condVar, r.cnames.length));
        expect(values.length).toBe(b.length);
        values.forEach((x, r) => expect(Math.abs(x - b[r]) / Math.max(1, Math.abs(b[r])), `b[${r}]`).toBeLessThan(1e-5));
        vars.forEach((x, r) => expect(rel(x, v[r]), `condVar[${r}]`).toBeLessThan(1e-4));
      }
    });
  }
});
