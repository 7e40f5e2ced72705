/**
 * MASS's fractions(x): each number's rational approximation by its continued fraction (MASS:::.rat,
 * cycles = 10, max.denominator = 2000) written "p/q" ("p" where q = 1), and print.fractions's
 * layout of a matrix of them.
 *
 *   x = b₀ + 1/(b₁ + 1/(b₂ + …)),  b₀ = ⌊x⌋, r₀ = x − b₀, while r_k > 1/max.denominator (at most
 *   `cycles` times): b_{k+1} = ⌊1/r_k⌋, r_{k+1} = 1/r_k − b_{k+1};
 *   convergents: (p, q)_{−1} = (1, 0), (p, q)_0 = (b₀, 1), (p, q)_k = b_k (p, q)_{k−1} + (p, q)_{k−2}.
 */
import { formatR } from './rFormat.js';

/** MASS:::.rat of one number: its convergent [p, q] */
export function rationalApproximation(x: number, cycles = 10, maxDenominator = 2000): [number, number] {
  if (!Number.isFinite(x)) return [x, 1];
  const b = [Math.floor(x)];
  let r = x - b[0];
  for (let len = 1; r > 1 / maxDenominator && len <= cycles; len++) {
    r = 1 / r;
    const bk = Math.floor(r);
    b.push(bk);
    r -= bk;
  }
  let prev: [number, number] = [1, 0];
  let cur: [number, number] = [b[0], 1];
  for (let k = 1; k < b.length; k++) {
    const next: [number, number] = [b[k] * cur[0] + prev[0], b[k] * cur[1] + prev[1]];
    prev = cur;
    cur = next;
  }
  return cur;
}

/** as.character of a whole number (15 significant digits, R's choice of fixed or scientific) */
const asCharacter = (v: number): string => (Number.isFinite(v) ? formatR([v], 15)[0] : v > 0 ? 'Inf' : v < 0 ? '-Inf' : 'NaN');

/** MASS's fractions(x)'s "fracs": "p/q", or "p" for a whole number */
export function fraction(x: number, cycles = 10, maxDenominator = 2000): string {
  const [p, q] = rationalApproximation(x, cycles, maxDenominator);
  return q === 1 ? asCharacter(p) : `${asCharacter(p)}/${asCharacter(q)}`;
}

/**
 * print.fractions of a matrix given by its rows: each string padded on the left to the longest one's
 * width, then printed as a character matrix without quotes (left-aligned cells and headers).
 */
export function fractionCells(rows: number[][]): string[][] {
  const f = rows.map((r) => r.map((v) => fraction(v)));
  const mc = Math.max(0, ...f.flat().map((s) => s.length));
  return f.map((r) => r.map((s) => s.padStart(mc)));
}
