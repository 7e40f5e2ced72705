/**
 * Fitting a glmmTMB model (`glmmTMB(…, ziformula, dispformula, family)`): the stages
 *   buildZeroInflatedModel (model.ts) → the Laplace objective (laplace.ts) → BOBYQA over
 *   x = (β, γ, δ, ψ) jointly (src/optim/bobyqa.ts; glmmTMB uses nlminb on TMB's exact gradient)
 *   → fixed effects running to a boundary (boundary.ts: a zero-inflation probability → 0 or 1, a conditional
 *   mean → 0 on a set of rows): every CHECK_EVERY = 100 evaluations BOBYQA's best point is tested for rows
 *   with |η| > 5 that a direction d moves alone; when found, BOBYQA is stopped, the rows are stepped along d
 *   while the objective falls (to |η| = 30; a rise rejects the set) and BOBYQA resumes in the orthogonal
 *   complement of the boundary directions, x = x_b + Q z. Why this stopping rule rather than one on BOBYQA's
 *   rate of progress: along such a direction the objective keeps falling by far more than its noise (zinbm3:
 *   1.1e-4 per 500 evaluations at evaluation 10,000, 10⁵ times its noise), so a progress rule relative to the
 *   noise does not fire, and one with a larger tolerance would also stop ordinary slow fits short; the drift's
 *   own signature (extreme η on a set of rows a direction isolates, the objective monotone along it) is
 *   specific, and in an ordinary fit, which has no such rows, BOBYQA runs as before
 *   → a random-effects SD drifting to 0 (log SD < −5) stepped down to its boundary while the objective falls
 *   (a unit vector of the same boundary basis: left out of what follows, its SE NaN)
 *   → Newton steps on the objective's central-difference Hessian and gradient (src/optim/deriv12.ts,
 *   δ = 1e-4), projected on the complement Q, while they lower it by more than the objective's noise
 *   → the Hessian at the optimum, whose inverse is Var(x̂) (as glmmTMB's
 *   sdreport: the Hessian of the Laplace objective in all fixed parameters, b integrated out; with a
 *   boundary, Q (QᵀHQ)⁻¹ Qᵀ, the loading coefficients NaN: boundary.ts; ours by
 *   central differences of the objective with Richardson's extrapolation (δ = 1e-3 and 5e-4), TMB's
 *   by automatic differentiation) → the fit
 *   (zeroInflatedFit.ts).
 * REML (glmmTMB's REML = TRUE: TMB's random = c("b", "beta")): β is integrated out with the random effects
 * (laplace.ts, src/glmm/rowLaplace.ts: the inner Newton iteration over (u, β), the log-determinant of their
 * joint Hessian), and the stages above run over the outer parameters x_o = (γ, δ, ψ) alone: a zero model's γ
 * running to a boundary is stepped there as without REML (boundary.ts, in x_o's coordinates); a conditional
 * model's β running to one is refused after the optimization (the likelihood tends to a positive limit along
 * that direction, so its integral over β under a flat prior diverges: REML has no optimum). β̂ is the
 * joint mode β̃ at x̂_o, and Var of (β̂, x̂_o) as glmmTMB's vcov reads TMB's joint precision (sdreport's
 * jointPrecision with the random effects b marginalized, GMRFmarginal): with S = R_XXᵀR_XX (β's precision
 * given x_o, b integrated out; the Schur complement of the joint Hessian at the mode), J = dβ̃/dx_o (central
 * differences of the mode, δ = 1e-4) and P the Hessian of the objective in x_o,
 *   Var(β̂, x̂_o) = [S, −SJ; −JᵀS, P + JᵀSJ]⁻¹ = [S⁻¹ + J P⁻¹ Jᵀ, J P⁻¹; P⁻¹Jᵀ, P⁻¹]
 * (β = β̃(x_o) + e, e ~ N(0, S⁻¹), linearized in x_o ~ N(x̂_o, P⁻¹): TMB's construction).
 * Starting values: β₀ = g(ȳ) for an intercept (log ȳ, logit ȳ, ȳ by the link), for gaussian the
 * dispersion model's intercept log s² (the response's variance), every other parameter 0 (p = ½,
 * φ = 1, SD 1), as glmmTMB starts at 0.
 */
