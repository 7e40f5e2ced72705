/**
 * Λ(θ)'s template. Λ is block diagonal: for each grouping factor (block) k it repeats, once per
 * level, a small q_k × q_k lower-triangular template T_k(θ) whose entries are entries of θ or fixed
 * zeros (the index map `thetaIndex`, built by src/model/lambda.ts). Here: T_k from θ, and b = Λu.
 */

/** What the linear algebra reads of a random-effects block's template. */
export interface TemplateBlock {
  /** columns per level */
  q: number;
  /** number of levels */
  nl: number;
  /** for each template entry T[i][j] (row-major q×q), the index of θ that fills it, or -1 for a fixed zero */
  thetaIndex: Int32Array;
}

/** b = Λ u: b_g = T u_g for each level (q-vectors, level-major). */
export function applyTemplate(T: Float64Array, q: number, nl: number, u: Float64Array): Float64Array {
  const b = new Float64Array(nl * q);
  if (q === 1) {
    const t = T[0];
    for (let c = 0; c < nl; c++) b[c] = t * u[c];
    return b;
  }
  for (let c = 0; c < nl; c++) {
    for (let s = 0; s < q; s++) {
      let acc = 0;
      for (let t = 0; t <= s; t++) acc += T[s * q + t] * u[c * q + t];
      b[c * q + s] = acc;
    }
  }
  return b;
}

/** Fills the template T (q×q, row-major, lower triangular) of a block from θ. */
export function fillTemplate(block: Pick<TemplateBlock, 'thetaIndex'>, theta: ArrayLike<number>, T: Float64Array): void {
  const idx = block.thetaIndex;
  for (let e = 0; e < idx.length; e++) T[e] = idx[e] >= 0 ? theta[idx[e]] : 0;
}
