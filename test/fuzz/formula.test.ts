/**
 * Fuzzing the formula parser: mutations of real formulas and formulas drawn from a grammar. Every
 * string either parses or throws a FormulaError (never a TypeError, a RangeError from the stack,
 * a hang), within 250 ms; what parses, parses the same twice.
 */
import { describe, expect, it } from 'vitest';
import { parseFormula } from '../../src/formula/parse.js';
import { Rand, SEED, cases, probe, tally } from './fuzz.js';

const CORPUS = [
  'Reaction ~ Days + (Days | Subject)',
  'y ~ service + (1 | s) + (1 | d) + (1 | dept:service)',
  'cbind(incidence, size - incidence) ~ period + (1 | herd)',
  'y ~ a*b + (0 + x || g) + offset(log(t))',
  'log(y) ~ 1 + (0 + a | g:h)',
  'y ~ (a + b + c)^2 - a:b + I(x^2) + (1 | g1/g2)',
  '`my y` ~ `x 1` + (1 | `grp`)',
  'TICKS ~ YEAR + cHEIGHT + (1 | BROOD) + (1 | LOCATION)',
];
const PIECES = ['~', '+', '-', '*', '/', ':', '^', '|', '||', '(', ')', ',', '`', ' ', '0', '1', '2', '1e308', '1e309', '.5', 'x', 'g', 'log', 'I',
  'offset', 'cbind', 'constructor', '__proto__', 'hasOwnProperty', 'é', '😀', '\u0000', '\n', '\t', '**', '=', '$', '"', "'", '((((', '))))', '^1e9',
  // strings, relevel and comparisons
  '==', '!=', '<=', '>=', '<', '>', '!', '&', '&&', '<-', '\\', '"a"', "'b\\'c'", '"\\x41"', '"\\u{263A}"', '"\\q"', 'relevel', 'relevel(x, "a")', 'I(x > 2)'];

function mutate(rand: Rand, s: string): string {
  let t = s;
  const edits = 1 + rand.int(4);
  for (let k = 0; k < edits; k++) {
    const at = rand.int(t.length + 1);
    switch (rand.int(5)) {
      case 0: t = t.slice(0, at) + rand.pick(PIECES) + t.slice(at); break; // insert
      case 1: t = t.slice(0, at) + t.slice(at + 1 + rand.int(3)); break; // delete
      case 2: t = t.slice(0, at) + rand.pick(PIECES) + t.slice(at + 1); break; // replace
      case 3: { const b = rand.int(t.length + 1); t = t.slice(0, at) + t.slice(Math.min(at, b), Math.max(at, b)) + t.slice(at); break; } // duplicate
      default: t = t.slice(0, at) + String.fromCharCode(rand.int(0x3000)) + t.slice(at); break; // any character
    }
  }
  return t;
}

const NAMES = ['x', 'y', 'a', 'b', 'g', 'h', 'Days', 'constructor', 'toString', '.x', 'x.1', '`a b`', 'é', '"F"', "'a\\'b'"];
const FUNCS = ['log', 'exp', 'I', 'sqrt', 'offset', 'cbind', 'poly', 'valueOf', 'relevel'];
const OPS = ['+', '-', '*', '/', ':', '^', '|', '||', '==', '<', '>=', '!=', '&'];

/** A random expression of the formula grammar, up to `depth` levels. */
function expr(rand: Rand, depth: number): string {
  if (depth <= 0 || rand.chance(0.3)) {
    return rand.chance(0.8) ? rand.pick(NAMES) : rand.pick(['0', '1', '2', '3', '1e5', '2.5']);
  }
  switch (rand.int(5)) {
    case 0: return `(${expr(rand, depth - 1)})`;
    case 1: return `${rand.pick(FUNCS)}(${expr(rand, depth - 1)}${rand.chance(0.2) ? `, ${expr(rand, depth - 1)}` : ''})`;
    case 2: return `${rand.pick(['-', '+', '!'])}${expr(rand, depth - 1)}`;
    default: return `${expr(rand, depth - 1)} ${rand.pick(OPS)} ${expr(rand, depth - 1)}`;
  }
}

describe(`formula fuzzing (seed ${SEED})`, () => {
  it('mutations of real formulas: a Formula or a FormulaError, fast', async () => {
    const rand = new Rand(SEED);
    const outcomes = [];
    for (let i = 0; i < cases(3000); i++) {
      const text = mutate(rand, rand.pick(CORPUS));
      outcomes.push(await probe(`parseFormula(${JSON.stringify(text)})`, 250, () => parseFormula(text)));
    }
    const t = tally(outcomes);
    expect(Object.keys(t).sort()).toEqual(['FormulaError', 'ok']);
  });

  it('formulas from the grammar: a Formula or a FormulaError, fast, the same twice', async () => {
    const rand = new Rand(SEED + 1);
    const outcomes = [];
    for (let i = 0; i < cases(3000); i++) {
      const text = `${expr(rand, 2)} ~ ${expr(rand, 5)}`;
      outcomes.push(await probe(`parseFormula(${JSON.stringify(text)})`, 250, () => {
        const a = parseFormula(text);
        expect(parseFormula(text)).toEqual(a);
      }));
    }
    const t = tally(outcomes);
    expect(t.ok).toBeGreaterThan(100);
    expect(t.FormulaError).toBeGreaterThan(100);
  });

  it('large and deep inputs: long sums, deep nesting, huge powers', async () => {
    const rand = new Rand(SEED + 2);
    for (let i = 0; i < cases(40); i++) {
      const k = 1 + rand.int(6000);
      const op = rand.pick(['+', '*', ':', '^', '/', '-', '|', '&', '==']);
      const open = rand.pick(['(', 'log(', 'I(', '-', '', '!', 'I(!']);
      const close = open.endsWith('(') ? ')' : '';
      const text = rand.chance(0.5)
        ? `y ~ ${Array.from({ length: k }, (_, j) => `x${j % 50}`).join(` ${op} `)}`
        : `y ~ ${open.repeat(k)}x${close.repeat(k)}${rand.chance(0.5) ? `^${rand.pick(['2', '1e9', '1e308', '30'])}` : ''}`;
      await probe(`parseFormula(<${text.length} characters: ${text.slice(0, 60)}…>)`, 2000, () => parseFormula(text));
    }
  });
});
