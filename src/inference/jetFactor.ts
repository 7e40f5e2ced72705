/**
 * The blocked Cholesky factorization of src/model/blockedCholesky.ts carried out on second-order
 * jets (jet.ts): with the templates T_k given as jets in some variables τ (θ for Satterthwaite, the
 * variance components for Kenward–Roger), it returns
 *
 *   log|L_Z|² = log|Λᵀ Zᵀ Z Λ + I|                         (= log|I + Z Λ Λᵀ Zᵀ|)
 *   S = A_XX − Σ_k L_Xk L_Xkᵀ = [X y]ᵀ (I + Z Λ Λᵀ Zᵀ)⁻¹ [X y]      ((p+1) × (p+1))
 *
 * each with its exact gradient and Hessian in τ. S's leading p × p block is R_XᵀR_X = XᵀṼ⁻¹X, and
 * the penalized residual sum of squares is its Schur complement r² = S_yy − S_yX S_XX⁻¹ S_Xy.
 * The recurrences are those of the blocked factor (Bates et al. 2015, eqs. 18–20, blocked as in
 * MixedModels.jl), on the same blocks and fill patterns (taken from a BlockedCholesky), so the cost
 * is that of one factorization times the jet arithmetic (≈ 2 + 2m + 2m² per multiply-add in m
 * variables): per-group q × q work for nested factors, the dense blocks only for crossed factors,
 * never anything of size n.
 *
 * The templates need not be lower triangular (only Λ Λᵀ matters for these quantities): a centred
 * block (lambda.ts) can be given T' = C⁻¹ T(θ), which is linear in lme4's θ.
 */
import type { BlockedCholesky } from '../linalg/blockedCholesky.js';
import { findInPattern } from '../linalg/gram.js';
import { NotPositiveDefiniteError } from '../linalg/dense.js';
import type { JetSpace } from './jet.js';
import { DenseArena } from '../linalg/denseArena.js';

/** `planarFrom`: dense blocks at least this large are factored in planes (default 96; Infinity: never) */
export interface JetFactorOptions {
  planarFrom?: number;
}

export interface JetFactor {
  /** log|L_Z|² as one jet */
  ldL2: Float64Array;
  /** S = [X y]ᵀṼ⁻¹[X y], (p+1) × (p+1) jets, row-major, lower triangle */
  S: Float64Array;
}

/**
 * Factors the system with jet templates `T[k]` (q_k × q_k jets, row-major, full) on the blocks and
 * patterns of `chol` (its numbers are not used).
 */
export function jetFactor(J: JetSpace, chol: BlockedCholesky, T: Float64Array[], options: JetFactorOptions = {}): JetFactor {
  const f = new JetFactorization(J, chol, T, options);
  return { ldL2: f.ldL2, S: f.S };
}

/** The jet factor itself, kept for further right-hand sides (responseRow). */
export class JetFactorization {
  readonly ldL2: Float64Array;
  readonly S: Float64Array;
  /** the jet blocks of L, laid out as BlockedCholesky's */
  readonly Lkk: Float64Array[];
  readonly Ljk: Float64Array[][];
  readonly LXk: Float64Array[];
  private readonly rowOf: (A: Float64Array[], rows: number) => Float64Array[];

  constructor(J: JetSpace, chol: BlockedCholesky, T: Float64Array[], options: JetFactorOptions = {}) {
    const r = factorBlocks(J, chol, T, options.planarFrom ?? PLANAR_FROM);
    this.ldL2 = r.ldL2;
    this.S = r.S;
    this.Lkk = r.Lkk;
    this.Ljk = r.Ljk;
    this.LXk = r.LXk;
    this.rowOf = r.xRows;
    this.J = J;
    this.chol = chol;
  }

  private readonly J: JetSpace;
  private readonly chol: BlockedCholesky;

  /**
   * For another response y' with A_Zk,y' (m_k per block), X_cᵀy' (p) and y'ᵀy': its row of L_X and
   * S_Xy' = X_cᵀṼ⁻¹y' (p jets), S_y'y' = y'ᵀṼ⁻¹y' (one jet), with the same factor.
   */
  responseRow(AZy: Float64Array[], AXy: ArrayLike<number>, yy: number): { SXy: Float64Array; Syy: Float64Array } {
    const { J, chol } = this;
    const nc = J.nc, p = chol.p1 - 1;
    const rows = this.rowOf(AZy, 1);
    const scratch = J.alloc(1);
    const SXy = J.alloc(p);
    const Syy = J.alloc(1);
    for (let a = 0; a < p; a++) SXy[a * nc] = AXy[a];
    Syy[0] = yy;
    chol.m.forEach((mk, k) => {
      const y = rows[k];
      for (let a = 0; a < p; a++) dotFms(J, this.LXk[k], a * mk * nc, y, 0, mk, SXy, a * nc, scratch);
      dotFms(J, y, 0, y, 0, mk, Syy, 0, scratch);
    });
    return { SXy, Syy };
  }
}

