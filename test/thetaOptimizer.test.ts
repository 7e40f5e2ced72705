/**
 * The θ optimizer (src/optim/thetaOptimizer.ts): equivalent factors on the boundary, restarts from
 * the boundary, lme4's boundary snap, and the scaling of θ by the size of Z's columns.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bobyqa, bobyqaAsync } from '../src/optim/bobyqa.js';
import type { BoundedMinimizer } from '../src/optim/minimizers.js';
import { FLOAT32_NOISE, FLOAT64_NOISE, optimizeTheta, rotateFactorColumn, scaledStart } from '../src/optim/thetaOptimizer.js';
import { lmmThetaProblem } from '../src/lmm/thetaProblem.js';
import { readCsv } from '../src/io/csv.js';
import { buildLmm } from '../src/lmm/model.js';
import { lmer } from '../src/fit/lmer.js';
import { Rng } from '../bench/synth.js';

/** T Tᵀ of a q×q row-major factor. */
function gram(T: Float64Array, q: number): Float64Array {
  const S = new Float64Array(q * q);
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
    let s = 0;
    for (let k = 0; k < q; k++) s += T[i * q + k] * T[j * q + k];
    S[i * q + j] = s;
  }
  return S;
}

describe('rotateFactorColumn: another factor of the same T Tᵀ where T_jj = 0', () => {
  it('keeps T Tᵀ, puts M u below the diagonal, stays lower triangular with a non-negative diagonal', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 200; trial++) {
      const q = 2 + rng.int(5);
      const j = rng.int(q - 1);
      const T = new Float64Array(q * q);
      for (let r = 0; r < q; r++) for (let c = 0; c <= r; c++) T[r * q + c] = r === c ? Math.abs(rng.normal()) : rng.normal();
      T[j * q + j] = 0;
      if (rng.uniform() < 0.3) T[(q - 1) * q + q - 1] = 0; // a second zero pivot further down
      const m = q - j;
      const u = Float64Array.from({ length: m }, () => rng.normal());
      const nu = Math.hypot(...u);
      u.forEach((v, k) => { u[k] = v / nu; });
      const R = rotateFactorColumn(T, q, j, u);
      const S0 = gram(T, q);
      const S1 = gram(R, q);
      const scale = Math.max(...Array.from(S0, Math.abs));
      S0.forEach((v, k) => expect(Math.abs(S1[k] - v)).toBeLessThan(1e-13 * scale));
      for (let r = 0; r < q; r++) {
        for (let c = r + 1; c < q; c++) expect(R[r * q + c]).toBe(0);
        expect(R[r * q + r]).toBeGreaterThanOrEqual(0);
      }
      // rows and columns before j are untouched, and column j below the diagonal is M u
      for (let r = 0; r < q; r++) for (let c = 0; c < j; c++) expect(R[r * q + c]).toBe(T[r * q + c]);
      expect(R[j * q + j]).toBe(0);
      for (let r = j + 1; r < q; r++) {
        let mu = 0;
        for (let c = 0; c < m; c++) mu += T[r * q + j + c] * u[c];
        expect(Math.abs(R[r * q + j] - mu)).toBeLessThan(1e-13 * Math.sqrt(scale));
      }
    }
  });
});

