/**
 * DHARMa's scaled (quantile) residuals, getQuantile(simulations, observed, method = "PIT") of DHARMa 0.5.0:
 * for observation i with simulations s_{i,1..S},
 *   lᵢ = #{r : s_{i,r} < yᵢ} / S        (the simulations' ECDF just below yᵢ; for counts, the ECDF at yᵢ − 1)
 *   uᵢ = #{r : s_{i,r} ≤ yᵢ} / S        (the ECDF at yᵢ)
 *   resᵢ = lᵢ                           where lᵢ = uᵢ (no simulation ties yᵢ),
 *   resᵢ = lᵢ + (uᵢ − lᵢ) Uᵢ, Uᵢ ~ U(0, 1)  where they differ (the randomized PIT, as R's runif(1, lᵢ, uᵢ)).
 * An observation below every simulation has residual 0, above every simulation 1 (DHARMa's simulation
 * outliers); a tie with all of them randomizes over (0, 1). The Uᵢ are counter-based draws
 * (src/model/random.ts) from the seed: stream STREAM_PIT, replicate 0, index i — the residuals are a pure
 * function of (seed, simulations, observed).
 */
import { DataError } from '../errors/errors.js';
import type { CounterNormal } from '../model/random.js';

/** the counter stream of the PIT's uniforms (apart from simulate's streams, 0 and 1 + k) */
export const STREAM_PIT = 0x44480001;

export interface QuantileResiduals {
  /** the scaled residuals, in [0, 1] */
  residuals: Float64Array;
  /** lᵢ = mean(sims < yᵢ) */
  lower: Float64Array;
  /** uᵢ = mean(sims ≤ yᵢ) */
  upper: Float64Array;
  /** how many residuals were randomized (lᵢ < uᵢ) */
  randomized: number;
}

/** getQuantile(simulations, observed, method = "PIT") (see the header); `simulations[r][i]`: simulation r of observation i */
export function quantileResiduals(simulations: readonly ArrayLike<number>[], observed: ArrayLike<number>, rng: CounterNormal): QuantileResiduals {
  const n = observed.length;
  const S = simulations.length;
  for (let r = 0; r < S; r++) {
    if (simulations[r].length !== n) throw new DataError(`simulation ${r + 1} has ${simulations[r].length} values, the observed response ${n}`);
  }
  const residuals = new Float64Array(n), lower = new Float64Array(n), upper = new Float64Array(n);
  let randomized = 0;
  for (let i = 0; i < n; i++) {
    const y = observed[i];
    let below = 0, atOrBelow = 0;
    for (let r = 0; r < S; r++) {
      const s = simulations[r][i];
      if (s < y) below++;
      if (s <= y) atOrBelow++;
    }
    const l = below / S, u = atOrBelow / S;
    lower[i] = l;
    upper[i] = u;
    if (l !== u) {
      randomized++;
      residuals[i] = l + (u - l) * rng.uniform(0, STREAM_PIT, i);
    } else residuals[i] = l;
  }
  return { residuals, lower, upper, randomized };
}
