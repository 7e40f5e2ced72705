/** The library's inference interface on fits (fit.coefficients, fit.anova, fit.contrast, fit.confint, fit.bootstrap, predict intervals, anova(m0, m1)). */
import { describe, expect, it } from 'vitest';
import { anova, glmer, lmer } from '../../src/index.js';
import { loadDataFile, loadInference, rel } from '../helpers/inference.js';

describe('inference on fits', () => {
  it('coefficients, anova and contrasts of a fitted model agree with lmerTest/pbkrtest (at our optimum)', async () => {
    const ref = loadInference('design_covariate');
    const fit = await lmer(ref.formula, loadDataFile(ref.data), { factors: ref.factors });
    for (const ddf of ['satterthwaite', 'kenward-roger'] as const) {
      const want = ddf === 'satterthwaite' ? ref.satterthwaite : ref.kenward_roger!;
      for (const row of fit.coefficients({ ddf })) {
        expect(rel(row.df, want.coefficients[row.name].df)).toBeLessThan(1e-3);
        expect(rel(row.se, want.coefficients[row.name].se)).toBeLessThan(1e-5);
      }
      for (const row of fit.anova({ ddf })) expect(rel(row.dendf, want.anova[row.term].dendf)).toBeLessThan(1e-3);
    }
    const c = fit.contrast([0, 1, 0, 0, 0, 0]);
    expect(c.t!.df).toBeCloseTo(fit.coefficients()[1].df, 10);
    expect(() => fit.contrast([1, 2])).toThrow(/the model has 6 fixed effects/);
  });

  it('confint: Wald, profile, boot; prediction intervals; likelihood-ratio anova', async () => {
    const ref = loadInference('sleepstudy');
    const data = loadDataFile(ref.data);
    const fit = await lmer(ref.formula, data, { factors: ref.factors });
    const wald = await fit.confint({ method: 'wald' });
    expect(wald.intervals['sd_(Intercept)|Subject']).toEqual([null, null]);
    expect(Math.abs(wald.intervals.Days[0]! - ref.wald.Days[0]!)).toBeLessThan(1e-4);
    const prof = await fit.confint({ method: 'profile' });
    for (const [name, [lo, hi]] of Object.entries(ref.profile!.intervals)) {
      const w = hi! - lo!;
      expect(Math.abs(prof.intervals[name][0]! - lo!)).toBeLessThan(2e-3 * w);
      expect(Math.abs(prof.intervals[name][1]! - hi!)).toBeLessThan(2e-3 * w);
    }
    const boot = await fit.confint({ method: 'boot', nsim: 50, seed: 2 });
    expect(Object.keys(boot.intervals)).toEqual(Object.keys(ref.profile!.intervals));
    await expect(fit.confint({ method: 'boot', nsim: 0 })).rejects.toThrow(/nsim must be a whole number ≥ 1/);
    await expect(fit.confint({ level: 1.2 })).rejects.toThrow(/level must be between 0 and 1/);
    const pi = fit.predict(data.slice(0, 3), { interval: 'prediction' });
    expect(pi.lower[0]).toBeLessThan(pi.fit[0]);
    expect(fit.predict(data.slice(0, 3))).toBeInstanceOf(Float64Array);
    const m0 = await lmer('Reaction ~ Days + (1 | Subject)', data, { factors: ['Subject'] });
    const lrt = loadInference<{ tests: ({ chisq: number } | null)[] }>('lrt_sleepstudy');
    const t = await anova([m0, fit]);
    expect(t.messages[0]).toMatch(/refitting model\(s\) with ML/);
    expect(Math.abs(t.tests[1]!.chisq - lrt.tests[2]!.chisq)).toBeLessThan(1e-5);
  }, 120_000);

  it('glmer: Wald and profile', async () => {
    const ref = loadInference<{ data: string; formula: string; factors: string[]; wald: Record<string, (number | null)[]>; profile: { intervals: Record<string, number[]> } }>('profile_cbpp');
    const fit = await glmer(ref.formula, loadDataFile(ref.data), { family: 'binomial', factors: ref.factors });
    const w = await fit.confint({ method: 'wald' });
    expect(Math.abs(w.intervals.period2[0]! - ref.wald.period2[0]!)).toBeLessThan(1e-4);
    const p = await fit.confint();
    const [lo, hi] = ref.profile.intervals['sd_(Intercept)|herd'];
    expect(Math.abs(p.intervals['sd_(Intercept)|herd'][0]! - lo)).toBeLessThan(2e-3 * (hi - lo));
  }, 120_000);
});
