/**
 * Adaptive product-rule Gauss–Hermite quadrature for one grouping factor with a vector term
 * (src/glmm/agqVector.ts; glmer's nAGQ > 1 with `(1 + x | g)`, `(x || g)`), against an independent R
 * implementation (test/oracle/agq_vector.R; fixtures in test/fixtures/agq_vector, R 4.2.2 with
 * statmod 1.5.0, cubature 2.0.4.6, minqa 1.2.5, numDeriv, lme4 1.1-31 for the start and the q = 1 check):
 * its product rule (a), validated there against cubature::hcubature (b) to 1e-8 (seen ≤ 3e-11).
 *
 * - the deviance at the oracle's fixed (θ, β) (lme4's Laplace optimum and a point 20% / 10% off it)
 *   for K = 5, 9, 25 against (a) to 1e-8 relative (the brief's level), and K = 25 against (b) too;
 * - K = 1 is the Laplace deviance with the deviance residuals, log|L|² + ‖ũ‖² + Σ d(y, μ̃), to 1e-12;
 *   q = 1 (agqVectorDeviance on a scalar term) is agq.ts's (lme4's glmerAGQ) to 1e-12, and (a) at q = 1
 *   is lme4's own nAGQ deviance function (the oracle asserts 1e-8; here ours against lme4's to 1e-8);
 * - the fit at K = 5 and 9 against (a)'s optimum by bobyqa (rhoend 1e-9) from lme4's Laplace fit:
 *   −2ℓ to 1e-6 absolute (~2e-9 relative; ours may be lower; seen ≤ 5e-12), θ and β to 1e-5 of
 *   max(1, |v|) (seen ≤ 4e-7: the two optimizers' stopping rules), SEs to 1e-5 relative (seen ≤ 1e-6:
 *   finite-difference Hessians of the same objective, numDeriv's Richardson extrapolation there, lme4's
 *   stencil here); fixed points agree to ~1e-15, K = 25 with hcubature to 8e-11.
 * The product rule is not invariant to rotations of u, so it is defined in lme4's spherical u (Λ from
 * lme4's θ): glmer with nAGQ > 1 skips the internal centring (src/model/reparam.ts `centre`), and
 * buildGlmm is given nAGQ here for the same model.
 *
 * - the refusals: several grouping factors, K^q above the node budget, a covariance structure.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { glmer } from '../src/fit/glmer.js';
import { buildGlmm } from '../src/glmm/model.js';
import { PirlsEngine } from '../src/glmm/pirls.js';
import { ghRule } from '../src/glmm/rmath.js';
import { AGQ_NODE_BUDGET, agqVectorDeviance, productRule } from '../src/glmm/agqVector.js';
import { agqDeviance } from '../src/glmm/agq.js';
import { thetaToInternal } from '../src/model/reparam.js';
import { ModelError } from '../src/errors/errors.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';
import { runFit, type CliIO } from '../src/cli/fitCommand.js';

const dir = join(import.meta.dirname, 'fixtures', 'agq_vector');
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const table = (file: string) => readCsv(readFileSync(join(dir, file), 'utf8')).table;

interface Ref {
  name: string; data: string; formula: string; family: 'binomial' | 'poisson';
  laplace: { theta: number[]; beta: number[]; deviance: number };
  at: { theta: number[]; beta: number[]; K5: number; K9: number; K25: number; hcubature: number }[];
  fits: { nAGQ: number; theta: number[]; beta: number[]; deviance: number; se: number[]; evaluations: number }[];
}
const load = (name: string): Ref => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
const CASES = ['binary_slopes', 'binary_diag', 'poisson_slopes'];

/** PIRLS's state after engine.agq (η, μ synchronized): its fields, for the identities */
function stateOf(engine: PirlsEngine) {
  const e = engine as unknown as { lastChol: { Lkk: Float64Array[]; ldL2: number }; u: Float64Array[]; T: Float64Array[]; eta: Float64Array; mu: Float64Array };
  return { L: e.lastChol.Lkk[0], ldL2: e.lastChol.ldL2, u: e.u[0], T: e.T[0], eta: e.eta, mu: e.mu };
}

