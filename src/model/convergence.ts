/**
 * lme4's convergence checks at the optimum (checkConv, checkHess; lme4 1.1-31's messages and codes):
 * from the central-difference gradient g and Hessian H of the criterion at the optimum (lme4's
 * `optinfo$derivs`: lmer's profiled criterion in θ, glmer's deviance in (θ, β); src/optim/deriv12.ts).
 *
 *  - the gradient: H = RᵀR (R = chol(H), upper triangular), the scaled gradient s = R⁻¹ g (lme4's
 *    solve(chol(Hessian), gradient)); the fit has not converged when max_i min(|s_i|, |g_i|) > tol
 *    (0.002): "Model failed to converge with max|grad| = …";
 *  - the Hessian's eigenvalues λ: any λ < −tol (1e-6) is a saddle ("degenerate Hessian with k negative
 *    eigenvalues"); |λ| < tol or no Cholesky factor: "numerically singular"; else λ_max·tol > 1 ("very
 *    large eigenvalue") and λ_min/λ_max < tol ("large eigenvalue ratio"): nearly unidentifiable.
 *
 * A singular fit (a diagonal element of Λ's template at its bound 0) is not checked further, as lme4
 * (its message is the fit's own, src/model/lambda.ts). When lme4 computes the derivatives by default
 * is its rule since lme4 2.0 (`derivsByDefault`): with 10,000 observations or more (or many variance
 * parameters) it neither computes nor checks them — an absolute gradient tolerance on a criterion that
 * grows with n gives false alarms on large data — while lme4 1.1-31 checks every fit.
 */
import { choleskyInPlace } from '../linalg/dense.js';
import { symmetricEigen } from '../linalg/symmetricEigen.js';

/** The gradient and Hessian (n × n row-major) of the criterion at the optimum, in lme4's coordinates. */
export interface Derivatives {
  gradient: Float64Array;
  hessian: Float64Array;
}

/** lme4's optinfo$conv$lme4: the checks' codes and messages (both empty when none fired). */
export interface ConvergenceCheck {
  code: number[];
  messages: string[];
}

/** lmerControl()$checkConv's tolerances (check.conv.grad, check.conv.hess). */
export interface CheckConvControl {
  /** the largest min(|scaled gradient|, |gradient|) allowed (check.conv.grad's tol) */
  gradTol: number;
  /** the eigenvalue tolerance (check.conv.hess's tol) */
  hessTol: number;
}

export const CHECK_CONV: CheckConvControl = { gradTol: 2e-3, hessTol: 1e-6 };

/**
 * Whether lme4 (2.0 and later) computes the derivatives and checks them by default:
 * nobs < check.conv.nobsmax (1e4) and the number of variance parameters < check.conv.nparmax (10
 * for lmer, 20 for glmer).
 */
export function derivsByDefault(nobs: number, ntheta: number, glmm: boolean): boolean {
  return nobs < 1e4 && ntheta < (glmm ? 20 : 10);
}

/** R's %g (sprintf's six significant digits, trailing zeros dropped), as lme4's gettextf prints numbers. */
export function sprintfG(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'Inf' : x < 0 ? '-Inf' : 'NaN';
  if (x === 0) return '0';
  const e = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(6)))));
  if (e < -4 || e >= 6) {
    const [m, ex] = x.toExponential(5).split('e');
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Number(ex);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = x.toFixed(Math.max(0, 5 - e));
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/**
 * lme4's checkHess: the eigenvalue checks of a Hessian (n × n), with `hesstype` in its messages
 * ("" for the whole Hessian).
 */
export function checkHess(H: Float64Array, n: number, tol: number, hesstype = ''): ConvergenceCheck {
  if (!H.every(Number.isFinite)) return { code: [-6], messages: ['Problem with Hessian check (infinite or missing values?)'] };
  const { values } = symmetricEigen(H, n);
  const negative = values.filter((v) => v < -tol).length;
  if (negative) {
    return { code: [-3], messages: [`Model failed to converge: degenerate ${hesstype} Hessian with ${negative} negative eigenvalues`] };
  }
  const zero = values.filter((v) => Math.abs(v) < tol).length;
  let factored = true;
  try {
    choleskyInPlace(Float64Array.from(H), n);
  } catch {
    factored = false;
  }
  if (zero || !factored) {
    return { code: [-4], messages: [`${hesstype} Hessian is numerically singular: parameters are not uniquely determined`] };
  }
  const max = values[0], min = values[n - 1];
  const res: ConvergenceCheck = { code: [], messages: [] };
  if (max * tol > 1) {
    res.code.push(2);
    res.messages.push('Model is nearly unidentifiable: very large eigenvalue\n - Rescale variables?');
  }
  if (min / max < tol) {
    res.code.push(3);
    res.messages.push('Model is nearly unidentifiable: large eigenvalue ratio\n - Rescale variables?');
  }
  if (res.code.length === 0) res.code.push(0);
  return res;
}

/**
 * The scaled gradient s = R⁻¹ g with H = RᵀR (lme4's solve(chol(Hessian), gradient)): with H = L Lᵀ,
 * R = Lᵀ and s solves Lᵀ s = g by back substitution. Null when H has no Cholesky factor.
 */
export function scaledGradient(d: Derivatives): Float64Array | null {
  const n = d.gradient.length;
  const L = Float64Array.from(d.hessian);
  try {
    choleskyInPlace(L, n);
  } catch {
    return null;
  }
  const s = Float64Array.from(d.gradient);
  // Lᵀ s = g: s_i = (g_i − Σ_{k>i} L_ki s_k) / L_ii
  for (let i = n - 1; i >= 0; i--) {
    let v = s[i];
    for (let k = i + 1; k < n; k++) v -= L[k * n + i] * s[k];
    s[i] = v / L[i * n + i];
  }
  return s.every(Number.isFinite) ? s : null;
}

/**
 * lme4's checkConv after its singularity check (the caller's): the gradient check, then the Hessian's.
 * lme4 1.1-31 checks the whole Hessian, of θ for lmer and of (θ, β) for glmer. The message names the
 * component with the largest min(|s_i|, |g_i|) (lme4 always prints component 1: which.max of a
 * scalar).
 */
export function checkConv(d: Derivatives, ctrl: CheckConvControl = CHECK_CONV): ConvergenceCheck {
  const n = d.gradient.length;
  if (!d.gradient.every((g) => !Number.isNaN(g))) return { code: [-5], messages: ['Gradient contains NAs'] };
  const res: ConvergenceCheck = { code: [], messages: [] };
  const s = scaledGradient(d);
  if (!s) {
    res.code = [-1];
    res.messages.push('unable to evaluate scaled gradient');
  } else {
    let max = -Infinity, at = 0;
    for (let i = 0; i < n; i++) {
      const m = Math.min(Math.abs(s[i]), Math.abs(d.gradient[i]));
      if (m > max) { max = m; at = i; }
    }
    if (max > ctrl.gradTol) {
      res.code = [-1];
      res.messages.push(`Model failed to converge with max|grad| = ${sprintfG(max)} (tol = ${sprintfG(ctrl.gradTol)}, component ${at + 1})`);
    }
  }
  const hess = checkHess(d.hessian, n, ctrl.hessTol);
  if (hess.code.some((c) => c !== 0)) {
    res.code = hess.code;
    res.messages.push(...hess.messages);
  }
  // no check fired: lme4's empty list()
  return res;
}
