/**
 * performance 0.10.2's `check_collinearity()` of a merMod: the variance inflation factor of each
 * fixed-effects term, from the correlation matrix of β̂ without the intercept (Fox & Monette 1992's
 * generalized VIF, car's `vif`):
 *
 *   R = cov2cor(Var(β̂))[−1, −1],   GVIF_t = det(R_tt) · det(R_−t,−t) / det(R)
 *
 * (t the columns of term t; for a term of one column this is the VIF 1/(1 − R²_t)). car's size-adjusted
 * GVIF^(1/(2 df_t)) is given beside it (performance's "VIF" column is GVIF itself). performance's
 * interval of the VIF (Marcoulides et al. 2019, via the R² it implies):
 *
 *   r = 1 − 1/GVIF,  se = (1 − r²)(n − p − 1) / √((n² − 1)(n + 3)),  se_log = se / (r (1 − r)),
 *   [lo, hi] = plogis(qlogis(r) ∓ z_{(1+ci)/2} · se_log),
 *   VIF CI = [1/(1 − lo), 1/(1 − hi)],  Tolerance = 1/GVIF,  its CI = [1 − hi, 1 − lo],
 *   SE_factor = √GVIF   (n: observations, p: fixed-effects coefficients, insight's n_parameters)
 *
 * Near GVIF = 1 (r → 0) the interval's upper end is exp(|qlogis(r)|)-sensitive to r and meaningless
 * (performance prints e.g. [1.00, 3.01e+10]); it is computed as performance does, no more.
 *
 * The groups of the printout: Low (GVIF < 5), Moderate (5 ≤ GVIF < 10), High (≥ 10).
 */
import { spdInverse } from '../linalg/dense.js';
import { qnorm } from '../stats/distributions.js';
import { formatValue, printDataFrame } from './format.js';
import { roundR } from '../results/rFormat.js';

export interface CollinearityInput {
  /** Var(β̂), p × p row-major, in X's column order */
  vcov: ArrayLike<number>;
  p: number;
  /** whether X's first column is the intercept */
  intercept: boolean;
  /** the fixed-effects terms' labels (R's labels(terms(f))) and each term's columns of X */
  terms: { label: string; columns: number[]; interaction: boolean }[];
  /** observations (insight's n_obs) */
  n: number;
  /** the confidence level of the VIF's interval, or null for none (performance's ci = NULL) */
  ci?: number | null;
}

export interface CollinearityRow {
  Term: string;
  VIF: number;
  VIF_CI_low: number | null;
  VIF_CI_high: number | null;
  SE_factor: number;
  Tolerance: number;
  Tolerance_CI_low: number | null;
  Tolerance_CI_high: number | null;
  /** car's df of the term (its columns) and GVIF^(1/(2 df)) */
  df: number;
  GVIF_adjusted: number;
}

export interface Collinearity {
  /** null where performance returns NULL (fewer than two terms), with its warning */
  rows: CollinearityRow[] | null;
  ci: number | null;
  messages: string[];
}

export const NO_INTERCEPT_MESSAGE = 'Model has no intercept. VIFs may not be sensible.';
export const NOT_ENOUGH_TERMS_MESSAGE = 'Not enough model terms in the conditional part of the model to check for multicollinearity.';
export const INTERACTION_MESSAGE = 'Model has interaction terms. VIFs might be inflated. You may check multicollinearity among predictors of a model without interaction terms.';

/** log det of a symmetric positive definite submatrix of R (rows/columns `idx`) by its Cholesky factor */
function logDetOf(R: Float64Array, m: number, idx: number[]): number {
  const k = idx.length;
  if (k === 0) return 0;
  const S = new Float64Array(k * k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) S[a * k + b] = R[idx[a] * m + idx[b]];
  return spdInverse(S, k, 'the correlation matrix of the fixed effects').logDet;
}

/** R's plogis and qlogis (lower tail) as R computes them */
const plogis = (x: number) => 1 / (1 + Math.exp(-x));
const qlogis = (p: number) => Math.log(p / (1 - p));

