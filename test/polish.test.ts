/**
 * The float64 Newton polish of a device optimum (src/model/polish.ts) on objectives built by hand: a
 * float64 objective F and a device objective D = F + a slowly varying error, rounded to f32 (the
 * shape of the WebGPU backend's error: nearly F's curvature, not F's gradient). And the fit driver's
 * choice of it (src/model/fitObjective.ts) where device evaluations are cheap and float64 ones are not.
 */
import { describe, expect, it } from 'vitest';
import { newtonPolish } from '../src/model/polish.js';
import { Evaluations } from '../src/model/control.js';
import { optimizeObjective } from '../src/model/fitObjective.js';
import type { Objective } from '../src/model/objective.js';
import { bobyqa } from '../src/optim/bobyqa.js';
import { DeviceLostError } from '../src/errors/errors.js';
import { deriv12Diagonal } from '../src/optim/deriv12.js';

/** F(y) = 100 + Σ cosh(y_k − m_k) − n + 0.3 (y_0 − m_0)(y_1 − m_1): smooth, convex near m, not quadratic */
function smooth(m: number[]): (y: Float64Array) => number {
  return (y) => {
    let f = 100 - m.length;
    for (let k = 0; k < m.length; k++) f += Math.cosh(y[k] - m[k]);
    return f + 0.3 * (y[0] - m[0]) * (y[1] - m[1]);
  };
}

/**
 * D = fround(F + 1e-4 c·(y − m) + 2e-6): an error of the size of f32 rounding at the optimum whose
 * tilt moves the device's optimum by about 1e-4
 */
function deviceOf(F: (y: Float64Array) => number, c: number[], m: number[]): (y: Float64Array) => number {
  return (y) => Math.fround(F(y) + 1e-4 * y.reduce((s, v, k) => s + c[k] * (v - m[k]), 0) + 2e-6);
}

/** the device's optimum, as the device optimizer would leave it */
function deviceOptimum(D: (y: Float64Array) => number, start: number[], lower: Float64Array, upper: Float64Array): Float64Array {
  return bobyqa(D, Float64Array.from(start), { lower, upper, rhobeg: 0.2, rhoend: 1e-7, maxfun: 5000 }).x;
}