describe("the product-rule AGQ deviance at the oracle's fixed (θ, β)", () => {
  it.each(CASES)("%s: K = 5, 9, 25 against R's product rule, K = 25 against hcubature", (name) => {
    const ref = load(name);
    const model = buildGlmm(ref.formula, table(ref.data), { family: ref.family, nAGQ: 25 });
    expect(model.blocks.length).toBe(1);
    expect(model.blocks[0].q).toBe(2);
    const engine = new PirlsEngine(model.pirls);
    for (const pt of ref.at) {
      for (const [K, r] of [[5, pt.K5], [9, pt.K9], [25, pt.K25]] as const) {
        engine.reset();
        engine.run(thetaToInternal(model, pt.theta), pt.beta);
        expect(rel(engine.agq(ghRule(K)), r)).toBeLessThan(1e-8);
      }
      expect(rel(engine.agq(ghRule(25)), pt.hcubature)).toBeLessThan(1e-8);
      // the rule matters at this tolerance: K = 5 and K = 25 differ by far more than 1e-8
      expect(rel(pt.K5, pt.K25)).toBeGreaterThan(1e-6);
    }
  });
});

describe('the identities', () => {
  it.each(CASES)('%s: K = 1 is the Laplace deviance with the deviance residuals, to 1e-12', (name) => {
    const ref = load(name);
    const model = buildGlmm(ref.formula, table(ref.data), { family: ref.family, nAGQ: 25 });
    const engine = new PirlsEngine(model.pirls);
    for (const pt of ref.at) {
      engine.reset();
      const r = engine.run(thetaToInternal(model, pt.theta), pt.beta);
      const v = engine.agq(ghRule(1));
      expect(rel(v, r.ldL2 + r.sqrU + r.devResid)).toBeLessThan(1e-12);
      // and not the 2-node rule (which moves it)
      expect(rel(engine.agq(ghRule(2)), v)).toBeGreaterThan(1e-8);
    }
  });

  it('q = 1: the product rule on a scalar term is agq.ts (lme4\'s glmerAGQ) to 1e-12, and lme4\'s deviance function to 1e-8', () => {
    const refs = JSON.parse(readFileSync(join(dir, 'scalar_lme4.json'), 'utf8')) as { data: string; nAGQ: number; theta: number | number[]; beta: number[]; lme4: number; rule: number }[];
    expect(refs.length).toBe(4);
    for (const r of refs) {
      const family = r.data === 'binary.csv' ? 'binomial' : 'poisson';
      const model = buildGlmm('y ~ x + (1 | g)', table(r.data), { family, nAGQ: r.nAGQ });
      const engine = new PirlsEngine(model.pirls);
      engine.run(thetaToInternal(model, [r.theta].flat()), r.beta);
      const rule = ghRule(r.nAGQ);
      const scalar = engine.agq(rule);
      const s = stateOf(engine);
      const vector = agqVectorDeviance({ model: model.pirls, ...s }, rule);
      expect(rel(vector, agqDeviance({ model: model.pirls, L: s.L, ldL2: s.ldL2, u: s.u, t: s.T[0], eta: s.eta, mu: s.mu }, rule))).toBeLessThan(1e-12);
      expect(rel(vector, scalar)).toBeLessThan(1e-12);
      expect(rel(scalar, r.lme4)).toBeLessThan(1e-8);
      expect(rel(r.rule, r.lme4)).toBeLessThan(1e-8);
    }
  });

  it('(0 + f | g), a factor\'s indicator columns (q = 2): K = 1 is the Laplace deviance, and the rule converges in K', async () => {
    // f: the sign of x as a two-level factor column added to the binary data
    const lines = readFileSync(join(dir, 'binary.csv'), 'utf8').trim().split('\n');
    const csv = [lines[0] + ',f', ...lines.slice(1).map((l) => `${l},${Number(l.split(',')[1]) > 0 ? 'pos' : 'neg'}`)].join('\n');
    const d = readCsv(csv).table;
    const model = buildGlmm('y ~ x + (0 + f | g)', d, { family: 'binomial', factors: ['f'], nAGQ: 9 });
    expect(model.blocks[0].q).toBe(2);
    const engine = new PirlsEngine(model.pirls);
    const r = engine.run(thetaToInternal(model, [0.9, 0.3, 0.7]), [-0.3, 0.8]);
    expect(rel(engine.agq(ghRule(1)), r.ldL2 + r.sqrU + r.devResid)).toBeLessThan(1e-12);
    const v9 = engine.agq(ghRule(9)), v15 = engine.agq(ghRule(15)), v25 = engine.agq(ghRule(25));
    expect(rel(v15, v25)).toBeLessThan(1e-8);
    expect(rel(v9, v25)).toBeLessThan(1e-5);
    const fit = (await glmer('y ~ x + (0 + f | g)', d, { family: 'binomial', factors: ['f'], nAGQ: 5 })) as GlmmFit;
    expect(fit.converged).toBe(true);
    expect(fit.nAGQ).toBe(5);
  }, 60_000);

  it('the product grid: K^q nodes, weights W_k e^{‖z_k‖²/2} whose Gaussian-weighted sum is 1', () => {
    const rule = ghRule(5);
    const g = productRule(rule, 3);
    expect(g.nodes).toBe(125);
    // Σ_k W_k = Σ_k factor_k e^{−‖z_k‖²/2} = 1
    let s = 0;
    for (let k = 0; k < g.nodes; k++) {
      let z2 = 0;
      for (let j = 0; j < 3; j++) z2 += g.Z[k * 3 + j] ** 2;
      s += g.factor[k] * Math.exp(-z2 / 2);
    }
    expect(Math.abs(s - 1)).toBeLessThan(1e-13);
  });
});