/** The blocked recurrences on jets; `xRows` solves further rows of L_X (other responses). */
function factorBlocks(J: JetSpace, chol: BlockedCholesky, T: Float64Array[], planarFrom: number) {
  const { gram, K, p1 } = chol;
  // a dense block whose storage was lent since (src/relmat/gram.ts) is formed again before it is read
  gram.AkkDenseRestore?.();
  const { blocks } = gram;
  const nc = J.nc;
  const dense = (k: number) => !chol.isBlockDiagonal(k);
  const m = chol.m;
  // storage, as in BlockedCholesky: block-diagonal or dense L_kk, block-sparse or dense L_jk, L_Xk
  const Lkk = blocks.map((b, k) => J.alloc(dense(k) ? m[k] * m[k] : b.nl * b.q * b.q));
  const Ljk = blocks.map((bj, j) => blocks.map((bk, k) => {
    if (k >= j) return new Float64Array(0);
    return J.alloc(dense(k) ? m[j] * m[k] : chol.patterns[j][k].rowIdx.length * bj.q * bk.q);
  }));
  const LXk = blocks.map((_, k) => J.alloc(p1 * m[k]));
  const ldL2 = J.alloc(1);
  const scratch = J.alloc(4);

  for (let k = 0; k < K; k++) {
    factorDiagonal(k);
    for (let j = k + 1; j < K; j++) factorOffDiagonal(j, k);
    factorXRow(k, gram.AXk[k], p1, LXk);
  }
  // S = A_XX − Σ_k L_Xk L_Xkᵀ (lower triangle)
  const S = J.alloc(p1 * p1);
  for (let r = 0; r < p1; r++) for (let s = 0; s <= r; s++) S[(r * p1 + s) * nc] = gram.AXX[r * p1 + s];
  for (let k = 0; k < K; k++) {
    const L = LXk[k];
    const mk = m[k];
    for (let r = 0; r < p1; r++) for (let s = 0; s <= r; s++) dotFms(J, L, r * mk * nc, L, s * mk * nc, mk, S, (r * p1 + s) * nc, scratch);
  }
  /** rows of L_X for `rows` further rows of A_X· (per block, rows × m_k) */
  const xRows = (A: Float64Array[], rows: number): Float64Array[] => {
    const out = blocks.map((_, k) => J.alloc(rows * m[k]));
    for (let k = 0; k < K; k++) factorXRow(k, A[k], rows, out);
    return out;
  };
  return { ldL2, S, Lkk, Ljk, LXk, xRows };

  /** L_kk from Λ_kᵀ A_kk Λ_k + I − Σ_{i<k} L_ki L_kiᵀ; adds log|L_kk|² to ldL2. */
  function factorDiagonal(k: number): void {
    const b = blocks[k];
    const q = b.q, qq = q * q;
    const D = Lkk[k];
    const A = gram.Akk[k];
    if (!dense(k)) {
      for (let c = 0; c < b.nl; c++) {
        congruence(J, T[k], A, c * qq, q, D, c * qq, q, scratch);
        for (let s = 0; s < q; s++) D[(c * qq + s * q + s) * nc] += 1;
      }
      // nested: each column of L_ki has at most one entry
      for (let i = 0; i < k; i++) {
        const P = chol.patterns[k][i];
        const qi = blocks[i].q;
        const V = Ljk[k][i];
        for (let e = 0; e < P.rowIdx.length; e++) {
          const a = P.rowIdx[e];
          for (let s = 0; s < q; s++) {
            for (let t = 0; t <= s; t++) dotFms(J, V, (e * q * qi + s * qi) * nc, V, (e * q * qi + t * qi) * nc, qi, D, (a * qq + s * q + t) * nc, scratch);
          }
        }
      }
      for (let c = 0; c < b.nl; c++) cholesky(J, D, c * qq, q, q, ldL2, scratch, () => `the random-effects block of level '${b.levels[c]}' of '${b.group}'`);
      return;
    }
    const mk = m[k];
    // a block with a known covariance (relmat) comes dense: Tᵀ A_cd T for every level pair d ≤ c, A_cd
    // from the upper block triangle (A_cd = A_dcᵀ) and the diagonal level blocks (GramMatrix.AkkDenseDiag)
    const Adense = gram.AkkDense?.[k];
    const Adiag = gram.AkkDenseDiag?.[k];
    const Acd = new Float64Array(qq);
    for (let c = 0; c < b.nl; c++) {
      if (Adense) {
        for (let d = 0; d < c; d++) {
          for (let s = 0; s < q; s++) for (let v = 0; v < q; v++) Acd[s * q + v] = Adense[(d * q + v) * mk + c * q + s];
          congruence(J, T[k], Acd, 0, q, D, (c * q) * mk + d * q, mk, scratch);
        }
      }
      congruence(J, T[k], Adense ? (Adiag ?? diagonalBlocks(Adense, b.nl, q)) : A, c * qq, q, D, (c * q) * mk + c * q, mk, scratch);
      for (let s = 0; s < q; s++) D[((c * q + s) * mk + c * q + s) * nc] += 1;
    }
    for (let i = 0; i < k; i++) {
      const qi = blocks[i].q;
      const V = Ljk[k][i];
      if (!dense(i)) {
        // Σ over the columns c of L_ki of the outer products of its entries (lower triangle)
        const P = chol.patterns[k][i];
        for (let c = 0; c < P.ncol; c++) {
          for (let ea = P.colPtr[c]; ea < P.colPtr[c + 1]; ea++) {
            const a = P.rowIdx[ea];
            for (let eb = P.colPtr[c]; eb <= ea; eb++) {
              const bb = P.rowIdx[eb];
              for (let s = 0; s < q; s++) {
                const tmax = a === bb ? s : q - 1;
                for (let t = 0; t <= tmax; t++) dotFms(J, V, (ea * q * qi + s * qi) * nc, V, (eb * q * qi + t * qi) * nc, qi, D, ((a * q + s) * mk + bb * q + t) * nc, scratch);
              }
            }
          }
        }
      } else {
        const mi = m[i];
        for (let r = 0; r < mk; r++) for (let s = 0; s <= r; s++) dotFms(J, V, r * mi * nc, V, s * mi * nc, mi, D, (r * mk + s) * nc, scratch);
      }
    }
    const what = () => `the random-effects block of '${b.group}'`;
    if (mk >= planarFrom) planarCholesky(J, D, mk, ldL2, what);
    else cholesky(J, D, 0, mk, mk, ldL2, scratch, what);
  }

  /** L_jk = (Λ_jᵀ A_jk Λ_k − Σ_{i<k} L_ji L_kiᵀ) L_kk⁻ᵀ. */
  function factorOffDiagonal(j: number, k: number): void {
    const qj = blocks[j].q, qk = blocks[k].q;
    const A = gram.Ajk[j][k];
    const S = Ljk[j][k];
    const sparse = !dense(k);
    const mk = m[k];
    const blk = J.alloc(qj * qk);
    const Ap = A.pattern;
    for (let c = 0; c < Ap.ncol; c++) {
      for (let e = Ap.colPtr[c]; e < Ap.colPtr[c + 1]; e++) {
        leftRight(J, T[j], A.values, e * qj * qk, T[k], qj, qk, blk, scratch);
        const a = Ap.rowIdx[e];
        if (sparse) {
          const pos = findInPattern(chol.patterns[j][k], c, a) * qj * qk;
          for (let t = 0; t < qj * qk; t++) J.axpy(1, blk, t * nc, S, (pos + t) * nc);
        } else {
          for (let s = 0; s < qj; s++) for (let t = 0; t < qk; t++) J.axpy(1, blk, (s * qk + t) * nc, S, ((a * qj + s) * mk + c * qk + t) * nc);
        }
      }
    }
    for (let i = 0; i < k; i++) {
      const qi = blocks[i].q;
      const Vj = Ljk[j][i], Vk = Ljk[k][i];
      if (!dense(i)) {
        const Pj = chol.patterns[j][i], Pk = chol.patterns[k][i];
        for (let c = 0; c < Pk.ncol; c++) {
          for (let eb = Pk.colPtr[c]; eb < Pk.colPtr[c + 1]; eb++) {
            const bb = Pk.rowIdx[eb];
            for (let ea = Pj.colPtr[c]; ea < Pj.colPtr[c + 1]; ea++) {
              const a = Pj.rowIdx[ea];
              const base = sparse ? findInPattern(chol.patterns[j][k], bb, a) * qj * qk : -1;
              for (let s = 0; s < qj; s++) {
                for (let t = 0; t < qk; t++) {
                  const o = sparse ? base + s * qk + t : (a * qj + s) * mk + bb * qk + t;
                  dotFms(J, Vj, (ea * qj * qi + s * qi) * nc, Vk, (eb * qk * qi + t * qi) * nc, qi, S, o * nc, scratch);
                }
              }
            }
          }
        }
      } else {
        const mi = m[i], mj = m[j];
        for (let r = 0; r < mj; r++) for (let s = 0; s < mk; s++) dotFms(J, Vj, r * mi * nc, Vk, s * mi * nc, mi, S, (r * mk + s) * nc, scratch);
      }
    }
    if (sparse) {
      const P = chol.patterns[j][k];
      for (let c = 0; c < P.ncol; c++) {
        for (let e = P.colPtr[c]; e < P.colPtr[c + 1]; e++) rightSolve(J, S, e * qj * qk, qj, qk, qk, Lkk[k], c * qk * qk, qk, scratch);
      }
    } else {
      rightSolve(J, S, 0, m[j], mk, mk, Lkk[k], 0, mk, scratch);
    }
  }

  /** L_Xk = (A_Xk Λ_k − Σ_{i<k} L_Xi L_kiᵀ) L_kk⁻ᵀ for the `p1` rows of A (rows × m_k), into out[k]. */
  function factorXRow(k: number, A: Float64Array, p1: number, out: Float64Array[]): void {
    const bk = blocks[k];
    const q = bk.q;
    const mk = m[k];
    const S = out[k];
    const Tk = T[k];
    // A_Xk Λ_k: each level's q-wide row block times T (real × jet)
    for (let r = 0; r < p1; r++) {
      for (let c = 0; c < bk.nl; c++) {
        const o = r * mk + c * q;
        for (let t = 0; t < q; t++) for (let s = 0; s < q; s++) J.axpy(A[o + s], Tk, (s * q + t) * nc, S, (o + t) * nc);
      }
    }
    for (let i = 0; i < k; i++) {
      const qi = blocks[i].q;
      const mi = m[i];
      const LXi = out[i];
      const V = Ljk[k][i];
      if (!dense(i)) {
        const P = chol.patterns[k][i];
        for (let c = 0; c < P.ncol; c++) {
          for (let e = P.colPtr[c]; e < P.colPtr[c + 1]; e++) {
            const a = P.rowIdx[e];
            for (let r = 0; r < p1; r++) {
              for (let s = 0; s < q; s++) dotFms(J, LXi, (r * mi + c * qi) * nc, V, (e * q * qi + s * qi) * nc, qi, S, (r * mk + a * q + s) * nc, scratch);
            }
          }
        }
      } else {
        for (let r = 0; r < p1; r++) for (let s = 0; s < mk; s++) dotFms(J, LXi, r * mi * nc, V, s * mi * nc, mi, S, (r * mk + s) * nc, scratch);
      }
    }
    if (!dense(k)) {
      for (let r = 0; r < p1; r++) for (let c = 0; c < bk.nl; c++) rightSolve(J, S, r * mk + c * q, 1, q, q, Lkk[k], c * q * q, q, scratch);
    } else {
      rightSolve(J, S, 0, p1, mk, mk, Lkk[k], 0, mk, scratch);
    }
  }
}

