/**
 * The first random-effects block of the blocked Cholesky when it is block diagonal with q ≤ 2 (the
 * grouping factor of `(1 | g)` or `(x | g)` listed first): its three steps fused into one pass over the
 * levels, each level's blocks read once while in registers,
 *   L_c L_cᵀ = Tᵀ A_c T + I                        (L_00's level block c; BlockedCholesky.factorDiagonal),
 *   L_X0[:, c] = (A_X0[:, c] T) L_c⁻ᵀ              (L_X0's columns of level c; factorXRow),
 *   C_rs = Σ_c Σ_t L_X0[r, cq + t] L_X0[s, cq + t] (L_X0 L_X0ᵀ, the update of L_XX; factorSteps),
 * with the same operations in the same order as the general steps (congruence, choleskyInPlace,
 * xRowTimesT, rightSolveBlock, the level columns in order in each sum), so that every value is the
 * same bit for bit (test/firstBlock.test.ts); only the loops' overhead goes.
 */
import { NotPositiveDefiniteError } from './dense.js';
import type { GramBlock } from './gram.js';

/** The first block's results: L_00's level blocks, L_X0 and L_X0 L_X0ᵀ written in place; returns log |L_00|². */
export function factorFirstBlock(
  b: GramBlock, T: Float64Array, Akk: Float64Array, AXk: Float64Array, p1: number,
  L: Float64Array, LX: Float64Array, C: Float64Array,
): number {
  const { q, nl } = b;
  const m = nl * q;
  const npairs = (p1 * (p1 + 1)) / 2;
  // C's running sums, lower triangle by rows: (0,0), (1,0), (1,1), …
  const acc = new Float64Array(npairs);
  let ld = 0;
  const fail = (c: number): never => {
    throw new NotPositiveDefiniteError(`the random-effects block of level '${b.levels[c]}' of '${b.group}'`, 0, NaN);
  };
  if (q === 1) {
    const t = T[0];
    for (let c = 0; c < nl; c++) {
      // Tᵀ A T + I, then its square root
      const s = (0 + t * (0 + Akk[c] * t)) + 1;
      if (!(s > 0)) fail(c);
      const d = Math.sqrt(s);
      L[c] = d;
      ld += 0 + 2 * Math.log(d);
      for (let r = 0, k = 0; r < p1; r++) {
        const o = r * m + c;
        const x = (0 + AXk[o] * t) / d;
        LX[o] = x;
        for (let u = 0; u <= r; u++, k++) acc[k] += x * LX[u * m + c];
      }
    }
  } else {
    const T00 = T[0], T10 = T[2], T11 = T[3];
    for (let c = 0; c < nl; c++) {
      const ao = 4 * c;
      const a00 = Akk[ao], a01 = Akk[ao + 1], a10 = Akk[ao + 2], a11 = Akk[ao + 3];
      // tmp = A T, then Tᵀ tmp (congruence's sums, each from 0)
      const t00 = (0 + a00 * T00) + a01 * T10, t01 = 0 + a01 * T11;
      const t10 = (0 + a10 * T00) + a11 * T10, t11 = 0 + a11 * T11;
      const m00 = (0 + T00 * t00) + T10 * t10, m01 = (0 + T00 * t01) + T10 * t11;
      const m10 = 0 + T11 * t10, m11 = 0 + T11 * t11;
      // L_c from M + I (choleskyInPlace's order; the strict upper entry stays M's)
      const s0 = m00 + 1;
      if (!(s0 > 0)) fail(c);
      const d0 = Math.sqrt(s0);
      const l10 = m10 / d0;
      const s1 = (m11 + 1) - l10 * l10;
      if (!(s1 > 0)) fail(c);
      const d1 = Math.sqrt(s1);
      L[ao] = d0;
      L[ao + 1] = m01;
      L[ao + 2] = l10;
      L[ao + 3] = d1;
      ld += (0 + 2 * Math.log(d0)) + 2 * Math.log(d1);
      for (let r = 0, k = 0; r < p1; r++) {
        const o = r * m + 2 * c;
        const x0 = AXk[o], x1 = AXk[o + 1];
        // A_X T (xRowTimesT), then the solve with L_cᵀ (rightSolveBlock)
        const y0 = ((0 + x0 * T00) + x1 * T10) / d0;
        const y1 = ((0 + x1 * T11) - l10 * y0) / d1;
        LX[o] = y0;
        LX[o + 1] = y1;
        for (let u = 0; u <= r; u++, k++) {
          const uo = u * m + 2 * c;
          acc[k] = (acc[k] + y0 * LX[uo]) + y1 * LX[uo + 1];
        }
      }
    }
  }
  for (let r = 0, k = 0; r < p1; r++) for (let u = 0; u <= r; u++, k++) C[r * p1 + u] = acc[k];
  return ld;
}
