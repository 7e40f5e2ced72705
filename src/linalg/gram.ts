/**
 * The Gram matrix A = [Z X y]ᵀ[Z X y], stored by blocks: one block row per random block (grouping
 * factor) k, then the block of [X y] (p + 1 columns, y last). Formed once per fit by a backend.
 *
 *   A_kk  block diagonal: one q_k × q_k block Z_gᵀZ_g per level g of factor k
 *   A_jk  (j > k) block sparse: a q_j × q_k block for each pair of levels seen together in a row
 *   A_Xk  dense (p+1) × (l_k q_k): [X y]ᵀ Z_k
 *   A_XX  dense (p+1) × (p+1): [X y]ᵀ[X y]
 */
import type { TemplateBlock } from './template.js';

/** What the blocked Cholesky reads of a random-effects block: its template and, for messages, its name and levels. */
export interface GramBlock extends TemplateBlock {
  /** grouping factor name (`Subject`, `cask:batch`) */
  group: string;
  levels: string[];
}

/** Block compressed-sparse-column pattern: columns are the levels of factor k, rows the levels of factor j. */
export interface BlockPattern {
  /** number of block rows (levels of j) */
  nrow: number;
  /** number of block columns (levels of k) */
  ncol: number;
  /** start of each column's entries in rowIdx, length ncol + 1 */
  colPtr: Int32Array;
  /** block-row index of each entry, sorted within a column */
  rowIdx: Int32Array;
}

/** A block-sparse matrix: a pattern and a qr × qc block (row-major) per entry. */
export interface BlockSparse {
  pattern: BlockPattern;
  qr: number;
  qc: number;
  values: Float64Array;
}

/** A block's rows for forming A: its template, its level codes and its model matrix Z (n × q, row-major). */
export interface GramRowsBlock extends GramBlock {
  codes: Int32Array;
  Z: Float64Array;
}

/** The rows [Z X y] that A is formed from. */
export interface GramInput {
  n: number;
  /** fixed-effects matrix, n × p column-major */
  X: Float64Array;
  p: number;
  /** the response column (after any offset and transform) */
  y: Float64Array;
  blocks: GramRowsBlock[];
}

import type { DenseArena } from './denseArena.js';

/** A dense block's storage in a factorization's arena (GramMatrix.AkkDenseForm). */
export interface DenseBlockTarget {
  arena: DenseArena;
  /** L_kk's m × m array */
  C: Float64Array;
  /** work rows beside it (at least m × 128) */
  P: Float64Array;
}

export interface GramMatrix {
  n: number;
  /** number of fixed-effect columns; [X y] has p + 1 */
  p: number;
  blocks: GramBlock[];
  /** A_kk: nl_k blocks of q_k × q_k, row-major */
  Akk: Float64Array[];
  /**
   * A_kk as a dense m_k × m_k matrix (row-major, m_k = nl_k q_k) for a block whose levels a known
   * covariance factor mixes (src/relmat: (F ⊗ I)ᵀ A_kk (F ⊗ I)); such a block is factored as a dense
   * block and its Akk entry is not read. Absent, or null per block, where A_kk is block diagonal.
   */
  AkkDense?: (Float64Array | null)[];
  /**
   * Where set for block k, AkkDense[k] is shared with a factor's storage (BlockedCholesky keeps the
   * block there, src/linalg/blockedCholesky.ts): only its strict upper block triangle (level blocks
   * (c, d), c < d) holds A_kk, and its diagonal q × q level blocks are here (nl · q · q, level-major).
   * Readers of AkkDense take level block (c, d), d < c, as the transpose of block (d, c).
   */
  AkkDenseDiag?: (Float64Array | null)[];
  /**
   * The dense blocks are never refilled (lmer's transformed Gram matrix, src/relmat/gram.ts): the
   * first BlockedCholesky built on this matrix moves each AkkDense[k] into its own L_kk storage (upper
   * triangle, AkkDenseDiag) and drops the separate array, so the block and its factor share one
   * m_k × m_k array. A refilled source (PIRLS's) leaves this unset.
   */
  AkkDenseFixed?: boolean;
  /**
   * With AkkDenseFixed: the dense blocks not formed yet (AkkDense[k] is then an empty marker); the
   * first BlockedCholesky calls this once, with each dense block's L_kk storage (C, m_k × m_k) and P
   * (at least m_k × 128) of work in the same arena, to form A_kk straight into it (both triangles) and
   * the other transformed parts, so the block never exists twice (src/relmat/gram.ts).
   */
  AkkDenseForm?: ((targets: (DenseBlockTarget | null)[]) => void) | null;
  /**
   * With AkkDenseFixed: called before each factorization; forms again the dense blocks whose storage
   * was lent to another use since (K's factor at a fit's end, src/relmat/gram.ts lendKnownFactors).
   */
  AkkDenseRestore?: () => void;
  /** A_jk for j > k, indexed [j][k]; entries with j ≤ k are unused */
  Ajk: BlockSparse[][];
  /** A_Xk: (p+1) × (nl_k q_k), row-major */
  AXk: Float64Array[];
  /** A_XX: (p+1) × (p+1), row-major */
  AXX: Float64Array;
  /** Σ y² on the original scale, kept for diagnostics */
  yty: number;
}

