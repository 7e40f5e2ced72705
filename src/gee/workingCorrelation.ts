/**
 * The working correlation R_i(α) of a cluster and its derivative E_i = ∂ρ_i/∂α, ρ_i = the upper
 * triangle of R_i by rows ((1,2), (1,3), …, (1,n), (2,3), …), as geepack's Corr classes (famstr.cc)
 * with the identity correlation link:
 *   independence  R = I, no α;
 *   exchangeable  R_jk = α, E = 1;
 *   ar1           R_jk = α^|t_j − t_k| (t the waves), E_jk = |t_j − t_k| α^(|t_j − t_k| − 1) (1 at lag 1);
 *   unstructured  R_jk = α_{t_j:t_k} (one α for each pair of waves a < b ≤ the largest cluster size, in
 *                 geepack's order alpha.1:2, alpha.1:3, …), E the pair's indicator row.
 * (geepack's 'fixed' and 'userdefined', which take a zcor, are not implemented: gee() refuses them.)
 */
import type { Mat } from './dense.js';

export type CorStr = 'independence' | 'exchangeable' | 'ar1' | 'unstructured';

export interface WorkingCorrelation {
  corstr: CorStr;
  /** the number of correlation parameters q */
  q: number;
  /** the parameters' names (geepack's zcor names: alpha, alpha.1:2, …) */
  names: string[];
  /** R_i(α) for a cluster with waves t (1-based codes) */
  R(alpha: readonly number[], t: ArrayLike<number>): Mat;
  /** E_i = ∂ρ_i/∂α (n(n−1)/2 × q) */
  E(alpha: readonly number[], t: ArrayLike<number>): Mat;
}

/** the index of the pair (a, b), a < b ≤ m (1-based waves), in the order alpha.1:2, alpha.1:3, …, alpha.(m−1):m */
export function pairIndex(a: number, b: number, m: number): number {
  return (a - 1) * m - ((a - 1) * a) / 2 + (b - a - 1);
}

/** The working correlation for `corstr`; m the largest cluster size. */
export function workingCorrelation(corstr: CorStr, m: number): WorkingCorrelation {
  const build = (t: ArrayLike<number>, off: (j: number, k: number) => number): Mat => {
    const n = t.length;
    const R: Mat = Array.from({ length: n }, (_, j) => Array.from({ length: n }, (_, k) => (j === k ? 1 : 0)));
    for (let j = 0; j < n; j++) for (let k = j + 1; k < n; k++) { R[j][k] = R[k][j] = off(j, k); }
    return R;
  };
  const pairs = (t: ArrayLike<number>, row: (j: number, k: number) => number[]): Mat => {
    const out: Mat = [];
    for (let j = 0; j < t.length; j++) for (let k = j + 1; k < t.length; k++) out.push(row(j, k));
    return out;
  };
  switch (corstr) {
    case 'independence':
      return { corstr, q: 0, names: [], R: (_a, t) => build(t, () => 0), E: () => [] };
    case 'exchangeable':
      return { corstr, q: 1, names: ['alpha'], R: (a, t) => build(t, () => a[0]), E: (_a, t) => pairs(t, () => [1]) };
    case 'ar1':
      return {
        corstr, q: 1, names: ['alpha'],
        // R_jk = α^|t_j − t_k|
        R: (a, t) => build(t, (j, k) => a[0] ** Math.abs(t[k] - t[j])),
        // ∂R_jk/∂α = d α^(d−1), d = |t_j − t_k| (geepack: 1 at d = 1)
        E: (a, t) => pairs(t, (j, k) => { const d = Math.abs(t[k] - t[j]); return [d === 1 ? 1 : d * a[0] ** (d - 1)]; }),
      };
    case 'unstructured': {
      const q = (m * (m - 1)) / 2;
      const names: string[] = [];
      for (let a = 1; a < m; a++) for (let b = a + 1; b <= m; b++) names.push(`alpha.${a}:${b}`);
      return {
        corstr, q, names,
        R: (a, t) => build(t, (j, k) => a[pairIndex(t[j], t[k], m)]),
        E: (_a, t) => pairs(t, (j, k) => { const e = new Array<number>(q).fill(0); e[pairIndex(t[j], t[k], m)] = 1; return e; }),
      };
    }
  }
}
