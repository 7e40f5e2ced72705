/**
 * The optimization of θ for a linear mixed model (lme4's optimizeLmer): BOBYQA on scaled θ, then
 * restarts from the boundary while a descent direction leaves it, then lme4's boundary snap.
 *
 * θ holds, for each random-effects term, the lower triangle of a q×q factor T with Σ = σ² T Tᵀ
 * (Bates et al. 2015, Λ_θ), with T_jj ≥ 0. Three things make a bound-constrained local optimizer
 * stop at a worse point than it should on this parametrization (issue 9, item 16):
 *
 * 1. Scale. T_jj multiplies column j of Z, so a covariate in large units (calendar years: x ≈ 2000)
 *    makes θ for its slope ~1e-3 while the intercept's is ~1, and when x's mean is large the two
 *    are nearly collinear: the deviance has a long curved valley θ₀² + (x̄ θ₁)² ≈ const in which
 *    BOBYQA's trust region crawls and stops short. The optimizer therefore works with x = s ⊙ θ,
 *    s_k the size of the Z column that θ_k multiplies (src/lmm/thetaProblem.ts), which makes the fit invariant
 *    to the units of the covariates, and starts at x = 1 on the diagonal (lme4's start θ = 1 in
 *    those units: each random effect's contribution to the linear predictor has the residual's
 *    scale).
 *
 * 2. The boundary of the Cholesky parametrization. Where T_jj = 0 the factor is not unique: with
 *    M = T[j+1.., j..] (the rows below j of columns j..q−1), any M Q with Q orthogonal and
 *    T[j+1.., j+1..] re-triangularized gives the same Σ. Stepping off the bound, T_jj = h, changes Σ
 *    by h (e_j cᵀ + c e_jᵀ) + h² e_j e_jᵀ with c = M u (u = Q e₀ any unit vector), so the directional
 *    derivative is D(u) = aᵀu, a linear function of u; the parametrization only sees u = e₀ (the
 *    current column c). A point where D(e₀) ≥ 0 is a local minimum in θ but not in Σ when a ≠ 0:
 *    the descent D(−a/‖a‖) = −‖a‖ < 0 is there in another representation of the same Σ. This is
 *    what stopped `log(y) ~ 1 + (0 + a | g:h)` at 120.232 (lme4: 120.101): T₀₀ = 0 with its column
 *    parallel to column 1, pointing the wrong way. `edgeDescent` estimates a by forward differences
 *    (one evaluation per u = e_k), rotates the factor to u = −a/‖a‖ and, when the derivative there
 *    is clearly negative, BOBYQA restarts from the rotated point. For a scalar term or the last
 *    diagonal entry (m = 1) this is lme4's `restart_edge` check, made on the variance: there c = 0
 *    and f depends on T_jj only through v = T_jj², f = g(v), so its derivative in T_jj is 0 at the
 *    bound and a forward difference of step h sees g′(0) h², second order (at h = 1e-5 a descent
 *    g′(0) = −1 changed f by 1e-10, below the 1e-9 the check required). The m = 1 check measures
 *    g′(0) instead, by Richardson's extrapolation of two forward differences in v,
 *      g′(0) ≈ (4 D(s) − D(2s)) / 2,  D(t) = (g(t) − g(0)) / t = g′(0) + g″(0) t / 2 + O(t²),
 *    which removes the curvature's term (large where the groups are large), at s = EDGE_VARIANCE_STEP.
 *    A descent must stand above the objective's noise as well: a measured derivative d counts when
 *    d < −max(EDGE_DESCENT, noise · |f₀| / step) (`noise`: the relative noise of f's differences,
 *    a float32 device's far above float64's), so that a noisy objective at a boundary optimum does
 *    not restart on its noise.
 *
 * 3. Points just inside the bound (T_jj < boundaryTol) are set onto it when that does not raise the
 *    objective (lme4's `check.boundary`, boundary.tol = 1e-5), after each BOBYQA run, so that the
 *    check of 2. sees them on the bound.
 *
 * 4. A singular Σ. Where Σ = T Tᵀ has a null space N, the feasible moves of Σ that leave it are
 *    Σ + h w wᵀ (w ∈ N, h > 0); the deviance, a function of Σ, changes by h wᵀ G w + O(h²) (G its
 *    gradient in Σ). A point where wᵀ G w < 0 for some w is not a local minimum in Σ, yet it can be
 *    one in θ: when T has no diagonal entry on the bound (a small T_jj whose column is nearly
 *    parallel to another), the variance along w is reached only through a rotation of the factor, a
 *    move of second order in θ that neither BOBYQA nor 2. sees. The caller's `sigmaDescent`
 *    (src/model/covarianceDescent.ts, which has the eigendecomposition this folder does not) measures
 *    wᵀ G w over N and returns the Cholesky factor of Σ + h w wᵀ along the steepest w; BOBYQA
 *    restarts from there, as from 2.
 */
