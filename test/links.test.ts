/**
 * glmer with the rest of R's links — binomial(cauchit), binomial(log), poisson(identity), poisson(sqrt) —
 * and glmer's gaussian family with the log and inverse links (src/glmm/family.ts), against lme4 1.1-31
 * (test/oracle/links.R; fixtures and simulated data in test/fixtures/links).
 *
 * Unit level: the cauchit and sqrt links' μ and dμ/dη against R's (lme4's cauchit: min(1 − ε, pcauchy))
 * to 1e-14 (the fixture's 15 digits); gaussian's deviance residuals and lme4's GaussianDist::aic to 1e-13 relative; Newton's
 * factor f against a second difference of ℓ (1e-6, the difference's error).
 * Objective at fixed (θ, β): the exact Laplace deviance (lme4's deviance function with PIRLS settled,
 * test/oracle/exact_laplace.R — glmer's own PIRLS stops early) to 1e-8 relative, with Newton's and
 * Fisher's steps (the same mode); stage 1 (nAGQ = 0) at θ points to 1e-8, and the nAGQ = 0 fit at or below
 * the exact stage-1 deviance at lme4's nAGQ = 0 optimum + 1e-6, θ within 1e-4 of lme4's stage-1 optimum with
 * its PIRLS converged (glmer(nAGQ = 0) stops early). nAGQ > 1 with the new binomial and poisson links:
 * test/linksAgq.test.ts.
 * Fitted, against lme4's exact (tight) optimum: −2ℓ 1e-6 absolute; θ 1e-5; β 1e-5 relative of max(1, |β|)
 * (θ̂ and β̂ are known to ~1e-7 from either optimizer; bobyqa's and nloptwrap's stopping rules differ);
 * SEs 1e-4 relative (finite-difference Hessians of the same objective, each with its own steps); σ̂
 * (gaussian) 1e-6 relative; the fitted μ and the population predictions g⁻¹(Xβ̂) 1e-5 relative (β̂'s
 * tolerance carried through g⁻¹).
 * μ outside the family's range: lme4 1.1-31 stops ("PIRLS loop resulted in NaN value"), so does this
 * (PirlsError); gaussian with the identity link: lme4 calls lmer, refused here pointing to lmer.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { makeFamily, type FamilyName, type LinkName } from '../src/glmm/family.js';
import { glmer } from '../src/fit/glmer.js';
import { buildGlmm } from '../src/glmm/model.js';
import { PirlsEngine, PirlsError } from '../src/glmm/pirls.js';
import { thetaToInternal } from '../src/model/reparam.js';
import { DataError, OptionError, ModelError } from '../src/errors/errors.js';
import { runFit, type CliIO } from '../src/cli/fitCommand.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';

const dir = join(import.meta.dirname, 'fixtures', 'links');
const json = <T = any>(f: string): T => JSON.parse(readFileSync(join(dir, f), 'utf8'));
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const table = (file: string) => readCsv(readFileSync(join(dir, file), 'utf8')).table;
const CASES = ['binomial_cauchit', 'binomial_log', 'poisson_identity', 'poisson_sqrt', 'gaussian_log', 'gaussian_inverse'];

interface Ref {
  name: string; data: string; formula: string; family: FamilyName; link: LinkName; weights?: string;
  default: { theta: number[]; fixef: Record<string, number>; sigma: number; loglik: number; df: number; summary: string[] };
  objective_at: { theta: number[]; beta: number[]; value: number }[];
  objective0_at: { theta: number[]; value: number }[];
  nagq0: { theta: number[]; loglik: number; exact_at: number };
  tight: {
    theta: number[]; fixef: Record<string, number>; se: Record<string, number>; deviance_laplace: number; sigma: number;
    mu: number[]; b: number[]; newx: number[]; predict_population: number[];
  };
}

const options = (ref: Ref) => ({ family: ref.family, link: ref.link, factors: ['g'], ...(ref.weights ? { weights: ref.weights } : {}) });

describe("the links' and gaussian's pieces against R", () => {
  const u = json('unit.json');
  it("cauchit (lme4's clamp) and sqrt: μ = g⁻¹(η) and dμ/dη", () => {
    const c = makeFamily('binomial', 'cauchit');
    const s = makeFamily('poisson', 'sqrt');
    u.eta.forEach((eta: number, i: number) => {
      // 1e-14: the fixture's 15 significant digits (jsonlite's digits = NA), nothing of the formulas
      expect(rel(c.linkinv(eta), u.cauchit_lme4.linkinv[i])).toBeLessThan(1e-14);
      expect(rel(c.muEta(eta), u.cauchit_lme4.mu_eta[i])).toBeLessThan(1e-14);
      expect(rel(s.linkinv(eta), u.sqrt.linkinv[i])).toBeLessThan(1e-14);
      expect(rel(s.muEta(eta), u.sqrt.mu_eta[i])).toBeLessThan(1e-14);
      // the link functions invert their inverses (cauchit: tan(π(μ − 1/2)), to rounding at |η| = 4)
      expect(Math.abs(c.linkfun(c.linkinv(eta)) - eta)).toBeLessThan(1e-13);
    });
  });
  it("gaussian: lme4's deviance residuals and aic (n rows, − Σ log wt)", () => {
    const g = u.gaussian;
    for (const link of ['log', 'inverse'] as const) {
      const f = makeFamily('gaussian', link);
      g.y.forEach((y: number, i: number) => expect(rel(f.devResid(y, g.mu[i], g.wt[i]), g.dev_resids[i])).toBeLessThan(1e-13));
      expect(rel(f.aic(Float64Array.from(g.y), null, Float64Array.from(g.mu), Float64Array.from(g.wt)), g.aic)).toBeLessThan(1e-13);
      expect(f.hasScale).toBe(true);
      expect(f.variance(3.7)).toBe(1);
    }
  });
  it("Newton's factor f = (−∂²ℓ/∂η²)/((dμ/dη)²/V) against a second difference of ℓ", () => {
    const ll: Record<string, (y: number, m: number) => number> = {
      binomial: (y, m) => y * Math.log(m) + (1 - y) * Math.log(1 - m),
      poisson: (y, m) => y * Math.log(m) - m,
    };
    const cases: [FamilyName, LinkName, number, number][] = [
      ['binomial', 'log', 0, -1.2], ['binomial', 'log', 1, -0.4], ['binomial', 'log', 0.3, -2],
      ['poisson', 'identity', 3, 2.5], ['poisson', 'identity', 0, 1.2], ['poisson', 'sqrt', 4, 1.7], ['poisson', 'sqrt', 0, 0.8],
    ];
    for (const [fam, lk, y, eta] of cases) {
      const f = makeFamily(fam, lk);
      const mu = f.linkinv(eta), h = 1e-4;
      const l = (e: number) => ll[fam](y, f.linkinv(e));
      const d2 = -(l(eta + h) - 2 * l(eta) + l(eta - h)) / (h * h);
      const expected = f.muEta(eta) ** 2 / f.variance(mu);
      expect(Math.abs(f.observedFactor!(y, eta, mu, f.muEta(eta)) - d2 / expected)).toBeLessThan(1e-6 * Math.max(1, d2 / expected));
    }
    // ℓ not concave in η: Fisher's steps (no factor)
    for (const [fam, lk] of [['binomial', 'cauchit'], ['gaussian', 'log'], ['gaussian', 'inverse']] as const) {
      expect(makeFamily(fam, lk).observedFactor).toBeUndefined();
    }
  });
});

describe("the Laplace deviance at fixed (θ, β), against lme4's exact deviance function", () => {
  it.each(CASES)('%s', (name) => {
    const ref = json<Ref>(`${name}.json`);
    const model = buildGlmm(ref.formula, table(ref.data), options(ref) as never);
    for (const observedInformation of [true, false]) {
      const engine = new PirlsEngine(model.pirls, { observedInformation });
      for (const pt of ref.objective_at) {
        engine.reset();
        const r = engine.run(thetaToInternal(model, pt.theta), pt.beta);
        // both PIRLS's converge to the mode; 1e-8 relative (the brief's tight level, at lme4's θ)
        expect(rel(r.laplace, pt.value)).toBeLessThan(1e-8);
      }
    }
  });
});

describe('nAGQ = 0 (stage 1: β from PIRLS), against lme4', () => {
  it.each(CASES)('%s', async (name) => {
    const ref = json<Ref>(`${name}.json`);
    const model = buildGlmm(ref.formula, table(ref.data), options(ref) as never);
    const engine = new PirlsEngine(model.pirls);
    for (const pt of ref.objective0_at) {
      engine.reset();
      // lme4's stage-1 deviance with its PIRLS converged: 1e-8 relative, as the Laplace's
      expect(rel(engine.run(thetaToInternal(model, pt.theta), null).laplace, pt.value)).toBeLessThan(1e-8);
    }
    // the nAGQ = 0 fit: at or below the exact stage-1 deviance at glmer(nAGQ = 0)'s optimum (+1e-6), and
    // at θ within 1e-4 of lme4's stage-1 optimum with its PIRLS run to tolPwrss = 1e-12 (objective0_at[0],
    // bobyqa's default stop). glmer(nAGQ = 0) itself stops early: 2.2e-3 away in θ for cauchit, whose
    // Fisher PIRLS converges slowly
    const fit = (await glmer(ref.formula, table(ref.data), { ...options(ref), nAGQ: 0 } as never)) as GlmmFit;
    expect(fit.objective).toBeLessThan(ref.nagq0.exact_at + 1e-6);
    expect(fit.objective).toBeLessThan(ref.objective0_at[0].value + 1e-6);
    fit.theta.forEach((v, i) => expect(Math.abs(v - ref.objective0_at[0].theta[i])).toBeLessThan(1e-4));
  }, 60_000);
});

describe("glmer: the optimum against lme4's exact optimum", () => {
  it.each(CASES)('%s', async (name) => {
    const ref = json<Ref>(`${name}.json`);
    const fit = (await glmer(ref.formula, table(ref.data), options(ref) as never)) as GlmmFit;
    const t = ref.tight;
    expect(fit.converged).toBe(true);
    expect(Math.abs(fit.objective - t.deviance_laplace)).toBeLessThan(1e-6);
    fit.theta.forEach((v, i) => expect(Math.abs(v - t.theta[i])).toBeLessThan(1e-5));
    Object.values(t.fixef).forEach((v, j) => expect(Math.abs(fit.beta[j] - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v))));
    Object.values(t.se).forEach((v, j) => expect(rel(fit.coefficients[j].se, v)).toBeLessThan(1e-4));
    expect(fit.df).toBe(ref.default.df);
    if (ref.family === 'gaussian') {
      expect(rel(fit.sigma, t.sigma)).toBeLessThan(1e-6);
      expect(fit.varCorr[fit.varCorr.length - 1]).toMatchObject({ group: 'Residual', sdcor: fit.sigma });
    }
    // predictions on the response scale: the fitted μ, and g⁻¹(Xβ̂) at new x (re.form = NA)
    const mu = fit.fitted;
    t.mu.forEach((v, i) => expect(rel(mu[i], v)).toBeLessThan(1e-5));
    const nd = { x: t.newx, g: t.newx.map(() => '1') };
    const pp = fit.predict(nd as never, { groups: false, type: 'response' } as never);
    t.predict_population.forEach((v, i) => expect(rel(pp[i], v)).toBeLessThan(1e-5));
    // the summary's family line as lme4's
    const fam = ref.default.summary.find((l) => /^ Family:/.test(l))!;
    expect(fit.summary().split('\n')).toContain(fam);
  }, 120_000);
});

describe('what lme4 does where μ leaves the range, and what is refused', () => {
  const oor = json('out_of_range.json');
  const data = () => table('out_of_range.csv');
  it("binomial(log) with μ > 1 and poisson(identity) with μ < 0: lme4 1.1-31's PIRLS stops; so does this", async () => {
    // the record: lme4's error for both
    expect(oor.binomial_log).toBe('PIRLS loop resulted in NaN value');
    expect(oor.poisson_identity).toBe('PIRLS loop resulted in NaN value');
    const b = glmer('yb ~ x + (1 | g)', data(), { family: 'binomial', link: 'log', factors: ['g'] });
    await expect(b).rejects.toThrow(PirlsError);
    await expect(glmer('yb ~ x + (1 | g)', data(), { family: 'binomial', link: 'log', factors: ['g'] })).rejects.toThrow(/the binomial family's mean left its range with the log link .*μ < 1.*PIRLS loop resulted in NaN value/);
    await expect(glmer('yp ~ x + (1 | g)', data(), { family: 'poisson', link: 'identity', factors: ['g'] })).rejects.toThrow(/the poisson family's mean left its range with the identity link .*μ = -.*μ > 0/);
    // the canonical links fit the same data
    const ok = (await glmer('yp ~ x + (1 | g)', data(), { family: 'poisson', factors: ['g'] })) as GlmmFit;
    expect(ok.converged).toBe(true);
  }, 60_000);
  it('gaussian with the identity link (or none): lme4 calls lmer; refused, pointing to lmer', async () => {
    expect(oor.gaussian_identity).toMatch(/calling glmer\(\) with family=gaussian \(identity link\) as a shortcut to lmer\(\) is deprecated/);
    for (const link of [undefined, 'identity'] as const) {
      const p = glmer('yg ~ x + (1 | g)', data(), { family: 'gaussian', ...(link ? { link } : {}), factors: ['g'] } as never);
      await expect(p).rejects.toThrow(OptionError);
      await expect(glmer('yg ~ x + (1 | g)', data(), { family: 'gaussian', ...(link ? { link } : {}), factors: ['g'] } as never)).rejects.toThrow(/linear mixed model: fit it with lmer/);
    }
    expect(() => makeFamily('gaussian')).toThrow(/fit it with lmer/);
    await expect(glmer('yg ~ x + (1 | g)', data(), { family: 'gaussian', link: 'logit', factors: ['g'] } as never)).rejects.toThrow(/link 'logit' is not available for the gaussian family \(available: log, inverse\)/);
  });
  it("gaussian(log) with a y ≤ 0, gaussian(inverse) with a y = 0: R's \"cannot find valid starting values\"", async () => {
    expect(oor.gaussian_log_nonpositive).toBe('cannot find valid starting values: please specify some');
    await expect(glmer('I(yg - 2) ~ x + (1 | g)', data(), { family: 'gaussian', link: 'log', factors: ['g'] })).rejects.toThrow(DataError);
    await expect(glmer('I(yg - 2) ~ x + (1 | g)', data(), { family: 'gaussian', link: 'log', factors: ['g'] })).rejects.toThrow(/the gaussian family's log link starts from μ = y and needs y > 0 .*cannot find valid starting values/);
    await expect(glmer('I(0 * yg) ~ x + (1 | g)', data(), { family: 'gaussian', link: 'inverse', factors: ['g'] })).rejects.toThrow(/needs y ≠ 0/);
  });
  it('nAGQ > 1 with gaussian: refused as for Gamma (lme4\'s quadrature leaves out the aic terms)', async () => {
    const ref = json<Ref>('gaussian_log.json');
    await expect(glmer(ref.formula, table(ref.data), { ...options(ref), nAGQ: 5 } as never)).rejects.toThrow(ModelError);
    await expect(glmer(ref.formula, table(ref.data), { ...options(ref), nAGQ: 5 } as never)).rejects.toThrow(/nAGQ > 1 is not available for the gaussian family/);
  });
});

describe('the CLI', () => {
  const run = async (args: Record<string, unknown>) => {
    let stdout = '', stderr = '';
    const io: CliIO = { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, stderrIsTTY: false };
    const code = await runFit(args as never, io);
    return { code, stdout, stderr };
  };
  it('--family binomial --link cauchit, --family poisson --link sqrt, --family gaussian --link log (--json)', async () => {
    for (const name of ['binomial_cauchit', 'poisson_sqrt', 'gaussian_log']) {
      const ref = json<Ref>(`${name}.json`);
      const r = await run({ file: join(dir, ref.data), formula: ref.formula, factors: 'g', family: ref.family, link: ref.link, json: true });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({ family: ref.family, link: ref.link, kind: 'glmer' });
      expect(Math.abs(-2 * out.loglik - ref.tight.deviance_laplace)).toBeLessThan(1e-6);
    }
  }, 60_000);
  it('--family gaussian without --link log/inverse is refused, pointing to the linear mixed model', async () => {
    const ref = json<Ref>('gaussian_log.json');
    for (const link of [undefined, 'identity']) {
      const r = await run({ file: join(dir, ref.data), formula: ref.formula, factors: 'g', family: 'gaussian', ...(link ? { link } : {}) });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/--family gaussian needs --link log or --link inverse.*leave out --family to fit it by lmer/);
    }
    const r = await run({ file: join(dir, ref.data), formula: ref.formula, factors: 'g', family: 'poisson', link: 'cauchit' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/link 'cauchit' is not available for the poisson family \(choose one of log, identity, sqrt\)/);
  });
});
