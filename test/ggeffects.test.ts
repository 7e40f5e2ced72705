/**
 * ggeffects 1.2.0's adjusted predictions (ggpredict, ggemmeans) against R (test/oracle/ggeffects.R,
 * fixtures in test/fixtures/ggeffects): sleepstudy (lmer, random slopes), a factor × covariate
 * interaction with a second factor (lmer: ggpredict's reference level against ggemmeans's average), cbpp
 * (glmer binomial, cbind response) and grouseticks (glmer Poisson); default values (every value, or
 * pretty_range), brackets (values, levels, minmax, meansd, quart, n = 5), two and three terms, type
 * "random", `condition`, `typical = "median"`, a 90% level; the data frame and the printout line for line.
 *
 * Levels and tolerances (relative; an interval end is compared relative to its own size):
 *  - lmer at lme4's θ (the model assembled there, no optimizer: the machinery alone): 1e-9;
 *  - lmer at our optimum: 1e-6 (θ̂ is known to ~1e-7 where the REML criterion is flat; see
 *    test/emmeans.test.ts);
 *  - glmer with R's β̂, vcov and conditional modes (our fit's grid and design with lme4's estimates in
 *    place of ours: the machinery alone): 1e-9;
 *  - glmer at our optimum against R at the exact Laplace optimum (lme4's fit moved there, see the
 *    oracle): predictions 3e-6 (β̂ alone; the glmer tolerance of test/emmeans.test.ts); SEs and interval
 *    ends 3e-5: Var(β̂) is a finite-difference Hessian (lme4's deriv12 stencil) on a criterion flat in θ,
 *    and for the grouseticks fit ours is within 2.7e-5 of R's (θ̂ 0.94969516 against 0.94969432; the SEs
 *    differ by up to 6.7e-6, cbpp's by < 3e-6); the project's glmer SE tolerance is 1e-3
 *    (test/glmm.test.ts). The machinery is checked at 1e-9 with R's Var(β̂) above.
 * One case is compared in its predictions alone: ggeffects 1.2.0 returns no intervals for 'f [c, a]' (its
 * .vcov_helper fails on a factor grid whose levels are a reordered subset: "Could not compute
 * variance-covariance matrix of predictions"); ours has them, as for every other grid.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';
import { type GgEffects, type GgOptions, ggemmeans, ggpredict } from '../src/inference/ggpredict.js';
import '../src/inference/methods.js';
import { fitFixtureModels } from './helpers/atTheta.js';
import { runGgeffects } from '../src/cli/ggeffectsCommand.js';
import { lmerStream } from '../src/gram/stream/lmer.js';
import { openBatchSource } from '../src/gram/stream/node.js';

const dir = join(import.meta.dirname, 'fixtures', 'ggeffects');
type Cell = string | number | null;
interface Row { x: Cell; predicted: number; 'std.error': number | null; 'conf.low': number | null; 'conf.high': number | null; group: string; facet: string | null }
interface Case { name: string; model: string; fun: 'ggpredict' | 'ggemmeans'; terms: string[]; type: 'fixed' | 'random'; level: number; typical: 'mean' | 'median'; condition?: Record<string, number>; rows: Row[]; printed: string[]; messages: string[] | string }
interface Model { formula: string; data: string; factors: string[]; weights?: string; family?: string; theta: number[] | number; beta: number[]; vcov: number[][]; sigma: number; df_wald: number | null; b: number[] }
const fx = JSON.parse(readFileSync(join(dir, 'ggeffects.json'), 'utf8')) as { models: Record<string, Model>; cases: Case[] };

const dataOf = (name: string) => readCsv(readFileSync(name === 'factor_covariate' ? join(dir, 'factor_covariate.csv') : join(import.meta.dirname, 'fixtures', 'data', `${name}.csv`))).table;
const factorsOf = (name: string) => [Object.values(fx.models).find((m) => m.data === name)!.factors ?? []].flat();
const fits = new Map<string, LmmFit | GlmmFit>();
const atTheta = new Map<string, LmmFit>();
beforeAll(() => fitFixtureModels(Object.fromEntries(Object.entries(fx.models).map(([k, m]) => [k, { ...m, factors: undefined } as never])), dataOf, factorsOf, { fits, atTheta }), 120_000);

/**
 * the fit with lme4's β̂, Var(β̂) and conditional modes b in place of its own (a glmer fit's
 * machinery-level check; its models have one scalar random-effects term, so b is that block's modes)
 */
