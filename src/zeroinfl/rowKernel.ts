/**
 * The row kernel of a glmmTMB model (its per-observation log-likelihood), as a function of the row's
 * linear predictor η_i = x_iᵀβ + o_i + ζ_i (ζ_i = z_iᵀb), with its first two derivatives in η (= in ζ),
 * at fixed p_i = logit⁻¹(x_zi,iᵀγ) and dispersion φ_i = exp(x_d,iᵀδ):
 *
 * the count density f (μ = e^η):
 *   Poisson:  log f(y) = yη − μ − log y!,                ∂ = y − μ,              ∂² = −μ
 *   NB2:      log f(y) = log Γ(y+φ) − log Γ(φ) − log y! − φ log(1 + μ/φ) + y (η − log(φ + μ)),
 *             ∂ = φ(y − μ)/(φ + μ),   ∂² = −φμ(φ + y)/(φ + μ)²
 *   NB1 (Var = μ(1 + φ): size s = μ/φ, prob 1/(1 + φ); glmmTMB's dnbinom_robust(y, log μ, log μ + log φ)):
 *             log f(y) = log Γ(y+s) − log Γ(s) − log y! − s c + y (log φ − c),   c = log(1 + φ),
 *             ∂ = s (D₁ − c),   ∂² = s (D₁ − c) + s² D₂,
 *             D₁ = ψ(y+s) − ψ(s) = Σ_{j<y} 1/(s+j),   D₂ = ψ′(y+s) − ψ′(s) = −Σ_{j<y} 1/(s+j)²
 *   genpois (glmmTMB's dgenpois(y, θ, λ), θ = μ/√φ, λ = 1 − 1/√φ, Var = μφ; t = θ + λy, dθ/dη = θ):
 *             log f(y) = log θ + (y − 1) log t − θ − λy − log y!,
 *             ∂ = 1 + (y − 1) θ/t − θ,   ∂² = (y − 1) θλy/t² − θ
 *   compois (glmmTMB's dcompois2(y, μ, ν = 1/φ); ℓ = log λ solved from E[y] = μ, κ₁ κ₂ κ₃ the cumulants of y at ℓ, compois.ts):
 *             log f(y) = yℓ − ν log y! − log Z(ℓ, ν),   ℓ′ = κ₁/κ₂,   ℓ″ = ℓ′(1 − κ₁κ₃/κ₂²),
 *             ∂ = (y − κ₁) ℓ′,   ∂² = −κ₂ℓ′² + (y − κ₁) ℓ″
 *   binomial (logit link, μ = logit⁻¹ η, k = y × m successes of m trials; glmmTMB's dbinom_robust):
 *             log f = log C(m, k) + kη − m log(1 + e^η),   ∂ = k − mμ,   ∂² = −mμ(1 − μ)
 *   betabinomial (a = μφ, b = (1 − μ)φ, v = μ(1 − μ) = dμ/dη; glmmTMB's dbetabinom_robust):
 *             log f = log C(m, k) + log Γ(k + a) − log Γ(a) + log Γ(m − k + b) − log Γ(b) + log Γ(φ) − log Γ(m + φ),
 *             ∂ = φv D,   ∂² = φv(1 − 2μ) D + φ²v² T,
 *             D = ψ(k + a) − ψ(a) − ψ(m − k + b) + ψ(b),   T = ψ′(k + a) − ψ′(a) + ψ′(m − k + b) − ψ′(b)
 *             (the differences as sums over j < k of 1/(a + j) and 1/(a + j)², as NB1's)
 *   g = log f(0): Poisson −μ (g′ = g″ = −μ); NB2 −φ log(1 + μ/φ), g′ = −φμ/(φ + μ), g″ = −φ²μ/(φ + μ)²;
 *             NB1 −s c (= g′ = g″, linear in μ); genpois −θ (= g′ = g″); compois −log Z, g′ = −κ₁ℓ′,
 *             g″ = −κ₂ℓ′² − κ₁ℓ″; binomial −m log(1 + e^η),
 *             g′ = −mμ, g″ = −mμ(1 − μ); betabinomial log Γ(m + b) − log Γ(b) + log Γ(φ) − log Γ(m + φ),
 *             g′ = −φv D₀, g″ = −φv(1 − 2μ) D₀ + φ²v² T₀, D₀ = ψ(m + b) − ψ(b), T₀ = ψ′(m + b) − ψ′(b)
 * zero-inflated:
 *   y = 0:  ℓ = log(p + (1 − p) e^g)   (log-sum-exp);  r = (1 − p) e^g / e^ℓ
 *           ℓ′ = r g′,   ℓ″ = r g″ + r (1 − r) g′²    (may be > 0: the mixture is not log-concave)
 *   y > 0:  ℓ = log(1 − p) + log f(y)
 * hurdle:
 *   y = 0:  ℓ = log p                  (no η: ℓ′ = ℓ″ = 0)
 *   y > 0:  ℓ = log(1 − p) + log f(y) − log(1 − e^g);   with q = e^g / (1 − e^g) = 1/expm1(−g)
 *           ℓ′ = ∂ + q g′,   ℓ″ = ∂² + q (1 + q) g′² + q g″
 * the continuous families (no zero model):
 *   beta (logit link, μ = logit⁻¹ η, v = μ(1 − μ) = dμ/dη, a = μφ, b = (1 − μ)φ; glmmTMB's dbeta(y, a, b)):
 *             ℓ = log Γ(φ) − log Γ(a) − log Γ(b) + (a − 1) log y + (b − 1) log(1 − y),
 *             ℓ′ = φ v (y* − μ*),   y* = log(y/(1 − y)),  μ* = ψ(a) − ψ(b),
 *             ℓ″ = φ v (1 − 2μ)(y* − μ*) − φ² v² (ψ′(a) + ψ′(b))
 *   gaussian (identity link, φ = σ²; glmmTMB's dnorm(y, μ, √φ)):
 *             ℓ = −½ log(2πφ) − (y − μ)²/(2φ),   ℓ′ = (y − μ)/φ,   ℓ″ = −1/φ
 *   Gamma (log link; glmmTMB's dgamma(y, shape φ, scale μ/φ): Var = μ²/φ):
 *             ℓ = φ log φ − log Γ(φ) − φη + (φ − 1) log y − φy e^{−η},   ℓ′ = φ(y e^{−η} − 1),   ℓ″ = −φy e^{−η}
 *   tweedie (log link, 1 < p < 2; glmmTMB's dtweedie(y, μ, φ, p), tweedie.ts's series W):
 *             ℓ = [log W(y, φ, p) − log y]_{y>0} + (y μ^{1−p}/(1 − p) − μ^{2−p}/(2 − p))/φ,
 *             ℓ′ = (y μ^{1−p} − μ^{2−p})/φ,   ℓ″ = ((1 − p) y μ^{1−p} − (2 − p) μ^{2−p})/φ   (< 0)
 *
 * With random effects in the zero model, η_zi = x_zi,iᵀγ + ζ_zi,i is the row's second linear predictor
 * (p = logit⁻¹ η_zi, dp/dη_zi = p(1 − p), d log p/dη_zi = 1 − p, d log(1 − p)/dη_zi = −p), and the row's
 * derivatives are a gradient (ℓ_η, ℓ_z) and a 2 × 2 Hessian (ℓ_ηη above; ℓ_zz, ℓ_ηz):
 * zero-inflated, y = 0: ℓ = log(e^A + e^B), A = log p, B = log(1 − p) + g, r = e^B/e^ℓ, so
 *           ∇ℓ = (1 − r)∇A + r∇B,   ∇²ℓ = (1 − r)∇²A + r∇²B + r(1 − r)(∇B − ∇A)(∇B − ∇A)ᵀ
 *           with ∇A = (0, 1 − p), ∇B = (g′, −p), ∇B − ∇A = (g′, −1), ∂²A/∂η_z² = ∂²B/∂η_z² = −p(1 − p):
 *           ℓ_z = (1 − r) − p,   ℓ_zz = −p(1 − p) + r(1 − r),   ℓ_ηz = −r(1 − r) g′
 * zero-inflated, y > 0 and hurdle, y > 0: ℓ_z = −p,  ℓ_zz = −p(1 − p),  ℓ_ηz = 0
 * hurdle, y = 0: ℓ = log p: ℓ_z = 1 − p,  ℓ_zz = −p(1 − p),  ℓ_ηz = 0
 * (the safeguard's step weights: the count part's, p(1 − p) for η_zi, no cross term: positive definite).
 * W = −ℓ″ is the observed information (the Laplace determinant's); the safeguard's step weights are
 * never negative: −r g″ (zero-inflated zeros), −∂² (Poisson, NB2 counts), for NB1 counts −∂² where
 * positive, else Fisher's μ/(1 + φ); genpois −∂² where positive, else μ/φ; compois −∂² where positive,
 * else Fisher's κ₂ℓ′² = μ²/Var; binomial mμ(1 − μ);
 * betabinomial −∂² where positive, else mv/(1 + (m − 1)/(1 + φ)); beta Fisher's φ² v² (ψ′(a) + ψ′(b));
 * gaussian 1/φ; Gamma φ (Fisher's); tweedie −ℓ″.
 */