/** out −= Σ_{u<count} a[u] · b[u] for jets at consecutive slots (offsets in numbers, not jets). */
function dotFms(J: JetSpace, a: Float64Array, ao: number, b: Float64Array, bo: number, count: number, out: Float64Array, oo: number, scratch: Float64Array): void {
  if (count === 1) { J.fms(a, ao, b, bo, out, oo); return; }
  J.dotSub(a, ao, b, bo, count, out, oo);
  void scratch;
}

/**
 * In-place Cholesky of the lower triangle of the n × n jet matrix at slot `off` (row stride ld slots)
 * (Crout form, as dense.ts's choleskyInPlace); adds log det L² = Σ 2 log L_jj to the jet `logdet`.
 */
function cholesky(J: JetSpace, D: Float64Array, off: number, n: number, ld: number, logdet: Float64Array, scratch: Float64Array, what: () => string): void {
  const nc = J.nc;
  for (let j = 0; j < n; j++) {
    const jj = (off + j * ld + j) * nc;
    const rowJ = (off + j * ld) * nc;
    dotFms(J, D, rowJ, D, rowJ, j, D, jj, scratch);
    if (!(D[jj] > 0)) throw new NotPositiveDefiniteError(what(), j, D[jj]);
    J.sqrtInPlace(D, jj);
    J.addLog(D, jj, 2, logdet, 0);
    for (let i = j + 1; i < n; i++) {
      const ij = (off + i * ld + j) * nc;
      dotFms(J, D, (off + i * ld) * nc, D, rowJ, j, D, ij, scratch);
      J.divInPlace(D, ij, D, jj);
    }
  }
}

