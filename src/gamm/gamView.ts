/**
 * gamm4's `gam` view of the lmer fit (the second half of gamm4()): the smooths' coefficients in their
 * constrained bases, their covariance Vp, each coefficient's effective degrees of freedom, fitted values
 * of the fixed and smooth parts, and what summary.gam, predict.gam and plot.gam show. With f the
 * parametric and smooth coefficients' design Xf (n × P: the parametric columns, then each smooth's
 * constrained basis), B = blockdiag(I, U_s D_s) (the smooths' mixed-model parametrization, so that
 * Xf B = [X_p, Z_r, X_Fx]) and the marginal covariance of the other random effects
 *
 *   V = σ² (I + Z_o Λ_o Λ_oᵀ Z_oᵀ),  V⁻¹ = σ⁻² (I − W (I + WᵀW)⁻¹ Wᵀ),  W = Z_o Λ_o   (Woodbury)
 *
 * gamm4 computes
 *   XVX = Xfᵀ V⁻¹ Xf,
 *   Vb  = (Bᵀ XVX B + P)⁻¹,  P = diag(1/σ²_s on each smooth's penalized coordinates, 0 elsewhere)
 *         (σ²_s = (σ θ_s)²; a smooth at σ²_s = 0 gets gamm4's sp = 1e10: 1e10/σ²),
 *   Vp  = B Vb Bᵀ,   edf_j = (Vp XVX)_jj,   β̂ = [β_p; U_s D_s (b̂_r, β̂_Fx)],
 *   fitted = Xf β̂ (the population level: no other random effects),
 * and summary.gam's parametric t tests on n − Σ edf residual degrees of freedom and its
 *   R²(adj) = 1 − var(y − fitted) (n − 1) / (var(y) (n − Σ edf)).
 * Each smooth's approximate significance test (summary.gam's Wood 2013 test) is ./smoothTable.ts's.
 */
import * as arrow from 'apache-arrow';
import { spdInverse } from '../linalg/dense.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { newDataDesign } from '../results/predict.js';
import { pvalueT } from '../stats/distributions.js';
import { ModelError, DataError } from '../errors/errors.js';
import { toArrowTable, type DataInput } from '../io/dataInput.js';
import { makeFloat64Vector } from '../io/arrow.js';
import type { GammSetup } from './setup.js';
import { type SmoothTest, penaltyMatrix, smoothTable } from './smoothTable.js';

/** One smooth in the gam view. */
export interface GamSmooth {
  /** `s(x)`, `s(x):fa` (a factor by's level), `s(x):z` (a numeric by), `t2(x,z)` */
  label: string;
  /** s() or t2() */
  kind: 's' | 't2';
  /** the (first) covariate and all of them */
  term: string;
  terms: string[];
  /** the by variable (and a factor by's level) */
  by?: { column: string; level?: string };
  /** the basis (a t2's first margin's; `margins` has each) */
  bs: 'tp' | 'cr' | 'cc' | 'ps';
  k: number;
  /** a t2's margins: covariate, basis and dimension each */
  margins?: { term: string; bs: 'tp' | 'cr' | 'cc' | 'ps'; k: number }[];
  /** its coefficients' positions in `coefficients` (0-based, end exclusive) */
  first: number;
  last: number;
  /** Σ of its coefficients' edf */
  edf: number;
  /** the SD of its random effects (gamm4's Xr variance component, σ θ_s; a t2's first penalty's) */
  sd: number;
  /** gamm4's smoothing parameter σ²/σ²_s (1e10 at σ²_s = 0; a t2's first penalty's) */
  sp: number;
  /** the penalty's null space left after the constraint (its fixed effects' columns; 0: a cyclic smooth, tested by reTest) */
  nullSpaceDim: number;
  /** each penalty's SD and smoothing parameter (one for s(); a t2's `rr`, `nr`, `rn`, … in order) */
  sds: number[];
  sps: number[];
  /** summary.gam's test of the smooth: Ref.df, Chi.sq (T_r), F (T_r / Ref.df, scale estimated) and p-value */
  refDf: number;
  chiSq: number;
  F: number | null;
  pValue: number;
}

/** summary.gam's parametric coefficients table. */
export interface ParametricTable {
  names: string[];
  estimate: number[];
  se: number[];
  t: number[];
  p: number[];
}

