/**
 * lmerTest's type II hypotheses, as lmerTest 3.1-3's anova(type = "II") computes them
 * (single_anova → get_contrasts_type2_unfolded):
 *  - a model with at most one column of X or one term: the type I hypotheses (src/inference/typeI.ts);
 *  - a term contained in no other term (containment: src/inference/containment.ts) is tested
 *    marginally, β_T = 0: the rows of the identity at its columns (get_contrasts_marginal);
 *  - a term T contained in others (get_contrasts_type2): reorder X's columns as
 *    X̃ = [X without the columns of T and its containers, the columns of T, those of its containers],
 *    factor X̃ᵀX̃ = L U (Doolittle), and take the rows of Lᵀ at T's columns, entries put back in X's
 *    column order. As in type I, a row of Lᵀ tests its coefficient adjusted for the columns after it:
 *    T is tested after every term that does not contain it and ignoring the terms that do.
 */
import type { ModelFrame } from '../frame/modelFrame.js';
import { termContainment } from './containment.js';
import { termColumns } from './termColumns.js';
import { type FixedDesign, rowDesign } from './fixedDesign.js';
import { doolittleLt, type TermHypothesis, typeIContrasts } from './typeI.js';

/** lmerTest's type II hypotheses, one per fixed-effects term, in the formula's term order. */
export function typeIIContrasts(frame: ModelFrame, design: FixedDesign = rowDesign(frame)): TermHypothesis[] {
  const { p } = frame;
  const part = frame.formula.fixed;
  const assign = termColumns(frame);
  if (p <= 1 || part.terms.length <= 1) return typeIContrasts(frame, assign, design);
  const contained = termContainment(part, frame.columns);
  let XtX: Float64Array | null = null;
  return part.terms.map((t, k) => {
    // marginal: rows of the p × p identity at the term's columns
    if (contained[k].length === 0) {
      return { term: t.label, L: assign[k].map((j) => Array.from({ length: p }, (_, c) => (c === j ? 1 : 0))), rowNames: assign[k].map((j) => frame.xnames[j]) };
    }
    // the term's columns, then those of the terms containing it (in the formula's order), moved last
    const moved = [...assign[k], ...contained[k].flatMap((h) => assign[h])];
    const isMoved = new Set(moved);
    const order = [...Array.from({ length: p }, (_, j) => j).filter((j) => !isMoved.has(j)), ...moved];
    // X̃ᵀX̃: XᵀX with rows and columns permuted to `order`
    XtX ??= design.XtX();
    const full = XtX;
    const XtXperm = new Float64Array(p * p);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) XtXperm[a * p + b] = full[order[a] * p + order[b]];
    const Lt = doolittleLt(XtXperm, p);
    // the rows of Lᵀ at the term's columns (positions p − |moved| …), each back in X's column order
    const first = p - moved.length;
    return {
      term: t.label,
      rowNames: assign[k].map((j) => frame.xnames[j]),
      L: assign[k].map((_, a) => {
        const row = Lt.slice((first + a) * p, (first + a + 1) * p);
        const back = new Array<number>(p);
        order.forEach((j, pos) => { back[j] = row[pos]; });
        return back;
      }),
    };
  });
}
