/**
 * A seeded symmetric positive definite n × n matrix (row-major, lower triangle filled): B Bᵀ + I for
 * a 40-column B of uniform(−½, ½) entries from a Lehmer generator. Used by the threaded-kernel tests
 * in Node and in the browser page (test/e2e/pages/denseThreads.ts).
 */
export function spdMatrix(n: number, seed: number): Float64Array {
  let s = seed;
  const r = () => { s = (s * 16807) % 2147483647; return s / 2147483647 - 0.5; };
  const B = Float64Array.from({ length: n * 40 }, r);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
    let t = 0;
    for (let k = 0; k < 40; k++) t += B[i * 40 + k] * B[j * 40 + k];
    a[i * n + j] = t + (i === j ? 1 : 0);
  }
  return a;
}
