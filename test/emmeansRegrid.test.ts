/**
 * emmeans's regrid() of lmer and glmer grids against emmeans 1.8.4 (test/oracle/emmeans_regrid.R,
 * fixtures in test/fixtures/emmeans_regrid): transform 'response' (and its synonyms 'unlink', 'mu'),
 * 'log' (ratios of probabilities, rates or means as the log grid's back-transformed contrasts), 'none',
 * predict.type, a grid regridded twice, by grids, the adjustments of the pairwise differences, and means
 * ≤ 0 flagged as not estimable by the log; the CLI's --regrid [transform].
 * Models: cbpp (binomial logit), a Poisson with an offset, a binomial with a factor × covariate
 * interaction (a by grid at two covariate values), a log(y) lmer (Kenward–Roger df, inherited when
 * re-gridding) and an untransformed lmer whose means straddle 0.
 * Tolerances (relative, against emmeans's 15 significant digits; an estimate near 0 relative to its
 * row's SE, an interval end est ± c·SE relative to its terms' size |est| + c·SE: an end near 0 is a
 * difference of terms each known to the tolerance), as test/emmeans.test.ts's for the grids regridded here:
 *  - lmer at lme4's θ (the model assembled there, no optimizer: regrid's algebra and the grid's
 *    Kenward–Roger df alone): 1e-9 for means, SEs, df and interval ends; p-values 1e-8 relative or 1e-12
 *    absolute.
 *  - lmer at our optimum: 1e-6, p-values 1e-5 (θ̂ is known to ~1e-7 from either optimizer: the REML
 *    criterion is flat to 1e-13 over that change; the df and SEs follow it).
 *  - glmer at our optimum: 3e-6, p-values 3e-5: the references are emmeans on a reference grid (qdrg) with
 *    β̂ and Var(β̂) of the exact Laplace deviance's optimum, to which our fit agrees to ~1e-7 in β and
 *    ~1e-6 in Var(β̂).
 * qdrg labels its response-scale means 'response'; the glmer fit's own grid's columns (prob, rate), from
 * emmeans on the glmer fit, are the fixture's fitColumns.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';
import type { ContrastRow, EmmContrasts, EmmGrid, EmmeansOptions, EmmRow, RegridTransform } from '../src/inference/emmeans.js';
import '../src/inference/methods.js';
import { fitFixtureModels, type FixtureModel } from './helpers/atTheta.js';
import { runEmmeans } from '../src/cli/inferenceCommands.js';
import { runGlmmPql } from '../src/cli/glmmpqlCommand.js';

const dir = join(import.meta.dirname, 'fixtures', 'emmeans_regrid');
type Cell = string | number | null;
interface Table { columns: string[]; rows: Cell[][]; mesg: string[] | string }
interface ContrastCase { method: 'pairwise'; adjust?: string; type?: 'response'; result: Table }
interface Case {
  name: string; model: string; specs: string; transform: RegridTransform; type?: 'response'; at?: Record<string, number[]>; predictType?: 'response';
  messages: string[] | string; tran: string | null; emm: Table; contrasts: ContrastCase[]; fitColumns?: string[];
}
const fx = JSON.parse(readFileSync(join(dir, 'emmeans_regrid.json'), 'utf8')) as { emmeans: string; models: Record<string, FixtureModel>; cases: Case[] };
const list = (m: string[] | string) => (Array.isArray(m) ? m : [m]);

function dataOf(name: string) {
  const file = name === 'cbpp' || name === 'binomial_interaction' ? join(import.meta.dirname, 'fixtures', 'data', `${name}.csv`)
    : name === 'factorial_yc.csv' ? join(dir, name) : join(import.meta.dirname, 'fixtures', 'emmeans', name);
  return readCsv(readFileSync(file)).table;
}

const fits = new Map<string, LmmFit | GlmmFit>();
const atTheta = new Map<string, LmmFit>();
beforeAll(() => fitFixtureModels(fx.models, dataOf, (data) => (data === 'cbpp' ? ['period', 'herd'] : []), { fits, atTheta }), 120_000);

/**
 * compares a value with emmeans's (null: NA, our NaN; a df NA: also our ∞, as qdrg's grids of the glmer
 * fits have NA where emmeans on the fit has Inf, asymptotic z); `scale`: the row's SE
 */
