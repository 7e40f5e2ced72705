/**
 * The short CI version of the bootstrap coverage study (bench/coverage.ts): 40 data sets × 100
 * replicates. Its 95% intervals must cover each true value in at least 33 of 40 data sets (a
 * binomial(40, 0.95) count falls below 33 with probability 7e-4; at 93% coverage 6e-3) — a check
 * that the simulation, the refits and the percentiles fit together, not the 93–97% bar,
 * which the 500-data-set study in bench/RESULTS.md measures. The seed is fixed, so the run is
 * deterministic.
 */
import { describe, expect, it } from 'vitest';
import { coverageStudy } from '../../bench/coverage.js';

describe('bootstrap coverage (short)', () => {
  it('40 data sets × 100 replicates', async () => {
    const res = await coverageStudy({ datasets: 40, nsim: 100, groups: 40, per: 10, seed: 3 });
    for (const [name, c] of Object.entries(res.coverage.perc)) {
      expect(c.covered, name).toBeGreaterThanOrEqual(33);
    }
    expect(res.refits.failed).toBe(0);
  }, 300_000);
});
