/**
 * The mean and variance model of geepack's geese (famstr.cc): the link g with μ = g⁻¹(η), dμ/dη
 * (taken from src/glmm/family.ts, lme4's link functions; gaussian's identity link written here, as
 * family.ts refuses it for glmer), and the variance function V(μ) with its derivative V′(μ), which the
 * variances of φ̂ and α̂ need:
 *   gaussian V = 1, V′ = 0;  binomial V = μ(1 − μ), V′ = 1 − 2μ;  poisson V = μ, V′ = 1;  Gamma V = μ², V′ = 2μ.
 * The links geepack takes for each family (its LINKS: identity, logit, probit, cloglog, log, inverse).
 */
import { OptionError } from '../errors/errors.js';
import { type LinkName, makeFamily } from '../glmm/family.js';

export type GeeFamilyName = 'gaussian' | 'binomial' | 'poisson' | 'Gamma';

export const GEE_LINKS: Record<GeeFamilyName, LinkName[]> = {
  gaussian: ['identity', 'log', 'inverse'],
  binomial: ['logit', 'probit', 'cloglog', 'log'],
  poisson: ['log', 'identity'],
  Gamma: ['inverse', 'log', 'identity'],
};

export interface MeanModel {
  family: GeeFamilyName;
  link: LinkName;
  linkfun(mu: number): number;
  linkinv(eta: number): number;
  muEta(eta: number): number;
  /** V(μ) */
  variance(mu: number): number;
  /** V′(μ) = dV/dμ */
  varianceDeriv(mu: number): number;
  /** R's family$initialize: the starting μ of a response y with prior weight w */
  mustart(y: number, w: number): number;
}

const VARIANCE: Record<GeeFamilyName, { v: (mu: number) => number; dv: (mu: number) => number }> = {
  gaussian: { v: () => 1, dv: () => 0 },
  binomial: { v: (mu) => mu * (1 - mu), dv: (mu) => 1 - 2 * mu },
  poisson: { v: (mu) => mu, dv: () => 1 },
  Gamma: { v: (mu) => mu * mu, dv: (mu) => 2 * mu },
};

const MUSTART: Record<GeeFamilyName, (y: number, w: number) => number> = {
  gaussian: (y) => y,
  binomial: (y, w) => (w * y + 0.5) / (w + 1),
  poisson: (y) => y + 0.1,
  Gamma: (y) => y,
};

/** The family `family` with `link` (default: R's default link of the family). */
export function meanModel(family: GeeFamilyName, link?: LinkName): MeanModel {
  if (!Object.hasOwn(GEE_LINKS, family)) throw new OptionError('family', `gee: family must be one of ${Object.keys(GEE_LINKS).join(', ')} (geepack's variances), got ${JSON.stringify(family)}`);
  const lk = link ?? GEE_LINKS[family][0];
  if (!GEE_LINKS[family].includes(lk)) throw new OptionError('link', `gee: the ${family} family takes the links ${GEE_LINKS[family].join(', ')} (geepack's), got ${JSON.stringify(link)}`);
  const { v, dv } = VARIANCE[family];
  const base = { family, link: lk, variance: v, varianceDeriv: dv, mustart: MUSTART[family] };
  if (lk === 'identity') return { ...base, linkfun: (mu) => mu, linkinv: (eta) => eta, muEta: () => 1 };
  // the link functions of family.ts (gaussian's log and inverse links there; the others by a family that has them)
  const host = family === 'gaussian' ? 'gaussian' : family;
  const f = makeFamily(host, lk);
  return { ...base, linkfun: f.linkfun, linkinv: f.linkinv, muEta: f.muEta };
}
