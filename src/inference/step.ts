/**
 * lmerTest's step(fit, ddf, alpha.random, alpha.fixed, reduce.fixed, reduce.random, keep): backward
 * elimination of a linear mixed model's terms, random-effects terms first, then fixed-effects terms.
 *
 * Random part (lmerTest's reduce_random): ranova (reduce.terms = TRUE, src/inference/ranova.ts) of
 * the current model; among its rows with a p-value, the one with the largest p,
 *   k* = argmax_k p_k   (the first of equal ones, R's which.max),
 * is eliminated when p_k* > α_random: the model becomes row k*'s reduced model ((x | g) reduced to
 * (1 | g) counts as an elimination), whose ranova is computed next; repeated until no p exceeds
 * α_random. The table: the first model's `<none>` row, the eliminated rows in order (Eliminated
 * 1, 2, …, each from the ranova of the model it was eliminated from), then the final model's ranova
 * rows with Eliminated 0.
 *
 * Fixed part (lmerTest's reduce_fixed), on the model the random part left: drop1 (the F tests of the
 * marginal terms, src/inference/drop1.ts) with Satterthwaite's or Kenward–Roger's ddf; among the
 * terms not in `keep`, the one with the largest p (NA never counts) is removed when p > α_fixed, the
 * model refitted without it (update(model, ~ . - term), with the same criterion) and its drop1
 * computed; repeated until no p exceeds α_fixed. The table: the removed terms' rows in order
 * (Eliminated 1, 2, …), then the final model's drop1 rows with Eliminated 0.
 *
 * reduceRandom false is α_random = 1 and reduceFixed false α_fixed = 1 (no p-value exceeds 1), as
 * lmerTest sets them. The final model is REML or ML as the fit. Refused: a model whose random
 * elimination would remove its last random-effects term — lmerTest goes on with lm() and lm's
 * drop1 F tests (least squares), which this library does not fit; rows dropped for missing values
 * (ranova's refusal: a reduced model could use more rows, which lmerTest stops on); fits that
 * ranova or drop1 refuse.
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import { LmmFit } from '../lmm/lmmFit.js';
import { type Ddf, checkDdf } from './fitInference.js';
import { type Drop1Row, drop1Table } from './drop1.js';
import { type RanovaRow, ranovaRefits } from './ranova.js';
import { refitWithFormula } from './refitFrame.js';
import { formulaWithout } from './fixedWithout.js';

export interface StepOptions {
  /** the drop1 F tests' ddf: satterthwaite (default) or kenward-roger */
  ddf?: Ddf;
  /** lmerTest's alpha.random (default 0.1): random-effects terms with a ranova p-value above it are eliminated */
  alphaRandom?: number;
  /** lmerTest's alpha.fixed (default 0.05): marginal fixed-effects terms with a drop1 p-value above it are eliminated */
  alphaFixed?: number;
  /** lmerTest's reduce.fixed (default true); false: no fixed-effects term is eliminated */
  reduceFixed?: boolean;
  /** lmerTest's reduce.random (default true); false: no random-effects term is eliminated */
  reduceRandom?: boolean;
  /** fixed-effects terms never eliminated (their labels, `A:B` for an interaction) */
  keep?: string[];
}

export interface StepRandomRow extends RanovaRow {
  /** the order of elimination (1, 2, …); 0 for a term of the final model; null on the `<none>` row */
  eliminated: number | null;
}

export interface StepFixedRow extends Drop1Row {
  /** the order of elimination (1, 2, …); 0 for a term of the final model */
  eliminated: number;
}

export interface StepResult {
  ddf: Ddf;
  /** lmerTest's "Backward reduced random-effect table" */
  random: StepRandomRow[];
  /** lmerTest's "Backward reduced fixed-effect table" */
  fixed: StepFixedRow[];
  /** the final model (get_model(step)): the fit itself when nothing was eliminated */
  model: LmmFit;
  /**
   * its formula as lmerTest's "Model found:" writes it (update.formula's order: main effects, random
   * terms, interactions); the fit's as written where nothing was eliminated (lmerTest deparses lme4's,
   * which has `||` expanded)
   */
  formula: string;
  messages: string[];
}

const WHAT = "step (lmerTest's backward elimination)";

function checkAlpha(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new OptionError(name, `${WHAT}: ${name} must be a number from 0 to 1, not ${showValue(value)}`);
  return value;
}

function checkFlag(value: unknown, name: string): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'boolean') throw new OptionError(name, `${WHAT}: ${name} must be true or false, not ${showValue(value)}`);
  return value;
}