import { digamma, lgamma, trigamma } from '../glmm/rmath.js';
import type { ZeroInflatedModel } from './model.js';
import { compoisLogLambda } from './compois.js';
import { tweedieLogW } from './tweedie.js';

/** log(e^a + e^b) */
function logspaceAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** log Γ(y + φ) − log Γ(φ) for a whole y ≥ 0: Σ_{j<y} log(φ + j) */
export function lgammaRatio(y: number, phi: number, lgammaFn: (x: number) => number): number {
  if (y <= 1000) { let s = 0; for (let j = 0; j < y; j++) s += Math.log(phi + j); return s; }
  return lgammaFn(y + phi) - lgammaFn(phi);
}

/** The fixed parameters a row kernel evaluates at. */
export interface ZiRowState {
  /** the fixed part x_iᵀβ + o_i of η per row */
  etaFixed: Float64Array;
  /** log p_i and log(1 − p_i) per row (−∞ and 0 where there is no zero model) */
  logP: Float64Array;
  log1mP: Float64Array;
  /**
   * the zero model's fixed part x_zi,iᵀγ per row where it has random effects (then logP and log1mP are
   * computed per row from η_zi = etaZiFixed + ζ_zi); null without
   */
  etaZiFixed?: Float64Array | null;
  /** the dispersion φ_i per row (NB2 size, NB1 φ, beta precision, gaussian σ², Gamma shape, …; unused for Poisson and binomial) */
  phi: Float64Array;
  /**
   * per row: NB2 log Γ(y_i + φ_i) − log Γ(φ_i); beta log Γ(φ_i); gaussian log(2π φ_i); NB1 log(1 + φ_i);
   * betabinomial log Γ(φ_i) − log Γ(m_i + φ_i); Gamma φ_i log φ_i − log Γ(φ_i); tweedie log W(y_i, φ_i, p) − log y_i (0 at y = 0)
   */
  aux: Float64Array;
  /** tweedie's power p (1 < p < 2); NaN for the other families */
  power?: number;
}

