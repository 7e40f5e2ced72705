/**
 * ggeffects 1.2.0's printout of adjusted predictions (print.ggeffects, .print_block, insight's
 * export_table and format_ci), with its default n and digits = 2:
 *   # <title>
 *   (a block per group, or per group and facet: "# f = a" / "# h = hi", facets in the sorted order of
 *    their labels, as R's tapply of the label strings)
 *   x | Predicted | 95% CI        — a sample of each block's rows: all of them up to n, else the rows
 *                                   round(1, quantile(1:N, (1:(n−2))/n), N); n = 8 for one block,
 *                                   6 for 2–3, 5 for 4–5, 4 for more
 *   Adjusted for:
 *   * name = value                — names right-aligned, values right-aligned to the widest value
 *                                   that is not "0 (population-level)" (glmmTMB fits: "NA (population-level)"); numbers to 2 decimals
 *   Intervals are prediction intervals.   (ggeffects's message, type random)
 * Numbers are rounded to 2 decimals (R's round), then written with 2 decimals — as whole numbers
 * where a column's values all are (insight's protect_integers), in scientific notation from 1e5 —;
 * the interval's ends always with 2 decimals (insight's format_ci); a factor column is left-aligned, numeric columns and the interval right-aligned.
 */
import { roundR, sprintfE } from '../results/rFormat.js';
import { quantile7 } from '../frame/basis/bspline.js';
import type { GridValue } from './referenceGrid.js';
import type { GgEffects, GgRow } from './ggpredict.js';

const DIGITS = 2;

/** insight's format_value after ggeffects's rounding: %.2f, %.2e from 1e5 */
function formatNumber(x: number, integers: boolean): string {
  if (Number.isNaN(x)) return 'NA';
  const v = roundR(x, DIGITS);
  if (integers) return String(v);
  if (Math.abs(v) >= 1e5) return sprintfE(v, DIGITS);
  return v.toFixed(DIGITS);
}

/** a numeric column's strings: whole numbers alone protected */
function numericColumn(xs: number[]): string[] {
  const integers = xs.every((x) => Number.isFinite(x) && Number.isInteger(roundR(x, DIGITS)));
  return xs.map((x) => formatNumber(x, integers));
}

/** R's as.character of a value (15 significant digits) */
const label = (v: GridValue): string => (typeof v === 'number' ? String(Number(v.toPrecision(15))) : v);

/** R's round (IEC 60559, half to even at .5) of 1-based positions */
const roundHalfEven = (x: number) => {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
};

/** .get_sample_rows: indices (0-based) of the rows shown */
function sampleRows(nr: number, n: number): number[] {
  if (n >= nr) return Array.from({ length: nr }, (_, i) => i);
  const pos = Array.from({ length: nr }, (_, i) => i + 1);
  const q = quantile7(pos, Array.from({ length: n - 2 }, (_, k) => (k + 1) / n));
  return [1, ...q, nr].map((v) => roundHalfEven(v) - 1);
}

/** one block: header, dashes, rows (export_table's layout) */
function block(rows: GgRow[], xName: string, level: number, n: number): string[] {
  const shown = sampleRows(rows.length, n).map((i) => rows[i]);
  const xNumeric = shown.every((r) => typeof r.x === 'number');
  const xs = xNumeric ? numericColumn(shown.map((r) => r.x as number)) : shown.map((r) => String(r.x));
  const pred = numericColumn(shown.map((r) => r.predicted));
  const hasCi = shown.some((r) => Number.isFinite(r.conf_low));
  const columns: { head: string; cells: string[]; left: boolean }[] = [
    { head: xName, cells: xs, left: !xNumeric },
    { head: 'Predicted', cells: pred, left: false },
  ];
  if (hasCi) {
    // format_ci(width = "auto"): the lower ends padded to their widest, the upper ends likewise
    // (insight's format_ci writes every end with 2 decimals: no whole numbers protected, 0.00 and 1.00 as such)
    const lo = shown.map((r) => formatNumber(r.conf_low, false)), hi = shown.map((r) => formatNumber(r.conf_high, false));
    const wl = Math.max(...lo.map((s) => s.length)), wh = Math.max(...hi.map((s) => s.length));
    const pct = Number((100 * level).toPrecision(6));
    columns.push({ head: `${pct}% CI`, cells: lo.map((l, i) => `[${l.padStart(wl)}, ${hi[i].padStart(wh)}]`), left: false });
  }
  const widths = columns.map((c) => Math.max(c.head.length, ...c.cells.map((s) => s.length)));
  const cell = (s: string, k: number) => (columns[k].left ? s.padEnd(widths[k]) : s.padStart(widths[k]));
  const line = (cells: string[]) => cells.map(cell).join(' | ').replace(/\s+$/, '');
  const out = [line(columns.map((c) => c.head))];
  out.push('-'.repeat(widths.reduce((s, w) => s + w, 0) + 3 * (widths.length - 1)));
  shown.forEach((_, i) => out.push(line(columns.map((c) => c.cells[i]))));
  return out;
}

/** print.ggeffects's lines */
export function formatGgEffects(g: GgEffects): string {
  const lines: string[] = [`# ${g.title}`];
  const terms = g.terms;
  const hasGroup = terms.length > 1 && new Set(g.rows.map((r) => r.group)).size > 1;
  const hasFacet = terms.length > 2 && new Set(g.rows.map((r) => r.facet)).size > 1;
  // the names of the group and facet terms, right-justified to a common width with three terms
  const names = terms.length > 2 ? (() => { const w = Math.max(...terms.slice(1).map((t) => t.length)); return [terms[0], ...terms.slice(1).map((t) => t.padStart(w))]; })() : terms;
  const nBlocks = (hasGroup ? new Set(g.rows.map((r) => r.group)).size : 1) * (hasFacet ? new Set(g.rows.map((r) => r.facet)).size : 1);
  const n = nBlocks >= 6 ? 4 : nBlocks >= 4 ? 5 : nBlocks >= 2 ? 6 : 8;
  if (!hasGroup) {
    lines.push('');
    lines.push(...block(g.rows, terms[0], g.level, n));
  } else {
    // groups in their order of appearance; facets by their labels' sorted order
    const groupLabel = (r: GgRow) => `${names[1]} = ${label(r.group!)}`;
    const facetLabel = (r: GgRow) => (hasFacet ? `${names[2]} = ${label(r.facet!)}` : '');
    const groups = [...new Set(g.rows.map(groupLabel))];
    const facets = [...new Set(g.rows.map(facetLabel))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const f of facets) {
      for (const gr of groups) {
        const rows = g.rows.filter((r) => groupLabel(r) === gr && facetLabel(r) === f);
        if (rows.length === 0) continue;
        lines.push('', `# ${gr}`, ...(hasFacet ? [`# ${f}`] : []), '');
        lines.push(...block(rows, terms[0], g.level, n));
      }
    }
  }
  if (g.constantValues.length > 0) {
    const cv = g.constantValues.map((c) => ({ name: c.name, value: c.population ? `${g.populationLabel} (population-level)` : typeof c.value === 'number' ? c.value.toFixed(2) : c.value, population: c.population }));
    const wName = Math.max(...cv.map((c) => c.name.length));
    const wValue = Math.max(0, ...cv.filter((c) => !c.population).map((c) => c.value.length));
    lines.push('', 'Adjusted for:', ...cv.map((c) => `* ${c.name.padStart(wName)} = ${c.value.padStart(wValue)}`));
  }
  if (g.predictionInterval) lines.push('', 'Intervals are prediction intervals.');
  return lines.join('\n');
}
