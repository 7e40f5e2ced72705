/**
 * The weighted Gram matrix of one PIRLS iteration, A(w) = [Z X z]ᵀ W [Z X z] (W = diag(w), z the
 * working response), in the blocked layout of src/linalg/gram.ts so that the blocked Cholesky
 * factors it unchanged. This pass over the data is the stage a GPU backend replaces: a backend is
 * anything with `form(weights, workingResponse) → GramMatrix`.
 *
 * The sparsity structure (which pairs of levels of two factors occur together) does not depend on
 * the weights, so it is found once; each pass only accumulates values into the same arrays. The
 * blocked Cholesky built on the returned GramMatrix reads those arrays at each factorization.
 */
import type { RandomBlock } from '../model/lambda.js';
import { type BlockSparse, type GramMatrix, patternFromKeys } from '../linalg/gram.js';
import type { CovFactor } from '../relmat/covFactor.js';
import { KnownCovarianceGram } from '../relmat/gram.js';
import { type RowArrays, RowJobs, registerRowKernel, sharedFloat64 } from '../linalg/rowThreads.js';

/**
 * Rows per call of the scalar term's row kernels: called many times, V8 compiles them as functions;
 * one call over all rows was compiled as a loop on its own (on-stack replacement) whose code
 * deoptimized at its return on every call (23 ms instead of ~2 per 200,000-row pass).
 */
const ROW_CHUNK = 8192;

/** A backend of the weighted data pass. */
export interface WeightedGramBackend {
  /** the Gram matrix object that every `form` fills (the blocked Cholesky holds on to it) */
  readonly gram: GramMatrix;
  /** A(w) = [Z X z]ᵀ diag(w) [Z X z], written into `gram` and returned */
  form(weights: Float64Array, workingResponse: Float64Array): GramMatrix;
}

/**
 * A backend whose pass completes asynchronously (the WebGPU backend: a readback). PIRLS drives it
 * through PirlsEngine.runAsync; `form` of such a backend may throw.
 */
export interface AsyncWeightedGramBackend {
  readonly gram: GramMatrix;
  formAsync(weights: Float64Array, workingResponse: Float64Array): Promise<GramMatrix>;
}

export interface WeightedGramInput {
  n: number;
  /** fixed-effects matrix, n × p column-major; p = 0 for the random effects alone (β fixed) */
  X: Float64Array;
  p: number;
  blocks: RandomBlock[];
}

/** The weighted data pass on the CPU, in float64. */
export class WeightedGramCpu implements WeightedGramBackend {
  readonly gram: GramMatrix;
  private readonly input: WeightedGramInput;
  /** for each cross block [j][k] (j > k), the entry of each row in its pattern */
  readonly crossPos: Int32Array[][];
  /** work array: weights times a column */
  private readonly wx: Float64Array;

  /** the one-term pass in segments on the row jobs, or null (see ScalarSegments) */
  private readonly segments: ScalarSegments | null;

  /**
   * `segments`: the row jobs' segmented pass for one scalar term (the engine's, sharing its arrays);
   * used by `form` when its weights and working response are that pass's arrays and p + 1 ≤ 4.
   */
  constructor(input: WeightedGramInput, shareStructure?: WeightedGramCpu, segments?: ScalarSegments | null) {
    this.input = input;
    this.segments = segments && input.blocks.length === 1 && input.blocks[0].q === 1 && input.p + 1 <= 4 ? segments : null;
    const { n, p, blocks } = input;
    const p1 = p + 1;
    const K = blocks.length;
    const Ajk: BlockSparse[][] = blocks.map(() => []);
    this.crossPos = blocks.map(() => []);
    for (let j = 1; j < K; j++) {
      for (let k = 0; k < j; k++) {
        const shared = shareStructure?.gram.Ajk[j]?.[k];
        const pattern = shared ? shared.pattern : crossPattern(n, blocks[j], blocks[k]);
        this.crossPos[j][k] = shared ? shareStructure!.crossPos[j][k] : entryPositions(n, blocks[j], blocks[k], pattern);
        Ajk[j][k] = { pattern, qr: blocks[j].q, qc: blocks[k].q, values: new Float64Array(pattern.rowIdx.length * blocks[j].q * blocks[k].q) };
      }
    }
    this.gram = {
      n, p, blocks,
      Akk: blocks.map((b) => new Float64Array(b.nl * b.q * b.q)),
      Ajk,
      AXk: blocks.map((b) => new Float64Array(p1 * b.nl * b.q)),
      AXX: new Float64Array(p1 * p1),
      yty: 0,
    };
    this.wx = new Float64Array(n);
  }