/** Fills the state's per-row constants of φ (and tweedie's p) (aux) from phi. */
export function fillDispersionConstants(model: Pick<ZeroInflatedModel, 'dist' | 'y' | 'n' | 'size' | 'lgy1'>, s: ZiRowState): void {
  const { dist, y, n, size, lgy1 } = model;
  for (let i = 0; i < n; i++) {
    const phi = s.phi[i];
    switch (dist) {
      case 'nbinom2': s.aux[i] = lgammaRatio(y[i], phi, lgamma); break;
      case 'nbinom1': s.aux[i] = Math.log1p(phi); break;
      case 'beta': s.aux[i] = lgamma(phi); break;
      case 'gaussian': s.aux[i] = Math.log(2 * Math.PI * phi); break;
      case 'betabinomial': s.aux[i] = -lgammaRatio(size![i], phi, lgamma); break;
      case 'gamma': s.aux[i] = phi * Math.log(phi) - lgamma(phi); break;
      case 'tweedie': s.aux[i] = y[i] > 0 ? tweedieLogW(y[i], phi, s.power!) - lgy1[i] : 0; break;
      default: s.aux[i] = 0;
    }
  }
}

/**
 * Σ_{j<y} log(s+j), Σ 1/(s+j), −Σ 1/(s+j)² for a whole y ≥ 0: log Γ(y+s) − log Γ(s) and its ψ and ψ′
 * differences (NB1's, betabinomial's; by log Γ, ψ and ψ′ above y = 1000)
 */
