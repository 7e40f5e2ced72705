/**
 * emmeans's contrast families (emmeans's *.emmc functions): for k estimated marginal means with
 * labels levs, a k × m coefficient matrix (one column per contrast), the contrasts' names, their
 * default multiplicity adjustment and whether they are one set of pairwise comparisons.
 *   pairwise     μᵢ − μⱼ for i < j ("a - b"), tukey
 *   revpairwise  μⱼ − μᵢ for j > i, by j then i ("b - a"), tukey
 *   trt.vs.ctrl  μᵢ − μ_ref for i ≠ ref ("b - a"; ref the first level unless given), dunnettx
 *   trt.vs.ctrlk the same with the last level as ref
 *   consec       μᵢ₊₁ − μᵢ ("b - a"), with emmeans's default adjustment mvt (the multivariate t)
 *   eff          μᵢ − mean(μ) ("a effect"), fdr
 *   del.eff      μᵢ − mean of the others ("a effect": eff's column over its own coefficient), fdr
 *   poly         orthogonal polynomials of degree 1 … min(6, k − 1) in integer form (R's poly(1:k)
 *                rescaled as emmeans does), none
 *   a custom set { name: coefficients } of k coefficients each, none
 */
import { OptionError } from '../errors/errors.js';
import type { AdjustMethod } from './emmAdjust.js';

export const CONTRAST_METHODS = ['pairwise', 'revpairwise', 'trt.vs.ctrl', 'trt.vs.ctrlk', 'consec', 'eff', 'del.eff', 'poly'] as const;
export type ContrastMethod = (typeof CONTRAST_METHODS)[number];

export interface ContrastFamily {
  names: string[];
  /** coefficients, one array of k per contrast */
  coef: number[][];
  /** emmeans's default adjustment */
  adjust: AdjustMethod;
  pairs: boolean;
  desc: string;
}

export interface ContrastMethodOptions {
  /** trt.vs.ctrl's control: a level's label or its 1-based position */
  ref?: string | number;
  /** reverse the sense of trt.vs.ctrl and consec (control − treatment, earlier − later) */
  reverse?: boolean;
}

const unit = (k: number, i: number, j: number, vi = 1, vj = -1): number[] => {
  const c = new Array<number>(k).fill(0);
  c[i] = vi;
  c[j] = vj;
  return c;
};

