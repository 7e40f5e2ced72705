/**
 * Warnings about fits whose maximum-likelihood estimates do not exist or sit at the edge of the
 * family's range: fitted probabilities (or rates) numerically 0 or 1 (R's glm.fit warning), and
 * (quasi-)complete separation on an indicator column of the fixed effects — where the response is
 * the same (all failures, all successes, all zero counts) in every row with the indicator set, the
 * likelihood keeps increasing as that coefficient goes to ±∞, so its estimate and standard error
 * only say where the optimizer stopped.
 */
import type { GlmmModel } from './model.js';

/** R's glm.fit eps for "fitted probabilities numerically 0 or 1 occurred" */
const EDGE = 10 * Number.EPSILON;

export function separationWarnings(model: GlmmModel, mu: Float64Array, beta: Float64Array, se: number[]): string[] {
  const out: string[] = [];
  const { frame, family } = model;
  const { n, X, p, xnames } = frame;
  const { y, weights } = model.pirls;
  let edge = 0;
  for (let i = 0; i < n; i++) {
    if (weights[i] === 0) continue;
    if (family.family === 'binomial' ? mu[i] < EDGE || mu[i] > 1 - EDGE : mu[i] < EDGE) edge++;
  }
  if (edge > 0) {
    out.push(family.family === 'binomial'
      ? `fitted probabilities numerically 0 or 1 occurred (${edge} of ${n} observations): possible complete separation`
      : `fitted rates numerically 0 occurred (${edge} of ${n} observations)`);
  }
  for (let j = 0; j < p; j++) {
    const name = xnames[j];
    if (name === '(Intercept)') continue;
    // an indicator column: values 0 and one other value
    let other = NaN;
    let indicator = true;
    for (let i = 0; i < n && indicator; i++) {
      const v = X[j * n + i];
      if (v === 0) continue;
      if (Number.isNaN(other)) other = v;
      else if (v !== other) indicator = false;
    }
    if (!indicator || Number.isNaN(other)) continue;
    let count = 0, allZero = true, allOne = true;
    for (let i = 0; i < n; i++) {
      if (X[j * n + i] === 0 || weights[i] === 0) continue;
      count++;
      if (y[i] !== 0) allZero = false;
      if (y[i] !== 1) allOne = false;
    }
    if (count === 0) continue;
    const what = allZero
      ? (family.family === 'binomial' ? 'every response is a failure' : 'every count is zero')
      : allOne && family.family === 'binomial' ? 'every response is a success' : null;
    if (!what) continue;
    out.push(`complete separation: ${what} in the ${count} observations where '${name}' is nonzero, so its estimate (${beta[j].toPrecision(4)}, standard error ${se[j].toPrecision(4)}) is not a finite maximum-likelihood estimate`);
  }
  return out;
}
