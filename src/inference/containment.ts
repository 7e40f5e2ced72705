/**
 * lmerTest's containment of fixed-effects terms (lmerTest::containment and term_contain), which the
 * type II and type III hypotheses use: term B contains term A when
 *   vars(A) ⊆ vars(B), vars(B) ⊄ vars(A), and A and B have the same numeric variables,
 * where vars(T) are the variables whose entry in R's factor pattern (attr(terms, "factors"), model.c's
 * TermCode) is 1 for T: those whose removal from T leaves nothing or a subset of an earlier term.
 * A variable with entry 2 (`b` in `a:b` of `a + a:b`, coded by indicators) does not count, so in
 * `y ~ a/b` the term `a` is contained in nothing (as lmerTest has it).
 */
import type { Column } from '../frame/columns.js';
import { termCoding } from '../frame/modelMatrix.js';
import type { LinearPart } from '../formula/types.js';

/** For each term of `part`, the indices of the terms that contain it, in the formula's term order. */
export function termContainment(part: LinearPart, columns: Map<string, Column>): number[][] {
  const { terms } = part;
  // R's factor pattern: entry 1 ⇔ coded by contrasts in termCoding without its no-intercept rule
  // (no variable is reported as a multi-level factor, so that rule never fires)
  const pattern = termCoding(part, () => 0);
  const vars = terms.map((t, j) => t.vars.filter((_, k) => pattern[j][k]).map((v) => v.label));
  // the numeric variables among them (R's dataClasses "numeric")
  const numerics = vars.map((vs) => vs.filter((v) => columns.get(v)?.kind === 'numeric').sort().join('\u0000'));
  return terms.map((_, a) => terms.map((__, b) => b).filter((b) =>
    vars[a].every((v) => vars[b].includes(v)) && vars[b].some((v) => !vars[a].includes(v)) && numerics[a] === numerics[b]));
}
