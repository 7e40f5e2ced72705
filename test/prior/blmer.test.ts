/**
 * blmer through lmer's `prior` option against blme (test/oracle/blme.R): the posterior mode's
 * penalized objective no higher than the best of blme's default fit and four tight refits
 * (nloptwrap, Nelder_Mead, bobyqa, nlminbwrap) + 1e-6, θ within 1e-4 of that best fit's; at the
 * best fit's θ everything blme reports (σ, β, SEs, the REML criterion or deviance, the prior's
 * deviance, logLik/AIC/BIC) to 1e-6 relative, and the summary's prior lines.
 */
import { describe, expect, it } from 'vitest';
import { lmer } from '../../src/fit/lmer.js';
import { type BlmeReference, loadBlme, relDiff } from '../helpers/metaReference.js';
import { loadData } from '../helpers/reference.js';

export const LMM_CASES = [
  'dyestuff2_default', 'dyestuff2_default_ml', 'sleepstudy_default', 'sleepstudy_uncorr_default',
  'dyestuff2_gamma_sd', 'dyestuff2_gamma_rate', 'dyestuff2_gamma_var_free', 'dyestuff2_gamma_sd_free',
  'dyestuff2_invgamma', 'dyestuff2_invgamma_free', 'sleepstudy_wishart_scale', 'sleepstudy_invwishart',
  'sleepstudy_invwishart_free', 'sleepstudy_per_factor', 'sleepstudy_fixef_normal', 'sleepstudy_fixef_normal_free',
  'sleepstudy_fixef_t', 'dyestuff2_resid_gamma', 'dyestuff2_resid_invgamma', 'dyestuff2_resid_point', 'dyestuff2_resid_gamma_sd',
];
const dataFile: Record<string, string> = { dyestuff2: 'dyestuff2.csv', sleepstudy: 'sleepstudy.csv', cbpp: 'cbpp.csv' };
const factors: Record<string, string[]> = { dyestuff2: ['Batch'], sleepstudy: ['Subject'], cbpp: ['herd', 'period'] };

export function priorOptions(ref: BlmeReference) {
  return { cov: ref.cov_prior ?? undefined, fixef: ref.fixef_prior, resid: ref.resid_prior };
}

describe('blmer: the posterior mode against blme', () => {
  for (const name of LMM_CASES) {
    it(name, async () => {
      const ref = loadBlme(name);
      const fit = await lmer(ref.formula, loadData({ data: dataFile[ref.data] }), { REML: ref.reml, factors: factors[ref.data], prior: priorOptions(ref) });
      const j = fit.toJSON() as Record<string, any>;
      const best = ref.best;
      const objective = j.penalized_objective as number;
      expect(objective, `${name}: objective ${objective} vs blme's best ${best.objective} (${best.optimizer})`).toBeLessThanOrEqual(best.objective + 1e-6);
      const dtheta = Math.max(...best.theta.map((t, k) => Math.abs(fit.theta[k] - t)));
      expect(dtheta, `${name}: θ ${Array.from(fit.theta)} vs ${best.theta}`).toBeLessThan(1e-4);
      // what blme reports, at our θ (within 1e-4 of the best fit's): 2e-5 relative
      const close = (got: number, want: number, what: string) => expect(relDiff(got, want), `${name} ${what}: ${got} vs ${want}`).toBeLessThan(2e-5);
      if (best.sigma !== null) close(fit.sigma, best.sigma, 'sigma');
      for (const [nm, b] of Object.entries(best.fixef)) {
        close(fit.fixef[nm], b, `beta ${nm}`);
        close(fit.se[nm], best.se[nm], `se ${nm}`);
      }
      close(j.prior_deviance, best.penalty, 'prior deviance');
      close(fit.objective, ref.reml ? best.remlcrit! : best.deviance!, ref.reml ? 'REML criterion' : 'deviance');
      close(fit.logLik, best.loglik, 'logLik');
      close(fit.AIC, best.AIC, 'AIC');
      close(fit.BIC, best.BIC, 'BIC');
      // blme's summary: the prior lines, "Prior dev", and lme4's title with class blmerMod
      const lines = fit.summary().split('\n');
      const title = ref.print.findIndex((l) => l.startsWith('Linear mixed model fit by'));
      // (the reference prints blme's default fit: its "Prior dev" is the best fit's here)
      const expected = ref.print.slice(0, title + 1).map((l) => (l.startsWith('Prior dev') ? `Prior dev  : ${Number((Math.round(best.penalty * 1e4) / 1e4).toPrecision(15))}` : l));
      expect(lines.slice(0, title + 1)).toEqual(expected);
      console.log(`${name}: objective ${objective.toFixed(10)} (blme best ${best.objective.toFixed(10)} by ${best.optimizer}, default ${ref.default.objective.toFixed(10)}), max |Δθ| ${dtheta.toExponential(2)}, σ ${fit.sigma} vs ${best.sigma}, penalty ${j.prior_deviance} vs ${best.penalty}`);
    });
  }
});

describe("the shared anchor (dyestuff2_blme.json, blmer's default on the singular Dyestuff2)", () => {
  it('θ, σ, β, SE, the REML criterion, logLik and the conditional modes', async () => {
    const { loadReference } = await import('../helpers/reference.js');
    const ref = loadReference('dyestuff2_blme');
    const fit = await lmer(ref.formula, loadData({ data: 'dyestuff2.csv' }), { factors: ['Batch'], prior: 'blme' });
    expect(Math.abs(fit.theta[0] - ref.theta[0])).toBeLessThan(1e-4);
    const close = (got: number, want: number, what: string) => expect(relDiff(got, want), `${what}: ${got} vs ${want}`).toBeLessThan(1e-5);
    close(fit.sigma, ref.sigma, 'sigma');
    close(fit.fixef['(Intercept)'], ref.fixef['(Intercept)'], 'beta');
    close(fit.se['(Intercept)'], ref.se['(Intercept)'], 'se');
    close(fit.objective, ref.remlcrit!, 'REML criterion');
    close(fit.logLik, ref.loglik, 'logLik');
    expect(fit.singular).toBe(false);
    const modes = fit.ranef[0].values['(Intercept)'];
    ref.ranef[0].values['(Intercept)'].forEach((b, i) => expect(Math.abs(modes[i] - b), `b[${i}]`).toBeLessThan(1e-4));
  });
});