  form(weights: Float64Array, z: Float64Array): GramMatrix {
    const { n, X, p, blocks } = this.input;
    const g = this.gram;
    if (blocks.length === 1 && blocks[0].q === 1) return this.formScalar(weights, z);
    const p1 = p + 1;
    const K = blocks.length;
    const { Akk, AXk, AXX } = g;
    // column by column: each sum is one pass over contiguous arrays
    const col = (r: number) => (r < p ? X.subarray(r * n, r * n + n) : z);
    const wx = this.wx;
    for (let r = 0; r < p1; r++) {
      const xr = col(r);
      for (let i = 0; i < n; i++) wx[i] = weights[i] * xr[i];
      for (let s = 0; s <= r; s++) {
        const xs = col(s);
        let acc = 0;
        for (let i = 0; i < n; i++) acc += wx[i] * xs[i];
        AXX[r * p1 + s] = acc;
        AXX[s * p1 + r] = acc;
      }
    }
    g.yty = AXX[p * p1 + p];
    for (let k = 0; k < K; k++) {
      const b = blocks[k];
      const q = b.q;
      const codes = b.codes;
      const Z = b.Z;
      const akk = Akk[k];
      const axk = AXk[k];
      const m = b.nl * q;
      akk.fill(0);
      axk.fill(0);
      if (q === 1) {
        const wz = this.wx;
        for (let i = 0; i < n; i++) {
          const v = weights[i] * Z[i];
          wz[i] = v;
          akk[codes[i]] += v * Z[i];
        }
        for (let r = 0; r < p1; r++) {
          const xr = col(r);
          const o = r * m;
          for (let i = 0; i < n; i++) axk[o + codes[i]] += wz[i] * xr[i];
        }
        continue;
      }
      for (let i = 0; i < n; i++) {
        const w = weights[i];
        if (w === 0) continue;
        const c = codes[i];
        const zo = i * q;
        const ao = c * q * q;
        for (let s = 0; s < q; s++) {
          const zs = w * Z[zo + s];
          for (let t = 0; t < q; t++) akk[ao + s * q + t] += zs * Z[zo + t];
        }
        for (let r = 0; r < p1; r++) {
          const v = w * (r < p ? X[r * n + i] : z[i]);
          const base = r * m + c * q;
          for (let s = 0; s < q; s++) axk[base + s] += v * Z[zo + s];
        }
      }
    }
    for (let j = 1; j < K; j++) {
      const bj = blocks[j];
      const qj = bj.q;
      for (let k = 0; k < j; k++) {
        const bk = blocks[k];
        const qk = bk.q;
        const A = g.Ajk[j][k].values;
        A.fill(0);
        const pos = this.crossPos[j][k];
        if (qj === 1 && qk === 1) {
          const Zj = bj.Z, Zk = bk.Z;
          for (let i = 0; i < n; i++) A[pos[i]] += weights[i] * Zj[i] * Zk[i];
          continue;
        }
        for (let i = 0; i < n; i++) {
          const w = weights[i];
          if (w === 0) continue;
          const vo = pos[i] * qj * qk;
          for (let s = 0; s < qj; s++) {
            const zs = w * bj.Z[i * qj + s];
            for (let t = 0; t < qk; t++) A[vo + s * qk + t] += zs * bk.Z[i * qk + t];
          }
        }
      }
    }
    return g;
  }

