/**
 * lme4 1.1-31's residuals(fit, type, scaled), fitted(fit) and predict(fit) without new data, with
 * na.action = na.omit and na.exclude (test/oracle/residuals.R → test/fixtures/residuals/residuals.json),
 * for lmer (unweighted REML, weighted ML) and glmer (binomial as cbind and as a proportion with
 * weights, Poisson) on copies of sleepstudy and cbpp with missing cells in the response, a covariate,
 * the grouping factor and the weights.
 *
 * Two levels:
 *  - at lme4's estimates (no optimizer): lmer assembled at lme4's θ, glmer at lme4's (θ, β) with PIRLS
 *    run to convergence; the residuals are then simple functions of μ̂, so they agree to rounding:
 *    1e-10 relative to the largest |value| of the vector (a normwise relative error: single residuals
 *    near 0 have no relative accuracy of their own);
 *  - at our optimum (lmer, glmer with their defaults) against lme4's at a tight optimum: lmer refitted
 *    with tight optimizer tolerances (lme4's default fit stops ~1e-5 away in these residuals), glmer at
 *    the exact Laplace deviance's optimum (its own fit stops ~1e-4 away: its PIRLS stops early,
 *    test/oracle/exact_laplace.R). Our θ̂ is known to ~1e-7 relative and μ̂ moves with θ̂ to first
 *    order, so 1e-6 of the vector's largest |value| (seen 1.4e-7; 2e-13 at lme4's estimates).
 * In both, the rows dropped for missing values must be NaN exactly where R has NA (na.exclude) and the
 * vectors have R's length (nobs with na.omit, the input's rows with na.exclude).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as arrow from 'apache-arrow';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { glmerNb } from '../src/fit/glmerNb.js';
import { readCsv } from '../src/io/csv.js';
import { buildLmm } from '../src/lmm/model.js';
import { buildGlmm } from '../src/glmm/model.js';
import { PirlsEngine } from '../src/glmm/pirls.js';
import { GlmmEngines } from '../src/glmm/objectives.js';
import { assembleGlmm } from '../src/glmm/assemble.js';
import { Evaluations } from '../src/model/control.js';
import { thetaToInternal } from '../src/model/reparam.js';
import { ModelError, OptionError } from '../src/errors/errors.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';
import { RESIDUAL_TYPES } from '../src/results/residuals.js';
import { fitAtTheta } from './helpers/atTheta.js';

type Vec = (number | null)[];
interface Case {
  data: string; formula: string; na_action: 'omit' | 'exclude'; glmm: boolean; family?: 'binomial' | 'poisson' | 'Gamma'; link?: 'log'; reml?: boolean; weights?: string;
  theta: number[]; beta: number[]; sigma: number; laplace?: number; nobs: number; n_input: number;
  default: Vec; residuals: Record<string, Vec>; fitted: Vec; predict: Vec; predict_response?: Vec; predict_population: Vec; partial_error: string;
  /** an lmer fit's hatvalues() */
  hatvalues?: Vec;
  /** simulate()'s first draw times 0: where R puts NA (a cbind fit's is a two-column matrix, flattened) */
  simulate_na: Vec;
  /** a glmer case at the exact Laplace deviance's optimum */
  exact?: Rows & { theta: number[] | number; beta: number[]; laplace: number };
  /** an lmer case refitted to tight optimizer tolerances */
  tight?: Rows & { theta: number[] };
}
type Rows = Pick<Case, 'default' | 'residuals' | 'fitted' | 'predict' | 'predict_response' | 'predict_population' | 'hatvalues'>;

const dir = join(import.meta.dirname, 'fixtures', 'residuals');
const ref = JSON.parse(readFileSync(join(dir, 'residuals.json'), 'utf8')) as { cases: Record<string, Case> };
const FACTORS: Record<string, string[]> = { sleepstudy_na: ['Subject'], cbpp_na: ['herd', 'period'], gamma_na: ['g'] };
const tables = new Map<string, arrow.Table>();
function table(name: string): arrow.Table {
  if (!tables.has(name)) tables.set(name, readCsv(readFileSync(join(dir, `${name}.csv`), 'utf8')).table);
  return tables.get(name)!;
}

const TOL = { atLme4: 1e-10, atOptimum: 1e-6 };
const worst: Record<string, number> = {};

/** max |got − want| / max |want|, after checking the length and that NaN stands exactly at R's NA */
function compare(got: Float64Array, want: Vec, label: string): number {
  expect(got.length, `${label}: length`).toBe(want.length);
  let scale = 0, err = 0;
  want.forEach((w, i) => {
    if (w === null) { expect(Number.isNaN(got[i]), `${label}: NaN at row ${i + 1}`).toBe(true); return; }
    expect(Number.isFinite(got[i]), `${label}: finite at row ${i + 1}`).toBe(true);
    scale = Math.max(scale, Math.abs(w));
    err = Math.max(err, Math.abs(got[i] - w));
  });
  return err / scale;
}

