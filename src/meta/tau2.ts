/**
 * The closed-form and one-dimensional estimators of the between-study variance τ² in the
 * random-effects model y_i = x_iᵀβ + u_i + e_i, u_i ~ N(0, τ²), e_i ~ N(0, v_i) with v_i known, and
 * the standard errors metafor reports for each (Viechtbauer 2005; metafor's rma.uni). REML and ML
 * are fitted as linear mixed models with σ fixed at 1 (meta.ts); their standard errors are here.
 * With P(τ²) = W − WX(XᵀWX)⁻¹XᵀW, W = diag(1/(v_i + τ²)) and Q(τ²) = yᵀP(τ²)y:
 *
 *   DL (DerSimonian–Laird):  τ² = (Q(0) − (k − p)) / tr P(0)
 *   HE (Hedges, method of moments on OLS residuals, P_I = I − X(XᵀX)⁻¹Xᵀ):
 *                            τ² = (yᵀP_I y − tr(P_I V)) / (k − p)
 *   PM (Paule–Mandel) = EB (empirical Bayes, the same fixed point in metafor):
 *                            the root of Q(τ²) = k − p (0 when Q(0) < k − p)
 *   SJ (Sidik–Jonkman):      τ₀² = Σ(y_i − ȳ)²/k,  τ² = τ₀² yᵀP(τ₀²)y / (k − p)
 * each truncated at 0 as metafor (tau2.min = 0). V = diag(v).
 */
import { ProjectionTraces, wls } from './wls.js';

export type Tau2Method = 'REML' | 'ML' | 'DL' | 'PM' | 'HE' | 'SJ' | 'EB' | 'EE';

export interface Tau2Estimate {
  tau2: number;
  /** metafor's standard error of τ̂² for the method */
  seTau2: number;
  /** iterations of a one-dimensional solve (PM/EB) */
  iterations?: number;
}

/** The design and data of a univariate meta-analysis (X column-major k × p). */
export interface MetaDesign {
  X: Float64Array;
  k: number;
  p: number;
  y: Float64Array;
  v: Float64Array;
}

function weights(v: Float64Array, tau2: number): Float64Array {
  return Float64Array.from(v, (vi) => 1 / (vi + tau2));
}

/** DerSimonian–Laird. */
export function tau2DL(d: MetaDesign): Tau2Estimate {
  const { X, k, p, y, v } = d;
  const w = weights(v, 0);
  const fit = wls(X, k, p, y, w);
  const tr = new ProjectionTraces(X, k, p, w, fit);
  const trP = tr.trPD();
  const tau2 = Math.max(0, (fit.rss - (k - p)) / trP);
  // Var(Q) under the model: 2(k − p) + 4τ² tr P + 2τ⁴ tr P²
  const seTau2 = Math.sqrt((2 * (k - p) + 4 * tau2 * trP + 2 * tau2 * tau2 * tr.trPDPD()) / (trP * trP));
  return { tau2, seTau2 };
}

/** Hedges (HE): method of moments on the ordinary least-squares residuals. */
export function tau2HE(d: MetaDesign): Tau2Estimate {
  const { X, k, p, y, v } = d;
  const one = new Float64Array(k).fill(1);
  const fit = wls(X, k, p, y, one);
  const tr = new ProjectionTraces(X, k, p, one, fit);
  const trPV = tr.trPD(v);
  const tau2 = Math.max(0, (fit.rss - trPV) / (k - p));
  const seTau2 = Math.sqrt((2 * tr.trPDPD(v, v) + 4 * tau2 * trPV + 2 * tau2 * tau2 * (k - p)) / ((k - p) * (k - p)));
  return { tau2, seTau2 };
}

/** The generalized Q statistic Q(τ²) = yᵀP(τ²)y and its derivative −yᵀP²y. */
export function generalizedQ(d: MetaDesign, tau2: number): { Q: number; dQ: number; sumW: number } {
  const { X, k, p, y, v } = d;
  const w = weights(v, tau2);
  const fit = wls(X, k, p, y, w);
  const tr = new ProjectionTraces(X, k, p, w, fit);
  let sumW = 0;
  for (let i = 0; i < k; i++) sumW += w[i];
  return { Q: fit.rss, dQ: -tr.yPPy(), sumW };
}

/**
 * Paule–Mandel (and EB): the root of Q(τ²) = k − p. Q is decreasing and convex in τ²
 * (Q′ = −yᵀP²y ≤ 0, Q″ = 2yᵀP³y ≥ 0), so Newton's method from τ² = 0 (where Q(0) > k − p) rises
 * monotonically to the root, quadratically near it. SE as metafor: √(2k² / (k − p)) / Σw_i.
 */
export function tau2PM(d: MetaDesign): Tau2Estimate {
  const { k, p } = d;
  const target = k - p;
  let tau2 = 0;
  let q = generalizedQ(d, 0);
  let iterations = 0;
  if (q.Q > target) {
    for (; iterations < 1000; iterations++) {
      const step = (q.Q - target) / -q.dQ;
      if (!Number.isFinite(step)) throw new Error(`the Paule–Mandel estimator did not converge (Q'(τ²) = ${q.dQ} at τ² = ${tau2})`);
      tau2 += step;
      q = generalizedQ(d, tau2);
      if (Math.abs(step) <= 1e-15 * tau2 || q.Q <= target) break;
    }
  } else {
    q = generalizedQ(d, 0);
  }
  const seTau2 = Math.sqrt((2 * k * k) / (k - p)) / q.sumW;
  return { tau2, seTau2, iterations };
}

/** Sidik–Jonkman. */
export function tau2SJ(d: MetaDesign): Tau2Estimate {
  const { X, k, p, y, v } = d;
  let mean = 0;
  for (let i = 0; i < k; i++) mean += y[i];
  mean /= k;
  let tau0 = 0;
  for (let i = 0; i < k; i++) tau0 += (y[i] - mean) ** 2;
  tau0 /= k;
  const w = weights(v, tau0);
  const fit = wls(X, k, p, y, w);
  const tr = new ProjectionTraces(X, k, p, w, fit);
  const tau2 = Math.max(0, (tau0 * fit.rss) / (k - p));
  const seTau2 = Math.sqrt(((tau0 * tau0) / ((k - p) * (k - p)))
    * (2 * tr.trPDPD(v, v) + 4 * tau2 * tr.trPDPD(v, null) + 2 * tau2 * tau2 * tr.trPDPD()));
  return { tau2, seTau2 };
}

/** SE of the ML estimate from the expected information: √(2 / Σ w_i²), w_i = 1/(v_i + τ²). */
export function seTau2ML(v: Float64Array, tau2: number): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += 1 / (v[i] + tau2) ** 2;
  return Math.sqrt(2 / s);
}

/** SE of the REML estimate from the expected information: √(2 / tr P²). */
export function seTau2REML(d: MetaDesign, tau2: number): number {
  const { X, k, p, y, v } = d;
  const w = weights(v, tau2);
  const fit = wls(X, k, p, y, w);
  return Math.sqrt(2 / new ProjectionTraces(X, k, p, w, fit).trPDPD());
}

/** The closed-form or one-dimensional estimate for a method that needs no mixed-model fit. */
export function tau2Closed(method: 'DL' | 'PM' | 'HE' | 'SJ' | 'EB' | 'EE', d: MetaDesign): Tau2Estimate {
  switch (method) {
    case 'DL': return tau2DL(d);
    case 'HE': return tau2HE(d);
    case 'PM': case 'EB': return tau2PM(d);
    case 'SJ': return tau2SJ(d);
    case 'EE': return { tau2: 0, seTau2: NaN };
  }
}
