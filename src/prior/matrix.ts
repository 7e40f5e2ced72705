/**
 * Small dense helpers for blme's q × q and p × p matrices, column-major as R stores them.
 */

/** The inverse of an upper-triangular matrix. */
export function invertUpper(R: Float64Array, q: number): Float64Array {
  const inv = new Float64Array(q * q);
  for (let j = 0; j < q; j++) {
    inv[j * q + j] = 1 / R[j * q + j];
    for (let i = j - 1; i >= 0; i--) {
      let s = 0;
      for (let k = i + 1; k <= j; k++) s += R[k * q + i] * inv[j * q + k];
      inv[j * q + i] = -s / R[i * q + i];
    }
  }
  return inv;
}

/** R's crossprod(A) = AᵀA (Σ = crossprod(Λᵀ) = ΛΛᵀ). */
export function crossprod(A: Float64Array, q: number): Float64Array {
  const out = new Float64Array(q * q);
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) {
    let s = 0;
    for (let k = 0; k < q; k++) s += A[i * q + k] * A[j * q + k];
    out[j * q + i] = s;
  }
  return out;
}

/** Aᵀ (crossprod(transpose(A)) = AAᵀ, R's tcrossprod). */
export function transpose(A: Float64Array, q: number): Float64Array {
  const out = new Float64Array(q * q);
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) out[i * q + j] = A[j * q + i];
  return out;
}