/** every per-row result of a fit against the case's, within tol; records the worst error of the level */
function compareAll(fit: LmmFit | GlmmFit, c: Rows, glmm: boolean, tol: number, level: string): void {
  const check = (got: Float64Array, want: Vec, what: string) => {
    const e = compare(got, want, `${level} ${what}`);
    worst[level] = Math.max(worst[level] ?? 0, e);
    if (process.env.RESID_VERBOSE) console.log(level, what, e);
    expect(e, `${level} ${what}`).toBeLessThan(tol);
  };
  check(fit.residuals(), c.default, 'residuals() (default type)');
  for (const type of RESIDUAL_TYPES) {
    check(fit.residuals(type), c.residuals[type], `residuals ${type}`);
    check(fit.residuals(type, { scaled: true }), c.residuals[`${type}_scaled`], `residuals ${type} scaled`);
  }
  check(fit.fitted, c.fitted, 'fitted');
  check(fit.predict(), c.predict, 'predict()');
  check(fit.predict(undefined, { groups: false }), c.predict_population, 'predict(re.form = NA)');
  if (glmm) check((fit as GlmmFit).predict(undefined, { type: 'response' }), c.predict_response!, 'predict(type = "response")');
  else check((fit as LmmFit).hatvalues(), c.hatvalues!, 'hatvalues()');
  // simulate: the draws are not R's (another generator), where they are NaN is (napredict); a Gamma
  // fit's simulate is refused (src/inference/simulate.ts)
  if ((fit as GlmmFit).family === 'Gamma') return;
  const y = fit.simulate(2, { seed: 3 }).y;
  for (const draw of y) {
    expect(draw.length, `${level} simulate: length`).toBe(c.fitted.length);
    c.fitted.forEach((f, i) => expect(Number.isNaN(draw[i]), `${level} simulate: NaN at row ${i + 1}`).toBe(f === null));
  }
}

function options(c: Case) {
  return { factors: FACTORS[c.data], naAction: c.na_action, ...(c.weights ? { weights: c.weights } : {}) };
}

/** lmer at lme4's θ; glmer at lme4's exact Laplace optimum (θ, β), the point of the case's `exact` rows */
async function atLme4(c: Case): Promise<LmmFit | GlmmFit> {
  const data = table(c.data);
  if (!c.glmm) return fitAtTheta(buildLmm(c.formula, data, { ...options(c), REML: c.reml }), [c.theta].flat());
  const x = c.exact!;
  const model = buildGlmm(c.formula, data, { ...options(c), family: c.family!, link: c.link });
  const e = new GlmmEngines(model, new PirlsEngine(model.pirls), undefined, undefined);
  const theta = thetaToInternal(model, [x.theta].flat());
  const beta = Float64Array.from(x.beta);
  const backend = { name: 'cpu', device: 'CPU', precision: 'float64' };
  const optimum = { x: theta, fval: NaN, feval: 0, converged: true, message: 'fixed (θ, β)', backend, messages: [], optimizeMs: 0, polishMs: 0, optimizerFeval: 0 };
  const stage1 = { theta: Float64Array.from([x.theta].flat()), beta, objective: NaN, feval: 0, converged: true, message: '' };
  const fit = await assembleGlmm(e, { theta, beta, objective: NaN, optimum, stage1, feval2: 0 }, { nAGQ: 1, rule: null, vcov: 'RX' }, new Evaluations(), [], {}, 0);
  // the same model at the same point as lme4's: its exact Laplace deviance (PIRLS converged on both sides)
  expect(Math.abs(fit.pirls.laplace - x.laplace) / x.laplace).toBeLessThan(1e-12);
  return fit;
}

describe("residuals, fitted and predict at lme4's estimates (no optimizer)", () => {
  it.each(Object.entries(ref.cases))('%s', async (_name, c) => {
    const fit = await atLme4(c);
    expect(fit.nobs).toBe(c.nobs);
    // R's simulate puts NA where fitted does (but for a cbind fit, whose matrix lme4 1.1-31 pads wrongly, with a warning)
    if (!c.formula.startsWith('cbind')) expect(c.simulate_na.map((v) => v === null)).toEqual(c.fitted.map((v) => v === null));
    compareAll(fit, c.exact ?? c, c.glmm, TOL.atLme4, `at lme4 (${c.glmm ? 'glmer' : 'lmer'})`);
  });
});

