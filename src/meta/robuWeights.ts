/**
 * robumeta's working-model weights (Hedges, Tipton & Johnson 2010; robumeta 2.0's robu):
 *
 *   CORR (correlated effects)   w_ij = 1 / (k_j (v̄_j + τ²)),   v̄_j = (1/k_j) Σ_i v_ij       (HTJ eq. 4.3)
 *   HIER (hierarchical effects) w_ij = 1 / (v_ij + τ² + ω²)                                   (HTJ eq. 4.8)
 *
 * k_j the number of effect sizes of study j. With τ² = ω² = 0 these are the first-step weights that
 * robu's moment estimators start from (1/(k_j v̄_j) and 1/v_ij).
 */

/** v̄_j of each effect size's study (robu's avg.var.eff.size), per row. */
export function studyMeanVariance(v: Float64Array, clusters: readonly Int32Array[]): Float64Array {
  const out = new Float64Array(v.length);
  for (const rows of clusters) {
    let s = 0;
    for (const i of rows) s += v[i];
    const mean = s / rows.length;
    for (const i of rows) out[i] = mean;
  }
  return out;
}

/** Correlated effects: w_ij = 1 / (k_j (v̄_j + τ²)). */
export function corrWeights(v: Float64Array, clusters: readonly Int32Array[], tau2 = 0): Float64Array {
  const vbar = studyMeanVariance(v, clusters);
  const w = new Float64Array(v.length);
  for (const rows of clusters) for (const i of rows) w[i] = 1 / (rows.length * (vbar[i] + tau2));
  return w;
}

/** Hierarchical effects: w_ij = 1 / (v_ij + τ² + ω²). */
export function hierWeights(v: Float64Array, tau2 = 0, omega2 = 0): Float64Array {
  return Float64Array.from(v, (vi) => 1 / (vi + tau2 + omega2));
}
