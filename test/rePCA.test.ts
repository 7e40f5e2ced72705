/**
 * rePCA (lme4's rePCA()): per grouping factor, the SDs of the principal components of T_k T_kᵀ
 * (relative to σ) against lme4 1.1-31's svd of the relative Cholesky factor (test/oracle/fit_extras.R):
 * at lme4's θ, SDs within 1e-9 of the largest (worst seen 8.0e-16), rotations within 1e-7 up to each
 * component's sign (worst 1.0e-15; a component's direction is as accurate as the gap to the next
 * eigenvalue allows), proportions within 1e-5 (summary.prcomp rounds them to 5 digits); and fit.rePCA at
 * our optimum, SDs within 1e-6 of the largest where the optimum is well determined (worst 7.2e-8).
 * Correlated and `||` slopes, a three-column term nearly singular, crossed and nested factors in
 * ranef's order.
 */
import { describe, expect, it } from 'vitest';
import { rePca } from '../src/results/rePCA.js';
import { fitCase, fitExtras, list, wellDetermined } from './helpers/fitExtras.js';

/** R's q × q rotation matrix (rows of the JSON) as rows; a 1 × 1 one arrives as a number or [number] */
const matrix = (v: number[][] | number[] | number, q: number): number[][] => (q === 1 ? [[Array.isArray(v) ? (v as number[]).flat()[0] : v]] : (v as number[][]));

describe('rePCA against lme4', () => {
  for (const c of fitExtras.cases) {
    it(`${c.name}: ${c.formula}`, async () => {
      const fit = await fitCase(c);
      // at lme4's θ: the function alone
      const atLme4 = rePca(fit.model.blocks, list(c.theta));
      expect(atLme4.map((g) => g.group)).toEqual(c.rePCA.map((g) => g.group));
      c.rePCA.forEach((ref, k) => {
        const sdev = list(ref.sdev), q = sdev.length;
        const o = atLme4[k];
        expect(o.sdev.length).toBe(q);
        o.sdev.forEach((s, j) => expect(Math.abs(s - sdev[j])).toBeLessThan(1e-9 * sdev[0]));
        o.proportion.forEach((v, j) => expect(Math.abs(v - list(ref.proportion)[j])).toBeLessThan(1e-5));
        expect(o.cumulative[q - 1]).toBeCloseTo(1, 12);
        const R = matrix(ref.rotation, q);
        for (let j = 0; j < q; j++) {
          const sign = Math.sign(o.rotation.reduce((a, row, i) => a + row[j] * R[i][j], 0)) || 1;
          for (let i = 0; i < q; i++) expect(Math.abs(sign * o.rotation[i][j] - R[i][j]), `${ref.group} rotation ${i},${j}`).toBeLessThan(1e-7);
        }
        // at our optimum, where it is well determined
        if (wellDetermined(c)) fit.rePCA[k].sdev.forEach((s, j) => expect(Math.abs(s - sdev[j])).toBeLessThan(1e-6 * sdev[0]));
      });
    });
  }
});
