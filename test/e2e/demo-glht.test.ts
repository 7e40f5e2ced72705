/**
 * The browser app's Multiple comparisons card (multcomp 1.4-22's glht), in Node (no browser): the worker's
 * tables (demo/src/glhtRun.ts) of fits of test/fixtures/glht's models against multcomp's numbers in
 * test/fixtures/glht/glht.json and glht_base.json (test/oracle/glht.R, glhtBase.R), at test/glht.test.ts's
 * tolerances: estimates, SEs, statistics and deterministic p-values (holm, univariate) 1e-6 relative for lmer
 * (5e-6 for glmer: R's Var(β̂) from lme4's finite-difference Hessian); single-step p-values within 4e-5 plus
 * R's integration error, whose own is 1e-4 here (the card runs multcomp's default precision: abseps 1e-4),
 * so 2e-4; the simultaneous intervals' ends within 3e-4 SE (the quantile's integration error, 2e-4 in
 * test/glht.test.ts at abseps 1e-5, here at the default abseps); the printouts line for line but the Fit
 * line. Then the page's logic: the request of the card's fields (each bad field named, the library's
 * refusals named by glhtFieldOf: a factor with one level, a type that needs three levels, Westfall's
 * limit), the R calls, the p cells, the CSV and the plot's rows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import type { GlmmFit, LmmFit } from '../../src/index.js';
import { readCsv } from '../../src/io/csv.js';
import { lmer } from '../../src/fit/lmer.js';
import { contrMat } from '../../src/inference/contrMat.js';
import { type GlhtTestResult, glht, mcp } from '../../src/inference/glht.js';
import { printGlhtConfint, printGlhtSummary } from '../../src/inference/glhtPrint.js';
import { fitFixtureModels } from '../helpers/fixtureModels.js';
import { withoutFit } from '../helpers/withoutFit.js';
import { emmVariables } from '../../demo/src/inference.js';
import { glhtFieldOf, runGlht } from '../../demo/src/glhtRun.js';
import {
  GlhtFieldError, type GlhtFields, defaultGlhtFields, glhtCalls, glhtCsv, glhtErrorText, glhtPlotRows, glhtPText, glhtRequest, glhtSummaryHeader, glhtSummaryNote,
  glhtUrlOf, readGlhtUrl, writeGlhtUrl,
} from '../../demo/src/glhtCard.js';
import { readUrlState, writeUrlState } from '../../demo/src/urlState.js';
import type { GlhtField, GlhtMsg, GlhtRequest } from '../../demo/src/protocol.js';
import { cardReply } from '../../demo/src/requests.js';
import { close } from '../helpers/closeR.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = join(ROOT, 'test/fixtures');
interface Case {
  name: string; model: string; rownames: string[]; type: string | null; alternative: string;
  estimate: number[]; se: number[]; statistic: number[];
  tests: Record<string, { p: number[]; error: number }>;
  confint: { adjusted?: { quantile: number; lower: (number | string)[]; upper: (number | string)[] } };
  prints: Record<string, string[]>;
}
const fx = JSON.parse(readFileSync(join(dir, 'glht', 'glht.json'), 'utf8')) as { models: Record<string, never>; cases: Case[] };
const base = JSON.parse(readFileSync(join(dir, 'glht', 'glht_base.json'), 'utf8')) as { cases: { name: string; rownames: string[]; type: string; estimate: number[]; se: number[]; statistic: number[]; p_holm: number[]; print_holm: string[] }[] };
const caseOf = (name: string) => fx.cases.find((c) => c.name === name)!;
interface AvgCase { name: string; model: string; mcp: Record<string, string>; interaction_average: boolean; covariate_average: boolean; rownames: string[] | string; estimate: number[] | number; se: number[] | number; statistic: number[] | number; warnings: string | string[] | null; tests: { univariate: { p: number[] | number } }; prints: { univariate: string[] } }
const avg = JSON.parse(readFileSync(join(dir, 'glht_average', 'glht_average.json'), 'utf8')) as { models: Record<string, never>; cases: AvgCase[] };
const arr = (x: number[] | number | string[] | string) => [x].flat();

const fields = (over: Partial<GlhtFields>): GlhtFields => ({ ...defaultGlhtFields(), ...over });
const sym = (alt: string) => (alt === 'two.sided' ? '==' : alt === 'less' ? '>=' : '<=');

describe('Multiple comparisons (glht) card: worker and page logic', () => {
  let fits = new Map<string, LmmFit | GlmmFit>();
  let block: LmmFit, days: LmmFit;
  beforeAll(async () => {
    fits = await fitFixtureModels({ oats: fx.models.oats, cbpp: fx.models.cbpp, fxi: fx.models.fxi, obk: avg.models.obk, bx: avg.models.bx }, dir);
    // Oats's six blocks as a fixed factor: Tukey's 15 comparisons
    const oats = readCsv(readFileSync(join(dir, 'data/Oats.csv'))).table;
    block = await lmer('yield ~ nitro + Block + (1 | Variety)', oats, { factors: ['Block', 'Variety'] });
    // sleepstudy's ten days as a factor: Tukey's 45 comparisons, beyond Shaffer's and Westfall's limit of 28
    const sleep = readCsv(readFileSync(join(dir, 'data/sleepstudy_dayf.csv'))).table;
    days = await lmer('Reaction ~ DayF + (1 | Subject)', sleep, { factors: ['DayF', 'Subject'] });
  }, 120_000);
  const get = (k: string) => fits.get(k)!;

  /** the worker's result of the card's fields for a kept fit, through the page's request */
  const run = (fit: LmmFit | GlmmFit, f: Partial<GlhtFields>): GlhtMsg => runGlht(fit, glhtRequest(fields(f), emmVariables(fit)));

  test("Oats's Variety, Tukey: the card's tables against multcomp (holm, single-step; the simultaneous intervals; the printouts)", () => {
    const c = caseOf('oats_tukey');
    for (const test of ['holm', 'single-step'] as const) {
      const m = run(get('oats'), { factor: 'Variety', type: 'Tukey', test });
      expect(m.type).toBe('Tukey');
      expect(m.rows.map((r) => r.name)).toEqual(c.rownames.map((r) => `${r} == 0`));
      close(m.rows.map((r) => r.estimate), c.estimate, 1e-6, 1e-9);
      close(m.rows.map((r) => r.se), c.se, 1e-6);
      close(m.rows.map((r) => r.statistic), c.statistic, 1e-6, 1e-9);
      const pTol = 1e-6 * (1 + Math.max(...c.statistic.map((t) => t * t)));
      if (test === 'holm') close(m.rows.map((r) => r.p!), c.tests.holm!.p, pTol, 1e-12);
      else close(m.rows.map((r) => r.p!), c.tests['single-step']!.p, 0, 2e-4 + c.tests['single-step']!.error);
      const maxSe = Math.max(...c.se);
      close([m.quantile], [c.confint.adjusted!.quantile], 0, 3e-4);
      close(m.rows.map((r) => r.lower), c.confint.adjusted!.lower, 0, 3e-4 * maxSe);
      close(m.rows.map((r) => r.upper), c.confint.adjusted!.upper, 0, 3e-4 * maxSe);
      expect(m.global).toBeNull();
      expect(glhtSummaryHeader(m)).toEqual(['Hypothesis', 'Estimate', 'Std. Error', 'z value', 'Pr(>|z|)']);
    }
    // the printouts are the library's, and multcomp's (holm: deterministic)
    const m = run(get('oats'), { factor: 'Variety', type: 'Tukey', test: 'holm', level: '0.9' });
    const g = glht(get('oats'), mcp({ Variety: 'Tukey' }));
    const s = g.summary({ test: 'holm' }) as GlhtTestResult;
    expect(m.summaryText).toBe(printGlhtSummary(g, s).join('\n'));
    expect(withoutFit(m.summaryText.split('\n'))).toEqual(withoutFit(c.prints.holm!));
    expect(m.confintText.split('\n').slice(0, 8).join('\n')).toBe(printGlhtConfint(g, g.confint({ level: 0.9 })).slice(0, 8).join('\n'));
    expect(m.confintText).toContain('90% family-wise confidence level');
    expect(glhtSummaryNote(m)).toBe('(Adjusted p values reported -- holm method)');
  });

  test("cbpp's period (glmer), Dunnett one-sided (less): single-step p and the one-sided intervals (an infinite end) against multcomp", () => {
    const c = caseOf('cbpp_dunnett_less');
    const m = run(get('cbpp'), { factor: 'period', type: 'Dunnett', alternative: 'less', test: 'single-step' });
    expect(m.rows.map((r) => r.name)).toEqual(c.rownames.map((r) => `${r} ${sym(c.alternative)} 0`));
    expect(m.pName).toBe('Pr(<z)');
    close(m.rows.map((r) => r.estimate), c.estimate, 1e-6, 1e-9);
    close(m.rows.map((r) => r.se), c.se, 5e-6);
    close(m.rows.map((r) => r.p!), c.tests['single-step']!.p, 0, 2e-4 + c.tests['single-step']!.error);
    close(m.rows.map((r) => r.lower), c.confint.adjusted!.lower, 0, 0);
    expect(m.rows.every((r) => r.lower === -Infinity && Number.isFinite(r.upper))).toBe(true);
    close(m.rows.map((r) => r.upper), c.confint.adjusted!.upper, 0, 3e-4 * Math.max(...c.se));
    // the plot draws the open ends to the domain's edge, 0 inside it
    const { rows, domain } = glhtPlotRows(m);
    expect(domain[0]).toBeLessThan(Math.min(0, ...m.rows.map((r) => r.upper)));
    expect(rows.every((r) => r.lowerOpen && !r.upperOpen && r.lower === domain[0])).toBe(true);
    expect(rows.map((r) => r.name)).toEqual(c.rownames);
    // the CSV keeps the infinite end as R writes it
    expect(glhtCsv(m).split('\n')[1]).toMatch(/,-Inf,/);
  });

  test("Dunnett against another base level (the card's base field): multcomp's contrMat(table(f), \"Dunnett\", base = 2)", () => {
    const ref = base.cases.find((c) => c.name === 'oats_dunnett_base2')!;
    const vars = emmVariables(get('oats'));
    const req = glhtRequest(fields({ factor: 'Variety', type: 'Dunnett', base: 'Marvellous', test: 'holm' }), vars);
    expect(req.base).toBe(2);
    const m = runGlht(get('oats'), req);
    expect(m.type).toBe(ref.type);
    expect(m.rows.map((r) => r.name)).toEqual(ref.rownames.map((r) => `${r} == 0`));
    close(m.rows.map((r) => r.estimate), ref.estimate, 1e-6, 1e-9);
    close(m.rows.map((r) => r.se), ref.se, 1e-6);
    close(m.rows.map((r) => r.p!), ref.p_holm, 1e-6 * (1 + Math.max(...ref.statistic.map((t) => t * t))), 1e-12);
    expect(withoutFit(m.summaryText.split('\n'))).toEqual(withoutFit(ref.print_holm));
    expect(glhtCalls(req).summary).toBe('summary(glht(fit, linfct = mcp(Variety = contrMat(table(model.frame(fit)$Variety), "Dunnett", base = 2))), test = adjusted("holm"))');
    // the first level as base is mcp's own Dunnett
    expect(glhtRequest(fields({ factor: 'Variety', type: 'Dunnett', base: '' }), vars).base).toBe(1);
    expect(glhtRequest(fields({ factor: 'Variety', type: 'Dunnett', base: 'Golden Rain' }), vars).base).toBe(1);
  });

  test('the global tests (Chisq, F) and univariate: the rows without p, the global row; against multcomp', () => {
    const c = caseOf('oats_tukey');
    const fx2 = JSON.parse(readFileSync(join(dir, 'glht', 'glht.json'), 'utf8')) as { cases: (Case & { global: Record<string, { statistic: number; df: number[] | number; p: number }> })[] };
    const gl = fx2.cases.find((x) => x.name === 'oats_tukey')!.global;
    const m = run(get('oats'), { factor: 'Variety', type: 'Tukey', test: 'Chisq' });
    expect(m.rows.every((r) => r.p === null)).toBe(true);
    close([m.global!.statistic], [gl.Chisq!.statistic], 1e-6);
    expect(m.global!.df).toEqual([gl.Chisq!.df].flat());
    expect(glhtSummaryHeader(m)).toEqual(['Hypothesis', 'Estimate', 'Std. Error', 'z value']);
    expect(glhtSummaryNote(m)).toMatch(/^Global test \(Chisq\): Chisq = .* on 2 DF, p = /);
    expect(glhtCsv(m).split('\n')[0]).toBe('hypothesis,estimate,std_error,z_value,lwr,upr');
    expect(m.summaryText.split('\n')).toEqual(c.prints.Chisq);
    const f = run(get('oats'), { factor: 'Variety', type: 'Tukey', test: 'F' });
    close([f.global!.p], [gl.F!.p], 1e-5);
    const u = run(get('oats'), { factor: 'Variety', type: 'Tukey', test: 'univariate' });
    close(u.rows.map((r) => r.p!), c.tests.univariate!.p, 1e-5, 1e-12);
    expect(glhtSummaryNote(u)).toBe('(Univariate p values reported)');
  });

  test("bad fields are named: the page's checks, and the library's refusals (one level, a type needing three levels, Westfall's limit)", () => {
    const vars = emmVariables(get('oats'));
    const refuse = (f: Partial<GlhtFields>, v = vars) => { try { glhtRequest(fields(f), v); } catch (e) { expect(e).toBeInstanceOf(GlhtFieldError); return [(e as GlhtFieldError).field, (e as Error).message]; } throw new Error('not refused'); };
    expect(refuse({ factor: 'Variety', level: '95' })).toEqual(['level', "level: a number between 0 and 1 (exclusive), e.g. 0.95, not '95'"]);
    expect(refuse({ factor: 'Variety', level: '' })[0]).toBe('level');
    expect(refuse({ factor: 'nitro' })).toEqual(['factor', "factor: 'nitro' is not a factor of the fixed part (Variety)"]);
    expect(refuse({ factor: 'Variety', type: 'Tukeyish' })[0]).toBe('type');
    expect(refuse({ factor: 'Variety', type: 'Dunnett', base: 'Nope' })).toEqual(['base', "base level: 'Nope' is not a level of 'Variety' (Golden Rain, Marvellous, Victory)"]);
    expect(refuse({ factor: 'Variety', test: 'maxT' })[0]).toBe('test');
    expect(refuse({ factor: 'Variety', alternative: 'both' })[0]).toBe('alternative');
    expect(refuse({ factor: 'f' }, [{ name: 'f', kind: 'factor', levels: ['only'] }])).toEqual(['factor', "factor: 'f' has one level ('only'): multiple comparisons need two or more"]);
    expect(refuse({ factor: '' }, [{ name: 'x', kind: 'covariate', levels: [] }])[0]).toBe('factor');
    // the library's refusals, named by the worker
    const libraryRefusal = (fn: () => unknown): [GlhtField | null, string] => { try { fn(); } catch (e) { const msg = (e as Error).message; return [glhtFieldOf(msg), msg]; } throw new Error('not refused'); };
    const [f1, m1] = libraryRefusal(() => contrMat([12], ['only'], 'Tukey'));
    expect([f1, glhtErrorText(m1, f1)]).toEqual(['factor', 'factor: contrMat: less than two groups']);
    const [f2, m2] = libraryRefusal(() => run(get('fxi'), { factor: 'h', type: 'Williams' }));
    expect(f2).toBe('type');
    expect(m2).toMatch(/Williams contrasts need at least three groups/);
    const [f3, m3] = libraryRefusal(() => run(days, { factor: 'DayF', type: 'Tukey', test: 'Westfall' }));
    expect(f3).toBe('test');
    expect(glhtErrorText(m3, f3)).toMatch(/^test: glht: Westfall's logical constraints are searched for at most 28 hypotheses .*; these are 45/);
    expect(libraryRefusal(() => run(days, { factor: 'DayF', type: 'Tukey', test: 'Shaffer' }))[0]).toBe('test');
    // the same comparisons by holm are computed, and Shaffer's of Oats's 15 block comparisons
    expect(run(days, { factor: 'DayF', type: 'Tukey', test: 'holm' }).rows).toHaveLength(45);
    expect(run(block, { factor: 'Block', type: 'Tukey', test: 'Shaffer' }).rows).toHaveLength(15);
    // a fit no longer kept
    expect(() => runGlht(undefined, glhtRequest(fields({ factor: 'Variety' }), vars))).toThrow(/no longer kept/);
  });

  test("mcp's interaction_average and covariate_average (the checkboxes): the card's tables against multcomp (test/oracle/glht_average.R), the R call, the refusals named", () => {
    for (const name of ['obk_treatment_ia', 'bx_B_ia', 'bx_B_ia_ca', 'obk_treatment']) {
      const c = avg.cases.find((x) => x.name === name)!;
      const factor = Object.keys(c.mcp)[0]!;
      const f = fields({ factor, type: c.mcp[factor], test: 'univariate', interactionAverage: c.interaction_average, covariateAverage: c.covariate_average });
      const req = glhtRequest(f, emmVariables(get(c.model)));
      expect([req.interactionAverage, req.covariateAverage]).toEqual([c.interaction_average, c.covariate_average]);
      const m = runGlht(get(c.model), req);
      expect(m.rows.map((r) => r.label), name).toEqual(arr(c.rownames));
      close(m.rows.map((r) => r.estimate), arr(c.estimate) as number[], 1e-6, 1e-9);
      close(m.rows.map((r) => r.se), arr(c.se) as number[], 1e-6);
      close(m.rows.map((r) => r.statistic), arr(c.statistic) as number[], 1e-6, 1e-9);
      close(m.rows.map((r) => r.p!), arr(c.tests.univariate.p) as number[], 1e-6 * (1 + Math.max(...(arr(c.statistic) as number[]).map((t) => t * t))), 1e-12);
      // multcomp's warnings are the card's notes; its printout line for line but the Fit line
      expect(m.messages, name).toEqual(c.warnings === null ? [] : arr(c.warnings));
      expect(withoutFit(m.summaryText.split('\n'))).toEqual(withoutFit(c.prints.univariate));
    }
    // the R call: mcp(B = "Tukey", interaction_average = TRUE, covariate_average = TRUE)
    const req = glhtRequest(fields({ factor: 'B', interactionAverage: true, covariateAverage: true, test: 'holm' }), emmVariables(get('bx')));
    expect(glhtCalls(req).summary).toBe('summary(glht(fit, linfct = mcp(B = "Tukey", interaction_average = TRUE, covariate_average = TRUE)), test = adjusted("holm"))');
    expect(glhtCalls({ ...req, covariateAverage: false, type: 'Dunnett', base: 2 }).confint)
      .toBe('confint(glht(fit, linfct = mcp(B = contrMat(table(model.frame(fit)$B), "Dunnett", base = 2), interaction_average = TRUE)))');
    // covariate_average alone with a factor interaction: the library refuses, the card names the checkbox
    const refusal = (f: Partial<GlhtFields>, fit: LmmFit | GlmmFit): [GlhtField | null, string] => {
      try { run(fit, f); } catch (e) { const msg = (e as Error).message; return [glhtFieldOf(msg), glhtErrorText(msg, glhtFieldOf(msg))]; }
      throw new Error('not refused');
    };
    const [f1, t1] = refusal({ factor: 'treatment', covariateAverage: true }, get('obk'));
    expect(f1).toBe('covariateAverage');
    expect(t1).toMatch(/^covariate_average: glht: covariate_average without interaction_average/);
    // the averaged comparisons of a factor in a model without its interaction's main effect: interaction_average's
    expect(glhtFieldOf("glht: the interaction 'B:x' has 2 columns in the fitted X, not 2 × 3 (a rank-deficient column was dropped, or 'x' is coded by indicators), so 'B' cannot be averaged over the levels of 'x'")).toBe('interactionAverage');
    expect(glhtFieldOf("glht: 'f' is in the interaction 'f:g:h' of 3 variables; multcomp's interaction_average weights its columns 1/(k + 1), an average over the levels only for an interaction of two variables")).toBe('interactionAverage');
    expect(glhtFieldOf("glht: mcp's covariate_average: multcomp 1.4-22 puts only the last interaction's covariate at its mean")).toBe('covariateAverage');
    // a rank-deficient column outside averaging is still the factor's
    expect(glhtFieldOf("glht: 'f' has a rank-deficient column")).toBe('factor');
  });

  test("the card in the address: open, its fields and the averaging checkboxes (glht=1&…&ghia=1&ghca=1); bad values left out", () => {
    const f = fields({ factor: 'B', type: 'Dunnett', base: 'b2', alternative: 'less', test: 'holm', level: '0.9', interactionAverage: true, covariateAverage: true });
    const s = glhtUrlOf(f);
    expect(s).toEqual({ factor: 'B', type: 'Dunnett', base: 'b2', alternative: 'less', test: 'holm', level: 0.9, interactionAverage: true, covariateAverage: true });
    const q = new URLSearchParams();
    writeGlhtUrl(q, s);
    expect(q.toString()).toBe('glht=1&ghf=B&ght=Dunnett&ghb=b2&gha=less&ghs=holm&ghl=0.9&ghia=1&ghca=1');
    expect(readGlhtUrl(q)).toEqual(s);
    // through the page's whole state, and the defaults left out
    const text = writeUrlState({ example: 'sleepstudy', glht: glhtUrlOf(fields({ factor: 'B' })) });
    expect(text).toBe('?example=sleepstudy&glht=1&ghf=B');
    expect(readUrlState(text).glht).toEqual({ factor: 'B' });
    expect(readUrlState('?glht=1&ght=Nope&gha=both&ghs=maxT&ghl=95&ghia=yes').glht).toEqual({});
    expect(readUrlState('?ghia=1').glht).toBeUndefined();
  });

  test("the card's replies go through the page's ledger (a late reply of a fit no longer shown is dropped: test/e2e/staleResults.test.ts)", () => {
    expect(cardReply('glhtDone')).toBe('final');
    expect(cardReply('glhtError')).toBe('final');
  });

  test('the R calls: defaults left out; the alternative, the test, the level; a name that is not syntactic', () => {
    const r = (over: Partial<GlhtRequest>): GlhtRequest => ({ factor: 'f', type: 'Tukey', base: 1, alternative: 'two.sided', test: 'holm', level: 0.95, interactionAverage: false, covariateAverage: false, ...over });
    expect(glhtCalls(r({})).summary).toBe('summary(glht(fit, linfct = mcp(f = "Tukey")), test = adjusted("holm"))');
    expect(glhtCalls(r({})).confint).toBe('confint(glht(fit, linfct = mcp(f = "Tukey")))');
    expect(glhtCalls(r({ test: 'single-step', level: 0.9, alternative: 'greater', type: 'Williams' }))).toEqual({
      summary: 'summary(glht(fit, linfct = mcp(f = "Williams"), alternative = "greater"))',
      confint: 'confint(glht(fit, linfct = mcp(f = "Williams"), alternative = "greater"), level = 0.9)',
    });
    expect(glhtCalls(r({ test: 'univariate' })).summary).toBe('summary(glht(fit, linfct = mcp(f = "Tukey")), test = univariate())');
    expect(glhtCalls(r({ test: 'Chisq' })).summary).toBe('summary(glht(fit, linfct = mcp(f = "Tukey")), test = Chisqtest())');
    expect(glhtCalls(r({ test: 'F' })).summary).toBe('summary(glht(fit, linfct = mcp(f = "Tukey")), test = Ftest())');
    expect(glhtCalls(r({ test: 'Westfall' })).summary).toBe('summary(glht(fit, linfct = mcp(f = "Tukey")), test = adjusted("Westfall"))');
    expect(glhtCalls(r({ factor: 'my f', type: 'Dunnett', base: 3 })).summary)
      .toBe('summary(glht(fit, linfct = mcp(`my f` = contrMat(table(model.frame(fit)[["my f"]]), "Dunnett", base = 3))), test = adjusted("holm"))');
    expect(glhtCalls(r({ factor: '.2x' })).summary).toContain('mcp(`.2x` = "Tukey")');
  });

  test("p cells as multcomp prints them below the integration error's power of ten; the CSV's rows", () => {
    expect(glhtPText(3e-7, 1e-4)).toBe('<1e-04');
    expect(glhtPText(3e-7, 0)).toBe('3.00e-7');
    expect(glhtPText(0.0312, 1e-4)).toBe('0.0312');
    expect(glhtPText(null, 0)).toBe('');
    const m = run(get('oats'), { factor: 'Variety', type: 'Tukey', test: 'holm' });
    const lines = glhtCsv(m).trim().split('\n');
    expect(lines[0]).toBe('hypothesis,estimate,std_error,z_value,p_value,lwr,upr');
    expect(lines).toHaveLength(4);
    expect(lines[1]!.split(',').slice(0, 2)).toEqual(['Marvellous - Golden Rain == 0', String(m.rows[0]!.estimate)]);
  });
});
