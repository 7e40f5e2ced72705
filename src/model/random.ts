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

const PARITY = 0x1bd11bda;

/** Threefry-2x32-20 of counter (c0, c1) under key (k0, k1): writes two 32-bit words into out (unrolled: 5 × 4 rounds, key injections). */
export function threefry2x32(k0: number, k1: number, c0: number, c1: number, out: Uint32Array): void {
  k0 |= 0;
  k1 |= 0;
  const k2 = k0 ^ k1 ^ PARITY;
  let x0 = ((c0 | 0) + k0) | 0;
  let x1 = ((c1 | 0) + k1) | 0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 15) | (x1 >>> 17)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 26) | (x1 >>> 6)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 6) | (x1 >>> 26)) ^ x0;
  x0 = (x0 + k1) | 0; x1 = (x1 + k2 + 1) | 0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 17) | (x1 >>> 15)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 29) | (x1 >>> 3)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 16) | (x1 >>> 16)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 24) | (x1 >>> 8)) ^ x0;
  x0 = (x0 + k2) | 0; x1 = (x1 + k0 + 2) | 0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 15) | (x1 >>> 17)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 26) | (x1 >>> 6)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 6) | (x1 >>> 26)) ^ x0;
  x0 = (x0 + k0) | 0; x1 = (x1 + k1 + 3) | 0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 17) | (x1 >>> 15)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 29) | (x1 >>> 3)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 16) | (x1 >>> 16)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 24) | (x1 >>> 8)) ^ x0;
  x0 = (x0 + k1) | 0; x1 = (x1 + k2 + 4) | 0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 15) | (x1 >>> 17)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 26) | (x1 >>> 6)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 6) | (x1 >>> 26)) ^ x0;
  x0 = (x0 + k2) | 0; x1 = (x1 + k0 + 5) | 0;
  out[0] = x0 >>> 0;
  out[1] = x1 >>> 0;
}

/** what a draw is for: the random effects of block k (U + k) or the residuals (EPS; a GLMM's response: its uniforms) */
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
    threefry2x32(this.keyOf(replicate), stream, index >>> 1, this.seedHi, this.words);
    return boxMuller(this.words[0], this.words[1], index & 1);
  }

  /**
   * the uniform draw number `index` of `stream` in `replicate`, in (0, 1): the first word of the
   * block that gives normal pair `index` (a stream is used either for normals or for uniforms)
   */
  uniform(replicate: number, stream: number, index: number): number {
    threefry2x32(this.keyOf(replicate), stream, index, this.seedHi, this.words);
    // 53 bits from both words, shifted by half a unit: never 0 or 1
    return ((this.words[0] >>> 5) * 67108864 + (this.words[1] >>> 6) + 0.5) / 9007199254740992;
  }

  /** both normals of the pair holding `index` (indices 2k and 2k + 1) into out[0], out[1] */
  normalPair(replicate: number, stream: number, pair: number, out: Float64Array): void {
    threefry2x32(this.keyOf(replicate), stream, pair, this.seedHi, this.words);
    boxMullerPair(this.words[0], this.words[1], out);
  }

  /** the seed's high 32 bits (the counter's second word) */
  private get seedHi(): number {
    return Math.floor(this.seed / 2 ** 32) >>> 0;
  }
}

/**
 * A Gamma(a) draw for a ≥ 1 by Marsaglia and Tsang (2000), from `replicate`'s streams `normals` and
 * `uniforms` (indices 0, 1, … until a pair is accepted): d = a − 1/3, c = 1/√(9d), v = (1 + c x)³,
 * accepted when log u < x²/2 + d − d v + d log v; the draw is d v.
 */
export function gammaDraw(rng: CounterNormal, replicate: number, a: number, normals: number, uniforms: number): number {
  const d = a - 1 / 3, c = 1 / Math.sqrt(9 * d);
  for (let k = 0; ; k++) {
    const x = rng.normal(replicate, normals, k);
    const v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = rng.uniform(replicate, uniforms, k);
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Box–Muller from two 32-bit words (uniforms in (0, 1) at the half-integer points): cos or sin branch */
function boxMuller(w0: number, w1: number, which: number): number {
  const out = scratchPair;
  boxMullerPair(w0, w1, out);
  return out[which];
}

const scratchPair = new Float64Array(2);

/**
 * Both Box–Muller normals √(−2 log u₁) (cos 2πu₂, sin 2πu₂). cos and sin come from the octant of
 * u₂ and Taylor series at its centre (|x| ≤ π/8, terms to x¹⁴: error below 1e-16), the same
 * construction as the WebGPU kernel's, and faster than Math.cos and Math.sin.
 */
function boxMullerPair(w0: number, w1: number, out: Float64Array): void {
  const u1 = (w0 + 0.5) / 4294967296;
  const u2 = (w1 + 0.5) / 4294967296;
  const r = Math.sqrt(-2 * Math.log(u1));
  const t8 = u2 * 8;
  const k = Math.min(Math.floor(t8), 7);
  const x = (t8 - k - 0.5) * 0.7853981633974483;
  const x2 = x * x;
  const sx = x * (1 - (x2 / 6) * (1 - (x2 / 20) * (1 - (x2 / 42) * (1 - (x2 / 72) * (1 - (x2 / 110) * (1 - x2 / 156))))));
  const cx = 1 - (x2 / 2) * (1 - (x2 / 12) * (1 - (x2 / 30) * (1 - (x2 / 56) * (1 - (x2 / 90) * (1 - (x2 / 132) * (1 - x2 / 182))))));
  const cc = COS_C[k], sc = SIN_C[k];
  out[0] = r * (cc * cx - sc * sx);
  out[1] = r * (sc * cx + cc * sx);
}

/** cos and sin of the octant centres (k + ½) π/4 */
const COS_C = Float64Array.from({ length: 8 }, (_, k) => Math.cos(((k + 0.5) * Math.PI) / 4));
const SIN_C = Float64Array.from({ length: 8 }, (_, k) => Math.sin(((k + 0.5) * Math.PI) / 4));

/**
 * New random effects of one block for replicate r: b*_g = T u*_g for each level g, u*_g standard normals
 * (stream STREAM_U + k for block k, index g·q + t), T the block's q × q lower-triangular template scaled
 * as the caller's model needs (σ̂ T(θ̂) for an LMM, T(θ̂) for a GLMM). Level-major, nl × q.
 */
export function drawBlockEffects(rng: CounterNormal, r: number, k: number, nl: number, q: number, T: Float64Array): Float64Array {
  const b = new Float64Array(nl * q);
  const u = new Float64Array(q);
  for (let g = 0; g < nl; g++) {
    for (let t = 0; t < q; t++) u[t] = rng.normal(r, STREAM_U + k, g * q + t);
    for (let s = 0; s < q; s++) { let acc = 0; for (let t = 0; t <= s; t++) acc += T[s * q + t] * u[t]; b[g * q + s] = acc; }
  }
  return b;
}

/** η_i += Z_i b_{g(i)}: a block's random effects b (level-major) added to the linear predictor of its rows. */
export function addBlockEffects(eta: Float64Array, codes: Int32Array, Z: Float64Array, q: number, b: Float64Array): void {
  for (let i = 0; i < eta.length; i++) {
    const g = codes[i];
    let acc = 0;
    for (let s = 0; s < q; s++) acc += Z[i * q + s] * b[g * q + s];
    eta[i] += acc;
  }
}
