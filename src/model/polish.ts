/**
 * The float64 polish of a device optimum by Newton steps (DESIGN.md's GPU numerics policy: every
 * device fit is checked against float64 at its optimum and polished in float64 where they disagree).
 *
 * The device objective D (f32) and the float64 objective F differ by the device's rounding error,
 * small and slowly varying, so near the device's optimum x₀ they have nearly the same curvature but
 * not the same gradient. The polish therefore takes
 *   H   the Hessian of D at x₀ by finite differences on the device (cheap evaluations): central
 *       second differences on the diagonal, forward ones off it, with steps grown until the second
 *       differences stand well above the device's noise;
 *   g   the gradient of F, with steps of the size at which F's rounding and the differences'
 *       truncation balance: at x₀ by forward differences corrected by H's diagonal (n float64
 *       evaluations), later by central differences (2n);
 * and the Newton step x₁ = x₀ − H⁻¹ g, checked in float64 (F(x₁) must fall about as the quadratic
 * model predicts), repeated from x₁ while the predicted gain — of this step, or of the next one at the
 * contraction the steps showed — is above the tolerance. The first iteration costs n + 1 float64
 * evaluations, later ones 2n + 1 (against some 10n for a BOBYQA run from x₀). Where the device's
 * rounding hides its curvature at every step the model holds at (a GLMM's f32 PIRLS: an objective
 * error of ~1e-4 against second differences of ~1e-3), H is the float64 objective's own (n(n + 3)/2
 * float64 evaluations, whose central differences are the first step's gradient; for n ≤
 * MAX_F64_HESSIAN). Where the model does
 * not hold — a bound within reach of the steps (a singular fit), a Hessian that is not positive
 * definite, a step that does not gain what was predicted — it gives up and says why; the fit driver
 * then polishes with BOBYQA (src/model/fitObjective.ts).
 *
 * Coordinates: y = s ⊙ x (s the θ problem's scales; all ones without one), in which the variables
 * are of order one.
 */

import type { PolishStencil, StencilAtOptimum } from './objective.js';

/** A function of the optimizer's variables, synchronous or not. */
export type ObjectiveFn = (x: Float64Array) => number | Promise<number>;

export interface NewtonPolishOptions {
  /** the device objective and its value at x0 */
  device: ObjectiveFn;
  deviceAtX0: number;
  /** the float64 objective and its value at x0 */
  f64: ObjectiveFn;
  f64AtX0: number;
  x0: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  /** the scales s of the variables (default ones) */
  scales?: Float64Array;
  /** most Newton steps (default 4) */
  maxSteps?: number;
}

export interface NewtonPolishResult {
  /** whether the polish converged; when false, `reason` says why and x, fval are the best point seen */
  ok: boolean;
  reason: string;
  x: Float64Array;
  fval: number;
  steps: number;
  /** where the Hessian came from (none when the polish gave up before it had one) */
  hessian?: 'device' | 'float64' | 'stencil';
  /** evaluations on the device (the Hessian) and in float64 */
  deviceEvaluations: number;
  f64Evaluations: number;
}

/** Variables closer than this (in y) to a bound are left to BOBYQA and the θ optimizer's boundary checks. */
const BOUND_MARGIN = 0.01;
/** Relative noise assumed for the float64 objective (PIRLS converged to 1e-12 in η; sums of n terms). */
const F64_NOISE = 1e-12;
/** A second difference on the device must exceed its noise this many times. */
const SIGNAL_TO_NOISE = 100;

