/**
 * String literals, relevel() and comparisons in lme4 formulas: the tokenizer and parser (strings with
 * R's escapes, R's precedence of == != < > <= >= ! &, errors with their position), term labels as R
 * deparses them and update.formula of such formulas (test/oracle/formulastr.R →
 * test/fixtures/formulastr/labels.json), and against lme4 1.1-31 (models.json): X's column names and
 * values (relevel's order, a logical as the factor FALSE/TRUE), the random-effects terms' columns, the
 * criterion at lme4's θ and at a second θ, two fits with predictions on new data; the refusals.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFormula, parseFormulaSides } from '../src/formula/parse.js';
import { updateFormula } from '../src/formula/update.js';
import { lmer } from '../src/fit/lmer.js';
import { buildLmm } from '../src/lmm/model.js';
import { readCsv } from '../src/io/csv.js';
import { FormulaError } from '../src/errors/errors.js';
import * as arrow from 'apache-arrow';
import { buildModelFrame } from '../src/frame/modelFrame.js';
import { toArrowTable } from '../src/io/dataInput.js';
import { fitAtTheta } from './helpers/atTheta.js';

const DIR = join(import.meta.dirname, 'fixtures', 'formulastr');
const labels = JSON.parse(readFileSync(join(DIR, 'labels.json'), 'utf8'));
const ref = JSON.parse(readFileSync(join(DIR, 'models.json'), 'utf8'));
const data = {
  fs: readCsv(readFileSync(join(DIR, 'fs.csv'), 'utf8')).table,
  sleepstudy: readCsv(readFileSync(join(import.meta.dirname, 'fixtures', 'data', 'sleepstudy.csv'), 'utf8')).table,
};
type DataName = keyof typeof data;
const factorsOf = (d: DataName) => (d === 'sleepstudy' ? ['Subject'] : []);
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

/** the FormulaError `f` throws (fails when it throws none or another error) */
function formulaError(f: () => unknown): FormulaError {
  try { f(); } catch (e) { if (e instanceof FormulaError) return e; throw e; }
  throw new Error('no error');
}

