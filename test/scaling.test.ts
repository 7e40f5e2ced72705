import { describe, expect, it } from 'vitest';
import { curvatureScales } from '../src/optim/scaling.js';

describe('curvature scaling of optimizer variables (src/optim/scaling.ts)', () => {
  it('gives √(f″/2) per variable: central differences, one-sided at the lower bound, 1 where f is flat', async () => {
    // f = 3e4 (x0 − 1)² + 0.5 (x1 − 2)² + (x2 + 1)² + 0·x3, x2 at its lower bound 0
    const f = (x: Float64Array) => 3e4 * (x[0] - 1) ** 2 + 0.5 * (x[1] - 2) ** 2 + (x[2] + 1) ** 2;
    const x = Float64Array.from([1.2, 0.5, 0, 7]);
    const s = await curvatureScales(f, x, f(x), [0, 1, 2, 3], [0, -Infinity, 0, -Infinity]);
    expect(s[0]).toBeCloseTo(Math.sqrt(3e4), 8);
    expect(s[1]).toBeCloseTo(Math.sqrt(0.5), 8);
    expect(s[2]).toBeCloseTo(1, 8);
    expect(s[3]).toBe(1);
  });
});
