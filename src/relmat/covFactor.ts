/**
 * A factor F of a known covariance matrix K = F Fᵀ (n × n), with its rows in the model's level
 * order. A grouping factor with a known covariance has b ~ N(0, K ⊗ Σ), Σ = σ² T Tᵀ, so
 *
 *   b = (F ⊗ I_q)(I_n ⊗ T) u = (F ⊗ T) u,   u ~ N(0, σ² I):
 *
 * the model is the ordinary one with Z (F ⊗ I_q) in place of Z (pedigreemm, lme4qtl). Nothing
 * needs F to be triangular (a row permutation of a Cholesky factor serves as well), and the index
 * of u (F's columns) is internal. Because each row of Z has its one level's q entries, the
 * cross-products transform by congruence:
 *
 *   (F ⊗ I)ᵀ Z_kᵀ W Z_k (F ⊗ I)    Z_kᵀ W Z_k block diagonal (one q × q block G_i per level)
 *   (F ⊗ I)ᵀ Z_kᵀ W [Z_j X y]       a right-hand side: rows transformed by (F ⊗ I)ᵀ
 *
 * Three storages: dense (row-major n × n, lower triangular when it is a Cholesky factor, which the
 * kernels below exploit), compressed sparse rows (a pedigree's factor: row i holds i's ancestors), and
 * stored: a lower triangular factor kept transposed in the strict upper triangle of another array (a
 * dense block's storage, src/relmat/gram.ts), its diagonal apart, so that K's factor needs no array
 * of its own. The kernels give the same sums in the same order for a dense lower factor and the same
 * factor stored.
 */
import { semidefiniteCholesky } from '../linalg/dense.js';
import { DenseArena } from '../linalg/denseArena.js';

export interface DenseFactor {
  kind: 'dense';
  n: number;
  /** F row-major n × n */
  F: Float64Array;
  /** whether F is lower triangular (F[i][j] = 0 for j > i) */
  lower: boolean;
}

export interface SparseFactor {
  kind: 'sparse';
  n: number;
  /** start of each row's entries, length n + 1 */
  rowPtr: Int32Array;
  /** column of each entry, increasing within a row */
  colIdx: Int32Array;
  values: Float64Array;
}

/**
 * A lower triangular F (n × n) stored transposed in the strict upper triangle of U (row stride ld ≥ n):
 * F[i][j] = U[j ld + i] for j < i, F[i][i] = diag[i]; U's lower triangle is not read.
 */
export interface StoredFactor {
  kind: 'stored';
  n: number;
  U: Float64Array;
  ld: number;
  diag: Float64Array;
}

export type CovFactor = DenseFactor | SparseFactor | StoredFactor;

/** Number of stored entries of F. */
export function factorEntries(f: CovFactor): number {
  if (f.kind === 'sparse') return f.rowPtr[f.n];
  return f.kind === 'dense' ? f.n * f.n : (f.n * (f.n + 1)) / 2;
}

/** F[i][j] for j ≤ i of a stored factor. */
function storedEntry(f: StoredFactor, i: number, j: number): number {
  return j === i ? f.diag[i] : f.U[j * f.ld + i];
}

/** b = (F ⊗ I_q) u for u level-major (n q-vectors). */
export function applyFactor(f: CovFactor, u: Float64Array, q: number): Float64Array {
  const n = f.n;
  const b = new Float64Array(n * q);
  if (f.kind === 'stored') {
    // column j of F is row j of U: b_i += F_ij u_j over j ascending, as the dense loop adds them
    const { U, ld, diag } = f;
    for (let j = 0; j < n; j++) {
      for (let s = 0; s < q; s++) {
        const uj = u[j * q + s];
        b[j * q + s] += diag[j] * uj;
        for (let i = j + 1; i < n; i++) b[i * q + s] += U[j * ld + i] * uj;
      }
    }
    return b;
  }
  if (f.kind === 'dense') {
    const { F } = f;
    for (let i = 0; i < n; i++) {
      const end = f.lower ? i + 1 : n;
      for (let j = 0; j < end; j++) {
        const v = F[i * n + j];
        if (v === 0) continue;
        for (let s = 0; s < q; s++) b[i * q + s] += v * u[j * q + s];
      }
    }
    return b;
  }
  const { rowPtr, colIdx, values } = f;
  for (let i = 0; i < n; i++) {
    for (let e = rowPtr[i]; e < rowPtr[i + 1]; e++) {
      const v = values[e], j = colIdx[e];
      for (let s = 0; s < q; s++) b[i * q + s] += v * u[j * q + s];
    }
  }
  return b;
}