/**
 * B ← B L⁻ᵀ for the rows × q jet block at slot `bo` (row stride ldb slots), L the q × q lower jet
 * factor at slot `lo` (row stride ldl): each row x solves L xᵀ = rowᵀ.
 */
function rightSolve(J: JetSpace, B: Float64Array, bo: number, rows: number, q: number, ldb: number, L: Float64Array, lo: number, ldl: number, scratch: Float64Array): void {
  const nc = J.nc;
  for (let r = 0; r < rows; r++) {
    const ro = bo + r * ldb;
    for (let t = 0; t < q; t++) {
      dotFms(J, L, (lo + t * ldl) * nc, B, ro * nc, t, B, (ro + t) * nc, scratch);
      J.divInPlace(B, (ro + t) * nc, L, (lo + t * ldl + t) * nc);
    }
  }
}

/** out = Tᵀ A T for the real q × q block A at a[ao] and the jet template T (full q × q); out at slot oo, row stride ld. */
function congruence(J: JetSpace, T: Float64Array, a: Float64Array, ao: number, q: number, out: Float64Array, oo: number, ld: number, scratch: Float64Array): void {
  const nc = J.nc;
  const tmp = scratchOf(J, q * q);
  tmp.fill(0, 0, q * q * nc);
  // tmp = A T
  for (let s = 0; s < q; s++) for (let t = 0; t < q; t++) for (let u = 0; u < q; u++) J.axpy(a[ao + s * q + u], T, (u * q + t) * nc, tmp, (s * q + t) * nc);
  // out = Tᵀ tmp
  for (let s = 0; s < q; s++) {
    for (let t = 0; t < q; t++) {
      const o = (oo + s * ld + t) * nc;
      out.fill(0, o, o + nc);
      for (let u = 0; u < q; u++) J.fma(T, (u * q + s) * nc, tmp, (u * q + t) * nc, out, o);
    }
  }
  void scratch;
}

