/**
 * A fit's model with other terms, refitted with the same criterion (REML stays REML) on the same
 * rows: lmerTest's update(model, formula = …) as ranova's reduced models (other random-effects
 * terms) and step's backward elimination (fixed-effects terms removed, then other random-effects
 * terms) use it. The reduced model is built from the fit's model frame, not from the data again:
 *  - the fixed part: the frame's X when unchanged, else the new part's model matrix evaluated on
 *    the frame's columns with lme4's rank check (fixedEffectsDesign, as the frame built it);
 *  - each random-effects term's Z: the frame's term reused where kept, else evaluated on the
 *    frame's columns and grouping factor; the terms in lme4's order (lme4TermOrder).
 * The refit runs on the CPU in float64 (the fit driver's reference), whatever backend fitted the
 * model; the fit's option momentStart is kept.
 */
import { ModelError } from '../errors/errors.js';
import { CpuBackend } from '../backend/cpu/cpuBackend.js';
import { referenceGram } from '../backend/cpu/gram.js';
import { type FactorColumn } from '../frame/columns.js';
import { constantColumn } from '../frame/rowPasses.js';
import {
  type ModelFrame, type ReTerm, buildReTerm, checkReTerm, fixedEffectsDesign, isFixedDesignMessage, lme4TermOrder,
} from '../frame/modelFrame.js';
import type { Formula, LinearPart, RandomTerm } from '../formula/types.js';
import { optimizeAndAssemble } from '../lmm/fit.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import { lmmFromFrame } from '../lmm/model.js';
import { type GlmmFitOptions, fitGlmm } from '../glmm/fit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { glmmFromFrame } from '../glmm/model.js';
import { PirlsEngine } from '../glmm/pirls.js';

/**
 * The fit's model frame with `formula`'s terms (its response the frame's), built on the frame's rows and
 * columns without reading the data again; `what` names the caller in errors.
 */
export function reducedFrame(frame: ModelFrame, formula: Formula, what: string): ModelFrame {
  const columnOf = (label: string) => {
    const c = frame.columns.get(label);
    if (!c) throw new ModelError(`${what}: the column '${label}' of a term of the reduced model '${formula.text}' is not in the model frame`);
    return c;
  };
  let intercept: Float64Array | null = null;
  const ones = () => (intercept ??= constantColumn(frame.n, 1));
  const reTerms: ReTerm[] = formula.random.map((r: RandomTerm, k) => {
    const kept = frame.reTerms.find((t) => t.term === r);
    if (kept) return { ...kept, position: k };
    const g = frame.reTerms.find((t) => t.group === r.groupLabel);
    if (!g) throw new ModelError(`${what}: the grouping factor '${r.groupLabel}' of the reduced model's term ${r.text} is not among the model's`);
    const factor: FactorColumn = { kind: 'factor', codes: g.codes, levels: g.levels };
    const t = buildReTerm(r, k, factor, columnOf, frame.n, ones);
    checkReTerm(t, frame.n);
    return t;
  });
  const sorted = lme4TermOrder(reTerms.map((t) => t.levels.length)).map((k) => reTerms[k]);
  const reduced: ModelFrame = { ...frame, formula, reTerms: sorted, messages: [...frame.messages] };
  if (!sameFixedPart(formula.fixed, frame.formula.fixed)) {
    // X of the reduced fixed part on the frame's rows, with the frame's rank and scales checks and their
    // messages in place of the model's (an lmer fit: σ estimated, so the residual check applies)
    const design = fixedEffectsDesign(formula.fixed, columnOf, frame.n, ones, { y: frame.y, offset: frame.offset, response: formula.response.label }, frame.contrasts);
    reduced.messages = [...frame.messages.filter((m) => !isFixedDesignMessage(m)), ...design.messages];
    Object.assign(reduced, { X: design.X, p: design.p, xnames: design.xnames });
  }
  return reduced;
}

/**
 * the refit of `fit`'s model with `formula` (its response the fit's); `what` names the caller in errors;
 * `options.REML` another criterion than the fit's (parameters's pseudo-standardization fits its null
 * model by REML whatever the fit's)
 */
export async function refitWithFormula(fit: LmmFit, formula: Formula, what: string, options: { REML?: boolean } = {}): Promise<LmmFit> {
  const reduced = reducedFrame(fit.model.frame, formula, what);
  const model = lmmFromFrame(formula, reduced, { factors: fit.model.frameOptions.factors, REML: options.REML ?? fit.reml, ...(fit.model.momentStart === false ? { momentStart: false } : {}) });
  const reference = new CpuBackend(referenceGram(model), model.theta.length, undefined, () => referenceGram(model));
  return optimizeAndAssemble(model, reference, reference, {}, {}, performance.now());
}

/**
 * The refit of a glmer fit's model with other random-effects terms (cAIC4's reduced model): the same
 * family, prior weights, offset and nAGQ, PIRLS and the optimizer on the CPU in float64.
 */
export async function refitGlmmWithFormula(fit: GlmmFit, formula: Formula, what: string, options: Pick<GlmmFitOptions, 'signal' | 'optimizer'> = {}): Promise<GlmmFit> {
  if (!sameFixedPart(formula.fixed, fit.model.frame.formula.fixed)) throw new Error(`internal: ${what}'s glmer refit changes the fixed part (${formula.text})`);
  const reduced = reducedFrame(fit.model.frame, formula, what);
  const model = glmmFromFrame(formula, reduced, fit.model.family, fit.model.frameOptions, fit.model.weightsName, undefined, fit.nAGQ <= 1);
  return fitGlmm(model, new PirlsEngine(model.pirls), fit.nAGQ, { vcov: 'RX', ...options }, performance.now(), {});
}

/** whether two fixed parts have the same terms in the same order and the same intercept */
function sameFixedPart(a: LinearPart, b: LinearPart): boolean {
  return a === b || (a.intercept === b.intercept && a.terms.length === b.terms.length && a.terms.every((t, k) => t.label === b.terms[k].label));
}
