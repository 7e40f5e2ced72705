/**
 * The finite-difference Hessian from fewer points (src/optim/deriv12.ts, deriv12Diagonal) against
 * lme4's deriv12 stencil and the analytic derivatives.
 */
import { describe, expect, it } from 'vitest';
import { deriv12, deriv12Diagonal } from '../src/optim/deriv12.js';

// a smooth non-quadratic function of 4 variables with all mixed partials non-zero, and its derivatives
const A = [[3, 0.5, -0.4, 0.2], [0.5, 2, 0.3, -0.1], [-0.4, 0.3, 1.5, 0.25], [0.2, -0.1, 0.25, 1]];
const c = [0.3, -0.2, 0.1, 0.4];
const f = (x: Float64Array) => {
  let q = 0, s = 0;
  for (let i = 0; i < 4; i++) { s += c[i] * x[i]; for (let j = 0; j < 4; j++) q += 0.5 * x[i] * A[i][j] * x[j]; }
  return 1000 * (q + Math.exp(s));
};
const exact = (x: Float64Array) => {
  let s = 0;
  for (let i = 0; i < 4; i++) s += c[i] * x[i];
  const e = Math.exp(s);
  const g = Array.from({ length: 4 }, (_, i) => 1000 * (A[i].reduce((a, v, j) => a + v * x[j], 0) + c[i] * e));
  const H = Array.from({ length: 16 }, (_, k) => 1000 * (A[Math.floor(k / 4)][k % 4] + c[Math.floor(k / 4)] * c[k % 4] * e));
  return { g, H };
};

describe('deriv12Diagonal', () => {
  const x = Float64Array.of(0.7, -1.2, 0.4, 2.1);
  const free = new Float64Array(4).fill(-Infinity);

  it('agrees with deriv12 and the analytic Hessian to O(δ²) from 1 + n + n² instead of 1 + 2n² points', async () => {
    let calls = 0;
    const counted = (y: Float64Array) => { calls++; return f(y); };
    const d = await deriv12Diagonal(counted, x, f(x), free);
    expect(calls).toBe(4 + 16); // the centre is given
    calls = 0;
    const r = await deriv12(counted, x, f(x), free);
    expect(calls).toBe(2 * 16);
    const { g, H } = exact(x);
    for (let k = 0; k < 16; k++) {
      const scale = Math.sqrt(Math.abs(H[Math.floor(k / 4) * 5] * H[(k % 4) * 5]));
      expect(Math.abs(d.hessian[k] - H[k]) / scale).toBeLessThan(1e-6);
      expect(Math.abs(d.hessian[k] - r.hessian[k]) / scale).toBeLessThan(1e-6);
      expect(d.hessian[k]).toBe(d.hessian[(k % 4) * 4 + Math.floor(k / 4)]);
    }
    for (let i = 0; i < 4; i++) {
      expect(d.gradient[i]).toBe(r.gradient[i]);
      expect(Math.abs(d.gradient[i] - g[i]) / Math.abs(g[i])).toBeLessThan(1e-7);
    }
  });

  it('is exact (to rounding) for a quadratic, with any δ', async () => {
    const quad = (y: Float64Array) => { let q = 0; for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) q += 0.5 * y[i] * A[i][j] * y[j]; return q; };
    const d = await deriv12Diagonal(quad, x, quad(x), free, 0.3);
    for (let k = 0; k < 16; k++) expect(Math.abs(d.hessian[k] - A[Math.floor(k / 4)][k % 4])).toBeLessThan(1e-12);
  });

  it('a step clipped at the lower bound takes deriv12\'s four points for that coordinate\'s pairs', async () => {
    const lower = Float64Array.of(0.69995, -Infinity, -Infinity, -Infinity);
    let calls = 0;
    const counted = (y: Float64Array) => { calls++; return f(y); };
    const d = await deriv12Diagonal(counted, x, f(x), lower);
    const r = await deriv12(f, x, f(x), lower);
    expect(calls).toBe(8 + 3 * 4 + 3 * 2);
    for (let k = 0; k < 16; k++) {
      const scale = Math.sqrt(Math.abs(r.hessian[Math.floor(k / 4) * 5] * r.hessian[(k % 4) * 5]));
      expect(Math.abs(d.hessian[k] - r.hessian[k]) / scale).toBeLessThan(1e-6);
    }
  });

  it("'forward' off the diagonal: n(n + 3)/2 points, all among the central stencil's, the same diagonal and gradient, off-diagonals to O(δ)", async () => {
    const points = (o: 'central' | 'forward') => {
      const seen: string[] = [];
      return { seen, fn: (y: Float64Array) => { seen.push(y.join(',')); return f(y); }, o };
    };
    const fw = points('forward'), ce = points('central');
    const d = await deriv12Diagonal(fw.fn, x, f(x), free, 1e-4, 'forward');
    const r = await deriv12Diagonal(ce.fn, x, f(x), free);
    expect(fw.seen.length).toBe((4 * 7) / 2);
    for (const p of fw.seen) expect(ce.seen).toContain(p);
    const { H } = exact(x);
    for (let k = 0; k < 16; k++) {
      const scale = Math.sqrt(Math.abs(H[Math.floor(k / 4) * 5] * H[(k % 4) * 5]));
      if (Math.floor(k / 4) === k % 4) expect(d.hessian[k]).toBe(r.hessian[k]);
      expect(Math.abs(d.hessian[k] - H[k]) / scale).toBeLessThan(1e-3);
      expect(d.hessian[k]).toBe(d.hessian[(k % 4) * 4 + Math.floor(k / 4)]);
    }
    for (let i = 0; i < 4; i++) expect(d.gradient[i]).toBe(r.gradient[i]);
  });
});
