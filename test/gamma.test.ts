/**
 * glmer with the Gamma and inverse.gaussian families (family.ts's scaleFamily, rmath.ts dgammaLog,
 * the scale in glmmFit.ts / assemble.ts / summary.ts) against lme4 1.1-31 (test/oracle/gamma.R;
 * fixtures and simulated data in test/fixtures/gamma).
 *
 * Unit level: R's Gamma() and inverse.gaussian() variance, dev.resids and aic (with lme4's dispersion
 * dev/Σwt) to 1e-13 relative.
 * Objective at fixed (θ, β): the exact Laplace deviance (lme4's deviance function with PIRLS settled,
 * exact_laplace.R) to 1e-9 relative, with Newton's and with Fisher's steps; stage 1 (nAGQ = 0) at θ
 * points to 1e-9, and the nAGQ = 0 fit at or below the exact stage-1 deviance at lme4's nAGQ = 0
 * optimum + 1e-6 (θ within 1e-3 of lme4's, which stops early).
 * Fitted: −2ℓ within 1e-6 of the lower of lme4's tight optimum and the exact deviance at lme4's default
 * optimum, or lower; against the tight optimum (where lme4 reached one): θ 1e-5, β 1e-5 relative (of
 * max(1, |β|)), SE 1e-4 relative (finite-difference Hessians of the same objective), σ̂ and the deviance
 * 1e-6 relative, VarCorr's SDs and σ̂² (R_XᵀR_X)⁻¹ 1e-6, conditional modes 1e-5; df, AIC − (−2ℓ),
 * df.resid as lme4's (1e-9); where lme4's tight run failed (gamma_inverse, gamma_identity: its PIRLS
 * gives NaN at a trial point of the inverse and identity links) against lme4's default fit, whose
 * PIRLS and optimizer stop early: σ̂ 1e-3, VarCorr and σ̂² (R_XᵀR_X)⁻¹ 1e-2 relative; the summary's
 * text lines that print no estimate.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { makeFamily, type FamilyName, type LinkName } from '../src/glmm/family.js';
import { familyCode } from '../src/glmm/familyRow.js';
import { glmer } from '../src/fit/glmer.js';
import { buildGlmm } from '../src/glmm/model.js';
import { PirlsEngine } from '../src/glmm/pirls.js';
import { thetaToInternal } from '../src/model/reparam.js';
import { DataError, ModelError, OptionError } from '../src/errors/errors.js';
import { runFit, type CliIO } from '../src/cli/fitCommand.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';

const dir = join(import.meta.dirname, 'fixtures', 'gamma');
const json = <T = any>(f: string): T => JSON.parse(readFileSync(join(dir, f), 'utf8'));
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const table = (file: string) => readCsv(readFileSync(join(dir, file), 'utf8')).table;
const CASES = ['gamma_log', 'gamma_inverse', 'gamma_slope', 'gamma_crossed', 'gamma_identity', 'ig_log', 'ig_canonical', 'ig_inverse', 'ig_identity'];

interface Ref {
  name: string; data: string; formula: string; family: FamilyName; link: LinkName; weights?: string;
  default: {
    theta: number[]; fixef: Record<string, number>; se: Record<string, number>; vcov: number[][]; vcov_rx: number[][];
    sigma: number; loglik: number; df: number; aic: number; bic: number; deviance: number; df_resid: number;
    varcorr: { group: string; var1: string | null; var2: string | null; vcov: number; sdcor: number }[];
    summary: string[];
  };
  objective_at: { theta: number[]; beta: number[]; value: number }[];
  objective0_at: { theta: number[]; value: number }[];
  nagq0: { theta: number[]; loglik: number; exact_at: number };
  tight: null | {
    theta: number[]; fixef: Record<string, number>; se: Record<string, number>; deviance_laplace: number; sigma: number; drsum: number; b: number[];
    varcorr: { group: string; sdcor: number }[]; vcov_rx: number[][];
  };
  agq_odd?: { nAGQ: number; loglik: number; laplace_loglik: number };
}

const options = (ref: Ref) => ({ family: ref.family, link: ref.link, factors: ['g', 'h'], ...(ref.weights ? { weights: ref.weights } : {}) });

describe("R's Gamma() and inverse.gaussian() pieces", () => {
  const u = json('unit.json');
  for (const fam of ['Gamma', 'inverse.gaussian'] as const) {
    it(fam, () => {
      const f = makeFamily(fam);
      const y = Float64Array.from(u.y), mu = Float64Array.from(u.mu), wt = Float64Array.from(u.wt);
      u.y.forEach((yi: number, i: number) => {
        expect(rel(f.variance(mu[i]), u[fam].variance[i])).toBeLessThan(1e-14);
        expect(rel(f.devResid(yi, mu[i], wt[i]), u[fam].dev_resids[i])).toBeLessThan(1e-13);
      });
      expect(rel(f.aic(y, null, mu, wt), u[fam].aic)).toBeLessThan(1e-13);
      expect(f.hasScale).toBe(true);
    });
  }
  it("the links' inverses and derivatives (R's linkinv and mu.eta)", () => {
    const cases: [FamilyName, LinkName, number, number, number][] = [
      // family, link, η, μ, dμ/dη
      ['Gamma', 'inverse', 0.5, 2, -4],
      ['Gamma', 'identity', 3, 3, 1],
      ['inverse.gaussian', '1/mu^2', 0.25, 2, -4],
    ];
    for (const [fam, lk, eta, mu, me] of cases) {
      const f = makeFamily(fam, lk);
      expect(f.linkinv(eta)).toBeCloseTo(mu, 15);
      expect(f.muEta(eta)).toBeCloseTo(me, 14);
      expect(f.linkfun(mu)).toBeCloseTo(eta, 15);
    }
    // R's default links
    expect(makeFamily('Gamma').link).toBe('inverse');
    expect(makeFamily('inverse.gaussian').link).toBe('1/mu^2');
  });
  it("Newton's factor f = (−∂²ℓ/∂η²)/((dμ/dη)²/V) against a second difference of ℓ", () => {
    // ℓ(η) per unit dispersion: Gamma −y/μ − log μ, inverse.gaussian −y/(2μ²) + 1/μ
    const ll = { Gamma: (y: number, m: number) => -y / m - Math.log(m), 'inverse.gaussian': (y: number, m: number) => -y / (2 * m * m) + 1 / m };
    for (const [fam, lk] of [['Gamma', 'log'], ['inverse.gaussian', 'inverse']] as const) {
      const f = makeFamily(fam, lk);
      for (const [y, eta] of [[0.7, 0.2], [3, 1.1], [0.2, 0.9]]) {
        const mu = f.linkinv(eta), h = 1e-4;
        const l = (e: number) => ll[fam](y, f.linkinv(e));
        const d2 = -(l(eta + h) - 2 * l(eta) + l(eta - h)) / (h * h);
        const expected = f.muEta(eta) ** 2 / f.variance(mu);
        expect(rel(f.observedFactor!(y, eta, mu, f.muEta(eta)), d2 / expected)).toBeLessThan(1e-6);
      }
    }
    // the canonical links have none (f = 1); the links whose ℓ is not concave in η take Fisher's steps
    for (const [fam, lk] of [['Gamma', 'inverse'], ['inverse.gaussian', '1/mu^2'], ['Gamma', 'identity'], ['inverse.gaussian', 'log'], ['inverse.gaussian', 'identity']] as const) {
      expect(makeFamily(fam, lk).observedFactor).toBeUndefined();
    }
  });
});

describe('the Laplace deviance at fixed (θ, β), against lme4\'s deviance function', () => {
  it.each(CASES)('%s', (name) => {
    const ref = json<Ref>(`${name}.json`);
    const model = buildGlmm(ref.formula, table(ref.data), options(ref));
    for (const observedInformation of [true, false]) {
      const engine = new PirlsEngine(model.pirls, { observedInformation });
      for (const pt of ref.objective_at) {
        engine.reset();
        const r = engine.run(thetaToInternal(model, pt.theta), pt.beta);
        expect(rel(r.laplace, pt.value)).toBeLessThan(1e-9);
        // the families with a scale take the general iteration, never the runs by levels
        expect(r.byLevels).toBeFalsy();
      }
    }
    expect(familyCode(model.family)).toBeNull();
  });
  // Newton's steps (Gamma(log), inverse.gaussian(inverse)) against Fisher scoring: the same deviance to
  // 1e-11 relative (as test/observedInformation.test.ts for probit and cloglog), from cold starts
  it.each(['gamma_log', 'gamma_slope', 'gamma_crossed', 'ig_inverse'])('%s: Newton and Fisher agree', (name) => {
    const ref = json<Ref>(`${name}.json`);
    const model = buildGlmm(ref.formula, table(ref.data), options(ref));
    const newton = new PirlsEngine(model.pirls);
    const fisher = new PirlsEngine(model.pirls, { observedInformation: false });
    for (const pt of ref.objective_at) {
      newton.reset(); fisher.reset();
      const a = newton.run(thetaToInternal(model, pt.theta), pt.beta);
      const b = fisher.run(thetaToInternal(model, pt.theta), pt.beta);
      expect(rel(a.laplace, b.laplace)).toBeLessThan(1e-11);
    }
  });
});

describe('nAGQ = 0 (stage 1: β from PIRLS), against lme4', () => {
  it.each(CASES)('%s', async (name) => {
    const ref = json<Ref>(`${name}.json`);
    const model = buildGlmm(ref.formula, table(ref.data), options(ref));
    const engine = new PirlsEngine(model.pirls);
    for (const pt of ref.objective0_at) {
      engine.reset();
      expect(rel(engine.run(thetaToInternal(model, pt.theta), null).laplace, pt.value)).toBeLessThan(1e-9);
    }
    // the nAGQ = 0 fit: at or below the exact stage-1 deviance at glmer(nAGQ = 0)'s optimum
    const fit = (await glmer(ref.formula, table(ref.data), { ...options(ref), nAGQ: 0 } as never)) as GlmmFit;
    expect(fit.objective).toBeLessThan(ref.nagq0.exact_at + 1e-6);
    fit.theta.forEach((v, i) => expect(Math.abs(v - ref.nagq0.theta[i])).toBeLessThan(1e-3));
  }, 60_000);
});

describe('glmer: the optimum against lme4', () => {
  it.each(CASES)('%s', async (name) => {
    const ref = json<Ref>(`${name}.json`);
    const fit = (await glmer(ref.formula, table(ref.data), options(ref) as never)) as GlmmFit;
    const d = ref.default;
    const bar = Math.min(ref.objective_at[0].value, ref.tight?.deviance_laplace ?? Infinity);
    expect(fit.objective).toBeLessThan(bar + 1e-6);
    expect(fit.converged).toBe(true);
    // lme4's likelihood bookkeeping: df counts σ, AIC and BIC from −2ℓ
    expect(fit.df).toBe(d.df);
    expect(fit.dfResidual).toBe(d.df_resid);
    expect(fit.AIC - fit.objective).toBeCloseTo(d.aic + 2 * d.loglik, 9);
    expect(fit.BIC - fit.objective).toBeCloseTo(d.bic + 2 * d.loglik, 10);
    const t = ref.tight;
    if (t) {
      expect(Math.abs(fit.objective - t.deviance_laplace)).toBeLessThan(1e-6);
      fit.theta.forEach((v, i) => expect(Math.abs(v - t.theta[i])).toBeLessThan(1e-5));
      Object.values(t.fixef).forEach((v, j) => expect(Math.abs(fit.beta[j] - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v))));
      Object.values(t.se).forEach((v, j) => expect(rel(fit.coefficients[j].se, v)).toBeLessThan(1e-4));
      expect(rel(fit.sigma, t.sigma)).toBeLessThan(1e-6);
      expect(rel(fit.deviance, t.drsum)).toBeLessThan(1e-6);
      const b = fit.model.blocks.flatMap((_, k) => Array.from(fit.conditionalModes(k)));
      b.forEach((v, i) => expect(Math.abs(v - t.b[i])).toBeLessThan(1e-5));
    }
    // VarCorr (σ̂²-scaled, with the Residual row) and σ̂² (R_XᵀR_X)⁻¹: at the tight optimum where there
    // is one; else against lme4's default fit, whose early stop moves them by up to ~3e-3 (gamma_slope's
    // correlation: 0.2917 at the default optimum, 0.2997 at the tight one)
    const vcRef = t ? t.varcorr : d.varcorr;
    const rxRef = t ? t.vcov_rx : d.vcov_rx;
    const tolRef = t ? 1e-6 : 1e-2;
    expect(rel(fit.sigma, t ? t.sigma : d.sigma)).toBeLessThan(t ? 1e-6 : 1e-3);
    expect(fit.varCorr.length).toBe(vcRef.length);
    vcRef.forEach((row, i) => {
      const ours = fit.varCorr[i];
      expect(ours.group).toBe(row.group);
      expect(Math.abs(ours.sdcor - row.sdcor)).toBeLessThan(tolRef * Math.max(0.1, Math.abs(row.sdcor)));
    });
    expect(fit.varCorr[fit.varCorr.length - 1]).toMatchObject({ group: 'Residual', sdcor: fit.sigma });
    const rx = fit.vcovRX;
    rxRef.forEach((r, i) => r.forEach((v, j) => expect(Math.abs(rx[i][j] - v)).toBeLessThan(tolRef * Math.sqrt(rxRef[i][i] * rxRef[j][j]))));
    // the summary: lme4's lines where they do not print the optimum beyond 1e-3
    const ours = fit.summary().split('\n');
    for (const line of d.summary) {
      if (/^ Family:|^Random effects:|^ Groups +Name|^Number of obs/.test(line)) expect(ours).toContain(line);
    }
    expect(ours.some((l) => /^ +Estimate Std\. Error t value Pr\(>\|z\|\) *$/.test(l))).toBe(true);
    expect(ours.some((l) => /^ Residual +\d/.test(l))).toBe(true);
  }, 120_000);
});

describe('what lme4 does differently, and what is refused', () => {
  it('nAGQ > 1: lme4 runs it but its value is not on the Laplace\'s scale; refused here', async () => {
    const ref = json<Ref>('gamma_log.json');
    // the record: lme4's AGQ −2ℓ is far from its Laplace −2ℓ at nearly the same optimum
    expect(Math.abs(ref.agq_odd!.loglik - ref.agq_odd!.laplace_loglik)).toBeGreaterThan(100);
    await expect(glmer(ref.formula, table(ref.data), { ...options(ref), nAGQ: 5 } as never)).rejects.toThrow(ModelError);
    await expect(glmer(ref.formula, table(ref.data), { ...options(ref), nAGQ: 5 } as never)).rejects.toThrow(/nAGQ > 1 is not available for the Gamma family/);
    const ig = json<Ref>('ig_log.json');
    await expect(glmer(ig.formula, table(ig.data), { ...options(ig), nAGQ: 3 } as never)).rejects.toThrow(/nAGQ > 1 is not available for the inverse.gaussian family/);
  });
  it('a response that is not positive names the column and the first bad row', async () => {
    const ref = json<Ref>('gamma_log.json');
    const csv = readFileSync(join(dir, ref.data), 'utf8').split('\n');
    const header = csv[0].split(',').map((s) => s.replace(/"/g, ''));
    const yi = header.indexOf('y');
    for (const [fam, bad] of [['Gamma', '0'], ['inverse.gaussian', '-1.5'], ['Gamma', 'Inf']] as const) {
      const rows = csv.slice();
      const cells = rows[5].split(',');
      cells[yi] = bad;
      rows[5] = cells.join(',');
      const t = readCsv(rows.join('\n')).table;
      const p = glmer(ref.formula, t, { family: fam, factors: ['g'] });
      await expect(p).rejects.toThrow(DataError);
      // an infinite value is refused for every family first (modelFrame's check)
      await expect(glmer(ref.formula, t, { family: fam, factors: ['g'] })).rejects.toThrow(bad === 'Inf' ? /NA\/NaN\/Inf in 'y': the response 'y' is Inf in row 5/ : new RegExp(`the response 'y' is ${bad} in row 5: the ${fam} family needs positive finite values`));
    }
  });
  it('links: R\'s names; one the family does not have is an error; the lower-case family name points to R\'s', async () => {
    const ref = json<Ref>('gamma_log.json');
    await expect(glmer(ref.formula, table(ref.data), { family: 'Gamma', link: 'logit', factors: ['g'] })).rejects.toThrow(/link 'logit' is not available for the Gamma family \(available: inverse, log, identity\)/);
    await expect(glmer(ref.formula, table(ref.data), { family: 'inverse.gaussian', link: 'probit', factors: ['g'] })).rejects.toThrow(/available: 1\/mu\^2, log, inverse, identity/);
    await expect(glmer(ref.formula, table(ref.data), { family: 'gamma' as never, factors: ['g'] })).rejects.toThrow(OptionError);
    await expect(glmer(ref.formula, table(ref.data), { family: 'gamma' as never, factors: ['g'] })).rejects.toThrow(/did you mean 'Gamma'/);
  });
  it('simulate and the parametric bootstrap refuse these families', async () => {
    const ref = json<Ref>('gamma_log.json');
    const fit = (await glmer(ref.formula, table(ref.data), options(ref) as never)) as GlmmFit & { simulate: (n: number, o?: object) => unknown; bootstrap: (o: object) => Promise<unknown> };
    expect(() => fit.simulate(2, { seed: 1 })).toThrow(/simulating a Gamma GLMM's response is not supported/);
    await expect(fit.bootstrap({ nsim: 2 })).rejects.toThrow(/family is Gamma, which it does not simulate/);
  }, 60_000);
});

describe('inference on a fit with a scale', () => {
  it('Wald intervals from the Hessian SEs; profiles refused (as lme4), priors refused (not checked against blme)', async () => {
    const ref = json<Ref>('gamma_log.json');
    const fit = (await glmer(ref.formula, table(ref.data), options(ref) as never)) as GlmmFit & { confint: (o: object) => Promise<{ intervals: Record<string, [number, number]> }> };
    const wald = await fit.confint({ method: 'wald' });
    fit.coefficients.forEach((c) => {
      const [lo, hi] = wald.intervals[c.name];
      expect(lo).toBeCloseTo(c.estimate - 1.959963984540054 * c.se, 12);
      expect(hi).toBeCloseTo(c.estimate + 1.959963984540054 * c.se, 12);
    });
    await expect(fit.confint({ method: 'profile' })).rejects.toThrow(/a profile is not available for a Gamma GLMM/);
    await expect(glmer(ref.formula, table(ref.data), { ...options(ref), prior: 'blme' } as never)).rejects.toThrow(/priors \(bglmer\) are not available for the Gamma family/);
  }, 60_000);
});

describe('the CLI', () => {
  it('--family Gamma --link log (any case), with the summary\'s t values and Residual row', async () => {
    const ref = json<Ref>('gamma_log.json');
    let stdout = '', stderr = '';
    const io: CliIO = { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, stderrIsTTY: false };
    const code = await runFit({ file: join(dir, ref.data), formula: ref.formula, factors: 'g', family: 'gamma', link: 'log', json: true } as never, io);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ family: 'Gamma', link: 'log', kind: 'glmer' });
    expect(rel(out.sigma, ref.tight!.sigma)).toBeLessThan(1e-6);
  }, 60_000);
});
