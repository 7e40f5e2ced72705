/**
 * Tests of contrasts Lβ = 0 with Satterthwaite's or Kenward–Roger's denominator degrees of freedom,
 * as lmerTest's contest1D (one row: a t test) and contestMD (several rows: an F test).
 *
 * Satterthwaite (lmerTest::contest1D/contestMD): for one row ℓ, ν = 2 (ℓᵀVℓ)² / (gᵀ A g) with
 * g_i = ℓᵀ J_i ℓ; for q rows, Var(Lβ̂) = P D Pᵀ is diagonalized, each rotated row gets its ν_m, and
 * the F statistic's ddf combines them (lmerTest::get_Fstat_ddf).
 * Kenward–Roger (pbkrtest::KRmodcomp and Lb_ddf): the Wald statistic with Φ_A, scaled, and ddf from
 * A1, A2 (Kenward & Roger 1997, section 4).
 */
import { ModelError, OptionError } from '../errors/errors.js';
import type { KenwardRogerParts } from './kenwardRoger.js';
import type { VarparCovariance } from './satterthwaite.js';
import { congruence, inverse, matmul, symmetricEigen, transpose } from './eigen.js';
import { pfUpper, pvalueT } from '../stats/distributions.js';

export type DdfMethod = 'satterthwaite' | 'kenward-roger';

/** What a test needs: β̂ and the chosen method's parts. */
export type DdfContext =
  | { method: 'satterthwaite'; sat: VarparCovariance }
  | { method: 'kenward-roger'; kr: KenwardRogerParts; beta: Float64Array; sigma: number };

/** one row of lmerTest's coefficient table */
export interface TTest {
  estimate: number;
  se: number;
  df: number;
  t: number;
  p: number;
}

/** one row of lmerTest's anova table */
export interface FTest {
  sumsq: number;
  meansq: number;
  numdf: number;
  dendf: number;
  F: number;
  p: number;
}

const betaOf = (ctx: DdfContext) => (ctx.method === 'satterthwaite' ? ctx.sat.beta : ctx.beta);

/** checks a contrast matrix's width against the number of fixed effects */
export function checkContrast(L: ArrayLike<number>[], p: number, what = 'contrast matrix L'): void {
  if (L.length === 0) throw new OptionError('L', `${what} has no rows`);
  L.forEach((row, r) => {
    if (row.length !== p) throw new OptionError('L', `${what}: row ${r + 1} has ${row.length} entries; the model has ${p} fixed effects`);
    for (let c = 0; c < p; c++) if (!Number.isFinite(row[c])) throw new OptionError('L', `${what}: entry [${r + 1}, ${c + 1}] is ${row[c]}, not a finite number`);
  });
}

/** The t test of one contrast ℓᵀβ = 0 (lmerTest::contest1D). */
export function contest1D(ctx: DdfContext, l: ArrayLike<number>): TTest {
  const beta = betaOf(ctx);
  const p = beta.length;
  checkContrast([l], p);
  let estimate = 0;
  for (let c = 0; c < p; c++) estimate += l[c] * beta[c];
  let se: number, df: number;
  if (ctx.method === 'satterthwaite') {
    const { vcovBeta, jacobian, vcovVarpar } = ctx.sat;
    const varCon = qform(l, vcovBeta, p);
    const g = jacobian.map((Ji) => qform(l, Ji, p));
    df = (2 * varCon * varCon) / qform(g, vcovVarpar, g.length);
    se = Math.sqrt(varCon);
  } else {
    se = Math.sqrt(qform(l, ctx.kr.PhiA, p));
    df = krDdf(ctx.kr, [Array.from(l)]).df2;
  }
  const t = estimate / se;
  return { estimate, se, df, t, p: pvalueT(t, df) };
}

