/** Threefry-2x32-20 against Random123's known-answer vectors, and the normals' first moments. */
import { describe, expect, it } from 'vitest';
import { CounterNormal, threefry2x32 } from '../../src/model/random.js';

describe('counter-based random numbers', () => {
  it('Threefry-2x32-20 known answers (Random123 kat_vectors)', () => {
    const out = new Uint32Array(2);
    threefry2x32(0, 0, 0, 0, out);
    expect([out[0], out[1]]).toEqual([0x6b200159, 0x99ba4efe]);
    threefry2x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, out);
    expect([out[0], out[1]]).toEqual([0x1cb996fc, 0xbb002be7]);
    threefry2x32(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3, out);
    expect([out[0], out[1]]).toEqual([0xc4923a9c, 0x483df7a0]);
  });
  it('standard normals: mean 0, variance 1, and a pure function of (seed, replicate, stream, index)', () => {
    const g = new CounterNormal(42);
    let s = 0, s2 = 0;
    const N = 200000;
    for (let i = 0; i < N; i++) { const z = g.normal(3, 0, i); s += z; s2 += z * z; }
    expect(Math.abs(s / N)).toBeLessThan(4 / Math.sqrt(N));
    expect(Math.abs(s2 / N - 1)).toBeLessThan(4 * Math.sqrt(2 / N));
    expect(new CounterNormal(42).normal(3, 0, 12345)).toBe(g.normal(3, 0, 12345));
    expect(g.normal(4, 0, 12345)).not.toBe(g.normal(3, 0, 12345));
  });
});