describe('residuals, fitted and predict at our optimum', () => {
  it.each(Object.entries(ref.cases))('%s', async (_name, c) => {
    const data = table(c.data);
    const fit = c.glmm ? await glmer(c.formula, data, { ...options(c), family: c.family!, link: c.link }) : await lmer(c.formula, data, { ...options(c), REML: c.reml });
    expect(fit.nobs).toBe(c.nobs);
    // lmer against lme4's refitted to tight tolerances (its default fit stops ~1e-5 away in the
    // residuals); glmer against lme4's at the exact Laplace optimum (glmer's own stops ~1e-4 away)
    compareAll(fit, c.exact ?? c.tight!, c.glmm, TOL.atOptimum, `at our optimum (${c.glmm ? 'glmer' : 'lmer'})`);
    // the summary and the JSON's heads use the rows used, whatever naAction
    expect(fit.summary()).not.toMatch(/NaN/);
    expect((fit.toJSON() as { na_action?: string }).na_action).toBe(c.na_action === 'exclude' ? 'exclude' : undefined);
  });

  it('na.omit is the default, and the summary is the same under na.exclude', async () => {
    const c = ref.cases.lmm_omit;
    const data = table(c.data);
    const byDefault = await lmer(c.formula, data, { factors: ['Subject'] });
    const exclude = await lmer(c.formula, data, { factors: ['Subject'], naAction: 'exclude' });
    expect(byDefault.residuals().length).toBe(c.nobs);
    expect(exclude.residuals().length).toBe(c.n_input);
    // the rows used: the same under both (rowResiduals, mu and pearsonResiduals are never padded)
    expect(Array.from(exclude.rowResiduals('pearson', { scaled: true }))).toEqual(Array.from(byDefault.residuals('pearson', { scaled: true })));
    expect(Array.from(exclude.mu)).toEqual(Array.from(byDefault.fitted));
    expect(exclude.pearsonResiduals.length).toBe(c.nobs);
    // the same but for the note on the dropped rows
    expect(exclude.summary()).toContain('5 of 180 rows dropped for missing values (na.exclude)');
    expect(byDefault.summary()).toContain('5 of 180 rows dropped for missing values (na.omit)');
    expect(exclude.summary().replace('(na.exclude)', '(na.omit)')).toBe(byDefault.summary());
    // predictions for new data are not padded (predict.merMod's na.action = na.pass for newdata)
    const nd = { Days: [1, 2], Subject: ['308', '309'] };
    expect(exclude.predict(nd).length).toBe(2);
  }, 60_000);
});

describe('glmerNb carries naAction', () => {
  it('its fit pads, its θ step uses the rows used', async () => {
    const c = ref.cases.poisson_exclude;
    const opts = { factors: ['herd', 'period'] };
    const omit = await glmerNb(c.formula, table(c.data), opts);
    const exclude = await glmerNb(c.formula, table(c.data), { ...opts, naAction: 'exclude' });
    // the same fit (na.exclude only changes how per-row results are returned)
    expect(exclude.nbSize).toBe(omit.nbSize);
    expect(exclude.residuals('pearson').length).toBe(c.n_input);
    const want = omit.residuals('pearson');
    const got = exclude.residuals('pearson');
    c.residuals.pearson.forEach((r, i) => expect(Number.isNaN(got[i])).toBe(r === null));
    expect(Array.from(got).filter((v) => !Number.isNaN(v))).toEqual(Array.from(want));
  }, 60_000);
});

describe('refusals', () => {
  let lmm: LmmFit, glmm: GlmmFit;
  it('fits', async () => {
    lmm = await lmer(ref.cases.lmm_exclude.formula, table('sleepstudy_na'), { factors: ['Subject'], naAction: 'exclude' });
    glmm = await glmer(ref.cases.poisson_exclude.formula, table('cbpp_na'), { factors: ['herd', 'period'], family: 'poisson', naAction: 'exclude' });
  }, 60_000);

  it("type 'partial' is refused, as lme4 stops", () => {
    expect(ref.cases.lmm_exclude.partial_error).toBe('partial residuals are not implemented yet');
    for (const fit of [lmm, glmm]) {
      expect(() => fit.residuals('partial' as never)).toThrow(ModelError);
      expect(() => fit.residuals('partial' as never)).toThrow(/partial residuals are not implemented/);
      expect(() => fit.rowResiduals('partial' as never)).toThrow(ModelError);
    }
  });

  it('an unknown type, a scaled that is not a boolean, unknown options', () => {
    for (const fit of [lmm, glmm]) {
      expect(() => fit.residuals('raw' as never)).toThrow(OptionError);
      expect(() => fit.residuals('raw' as never)).toThrow(/type must be one of 'response', 'pearson', 'working', 'deviance', not "raw"/);
      expect(() => fit.residuals('pearson', { scaled: 'yes' } as never)).toThrow(/scaled must be true or false/);
      expect(() => fit.residuals('pearson', { scale: true } as never)).toThrow(/unknown option 'scale'/);
      expect(() => fit.residuals('pearson', 1 as never)).toThrow(/must be an object/);
    }
  });

  it('naAction: only omit and exclude, with R names pointed to ours', async () => {
    const data = table('sleepstudy_na');
    const f = ref.cases.lmm_exclude.formula;
    await expect(lmer(f, data, { naAction: 'na.exclude' as never })).rejects.toThrow(/must be 'omit' or 'exclude'.*R's na\.exclude is 'exclude'/);
    await expect(lmer(f, data, { naAction: 'fail' as never })).rejects.toThrow(/na\.fail and na\.pass are not offered/);
    await expect(glmer(ref.cases.poisson_exclude.formula, table('cbpp_na'), { family: 'poisson', naAction: 1 as never })).rejects.toThrow(OptionError);
  });
});

describe('worst errors seen', () => {
  it('reports', () => {
    console.log(`residuals: worst normwise relative errors ${JSON.stringify(worst)}`);
    expect(Object.keys(worst).length).toBeGreaterThan(0);
  });
});