function expectClose(ours: number, theirs: Cell, tol: number, what: string, kind: 'p' | 'value' = 'value', scale = 0, df = false) {
  if (theirs === null) {
    expect(Number.isNaN(ours) || (df && ours === Infinity), `${what}: ${ours} for emmeans's NA`).toBe(true);
    return;
  }
  const t = theirs === 'Inf' ? Infinity : Number(theirs);
  if (t === Infinity) { expect(ours, what).toBe(Infinity); return; }
  const d = Math.abs(ours - t);
  const ok = kind === 'p' ? d <= Math.max(tol * t, 1e-12) : d <= tol * Math.max(Math.abs(t), scale);
  expect(ok, `${what}: ${ours} vs emmeans ${t} (relative ${(d / Math.abs(t)).toExponential(2)})`).toBe(true);
}

/** the grid of a case: emmeans(fit, specs, at, type), regridded (cbpp_log_then_response: regridded to log first) */
function gridOf(c: Case, fit: LmmFit | GlmmFit, predictType?: 'response'): EmmGrid {
  const options: EmmeansOptions = {};
  if (c.at) options.at = c.at;
  if (c.type) options.type = c.type;
  let g = fit.emmeans(c.specs, options);
  if (c.name === 'cbpp_log_then_response') g = g.regrid('log');
  const pt = predictType ?? c.predictType;
  return g.regrid(c.transform, pt ? { predictType: pt } : {});
}

/**
 * the scale each of a row's values is compared on (estimate, SE, df, lower, upper from column `at`): the
 * estimate's and SE's own or the SE; an interval end est ± c·SE, the size of its terms, |est| + |end − est|
 * (an end near 0 is the difference of two terms each known to the tolerance)
 */
function scalesOf(row: Cell[], at: number): number[] {
  const e = Number(row[at]), se = Number(row[at + 1]);
  const end = (x: Cell) => (x === null ? se : Math.max(se, Math.abs(e) + Math.abs(Number(x) - e)));
  return [se, se, 0, end(row[at + 3]), end(row[at + 4])];
}

/** a mean's displayed values: the back-transformed ones where the grid shows them */
const shown = (g: EmmGrid, r: EmmRow) => (g.backTransformed ? [r.response!, r.responseSE!, r.df, r.responseLower!, r.responseUpper!] : [r.emmean, r.SE, r.df, r.lower, r.upper]);
const shownContrast = (r: ContrastRow) => (r.response !== undefined ? [r.response, r.responseSE!, r.df, r.responseLower!, r.responseUpper!] : [r.estimate, r.SE, r.df, r.lower, r.upper]);

function checkGrid(c: Case, g: EmmGrid, tol: number, what: string) {
  const cols = c.emm.columns;
  const nv = cols.length - 5;
  expect(g.rows.length, what).toBe(c.emm.rows.length);
  // the estimate's column: emmeans's name for the fit's grid (lmer's, or the glmer fit's fitColumns)
  const expectedCols = c.fitColumns ?? (fx.models[c.model].family ? null : cols);
  if (expectedCols) expect(g.backTransformed ? g.responseLabel : g.estimateName, `${what} estimate's name`).toBe(expectedCols[nv]);
  c.emm.rows.forEach((row, i) => {
    const r = g.rows[i];
    cols.slice(0, nv).forEach((v, k) => expect(String(r.levels[v]), `${what} row ${i} ${v}`).toBe(String(row[k])));
    const ours = shown(g, r);
    const scales = scalesOf(row, nv);
    ['estimate', 'SE', 'df', 'lower', 'upper'].forEach((name, k) => expectClose(ours[k], row[nv + k], tol, `${what} row ${i} ${name}`, 'value', scales[k], k === 2));
  });
  expect(g.annotations, `${what} notes`).toEqual(list(c.emm.mesg));
  for (const m of list(c.messages)) expect(g.messages, `${what} messages`).toContain(m);
}

function checkContrasts(k: ContrastCase, res: EmmContrasts, tol: number, ptol: number, what: string) {
  const cols = k.result.columns;
  const est = cols.findIndex((x) => ['estimate', 'ratio', 'odds.ratio'].includes(x));
  expect(res.ratioLabel ?? 'estimate', `${what} estimate's name`).toBe(cols[est]);
  expect(res.rows.length, what).toBe(k.result.rows.length);
  k.result.rows.forEach((row, i) => {
    const r = res.rows[i];
    expect(r.contrast, `${what} row ${i}`).toBe(row[0]);
    cols.slice(1, est).forEach((v, j) => expect(String(r.by[v]), `${what} row ${i} ${v}`).toBe(String(row[1 + j])));
    const ours = shownContrast(r);
    const scales = scalesOf(row, est);
    ['estimate', 'SE', 'df', 'lower', 'upper'].forEach((name, j) => expectClose(ours[j], row[est + j], tol, `${what} row ${i} ${name}`, 'value', scales[j], j === 2));
    const ratioCol = cols.findIndex((x) => x === 't.ratio' || x === 'z.ratio');
    expectClose(r.ratio, row[ratioCol], tol, `${what} row ${i} ${cols[ratioCol]}`, 'value', 1);
    expectClose(r.p, row[cols.indexOf('p.value')], ptol, `${what} row ${i} p`, 'p');
  });
  // (emmeans gives the interaction NOTE as an R message, not a note of the printout)
  expect(res.messages.filter((m) => !m.startsWith('NOTE')), `${what} notes`).toEqual(list(k.result.mesg));
}

