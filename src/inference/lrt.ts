/**
 * Likelihood-ratio tests between nested models, as lme4's anova(m0, m1, …): the models (ML fits;
 * REML fits are refitted by ML before, as lme4's refit = TRUE) in increasing number of parameters,
 * AIC, BIC, log-likelihood, deviance, and for each model after the first
 *   χ² = 2 max(0, ℓ_k − ℓ_{k−1}) on npar_k − npar_{k−1} degrees of freedom (no p-value for 0).
 */
import { ModelError } from '../errors/errors.js';
import { pchisqUpper } from '../stats/distributions.js';

export interface LrtModel {
  formula: string;
  /** number of parameters (lme4's attr(logLik, "df")) */
  npar: number;
  /** the ML log-likelihood (Laplace/AGQ for a GLMM) */
  loglik: number;
  nobs: number;
  /** which input rows the model used (null: all of nInput), to refuse models fitted to different rows */
  rows: Int32Array | null;
  nInput: number;
  /** the fixed-effect coefficient names and the random-effect columns (`Days|Subject`), for the nesting check */
  fixed: string[];
  random: string[];
  family: string;
}

export interface LrtTable {
  models: { formula: string; npar: number; aic: number; bic: number; loglik: number; deviance: number }[];
  tests: ({ chisq: number; df: number; p: number | null } | null)[];
  warnings: string[];
}

export interface LrtOptions {
  /**
   * refuse models of different families (lme4's rule, the default); glmmTMB's anova compares fits of any
   * families on the same data (a zero-inflated Poisson against a negative binomial)
   */
  sameFamily?: boolean;
}

export function likelihoodRatioTable(input: LrtModel[], options: LrtOptions = {}): LrtTable {
  if (input.length < 2) throw new ModelError('anova needs at least two models to compare');
  const n0 = input[0].nobs;
  if (input.some((m) => m.nobs !== n0)) {
    throw new ModelError(`models were not all fitted to the same size of dataset (${input.map((m) => `${m.nobs} rows: ${m.formula}`).join('; ')}): missing values in a variable one model uses drop rows from it only`);
  }
  if (input.some((m) => !sameRows(m, input[0]))) throw new ModelError('models were fitted to different rows of the data (the same number of rows, but not the same rows): compare models fitted to the same observations');
  if (options.sameFamily !== false && input.some((m) => m.family !== input[0].family)) throw new ModelError(`models of different families cannot be compared (${input.map((m) => m.family).join(', ')})`);
  // lme4: order(npar), a stable sort
  const order = input.map((_, k) => k).sort((a, b) => input[a].npar - input[b].npar || a - b);
  const ms = order.map((k) => input[k]);
  const warnings: string[] = [];
  for (let k = 1; k < ms.length; k++) {
    const small = ms[k - 1], big = ms[k];
    const missingFixed = small.fixed.filter((f) => !big.fixed.includes(f));
    const missingRandom = small.random.filter((r) => !big.random.includes(r));
    if (missingFixed.length || missingRandom.length) {
      warnings.push(`models '${small.formula}' and '${big.formula}' do not look nested (${[...missingFixed, ...missingRandom].map((x) => `'${x}'`).join(', ')} of the smaller model ${missingFixed.length + missingRandom.length > 1 ? 'are' : 'is'} not in the larger): the χ² test assumes nested models`);
    }
    if (big.npar === small.npar) warnings.push(`models '${small.formula}' and '${big.formula}' have the same number of parameters (${big.npar}): no test (Df = 0)`);
  }
  const models = ms.map((m) => ({
    formula: m.formula, npar: m.npar,
    aic: -2 * m.loglik + 2 * m.npar, bic: -2 * m.loglik + Math.log(m.nobs) * m.npar,
    loglik: m.loglik, deviance: -2 * m.loglik,
  }));
  const tests = ms.map((m, k) => {
    if (k === 0) return null;
    const chisq = 2 * Math.max(0, m.loglik - ms[k - 1].loglik);
    const df = m.npar - ms[k - 1].npar;
    return { chisq, df, p: df === 0 ? null : pchisqUpper(chisq, df) };
  });
  return { models, tests, warnings };
}

/** whether two models used the same input rows (rows null: all of nInput) */
export function sameRows(a: Pick<LrtModel, 'rows' | 'nInput'>, b: Pick<LrtModel, 'rows' | 'nInput'>): boolean {
  if (a.nInput !== b.nInput) return false;
  if (a.rows === null || b.rows === null) return a.rows === b.rows;
  if (a.rows.length !== b.rows.length) return false;
  for (let i = 0; i < a.rows.length; i++) if (a.rows[i] !== b.rows[i]) return false;
  return true;
}