describe('optimizeTheta', () => {
  // θ: the lower triangle of a 3×3 factor T, column by column (lme4's order); f(θ) = ‖T Tᵀ − v vᵀ‖²_F
  const index = new Int32Array([0, -1, -1, 1, 3, -1, 2, 4, 5]);
  const lower = Float64Array.from([0, -Infinity, -Infinity, 0, -Infinity, 0]);
  const upper = new Float64Array(6).fill(Infinity);
  const v = [1, 1, -0.5];
  const f = (th: Float64Array): number => {
    const T = new Float64Array(9);
    for (let e = 0; e < 9; e++) if (index[e] >= 0) T[e] = th[index[e]];
    const S = gram(T, 3);
    let s = 0;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) s += (S[i * 3 + j] - v[i] * v[j]) ** 2;
    return s;
  };
  const problem = { lower, factors: [{ q: 3, index }], scales: new Float64Array(6).fill(1) };

  it('leaves a local minimum of the Cholesky parametrization that is not one of Σ (T₀₀ = 0, column 0 the wrong way)', async () => {
    // T₀₀ = 0 with column 0 = −(v₁, v₂): Σ₀· = 0 and stepping T₀₀ up moves Σ₀₁ away from v₀v₁
    const start = Float64Array.from([0, -1, 0.5, 0, 0, 0]);
    const plain = bobyqa(f, start, { lower, upper });
    expect(plain.fval).toBeGreaterThan(3); // BOBYQA alone stays on that face
    const res = await optimizeTheta(f, problem, { start });
    expect(res.restarts).toBeGreaterThanOrEqual(1);
    expect(res.fval).toBeLessThan(1e-8);
    expect(res.converged).toBe(true);
    expect(res.notes[0]).toMatch(/restarted from the boundary \(term 1, diagonal entry 1 of 3/);
  });

  it('does not restart at an optimum on the boundary, and sets entries just inside the bound onto it when f does not rise', async () => {
    // f flat for 0 ≤ t ≤ 1e-6: BOBYQA may stop anywhere there; lme4's check.boundary puts t on 0
    const g = (th: Float64Array) => Math.max(0, th[0] - 1e-6) ** 2 + (th[1] - 0.3) ** 2;
    const res = await optimizeTheta(g, { lower: Float64Array.from([0, -Infinity]), factors: [{ q: 1, index: new Int32Array([0]) }, { q: 1, index: new Int32Array([1]) }], scales: Float64Array.from([1, 1]) }, { start: Float64Array.from([0.5, 0]) });
    expect(res.restarts).toBe(0);
    expect(res.x[0]).toBe(0);
    expect(Math.abs(res.x[1] - 0.3)).toBeLessThan(1e-6);
  });

  /** A first run that stops where it starts (a minimizer stalled on the bound), BOBYQA after it. */
  const stalledFirst = (): BoundedMinimizer => {
    let runs = 0;
    return async (fn, x0, opts) => {
      if (runs++ > 0) return bobyqaAsync(fn, x0, opts);
      return { x: Float64Array.from(x0), fval: await fn(Float64Array.from(x0)), feval: 1, converged: true, message: 'stalled' };
    };
  };
  const scalar = { lower: Float64Array.from([0]), factors: [{ q: 1, index: new Int32Array([0]) }], scales: Float64Array.from([1]) };

  it('restarts from a scalar variance on the bound where the deviance falls in the variance v = θ², however slowly (lme4\'s restart_edge)', async () => {
    // f = g(θ²), g(v) = 100 − v + 1000 v²: g′(0) = −1, the optimum v = 5e-4 (2.5e-4 below the bound's);
    // a forward difference in θ of step 1e-5 sees −1e-10, which the check on θ took for flat
    const g = (th: Float64Array) => 100 - th[0] ** 2 + 1000 * th[0] ** 4;
    const res = await optimizeTheta(g, scalar, { start: Float64Array.from([0]), minimize: stalledFirst() });
    expect(res.restarts).toBe(1);
    expect(res.notes[0]).toMatch(/restarted from the boundary \(term 1, diagonal entry 1 of 1, per unit of its variance: derivative -1\.00 /);
    expect(Math.abs(res.x[0] ** 2 - 5e-4)).toBeLessThan(1e-6);
    expect(res.fval).toBeCloseTo(100 - 2.5e-4, 10);
  });

  it('does not restart on the objective\'s noise: a float32 device\'s at a boundary optimum', async () => {
    // g(v) = 10⁴ + v, rising off the bound, with an error of −1e-4 (1e-8 relative) wherever θ > 0:
    // as float64 differences that is a descent (g′ ≈ −14 by the extrapolation); under FLOAT32_NOISE it is noise
    const g = (th: Float64Array) => 1e4 + th[0] ** 2 - (th[0] > 0 ? 1e-4 : 0);
    const asDevice = await optimizeTheta(g, scalar, { start: Float64Array.from([0]), minimize: stalledFirst(), noise: FLOAT32_NOISE });
    expect(asDevice.restarts).toBe(0);
    expect(asDevice.notes).toEqual([]);
    const asFloat64 = await optimizeTheta(g, scalar, { start: Float64Array.from([0]), minimize: stalledFirst(), noise: FLOAT64_NOISE, maxRestarts: 1 });
    expect(asFloat64.restarts).toBe(1);
  });

  it('starts at x = 1 on the diagonal of the scaled variables and reports θ', async () => {
    const scales = Float64Array.from([2, 1, 1, 4, 1, 0.5]);
    const start = scaledStart({ lower, factors: [{ q: 3, index }], scales });
    expect(Array.from(start)).toEqual([0.5, 0, 0, 0.25, 0, 2]);
    let first: Float64Array | null = null;
    const res = await optimizeTheta(f, { lower, factors: [{ q: 3, index }], scales }, { onEvaluation: (th) => { first ??= Float64Array.from(th); } });
    expect(Array.from(first!)).toEqual(Array.from(start));
    expect(res.fval).toBeLessThan(1e-8);
  });
});

describe('θ scaled by the size of Z\'s columns', () => {
  const sleep = readCsv(readFileSync(join(import.meta.dirname, 'fixtures', 'data', 'sleepstudy.csv'), 'utf8')).table;

  it('the scale of a slope\'s θ entries is the RMS of its (centred) column where the slope acts', () => {
    const model = buildLmm('Reaction ~ Days + (Days | Subject)', sleep, { factors: ['Subject'] });
    const prob = lmmThetaProblem(model.blocks, model.internalBlocks, model.theta, model.frame.n);
    // θ = (intercept, Days×intercept, Days); Days 0..9 centred (−4.5…4.5), over days 1…9: √(62.25/9)
    expect(prob.scales[0]).toBe(1);
    expect(prob.scales[1]).toBeCloseTo(Math.sqrt(62.25 / 9), 12);
    expect(prob.scales[2]).toBeCloseTo(Math.sqrt(62.25 / 9), 12);
    expect(prob.factors).toEqual([{ q: 2, index: new Int32Array([0, -1, 1, 2]) }]);
  });

  it('an indicator column of a factor term has scale 1 whatever its level\'s frequency', () => {
    const rows = Array.from({ length: 60 }, (_, i) => `${Math.sin(i)},${i % 10 === 0 ? 'rare' : 'common'},g${i % 6}`);
    const t = readCsv(['y,a,g', ...rows].join('\n')).table;
    const model = buildLmm('y ~ 1 + (0 + a | g)', t);
    const prob = lmmThetaProblem(model.blocks, model.internalBlocks, model.theta, model.frame.n);
    expect(Array.from(prob.scales)).toEqual([1, 1, 1]);
  });

  it('makes the fit invariant to the unit of a covariate (ML: Days in days and in 1/1000 days, uncorrelated terms)', async () => {
    // Days as calendar days (2000 + d) and in thousandths of a day, one CSV text for both
    const days = sleep.getChild('Days')!.toArray() as Float64Array;
    const reaction = sleep.getChild('Reaction')!.toArray() as Float64Array;
    const subject = sleep.getChild('Subject')!;
    const rows = Array.from(days, (d, i) => `${reaction[i]},${2000 + d},${2e6 + 1000 * d},S${subject.get(i)}`);
    const t = readCsv(['Reaction,Days,K,Subject', ...rows].join('\n')).table;
    const a = await lmer('Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)', t, { REML: false });
    const b = await lmer('Reaction ~ K + (1 | Subject) + (0 + K | Subject)', t, { REML: false });
    expect(Math.abs(a.objective - b.objective)).toBeLessThan(1e-7);
    expect(Math.abs(a.theta[1] - 1000 * b.theta[1])).toBeLessThan(1e-4 * a.theta[1]);
  });
});
