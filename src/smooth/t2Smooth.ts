/**
 * mgcv's t2 tensor product smooth (smooth.construct.t2.smooth.spec, mgcv 1.8-41; Wood, Scheipl & Faraway
 * 2013, "Straightforward intermediate rank tensor product smoothing in mixed models"), as gamm4 uses it,
 * with cubic regression spline margins (t2's default bs = "cr", k = 5 each) or tp, cc or ps margins:
 *
 *   1. each margin j: its own basis B_j (n × k_j; a cc margin's k_j − 1 columns) and penalty S_j, unconstrained
 *      and unscaled as mgcv's smooth.construct leaves them (./crSpline.ts, ./tprs.ts, ./ccSpline.ts,
 *      ./pSpline.ts), rank r_j = k_j − 2, put in
 *      its natural parametrization (nat.param, type 3, unit.fnorm): S_j = V Λ Vᵀ, E = (√λ_1 … √λ_r, e…),
 *      X_j = B_j V E⁻¹ with the null columns' E_i = √(‖(B_j V)_i‖² / mean over the range of ‖(B_j V)_l‖²/λ_l),
 *      the null columns rotated by the eigenvectors of X_nᵀX_n (X_n centred; in reverse order), then the
 *      range and null columns each scaled to unit mean square; P_j the matching transform of B_j
 *      (prediction: B_j(x) P_j, mgcv's Predict.matrix.t2.smooth);
 *   2. the model matrix (t2.model.matrix, full = FALSE): split each X_j into its range Z_j and null N_j
 *      columns; row-wise Kronecker products of every choice, in mgcv's order (for two margins
 *      Z₁⊙Z₂, N₁⊙Z₂, Z₁⊙N₂, N₁⊙N₂); every block but the last (N₁⊙N₂, unpenalized) has its own identity
 *      penalty S_b = I on its columns;
 *   3. smoothCon: scale.penalty S_b ← S_b ‖X‖∞² (‖S_b‖₁ = 1); the fit's constraint sums the null block's
 *      columns to zero, C = (0, 1ᵀ X_null) (absorbed in the null block by the Householder Z of
 *      ./smoothCon.ts), while predictions use mgcv's prediction constraint Cp = 1ᵀ X on all columns
 *      (Xp = X Z_p): gamm4 maps the fitted coefficients to Xp's parametrization by gam.setup's G$P (the
 *      least-squares map with X_fit = Xp G$P over the whole design; ../gamm/gamView.ts).
 * The margins' eigenvectors have arbitrary signs (R's LAPACK its own): the constrained spaces, the fit and
 * every fitted value agree with mgcv's, single coefficients may not. A tp margin's own basis has its eigenvectors'
 * signs too (./tprs.ts), which reach the t2's penalties through the margin's column scaling: such a t2 is close
 * to mgcv's, not equal.
 * `by =` (smoothCon): a factor's levels each take this construction × the level's indicator; a numeric by
 * variable (not constant) drops both constraints (`constrain: false`).
 */
import { ModelError } from '../errors/errors.js';
import { tridiagonalEigen } from '../linalg/tridiagonalEigen.js';
import { crBasis, crKnots, crMatrices } from './crSpline.js';
import { ccBasis, ccKnots, ccMatrices } from './ccSpline.js';
import { psBasis, psKnots, psPenalty } from './pSpline.js';
import { tprsBasis, tprsConstruct } from './tprs.js';
import { type SmoothBasisName, sumToZeroBasis } from './smoothCon.js';

/** A t2 smooth as the formula gives it: `t2(x, z, k = c(5, 5))`, `t2(x, z, bs = c("cr", "tp"))`. */
export interface T2Spec {
  /** mgcv's label, `t2(x,z)` */
  label: string;
  /** each margin's covariate, basis dimension and basis (default cr, t2's default) */
  margins: { term: string; k: number; bs?: SmoothBasisName }[];
}