/** Position of block row `row` in column `col` of a pattern, or -1 (binary search). */
export function findInPattern(pat: BlockPattern, col: number, row: number): number {
  let lo = pat.colPtr[col];
  let hi = pat.colPtr[col + 1] - 1;
  const r = pat.rowIdx;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = r[mid];
    if (v === row) return mid;
    if (v < row) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * Builds a pattern from (column, row) pairs given as keys col * nrow + row (any order, duplicates
 * allowed): a counting sort by column, then each column's rows sorted and de-duplicated.
 */
export function patternFromKeys(keys: Iterable<number>, nrow: number, ncol: number): BlockPattern {
  const arr: ArrayLike<number> = ArrayBuffer.isView(keys) || Array.isArray(keys) ? (keys as ArrayLike<number>) : Float64Array.from(keys);
  const N = arr.length;
  const start = new Int32Array(ncol + 1);
  const colOf = new Int32Array(N);
  for (let e = 0; e < N; e++) {
    const col = Math.floor(arr[e] / nrow);
    colOf[e] = col;
    start[col + 1]++;
  }
  for (let c = 0; c < ncol; c++) start[c + 1] += start[c];
  const rows = new Int32Array(N);
  const cursor = start.slice(0, ncol);
  for (let e = 0; e < N; e++) rows[cursor[colOf[e]]++] = arr[e] - colOf[e] * nrow;
  const colPtr = new Int32Array(ncol + 1);
  let out = 0;
  for (let c = 0; c < ncol; c++) {
    const s0 = start[c], s1 = start[c + 1];
    if (s1 - s0 > 1) rows.subarray(s0, s1).sort();
    for (let e = s0; e < s1; e++) if (e === s0 || rows[e] !== rows[e - 1]) rows[out++] = rows[e];
    colPtr[c + 1] = out;
  }
  return { nrow, ncol, colPtr, rowIdx: rows.slice(0, out) };
}

/** The transpose of a pattern, as rows: for each row, its entries' indices e (into rowIdx / the values), by column. */
export interface PatternRows {
  /** start of each row's entries in `entry`, length nrow + 1 */
  rowPtr: Int32Array;
  /** entry indices, row by row, columns ascending within a row */
  entry: Int32Array;
  /** the column of each entry (indexed by e) */
  colOf: Int32Array;
}

export function patternRows(pat: BlockPattern): PatternRows {
  const nnz = pat.rowIdx.length;
  const rowPtr = new Int32Array(pat.nrow + 1);
  for (let e = 0; e < nnz; e++) rowPtr[pat.rowIdx[e] + 1]++;
  for (let r = 0; r < pat.nrow; r++) rowPtr[r + 1] += rowPtr[r];
  const cursor = rowPtr.slice(0, pat.nrow);
  const entry = new Int32Array(nnz);
  const colOf = new Int32Array(nnz);
  for (let c = 0; c < pat.ncol; c++) {
    for (let e = pat.colPtr[c]; e < pat.colPtr[c + 1]; e++) {
      colOf[e] = c;
      entry[cursor[pat.rowIdx[e]]++] = e;
    }
  }
  return { rowPtr, entry, colOf };
}

/** The rows each Gram matrix was formed from in one pass over them (formGramCpu), while both live. */
const formed = new WeakMap<GramMatrix, GramInput>();

/** Records that `gram` is [Z X y]ᵀ[Z X y] of exactly `rows` (a copy or a changed A is not: it is a new object). */
export function markFormedFrom(gram: GramMatrix, rows: GramInput): void {
  formed.set(gram, rows);
}

/** The rows `gram` was formed from (markFormedFrom), or undefined. */
export function formedFrom(gram: GramMatrix): GramInput | undefined {
  return formed.get(gram);
}
