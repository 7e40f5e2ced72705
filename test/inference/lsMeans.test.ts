/**
 * lmerTest's ls_means, difflsmeans and show_tests against lmerTest 3.1-3 (test/oracle/ls_means.R →
 * test/fixtures/inference/ls-means.json), evaluated at lme4's θ and σ so that the optimizer is out of
 * the comparison (as test/inference/anovaTypes.test.ts):
 *  - the contrast matrices (show_tests of ls_means, pairwise or not): names exactly, entries absolute 1e-12;
 *  - each row's estimate, SE and interval relative 1e-8 (of max(|value|, SE)), t relative 1e-8 (of
 *    max(|t|, 1)); df relative 1e-6 for Satterthwaite (lmerTest's Jacobian of Var(β̂) is numDeriv's,
 *    ours analytic) and 1e-8 for Kenward–Roger; p relative 1e-6, absolute 1e-12 below 1e-7;
 *  - print(ls_means(…)), print(show_tests(…)) with fractions and without names, line for line;
 *  - show_tests of anova of types I, II and III: names exactly, entries absolute 1e-10 (1e-6 for the
 *    contr.sum fit, whose type III matrices lmerTest maps through a least-squares fit: R prints a
 *    2e-07 there), printed line for line for the treatment-coded fits;
 *  - lmerTest's refusal of `which` naming a term with a covariate; the fit's own methods at its own
 *    optimum (relative 1e-5: two optimizers' optima).
 * Models: an unbalanced 2×3 factorial with a covariate (treatment and sum contrasts; and with an empty
 * cell, so that lme4 drops a column and lmerTest's estimability check gives NA rows), lme4's cake
 * (3×6 factorial, 18 columns: R's printout wraps), the sleepstudy 2×2 design with Days and a random
 * slope, a factor × covariate interaction with crossed random effects, and a model of covariates only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildLmm } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { BlockedCholesky } from '../../src/linalg/blockedCholesky.js';
import { varparCovariance } from '../../src/inference/satterthwaite.js';
import type { DdfContext } from '../../src/inference/contest.js';
import { type LsMeansRow, lsMeansTable, printLsMeans } from '../../src/inference/lsMeans.js';
import { printShowTests, showTests } from '../../src/inference/showTests.js';
import { type AnovaType, anovaHypotheses } from '../../src/inference/anovaType.js';
import { anovaTable } from '../../src/inference/fitInference.js';
import { fullNullBasis } from '../../src/inference/referenceGrid.js';
import { fraction } from '../../src/results/fractions.js';
import { OptionError } from '../../src/errors/errors.js';
import type { Contrasts } from '../../src/frame/contrasts.js';
import { lmer } from '../../src/fit/lmer.js';
import { ddfContextsAt, loadDataFile } from '../helpers/inference.js';
import { readCsv } from '../../src/io/csv.js';

interface Hyp { rownames: string[]; colnames: string[]; L: number[][] }
interface RefRow { name: string; estimate: number; se: number; df: number; t: number; lower: number; upper: number; p: number }
interface Block {
  which: string[] | null; level: number; pairwise: boolean;
  satterthwaite: { rows: RefRow[]; printed: string[] };
  kenward_roger: { rows: RefRow[]; printed: string[] };
  hypotheses: Record<string, Hyp>;
  show_tests: string[]; show_tests_fractions: string[]; show_tests_unnamed: string[];
}
interface Case {
  name: string; data: string; formula: string; factors: string[]; contrasts: Contrasts | null; subset: string | null;
  theta: number[]; sigma: number; xnames: string[];
  ls_means: Block[];
  anova_tests: Record<'1' | '2' | '3', { hypotheses: Record<string, Hyp>; printed: string[]; fractions: string[] }>;
  refusal?: { which: string; message: string };
}

const cases = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'inference', 'ls-means.json'), 'utf8')) as Case[];
/** the case's rows: the data file, or for the empty cell its rows but those with A = a2 and B = b3 (the oracle's subset) */
function dataOf(ref: Case) {
  if (!ref.subset) return loadDataFile(ref.data);
  expect(ref.subset).toBe("!(A == 'a2' & B == 'b3')");
  const text = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'data', ref.data), 'utf8');
  const [head, ...lines] = text.trimEnd().split('\n');
  expect(head).toBe('"y","A","B","x","z","g","h","item"');
  return readCsv([head, ...lines.filter((l) => !/^[^,]*,"a2","b3",/.test(l))].join('\n')).table;
}
const options = (ref: Case) => ({ REML: true, factors: ref.factors, ...(ref.contrasts ? { contrasts: ref.contrasts } : {}) });

/** the model and its Satterthwaite and Kenward–Roger contexts at lme4's θ and σ */
function setup(ref: Case) {
  const model = buildLmm(ref.formula, dataOf(ref), options(ref));
  return { model, ctx: ddfContextsAt(model, ref.theta, ref.sigma) };
}

