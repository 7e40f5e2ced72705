/**
 * GLM families and links as lme4 evaluates them (lme4's glmFamily.cpp, which follows R's
 * `binomial()`, `poisson()` and MASS's `negative.binomial(theta)`): the link, its inverse and
 * derivative with lme4's clamping at machine epsilon, the variance function, the deviance residuals
 * and `aic` — minus twice the log-likelihood of the response given μ, the constant that makes
 * glmer's logLik a likelihood.
 *
 * The negative binomial NB2 with size θ (log link): Var(y) = μ + μ²/θ,
 *   d(y, μ) = 2 [y log(y/μ) − (y + θ) log((y + θ)/(μ + θ))],
 *   aic = 2 Σ wt [(y + θ) log(μ + θ) − y log μ + log Γ(y + 1) − θ log θ + log Γ(θ) − log Γ(θ + y)],
 * R's starting values μ = y + 1/6 where y = 0.
 *
 * The families with a scale (lme4's useSc: `hasScale`), Gamma (V = μ²) and inverse.gaussian (V = μ³),
 * as lme4 1.1-31's glmFamily.cpp gammaDist / inverseGaussianDist:
 *   Gamma:            d(y, μ) = −2 [log(y/μ) − (y − μ)/μ],
 *                     aic = −2 Σ wt log dgamma(y; 1/φ, scale = μφ) + 2,
 *   inverse.gaussian: d(y, μ) = (y − μ)²/(y μ²),
 *                     aic = Σwt (log(2πφ) + 1) + 3 Σ wt log y + 2,
 * with the dispersion φ = Σ wt d(y, μ) / Σ wt at the μ given (R's `family$aic(y, n, mu, wt, dev)`,
 * which lme4 evaluates with dev the current deviance): the Laplace deviance aic + log|L|² + ‖u‖²
 * therefore changes with μ through φ as well, and its weights and penalty are those of φ = 1 (lme4's
 * quirk, reproduced: the mode is PIRLS's on the deviance, the same for every φ). Their +2 (the
 * dispersion's degree of freedom in R's aic) is part of lme4's objective, so it is kept here.
 * Starting values μ = y (R's Gamma()$initialize and inverse.gaussian()$initialize). The links are R's:
 * inverse η = 1/μ (canonical for Gamma), 1/mu^2 η = 1/μ² (canonical for inverse.gaussian), log and
 * identity, with no clamping (lme4's inverseLink and identityLink, R's 1/mu^2).
 *
 * The Laplace approximation takes log|L|² at the
 * expected information for every family, as lme4 does: w = (dμ/dη)²/V(μ) = μ/(1 + μ/θ) here, not the
 * observed information of glmmTMB's exact Laplace (see README, "Negative binomial"); PIRLS's steps
 * towards the mode use the observed information of the non-canonical links (`observedFactor`), which
 * have the same mode.
 */
import { OptionError } from '../errors/errors.js';
import { dbinomLog, dgammaLog, dnorm, dpoisLog, lgamma, pnormBoth } from './rmath.js';

export type FamilyName = 'binomial' | 'poisson' | 'negative.binomial' | 'Gamma' | 'inverse.gaussian' | 'gaussian';
export type LinkName = 'logit' | 'probit' | 'cloglog' | 'cauchit' | 'log' | 'inverse' | 'identity' | 'sqrt' | '1/mu^2';

