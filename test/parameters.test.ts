/**
 * parameters 0.20.2's model_parameters() and effectsize 0.8.3's standardize_parameters() of lmer and
 * glmer fits against R (test/oracle/parameters.R, fixtures in test/fixtures/parameters): sleepstudy
 * (random slope), a factor + covariate + factor model (one grouping factor, unbalanced: Kenward–Roger's
 * SEs differ; also with prior weights: the standardizations' weighted means and SDs), crossed grouping factors with a random slope, cbpp (binomial, cbind) and grouseticks
 * (Poisson); every ci_method implemented, effects fixed/random/all, exponentiate, ci = 0.9; every
 * standardization method; the printouts line for line; the refusals.
 *
 * Tolerances (relative unless said; our fit at its own optimum):
 *  - lmer: 1e-6 (θ̂ is known to ~1e-7 where the REML criterion is flat; test/emmeans.test.ts); a
 *    p-value to 1e-6 · max(1, t²) (d log p / dt ≈ −t: the statistic's error times t); a correlation
 *    (near 0 for sleepstudy) to 1e-6 absolute;
 *  - glmer at our optimum against R moved to the exact Laplace optimum (the oracle): β̂ 3e-6, SEs,
 *    interval ends, SDs 3e-5 (Var(β̂) is lme4's finite-difference Hessian on a criterion flat in θ; see
 *    test/ggeffects.test.ts), p-values 3e-5 · max(1, z²);
 *  - profile intervals: 1e-4 of the interval's width (test/broom.test.ts: lme4 interpolates each bound
 *    by a spline through its profile's points; sleepstudy's SD bounds differ by 3.1e-6 of the width);
 *  - the pseudo method's null model y ~ (1 | g) is fitted by R with lme4's default optimizer settings
 *    (parameters fits it inside, no control): 1e-5 there;
 *  - Satterthwaite and Kenward–Roger df: 1e-5 (derivatives of the criterion at θ̂).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { lmer } from '../src/fit/lmer.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';
import { fitFixtureModels } from './helpers/fixtureModels.js';
import { type CiMethod, type ModelParametersOptions, type ParameterEffects, modelParameters } from '../src/parameters/modelParameters.js';
import { type StandardizeMethod, standardizeParameters } from '../src/parameters/standardize.js';
import { printModelParameters, printStandardized, wrapMessage } from '../src/parameters/print.js';
import { lmerStream } from '../src/gram/stream/lmer.js';
import { openBatchSource } from '../src/gram/stream/node.js';

const dir = join(import.meta.dirname, 'fixtures');
type Cell = string | number | null;
interface Model { formula: string; data: string; factors: string[]; family: string | null; reml: boolean; weights?: string }
interface MpCase { name: string; model: string; args: { ci_method?: string; effects?: string; exponentiate?: boolean; ci?: number; standardize?: string }; columns: string[]; rows: Record<string, Cell>[]; printed: string[]; messages: string[] | string }
interface SpCase { name: string; model: string; method: string; args: { ci?: number; exponentiate?: boolean }; std_method: string; columns: string[]; rows: Record<string, Cell>[]; exact_rows?: Record<string, Cell>[]; printed: string[]; messages: string[] | string }
const fx = JSON.parse(readFileSync(join(dir, 'parameters', 'parameters.json'), 'utf8')) as {
  models: Record<string, Model>; model_parameters: MpCase[]; standardize_parameters: SpCase[]; refusals: { model: string; ci_method: string; error: string }[];
};

let fits = new Map<string, LmmFit | GlmmFit>();
beforeAll(async () => {
  fits = await fitFixtureModels(fx.models, dir);
}, 120_000);

const isGlmer = (model: string) => fx.models[model].family !== null;
const num = (v: Cell): number | null => (v === null ? null : v === 'Inf' ? Infinity : (v as number));

function expectClose(ours: number | null, theirs: Cell, tol: number, what: string, scale?: number) {
  const t = num(theirs);
  if (t === null) { expect(ours, what).toBeNull(); return; }
  expect(ours, what).not.toBeNull();
  if (t === Infinity) { expect(ours, what).toBe(Infinity); return; }
  const err = Math.abs((ours as number) - t) / (scale ?? Math.max(Math.abs(t), 1e-300));
  expect(err <= tol, `${what}: ${ours} vs R ${t} (error ${err.toExponential(2)} > ${tol})`).toBe(true);
}

function mpOptions(c: MpCase): ModelParametersOptions {
  return {
    ...(c.args.ci_method ? { ciMethod: c.args.ci_method as CiMethod } : {}),
    ...(c.args.effects ? { effects: c.args.effects as ParameterEffects } : {}),
    ...(c.args.exponentiate ? { exponentiate: true } : {}),
    ...(c.args.ci ? { ci: c.args.ci } : {}),
    ...(c.args.standardize ? { standardize: c.args.standardize as StandardizeMethod } : {}),
  };
}

/** R's message lines: each message split at its newlines, the trailing newline dropped */
const messageLines = (m: string) => m.replace(/\n$/, '').split('\n');

