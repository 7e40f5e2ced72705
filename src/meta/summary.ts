/**
 * metafor's printouts (print.rma.uni, print.rma.mv of metafor 3.8-1, default digits 4), line for
 * line: the header, τ²/τ/I²/H²/R² (or the variance components), the heterogeneity test, the test of
 * moderators, the coefficient table with significance stars and the legend. Lines keep metafor's
 * trailing spaces (its tables are printed with cat(line, "\n")).
 */
import type { RmaMvResult, RmaUniResult } from './results.js';

const DIGITS = 4;
const EPS10 = 2.220446049250313e-16 * 10;
const LEGEND = 'Signif. codes:  0 ‘***’ 0.001 ‘**’ 0.01 ‘*’ 0.05 ‘.’ 0.1 ‘ ’ 1';

/** formatC(x, format = "f", digits) (metafor's .fcf), NA as 'NA'. */
export function fcf(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'NA';
  if (!Number.isFinite(x)) return x > 0 ? 'Inf' : '-Inf';
  return x.toFixed(digits);
}

/** metafor's .pval: '< .0001' style below the cutoff. */
export function pval(p: number, digits = DIGITS, showeq = false, sep = ''): string {
  const cutoff = `.${'0'.repeat(digits - 1)}1`;
  if (Number.isNaN(p)) return `${showeq ? '=' : ''}${sep}NA`;
  return p >= Number(cutoff) ? `${showeq ? '=' : ''}${sep}${p.toFixed(digits)}` : `<${sep}${cutoff}`;
}

/** R's symnum stars for p-values. */
function stars(p: number): string {
  if (Number.isNaN(p)) return '';
  return p <= 0.001 ? '***' : p <= 0.01 ? '**' : p <= 0.05 ? '*' : p <= 0.1 ? '.' : ' ';
}

const padL = (s: string, w: number) => s.padStart(w);
const padR = (s: string, w: number) => s.padEnd(w);

/** print(table, quote = FALSE, right = TRUE, print.gap = 2): row names left, columns right-aligned. */
function printTable(colNames: string[], rowNames: string[], cols: string[][]): string[] {
  const wr = Math.max(0, ...rowNames.map((r) => r.length));
  const widths = colNames.map((c, j) => Math.max(c.length, ...cols[j].map((v) => v.length)));
  const lines = [padR('', wr) + colNames.map((c, j) => `  ${padL(c, widths[j])}`).join('')];
  rowNames.forEach((r, i) => lines.push(padR(r, wr) + cols.map((col, j) => `  ${padL(col[i], widths[j])}`).join('')));
  return lines.map((l) => `${l} `);
}

/** metafor's .print.vector for a one-row table (no row name). */
function printVector(colNames: string[], values: string[]): string[] {
  const w = colNames.map((c, j) => Math.max(c.length, values[j].length));
  return [colNames.map((c, j) => padL(c, w[j])).join('  '), values.map((v, j) => padL(v, w[j])).join('  ')].map((l) => `${l} `);
}

/** .format.btt: coefficient indices (1-based) as 2:3 or 2,4. */
function formatBtt(btt: number[]): string {
  const b = [...btt].sort((x, y) => x - y);
  if (b.length === 1) return String(b[0]);
  const parts: string[] = [];
  let i = 0;
  while (i < b.length) {
    let j = i;
    while (j + 1 < b.length && b[j + 1] === b[j] + 1) j++;
    parts.push(j > i ? `${b[i]}:${b[j]}` : String(b[i]));
    i = j + 1;
  }
  return parts.join(',');
}

interface CoefLike {
  coef: RmaUniResult['coef'];
  test: 'z' | 'knha' | 't';
  ddf: number | null;
  p: number;
  k: number;
  het: RmaUniResult['het'];
  moderators: RmaUniResult['moderators'];
}

function heterogeneityLines(x: CoefLike, intOnly: boolean): string[] {
  if (Number.isNaN(x.het.QE)) return [];
  const df = x.k - x.p;
  const stat = `${fcf(x.het.QE, DIGITS)}, p-val ${pval(x.het.QEp, DIGITS, true, ' ')}`;
  return intOnly
    ? ['Test for Heterogeneity:', `Q(df = ${df}) = ${stat}`, '']
    : ['Test for Residual Heterogeneity:', `QE(df = ${df}) = ${stat}`, ''];
}

function moderatorLines(x: CoefLike): string[] {
  const m = x.moderators;
  if (x.p <= 1 || Number.isNaN(m.QM)) return [];
  const btt = formatBtt(m.btt.map((b) => b + 1));
  const head = `Test of Moderators (coefficient${m.btt.length === 1 ? ' ' : 's '}${btt}):`;
  const line = x.test === 'z'
    ? `QM(df = ${m.QMdf[0]}) = ${fcf(m.QM, DIGITS)}, p-val ${pval(m.QMp, DIGITS, true, ' ')}`
    : `F(df1 = ${m.QMdf[0]}, df2 = ${Math.round((m.QMdf[1] ?? NaN) * 100) / 100}) = ${fcf(m.QM, DIGITS)}, p-val ${pval(m.QMp, DIGITS, true, ' ')}`;
  return [head, line, ''];
}

