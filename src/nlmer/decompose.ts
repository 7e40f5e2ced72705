/**
 * PNLS's decomposition at (θ, G) (lme4 1.1-31 merPredD::updateXwts/updateDecomp for nlmer; the
 * paper's L, R_ZX and R_X, Bates et al. 2015 eqs. 18–20, with the model's Jacobian in place of Z):
 *   U Λ: row i = Σ_m G_{i, param m} (Z_m Λ)_i  (the Jacobian of f in u),   V: row i = G_i on X's columns,
 *   L Lᵀ = ΛᵀUᵀUΛ + I,   R_ZX = L⁻¹ ΛᵀUᵀV,   R_X R_Xᵀ = VᵀV − R_ZXᵀ R_ZX   (R_X lower here),
 *   and the right-hand sides ΛᵀUᵀr, Vᵀr (r = y − f).
 * Two storages of L, the same numbers:
 *  - one random-effects term (one grouping factor, k parameters): row i touches only its level ℓ's k
 *    columns of UΛ, so ΛᵀUᵀUΛ + I is block diagonal with one k × k block per level and L is too —
 *    L_ℓ L_ℓᵀ = Σ_{i in ℓ} a_i a_iᵀ + I, R_ZX,ℓ = L_ℓ⁻¹ B_ℓ (B_ℓ = Σ_{i in ℓ} a_i v_iᵀ, k × p), and
 *    R_X's downdate is the sum of the levels' Schur complements Σ_ℓ R_ZX,ℓᵀ R_ZX,ℓ: O(n k² + nl k³ + q p²)
 *    time and O(nl k²) memory per decomposition;
 *  - several terms (nested or crossed factors): L dense q × q, O(q³) time and O(q²) memory (the
 *    general path; `structure: 'dense'` takes it for one term too, to test the blocks against it).
 */
import { FitError } from '../errors/errors.js';
import { choleskyInPlace, solveLower, solveLowerColumns, solveLowerT } from '../linalg/dense.js';
import { type NlmerModel, termTemplate } from './model.js';

/** 'auto': the level blocks where the model has one random-effects term, else dense; 'dense': always dense. */
export type DecompositionStructure = 'auto' | 'dense';

/** The decomposition at (θ, G): L, R_ZX (q × p, row-major), R_X (p × p lower), ΛᵀUᵀr, Vᵀr. */
export interface Decomposition {
  /** blockSize 0: L dense q × q lower (row-major); blockSize k: the q/k diagonal k × k blocks of L, level after level */
  L: Float64Array;
  blockSize: number;
  ldL2: number;
  RZX: Float64Array;
  RX: Float64Array;
  ldRX2: number;
  Utr: Float64Array;
  Vtr: Float64Array;
}

/** Whether `structure` gives the model the level blocks (one random-effects term). */
export function usesLevelBlocks(model: NlmerModel, structure: DecompositionStructure = 'auto'): boolean {
  return structure === 'auto' && model.terms.length === 1;
}