/** One smooth's values on a grid with ± 2 SE (plot.gam's data; a by smooth's with by = 1). */
export interface SmoothPlotData {
  label: string;
  /** the first covariate's values (a t2's grid: it varies fastest, as expand.grid) */
  x: number[];
  /** a t2 smooth's second covariate on the grid */
  z?: number[];
  fit: number[];
  se: number[];
  lower: number[];
  upper: number[];
}

export interface GamView {
  formula: string;
  smooths: GamSmooth[];
  /** coefficients: the parametric ones, then each smooth's (gamm4's names: `s(x).1`, …) */
  coefficients: Float64Array;
  names: string[];
  /** their covariance (P × P, row-major): gamm4's Vp */
  Vp: Float64Array;
  /** each coefficient's effective degrees of freedom */
  edf: Float64Array;
  /** σ² */
  sig2: number;
  /** whether σ² is estimated (gamm4: unless it is 1 or not finite): summary.gam's F tests, else χ² */
  scaleEstimated: boolean;
  /** Xf β̂: the fixed and smooth parts at the data's rows */
  fitted: Float64Array;
  /** n − Σ edf */
  dfResidual: number;
  parametric: ParametricTable;
  rSq: number;
  /** lme4's REML criterion (or the deviance of an ML fit): gamm4's gcv.ubre */
  criterion: number;
  n: number;
}

/** P × P, row-major: Aᵀ V⁻¹ C for n × P row-major A and C (Woodbury on the other random effects). */
export function crossV(A: Float64Array, C: Float64Array, n: number, pa: number, pc: number, W: Float64Array | null, Minv: Float64Array | null, Q: number, sigma2: number): Float64Array {
  const out = new Float64Array(pa * pc);
  for (let i = 0; i < n; i++) for (let a = 0; a < pa; a++) { const v = A[i * pa + a]; if (v !== 0) for (let c = 0; c < pc; c++) out[a * pc + c] += v * C[i * pc + c]; }
  if (W && Minv) {
    // Aᵀ W M⁻¹ Wᵀ C
    const WA = new Float64Array(Q * pa), WC = new Float64Array(Q * pc);
    for (let i = 0; i < n; i++) for (let q = 0; q < Q; q++) {
      const w = W[i * Q + q];
      if (w === 0) continue;
      for (let a = 0; a < pa; a++) WA[q * pa + a] += w * A[i * pa + a];
      for (let c = 0; c < pc; c++) WC[q * pc + c] += w * C[i * pc + c];
    }
    const MWC = new Float64Array(Q * pc);
    for (let q = 0; q < Q; q++) for (let r = 0; r < Q; r++) { const m = Minv[q * Q + r]; if (m !== 0) for (let c = 0; c < pc; c++) MWC[q * pc + c] += m * WC[r * pc + c]; }
    for (let q = 0; q < Q; q++) for (let a = 0; a < pa; a++) { const v = WA[q * pa + a]; if (v !== 0) for (let c = 0; c < pc; c++) out[a * pc + c] -= v * MWC[q * pc + c]; }
  }
  for (let e = 0; e < out.length; e++) out[e] /= sigma2;
  return out;
}

/** The other random effects' W = Z_o Λ_o (n × Q, row-major) from the fit's terms that are not smooths. */
export function otherRandomEffects(mer: LmmFit | GlmmFit): { W: Float64Array; Q: number } | null {
  const { reTerms, n } = mer.model.frame;
  let offset = 0;
  const parts: { t: (typeof reTerms)[number]; T: Float64Array; col: number }[] = [];
  let Q = 0;
  for (const t of reTerms) {
    const q = t.q;
    if (t.term.smooth === undefined) {
      // T: the term's lower-triangular template from θ (column-major vech)
      const T = new Float64Array(q * q);
      let e = offset;
      for (let j = 0; j < q; j++) for (let i = j; i < q; i++) T[i * q + j] = mer.theta[e++];
      parts.push({ t, T, col: Q });
      Q += t.levels.length * q;
    }
    offset += (q * (q + 1)) / 2;
  }
  if (Q === 0) return null;
  if (Q > 20000) throw new ModelError(`gamm4's Vp needs the other random effects' ${Q} columns densely (at most 20000 here)`);
  const W = new Float64Array(n * Q);
  for (const { t, T, col } of parts) {
    const q = t.q;
    for (let i = 0; i < n; i++) {
      const base = col + t.codes[i] * q;
      for (let j = 0; j < q; j++) { let s = 0; for (let l = j; l < q; l++) s += t.Z[i * q + l] * T[l * q + j]; W[i * Q + base + j] = s; }
    }
  }
  return { W, Q };
}

