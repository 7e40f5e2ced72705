import { describe, expect, it } from 'vitest';
import { parseFormula } from '../src/formula/parse.js';
import { FormulaError, type Expr, type Formula, type LinearPart, type Term } from '../src/formula/types.js';

const v = (name: string): Expr => ({ type: 'var', name });
const labels = (part: LinearPart) => part.terms.map((t) => t.label);
const randomTexts = (f: Formula) => f.random.map((r) => r.text);

/** A main-effect term of a plain column. */
const mainTerm = (name: string): Term => ({ label: name, vars: [{ label: name, expr: v(name) }] });

/** Asserts that parsing throws a FormulaError at `position` whose message contains every fragment. */
function expectError(text: string, position: number, ...fragments: string[]): void {
  let error: unknown;
  try {
    parseFormula(text);
  } catch (e) {
    error = e;
  }
  expect(error, `no error for ${text}`).toBeInstanceOf(FormulaError);
  const fe = error as FormulaError;
  expect(fe.position).toBe(position);
  expect(fe.formula).toBe(text);
  for (const f of fragments) expect(fe.message).toContain(f);
}

describe('parseFormula: response', () => {
  it('accepts a column name', () => {
    const f = parseFormula('Reaction ~ Days');
    expect(f.text).toBe('Reaction ~ Days');
    expect(f.response).toEqual({ kind: 'expr', label: 'Reaction', expr: v('Reaction') });
  });

  it('accepts an expression', () => {
    expect(parseFormula('log(y) ~ x').response).toEqual({
      kind: 'expr',
      label: 'log(y)',
      expr: { type: 'call', fn: 'log', args: [v('y')] },
    });
  });

  it('accepts cbind(successes, failures) with expressions as arguments', () => {
    const f = parseFormula('cbind(incidence, size - incidence) ~ period + (1 | herd)');
    expect(f.response).toEqual({
      kind: 'cbind',
      label: 'cbind(incidence, size - incidence)',
      successes: v('incidence'),
      failures: { type: 'binop', op: '-', left: v('size'), right: v('incidence') },
    });
    expect(f.fixed).toEqual({ intercept: true, terms: [mainTerm('period')] });
    expect(f.random).toEqual([
      { lhs: { intercept: true, terms: [] }, group: ['herd'], groupLabel: 'herd', text: '(1 | herd)', written: '1' },
    ]);
  });

  it('accepts backquoted names and prints them backquoted, as R does', () => {
    const f = parseFormula('`my y` ~ `my col` + `x`');
    expect(f.response).toEqual({ kind: 'expr', label: '`my y`', expr: v('my y') });
    expect(f.fixed.terms).toEqual([{ label: '`my col`', vars: [{ label: '`my col`', expr: v('my col') }] }, mainTerm('x')]);
  });

  it('accepts R identifiers with dots, underscores and digits', () => {
    expect(labels(parseFormula('y.1 ~ .x_2 + a.b.c').fixed)).toEqual(['.x_2', 'a.b.c']);
  });
});

