/**
 * The printouts of parameters 0.20.2 (print.parameters_model) and of standardize_parameters
 * (print.parameters_standardized), as insight's export_table writes them with digits = 2:
 *  - a block per kind of effect, "# Fixed Effects" / "# Random Effects", a blank line, the table;
 *  - the table: the first column left-aligned, the others right-aligned, each as wide as its widest
 *    cell or header, joined by " | ", under a rule of '-' as long as the header line;
 *  - numbers with 2 decimals (a value below 0.001 in size but not 0 in scientific notation, 1.99e-15),
 *    intervals "[lo, hi]" with each end padded to its column's widest, p-values "< .001" or 3 decimals
 *    and a space (insight's format_p), df as an integer or with 2 decimals;
 *  - the statistic's header "t(ν)" when every row has the same ν, else a df column beside it (always for z);
 *  - the footer sentence on the intervals' and p-values' method, wrapped at 71 columns, the later lines then
 *    indented by 2 (insight's format_message).
 */
import type { ModelParameters, ParameterRow } from './modelParameters.js';
import type { StandardizedParameters } from './standardize.js';

/** insight's format_value with digits 2 */
export function formatValue(x: number | null): string {
  if (x === null || Number.isNaN(x)) return '';
  if (x === Infinity) return 'Inf';
  if (x === -Infinity) return '-Inf';
  if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential(2);
  return x.toFixed(2);
}

/** insight's format_p (digits 3, with the stars column's space) */
export function formatP(p: number | null): string {
  if (p === null || Number.isNaN(p)) return '';
  if (p < 0.001) return '< .001';
  if (p > 0.999) return '> .999';
  return `${p.toFixed(3)} `;
}

/** a df as parameters prints it: an integer as is, else 2 decimals */
export function formatDf(df: number): string {
  return Number.isInteger(df) ? String(df) : df.toFixed(2);
}

/** "[lo, hi]" cells, each end padded to its column's widest */
export function ciCells(lo: (number | null)[], hi: (number | null)[]): string[] {
  const l = lo.map(formatValue), h = hi.map(formatValue);
  const wl = Math.max(...l.map((s) => s.length)), wh = Math.max(...h.map((s) => s.length));
  return l.map((s, i) => (s === '' && h[i] === '' ? '' : `[${s.padStart(wl)}, ${h[i].padStart(wh)}]`));
}

interface Column { header: string; cells: string[] }

/** insight's export_table of text columns: the first left-aligned, the others right-aligned */
export function textTable(columns: Column[]): string[] {
  const widths = columns.map((c) => Math.max(c.header.length, ...c.cells.map((s) => s.length)));
  const line = (cells: string[]) => cells.map((s, k) => (k === 0 ? s.padEnd(widths[k]) : s.padStart(widths[k]))).join(' | ');
  const header = line(columns.map((c) => c.header));
  const n = columns[0].cells.length;
  const out = [header, '-'.repeat(header.length)];
  for (let i = 0; i < n; i++) out.push(line(columns.map((c) => c.cells[i])));
  return out;
}

/** insight's format_message: words wrapped to lines of at most 71 characters, the later lines then indented by 2 */
export function wrapMessage(text: string): string[] {
  const words = text.split(' ');
  // a leading space (parameters's pasted "" + " " + sentence) stays on the first line
  const lines: string[] = [];
  let cur = '';
  for (let k = 0; k < words.length; k++) {
    const w = words[k];
    const candidate = k === 0 ? w : `${cur} ${w}`;
    if (k > 0 && candidate.length > 71 && cur.trim() !== '') {
      lines.push(cur);
      cur = w;
    } else cur = candidate;
  }
  lines.push(cur);
  return lines.map((l, i) => (i === 0 ? l : `  ${l}`));
}

const ciHeader = (ci: number) => `${Math.round(ci * 100)}% CI`;

/** the footer's sentence: how the intervals and p-values were computed (parameters's .print_footer) */
export function footerSentence(mp: ModelParameters): string {
  const hasFixed = mp.effects !== 'random';
  const hasRandom = mp.effects !== 'fixed';
  const dist = mp.ciMethod === 'normal' ? 'normal distribution'
    : mp.statistic === 'z' ? 'z-distribution'
      : mp.ciMethod === 'satterthwaite' ? 't-distribution with Satterthwaite'
        : mp.ciMethod === 'kenward' ? 't-distribution with Kenward-Roger' : 't-distribution';
  const fixed = mp.ciMethod === 'profile'
    ? `Uncertainty intervals (profile-likelihood) and p-values (two-tailed) computed using a Wald ${dist} approximation.`
    : `Uncertainty intervals (equal-tailed) and p-values (two-tailed) computed using a Wald ${dist} approximation.`;
  // (the sentence on the random effects' intervals: lmer fits only, and not with profile intervals)
  const random = mp.ciMethod === 'profile' || mp.statistic === 'z' ? '' : 'Uncertainty intervals for random effect variances computed using a Wald z-distribution approximation.';
  if (!hasFixed) return ` ${random}`;
  return hasRandom && random ? `${fixed} ${random}` : fixed;
}

