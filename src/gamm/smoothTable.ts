/**
 * summary.gam's table of the smooth terms (mgcv 1.8-41, p.type = 0) for the gam view: for each smooth
 * with coefficients β̂_s, their block V_s of Vp and the block X_sᵀV⁻¹X_s of XVX (gamm4's crossprod(gam$R)
 * on the smooth's columns), Wood's (2013) test (./testStat.ts) at the reference rank r = min(p_s, edf_s):
 *   Ref.df = r, Chi.sq = T_r and, when the scale is estimated (Gaussian), F = T_r / r with the p-value
 *   of the F-like form on n − Σ edf residual df; otherwise (known scale, as a GLMM's) the χ² form.
 * A smooth without a null space (a cyclic smooth, bs = "cc", its constant removed by the constraint) is tested
 * as summary.gam tests it, by mgcv's reTest (./reTest.ts), from the fit's coefficients and Vp (`re`).
 */
import { invertGaussJordan } from '../linalg/dense.js';
import { testStat } from './testStat.js';
import { reTest } from './reTest.js';

/** One row of summary.gam's s.table. */
export interface SmoothTest {
  /** summary.gam's Ref.df: the rank of the test */
  refDf: number;
  /** T_r (the Chi.sq column of a known-scale fit) */
  chiSq: number;
  /** T_r / Ref.df (the F column when the scale is estimated; null otherwise) */
  F: number | null;
  /** the approximate p-value */
  pValue: number;
}

/**
 * The smooths' tests: `smooths` their coefficients' positions and edf, `coefficients`, `Vp` and `XVX`
 * (P × P, row-major) of the gam view, `dfResidual` = n − Σ edf, `scaleEstimated` (σ² estimated).
 */
export function smoothTable(
  smooths: readonly { first: number; last: number; edf: number; nullSpaceDim?: number }[],
  coefficients: Float64Array,
  Vp: Float64Array,
  XVX: Float64Array,
  dfResidual: number,
  scaleEstimated: boolean,
  re?: { beta: Float64Array; Vp: Float64Array; Slambda: Float64Array; sig2: number },
): SmoothTest[] {
  const P = coefficients.length;
  return smooths.map((s) => {
    const p = s.last - s.first;
    if (s.nullSpaceDim === 0 && re) {
      const res = reTest(s.first, s.last, re.beta, XVX, re.Slambda, re.Vp, re.sig2, scaleEstimated ? dfResidual : -1);
      return { refDf: res.rank, chiSq: res.stat, F: scaleEstimated ? res.stat / res.rank : null, pValue: res.pval };
    }
    const block = (A: Float64Array) => {
      const out = new Float64Array(p * p);
      for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) out[a * p + b] = A[(s.first + a) * P + s.first + b];
      return out;
    };
    const res = testStat(coefficients.subarray(s.first, s.last), block(XVX), block(Vp), Math.min(p, s.edf), scaleEstimated ? dfResidual : -1);
    return { refDf: res.rank, chiSq: res.stat, F: scaleEstimated ? res.stat / res.rank : null, pValue: res.pval };
  });
}

/** summary.gam's s.table as the JSON holds it: edf, Ref.df, F when the scale is estimated (else Chi.sq), p-value. */
export function sTableJSON(smooths: readonly { label: string; edf: number; refDf: number; chiSq: number; F: number | null; pValue: number }[], scaleEstimated: boolean): Record<string, unknown> {
  return {
    names: smooths.map((s) => s.label), edf: smooths.map((s) => s.edf), ref_df: smooths.map((s) => s.refDf),
    ...(scaleEstimated ? { F: smooths.map((s) => s.F) } : { chi_sq: smooths.map((s) => s.chiSq) }), p: smooths.map((s) => s.pValue),
  };
}

/**
 * The full penalty S_λ = Σ_k sp_k S_k in the fit's coefficients (P × P, row-major) from the gam view's B
 * (β = B b) and pen (sp_k/σ² on each smooth's penalized mixed-model coordinates): the penalty σ² bᵀ diag(pen) b
 * in β is σ² B⁻ᵀ diag(pen) B⁻¹, block by block (each smooth's block of B inverted).
 */
export function penaltyMatrix(B: Float64Array, pen: Float64Array, P: number, smooths: readonly { first: number; last: number }[], sig2: number): Float64Array {
  const S = new Float64Array(P * P);
  for (const s of smooths) {
    const p = s.last - s.first;
    const blk = new Float64Array(p * p);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) blk[a * p + b] = B[(s.first + a) * P + s.first + b];
    const inv = invertGaussJordan(blk, p);
    if (!inv) continue;
    // (B⁻¹)ᵀ diag(pen) B⁻¹
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
      let v = 0;
      for (let c = 0; c < p; c++) v += inv[c * p + a] * pen[s.first + c] * inv[c * p + b];
      S[(s.first + a) * P + s.first + b] = v * sig2;
    }
  }
  return S;
}
