/**
 * Everything metafor reports for a fitted random-effects meta-analysis, from the variance
 * components and the generalized least-squares solution (rma.uni / rma.mv):
 *
 *   tests of the coefficients: z = β̂/SE (test 'z'); with Knapp–Hartung (test 'knha', rma.uni)
 *     Var(β̂) is scaled by s² = Σ w_i e_i² / (k − p) and t has k − p df; rma.mv's test 't' uses
 *     t with k − p df unscaled;
 *   the omnibus test of the moderators QM = β̂_bᵀ Var(β̂)_b⁻¹ β̂_b over b = the coefficients but the
 *     intercept (χ²_m; with knha or t, QM/m against F(m, k − p));
 *   the test of (residual) heterogeneity QE = yᵀP(0)y with the fixed-effects weights 1/v_i (χ²_{k−p});
 *   I² = 100 τ²/(ṽ + τ²), H² = τ²/ṽ + 1 with the typical sampling variance ṽ = (k − p)/tr P(0)
 *     (Higgins & Thompson 2002, metafor's generalization to moderators);
 *   prediction intervals μ̂ ± c √(SE² + τ²) (rma.mv: + Σ σ²_l), c the CI's critical value;
 *   the log-likelihoods: ML −½[k log 2π + Σ log(v_i + τ²) + Σ w_i e_i²] and metafor's REML
 *     −½[(k − p) log 2π − log|XᵀX| + Σ log(v_i + τ²) + log|XᵀWX| + Σ w_i e_i²]. metafor adds
 *     ½ log|XᵀX| to the restricted likelihood, lme4's REML criterion does not: metafor's is reported;
 *   AIC, BIC, AICc and the deviances as metafor's fit.stats.
 */
import { pchisqUpper, pfUpper, pvalueNormal, pvalueT, qnorm, qt } from '../stats/distributions.js';
import { ProjectionTraces, crossprodDiag, mulXb, rowQuadratic, wls } from './wls.js';
import { spdInverse } from '../linalg/dense.js';
import type { MetaDesign, Tau2Method } from './tau2.js';

export type MetaTest = 'z' | 'knha' | 't';

export interface FitStatsColumn { ll: number; dev: number; AIC: number; BIC: number; AICc: number }
export interface FitStats { ML: FitStatsColumn; REML: FitStatsColumn }

export interface MetaCoefficients {
  names: string[];
  beta: Float64Array;
  se: Float64Array;
  /** z or t values */
  stat: Float64Array;
  pval: Float64Array;
  ciLb: Float64Array;
  ciUb: Float64Array;
  /** Var(β̂), p × p row-major (scaled by s² under Knapp–Hartung) */
  vb: Float64Array;
}

export interface Heterogeneity {
  QE: number;
  QEdf: number;
  QEp: number;
  /** the typical sampling variance ṽ (metafor's vt) */
  vt: number;
}

export interface ModeratorTest {
  QM: number;
  /** [m] for χ², [m, k − p] for F */
  QMdf: [number, number | null];
  QMp: number;
  /** the coefficients tested (0-based) */
  btt: number[];
}

export interface Prediction {
  pred: Float64Array;
  se: Float64Array;
  ciLb: Float64Array;
  ciUb: Float64Array;
  piLb: Float64Array;
  piUb: Float64Array;
}

/** What the coefficient tests need: β̂, its covariance, the test and the level. */
export interface CoefficientInput {
  names: string[];
  beta: Float64Array;
  vb: Float64Array;
  test: MetaTest;
  /** residual df k − p for t tests */
  ddf: number;
  level?: number;
}

/** Critical value of the level% interval. */
export function criticalValue(test: MetaTest, ddf: number, level = 95): number {
  const a = 1 - (1 - level / 100) / 2;
  return test === 'z' ? qnorm(a) : ddf > 0 ? qt(a, ddf) : NaN;
}

/** z or t tests and confidence intervals of the coefficients. */
export function coefficientTests(c: CoefficientInput): MetaCoefficients {
  const p = c.beta.length;
  const crit = criticalValue(c.test, c.ddf, c.level);
  const se = Float64Array.from({ length: p }, (_, j) => Math.sqrt(c.vb[j * p + j]));
  const stat = Float64Array.from({ length: p }, (_, j) => c.beta[j] / se[j]);
  const pval = Float64Array.from(stat, (s) => (c.test === 'z' ? pvalueNormal(s) : c.ddf > 0 ? pvalueT(s, c.ddf) : NaN));
  return {
    names: c.names, beta: c.beta, se, stat, pval, vb: c.vb,
    ciLb: Float64Array.from({ length: p }, (_, j) => c.beta[j] - crit * se[j]),
    ciUb: Float64Array.from({ length: p }, (_, j) => c.beta[j] + crit * se[j]),
  };
}

