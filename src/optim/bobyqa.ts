/**
 * Bound-constrained derivative-free minimization of the BOBYQA class.
 *
 * Written from the mathematics of
 *   M.J.D. Powell, "The BOBYQA algorithm for bound constrained optimization
 *   without derivatives", Report DAMTP 2009/NA06, University of Cambridge (2009),
 * and the least-Frobenius-norm updating theory it builds on
 *   M.J.D. Powell, "Least Frobenius norm updating of quadratic models that
 *   satisfy interpolation conditions", Math. Program. 100 (2004) 183-215.
 *
 * Outline.  The report is organised around the parts of the algorithm that
 * Powell's software calls PRELIM, TRSBOX, ALTMOV, UPDATE and RESCUE plus the
 * main iteration; the comments below cite those parts by these names
 * ([PRELIM], [TRSBOX], ...) rather than by section or equation numbers.
 *  - [PRELIM] initial interpolation set: x0 (moved onto, or at least rhobeg
 *        away from, nearby bounds), x0 ± rhobeg e_i (+rhobeg, +2 rhobeg next
 *        to a lower bound, mirrored at an upper bound) and, when npt > 2n+1,
 *        points x0 + σ_p e_p + σ_q e_q; the first model is the quadratic of
 *        least Frobenius norm of its Hessian that interpolates f.
 *  - [MAIN] trust-region steps, the ratio test and radius update, the
 *        replacement of one interpolation point per evaluation, the
 *        "alternative" (geometry) iteration when a point is far from x_opt,
 *        the reduction of rho from rhobeg to rhoend, and a final step.
 *  - [TRSBOX] the trust-region subproblem with bounds: truncated conjugate
 *        gradients on the free variables, fixing a variable whenever its bound
 *        is reached, then searches round the boundary of the trust region.
 *  - [ALTMOV] the geometry step: a point in the box and in a small ball that
 *        makes |Lagrange function of the discarded point| (equivalently the
 *        denominator σ of the updating formula) large.
 *  - [UPDATE] least-Frobenius-norm change of the model and the Lagrange
 *        functions (H = W^{-1}) after a change of the interpolation set, with
 *        the quantities α, β, τ, σ of Powell (2004).
 *  - [RESCUE] here a much simpler re-initialisation of the interpolation
 *        set around x_opt when the interpolation system becomes singular.
 *
 * Non-finite objective values (NaN, ±Infinity): at a trust-region trial point
 * the step is rejected as if f were huge (ratio < 0, smaller radius) and the
 * point is not put into the interpolation set, so the model is not spoiled;
 * where a point must enter the set (initial design, geometry steps) a finite
 * surrogate larger than every value in the set is used.  Such regions act as
 * hidden constraints that the method only approximately respects.
 *
 * Implementation choice (allowed by the small n of most lme4 θ): instead of
 * Powell's rank-two updates of H = W^{-1}, the full (npt+n+1)×(npt+n+1) KKT
 * matrix W of the least-Frobenius-norm interpolation problem is formed afresh
 * after every change of the interpolation set, in coordinates centred at the
 * current best point x_opt and scaled to unit size, and inverted by LU with
 * partial pivoting.  The model is then corrected with the residuals at ALL
 * interpolation points, which makes the updating self-correcting against
 * rounding errors.  All quantities that Powell's algorithm uses (Lagrange
 * functions, α, β, τ, σ) are read off that H.  That costs O(m³) per
 * evaluation, m = npt + n + 1; above 20 free variables (a random-effects term
 * with q ≥ 6 columns has ≥ 21 θ; q = 20 has 210 and m = 632) H is instead
 * updated by Powell's formula (`updateKktInverse`, O(m²)), the model by the
 * new point's Lagrange function with an implicit Hessian part, and geometry
 * steps are ranked by Powell's estimate of σ; W is re-inverted only
 * occasionally (see `updating`).  Option `updateH` chooses either path.
 *
 * Interface.  The algorithm is written once, as an ask/tell generator
 * (bobyqaSteps) that yields each point to evaluate and is resumed with f
 * there; every helper that needs f is a generator delegated to by `yield*`.
 * bobyqa (synchronous objective) and bobyqaAsync (objective returning a
 * number or a Promise, e.g. WebGPU readbacks) are thin drivers of it and give
 * identical evaluation sequences and results.
 */
import type { BoundedMinimizeOptions, MinimizeResult, MinimizeSteps } from './types.js';

/**
 * A computation that may ask for objective values: it yields points (full
 * coordinates), is resumed with f at each, and returns a T.  Every helper
 * that evaluates f is such a generator and is delegated to with `yield*`.
 */
type Ask<T> = Generator<Float64Array, T, number>;

/** Above this many free variables H = W⁻¹ is updated rather than re-inverted (see `updating`). */
const UPDATE_H_MIN_N = 20;
/** Updating: W is re-inverted when the new Lagrange function misses 1 at its point by more than this. */
const UPDATE_H_TOL = 1e-8;

/** Lagrange-function values at a trial point (see `lagrangeData`). */
interface LagrangeData {
  /** τ_j = ℓ_j(x), j < npt */
  tau: Float64Array;
  beta: number;
  /** H w (length m) */
  hw: Float64Array;
  /** the point's column of W with the current points, w = (½ (z_jᵀ z)², 1, z) */
  w: Float64Array;
  /** ‖z‖² */
  zz: number;
  /** the point's scaled coordinates z = (x − x_base)/σ */
  z: Float64Array;
}

/** Internal signal to stop the iteration (budget, cancellation). */
class Halt {
  constructor(readonly message: string) {}
}

// ---------------------------------------------------------------------------
// Small dense linear algebra helpers (row-major Float64Array).
// ---------------------------------------------------------------------------

function dot(a: Float64Array, b: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}

/** out = M v for a dense n×n matrix M. */
function matVec(m: Float64Array, v: Float64Array, n: number, out: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    let s = 0;
    const r = i * n;
    for (let j = 0; j < n; j++) s += m[r + j]! * v[j]!;
    out[i] = s;
  }
  return out;
}

/** v^T M v */
function quadForm(m: Float64Array, v: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const vi = v[i]!;
    if (vi === 0) continue;
    let r = 0;
    const o = i * n;
    for (let j = 0; j < n; j++) r += m[o + j]! * v[j]!;
    s += vi * r;
  }
  return s;
}

/**
 * Inverse of a dense m×m matrix by LU factorisation with partial pivoting.
 * Returns null when a pivot is negligible relative to the largest entry
 * (numerically singular interpolation system).
 */
function invert(a: Float64Array, m: number): Float64Array | null {
  const lu = a.slice();
  const perm = new Int32Array(m);
  for (let i = 0; i < m; i++) perm[i] = i;
  let scale = 0;
  for (let i = 0; i < m * m; i++) scale = Math.max(scale, Math.abs(lu[i]!));
  if (!(scale > 0) || !Number.isFinite(scale)) return null;
  const tiny = 1e-14 * scale;
  for (let k = 0; k < m; k++) {
    let p = k;
    let best = Math.abs(lu[k * m + k]!);
    for (let i = k + 1; i < m; i++) {
      const v = Math.abs(lu[i * m + k]!);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (!(best > tiny)) return null;
    if (p !== k) {
      for (let j = 0; j < m; j++) {
        const t = lu[k * m + j]!;
        lu[k * m + j] = lu[p * m + j]!;
        lu[p * m + j] = t;
      }
      const t = perm[k]!;
      perm[k] = perm[p]!;
      perm[p] = t;
    }
    const piv = lu[k * m + k]!;
    for (let i = k + 1; i < m; i++) {
      const l = lu[i * m + k]! / piv;
      lu[i * m + k] = l;
      if (l === 0) continue;
      for (let j = k + 1; j < m; j++) lu[i * m + j] -= l * lu[k * m + j]!;
    }
  }
  // Columns of the inverse: solve L U x = P e_j.
  const inv = new Float64Array(m * m);
  const col = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < m; i++) col[i] = perm[i] === j ? 1 : 0;
    for (let i = 1; i < m; i++) {
      let s = col[i]!;
      for (let k = 0; k < i; k++) s -= lu[i * m + k]! * col[k]!;
      col[i] = s;
    }
    for (let i = m - 1; i >= 0; i--) {
      let s = col[i]!;
      for (let k = i + 1; k < m; k++) s -= lu[i * m + k]! * col[k]!;
      col[i] = s / lu[i * m + i]!;
    }
    for (let i = 0; i < m; i++) inv[i * m + j] = col[i]!;
  }
  // W is symmetric, so is its inverse: remove rounding asymmetry.
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      const v = 0.5 * (inv[i * m + j]! + inv[j * m + i]!);
      inv[i * m + j] = v;
      inv[j * m + i] = v;
    }
  }
  return inv;
}

