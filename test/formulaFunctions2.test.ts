/**
 * R's functions inside lme4 formulas against R 4.2.2 and lme4 1.1-31 (test/oracle/formula_functions2.R
 * → test/fixtures/formula_functions2/): whole-column summaries (mean, sd, var, median, min, max, sum,
 * length; na.rm) evaluated before na.omit, scale(x, center =, scale =), and the row-wise functions
 * round (R's half-to-even rounding at a decimal, bit for bit), floor, ceiling, trunc, sign, pmin, pmax,
 * ifelse, as.numeric of a factor, exp and log(x, base): X's column names and values, the criterion at
 * lme4's θ and at a second θ, the fit (θ, β, σ, criterion); the errors for what R would get wrong or refuse.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lmer } from '../src/fit/lmer.js';
import { buildLmm } from '../src/lmm/model.js';
import { readCsv } from '../src/io/csv.js';
import { parseFormula } from '../src/formula/parse.js';
import { fround } from '../src/frame/rowFunctions.js';
import { fitAtTheta } from './helpers/atTheta.js';
import { emmeans } from '../src/inference/emmeans.js';

const DIR = join(import.meta.dirname, 'fixtures', 'formula_functions2');
const ref = JSON.parse(readFileSync(join(DIR, 'models.json'), 'utf8'));
const data = readCsv(readFileSync(join(DIR, 'ff2.csv'), 'utf8')).table;

interface Case {
  formula: string; xnames: string[]; X: number[][]; n: number; theta: number[]; beta: number[]; sigma: number;
  criterion: number; cnames: Record<string, string[]>; objective_at: { theta: number[]; value: number };
}
const cases = ref.models as Record<string, Case>;
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

describe("round(x, digits) is R 4.2's, bit for bit", () => {
  it('at and near ties (.5, .x5, .xx5), negative digits, large and tiny values', () => {
    const r = JSON.parse(readFileSync(join(DIR, 'round.json'), 'utf8')) as { x: string[]; digits: number[]; round: string[][] };
    const xs = r.x.map(Number);
    let compared = 0;
    r.digits.forEach((d, j) => xs.forEach((x, i) => {
      expect(Object.is(fround(x, d), Number(r.round[j][i])) || fround(x, d) === Number(r.round[j][i]), `round(${r.x[i]}, ${d})`).toBe(true);
      compared++;
    }));
    expect(compared).toBe(xs.length * r.digits.length);
  });
});

describe("the model matrix and the criterion at lme4's θ (no optimizer)", () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.formula}`, () => {
      const model = buildLmm(c.formula, data, { REML: true });
      const { X, n, xnames } = model.frame;
      expect(xnames).toEqual(c.xnames);
      expect(n).toBe(c.n);
      // model.matrix's values: the summaries in double (R sums in long double): 1e-13 relative to max(1, |x|)
      c.X.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(X[j * n + i] - v) / Math.max(1, Math.abs(v)), `X[${i}, ${j}]`).toBeLessThan(1e-13)));
      // lme4's cnms: a grouping factor's second term is named g.1
      const seen = new Map<string, number>();
      const cnms = model.frame.reTerms.map((t) => { const k = seen.get(t.group) ?? 0; seen.set(t.group, k + 1); return [k ? `${t.group}.${k}` : t.group, t.cnames]; });
      expect(Object.fromEntries(cnms)).toEqual(c.cnames);
      // at the same θ the criterion, β and σ are closed-form functions of A: 1e-8 relative (as
      // test/formulaFunctions.test.ts: float64 sums over ≤ 240 rows against R's 15 digits)
      const fit = fitAtTheta(model, c.theta);
      expect(rel(fit.objective, c.criterion)).toBeLessThan(1e-8);
      fit.beta.forEach((b, j) => expect(rel(b, c.beta[j])).toBeLessThan(1e-7));
      expect(rel(fit.sigma, c.sigma)).toBeLessThan(1e-7);
      expect(rel(fitAtTheta(model, c.objective_at.theta).objective, c.objective_at.value)).toBeLessThan(1e-8);
    });
  }
});

describe('the fit at our optimum', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.formula}`, async () => {
      const fit = await lmer(c.formula, data, { REML: true });
      expect(fit.model.frame.xnames).toEqual(c.xnames);
      // lme4 ran bobyqa to rhoend 1e-12: the criterion to 1e-9, θ 1e-6, β and σ 1e-7 relative (as
      // test/formulaFunctions.test.ts)
      expect(fit.objective).toBeLessThanOrEqual(c.criterion + 1e-9);
      expect(Math.abs(fit.objective - c.criterion)).toBeLessThan(1e-9);
      fit.theta.forEach((t, k) => expect(Math.abs(t - c.theta[k])).toBeLessThan(1e-6));
      fit.beta.forEach((b, j) => expect(rel(b, c.beta[j])).toBeLessThan(1e-7));
      expect(rel(fit.sigma, c.sigma)).toBeLessThan(1e-7);
    });
  }
});

describe('errors naming the problem', () => {
  it("a summary without na.rm of a column with missing values: R's NA in every row (lme4: '0 (non-NA) cases'), here an error naming the column", async () => {
    expect(ref.na_error).toMatch(/0 \(non-NA\) cases/);
    await expect(lmer('y ~ I(x - mean(x)) + (1 | g)', data)).rejects.toThrow(/mean\(x\) in 'I\(x - mean\(x\)\)': 'x' has 10 missing values, so mean\(x\) is NA in every row .* write mean\(…, na\.rm = TRUE\)/);
    await expect(lmer('y ~ I(x / sd(x * x2)) + (1 | g)', data)).rejects.toThrow(/sd\(x, x2\) .*'x', 'x2' have 10 missing values/);
  });
  it('arguments R would refuse, or that are not written out', () => {
    expect(() => parseFormula('y ~ I(x - length(x, na.rm = TRUE))')).toThrow(/'length' has no argument 'na.rm'/);
    expect(() => parseFormula('y ~ I(x - mean(x, na.r = TRUE))')).toThrow(/'mean' has no argument 'na.r' \(write its full name: na.rm = …\)/);
    expect(() => parseFormula('y ~ I(x - mean(x, na.rm = 1))')).toThrow(/'mean': na.rm must be TRUE or FALSE, not '1'/);
    expect(() => parseFormula('y ~ round(x, x2)')).toThrow(/'round': digits must be one number written out \(round\(x, 1\)\), not 'x2'/);
    expect(() => parseFormula('y ~ log(x, 1)')).toThrow(/'log': base must be a positive number other than 1/);
    expect(() => parseFormula('y ~ pmin(x)')).toThrow(/'pmin' takes two or more arguments/);
    expect(() => parseFormula('y ~ ifelse(x > 0, x)')).toThrow(/'ifelse': argument 'no' is missing/);
    expect(() => parseFormula('y ~ scale(x, center = "a")')).toThrow(/'scale': center must be TRUE, FALSE or one number written out/);
    expect(() => parseFormula('y ~ floor(x, 2)')).toThrow(/'floor' takes at most 1 argument \(x\), got 2/);
    // `.` needs the data; lme4 does not expand it inside a bar; %in% in a grouping factor is R's match()
    expect(() => parseFormula('y ~ . + (1 | g)')).toThrow(/'\.' \(all other columns\) needs the data's columns/);
    expect(() => parseFormula('y ~ x + (. | g)', { dataColumns: ['y', 'x', 'g'] })).toThrow(/'\.' inside a random-effects term/);
    expect(() => parseFormula('y ~ x + (1 | h %in% g)')).toThrow(/'%in%' in a grouping factor: lme4 evaluates it as R's match\(\)/);
    expect(() => parseFormula('y ~ x %o% f')).toThrow(/unexpected operator '%o%': of R's %…% operators a formula takes %in% only/);
    expect(() => parseFormula('y ~ I(x %in% f)')).toThrow(/operator '%in%' is not supported inside an expression/);
    expect(() => parseFormula('y ~ x + (0 + dummy(f, c("a", "b")) | g)')).toThrow(/'dummy': levelsToKeep must be one level in quotes .*several levels are several terms/);
    expect(() => parseFormula('y ~ C(f, contr.treatment(3, base = 2))')).toThrow(/'C': the contrasts must be one of .* \(a call such as contr.treatment\(3, base = 2\): relevel\(\) the factor instead\)/);
    expect(() => parseFormula('y ~ I(interaction(f, h))')).toThrow(/'interaction\(\)' gives a factor: it may only be a variable of a term/);
    expect(() => parseFormula('y ~ interaction(f, h, lex.order = TRUE)')).toThrow(/lex.order = TRUE is not supported/);
    expect(() => parseFormula('y ~ cut(x, 1)')).toThrow(/'cut': breaks = 1 is an invalid number of intervals/);
    expect(() => parseFormula('y ~ cut(x, c(0, z))')).toThrow(/'cut': breaks must be a number of intervals or numbers c\(…\) written out/);
    expect(() => parseFormula('y ~ cut(x, 3, labels = FALSE)')).toThrow(/'cut': labels are not supported/);
    expect(() => parseFormula('y ~ cut(x, 3, ordered_result = TRUE)')).toThrow(/ordered_result = TRUE .* is not supported/);
  });
  it("`.` is every column but the response's variables, in the data's order", () => {
    const f = parseFormula('log(y) ~ . - g + (1 | g)', { dataColumns: ['g', 'x', 'y', 'f'] });
    expect(f.fixed.terms.map((t) => t.label)).toEqual(['x', 'f']);
    expect(f.removedVars?.map((v) => v.label)).toEqual(['g']);
  });
  it('emmeans over a summary, cut(), interaction(), C() or as.numeric(f): refused, naming the term', async () => {
    for (const [formula, label] of [['y ~ I(x2 - mean(x2)) + (1 | g)', 'I(x2 - mean(x2))'], ['y ~ cut(x2, 3) + (1 | g)', 'cut(x2, 3)'], ['y ~ interaction(f, h) + (1 | g)', 'interaction(f, h)'], ['y ~ C(f, contr.sum) + x + (1 | g)', 'C(f, contr.sum)']]) {
      const fit = await lmer(formula, data);
      expect(() => emmeans(fit, '~ 1')).toThrow(`emmeans: '${label}' is in the fixed part: a reference grid over a summary of a column (mean(x), …), cut(), interaction() or C() is not supported`);
    }
    const fit = await lmer('y ~ as.numeric(f) + x + (1 | g)', data);
    expect(() => emmeans(fit, 'x')).toThrow(/emmeans: 'f' is in the fixed part as 'as.numeric\(f\)': a reference grid over a factor's codes/);
  });
  it("cut()'s breaks not unique: R's error", async () => {
    await expect(lmer('y ~ cut(x2, c(0, 1, 1, 3)) + (1 | g)', data)).rejects.toThrow(/'cut\(x2, c\(0, 1, 1, 3\)\)': the breaks are not unique/);
  });
  it('a level dummy() names that f does not have: the comparison\'s error', async () => {
    await expect(lmer('y ~ x + (1 | g) + (0 + dummy(f, "z") | g)', data)).rejects.toThrow(/"z" is not a level of 'f' \(its levels: "a", "b", "c"\)/);
  });
  it("scale(x, center = FALSE) keeps its centre and scale for new data (R's makepredictcall); mean() is re-evaluated on them, as R's predict does", async () => {
    const fit = await lmer('y ~ scale(x, center = FALSE) + I(x2 - mean(x2)) + (1 | g)', data);
    const nd = { x: [0.5, 1], x2: [1, 3], g: ['g01', 'g01'] };
    const [b0, b1, b2] = fit.beta;
    // the RMS of x's 230 values (center = FALSE), from the data; mean(x2) of the new rows: 2
    const x = (data.getChild('x')!.toArray() as Float64Array).filter((v) => !Number.isNaN(v));
    const rms = Math.sqrt(x.reduce((s, v) => s + v * v, 0) / (x.length - 1));
    const p = fit.predict(nd, { groups: false });
    expect(p[0]).toBeCloseTo(b0 + b1 * 0.5 / rms + b2 * (1 - 2), 12);
    expect(p[1]).toBeCloseTo(b0 + b1 * 1 / rms + b2 * (3 - 2), 12);
  });
});
