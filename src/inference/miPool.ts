/**
 * Pooling the estimates of m imputed data sets (Rubin 1987; Barnard & Rubin 1999), as mitml 0.4-4's
 * testEstimates (`.pool.estimates`) and mice 3.15's pool (`pool.fitlist`, `barnard.rubin`) compute
 * them: pure arithmetic on the m pairs (Q̂ₗ, Ûₗ), l = 1..m.
 *
 *   Q̄ = (1/m) Σ Q̂ₗ,  Ū = (1/m) Σ Ûₗ,  B = (1/(m−1)) Σ (Q̂ₗ − Q̄)(Q̂ₗ − Q̄)ᵀ,  T = Ū + (1 + 1/m) B
 */
import { OptionError } from '../errors/errors.js';
import { pt, pvalueT } from '../stats/distributions.js';

/** The m completed-data estimates: Q[l] the p estimates of imputation l, U[l] their p × p covariance (rows). */
export interface MiEstimates {
  names: string[];
  Q: number[][];
  U: number[][][] | null;
}

/** One row of mitml's testEstimates table. */
export interface MiPooledRow {
  term: string;
  estimate: number;
  /** √T_jj */
  se: number;
  t: number;
  df: number;
  p: number;
  /** relative increase in variance r = (1 + 1/m) B_jj / Ū_jj */
  riv: number;
  /** fraction of missing information (r + 2/(ν + 3)) / (r + 1) */
  fmi: number;
}

export interface MiPooled {
  m: number;
  rows: MiPooledRow[];
  Qbar: number[];
  Ubar: number[][];
  B: number[][];
  T: number[][];
  dfCom: number | null;
}

export function checkMiEstimates(est: MiEstimates, what = 'the estimates'): void {
  const m = est.Q.length;
  if (m < 2) throw new OptionError('imputations', `pooling needs at least 2 imputed data sets; ${what} have ${m}`);
  const p = est.names.length;
  est.Q.forEach((q, l) => {
    if (q.length !== p) throw new OptionError('imputations', `imputation ${l + 1}'s estimates have ${q.length} entries, not ${p} (${est.names.join(', ')}): the same model must be fitted to every imputed data set`);
  });
  est.U?.forEach((u, l) => {
    if (u.length !== p || u.some((r) => r.length !== p)) throw new OptionError('imputations', `imputation ${l + 1}'s covariance is not ${p} × ${p}`);
  });
}

/** Q̄ = (1/m) Σ Q̂ₗ */
export function miMean(Q: number[][]): number[] {
  const m = Q.length, p = Q[0].length;
  return Array.from({ length: p }, (_, j) => Q.reduce((s, q) => s + q[j], 0) / m);
}

/** Ū = (1/m) Σ Ûₗ */
export function miMeanMatrix(U: number[][][]): number[][] {
  const m = U.length, p = U[0].length;
  return Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => U.reduce((s, u) => s + u[i][j], 0) / m));
}

/** B = (1/(m−1)) Σ (Q̂ₗ − Q̄)(Q̂ₗ − Q̄)ᵀ, the between-imputation covariance */
export function miBetween(Q: number[][], Qbar: number[]): number[][] {
  const m = Q.length, p = Qbar.length;
  return Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => Q.reduce((s, q) => s + (q[i] - Qbar[i]) * (q[j] - Qbar[j]), 0) / (m - 1)));
}

function checkDfCom(dfCom: number | null | undefined): number | null {
  if (dfCom === undefined || dfCom === null) return null;
  if (!(typeof dfCom === 'number' && dfCom > 0)) throw new OptionError('dfCom', `dfCom (the complete-data degrees of freedom) must be a positive number, not ${String(dfCom)}`);
  return dfCom;
}

/**
 * mitml's testEstimates: Rubin's rules per parameter. ν_m = (m − 1)(1 + 1/r)² (Rubin 1987); with the
 * complete-data df ν_com, Barnard & Rubin's (1999) ν = (1/ν_m + 1/ν_obs)⁻¹ with
 * ν_obs = (1 − λ) ν_com (ν_com + 1)/(ν_com + 3), λ = r/(r + 1).
 */
