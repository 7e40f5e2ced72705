/**
 * multcomp 1.4-22's contrMat(n, type, base): the contrast matrices of multiple comparisons of k group
 * means (rows the comparisons, columns the groups), n the groups' sizes (table() of the factor over the
 * rows used; the weighted types average by them). With e_i the i-th unit vector:
 *   Dunnett      e_i − e_base, i ≠ base                          "B - A"
 *   Tukey        e_j − e_i, i < j (all pairs)                     "B - A"
 *   Sequen       e_i − e_{i−1}                                    "B - A"
 *   AVE          e_i − the other groups' n-weighted mean          "C 1", …
 *   Changepoint  mean of i+1…k − mean of 1…i (n-weighted)
 *   Williams     mean of the top i groups − e_1, i = 1…k−2, then of groups 2…k
 *   Marcus       mean of i+1…k − mean of 1…j, j ≤ i
 *   McDermott    e_{i+1} − mean of 1…i
 *   UmbrellaWilliams  Williams' contrasts of each peak position
 *   GrandMean    e_i − the n-weighted grand mean                  the levels' names
 */
import { ModelError } from '../errors/errors.js';

export const CONTRAST_TYPES = ['Dunnett', 'Tukey', 'Sequen', 'AVE', 'Changepoint', 'Williams', 'Marcus', 'McDermott', 'UmbrellaWilliams', 'GrandMean'] as const;
export type ContrastType = (typeof CONTRAST_TYPES)[number];

/** a contrast matrix: rows × k, row-major, with its rows' names */
export interface ContrMat { K: number[][]; names: string[]; type: ContrastType }

const sum = (v: readonly number[], from: number, to: number) => { let s = 0; for (let i = from; i < to; i++) s += v[i]; return s; };

/** R's pmatch of a contrast type's name (a unique prefix), or null */
export function matchContrastType(name: string): ContrastType | null {
  const exact = CONTRAST_TYPES.find((t) => t === name);
  if (exact) return exact;
  const partial = CONTRAST_TYPES.filter((t) => t.startsWith(name));
  return name !== '' && partial.length === 1 ? partial[0] : null;
}

/** contrMat(n, type, base) with n the groups' sizes and names the groups' names (base 1-based, as R's) */
export function contrMat(n: readonly number[], names: readonly string[], type: ContrastType, base = 1): ContrMat {
  const k = n.length;
  if (k < 2) throw new ModelError('contrMat: less than two groups');
  if ((type === 'AVE' || type === 'Williams' || type === 'McDermott') && k < 3) throw new ModelError(`contrMat: ${type} contrasts need at least three groups`);
  if (!(Number.isInteger(base) && base >= 1 && base <= k)) throw new ModelError(`contrMat: base is not between 1 and ${k}`);
  const K: number[][] = [];
  const rn: string[] = [];
  const unit = (i: number) => Array.from({ length: k }, (_, l) => (l === i ? 1 : 0));
  const diff = (i: number, j: number) => unit(i).map((v, l) => v - unit(j)[l]);
  const b = base - 1;
  switch (type) {
    case 'Dunnett':
      for (let i = 0; i < k; i++) if (i !== b) { K.push(diff(i, b)); rn.push(`${names[i]} - ${names[b]}`); }
      break;
    case 'Tukey':
      for (let i = 0; i < k - 1; i++) for (let j = i + 1; j < k; j++) { K.push(diff(j, i)); rn.push(`${names[j]} - ${names[i]}`); }
      break;
    case 'Sequen':
      for (let i = 1; i < k; i++) { K.push(diff(i, i - 1)); rn.push(`${names[i]} - ${names[i - 1]}`); }
      break;
    case 'AVE': {
      // row i: 1 at i, −n_l / Σ_{l≠i} n_l elsewhere
      for (let i = 0; i < k; i++) {
        const rest = sum(n, 0, k) - n[i];
        K.push(n.map((nl, l) => (l === i ? 1 : -nl / rest)));
      }
      break;
    }
    case 'Changepoint':
      for (let i = 1; i < k; i++) {
        const lo = sum(n, 0, i), hi = sum(n, i, k);
        K.push(n.map((nl, l) => (l < i ? -nl / lo : nl / hi)));
      }
      break;
    case 'Williams': {
      for (let i = 1; i <= k - 2; i++) {
        const top = sum(n, k - i, k);
        K.push(n.map((nl, l) => (l === 0 ? -1 : l >= k - i ? nl / top : 0)));
      }
      const all = sum(n, 1, k);
      K.push(n.map((nl, l) => (l === 0 ? -1 : nl / all)));
      break;
    }
    case 'Marcus': {
      // cm1[i, ] the n-weighted mean of groups i+1…k, cm2[j, ] of groups 1…j; rows cm1[i] − cm2[j], j ≤ i
      const mean = (from: number, to: number) => { const s = sum(n, from, to); return n.map((nl, l) => (l >= from && l < to ? nl / s : 0)); };
      for (let i = 1; i <= k - 1; i++) for (let j = 1; j <= i; j++) { const a = mean(i, k), c = mean(0, j); K.push(a.map((v, l) => v - c[l])); }
      break;
    }
    case 'McDermott':
      for (let i = 1; i <= k - 1; i++) {
        const lo = sum(n, 0, i);
        K.push(n.map((nl, l) => (l < i ? -nl / lo : l === i ? 1 : 0)));
      }
      break;
    case 'UmbrellaWilliams':
      // R: c(-1, rep(0, k − i − j), n[((k − i + 1):k) − (j − 1)] / Σ, rep(0, j − 1)), j = 1…k−1, i = 1…k−j
      for (let j = 1; j <= k - 1; j++) {
        for (let i = 1; i <= k - j; i++) {
          const idx = Array.from({ length: i }, (_, t) => k - i + t - (j - 1)); // 0-based positions of the averaged groups
          const s = idx.reduce((a, l) => a + n[l], 0);
          const row = new Array(k).fill(0);
          row[0] = -1;
          for (const l of idx) row[l] = n[l] / s;
          K.push(row);
        }
      }
      break;
    case 'GrandMean': {
      const total = sum(n, 0, k);
      for (let i = 0; i < k; i++) K.push(n.map((nl, l) => (l === i ? 1 : 0) - nl / total));
      rn.push(...names);
      break;
    }
    default:
      throw new ModelError(`contrMat: unknown type '${String(type)}'`);
  }
  if (rn.length === 0) for (let r = 0; r < K.length; r++) rn.push(`C ${r + 1}`);
  return { K, names: rn, type };
}