describe('newtonPolish', () => {
  const m = [0.8, 1.5, 2.2];
  const F = smooth(m);
  const D = deviceOf(F, [1, -2, 0.5], m);
  const lower = new Float64Array(3);
  const upper = new Float64Array(3).fill(Infinity);

  it("reaches the float64 optimum from the device's in a few steps of n + 1, then 2n + 1, float64 evaluations", async () => {
    const x0 = deviceOptimum(D, [1, 1, 1], lower, upper);
    const dist0 = Math.max(...Array.from(x0, (v, k) => Math.abs(v - m[k])));
    expect(dist0).toBeGreaterThan(1e-5);
    const r = await newtonPolish({ device: D, deviceAtX0: D(x0), f64: F, f64AtX0: F(x0), x0, lower, upper });
    expect(r.ok, r.reason).toBe(true);
    // converged: F within the model's tolerance of its minimum F(m) = 100 (x within √(2 · 1e-8 / F''))
    const F0 = F(Float64Array.from(m));
    console.log(`device optimum: |x − m| ${dist0.toExponential(2)}, F − F(m) ${(F(x0) - F0).toExponential(2)}; polished (${r.steps} steps): |x − m| ${Math.max(...Array.from(r.x, (v, k) => Math.abs(v - m[k]))).toExponential(2)}, F − F(m) ${(r.fval - F0).toExponential(2)}`);
    expect(r.fval - F0).toBeLessThan(1e-8);
    expect(r.fval - F0).toBeLessThan(1e-2 * (F(x0) - F0));
    expect(r.fval).toBe(F(r.x));
    expect(r.fval).toBeLessThan(F(x0));
    expect(r.steps).toBeGreaterThanOrEqual(1);
    expect(r.steps).toBeLessThanOrEqual(3);
    // the first step: n forward differences and the step's; each later one: 2n central differences and
    // the step's; the last: the gradient that says converged
    expect(r.f64Evaluations).toBeLessThanOrEqual(3 + 1 + (r.steps - 1) * (2 * 3 + 1) + 2 * 3);
  });

  it('works in the scaled variables y = s ⊙ x', async () => {
    const s = Float64Array.from([10, 1, 0.1]);
    const Fx = (x: Float64Array) => F(Float64Array.from(x, (v, k) => v * s[k]));
    const Dx = (x: Float64Array) => D(Float64Array.from(x, (v, k) => v * s[k]));
    const x0 = Float64Array.from(deviceOptimum(D, [1, 1, 1], lower, upper), (v, k) => v / s[k]);
    const r = await newtonPolish({ device: Dx, deviceAtX0: Dx(x0), f64: Fx, f64AtX0: Fx(x0), x0, lower, upper, scales: s });
    expect(r.ok, r.reason).toBe(true);
    expect(r.fval - F(Float64Array.from(m))).toBeLessThan(1e-8);
    for (let k = 0; k < 3; k++) expect(Math.abs(r.x[k] * s[k] - m[k])).toBeLessThan(2e-4);
  });

  it('leaves an optimum near a bound to BOBYQA, saying so', async () => {
    const mb = [0.001, 1.5, 2.2];
    const Fb = smooth(mb);
    const Db = deviceOf(Fb, [1, -2, 0.5], mb);
    const x0 = Float64Array.from([0.004, 1.5, 2.2]);
    const r = await newtonPolish({ device: Db, deviceAtX0: Db(x0), f64: Fb, f64AtX0: Fb(x0), x0, lower, upper });
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/variable 0 is within .* of its bound/);
    expect(r.f64Evaluations).toBe(0);
    expect(Array.from(r.x)).toEqual(Array.from(x0));
  });

  it('gives up where the device objective is not convex', async () => {
    const Fc = (y: Float64Array) => 10 - (y[0] - 1) ** 2 + (y[1] - 1) ** 2;
    const x0 = Float64Array.from([1, 1]);
    const r = await newtonPolish({ device: Fc, deviceAtX0: Fc(x0), f64: Fc, f64AtX0: Fc(x0), x0, lower: new Float64Array(2), upper: new Float64Array(2).fill(Infinity) });
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/not convex along variable 0/);
  });

  it('gives up (keeping its best point) where a step does not gain what the model predicted', async () => {
    // the device's curvature is a fifth of F's: its Newton step is 5× too long and overshoots
    const Ff = (y: Float64Array) => 50 - 0.0018 + (y[0] - 1.03) ** 2 + (y[1] - 0.97) ** 2;
    const Df = (y: Float64Array) => 50 + 0.2 * ((y[0] - 1) ** 2 + (y[1] - 1) ** 2);
    const x0 = Float64Array.from([1, 1]);
    const r = await newtonPolish({ device: Df, deviceAtX0: Df(x0), f64: Ff, f64AtX0: Ff(x0), x0, lower: new Float64Array(2), upper: new Float64Array(2).fill(Infinity) });
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/a Newton step gained .* where the model predicted/);
    expect(r.fval).toBeLessThanOrEqual(Ff(x0));
  });
});

