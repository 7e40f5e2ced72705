/**
 * lmerTest's show_tests(object, fractions = FALSE, names = TRUE): the contrast matrices behind an
 * anova table's rows (anovaTable's hypotheses, of type I, II or III) or an ls_means table's
 * (lsMeans.ts), as a list named by term, and R's print of that list: "$A" (non-syntactic names in
 * backquotes, "$`A:B`"), the matrix (numeric columns each formatted with 7 significant digits and
 * right-aligned; with `fractions`, MASS's fractions left-aligned; without `names`, R's "[,1]" and
 * "[1,]" labels), a blank line; "named list()" when there is none.
 */
import { OptionError } from '../errors/errors.js';
import { fractionCells } from '../results/fractions.js';
import { formatR, printMatrix } from '../results/rFormat.js';
import type { NamedHypothesis } from './lsMeansContrasts.js';

export interface ShowTestsOptions {
  /** print (and give) the entries as MASS's fractions */
  fractions?: boolean;
  /** keep the row and column names (default true) */
  names?: boolean;
}

/** one element of show_tests's list: the matrix, its names (null without `names`), and with `fractions` its entries as strings */
export interface ShownTest {
  rowNames: string[] | null;
  colNames: string[] | null;
  L: number[][];
  fractions?: string[][];
}

/** show_tests's list, keyed by term in the table's order (a JSON-ready object) */
export function showTests(x: { hypotheses?: NamedHypothesis[] }, options: ShowTestsOptions = {}): Record<string, ShownTest> {
  if (!x || !Array.isArray(x.hypotheses)) throw new OptionError('object', "'object' does not have an 'hypotheses' attribute: give the table of anovaTable(fit, …) or of fit.lsMeans(…)");
  const names = options.names ?? true;
  const out: Record<string, ShownTest> = {};
  for (const h of x.hypotheses) {
    out[h.term] = {
      rowNames: names ? [...h.rowNames] : null,
      colNames: names ? [...h.colNames] : null,
      L: h.L.map((r) => [...r]),
      ...(options.fractions ? { fractions: fractionCells(h.L).map((r) => r.map((s) => s.trim())) } : {}),
    };
  }
  return out;
}

const RESERVED = new Set(['if', 'else', 'repeat', 'while', 'function', 'for', 'next', 'break', 'TRUE', 'FALSE', 'NULL', 'Inf', 'NaN', 'NA', 'NA_integer_', 'NA_real_', 'NA_character_', 'in']);

/** R's list element label: $name, or $`name` for a non-syntactic name */
function elementLabel(name: string): string {
  const syntactic = /^((([A-Za-z]|[.][._A-Za-z])[._A-Za-z0-9]*)|[.])$/.test(name) && !RESERVED.has(name);
  return syntactic ? `$${name}` : `$\`${name}\``;
}

/** R's print of show_tests(x, fractions, names), as lines */
export function printShowTests(x: { hypotheses?: NamedHypothesis[] }, options: ShowTestsOptions = {}): string[] {
  const shown = showTests(x, options);
  const terms = Object.keys(shown);
  if (terms.length === 0) return ['named list()'];
  const lines: string[] = [];
  for (const term of terms) {
    const s = shown[term];
    const nr = s.L.length;
    const nc = nr ? s.L[0].length : (s.colNames?.length ?? 0);
    // without names: R's automatic labels, the row labels right-aligned
    const rowLabels = s.rowNames ?? Array.from({ length: nr }, (_, i) => `[${i + 1},]`);
    const rw = Math.max(0, ...rowLabels.map((r) => r.length));
    const rowNames = s.rowNames ?? rowLabels.map((r) => r.padStart(rw));
    const colNames = s.colNames ?? Array.from({ length: nc }, (_, j) => `[,${j + 1}]`);
    let cols: string[][];
    if (options.fractions) {
      const cells = fractionCells(s.L);
      cols = Array.from({ length: nc }, (_, j) => cells.map((r) => r[j]));
    } else {
      cols = Array.from({ length: nc }, (_, j) => formatR(s.L.map((r) => r[j]), 7));
    }
    lines.push(elementLabel(term), ...printMatrix(cols, rowNames, colNames, !options.fractions), '');
  }
  return lines;
}