/** The diagonal q × q level blocks of a dense m × m A (level-major). */
function diagonalBlocks(A: Float64Array, nl: number, q: number): Float64Array {
  const m = nl * q, qq = q * q;
  const d = new Float64Array(nl * qq);
  for (let c = 0; c < nl; c++) for (let s = 0; s < q; s++) for (let t = 0; t < q; t++) d[c * qq + s * q + t] = A[(c * q + s) * m + c * q + t];
  return d;
}

/** out = Tjᵀ B Tk for the real qj × qk block B at b[bo] (out: qj × qk jets, row-major). */
function leftRight(J: JetSpace, Tj: Float64Array, b: Float64Array, bo: number, Tk: Float64Array, qj: number, qk: number, out: Float64Array, scratch: Float64Array): void {
  const nc = J.nc;
  const tmp = scratchOf(J, qj * qk);
  tmp.fill(0, 0, qj * qk * nc);
  for (let s = 0; s < qj; s++) for (let t = 0; t < qk; t++) for (let u = 0; u < qk; u++) J.axpy(b[bo + s * qk + u], Tk, (u * qk + t) * nc, tmp, (s * qk + t) * nc);
  out.fill(0);
  for (let s = 0; s < qj; s++) for (let t = 0; t < qk; t++) for (let u = 0; u < qj; u++) J.fma(Tj, (u * qj + s) * nc, tmp, (u * qk + t) * nc, out, (s * qk + t) * nc);
  void scratch;
}