import { bobyqaAsync } from './bobyqa.js';
import type { BoundedMinimizer } from './minimizers.js';
import type { MinimizeResult } from './types.js';

/** One term's factor T in θ: its dimension and the θ index of each entry T[i][j] (row-major q×q; −1 above the diagonal). */
export interface CovarianceFactor {
  q: number;
  index: Int32Array;
}

/** What the θ optimizer needs to know about θ besides the objective. */
export interface ThetaProblem {
  /** lower bounds: 0 on the factors' diagonals, −∞ off them */
  lower: Float64Array;
  factors: CovarianceFactor[];
  /** the optimizer works with x = s ⊙ θ (see the header); all ones for no scaling */
  scales: Float64Array;
}

export interface ThetaOptimizeOptions {
  /** starting θ (default: T = diag(1 / s), x = 1 on the diagonal) */
  start?: Float64Array;
  /**
   * other starting θ (moment estimates, src/lmm/momentStart.ts): `start` and each of these are
   * evaluated (counted) and BOBYQA begins at the lowest (the first of equals)
   */
  candidates?: Float64Array[];
  /** the first run's initial radius when a candidate is lowest (one near the optimum needs no wide first design) */
  candidateRhobeg?: number;
  /** initial / final trust-region radius in the scaled x (defaults 0.2, 2e-7) */
  rhobeg?: number;
  rhoend?: number;
  /** evaluation budget of all BOBYQA runs and checks together (default 100,000, lme4's nloptwrap maxeval) */
  maxfun?: number;
  /** at most this many restarts from the boundary (default 10) */
  maxRestarts?: number;
  onEvaluation?: (theta: Float64Array, f: number) => void;
  shouldStop?: () => boolean;
  /** a descent off a singular Σ (header, 4.), tried where the boundary (2.) offers none */
  sigmaDescent?: SigmaDescent;
  /** the minimizer of each run (default BOBYQA; ./minimizers.ts: Nelder–Mead, quasi-Newton) */
  minimize?: BoundedMinimizer;
  /**
   * the relative noise of f's differences (FLOAT64_NOISE, the default, or FLOAT32_NOISE for a
   * float32 device's objective): a descent off the boundary must stand above noise · |f₀|
   */
  noise?: number;
}

/** A point to restart from, lower than the optimum's f0, and where it came from. */
export interface EdgeStep {
  theta: Float64Array;
  /** the directional derivative that led there (per unit of the scaled x, or of Σ in those units) */
  derivative: number;
  where: string;
}

/** Looks for a descent direction at θ (value f0) that the parametrization hides; null where there is none. */
export type SigmaDescent = (
  evaluate: (theta: Float64Array) => Promise<number>, problem: ThetaProblem, theta: Float64Array, f0: number, stopped: () => boolean,
) => Promise<EdgeStep | null>;

export interface ThetaOptimum extends MinimizeResult {
  /** what happened after the first BOBYQA run, in words (restarts from the boundary, snaps onto it) */
  notes: string[];
  restarts: number;
}

/** Step of the forward differences on the boundary, in the scaled x. */
const EDGE_STEP = 1e-5;
/**
 * Step s of the m = 1 check's differences in the scaled variance v = x² (and 2s: x = 3.2e-3 and
 * 4.5e-3): its noise 2.5 ε |f₀| / s and its error g‴(0) s² / 3 (g‴ ~ Σ n_g³ for groups of n_g rows)
 * both small against the descents worth a restart.
 */
const EDGE_VARIANCE_STEP = 1e-5;
/** A directional derivative (per unit of x, or of v where m = 1) below −EDGE_DESCENT leaves the boundary. */
const EDGE_DESCENT = 1e-4;
/** ε, the relative noise of a float64 objective's differences (far above its rounding) and of a float32 device's. */
export const FLOAT64_NOISE = 1e-10;
export const FLOAT32_NOISE = 1e-7;
/** lme4's boundary.tol, in the scaled x. */
const BOUNDARY_TOL = 1e-5;