export interface GlmFamily {
  family: FamilyName;
  link: LinkName;
  /** η = g(μ) */
  linkfun(mu: number): number;
  /** μ = g⁻¹(η) */
  linkinv(eta: number): number;
  /** dμ/dη */
  muEta(eta: number): number;
  /** V(μ) */
  variance(mu: number): number;
  /** the unit deviance times the prior weight: d(y, μ) · wt */
  devResid(y: number, mu: number, wt: number): number;
  /**
   * −2 Σ log p(y_i | μ_i) with the prior weights, as R's `family$aic(y, n, mu, wt, dev)` (without
   * the 2·df term): binomial with m = n when any n > 1 (counts of trials) else m = wt. For the
   * families with a scale it is R's (lme4's) value with the dispersion φ = Σ wt d(y, μ)/Σ wt at this μ,
   * its +2 included (see the header).
   */
  aic(y: Float64Array, n: Float64Array | null, mu: Float64Array, wt: Float64Array | null): number;
  /** μ inside the family's range */
  validmu(mu: number): boolean;
  /** the starting μ for a response y with prior weight wt (R's family$initialize: mustart) */
  mustart(y: number, wt: number): number;
  /**
   * A link whose μ = g⁻¹(η) can leave the family's range (binomial's log: μ > 1; poisson's identity:
   * μ < 0): the range in words. PIRLS stops with an error where a μ leaves it (validmu), as lme4
   * 1.1-31's PIRLS stops ("PIRLS loop resulted in NaN value") — no step halving back into the range.
   */
  muRange?: string;
  /** the negative binomial's size θ (undefined for the other families) */
  theta?: number;
  /**
   * Gamma and inverse.gaussian: a family with a dispersion (lme4's useSc): σ̂ = √(pwrss/n) is
   * reported, VarCorr is scaled by σ̂², the RX Var(β̂) by σ̂², the summary prints t values.
   */
  hasScale?: true;
  /**
   * For a non-canonical link, the observed information of a row over its expected one,
   *   f = (−∂²ℓ/∂η²) / ((dμ/dη)²/V(μ))   (ℓ the row's log-likelihood per unit prior weight),
   * at y, η, μ = g⁻¹(η) and `muEta` = dμ/dη; absent for a canonical link (f = 1). PIRLS takes
   * Newton's steps with the weights w f (src/glmm/rowPass.ts observedRows). It is given only where
   * the log-likelihood is concave in η (f ≥ 0): Gamma(identity), inverse.gaussian(log) and
   * inverse.gaussian(identity) have f < 0 for small y (see SCALE_OBSERVED) and take Fisher's steps
   * (the expected information, as lme4's PIRLS for every link): the same mode.
   */
  observedFactor?(y: number, eta: number, mu: number, muEta: number): number;
}

const EPS = Number.EPSILON;

/** x · log(x / m) with 0 log 0 = 0 (lme4's Y_log_Y) */
function ylogy(y: number, mu: number): number {
  // lme4's y_log_y: 0 only for y = 0, so a NaN μ gives NaN (not 0) and PIRLS's finiteness check fires
  return y !== 0 ? y * Math.log(y / mu) : 0;
}

