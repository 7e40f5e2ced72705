/**
 * lme4 1.1-31's lmList against its own results (test/oracle/lmlist.R → test/fixtures/lmlist/*.json):
 * coef(), pooledSD, summary() (pooled and not), confint() at two levels (pooled and not), fitted()
 * and residuals() of the three types, the printouts of show(), print(summary()) and
 * print(confint()), lme4's failed groups; and the refusals.
 *
 * Tolerances: each group's fit is a direct least-squares solve (Householder QR on both sides, R's
 * LINPACK dqrdc2 and ours), so the numbers agree to a few units of rounding times the condition
 * of the groups' X (here ≤ 1e3): 1e-10 relative, normwise over each vector compared (the largest
 * difference over the groups relative to the largest value: a near-zero residual or coefficient
 * is compared at the scale of its vector). p-values, whose range spans 1e-42..1, are compared one by
 * one, 1e-9 relative (their t statistics at 1e-10; the incomplete beta function adds its own error).
 * R's NA and NaN are both null in the fixtures: ours is null (NA) or NaN there, and a number where
 * R has one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTableFile } from '../src/io/node.js';
import { lmList, type RValue } from '../src/lmlist/lmList.js';
import { printLmList, printLmListConfint, printLmListSummary } from '../src/lmlist/print.js';
import { parseGroupedFormula } from '../src/formula/parse.js';
import { FormulaError, ModelError, OptionError } from '../src/errors/errors.js';
import { runLmList } from '../src/cli/lmListCommand.js';
import { buildProgram } from '../src/cli/program.js';

const fixtures = join(import.meta.dirname, 'fixtures', 'lmlist');
const dataDir = join(import.meta.dirname, 'fixtures', 'data');

type Num = number | null;
interface Interval { level: number; names: string[]; columns: string[]; lower: Record<string, Num[]>; upper: Record<string, Num[]>; print: string[] }
interface Fixture {
  formula: string;
  pool: boolean;
  data: string;
  family: 'binomial' | 'poisson' | null;
  warnings: string[];
  groups: string[];
  failed: string[];
  coef: { names: string[]; values: Num[][] };
  pooled_sd: { sd: number; df: number } | { error: string };
  summary: {
    coef_names: string[];
    estimate: Record<string, Num[]>; se: Record<string, Num[]>; t: Record<string, Num[]>; p: Record<string, Num[]>;
    sigma: Num[]; df: (number[] | null)[] | null; RSE: number | null; df_residual: number | null;
  };
  confint: Interval[];
  confint_pooled: Interval[];
  fitted: { names: string[]; values: Num[] } | { error: string };
  fitted_by_group: Record<string, Num[] | null>;
  residuals: Record<string, Num[] | { error: string }>;
  residuals_by_group: Record<string, Record<string, Num[] | null>>;
  print: string[];
  summary_print: string[];
}

function load(name: string): Fixture {
  return JSON.parse(readFileSync(join(fixtures, `${name}.json`), 'utf8')) as Fixture;
}

function tableOf(fx: Fixture) {
  const path = fx.data === 'sleepstudy.csv' ? join(dataDir, fx.data) : join(fixtures, fx.data);
  return readTableFile(path).table;
}

const missing = (v: RValue | undefined) => v === null || v === undefined || Number.isNaN(v);

/** ours against R's: the same NA/NaN pattern, and max |ours − R| ≤ tol × max |R| over the vector */
function expectClose(ours: ArrayLike<RValue>, r: Num[], tol: number, what: string): number {
  expect(ours.length, `${what}: length`).toBe(r.length);
  let scale = 0, worst = 0;
  for (const v of r) if (v !== null) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < r.length; i++) {
    const o = ours[i];
    if (r[i] === null) {
      expect(missing(o), `${what}[${i}]: R has NA/NaN, ours ${o}`).toBe(true);
      continue;
    }
    expect(missing(o), `${what}[${i}]: R has ${r[i]}, ours ${o}`).toBe(false);
    worst = Math.max(worst, Math.abs((o as number) - r[i]!));
  }
  const rel = scale > 0 ? worst / scale : worst;
  expect(rel, `${what}: relative difference ${rel}`).toBeLessThanOrEqual(tol);
  return rel;
}

