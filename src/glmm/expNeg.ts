/**
 * e^(−a) for 0 ≤ a ≤ EXP_NEG_MAX, table-driven (Tang, "Table-driven implementation of the exponential
 * function in IEEE floating-point arithmetic", ACM TOMS 15, 1989): with x = −a,
 *   k = round(32 x / ln 2),  r = x − k (ln 2/32)  (|r| ≤ ln 2/64, k·(ln 2/32) in two parts),
 *   k = 32 m + j  (0 ≤ j < 32),   e^x = 2^m · 2^(j/32) · e^r,
 *   e^r = 1 + r + r²/2 + … + r⁶/720  (the next term is below 2⁻⁵⁸ relative).
 * Within 2 ulp of Math.exp (test/rowPass.test.ts) and about twice as fast in V8 (0.9 against 1.7 ms
 * for 200,000 values, Node 20): PIRLS's binomial row kernel (src/glmm/rowPass.ts) takes one per row and pass.
 */

/** the largest a for which expNeg is defined (2^m from the table) */
export const EXP_NEG_MAX = 40;

/**
 * expNeg's maker. Its text names nothing outside itself, so the row kernels' helper threads
 * (src/linalg/rowThreads.ts) can evaluate it (EXP_NEG_SOURCE) and get the same operations on the same
 * values, whatever names a bundler gives this module's top-level constants.
 */
function makeExpNeg(): (a: number) => number {
  // ln 2 / 32 in two parts: the high part has 21 trailing zero bits, so k · LN2_32_HI is exact for |k| < 2^21
  const LN2_32_HI = 6.93147180369123816490e-01 / 32;
  const LN2_32_LO = 1.90821492927058770002e-10 / 32;
  const INV_LN2_32 = 32 / Math.LN2;
  // 2^(j/32), j = 0..31; 2^(−m), m = 0..63 (exact)
  const T = Float64Array.from({ length: 32 }, (_, j) => 2 ** (j / 32));
  const P2 = Float64Array.from({ length: 64 }, (_, m) => 2 ** -m);
  return (a: number): number => {
    // K = −k = round(32 a / ln 2) in integer arithmetic (a ≥ 0: floor of +½)
    const K = (a * INV_LN2_32 + 0.5) | 0;
    // r = x − k (ln 2/32) = K (ln 2/32) − a
    const r = K * LN2_32_HI - a + K * LN2_32_LO;
    // k = 32 m + j: j = (−K) mod 32, −m = (K + j)/32
    const j = (32 - (K & 31)) & 31;
    const p = r * (1 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720))))));
    const t = T[j];
    return (t + t * p) * P2[(K + j) >> 5];
  };
}

/** e^(−a) for 0 ≤ a ≤ EXP_NEG_MAX (no check: the caller keeps a in range) */
export const expNeg: (a: number) => number = makeExpNeg();

/** An expression whose value is expNeg (evaluated by the row threads: the same function). */
export const EXP_NEG_SOURCE = `(${makeExpNeg.toString()})()`;