describe('newtonPolish with a device objective too coarse for its curvature (a GLMM\'s f32 PIRLS)', () => {
  it('takes the float64 Hessian, whose central differences are the first gradient, and reaches the float64 optimum', async () => {
    const m = [0.8, 1.5, 2.2];
    const F = smooth(m);
    // rounded to 1e-3 and 5e-3 off: second differences at steps ≤ 0.05 (≤ 2.5e-3) are below its noise
    const D = (y: Float64Array) => Math.round((F(y) + 1e-4 * (y[0] - m[0])) * 1000) / 1000 + 5e-3;
    const x0 = Float64Array.from([0.8003, 1.4996, 2.2004]);
    const lower = new Float64Array(3), upper = new Float64Array(3).fill(Infinity);
    const r = await newtonPolish({ device: D, deviceAtX0: D(x0), f64: F, f64AtX0: F(x0), x0, lower, upper });
    expect(r.ok, r.reason).toBe(true);
    expect(r.hessian).toBe('float64');
    expect(r.deviceEvaluations).toBeGreaterThan(0);
    // the Hessian's n(n + 3)/2 = 9 evaluations (central ones at its steps, then the forward pairs), then
    // steps of 2n + 1 (the first one's gradient from the Hessian's: 1 evaluation)
    expect(r.f64Evaluations).toBeLessThanOrEqual(9 * 3 + 1 + 2 * 7);
    expect(r.fval - F(Float64Array.from(m))).toBeLessThan(1e-10);
    for (let k = 0; k < 3; k++) expect(Math.abs(r.x[k] - m[k])).toBeLessThan(1e-4);
  });

  it('gives up, saying why, where the float64 objective is flat too', async () => {
    const F = (y: Float64Array) => 100 + 1e-12 * y[0] * y[0] + (y[1] - 1) ** 2;
    const D = (y: Float64Array) => Math.round(F(y) * 1000) / 1000 + 5e-3;
    const x0 = Float64Array.from([1, 1]);
    const r = await newtonPolish({ device: D, deviceAtX0: D(x0), f64: F, f64AtX0: F(x0), x0, lower: new Float64Array(2).fill(-Infinity), upper: new Float64Array(2).fill(Infinity) });
    expect(r.ok).toBe(false);
    expect(r.reason).toBe("the device objective's curvature along variable 0 is below its noise, and the float64 objective's curvature along variable 0 is below its noise");
  });
});

describe('the fit driver polishes by Newton steps where float64 evaluations are the dear ones', () => {
  it('a cheap device objective and a slow float64 one: Newton steps, the float64 optimum', async () => {
    const m = [0.8, 1.5, 2.2];
    const F = smooth(m);
    const D = deviceOf(F, [1, -2, 0.5], m);
    const slowF = (y: Float64Array) => {
      const t = performance.now();
      while (performance.now() - t < 3); // 3 ms of float64 work
      return F(y);
    };
    const objective: Objective = {
      start: Float64Array.from([1, 1, 1]), lower: new Float64Array(3), upper: new Float64Array(3).fill(Infinity),
      evaluate: (x) => Promise.resolve(D(x)), backend: { name: 'webgpu', device: 'test', precision: 'float32' }, f64: slowF,
    };
    const ev = new Evaluations();
    const opt = await optimizeObjective(objective, { rhobeg: 0.2, rhoend: 1e-7, maxfun: 5000 }, ev);
    expect(opt.gpu!.newton, 'the Newton polish was tried').toBeDefined();
    expect(opt.gpu!.newton!.ok, opt.gpu!.newton!.reason).toBe(true);
    expect(opt.fval - F(Float64Array.from(m))).toBeLessThan(1e-8);
    for (let k = 0; k < 3; k++) expect(Math.abs(opt.x[k] - m[k])).toBeLessThan(2e-4);
    expect(opt.gpu!.polishImprovement).toBeGreaterThan(0);
    // far fewer float64 evaluations than a BOBYQA polish's ~10n
    expect(opt.gpu!.newton!.f64Evaluations).toBeLessThanOrEqual(3 * 7 + 6);
    expect(opt.gpu!.polishEvaluations).toBe(ev.count - opt.optimizerFeval);
    expect(opt.messages).toEqual([]);
  });
});

