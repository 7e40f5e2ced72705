/**
 * glmmTMB's REML = TRUE (fit.ts): the joint precision of (β̂, x̂_o) that glmmTMB's vcov reads — TMB's sdreport
 * jointPrecision of (b, β, x_o) with the random effects b marginalized (GMRFmarginal) — from
 *   S = R_XXᵀR_XX   β's precision given x_o, b integrated out: the Schur complement XᵀWX − R_ZXᵀR_ZX of the
 *                   joint Hessian of h in (u, β) at the mode (src/glmm/rowLaplace.ts);
 *   J = dβ̃/dx_o     the mode's derivatives in the outer parameters (p × n_o);
 *   P               the Hessian of the restricted objective in x_o (n_o × n_o).
 * With β = β̃(x_o) + e, e ~ N(0, S⁻¹), linearized about x̂_o, and x_o ~ N(x̂_o, P⁻¹) (TMB's construction):
 *   Q = [S, −SJ; −JᵀS, P + JᵀSJ],   Q⁻¹ = [S⁻¹ + J P⁻¹ Jᵀ, J P⁻¹; P⁻¹Jᵀ, P⁻¹].
 */

/**
 * S = L_X L_Xᵀ from the leading p × p of the blocked Cholesky factor's L_XX (R_XXᵀ, lower, row-major with
 * row stride p + 1; src/linalg/blockedCholesky.ts), p × p row-major.
 */
export function schurPrecision(LXX: ArrayLike<number>, p: number): Float64Array {
  const p1 = p + 1;
  const S = new Float64Array(p * p);
  // S_ab = Σ_k L_ak L_bk over k ≤ min(a, b)
  for (let a = 0; a < p; a++) {
    for (let b = 0; b <= a; b++) {
      let v = 0;
      for (let k = 0; k <= b; k++) v += LXX[a * p1 + k] * LXX[b * p1 + k];
      S[a * p + b] = v;
      S[b * p + a] = v;
    }
  }
  return S;
}

/** Q above, (p + n_o)² row-major in the order (β, x_o); S p × p, J p × n_o, P n_o × n_o, all row-major. */
export function remlJointPrecision(S: ArrayLike<number>, J: ArrayLike<number>, P: ArrayLike<number>, p: number, no: number): Float64Array {
  const np = p + no;
  const Q = new Float64Array(np * np);
  // SJ = S J (p × n_o)
  const SJ = new Float64Array(p * no);
  for (let a = 0; a < p; a++) for (let k = 0; k < no; k++) { let v = 0; for (let b = 0; b < p; b++) v += S[a * p + b] * J[b * no + k]; SJ[a * no + k] = v; }
  // [S, −SJ; −JᵀS, ·]
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) Q[a * np + b] = S[a * p + b];
    for (let k = 0; k < no; k++) { Q[a * np + p + k] = -SJ[a * no + k]; Q[(p + k) * np + a] = -SJ[a * no + k]; }
  }
  // P + JᵀSJ
  for (let k = 0; k < no; k++) {
    for (let l = 0; l < no; l++) {
      let v = P[k * no + l];
      for (let a = 0; a < p; a++) v += J[a * no + k] * SJ[a * no + l];
      Q[(p + k) * np + p + l] = v;
    }
  }
  return Q;
}
