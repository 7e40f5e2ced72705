/** R's drop.scope on a formula's terms (src/formula/dropScope.ts), against R 4.2.2's answers. */
import { describe, expect, it } from 'vitest';
import { parseFormula } from '../src/formula/parse.js';
import { dropScope } from '../src/formula/dropScope.js';

const scope = (rhs: string) => dropScope(parseFormula(`y ~ ${rhs}`).fixed).map((t) => t.label);

describe('dropScope (R: drop.scope)', () => {
  it.each([
    ['a*b*c', ['a:b:c']],
    ['a + a:b', ['a:b']],
    ['x + I(x^2)', ['x', 'I(x^2)']],
    ['a + b:c + b', ['a', 'b:c']],
    ['a', ['a']],
    ['1', []],
  ])('drop.scope(~ %s)', (rhs, want) => {
    expect(scope(rhs)).toEqual(want);
  });
});
