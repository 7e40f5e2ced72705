/**
 * summary.gam's test of a smooth without a null space (mgcv 1.8-41's reTest, with re.test = TRUE): a cyclic
 * smooth's (bs = "cc") penalty has only the constant as its null space, which the sum-to-zero constraint
 * removes, so summary.gam tests it as a random effect rather than by Wood's (2013) testStat. With the gam
 * object's R (RᵀR = Xfᵀ V⁻¹ Xf, gamm4's XVX), the full penalty S_λ = Σ_k sp_k S_k of every smooth (no other
 * smooth is marked random in a gamm4 fit: recov's `re` is empty), the smooth's coefficients β̂_m and
 * Ve = Vp XVX Vp (gamm4's),
 *   R_m: the trailing block of the R factor of [R; √S_λ] with the smooth's columns last, so that
 *        R_mᵀR_m = A_mm − A_mo A_oo⁻¹ A_om, A = XVX + S_λ (the Schur complement),
 *   stat = ‖R_m β̂_m‖² / σ²,   ev = eigenvalues of (R_m B)ᵀ(R_m B) / σ² with B Bᵀ = Ve_mm
 *        (the non-zero eigenvalues of R_mᵀR_m Ve_mm / σ²; negative ones set to 0),
 *   Ref.df = #{ev > max ev · ε^0.8},
 *   p = P(Σ ev_j χ²₁ − (stat/k₀) χ²_{k₀} > 0), k₀ = max(1, round(n − Σ edf)) when the scale is estimated,
 *     P(Σ ev_j χ²₁ > stat) when it is known (psum.chisq: src/stats/chisqMixture.ts).
 * σ² is the gam object's sig2 (the Gaussian fit's σ̂², 1 for binomial and Poisson). (As in mgcv, S_λ carries
 * sp = σ²/σ²_s while gamm4's XVX carries 1/σ²; the test is mgcv's computation on gamm4's object.)
 */
import { spdInverse } from '../linalg/dense.js';
import { symmetricEigen } from '../linalg/symmetricEigen.js';
import { psumChisq } from '../stats/chisqMixture.js';
import { rint } from '../frame/rowFunctions.js';
import type { TestStat } from './testStat.js';

/**
 * reTest of the smooth occupying coefficients [first, last): `beta` all P coefficients, `XVX` Xfᵀ V⁻¹ Xf, `Slambda`
 * the full penalty Σ sp_k S_k and `Vp` (P × P, row-major), `sig2` the scale, `resDf` n − Σ edf (−1: scale known).
 */
export function reTest(first: number, last: number, beta: ArrayLike<number>, XVX: ArrayLike<number>, Slambda: ArrayLike<number>, Vp: ArrayLike<number>, sig2: number, resDf = -1): TestStat {
  const P = beta.length;
  const m = last - first;
  const inM = (j: number) => j >= first && j < last;
  const other = Array.from({ length: P }, (_, j) => j).filter((j) => !inM(j));
  const o = other.length;
  const A = (a: number, b: number) => XVX[a * P + b] + Slambda[a * P + b];
  // Schur complement Sc = A_mm − A_mo A_oo⁻¹ A_om
  const Sc = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) Sc[a * m + b] = A(first + a, first + b);
  if (o > 0) {
    const Aoo = new Float64Array(o * o);
    for (let a = 0; a < o; a++) for (let b = 0; b < o; b++) Aoo[a * o + b] = A(other[a], other[b]);
    const inv = spdInverse(Aoo, o, 'the penalized information of the other coefficients').inv;
    // T = A_oo⁻¹ A_om (o × m)
    const T = new Float64Array(o * m);
    for (let a = 0; a < o; a++) for (let b = 0; b < m; b++) { let v = 0; for (let c = 0; c < o; c++) v += inv[a * o + c] * A(other[c], first + b); T[a * m + b] = v; }
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) { let v = 0; for (let c = 0; c < o; c++) v += A(first + a, other[c]) * T[c * m + b]; Sc[a * m + b] -= v; }
  }
  for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) Sc[a * m + b] = Sc[b * m + a] = (Sc[a * m + b] + Sc[b * m + a]) / 2;
  // stat = β̂_mᵀ Sc β̂_m / σ²
  let stat = 0;
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) stat += beta[first + a] * Sc[a * m + b] * beta[first + b];
  stat /= sig2;
  // Ve_mm = (Vp XVX Vp)_mm
  const VX = new Float64Array(m * P);
  for (let a = 0; a < m; a++) for (let b = 0; b < P; b++) { let v = 0; for (let c = 0; c < P; c++) v += Vp[(first + a) * P + c] * XVX[c * P + b]; VX[a * P + b] = v; }
  const Ve = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) { let v = 0; for (let c = 0; c < P; c++) v += VX[a * P + c] * Vp[c * P + first + b]; Ve[a * m + b] = v; }
  // ev: eigenvalues of Ve^{1/2} Sc Ve^{1/2} / σ² (those of (R_m B)ᵀ(R_m B) / σ² for any root B of Ve), from the
  // symmetric root of Ve
  const eVe = symmetricEigen(Ve, m);
  const root = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) { let v = 0; for (let c = 0; c < m; c++) v += eVe.vectors[a * m + c] * Math.sqrt(Math.max(0, eVe.values[c])) * eVe.vectors[b * m + c]; root[a * m + b] = v; }
  const RS = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) { let v = 0; for (let c = 0; c < m; c++) v += root[a * m + c] * Sc[c * m + b]; RS[a * m + b] = v; }
  const M = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = 0; b <= a; b++) { let v = 0; for (let c = 0; c < m; c++) v += RS[a * m + c] * root[c * m + b]; M[a * m + b] = M[b * m + a] = v / sig2; }
  const ev = Array.from(symmetricEigen(M, m).values, (v) => Math.max(0, v));
  const top = Math.max(...ev);
  const rank = ev.filter((v) => v > top * 2.220446049250313e-16 ** 0.8).length;
  let pval: number;
  if (resDf > 0) {
    const k0 = Math.max(1, rint(resDf));
    pval = psumChisq(0, [...ev, -stat / k0], { df: [...ev.map(() => 1), k0] }).p;
  } else pval = psumChisq(stat, ev).p;
  return { stat, pval, rank };
}