/** The default start: T = diag(1/s) (x = 1 on the diagonal, 0 off it). */
export function scaledStart(problem: ThetaProblem): Float64Array {
  const theta = new Float64Array(problem.lower.length);
  for (const fac of problem.factors) for (let j = 0; j < fac.q; j++) {
    const k = fac.index[j * fac.q + j];
    theta[k] = 1 / problem.scales[k];
  }
  return theta;
}

/** Minimizes f(θ) over θ's box: scaled BOBYQA, restarts from the boundary, the boundary snap. */
export async function optimizeTheta(
  f: (theta: Float64Array) => number | Promise<number>, problem: ThetaProblem, options: ThetaOptimizeOptions = {},
): Promise<ThetaOptimum> {
  const { scales, lower } = problem;
  const nth = lower.length;
  const maxfun = options.maxfun ?? 100_000;
  const maxRestarts = options.maxRestarts ?? 10;
  const notes: string[] = [];
  let feval = 0;
  let best: { theta: Float64Array; f: number } = { theta: Float64Array.from(options.start ?? scaledStart(problem)), f: Infinity };
  // the starts weighed before the first run: BOBYQA's first point is one of them, not evaluated twice
  const weighed: { theta: Float64Array; f: number }[] = [];
  const evaluate = async (theta: Float64Array): Promise<number> => {
    const seen = weighed.find((w) => w.theta.every((t, k) => t === theta[k]));
    if (seen) return seen.f;
    const v = await f(theta);
    feval++;
    options.onEvaluation?.(theta, v);
    if (v < best.f) best = { theta: Float64Array.from(theta), f: v };
    return v;
  };
  const toX = (theta: Float64Array) => Float64Array.from(theta, (t, k) => t * scales[k]);
  const toTheta = (x: Float64Array) => Float64Array.from(x, (v, k) => v / scales[k]);
  const xLower = toX(lower);
  const xUpper = new Float64Array(nth).fill(Infinity);
  const run = async (theta0: Float64Array, rhobeg = options.rhobeg ?? 0.2): Promise<MinimizeResult> => {
    const before = feval;
    const r = await (options.minimize ?? bobyqaAsync)((x) => evaluate(toTheta(x)), toX(theta0), {
      lower: xLower, upper: xUpper,
      rhobeg, rhoend: options.rhoend ?? 2e-7, maxfun: Math.max(1, maxfun - before),
      shouldStop: options.shouldStop,
    });
    // a run stopped by the budget names the one it was given, what was left of maxfun: say the whole
    const spent = !r.converged && r.feval >= maxfun - before && before > 0
      ? `${r.message} (maxfun ${maxfun} in all: ${before} evaluation${before === 1 ? '' : 's'} before this run, on the starts weighed and earlier runs)`
      : r.message;
    return { ...r, message: spent, x: toTheta(r.x) };
  };
  const stopped = () => (options.shouldStop?.() ?? false) || feval >= maxfun;
  let inversions = 0;

  // lme4's check.boundary, before each look for a descent off the boundary (which needs T_jj = 0 exactly)
  let snapped = 0;
  const snap = async () => {
    if (stopped()) return;
    const s = await snapToBoundary(evaluate, problem, best.theta, best.f, stopped);
    if (s.count) {
      best = { theta: s.theta, f: s.f };
      snapped += s.count;
    }
  };

  let rhobeg0 = options.rhobeg ?? 0.2;
  if (options.candidates?.length) {
    // `evaluate` keeps the lowest in `best`, the first of equals
    const f0 = await evaluate(best.theta);
    weighed.push({ theta: Float64Array.from(best.theta), f: f0 });
    for (const c of options.candidates) {
      if (stopped()) break;
      const theta = Float64Array.from(c);
      weighed.push({ theta, f: await evaluate(theta) });
    }
    if (best.f < f0 && options.candidateRhobeg !== undefined) rhobeg0 = Math.min(rhobeg0, options.candidateRhobeg);
  }
  const first = await run(best.theta, rhobeg0);
  inversions += first.inversions ?? 0;
  let { converged, message } = first;
  let restarts = 0;
  await snap();
  while (converged && restarts < maxRestarts && !stopped()) {
    const f0 = best.f;
    const edge = await edgeDescent(evaluate, problem, best.theta, f0, stopped, options.noise ?? FLOAT64_NOISE);
    const singular = edge || stopped() ? null : await options.sigmaDescent?.(evaluate, problem, best.theta, f0, stopped) ?? null;
    const from = edge ?? singular;
    if (!from) break;
    restarts++;
    const r = await run(from.theta);
    inversions += r.inversions ?? 0;
    converged = r.converged;
    message = r.message;
    notes.push(edge
      ? `restarted from the boundary (${edge.where}: derivative ${edge.derivative.toPrecision(3)} along an equivalent factor): the objective went from ${f0.toPrecision(12)} to ${best.f.toPrecision(12)}`
      : `restarted from a singular covariance (${from.where}: derivative ${from.derivative.toPrecision(3)} along a variance its factor cannot reach): the objective went from ${f0.toPrecision(12)} to ${best.f.toPrecision(12)}`);
    await snap();
    if (!(best.f < f0 - 1e-10)) break;
  }
  if (snapped) notes.push(`${snapped} θ entr${snapped === 1 ? 'y' : 'ies'} within ${BOUNDARY_TOL} of the bound 0 set onto it (lme4's check.boundary)`);
  return { x: best.theta, fval: best.f, feval, converged, message, notes, restarts, inversions };
}