/** The F test of Lβ = 0 (lmerTest::contestMD); L has q rows of p entries. */
export function contestMD(ctx: DdfContext, L: ArrayLike<number>[]): FTest {
  const beta = betaOf(ctx);
  const p = beta.length;
  checkContrast(L, p);
  const sigma = ctx.method === 'satterthwaite' ? ctx.sat.sigma : ctx.sigma;
  const table = (F: number, ndf: number, ddf: number, Fscale = 1): FTest => {
    const MS = F * sigma * sigma;
    const Fs = F * Fscale;
    return { sumsq: MS * ndf, meansq: MS, numdf: ndf, dendf: ddf, F: Fs, p: pfUpper(Fs, ndf, ddf) };
  };
  if (ctx.method === 'kenward-roger') {
    const kr = krFtest(ctx, L);
    return table(kr.FstatU, kr.ndf, kr.ddf, kr.Fscaling);
  }
  if (L.length === 1) {
    const t = contest1D(ctx, L[0]);
    return table(t.t * t.t, 1, t.df);
  }
  const { vcovBeta, jacobian, vcovVarpar } = ctx.sat;
  const q0 = L.length;
  const Lf = L.flatMap((r) => Array.from(r));
  const eig = symmetricEigen(congruence(Lf, vcovBeta, q0, p), q0);
  const d = eig.values;
  const tol = Math.max(Math.sqrt(Number.EPSILON) * d[0], 0);
  const q = Array.from(d).filter((v) => v > tol).length;
  if (q === 0) throw new ModelError('the contrast matrix L has Var(Lβ̂) = 0: it tests nothing');
  // PᵀL, first q rows
  const PtL = matmul(transpose(eig.vectors, q0, q0), Lf, q0, q0, p);
  const rows = Array.from({ length: q }, (_, m) => PtL.slice(m * p, m * p + p));
  if (q === 1) {
    const t = contest1D(ctx, rows[0]);
    return table(t.t * t.t, 1, t.df);
  }
  let sumT2 = 0;
  const nu: number[] = [];
  for (let m = 0; m < q; m++) {
    const est = rows[m].reduce((s, v, c) => s + v * beta[c], 0);
    sumT2 += (est * est) / d[m];
    const g = jacobian.map((Ji) => qform(rows[m], Ji, p));
    nu.push((2 * d[m] * d[m]) / qform(g, vcovVarpar, g.length));
  }
  return table(sumT2 / q, q, fstatDdf(nu));
}

/** Kenward–Roger's F test of Lβ = 0 (pbkrtest's .KR_adjust): the scaled and the unscaled statistic with their p-values. */
export interface KrFtest {
  /** the rank of L (pbkrtest's ndf) */
  ndf: number;
  ddf: number;
  Fscaling: number;
  /** the Wald statistic with Φ_A over ndf (pbkrtest's FstatU) and its p-value */
  FstatU: number;
  pU: number;
  /** F.scaling · FstatU (pbkrtest's Fstat) and its p-value */
  Fstat: number;
  p: number;
  /** the basis of L's row space tested */
  L: number[][];
  /** pbkrtest's aux: A1, A2, V0, V1, V2, ρ and the scaling */
  aux: KrAux;
}

export function krFtest(ctx: Extract<DdfContext, { method: 'kenward-roger' }>, L: ArrayLike<number>[]): KrFtest {
  const { beta } = ctx;
  const p = beta.length;
  checkContrast(L, p);
  // pbkrtest tests the row space of L (a rank-deficient L is reduced to a basis of it)
  const rows = rowBasis(L.map((r) => Array.from(r)), p);
  const kr = krDdf(ctx.kr, rows);
  // Wald statistic with Φ_A: (Lβ)ᵀ (L Φ_A Lᵀ)⁻¹ (Lβ) / q
  const q = rows.length;
  const Lb = rows.map((r) => r.reduce((s, v, c) => s + v * beta[c], 0));
  const VA = inverse(congruence(rows.flat(), ctx.kr.PhiA, q, p), q, 'L Φ_A Lᵀ');
  const FstatU = qform(Lb, VA, q) / kr.q;
  // Fstat = F.scaling · FstatU, both referred to F(q, ddf)
  const Fstat = kr.Fscaling * FstatU;
  return {
    ndf: kr.q, ddf: kr.df2, Fscaling: kr.Fscaling, FstatU, pU: pfUpper(FstatU, kr.q, kr.df2), Fstat, p: pfUpper(Fstat, kr.q, kr.df2),
    L: rows, aux: kr.aux,
  };
}

/** pbkrtest's aux of a Kenward–Roger test */
export interface KrAux { A1: number; A2: number; V0: number; V1: number; V2: number; rho: number; Fscaling: number }

/** lmerTest::get_Fstat_ddf: the ddf of an F built from q t statistics with ν_m ddf each. */
export function fstatDdf(nu: number[], tol = 1e-8): number {
  if (nu.length === 1) return nu[0];
  if (nu.every((v, m) => m === 0 || Math.abs(v - nu[m - 1]) < tol)) return nu.reduce((s, v) => s + v, 0) / nu.length;
  if (nu.some((v) => v <= 2)) return 2;
  const E = nu.reduce((s, v) => s + v / (v - 2), 0);
  return (2 * E) / (E - nu.length);
}

/**
 * Kenward–Roger's denominator df and F scaling for L (pbkrtest .KR_adjust / Lb_ddf). `Phi` is Lb_ddf's
 * V0, the unadjusted Var(β̂) in Θ = Lᵀ (L Φ Lᵀ)⁻¹ L and u_i = Θ Φ P_i Φ: the REML fit's own (KRmodcomp),
 * or, for emmeans on an ML fit, the ML fit's Var(β̂) beside its REML refit's P_i and W.
 */
