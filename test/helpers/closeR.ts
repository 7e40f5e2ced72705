/** Element-wise comparison with R's numbers as jsonlite writes them (Inf and -Inf as strings): test/glht*.test.ts */
import { expect } from 'vitest';

/** R's Inf and -Inf as jsonlite writes them */
export const num = (v: number | string) => (v === 'Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v));

/** |a_i − e_i| ≤ rel |e_i| + abs for each element (an infinite e_i exactly); `what` names the vector in a failure */
export function close(actual: number[], expected: (number | string)[], rel: number, abs = 0, what = ''): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = num(expected[i]);
    if (!Number.isFinite(e)) { expect(a, `${what} [${i}]`).toBe(e); return; }
    expect(Math.abs(a - e), `${what} element ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(rel * Math.abs(e) + abs);
  });
}
