/** A bounded derivative-free minimizer's interface (BOBYQA class). */

export interface BoundedMinimizeOptions {
  /** lower bounds (use -Infinity for none) */
  lower: ArrayLike<number>;
  /** upper bounds (use Infinity for none) */
  upper: ArrayLike<number>;
  /** initial trust-region radius (default 0.2 of the scale of x0, as lme4: 0.2) */
  rhobeg?: number;
  /** final trust-region radius (default 2e-7, as lme4's nloptwrap xtol_abs = 1e-6 order) */
  rhoend?: number;
  /** maximum number of function evaluations (default 10000) */
  maxfun?: number;
  /** number of interpolation points, n+2 ≤ npt ≤ (n+1)(n+2)/2 (default 2n+1) */
  npt?: number;
  /**
   * update H = W⁻¹ of the interpolation system by Powell's rank-two formula between occasional
   * re-inversions (O(m²) instead of O(m³) per evaluation, m = npt + n + 1), with an implicit model
   * Hessian; default: when more than 20 variables are free
   */
  updateH?: boolean;
  /** called after each evaluation: (evaluation count, x, f(x)) */
  onEvaluation?: (feval: number, x: Float64Array, f: number) => void;
  /** return true to stop early (cancellation); the best point so far is returned */
  shouldStop?: () => boolean;
}

export interface MinimizeResult {
  x: Float64Array;
  fval: number;
  /** function evaluations used */
  feval: number;
  /** true when the trust region shrank to rhoend */
  converged: boolean;
  /** why it stopped, in words */
  message: string;
  /**
   * how many times the interpolation system W was formed and inverted (O(m³) each): once per
   * change of the interpolation set without `updateH`, occasionally with it
   */
  inversions?: number;
}

/**
 * An ask/tell minimisation: yields each point x to evaluate (full
 * coordinates), is resumed with `next(f(x))`, and returns the result.
 */
export type MinimizeSteps = Generator<Float64Array, MinimizeResult, number>;
