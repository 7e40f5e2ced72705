/**
 * Adaptive Gauss–Hermite quadrature (nAGQ > 1, src/glmm/agq.ts) with the links added last —
 * binomial(cauchit), binomial(log), poisson(identity), poisson(sqrt) — against lme4 1.1-31
 * (test/oracle/links_agq.R; fixtures in test/fixtures/links_agq): links.R's simulated data sets
 * (test/fixtures/links/*.csv) and cbpp with the binomial links, at nAGQ = 5, 9 and 25.
 *
 * At lme4's (θ, β) (three points per fit: glmer's optimum and two about it): the AGQ deviance against
 * lme4's deviance function with its PIRLS settled (further glmerAGQ passes until the value changes by
 * < 1e-12 relative; its Fisher-scoring PIRLS converges linearly for these links) to 1e-9 relative
 * (the brief's tight level; observed ≤ 2e-13), with Newton's and Fisher's PIRLS steps (the same mode,
 * the same L: the quadrature's scale is L's diagonal with Fisher's weights, as lme4's).
 * Where a node's μ leaves the family's range (binomial's log link, μ = exp(η) > 1) lme4's value is
 * NaN / Inf: so is ours, and glmer stops with a FitError naming the cause (lme4 reports
 * logLik = -Inf).
 * Fitted, against lme4's exact optimum (nloptwrap on the settled deviance, from glmer's fit), the
 * tolerances of test/links.test.ts (the Laplace fits of the same links): −2ℓ 1e-6 absolute (ours may
 * be lower: binomial_log's nloptwrap stopped 7e-9 above our optimum, its trial points meeting NaN);
 * θ 1e-5; β 1e-5 relative of max(1, |β|) (θ̂ and β̂ are known to ~1e-6 from either optimizer); SEs
 * 1e-4 relative (finite-difference Hessians of the same objective, each with its own steps).
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
import { FitError } from '../src/errors/errors.js';
import type { FamilyName, LinkName } from '../src/glmm/family.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const table = (file: string) => readCsv(readFileSync(join(fixtures, file), 'utf8')).table;
/** jsonlite writes R's NaN and Inf as strings */
const num = (v: number | string): number => (typeof v === 'number' ? v : v === 'Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v));

interface AgqRef {
  name: string; data: string; formula: string; family: FamilyName; link: LinkName; factors: string[];
  fits: {
    nAGQ: number;
    default: { theta: number[]; fixef: Record<string, number>; deviance: number | string; df: number };
    objective_at: { theta: number[]; beta: number[]; value: number | string }[];
    tight: null | { theta: number[]; fixef: Record<string, number>; se: Record<string, number>; deviance: number };
  }[];
}
const AGQ_LINK_CASES = ['binomial_cauchit', 'binomial_log', 'poisson_identity', 'poisson_sqrt', 'cbpp_cauchit', 'cbpp_log'];
const loadAgqRef = (name: string): AgqRef => JSON.parse(readFileSync(join(fixtures, 'links_agq', `${name}.json`), 'utf8'));
const options = (ref: AgqRef) => ({ family: ref.family, link: ref.link, factors: ref.factors });

describe("the AGQ deviance at lme4's (θ, β), against lme4's settled deviance function", () => {
  it.each(AGQ_LINK_CASES)('%s', (name) => {
    const ref = loadAgqRef(name);
    const model = buildGlmm(ref.formula, table(ref.data), options(ref) as never);
    let finite = 0;
    for (const observedInformation of [true, false]) {
      const engine = new PirlsEngine(model.pirls, { observedInformation });
      for (const f of ref.fits) {
        const rule = ghRule(f.nAGQ);
        for (const pt of f.objective_at) {
          engine.reset();
          engine.run(thetaToInternal(model, pt.theta), pt.beta);
          const v = engine.agq(rule);
          const r = num(pt.value);
          if (Number.isFinite(r)) {
            finite++;
            expect(rel(v, r)).toBeLessThan(1e-9);
          } else {
            // lme4: NaN where a node's μ = exp(η) exceeds 1 (binomial's log link)
            expect(ref.link).toBe('log');
            expect(Number.isFinite(v)).toBe(false);
          }
        }
      }
    }
    // a test that can fail: most points are finite (cbpp_log: only nAGQ = 5's)
    expect(finite).toBeGreaterThanOrEqual(6);
  });
});

describe("glmer(nAGQ > 1): the optimum against lme4's exact optimum", () => {
  for (const name of AGQ_LINK_CASES) {
    const ref = loadAgqRef(name);
    for (const f of ref.fits) {
      const t = f.tight;
      if (!t) continue;
      it(`${name}, nAGQ = ${f.nAGQ}`, async () => {
        const fit = (await glmer(ref.formula, table(ref.data), { ...options(ref), nAGQ: f.nAGQ } as never)) as GlmmFit;
        expect(fit.converged).toBe(true);
        expect(fit.nAGQ).toBe(f.nAGQ);
        expect(fit.objective).toBeLessThan(t.deviance + 1e-6);
        expect(Math.abs(fit.objective - t.deviance)).toBeLessThan(1e-6);
        fit.theta.forEach((v, i) => expect(Math.abs(v - t.theta[i])).toBeLessThan(1e-5));
        Object.values(t.fixef).forEach((v, j) => expect(Math.abs(fit.beta[j] - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v))));
        Object.values(t.se).forEach((v, j) => expect(rel(fit.coefficients[j].se, v)).toBeLessThan(1e-4));
        expect(fit.df).toBe(f.default.df);
        expect(fit.summary().split('\n')[1]).toBe(`  Gauss-Hermite Quadrature, nAGQ = ${f.nAGQ}) [glmerMod]`);
      }, 60_000);
    }
  }
});

describe("binomial's log link where a quadrature node's μ exceeds 1", () => {
  it("lme4 reports −2ℓ = Inf (cbpp at nAGQ = 9 and 25, binomial_log at 25); glmer stops with a FitError naming the cause", async () => {
    for (const [name, nAGQ] of [['cbpp_log', 9], ['cbpp_log', 25], ['binomial_log', 25]] as const) {
      const ref = loadAgqRef(name);
      const f = ref.fits.find((x) => x.nAGQ === nAGQ)!;
      expect(num(f.default.deviance)).toBe(Infinity);
      expect(f.tight).toBeNull();
      const p = glmer(ref.formula, table(ref.data), { ...options(ref), nAGQ } as never);
      await expect(p).rejects.toThrow(FitError);
      await expect(glmer(ref.formula, table(ref.data), { ...options(ref), nAGQ } as never)).rejects.toThrow(/adaptive quadrature's deviance \(nAGQ = \d+\) is not finite, as the family's mean at a quadrature node leaves its range/);
    }
  }, 60_000);
});