/** ΛᵀUᵀUΛ + I, its Cholesky factor and the rest of the decomposition (header). */
export function decompose(model: NlmerModel, theta: ArrayLike<number>, grad: Float64Array, resid: Float64Array, structure: DecompositionStructure = 'auto'): Decomposition {
  const { n, q, terms } = model;
  const blocked = usesLevelBlocks(model, structure);
  const k1 = blocked ? terms[0].k : 0;
  const P = model.params.length;
  const p = model.fixed.length;
  const templates = terms.map((t) => termTemplate(t, theta));
  // M = ΛᵀUᵀUΛ: entry (a, b) at a·ld + b − shift, shift = the row's level's first column in the blocks (a, b of one level)
  const ld = blocked ? k1 : q;
  const M = new Float64Array(q * ld);
  const B = new Float64Array(q * p);
  const VtV = new Float64Array(p * p);
  const Utr = new Float64Array(q);
  const Vtr = new Float64Array(p);
  const s = terms.reduce((a, t) => a + t.k, 0);
  const idx = new Int32Array(s);
  const val = new Float64Array(s);
  const v = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    // the row of UΛ: for term t, level ℓ, column j: Σ_m G_{i, param m} T_t[m][j]
    let e = 0;
    for (let ti = 0; ti < terms.length; ti++) {
      const t = terms[ti], T = templates[ti], k = t.k;
      const base = t.uOffset + t.codes[i] * k;
      for (let j = 0; j < k; j++) {
        let a = 0;
        for (let m = j; m < k; m++) a += grad[i * P + t.params[m]] * T[m * k + j];
        idx[e] = base + j;
        val[e++] = a;
      }
    }
    const shift = blocked ? idx[0] : 0;
    for (let c = 0; c < p; c++) v[c] = grad[i * P + model.fixedParam[c]];
    const r = resid[i];
    for (let a = 0; a < s; a++) {
      const ia = idx[a], va = val[a];
      if (va === 0) continue;
      const row = ia * ld - shift;
      for (let b = 0; b < s; b++) M[row + idx[b]] += va * val[b];
      for (let c = 0; c < p; c++) B[ia * p + c] += va * v[c];
      Utr[ia] += va * r;
    }
    for (let c = 0; c < p; c++) {
      Vtr[c] += v[c] * r;
      for (let d = 0; d < p; d++) VtV[c * p + d] += v[c] * v[d];
    }
  }
  let ldL2 = 0;
  if (blocked) {
    // per level ℓ: L_ℓ L_ℓᵀ = M_ℓ + I, R_ZX,ℓ = L_ℓ⁻¹ B_ℓ
    const kk = k1 * k1;
    const levels = terms[0].levels;
    for (let l = 0; l < levels.length; l++) {
      for (let j = 0; j < k1; j++) M[l * kk + j * k1 + j] += 1;
      ldL2 += choleskyInPlace(M, k1, `ΛᵀUᵀUΛ + I (level '${levels[l]}' of ${terms[0].group})`, l * kk, k1);
      solveLowerColumns(M, k1, B, p, l * k1 * p, l * kk, k1);
    }
  } else {
    for (let j = 0; j < q; j++) M[j * q + j] += 1;
    ldL2 = choleskyInPlace(M, q, 'ΛᵀUᵀUΛ + I');
    // R_ZX = L⁻¹ B, column by column
    const col = new Float64Array(q);
    for (let c = 0; c < p; c++) {
      for (let j = 0; j < q; j++) col[j] = B[j * p + c];
      solveLower(M, q, col);
      for (let j = 0; j < q; j++) B[j * p + c] = col[j];
    }
  }
  // R_X R_Xᵀ = VᵀV − R_ZXᵀ R_ZX (the levels' Schur complements summed, in the blocks' case)
  for (let c = 0; c < p; c++) {
    for (let d = 0; d <= c; d++) {
      let sum = 0;
      for (let j = 0; j < q; j++) sum += B[j * p + c] * B[j * p + d];
      VtV[c * p + d] -= sum;
      VtV[d * p + c] = VtV[c * p + d];
    }
  }
  for (let c = 0; c < p; c++) for (let d = c + 1; d < p; d++) VtV[c * p + d] = 0;
  let ldRX2: number;
  try {
    ldRX2 = choleskyInPlace(VtV, p, 'VᵀV − R_ZXᵀR_ZX');
  } catch {
    throw new FitError('Downdated VtV is not positive definite: the fixed effects are not determined at these parameter values (the model gradient is degenerate)');
  }
  return { L: M, blockSize: k1, ldL2, RZX: B, RX: VtV, ldRX2, Utr, Vtr };
}

/** x ← L⁻¹ x (forward substitution; level by level for the blocks). */
export function solveL(d: Decomposition, x: Float64Array): void {
  const k = d.blockSize;
  if (k === 0) { solveLower(d.L, x.length, x); return; }
  for (let o = 0; o < x.length; o += k) solveLower(d.L, k, x, o, o * k, k);
}

/** x ← L⁻ᵀ x (back substitution; level by level for the blocks). */
export function solveLT(d: Decomposition, x: Float64Array): void {
  const k = d.blockSize;
  if (k === 0) { solveLowerT(d.L, x.length, x); return; }
  for (let o = 0; o < x.length; o += k) solveLowerT(d.L, k, x, o, o * k, k);
}
