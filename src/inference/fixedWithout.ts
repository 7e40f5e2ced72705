/**
 * A model with one fixed-effects term left out, R's update(fit, ~ . − t) on the fit's model frame:
 *   the formula: the fixed part's terms without t (the intercept and the other terms as they were),
 *     its text as update.formula leaves it (ranova.ts updatedFormulaText);
 *   X₋ₜ = model.matrix(~ terms ∖ t) on the frame's rows, the contrasts coded for the reduced part as
 *     R codes them (src/frame/modelMatrix.ts; update keeps the fit's `contrasts` argument), and for a refit lme4's rank check (columns aliased with
 *     earlier ones dropped: fixedEffectsDesign, as the frame built its X).
 * lmerTest's drop1 compares X with the unchecked X₋ₜ (designDifference.ts); lmerTest's step and
 * lme4's drop1 of a glmer fit refit on the checked one.
 */
import type { Formula, LinearPart } from '../formula/types.js';
import { type ModelFrame, fixedEffectsDesign, isFixedDesignMessage } from '../frame/modelFrame.js';
import { type DesignMatrix, modelMatrix } from '../frame/modelMatrix.js';
import { constantColumn } from '../frame/rowPasses.js';
import { updatedFormulaText } from './ranova.js';

/** The fixed part without the term labelled `term`. */
function fixedPartWithout(part: LinearPart, term: string): LinearPart {
  return { intercept: part.intercept, terms: part.terms.filter((t) => t.label !== term) };
}

/**
 * The formula without one fixed-effects term, as update(formula, ~ . - (term)) leaves it
 * (lmerTest's rm_complete_terms): the other terms in their order, the text simplified
 * (updatedFormulaText).
 */
export function formulaWithout(formula: Formula, term: string): Formula {
  const reduced: Formula = { ...formula, fixed: fixedPartWithout(formula.fixed, term) };
  return { ...reduced, text: updatedFormulaText(reduced) };
}

/** X₋ₜ, all its columns (no rank check), from the frame's evaluated variables. */
export function designWithout(frame: ModelFrame, term: string): DesignMatrix {
  return modelMatrix(fixedPartWithout(frame.formula.fixed, term), (label) => frame.columns.get(label)!, frame.n, undefined, frame.contrasts);
}

/**
 * The frame of a GLMM without term t (update(fit, ~ . − t) on the same rows): X₋ₜ after lme4's rank
 * check (no residual check: a GLMM has no σ to lose), its names and p, the reduced formula, and the
 * rank message of X₋ₜ in place of X's. Everything else (response, weights, offset, random-effects
 * terms, rows) is the frame's; the rank and scales messages of X₋ₜ replace X's.
 */
export function frameWithout(frame: ModelFrame, term: string): ModelFrame {
  const columnOf = (label: string) => frame.columns.get(label)!;
  let intercept: Float64Array | null = null;
  const ones = () => (intercept ??= constantColumn(frame.n, 1));
  const formula = formulaWithout(frame.formula, term);
  const design = fixedEffectsDesign(formula.fixed, columnOf, frame.n, ones, null, frame.contrasts);
  const messages = [...frame.messages.filter((m) => !isFixedDesignMessage(m)), ...design.messages];
  return { ...frame, formula, messages, X: design.X, p: design.p, xnames: design.xnames };
}
