/**
 * performance 0.10.2's `check_singularity()` of a merMod: singular where a diagonal element of Λ's
 * template θ (those with lower bound 0) is below `tolerance` in absolute value (1e-5 by default).
 * lme4 1.1-31's `isSingular` is the same rule with θ < tol and tol = 1e-4 (θ's diagonal is ≥ 0, so the
 * absolute value changes nothing): the two differ only in the default tolerance, and a fit with a
 * diagonal θ between 1e-5 and 1e-4 is singular for lme4 and not for performance.
 */
import { formatR } from '../results/rFormat.js';

export const PERFORMANCE_SINGULAR_TOLERANCE = 1e-5;
export const LME4_SINGULAR_TOLERANCE = 1e-4;

export function singularity(theta: ArrayLike<number>, lower: ArrayLike<number>, tolerance = PERFORMANCE_SINGULAR_TOLERANCE): boolean {
  for (let i = 0; i < theta.length; i++) if (lower[i] === 0 && Math.abs(theta[i]) < tolerance) return true;
  return false;
}

export interface SingularityResult {
  /** performance's check_singularity at `tolerance` */
  singular: boolean;
  tolerance: number;
  /** lme4's isSingular (the same rule at 1e-4) */
  lme4Singular: boolean;
}

/** The check's printout (the CLI's `mixedgpu check`, the browser app's Model checks card) */
export function printSingularity(s: SingularityResult): string[] {
  return ['# Check for singularity', '', `Singular fit: ${s.singular ? 'yes' : 'no'} (performance's check_singularity, tolerance ${formatR([s.tolerance], 7)[0]}; lme4's isSingular at 1e-4: ${s.lme4Singular ? 'yes' : 'no'})`];
}