/** What predictions and plots read of a gam view (the Gaussian one here, or the GLMM one of ./glmmGamView.ts). */
export type GamCore = Pick<GamView, 'coefficients' | 'Vp' | 'smooths'>;

/** The gam view's internal state, for predictions and plots. */
export interface GamState<V extends GamCore = GamView, M extends LmmFit | GlmmFit = LmmFit> {
  view: V;
  setup: GammSetup;
  mer: M;
  /** the parametric columns' names in the mer's X */
  paramNames: string[];
}

/** The gam view's pieces assembled from the mer's estimates (./glmmGamView.ts's too, with σ = 1). */
export interface GamAssembly {
  /** the parametric columns' names in the mer's X, their number, and P = np + Σ p_s */
  paramNames: string[];
  np: number;
  P: number;
  /** Xf (n × P, row-major): the parametric columns, then each smooth's constrained basis */
  Xf: Float64Array;
  /** B = blockdiag(I_np, U_s D_s): the mixed-model form's coefficients → the bases' */
  B: Float64Array;
  /** the penalty's diagonal in the mixed-model coordinates: 1/(σ θ_s)² on each smooth's penalized part (1e10/σ² at θ_s = 0) */
  pen: Float64Array;
  /** β in the bases, B [b̂_r; β̂_Fx] per smooth, and their names */
  coefficients: Float64Array;
  names: string[];
  /** each smooth's entry (edf and the tests filled in later) */
  smooths: GamSmooth[];
}

/**
 * gamm4's way back from the mixed-model form (gamm4.setup's X U D^{-1/2} = [Z_r | X_Fx]): each smooth's
 * coefficients β_s = U D [b̂_r; β̂_Fx], its smoothing parameter sp = σ²/(σ θ_s)², the penalties and the
 * design Xf; σ the residual SD of a Gaussian mer, 1 for a binomial or Poisson one.
 */
export function gamAssembly(mer: LmmFit | GlmmFit, setup: GammSetup, sigma: number): GamAssembly {
  const { frame } = mer.model;
  const n = frame.n;
  const fxAll = new Set(setup.smooths.flatMap((s) => s.fxNames));
  const paramIdx = frame.xnames.map((nm, j) => (fxAll.has(nm) || fxAll.has(nm.replace(/^`|`$/g, '')) ? -1 : j)).filter((j) => j >= 0);
  const paramNames = paramIdx.map((j) => frame.xnames[j]);
  const np = paramIdx.length;
  const P = np + setup.smooths.reduce((s, sm) => s + sm.basis.p, 0);
  // Xf (n × P, row-major) and B
  const Xf = new Float64Array(n * P);
  for (let i = 0; i < n; i++) paramIdx.forEach((j, c) => { Xf[i * P + c] = frame.X[j * n + i]; });
  const B = new Float64Array(P * P);
  for (let c = 0; c < np; c++) B[c * P + c] = 1;
  const sigma2 = sigma * sigma;
  const pen = new Float64Array(P);
  const coefficients = new Float64Array(P);
  paramIdx.forEach((j, c) => { coefficients[c] = mer.beta[j]; });
  const names = [...paramNames];
  const smooths: GamSmooth[] = [];
  let at = np;
  // the θ entry of each smooth's term (its first diagonal entry)
  const thetaAt = new Map<string, number>();
  let off = 0;
  for (const t of frame.reTerms) { if (t.term.smooth !== undefined) thetaAt.set(t.group, mer.theta[off]); off += (t.q * (t.q + 1)) / 2; }
  for (const s of setup.smooths) {
    const p = s.basis.p, { U, D, r } = s.form;
    for (let i = 0; i < n; i++) for (let c = 0; c < p; c++) Xf[i * P + at + c] = s.basis.X[i * p + c];
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) B[(at + a) * P + at + b] = U[a * p + b] * D[b];
    // each penalty's term (one for s(), one per block of a t2): θ_s, sp = σ²/(σ θ_s)², its conditional modes
    const mixed = new Float64Array(p);
    const sds: number[] = [], sps: number[] = [];
    let col = 0;
    s.groups.forEach((group, g) => {
      const size = s.form.blocks[g];
      const thetaS = thetaAt.get(group) ?? 0;
      const vr = (sigma * thetaS) ** 2;
      const sp = vr > 0 ? sigma2 / vr : 1e10;
      for (let j = 0; j < size; j++) pen[at + col + j] = sp / sigma2;
      const k = mer.model.blocks.findIndex((b) => b.group === group);
      const br = k >= 0 ? mer.conditionalModes(k) : new Float64Array(size);
      for (let j = 0; j < size; j++) mixed[col + j] = br[j];
      sds.push(sigma * thetaS);
      sps.push(sp);
      col += size;
    });
    s.fxNames.forEach((nm, j) => {
      const x = frame.xnames.findIndex((xn) => xn === nm || xn === `\`${nm}\``);
      mixed[r + j] = x >= 0 ? mer.beta[x] : 0;
    });
    // [b̂_r; β̂_Fx] → β̂ = U D (·)
    for (let a = 0; a < p; a++) { let v = 0; for (let b = 0; b < p; b++) v += B[(at + a) * P + at + b] * mixed[b]; coefficients[at + a] = v; }
    const label = s.basis.label;
    for (let c = 0; c < p; c++) names.push(`${label}.${c + 1}`);
    smooths.push({
      label, kind: s.basis.kind, term: s.basis.term, terms: s.basis.terms, ...(s.basis.by ? { by: s.basis.by } : {}), bs: s.basis.bs, k: s.basis.k, ...(s.basis.margins ? { margins: s.basis.margins } : {}),
      first: at, last: at + p, edf: 0, sd: sds[0], sp: sps[0], sds, sps, nullSpaceDim: s.form.nf, refDf: NaN, chiSq: NaN, F: null, pValue: NaN,
    });
    at += p;
  }
  return { paramNames, np, P, Xf, B, pen, coefficients, names, smooths };
}