describe('parseFormula: fixed effects', () => {
  it('Reaction ~ Days + (Days | Subject)', () => {
    const f = parseFormula('Reaction ~ Days + (Days | Subject)');
    expect(f.fixed).toEqual({ intercept: true, terms: [mainTerm('Days')] });
    expect(f.offsets).toEqual([]);
    expect(f.random).toEqual([
      {
        lhs: { intercept: true, terms: [mainTerm('Days')] },
        group: ['Subject'],
        groupLabel: 'Subject',
        text: '(Days | Subject)',
        written: 'Days',
      },
    ]);
  });

  it('handles the intercept: 1 keeps it, 0 / -1 / - 1 remove it', () => {
    expect(parseFormula('y ~ 1 + x').fixed).toEqual({ intercept: true, terms: [mainTerm('x')] });
    expect(parseFormula('y ~ -1 + x').fixed).toEqual({ intercept: false, terms: [mainTerm('x')] });
    expect(parseFormula('y ~ 0 + x').fixed).toEqual({ intercept: false, terms: [mainTerm('x')] });
    expect(parseFormula('y ~ x - 1').fixed).toEqual({ intercept: false, terms: [mainTerm('x')] });
    expect(parseFormula('y ~ x + 0').fixed).toEqual({ intercept: false, terms: [mainTerm('x')] });
    expect(parseFormula('y ~ 1').fixed).toEqual({ intercept: true, terms: [] });
    // as in R, the last 0/1 wins, and '- 0' restores the intercept
    expect(parseFormula('y ~ 0 + x + 1').fixed.intercept).toBe(true);
    expect(parseFormula('y ~ x - 0').fixed.intercept).toBe(true);
  });

  it('removes terms with -', () => {
    expect(labels(parseFormula('y ~ a*b - a').fixed)).toEqual(['b', 'a:b']);
    expect(labels(parseFormula('y ~ a + b + c - b').fixed)).toEqual(['a', 'c']);
  });

  it('expands * into main effects and interaction', () => {
    const f = parseFormula('y ~ a*b');
    expect(f.fixed.terms).toEqual([
      mainTerm('a'),
      mainTerm('b'),
      { label: 'a:b', vars: [{ label: 'a', expr: v('a') }, { label: 'b', expr: v('b') }] },
    ]);
    expect(labels(parseFormula('y ~ (a+b)*c').fixed)).toEqual(['a', 'b', 'c', 'a:c', 'b:c']);
    expect(labels(parseFormula('y ~ a*b*c').fixed)).toEqual(['a', 'b', 'c', 'a:b', 'a:c', 'b:c', 'a:b:c']);
  });

  it('expands / on the fixed side into a + a:b', () => {
    expect(labels(parseFormula('y ~ a/b').fixed)).toEqual(['a', 'a:b']);
    expect(labels(parseFormula('y ~ (a+b)/c').fixed)).toEqual(['a', 'b', 'a:b:c']);
  });

  it('expands (a+b)^2 and (a+b+c)^2 to main effects and two-way interactions', () => {
    expect(labels(parseFormula('y ~ (a+b)^2').fixed)).toEqual(['a', 'b', 'a:b']);
    expect(labels(parseFormula('y ~ (a+b+c)^2').fixed)).toEqual(['a', 'b', 'c', 'a:b', 'a:c', 'b:c']);
    expect(labels(parseFormula('y ~ (a+b+c)^3').fixed)).toEqual(['a', 'b', 'c', 'a:b', 'a:c', 'b:c', 'a:b:c']);
    expect(labels(parseFormula('y ~ x^2').fixed)).toEqual(['x']);
  });

  it('orders terms by degree, and the variables of a term by first appearance', () => {
    expect(labels(parseFormula('y ~ b + a + a:b').fixed)).toEqual(['b', 'a', 'b:a']);
    expect(labels(parseFormula('y ~ a:b + c').fixed)).toEqual(['c', 'a:b']);
    const f = parseFormula('y ~ b:a + a + b');
    expect(labels(f.fixed)).toEqual(['a', 'b', 'b:a']);
    expect(f.fixed.terms[2].vars.map((x) => x.label)).toEqual(['b', 'a']);
  });

  it('removes duplicate terms', () => {
    expect(labels(parseFormula('y ~ a + a').fixed)).toEqual(['a']);
    expect(labels(parseFormula('y ~ a:b + b:a').fixed)).toEqual(['a:b']);
    expect(labels(parseFormula('y ~ a*b + a:b + b').fixed)).toEqual(['a', 'b', 'a:b']);
  });

  it('treats calls as single variables labelled as R deparses them', () => {
    const f = parseFormula('y ~ log(x) + I(x^2) + I(x+1) + I(x - 1) + I(2*x) + I(x/2) + log10(x) + log(x):z');
    expect(labels(f.fixed)).toEqual([
      'log(x)',
      'I(x^2)',
      'I(x + 1)',
      'I(x - 1)',
      'I(2 * x)',
      'I(x/2)',
      'log10(x)',
      'log(x):z',
    ]);
    expect(f.fixed.terms[1].vars[0].expr).toEqual({
      type: 'call',
      fn: 'I',
      args: [{ type: 'binop', op: '^', left: v('x'), right: { type: 'num', value: 2 } }],
    });
    expect(f.fixed.terms[6].vars[0].expr).toEqual({ type: 'call', fn: 'log10', args: [v('x')] });
  });

  it('deparses parentheses, unary minus and numbers as R does', () => {
    const f = parseFormula('y ~ I((x + 1)^2) + I(-x) + I(x * 0.5) + I(x * 100000) + I(x * 1e-4) + I(x ** 3)');
    expect(labels(f.fixed)).toEqual(['I((x + 1)^2)', 'I(-x)', 'I(x * 0.5)', 'I(x * 1e+05)', 'I(x * 1e-04)', 'I(x^3)']);
    expect(f.fixed.terms[1].vars[0].expr).toEqual({ type: 'call', fn: 'I', args: [{ type: 'neg', arg: v('x') }] });
  });

  it('treats a call and the same call written with other spacing as one variable', () => {
    expect(labels(parseFormula('y ~ log(x) + log( x )').fixed)).toEqual(['log(x)']);
  });

  it('groups fixed terms with parentheses', () => {
    expect(labels(parseFormula('y ~ (a + b)').fixed)).toEqual(['a', 'b']);
    expect(labels(parseFormula('y ~ ((a))').fixed)).toEqual(['a']);
  });

  it('collects offset() into offsets, not terms', () => {
    const f = parseFormula('y ~ x + offset(log(t)) + (1|g)');
    expect(f.fixed).toEqual({ intercept: true, terms: [mainTerm('x')] });
    expect(f.offsets).toEqual([{ type: 'call', fn: 'log', args: [v('t')] }]);
    expect(randomTexts(f)).toEqual(['(1 | g)']);
    expect(parseFormula('y ~ offset(a) + x + offset(b) + offset(a)').offsets).toEqual([v('a'), v('b')]);
  });

  it('ignores whitespace and newlines', () => {
    const f = parseFormula('  y~\n  x\t+ ( 1\n | g )\n');
    expect(labels(f.fixed)).toEqual(['x']);
    expect(randomTexts(f)).toEqual(['(1 | g)']);
  });
});