/** One margin's own basis and penalty (mgcv's smooth.construct of the margin: no constraint, no rescaling). */
function marginBasis(bs: SmoothBasisName, x: ArrayLike<number>, k: number, term: string): { raw: (v: ArrayLike<number>) => Float64Array; S: Float64Array; kb: number; rank: number } {
  if (bs === 'tp') {
    const tp = tprsConstruct(x, k, term);
    return { raw: (v) => tprsBasis(tp, v), S: tp.S, kb: k, rank: k - 2 };
  }
  if (bs === 'cc') {
    if (k < 4) throw new ModelError(`t2(): a cyclic margin (bs = "cc") of ${term} needs k of at least 4, got ${k}`);
    const knots = ccKnots(x, k, term);
    const m = ccMatrices(knots);
    // k − 1 columns, the constant its penalty's null space
    return { raw: (v) => ccBasis(v, knots, m.BD), S: m.S, kb: k - 1, rank: k - 2 };
  }
  if (bs === 'ps') {
    const knots = psKnots(x, k, term);
    return { raw: (v) => psBasis(v, knots), S: psPenalty(k), kb: k, rank: k - 2 };
  }
  const knots = crKnots(x, k, term);
  const { F, S } = crMatrices(knots);
  return { raw: (v) => crBasis(v, knots, F), S, kb: k, rank: k - 2 };
}

/** One margin in its natural parametrization. */
interface Margin {
  /** its own basis at covariate values (rows × k) */
  raw: (v: ArrayLike<number>) => Float64Array;
  /** its columns (k; a cc margin's k − 1) */
  k: number;
  rank: number;
  /** B P = the margin's natural basis (k × k, row-major) */
  P: Float64Array;
  /** its natural basis at the data (n × k) */
  X: Float64Array;
}

/** A constructed t2 smooth. */
export interface T2Smooth {
  spec: T2Spec;
  /** the fit's constrained basis at the data (n × p, row-major): the penalized blocks first, then the constrained null block */
  X: Float64Array;
  p: number;
  /** the penalized blocks' sizes, in order (each one penalty, gamm4's own random-effects term) */
  blocks: number[];
  /** mgcv's labels of the blocks' penalties (`rr`, `nr`, `rn`) */
  blockLabels: string[];
  /** the penalties' common scale ‖X‖∞² (each S_b = that × I on its block: mgcv's S after scale.penalty) */
  penaltyScale: number;
  /** the columns of the null space left after the constraint (fixed effects) */
  nullDim: number;
  /** whether the constraints were applied (false: a numeric by's, Xp = X) */
  constrained: boolean;
  /** the prediction-constrained basis at the data (n × p: mgcv's Xp) */
  Xp: Float64Array;
  /** the prediction-constrained basis at new covariate values (mgcv's PredictMat), one array per margin */
  predict(xs: ArrayLike<number>[]): Float64Array;
}

