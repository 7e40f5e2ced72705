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
import { formatValue as formatInsightValue } from '../checks/format.js';
import type { ModelParameters, ParameterRow } from './modelParameters.js';
import type { StandardizedParameters } from './standardize.js';

/** insight's format_value with digits 2 (src/checks/format.ts): scientific below 10⁻² in size (but 0) and from 10⁵ up ("4.81e+06") */
export function formatValue(x: number | null): string {
  return formatInsightValue(x, 2);
}

/** insight's format_p (digits 3) */
export function formatP(p: number | null): string {
  if (p === null || Number.isNaN(p)) return '';
  if (p < 0.001) return '< .001';
  if (p > 0.999) return '> .999';
  return p.toFixed(3);
}

/** a p column's cells: each padded at its end to the column's widest ("0.005 " beside "< .001", "0.005" alone) */
export function pCells(p: (number | null)[]): string[] {
  const cells = p.map(formatP);
  const w = Math.max(...cells.map((c) => c.length));
  return cells.map((c) => (c === '' ? c : c.padEnd(w)));
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
  if (mp.modelClass && mp.modelClass !== 'merMod') return footerSentenceOther(mp);
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

/**
 * parameters's .print_footer_cimethod of glmmTMB, lme and gls tables: the fixed rows' sentence (none for a
 * table of random rows alone), then, for glmmTMB (whose random rows are variances with intervals), the
 * sentence on the random effects' intervals where the method is not plain Wald z or normal or where the
 * table holds random rows alone
 */
function footerSentenceOther(mp: ModelParameters): string {
  const allRandom = mp.rows.length > 0 && mp.rows.every((r) => r.Effects === 'random');
  // string_method: "Wald normal " (with its space) for normal, else "Wald t-" / "Wald z-"; "" for random rows alone
  const method = allRandom ? '' : mp.ciMethod === 'normal' ? 'Wald normal ' : `Wald ${mp.statistic}-`;
  const fixed = allRandom ? '' : `Uncertainty intervals (equal-tailed) and p-values (two-tailed) computed using a ${method}distribution approximation.`;
  const showRandom = mp.modelClass === 'glmmTMB' && (!['Wald z-', 'Wald normal'].includes(method) || !['wald', 'normal'].includes(mp.ciMethod))
    && mp.rows.some((r) => r.Effects === 'random');
  if (!showRandom) return fixed;
  // paste(msg, sentence): msg "\n" alone for random rows gives the sentence a leading space
  return `${fixed} Uncertainty intervals for random effect variances computed using a Wald z-distribution approximation.`;
}

function fixedBlock(mp: ModelParameters, rows: ParameterRow[], coefficientName: string): string[] {
  const cols: Column[] = [
    { header: 'Parameter', cells: rows.map((r) => mp.prettyNames[r.Parameter] ?? r.Parameter) },
    // a post-hoc standardized table's coefficient: "Std. Coef.", or Std_ and the family's name
    // ("Std_Log-Odds"); the refit's keeps its name
    { header: !mp.standardize || mp.standardize === 'refit' ? coefficientName : coefficientName === 'Coefficient' ? 'Std. Coef.' : `Std_${coefficientName}`, cells: rows.map((r) => formatValue(r.Coefficient)) },
  ];
  // a column with no value in any row is dropped (glmmTMB's dispersion row sigma(fit): no SE, statistic or p)
  if (rows.some((r) => r.SE !== null)) cols.push({ header: 'SE', cells: rows.map((r) => formatValue(r.SE)) });
  if (rows.some((r) => r.CI_low !== null)) cols.push({ header: ciHeader(mp.ci), cells: ciCells(rows.map((r) => r.CI_low), rows.map((r) => r.CI_high)) });
  if (rows.every((r) => r.statistic === null)) return textTable(cols);
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
  cols.push({ header: 'p', cells: pCells(rows.map((r) => r.p)) });
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

/** one printed table: its caption, its rows, and the coefficient column's name of a fixed block */
interface Block { title: string; rows: ParameterRow[]; random: boolean; coefficientName: string }

/**
 * The tables of a printout (parameters's .prepare_splitby_for_print, .format_columns_multiple_components
 * and .format_model_component_header): the rows split by Component where it takes several values and
 * by Effects where it does, in the order of the values' first appearance (the component varying
 * fastest); each table's caption:
 *   no split                  "Fixed Effects" or "Random Effects"
 *   Effects only              "Fixed Effects", "Random Effects"
 *   Component only            fixed rows: "Fixed Effects" (conditional), "Zero-Inflation", "Dispersion";
 *                             random rows: "Random Effects: conditional", "Random Effects: zero_inflated"
 *   both                      "Fixed Effects" ("(Count Model)" with a zero-inflation component), "Fixed Effects
 *                             (Zero-Inflation Component)", "Dispersion", "Random Effects Variances", "Random
 *                             Effects (Zero-Inflation Component)"
 * and " (Zero-Inflation Component)" added to a caption without it whose rows are all the zero model's.
 * A zero-inflation table's coefficient is named zi_coefficient_name (Log-Odds), a dispersion table's
 * "Coefficient"; without a split, the fit's coefficient name whatever the component.
 */
export function printBlocks(mp: ModelParameters): Block[] {
  const rows = mp.rows;
  const comps = [...new Set(rows.map((r) => r.Component ?? ''))];
  const effs = [...new Set(rows.map((r) => r.Effects))];
  const byComp = comps.length > 1, byEff = effs.length > 1;
  const isZi = rows.some((r) => r.Component === 'zero_inflated');
  // glmmTMB's random rows are variances (parameters's ran_pars)
  const ranPars = mp.modelClass === 'glmmTMB';
  const allRandom = !effs.includes('fixed');
  const blocks: Block[] = [];
  for (const eff of byEff ? effs : [null]) {
    for (const comp of byComp ? comps : [null]) {
      const part = rows.filter((r) => (eff === null || r.Effects === eff) && (comp === null || (r.Component ?? '') === comp));
      if (part.length === 0) continue;
      const random = part[0].Effects === 'random';
      let title: string;
      if (!byComp && !byEff) title = random ? 'Random Effects' : 'Fixed Effects';
      else if (!byComp) title = random ? 'Random Effects' : 'Fixed Effects';
      else if (!byEff) {
        title = allRandom ? `Random Effects: ${comp}` : comp === 'zero_inflated' ? 'Zero-Inflation' : comp === 'dispersion' ? 'Dispersion' : 'Fixed Effects';
      } else if (comp === 'zero_inflated') title = random ? 'Random Effects (Zero-Inflation Component)' : 'Fixed Effects (Zero-Inflation Component)';
      else if (comp === 'dispersion') title = 'Dispersion';
      else if (random) title = ranPars ? 'Random Effects Variances' : isZi ? 'Random Effects (Count Model)' : 'Random Effects';
      else title = isZi ? 'Fixed Effects (Count Model)' : 'Fixed Effects';
      if (!title.includes('(Zero-Inflation Component)') && !(byComp && !byEff) && part.every((r) => r.Component === 'zero_inflated')) title += ' (Zero-Inflation Component)';
      const split = byComp && comp !== null;
      const coefficientName = split && comp === 'zero_inflated' && mp.ziCoefficientName ? mp.ziCoefficientName : split && comp === 'dispersion' ? 'Coefficient' : mp.coefficientName;
      blocks.push({ title, rows: part, random, coefficientName });
    }
  }
  return blocks;
}

/** print(model_parameters(fit)): the blocks, then the footer (the lines R writes as a message) */
export function printModelParameters(mp: ModelParameters): { lines: string[]; footer: string[] } {
  const lines: string[] = [];
  for (const b of printBlocks(mp)) {
    if (lines.length > 0) lines.push('');
    lines.push(`# ${b.title}`, '', ...(b.random ? randomBlock(mp, b.rows) : fixedBlock(mp, b.rows, b.coefficientName)));
  }
  const sentence = footerSentence(mp);
  const footer = sentence.trim() === '' ? [] : ['', ...wrapMessage(sentence)];
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