export function krDdf(kr: KenwardRogerParts, L: number[][], Phi: Float64Array = kr.Phi): { q: number; df2: number; Fscaling: number; aux: KrAux } {
  const p = Phi.length === 0 ? 0 : Math.round(Math.sqrt(Phi.length));
  const q0 = L.length;
  const Lf = L.flat();
  // Θ = Lᵀ (L Φ Lᵀ)⁻¹ L
  const mid = inverse(congruence(Lf, Phi, q0, p), q0, 'L Φ Lᵀ (the contrast matrix is rank deficient)');
  const Theta = matmul(matmul(transpose(Lf, q0, p), mid, p, q0, q0), Lf, p, q0, p);
  const ThetaPhi = matmul(Theta, Phi, p, p, p);
  const ng = kr.P.length;
  const u = kr.P.map((Pi) => matmul(matmul(ThetaPhi, Pi, p, p, p), Phi, p, p, p));
  const tr = (A: Float64Array) => { let s = 0; for (let i = 0; i < p; i++) s += A[i * p + i]; return s; };
  let A1 = 0, A2 = 0;
  for (let i = 0; i < ng; i++) {
    for (let j = i; j < ng; j++) {
      const e = i === j ? 1 : 2;
      const w = kr.W[i * ng + j];
      A1 += e * w * tr(u[i]) * tr(u[j]);
      // sum(ui * t(uj)) = tr(ui uj)
      let s = 0;
      for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) s += u[i][a * p + b] * u[j][b * p + a];
      A2 += e * w * s;
    }
  }
  const q = matrixRank(Lf, q0, p);
  const B = (1 / (2 * q)) * (A1 + 6 * A2);
  const g = ((q + 1) * A1 - (q + 4) * A2) / ((q + 2) * A2);
  const c1 = g / (3 * q + 2 * (1 - g));
  const c2 = (q - g) / (3 * q + 2 * (1 - g));
  const c3 = (q + 2 - g) / (3 * q + 2 * (1 - g));
  let V0 = 1 + c1 * B;
  const V1 = 1 - c2 * B;
  const V2 = 1 - c3 * B;
  if (Math.abs(V0) < 1e-10) V0 = 0;
  const x = 1 - A2 / q;
  const ratio = Math.abs(x) < 1e-14 && Math.abs(V1) < 1e-14 ? 1 : x / V1;
  const rho = (1 / q) * ratio * ratio * (V0 / V2);
  const df2 = 4 + (q + 2) / (q * rho - 1);
  const Fscaling = Math.abs(df2 - 2) < 0.01 ? 1 : (df2 * (1 - A2 / q)) / (df2 - 2);
  return { q, df2, Fscaling, aux: { A1, A2, V0, V1, V2, rho, Fscaling } };
}

/** a basis of the row space of L: the rows vᵀL for the eigenvectors v of L Lᵀ with non-negligible eigenvalues */
export function rowBasis(L: number[][], p: number): number[][] {
  const q0 = L.length;
  if (q0 === 1) return L;
  const Lf = L.flat();
  const eig = symmetricEigen(matmul(Lf, transpose(Lf, q0, p), q0, p, q0), q0);
  const tol = Math.max(q0, p) * Number.EPSILON * Math.max(eig.values[0], 0);
  const out: number[][] = [];
  for (let m = 0; m < q0; m++) {
    if (!(eig.values[m] > tol)) continue;
    const row = new Array<number>(p).fill(0);
    for (let r = 0; r < q0; r++) for (let c = 0; c < p; c++) row[c] += eig.vectors[r * q0 + m] * Lf[r * p + c];
    out.push(row);
  }
  return out;
}

/** xᵀ M x for M n × n row-major */
function qform(x: ArrayLike<number>, M: ArrayLike<number>, n: number): number {
  let s = 0;
  for (let a = 0; a < n; a++) {
    if (x[a] === 0) continue;
    let r = 0;
    for (let b = 0; b < n; b++) r += M[a * n + b] * x[b];
    s += x[a] * r;
  }
  return s;
}

/** numerical rank of an r × c matrix: singular values ≥ max(r, c) ε times the largest (Matrix::rankMatrix's default) */
function matrixRank(A: ArrayLike<number>, r: number, c: number): number {
  const sv = Array.from(symmetricEigen(matmul(A, transpose(A, r, c), r, c, r), r).values, (x) => Math.sqrt(Math.max(x, 0)));
  const tol = Math.max(r, c) * Number.EPSILON * Math.max(...sv);
  return sv.filter((x) => x >= tol && x > 0).length;
}
