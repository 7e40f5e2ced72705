/**
 * Λ(θ): the relative covariance factor. Random-effects terms that share a grouping factor are
 * amalgamated into one block (as MixedModels.jl does), whose template T (q×q lower triangular) holds
 * the θ entries of each term on its diagonal sub-block and fixed zeros between terms. Λ is T repeated
 * for each level of the grouping factor: `b_g = T u_g`.
 *
 * θ is ordered as lme4 orders it: terms in lme4's order (by number of levels, decreasing), each
 * term's lower triangle column by column, so θ, its names and its bounds compare with lme4's.
 *
 * Centring (an internal parametrization): a block that is one unstructured term with an intercept,
 * such as (x | g), is computed with its other columns centred, Z_c = Z C with C = I − e₀ mᵀ (m the
 * column means). The model is the same — b = C b_c, Σ = C Σ_c Cᵀ, and the profiled deviance depends
 * on Σ only — but the optimizer's θ_c (the Cholesky factor of Σ_c) is far better scaled when a
 * covariate has a large mean (e.g. calendar years): without it the intercept variance and a
 * correlation near −1 make a long curved valley. `thetaToInternal` / `thetaToOriginal` map between
 * lme4's θ and the internal θ_c; the backends and the optimizer work with θ_c.
 */
import type { ReTerm } from '../frame/modelFrame.js';
import { semidefiniteCholesky } from '../linalg/dense.js';
import { fillTemplate } from '../linalg/template.js';

export interface RandomBlock {
  /** grouping factor name (`Subject`, `cask:batch`) */
  group: string;
  levels: string[];
  /** number of levels */
  nl: number;
  /** level index per observation */
  codes: Int32Array;
  /** columns per level */
  q: number;
  /** the block's model matrix: the terms' Z side by side, n × q row-major */
  Z: Float64Array;
  /** column names (`(Intercept)`, `Days`) */
  cnames: string[];
  /** for each template entry T[i][j] (row-major q×q), the index of θ that fills it, or -1 for a fixed zero */
  thetaIndex: Int32Array;
  /** the lme4 terms merged into this block, with their first column */
  terms: { term: number; col: number; q: number }[];
  /** the column means m subtracted (times the intercept column) when the block is centred, else null */
  centre: Float64Array | null;
  /** the model matrix the backends use: Z C when centred, else Z itself */
  Zc: Float64Array;
}

export interface ThetaLayout {
  /** number of θ entries */
  length: number;
  /** lme4's names: `Subject.(Intercept)`, `Subject.Days.(Intercept)`, `Subject.Days` */
  names: string[];
  /** lower bounds: 0 for diagonal entries, -Infinity for off-diagonal ones */
  lower: Float64Array;
  /** lme4's starting value: 1 on the diagonal, 0 off it */
  start: Float64Array;
}

/** Groups the terms by grouping factor, keeping lme4's term order for θ. */
export function buildRandomBlocks(terms: ReTerm[]): { blocks: RandomBlock[]; theta: ThetaLayout } {
  const names: string[] = [];
  const lower: number[] = [];
  const start: number[] = [];
  // θ offset of each term (column-major lower triangle of its q×q factor)
  const termOffset = terms.map((t) => {
    const off = names.length;
    for (let j = 0; j < t.q; j++) {
      for (let i = j; i < t.q; i++) {
        names.push(i === j ? `${t.group}.${t.cnames[i]}` : `${t.group}.${t.cnames[i]}.${t.cnames[j]}`);
        lower.push(i === j ? 0 : -Infinity);
        start.push(i === j ? 1 : 0);
      }
    }
    return off;
  });
  const byGroup = new Map<string, number[]>();
  terms.forEach((t, k) => {
    const list = byGroup.get(t.group) ?? [];
    list.push(k);
    byGroup.set(t.group, list);
  });
  const blocks: RandomBlock[] = [];
  for (const [group, members] of byGroup) {
    const first = terms[members[0]];
    const n = first.codes.length;
    const q = members.reduce((s, k) => s + terms[k].q, 0);
    const Z = new Float64Array(n * q);
    const thetaIndex = new Int32Array(q * q).fill(-1);
    const cnames: string[] = [];
    const merged: RandomBlock['terms'] = [];
    let col = 0;
    for (const k of members) {
      const t = terms[k];
      for (let i = 0; i < n; i++) for (let s = 0; s < t.q; s++) Z[i * q + col + s] = t.Z[i * t.q + s];
      let idx = termOffset[k];
      for (let j = 0; j < t.q; j++) for (let i = j; i < t.q; i++) thetaIndex[(col + i) * q + col + j] = idx++;
      cnames.push(...t.cnames);
      merged.push({ term: k, col, q: t.q });
      col += t.q;
    }
    const centre = members.length === 1 && q > 1 && cnames[0] === '(Intercept)' ? columnMeans(Z, n, q) : null;
    const Zc = centre ? centredZ(Z, n, q, centre) : Z;
    blocks.push({ group, levels: first.levels, nl: first.levels.length, codes: first.codes, q, Z, cnames, thetaIndex, terms: merged, centre, Zc });
  }
  // the blocked Cholesky eliminates the factor with most levels first
  blocks.sort((a, b) => b.nl - a.nl);
  return {
    blocks,
    theta: { length: names.length, names, lower: Float64Array.from(lower), start: Float64Array.from(start) },
  };
}

