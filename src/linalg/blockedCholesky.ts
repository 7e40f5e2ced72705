/**
 * The blocked Cholesky factor of the augmented system at θ (Bates et al. 2015, eqs. 18–20; the
 * blocked form of MixedModels.jl):
 *
 *   [ΛᵀZᵀZΛ + I   ΛᵀZᵀ[X y]]   =  L Lᵀ,    L = [L_Z    0  ]
 *   [[X y]ᵀZΛ     [X y]ᵀ[X y]]                 [L_XZ  L_XX]
 *
 * with the random blocks ordered by number of levels (largest first). Block k of L_Z:
 *   L_kk L_kkᵀ = Λ_kᵀ A_kk Λ_k + I − Σ_{i<k} L_ki L_kiᵀ
 *   L_jk       = (Λ_jᵀ A_jk Λ_k − Σ_{i<k} L_ji L_kiᵀ) L_kk⁻ᵀ           (j > k)
 *   L_Xk       = (A_Xk Λ_k − Σ_{i<k} L_Xi L_kiᵀ) L_kk⁻ᵀ
 *   L_XX L_XXᵀ = A_XX − Σ_k L_Xk L_Xkᵀ
 * L_XX's leading p × p block is R_XXᵀ, its last row is [r_yXᵀ  r], r² the penalized residual sum of
 * squares (pwrss).
 *
 * Storage: the first block, and any later block whose Schur complement stays block diagonal (a
 * factor in which the earlier ones are nested), keeps L_kk block diagonal (one q×q factor per level)
 * and L_jk block sparse, with the fill pattern found once, symbolically. From the first block whose
 * Schur complement is not block diagonal (a crossed factor), or whose A_kk is dense (a known
 * covariance factor mixes its levels: GramMatrix.AkkDense), the diagonal blocks and the blocks below
 * them are dense.
 */
import { FirstBlockPass, levelsArray } from './firstBlock.js';
import { ModelError } from '../errors/errors.js';
import { type BlockPattern, type GramMatrix, type PatternRows, findInPattern, patternFromKeys, patternRows } from './gram.js';
import { fillTemplate } from './template.js';
import { NotPositiveDefiniteError, choleskyInPlace } from './dense.js';
import { DenseArena, type DenseKernelKind, type SparseUpdate } from './denseArena.js';

/** The first block of the factor, computed by another backend (see BlockedCholesky.factor). */
export interface FirstBlock {
  /** L_00: one q×q lower factor per level (row-major, level-major), as Lkk[0] */
  L0: Float64Array;
  /** L_X0: (p+1) × (nl q) row-major, as LXk[0] */
  LX0: Float64Array;
  /** log |L_00|² */
  ldL2: number;
  /** A_XX − L_X0 L_X0ᵀ, (p+1) × (p+1) row-major (lower triangle used) */
  S0: Float64Array;
}

/**
 * Where the dense blocks' Cholesky factorizations and right solves run. The default runs them here
 * (WebAssembly SIMD or JavaScript, in the arena); the WebGPU backend supplies one that runs them on
 * the GPU and answers with promises (then `factorAsync` drives the factorization). An external
 * solver keeps the factor itself: Lkk[k] of a dense block then holds the matrix before factoring.
 */
export interface DenseSolver {
  /** factors dense block k (D: m × m, lower triangle) and returns log det L² */
  cholesky(k: number, D: Float64Array, m: number, what: string): number | Promise<number>;
  /** S ← S L_kk⁻ᵀ for S rows × m, L_kk the factor of block k (L: the arena's copy, for local solvers) */
  rightSolve(k: number, S: Float64Array, rows: number, L: Float64Array, m: number): void | Promise<void>;
  /**
   * (optional, for an asynchronous solver) factors dense block k and solves the right-hand sides
   * S ← S L_kk⁻ᵀ of the blocks below it and of [X y] in one go: one round trip where `cholesky` and
   * each `rightSolve` take one each. The right-hand sides are formed before the factorization (they
   * depend on the blocks left of k only, not on L_kk), so the values are those of the separate calls.
   */
  factorAndSolve?(k: number, D: Float64Array, m: number, what: string, rhs: readonly DenseRhs[]): Promise<number>;
}

/** A right-hand side of DenseSolver.factorAndSolve: `rows` rows of m, row-major, solved in place. */
export interface DenseRhs { S: Float64Array; rows: number }

/** Work the factorization waits on (an external dense solver's promise). */
type Pending = Promise<unknown>;

/**
 * The Cholesky factor of the [X y] Schur complement L_XX (in place, (p+1) × (p+1) row-major lower):
 * the leading p × p block is R_XXᵀ (log|R_XX|²), the last row is [r_yXᵀ r] with r² the penalized
 * residual sum of squares (eq. 20); the last diagonal entry is set to r (0 when r² ≤ 0).
 */
export function factorXy(LXX: Float64Array, p1: number): { ldRX2: number; pwrss: number } {
  const p = p1 - 1;
  const ldRX2 = p > 0 ? choleskyInPlace(LXX, p, 'the fixed-effects cross-product matrix X\'X − R_ZX\'R_ZX', 0, p1) : 0;
  for (let s = 0; s < p; s++) {
    let v = LXX[p * p1 + s];
    for (let t = 0; t < s; t++) v -= LXX[p * p1 + t] * LXX[s * p1 + t];
    LXX[p * p1 + s] = v / LXX[s * p1 + s];
  }
  let r2 = LXX[p * p1 + p];
  for (let t = 0; t < p; t++) r2 -= LXX[p * p1 + t] * LXX[p * p1 + t];
  LXX[p * p1 + p] = r2 > 0 ? Math.sqrt(r2) : 0;
  return { ldRX2, pwrss: r2 };
}

/**
 * The order of the updates of a dense diagonal block from the sparse blocks to its left, in
 * JavaScript: by the sparse blocks' columns, or by the dense block's rows. 'auto' (default): the
 * WebAssembly kernel of the arena (by columns within chunks of rows shared with its threads;
 * wasm/dense.ts's sparseColumns), or where the kernels are JavaScript, rows or columns by the block's
 * size (the choice is the cache's).
 * Every order subtracts each entry's terms by the sparse blocks' columns ascending, so all give the
 * same factor bit for bit.
 */
export type DenseUpdateOrder = 'auto' | 'rows' | 'columns';

export interface BlockedCholeskyOptions {
  denseUpdate?: DenseUpdateOrder;
  /** false: the first block by the general steps even where firstBlock.ts's fused pass applies (tests) */
  fuseFirst?: boolean;
}

/** A dense block up to this size is updated from the sparse blocks column by column (it stays in cache). */
const DENSE_IN_CACHE_BYTES = 4 * 2 ** 20;

/** Rows of BlockedCholesky.scratch per dense block. */
export const SCRATCH_ROWS = 240;

/** Largest dense diagonal block (rows) accepted: 8000² doubles is 512 MB. */
export const MAX_DENSE_BLOCK = 8000;

