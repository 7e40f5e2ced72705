/**
 * The profiled deviance of a linear mixed model as a function of θ (Bates et al. 2015, eqs. 34, 41):
 *   ML:   −2ℓ(θ)   = log|L_θ|² + n (1 + log(2π r²(θ) / n))
 *   REML: −2ℓ_R(θ) = log|L_θ|² + log|R_X|² + (n − p)(1 + log(2π r²(θ) / (n − p)))
 * A backend supplies log|L_θ|², log|R_X|² and r² for each θ.
 * With prior weights w (lme4's `weights`), the backends see the rows of X, Z and y scaled by √w_i and
 * both criteria gain −Σ log w_i (`sumLogW`), as lme4's deviance.
 */

export interface ObjectiveParts {
  /** log |L_θ|² */
  ldL2: number;
  /** log |R_X|² */
  ldRX2: number;
  /** penalized residual sum of squares r²(θ) */
  pwrss: number;
}

/** A backend's evaluator of the blocked factorization at θ. */
export interface LmmBackend {
  /** 'cpu' or 'webgpu' */
  readonly name: string;
  /** a description of the device that computes (CPU, or the GPU adapter) */
  readonly device: string;
  /** the precision of `evaluate`'s arithmetic */
  readonly precision: 'float64' | 'float32';
  /** the parts of the objective at θ (a promise for backends that read back from a device) */
  evaluate(theta: Float64Array): ObjectiveParts | Promise<ObjectiveParts>;
  /** releases device resources */
  dispose?(): void;
}

/** `sumLogW`: Σ log w_i of the prior weights (0 without weights). */
export function profiledDeviance(parts: ObjectiveParts, n: number, p: number, reml: boolean, sumLogW = 0): number {
  const { ldL2, ldRX2, pwrss } = parts;
  if (!(pwrss > 0)) return Infinity;
  if (reml) {
    const nmp = n - p;
    return ldL2 + ldRX2 - sumLogW + nmp * (1 + Math.log((2 * Math.PI * pwrss) / nmp));
  }
  return ldL2 - sumLogW + n * (1 + Math.log((2 * Math.PI * pwrss) / n));
}

/** A backend whose evaluation is synchronous (the CPU backend). */
export interface SyncLmmBackend extends LmmBackend {
  evaluate(theta: Float64Array): ObjectiveParts;
}

/** θ ↦ profiled deviance through a synchronous backend. */
export function makeObjective(backend: SyncLmmBackend, n: number, p: number, reml: boolean, sumLogW = 0): (theta: Float64Array) => number {
  return (theta) => profiledDeviance(backend.evaluate(theta), n, p, reml, sumLogW);
}

/** θ ↦ profiled deviance through any backend (a promise where the backend's evaluation is one). */
export function makeAsyncObjective(backend: LmmBackend, n: number, p: number, reml: boolean, sumLogW = 0): (theta: Float64Array) => number | Promise<number> {
  return (theta) => {
    const parts = backend.evaluate(theta);
    return parts instanceof Promise ? parts.then((x) => profiledDeviance(x, n, p, reml, sumLogW)) : profiledDeviance(parts, n, p, reml, sumLogW);
  };
}