  /**
   * `form` for one scalar term, (1 | g): A_XX, the level sums A_kk = Σ w Z² and A_Xk = Σ w Z v_r
   * (v = the columns of X and z) accumulated row by row, four columns of v at a time (one pass over
   * the rows for p + 1 ≤ 4, where the general path takes a pass per product; z alone when β is fixed).
   */
  private formScalar(weights: Float64Array, z: Float64Array): GramMatrix {
    const { n, X, p, blocks } = this.input;
    const g = this.gram;
    const p1 = p + 1;
    const { codes, Z, nl } = blocks[0];
    const akk = g.Akk[0];
    const axk = g.AXk[0];
    if (this.segments?.uses(weights, z)) {
      const d = this.segments.form(p1 === 1 ? 1 : 4, akk, axk, p1);
      if (p1 === 1) g.AXX[0] = d[0];
      else for (let a = 0, t = 0; a < 4; a++) for (let b = 0; b <= a; b++, t++) if (a < p1) { g.AXX[a * p1 + b] = d[t]; g.AXX[b * p1 + a] = d[t]; }
      g.yty = g.AXX[p * p1 + p];
      return g;
    }
    akk.fill(0);
    axk.fill(0);
    if (p1 === 1) {
      // β fixed (glmer's second stage): z's column alone
      let zz = 0;
      for (let c0 = 0; c0 < n; c0 += ROW_CHUNK) zz += scalarZColumn(c0, Math.min(n, c0 + ROW_CHUNK), weights, codes, Z, z, akk, axk);
      g.yty = zz;
      g.AXX[0] = g.yty;
      return g;
    }
    const nb = Math.ceil(p1 / 4);
    // the columns of v in blocks of four, the last block padded with z (whose sums there are dropped)
    const cols = Array.from({ length: nb * 4 }, (_, r) => (r < p ? X.subarray(r * n, r * n + n) : z));
    // A_Xk's row of each column (padding: a scratch row)
    const scratch = p1 % 4 ? new Float64Array(nl) : null;
    const rowsX = Array.from({ length: nb * 4 }, (_, r) => (r < p1 ? axk.subarray(r * nl, r * nl + nl) : scratch!));
    // A_kk's sums once (the first block); the later blocks' go to a scratch array
    const scratchK = nb > 1 ? new Float64Array(nl) : null;
    const AXX = g.AXX;
    const put = (r: number, s: number, v: number) => {
      if (r < p1 && s < p1) { AXX[r * p1 + s] = v; AXX[s * p1 + r] = v; }
    };
    for (let bi = 0; bi < nb; bi++) {
      const r0 = 4 * bi;
      const d = new Float64Array(10);
      for (let c0 = 0; c0 < n; c0 += ROW_CHUNK) {
        scalarDiagonalBlock(c0, Math.min(n, c0 + ROW_CHUNK), weights, codes, Z, bi === 0 ? akk : scratchK!,
          cols[r0], cols[r0 + 1], cols[r0 + 2], cols[r0 + 3], rowsX[r0], rowsX[r0 + 1], rowsX[r0 + 2], rowsX[r0 + 3], d);
      }
      for (let a = 0, t = 0; a < 4; a++) for (let b = 0; b <= a; b++) put(r0 + a, r0 + b, d[t++]);
      for (let bj = 0; bj < bi; bj++) {
        const s0 = 4 * bj;
        const c = new Float64Array(16);
        for (let c0 = 0; c0 < n; c0 += ROW_CHUNK) crossBlock(c0, Math.min(n, c0 + ROW_CHUNK), weights, cols.slice(r0, r0 + 4), cols.slice(s0, s0 + 4), c);
        for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) put(r0 + a, s0 + b, c[a * 4 + b]);
      }
    }
    g.yty = AXX[p * p1 + p];
    return g;
  }
}

/**
 * Rows [from, to) for four columns v0..v3: adds Σ w v_a v_b (a ≥ b) to acc in the order (0,0),
 * (1,0), (1,1), (2,0), …, (3,3), and per level c the sums Σ w Z v_a to xa[c] and Σ w Z² to akk[c].
 */