describe('the float64 polish on the fit\'s own stencil (a GLMM whose Var(β̂) is its Hessian at the optimum)', () => {
  // the fit's coordinates z = A x + c (as a GLMM's lme4 (θ, β) of the optimizer's scaled θ and δ)
  const A = [2, 0.5, 0, 0, 1, -0.3, 0, 0, 4];
  const c = [0.1, -0.2, 0.3];
  const toZ = (x: Float64Array) => Float64Array.from({ length: 3 }, (_, i) => c[i] + A[3 * i] * x[0] + A[3 * i + 1] * x[1] + A[3 * i + 2] * x[2]);
  const fromZ = (z: Float64Array) => {
    // back substitution through the upper-triangular A
    const x = new Float64Array(3);
    for (let i = 2; i >= 0; i--) {
      let t = z[i] - c[i];
      for (let j = i + 1; j < 3; j++) t -= A[3 * i + j] * x[j];
      x[i] = t / A[3 * i + i];
    }
    return x;
  };
  const m = [0.8, 1.5, 2.2];
  const Fz = smooth(m);
  const Fx = (x: Float64Array) => Fz(toZ(x));
  const D = deviceOf(Fx, [1, -2, 0.5], Array.from(fromZ(Float64Array.from(m))));
  const derivatives = (f: (z: Float64Array) => number | Promise<number>, z: Float64Array, fz: number, accuracy: 'step' | 'fit' = 'fit') =>
    deriv12Diagonal(f, z, fz, new Float64Array(3).fill(-Infinity), 1e-4, accuracy === 'fit' ? 'central' : 'forward');
  const objective = (stencil: boolean): Objective => ({
    start: Float64Array.from([1, 1, 1]), lower: new Float64Array(3).fill(-Infinity), upper: new Float64Array(3).fill(Infinity),
    evaluate: (x) => Promise.resolve(D(x)), backend: { name: 'webgpu', device: 'test', precision: 'float32' }, f64: Fx,
    ...(stencil ? { stencil: { toZ, fromZ, f64: Fz, derivatives } } : {}),
  });
  const settings = { rhobeg: 0.2, rhoend: 1e-7, maxfun: 5000 };

  it('the step\'s stencil, the step, and the fit\'s stencil at the optimum: the float64 optimum, and the last stencil is the fit\'s there', async () => {
    const ev = new Evaluations();
    const opt = await optimizeObjective(objective(true), settings, ev);
    const nw = opt.gpu!.newton!;
    expect(nw.ok, nw.reason).toBe(true);
    expect(nw.hessian).toBe('stencil');
    expect(nw.steps).toBe(1);
    // the step's stencil n(n + 3)/2 = 9, the step, the fit's stencil n² + n = 12 (its step's 9 and 3 more);
    // plus the check at the device's optimum
    expect(nw.f64Evaluations).toBe(9 + 1 + 12);
    expect(opt.gpu!.polishEvaluations).toBe(1 + 9 + 1 + 12);
    expect(opt.gpu!.polishEvaluations).toBe(ev.count - opt.optimizerFeval);
    expect(opt.fval - Fz(Float64Array.from(m))).toBeLessThan(1e-12);
    const z = toZ(opt.x);
    for (let k = 0; k < 3; k++) expect(Math.abs(z[k] - m[k])).toBeLessThan(1e-6);
    // the stencil handed over is deriv12's at the optimum: the same points give the same numbers
    const st = opt.stencil!;
    for (let k = 0; k < 3; k++) expect(Math.abs(st.z[k] - z[k])).toBeLessThan(1e-14);
    expect(st.fz).toBe(opt.fval);
    const again = await derivatives(Fz, st.z, st.fz);
    expect(Array.from(st.hessian)).toEqual(Array.from(again.hessian));
    expect(Array.from(st.gradient)).toEqual(Array.from(again.gradient));
  });

  it('fewer float64 evaluations than BOBYQA\'s polish followed by the fit\'s stencil, at the same optimum', async () => {
    const ev = new Evaluations();
    const opt = await optimizeObjective(objective(true), settings, ev);
    const plain = await optimizeObjective(objective(false), settings, new Evaluations());
    // without a stencil (a cheap float64 objective here): BOBYQA polishes; the fit then takes the stencil (12)
    expect(plain.gpu!.newton).toBeUndefined();
    expect(plain.stencil).toBeUndefined();
    expect(opt.gpu!.polishEvaluations).toBeLessThan(plain.gpu!.polishEvaluations + 12);
    expect(Math.abs(opt.fval - plain.fval)).toBeLessThan(1e-10);
  });

  it('an optimum near a bound: BOBYQA polishes and no stencil is handed over', async () => {
    const o = objective(true);
    const opt = await optimizeObjective({ ...o, lower: Float64Array.from([-Infinity, -Infinity, fromZ(Float64Array.from(m))[2] - 1e-3]) }, settings, new Evaluations());
    expect(opt.gpu!.newton!.ok).toBe(false);
    expect(opt.gpu!.newton!.reason).toMatch(/within 0.01 of its bound/);
    expect(opt.stencil).toBeUndefined();
  });
});