/** w = (F ⊗ I_q)ᵀ v for v level-major. */
export function applyFactorT(f: CovFactor, v: Float64Array, q: number): Float64Array {
  const n = f.n;
  const w = new Float64Array(n * q);
  if (f.kind === 'stored') {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        const x = storedEntry(f, i, j);
        if (x === 0) continue;
        for (let s = 0; s < q; s++) w[j * q + s] += x * v[i * q + s];
      }
    }
    return w;
  }
  if (f.kind === 'dense') {
    const { F } = f;
    for (let i = 0; i < n; i++) {
      const end = f.lower ? i + 1 : n;
      for (let j = 0; j < end; j++) {
        const x = F[i * n + j];
        if (x === 0) continue;
        for (let s = 0; s < q; s++) w[j * q + s] += x * v[i * q + s];
      }
    }
    return w;
  }
  const { rowPtr, colIdx, values } = f;
  for (let i = 0; i < n; i++) {
    for (let e = rowPtr[i]; e < rowPtr[i + 1]; e++) {
      const x = values[e], j = colIdx[e];
      for (let s = 0; s < q; s++) w[j * q + s] += x * v[i * q + s];
    }
  }
  return w;
}

/**
 * S (F ⊗ I_q) for S with `rows` rows and n q columns (row-major, columns level-major): the
 * transform of A_Xk = [X y]ᵀ Z_k and of a cross block with another factor. Returns a new array.
 */
export function rightMultiplyFactor(S: Float64Array, rows: number, f: CovFactor, q: number): Float64Array {
  const n = f.n, m = n * q;
  const out = new Float64Array(rows * m);
  if (f.kind === 'stored') {
    // out[r][(j,s)] = Σ_{i ≥ j} S[r][(i,s)] F[i][j]: a dot product with row j of U (the dense loop's
    // terms in its order, i ascending)
    const { U, ld, diag } = f;
    for (let r = 0; r < rows; r++) {
      const so = r * m;
      for (let j = 0; j < n; j++) {
        const uo = j * ld;
        for (let s = 0; s < q; s++) {
          let acc = 0;
          const a = S[so + j * q + s];
          if (a !== 0) acc += a * diag[j];
          for (let i = j + 1; i < n; i++) {
            const x = S[so + i * q + s];
            if (x !== 0) acc += x * U[uo + i];
          }
          out[so + j * q + s] = acc;
        }
      }
    }
    return out;
  }
  if (f.kind === 'dense') {
    const { F } = f;
    // out[r][(j,s)] = Σ_i S[r][(i,s)] F[i][j], F's rows streamed once per row block of S
    for (let r = 0; r < rows; r++) {
      const so = r * m;
      for (let i = 0; i < n; i++) {
        const end = f.lower ? i + 1 : n;
        const fo = i * n;
        for (let s = 0; s < q; s++) {
          const a = S[so + i * q + s];
          if (a === 0) continue;
          for (let j = 0; j < end; j++) out[so + j * q + s] += a * F[fo + j];
        }
      }
    }
    return out;
  }
  const { rowPtr, colIdx, values } = f;
  for (let r = 0; r < rows; r++) {
    const so = r * m;
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < q; s++) {
        const a = S[so + i * q + s];
        if (a === 0) continue;
        for (let e = rowPtr[i]; e < rowPtr[i + 1]; e++) out[so + colIdx[e] * q + s] += a * values[e];
      }
    }
  }
  return out;
}

/**
 * Work space of the dense congruence for n levels of q columns: the result C (n q × n q) and the
 * packed chunk P, in one WebAssembly arena (SIMD kernels where available). A model keeps one per
 * block and refills it (PIRLS forms A(w) at every iteration).
 */
export class CongruenceWork {
  readonly n: number;
  readonly q: number;
  readonly arena: DenseArena;
  /** the result, m × m (m = n q), both triangles */
  readonly C: Float64Array;
  readonly P: Float64Array;
  readonly width: number;
  /** `storage`: C (m × m) and P (at least m × min(128, m)) in an existing arena (a factor's: GramMatrix.AkkDenseForm) */
  constructor(n: number, q: number, storage?: { arena: DenseArena; C: Float64Array; P: Float64Array }) {
    const m = n * q;
    this.n = n;
    this.q = q;
    this.width = Math.min(CHUNK, m);
    if (storage) {
      if (storage.C.length < m * m || storage.P.length < m * this.width) throw new Error(`internal: congruence storage too small for ${m} columns`);
      this.arena = storage.arena;
      this.C = storage.C;
      this.P = storage.P;
      return;
    }
    this.arena = new DenseArena([m * m, m * this.width]);
    [this.C, this.P] = this.arena.arrays;
  }
}