function scalarDiagonalBlock(from: number, to: number, w: Float64Array, codes: Int32Array, Z: Float64Array, akk: Float64Array,
  v0: Float64Array, v1: Float64Array, v2: Float64Array, v3: Float64Array,
  x0: Float64Array, x1: Float64Array, x2: Float64Array, x3: Float64Array, acc: Float64Array): void {
  let a00 = 0, a10 = 0, a11 = 0, a20 = 0, a21 = 0, a22 = 0, a30 = 0, a31 = 0, a32 = 0, a33 = 0;
  for (let i = from; i < to; i++) {
    const wi = w[i];
    if (wi === 0) continue;
    const c = codes[i];
    const zi = Z[i];
    const wz = wi * zi;
    akk[c] += wz * zi;
    const e0 = v0[i], e1 = v1[i], e2 = v2[i], e3 = v3[i];
    x0[c] += wz * e0; x1[c] += wz * e1; x2[c] += wz * e2; x3[c] += wz * e3;
    const w0 = wi * e0, w1 = wi * e1, w2 = wi * e2, w3 = wi * e3;
    a00 += w0 * e0;
    a10 += w1 * e0; a11 += w1 * e1;
    a20 += w2 * e0; a21 += w2 * e1; a22 += w2 * e2;
    a30 += w3 * e0; a31 += w3 * e1; a32 += w3 * e2; a33 += w3 * e3;
  }
  acc[0] += a00; acc[1] += a10; acc[2] += a11; acc[3] += a20; acc[4] += a21;
  acc[5] += a22; acc[6] += a30; acc[7] += a31; acc[8] += a32; acc[9] += a33;
}

/** Rows [from, to) for z alone: Σ w Z² and Σ w Z z per level into akk and axk; returns Σ w z². */
function scalarZColumn(from: number, to: number, w: Float64Array, codes: Int32Array, Z: Float64Array, z: Float64Array, akk: Float64Array, axk: Float64Array): number {
  let zz = 0;
  for (let i = from; i < to; i++) {
    const wi = w[i];
    if (wi === 0) continue;
    const c = codes[i];
    const wz = wi * Z[i];
    const zi = z[i];
    akk[c] += wz * Z[i];
    axk[c] += wz * zi;
    zz += wi * zi * zi;
  }
  return zz;
}

/** Rows [from, to): Σ w u_a v_b for four columns u and four v, added to acc[a * 4 + b]. */
function crossBlock(from: number, to: number, w: Float64Array, us: Float64Array[], vs: Float64Array[], acc: Float64Array): void {
  const u0 = us[0], u1 = us[1], u2 = us[2], u3 = us[3];
  const v0 = vs[0], v1 = vs[1], v2 = vs[2], v3 = vs[3];
  let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
  let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
  for (let i = from; i < to; i++) {
    const wi = w[i];
    if (wi === 0) continue;
    const f0 = v0[i], f1 = v1[i], f2 = v2[i], f3 = v3[i];
    let t = wi * u0[i];
    s00 += t * f0; s01 += t * f1; s02 += t * f2; s03 += t * f3;
    t = wi * u1[i];
    s10 += t * f0; s11 += t * f1; s12 += t * f2; s13 += t * f3;
    t = wi * u2[i];
    s20 += t * f0; s21 += t * f1; s22 += t * f2; s23 += t * f3;
    t = wi * u3[i];
    s30 += t * f0; s31 += t * f1; s32 += t * f2; s33 += t * f3;
  }
  const s = [s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33];
  for (let k = 0; k < 16; k++) acc[k] += s[k];
}

/** Segments of the one-term pass, at most (a job's segments; their partial sums are kept apart). */
const MAX_SEGMENTS = 16;
/**
 * Rows per level per segment, at least: each segment costs a zeroing and a merge of its per-level sums,
 * ~1/4 of a pass over as many rows as there are levels (measured at 10,000 levels: 10 segments cost the
 * one-thread pass +70%, 5 +25%, 2 +5%); with 8 the segments add ≤ ~10% to the pass on one thread.
 */
const SEGMENT_ROWS_PER_LEVEL = 8;
/** Levels per chunk of the merge of the segments' per-level sums. */
const MERGE_LEVELS = 4096;

/**
 * Rows of segment s (whole chunks of m rows) for the one-term pass on the row jobs: with ncols = 1 (β
 * fixed) z's column alone (scalarZColumn), with 4 four columns of [X z] (scalarDiagonalBlock; columns
 * past X's p are z again); the segment's per-level sums into its own slices of gAkkS and gAxS, its
 * scalar sums into gOut[10 s …]. gParams: [n, nl, S, chunks, m, ncols, p]. Self-contained but for those
 * two kernels (the row threads evaluate their text).
 */
