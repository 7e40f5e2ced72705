/**
 * performance 0.10.2's `check_overdispersion()` of a glmer fit (Poisson, negative binomial, binomial
 * with trials > 1): the Pearson χ² statistic against the residual degrees of freedom,
 *
 *   χ² = Σ_i r_i²,  r_i = (y_i − μ̂_i) √w_i / √V(μ̂_i)   (lme4's Pearson residuals),
 *   ratio = χ² / rdf,  p = P(χ²_rdf > χ²),
 *
 * with rdf lme4's df.residual: n − (p + length(θ) + [σ] + [the negative binomial's size]).
 * "Overdispersion detected." where p ≤ 0.05.
 */
import { pchisqUpper } from '../stats/distributions.js';
import { fixed } from './format.js';

export interface Overdispersion {
  chisq: number;
  ratio: number;
  rdf: number;
  p: number;
  /** performance's verdict: "Overdispersion detected." or "No overdispersion detected." */
  message: string;
}

export const OVERDISPERSION = 'Overdispersion detected.';
export const NO_OVERDISPERSION = 'No overdispersion detected.';

export function overdispersion(pearson: ArrayLike<number>, rdf: number): Overdispersion {
  let chisq = 0;
  for (let i = 0; i < pearson.length; i++) chisq += pearson[i] * pearson[i];
  const p = pchisqUpper(chisq, rdf);
  // the print's rule: round(p, 3) > 0.05
  return { chisq, ratio: chisq / rdf, rdf, p, message: Number(fixed(p, 3)) > 0.05 ? NO_OVERDISPERSION : OVERDISPERSION };
}

/** performance's print of check_overdispersion (its verdict is a message, in `message`) */
export function printOverdispersion(o: Overdispersion, digits = 3): string[] {
  const ratio = fixed(o.ratio, digits), chisq = fixed(o.chisq, digits);
  const pr = Number(fixed(o.p, digits));
  const p = pr < 0.001 ? '< 0.001' : String(pr);
  const w = Math.max(ratio.length, chisq.length, p.length);
  return [
    '# Overdispersion test', '',
    `       dispersion ratio = ${ratio.padStart(w)}`,
    `  Pearson's Chi-Squared = ${chisq.padStart(w)}`,
    `                p-value = ${p.padStart(w)}`, '',
  ];
}
