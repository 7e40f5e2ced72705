/**
 * lmerTest's anova of types I, II and III (anova(fit, type, ddf)) against lmerTest 3.1-3
 * (test/oracle/anova_types.R → test/fixtures/inference/anova-types.json), evaluated at lme4's θ and σ
 * so that the optimizer is out of the comparison (as test/inference/anova.test.ts):
 *  - the hypothesis matrices of every term and type against show_tests(): absolute 1e-12 (worst
 *    seen 4.4e-15, three_way type I B);
 *  - the F tests with Satterthwaite's and Kenward–Roger's ddf: NumDF exactly; F and Sum Sq relative
 *    1e-9 (worst 1.1e-11, three_way type II A, whose F is 1e-4); DenDF relative 1e-6 for Satterthwaite (worst
 *    2.0e-8, two_covariates type II x: lmerTest's Jacobian of Var(β̂) is numDeriv's, ours analytic)
 *    and 1e-9 for Kenward–Roger (worst 1.1e-13); p relative 1e-6, absolute 1e-12 below 1e-7
 *    (worst 3.9e-9 relative, design_covariate type I Days, Satterthwaite);
 *  - the headings, the rules (type I of a one-term model is its type III, the default is type III)
 *    and the refusal of an unknown type.
 * Models: an unbalanced 2×3 factorial with its interaction, a factor × covariate interaction, two
 * covariates and their interaction (random slope), a factorial with a covariate under nested and
 * crossed random effects, nested fixed terms (A/B, A/x: lmerTest's containment ignores the variables
 * coded by indicators), a three-way factor × factor × covariate interaction, a model without an
 * intercept, and the sleepstudy designs of the type III tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildLmm } from '../../src/lmm/model.js';
import { type FTest, contestMD } from '../../src/inference/contest.js';
import { type AnovaType, anovaHeading, anovaHypotheses, checkAnovaType } from '../../src/inference/anovaType.js';
import { typeIContrasts } from '../../src/inference/typeI.js';
import { typeIIIContrasts } from '../../src/inference/typeIII.js';
import { OptionError } from '../../src/errors/errors.js';
import { lmer } from '../../src/fit/lmer.js';
import { type AnovaRef, ddfContextsAt, loadDataFile } from '../helpers/inference.js';

interface TypeRef {
  heading: string;
  hypotheses: Record<string, number[][]>;
  satterthwaite: Record<string, AnovaRef>;
  kenward_roger: Record<string, AnovaRef>;
}
interface Case {
  name: string; data: string; formula: string; factors: string[]; reml: boolean;
  theta: number[]; sigma: number; xnames: string[];
  types: Record<AnovaType, TypeRef>;
}

const cases = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'inference', 'anova-types.json'), 'utf8')) as Case[];
const TYPES: AnovaType[] = ['I', 'II', 'III'];

/** the model and its Satterthwaite and Kenward–Roger contexts at lme4's θ and σ */
function setup(ref: Case) {
  const model = buildLmm(ref.formula, loadDataFile(ref.data), { REML: ref.reml, factors: ref.factors });
  return { model, ctx: ddfContextsAt(model, ref.theta, ref.sigma) };
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** one row of the table against lmerTest's, at the tolerances of the header */
function expectTest(got: FTest, want: AnovaRef, method: 'satterthwaite' | 'kenward_roger', where: string): void {
  expect(got.numdf, where).toBe(want.numdf);
  expect(rel(got.F, want.F), where).toBeLessThan(1e-9);
  expect(rel(got.sumsq, want.sumsq), where).toBeLessThan(1e-9);
  expect(rel(got.dendf, want.dendf), where).toBeLessThan(method === 'satterthwaite' ? 1e-6 : 1e-9);
  if (want.p < 1e-7) expect(Math.abs(got.p - want.p), where).toBeLessThan(1e-12);
  else expect(rel(got.p, want.p), where).toBeLessThan(1e-6);
}

describe("lmerTest's anova of types I, II and III at lme4's θ", () => {
  for (const ref of cases) {
    it(`${ref.name}: ${ref.formula}`, () => {
      const { model, ctx } = setup(ref);
      expect(model.frame.xnames).toEqual(ref.xnames);
      for (const type of TYPES) {
        const want = ref.types[type];
        expect(anovaHeading(type, 'satterthwaite')).toBe(want.heading);
        const hyp = anovaHypotheses(model.frame, type).filter((h) => h.L.length > 0);
        // the terms tested, in lmerTest's order, and their hypothesis matrices
        expect(hyp.map((h) => h.term)).toEqual(Object.keys(want.satterthwaite));
        expect(hyp.map((h) => h.term)).toEqual(Object.keys(want.hypotheses));
        for (const h of hyp) {
          const L = want.hypotheses[h.term];
          expect(h.L.length, `${type} ${h.term}: rows`).toBe(L.length);
          h.L.forEach((row, r) => row.forEach((v, c) => expect(Math.abs(v - L[r][c]), `${type} ${h.term} [${r}, ${c}]`).toBeLessThan(1e-12)));
        }
        for (const method of ['satterthwaite', 'kenward_roger'] as const) {
          for (const h of hyp) expectTest(contestMD(ctx[method], h.L), want[method][h.term], method, `${type} ${h.term} ${method}`);
        }
      }
    });
  }
});

describe('anova type rules', () => {
  it('type I of a one-term model is its type III (lmerTest falls back to type I), and so is type II', () => {
    const ref = cases.find((c) => c.name === 'one_term')!;
    const { model } = setup(ref);
    const three = typeIIIContrasts(model.frame);
    expect(typeIContrasts(model.frame)).toEqual(three);
    expect(anovaHypotheses(model.frame, 'II')).toEqual(three);
  });

  it('the type is I, II or III, also 1, 2, 3 and "1", "2", "3"; default III; anything else refused naming the choices', () => {
    expect([undefined, 'III', 3, '3'].map(checkAnovaType)).toEqual(['III', 'III', 'III', 'III']);
    expect(['II', 2, '2'].map(checkAnovaType)).toEqual(['II', 'II', 'II']);
    expect(['I', 1, '1'].map(checkAnovaType)).toEqual(['I', 'I', 'I']);
    for (const bad of ['IV', 4, 0, 2.5, 'ii', 'yates', 'marginal', '', null, true]) {
      expect(() => checkAnovaType(bad), String(bad)).toThrow(OptionError);
      expect(() => checkAnovaType(bad), String(bad)).toThrow(/choose 'I', 'II' or 'III' \(or 1, 2, 3\)/);
    }
    expect(() => checkAnovaType('IV')).toThrow(/unknown anova type 'IV'/);
  });

  it('fit.anova: the default is type III, unchanged; type II and I differ where lmerTest\'s do; a bad type is refused', async () => {
    const ref = cases.find((c) => c.name === 'design_factors')!;
    const fit = await lmer(ref.formula, loadDataFile(ref.data), { factors: ref.factors });
    const byDefault = fit.anova();
    expect(fit.anova({ type: 'III' })).toEqual(byDefault);
    expect(fit.anova({ type: 3 })).toEqual(byDefault);
    expect(byDefault.map((r) => r.term)).toEqual(typeIIIContrasts(fit.model.frame).filter((h) => h.L.length).map((h) => h.term));
    for (const type of TYPES) {
      for (const row of fit.anova({ type, ddf: 'satterthwaite' })) {
        // at our own optimum: the F statistics within 1e-4 of lmerTest's at lme4's
        const want = ref.types[type].satterthwaite[row.term];
        expect(Math.abs(row.F - want.F) / want.F, `${type} ${row.term}`).toBeLessThan(1e-4);
        expect(row.numdf).toBe(want.numdf);
      }
    }
    expect(fit.anova({ type: 'I' })[1].F).not.toBeCloseTo(byDefault[1].F, 2);
    expect(() => fit.anova({ type: 'IV' as never })).toThrow(/unknown anova type 'IV': choose 'I', 'II' or 'III'/);
  }, 60_000);
});
