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
  const P = model.params.length;
  const f = model.formula.model;
  const mu = new Float64Array(n);
  const grad = new Float64Array(n * P);
  const g = new Float64Array(P);
  const x = new Array<number>(covariates.length);
  const p = new Array<number>(P);
  let wrss = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < covariates.length; c++) x[c] = covariates[c][i];
    for (let k = 0; k < P; k++) p[k] = phi[i * P + k];
    const v = f.eval(x, p, g);
    if (!Number.isFinite(v)) {
      const at = model.params.map((nm, k) => `${nm} = ${p[k]}`).join(', ');
      throw new FitError(`the model ${f.name} is not finite (${v}) at row ${i + 1} (${model.formula.covariates.map((c, k) => `${c} = ${x[k]}`).join(', ')}; ${at})`);
    }
    mu[i] = v;
    for (let k = 0; k < P; k++) {
      if (!Number.isFinite(g[k])) throw new FitError(`the gradient of ${f.name} in ${f.parameters[k]} is not finite (${g[k]}) at row ${i + 1} (${model.formula.covariates.map((c, j) => `${c} = ${x[j]}`).join(', ')}; ${model.params.map((nm, j) => `${nm} = ${p[j]}`).join(', ')})`);
      grad[i * P + k] = g[k];
    }
    if (y) { const r = y[i] - v; wrss += r * r; }
  }
  return { mu, grad, wrss };
}

/** φ = Xβ + ZΛu at the model's rows (row-major n × P). */
export function parametersAt(model: NlmerModel, theta: ArrayLike<number>, u: ArrayLike<number>, beta: ArrayLike<number>): Float64Array {
  const { n, terms } = model;
  const P = model.params.length;
  const phi = new Float64Array(n * P);
  for (let i = 0; i < n; i++) for (let c = 0; c < model.fixed.length; c++) phi[i * P + model.fixedParam[c]] += beta[c];
  for (const t of terms) {
    const b = termEffects(t, theta, u);
    for (let i = 0; i < n; i++) {
      const l = t.codes[i];
      for (let j = 0; j < t.k; j++) phi[i * P + t.params[j]] += b[l * t.k + j];
    }
  }
  return phi;
}

/** b_t = (I ⊗ T_t) u_t: the term's random effects by level (level-major, k per level). */
export function termEffects(t: NlmerModel['terms'][number], theta: ArrayLike<number>, u: ArrayLike<number>): Float64Array {
  const T = termTemplate(t, theta);
  const nl = t.levels.length, k = t.k;
  const b = new Float64Array(nl * k);
  for (let l = 0; l < nl; l++) {
    for (let i = 0; i < k; i++) {
      let s = 0;
      for (let j = 0; j <= i; j++) s += T[i * k + j] * u[t.uOffset + l * k + j];
      b[l * k + i] = s;
    }
  }
  return b;
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
  const { q, y, n } = model;
  const p = model.fixed.length;
  let u0 = Float64Array.from(u0In);
  let beta0 = Float64Array.from(beta0In);
  const resid = new Float64Array(n);
  for (let it = 0; it < maxit; it++) {
    const mv = evalModel(model, parametersAt(model, theta, u0, beta0));
    for (let i = 0; i < n; i++) resid[i] = y[i] - mv.mu[i];
    const d = decompose(model, theta, mv.grad, resid, structure);
    let u2 = 0;
    for (let j = 0; j < q; j++) u2 += u0[j] * u0[j];
    const pwrss0 = mv.wrss + u2;
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
    if (ccrit < tol) {
      let sqrL = 0;
      for (let j = 0; j < q; j++) { const uj = u0[j] + delu[j]; sqrL += uj * uj; }
      return { deviance: laplace(d.ldL2, mv.wrss, sqrL, n), u: u0, beta: beta0, delu, delb, mu: mv.mu, grad: mv.grad, wrss: mv.wrss, decomposition: d, iterations: it };
    }
    // step halving (nstepFac)
    let installed = false;
    for (let fac = 1; fac > 0.001; fac /= 2) {
      const u1 = Float64Array.from(u0, (v, j) => v + fac * delu[j]);
      const b1 = Float64Array.from(beta0, (v, c) => v + fac * delb[c]);
      let s1 = 0;
      for (let j = 0; j < q; j++) s1 += u1[j] * u1[j];
      let prss1: number;
      try {
        prss1 = evalModel(model, parametersAt(model, theta, u1, b1)).wrss + s1;
      } catch {
        continue; // a trial step where the model is not finite (R: a NaN prss, not lower): a shorter one
      }
      if (prss1 < pwrss0) { u0 = u1; beta0 = b1; installed = true; break; }
    }
    if (!installed && ccrit < stallTol) {
      // no step lowers r² at rounding level: converged as far as float64 goes (a caller's tight tol)
      let sqrL = 0;
      for (let j = 0; j < q; j++) { const uj = u0[j] + delu[j]; sqrL += uj * uj; }
      return { deviance: laplace(d.ldL2, mv.wrss, sqrL, n), u: u0, beta: beta0, delu, delb, mu: mv.mu, grad: mv.grad, wrss: mv.wrss, decomposition: d, iterations: it };
    }
    if (!installed) throw new FitError('PNLS: step factor reduced below 0.001 without reducing pwrss (lme4: nstepFac)');
  }
  throw new FitError(`PNLS did not converge in ${maxit} iterations (lme4: prss{Update} failed to converge in 'maxit' iterations)`);
}