/** one by one, relative to each value (p-values) */
function expectEachClose(ours: ArrayLike<RValue>, r: Num[], tol: number, what: string): number {
  let worst = 0;
  for (let i = 0; i < r.length; i++) {
    if (r[i] === null) { expect(missing(ours[i]), `${what}[${i}]`).toBe(true); continue; }
    const rel = Math.abs((ours[i] as number) - r[i]!) / Math.abs(r[i]!);
    worst = Math.max(worst, rel);
  }
  expect(worst, `${what}: worst relative difference ${worst}`).toBeLessThanOrEqual(tol);
  return worst;
}

const TOL = 1e-10;
const P_TOL = 1e-9;
const worst: Record<string, number> = {};
const track = (k: string, v: number) => { worst[k] = Math.max(worst[k] ?? 0, v); };

const CASES = [
  'sleepstudy', 'sleepstudy_nopool', 'factor_levels', 'factor_levels_nopool', 'missing_rows', 'missing_rows_nopool',
  'binomial', 'binomial_cbind', 'poisson',
];

describe.each(CASES)('lmList against lme4 1.1-31: %s', (name) => {
  const fx = load(name);
  const fit = lmList(fx.formula, tableOf(fx), { pool: fx.pool, dataName: fx.data.replace(/\.csv$/, ''), ...(fx.family ? { family: fx.family } : {}) });

  it('groups, failed fits and coef()', () => {
    expect(fit.groups.map((g) => g.name)).toEqual(fx.groups);
    expect(fit.failed).toEqual(fx.failed);
    // lme4 warns for the failed fits; so does the fit's messages (one per error)
    expect(fit.messages.filter((m) => /Fitting failed|caught in lm\.fit/.test(m)).length).toBe(fx.warnings.length);
    const cf = fit.coef();
    expect(cf.names).toEqual(fx.coef.names);
    cf.names.forEach((n, j) => {
      track('coef', expectClose(cf.values.map((row) => row[j]), fx.coef.values.map((row) => row[j]), TOL, `coef ${n}`));
    });
  });

  it('the pooled residual SD and its df (lme4\'s pooledSD, aliased coefficients counted)', () => {
    const sd = fit.pooledSD();
    if (!('sd' in fx.pooled_sd)) throw new Error('fixture without a pooled SD');
    // a glm family without a dispersion: lme4's 1 with df NA
    if (fx.pooled_sd.df === null) expect(sd.df).toBeNaN();
    else expect(sd.df).toBe(fx.pooled_sd.df);
    track('pooledSD', expectClose([sd.sd], [fx.pooled_sd.sd], TOL, 'pooled SD'));
  });

  it('summary(): estimates, SEs, t and p per group', () => {
    const s = fit.summary();
    expect(s.pool).toBe(fx.pool);
    expect(s.names).toEqual(fx.summary.coef_names);
    s.names.forEach((n, c) => {
      track('estimate', expectClose(s.estimate[c], fx.summary.estimate[n], TOL, `estimate ${n}`));
      track('se', expectClose(s.se[c], fx.summary.se[n], TOL, `se ${n}`));
      track('t', expectClose(s.t[c], fx.summary.t[n], TOL, `t ${n}`));
      track('p', expectEachClose(s.p[c], fx.summary.p[n], P_TOL, `p ${n}`));
    });
    // a glm's summary has no σ_g (summary.glm's dispersion is 1)
    if (fx.family) expect(s.sigma.every((v) => v === null)).toBe(true);
    else track('sigma', expectClose(s.sigma, fx.summary.sigma, TOL, 'sigma'));
    expect(s.statistic).toBe(fx.family ? 'z' : 't');
    // summary.lm's df per group; R's row of NA for a failed group is null here
    expect(s.df).toEqual(fx.summary.df!.map((d) => (d && d.every((v) => v === null) ? null : d)));
    if (fx.pool) {
      expect(s.dfResidual).toBe(fx.summary.df_residual);
      track('pooledSD', expectClose([s.RSE!], [fx.summary.RSE], TOL, 'RSE'));
    } else {
      expect(s.RSE).toBeUndefined();
    }
  });

  it('confint() at 0.95 and 0.9, each group\'s own (lme4\'s default whatever the fit\'s pool) and pooled', () => {
    // a glm's confint is MASS's profile likelihood in R: refused
    if (fx.family) expect(() => fit.confint()).toThrow(/profile-likelihood interval, which is not offered/);
    for (const [pool, r] of [...fx.confint.map((r) => [false, r] as const), ...fx.confint_pooled.map((r) => [true, r] as const)]) {
      const ci = pool ? fit.confint({ level: r.level, pool: true }) : fit.confint({ level: r.level });
      expect(ci.pool).toBe(pool);
      expect(ci.names).toEqual(r.names);
      expect(ci.columns).toEqual(r.columns);
      ci.names.forEach((n, c) => {
        track('confint', expectClose(ci.lower[c], r.lower[n], TOL, `${r.level} lower ${n}`));
        track('confint', expectClose(ci.upper[c], r.upper[n], TOL, `${r.level} upper ${n}`));
      });
      // R's print() of the lmList4.confint array, line for line
      expect(printLmListConfint(ci)).toEqual(r.print);
    }
  });

  it('fitted() and residuals() of the three types', () => {
    const fitted = fit.fitted();
    const byGroup = (values: Float64Array, groups: string[], g: string) => Array.from(values).filter((_, i) => groups[i] === g);
    if ('error' in fx.fitted) {
      // lme4 1.1-31 stops where the grouping variable has a missing value (its origOrder holds NA)
      // or where a group has rows with a missing value (its names are then too many for the values);
      // ours leaves those rows out: compared by group (fitted(asList = TRUE))
      expect(fx.fitted.error).toMatch(/invalid 'times' argument|'names' attribute \[\d+\] must be the same length/);
    } else {
      expect(fitted.groups).toEqual(fx.fitted.names);
      track('fitted', expectClose(fitted.values, fx.fitted.values, TOL, 'fitted'));
    }
    for (const g of fx.groups) {
      const r = fx.fitted_by_group[g];
      if (r === null || r === undefined) expect(byGroup(fitted.values, fitted.groups, g).every((v) => Number.isNaN(v))).toBe(true);
      else track('fitted', expectClose(byGroup(fitted.values, fitted.groups, g), r, TOL, `fitted ${g}`));
    }
    for (const type of ['response', 'pearson', 'pooled.pearson'] as const) {
      const res = fit.residuals(type);
      const r = fx.residuals[type];
      if (!('error' in r)) track('residuals', expectClose(res.values, r, TOL, `residuals ${type}`));
      for (const g of fx.groups) {
        const rg = fx.residuals_by_group[type][g];
        const ours = byGroup(res.values, res.groups, g);
        if (rg === null || rg === undefined) expect(ours.every((v) => Number.isNaN(v))).toBe(true);
        // a one-row group's Pearson residual is 0/0 (NaN) in both
        else track('residuals', expectClose(ours, rg, TOL, `residuals ${type} ${g}`));
      }
    }
  });

  it("the printouts: show() and print(summary()) as R's, line for line", () => {
    // the Call line: R deparses the call (its pool = TRUE argument, wrapping); ours is built from the formula
    expect(printLmList(fit).slice(1)).toEqual(fx.print.slice(1));
    expect(printLmList(fit)[0]).toMatch(/^Call: lmList\(formula = /);
    // lme4 1.1-31 prints "| NULL" in the Model line (groupsForm unset); ours names the grouping factor
    const rSummary = fx.summary_print.map((l, i) => (i === 1 ? l.replace('| NULL', `| ${fit.formula.group}`) : l));
    expect(printLmListSummary(fit, fit.summary())).toEqual(rSummary);
  });
});

// the worst differences seen, for the record (each was checked against its tolerance above)
afterAll(() => { console.log('lmList worst relative differences against lme4:', worst); });

describe('lmList: the grouped formula', () => {
  it('parses y ~ terms | g into the model and the grouping variable', () => {
    const g = parseGroupedFormula('log(y) ~ x * f | Subject');
    expect(g.group).toBe('Subject');
    expect(g.model.text).toBe('log(y) ~ x * f');
    expect(g.model.fixed.terms.map((t) => t.label)).toEqual(['x', 'f', 'x:f']);
    expect(g.model.random).toEqual([]);
    expect(parseGroupedFormula('y ~ 1 | (g)').group).toBe('g');
  });

  it('refuses formulas that are not y ~ terms | g, naming the problem', () => {
    expect(() => parseGroupedFormula('y ~ x')).toThrow(FormulaError);
    expect(() => parseGroupedFormula('y ~ x')).toThrow(/'response ~ terms \| group'/);
    expect(() => parseGroupedFormula('y ~ x + (1 | g)')).toThrow(/'response ~ terms \| group'/);
    expect(() => parseGroupedFormula('y ~ x || g')).toThrow(/'response ~ terms \| group'/);
    expect(() => parseGroupedFormula('y ~ x | a:b')).toThrow(/one column, not 'a:b'/);
    expect(() => parseGroupedFormula('y ~ x | a/b')).toThrow(/one column, not 'a\/b'/);
    expect(() => parseGroupedFormula('y ~ x + (1 | h) | g')).toThrow(/random-effects term \(1 \| h\)/);
  });
});

describe('lmList: refusals and bad input', () => {
  const ss = readTableFile(join(dataDir, 'sleepstudy.csv')).table;

  it('refuses glm families other than binomial and poisson, pool with them, and unknown options', () => {
    expect(() => lmList('Reaction ~ Days | Subject', ss, { family: 'Gamma' } as never)).toThrow(OptionError);
    expect(() => lmList('Reaction ~ Days | Subject', ss, { family: 'Gamma' } as never)).toThrow(/family "Gamma" is not supported: 'binomial' or 'poisson'/);
    const binary = readTableFile(join(fixtures, 'binary.csv')).table;
    expect(() => lmList('y ~ x | g', binary, { family: 'binomial', pool: true })).toThrow(/pool = TRUE with family binomial/);
    const fit = lmList('y ~ x | g', binary, { family: 'binomial' });
    expect(fit.pool).toBe(false);
    expect(() => fit.summary({ pool: true })).toThrow(OptionError);
    expect(() => lmList('Reaction ~ Days | Subject', ss, { weights: 'w' } as never)).toThrow(OptionError);
    expect(() => lmList('Reaction ~ Days | Subject', ss, { pool: 'yes' } as never)).toThrow(OptionError);
  });

  it('refuses offset(), scale() and the grouping variable in the model', () => {
    expect(() => lmList('Reaction ~ Days + offset(Days) | Subject', ss)).toThrow(/offset\(\) .* not supported/);
    expect(() => lmList('Reaction ~ scale(Days) | Subject', ss)).toThrow(/scale\(\) on each group's rows/);
    expect(() => lmList('Reaction ~ I(Days - mean(Days)) | Subject', ss)).toThrow(/'I\(Days - mean\(Days\)\)' .* lm evaluates the summaries of a column/);
    expect(() => lmList('Reaction ~ cut(Days, 3) | Subject', ss)).toThrow(/'cut\(Days, 3\)' .* cut\(\) and scale\(\) on each group's rows/);
    expect(() => lmList('Reaction ~ Days + Subject | Subject', ss)).toThrow(/grouping variable 'Subject' is also in the model/);
    expect(() => lmList('Reaction ~ Days | Nope', ss)).toThrow(/column 'Nope' not found/);
  });

  it("a glm group with separated responses: glm.fit's warning in the messages", () => {
    // group b: y = 1 exactly where x > 0 (the MLE is at infinity; glm.fit stops with μ̂ near 0 and 1)
    const x = [-2, -1, 1, 2, -1.5, 0.5, -0.5, 1.5, -2, -1, 1, 2, -1.5, 0.5, -0.5, 1.5];
    const y = [0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 0, 1, 0, 1];
    const g = x.map((_, i) => (i < 8 ? 'a' : 'b'));
    const fit = lmList('y ~ x | g', { y, x, g }, { family: 'binomial' });
    expect(fit.failed).toEqual([]);
    expect(fit.messages.some((m) => /^group b: glm\.fit: fitted probabilities numerically 0 or 1 occurred/.test(m))).toBe(true);
    expect(fit.messages.some((m) => /^group a:/.test(m))).toBe(false);
  });

  it('checks confint\'s level and residuals\' type', () => {
    const fit = lmList('Reaction ~ Days | Subject', ss);
    expect(() => fit.confint({ level: 1.5 })).toThrow(OptionError);
    expect(() => fit.confint({ level: 95 })).toThrow(/strictly between 0 and 1/);
    expect(() => fit.residuals('deviance' as never)).toThrow(/'response', 'pearson' or 'pooled.pearson'/);
  });

  it("refuses confint where lme4's takes the first group's coefficients and that fails or does not fit", () => {
    // the first group's fit fails (f has one level there)
    const rows = [];
    for (let i = 0; i < 12; i++) rows.push({ y: i % 5 + (i > 5 ? 1 : 0), x: i, f: i < 6 ? 'a' : ['a', 'b'][i % 2], g: i < 6 ? 'g1' : 'g2' });
    const fit = lmList('y ~ x + f | g', rows);
    expect(fit.failed).toEqual(['g1']);
    expect(() => fit.confint()).toThrow(ModelError);
    expect(() => fit.confint()).toThrow(/first group's fit \(g1\) failed/);
    // pool = FALSE and a group whose coefficients are other than the first group's (same number):
    // lme4 would put them in the first group's rows by position
    const rows2 = [];
    for (let i = 0; i < 16; i++) rows2.push({ y: (i * 7) % 11, x: i % 4, f: i < 8 ? ['a', 'b'][i % 2] : ['a', 'c'][i % 2], g: i < 8 ? 'g1' : 'g2' });
    const fit2 = lmList('y ~ x + f | g', rows2, { pool: false });
    expect(fit2.coef().names).toEqual(['(Intercept)', 'x', 'fb', 'fc']);
    expect(() => fit2.confint()).toThrow(/group g2's coefficients .* are not the first group's/);
    // with the pooled SD the rows are matched by name, as lme4 does
    expect(fit2.confint({ pool: true }).names).toEqual(['(Intercept)', 'x', 'fb']);
  });

  it('a pooled SD with no degrees of freedom is an error (lme4: "No degrees of freedom for estimating std. dev.")', () => {
    const fit = lmList('y ~ x | g', { y: [1, 2, 3, 5], x: [0, 1, 0, 1], g: ['a', 'a', 'b', 'b'] });
    expect(() => fit.pooledSD()).toThrow(/no degrees of freedom/);
    expect(() => fit.summary()).toThrow(/no degrees of freedom/);
    // without pooling, each group's own summary (no residual df: RSS/0, an SE of NaN or ∞ as summary.lm's)
    const s = fit.summary({ pool: false });
    expect(s.estimate[1][0]).toBeCloseTo(1, 14);
    expect(s.estimate[1][1]).toBeCloseTo(2, 14);
    expect(Number.isFinite(s.se[1][0] as number)).toBe(false);
    expect(s.df).toEqual([[2, 0, 2], [2, 0, 2]]);
  });
});

describe('lmList: the CLI', () => {
  const io = () => {
    const out = { stdout: '', stderr: '' };
    return { out, io: { stdout: (s: string) => { out.stdout += s; }, stderr: (s: string) => { out.stderr += s; } } };
  };
  const file = join(fixtures, 'missing_rows.csv');

  it("prints R's show, summary and confint", async () => {
    const { out, io: cli } = io();
    expect(await runLmList({ file, formula: 'Reaction ~ Days | Subject' }, cli)).toBe(0);
    const fx = load('missing_rows');
    const lines = out.stdout.split('\n');
    expect(lines.slice(1, fx.print.length)).toEqual(fx.print.slice(1));
    // confint as lme4's confint(fit): each group's own intervals
    expect(out.stdout).toContain(fx.confint[0].print.join('\n'));
    const p = io();
    expect(await runLmList({ file, formula: 'Reaction ~ Days | Subject', pooledConfint: true, quiet: true }, p.io)).toBe(0);
    expect(p.out.stdout).toContain(fx.confint_pooled[0].print.join('\n'));
    expect(p.out.stderr).toBe('');
    expect(out.stdout).toContain('Residual standard error: 25.57883 on 136 degrees of freedom');
    expect(out.stderr).toMatch(/warning: 1 error caught in lm\.fit \(998\): 0 \(non-NA\) cases/);
  });

  it('--json, --no-pool and --level', async () => {
    const { out, io: cli } = io();
    expect(await runLmList({ file, formula: 'Reaction ~ Days | Subject', json: true, pool: false, level: '0.9', quiet: true }, cli)).toBe(0);
    const j = JSON.parse(out.stdout);
    const fx = load('missing_rows_nopool');
    expect(j.pool).toBe(false);
    expect(j.groups).toEqual(fx.groups);
    expect(j.failed).toEqual([{ group: '998', error: '0 (non-NA) cases' }]);
    expect(j.confint.level).toBe(0.9);
    expect(j.confint.columns).toEqual(['5 %', '95 %']);
    expectClose(j.confint.lower.Days, fx.confint[1].lower.Days, TOL, 'json confint');
    expectClose(j.summary.se.Days, fx.summary.se.Days, TOL, 'json se');
    expect(j.summary.RSE).toBeUndefined();
    expect(j.pooled_sd.df).toBe(136);
    expect(out.stderr).toBe('');
  });

  it("the command's options map to runLmList's arguments", () => {
    const cmd = buildProgram().commands.find((c) => c.name() === 'lmlist')!;
    const o = cmd.options.find((x) => x.long === '--no-pool')!;
    expect([o.attributeName(), o.negate]).toEqual(['pool', true]);
    expect(cmd.options.find((x) => x.long === '--pooled-confint')!.attributeName()).toBe('pooledConfint');
    expect(cmd.options.map((x) => x.long)).toEqual(expect.arrayContaining(['--level', '--json', '--factors', '--quiet']));
  });

  it('--family: a glm per group, summary with z tests, no confint', async () => {
    const fx = load('poisson');
    const t = io();
    expect(await runLmList({ file: join(fixtures, 'counts.csv'), formula: fx.formula, family: 'poisson' }, t.io)).toBe(0);
    expect(t.out.stdout.split('\n').slice(1, fx.print.length)).toEqual(fx.print.slice(1));
    expect(t.out.stdout).toContain('Estimate Std. Error  z value   Pr(>|z|)');
    expect(t.out.stdout).not.toContain('lmList4.confint');
    expect(t.out.stderr).toMatch(/warning: Fitting failed for 1 group\(s\) \(m3\), probably because a factor only had one level/);
    const j = io();
    expect(await runLmList({ file: join(fixtures, 'counts.csv'), formula: fx.formula, family: 'poisson', json: true, quiet: true }, j.io)).toBe(0);
    const json = JSON.parse(j.out.stdout);
    expect([json.family, json.pool, json.confint, json.summary.statistic]).toEqual(['poisson', false, null, 'z']);
    expectClose(json.summary.se.x, fx.summary.se.x, TOL, 'json se');
    const bad = io();
    expect(await runLmList({ file: join(fixtures, 'counts.csv'), formula: fx.formula, family: 'Gamma' }, bad.io)).toBe(1);
    expect(bad.out.stderr).toMatch(/--family must be binomial or poisson/);
  });

  it('bad arguments are errors naming them', async () => {
    const { out, io: cli } = io();
    expect(await runLmList({ file, formula: 'Reaction ~ Days | Subject', level: '95' }, cli)).toBe(1);
    expect(out.stderr).toMatch(/--level must be a number strictly between 0 and 1/);
    const b = io();
    expect(await runLmList({ file, formula: 'Reaction ~ Days + (1 | Subject)' }, b.io)).toBe(1);
    expect(b.out.stderr).toMatch(/mixedgpu: error: .*'response ~ terms \| group'/);
  });
});