/** metafor's default btt: all coefficients but the intercept (the intercept when it is alone). */
export function defaultBtt(p: number, intercept: boolean): number[] {
  if (intercept && p > 1) return Array.from({ length: p - 1 }, (_, j) => j + 1);
  return Array.from({ length: p }, (_, j) => j);
}

/** The omnibus Wald test of the coefficients btt. */
export function moderatorTest(coef: MetaCoefficients, btt: number[], test: MetaTest, ddf: number): ModeratorTest {
  const p = coef.beta.length;
  const m = btt.length;
  const sub = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) sub[a * m + b] = coef.vb[btt[a] * p + btt[b]];
  const { inv } = spdInverse(sub, m, 'the covariance matrix of the tested coefficients');
  let QM = 0;
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) QM += coef.beta[btt[a]] * inv[a * m + b] * coef.beta[btt[b]];
  if (test === 'z') return { QM, QMdf: [m, null], QMp: pchisqUpper(QM, m), btt };
  const F = QM / m;
  return { QM: F, QMdf: [m, ddf], QMp: ddf > 0 ? pfUpper(F, m, ddf) : NaN, btt };
}

/** The test of heterogeneity with the fixed-effects weights 1/v_i. */
export function heterogeneity(d: MetaDesign): Heterogeneity {
  const { X, k, p, y, v } = d;
  if (k <= p) return { QE: 0, QEdf: k - p, QEp: 1, vt: 0 };
  const w = Float64Array.from(v, (vi) => 1 / vi);
  const fit = wls(X, k, p, y, w);
  const QE = Math.max(0, fit.rss);
  const trP = new ProjectionTraces(X, k, p, w, fit).trPD();
  return { QE, QEdf: k - p, QEp: pchisqUpper(QE, k - p), vt: (k - p) / trP };
}

/** metafor's fit.stats from the two log-likelihoods. */
export function fitStatistics(llML: number, llREML: number, k: number, p: number, parms: number, v: Float64Array): FitStats {
  // Σ log N(y_i; y_i, v_i): the saturated model's log-likelihood
  let llSat = 0;
  for (let i = 0; i < k; i++) llSat += -0.5 * Math.log(2 * Math.PI * v[i]);
  const aicc = (ll: number, n: number) => -2 * ll + (2 * parms * Math.max(n, parms + 2)) / (Math.max(n, parms + 2) - parms - 1);
  return {
    ML: {
      ll: llML, dev: k > p ? -2 * (llML - llSat) : 0, AIC: -2 * llML + 2 * parms,
      BIC: -2 * llML + parms * Math.log(k), AICc: aicc(llML, k),
    },
    REML: {
      ll: llREML, dev: -2 * llREML, AIC: -2 * llREML + 2 * parms,
      BIC: -2 * llREML + parms * Math.log(k - p), AICc: aicc(llREML, k - p),
    },
  };
}

/** Predictions X_new β̂ with confidence and prediction intervals (extra variance τ² or Σσ²). */
export function predictions(Xnew: Float64Array, kNew: number, coef: MetaCoefficients, extraVariance: number, test: MetaTest, ddf: number, level = 95): Prediction {
  const p = coef.beta.length;
  const crit = criticalValue(test, ddf, level);
  const pred = mulXb(Xnew, kNew, p, coef.beta);
  const vpred = rowQuadratic(Xnew, kNew, p, coef.vb);
  const se = Float64Array.from(vpred, Math.sqrt);
  return {
    pred, se,
    ciLb: Float64Array.from(pred, (m, i) => m - crit * se[i]),
    ciUb: Float64Array.from(pred, (m, i) => m + crit * se[i]),
    piLb: Float64Array.from(pred, (m, i) => m - crit * Math.sqrt(vpred[i] + extraVariance)),
    piUb: Float64Array.from(pred, (m, i) => m + crit * Math.sqrt(vpred[i] + extraVariance)),
  };
}