describe('model_parameters (parameters 0.20.2)', () => {
  for (const c of fx.model_parameters) {
    it(c.name, async () => {
      const fit = fits.get(c.model)!;
      const mp = await modelParameters(fit, mpOptions(c));
      const glmm = isGlmer(c.model);
      const profile = c.args.ci_method === 'profile';
      expect(mp.rows.map((r) => r.Parameter)).toEqual(c.rows.map((r) => r.Parameter));
      const stat = glmm ? 'z' : 't';
      mp.rows.forEach((r, i) => {
        const R = c.rows[i];
        const at = `${c.name} ${r.Parameter} ${r.Group}`;
        expect(r.Effects, at).toBe(R.Effects);
        if ('Group' in R) expect(r.Group, at).toBe(R.Group);
        expect(r.CI, at).toBe(R.CI);
        // (a standardized table's zero: the refit's intercept, R's 1.99e-15 and t 1.24e-14, absolute)
        const zero = (v: Cell) => typeof v === 'number' && Math.abs(v) < 1e-12 ? 1 : undefined;
        const coefR = 'Coefficient' in R ? R.Coefficient : R.Std_Coefficient;
        const cor = r.Parameter.startsWith('Cor') || zero(coefR) !== undefined;
        expectClose(r.Coefficient, coefR, glmm ? (r.Effects === 'fixed' && !c.args.exponentiate ? 3e-6 : 3e-5) : 1e-6, `${at} Coefficient`, cor ? 1 : undefined);
        expectClose(r.SE, R.SE ?? null, glmm ? 3e-5 : 1e-6, `${at} SE`);
        const width = R.CI_low === null ? 1 : (R.CI_high as number) - (R.CI_low as number);
        const ciTol = profile ? 1e-4 : glmm ? 3e-5 : 1e-6;
        expectClose(r.CI_low, R.CI_low, ciTol, `${at} CI_low`, profile ? width : undefined);
        expectClose(r.CI_high, R.CI_high, ciTol, `${at} CI_high`, profile ? width : undefined);
        if (r.Effects === 'fixed') {
          const t = R[stat] as number;
          expectClose(r.statistic, t, glmm ? 3e-5 : 1e-6, `${at} ${stat}`, zero(t));
          const ddfTol = c.args.ci_method === 'satterthwaite' || c.args.ci_method === 'kenward' ? 1e-5 : 0;
          expectClose(r.df_error, R.df_error, ddfTol, `${at} df_error`);
          expectClose(r.p, R.p, (glmm ? 3e-5 : ddfTol > 0 ? 1e-5 : 1e-6) * Math.max(1, t * t), `${at} p`);
        } else {
          expect(r.statistic, at).toBeNull();
          expect(r.p, at).toBeNull();
        }
      });
      // the printout line for line, and the footer (R writes it as a message)
      const printed = printModelParameters(mp);
      const Rlines = c.printed.filter((l, i, a) => !(l === '' && i === a.length - 1));
      expect(printed.lines.length).toBe(Rlines.length);
      printed.lines.forEach((l, i) => {
        // the refit's intercept row: rounding-size numbers (R's 1.99e-15), its own in ours
        if (/e-1\d/.test(Rlines[i])) expect(l, `${c.name} line ${i}`).toMatch(/^\(Intercept\) \| +(-?\d\.\d\de-1\d|-?0\.00) \| /);
        else expect(l, `${c.name} line ${i}`).toBe(Rlines[i]);
      });
      const rFooter = [c.messages].flat().filter((m) => m.includes('Uncertainty intervals'));
      expect(rFooter.length).toBe(1);
      expect(printed.footer.slice(0, messageLines(rFooter[0]).length)).toEqual(messageLines(rFooter[0]));
    });
  }

  it("the footer's note on exponentiate for a log or logit link (R writes it once per session: cbpp_wald)", async () => {
    const c = fx.model_parameters.find((x) => x.name === 'cbpp_wald')!;
    const note = [c.messages].flat().find((m) => m.includes('logit-link'))!;
    const printed = printModelParameters(await modelParameters(fits.get('cbpp')!, mpOptions(c)));
    expect(printed.footer.slice(-messageLines(note).length)).toEqual(messageLines(note));
    // exponentiated: no note
    const exp = printModelParameters(await modelParameters(fits.get('cbpp')!, { effects: 'fixed', exponentiate: true }));
    expect(exp.footer.join('\n')).not.toMatch(/logit-link/);
  });

  it('wraps messages as insight does (71 columns, later lines indented by 2)', () => {
    expect(wrapMessage('a '.repeat(40).trim()).every((l) => l.length <= 71)).toBe(true);
    expect(wrapMessage('a '.repeat(40).trim())[1].startsWith('  a')).toBe(true);
  });
});

