/**
 * insight 0.19.0's number and table formatting, as performance's printouts use it: `format_value`
 * (fixed with `digits` decimals, or C's `%.*e` where |x| ≥ 1e5 or log10 |x| < −digits), `format_ci`
 * ("[lo, hi]" with each side padded to the column's widest) and `export_table`'s text layout (cells
 * joined by " | ", the first column left-aligned, the others right-aligned, a rule of dashes under
 * the header, NA as an empty cell).
 */
import { roundR } from '../results/rFormat.js';

/** C's sprintf("%.*f", digits, x): the nearest decimal (exact ties to even), R's NA/Inf spellings */
export function fixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Inf' : '-Inf';
  const s = roundR(x, digits).toFixed(digits);
  return s === `-${(0).toFixed(digits)}` ? s.slice(1) : s;
}

/** C's sprintf("%.*e", digits, x): two exponent digits at least ("1.64e-03") */
export function scientific(x: number, digits: number): string {
  if (!Number.isFinite(x)) return fixed(x, digits);
  const [m, e] = x.toExponential(digits).split('e');
  const sign = e.startsWith('-') ? '-' : '+';
  const digitsOfE = e.replace(/^[+-]/, '');
  return `${m}e${sign}${digitsOfE.padStart(2, '0')}`;
}

/** insight's format_value(x, digits): NA as `missing` (""); fixed, or scientific for very large or small |x| */
export function formatValue(x: number | null, digits = 2, zapSmall = false): string {
  if (x === null || Number.isNaN(x)) return '';
  const needSci = (Math.abs(x) >= 1e5 || Math.log10(Math.abs(x)) < -digits) && x !== 0;
  return needSci && !zapSmall ? scientific(x, digits) : fixed(x, digits);
}

/** insight's export_table text: a header row, a rule of dashes and the rows; the first column left-aligned */
export function exportTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (cells: string[]) => cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join(' | ');
  const head = line(header);
  return [head, '-'.repeat(head.length), ...rows.map(line)];
}

/** R's print.data.frame(row.names = FALSE) of character columns: each column right-aligned to its widest cell */
export function printDataFrame(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (cells: string[]) => ' ' + cells.map((c, j) => c.padStart(widths[j])).join(' ');
  return [line(header), ...rows.map(line)];
}
