/**
 * lme4 1.1-31's nlmer driver (R/nlmer.R, mkdevfun's nlsResp branch, optwrap):
 *  1. at θ₀ (templates I), u = 0, β = start: one PNLS solve in (u, β) → (u₀, β₀);
 *  2. stage 1 (lme4's nAGQ = 0 devfun): minimize over θ the Laplace deviance (laplace.ts) of the PNLS
 *     solve in (u, β) from the fixed (u₀, β₀) (pnls.ts), by Nelder–Mead (lme4's default optimizer
 *     for nlmer) with θ's lower bounds; then one evaluation at the optimum, whose (u, β) start stage 2;
 *  3. stage 2 (nAGQ = 1, Laplace): minimize over (θ, β) the Laplace deviance of the PNLS solve in u
 *     alone, from β₀ and u₀ of stage 1; Nelder–Mead's initial steps 0.2 (0.1 for each θ, min(SE_β, 10)
 *     for each β, SE_β = √diag((R_XᵀR_X)⁻¹)) and x tolerances 5e-4 of them (optwrap's adj = TRUE);
 *  4. the finite-difference Hessian of stage 2's deviance at the optimum (lme4's deriv12, unclipped);
 *     Var(β̂) = 2 H⁻¹ on β's block where that is positive definite, else σ̂² (R_XᵀR_X)⁻¹ with lme4's
 *     warning (vcov.merMod); then one evaluation at the optimum, the fit's state.
 * nAGQ > 1: lme4 stops ("nAGQ > 1 not yet implemented for nlmer models"), and so do we.
 * Like the library's other long fits, an AbortSignal stops the fit (checked before the start and before each
 * evaluation, and seen at the event-loop turns it takes every 50 evaluations or 50 ms) with the library's
 * AbortError, and onProgress gets each optimizer evaluation (its stage, the evaluations so far, the deviance).
 */
import type * as arrow from 'apache-arrow';
import { OptionError, showValue } from '../errors/errors.js';
import { invertGaussJordan, spdInverse } from '../linalg/dense.js';
import { symmetricEigen } from '../linalg/symmetricEigen.js';
import { deriv12 } from '../optim/deriv12.js';
import { bobyqaAsync } from '../optim/bobyqa.js';
import { nelderMead } from '../optim/nelderMead.js';
import type { MinimizeResult } from '../optim/types.js';
import { macrotask, throwIfAborted } from '../model/control.js';
import { nlmerLaplace } from './laplace.js';
import type { DecompositionStructure } from './decompose.js';
import type { NlmerModel } from './model.js';
import { type PnlsResult, pnls } from './pnls.js';

export type NlmerOptimizer = 'Nelder_Mead' | 'bobyqa';

export interface NlmerFitOptions {
  /** the optimizer of both stages (lme4's nlmerControl: Nelder_Mead) */
  optimizer?: NlmerOptimizer;
  /** 0: stage 1 only (θ with β from PNLS), 1: Laplace (default, lme4's) */
  nAGQ?: number;
  /** PNLS's tolerance (nlmerControl's tolPwrss, 1e-10) */
  tolPwrss?: number;
  /** aborts the fit (an AbortError is thrown, as the library's other fits) */
  signal?: AbortSignal;
  /** called after each optimizer evaluation (it changes nothing of the fit) */
  onProgress?: (p: NlmerProgress) => void;
  /** PNLS's L: 'auto' (by level for one grouping factor, decompose.ts) or 'dense' (the general path; for tests and bench/nlmer.ts) */
  structure?: DecompositionStructure;
}

/** One optimizer evaluation of lme4's two stages (glmer's GlmmProgress without its Hessian stage). */
export interface NlmerProgress {
  /** 1: θ with β from the PNLS solve (lme4's nAGQ = 0 devfun); 2: θ and β together (Laplace) */
  stage: 1 | 2;
  /** the optimizers' evaluations so far (stage 1's, then stage 2's added: the fit's feval sum at its end) */
  feval: number;
  /** the deviance at this evaluation */
  deviance: number;
  /** the least deviance of this stage so far (at the end of stage 2: the fit's deviance) */
  best: number;
  /** θ and β of this evaluation (stage 1: β from the solve) */
  theta: Float64Array;
  beta: Float64Array;
  elapsedMs: number;
}