describe('refusals and bad input', () => {
  it("refuses satterthwaite and kenward for a glmer fit, naming the method (R fails too)", async () => {
    for (const r of fx.refusals) {
      expect(r.error).not.toBe('none');
      await expect(modelParameters(fits.get(r.model)!, { ciMethod: r.ci_method as CiMethod })).rejects.toThrow(new RegExp(`ci_method '${r.ci_method}' is for linear mixed models`));
    }
  });
  it('names an unknown ci_method, effects value or standardization method', async () => {
    const fit = fits.get('sleep')!;
    await expect(modelParameters(fit, { ciMethod: 'satterwhaite' as CiMethod })).rejects.toThrow(/unknown ci_method "satterwhaite"/);
    await expect(modelParameters(fit, { ciMethod: 'boot' as CiMethod })).rejects.toThrow(/'boot'.*not implemented/);
    await expect(modelParameters(fit, { effects: 'ran_pars' as ParameterEffects })).rejects.toThrow(/effects/);
    await expect(modelParameters(fit, { ci: 95 })).rejects.toThrow(/ci.*between 0 and 1/);
    await expect(standardizeParameters(fit, { method: 'classic' as StandardizeMethod })).rejects.toThrow(/unknown standardization method "classic".*old name of 'basic'/);
  });
  it('refuses ml1 with an interaction and posthoc with one, naming the term', async () => {
    const data = readCsv(readFileSync(join(dir, 'parameters', 'factor_covariate.csv'))).table;
    const fit = await lmer('y ~ f * x + (1 | g)', data, { factors: ['f', 'g'] });
    await expect(modelParameters(fit, { ciMethod: 'ml1' })).rejects.toThrow(/'fb:x', 'fc:x'.*refused/);
    await expect(standardizeParameters(fit, { method: 'posthoc' })).rejects.toThrow(/'fb:x', 'fc:x'/);
    const called = await lmer('y ~ factor(f) + x + (1 | g)', data, { factors: ['g'] });
    await expect(modelParameters(called, { ciMethod: 'ml1' })).rejects.toThrow(/'factor\(f\)' is a call/);
    const logged = await lmer('y ~ log(x + 1) + (1 | g)', data, { factors: ['g'] });
    await expect(standardizeParameters(logged, { method: 'refit' })).rejects.toThrow(/transformed term 'log\(x \+ 1\)'/);
    // basic standardizes X's columns, interactions included
    const basic = await standardizeParameters(fit, { method: 'basic' });
    expect(basic.rows.map((r) => r.Parameter)).toEqual(fit.model.frame.xnames);
  });
});