export async function newtonPolish(o: NewtonPolishOptions): Promise<NewtonPolishResult> {
  const n = o.x0.length;
  const s = o.scales ?? new Float64Array(n).fill(1);
  const y0 = Float64Array.from(o.x0, (v, i) => v * s[i]);
  const lo = Float64Array.from(o.lower, (v, i) => v * s[i]);
  const hi = Float64Array.from(o.upper, (v, i) => v * s[i]);
  let deviceEvaluations = 0;
  let f64Evaluations = 0;
  const D = async (y: Float64Array) => { deviceEvaluations++; return o.device(Float64Array.from(y, (v, i) => v / s[i])); };
  const F = async (y: Float64Array) => { f64Evaluations++; return o.f64(Float64Array.from(y, (v, i) => v / s[i])); };
  let best = { y: y0, f: o.f64AtX0 };
  const give = (reason: string, steps: number): NewtonPolishResult => ({
    ok: false, reason, x: Float64Array.from(best.y, (v, i) => v / s[i]), fval: best.f, steps, deviceEvaluations, f64Evaluations,
  });
  const near = nearBound(o.x0, o.lower, o.upper, s);
  if (near >= 0) return give(`variable ${near} is within ${BOUND_MARGIN} of its bound`, 0);
  const f0 = o.f64AtX0;
  // ---- H: the device's Hessian, or the float64 one where the device's curvature is below its noise
  // the device's noise: its disagreement with float64 at x0 bounds the size of its rounding
  const at = (changes: [number, number][], base: Float64Array) => {
    const y = Float64Array.from(base);
    for (const [i, v] of changes) y[i] += v;
    return y;
  };
  const deviceNoise = Math.max(Math.abs(o.deviceAtX0 - f0), 1e-9 * Math.abs(f0), 1e-12);
  let hess = await hessianOf(D, o.deviceAtX0, deviceNoise, y0, lo, hi);
  let g0: Float64Array | null = null;
  if (hess.kind === 'flat' && n <= MAX_F64_HESSIAN) {
    // the device's rounding hides the curvature at the steps where the quadratic model holds (a
    // GLMM's f32 PIRLS): the float64 objective's own second differences (n(n + 3)/2 evaluations),
    // whose central ones give the first gradient too
    const f64Hess = await hessianOf(F, f0, F64_NOISE * Math.max(1, Math.abs(f0)), y0, lo, hi);
    if (f64Hess.kind === 'ok') {
      g0 = Float64Array.from({ length: n }, (_, i) => (f64Hess.plus[i] - f64Hess.minus[i]) / (2 * f64Hess.k[i]));
      hess = f64Hess;
    } else {
      return give(`${whyNot('the device objective', hess)}, and ${whyNot('the float64 objective', f64Hess)}`, 0);
    }
  }
  if (hess.kind !== 'ok') return give(whyNot('the device objective', hess), 0);
  const H = hess.H;
  const hessianFrom: 'device' | 'float64' = g0 ? 'float64' : 'device';
  const L = choleskyOf(H, n);
  if (!L) return give(`the ${hessianFrom} Hessian is not positive definite`, 0);
  // ---- Newton steps in float64 --------------------------------------------------------------
  // gradient steps: where F's rounding (F64_NOISE |F|) over h and the truncation balance
  const h = Float64Array.from({ length: n }, (_, i) => Math.min(1e-2, Math.max(1e-6 * Math.max(1, Math.abs(y0[i])), 10 * Math.sqrt((F64_NOISE * Math.max(1, Math.abs(f0))) / H[i * n + i]))));
  const tol = Math.max(1e-10, 1e-14 * Math.abs(f0));
  const maxSteps = o.maxSteps ?? 4;
  let y = y0;
  let fy = f0;
  let prevGain = 0;
  for (let step = 1; step <= maxSteps; step++) {
    for (let i = 0; i < n; i++) {
      if (y[i] - h[i] < lo[i] && y[i] + h[i] > hi[i]) return give(`variable ${i} reached its bound`, step - 1);
    }
    let g = step === 1 ? g0 : null;
    if (!g && step === 1) {
      // the first gradient: g_i = (F(y + σ h_i e_i) − F(y)) / (σ h_i) − ½ σ h_i H_ii, a forward difference
      // (σ = ±1, towards the farther bound) whose first truncation term, ½ σ h_i F_ii, the model's
      // curvature removes: n evaluations (F(y) is known). Its error ½ h_i |F_ii − H_ii| (H_ii to about
      // 1/SIGNAL_TO_NOISE) is small against the gradient of the device's optimum, and the next step's
      // gradient corrects it
      g = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const sigma = hi[i] - y[i] >= y[i] - lo[i] ? 1 : -1;
        const fi = await F(at([[i, sigma * h[i]]], y));
        g[i] = (fi - fy) / (sigma * h[i]) - 0.5 * sigma * h[i] * H[i * n + i];
      }
    } else if (!g) {
      // later (small) gradients, which set the polished optimum: central differences, 2n evaluations
      g = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        if (y[i] - h[i] < lo[i] || y[i] + h[i] > hi[i]) return give(`variable ${i} reached its bound`, step - 1);
        const fp = await F(at([[i, h[i]]], y));
        const fm = await F(at([[i, -h[i]]], y));
        g[i] = (fp - fm) / (2 * h[i]);
      }
    }
    // δ = −H⁻¹ g; the model's gain ½ gᵀH⁻¹g
    const d = solveWith(L, n, g);
    let gain = 0;
    for (let i = 0; i < n; i++) gain += 0.5 * g[i] * d[i];
    if (gain < tol) return { ok: true, reason: `converged (model gain ${gain.toExponential(2)})`, x: Float64Array.from(y, (v, i) => v / s[i]), fval: fy, steps: step - 1, hessian: hessianFrom, deviceEvaluations, f64Evaluations };
    const yn = Float64Array.from(y, (v, i) => v - d[i]);
    for (let i = 0; i < n; i++) if (yn[i] - lo[i] < BOUND_MARGIN || hi[i] - yn[i] < BOUND_MARGIN) return give(`the Newton step reaches the bound of variable ${i}`, step - 1);
    const fn = await F(yn);
    const actual = fy - fn;
    if (!(actual > 0.5 * gain)) {
      if (fn < best.f) best = { y: yn, f: fn };
      // a gain below the float64 objective's own noise cannot be told from it: converged at its resolution
      const noiseF = F64_NOISE * Math.max(1, Math.abs(fy));
      if (gain < noiseF && actual > -noiseF) {
        return { ok: true, reason: `converged (model gain ${gain.toExponential(2)} below the float64 objective's noise ${noiseF.toExponential(2)})`, x: Float64Array.from(best.y, (v, i) => v / s[i]), fval: best.f, steps: step, hessian: hessianFrom, deviceEvaluations, f64Evaluations };
      }
      return give(`a Newton step gained ${actual.toExponential(2)} where the model predicted ${gain.toExponential(2)}`, step);
    }
    y = yn;
    fy = fn;
    best = { y, f: fy };
    // the model held: a further step would gain about (model error)² of this one, taken as ≤ 1/100,
    // or after a second step as ≤ 10 times the contraction gain / prevGain the steps showed (Newton's
    // iteration with an inexact H contracts the gain linearly, at a rate that a power iteration's
    // argument makes non-decreasing; the factor covers it)
    const contraction = prevGain > 0 ? Math.min(1 / 100, 10 * (gain / prevGain)) : 1 / 100;
    prevGain = gain;
    if (actual < 2 * gain && gain * contraction < tol) return { ok: true, reason: `converged (model gain ${gain.toExponential(2)})`, x: Float64Array.from(y, (v, i) => v / s[i]), fval: fy, steps: step, hessian: hessianFrom, deviceEvaluations, f64Evaluations };
  }
  return give(`no convergence in ${maxSteps} Newton steps`, maxSteps);
}

