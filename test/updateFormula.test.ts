/**
 * R's update.formula (src/formula/update.ts) against R 4.2.2: deparse(update(old, new)) for the
 * cases of test/oracle/update.R (dots on either side, terms and interactions removed and added,
 * random-effects terms with |, || and /, offsets, cbind responses, the intercept), as exact strings;
 * and lme4 1.1-31's formula(update(m, ...)) of a fit with `||` (expandDoubleVerts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { updateFormula } from '../src/formula/update.js';
import { FormulaError } from '../src/errors/errors.js';

const oracle = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/update/update.json'), 'utf8'));

describe('updateFormula: R update.formula', () => {
  for (const c of oracle.formulas as { old: string; new: string; expected: string }[]) {
    it(`update(${c.old}, ${c.new})`, () => {
      expect(updateFormula(c.old, c.new)).toBe(c.expected);
    });
  }

  it("lme4's formula of a || fit, updated (expandDoubleVerts)", () => {
    const u = oracle.fits.sleep_uncorr_formula;
    expect(updateFormula('Reaction ~ Days + (Days || Subject)', '. ~ .', { expandDoubleVerts: true })).toBe(
      updateFormula(u.formula, '. ~ .'),
    );
    expect(updateFormula('Reaction ~ Days + (Days || Subject)', '. ~ . - (0 + Days | Subject)', { expandDoubleVerts: true })).toBe(u.update_minus);
  });

  it('refuses malformed formulas and a dot on the left without an old response', () => {
    expect(() => updateFormula('y ~ x', '. ~ . +')).toThrow(FormulaError);
    expect(() => updateFormula('~ x', 'log(.) ~ .')).toThrow(/no left-hand side/);
    expect(() => updateFormula('y ~ x', 3 as unknown as string)).toThrow(/new formula is a string/);
  });
});
