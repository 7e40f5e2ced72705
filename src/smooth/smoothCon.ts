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
 * A `by` variable (smoothCon's by handling): the basis, its penalty scaling and the constraint are those of
 * the covariate alone, and the basis's rows are multiplied by the by values — a factor level's indicator
 * (one smooth per level, each constrained) or a numeric variable's values (a varying coefficient z f(x):
 * mgcv drops the sum-to-zero constraint then, unless z is constant, so the smooth keeps k columns and its
 * penalty's two-dimensional null space).
 */
import { ModelError } from '../errors/errors.js';
import { crBasis, crKnots, crMatrices } from './crSpline.js';
import { type TprsBasis, tprsBasis, tprsConstruct } from './tprs.js';
import { ccBasis, ccKnots, ccMatrices } from './ccSpline.js';
import { psBasis, psKnots, psPenalty } from './pSpline.js';

/** The one-covariate bases: thin plate (mgcv's default), cubic regression, cyclic cubic, P-spline. */
export type SmoothBasisName = 'tp' | 'cr' | 'cc' | 'ps';

/** A smooth as the formula gives it: `s(x, bs = "cr", k = 5)`. */
export interface SmoothSpec {
  /** the covariate */
  term: string;
  bs: SmoothBasisName;
  /** the basis dimension (mgcv's default 10) */
  k: number;
  /** mgcv's label, `s(x)`, `s(x):fa` (a factor by's level a), `s(x):z` (a numeric by) */
  label: string;
}

/** The `by` handling of smoothCon: the rows' multipliers and whether the constraint is absorbed. */
export interface SmoothBy {
  /** the by values at the data rows (a factor level's 0/1 indicator, or a numeric by's values) */
  values: Float64Array;
  /** whether the sum-to-zero constraint is absorbed (a factor by: yes; a numeric by: only if constant) */
  constrain: boolean;
}

/** A constructed smooth with its constraint absorbed. */
export interface ConstructedSmooth {
  spec: SmoothSpec;
  /** the constrained basis at the data rows (n × (k − 1), row-major; × the by values; a cc smooth's n × (k − 2)) */
  X: Float64Array;
  /** its penalty ((k − 1) × (k − 1)) */
  S: Float64Array;
  /** the columns: k − 1 (k with a numeric by) */
  p: number;
  /** the penalty's rank (k − 2: m = 2 leaves the linear function unpenalized, the constant is constrained; a cc
   * smooth's k − 1 columns have the constant alone as null space, so after the constraint all k − 2 are penalized) */
  rank: number;
  /** whether the sum-to-zero constraint was absorbed */
  constrained: boolean;
  /** the penalty's divisor (mgcv's S.scale) */
  sScale: number;
  /** the constrained basis at new values of the covariate (mgcv's PredictMat), its rows × `by` where given */
  predict(x: ArrayLike<number>, by?: ArrayLike<number>): Float64Array;
  /** the cr and cc knots (mgcv's xp), the ps knots (mgcv's knots) */
  knots?: Float64Array;
  /** the tp basis */
  tprs?: TprsBasis;
}

/**
 * The sum-to-zero constraint C β = 0 (C of length k) absorbed: Z (k × (k − 1), row-major), H's last k − 1
 * columns, H = I − v vᵀ / v₁ the Householder reflection of Cᵀ as R's qr() (LINPACK dqrdc2) forms it,
 * v = Cᵀ/ρ + e₁, ρ = ±‖C‖ with C₁'s sign (mgcv's qr.qty(qrc, ·)[2:k, ]). `what` names the smooth for the error, `hint` its likely cause.
 */
export function sumToZeroBasis(C: ArrayLike<number>, what: string, hint = 'is the covariate constant?'): Float64Array {
  const k = C.length;
  let rho = Math.hypot(...Array.from(C));
  if (rho === 0) throw new ModelError(`${what}: the basis sums to zero over the data (${hint})`);
  if (C[0] < 0) rho = -rho;
  const v = Float64Array.from(C, (c) => c / rho);
  v[0] += 1;
  const p = k - 1;
  const Z = new Float64Array(k * p);
  for (let r = 0; r < k; r++) for (let c = 0; c < p; c++) Z[r * p + c] = (r === c + 1 ? 1 : 0) - (v[r] * v[c + 1]) / v[0];
  return Z;
}

/** smoothCon for `spec` at the data's covariate values x (rows used by the fit), with an optional `by`. */
export function smoothCon(spec: SmoothSpec, x: ArrayLike<number>, by?: SmoothBy): ConstructedSmooth {
  const { k } = spec;
  if (!Number.isInteger(k) || k < 3) throw new ModelError(`${spec.label}: the basis dimension k must be an integer of at least 3, got ${k}`);
  // mgcv raises a cc smooth's k below 4 to 4 with a warning: refused here
  if (spec.bs === 'cc' && k < 4) throw new ModelError(`${spec.label}: a cyclic smooth (bs = "cc") needs k of at least 4, got ${k}`);
  let raw: (v: ArrayLike<number>) => Float64Array;
  let S: Float64Array;
  let knots: Float64Array | undefined, tprs: TprsBasis | undefined;
  // kb: the raw basis's columns (k; a cc smooth's k − 1, its last knot's value the first's)
  let kb = k;
  if (spec.bs === 'cr') {
    knots = crKnots(x, k, spec.term);
    const m = crMatrices(knots);
    S = m.S;
    const K = knots;
    raw = (v) => crBasis(v, K, m.F);
  } else if (spec.bs === 'cc') {
    knots = ccKnots(x, k, spec.term);
    const m = ccMatrices(knots);
    S = m.S;
    kb = k - 1;
    const K = knots;
    raw = (v) => ccBasis(v, K, m.BD);
  } else if (spec.bs === 'ps') {
    knots = psKnots(x, k, spec.term);
    S = psPenalty(k);
    const K = knots;
    raw = (v) => psBasis(v, K);
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
  for (let i = 0; i < n; i++) { let s = 0; for (let c = 0; c < kb; c++) s += Math.abs(Xraw[i * kb + c]); maXX = Math.max(maXX, s); }
  maXX *= maXX;
  let norm1 = 0;
  for (let c = 0; c < kb; c++) { let s = 0; for (let r = 0; r < kb; r++) s += Math.abs(S[r * kb + c]); norm1 = Math.max(norm1, s); }
  const sScale = norm1 / maXX;
  const constrained = by?.constrain ?? true;
  // the sum-to-zero constraint: C = colMeans(X) of the covariate's own basis, absorbed by Z (dqrdc2's Householder)
  let Z: Float64Array, p: number;
  if (constrained) {
    const C = new Float64Array(kb);
    for (let i = 0; i < n; i++) for (let c = 0; c < kb; c++) C[c] += Xraw[i * kb + c];
    for (let c = 0; c < kb; c++) C[c] /= n;
    Z = sumToZeroBasis(C, spec.label, `is '${spec.term}' constant?`);
    p = kb - 1;
  } else {
    // a numeric by: no constraint (Z = I_k)
    p = kb;
    Z = new Float64Array(kb * kb);
    for (let c = 0; c < kb; c++) Z[c * kb + c] = 1;
  }
  // X Z, its rows × the by values (z_i x_iᵀ Z)
  const constrain = (Xr: Float64Array, rows: number, m?: ArrayLike<number>) => {
    const out = new Float64Array(rows * p);
    for (let i = 0; i < rows; i++) {
      const w = m ? m[i] : 1;
      for (let c = 0; c < p; c++) { let s = 0; for (let r = 0; r < kb; r++) s += Xr[i * kb + r] * Z[r * p + c]; out[i * p + c] = s * w; }
    }
    return out;
  };
  const X = constrain(Xraw, n, by?.values);
  // Zᵀ (S / maS) Z
  const SZ = new Float64Array(kb * p);
  for (let r = 0; r < kb; r++) for (let c = 0; c < p; c++) { let s = 0; for (let t = 0; t < kb; t++) s += S[r * kb + t] * Z[t * p + c]; SZ[r * p + c] = s / sScale; }
  const Sc = new Float64Array(p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b <= a; b++) { let s = 0; for (let r = 0; r < kb; r++) s += Z[r * p + a] * SZ[r * p + b]; Sc[a * p + b] = Sc[b * p + a] = s; }
  return {
    spec, X, S: Sc, p, rank: k - 2, sScale, constrained,
    predict: (xn, m) => constrain(raw(xn), xn.length, m),
    ...(knots ? { knots } : {}), ...(tprs ? { tprs } : {}),
  };
}