/** What the profiled criteria need from S = [X y]ᵀṼ⁻¹[X y] (jets). */
export interface SchurJets {
  /** log|R_X|² = log|S_XX| (one jet) */
  ldRX2: Float64Array;
  /** r² = S_yy − S_yX S_XX⁻¹ S_Xy (one jet) */
  pwrss: Float64Array;
  /** S_XX = R_XᵀR_X as a full symmetric p × p jet matrix, row-major */
  SXX: Float64Array;
  /** β̂ = S_XX⁻¹ S_Xy (values; in the Gram matrix's fixed-effects coordinates) */
  betaC: Float64Array;
}

/** log|R_X|², r² and R_XᵀR_X from S ((p+1) × (p+1) jets, lower triangle): eq. 20 in jets. */
export function schurJets(J: JetSpace, S: Float64Array, p: number): SchurJets {
  const nc = J.nc, p1 = p + 1;
  const SXX = J.alloc(p * p);
  for (let r = 0; r < p; r++) for (let s = 0; s <= r; s++) {
    J.copy(S, (r * p1 + s) * nc, SXX, (r * p + s) * nc);
    J.copy(S, (r * p1 + s) * nc, SXX, (s * p + r) * nc);
  }
  const L = Float64Array.from(S);
  const ldRX2 = J.alloc(1);
  const scratch = J.alloc(1);
  if (p > 0) cholesky(J, L, 0, p, p1, ldRX2, scratch, () => 'the fixed-effects cross-product matrix X\'V⁻¹X');
  // last row: l = L⁻¹ S_Xy, then r² = S_yy − lᵀl
  for (let s = 0; s < p; s++) {
    dotFms(J, L, (p * p1) * nc, L, (s * p1) * nc, s, L, (p * p1 + s) * nc, scratch);
    J.divInPlace(L, (p * p1 + s) * nc, L, (s * p1 + s) * nc);
  }
  const pwrss = J.alloc(1);
  J.copy(L, (p * p1 + p) * nc, pwrss, 0);
  dotFms(J, L, (p * p1) * nc, L, (p * p1) * nc, p, pwrss, 0, scratch);
  // β̂: back substitution with the values of L
  const betaC = new Float64Array(p);
  for (let s = 0; s < p; s++) betaC[s] = L[(p * p1 + s) * nc];
  for (let s = p - 1; s >= 0; s--) {
    let v = betaC[s];
    for (let t = s + 1; t < p; t++) v -= L[(t * p1 + s) * nc] * betaC[t];
    betaC[s] = v / L[(s * p1 + s) * nc];
  }
  return { ldRX2, pwrss, SXX, betaC };
}

/** a reusable scratch array of at least `count` jets per jet space */
const scratches = new WeakMap<JetSpace, Float64Array>();
function scratchOf(J: JetSpace, count: number): Float64Array {
  let s = scratches.get(J);
  if (!s || s.length < count * J.nc) {
    s = J.alloc(count);
    scratches.set(J, s);
  }
  return s;
}

/** Dense blocks at least this large are factored in planes (planarCholesky). */
const PLANAR_FROM = 96;
/** panel width of the planar factorization */
const NB = 48;

/**
 * The jet Cholesky of a large dense block (a crossed factor's), right-looking and blocked, with each
 * jet component in its own n × n plane so that the work is matrix products on the dense kernels
 * (WebAssembly SIMD, denseArena.ts). For a panel of width nb: its diagonal block is factored in
 * jets (cholesky above); the panel below solves X Lᵀ = B component by component,
 *   X₀ = B₀ L₀⁻ᵀ,  X_a = (B_a − X₀ L_aᵀ) L₀⁻ᵀ,  X_ab = (B_ab − X₀ L_abᵀ − X_a L_bᵀ − X_b L_aᵀ) L₀⁻ᵀ,
 * and the trailing block takes C −= X Xᵀ with the product rule,
 *   C₀ −= X₀X₀ᵀ,  C_a −= X₀X_aᵀ + X_aX₀ᵀ,  C_ab −= X₀X_abᵀ + X_abX₀ᵀ + X_aX_bᵀ + X_bX_aᵀ.
 * Same result as the scalar jet recurrence (to rounding), in D's AoS layout on return.
 */
