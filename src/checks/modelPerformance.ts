/**
 * performance 0.10.2's `model_performance()` of a merMod: one row of indices, only the columns it
 * reports for the fit's family —
 *
 *   AIC  = −2ℓ + 2k,  AICc = −2ℓ + 2k · n/(n − k − 1),  BIC = −2ℓ + k log n
 *          (k = lme4's npar: β, θ, σ where estimated, and the negative binomial's size; n observations;
 *          ℓ the log-likelihood insight takes — for an lmer fit lme4's logLik(fit, REML = estimator ==
 *          "REML"), evaluated at the fit's own estimates without a refit: the REML criterion by default,
 *          of an ML fit too, and with estimator "ML" the ML deviance at the estimates of an REML fit;
 *          for glmer the Laplace (or AGQ) log-likelihood whatever the estimator)
 *   R2_conditional, R2_marginal (Nakagawa's; columns present unless both are NA), ICC (adjusted;
 *          absent where NA, e.g. a singular fit)
 *   RMSE = √mean((y − μ̂)²)  (response residuals),  Sigma = σ̂ (1 for binomial, Poisson, NB)
 *   Log_loss (binomial: NA with its note for a cbind response), Score_log and Score_spherical
 *          (binomial and count families with a single-column response; scoringRules.ts).
 */
import { formatValue, exportTable } from './format.js';

export interface InformationCriteria {
  AIC: number;
  AICc: number;
  BIC: number;
}

/** AIC, AICc and BIC from −2ℓ (`deviance`), k parameters and n observations (the equations in the header) */
export function informationCriteria(deviance: number, k: number, n: number): InformationCriteria {
  return { AIC: deviance + 2 * k, AICc: deviance + 2 * k * (n / (n - k - 1)), BIC: deviance + Math.log(n) * k };
}

/** √mean(r²) of the response residuals (NaN entries, na.exclude's padding, left out as na.rm does) */
export function rmse(residuals: ArrayLike<number>): number {
  let s = 0, m = 0;
  for (let i = 0; i < residuals.length; i++) if (!Number.isNaN(residuals[i])) { s += residuals[i] * residuals[i]; m++; }
  return Math.sqrt(s / m);
}

/** the row of indices: a column absent is one performance does not report; null is its NA */
export interface ModelPerformance {
  AIC: number;
  AICc: number;
  BIC: number;
  R2_conditional?: number | null;
  R2_marginal?: number;
  ICC?: number;
  RMSE: number;
  Sigma: number;
  Log_loss?: number | null;
  Score_log?: number;
  Score_spherical?: number;
}

/** the columns in performance's order, with the print's headers */
export const PERFORMANCE_COLUMNS: [keyof ModelPerformance, string][] = [
  ['AIC', 'AIC'], ['AICc', 'AICc'], ['BIC', 'BIC'], ['R2_conditional', 'R2 (cond.)'], ['R2_marginal', 'R2 (marg.)'], ['ICC', 'ICC'],
  ['RMSE', 'RMSE'], ['Sigma', 'Sigma'], ['Log_loss', 'Log_loss'], ['Score_log', 'Score_log'], ['Score_spherical', 'Score_spherical'],
];

/** performance's print of model_performance: "# Indices of model performance" and insight's table (3 decimals) */
export function printModelPerformance(m: ModelPerformance, digits = 3): string[] {
  const present = PERFORMANCE_COLUMNS.filter(([k]) => k in m && m[k] !== undefined);
  const header = present.map(([, h]) => h);
  const row = present.map(([k]) => formatValue((m[k] ?? null) as number | null, digits));
  return ['# Indices of model performance', '', ...exportTable(header, [row])];
}
