/**
 * The parametric bootstrap's y-dependent Gram parts for a model with one grouping factor, drawn from
 * their exact joint distribution per level instead of row by row (bootstrapGram.ts): the rows of
 * level g, w_g = [Z_g X_g] (n_g × (q+p), in the backends' coordinates), give
 *   y*_g = w_g c_g + σ ε_g,   c_g = (b*_g, β̂_c),   ε_g ~ N(0, I),
 * and the parts are
 *   Z_gᵀy*_g, X_gᵀy*_g  = G_g c_g + σ v_g,                 v_g = w_gᵀε_g,   G_g = w_gᵀw_g,
 *   y*_gᵀy*_g           = c_gᵀG_g c_g + 2σ c_gᵀv_g + σ² ε_gᵀε_g.
 * With G_g = F_g F_gᵀ (a semidefinite Cholesky factor, F_g of its rank r_g) and z_g ~ N(0, I_{r_g}),
 * v_g = F_g z_g has v_g's distribution N(0, G_g); ε_g's part in the column space of w_g then has
 * squared length ‖z_g‖², and the rest is independent of it, χ² with n_g − r_g degrees of freedom, so
 *   Σ_g ε_gᵀε_g = Σ_g ‖z_g‖² + χ²(n − Σ_g r_g),
 * one gamma draw per replicate (Marsaglia and Tsang 2000). The random effects b*_g are those of the
 * row pass (simulateEffects). Each replicate costs O(levels (q+p)²) instead of O(n (q+p)): the rows
 * are read once per model, to form the G_g.
 *
 * The distribution of each replicate is that of the row pass, its draws are not (z_g replaces the
 * n_g residuals): a replicate's numbers here differ from the row pass's and the WebGPU kernel's.
 */
import type { GramRowsBlock } from '../../linalg/gram.js';
import { CounterNormal, STREAM_EPS, gammaDraw } from '../../model/random.js';
import type { BootstrapGramBatch, BootstrapGramInput } from './bootstrapGram.js';
import { simulateEffects } from './bootstrapGram.js';
import { semidefiniteCholesky } from '../../linalg/dense.js';

/** the streams of the χ² draw: its normals and its uniforms */
export const STREAM_CHI_NORMAL = 0x7ffffff0;
export const STREAM_CHI_UNIFORM = 0x7ffffff1;

/** Per level: G_g (w × w, lower), its factor F_g (w × w, columns beyond r_g zero) and r_g; w = q + p. */
export interface LevelGrams {
  w: number;
  G: Float64Array;
  F: Float64Array;
  rank: Int32Array;
  /** n − Σ_g r_g */
  rest: number;
}

/** G_g = w_gᵀw_g for each level (one pass over the rows) and their semidefinite Cholesky factors. */
export function levelGrams(n: number, p: number, X: Float64Array, block: GramRowsBlock): LevelGrams {
  const { q, nl, codes, Z } = block;
  const w = q + p, ww = w * w;
  const G = new Float64Array(nl * ww);
  const row = new Float64Array(w);
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < q; s++) row[s] = Z[i * q + s];
    for (let c = 0; c < p; c++) row[q + c] = X[c * n + i];
    const o = codes[i] * ww;
    for (let a = 0; a < w; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      for (let b = 0; b <= a; b++) G[o + a * w + b] += ra * row[b];
    }
  }
  const F = new Float64Array(nl * ww);
  const rank = new Int32Array(nl);
  const M = new Float64Array(ww);
  let rest = n;
  for (let g = 0; g < nl; g++) {
    const o = g * ww;
    for (let a = 0; a < w; a++) for (let b = 0; b <= a; b++) M[a * w + b] = M[b * w + a] = G[o + a * w + b];
    // L Lᵀ = G_g with a zero column where a column of w_g repeats earlier ones (Z_g's intercept and
    // X's); F_g keeps L's nonzero columns, first
    const L = semidefiniteCholesky(M, w);
    let r = 0;
    for (let j = 0; j < w; j++) {
      if (L[j * w + j] === 0) continue;
      for (let a = 0; a < w; a++) F[o + a * w + r] = L[a * w + j];
      r++;
    }
    rank[g] = r;
    rest -= r;
  }
  return { w, G, F, rank, rest };
}

