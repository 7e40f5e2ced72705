/**
 * The non-canonical families' row quantities written out for the row threads (src/glmm/familyRow.ts)
 * against the family objects' scalar functions (src/glmm/family.ts) that the general iteration
 * evaluates: the same operations, so the same values bit for bit, over η from −40 to 40 (lme4's clamps
 * at ε bind at both ends), responses 0, 1, proportions and counts, and prior weights; and the family
 * codes of the runs by levels.
 */
import { describe, expect, it } from 'vitest';
import { makeFamily } from '../src/glmm/family.js';
import { FAMILY_CODE, familyCode, familyRow } from '../src/glmm/familyRow.js';
import { OBSERVED_FLOOR } from '../src/glmm/rowPass.js';
import { PNORM_INTO_SOURCE, pnormInto } from '../src/glmm/rmath.js';

const etas = [-40, -37.6, -30, -8.3, -5.7, -1, -0.674, -0.3, -1e-9, 0, 1e-9, 0.3, 0.7, 2, 5.66, 6, 8.3, 30, 37.6, 40];

describe('familyRow', () => {
  const cases = [
    { code: FAMILY_CODE.probit, family: makeFamily('binomial', 'probit'), ys: [0, 1, 0.25, 0.9] },
    { code: FAMILY_CODE.cloglog, family: makeFamily('binomial', 'cloglog'), ys: [0, 1, 0.25, 0.9] },
    { code: FAMILY_CODE.negbin, family: makeFamily('negative.binomial', 'log', 0.7), ys: [0, 1, 3, 250] },
    { code: FAMILY_CODE.negbin, family: makeFamily('negative.binomial', 'log', 5990), ys: [0, 2, 17] },
  ];
  for (const { code, family, ys } of cases) {
    it(`is the family's scalar functions bit for bit: ${family.family}(${family.link})${family.theta ? `, θ = ${family.theta}` : ''}`, () => {
      const R = new Float64Array(4);
      const theta = family.theta ?? 0;
      let checked = 0;
      for (const eta of etas) for (const y of ys) for (const wt of [1, 2.5]) {
        if (family.family === 'negative.binomial' && Math.abs(eta) > 30) continue; // e^η overflows the variance: no reference value
        familyRow(code, eta, y, wt, theta, R);
        const mu = family.linkinv(eta), me = family.muEta(eta), V = family.variance(mu);
        const f0 = family.observedFactor!(y, eta, mu, me);
        const f = f0 >= OBSERVED_FLOOR ? f0 : f0 === f0 ? OBSERVED_FLOOR : 1;
        // the general iteration's (rowPass.ts generalRows and observedRows): d, the expected and Newton's weights
        expect(2 * R[0]).toBe(family.devResid(y, mu, wt));
        expect(R[1]).toBe((wt * me * me) / V);
        expect(R[2]).toBe((wt * me * me * f) / V);
        // the score is the weighted working residual w (y − μ)/(dμ/dη), to rounding (where the probit's
        // (dμ/dη)² underflows, |η| > 19, w is 0 and the score below 1e-150)
        const score = R[1] * ((y - mu) / me);
        if (me > 1e-290) expect(Math.abs(R[3] - score)).toBeLessThanOrEqual(4e-16 * Math.abs(score) + 1e-150);
        checked++;
      }
      expect(checked).toBeGreaterThan(60);
    });
  }

  it('evaluates the same pnorm from its source text (the row threads\' copy)', () => {
    const copy = (0, eval)(PNORM_INTO_SOURCE) as typeof pnormInto;
    const a = new Float64Array(2), b = new Float64Array(2);
    for (const x of [-40, -37.5, -6, -0.6, 0, 0.6, 3, 6, 38]) {
      copy(x, a);
      pnormInto(x, b);
      expect(a).toEqual(b);
    }
  });

  it('gives every supported family its code, and none to others', () => {
    expect(familyCode(makeFamily('binomial'))).toBe(FAMILY_CODE.logit);
    expect(familyCode(makeFamily('poisson'))).toBe(FAMILY_CODE.poisson);
    expect(familyCode(makeFamily('binomial', 'probit'))).toBe(FAMILY_CODE.probit);
    expect(familyCode(makeFamily('binomial', 'cloglog'))).toBe(FAMILY_CODE.cloglog);
    expect(familyCode(makeFamily('negative.binomial', 'log', 2))).toBe(FAMILY_CODE.negbin);
    expect(familyCode({ family: 'poisson', link: 'logit' })).toBeNull();
  });
});
