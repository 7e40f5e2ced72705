/**
 * glmmTMB's print.summary.glmmTMB as text: family and link, the formulas and data; the AIC, BIC,
 * logLik, deviance and df.resid line (each rounded to 1 decimal); the random effects' table (Groups,
 * Name, Variance, Std.Dev., 4 significant digits) and the number of groups; the NB dispersion
 * parameter; the conditional and zero-inflation models' coefficient tables (printCoefmat, 4 digits,
 * signif stars).
 */
import { printCoefmat } from '../results/lme4Print.js';
import { formatR, printMatrix } from '../results/rFormat.js';
import type { ZeroInflatedFit, ZiCoefRow } from './zeroInflatedFit.js';

function coefTable(rows: ZiCoefRow[]): string[] {
  return printCoefmat({
    names: rows.map((r) => r.name), estimate: rows.map((r) => r.estimate), se: rows.map((r) => r.se),
    statistic: rows.map((r) => r.z), statName: 'z value', pvalues: rows.map((r) => r.p),
  });
}

export function formatZeroInflatedSummary(fit: ZeroInflatedFit): string {
  const lines: string[] = [];
  lines.push(` Family: ${fit.family}  ( log )`);
  lines.push(`Formula:          ${fit.formula}`);
  lines.push(`Zero inflation:         ${fit.ziformula}`);
  if (fit.dataName) lines.push(`Data: ${fit.dataName}`);
  lines.push('');
  const info = { AIC: fit.AIC, BIC: fit.BIC, logLik: fit.logLik, deviance: fit.deviance, 'df.resid': fit.dfResid };
  // R's print of the named vector format(…, digits = 5): right-justified columns of a common width
  const vals = Object.values(info).map((v) => formatR([Math.round(v * 10) / 10], 7)[0]);
  const w = Math.max(...vals.map((v) => v.length), ...Object.keys(info).map((k) => k.length));
  lines.push(Object.keys(info).map((k) => k.padStart(w)).join(' ') + ' ', vals.map((v) => v.padStart(w)).join(' ') + ' ');
  lines.push('', 'Random effects:', '', 'Conditional model:');
  const vc = fit.varCorr;
  lines.push(...printMatrix(
    [vc.map((r) => r.group), vc.map((r) => r.name), formatR(vc.map((r) => r.variance), 4), formatR(vc.map((r) => r.sd), 4)],
    vc.map(() => ''), ['Groups', 'Name', 'Variance', 'Std.Dev.'], false,
  ));
  lines.push(`Number of obs: ${fit.nobs}, groups:  ${fit.ngroups.map((g) => `${g.group}, ${g.levels}`).join('; ')}`);
  if (fit.model.nb) lines.push('', `Dispersion parameter for ${fit.family} family (): ${formatR([fit.sigma], 3)[0]} `);
  lines.push('', 'Conditional model:');
  lines.push(...coefTable(fit.cond));
  if (fit.zi.length > 0) {
    lines.push('', 'Zero-inflation model:');
    lines.push(...coefTable(fit.zi));
  }
  if (fit.model.frame.nDropped > 0) lines.push(`(${fit.model.frame.nDropped} observation${fit.model.frame.nDropped === 1 ? '' : 's'} deleted due to missingness)`);
  for (const m of fit.messages) lines.push(`note: ${m}`);
  return lines.join('\n') + '\n';
}
