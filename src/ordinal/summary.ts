/**
 * ordinal's print.summary.clmm as text: the approximation, formula and data; the info line (link,
 * threshold, nobs, logLik, AIC, niter, max.grad, cond.H); the random effects' table (formatVC,
 * 4 digits) and the number of groups; the coefficients with z tests and the threshold coefficients
 * (printCoefmat, 4 digits). `niter` is our objective evaluations and, in parentheses, the inner
 * Newton iterations (clmm's neval(Niter)).
 */
import { printCoefmat, varCorrTable } from '../results/lme4Print.js';
import type { VarCorrRow } from '../results/components.js';
import { printMatrix } from '../results/rFormat.js';
import type { ClmmFit } from './clmmFit.js';

function formatE(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x === Infinity ? 'Inf' : x === -Infinity ? '-Inf' : 'NaN');
  // R's formatC(x, digits, format = "e"): a two-digit exponent at least
  const [m, e] = x.toExponential(digits).split('e');
  const ev = Number(e);
  return `${m}e${ev < 0 ? '-' : '+'}${String(Math.abs(ev)).padStart(2, '0')}`;
}

export function formatClmmSummary(fit: ClmmFit): string {
  const lines: string[] = [];
  if (fit.nAGQ >= 2) {
    lines.push(`Cumulative Link Mixed Model fitted with the adaptive Gauss-Hermite \nquadrature approximation with ${fit.nAGQ} quadrature points `, '');
  } else {
    lines.push('Cumulative Link Mixed Model fitted with the Laplace approximation', '');
  }
  lines.push(`formula: ${fit.formula}`);
  if (fit.dataName) lines.push(`data:    ${fit.dataName}`);
  lines.push('');
  const info = {
    link: fit.link, threshold: fit.threshold, nobs: String(fit.nobs), logLik: fit.logLik.toFixed(2), AIC: fit.AIC.toFixed(2),
    niter: `${fit.evaluations}(${fit.iterations})`, 'max.grad': formatE(fit.maxGrad, 2), 'cond.H': formatE(fit.condH, 1),
  };
  lines.push(...printMatrix(Object.values(info).map((v) => [v]), [''], Object.keys(info), false));
  lines.push('', 'Random effects:');
  // as.data.frame(VarCorr)'s rows for lme4's table
  const rows: VarCorrRow[] = [];
  let k = 0;
  while (k < fit.varCorr.length) {
    const g = fit.varCorr[k].group;
    const term: typeof fit.varCorr = [];
    // a term's rows: the first has no correlations, the following have one per earlier row
    do { term.push(fit.varCorr[k]); k++; } while (k < fit.varCorr.length && fit.varCorr[k].group === g && fit.varCorr[k].corr.length === term.length);
    for (const r of term) rows.push({ group: g, var1: r.name, var2: null, vcov: r.variance, sdcor: r.sd });
    term.forEach((r, i) => r.corr.forEach((c, j) => rows.push({ group: g, var1: term[j].name, var2: term[i].name, vcov: c * r.sd * term[j].sd, sdcor: c })));
  }
  lines.push(...varCorrTable(rows, null));
  lines.push(`Number of groups:  ${fit.ngroups.map((g) => `${g.group} ${g.levels}`).join(',  ')} `);
  if (fit.coefficients.length > 0) {
    lines.push('', 'Coefficients:');
    const c = fit.coefficients;
    lines.push(...printCoefmat({ names: c.map((r) => r.name), estimate: c.map((r) => r.estimate), se: c.map((r) => r.se), statistic: c.map((r) => r.z), statName: 'z value', pvalues: c.map((r) => r.p) }));
  } else {
    lines.push('', 'No Coefficients');
  }
  lines.push('', 'Threshold coefficients:');
  const t = fit.thresholdTable;
  lines.push(...printCoefmat({ names: t.map((r) => r.name), estimate: t.map((r) => r.estimate), se: t.map((r) => r.se), statistic: t.map((r) => r.z), statName: 'z value' }));
  if (fit.model.frame.nDropped > 0) lines.push(`(${fit.model.frame.nDropped} observation${fit.model.frame.nDropped === 1 ? '' : 's'} deleted due to missingness)`);
  for (const m of fit.messages) lines.push(`note: ${m}`);
  return lines.join('\n') + '\n';
}