/** The first variable of x within BOUND_MARGIN (in y = s ⊙ x) of its bound, else −1. */
function nearBound(x: Float64Array, lower: Float64Array, upper: Float64Array, s: Float64Array): number {
  for (let i = 0; i < x.length; i++) {
    const y = x[i] * s[i];
    if (y - lower[i] * s[i] < BOUND_MARGIN || upper[i] * s[i] - y < BOUND_MARGIN) return i;
  }
  return -1;
}

export interface StencilPolishOptions {
  /** the stencil's coordinates z and the float64 objective there (src/model/objective.ts) */
  stencil: PolishStencil;
  /** the float64 objective in z as the fit counts it (the stencil's f64, wrapped) */
  f64: ObjectiveFn;
  /** the device's optimum and the float64 objective there */
  x0: Float64Array;
  f64AtX0: number;
  lower: Float64Array;
  upper: Float64Array;
  scales?: Float64Array;
  /** most stencils (default 4) */
  maxStencils?: number;
}

export interface StencilPolishResult extends NewtonPolishResult {
  /** the last stencil, at the polished optimum (when ok) */
  atOptimum?: StencilAtOptimum;
}

/**
 * The float64 polish by Newton steps on the fit's own central-difference stencil (a GLMM: lme4's
 * deriv12 in (θ, β), the one its Var(β̂) takes at the optimum). At z_k the step's stencil (for
 * deriv12Diagonal: central on the diagonal, forward off it, n(n + 3)/2 evaluations) gives the central
 * gradient g and the Hessian H of the float64 objective F; the Newton step z_k+1 = z_k − H⁻¹ g is
 * checked in float64 (F must fall by at least half the model's gain ½ gᵀH⁻¹g) and the stencil is taken
 * again there, until the model's gain at a stencil's centre is below the tolerance (or, after a step
 * that did not gain, below F's noise): that centre is the optimum, the fit's own stencil is completed
 * there (n(n − 1)/2 more points: n² + n in all, each evaluated once) and is the fit's Hessian at the
 * optimum, so the Hessian costs no evaluations beyond the polish's. From a device optimum: the check,
 * n(n + 3)/2, the step, and n² + n (36 for n = 4, against a BOBYQA polish of ~10n, or the device- or
 * float64-Hessian Newton polish's ~3n + 2 + n(n + 3)/2, each followed by the fit's n² + n).
 * Where the model does not hold — a bound within reach, an H that is not positive definite, a step that
 * does not gain — it gives up and says why, with the best point seen; the fit driver then polishes with
 * BOBYQA and the fit takes its Hessian itself.
 */