export function scalarSegment(A: RowArrays, s: number): void {
  const P = A.gParams as Float64Array;
  const n = P[0], nl = P[1], S = P[2], chunks = P[3], m = P[4], ncols = P[5], p = P[6];
  const c0 = Math.floor((s * chunks) / S), c1 = Math.floor(((s + 1) * chunks) / S);
  const w = A.w as Float64Array, z = A.z as Float64Array, codes = A.codes as Int32Array, Z = A.Z as Float64Array, X = A.X as Float64Array;
  const akkS = A.gAkkS as Float64Array, axS = A.gAxS as Float64Array;
  const akk = akkS.subarray(s * nl, s * nl + nl);
  const xs = [0, 1, 2, 3].map((a) => axS.subarray((4 * s + a) * nl, (4 * s + a + 1) * nl));
  akk.fill(0);
  for (let a = 0; a < ncols; a++) xs[a].fill(0);
  const acc = (A.gOut as Float64Array).subarray(10 * s, 10 * s + 10);
  acc.fill(0);
  if (ncols === 1) {
    for (let c = c0; c < c1; c++) acc[0] += scalarZColumn(c * m, Math.min(n, c * m + m), w, codes, Z, z, akk, xs[0]);
    return;
  }
  const v = [0, 1, 2, 3].map((r) => (r < p ? X.subarray(r * n, r * n + n) : z));
  for (let c = c0; c < c1; c++) scalarDiagonalBlock(c * m, Math.min(n, c * m + m), w, codes, Z, akk, v[0], v[1], v[2], v[3], xs[0], xs[1], xs[2], xs[3], acc);
}

/**
 * Levels [c L, (c + 1) L) of the merge: gAkk = Σ_s gAkkS[s] and gAx[a] = Σ_s gAxS[s][a] (a < ncols),
 * the segments added in order. gParams as scalarSegment's, gParams[7] = L.
 */
export function mergeSegments(A: RowArrays, c: number): void {
  const P = A.gParams as Float64Array;
  const nl = P[1], S = P[2], ncols = P[5], L = P[7];
  const l0 = c * L, l1 = Math.min(nl, l0 + L);
  const akkS = A.gAkkS as Float64Array, axS = A.gAxS as Float64Array, akk = A.gAkk as Float64Array, ax = A.gAx as Float64Array;
  // segment by segment (two streams at a time), each level's sum in segment order
  for (let l = l0; l < l1; l++) akk[l] = akkS[l];
  for (let s = 1; s < S; s++) {
    const o = s * nl;
    for (let l = l0; l < l1; l++) akk[l] += akkS[o + l];
  }
  for (let a = 0; a < ncols; a++) {
    const d = a * nl;
    for (let l = l0; l < l1; l++) ax[d + l] = axS[d + l];
    for (let s = 1; s < S; s++) {
      const o = (4 * s + a) * nl;
      for (let l = l0; l < l1; l++) ax[d + l] += axS[o + l];
    }
  }
}

const SEGMENT_KERNEL = registerRowKernel('scalarSegment', scalarSegment, [scalarZColumn.toString(), scalarDiagonalBlock.toString()].join('\n'));
const MERGE_KERNEL = registerRowKernel('mergeSegments', mergeSegments);

/**
 * The weighted pass of one scalar term, (1 | g), on the row jobs (src/linalg/rowThreads.ts): the rows in
 * S segments of whole ROW_CHUNK chunks (S = min(16, chunks, ⌊n / (8 levels)⌋): fixed by the data, not
 * the threads), each segment's per-level and scalar sums kept apart, then merged level by level (the
 * segments in order).
 * The same sums in the same order whichever thread computes a segment.
 */
export class ScalarSegments {
  private readonly S: number;
  private readonly nl: number;
  private readonly arrays: RowArrays;

