/**
 * The links of a cumulative link model (ordinal's clm and clmm): P(Y ≤ j) = F(η_j), with F the
 * link's distribution function. For each link: F in both tails (lower F(x) and upper 1 − F(x), each
 * with full relative accuracy where it is small), the density f = F′, its derivative f′ (ordinal's
 * pfun, dfun, gfun), and the quantile F⁻¹ (for starting values).
 *
 *   logit    F(x) = 1 / (1 + e^{−x})          f = F (1 − F)              f′ = f (1 − 2F)
 *   probit   F(x) = Φ(x)                       f = φ(x)                   f′ = −x φ(x)
 *   cloglog  F(x) = 1 − exp(−e^x)              f = e^x exp(−e^x)          f′ = f (1 − e^x)
 *   loglog   F(x) = exp(−e^{−x})               f = e^{−x} exp(−e^{−x})    f′ = f (e^{−x} − 1)
 *   cauchit  F(x) = 1/2 + atan(x)/π            f = 1 / (π (1 + x²))       f′ = −2x / (π (1 + x²)²)
 *
 * At ±∞ (the open ends of the first and last categories) F is 0 or 1 and f = f′ = 0.
 */
import { dnorm, pnormBoth } from '../glmm/rmath.js';
import { qnorm } from '../stats/distributions.js';

/** ordinal's links (clmm's `link`). */
export const CLMM_LINKS = ['logit', 'probit', 'cloglog', 'loglog', 'cauchit'] as const;
export type ClmmLink = (typeof CLMM_LINKS)[number];

export interface OrdinalLink {
  name: ClmmLink;
  /** F(x) */
  lower(x: number): number;
  /** 1 − F(x) */
  upper(x: number): number;
  /** f(x) = F′(x) */
  density(x: number): number;
  /** f′(x) */
  densityDeriv(x: number): number;
  /** F⁻¹(p), 0 < p < 1 */
  quantile(p: number): number;
}

const logit: OrdinalLink = {
  name: 'logit',
  lower: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  upper: (x) => (x >= 0 ? Math.exp(-x) / (1 + Math.exp(-x)) : 1 / (1 + Math.exp(x))),
  density: (x) => {
    if (!Number.isFinite(x)) return 0;
    const e = Math.exp(-Math.abs(x));
    return e / ((1 + e) * (1 + e));
  },
  densityDeriv: (x) => {
    if (!Number.isFinite(x)) return 0;
    const e = Math.exp(-Math.abs(x));
    const f = e / ((1 + e) * (1 + e));
    // 1 − 2F(x) = (1 − e^x)/(1 + e^x) = sign(−x) (1 − e^{−|x|})/(1 + e^{−|x|})
    return f * (x >= 0 ? -(1 - e) / (1 + e) : (1 - e) / (1 + e));
  },
  quantile: (p) => Math.log(p / (1 - p)),
};

const probit: OrdinalLink = {
  name: 'probit',
  lower: (x) => pnormBoth(x).lower,
  upper: (x) => pnormBoth(x).upper,
  density: (x) => (Number.isFinite(x) ? dnorm(x) : 0),
  densityDeriv: (x) => (Number.isFinite(x) ? -x * dnorm(x) : 0),
  quantile: (p) => qnorm(p),
};

const cloglog: OrdinalLink = {
  name: 'cloglog',
  lower: (x) => -Math.expm1(-Math.exp(x)),
  upper: (x) => Math.exp(-Math.exp(x)),
  density: (x) => {
    if (!Number.isFinite(x)) return 0;
    const ex = Math.exp(x);
    return Number.isFinite(ex) ? ex * Math.exp(-ex) : 0;
  },
  densityDeriv: (x) => {
    if (!Number.isFinite(x)) return 0;
    const ex = Math.exp(x);
    return Number.isFinite(ex) ? ex * Math.exp(-ex) * (1 - ex) : 0;
  },
  quantile: (p) => Math.log(-Math.log1p(-p)),
};

const loglog: OrdinalLink = {
  name: 'loglog',
  lower: (x) => Math.exp(-Math.exp(-x)),
  upper: (x) => -Math.expm1(-Math.exp(-x)),
  density: (x) => {
    if (!Number.isFinite(x)) return 0;
    const e = Math.exp(-x);
    return Number.isFinite(e) ? e * Math.exp(-e) : 0;
  },
  densityDeriv: (x) => {
    if (!Number.isFinite(x)) return 0;
    const e = Math.exp(-x);
    return Number.isFinite(e) ? e * Math.exp(-e) * (e - 1) : 0;
  },
  quantile: (p) => -Math.log(-Math.log(p)),
};

const cauchit: OrdinalLink = {
  name: 'cauchit',
  // atan2 keeps each tail's relative accuracy: F(x) = atan2(1, −x)/π, 1 − F(x) = atan2(1, x)/π
  lower: (x) => Math.atan2(1, -x) / Math.PI,
  upper: (x) => Math.atan2(1, x) / Math.PI,
  density: (x) => (Number.isFinite(x) ? 1 / (Math.PI * (1 + x * x)) : 0),
  densityDeriv: (x) => {
    if (!Number.isFinite(x)) return 0;
    const d = 1 + x * x;
    return (-2 * x) / (Math.PI * d * d);
  },
  quantile: (p) => Math.tan(Math.PI * (p - 0.5)),
};

const LINKS: Record<ClmmLink, OrdinalLink> = { logit, probit, cloglog, loglog, cauchit };

/** The link by name (checked by the caller: src/ordinal/checks.ts). */
export function ordinalLink(name: ClmmLink): OrdinalLink {
  return LINKS[name];
}

/**
 * P(η₂ < Y* ≤ η₁) = F(η₁) − F(η₂) for η₂ ≤ η₁, from the tail where the difference keeps its
 * digits: the lower tails where F(η₂) < 1/2, else 1 − F(η₂) − (1 − F(η₁)) (ordinal's get_fitted does
 * the same for the symmetric links).
 */
export function intervalProbability(link: OrdinalLink, eta1: number, eta2: number): number {
  const lo2 = link.lower(eta2);
  if (lo2 < 0.5) return link.lower(eta1) - lo2;
  return link.upper(eta2) - link.upper(eta1);
}