describe('glmer(nAGQ > 1) with a vector term: the optimum against the oracle\'s', () => {
  for (const name of CASES) {
    const ref = load(name);
    for (const f of ref.fits) {
      it(`${name}, nAGQ = ${f.nAGQ}`, async () => {
        const fit = (await glmer(ref.formula, table(ref.data), { family: ref.family, nAGQ: f.nAGQ })) as GlmmFit;
        expect(fit.converged).toBe(true);
        expect(fit.nAGQ).toBe(f.nAGQ);
        expect(fit.objective).toBeLessThan(f.deviance + 1e-6);
        expect(Math.abs(fit.objective - f.deviance)).toBeLessThan(1e-6);
        fit.theta.forEach((v, i) => expect(Math.abs(v - f.theta[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(f.theta[i]))));
        f.beta.forEach((v, j) => expect(Math.abs(fit.beta[j] - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v))));
        f.se.forEach((v, j) => expect(rel(fit.coefficients[j].se, v)).toBeLessThan(1e-5));
        // the Laplace fit's optimum is a different one (the quadrature moves the estimates well beyond the tolerances)
        expect(Math.max(...fit.theta.map((v, i) => Math.abs(v - ref.laplace.theta[i])))).toBeGreaterThan(1e-3);
        expect(fit.summary().split('\n').slice(0, 2)).toEqual([
          'Generalized linear mixed model fit by maximum likelihood (Adaptive',
          `  Gauss-Hermite Quadrature, nAGQ = ${f.nAGQ}) [glmerMod]`,
        ]);
      }, 120_000);
    }
  }
});

