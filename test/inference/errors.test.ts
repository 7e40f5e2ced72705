/** Bad input to the inference functions gets an error naming the problem. */
import { describe, expect, it } from 'vitest';
import { checkContrast, contest1D } from '../../src/inference/contest.js';
import { normalInterval } from '../../src/inference/predictInterval.js';
import { profileIntervals } from '../../src/inference/profile.js';
import { anova, lmer } from '../../src/index.js';
import { contexts, loadDataFile, loadInference } from '../helpers/inference.js';

describe('inference input errors', () => {
  const { sat } = contexts(loadInference('sleepstudy'));
  it('a contrast of the wrong width names its row and the number of fixed effects', () => {
    expect(() => checkContrast([[1, 2, 3]], 2)).toThrow(/row 1 has 3 entries; the model has 2 fixed effects/);
    expect(() => contest1D(sat, [1])).toThrow(/row 1 has 1 entries; the model has 2 fixed effects/);
    expect(() => checkContrast([[1, NaN]], 2)).toThrow(/entry \[1, 2\] is NaN/);
    expect(() => checkContrast([], 2)).toThrow(/has no rows/);
  });
  it('a level outside (0, 1)', () => {
    expect(() => normalInterval(1, 1, 1.5)).toThrow(/level must be between 0 and 1, got 1.5/);
    expect(() => profileIntervals({ problem: {} as never, profiles: [], warnings: [] }, 0)).toThrow(/level must be between 0 and 1, got 0/);
  });
  it('a fit that did not minimize lme4\'s criterion (fixed σ, blme priors) refuses the tests that assume it', async () => {
    const ref = loadInference('sleepstudy');
    const data = loadDataFile(ref.data);
    const fixed = await lmer(ref.formula, data, { factors: ref.factors, sigma: 25 });
    expect(() => fixed.coefficients()).toThrow(/Satterthwaite's method is not available for a fit with a fixed residual σ/);
    await expect(fixed.confint({ method: 'profile' })).rejects.toThrow(/a profile is not available for a fit with a fixed residual σ/);
    await expect(fixed.bootstrap({ nsim: 2 })).rejects.toThrow(/parametric bootstrap is not available/);
    expect((await fixed.confint({ method: 'wald' })).intervals.Days[0]).toBeLessThan(fixed.fixef.Days);
    const blme = await lmer(ref.formula, data, { factors: ref.factors, prior: 'blme' });
    expect(() => blme.anova({ ddf: 'kenward-roger' })).toThrow(/Kenward-Roger's method is not available for a fit with priors/);
    const plain = await lmer(ref.formula, data, { factors: ref.factors });
    await expect(anova([plain, blme])).rejects.toThrow(/likelihood-ratio test is not available for a fit with priors/);
  }, 60_000);
});