/**
 * M = (F ⊗ I_q)ᵀ G (F ⊗ I_q) for G block diagonal (n blocks of q × q, row-major, level-major;
 * each positive semi-definite, as Z_kᵀ W Z_k is), dense (n q × n q, row-major, both triangles).
 *
 *   M_{(k,s),(l,u)} = Σ_i F_ik F_il G_i[s][u]
 *
 * With G_i = R_i R_iᵀ (R_i lower, semi-definite Cholesky), M = Bᵀ B where
 * B_{(i,t),(k,s)} = F_ik R_i[s][t]. Dense F: a symmetric rank-k product over chunks of B's rows,
 * packed (in a WebAssembly arena when available); when F is lower triangular a chunk of rows
 * i ∈ [i0, i1) touches only the leading (i1 q) × (i1 q) block: n³/6 multiply–adds for q = 1 instead
 * of n³/2. Sparse F: M += Σ_i (row i ⊗ R_i)(row i ⊗ R_i)ᵀ over each row's entries (Σ_i nnz_i² q²
 * terms). With `work` (dense F) the result is work.C.
 */
export function congruence(f: CovFactor, G: Float64Array, q: number, work?: CongruenceWork): Float64Array {
  const n = f.n, qq = q * q;
  const R = new Float64Array(n * qq);
  for (let i = 0; i < n; i++) {
    if (q === 1) R[i] = G[i] > 0 ? Math.sqrt(G[i]) : 0;
    else R.set(semidefiniteCholesky(G.subarray(i * qq, (i + 1) * qq), q), i * qq);
  }
  if (f.kind === 'sparse') return congruenceSparse(f, R, q, work?.C);
  if (work && (work.n !== n || work.q !== q)) throw new Error(`congruence: work space for ${work.n} × ${work.q}, factor ${n} × ${q}`);
  return congruenceDense(f, R, q, work ?? new CongruenceWork(n, q));
}

function congruenceSparse(f: SparseFactor, R: Float64Array, q: number, out?: Float64Array): Float64Array {
  const n = f.n, m = n * q, qq = q * q;
  const M = out ?? new Float64Array(m * m);
  M.fill(0);
  const { rowPtr, colIdx, values } = f;
  for (let i = 0; i < n; i++) {
    const e0 = rowPtr[i], e1 = rowPtr[i + 1];
    for (let t = 0; t < q; t++) {
      // the row (i,t) of B: entries (k,s) ↦ F_ik R_i[s][t]
      for (let ea = e0; ea < e1; ea++) {
        const k = colIdx[ea], fa = values[ea];
        for (let s = 0; s < q; s++) {
          const ba = fa * R[i * qq + s * q + t];
          if (ba === 0) continue;
          const row = (k * q + s) * m;
          for (let eb = e0; eb < e1; eb++) {
            const l = colIdx[eb], fb = values[eb] * ba;
            for (let u = 0; u < q; u++) M[row + l * q + u] += fb * R[i * qq + u * q + t];
          }
        }
      }
    }
  }
  return M;
}

/** Columns of B per chunk of the dense symmetric product. */
const CHUNK = 128;

function congruenceDense(f: DenseFactor | StoredFactor, R: Float64Array, q: number, work: CongruenceWork): Float64Array {
  const n = f.n, m = n * q, qq = q * q;
  const lower = f.kind === 'stored' || f.lower;
  const entry = f.kind === 'stored' ? (i: number, k: number) => storedEntry(f, i, k) : (i: number, k: number) => f.F[i * n + k];
  const { arena, C, P, width: w } = work;
  // only the lower triangle accumulates (a stored factor may live in C's strict upper triangle until
  // the end)
  for (let r = 0; r < m; r++) C.fill(0, r * m, r * m + r + 1);
  // M = Σ over chunks of B's rows (i, t), i in [i0, i1): P Pᵀ with P = Bᵀ[:, chunk] (m × width, packed);
  // when F is lower triangular only rows (k, s) with k < i1 of P are nonzero, so the chunk's
  // product touches the leading (i1 q) × (i1 q) block: Σ_chunks (i1 q)² w / 2 ≈ m³/6 multiply–adds
  const levelsPerChunk = Math.max(1, Math.floor(w / q));
  for (let i0 = 0; i0 < n; i0 += levelsPerChunk) {
    const i1 = Math.min(n, i0 + levelsPerChunk);
    const width = (i1 - i0) * q;
    const rows = lower ? i1 * q : m;
    // P[(k,s)][(i − i0, t)] = F_ik R_i[s][t], stride `width`
    P.fill(0, 0, rows * width);
    for (let i = i0; i < i1; i++) {
      const kEnd = lower ? i + 1 : n;
      const col = (i - i0) * q;
      for (let k = 0; k < kEnd; k++) {
        const v = entry(i, k);
        if (v === 0) continue;
        for (let s = 0; s < q; s++) {
          const o = (k * q + s) * width + col;
          for (let t = 0; t < q; t++) P[o + t] = v * R[i * qq + s * q + t];
        }
      }
    }
    // C −= P Pᵀ on the leading rows × rows block (lower triangle)
    arena.subtractABt(C, m, P, rows, P, rows, width, true);
  }
  // M = −C in place, both triangles
  for (let r = 0; r < m; r++) {
    for (let c = 0; c <= r; c++) {
      const v = -C[r * m + c];
      C[r * m + c] = v;
      C[c * m + r] = v;
    }
  }
  return C;
}