export interface NlmerEstimate {
  theta: Float64Array;
  beta: Float64Array;
  deviance: number;
  /** the state at the optimum */
  state: PnlsResult;
  /** Var(β̂) and where it came from */
  vcov: Float64Array;
  vcovSource: 'hessian' | 'RX';
  sigma: number;
  messages: string[];
  stage1: MinimizeResult;
  stage2: MinimizeResult | null;
  optimizer: NlmerOptimizer;
  nAGQ: number;
}

/** evaluations between turns of the event loop at most (and 50 ms of computing at most) */
const YIELD_EVERY = 50;
const YIELD_EVERY_MS = 50;

/**
 * The fit's evaluations: the abort checked before each, and a turn of the event loop (a macrotask: timers,
 * a worker's messages, an abort from outside) every YIELD_EVERY evaluations or YIELD_EVERY_MS, after which
 * the abort is checked again.
 */
class Pace {
  private count = 0;
  private last = performance.now();
  constructor(private readonly signal: AbortSignal | undefined) {}
  check(): void {
    throwIfAborted(this.signal);
  }
  async step(): Promise<void> {
    this.check();
    if (++this.count % YIELD_EVERY !== 0 && performance.now() - this.last < YIELD_EVERY_MS) return;
    await macrotask();
    this.last = performance.now();
    this.check();
  }
}

async function minimize(
  method: NlmerOptimizer, f: (x: Float64Array) => number, x0: Float64Array, lower: Float64Array, upper: Float64Array,
  pace: Pace, xst?: Float64Array,
): Promise<MinimizeResult> {
  const g = async (x: Float64Array) => { await pace.step(); return f(x); };
  if (method === 'bobyqa') {
    // lme4's optwrap for bobyqa: a start at 0 moved to 0.001; rhobeg 2e-4, rhoend 2e-7 in stage 2 (adj)
    const x = Float64Array.from(x0, (v) => (x0.every((w) => w === 0) ? 0.001 : v));
    return bobyqaAsync(g, x, { lower, upper, ...(xst ? { rhobeg: 2e-4, rhoend: 2e-7 } : {}) });
  }
  return nelderMead(g, x0, { lower, upper, ...(xst ? { xst, xt: Float64Array.from(xst, (s) => s * 5e-4) } : {}) });
}

