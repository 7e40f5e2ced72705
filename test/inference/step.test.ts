/**
 * lmerTest's step() (backward elimination: random-effects terms by ranova, then fixed-effects terms by
 * drop1) against lmerTest 3.1-3 (test/oracle/step.R → test/fixtures/inference/step.json; every lme4 fit,
 * the reduced models and step's refits too, run to tight tolerances). Our fits are compared as they
 * are (not at lme4's θ): the eliminations are a sequence of refits, each at our own optimum, so this
 * is the "at our optimum" level; the tables' numbers at lme4's θ are ranova's and drop1's tests
 * (ranovaDrop1.test.ts, whose tolerances these are, for the same reasons):
 *   random table: logLik and AIC 1e-9 relative; LRT 1e-7 absolute + 1e-7 relative; p 1e-6 relative,
 *     or 1e-12 absolute; npar, Df and Eliminated exact; row names exact;
 *   fixed table: Sum Sq, Mean Sq, DenDF, F 1e-5 relative, p 1e-5 relative or 1e-12 absolute (the F
 *     tests are evaluated at each fit's θ̂, which differs from lme4's by ~1e-7 on flat optima, and
 *     Satterthwaite's and Kenward–Roger's df follow it); NumDF and Eliminated exact; terms exact;
 *   the final model: its formula exactly as lmerTest's "Model found:" writes it; its criterion (REML
 *     criterion or deviance) and logLik 1e-9 relative; β̂ 1e-6 relative to max(1, |β|) (β̂ follows θ̂'s
 *     ~1e-7); θ̂ 2e-5 absolute (θ̂ itself, on flat optima).
 * Worst seen (printed after the run): logLik 1.5e-14, LRT 4.7e-12, random p 2.4e-12, fixed 7.1e-7, fixed p
 * 3.8e-6, final criterion 1.5e-14, β̂ 1.4e-8, θ̂ 2.2e-7 (also in README's Inference section).
 * Cases: a design made in the R script with null fixed terms (B, z, A:B) and near-null random terms (the
 * slope of x by g, the item intercept) — REML and ML, Satterthwaite and Kenward–Roger, keep (a main
 * effect; an interaction and a name that is no term: lmerTest's warning), other alphas, reduceRandom
 * false, reduceFixed false; a factor × covariate design whose interaction is eliminated, then its
 * factor; sleepstudy (nothing eliminated; also (Days || Subject)); the design with prior weights;
 * Pastes nested and Penicillin crossed (intercept-only: an empty fixed table); a rank-deficient design
 * (Days + a factor of Days: Days's row NA, the factor eliminated, the refit of full rank). Refusals: the elimination of the last random-effects term
 * (lmerTest goes on with lm, recorded in the fixture), glmer fits, Kenward–Roger with ML, bad options,
 * rows dropped for missing values.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { glmer, lmer } from '../../src/index.js';
import { ModelError, OptionError } from '../../src/errors/errors.js';
import { printStepResult } from '../../src/inference/format.js';
import type { StepOptions } from '../../src/inference/step.js';
import { type Drop1RowRef, expectDrop1Row, loadDataFile, loadInference, rel } from '../helpers/inference.js';
import { readCsv } from '../../src/io/csv.js';

interface RandomRef { name: string; eliminated: number | null; npar: number; logLik: number; AIC: number; LRT: number | null; Df: number | null; p: number | null }
interface FixedRef extends Drop1RowRef { eliminated: number }
interface Case {
  name: string; data: string; formula: string; factors: string[]; reml: boolean; weights: string | null; ddf: 'satterthwaite' | 'kenward-roger';
  options: { 'alpha.random'?: number; 'alpha.fixed'?: number; 'reduce.random'?: boolean; 'reduce.fixed'?: boolean };
  keep: string[]; random: RandomRef[]; fixed: FixedRef[];
  final: { formula: string; class: string; rank_deficient: boolean; logLik: number; criterion: number; theta: number[]; fixef: Record<string, number> };
  warnings: string[]; printed: string[];
}
interface Fixture {
  cases: Case[];
  allRandomEliminated: { formula: string; data: string; reml: boolean; random: RandomRef[]; final_class: string; fixed_columns: string[]; printed: string[] };
}

const fixture = loadInference<Fixture>('step');
const worst = { logLik: 0, LRT: 0, pRandom: 0, fixed: 0, pFixed: 0, criterion: 0, beta: 0, theta: 0 };

const optionsOf = (c: Case): StepOptions => ({
  ddf: c.ddf,
  ...(c.options['alpha.random'] !== undefined ? { alphaRandom: c.options['alpha.random'] } : {}),
  ...(c.options['alpha.fixed'] !== undefined ? { alphaFixed: c.options['alpha.fixed'] } : {}),
  ...(c.options['reduce.random'] !== undefined ? { reduceRandom: c.options['reduce.random'] } : {}),
  ...(c.options['reduce.fixed'] !== undefined ? { reduceFixed: c.options['reduce.fixed'] } : {}),
  ...(c.keep.length ? { keep: c.keep } : {}),
});

const fitOf = (c: { formula: string; data: string; reml: boolean; factors?: string[]; weights?: string | null }) =>
  lmer(c.formula, loadDataFile(c.data), { REML: c.reml, factors: c.factors ?? [], ...(c.weights ? { weights: c.weights } : {}) });

const label = (c: Case) => `${c.name}: ${c.formula} (${c.reml ? 'REML' : 'ML'}, ${c.ddf}${c.keep.length ? `, keep ${c.keep.join(' ')}` : ''}${c.weights ? `, weights ${c.weights}` : ''})`;

/**
 * The final formula as lmerTest writes it. Where nothing was eliminated it is the model's formula,
 * which lme4 keeps with `||` expanded ("Reaction ~ Days + ((1 | Subject) + (0 + Days | Subject))"):
 * ours is then the formula as written (the fit's), so for such a formula the expected text is the
 * one written; every other case is lmerTest's exactly.
 */
