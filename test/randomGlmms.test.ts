/**
 * Randomized comparison with lme4's glmer: 90 small random GLMMs (test/oracle/randomGlmms.ts, seed
 * 20260611, 101–581 rows: binomial 0/1, cbind(s, f) and proportions with weights under the logit,
 * probit and cloglog links, Poisson with and without offset(log(t)); random intercepts, slopes
 * correlated and `||`, two correlated slopes, nested g/h, crossed factors with and without a slope;
 * nAGQ from 2 to 25 for 20 single scalar-term models; 27 singular by glmer's default fit), fitted by
 * glmer (lme4 1.1-31, R 4.2.2) four ways (test/oracle/random_glmms.R: the default glmerControl();
 * bobyqa in both stages; bobyqa to rhoend 1e-10 with tolPwrss 1e-12; bobyqa without the nAGQ = 0
 * stage), and the optimum of the exact Laplace/AGQ deviance (glmer's own deviance function with
 * PIRLS converged: tolPwrss 1e-12, then further PIRLS passes until the value settles) found by
 * nloptwrap from the best of the four, with lme4's deriv12 Hessian there.
 *
 * What is asserted, and the tolerances:
 *  - apart from the optimizer, our deviance at each fit's (θ, β) and at a point away from the optima
 *    is glmer's exact deviance function there to 1e-11 relative. Both sides converge PIRLS far below
 *    that (R: relative change < 1e-12 between further passes; ours: η to 1e-12); the worst seen is
 *    4.2e-13. (At 1e-11 the test caught our PIRLS stopping early under Fisher scoring: g052, 8.4e-11.)
 *  - our optimum is no worse than the best of glmer's, to 1e-8 absolute: the best is the lowest exact
 *    deviance at any of glmer's four optima and at the exact optimum. Our stage 2 stops at a trust
 *    radius of 1e-5 in unit-curvature coordinates, within ~n·1e-10 of its optimum for n ≤ 9
 *    variables; the worst seen is 1.7e-10 above (g073, n = 9), and ours is below in many cases.
 *  - where the fit is not singular and the exact optimum's Hessian is positive definite (60 cases):
 *    β within 1e-4 standard errors of the exact optimum, the Hessian-based SEs within 5e-4 relative
 *    (both are central-difference Hessians of the same function with lme4's steps; worst seen
 *    5.5e-5), θ within 1e-3 (worst 1.2e-4: g068's θ is poorly determined, ours 5e-10 lower).
 *
 * glmer's problems, not ours (the evidence is in test/fixtures/random-glmm/glmer.json and asserted
 * below where it explains a difference):
 *  - its reported −2ℓ is its deviance function with PIRLS stopped at tolPwrss = 1e-7 and log|L|²
 *    from the previous iteration's weights: from 1.8e-3 below to 9.5e-3 above the converged deviance
 *    at the same (θ, β). Where it reports less than our optimum (g071 by 1.8e-3, g065 1.6e-3, g042
 *    3.7e-4, g073 3.2e-4, g038 1.6e-4 …), the converged deviance at its own point is not below ours.
 *  - its optimizers stop short: against the best exact value, the default fits up to 8.1e-3 above
 *    (g024, "failed to converge with max|grad| = 0.112"; g003 6.8e-3; g052 2.3e-3), bobyqa up to
 *    0.148 (g052), without the nAGQ = 0 stage up to 0.485 (g066); the tight fits within 8.5e-4.
 *  - the exact-deviance optimization failed in R for g052 and g066 (cloglog and probit, two
 *    correlated slopes: "PIRLS step-halvings failed to reduce deviance in pwrssUpdate" at a trial
 *    point); there the best exact value is that at glmer's optima, and β and SEs are not compared.
 *
 * Our bugs this test found (each has a focused test below):
 *  - singular vector-term fits stopped at a boundary point of the Cholesky parametrization that is
 *    not a minimum in Σ (g080: −2ℓ 0.92 above glmer, g024 0.75, g021 2.8e-3): glmer's stages now run
 *    the θ optimizer with restarts from the boundary, as lmer does (src/glmm/objectives.ts).
 *  - PIRLS stopped early with a probit or cloglog link: Newton's quadratic prediction of the next
 *    step, and the penalized deviance's stall, ended Fisher scoring's linear convergence with η up to
 *    2e-7 from the mode (src/glmm/pirls.ts stopAfter).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { glmer } from '../src/fit/glmer.js';
import { buildGlmm } from '../src/glmm/model.js';
import { PirlsEngine } from '../src/glmm/pirls.js';
import { ghRule } from '../src/glmm/rmath.js';
import { thetaToInternal } from '../src/model/reparam.js';
import { generateRandomGlmms } from './oracle/randomGlmms.js';

const dir = join(import.meta.dirname, 'fixtures', 'random-glmm');

interface GlmerRun {
  objective: number; theta: number[]; beta: number[]; se: number[]; feval: number; singular: boolean; messages: string[];
  error?: string;
}
interface Point { label: string; theta: number[]; beta: number[]; value: number; default_devfun: number }
interface GlmerCase {
  name: string;
  formula: string;
  family: 'binomial' | 'poisson';
  link: 'logit' | 'probit' | 'cloglog' | 'log';
  nAGQ: number;
  theta_names: string[];
  beta_names: string[];
  objective_at: Point[];
  exact: { value?: number; theta?: number[]; beta?: number[]; se?: number[] | null; error?: string };
  default: GlmerRun;
  bobyqa: GlmerRun;
  tight: GlmerRun;
  noinit: GlmerRun;
}
interface IndexCase {
  name: string; formula: string; family: 'binomial' | 'poisson'; link: GlmerCase['link']; nAGQ: number; weights: string | null;
  shape: string; response: string; data: string; nobs: number;
}

const index = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as { seed: number; count: number; cases: IndexCase[] };
const ref = JSON.parse(readFileSync(join(dir, 'glmer.json'), 'utf8')) as { lme4: string; cases: GlmerCase[] };
const byName = new Map(index.cases.map((c) => [c.name, c]));
const glmerCase = new Map(ref.cases.map((c) => [c.name, c]));
const table = (name: string) => readCsv(readFileSync(join(dir, `${name}.csv`), 'utf8')).table;
const options = (name: string) => {
  const c = byName.get(name)!;
  return { family: c.family, link: c.link, nAGQ: c.nAGQ, weights: c.weights ?? undefined };
};
const RUNS = ['default', 'bobyqa', 'tight', 'noinit'] as const;
/** the lowest exact deviance at glmer's optima and at the exact optimum */
const bestExact = (c: GlmerCase) => Math.min(...c.objective_at.filter((p) => p.label !== 'away').map((p) => p.value), c.exact.value ?? Infinity);