const rel = (a: number, b: number, scale = Math.abs(b)) => Math.abs(a - b) / (scale || 1);

function expectRow(got: LsMeansRow, want: RefRow, method: 'satterthwaite' | 'kenward_roger', where: string, tol = { value: 1e-8, df: method === 'satterthwaite' ? 1e-6 : 1e-8, p: 1e-6 }): void {
  expect(got.name, where).toBe(want.name);
  // lmerTest's NA (not estimable): every number NaN
  if (want.estimate === null) {
    for (const k of ['estimate', 'se', 'df', 't', 'lower', 'upper', 'p'] as const) expect(got[k], `${where} ${k}`).toBeNaN();
    return;
  }
  const s = Math.max(Math.abs(want.estimate), want.se);
  expect(rel(got.estimate, want.estimate, s), `${where} estimate`).toBeLessThan(tol.value);
  expect(rel(got.se, want.se), `${where} se`).toBeLessThan(tol.value);
  expect(rel(got.t, want.t, Math.max(Math.abs(want.t), 1)), `${where} t`).toBeLessThan(tol.value);
  expect(rel(got.df, want.df), `${where} df`).toBeLessThan(tol.df);
  expect(rel(got.lower, want.lower, Math.max(Math.abs(want.lower), want.se)), `${where} lower`).toBeLessThan(Math.max(tol.value, tol.df));
  expect(rel(got.upper, want.upper, Math.max(Math.abs(want.upper), want.se)), `${where} upper`).toBeLessThan(Math.max(tol.value, tol.df));
  if (want.p < 1e-7) expect(Math.abs(got.p - want.p), `${where} p`).toBeLessThan(1e-12);
  else expect(rel(got.p, want.p), `${where} p`).toBeLessThan(tol.p);
}

describe("lmerTest's ls_means and difflsmeans at lme4's θ", () => {
  for (const ref of cases) {
    it(`${ref.name}: ${ref.formula}`, () => {
      const { model, ctx } = setup(ref);
      expect(model.frame.xnames).toEqual(ref.xnames);
      for (const b of ref.ls_means) {
        const opts = { ...(b.which ? { which: b.which } : {}), level: b.level, pairwise: b.pairwise };
        const where = `${ref.name} which=${b.which ?? 'all'} pairwise=${b.pairwise}`;
        for (const method of ['satterthwaite', 'kenward_roger'] as const) {
          const tab = lsMeansTable(model.frame, model.frame.xnames, ctx[method], opts, () => fullNullBasis(model, 'ls_means'));
          const want = b[method].rows;
          expect(tab.rows.length, where).toBe(want.length);
          tab.rows.forEach((r, i) => expectRow(r, want[i], method, `${where} ${method} ${want[i].name}`));
          expect(printLsMeans(tab), `${where} ${method} printed`).toEqual(b[method].printed);
          if (method !== 'satterthwaite') continue;
          // the contrast matrices: show_tests(ls_means(…))
          const shown = showTests(tab);
          expect(Object.keys(shown), where).toEqual(Object.keys(b.hypotheses));
          for (const [term, h] of Object.entries(b.hypotheses)) {
            expect(shown[term].rowNames, `${where} ${term}`).toEqual(h.rownames);
            expect(shown[term].colNames, `${where} ${term}`).toEqual(h.colnames);
            shown[term].L.forEach((row, r) => row.forEach((v, c) => expect(Math.abs(v - h.L[r][c]), `${where} ${term} [${r + 1}, ${c + 1}]`).toBeLessThan(1e-12)));
          }
          expect(printShowTests(tab), `${where} show_tests`).toEqual(b.show_tests);
          expect(printShowTests(tab, { fractions: true }), `${where} show_tests fractions`).toEqual(b.show_tests_fractions);
          expect(printShowTests(tab, { names: false }), `${where} show_tests unnamed`).toEqual(b.show_tests_unnamed);
        }
      }
    });
  }
});

describe('show_tests of anova of types I, II and III', () => {
  for (const ref of cases) {
    it(`${ref.name}: ${ref.formula}`, () => {
      const { model } = setup(ref);
      for (const [num, type] of [['1', 'I'], ['2', 'II'], ['3', 'III']] as const) {
        const want = ref.anova_tests[num];
        const hyps = anovaHypotheses(model.frame, type as AnovaType).filter((h) => h.L.length > 0)
          .map((h) => ({ term: h.term, rowNames: h.rowNames!, colNames: model.frame.xnames, L: h.L }));
        const tab = { hypotheses: hyps };
        const shown = showTests(tab);
        expect(Object.keys(shown), `${ref.name} type ${type}`).toEqual(Object.keys(want.hypotheses));
        const tol = ref.contrasts ? 1e-6 : 1e-10;
        for (const [term, h] of Object.entries(want.hypotheses)) {
          expect(shown[term].rowNames, `${ref.name} type ${type} ${term}`).toEqual(h.rownames);
          expect(shown[term].colNames).toEqual(h.colnames);
          shown[term].L.forEach((row, r) => row.forEach((v, c) => expect(Math.abs(v - h.L[r][c]), `${ref.name} type ${type} ${term} [${r + 1}, ${c + 1}]`).toBeLessThan(tol)));
        }
        if (!ref.contrasts) {
          expect(printShowTests(tab), `${ref.name} type ${type} printed`).toEqual(want.printed);
          expect(printShowTests(tab, { fractions: true }), `${ref.name} type ${type} fractions`).toEqual(want.fractions);
        }
      }
    });
  }
});