/** A χ²(ν) draw, 2 · Gamma(ν/2) by Marsaglia and Tsang's method (ν/2 ≥ 1), from the replicate's own streams. */
export function chiSquare(rng: CounterNormal, replicate: number, nu: number): number {
  if (nu <= 0) return 0;
  const a = nu / 2;
  // shape < 1: Gamma(a) = Gamma(a + 1) · U^(1/a)
  const boost = a < 1;
  const gamma = gammaDraw(rng, replicate, boost ? a + 1 : a, STREAM_CHI_NORMAL, STREAM_CHI_UNIFORM) * (boost ? Math.pow(rng.uniform(replicate, STREAM_CHI_UNIFORM, -1 >>> 0), 1 / a) : 1);
  return 2 * gamma;
}

const cache = new WeakMap<Int32Array, LevelGrams>();

/** Whether the rows have the structure this source needs: one grouping factor. */
export function isOneFactorRows(blocks: GramRowsBlock[]): boolean {
  return blocks.length === 1;
}

/** The batch's parts from the levels' sufficient statistics (a BootstrapOptions.gramSource). */
export function bootstrapGramGroupSums(input: BootstrapGramInput): BootstrapGramBatch {
  const { n, p, X, blocks, betaC, templates, sigma, rng, replicates } = input;
  if (!isOneFactorRows(blocks)) throw new Error('bootstrapGramGroupSums: one grouping factor only');
  const block = blocks[0];
  let lg = cache.get(block.codes);
  if (!lg) {
    lg = levelGrams(n, p, X, block);
    cache.set(block.codes, lg);
  }
  const { w, G, F, rank, rest } = lg;
  const { q, nl } = block;
  const ww = w * w;
  const B = replicates.length;
  const b = simulateEffects(blocks, templates, sigma, rng, replicates)[0];
  const AZy = new Float64Array(nl * q * B);
  const AXy = new Float64Array(p * B);
  const yy = new Float64Array(B);
  const c = new Float64Array(w), z = new Float64Array(w), v = new Float64Array(w), Gc = new Float64Array(w);
  const pair = new Float64Array(2);
  const half = (w + 1) >> 1;
  for (let a = 0; a < p; a++) c[q + a] = betaC[a];
  for (let g = 0; g < nl; g++) {
    const o = g * ww;
    const rg = rank[g];
    for (let r = 0; r < B; r++) {
      for (let s = 0; s < q; s++) c[s] = b[(g * q + s) * B + r];
      // z_g: the level's normals, pairs g·⌈w/2⌉ … of the residual stream
      for (let j = 0; j < rg; j += 2) {
        rng.normalPair(replicates[r], STREAM_EPS, g * half + (j >> 1), pair);
        z[j] = pair[0];
        if (j + 1 < w) z[j + 1] = pair[1];
      }
      let zz = 0;
      for (let j = 0; j < rg; j++) zz += z[j] * z[j];
      let cGc = 0, cv = 0;
      for (let a = 0; a < w; a++) {
        // v = F z, G c (G stored lower)
        let va = 0;
        for (let j = 0; j < rg; j++) va += F[o + a * w + j] * z[j];
        v[a] = va;
        let ga = 0;
        for (let u = 0; u <= a; u++) ga += G[o + a * w + u] * c[u];
        for (let u = a + 1; u < w; u++) ga += G[o + u * w + a] * c[u];
        Gc[a] = ga;
        cGc += c[a] * ga;
        cv += c[a] * va;
      }
      for (let s = 0; s < q; s++) AZy[(g * q + s) * B + r] = Gc[s] + sigma * v[s];
      for (let a = 0; a < p; a++) AXy[a * B + r] += Gc[q + a] + sigma * v[q + a];
      yy[r] += cGc + 2 * sigma * cv + sigma * sigma * zz;
    }
  }
  for (let r = 0; r < B; r++) yy[r] += sigma * sigma * chiSquare(rng, replicates[r], rest);
  return { B, AZy: [AZy], AXy, yy };
}
