/**
 * Some eigenpairs of a dense symmetric matrix (the thin plate spline's truncated eigendecomposition,
 * src/smooth/tprs.ts: k of n, n up to 2,000), without the O(n³) accumulation of all eigenvectors that
 * ./tridiagonalEigen.ts does:
 *
 *   1. Householder reduction A = Q T Qᵀ, T tridiagonal (Golub & Van Loan, Algorithm 8.3.1), on A's lower
 *      triangle, the reflectors P_k = I − β_k v_k v_kᵀ kept, Q = P_0 P_1 ⋯ P_{n−3};
 *   2. the wanted eigenvalues of T by bisection on Sturm counts: the number of eigenvalues below x is the
 *      number of negative pivots of the LDLᵀ factorization of T − x I,
 *        q_0 = d_0 − x,  q_i = d_i − x − e_{i−1}² / q_{i−1}   (Golub & Van Loan §8.4.1),
 *      each bisected from Gershgorin's interval to an interval of width 2ε|x|;
 *   3. each eigenvector of T by inverse iteration: (T − λ I) y_{j+1} = y_j, solved by Gaussian elimination
 *      with partial pivoting on the tridiagonal matrix (LAPACK's dlagtf/dlagts), three steps, orthogonalized
 *      (modified Gram–Schmidt) against the vectors found before for eigenvalues within 1e-3 ‖T‖;
 *   4. back to A's: x = Q y, the reflectors applied in reverse order.
 * `select(values)` picks the indices (in increasing order of the eigenvalues) wanted; the pairs come back in
 * the order of the indices it returns.
 */

/** The eigenpairs of the symmetric n × n row-major A at the indices `pick` chooses among T's sorted eigenvalues. */
export function selectedEigen(
  A: ArrayLike<number>, n: number, pick: (count: number, valueAt: (i: number) => number) => number[],
): { values: Float64Array; vectors: Float64Array[] } {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) { a[i * n + j] = A[i * n + j]; a[j * n + i] = A[i * n + j]; }
  const vs: Float64Array[] = [];
  const betas: number[] = [];
  const p = new Float64Array(n), w = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    let alpha = 0;
    for (let i = k + 1; i < n; i++) alpha += a[i * n + k] ** 2;
    alpha = Math.sqrt(alpha);
    const v = new Float64Array(n);
    if (alpha === 0) { vs.push(v); betas.push(0); continue; }
    const sign = a[(k + 1) * n + k] >= 0 ? 1 : -1;
    for (let i = k + 1; i < n; i++) v[i] = a[i * n + k];
    v[k + 1] += sign * alpha;
    let vtv = 0;
    for (let i = k + 1; i < n; i++) vtv += v[i] * v[i];
    const beta = 2 / vtv;
    // p = β A₂₂ v, K = β pᵀv / 2, w = p − K v; A₂₂ ← A₂₂ − v wᵀ − w vᵀ, on the lower triangle only
    // (p from it: each off-diagonal entry a_ij, j < i, adds to p_i and p_j)
    for (let i = k + 1; i < n; i++) p[i] = 0;
    for (let i = k + 1; i < n; i++) {
      const ri = i * n, vi = v[i];
      let s = a[ri + i] * vi;
      for (let j = k + 1; j < i; j++) { const aij = a[ri + j]; s += aij * v[j]; p[j] += aij * vi; }
      p[i] += s;
    }
    let K = 0;
    for (let i = k + 1; i < n; i++) { p[i] *= beta; K += p[i] * v[i]; }
    K *= beta / 2;
    for (let i = k + 1; i < n; i++) w[i] = p[i] - K * v[i];
    for (let i = k + 1; i < n; i++) {
      const ri = i * n, vi = v[i], wi = w[i];
      for (let j = k + 1; j <= i; j++) a[ri + j] -= vi * w[j] + wi * v[j];
    }
    a[(k + 1) * n + k] = -sign * alpha;
    vs.push(v);
    betas.push(beta);
  }
  const d = new Float64Array(n), e = new Float64Array(Math.max(0, n - 1));
  for (let i = 0; i < n; i++) d[i] = a[i * n + i];
  for (let i = 0; i + 1 < n; i++) e[i] = a[(i + 1) * n + i];
  // Gershgorin's interval
  let lo = Infinity, hi = -Infinity, norm = 0;
  for (let i = 0; i < n; i++) {
    const r = (i > 0 ? Math.abs(e[i - 1]) : 0) + (i < n - 1 ? Math.abs(e[i]) : 0);
    lo = Math.min(lo, d[i] - r);
    hi = Math.max(hi, d[i] + r);
    norm = Math.max(norm, Math.abs(d[i]) + r);
  }
  const below = (x: number) => {
    let count = 0, q = 1;
    for (let i = 0; i < n; i++) {
      q = d[i] - x - (i > 0 ? (e[i - 1] * e[i - 1]) / q : 0);
      if (q === 0) q = -Number.EPSILON * norm;
      if (q < 0) count++;
    }
    return count;
  };
  // the i-th smallest eigenvalue (0-based) by bisection
  const cache = new Map<number, number>();
  const valueAt = (i: number) => {
    const got = cache.get(i);
    if (got !== undefined) return got;
    let l = lo - Number.EPSILON * norm, h = hi + Number.EPSILON * norm;
    for (let it = 0; it < 200 && h - l > 2 * Number.EPSILON * Math.max(Math.abs(l), Math.abs(h), norm * 1e-300); it++) {
      const mid = (l + h) / 2;
      if (below(mid) > i) h = mid; else l = mid;
    }
    const v = (l + h) / 2;
    cache.set(i, v);
    return v;
  };
  const wanted = pick(n, valueAt);
  const values = Float64Array.from(wanted, valueAt);
  const vectors: Float64Array[] = [];
  const ys: Float64Array[] = [];
  for (const lambda of values) {
    // inverse iteration on T − λ I, λ perturbed off the exact eigenvalue by ε ‖T‖
    let y: Float64Array = new Float64Array(n).fill(1 / Math.sqrt(n));
    for (let step = 0; step < 3; step++) {
      y = solveShifted(d, e, lambda + Number.EPSILON * norm, y);
      for (let m = 0; m < ys.length; m++) {
        if (Math.abs(values[m] - lambda) > 1e-3 * norm) continue;
        let s = 0;
        for (let i = 0; i < n; i++) s += ys[m][i] * y[i];
        for (let i = 0; i < n; i++) y[i] -= s * ys[m][i];
      }
      let s = 0;
      for (let i = 0; i < n; i++) s += y[i] * y[i];
      s = Math.sqrt(s);
      for (let i = 0; i < n; i++) y[i] /= s;
    }
    ys.push(y);
    // x = P_0 ⋯ P_{n−3} y
    const x = Float64Array.from(y);
    for (let k = vs.length - 1; k >= 0; k--) {
      const v = vs[k], beta = betas[k];
      if (beta === 0) continue;
      let s = 0;
      for (let i = k + 1; i < n; i++) s += v[i] * x[i];
      s *= beta;
      for (let i = k + 1; i < n; i++) x[i] -= s * v[i];
    }
    vectors.push(x);
  }
  return { values, vectors };
}

