/**
 * The random-effects parts of a fitted mixed model shared by lmer fits (LmmFit) and glmer fits
 * (GlmmFit): the covariance of each term from θ and the scale (lme4's VarCorr), the rows of
 * `as.data.frame(VarCorr(fit))`, and the conditional modes by grouping factor (`ranef`).
 */
import type { ReTerm } from '../frame/modelFrame.js';
import type { RandomBlock } from '../model/lambda.js';
import { quantile7 } from '../frame/basis/bspline.js';

/** One row of lme4's `as.data.frame(VarCorr(fit))`. */
export interface VarCorrRow {
  group: string;
  var1: string | null;
  var2: string | null;
  /** variance or covariance */
  vcov: number;
  /** standard deviation or correlation */
  sdcor: number;
}

/** Conditional modes of one grouping factor (lme4's `ranef(fit, condVar = TRUE)`). */
export interface RanefGroup {
  group: string;
  levels: string[];
  /** per column name, the conditional mode of each level */
  values: Record<string, number[]>;
  /** per column name, the conditional standard deviation of each level */
  condsd: Record<string, number[]>;
}

/** the parts of an lme4 random-effects term that VarCorr reads */
export type VarCorrTerm = Pick<ReTerm, 'group' | 'q' | 'cnames'>;

/**
 * Σ = s² T Tᵀ of term t (q × q row-major), where T is the term's lower-triangular factor filled
 * column by column from its entries of θ (lme4's order).
 */
export function termCovariance(terms: readonly VarCorrTerm[], theta: ArrayLike<number>, t: number, s2: number): Float64Array {
  const q = terms[t].q;
  let off = 0;
  for (let k = 0; k < t; k++) off += (terms[k].q * (terms[k].q + 1)) / 2;
  const T = new Float64Array(q * q);
  for (let j = 0; j < q; j++) for (let i = j; i < q; i++) T[i * q + j] = theta[off++];
  const S = new Float64Array(q * q);
  for (let i = 0; i < q; i++) {
    for (let j = 0; j < q; j++) {
      let acc = 0;
      for (let u = 0; u <= Math.min(i, j); u++) acc += T[i * q + u] * T[j * q + u];
      S[i * q + j] = s2 * acc;
    }
  }
  return S;
}

/**
 * Variance components as lme4's `as.data.frame(VarCorr(fit))`: per term, the variances of its
 * columns, then the covariances; a term whose grouping factor was already named gets `.1`, `.2`.
 * Covariances scale with σ²; with `useScale` (lmer) a last `Residual` row holds σ², without it
 * (binomial and Poisson glmer, σ = 1) there is none.
 */
export function varCorrRows(terms: readonly VarCorrTerm[], theta: ArrayLike<number>, sigma: number, useScale: boolean): VarCorrRow[] {
  const rows: VarCorrRow[] = [];
  const seen = new Map<string, number>();
  const s2 = sigma * sigma;
  terms.forEach((term, t) => {
    const count = seen.get(term.group) ?? 0;
    seen.set(term.group, count + 1);
    const group = count === 0 ? term.group : `${term.group}.${count}`;
    const S = termCovariance(terms, theta, t, s2);
    const q = term.q;
    for (let i = 0; i < q; i++) rows.push({ group, var1: term.cnames[i], var2: null, vcov: S[i * q + i], sdcor: Math.sqrt(S[i * q + i]) });
    for (let i = 0; i < q; i++) {
      for (let j = i + 1; j < q; j++) {
        const c = S[i * q + j];
        rows.push({ group, var1: term.cnames[i], var2: term.cnames[j], vcov: c, sdcor: cov2cor(c, S[i * q + i], S[j * q + j]) });
      }
    }
  });
  if (useScale) rows.push({ group: 'Residual', var1: null, var2: null, vcov: s2, sdcor: sigma });
  return rows;
}

/**
 * √Var(b_s | y) from a diagonal entry of a level's conditional covariance. Var(b) = M Var(b_int) Mᵀ
 * (src/model/reparam.ts covariancesToOriginal) cancels to a rounding residue of either sign where
 * the variance is zero (a term's intercept row of θ exactly 0 beside a nonzero slope: −1e-34 gave a
 * NaN SD where lme4 reports 0), so a negative residue is 0.
 */
function conditionalSd(v: number): number {
  return Math.sqrt(Math.max(0, v));
}

/**
 * Conditional modes with conditional standard deviations, per grouping factor (block): `b[k]` the
 * modes of block k (nl · q, level-major), `condVar[k]` their q × q conditional covariances per level.
 */
export function ranefGroups(blocks: readonly RandomBlock[], b: readonly Float64Array[], condVar: readonly Float64Array[]): RanefGroup[] {
  return lme4BlockOrder(blocks).map((k) => {
    const blk = blocks[k];
    const bk = b[k];
    const cv = condVar[k];
    const q = blk.q;
    const values: Record<string, number[]> = {};
    const condsd: Record<string, number[]> = {};
    blk.cnames.forEach((name, s) => {
      values[name] = Array.from({ length: blk.nl }, (_, g) => bk[g * q + s]);
      condsd[name] = Array.from({ length: blk.nl }, (_, g) => conditionalSd(cv[g * q * q + s * q + s]));
    });
    return { group: blk.group, levels: blk.levels, values, condsd };
  });
}

