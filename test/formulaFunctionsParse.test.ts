/**
 * Named arguments, TRUE/FALSE and c(…) in formula calls: the labels (R's deparse of the call, which
 * names the model-matrix columns), the matched arguments of poly/ns/bs, factor() as a variable and
 * as a grouping factor, and each refusal with its position.
 */
import { describe, expect, it } from 'vitest';
import { parseFormula } from '../src/formula/parse.js';
import { FormulaError } from '../src/errors/errors.js';

function error(text: string): FormulaError {
  try {
    parseFormula(text);
  } catch (e) {
    expect(e).toBeInstanceOf(FormulaError);
    return e as FormulaError;
  }
  throw new Error(`no error for ${text}`);
}

describe('calls with named arguments (R deparse labels, R argument matching)', () => {
  it('poly: positional degree, degree =, raw = TRUE; labels as R deparses them', () => {
    const f = parseFormula('y ~ poly(x, 2) + poly(z, degree = 3) + poly(w, 2, raw = TRUE) + poly(v, raw = FALSE, degree = 2)');
    expect(f.fixed.terms.map((t) => t.label)).toEqual(['poly(x, 2)', 'poly(z, degree = 3)', 'poly(w, 2, raw = TRUE)', 'poly(v, raw = FALSE, degree = 2)']);
    expect(f.fixed.terms.map((t) => t.vars[0].expr)).toEqual([
      { type: 'call', fn: 'poly', args: [{ type: 'var', name: 'x' }], basis: { degree: 2 } },
      { type: 'call', fn: 'poly', args: [{ type: 'var', name: 'z' }], basis: { degree: 3 } },
      { type: 'call', fn: 'poly', args: [{ type: 'var', name: 'w' }], basis: { degree: 2, raw: true } },
      { type: 'call', fn: 'poly', args: [{ type: 'var', name: 'v' }], basis: { degree: 2 } },
    ]);
    // R's default degree is 1
    expect(parseFormula('y ~ poly(x)').fixed.terms[0].vars[0].expr).toMatchObject({ basis: { degree: 1 } });
  });
  it('ns and bs: df, knots = c(…), degree, Boundary.knots; positional df and knots', () => {
    const f = parseFormula('y ~ ns(x, df = 3) + ns(z, knots = c(2, 5)) + bs(x, degree = 2, df = 4) + bs(w, 5) + ns(v, Boundary.knots = c(-1, 11), knots = 4)');
    expect(f.fixed.terms.map((t) => t.label)).toEqual(['ns(x, df = 3)', 'ns(z, knots = c(2, 5))', 'bs(x, degree = 2, df = 4)', 'bs(w, 5)', 'ns(v, Boundary.knots = c(-1, 11), knots = 4)']);
    expect(f.fixed.terms.map((t) => (t.vars[0].expr as { basis: unknown }).basis)).toEqual([
      { degree: 3, df: 3 }, { degree: 3, knots: [2, 5] }, { degree: 2, df: 4 }, { degree: 3, df: 5 }, { degree: 3, knots: [4], boundary: [-1, 11] },
    ]);
  });
  it('poly interactions combine as factors do: poly(x, 2):f', () => {
    expect(parseFormula('y ~ poly(x, 2) * f').fixed.terms.map((t) => t.label)).toEqual(['poly(x, 2)', 'f', 'poly(x, 2):f']);
  });
  it('factor() and as.factor() as variables and grouping factors', () => {
    const f = parseFormula('y ~ factor(d) + as.factor(e) + (0 + factor(k) | g) + (1 | factor(h)) + (1 | factor(a):b)');
    expect(f.fixed.terms.map((t) => t.vars[0].expr)).toEqual([
      { type: 'call', fn: 'factor', args: [{ type: 'var', name: 'd' }] },
      { type: 'call', fn: 'as.factor', args: [{ type: 'var', name: 'e' }] },
    ]);
    expect(f.random.map((r) => [r.text, r.group, r.groupLabel])).toEqual([
      ['(0 + factor(k) | g)', ['g'], 'g'], ['(1 | factor(h))', ['h'], 'factor(h)'], ['(1 | factor(a):b)', ['a', 'b'], 'factor(a):b'],
    ]);
  });
});

