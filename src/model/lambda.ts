/**
 * Λ(θ): the relative covariance factor. Random-effects terms that share a grouping factor are
 * amalgamated into one block (as MixedModels.jl does), whose template T (q×q lower triangular) holds
 * the θ entries of each term on its diagonal sub-block and fixed zeros between terms. Λ is T repeated
 * for each level of the grouping factor: `b_g = T u_g`.
 *
 * θ is ordered as lme4 orders it: terms in lme4's order (by number of levels, decreasing), each
 * term's lower triangle column by column, so θ, its names and its bounds compare with lme4's.
 * The optimizer works in an internal parametrization of θ (src/model/reparam.ts).
 */
import type { ReTerm } from '../frame/modelFrame.js';
import type { GramBlock } from '../linalg/gram.js';
import { rowFloat64 } from '../linalg/rowChunks.js';

/**
 * A random-effects block: the terms on one grouping factor, with their template's θ index map
 * (GramBlock: group, levels, nl, q, thetaIndex) and model matrix.
 */
export interface RandomBlock extends GramBlock {
  /** level index per observation */
  codes: Int32Array;
  /** the block's model matrix: the terms' Z side by side, n × q row-major */
  Z: Float64Array;
  /** column names (`(Intercept)`, `Days`) */
  cnames: string[];
  /** the lme4 terms merged into this block, with their first column */
  terms: { term: number; col: number; q: number }[];
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

/**
 * Groups the terms by grouping factor, keeping lme4's term order for θ; a factor's block holds its
 * terms' columns in the formula's order (where lme4's order reverses them, θ's entries of each term
 * still follow lme4's order: thetaIndex maps them), the layout of an engine's sums (src/gram).
 */
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
    members.sort((a, b) => terms[a].position - terms[b].position);
    const first = terms[members[0]];
    const n = first.codes.length;
    const q = members.reduce((s, k) => s + terms[k].q, 0);
    // one term: its Z is the block's (the frame's array, not copied; neither is written to)
    const Z = members.length === 1 ? first.Z : rowFloat64(n * q, n);
    const thetaIndex = new Int32Array(q * q).fill(-1);
    const cnames: string[] = [];
    const merged: RandomBlock['terms'] = [];
    let col = 0;
    for (const k of members) {
      const t = terms[k];
      if (members.length > 1) for (let i = 0; i < n; i++) for (let s = 0; s < t.q; s++) Z[i * q + col + s] = t.Z[i * t.q + s];
      let idx = termOffset[k];
      for (let j = 0; j < t.q; j++) for (let i = j; i < t.q; i++) thetaIndex[(col + i) * q + col + j] = idx++;
      cnames.push(...t.cnames);
      merged.push({ term: k, col, q: t.q });
      col += t.q;
    }
    blocks.push({ group, levels: first.levels, nl: first.levels.length, codes: first.codes, q, Z, cnames, thetaIndex, terms: merged });
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

/**
 * lme4's isSingular: a diagonal entry of a relative covariance factor (θ in lme4's parametrization,
 * lower bound 0) below 1e-4.
 */
export function isSingular(layout: ThetaLayout, theta: ArrayLike<number>): boolean {
  return layout.lower.some((lo, k) => lo === 0 && theta[k] < 1e-4);
}

/** The fit's message for a singular fit (lme4's). */
export const SINGULAR_MESSAGE = "boundary (singular) fit: see help('isSingular')";