/**
 * [UPDATE] The inverse of the KKT matrix W of the least-Frobenius-norm interpolation problem after
 * interpolation point t is replaced (Powell 2004, the rank-two updating formula): with w the new
 * point's column of W evaluated with the old points (w_j = ½(z_jᵀz⁺)², 1, z⁺), Hw = H w,
 * α = H_tt, β = ½‖z⁺‖⁴ − wᵀHw, τ = (Hw)_t and σ = αβ + τ²,
 *   H⁺ = H + [α (e_t − Hw)(e_t − Hw)ᵀ − β H e_t e_tᵀ H + τ (H e_t (e_t − Hw)ᵀ + (e_t − Hw) e_tᵀ H)] / σ.
 * In place on the m×m row-major H, O(m²).
 */
export function updateKktInverse(H: Float64Array, m: number, t: number, hw: Float64Array, beta: number, sigma: number): void {
  const alpha = H[t * m + t]!;
  const tau = hw[t]!;
  const u = new Float64Array(m); // e_t − Hw
  const ht = new Float64Array(m); // H e_t
  for (let k = 0; k < m; k++) {
    u[k] = -hw[k]!;
    ht[k] = H[k * m + t]!;
  }
  u[t] += 1;
  const a = alpha / sigma;
  const b = beta / sigma;
  const c = tau / sigma;
  for (let i = 0; i < m; i++) {
    const ui = u[i]!;
    const hi = ht[i]!;
    const o = i * m;
    const p1 = a * ui + c * hi;
    const p2 = c * ui - b * hi;
    for (let j = 0; j < m; j++) H[o + j] += p1 * u[j]! + p2 * ht[j]!;
  }
}

// ---------------------------------------------------------------------------
// Trust-region subproblem with bounds [TRSBOX].
// ---------------------------------------------------------------------------

/** out = G v for a model Hessian G (dense, or an explicit part plus Σ_j μ_j z_j z_jᵀ). */
type HessVec = (v: Float64Array, out: Float64Array) => void;

/** The operator of a dense n×n matrix. */
const denseHessVec = (G: Float64Array, n: number): HessVec => (v, out) => { matVec(G, v, n, out); };

interface TrStep {
  /** the step from x (x + d lies in the box) */
  d: Float64Array;
  /**
   * least curvature p^T G p / p^T p met by the conjugate-gradient iterations
   * when the step stays strictly inside the trust region; 0 when the step
   * reaches the trust-region boundary; -1 when unknown (no iteration).
   */
  crvmin: number;
}

/**
 * Smallest θ > 0 at which a·cosθ + b·sinθ exceeds B, given that it does not
 * at θ = 0 (the path stays feasible up to that angle).  Infinity if never.
 */
function firstCrossing(a: number, b: number, bound: number): number {
  const r = Math.hypot(a, b);
  if (r <= bound) return Infinity;
  const phi = Math.atan2(b, a);
  const gam = Math.acos(Math.max(-1, Math.min(1, bound / r)));
  let th = phi - gam;
  if (th < 0) th = th > -1e-10 ? 0 : th + 2 * Math.PI;
  return th;
}

/**
 * Approximately minimise Q(x + d) = g^T d + ½ d^T G d subject to ‖d‖ ≤ Δ and
 * lo ≤ x + d ≤ hi [TRSBOX] (G given as its product with a vector).
 *
 *  1. Variables at a bound whose gradient component pushes out of the box are
 *     fixed (the initial active set).
 *  2. Truncated conjugate gradients on the free variables.  A CG step is cut
 *     short where it meets a bound (the variable is then fixed there and CG is
 *     restarted from the steepest-descent direction of the remaining free
 *     variables) or the trust-region boundary.  CG stops when the remaining
 *     possible first-order reduction ‖r‖Δ is tiny relative to the reduction
 *     already achieved.
 *  3. If the trust-region boundary was reached, further reductions are sought
 *     on the boundary: the free part u of d is rotated towards the direction
 *     v ⟂ u of the projected steepest descent (‖v‖ = ‖u‖), along the curve
 *     d(θ) = d + (cosθ − 1)u + sinθ v, which keeps ‖d‖ = Δ.  θ is limited by
 *     the first bound crossed (then that variable is fixed) and chosen to
 *     minimise Q along the curve.
 */