/**
 * gamm4's Vp and edf from the view's cross-product XVX = Xfᵀ V⁻¹ Xf (scaled as the caller's view needs):
 *   Vb = (Bᵀ XVX B + diag(pen))⁻¹,  Vp = B Vb Bᵀ,  edf_j = (Vp XVX)_jj, and each smooth's edf its columns' sum
 * (set on `smooths`).
 */
export function penalizedCovariance(XVX: Float64Array, B: Float64Array, pen: Float64Array, P: number, smooths: GamSmooth[]): { Vp: Float64Array; edf: Float64Array } {
  // Bᵀ XVX B + P
  const XB = new Float64Array(P * P);
  for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) { let v = 0; for (let c = 0; c < P; c++) v += XVX[a * P + c] * B[c * P + b]; XB[a * P + b] = v; }
  const H = new Float64Array(P * P);
  for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) { let v = 0; for (let c = 0; c < P; c++) v += B[c * P + a] * XB[c * P + b]; H[a * P + b] = v; }
  for (let a = 0; a < P; a++) H[a * P + a] += pen[a];
  const Vb = spdInverse(H, P, "the smooths' penalized information").inv;
  // Vp = B Vb Bᵀ
  const BV = new Float64Array(P * P);
  for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) { let v = 0; for (let c = 0; c < P; c++) v += B[a * P + c] * Vb[c * P + b]; BV[a * P + b] = v; }
  const Vp = new Float64Array(P * P);
  for (let a = 0; a < P; a++) for (let b = 0; b <= a; b++) { let v = 0; for (let c = 0; c < P; c++) v += BV[a * P + c] * B[b * P + c]; Vp[a * P + b] = Vp[b * P + a] = v; }
  const edf = new Float64Array(P);
  for (let j = 0; j < P; j++) { let v = 0; for (let l = 0; l < P; l++) v += Vp[j * P + l] * XVX[l * P + j]; edf[j] = v; }
  for (const s of smooths) { let e = 0; for (let j = s.first; j < s.last; j++) e += edf[j]; s.edf = e; }
  return { Vp, edf };
}

