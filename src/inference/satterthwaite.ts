/**
 * Satterthwaite's denominator degrees of freedom as lmerTest computes them (Kuznetsova, Brockhoff &
 * Christensen 2017), with exact derivatives instead of lmerTest's numerical ones.
 *
 * lmerTest's variance parameters are varpar = (θ, σ) and its deviance is (lmerTest::devfun_vp)
 *   REML: d(θ, σ) = log|L_θ|² + log|R_X|² + r²(θ)/σ² + (n − p) log(2πσ²)
 *   ML:   d(θ, σ) = log|L_θ|² + r²(θ)/σ² + n log(2πσ²)
 * with the Hessian H = ∂²d/∂varpar², A = 2 H⁺ (Moore–Penrose, eigenvalues ≤ 1e-8 dropped) the
 * asymptotic covariance of varpar, and Var(β̂)(θ, σ) = σ² (R_XᵀR_X)⁻¹ with its Jacobian
 * J_i = ∂Var(β̂)/∂varpar_i. For a contrast ℓ: ν = 2 (ℓᵀVℓ)² / (gᵀ A g), g_i = ℓᵀ J_i ℓ.
 *
 * The θ-derivatives of log|L_θ|², R_XᵀR_X and r² come from one jet factorization (jetFactor.ts:
 * forward-mode second-order differentiation through the blocked Cholesky); σ enters in closed form:
 *   ∂²d/∂θ∂θ = ∂²(log|L|² [+ log|R_X|²]) + ∂²r²/σ²,  ∂²d/∂θ∂σ = −2 ∂r²/σ³,
 *   ∂²d/∂σ² = 6 r²/σ⁴ − 2 (n − p)/σ²  (ML: n),
 *   ∂V/∂θ_i = −σ² S⁻¹ (∂S/∂θ_i) S⁻¹,  ∂V/∂σ = 2σ S⁻¹,  S = R_XᵀR_X.
 */
import type { BlockedCholesky } from '../linalg/blockedCholesky.js';
import { mapBeta, mapVcov } from '../model/fixedTransform.js';
import type { LmmModel } from '../lmm/model.js';
import { inverse, pseudoInverse } from './eigen.js';
import { JetSpace } from './jet.js';
import { jetFactor, schurJets } from './jetFactor.js';
import { thetaTemplates } from './templates.js';

/** What lmerTest keeps for its tests (lmerModLmerTest's slots), in the model's β coordinates. */
export interface VarparCovariance {
  /** lmerTest's varpar = (θ, σ) at which everything was evaluated */
  varpar: Float64Array;
  /** ∂²d/∂varpar², np × np row-major */
  hessian: Float64Array;
  /** ∂d/∂θ at σ̂ (the θ part of d's gradient; its σ part is 0 there): what a change of coordinates needs */
  gradient: Float64Array;
  /** A = 2 H⁺, np × np row-major (lmerTest's vcov_varpar) */
  vcovVarpar: Float64Array;
  /** J_i = ∂Var(β̂)/∂varpar_i, each p × p row-major (lmerTest's Jac_list) */
  jacobian: Float64Array[];
  /** Var(β̂) = σ² (R_XᵀR_X)⁻¹, p × p */
  vcovBeta: Float64Array;
  beta: Float64Array;
  sigma: number;
  /** lmerTest's warnings on the Hessian's eigenvalues (negative, or near zero) */
  warnings: string[];
}

export interface SatterthwaiteInput {
  /** the float64 factor's structure on the model's Gram matrix */
  chol: BlockedCholesky;
  model: Pick<LmmModel, 'blocks' | 'transforms' | 'fixed' | 'frame' | 'reml'>;
  /** lme4's θ */
  theta: ArrayLike<number>;
}

