/**
 * The type of lmerTest's anova(fit, type): which hypothesis each term's F test is of.
 *  - I: sequential, each term after those before it in the formula (src/inference/typeI.ts);
 *  - II: each term after every term that does not contain it (src/inference/typeII.ts);
 *  - III: each term after all others, marginal means coded (src/inference/typeIII.ts), the default.
 * As lmerTest's single_anova, the type may be given as a Roman numeral or a number (1, 2, 3, '1', …).
 */
import { OptionError } from '../errors/errors.js';
import type { ModelFrame } from '../frame/modelFrame.js';
import type { FixedDesign } from './fixedDesign.js';
import { type TermHypothesis, typeIContrasts } from './typeI.js';
import { typeIIContrasts } from './typeII.js';
import { typeIIIContrasts } from './typeIII.js';

export type AnovaType = 'I' | 'II' | 'III';
/** what the `type` option accepts */
export type AnovaTypeOption = AnovaType | 1 | 2 | 3 | '1' | '2' | '3';

const TYPES: Record<string, AnovaType> = { I: 'I', II: 'II', III: 'III', 1: 'I', 2: 'II', 3: 'III' };

/** the anova type named by `type` (default 'III'); anything else is an OptionError naming the allowed values */
export function checkAnovaType(type: unknown): AnovaType {
  if (type === undefined) return 'III';
  const t = (typeof type === 'string' || typeof type === 'number') ? TYPES[String(type)] : undefined;
  if (t === undefined || (typeof type === 'number' && !Number.isInteger(type))) {
    const shown = typeof type === 'string' ? `'${type}'` : String(type);
    throw new OptionError('type', `unknown anova type ${shown}: choose 'I', 'II' or 'III' (or 1, 2, 3)`);
  }
  return t;
}

/**
 * lmerTest's hypotheses of the given type, one per fixed-effects term, in the formula's term order;
 * what they read of X comes from `design` (default: the frame's rows; fixedDesign.ts).
 */
export function anovaHypotheses(frame: ModelFrame, type: AnovaType, design?: FixedDesign): TermHypothesis[] {
  if (type === 'I') return typeIContrasts(frame, undefined, design);
  if (type === 'II') return typeIIContrasts(frame, design);
  return typeIIIContrasts(frame, design);
}

/** lmerTest's heading of the table, e.g. "Type II Analysis of Variance Table with Satterthwaite's method" */
export function anovaHeading(type: AnovaType, ddf: 'satterthwaite' | 'kenward-roger'): string {
  return `Type ${type} Analysis of Variance Table with ${ddf === 'satterthwaite' ? "Satterthwaite's" : "Kenward-Roger's"} method`;
}