function coefficientLines(x: CoefLike, intOnly: boolean): string[] {
  const c = x.coef;
  const t = x.test !== 'z';
  const names = t ? ['estimate', 'se', 'tval', 'df', 'pval', 'ci.lb', 'ci.ub', ''] : ['estimate', 'se', 'zval', 'pval', 'ci.lb', 'ci.ub', ''];
  const f = (a: Float64Array) => Array.from(a, (v) => fcf(v, DIGITS));
  const cols = [f(c.beta), f(c.se), f(c.stat)];
  if (t) cols.push(c.names.map(() => String(Math.round((x.ddf ?? NaN) * 100) / 100)));
  cols.push(Array.from(c.pval, (p) => pval(p)), f(c.ciLb), f(c.ciUb));
  const s = Array.from(c.pval, stars);
  const w = Math.max(...s.map((v) => v.length));
  cols.push(s.map((v) => v.padStart(w)));
  if (intOnly) return printVector(names, cols.map((col) => col[0]));
  return printTable(names, c.names, cols);
}

function tail(): string[] {
  return ['', '---', LEGEND, ''];
}

/** print.rma.uni */
export function formatRmaUni(x: RmaUniResult, intOnly: boolean): string[] {
  const lines: string[] = [''];
  const ee = x.method === 'EE';
  if (ee) lines.push(`${intOnly ? 'Equal-Effects Model' : 'Fixed-Effects with Moderators Model'} (k = ${x.k})`);
  else lines.push(`${intOnly ? 'Random-Effects Model' : 'Mixed-Effects Model'} (k = ${x.k}; tau^2 estimator: ${x.method})`);
  lines.push('');
  if (!ee) {
    const dv = Math.abs(x.tau2) <= EPS10 ? 0 : DIGITS;
    const se = Number.isNaN(x.seTau2) ? '' : ` (SE = ${fcf(x.seTau2, DIGITS)})`;
    const tau = x.tau2 >= 0 ? fcf(Math.sqrt(x.tau2), x.tau2 <= EPS10 ? 0 : DIGITS) : 'NA';
    if (intOnly) {
      lines.push(`tau^2 (estimated amount of total heterogeneity): ${fcf(x.tau2, dv)}${se}`);
      lines.push(`tau (square root of estimated tau^2 value):      ${tau}`);
    } else {
      lines.push(`tau^2 (estimated amount of residual heterogeneity):     ${fcf(x.tau2, dv)}${se}`);
      lines.push(`tau (square root of estimated tau^2 value):             ${tau}`);
    }
  }
  if (intOnly) {
    if (!Number.isNaN(x.I2)) lines.push(`I^2 (total heterogeneity / total variability):   ${fcf(x.I2, 2)}%`);
    if (!Number.isNaN(x.H2)) lines.push(`H^2 (total variability / sampling variability):  ${fcf(x.H2, 2)}`);
  } else {
    if (!Number.isNaN(x.I2)) lines.push(`I^2 (residual heterogeneity / unaccounted variability): ${fcf(x.I2, 2)}%`);
    if (!Number.isNaN(x.H2)) lines.push(`H^2 (unaccounted variability / sampling variability):   ${fcf(x.H2, 2)}`);
  }
  if (!intOnly && x.R2 !== null) lines.push(`R^2 (amount of heterogeneity accounted for):            ${fcf(x.R2, 2)}%`);
  if (!ee || !Number.isNaN(x.I2) || !Number.isNaN(x.H2) || (!intOnly && x.R2 !== null)) lines.push('');
  lines.push(...heterogeneityLines(x, intOnly), ...moderatorLines(x), 'Model Results:', '', ...coefficientLines(x, intOnly), ...tail());
  return lines;
}

/** print.rma.mv (nested random intercepts: the σ² components) */
export function formatRmaMv(x: RmaMvResult, intOnly: boolean): string[] {
  const lines: string[] = ['', `Multivariate Meta-Analysis Model (k = ${x.k}; method: ${x.method})`, '', 'Variance Components:', ''];
  const rows = x.sigma2.length === 1 ? ['sigma^2  '] : x.sigma2.map((_, i) => `sigma^2.${i + 1}`);
  lines.push(...printTable(['estim', 'sqrt', 'nlvls', 'fixed', 'factor'], rows, [
    x.sigma2.map((s) => fcf(s, DIGITS)), x.sigma2.map((s) => fcf(Math.sqrt(s), DIGITS)),
    x.sigma2Levels.map(String), x.sigma2.map(() => 'no'), x.sigma2Names,
  ]), '');
  lines.push(...heterogeneityLines(x, intOnly), ...moderatorLines(x), 'Model Results:', '', ...coefficientLines(x, intOnly), ...tail());
  return lines;
}
