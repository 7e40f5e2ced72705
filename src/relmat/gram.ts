/**
 * The Gram matrix of a model with known covariance factors: A = [Z X y]ᵀ[Z X y] as the data give it
 * (any source of A), transformed once per formation by B = blockdiag(F_k ⊗ I_q for blocks with a
 * known K, I otherwise):
 *
 *   A_kk → (F ⊗ I)ᵀ A_kk (F ⊗ I)          dense m_k × m_k (GramMatrix.AkkDense)
 *   A_Xk → A_Xk (F ⊗ I)
 *   A_jk → B_jᵀ A_jk B_k                   every pair of levels (a full block pattern)
 *
 * so that the blocked Cholesky of Λ(θ)ᵀ(BᵀAB)Λ(θ) + I is that of the model with Z B in place of Z
 * (src/relmat/covFactor.ts). The other blocks' arrays are shared with the source, so a source
 * refilled in place (PIRLS's weighted passes) needs only `update`.
 */
import type { BlockSparse, GramMatrix } from '../linalg/gram.js';
import { type CovFactor, CongruenceWork, congruence, rightMultiplyFactor } from './covFactor.js';

function fullPattern(nrow: number, ncol: number): BlockSparse['pattern'] {
  const colPtr = Int32Array.from({ length: ncol + 1 }, (_, c) => c * nrow);
  const rowIdx = Int32Array.from({ length: nrow * ncol }, (_, e) => e % nrow);
  return { nrow, ncol, colPtr, rowIdx };
}

/** A block-sparse matrix as a dense (nrow qr) × (ncol qc) row-major one. */
function densify(A: BlockSparse): Float64Array {
  const { pattern: P, qr, qc, values } = A;
  const mr = P.nrow * qr, mc = P.ncol * qc;
  const D = new Float64Array(mr * mc);
  for (let c = 0; c < P.ncol; c++) {
    for (let e = P.colPtr[c]; e < P.colPtr[c + 1]; e++) {
      const r = P.rowIdx[e];
      for (let s = 0; s < qr; s++) for (let t = 0; t < qc; t++) D[(r * qr + s) * mc + c * qc + t] = values[e * qr * qc + s * qc + t];
    }
  }
  return D;
}

function transpose(A: Float64Array, rows: number, cols: number): Float64Array {
  const T = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) T[c * rows + r] = A[r * cols + c];
  return T;
}

export class KnownCovarianceGram {
  /** the transformed Gram matrix (its arrays are refilled by `update`) */
  readonly gram: GramMatrix;
  private readonly known: (CovFactor | null)[];
  private readonly work: (CongruenceWork | null)[];

  /** the dense blocks are formed by the factorization into its own storage (GramMatrix.AkkDenseFill) */
  private readonly deferred: boolean;

  /**
   * `known[k]`: block k's factor F, or null; blocks with a factor must have every level (the extended
   * ones too). `deferDense`: leave the dense blocks to the first BlockedCholesky (AkkDenseFixed and
   * AkkDenseFill; the matrix is then not refilled by `update`).
   */
  constructor(source: GramMatrix, known: (CovFactor | null)[], options: { deferDense?: boolean } = {}) {
    const { blocks, p } = source;
    const p1 = p + 1;
    this.known = known;
    this.deferred = !!options.deferDense;
    known.forEach((f, k) => {
      if (f && f.n !== blocks[k].nl) throw new Error(`internal: the known factor of '${blocks[k].group}' has ${f.n} levels, the block ${blocks[k].nl}`);
    });
    this.work = known.map((f, k) => (f && f.kind === 'dense' && !this.deferred ? new CongruenceWork(f.n, blocks[k].q) : null));
    const m = blocks.map((b) => b.nl * b.q);
    this.gram = {
      n: source.n, p, blocks, Akk: source.Akk, yty: source.yty, AXX: source.AXX,
      AkkDense: known.map((f, k) => (f ? (this.deferred ? new Float64Array(0) : (this.work[k]?.C ?? new Float64Array(m[k] * m[k]))) : null)),
      AXk: source.AXk.map((a, k) => (known[k] ? new Float64Array(p1 * m[k]) : a)),
      Ajk: source.Ajk.map((row, j) => row.map((A, k) => {
        if (!A || !(known[j] || known[k])) return A;
        const pattern = fullPattern(blocks[j].nl, blocks[k].nl);
        return { pattern, qr: A.qr, qc: A.qc, values: new Float64Array(pattern.rowIdx.length * A.qr * A.qc) };
      })),
    };
    if (this.deferred) {
      this.gram.AkkDenseFixed = true;
      this.gram.AkkDenseFill = known.map((f, k) => (f ? (target) => {
        const M = congruence(f, source.Akk[k], blocks[k].q, new CongruenceWork(f.n, blocks[k].q, target));
        if (M !== target.C) target.C.set(M);
      } : null));
    }
    this.update(source);
  }