function trsbox(
  n: number,
  g: Float64Array,
  G: HessVec,
  x: Float64Array,
  lo: Float64Array,
  hi: Float64Array,
  delta: number,
): TrStep {
  const d = new Float64Array(n);
  const gd = g.slice(); // model gradient at x + d
  const free = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const atLo = x[i]! <= lo[i]! && g[i]! >= 0;
    const atHi = x[i]! >= hi[i]! && g[i]! <= 0;
    free[i] = atLo || atHi ? 0 : 1;
  }
  const delsq = delta * delta;
  const p = new Float64Array(n);
  const r = new Float64Array(n);
  const gp = new Float64Array(n);
  let qred = 0; // total model reduction so far
  let crvmin = -1;
  let onBoundary = false;
  let restart = true;
  let rrOld = 0;
  const recomputeGrad = (): void => {
    G(d, gd);
    for (let i = 0; i < n; i++) gd[i] += g[i]!;
  };

  // --- 2. truncated CG with active bounds ---
  const maxCg = 2 * n + 2;
  for (let it = 0; it < maxCg; it++) {
    let rr = 0;
    for (let i = 0; i < n; i++) {
      r[i] = free[i] ? -gd[i]! : 0;
      rr += r[i]! * r[i]!;
    }
    if (rr === 0 || rr * delsq <= 1e-4 * qred * qred) break;
    if (restart) {
      p.set(r);
    } else {
      const beta = rr / rrOld;
      for (let i = 0; i < n; i++) p[i] = r[i]! + beta * p[i]!;
    }
    rrOld = rr;
    restart = false;
    const pp = dot(p, p, n);
    const dp = dot(d, p, n);
    const dd = dot(d, d, n);
    const rem = delsq - dd;
    if (rem <= 0) {
      onBoundary = true;
      break;
    }
    // step to the trust-region boundary: root of ‖d + a p‖² = Δ²
    const aTr = rem / (dp + Math.sqrt(dp * dp + pp * rem));
    // step to the nearest bound among free variables
    let aB = Infinity;
    let iB = -1;
    for (let i = 0; i < n; i++) {
      if (!free[i]) continue;
      const pi = p[i]!;
      let a = Infinity;
      if (pi > 0) a = (hi[i]! - x[i]! - d[i]!) / pi;
      else if (pi < 0) a = (lo[i]! - x[i]! - d[i]!) / pi;
      if (a < aB) {
        aB = Math.max(0, a);
        iB = i;
      }
    }
    G(p, gp);
    const kappa = dot(p, gp, n);
    const slope = dot(gd, p, n); // = -r·p < 0
    const aCg = kappa > 0 ? -slope / kappa : Infinity;
    if (kappa > 0) {
      const c = kappa / pp;
      crvmin = crvmin < 0 ? c : Math.min(crvmin, c);
    }
    const a = Math.min(aCg, aTr, aB);
    const red = -(a * slope + 0.5 * a * a * kappa);
    for (let i = 0; i < n; i++) {
      d[i] += a * p[i]!;
      gd[i] += a * gp[i]!;
    }
    qred += Math.max(0, red);
    if (aB <= aTr && aB <= aCg && iB >= 0) {
      // a bound is reached: fix the variable exactly on it and restart CG
      d[iB] = (p[iB]! > 0 ? hi[iB]! : lo[iB]!) - x[iB]!;
      free[iB] = 0;
      recomputeGrad();
      restart = true;
      continue;
    }
    if (aTr <= aCg) {
      onBoundary = true;
      break;
    }
    if (red <= 0.01 * qred) break;
  }

  // --- 3. searches round the trust-region boundary ---
  if (onBoundary) {
    crvmin = 0;
    const u = new Float64Array(n);
    const v = new Float64Array(n);
    const gu = new Float64Array(n);
    const gv = new Float64Array(n);
    const maxRot = 2 * n + 2;
    for (let it = 0; it < maxRot; it++) {
      let ddF = 0;
      let dgF = 0;
      let ggF = 0;
      for (let i = 0; i < n; i++) {
        if (!free[i]) continue;
        ddF += d[i]! * d[i]!;
        dgF += d[i]! * gd[i]!;
        ggF += gd[i]! * gd[i]!;
      }
      if (ddF <= 1e-20 * delsq) break;
      const ss = ggF - (dgF * dgF) / ddF; // ‖component of gradient ⟂ d‖²
      if (!(ss > 0) || Math.sqrt(ss * ddF) <= 0.01 * qred) break;
      const scale = Math.sqrt(ddF / ss);
      for (let i = 0; i < n; i++) {
        if (free[i]) {
          u[i] = d[i]!;
          v[i] = (-gd[i]! + (dgF / ddF) * d[i]!) * scale;
        } else {
          u[i] = 0;
          v[i] = 0;
        }
      }
      // largest angle before a free variable leaves the box
      let thMax = Math.PI / 2;
      let iHit = -1;
      let hitUpper = false;
      for (let i = 0; i < n; i++) {
        if (!free[i]) continue;
        // component i along the curve: x_i + u_i cosθ + v_i sinθ
        const tU = firstCrossing(u[i]!, v[i]!, hi[i]! - x[i]!);
        const tL = firstCrossing(-u[i]!, -v[i]!, x[i]! - lo[i]!);
        if (tU < thMax) {
          thMax = tU;
          iHit = i;
          hitUpper = true;
        }
        if (tL < thMax) {
          thMax = tL;
          iHit = i;
          hitUpper = false;
        }
      }
      if (iHit >= 0 && thMax <= 1e-12) {
        d[iHit] = (hitUpper ? hi[iHit]! : lo[iHit]!) - x[iHit]!;
        free[iHit] = 0;
        recomputeGrad();
        continue;
      }
      // Q(d(θ)) − Q(d) as a trigonometric polynomial in θ
      G(u, gu);
      G(v, gv);
      const cgu = dot(gd, u, n);
      const cgv = dot(gd, v, n);
      const uGu = dot(u, gu, n);
      const uGv = dot(u, gv, n);
      const vGv = dot(v, gv, n);
      const qd = (th: number): number => {
        const c1 = Math.cos(th) - 1;
        const s = Math.sin(th);
        return c1 * cgu + s * cgv + 0.5 * (c1 * c1 * uGu + 2 * c1 * s * uGv + s * s * vGv);
      };
      // minimise over [0, thMax]: grid, then golden section in the best bracket
      const K = 24;
      let kBest = 0;
      let qBest = 0;
      for (let k = 1; k <= K; k++) {
        const q = qd((thMax * k) / K);
        if (q < qBest) {
          qBest = q;
          kBest = k;
        }
      }
      let thBest = (thMax * kBest) / K;
      if (kBest < K || iHit < 0) {
        let a = (thMax * Math.max(0, kBest - 1)) / K;
        let b = (thMax * Math.min(K, kBest + 1)) / K;
        const gr = 0.5 * (Math.sqrt(5) - 1);
        let c = b - gr * (b - a);
        let e = a + gr * (b - a);
        let fc = qd(c);
        let fe = qd(e);
        for (let k = 0; k < 60 && b - a > 1e-14 * thMax; k++) {
          if (fc < fe) {
            b = e;
            e = c;
            fe = fc;
            c = b - gr * (b - a);
            fc = qd(c);
          } else {
            a = c;
            c = e;
            fc = fe;
            e = a + gr * (b - a);
            fe = qd(e);
          }
        }
        const th = fc < fe ? c : e;
        const q = Math.min(fc, fe);
        if (q < qBest) {
          qBest = q;
          thBest = th;
        }
      }
      if (!(qBest < 0)) break;
      const cs = Math.cos(thBest);
      const sn = Math.sin(thBest);
      for (let i = 0; i < n; i++) if (free[i]) d[i] = cs * u[i]! + sn * v[i]!;
      qred += -qBest;
      if (iHit >= 0 && thBest >= thMax) {
        d[iHit] = (hitUpper ? hi[iHit]! : lo[iHit]!) - x[iHit]!;
        free[iHit] = 0;
        recomputeGrad();
        continue;
      }
      recomputeGrad();
      if (-qBest <= 0.01 * qred) break;
    }
  }

  // Keep x + d inside the box exactly (rounding in the updates above).
  for (let i = 0; i < n; i++) {
    const xi = Math.min(hi[i]!, Math.max(lo[i]!, x[i]! + d[i]!));
    d[i] = xi - x[i]!;
  }
  return { d, crvmin };
}

// ---------------------------------------------------------------------------
// The minimizer.
// ---------------------------------------------------------------------------

/**
 * Two distinct non-zero displacements along one coordinate for an
 * interpolation design of radius r around x [PRELIM]: ±r away from bounds,
 * +r, +2r at a lower bound, −r, −2r at an upper bound; the box must have
 * width ≥ 2r.
 */
function axisSteps(x: number, lo: number, hi: number, r: number): [number, number] {
  const up = hi - x;
  const dn = x - lo;
  if (up >= r && dn >= r) return [r, -r];
  if (up >= r) {
    if (up >= 2 * r) return [r, 2 * r];
    return [r, dn >= up - r ? -dn : up];
  }
  if (dn >= 2 * r) return [-r, -2 * r];
  return [-r, up >= dn - r ? up : -dn];
}

/**
 * BOBYQA as an ask/tell generator: each `yield` is a point x at which f is
 * wanted (a fresh Float64Array in full coordinates, inside the bounds, owned
 * by the caller), and the generator must be resumed with `next(f(x))`; the
 * generator's return value is the result.  The first `next()` takes no value.
 *
 * All bookkeeping lives here, so that every driver behaves the same:
 * argument checks (thrown from the first `next()`), `shouldStop` (asked
 * before each evaluation), `maxfun`, `onEvaluation` (called after each
 * value is received), the treatment of non-finite values and the best point
 * returned.  To abort with an error from f, call `throw(err)`: it propagates
 * out of the generator unchanged.  Abandoning the generator is also fine.
 */
