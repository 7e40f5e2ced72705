/**
 * Adaptive Gauss–Hermite quadrature (glmer's nAGQ > 1) on the engines, the rows never in memory.
 *
 * lme4's AGQ deviance for one scalar random-effects term (src/glmm/agq.ts, lme4's glmerAGQ) at the
 * conditional modes ũ that PIRLS found with β fixed is
 *
 *   −2ℓ ≈ Σ_g devc_g(ũ) + log|L|² − 2 Σ_g log Σ_k w_k e^{−(devc_g(ũ_g + z_k s_g) − devc_g(ũ_g))/2 + z_k²/2},
 *   devc_g(u) = u_g² + Σ_{i∈g} d(y_i, μ_i),   s_g = 1/L_gg,
 *
 * so the rows enter only through, per level g and node z_k ≠ 0,
 *
 *   S_gk = Σ_{i∈g} [d(y_i, μ(η_i + z̃_i t z_k / L_gg)) − d(y_i, μ(η_i))]      (t = T_11, z̃ the internal Z)
 *
 * — K sums per level, all of them in ONE pass over the rows (a GROUP BY of the grouping factor on an
 * SQL engine, ./sql/agqPass.ts; one scan of the batches, ./stream/agqPass.ts), whatever the number of
 * nodes. The host finishes with the formula above (src/glmm/agq.ts agqFromRowSums), exactly as the
 * in-memory fit does. The engine's PIRLS (../glmm.ts EngineWeightedGram) offers the pass to PIRLS as
 * a device's `agqRowSums` (src/glmm/pirlsDevice.ts), so each stage-2 evaluation is PIRLS's passes at
 * (θ, β) plus this one pass.
 */
import { ModelError } from '../errors/errors.js';
import type { GlmmModel } from '../glmm/model.js';
import { integer } from '../options/rules.js';
import type { EngineRowCounts, GlmmPassState } from './glmm.js';

/** An engine's pass for adaptive quadrature's rows term. */
export interface AgqPassRunner {
  /**
   * One pass at `state` (β and the modes b on the formula's scale, as GlmmPassRunner.pass reads
   * them): per level g of the single grouping factor and node k (level-major, g · K + k, K = nodes.length),
   *   Σ_{i∈g} [d(y_i, μ(η_i + z_i c_g z_k)) − d(y_i, μ(η_i))]
   * with z_i the term's column on the formula's scale and c_g = M t / L_gg (`shift`); 0 where z_k = 0.
   */
  rowSums(state: GlmmPassState, shift: Float64Array, nodes: ArrayLike<number>): Promise<Float64Array>;
  /** passes made, their queries and their time */
  readonly stats: { passes: number; queries: number; ms: number } & EngineRowCounts;
}

/**
 * glmer's nAGQ checked for an engine fit: an integer from 0 to 25 (glmer's range), and above 1 only
 * for a single scalar random-effects term (lme4's own restriction, its message; the in-memory fit's
 * product rule for a vector term has no engine pass) on an engine that has the quadrature's pass (`agq`).
 */
export function checkEngineAgq(engine: string, model: GlmmModel, nAGQ: number, agq: AgqPassRunner | undefined): void {
  integer(0, 25)(nAGQ, `${engine} glmer: nAGQ`);
  if (nAGQ <= 1) return;
  const terms = model.frame.reTerms.map((t) => t.text).join(' + ');
  if (!(model.blocks.length === 1 && model.blocks[0].q === 1 && model.frame.reTerms.length === 1)) {
    // one factor's vector term: the in-memory fit's product rule (src/glmm/agqVector.ts) has no engine pass
    const vector = model.blocks.length === 1 ? '; glmer with the rows in memory fits one grouping factor\'s vector term by the product rule' : '';
    throw new ModelError(`${engine}: nAGQ > 1 is only available for models with a single, scalar random-effects term (this model has ${terms})${vector}; use nAGQ = 1 (the Laplace approximation) or 0`);
  }
  if (!agq) {
    throw new ModelError(`${engine}: nAGQ = ${nAGQ} (adaptive Gauss–Hermite quadrature) is not available on the ${engine} engine yet (the stream and DuckDB engines fit it); use nAGQ = 1 or 0, or fit with the rows in memory`);
  }
}