export class BlockedCholesky {
  readonly gram: GramMatrix;
  readonly K: number;
  readonly p1: number;
  /** index of the first dense diagonal block (K when all are block diagonal) */
  readonly denseFrom: number;
  /** sizes m_k = nl_k q_k */
  readonly m: number[];
  /** L_jk patterns for j > k, k < denseFrom */
  readonly patterns: BlockPattern[][];
  /** for sparse L_jk: position in L_jk's pattern of each entry of A_jk */
  private readonly scatterA: Int32Array[][];
  /**
   * for sparse L_ji below a dense block (j ≥ denseFrom > i): its pattern by rows, so that the
   * updates of the dense blocks from it run row by row (each row of the dense block stays in cache)
   */
  private readonly rowsOf: PatternRows[][];

  /** the current θ */
  readonly theta: Float64Array;
  /** templates T_k (q_k × q_k row-major) at the current θ */
  readonly T: Float64Array[];
  /** L_kk: block diagonal (nl·q·q) for k < denseFrom, else dense m_k × m_k row-major */
  readonly Lkk: Float64Array[];
  /** L_jk (j > k): block sparse values for k < denseFrom, else dense m_j × m_k row-major */
  readonly Ljk: Float64Array[][];
  /** L_Xk: (p+1) × m_k row-major */
  readonly LXk: Float64Array[];
  /** L_XX: (p+1) × (p+1) row-major lower */
  readonly LXX: Float64Array;
  /** log |L_Z|² */
  ldL2 = 0;
  /** log |R_XX|² */
  ldRX2 = 0;
  /** penalized residual sum of squares r² */
  pwrss = 0;

  /** storage and kernels of the dense blocks (WebAssembly SIMD where available) */
  readonly arena: DenseArena;

  /** how the dense diagonal blocks are updated from the sparse ones (see factorDiagonal) */
  private readonly denseUpdate: DenseUpdateOrder;

  constructor(gram: GramMatrix, nTheta: number, kernels: DenseKernelKind = 'wasm', options: BlockedCholeskyOptions = {}) {
    this.gram = gram;
    this.denseUpdate = options.denseUpdate ?? 'auto';
    this.firstCross = new Float64Array((gram.p + 1) * (gram.p + 1));
    const { blocks } = gram;
    const K = (this.K = blocks.length);
    this.p1 = gram.p + 1;
    this.m = blocks.map((b) => b.nl * b.q);
    // symbolic analysis: the fill pattern of each sparse L_jk, and where the dense part begins (at the
    // latest, at the first block with a dense A_kk)
    const firstDenseA = gram.AkkDense ? gram.AkkDense.findIndex((a) => a !== null && a !== undefined) : -1;
    let denseFrom = firstDenseA >= 0 ? firstDenseA : K;
    const patterns: BlockPattern[][] = blocks.map(() => []);
    for (let k = 0; k < K; k++) {
      if (k > 0 && denseFrom === K) {
        // L_kk stays block diagonal iff every column of every L_ki (i < k) has at most one entry
        for (let i = 0; i < k && denseFrom === K; i++) {
          const cp = patterns[k][i].colPtr;
          for (let c = 0; c + 1 < cp.length; c++) if (cp[c + 1] - cp[c] > 1) { denseFrom = k; break; }
        }
      }
      if (k >= denseFrom) break;
      for (let j = k + 1; j < K; j++) {
        const nrow = blocks[j].nl;
        const A = gram.Ajk[j][k].pattern;
        const keys: number[] = [];
        for (let c = 0; c < A.ncol; c++) for (let e = A.colPtr[c]; e < A.colPtr[c + 1]; e++) keys.push(c * nrow + A.rowIdx[e]);
        for (let i = 0; i < k; i++) {
          const Pj = patterns[j][i];
          const Pk = patterns[k][i];
          for (let c = 0; c < Pk.ncol; c++) {
            for (let eb = Pk.colPtr[c]; eb < Pk.colPtr[c + 1]; eb++) {
              const b = Pk.rowIdx[eb];
              for (let ea = Pj.colPtr[c]; ea < Pj.colPtr[c + 1]; ea++) keys.push(b * nrow + Pj.rowIdx[ea]);
            }
          }
        }
        patterns[j][k] = patternFromKeys(keys, nrow, blocks[k].nl);
      }
    }
    this.denseFrom = denseFrom;
    this.patterns = patterns;
    for (let k = denseFrom; k < K; k++) {
      if (this.m[k] > MAX_DENSE_BLOCK) {
        const why = gram.AkkDense?.[k] ? 'has a known covariance matrix' : `is crossed with '${blocks[0].group}'`;
        throw new ModelError(`grouping factor '${blocks[k].group}' ${why} and has ${this.m[k]} random effects: its dense block is too large (limit ${MAX_DENSE_BLOCK})`);
      }
    }
    this.scatterA = blocks.map(() => []);
    for (let j = 1; j < K; j++) {
      for (let k = 0; k < Math.min(j, denseFrom); k++) {
        const A = gram.Ajk[j][k].pattern;
        const pos = new Int32Array(A.rowIdx.length);
        for (let c = 0; c < A.ncol; c++) for (let e = A.colPtr[c]; e < A.colPtr[c + 1]; e++) pos[e] = findInPattern(patterns[j][k], c, A.rowIdx[e]);
        this.scatterA[j][k] = pos;
      }
    }
    this.rowsOf = blocks.map((_, j) => blocks.map((__, i) => (j >= denseFrom && i < denseFrom ? patternRows(patterns[j][i]) : (null as unknown as PatternRows))));
    // storage, allocated once; the dense blocks (from denseFrom on) in the arena
    this.theta = new Float64Array(nTheta);
    this.T = blocks.map((b) => new Float64Array(b.q * b.q));
    const denseSizes: number[] = [];
    const denseSlot = (size: number) => { denseSizes.push(size); return denseSizes.length - 1; };
    const slotKK = blocks.map((_, k) => (k >= denseFrom ? denseSlot(this.m[k] * this.m[k]) : -1));
    const slotJK = blocks.map((_, j) => blocks.map((__, k) => (k < j && k >= denseFrom ? denseSlot(this.m[j] * this.m[k]) : -1)));
    const slotXK = blocks.map((_, k) => (k >= denseFrom ? denseSlot(this.p1 * this.m[k]) : -1));
    // with a known covariance: a few rows of work beside each dense block, for solves with its L_kk
    // in place (src/relmat/conditional.ts) instead of copying it
    const known = !!gram.AkkDense?.some((a) => a);
    const slotScratch = blocks.map((_, k) => (known && k >= denseFrom ? denseSlot(SCRATCH_ROWS * this.m[k]) : -1));
    // the sparse L_ji below a dense block (j ≥ denseFrom > i) and its pattern (Int32) live in the
    // arena too: the dense blocks' updates from them run in its kernels and threads
    const sparseBelow = (j: number, i: number) => j >= denseFrom && i < denseFrom;
    const slotSparse = blocks.map((bj, j) => blocks.map((bi, i) => (sparseBelow(j, i) ? denseSlot(patterns[j][i].rowIdx.length * bj.q * bi.q) : -1)));
    const intsOf = (P: BlockPattern) => P.ncol + 1 + P.rowIdx.length;
    const slotInts = blocks.map((_, j) => blocks.map((__, i) => (sparseBelow(j, i) ? denseSlot(Math.ceil(intsOf(patterns[j][i]) / 2)) : -1)));
    // for the updates of L_Xk (k ≥ denseFrom) from the sparse L_ki in the WebAssembly kernel: L_Xi
    // (i < denseFrom) by levels of i, and its pattern (every row in every level)
    const hasDense = denseFrom < K && kernels === 'wasm';
    const slotXT = blocks.map((_, i) => (hasDense && i < denseFrom ? denseSlot(this.p1 * this.m[i]) : -1));
    const slotXTInts = blocks.map((b, i) => (hasDense && i < denseFrom ? denseSlot(Math.ceil((b.nl + 1 + this.p1 * b.nl) / 2)) : -1));
    this.arena = new DenseArena(denseSizes, kernels);
    const dense = this.arena.arrays;
    this.LXT = blocks.map((b, i) => {
      if (slotXT[i] < 0) return null;
      const ints = this.arena.ints(slotXTInts[i]);
      const colPtr = ints.subarray(0, b.nl + 1), rowIdx = ints.subarray(b.nl + 1, b.nl + 1 + this.p1 * b.nl);
      for (let c = 0; c <= b.nl; c++) colPtr[c] = c * this.p1;
      for (let e = 0; e < rowIdx.length; e++) rowIdx[e] = e % this.p1;
      const P = { nrow: this.p1, ncol: b.nl, colPtr, rowIdx };
      return { V: dense[slotXT[i]], P, R: patternRows(P) };
    });
    for (let j = denseFrom; j < K; j++) {
      for (let i = 0; i < denseFrom; i++) {
        const P = patterns[j][i];
        const colPtr = this.arena.ints(slotInts[j][i]).subarray(0, P.colPtr.length);
        const rowIdx = this.arena.ints(slotInts[j][i]).subarray(P.colPtr.length, P.colPtr.length + P.rowIdx.length);
        colPtr.set(P.colPtr);
        rowIdx.set(P.rowIdx);
        patterns[j][i] = { nrow: P.nrow, ncol: P.ncol, colPtr, rowIdx };
      }
    }
    // a block-diagonal first block with q ≤ 2: the fused pass (firstBlock.ts), its L on shared memory for the row threads
    const fuse = options.fuseFirst !== false && K > 0 && denseFrom > 0 && FirstBlockPass.applies(blocks[0]);
    const alloc = (k: number, size: number) => (fuse && k === 0 ? levelsArray(blocks[0].nl, size) : new Float64Array(size));
    this.Lkk = blocks.map((b, k) => (slotKK[k] >= 0 ? dense[slotKK[k]] : alloc(k, b.nl * b.q * b.q)));
    this.scratch = blocks.map((_, k) => (slotScratch[k] >= 0 ? dense[slotScratch[k]] : null));
    if (gram.AkkDenseFixed) this.adoptDenseBlocks();
    this.Ljk = blocks.map((bj, j) => blocks.map((bk, k) => {
      if (k >= j) return new Float64Array(0);
      if (slotJK[j][k] >= 0) return dense[slotJK[j][k]];
      return slotSparse[j][k] >= 0 ? dense[slotSparse[j][k]] : new Float64Array(patterns[j][k].rowIdx.length * bj.q * bk.q);
    }));
    this.LXk = blocks.map((_, k) => (slotXK[k] >= 0 ? dense[slotXK[k]] : alloc(k, this.p1 * this.m[k])));
    if (fuse) this.firstPass = new FirstBlockPass(blocks[0], gram.Akk[0], gram.AXk[0], this.p1, this.Lkk[0], this.LXk[0]);
    this.LXX = new Float64Array(this.p1 * this.p1);
    this.solver = this.localSolver();
  }

