/**
 * The text of lme4's `print(summary(fit))` for an lmerMod (lme4 1.1-31, R 4.2, default options:
 * digits = 7, width = 80, show.signif.stars), followed by two lines of our own (variance shares,
 * backend). The blocks are in src/results/lme4Print.ts and R's number formatting in
 * src/results/rFormat.ts, shared with the glmer summary (src/glmm/summary.ts).
 */
import {
  aicTable, backendLabel, callLines, fixedEffectsLines, groupsLines, knownCovarianceLines, methodTitle, residualLines, residualQuantileLines, varCorrTable, warningLines,
} from '../results/lme4Print.js';
import { catFill, formatR, roundR } from '../results/rFormat.js';
import type { LmmFit } from './lmmFit.js';

/** The fields of a fit that the summary reads. */
export type SummarySource = Pick<
  LmmFit,
  | 'reml' | 'formula' | 'dataName' | 'objective' | 'logLik' | 'AIC' | 'BIC' | 'df' | 'nobs' | 'sigma'
  | 'pearsonResiduals' | 'varCorr' | 'ngroups' | 'fixef' | 'se' | 'vcov' | 'messages' | 'varianceShares'
  | 'backend' | 'feval' | 'converged' | 'optimizerMessage'
> & Partial<Pick<LmmFit, 'weightsName' | 'heritability' | 'knownCovariances' | 'structures' | 'annotation' | 'scaledResidualQuantiles' | 'rowsSource' | 'optimizer'>>;

/**
 * The t tests of lmerTest's summary in place of lme4's table: its title's method and the printed
 * coefficient table (src/inference/format.ts printCoefTable).
 */
export interface SummaryTests {
  /** "Satterthwaite's" or "Kenward-Roger's" */
  method: string;
  table: string[];
}

/** lme4-style summary text of a fitted linear mixed model (no trailing newline); with `tests`, lmerTest's. */
export function formatSummary(fit: SummarySource, tests?: SummaryTests): string {
  // a prior's lines first (blme's printPriors and "Prior dev"), then lme4's summary
  const out: string[] = [...(fit.annotation?.preamble ?? [])];
  // .prt.methTit: methTitle() pastes a zero-length GLMM suffix, hence two spaces for ML fits
  const title = fit.reml ? 'Linear mixed model fit by REML' : 'Linear mixed model fit by maximum likelihood ';
  if (tests) out.push(...methodTitle(`${title}. t-tests use ${tests.method} method`, 'lmerModLmerTest'));
  else out.push(...methodTitle(title, fit.annotation?.cls ?? 'lmerMod'));
  out.push(...callLines(fit.formula, fit.dataName, fit.weightsName));
  out.push('');
  if (fit.reml) {
    out.push(...catFill([['REML criterion at convergence:'], formatR([roundR(fit.objective, 1)], 7)]));
  } else {
    out.push(...aicTable(fit.AIC, fit.BIC, fit.logLik, fit.objective, fit.nobs - fit.df));
  }
  out.push('');
  // lme4: residuals(fit, "pearson", scaled = TRUE), √w (y − fitted) / σ
  // (an out-of-core fit computes the quantiles by queries: src/gram/)
  out.push(...(fit.scaledResidualQuantiles
    ? residualQuantileLines(fit.scaledResidualQuantiles)
    : fit.rowsSource
      ? [`Scaled residuals: not computed (the rows are in ${fit.rowsSource}; residualQuantiles: false)`, '']
      : residualLines(Array.from(fit.pearsonResiduals, (r) => r / fit.sigma))));
  out.push('Random effects:');
  out.push(...varCorrTable(fit.varCorr, fit.sigma, new Map((fit.structures ?? []).map((s) => [s.group, s]))));
  out.push(...groupsLines(fit.nobs, fit.ngroups));
  const names = Object.keys(fit.fixef);
  const estimate = names.map((n) => fit.fixef[n]);
  const se = names.map((n) => fit.se[n]);
  out.push(...fixedEffectsLines({ names, estimate, se, statistic: estimate.map((e, i) => e / se[i]), statName: 't value' }, fit.vcov, tests?.table));
  out.push(...warningLines(fit.messages, fit.converged, fit.optimizerMessage, fit.optimizer));
  // our own additions, after lme4's part
  if (out[out.length - 1] !== '') out.push('');
  const shares = fit.varianceShares;
  if (shares.length > 1) {
    out.push(`Variance shares (intercept variances and residual): ${shares.map((s) => `${s.group} ${(100 * s.share).toFixed(1)}%`).join(', ')}`);
  }
  out.push(...knownCovarianceLines(fit.knownCovariances ?? []));
  // glmmTMB's structures: the parameter count that logLik's df and AIC use
  for (const s of fit.structures ?? []) if (s.structure !== 'homdiag') out.push(`Covariance structure: ${s.term}, ${s.parameters.length} parameter${s.parameters.length === 1 ? '' : 's'} (glmmTMB's ${s.structure})${s.range === undefined ? '' : `, range ${formatR([s.range], 4)[0].trim()}${s.smoothness === undefined ? '' : `, smoothness ${formatR([s.smoothness], 4)[0].trim()}`}`}`);
  for (const h of fit.heritability ?? []) {
    out.push(`Heritability: ${h.group} ${formatR([h.heritability], 4)[0]} (${h.group} variance / (${h.group} variance + residual variance))`);
  }
  out.push(`Backend: ${backendLabel(fit.backend)}; ${fit.feval} evaluations; ${fit.converged ? 'converged' : 'not converged'}`);
  return out.join('\n');
}
