/**
 * CPU backend: forms the blocked Gram matrix A = [Z X y]ᵀ[Z X y] in one pass over the data, in
 * float64 (see src/linalg/gram.ts for the layout).
 */
import { type BlockSparse, type GramInput, type GramMatrix, type GramRowsBlock, patternFromKeys } from '../../linalg/gram.js';

/** Stage: the Gram matrix of an LMM on the CPU, from its rows (src/lmm/model.ts: Z M, the centred X and y − Xβ₀). */
export function formGram(model: { rows: GramInput }): GramMatrix {
  return formGramCpu(model.rows);
}

export function formGramCpu({ n, X, p, y, blocks }: GramInput): GramMatrix {
  const p1 = p + 1;
  const K = blocks.length;
  const Akk = blocks.map((b) => new Float64Array(b.nl * b.q * b.q));
  const AXk = blocks.map((b) => new Float64Array(p1 * b.nl * b.q));
  const AXX = new Float64Array(p1 * p1);
  const xy = new Float64Array(p1);
  let yty = 0;
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < p; r++) xy[r] = X[r * n + i];
    xy[p] = y[i];
    yty += y[i] * y[i];
    // A_XX += [x y]ᵀ[x y] (lower triangle; mirrored below)
    for (let r = 0; r < p1; r++) {
      const v = xy[r];
      for (let s = 0; s <= r; s++) AXX[r * p1 + s] += v * xy[s];
    }
    for (let k = 0; k < K; k++) {
      const b = blocks[k];
      const q = b.q;
      const c = b.codes[i];
      const Z = b.Z;
      const zo = i * q;
      // A_kk[c] += z zᵀ
      const akk = Akk[k];
      const ao = c * q * q;
      for (let s = 0; s < q; s++) {
        const zs = Z[zo + s];
        for (let t = 0; t < q; t++) akk[ao + s * q + t] += zs * Z[zo + t];
      }
      // A_Xk[:, c] += [x y] zᵀ
      const axk = AXk[k];
      const m = b.nl * q;
      for (let r = 0; r < p1; r++) {
        const v = xy[r];
        const base = r * m + c * q;
        for (let s = 0; s < q; s++) axk[base + s] += v * Z[zo + s];
      }
    }
  }
  for (let r = 0; r < p1; r++) for (let s = r + 1; s < p1; s++) AXX[r * p1 + s] = AXX[s * p1 + r];
  const Ajk: BlockSparse[][] = blocks.map(() => []);
  for (let j = 1; j < K; j++) for (let k = 0; k < j; k++) Ajk[j][k] = crossBlock(n, blocks[j], blocks[k]);
  return { n, p, blocks, Akk, Ajk, AXk, AXX, yty };
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