  private constructor(private readonly jobs: RowJobs, n: number, nl: number, S: number, chunks: number, m: number, alloc: (k: number) => Float64Array) {
    this.S = S;
    this.nl = nl;
    const A = jobs.arrays;
    A.gAkkS = alloc(S * nl);
    A.gAxS = alloc(4 * S * nl);
    A.gAkk = alloc(nl);
    A.gAx = alloc(4 * nl);
    A.gOut = alloc(10 * S);
    A.gParams = alloc(8);
    (A.gParams as Float64Array).set([n, nl, S, chunks, m, 1, 0, MERGE_LEVELS]);
    this.arrays = A;
  }

  /**
   * The segmented pass on `jobs` (whose arrays hold w, z, codes, Z and X, and take the pass's own),
   * or null when one segment would do (then the plain pass is the same work).
   */
  static create(jobs: RowJobs, n: number, nl: number, m: number): ScalarSegments | null {
    const chunks = Math.ceil(n / m);
    const S = Math.min(MAX_SEGMENTS, chunks, Math.floor(n / (SEGMENT_ROWS_PER_LEVEL * nl)));
    if (S < 2) return null;
    return new ScalarSegments(jobs, n, nl, S, chunks, m, jobs.shared ? sharedFloat64 : (k) => new Float64Array(k));
  }

  /** is the pass asked for on this pass's arrays */
  uses(weights: Float64Array, z: Float64Array): boolean {
    return weights === this.arrays.w && z === this.arrays.z;
  }

  /**
   * The pass over `ncols` columns (1: z; 4: the first p1 − 1 columns of the arrays' X, then z): the
   * level sums into akk and the first p1 rows of axk (level-major rows of nl), returns the 10 scalar
   * sums (scalarDiagonalBlock's order).
   */
  form(ncols: 1 | 4, akk: Float64Array, axk: Float64Array, p1: number): Float64Array {
    const A = this.arrays, S = this.S, nl = this.nl;
    const P = A.gParams as Float64Array;
    P[5] = ncols;
    P[6] = p1 - 1;
    this.jobs.run(SEGMENT_KERNEL, S);
    this.jobs.run(MERGE_KERNEL, Math.ceil(nl / MERGE_LEVELS));
    akk.set(A.gAkk as Float64Array);
    axk.set((A.gAx as Float64Array).subarray(0, Math.min(p1, ncols) * nl));
    const out = A.gOut as Float64Array;
    const d = new Float64Array(10);
    for (let t = 0; t < 10; t++) {
      let v = out[t];
      for (let s = 1; s < S; s++) v += out[10 * s + t];
      d[t] = v;
    }
    return d;
  }
}

/** The pattern of Z_jᵀ Z_k: the pairs of levels of factors j and k that occur in a row. */
function crossPattern(n: number, bj: RandomBlock, bk: RandomBlock) {
  const nrow = bj.nl;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = bk.codes[i] * nrow + bj.codes[i];
  return patternFromKeys(keys, nrow, bk.nl);
}

/** The entry of each row's level pair in the pattern. */
function entryPositions(n: number, bj: RandomBlock, bk: RandomBlock, pattern: ReturnType<typeof crossPattern>): Int32Array {
  const pos = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const col = bk.codes[i];
    const row = bj.codes[i];
    let lo = pattern.colPtr[col], hi = pattern.colPtr[col + 1] - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pattern.rowIdx[mid] < row) lo = mid + 1; else hi = mid;
    }
    pos[i] = lo;
  }
  return pos;
}

/**
 * The working response in two parts, z = (η − base) + r with the fitted part η − base = Zb (+ Xβ
 * when β is free) and the working residual r = (y − μ)/(dμ/dη): given the Gram matrix of [Z X r]
 * (its last row/column the cross-products with r), this adds the fitted part's cross-products in
 * float64 from the other blocks,
 *   [Z X]ᵀW z = [Z X]ᵀW r + A c,   zᵀW z = rᵀW r + 2 cᵀ([Z X]ᵀW r) + cᵀA c,   c = (b, β),
 * where A is the weighted Gram matrix of [Z X] (β's part only when the gram has X). The PIRLS solve
 * with this right-hand side is c plus the Newton step (A + penalty)⁻¹(gradient): the rounding of a
 * pass in f32 then perturbs only the step and the Hessian, not c itself (a pass that forms z in f32
 * would round η, whose error the solve passes on to the new iterate undiminished).
 */
