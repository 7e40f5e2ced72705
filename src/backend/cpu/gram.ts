/**
 * CPU backend: forms the blocked Gram matrix A = [Z X y]ᵀ[Z X y] in one pass over the data, in
 * float64 (see src/linalg/gram.ts for the layout).
 */
import { type BlockSparse, type GramInput, type GramMatrix, type GramRowsBlock, patternFromKeys } from '../../linalg/gram.js';
import { crossProducts } from '../../model/crossProducts.js';

/** Stage: the Gram matrix of an LMM on the CPU, from its rows (src/lmm/model.ts: Z M, the centred X and y − Xβ₀). */
export function formGram(model: { rows: GramInput }): GramMatrix {
  return formGramCpu(model.rows);
}

export function formGramCpu({ n, X, p, y, blocks }: GramInput): GramMatrix {
  const p1 = p + 1;
  const K = blocks.length;
  const cols: Float64Array[] = [];
  for (let r = 0; r < p; r++) cols.push(X.subarray(r * n, r * n + n));
  cols.push(y);
  const AXX = crossProducts(cols, n);
  const Akk: Float64Array[] = [];
  const AXk: Float64Array[] = [];
  for (const b of blocks) {
    const { Akk: akk, AXk: axk } = levelBlocks(b, cols, n);
    Akk.push(akk);
    AXk.push(axk);
  }
  // yᵀy, summed in row order as crossProducts sums it
  const yty = AXX[p1 * p1 - 1];
  const Ajk: BlockSparse[][] = blocks.map(() => []);
  for (let j = 1; j < K; j++) for (let k = 0; k < j; k++) Ajk[j][k] = crossBlock(n, blocks[j], blocks[k]);
  return { n, p, blocks, Akk, Ajk, AXk, AXX, yty };
}

/** Rows whose records are touched ahead (levelBlocks). */
const TOUCH = 32;
/** Where the touched values go (so that the reads are not optimized away). */
let touchSink = 0;

/**
 * A_kk (per level Z_gᵀZ_g) and A_Xk ([X y]ᵀZ_k) of one block in one pass over the rows. Each level
 * accumulates into one contiguous record [Z_gᵀZ_g (lower) | Z_gᵀ[X y]] (a row touches one or two
 * cache lines rather than p + 2 places far apart); A_Xk is transposed into place at the end.
 */
function levelBlocks(b: GramRowsBlock, cols: Float64Array[], n: number): { Akk: Float64Array; AXk: Float64Array } {
  const { q, nl, codes, Z } = b;
  const p1 = cols.length;
  const qq = q * q;
  const R = qq + q * p1;
  const acc = new Float64Array(nl * R);
  const xy = new Float64Array(p1);
  // rows in a random order of levels miss the cache at each record: every TOUCH rows, the next
  // TOUCH records are read first, so that their misses overlap instead of coming one at a time (the
  // sums are unchanged: the same additions in the same order)
  let touched = 0;
  const touch = (i: number): void => {
    const e = Math.min(n, i + TOUCH);
    for (let k = i; k < e; k++) touched += acc[codes[k] * R];
  };
  if (q === 1) {
    for (let i = 0; i < n; i++) {
      if (i % TOUCH === 0) touch(i);
      const o = codes[i] * R;
      const z = Z[i];
      acc[o] += z * z;
      for (let r = 0; r < p1; r++) acc[o + 1 + r] += z * cols[r][i];
    }
  } else if (q === 2) {
    for (let i = 0; i < n; i++) {
      if (i % TOUCH === 0) touch(i);
      const o = codes[i] * R;
      const z0 = Z[2 * i], z1 = Z[2 * i + 1];
      acc[o] += z0 * z0;
      acc[o + 2] += z1 * z0;
      acc[o + 3] += z1 * z1;
      for (let r = 0; r < p1; r++) {
        const v = cols[r][i];
        acc[o + 4 + r] += z0 * v;
        acc[o + 4 + p1 + r] += z1 * v;
      }
    }
  } else {
    for (let i = 0; i < n; i++) {
      if (i % TOUCH === 0) touch(i);
      const o = codes[i] * R;
      const zo = i * q;
      for (let r = 0; r < p1; r++) xy[r] = cols[r][i];
      for (let s = 0; s < q; s++) {
        const zs = Z[zo + s];
        for (let t = 0; t <= s; t++) acc[o + s * q + t] += zs * Z[zo + t];
        const xo = o + qq + s * p1;
        for (let r = 0; r < p1; r++) acc[xo + r] += zs * xy[r];
      }
    }
  }
  touchSink = touched;
  const Akk = new Float64Array(nl * qq);
  const m = nl * q;
  const AXk = new Float64Array(p1 * m);
  for (let c = 0; c < nl; c++) {
    const o = c * R;
    for (let s = 0; s < q; s++) {
      for (let t = 0; t <= s; t++) {
        const v = acc[o + s * q + t];
        Akk[c * qq + s * q + t] = v;
        Akk[c * qq + t * q + s] = v;
      }
      for (let r = 0; r < p1; r++) AXk[r * m + c * q + s] = acc[o + qq + s * p1 + r];
    }
  }
  return { Akk, AXk };
}

/** A_jk = Z_jᵀ Z_k as a block-sparse matrix over the pairs of levels that occur together. */
export function crossBlock(n: number, bj: GramRowsBlock, bk: GramRowsBlock): BlockSparse {
  const nrow = bj.nl;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = bk.codes[i] * nrow + bj.codes[i];
  const pattern = patternFromKeys(keys, nrow, bk.nl);
  const qr = bj.q;
  const qc = bk.q;
  const values = new Float64Array(pattern.rowIdx.length * qr * qc);
  // position of each (col, row) pair: columns are sorted, so search within the column
  for (let i = 0; i < n; i++) {
    const col = bk.codes[i];
    const row = bj.codes[i];
    let e = pattern.colPtr[col];
    const end = pattern.colPtr[col + 1];
    // columns are short for typical designs; fall back to binary search when long
    if (end - e > 16) {
      let lo = e, hi = end - 1;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (pattern.rowIdx[mid] < row) lo = mid + 1; else hi = mid; }
      e = lo;
    } else {
      while (pattern.rowIdx[e] !== row) e++;
    }
    const vo = e * qr * qc;
    for (let s = 0; s < qr; s++) {
      const zs = bj.Z[i * qr + s];
      for (let t = 0; t < qc; t++) values[vo + s * qc + t] += zs * bk.Z[i * qc + t];
    }
  }
  return { pattern, qr, qc, values };
}
