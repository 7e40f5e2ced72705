/**
 * Kenward–Roger's derivatives in the variance components γ without a square root of Σ: for fits
 * where a term's covariance matrix is singular or nearly so (a boundary fit), where the jets of
 * kenwardRoger.ts (through T = chol(Σ_t/σ²), whose derivatives grow as pivot^(−1/2) and
 * pivot^(−3/2)) cannot be used. pbkrtest's quantities are smooth there, since V(γ) is linear in γ:
 *
 *   M = XᵀV⁻¹X,  P_i = −XᵀV⁻¹G_iV⁻¹X,  ∂²M/∂γ_i∂γ_j = Q_ij + Q_ji,  Q_ij = XᵀV⁻¹G_iV⁻¹G_jV⁻¹X,
 *   K_ij = tr(V⁻¹G_iV⁻¹G_j),
 *
 * with G_i = Z E_i Zᵀ for an entry of a term's Σ (E_i its symmetric indicator on every level) and
 * G = I for σ². Everything is formed from the Gram matrix's blocks as dense matrices of the Q random
 * effects (no n × n matrix, unlike pbkrtest): with Λ the current relative factor (σ Λ Λᵀ σ = Σ, zero
 * columns allowed), M_Λ = ΛᵀZᵀZΛ + I = L Lᵀ, H = ZΛM_Λ⁻¹ΛᵀZᵀ and V⁻¹ = σ⁻²(I − H),
 *
 *   Y_z = L⁻¹ΛᵀZᵀZ,  Y_x = L⁻¹ΛᵀZᵀX,  N = L⁻¹L⁻ᵀ  (so that ZᵀHZ = Y_zᵀY_z and L⁻¹ΛᵀZᵀZΛL⁻ᵀ = I − N),
 *   σ² ZᵀV⁻¹Z = ZᵀZ − Y_zᵀY_z,   σ⁴ ZᵀV⁻²Z = σ² ZᵀV⁻¹Z − (L⁻ᵀY_z)ᵀ(L⁻ᵀY_z),
 *   σ² ZᵀV⁻¹X = ZᵀX − Y_zᵀY_x,   σ⁴ ZᵀV⁻²X = σ² ZᵀV⁻¹X − (L⁻ᵀY_z)ᵀ(L⁻ᵀY_x),
 *   σ² XᵀV⁻¹X = XᵀX − Y_xᵀY_x,   σ⁴ XᵀV⁻²X = σ² XᵀV⁻¹X − Y_x2ᵀY_x2,  σ⁶ XᵀV⁻³X = σ⁴ XᵀV⁻²X − Y_x3ᵀY_x3,
 *   σ⁴ tr V⁻² = n − Q + ‖N‖²_F,    Y_x2 = L⁻ᵀY_x, Y_x3 = L⁻¹Y_x2.
 *
 * The cost is O(Q³) (about 1.5 Q³ multiply-adds) and O(Q²) memory, so it is used only up to
 * KR_DENSE_MAX_Q random effects. Coordinates are the Gram matrix's (transformed blocks Z M, centred
 * X), as the jets'; kenwardRoger.ts maps the results.
 */
import { ModelError } from '../errors/errors.js';
import type { BlockedCholesky } from '../linalg/blockedCholesky.js';
import { choleskyInPlace } from '../linalg/dense.js';
import { fillTemplate } from '../linalg/template.js';
import type { LmmModel } from '../lmm/model.js';
import { transpose } from './eigen.js';
import { gammaLayout } from './templates.js';

/** The largest number of random effects Q for which the dense path runs (O(Q³) time, a few Q × Q arrays). */
export const KR_DENSE_MAX_Q = 1000;

/** What kenwardRoger.ts needs: M and its first and second derivatives in γ, and K (Gram coordinates). */
export interface KrDerivatives {
  /** M = XᵀV⁻¹X, p × p */
  M: Float64Array;
  /** P_i = ∂M/∂γ_i, p × p each */
  P: Float64Array[];
  /** ∂²M/∂γ_i∂γ_j = Q_ij + Q_ji, p × p */
  D2: (i: number, j: number) => Float64Array;
  /** K_ij = tr(V⁻¹G_iV⁻¹G_j) = −∂² log|V|/∂γ_i∂γ_j, nγ × nγ */
  K: Float64Array;
}

