/**
 * lme4 1.1-31's anova(fit1, fit2, …) of nlmer fits (anova.merMod's likelihood-ratio table; nlmer fits are
 * ML fits, so none is refitted): the models by increasing number of parameters (θ, β and σ), AIC, BIC,
 * the Laplace log-likelihood ℓ, the deviance −2ℓ, and for each model after the first
 *   χ² = 2 max(0, ℓ_k − ℓ_{k−1}) on npar_k − npar_{k−1} degrees of freedom
 * (src/inference/lrt.ts), printed as lme4 prints it (src/inference/format.ts). The fits must use the same
 * rows of the same data and the same response; the χ² test assumes the smaller model is nested in the larger.
 */
import { ModelError } from '../errors/errors.js';
import { printLrtTable } from '../inference/format.js';
import { type LrtTable, likelihoodRatioTable } from '../inference/lrt.js';
import type { NlmerFit } from './nlmerFit.js';

export interface NlmerAnova extends LrtTable {
  /** the models' names in the table's order */
  names: string[];
  /** lme4's print(anova(…)) */
  print: string[];
}

/** lme4's anova of nlmer fits (header); `names` default to lme4's for unnamed arguments, m0, m1, … */
export function anovaNlmer(fits: NlmerFit[], names?: string[]): NlmerAnova {
  if (names !== undefined && names.length !== fits.length) throw new ModelError(`anova: ${names.length} names for ${fits.length} fits`);
  const responses = new Set(fits.map((f) => f.model.formula.response));
  if (responses.size > 1) throw new ModelError(`anova: the fits have different responses (${[...responses].join(', ')}): their likelihoods are not comparable`);
  const models = fits.map((f) => ({
    formula: f.formula, npar: f.df, loglik: f.logLik(), nobs: f.nobs, rows: f.model.rows, nInput: f.model.nInput,
    fixed: f.model.fixed, random: f.model.terms.flatMap((t) => t.names.map((nm) => `${nm}|${t.group}`)), family: 'gaussian',
  }));
  const table = likelihoodRatioTable(models);
  const base = names ?? fits.map((_, k) => `m${k}`);
  const order = models.map((_, k) => k).sort((a, b) => models[a].npar - models[b].npar || a - b);
  const ordered = order.map((k) => base[k]);
  return { ...table, names: ordered, print: printLrtTable(ordered, fits[0].dataName, table.models, table.tests) };
}
