/**
 * The internal parametrization of the random effects that the optimizer works in, for lmer and
 * glmer alike.
 *
 * Each block's model matrix is transformed, Z_int = Z M with M = C S:
 *   C  centring: a block that is one term with an intercept, such as (x | g), has its other columns
 *      centred, column s − m_s × the intercept column (m the column means);
 *   S  scaling (glmer only, `scale: true`): every non-intercept column divided by its standard
 *      deviation (centred blocks) or its root mean square (others), so that a slope on a covariate
 *      measured in large units has a relative covariance factor of order one.
 * The model is unchanged — b = M b_int, Σ = M Σ_int Mᵀ, and the deviance depends on Σ only — but
 * the optimizer's θ_int (the Cholesky factor of Σ_int) is far better scaled: with a slope on a
 * covariate whose mean is 20 and SD 5 (or calendar years), lme4's θ couples the intercept and the
 * slope and a derivative-free optimizer crawls along the curved valley that the intercept variance
 * and a correlation near −1 make.
 *
 * S is diagonal, so a block of several terms (whose template has fixed zeros between the terms)
 * keeps its zero pattern; C applies only to single-term blocks, whose templates are full.
 * `thetaToInternal` / `thetaToOriginal` map between lme4's θ and θ_int; the objectives and the
 * backends work with θ_int and the blocks with Z M (`MixedModel.internalBlocks`).
 */
import type { RandomBlock } from './lambda.js';
import { fillTemplate } from '../linalg/template.js';
import { semidefiniteCholesky } from '../linalg/dense.js';
import { FRAME_CHUNK, rowFloat64, rowJobs } from '../linalg/rowChunks.js';
import { type RowArrays, registerRowKernel, sharedFloat64, sharedInt32 } from '../linalg/rowThreads.js';

/** M (q × q row-major) and M⁻¹ of a block, or null for the identity. */
export interface BlockTransform {
  M: Float64Array;
  Minv: Float64Array;
}

export interface ReparamOptions {
  /** S: divide the non-intercept columns by their spread (glmer); false: centring only (lmer) */
  scale: boolean;
  /**
   * C (default true). False keeps u in lme4's basis: C rotates the spherical u (Λ_int's Cholesky is
   * not M⁻¹Λ's), which the Laplace approximation does not see but adaptive quadrature's product rule
   * over a vector term does (src/glmm/agqVector.ts); S, diagonal, leaves the basis as it is.
   */
  centre?: boolean;
}

/**
 * Chunk c of Σ z_s and Σ z_s² over the chunk's rows of a block's Z (n × q, row-major), into
 * zMoments at 2 q c (the sums) and 2 q c + q (the squares). zParams = [n, q, rows per chunk].
 */
export function zMomentsChunk(A: RowArrays, c: number): void {
  const P = A.zParams as Float64Array;
  const n = P[0], q = P[1], i0 = c * P[2], i1 = Math.min(n, i0 + P[2]);
  const Z = A.Z as Float64Array;
  // the chunk's sums in a local array (neighbouring chunks' results share cache lines)
  const acc = new Float64Array(2 * q);
  for (let i = i0; i < i1; i++) for (let s = 0; s < q; s++) { const v = Z[i * q + s]; acc[s] += v; acc[q + s] += v * v; }
  (A.zMoments as Float64Array).set(acc, 2 * q * c);
}

/**
 * Chunk c of Z M (n × q, row-major, into Zi) over M's non-zero entries, column by column: M's
 * column j has entries zVal[e] in rows zRow[e], e ∈ [zPtr[j], zPtr[j + 1]). zParams as zMomentsChunk's.
 */
export function zTimesMChunk(A: RowArrays, c: number): void {
  const P = A.zParams as Float64Array;
  const n = P[0], q = P[1], i0 = c * P[2], i1 = Math.min(n, i0 + P[2]);
  const Z = A.Z as Float64Array, Zi = A.Zi as Float64Array;
  const ptr = A.zPtr as Int32Array, rowOf = A.zRow as Int32Array, val = A.zVal as Float64Array;
  // the sums over s skip only exact zeros (Z is finite), so they are those of the full product
  for (let i = i0; i < i1; i++) {
    const o = i * q;
    for (let j = 0; j < q; j++) {
      let acc = 0;
      for (let e = ptr[j]; e < ptr[j + 1]; e++) acc += Z[o + rowOf[e]] * val[e];
      Zi[o + j] = acc;
    }
  }
}

