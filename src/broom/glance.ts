/**
 * broom.mixed 0.2.9.4's glance.merMod: one row of the fit's summaries (broom's finish_glance)
 *   nobs, sigma, logLik, AIC = −2ℓ + 2 npar, BIC = −2ℓ + log(n) npar, deviance, df.residual = n − npar
 * where deviance is lme4's deviance(): −2ℓ of an ML lmer fit, the sum of squared deviance residuals
 * of a glmer fit; for a REML fit broom.mixed renames it REMLcrit (lme4's REML criterion, which
 * deviance() of a REML fit returns with a warning).
 */
import { LmmFit } from '../lmm/lmmFit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { broomFit } from './tidy.js';
import { ZeroInflatedFit } from '../zeroinfl/zeroInflatedFit.js';
import { LmeFit } from '../nlme/lmeFit.js';
import { glanceGlmmTmb } from './tidyTmb.js';
import { glanceLme } from './tidyLme.js';
import type { TidyTable } from './table.js';

/** broom.mixed's glance(fit): a table of one row (glance.merMod; glance.glmmTMB and glance.lme: tidyTmb.ts, tidyLme.ts). */
export function glance(fitIn: LmmFit | GlmmFit | ZeroInflatedFit | LmeFit): TidyTable {
  if (fitIn instanceof ZeroInflatedFit) return glanceGlmmTmb(fitIn);
  if (fitIn instanceof LmeFit) return glanceLme(fitIn);
  const fit = broomFit(fitIn, 'glance');
  const reml = fit instanceof LmmFit && fit.reml;
  const deviance = fit instanceof LmmFit ? fit.objective : fit.deviance;
  const row = {
    nobs: fit.nobs,
    sigma: fit.sigma,
    logLik: fit.logLik,
    AIC: fit.AIC,
    BIC: fit.BIC,
    [reml ? 'REMLcrit' : 'deviance']: deviance,
    'df.residual': fit.nobs - fit.df,
  };
  return { columns: Object.keys(row), rows: [row] };
}