describe('the parser: strings, relevel and comparisons', () => {
  it("term labels as R's terms() writes them, random-effects terms as lme4's findbars (R 4.2.2)", () => {
    for (const c of labels.labels as { formula: string; fixed: string[]; random: string[] }[]) {
      const f = parseFormula(c.formula);
      expect(f.fixed.terms.map((t) => t.label), c.formula).toEqual(c.fixed);
      expect(f.random.map((r) => r.text), c.formula).toEqual(c.random);
    }
  });

  it("R's escapes are resolved in the string's value: \\n, \\\", \\', \\\\, octal, hex, \\u, \\U", () => {
    const value = (s: string) => {
      const f = parseFormula(`y ~ I(s == ${s})`).fixed.terms[0].vars[0].expr;
      if (f.type !== 'call' || f.args[0].type !== 'compare' || f.args[0].right.type !== 'str') throw new Error('no string');
      return f.args[0].right.value;
    };
    expect(value('"a\\"b"')).toBe('a"b');
    expect(value("'it\\'s'")).toBe("it's");
    expect(value("'say \"hi\"'")).toBe('say "hi"');
    expect(value('"\\n\\t\\r\\\\"')).toBe('\n\t\r\\');
    expect(value('"\\101\\x42\\u0043\\U{1F600}"')).toBe('ABC\u{1F600}');
    expect(value('"é ☺"')).toBe('é ☺');
    expect(value('""')).toBe('');
  });

  it("R's precedence: comparisons below + -, ! below the comparisons, & below !", () => {
    const rhs = (text: string) => parseFormulaSides(text).rhs;
    // x + 1 > 2 * z is (x + 1) > (2 * z)
    expect(rhs('y ~ x + 1 > 2 * z')).toMatchObject({ kind: 'binary', op: '>', left: { op: '+' }, right: { op: '*' } });
    // !x > 2 & z is (!(x > 2)) & z
    expect(rhs('y ~ !x > 2 & z')).toMatchObject({ kind: 'binary', op: '&', left: { kind: 'unary', op: '!', arg: { op: '>' } } });
    // a & b | g: & binds tighter than the bar
    expect(rhs('y ~ (a & b | g)')).toMatchObject({ kind: 'paren', inner: { op: '|', left: { op: '&' } } });
    // -x > 2: unary minus binds tighter than the comparison
    expect(rhs('y ~ -x > 2')).toMatchObject({ op: '>', left: { kind: 'unary', op: '-' } });
    // x:z == 1 is (x:z) == 1
    expect(rhs('y ~ x:z == 1')).toMatchObject({ op: '==', left: { op: ':' } });
  });

  it('a logical expression as a term is one variable; I(x > 2) in a random-effects term', () => {
    const f = parseFormula('y ~ x > 0 + (1 | g)'.replace('x > 0', '(x > 0)'));
    expect(f.fixed.terms.map((t) => t.vars[0].expr.type)).toEqual(['compare']);
    const r = parseFormula('y ~ (0 + I(x > 0) | g)').random[0];
    expect(r.lhs.terms[0].label).toBe('I(x > 0)');
    expect(parseFormula('y ~ !z').fixed.terms[0]).toMatchObject({ label: '!z', vars: [{ expr: { type: 'not' } }] });
    expect(parseFormula('y ~ relevel(treat, ref = 2)').fixed.terms[0].vars[0].expr).toMatchObject({ type: 'call', fn: 'relevel', ref: { index: 2 } });
  });

  // [formula, position of the error (0-based), message]
  const errors: [string, number, RegExp][] = [
    ['y ~ I(s == "abc)', 11, /unterminated string: no closing "/],
    ["y ~ I(s == 'abc)", 11, /unterminated string: no closing '/],
    ['y ~ I(s == "a\\qb")', 13, /'\\q' is an unrecognized escape/],
    ['y ~ I(s == "\\x")', 12, /'\\x' used without hex digits/],
    ['y ~ I(s == "\\u{41")', 12, /no closing '}'/],
    ['y ~ I(s == "a\\0")', 13, /nul character not allowed/],
    ['y ~ I(a < b < c)', 12, /comparisons do not chain/],
    ['y ~ I(x<-1)', 7, /'<-' is R's assignment/],
    ['y ~ I(x > 0 && z)', 12, /'&&' compares single values/],
    ['y ~ I(a | b)', 8, /'\|' inside an expression/],
    ['y ~ "a" + x', 4, /invalid term "a": a string is a value/],
    ['y ~ log("a")', 8, /the string "a" is a value, not a variable/],
    ['y ~ relevel(f)', 4, /'relevel' needs the reference level/],
    ['y ~ relevel(ref = "a")', 4, /'relevel' needs a factor/],
    ['y ~ relevel(f, "a", "b")', 20, /'relevel' takes 2 arguments/],
    ['y ~ relevel(f, lvl = "a")', 21, /'relevel' has no argument 'lvl'/],
    ['y ~ relevel(f, ref = x)', 21, /ref must be a level in quotes \(ref = "ctl"\) or a level's position/],
    ['y ~ relevel(f, ref = 0)', 21, /ref must be a level in quotes/],
    ['y ~ relevel(log(x), "a")', 12, /'relevel' takes a factor: a column, factor\(x\) or as.factor\(x\), not 'log\(x\)'/],
    ['y ~ log(relevel(f, "a"))', 8, /'relevel\(\)' gives a factor: it may only be a variable of a term/],
    ['y ~ x + (1 | relevel(g, "a"))', 13, /grouping factor must be a variable/],
  ];
  for (const [text, pos, re] of errors) {
    it(`refused: ${text}`, () => {
      const e = formulaError(() => parseFormula(text));
      expect(e.message).toMatch(re);
      expect(e.position).toBe(pos);
    });
  }
});

describe('update() of formulas with strings and comparisons', () => {
  it("as R 4.2.2's update.formula writes them (exact strings)", () => {
    for (const u of labels.updates as { old: string; new: string; expected: string }[]) {
      expect(updateFormula(u.old, u.new), `${u.old} | ${u.new}`).toBe(u.expected);
    }
  });

  it('a comparison that is a whole variable is written in parentheses, so that it reads back as itself', () => {
    // R writes `y ~ x > 0 + (1 | g)` here, which R reads back as x > (0 + (1 | g))
    const u = updateFormula('y ~ (x > 0) + z + (1 | g)', '. ~ . - z');
    expect(u).toBe('y ~ (x > 0) + (1 | g)');
    expect(parseFormula(u).fixed.terms.map((t) => t.label)).toEqual(['x > 0']);
    expect(updateFormula('y ~ (x > 0):f + z', '. ~ . - z')).toBe('y ~ (x > 0):f');
  });
});

interface Case {
  data: DataName; formula: string; xnames: string[]; X: number[][]; n: number; cnames: Record<string, string[]>;
  theta: number[]; beta: number[]; se: number[]; sigma: number; criterion: number;
  objective_at: { theta: number[]; value: number };
  predict_new?: { newdata: Record<string, (number | string)[]>; value: number[] };
  predict_groups?: number[];
}
const cases = ref.models as Record<string, Case>;

describe("the model matrix and the criterion at lme4's θ (no optimizer)", () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.formula}`, () => {
      const model = buildLmm(c.formula, data[c.data], { REML: true, factors: factorsOf(c.data) });
      const { X, n, xnames } = model.frame;
      expect(xnames).toEqual(c.xnames);
      expect(n).toBe(c.n);
      // indicators, data values and their products: exact in float64 (1e-12 relative as the other reference tests)
      c.X.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(X[j * n + i] - v) / Math.max(1, Math.abs(v))).toBeLessThan(1e-12)));
      // the random-effects terms' columns in lme4's order (cnms; a list, as R names a repeated factor g.1)
      expect(model.frame.reTerms.map((t) => t.cnames)).toEqual(Object.values(c.cnames));
      // at the same θ the criterion, β and σ are closed-form functions of A: 1e-8 relative for the
      // criterion, 1e-7 for β and σ (as test/formulaFunctions.test.ts)
      const fit = fitAtTheta(model, c.theta);
      expect(rel(fit.objective, c.criterion)).toBeLessThan(1e-8);
      fit.beta.forEach((b, j) => expect(rel(b, c.beta[j])).toBeLessThan(1e-7));
      expect(rel(fit.sigma, c.sigma)).toBeLessThan(1e-7);
      expect(rel(fitAtTheta(model, c.objective_at.theta).objective, c.objective_at.value)).toBeLessThan(1e-8);
    });
  }
});

describe('the fits at our optimum, and predictions on new data', () => {
  for (const [name, c] of Object.entries(cases)) {
    const want = c.predict_new;
    if (!want) continue;
    it(`${name}: ${c.formula}`, async () => {
      const fit = await lmer(c.formula, data[c.data], { REML: true, factors: factorsOf(c.data) });
      expect(fit.model.frame.xnames).toEqual(c.xnames);
      // lme4 ran bobyqa to rhoend 1e-12: the criterion to 1e-9, θ 1e-6, β and SEs 1e-7 relative (as the
      // lmer reference tests)
      expect(fit.objective).toBeLessThanOrEqual(c.criterion + 1e-9);
      expect(Math.abs(fit.objective - c.criterion)).toBeLessThan(1e-9);
      fit.theta.forEach((t, k) => expect(Math.abs(t - c.theta[k])).toBeLessThan(1e-6));
      fit.beta.forEach((b, j) => expect(rel(b, c.beta[j])).toBeLessThan(1e-7));
      Object.values(fit.se).forEach((s, j) => expect(rel(s, c.se[j])).toBeLessThan(1e-7));
      expect(rel(fit.sigma, c.sigma)).toBeLessThan(1e-7);
      // predict(m, newdata, re.form = NA) and with the group's effects: a relevel'd factor coded in the fit's
      // order (the new rows lack its reference level), a comparison re-evaluated on the new rows; β̂ and the
      // modes at our optimum: 1e-6 relative
      const nd = want.newdata;
      fit.predict(nd, { groups: false }).forEach((v, i) => expect(rel(v, want.value[i])).toBeLessThan(1e-6));
      fit.predict(nd).forEach((v, i) => expect(rel(v, c.predict_groups![i])).toBeLessThan(1e-6));
    });
  }

  it("the new data's design at lme4's β̂ reproduces R's predictions to 1e-10", async () => {
    const { newDataDesign } = await import('../src/results/predict.js');
    const { toArrowTable } = await import('../src/io/dataInput.js');
    for (const c of Object.values(cases)) {
      if (!c.predict_new) continue;
      const model = buildLmm(c.formula, data[c.data], { REML: true, factors: factorsOf(c.data) });
      const d = newDataDesign({ model }, toArrowTable(c.predict_new.newdata, 'newdata'), { groups: false });
      for (let i = 0; i < d.n; i++) {
        let eta = 0;
        c.beta.forEach((b, j) => { eta += d.X[j * d.n + i] * b; });
        expect(rel(eta, c.predict_new.value[i]), c.formula).toBeLessThan(1e-10);
      }
    }
  });
});

describe('refusals that need the data', () => {
  const fs = data.fs;
  it('relevel: an unknown level is named with the column\'s levels; a numeric column; ref past the levels', () => {
    expect(() => buildLmm('y ~ relevel(treat, ref = "placebo") + (1 | g)', fs)).toThrow(/the reference level "placebo" is not a level of 'treat' \(its levels: "A", "B", "ctl"\)/);
    expect(() => buildLmm('y ~ relevel(num, ref = "3") + (1 | g)', fs)).toThrow(/'num' is numeric; relevel takes a factor .*relevel\(factor\(num\), …\), or list 'num' in factors/);
    expect(() => buildLmm('y ~ relevel(treat, ref = 4) + (1 | g)', fs)).toThrow(/ref = 4 is past the 3 levels of 'treat'/);
    // num listed in factors is a factor: relevel works on it
    expect(buildLmm('y ~ relevel(num, ref = "3") + (1 | g)', fs, { factors: ['num'] }).frame.xnames[1]).toBe('relevel(num, ref = "3")1');
  });

  it('comparisons: a level the factor lacks, an order on a factor, a string with numbers', () => {
    expect(() => buildLmm('y ~ I(sex == "f") + (1 | g)', fs)).toThrow(/"f" is not a level of 'sex' \(its levels: "F", "M"\)/);
    expect(() => buildLmm('y ~ I(sex < "F") + (1 | g)', fs)).toThrow(/'<' on the factor 'sex': a factor is compared with a level by == or != only/);
    expect(() => buildLmm('y ~ I(x == "1") + (1 | g)', fs)).toThrow(/a string is compared with a factor column/);
    expect(() => buildLmm('y ~ I(sex == treat) + (1 | g)', fs)).toThrow(/two factors/);
    expect(() => buildLmm('y ~ I(x + "1" > 0) + (1 | g)', fs)).toThrow(/the string "1" is a value, not a variable/);
  });

  it('in arithmetic a logical is 0/1: I((x > 0) * x) is x where x > 0, else 0; g != 3 compares a factor with a number\'s label', () => {
    const m = buildLmm('y ~ I((x > 0) * x) + (1 | g)', fs).frame;
    const x = fs.getChild('x')!.toArray() as Float64Array;
    expect(m.xnames).toEqual(['(Intercept)', 'I((x > 0) * x)']);
    for (let i = 0; i < m.n; i++) expect(m.X[m.n + i]).toBe((x[i] > 0 ? 1 : 0) * x[i]);
    const k = buildLmm('y ~ I(num != 3) + (1 | g)', fs, { factors: ['num'] }).frame;
    const num = fs.getChild('num')!.toArray() as Float64Array;
    for (let i = 0; i < k.n; i++) expect(k.X[k.n + i]).toBe(num[i] !== 3 ? 1 : 0);
  });

  it('a missing value in a comparison drops the row (NA), as R\'s na.omit; FALSE & NA is FALSE', () => {
    // dose has 6 missing values: I(dose > 2) is NA there
    expect(buildLmm('y ~ I(dose > 2) + (1 | g)', fs).frame.n).toBe(114);
    // x < -100 is FALSE in every row, so FALSE & NA is FALSE: no row dropped (R: the same)
    expect(buildLmm('y ~ I(x < -100 & dose > 2) + (1 | g)', fs).frame.n).toBe(120);
  });

  it('the engines (stream, SQL) read comparisons as logical factors and relevel() as its column, with memory\'s refusals (fits: test/gram/formulaParity.test.ts)', async () => {
    const { describeFrame } = await import('../src/gram/frameSpec.js');
    const schema = new Map([['y', 'numeric'], ['x', 'numeric'], ['g', 'text'], ['treat', 'text']] as const);
    const spec = describeFrame(parseFormula('y ~ I(x > 0) + relevel(treat, "A") + (1 | g)'), schema as never);
    expect(spec.factors.get('I(x > 0)')).toMatchObject({ kind: 'bool', logical: { type: 'call', fn: 'I' } });
    expect(spec.factors.get('relevel(treat, "A")')).toMatchObject({ column: 'treat', kind: 'text', relevel: { ref: { level: 'A' } } });
    expect(() => describeFrame(parseFormula('y ~ I(treat > "A") + (1 | g)'), schema as never)).toThrow(/'>' on the factor 'treat': a factor is compared with a level by == or != only/);
    expect(() => describeFrame(parseFormula('y ~ I(x == "A") + (1 | g)'), schema as never)).toThrow(/a string is compared with a factor column \(sex == "F"\), not with numbers/);
    expect(() => describeFrame(parseFormula('y ~ relevel(x, "A") + (1 | g)'), schema as never)).toThrow(/'x' is numeric; relevel takes a factor/);
  });
});

describe('after the fit: update, emmeans, a logical response', () => {
  const extra = ref.extra;
  it("fit.update() keeps relevel's and the comparisons' terms (the update formula as R writes it)", async () => {
    const fit = await lmer('y ~ relevel(treat, ref = "ctl") + I(x > 0) + sex + (1 | g)', data.fs);
    const u = await fit.update('. ~ . - sex + I(sex == "F")');
    expect(u.model.frame.xnames).toEqual(['(Intercept)', 'relevel(treat, ref = "ctl")A', 'relevel(treat, ref = "ctl")B', 'I(x > 0)TRUE', 'I(sex == "F")TRUE']);
    // sex coded by its level F instead of M: the same column space, the same criterion (to the optimizers' 1e-9)
    expect(Math.abs(u.objective - fit.objective)).toBeLessThan(1e-6);
  });

  it('predict on new rows that lack the compared level: the comparison is FALSE there (no error)', async () => {
    const fit = await lmer('y ~ I(sex == "F") + x + (1 | g)', data.fs);
    const [b0, bF, bx] = fit.beta;
    const p = fit.predict({ sex: ['M', 'M'], x: [1, -2], g: ['g01', 'g02'] }, { groups: false });
    expect(p[0]).toBeCloseTo(b0 + bx, 12);
    expect(p[1]).toBeCloseTo(b0 - 2 * bx, 12);
    expect(fit.predict({ sex: ['F'], x: [0], g: ['g01'] }, { groups: false })[0]).toBeCloseTo(b0 + bF, 12);
  });

  it('emmeans 1.8.4 over x of y ~ I(x > 0): the comparison evaluated at the grid\'s x (its mean, or at)', async () => {
    const fit = await lmer('y ~ I(x > 0) + (1 | g)', data.fs);
    // one θ known to ~1e-7 (rhoend 1e-12 in R): means, SEs and Kenward-Roger df to 1e-6 relative (as
    // test/formulaFunctions.test.ts's emmeans)
    for (const [rows, want] of [[fit.emmeans('~ x').rows, extra.emm_mean], [fit.emmeans('~ x', { at: { x: [-1, 2] } }).rows, extra.emm_at]] as const) {
      expect(rows.map((r) => r.levels.x)).toEqual(want.x.map((v: number) => expect.closeTo(v, 12)));
      rows.forEach((r, i) => {
        expect(rel(r.emmean, want.emmean[i])).toBeLessThan(1e-6);
        expect(rel(r.SE, want.SE[i])).toBeLessThan(1e-6);
        expect(rel(r.df, want.df[i])).toBeLessThan(1e-6);
      });
    }
  });

  it('emmeans refuses a grid over a relevel()\'d factor or a factor compared with a level, naming the term', async () => {
    const fit = await lmer('y ~ relevel(treat, ref = "ctl") + I(sex == "F") + (1 | g)', data.fs);
    expect(() => fit.emmeans('~ treat')).toThrow(/emmeans: 'treat' is in the fixed part as 'relevel\(treat, ref = "ctl"\)': a reference grid over a relevel\(\)'d factor/);
  });

  it('a binomial glmer with a logical response I(y > 2) (TRUE the success), against lme4', async () => {
    const { glmer } = await import('../src/fit/glmer.js');
    const want = extra.glmer_logical;
    const fit = await glmer(want.formula, data.fs, { family: 'binomial' });
    expect(fit.model.frame.n).toBe(want.n);
    // glmer to rhoend 1e-12 with tolPwrss 1e-12 over (θ, β): deviance to 1e-7, θ and β to 1e-5 (as
    // test/formulaFunctions.test.ts's glmer fits)
    expect(Math.abs(-2 * fit.logLik - want.deviance)).toBeLessThan(1e-7);
    fit.theta.forEach((t, k) => expect(Math.abs(t - want.theta[k])).toBeLessThan(1e-5));
    fit.beta.forEach((b, j) => expect(Math.abs(b - want.beta[j])).toBeLessThan(1e-5));
  });
});

describe('the CLI with strings in its FORMULA argument', () => {
  it("fit --json: relevel(treat, ref = \"ctl\") and I(Days > 4) — the coefficients by R's names, lme4's values", async () => {
    const { runMain } = await import('./helpers/cliEngines.js');
    for (const [file, c, extraArgs] of [
      [join(DIR, 'fs.csv'), cases.fit_relevel, []],
      [join(import.meta.dirname, 'fixtures', 'data', 'sleepstudy.csv'), cases.fit_days, ['--factors', 'Subject']],
    ] as const) {
      const r = await runMain(['fit', file, c.formula, ...extraArgs, '--json', '--quiet']);
      expect(r.code).toBe(0);
      const json = JSON.parse(r.stdout) as { fixef: Record<string, number> };
      expect(Object.keys(json.fixef)).toEqual(c.xnames);
      // lme4 to rhoend 1e-12: β to 1e-7 relative (as the library's fits above)
      Object.values(json.fixef).forEach((b, j) => expect(rel(b, c.beta[j])).toBeLessThan(1e-7));
    }
  });

  it('an unknown level is the CLI\'s error, naming the level and the levels', async () => {
    const { runMain } = await import('./helpers/cliEngines.js');
    const r = await runMain(['fit', join(DIR, 'fs.csv'), 'y ~ relevel(treat, ref = "placebo") + (1 | g)', '--quiet']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/the reference level "placebo" is not a level of 'treat' \(its levels: "A", "B", "ctl"\)/);
  });
});

describe('a logical (boolean) data column, as R codes it', () => {
  // R (lme4 1.1-31), checked by hand: with flag TRUE in every row, lmer(y ~ 0 + flag + (1 | g)) has the one
  // coefficient flagTRUE (model.matrix's flagFALSE is all zero, dropped as rank deficient), y ~ flag only the
  // intercept (flagTRUE dropped), and (1 | flag) stops: "grouping factors must have > 1 sampled level"
  const n = 40;
  const g = Array.from({ length: n }, (_, i) => `g${i % 5}`);
  const y = Array.from({ length: n }, (_, i) => Math.sin(i) + (i % 5) * 0.3);
  it('keeps both levels FALSE, TRUE in the fixed effects when the rows hold one; a grouping factor has its sampled levels', async () => {
    const allTrue = { y, g, flag: y.map(() => true) };
    expect(Object.keys((await lmer('y ~ 0 + flag + (1 | g)', allTrue)).fixef)).toEqual(['flagTRUE']);
    expect(Object.keys((await lmer('y ~ flag + (1 | g)', allTrue)).fixef)).toEqual(['(Intercept)']);
    await expect(lmer('y ~ 1 + (1 | flag)', allTrue)).rejects.toThrow(/grouping factor 'flag' has 1 level \('TRUE'\)/);
    const mixed = { y, g, flag: y.map((_, i) => i % 3 === 0) };
    expect(Object.keys((await lmer('y ~ flag + (1 | g)', mixed)).fixef)).toEqual(['(Intercept)', 'flagTRUE']);
    expect(Object.keys((await lmer('y ~ 0 + flag + (1 | g)', mixed)).fixef)).toEqual(['flagFALSE', 'flagTRUE']);
    // the strings TRUE and FALSE (R's read.csv: a logical) and an Arrow Bool column alike
    expect(Object.keys((await lmer('y ~ 0 + flag + (1 | g)', { y, g, flag: y.map(() => 'TRUE') })).fixef)).toEqual(['flagTRUE']);
    const bool = arrow.tableFromArrays({ y: Float64Array.from(y), g, flag: y.map(() => true) });
    expect(Object.keys((await lmer('y ~ 0 + flag + (1 | g)', bool)).fixef)).toEqual(['flagTRUE']);
  });
  it('a binomial response that is TRUE in every row is all successes (R\'s logical), not all failures: lme4\'s constant-response refusal says 1', () => {
    expect(() => buildModelFrame(parseFormula('ok ~ 1 + (1 | g)'), toArrowTable({ ok: y.map(() => true), g }), {}, { family: 'binomial', link: 'logit' }))
      .toThrow(/the response 'ok' is 1 in all 40 rows used/);
  });
});