const Z_MOMENTS = registerRowKernel('zMoments', zMomentsChunk);
const Z_TIMES_M = registerRowKernel('zTimesM', zTimesMChunk);

/** The parameters of a block's row jobs (chunks of FRAME_CHUNK rows). */
function zParams(n: number, q: number): Float64Array {
  const P = sharedFloat64(3);
  P.set([n, q, FRAME_CHUNK]);
  return P;
}

/** The transform M = C S of each block (null where it is the identity). */
export function blockTransforms(blocks: RandomBlock[], options: ReparamOptions): (BlockTransform | null)[] {
  return blocks.map((b) => {
    const { q } = b;
    const n = b.codes.length;
    const intercept = b.cnames.indexOf('(Intercept)');
    const centre = options.centre !== false && b.terms.length === 1 && q > 1 && intercept === 0;
    if (!centre && !options.scale) return null;
    // Σ z_s and Σ z_s² over the rows: per chunk, the chunks added in chunk order
    const chunks = Math.max(1, Math.ceil(n / FRAME_CHUNK));
    const arrays: RowArrays = { Z: b.Z, zParams: zParams(n, q), zMoments: sharedFloat64(2 * q * chunks) };
    rowJobs(arrays, arrays).run(Z_MOMENTS, chunks);
    const moments = arrays.zMoments as Float64Array;
    const sum = moments.slice(0, q), sq = moments.slice(q, 2 * q);
    for (let c = 1; c < chunks; c++) for (let s = 0; s < q; s++) { sum[s] += moments[2 * q * c + s]; sq[s] += moments[2 * q * c + q + s]; }
    return transformFromMoments(b, n, sum, sq, options);
  });
}

/**
 * M = C S of a block from its column sums Σ z_s and Σ z_s² over its n rows (null for the identity):
 * blockTransforms's step after its pass, and an engine's (src/gram/glmm.ts) from its query's sums.
 */
export function transformFromMoments(b: Pick<RandomBlock, 'q' | 'cnames' | 'terms'>, n: number, sum: ArrayLike<number>, sq: ArrayLike<number>, options: ReparamOptions): BlockTransform | null {
  const { q } = b;
  const intercept = b.cnames.indexOf('(Intercept)');
  const centre = options.centre !== false && b.terms.length === 1 && q > 1 && intercept === 0;
  if (!centre && !options.scale) return null;
  const M = new Float64Array(q * q);
  let identity = true;
  for (let s = 0; s < q; s++) {
    M[s * q + s] = 1;
    if (s === intercept) continue;
    const m = sum[s] / n;
    let scale = 1;
    if (options.scale) {
      const spread = centre ? Math.sqrt(Math.max(0, sq[s] / n - m * m)) : Math.sqrt(sq[s] / n);
      scale = spread > 0 && Number.isFinite(spread) ? 1 / spread : 1;
    }
    M[s * q + s] = scale;
    if (centre) M[0 * q + s] = -m * scale;
    if (scale !== 1 || (centre && m !== 0)) identity = false;
  }
  if (identity) return null;
  return { M, Minv: invertUnitStructure(M, q) };
}

/** The block with Z M in place of Z (what the objective's backends and PIRLS work with). */
export function transformBlock(b: RandomBlock, t: BlockTransform | null): RandomBlock {
  if (!t) return b;
  const { q } = b;
  const n = b.codes.length;
  const Zi = rowFloat64(n * q, n);
  // M's non-zero entries, column by column (M = C S has the diagonal and at most the intercept's row)
  const rowOf: number[] = [], val: number[] = [];
  const ptr = sharedInt32(q + 1);
  for (let c = 0; c < q; c++) {
    for (let s = 0; s < q; s++) if (t.M[s * q + c] !== 0) { rowOf.push(s); val.push(t.M[s * q + c]); }
    ptr[c + 1] = rowOf.length;
  }
  const zRow = sharedInt32(rowOf.length), zVal = sharedFloat64(val.length);
  zRow.set(rowOf);
  zVal.set(val);
  const arrays: RowArrays = { Z: b.Z, Zi, zParams: zParams(n, q), zPtr: ptr, zRow, zVal };
  rowJobs(arrays, Zi).run(Z_TIMES_M, Math.max(1, Math.ceil(n / FRAME_CHUNK)));
  return { ...b, Z: Zi };
}

