/**
 * bglmer through glmer's `prior` option against blme (test/oracle/blme.R; its objectives with PIRLS
 * converged): the penalized Laplace deviance no higher than the best of blme's default fit and four
 * tight refits + 1e-6, θ within 1e-4 of the best fit's; β, the SEs (from the penalized objective's
 * Hessian, as bglmer), the deviance and the prior's deviance, and the summary's prior lines.
 */
import { describe, expect, it } from 'vitest';
import { glmer } from '../../src/fit/glmer.js';
import { loadBlme, relDiff } from '../helpers/metaReference.js';
import { loadData } from '../helpers/reference.js';

describe('bglmer: the posterior mode against blme', () => {
  for (const name of ['cbpp_default', 'cbpp_fixef_normal']) {
    it(name, async () => {
      const ref = loadBlme(name);
      const fit = await glmer(ref.formula, loadData({ data: 'cbpp.csv' }), {
        family: 'binomial', factors: ['herd', 'period'], prior: { cov: ref.cov_prior ?? undefined, fixef: ref.fixef_prior },
      });
      const j = fit.toJSON() as Record<string, any>;
      const best = ref.best;
      const objective = fit.objective + j.prior_deviance;
      expect(objective, `${name}: ${objective} vs blme's best ${best.objective} (${best.optimizer})`).toBeLessThanOrEqual(best.objective + 1e-6);
      const dtheta = Math.max(...best.theta.map((t, k) => Math.abs(fit.theta[k] - t)));
      expect(dtheta, `${name}: θ ${Array.from(fit.theta)} vs ${best.theta}`).toBeLessThan(1e-4);
      const close = (got: number, want: number, what: string, tol = 2e-5) => expect(relDiff(got, want), `${name} ${what}: ${got} vs ${want}`).toBeLessThan(tol);
      for (const [nm, b] of Object.entries(best.fixef)) close(fit.fixef[nm], b, `beta ${nm}`, 1e-4);
      // Var(β̂) from finite-difference Hessians of the penalized objective (ours and lme4's deriv12): 1e-4 relative
      for (const [nm, se] of Object.entries(best.se)) close(fit.se[nm], se, `se ${nm}`, 1e-4);
      close(j.prior_deviance, best.penalty, 'prior deviance');
      close(fit.objective, best.deviance!, 'deviance');
      const lines = fit.summary().split('\n');
      const title = ref.print.findIndex((l) => l.startsWith('Generalized linear mixed model fit by'));
      const expected = ref.print.slice(0, title + 2).map((l) => (l.startsWith('Prior dev') ? `Prior dev  : ${Number((Math.round(best.penalty * 1e4) / 1e4).toPrecision(15))}` : l));
      expect(lines.slice(0, title + 2)).toEqual(expected);
      console.log(`${name}: objective ${objective.toFixed(10)} (blme best ${best.objective.toFixed(10)} by ${best.optimizer}), max |Δθ| ${dtheta.toExponential(2)}, se ${JSON.stringify(fit.se)} vs ${JSON.stringify(best.se)}`);
    });
  }
});
