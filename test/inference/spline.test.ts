/** interpSpline, backSpline and predict.polySpline against R's splines package. */
import { describe, expect, it } from 'vitest';
import { backSpline, evalPolySpline, interpSpline } from '../../src/inference/spline.js';
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
