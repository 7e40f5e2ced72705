/**
 * Penalized nonlinear least squares (lme4 1.1-31 external.cpp prssUpdate/nstepFac with merPredD's
 * updateXwts/updateDecomp/solve/solveU): for fixed θ, the conditional modes u (and β, unless
 * `uOnly`) minimizing
 *   r²(u, β) = ‖y − f(φ(u, β))‖² + ‖u‖²,   φ_i = β_{param} + (Z_i Λ(θ) u)_{param}
 * by Gauss–Newton steps with step halving. At (u₀, β₀), with G the model's gradient (n × P),
 *   U Λ: row i = Σ_k G_ik (Z_k Λ)_i  (the Jacobian of f in u),   V: row i = G_i on X's columns,
 *   L Lᵀ = ΛᵀUᵀUΛ + I,  R_ZX = L⁻¹ ΛᵀUᵀV,  R_Xᵀ R_X = VᵀV − R_ZXᵀ R_ZX,   r = y − f
 *   c_u = L⁻¹(ΛᵀUᵀr − u₀),  c_β = R_X⁻ᵀ(Vᵀr − R_ZXᵀ c_u),  δβ = R_X⁻¹ c_β,  δu = L⁻ᵀ(c_u − R_ZX δβ)
 *   (uOnly: δβ = 0, δu = L⁻ᵀ c_u);  converged when (‖c_u‖² + ‖c_β‖²) / r²(u₀, β₀) < tol.
 * Otherwise the step factor h = 1, 1/2, … (> 0.001) is the first with r²(u₀ + h δu, β₀ + h δβ) < r²(u₀, β₀);
 * none is lme4's error, unless the criterion is already below `stallTol` (not lme4's: for a tolerance
 * tighter than rounding lets every step lower r²).
 * The decomposition (decompose.ts) keeps L block diagonal by level for one random-effects term (q = levels × k
 * in the thousands: O(q) per step), dense q × q for several.
 */
import { FitError } from '../errors/errors.js';
import { solveLower, solveLowerT } from '../linalg/dense.js';
import { type Decomposition, type DecompositionStructure, decompose, solveL, solveLT } from './decompose.js';
import { type NlmerModel, termTemplate } from './model.js';

/** The model's values f(φ_i) and gradients G (row-major n × P) at the parameters φ (row-major n × P). */
export interface ModelValues { mu: Float64Array; grad: Float64Array; wrss: number }

/** f and ∇f at each row's parameters φ (row-major n × P); a non-finite value is an error naming the row. */
export function evalModel(model: NlmerModel, phi: Float64Array, covariates = model.covariates, y: Float64Array | null = model.y): ModelValues {
  const n = covariates.length > 0 ? covariates[0].length : model.n;
  const mu = new Float64Array(n);
  const grad = new Float64Array(n * model.params.length);
  const wrss = evalRows(model, phi, covariates, y, mu, grad, null);
  return { mu, grad, wrss };
}

/**
 * The rows' pass of an evaluation, into the caller's arrays: μ_i = f(x_i, φ_i), G_i = ∇f(x_i, φ_i) (the model's
 * `row`, writing at i·P), r_i = y_i − μ_i (into `resid` when given) and returns ‖y − μ‖² (0 without y).
 */
function evalRows(model: NlmerModel, phi: Float64Array, covariates: Float64Array[], y: Float64Array | null, mu: Float64Array, grad: Float64Array, resid: Float64Array | null): number {
  const n = mu.length;
  const P = model.params.length;
  const row = model.formula.model.row;
  // the self-starting models have one or two covariates (SSfol: Dose, input)
  const x0 = covariates[0];
  const x1 = covariates.length > 1 ? covariates[1] : x0;
  // finiteness: z = Σ (f_i·0 + Σ_k G_ik·0) is 0 unless a value is ±∞ or NaN; then the rows are searched for the first
  let wrss = 0, z = 0;
  for (let i = 0, o = 0; i < n; i++, o += P) {
    const v = row(x0[i], x1[i], phi, o, grad);
    z += v * 0;
    for (let k = 0; k < P; k++) z += grad[o + k] * 0;
    mu[i] = v;
    if (y) {
      const r = y[i] - v;
      if (resid) resid[i] = r;
      wrss += r * r;
    }
  }
  if (z !== 0) {
    for (let i = 0, o = 0; i < n; i++, o += P) {
      if (!Number.isFinite(mu[i])) throw notFinite(model, covariates, phi, i, mu[i], -1, grad);
      for (let k = 0; k < P; k++) if (!Number.isFinite(grad[o + k])) throw notFinite(model, covariates, phi, i, mu[i], k, grad);
    }
  }
  return wrss;
}