/**
 * A grouping factor's conditional modes summarized, for a JSON result that does not list millions
 * of levels: per column, the modes' mean, SD and quantiles (R's type 7) and the conditional SDs'
 * mean, least and largest. `fit.ranef` (and toJSON's `ranef: 'all'`) give every level.
 */
export interface RanefSummary {
  group: string;
  nlevels: number;
  /** always true: the levels are not listed */
  summarized: true;
  /** per column name: the modes' mean, sd, min, q25, median, q75, max */
  values_summary: Record<string, { mean: number; sd: number; min: number; q25: number; median: number; q75: number; max: number }>;
  /** per column name: the conditional SDs' mean, min, max */
  condsd_summary: Record<string, { mean: number; min: number; max: number }>;
}

/** The grouping factors in lme4's order, each listed level by level (ranefGroups) or summarized where `summarize(nl)` says so. */
export function ranefJson(blocks: readonly RandomBlock[], b: readonly Float64Array[], condVar: readonly Float64Array[], summarize: (nlevels: number) => boolean): (RanefGroup | RanefSummary)[] {
  const full = (k: number) => ranefGroups([blocks[k]], [b[k]], [condVar[k]])[0];
  return lme4BlockOrder(blocks).map((k) => (summarize(blocks[k].nl) ? ranefSummary(blocks[k], b[k], condVar[k]) : full(k)));
}

function ranefSummary(blk: RandomBlock, bk: Float64Array, cv: Float64Array): RanefSummary {
  const q = blk.q;
  const nl = blk.nl;
  const values_summary: RanefSummary['values_summary'] = {};
  const condsd_summary: RanefSummary['condsd_summary'] = {};
  blk.cnames.forEach((name, s) => {
    const v = new Float64Array(nl);
    for (let g = 0; g < nl; g++) v[g] = bk[g * q + s];
    let sum = 0;
    for (let g = 0; g < nl; g++) sum += v[g];
    const mean = sum / nl;
    let ss = 0;
    for (let g = 0; g < nl; g++) ss += (v[g] - mean) ** 2;
    const [min, q25, median, q75, max] = quantile7(v, [0, 0.25, 0.5, 0.75, 1]);
    values_summary[name] = { mean, sd: nl > 1 ? Math.sqrt(ss / (nl - 1)) : NaN, min, q25, median, q75, max };
    let csum = 0;
    let cmin = Infinity;
    let cmax = -Infinity;
    for (let g = 0; g < nl; g++) {
      const c = conditionalSd(cv[g * q * q + s * q + s]);
      csum += c;
      cmin = Math.min(cmin, c);
      cmax = Math.max(cmax, c);
    }
    condsd_summary[name] = { mean: csum / nl, min: cmin, max: cmax };
  });
  return { group: blk.group, nlevels: nl, summarized: true, values_summary, condsd_summary };
}

/**
 * The blocks in lme4's order of its grouping factors (by their first term in lme4's order of the
 * terms); the model may keep them otherwise (blocks with a known covariance come last).
 */
export function lme4BlockOrder(blocks: readonly RandomBlock[]): number[] {
  const first = (k: number) => Math.min(...blocks[k].terms.map((t) => t.term));
  return blocks.map((_, k) => k).sort((a, b) => first(a) - first(b));
}

/**
 * The number of levels of each grouping factor (block) in the data, in lme4's order; `extraLevels[k]`:
 * levels of block k without data (a pedigree's ancestors), not counted.
 */
export function groupCounts(blocks: readonly RandomBlock[], extraLevels?: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of lme4BlockOrder(blocks)) out[blocks[k].group] = blocks[k].nl - (extraLevels?.[k] ?? 0);
  return out;
}

/** a p × p row-major matrix as an array of rows */
export function matrixRows(v: Float64Array, p: number): number[][] {
  return Array.from({ length: p }, (_, r) => Array.from(v.subarray(r * p, r * p + p)));
}

/** values keyed by name */
export function named(names: readonly string[], values: ArrayLike<number>): Record<string, number> {
  const out: Record<string, number> = {};
  names.forEach((nm, i) => { out[nm] = values[i]; });
  return out;
}

/**
 * The correlation cᵢⱼ / √(cᵢᵢ cⱼⱼ) of a covariance, computed as (cᵢⱼ / √cᵢᵢ) / √cⱼⱼ so that it does
 * not depend on the scale: cᵢᵢ cⱼⱼ overflows for variances near 1e160 and underflows near 1e-160,
 * where the correlation itself is an ordinary number. NaN when a variance is not positive.
 */
export function cov2cor(cij: number, cii: number, cjj: number): number {
  if (!(cii > 0 && cjj > 0)) return NaN;
  return cij / Math.sqrt(cii) / Math.sqrt(cjj);
}
