/**
 * What inference does not offer for a model with a known covariance matrix (relmat): the parametric
 * bootstrap and the prediction intervals draw or sum each grouping factor's effects level by level,
 * independently, and a GLMM's profile has no reference to be checked against; they are refused with
 * the reason rather than computed as if the levels were unrelated. (The ddf methods, the LMM's
 * profile, Wald intervals and likelihood-ratio tests work on the transformed model, src/relmat/gram.ts.)
 */
import { ModelError } from '../errors/errors.js';
import type { MixedModel } from '../model/mixedModel.js';

export function refuseKnownCovariance(model: Pick<MixedModel, 'known'>, what: string, why: string): void {
  const k = model.known.find((x) => x);
  if (k) throw new ModelError(`${what} cannot be computed for a model with a known covariance matrix (relmat: '${k.group}'): ${why}`);
}

/**
 * Refuses `what` on a fit whose rows are in an SQL engine or a stream (lmerSql, lmerStream, the CLI's
 * --engine): it needs the rows themselves (not only the Gram matrix A the engine formed, which the
 * fit keeps), and they are not here.
 */
export function refuseEngineRows(model: { source?: { engine: string; name: string } }, what: string): void {
  const s = model.source;
  if (s) throw new ModelError(`${what}: not available for this fit, whose rows are in ${s.engine === 'stream' ? 'a stream' : s.engine} (${s.name}); it needs the rows themselves, not only the Gram matrix the engine formed: fit with the rows in memory (lmer; the CLI's --engine memory) for it`);
}