/** lme4's nlmer optimization (header) on a built model from the parameters' starting values. */
export async function estimateNlmer(model: NlmerModel, start: Float64Array, options: NlmerFitOptions = {}): Promise<NlmerEstimate> {
  const optimizer = options.optimizer ?? 'Nelder_Mead';
  if (optimizer !== 'Nelder_Mead' && optimizer !== 'bobyqa') throw new OptionError('optimizer', `nlmer: optimizer ${showValue(optimizer)} is not offered: 'Nelder_Mead' (lme4's default for nlmer) or 'bobyqa'`);
  const nAGQ = options.nAGQ ?? 1;
  if (nAGQ !== 0 && nAGQ !== 1) {
    throw new OptionError('nAGQ', `nlmer: nAGQ = ${showValue(nAGQ)} is not offered: lme4 1.1-31 stops with "nAGQ > 1 not yet implemented for nlmer models"; use 1 (Laplace, the default) or 0`);
  }
  const tol = options.tolPwrss ?? 1e-10;
  const structure = options.structure ?? 'auto';
  if (structure !== 'auto' && structure !== 'dense') throw new OptionError('structure', `nlmer: structure ${showValue(structure)} is not offered: 'auto' or 'dense'`);
  if (!(tol > 0 && tol < 1)) throw new OptionError('tolPwrss', `nlmer: tolPwrss must be in (0, 1), not ${showValue(tol)}`);
  const pace = new Pace(options.signal);
  pace.check();
  const t0 = performance.now();
  // progress: each optimizer evaluation, with the stage's least deviance so far (NaN counts as +∞, as Nelder–Mead's)
  let fevalBefore = 0;
  let stageEvals = 0;
  let best = Infinity;
  const report = (stage: 1 | 2, f: (x: Float64Array) => PnlsResult, thetaOf: (x: Float64Array, r: PnlsResult) => Float64Array, betaOf: (x: Float64Array, r: PnlsResult) => Float64Array) => {
    stageEvals = 0;
    best = Infinity;
    return (x: Float64Array): number => {
      const r = f(x);
      stageEvals++;
      if (r.deviance < best) best = r.deviance;
      options.onProgress?.({ stage, feval: fevalBefore + stageEvals, deviance: r.deviance, best, theta: thetaOf(x, r), beta: betaOf(x, r), elapsedMs: performance.now() - t0 });
      return r.deviance;
    };
  };
  const nth = model.nTheta;
  const p = model.fixed.length;
  // β₀ = the start values on X's columns (lme4's qr.coef(qr(X), start) for X the indicators)
  const beta0 = Float64Array.from(model.fixedParam, (k) => start[k]);
  // lme4's devfun starts each PNLS solve from the u (stage 1: and β) that the previous call installed:
  // rho$u0 is the vector pp$u0 that the C++ updates in place. We keep that warm start, so that the
  // optimizers see lme4's function.
  const warm: { u: Float64Array; beta: Float64Array } = { u: new Float64Array(model.q), beta: beta0 };
  const solve = (theta: ArrayLike<number>, beta: ArrayLike<number> | null): PnlsResult => {
    const r = pnls(model, theta, warm.u, beta ?? warm.beta, beta === null ? false : true, nlmerLaplace, tol, 300, 0, structure);
    warm.u = r.u as Float64Array;
    if (beta === null) warm.beta = r.beta as Float64Array;
    return r;
  };
  solve(model.theta0, null);
  const dev1 = (theta: Float64Array) => solve(theta, null);
  const upper1 = new Float64Array(nth).fill(Infinity);
  const stage1 = await minimize(optimizer, report(1, dev1, (th) => Float64Array.from(th), (_, r) => Float64Array.from(r.beta)), Float64Array.from(model.theta0), model.lower, upper1, pace);
  fevalBefore = stageEvals;
  // optwrap: deriv12 at the optimum (lme4 keeps it; its evaluations move the warm start), then f(x̂).
  // optwrap passes fx = opt$value, which Nelder_Mead's result does not have (its value is fval), so
  // deriv12 evaluates f(x̂) first: so do we, as each evaluation moves the warm start
  await deriv12(async (x) => { await pace.step(); return dev1(x).deviance; }, stage1.x, optimizer === 'Nelder_Mead' ? dev1(stage1.x).deviance : stage1.fval, new Float64Array(nth).fill(-Infinity));
  let state = dev1(stage1.x);
  const messages: string[] = [];
  if (!stage1.converged) messages.push(`convergence code from ${optimizer} (stage 1): ${stage1.message}`);
  if (nAGQ === 0) {
    const unsc = spdInverse(rxGram(state), p, 'R_XᵀR_X').inv;
    const sigma = Math.sqrt(pwrssOf(state) / model.n);
    return { theta: stage1.x, beta: state.beta, deviance: stage1.fval, state, vcov: unsc.map((v) => v * sigma * sigma), vcovSource: 'RX', sigma, messages, stage1, stage2: null, optimizer, nAGQ };
  }
  // stage 2: (θ, β) from stage 1's solution, u from its u
  const unsc1 = spdInverse(rxGram(state), p, 'R_XᵀR_X').inv;
  const xst = new Float64Array(nth + p);
  for (let j = 0; j < nth; j++) xst[j] = 0.2 * 0.1;
  for (let c = 0; c < p; c++) xst[nth + c] = 0.2 * Math.min(Math.sqrt(unsc1[c * p + c]), 10);
  const lower2 = new Float64Array(nth + p).fill(-Infinity);
  lower2.set(model.lower);
  const upper2 = new Float64Array(nth + p).fill(Infinity);
  const x0 = new Float64Array(nth + p);
  x0.set(stage1.x);
  x0.set(state.beta, nth);
  const dev2 = (x: Float64Array) => solve(x.subarray(0, nth), x.subarray(nth));
  const stage2 = await minimize(optimizer, report(2, dev2, (x) => x.slice(0, nth), (x) => x.slice(nth)), x0, lower2, upper2, pace, xst);
  if (!stage2.converged) messages.push(`convergence code from ${optimizer}: ${stage2.message}`);
  // Var(β̂): the Hessian of the deviance in (θ, β) (lme4's deriv12 at the optimum, no bounds)
  const fx = optimizer === 'Nelder_Mead' ? dev2(stage2.x).deviance : stage2.fval; // (stage 1's note; bobyqa's result has $value)
  const { hessian } = await deriv12(async (x) => { await pace.step(); return dev2(x).deviance; }, stage2.x, fx, new Float64Array(nth + p).fill(-Infinity));
  state = dev2(stage2.x);
  const sigma = Math.sqrt(pwrssOf(state) / model.n);
  let vcov = hessianVcov(hessian, nth, p);
  let vcovSource: 'hessian' | 'RX' = 'hessian';
  if (!vcov) {
    const unsc = spdInverse(rxGram(state), p, 'R_XᵀR_X').inv;
    vcov = unsc.map((v) => v * sigma * sigma);
    vcovSource = 'RX';
    messages.push('variance-covariance matrix computed from finite-difference Hessian is\nnot positive definite or contains NA values: falling back to var-cov estimated from RX');
  }
  return { theta: stage2.x.slice(0, nth), beta: stage2.x.slice(nth), deviance: stage2.fval, state, vcov, vcovSource, sigma, messages, stage1, stage2, optimizer, nAGQ };
}