export function krDenseDerivatives(
  chol: BlockedCholesky,
  model: Pick<LmmModel, 'blocks' | 'transforms' | 'frame'>,
  theta: ArrayLike<number>,
  sigma: number,
): KrDerivatives {
  const gram = chol.gram;
  const { n, p, reTerms: terms } = model.frame;
  if (gram.AkkDense?.some((b) => b)) throw new ModelError('Kenward–Roger at a boundary fit is not available with known covariance matrices (relmat)');
  const blocks = model.blocks;
  const off: number[] = [];
  let Q = 0;
  for (const b of blocks) { off.push(Q); Q += b.nl * b.q; }
  if (Q > KR_DENSE_MAX_Q) {
    throw new ModelError(`Kenward–Roger at a boundary fit (a singular covariance matrix) needs dense matrices of the ${Q} random effects, more than ${KR_DENSE_MAX_Q}`);
  }
  // ZᵀZ (Q × Q, both triangles), ZᵀX (Q × p), XᵀX (p × p) from the Gram matrix's blocks
  const ZZ = new Float64Array(Q * Q);
  blocks.forEach((b, k) => {
    const q = b.q, A = gram.Akk[k];
    for (let l = 0; l < b.nl; l++) for (let r = 0; r < q; r++) for (let c = 0; c < q; c++) ZZ[(off[k] + l * q + r) * Q + off[k] + l * q + c] = A[l * q * q + r * q + c];
  });
  for (let j = 1; j < blocks.length; j++) {
    for (let k = 0; k < j; k++) {
      const S = gram.Ajk[j]?.[k];
      if (!S) continue;
      const { pattern, qr, qc, values } = S;
      for (let c = 0; c < pattern.ncol; c++) {
        for (let e = pattern.colPtr[c]; e < pattern.colPtr[c + 1]; e++) {
          const r = pattern.rowIdx[e];
          for (let a = 0; a < qr; a++) for (let b = 0; b < qc; b++) {
            const v = values[e * qr * qc + a * qc + b];
            const row = off[j] + r * qr + a, col = off[k] + c * qc + b;
            ZZ[row * Q + col] = v;
            ZZ[col * Q + row] = v;
          }
        }
      }
    }
  }
  const ZX = new Float64Array(Q * p);
  blocks.forEach((b, k) => {
    const m = b.nl * b.q, A = gram.AXk[k];
    for (let a = 0; a < p; a++) for (let c = 0; c < m; c++) ZX[(off[k] + c) * p + a] = A[a * m + c];
  });
  const XX = new Float64Array(p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) XX[a * p + b] = gram.AXX[a * (p + 1) + b];

  // the templates T' = M⁻¹ T of the transformed blocks (Z M T' = Z T)
  const Ts = blocks.map((b, k) => {
    const q = b.q;
    const T = new Float64Array(q * q);
    fillTemplate(b, theta, T);
    const t = model.transforms[k];
    if (!t) return T;
    const out = new Float64Array(q * q);
    for (let r = 0; r < q; r++) for (let c = 0; c < q; c++) { let s = 0; for (let u = 0; u < q; u++) s += t.Minv[r * q + u] * T[u * q + c]; out[r * q + c] = s; }
    return out;
  });
  // ΛᵀB for B with Q rows (row-major, m columns): the rows of level l of block k ← T'ᵀ rows
  const lambdaT = (B: Float64Array, m: number): Float64Array => {
    const out = new Float64Array(Q * m);
    blocks.forEach((b, k) => {
      const q = b.q, T = Ts[k];
      for (let l = 0; l < b.nl; l++) {
        const base = off[k] + l * q;
        for (let r = 0; r < q; r++) {
          const o = (base + r) * m;
          for (let u = 0; u < q; u++) {
            const t = T[u * q + r];
            if (t === 0) continue;
            const ib = (base + u) * m;
            for (let c = 0; c < m; c++) out[o + c] += t * B[ib + c];
          }
        }
      }
    });
    return out;
  };
  const LtZZ = lambdaT(ZZ, Q);
  // M_Λ = I + Λᵀ(ZᵀZ Λ) = I + Λᵀ (ΛᵀZᵀZ)ᵀ
  const Mlam = lambdaT(transpose(LtZZ, Q, Q), Q);
  for (let i = 0; i < Q; i++) Mlam[i * Q + i] += 1;
  choleskyInPlace(Mlam, Q, 'I + ΛᵀZᵀZΛ');
  const L = Mlam;
  const Yz = LtZZ;
  forwardSolve(L, Q, Yz, Q);
  const Yx = lambdaT(ZX, p);
  forwardSolve(L, Q, Yx, p);
  const Az = ZZ.slice();
  crossSub(Yz, Yz, Q, Q, Q, Az);
  const Bt = ZX.slice();
  crossSub(Yz, Yx, Q, Q, p, Bt);
  const Cx = XX.slice();
  crossSub(Yx, Yx, Q, p, p, Cx);
  const Yz2 = Yz;
  backwardSolve(L, Q, Yz2, Q);
  const Yx2 = Yx;
  backwardSolve(L, Q, Yx2, p);
  const B2 = Bt.slice();
  crossSub(Yz2, Yx2, Q, Q, p, B2);
  const C2 = Cx.slice();
  crossSub(Yx2, Yx2, Q, p, p, C2);
  const Yx3 = Yx2.slice();
  forwardSolve(L, Q, Yx3, p);
  const C3 = C2.slice();
  crossSub(Yx3, Yx3, Q, p, p, C3);
  // ‖N‖²_F with N = L⁻¹L⁻ᵀ: L⁻¹ by forward solves on I
  const Linv = new Float64Array(Q * Q);
  for (let i = 0; i < Q; i++) Linv[i * Q + i] = 1;
  forwardSolve(L, Q, Linv, Q);
  // ‖N‖_F = ‖L⁻ᵀL⁻¹‖_F (similar matrices' singular values agree)
  const N = new Float64Array(Q * Q);
  crossAdd(Linv, Linv, Q, Q, Q, N);
  let nF2 = 0;
  for (let e = 0; e < Q * Q; e++) nF2 += N[e] * N[e];
  const trV2 = n - Q + nF2;

  // the components: per term, the lower triangle of Σ_t column by column, then σ²
  const ng = gammaLayout(terms).length;
  const comps: { block: number; E: Float64Array }[] = [];
  terms.forEach((t, ti) => {
    const k = blocks.findIndex((b) => b.terms.some((m) => m.term === ti));
    const b = blocks[k], q = b.q, col = b.terms.find((m) => m.term === ti)!.col;
    const Minv = model.transforms[k]?.Minv;
    for (let j = 0; j < t.q; j++) {
      for (let i = j; i < t.q; i++) {
        const E = new Float64Array(q * q);
        const a = col + i, c = col + j;
        // E' = M⁻¹ E M⁻ᵀ with E = e_a e_cᵀ + e_c e_aᵀ (a ≠ c) or e_a e_aᵀ
        for (let r = 0; r < q; r++) for (let s = 0; s < q; s++) {
          const mra = Minv ? Minv[r * q + a] : r === a ? 1 : 0;
          const mrc = Minv ? Minv[r * q + c] : r === c ? 1 : 0;
          const msa = Minv ? Minv[s * q + a] : s === a ? 1 : 0;
          const msc = Minv ? Minv[s * q + c] : s === c ? 1 : 0;
          E[r * q + s] = a === c ? mra * msa : mra * msc + mrc * msa;
        }
        comps.push({ block: k, E });
      }
    }
  });
  const nc = comps.length;
  if (nc !== ng - 1) throw new Error('Kenward–Roger: the variance components do not match the terms');
  const s2 = sigma * sigma;
  // F_c = E_c Bt (Q × p, nonzero in block c's rows); AF_c = Az F_c
  const F = comps.map(({ block, E }) => {
    const b = blocks[block], q = b.q, out = new Float64Array(Q * p);
    for (let l = 0; l < b.nl; l++) {
      const base = off[block] + l * q;
      for (let r = 0; r < q; r++) for (let u = 0; u < q; u++) {
        const e = E[r * q + u];
        if (e === 0) continue;
        for (let c = 0; c < p; c++) out[(base + r) * p + c] += e * Bt[(base + u) * p + c];
      }
    }
    return out;
  });
  const AF = comps.map(({ block }, ci) => {
    const b = blocks[block], lo = off[block], hi = lo + b.nl * b.q, out = new Float64Array(Q * p), Fc = F[ci];
    for (let r = 0; r < Q; r++) for (let u = lo; u < hi; u++) {
      const a = Az[r * Q + u];
      if (a === 0) continue;
      for (let c = 0; c < p; c++) out[r * p + c] += a * Fc[u * p + c];
    }
    return out;
  });
  const scale = (A: Float64Array, f: number) => A.map((v) => v * f);
  const M = scale(Cx, 1 / s2);
  const P: Float64Array[] = comps.map((_, ci) => { const o = new Float64Array(p * p); crossAdd(Bt, F[ci], Q, p, p, o); return scale(o, -1 / (s2 * s2)); });
  P.push(scale(C2, -1 / (s2 * s2)));
  const Qm = (i: number, j: number): Float64Array => {
    const o = new Float64Array(p * p);
    if (i < nc && j < nc) crossAdd(F[i], AF[j], Q, p, p, o);
    else if (i < nc) crossAdd(F[i], B2, Q, p, p, o);
    else if (j < nc) crossAdd(B2, F[j], Q, p, p, o);
    else o.set(C3);
    return scale(o, 1 / (s2 * s2 * s2));
  };
  const D2 = (i: number, j: number): Float64Array => {
    const A = Qm(i, j);
    const out = new Float64Array(p * p);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) out[a * p + b] = A[a * p + b] + A[b * p + a];
    return out;
  };
  // K: tr(E_i Az E_j Az) over the level blocks, tr(E_i ZᵀV⁻²Z) from its diagonal level blocks
  const K = new Float64Array(ng * ng);
  for (let i = 0; i < nc; i++) {
    for (let j = i; j < nc; j++) {
      const bi = blocks[comps[i].block], bj = blocks[comps[j].block];
      const oi = off[comps[i].block], oj = off[comps[j].block], qi = bi.q, qj = bj.q, Ei = comps[i].E, Ej = comps[j].E;
      let s = 0;
      const X1 = new Float64Array(qi * qj), X2 = new Float64Array(qj * qi);
      for (let l = 0; l < bi.nl; l++) {
        for (let m = 0; m < bj.nl; m++) {
          // X1 = E_i Az[l, m] (qi × qj), X2 = E_j Az[m, l] (qj × qi); tr(X1 X2)
          X1.fill(0); X2.fill(0);
          let nz = false;
          for (let r = 0; r < qi; r++) for (let u = 0; u < qi; u++) {
            const e = Ei[r * qi + u];
            if (e === 0) continue;
            for (let c = 0; c < qj; c++) { const a = Az[(oi + l * qi + u) * Q + oj + m * qj + c]; if (a !== 0) nz = true; X1[r * qj + c] += e * a; }
          }
          if (!nz) continue;
          for (let r = 0; r < qj; r++) for (let u = 0; u < qj; u++) {
            const e = Ej[r * qj + u];
            if (e === 0) continue;
            for (let c = 0; c < qi; c++) X2[r * qi + c] += e * Az[(oj + m * qj + u) * Q + oi + l * qi + c];
          }
          for (let r = 0; r < qi; r++) for (let c = 0; c < qj; c++) s += X1[r * qj + c] * X2[c * qi + r];
        }
      }
      K[i * ng + j] = K[j * ng + i] = s / (s2 * s2);
    }
    // tr(E_i A2) with A2 = Az − Yz2ᵀYz2 on block i's diagonal level blocks
    const b = blocks[comps[i].block], q = b.q, o = off[comps[i].block], E = comps[i].E;
    let s = 0;
    for (let l = 0; l < b.nl; l++) {
      for (let r = 0; r < q; r++) for (let u = 0; u < q; u++) {
        const e = E[r * q + u];
        if (e === 0) continue;
        const R = o + l * q + u, C = o + l * q + r;
        let a2 = Az[R * Q + C];
        for (let t = 0; t < Q; t++) a2 -= Yz2[t * Q + R] * Yz2[t * Q + C];
        s += e * a2;
      }
    }
    K[i * ng + nc] = K[nc * ng + i] = s / (s2 * s2);
  }
  K[nc * ng + nc] = trV2 / (s2 * s2);
  return { M, P, D2, K };
}