/** lmerTest's vcov_varpar and Jac_list at θ (σ, β and Var(β̂) follow from θ). */
export function varparCovariance({ chol, model, theta }: SatterthwaiteInput): VarparCovariance {
  const { fixed, reml } = model;
  const { n, p } = model.frame;
  const nt = theta.length;
  const J = new JetSpace(nt);
  const nc = J.nc;
  const { ldL2, S } = jetFactor(J, chol, thetaTemplates(J, model.blocks, model.transforms, theta));
  const { ldRX2, pwrss, SXX, betaC } = schurJets(J, S, p);
  const r2 = pwrss[0];
  const dof = reml ? n - p : n;
  const sigma = Math.sqrt(r2 / dof);
  const s2 = sigma * sigma;
  const np = nt + 1;
  const hessian = new Float64Array(np * np);
  const crit = J.alloc(1);
  J.axpy(1, ldL2, 0, crit, 0);
  if (reml) J.axpy(1, ldRX2, 0, crit, 0);
  J.axpy(1 / s2, pwrss, 0, crit, 0);
  const h = J.unpack(crit);
  const g = J.unpack(pwrss);
  for (let i = 0; i < nt; i++) {
    for (let j = 0; j < nt; j++) hessian[i * np + j] = h.hessian[i * nt + j];
    hessian[i * np + nt] = hessian[nt * np + i] = (-2 * g.gradient[i]) / (s2 * sigma);
  }
  hessian[nt * np + nt] = (6 * r2) / (s2 * s2) - (2 * dof) / s2;
  const { vcovVarpar, warnings } = varparFromHessian(hessian, np);
  // Var(β_c) and its Jacobian in the transformed coordinates, then mapped (C · Cᵀ)
  const Sinv = inverse(Float64Array.from({ length: p * p }, (_, e) => SXX[e * nc]), p, 'R_X\'R_X');
  const jacobian: Float64Array[] = [];
  for (let i = 0; i < nt; i++) {
    const dS = Float64Array.from({ length: p * p }, (_, e) => SXX[e * nc + 1 + i]);
    const M = new Float64Array(p * p);
    // −σ² S⁻¹ dS S⁻¹
    const T = new Float64Array(p * p);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
      let acc = 0;
      for (let c = 0; c < p; c++) acc += Sinv[a * p + c] * dS[c * p + b];
      T[a * p + b] = acc;
    }
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
      let acc = 0;
      for (let c = 0; c < p; c++) acc += T[a * p + c] * Sinv[c * p + b];
      M[a * p + b] = -s2 * acc;
    }
    jacobian.push(mapVcov(fixed, M));
  }
  jacobian.push(mapVcov(fixed, Sinv.map((v) => 2 * sigma * v)));
  const vcovBeta = mapVcov(fixed, Sinv.map((v) => s2 * v));
  const beta = mapBeta(fixed, betaC);
  return { varpar: Float64Array.from([...Array.from(theta), sigma]), hessian, gradient: Float64Array.from(h.gradient), vcovVarpar, jacobian, vcovBeta, beta, sigma, warnings };
}

/** lmerTest's A = 2 H⁺ (eigenvalues ≤ 1e-8 dropped) and its warnings on H's eigenvalues. */
export function varparFromHessian(hessian: Float64Array, np: number): { vcovVarpar: Float64Array; warnings: string[] } {
  const eig = pseudoInverse(hessian, np, 1e-8);
  const vcovVarpar = eig.inverse.map((v) => 2 * v);
  const warnings: string[] = [];
  const neg = Array.from(eig.values).filter((v) => v < -1e-8);
  const zero = Array.from(eig.values).filter((v) => v >= -1e-8 && v <= 1e-8);
  if (neg.length) warnings.push(`Model failed to converge with ${neg.length} negative eigenvalue${neg.length > 1 ? 's' : ''}: ${neg.map((v) => v.toExponential(1)).join(' ')}`);
  if (zero.length) warnings.push(`Model may not have converged with ${zero.length} eigenvalue${zero.length > 1 ? 's' : ''} close to zero: ${zero.map((v) => v.toExponential(1)).join(' ')}`);
  return { vcovVarpar, warnings };
}
