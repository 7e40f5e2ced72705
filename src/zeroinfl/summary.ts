/**
 * glmmTMB's print.summary.glmmTMB as text: family and link, the formulas (the zero-inflation one unless
 * '~ 0', the dispersion one unless '~ 1', indented past the response's name as .prt.call.glmmTMB does)
 * and data; the AIC, BIC, logLik, deviance and df.resid line (each rounded to 1 decimal); the random
 * effects' table (Groups, Name, Variance, Std.Dev., 4 significant digits; gaussian: the Residual row, NA
 * with a dispersion model; a vector term's correlations in lme4's Corr columns, formatVC's) and the
 * number of groups, then the zero-inflation model's random effects the same way where it has them
 * ("Zero-inflation model:"); for dispformula '~ 1' the dispersion line
 * (printDispersion: "Dispersion estimate for gaussian family (sigma^2)", else "Dispersion parameter
 * for <family> family ()", the value as formatC(·, digits = 3): " 655", "1.23e+03"); the conditional, zero-inflation and dispersion models' coefficient tables
 * (printCoefmat, 4 digits, signif stars).
 */
import type { VarCorrRow } from '../results/components.js';
import { formatCg } from '../gamm/summary.js';
import { printCoefmat, varCorrTable } from '../results/lme4Print.js';
import { formatR, printMatrix } from '../results/rFormat.js';
import type { ZeroInflatedFit, ZiCoefRow, ZiVarCorrRow } from './zeroInflatedFit.js';

/** VarCorr rows with vector terms as lme4's as.data.frame(VarCorr) rows (SDs, then correlations), for varCorrTable */
function asVarCorrRows(rows: ZiVarCorrRow[]): VarCorrRow[] {
  const out: VarCorrRow[] = rows.map((r) => ({ group: r.group, var1: r.name, var2: null, vcov: r.variance, sdcor: r.sd }));
  rows.forEach((r, k) => {
    if (!r.corr) return;
    // the term's earlier columns are the rows just above
    r.corr.forEach((c, j) => {
      const o = rows[k - r.corr!.length + j];
      out.push({ group: r.group, var1: o.name, var2: r.name, vcov: c * r.sd * o.sd, sdcor: c });
    });
  });
  return out;
}

function coefTable(rows: ZiCoefRow[]): string[] {
  return printCoefmat({
    names: rows.map((r) => r.name), estimate: rows.map((r) => r.estimate), se: rows.map((r) => r.se),
    statistic: rows.map((r) => r.z), statName: 'z value', pvalues: rows.map((r) => r.p),
    // glmmTMB's printCoefmat(…, zap.ind = 3): the z column zapped to the digits its largest value leaves
    zapStatistic: true,
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
  // lme4's .prt.aictab: format() of all five rounded to 1 decimal (a common format: 1922.0), then df.resid
  // formatted alone
  const rounded = Object.values(info).map((v) => Math.round(v * 10) / 10);
  const vals = formatR(rounded, 7).map((v) => v.trim());
  vals[4] = formatR([rounded[4]], 7)[0].trim();
  const w = Math.max(...vals.map((v) => v.length), ...Object.keys(info).map((k) => k.length));
  lines.push(Object.keys(info).map((k) => k.padStart(w)).join(' ') + ' ', vals.map((v) => v.padStart(w)).join(' ') + ' ');
  lines.push('', 'Random effects:', '', 'Conditional model:');
  const vc = fit.varCorr.filter((r) => r.component !== 'zi');
  const vcZi = fit.varCorr.filter((r) => r.component === 'zi');
  const groupsOf = (rows: ZiVarCorrRow[]) => fit.ngroups.filter((g) => rows.some((r) => r.group === g.group));
  // a component with vector terms: lme4's formatVC table with its Corr columns
  if (vc.some((r) => r.corr) || vcZi.length > 0) {
    const table = (rows: ZiVarCorrRow[], residual: number | null) => (rows.some((r) => r.corr)
      // glmmTMB's formatVC keeps all q columns of formatCor's lower triangle (lme4's drops the last,
      // always blank one): one more empty column, a trailing space on each line
      ? varCorrTable(asVarCorrRows(rows), residual).map((l) => `${l} `)
      : printMatrix(
        [[...rows.map((r) => r.group), ...(residual !== null ? ['Residual'] : [])], [...rows.map((r) => r.name), ...(residual !== null ? [''] : [])],
          formatR([...rows.map((r) => r.variance), ...(residual !== null ? [residual * residual] : [])], 4), formatR([...rows.map((r) => r.sd), ...(residual !== null ? [residual] : [])], 4)],
        [...rows.map(() => ''), ...(residual !== null ? [''] : [])], ['Groups', 'Name', 'Variance', 'Std.Dev.'], false,
      ));
    const groupsLine = (rows: ZiVarCorrRow[]) => `Number of obs: ${fit.nobs}, groups:  ${groupsOf(rows).map((g) => `${g.group}, ${g.levels}`).join('; ')}`;
    lines.push(...table(vc, m.dist === 'gaussian' ? fit.sigma : null), groupsLine(vc));
    if (vcZi.length > 0) lines.push('', 'Zero-inflation model:', ...table(vcZi, null), groupsLine(vcZi));
    return finish(fit, lines, familyName);
  }
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
  return finish(fit, lines, familyName);
}

/** the summary's lines after the random effects: the dispersion line, the coefficient tables, notes */
function finish(fit: ZeroInflatedFit, lines: string[], familyName: string): string {
  const m = fit.model;
  if (m.pd > 0 && m.dispConstant) {
    lines.push('', m.dist === 'gaussian'
      ? `Dispersion estimate for gaussian family (sigma^2): ${formatCg(fit.sigma * fit.sigma, 3)} `
      : `Dispersion parameter for ${familyName} family (): ${formatCg(fit.sigma, 3)} `);
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