/** our deviance (Laplace, or AGQ with the case's nodes) at lme4's θ and β, PIRLS from a cold start */
function devianceAt(name: string, points: { theta: number[]; beta: number[] }[]): number[] {
  const c = glmerCase.get(name)!;
  const model = buildGlmm(c.formula, table(name), options(name));
  expect(model.theta.names).toEqual(c.theta_names);
  expect(model.frame.xnames).toEqual(c.beta_names);
  const engine = new PirlsEngine(model.pirls);
  const rule = c.nAGQ > 1 ? ghRule(c.nAGQ) : null;
  return points.map((pt) => {
    engine.reset();
    const r = engine.run(thetaToInternal(model, pt.theta), pt.beta);
    return rule ? engine.agq(rule) : r.laplace;
  });
}

describe('random GLMMs: the fixtures', () => {
  it('are what the seeded generator makes (the data R fitted)', () => {
    const cases = generateRandomGlmms(index.seed, index.count);
    expect(cases.length).toBeGreaterThanOrEqual(60);
    expect(cases.map(({ name, formula, family, link, nAGQ, weights, shape, response, nobs }) => ({ name, formula, family, link, nAGQ, weights, shape, response, data: `${name}.csv`, nobs }))).toEqual(index.cases);
    for (const c of cases) expect(readFileSync(join(dir, `${c.name}.csv`), 'utf8')).toBe(c.csv);
    expect(ref.cases.map((c) => [c.name, c.formula, c.family, c.link, c.nAGQ])).toEqual(index.cases.map((c) => [c.name, c.formula, c.family, c.link, c.nAGQ]));
  });

  it('cover every shape, response, link and quadrature, singular and non-singular fits', () => {
    const count = (f: (c: IndexCase) => string) => new Set(index.cases.map(f)).size;
    expect(count((c) => c.shape)).toBe(7);
    expect(count((c) => c.response)).toBe(5);
    expect(count((c) => c.link)).toBe(4);
    expect(index.cases.filter((c) => c.nAGQ > 1).length).toBeGreaterThanOrEqual(15);
    expect(count((c) => String(c.nAGQ))).toBeGreaterThanOrEqual(8);
    const singular = ref.cases.filter((c) => c.default.singular).length;
    expect(singular).toBeGreaterThan(20);
    expect(ref.cases.length - singular).toBeGreaterThan(40);
    // every glmer run finished (an error would be recorded instead of its optimum)
    for (const c of ref.cases) for (const k of RUNS) expect(c[k].error, `${c.name} ${k}`).toBeUndefined();
  });

  it('record glmer\'s reported −2ℓ as its default deviance function, which is not the converged deviance', () => {
    let below = 0, above = 0;
    for (const c of ref.cases) {
      const at = new Map(c.objective_at.map((p) => [p.label, p]));
      // the reported −2ℓ is the default deviance function at the default fit's (θ, β) ...
      expect(Math.abs(at.get('default')!.default_devfun - c.default.objective)).toBeLessThan(1e-9 * c.default.objective);
      // ... which differs from the converged deviance there by PIRLS's early stop, either way
      for (const k of RUNS) {
        const lag = c[k].objective - at.get(k)!.value;
        if (lag < -1e-4) below++;
        if (lag > 1e-4) above++;
      }
    }
    expect(below).toBeGreaterThan(0);
    expect(above).toBeGreaterThan(0);
  });
});