// ---------------------------------------------------------------------------------------------
// the factor T of one term as a q×q matrix

/** The factor T of one term (row-major q × q) from θ. */
export function factorOf(fac: CovarianceFactor, theta: ArrayLike<number>): Float64Array {
  const T = new Float64Array(fac.q * fac.q);
  for (let e = 0; e < T.length; e++) if (fac.index[e] >= 0) T[e] = theta[fac.index[e]];
  return T;
}

/** Writes the factor T of one term into θ. */
export function storeFactor(fac: CovarianceFactor, T: Float64Array, theta: Float64Array): void {
  for (let e = 0; e < T.length; e++) if (fac.index[e] >= 0) theta[fac.index[e]] = T[e];
}

/**
 * The same T T^T with T_jj = 0 and a new column j below the diagonal: c = M u, M = T[j+1.., j..]
 * ((q−j−1) × m, m = q − j), u a unit m-vector. M H with the Householder reflection H that maps
 * e₀ to u has first column M u; its other columns are brought back to lower-triangular form with
 * non-negative diagonal by Givens rotations of column pairs (an LQ factorization), which leave
 * M Mᵀ unchanged. Rows and columns before j are untouched.
 */
export function rotateFactorColumn(T: Float64Array, q: number, j: number, u: ArrayLike<number>): Float64Array {
  const m = q - j;
  const rows = m - 1;
  const out = Float64Array.from(T);
  out[j * q + j] = 0;
  if (rows === 0) return out;
  // N = M H, (rows × m), H = I − 2 v vᵀ / vᵀv with v = u − e₀
  const N = new Float64Array(rows * m);
  for (let r = 0; r < rows; r++) for (let c = 0; c < m; c++) N[r * m + c] = c <= r + 1 ? T[(j + 1 + r) * q + j + c] : 0;
  const v = Float64Array.from(u);
  v[0] -= 1;
  let vv = 0;
  for (let c = 0; c < m; c++) vv += v[c] * v[c];
  if (vv > 1e-30) {
    for (let r = 0; r < rows; r++) {
      let mv = 0;
      for (let c = 0; c < m; c++) mv += N[r * m + c] * v[c];
      const s = (2 * mv) / vv;
      for (let c = 0; c < m; c++) N[r * m + c] -= s * v[c];
    }
  }
  // LQ of the columns 1..m−1 by Givens rotations: row i keeps columns ≤ i + 1 (i.e. its own diagonal in T)
  for (let i = 0; i < rows; i++) {
    const d = i + 1;
    for (let k = m - 1; k > d; k--) {
      const a = N[i * m + d];
      const b = N[i * m + k];
      if (b === 0) continue;
      const rr = Math.hypot(a, b);
      const cs = a / rr;
      const sn = b / rr;
      for (let r = i; r < rows; r++) {
        const x = N[r * m + d];
        const y = N[r * m + k];
        N[r * m + d] = cs * x + sn * y;
        N[r * m + k] = -sn * x + cs * y;
      }
    }
    if (N[i * m + d] < 0) for (let r = i; r < rows; r++) N[r * m + d] = -N[r * m + d];
  }
  for (let r = 0; r < rows; r++) for (let c = 0; c < m; c++) {
    if (c <= r + 1) out[(j + 1 + r) * q + j + c] = N[r * m + c];
  }
  return out;
}