  /** Recomputes the transformed parts from `source` (the same structure as at construction). */
  update(source: GramMatrix): GramMatrix {
    const { blocks, p } = source;
    const p1 = p + 1;
    const g = this.gram;
    // arrays that are not transformed follow the source (a source may replace them)
    g.AXX = source.AXX;
    g.yty = source.yty;
    if (this.deferred && g.AkkDense!.some((a, k) => this.known[k] && a!.length > 0)) throw new Error('internal: a Gram matrix whose dense blocks live in a factor is not refilled');
    this.known.forEach((f, k) => {
      if (!f) { g.AXk[k] = source.AXk[k]; return; }
      const q = blocks[k].q;
      if (!this.deferred) {
        const M = congruence(f, source.Akk[k], q, this.work[k] ?? undefined);
        if (M !== g.AkkDense![k]) g.AkkDense![k]!.set(M);
      }
      g.AXk[k].set(rightMultiplyFactor(source.AXk[k], p1, f, q));
    });
    for (let j = 1; j < blocks.length; j++) {
      for (let k = 0; k < j; k++) {
        const Fj = this.known[j], Fk = this.known[k];
        if (!(Fj || Fk)) { g.Ajk[j][k] = source.Ajk[j][k]; continue; }
        const A = source.Ajk[j][k];
        const mj = blocks[j].nl * A.qr, mk = blocks[k].nl * A.qc;
        // B_jᵀ A_jk B_k: right by F_k ⊗ I, left by (F_j ⊗ I)ᵀ (as a right product of the transpose)
        let D = densify(A);
        if (Fk) D = rightMultiplyFactor(D, mj, Fk, A.qc);
        if (Fj) D = transpose(rightMultiplyFactor(transpose(D, mj, mk), mk, Fj, A.qr), mk, mj);
        const out = g.Ajk[j][k];
        const nrow = blocks[j].nl, qr = A.qr, qc = A.qc;
        for (let c = 0; c < blocks[k].nl; c++) {
          for (let r = 0; r < nrow; r++) {
            const e = c * nrow + r;
            for (let s = 0; s < qr; s++) for (let t = 0; t < qc; t++) out.values[e * qr * qc + s * qc + t] = D[(r * qr + s) * mk + c * qc + t];
          }
        }
      }
    }
    return g;
  }
}

/**
 * The Gram matrix a model's factorization uses: `gram` itself, or transformed by the blocks' known
 * factors, once (not refilled: AkkDenseFixed).
 */
export function knownCovarianceGram(gram: GramMatrix, known: ({ F: CovFactor } | null)[]): GramMatrix {
  if (!known.some((k) => k)) return gram;
  // never refilled: the blocked Cholesky forms each dense block in its factor's storage
  // (GramMatrix.AkkDenseFixed, AkkDenseFill)
  return new KnownCovarianceGram(gram, known.map((k) => k?.F ?? null), { deferDense: true }).gram;
}
