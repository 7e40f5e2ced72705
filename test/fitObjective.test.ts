/**
 * The one fit driver (src/model/fitObjective.ts) on objectives built by hand, and the seams the
 * objective interface leaves for what a fit minimizes: an additive penalty (withPenalty) and an
 * LMM criterion other than lme4's profiled deviance (lmmObjective's `criterion`).
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/backend/cpu/cpuBackend.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { lmmObjective, profiledCriterion } from '../src/lmm/deviance.js';
import { buildLmm } from '../src/lmm/model.js';
import { Evaluations } from '../src/model/control.js';
import { fitObjective, optimizeObjective } from '../src/model/fitObjective.js';
import { type Objective, withPenalty } from '../src/model/objective.js';
import { loadData, loadReference } from './helpers/reference.js';

const SETTINGS = { rhobeg: 0.2, rhoend: 1e-8, maxfun: 2000 };
const CPU = { name: 'cpu', device: 'test', precision: 'float64' };

/** f(x) = Σ (x_k − c_k)² on x ≥ 0 */
function quadratic(c: number[], backend = CPU): Objective {
  const f = (x: Float64Array) => x.reduce((s, v, k) => s + (v - c[k]) ** 2, 0);
  return {
    start: new Float64Array(c.length).fill(1), lower: new Float64Array(c.length), upper: new Float64Array(c.length).fill(Infinity),
    evaluate: f, backend,
  };
}

describe('fitObjective: optimize → check → polish → assemble', () => {
  it('a float64 objective is optimized and assembled, with no check', async () => {
    const ev = new Evaluations();
    const seen: number[] = [];
    const fit = await fitObjective(quadratic([0.5, 2]), SETTINGS, ev, (opt) => ({ opt, assembled: true }), (_x, f) => seen.push(f));
    expect(fit.assembled).toBe(true);
    expect(fit.opt.x[0]).toBeCloseTo(0.5, 6);
    expect(fit.opt.x[1]).toBeCloseTo(2, 6);
    expect(fit.opt.gpu).toBeUndefined();
    expect(fit.opt.backend).toEqual(CPU);
    expect(fit.opt.feval).toBe(ev.count);
    expect(seen).toHaveLength(ev.count);
  });

  it('a device objective with an arithmetic error is checked and polished in float64', async () => {
    const exact = quadratic([0.5, 2]);
    const device: Objective = {
      ...exact,
      evaluate: (x) => Promise.resolve((exact.evaluate(x) as number) + 1e-3 * x[0]),
      backend: { name: 'webgpu', device: 'test', precision: 'float32' },
      f64: (x) => exact.evaluate(x) as number,
    };
    const ev = new Evaluations();
    const opt = await optimizeObjective(device, SETTINGS, ev);
    expect(opt.backend.precision).toBe('float32 (webgpu) polished in float64');
    expect(opt.x[0]).toBeCloseTo(0.5, 6);
    expect(opt.gpu!.objectiveError).toBeGreaterThan(0);
    expect(opt.gpu!.polishImprovement).toBeGreaterThan(0);
    // the check at the device's optimum and the polish's evaluations
    expect(opt.gpu!.polishEvaluations).toBe(ev.count - opt.optimizerFeval);
    expect(opt.feval).toBe(ev.count);
    expect(opt.messages).toEqual([]);
  });

  it('an aborted signal stops the optimizer with an AbortError', async () => {
    const ac = new AbortController();
    const obj = quadratic([0.5, 2]);
    let n = 0;
    const counting: Objective = { ...obj, evaluate: (x) => { if (++n === 5) ac.abort(); return obj.evaluate(x); } };
    await expect(fitObjective(counting, SETTINGS, new Evaluations({ signal: ac.signal }), () => 0)).rejects.toMatchObject({ name: 'AbortError' });
    expect(n).toBe(5);
  });
});

describe('the objective\'s seams', () => {
  it('withPenalty adds a penalty to evaluate and f64 alike (a prior on θ)', async () => {
    // (x − 1)² + λ x²: minimum at 1 / (1 + λ)
    const lambda = 3;
    const base: Objective = { ...quadratic([1]), f64: (x) => (x[0] - 1) ** 2, backend: { name: 'webgpu', device: 'test', precision: 'float32' } };
    const pen = withPenalty(base, (x) => lambda * x[0] * x[0]);
    expect(await pen.evaluate(Float64Array.of(2))).toBe(1 + 12);
    expect(pen.f64!(Float64Array.of(2))).toBe(1 + 12);
    const opt = await optimizeObjective(pen, SETTINGS, new Evaluations());
    expect(opt.x[0]).toBeCloseTo(1 / (1 + lambda), 6);
    expect(opt.fval).toBeCloseTo(lambda / (1 + lambda), 10);
  });

  it('an LMM criterion other than the profiled deviance is what the fit minimizes', async () => {
    const ref = loadReference('sleepstudy_slopes_reml');
    const model = buildLmm(ref.formula, loadData(ref), { REML: true, factors: ref.factors });
    const cpu = new CpuBackend(formGram(model), model.theta.length);
    const lme4 = profiledCriterion(model);
    const a = await optimizeObjective(lmmObjective(model, cpu, cpu), SETTINGS, new Evaluations());
    // a criterion shifted by a constant has the same optimum, 7 higher
    const b = await optimizeObjective(lmmObjective(model, cpu, cpu, (parts) => lme4(parts) + 7), SETTINGS, new Evaluations());
    expect(b.fval - a.fval).toBeCloseTo(7, 8);
    for (let k = 0; k < a.x.length; k++) expect(b.x[k]).toBeCloseTo(a.x[k], 5);
    expect(a.fval).toBeCloseTo(ref.remlcrit!, 6);
  });
});
