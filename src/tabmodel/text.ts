/**
 * A plain-text rendering of a tabModel table for the terminal: the same cells as sjPlot's HTML, its
 * markup turned into text (&sigma; → σ, <sub>x</sub> → " x", <sup>2</sup> → ², <br> → " "), in
 * columns: the predictors left-aligned, the models' cells right-aligned, the summary rows' cells
 * spanning each model's columns.
 */
import type { TabModel } from './tabModel.js';

const ENTITIES: Record<string, string> = {
  '&sigma;': 'σ', '&tau;': 'τ', '&rho;': 'ρ', '&nbsp;': ' ', '&ndash;': '–', '&#45;': '-', '&lt;': '<', '&gt;': '>', '&amp;': '&',
};

/** sjPlot's HTML cell as text */
export function htmlToText(cell: string): string {
  return cell
    .replace(/<sup>2<\/sup>/g, '²')
    .replace(/<sub>([^<]*)<\/sub>/g, (_m, x: string, at: number, whole: string) => (at > 0 && whole[at - 1] !== ' ' && /^\d+$/.test(x) ? x : ` ${x}`))
    .replace(/<sup>([^<]*)<\/sup>/g, '$1')
    .replace(/<br>/g, ' ')
    .replace(/<[^>]+>/g, '')
    .replace(/&[a-z]+;|&#\d+;/g, (e) => ENTITIES[e] ?? e)
    .replace(/ {2,}/g, ' ')
    .trim();
}

export function renderText(t: TabModel): string {
  const ncol = t.columns.length;
  const body = t.rows.map((r) => [htmlToText(r.label), ...r.cells.map(htmlToText)]);
  const header = [htmlToText(t.predictorsHeader), ...t.columns.map((c) => htmlToText(c.header))];
  const widths = header.map((h, j) => Math.max(h.length, ...body.map((r) => r[j].length)));
  // the summary's labels widen the first column; each model's span takes the widest of its cells
  const summary = t.summary.map((r) => ({ label: htmlToText(r.label), cells: r.cells.map((c) => htmlToText(c.text)) }));
  widths[0] = Math.max(widths[0], ...summary.map((r) => r.label.length), t.randomHeading ? 'Random Effects'.length : 0);
  const modelCols = (m: number) => t.columns.map((c, j) => (c.model === m ? j + 1 : -1)).filter((j) => j > 0);
  const spanWidth = (m: number) => modelCols(m).reduce((a, j) => a + widths[j], 0) + 2 * (modelCols(m).length - 1);
  for (let m = 1; m <= t.nModels; m++) {
    const need = Math.max(...summary.map((r) => r.cells[t.nModels === 1 ? 0 : m - 1]?.length ?? 0), (t.dvLabels[m - 1] ?? '').length, 0);
    const cols = modelCols(m);
    if (cols.length > 0 && need > spanWidth(m)) widths[cols[cols.length - 1]] += need - spanWidth(m);
  }
  const line = (cells: string[]) => cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ').trimEnd();
  const spanned = (label: string, cells: string[]) => [label.padEnd(widths[0]), ...cells.map((c, m) => c.padStart(spanWidth(m + 1)))].join('  ').trimEnd();
  const out: string[] = [];
  if (t.title !== null) out.push(htmlToText(t.title));
  const total = widths.reduce((a, w) => a + w, 0) + 2 * ncol;
  out.push('='.repeat(total));
  if (t.dvLabels.length > 0) out.push(spanned('', t.dvLabels.map((d, m) => htmlToText(d).padStart(Math.min(spanWidth(m + 1), Math.max(htmlToText(d).length, 0))))));
  out.push(line(header));
  out.push('-'.repeat(total));
  for (const r of body) out.push(line(r));
  if (t.randomHeading) {
    out.push('-'.repeat(total));
    out.push('Random Effects');
  }
  let ruled = t.randomHeading;
  for (const r of summary) {
    const first = t.summary[summary.indexOf(r)].firstSumRow;
    if (first || !ruled) { out.push('-'.repeat(total)); ruled = true; }
    out.push(spanned(r.label, r.cells));
  }
  out.push('='.repeat(total));
  if (t.footnote !== null) out.push(htmlToText(t.footnote));
  return `${out.join('\n')}\n`;
}
