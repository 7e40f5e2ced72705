/**
 * The parametric bootstrap's data pass on the CPU: for a batch of B replicates, simulate
 *   y*_r = X_c β̂_c + Z_c b*_r + σ̂ ε_r,   b*_r = σ̂ Λ_c u_r,   u_r, ε_r ~ N(0, I)
 * (lme4's simulate(): new random effects and new residuals, in the backends' coordinates — the rows
 * the Gram matrix is formed from (LmmModel.rows: Z M, X_c, prior weights in the rows) and the internal
 * θ's templates) and form the
 * only parts of the Gram matrix A = [Z X y]ᵀ[Z X y] that change with y,
 *   A_Zk,y = Z_kᵀ y*_r,   A_X,y = X_cᵀ y*_r,   y*_rᵀ y*_r,
 * for all B replicates in one pass over the rows (the design is read once per batch). Storage is
 * replicate-fastest ((level · q + s) · B + r) so that a row's updates are contiguous.
 */
import type { GramRowsBlock } from '../../linalg/gram.js';
import { CounterNormal, STREAM_EPS, STREAM_U } from '../../model/random.js';

export interface BootstrapGramInput {
  n: number;
  p: number;
  /** X_c, n × p column-major (LmmModel.rows.X) */
  X: Float64Array;
  /** the rows' blocks (LmmModel.rows.blocks: Z M, √w-scaled) */
  blocks: GramRowsBlock[];
  /** β̂ in the backends' coordinates */
  betaC: Float64Array;
  /** the internal templates T_c at θ̂ (q_k × q_k row-major, lower; the CPU passes read every entry, the WebGPU kernel the lower triangle) */
  templates: Float64Array[];
  sigma: number;
  rng: CounterNormal;
  /** the replicates' indices (their random streams) */
  replicates: number[];
  /**
   * the index of a row's residual draw: its position in the pass's visiting order ('visit', the
   * default, as the WebGPU pass), or its row number ('row': simulate()'s draws, simulate.ts, at twice
   * the generator calls; the CPU pass only)
   */
  epsIndex?: 'visit' | 'row';
}

/** The y-dependent Gram parts of a batch of replicates. */
export interface BootstrapGramBatch {
  B: number;
  /** per block: (nl q) × B, replicate-fastest */
  AZy: Float64Array[];
  /** p × B, replicate-fastest */
  AXy: Float64Array;
  /** B */
  yy: Float64Array;
}

/** The simulated random effects b*_r = σ Λ_c u_r of each block, (nl q) × B replicate-fastest. */
export function simulateEffects(blocks: GramRowsBlock[], templates: Float64Array[], sigma: number, rng: CounterNormal, replicates: number[]): Float64Array[] {
  const B = replicates.length;
  const pair = new Float64Array(2);
  return blocks.map((blk, k) => {
    const q = blk.q, m = blk.nl * q;
    const u = new Float64Array(m * B);
    replicates.forEach((rep, r) => {
      for (let e = 0; e < m; e += 2) {
        rng.normalPair(rep, STREAM_U + k, e >> 1, pair);
        u[e * B + r] = pair[0];
        if (e + 1 < m) u[(e + 1) * B + r] = pair[1];
      }
    });
    const T = templates[k];
    const b = new Float64Array(m * B);
    for (let g = 0; g < blk.nl; g++) {
      for (let s = 0; s < q; s++) {
        const o = (g * q + s) * B;
        // every entry of T (the templates are lower triangular, whose zeros are skipped; powerSim's
        // simulation templates M⁻¹ T(θ) of a centred block are not)
        for (let t = 0; t < q; t++) {
          const w = sigma * T[s * q + t];
          if (w === 0) continue;
          const ou = (g * q + t) * B;
          for (let r = 0; r < B; r++) b[o + r] += w * u[ou + r];
        }
      }
    }
    return b;
  });
}