describe('the fit driver continues on the CPU when the device is lost (issue 15)', () => {
  const m = [0.8, 1.5, 2.2];
  const F = smooth(m);
  const D = deviceOf(F, [1, -2, 0.5], m);
  /** the device objective, lost from its k-th evaluation on; the float64 one is slow (Newton polish) */
  const losing = (k: number): Objective => {
    let calls = 0;
    const slowF = (y: Float64Array) => {
      const t = performance.now();
      while (performance.now() - t < 3);
      return F(y);
    };
    return {
      start: Float64Array.from([1, 1, 1]), lower: new Float64Array(3), upper: new Float64Array(3).fill(Infinity),
      evaluate: (x) => (++calls >= k ? Promise.reject(new DeviceLostError('test adapter', 'destroyed', 'Device was destroyed.')) : Promise.resolve(D(x))),
      backend: { name: 'webgpu', device: 'test', precision: 'float32' }, f64: slowF,
    };
  };
  const settings = { rhobeg: 0.2, rhoend: 1e-7, maxfun: 5000 };

  it('lost during the optimization: float64 from the best point reached, the float64 optimum', async () => {
    const opt = await optimizeObjective(losing(20), settings, new Evaluations());
    expect(opt.messages).toEqual(['the WebGPU device (test adapter) was lost (destroyed: Device was destroyed.) during the optimization after 19 evaluations: the fit continued on the CPU in float64 from the best θ the device reached']);
    expect(opt.backend).toEqual({ name: 'cpu', device: 'CPU (JavaScript, float64)', precision: 'float64' });
    expect(opt.gpu).toBeUndefined();
    expect(opt.converged).toBe(true);
    expect(opt.fval - F(Float64Array.from(m))).toBeLessThan(1e-10);
    for (let k = 0; k < 3; k++) expect(Math.abs(opt.x[k] - m[k])).toBeLessThan(1e-4);
  });

  it('lost during the Newton polish: BOBYQA polishes in float64, the float64 optimum', async () => {
    const whole = await optimizeObjective(losing(Infinity), settings, new Evaluations());
    expect(whole.gpu!.newton).toBeDefined();
    // the Newton polish's third device evaluation (its Hessian) fails
    const opt = await optimizeObjective(losing(whole.optimizerFeval + 3), settings, new Evaluations());
    expect(opt.messages).toHaveLength(1);
    expect(opt.messages[0]).toMatch(/^the WebGPU device \(test adapter\) was lost \(destroyed: Device was destroyed\.\) during the float64 polish after \d+ evaluations: the fit continued on the CPU in float64/);
    expect(opt.gpu!.newton).toBeUndefined();
    expect(opt.backend.precision).toBe('float32 (webgpu) polished in float64');
    expect(opt.fval - F(Float64Array.from(m))).toBeLessThan(1e-10);
    for (let k = 0; k < 3; k++) expect(Math.abs(opt.x[k] - m[k])).toBeLessThan(1e-4);
  });
});
