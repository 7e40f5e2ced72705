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
import { type SmoothTest, smoothTable } from './smoothTable.js';

/** One smooth in the gam view. */
export interface GamSmooth {
  /** `s(x)` */
  label: string;
  term: string;
  bs: 'tp' | 'cr';
  k: number;
  /** its coefficients' positions in `coefficients` (0-based, end exclusive) */
  first: number;
  last: number;
  /** Σ of its coefficients' edf */
  edf: number;
  /** the SD of its random effects (gamm4's Xr variance component, σ θ_s) */
  sd: number;
  /** gamm4's smoothing parameter σ²/σ²_s (1e10 at σ²_s = 0) */
  sp: number;
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

/** One smooth's values on a grid with ± 2 SE (plot.gam's data). */
export interface SmoothPlotData {
  label: string;
  x: number[];
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
  const P = np + setup.smooths.reduce((s, sm) => s + sm.con.p, 0);
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
    const p = s.con.p, { U, D, r } = s.form;
    for (let i = 0; i < n; i++) for (let c = 0; c < p; c++) Xf[i * P + at + c] = s.con.X[i * p + c];
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) B[(at + a) * P + at + b] = U[a * p + b] * D[b];
    const thetaS = thetaAt.get(s.group) ?? 0;
    const vr = (sigma * thetaS) ** 2;
    const sp = vr > 0 ? sigma2 / vr : 1e10;
    for (let j = 0; j < r; j++) pen[at + j] = sp / sigma2;
    // [b̂_r; β̂_Fx] → β̂ = U D (·)
    const k = mer.model.blocks.findIndex((b) => b.group === s.group);
    const br = k >= 0 ? mer.conditionalModes(k) : new Float64Array(r);
    const mixed = new Float64Array(p);
    for (let j = 0; j < r; j++) mixed[j] = br[j];
    s.fxNames.forEach((nm, j) => {
      const x = frame.xnames.findIndex((xn) => xn === nm || xn === `\`${nm}\``);
      mixed[r + j] = x >= 0 ? mer.beta[x] : 0;
    });
    for (let a = 0; a < p; a++) { let v = 0; for (let b = 0; b < p; b++) v += B[(at + a) * P + at + b] * mixed[b]; coefficients[at + a] = v; }
    for (let c = 0; c < p; c++) names.push(`${s.con.spec.label}.${c + 1}`);
    smooths.push({ label: s.con.spec.label, term: s.con.spec.term, bs: s.con.spec.bs, k: s.con.spec.k, first: at, last: at + p, edf: 0, sd: sigma * thetaS, sp, refDf: NaN, chiSq: NaN, F: null, pValue: NaN });
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

/** Stage: the lmer fit and the setup → gamm4's gam view. */
export function gamView(mer: LmmFit, setup: GammSetup, formula: string): GamState {
  const { frame } = mer.model;
  const n = frame.n;
  const sigma = mer.sigma, sigma2 = sigma * sigma;
  const { paramNames, np, P, Xf, B, pen, coefficients, names, smooths } = gamAssembly(mer, setup, sigma);
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
  const { Vp, edf } = penalizedCovariance(XVX, B, pen, P, smooths);
  const fitted = new Float64Array(n);
  for (let i = 0; i < n; i++) { let v = 0; for (let c = 0; c < P; c++) v += Xf[i * P + c] * coefficients[c]; fitted[i] = v; }
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
  smoothTable(smooths, coefficients, Vp, XVX, dfResidual, scaleEstimated).forEach((t: SmoothTest, k) => Object.assign(smooths[k], t));
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
  for (const [k, s] of setup.smooths.entries()) {
    const c = table.getChild(s.con.spec.term);
    if (!c) throw new DataError(`newdata: column '${s.con.spec.term}' (of ${s.con.spec.label}) not found`, { column: s.con.spec.term });
    const x = Float64Array.from(c.toArray() as ArrayLike<number>, (v) => (v === null ? NaN : Number(v)));
    const Xs = s.con.predict(x);
    const sm = view.smooths[k];
    for (let i = 0; i < m; i++) for (let j = 0; j < s.con.p; j++) X[i * P + sm.first + j] = Number.isFinite(x[i]) ? Xs[i * s.con.p + j] : NaN;
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

/** One smooth's values and SEs at x (its own coefficients and block of Vp). */
export function smoothValues(state: GamState<GamCore, LmmFit | GlmmFit>, index: number, x: ArrayLike<number>): { fit: Float64Array; se: Float64Array } {
  const sm = state.view.smooths[index];
  const s = state.setup.smooths[index];
  const p = s.con.p, P = state.view.coefficients.length;
  const Xs = s.con.predict(x);
  const fit = new Float64Array(x.length), se = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
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

/** plot.gam's data: each smooth on `points` equally spaced values over its covariate's range, ± 2 SE. */
export function smoothPlotData(state: GamState<GamCore, LmmFit | GlmmFit>, points = 50): SmoothPlotData[] {
  return state.setup.smooths.map((s, k) => {
    const xs = s.x;
    let lo = Infinity, hi = -Infinity;
    for (const v of xs) { if (v < lo) lo = v; if (v > hi) hi = v; }
    const x = Array.from({ length: points }, (_, i) => (i === points - 1 ? hi : lo + (i * (hi - lo)) / (points - 1)));
    const { fit, se } = smoothValues(state, k, x);
    return { label: s.con.spec.label, x, fit: Array.from(fit), se: Array.from(se), lower: Array.from(fit, (f, i) => f - 2 * se[i]), upper: Array.from(fit, (f, i) => f + 2 * se[i]) };
  });
}
