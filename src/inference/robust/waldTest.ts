/**
 * clubSandwich 0.5.8's Wald_test: the test of C β = 0 (C q × p) with a cluster-robust variance,
 *
 *   Q = (Cβ̂)ᵀ (C V^CR Cᵀ)⁻¹ (Cβ̂),
 *
 * against: 'chi-sq' χ²_q; 'Naive-F' F(q, J − 1) of Q/q; 'Naive-Fp' F(q, J − p); and the Hotelling T²
 * approximations of Pustejovsky & Tipton (2018) — Q/q scaled by δ = (ν − q + 1)/ν against
 * F(q, ν − q + 1), with ν from the P array of the rows of C (src/inference/robust/pArray.ts) rotated by
 * Ω^{-1/2}, Ω_st = tr P_st, B_st = (Ω^{-1/2} P Ω^{-1/2})_st:
 *   'HTZ'  ν = q(q + 1) / Σ_st (⟨B_st, B_tsᵀ⟩ + ⟨B_ss, B_tt⟩)   (the total variance; B_tsᵀ = B_st);
 *   'HTA'  ν = 2 Σ_st Cov_stst / Σ Cov²,  Cov_stuv = ⟨B_sv, B_tu⟩ + ⟨B_su, B_tv⟩ (all q⁴ entries);
 *   'HTB'  as HTA over clubSandwich's lower index set;
 *   'EDF'  the eigen-decomposition F test: per eigenvector x of Ω^{-1/2} C V^CR Cᵀ Ω^{-1/2}, ν_k = 1/‖P(z_k)‖²
 *          with z_k = Ω^{-1/2} x_k, then its moment-matched F (clubSandwich's formulas);
 *   'EDT'  the eigen-decomposition t test (Fisher's normalization of each t_k).
 * Constraints as clubSandwich's constrain_zero (coefficients set to 0), constrain_equal (equal to the
 * first), or a matrix.
 */
import { ModelError, OptionError } from '../../errors/errors.js';
import { symmetricEigen } from '../../linalg/symmetricEigen.js';
import { pchisqUpper, pfUpper } from '../../stats/distributions.js';
import { matmul, spdInverse } from '../../linalg/dense.js';
import { matrixPower } from './dense.js';
import { PProducts, pArray, rotate } from './pArray.js';
import type { VcovCR } from './vcovCR.js';

export const WALD_TESTS = ['HTZ', 'HTA', 'HTB', 'chi-sq', 'Naive-F', 'Naive-Fp', 'EDF', 'EDT'] as const;
export type WaldTestName = (typeof WALD_TESTS)[number];

/** clubSandwich's constraints: constrain_zero(coefs), constrain_equal(coefs), or a q × p matrix */
export type Constraints =
  | { zero: string[] }
  | { equal: string[] }
  | number[][];

export interface WaldTestRow {
  test: WaldTestName;
  Fstat: number;
  delta: number;
  dfNum: number;
  dfDenom: number;
  /** NaN where the denominator df is not positive (clubSandwich's NA) */
  p: number;
}

export interface WaldTest {
  type: string;
  /** the constraint matrix C (q × p) */
  C: number[][];
  rows: WaldTestRow[];
  /**
   * with EDF or EDT: the eigenvalues of Ω^{-1/2} C V^CR Cᵀ Ω^{-1/2} (decreasing); EDT's statistic depends
   * on their eigenvectors, which are ill-determined where two eigenvalues nearly coincide
   */
  eigenvalues?: number[];
  /** notes on the result (EDT where its eigenvectors are ill-determined) */
  notes: string[];
}

