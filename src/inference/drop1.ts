/**
 * lmerTest's drop1(fit, ddf): the F test of each marginal fixed-effects term (drop.scope: a term no
 * other term contains, src/formula/dropScope.ts) with Satterthwaite's or Kenward–Roger's ddf, by
 * lmerTest's get_contrasts_marginal: term t's hypothesis is β_t = 0 on its own columns of X,
 *   L_t = I[cols(t), ·]   (rows of the p × p identity),
 * except for a model with at most one term or one column, where it is the term's type I hypothesis
 * (the Doolittle rows, src/inference/typeI.ts; the same row space for the last term). Each row is
 * contestMD's F test of L_t β = 0 (src/inference/contest.ts): no model is refitted.
 */
import { ModelError } from '../errors/errors.js';
import { dropScope } from '../formula/dropScope.js';
import { modelMatrix } from '../frame/modelMatrix.js';
import { LmmFit } from '../lmm/lmmFit.js';
import { type FTest, contestMD } from './contest.js';
import { type Ddf, checkDdf, ddfContext, fixedDesignOf } from './fitInference.js';
import { termColumns } from './termColumns.js';
import { typeIContrasts } from './typeI.js';

export interface Drop1Row extends FTest { term: string }

export interface Drop1Table {
  ddf: Ddf;
  rows: Drop1Row[];
  /** the model as lmerTest's heading writes it (the fit's formula) */
  model: string;
  messages: string[];
}

export function drop1Table(fit: LmmFit, options: { ddf?: Ddf } = {}): Drop1Table {
  if (!(fit instanceof LmmFit)) throw new ModelError("drop1 with Satterthwaite's or Kenward-Roger's ddf: only for linear mixed models (lmer fits), as lmerTest's drop1");
  const ddf = checkDdf(options.ddf);
  const { ctx, messages } = ddfContext(fit, ddf);
  const frame = fit.model.frame;
  const part = frame.formula.fixed;
  const scope = dropScope(part);
  // lme4 dropped rank-deficient columns: lmerTest then builds each hypothesis from the design of the
  // model without the term (get_Ldiffmat2), which is not done here
  const columnOf = (label: string) => frame.columns.get(label)!;
  const full = modelMatrix(part, columnOf, 0).names;
  if (full.length !== frame.p) {
    throw new ModelError(`drop1: the fixed-effects model matrix is rank deficient (${full.length - frame.p} of its ${full.length} columns dropped: ${full.filter((x) => !frame.xnames.includes(x)).join(', ')}); lmerTest then compares the design matrices of the model with and without each term, which is not available here: drop the aliased terms from the formula`);
  }
  const assign = termColumns(frame);
  const hypotheses = (frame.p <= 1 || part.terms.length <= 1)
    ? typeIContrasts(frame, assign, fixedDesignOf(fit))
    : part.terms.map((t, k) => ({ term: t.label, L: assign[k].map((c) => Array.from({ length: frame.p }, (_, j) => (j === c ? 1 : 0))) }));
  const rows = scope
    .map((t) => hypotheses.find((h) => h.term === t.label)!)
    .filter((h) => h.L.length > 0)
    .map((h) => ({ term: h.term, ...contestMD(ctx, h.L) }));
  return { ddf: ctx.method, rows, model: frame.formula.text, messages };
}