describe('the fit methods', () => {
  it("fit.lsMeans, fit.diffLsMeans and showTests(anovaTable(fit)) at the fit's own optimum", async () => {
    const ref = cases.find((c) => c.name === 'factorial_covariate')!;
    const fit = await lmer(ref.formula, loadDataFile(ref.data), options(ref));
    const tol = { value: 1e-5, df: 1e-5, p: 1e-4 };
    const all = fit.lsMeans();
    ref.ls_means[0].satterthwaite.rows.forEach((w, i) => expectRow(all.rows[i], w, 'satterthwaite', `fit ${w.name}`, tol));
    const b = ref.ls_means[3];
    const diff = fit.diffLsMeans({ which: b.which!, level: b.level, ddf: 'kenward-roger' });
    expect(diff.pairwise).toBe(true);
    expect(diff.ddf).toBe('kenward-roger');
    b.kenward_roger.rows.forEach((w, i) => expectRow(diff.rows[i], w, 'kenward_roger', `fit diff ${w.name}`, tol));
    expect(printLsMeans(diff)).toEqual(b.kenward_roger.printed);
    // JSON-ready
    expect(JSON.parse(JSON.stringify(diff)).rows[0].name).toBe('Bb1 - Bb2');
    const a = anovaTable(fit, { type: 2 });
    expect(printShowTests(a)).toEqual(ref.anova_tests['2'].printed);
    // a rank-deficient fit: lmerTest's NA rows where a mean is not estimable
    const empty = cases.find((c) => c.name === 'empty_cell')!;
    const efit = await lmer(empty.formula, dataOf(empty), options(empty));
    expect(efit.model.frame.xnames).toEqual(empty.xnames);
    const e = efit.lsMeans();
    empty.ls_means[0].satterthwaite.rows.forEach((w, i) => expectRow(e.rows[i], w, 'satterthwaite', `empty cell ${w.name}`, tol));
    expect(JSON.parse(JSON.stringify(e)).rows[1]).toMatchObject({ name: 'Aa2', estimate: null, se: null });
  });

  it("lmerTest's refusal of which naming a term that is not a factor term, and the option checks", async () => {
    for (const ref of cases.filter((c) => c.refusal)) {
      const { model, ctx } = setup(ref);
      const call = () => lsMeansTable(model.frame, model.frame.xnames, ctx.satterthwaite, { which: ref.refusal!.which });
      expect(call).toThrow(OptionError);
      expect(call).toThrow(ref.refusal!.message);
      expect(call).toThrow(`'${ref.refusal!.which}' is not a factor term`);
    }
    const ref = cases[0];
    const { model, ctx } = setup(ref);
    expect(() => lsMeansTable(model.frame, model.frame.xnames, ctx.satterthwaite, { which: 'C' })).toThrow("'C' is not a factor term");
    expect(() => lsMeansTable(model.frame, model.frame.xnames, ctx.satterthwaite, { level: 1 })).toThrow('level must be a number between 0 and 1');
    expect(() => lsMeansTable(model.frame, model.frame.xnames, ctx.satterthwaite, { which: 3 as never })).toThrow('which must be a term label');
    expect(() => showTests({} as never)).toThrow("does not have an 'hypotheses' attribute");
  });

  it('refuses a transformed variable of the fixed part by name', () => {
    const ref = cases[0];
    const model = buildLmm('y ~ A + log(x) + (1 | g)', loadDataFile(ref.data), { REML: true, factors: ['g'] });
    const { ctx } = { ctx: { method: 'satterthwaite', sat: varparCovariance({ chol: new BlockedCholesky(formGram(model), 1), model, theta: [1] }) } as DdfContext };
    expect(() => lsMeansTable(model.frame, model.frame.xnames, ctx)).toThrow("'log(x)' is in the fixed part");
  });

  it("MASS's fractions", () => {
    expect(fraction(2653 / 536 + 1e-9)).toBe('2653/536');
    expect(fraction(Math.PI)).toBe('4272943/1360120'); // MASS::fractions(pi)
    expect(fraction(1 / 3)).toBe('1/3');
    expect(fraction(-0.5)).toBe('-1/2');
    expect(fraction(2)).toBe('2');
    expect(fraction(0)).toBe('0');
  });
});
