/**
 * Hostile formulas (issue 9, items 6, 10, 11, 19): each ends fast with a FormulaError at the
 * position, or parses to what R gives, never a hang, a stack overflow or a wrong term.
 */
import { describe, expect, it } from 'vitest';
import { parseFormula } from '../src/formula/parse.js';
import { FormulaError } from '../src/errors/errors.js';
import { MAX_FORMULA_DEPTH, MAX_MODEL_COLUMNS } from '../src/errors/limits.js';
import { lmer } from '../src/fit/lmer.js';
import { loadData } from './helpers/reference.js';

const labels = (text: string) => parseFormula(text).fixed.terms.map((t) => t.label);
const vars = (k: number, sep: string) => Array.from({ length: k }, (_, i) => `x${i}`).join(sep);

/** The FormulaError parsing `text` throws, within `ms` milliseconds. */
function formulaError(text: string, ms = 1000): FormulaError {
  const t0 = performance.now();
  let error: unknown;
  try {
    parseFormula(text);
  } catch (e) {
    error = e;
  }
  const elapsed = performance.now() - t0;
  expect(elapsed, `parsing took ${elapsed.toFixed(0)} ms`).toBeLessThan(ms);
  expect(error, `no error for ${text.slice(0, 80)}`).toBeInstanceOf(FormulaError);
  return error as FormulaError;
}

/** Parses within `ms` milliseconds. */
function timedParse(text: string, ms = 1000) {
  const t0 = performance.now();
  const f = parseFormula(text);
  expect(performance.now() - t0).toBeLessThan(ms);
  return f;
}

describe('powers and expansions (item 6)', () => {
  it('a power beyond the number of variables is capped there, as R: ^1e308 and ^1e9 return at once', () => {
    expect(timedParse('y ~ Days^1e308 + (1 | Subject)').fixed.terms.map((t) => t.label)).toEqual(['Days']);
    expect(timedParse('y ~ (a + b)^1e9').fixed.terms.map((t) => t.label)).toEqual(['a', 'b', 'a:b']);
    expect(labels('y ~ (a + b + c)^1e308')).toEqual(labels('y ~ (a + b + c)^3'));
    expect(labels('y ~ (a + b + c)^2')).toEqual(['a', 'b', 'c', 'a:b', 'a:c', 'b:c']);
  });

  it('a power that is not a positive integer (or overflows to Inf) is refused', () => {
    expect(formulaError('y ~ (a + b)^1e309').message).toMatch(/invalid power 'Inf'/);
    expect(formulaError('y ~ (a + b)^0.5').position).toBe(12);
  });

  it(`an expansion past ${MAX_MODEL_COLUMNS} terms is refused, naming the limit, before it is built`, () => {
    const power = formulaError(`y ~ (${vars(20, ' + ')})^20`);
    expect(power.message).toMatch(/'\^' expands the formula to more than 10000 terms.*MAX_MODEL_COLUMNS/);
    expect(power.position).toBe(`y ~ (${vars(20, ' + ')})`.length);
    const cross = formulaError(`y ~ ${vars(20, '*')}`);
    expect(cross.message).toMatch(/'\*' expands the formula to more than 10000 terms/);
    const sum = formulaError(`y ~ ${vars(MAX_MODEL_COLUMNS + 1, ' + ')}`, 3000);
    expect(sum.message).toMatch(/'\+' expands the formula to more than 10000 terms/);
    // a small result from a huge number of combinations is refused on the work, fast
    expect(formulaError(`y ~ (${vars(13, '*')})^2`).message).toMatch(/8191 terms with 8191 terms/);
    // inside a random-effects term too
    expect(formulaError(`y ~ 1 + (${vars(20, '*')} | g)`).message).toMatch(/MAX_MODEL_COLUMNS/);
  });

  it('large expansions within the limit still work', () => {
    expect(timedParse(`y ~ (${vars(100, ' + ')})^2`).fixed.terms).toHaveLength(5050);
    expect(timedParse(`y ~ ${vars(5000, ' + ')} + (1 | g)`, 3000).fixed.terms).toHaveLength(5000);
    expect(timedParse(`y ~ ${vars(8, '*')}`).fixed.terms).toHaveLength(255);
  });
});

