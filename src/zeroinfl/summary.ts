/**
 * glmmTMB's print.summary.glmmTMB as text: family and link, the formulas (the zero-inflation one unless
 * '~ 0', the dispersion one unless '~ 1', indented past the response's name as .prt.call.glmmTMB does)
 * and data; the AIC, BIC, logLik, deviance and df.resid line (each rounded to 1 decimal); the random
 * effects' table (Groups, Name, Variance, Std.Dev., 4 significant digits; gaussian: the Residual row, NA
 * with a dispersion model) and the number of groups; for dispformula '~ 1' the dispersion line
 * (printDispersion: "Dispersion estimate for gaussian family (sigma^2)", else "Dispersion parameter
 * for <family> family ()"); the conditional, zero-inflation and dispersion models' coefficient tables
 * (printCoefmat, 4 digits, signif stars).
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
  const m = fit.model;
  // glmmTMB's family(fit)$family: 'beta' for beta_family()
  const familyName = fit.family === 'beta_family' ? 'beta' : fit.family;
  lines.push(` Family: ${familyName}  ( ${fit.link} )`);
  lines.push(`Formula:          ${fit.formula}`);
  // .prt.call.glmmTMB: the side formulas indented by the response's width + 2
  const response = m.formula.response.label;
  const indent = ' '.repeat(response.length + 2);
  const squash = (t: string) => t.replace(/\s+/g, '');
  // R's deparse of a one-sided formula: no space after '~' ('~ mined' prints as ~mined)
  const deparse = (t: string) => `~${t.trim().slice(1).trim()}`;
  if (squash(fit.ziformula) !== '~0') lines.push(`Zero inflation:  ${indent}${deparse(fit.ziformula)}`);
  if (squash(fit.dispformula) !== '~1') lines.push(`Dispersion:      ${indent}${deparse(fit.dispformula)}`);
  if (fit.dataName) lines.push(`Data: ${fit.dataName}`);
  lines.push('');
  const info = { AIC: fit.AIC, BIC: fit.BIC, logLik: fit.logLik, deviance: fit.deviance, 'df.resid': fit.dfResid };
  // R's print of the named vector format(…, digits = 5): right-justified columns of a common width
  const vals = Object.values(info).map((v) => formatR([Math.round(v * 10) / 10], 7)[0]);
  const w = Math.max(...vals.map((v) => v.length), ...Object.keys(info).map((k) => k.length));
  lines.push(Object.keys(info).map((k) => k.padStart(w)).join(' ') + ' ', vals.map((v) => v.padStart(w)).join(' ') + ' ');
  lines.push('', 'Random effects:', '', 'Conditional model:');
  const vc = [...fit.varCorr];
  // gaussian: the residual's row (σ², σ; NA with a dispersion model, as glmmTMB's sigma())
  if (m.dist === 'gaussian') vc.push({ group: 'Residual', name: '', variance: fit.sigma * fit.sigma, sd: fit.sigma });
  const column = (v: number[]): string[] => {
    const ok = v.filter((x) => !Number.isNaN(x));
    const f = formatR(ok, 4);
    // formatVC's NA: right-justified to the formatted numbers' width (then left-justified in the column)
    const w = Math.max(2, ...f.map((x) => x.length));
    let k = 0;
    return v.map((x) => (Number.isNaN(x) ? 'NA'.padStart(w) : f[k++]));
  };
  lines.push(...printMatrix(
    [vc.map((r) => r.group), vc.map((r) => r.name), column(vc.map((r) => r.variance)), column(vc.map((r) => r.sd))],
    vc.map(() => ''), ['Groups', 'Name', 'Variance', 'Std.Dev.'], false,
  ));
  lines.push(`Number of obs: ${fit.nobs}, groups:  ${fit.ngroups.map((g) => `${g.group}, ${g.levels}`).join('; ')}`);
  if (m.pd > 0 && m.dispConstant) {
    lines.push('', m.dist === 'gaussian'
      ? `Dispersion estimate for gaussian family (sigma^2): ${formatR([fit.sigma * fit.sigma], 3)[0]} `
      : `Dispersion parameter for ${familyName} family (): ${formatR([fit.sigma], 3)[0]} `);
  }
  lines.push('', 'Conditional model:');
  lines.push(...coefTable(fit.cond));
  if (fit.zi.length > 0) {
    lines.push('', 'Zero-inflation model:');
    lines.push(...coefTable(fit.zi));
  }
  if (fit.dispersion.length > 0 && !m.dispConstant) {
    lines.push('', 'Dispersion model:');
    lines.push(...coefTable(fit.dispersion));
  }
  if (fit.model.frame.nDropped > 0) lines.push(`(${fit.model.frame.nDropped} observation${fit.model.frame.nDropped === 1 ? '' : 's'} deleted due to missingness)`);
  for (const m of fit.messages) lines.push(`note: ${m}`);
  return lines.join('\n') + '\n';
}
