/**
 * Second-order jets: truncated Taylor expansions of a scalar in m variables,
 *   f(x₀ + h) = f + Σ_i f_i h_i + ½ Σ_ij f_ij h_i h_j + O(h³),
 * stored as nc = 1 + m + m(m+1)/2 numbers: [f, f_0 … f_{m−1}, f_00, f_01 … f_0(m−1), f_11 … f_(m−1)(m−1)]
 * (the Hessian's upper triangle, row by row). Arithmetic on jets is forward-mode automatic
 * differentiation to second order: a computation carried out on jets returns its value with its exact
 * gradient and Hessian (to rounding), here through the blocked Cholesky factorization (jetFactor.ts).
 *
 * A first-order space (order 1) carries the value and gradient only.
 *
 * Jets live in Float64Arrays at offsets (one jet = nc consecutive numbers), so that matrices of jets
 * are plain typed arrays with stride nc; every operation writes into a destination slot.
 */

export class JetSpace {
  /** number of variables */
  readonly m: number;
  /** numbers per jet: 1 + m + m(m+1)/2 */
  readonly nc: number;
  /** for each Hessian slot k (offset 1 + m + k): its row i and column j (i ≤ j) */
  readonly pairI: Int32Array;
  readonly pairJ: Int32Array;

  /** 2: value, gradient and Hessian; 1: value and gradient only (nc = 1 + m) */
  readonly order: 1 | 2;

  constructor(m: number, order: 1 | 2 = 2) {
    this.m = m;
    this.order = order;
    const np = order === 2 ? (m * (m + 1)) / 2 : 0;
    this.nc = 1 + m + np;
    this.pairI = new Int32Array(np);
    this.pairJ = new Int32Array(np);
    let k = 0;
    for (let i = 0; i < m; i++) for (let j = i; j < m; j++) { this.pairI[k] = i; this.pairJ[k] = j; k++; }
    this.acc = new Float64Array(this.nc);
  }

  /** accumulator of dotSub */
  private readonly acc: Float64Array;

  /** a zeroed array of `count` jets */
  alloc(count: number): Float64Array {
    return new Float64Array(count * this.nc);
  }

  /** offset of the Hessian entry (i, j) within a jet */
  hessianSlot(i: number, j: number): number {
    if (i > j) { const t = i; i = j; j = t; }
    // rows 0..i−1 hold m, m−1, …, m−i+1 entries
    return 1 + this.m + i * this.m - (i * (i - 1)) / 2 + (j - i);
  }

  /** writes the variable x_k with value v (gradient e_k, zero Hessian) */
  variable(out: Float64Array, o: number, v: number, k: number): void {
    out.fill(0, o, o + this.nc);
    out[o] = v;
    out[o + 1 + k] = 1;
  }

  /** writes the constant v */
  constant(out: Float64Array, o: number, v: number): void {
    out.fill(0, o, o + this.nc);
    out[o] = v;
  }

  /** out = a (copy) */
  copy(a: Float64Array, ao: number, out: Float64Array, oo: number): void {
    for (let c = 0; c < this.nc; c++) out[oo + c] = a[ao + c];
  }

  /** out += s · a, s a real number */
  axpy(s: number, a: Float64Array, ao: number, out: Float64Array, oo: number): void {
    if (s === 0) return;
    for (let c = 0; c < this.nc; c++) out[oo + c] += s * a[ao + c];
  }

  /** out = a · b (out may not alias a or b) */
  mul(a: Float64Array, ao: number, b: Float64Array, bo: number, out: Float64Array, oo: number): void {
    const { m, nc, pairI, pairJ } = this;
    const av = a[ao], bv = b[bo];
    out[oo] = av * bv;
    for (let i = 1; i <= m; i++) out[oo + i] = av * b[bo + i] + a[ao + i] * bv;
    for (let k = 0, c = 1 + m; c < nc; k++, c++) {
      const i = 1 + pairI[k], j = 1 + pairJ[k];
      out[oo + c] = av * b[bo + c] + a[ao + c] * bv + a[ao + i] * b[bo + j] + a[ao + j] * b[bo + i];
    }
  }

  /** out −= a · b (the multiply-subtract of every elimination step; out may not alias a or b) */
  fms(a: Float64Array, ao: number, b: Float64Array, bo: number, out: Float64Array, oo: number): void {
    const { m, nc, pairI, pairJ } = this;
    const av = a[ao], bv = b[bo];
    out[oo] -= av * bv;
    for (let i = 1; i <= m; i++) out[oo + i] -= av * b[bo + i] + a[ao + i] * bv;
    for (let k = 0, c = 1 + m; c < nc; k++, c++) {
      const i = 1 + pairI[k], j = 1 + pairJ[k];
      out[oo + c] -= av * b[bo + c] + a[ao + c] * bv + a[ao + i] * b[bo + j] + a[ao + j] * b[bo + i];
    }
  }

