/**
 * gamm4's `gam` view of a glmer fit (gamm4 0.2-6's non-Gaussian branch, binomial and Poisson): the
 * Gaussian view's algebra (./gamView.ts) with the marginal covariance of the working model at the fit,
 *
 *   V = diag(1/w) φ + Z_o Λ_o Λ_oᵀ Z_oᵀ φ,   w_i = sqrtWrkWt_i² = pw_i (dμ/dη)² / V(μ_i)   at the fitted η
 *
 * (η = Xβ̂ + Zb̂, every random effect; pw the prior weights, the trials of cbind), φ = 1 (the families have
 * no dispersion: gamm4's scale 1, not estimated), so with the rows scaled by √w (Woodbury)
 *
 *   V⁻¹ = S (I − G (I + GᵀG)⁻¹ Gᵀ) S,  S = diag(√w),  G = S Z_o Λ_o,
 *   XVX = Xfᵀ V⁻¹ Xf,   Vp = B (Bᵀ XVX B + diag(sp on each smooth's penalized coordinates))⁻¹ Bᵀ,
 *   sp = 1/θ_s² (gamm4's scale/VarCorr; 1e10 at θ_s = 0),   edf_j = (Vp XVX)_jj,
 *   linear predictor Xf β̂ (population level), fitted g⁻¹(Xf β̂),
 *
 * summary.gam's parametric z tests (the scale known) and its
 *   R²(adj) = 1 − var(√a (y − μ_f)) (n − 1) / (var(√a (y − ȳ_a)) (n − Σ edf)),  ȳ_a = Σ a y / Σ a,
 * (y the response as glmer holds it: proportions for cbind; a gamm4's prior.weights, its `weights`
 * argument's — ones here, even for cbind, whose trials are glmer's prior weights pw only), and gamm4's gcv.ubre, lme4's deviance() of
 * the mer (Σ of its squared deviance residuals). gamm4 sets no deviance or null deviance on its gam
 * object, so summary.gam prints no "Deviance explained" for it. gamm4 sets scale.estimated = FALSE and
 * sig2 = 1 (VarCorr's sc of a binomial or Poisson mer is 1), and its gam$R is the R factor of V^{−1/2} Xf, so
 * summary.gam tests each smooth in testStat's χ² form (res.df = −1; ./smoothTable.ts): Chi.sq = T_r,
 * Ref.df = min(p_s, edf_s), the p-value from the χ² mixture — with XVX = Rᵀ R as here.
 */
import { spdInverse } from '../linalg/dense.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { pvalueNormal } from '../stats/distributions.js';
import type { GammSetup } from './setup.js';
import { type GamState, type GamView, applyPredictionMap, crossV, gamAssembly, otherRandomEffects, penalizedCovariance, predictionMap } from './gamView.js';
import { type SmoothTest, penaltyMatrix, smoothTable } from './smoothTable.js';

/** summary.gam's parametric table of a GLMM (the scale known: z tests). */
export interface GlmmParametricTable {
  names: string[];
  estimate: number[];
  se: number[];
  z: number[];
  p: number[];
}

/** gamm4's gam object of a binomial or Poisson GAMM. */
export interface GlmmGamView extends Omit<GamView, 'parametric' | 'fitted'> {
  family: 'binomial' | 'poisson';
  link: string;
  /** the working weights at the fit (gamm4's `weights`, lme4's sqrtWrkWt()²) */
  weights: Float64Array;
  /**
   * gamm4's prior.weights: the `weights` argument's (gamm4.setup's G$w), ones here (no weights are taken) —
   * not glmer's, which are the trials of cbind(s, f)
   */
  priorWeights: Float64Array;
  /** Xf β̂ (the population level: no other random effects) */
  linearPredictors: Float64Array;
  /** g⁻¹(Xf β̂) */
  fitted: Float64Array;
  parametric: GlmmParametricTable;
  /** gamm4's gcv.ubre: lme4's deviance() of the mer */
  criterion: number;
}

export type GlmmGamState = GamState<GlmmGamView, GlmmFit>;