/** max_i |Z_is| per column s of a block's model matrix (n × q, row-major). */
export function columnMaxAbs(block: RandomBlock): Float64Array {
  const { q, Z } = block;
  const m = new Float64Array(q);
  for (let i = 0; i < Z.length; i++) m[i % q] = Math.max(m[i % q], Math.abs(Z[i]));
  return m;
}

/** Means of columns 1..q−1 of Z (n × q row-major); entry 0 stays 0. */
function columnMeans(Z: Float64Array, n: number, q: number): Float64Array {
  const m = new Float64Array(q);
  for (let i = 0; i < n; i++) for (let s = 1; s < q; s++) m[s] += Z[i * q + s];
  for (let s = 1; s < q; s++) m[s] /= n;
  return m;
}

/** Z C: column s minus m_s times column 0 (the intercept). */
function centredZ(Z: Float64Array, n: number, q: number, m: Float64Array): Float64Array {
  const Zc = Float64Array.from(Z);
  for (let i = 0; i < n; i++) for (let s = 1; s < q; s++) Zc[i * q + s] -= m[s] * Z[i * q];
  return Zc;
}

/** b = C b_c in place for q-vectors (level-major): b₀ = b_c0 − Σ_s m_s b_cs. */
export function uncentreModes(block: RandomBlock, b: Float64Array): void {
  const m = block.centre;
  if (!m) return;
  const q = block.q;
  for (let g = 0; g < block.nl; g++) {
    let shift = 0;
    for (let s = 1; s < q; s++) shift += m[s] * b[g * q + s];
    b[g * q] -= shift;
  }
}

/** V = C V_c Cᵀ in place for q × q matrices (level-major). */
export function uncentreCovariances(block: RandomBlock, V: Float64Array): void {
  const m = block.centre;
  if (!m) return;
  const q = block.q;
  for (let g = 0; g < block.nl; g++) {
    const o = g * q * q;
    // rows: row 0 −= Σ_s m_s row s; then columns likewise
    for (let t = 0; t < q; t++) {
      let acc = 0;
      for (let s = 1; s < q; s++) acc += m[s] * V[o + s * q + t];
      V[o + t] -= acc;
    }
    for (let r = 0; r < q; r++) {
      let acc = 0;
      for (let s = 1; s < q; s++) acc += V[o + r * q + s] * m[s];
      V[o + r * q] -= acc;
    }
  }
}

/** lme4's θ → the internal θ_c: T_c = chol(C⁻¹ T Tᵀ C⁻ᵀ) for centred blocks, C⁻¹ = I + e₀ mᵀ. */
export function thetaToInternal(blocks: RandomBlock[], theta: ArrayLike<number>): Float64Array {
  return mapCentredBlocks(blocks, theta, +1);
}

/** The internal θ_c → lme4's θ: T = chol(C T_c T_cᵀ Cᵀ), C = I − e₀ mᵀ. */
export function thetaToOriginal(blocks: RandomBlock[], theta: ArrayLike<number>): Float64Array {
  return mapCentredBlocks(blocks, theta, -1);
}

function mapCentredBlocks(blocks: RandomBlock[], theta: ArrayLike<number>, sign: 1 | -1): Float64Array {
  const out = Float64Array.from(theta);
  for (const b of blocks) {
    const m = b.centre;
    if (!m) continue;
    const q = b.q;
    const T = new Float64Array(q * q);
    fillTemplate(b, theta, T);
    // M = (I + sign e₀ mᵀ) T: only row 0 changes
    for (let t = 0; t < q; t++) {
      let acc = 0;
      for (let s = 1; s < q; s++) acc += m[s] * T[s * q + t];
      T[t] += sign * acc;
    }
    // Σ = M Mᵀ and its Cholesky factor (positive semi-definite: a zero pivot gives a zero column)
    const S = new Float64Array(q * q);
    for (let r = 0; r < q; r++) for (let c = 0; c <= r; c++) {
      let acc = 0;
      for (let u = 0; u < q; u++) acc += T[r * q + u] * T[c * q + u];
      S[r * q + c] = acc;
    }
    const L = semidefiniteCholesky(S, q);
    for (let e = 0; e < q * q; e++) if (b.thetaIndex[e] >= 0) out[b.thetaIndex[e]] = L[e];
  }
  return out;
}