  /**
   * The dense blocks of a Gram matrix that is never refilled (GramMatrix.AkkDenseFixed) move into
   * L_kk's storage: A_kk's strict upper block triangle stays where it is (the factorization writes
   * only the lower triangle and the diagonal level blocks, src/linalg/dense.ts, wasm/dense.ts and
   * shaders/dense.wgsl read and write nothing else), its diagonal level blocks go to AkkDenseDiag,
   * and the separate array is dropped: one m_k × m_k array holds both the block and, from the first
   * θ on, its factor. A second factorization of the same matrix (the GPU's beside the float64
   * reference) reads the block from the first one's storage. With GramMatrix.AkkDenseForm the
   * blocks are formed here, in that storage, instead of moved.
   */
  private adoptDenseBlocks(): void {
    const { gram } = this;
    const A = gram.AkkDense!;
    const diag = (gram.AkkDenseDiag ??= A.map(() => null));
    const form = gram.AkkDenseForm;
    if (form) {
      // formed here, in place (the scratch rows serve as the congruence's packed chunk)
      gram.AkkDenseForm = null;
      const own = A.map((a, k) => !!a && !diag[k] && k >= this.denseFrom);
      form(A.map((_, k) => (own[k] ? { arena: this.arena, C: this.Lkk[k], P: this.scratch[k]! } : null)));
      own.forEach((o, k) => { if (o) A[k] = this.Lkk[k]; });
    }
    for (let k = this.denseFrom; k < this.K; k++) {
      const src = A[k];
      if (!src || diag[k]) continue;
      const { nl, q } = gram.blocks[k];
      const m = this.m[k], qq = q * q;
      const D = this.Lkk[k];
      const d = new Float64Array(nl * qq);
      for (let c = 0; c < nl; c++) {
        for (let s = 0; s < q; s++) for (let t = 0; t < q; t++) d[c * qq + s * q + t] = src[(c * q + s) * m + c * q + t];
      }
      if (src !== D) D.set(src);
      diag[k] = d;
      A[k] = D;
    }
  }

  /** per dense block (with a known covariance), SCRATCH_ROWS × m_k of work in the arena, else null */
  readonly scratch: (Float64Array | null)[];

  /** the dense solver (default: the arena's kernels, here) */
  private solver: DenseSolver;
  /** an external solver that factors and solves in one go (factorAndSolve), and the blocks it serves (null: every dense block) */
  private batch: { solver: DenseSolver; blocks: ReadonlySet<number> | null } | null = null;

  /** the fused pass of a block-diagonal first block with q ≤ 2 (firstBlock.ts), and L_X0 L_X0ᵀ ((p+1) × (p+1), lower) from it */
  private readonly firstPass: FirstBlockPass | null = null;
  private readonly firstCross: Float64Array;

  /** Runs the dense blocks' Cholesky and right solves with `solver` (e.g. on a GPU); null restores the local kernels. */
  useDenseSolver(solver: DenseSolver | null, blocks?: ReadonlySet<number>): void {
    const local = this.localSolver();
    this.batch = solver?.factorAndSolve ? { solver, blocks: blocks ?? null } : null;
    if (!solver || !blocks) {
      this.solver = solver ?? local;
      return;
    }
    // `solver` for the dense blocks in `blocks`, the local kernels for the others
    this.solver = {
      cholesky: (k, D, m, what) => (blocks.has(k) ? solver : local).cholesky(k, D, m, what),
      rightSolve: (k, S, rows, L, m) => (blocks.has(k) ? solver : local).rightSolve(k, S, rows, L, m),
    };
  }