/** What the maps of θ read of a model: its blocks (lme4's) and their transforms. */
export interface Reparametrized {
  blocks: RandomBlock[];
  transforms: (BlockTransform | null)[];
}

/** lme4's θ → θ_int: T_int = chol(M⁻¹ T Tᵀ M⁻ᵀ) */
export function thetaToInternal(model: Reparametrized, theta: ArrayLike<number>): Float64Array {
  return mapTheta(model, theta, 'Minv');
}

/** θ_int → lme4's θ: T = chol(M T_int T_intᵀ Mᵀ) */
export function thetaToOriginal(model: Reparametrized, theta: ArrayLike<number>): Float64Array {
  return mapTheta(model, theta, 'M');
}

function mapTheta({ blocks, transforms }: Reparametrized, theta: ArrayLike<number>, which: 'M' | 'Minv'): Float64Array {
  const out = Float64Array.from(theta);
  blocks.forEach((b, k) => {
    const t = transforms[k];
    if (!t) return;
    const q = b.q;
    const A = t[which];
    const T = new Float64Array(q * q);
    fillTemplate(b, theta, T);
    // A T, then Σ = (A T)(A T)ᵀ and its Cholesky factor (positive semi-definite: a zero pivot gives a
    // zero column). Σ's rows are formed from A T's, so a true zero pivot leaves ~1e-16 of its own
    // column's diagonal; against the largest diagonal instead, a slope's real pivot beside an
    // intercept's variance at year 0 (8.5e-9 against 1.5e7) was zeroed and the fit assembled at a
    // singular θ 0.79 above the optimizer's (test/randomWeighted.test.ts, v01)
    const AT = new Float64Array(q * q);
    for (let r = 0; r < q; r++) for (let c = 0; c < q; c++) {
      let acc = 0;
      for (let s = 0; s < q; s++) acc += A[r * q + s] * T[s * q + c];
      AT[r * q + c] = acc;
    }
    const S = new Float64Array(q * q);
    for (let r = 0; r < q; r++) for (let c = 0; c <= r; c++) {
      let acc = 0;
      for (let u = 0; u < q; u++) acc += AT[r * q + u] * AT[c * q + u];
      S[r * q + c] = acc;
    }
    const L = semidefiniteCholesky(S, q, 'column');
    for (let e = 0; e < q * q; e++) if (b.thetaIndex[e] >= 0) out[b.thetaIndex[e]] = L[e];
  });
  return out;
}

/** b = M b_int for q-vectors (level-major), in place. */
export function modesToOriginal(b: Float64Array, q: number, t: BlockTransform | null): void {
  if (!t) return;
  const tmp = new Float64Array(q);
  for (let g = 0; g * q < b.length; g++) {
    for (let r = 0; r < q; r++) {
      let acc = 0;
      for (let s = 0; s < q; s++) acc += t.M[r * q + s] * b[g * q + s];
      tmp[r] = acc;
    }
    b.set(tmp, g * q);
  }
}

/** V = M V_int Mᵀ for q × q matrices (level-major), in place. */
export function covariancesToOriginal(V: Float64Array, q: number, t: BlockTransform | null): void {
  if (!t) return;
  const qq = q * q;
  const tmp = new Float64Array(qq);
  for (let o = 0; o < V.length; o += qq) {
    for (let r = 0; r < q; r++) for (let c = 0; c < q; c++) {
      let acc = 0;
      for (let s = 0; s < q; s++) acc += t.M[r * q + s] * V[o + s * q + c];
      tmp[r * q + c] = acc;
    }
    for (let r = 0; r < q; r++) for (let c = 0; c < q; c++) {
      let acc = 0;
      for (let s = 0; s < q; s++) acc += tmp[r * q + s] * t.M[c * q + s];
      V[o + r * q + c] = acc;
    }
  }
}

/** The inverse of M = C S: upper triangular with the nonzeros in the diagonal and row 0. */
function invertUnitStructure(M: Float64Array, q: number): Float64Array {
  // M = [d0 r; 0 D] with d0 = 1: M⁻¹ = [1, −r D⁻¹; 0, D⁻¹]
  const inv = new Float64Array(q * q);
  inv[0] = 1 / M[0];
  for (let s = 1; s < q; s++) {
    const d = M[s * q + s];
    inv[s * q + s] = 1 / d;
    inv[s] = -M[s] / (M[0] * d);
  }
  return inv;
}
