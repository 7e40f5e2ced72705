/**
 * Var(β̂) of a GLMM as lme4's vcov for glmer (whose default computes the derivatives): the β block of
 * the inverse of half the finite-difference Hessian of the deviance in (θ, β) at the optimum.
 */
import { choleskyInPlace, invertGaussJordan } from '../linalg/dense.js';

/** Var(β̂) = 2 (H⁻¹)_ββ (the deviance is −2ℓ), or null when H⁻¹'s β block is not positive definite. */
export function hessianVcov(H: Float64Array, nth: number, p: number): Float64Array | null {
  const n = nth + p;
  const inv = invertGaussJordan(H, n);
  if (!inv) return null;
  const V = new Float64Array(p * p);
  for (let r = 0; r < p; r++) for (let s = 0; s < p; s++) V[r * p + s] = inv[(nth + r) * n + nth + s] + inv[(nth + s) * n + nth + r];
  // positive definite?
  try {
    choleskyInPlace(Float64Array.from(V), p);
  } catch {
    return null;
  }
  return V;
}
