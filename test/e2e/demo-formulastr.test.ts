/**
 * The browser app's reading of formulas with strings, relevel() and comparisons, in Node (no browser):
 * the columns a formula reads (demo/src/fitting.ts formulaVariables, which the app checks against the
 * data before a fit) include those inside comparisons and relevel(), not the strings.
 */
import { describe, expect, test } from 'vitest';
import { parseFormula } from '../../src/formula/parse.js';
import { formulaVariables } from '../../demo/src/fitting.js';

describe('the app: columns of a formula with strings and comparisons', () => {
  test('variables inside comparisons, ! and &, and relevel() are columns; strings are not', () => {
    const f = parseFormula('y ~ relevel(treat, ref = "ctl") + I(dose > 2 & !(sex == "F")) + (0 + I(x > 0) | g)');
    expect([...formulaVariables(f)].sort()).toEqual(['dose', 'g', 'sex', 'treat', 'x', 'y']);
  });
});