export function* bobyqaSteps(x0: ArrayLike<number>, options: BoundedMinimizeOptions): MinimizeSteps {
  const nAll = x0.length;
  if (nAll < 1) throw new RangeError('bobyqa: x0 must have at least one component');
  if (options.lower.length !== nAll || options.upper.length !== nAll) {
    throw new RangeError('bobyqa: lower and upper must have the same length as x0');
  }
  const lowerAll = Float64Array.from(options.lower);
  const upperAll = Float64Array.from(options.upper);
  const start = new Float64Array(nAll);
  for (let i = 0; i < nAll; i++) {
    if (!(lowerAll[i]! <= upperAll[i]!)) throw new RangeError(`bobyqa: lower[${i}] > upper[${i}]`);
    const v = x0[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`bobyqa: x0[${i}] is not finite`);
    start[i] = Math.min(upperAll[i]!, Math.max(lowerAll[i]!, v));
  }
  let rhobeg = options.rhobeg ?? 0.2;
  let rhoend = options.rhoend ?? 2e-7;
  const maxfun = options.maxfun ?? 10000;
  if (!(rhobeg > 0) || !Number.isFinite(rhobeg)) throw new RangeError('bobyqa: rhobeg must be positive');
  if (!(rhoend > 0) || !Number.isFinite(rhoend)) throw new RangeError('bobyqa: rhoend must be positive');
  if (!(maxfun >= 1)) throw new RangeError('bobyqa: maxfun must be at least 1');
  if (options.npt !== undefined) {
    const np = options.npt;
    if (!Number.isInteger(np) || np < nAll + 2 || np > ((nAll + 1) * (nAll + 2)) / 2) {
      throw new RangeError(`bobyqa: npt must be an integer in [n+2, (n+1)(n+2)/2] = [${nAll + 2}, ${((nAll + 1) * (nAll + 2)) / 2}]`);
    }
  }

  // Variables with lower == upper are fixed; the algorithm runs on the rest.
  const freeIdx: number[] = [];
  for (let i = 0; i < nAll; i++) if (upperAll[i]! > lowerAll[i]!) freeIdx.push(i);
  const n = freeIdx.length;

  // ---- evaluation wrapper: bounds, counting, callbacks, best point ----
  let feval = 0;
  let bestF = Infinity;
  let bestX = start.slice();
  let sawFinite = false;
  /** f at the free-variable point xr (asked of the driver), or NaN if not finite. */
  function* evaluate(xr: Float64Array): Ask<number> {
    if (options.shouldStop?.()) throw new Halt('stopped by shouldStop');
    if (feval >= maxfun) throw new Halt(`maximum number of function evaluations (${maxfun}) reached`);
    const xf = start.slice();
    for (let k = 0; k < n; k++) {
      const i = freeIdx[k]!;
      xf[i] = Math.min(upperAll[i]!, Math.max(lowerAll[i]!, xr[k]!));
    }
    const keep = xf.slice();
    const v: number = yield xf;
    if (v === undefined) throw new TypeError('bobyqaSteps: resume the generator with next(f(x))');
    feval++;
    options.onEvaluation?.(feval, keep.slice(), v);
    if (Number.isFinite(v)) {
      sawFinite = true;
      if (v < bestF) {
        bestF = v;
        bestX = keep;
      }
      return v;
    }
    return NaN;
  }
  let inversions = 0;
  const result = (converged: boolean, message: string): MinimizeResult => ({
    x: bestX,
    fval: sawFinite ? bestF : NaN,
    feval,
    converged,
    message,
    inversions,
  });

  if (n === 0) {
    try {
      yield* evaluate(new Float64Array(0));
    } catch (e) {
      if (e instanceof Halt) return result(false, e.message);
      throw e;
    }
    return result(true, 'all variables fixed by their bounds');
  }

  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  const xs = new Float64Array(n);
  let minWidth = Infinity;
  for (let k = 0; k < n; k++) {
    const i = freeIdx[k]!;
    lo[k] = lowerAll[i]!;
    hi[k] = upperAll[i]!;
    xs[k] = start[i]!;
    minWidth = Math.min(minWidth, hi[k]! - lo[k]!);
  }
  // [PRELIM] the box must be at least 2·rhobeg wide in every free variable.
  if (2 * rhobeg > minWidth) rhobeg = 0.5 * minWidth;
  if (rhoend > rhobeg) rhoend = rhobeg;

  const nptMax = ((n + 1) * (n + 2)) / 2;
  const npt = Math.min(nptMax, Math.max(n + 2, options.npt ?? 2 * n + 1));
  const m = npt + n + 1; // order of the KKT matrix W

  // ---- state: interpolation set, model, H = W^{-1} ----
  const pts = new Float64Array(npt * n); // absolute coordinates y_j
  const fv = new Float64Array(npt); // f(y_j) (a finite surrogate where f was not finite)
  let kopt = 0;
  // Quadratic model Q(x_opt + s) = c0 + gopt·s + ½ sᵀ G s, centred at x_opt, with the Hessian
  // G = hq + Σ_j pq_j z_j z_jᵀ (the implicit part is used only when updating H, see below).
  let c0 = 0;
  const gopt = new Float64Array(n);
  const hq = new Float64Array(n * n);
  const pq = new Float64Array(npt);
  // Scaled displacements z_j = (y_j − x_base)/σ and H = W^{-1} in z-coordinates; x_base is x_opt
  // when H was last formed (re-inverted), and always x_opt without updating.
  let sig = 1;
  const Z = new Float64Array(npt * n);
  let H: Float64Array = new Float64Array(m * m);
  const xbase = new Float64Array(n);
  /**
   * Updating [UPDATE]: for large n, inverting the (npt+n+1)² matrix W after every change of the
   * interpolation set costs O(m³) per evaluation (m = 632 for n = 210: ~0.5 s). Then H is updated
   * by Powell's (2004) rank-two formula in O(m²), the model by the Lagrange function of the new
   * point with an implicit Hessian part (O(npt·n)), and W is formed and inverted afresh (at x_base =
   * x_opt, which also corrects the model with the residuals at all points) only every
   * `rebuildEvery` updates, when ρ is reduced, when the update's denominator is too small to trust,
   * or when the updated H fails the interpolation condition ℓ_t(y_t) = 1 by more than UPDATE_H_TOL.
   */
  const updating = options.updateH ?? n > UPDATE_H_MIN_N;
  const rebuildEvery = 4 * Math.max(10, n);
  let updatesSinceBuild = 0;
  let forceRebuild = false;

  const xopt = (): Float64Array => pts.subarray(kopt * n, kopt * n + n);
  const fopt = (): number => fv[kopt]!;
  const tmpN = new Float64Array(n);

  /** out = G v with the model Hessian G = hq + Σ_j pq_j z_j z_jᵀ */
  const hessVec: HessVec = (v, out) => {
    matVec(hq, v, n, out);
    if (!updating) return;
    for (let j = 0; j < npt; j++) {
      const c = pq[j]!;
      if (c === 0) continue;
      const zj = j * n;
      let s = 0;
      for (let i = 0; i < n; i++) s += Z[zj + i]! * v[i]!;
      s *= c;
      for (let i = 0; i < n; i++) out[i] += s * Z[zj + i]!;
    }
  };

  /** model value relative to its centre: gopt·s + ½ sᵀ G s */
  const modelDelta = (s: Float64Array): number => {
    let q = quadForm(hq, s, n);
    if (updating) {
      for (let j = 0; j < npt; j++) {
        if (pq[j] === 0) continue;
        let zs = 0;
        for (let i = 0; i < n; i++) zs += Z[j * n + i]! * s[i]!;
        q += pq[j]! * zs * zs;
      }
    }
    return dot(gopt, s, n) + 0.5 * q;
  };

  /** Moves the implicit Hessian term of point j into hq (before z_j changes). */
  const foldImplicit = (j: number): void => {
    const c = pq[j]!;
    if (c === 0) return;
    const zj = j * n;
    for (let a = 0; a < n; a++) {
      const za = c * Z[zj + a]!;
      if (za === 0) continue;
      for (let b = 0; b < n; b++) hq[a * n + b] += za * Z[zj + b]!;
    }
    pq[j] = 0;
  };

  /** Large finite stand-in for a non-finite objective value. */
  const surrogate = (): number => {
    let fmax = -Infinity;
    let fmin = Infinity;
    for (let j = 0; j < npt; j++) {
      const v = fv[j]!;
      if (Number.isFinite(v)) {
        fmax = Math.max(fmax, v);
        fmin = Math.min(fmin, v);
      }
    }
    if (!Number.isFinite(fmax)) return NaN;
    const spread = Math.max(fmax - fmin, 1e-3 * Math.max(1, Math.abs(fmax)));
    return fmax + 10 * spread;
  };

  /**
   * Form the KKT matrix of the least-Frobenius-norm interpolation problem
   * [UPDATE] (Powell 2004),
   *     W = [ A  e  Zᵀ ; eᵀ 0 0 ; Z 0 0 ],  A_ij = ½ (z_iᵀ z_j)²,
   * in coordinates z = (x − x_opt)/σ centred at the best point and scaled so
   * that the interpolation points lie in the unit ball (all three blocks are
   * then O(1)), and invert it.  Returns false if W is numerically singular.
   */
  const buildH = (): boolean => {
    const xo = xopt();
    if (updating) for (let j = 0; j < npt; j++) foldImplicit(j);
    xbase.set(xo);
    updatesSinceBuild = 0;
    forceRebuild = false;
    let maxd2 = 0;
    for (let j = 0; j < npt; j++) {
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const s = pts[j * n + i]! - xo[i]!;
        s2 += s * s;
      }
      maxd2 = Math.max(maxd2, s2);
    }
    sig = maxd2 > 0 ? Math.sqrt(maxd2) : 1;
    for (let j = 0; j < npt; j++) {
      for (let i = 0; i < n; i++) Z[j * n + i] = (pts[j * n + i]! - xo[i]!) / sig;
    }
    const W = new Float64Array(m * m);
    for (let i = 0; i < npt; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += Z[i * n + k]! * Z[j * n + k]!;
        const a = 0.5 * s * s;
        W[i * m + j] = a;
        W[j * m + i] = a;
      }
      W[i * m + npt] = 1;
      W[npt * m + i] = 1;
      for (let k = 0; k < n; k++) {
        W[i * m + npt + 1 + k] = Z[i * n + k]!;
        W[(npt + 1 + k) * m + i] = Z[i * n + k]!;
      }
    }
    const inv = invert(W, m);
    inversions++;
    if (!inv) return false;
    H = inv;
    return true;
  };

  /**
   * [UPDATE] Least-Frobenius-norm change of the model (Powell 2004):
   * the new model Q⁺ = Q + D minimises ‖∇²D‖_F subject to Q⁺(y_j) = f(y_j)
   * for all j.  D = c + hᵀz + ½ Σ μ_j (z_jᵀ z)² with (μ, c, h) = H (r, 0, 0),
   * r_j = f(y_j) − Q(y_j).  Using every residual (not only the one at the
   * new point) corrects accumulated rounding errors.
   */
  const updateModel = (): void => {
    const r = new Float64Array(npt);
    const s = tmpN;
    for (let j = 0; j < npt; j++) {
      for (let i = 0; i < n; i++) s[i] = Z[j * n + i]! * sig;
      r[j] = fv[j]! - (c0 + modelDelta(s));
    }
    const sol = new Float64Array(m);
    for (let k = 0; k < m; k++) {
      let acc = 0;
      const o = k * m;
      for (let j = 0; j < npt; j++) acc += H[o + j]! * r[j]!;
      sol[k] = acc;
    }
    c0 += sol[npt]!;
    for (let i = 0; i < n; i++) gopt[i] += sol[npt + 1 + i]! / sig;
    const s2 = sig * sig;
    for (let j = 0; j < npt; j++) {
      const mu = sol[j]! / s2;
      if (mu === 0) continue;
      const zj = j * n;
      for (let a = 0; a < n; a++) {
        const za = mu * Z[zj + a]!;
        if (za === 0) continue;
        for (let b = 0; b < n; b++) hq[a * n + b] += za * Z[zj + b]!;
      }
    }
  };

  /** Move the model's centre from x_opt to x_opt + ds (Taylor shift of a quadratic). */
  const shiftModel = (ds: Float64Array): void => {
    c0 += modelDelta(ds);
    hessVec(ds, tmpN);
    for (let i = 0; i < n; i++) gopt[i] += tmpN[i]!;
  };

  /**
   * For a trial point x_opt + d: the values τ_t = ℓ_t(x_opt + d) of all
   * Lagrange functions and β = ½‖z‖⁴ − wᵀHw, with
   * w = (½ (z_jᵀ z)², 1, z), z = (x_opt + d − x_base)/σ ([UPDATE], Powell 2004).
   * The denominator of the update that replaces y_t by the trial point is
   * σ_t = α_t β + τ_t² with α_t = H_tt; |σ_t| is the ratio of the
   * determinants of the new and old W. Also returns Hw and z for `updateH`.
   */
  const lagrangeData = (d: Float64Array): LagrangeData => {
    const w = new Float64Array(m);
    let zz = 0;
    const xo = xopt();
    for (let i = 0; i < n; i++) {
      const zi = updating ? (xo[i]! - xbase[i]! + d[i]!) / sig : d[i]! / sig;
      w[npt + 1 + i] = zi;
      zz += zi * zi;
    }
    w[npt] = 1;
    for (let j = 0; j < npt; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += Z[j * n + i]! * w[npt + 1 + i]!;
      w[j] = 0.5 * s * s;
    }
    const hw = new Float64Array(m);
    let whw = 0;
    for (let k = 0; k < m; k++) {
      let acc = 0;
      const o = k * m;
      for (let j = 0; j < m; j++) acc += H[o + j]! * w[j]!;
      hw[k] = acc;
      whw += w[k]! * acc;
    }
    return { tau: hw.subarray(0, npt), beta: 0.5 * zz * zz - whw, hw, w, zz, z: w.subarray(npt + 1) };
  };

  /** [UPDATE] H ← W⁺⁻¹ after y_t is replaced by the point of `lag` (`updateKktInverse`); z into row t of Z. */
  const updateH = (t: number, lag: LagrangeData, sigma: number): void => {
    updateKktInverse(H, m, t, lag.hw, lag.beta, sigma);
    Z.set(lag.z, t * n);
  };

  /**
   * The model after y_t was replaced (and H updated): Q ← Q + (f_t − Q(y_t)) ℓ_t, ℓ_t the Lagrange
   * function of the new point (column t of H), whose Hessian Σ_j μ_j z_j z_jᵀ / σ² goes into the
   * implicit part pq. The other interpolation conditions hold already. O(npt·n).
   */
  const updateModelAt = (t: number, diff: number): void => {
    const xo = xopt();
    const zo = tmpN;
    for (let i = 0; i < n; i++) zo[i] = (xo[i]! - xbase[i]!) / sig;
    const s2 = sig * sig;
    // ℓ_t(x_opt) and its gradient there
    let lval = H[npt * m + t]!;
    const grad = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const hi = H[(npt + 1 + i) * m + t]!;
      grad[i] = hi;
      lval += hi * zo[i]!;
    }
    for (let j = 0; j < npt; j++) {
      const mu = H[j * m + t]!;
      if (mu === 0) continue;
      let zz = 0;
      for (let i = 0; i < n; i++) zz += Z[j * n + i]! * zo[i]!;
      lval += 0.5 * mu * zz * zz;
      const c = mu * zz;
      for (let i = 0; i < n; i++) grad[i] += c * Z[j * n + i]!;
      pq[j] += (diff * mu) / s2;
    }
    c0 += diff * lval;
    for (let i = 0; i < n; i++) gopt[i] += (diff * grad[i]!) / sig;
  };

  /**
   * The Lagrange function ℓ_t (ℓ_t(y_j) = δ_tj, least Frobenius norm of
   * its Hessian) as gradient at x_opt and Hessian in x-coordinates: column t
   * of H gives (μ, c, h) with ℓ_t(z) = c + hᵀz + ½ Σ μ_j (z_jᵀz)².
   */
  const lagrangeQuad = (t: number): { gl: Float64Array; Gl: Float64Array | null; hv: HessVec } => {
    const gl = new Float64Array(n);
    for (let i = 0; i < n; i++) gl[i] = H[(npt + 1 + i) * m + t]! / sig;
    const s2 = sig * sig;
    if (updating) {
      // gradient at x_opt (z_opt = (x_opt − x_base)/σ) and the Hessian as an operator, O(npt·n) each
      const xo = xopt();
      const zo = new Float64Array(n);
      for (let i = 0; i < n; i++) zo[i] = (xo[i]! - xbase[i]!) / sig;
      const mu = new Float64Array(npt);
      for (let j = 0; j < npt; j++) {
        mu[j] = H[j * m + t]!;
        let zz = 0;
        for (let i = 0; i < n; i++) zz += Z[j * n + i]! * zo[i]!;
        const c = (mu[j]! * zz) / sig;
        for (let i = 0; i < n; i++) gl[i] += c * Z[j * n + i]!;
      }
      const hv: HessVec = (v, out) => {
        out.fill(0);
        for (let j = 0; j < npt; j++) {
          if (mu[j] === 0) continue;
          let zv = 0;
          for (let i = 0; i < n; i++) zv += Z[j * n + i]! * v[i]!;
          zv *= mu[j]! / s2;
          for (let i = 0; i < n; i++) out[i] += zv * Z[j * n + i]!;
        }
      };
      return { gl, Gl: null, hv };
    }
    const Gl = new Float64Array(n * n);
    for (let j = 0; j < npt; j++) {
      const mu = H[j * m + t]! / s2;
      if (mu === 0) continue;
      for (let a = 0; a < n; a++) {
        const za = mu * Z[j * n + a]!;
        if (za === 0) continue;
        for (let b = 0; b < n; b++) Gl[a * n + b] += za * Z[j * n + b]!;
      }
    }
    return { gl, Gl, hv: denseHessVec(Gl, n) };
  };

  /** the interpolation point farthest from x_opt and its distance */
  const farthest = (): [number, number] => {
    const xo = xopt();
    let kf = -1;
    let best = -1;
    for (let j = 0; j < npt; j++) {
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const s = pts[j * n + i]! - xo[i]!;
        s2 += s * s;
      }
      if (s2 > best) {
        best = s2;
        kf = j;
      }
    }
    return [kf, Math.sqrt(best)];
  };

  /**
   * Put (xnew, fnew) in place of y_t, re-centre at the best point and update
   * the model ([UPDATE]).  If the interpolation
   * system has become singular, rebuild the set around x_opt ([RESCUE]).
   */
  const replacePoint = function* (t: number, xnew: Float64Array, fnew: number, rho: number, lag?: LagrangeData): Ask<void> {
    const improved = fnew < fopt();
    if (updating && !forceRebuild && updatesSinceBuild < rebuildEvery) {
      const xo = xopt();
      const d = new Float64Array(n);
      for (let i = 0; i < n; i++) d[i] = xnew[i]! - xo[i]!;
      const L = lag ?? lagrangeData(d);
      const alpha = H[t * m + t]!;
      const tau = L.hw[t]!;
      const sigma = alpha * L.beta + tau * tau;
      if (Number.isFinite(sigma) && Math.abs(sigma) > 1e-10 * Math.max(Math.abs(alpha * L.beta), tau * tau)) {
        // Q(x_new) before the change (after the shift, x_new is the model's centre)
        let qnew: number;
        if (improved) {
          shiftModel(d);
          qnew = c0;
        } else {
          qnew = c0 + modelDelta(d);
        }
        foldImplicit(t);
        updateH(t, L, sigma);
        // accuracy monitor: the new Lagrange function ℓ_t (column t of H) is 1 at the new point
        let lt = 0;
        for (let j = 0; j < m; j++) lt += H[j * m + t]! * (j === t ? 0.5 * L.zz * L.zz : L.w[j]!);
        if (!(Math.abs(lt - 1) <= UPDATE_H_TOL)) forceRebuild = true;
        pts.set(xnew, t * n);
        fv[t] = fnew;
        if (improved) kopt = t;
        updatesSinceBuild++;
        updateModelAt(t, fnew - qnew);
        return;
      }
    }
    if (improved) {
      const ds = new Float64Array(n);
      const xo = xopt();
      for (let i = 0; i < n; i++) ds[i] = xnew[i]! - xo[i]!;
      shiftModel(ds);
    }
    pts.set(xnew, t * n);
    fv[t] = fnew;
    if (improved) kopt = t;
    if (buildH()) updateModel();
    else yield* rebuild(rho);
  };

  /** Interpolation design around xc with radius r ([PRELIM] pattern). */
  const design = (xc: Float64Array, r: number): Float64Array => {
    const out = new Float64Array(npt * n);
    const s1 = new Float64Array(n);
    const s2 = new Float64Array(n);
    for (let i = 0; i < n; i++) [s1[i], s2[i]] = axisSteps(xc[i]!, lo[i]!, hi[i]!, r);
    for (let j = 0; j < npt; j++) out.set(xc, j * n);
    // points 1..n: x + σ_i e_i; points n+1..2n: x + τ_i e_i (as many as npt allows)
    for (let i = 0; i < n; i++) out[(1 + i) * n + i] += s1[i]!;
    for (let i = 0; i < n && 1 + n + i < npt; i++) out[(1 + n + i) * n + i] += s2[i]!;
    // points beyond 2n+1: x + σ_p e_p + σ_q e_q over distinct pairs (p, q)
    let j = 2 * n + 1;
    for (let off = 1; off < n && j < npt; off++) {
      for (let pI = 0; pI + off < n && j < npt; pI++, j++) {
        const qI = pI + off;
        out[j * n + pI] += s1[pI]!;
        out[j * n + qI] += s1[qI]!;
      }
    }
    return out;
  };

  /** Evaluate f at a design, using a finite surrogate where f is not finite. */
  const evaluateDesign = function* (design: Float64Array, skip: number, skipValue: number): Ask<void> {
    const bad: number[] = [];
    for (let j = 0; j < npt; j++) {
      if (j === skip) {
        fv[j] = skipValue;
        continue;
      }
      const v = yield* evaluate(design.subarray(j * n, j * n + n));
      fv[j] = v;
      if (Number.isNaN(v)) bad.push(j);
    }
    if (bad.length === npt) throw new Halt('objective is not finite at any initial interpolation point');
    if (bad.length > 0) {
      // fv[bad] are NaN, so the surrogate is based on the finite values only
      const sur = surrogate();
      for (const j of bad) fv[j] = sur;
    }
  };

  /**
   * Simplified analogue of [RESCUE]: a fresh interpolation set of radius
   * rho around x_opt; the model changes by the least Frobenius norm needed to
   * interpolate the new values (the current Hessian is kept as "old" model).
   */
  const rebuild = function* (rho: number): Ask<void> {
    const xc = xopt().slice();
    const fc = fopt();
    const des = design(xc, rho);
    pts.set(des);
    kopt = 0;
    yield* evaluateDesign(des, 0, fc);
    let kb = 0;
    for (let j = 1; j < npt; j++) if (fv[j]! < fv[kb]!) kb = j;
    if (kb !== 0) {
      const ds = new Float64Array(n);
      for (let i = 0; i < n; i++) ds[i] = pts[kb * n + i]! - xc[i]!;
      shiftModel(ds);
      kopt = kb;
    }
    if (!buildH()) throw new Halt('interpolation system is singular; stopped');
    updateModel();
  };

  // ---------------------------------------------------------------------
  // [PRELIM] initial point and interpolation set.
  // ---------------------------------------------------------------------
  let rho = rhobeg;
  let delta = rhobeg;
  let converged = false;
  let message = '';
  let pendingShort: Float64Array | null = null;

  try {
    // Move x0 so that each x0_i is either on a bound or ≥ rhobeg from it, so the
    // design points x0 ± rhobeg e_i (or +rhobeg, +2rhobeg at a bound) are feasible.
    const xb = xs.slice();
    for (let i = 0; i < n; i++) {
      if (xb[i]! - lo[i]! < rhobeg) xb[i] = xb[i]! - lo[i]! <= 0.5 * rhobeg ? lo[i]! : lo[i]! + rhobeg;
      else if (hi[i]! - xb[i]! < rhobeg) xb[i] = hi[i]! - xb[i]! <= 0.5 * rhobeg ? hi[i]! : hi[i]! - rhobeg;
    }
    const des = design(xb, rhobeg);
    pts.set(des);
    yield* evaluateDesign(des, -1, 0);
    kopt = 0;
    for (let j = 1; j < npt; j++) if (fv[j]! < fv[kopt]!) kopt = j;
    // first model: least Frobenius norm of the Hessian itself (change from Q ≡ 0)
    if (!buildH()) throw new Halt('initial interpolation system is singular');
    updateModel();

    /** Recent model errors |f − Q| at new points since rho was last reduced. */
    let errs: number[] = [];
    const recordError = (e: number): void => {
      errs.push(e);
      if (errs.length > 3) errs.shift();
    };

    const reduceRho = (): void => {
      // [MAIN] rho_new = rho/10, or the geometric mean / rhoend near the end.
      const old = rho;
      if (rho <= 16 * rhoend) rho = rhoend;
      else if (rho <= 250 * rhoend) rho = Math.sqrt(rho * rhoend);
      else rho = 0.1 * rho;
      delta = Math.max(0.5 * old, rho);
      errs = [];
      forceRebuild = updating;
    };

    /**
     * [MAIN] test used when the trust-region step is short (‖d‖ < rho/2): the
     * model is trusted at this resolution when the last three errors |f − Q|
     * are below ⅛·crvmin·rho² (so no step of length rho can gain more than
     * the errors explain), and, for variables on a bound at x_opt + d, the
     * model gradient pushes into that bound by more than errbig/rho (so the
     * bound's being active is not an artefact of model errors).
     */
    const modelIsAccurate = (d: Float64Array, crvmin: number): boolean => {
      if (errs.length < 3) return false;
      const errbig = Math.max(...errs);
      if (crvmin > 0 && errbig > 0.125 * crvmin * rho * rho) return false;
      const bdtol = errbig / rho;
      hessVec(d, tmpN);
      const xo = xopt();
      for (let i = 0; i < n; i++) {
        const gi = gopt[i]! + tmpN[i]!;
        const xi = xo[i]! + d[i]!;
        if (xi <= lo[i]! && gi < bdtol) return false;
        if (xi >= hi[i]! && gi > -bdtol) return false;
      }
      return true;
    };

    /**
     * The step d = α u, u = sgn·(∇ℓ_t projected on the box's free directions)/‖·‖, 0 ≤ α ≤ the
     * largest step within the ball of radius adelt and the box, that maximizes |ℓ_t(x_opt + d)| =
     * |α gᵀu + ½ α² uᵀ G u| (ℓ_t(x_opt) = 0).
     */
    const cauchyStep = (sgn: number, g: Float64Array, hv: HessVec, xo: Float64Array, adelt: number): Float64Array => {
      const u = new Float64Array(n);
      let uu = 0;
      for (let i = 0; i < n; i++) {
        const gi = sgn * g[i]!;
        if ((gi > 0 && xo[i]! >= hi[i]!) || (gi < 0 && xo[i]! <= lo[i]!)) continue;
        u[i] = gi;
        uu += gi * gi;
      }
      const d = new Float64Array(n);
      if (!(uu > 0)) return d;
      const un = Math.sqrt(uu);
      let aMax = adelt;
      for (let i = 0; i < n; i++) {
        u[i] /= un;
        if (u[i]! > 0) aMax = Math.min(aMax, (hi[i]! - xo[i]!) / u[i]!);
        else if (u[i]! < 0) aMax = Math.min(aMax, (lo[i]! - xo[i]!) / u[i]!);
      }
      hv(u, tmpN);
      const a1 = dot(g, u, n);
      const a2 = 0.5 * dot(u, tmpN, n);
      const val = (a: number) => Math.abs(a * (a1 + a2 * a));
      let al = aMax;
      if (a2 !== 0) {
        const st = -a1 / (2 * a2);
        if (st > 0 && st < aMax && val(st) > val(al)) al = st;
      }
      for (let i = 0; i < n; i++) d[i] = al * u[i]!;
      return d;
    };

    /**
     * [ALTMOV] replace the far point y_t by x_opt + d, ‖d‖ ≤ adelt,
     * d in the box, chosen to make the updating denominator |σ_t| large.
     * Candidates: maximisers of +ℓ_t and −ℓ_t over ball ∩ box (by the same
     * bounded trust-region solver [TRSBOX]), and the best multiple of each line
     * x_opt + α(y_k − x_opt) through another interpolation point (where
     * ℓ_t is a quadratic in α, maximised in |·| over the feasible α-range).
     */
    const geometryStep = function* (t: number, adelt: number): Ask<void> {
      const xo = xopt().slice();
      const { gl, Gl, hv } = lagrangeQuad(t);
      const cands: Float64Array[] = [];
      const ngl = gl.map((v) => -v);
      const nhv: HessVec = Gl ? denseHessVec(Gl.map((v) => -v), n) : (x, out) => {
        hv(x, out);
        for (let i = 0; i < n; i++) out[i] = -out[i]!;
      };
      if (updating) {
        // Powell's ALTMOV: instead of the bounded trust-region solutions for ±ℓ_t, the Cauchy steps
        // along ±(projected ∇ℓ_t), each a 1-D quadratic (one Hessian product)
        for (const sgn of [1, -1]) cands.push(cauchyStep(sgn, gl, hv, xo, adelt));
      } else {
        cands.push(trsbox(n, ngl, nhv, xo, lo, hi, adelt).d);
        cands.push(trsbox(n, gl, hv, xo, lo, hi, adelt).d);
      }
      // updating: candidates are ranked by Powell's estimate of the denominator (ALTMOV),
      // τ²(τ² + ½ |α_t| ‖d/σ‖⁴) with τ = ℓ_t(x_opt + d) from ℓ_t's quadratic, instead of the exact
      // O(m²) σ of each (the update computes the exact σ of the one chosen, and re-inverts W when it
      // is too small)
      const alphaT = H[t * m + t]!;
      const estimate = (tau: number, d: Float64Array): number => {
        const dz2 = dot(d, d, n) / (sig * sig);
        return tau * tau * (tau * tau + 0.5 * Math.abs(alphaT) * dz2 * dz2);
      };
      const scored: { d: Float64Array; score: number }[] = [];
      if (updating) {
        for (const d of cands) {
          hv(d, tmpN);
          scored.push({ d, score: estimate(dot(gl, d, n) + 0.5 * dot(d, tmpN, n), d) });
        }
      }
      const v = new Float64Array(n);
      for (let k = 0; k < npt; k++) {
        if (k === kopt) continue;
        let vv = 0;
        for (let i = 0; i < n; i++) {
          v[i] = pts[k * n + i]! - xo[i]!;
          vv += v[i]! * v[i]!;
        }
        if (!(vv > 0)) continue;
        const vn = Math.sqrt(vv);
        let aLo = -adelt / vn;
        let aHi = adelt / vn;
        for (let i = 0; i < n; i++) {
          const vi = v[i]!;
          if (vi > 0) {
            aHi = Math.min(aHi, (hi[i]! - xo[i]!) / vi);
            aLo = Math.max(aLo, (lo[i]! - xo[i]!) / vi);
          } else if (vi < 0) {
            aHi = Math.min(aHi, (lo[i]! - xo[i]!) / vi);
            aLo = Math.max(aLo, (hi[i]! - xo[i]!) / vi);
          }
        }
        // ℓ_t(x_opt + αv) = a1 α + a2 α²  (ℓ_t(x_opt) = 0 because t ≠ kopt)
        // (updating: a1 + a2 = ℓ_t(y_k) = δ_tk gives a2 without the Hessian)
        const a1 = dot(gl, v, n);
        const a2 = Gl ? 0.5 * quadForm(Gl, v, n) : (k === t ? 1 : 0) - a1;
        const val = (al: number): number => Math.abs(al * (a1 + a2 * al));
        let al = Math.abs(val(aLo)) > Math.abs(val(aHi)) ? aLo : aHi;
        if (a2 !== 0) {
          const st = -a1 / (2 * a2);
          if (st > aLo && st < aHi && val(st) > val(al)) al = st;
        }
        if (al === 0) continue;
        const d = new Float64Array(n);
        for (let i = 0; i < n; i++) d[i] = al * v[i]!;
        if (!updating) {
          cands.push(d);
          continue;
        }
        scored.push({ d, score: estimate(al * (a1 + a2 * al), d) });
      }
      let bestD: Float64Array | null = null;
      let bestS = -1;
      for (const c of scored) {
        if (c.score > bestS && dot(c.d, c.d, n) > 0) {
          bestS = c.score;
          bestD = c.d;
        }
      }
      for (const d of updating ? [] : cands) {
        if (!(dot(d, d, n) > 0)) continue;
        const { tau, beta } = lagrangeData(d);
        const s = Math.abs(alphaT * beta + tau[t]! * tau[t]!);
        if (s > bestS) {
          bestS = s;
          bestD = d;
        }
      }
      if (!bestD) throw new Halt('no geometry step available');
      const xnew = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        xnew[i] = Math.min(hi[i]!, Math.max(lo[i]!, xo[i]! + bestD[i]!));
        bestD[i] = xnew[i]! - xo[i]!;
      }
      const qnew = c0 + modelDelta(bestD);
      let fnew = yield* evaluate(xnew);
      if (Number.isNaN(fnew)) fnew = surrogate();
      else recordError(Math.abs(fnew - qnew));
      yield* replacePoint(t, xnew, fnew, rho);
    };

    // ---------------------------------------------------------------------
    // [MAIN] iterations.
    // ---------------------------------------------------------------------
    for (;;) {
      const xo = xopt().slice();
      // trust-region step from x_opt [TRSBOX]
      const { d, crvmin } = trsbox(n, gopt, hessVec, xo, lo, hi, delta);
      const dn = Math.sqrt(dot(d, d, n));
      const pred = -modelDelta(d); // predicted reduction Q(x_opt) − Q(x_opt + d)

      if (dn < 0.5 * rho || !(pred > 0)) {
        // [MAIN] short step: not worth an evaluation at this resolution.
        pendingShort = dn > 0 && pred > 0 ? d : null;
        delta = 0.1 * delta;
        if (delta <= 1.5 * rho) delta = rho;
        if (!modelIsAccurate(d, crvmin)) {
          const [kf, dist] = farthest();
          if (dist > 10 * rho) {
            yield* geometryStep(kf, Math.max(Math.min(0.1 * dist, delta), rho));
            continue;
          }
        }
        if (rho <= rhoend) {
          converged = true;
          break;
        }
        reduceRho();
        continue;
      }
      pendingShort = null;

      const xnew = new Float64Array(n);
      for (let i = 0; i < n; i++) xnew[i] = xo[i]! + d[i]!;
      const fnew = yield* evaluate(xnew);
      let ratio: number;
      // the step's length as Powell's DNORM = min(Δ, ‖d‖) for the test below: TRSBOX's step can
      // exceed the radius by rounding (g004's profile: ‖d‖ = ρ(1 + 9.4e-10) at Δ = ρ = rhoend), and
      // counted as longer than ρ, a step that gained nothing (ratio 0) and left the model as it was
      // kept the iterations from ending: the same point was evaluated until maxfun
      // (test/inference/randomGlmmInference.test.ts)
      let stepLen = Math.min(dn, delta);
      if (Number.isNaN(fnew)) {
        // Non-finite objective: the step is rejected and the point is not
        // used (the model is unchanged, so the radius must shrink and the
        // same step must not count as "longer than rho" again).
        ratio = -1;
        delta = Math.min(0.5 * delta, 0.5 * dn);
        if (delta <= 1.5 * rho) delta = rho;
        stepLen = 0;
      } else {
        const fo = fopt();
        recordError(Math.abs(fnew - (fo - pred)));
        // [MAIN] ratio of actual to predicted reduction and the radius update
        ratio = (fo - fnew) / pred;
        if (ratio <= 0.1) delta = Math.min(0.5 * delta, dn);
        else if (ratio <= 0.7) delta = Math.max(0.5 * delta, dn);
        else delta = Math.max(0.5 * delta, 2 * dn);
        if (delta <= 1.5 * rho) delta = rho;

        // [MAIN]/[UPDATE] choose the point to drop: maximise |σ_t| weighted by
        // max(1, (‖y_t − x_opt‖/Δ)⁴), which favours discarding far points
        // while keeping W well conditioned.  x_opt stays unless f improved.
        const improved = fnew < fo;
        const lag = lagrangeData(d);
        const { tau, beta } = lag;
        const delsq = delta * delta;
        let t = -1;
        let bestScore = -1;
        for (let j = 0; j < npt; j++) {
          if (j === kopt && !improved) continue;
          let s2 = 0;
          for (let i = 0; i < n; i++) {
            const s = pts[j * n + i]! - xo[i]!;
            s2 += s * s;
          }
          const wgt = Math.max(1, (s2 / delsq) ** 2);
          const score = wgt * Math.abs(H[j * m + j]! * beta + tau[j]! * tau[j]!);
          if (score > bestScore) {
            bestScore = score;
            t = j;
          }
        }
        yield* replacePoint(t, xnew, fnew, rho, lag);
      }

      if (ratio >= 0.1) continue;
      // [MAIN] a poor step — improve the geometry if some point is far away
      const [kf, dist] = farthest();
      if (dist > Math.max(2 * delta, 10 * rho)) {
        yield* geometryStep(kf, Math.max(Math.min(0.1 * dist, delta), rho));
        continue;
      }
      // (the small tolerance keeps a step of length rho·(1+ε) from rounding
      // from counting as longer than rho)
      if (ratio > 0 || Math.max(delta, stepLen) > rho * (1 + 1e-10)) continue;
      if (rho <= rhoend) {
        converged = true;
        break;
      }
      reduceRho();
    }
    message = 'rho reached rhoend';

    // [MAIN] final step: the last (short) trust-region step was not evaluated;
    // try it now, the best point seen is returned anyway.
    if (pendingShort) {
      const xo = xopt();
      const xnew = new Float64Array(n);
      for (let i = 0; i < n; i++) xnew[i] = xo[i]! + pendingShort[i]!;
      yield* evaluate(xnew);
    }
  } catch (e) {
    if (!(e instanceof Halt)) throw e;
    if (!converged) message = e.message;
  }
  return result(converged, message);
}