export function checkWaldTests(test: unknown): WaldTestName[] {
  if (test === undefined) return ['HTZ'];
  if (test === 'All') return [...WALD_TESTS];
  const list = Array.isArray(test) ? test : [test];
  if (list.length === 0) throw new OptionError('test', 'test: no Wald test named; use one or more of ' + WALD_TESTS.join(', '));
  for (const t of list) {
    if (typeof t !== 'string' || !(WALD_TESTS as readonly string[]).includes(t)) {
      throw new OptionError('test', `test: '${String(t)}' is not one of clubSandwich's Wald tests: ${WALD_TESTS.join(', ')} (or 'All')`);
    }
  }
  return list as WaldTestName[];
}

/** The constraint matrix (q × p) of clubSandwich's constrain_zero / constrain_equal or a given matrix. */
export function constraintMatrix(constraints: Constraints, xnames: string[]): number[][] {
  const p = xnames.length;
  const rowsOf = (names: unknown, min: number, what: string): number[] => {
    if (!Array.isArray(names) || names.length < min || names.some((n) => typeof n !== 'string')) {
      throw new OptionError('constraints', `constraints: ${what} needs at least ${min === 1 ? 'one coefficient name' : 'two coefficient names'} (the model's are ${xnames.join(', ')})`);
    }
    const missing = (names as string[]).filter((n) => !xnames.includes(n));
    if (missing.length > 0) throw new OptionError('constraints', `constraints: ${missing.map((n) => `'${n}'`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not a coefficient of the model (its coefficients: ${xnames.join(', ')})`);
    // constrain_zero keeps the model's order of the named coefficients
    return xnames.map((n, k) => ((names as string[]).includes(n) ? k : -1)).filter((k) => k >= 0);
  };
  const unit = (k: number): number[] => Array.from({ length: p }, (_, c) => (c === k ? 1 : 0));
  if (Array.isArray(constraints)) {
    if (constraints.length === 0 || constraints.some((r) => !Array.isArray(r) || r.length !== p || r.some((x) => typeof x !== 'number' || !Number.isFinite(x)))) {
      throw new OptionError('constraints', `constraints: a constraint matrix must be q × ${p} (one column per coefficient: ${xnames.join(', ')}) of finite numbers`);
    }
    return constraints.map((r) => [...r]);
  }
  if (constraints && typeof constraints === 'object' && 'zero' in constraints) return rowsOf(constraints.zero, 1, 'constrain_zero').map(unit);
  if (constraints && typeof constraints === 'object' && 'equal' in constraints) {
    const ks = rowsOf(constraints.equal, 2, 'constrain_equal');
    // each coefficient after the first minus the first
    return ks.slice(1).map((k) => { const r = unit(k); r[ks[0]] = -1; return r; });
  }
  throw new OptionError('constraints', "constraints: expected { zero: ['x', 'z'] } (constrain_zero), { equal: ['x', 'z'] } (constrain_equal) or a q × p matrix");
}

function hotelling(test: WaldTestName, Q: number, q: number, nu: number): WaldTestRow {
  const delta = Math.max((nu - q + 1) / nu, 0);
  const df = nu - q + 1;
  const F = (delta * Q) / q;
  return { test, Fstat: F, delta, dfNum: q, dfDenom: df, p: df > 0 ? pfUpper(F, q, df) : NaN };
}