export async function stencilPolish(o: StencilPolishOptions): Promise<StencilPolishResult> {
  const n = o.x0.length;
  const s = o.scales ?? new Float64Array(n).fill(1);
  let f64Evaluations = 0;
  let z = o.stencil.toZ(o.x0);
  let fz = o.f64AtX0;
  let best = { z, f: fz };
  const done = (ok: boolean, reason: string, steps: number, atOptimum?: StencilAtOptimum): StencilPolishResult => ({
    ok, reason, x: o.stencil.fromZ(best.z), fval: best.f, steps, hessian: 'stencil', deviceEvaluations: 0, f64Evaluations,
    ...(atOptimum ? { atOptimum } : {}),
  });
  const near = nearBound(o.x0, o.lower, o.upper, s);
  if (near >= 0) return done(false, `variable ${near} is within ${BOUND_MARGIN} of its bound`, 0);
  const tol = Math.max(1e-10, 1e-14 * Math.abs(fz));
  const maxStencils = o.maxStencils ?? 4;
  for (let k = 0; k < maxStencils; k++) {
    // the stencil's points at this centre, each evaluated once: the fit's stencil completes the step's
    const seen = new Map<string, number>();
    const F = async (y: Float64Array) => {
      const key = y.join(',');
      let v = seen.get(key);
      if (v === undefined) {
        f64Evaluations++;
        v = await o.f64(y);
        seen.set(key, v);
      }
      return v;
    };
    const model = async (accuracy: 'step' | 'fit') => {
      const { gradient: g, hessian: H } = await o.stencil.derivatives(F, z, fz, accuracy);
      const L = choleskyOf(H, n);
      if (!L) return null;
      // δ = −H⁻¹ g; the model's gain ½ gᵀH⁻¹g
      const d = solveWith(L, n, g);
      let gain = 0;
      for (let i = 0; i < n; i++) gain += 0.5 * g[i] * d[i];
      return { d, gain, here: { z: Float64Array.from(z), fz, gradient: g, hessian: H } };
    };
    let m = await model('step');
    let fit = false;
    // converged here: the fit's stencil at this centre (the step's points and n(n − 1)/2 more) confirms it
    if (m && m.gain < tol) {
      m = await model('fit');
      fit = true;
    }
    if (!m) return done(false, `the float64 stencil's Hessian is not positive definite`, k);
    if (m.gain < tol) return done(true, `converged (model gain ${m.gain.toExponential(2)})`, k, m.here);
    const zn = Float64Array.from(z, (v, i) => v - m.d[i]);
    const nb = nearBound(o.stencil.fromZ(zn), o.lower, o.upper, s);
    if (nb >= 0) return done(false, `the Newton step reaches the bound of variable ${nb}`, k);
    f64Evaluations++;
    const fn = await o.f64(zn);
    const actual = fz - fn;
    if (!(actual > 0.5 * m.gain)) {
      // a gain below the float64 objective's own noise cannot be told from it: converged at this
      // stencil's centre, at F's resolution
      const noiseF = F64_NOISE * Math.max(1, Math.abs(fz));
      if (m.gain < noiseF && actual > -noiseF) {
        const at = fit ? m : await model('fit');
        if (at) return done(true, `converged (model gain ${m.gain.toExponential(2)} below the float64 objective's noise ${noiseF.toExponential(2)})`, k, at.here);
      }
      if (fn < best.f) best = { z: zn, f: fn };
      return done(false, `a Newton step gained ${actual.toExponential(2)} where the model predicted ${m.gain.toExponential(2)}`, k + 1);
    }
    z = zn;
    fz = fn;
    best = { z, f: fz };
  }
  return done(false, `no convergence in ${maxStencils} stencils`, maxStencils);
}

