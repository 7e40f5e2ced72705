/**
 * BCa's jackknife (src/inference/jackknife.ts): the refit without a level, on the model's rows with
 * that level's rows left out, equals the fit (lmer / glmer) to the data without those rows, where the
 * empty level is dropped as lme4 drops it; bad input names the problem.
 */
import { describe, expect, it } from 'vitest';
import { lmer } from '../../src/fit/lmer.js';
import { glmer } from '../../src/fit/glmer.js';
import { bootstrapIntervals } from '../../src/inference/bootstrap.js';
import { jackknifeGlmm } from '../../src/inference/jackknife.js';
import { thetaToSdcor } from '../../src/inference/lmmProfile.js';
import { loadDataFile } from '../helpers/inference.js';

type Row = Record<string, unknown>;
const rowsOf = (file: string): Row[] => loadDataFile(file).toArray().map((r) => ({ ...(r as object) }) as Row);

function near(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) {
  for (let k = 0; k < a.length; k++) expect(Math.abs(a[k] - b[k]) / Math.max(1, Math.abs(b[k])), `${what} [${k}]`).toBeLessThan(tol);
}

describe('jackknife over the levels of a grouping factor', () => {
  it('lmer: each leave-one-level-out refit equals lmer on the reduced data', async () => {
    const rows = rowsOf('sleepstudy.csv');
    const formula = 'Reaction ~ Days + (Days | Subject)';
    const fit = await lmer(formula, rows, { factors: ['Subject'] });
    const boot = await fit.bootstrap({ nsim: 2, jackknife: true });
    const jk = boot.jackknife!;
    expect(jk.factor).toBe('Subject');
    expect(jk.t.length).toBe(18);
    for (const i of [0, 7, 17]) {
      const level = jk.levels[i];
      const sub = await lmer(formula, rows.filter((r) => String(r.Subject) !== level), { factors: ['Subject'] });
      // the statistics: sd_(Intercept), cor, sd_Days, sigma, β
      const expected = [...thetaToSdcor(sub.model.frame.reTerms, sub.theta, sub.sigma), ...sub.model.frame.xnames.map((x) => sub.fixef[x])];
      near(jk.t[i], expected, 2e-4, `without ${level}`);
    }
  }, 120_000);

  it('glmer: each leave-one-level-out refit equals glmer on the reduced data', async () => {
    const rows = rowsOf('cbpp.csv');
    const formula = 'cbind(incidence, size - incidence) ~ period + (1 | herd)';
    const opts = { family: 'binomial' as const, factors: ['herd', 'period'] };
    const fit = await glmer(formula, rows, opts);
    const boot = await fit.bootstrap({ nsim: 2, jackknife: 'herd' });
    const jk = boot.jackknife!;
    expect(jk.t.length).toBe(15);
    for (const i of [0, 9]) {
      const sub = await glmer(formula, rows.filter((r) => String(r.herd) !== jk.levels[i]), opts);
      const expected = [...thetaToSdcor(sub.model.frame.reTerms, sub.theta, 1).subarray(0, 1), ...sub.model.frame.xnames.map((x) => sub.fixef[x])];
      near(jk.t[i], expected, 2e-4, `without herd ${jk.levels[i]}`);
    }
  }, 120_000);

  it('a refit that fails, or gives a non-finite statistic, is an error naming the level', async () => {
    const rows = rowsOf('cbpp.csv');
    const fit = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', rows, { family: 'binomial', factors: ['herd', 'period'] });
    const first = fit.model.blocks[0].levels[0];
    await expect(jackknifeGlmm(fit.model, 0, async () => { throw new Error('PIRLS diverged'); }))
      .rejects.toThrow(new RegExp(`jackknife refit without level '${first}' of herd failed: PIRLS diverged`));
    let calls = 0;
    await expect(jackknifeGlmm(fit.model, 0, async () => Float64Array.of(++calls === 3 ? NaN : 1)))
      .rejects.toThrow(new RegExp(`without level '${fit.model.blocks[0].levels[2]}' of herd failed: its statistics are not finite`));
  }, 60_000);

  it('names the problem: several factors, an unknown factor, bca without the jackknife or with too few replicates', async () => {
    const rows = rowsOf('penicillin.csv');
    const fit = await lmer('diameter ~ 1 + (1 | plate) + (1 | sample)', rows, { factors: ['plate', 'sample'] });
    await expect(fit.bootstrap({ nsim: 2, jackknife: true })).rejects.toThrow(/one grouping factor; this model has 2 \(plate, sample\)/);
    await expect(fit.bootstrap({ nsim: 2, jackknife: 'plates' })).rejects.toThrow(/'plates' is not one of the model's \(plate, sample\)/);
    const boot = await fit.bootstrap({ nsim: 20, jackknife: 'sample' });
    expect(() => bootstrapIntervals(boot, 0.95, 'bca')).toThrow(/at least 100 bootstrap replicates, got 20/);
    const plain = await fit.bootstrap({ nsim: 120 });
    expect(() => bootstrapIntervals(plain, 0.95, 'bca')).toThrow(/need the jackknife/);
    expect(() => bootstrapIntervals(plain, 0.95, 'student' as never)).toThrow(/unknown bootstrap interval type 'student' \(choose perc, basic, norm, bca\)/);
    await expect(fit.confint({ method: 'boot', type: 'bca', nsim: 50 })).rejects.toThrow(/at least 100 bootstrap replicates, got nsim = 50/);
    await expect(fit.confint({ method: 'boot', type: 'basic', jackknife: 'plate' })).rejects.toThrow(/jackknife is for BCa/);
  }, 120_000);
});