/** clubSandwich's Wald_test(fit, constraints, vcov, test). */
export function waldTestCR(v: VcovCR, constraints: Constraints, tests: WaldTestName[] = ['HTZ']): WaldTest {
  const { p, J } = v;
  const Crows = constraintMatrix(constraints, v.xnames);
  const q = Crows.length;
  const C = Float64Array.from(Crows.flat());
  const Cb = matmul(C, v.beta, q, p, 1);
  const CVC = matmul(matmul(C, v.V, q, p, p), transposeOf(C, q, p), q, p, q);
  let CVCinv: Float64Array;
  try {
    CVCinv = spdInverse(CVC, q, 'C Vᶜᴿ Cᵀ').inv;
  } catch {
    throw new ModelError('Wald test: C Vᶜᴿ Cᵀ is singular (the constraints are linearly dependent, or the robust variance is singular in their direction: more constraints than the clusters support)');
  }
  const Q = Cb.reduce((acc, a, s) => acc + a * Cb.reduce((acc2, b, t) => acc2 + CVCinv[s * q + t] * b, 0), 0);
  const rows: WaldTestRow[] = [];
  const notes: string[] = [];
  let eigenvalues: number[] | undefined;
  const needP = tests.some((t) => t === 'HTA' || t === 'HTB' || t === 'HTZ' || t === 'EDF' || t === 'EDT');
  let P: ReturnType<typeof pArray> | null = null;
  let Onsqrt: Float64Array | null = null;
  let B: PProducts | null = null;
  if (needP) {
    P = pArray(v, C, q);
    const raw = new PProducts(P);
    const Omega = new Float64Array(q * q);
    for (let s = 0; s < q; s++) for (let t = 0; t < q; t++) Omega[s * q + t] = raw.trace(s, t);
    Onsqrt = matrixPower(Omega, q, -0.5);
    B = new PProducts(rotate(P, Onsqrt, q));
  }
  // clubSandwich's order of rows: chi-sq, Naive-F, Naive-Fp, HTA, HTB, HTZ, EDF, EDT (of those asked)
  if (tests.includes('chi-sq')) rows.push({ test: 'chi-sq', Fstat: Q / q, delta: 1, dfNum: q, dfDenom: Infinity, p: pchisqUpper(Q, q) });
  if (tests.includes('Naive-F')) rows.push({ test: 'Naive-F', Fstat: Q / q, delta: 1, dfNum: q, dfDenom: J - 1, p: pfUpper(Q / q, q, J - 1) });
  if (tests.includes('Naive-Fp')) rows.push({ test: 'Naive-Fp', Fstat: Q / q, delta: 1, dfNum: q, dfDenom: J - p, p: J - p > 0 ? pfUpper(Q / q, q, J - p) : NaN });
  if (B && (tests.includes('HTA') || tests.includes('HTB'))) {
    const cov = (s: number, t: number, u: number, w: number) => B!.inner(s, w, t, u) + B!.inner(s, u, t, w);
    const arr = new Float64Array(q ** 4);
    const at = (s: number, t: number, u: number, w: number) => ((s * q + t) * q + u) * q + w;
    for (let s = 0; s < q; s++) for (let t = 0; t < q; t++) for (let u = 0; u < q; u++) for (let w = 0; w < q; w++) arr[at(s, t, u, w)] = cov(s, t, u, w);
    let varSum = 0, sq = 0;
    for (let s = 0; s < q; s++) for (let t = 0; t < q; t++) varSum += arr[at(s, t, s, t)];
    for (const x of arr) sq += x * x;
    if (tests.includes('HTA')) rows.push(hotelling('HTA', Q, q, (2 * varSum) / sq));
    if (tests.includes('HTB')) {
      // clubSandwich's lower index set: s ≥ t, u ≤ s, v ≤ (u = s ? t : u)
      let varLower = 0, sqLower = 0;
      for (let s = 0; s < q; s++) for (let t = 0; t <= s; t++) varLower += arr[at(s, t, s, t)];
      for (let s = 0; s < q; s++) for (let t = 0; t <= s; t++) for (let u = 0; u <= s; u++) {
        const top = u === s ? t : u;
        for (let w = 0; w <= top; w++) sqLower += arr[at(s, t, u, w)] ** 2;
      }
      rows.push(hotelling('HTB', Q, q, (2 * varLower) / sqLower));
    }
  }
  if (B && tests.includes('HTZ')) {
    let total = 0;
    for (let s = 0; s < q; s++) for (let t = 0; t < q; t++) total += B.inner(s, t, t, s) + B.inner(s, s, t, t);
    rows.push(hotelling('HTZ', Q, q, (q * (q + 1)) / total));
  }
  if (P && Onsqrt && (tests.includes('EDF') || tests.includes('EDT'))) {
    // eigenvectors of Ω^{-1/2} C V Cᵀ Ω^{-1/2}; z_k = x_kᵀ Ω^{-1/2}
    const S = matmul(matmul(Onsqrt, CVC, q, q, q), Onsqrt, q, q, q);
    for (let a = 0; a < q; a++) for (let b = 0; b < a; b++) { const m = (S[a * q + b] + S[b * q + a]) / 2; S[a * q + b] = m; S[b * q + a] = m; }
    const { values, vectors } = symmetricEigen(S, q);
    eigenvalues = Array.from(values);
    const Z = new Float64Array(q * q);
    for (let k = 0; k < q; k++) for (let b = 0; b < q; b++) {
      let acc = 0;
      for (let a = 0; a < q; a++) acc += vectors[a * q + k] * Onsqrt[a * q + b];
      Z[k * q + b] = acc;
    }
    const Pz = new PProducts(rotate(P, Z, q));
    const dfEig = Array.from({ length: q }, (_, k) => 1 / Pz.inner(k, k, k, k));
    if (tests.includes('EDF')) {
      const df4 = dfEig.map((d) => Math.max(d, 4.1));
      const EQ = df4.reduce((acc, d) => acc + d / (d - 2), 0);
      const VQ = 2 * df4.reduce((acc, d) => acc + (d * d * (d - 1)) / ((d - 2) ** 2 * (d - 4)), 0);
      const big = q * VQ > 2 * EQ * EQ;
      const delta = big ? (EQ * EQ * (q - 2) + 2 * q * VQ) / (EQ * (VQ + EQ * EQ)) : q / EQ;
      const df = big ? 4 + (2 * EQ * EQ * (q + 2)) / (q * VQ - 2 * EQ * EQ) : Infinity;
      const F = (delta * Q) / q;
      rows.push({ test: 'EDF', Fstat: F, delta, dfNum: q, dfDenom: df, p: pfUpper(F, q, df) });
    }
    if (tests.includes('EDT')) {
      // t_k = x_kᵀ Ω^{-1/2} C β̂ / √λ_k, z_k by Fisher's normalization with ν_k − ½
      const OCb = matmul(Onsqrt, Cb, q, q, 1);
      let F = 0;
      for (let k = 0; k < q; k++) {
        let tk = 0;
        for (let a = 0; a < q; a++) tk += vectors[a * q + k] * OCb[a];
        tk /= Math.sqrt(values[k]);
        const a = dfEig[k] - 0.5, b = 48 * a * a;
        const c = Math.sqrt(a * Math.log1p((tk * tk) / dfEig[k]));
        const z = c + (c ** 3 + 3 * c) / b - (4 * c ** 7 + 33 * c ** 5 + 240 * c ** 3 + 855 * c) / (10 * b * b + 8 * b * c ** 4 + 1000 * b);
        F += z * z;
      }
      F /= q;
      rows.push({ test: 'EDT', Fstat: F, delta: 1, dfNum: q, dfDenom: Infinity, p: pfUpper(F, q, Infinity) });
      // a pair of eigenvalues closer than 1e-6 (relative): their eigenvectors, and so EDT, are ill-determined
      const gap = Math.min(...Array.from(values).slice(1).map((e, k2) => (values[k2] - e) / Math.abs(values[0])));
      if (gap < 1e-6) notes.push(`EDT: two eigenvalues of Ω^{-1/2} C V Cᵀ Ω^{-1/2} nearly coincide (relative gap ${gap.toPrecision(2)}); EDT depends on the basis of their eigenspace, which is then ill-determined (clubSandwich's too)`);
    }
  }
  return { type: v.type, C: Crows, rows, ...(eigenvalues ? { eigenvalues } : {}), notes };
}

function transposeOf(A: Float64Array, r: number, c: number): Float64Array {
  const T = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) T[j * r + i] = A[i * c + j];
  return T;
}