  private localSolver(): DenseSolver {
    return {
      cholesky: (_k, D, m, what) => this.arena.cholesky(D, m, what),
      rightSolve: (_k, S, rows, L, m) => this.arena.rightSolve(S, rows, L, m),
    };
  }

  /** Is L_kk block diagonal (else dense)? */
  isBlockDiagonal(k: number): boolean {
    return k < this.denseFrom;
  }

  /**
   * Factors the system at θ; afterwards ldL2, ldRX2, pwrss and the L blocks hold its values.
   * `first`, when given, is the first block computed elsewhere (the WebGPU backend): its factor
   * L_00 (level blocks), L_X0, log|L_00|² and A_XX − L_X0 L_X0ᵀ; the rest is computed here.
   */
  factor(theta: ArrayLike<number>, first?: FirstBlock): void {
    // with the local kernels the steps never pause
    if (!this.factorSteps(theta, first).next().done) {
      throw new Error('BlockedCholesky.factor: the dense solver is asynchronous; use factorAsync');
    }
  }

  /** As `factor`, waiting on an asynchronous dense solver (the GPU's). */
  async factorAsync(theta: ArrayLike<number>, first?: FirstBlock): Promise<void> {
    const steps = this.factorSteps(theta, first);
    for (let r = steps.next(); !r.done; r = steps.next(await r.value));
  }

  /** The factorization, pausing (yielding) wherever an external dense solver answers with a promise. */
  private *factorSteps(theta: ArrayLike<number>, first?: FirstBlock): Generator<Pending, void, unknown> {
    const { gram, K, p1 } = this;
    const { blocks } = gram;
    // dense blocks whose storage was lent since the last factorization are formed again
    gram.AkkDenseRestore?.();
    this.theta.set(Array.from(theta));
    blocks.forEach((b, k) => fillTemplate(b, theta, this.T[k]));
    let ldL2 = 0;
    // a block-diagonal first block with q ≤ 2: L_00, L_X0 and L_X0 L_X0ᵀ in one pass (the same values)
    const fused = !first && this.firstPass ? this.firstCross : null;
    for (let k = 0; k < K; k++) {
      if (k === 0 && first) {
        this.Lkk[0].set(first.L0);
        this.LXk[0].set(first.LX0);
        ldL2 += first.ldL2;
      } else if (k === 0 && fused) {
        ldL2 += this.firstPass!.factor(this.T[0], fused);
      } else if (this.batched(k)) {
        // an external solver's one round trip: D_kk and the right-hand sides formed, then factored and solved together
        ldL2 += yield* this.factorDenseBatched(k, !(k === 0 && (first || fused)));
        continue;
      } else {
        ldL2 += yield* this.factorDiagonal(k);
      }
      for (let j = k + 1; j < K; j++) yield* this.factorOffDiagonal(j, k);
      if (!(k === 0 && (first || fused))) yield* this.factorXRow(k);
    }
    // L_XX L_XXᵀ = A_XX − Σ_k L_Xk L_Xkᵀ
    const LXX = this.LXX;
    LXX.set(first ? first.S0 : gram.AXX);
    if (fused) for (let r = 0; r < p1; r++) for (let s = 0; s <= r; s++) LXX[r * p1 + s] -= fused[r * p1 + s];
    for (let k = first || fused ? 1 : 0; k < K; k++) {
      const L = this.LXk[k];
      const m = this.m[k];
      for (let r = 0; r < p1; r++) {
        for (let s = 0; s <= r; s++) {
          let acc = 0;
          const ro = r * m, so = s * m;
          for (let c = 0; c < m; c++) acc += L[ro + c] * L[so + c];
          LXX[r * p1 + s] -= acc;
        }
      }
    }
    const xy = factorXy(LXX, p1);
    this.ldRX2 = xy.ldRX2;
    this.pwrss = xy.pwrss;
    this.ldL2 = ldL2;
  }

  /** Is dense block k factored with its solves by the external solver's factorAndSolve? */
  private batched(k: number): boolean {
    return this.batch !== null && k >= this.denseFrom && (this.batch.blocks?.has(k) ?? true);
  }

  /**
   * Dense block k by factorAndSolve: D_kk (formDenseDiagonal), the right-hand sides of L_jk for the
   * blocks j below it (formOffDiagonal) and of L_Xk (formXRow, when `xRow`), then one call; returns
   * log |L_kk|². The same values as factorDiagonal, factorOffDiagonal and factorXRow in turn.
   */
  private *factorDenseBatched(k: number, xRow: boolean): Generator<Pending, number, unknown> {
    const D = this.formDenseDiagonal(k);
    const rhs: DenseRhs[] = [];
    for (let j = k + 1; j < this.K; j++) {
      this.formOffDiagonal(j, k);
      rhs.push({ S: this.Ljk[j][k], rows: this.m[j] });
    }
    if (xRow) {
      this.formXRow(k);
      rhs.push({ S: this.LXk[k], rows: this.p1 });
    }
    const done = this.batch!.solver.factorAndSolve!(k, D, this.m[k], `the random-effects block of '${this.gram.blocks[k].group}'`, rhs);
    return (yield done) as number;
  }

  /** L_kk from Λ_kᵀ A_kk Λ_k + I − Σ_{i<k} L_ki L_kiᵀ; returns log |L_kk|². */
  private *factorDiagonal(k: number): Generator<Pending, number, unknown> {
    const { gram } = this;
    const b = gram.blocks[k];
    if (k >= this.denseFrom) {
      const ld = this.solver.cholesky(k, this.formDenseDiagonal(k), this.m[k], `the random-effects block of '${b.group}'`);
      return typeof ld === 'number' ? ld : ((yield ld) as number);
    }
    const q = b.q;
    const qq = q * q;
    const T = this.T[k];
    const A = gram.Akk[k];
    const D = this.Lkk[k];
    const M = new Float64Array(qq);
    const tmp = new Float64Array(qq);
    for (let c = 0; c < b.nl; c++) {
      congruence(T, A, c * qq, q, M, tmp);
      for (let e = 0; e < qq; e++) D[c * qq + e] = M[e];
      for (let s = 0; s < q; s++) D[c * qq + s * q + s] += 1;
    }
    // nested: each column of L_ki has at most one entry, so the update stays block diagonal
    for (let i = 0; i < k; i++) {
      const P = this.patterns[k][i];
      const qi = gram.blocks[i].q;
      const V = this.Ljk[k][i];
      for (let e = 0; e < P.rowIdx.length; e++) {
        const a = P.rowIdx[e];
        const vo = e * q * qi;
        for (let s = 0; s < q; s++) {
          for (let t = 0; t <= s; t++) {
            let acc = 0;
            for (let u = 0; u < qi; u++) acc += V[vo + s * qi + u] * V[vo + t * qi + u];
            D[a * qq + s * q + t] -= acc;
          }
        }
      }
    }
    let ld = 0;
    for (let c = 0; c < b.nl; c++) {
      try {
        ld += choleskyInPlace(D, q, '', c * qq, q);
      } catch (e) {
        if (e instanceof NotPositiveDefiniteError) throw new NotPositiveDefiniteError(`the random-effects block of level '${b.levels[c]}' of '${b.group}'`, 0, NaN);
        throw e;
      }
    }
    return ld;
  }