/** Stage: the glmer fit and the setup → gamm4's gam view of a binomial or Poisson GAMM. */
export function glmmGamView(mer: GlmmFit, setup: GammSetup, formula: string): GlmmGamState {
  const { frame } = mer.model;
  const family = mer.model.family;
  const n = frame.n;
  const { paramNames, np, P, Xf, B, pen, coefficients: fitCoefficients, names, smooths } = gamAssembly(mer, setup, 1);
  // the working weights at the fitted η: w = pw (dμ/dη)²/V(μ)
  const { y, weights: pw } = mer.model.pirls;
  const eta = mer.linearPredictor;
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) { const d = family.muEta(eta[i]); w[i] = (pw[i] * d * d) / family.variance(family.linkinv(eta[i])); }
  const sw = w.map(Math.sqrt);
  // XVX = Xfᵀ V⁻¹ Xf = (S Xf)ᵀ (I − G M⁻¹ Gᵀ) (S Xf),  M = I + GᵀG,  G = S Z_o Λ_o
  const SX = new Float64Array(n * P);
  for (let i = 0; i < n; i++) for (let c = 0; c < P; c++) SX[i * P + c] = sw[i] * Xf[i * P + c];
  const other = otherRandomEffects(mer);
  let G: Float64Array | null = null, Minv: Float64Array | null = null;
  if (other) {
    const { W, Q } = other;
    G = new Float64Array(n * Q);
    for (let i = 0; i < n; i++) for (let q = 0; q < Q; q++) G[i * Q + q] = sw[i] * W[i * Q + q];
    const M = new Float64Array(Q * Q);
    for (let i = 0; i < n; i++) for (let a = 0; a < Q; a++) { const v = G[i * Q + a]; if (v !== 0) for (let b = 0; b < Q; b++) M[a * Q + b] += v * G[i * Q + b]; }
    for (let a = 0; a < Q; a++) M[a * Q + a] += 1;
    Minv = spdInverse(M, Q, 'I + ΛᵀZᵀWZΛ').inv;
  }
  const XVX = crossV(SX, SX, n, P, P, G, Minv, other?.Q ?? 0, 1);
  const fitCov = penalizedCovariance(XVX, B, pen, P, smooths);
  const { edf } = fitCov;
  // a t2 smooth: β and Vp in the prediction parametrization (gam.setup's G$P, ./gamView.ts), the edf the fit's
  const GP = predictionMap(setup, Xf, n, P, smooths);
  const { coefficients, Vp } = GP ? applyPredictionMap(GP, P, fitCoefficients, fitCov.Vp) : { coefficients: fitCoefficients, Vp: fitCov.Vp };
  const linearPredictors = new Float64Array(n), fitted = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let c = 0; c < P; c++) v += Xf[i * P + c] * fitCoefficients[c];
    linearPredictors[i] = v;
    fitted[i] = family.linkinv(v);
  }
  let sumEdf = 0;
  for (const e of edf) sumEdf += e;
  const dfResidual = n - sumEdf;
  // summary.gam's smooth tests with the scale known (binomial, Poisson: Chi.sq; smoothTable.ts)
  const re = { beta: fitCoefficients, Vp: fitCov.Vp, Slambda: penaltyMatrix(B, pen, P, smooths, 1), sig2: 1 };
  smoothTable(smooths, coefficients, Vp, XVX, dfResidual, false, re).forEach((t: SmoothTest, k) => Object.assign(smooths[k], t));
  const parametric: GlmmParametricTable = { names: paramNames, estimate: [], se: [], z: [], p: [] };
  for (let c = 0; c < np; c++) {
    const est = coefficients[c], se = Math.sqrt(Vp[c * P + c]);
    parametric.estimate.push(est); parametric.se.push(se); parametric.z.push(est / se); parametric.p.push(pvalueNormal(est / se));
  }
  // R²(adj) = 1 − var(√a (y − μ_f)) (n − 1)/(var(√a (y − ȳ_a)) df_resid), a = gamm4's prior.weights (ones)
  const a = new Float64Array(n).fill(1);
  let sw1 = 0, swy = 0;
  for (let i = 0; i < n; i++) { sw1 += a[i]; swy += a[i] * y[i]; }
  const meanY = swy / sw1;
  const variance = (v: (i: number) => number) => { let m = 0; for (let i = 0; i < n; i++) m += v(i); m /= n; let s = 0; for (let i = 0; i < n; i++) s += (v(i) - m) ** 2; return s / (n - 1); };
  const rSq = 1 - (variance((i) => Math.sqrt(a[i]) * (y[i] - fitted[i])) * (n - 1)) / (variance((i) => Math.sqrt(a[i]) * (y[i] - meanY)) * dfResidual);
  const view: GlmmGamView = {
    formula, family: family.family as 'binomial' | 'poisson', link: family.link, smooths, coefficients, names, Vp, edf, sig2: 1,
    weights: w, priorWeights: a, linearPredictors, fitted, dfResidual, parametric, rSq, criterion: mer.deviance, n, scaleEstimated: false,
  };
  return { view, setup, mer, paramNames };
}
