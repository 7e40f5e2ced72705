/** glmer profile intervals (lme4's confint(method = "profile") for cbpp) within 2e-3 of the width. */
import { describe, expect, it } from 'vitest';
import { glmer } from '../../src/fit/glmer.js';
import { buildGlmm } from '../../src/glmm/model.js';
import { PirlsEngine } from '../../src/glmm/pirls.js';
import { glmmProfileProblem } from '../../src/inference/glmmProfile.js';
import { profileIntervals, profileModel } from '../../src/inference/profile.js';
import { loadDataFile, loadInference } from '../helpers/inference.js';

interface GlmmProfileCase { data: string; formula: string; factors: string[]; family: string; profile: { intervals: Record<string, (number | null)[]> } }

describe('glmer profile intervals', () => {
  it('cbpp', async () => {
    const ref = loadInference<GlmmProfileCase>('profile_cbpp');
    const data = loadDataFile(ref.data);
    const opts = { family: 'binomial' as const, factors: ref.factors };
    const fit = await glmer(ref.formula, data, opts);
    const model = buildGlmm(ref.formula, data, opts);
    const problem = glmmProfileProblem({ model, engine: new PirlsEngine(model.pirls), nAGQ: 1, theta: fit.theta, beta: fit.beta, deviance: fit.objective });
    const { intervals } = profileIntervals(profileModel(problem), 0.95);
    expect(intervals.map((i) => i.name)).toEqual(Object.keys(ref.profile.intervals));
    for (const iv of intervals) {
      const [lo, hi] = ref.profile.intervals[iv.name] as number[];
      const w = hi - lo;
      expect(Math.abs(iv.lower! - lo), iv.name).toBeLessThanOrEqual(2e-3 * w);
      expect(Math.abs(iv.upper! - hi), iv.name).toBeLessThanOrEqual(2e-3 * w);
    }
  }, 120_000);
});