import type * as arrow from 'apache-arrow';
import { ModelError, OptionError } from '../errors/errors.js';
import type { Formula } from '../formula/types.js';
import { spdInverse } from '../linalg/dense.js';
import { rowPassesReady } from '../linalg/rowChunks.js';
import { Evaluations, throwIfAborted } from '../model/control.js';
import { bobyqaAsync } from '../optim/bobyqa.js';
import type { MinimizeResult } from '../optim/types.js';
import { type BoundaryCandidate, ETA_BOUNDARY, boundaryCandidate, complementBasis, describeRows, limitWords, loadedParameters, minAbsEta, projectSymmetric } from './boundary.js';
import { deriv12 } from '../optim/deriv12.js';
import { ZiLaplace } from './laplace.js';
import { type ZeroInflatedModel, type ZeroInflatedModelOptions, buildZeroInflatedModel } from './model.js';
import { ZeroInflatedFit } from './zeroInflatedFit.js';
import { remlJointPrecision, schurPrecision } from './remlPrecision.js';
import type { LaplaceFitOptions, LaplaceFitProgress } from '../glmm/rowLaplace.js';

/** What the fit reports after each evaluation (src/glmm/rowLaplace.ts). */
export type ZeroInflatedProgress = LaplaceFitProgress;

/** The fit's options (src/glmm/rowLaplace.ts). */
export type ZeroInflatedFitOptions = LaplaceFitOptions;

export interface ZeroInflatedOptions extends ZeroInflatedModelOptions, ZeroInflatedFitOptions {
  /**
   * glmmTMB's REML = TRUE: the conditional model's fixed effects integrated out with the random effects
   * (the restricted likelihood; for a gaussian LMM with dispformula '~ 1', lmer's REML criterion / 2)
   */
  REML?: boolean;
}

/** the central-difference step of dβ̃/dx_o (REML's Var(β̂)) */
const MODE_STEP = 1e-4;

/** Newton steps on the central-difference Hessian after the optimizer, at most */
const NEWTON_STEPS = 4;
/** the Laplace objective's relative noise (rounding in the modes' Newton iteration and log-determinant: ~1e-12), with a margin */
const OBJECTIVE_NOISE = 1e-11;
/** BOBYQA's evaluations between the tests for rows drifting to a boundary (boundary.ts) */
const CHECK_EVERY = 100;
/** BOBYQA runs at most (each boundary found or rejected restarts it) */
const MAX_BOUNDARY_RUNS = 12;
/** the most restarts of the optimizer from a random-effects SD gone to 0 where the objective was flat */
const MAX_SD_RESTARTS = 3;

/**
 * Step 2 of boundary.ts: steps of 2 in η along d (x + 2d, x + 4d, …) until the rows' min |η| reaches
 * ETA_BOUNDARY, each lowering the objective or leaving it within its noise (1e-11 relative); null (the set
 * rejected) when a step raises it.
 */
export async function stepToBoundary(
  objective: (x: Float64Array) => Promise<number>, model: ZeroInflatedModel, c: BoundaryCandidate, x0: Float64Array, f0: number,
  toModel: (x: Float64Array) => ArrayLike<number> = (x) => x,
): Promise<{ x: Float64Array; f: number } | null> {
  let x = x0, f = f0;
  // (toModel: the optimizer's x as the model's (β, γ, δ, ψ), for η; REML's x_o with β before it)
  for (let step = 0; minAbsEta(model, c.part, c.rows, toModel(x)) < ETA_BOUNDARY && step < 20; step++) {
    const xn = Float64Array.from(x, (v, k) => v + 2 * c.d[k]);
    const fn = await objective(xn);
    if (!(fn <= f + OBJECTIVE_NOISE * Math.max(1, Math.abs(f)))) return null;
    x = xn;
    f = fn;
  }
  return { x, f };
}