describe('standardize_parameters (effectsize 0.8.3)', () => {
  for (const c of fx.standardize_parameters) {
    it(c.name, async () => {
      const fit = fits.get(c.model)!;
      const sp = await standardizeParameters(fit, { method: c.method as StandardizeMethod, ...(c.args.ci ? { ci: c.args.ci } : {}), ...(c.args.exponentiate ? { exponentiate: true } : {}) });
      expect(sp.method).toBe(c.std_method);
      const glmm = isGlmer(c.model);
      const theirs = c.exact_rows ?? c.rows;
      const coef = c.columns.find((k) => k.startsWith('Std_'))!;
      expect(sp.coefficientColumn).toBe(coef);
      expect(sp.rows.map((r) => r.Parameter)).toEqual(theirs.map((r) => r.Parameter));
      const tol = glmm ? 3e-5 : c.method === 'pseudo' ? 1e-5 : 1e-6;
      sp.rows.forEach((r, i) => {
        const R = theirs[i];
        const at = `${c.name} ${r.Parameter}`;
        const width = Math.abs((R.CI_high as number) - (R.CI_low as number));
        // a refit's intercept of a standardized lmer is 0 up to rounding (R's 1.99e-15): compared to the interval's width
        const zero = Math.abs(R[coef] as number) < 1e-12;
        expectClose(r.Std_Coefficient, R[coef], zero ? 1e-9 : glmm && !c.args.exponentiate && c.method !== 'refit' ? 3e-6 : tol, `${at} ${coef}`, zero ? Math.max(width, 1) : undefined);
        expectClose(r.CI_low, R.CI_low, tol, `${at} CI_low`, width === 0 ? 1 : undefined);
        expectClose(r.CI_high, R.CI_high, tol, `${at} CI_high`, width === 0 ? 1 : undefined);
      });
      // the printout: line for line, but a refit's intercept of rounding size (R's 1.99e-15, ours another)
      const lines = printStandardized(sp);
      const R = c.printed.filter((l, i, a) => !(l === '' && i === a.length - 1));
      expect(lines.length).toBe(R.length);
      lines.forEach((l, i) => {
        // a glmer refit: R printed effectsize's refit at lme4's optimum, the rows compared are the exact
        // optimum's: the table's layout and names, not its last digits
        if (c.exact_rows && /^\S+ +\| /.test(R[i]) && i > 2) expect(l.split('|')[0], `${c.name} line ${i}`).toBe(R[i].split('|')[0]);
        else if (/e-1\d/.test(R[i])) expect(l, `${c.name} line ${i}`).toMatch(/^\(Intercept\) \| +(-?\d\.\d\de-1\d|-?0\.00) \| /);
        else expect(l, `${c.name} line ${i}`).toBe(R[i]);
      });
      if (c.std_method !== c.method) expect(sp.messages.join('\n')).toMatch(/only available for 2-level/);
    });
  }
});

describe('the fit methods', () => {
  it('fit.modelParameters and fit.standardizeParameters (installed by src/parameters/methods.ts, which the index loads)', async () => {
    await import('../src/parameters/methods.js');
    const fit = fits.get('sleep')!;
    const direct = await modelParameters(fit, { ciMethod: 'ml1', effects: 'fixed' });
    expect((await fit.modelParameters({ ciMethod: 'ml1', effects: 'fixed' })).rows).toEqual(direct.rows);
    expect((await fit.standardizeParameters({ method: 'smart' })).rows).toEqual((await standardizeParameters(fit, { method: 'smart' })).rows);
  });
});

describe('an lmer fit whose rows are in an engine (a stream)', () => {
  it("gives the in-memory fit's Wald and Satterthwaite tables; the rules that read the rows are refused", async () => {
    const src = await openBatchSource(join(dir, 'parameters', 'factor_covariate.csv'));
    let sfit: LmmFit;
    try {
      sfit = (await lmerStream(src, fx.models.fx.formula, { batchSize: 50 })).fit;
    } finally {
      await src.close();
    }
    for (const ciMethod of ['wald', 'satterthwaite'] as const) {
      const a = await modelParameters(sfit, { ciMethod }), b = await modelParameters(fits.get('fx')!, { ciMethod });
      expect(a.rows.map((r) => r.Parameter)).toEqual(b.rows.map((r) => r.Parameter));
      // the two optimizers' θ̂ agree to ~1e-7 (the engines' own tests)
      a.rows.forEach((r, i) => {
        for (const k of ['Coefficient', 'SE', 'CI_low', 'CI_high', 'df_error'] as const) expectClose(r[k], b.rows[i][k], 1e-6, `stream ${ciMethod} ${r.Parameter} ${k}`);
      });
      expect(printModelParameters(a).lines).toEqual(printModelParameters(b).lines);
    }
    await expect(modelParameters(sfit, { ciMethod: 'ml1' })).rejects.toThrow(/ci_method 'ml1' reads the predictors' columns.*not in memory/);
    await expect(standardizeParameters(sfit, { method: 'basic' })).rejects.toThrow(/method 'basic'.*not in memory/);
  });
});
