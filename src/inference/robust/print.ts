/**
 * clubSandwich's printouts (print.coef_test_clubSandwich, print.conf_int_clubSandwich,
 * print.Wald_test_clubSandwich): the table formatted by format(…, digits = 3), p-values by
 * format.pval(digits = 3, eps = 0.001) with significance stars, printed without row names.
 */
import { formatPval, formatR, printMatrix } from '../../results/rFormat.js';
import type { CoefTest, ConfInt } from './coefTest.js';
import type { WaldTest } from './waldTest.js';

const DIGITS = 3;

/** cut(p, c(0, .001, .01, .05, .1, 1), c("***", "**", "*", ".", " "), include.lowest = TRUE) */
function stars(p: number): string {
  if (!(p >= 0 && p <= 1)) return 'NA';
  return p <= 0.001 ? '***' : p <= 0.01 ? '**' : p <= 0.05 ? '*' : p <= 0.1 ? '.' : ' ';
}

const pvals = (ps: number[]) => formatPval(ps, DIGITS, 10 ** -DIGITS);

/** print(coef_test(...)) */
export function printCoefTest(ct: CoefTest): string[] {
  const r = ct.rows;
  const names = ['Coef.', 'Estimate', 'SE', 't-stat'];
  const cols: string[][] = [r.map((x) => x.coef), formatR(r.map((x) => x.beta), DIGITS), formatR(r.map((x) => x.se), DIGITS), formatR(r.map((x) => x.t), DIGITS)];
  const ps = r.map((x) => x.p);
  if (ct.test === 'saddlepoint') {
    names.push('s.p.', 'p-val (Saddle)', 'Sig.');
    cols.push(formatR(r.map((x) => x.saddlepoint!), DIGITS), pvals(ps), ps.map(stars));
  } else {
    const label = { z: 'z', 'naive-t': 'naive-t', 'naive-tp': 'naive-tp', Satterthwaite: 'Satt' }[ct.test];
    names.push(`d.f. (${label})`, `p-val (${label})`, 'Sig.');
    cols.push(formatR(r.map((x) => x.df), DIGITS), pvals(ps), ps.map(stars));
  }
  return printMatrix(cols, r.map(() => ''), names, true);
}

/** print(conf_int(...)) */
export function printConfInt(ci: ConfInt): string[] {
  const r = ci.rows;
  const lev = `${formatR([100 * ci.level], 15)[0].trim()}%`;
  const names = ['Coef.', 'Estimate', 'SE', 'd.f.', `Lower ${lev} CI`, `Upper ${lev} CI`];
  const cols = [r.map((x) => x.coef), ...[r.map((x) => x.beta), r.map((x) => x.se), r.map((x) => x.df), r.map((x) => x.lower), r.map((x) => x.upper)].map((c) => formatR(c, DIGITS))];
  return printMatrix(cols, r.map(() => ''), names, true);
}

/** print(Wald_test(...)) */
export function printWaldTest(w: WaldTest): string[] {
  const r = w.rows;
  const names = ['test', 'Fstat', 'df_num', 'df_denom', 'p_val', 'sig'];
  const cols = [
    r.map((x) => x.test), formatR(r.map((x) => x.Fstat), DIGITS), formatR(r.map((x) => x.dfNum), DIGITS), formatR(r.map((x) => x.dfDenom), DIGITS),
    pvals(r.map((x) => x.p)), r.map((x) => (Number.isNaN(x.p) ? '' : stars(x.p))),
  ];
  return printMatrix(cols, r.map(() => ''), names, true);
}