/** The starting point x = (β, γ, δ, ψ). */
export function zeroInflatedStart(model: ZeroInflatedModel): Float64Array {
  const x = new Float64Array(model.nPar);
  const { n, y } = model;
  let s = 0;
  for (let i = 0; i < n; i++) s += y[i];
  const mean = s / n;
  const i0 = model.xnames.indexOf('(Intercept)');
  if (i0 >= 0) {
    if (model.link === 'log') x[i0] = Math.log(Math.max(mean, 1e-3));
    else if (model.binomial) x[i0] = Math.log(Math.max(mean, 1e-3) / Math.max(1 - mean, 1e-3));
    else if (model.link === 'logit') x[i0] = Math.log(mean / (1 - mean));
    else x[i0] = mean;
  }
  const d0 = model.dispnames.indexOf('(Intercept)');
  if (model.dist === 'gaussian' && d0 >= 0) {
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (y[i] - mean) ** 2;
    x[model.p + model.pz + d0] = Math.log(Math.max(ss / Math.max(n - 1, 1), 1e-8));
  }
  return x;
}

/**
 * The parameters' names in glmmTMB's order (beta, betazi, betad, theta, thetazi): the dispersion model's
 * coefficient is 'log(phi)' for dispformula '~ 1' (gaussian: log σ²), else 'disp:' and its column.
 */
export function parameterNames(model: ZeroInflatedModel): string[] {
  return [
    ...model.xnames.map((v) => `cond:${v}`),
    ...model.zinames.map((v) => `zi:${v}`),
    ...(model.dispConstant ? ['log(phi)'] : model.dispnames.map((v) => `disp:${v}`)),
    // per term (the conditional model's, then the zero model's, prefixed 'zi:'): q log-SDs, then the
    // q(q − 1)/2 correlation parameters of L's entries (i, j), i > j, row by row (covariance.ts)
    ...model.reTerms.flatMap((t, k) => {
      const pre = k >= model.nCondTerms ? 'zi:' : '';
      const names = t.cnames.map((c) => `${pre}log(sd):${t.group}:${c}`);
      for (let i = 1; i < t.q; i++) for (let j = 0; j < i; j++) names.push(`${pre}corr:${t.group}:${t.cnames[i]}.${t.cnames[j]}`);
      return names;
    }),
    // glmmTMB's psi: tweedie's power p = 1 + logit⁻¹ ψ
    ...(model.dist === 'tweedie' ? ['psi'] : []),
  ];
}

/** Fits a glmmTMB model (zero-inflated, hurdle, beta, gaussian; dispersion model) to an Arrow table. */
export async function fitZeroInflated(formula: string | Formula, data: arrow.Table, options: ZeroInflatedOptions = {}): Promise<ZeroInflatedFit> {
  const t0 = performance.now();
  throwIfAborted(options.signal);
  if (options.backend !== undefined && options.backend !== 'cpu' && options.backend !== 'auto') {
    if (options.backend === 'webgpu') throw new OptionError('backend', "zero-inflated and hurdle models run on the CPU only (backend 'cpu'): the WebGPU backend has no zero-inflated likelihood");
    throw new OptionError('backend', `backend: '${String(options.backend)}' is not a backend; use 'cpu'`);
  }
  if (options.maxfun !== undefined && !(Number.isInteger(options.maxfun) && options.maxfun > 0)) throw new OptionError('maxfun', `maxfun must be a positive whole number, got ${String(options.maxfun)}`);
  await rowPassesReady(data.numRows);
  if (options.REML !== undefined && typeof options.REML !== 'boolean') throw new OptionError('REML', `REML must be true or false, got ${String(options.REML)}`);
  const model = buildZeroInflatedModel(formula, data, options);
  return fitZeroInflatedModel(model, options, t0);
}

/**
 * The optimization and the fit of a built model (the stages after buildZeroInflatedModel): also the
 * refits of drop1 (src/zeroinfl/anova.ts), whose models are the fit's with one conditional term left out,
 * and insight's null model of r2 and icc (src/zeroinfl/r2.ts).
 */
