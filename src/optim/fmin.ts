/**
 * One-dimensional minimization on an interval without derivatives: Brent's method (golden-section
 * search with parabolic interpolation; Brent 1973, "Algorithms for Minimization without
 * Derivatives", ch. 5, procedure localmin), with the conventions of R's `optimize()`: the first
 * point is a + c(b − a) with c = (3 − √5)/2, the tolerance at x is √ε|x| + tol/3, and the search
 * stops when the bracket [a, b] is within 2·that of x. Written as a generator — it yields each
 * point to evaluate and receives f there — so that an evaluation may be a whole model fit, run
 * synchronously or awaited.
 */
import { OptionError } from '../errors/errors.js';

/** R's replacement of a non-finite value (−∞ by the most negative number, NaN and +∞ by the largest). */
function finite(v: number): number {
  if (Number.isFinite(v)) return v;
  return v === -Infinity ? -Number.MAX_VALUE : Number.MAX_VALUE;
}

/** Yields the points to evaluate; returns the minimizer. */
export function* fminSteps(lower: number, upper: number, tol: number): Generator<number, number, number> {
  if (!(lower < upper)) throw new OptionError('interval', `fmin: the interval [${lower}, ${upper}] is empty`);
  if (!(tol > 0)) throw new OptionError('tol', `fmin: the tolerance must be positive, got ${tol}`);
  const c = (3 - Math.sqrt(5)) * 0.5;
  const eps = Math.sqrt(Number.EPSILON);
  let a = lower, b = upper;
  let v = a + c * (b - a);
  let w = v, x = v;
  let d = 0, e = 0;
  let fx = finite(yield x);
  let fv = fx, fw = fx;
  const tol3 = tol / 3;
  for (;;) {
    const xm = (a + b) * 0.5;
    const tol1 = eps * Math.abs(x) + tol3;
    const t2 = tol1 * 2;
    if (Math.abs(x - xm) <= t2 - (b - a) * 0.5) break;
    let p = 0, q = 0, r = 0;
    if (Math.abs(e) > tol1) {
      // fit a parabola through (v, fv), (w, fw), (x, fx)
      r = (x - w) * (fx - fv);
      q = (x - v) * (fx - fw);
      p = (x - v) * q - (x - w) * r;
      q = (q - r) * 2;
      if (q > 0) p = -p; else q = -q;
      r = e;
      e = d;
    }
    let u: number;
    if (Math.abs(p) >= Math.abs(q * 0.5 * r) || p <= q * (a - x) || p >= q * (b - x)) {
      // a golden-section step into the larger part
      e = x < xm ? b - x : a - x;
      d = c * e;
    } else {
      // a parabolic step, not too close to a or b
      d = p / q;
      u = x + d;
      if (u - a < t2 || b - u < t2) {
        d = tol1;
        if (x >= xm) d = -d;
      }
    }
    // never closer than tol1 to x
    if (Math.abs(d) >= tol1) u = x + d;
    else if (d > 0) u = x + tol1;
    else u = x - tol1;
    const fu = finite(yield u);
    if (fu <= fx) {
      if (u < x) b = x; else a = x;
      v = w; w = x; x = u;
      fv = fw; fw = fx; fx = fu;
    } else {
      if (u < x) a = u; else b = u;
      if (fu <= fw || w === x) {
        v = w; fv = fw;
        w = u; fw = fu;
      } else if (fu <= fv || v === x || v === w) {
        v = u; fv = fu;
      }
    }
  }
  return x;
}

/** R's optimize(f, c(lower, upper), tol): the minimizer (f evaluated synchronously). */
export function fmin(f: (x: number) => number, lower: number, upper: number, tol: number): number {
  const g = fminSteps(lower, upper, tol);
  let s = g.next();
  while (!s.done) s = g.next(f(s.value));
  return s.value;
}

/** The same with an asynchronous f. */
export async function fminAsync(f: (x: number) => number | Promise<number>, lower: number, upper: number, tol: number): Promise<number> {
  const g = fminSteps(lower, upper, tol);
  let s = g.next();
  while (!s.done) s = g.next(await f(s.value));
  return s.value;
}
