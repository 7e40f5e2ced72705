/**
 * R's contrast matrices (stats: contr.treatment, contr.SAS, contr.sum, contr.helmert, contr.poly) and
 * the names model.matrix gives their columns: the coding of a factor wherever R codes it by contrasts
 * (src/frame/modelMatrix.ts's termCoding), lme4's `contrasts = list(a = "contr.sum")`.
 */
import { ModelError } from '../errors/errors.js';

/** the contrast functions of R's stats that are matched */
export const CONTRAST_NAMES = ['contr.treatment', 'contr.sum', 'contr.helmert', 'contr.SAS', 'contr.poly'] as const;
export type ContrastName = (typeof CONTRAST_NAMES)[number];

/** lme4's `contrasts` argument: a contrast function's name per factor (by its label in the formula) */
export type Contrasts = Readonly<Record<string, ContrastName>>;

/**
 * A contrast matrix C (k levels × m columns, row-major: C[l * m + j]) and the suffixes model.matrix
 * appends to the factor's name for its columns (`B` of `aB`, `1` of `a1`, `.L` of `a.L`).
 */
export interface ContrastMatrix {
  matrix: Float64Array;
  /** m, the number of columns (k − 1 for every function here) */
  m: number;
  suffixes: string[];
}

/**
 * R's `contr.<name>(levels)` for a factor with these levels (k ≥ 2; checkFactorLevels comes first):
 *  - contr.treatment: columns e_2 … e_k (the first level the reference), named by the levels;
 *  - contr.SAS: contr.treatment with the last level the reference (e_1 … e_{k−1});
 *  - contr.sum: C[l, j] = δ_lj for l < k, C[k, j] = −1 (columns unnamed: model.matrix numbers them);
 *  - contr.helmert: column j (1-based) is −1 in rows 1…j, j in row j + 1, 0 below;
 *  - contr.poly: the orthonormal polynomials of degree 1 … k − 1 on the scores 1 … k (make.poly:
 *    the Q of the QR of [1, s, s², …] of the centred scores, each column's sign that of R's diagonal),
 *    named `.L`, `.Q`, `.C`, `^4`, ….
 */
export function contrastMatrix(name: ContrastName, levels: readonly string[]): ContrastMatrix {
  const k = levels.length;
  const m = k - 1;
  const C = new Float64Array(k * m);
  switch (name) {
    case 'contr.treatment':
      for (let j = 0; j < m; j++) C[(j + 1) * m + j] = 1;
      return { matrix: C, m, suffixes: levels.slice(1) };
    case 'contr.SAS':
      for (let j = 0; j < m; j++) C[j * m + j] = 1;
      return { matrix: C, m, suffixes: levels.slice(0, m) };
    case 'contr.sum':
      for (let j = 0; j < m; j++) { C[j * m + j] = 1; C[m * m + j] = -1; }
      return { matrix: C, m, suffixes: numbered(m) };
    case 'contr.helmert':
      for (let j = 0; j < m; j++) {
        for (let l = 0; l <= j; l++) C[l * m + j] = -1;
        C[(j + 1) * m + j] = j + 1;
      }
      return { matrix: C, m, suffixes: numbered(m) };
    case 'contr.poly':
      return { matrix: polyContrasts(k), m, suffixes: Array.from({ length: m }, (_, j) => (j < 3 ? ['.L', '.Q', '.C'][j] : `^${j + 1}`)) };
    default:
      throw new ModelError(`unknown contrast '${String(name)}' (use ${CONTRAST_NAMES.join(', ')})`);
  }
}

function numbered(m: number): string[] {
  return Array.from({ length: m }, (_, j) => String(j + 1));
}

/**
 * contr.poly(k) (k × (k − 1), row-major): with s the centred scores 1 … k − (k + 1)/2, the columns
 * of X = [s⁰, s¹, …, s^{k−1}] orthonormalized in order (modified Gram–Schmidt, twice: X = QR with
 * R's diagonal positive, which is make.poly's Q diag(R) scaled to unit length), the constant dropped.
 * Above 95 levels R refuses (its scores' powers overflow the QR's accuracy): so is it here.
 */
export function polyContrasts(k: number): Float64Array {
  if (k > 95) throw new ModelError(`contr.poly: a factor with ${k} levels (R's contr.poly refuses more than 95: orthogonal polynomials of so high a degree are not accurate)`);
  const mid = (k + 1) / 2;
  const cols: Float64Array[] = [];
  for (let d = 0; d < k; d++) {
    const x = Float64Array.from({ length: k }, (_, l) => (l + 1 - mid) ** d);
    // x ← x − Σ q (qᵀx), twice (reorthogonalization), then x / ‖x‖
    for (let pass = 0; pass < 2; pass++) {
      for (const q of cols) {
        let c = 0;
        for (let l = 0; l < k; l++) c += q[l] * x[l];
        for (let l = 0; l < k; l++) x[l] -= c * q[l];
      }
    }
    let norm = 0;
    for (let l = 0; l < k; l++) norm += x[l] * x[l];
    norm = Math.sqrt(norm);
    for (let l = 0; l < k; l++) x[l] /= norm;
    cols.push(x);
  }
  const m = k - 1;
  const C = new Float64Array(k * m);
  for (let j = 0; j < m; j++) for (let l = 0; l < k; l++) C[l * m + j] = cols[j + 1][l];
  return C;
}
