/**
 * The weighted Gram matrix of one PIRLS iteration, A(w) = [Z X z]ᵀ W [Z X z] (W = diag(w), z the
 * working response), in the blocked layout of src/model/gram.ts so that the blocked Cholesky
 * factors it unchanged. This pass over the data is the stage a GPU backend replaces: a backend is
 * anything with `form(weights, workingResponse) → GramMatrix`.
 *
 * The sparsity structure (which pairs of levels of two factors occur together) does not depend on
 * the weights, so it is found once; each pass only accumulates values into the same arrays. The
 * blocked Cholesky built on the returned GramMatrix reads those arrays at each factorization.
 */
import type { RandomBlock } from '../model/lambda.js';
import { type BlockSparse, type GramMatrix, patternFromKeys } from '../model/gram.js';

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

  constructor(input: WeightedGramInput, shareStructure?: WeightedGramCpu) {
    this.input = input;
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