describe('refusals', () => {
  const data = () => table('binary.csv');
  it('several grouping factors, naming them', async () => {
    const d = table('binary.csv');
    await expect(glmer('y ~ x + (1 + x | g) + (1 | x)', d, { family: 'binomial', nAGQ: 5 }))
      .rejects.toThrow(/nAGQ > 1 is only available for models whose random effects have a single grouping factor \(this model has \(x \| g\) \+ \(1 \| x\): the factors g, x\)/);
  });

  it(`K^q above the node budget (${AGQ_NODE_BUDGET}), naming K, q and K^q`, async () => {
    const p = glmer('y ~ x + (1 + x + I(x^2) | g)', data(), { family: 'binomial', nAGQ: 11 });
    await expect(p).rejects.toThrow(ModelError);
    await expect(glmer('y ~ x + (1 + x + I(x^2) | g)', data(), { family: 'binomial', nAGQ: 11 }))
      .rejects.toThrow(/nAGQ = 11 with a random-effects term of dimension q = 3 needs K\^q = 11\^3 = 1331 quadrature nodes per level, more than the budget of 1000/);
    await expect(glmer('y ~ x + (1 + x + I(x^2) | g)', data(), { family: 'binomial', nAGQ: 11 })).rejects.toThrow(/use nAGQ ≤ 10 for q = 3/);
    // 10^3 = 1000 is within it: the deviance is computed
    const model = buildGlmm('y ~ x + (1 + x + I(x^2) | g)', data(), { family: 'binomial', nAGQ: 10 });
    const engine = new PirlsEngine(model.pirls);
    engine.run(thetaToInternal(model, [0.8, 0.1, 0.05, 0.4, 0.02, 0.1]), [-0.3, 0.8]);
    expect(Number.isFinite(engine.agq(ghRule(10)))).toBe(true);
    expect(() => engine.agq(ghRule(11))).toThrow(/K\^q = 11\^3 = 1331/);
  });

  it('a covariance structure', async () => {
    await expect(glmer('y ~ x + cs(1 + x | g)', data(), { family: 'binomial', nAGQ: 5 })).rejects.toThrow(ModelError);
    await expect(glmer('y ~ x + cs(1 + x | g)', data(), { family: 'binomial', nAGQ: 5 })).rejects.toThrow(/nAGQ = 5 \(adaptive Gauss–Hermite quadrature\) is not available with the covariance structure cs\(.*\| g\): the quadrature is fitted for lme4's unstructured terms of one grouping factor only/);
  });

  it('the negative binomial (not checked against the oracle): refused for a vector term', async () => {
    await expect(glmer('y ~ x + (1 + x | g)', table('counts.csv'), { family: 'negative.binomial', theta: 2, nAGQ: 5 }))
      .rejects.toThrow(/nAGQ > 1 with a vector random-effects term \(\(x \| g\)\) is available for the binomial and Poisson families only/);
  });

  it('a family with a dispersion, as before', async () => {
    await expect(glmer('y ~ x + (1 + x | g)', data(), { family: 'Gamma', nAGQ: 5 })).rejects.toThrow(/nAGQ > 1 is not available for the Gamma family/);
  });
});

describe('mixedgpu fit --nagq with a vector term', () => {
  it('fits and titles the summary as an AGQ fit', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIO = { stdout: (s) => { out.push(s); }, stderr: (s) => { err.push(s); }, stderrIsTTY: false };
    const code = await runFit({ file: join(dir, 'binary.csv'), formula: 'y ~ x + (1 + x | g)', family: 'binomial', nagq: '9' }, io);
    expect(err.join('')).toBe('');
    expect(code).toBe(0);
    const lines = out.join('').split('\n');
    expect(lines.slice(0, 2)).toEqual([
      'Generalized linear mixed model fit by maximum likelihood (Adaptive',
      '  Gauss-Hermite Quadrature, nAGQ = 9) [glmerMod]',
    ]);
    const ref = load('binary_slopes').fits.find((f) => f.nAGQ === 9)!;
    // the printed deviance, as summary rounds it (lme4's format: 1 decimal)
    expect(out.join('')).toContain(ref.deviance.toFixed(1));
  }, 120_000);
});
