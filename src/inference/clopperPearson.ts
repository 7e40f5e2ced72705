/**
 * The exact (Clopper–Pearson) binomial interval of R's binom.test(x, n, conf.level) (and the binom
 * package's "exact" method, simr's default):
 *   lower = qbeta(α/2, x, n − x + 1)      (0 when x = 0)
 *   upper = qbeta(1 − α/2, x + 1, n − x)  (1 when x = n; found as the upper tail's α/2 quantile)
 * with α = 1 − conf.level, the quantiles of the beta distribution found by bisection on its
 * distribution function I_x(a, b) (src/stats/distributions.ts incompleteBeta) to the resolution of a
 * double in [0, 1].
 */
import { OptionError } from '../errors/errors.js';
import { incompleteBeta } from '../stats/distributions.js';

/** qbeta(p, a, b, lower.tail): the x in (0, 1) with I_x(a, b) = p (or 1 − I_x(a, b) = p, the upper tail computed directly), by bisection (I is increasing in x) */
export function qbeta(p: number, a: number, b: number, lowerTail = true): number {
  if (!(p > 0 && p < 1)) throw new OptionError('p', `qbeta: the probability must be in (0, 1), got ${p}`);
  let lo = 0, hi = 1;
  // 1100 halvings bound the loop; it stops when the midpoint no longer moves (adjacent doubles)
  for (let it = 0; it < 1100; it++) {
    const mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;
    const I = incompleteBeta(mid, a, b);
    if (lowerTail ? I.lower < p : I.upper > p) lo = mid;
    else hi = mid;
  }
  return lo + (hi - lo) / 2;
}

/** binom.test(x, n, conf.level = level)$conf.int (see the header) */
export function clopperPearson(x: number, n: number, level = 0.95): [number, number] {
  if (!(Number.isInteger(n) && n >= 1)) throw new OptionError('n', `the number of trials must be a whole number ≥ 1, got ${n}`);
  if (!(Number.isInteger(x) && x >= 0 && x <= n)) throw new OptionError('x', `the number of successes must be a whole number from 0 to ${n}, got ${x}`);
  if (!(level > 0 && level < 1)) throw new OptionError('level', `level must be between 0 and 1, got ${level}`);
  const alpha = 1 - level;
  const lower = x === 0 ? 0 : qbeta(alpha / 2, x, n - x + 1);
  const upper = x === n ? 1 : qbeta(alpha / 2, x + 1, n - x, false);
  return [lower, upper];
}
