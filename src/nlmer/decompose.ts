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
  // M = ΛᵀUᵀUΛ: dense q × q, or the blocks: level ℓ's entry (a, b) at ℓk² + ak + b
  const M = new Float64Array(q * (blocked ? k1 : q));
  const B = new Float64Array(q * p);
  const VtV = new Float64Array(p * p);
  const Utr = new Float64Array(q);
  const Vtr = new Float64Array(p);
  if (blocked) accumulateBlocks(model, templates[0], grad, resid, M, B, Utr);
  else accumulateDense(model, templates, grad, resid, M, B, Utr);
  accumulateV(model, grad, resid, VtV, Vtr);
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
  // R_X R_Xᵀ = VᵀV − R_ZXᵀ R_ZX (the levels' Schur complements summed, in the blocks' case; the lower triangle, then mirrored)
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

/**
 * One term's blocks from the rows: a_i = the row of UΛ in its level ℓ's k columns (rowsOfUL), then per entry,
 * summed over the rows in order: M_ℓ += a_i a_iᵀ, ΛᵀUᵀr += a_i r_i, B_ℓ += a_i v_iᵀ (v_i = G_i on X's columns).
 * Each is a simple loop over the rows (faster than one loop doing all, whose small inner loops V8 does not unroll).
 */
function accumulateBlocks(model: NlmerModel, T: Float64Array, grad: Float64Array, resid: Float64Array, M: Float64Array, B: Float64Array, Utr: Float64Array): void {
  const { n, fixedParam } = model;
  const t = model.terms[0], codes = t.codes, k = t.k, kk = k * k;
  const P = model.params.length, p = fixedParam.length;
  const A = rowsOfUL(model, t, T, grad);
  for (let i = 0, e = 0; i < n; i++, e += k) {
    const l = codes[i], r = resid[i];
    for (let a = 0; a < k; a++) {
      const va = A[e + a], row = l * kk + a * k;
      for (let b = 0; b < k; b++) M[row + b] += va * A[e + b];
      Utr[l * k + a] += va * r;
    }
  }
  for (let c = 0; c < p; c++) {
    for (let i = 0, e = 0, o = fixedParam[c]; i < n; i++, e += k, o += P) {
      const vc = grad[o], ib = codes[i] * k * p + c;
      for (let a = 0; a < k; a++) B[ib + a * p] += A[e + a] * vc;
    }
  }
}

/** The dense M = ΛᵀUᵀUΛ, B = ΛᵀUᵀV and ΛᵀUᵀr from the rows (any number of terms): the rows' nonzero entries of UΛ. */
function accumulateDense(model: NlmerModel, templates: Float64Array[], grad: Float64Array, resid: Float64Array, M: Float64Array, B: Float64Array, Utr: Float64Array): void {
  const { n, q, terms, fixedParam } = model;
  const P = model.params.length, p = fixedParam.length;
  // the row of UΛ: its nonzero entries' columns (idx) and values (val), s = Σ_t k_t of them
  const s = terms.reduce((a, t) => a + t.k, 0);
  const idx = new Int32Array(s);
  const val = new Float64Array(s);
  const v = new Float64Array(p);
  for (let i = 0, o = 0; i < n; i++, o += P) {
    // for term t, level ℓ, column j: Σ_m G_{i, param m} T_t[m][j]
    let e = 0;
    for (let ti = 0; ti < terms.length; ti++) {
      const t = terms[ti], T = templates[ti], k = t.k;
      const base = t.uOffset + t.codes[i] * k;
      for (let j = 0; j < k; j++) {
        let a = 0;
        for (let m = j; m < k; m++) a += grad[o + t.params[m]] * T[m * k + j];
        idx[e] = base + j;
        val[e++] = a;
      }
    }
    for (let c = 0; c < p; c++) v[c] = grad[o + fixedParam[c]];
    const r = resid[i];
    for (let a = 0; a < s; a++) {
      const ia = idx[a], va = val[a];
      if (va === 0) continue;
      const row = ia * q;
      for (let b = 0; b < s; b++) M[row + idx[b]] += va * val[b];
      for (let c = 0; c < p; c++) B[ia * p + c] += va * v[c];
      Utr[ia] += va * r;
    }
  }
}

/**
 * Vᵀr and VᵀV's lower triangle (v_i = G_i on X's columns): each entry's sum over the rows in order, in a register;
 * two entries a pass (Vᵀr_c with VᵀV_cc, then VᵀV_cd for two d at a time).
 */
function accumulateV(model: NlmerModel, grad: Float64Array, resid: Float64Array, VtV: Float64Array, Vtr: Float64Array): void {
  const { n, fixedParam } = model;
  const P = model.params.length, p = fixedParam.length;
  for (let c = 0; c < p; c++) {
    const fc = fixedParam[c];
    let sr = 0, scc = 0;
    for (let i = 0, o = fc; i < n; i++, o += P) {
      const g = grad[o];
      sr += g * resid[i];
      scc += g * g;
    }
    Vtr[c] = sr;
    VtV[c * p + c] = scc;
    let d = 0;
    for (; d + 1 < c; d += 2) {
      const f0 = fixedParam[d] - fc, f1 = fixedParam[d + 1] - fc;
      let s0 = 0, s1 = 0;
      for (let o = fc, end = n * P; o < end; o += P) {
        const g = grad[o];
        s0 += g * grad[o + f0];
        s1 += g * grad[o + f1];
      }
      VtV[c * p + d] = s0;
      VtV[c * p + d + 1] = s1;
    }
    if (d < c) {
      const f0 = fixedParam[d] - fc;
      let s0 = 0;
      for (let o = fc, end = n * P; o < end; o += P) s0 += grad[o] * grad[o + f0];
      VtV[c * p + d] = s0;
    }
  }
}

/** a_i = the row of UΛ in its level's k columns, a_{i,j} = Σ_{m ≥ j} G_{i, param m} T[m][j], row-major n × k, into a buffer of the model's (reused). */
const rowsBuffers = new WeakMap<NlmerModel, Float64Array>();
function rowsOfUL(model: NlmerModel, t: NlmerModel['terms'][number], T: Float64Array, grad: Float64Array): Float64Array {
  const { n } = model;
  const k = t.k, P = model.params.length, params = t.params;
  let A = rowsBuffers.get(model);
  if (!A || A.length !== n * k) { A = new Float64Array(n * k); rowsBuffers.set(model, A); }
  for (let i = 0, o = 0, e = 0; i < n; i++, o += P) {
    for (let j = 0; j < k; j++, e++) {
      let a = 0;
      for (let m = j; m < k; m++) a += grad[o + params[m]] * T[m * k + j];
      A[e] = a;
    }
  }
  return A;
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