/** r² = ‖y − f‖² + ‖u‖² at the installed u (mkMerMod's pwrss for nlmer: sqrL(0)) */
export function pwrssOf(s: PnlsResult): number {
  let u2 = 0;
  for (const v of s.u) u2 += v * v;
  return s.wrss + u2;
}

/** R_XᵀR_X from the lower-triangular factor (row-major). */
function rxGram(s: PnlsResult): Float64Array {
  const R = s.decomposition.RX;
  const p = Math.round(Math.sqrt(R.length));
  const G = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) {
    let sum = 0;
    for (let k = 0; k <= Math.min(i, j); k++) sum += R[i * p + k] * R[j * p + k];
    G[i * p + j] = sum;
  }
  return G;
}

/**
 * lme4's calc.vcov.hess: h = H⁻¹, V = h_ββ + h_ββᵀ (= 2 H⁻¹ on β's block, the deviance being −2ℓ);
 * null where H is singular, V has a non-finite entry or V is not positive definite.
 */
export function hessianVcov(H: Float64Array, nth: number, p: number): Float64Array | null {
  const m = nth + p;
  const inv = invertGaussJordan(Float64Array.from(H), m);
  if (!inv) return null;
  const V = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) V[i * p + j] = inv[(nth + i) * m + nth + j] + inv[(nth + j) * m + nth + i];
  if (V.some((v) => !Number.isFinite(v))) return null;
  const { values } = symmetricEigen(V, p);
  if (Math.min(...values) <= 0) return null;
  return V;
}

/**
 * The second stage's deviance at (θ, β) with the conditional modes converged: PNLS in u from u = 0 to
 * `tol` (default 1e-16; where rounding stops the steps below 1e-13, that point), then again from that solution. Gauss–Newton converges linearly here, and lme4's
 * warm-started devfun at tolPwrss = 1e-10 stops ~1e-7 (relative) from this value, depending on its path.
 */
export function nlmerDevianceAt(model: NlmerModel, theta: ArrayLike<number>, beta: ArrayLike<number>, tol = 1e-16): number {
  const first = pnls(model, theta, new Float64Array(model.q), beta, true, nlmerLaplace, tol, 300, 1e-13);
  return pnls(model, theta, first.u, beta, true, nlmerLaplace, tol, 300, 1e-13).deviance;
}
