/**
 * The Conway–Maxwell–Poisson distribution as glmmTMB 1.1.5 parametrizes it (family `compois`, TMB's
 * `dcompois2`): by its mean μ and ν = 1/φ,
 *
 *   P(y) = λ^y / (y!)^ν / Z(λ, ν),   Z(λ, ν) = Σ_{j≥0} λ^j / (j!)^ν,   ℓ = log λ solved from E[y] = μ,
 *
 * with TMB's two atomic helpers' algorithms (TMB's tiny_ad/compois/compois.hpp; written anew here):
 *
 * log Z (`compois_calc_logZ`), with the mode m₀ = λ^(1/ν) = exp(ℓ/ν):
 *   - where m₀ > 100, m₀ν > 200 and ν < 2m₀: a Laplace approximation about ĵ = m₀ − ½ corrected by its own
 *     error at ν = 1 (where log Z = m₀ exactly):
 *       log L₁ = log √(2π) − ½ log H₁ + f₁,   H₁ = ψ′(ĵ + 1),   f₁ = ĵ log m₀ − log Γ(ĵ + 1),
 *       log Z ≈ log √(2π) − ½ log(ν H₁) + ν f₁ − (log L₁ − m₀)/ν;
 *   - elsewhere the series from the largest term T_{⌊m₀⌋}, log T_j = jℓ − ν log Γ(j + 1), summed outwards
 *     (log T_{j−1} = log T_j − ℓ + ν log j) until a term is below 1e-12 of the sum so far on each side, plus a
 *     geometric bound of the right tail, log T_k + k d − log(1 − e^d), d = ℓ − ν log k (TMB's formula);
 * and its derivatives in ℓ, the cumulants of y: κ₁ = ∂ log Z/∂ℓ = E[y], κ₂ = Var y, κ₃ = E[(y − κ₁)³]
 * (TMB differentiates the same approximations by automatic differentiation; here the series' weights
 * T_j/Z give them, and the Laplace branch's closed form is differentiated by third-order Taylor jets).
 *
 * ℓ from log μ (`compois_calc_loglambda`): Newton's iteration on F(ℓ) = log κ₁(ℓ) − log μ from ℓ = ν log μ,
 * F′ = κ₂/κ₁ (F = κ₁ − μ, F′ = κ₂ where κ₁ underflows to 0), halving the step back where |F| grew or κ₁ is
 * not finite, until |step| ≤ 1e-9 |ℓ| or ≤ 1e-12 (at most 100 steps).
 *
 * Derivatives in η = log μ (implicit differentiation of κ₁(ℓ(η)) = e^η):
 *   ℓ′ = dℓ/dη = κ₁/κ₂,   ℓ″ = ℓ′ (1 − κ₁κ₃/κ₂²),
 * and of log f(y) = yℓ − ν log y! − log Z(ℓ):
 *   ∂ log f/∂η = (y − κ₁) ℓ′,   ∂² log f/∂η² = −κ₂ ℓ′² + (y − κ₁) ℓ″  (= −κ₁ℓ′ + (y − κ₁)ℓ″).
 * The variance function (glmmTMB's compois()$variance, TMB's compois_calc_var): κ₂ at ℓ(log μ).
 */
import { digamma, lgamma, trigamma } from '../glmm/rmath.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const RELTOL = 1e-12;
const ITER_MAX = 1e4;

/** log(e^a − e^b), a ≥ b */
function logspaceSub(a: number, b: number): number {
  const d = b - a;
  return a + (d > -Math.LN2 ? Math.log(-Math.expm1(d)) : Math.log1p(-Math.exp(d)));
}

/** log Z(λ, ν) and its first three derivatives in ℓ = log λ (the cumulants κ₁, κ₂, κ₃ of y) */
export interface CompoisLogZ {
  logZ: number;
  k1: number;
  k2: number;
  k3: number;
}

/** Taylor jet [f, f′, f″, f‴] in ℓ */
type Jet = [number, number, number, number];

/** g∘u from g's derivatives at u₀ (Faà di Bruno to third order) */
function compose(u: Jet, g0: number, g1: number, g2: number, g3: number): Jet {
  const [, u1, u2, u3] = u;
  return [g0, g1 * u1, g2 * u1 * u1 + g1 * u2, g3 * u1 * u1 * u1 + 3 * g2 * u1 * u2 + g1 * u3];
}

/** the product of two jets (Leibniz) */
function mul(a: Jet, b: Jet): Jet {
  return [a[0] * b[0], a[1] * b[0] + a[0] * b[1], a[2] * b[0] + 2 * a[1] * b[1] + a[0] * b[2],
    a[3] * b[0] + 3 * a[2] * b[1] + 3 * a[1] * b[2] + a[0] * b[3]];
}