export function poolEstimates(est: MiEstimates, options: { dfCom?: number | null } = {}): MiPooled {
  checkMiEstimates(est);
  if (!est.U) throw new OptionError('U', 'poolEstimates needs each imputation\'s covariance U of the estimates (use miMean for estimates without one)');
  const dfCom = checkDfCom(options.dfCom);
  const m = est.Q.length;
  const Qbar = miMean(est.Q);
  const Ubar = miMeanMatrix(est.U);
  const B = miBetween(est.Q, Qbar);
  // T = Ū + (1 + 1/m) B
  const T = Ubar.map((r, i) => r.map((u, j) => u + (1 + 1 / m) * B[i][j]));
  const rows = est.names.map((term, j) => {
    const se = Math.sqrt(T[j][j]);
    const t = Qbar[j] / se;
    const r = ((1 + 1 / m) * B[j][j]) / Ubar[j][j];
    const vm = (m - 1) * (1 + 1 / r) ** 2;
    let df = vm;
    if (dfCom !== null) {
      const lambda = r / (r + 1);
      const vobs = (1 - lambda) * ((dfCom + 1) / (dfCom + 3)) * dfCom;
      df = 1 / (1 / vm + 1 / vobs);
    }
    const fmi = (r + 2 / (df + 3)) / (r + 1);
    // p = 2(1 − F_ν(|t|)) as mitml computes it (0 below ~1e-16, where 1 − F_ν rounds away)
    return { term, estimate: Qbar[j], se, t, df, p: 2 * (1 - pt(Math.abs(t), df)), riv: r, fmi };
  });
  return { m, rows, Qbar, Ubar, B, T, dfCom };
}

/** One row of `summary(mice::pool(fits), type = "all")`. */
export interface MicePooledRow {
  term: string;
  m: number;
  estimate: number;
  ubar: number;
  b: number;
  t: number;
  dfcom: number;
  df: number;
  riv: number;
  lambda: number;
  fmi: number;
  std_error: number;
  statistic: number;
  p_value: number;
}

/**
 * Barnard & Rubin's (1999) df as mice's barnard.rubin: λ = (1 + 1/m) b / t (at least 1e-4),
 * ν_old = (m − 1)/λ², ν_obs = (ν_com + 1)/(ν_com + 3) ν_com (1 − λ), ν = ν_old ν_obs / (ν_old + ν_obs)
 * (ν_old alone when ν_com = ∞).
 */
export function barnardRubinDf(m: number, b: number, t: number, dfCom: number): number {
  const lambda = Math.max((1 + 1 / m) * b / t, 1e-4);
  const dfold = (m - 1) / lambda ** 2;
  if (dfCom === Infinity) return dfold;
  const dfobs = ((dfCom + 1) / (dfCom + 3)) * dfCom * (1 - lambda);
  return (dfold * dfobs) / (dfold + dfobs);
}

/**
 * mice's pool (rule "rubin1987") of each parameter's estimate and squared standard error, with its
 * summary's std.error = √t, statistic = Q̄/√t and p-value on Barnard–Rubin's df (at least 0.001).
 */
export function poolMice(est: MiEstimates, dfCom: number): MicePooledRow[] {
  checkMiEstimates(est);
  if (!est.U) throw new OptionError('U', 'poolMice needs each imputation\'s covariance U of the estimates');
  if (!(dfCom > 0)) throw new OptionError('dfcom', `dfcom must be a positive number, not ${String(dfCom)}`);
  const m = est.Q.length;
  const Qbar = miMean(est.Q);
  return est.names.map((term, j) => {
    const ubar = est.U!.reduce((s, u) => s + u[j][j], 0) / m;
    const b = est.Q.reduce((s, q) => s + (q[j] - Qbar[j]) ** 2, 0) / (m - 1);
    const t = ubar + (1 + 1 / m) * b;
    const df = barnardRubinDf(m, b, t, dfCom);
    const riv = ((1 + 1 / m) * b) / ubar;
    const lambda = ((1 + 1 / m) * b) / t;
    const fmi = (riv + 2 / (df + 3)) / (riv + 1);
    const se = Math.sqrt(t);
    const statistic = Qbar[j] / se;
    return { term, m, estimate: Qbar[j], ubar, b, t, dfcom: dfCom, df, riv, lambda, fmi, std_error: se, statistic, p_value: pvalueT(statistic, Math.max(df, 0.001)) };
  });
}