function plogis(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function dlogis(x: number): number {
  const e = Math.exp(-Math.abs(x));
  const d = 1 + e;
  return e / (d * d);
}

interface Link {
  linkfun(mu: number): number;
  linkinv(eta: number): number;
  muEta(eta: number): number;
}

/**
 * f for the binomial's non-canonical links. With r = (dμ/dη)/V (V = μ(1 − μ)) the score is
 * (y − μ) r and −∂²ℓ/∂η² = (dμ/dη) r − (y − μ) r′, so f = 1 − (y − μ) r′/(r dμ/dη):
 *   probit:  r′ = −r (η + r (1 − 2μ))   (φ′ = −η φ, V′ = (1 − 2μ) φ):  f = 1 + (y − μ)(η + r (1 − 2μ))/(dμ/dη);
 *   cloglog: r = e^η/μ, r′ = r (1 − (dμ/dη)/μ):                        f = 1 − (y − μ)(1 − (dμ/dη)/μ)/(dμ/dη).
 */
const BINOMIAL_OBSERVED: Partial<Record<LinkName, (y: number, eta: number, mu: number, muEta: number) => number>> = {
  probit: (y, eta, mu, me) => 1 + ((y - mu) * (eta + (me / Math.max(EPS, mu * (1 - mu))) * (1 - 2 * mu))) / me,
  cloglog: (y, _eta, mu, me) => 1 - ((y - mu) * (1 - me / mu)) / me,
  // log: ℓ = y log μ + (1 − y) log(1 − μ), η = log μ: −∂²ℓ/∂η² = (1 − y) μ/(1 − μ)², expected μ/(1 − μ)
  log: (y, _eta, mu) => (1 - y) / (1 - mu),
};

/**
 * f for poisson's non-canonical links (ℓ = y log μ − μ):
 *   identity: −∂²ℓ/∂η² = y/μ², expected 1/μ:                          f = y/μ;
 *   sqrt:     μ = η², −∂²ℓ/∂η² = 2y/η² + 2, expected (2η)²/η² = 4:     f = (y/μ + 1)/2.
 * Both concave in η (f ≥ 0). binomial(cauchit) is not (the Cauchy's log-cdf is convex in its tail) and
 * takes Fisher's steps.
 */
const POISSON_OBSERVED: Partial<Record<LinkName, (y: number, eta: number, mu: number, muEta: number) => number>> = {
  identity: (y, _eta, mu) => y / mu,
  sqrt: (y, _eta, mu) => 0.5 * (y / mu + 1),
};

/** R's pcauchy(x) (lower tail): 1 − atan(1/x)/π for x > 1, −atan(1/x)/π for x < −1, else 1/2 + atan(x)/π */
function pcauchy(x: number): number {
  if (Math.abs(x) > 1) {
    const y = Math.atan(1 / x) / Math.PI;
    return x > 0 ? 0.5 - y + 0.5 : -y;
  }
  return 0.5 + Math.atan(x) / Math.PI;
}

const LINKS: Record<LinkName, Link> = {
  logit: {
    linkfun: (mu) => Math.log(mu / (1 - mu)),
    linkinv: (eta) => Math.min(1 - EPS, plogis(eta)),
    muEta: (eta) => Math.max(EPS, dlogis(eta)),
  },
  probit: {
    linkfun: (mu) => qnormApprox(mu),
    linkinv: (eta) => Math.min(1 - EPS, pnormBoth(eta).lower),
    muEta: (eta) => dnorm(eta),
  },
  cloglog: {
    linkfun: (mu) => Math.log(-Math.log1p(-mu)),
    linkinv: (eta) => Math.max(EPS, Math.min(1 - EPS, -Math.expm1(-Math.exp(eta)))),
    muEta: (eta) => Math.max(EPS, Math.exp(eta - Math.exp(eta))),
  },
  // lme4's cauchitLink: μ = min(1 − ε, pcauchy(η)), dμ/dη = dcauchy(η) = 1/(π(1 + η²)), no lower clamps
  cauchit: {
    linkfun: (mu) => Math.tan(Math.PI * (mu - 0.5)),
    linkinv: (eta) => Math.min(1 - EPS, pcauchy(eta)),
    muEta: (eta) => 1 / (Math.PI * (1 + eta * eta)),
  },
  // R's make.link("sqrt") (lme4 evaluates it in R): μ = η², dμ/dη = 2η
  sqrt: {
    linkfun: (mu) => Math.sqrt(mu),
    linkinv: (eta) => eta * eta,
    muEta: (eta) => 2 * eta,
  },
  log: {
    linkfun: (mu) => Math.log(mu),
    linkinv: (eta) => Math.max(EPS, Math.exp(eta)),
    muEta: (eta) => Math.max(EPS, Math.exp(eta)),
  },
  // μ = 1/η, dμ/dη = −1/η² (lme4's inverseLink: no clamping)
  inverse: {
    linkfun: (mu) => 1 / mu,
    linkinv: (eta) => 1 / eta,
    muEta: (eta) => -1 / (eta * eta),
  },
  identity: {
    linkfun: (mu) => mu,
    linkinv: (eta) => eta,
    muEta: () => 1,
  },
  // μ = η^(−1/2), dμ/dη = −η^(−3/2)/2 (R's inverse.gaussian()'s 1/mu^2)
  '1/mu^2': {
    linkfun: (mu) => 1 / (mu * mu),
    linkinv: (eta) => 1 / Math.sqrt(eta),
    muEta: (eta) => -1 / (2 * eta ** 1.5),
  },
};

/**
 * f for the families with a scale, per unit dispersion (ℓ(μ) = −y/μ − log μ for Gamma,
 * −y/(2μ²) + 1/μ for inverse.gaussian): with the score (y − μ)(dμ/dη)/V,
 *   Gamma(log):             −∂²ℓ/∂η² = y/μ,  expected 1:        f = y/μ;
 *   inverse.gaussian(inverse): ℓ = −yη²/2 + η, −∂²ℓ/∂η² = y, expected (μ²)²/μ³ = μ: f = y/μ.
 * The canonical links (Gamma's inverse, inverse.gaussian's 1/mu^2) have f = 1. Not concave, so not
 * given (Fisher's steps): Gamma(identity) f = 2y/μ − 1, inverse.gaussian(log) f = 2y/μ − 1,
 * inverse.gaussian(identity) f = 3y/μ − 2 (negative where y < μ/2, μ/2, 2μ/3).
 */
const SCALE_OBSERVED: Partial<Record<string, (y: number, eta: number, mu: number, muEta: number) => number>> = {
  'Gamma/log': (y, _eta, mu) => y / mu,
  'inverse.gaussian/inverse': (y, _eta, mu) => y / mu,
};

/**
 * Φ⁻¹(p) by Newton steps on pnorm from Acklam's rational starting value; used only for starting
 * values of the probit link, so a few ulps do not matter.
 */
function qnormApprox(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  // Acklam's approximation
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  let x: number;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p > 1 - 0.02425) {
    const q = Math.sqrt(-2 * Math.log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  for (let k = 0; k < 2; k++) {
    const e = pnormBoth(x).lower - p;
    const dn = dnorm(x);
    if (dn > 0) x -= e / dn;
  }
  return x;
}

/** The links each family accepts (R's binomial() and poisson() accept more; these are supported). */
export const FAMILY_LINKS: Record<FamilyName, LinkName[]> = {
  binomial: ['logit', 'probit', 'cloglog', 'cauchit', 'log'],
  poisson: ['log', 'identity', 'sqrt'],
  'negative.binomial': ['log'],
  Gamma: ['inverse', 'log', 'identity'],
  'inverse.gaussian': ['1/mu^2', 'log', 'inverse', 'identity'],
  // glmer(family = gaussian) with the identity link calls lmer (lme4 1.1-31, with a deprecation
  // warning): refused here (GAUSSIAN_IDENTITY), so gaussian has no default link
  gaussian: ['log', 'inverse'],
};

/** The refusal of glmer's gaussian family with the identity link (lme4 refits it with lmer). */
export const GAUSSIAN_IDENTITY = "a gaussian GLMM with the identity link is a linear mixed model: fit it with lmer (lme4 1.1-31's glmer calls lmer for it, with a deprecation warning); glmer's gaussian family takes link 'log' or 'inverse'";

/** The family object for `family` with `link` (default: the canonical link); the negative binomial needs its size θ. */
export function makeFamily(family: FamilyName, link?: LinkName, theta?: number): GlmFamily {
  if (!Object.hasOwn(FAMILY_LINKS, family)) {
    throw new OptionError('family', `family '${String(family)}' is not supported: use 'binomial', 'poisson', 'negative.binomial', 'Gamma', 'inverse.gaussian' or 'gaussian' (log or inverse link; with the identity link, lmer)`);
  }
  if (family === 'gaussian' && (link === undefined || link === 'identity')) throw new OptionError('link', GAUSSIAN_IDENTITY);
  const lk = link ?? FAMILY_LINKS[family][0];
  if (!FAMILY_LINKS[family].includes(lk)) {
    throw new OptionError('link', `link '${String(lk)}' is not available for the ${family} family (available: ${FAMILY_LINKS[family].join(', ')})`);
  }
  const L = LINKS[lk];
  if (family === 'binomial') {
    const observedFactor = BINOMIAL_OBSERVED[lk];
    return {
      family, link: lk, ...L,
      ...(observedFactor ? { observedFactor } : {}),
      variance: (mu) => Math.max(EPS, mu * (1 - mu)),
      devResid: (y, mu, wt) => 2 * wt * (ylogy(y, mu) + ylogy(1 - y, 1 - mu)),
      aic(y, n, mu, wt) {
        const len = mu.length;
        let anyN = false;
        if (n) for (let i = 0; i < len; i++) if (n[i] > 1) { anyN = true; break; }
        let ans = 0;
        for (let i = 0; i < len; i++) {
          const w = wt ? wt[i] : 1;
          const m0 = anyN ? n![i] : w;
          const yy = Math.round(m0 * y[i]);
          const m = Math.round(m0);
          if (m <= 0) continue;
          ans += (w / m) * dbinomLog(yy, m, mu[i]);
        }
        return -2 * ans;
      },
      validmu: (mu) => Number.isFinite(mu) && mu > 0 && mu < 1,
      mustart: (y, wt) => (wt * y + 0.5) / (wt + 1),
      ...(lk === 'log' ? { muRange: 'μ < 1 (the log link has μ = e^η, which exceeds 1 where η > 0)' } : {}),
    };
  }
  if (family === 'gaussian') return gaussianFamily(lk, L);
  if (family === 'negative.binomial') return negativeBinomial(theta, L);
  if (family === 'Gamma' || family === 'inverse.gaussian') return scaleFamily(family, lk, L);
  const observedFactor = lk === 'log' ? undefined : POISSON_OBSERVED[lk];
  return {
    family, link: lk, ...L,
    ...(observedFactor ? { observedFactor } : {}),
    ...(lk === 'identity' ? { muRange: 'μ > 0 (the identity link has μ = η, which can be negative)' } : {}),
    variance: (mu) => mu,
    devResid: (y, mu, wt) => 2 * wt * (ylogy(y, mu) - (y - mu)),
    aic(y, _n, mu, wt) {
      let ans = 0;
      for (let i = 0; i < mu.length; i++) ans += dpoisLog(y[i], mu[i]) * (wt ? wt[i] : 1);
      return -2 * ans;
    },
    validmu: (mu) => Number.isFinite(mu) && mu > 0,
    mustart: (y) => y + 0.1,
  };
}

/** NB2 with size θ and the log link (see the header; lme4's negativeBinomialDist). */
function negativeBinomial(theta: number | undefined, L: Link): GlmFamily {
  if (theta === undefined) throw new OptionError('theta', 'the negative binomial family needs its size theta (glmer estimates it when none is given, as glmer.nb)');
  if (!(theta > 0 && Number.isFinite(theta))) throw new OptionError('theta', `the negative binomial size theta must be a positive number, got ${theta}`);
  const lgTheta = lgamma(theta);
  const thetaLogTheta = theta * Math.log(theta);
  return {
    family: 'negative.binomial', link: 'log', theta, ...L,
    variance: (mu) => mu + (mu * mu) / theta,
    // ℓ = y log μ − (y + θ) log(μ + θ) + c, η = log μ: −∂²ℓ/∂η² = θμ(y + θ)/(μ + θ)², expected θμ/(μ + θ)
    observedFactor: (y, _eta, mu) => (y + theta) / (mu + theta),
    devResid: (y, mu, wt) => 2 * wt * (ylogy(y, mu) - (y + theta) * Math.log((y + theta) / (mu + theta))),
    aic(y, _n, mu, wt) {
      let s = 0;
      for (let i = 0; i < mu.length; i++) {
        const yi = y[i], mi = mu[i];
        const term = (yi + theta) * Math.log(mi + theta) - (yi === 0 ? 0 : yi * Math.log(mi)) + lgamma(yi + 1) - thetaLogTheta + lgTheta - lgamma(theta + yi);
        s += term * (wt ? wt[i] : 1);
      }
      return 2 * s;
    },
    validmu: (mu) => Number.isFinite(mu) && mu > 0,
    mustart: (y) => y + (y === 0 ? 1 / 6 : 0),
  };
}

/** Gamma and inverse.gaussian with link `lk` (see the header; lme4's gammaDist and inverseGaussianDist). */
function scaleFamily(family: 'Gamma' | 'inverse.gaussian', lk: LinkName, L: Link): GlmFamily {
  const observedFactor = SCALE_OBSERVED[`${family}/${lk}`];
  // the dispersion φ = Σ wt d(y, μ) / Σ wt of R's aic functions
  const dispersion = (fam: GlmFamily, y: Float64Array, mu: Float64Array, wt: Float64Array | null): { phi: number; wsum: number } => {
    let dev = 0, wsum = 0;
    for (let i = 0; i < mu.length; i++) {
      const w = wt ? wt[i] : 1;
      dev += fam.devResid(y[i], mu[i], w);
      wsum += w;
    }
    return { phi: dev / wsum, wsum };
  };
  const validmu = (mu: number) => Number.isFinite(mu) && mu > 0;
  if (family === 'Gamma') {
    const fam: GlmFamily = {
      family, link: lk, ...L, hasScale: true,
      ...(observedFactor ? { observedFactor } : {}),
      variance: (mu) => mu * mu,
      // −2 wt [log(y/μ) − (y − μ)/μ] (lme4's logN0: log 0 taken as 0)
      devResid: (y, mu, wt) => -2 * wt * ((y === 0 ? 0 : Math.log(y / mu)) - (y - mu) / mu),
      // −2 Σ wt log dgamma(y; 1/φ, scale μφ) + 2
      aic(y, _n, mu, wt) {
        const { phi } = dispersion(fam, y, mu, wt);
        let ans = 0;
        for (let i = 0; i < mu.length; i++) ans += (wt ? wt[i] : 1) * dgammaLog(y[i], 1 / phi, mu[i] * phi);
        return -2 * ans + 2;
      },
      validmu,
      mustart: (y) => y,
    };
    return fam;
  }
  const fam: GlmFamily = {
    family, link: lk, ...L, hasScale: true,
    ...(observedFactor ? { observedFactor } : {}),
    variance: (mu) => mu * mu * mu,
    // wt (y − μ)²/(y μ²)
    devResid: (y, mu, wt) => (wt * (y - mu) * (y - mu)) / (y * mu * mu),
    // Σwt (log(2πφ) + 1) + 3 Σ wt log y + 2
    aic(y, _n, mu, wt) {
      const { phi, wsum } = dispersion(fam, y, mu, wt);
      let sly = 0;
      for (let i = 0; i < y.length; i++) sly += Math.log(y[i]) * (wt ? wt[i] : 1);
      return wsum * (Math.log(phi * 2 * Math.PI) + 1) + 3 * sly + 2;
    },
    validmu,
    mustart: (y) => y,
  };
  return fam;
}

/**
 * glmer's gaussian family with a non-identity link (lme4's GaussianDist): V(μ) = 1, d(y, μ) = (y − μ)²,
 *   aic = n (log(2π Σ wt d / n) + 1) + 2 − Σ log wt   (n the number of rows, not Σ wt: GaussianDist::aic),
 * a family with a scale (useSc) as Gamma: σ̂ = √(pwrss/n), the dispersion-scaled objective aic + log|L|² +
 * ‖u‖². Starting values μ = y (R's gaussian()$initialize, which stops with "cannot find valid starting
 * values" where the log link has a y ≤ 0 or the inverse link a y = 0: src/frame/glmResponse.ts). The log
 * link's −∂²ℓ/∂η² = 2μ² − yμ and the inverse link's μ⁴ − 2(y − μ)μ³ can be negative: Fisher's steps
 * (f = 2 − y/μ and 3 − 2y/μ are not given). Fisher's steps converge where f < 2 (every row of the log
 * link); the inverse link's rows with y < μ/2 have f > 2, where they can diverge — the WebGPU path
 * met that and refuses this link (src/backend/select.ts deviceFamilyRefusal). Newton's steps with f
 * floored were tried: from cold starts they crossed η = 0 into another mode of the inverse link.
 */
function gaussianFamily(lk: LinkName, L: Link): GlmFamily {
  return {
    family: 'gaussian', link: lk, ...L, hasScale: true,
    variance: () => 1,
    devResid: (y, mu, wt) => wt * (y - mu) * (y - mu),
    aic(y, _n, mu, wt) {
      const n = mu.length;
      let dev = 0, slw = 0;
      for (let i = 0; i < n; i++) {
        const w = wt ? wt[i] : 1;
        dev += w * (y[i] - mu[i]) * (y[i] - mu[i]);
        slw += Math.log(w);
      }
      return n * (Math.log((2 * Math.PI * dev) / n) + 1) + 2 - slw;
    },
    validmu: (mu) => Number.isFinite(mu),
    mustart: (y) => y,
  };
}

/** lme4's (MASS's) name of a family: `Negative Binomial(2.0522)` for the negative binomial. */
export function familyLabel(f: Pick<GlmFamily, 'family' | 'theta'>): string {
  if (f.family !== 'negative.binomial') return f.family;
  return `Negative Binomial(${Number((f.theta ?? NaN).toFixed(4))})`;
}
