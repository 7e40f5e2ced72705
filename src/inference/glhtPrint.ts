/**
 * multcomp 1.4-22's printouts of glht objects (R 4.2, digits = max(3, getOption("digits") − 3) = 4):
 * print.glht (the estimates), print.summary.glht (printCoefmat of the estimates, SEs, statistics and
 * p-values, p below the integration error's power of ten as `<1e-05`), print.summary.gtest (the global
 * test's data frame) and print.confint.glht (the quantile, then format(nsmall = digits) of the intervals).
 * The Fit line names the model's formula (R prints the fit's call, with the data's name).
 */
import { formatR, printMatrix, roundR } from '../results/rFormat.js';
import { printCoefmat } from './format.js';
import { deparseNumber } from './glhtLinfct.js';
import type { Glht, GlhtConfint, GlhtGlobalResult, GlhtTestResult } from './glht.js';

const DIGITS = 4;

const altSymbol = (g: Glht) => (g.alternative === 'two.sided' ? '==' : g.alternative === 'less' ? '>=' : '<=');
const hypothesisNames = (g: Glht) => g.rowNames.map((r, i) => `${r} ${altSymbol(g)} ${deparseNumber(g.rhs[i])}`);

function header(g: Glht, title: string, fit: boolean): string[] {
  const out = ['', `\t ${title}`, ''];
  if (g.type !== null) out.push(`Multiple Comparisons of Means: ${g.type} Contrasts`, '', '');
  if (fit) out.push(...g.fitCall.map((l, i) => (i === 0 ? `Fit: ${l}` : l)), '');
  return out;
}

/** print.glht: the hypotheses' estimates */
export function printGlht(g: Glht): string[] {
  const est = formatR(g.estimate, DIGITS);
  return [...header(g, 'General Linear Hypotheses', false), 'Linear Hypotheses:', ...printMatrix([est], hypothesisNames(g), ['Estimate'], true), ''];
}

/** multcomp's eps.Pvalue: 10^−s, s = which.min(|1/error − 10^(1:10)|), or ε where no error */
function epsOf(error: number): number {
  if (!(error > Number.EPSILON)) return Number.EPSILON;
  let best = 1, gap = Infinity;
  for (let s = 1; s <= 10; s++) { const d = Math.abs(1 / error - Math.pow(10, s)); if (d < gap) { gap = d; best = s; } }
  return Math.pow(10, -best);
}

/** print.summary.glht and print.summary.gtest */
export function printGlhtSummary(g: Glht, r: GlhtTestResult | GlhtGlobalResult): string[] {
  if (!('estimate' in r)) {
    const lines = printGlht(g);
    lines.push('Global Test:');
    const cols = r.test === 'Chisq'
      ? [formatR([r.statistic], DIGITS), [String(r.df[0])], formatR([r.pValue], DIGITS)]
      : [formatR([r.statistic], DIGITS), [String(r.df[0])], [String(r.df[1])], formatR([r.pValue], DIGITS)];
    const names = r.test === 'Chisq' ? ['Chisq', 'DF', 'Pr(>Chisq)'] : ['F', 'DF1', 'DF2', 'Pr(>F)'];
    return [...lines, ...printMatrix(cols, ['1'], names, true)];
  }
  const z = g.df === 0 ? 'z' : 't';
  const pname = g.alternative === 'less' ? `Pr(<${z})` : g.alternative === 'greater' ? `Pr(>${z})` : `Pr(>|${z}|)`;
  const table = printCoefmat(
    { rowNames: hypothesisNames(g), colNames: ['Estimate', 'Std. Error', `${z} value`, pname], columns: [r.estimate, r.se, r.statistic, r.pValue] },
    { digits: DIGITS, hasPvalue: true, epsPvalue: epsOf(r.error) },
  );
  const note = r.test === 'univariate' ? '(Univariate p values reported)' : `(Adjusted p values reported -- ${r.test} method)`;
  return [...header(g, 'Simultaneous Tests for General Linear Hypotheses', true), 'Linear Hypotheses:', ...table, note, ''];
}

/** print.confint.glht */
export function printGlhtConfint(g: Glht, c: GlhtConfint): string[] {
  const lines = header(g, 'Simultaneous Confidence Intervals', true);
  lines.push(`Quantile = ${formatR([roundR(c.quantile, 4)], 7)[0].trim()}`);
  const level = formatR([c.level * 100], 15)[0].trim();
  lines.push(c.calpha === 'adjusted' ? `${level}% family-wise confidence level` : `${level}% confidence level`, ' ', '');
  lines.push('Linear Hypotheses:');
  // format(x$confint, nsmall = digits, digits = digits): one common format for the whole matrix
  const k = c.estimate.length;
  const all = formatR([...c.estimate, ...c.lower, ...c.upper], DIGITS, DIGITS);
  const cols = [all.slice(0, k), all.slice(k, 2 * k), all.slice(2 * k)];
  lines.push(...printMatrix(cols, hypothesisNames(g), ['Estimate', 'lwr', 'upr'], false), '');
  return lines;
}
