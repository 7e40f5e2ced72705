/**
 * The modified Bessel function of the second kind K_ν(x) of real order ν ≥ 0 and x > 0, and the
 * Matérn correlation built on it (glmmTMB's `mat` structure, TMB's `matern(d, φ, κ)`):
 *
 *   C(d) = 1 / (Γ(κ) 2^(κ−1)) (d/φ)^κ K_κ(d/φ),  C(0) = 1
 *
 * K_ν by Temme's method (N. M. Temme 1975, "On the numerical evaluation of the modified Bessel
 * function of the third kind", J. Comput. Phys. 19): with ν = n + μ, |μ| ≤ 1/2, K_μ and K_{μ+1} from
 * Temme's series for x ≤ 2 and from Steed's continued fraction (CF2) for x > 2, then the forward
 * recurrence K_{μ+k+1} = K_{μ+k−1} + 2(μ + k)/x K_{μ+k}, which is stable for K.
 */

/** The coefficients c_k of 1/Γ(z) = Σ_{k≥1} c_k z^k (Abramowitz & Stegun 6.1.34; Wrench 1968). */
const RECIP_GAMMA = [
  1.0, 0.5772156649015329, -0.6558780715202538, -0.0420026350340952, 0.1665386113822915, -0.0421977345555443,
  -0.009621971527877, 0.007218943246663, -0.0011651675918591, -0.0002152416741149, 0.0001280502823882,
  -0.0000201348547807, -0.0000012504934821, 0.000001133027232, -0.0000002056338417, 0.000000006116095,
  0.0000000050020075, -0.0000000011812746, 0.0000000001043427, 0.0000000000077823, -0.0000000000036968,
  0.00000000000051, -0.0000000000000206, -0.0000000000000054, 0.0000000000000014, 0.0000000000000001,
];

/**
 * 1/Γ(1 + μ), and Temme's γ₁ = (1/Γ(1−μ) − 1/Γ(1+μ)) / (2μ), γ₂ = (1/Γ(1−μ) + 1/Γ(1+μ)) / 2, for
 * |μ| ≤ 1/2, from 1/Γ(1 + μ) = Σ_{k≥1} c_k μ^(k−1) (so γ₁ = −Σ_{k even} c_k μ^(k−2), γ₂ = Σ_{k odd} c_k μ^(k−1):
 * no cancellation at small μ).
 */
function temmeGammas(mu: number): { gampl: number; gammi: number; gam1: number; gam2: number } {
  let gam1 = 0, gam2 = 0;
  const m2 = mu * mu;
  let p = 1;
  for (let k = 1; k <= RECIP_GAMMA.length; k += 2) {
    gam2 += RECIP_GAMMA[k - 1] * p; // c_k, k odd
    if (k < RECIP_GAMMA.length) gam1 -= RECIP_GAMMA[k] * p; // c_{k+1}, k + 1 even
    p *= m2;
  }
  // 1/Γ(1 ± μ) = γ₂ ∓ μ γ₁
  return { gampl: gam2 - mu * gam1, gammi: gam2 + mu * gam1, gam1, gam2 };
}

/** log Γ(κ) for κ > 0: Γ(1 + μ) from the series above, κ = n + μ, and Γ's recurrence. */
export function logGamma(kappa: number): number {
  if (!(kappa > 0) || !Number.isFinite(kappa)) throw new RangeError(`logGamma: ${kappa} is not a positive number`);
  const n = Math.floor(kappa + 0.5);
  const mu = kappa - n;
  // log Γ(1 + μ); then Γ(μ + n) = Γ(1 + μ) (μ + 1) … (μ + n − 1), or Γ(μ) = Γ(1 + μ)/μ for n = 0
  let lg = -Math.log(temmeGammas(mu).gampl);
  if (n === 0) return lg - Math.log(mu);
  // (a large κ by Stirling's series instead of n terms)
  if (n > 200) {
    const z = kappa;
    return (z - 0.5) * Math.log(z) - z + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * z) - 1 / (360 * z ** 3) + 1 / (1260 * z ** 5) - 1 / (1680 * z ** 7);
  }
  for (let k = 1; k < n; k++) lg += Math.log(mu + k);
  return lg;
}

const EPS = 1e-16;

