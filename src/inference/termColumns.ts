/**
 * The map from fixed-effects terms to the columns of X they produced (lmerTest's term2colX, from
 * model.matrix's "assign" attribute), after lme4 dropped rank-deficient columns.
 */
import type { Column } from '../frame/columns.js';
import type { ModelFrame } from '../frame/modelFrame.js';
import { modelMatrix } from '../frame/modelMatrix.js';
import type { Term } from '../formula/types.js';

/** For each term, the indices of X's columns (after rank-deficient columns were dropped) it produced. */
export function termColumns(frame: ModelFrame): number[][] {
  const part = frame.formula.fixed;
  const columnOf = (label: string) => frame.columns.get(label)!;
  const index = new Map(frame.xnames.map((x, j) => [x, j]));
  return part.terms.map((t) => {
    return termNames(t, part, columnOf, frame.contrasts).map((nm) => index.get(nm)).filter((j): j is number => j !== undefined);
  });
}

/** The column names a term produces within the model (R's coding rules), without evaluating rows. */
function termNames(t: Term, part: ModelFrame['formula']['fixed'], columnOf: (label: string) => Column, contrasts: ModelFrame['contrasts']): string[] {
  // the names depend only on levels, the coding rule and the contrasts: evaluate the term on zero rows
  const full = modelMatrix(part, columnOf, 0, undefined, contrasts);
  const before = modelMatrix({ intercept: part.intercept, terms: part.terms.slice(0, part.terms.indexOf(t)) }, columnOf, 0).names.length;
  const upto = modelMatrix({ intercept: part.intercept, terms: part.terms.slice(0, part.terms.indexOf(t) + 1) }, columnOf, 0).names.length;
  return full.names.slice(before, upto);
}

