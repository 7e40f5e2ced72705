/**
 * performance 0.10.2's `check_convergence()` of a merMod: from lme4's derivatives at the optimum
 * (optinfo$derivs: lmer's criterion in θ, glmer's deviance in (θ, β)) the Newton step
 *
 *   s = H⁻¹ g,   converged ⇔ max_i |s_i| < tolerance (0.001 by default),
 *
 * with max |s| as the "gradient" it reports. lme4's own check (src/model/convergence.ts) differs: it
 * scales g by the Cholesky factor (R⁻ᵀ g, H = RᵀR), takes min(|scaled|, |g|) per coordinate and
 * compares with 0.002.
 */
import { ModelError } from '../errors/errors.js';
import { invertGaussJordan } from '../linalg/dense.js';
import { formatR } from '../results/rFormat.js';

export interface Convergence {
  converged: boolean;
  /** max |H⁻¹ g| */
  gradient: number;
  tolerance: number;
}

export function convergence(gradient: ArrayLike<number>, hessian: ArrayLike<number>, tolerance = 0.001): Convergence {
  const k = gradient.length;
  if (k === 0) return { converged: true, gradient: 0, tolerance };
  // R's solve(Hessian, gradient) (LU with partial pivoting); here H⁻¹ by Gauss–Jordan, then H⁻¹ g
  const inv = invertGaussJordan(Float64Array.from(hessian), k);
  if (!inv) throw new ModelError("check_convergence: the Hessian of the criterion at the optimum is singular, so H⁻¹g (performance's scaled gradient) does not exist");
  let worst = 0;
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += inv[i * k + j] * gradient[j];
    worst = Math.max(worst, Math.abs(s));
  }
  return { converged: worst < tolerance, gradient: worst, tolerance };
}

/** R's print of check_convergence's value: the logical and its "gradient" attribute (the CLI's `mixedgpu check`, the app's card) */
export function printConvergence(c: Convergence): string[] {
  return ['# Check for convergence', '', `[1] ${c.converged ? 'TRUE' : 'FALSE'}`, 'attr(,"gradient")', `[1] ${formatR([c.gradient], 7)[0]}`];
}