/** The univariate model's log-likelihoods at τ² (metafor's ll.ML and ll.REML). */
export function logLikUni(d: MetaDesign, tau2: number): { llML: number; llREML: number } {
  const { X, k, p, y, v } = d;
  const w = Float64Array.from(v, (vi) => 1 / (vi + tau2));
  const fit = wls(X, k, p, y, w);
  let sumLogV = 0;
  for (let i = 0; i < k; i++) sumLogV += Math.log(v[i] + tau2);
  const logDetXtX = spdInverse(crossprodDiag(X, k, p, new Float64Array(k).fill(1)), p, "the moderators' cross-product matrix X'X").logDet;
  return {
    llML: -0.5 * (k * Math.log(2 * Math.PI) + sumLogV + fit.rss),
    llREML: -0.5 * ((k - p) * Math.log(2 * Math.PI) - logDetXtX + sumLogV + fit.logDetA + fit.rss),
  };
}

/** A fitted univariate random-effects model (rma.uni) at τ². */
export interface RmaUniResult {
  method: Tau2Method;
  test: MetaTest;
  k: number;
  p: number;
  tau2: number;
  seTau2: number;
  coef: MetaCoefficients;
  /** Knapp–Hartung's s² (1 without) */
  s2w: number;
  ddf: number | null;
  het: Heterogeneity;
  I2: number;
  H2: number;
  /** pseudo-R² (%) of a meta-regression: (τ²_0 − τ²)/τ²_0, τ²_0 of the model without moderators; EE: the weighted adjusted R² */
  R2: number | null;
  moderators: ModeratorTest;
  parms: number;
  fitStats: FitStats;
  /** Σ w / w_i in % (w_i = 1/(v_i + τ²)) */
  weights: Float64Array;
  /** Xβ̂ per study */
  fitted: Float64Array;
  /** the pooled estimate (intercept-only) or each study's fitted value, with CI and PI */
  predict: Prediction;
  /** best linear unbiased predictions of the study effects u_i and their SEs (metafor's ranef) */
  blup: { pred: Float64Array; se: Float64Array };
}

/**
 * R² (%) of an equal-effects meta-regression as metafor's rma.uni reports it: there is no τ² to
 * explain, so it is the adjusted R² of the weighted least-squares fit (R's
 * summary(lm(yi ~ X, weights = 1/vi))$adj.r.squared), floored at 0; 0 when the yi do not vary.
 */
function weightedAdjustedR2(y: Float64Array, w: Float64Array, rss: number, k: number, p: number): number {
  let sw = 0, swy = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < k; i++) { sw += w[i]; swy += w[i] * y[i]; min = Math.min(min, y[i]); max = Math.max(max, y[i]); }
  if (min === max) return 0;
  const mean = swy / sw;
  let tss = 0;
  for (let i = 0; i < k; i++) tss += w[i] * (y[i] - mean) ** 2;
  const r2 = 1 - rss / tss;
  return Math.max(0, 100 * (1 - ((1 - r2) * (k - 1)) / (k - p)));
}

/**
 * rma.uni's results at a given τ² (from any estimator). `intercept`: X's first column is the
 * intercept. `tau2Null`: τ² of the same estimator without moderators (for R²; null when there are
 * none).
 */
