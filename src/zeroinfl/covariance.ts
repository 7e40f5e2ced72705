/**
 * glmmTMB's parametrization of a random-effects term's covariance (its "us" structure, the default of
 * a term (x₁ + … + x_q | g)), and lme4's θ from it (the template of src/model/lambda.ts).
 *
 * A term of q columns has q(q + 1)/2 parameters ψ (glmmTMB's theta): q log-SDs, then q(q − 1)/2
 * correlation parameters c (TMB's UNSTRUCTURED_CORR: a unit lower-triangular L filled row by row,
 * L_ij = c_k for i > j in the order (1,0), (2,0), (2,1), …):
 *
 *   C = D^{-1/2} L Lᵀ D^{-1/2},   D = diag(L Lᵀ),   Σ = S C S,   S = diag(exp ψ_1 … exp ψ_q)
 *
 * (for q = 2: ρ = c/√(1 + c²)). b_g = T u_g with u_g ~ N(0, I) needs T Tᵀ = Σ, and
 *
 *   T = S D^{-1/2} L      (lower triangular with a positive diagonal: the Cholesky factor of Σ)
 *
 * since (S D^{-1/2} L)(S D^{-1/2} L)ᵀ = S C S. A scalar term: T = exp ψ, glmmTMB's SD.
 */
import type { ReTerm } from '../frame/modelFrame.js';

/** the number of glmmTMB covariance parameters of a term with q columns: q log-SDs and q(q − 1)/2 correlations */
export function termParameterCount(q: number): number {
  return (q * (q + 1)) / 2;
}

/** the unit lower-triangular L (q × q row-major) of TMB's UNSTRUCTURED_CORR from the correlation parameters c */
function unitLower(q: number, c: ArrayLike<number>, off: number): Float64Array {
  const L = new Float64Array(q * q);
  let k = 0;
  for (let i = 0; i < q; i++) {
    L[i * q + i] = 1;
    for (let j = 0; j < i; j++) L[i * q + j] = c[off + k++];
  }
  return L;
}

/** A term's SDs and correlation matrix (q × q row-major) from its ψ at offset `off`: S and C above. */
export function termCovariance(q: number, psi: ArrayLike<number>, off: number): { sd: Float64Array; corr: Float64Array } {
  const sd = Float64Array.from({ length: q }, (_, j) => Math.exp(psi[off + j]));
  const corr = new Float64Array(q * q);
  if (q === 1) { corr[0] = 1; return { sd, corr }; }
  const L = unitLower(q, psi, off + q);
  // (L Lᵀ)_ij = Σ_k L_ik L_jk;  C_ij = (L Lᵀ)_ij / √((L Lᵀ)_ii (L Lᵀ)_jj)
  const llt = new Float64Array(q * q);
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
    let v = 0;
    for (let k = 0; k <= Math.min(i, j); k++) v += L[i * q + k] * L[j * q + k];
    llt[i * q + j] = v;
  }
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) corr[i * q + j] = i === j ? 1 : llt[i * q + j] / Math.sqrt(llt[i * q + i] * llt[j * q + j]);
  return { sd, corr };
}

/**
 * lme4's θ (the column-major lower triangles of the terms' T, src/model/lambda.ts's layout) from
 * glmmTMB's ψ of the same terms in the same order: T = S D^{-1/2} L per term.
 */
export function lme4Theta(terms: Pick<ReTerm, 'q'>[], psi: ArrayLike<number>): Float64Array {
  const theta = new Float64Array(terms.reduce((s, t) => s + termParameterCount(t.q), 0));
  let off = 0;
  for (const t of terms) {
    const q = t.q;
    if (q === 1) {
      theta[off] = Math.exp(psi[off]);
      off++;
      continue;
    }
    const L = unitLower(q, psi, off + q);
    // row i of T: exp ψ_i / √D_ii × L_i·,  D_ii = Σ_k L_ik²
    const T = new Float64Array(q * q);
    for (let i = 0; i < q; i++) {
      let d = 0;
      for (let k = 0; k <= i; k++) d += L[i * q + k] * L[i * q + k];
      const f = Math.exp(psi[off + i]) / Math.sqrt(d);
      for (let k = 0; k <= i; k++) T[i * q + k] = f * L[i * q + k];
    }
    let idx = off;
    for (let j = 0; j < q; j++) for (let i = j; i < q; i++) theta[idx++] = T[i * q + j];
    off += termParameterCount(q);
  }
  return theta;
}
