/**
 * lmerTest's get_Ldiffmat2: the hypothesis that a term adds nothing, from the design matrices of the
 * model with (X, n × p, full column rank after lme4 dropped aliased columns) and without it (X₀),
 * which drop1 uses when X is rank deficient:
 *   R = X − X₀ X₀⁺ X                    (the residuals of X's columns regressed on X₀: .lm.fit)
 *   keep R's columns with Σ_i |R_ij| > 1e-8
 *   Lᵀ = zapsmall(qr.Q(qr(Xᵀ R)))       (an orthonormal basis of Xᵀ R's columns, p × k)
 * so L β = 0 restricts β to the model without the term. No column kept (X₀ spans X): no hypothesis
 * (lmerTest's row of NA).
 */
import { zapsmall } from '../results/rFormat.js';

/** X: n × p and X0: n × p0, column-major; returns L's rows (k × p), empty when X₀ spans X */
export function designDifference(X: Float64Array, p: number, X0: Float64Array, p0: number, n: number): number[][] {
  // an orthonormal basis of X₀'s columns (modified Gram–Schmidt twice; a column whose remainder is
  // below 1e-7 of its norm is dependent, as .lm.fit's tolerance)
  const basis = orthonormal(Array.from({ length: p0 }, (_, j) => X0.subarray(j * n, (j + 1) * n)), n, 1e-7);
  const R: Float64Array[] = [];
  for (let j = 0; j < p; j++) {
    const r = Float64Array.from(X.subarray(j * n, (j + 1) * n));
    project(basis, r);
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(r[i]);
    if (s > 1e-8) R.push(r);
  }
  if (R.length === 0) return [];
  // Xᵀ R: p × k, its columns orthonormalized (Householder's Q has the same span as Gram–Schmidt's for
  // a full-rank Xᵀ R; the signs do not change the test). Where Xᵀ R is rank deficient, R's qr.Q would
  // add orthonormal columns outside its span; only the span is kept here.
  const XtR = R.map((r) => Float64Array.from({ length: p }, (_, a) => dot(X.subarray(a * n, (a + 1) * n), r)));
  const Q = orthonormal(XtR, p, 1e-10);
  const z = zapsmall(Q.flatMap((q) => Array.from(q)), 7);
  return Array.from({ length: Q.length }, (_, m) => z.slice(m * p, (m + 1) * p));
}

/**
 * The columns of X₀ (n × p0) outside the column space of X (n × p), both column-major: those whose
 * residual after projecting on X's columns exceeds `tol` of their norm (pbkrtest's
 * compare_column_space decides nesting by the ranks of X, X₀ and [X₀ X]; a column outside raises the
 * rank of [X₀ X]). Returns their 0-based indices.
 */
export function columnsOutside(X: Float64Array, p: number, X0: Float64Array, p0: number, n: number, tol = 1e-7): number[] {
  const basis = orthonormal(Array.from({ length: p }, (_, j) => X.subarray(j * n, (j + 1) * n)), n, tol);
  const out: number[] = [];
  for (let j = 0; j < p0; j++) {
    const v = Float64Array.from(X0.subarray(j * n, (j + 1) * n));
    const n0 = Math.sqrt(dot(v, v));
    project(basis, v);
    if (Math.sqrt(dot(v, v)) > tol * n0) out.push(j);
  }
  return out;
}

function orthonormal(cols: ArrayLike<number>[], n: number, tol: number): Float64Array[] {
  const basis: Float64Array[] = [];
  for (const c of cols) {
    const v = Float64Array.from(c);
    const n0 = Math.sqrt(dot(v, v));
    project(basis, v);
    const nv = Math.sqrt(dot(v, v));
    if (n0 === 0 || nv <= tol * n0) continue;
    for (let i = 0; i < n; i++) v[i] /= nv;
    basis.push(v);
  }
  return basis;
}

/** v ← v − Σ q qᵀ v, twice (reorthogonalization) */
function project(basis: Float64Array[], v: Float64Array): void {
  for (let pass = 0; pass < 2; pass++) {
    for (const q of basis) {
      const s = dot(q, v);
      for (let i = 0; i < v.length; i++) v[i] -= s * q[i];
    }
  }
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
