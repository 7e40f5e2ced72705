/**
 * The bases of poly(), ns() and bs() against R 4.2.2 (test/oracle/formula_functions.R →
 * test/fixtures/formula_functions/basis.json): on 12 values of x (with a tie), and on new x through
 * R's predict methods — poly's recurrence with the kept coefs, ns/bs with the kept knots, beyond the
 * boundary knots included (ns linear, bs Taylor). The calls are parsed from R's own text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { polyFit, polyPredict, polyRaw } from '../src/frame/basis/poly.js';
import { bsBasis, nsBasis, splineKnots } from '../src/frame/basis/splines.js';
import { quantile7, splineRow } from '../src/frame/basis/bspline.js';
import { parseFormula } from '../src/formula/parse.js';
import type { BasisArgs } from '../src/formula/types.js';
import { DataError } from '../src/errors/errors.js';

const ref = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'formula_functions', 'basis.json'), 'utf8'));

interface BasisCase { call: string; x: number[]; values: number[][]; new_x: number[]; new_values: number[][]; attributes: { coefs?: { alpha: number | number[]; norm2: number[] }; knots?: number[]; 'Boundary.knots'?: number[] } }

const maxErr = (cols: Float64Array[], rows: number[][]) => {
  expect(cols.length).toBe(rows[0].length);
  let e = 0;
  rows.forEach((row, i) => row.forEach((v, j) => { e = Math.max(e, Math.abs(cols[j][i] - v)); }));
  return e;
};

describe('bases against R (basis.json)', () => {
  for (const [name, c] of Object.entries(ref.basis as Record<string, BasisCase>)) {
    it(`${name}: ${c.call}`, () => {
      const expr = parseFormula(`y ~ ${c.call}`).fixed.terms[0].vars[0].expr as { fn: 'poly' | 'ns' | 'bs'; basis: BasisArgs };
      const x = Float64Array.from(c.x), nx = Float64Array.from(c.new_x);
      let fit: Float64Array[], pred: Float64Array[];
      if (expr.fn === 'poly' && expr.basis.raw) {
        fit = polyRaw(x, expr.basis.degree);
        pred = polyRaw(nx, expr.basis.degree);
      } else if (expr.fn === 'poly') {
        const r = polyFit(x, expr.basis.degree, c.call);
        fit = r.columns;
        pred = polyPredict(nx, r.coefs);
        // the kept coefficients: sums over 12 values, 1e-13 relative (R prints them to 15 digits)
        const alpha = ([] as number[]).concat(c.attributes.coefs!.alpha);
        r.coefs.alpha.forEach((a, k) => expect(Math.abs(a - alpha[k]) / Math.abs(alpha[k])).toBeLessThan(1e-13));
        r.coefs.norm2.forEach((a, k) => expect(Math.abs(a - c.attributes.coefs!.norm2[k]) / c.attributes.coefs!.norm2[k]).toBeLessThan(1e-13));
      } else {
        const k = splineKnots(expr.fn, x, expr.basis, c.call);
        ([] as number[]).concat(c.attributes.knots ?? []).forEach((v, j) => expect(Math.abs(k.knots[j] - v)).toBeLessThan(1e-13));
        expect(k.boundary).toEqual(c.attributes['Boundary.knots']);
        const f = expr.fn === 'ns' ? nsBasis : bsBasis;
        fit = f(x, k);
        pred = f(nx, k);
      }
      // values O(1) (raw powers up to 100): orthogonalization and de Boor in float64 agree with R's to
      // ~1e-15 relative; 1e-13 absolute on the data (worst seen 1.8e-15), 1e-12 on new x where the
      // extrapolations and recurrence reach 10² (worst seen 5.3e-15)
      expect(maxErr(fit, c.values)).toBeLessThan(1e-13);
      expect(maxErr(pred, c.new_values)).toBeLessThan(1e-12);
    });
  }
});

describe('basis helpers and refusals', () => {
  it('quantile type 7 as R: quantile(c(1, 2, 4, 7), c(0.25, 0.5, 1/3))', () => {
    // R: 1.75 3.00 2.00
    expect(quantile7([7, 1, 4, 2], [0.25, 0.5, 1 / 3])).toEqual([1.75, 3, 2]);
  });
  it('B-splines sum to one and their derivatives to zero (a partition of unity)', () => {
    const t = [0, 0, 0, 0, 2, 5, 10, 10, 10, 10];
    for (const x of [0, 1.3, 2, 7.7, 10]) {
      expect(Math.abs(splineRow(t, 4, x).reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-15);
      expect(Math.abs(splineRow(t, 4, x, 1).reduce((a, b) => a + b, 0))).toBeLessThan(1e-14);
    }
  });
  it('poly: a missing x, too few unique points (R\'s errors)', () => {
    expect(() => polyFit(Float64Array.from([1, NaN, 3]), 1, 'poly(x, 1)')).toThrow(DataError);
    expect(() => polyFit(Float64Array.from([1, NaN, 3]), 1, 'poly(x, 1)')).toThrow(/missing value in row 2; R's poly\(\) allows none/);
    expect(() => polyFit(Float64Array.from([1, 2, 2, 1]), 2, 'poly(x, 2)')).toThrow(/degree \(2\) must be less than the number of unique points \(2\)/);
  });
  it('ns/bs: df too small, knots outside the boundary, a constant variable', () => {
    const x = Float64Array.from([1, 2, 3, 4, 5]);
    expect(() => splineKnots('bs', x, { degree: 3, df: 2 }, 'bs(x, df = 2)')).toThrow(/df = 2 is too small: bs\(\) needs df ≥ 3/);
    expect(() => splineKnots('ns', x, { degree: 3, knots: [0.5] }, 'ns(x, knots = 0.5)')).toThrow(/the knot 0.5 is not inside the boundary knots \[1, 5\)/);
    // quantiles tied at the maximum: R's ns stops (NaN in qr), bs's continuation beyond is degenerate
    const tiedMax = Float64Array.from([1, 2, 3, 5, 5, 5, 5, 5, 5, 5, 4, 2]);
    expect(() => splineKnots('bs', tiedMax, { degree: 3, df: 6 }, 'bs(x, df = 6)')).toThrow(/the knot 5 is not inside the boundary knots \[1, 5\) \(the quantiles of x coincide with its maximum/);
    expect(() => splineKnots('ns', Float64Array.from([2, 2, 2]), { degree: 3, df: 2 }, 'ns(x, df = 2)')).toThrow(/the variable is constant/);
    expect(() => splineKnots('ns', Float64Array.from([NaN, NaN]), { degree: 3 }, 'ns(x)')).toThrow(/has no values/);
  });
  it('a missing x gives a missing row of ns/bs (R keeps it NA; na.omit drops the row)', () => {
    const x = Float64Array.from([1, NaN, 3, 4, 6]);
    const k = splineKnots('ns', x, { degree: 3, df: 2 }, 'ns(x, df = 2)');
    const b = nsBasis(x, k);
    expect(b.every((col) => Number.isNaN(col[1]) && !Number.isNaN(col[0]))).toBe(true);
    expect(bsBasis(x, splineKnots('bs', x, { degree: 3 }, 'bs(x)')).every((col) => Number.isNaN(col[1]))).toBe(true);
  });
});