describe('refusals, each a FormulaError at the token', () => {
  const cases: [string, number, RegExp][] = [
    ['y ~ x = 2', 6, /unexpected '=': '=' names an argument of a function call/],
    ['y ~ sqrt(x, base = 2)', 19, /'sqrt' takes no named argument here: 'base = '/],
    ['y ~ poly(x, deg = 2)', 18, /'poly' has no argument 'deg' \(write its full name: degree = …\)/],
    ['y ~ poly(x, 2, degree = 3)', 12, /the degree given twice/],
    ['y ~ poly(x, z, 2)', 15, /'poly' of several variables \(R's polym/],
    ['y ~ poly(x, z)', 12, /'poly' of several variables/],
    ['y ~ poly(x, 2, coefs = 1)', 23, /'coefs' is not supported/],
    ['y ~ poly(x, 2, simple = TRUE)', 24, /'simple' is not supported/],
    ['y ~ poly(x, raw = 1)', 18, /raw must be TRUE or FALSE, not '1'/],
    ['y ~ poly(x, 0)', 12, /degree must be a whole number ≥ 1, not '0'/],
    ['y ~ poly(x, 1.5)', 12, /degree must be a whole number ≥ 1/],
    ['y ~ poly(degree = 2)', 4, /'poly' needs a variable/],
    ['y ~ ns(x, df = 2.5)', 15, /df must be a whole number ≥ 1/],
    ['y ~ ns(x, intercept = TRUE)', 22, /'intercept' is not supported/],
    ['y ~ ns(x, knots = c(a, 2))', 18, /knots must be a number or numbers c\(…\) written out, not 'c\(a, 2\)'/],
    ['y ~ ns(x, Boundary.knots = c(3, 1))', 27, /Boundary.knots must be two increasing numbers/],
    ['y ~ ns(x, 3, c(1, 2), FALSE, c(0, 9), 1)', 38, /'ns' takes at most 5 arguments \(x, df, knots, intercept, Boundary.knots\), got 6/],
    ['y ~ bs(x, df = 3, df = 4)', 23, /argument 'df' given twice/],
    ['y ~ factor(x, levels = 2)', 23, /'factor' takes no named argument here: 'levels = '/],
    ['y ~ factor(x, y)', 4, /'factor' takes 1 argument, got 2/],
    ['y ~ log(poly(x, 2))', 8, /'poly\(\)' gives a matrix of columns: it may only be a variable of a term/],
    ['y ~ I(factor(x))', 6, /'factor\(\)' gives a factor: it may only be a variable of a term/],
    ['poly(y, 2) ~ x', 0, /'poly\(\)' gives a matrix of columns/],
    ['y ~ x + offset(ns(z))', 15, /'ns\(\)' gives a matrix of columns/],
    ['y ~ offset(x = z)', 15, /'offset' takes no named argument/],
    ['cbind(s = a, b) ~ x', 10, /'cbind' takes no named argument/],
    ['y ~ TRUE', 4, /invalid term 'TRUE'/],
    ['y ~ log(FALSE)', 8, /'FALSE' is the value of a function's argument/],
    ['y ~ c(1, 2)', 4, /unknown function 'c': 'c\(...\)' is the value of an argument/],
    ['y ~ poly(x = )', 11, /expected a value after 'x ='/],
    ['y ~ (1 | log(g))', 9, /grouping factor must be a variable, factor\(variable\)/],
  ];
  for (const [text, pos, re] of cases) {
    it(text, () => {
      const e = error(text);
      expect(e.message).toMatch(re);
      expect(e.position).toBe(pos);
    });
  }
});
