/**
 * nlme's anova(fit1, fit2, …) of lme (or gls) fits: per model its df, AIC, BIC and logLik, and between
 * consecutive models the likelihood-ratio test L.Ratio = 2 |ℓ_k − ℓ_{k−1}| on χ² with |df_k − df_{k−1}|
 * df. As nlme, REML fits must have the same fixed effects (their restricted likelihoods differ
 * otherwise), all fits the same method and number of observations.
 */
import { ModelError } from '../errors/errors.js';
import { formatR, printMatrix, roundR } from '../results/rFormat.js';
import { pchisqUpper } from '../stats/distributions.js';

export interface ComparedFit {
  method: 'REML' | 'ML';
  nobs: number;
  npar: number;
  logLik: number;
  AIC: number;
  BIC: number;
  /** the fixed-effects columns (for REML's rule) */
  xnames: string[];
}

export interface AnovaRow {
  name: string;
  model: number;
  df: number;
  AIC: number;
  BIC: number;
  logLik: number;
  test: string | null;
  L_Ratio: number | null;
  p: number | null;
}

export function anovaLme(fits: ComparedFit[], names?: string[]): AnovaRow[] {
  if (fits.length < 2) throw new ModelError('anova: give two or more fits to compare');
  const labels = names ?? fits.map((_, k) => `fit${k + 1}`);
  const m0 = fits[0];
  for (const f of fits) {
    if (f.method !== m0.method) throw new ModelError('anova: all fits must use the same method (REML or ML)');
    if (f.nobs !== m0.nobs) throw new ModelError(`anova: the fits have different numbers of observations (${m0.nobs} and ${f.nobs})`);
    if (f.method === 'REML' && f.xnames.join('\u0000') !== m0.xnames.join('\u0000')) {
      throw new ModelError('anova: REML fits with different fixed effects: their restricted likelihoods are not comparable; refit with method = "ML"');
    }
  }
  return fits.map((f, k) => {
    const row: AnovaRow = { name: labels[k], model: k + 1, df: f.npar, AIC: f.AIC, BIC: f.BIC, logLik: f.logLik, test: null, L_Ratio: null, p: null };
    if (k > 0) {
      const prev = fits[k - 1];
      const ddf = Math.abs(f.npar - prev.npar);
      row.test = `${k} vs ${k + 1}`;
      row.L_Ratio = 2 * Math.abs(f.logLik - prev.logLik);
      row.p = ddf > 0 ? pchisqUpper(row.L_Ratio, ddf) : null;
    }
    return row;
  });
}

/** print(anova(…)) as nlme prints it. */
export function formatAnova(rows: AnovaRow[]): string {
  const col = (xs: number[]) => formatR(xs, 7);
  const lr = rows.filter((r) => r.L_Ratio !== null).map((r) => r.L_Ratio!);
  const lrs = lr.length ? formatR(lr, 7) : [];
  let li = 0;
  const cols = [
    rows.map((r) => String(r.model)), rows.map((r) => String(r.df)), col(rows.map((r) => r.AIC)), col(rows.map((r) => r.BIC)), col(rows.map((r) => r.logLik)),
    rows.map((r) => r.test ?? ''), rows.map((r) => (r.L_Ratio === null ? '' : lrs[li++])),
  ];
  const ps = rows.filter((r) => r.p !== null).map((r) => roundR(r.p!, 4));
  const pf = ps.length ? formatR(ps, 7).map((s, k) => (ps[k] === 0 ? '<.0001' : s)) : [];
  let pi = 0;
  cols.push(rows.map((r) => (r.p === null ? '' : pf[pi++])));
  return printMatrix(cols, rows.map((r) => r.name), ['Model', 'df', 'AIC', 'BIC', 'logLik', 'Test', 'L.Ratio', 'p-value'], true).join('\n');
}