export function addFittedPart(gram: GramMatrix, b: Float64Array[], beta: ArrayLike<number> | null): void {
  const { p, blocks, Akk, AXk, AXX, Ajk } = gram;
  const p1 = p + 1;
  if ((p > 0) !== (beta !== null)) throw new Error('internal: the fitted part needs β exactly when the pass has X');
  const K = blocks.length;
  // A c for the rows of each block (Ac[k], level-major) and of X (AcX)
  const Ac = blocks.map((bl) => new Float64Array(bl.nl * bl.q));
  const AcX = new Float64Array(p);
  for (let k = 0; k < K; k++) {
    const { q, nl } = blocks[k];
    const m = nl * q;
    const bk = b[k], A = Akk[k], out = Ac[k], AX = AXk[k];
    for (let c = 0; c < nl; c++) {
      for (let s = 0; s < q; s++) {
        let acc = 0;
        for (let t = 0; t < q; t++) acc += A[c * q * q + s * q + t] * bk[c * q + t];
        for (let r = 0; r < p; r++) acc += AX[r * m + c * q + s] * beta![r];
        out[c * q + s] += acc;
      }
    }
    // the X rows: A_Xk b_k
    for (let r = 0; r < p; r++) {
      let acc = 0;
      for (let e = 0; e < m; e++) acc += AX[r * m + e] * bk[e];
      AcX[r] += acc;
    }
  }
  for (let r = 0; r < p; r++) {
    let acc = 0;
    for (let s = 0; s < p; s++) acc += AXX[r * p1 + s] * beta![s];
    AcX[r] += acc;
  }
  // the cross blocks A_jk (j > k): rows are levels of j, columns levels of k
  for (let j = 1; j < K; j++) {
    for (let k = 0; k < j; k++) {
      const { pattern, qr, qc, values } = Ajk[j][k];
      const bj = b[j], bk = b[k], outJ = Ac[j], outK = Ac[k];
      for (let col = 0; col < pattern.ncol; col++) {
        for (let e = pattern.colPtr[col]; e < pattern.colPtr[col + 1]; e++) {
          const row = pattern.rowIdx[e];
          const o = e * qr * qc;
          for (let s = 0; s < qr; s++) {
            for (let t = 0; t < qc; t++) {
              const v = values[o + s * qc + t];
              outJ[row * qr + s] += v * bk[col * qc + t];
              outK[col * qc + t] += v * bj[row * qr + s];
            }
          }
        }
      }
    }
  }
  // r's row becomes z's: A_Xk[p, ·] += (A c)_k, A_XX[p, r] += (A c)_X; zᵀWz as above
  let cg = 0;
  let cAc = 0;
  for (let k = 0; k < K; k++) {
    const m = blocks[k].nl * blocks[k].q;
    const AX = AXk[k], bk = b[k], out = Ac[k];
    for (let e = 0; e < m; e++) {
      cg += bk[e] * AX[p * m + e];
      cAc += bk[e] * out[e];
      AX[p * m + e] += out[e];
    }
  }
  for (let r = 0; r < p; r++) {
    cg += beta![r] * AXX[p * p1 + r];
    cAc += beta![r] * AcX[r];
    AXX[p * p1 + r] += AcX[r];
    AXX[r * p1 + p] += AcX[r];
  }
  AXX[p * p1 + p] += 2 * cg + cAc;
  gram.yty = AXX[p * p1 + p];
}

/**
 * A weighted pass whose A(w) is transformed by known covariance factors (relmat): the pass of
 * `inner`, then B_kᵀ A(w) B_k for the blocks with a factor (src/relmat/gram.ts), into one
 * GramMatrix that the blocked Cholesky holds.
 */
export function knownWeightedGram(inner: WeightedGramBackend, known: (CovFactor | null)[]): WeightedGramBackend {
  const transformed = new KnownCovarianceGram(inner.gram, known);
  return {
    gram: transformed.gram,
    form(weights, workingResponse) {
      return transformed.update(inner.form(weights, workingResponse));
    },
  };
}