/**
 * (T − μ I) x = b for tridiagonal T (diagonal d, off-diagonal e) by Gaussian elimination with partial
 * pivoting (the upper factor has two superdiagonals); a zero pivot is replaced by ε ‖T‖.
 */
function solveShifted(d: Float64Array, e: Float64Array, mu: number, b: Float64Array): Float64Array {
  const n = d.length;
  const u0 = new Float64Array(n), u1 = new Float64Array(n), u2 = new Float64Array(n);
  const x = Float64Array.from(b);
  // row i of the working matrix: (diag, super1, super2) = (u0, u1, u2); the next row's (sub, diag, super)
  let sub = 0, diag = d[0] - mu, sup = n > 1 ? e[0] : 0;
  let tiny = 0;
  for (let i = 0; i < n; i++) tiny = Math.max(tiny, Math.abs(d[i]) + (i < n - 1 ? Math.abs(e[i]) : 0));
  tiny = Math.max(tiny, 1) * Number.EPSILON;
  for (let i = 0; i < n - 1; i++) {
    const nextSub = e[i], nextDiag = d[i + 1] - mu, nextSup = i + 1 < n - 1 ? e[i + 1] : 0;
    if (Math.abs(nextSub) > Math.abs(diag)) {
      // swap rows i and i + 1
      u0[i] = nextSub; u1[i] = nextDiag; u2[i] = nextSup;
      const m = diag / nextSub;
      const t = x[i]; x[i] = x[i + 1]; x[i + 1] = t - m * x[i];
      sub = 0; diag = sup - m * nextDiag; sup = -m * nextSup;
    } else {
      const piv = diag === 0 ? tiny : diag;
      u0[i] = piv; u1[i] = sup; u2[i] = 0;
      const m = nextSub / piv;
      x[i + 1] -= m * x[i];
      sub = 0; diag = nextDiag - m * sup; sup = nextSup;
    }
    void sub;
  }
  u0[n - 1] = diag === 0 ? tiny : diag;
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    if (i + 1 < n) s -= u1[i] * x[i + 1];
    if (i + 2 < n) s -= u2[i] * x[i + 2];
    x[i] = s / u0[i];
  }
  return x;
}
