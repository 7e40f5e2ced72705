/**
 * mitml 0.4-4's tables (its `.formatTable`): each column by sprintf("%.<digits>f"), or "%.<digits>e"
 * where the column holds a value ≥ 10^5; every cell right-justified to the widest cell or column
 * name; the row names left-justified; cells separated by one space (cat's).
 */
import { sprintfE } from '../results/rFormat.js';

export function formatMiTable(colnames: string[], rownames: string[], rows: number[][], digits: number | number[] = 3, sciLimit = 5): string[] {
  const dig = colnames.map((_, j) => (Array.isArray(digits) ? digits[j] : digits));
  const large = colnames.map((_, j) => rows.some((r) => r[j] >= 10 ** sciLimit));
  // x + 0: R's way of printing −0 as 0
  const cells = rows.map((r) => r.map((x, j) => {
    const v = x + 0 === 0 ? 0 : x;
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? 'Inf' : '-Inf';
    return large[j] ? sprintfE(v, dig[j]) : v.toFixed(dig[j]);
  }));
  const width = Math.max(...colnames.map((c) => c.length), ...cells.flat().map((c) => c.length));
  const rw = Math.max(0, ...rownames.map((r) => r.length));
  const pad = (s: string) => s.padStart(width);
  const out = [[''.padEnd(rw), ...colnames.map(pad)].join(' ')];
  cells.forEach((r, i) => out.push([rownames[i].padEnd(rw), ...r.map(pad)].join(' ')));
  return out;
}
