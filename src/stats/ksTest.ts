/**
 * R 4.2's one-sample Kolmogorov–Smirnov test against U(0, 1): ks.test(x, "punif", alternative, exact = NULL).
 *
 * With x₍₁₎ ≤ … ≤ x₍ₙ₎ and F(x) = min(1, max(0, x)) (punif), dᵢ = F(x₍ᵢ₎) − (i − 1)/n:
 *   two.sided  D  = max_i max(dᵢ, 1/n − dᵢ)
 *   greater    D⁺ = max_i (1/n − dᵢ)        less  D⁻ = max_i dᵢ
 * exact (R's default where n < 100 and x has no ties):
 *   two.sided  p = 1 − P(Dₙ < D), Marsaglia, Tsang and Wang (2003): P(Dₙ < d) = n!/nⁿ (Hⁿ)_kk with
 *              k = ⌊n d⌋ + 1, h = k − n d and H the m × m matrix (m = 2k − 1) of their paper, its
 *              power by repeated squaring with a decimal exponent kept aside (no overflow)
 *   one-sided  p = x Σ_{j=0}^{⌊n(1−x)⌋} C(n, j) (1 − x − j/n)^{n−j} (x + j/n)^{j−1}  (Birnbaum and Tingey 1951)
 * asymptotic:
 *   two.sided  p = 1 − K(√n D), K(t) = Σ_{k∈ℤ} (−1)ᵏ e^{−2k²t²} summed as R's pkstwo with tol = 1e-6:
 *              for t < 1 the Jacobi form (√(2π)/t) Σ_{k odd < ⌊√(2 − log tol)⌋} e^{−k²π²/(8t²)}, else the
 *              alternating series until a term changes the sum by at most tol
 *   one-sided  p = e^{−2 n D²}
 * and p clamped to [0, 1].
 */
import { DataError, OptionError } from '../errors/errors.js';
import { lbeta } from './distributions.js';

export const KS_ALTERNATIVES = ['two.sided', 'less', 'greater'] as const;
export type KsAlternative = (typeof KS_ALTERNATIVES)[number];

export interface KsTest {
  /** D, D^+ or D^- */
  statisticName: 'D' | 'D^+' | 'D^-';
  statistic: number;
  pValue: number;
  /** R's method line: "Exact one-sample Kolmogorov-Smirnov test" or "Asymptotic …" */
  method: string;
  exact: boolean;
  alternative: KsAlternative;
  /** R's alternative line: "two-sided", "the CDF of x lies below the null hypothesis", … */
  alternativeText: string;
  /** whether x has ties (R warns "ties should not be present for the Kolmogorov-Smirnov test") */
  ties: boolean;
  n: number;
}

/** ks.test(x, "punif", alternative): see the header. `exact`: null (R's default rule), or forced. */
export function ksTestUniform(x: ArrayLike<number>, alternative: KsAlternative = 'two.sided', exact: boolean | null = null): KsTest {
  if (!KS_ALTERNATIVES.includes(alternative)) throw new OptionError('alternative', `alternative must be one of ${KS_ALTERNATIVES.map((a) => `'${a}'`).join(', ')}, got ${String(alternative)}`);
  const v = Array.from(x).filter((t) => !Number.isNaN(t));
  const n = v.length;
  if (n < 1) throw new DataError("ks.test: not enough 'x' data (no value that is not NaN)");
  v.sort((a, b) => a - b);
  let ties = false;
  for (let i = 1; i < n; i++) if (v[i] === v[i - 1]) { ties = true; break; }
  const useExact = exact ?? (n < 100 && !ties);
  let dPlus = -Infinity, dMinus = -Infinity;
  for (let i = 0; i < n; i++) {
    // dᵢ = F(x₍ᵢ₎) − (i − 1)/n (i from 1)
    const d = Math.min(1, Math.max(0, v[i])) - i / n;
    if (d > dMinus) dMinus = d;
    if (1 / n - d > dPlus) dPlus = 1 / n - d;
  }
  const statistic = alternative === 'two.sided' ? Math.max(dPlus, dMinus) : alternative === 'greater' ? dPlus : dMinus;
  let p: number;
  if (useExact) p = 1 - (alternative === 'two.sided' ? pKolmogorov2x(statistic, n) : pKolmogorov1x(statistic, n));
  else p = alternative === 'two.sided' ? 1 - pKolmogorovAsymptotic(Math.sqrt(n) * statistic, 1e-6) : Math.exp(-2 * n * statistic * statistic);
  return {
    statisticName: alternative === 'two.sided' ? 'D' : alternative === 'greater' ? 'D^+' : 'D^-',
    statistic, pValue: Math.min(1, Math.max(0, p)),
    method: `${useExact ? 'Exact' : 'Asymptotic'} one-sample Kolmogorov-Smirnov test`,
    exact: useExact, alternative,
    alternativeText: alternative === 'two.sided' ? 'two-sided' : alternative === 'less' ? 'the CDF of x lies below the null hypothesis' : 'the CDF of x lies above the null hypothesis',
    ties, n,
  };
}