/** Σ cᵢ jᵢ */
function lin(...terms: [number, Jet][]): Jet {
  const r: Jet = [0, 0, 0, 0];
  for (const [c, j] of terms) for (let k = 0; k < 4; k++) r[k] += c * j[k];
  return r;
}

/** Bernoulli numbers B₂ … B₁₂ */
const B2K = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730];

/**
 * the polygamma function ψ⁽ⁿ⁾(x), 1 ≤ n ≤ 4, for large x (the Laplace branch's x > 100) by its asymptotic series
 *   ψ⁽ⁿ⁾(x) ≈ (−1)^(n+1) [(n − 1)!/xⁿ + n!/(2x^(n+1)) + Σ_k B_2k (2k + n − 1)!/((2k)! x^(2k+n))]
 * (the six terms' remainder is below 1e-25 relative at x = 100); for x ≤ 20 shifted up by ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + 1) + (−1)^(n+1) n!/x^(n+1)
 */
export function polygamma(n: number, x: number): number {
  let fact = 1;
  for (let k = 2; k <= n; k++) fact *= k;
  const sign = n % 2 === 1 ? 1 : -1;
  let shift = 0;
  while (x < 20) { shift += (sign * fact) / x ** (n + 1); x += 1; }
  // (2k + n − 1)!/(2k)! as a running product
  let s = fact / n / x ** n + fact / (2 * x ** (n + 1));
  for (let k = 1; k <= B2K.length; k++) {
    let r = 1;
    for (let t = 2 * k + 1; t <= 2 * k + n - 1; t++) r *= t;
    s += (B2K[k - 1] * r) / x ** (2 * k + n);
  }
  return shift + sign * s;
}

/** log Z(e^ℓ, ν) and κ₁…κ₃ by TMB's rules (see the header); NaN where ν ≤ 0 or ℓ, ν are not finite */
export function compoisLogZ(logLambda: number, nu: number): CompoisLogZ {
  if (!(nu > 0 && Number.isFinite(logLambda) && Number.isFinite(nu))) return { logZ: NaN, k1: NaN, k2: NaN, k3: NaN };
  const logmu = logLambda / nu;
  const mu = Math.exp(logmu);
  if (mu > 100 && mu * nu > 200 && nu < 2 * mu) return laplaceLogZ(logLambda, nu);
  // the series, summed relative to the largest term: S_r = Σ (j − j₀)^r T_j/T_{j₀}, r = 0…3, j₀ = ⌊m₀⌋
  // (log Z = log T_{j₀} + log S₀; the cumulants from the moments of j − j₀, without cancellation)
  const mode = Math.floor(mu);
  const ltMode = mode * logLambda - nu * lgamma(mode + 1);
  let s0 = 1, s1 = 0, s2 = 0, s3 = 0;
  // a term below 1e-12 of the sum so far ends a tail: log T − log Z < log 1e-12
  // left tail: log T_{j} = log T_{j+1} − (ℓ − ν log(j + 1))
  let lt = 0;
  for (let i = 1; i < ITER_MAX; i++) {
    const index = mode - i;
    if (index < 0) break;
    lt -= logLambda - nu * Math.log(index + 1);
    const w = Math.exp(lt), d = -i;
    s0 += w; s1 += d * w; s2 += d * d * w; s3 += d * d * d * w;
    if (w < RELTOL * s0) break;
  }
  // right tail: log T_j = log T_{j−1} + (ℓ − ν log j)
  lt = 0;
  let index = mode, dlt = 0;
  for (let i = 1; i < ITER_MAX; i++) {
    index = mode + i;
    dlt = logLambda - nu * Math.log(index);
    lt += dlt;
    const w = Math.exp(lt), d = i;
    s0 += w; s1 += d * w; s2 += d * d * w; s3 += d * d * d * w;
    if (w < RELTOL * s0) break;
  }
  // the geometric bound of the rest, as TMB writes it: log T_k + k d − log(1 − e^d) (in log Z only)
  const ltTail = lt + index * dlt - logspaceSub(0, dlt);
  const logZ = ltMode + Math.log(s0 + Math.exp(ltTail));
  // κ₁ = j₀ + E[d], κ₂ = E[d²] − E[d]², κ₃ = E[d³] − 3E[d]E[d²] + 2E[d]³  (d = j − j₀, weights T_j/Σ T)
  const e1 = s1 / s0, e2 = s2 / s0, e3 = s3 / s0;
  return { logZ, k1: mode + e1, k2: e2 - e1 * e1, k3: e3 - 3 * e1 * e2 + 2 * e1 * e1 * e1 };
}