function withREstimates(fit: LmmFit | GlmmFit, m: Model): LmmFit | GlmmFit {
  const o = Object.create(fit) as LmmFit | GlmmFit;
  expect(fit.model.blocks.length).toBe(1);
  Object.defineProperty(o, 'beta', { value: Float64Array.from(m.beta) });
  Object.defineProperty(o, 'vcov', { value: m.vcov.map((r) => [...r]) });
  Object.defineProperty(o, 'conditionalModes', { value: () => Float64Array.from([m.b].flat()) });
  return o;
}

const run = (c: Case, fit: LmmFit | GlmmFit): GgEffects => {
  const options: GgOptions = { type: c.type, level: c.level, typical: c.typical, ...(c.condition ? { condition: c.condition } : {}) };
  return (c.fun === 'ggpredict' ? ggpredict : ggemmeans)(fit, c.terms, options);
};

const worst = new Map<string, number>();
function close(ours: number, theirs: number | null, tol: number, what: string, key: string) {
  if (theirs === null) return;
  const rel = Math.abs(ours - theirs) / Math.max(Math.abs(theirs), 1e-300);
  worst.set(key, Math.max(worst.get(key) ?? 0, rel));
  expect(rel <= tol, `${what}: ${ours} vs ggeffects ${theirs} (relative ${rel.toExponential(2)})`).toBe(true);
}

function check(c: Case, g: GgEffects, tol: number, key: string, seTol = tol) {
  expect(g.rows.length, c.name).toBe(c.rows.length);
  const noCi = c.rows.every((r) => r['std.error'] === null);
  c.rows.forEach((r, i) => {
    const o = g.rows[i];
    const at = `${c.name} row ${i + 1}`;
    if (typeof r.x === 'number') close(o.x as number, r.x, 1e-12, `${at} x`, 'x'); else expect(String(o.x), at).toBe(r.x);
    if (c.terms.length > 1) expect(String(typeof o.group === 'number' ? Number(o.group.toPrecision(15)) : o.group), `${at} group`).toBe(r.group);
    if (c.terms.length > 2) expect(String(o.facet), `${at} facet`).toBe(r.facet);
    close(o.predicted, r.predicted, tol, `${at} predicted`, key);
    if (noCi) return;
    close(o.std_error, r['std.error'], seTol, `${at} std.error`, key);
    close(o.conf_low, r['conf.low'], seTol, `${at} conf.low`, key);
    close(o.conf_high, r['conf.high'], seTol, `${at} conf.high`, key);
  });
}

describe('ggeffects: lmer at lme4\'s θ and glmer at lme4\'s β̂ and vcov (1e-9)', () => {
  for (const c of fx.cases) {
    it(c.name, () => {
      const m = fx.models[c.model];
      const fit = m.family ? withREstimates(fits.get(c.model)!, m) : atTheta.get(c.model)!;
      check(c, run(c, fit), 1e-9, m.family ? 'glmer at R' : 'lmer at θ');
    });
  }
});

describe('ggeffects: at our optimum (lmer 1e-6; glmer 3e-6, its SEs 3e-5)', () => {
  for (const c of fx.cases) {
    it(c.name, () => {
      const m = fx.models[c.model];
      if (m.family) check(c, run(c, fits.get(c.model)!), 3e-6, 'glmer fit', 3e-5);
      else check(c, run(c, fits.get(c.model)!), 1e-6, 'lmer fit');
    });
  }
  it('reports the worst differences', () => {
    if (process.env.GG_REPORT) console.log(Object.fromEntries(worst));
    expect(worst.size).toBeGreaterThan(0);
  });
});

describe("ggeffects's printout, line for line", () => {
  for (const c of fx.cases) {
    if (c.rows.every((r) => r['std.error'] === null)) continue;
    it(c.name, () => {
      const m = fx.models[c.model];
      const fit = m.family ? withREstimates(fits.get(c.model)!, m) : atTheta.get(c.model)!;
      const expected = [...c.printed, ...[c.messages].flat().flatMap((s) => s.replace(/\n$/, '').split('\n'))];
      expect(run(c, fit).toString().split('\n')).toEqual(expected);
    });
  }
});

