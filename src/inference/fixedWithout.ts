/**
 * A model frame's fixed-effects design with one term left out, R's update(fit, ~ . − t): the fixed
 * part's terms without t (the intercept and the other terms as they were), its model matrix
 *   X₋ₜ = model.matrix(~ terms ∖ t) on the frame's rows
 * with the contrasts coded for the reduced part as R codes them (src/frame/modelMatrix.ts), and, for a
 * refit, lme4's rank check (columns aliased with earlier ones dropped: dropRankDeficient).
 * lmerTest's drop1 compares X with X₋ₜ (designDifference.ts); lme4's drop1 refits on X₋ₜ.
 */
import type { LinearPart, Term } from '../formula/types.js';
import { type ModelFrame, rankDeficientMessage } from '../frame/modelFrame.js';
import { type DesignMatrix, dropRankDeficient, modelMatrix } from '../frame/modelMatrix.js';
import { columnsMatrix } from '../frame/rowPasses.js';

/** The fixed part without term t. */
export function fixedPartWithout(part: LinearPart, term: Term): LinearPart {
  return { intercept: part.intercept, terms: part.terms.filter((u) => u !== term) };
}

/** X₋ₜ, all its columns (no rank check), from the frame's evaluated variables. */
export function designWithout(frame: ModelFrame, term: Term): DesignMatrix {
  return modelMatrix(fixedPartWithout(frame.formula.fixed, term), (label) => frame.columns.get(label)!, frame.n);
}

/**
 * The frame of the model without term t (update(fit, ~ . − t) on the same rows): X₋ₜ after lme4's
 * rank check, its names and p, and the formula with the reduced fixed part (its text R's update call).
 * Everything else (response, weights, offset, random-effects terms, rows) is the frame's.
 */
export function frameWithout(frame: ModelFrame, term: Term): ModelFrame {
  const { kept, dropped } = dropRankDeficient(designWithout(frame, term));
  // the full design's rank message replaced by the reduced one's
  const full = frame.messages.filter((m) => m.startsWith('fixed-effect model matrix is rank deficient'));
  const messages = [...frame.messages.filter((m) => !full.includes(m)), ...(dropped.length > 0 ? [rankDeficientMessage(dropped)] : [])];
  const formula = { ...frame.formula, fixed: fixedPartWithout(frame.formula.fixed, term), text: `update(${frame.formula.text}, ~ . - ${term.label})` };
  return {
    ...frame, formula, messages,
    X: columnsMatrix(kept.columns, frame.n, 'columns'), p: kept.columns.length, xnames: kept.names,
  };
}