export function contrastFamily(method: ContrastMethod | Record<string, number[]>, levs: string[], options: ContrastMethodOptions = {}): ContrastFamily {
  const k = levs.length;
  if (typeof method === 'object') {
    const names = Object.keys(method);
    if (names.length === 0) throw new OptionError('method', 'a custom contrast set needs at least one named coefficient vector');
    const coef = names.map((nm) => {
      const c = method[nm];
      if (!Array.isArray(c) || c.length !== k || !c.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new OptionError('method', `custom contrast '${nm}' must have ${k} finite coefficients (one per estimate: ${levs.join(', ')})`);
      }
      return [...c];
    });
    return { names, coef, adjust: 'none', pairs: false, desc: 'custom contrasts' };
  }
  if (k < 2 && method !== 'eff' && method !== 'del.eff') throw new OptionError('method', `the ${method} contrasts need at least two estimates in each group; there ${k === 1 ? 'is one' : 'are none'}`);
  const names: string[] = [], coef: number[][] = [];
  switch (method) {
    case 'pairwise':
      for (let i = 0; i < k - 1; i++) for (let j = i + 1; j < k; j++) { names.push(`${levs[i]} - ${levs[j]}`); coef.push(unit(k, i, j)); }
      return { names, coef, adjust: 'tukey', pairs: true, desc: 'pairwise differences' };
    case 'revpairwise':
      for (let i = 1; i < k; i++) for (let j = 0; j < i; j++) { names.push(`${levs[i]} - ${levs[j]}`); coef.push(unit(k, i, j)); }
      return { names, coef, adjust: 'tukey', pairs: true, desc: 'pairwise differences' };
    case 'trt.vs.ctrl':
    case 'trt.vs.ctrlk': {
      const ref = method === 'trt.vs.ctrlk' && options.ref === undefined ? k - 1 : refIndex(options.ref ?? 1, levs);
      for (let i = 0; i < k; i++) {
        if (i === ref) continue;
        const c = unit(k, i, ref);
        if (options.reverse) { names.push(`${levs[ref]} - ${levs[i]}`); coef.push(c.map((x) => -x)); } else { names.push(`${levs[i]} - ${levs[ref]}`); coef.push(c); }
      }
      return { names, coef, adjust: 'dunnettx', pairs: false, desc: 'differences from control' };
    }
    case 'consec':
      for (let i = 0; i < k - 1; i++) {
        if (options.reverse) { names.push(`${levs[i]} - ${levs[i + 1]}`); coef.push(unit(k, i, i + 1)); } else { names.push(`${levs[i + 1]} - ${levs[i]}`); coef.push(unit(k, i + 1, i)); }
      }
      return { names, coef, adjust: 'mvt', pairs: false, desc: 'changes between consecutive levels' };
    case 'eff':
    case 'del.eff':
      for (let i = 0; i < k; i++) {
        const c = new Array<number>(k).fill(-1 / k);
        c[i] += 1;
        names.push(`${levs[i]} effect`);
        coef.push(method === 'eff' ? c : c.map((x) => x / c[i]));
      }
      return { names, coef, adjust: 'fdr', pairs: false, desc: method === 'eff' ? 'differences from grand mean' : 'differences from mean of others' };
    case 'poly': {
      const labels = ['linear', 'quadratic', 'cubic', 'quartic', ...Array.from({ length: 16 }, (_, d) => `degree ${d + 5}`)];
      orthogonalPolynomials(k, Math.min(6, k - 1)).forEach((c, d) => { names.push(labels[d]); coef.push(integerForm(c)); });
      return { names, coef, adjust: 'none', pairs: false, desc: 'polynomial contrasts' };
    }
  }
  throw new OptionError('method', `contrast method must be one of ${CONTRAST_METHODS.join(', ')} or an object of named coefficient vectors, not ${JSON.stringify(method)}`);
}

function refIndex(ref: string | number, levs: string[]): number {
  if (typeof ref === 'number') {
    if (!Number.isInteger(ref) || ref < 1 || ref > levs.length) throw new OptionError('ref', `ref ${ref} is out of range: give a position from 1 to ${levs.length} or a level (${levs.join(', ')})`);
    return ref - 1;
  }
  const i = levs.indexOf(ref);
  if (i < 0) throw new OptionError('ref', `ref '${ref}' is not one of the estimates' levels (${levs.join(', ')})`);
  return i;
}

/**
 * R's poly(1:k, degree): the polynomials of degree 1 … degree in x = 1 … k, orthonormal over those
 * points (Gram–Schmidt on the centred powers), each with a positive leading coefficient.
 */
export function orthogonalPolynomials(k: number, degree: number): number[][] {
  const mean = (k + 1) / 2;
  const basis: number[][] = [new Array<number>(k).fill(1 / Math.sqrt(k))];
  const out: number[][] = [];
  for (let d = 1; d <= degree; d++) {
    const v = Array.from({ length: k }, (_, i) => Math.pow(i + 1 - mean, d));
    // two passes of Gram–Schmidt against the lower degrees
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        const dot = v.reduce((s, x, i) => s + x * b[i], 0);
        for (let i = 0; i < k; i++) v[i] -= dot * b[i];
      }
    }
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    const u = v.map((x) => x / norm);
    basis.push(u);
    out.push(u);
  }
  return out;
}

/** emmeans's poly.emmc: a column over its smallest entry above 0.01, rescaled until it is nearly integer, then rounded. */
export function integerForm(col: number[]): number[] {
  let c = [...col];
  const pos = c.filter((x) => x > 0.01);
  const m = Math.min(...pos);
  c = c.map((x) => x / m);
  let z = Math.max(...c.map((x) => Math.abs(x - Math.round(x))));
  while (z > 0.05) {
    c = c.map((x) => x / z);
    z = Math.max(...c.map((x) => Math.abs(x - Math.round(x))));
  }
  // (+ 0: no negative zeros)
  return c.map((x) => Math.round(x) + 0);
}