/** R's lchoose(n, k) for whole n ≥ k ≥ 0: log C(n, k) = −log(n + 1) − log B(n − k + 1, k + 1) (k ≥ 2; 0 and log n for k = 0, 1) */
function lchoose(n: number, k: number): number {
  if (k < 2) return k === 0 ? 0 : Math.log(n);
  if (n - k < 2) return lchoose(n, n - k);
  return -Math.log(n + 1) - lbeta(n - k + 1, k + 1);
}

/** P(D⁺ₙ < x) = 1 − x Σ …, Birnbaum and Tingey's sum (header) */
export function pKolmogorov1x(x: number, n: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  let s = 0;
  for (let j = 0; j <= Math.floor(n * (1 - x)); j++) {
    s += Math.exp(lchoose(n, j) + (n - j) * Math.log(1 - x - j / n) + (j - 1) * Math.log(x + j / n));
  }
  return 1 - x * s;
}

/** P(Dₙ < d), Marsaglia, Tsang and Wang's matrix form (header) */
export function pKolmogorov2x(d: number, n: number): number {
  const k = Math.floor(n * d) + 1;
  const m = 2 * k - 1;
  const h = k - n * d;
  // H[i][j] = 1 where i − j + 1 ≥ 0, else 0; the first column and the last row less hⁱ⁺¹ and h^{m−i};
  // the corner plus (2h − 1)^m where 2h − 1 > 0; then entry (i, j) divided by (i − j + 1)!
  const H = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) H[i * m + j] = i - j + 1 < 0 ? 0 : 1;
  for (let i = 0; i < m; i++) {
    H[i * m] -= h ** (i + 1);
    H[(m - 1) * m + i] -= h ** (m - i);
  }
  H[(m - 1) * m] += 2 * h - 1 > 0 ? (2 * h - 1) ** m : 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      if (i - j + 1 > 0) for (let g = 1; g <= i - j + 1; g++) H[i * m + j] /= g;
    }
  }
  const { V, e } = matrixPower(H, 0, m, n);
  // n!/nⁿ applied factor by factor, rescaled by 10^140 when small
  let s = V[(k - 1) * m + k - 1];
  let eQ = e;
  for (let i = 1; i <= n; i++) {
    s = (s * i) / n;
    if (s < 1e-140) { s *= 1e140; eQ -= 140; }
  }
  return s * 10 ** eQ;
}

function matrixMultiply(A: Float64Array, B: Float64Array, m: number): Float64Array {
  const C = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let l = 0; l < m; l++) s += A[i * m + l] * B[l * m + j];
      C[i * m + j] = s;
    }
  }
  return C;
}

/** Aⁿ as (V, e) with Aⁿ = V · 10^e: squaring recursively, V scaled by 10^−140 when its middle entry passes 10^140 */
function matrixPower(A: Float64Array, eA: number, m: number, n: number): { V: Float64Array; e: number } {
  if (n === 1) return { V: Float64Array.from(A), e: eA };
  const half = matrixPower(A, eA, m, Math.floor(n / 2));
  const B = matrixMultiply(half.V, half.V, m);
  const eB = 2 * half.e;
  let V: Float64Array, e: number;
  if (n % 2 === 0) { V = B; e = eB; } else { V = matrixMultiply(A, B, m); e = eA + eB; }
  if (V[Math.floor(m / 2) * m + Math.floor(m / 2)] > 1e140) {
    for (let i = 0; i < m * m; i++) V[i] *= 1e-140;
    e += 140;
  }
  return { V, e };
}

/** K(t) = Σ_{k∈ℤ} (−1)ᵏ e^{−2k²t²} as R's pkstwo(t, tol) (header) */
export function pKolmogorovAsymptotic(t: number, tol: number): number {
  if (!(t > 0)) return 0;
  if (t < 1) {
    const kMax = Math.floor(Math.sqrt(2 - Math.log(tol)));
    const z = -(Math.PI / 2) * (Math.PI / 4) / (t * t);
    const w = Math.log(t);
    let s = 0;
    for (let k = 1; k < kMax; k += 2) s += Math.exp(k * k * z - w);
    return s / (1 / Math.sqrt(2 * Math.PI));
  }
  const z = -2 * t * t;
  let sign = -1, k = 1, old = 0, next = 1;
  while (Math.abs(old - next) > tol) {
    old = next;
    next += 2 * sign * Math.exp(z * k * k);
    sign = -sign;
    k++;
  }
  return next;
}
