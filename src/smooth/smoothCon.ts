/**
 * mgcv's smoothCon for one smooth of one covariate, as gamm4 calls it (gam.setup with
 * absorb.cons = TRUE, scale.penalty = TRUE, sparse.cons = 0): the basis (./crSpline.ts, ./tprs.ts),
 * its penalty rescaled, and the sum-to-zero constraint absorbed.
 *
 *   scale.penalty:  S ← S / (‖S‖₁ / ‖X‖∞²)   (R's norm(S), the largest absolute column sum, and
 *                   norm(X, "I"), the largest absolute row sum, over the data's rows)
 *   the constraint: C = colMeans(X) (1 × k), 1ᵀ X β = 0; with the Householder reflection of Cᵀ as
 *                   R's qr() (LINPACK dqrdc2) forms it, H = I − v vᵀ / v₁, v = Cᵀ/ρ + e₁, ρ = ±‖C‖
 *                   with C₁'s sign, the constrained basis is X Z and its penalty Zᵀ S Z, Z = H's last
 *                   k − 1 columns (mgcv's qr.qty(qrc, t(X))[2:k, ]).
 * The constrained basis of a cr smooth is then mgcv's exactly; a tp smooth's up to its eigenvectors'
 * signs (./tprs.ts).
 */
import { ModelError } from '../errors/errors.js';
import { crBasis, crKnots, crMatrices } from './crSpline.js';
import { type TprsBasis, tprsBasis, tprsConstruct } from './tprs.js';

/** A smooth as the formula gives it: `s(x, bs = "cr", k = 5)`. */
export interface SmoothSpec {
  /** the covariate */
  term: string;
  bs: 'tp' | 'cr';
  /** the basis dimension (mgcv's default 10) */
  k: number;
  /** mgcv's label, `s(x)` */
  label: string;
}

/** A constructed smooth with its constraint absorbed. */
export interface ConstructedSmooth {
  spec: SmoothSpec;
  /** the constrained basis at the data rows (n × (k − 1), row-major) */
  X: Float64Array;
  /** its penalty ((k − 1) × (k − 1)) */
  S: Float64Array;
  /** the columns: k − 1 */
  p: number;
  /** the penalty's rank (k − 2: m = 2 leaves the linear function unpenalized, the constant is constrained) */
  rank: number;
  /** the penalty's divisor (mgcv's S.scale) */
  sScale: number;
  /** the constrained basis at new values of the covariate (mgcv's PredictMat) */
  predict(x: ArrayLike<number>): Float64Array;
  /** the cr knots (mgcv's xp) */
  knots?: Float64Array;
  /** the tp basis */
  tprs?: TprsBasis;
}

/** smoothCon for `spec` at the data's covariate values x (rows used by the fit). */
export function smoothCon(spec: SmoothSpec, x: ArrayLike<number>): ConstructedSmooth {
  const { k } = spec;
  if (!Number.isInteger(k) || k < 3) throw new ModelError(`${spec.label}: the basis dimension k must be an integer of at least 3, got ${k}`);
  let raw: (v: ArrayLike<number>) => Float64Array;
  let S: Float64Array;
  let knots: Float64Array | undefined, tprs: TprsBasis | undefined;
  if (spec.bs === 'cr') {
    knots = crKnots(x, k, spec.term);
    const m = crMatrices(knots);
    S = m.S;
    const K = knots;
    raw = (v) => crBasis(v, K, m.F);
  } else {
    tprs = tprsConstruct(x, k, spec.term);
    S = tprs.S;
    const B = tprs;
    raw = (v) => tprsBasis(B, v);
  }
  const n = x.length;
  const Xraw = raw(x);
  // scale.penalty: maS = ‖S‖₁ / ‖X‖∞²
  let maXX = 0;
  for (let i = 0; i < n; i++) { let s = 0; for (let c = 0; c < k; c++) s += Math.abs(Xraw[i * k + c]); maXX = Math.max(maXX, s); }
  maXX *= maXX;
  let norm1 = 0;
  for (let c = 0; c < k; c++) { let s = 0; for (let r = 0; r < k; r++) s += Math.abs(S[r * k + c]); norm1 = Math.max(norm1, s); }
  const sScale = norm1 / maXX;
  // the sum-to-zero constraint: C = colMeans(X), its Householder vector (dqrdc2)
  const C = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) C[c] += Xraw[i * k + c];
  for (let c = 0; c < k; c++) C[c] /= n;
  let rho = Math.hypot(...C);
  if (rho === 0) throw new ModelError(`${spec.label}: the basis sums to zero over the data (is '${spec.term}' constant?)`);
  if (C[0] < 0) rho = -rho;
  const v = C.map((c) => c / rho);
  v[0] += 1;
  // Z = H[:, 1:], H = I − v vᵀ / v₁
  const p = k - 1;
  const Z = new Float64Array(k * p);
  for (let r = 0; r < k; r++) for (let c = 0; c < p; c++) Z[r * p + c] = (r === c + 1 ? 1 : 0) - (v[r] * v[c + 1]) / v[0];
  const constrain = (Xr: Float64Array, rows: number) => {
    const out = new Float64Array(rows * p);
    for (let i = 0; i < rows; i++) for (let c = 0; c < p; c++) { let s = 0; for (let r = 0; r < k; r++) s += Xr[i * k + r] * Z[r * p + c]; out[i * p + c] = s; }
    return out;
  };
  const X = constrain(Xraw, n);
  // Zᵀ (S / maS) Z
  const SZ = new Float64Array(k * p);
  for (let r = 0; r < k; r++) for (let c = 0; c < p; c++) { let s = 0; for (let t = 0; t < k; t++) s += S[r * k + t] * Z[t * p + c]; SZ[r * p + c] = s / sScale; }
  const Sc = new Float64Array(p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b <= a; b++) { let s = 0; for (let r = 0; r < k; r++) s += Z[r * p + a] * SZ[r * p + b]; Sc[a * p + b] = Sc[b * p + a] = s; }
  return {
    spec, X, S: Sc, p, rank: k - 2, sScale,
    predict: (xn) => constrain(raw(xn), xn.length),
    ...(knots ? { knots } : {}), ...(tprs ? { tprs } : {}),
  };
}
