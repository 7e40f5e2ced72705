/**
 * Inference on fits with priors (blme's blmer/bglmer through the `prior` option): what needs lme4's
 * criterion is refused with an error that names the method and the reason; Wald intervals, which
 * need only the fit, are β̂ ± z SE with the SEs blme reports at its best optimum (the fixture's,
 * test/oracle/blme.R), and bootstrap/profile intervals of the same fits are refused.
 */
import { describe, expect, it } from 'vitest';
import { anova, glmer, lmer } from '../../src/index.js';
import { ModelError } from '../../src/errors/errors.js';
import { qnorm } from '../../src/stats/distributions.js';
import { loadBlme, relDiff } from '../helpers/metaReference.js';
import { loadData } from '../helpers/reference.js';

/** Wald intervals β̂ ± z SE with blme's best fit's β̂ and SEs (1e-4, the fixtures' tolerance for them) */
function expectWald(intervals: Record<string, [number | null, number | null]>, ref: ReturnType<typeof loadBlme>): void {
  const z = qnorm(0.975);
  for (const [name, se] of Object.entries(ref.best.se as Record<string, number>)) {
    const b = (ref.best.fixef as Record<string, number>)[name];
    expect(relDiff(intervals[name][0]!, b - z * se)).toBeLessThan(1e-4);
    expect(relDiff(intervals[name][1]!, b + z * se)).toBeLessThan(1e-4);
  }
}

const reason = /not available for a fit with priors \(blme's posterior mode\): it assumes lme4's criterion/;

describe('inference on fits with priors', () => {
  it('blmer: ddf tests, anova, contrasts, profile, bootstrap and likelihood-ratio tests refused; Wald intervals from blme\'s SEs', async () => {
    const ref = loadBlme('sleepstudy_default');
    const data = loadData({ data: 'sleepstudy.csv' });
    const fit = await lmer(ref.formula, data, { factors: ['Subject'], prior: 'blme' });
    for (const f of [() => fit.coefficients(), () => fit.coefficients({ ddf: 'kenward-roger' }), () => fit.anova(), () => fit.contrast([[0, 1]])]) {
      expect(f).toThrow(ModelError);
      expect(f).toThrow(reason);
    }
    await expect(fit.confint({ method: 'profile' })).rejects.toThrow(/a profile is not available for a fit with priors/);
    await expect(fit.confint({ method: 'boot', nsim: 3 })).rejects.toThrow(/the parametric bootstrap is not available for a fit with priors/);
    await expect(fit.bootstrap({ nsim: 3 })).rejects.toThrow(/the parametric bootstrap is not available for a fit with priors/);
    const plain = await lmer('Reaction ~ 1 + (Days | Subject)', data, { factors: ['Subject'] });
    await expect(anova([plain, fit])).rejects.toThrow(/a likelihood-ratio test is not available for a fit with priors/);
    const { intervals } = await fit.confint({ method: 'wald' });
    expectWald(intervals, ref);
    // lme4's Wald intervals have no variance parameters
    expect(intervals['sd_(Intercept)|Subject']).toEqual([null, null]);
  }, 60_000);

  it('bglmer: profile, bootstrap and likelihood-ratio tests refused; Wald intervals from blme\'s SEs', async () => {
    const ref = loadBlme('cbpp_default');
    const data = loadData({ data: 'cbpp.csv' });
    const opts = { family: 'binomial' as const, factors: ['herd', 'period'] };
    const fit = await glmer(ref.formula, data, { ...opts, prior: 'blme' });
    await expect(fit.confint({ method: 'profile' })).rejects.toThrow(/a profile is not available for a fit with priors/);
    await expect(fit.confint({ method: 'boot', nsim: 3 })).rejects.toThrow(/the parametric bootstrap is not available for a fit with priors/);
    await expect(fit.bootstrap({ nsim: 3 })).rejects.toThrow(/the parametric bootstrap is not available for a fit with priors/);
    const plain = await glmer('cbind(incidence, size - incidence) ~ 1 + (1 | herd)', data, opts);
    await expect(anova([plain, fit])).rejects.toThrow(/a likelihood-ratio test is not available for a fit with priors/);
    const { intervals } = await fit.confint({ method: 'wald' });
    expectWald(intervals, ref);
  }, 60_000);
});
