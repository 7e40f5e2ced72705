/**
 * The negative binomial GLMM (family.ts, rmath.ts, thetaMl.ts, src/optim/fmin.ts, src/fit/glmerNb.ts) against lme4 1.1-31's glmer.nb and MASS 7.3
 * (test/oracle/negbin.R; fixtures in test/fixtures/negbin).
 *
 * Unit level: digamma/trigamma 1e-13 relative; the family's variance, deviance residuals and aic
 * 1e-13; theta.ml 1e-10 relative; R's optimize(): the same evaluation points (1e-12) and minimizer.
 * Objective at fixed (θ_nb, θ, β): the exact Laplace deviance (lme4's deviance function with
 * PIRLS converged, exact_laplace.R) to 1e-8, stage 1 (β from PIRLS) likewise.
 * Fitted (issue #13's tolerances): the NB size θ 1e-4 relative, β 1e-4 relative, SE 1e-3 relative,
 * −2ℓ within 1e-4 of glmer.nb's or lower — against the exact profile's optimum (the "exact"
 * references) and against glmer.nb's defaults. glmer.nb's own −2ℓ carries glmer's PIRLS error:
 * at its estimates the exact Laplace deviance is 6.8e-4 below its reported value (grouseticks)
 * and 2.2e-4 above it (nbsim), so the bar for −2ℓ is the exact deviance at glmer.nb's estimates.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { digamma, lgamma, trigamma } from '../src/glmm/rmath.js';
import { makeFamily } from '../src/glmm/family.js';
import { thetaMl } from '../src/glmm/thetaMl.js';
import { fmin } from '../src/optim/fmin.js';
import { glmer } from '../src/fit/glmer.js';
import { glmerNb } from '../src/fit/glmerNb.js';
import { DataError, OptionError } from '../src/errors/errors.js';
import { buildGlmm } from '../src/glmm/model.js';
import { PirlsEngine } from '../src/glmm/pirls.js';
import { thetaToInternal } from '../src/model/reparam.js';
import { parseFormula } from '../src/formula/parse.js';
import { buildModelFrame } from '../src/frame/modelFrame.js';
import { evalExpr } from '../src/frame/columns.js';
import { tableFromArrays } from 'apache-arrow';
import { checkModes } from './helpers/relmat.js';

const dir = join(import.meta.dirname, 'fixtures', 'negbin');
const json = <T = any>(f: string): T => JSON.parse(readFileSync(join(dir, f), 'utf8'));
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const unit = json('unit.json');

function table(file: string) {
  const path = file.startsWith('../data/') ? join(import.meta.dirname, 'fixtures', 'data', file.slice(8)) : join(dir, file);
  return readCsv(readFileSync(path, 'utf8')).table;
}

describe('R and MASS pieces', () => {
  it('digamma and trigamma', () => {
    unit.digamma.x.forEach((x: number, k: number) => expect(rel(digamma(x), unit.digamma.value[k])).toBeLessThan(1e-13));
    unit.trigamma.x.forEach((x: number, k: number) => expect(rel(trigamma(x), unit.trigamma.value[k])).toBeLessThan(1e-13));
  });
  it('the negative.binomial(θ) family: variance, deviance residuals, aic, mustart', () => {
    const f = unit.family;
    const fam = makeFamily('negative.binomial', 'log', f.theta);
    f.y.forEach((y: number, i: number) => {
      const mu = f.mu[i];
      expect(rel(fam.variance(mu), f.variance[i])).toBeLessThan(1e-14);
      expect(Math.abs(fam.devResid(y, mu, 1) - f.dev_resids[i])).toBeLessThan(1e-13 * (1 + Math.abs(f.dev_resids[i])));
      expect(fam.mustart(y, 1)).toBeCloseTo(f.mustart[i], 15);
      // expected information weight with the log link: μ / (1 + μ/θ)
      const eta = Math.log(mu);
      expect(rel(fam.muEta(eta) ** 2 / fam.variance(fam.linkinv(eta)), mu / (1 + mu / f.theta))).toBeLessThan(1e-14);
    });
    expect(rel(fam.aic(Float64Array.from(f.y), null, Float64Array.from(f.mu), null), f.aic)).toBeLessThan(1e-13);
    f.lgamma.x.forEach((x: number, k: number) => expect(rel(lgamma(x), f.lgamma.value[k])).toBeLessThan(1e-13));
    expect(() => makeFamily('negative.binomial', 'log', 0)).toThrow(/size theta must be a positive number, got 0/);
    expect(() => makeFamily('negative.binomial')).toThrow(/needs its size theta/);
  });
  it('theta.ml', () => {
    const { y, mu, cases } = unit.theta_ml;
    for (const c of cases) {
      const r = thetaMl(y, mu, { weights: c.weights, limit: c.limit, eps: c.eps });
      expect(rel(r.theta, c.value)).toBeLessThan(1e-10);
      expect(rel(r.se, c.se)).toBeLessThan(1e-8);
    }
  });
  it('optimize(): the same evaluation points as R', () => {
    const fns: Record<string, (x: number) => number> = {
      '(x - 1/3)^2': (x) => (x - 1 / 3) ** 2,
      'sin(x) + cos(3x)': (x) => Math.sin(x) + Math.cos(3 * x),
      '|x - 0.7|': (x) => Math.abs(x - 0.7),
      'exp(x) - 3x': (x) => Math.exp(x) - 3 * x,
      'x^4 - x': (x) => x ** 4 - x,
    };
    for (const c of unit.fmin) {
      const xs: number[] = [];
      const xmin = fmin((x) => { xs.push(x); return fns[c.label](x); }, c.lower, c.upper, c.tol);
      // optimize() evaluates f once more at the minimizer, for its `objective`
      xs.push(xmin);
      expect(xs.length).toBe(c.evals.length);
      xs.forEach((x, k) => expect(Math.abs(x - c.evals[k])).toBeLessThan(1e-12 * (1 + Math.abs(x))));
      expect(Math.abs(xmin - c.minimum)).toBeLessThan(1e-12);
    }
  });
  it('scale() as R: centre and SD over all rows of the data; reused for new data', () => {
    const t = table('../data/grouseticks.csv');
    const fr = buildModelFrame(parseFormula('TICKS ~ YEAR + scale(HEIGHT) + (1 | LOCATION)'), t, { factors: ['YEAR', 'LOCATION'] });
    expect(fr.xnames).toEqual(['(Intercept)', 'YEAR96', 'YEAR97', 'scale(HEIGHT)']);
    const [p] = [...fr.scales.values()] as { center: number; scale: number }[];
    // R: attributes(scale(grouseticks$HEIGHT))
    expect(rel(p.center, 462.24069478908189)).toBeLessThan(1e-15);
    expect(rel(p.scale, 35.956498475249845)).toBeLessThan(1e-15);
    expect(rel(fr.X[3 * fr.n], 0.076740097838432289)).toBeLessThan(1e-13);
    // R evaluates scale() before dropping incomplete rows: a missing response leaves the centre as it is
    const d = tableFromArrays({ y: Float64Array.from([1, NaN, 3, 4]), x: Float64Array.from([1, 2, 3, 10]), g: ['a', 'b', 'a', 'b'] });
    const f2 = buildModelFrame(parseFormula('y ~ scale(x) + (1 | g)'), d, {});
    expect(f2.n).toBe(3);
    expect(Array.from(f2.X.subarray(3, 6)).map((v) => +v.toFixed(7))).toEqual([-0.7348469, -0.2449490, 1.4696938]);
    // new data: the fit's centre and scale
    const expr = parseFormula('y ~ scale(x) + (1 | g)').fixed.terms.find((tm) => tm.vars.length > 0)!.vars[0].expr;
    const c = evalExpr(expr, () => ({ kind: 'numeric', values: Float64Array.from([4, 8.0824829]) }), 'scale(x)', 2, f2.scales);
    expect(c.kind === 'numeric' && Array.from(c.values).map((v) => +v.toFixed(6))).toEqual([0, 1]);
    expect(() => buildModelFrame(parseFormula('y ~ scale(x) + (1 | g)'), tableFromArrays({ y: Float64Array.from([1, 2, 3]), x: Float64Array.from([2, 2, 2]), g: ['a', 'b', 'a'] }), {}))
      .toThrow(/scale\(\) in 'scale\(x\)': the variable is constant \(2\)/);
  });
});

interface NbRef {
  name: string; data: string; formula: string; factors: string[];
  glmer_nb: { nb_size: number; theta0: number; theta: number[]; fixef: Record<string, number>; se: Record<string, number>; deviance_laplace: number; exact_at_default: number; aic: number };
  exact: {
    nb_size: number; theta: number[]; fixef: Record<string, number>; se: Record<string, number>; deviance_laplace: number; aic: number;
    objective_at: { theta: number[]; beta: number[]; value: number }[]; objective0_at: { theta: number[]; value: number }[];
    ranef: { group: string; levels: string[]; values: Record<string, number[]> }[];
  };
  glmmTMB: { nb_size: number; deviance: number };
}

describe('the NB2 Laplace deviance at fixed (θ_nb, θ, β), against lme4\'s deviance function', () => {
  const cases: [string, (r: any) => NbRef['exact']][] = [
    ['grouseticks_nb', (r) => r.exact], ['nbsim', (r) => r.exact], ['grouseticks_nb_theta2', (r) => r.exact],
  ];
  it.each(cases)('%s', (name, pick) => {
    const ref = json(`${name}.json`);
    const ex = pick(ref);
    const model = buildGlmm(ref.formula, table(ref.data), { family: 'negative.binomial', theta: ex.nb_size, factors: ref.factors });
    const engine = new PirlsEngine(model.pirls);
    const internal = (th: number[]) => thetaToInternal(model, th);
    for (const pt of ex.objective_at) {
      engine.reset();
      expect(Math.abs(engine.run(internal(pt.theta), pt.beta).laplace - pt.value)).toBeLessThan(1e-8);
    }
    for (const pt of ex.objective0_at) {
      engine.reset();
      expect(Math.abs(engine.run(internal(pt.theta), null).laplace - pt.value)).toBeLessThan(1e-8);
    }
  });
});

describe('glmer.nb: θ estimated', () => {
  for (const name of ['grouseticks_nb', 'nbsim']) {
    it(name, async () => {
      const ref = json<NbRef>(`${name}.json`);
      const fit = await glmer(ref.formula, table(ref.data), { family: 'negative.binomial', factors: ref.factors });
      const est = fit.thetaEstimation!;
      // the starting value from the Poisson fit (ours is the Poisson optimum, glmer's stops near it)
      expect(rel(est.theta0, ref.glmer_nb.theta0)).toBeLessThan(1e-3);
      for (const bar of [ref.exact, ref.glmer_nb]) {
        expect(rel(fit.nbSize!, bar.nb_size)).toBeLessThan(1e-4);
        for (const [k, v] of Object.entries(bar.fixef)) expect(rel(fit.fixef[k], v)).toBeLessThan(1e-4);
        for (const [k, v] of Object.entries(bar.se)) expect(rel(fit.se[k], v)).toBeLessThan(1e-3);
        bar.theta.forEach((t, k) => expect(Math.abs(fit.theta[k] - t)).toBeLessThan(1e-3));
      }
      expect(fit.objective).toBeLessThan(ref.exact.deviance_laplace + 1e-6);
      expect(fit.objective).toBeLessThan(ref.glmer_nb.exact_at_default + 1e-6);
      expect(fit.df).toBe(Object.keys(ref.exact.fixef).length + ref.exact.theta.length + 1);
      expect(Math.abs(fit.AIC - ref.exact.aic)).toBeLessThan(1e-4);
      checkModes(fit, ref.exact.ranef, 1e-4);
      const j = fit.toJSON();
      expect(j.nb_size).toBe(fit.nbSize);
      expect(j.nb_size_estimated).toBe(true);
      expect(fit.summary()).toMatch(new RegExp(` Family: Negative Binomial\\(${fit.nbSize!.toFixed(4).replace(/0+$/, '').replace('.', '\\.')}\\)  \\( log \\)`));
    }, 120_000);
  }
  it('θ fixed at 2 (glmer with negative.binomial(2))', async () => {
    const ref = json(`grouseticks_nb_theta2.json`);
    const fit = await glmer(ref.formula, table(ref.data), { family: 'negative.binomial', factors: ref.factors, theta: 2 });
    expect(fit.nbSize).toBe(2);
    expect(fit.thetaEstimation).toBeNull();
    expect(fit.objective).toBeLessThan(ref.exact.deviance_laplace + 1e-6);
    expect(Math.abs(fit.objective - ref.exact.deviance_laplace)).toBeLessThan(1e-4);
    for (const [k, v] of Object.entries(ref.exact.fixef as Record<string, number>)) expect(rel(fit.fixef[k], v)).toBeLessThan(1e-4);
    for (const [k, v] of Object.entries(ref.exact.se as Record<string, number>)) expect(rel(fit.se[k], v)).toBeLessThan(1e-3);
    // lme4 1.1-31's npar.merMod counts a given size too: logLik(glmer(…, negative.binomial(2))) has df 6
    // (test/fixtures/glmer-drop1/drop1.json, negbin_theta2's exact.full.npar)
    expect(fit.df).toBe(6);
    expect(fit.summary()).toMatch(/ Family: Negative Binomial\(2\)  \( log \)/);
  }, 60_000);
});

describe('bad input for the negative binomial: clear errors', () => {
  const t = tableFromArrays({ y: Float64Array.from([0, 3, 1, 7, 2, 5]), g: ['a', 'a', 'b', 'b', 'c', 'c'] });
  it('negative and non-integer counts name the row; prior weights are refused; θ must be positive', async () => {
    const neg = tableFromArrays({ y: Float64Array.from([0, 3, -1, 7, 2, 5]), g: ['a', 'a', 'b', 'b', 'c', 'c'] });
    await expect(glmer('y ~ 1 + (1 | g)', neg, { family: 'negative.binomial', theta: 2 })).rejects.toThrow("the response 'y' is negative (-1) in row 3: the negative binomial family needs counts ≥ 0");
    const frac = tableFromArrays({ y: Float64Array.from([0, 3, 1.5, 7, 2, 5]), g: ['a', 'a', 'b', 'b', 'c', 'c'] });
    await expect(glmer('y ~ 1 + (1 | g)', frac, { family: 'negative.binomial' })).rejects.toThrow("the response 'y' is not a whole number (1.5) in row 3: the negative binomial family needs integer counts");
    await expect(glmer('y ~ 1 + (1 | g)', t, { family: 'negative.binomial', theta: 2, weights: [1, 2, 1, 1, 1, 1] })).rejects.toThrow(/prior weights other than 1 are not supported for the negative binomial family/);
    await expect(glmer('y ~ 1 + (1 | g)', t, { family: 'negative.binomial', theta: 0 })).rejects.toThrow('the negative binomial size theta must be a positive number, got 0');
    await expect(glmer('y ~ 1 + (1 | g)', t, { family: 'poisson', theta: 2 })).rejects.toThrow("theta is the negative binomial's size; the poisson family has none");
    await expect(glmer('y ~ 1 + (1 | g)', t, { family: 'negative.binomial', nAGQ: 3 })).rejects.toThrow(/fitted with the Laplace approximation \(nAGQ = 1\), as glmer.nb/);
  });
  it("the errors are the package's own types (DataError for the data, OptionError naming the option)", async () => {
    const neg = tableFromArrays({ y: Float64Array.from([0, 3, -1, 7, 2, 5]), g: ['a', 'a', 'b', 'b', 'c', 'c'] });
    await expect(glmer('y ~ 1 + (1 | g)', neg, { family: 'negative.binomial', theta: 2 })).rejects.toBeInstanceOf(DataError);
    await expect(glmer('y ~ 1 + (1 | g)', t, { family: 'negative.binomial', theta: 2, weights: [1, 2, 1, 1, 1, 1] })).rejects.toBeInstanceOf(DataError);
    await expect(glmer('y ~ 1 + (1 | g)', t, { family: 'negative.binomial', theta: 0 })).rejects.toMatchObject({ name: 'OptionError', option: 'theta' });
    await expect(glmer('y ~ 1 + (1 | g)', t, { family: 'negative.binomial', theta: '2' as never })).rejects.toMatchObject({ name: 'OptionError', option: 'theta' });
    await expect(glmer('y ~ 1 + (1 | g)', t, { family: 'poisson', theta: 2 })).rejects.toMatchObject({ name: 'OptionError', option: 'theta' });
    await expect(glmer('y ~ 1 + (1 | g)', t, { family: 'negative.binomial', nAGQ: 3 })).rejects.toMatchObject({ name: 'OptionError', option: 'nAGQ' });
    await expect(glmerNb('y ~ 1 + (1 | g)', t, { tol: -1 })).rejects.toMatchObject({ name: 'OptionError', option: 'tol' });
    await expect(glmerNb('y ~ 1 + (1 | g)', t, { interval: [2, 1] })).rejects.toMatchObject({ name: 'OptionError', option: 'interval' });
    await expect(glmerNb('y ~ 1 + (1 | g)', t, { family: 'poisson' } as never)).rejects.toThrow(/glmerNb: unknown option 'family'/);
    expect(() => makeFamily('negative.binomial', 'log', 0)).toThrow(OptionError);
  });
});
