/**
 * lmerTest's drop1(fit, ddf): the F test of each marginal fixed-effects term (drop.scope: a term no
 * other term contains, src/formula/dropScope.ts) with Satterthwaite's or Kenward–Roger's ddf, by
 * lmerTest's get_contrasts_marginal: term t's hypothesis is β_t = 0 on its own columns of X,
 *   L_t = I[cols(t), ·]   (rows of the p × p identity),
 * except for a model with at most one term or one column, where it is the term's type I hypothesis
 * (the Doolittle rows, src/inference/typeI.ts; the same row space for the last term). Where lme4
 * dropped aliased columns of X, the hypothesis is lmerTest's comparison of the designs with and
 * without the term (get_Ldiffmat2, designDifference.ts), none (a row of NaN, lmerTest's NA) where the
 * other terms span the term. Each row is contestMD's F test of L_t β = 0 (src/inference/contest.ts):
 * no model is refitted.
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { dropScope } from '../formula/dropScope.js';
import { modelMatrix } from '../frame/modelMatrix.js';
import type { LinearPart, Term } from '../formula/types.js';
import { designWithout } from './fixedWithout.js';
import { LmmFit } from '../lmm/lmmFit.js';
import { type FTest, contestMD } from './contest.js';
import { type Ddf, checkDdf, ddfContext, fixedDesignOf } from './fitInference.js';
import { termColumns } from './termColumns.js';
import { typeIContrasts } from './typeI.js';
import { designDifference } from './designDifference.js';
import { refuseEngineRows } from './knownCovariance.js';

export interface Drop1Row extends FTest { term: string }

export interface Drop1Table {
  ddf: Ddf;
  rows: Drop1Row[];
  /** the model as lmerTest's heading writes it (the fit's formula) */
  model: string;
  messages: string[];
}

export interface Drop1Options {
  ddf?: Ddf;
  /** lmerTest's scope: the marginal terms to test (default all; a term in another term is refused) */
  scope?: string[];
}

/**
 * The terms drop1 tests: the marginal terms of the fixed part (drop.scope), or those of them named in
 * `scope` (in the model's order); a name that is not a marginal term is refused.
 */
export function drop1Scope(part: LinearPart, scope?: string[]): Term[] {
  const marginal = dropScope(part);
  if (scope === undefined) return marginal;
  if (!Array.isArray(scope) || scope.length === 0 || !scope.every((t) => typeof t === 'string')) {
    throw new OptionError('scope', "drop1: 'scope' should be a list of names of terms to be dropped");
  }
  const bad = scope.filter((t) => !marginal.some((m) => m.label === t));
  if (bad.length) throw new OptionError('scope', `drop1: only marginal terms can be dropped from the model (${bad.map((t) => `'${t}'`).join(', ')} ${bad.length > 1 ? 'are not' : 'is not'} among ${marginal.map((m) => `'${m.label}'`).join(', ') || 'none'})`);
  return marginal.filter((m) => scope.includes(m.label));
}

export function drop1Table(fit: LmmFit, options: Drop1Options = {}): Drop1Table {
  if (!(fit instanceof LmmFit)) throw new ModelError("drop1 with Satterthwaite's or Kenward-Roger's ddf: only for linear mixed models (lmer fits), as lmerTest's drop1");
  const ddf = checkDdf(options.ddf);
  const frame = fit.model.frame;
  const part = frame.formula.fixed;
  const scope = drop1Scope(part, options.scope);
  const { ctx, messages } = ddfContext(fit, ddf);
  const columnOf = (label: string) => frame.columns.get(label)!;
  const full = modelMatrix(part, columnOf, 0, undefined, frame.contrasts).names;
  const rankDeficient = full.length !== frame.p;
  let hypotheses: { term: string; L: number[][] }[];
  if (rankDeficient) {
    // lme4 dropped aliased columns: each term's hypothesis from the design without it (lmerTest's
    // get_Ldiffmat2, designDifference.ts), which needs the rows
    refuseEngineRows(fit.model, 'drop1 of a rank-deficient fixed-effects design');
    hypotheses = scope.map((t) => {
      const X0 = designWithout(frame, t.label);
      const p0 = X0.columns.length;
      const flat = new Float64Array(frame.n * p0);
      X0.columns.forEach((c, j) => flat.set(c, j * frame.n));
      return { term: t.label, L: designDifference(frame.X, frame.p, flat, p0, frame.n) };
    });
  } else {
    const assign = termColumns(frame);
    hypotheses = (frame.p <= 1 || part.terms.length <= 1)
      ? typeIContrasts(frame, assign, fixedDesignOf(fit))
      : part.terms.map((t, k) => ({ term: t.label, L: assign[k].map((c) => Array.from({ length: frame.p }, (_, j) => (j === c ? 1 : 0))) }));
  }
  // a term with no hypothesis (its columns all aliased with the others'): lmerTest's row of NA
  const none: FTest = { sumsq: NaN, meansq: NaN, numdf: NaN, dendf: NaN, F: NaN, p: NaN };
  const rows = scope
    .map((t) => hypotheses.find((h) => h.term === t.label)!)
    .filter((h) => rankDeficient || h.L.length > 0)
    .map((h) => ({ term: h.term, ...(h.L.length > 0 ? contestMD(ctx, h.L) : none) }));
  return { ddf: ctx.method, rows, model: frame.formula.text, messages };
}