/**
 * A descent direction off the boundary T_jj = 0 in some representation of the same Σ (see the
 * header), or null. For each zero diagonal entry with m = q − j > 1 the derivatives a_k = D(e_k) are
 * measured by forward differences (f(T_jj = h) − f₀) / h after rotating column j + k into column j,
 * then D(−a/‖a‖) is measured; where m = 1, g′(0) in the variance v = T_jj² by Richardson's
 * extrapolation 2 D(s) − D(2s). The most negative measured derivative wins if it is below
 * −max(EDGE_DESCENT, its noise). Returns θ with that rotation and T_jj = 0 (the same Σ: the
 * objective is f₀ there).
 */
async function edgeDescent(
  evaluate: (theta: Float64Array) => Promise<number>, problem: ThetaProblem, theta: Float64Array, f0: number, stopped: () => boolean,
  noise: number,
): Promise<EdgeStep | null> {
  let best: EdgeStep | null = null;
  for (let t = 0; t < problem.factors.length; t++) {
    const fac = problem.factors[t];
    const q = fac.q;
    for (let j = 0; j < q; j++) {
      const kjj = fac.index[j * q + j];
      if (theta[kjj] !== problem.lower[kjj]) continue;
      const T = factorOf(fac, theta);
      const m = q - j;
      /** f with column j rotated to u and T_jj = x (in the scaled units), and the rotated factor */
      const valueAt = async (u: ArrayLike<number>, x: number): Promise<{ f: number; R: Float64Array } | null> => {
        if (stopped()) return null;
        const R = rotateFactorColumn(T, q, j, u);
        const th = Float64Array.from(theta);
        storeFactor(fac, R, th);
        th[kjj] = x / problem.scales[kjj];
        return { f: await evaluate(th), R };
      };
      const tried: { d: number; R: Float64Array }[] = [];
      let threshold: number;
      if (m === 1) {
        // f = g(v), v = T_jj²: g′(0) ≈ 2 D(s) − D(2s), D(t) = (g(t) − f₀) / t (error −g‴(0) s² / 3);
        // its noise (2 + 1/2) ε |f₀| / s
        const s = EDGE_VARIANCE_STEP;
        const r1 = await valueAt([1], Math.sqrt(s));
        if (!r1) return best;
        const r2 = await valueAt([1], Math.sqrt(2 * s));
        if (!r2) return best;
        tried.push({ d: (2 * (r1.f - f0)) / s - (r2.f - f0) / (2 * s), R: r1.R });
        threshold = Math.max(EDGE_DESCENT, (2.5 * noise * Math.abs(f0)) / s);
      } else {
        const a = new Float64Array(m);
        for (let k = 0; k < m; k++) {
          const e = new Float64Array(m);
          e[k] = 1;
          const r = await valueAt(e, EDGE_STEP);
          if (!r) return best;
          a[k] = (r.f - f0) / EDGE_STEP;
          tried.push({ d: a[k], R: r.R });
        }
        const norm = Math.hypot(...a);
        if (norm > 0) {
          const r = await valueAt(Array.from(a, (v) => -v / norm), EDGE_STEP);
          if (!r) return best;
          tried.push({ d: (r.f - f0) / EDGE_STEP, R: r.R });
        }
        threshold = Math.max(EDGE_DESCENT, (noise * Math.abs(f0)) / EDGE_STEP);
      }
      for (const r of tried) {
        if (r.d < -threshold && (!best || r.d < best.derivative)) {
          const th = Float64Array.from(theta);
          storeFactor(fac, r.R, th);
          best = { theta: th, derivative: r.d, where: `term ${t + 1}, diagonal entry ${j + 1} of ${q}${m === 1 ? ', per unit of its variance' : ''}` };
        }
      }
    }
  }
  return best;
}

/**
 * lme4's check.boundary: diagonal entries with 0 < x < BOUNDARY_TOL set to 0, one at a time, where
 * that does not raise f. Returns the point, its value and how many entries were set.
 */
async function snapToBoundary(
  evaluate: (theta: Float64Array) => Promise<number>, problem: ThetaProblem, theta: Float64Array, f0: number, stopped: () => boolean,
): Promise<{ theta: Float64Array; f: number; count: number }> {
  let count = 0;
  let f = f0;
  const cur = Float64Array.from(theta);
  for (const fac of problem.factors) for (let j = 0; j < fac.q; j++) {
    const k = fac.index[j * fac.q + j];
    const x = cur[k] * problem.scales[k];
    if (!(x > 0 && x < BOUNDARY_TOL) || stopped()) continue;
    const th = Float64Array.from(cur);
    th[k] = 0;
    const v = await evaluate(th);
    if (v <= f) {
      cur[k] = 0;
      f = v;
      count++;
    }
  }
  return { theta: cur, f, count };
}