export function collinearity(input: CollinearityInput): Collinearity {
  const { vcov, p, n } = input;
  const ci = input.ci === undefined ? 0.95 : input.ci;
  const messages: string[] = [];
  // the columns without the intercept, and their terms
  const cols: number[] = [];
  for (let j = input.intercept ? 1 : 0; j < p; j++) cols.push(j);
  if (!input.intercept) messages.push(NO_INTERCEPT_MESSAGE);
  if (input.terms.length < 2) return { rows: null, ci, messages: [...messages, NOT_ENOUGH_TERMS_MESSAGE] };
  // R = cov2cor(V) on those columns
  const m = cols.length;
  const R = new Float64Array(m * m);
  for (let a = 0; a < m; a++) {
    for (let b = 0; b < m; b++) {
      const i = cols[a], j = cols[b];
      R[a * m + b] = vcov[i * p + j] / Math.sqrt(vcov[i * p + i] * vcov[j * p + j]);
    }
    R[a * m + a] = 1;
  }
  const all = Array.from({ length: m }, (_, a) => a);
  const logDetR = logDetOf(R, m, all);
  const position = new Map(cols.map((j, a) => [j, a]));
  const kept: { label: string; gvif: number; df: number }[] = [];
  for (const t of input.terms) {
    const subs = t.columns.map((j) => position.get(j)).filter((a): a is number => a !== undefined);
    if (subs.length === 0) continue;   // a term without columns: left out, as performance leaves it out
    const rest = all.filter((a) => !subs.includes(a));
    // GVIF_t = det(R_tt) det(R_−t,−t) / det(R)
    kept.push({ label: t.label, gvif: Math.exp(logDetOf(R, m, subs) + logDetOf(R, m, rest) - logDetR), df: subs.length });
  }
  if (input.terms.some((t) => t.interaction) && kept.some((k) => k.gvif > 10)) messages.push(INTERACTION_MESSAGE);
  const z = ci === null ? NaN : qnorm((1 + ci) / 2);
  const rows = kept.map(({ label, gvif, df }): CollinearityRow => {
    let lo: number | null = null, hi: number | null = null;
    if (ci !== null) {
      const r = 1 - 1 / gvif;
      const se = Math.sqrt(((1 - r * r) ** 2 * (n - p - 1) ** 2) / ((n * n - 1) * (n + 3)));
      const seLog = se / (r * (1 - r));
      lo = plogis(qlogis(r) - z * seLog);
      hi = plogis(qlogis(r) + z * seLog);
    }
    return {
      Term: label, VIF: gvif,
      VIF_CI_low: lo === null ? null : 1 / (1 - lo), VIF_CI_high: hi === null ? null : 1 / (1 - hi),
      SE_factor: Math.sqrt(gvif), Tolerance: 1 / gvif,
      Tolerance_CI_low: hi === null ? null : 1 - hi, Tolerance_CI_high: lo === null ? null : 1 - lo,
      df, GVIF_adjusted: gvif ** (1 / (2 * df)),
    };
  });
  return { rows, ci, messages };
}

/** the group of a VIF in performance's printout */
export function vifGroup(vif: number): 'Low' | 'Moderate' | 'High' {
  return vif < 5 ? 'Low' : vif < 10 ? 'Moderate' : 'High';
}

/** insight's format_ci(width = "auto") of a column of intervals: each side rounded, formatted and padded to its widest */
function formatCis(lo: (number | null)[], hi: (number | null)[], digits = 2): string[] {
  const side = (v: (number | null)[]) => {
    const s = v.map((x) => (x === null ? '' : formatValue(roundR(x, digits), digits)));
    const w = Math.max(...s.map((t) => t.length));
    return s.map((t) => t.padStart(w));
  };
  const l = side(lo), h = side(hi);
  return l.map((a, i) => (lo[i] === null && hi[i] === null ? '' : `[${a}, ${h[i]}]`));
}

/**
 * performance's print of check_collinearity: "# Check for Multicollinearity" and a table per group
 * (Low, Moderate, High Correlation), the numbers as insight's format_table writes them. (performance
 * 0.10.2's own print labels rows wrongly where the terms are not in the groups' order — it binds the
 * groups' rows and then picks them by their original positions —; this prints each row in its group.)
 */
export function printCollinearity(c: Collinearity): string[] {
  if (!c.rows) return ['NULL'];
  const pct = c.ci === null ? null : `${roundR(c.ci * 100, 10)}%`;
  const header = ['Term', 'VIF', ...(pct ? [`VIF ${pct} CI`] : []), 'Increased SE', 'Tolerance', ...(pct ? [`Tolerance ${pct} CI`] : [])];
  const out = ['# Check for Multicollinearity'];
  for (const group of ['Low', 'Moderate', 'High'] as const) {
    const rows = c.rows.filter((r) => vifGroup(r.VIF) === group);
    if (rows.length === 0) continue;
    // insight formats each group's rows as a table of its own
    const vifCi = formatCis(rows.map((r) => r.VIF_CI_low), rows.map((r) => r.VIF_CI_high));
    const tolCi = formatCis(rows.map((r) => r.Tolerance_CI_low), rows.map((r) => r.Tolerance_CI_high));
    const cells = rows.map((r, i) => [
      r.Term, formatValue(r.VIF), ...(pct ? [vifCi[i]] : []), formatValue(r.SE_factor), formatValue(r.Tolerance), ...(pct ? [tolCi[i]] : []),
    ]);
    out.push('', `${group} Correlation`, '', ...printDataFrame(header, cells));
  }
  return out;
}


