/**
 * Adaptive Gauss–Hermite quadrature's rows term in one pass over the record batches (../agq.ts
 * AgqPassRunner): each batch's rows as the PIRLS passes read them (./glmmPass.ts StreamGlmmPasses.each),
 * and per complete row i of level g, in float64 with the family's own functions (src/glmm/family.ts),
 *
 *   η = offset + Xβ + z b[g],   δ = z c_g,   S_gk += wt·d(y, μ(η + δ z_k)) − wt·d(y, μ(η))   (z_k ≠ 0)
 *
 * with c_g = M t / L_gg on the formula's scale: K sums per level, one scan whatever K. Browser-safe.
 */
import type { GlmFamily } from '../../glmm/family.js';
import type { AgqPassRunner } from '../agq.js';
import type { GlmmPassState } from '../glmm.js';
import type { GramSourceResult } from '../source.js';
import type { StreamGlmmPasses } from './glmmPass.js';

export class StreamAgqPass implements AgqPassRunner {
  /** rowsRead, rowsReplayed: these passes' rows from the source and from the cache (../glmm.ts EngineRowCounts) */
  readonly stats = { passes: 0, queries: 0, ms: 0, rowsRead: 0, rowsReplayed: 0 };

  constructor(private readonly passes: StreamGlmmPasses, private readonly res: GramSourceResult, private readonly family: GlmFamily) {}

  async rowSums(state: GlmmPassState, shift: Float64Array, nodes: ArrayLike<number>): Promise<Float64Array> {
    const t0 = performance.now();
    const { family, res } = this;
    const P = res.summary.p;
    const K = nodes.length;
    const out = new Float64Array(res.blocks[0].nl * K);
    const b0 = state.b[0];
    const rows = await this.passes.each((b) => {
      const z = b.z[0][0], codes = b.codes[0];
      for (let i = 0; i < b.n; i++) {
        if (!b.ok[i]) continue;
        const y = b.y[i], wt = b.wt[i], g = codes[i];
        // η of the state, in the PIRLS pass's order: offset, X β, z b
        let eta = b.off ? b.off[i] : 0;
        for (let j = 0; j < P; j++) eta += b.x[j][i] * state.beta[j];
        eta += z[i] * b0[g];
        const d0 = family.devResid(y, family.linkinv(eta), wt);
        const delta = z[i] * shift[g];
        for (let k = 0; k < K; k++) {
          const zk = nodes[k];
          if (zk === 0) continue;
          out[g * K + k] += family.devResid(y, family.linkinv(eta + delta * zk), wt) - d0;
        }
      }
    });
    this.stats.passes++;
    this.stats.queries++;
    this.stats.rowsRead += rows.read;
    this.stats.rowsReplayed += rows.replayed;
    this.stats.ms += performance.now() - t0;
    return out;
  }
}
