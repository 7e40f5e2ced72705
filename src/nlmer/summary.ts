/**
 * lme4's print(summary(fit)) of an nlmerMod (print.summary.merMod): the title ("Nonlinear mixed
 * model fit by maximum likelihood  ['nlmerMod']": lme4 1.1-31 adds no approximation's name for nlmer,
 * so two spaces), the formula and data, the AIC table, the scaled residuals' quantiles, the random
 * effects, the number of observations and groups, the fixed effects with t values, and their
 * correlations; then a convergence code, as lme4's .prt.warn.
 */
import { aicTable, callLines, fixedEffectsLines, groupsLines, methodTitle, residualLines, varCorrTable } from '../results/lme4Print.js';
import type { NlmerFit } from './nlmerFit.js';

export function printNlmerSummary(fit: NlmerFit): string[] {
  const out: string[] = [];
  out.push(...methodTitle('Nonlinear mixed model fit by maximum likelihood ', 'nlmerMod'));
  out.push(...callLines(fit.formula, fit.dataName));
  out.push('');
  out.push(...aicTable(fit.AIC(), fit.BIC(), fit.logLik(), fit.deviance(), fit.dfResidual()));
  out.push('');
  out.push(...residualLines(fit.residuals('scaled')));
  out.push('Random effects:');
  out.push(...varCorrTable(fit.varCorr(), fit.sigma));
  const ngroups: Record<string, number> = {};
  for (const t of fit.model.terms) ngroups[t.group] = t.levels.length;
  out.push(...groupsLines(fit.nobs, ngroups));
  const se = fit.se();
  out.push(...fixedEffectsLines({
    names: fit.model.fixed, estimate: Array.from(fit.beta), se, statistic: Array.from(fit.beta, (b, c) => b / se[c]), statName: 't value',
  }, fit.vcovMatrix()));
  // lme4's .prt.warn: a convergence code (its vcov's fallback to R_X is an R warning, not printed here)
  const conv = fit.messages.filter((m) => m.startsWith('convergence code'));
  if (conv.length > 0) out.push(...conv);
  return out;
}
