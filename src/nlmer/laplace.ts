/**
 * lme4's Laplace deviance of a nonlinear mixed model with σ profiled (1.1-31 respModule.cpp
 * nlsResp::Laplace), at the PNLS solution:
 *   −2ℓ(θ, β) ≈ log|L|² + n (1 + log(2π r² / n)),   r² = ‖y − f‖² + ‖u‖²
 * (no log|R_X|² term: nlmer's criterion is ML in both stages). lme4 takes ‖y − f‖² at the installed
 * u₀ and ‖u‖² at u₀ + δu, the last (converged, not installed) Gauss–Newton step: so do we.
 */
export function nlmerLaplace(ldL2: number, wrss: number, sqrL: number, n: number): number {
  return ldL2 + n * (1 + Math.log((2 * Math.PI * (wrss + sqrL)) / n));
}
