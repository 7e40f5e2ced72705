/** interpSpline, backSpline and predict.polySpline against R's splines package; qchisq, the profile's cutoff. */
import { describe, expect, it } from 'vitest';
import { backSpline, evalPolySpline, interpSpline } from '../../src/inference/spline.js';
import { qchisq } from '../../src/inference/distributions.js';
import { loadInference } from '../helpers/inference.js';

interface SplineSet { x: number[]; z: number[]; at: number[]; forward: number[]; zeta: number[]; backward: (number | null)[] }

describe('profile splines', () => {
  const { sets } = loadInference<{ sets: SplineSet[] }>('splines');
  sets.forEach((s, k) => it(`set ${k + 1}`, () => {
    const fw = interpSpline(s.x, s.z);
    s.at.forEach((x, i) => expect(Math.abs(evalPolySpline(fw, x) - s.forward[i])).toBeLessThan(1e-12));
    const bk = backSpline(fw);
    s.zeta.forEach((z, i) => {
      const want = s.backward[i];
      const got = evalPolySpline(bk, z);
      if (want === null) expect(got).toBeNaN();
      else expect(Math.abs(got - want)).toBeLessThan(1e-12);
    });
  }));
});

describe('qchisq (the profile cutoff)', () => {
  it('matches R to 1e-12', () => {
    const cases: [number, number, number][] = [
      [0.99, 1, 6.6348966010212127], [0.99, 2, 9.2103403719761818], [0.99, 5, 15.086272469388987],
      [0.95, 1, 3.841458820694124], [0.999, 12, 32.909490407360209], [0.5, 3, 2.3659738843753377],
      [1e-5, 1, 1.5707963268771409e-10], [0.99, 40, 63.690739751564465],
    ];
    for (const [p, df, want] of cases) expect(Math.abs(qchisq(p, df) - want) / want).toBeLessThan(1e-12);
  });
});