function fixedBlock(mp: ModelParameters, rows: ParameterRow[]): string[] {
  const cols: Column[] = [
    { header: 'Parameter', cells: rows.map((r) => mp.prettyNames[r.Parameter] ?? r.Parameter) },
    // a post-hoc standardized table's coefficient: "Std. Coef.", or Std_ and the family's name
    // ("Std_Log-Odds"); the refit's keeps its name
    { header: !mp.standardize || mp.standardize === 'refit' ? mp.coefficientName : mp.coefficientName === 'Coefficient' ? 'Std. Coef.' : `Std_${mp.coefficientName}`, cells: rows.map((r) => formatValue(r.Coefficient)) },
    { header: 'SE', cells: rows.map((r) => formatValue(r.SE)) },
  ];
  if (rows.some((r) => r.CI_low !== null)) cols.push({ header: ciHeader(mp.ci), cells: ciCells(rows.map((r) => r.CI_low), rows.map((r) => r.CI_high)) });
  const dfs = rows.map((r) => r.df_error ?? Infinity);
  const finite = dfs.every((d) => Number.isFinite(d));
  const shown = new Set(dfs.map(formatDf));
  const stat = rows.map((r) => formatValue(r.statistic));
  if (finite && mp.statistic === 't' && shown.size === 1) {
    cols.push({ header: `t(${[...shown][0]})`, cells: stat });
  } else {
    cols.push({ header: mp.statistic, cells: stat });
    if (finite) cols.push({ header: 'df', cells: dfs.map(formatDf) });
  }
  cols.push({ header: 'p', cells: rows.map((r) => formatP(r.p)) });
  return textTable(cols);
}

function randomBlock(mp: ModelParameters, rows: ParameterRow[]): string[] {
  // "SD (Intercept: Subject)": the group inside the name's parentheses; the residual's "SD (Residual)"
  const name = (r: ParameterRow) => (r.Group === 'Residual' ? r.Parameter.replace('(Observations)', '(Residual)') : r.Parameter.replace(/\)$/, `: ${r.Group})`));
  const cols: Column[] = [
    { header: 'Parameter', cells: rows.map(name) },
    { header: 'Coefficient', cells: rows.map((r) => formatValue(r.Coefficient)) },
  ];
  // parameters prints the (empty) interval column when the table holds the random effects alone
  if (rows.some((r) => r.CI_low !== null) || mp.effects === 'random') cols.push({ header: ciHeader(mp.ci), cells: ciCells(rows.map((r) => r.CI_low), rows.map((r) => r.CI_high)) });
  return textTable(cols);
}

/** print(model_parameters(fit)): the blocks, then the footer (the lines R writes as a message) */
export function printModelParameters(mp: ModelParameters): { lines: string[]; footer: string[] } {
  const lines: string[] = [];
  const fixed = mp.rows.filter((r) => r.Effects === 'fixed');
  const random = mp.rows.filter((r) => r.Effects === 'random');
  if (fixed.length > 0) lines.push('# Fixed Effects', '', ...fixedBlock(mp, fixed));
  if (random.length > 0) {
    if (lines.length > 0) lines.push('');
    lines.push('# Random Effects', '', ...randomBlock(mp, random));
  }
  const footer = ['', ...wrapMessage(footerSentence(mp))];
  if (mp.logLink && !mp.exponentiate) {
    footer.push('', ...wrapMessage('The model has a log- or logit-link. Consider using `exponentiate = TRUE` to interpret coefficients as ratios.'));
  }
  return { lines, footer };
}

/** print(standardize_parameters(fit)) */
export function printStandardized(sp: StandardizedParameters): string[] {
  const lines = [`# Standardization method: ${sp.method}`, ''];
  lines.push(...textTable([
    { header: 'Parameter', cells: sp.rows.map((r) => r.Parameter) },
    { header: sp.coefficientColumn === 'Std_Coefficient' ? 'Std. Coef.' : sp.coefficientColumn, cells: sp.rows.map((r) => formatValue(r.Std_Coefficient)) },
    { header: ciHeader(sp.ci), cells: ciCells(sp.rows.map((r) => r.CI_low), sp.rows.map((r) => r.CI_high)) },
  ]));
  if (!sp.includeResponse) lines.push('', '- Response is unstandardized.');
  return lines;
}