const expectedFormula = (c: Case, eliminated: boolean) => (!eliminated && c.formula.includes('||') ? c.formula : c.final.formula);

describe.each(fixture.cases.map((c) => [label(c), c] as const))('step: %s', (_, ref) => {
  it('the elimination tables, the final model and its formula', async () => {
    const fit = await fitOf(ref);
    const res = await fit.step(optionsOf(ref));
    expect(res.ddf).toBe(ref.ddf);

    // the random-effects table: row names, elimination order, numbers
    expect(res.random.map((r) => [r.name, r.eliminated])).toEqual(ref.random.map((r) => [r.name, r.eliminated]));
    res.random.forEach((row, k) => {
      const w = ref.random[k];
      expect(row.npar).toBe(w.npar);
      expect(rel(row.logLik, w.logLik)).toBeLessThan(1e-9);
      expect(rel(row.AIC, w.AIC)).toBeLessThan(1e-9);
      worst.logLik = Math.max(worst.logLik, rel(row.logLik, w.logLik));
      if (w.LRT === null) { expect(row.LRT).toBeNull(); return; }
      expect(row.Df).toBe(w.Df);
      expect(Math.abs(row.LRT! - w.LRT)).toBeLessThan(1e-7 + 1e-7 * Math.abs(w.LRT));
      worst.LRT = Math.max(worst.LRT, Math.abs(row.LRT! - w.LRT));
      const d = Math.abs(row.p! - w.p!);
      if (d > 1e-12) expect(d / w.p!).toBeLessThan(1e-6);
      worst.pRandom = Math.max(worst.pRandom, d / Math.max(w.p!, 1e-300));
    });

    // the fixed-effects table
    expect(res.fixed.map((r) => [r.term, r.eliminated])).toEqual(ref.fixed.map((r) => [r.term, r.eliminated]));
    res.fixed.forEach((row, k) => {
      const d = expectDrop1Row(row, ref.fixed[k]);
      worst.fixed = Math.max(worst.fixed, d.rel);
      worst.pFixed = Math.max(worst.pFixed, d.p);
    });

    // the final model: formula as "Model found:" writes it, same criterion (REML stays REML), β̂, θ̂
    expect(ref.final.class).toBe('lmerModLmerTest');
    const eliminated = [...ref.random, ...ref.fixed].some((r) => (r.eliminated ?? 0) > 0);
    if (ref.formula.includes('||')) expect(ref.final.formula).not.toBe(ref.formula);
    expect(res.formula).toBe(expectedFormula(ref, eliminated));
    expect(res.model.formula).toBe(res.formula);
    if (!eliminated) expect(res.model).toBe(fit);
    expect(res.model.reml).toBe(ref.reml);
    expect(rel(res.model.objective, ref.final.criterion)).toBeLessThan(1e-9);
    expect(rel(res.model.logLik, ref.final.logLik)).toBeLessThan(1e-9);
    worst.criterion = Math.max(worst.criterion, rel(res.model.objective, ref.final.criterion));
    expect(Object.keys(res.model.fixef)).toEqual(Object.keys(ref.final.fixef));
    for (const [name, b] of Object.entries(ref.final.fixef)) {
      const d = Math.abs(res.model.fixef[name] - b) / Math.max(1, Math.abs(b));
      expect(d, name).toBeLessThan(1e-6);
      worst.beta = Math.max(worst.beta, d);
    }
    // lme4's rank check on the final model's X (rebuilt where fixed terms were removed), and its message
    const dropped = res.model.messages.some((m) => m.startsWith('fixed-effect model matrix is rank deficient'));
    expect(dropped).toBe(ref.final.rank_deficient);
    expect(res.model.theta.length).toBe(ref.final.theta.length);
    ref.final.theta.forEach((t, k) => {
      expect(Math.abs(res.model.theta[k] - t)).toBeLessThan(2e-5);
      worst.theta = Math.max(worst.theta, Math.abs(res.model.theta[k] - t));
    });
    // lmerTest's warning for a keep that names no term, as a message
    for (const w of ref.warnings) expect(res.messages).toContain(w);
    if (ref.warnings.length === 0) expect(res.messages.some((m) => m.startsWith('Invalid'))).toBe(false);

    // the printout as lmerTest prints it (print.step_list), of lmerTest's own numbers (a fifth
    // significant digit is not fixed by the optima) with our row names, order and formula
    const merged = <T extends object, W extends object>(ours: T[], want: W[]) =>
      ours.map((r, k) => ({ ...r, ...Object.fromEntries(Object.entries(want[k]).map(([key, v]) => [key, v === null && key !== 'eliminated' && key !== 'LRT' && key !== 'Df' && key !== 'p' ? NaN : v])) }));
    const fixedNums = ref.fixed.map((r) => ({ ...r, F: r.F ?? NaN, p: r.p ?? NaN }));
    expect(printStepResult(merged(res.random, ref.random), merged(res.fixed, fixedNums), res.ddf, res.formula).slice(0, -1)).toEqual(ref.printed.slice(0, -1));
    expect(ref.printed.at(-1)).toBe(ref.final.formula);
  });
});