/** Most variables for which the float64 Hessian (n(n + 3)/2 evaluations) is tried: beyond, BOBYQA's ~10n are fewer. */
const MAX_F64_HESSIAN = 16;

/** A Hessian by finite differences, or why there is none: no curvature above the noise, or a negative one. */
type HessianResult =
  | { kind: 'ok'; H: Float64Array; k: Float64Array; plus: Float64Array; minus: Float64Array }
  | { kind: 'flat' | 'concave'; variable: number };

function whyNot(who: string, h: Exclude<HessianResult, { kind: 'ok' }>): string {
  return h.kind === 'flat' ? `${who}'s curvature along variable ${h.variable} is below its noise` : `${who} is not convex along variable ${h.variable}`;
}

/**
 * The Hessian of f at y0 (f(y0) = f0) by finite differences: central second differences on the
 * diagonal, with steps k grown from 1e-3 · max(1, |y0_i|) (or the last variable's relative step)
 * until they stand SIGNAL_TO_NOISE times above `noise` (at most 0.05 · max(1, |y0_i|), within the bounds), forward ones off it; with f(y0 ± k_i e_i).
 */
async function hessianOf(f: (y: Float64Array) => Promise<number>, f0: number, noise: number, y0: Float64Array, lo: Float64Array, hi: Float64Array): Promise<HessianResult> {
  const n = y0.length;
  const k = new Float64Array(n), plus = new Float64Array(n), minus = new Float64Array(n);
  const H = new Float64Array(n * n);
  const at = (changes: [number, number][]) => {
    const y = Float64Array.from(y0);
    for (const [i, v] of changes) y[i] += v;
    return y;
  };
  // relative step at which the last variable's second difference stood above the noise: where the
  // next one starts (the variables are of order one and their curvatures alike), else 1e-3
  let kRel = 1e-3;
  for (let i = 0; i < n; i++) {
    const scale = Math.max(1, Math.abs(y0[i]));
    let ki = kRel * scale;
    for (;;) {
      const fp = await f(at([[i, ki]]));
      const fm = await f(at([[i, -ki]]));
      const second = fp - 2 * f0 + fm;
      if (second >= SIGNAL_TO_NOISE * noise) {
        k[i] = ki;
        plus[i] = fp;
        minus[i] = fm;
        H[i * n + i] = second / (ki * ki);
        kRel = Math.max(1e-3, ki / scale);
        break;
      }
      if (second <= -SIGNAL_TO_NOISE * noise) return { kind: 'concave', variable: i };
      // the second difference grows as k²: where it already stands above the noise, the step it needs
      // (with a margin of 2), else 4 times this one; at most 0.05 · max(1, |y0_i|)
      const next = Math.min(0.05 * scale, second > 2 * noise ? ki * Math.min(16, Math.max(2, Math.sqrt((2 * SIGNAL_TO_NOISE * noise) / second))) : ki * 4);
      if (next <= ki || y0[i] - next < lo[i] || y0[i] + next > hi[i]) return { kind: 'flat', variable: i };
      ki = next;
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const fij = await f(at([[i, k[i]], [j, k[j]]]));
      const v = (fij - plus[i] - plus[j] + f0) / (k[i] * k[j]);
      H[i * n + j] = v;
      H[j * n + i] = v;
    }
  }
  return { kind: 'ok', H, k, plus, minus };
}

/** The Cholesky factor of a symmetric n × n matrix (row-major lower), or null when not positive definite. */
function choleskyOf(A: Float64Array, n: number): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j];
    for (let k = 0; k < j; k++) d -= L[j * n + k] ** 2;
    if (!(d > 0)) return null;
    d = Math.sqrt(d);
    L[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let t = A[i * n + j];
      for (let k = 0; k < j; k++) t -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = t / d;
    }
  }
  return L;
}

/** x = (L Lᵀ)⁻¹ b */
function solveWith(L: Float64Array, n: number, b: Float64Array): Float64Array {
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    let t = x[i];
    for (let k = 0; k < i; k++) t -= L[i * n + k] * x[k];
    x[i] = t / L[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let t = x[i];
    for (let k = i + 1; k < n; k++) t -= L[k * n + i] * x[k];
    x[i] = t / L[i * n + i];
  }
  return x;
}
