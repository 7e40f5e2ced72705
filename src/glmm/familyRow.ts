/**
 * One row's PIRLS quantities for the non-canonical families, written out for the row threads (runs by
 * levels, src/glmm/groupNewton.ts): at η, with μ = g⁻¹(η) and dμ/dη by lme4's clamps (src/glmm/family.ts),
 *   wt·d(y, μ)/2,   the expected weight w = wt (dμ/dη)²/V(μ),   Newton's weight w f (f the observed
 *   information over the expected one, family.observedFactor, floored as src/glmm/rowPass.ts observedRows),
 *   and the score wt (y − μ)(dμ/dη)/V(μ)   (= w (y − μ)/(dμ/dη), the working residual's weight),
 * for binomial(probit), binomial(cloglog) and the negative binomial NB2(θ) with the log link:
 *   probit:  μ = min(1 − ε, Φ(η)),  dμ/dη = φ(η),  f = 1 + (y − μ)(η + r (1 − 2μ))/(dμ/dη),  r = (dμ/dη)/V;
 *   cloglog: μ = max(ε, min(1 − ε, −expm1(−e^η))),  dμ/dη = max(ε, e^(η − e^η)),  f = 1 − (y − μ)(1 − (dμ/dη)/μ)/(dμ/dη);
 *   binomial: V = max(ε, μ(1 − μ)),  d/2 = y log(y/μ) + (1 − y) log((1 − y)/(1 − μ));
 *   NB2:     μ = dμ/dη = max(ε, e^η),  V = μ + μ²/θ,  f = (y + θ)/(μ + θ),
 *            d/2 = y log(y/μ) − (y + θ) log((y + θ)/(μ + θ)).
 * The same operations in the same order as the family's scalar functions, so the values are theirs
 * (test/familyRow.test.ts compares them bit for bit).
 */
import type { GlmFamily } from './family.js';
import { OBSERVED_FLOOR } from './rowPass.js';
import { PNORM_INTO_SOURCE, pnormInto } from './rmath.js';

/** The families of familyRow, by code (0 and 1 are groupNewton's own logit and Poisson kernels). */
export const FAMILY_CODE = { logit: 0, poisson: 1, probit: 2, cloglog: 3, negbin: 4 } as const;

/** The code of `family` for the runs by levels, or null where it has none. */
export function familyCode(family: Pick<GlmFamily, 'family' | 'link'>): number | null {
  if (family.family === 'binomial') return family.link === 'logit' ? 0 : family.link === 'probit' ? 2 : family.link === 'cloglog' ? 3 : null;
  if (family.family === 'poisson') return family.link === 'log' ? 1 : null;
  return family.family === 'negative.binomial' && family.link === 'log' ? 4 : null;
}

/**
 * pnormInto and OBSERVED_FLOOR under names no other module uses: familyRow's text names them, and the
 * row threads define them by FAMILY_ROW_NAMES.
 */
const familyPnorm = pnormInto;
const FAMILY_OBSERVED_FLOOR = OBSERVED_FLOOR;

/**
 * Row quantities (see the header) of family `code` (2 probit, 3 cloglog, 4 NB2 with size `nbTheta`) at η
 * for response y with prior weight wt, into R: [wt·d(y, μ)/2, expected weight, Newton's weight, score].
 * Self-contained but for familyPnorm and FAMILY_OBSERVED_FLOOR (FAMILY_ROW_NAMES).
 */
export function familyRow(code: number, eta: number, y: number, wt: number, nbTheta: number, R: Float64Array): void {
  const EPS = Number.EPSILON;
  let mu: number, me: number, V: number, f0: number, dev: number;
  if (code === 4) {
    mu = Math.max(EPS, Math.exp(eta));
    me = mu;
    V = mu + (mu * mu) / nbTheta;
    f0 = (y + nbTheta) / (mu + nbTheta);
    dev = wt * ((y !== 0 ? y * Math.log(y / mu) : 0) - (y + nbTheta) * Math.log((y + nbTheta) / (mu + nbTheta)));
  } else {
    if (code === 2) {
      // Φ(η) into R[0] (R is written below)
      familyPnorm(eta, R);
      mu = Math.min(1 - EPS, R[0]);
      me = 0.398942280401432677939946059934 * Math.exp(-0.5 * eta * eta);
      f0 = 1 + ((y - mu) * (eta + (me / Math.max(EPS, mu * (1 - mu))) * (1 - 2 * mu))) / me;
    } else {
      const e = Math.exp(eta);
      mu = Math.max(EPS, Math.min(1 - EPS, -Math.expm1(-e)));
      me = Math.max(EPS, Math.exp(eta - e));
      f0 = 1 - ((y - mu) * (1 - me / mu)) / me;
    }
    V = Math.max(EPS, mu * (1 - mu));
    const y1 = 1 - y;
    dev = wt * ((y !== 0 ? y * Math.log(y / mu) : 0) + (y1 !== 0 ? y1 * Math.log(y1 / (1 - mu)) : 0));
  }
  const f = f0 >= FAMILY_OBSERVED_FLOOR ? f0 : f0 === f0 ? FAMILY_OBSERVED_FLOOR : 1;
  R[0] = dev;
  R[1] = (wt * me * me) / V;
  R[2] = (wt * me * me * f) / V;
  R[3] = (wt * (y - mu) * me) / V;
}

/** The definitions of the names familyRow's text refers to, as source text for the row threads */
export const FAMILY_ROW_NAMES = [`const familyPnorm = ${PNORM_INTO_SOURCE};`, `const FAMILY_OBSERVED_FLOOR = ${OBSERVED_FLOOR};`];
