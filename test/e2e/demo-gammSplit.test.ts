/**
 * The browser app's split of a formula with smooth terms into gamm4's formula and `random`
 * (demo/src/gammFormula.ts), in Node: the summands as the library's formula parser reads them (nested
 * parentheses, named arguments, strings, `/`, `||`, `-`), every s()/te()/ti()/t2() call passed through to
 * gamm4's formula as written (whatever the library then makes of its arguments), the random-effects terms
 * as `random`, and the library's refusals kept (splitGammFormula). Exact strings: no numerics.
 */
import { describe, expect, test } from 'vitest';
import { FormulaError } from '../../src/errors/errors.js';
import { formulaSummands, splitGammFormula, splitSmoothFormula } from '../../demo/src/gammFormula.js';

describe("the app's gamm4 split by the library's formula parser", () => {
  test('smooth calls pass through unchanged, whatever their arguments', () => {
    expect(splitSmoothFormula('y ~ s(x, by = f) + z + (1 | g/h)')).toEqual({ formula: 'y ~ z + s(x, by = f)', random: '~ (1 | g/h)' });
    expect(splitSmoothFormula('y ~ t2(x, z) + (1|g)')).toEqual({ formula: 'y ~ t2(x, z)', random: '~ (1|g)' });
    expect(splitSmoothFormula('y ~ te(x, z, k = c(4, 5)) + s(w, bs = "cr", k = 8) + f')).toEqual({ formula: 'y ~ f + te(x, z, k = c(4, 5)) + s(w, bs = "cr", k = 8)' });
    expect(splitSmoothFormula("y ~ s(x, bs = 'tp') + ti(x, z)")).toEqual({ formula: "y ~ s(x, bs = 'tp') + ti(x, z)" });
    // a string holding a bar, a plus or a parenthesis is one argument, not a term
    expect(splitSmoothFormula('y ~ s(x, xt = "a|b + (c") + (1 | g)')).toEqual({ formula: 'y ~ s(x, xt = "a|b + (c")', random: '~ (1 | g)' });
    // the parser reads strings itself (no masking): relevel() and comparisons are fixed-effects terms
    expect(splitSmoothFormula('y ~ s(x) + relevel(f, ref = "b|c") + I(z > 0 & w != \'a+b\') + (0 + I(z > 0) | g)')).toEqual({
      formula: 'y ~ relevel(f, ref = "b|c") + I(z > 0 & w != \'a+b\') + s(x)', random: '~ (0 + I(z > 0) | g)',
    });
  });

  test('nested parentheses, vector and uncorrelated terms, nesting, signs', () => {
    expect(splitSmoothFormula('y ~ s(x) + I((a + b)^2) + (1 + log(w) | g) - 1')).toEqual({ formula: 'y ~ I((a + b)^2) - 1 + s(x)', random: '~ (1 + log(w) | g)' });
    expect(splitSmoothFormula('y ~ (x || g) + s(x) + ((1 | h))')).toEqual({ formula: 'y ~ s(x)', random: '~ (x || g) + ((1 | h))' });
    expect(splitSmoothFormula('y ~ 0 + f + s(x) + (1 | g/h) + (0 + x | g:h)')).toEqual({ formula: 'y ~ 0 + f + s(x)', random: '~ (1 | g/h) + (0 + x | g:h)' });
    // the intercept alone is gamm4's default: left out; a product of terms stays whole
    expect(splitSmoothFormula('y ~ 1 + s(x) + (1 | g)')).toEqual({ formula: 'y ~ s(x)', random: '~ (1 | g)' });
    expect(splitSmoothFormula('cbind(succ, fail) ~ a*b + s(x)')).toEqual({ formula: 'cbind(succ, fail) ~ a*b + s(x)' });
    // a parenthesized sum is a fixed-effects term, not a random-effects one
    expect(splitSmoothFormula('y ~ (a + b) + s(x)')).toEqual({ formula: 'y ~ (a + b) + s(x)' });
    // no smooth: null
    expect(splitSmoothFormula('y ~ x + (1 | g)')).toBeNull();
  });

  test('the summands with their offsets in the formula as written', () => {
    const f = 'resp ~ s(x, bs = "cr") - 1 + (1 | g)';
    const { response, summands } = formulaSummands(f);
    expect(response).toBe('resp');
    expect(summands.map((s) => [s.sign, s.text, s.kind, s.pos])).toEqual([
      ['+', 's(x, bs = "cr")', 'smooth', f.indexOf('s(')],
      ['-', '1', 'fixed', f.indexOf('1 +')],
      ['+', '(1 | g)', 'random', f.indexOf('(1 |')],
    ]);
  });

  test("the parser's errors at their token, on the formula as written", () => {
    const at = (text: string, split: (t: string) => unknown = splitSmoothFormula): [string, number] => {
      try { split(text); } catch (e) { expect(e).toBeInstanceOf(FormulaError); return [(e as FormulaError).message, (e as FormulaError).position]; }
      throw new Error(`no error for ${text}`);
    };
    const open = 'y ~ s(x, bs = "cr") + (1 | g';
    expect(at(open)[1]).toBe(open.indexOf('(1'));
    expect(at(open)[0]).toContain('\n  y ~ s(x, bs = "cr") + (1 | g\n');
    expect(at('~ s(x)')[0]).toMatch(/^a model formula has a response/);
    // an unterminated string: the parser's error at its quote
    const quote = 'y ~ s(x, bs = "cr) + (1 | g)';
    expect(at(quote)).toEqual([expect.stringMatching(/^unterminated string: no closing "/), quote.indexOf('"')]);
    const minus = 'y ~ s(x) - (1 | g)';
    expect(at(minus)).toEqual([expect.stringMatching(/^a random-effects term is added to a formula, not removed: '- \(1 \| g\)'/), minus.indexOf('(1')]);
  });

  test("splitGammFormula: the library's smooths and refusals, the parser's split", () => {
    const s = splitGammFormula('y ~ s(x0) + s(x1, bs = "cr") + x2 + (1 | fac/sub) - 1')!;
    expect(s).toMatchObject({ formula: 'y ~ x2 - 1 + s(x0) + s(x1, bs = "cr")', random: '~ (1 | fac/sub)' });
    expect(s.smooths.map((x) => [x.label, x.bs, x.pos])).toEqual([['s(x0)', 'tp', 4], ['s(x1)', 'cr', 12]]);
    expect(splitGammFormula('y ~ x + (1 | g)')).toBeNull();
    // a refusal of the library's smooth parser stays its own (at its token)
    const ps = 'y ~ s(x0, bs = "ds") + (1 | fac)';
    expect(at2(ps)).toEqual([expect.stringMatching(/bs = "ds": basis not supported/), ps.indexOf('bs =')]);
  });
});

function at2(text: string): [string, number] {
  try { splitGammFormula(text); } catch (e) { return [(e as FormulaError).message, (e as FormulaError).position]; }
  throw new Error(`no error for ${text}`);
}
