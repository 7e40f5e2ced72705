/**
 * ordinal's print.summary.clmm as text: the approximation, formula and data; the info line (link,
 * threshold, nobs, logLik, AIC, niter, max.grad, cond.H); the random effects' table (formatVC,
 * 4 digits) and the number of groups; the coefficients with z tests and the threshold coefficients
 * (printCoefmat, 4 digits). `niter` is our objective evaluations and, in parentheses, the inner
 * Newton iterations (clmm's neval(Niter)).
 */
import { printCoefmat } from '../results/lme4Print.js';
import { formatR, printMatrix, roundR } from '../results/rFormat.js';
import type { ClmmFit } from './clmmFit.js';

function formatE(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x === Infinity ? 'Inf' : x === -Infinity ? '-Inf' : 'NaN');
  // R's formatC(x, digits, format = "e"): a two-digit exponent at least
  const [m, e] = x.toExponential(digits).split('e');
  const ev = Number(e);
  return `${m}e${ev < 0 ? '-' : '+'}${String(Math.abs(ev)).padStart(2, '0')}`;
}

/**
 * ordinal's formatVC: Groups, Name, Variance and Std.Dev. (each formatted with 4 significant digits),
 * and for vector terms the correlations, format(round(r, 3), nsmall = 3) per term, lower triangle.
 */
function formatVC(fit: ClmmFit): string[] {
  // the terms: runs of rows whose correlations grow by one (a term's first row has none)
  const terms: (typeof fit.varCorr)[] = [];
  for (const r of fit.varCorr) {
    const last = terms[terms.length - 1];
    if (last && r.group === last[0].group && r.corr.length === last.length) last.push(r);
    else terms.push([r]);
  }
  const rows = terms.flat();
  const cols = [
    terms.flatMap((t) => t.map((_, i) => (i === 0 ? t[0].group : ''))),
    rows.map((r) => r.name),
    formatR(rows.map((r) => r.variance), 4),
    formatR(rows.map((r) => r.sd), 4),
  ];
  const labels = ['Groups', 'Name', 'Variance', 'Std.Dev.'];
  const maxlen = Math.max(...terms.map((t) => t.length));
  if (maxlen > 1) {
    const corrCols: string[][] = Array.from({ length: maxlen }, () => []);
    for (const t of terms) {
      const q = t.length;
      // the term's whole correlation matrix formatted together (common width), its lower triangle shown
      const full: number[] = [];
      for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) full.push(i === j ? 1 : roundR(i > j ? t[i].corr[j] : t[j].corr[i], 3));
      const cc = formatR(full, 7, 3);
      for (let i = 0; i < q; i++) for (let j = 0; j < maxlen; j++) corrCols[j].push(j < i ? cc[i * q + j] : '');
    }
    corrCols.forEach((c, j) => { cols.push(c); labels.push(j === 0 ? 'Corr' : ''); });
  }
  return printMatrix(cols, rows.map(() => ''), labels, false);
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
  lines.push(...formatVC(fit));
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