describe('function names (item 10)', () => {
  it('names from Object.prototype are unknown functions, not fitted as x or a zero column', () => {
    for (const fn of ['constructor', 'isPrototypeOf', 'hasOwnProperty', 'toString', 'valueOf', '`__proto__`', '`__defineGetter__`']) {
      const e = formulaError(`y ~ ${fn}(x) + (1 | g)`);
      expect(e.message).toContain(`unknown function '${fn.replace(/`/g, '')}'`);
      expect(e.position).toBe(4);
    }
    expect(formulaError('y ~ polyx(x, 2) + (1 | g)').message).toMatch(/unknown function 'polyx' \(functions: log, exp.*, poly, ns, bs;/);
    expect(formulaError('constructor(y) ~ x + (1 | g)').position).toBe(0);
    expect(formulaError('y ~ I(constructor(x)) + (1 | g)').position).toBe(6);
    expect(formulaError('y ~ sqrt(x, 2) + (1 | g)').message).toMatch(/'sqrt' takes 1 argument, got 2/);
  });

  it('through lmer: a FormulaError, and known functions still work', async () => {
    const sleep = loadData({ data: '../data/sleepstudy.csv' });
    await expect(lmer('Reaction ~ constructor(Days) + (1 | Subject)', sleep, { factors: ['Subject'] })).rejects.toThrow(FormulaError);
    await expect(lmer('Reaction ~ hasOwnProperty(Days) + (1 | Subject)', sleep, { factors: ['Subject'] })).rejects.toThrow(/unknown function 'hasOwnProperty'/);
    const fit = await lmer('Reaction ~ sqrt(Days) + (1 | Subject)', sleep, { factors: ['Subject'] });
    expect(Object.keys(fit.fixef)).toEqual(['(Intercept)', 'sqrt(Days)']);
  });
});

describe('deep nesting and long formulas (item 11)', () => {
  const N = 4000;
  it('4000 terms in a sum parse (no recursion per term)', () => {
    expect(timedParse(`y ~ ${Array(N).fill('x').join('+')}`).fixed.terms.map((t) => t.label)).toEqual(['x']);
    expect(timedParse(`y ~ ${vars(N, ' + ')} - x7 + (1 | g)`, 3000).fixed.terms).toHaveLength(N - 1);
  });

  it('nesting past the depth limit is a FormulaError at the position, never a RangeError', () => {
    const cases: [string, number][] = [
      [`y ~ ${'('.repeat(N)}x${')'.repeat(N)}`, 4 + MAX_FORMULA_DEPTH],
      [`y ~ ${'log('.repeat(N)}x${')'.repeat(N)}`, -1],
      [`y ~ ${'-'.repeat(N)}x`, -1],
      [`y ~ ${Array(N).fill('x').join('^')}`, -1],
      [`y ~ ${Array(N).fill('x').join('*')}`, -1],
      [`y ~ ${Array(N).fill('x').join(':')}`, -1],
      [`y ~ I(${Array(N).fill('x').join('+')})`, -1],
      [`y ~ x + (1 | ${Array(N).fill('g').join('/')})`, -1],
      [`${Array(N).fill('y').join('+')} ~ x`, -1],
    ];
    for (const [text, position] of cases) {
      const e = formulaError(text);
      expect(e.message).toMatch(/nested too deeply: more than 500 levels/);
      if (position >= 0) expect(e.position).toBe(position);
    }
  });

  it('nesting within the limit parses', () => {
    const d = 400;
    expect(labels(`y ~ ${'('.repeat(d)}x${')'.repeat(d)}`)).toEqual(['x']);
    expect(labels(`y ~ ${'log('.repeat(d)}x${')'.repeat(d)}`)).toHaveLength(1);
    expect(labels(`y ~ ${Array(d).fill('x').join(':')}`)).toEqual(['x']);
  });
});

describe('characters outside the BMP in error messages (item 19)', () => {
  it('the message shows the character whole and the caret under it', () => {
    const e = formulaError('y ~ x + 😀');
    expect(e.message).toContain("unexpected character '😀'");
    expect(e.message).toContain('at position 9:');
    expect(e.message.split('\n').slice(1)).toEqual(['  y ~ x + 😀', '          ^']);
    expect(e.position).toBe(8); // the string offset, for formula.slice
  });

  it('characters outside the BMP before the error do not shift the caret', () => {
    const e = formulaError('`😀😀` ~ x + $');
    const [, line, caret] = e.message.split('\n');
    expect([...line.slice(2)][[...caret.slice(2)].length - 1]).toBe('$');
    expect(e.message).toMatch(/at position 12:/);
  });

  it('a letter outside the BMP is part of a name', () => {
    expect(labels('y ~ 𝑥 + (1 | g)')).toEqual(['𝑥']);
  });
});
