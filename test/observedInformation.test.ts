/**
 * PIRLS's Newton steps with the observed information for the non-canonical links (probit, cloglog,
 * the negative binomial's log; src/glmm/rowPass.ts observedRows, src/glmm/family.ts observedFactor)
 * against Fisher scoring, the general path (PirlsEngine's `observedInformation: false`): the same
 * Laplace deviance at fixed (θ, β), in fewer iterations.
 *
 * Both iterations converge η to 1e-12 and take log|L|² at the expected information of the mode
 * (lme4's), so they agree to the rounding of the deviance: 1e-11 relative asserted (the tolerance
 * test/randomGlmms.test.ts holds glmer's converged deviance function to).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { makeFamily, type LinkName, type FamilyName } from '../src/glmm/family.js';
import { buildGlmm } from '../src/glmm/model.js';
import { PirlsEngine } from '../src/glmm/pirls.js';
import { thetaToInternal } from '../src/model/reparam.js';

const dir = join(import.meta.dirname, 'fixtures', 'random-glmm');
interface Point { label: string; theta: number[]; beta: number[] }
interface GlmerCase { name: string; formula: string; family: 'binomial'; link: LinkName; nAGQ: number; objective_at: Point[] }
const cases = (JSON.parse(readFileSync(join(dir, 'glmer.json'), 'utf8')) as { cases: GlmerCase[] }).cases;
const index = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as { cases: { name: string; weights: string | null }[] };
const weightsOf = new Map(index.cases.map((c) => [c.name, c.weights]));

describe('observedFactor: −∂²ℓ/∂η² over the expected information, by central differences of the deviance', () => {
  const cases: [FamilyName, LinkName, number | undefined][] = [
    ['binomial', 'probit', undefined], ['binomial', 'cloglog', undefined], ['negative.binomial', 'log', 0.7], ['negative.binomial', 'log', 25],
    ['Gamma', 'log', undefined], ['inverse.gaussian', 'inverse', undefined],
  ];
  it.each(cases)('%s(%s) θ = %s', (family, link, theta) => {
    const f = makeFamily(family, link, theta);
    // ℓ per unit prior weight is −d(y, μ(η))/2 up to a constant in η
    const d = (y: number, eta: number) => f.devResid(y, f.linkinv(eta), 1);
    const ys = family === 'binomial' ? [0, 1, 0.3] : f.hasScale ? [0.05, 2, 17] : [0, 2, 17];
    // (cloglog beyond η ≈ 1.5: 1 − μ = exp(−e^η) loses its digits, and the differences with it;
    // the inverse link needs η > 0)
    const etas = link === 'inverse' ? [0.05, 0.3, 1, 2.8] : [-3, -1.2, -0.3, 0, 0.4, 1.5, ...(link === 'cloglog' ? [] : [2.8])];
    for (const eta of etas) {
      for (const y of ys) {
        const h = 1e-3;
        const observed = (d(y, eta + h) - 2 * d(y, eta) + d(y, eta - h)) / (2 * h * h);
        const mu = f.linkinv(eta), me = f.muEta(eta);
        const expected = (me * me) / f.variance(mu);
        const factor = f.observedFactor!(y, eta, mu, me);
        expect(factor).toBeGreaterThanOrEqual(0);
        // the differences' truncation (h² d⁗/12, ~1e-7 relative) and rounding (4ε |d| / h²)
        const rounding = (4 * Number.EPSILON * Math.abs(d(y, eta))) / (h * h);
        expect(Math.abs(factor * expected - observed), `y ${y} η ${eta}`).toBeLessThan(1e-5 * Math.max(1e-3, observed) + rounding);
      }
    }
  });
  it('is absent for the canonical links', () => {
    expect(makeFamily('binomial', 'logit').observedFactor).toBeUndefined();
    expect(makeFamily('poisson', 'log').observedFactor).toBeUndefined();
  });
});

describe('Newton\'s PIRLS against Fisher scoring at fixed (θ, β): the random GLMMs with probit and cloglog', () => {
  const chosen = cases.filter((c) => c.link === 'probit' || c.link === 'cloglog');
  it('has cases of both links', () => {
    expect(chosen.filter((c) => c.link === 'probit').length).toBeGreaterThan(5);
    expect(chosen.filter((c) => c.link === 'cloglog').length).toBeGreaterThan(5);
  });
  it.each(chosen.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const table = readCsv(readFileSync(join(dir, `${name}.csv`), 'utf8')).table;
    const model = buildGlmm(c.formula, table, { family: c.family, link: c.link, weights: weightsOf.get(name) ?? undefined });
    const newton = new PirlsEngine(model.pirls);
    const fisher = new PirlsEngine(model.pirls, { observedInformation: false });
    let itNewton = 0, itFisher = 0;
    for (const pt of c.objective_at) {
      // cold (reset) and warm (from the previous point) starts, β fixed
      for (const cold of [true, false]) {
        if (cold) { newton.reset(); fisher.reset(); }
        const a = newton.run(thetaToInternal(model, pt.theta), pt.beta);
        const b = fisher.run(thetaToInternal(model, pt.theta), pt.beta);
        expect(Math.abs(a.laplace - b.laplace) / b.laplace, `${pt.label} cold ${cold}`).toBeLessThan(1e-11);
        itNewton += a.iterations;
        itFisher += b.iterations;
      }
    }
    // β free (glmer's first stage) from a cold start
    newton.reset(); fisher.reset();
    const th = thetaToInternal(model, c.objective_at[0].theta);
    const a = newton.run(th, null), b = fisher.run(th, null);
    expect(Math.abs(a.laplace - b.laplace) / b.laplace).toBeLessThan(1e-11);
    itNewton += a.iterations;
    itFisher += b.iterations;
    expect(itNewton).toBeLessThanOrEqual(itFisher);
  });
});

describe('Newton\'s PIRLS against Fisher scoring: the negative binomial', () => {
  it('nbsim (crossed factors) at the glmer.nb fit and away from it, with glmer.nb\'s size', () => {
    const ref = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'negbin', 'nbsim.json'), 'utf8'));
    const table = readCsv(readFileSync(join(import.meta.dirname, 'fixtures', 'negbin', ref.data), 'utf8')).table;
    const model = buildGlmm(ref.formula, table, { family: 'negative.binomial', theta: ref.glmer_nb.nb_size, factors: ref.factors });
    const newton = new PirlsEngine(model.pirls);
    const fisher = new PirlsEngine(model.pirls, { observedInformation: false });
    const beta: number[] = Object.values(ref.glmer_nb.fixef);
    let itNewton = 0, itFisher = 0;
    for (const scale of [1, 0.5, 2]) {
      const theta = (ref.glmer_nb.theta as number[]).map((t) => t * scale);
      const a = newton.run(thetaToInternal(model, theta), beta);
      const b = fisher.run(thetaToInternal(model, theta), beta);
      expect(Math.abs(a.laplace - b.laplace) / b.laplace).toBeLessThan(1e-11);
      itNewton += a.iterations;
      itFisher += b.iterations;
    }
    expect(itNewton).toBeLessThan(itFisher);
  });

});
