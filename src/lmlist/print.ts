/**
 * The printouts of lmList as R 4.2 prints them (default options, width 80): lme4's show() of an
 * lmList4 (the call, coef()'s data frame, the pooled df and residual SD), nlme's
 * print.summary.lmList (which prints lme4's summary: per coefficient the groups' table), and
 * print() of confint's lmList4.confint array (one matrix per coefficient).
 * Differences from R, on purpose: the Call line is built from the formula and the data's name (R
 * deparses the call, wrapping long ones), and the summary's Model line names the grouping factor
 * where lme4 1.1-31 prints "NULL" (its summary does not set the groupsForm that nlme's printer reads).
 */
import { formatR, printMatrix } from '../results/rFormat.js';
import type { LmList, LmListConfint, LmListSummary, RValue } from './lmList.js';

/** R's format(x, digits = 7) of a numeric vector: finite values formatted together, NA, NaN, Inf in the common width. */
export function formatColumn(values: readonly RValue[], digits = 7): string[] {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const f = finite.length ? formatR(finite, digits) : [];
  let k = 0;
  const cells = values.map((v) => {
    if (v === null) return 'NA';
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? 'Inf' : '-Inf';
    return f[k++];
  });
  const w = Math.max(0, ...cells.map((c) => c.length));
  return cells.map((c) => c.padStart(w));
}

/** print() of a numeric matrix given by columns (each column formatted on its own, as R's print.default). */
function printNumericMatrix(columns: RValue[][], rowNames: string[], colNames: string[]): string[] {
  return printMatrix(columns.map((c) => formatColumn(c)), rowNames, colNames, true);
}

/** The call as lme4's show() prints it (`Call: lmList(formula = …, data = …)`). */
function callLine(x: LmList): string {
  return `Call: lmList(formula = ${x.formula.text.trim()}, data = ${x.dataName}${x.pool ? '' : ', pool = FALSE'}) `;
}

/** lme4's show() of an lmList4. */
export function printLmList(x: LmList): string[] {
  const cf = x.coef();
  const lines = [callLine(x), 'Coefficients:'];
  lines.push(...printNumericMatrix(cf.names.map((_, j) => cf.values.map((row) => row[j])), cf.groups, cf.names));
  if (x.pool) {
    const { sd, df } = x.pooledSD();
    const total = x.groups.reduce((s, g) => s + (g.fit ? g.fit.fitted.length : 0), 0);
    lines.push('', `Degrees of freedom: ${total} total; ${df} residual`, `Residual standard error: ${formatR([sd], 7)[0]}`);
  }
  return lines;
}

/** nlme's print.summary.lmList of lme4's summary.lmList4. */
export function printLmListSummary(x: LmList, s: LmListSummary): string[] {
  const lines = ['Call:', `  Model: ${x.formula.model.text} | ${x.formula.group} `, `   Data: ${x.dataName} `, '', 'Coefficients:'];
  s.names.forEach((name, c) => {
    lines.push(`   ${name} `);
    lines.push(...printNumericMatrix([s.estimate[c], s.se[c], s.t[c], s.p[c]], s.groups, ['Estimate', 'Std. Error', `${s.statistic} value`, `Pr(>|${s.statistic}|)`]));
  });
  if (s.pool) lines.push('', `Residual standard error: ${formatR([s.RSE!], 7)[0]} on ${s.dfResidual} degrees of freedom`);
  lines.push('');
  return lines;
}

/** print() of lme4's lmList4.confint: one groups × (lower, upper) matrix per coefficient. */
export function printLmListConfint(ci: LmListConfint): string[] {
  const lines = ['An object of class "lmList4.confint"'];
  ci.names.forEach((name, c) => {
    lines.push(`, , ${name}`, '');
    lines.push(...printNumericMatrix([ci.lower[c], ci.upper[c]], ci.groups, ci.columns));
    lines.push('');
  });
  return lines;
}
