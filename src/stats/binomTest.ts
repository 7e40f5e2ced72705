/**
 * R's exact binomial test's p-value, binom.test(x, n, p, alternative)$p.value:
 *   less       P(X ≤ x)
 *   greater    P(X ≥ x)
 *   two.sided  (p ≠ 0, 1; m = n p) 1 if x = m; else the probability of the outcomes no more likely than x,
 *              d = dbinom(x), with R's relative tolerance 1 + 1e-7:
 *                x < m:  P(X ≤ x) + P(X ≥ n − y + 1), y = #{i ≥ ⌈m⌉ : dbinom(i) ≤ d (1 + 1e-7)}
 *                x > m:  P(X ≤ y − 1) + P(X ≥ x),     y = #{i ≤ ⌊m⌋ : dbinom(i) ≤ d (1 + 1e-7)}
 *              and min(1, ·)
 * with X ~ Binomial(n, p), dbinom by Loader's saddle point (src/glmm/rmath.ts) and the tails
 * P(X ≤ k) = I_{1−p}(n − k, k + 1) by the regularized incomplete beta (R's pbinom through pbeta).
 */
import { OptionError } from '../errors/errors.js';
import { dbinomLog } from '../glmm/rmath.js';
import { incompleteBeta } from './distributions.js';

export const BINOM_ALTERNATIVES = ['two.sided', 'less', 'greater'] as const;
export type BinomAlternative = (typeof BINOM_ALTERNATIVES)[number];

/** P(X ≤ k), X ~ Binomial(n, p) (R's pbinom(k, n, p)) */
export function pbinom(k: number, n: number, p: number): number {
  const kk = Math.floor(k + 1e-7);
  if (kk < 0) return 0;
  if (kk >= n) return 1;
  return incompleteBeta(p, kk + 1, n - kk).upper;
}

/** P(X > k) (R's pbinom(k, n, p, lower.tail = FALSE)) */
export function pbinomUpper(k: number, n: number, p: number): number {
  const kk = Math.floor(k + 1e-7);
  if (kk < 0) return 1;
  if (kk >= n) return 0;
  return incompleteBeta(p, kk + 1, n - kk).lower;
}

const dbinom = (x: number, n: number, p: number) => Math.exp(dbinomLog(x, n, p));

/** binom.test(x, n, p, alternative)$p.value (header) */
export function binomTestP(x: number, n: number, p: number, alternative: BinomAlternative = 'two.sided'): number {
  if (!(Number.isInteger(n) && n >= 1)) throw new OptionError('n', `the number of trials must be a whole number ≥ 1, got ${n}`);
  if (!(Number.isInteger(x) && x >= 0 && x <= n)) throw new OptionError('x', `the number of successes must be a whole number from 0 to ${n}, got ${x}`);
  if (!(p >= 0 && p <= 1)) throw new OptionError('p', `the hypothesized probability must be in [0, 1], got ${p}`);
  if (!BINOM_ALTERNATIVES.includes(alternative)) throw new OptionError('alternative', `alternative must be one of ${BINOM_ALTERNATIVES.map((a) => `'${a}'`).join(', ')}, got ${String(alternative)}`);
  if (alternative === 'less') return pbinom(x, n, p);
  if (alternative === 'greater') return pbinomUpper(x - 1, n, p);
  if (p === 0) return x === 0 ? 1 : 0;
  if (p === 1) return x === n ? 1 : 0;
  const relErr = 1 + 1e-7;
  const d = dbinom(x, n, p);
  const m = n * p;
  let pv: number;
  if (x === m) pv = 1;
  else if (x < m) {
    let y = 0;
    for (let i = Math.ceil(m); i <= n; i++) if (dbinom(i, n, p) <= d * relErr) y++;
    pv = pbinom(x, n, p) + pbinomUpper(n - y, n, p);
  } else {
    let y = 0;
    for (let i = 0; i <= Math.floor(m); i++) if (dbinom(i, n, p) <= d * relErr) y++;
    pv = pbinom(y - 1, n, p) + pbinomUpper(x - 1, n, p);
  }
  return Math.min(1, pv);
}