  /** A dense block k's D_kk = Λ_kᵀ A_kk Λ_k + I − Σ_{i<k} L_ki L_kiᵀ (lower triangle, in Lkk[k]), before its factorization. */
  private formDenseDiagonal(k: number): Float64Array {
    const { gram } = this;
    const b = gram.blocks[k];
    const q = b.q;
    const qq = q * q;
    const T = this.T[k];
    const A = gram.Akk[k];
    const D = this.Lkk[k];
    const M = new Float64Array(qq);
    const tmp = new Float64Array(qq);
    // dense diagonal block, row block by row block: Λ_kᵀ A_kk Λ_k + I, then the updates from the sparse
    // blocks to its left while the rows are in cache; then those from the dense blocks
    const m = this.m[k];
    const sparseLeft = Math.min(k, this.denseFrom);
    // in the arena's WebAssembly kernel (its rows shared with the threads) after Λᵀ A Λ + I is in
    // place; in JavaScript, a block that fits in cache column by column of the sparse blocks (streaming
    // them once), a larger one row by row (each of its rows stays in cache while the sparse columns
    // that touch it are read)
    const inArena = this.denseUpdate === 'auto' && this.arena.kind === 'wasm';
    const byRows = !inArena && (this.denseUpdate === 'auto' ? m * m * 8 > DENSE_IN_CACHE_BYTES : this.denseUpdate === 'rows');
    // a block with a known covariance (relmat) comes dense: Λᵀ A_kk Λ + I over all its level pairs at once
    const Adense = gram.AkkDense?.[k];
    if (Adense) denseCongruence(T, Adense, gram.AkkDenseDiag?.[k] ?? null, q, b.nl, D);
    for (let c = 0; c < b.nl; c++) {
      if (!Adense) {
        congruence(T, A, c * qq, q, M, tmp);
        for (let s = 0; s < q; s++) {
          const r = c * q + s;
          D.fill(0, r * m, r * m + c * q);
          for (let t = 0; t <= s; t++) D[r * m + c * q + t] = M[s * q + t] + (s === t ? 1 : 0);
        }
      }
      if (!byRows) continue;
      for (let i = 0; i < sparseLeft; i++) {
        subtractSparseRow(D, m, c, q, q, gram.blocks[i].q, this.Ljk[k][i], this.rowsOf[k][i], this.Ljk[k][i], this.patterns[k][i], true);
      }
    }
    if (inArena) {
      for (let i = 0; i < sparseLeft; i++) this.subtractSparse(D, m, k, k, i);
    } else if (!byRows) {
      for (let i = 0; i < sparseLeft; i++) subtractSparseColumns(D, m, q, gram.blocks[i].q, this.Ljk[k][i], this.patterns[k][i]);
    }
    for (let i = this.denseFrom; i < k; i++) {
      // dense L_ki (m × m_i): D −= L_ki L_kiᵀ, lower triangle
      const V = this.Ljk[k][i];
      this.arena.subtractABt(D, m, V, m, V, m, this.m[i], true);
    }
    return D;
  }

  /**
   * per sparse block i (when there are dense blocks): L_Xi by levels of i, level c's q_i × … blocks
   * row r after row r (V[(c (p+1) + r) q_i + u] = L_Xi[r][c q_i + u]), and its pattern by columns and
   * by rows (every row r in every level c); else null
   */
  private readonly LXT: ({ V: Float64Array; P: BlockPattern; R: PatternRows } | null)[];

  /** cumulative work of the rows of sparseUpdate(j, k, i), once per (j, k, i) */
  private readonly sparseCosts = new Map<number, Float64Array>();

  /** sparseUpdateCost of an update, computed once per `key` (the update's blocks) */
  private sparseCost(key: number, Rj: PatternRows, Pk: BlockPattern, lower: boolean, qqq: number): Float64Array {
    let cost = this.sparseCosts.get(key);
    if (!cost) this.sparseCosts.set(key, (cost = sparseUpdateCost(Rj, Pk, lower, qqq)));
    return cost;
  }

  /**
   * X −= Σ_c L_ji[a, c] L_ki[b, c]ᵀ for every level row a of block j (j ≥ k ≥ denseFrom > i): X is
   * dense L_jk's storage (row stride ldx), for j = k the diagonal block's lower triangle. In the
   * arena's WebAssembly kernel, its rows shared with the threads ('auto' with WebAssembly kernels),
   * else by the JavaScript kernel row by row; the same arithmetic in the same order either way.
   */
  private subtractSparse(X: Float64Array, ldx: number, j: number, k: number, i: number): void {
    const { blocks } = this.gram;
    const qj = blocks[j].q, qk = blocks[k].q, qi = blocks[i].q;
    const Vj = this.Ljk[j][i], Rj = this.rowsOf[j][i], Vk = this.Ljk[k][i], Pk = this.patterns[k][i];
    const lower = j === k;
    const rows = blocks[j].nl;
    if (this.denseUpdate === 'auto') {
      const cost = this.sparseCost((j * this.K + k) * this.K + i, Rj, Pk, lower, qj * qk * qi);
      const u: SparseUpdate = { X, ldx, qj, qk, qi, Vj, Pj: this.patterns[j][i], Vk, Pk, lower, rows, cost };
      if (this.arena.sparseUpdate(u)) return;
    }
    for (let a = 0; a < rows; a++) subtractSparseRow(X, ldx, a, qj, qk, qi, Vj, Rj, Vk, Pk, lower);
  }

  /**
   * S −= L_Xi L_kiᵀ for a dense block k and a sparse block i (S: L_Xk's storage, row stride mk) by the
   * arena's WebAssembly kernel, as an update of a dense block from sparse ones whose first sparse
   * block is L_Xi laid out by levels (LXT: the same products, summed over c ascending, as
   * subtractSparseXRow); false when the kernels are JavaScript.
   */
  private subtractSparseX(S: Float64Array, mk: number, k: number, i: number): boolean {
    const xt = this.LXT[i];
    if (this.denseUpdate !== 'auto' || !xt || this.arena.kind !== 'wasm') return false;
    const { blocks } = this.gram;
    const p1 = this.p1, qi = blocks[i].q, qk = blocks[k].q, nl = blocks[i].nl, mi = this.m[i];
    const LXi = this.LXk[i], V = xt.V;
    for (let c = 0; c < nl; c++) {
      for (let r = 0; r < p1; r++) for (let u = 0; u < qi; u++) V[(c * p1 + r) * qi + u] = LXi[r * mi + c * qi + u];
    }
    const Pk = this.patterns[k][i];
    const cost = this.sparseCost(-((k * this.K + i) + 1), xt.R, Pk, false, qk * qi);
    return this.arena.sparseUpdate({ X: S, ldx: mk, qj: 1, qk, qi, Vj: V, Pj: xt.P, Vk: this.Ljk[k][i], Pk, lower: false, rows: p1, cost });
  }

