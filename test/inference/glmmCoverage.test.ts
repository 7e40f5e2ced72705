/**
 * The short CI version of the glmer bootstrap coverage study (bench/glmmCoverage.ts): 20 data sets of
 * the known Poisson GLMM × 60 replicates. Its 95% intervals must cover each true value in at least
 * 16 of 20 data sets (a binomial(20, 0.95) count falls below 16 with probability 3e-3; at 93%
 * coverage 2e-2) — a check that the simulation, the glmer refits and the percentiles fit together,
 * not the 93–97% bar, which the 500-data-set study in bench/RESULTS.md measures. The seeds
 * are fixed, so the run is deterministic.
 */
import { describe, expect, it } from 'vitest';
import { glmmCoverageStudy } from '../../bench/glmmCoverage.js';

describe('glmer bootstrap coverage (short)', () => {
  it('20 data sets × 60 replicates', async () => {
    const res = await glmmCoverageStudy({ datasets: 20, nsim: 60, groups: 30, per: 8, seed: 5 });
    for (const [name, c] of Object.entries(res.coverage.perc)) expect(c.covered, name).toBeGreaterThanOrEqual(16);
    expect(res.failed).toBe(0);
  }, 600_000);
});