/**
 * gam.setup's G$P where a smooth has mgcv's separate prediction constraint (t2): with Xp the design whose
 * t2 smooths use their prediction-constrained basis (../smooth/t2Smooth.ts) and Xf the fit's, Xf = Xp G
 * exactly (the same column space: the intercept's constant lies in the t2's null space), G = (XpᵀXp)⁻¹XpᵀXf;
 * gamm4 then reports β ← G β and Vp ← G Vp Gᵀ (after the edf, which stay the fit's). Null where no smooth has one.
 */
export function predictionMap(setup: GammSetup, Xf: Float64Array, n: number, P: number, smooths: readonly GamSmooth[]): Float64Array | null {
  if (!setup.smooths.some((s) => s.basis.Xp)) return null;
  const Xp = Float64Array.from(Xf);
  setup.smooths.forEach((s, k) => {
    if (!s.basis.Xp) return;
    const { first } = smooths[k], p = s.basis.p;
    for (let i = 0; i < n; i++) for (let c = 0; c < p; c++) Xp[i * P + first + c] = s.basis.Xp[i * p + c];
  });
  // XpᵀXp and XpᵀXf
  const A = new Float64Array(P * P), Bm = new Float64Array(P * P);
  for (let i = 0; i < n; i++) for (let a = 0; a < P; a++) {
    const v = Xp[i * P + a];
    if (v === 0) continue;
    for (let b = 0; b < P; b++) { A[a * P + b] += v * Xp[i * P + b]; Bm[a * P + b] += v * Xf[i * P + b]; }
  }
  const Ainv = spdInverse(A, P, "the prediction parametrization's cross-product").inv;
  const G = new Float64Array(P * P);
  for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) { let v = 0; for (let c = 0; c < P; c++) v += Ainv[a * P + c] * Bm[c * P + b]; G[a * P + b] = v; }
  return G;
}

/** β ← G β and Vp ← G Vp Gᵀ (gamm4's last step with gam.setup's G$P). */
export function applyPredictionMap(G: Float64Array, P: number, coefficients: Float64Array, Vp: Float64Array): { coefficients: Float64Array; Vp: Float64Array } {
  const b = new Float64Array(P);
  for (let a = 0; a < P; a++) { let v = 0; for (let c = 0; c < P; c++) v += G[a * P + c] * coefficients[c]; b[a] = v; }
  const GV = new Float64Array(P * P);
  for (let a = 0; a < P; a++) for (let c = 0; c < P; c++) { let v = 0; for (let l = 0; l < P; l++) v += G[a * P + l] * Vp[l * P + c]; GV[a * P + c] = v; }
  const V = new Float64Array(P * P);
  for (let a = 0; a < P; a++) for (let c = 0; c <= a; c++) { let v = 0; for (let l = 0; l < P; l++) v += GV[a * P + l] * G[c * P + l]; V[a * P + c] = V[c * P + a] = v; }
  return { coefficients: b, Vp: V };
}

