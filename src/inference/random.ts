/**
 * Counter-based random numbers for the parametric bootstrap: every draw is a pure function of
 * (seed, replicate, stream, index), so a replicate's data do not depend on how replicates are
 * batched, on the order rows are visited, or on the backend (the WebGPU kernel computes the same
 * function, shaders/bootstrapGram.wgsl).
 *
 * Generator: Threefry-2x32 with 20 rounds (Salmon, Moraes, Dror & Shaw 2011, "Parallel random
 * numbers: as easy as 1, 2, 3"; the Random123 rotation constants), keyed by (seed ⊕ replicate hash,
 * stream), counter (index >> 1, seed's high word); its two 32-bit outputs give two uniforms and, by
 * the Box–Muller transform, two standard normals, of which index & 1 picks one.
 */

const R = [13, 15, 26, 6, 17, 29, 16, 24];
const PARITY = 0x1bd11bda;

/** Threefry-2x32-20 of counter (c0, c1) under key (k0, k1): writes two 32-bit words into out. */
export function threefry2x32(k0: number, k1: number, c0: number, c1: number, out: Uint32Array): void {
  k0 >>>= 0;
  k1 >>>= 0;
  const k2 = (k0 ^ k1 ^ PARITY) >>> 0;
  let x0 = (c0 + k0) >>> 0;
  let x1 = (c1 + k1) >>> 0;
  for (let s = 1; s <= 5; s++) {
    // four rounds, then the key injection s (keys rotate k0, k1, k2)
    const o = ((s - 1) & 1) * 4;
    for (let j = 0; j < 4; j++) {
      x0 = (x0 + x1) >>> 0;
      const r = R[o + j];
      x1 = (((x1 << r) | (x1 >>> (32 - r))) ^ x0) >>> 0;
    }
    const m = s % 3;
    x0 = (x0 + (m === 0 ? k0 : m === 1 ? k1 : k2)) >>> 0;
    x1 = (x1 + (m === 0 ? k1 : m === 1 ? k2 : k0) + s) >>> 0;
  }
  out[0] = x0;
  out[1] = x1;
}

/** what a draw is for: the random effects of block k (U + k) or the residuals (EPS) */
export const STREAM_EPS = 0;
export const STREAM_U = 1;

/** A seeded source of standard normal draws indexed by (replicate, stream, index). */
export class CounterNormal {
  readonly seed: number;
  private readonly words = new Uint32Array(2);

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
    this.seed = seed;
  }

  /** the key of a replicate: (low seed word mixed with the replicate, stream) */
  keyOf(replicate: number): number {
    return (((this.seed >>> 0) ^ Math.imul(replicate + 1, 0x9e3779b9)) >>> 0);
  }

  /** the standard normal draw number `index` of `stream` in `replicate` */
  normal(replicate: number, stream: number, index: number): number {
    threefry2x32(this.keyOf(replicate), stream, index >>> 1, Math.floor(this.seed / 2 ** 32) >>> 0, this.words);
    return boxMuller(this.words[0], this.words[1], index & 1);
  }

  /** both normals of the pair holding `index` (indices 2k and 2k + 1) into out[0], out[1] */
  normalPair(replicate: number, stream: number, pair: number, out: Float64Array): void {
    threefry2x32(this.keyOf(replicate), stream, pair, Math.floor(this.seed / 2 ** 32) >>> 0, this.words);
    const u1 = (this.words[0] + 0.5) / 4294967296;
    const u2 = (this.words[1] + 0.5) / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u1));
    out[0] = r * Math.cos(2 * Math.PI * u2);
    out[1] = r * Math.sin(2 * Math.PI * u2);
  }
}

/** Box–Muller from two 32-bit words (uniforms in (0, 1) at the half-integer points): cos or sin branch */
function boxMuller(w0: number, w1: number, which: number): number {
  const u1 = (w0 + 0.5) / 4294967296;
  const u2 = (w1 + 0.5) / 4294967296;
  const r = Math.sqrt(-2 * Math.log(u1));
  return which === 0 ? r * Math.cos(2 * Math.PI * u2) : r * Math.sin(2 * Math.PI * u2);
}
