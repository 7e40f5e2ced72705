/**
 * Hard cases for the precision of the WebGPU backend's f32 objective (test/gpu/precision.test.ts),
 * and a first-order bound on the error that f32 arithmetic allows in that objective.
 *
 * The bound (GpuErrorModel.bound) follows the GPU's computation (src/backend/webgpu/blockdiag.ts,
 * shaders/blockdiag.wgsl, webgpuBackend.ts) step by step. The GPU receives the first block's entries
 * of the float64 Gram matrix of the centred data (A_zz,g, A_Xz,g per group) rounded to f32; A_XX
 * stays in float64 on the CPU. With u = 2⁻²⁴ (f32 unit roundoff), the GPU's objective at θ is, to
 * first order, the exact objective of the centred data at θ rounded to f32, with
 *   - each per-group Gram entry A_g,ab of the z rows (first random-effects block, [z x y] columns,
 *     a or b among the z columns) perturbed by at most ε_g · Aabs_g,ab, where
 *     Aabs_g,ab = Σ_{i∈g} |v_ia v_ib| ≥ |A_g,ab|, and ε_g = u (1 + 2q + 3):
 *       u         the float64 entry rounded to f32,
 *       (2q+3) u  the per-group factor (A_zz T, L_X = A_xz T L⁻ᵀ: sums of ≤ q terms, WGSL's
 *                 division 2.5 ULP); the [X y] × [X y] entries (A_XX) are exact;
 *   - each M_g = Tᵀ A_zz,g T + I perturbed by ε_M · Mabs_g, ε_M = (2q + 4) u (forming M: 2q-term
 *     sums; Cholesky, backward error γ_{q+1} |L||Lᵀ| ≤ γ_{q+1} √(M_aa M_bb); WGSL's sqrt 2.5 ULP),
 *     Mabs_g = |T|ᵀ Aabs_zz,g |T| + [√(M_aa M_bb)];
 *   - each product L_X,g L_X,gᵀ perturbed by 2 (q + 1) u √(Aabs_rr,g Aabs_ss,g) (its q-term sums;
 *     |L_X,r|² ≤ A_rr since A_xx,g − L_X,g L_X,gᵀ ⪰ 0);
 *   - the chunk sums of L_X,g L_X,gᵀ and log|L_g|² over C groups in f32 (Kahan-compensated, so
 *     2u would do; the uncompensated bound is kept) perturbed by ε_C = u (3 √C + 1) times
 *     Σ_g |L_X,g L_X,gᵀ| and Σ_g |log|L_g|²| (the f64 sum over chunks is exact enough);
 *   - each log in WGSL (absolute error 2⁻²¹ on [0.5, 2], 3 ULP elsewhere) off by 2q · 2⁻²¹ +
 *     4u |log|L_g|²| per group.
 * The first-order change of the profiled deviance f under these perturbations is bounded by the
 * exact componentwise condition numbers (all computed here in float64 from the centred data):
 *   ∂f/∂A_g  = [[P_g + C_g W C_gᵀ, −C_g W], [−W C_gᵀ, W]]   (q + p + 1 square)
 *   ∂f/∂M_g  = Ω⁻¹_gg + Ũ_g W Ũ_gᵀ
 *   ∂f/∂S    = W = [REML: S_XX⁻¹ ⊕ 0] + (ν / r²) b bᵀ,  b = [−β̂; 1],  ν = n − p (REML) or n
 * where Ω = ΛᵀZᵀZΛ + I, P = Λ Ω⁻¹ Λᵀ, Ũ = Ω⁻¹ ΛᵀZᵀ[X y], C = Λ Ũ = P Zᵀ[X y] (rows of the
 * first block's group g), S the final [X y] Schur complement. For one grouping factor P_g and C_g
 * are the group's own; with more (InstEval) they are those of the whole crossed system, which the
 * CPU half of the backend factors in float64 from the GPU's f32 first block. The bound is
 *   |Δθ-rounding| + Σ_g ε_g Σ_ab |∂f/∂A_g|∘Aabs_g + ε_M Σ_g Σ_ab |∂f/∂M_g|∘Mabs_g
 *   + 2(q+1)u Σ_g Σ_rs |W_rs| √(Aabs_rr,g Aabs_ss,g) + ε_C (Σ_g Σ_rs |W_rs||(L_X,g L_X,gᵀ)_rs| + Σ_g |ld_g|)
 *   + Σ_g (2q 2⁻²¹ + 4u |ld_g|),
 * with Δθ-rounding = f(fround(θ)) − f(θ) computed exactly (the GPU receives T in f32). It is a
 * first-order bound: where ε times a condition number approaches 1 it no longer holds. Its constant
 * factors were fixed from the analysis above, not fitted to the GPU's errors; it adds |·| over groups
 * and entries, so it is typically 10–100× the error seen.
 *
 * The reference the GPU is compared with (GpuErrorModel.accurate) is float64 on the centred X and
 * y − X β₀ (β₀ least squares): the same profiled deviance, without the cancellation that a large
 * offset or a response explained by X costs float64 in the Gram matrix (the CPU backend, which
 * forms the Gram matrix of the uncentred data, is off by up to ~3e-3 relative on these cases).
 */