/** Stage: the lmer fit and the setup → gamm4's gam view. */
export function gamView(mer: LmmFit, setup: GammSetup, formula: string): GamState {
  const { frame } = mer.model;
  const n = frame.n;
  const sigma = mer.sigma, sigma2 = sigma * sigma;
  const { paramNames, np, P, Xf, B, pen, coefficients: fitCoefficients, names, smooths } = gamAssembly(mer, setup, sigma);
  // XVX = Xfᵀ V⁻¹ Xf
  const other = otherRandomEffects(mer);
  let Minv: Float64Array | null = null;
  if (other) {
    const { W, Q } = other;
    const M = new Float64Array(Q * Q);
    for (let i = 0; i < n; i++) for (let a = 0; a < Q; a++) { const v = W[i * Q + a]; if (v !== 0) for (let b = 0; b < Q; b++) M[a * Q + b] += v * W[i * Q + b]; }
    for (let a = 0; a < Q; a++) M[a * Q + a] += 1;
    Minv = spdInverse(M, Q, 'I + ΛᵀZᵀZΛ').inv;
  }
  const XVX = crossV(Xf, Xf, n, P, P, other?.W ?? null, Minv, other?.Q ?? 0, sigma2);
  const fitCov = penalizedCovariance(XVX, B, pen, P, smooths);
  const { edf } = fitCov;
  const fitted = new Float64Array(n);
  for (let i = 0; i < n; i++) { let v = 0; for (let c = 0; c < P; c++) v += Xf[i * P + c] * fitCoefficients[c]; fitted[i] = v; }
  // a t2 smooth: gamm4 reports β and Vp in the prediction parametrization (G$P), the edf and XVX the fit's
  const G = predictionMap(setup, Xf, n, P, smooths);
  const { coefficients, Vp } = G ? applyPredictionMap(G, P, fitCoefficients, fitCov.Vp) : { coefficients: fitCoefficients, Vp: fitCov.Vp };
  let sumEdf = 0;
  for (const e of edf) sumEdf += e;
  const dfResidual = n - sumEdf;
  const parametric: ParametricTable = { names: paramNames, estimate: [], se: [], t: [], p: [] };
  for (let c = 0; c < np; c++) {
    const est = coefficients[c], se = Math.sqrt(Vp[c * P + c]);
    parametric.estimate.push(est); parametric.se.push(se); parametric.t.push(est / se); parametric.p.push(pvalueT(est / se, dfResidual));
  }
  // R²(adj) = 1 − var(y − f)(n − 1)/(var(y) df_resid)
  const y = frame.y;
  const variance = (v: (i: number) => number) => { let m = 0; for (let i = 0; i < n; i++) m += v(i); m /= n; let s = 0; for (let i = 0; i < n; i++) s += (v(i) - m) ** 2; return s / (n - 1); };
  const rSq = 1 - (variance((i) => y[i] - fitted[i]) * (n - 1)) / (variance((i) => y[i]) * dfResidual);
  // summary.gam's tests of the smooths
  const scaleEstimated = Number.isFinite(sigma2) && sigma2 !== 1;
  const re = { beta: fitCoefficients, Vp: fitCov.Vp, Slambda: penaltyMatrix(B, pen, P, smooths, sigma2), sig2: sigma2 };
  smoothTable(smooths, coefficients, Vp, XVX, dfResidual, scaleEstimated, re).forEach((t: SmoothTest, k) => Object.assign(smooths[k], t));
  const view: GamView = {
    formula, smooths, coefficients, names, Vp, edf, sig2: sigma2, scaleEstimated, fitted, dfResidual, parametric, rSq, criterion: mer.objective, n,
  };
  return { view, setup, mer, paramNames };
}

/** The design of new rows for the gam view: the parametric columns, then each smooth's constrained basis (m × P, row-major). */
export function gamDesign(state: GamState<GamCore, LmmFit | GlmmFit>, newdata: DataInput): { X: Float64Array; m: number } {
  const table = toArrowTable(newdata, 'newdata');
  const m = table.numRows;
  const { view, setup, mer } = state;
  const P = view.coefficients.length;
  const np = state.paramNames.length;
  const X = new Float64Array(m * P);
  // the smooths' bases at the new covariate values
  const extra: Record<string, arrow.Vector> = {};
  const numbers = (name: string, label: string) => {
    const c = table.getChild(name);
    if (!c) throw new DataError(`newdata: column '${name}' (of ${label}) not found`, { column: name });
    return Float64Array.from(c.toArray() as ArrayLike<number>, (v) => (v === null ? NaN : Number(v)));
  };
  for (const [k, s] of setup.smooths.entries()) {
    const b = s.basis;
    const xs = b.terms.map((t) => numbers(t, b.label));
    let by: Float64Array | undefined;
    if (b.by) {
      const c = table.getChild(b.by.column);
      if (!c) throw new DataError(`newdata: by column '${b.by.column}' (of ${b.label}) not found`, { column: b.by.column });
      if (b.by.level !== undefined) {
        // the level's indicator (a missing value: NaN)
        const level = b.by.level;
        by = Float64Array.from({ length: m }, (_, i) => { const v = c.get(i); return v === null || v === undefined ? NaN : String(v) === level ? 1 : 0; });
      } else by = numbers(b.by.column, b.label);
    }
    const Xs = b.predict(xs, by);
    const sm = view.smooths[k];
    for (let i = 0; i < m; i++) {
      const ok = xs.every((x) => Number.isFinite(x[i])) && (by === undefined || Number.isFinite(by[i]));
      for (let j = 0; j < b.p; j++) X[i * P + sm.first + j] = ok ? Xs[i * b.p + j] : NaN;
    }
    // the mer's Fx columns, for its design of the parametric part (their values do not matter here)
    for (const nm of s.fxNames) extra[nm] = makeFloat64Vector(new Float64Array(m));
  }
  if (np > 0) {
    const design = newDataDesign(mer, setup.smooths.length > 0 ? table.assign(new arrow.Table(extra)) : table, { groups: false });
    const idx = state.paramNames.map((nm) => mer.model.frame.xnames.indexOf(nm));
    for (let i = 0; i < m; i++) idx.forEach((j, c) => { X[i * P + c] = design.missing[i] ? NaN : design.X[j * m + i]; });
  }
  return { X, m };
}

