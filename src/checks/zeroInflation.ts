/**
 * performance 0.10.2's `check_zeroinflation()` of a count GLMM (Poisson, negative binomial): the
 * observed zeros against those the fitted means predict,
 *
 *   predicted = round(Σ_i P(Y_i = 0 | μ̂_i)),  P = exp(−μ̂) (Poisson) or (θ/(θ + μ̂))^θ (NB2, size θ),
 *   ratio = predicted / observed,
 *
 * "underfitting zeros (probable zero-inflation)" where ratio < 1 − tolerance, "overfitting zeros" where
 * ratio > 1 + tolerance (tolerance 0.05 by default). No observed zeros: no check (performance's NULL).
 */
import { roundR } from '../results/rFormat.js';
import { fixed } from './format.js';

export interface ZeroInflation {
  predictedZeros: number;
  observedZeros: number;
  ratio: number;
  tolerance: number;
  message: string;
}

export const UNDERFITTING_ZEROS = 'Model is underfitting zeros (probable zero-inflation).';
export const OVERFITTING_ZEROS = 'Model is overfitting zeros.';
export const ZEROS_OK = 'Model seems ok, ratio of observed and predicted zeros is within the tolerance range.';
export const NO_ZEROS = 'Model has no observed zeros in the response variable.';

/** R's dnbinom(0, size, mu): exp(size · log(size/(size + mu))), as R writes it for size < mu or not */
export function dnbinomZero(size: number, mu: number): number {
  return Math.exp(size * (size < mu ? Math.log(size / (size + mu)) : Math.log1p(-mu / (size + mu))));
}

/** the check from the response y, the fitted means μ̂ and the NB size (null: Poisson); null where no zeros are observed */
export function zeroInflation(y: ArrayLike<number>, mu: ArrayLike<number>, size: number | null, tolerance = 0.05): ZeroInflation | null {
  let observed = 0, sum = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] === 0) observed++;
    sum += size === null ? Math.exp(-mu[i]) : dnbinomZero(size, mu[i]);
  }
  if (observed === 0) return null;
  const predicted = roundR(sum, 0);
  const ratio = predicted / observed;
  const message = ratio < 1 - tolerance ? UNDERFITTING_ZEROS : ratio > 1 + tolerance ? OVERFITTING_ZEROS : ZEROS_OK;
  return { predictedZeros: predicted, observedZeros: observed, ratio, tolerance, message };
}

/** performance's print of check_zeroinflation (its verdict is a message, in `message`) */
export function printZeroInflation(z: ZeroInflation | null): string[] {
  if (!z) return [NO_ZEROS];
  return ['# Check for zero-inflation', '', `   Observed zeros: ${z.observedZeros}`, `  Predicted zeros: ${z.predictedZeros}`, `            Ratio: ${fixed(z.ratio, 2)}`, ''];
}