import type * as arrow from 'apache-arrow';
import { generateLmmData, type SynthOptions } from '../../bench/synth.js';
import { makeFactorVector, makeFloat64Vector, tableFromColumns } from '../../src/io/arrow.js';
import type { LmmModel } from '../../src/lmm/model.js';
import { formGramCpu } from '../../src/backend/cpu/gram.js';
import { BlockedCholesky } from '../../src/linalg/blockedCholesky.js';
import { conditionalVariances, solveLmm } from '../../src/lmm/solution.js';
import { profiledDeviance } from '../../src/lmm/deviance.js';
import { MIN_CHUNK, READBACK_FLOATS } from '../../src/backend/webgpu/blockdiag.js';
import type { GramMatrix } from '../../src/linalg/gram.js';
import { invertGaussJordan } from '../../src/linalg/dense.js';

/** f32 unit roundoff */
export const U32 = 2 ** -24;
/** WGSL's absolute error bound for log on [0.5, 2] */
const LOG_ABS = 2 ** -21;

// ---------------------------------------------------------------------------------------------
// the synthetic hard cases

export interface HardCase {
  name: string;
  formula: string;
  table: arrow.Table;
  REML: boolean;
  factors?: string[];
  /** what makes it hard */
  note: string;
}

const N = 20_000;
const GROUPS = 400;

/** generateLmmData, then columns transformed; the table is rebuilt from the new columns */
function synth(opts: Partial<SynthOptions>, edit: (c: { y: Float64Array; x: Float64Array; w: Float64Array }) => void): arrow.Table {
  const d = generateLmmData({ n: N, groups: GROUPS, seed: 20240611, ...opts });
  const y = Float64Array.from(d.columns.y);
  const x = Float64Array.from(d.columns.x);
  const w = Float64Array.from(d.columns.w);
  edit({ y, x, w });
  const levels = Array.from({ length: GROUPS }, (_, j) => `g${j + 1}`);
  return tableFromColumns([
    ['y', makeFloat64Vector(y)],
    ['x', makeFloat64Vector(x)],
    ['w', makeFloat64Vector(w)],
    ['g', makeFactorVector(Int32Array.from(d.columns.g), levels)],
  ]);
}