function nb1Sums(y: number, s: number): [number, number, number] {
  if (y === 0) return [0, 0, 0];
  if (y <= 1000) {
    let a = 0, d1 = 0, d2 = 0;
    for (let j = 0; j < y; j++) { const t = s + j; a += Math.log(t); d1 += 1 / t; d2 -= 1 / (t * t); }
    return [a, d1, d2];
  }
  return [lgamma(y + s) - lgamma(s), digamma(y + s) - digamma(s), trigamma(y + s) - trigamma(s)];
}

/**
 * Σ_i ℓ_i at η = etaFixed + ζ, and (when given) ℓ′ into grad, W = −ℓ″ into weight, the safeguard's
 * weights into stepW. −Infinity where a row has probability 0.
 * With the zero model's random effects (s.etaZiFixed): ζ = (ζ_η, ζ_zi) (2n), grad = (ℓ_η, ℓ_z) (2n),
 * weight and stepW = (W_ηη, W_zz, W_ηz) (3n), W = −∇²ℓ.
 */
export function ziRowLogLik(
  model: ZeroInflatedModel, s: ZiRowState, zeta: Float64Array | null,
  grad?: Float64Array, weight?: Float64Array, stepW?: Float64Array,
): number {
  const { n, y, lgy1, hurdle, dist, size } = model;
  const { etaFixed, logP, log1mP, phi: phis, aux, etaZiFixed } = s;
  let ll = 0;
  for (let i = 0; i < n; i++) {
    const eta = etaFixed[i] + (zeta ? zeta[i] : 0);
    // the zero model's log p and log(1 − p): per row with its random effects
    let lp: number, l1p: number;
    if (etaZiFixed) {
      const e = etaZiFixed[i] + (zeta ? zeta[n + i] : 0);
      // log p = −log(1 + e^{−η_zi}), log(1 − p) = −log(1 + e^{η_zi})
      lp = -(e > 0 ? Math.log1p(Math.exp(-e)) : -e + Math.log1p(Math.exp(e)));
      l1p = -(e > 0 ? e + Math.log1p(Math.exp(-e)) : Math.log1p(Math.exp(e)));
    } else {
      lp = logP[i];
      l1p = log1mP[i];
    }
    // ℓ_z, −ℓ_zz, −ℓ_ηz (two predictors)
    let lz = 0, wzz = 0, wcz = 0;
    const yi = y[i];
    const phi = phis[i];
    let li: number, l1: number, l2: number, sw: number;
    if (dist === 'beta') {
      // μ and 1 − μ without cancellation
      const mu = 1 / (1 + Math.exp(-eta)), mu1 = 1 / (1 + Math.exp(eta));
      const v = mu * mu1;
      const a = mu * phi, b = mu1 * phi;
      const ly = Math.log(yi), l1y = Math.log1p(-yi);
      li = aux[i] - lgamma(a) - lgamma(b) + (a - 1) * ly + (b - 1) * l1y;
      const dev = ly - l1y - (digamma(a) - digamma(b));
      const info = phi * phi * v * v * (trigamma(a) + trigamma(b));
      l1 = phi * v * dev;
      l2 = phi * v * (mu1 - mu) * dev - info;
      sw = info;
    } else if (dist === 'gaussian') {
      const r = yi - eta;
      li = -0.5 * aux[i] - (r * r) / (2 * phi);
      l1 = r / phi;
      l2 = -1 / phi;
      sw = 1 / phi;
    } else if (dist === 'gamma') {
      // φ y e^{−η} = φ y/μ
      const t = phi * yi * Math.exp(-eta);
      li = aux[i] - phi * eta + (phi - 1) * lgy1[i] - t;
      l1 = t - phi;
      l2 = -t;
      sw = phi;
    } else if (dist === 'tweedie') {
      const p = s.power!;
      // y μ^{1−p}/φ and μ^{2−p}/φ
      const A = yi > 0 ? (yi * Math.exp((1 - p) * eta)) / phi : 0;
      const B = Math.exp((2 - p) * eta) / phi;
      li = aux[i] + A / (1 - p) - B / (2 - p);
      l1 = A - B;
      l2 = (1 - p) * A - (2 - p) * B;
      sw = -l2;
    } else {
      const mu = Math.exp(eta);
      // the count density's log f(y), its derivatives d1, d2, and g = log f(0), g1, g2; cw the count's step weight
      let logf: number, d1: number, d2: number, g: number, g1: number, g2: number, cw: number;
      if (dist === 'nbinom2') {
        const logPhiMu = logspaceAdd(Math.log(phi), eta); // log(φ + μ)
        const pm = phi + mu;
        g = -phi * Math.log1p(mu / phi);
        g1 = -phi * mu / pm;
        g2 = -phi * phi * mu / (pm * pm);
        logf = aux[i] - lgy1[i] + g + (yi > 0 ? yi * (eta - logPhiMu) : 0);
        d1 = phi * (yi - mu) / pm;
        d2 = -phi * mu * (phi + yi) / (pm * pm);
        cw = -d2;
      } else if (dist === 'nbinom1') {
        const c = aux[i];
        const sz = mu / phi;
        const [A, D1, D2] = yi > 0 ? nb1Sums(yi, sz) : [0, 0, 0];
        g = -sz * c;
        g1 = g;
        g2 = g;
        logf = A - lgy1[i] + g + (yi > 0 ? yi * (Math.log(phi) - c) : 0);
        d1 = sz * (D1 - c);
        d2 = d1 + sz * sz * D2;
        cw = -d2 > 0 ? -d2 : mu / (1 + phi);
      } else if (dist === 'genpois') {
        const sq = Math.sqrt(phi);
        const th = mu / sq, lam = 1 - 1 / sq;
        const t = th + lam * yi;
        g = -th;
        g1 = -th;
        g2 = -th;
        logf = yi > 0 ? Math.log(th) + (yi - 1) * Math.log(t) - th - lam * yi - lgy1[i] : -th;
        d1 = yi > 0 ? 1 + ((yi - 1) * th) / t - th : -th;
        d2 = yi > 0 ? ((yi - 1) * th * lam * yi) / (t * t) - th : -th;
        cw = -d2 > 0 ? -d2 : mu / phi;
      } else if (dist === 'compois') {
        // ν = 1/φ; ℓ = log λ from log μ = η, log Z and the cumulants at ℓ
        const nu = 1 / phi;
        const z = compoisLogLambda(eta, nu);
        const lp1 = z.k1 / z.k2;
        const lp2 = lp1 * (1 - (z.k1 * z.k3) / (z.k2 * z.k2));
        g = -z.logZ;
        g1 = -z.k1 * lp1;
        g2 = -z.k2 * lp1 * lp1 - z.k1 * lp2;
        logf = (yi > 0 ? yi * z.logLambda : 0) - nu * lgy1[i] + g;
        d1 = (yi - z.k1) * lp1;
        d2 = -z.k2 * lp1 * lp1 + (yi - z.k1) * lp2;
        cw = -d2 > 0 ? -d2 : z.k2 * lp1 * lp1;
      } else if (dist === 'binomial' || dist === 'betabinomial') {
        // μ and 1 − μ without cancellation; log(1 + e^η) (softplus)
        const m = size![i];
        const p = 1 / (1 + Math.exp(-eta)), p1 = 1 / (1 + Math.exp(eta));
        const v = p * p1;
        const k = Math.round(yi * m);
        if (dist === 'binomial') {
          const sp = eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
          g = -m * sp;
          g1 = -m * p;
          g2 = -m * v;
          logf = k * eta + g - lgy1[i];
          d1 = k - m * p;
          d2 = -m * v;
          cw = m * v;
        } else {
          const a = p * phi, b = p1 * phi;
          const [Aa, Da, Ta] = nb1Sums(k, a);
          const [Ab, Db, Tb] = nb1Sums(m - k, b);
          const [A0, D0, T0] = nb1Sums(m, b);
          const fv = phi * v;
          g = A0 + aux[i];
          g1 = -fv * D0;
          g2 = -fv * (p1 - p) * D0 + fv * fv * T0;
          logf = Aa + Ab + aux[i] - lgy1[i];
          d1 = fv * (Da - Db);
          d2 = fv * (p1 - p) * (Da - Db) + fv * fv * (Ta + Tb);
          cw = -d2 > 0 ? -d2 : (m * v) / (1 + (m - 1) / (1 + phi));
        }
      } else {
        g = -mu;
        g1 = -mu;
        g2 = -mu;
        logf = (yi > 0 ? yi * eta : 0) - mu - lgy1[i];
        d1 = yi - mu;
        d2 = -mu;
        cw = mu;
      }
      if (yi === 0) {
        if (hurdle) {
          li = lp; l1 = 0; l2 = 0; sw = 0;
          if (etaZiFixed) {
            // ℓ = log p: ℓ_z = 1 − p, ℓ_zz = −p(1 − p)
            const p = Math.exp(lp);
            lz = Math.exp(l1p);
            wzz = p * lz;
          }
        } else {
          const a = l1p + g;
          li = logspaceAdd(lp, a);
          const r = Math.exp(a - li);
          l1 = r * g1;
          l2 = r * g2 + r * (1 - r) * g1 * g1;
          sw = -r * g2;
          if (etaZiFixed) {
            // ℓ_z = (1 − r) − p,  ℓ_zz = −p(1 − p) + r(1 − r),  ℓ_ηz = −r(1 − r) g′
            const p = Math.exp(lp), r1 = Math.exp(lp - li);
            lz = r1 - p;
            wzz = p * Math.exp(l1p) - r * r1;
            wcz = r * r1 * g1;
          }
        }
      } else {
        if (hurdle) {
          const q = 1 / Math.expm1(-g);
          li = l1p + logf - Math.log(-Math.expm1(g));
          l1 = d1 + q * g1;
          l2 = d2 + q * (1 + q) * g1 * g1 + q * g2;
          sw = cw;
        } else {
          li = l1p + logf;
          l1 = d1;
          l2 = d2;
          sw = cw;
        }
        if (etaZiFixed) {
          // ℓ = log(1 − p) + …: ℓ_z = −p, ℓ_zz = −p(1 − p)
          const p = Math.exp(lp);
          lz = -p;
          wzz = p * Math.exp(l1p);
        }
      }
    }
    if (!(li > -Infinity) || Number.isNaN(li)) return -Infinity;
    ll += li;
    if (grad && weight) {
      grad[i] = l1;
      weight[i] = -l2;
      if (stepW) stepW[i] = sw;
      if (etaZiFixed) {
        grad[n + i] = lz;
        weight[n + i] = wzz;
        weight[2 * n + i] = wcz;
        // the safeguard: the count part's weight, p(1 − p) for η_zi, no cross term
        if (stepW) { stepW[n + i] = Math.exp(lp + l1p); stepW[2 * n + i] = 0; }
      }
    }
  }
  return ll;
}