/** The error of a non-finite model value (k = −1) or gradient entry k at row i, naming the row's covariates and parameters. */
function notFinite(model: NlmerModel, covariates: Float64Array[], phi: Float64Array, i: number, v: number, k: number, grad: Float64Array): FitError {
  const P = model.params.length;
  const f = model.formula.model;
  const cov = model.formula.covariates.map((c, j) => `${c} = ${covariates[j][i]}`).join(', ');
  const at = model.params.map((nm, j) => `${nm} = ${phi[i * P + j]}`).join(', ');
  if (k < 0) return new FitError(`the model ${f.name} is not finite (${v}) at row ${i + 1} (${cov}; ${at})`);
  return new FitError(`the gradient of ${f.name} in ${f.parameters[k]} is not finite (${grad[i * P + k]}) at row ${i + 1} (${cov}; ${at})`);
}

/** φ = Xβ + ZΛu at the model's rows (row-major n × P). */
export function parametersAt(model: NlmerModel, theta: ArrayLike<number>, u: ArrayLike<number>, beta: ArrayLike<number>): Float64Array {
  const phi = new Float64Array(model.n * model.params.length);
  parametersInto(model, theta, u, beta, new Float64Array(model.q), phi);
  return phi;
}

/**
 * φ = Xβ + ZΛu into `phi` (row-major n × P), by rows: φ_{i,k} = β_k + Σ_t b_{t,ℓ_t(i),k} (model.ts), the terms'
 * effects b = (I ⊗ T_t) u_t written into `b` (length q, at each term's u offset) first.
 */
function parametersInto(model: NlmerModel, theta: ArrayLike<number>, u: ArrayLike<number>, beta: ArrayLike<number>, b: Float64Array, phi: Float64Array): void {
  const { n, terms, fixedParam } = model;
  const P = model.params.length;
  const p = fixedParam.length;
  for (const t of terms) termEffectsInto(t, theta, u, b, t.uOffset);
  // by columns, each entry's additions in the same order: 0 + β_k, then the terms' effects in order
  phi.fill(0);
  for (let c = 0; c < p; c++) {
    const bc = beta[c];
    for (let o = fixedParam[c], end = n * P; o < end; o += P) phi[o] += bc;
  }
  for (let ti = 0; ti < terms.length; ti++) {
    const t = terms[ti], k = t.k, codes = t.codes;
    for (let j = 0; j < k; j++) {
      const bj = t.uOffset + j;
      for (let i = 0, o = t.params[j]; i < n; i++, o += P) phi[o] += b[bj + codes[i] * k];
    }
  }
}

/** b_t = (I ⊗ T_t) u_t: the term's random effects by level (level-major, k per level). */
export function termEffects(t: NlmerModel['terms'][number], theta: ArrayLike<number>, u: ArrayLike<number>): Float64Array {
  const b = new Float64Array(t.levels.length * t.k);
  termEffectsInto(t, theta, u, b, 0);
  return b;
}

/** b_t = (I ⊗ T_t) u_t into b from offset `at` (level-major, k per level). */
function termEffectsInto(t: NlmerModel['terms'][number], theta: ArrayLike<number>, u: ArrayLike<number>, b: Float64Array, at: number): void {
  const T = termTemplate(t, theta);
  const nl = t.levels.length, k = t.k;
  for (let l = 0, o = t.uOffset, ob = at; l < nl; l++, o += k, ob += k) {
    for (let i = 0; i < k; i++) {
      let s = 0;
      for (let j = 0; j <= i; j++) s += T[i * k + j] * u[o + j];
      b[ob + i] = s;
    }
  }
}

/** One evaluation's rows: f, G and r = y − f, and ‖r‖² (wrss). */
interface EvalSlot { mu: Float64Array; grad: Float64Array; resid: Float64Array; wrss: number }

/**
 * A model's work buffers for PNLS, allocated once per model and reused by every solve: φ, the term effects b,
 * and two evaluation slots (the installed point and the trial step of the step halving, swapped when a step is
 * taken, so that the next iteration starts from the trial's values instead of evaluating them again).
 */
interface PnlsWork { phi: Float64Array; b: Float64Array; slots: [EvalSlot, EvalSlot] }

const works = new WeakMap<NlmerModel, PnlsWork>();

function workOf(model: NlmerModel): PnlsWork {
  let w = works.get(model);
  if (!w) {
    const { n, q } = model;
    const P = model.params.length;
    const slot = (): EvalSlot => ({ mu: new Float64Array(n), grad: new Float64Array(n * P), resid: new Float64Array(n), wrss: 0 });
    w = { phi: new Float64Array(n * P), b: new Float64Array(q), slots: [slot(), slot()] };
    works.set(model, w);
  }
  return w;
}

/** The model at (θ, u, β) into `slot`: φ = Xβ + ZΛu, then f, G, r = y − f and ‖r‖². */
function evaluateInto(model: NlmerModel, w: PnlsWork, theta: ArrayLike<number>, u: ArrayLike<number>, beta: ArrayLike<number>, slot: EvalSlot): void {
  parametersInto(model, theta, u, beta, w.b, w.phi);
  slot.wrss = evalRows(model, w.phi, model.covariates, model.y, slot.mu, slot.grad, slot.resid);
}