describe('parseFormula: random effects', () => {
  it('expands the full example', () => {
    const f = parseFormula(
      'y ~ 1 + a + b*c + a:b + (1 | g) + (x | g) + (0 + x | g) + (x || g) + (1 | g1/g2) + (1 | g1:g2) + (1 | a) + (1 | b)',
    );
    expect(f.response.label).toBe('y');
    expect(f.fixed.intercept).toBe(true);
    expect(labels(f.fixed)).toEqual(['a', 'b', 'c', 'b:c', 'a:b']);
    expect(f.fixed.terms[4].vars.map((x) => x.label)).toEqual(['a', 'b']);
    const interceptOnly: LinearPart = { intercept: true, terms: [] };
    const slopeOnly: LinearPart = { intercept: false, terms: [mainTerm('x')] };
    expect(f.random).toEqual([
      { lhs: interceptOnly, group: ['g'], groupLabel: 'g', text: '(1 | g)', written: '1' },
      { lhs: { intercept: true, terms: [mainTerm('x')] }, group: ['g'], groupLabel: 'g', text: '(x | g)', written: 'x' },
      { lhs: slopeOnly, group: ['g'], groupLabel: 'g', text: '(0 + x | g)', written: '0 + x' },
      // (x || g)
      { lhs: interceptOnly, group: ['g'], groupLabel: 'g', text: '(1 | g)' },
      { lhs: slopeOnly, group: ['g'], groupLabel: 'g', text: '(0 + x | g)' },
      // (1 | g1/g2), in lme4's order: the interaction first
      { lhs: interceptOnly, group: ['g2', 'g1'], groupLabel: 'g2:g1', text: '(1 | g2:g1)', written: '1' },
      { lhs: interceptOnly, group: ['g1'], groupLabel: 'g1', text: '(1 | g1)', written: '1' },
      { lhs: interceptOnly, group: ['g1', 'g2'], groupLabel: 'g1:g2', text: '(1 | g1:g2)', written: '1' },
      { lhs: interceptOnly, group: ['a'], groupLabel: 'a', text: '(1 | a)', written: '1' },
      { lhs: interceptOnly, group: ['b'], groupLabel: 'b', text: '(1 | b)', written: '1' },
    ]);
    expect(f.offsets).toEqual([]);
  });

  it('y ~ service + (1 | s) + (1 | d) + (1 | dept:service)', () => {
    const f = parseFormula('y ~ service + (1 | s) + (1 | d) + (1 | dept:service)');
    expect(f.fixed).toEqual({ intercept: true, terms: [mainTerm('service')] });
    expect(f.random.map((r) => [r.group, r.groupLabel, r.text])).toEqual([
      [['s'], 's', '(1 | s)'],
      [['d'], 'd', '(1 | d)'],
      [['dept', 'service'], 'dept:service', '(1 | dept:service)'],
    ]);
  });

  it("keeps each '|' term's lhs as written, deparsed as R does (lmerTest's ranova names rows with it)", () => {
    const f = parseFormula('y ~ x + (1+x|g) + ( 0+x + z |h)');
    expect(f.random.map((r) => [r.text, r.written])).toEqual([['(x | g)', '1 + x'], ['(0 + x + z | h)', '0 + x + z']]);
  });

  it('strength ~ 1 + (1 | batch/cask): groups cask:batch and batch', () => {
    const f = parseFormula('strength ~ 1 + (1 | batch/cask)');
    expect(f.fixed).toEqual({ intercept: true, terms: [] });
    expect(f.random).toEqual([
      { lhs: { intercept: true, terms: [] }, group: ['cask', 'batch'], groupLabel: 'cask:batch', text: '(1 | cask:batch)', written: '1' },
      { lhs: { intercept: true, terms: [] }, group: ['batch'], groupLabel: 'batch', text: '(1 | batch)', written: '1' },
    ]);
  });

  it('expands g1/g2/g3 into g3:g2:g1, g2:g1, g1', () => {
    const f = parseFormula('y ~ (1 | g1/g2/g3)');
    expect(f.random.map((r) => r.groupLabel)).toEqual(['g3:g2:g1', 'g2:g1', 'g1']);
    expect(f.random[0].group).toEqual(['g3', 'g2', 'g1']);
  });

  it('normalizes the lhs and its intercept', () => {
    const texts = (s: string) => randomTexts(parseFormula(s));
    expect(texts('y ~ (1 + x | g)')).toEqual(['(x | g)']);
    expect(texts('y ~ (x + z | g)')).toEqual(['(x + z | g)']);
    expect(texts('y ~ (-1 + x | g)')).toEqual(['(0 + x | g)']);
    expect(texts('y ~ (x - 1 | g)')).toEqual(['(0 + x | g)']);
    expect(texts('y ~ (a*b | g)')).toEqual(['(a + b + a:b | g)']);
    const lhs = parseFormula('y ~ (0 + x | g)').random[0].lhs;
    expect(lhs).toEqual({ intercept: false, terms: [mainTerm('x')] });
    // the lhs has its own variable order, independent of the fixed part
    expect(texts('y ~ a + b + (b:a | g)')).toEqual(['(b:a | g)']);
  });

  it('expands || into one term per lhs term', () => {
    const f = parseFormula('y ~ (x + z || g)');
    expect(randomTexts(f)).toEqual(['(1 | g)', '(0 + x | g)', '(0 + z | g)']);
    expect(f.random[2].lhs).toEqual({ intercept: false, terms: [mainTerm('z')] });
    expect(randomTexts(parseFormula('y ~ (0 + x + z || g)'))).toEqual(['(0 + x | g)', '(0 + z | g)']);
    expect(randomTexts(parseFormula('y ~ (x || g1/g2)'))).toEqual([
      '(1 | g2:g1)',
      '(1 | g1)',
      '(0 + x | g2:g1)',
      '(0 + x | g1)',
    ]);
  });

  it('accepts random terms anywhere in the sum, and inside grouping parentheses', () => {
    const f = parseFormula('y ~ (1 | g) + x + (z | h) - 1 + w');
    expect(f.fixed).toEqual({ intercept: false, terms: [mainTerm('x'), mainTerm('w')] });
    expect(randomTexts(f)).toEqual(['(1 | g)', '(z | h)']);
    expect(randomTexts(parseFormula('y ~ x + ((1 | g) + (1 | h))'))).toEqual(['(1 | g)', '(1 | h)']);
    expect(randomTexts(parseFormula('y ~ ((1 | g))'))).toEqual(['(1 | g)']);
  });
});