/** nat.param(X, S, rank, type = 3, unit.fnorm = TRUE) of a margin's basis B (n × k) and penalty S (k × k). */
export function naturalMargin(B: Float64Array, S: Float64Array, n: number, k: number, rank: number): { X: Float64Array; P: Float64Array } {
  const eig = tridiagonalEigen(S, k);
  const V = eig.vectors;
  // every eigenvector's sign (a cc margin's one null vector's too), then a two-dimensional null space's basis
  signByLargest(V, k, 0, k);
  if (k - rank === 2) canonicalNullBasis(V, k, rank);
  const E = new Float64Array(k).fill(1);
  for (let j = 0; j < rank; j++) E[j] = Math.sqrt(eig.values[j]);
  // X = B V
  const X = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) { let s = 0; for (let c = 0; c < k; c++) s += B[i * k + c] * V[c * k + j]; X[i * k + j] = s; }
  // col.norm_j = ‖X_j‖² / E_j²; the null columns' E_j = √(col.norm_j / mean of the range's col.norm)
  const colNorm = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) colNorm[j] += X[i * k + j] ** 2;
  for (let j = 0; j < k; j++) colNorm[j] /= E[j] ** 2;
  let av = 0;
  for (let j = 0; j < rank; j++) av += colNorm[j];
  av /= rank;
  for (let j = rank; j < k; j++) E[j] = Math.sqrt(colNorm[j] / av);
  // P = V E⁻¹, X = X E⁻¹ (columns)
  const P = new Float64Array(k * k);
  for (let r = 0; r < k; r++) for (let j = 0; j < k; j++) P[r * k + j] = V[r * k + j] / E[j];
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) X[i * k + j] /= E[j];
  const nd = k - rank;
  if (nd > 1) {
    // type 3: the null columns rotated by the eigenvectors of X_nᵀX_n (X_n column-centred), the largest's last
    const Xn = new Float64Array(n * nd);
    for (let j = 0; j < nd; j++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += X[i * k + rank + j];
      m /= n;
      for (let i = 0; i < n; i++) Xn[i * nd + j] = X[i * k + rank + j] - m;
    }
    const G = new Float64Array(nd * nd);
    for (let i = 0; i < n; i++) for (let a = 0; a < nd; a++) for (let b = 0; b < nd; b++) G[a * nd + b] += Xn[i * nd + a] * Xn[i * nd + b];
    const um = tridiagonalEigen(G, nd).vectors;
    signByLargest(um, nd, 0, nd);
    const rotate = (A: Float64Array, rows: number) => {
      const old = new Float64Array(nd);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < nd; j++) old[j] = A[i * k + rank + j];
        // column k − 1 − t ← old · um[:, t]
        for (let t = 0; t < nd; t++) { let s = 0; for (let j = 0; j < nd; j++) s += old[j] * um[j * nd + t]; A[i * k + k - 1 - t] = s; }
      }
    };
    rotate(X, n);
    rotate(P, k);
  }
  // unit.fnorm: the range and the null columns each scaled to unit mean square (mgcv scales P's rows 1…r
  // and r+1…k by the same factors: P[ind, ] * scale)
  const scaleOf = (from: number, to: number) => {
    let s = 0;
    for (let i = 0; i < n; i++) for (let j = from; j < to; j++) s += X[i * k + j] ** 2;
    return 1 / Math.sqrt(s / (n * (to - from)));
  };
  for (const [from, to] of [[0, rank], [rank, k]] as const) {
    if (to <= from) continue;
    const sc = scaleOf(from, to);
    for (let i = 0; i < n; i++) for (let j = from; j < to; j++) X[i * k + j] *= sc;
    for (let r = from; r < to; r++) for (let j = 0; j < k; j++) P[r * k + j] *= sc;
  }
  return { X, P };
}

/**
 * Eigenvectors' signs fixed (columns from … to − 1 of V, k × k row-major): each column's largest entry in
 * absolute value (the first within 1e-8 of it) made positive. mgcv's t2 takes R's eigen() signs, and gamm4's summary tests a t2 smooth with
 * its coefficients and Vp in the prediction parametrization but R in the fit's (../gamm/gamView.ts), which is
 * not invariant to them; test/oracle/gamm4_by.R fits gamm4 with the same rule.
 */
function signByLargest(V: Float64Array, k: number, from: number, to: number): void {
  for (let j = from; j < to; j++) {
    let big = 0;
    for (let r = 0; r < k; r++) big = Math.max(big, Math.abs(V[r * k + j]));
    // the first entry within 1e-8 of the largest: an antisymmetric eigenvector (a ps margin's difference penalty,
    // symmetric about its middle) has two entries of equal size and opposite sign, which round-off would order
    let r = 0;
    while (Math.abs(V[r * k + j]) < big * (1 - 1e-8)) r++;
    if (V[r * k + j] < 0) for (let i = 0; i < k; i++) V[i * k + j] = -V[i * k + j];
  }
}

/**
 * The penalty's two-dimensional null space (a cr margin's: the linear functions) in a fixed basis. Its
 * eigenvectors (columns rank, rank + 1 of V, k × k row-major) are any orthonormal basis of it — R's LAPACK
 * returns one set by round-off — and nat.param's scaling of the null columns (E, unit.fnorm) and so the
 * t2 smooth's penalties on the `nr` and `rn` blocks depend on which. We fix it: with P_N = N Nᵀ the null
 * space's projector, v₁ = P_N 1 / ‖·‖ (the constant) and v₂ ∝ P_N c − (v₁ᵀ P_N c) v₁, c_j = j − (k − 1)/2,
 * with v₂ᵀc > 0. (test/oracle/gamm4_by.R fits gamm4 with the same choice in mgcv's nat.param, and with stock
 * mgcv; see README "Smooth terms (gamm4)".)
 */