/** K_μ(x) and K_{μ+1}(x) for |μ| ≤ 1/2, x > 0 (Temme's series or Steed's CF2). */
function besselKPair(mu: number, x: number): [number, number] {
  const mu2 = mu * mu;
  if (x <= 2) {
    // Temme's series: K_μ = Σ c_k f_k, K_{μ+1} = (2/x) Σ c_k (p_k − k f_k), c_k = (x²/4)^k / k!
    const x2 = 0.5 * x;
    const pimu = Math.PI * mu;
    const fact = Math.abs(pimu) < EPS ? 1 : pimu / Math.sin(pimu);
    const d = -Math.log(x2);
    const e = mu * d;
    const fact2 = Math.abs(e) < EPS ? 1 : Math.sinh(e) / e;
    const { gampl, gammi, gam1, gam2 } = temmeGammas(mu);
    // f_0 = (μπ / sin μπ) (γ₁ cosh σ + γ₂ ln(2/x) sinh σ / σ), σ = μ ln(2/x)
    let ff = fact * (gam1 * Math.cosh(e) + gam2 * fact2 * d);
    let sum = ff;
    const ee = Math.exp(e);
    // p_0 = (x/2)^(−μ) Γ(1 + μ) / 2, q_0 = (x/2)^μ Γ(1 − μ) / 2
    let p = (0.5 * ee) / gampl;
    let q = 0.5 / (ee * gammi);
    let c = 1;
    const dd = x2 * x2;
    let sum1 = p;
    for (let i = 1; i < 500; i++) {
      // f_k = (k f_{k−1} + p_{k−1} + q_{k−1}) / (k² − μ²), p_k = p_{k−1}/(k − μ), q_k = q_{k−1}/(k + μ)
      ff = (i * ff + p + q) / (i * i - mu2);
      c *= dd / i;
      p /= i - mu;
      q /= i + mu;
      const del = c * ff;
      sum += del;
      sum1 += c * (p - i * ff);
      if (Math.abs(del) < Math.abs(sum) * EPS) break;
    }
    return [sum, (sum1 * 2) / x];
  }
  // Steed's algorithm for CF2 (Temme 1975): K_μ(x) = √(π/2x) e^(−x) / S, K_{μ+1} = K_μ (μ + x + 1/2 − h)/x
  let b = 2 * (1 + x);
  let d = 1 / b;
  let h = d;
  let delh = d;
  let q1 = 0, q2 = 1;
  const a1 = 0.25 - mu2;
  let q = a1;
  let c = a1;
  let a = -a1;
  let s = 1 + q * delh;
  for (let i = 2; i < 100000; i++) {
    a -= 2 * (i - 1);
    c = (-a * c) / i;
    const qnew = (q1 - b * q2) / a;
    q1 = q2;
    q2 = qnew;
    q += c * qnew;
    b += 2;
    d = 1 / (b + a * d);
    delh = (b * d - 1) * delh;
    h += delh;
    const dels = q * delh;
    s += dels;
    if (Math.abs(dels / s) < EPS) break;
  }
  h = a1 * h;
  const kmu = (Math.sqrt(Math.PI / (2 * x)) * Math.exp(-x)) / s;
  return [kmu, (kmu * (mu + x + 0.5 - h)) / x];
}

/** K_ν(x), ν ≥ 0 (K_{−ν} = K_ν), x > 0; +∞ at x = 0. */
export function besselK(nu: number, x: number): number {
  if (Number.isNaN(nu) || Number.isNaN(x) || x < 0) return NaN;
  if (x === 0) return Infinity;
  nu = Math.abs(nu);
  const n = Math.floor(nu + 0.5);
  const mu = nu - n;
  let [k0, k1] = besselKPair(mu, x);
  // K_{μ+i+1} = K_{μ+i−1} + 2(μ + i)/x K_{μ+i}
  for (let i = 1; i <= n; i++) {
    const k2 = ((2 * (mu + i)) / x) * k1 + k0;
    k0 = k1;
    k1 = k2;
  }
  return k0;
}

/**
 * TMB's Matérn correlation at distance d, range φ and smoothness κ:
 *   C(d) = (d/φ)^κ K_κ(d/φ) / (Γ(κ) 2^(κ−1)),  C(0) = 1
 * (in logs, so that a large d/φ gives 0 rather than ∞ · 0).
 */
export function maternCorrelation(d: number, range: number, smoothness: number): number {
  if (d === 0) return 1;
  const x = d / range;
  const k = besselK(smoothness, x);
  if (k === 0) return 0;
  // (K_κ overflows only where d/φ is tiny and the correlation is 1 to double precision)
  if (!Number.isFinite(k)) return 1;
  return Math.exp(smoothness * Math.log(x) + Math.log(k) - logGamma(smoothness) - (smoothness - 1) * Math.LN2);
}