  /** L_jk = (Λ_jᵀ A_jk Λ_k − Σ_{i<k} L_ji L_kiᵀ) L_kk⁻ᵀ. */
  private *factorOffDiagonal(j: number, k: number): Generator<Pending, void, unknown> {
    if (this.formOffDiagonal(j, k)) return;
    const mk = this.m[k];
    const S = this.Ljk[j][k];
    // right-solve with L_kkᵀ
    if (k < this.denseFrom) {
      const qj = this.gram.blocks[j].q, qk = this.gram.blocks[k].q;
      const P = this.patterns[j][k];
      for (let c = 0; c < P.ncol; c++) {
        for (let e = P.colPtr[c]; e < P.colPtr[c + 1]; e++) rightSolveBlock(S, e * qj * qk, qj, qk, this.Lkk[k], c * qk * qk);
      }
    } else {
      const done = this.solver.rightSolve(k, S, this.m[j], this.Lkk[k], mk);
      if (done) yield done;
    }
  }

  /**
   * L_jk's right-hand side Λ_jᵀ A_jk Λ_k − Σ_{i<k} L_ji L_kiᵀ in its storage, before the solve with
   * L_kkᵀ; true when L_jk is finished already (the first block's columns, solved as they are formed).
   */
  private formOffDiagonal(j: number, k: number): boolean {
    const { gram } = this;
    const bj = gram.blocks[j];
    const bk = gram.blocks[k];
    const qj = bj.q, qk = bk.q;
    const Tj = this.T[j], Tk = this.T[k];
    const A = gram.Ajk[j][k];
    const S = this.Ljk[j][k];
    const Ap = A.pattern;
    if (k === 0 && this.denseFrom > 0) {
      // the first block: no updates, and L_j0's pattern is A_j0's (scatterA is the identity), so
      // each entry is formed and right-solved with its level's L_00 block in one go
      firstBlockColumn(S, A.values, Ap, Tj, Tk, qj, qk, this.Lkk[0]);
      return true;
    }
    S.fill(0);
    const blk = new Float64Array(qj * qk);
    const tmp = new Float64Array(qj * qk);
    const sparse = k < this.denseFrom;
    const mk = this.m[k];
    // Λ_jᵀ A_jk Λ_k, scattered into L_jk's storage
    for (let c = 0; c < Ap.ncol; c++) {
      for (let e = Ap.colPtr[c]; e < Ap.colPtr[c + 1]; e++) {
        leftRight(Tj, A.values, e * qj * qk, Tk, qj, qk, blk, tmp);
        const a = Ap.rowIdx[e];
        if (sparse) {
          const pos = this.scatterA[j][k][e] * qj * qk;
          for (let t = 0; t < qj * qk; t++) S[pos + t] += blk[t];
        } else {
          for (let s = 0; s < qj; s++) for (let t = 0; t < qk; t++) S[(a * qj + s) * mk + c * qk + t] += blk[s * qk + t];
        }
      }
    }
    for (let i = 0; i < k; i++) {
      const qi = gram.blocks[i].q;
      const Vj = this.Ljk[j][i];
      const Vk = this.Ljk[k][i];
      if (i < this.denseFrom) {
        const Pj = this.patterns[j][i];
        const Pk = this.patterns[k][i];
        if (!sparse) {
          // into the dense L_jk, row block by row block of block j
          this.subtractSparse(S, mk, j, k, i);
          continue;
        }
        for (let c = 0; c < Pk.ncol; c++) {
          for (let eb = Pk.colPtr[c]; eb < Pk.colPtr[c + 1]; eb++) {
            const bb = Pk.rowIdx[eb];
            for (let ea = Pj.colPtr[c]; ea < Pj.colPtr[c + 1]; ea++) {
              const pos = findInPattern(this.patterns[j][k], bb, Pj.rowIdx[ea]);
              subtractBlockProduct(Vj, ea * qj * qi, Vk, eb * qk * qi, qj, qk, qi, S, pos * qj * qk, qk);
            }
          }
        }
      } else {
        // dense: S −= L_ji L_kiᵀ
        this.arena.subtractABt(S, mk, Vj, this.m[j], Vk, mk, this.m[i], false);
      }
    }
    return false;
  }

  /** L_Xk = (A_Xk Λ_k − Σ_{i<k} L_Xi L_kiᵀ) L_kk⁻ᵀ. */
  private *factorXRow(k: number): Generator<Pending, void, unknown> {
    this.formXRow(k);
    const { gram, p1 } = this;
    const S = this.LXk[k];
    const mk = this.m[k];
    if (k < this.denseFrom) {
      const bk = gram.blocks[k];
      const q = bk.q;
      const Lk = this.Lkk[k];
      for (let r = 0; r < p1; r++) for (let c = 0; c < bk.nl; c++) rightSolveBlock(S, r * mk + c * q, 1, q, Lk, c * q * q);
    } else {
      const done = this.solver.rightSolve(k, S, p1, this.Lkk[k], mk);
      if (done) yield done;
    }
  }

  /** L_Xk's right-hand side A_Xk Λ_k − Σ_{i<k} L_Xi L_kiᵀ in its storage, before the solve with L_kkᵀ. */
  private formXRow(k: number): void {
    const { gram, p1 } = this;
    const bk = gram.blocks[k];
    const q = bk.q;
    const mk = this.m[k];
    const T = this.T[k];
    const A = gram.AXk[k];
    const S = this.LXk[k];
    // A_Xk Λ_k: each q-wide level block times T
    xRowTimesT(A, T, p1, bk.nl, q, S);
    for (let i = 0; i < k; i++) {
      const qi = gram.blocks[i].q;
      const mi = this.m[i];
      const LXi = this.LXk[i];
      const V = this.Ljk[k][i];
      if (i < this.denseFrom) {
        if (k >= this.denseFrom && this.subtractSparseX(S, mk, k, i)) continue;
        subtractSparseXRow(S, mk, q, LXi, mi, qi, p1, V, this.patterns[k][i]);
      } else {
        this.arena.subtractABt(S, mk, LXi, p1, V, mk, mi, false);
      }
    }
  }
}

/** S = A Λ for the (p+1) × (nl q) row A_Xk (row-major), Λ = I ⊗ T: each q-wide level block times T. */
function xRowTimesT(A: Float64Array, T: Float64Array, p1: number, nl: number, q: number, S: Float64Array): void {
  const mk = nl * q;
  if (q === 1) {
    const t = T[0];
    // (0 + …: the general loop's sum, −0 included)
    for (let o = 0; o < p1 * mk; o++) S[o] = 0 + A[o] * t;
    return;
  }
  for (let r = 0; r < p1; r++) {
    for (let c = 0; c < nl; c++) {
      const o = r * mk + c * q;
      for (let t = 0; t < q; t++) {
        let acc = 0;
        for (let s = t; s < q; s++) acc += A[o + s] * T[s * q + t];
        S[o + t] = acc;
      }
    }
  }
}

/**
 * S −= L_Xi L_kiᵀ for the sparse L_ki (pattern P, q × q_i per entry): S[:, a-block] −= L_Xi[:, c-block] ·
 * (entry e = (a, c) of L_ki)ᵀ, column c by column c of L_ki (one pass over it).
 */