function planarCholesky(J: JetSpace, D: Float64Array, n: number, logdet: Float64Array, what: () => string): void {
  const nc = J.nc, m = J.m;
  const nn = n * n;
  const arena = new DenseArena([nc * nn, nc * n * NB, nc * NB * NB]);
  const [P, X, Lp] = arena.arrays;
  const plane = (c: number) => P.subarray(c * nn, (c + 1) * nn);
  // AoS → planes (lower triangle)
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
    const o = (i * n + j) * nc;
    for (let c = 0; c < nc; c++) P[c * nn + i * n + j] = D[o + c];
  }
  const small = J.alloc(NB * NB);
  const scratch = J.alloc(1);
  const second = J.order === 2;
  for (let k0 = 0; k0 < n; k0 += NB) {
    const k1 = Math.min(k0 + NB, n);
    const nb = k1 - k0;
    // 1. the diagonal block in jets
    for (let i = 0; i < nb; i++) for (let j = 0; j <= i; j++) for (let c = 0; c < nc; c++) small[(i * nb + j) * nc + c] = P[c * nn + (k0 + i) * n + k0 + j];
    cholesky(J, small, 0, nb, nb, logdet, scratch, what);
    for (let i = 0; i < nb; i++) for (let j = 0; j <= i; j++) for (let c = 0; c < nc; c++) P[c * nn + (k0 + i) * n + k0 + j] = small[(i * nb + j) * nc + c];
    const rows = n - k1;
    if (rows === 0) break;
    // L_kk planes, contiguous nb × nb (strict upper zero)
    Lp.fill(0);
    for (let c = 0; c < nc; c++) for (let i = 0; i < nb; i++) for (let j = 0; j <= i; j++) Lp[c * nb * nb + i * nb + j] = small[(i * nb + j) * nc + c];
    const Lc = (c: number) => Lp.subarray(c * nb * nb, (c + 1) * nb * nb);
    // 2. the panel below, contiguous rows × nb per component
    for (let c = 0; c < nc; c++) for (let r = 0; r < rows; r++) for (let j = 0; j < nb; j++) X[c * rows * nb + r * nb + j] = P[c * nn + (k1 + r) * n + k0 + j];
    const Xc = (c: number) => X.subarray(c * rows * nb, (c + 1) * rows * nb);
    arena.rightSolve(Xc(0), rows, Lc(0), nb);
    for (let a = 1; a <= m; a++) {
      arena.subtractABt(Xc(a), nb, Xc(0), rows, Lc(a), nb, nb, false);
      arena.rightSolve(Xc(a), rows, Lc(0), nb);
    }
    if (second) for (let a = 0; a < m; a++) for (let b = a; b < m; b++) {
      const ab = J.hessianSlot(a, b);
      arena.subtractABt(Xc(ab), nb, Xc(0), rows, Lc(ab), nb, nb, false);
      arena.subtractABt(Xc(ab), nb, Xc(1 + a), rows, Lc(1 + b), nb, nb, false);
      arena.subtractABt(Xc(ab), nb, Xc(1 + b), rows, Lc(1 + a), nb, nb, false);
      arena.rightSolve(Xc(ab), rows, Lc(0), nb);
    }
    for (let c = 0; c < nc; c++) for (let r = 0; r < rows; r++) for (let j = 0; j < nb; j++) P[c * nn + (k1 + r) * n + k0 + j] = X[c * rows * nb + r * nb + j];
    // 3. the trailing block, lower triangle
    const C = (c: number) => P.subarray(c * nn + k1 * n + k1);
    arena.subtractABt(C(0), n, Xc(0), rows, Xc(0), rows, nb, true);
    for (let a = 1; a <= m; a++) {
      arena.subtractABt(C(a), n, Xc(0), rows, Xc(a), rows, nb, true);
      arena.subtractABt(C(a), n, Xc(a), rows, Xc(0), rows, nb, true);
    }
    if (second) for (let a = 0; a < m; a++) for (let b = a; b < m; b++) {
      const ab = J.hessianSlot(a, b);
      arena.subtractABt(C(ab), n, Xc(0), rows, Xc(ab), rows, nb, true);
      arena.subtractABt(C(ab), n, Xc(ab), rows, Xc(0), rows, nb, true);
      arena.subtractABt(C(ab), n, Xc(1 + a), rows, Xc(1 + b), rows, nb, true);
      arena.subtractABt(C(ab), n, Xc(1 + b), rows, Xc(1 + a), rows, nb, true);
    }
  }
  // planes → AoS
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
    const o = (i * n + j) * nc;
    for (let c = 0; c < nc; c++) D[o + c] = P[c * nn + i * n + j];
  }
}