/** predict.gam: the fixed and smooth parts at new rows, with their SEs (sqrt of diag(X Vp Xᵀ)). */
export function gamPredict(state: GamState<GamCore, LmmFit | GlmmFit>, newdata: DataInput): { fit: Float64Array; se: Float64Array } {
  const { X, m } = gamDesign(state, newdata);
  const { coefficients: b, Vp } = state.view;
  const P = b.length;
  const fit = new Float64Array(m), se = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let f = 0, v = 0;
    for (let a = 0; a < P; a++) {
      f += X[i * P + a] * b[a];
      let s = 0;
      for (let c = 0; c < P; c++) s += Vp[a * P + c] * X[i * P + c];
      v += X[i * P + a] * s;
    }
    fit[i] = f;
    se[i] = Math.sqrt(v);
  }
  return { fit, se };
}

/** One smooth's values and SEs at covariate values (one array per covariate; a by smooth's with by = 1), its own coefficients and block of Vp. */
export function smoothValues(state: GamState<GamCore, LmmFit | GlmmFit>, index: number, xs: ArrayLike<number>[]): { fit: Float64Array; se: Float64Array } {
  const sm = state.view.smooths[index];
  const s = state.setup.smooths[index];
  const p = s.basis.p, P = state.view.coefficients.length;
  if (xs.length !== s.basis.terms.length) throw new ModelError(`${s.basis.label}: ${s.basis.terms.length} covariate${s.basis.terms.length === 1 ? '' : 's'} (${s.basis.terms.join(', ')}) needed, got ${xs.length}`);
  const m = xs[0].length;
  if (xs.some((x) => x.length !== m)) throw new ModelError(`${s.basis.label}: the covariates' values must have the same length`);
  const Xs = s.basis.predict(xs);
  const fit = new Float64Array(m), se = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let f = 0, v = 0;
    for (let a = 0; a < p; a++) {
      f += Xs[i * p + a] * state.view.coefficients[sm.first + a];
      let t = 0;
      for (let c = 0; c < p; c++) t += state.view.Vp[(sm.first + a) * P + sm.first + c] * Xs[i * p + c];
      v += Xs[i * p + a] * t;
    }
    fit[i] = f;
    se[i] = Math.sqrt(v);
  }
  return { fit, se };
}

/**
 * plot.gam's data: each smooth on `points` equally spaced values over its covariate's range, ± 2 SE (a by
 * smooth with by = 1); a t2 smooth on the `points` × `points` grid of its two covariates' ranges.
 */
export function smoothPlotData(state: GamState<GamCore, LmmFit | GlmmFit>, points = 50): SmoothPlotData[] {
  const axis = (xs: Float64Array) => {
    let lo = Infinity, hi = -Infinity;
    for (const v of xs) { if (v < lo) lo = v; if (v > hi) hi = v; }
    return Array.from({ length: points }, (_, i) => (i === points - 1 ? hi : lo + (i * (hi - lo)) / (points - 1)));
  };
  return state.setup.smooths.map((s, k) => {
    const label = s.basis.label;
    const band = (fit: Float64Array, se: Float64Array) => ({ fit: Array.from(fit), se: Array.from(se), lower: Array.from(fit, (f, i) => f - 2 * se[i]), upper: Array.from(fit, (f, i) => f + 2 * se[i]) });
    if (s.xs.length === 2) {
      const a = axis(s.xs[0]), b = axis(s.xs[1]);
      const x = b.flatMap(() => a), z = b.flatMap((v) => a.map(() => v));
      const { fit, se } = smoothValues(state, k, [x, z]);
      return { label, x, z, ...band(fit, se) };
    }
    const x = axis(s.x);
    const { fit, se } = smoothValues(state, k, [x]);
    return { label, x, ...band(fit, se) };
  });
}
