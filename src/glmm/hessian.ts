/**
 * Var(β̂) of a GLMM as lme4's vcov for glmer (whose default computes the derivatives): the β block of
 * the inverse of half the finite-difference Hessian of the deviance in (θ, β) at the optimum.
 */
import { choleskyInPlace, invertGaussJordan } from '../linalg/dense.js';

/**
 * Central finite differences of f at x (lme4's deriv12, δ = 1e-4; steps clipped at `lower`): the
 * gradient and the Hessian. f may be asynchronous; the evaluations run one after the other.
 */
export async function deriv12(f: (x: Float64Array) => number | Promise<number>, x: Float64Array, fx: number, lower: Float64Array, delta = 1e-4): Promise<{ gradient: Float64Array; hessian: Float64Array }> {
  const n = x.length;
  const H = new Float64Array(n * n);
  const g = new Float64Array(n);
  const at = (changes: [number, number][]) => {
    const y = Float64Array.from(x);
    for (const [i, v] of changes) y[i] = v;
    return f(y);
  };
  const up = (i: number) => x[i] + delta;
  const dn = (i: number) => Math.max(x[i] - delta, lower[i]);
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

/** Var(β̂) = 2 (H⁻¹)_ββ (the deviance is −2ℓ), or null when H⁻¹'s β block is not positive definite. */
export function hessianVcov(H: Float64Array, nth: number, p: number): Float64Array | null {
  const n = nth + p;
  const inv = invertGaussJordan(H, n);
  if (!inv) return null;
  const V = new Float64Array(p * p);
  for (let r = 0; r < p; r++) for (let s = 0; s < p; s++) V[r * p + s] = inv[(nth + r) * n + nth + s] + inv[(nth + s) * n + nth + r];
  // positive definite?
  try {
    choleskyInPlace(Float64Array.from(V), p);
  } catch {
    return null;
  }
  return V;
}