describe('random GLMMs: our deviance at glmer\'s (θ, β) is glmer\'s converged deviance function there', () => {
  it.each(ref.cases.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const ours = devianceAt(name, c.objective_at);
    c.objective_at.forEach((pt, k) => expect(Math.abs(ours[k] - pt.value) / pt.value, pt.label).toBeLessThan(1e-11));
  });
});

describe('random GLMMs: our optimum is no worse than glmer\'s', () => {
  it.each(ref.cases.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const fit = await glmer(c.formula, table(name), options(name));
    expect(fit.converged).toBe(true);
    expect(fit.model.theta.names).toEqual(c.theta_names);
    expect(fit.objective).toBeLessThanOrEqual(bestExact(c) + 1e-8);
    // where glmer reports less, its own point's converged deviance is not below ours (see the header)
    for (const k of RUNS) if (c[k].objective < fit.objective) expect(c.objective_at.find((p) => p.label === k)!.value).toBeGreaterThanOrEqual(fit.objective - 1e-8);
    const { se, beta, theta } = c.exact;
    if (fit.singular || !se || !beta || !theta) return;
    c.beta_names.forEach((b, j) => {
      expect(Math.abs(fit.fixef[b] - beta[j]) / se[j], b).toBeLessThan(1e-4);
      expect(Math.abs(fit.se[b] - se[j]) / se[j], `SE of ${b}`).toBeLessThan(5e-4);
    });
    fit.theta.forEach((t, k) => expect(Math.abs(t - theta[k]), c.theta_names[k]).toBeLessThan(1e-3 * Math.max(1, Math.abs(theta[k]))));
  });

  it('compares β and SEs on most cases', () => {
    expect(ref.cases.filter((c) => !c.default.singular && c.exact.se).length).toBeGreaterThanOrEqual(55);
  });
});

describe('random GLMMs: the bugs they found', () => {
  it('g080: a singular (x | g) fit leaves the boundary of the Cholesky parametrization for a lower one in Σ', async () => {
    // the fit stopped at θ_int = (0, 0, 0.50), −2ℓ = 1950.8056: no descent along θ's coordinates,
    // but the same Σ with its column turned gives one (glmer: 1949.8857 at θ_int ≈ (0.032, −0.50, 0))
    const c = glmerCase.get('g080')!;
    const fit = await glmer(c.formula, table('g080'), options('g080'));
    expect(fit.objective).toBeLessThan(1949.88571);
    expect(fit.objective).toBeLessThanOrEqual(bestExact(c) + 1e-8);
    // stage 1 (θ with β from PIRLS) meets the same boundary point and leaves it
    expect(fit.stage1.message).toMatch(/restarted from the boundary \(term 1, diagonal entry 1 of 2/);
    expect(fit.singular).toBe(true);
  });

  it('g052: PIRLS with the cloglog link runs Fisher scoring to convergence, not to Newton\'s quadratic prediction', () => {
    // steps shrinking by 0.55 each: PIRLS stopped 2e-7 from the mode in η, the Laplace deviance
    // 1.4e-8 above its converged value (a cold start) and moving by ~1e-8 with each further run
    const c = glmerCase.get('g052')!;
    const pt = c.objective_at.find((p) => p.label === 'bobyqa')!;
    const model = buildGlmm(c.formula, table('g052'), options('g052'));
    const engine = new PirlsEngine(model.pirls);
    const theta = thetaToInternal(model, pt.theta);
    const runs = Array.from({ length: 4 }, () => engine.run(theta, pt.beta).laplace);
    for (const v of runs) expect(Math.abs(v - runs[3])).toBeLessThan(1e-11 * v);
    expect(Math.abs(runs[0] - pt.value)).toBeLessThan(1e-11 * pt.value);
  });
});
