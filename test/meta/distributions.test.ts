/**
 * The distribution functions behind meta-analysis tests and intervals against R
 * (test/oracle/distributions.R): quantiles to 1e-12 relative, tail probabilities to 1e-12 relative
 * (including p-values down to 1e-300, which a 1 − lower-tail computation would lose), except F
 * with a denominator df of 1e5: 1e-11, the rounding the incomplete beta's continued fraction
 * accumulates over its O(√df) iterations (R's TOMS 708 switches to an asymptotic expansion there).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pchisqUpper, pfUpper, pvalueT, qnorm, qt } from '../../src/stats/distributions.js';

const ref = JSON.parse(readFileSync(new URL('../fixtures/distributions.json', import.meta.url), 'utf8'));

function rel(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

describe('distributions against R', () => {
  it('qnorm', () => {
    for (const c of ref.qnorm) expect(rel(qnorm(c.p), c.q), `qnorm(${c.p})`).toBeLessThan(1e-14);
  });
  it('qt', () => {
    for (const c of ref.qt) expect(rel(qt(c.p, c.df), c.q), `qt(${c.p}, ${c.df})`).toBeLessThan(1e-12);
  });
  it('two-sided pt', () => {
    for (const c of ref.pt2) expect(rel(pvalueT(c.t, c.df), c.p), `pt(${c.t}, ${c.df})`).toBeLessThan(1e-12);
  });
  it('pchisq upper tail', () => {
    for (const c of ref.pchisq) expect(rel(pchisqUpper(c.q, c.df), c.p), `pchisq(${c.q}, ${c.df})`).toBeLessThan(1e-12);
  });
  it('pf upper tail', () => {
    for (const c of ref.pf) {
      const tol = c.df2 > 1e4 ? 1e-11 : 1e-12;
      expect(rel(pfUpper(c.f, c.df1, c.df2), c.p), `pf(${c.f}, ${c.df1}, ${c.df2})`).toBeLessThan(tol);
    }
  });
});