describe('step: refusals', () => {
  const lm = fixture.allRandomEliminated;
  it('the elimination of the last random-effects term (lmerTest goes on with lm and lm\'s drop1)', async () => {
    // lmerTest's own result is an lm, with lm's drop1 columns (recorded by the oracle)
    expect(lm.final_class).toBe('lm');
    expect(lm.fixed_columns).toContain('RSS');
    expect(lm.random.map((r) => [r.name, r.eliminated])).toEqual([['<none>', null], ['(1 | item)', 1]]);
    const fit = await fitOf(lm);
    await expect(fit.step()).rejects.toThrow(ModelError);
    await expect(fit.step()).rejects.toThrow(/removes the last one \(\(1 \| item\).*linear model \(lm\)/);
    // with the random part kept there is no lm: the fixed elimination runs
    const kept = await fit.step({ reduceRandom: false });
    expect(kept.random.map((r) => [r.name, r.eliminated])).toEqual([['<none>', null], ['(1 | item)', 0]]);
    expect(kept.fixed.map((r) => [r.term, r.eliminated])).toEqual([['A', 0]]);
  });

  it('bad options name the option', async () => {
    const fit = await fitOf(fixture.cases.find((c) => c.name === 'factor by covariate' && c.reml && c.ddf === 'satterthwaite')!);
    await expect(fit.step({ alphaRandom: 1.5 })).rejects.toThrow(OptionError);
    await expect(fit.step({ alphaFixed: Number.NaN })).rejects.toThrow(/alphaFixed must be a number from 0 to 1/);
    await expect(fit.step({ keep: 'B' as unknown as string[] })).rejects.toThrow(/keep must be a list/);
    await expect(fit.step({ reduceFixed: 'no' as unknown as boolean })).rejects.toThrow(/reduceFixed must be true or false/);
    await expect(fit.step({ ddf: 'lenient' as 'satterthwaite' })).rejects.toThrow(/unknown ddf method/);
  });

  it("Kenward-Roger's ddf with an ML fit (lmerTest's rule)", async () => {
    const fit = await fitOf(fixture.cases.find((c) => c.name === 'factor by covariate' && !c.reml)!);
    await expect(fit.step({ ddf: 'kenward-roger' })).rejects.toThrow(/only available for REML model fits/);
  });

  it('rows dropped for missing values (a reduced model could use more rows)', async () => {
    const csv = 'y,x,g\n1.2,0.1,a\n2.3,,a\n1.9,0.5,b\n3.1,0.7,b\n2.2,0.2,c\n2.8,0.9,c\n1.1,0.3,a\n3.3,0.8,b\n2.0,0.4,c\n';
    const fit = await lmer('y ~ x + (1 | g)', readCsv(csv).table);
    await expect(fit.step()).rejects.toThrow(/dropped 1 row.*missing values/);
  });

  it('a glmer fit', async () => {
    const fit = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', loadDataFile('cbpp.csv'), { family: 'binomial', factors: ['herd', 'period'] });
    await expect(fit.step()).rejects.toThrow(/lmer fits.*drop1\(\) gives lme4's likelihood-ratio test/);
  });
});

afterAll(() => {
  // the worst differences seen (stated in the header and README)
  // eslint-disable-next-line no-console
  console.log('step worst:', worst);
});