function subtractSparseXRow(S: Float64Array, mk: number, q: number, LXi: Float64Array, mi: number, qi: number, p1: number, V: Float64Array, P: BlockPattern): void {
  const { colPtr, rowIdx } = P;
  const qqi = q * qi;
  const x = new Float64Array(p1 * qi);
  for (let c = 0; c < P.ncol; c++) {
    // L_Xi's columns of level c, then each entry of column c of L_ki
    for (let r = 0; r < p1; r++) for (let u = 0; u < qi; u++) x[r * qi + u] = LXi[r * mi + c * qi + u];
    for (let e = colPtr[c]; e < colPtr[c + 1]; e++) {
      const ao = rowIdx[e] * q, vo = e * qqi;
      for (let s = 0; s < q; s++) {
        const vs = vo + s * qi;
        for (let r = 0; r < p1; r++) {
          let acc = 0;
          for (let u = 0; u < qi; u++) acc += x[r * qi + u] * V[vs + u];
          S[r * mk + ao + s] -= acc;
        }
      }
    }
  }
}

/**
 * D = Λᵀ A Λ + I (lower triangle, and the diagonal level blocks whole) for a dense A (m × m, m = nl q)
 * and Λ = I ⊗ T: level block (c, d), d ≤ c, is Tᵀ A_cd T. A is read only in its upper block triangle,
 * A_cd = A_dcᵀ, and its diagonal level blocks come from `diag` where given (GramMatrix.AkkDenseDiag),
 * so A may be D itself; the reads go tile by tile (A's rows, D's columns) to stay in cache.
 */
function denseCongruence(T: Float64Array, A: Float64Array, diag: Float64Array | null, q: number, nl: number, D: Float64Array): void {
  const m = nl * q, qq = q * q;
  if (q === 1) {
    const t2 = T[0] * T[0];
    for (let r0 = 0; r0 < m; r0 += TILE) {
      const r1 = Math.min(m, r0 + TILE);
      for (let c0 = 0; c0 <= r0; c0 += TILE) {
        for (let c = c0; c < Math.min(c0 + TILE, r1); c++) {
          const o = c * m;
          // D[r][c] = θ² A[c][r] for r > c
          for (let r = Math.max(r0, c + 1); r < r1; r++) D[r * m + c] = t2 * A[o + r];
        }
      }
      for (let r = r0; r < r1; r++) D[r * m + r] = t2 * (diag ? diag[r] : A[r * m + r]) + 1;
    }
    return;
  }
  const tmp = new Float64Array(qq);
  for (let c = 0; c < nl; c++) {
    for (let d = 0; d <= c; d++) {
      // tmp = A_cd T, then Tᵀ tmp; A_cd[s][v] = A[(d q + v)][(c q + s)] below the diagonal
      for (let s = 0; s < q; s++) {
        for (let t = 0; t < q; t++) {
          let acc = 0;
          for (let v = t; v < q; v++) {
            const a = c === d
              ? (diag ? diag[c * qq + s * q + v] : A[(c * q + s) * m + c * q + v])
              : A[(d * q + v) * m + c * q + s];
            acc += a * T[v * q + t];
          }
          tmp[s * q + t] = acc;
        }
      }
      for (let s = 0; s < q; s++) {
        for (let t = 0; t < q; t++) {
          let acc = 0;
          for (let u = s; u < q; u++) acc += T[u * q + s] * tmp[u * q + t];
          D[(c * q + s) * m + d * q + t] = acc + (c === d && s === t ? 1 : 0);
        }
      }
    }
  }
}

/** Tile of denseCongruence's transposed reads (64 × 64 doubles: 32 KB). */
const TILE = 64;

/** out = Tᵀ A T for q×q A at a[ao] (row-major), T lower triangular. */
function congruence(T: Float64Array, a: Float64Array, ao: number, q: number, out: Float64Array, tmp: Float64Array): void {
  leftRight(T, a, ao, T, q, q, out, tmp);
}

/** out = Tjᵀ B Tk for the qj × qk block B at b[bo] (Tj, Tk lower triangular): tmp = B Tk, then Tjᵀ tmp. */
function leftRight(Tj: Float64Array, b: Float64Array, bo: number, Tk: Float64Array, qj: number, qk: number, out: Float64Array, tmp: Float64Array): void {
  for (let s = 0; s < qj; s++) {
    for (let t = 0; t < qk; t++) {
      let acc = 0;
      for (let u = t; u < qk; u++) acc += b[bo + s * qk + u] * Tk[u * qk + t];
      tmp[s * qk + t] = acc;
    }
  }
  for (let s = 0; s < qj; s++) {
    for (let t = 0; t < qk; t++) {
      let acc = 0;
      for (let u = s; u < qj; u++) acc += Tj[u * qj + s] * tmp[u * qk + t];
      out[s * qk + t] = acc;
    }
  }
}

/** out[oo + s*ld + t] −= Σ_u X[xo + s*qu + u] · Y[yo + t*qu + u]  (X: qa × qu, Y: qb × qu). */
function subtractBlockProduct(X: Float64Array, xo: number, Y: Float64Array, yo: number, qa: number, qb: number, qu: number, out: Float64Array, oo: number, ld: number): void {
  for (let s = 0; s < qa; s++) {
    for (let t = 0; t < qb; t++) {
      let acc = 0;
      for (let u = 0; u < qu; u++) acc += X[xo + s * qu + u] * Y[yo + t * qu + u];
      out[oo + s * ld + t] -= acc;
    }
  }
}

/** B ← B L⁻ᵀ for the rows × q block B at b[bo] (row stride q), L the q × q lower factor at l[lo]. */
function rightSolveBlock(b: Float64Array, bo: number, rows: number, q: number, l: Float64Array, lo: number): void {
  // each row x solves L xᵀ = rowᵀ
  for (let r = 0; r < rows; r++) {
    const ro = bo + r * q;
    for (let t = 0; t < q; t++) {
      let v = b[ro + t];
      for (let u = 0; u < t; u++) v -= l[lo + t * q + u] * b[ro + u];
      b[ro + t] = v / l[lo + t * q + t];
    }
  }
}

/**
 * The work of the first a level rows of the update of a dense block from sparse ones (subtractSparseRow
 * over rows [0, a), cumulative, length Rj's rows + 1): per entry of L_ji's row, the loop's step and the
 * column of L_ki it runs over (to the entry itself when `lower`), `qqq` = q_j q_k q_i multiply-adds each.
 */
export function sparseUpdateCost(Rj: PatternRows, Pk: BlockPattern, lower: boolean, qqq: number): Float64Array {
  const { rowPtr, entry, colOf } = Rj;
  const rows = rowPtr.length - 1;
  const cost = new Float64Array(rows + 1);
  for (let a = 0; a < rows; a++) {
    let w = 0;
    for (let t = rowPtr[a]; t < rowPtr[a + 1]; t++) {
      const e = entry[t], c = colOf[e];
      w += 1 + qqq * ((lower ? e + 1 : Pk.colPtr[c + 1]) - Pk.colPtr[c]);
    }
    cost[a + 1] = cost[a] + w;
  }
  return cost;
}