export async function stepLmm(fit: LmmFit, options: StepOptions = {}): Promise<StepResult> {
  if (!(fit instanceof LmmFit)) throw new ModelError(`${WHAT}: only for linear mixed models (lmer fits), as lmerTest's step`);
  const ddf = checkDdf(options.ddf);
  // reduce.random = FALSE is alpha.random = 1, reduce.fixed = FALSE alpha.fixed = 1 (lmerTest)
  const alphaRandom = checkFlag(options.reduceRandom, 'reduceRandom') ? checkAlpha(options.alphaRandom, 'alphaRandom', 0.1) : 1;
  const alphaFixed = checkFlag(options.reduceFixed, 'reduceFixed') ? checkAlpha(options.alphaFixed, 'alphaFixed', 0.05) : 1;
  const keep = options.keep ?? [];
  if (!Array.isArray(keep) || !keep.every((t) => typeof t === 'string')) throw new OptionError('keep', `${WHAT}: keep must be a list of fixed-effects term labels, not ${showValue(keep)}`);
  if (ddf === 'kenward-roger' && !fit.reml) throw new ModelError("Kenward-Roger's method is only available for REML model fits (lmerTest's rule): fit with REML, or use ddf satterthwaite");
  if (fit.model.frame.nDropped > 0) {
    throw new ModelError(`${WHAT}: the model dropped ${fit.model.frame.nDropped} row(s) with missing values; a reduced model without some variable could use more rows, which lmerTest refuses ("number of rows in use has changed: remove missing values?"): remove the rows with missing values from the data first`);
  }
  const messages: string[] = [];

  // the random part: ranova, the largest p above α_random eliminated, until none
  let model = fit;
  let { table, refits } = await ranovaRefits(model);
  messages.push(...table.messages);
  const eliminatedRandom: StepRandomRow[] = [{ ...table.rows[0], eliminated: null }];
  for (;;) {
    const k = largestAbove(table.rows.map((r, j) => (j === 0 ? null : r.p)), alphaRandom);
    if (k < 0) break;
    const row = table.rows[k];
    const next = refits[k];
    if (!next) {
      throw new ModelError(
        `${WHAT}: the elimination of the random-effects terms removes the last one (${row.name}: p = ${row.p} > alphaRandom ${alphaRandom}); ` +
          "lmerTest then goes on with a linear model (lm) and lm's drop1 F tests (least squares, not Satterthwaite's or Kenward-Roger's), which mixedgpu does not fit: " +
          'fit the model without random effects with a least-squares tool, or keep the random part (reduceRandom false, or a smaller alphaRandom)',
      );
    }
    eliminatedRandom.push({ ...row, eliminated: eliminatedRandom.length });
    model = next;
    ({ table, refits } = await ranovaRefits(model));
    messages.push(...table.messages);
  }
  const random = [...eliminatedRandom, ...table.rows.slice(1).map((r) => ({ ...r, eliminated: 0 }))];

  // the fixed part: drop1, the largest p above α_fixed among the terms not kept removed, until none
  const labels = model.model.frame.formula.fixed.terms.map((t) => t.label);
  const invalid = keep.filter((t) => !labels.includes(t));
  if (invalid.length > 0) messages.push(`Invalid 'keep' ignored: ${invalid.join(' ')}.\nValid terms are: ${labels.join(' ')}.`);
  let drop = drop1Table(model, { ddf });
  messages.push(...drop.messages);
  const eliminatedFixed: StepFixedRow[] = [];
  for (;;) {
    const k = largestAbove(drop.rows.map((r) => (keep.includes(r.term) ? null : r.p)), alphaFixed);
    if (k < 0) break;
    const row = drop.rows[k];
    eliminatedFixed.push({ ...row, eliminated: eliminatedFixed.length + 1 });
    model = await refitWithFormula(model, formulaWithout(model.model.frame.formula, row.term), WHAT);
    drop = drop1Table(model, { ddf });
    messages.push(...drop.messages);
  }
  const fixed = [...eliminatedFixed, ...drop.rows.map((r) => ({ ...r, eliminated: 0 }))];
  if (model !== fit) messages.push(...model.messages.filter((m) => !fit.messages.includes(m)).map((m) => `the final model: ${m}`));
  return { ddf: drop.ddf, random, fixed, model, formula: model.formula, messages: [...new Set(messages)] };
}

/**
 * R's which.max over the p-values above α (NA, here null or NaN, never above): the index of the
 * largest p > α, the first of equal ones; −1 when none exceeds α.
 */
function largestAbove(p: (number | null)[], alpha: number): number {
  let best = -1;
  p.forEach((v, k) => {
    if (v !== null && !Number.isNaN(v) && v > alpha && (best < 0 || v > p[best]!)) best = k;
  });
  return best;
}

