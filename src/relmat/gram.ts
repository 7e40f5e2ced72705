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
 * refilled in place (PIRLS's weighted passes) needs only `update` (glmer: KnownCovarianceGram, the
 * factors F held for the fit).
 *
 * lmer's matrix is formed once (knownCovarianceGram), in the first factorization's storage: for a
 * dense K, the block's m × m array holds, in turn,
 *   1. K's Cholesky factor F (formed in its lower triangle, then moved transposed into the strict
 *      upper triangle, the diagonal apart: a StoredFactor), while A_Xk, A_jk and then A_kk are
 *      transformed by it — A_kk's congruence accumulates in the lower triangle and lands in the upper
 *      one, over F, when F is no longer needed;
 *   2. during the fit, A_kk (upper) and the factor L_kk at each θ (lower);
 *   3. at the fit's end, L_kk at θ̂ (lower) and F formed again from K (upper: lendKnownFactors), for
 *      b = (F ⊗ I) Λ u and the conditional variances; a later factorization forms A_kk again first
 *      (GramMatrix.AkkDenseRestore).
 * So K's factor never has an array of its own (for q > 1 it is formed in an n × n array, 1/q² of the
 * block, and copied in), and the user's K is the one other n × n array.
 */
import type { BlockSparse, DenseBlockTarget, GramMatrix } from '../linalg/gram.js';
import type { BlockedCholesky } from '../linalg/blockedCholesky.js';
import { DenseArena } from '../linalg/denseArena.js';
import { type CovFactor, type StoredFactor, CongruenceWork, congruence, rightMultiplyFactor } from './covFactor.js';
import type { KnownBlock } from './blocks.js';

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

/**
 * A_Xk → A_Xk (F ⊗ I) and A_jk → B_jᵀ A_jk B_k for the blocks with a factor, from `source` into `g`
 * (whose transformed arrays exist); the arrays of blocks without one follow the source.
 */