/**
 * Row block a of a dense block X (q_j rows of row stride ldx) less the products of sparse blocks to
 * its left through a common sparse block i: X[a][b] −= Σ_c Vj[a,c] Vk[b,c]ᵀ, Vj = L_ji by rows (Rj),
 * Vk = L_ki by columns (Pk), q_i columns per level of i. `lower` (Vj = Vk, X diagonal): only b ≤ a,
 * and within the diagonal q × q block only its lower triangle. Rows of Pk's columns are sorted, so
 * on the diagonal the entries b ≤ a of column c are those up to entry e itself.
 */
export function subtractSparseRow(
  X: Float64Array, ldx: number, a: number, qj: number, qk: number, qi: number,
  Vj: Float64Array, Rj: PatternRows, Vk: Float64Array, Pk: BlockPattern, lower: boolean,
): void {
  const { rowPtr, entry, colOf } = Rj;
  const { colPtr, rowIdx } = Pk;
  const t0 = rowPtr[a], t1 = rowPtr[a + 1];
  if (qj === 1 && qk === 1) {
    const xo = a * ldx;
    if (qi === 1) {
      for (let t = t0; t < t1; t++) {
        const e = entry[t];
        const c = colOf[e];
        const va = Vj[e];
        const end = lower ? e + 1 : colPtr[c + 1];
        for (let eb = colPtr[c]; eb < end; eb++) X[xo + rowIdx[eb]] -= va * Vk[eb];
      }
      return;
    }
    for (let t = t0; t < t1; t++) {
      const e = entry[t];
      const c = colOf[e];
      const vo = e * qi;
      const end = lower ? e + 1 : colPtr[c + 1];
      for (let eb = colPtr[c]; eb < end; eb++) {
        const wo = eb * qi;
        let acc = 0;
        for (let u = 0; u < qi; u++) acc += Vj[vo + u] * Vk[wo + u];
        X[xo + rowIdx[eb]] -= acc;
      }
    }
    return;
  }
  const qjqi = qj * qi, qkqi = qk * qi;
  for (let t = t0; t < t1; t++) {
    const e = entry[t];
    const c = colOf[e];
    const vo = e * qjqi;
    const end = lower ? e + 1 : colPtr[c + 1];
    for (let eb = colPtr[c]; eb < end; eb++) {
      const wo = eb * qkqi;
      const diag = lower && eb === e;
      const xo = a * qj * ldx + rowIdx[eb] * qk;
      for (let s = 0; s < qj; s++) {
        const tEnd = diag ? s + 1 : qk;
        for (let u = 0; u < tEnd; u++) {
          let acc = 0;
          for (let w = 0; w < qi; w++) acc += Vj[vo + s * qi + w] * Vk[wo + u * qi + w];
          X[xo + s * ldx + u] -= acc;
        }
      }
    }
  }
}

/**
 * L_j0 of the first (block diagonal) block: entry e = (a, c) is (T_jᵀ A_e T_0) L_00[c]⁻ᵀ, with
 * T_0 and L_00[c] q_0 × q_0 lower and A_e q_j × q_0. Written for every entry of A_j0's pattern.
 */
function firstBlockColumn(
  S: Float64Array, values: Float64Array, P: BlockPattern, Tj: Float64Array, Tk: Float64Array, qj: number, qk: number, L0: Float64Array,
): void {
  const { colPtr } = P;
  if (qj === 1 && qk === 1) {
    const t = Tj[0] * Tk[0];
    for (let c = 0; c < P.ncol; c++) {
      const f = t / L0[c];
      for (let e = colPtr[c]; e < colPtr[c + 1]; e++) S[e] = values[e] * f;
    }
    return;
  }
  const qq = qk * qk;
  const blk = new Float64Array(qj * qk);
  const tmp = new Float64Array(qj * qk);
  for (let c = 0; c < P.ncol; c++) {
    const lo = c * qq;
    for (let e = colPtr[c]; e < colPtr[c + 1]; e++) {
      const o = e * qj * qk;
      if (qj === 1) {
        // (t_j a T_k) L⁻ᵀ: a row vector, then forward substitution
        const tj = Tj[0];
        for (let t = 0; t < qk; t++) {
          let acc = 0;
          for (let u = t; u < qk; u++) acc += values[o + u] * Tk[u * qk + t];
          let v = tj * acc;
          for (let u = 0; u < t; u++) v -= L0[lo + t * qk + u] * S[o + u];
          S[o + t] = v / L0[lo + t * qk + t];
        }
        continue;
      }
      leftRight(Tj, values, o, Tk, qj, qk, blk, tmp);
      S.set(blk, o);
      rightSolveBlock(S, o, qj, qk, L0, lo);
    }
  }
}

/**
 * A dense diagonal block X (row stride ldx, q rows and columns per level) less the outer products of
 * the columns of a sparse block V = L_ki to its left: X[a][b] −= Σ_c V[a,c] V[b,c]ᵀ for b ≤ a (within
 * the diagonal q × q blocks, the lower triangle), column c by column c of V.
 */
function subtractSparseColumns(X: Float64Array, ldx: number, q: number, qi: number, V: Float64Array, P: BlockPattern): void {
  const { colPtr, rowIdx } = P;
  if (q === 1) {
    for (let c = 0; c < P.ncol; c++) {
      const e0 = colPtr[c], e1 = colPtr[c + 1];
      for (let ea = e0; ea < e1; ea++) {
        const xo = rowIdx[ea] * ldx;
        if (qi === 1) {
          const va = V[ea];
          for (let eb = e0; eb <= ea; eb++) X[xo + rowIdx[eb]] -= va * V[eb];
        } else if (qi === 2) {
          const v0 = V[2 * ea], v1 = V[2 * ea + 1];
          for (let eb = e0; eb <= ea; eb++) X[xo + rowIdx[eb]] -= v0 * V[2 * eb] + v1 * V[2 * eb + 1];
        } else {
          const vo = ea * qi;
          for (let eb = e0; eb <= ea; eb++) {
            let acc = 0;
            for (let u = 0; u < qi; u++) acc += V[vo + u] * V[eb * qi + u];
            X[xo + rowIdx[eb]] -= acc;
          }
        }
      }
    }
    return;
  }
  const qqi = q * qi;
  for (let c = 0; c < P.ncol; c++) {
    const e0 = colPtr[c], e1 = colPtr[c + 1];
    for (let ea = e0; ea < e1; ea++) {
      const xo = rowIdx[ea] * q * ldx;
      for (let eb = e0; eb <= ea; eb++) {
        const bo = rowIdx[eb] * q;
        for (let s = 0; s < q; s++) {
          const tEnd = eb === ea ? s + 1 : q;
          for (let t = 0; t < tEnd; t++) {
            let acc = 0;
            for (let u = 0; u < qi; u++) acc += V[ea * qqi + s * qi + u] * V[eb * qqi + t * qi + u];
            X[xo + s * ldx + bo + t] -= acc;
          }
        }
      }
    }
  }
}