/** B ← L⁻¹B in place (L lower triangular Q × Q, B Q × m, row-major). */
function forwardSolve(L: Float64Array, Q: number, B: Float64Array, m: number): void {
  for (let i = 0; i < Q; i++) {
    const bi = i * m;
    for (let k = 0; k < i; k++) {
      const l = L[i * Q + k];
      if (l === 0) continue;
      const bk = k * m;
      for (let c = 0; c < m; c++) B[bi + c] -= l * B[bk + c];
    }
    const d = L[i * Q + i];
    for (let c = 0; c < m; c++) B[bi + c] /= d;
  }
}

/** B ← L⁻ᵀB in place. */
function backwardSolve(L: Float64Array, Q: number, B: Float64Array, m: number): void {
  for (let i = Q - 1; i >= 0; i--) {
    const bi = i * m;
    const d = L[i * Q + i];
    for (let c = 0; c < m; c++) B[bi + c] /= d;
    for (let k = 0; k < i; k++) {
      const l = L[i * Q + k];
      if (l === 0) continue;
      const bk = k * m;
      for (let c = 0; c < m; c++) B[bk + c] -= l * B[bi + c];
    }
  }
}

/** C += s AᵀB for A (r × a), B (r × b), C (a × b), row-major, s = ±1 (s x is exact: the sums are those of C ± x B). */
function crossAcc(A: Float64Array, B: Float64Array, r: number, a: number, b: number, C: Float64Array, s: 1 | -1): void {
  for (let t = 0; t < r; t++) {
    const at = t * a, bt = t * b;
    for (let i = 0; i < a; i++) {
      const x = s * A[at + i];
      if (x === 0) continue;
      const ci = i * b;
      for (let j = 0; j < b; j++) C[ci + j] += x * B[bt + j];
    }
  }
}

/** C −= AᵀB. */
function crossSub(A: Float64Array, B: Float64Array, r: number, a: number, b: number, C: Float64Array): void {
  crossAcc(A, B, r, a, b, C, -1);
}

/** C += AᵀB. */
function crossAdd(A: Float64Array, B: Float64Array, r: number, a: number, b: number, C: Float64Array): void {
  crossAcc(A, B, r, a, b, C, 1);
}