function checkCase(c: Case, fit: LmmFit | GlmmFit, tol: number, ptol: number, label: string) {
  const g = gridOf(c, fit);
  checkGrid(c, g, tol, `${c.name} (${label})`);
  c.contrasts.forEach((k, j) => {
    // emmeans's contrast(grid, type = "response"): the grid's predict.type for the contrasts
    const gk = k.type === 'response' ? gridOf(c, fit, 'response') : g;
    const res = gk.contrast('pairwise', k.adjust ? { adjust: k.adjust as never } : {});
    checkContrasts(k, res, tol, ptol, `${c.name} contrast ${j} (${label})`);
  });
}

describe(`regrid of lmer and glmer grids against emmeans ${fx.emmeans}`, () => {
  it('lmer at lme4\'s θ: 1e-9 (p-values 1e-8)', () => {
    for (const c of fx.cases) if (!fx.models[c.model].family) checkCase(c, atTheta.get(c.model)!, 1e-9, 1e-8, 'at θ');
  });
  it('lmer at our optimum: 1e-6 (p-values 1e-5)', () => {
    for (const c of fx.cases) if (!fx.models[c.model].family) checkCase(c, fits.get(c.model)!, 1e-6, 1e-5, 'fitted');
  });
  it('glmer at our optimum: 3e-6 (p-values 3e-5)', () => {
    for (const c of fx.cases) if (fx.models[c.model].family) checkCase(c, fits.get(c.model)!, 3e-6, 3e-5, 'fitted');
  });
  it('the regridded grid\'s transformation is emmeans\'s (log, the link kept by none, none after response)', () => {
    for (const c of fx.cases) {
      const g = gridOf(c, fits.get(c.model)!);
      // backTransformed: the grid has a transformation (tran) and shows its means through it
      const shownResponse = (c.predictType ?? c.type) === 'response';
      expect(g.backTransformed, c.name).toBe(c.tran !== null && shownResponse);
      if (c.tran !== null && !shownResponse) expect(g.annotations, c.name).toContain(`Results are given on the ${c.tran} (not the response) scale.`);
    }
  });
});

