/**
 * psych's print of an ICC result (print.psych, case ICC, digits = 2): the call, the results table as
 * print.data.frame formats it (each column by R's format(x, digits = 2), row names left-justified),
 * the numbers of subjects and judges, and psych's closing remark.
 */
import { formatR, printMatrix } from '../results/rFormat.js';
import type { IccRatersResult } from './iccRaters.js';

export function printIccRaters(x: Pick<IccRatersResult, 'call' | 'results' | 'nObs' | 'nJudge'>, digits = 2): string[] {
  const r = x.results;
  const num = (f: (row: (typeof r)[number]) => number) => formatR(r.map(f), digits);
  const cols = [
    r.map((row) => row.type), num((row) => row.ICC), num((row) => row.F), num((row) => row.df1), num((row) => row.df2),
    num((row) => row.p), num((row) => row.lower), num((row) => row.upper),
  ];
  // print.data.frame right-justifies character columns too
  const width = Math.max(...cols[0].map((s) => s.length));
  cols[0] = cols[0].map((s) => s.padStart(width));
  return [
    `Call: ${x.call}`,
    '',
    'Intraclass correlation coefficients ',
    ...printMatrix(cols, r.map((row) => row.name), ['type', 'ICC', 'F', 'df1', 'df2', 'p', 'lower bound', 'upper bound'], true),
    '',
    // cat("\n Number of subjects =", n, "    Number of Judges = ", k): cat's separating spaces
    ` Number of subjects = ${x.nObs}     Number of Judges =  ${x.nJudge}`,
    'See the help file for a discussion of the other 4 McGraw and Wong estimates,',
  ];
}