describe('ggeffects: bad input', () => {
  const sleep = () => fits.get('sleep')!;
  const fxFit = () => fits.get('fx')!;
  it('names an unknown term', () => expect(() => ggpredict(sleep(), 'Dayz')).toThrow(/'Dayz' is not a variable of the model's fixed part \(its variables: Days\)/));
  it('names a level that does not exist', () => expect(() => ggpredict(fxFit(), 'f [a, z]')).toThrow(/'z' is not a level of 'f'/));
  it('refuses more than three terms', () => expect(() => ggpredict(fxFit(), ['x', 'f', 'h', 'g'])).toThrow(/4 terms given .*at most 3/));
  it("refuses a grouping factor as a term but in ggpredict's type random", () => {
    expect(() => ggpredict(sleep(), ['Days', 'Subject'])).toThrow(/'Subject' groups random effects; predictions at its levels are ggpredict's with type 'random'/);
    expect(() => ggemmeans(sleep(), ['Days', 'Subject'], { type: 'random' })).toThrow(/'Subject' groups random effects/);
    expect(() => ggpredict(sleep(), ['Days', 'Subject [999]'], { type: 'random' })).toThrow(/'999' is not a level of 'Subject'/);
  });
  it('refuses a word for a numeric term', () => expect(() => ggpredict(sleep(), 'Days [exp]')).toThrow(/'exp' is not a number, and 'Days' is a numeric variable/));
  it("refuses ggeffects's random sample", () => expect(() => ggpredict(sleep(), 'Days [sample = 3]')).toThrow(/random sample/));
  it('names a term given twice', () => expect(() => ggpredict(fxFit(), ['x', 'x [1, 2]'])).toThrow(/'x' is named twice/));
  it('checks condition', () => {
    expect(() => ggpredict(fxFit(), 'f', { condition: { z: 1 } })).toThrow(/condition: 'z' is not a variable/);
    expect(() => ggpredict(fxFit(), 'f', { condition: { h: 'mid' } })).toThrow(/'mid' is not a level of 'h'/);
    expect(() => ggpredict(fxFit(), 'f', { condition: { f: 'a' } })).toThrow(/'f' is a focal term/);
  });
  it('refuses a model with an offset', async () => {
    const { glmer } = await import('../src/fit/glmer.js');
    const pois = readCsv(readFileSync(join(import.meta.dirname, 'fixtures', 'emmeans', 'poisson.csv'))).table;
    const g = await glmer('count ~ trt + offset(log(expo)) + (1 | g)', pois, { family: 'poisson' });
    expect(() => ggpredict(g, 'trt')).toThrow(/a model with an offset is not supported/);
  });
  it('checks the options', () => {
    expect(() => ggpredict(sleep(), 'Days', { type: 're' as never })).toThrow(/type must be 'fixed' or 'random'/);
    expect(() => ggpredict(sleep(), 'Days', { level: 95 })).toThrow(/level must be a number between 0 and 1/);
    expect(() => ggpredict(sleep(), 'Days', { ci: 0.9 } as never)).toThrow(/unknown option 'ci'/);
    expect(() => ggpredict(sleep(), [] as never)).toThrow(/terms must be/);
  });
  it('is a method of the fits', () => {
    const a = sleep().ggpredict('Days [1, 2]');
    expect(a.rows.map((r) => r.x)).toEqual([1, 2]);
    expect((fits.get('cbpp') as GlmmFit).ggemmeans('period').rows).toHaveLength(4);
  });
});

describe('CLI: mixedgpu ggpredict / ggemmeans', () => {
  const io = () => { const out: string[] = [], err: string[] = []; return { out, err, stdout: (t: string) => { out.push(t); }, stderr: (t: string) => { err.push(t); } }; };
  const fxFile = join(dir, 'factor_covariate.csv');
  it("prints ggeffects's table; --json has the library's numbers", async () => {
    const c = fx.cases.find((k) => k.name === 'fx_x_f')!;
    const a = io();
    expect(await runGgeffects('ggpredict', { file: fxFile, formula: fx.models.fx.formula, terms: ['x', 'f'], quiet: true }, a)).toBe(0);
    expect(a.out.join('').trimEnd().split('\n')).toEqual(c.printed);
    const b = io();
    expect(await runGgeffects('ggemmeans', { file: fxFile, formula: fx.models.fx.formula, terms: ['x [2, 8]', 'h', 'f [a, b]'], json: true, quiet: true }, b)).toBe(0);
    const json = JSON.parse(b.out.join('')) as { ggemmeans: { rows: { x: number; group: string; facet: string; predicted: number; conf_low: number }[] } };
    const lib = ggemmeans(fits.get('fx')!, ['x [2, 8]', 'h', 'f [a, b]']);
    expect(json.ggemmeans.rows.map((r) => r.predicted)).toEqual(lib.rows.map((r) => r.predicted));
    expect(json.ggemmeans.rows.map((r) => [r.x, r.group, r.facet])).toEqual(lib.rows.map((r) => [r.x, r.group, r.facet]));
  });
  it('--type random, --condition and --level reach the library', async () => {
    const c = fx.cases.find((k) => k.name === 'fx_f_condition')!;
    const a = io();
    expect(await runGgeffects('ggpredict', { file: fxFile, formula: fx.models.fx.formula, terms: ['f'], condition: 'x=2', json: true, quiet: true }, a)).toBe(0);
    const rows = (JSON.parse(a.out.join('')) as { ggpredict: { rows: { predicted: number }[] } }).ggpredict.rows;
    rows.forEach((r, i) => close(r.predicted, c.rows[i].predicted, 1e-6, `row ${i}`, 'cli'));
    const b = io();
    expect(await runGgeffects('ggpredict', { file: join(import.meta.dirname, 'fixtures', 'data', 'cbpp.csv'), formula: fx.models.cbpp.formula, family: 'binomial', factors: 'period,herd', terms: ['period'], type: 'random', level: '0.9', quiet: true }, b)).toBe(0);
    expect(b.out.join('')).toContain('90% CI');
    expect(b.out.join('')).toContain('Intervals are prediction intervals.');
  });
  it('bad input: a clear error and exit code 1', async () => {
    const a = io();
    expect(await runGgeffects('ggpredict', { file: fxFile, formula: fx.models.fx.formula, quiet: true }, a)).toBe(1);
    expect(a.err.join('')).toMatch(/needs at least one --terms/);
    const b = io();
    expect(await runGgeffects('ggpredict', { file: fxFile, formula: fx.models.fx.formula, terms: ['f [a, q]'], quiet: true }, b)).toBe(1);
    expect(b.err.join('')).toMatch(/'q' is not a level of 'f'/);
    const c = io();
    expect(await runGgeffects('ggpredict', { file: fxFile, formula: fx.models.fx.formula, terms: ['f'], condition: 'x', quiet: true }, c)).toBe(1);
    expect(c.err.join('')).toMatch(/--condition 'x': give name=value/);
  });
});

describe('an lmer fit whose rows are in an engine (a stream)', () => {
  it("gives the in-memory fit's predictions at bracketed values and factor levels; a covariate's default values are refused", async () => {
    const src = await openBatchSource(join(dir, 'factor_covariate.csv'));
    let sfit: LmmFit;
    try {
      sfit = (await lmerStream(src, fx.models.fx.formula, { batchSize: 50 })).fit;
    } finally {
      await src.close();
    }
    const mem = fits.get('fx')!;
    for (const terms of [['x [1, 5]', 'f'], ['f', 'h'], ['x [0, 12]']]) {
      for (const fn of [ggpredict, ggemmeans]) {
        const a = fn(sfit, terms), b = fn(mem, terms);
        // the two optimizers' θ̂ agree to ~1e-7 (the fits' own tests); the predictions follow them
        a.rows.forEach((r, i) => {
          for (const k of ['predicted', 'std_error', 'conf_low', 'conf_high'] as const) close(r[k], b.rows[i][k], 1e-6, `${terms.join(', ')} row ${i} ${k}`, 'stream');
        });
        expect(a.toString()).toBe(b.toString());
      }
    }
    expect(() => ggpredict(sfit, 'x')).toThrow(/the default representative values of 'x' need its values over the rows used.*give its values in brackets/);
  });
});