describe('parseFormula: errors', () => {
  it('missing ~', () => {
    expectError('y x', 2, "missing '~'", "'x'");
    expectError('y + x', 5, "missing '~'", 'end of formula');
    expectError('', 0, "missing '~'");
  });

  it('empty response or right-hand side', () => {
    expectError('~ x', 0, 'empty response', "'~'");
    expectError('y ~', 2, 'empty right-hand side', "'~'");
    expectError('y ~   ', 2, 'empty right-hand side', "'~'");
  });

  it('unbalanced parentheses', () => {
    expectError('y ~ (x + z', 4, 'unbalanced parentheses', "'('");
    expectError('y ~ x)', 5, 'unbalanced parentheses', "unexpected ')'");
    expectError('y ~ (a + b))', 11, "unexpected ')'");
    expectError('y ~ ()', 4, "empty parentheses '()'");
  });

  it('unknown characters', () => {
    expectError('y ~ x $ z', 6, "unexpected character '$'");
    expectError('y ~ a %o% b', 6, "unexpected operator '%o%'");
    expectError('y ~ x = 2', 6, "unexpected '='", 'names an argument of a function call');
    expectError('y ~ sqrt(x, base = 2)', 19, "'sqrt' takes no named argument here");
    expectError('y ~ `x', 4, 'unterminated', "'`'");
  });

  it('trailing or doubled operators', () => {
    expectError('y ~ x +', 6, "expected a term after '+'");
    expectError('y ~ x *\n', 6, "expected a term after '*'");
    expectError('y ~ x + * z', 8, "unexpected '*'");
    expectError('y ~ x z', 6, "unexpected 'z'");
    expectError('y ~ x ~ z', 6, "unexpected '~'");
  });

  it('empty random-term lhs or group', () => {
    expectError('y ~ (|g)', 5, 'empty random-effects term', "before '|'");
    expectError('y ~ (1|)', 6, "expected a grouping factor after '|'");
    expectError('y ~ x + (1 || )', 11, "expected a grouping factor after '||'");
    expectError('y ~ (0 | g)', 7, 'no intercept and no terms', "'0 | g'");
  });

  it('a bar outside parentheses', () => {
    expectError('y ~ x | g', 6, "'|' outside parentheses");
    expectError('y ~ z + x || g', 10, "'||' outside parentheses");
  });

  it('nested bars', () => {
    expectError('y ~ (x | g | h)', 11, "nested '|'");
    expectError('y ~ (x | (g | h))', 12, "nested '|'");
    expectError('y ~ ((1 | g) | h)', 13, "nested '|'");
  });

  it('random terms and offsets under other operators', () => {
    expectError('y ~ a:(1 | g)', 6, 'random-effects term', "':'");
    expectError('y ~ x - (1 | g)', 8, 'random-effects term', "'-'");
    expectError('y ~ a*offset(t)', 6, "'offset'", "'*'");
    expectError('y ~ (offset(t) | g)', 5, "'offset'", 'random-effects term');
  });

  it('numbers other than 0 and 1 as terms', () => {
    expectError('y ~ 2', 4, "invalid term '2'");
    expectError('y ~ x + 0.5', 8, "invalid term '0.5'");
    expectError('y ~ (a + b)^x', 12, "invalid power 'x'");
  });

  it('a function call with no closing parenthesis', () => {
    expectError('y ~ log(x', 4, 'unclosed function call', "'log('");
    expectError('y ~ x + poly(x, 2', 8, 'unclosed function call', "'poly('");
    expectError('y ~ log(', 4, 'unclosed function call', "'log('");
    expectError('y ~ f(x,)', 7, "expected an argument after ','");
  });

  it('grouping factors that are not names', () => {
    expectError('y ~ (1 | log(g))', 9, 'grouping factor must be a variable, factor(variable)', "'log(g)'");
    expectError('y ~ (1 | factor(g + h))', 9, 'grouping factor must be a variable, factor(variable)', "'factor(g + h)'");
    expectError('y ~ (1 | g + h)', 11, "unexpected '+' in grouping factor");
  });

  it('other invalid formulas', () => {
    expectError('y ~ .', 4, "'.'");
    expectError('cbind(a) ~ x', 0, "'cbind'", '2 arguments');
    expectError('a:b ~ x', 1, "operator ':'");
  });

  it('formats the message with a caret under the offending token', () => {
    expect(() => parseFormula('y ~ x +')).toThrow("expected a term after '+' at position 7:\n  y ~ x +\n        ^");
  });
});