  /** out −= Σ_{u<count} a_u · b_u for jets at consecutive slots (offsets in numbers) */
  dotSub(a: Float64Array, ao: number, b: Float64Array, bo: number, count: number, out: Float64Array, oo: number): void {
    const { m, nc, pairI, pairJ } = this;
    const acc = this.acc;
    acc.fill(0);
    for (let u = 0, x = ao, y = bo; u < count; u++, x += nc, y += nc) {
      const av = a[x], bv = b[y];
      acc[0] += av * bv;
      for (let i = 1; i <= m; i++) acc[i] += av * b[y + i] + a[x + i] * bv;
      for (let k = 0, c = 1 + m; c < nc; k++, c++) {
        const i = 1 + pairI[k], j = 1 + pairJ[k];
        acc[c] += av * b[y + c] + a[x + c] * bv + a[x + i] * b[y + j] + a[x + j] * b[y + i];
      }
    }
    for (let c = 0; c < nc; c++) out[oo + c] -= acc[c];
  }

  /** out += a · b */
  fma(a: Float64Array, ao: number, b: Float64Array, bo: number, out: Float64Array, oo: number): void {
    const { m, nc, pairI, pairJ } = this;
    const av = a[ao], bv = b[bo];
    out[oo] += av * bv;
    for (let i = 1; i <= m; i++) out[oo + i] += av * b[bo + i] + a[ao + i] * bv;
    for (let k = 0, c = 1 + m; c < nc; k++, c++) {
      const i = 1 + pairI[k], j = 1 + pairJ[k];
      out[oo + c] += av * b[bo + c] + a[ao + c] * bv + a[ao + i] * b[bo + j] + a[ao + j] * b[bo + i];
    }
  }

  /**
   * a ← a / b in place (b ≠ a): c = a/b has c_i = (a_i − c b_i)/b and
   * c_ij = (a_ij − c b_ij − c_i b_j − c_j b_i)/b, from a = b c.
   */
  divInPlace(a: Float64Array, ao: number, b: Float64Array, bo: number): void {
    const { m, nc, pairI, pairJ } = this;
    const bv = b[bo];
    const cv = a[ao] / bv;
    a[ao] = cv;
    for (let i = 1; i <= m; i++) a[ao + i] = (a[ao + i] - cv * b[bo + i]) / bv;
    for (let k = 0, c = 1 + m; c < nc; k++, c++) {
      const i = 1 + pairI[k], j = 1 + pairJ[k];
      a[ao + c] = (a[ao + c] - cv * b[bo + c] - a[ao + i] * b[bo + j] - a[ao + j] * b[bo + i]) / bv;
    }
  }

  /** a ← √a in place (a > 0): s² = a gives s_i = a_i / 2s, s_ij = (a_ij − 2 s_i s_j) / 2s. */
  sqrtInPlace(a: Float64Array, ao: number): void {
    const { m, nc, pairI, pairJ } = this;
    const s = Math.sqrt(a[ao]);
    a[ao] = s;
    for (let i = 1; i <= m; i++) a[ao + i] /= 2 * s;
    for (let k = 0, c = 1 + m; c < nc; k++, c++) {
      const i = 1 + pairI[k], j = 1 + pairJ[k];
      a[ao + c] = (a[ao + c] - 2 * a[ao + i] * a[ao + j]) / (2 * s);
    }
  }

  /** out += w · log a (a > 0): (log a)_i = a_i / a, (log a)_ij = a_ij / a − a_i a_j / a². */
  addLog(a: Float64Array, ao: number, w: number, out: Float64Array, oo: number): void {
    const { m, nc, pairI, pairJ } = this;
    const av = a[ao];
    out[oo] += w * Math.log(av);
    for (let i = 1; i <= m; i++) out[oo + i] += (w * a[ao + i]) / av;
    for (let k = 0, c = 1 + m; c < nc; k++, c++) {
      const i = 1 + pairI[k], j = 1 + pairJ[k];
      out[oo + c] += w * (a[ao + c] / av - (a[ao + i] * a[ao + j]) / (av * av));
    }
  }

  /** the value, gradient and (symmetric, full m × m row-major) Hessian of a jet */
  unpack(a: Float64Array, ao = 0): { value: number; gradient: Float64Array; hessian: Float64Array } {
    const { m, pairI, pairJ, nc } = this;
    const gradient = a.slice(ao + 1, ao + 1 + m);
    const hessian = new Float64Array(m * m);
    for (let k = 0, c = 1 + m; c < nc; k++, c++) {
      hessian[pairI[k] * m + pairJ[k]] = a[ao + c];
      hessian[pairJ[k] * m + pairI[k]] = a[ao + c];
    }
    return { value: a[ao], gradient, hessian };
  }
}