/** TMB's Laplace approximation of log Z (m₀ > 100, m₀ν > 200, ν < 2m₀) with its ℓ-derivatives by jets */
function laplaceLogZ(logLambda: number, nu: number): CompoisLogZ {
  const logmu: Jet = [logLambda / nu, 1 / nu, 0, 0];
  const e = Math.exp(logmu[0]);
  const mu = compose(logmu, e, e, e, e);
  // ĵ = m₀ − ½, ĵ + 1 = m₀ + ½
  const jhat = lin([1, mu], [1, [-0.5, 0, 0, 0]]);
  const jp1 = lin([1, mu], [1, [0.5, 0, 0, 0]]);
  const x = jp1[0];
  const lg = compose(jp1, lgamma(x), digamma(x), trigamma(x), polygamma(2, x));
  const h1 = compose(jp1, trigamma(x), polygamma(2, x), polygamma(3, x), polygamma(4, x));
  const h = h1[0];
  const logH1 = compose(h1, Math.log(h), 1 / h, -1 / (h * h), 2 / (h * h * h));
  // f₁ = ĵ log m₀ − log Γ(ĵ + 1)
  const f1 = lin([1, mul(jhat, logmu)], [-1, lg]);
  // log L₁ − m₀ (the error at ν = 1)
  const err1 = lin([1, [LOG_SQRT_2PI, 0, 0, 0]], [-0.5, logH1], [1, f1], [-1, mu]);
  // log √(2π) − ½ log ν − ½ log H₁ + ν f₁ − err₁/ν
  const z = lin([1, [LOG_SQRT_2PI - 0.5 * Math.log(nu), 0, 0, 0]], [-0.5, logH1], [nu, f1], [-1 / nu, err1]);
  return { logZ: z[0], k1: z[1], k2: z[2], k3: z[3] };
}

/** ℓ = log λ, log Z and the cumulants at ℓ, for the mean e^logMean (TMB's compois_calc_loglambda; see the header) */
export function compoisLogLambda(logMean: number, nu: number): CompoisLogZ & { logLambda: number } {
  const none = { logLambda: NaN, logZ: NaN, k1: NaN, k2: NaN, k3: NaN };
  if (!(nu > 0 && Number.isFinite(logMean) && Number.isFinite(nu))) return none;
  let x = nu * logMean;
  let step = 0;
  let fPrev = Infinity;
  for (let i = 0; i < 100; i++) {
    const z = compoisLogZ(x, nu);
    const y = z.k1;
    if (!Number.isFinite(y)) {
      if (i === 0) return none;
      step /= 2;
      x -= step;
      continue;
    }
    // F = log κ₁ − log μ (F′ = κ₂/κ₁), or κ₁ − μ (F′ = κ₂) where κ₁ underflows
    const f = y > 0 ? Math.log(y) - logMean : y - Math.exp(logMean);
    const fd = y > 0 ? z.k2 / y : z.k2;
    if (Math.abs(f) > Math.abs(fPrev)) {
      step /= 2;
      x -= step;
      continue;
    }
    step = fd !== 0 ? -f / fd : 0;
    x += step;
    fPrev = f;
    if (Math.abs(step) <= 1e-9 * Math.abs(x) || Math.abs(step) <= 1e-12) break;
  }
  return { logLambda: x, ...compoisLogZ(x, nu) };
}

/**
 * log f(y) at η = log μ and ν, with its first two derivatives in η (see the header); y a whole number ≥ 0,
 * lfact = log y!
 */
export function compoisLogDensity(y: number, lfact: number, eta: number, nu: number): { logf: number; d1: number; d2: number } {
  const z = compoisLogLambda(eta, nu);
  const l1 = z.k1 / z.k2;
  const l2 = l1 * (1 - (z.k1 * z.k3) / (z.k2 * z.k2));
  const r = y - z.k1;
  return { logf: y * z.logLambda - nu * lfact - z.logZ, d1: r * l1, d2: -z.k2 * l1 * l1 + r * l2 };
}

/** Var y at the mean μ and ν = 1/φ (glmmTMB's compois()$variance(μ, φ), TMB's compois_calc_var) */
export function compoisVariance(mean: number, nu: number): number {
  return compoisLogLambda(Math.log(mean), nu).k2;
}

/** log P(y = k), k = 0, 1, 2, …, from ℓ and log Z (the simulations' and the app's distribution function) */
export function compoisLogPmf(k: number, logLambda: number, logZ: number, nu: number): number {
  return k * logLambda - nu * lgamma(k + 1) - logZ;
}