export function rmaUniResults(d: MetaDesign, names: string[], intercept: boolean, method: Tau2Method, tau2: number, seTau2: number,
  test: 'z' | 'knha', tau2Null: number | null, level = 95): RmaUniResult {
  const { X, k, p, y, v } = d;
  const w = Float64Array.from(v, (vi) => 1 / (vi + tau2));
  const fit = wls(X, k, p, y, w);
  const ddf = k - p;
  let s2w = 1;
  if (test === 'knha') s2w = fit.rss <= Number.EPSILON ? 0 : fit.rss / ddf;
  const vb = Float64Array.from(fit.Ainv, (a) => a * s2w);
  const coef = coefficientTests({ names, beta: fit.beta, vb, test, ddf, level });
  const moderators = moderatorTest(coef, defaultBtt(p, intercept), test, ddf);
  const het = heterogeneity(d);
  let I2: number, H2: number;
  if (k <= p) {
    I2 = 0; H2 = 1;
  } else if (method === 'EE') {
    I2 = Math.max(0, (100 * (het.QE - (k - p))) / het.QE);
    H2 = het.QE / (k - p);
  } else {
    I2 = (100 * tau2) / (het.vt + tau2);
    H2 = tau2 / het.vt + 1;
  }
  const { llML, llREML } = logLikUni(d, tau2);
  const parms = p + (method === 'EE' ? 0 : 1);
  let sumW = 0;
  for (let i = 0; i < k; i++) sumW += w[i];
  const fitted = mulXb(X, k, p, fit.beta);
  const intOnly = intercept && p === 1;
  const predict = intOnly
    ? predictions(new Float64Array([1]), 1, coef, tau2, test, ddf, level)
    : predictions(X, k, coef, tau2, test, ddf, level);
  // an equal-effects model has no prediction interval (metafor: NA)
  if (method === 'EE') {
    predict.piLb.fill(NaN);
    predict.piUb.fill(NaN);
  }
  // BLUPs: λ_i (y_i − x_iβ̂), Var = λ_i v_i + λ_i² x_iᵀVar(β̂)x_i, λ_i = τ²/(τ² + v_i)
  const xvx = rowQuadratic(X, k, p, vb);
  const blup = {
    pred: Float64Array.from({ length: k }, (_, i) => (method === 'EE' ? 0 : (tau2 / (tau2 + v[i])) * (y[i] - fitted[i]))),
    se: Float64Array.from({ length: k }, (_, i) => {
      if (method === 'EE') return 0;
      const l = tau2 / (tau2 + v[i]);
      return Math.sqrt(l * v[i] + l * l * xvx[i]);
    }),
  };
  let R2: number | null = null;
  if (intercept && p > 1 && method === 'EE') {
    R2 = weightedAdjustedR2(y, w, fit.rss, k, p);
  } else if (tau2Null !== null && intercept && p > 1) {
    R2 = tau2Null === 0 ? 0 : Math.max(0, (100 * (tau2Null - tau2)) / tau2Null);
  }
  return {
    method, test, k, p, tau2, seTau2, coef, s2w, ddf: test === 'z' ? null : ddf, het, I2, H2, R2, moderators, parms,
    fitStats: fitStatistics(llML, llREML, k, p, parms, v),
    weights: Float64Array.from(w, (wi) => (100 * wi) / sumW),
    fitted, predict, blup,
  };
}

/** A fitted multilevel model (rma.mv with nested random intercepts). */
export interface RmaMvResult {
  method: 'REML' | 'ML';
  test: 'z' | 't';
  k: number;
  p: number;
  /** σ² per level, outermost first */
  sigma2: number[];
  /** the levels' names as metafor prints them ('district', 'district/school') */
  sigma2Names: string[];
  sigma2Levels: number[];
  coef: MetaCoefficients;
  ddf: number | null;
  het: Heterogeneity;
  moderators: ModeratorTest;
  parms: number;
  fitStats: FitStats;
  fitted: Float64Array;
  predict: Prediction;
}

/** What the mixed-model fit of a multilevel model gives: β̂, Var(β̂) and both log-likelihoods at σ̂². */
export interface MultilevelSolution {
  beta: Float64Array;
  /** (XᵀV⁻¹X)⁻¹, p × p row-major */
  vb: Float64Array;
  llML: number;
  /** metafor's restricted log-likelihood (lme4's REML criterion −½(· − log|XᵀX|)) */
  llREML: number;
}

/** rma.mv's results from the multilevel solution at σ̂². */
export function rmaMvResults(d: MetaDesign, names: string[], intercept: boolean, method: 'REML' | 'ML', test: 'z' | 't',
  sigma2: number[], sigma2Names: string[], sigma2Levels: number[], sol: MultilevelSolution, level = 95): RmaMvResult {
  const { X, k, p } = d;
  const ddf = k - p;
  const coef = coefficientTests({ names, beta: sol.beta, vb: sol.vb, test, ddf, level });
  const moderators = moderatorTest(coef, defaultBtt(p, intercept), test, ddf);
  const parms = p + sigma2.length;
  const fitted = mulXb(X, k, p, sol.beta);
  const total = sigma2.reduce((a, b) => a + b, 0);
  const predict = intercept && p === 1
    ? predictions(new Float64Array([1]), 1, coef, total, test, ddf, level)
    : predictions(X, k, coef, total, test, ddf, level);
  return {
    method, test, k, p, sigma2, sigma2Names, sigma2Levels, coef, ddf: test === 'z' ? null : ddf,
    het: heterogeneity(d), moderators, parms,
    fitStats: fitStatistics(sol.llML, sol.llREML, k, p, parms, d.v),
    fitted, predict,
  };
}