export async function fitZeroInflatedModel(model: ZeroInflatedModel, options: ZeroInflatedFitOptions & { REML?: boolean } = {}, t0 = performance.now()): Promise<ZeroInflatedFit> {
  throwIfAborted(options.signal);
  if (model.nPar >= model.n) throw new ModelError(`the model has ${model.nPar} parameters for ${model.n} observations`);
  const reml = options.REML === true;
  if (reml && model.p >= model.n) throw new ModelError(`REML: the conditional model has ${model.p} fixed effects for ${model.n} observations`);
  const lap = new ZiLaplace(model, reml);
  // REML: the optimizer's x is x_o, x without its leading pb = p entries (β, integrated out)
  const pb = reml ? model.p : 0;
  const nx = model.nPar - pb;
  /** x = (β, x_o) with β the inner iteration's last mode (ignored by the REML objective) */
  const full = (xo: ArrayLike<number>) => {
    const out = new Float64Array(model.nPar);
    out.set(lap.beta.subarray(0, pb));
    out.set(Array.from(xo), pb);
    return out;
  };
  /** a vector of x_o's coordinates in x's (0 in β's): REML's boundary basis, gradient */
  const embed = (v: ArrayLike<number>) => { const o = new Float64Array(model.nPar); o.set(Array.from(v), pb); return o; };
  // the evaluations counted, with a turn for the event loop every 50 ms (timers, an abort)
  const evals = new Evaluations({ signal: options.signal });
  let best = Infinity;
  const objective = async (x: Float64Array) => {
    evals.count++;
    await evals.pause();
    const v = lap.evaluate(reml ? full(x) : x);
    if (options.onProgress) {
      if (v < best) best = v;
      options.onProgress({ feval: evals.count, objective: v, best, elapsedMs: performance.now() - t0 });
    }
    return v;
  };
  const xStart = zeroInflatedStart(model);
  if (reml) {
    // the inner iteration's β starts (and restarts) at the starting values' β
    lap.beta = xStart.slice(0, pb);
    lap.betaStart = xStart.slice(0, pb);
  }
  const x0 = xStart.slice(pb);
  const f0 = await objective(x0);
  if (!Number.isFinite(f0)) throw new ModelError('the likelihood is not finite at the starting values');
  const lower = new Float64Array(nx).fill(-Infinity);
  const upper = new Float64Array(nx).fill(Infinity);
  const allNames = parameterNames(model);
  const names = allNames.slice(pb);
  // BOBYQA, stopped when a set of rows drifts to a boundary of a fixed-effects predictor (boundary.ts): the
  // rows stepped to it and the optimization resumed in the complement of its directions, x = x_b + Q z
  const maxfun = options.maxfun ?? 10000;
  const B: Float64Array[] = [];
  const atBoundary = { cond: new Uint8Array(model.n), zi: new Uint8Array(model.n) };
  const accepted: { candidate: BoundaryCandidate; directions: Float64Array[] }[] = [];
  const rejected = new Map<string, number>();
  const skip = (key: string, m: number) => rejected.has(key) && rejected.get(key)! + 2 > m;
  // boundary.ts's candidate at the optimizer's x; REML: the zero model's only, in x_o's coordinates (β is not
  // an outer parameter: a conditional model's boundary is refused after the optimization, below)
  const candidateAt = (xo: Float64Array): BoundaryCandidate | null => {
    if (!reml) return boundaryCandidate(model, xo, atBoundary, B, skip);
    const c = boundaryCandidate(model, full(xo), atBoundary, B.map(embed), (key, m) => key.startsWith('cond:') || skip(key, m));
    return c && { ...c, d: c.d.slice(pb), directions: c.directions.map((v) => v.slice(pb)) };
  };
  let x: Float64Array = Float64Array.from(x0);
  let fx = f0;
  let used = 0;
  // BOBYQA from x (with the boundary machinery), leaving x, fx at its optimum; its last run's result
  const optimize = async (): Promise<MinimizeResult> => {
    let res!: MinimizeResult;
    for (let run = 0; ; run++) {
      const Q = B.length > 0 ? complementBasis(B, nx) : null;
      const xb = Float64Array.from(x);
      // x = x_b + Q z (the identity, x itself, before any boundary)
      const toX = (z: ArrayLike<number>) => {
        if (!Q) return Float64Array.from(z);
        const out = Float64Array.from(xb);
        Q.forEach((q, a) => { for (let r = 0; r < nx; r++) out[r] += q[r] * z[a]; });
        return out;
      };
      let bestX = xb;
      let bestF = fx;
      let count = 0;
      const hit: { c: BoundaryCandidate | null } = { c: null };
      const m = Q ? Q.length : nx;
      res = await bobyqaAsync(async (z) => {
        const xz = toX(z);
        const v = await objective(xz);
        if (v < bestF) { bestF = v; bestX = xz; }
        return v;
      }, Q ? new Float64Array(m) : x, {
        lower: lower.subarray(0, m), upper: upper.subarray(0, m), rhobeg: run === 0 ? 0.5 : 0.2, rhoend: 1e-8, maxfun: Math.max(1, maxfun - used),
        // every CHECK_EVERY evaluations, the best point's rows tested for a drift to a boundary (boundary.ts)
        shouldStop: () => ++count % CHECK_EVERY === 0 && (hit.c = candidateAt(bestX)) !== null,
      });
      used += res.feval;
      x = toX(res.x);
      fx = res.fval;
      const found = hit.c;
      const candidate: BoundaryCandidate | null = found ?? (used < maxfun ? candidateAt(x) : null);
      if (!candidate || run >= MAX_BOUNDARY_RUNS) break;
      const stepped = await stepToBoundary(objective, model, candidate, found ? bestX : x, found ? bestF : fx, reml ? full : undefined);
      if (stepped) {
        x = stepped.x;
        fx = stepped.f;
        B.push(...candidate.directions);
        for (const i of candidate.rows) atBoundary[candidate.part][i] = 1;
        accepted.push({ candidate, directions: candidate.directions });
      } else {
        rejected.set(candidate.key, candidate.minAbsEta);
        if (found) { x = bestX; fx = bestF; }
      }
      if (!found && !stepped) break;
    }
    return res;
  };
  let opt = await optimize();
  // A random-effects SD gone to 0 from where the objective is flat in its log SD (c + O(SD²) while the SD is
  // small against the data's other scales: BOBYQA has no slope to follow there, where glmmTMB's nlminb
  // follows TMB's gradient; sleepstudy's (1 | Subject) + (0 + Days | Subject) from SDs of 1 went to
  // −log L 887.04 instead of 876.00): the objective with that log SD back at moderate values — glmmTMB's
  // start 0, the other terms' log SDs, gaussian's log σ — and the optimizer restarted from the lowest where
  // it is below the optimum (a true boundary optimum stays: there the objective rises off it)
  for (let round = 0; round < MAX_SD_RESTARTS; round++) {
    const sds = names.map((v, k) => (/^log\(sd\):/.test(v) ? k : -1)).filter((k) => k >= 0);
    const logPhi = names.indexOf('log(phi)');
    const moderate = [0, ...sds.map((j) => x[j]).filter((v) => v > -5), ...(model.dist === 'gaussian' && logPhi >= 0 ? [x[logPhi] / 2] : [])];
    let trial: Float64Array | null = null;
    let fTrial = fx - 1e-10 * Math.max(1, Math.abs(fx));
    for (const k of sds.filter((j) => x[j] < -5)) {
      for (const v of new Set(moderate)) {
        const xt = Float64Array.from(x);
        xt[k] = v;
        const ft = await objective(xt);
        if (ft < fTrial) { trial = xt; fTrial = ft; }
      }
    }
    if (!trial) break;
    x = trial;
    fx = fTrial;
    opt = await optimize();
  }
  // a random-effects SD on its way to 0 (log SD below −5, where the objective is flat, c + O(SD²)):
  // steps of −2 in its log SD while they lower the objective (to −30 at most; glmmTMB's nlminb drifts
  // the same way), then the SD is at its boundary: a unit vector of B, left out of the Newton steps and of Var(x̂)
  const boundary: number[] = [];
  for (let k = 0; k < nx; k++) {
    if (!/log\(sd\):/.test(names[k]) || !(x[k] < -5)) continue;
    while (x[k] > -30) {
      const xn = Float64Array.from(x);
      xn[k] -= 2;
      const fn = await objective(xn);
      if (!(fn <= fx)) break;
      x = xn;
      fx = fn;
    }
    boundary.push(k);
    const e = new Float64Array(nx);
    e[k] = 1;
    B.push(e);
  }
  const Q = complementBasis(B, nx);
  const nf = Q.length;
  // Newton steps x − Q (QᵀHQ)⁻¹ Qᵀg on the central-difference derivatives while they lower the objective
  let H = await deriv12(objective, x, fx, lower);
  let hessianPd = true;
  for (let k = 0; k < NEWTON_STEPS; k++) {
    let inv: Float64Array;
    try {
      inv = spdInverse(projectSymmetric(H.hessian, Q, nx), nf, 'the Hessian').inv;
    } catch {
      hessianPd = false;
      break;
    }
    const gq = Q.map((q) => q.reduce((s, v, r) => s + v * H.gradient[r], 0));
    const xn = Float64Array.from(x);
    for (let a = 0; a < nf; a++) {
      let s = 0;
      for (let b = 0; b < nf; b++) s += inv[a * nf + b] * gq[b];
      for (let r = 0; r < nx; r++) xn[r] -= Q[a][r] * s;
    }
    const fn = await objective(xn);
    if (!(fn < fx)) break;
    const gain = fx - fn;
    x = xn;
    fx = fn;
    // a step that gained less than the objective's noise: the next one would not gain either (its
    // Hessian, 2·nPar² evaluations, is not formed; the gradient reported is the previous point's)
    if (gain < OBJECTIVE_NOISE * Math.max(1, Math.abs(fx))) break;
    H = await deriv12(objective, x, fx, lower);
  }
  // Var(x̂)'s Hessian: Richardson's extrapolation of two central-difference Hessians,
  // H = (4 H(δ/2) − H(δ)) / 3 with δ = 1e-3, which cancels their O(δ²) error term. Its other error, the
  // objective's noise over δ², grows with the number of parameters: in glmmTMB's zinbm3 (30 parameters) it
  // leaves SEs up to ~1.2e-4 off the exact Hessian's (δ = 2e-3 would leave 5e-6 there, but moves a small
  // model's SEs by 2e-5 through the truncation error: test/zeroinflEmtrends.test.ts's zinb1_zi_cover)
  if (hessianPd) {
    const h1 = await deriv12(objective, x, fx, lower, 1e-3);
    const h2 = await deriv12(objective, x, fx, lower, 5e-4);
    H = { gradient: H.gradient, hessian: Float64Array.from(h2.hessian, (v, k) => (4 * v - h1.hessian[k]) / 3) };
  }
  // REML: β̃'s derivatives in x_o, dβ̃/dx_o ≈ (β̃(x + δe_k) − β̃(x − δe_k)) / 2δ (J, p × nx row-major)
  const J = new Float64Array(pb * nx);
  if (reml) {
    for (let k = 0; k < nx; k++) {
      const xp = Float64Array.from(x), xm = Float64Array.from(x);
      xp[k] += MODE_STEP;
      xm[k] -= MODE_STEP;
      await objective(xp);
      const bp = Float64Array.from(lap.beta);
      await objective(xm);
      for (let r = 0; r < pb; r++) J[r * nx + k] = (bp[r] - lap.beta[r]) / (2 * MODE_STEP);
    }
  }
  // the state at the optimum (modes, weights, L)
  const fFinal = lap.evaluate(reml ? full(x) : x);
  if (reml) {
    // a conditional model's fixed effects running to a boundary (boundary.ts: the mean → 0 on rows of zeros, a
    // probability → 0 or 1): along that direction the likelihood tends to a positive limit, so its integral over
    // β under a flat prior — the restricted likelihood — diverges, and REML has no optimum
    const c = boundaryCandidate(model, full(x), atBoundary, B.map(embed), (key) => !key.startsWith('cond:'));
    if (c) {
      const coefs = allNames.filter((_, k) => loadedParameters(c.directions, model.nPar)[k]);
      const words = [...new Set(Array.from(c.signs, (s) => limitWords(model, 'cond', s)))].join(', ');
      throw new ModelError(`REML: the conditional model's coefficients ${coefs.join(', ')} run to a boundary (${words} for rows with ${describeRows(model.frame, c.rows)}): the likelihood tends to a positive limit along that direction, so the restricted likelihood, its integral over β under a flat prior, diverges and REML has no optimum (glmmTMB 1.1.5 stops at an arbitrary β and fails in vcov). Fit by maximum likelihood (REML: false), which steps these coefficients to the boundary and reports them`);
    }
  }
  const messages = [...model.messages];
  if (!opt.converged) messages.push(`optimizer (BOBYQA) did not converge: ${opt.message}`);
  if (!hessianPd) messages.push('the Hessian of the objective is not positive definite at the optimum: standard errors are not available (glmmTMB: "non-positive-definite Hessian matrix")');
  const loaded = loadedParameters(B, nx);
  for (const { candidate: c, directions } of accepted) {
    const coefs = names.filter((_, k) => loadedParameters(directions, nx)[k] && loaded[k]);
    for (const sign of [-1, 1]) {
      const rows = Array.from(c.rows).filter((_, j) => c.signs[j] === sign);
      if (rows.length === 0) continue;
      messages.push(`${limitWords(model, c.part, sign)} for rows with ${describeRows(c.part === 'zi' ? model.ziFrame : model.frame, rows)}: the coefficients ${coefs.join(', ')} are unbounded (the likelihood increases toward the boundary; glmmTMB: 'singular convergence' or large coefficients with huge SEs): their estimates are where |η| = ${ETA_BOUNDARY} on these rows and their SEs NaN; the other SEs are conditional on the boundary`);
    }
  }
  for (const k of boundary) messages.push(`${names[k]} is at its boundary (SD ${Math.exp(x[k]).toExponential(1)}, the objective flat there): its standard error is not available, the others' are from the Hessian without it`);
  if (lap.notConverged > 0) messages.push(`the inner Newton iteration for the random effects reached its limit in ${lap.notConverged} of ${evals.count} evaluations`);
  if (reml) {
    // x = (β̃, x̂_o), the joint precision of (β̂, x̂_o) (remlPrecision.ts), and the modes and L of the
    // Laplace approximation in u alone at x (the conditional modes; their variances add β's and x_o's
    // uncertainty through the REML vcov, ranefVariance.ts)
    const xFull = full(x);
    const Qm = remlJointPrecision(schurPrecision(lap.chol.LXX, pb), J, H.hessian, pb, nx);
    const lapU = new ZiLaplace(model);
    lapU.evaluate(xFull);
    return new ZeroInflatedFit(model, lapU, {
      x: xFull, objective: fFinal, hessian: Qm, gradient: embed(H.gradient), parNames: allNames, boundary: boundary.map((k) => k + pb), boundaryBasis: B.map(embed),
      unbounded: names.filter((_, k) => loaded[k] && !boundary.includes(k)), reml: true,
      evaluations: evals.count, iterations: lap.iterations + lapU.iterations, safeguardedSteps: lap.safeguardedSteps, converged: opt.converged, messages,
      dataName: options.dataName, elapsedMs: performance.now() - t0,
    });
  }
  return new ZeroInflatedFit(model, lap, {
    x, objective: fFinal, hessian: H.hessian, gradient: H.gradient, parNames: names, boundary, boundaryBasis: B,
    unbounded: names.filter((_, k) => loaded[k] && !boundary.includes(k)),
    evaluations: evals.count, iterations: lap.iterations, safeguardedSteps: lap.safeguardedSteps, converged: opt.converged, messages,
    dataName: options.dataName, elapsedMs: performance.now() - t0,
  });
}

