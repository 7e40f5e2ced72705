/**
 * C = [c_0 … c_{m−1}]ᵀ[c_0 … c_{m−1}] for columns of length n (m × m row-major, symmetric): the
 * fixed-effects transform's [X_c y_c]ᵀ[X_c y_c] (src/model/fixedTransform.ts, per chunk of rows)
 * and the Gram matrix's A_[Xy][Xy] (src/backend/cpu/gram.ts).
 *
 * Each entry C_rs = Σ_i c_r[i] c_s[i] is summed in row order from 0, as a row-by-row sum (and the
 * streamed sources of A) make it, so the results are bit-identical to theirs. Over blocks of rows
 * (the block's pieces of the columns stay in cache), four entries at a time: their sums are
 * independent chains of additions, which the processor overlaps, where one sum at a time waits on
 * each addition's latency.
 */

export function crossProducts(cols: Float64Array[], n: number): Float64Array {
  const m = cols.length;
  const out = new Float64Array(m * m);
  crossProductsRange(cols, 0, n, out, 0);
  for (let r = 0; r < m; r++) for (let s = r + 1; s < m; s++) out[r * m + s] = out[s * m + r];
  return out;
}

/**
 * Adds Σ_{i0 ≤ i < i1} c_r[i] c_s[i] to out[o + r m + s] for r ≥ s (the lower triangle of the m × m
 * block at o, m = cols.length), each entry's additions in row order. Self-contained (the row threads
 * evaluate its text: src/model/fixedTransform.ts).
 */
export function crossProductsRange(cols: Float64Array[], i0: number, i1: number, out: Float64Array, o: number): void {
  // rows per block (each block's column pieces stay in cache)
  const ROW_BLOCK = 512;
  const m = cols.length;
  // the lower triangle's entries (r ≥ s), four at a time
  const pairs: number[] = [];
  for (let r = 0; r < m; r++) for (let s = 0; s <= r; s++) pairs.push(r, s);
  const np = pairs.length / 2;
  for (let b0 = i0; b0 < i1; b0 += ROW_BLOCK) {
    const b1 = Math.min(i1, b0 + ROW_BLOCK);
    let k = 0;
    for (; k + 4 <= np; k += 4) {
      const a0 = cols[pairs[2 * k]], c0 = cols[pairs[2 * k + 1]];
      const a1 = cols[pairs[2 * k + 2]], c1 = cols[pairs[2 * k + 3]];
      const a2 = cols[pairs[2 * k + 4]], c2 = cols[pairs[2 * k + 5]];
      const a3 = cols[pairs[2 * k + 6]], c3 = cols[pairs[2 * k + 7]];
      const o0 = o + pairs[2 * k] * m + pairs[2 * k + 1], o1 = o + pairs[2 * k + 2] * m + pairs[2 * k + 3];
      const o2 = o + pairs[2 * k + 4] * m + pairs[2 * k + 5], o3 = o + pairs[2 * k + 6] * m + pairs[2 * k + 7];
      // carry the running sums across row blocks: the additions happen in row order
      let s0 = out[o0], s1 = out[o1], s2 = out[o2], s3 = out[o3];
      for (let i = b0; i < b1; i++) {
        s0 += a0[i] * c0[i];
        s1 += a1[i] * c1[i];
        s2 += a2[i] * c2[i];
        s3 += a3[i] * c3[i];
      }
      out[o0] = s0; out[o1] = s1; out[o2] = s2; out[o3] = s3;
    }
    for (; k < np; k++) {
      const a = cols[pairs[2 * k]], c = cols[pairs[2 * k + 1]];
      const oo = o + pairs[2 * k] * m + pairs[2 * k + 1];
      let s = out[oo];
      for (let i = b0; i < b1; i++) s += a[i] * c[i];
      out[oo] = s;
    }
  }
}