function canonicalNullBasis(V: Float64Array, k: number, rank: number): void {
  const PN = (u: ArrayLike<number>) => {
    const out = new Float64Array(k);
    for (let j = rank; j < rank + 2; j++) {
      let d = 0;
      for (let r = 0; r < k; r++) d += V[r * k + j] * u[r];
      for (let r = 0; r < k; r++) out[r] += d * V[r * k + j];
    }
    return out;
  };
  const unit = (u: Float64Array) => { const s = Math.hypot(...Array.from(u)); return u.map((v) => v / s); };
  const v1 = unit(PN(new Float64Array(k).fill(1)));
  const c = Float64Array.from({ length: k }, (_, j) => j - (k - 1) / 2);
  const w = PN(c);
  let d = 0;
  for (let r = 0; r < k; r++) d += v1[r] * w[r];
  const v2 = unit(w.map((v, r) => v - d * v1[r]));
  for (let r = 0; r < k; r++) { V[r * k + rank] = v1[r]; V[r * k + rank + 1] = v2[r]; }
}

/**
 * t2.model.matrix (full = FALSE) of the margins' natural bases: the row-wise Kronecker products of their
 * range (r) and null (n) parts in mgcv's order, with each block's label (`rr`, `nr`, `rn`, `nn`).
 */
function t2ModelMatrix(Xs: { X: Float64Array; k: number; rank: number }[], n: number): { X: Float64Array; d: number; sizes: number[]; labels: string[]; noNull: boolean } {
  const part = (m: { X: Float64Array; k: number }, from: number, to: number) => {
    const c = to - from, out = new Float64Array(n * c);
    for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) out[i * c + j] = m.X[i * m.k + from + j];
    return { A: out, c };
  };
  // a ⊙ b: column j·c_b + l is a_j ∘ b_l (R's X1[, j] * Zi over j)
  const rowKron = (a: { A: Float64Array; c: number }, b: { A: Float64Array; c: number }) => {
    const c = a.c * b.c, out = new Float64Array(n * c);
    for (let i = 0; i < n; i++) for (let j = 0; j < a.c; j++) { const v = a.A[i * a.c + j]; for (let l = 0; l < b.c; l++) out[i * c + j * b.c + l] = v * b.A[i * b.c + l]; }
    return { A: out, c };
  };
  let blocks: { A: Float64Array; c: number; label: string }[] = [{ ...part(Xs[0], 0, Xs[0].rank), label: 'r' }];
  let noNull = false;
  if (Xs[0].rank < Xs[0].k) blocks.push({ ...part(Xs[0], Xs[0].rank, Xs[0].k), label: 'n' });
  else noNull = true;
  for (let m = 1; m < Xs.length; m++) {
    const Zi = part(Xs[m], 0, Xs[m].rank);
    const hasNull = Xs[m].rank < Xs[m].k;
    if (!hasNull) noNull = true;
    const next = blocks.map((b) => ({ ...rowKron(b, Zi), label: `${b.label}r` }));
    if (hasNull) {
      const Ni = part(Xs[m], Xs[m].rank, Xs[m].k);
      for (const b of blocks) next.push({ ...rowKron(b, Ni), label: `${b.label}n` });
    }
    blocks = next;
  }
  const d = blocks.reduce((s, b) => s + b.c, 0);
  const X = new Float64Array(n * d);
  let at = 0;
  for (const b of blocks) {
    for (let i = 0; i < n; i++) for (let j = 0; j < b.c; j++) X[i * d + at + j] = b.A[i * b.c + j];
    at += b.c;
  }
  let sizes = blocks.map((b) => b.c), labels = blocks.map((b) => b.label);
  // the last block (all null parts) is unpenalized
  if (!noNull) { sizes = sizes.slice(0, -1); labels = labels.slice(0, -1); }
  return { X, d, sizes, labels, noNull };
}

/** (n × d) · Z (d × q), row-major. */
function times(X: Float64Array, n: number, d: number, Z: Float64Array, q: number): Float64Array {
  const out = new Float64Array(n * q);
  for (let i = 0; i < n; i++) for (let r = 0; r < d; r++) { const v = X[i * d + r]; if (v !== 0) for (let c = 0; c < q; c++) out[i * q + c] += v * Z[r * q + c]; }
  return out;
}

