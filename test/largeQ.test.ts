/**
 * Models with many variance parameters (issue 9, item 8): y ~ x + (f | g) with a q-level factor f has
 * q(q+1)/2 θ (q = 20: 210). BOBYQA's interpolation system then has order m = npt + n + 1 = 632, and
 * re-inverting it after every evaluation cost ~0.7 s per evaluation; the optimizer now updates its
 * inverse (Powell's rank-two formula) and re-inverts only occasionally. Timings are measured in
 * bench/ (cases q11, q20), not here: these tests check the structure (how often W is inverted) and
 * the fast path against the general one.
 */
import { describe, expect, it } from 'vitest';
import { bobyqa } from '../src/optim/bobyqa.js';
import { lmmThetaProblem } from '../src/lmm/thetaProblem.js';
import { scaledStart } from '../src/optim/thetaOptimizer.js';
import { readCsv } from '../src/io/csv.js';
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { CpuBackend } from '../src/backend/cpu/cpuBackend.js';
import { makeObjective } from '../src/lmm/deviance.js';
import { factorSlopesCsv } from '../bench/factorSlopes.js';

/** The scaled objective x ↦ f(θ = x / s) of y ~ x + (f | g) with q levels, its start and bounds. */
function factorSlopesProblem(q: number, n: number, groups: number) {
  const table = readCsv(factorSlopesCsv({ n, groups, q, seed: 1 })).table;
  const model = buildLmm('y ~ x + (f | g)', table, {});
  const cpu = new CpuBackend(formGram(model), model.theta.length);
  const f = makeObjective(cpu, model.frame.n, model.frame.p, true);
  const prob = lmmThetaProblem(model.blocks, model.internalBlocks, model.theta, model.frame.n);
  const s = prob.scales;
  const x0 = Float64Array.from(scaledStart(prob), (t, k) => t * s[k]);
  const lower = Float64Array.from(prob.lower, (t, k) => t * s[k]);
  return {
    nth: model.theta.length,
    fx: (x: Float64Array) => f(Float64Array.from(x, (v, k) => v / s[k])),
    x0, lower, upper: new Float64Array(model.theta.length).fill(Infinity),
  };
}

describe('large q: BOBYQA updates the inverse of its interpolation system', () => {
  it('q = 20 (210 θ): 700 evaluations invert W a handful of times, not once per evaluation', () => {
    const p = factorSlopesProblem(20, 2000, 50);
    expect(p.nth).toBe(210);
    const npt = 2 * p.nth + 1;
    const res = bobyqa(p.fx, p.x0, { lower: p.lower, upper: p.upper, maxfun: 700 });
    expect(res.feval).toBe(700);
    // the general path would invert W (632 × 632) after each of the 279 evaluations past the initial design
    expect(res.inversions).toBeLessThanOrEqual(10);
    expect(res.fval).toBeLessThan(p.fx(p.x0) - 100);
    const general = bobyqa(p.fx, p.x0, { lower: p.lower, upper: p.upper, maxfun: npt + 3, updateH: false });
    expect(general.inversions).toBe(4);
  });

  it('q = 6 (21 θ): the fast path reaches the general path\'s optimum', () => {
    const p = factorSlopesProblem(6, 600, 30);
    expect(p.nth).toBe(21);
    const general = bobyqa(p.fx, p.x0, { lower: p.lower, upper: p.upper, updateH: false });
    const fast = bobyqa(p.fx, p.x0, { lower: p.lower, upper: p.upper, updateH: true });
    expect(general.converged).toBe(true);
    expect(fast.converged).toBe(true);
    expect(Math.abs(fast.fval - general.fval)).toBeLessThan(1e-6);
    expect(fast.inversions!).toBeLessThan(general.inversions! / 5);
  });
});