// ---------------------------------------------------------------------------
// Drivers: they only pass points to f and values back (see bobyqaSteps).
// ---------------------------------------------------------------------------

/** Minimise f over the box [lower, upper] from x0 (synchronous objective). */
export function bobyqa(
  f: (x: Float64Array) => number,
  x0: ArrayLike<number>,
  options: BoundedMinimizeOptions,
): MinimizeResult {
  const steps = bobyqaSteps(x0, options);
  let step = steps.next();
  while (!step.done) {
    let v: number;
    try {
      v = f(step.value);
    } catch (e) {
      steps.throw(e); // rethrows e (after the generator's own handling)
      throw e;
    }
    step = steps.next(v);
  }
  return step.value;
}

/**
 * Minimise f over the box [lower, upper] from x0, for an objective that may
 * be asynchronous (e.g. resolved by GPU readbacks).  Evaluations are strictly
 * sequential, and the points, results and callbacks are exactly those of
 * `bobyqa` on the same values.  A rejected (or throwing) f rejects the result
 * with the same error; invalid arguments reject with a RangeError.
 */
export async function bobyqaAsync(
  f: (x: Float64Array) => number | Promise<number>,
  x0: ArrayLike<number>,
  options: BoundedMinimizeOptions,
): Promise<MinimizeResult> {
  const steps = bobyqaSteps(x0, options);
  let step = steps.next();
  while (!step.done) {
    let v: number;
    try {
      const r = f(step.value);
      v = typeof r === 'number' ? r : await r;
    } catch (e) {
      steps.throw(e);
      throw e;
    }
    step = steps.next(v);
  }
  return step.value;
}