/** The synthetic hard cases (20 000 rows, 400 groups of 50; seeded). */
export function syntheticHardCases(): HardCase[] {
  return [
    {
      name: 'uncentred fixed x (mean 1e4)',
      formula: 'y ~ x + (1 | g)',
      REML: true,
      note: 'x = 1e4 + N(0,1) in X only',
      table: synth({ beta: [2, 0.5, 0], sdSlope: 0, seed: 1 }, (c) => { for (let i = 0; i < N; i++) c.x[i] += 1e4; }),
    },
    {
      name: 'uncentred random slope (mean 100)',
      formula: 'y ~ x + (x | g)',
      REML: true,
      note: 'x = 100 + N(0,1) in X and Z; Z is uploaded uncentred',
      table: synth({ beta: [2, 0.5, 0], seed: 2 }, (c) => { for (let i = 0; i < N; i++) c.x[i] += 100; }),
    },
    {
      name: 'group-level w (sd 1e3)',
      formula: 'y ~ x + w + (1 | g)',
      REML: true,
      note: 'w constant within group, between-group sd 1e3, β_w = -0.3',
      table: synth({ beta: [2, 0.5, -0.3], sdSlope: 0, sdW: 1e3, seed: 3 }, () => {}),
    },
    {
      name: 'near-singular (true var 0)',
      formula: 'y ~ x + (1 | g)',
      REML: true,
      note: 'true random-intercept variance 0',
      table: synth({ beta: [2, 0.5, 0], sdIntercept: 0, sdSlope: 0, seed: 4 }, () => {}),
    },
    {
      name: 'response offset 1e6 (ML)',
      formula: 'y ~ x + (1 | g)',
      REML: false,
      note: 'y = 1e6 + signal',
      table: synth({ beta: [2, 0.5, 0], sdSlope: 0, seed: 5 }, (c) => { for (let i = 0; i < N; i++) c.y[i] += 1e6; }),
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// small dense helpers (row-major)

function matmul(A: Float64Array, B: Float64Array, n: number, k: number, m: number): Float64Array {
  const C = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let t = 0; t < k; t++) {
    const a = A[i * k + t];
    if (a === 0) continue;
    for (let j = 0; j < m; j++) C[i * m + j] += a * B[t * m + j];
  }
  return C;
}

function transpose(A: Float64Array, n: number, m: number): Float64Array {
  const T = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) T[j * n + i] = A[i * m + j];
  return T;
}

/** Gauss–Jordan inverse of a small non-singular matrix. */
function inverseSmall(A: Float64Array, n: number): Float64Array {
  const inv = invertGaussJordan(A, n);
  if (!inv) throw new Error('inverseSmall: singular matrix');
  return inv;
}

function logDetSpd(A: Float64Array, n: number): number {
  const L = Float64Array.from(A);
  let ld = 0;
  for (let j = 0; j < n; j++) {
    let d = L[j * n + j];
    for (let k = 0; k < j; k++) d -= L[j * n + k] ** 2;
    d = Math.sqrt(d);
    L[j * n + j] = d;
    ld += 2 * Math.log(d);
    for (let i = j + 1; i < n; i++) {
      let t = L[i * n + j];
      for (let k = 0; k < j; k++) t -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = t / d;
    }
  }
  return ld;
}

// ---------------------------------------------------------------------------------------------
// the error model

export interface ErrorBound {
  /** the accurate float64 objective (see GpuErrorModel.accurate) */
  f64: number;
  /** the float64 objective of the centred data, the system the GPU factors (its derivatives give the bound) */
  centred: number;
  /** f(fround θ) − f(θ): the GPU receives T in f32 */
  thetaRounding: number;
  /** per-group Gram entries of the z rows: rounding to f32, the per-group factor */
  gram: number;
  /** M_g's formation and Cholesky */
  cholesky: number;
  /** the products L_X,g L_X,gᵀ */
  schur: number;
  /** f32 chunk sums of L_X,g L_X,gᵀ and log|L_g|² */
  chunks: number;
  /** WGSL's log */
  logs: number;
  /** the bound: |thetaRounding| + the rest */
  total: number;
  /** the bound without the θ-rounding term, relative to |f64|, divided by u: the case's condition factor */
  condition: number;
}

/**
 * Float64 evaluation of the centred system the GPU sees, and the f32 error bound at θ (see the
 * module comment). Built once per model.
 */
export class GpuErrorModel {
  readonly n: number;
  readonly p: number;
  readonly reml: boolean;
  readonly q: number;
  readonly G: number;
  readonly w: number;
  /** float64 Gram matrix of the centred data (as the backend's CPU half uses) */
  readonly gram: GramMatrix;
  readonly chol: BlockedCholesky;
  /**
   * the same system with y replaced by y − X β₀ (β₀ the float64 least-squares fit on the centred X):
   * the same profiled deviance in exact arithmetic (a shift of β), without the cancellation that a
   * response explained by X (a group-level covariate with a large between-group variance, a large
   * offset) causes in float64 too: the accurate float64 reference
   */
  private readonly accurateChol: BlockedCholesky;
  /** per group of the first block: A_g and Aabs_g, full w × w */
  private readonly A: Float64Array;
  private readonly Aabs: Float64Array;
  /** per group: ε_g / u for the entries of the z rows (the [X y] × [X y] ones are exact) */
  private readonly epsG: number;
  private readonly chunkGroups: number;

  constructor(model: LmmModel) {
    const { n, p } = model.frame;
    this.n = n;
    this.p = p;
    this.reml = model.reml;
    const b0 = model.blocks[0];
    const q = b0.q;
    const G = b0.nl;
    const w = q + p + 1;
    this.q = q;
    this.G = G;
    this.w = w;
    this.gram = formGramCpu({ n, X: model.fixed.Xc, p, y: model.fixed.yc, blocks: model.rows.blocks });
    this.chol = new BlockedCholesky(this.gram, model.theta.length);
    const AXX = this.gram.AXX;
    const XtX = new Float64Array(p * p);
    for (let r = 0; r < p; r++) for (let s = 0; s < p; s++) XtX[r * p + s] = AXX[r * (p + 1) + s];
    const XtXi = inverseSmall(XtX, p);
    const beta0 = new Float64Array(p);
    for (let r = 0; r < p; r++) for (let s = 0; s < p; s++) beta0[r] += XtXi[r * p + s] * AXX[s * (p + 1) + p];
    const yr = Float64Array.from(model.fixed.yc);
    for (let r = 0; r < p; r++) for (let i = 0; i < n; i++) yr[i] -= beta0[r] * model.fixed.Xc[r * n + i];
    this.accurateChol = new BlockedCholesky(formGramCpu({ n, X: model.fixed.Xc, p, y: yr, blocks: model.rows.blocks }), model.theta.length);
    // per-group Gram matrices in float64 from the centred data (rows in the original order)
    this.A = new Float64Array(G * w * w);
    this.Aabs = new Float64Array(G * w * w);
    const v = new Float64Array(w);
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < q; s++) v[s] = b0.Z[i * q + s];
      for (let r = 0; r < p; r++) v[q + r] = model.fixed.Xc[r * n + i];
      v[q + p] = model.fixed.yc[i];
      const o = b0.codes[i] * w * w;
      for (let a = 0; a < w; a++) for (let b = 0; b < w; b++) {
        const t = v[a] * v[b];
        this.A[o + a * w + b] += t;
        this.Aabs[o + a * w + b] += Math.abs(t);
      }
    }
    this.epsG = 1 + 2 * q + 3;
    // the GPU's chunk of groups (src/backend/webgpu/blockdiag.ts)
    const E = 1 + ((p + 1) * (p + 2)) / 2;
    this.chunkGroups = Math.min(G, Math.max(MIN_CHUNK, Math.ceil(G / Math.max(1, Math.floor(READBACK_FLOATS / (2 * E))))));
  }

  /** the float64 profiled deviance of the centred data at θ */
  f64(theta: ArrayLike<number>): number {
    this.chol.factor(theta);
    return profiledDeviance({ ldL2: this.chol.ldL2, ldRX2: this.chol.ldRX2, pwrss: this.chol.pwrss }, this.n, this.p, this.reml);
  }

  /** the accurate float64 profiled deviance at θ (centred X, y − X β₀) */
  accurate(theta: ArrayLike<number>): number {
    const c = this.accurateChol;
    c.factor(theta);
    return profiledDeviance({ ldL2: c.ldL2, ldRX2: c.ldRX2, pwrss: c.pwrss }, this.n, this.p, this.reml);
  }

  bound(theta: Float64Array): ErrorBound {
    const { n, p, q, G, w, reml, chol } = this;
    const p1 = p + 1;
    const f32theta = Float64Array.from(theta, Math.fround);
    const fRounded = this.f64(f32theta);
    const f = this.f64(theta);
    const thetaRounding = fRounded - f;
    // W = ∂f/∂S for the final [X y] Schur complement S = L_XX L_XXᵀ
    const S = new Float64Array(p1 * p1);
    for (let r = 0; r < p1; r++) for (let s = 0; s < p1; s++) {
      let acc = 0;
      for (let t = 0; t <= Math.min(r, s); t++) acc += chol.LXX[r * p1 + t] * chol.LXX[s * p1 + t];
      S[r * p1 + s] = acc;
    }
    const SXX = new Float64Array(p * p);
    for (let r = 0; r < p; r++) for (let s = 0; s < p; s++) SXX[r * p + s] = S[r * p1 + s];
    const SXXi = inverseSmall(SXX, p);
    const bvec = new Float64Array(p1);
    for (let r = 0; r < p; r++) {
      let acc = 0;
      for (let s = 0; s < p; s++) acc += SXXi[r * p + s] * S[s * p1 + p];
      bvec[r] = -acc;
    }
    bvec[p] = 1;
    const pwrss = chol.pwrss;
    const nu = reml ? n - p : n;
    const W = new Float64Array(p1 * p1);
    for (let r = 0; r < p1; r++) for (let s = 0; s < p1; s++) {
      W[r * p1 + s] = (nu / pwrss) * bvec[r] * bvec[s] + (reml && r < p && s < p ? SXXi[r * p + s] : 0);
    }
    // Ũ = Ω⁻¹ΛᵀZᵀ[X y] and C = ΛŨ, first block: back-substitutions with each row of L_XZ
    const U = new Float64Array(G * q * p1);
    const C = new Float64Array(G * q * p1);
    for (let r = 0; r < p1; r++) {
      const rows = chol.LXk.map((L, k) => L.subarray(r * chol.m[k], (r + 1) * chol.m[k]));
      const one = Object.create(chol, { p1: { value: 1 }, LXk: { value: rows } }) as BlockedCholesky;
      const sol = solveLmm(one, n, reml);
      for (let e = 0; e < G * q; e++) {
        U[e * p1 + r] = sol.u[0][e];
        C[e * p1 + r] = sol.b[0][e];
      }
    }
    // Ω⁻¹_gg: the conditional covariance with T = I and σ = 1
    const eye = new Float64Array(q * q);
    for (let s = 0; s < q; s++) eye[s * q + s] = 1;
    const unit = Object.create(chol, { T: { value: chol.T.map((t, k) => (k === 0 ? eye : t)) } }) as BlockedCholesky;
    const OmegaInv = conditionalVariances(unit, 1)[0];
    const T = chol.T[0];
    const Tt = transpose(T, q, q);
    const absT = T.map(Math.abs);
    const absTt = transpose(absT, q, q);

    let gramTerm = 0, cholTerm = 0, schurTerm = 0, chunkS = 0, sumAbsLd = 0;
    const ww = w * w;
    for (let g = 0; g < G; g++) {
      const Ag = this.A.subarray(g * ww, (g + 1) * ww);
      const Bg = this.Aabs.subarray(g * ww, (g + 1) * ww);
      const Oi = OmegaInv.subarray(g * q * q, (g + 1) * q * q);
      const Pg = matmul(matmul(T, Oi, q, q, q), Tt, q, q, q);
      const Cg = C.subarray(g * q * p1, (g + 1) * q * p1);
      const Ug = U.subarray(g * q * p1, (g + 1) * q * p1);
      const CW = matmul(Cg, W, q, p1, p1);
      const CWC = matmul(CW, transpose(Cg, q, p1), q, p1, q);
      const UWU = matmul(matmul(Ug, W, q, p1, p1), transpose(Ug, q, p1), q, p1, q);
      // Σ |∂f/∂A_g| ∘ Aabs_g
      let kA = 0;
      for (let a = 0; a < w; a++) for (let b = 0; b < w; b++) {
        let d: number;
        if (a < q && b < q) d = Pg[a * q + b] + CWC[a * q + b];
        else if (a < q) d = -CW[a * p1 + (b - q)];
        else if (b < q) d = -CW[b * p1 + (a - q)];
        else continue; // A_XX: exact in float64
        kA += Math.abs(d) * Bg[a * w + b];
      }
      gramTerm += this.epsG * kA;
      // M_g = Tᵀ A_zz T + I and its componentwise magnitude
      const Azz = new Float64Array(q * q);
      const Bzz = new Float64Array(q * q);
      for (let a = 0; a < q; a++) for (let b = 0; b < q; b++) { Azz[a * q + b] = Ag[a * w + b]; Bzz[a * q + b] = Bg[a * w + b]; }
      const M = matmul(matmul(Tt, Azz, q, q, q), T, q, q, q);
      for (let a = 0; a < q; a++) M[a * q + a] += 1;
      const Mabs = matmul(matmul(absTt, Bzz, q, q, q), absT, q, q, q);
      let kM = 0;
      for (let a = 0; a < q; a++) for (let b = 0; b < q; b++) {
        const mab = Mabs[a * q + b] + Math.sqrt(M[a * q + a] * M[b * q + b]);
        kM += Math.abs(Oi[a * q + b] + UWU[a * q + b]) * mab;
      }
      cholTerm += kM;
      // the group's L_X,g L_X,gᵀ = A_xz T M⁻¹ Tᵀ A_zx and log|L_g|²
      const Mi = inverseSmall(M, q);
      const Azx = new Float64Array(q * p1);
      for (let a = 0; a < q; a++) for (let r = 0; r < p1; r++) Azx[a * p1 + r] = Ag[a * w + q + r];
      const TtAzx = matmul(Tt, Azx, q, q, p1);
      const proj = matmul(transpose(TtAzx, q, p1), matmul(Mi, TtAzx, q, q, p1), p1, q, p1);
      for (let r = 0; r < p1; r++) for (let s = 0; s < p1; s++) {
        chunkS += Math.abs(W[r * p1 + s]) * Math.abs(proj[r * p1 + s]);
        schurTerm += Math.abs(W[r * p1 + s]) * Math.sqrt(Bg[(q + r) * w + q + r] * Bg[(q + s) * w + q + s]);
      }
      sumAbsLd += Math.abs(logDetSpd(M, q));
    }
    const u = U32;
    const gram = u * gramTerm;
    const cholesky = (2 * q + 4) * u * cholTerm;
    const schur = 2 * (q + 1) * u * schurTerm;
    const chunks = (3 * Math.sqrt(this.chunkGroups) + 1) * u * (chunkS + sumAbsLd);
    const logs = G * 2 * q * LOG_ABS + 4 * u * sumAbsLd;
    const rest = gram + cholesky + schur + chunks + logs;
    const total = Math.abs(thetaRounding) + rest;
    // leave the factor at θ
    this.f64(theta);
    return { f64: this.accurate(theta), centred: f, thetaRounding, gram, cholesky, schur, chunks, logs, total, condition: rest / Math.abs(f) / u };
  }

  /**
   * A check of the derivative ∂f/∂A_g used by `bound`: the first-order prediction of the change of f
   * when every first-block Gram entry moves by h · sign(∂f/∂A_g,ab) · Aabs_g,ab, against the float64
   * change of f on the so perturbed Gram matrix (central difference).
   */
  checkGramDerivative(theta: Float64Array, h = 1e-9): { predicted: number; measured: number } {
    const { q, G, w, p } = this;
    const p1 = p + 1;
    // signs of ∂f/∂A_g from the same quantities as `bound` (recomputed here for clarity)
    const saved = this.gramSnapshot();
    const dirs = this.gramDirections(theta);
    const evalAt = (step: number): number => {
      this.restoreGram(saved);
      const g0 = this.gram;
      for (let g = 0; g < G; g++) {
        const D = dirs.D.subarray(g * w * w, (g + 1) * w * w);
        for (let a = 0; a < q; a++) for (let b = 0; b < q; b++) g0.Akk[0][g * q * q + a * q + b] += step * D[a * w + b];
        const m = G * q;
        for (let r = 0; r < p1; r++) for (let a = 0; a < q; a++) g0.AXk[0][r * m + g * q + a] += step * D[(q + r) * w + a];
        for (let r = 0; r < p1; r++) for (let s = 0; s < p1; s++) g0.AXX[r * p1 + s] += step * D[(q + r) * w + q + s];
      }
      return this.f64(theta);
    };
    const measured = (evalAt(h) - evalAt(-h)) / (2 * h);
    this.restoreGram(saved);
    this.f64(theta);
    return { predicted: dirs.predicted, measured };
  }

  private gramSnapshot(): { Akk: Float64Array; AXk: Float64Array; AXX: Float64Array } {
    return { Akk: Float64Array.from(this.gram.Akk[0]), AXk: Float64Array.from(this.gram.AXk[0]), AXX: Float64Array.from(this.gram.AXX) };
  }

  private restoreGram(s: { Akk: Float64Array; AXk: Float64Array; AXX: Float64Array }): void {
    this.gram.Akk[0].set(s.Akk);
    this.gram.AXk[0].set(s.AXk);
    this.gram.AXX.set(s.AXX);
  }

  /** D_g = sign(∂f/∂A_g) ∘ Aabs_g and Σ |∂f/∂A_g| ∘ Aabs_g (unweighted) */
  private gramDirections(theta: Float64Array): { D: Float64Array; predicted: number } {
    const { q, G, w, p, chol, n, reml } = this;
    const p1 = p + 1;
    this.f64(theta);
    const S = new Float64Array(p1 * p1);
    for (let r = 0; r < p1; r++) for (let s = 0; s < p1; s++) {
      let acc = 0;
      for (let t = 0; t <= Math.min(r, s); t++) acc += chol.LXX[r * p1 + t] * chol.LXX[s * p1 + t];
      S[r * p1 + s] = acc;
    }
    const SXX = new Float64Array(p * p);
    for (let r = 0; r < p; r++) for (let s = 0; s < p; s++) SXX[r * p + s] = S[r * p1 + s];
    const SXXi = inverseSmall(SXX, p);
    const bvec = new Float64Array(p1);
    for (let r = 0; r < p; r++) {
      let acc = 0;
      for (let s = 0; s < p; s++) acc += SXXi[r * p + s] * S[s * p1 + p];
      bvec[r] = -acc;
    }
    bvec[p] = 1;
    const nu = reml ? n - p : n;
    const W = new Float64Array(p1 * p1);
    for (let r = 0; r < p1; r++) for (let s = 0; s < p1; s++) {
      W[r * p1 + s] = (nu / chol.pwrss) * bvec[r] * bvec[s] + (reml && r < p && s < p ? SXXi[r * p + s] : 0);
    }
    const C = new Float64Array(G * q * p1);
    for (let r = 0; r < p1; r++) {
      const rows = chol.LXk.map((L, k) => L.subarray(r * chol.m[k], (r + 1) * chol.m[k]));
      const one = Object.create(chol, { p1: { value: 1 }, LXk: { value: rows } }) as BlockedCholesky;
      const sol = solveLmm(one, n, reml);
      for (let e = 0; e < G * q; e++) C[e * p1 + r] = sol.b[0][e];
    }
    const P = conditionalVariances(chol, 1)[0];
    const D = new Float64Array(G * w * w);
    let predicted = 0;
    for (let g = 0; g < G; g++) {
      const Pg = P.subarray(g * q * q, (g + 1) * q * q);
      const Cg = C.subarray(g * q * p1, (g + 1) * q * p1);
      const CW = matmul(Cg, W, q, p1, p1);
      const CWC = matmul(CW, transpose(Cg, q, p1), q, p1, q);
      for (let a = 0; a < w; a++) for (let b = 0; b < w; b++) {
        let d: number;
        if (a < q && b < q) d = Pg[a * q + b] + CWC[a * q + b];
        else if (a < q) d = -CW[a * p1 + (b - q)];
        else if (b < q) d = -CW[b * p1 + (a - q)];
        else d = W[(a - q) * p1 + (b - q)];
        const m = this.Aabs[g * w * w + a * w + b];
        D[g * w * w + a * w + b] = Math.sign(d) * m;
        predicted += Math.abs(d) * m;
      }
    }
    return { D, predicted };
  }
}