/**
 * smoothCon(t2(…), absorb.cons = TRUE, scale.penalty = TRUE) at the data's covariates xs (one per margin).
 * `constrain: false` (a numeric by variable that is not constant: smoothCon drops C and Cp): no constraint, the
 * whole null block unpenalized, and no separate prediction parametrization (Xp = X).
 */
export function t2Construct(spec: T2Spec, xs: ArrayLike<number>[], constrain = true): T2Smooth {
  if (spec.margins.length < 2 || xs.length !== spec.margins.length) throw new ModelError(`${spec.label}: a t2 smooth needs at least two covariates, one array each`);
  const n = xs[0].length;
  const margins: Margin[] = spec.margins.map((m, j) => {
    if (!Number.isInteger(m.k) || m.k < 3) throw new ModelError(`${spec.label}: the margin's basis dimension k must be an integer of at least 3, got ${m.k}`);
    const mb = marginBasis(m.bs ?? 'cr', xs[j], m.k, m.term);
    const np = naturalMargin(mb.raw(xs[j]), mb.S, n, mb.kb, mb.rank);
    return { raw: mb.raw, k: mb.kb, rank: mb.rank, P: np.P, X: np.X };
  });
  const mm = t2ModelMatrix(margins, n);
  const { X: Xfull, d } = mm;
  const nup = mm.sizes.reduce((a, b) => a + b, 0);
  const nd = d - nup;
  // scale.penalty: maXX = ‖X‖∞² (the largest absolute row sum, squared)
  let maXX = 0;
  for (let i = 0; i < n; i++) { let s = 0; for (let c = 0; c < d; c++) s += Math.abs(Xfull[i * d + c]); maXX = Math.max(maXX, s); }
  maXX *= maXX;
  // the fit's constraint on the null block: C = (0, 1ᵀ X_null)
  const p = nd > 0 && constrain ? d - 1 : d;
  const X = new Float64Array(n * p);
  if (!constrain) X.set(Xfull);
  else if (nd > 1) {
    const Cn = new Float64Array(nd);
    for (let i = 0; i < n; i++) for (let c = 0; c < nd; c++) Cn[c] += Xfull[i * d + nup + c];
    const Zn = sumToZeroBasis(Cn, spec.label, 'are the covariates constant?');
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < nup; c++) X[i * p + c] = Xfull[i * d + c];
      for (let c = 0; c < nd - 1; c++) { let s = 0; for (let r = 0; r < nd; r++) s += Xfull[i * d + nup + r] * Zn[r * (nd - 1) + c]; X[i * p + nup + c] = s; }
    }
  } else {
    // one null column: the constraint drops it (mgcv's C = ncol(X)); none: no constraint
    for (let i = 0; i < n; i++) for (let c = 0; c < p; c++) X[i * p + c] = Xfull[i * d + c];
  }
  // the prediction constraint Cp = 1ᵀ X (all columns)
  let Zp: Float64Array | null = null;
  if (nd > 0 && constrain) {
    const Cp = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) Cp[c] += Xfull[i * d + c];
    Zp = sumToZeroBasis(Cp, spec.label, 'are the covariates constant?');
  }
  const constrainP = (A: Float64Array, rows: number) => (Zp ? times(A, rows, d, Zp, p) : A);
  const predict = (cols: ArrayLike<number>[]): Float64Array => {
    if (cols.length !== margins.length) throw new ModelError(`${spec.label}: ${margins.length} covariates needed, got ${cols.length}`);
    const m = cols[0].length;
    const Xm = margins.map((mg, j) => ({ X: times(mg.raw(cols[j]), m, mg.k, mg.P, mg.k), k: mg.k, rank: mg.rank }));
    return constrainP(t2ModelMatrix(Xm, m).X, m);
  };
  return {
    spec, X, p, blocks: mm.sizes, blockLabels: mm.labels, penaltyScale: maXX, nullDim: p - nup,
    Xp: constrainP(Xfull, n), predict, constrained: constrain,
  };
}
