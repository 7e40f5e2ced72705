/**
 * The profiled deviance (REML or ML) and its exact gradient in θ for a batch of responses, each at its
 * own θ, for a model with one grouping factor (Λ = I ⊗ T(θ), A_ZZ block diagonal): the parametric
 * bootstrap's refits (bootstrap.ts), where all responses share the design and only y differs.
 *
 * For level g, with A = Z_gᵀZ_g (q × q), B = [X y]ᵀZ_g ((p+1) × q; its last row the response's),
 *   M = Tᵀ A T + I,   U = B T M⁻¹,   W = B − U Tᵀ A,
 * the quantities of the blocked factor (Bates et al. 2015, eqs. 18–20) are
 *   log|L_Z|² = Σ_g log|M|,   S = [X y]ᵀṼ⁻¹[X y] = A_XX − Σ_g U (B T)ᵀ,
 * and with T's entry (i, j) = θ_k (E_k = Σ e_i e_jᵀ over its positions),
 *   ∂ log|M| / ∂θ_k = 2 Σ_{(i,j)∈k} (A T M⁻¹)_ij,
 *   ∂S / ∂θ_k = −Σ_g (W E_k Uᵀ + U E_kᵀ Wᵀ)
 * (from ∂(T M⁻¹ Tᵀ) = ∂T M⁻¹Tᵀ + T M⁻¹∂Tᵀ − T M⁻¹(∂TᵀAT + TᵀA∂T)M⁻¹Tᵀ). The deviance
 *   d = log|L_Z|² [+ log|S_XX|] + ν (1 + log(2π r² / ν)) − Σ log w,   r² = cᵀ S c,  c = (−β̂, 1),
 * (ν = n − p and log|S_XX| for REML, ν = n for ML) then has
 *   ∂d/∂θ_k = ∂log|L_Z|²/∂θ_k + Σ_ab C_ab ∂S_ab/∂θ_k,   C = [S_XX⁻¹ (REML) ⊕ 0] + (ν / r²) c cᵀ,
 * so one pass over the levels accumulates, per response, log|L_Z|², S, Σ_g A T M⁻¹ and
 * Q_k = Σ_g Σ_{(i,j)∈k} W_{·i} U_{·j}ᵀ ((p+1) × (p+1)); the contraction with C follows the pass.
 * The design's parts (A, B's X rows) are read once per level for the whole batch.
 */
import type { GramMatrix } from '../linalg/gram.js';
import { choleskyInPlace, solveLower, solveLowerT } from '../linalg/dense.js';

/** The y-dependent parts of the responses, replicate-fastest (as BootstrapGramBatch). */
export interface ResponseParts {
  /** number of responses (columns) */
  B: number;
  /** Z_gᵀy, (nl q) × B */
  AZy: Float64Array;
  /** X_cᵀy, p × B */
  AXy: Float64Array;
  /** yᵀy, B */
  yy: Float64Array;
}

/** One evaluation's results (null where S_XX is not positive definite or r² ≤ 0). */
export interface OneFactorEvaluation {
  value: number;
  gradient: Float64Array;
  /** β̂ in the Gram matrix's coordinates */
  betaC: Float64Array;
  /** penalized residual sum of squares r² */
  pwrss: number;
}

/** Whether the Gram matrix has the structure this evaluator needs: one block-diagonal factor. */
export function isOneFactor(gram: GramMatrix): boolean {
  return gram.blocks.length === 1 && !gram.AkkDense?.[0] && !gram.AkkDenseDiag?.[0];
}

export class OneFactorDeviance {
  private readonly q: number;
  private readonly p: number;
  private readonly nl: number;
  private readonly nt: number;
  /** the template's lower-triangle positions (i, j) and their θ index */
  private readonly posI: Int32Array;
  private readonly posJ: Int32Array;
  private readonly posK: Int32Array;

  constructor(
    private readonly gram: GramMatrix,
    nTheta: number,
    private readonly n: number,
    private readonly reml: boolean,
    private readonly sumLogW: number,
  ) {
    if (!isOneFactor(gram)) throw new Error('OneFactorDeviance: the model must have one block-diagonal grouping factor');
    const b = gram.blocks[0];
    this.q = b.q;
    this.nl = b.nl;
    this.p = gram.p;
    this.nt = nTheta;
    const I: number[] = [], Jx: number[] = [], K: number[] = [];
    for (let i = 0; i < b.q; i++) for (let j = 0; j < b.q; j++) {
      const k = b.thetaIndex[i * b.q + j];
      if (k >= 0) { I.push(i); Jx.push(j); K.push(k); }
    }
    this.posI = Int32Array.from(I);
    this.posJ = Int32Array.from(Jx);
    this.posK = Int32Array.from(K);
  }

