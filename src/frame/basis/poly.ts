/**
 * R's `poly(x, degree)` (stats::poly): orthogonal polynomials on the data, and on new data through
 * the three-term recurrence of predict.poly (R's makepredictcall keeps `coefs = list(alpha, norm2)`);
 * `poly(x, degree, raw = TRUE)`: the powers x, x², …, x^degree.
 */
import { DataError } from '../../errors/errors.js';

/** What poly() keeps of the data for new data: R's attr(, "coefs") (absent for raw powers). */
export interface PolyCoefs {
  degree: number;
  /** α_1..α_degree: the recurrence's centres */
  alpha: number[];
  /** norm2 = (1, n, ‖Z_1‖², …, ‖Z_degree‖²), R's layout (length degree + 2) */
  norm2: number[];
}

/**
 * poly(x, degree) on the data (`label` names the call in errors). R: x_c = x − x̄, X = [1, x_c, …,
 * x_c^d], X = QR, Z = Q diag(R) — column j of Z is the residual of x_c^j after projection on the
 * lower powers, which Gram–Schmidt gives uniquely (modified Gram–Schmidt here, each projection
 * repeated once more to restore orthogonality lost to rounding); then
 *   norm2_j = ‖Z_j‖², α_j = Σ x_c Z_j² / norm2_j + x̄ (j = 0..d−1), and the columns Z_j / ‖Z_j‖ (j = 1..d).
 * x must be free of missing values (R: "missing values are not allowed in 'poly'") and have more
 * distinct values than the degree.
 */
export function polyFit(x: Float64Array, degree: number, label: string): { columns: Float64Array[]; coefs: PolyCoefs } {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i]) && !Number.isNaN(x[i])) throw new DataError(`'${label}': the variable is infinite (${x[i]}) in row ${i + 1}`, { row: i + 1 });
    if (Number.isNaN(x[i])) {
      throw new DataError(`'${label}': the variable has a missing value in row ${i + 1}; R's poly() allows none (missing values are not allowed in 'poly'): R evaluates it on every row before dropping incomplete ones, so remove those rows from the data first`, { row: i + 1 });
    }
  }
  const unique = new Set(x).size;
  if (degree >= unique) throw new DataError(`'${label}': the degree (${degree}) must be less than the number of unique points (${unique}) (R: 'degree' must be less than number of unique points)`);
  // x̄ and x_c = x − x̄ (R's mean: the sum over n, then the mean of the residuals added)
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i];
  let xbar = s / n;
  let r = 0;
  for (let i = 0; i < n; i++) r += x[i] - xbar;
  xbar += r / n;
  const xc = new Float64Array(n);
  for (let i = 0; i < n; i++) xc[i] = x[i] - xbar;
  // Z_0 = 1; Z_j = x_c^j less its projections on Z_0..Z_{j−1} (twice)
  const Z: Float64Array[] = [new Float64Array(n).fill(1)];
  const norm2 = [1, n];
  for (let j = 1; j <= degree; j++) {
    const z = new Float64Array(n);
    for (let i = 0; i < n; i++) z[i] = rPower(xc[i], j);
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += Z[k][i] * z[i];
        const c = d / norm2[k + 1];
        for (let i = 0; i < n; i++) z[i] -= c * Z[k][i];
      }
    }
    let ss = 0;
    for (let i = 0; i < n; i++) ss += z[i] * z[i];
    if (!(ss > 0)) throw new DataError(`'${label}': the degree (${degree}) must be less than the number of unique points (R: 'degree' must be less than number of unique points)`);
    Z.push(z);
    norm2.push(ss);
  }
  // α_j = Σ x_c Z_j² / norm2_j + x̄
  const alpha: number[] = [];
  for (let j = 0; j < degree; j++) {
    let a = 0;
    for (let i = 0; i < n; i++) a += xc[i] * Z[j][i] * Z[j][i];
    alpha.push(a / norm2[j + 1] + xbar);
  }
  const columns = Z.slice(1).map((z, k) => {
    const norm = Math.sqrt(norm2[k + 2]);
    return z.map((v) => v / norm);
  });
  return { columns, coefs: { degree, alpha, norm2 } };
}

/**
 * poly(x, degree, coefs) on new data, R's recurrence (predict.poly):
 *   Z_0 = 1, Z_1 = x − α_1, Z_{i+1} = (x − α_{i+1}) Z_i − (norm2_{i+1} / norm2_i) Z_{i−1},
 * in R's 1-based norm2; the columns Z_j / √norm2_{j+1}. A missing x gives missing values.
 */
export function polyPredict(x: Float64Array, coefs: PolyCoefs): Float64Array[] {
  const { degree, alpha, norm2 } = coefs;
  const n = x.length;
  // R's 1-based norm2[i] is norm2[i - 1] here
  const Z: Float64Array[] = [new Float64Array(n).fill(1), x.map((v) => v - alpha[0])];
  for (let i = 2; i <= degree; i++) {
    const z = new Float64Array(n);
    const ratio = norm2[i] / norm2[i - 1];
    for (let r = 0; r < n; r++) z[r] = (x[r] - alpha[i - 1]) * Z[i - 1][r] - ratio * Z[i - 2][r];
    Z.push(z);
  }
  return Z.slice(1).map((z, k) => {
    const norm = Math.sqrt(norm2[k + 2]);
    return z.map((v) => v / norm);
  });
}

/**
 * The unnormalised P_d(x) of one x by predict.poly's recurrence (polyPredict's arithmetic, one row,
 * no allocation): P_0 = 1, P_1 = x − α_1, P_{i+1} = (x − α_{i+1}) P_i − (norm2_{i+1} / norm2_i) P_{i−1}
 * (R's 1-based α and norm2); `alpha` and `norm2` need only hold what P_d uses (α_1..α_d, norm2_1..norm2_d).
 * The engines take poly's coefficients degree by degree with it (src/gram/basisPass.ts).
 */
export function polyRecurrence(x: number, alpha: readonly number[], norm2: readonly number[], d: number): number {
  if (d === 0) return 1;
  let prev = 1, cur = x - alpha[0];
  for (let i = 2; i <= d; i++) {
    const next = (x - alpha[i - 1]) * cur - (norm2[i] / norm2[i - 1]) * prev;
    prev = cur;
    cur = next;
  }
  return cur;
}

/** poly(x, degree, raw = TRUE): x^1, …, x^degree (R's outer(x, 1:degree, "^")). */
export function polyRaw(x: Float64Array, degree: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let j = 1; j <= degree; j++) out.push(x.map((v) => rPower(v, j)));
  return out;
}

/** R's `^` on doubles (R_pow): x·x for the square, else the C library's pow. */
function rPower(x: number, k: number): number {
  return k === 1 ? x : k === 2 ? x * x : Math.pow(x, k);
}