/**
 * The rows in the order the pass visits them: sorted by the level of the first (largest) grouping
 * factor (a stable counting sort), so that consecutive rows update the same group's sums. The
 * residual draw of a row is indexed by its position in this order (the WebGPU pass sorts the same).
 */
export function groupOrder(n: number, blocks: GramRowsBlock[]): Int32Array {
  const order = new Int32Array(n);
  if (blocks.length === 0) { for (let i = 0; i < n; i++) order[i] = i; return order; }
  const { codes, nl } = blocks[0];
  const next = new Int32Array(nl + 1);
  for (let i = 0; i < n; i++) next[codes[i] + 1]++;
  for (let g = 0; g < nl; g++) next[g + 1] += next[g];
  for (let i = 0; i < n; i++) order[next[codes[i]]++] = i;
  return order;
}

const orders = new WeakMap<Int32Array, Int32Array>();

/** One pass over the rows for the batch. */
export function bootstrapGramCpu(input: BootstrapGramInput): BootstrapGramBatch {
  const { n, p, X: Xc, blocks, betaC, templates, sigma, rng, replicates } = input;
  // the visiting order, computed once per model (keyed by the first factor's codes)
  let order = blocks.length ? orders.get(blocks[0].codes) : undefined;
  if (!order) {
    order = groupOrder(n, blocks);
    if (blocks.length) orders.set(blocks[0].codes, order);
  }
  const B = replicates.length;
  const b = simulateEffects(blocks, templates, sigma, rng, replicates);
  const AZy = blocks.map((blk) => new Float64Array(blk.nl * blk.q * B));
  const AXy = new Float64Array(p * B);
  const yy = new Float64Array(B);
  const y = new Float64Array(B);
  const eps = new Float64Array(2 * B);
  const pair = new Float64Array(2);
  const byRow = input.epsIndex === 'row';
  for (let j = 0; j < n; j++) {
    const i = order[j];
    if (byRow) {
      // row i's draw is the (i & 1) half of pair i >> 1 (CounterNormal.normal's index i)
      for (let r = 0; r < B; r++) {
        rng.normalPair(replicates[r], STREAM_EPS, i >> 1, pair);
        eps[2 * r] = eps[2 * r + 1] = pair[i & 1];
      }
    } else if ((j & 1) === 0) {
      // residual draws come in pairs: positions 2k and 2k + 1 share one generator call
      for (let r = 0; r < B; r++) {
        rng.normalPair(replicates[r], STREAM_EPS, j >> 1, pair);
        eps[2 * r] = pair[0];
        eps[2 * r + 1] = pair[1];
      }
    }
    let f = 0;
    for (let c = 0; c < p; c++) f += Xc[c * n + i] * betaC[c];
    const half = j & 1;
    for (let r = 0; r < B; r++) y[r] = f + sigma * eps[2 * r + half];
    for (let k = 0; k < blocks.length; k++) {
      const blk = blocks[k];
      const q = blk.q;
      const g = blk.codes[i];
      const bk = b[k];
      for (let s = 0; s < q; s++) {
        const z = blk.Z[i * q + s];
        if (z === 0) continue;
        const o = (g * q + s) * B;
        for (let r = 0; r < B; r++) y[r] += z * bk[o + r];
      }
    }
    for (let k = 0; k < blocks.length; k++) {
      const blk = blocks[k];
      const q = blk.q;
      const g = blk.codes[i];
      const a = AZy[k];
      for (let s = 0; s < q; s++) {
        const z = blk.Z[i * q + s];
        if (z === 0) continue;
        const o = (g * q + s) * B;
        for (let r = 0; r < B; r++) a[o + r] += z * y[r];
      }
    }
    for (let c = 0; c < p; c++) {
      const x = Xc[c * n + i];
      if (x === 0) continue;
      const o = c * B;
      for (let r = 0; r < B; r++) AXy[o + r] += x * y[r];
    }
    for (let r = 0; r < B; r++) yy[r] += y[r] * y[r];
  }
  return { B, AZy, AXy, yy };
}
