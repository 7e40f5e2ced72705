/**
 * Shrout & Fleiss's (1979) six intraclass correlations with their F tests and McGraw & Wong's (1996)
 * confidence intervals, as psych's ICC computes them from the mean squares of the two-way layout
 * (n subjects × k raters):
 *   MSB (between subjects), MSJ (between raters/judges), MSE (residual), MSW = within subjects.
 * A pure stage: the mean squares come from the variance components of the lmer fit (meanSquares).
 */
import { pfUpper } from '../stats/distributions.js';
import { qf } from '../inference/distributions.js';

/** The mean squares of the subjects × raters layout. */
export interface MeanSquares {
  MSB: number;
  MSJ: number;
  MSE: number;
  MSW: number;
}

/** One row of psych's ICC results table. */
export interface IccRow {
  /** psych's row name (Single_raters_absolute, …) */
  name: string;
  /** ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k */
  type: string;
  ICC: number;
  F: number;
  df1: number;
  df2: number;
  p: number;
  lower: number;
  upper: number;
}

/**
 * The expected mean squares from the variance components σ²_s (subjects), σ²_r (raters), σ²_e
 * (residual) of y_ij = μ + s_i + r_j + e_ij, as psych reads them off lmer's VarCorr:
 *   MSB = k σ²_s + σ²_e,  MSJ = n σ²_r + σ²_e,  MSE = σ²_e,  MSW = σ²_r + σ²_e.
 */
export function meanSquares(sigma2Subject: number, sigma2Rater: number, sigma2Residual: number, n: number, k: number): MeanSquares {
  return {
    MSB: k * sigma2Subject + sigma2Residual,
    MSJ: n * sigma2Rater + sigma2Residual,
    MSE: sigma2Residual,
    MSW: sigma2Residual + sigma2Rater,
  };
}

/** The six ICCs, their F tests and (1 − alpha) intervals for n subjects and k raters. */
export function shroutFleiss(ms: MeanSquares, n: number, k: number, alpha: number): IccRow[] {
  const { MSB, MSJ, MSE, MSW } = ms;
  // point estimates (Shrout & Fleiss, Table 2): one-way random, two-way random, two-way mixed; single and average
  const ICC1 = (MSB - MSW) / (MSB + (k - 1) * MSW);
  const ICC2 = (MSB - MSE) / (MSB + (k - 1) * MSE + (k * (MSJ - MSE)) / n);
  const ICC3 = (MSB - MSE) / (MSB + (k - 1) * MSE);
  const ICC1k = (MSB - MSW) / MSB;
  const ICC2k = (MSB - MSE) / (MSB + (MSJ - MSE) / n);
  const ICC3k = (MSB - MSE) / MSB;
  // F tests: F₁ = MSB/MSW on (n − 1, n(k − 1)); F₂ = F₃ = MSB/MSE on (n − 1, (n − 1)(k − 1))
  const F1 = MSB / MSW, df1n = n - 1, df1d = n * (k - 1);
  const F2 = MSB / MSE, df2n = n - 1, df2d = (n - 1) * (k - 1);
  const p1 = pfUpper(F1, df1n, df1d), p2 = pfUpper(F2, df2n, df2d);
  const q = 1 - alpha / 2;
  // ICC1, ICC1k: F_L = F₁ / F_{q}(df1n, df1d), F_U = F₁ · F_{q}(df1d, df1n)
  const F1L = F1 / qf(q, df1n, df1d), F1U = F1 * qf(q, df1d, df1n);
  // ICC3, ICC3k: the same with F₂ on its degrees of freedom
  const F3L = F2 / qf(q, df2n, df2d), F3U = F2 * qf(q, df2d, df2n);
  // ICC2 (McGraw & Wong, case 2A): Satterthwaite's v for the combination of MSJ and MSE, Fj = MSJ/MSE
  const Fj = MSJ / MSE;
  const a = k * ICC2 * Fj + n * (1 + (k - 1) * ICC2) - k * ICC2;
  const vn = (k - 1) * (n - 1) * a * a;
  const b = n * (1 + (k - 1) * ICC2) - k * ICC2;
  const vd = (n - 1) * k * k * ICC2 * ICC2 * Fj * Fj + b * b;
  const v = vn / vd;
  const Fs = qf(q, n - 1, v), Fl = qf(q, v, n - 1);
  const L2 = (n * (MSB - Fs * MSE)) / (Fs * (k * MSJ + (k * n - k - n) * MSE) + n * MSB);
  const U2 = (n * (Fl * MSB - MSE)) / (k * MSJ + (k * n - k - n) * MSE + n * Fl * MSB);
  // average-measure bounds by Spearman–Brown: k ρ / (1 + (k − 1) ρ)
  const sb = (r: number) => (r * k) / (1 + r * (k - 1));
  return [
    { name: 'Single_raters_absolute', type: 'ICC1', ICC: ICC1, F: F1, df1: df1n, df2: df1d, p: p1, lower: (F1L - 1) / (F1L + (k - 1)), upper: (F1U - 1) / (F1U + k - 1) },
    { name: 'Single_random_raters', type: 'ICC2', ICC: ICC2, F: F2, df1: df2n, df2: df2d, p: p2, lower: L2, upper: U2 },
    { name: 'Single_fixed_raters', type: 'ICC3', ICC: ICC3, F: F2, df1: df2n, df2: df2d, p: p2, lower: (F3L - 1) / (F3L + k - 1), upper: (F3U - 1) / (F3U + k - 1) },
    { name: 'Average_raters_absolute', type: 'ICC1k', ICC: ICC1k, F: F1, df1: df1n, df2: df1d, p: p1, lower: 1 - 1 / F1L, upper: 1 - 1 / F1U },
    { name: 'Average_random_raters', type: 'ICC2k', ICC: ICC2k, F: F2, df1: df2n, df2: df2d, p: p2, lower: sb(L2), upper: sb(U2) },
    { name: 'Average_fixed_raters', type: 'ICC3k', ICC: ICC3k, F: F2, df1: df2n, df2: df2d, p: p2, lower: 1 - 1 / F3L, upper: 1 - 1 / F3U },
  ];
}