describe('regrid: options and errors', () => {
  it('refuses emmeans\'s other transforms by name, and unknown options', () => {
    const g = fits.get('gb')!.emmeans('~ period');
    expect(() => g.regrid('logit' as never)).toThrow(/regrid transform 'logit': regridding to the 'logit' scale is not supported/);
    expect(() => g.regrid('1/mu^2' as never)).toThrow(/'1\/mu\^2' scale is not supported/);
    expect(() => g.regrid('pass' as never)).toThrow(/'pass' returns the grid unchanged/);
    expect(() => g.regrid('exp' as never)).toThrow(/regrid transform 'exp' is not one of emmeans's; choose 'response' \(the default\), 'unlink', 'mu', 'log' or 'none'/);
    expect(() => g.regrid('log', { predict: 'response' } as never)).toThrow(/unknown regrid option 'predict'/);
    expect(() => g.regrid('log', { predictType: 'lp' as never })).toThrow(/predictType must be 'link' or 'response'/);
    expect(() => fits.get('gb')!.emtrends('~ 1', { var: 'period' } as never)).toThrow();
  });
  it('true and false are response and none; the log grid regridded to response is the response grid', () => {
    const e = fits.get('gpo')!.emmeans('~ trt');
    const a = e.regrid(true), b = e.regrid('response'), n = e.regrid(false), m = e.regrid('none');
    a.rows.forEach((r, i) => { expect(r.emmean).toBe(b.rows[i].emmean); expect(r.SE).toBe(b.rows[i].SE); });
    n.rows.forEach((r, i) => { expect(r.emmean).toBe(m.rows[i].emmean); expect(r.emmean).toBeCloseTo(e.rows[i].emmean, 12); });
    const back = e.regrid('log').regrid();
    back.rows.forEach((r, i) => { expect(r.emmean).toBeCloseTo(b.rows[i].emmean, 12); expect(r.SE / b.rows[i].SE).toBeCloseTo(1, 12); });
  });
});

interface CliOut { out: string[]; err: string[]; stdout(s: string): void; stderr(s: string): void }
const io = (): CliOut => { const o: CliOut = { out: [], err: [], stdout: (s) => void o.out.push(s), stderr: (s) => void o.err.push(s) }; return o; };
const cbppFile = join(import.meta.dirname, 'fixtures', 'data', 'cbpp.csv');
const cbpp = { file: cbppFile, formula: 'cbind(incidence, size - incidence) ~ period + (1 | herd)', specs: 'period', family: 'binomial', factors: 'period,herd', quiet: true };

describe('mixedgpu emmeans --regrid [transform]', () => {
  it('--regrid log --type response --contrast pairwise --json: ratios of probabilities (emmeans, 3e-6)', async () => {
    const c = fx.cases.find((x) => x.name === 'cbpp_type_response_log')!;
    const a = io();
    expect(await runEmmeans({ ...cbpp, type: 'response', regrid: 'log', contrast: 'pairwise', json: true } as never, a as never)).toBe(0);
    const j = JSON.parse(a.out.join('')) as { emmeans: { rows: Record<string, number>[] }; contrasts: { ratio_label: string; rows: Record<string, number | string>[] } };
    j.emmeans.rows.forEach((r, i) => expectClose(r.response, c.emm.rows[i][1], 3e-6, `row ${i}`));
    expect(j.contrasts.ratio_label).toBe('ratio');
    j.contrasts.rows.forEach((r, i) => {
      expect(r.contrast).toBe(c.contrasts[0].result.rows[i][0]);
      expectClose(r.ratio as number, c.contrasts[0].result.rows[i][1], 3e-6, `ratio ${i}`);
      expectClose(r.p_value as number, c.contrasts[0].result.rows[i][8], 3e-5, `p ${i}`, 'p');
    });
  });
  it('a bare --regrid: the probabilities, their differences printed as emmeans prints them', async () => {
    const a = io();
    expect(await runEmmeans({ ...cbpp, regrid: true, contrast: 'pairwise' } as never, a as never)).toBe(0);
    const out = a.out.join('');
    // (the exact Laplace optimum's numbers, the fixture's cbpp_response: prob 0.198049, SE 0.036923; the
    // difference 0.114177, SE 0.035285, z 3.2359, p 0.006655)
    expect(out).toMatch(/^ period {3}prob {5}SE {2}df asymp\.LCL asymp\.UCL\n 1 {6}0\.1980 0\.0369 Inf /);
    expect(out).toContain(' period1 - period2   0.1142 0.0353 Inf   3.236  0.0067');
    expect(out).toContain('P value adjustment: tukey method for comparing a family of 4 estimates');
  });
  it('errors name the transform and the option', async () => {
    const a = io();
    expect(await runEmmeans({ ...cbpp, regrid: 'logit' } as never, a as never)).toBe(1);
    expect(a.err.join('')).toMatch(/--regrid 'logit': regridding to the 'logit' scale is not supported/);
    const b = io();
    expect(await runEmmeans({ ...cbpp, regrid: 'log', trend: 'x' } as never, b as never)).toBe(1);
    expect(b.err.join('')).toMatch(/--regrid is for means, not for the slopes of --trend/);
  });
  it('glmmpql --regrid log --type response: ratios of probabilities (the transform reaches nlme\'s grids)', async () => {
    const a = io();
    expect(await runGlmmPql({ file: cbppFile, formula: 'cbind(incidence, size - incidence) ~ period', random: '~ 1 | herd', family: 'binomial', factors: 'herd,period', emmeans: '~ period', type: 'response', regrid: 'log', contrast: 'pairwise', quiet: true } as never, a as never)).toBe(0);
    const out = a.out.join('');
    expect(out).toContain('Intervals are back-transformed from the log scale');
    expect(out).toMatch(/contrast {10}ratio/);
    expect(out).toContain('Tests are performed on the log scale');
    const b = io();
    expect(await runGlmmPql({ file: cbppFile, formula: 'cbind(incidence, size - incidence) ~ period', random: '~ 1 | herd', family: 'binomial', factors: 'herd,period', emmeans: '~ period', regrid: 'probit', quiet: true } as never, b as never)).toBe(1);
    expect(b.err.join('')).toMatch(/--regrid 'probit'/);
  });
});
