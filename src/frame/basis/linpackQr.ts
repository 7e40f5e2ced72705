/**
 * LINPACK's Householder QR as R's qr() (LAPACK = FALSE) computes it — dqrdc2 — and dqrsl's Qᵀy
 * (R's qr.qty), for the small matrix whose Householder vectors fix ns()'s basis (src/frame/basis/splines.ts).
 * The same operations in the same order as the Fortran, so the same signs and the same rounding.
 */
import { DataError } from '../../errors/errors.js';

/** dqrdc2's result: the overwritten n × p matrix (column-major) and qraux. */
export interface LinpackQr {
  qr: Float64Array;
  qraux: Float64Array;
  n: number;
  p: number;
}

/** ‖v‖ as BLAS dnrm2 accumulates it (scaled sum of squares). */
function dnrm2(x: Float64Array, from: number, len: number): number {
  let scale = 0, ssq = 1;
  for (let i = from; i < from + len; i++) {
    if (x[i] !== 0) {
      const a = Math.abs(x[i]);
      if (scale < a) { ssq = 1 + ssq * (scale / a) ** 2; scale = a; } else ssq += (a / scale) ** 2;
    }
  }
  return scale * Math.sqrt(ssq);
}

/**
 * dqrdc2 without its pivoting (which moves columns of norm below 1e-7 of their original to the
 * end: refused instead, the columns here are never so): for l = 1..min(n, p) with l < n,
 *   nrmxl = ‖x[l:n, l]‖ with the sign of x[l, l]; x[l:n, l] /= nrmxl; x[l, l] += 1;
 *   each later column j: x[l:n, j] −= (x[l:n, l]·x[l:n, j] / x[l, l]) x[l:n, l];
 *   qraux[l] = x[l, l]; x[l, l] = −nrmxl.
 */
export function linpackQr(a: Float64Array, n: number, p: number): LinpackQr {
  const x = Float64Array.from(a);
  const qraux = new Float64Array(p);
  const norms = Array.from({ length: p }, (_, j) => dnrm2(x, j * n, n));
  const lup = Math.min(n, p);
  for (let l = 0; l < lup; l++) {
    if (l === n - 1) break;
    const col = l * n;
    let nrmxl = dnrm2(x, col + l, n - l);
    if (!(nrmxl > 1e-7 * norms[l])) throw new DataError('the natural spline constraints are degenerate (dqrdc2 would pivot): the knots do not define a cubic spline basis');
    if (x[col + l] !== 0) nrmxl = Math.sign(x[col + l]) * Math.abs(nrmxl);
    for (let i = l; i < n; i++) x[col + i] *= 1 / nrmxl;
    x[col + l] = 1 + x[col + l];
    for (let j = l + 1; j < p; j++) {
      const cj = j * n;
      let dot = 0;
      for (let i = l; i < n; i++) dot += x[col + i] * x[cj + i];
      const t = -dot / x[col + l];
      for (let i = l; i < n; i++) x[cj + i] += t * x[col + i];
    }
    qraux[l] = x[col + l];
    x[col + l] = -nrmxl;
  }
  return { qr: x, qraux, n, p };
}

/** dqrsl's Qᵀy in place: for j = 1..min(p, n − 1) with qraux[j] ≠ 0, y[j:n] −= (u·y[j:n] / u_1) u, u = (qraux[j], qr[j+1:n, j]). */
export function linpackQty(f: LinpackQr, y: Float64Array): void {
  const { qr, qraux, n, p } = f;
  const ju = Math.min(p, n - 1);
  for (let j = 0; j < ju; j++) {
    if (qraux[j] === 0) continue;
    const col = j * n;
    let dot = qraux[j] * y[j];
    for (let i = j + 1; i < n; i++) dot += qr[col + i] * y[i];
    const t = -dot / qraux[j];
    y[j] += t * qraux[j];
    for (let i = j + 1; i < n; i++) y[i] += t * qr[col + i];
  }
}
