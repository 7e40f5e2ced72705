/**
 * The text of lme4's `print(summary(fit))` for a glmerMod (lme4 1.1-31, R 4.2, default options:
 * digits = 7, width = 80, show.signif.stars), followed by a line of our own (backend, evaluations).
 * The blocks (`.prt.methTit`, `.prt.family`, `.prt.call`, `.prt.aictab`, `.prt.resids` of the
 * Pearson residuals, `.prt.VC` without a residual row, `.prt.grps`, `printCoefmat` with z values,
 * `format.pval` and significance stars, the fixed-effects correlations, `.prt.warn`) are in
 * src/results/lme4Print.ts and R's number formatting in src/results/rFormat.ts, shared with the
 * lmer summary.
 */
import {
  aicTable, backendLabel, callLines, fixedEffectsLines, groupsLines, methodTitle, residualLines, varCorrTable, warningLines,
} from '../results/lme4Print.js';
import { catFill, formatR } from '../results/rFormat.js';
import type { GlmmFit } from './glmmFit.js';

/** lme4-style summary text of a fitted GLMM (no trailing newline). */
export function formatGlmmSummary(fit: GlmmFit): string {
  // a prior's lines first (blme's printPriors and "Prior dev"), then lme4's summary
  const out: string[] = [...(fit.annotation?.preamble ?? [])];
  const method = fit.nAGQ === 1 ? '(Laplace Approximation)' : `(Adaptive Gauss-Hermite Quadrature, nAGQ = ${fit.nAGQ})`;
  out.push(...methodTitle(`Generalized linear mixed model fit by maximum likelihood ${method}`, fit.annotation?.cls ?? 'glmerMod'));
  // .prt.family
  out.push(...catFill([[' Family:'], [fit.familyName], [` ( ${fit.link} )`]]));
  out.push(...callLines(fit.formula, fit.dataName, fit.model.weightsName));
  out.push('');
  out.push(...aicTable(fit.AIC, fit.BIC, fit.logLik, fit.objective, fit.dfResidual));
  out.push('');
  // lme4's residuals(fit, 'pearson', scaled = TRUE): divided by σ̂ (1 without a scale)
  if (fit.rowsSource) out.push(`Scaled residuals: not computed (the rows are in ${fit.rowsSource})`, '');
  else out.push(...residualLines(fit.rowResiduals('pearson').map((r) => r / fit.sigma)));
  out.push('Random effects:');
  // glmmTMB's structured terms print as lmer's structured fits (`0.58 (ar1)` on the term's first row)
  out.push(...varCorrTable(fit.varCorr, fit.model.family.hasScale ? fit.sigma : null, new Map(fit.structures.map((s) => [s.group, s]))));
  out.push(...groupsLines(fit.nobs, fit.ngroups));
  const rows = fit.coefficients;
  out.push(...fixedEffectsLines({
    names: rows.map((r) => r.name), estimate: rows.map((r) => r.estimate), se: rows.map((r) => r.se),
    statistic: rows.map((r) => r.z), statName: fit.model.family.hasScale ? 't value' : 'z value', pvalues: rows.map((r) => r.p),
  }, fit.vcov));
  out.push(...warningLines(fit.messages, fit.converged, fit.optimizerMessage, fit.optimizer));
  if (out[out.length - 1] !== '') out.push('');
  // glmmTMB's structures: the parameter count that logLik's df and AIC use
  // a smooth's penalized part (homdiag, src/gamm) is no structure of the user's: not listed, as in lmer's summary
  for (const s of fit.structures) if (s.structure !== 'homdiag') out.push(`Covariance structure: ${s.term}, ${s.parameters.length} parameter${s.parameters.length === 1 ? '' : 's'} (glmmTMB's ${s.structure})${s.range === undefined ? '' : `, range ${formatR([s.range], 4)[0].trim()}${s.smoothness === undefined ? '' : `, smoothness ${formatR([s.smoothness], 4)[0].trim()}`}`}`);
  out.push(`Backend: ${backendLabel(fit.backend)}; ${fit.feval} evaluations; ${fit.converged ? 'converged' : 'not converged'}; Var(fixed effects) from the ${fit.vcovMethod === 'hessian' ? 'finite-difference Hessian' : 'RX factor'}`);
  return out.join('\n');
}