  /**
   * Evaluates response `cols[e]` (a column of `y`) at θ = thetas[e · nt …] for each e; the design is
   * read once per level for all of them.
   */
  evaluate(y: ResponseParts, cols: ArrayLike<number>, thetas: Float64Array): (OneFactorEvaluation | null)[] {
    const { q, p, nl, nt, posI, posJ, posK, gram } = this;
    const p1 = p + 1, qq = q * q, pp = p1 * p1, np = posI.length;
    const E = cols.length;
    const Bn = y.B;
    const A = gram.Akk[0];
    const AX = gram.AXk[0];
    const m = nl * q;
    // per evaluation: its template, log|L_Z|², S, Σ A T M⁻¹, Q per template position
    const T = new Float64Array(E * qq);
    for (let e = 0; e < E; e++) {
      const idx = gram.blocks[0].thetaIndex;
      for (let s = 0; s < qq; s++) T[e * qq + s] = idx[s] >= 0 ? thetas[e * nt + idx[s]] : 0;
    }
    const ld = new Float64Array(E);
    const S = new Float64Array(E * pp);
    const G = new Float64Array(E * qq);
    const Q = new Float64Array(E * np * pp);
    // scratch
    const Ag = new Float64Array(qq), AT = new Float64Array(qq), Mm = new Float64Array(qq), Mi = new Float64Array(qq), x = new Float64Array(q);
    const Bg = new Float64Array(p1 * q), C = new Float64Array(p1 * q), U = new Float64Array(p1 * q), W = new Float64Array(p1 * q);
    for (let g = 0; g < nl; g++) {
      for (let s = 0; s < qq; s++) Ag[s] = A[g * qq + s];
      for (let a = 0; a < p; a++) for (let s = 0; s < q; s++) Bg[a * q + s] = AX[a * m + g * q + s];
      for (let e = 0; e < E; e++) {
        const col = cols[e];
        for (let s = 0; s < q; s++) Bg[p * q + s] = y.AZy[(g * q + s) * Bn + col];
        const To = e * qq;
        const Go = e * qq;
        if (q === 2) {
          // the same steps written out for 2 × 2 blocks (a random intercept and slope)
          const a00 = Ag[0], a01 = Ag[1], a11 = Ag[3];
          const t00 = T[To], t10 = T[To + 2], t11 = T[To + 3];
          const at00 = a00 * t00 + a01 * t10, at01 = a01 * t11, at10 = a01 * t00 + a11 * t10, at11 = a11 * t11;
          const m00 = t00 * at00 + t10 * at10 + 1, m01 = t11 * at10, m11 = t11 * at11 + 1;
          const det = m00 * m11 - m01 * m01;
          ld[e] += Math.log(det);
          const i00 = m11 / det, i01 = -m01 / det, i11 = m00 / det;
          G[Go] += at00 * i00 + at01 * i01;
          G[Go + 1] += at00 * i01 + at01 * i11;
          G[Go + 2] += at10 * i00 + at11 * i01;
          G[Go + 3] += at10 * i01 + at11 * i11;
          for (let a = 0; a < p1; a++) {
            const b0 = Bg[2 * a], b1 = Bg[2 * a + 1];
            const c0 = b0 * t00 + b1 * t10, c1 = b1 * t11;
            const u0 = c0 * i00 + c1 * i01, u1 = c0 * i01 + c1 * i11;
            C[2 * a] = c0; C[2 * a + 1] = c1;
            U[2 * a] = u0; U[2 * a + 1] = u1;
            W[2 * a] = b0 - u0 * at00 - u1 * at01;
            W[2 * a + 1] = b1 - u0 * at10 - u1 * at11;
          }
        } else {
          // AT = A T, M = Tᵀ (A T) + I
          for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
            let v = 0;
            for (let u = j; u < q; u++) v += Ag[i * q + u] * T[To + u * q + j];
            AT[i * q + j] = v;
          }
          for (let i = 0; i < q; i++) for (let j = 0; j <= i; j++) {
            let v = i === j ? 1 : 0;
            for (let u = i; u < q; u++) v += T[To + u * q + i] * AT[u * q + j];
            Mm[i * q + j] = v;
            Mm[j * q + i] = v;
          }
          // L = chol(M), log|M| = 2 Σ log L_ii; M⁻¹ column by column from L Lᵀ x = e_c
          ld[e] += choleskyInPlace(Mm, q, 'M');
          for (let c = 0; c < q; c++) {
            x.fill(0);
            x[c] = 1;
            solveLower(Mm, q, x);
            solveLowerT(Mm, q, x);
            for (let i = 0; i < q; i++) Mi[i * q + c] = x[i];
          }
          // G += A T M⁻¹
          for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
            let v = 0;
            for (let u = 0; u < q; u++) v += AT[i * q + u] * Mi[u * q + j];
            G[Go + i * q + j] += v;
          }
          // rows: C = B T, U = C M⁻¹, W = B − U (A T)ᵀ
          for (let a = 0; a < p1; a++) {
            const ao = a * q;
            for (let j = 0; j < q; j++) {
              let v = 0;
              for (let u = j; u < q; u++) v += Bg[ao + u] * T[To + u * q + j];
              C[ao + j] = v;
            }
            for (let j = 0; j < q; j++) {
              let v = 0;
              for (let u = 0; u < q; u++) v += C[ao + u] * Mi[u * q + j];
              U[ao + j] = v;
            }
            for (let i = 0; i < q; i++) {
              let v = Bg[ao + i];
              for (let u = 0; u < q; u++) v -= U[ao + u] * AT[i * q + u];
              W[ao + i] = v;
            }
          }
        }
        // S −= U Cᵀ (lower triangle)
        const So = e * pp;
        for (let a = 0; a < p1; a++) for (let b = 0; b <= a; b++) {
          let v = 0;
          for (let u = 0; u < q; u++) v += U[a * q + u] * C[b * q + u];
          S[So + a * p1 + b] -= v;
        }
        // Q_pos += W_{·i} U_{·j}ᵀ
        for (let t = 0; t < np; t++) {
          const i = posI[t], j = posJ[t];
          const Qo = (e * np + t) * pp;
          for (let a = 0; a < p1; a++) {
            const w = W[a * q + i];
            const o = Qo + a * p1;
            for (let b = 0; b < p1; b++) Q[o + b] += w * U[b * q + j];
          }
        }
      }
    }
    return Array.from({ length: E }, (_, e) => this.finish(y, cols[e], ld[e], S.subarray(e * pp, (e + 1) * pp), G.subarray(e * qq, (e + 1) * qq), Q.subarray(e * np * pp, (e + 1) * np * pp)));
  }

  /** S's constant part, the Schur complement, the deviance and the contraction of the gradient. */
  private finish(y: ResponseParts, col: number, ld: number, S: Float64Array, G: Float64Array, Q: Float64Array): OneFactorEvaluation | null {
    const { p, q, nt, posI, posJ, posK, gram, n, reml } = this;
    const p1 = p + 1, pp = p1 * p1;
    const Bn = y.B;
    // S = A_XX − Σ …: the X block from the Gram matrix, the response's row from y
    for (let a = 0; a < p; a++) for (let b = 0; b <= a; b++) S[a * p1 + b] += gram.AXX[a * p1 + b];
    for (let b = 0; b < p; b++) S[p * p1 + b] += y.AXy[b * Bn + col];
    S[p * p1 + p] += y.yy[col];
    for (let a = 0; a < p1; a++) for (let b = a + 1; b < p1; b++) S[a * p1 + b] = S[b * p1 + a];
    // Cholesky of S_XX: log|S_XX|, l = L⁻¹ S_Xy, r² = S_yy − lᵀl, β̂ = L⁻ᵀ l
    const L = new Float64Array(p * p);
    for (let a = 0; a < p; a++) for (let b = 0; b <= a; b++) L[a * p + b] = S[a * p1 + b];
    let ldRX2: number;
    try { ldRX2 = choleskyInPlace(L, p, 'S_XX'); } catch { return null; }
    const betaC = S.slice(p * p1, p * p1 + p);
    solveLower(L, p, betaC);
    let pwrss = S[p * p1 + p];
    for (let i = 0; i < p; i++) pwrss -= betaC[i] * betaC[i];
    solveLowerT(L, p, betaC);
    if (!(pwrss > 0)) return null;
    const nu = reml ? n - p : n;
    const value = ld + (reml ? ldRX2 : 0) - this.sumLogW + nu * (1 + Math.log((2 * Math.PI * pwrss) / nu));
    // C = [S_XX⁻¹ (REML) ⊕ 0] + (ν / r²) c cᵀ
    const Cm = new Float64Array(pp);
    const c = new Float64Array(p1);
    for (let a = 0; a < p; a++) c[a] = -betaC[a];
    c[p] = 1;
    for (let a = 0; a < p1; a++) for (let b = 0; b < p1; b++) Cm[a * p1 + b] = (nu / pwrss) * c[a] * c[b];
    if (reml) {
      // S_XX⁻¹ column by column
      const x = new Float64Array(p);
      for (let col = 0; col < p; col++) {
        x.fill(0);
        x[col] = 1;
        solveLower(L, p, x);
        solveLowerT(L, p, x);
        for (let i = 0; i < p; i++) Cm[i * p1 + col] += x[i];
      }
    }
    const gradient = new Float64Array(nt);
    for (let t = 0; t < posI.length; t++) {
      const k = posK[t];
      let v = 2 * G[posI[t] * q + posJ[t]];
      let acc = 0;
      for (let ab = 0; ab < pp; ab++) acc += Cm[ab] * Q[t * pp + ab];
      v -= 2 * acc;
      gradient[k] += v;
    }
    return { value, gradient, betaC, pwrss };
  }
}
