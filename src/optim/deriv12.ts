/**
 * Central finite differences of a function at a point (lme4's deriv12, δ = 1e-4, steps clipped at a
 * lower bound): the gradient and Hessian of glmer's deviance in (θ, β) at the optimum (its Var(β̂)
 * and the float64 polish's Newton steps, src/glmm/assemble.ts, src/model/polish.ts) and of lmer's
 * profiled criterion in θ (lme4's convergence checks, src/model/convergence.ts).
 */

/**
 * The points of a central-difference stencil at x: f at x with some coordinates changed, and the steps
 * x_i + δ and max(x_i − δ, lower_i) (clipped at the bound, as lme4's deriv12).
 */
function stencil(f: (x: Float64Array) => number | Promise<number>, x: Float64Array, lower: Float64Array, delta: number) {
  const at = (changes: [number, number][]) => {
    const y = Float64Array.from(x);
    for (const [i, v] of changes) y[i] = v;
    return f(y);
  };
  const up = (i: number) => x[i] + delta;
  const dn = (i: number) => Math.max(x[i] - delta, lower[i]);
  return { at, up, dn };
}

/**
 * Central finite differences of f at x (lme4's deriv12, δ = 1e-4; steps clipped at `lower`): the
 * gradient and the Hessian. f may be asynchronous; the evaluations run one after the other.
 */
export async function deriv12(f: (x: Float64Array) => number | Promise<number>, x: Float64Array, fx: number, lower: Float64Array, delta = 1e-4): Promise<{ gradient: Float64Array; hessian: Float64Array }> {
  const n = x.length;
  const H = new Float64Array(n * n);
  const g = new Float64Array(n);
  const { at, up, dn } = stencil(f, x, lower, delta);
  for (let j = 0; j < n; j++) {
    const xadd = up(j), xsub = dn(j);
    const fadd = await at([[j, xadd]]);
    const fsub = await at([[j, xsub]]);
    const h = (xadd - xsub) / 2;
    // second derivative on the (possibly uneven) stencil xsub < x < xadd
    const hp = xadd - x[j], hm = x[j] - xsub;
    H[j * n + j] = hm > 0 ? (2 * (hm * fadd - (hp + hm) * fx + hp * fsub)) / (hp * hm * (hp + hm)) : NaN;
    g[j] = (fadd - fsub) / (2 * h);
    for (let i = 0; i < j; i++) {
      const ia = up(i), is = dn(i);
      const faa = await at([[i, ia], [j, xadd]]);
      const fas = await at([[i, ia], [j, xsub]]);
      const fsa = await at([[i, is], [j, xadd]]);
      const fss = await at([[i, is], [j, xsub]]);
      const v = (faa - fas - fsa + fss) / ((ia - is) * (xadd - xsub));
      H[i * n + j] = v;
      H[j * n + i] = v;
    }
  }
  return { gradient: g, hessian: H };
}

/**
 * The same central-difference gradient and Hessian as deriv12 from fewer evaluations (issue 17):
 * 1 + n + n² points instead of deriv12's 1 + 2n² (20 evaluations instead of 32 for 4 parameters).
 * The diagonal and the gradient use deriv12's points f(x ± δ e_i); a mixed partial uses the two
 * points x ± δ (e_i + e_j) along the diagonal direction:
 *
 *   f(x + δ(e_i + e_j)) + f(x − δ(e_i + e_j)) = 2f + δ² (H_ii + 2 H_ij + H_jj) + O(δ⁴),
 *   f(x + δ e_i) + f(x − δ e_i) = 2f + δ² H_ii + O(δ⁴)
 *   ⇒  H_ij = [f(x+δ(e_i+e_j)) + f(x−δ(e_i+e_j)) − f(x+δe_i) − f(x−δe_i) − f(x+δe_j) − f(x−δe_j) + 2f] / (2δ²)
 *
 * which is second-order accurate like deriv12's four-point formula f(±δ, ±δ) (both err by O(δ²) times
 * fourth derivatives). Where a step is clipped at `lower` (an uneven stencil) the pair falls back to
 * deriv12's four points. `offDiagonal: 'forward'` takes only the pair's point x + δ(e_i + e_j)
 * (1 + 2n + n(n − 1)/2 points, first-order accurate off the diagonal: for a Newton step, not for
 * Var(β̂)); its points are a subset of the central stencil's, which can complete it.
 */
export async function deriv12Diagonal(
  f: (x: Float64Array) => number | Promise<number>, x: Float64Array, fx: number, lower: Float64Array, delta = 1e-4, offDiagonal: 'central' | 'forward' = 'central',
): Promise<{ gradient: Float64Array; hessian: Float64Array }> {
  const n = x.length;
  const H = new Float64Array(n * n);
  const g = new Float64Array(n);
  const { at, up, dn } = stencil(f, x, lower, delta);
  const fadd = new Float64Array(n), fsub = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const xadd = up(j), xsub = dn(j);
    fadd[j] = await at([[j, xadd]]);
    fsub[j] = await at([[j, xsub]]);
    const hp = xadd - x[j], hm = x[j] - xsub;
    H[j * n + j] = hm > 0 ? (2 * (hm * fadd[j] - (hp + hm) * fx + hp * fsub[j])) / (hp * hm * (hp + hm)) : NaN;
    g[j] = (fadd[j] - fsub[j]) / (xadd - xsub);
  }
  // on the actual steps h± = |x ± δ − x| the pair formula is exact for a quadratic:
  //   f(x + (h⁺_i, h⁺_j)) − f(x + h⁺_i e_i) − f(x + h⁺_j e_j) + f = H_ij h⁺_i h⁺_j, likewise with h⁻,
  // and the third derivatives cancel between the two when h⁺ = h⁻ (up to rounding); a step clipped at
  // `lower` makes them differ, and that pair takes the four points
  const even = (i: number) => Math.abs(up(i) - x[i] - (x[i] - dn(i))) <= 1e-6 * delta;
  for (let j = 0; j < n; j++) for (let i = 0; i < j; i++) {
    let v: number;
    if (offDiagonal === 'forward') {
      // the pair's forward half alone, f(x + h⁺_i e_i + h⁺_j e_j) − f(x + h⁺_i e_i) − f(x + h⁺_j e_j) + f
      // = H_ij h⁺_i h⁺_j + O(δ³): first-order accurate (error O(δ) times third derivatives), one point
      const fpp = await at([[i, up(i)], [j, up(j)]]);
      v = (fpp - fadd[i] - fadd[j] + fx) / ((up(i) - x[i]) * (up(j) - x[j]));
    } else if (even(i) && even(j)) {
      const fpp = await at([[i, up(i)], [j, up(j)]]);
      const fmm = await at([[i, dn(i)], [j, dn(j)]]);
      const w = (up(i) - x[i]) * (up(j) - x[j]) + (x[i] - dn(i)) * (x[j] - dn(j));
      v = (fpp + fmm - fadd[i] - fsub[i] - fadd[j] - fsub[j] + 2 * fx) / w;
    } else {
      const ia = up(i), is = dn(i), ja = up(j), js = dn(j);
      const faa = await at([[i, ia], [j, ja]]);
      const fas = await at([[i, ia], [j, js]]);
      const fsa = await at([[i, is], [j, ja]]);
      const fss = await at([[i, is], [j, js]]);
      v = (faa - fas - fsa + fss) / ((ia - is) * (ja - js));
    }
    H[i * n + j] = v;
    H[j * n + i] = v;
  }
  return { gradient: g, hessian: H };
}