/** The result of a PNLS solve at θ. */
export interface PnlsResult {
  /** lme4's Laplace deviance (laplace.ts) at the solution */
  deviance: number;
  /** the installed u₀ and β₀ (the last step that converged is not installed, as lme4's) */
  u: Float64Array;
  beta: Float64Array;
  /** the last increments (lme4's delu, delb) */
  delu: Float64Array;
  delb: Float64Array;
  /** model values at (u, β) */
  mu: Float64Array;
  grad: Float64Array;
  /** ‖y − μ‖² at (u, β) */
  wrss: number;
  decomposition: Decomposition;
  iterations: number;
}

/**
 * lme4's prssUpdate from (u₀, β₀) at θ (header); `uOnly`: β stays β₀ (nlmer's second stage).
 * `laplace` turns the solution into the deviance; `structure` 'dense' takes the general dense L (decompose.ts).
 */
export function pnls(
  model: NlmerModel, theta: ArrayLike<number>, u0In: ArrayLike<number>, beta0In: ArrayLike<number>,
  uOnly: boolean, laplace: (ldL2: number, wrss: number, sqrL: number, n: number) => number, tol = 1e-10, maxit = 300,
  stallTol = 0, structure: DecompositionStructure = 'auto',
): PnlsResult {
  const { q, n } = model;
  const p = model.fixed.length;
  // u₀, β₀ and the trial step's u₁, β₁ (swapped when a step is taken)
  let u0 = Float64Array.from(u0In);
  let beta0 = Float64Array.from(beta0In);
  let u1 = new Float64Array(q);
  let b1 = new Float64Array(p);
  const w = workOf(model);
  let cur = w.slots[0], trial = w.slots[1];
  evaluateInto(model, w, theta, u0, beta0, cur);
  const result = (d: Decomposition, delu: Float64Array, delb: Float64Array, it: number): PnlsResult => {
    let sqrL = 0;
    for (let j = 0; j < q; j++) { const uj = u0[j] + delu[j]; sqrL += uj * uj; }
    return {
      deviance: laplace(d.ldL2, cur.wrss, sqrL, n), u: u0, beta: beta0, delu, delb,
      mu: cur.mu.slice(), grad: cur.grad.slice(), wrss: cur.wrss, decomposition: d, iterations: it,
    };
  };
  for (let it = 0; it < maxit; it++) {
    const d = decompose(model, theta, cur.grad, cur.resid, structure);
    let u2 = 0;
    for (let j = 0; j < q; j++) u2 += u0[j] * u0[j];
    const pwrss0 = cur.wrss + u2;
    // c_u = L⁻¹(ΛᵀUᵀr − u₀)
    const delu = new Float64Array(q);
    for (let j = 0; j < q; j++) delu[j] = d.Utr[j] - u0[j];
    solveL(d, delu);
    let ccNumer = 0;
    for (let j = 0; j < q; j++) ccNumer += delu[j] * delu[j];
    const delb = new Float64Array(p);
    if (!uOnly) {
      // c_β = R_X⁻¹(Vᵀr − R_ZXᵀ c_u) (R_X lower here), δβ = R_X⁻ᵀ c_β, c_u −= R_ZX δβ
      for (let c = 0; c < p; c++) {
        let sum = d.Vtr[c];
        for (let j = 0; j < q; j++) sum -= d.RZX[j * p + c] * delu[j];
        delb[c] = sum;
      }
      solveLower(d.RX, p, delb);
      for (let c = 0; c < p; c++) ccNumer += delb[c] * delb[c];
      solveLowerT(d.RX, p, delb);
      for (let j = 0; j < q; j++) {
        let sum = 0;
        for (let c = 0; c < p; c++) sum += d.RZX[j * p + c] * delb[c];
        delu[j] -= sum;
      }
    }
    solveLT(d, delu);
    const ccrit = ccNumer / pwrss0;
    if (ccrit < tol) return result(d, delu, delb, it);
    // step halving (nstepFac): r²(u₀ + h δu, β₀ + h δβ) into the trial slot
    let installed = false;
    for (let fac = 1; fac > 0.001; fac /= 2) {
      let s1 = 0;
      for (let j = 0; j < q; j++) { const v = u0[j] + fac * delu[j]; u1[j] = v; s1 += v * v; }
      for (let c = 0; c < p; c++) b1[c] = beta0[c] + fac * delb[c];
      try {
        evaluateInto(model, w, theta, u1, b1, trial);
      } catch {
        continue; // a trial step where the model is not finite (R: a NaN prss, not lower): a shorter one
      }
      if (trial.wrss + s1 < pwrss0) {
        // installed: the trial's values are the next iteration's (the same numbers as evaluating there again)
        const u = u0, b = beta0, slot = cur;
        u0 = u1; u1 = u;
        beta0 = b1; b1 = b;
        cur = trial; trial = slot;
        installed = true;
        break;
      }
    }
    // no step lowers r² at rounding level: converged as far as float64 goes (a caller's tight tol)
    if (!installed && ccrit < stallTol) return result(d, delu, delb, it);
    if (!installed) throw new FitError('PNLS: step factor reduced below 0.001 without reducing pwrss (lme4: nstepFac)');
  }
  throw new FitError(`PNLS did not converge in ${maxit} iterations (lme4: prss{Update} failed to converge in 'maxit' iterations)`);
}