function transformOffDiagonal(source: GramMatrix, g: GramMatrix, known: (CovFactor | null)[]): void {
  const { blocks, p } = source;
  const p1 = p + 1;
  known.forEach((f, k) => {
    if (!f) { g.AXk[k] = source.AXk[k]; return; }
    g.AXk[k].set(rightMultiplyFactor(source.AXk[k], p1, f, blocks[k].q));
  });
  for (let j = 1; j < blocks.length; j++) {
    for (let k = 0; k < j; k++) {
      const Fj = known[j], Fk = known[k];
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
}

/** The transformed matrix's arrays (values to be filled): dense blocks as given, the transformed A_Xk, full A_jk patterns. */
function transformedShell(source: GramMatrix, known: (unknown | null)[], dense: (k: number) => Float64Array): GramMatrix {
  const { blocks, p } = source;
  return {
    n: source.n, p, blocks, Akk: source.Akk, yty: source.yty, AXX: source.AXX,
    AkkDense: known.map((f, k) => (f ? dense(k) : null)),
    AXk: source.AXk.map((a, k) => (known[k] ? new Float64Array((p + 1) * blocks[k].nl * blocks[k].q) : a)),
    Ajk: source.Ajk.map((row, j) => row.map((A, k) => {
      if (!A || !(known[j] || known[k])) return A;
      const pattern = fullPattern(blocks[j].nl, blocks[k].nl);
      return { pattern, qr: A.qr, qc: A.qc, values: new Float64Array(pattern.rowIdx.length * A.qr * A.qc) };
    })),
  };
}

/** The dense blocks' factors F for PIRLS's refilled matrices (glmer): held, and A_kk in arrays of their own. */
export class KnownCovarianceGram {
  /** the transformed Gram matrix (its arrays are refilled by `update`) */
  readonly gram: GramMatrix;
  private readonly known: (CovFactor | null)[];
  private readonly work: (CongruenceWork | null)[];

  /** `known[k]`: block k's factor F, or null; blocks with a factor must have every level (the extended ones too). */
  constructor(source: GramMatrix, known: (CovFactor | null)[]) {
    const { blocks } = source;
    this.known = known;
    known.forEach((f, k) => {
      if (f && f.n !== blocks[k].nl) throw new Error(`internal: the known factor of '${blocks[k].group}' has ${f.n} levels, the block ${blocks[k].nl}`);
    });
    this.work = known.map((f, k) => (f && f.kind !== 'sparse' ? new CongruenceWork(f.n, blocks[k].q) : null));
    this.gram = transformedShell(source, known, (k) => this.work[k]?.C ?? new Float64Array((blocks[k].nl * blocks[k].q) ** 2));
    this.update(source);
  }

  /** Recomputes the transformed parts from `source` (the same structure as at construction). */
  update(source: GramMatrix): GramMatrix {
    const g = this.gram;
    // arrays that are not transformed follow the source (a source may replace them)
    g.AXX = source.AXX;
    g.yty = source.yty;
    this.known.forEach((f, k) => {
      if (!f) return;
      const M = congruence(f, source.Akk[k], source.blocks[k].q, this.work[k] ?? undefined);
      if (M !== g.AkkDense![k]) g.AkkDense![k]!.set(M);
    });
    transformOffDiagonal(source, g, this.known);
    return g;
  }
}

/**
 * lmer's transformed matrix, formed in the first factorization's storage (see the top of this file):
 * the dense blocks' storage, K's factor lent into it at the end, and the block formed again after.
 */
class KnownBlocksInStorage {
  private targets: (DenseBlockTarget | null)[] = [];
  /** per block: K's factor while it occupies the block's upper triangle (the block is then not there) */
  private readonly lent: (StoredFactor | null)[];

  constructor(private readonly source: GramMatrix, private readonly known: (KnownBlock | null)[]) {
    this.lent = known.map(() => null);
  }

  /** GramMatrix.AkkDenseForm: A_Xk, A_jk and the dense blocks, once, in the targets (the first factorization's L_kk) */
  form(g: GramMatrix, targets: (DenseBlockTarget | null)[]): void {
    this.targets = targets;
    const F = this.known.map((kb, k) => {
      if (!kb) return null;
      if (!targets[k]) throw new Error(`internal: no storage for the dense block of '${kb.group}'`);
      return kb.denseFactorInto ? this.factorInStorage(k, false) : kb.factor();
    });
    transformOffDiagonal(this.source, g, F);
    F.forEach((f, k) => { if (f) this.formBlock(k, f); });
  }

  /** A_kk = (F ⊗ I)ᵀ A_kk (F ⊗ I) into block k's storage, both triangles (over a stored F, which it consumes) */
  private formBlock(k: number, f: CovFactor): void {
    const t = this.targets[k]!;
    const q = this.source.blocks[k].q;
    const M = congruence(f, this.source.Akk[k], q, new CongruenceWork(f.n, q, t));
    if (M !== t.C) t.C.set(M);
  }

  /**
   * K's factor into block k's storage: formed in the lower triangle and moved transposed to the strict
   * upper one (q = 1; with `keepLower` the lower triangle's factor L_kk is kept: moved up, F formed
   * below, the two triangles swapped), or formed in an n × n array and copied there (q > 1, where the
   * upper triangle has room beside L_kk's).
   */
  private factorInStorage(k: number, keepLower: boolean): StoredFactor {
    const kb = this.known[k]!;
    const { arena, C } = this.targets[k]!;
    const n = kb.n, q = this.source.blocks[k].q, m = n * q;
    const diag = new Float64Array(n);
    if (q === 1) {
      const dTheta = keepLower ? Float64Array.from({ length: n }, (_, i) => C[i * m + i]) : null;
      if (keepLower) copyLowerToUpper(C, m);
      kb.denseFactorInto!(C, arena);
      for (let i = 0; i < n; i++) diag[i] = C[i * m + i];
      if (dTheta) {
        swapTriangles(C, m);
        for (let i = 0; i < n; i++) C[i * m + i] = dTheta[i];
      } else {
        copyLowerToUpper(C, m);
      }
    } else {
      const work = new DenseArena([n * n]);
      const L = work.arrays[0];
      kb.denseFactorInto!(L, work);
      for (let i = 0; i < n; i++) {
        diag[i] = L[i * n + i];
        for (let j = 0; j < i; j++) C[j * m + i] = L[i * n + j];
      }
    }
    return { kind: 'stored', n, U: C, ld: m, diag };
  }

  /** The known factors at the fit's end (see lendKnownFactors). */
  lend(chol: BlockedCholesky): (CovFactor | null)[] {
    return this.known.map((kb, k) => {
      if (!kb) return null;
      if (!kb.denseFactorInto) return kb.factor();
      if (chol.Lkk[k] !== this.targets[k]?.C) throw new Error(`internal: the factors of '${kb.group}' are lent by the factorization that holds its block`);
      return (this.lent[k] ??= this.factorInStorage(k, true));
    });
  }

  /** GramMatrix.AkkDenseRestore: the blocks whose storage holds K's factor are formed again */
  restore(): void {
    this.lent.forEach((f, k) => {
      if (!f) return;
      this.lent[k] = null;
      this.formBlock(k, f);
    });
  }
}

const stores = new WeakMap<GramMatrix, KnownBlocksInStorage>();

/**
 * The Gram matrix lmer's factorization uses: `gram` itself, or transformed by the blocks' known
 * factors, formed by the first BlockedCholesky built on it in its own storage (GramMatrix.AkkDenseForm;
 * AkkDenseFixed: never refilled).
 */
export function knownCovarianceGram(gram: GramMatrix, known: (KnownBlock | null)[]): GramMatrix {
  if (!known.some((k) => k)) return gram;
  known.forEach((kb, k) => {
    if (kb && kb.n !== gram.blocks[k].nl) throw new Error(`internal: the known factor of '${kb.group}' has ${kb.n} levels, the block ${gram.blocks[k].nl}`);
  });
  const store = new KnownBlocksInStorage(gram, known);
  const g = transformedShell(gram, known, () => new Float64Array(0));
  g.AkkDenseFixed = true;
  g.AkkDenseForm = (targets) => store.form(g, targets);
  g.AkkDenseRestore = () => store.restore();
  stores.set(g, store);
  return g;
}

/**
 * The blocks' known factors F for b = (F ⊗ I) Λ u and the conditional variances, from `chol`, the
 * factorization that holds lmer's transformed matrix (its L_kk at the current θ is kept): a dense K's
 * factor is formed again from K in the block's upper triangle (valid until the next factorization,
 * which forms the block again); other factors as kept. For any other matrix, each block's own factor.
 */
export function lendKnownFactors(chol: BlockedCholesky, known: (KnownBlock | null)[]): (CovFactor | null)[] {
  const store = stores.get(chol.gram);
  return store ? store.lend(chol) : known.map((kb) => kb?.factor() ?? null);
}

/** Tile of the transposing copies (64 × 64 doubles). */
const TILE = 64;

/** C[j][i] = C[i][j] for i > j (m × m row-major), tile by tile. */
function copyLowerToUpper(C: Float64Array, m: number): void {
  for (let i0 = 0; i0 < m; i0 += TILE) {
    for (let j0 = 0; j0 <= i0; j0 += TILE) {
      const i1 = Math.min(m, i0 + TILE), j1 = Math.min(m, j0 + TILE);
      for (let i = i0; i < i1; i++) for (let j = j0; j < Math.min(j1, i); j++) C[j * m + i] = C[i * m + j];
    }
  }
}

/** Swaps C[i][j] and C[j][i] for i > j (m × m row-major), tile by tile. */
function swapTriangles(C: Float64Array, m: number): void {
  for (let i0 = 0; i0 < m; i0 += TILE) {
    for (let j0 = 0; j0 <= i0; j0 += TILE) {
      const i1 = Math.min(m, i0 + TILE), j1 = Math.min(m, j0 + TILE);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < Math.min(j1, i); j++) {
          const v = C[i * m + j];
          C[i * m + j] = C[j * m + i];
          C[j * m + i] = v;
        }
      }
    }
  }
}
