/**
 * sjPlot 2.8.12's HTML of tab_model (tab_model_df, tab_df_content, create_random_effects,
 * create_stats, tab_create_page) for a table of tabModel.ts, byte for byte: `page.content` is the
 * table with the leading spaces removed (sjPlot's rmspc), `page.complete` the indented table in a page
 * with the CSS of css_theme("regression"). sjPlot's markup is kept as it is, including the random-
 * effects rows it leaves without a closing </tr>.
 */
import type { TabModel } from './tabModel.js';

/** the <style> of sjPlot's tab_model page (tab_df_prepare_style with css_theme("regression")) */
export const TAB_MODEL_CSS = `<style>
html, body { background-color: white; }
table { border-collapse:collapse; border:none; }
caption { font-weight: bold; text-align:left; }
td {  }
.thead { border-top: double; text-align:center; font-style:normal; font-weight:bold; padding:0.2cm; }
.tdata { padding:0.2cm; text-align:left; vertical-align:top; }
.arc { background-color:#f2f2f2; }
.summary { padding-top:0.1cm; padding-bottom:0.1cm; }
.summarydata { text-align:left; }
.fixedparts { font-weight:bold; text-align:left; }
.randomparts { font-weight:bold; text-align:left; padding-top:.8em; }
.zeroparts { font-weight:bold; text-align:left; padding-top:.8em; }
.simplexparts { font-weight:bold; text-align:left; padding-top:.8em; }
.lasttablerow { border-bottom: double; }
.firsttablerow {  }
.firstsumrow { border-top:1px solid; }
.labelcellborder { border-bottom:1px solid; }
.depvarhead { text-align:center; border-bottom:1px solid; font-style:italic; font-weight:normal; }
.depvarheadnodv { border-top: double; text-align:center; border-bottom:1px solid; font-style:italic; font-weight:normal; }
.leftalign { text-align:left; }
.centeralign { text-align:center; }
.firsttablecol { text-align:left; }
.footnote { font-style:italic; border-top:double black; text-align:right; }
.subtitle { font-weight: normal; }
.modelcolumn1 {  }
.modelcolumn2 {  }
.modelcolumn3 {  }
.modelcolumn4 {  }
.modelcolumn5 {  }
.modelcolumn6 {  }
.modelcolumn7 {  }
.col1 {  }
.col2 {  }
.col3 {  }
.col4 {  }
.col5 {  }
.col6 {  }
</style>`;

/** sjPlot's rmspc: the indentation before each tag removed */
export function rmspc(html: string): string {
  return html.split('      <').join('<').split('    <').join('<').split('  <').join('<');
}

/** the indented table (page.complete's) and page.content */
export function renderHtml(t: TabModel): { indented: string; content: string } {
  const ncol = t.columns.length + 1;
  let s = '';
  if (t.dvLabels.length > 0) {
    s += '  <tr>\n    <th class="thead firsttablerow firsttablecol col1">&nbsp;</th>\n';
    t.dvLabels.forEach((label, i) => {
      const colspan = t.columns.filter((c) => `_${c.model}`.endsWith(`_${i + 1}`)).length;
      s += `    <th colspan="${colspan}" class="thead firsttablerow">${label}</th>\n`;
    });
    s += '  </tr>\n';
  }
  // the column headers: tab_df_content's <th class="thead …"> turned into <td class="depvarhead …">
  const headClass = t.dvLabels.length > 0 ? 'depvarhead' : 'depvarheadnodv';
  s += '  <tr>\n';
  s += `    <td class="${headClass} firsttablerow firsttablecol col1">${t.predictorsHeader}</td>\n`;
  t.columns.forEach((c, j) => { s += `    <td class="${headClass} firsttablerow col${j + 2}">${c.header}</td>\n`; });
  s += '  </tr>\n';
  for (const row of t.rows) {
    s += '  <tr>\n';
    s += `    <td class="tdata firsttablecol col1">${row.label}</td>\n`;
    // modelcolumn: the last digit of the column's model number (sjPlot's regex on `estimate_i`)
    row.cells.forEach((cell, j) => { s += `    <td class="tdata centeralign modelcolumn${t.columns[j].model % 10} col${j + 2}">${cell}</td>\n`; });
    s += '</tr>\n';
  }
  if (t.randomHeading) s += `  <tr>\n    <td colspan="${ncol}" class="randomparts">Random Effects</td>\n  </tr>\n`;
  for (const r of t.summary) {
    const cells = (cls: string) => r.cells.map((c) => `    <td class="${cls}" colspan="${c.colspan}">${c.text}</td>\n`).join('');
    if (r.kind === 'sigma2') {
      s += `\n  <tr>\n    <td class="tdata leftalign summary">${r.label}</td>\n${cells('tdata summary summarydata')}  </tr>\n`;
    } else if (r.kind === 'tau00' || r.kind === 'tau11' || r.kind === 'rho01' || r.kind === 'icc' || r.kind === 'ngroups') {
      // create_random_effects: no closing </tr>
      s += `\n  <tr>\n    <td class="tdata leftalign summary">${r.label}</td>\n${cells('tdata summary summarydata')}`;
    } else {
      const first = r.firstSumRow ? ' firstsumrow' : '';
      s += `  <tr>\n    <td class="tdata leftalign summary${first}">${r.label}</td>\n${cells(`tdata summary summarydata${first}`)}  </tr>\n`;
    }
  }
  if (t.footnote !== null) s += `  <tr>\n    <td colspan="${ncol}" class="footnote">${t.footnote}</td>\n</tr>\n`;
  const caption = t.title !== null ? `<caption>${t.title}</caption>\n` : '';
  const indented = `<table>\n${caption}${s}\n</table>\n`;
  return { indented, content: rmspc(indented) };
}

/** sjPlot's page.complete (tab_create_page) */
export function renderPage(t: TabModel): string {
  return `<html>\n<head>\n<meta http-equiv="Content-type" content="text/html;charset=UTF-8">\n${TAB_MODEL_CSS}\n</head>\n<body>\n${renderHtml(t).indented}\n</body></html>`;
}
