/**
 * glmmTMB's structured covariances of random effects in glmer (binomial and Poisson, canonical links:
 * src/glmm/structured.ts over lmer's ψ → θ map, src/model/covStructure.ts) against glmmTMB 1.1.5
 * (test/oracle/glmer_structcov.R → test/fixtures/glmer_structcov/).
 *
 * Two levels:
 *  1. at glmmTMB's optimum, independent of any optimizer: glmmTMB's ψ mapped by our ψ → θ give the
 *     Cholesky factor of its VarCorr (lme4's θ there, 1e-9 absolute), and our Laplace deviance at
 *     (θ, β̂_glmmTMB) equals glmmTMB's −2 logLik to 1e-10 relative (for the canonical links the two
 *     Laplace approximations are one function of (θ, β); observed ≤ 5.4e-12) and lme4's glmer devfun
 *     there (nAGQ = 1, tolPwrss 1e-13) to 1e-8 relative (observed ≤ 4.7e-11, except pois_diag and
 *     pois_toep: 2.3e-9 and 2.0e-9, where lme4's devfun is 3.0e-6 and 2.9e-6 above both glmmTMB's
 *     value and ours, whatever its tolPwrss);
 *  2. the fit from our default start: −2ℓ is glmmTMB's or lower, by at most 1e-6 (observed: lower
 *     by ≤ 1.2e-8, or 2.3e-13 above on pois_ou), β within 1e-5 absolute, the SDs within 5e-5
 *     relative and the correlations 5e-5 absolute (glmmTMB's nlminb stops at ~1e-6 in ψ: observed
 *     β ≤ 3.7e-6, SDs ≤ 5.3e-6, ρ ≤ 2.9e-6); the SEs, from the central-difference Hessian of the
 *     Laplace deviance in (ψ, β) (glmer's Var(β̂) stencil), within 1e-4 relative of glmmTMB's (its
 *     AD Hessian of the same function; observed ≤ 1.4e-6); logLik's df (counting ψ), AIC and BIC are
 *     glmmTMB's.
 * Cases: cbpp's ar1(0 + period | herd) (binomial, cbind), and Poisson counts with cs, diag, toep, ou
 * (times 0, 1, 2, 5) and ar1 beside (1 | site).
 * `us(1 + x | subject)` is lme4's `(1 + x | subject)` (bit for bit) and lme4 1.1-31's tight glmer fit.
 * Then the refusals (dispersion families, non-canonical links, glmer.nb, nAGQ > 1, start, prior and
 * what works in θ), what works on a structured glmer fit, and the CLI.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { glmer } from '../src/index.js';
import { buildGlmm } from '../src/glmm/model.js';
import { PirlsEngine } from '../src/glmm/pirls.js';
import { GlmmEngines } from '../src/glmm/objectives.js';
import { hessianObjective } from '../src/glmm/assemble.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';
import { thetaOfParameters } from '../src/model/covStructure.js';
import { ModelError, OptionError } from '../src/errors/errors.js';
import { loadDataFile } from './helpers/inference.js';
import { anovaModels } from '../src/inference/fitInference.js';
import { runFit } from '../src/cli/fitCommand.js';

interface Term { group: string; names: string | string[]; sd: number | number[]; corr: number[][] | number }
interface Case {
  name: string; data: string; family: 'binomial' | 'poisson'; formula: string; ts: string; beta: number[]; xnames: string[]; se: number[];
  psi: number[]; terms: Term[]; logLik: number; m2loglik: number; df: number; AIC: number; BIC: number; nobs: number;
  laplace_lme4: number; theta_lme4: number[];
}
const ref = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'glmer_structcov', 'glmer_structcov.json'), 'utf8')) as {
  cases: Record<string, Case>;
  us: { ts: string; lme4_ts: string; lme4: { beta: number[]; theta: number[]; se: number[]; m2loglik: number; df: number }; glmmTMB: { beta: number[]; m2loglik: number } };
};
const cases = Object.values(ref.cases);
const arr = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const factors = (c: { data: string }) => (c.data === 'cbpp.csv' ? ['herd', 'period'] : []);
const options = (c: Case) => ({ family: c.family, factors: factors(c) });
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
const fits = new Map<string, Promise<GlmmFit>>();
const fitOf = (c: Case): Promise<GlmmFit> => {
  let f = fits.get(c.name);
  if (!f) fits.set(c.name, (f = glmer(c.ts, loadDataFile(c.data), options(c))));
  return f;
};
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('at glmmTMB\'s optimum: the ψ → θ map and the Laplace deviance (no optimizer)', () => {
  for (const c of cases) {
    it(`${c.name}: θ(ψ̂) is the factor of glmmTMB's VarCorr; the deviance is glmmTMB's −2ℓ (1e-10) and lme4's (1e-8)`, async () => {
      const model = buildGlmm(c.ts, loadDataFile(c.data), options(c));
      const cov = model.covariance!;
      expect(cov).not.toBeNull();
      // our x: each structured term's ψ (glmmTMB's theta: log-SDs, absolute here, and its correlation
      // parameters), the free θ of an unstructured term (lme4's: its SD for a scalar term)
      const x = new Float64Array(cov.length);
      let k = 0;
      for (const f of cov.free) x[f.x] = c.theta_lme4[f.theta];
      for (const s of cov.structured) { for (let m = 0; m < s.npar; m++) x[s.xOffset + m] = c.psi[k + m]; k += s.npar; }
      const theta = thetaOfParameters(cov, x)!;
      expect(theta.length).toBe(c.theta_lme4.length);
      theta.forEach((t, j) => expect(Math.abs(t - c.theta_lme4[j])).toBeLessThanOrEqual(1e-9));
      const e = new GlmmEngines(model, new PirlsEngine(model.pirls), undefined, undefined);
      // the Hessian's objective: the Laplace deviance at (ψ, β)
      const z = new Float64Array(cov.length + c.beta.length);
      z.set(x);
      z.set(c.beta, cov.length);
      const dev = hessianObjective(e, null)(z);
      expect(rel(dev, c.m2loglik)).toBeLessThanOrEqual(1e-10);
      expect(rel(dev, c.laplace_lme4)).toBeLessThanOrEqual(1e-8);
      await tick();
    });
  }
});

describe('the fit against glmmTMB 1.1.5', () => {
  for (const c of cases) {
    it(`${c.name}: ${c.formula} (${c.family})`, async () => {
      const fit = await fitOf(c);
      // −2ℓ: glmmTMB's or lower
      expect(fit.objective).toBeLessThanOrEqual(c.m2loglik + 1e-6);
      expect(fit.objective).toBeGreaterThanOrEqual(c.m2loglik - 1e-4);
      expect(fit.model.frame.xnames).toEqual(c.xnames);
      fit.beta.forEach((b, j) => expect(Math.abs(b - c.beta[j])).toBeLessThanOrEqual(1e-5));
      fit.coefficients.forEach((r, j) => expect(rel(r.se, c.se[j])).toBeLessThanOrEqual(1e-4));
      expect(fit.vcovMethod).toBe('hessian');
      // each structured term's SDs and correlation(s) against glmmTMB's VarCorr
      for (const s of fit.structures) {
        const t = c.terms.find((u) => u.group === s.group)!;
        const sd = arr(t.sd);
        s.sd.forEach((v, j) => expect(rel(v, sd[j])).toBeLessThanOrEqual(5e-5));
        const corr = t.corr as number[][];
        if (s.structure === 'ar1' || s.structure === 'cs') expect(Math.abs(s.rho[0] - corr[1][0])).toBeLessThanOrEqual(5e-5);
        // toep: ρ at each lag; ou: the correlation at unit time distance (times 0 and 1)
        if (s.structure === 'toep') s.rho.forEach((r, k) => expect(Math.abs(r - corr[k + 1][0])).toBeLessThanOrEqual(5e-5));
        if (s.structure === 'ou') expect(Math.abs(s.rho[0] - corr[1][0])).toBeLessThanOrEqual(5e-5);
      }
      // and the VarCorr rows (lme4's layout of Σ(ψ̂)): every SD and correlation of the term, by position
      // (glmmTMB names ou's columns times(0), …; ours factor(t_irr)0, …)
      for (const t of c.terms) {
        const rows = fit.varCorr.filter((r) => r.group === t.group);
        const sds = rows.filter((v) => v.var2 === null);
        expect(sds.length).toBe(arr(t.names).length);
        sds.forEach((r, i) => expect(rel(r.sdcor, arr(t.sd)[i])).toBeLessThanOrEqual(5e-5));
        if (Array.isArray(t.corr)) {
          const names = sds.map((r) => r.var1);
          for (let i = 1; i < names.length; i++) {
            for (let j = 0; j < i; j++) {
              const r = rows.find((v) => v.var1 === names[j] && v.var2 === names[i])!;
              expect(Math.abs(r.sdcor - (t.corr as number[][])[i][j])).toBeLessThanOrEqual(5e-5);
            }
          }
        }
      }
      // glmmTMB's df (ψ counted), AIC and BIC
      expect(fit.df).toBe(c.df);
      expect(fit.nobs).toBe(c.nobs);
      expect(Math.abs(fit.AIC - c.AIC)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(fit.BIC - c.BIC)).toBeLessThanOrEqual(1e-6);
      expect(fit.singular).toBe(false);
      expect(fit.converged).toBe(true);
    }, 60000);
  }

  it('us(1 + x | subject) is lme4\'s (1 + x | subject) bit for bit, and lme4 1.1-31\'s tight glmer fit', async () => {
    const data = loadDataFile('glmer_structcov.csv');
    const us = await glmer(ref.us.ts, data, { family: 'poisson' });
    const plain = await glmer(ref.us.lme4_ts, data, { family: 'poisson' });
    expect(us.model.covariance).toBeNull();
    expect(us.objective).toBe(plain.objective);
    expect(Array.from(us.theta)).toEqual(Array.from(plain.theta));
    expect(Array.from(us.beta)).toEqual(Array.from(plain.beta));
    expect(us.df).toBe(ref.us.lme4.df);
    expect(us.objective).toBeLessThanOrEqual(ref.us.lme4.m2loglik + 1e-7);
    expect(rel(us.objective, ref.us.lme4.m2loglik)).toBeLessThanOrEqual(1e-9);
    us.theta.forEach((t, j) => expect(Math.abs(t - ref.us.lme4.theta[j])).toBeLessThanOrEqual(1e-4));
    us.beta.forEach((b, j) => expect(Math.abs(b - ref.us.lme4.beta[j])).toBeLessThanOrEqual(1e-5));
    us.coefficients.forEach((r, j) => expect(rel(r.se, ref.us.lme4.se[j])).toBeLessThanOrEqual(1e-4));
    // glmmTMB's us agrees too
    expect(Math.abs(us.objective - ref.us.glmmTMB.m2loglik)).toBeLessThanOrEqual(1e-5);
  }, 60000);
});

describe('refusals of glmer with a structure', () => {
  const data = () => loadDataFile('glmer_structcov.csv');
  const err = (p: Promise<unknown>) => p.then(() => null, (e: Error) => e);
  it('a family with a dispersion, a non-canonical link and the negative binomial', async () => {
    const g = await err(glmer('y_cs ~ time + cs(0 + factor(time) | subject)', loadDataFile('glmer_structcov.csv'), { family: 'Gamma', link: 'log' }));
    // (Gamma refuses zero responses first: the counts + 1)
    const pos = await err(glmer('I(y_cs + 1) ~ time + cs(0 + factor(time) | subject)', data(), { family: 'Gamma', link: 'log' }));
    expect(g ?? pos).toBeInstanceOf(Error);
    expect(pos).toBeInstanceOf(ModelError);
    expect(pos!.message).toContain('the covariance structure cs(0 + factor(time) | subject) is not available for the Gamma family, which has a dispersion parameter');
    const probit = await err(glmer('cbind(incidence, size - incidence) ~ period + ar1(0 + period | herd)', loadDataFile('cbpp.csv'), { family: 'binomial', link: 'probit', factors: ['herd', 'period'] }));
    expect(probit).toBeInstanceOf(ModelError);
    expect(probit!.message).toMatch(/ar1\(0 \+ period \| herd\) needs the family's canonical link \(binomial's logit, not probit\).*expected Hessian.*observed one/);
    const sqrt = await err(glmer('y_cs ~ time + cs(0 + factor(time) | subject)', data(), { family: 'poisson', link: 'sqrt' }));
    expect(sqrt!.message).toMatch(/canonical link \(poisson's log, not sqrt\)/);
    for (const opts of [{ family: 'negative.binomial' as const }, { family: 'negative.binomial' as const, theta: 2 }]) {
      const nb = await err(glmer('y_cs ~ time + cs(0 + factor(time) | subject)', data(), opts));
      expect(nb).toBeInstanceOf(ModelError);
      expect(nb!.message).toMatch(/cs\(0 \+ factor\(time\) \| subject\).*negative binomial.*not canonical/);
    }
  });
  it('nAGQ > 1, start and prior', async () => {
    // diag(1 | subject) has one column, as a scalar term: the quadrature is refused by the structure
    const agq = await err(glmer('y_cs ~ time + diag(1 | subject)', data(), { family: 'poisson', nAGQ: 5 }));
    expect(agq).toBeInstanceOf(ModelError);
    expect(agq!.message).toContain('nAGQ = 5 (adaptive Gauss–Hermite quadrature) is not available with the covariance structure diag(1 | subject)');
    for (const [option, value] of [['start', { theta: [1] }], ['prior', 'blme']] as const) {
      const e = await err(glmer('y_cs ~ time + diag(1 | subject)', data(), { family: 'poisson', [option]: value }));
      expect(e).toBeInstanceOf(OptionError);
      expect(e!.message).toContain(`glmer: ${option} is not available with a covariance structure (diag(1 | subject))`);
    }
  });
  it('what works in θ itself names the structure: profile, bootstrap, influence, power, R²', async () => {
    const c = ref.cases.cbpp_ar1;
    const fit = await fitOf(c);
    const named = /not available for a fit with a covariance structure \(ar1\(0 \+ period \| herd\)\): it works in the unstructured parameters θ of lme4 \(z tests, Wald intervals, predictions, emmeans, drop1 and likelihood-ratio tests between fits are available\)/;
    await expect(fit.confint({ method: 'profile' })).rejects.toThrow(named);
    await expect(fit.confint({ method: 'boot', nsim: 5 })).rejects.toThrow(named);
    await expect(fit.bootstrap({ nsim: 5 })).rejects.toThrow(named);
    await expect(fit.influence({ groups: 'herd' })).rejects.toThrow(named);
    await expect(fit.powerSim({ nsim: 2 })).rejects.toThrow(named);
    await expect(fit.r2()).rejects.toThrow(/covariance structure \(ar1\(0 \+ period \| herd\)\)/);
  });
});

describe('what works on a structured glmer fit', () => {
  it('summary and JSON: glmmTMB\'s VarCorr lines, the parameter count, covariance_structures', async () => {
    const fit = await fitOf(ref.cases.pois_ar1_site);
    const s = fit.summary();
    expect(s).toMatch(/subject\s+factor\(time\)0\s+0\.30\d+\s+0\.55\d+\s+0\.84 \(ar1\)/);
    expect(s).toMatch(/site\s+\(Intercept\)/);
    expect(s).toContain("Covariance structure: ar1(0 + factor(time) | subject), 2 parameters (glmmTMB's ar1)");
    const j = fit.toJSON() as Record<string, unknown> & { covariance_structures: { structure: string; rho: number[]; sd: number[] }[]; df: number };
    expect(j.covariance_structures[0].structure).toBe('ar1');
    expect(Math.abs(j.covariance_structures[0].rho[0] - (ref.cases.pois_ar1_site.terms[0].corr as number[][])[1][0])).toBeLessThanOrEqual(5e-5);
    expect(j.df).toBe(ref.cases.pois_ar1_site.df);
  });
  it('predictions, ranef, simulate, DHARMa\'s residuals, Wald intervals', async () => {
    const c = ref.cases.pois_cs;
    const fit = await fitOf(c);
    const data = loadDataFile(c.data);
    const eta = fit.predict(data);
    const lp = fit.linearPredictor;
    eta.forEach((v, i) => expect(Math.abs(v - lp[i])).toBeLessThanOrEqual(1e-10));
    const mu = fit.predict(data, { type: 'response' });
    mu.forEach((v, i) => expect(Math.abs(v - Math.exp(lp[i]))).toBeLessThanOrEqual(1e-10 * Math.max(1, v)));
    const r = fit.ranef;
    expect(r[0].group).toBe('subject');
    expect(r[0].levels.length).toBe(80);
    const sim = fit.simulate(2, { seed: 3 });
    expect(sim.y.length).toBe(2);
    expect(sim.y[0].length).toBe(c.nobs);
    expect(sim.y[0].every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
    expect(Array.from(fit.simulate(2, { seed: 3 }).y[1])).toEqual(Array.from(sim.y[1]));
    // DHARMa's scaled residuals on simulate's draws
    const dh = fit.simulateResiduals({ nsim: 20, seed: 2 });
    expect(dh.nObs).toBe(c.nobs);
    expect(dh.nSim).toBe(20);
    const ci = await fit.confint({ method: 'wald' });
    const [lo, hi] = ci.intervals['x'];
    const se = fit.coefficients[2].se;
    expect(Math.abs(lo! - (fit.beta[2] - 1.959963984540054 * se))).toBeLessThanOrEqual(1e-9);
    expect(Math.abs(hi! - (fit.beta[2] + 1.959963984540054 * se))).toBeLessThanOrEqual(1e-9);
  });
  it('the likelihood-ratio anova(ar1, cs) counts ψ; drop1 refits in ψ as glmer of the smaller formula', async () => {
    const data = loadDataFile('glmer_structcov.csv');
    const cs = await fitOf(ref.cases.pois_cs);
    const ar1 = await glmer('y_cs ~ time + x + ar1(0 + factor(time) | subject)', data, { family: 'poisson' });
    expect(ar1.df).toBe(3 + 2);
    const a = await anovaModels([ar1, cs]);
    expect(a.models.map((m) => m.npar)).toEqual([5, 8]);
    expect(a.tests[1]!.df).toBe(3);
    expect(Math.abs(a.tests[1]!.chisq - (ar1.objective - cs.objective))).toBeLessThanOrEqual(1e-9);
    const d = await cs.drop1();
    const noX = await glmer('y_cs ~ time + cs(0 + factor(time) | subject)', data, { family: 'poisson' });
    const row = d.rows.find((r) => r.term === 'x')!;
    expect(row.npar).toBe(1);
    expect(Math.abs(row.LRT! - (noX.objective - cs.objective))).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(row.AIC - noX.AIC)).toBeLessThanOrEqual(1e-6);
  }, 60000);
  it('nAGQ = 0: stage 1 in ψ alone; update() refits in ψ', async () => {
    const c = ref.cases.cbpp_ar1;
    const fit = await fitOf(c);
    const g0 = await glmer(c.ts, loadDataFile(c.data), { ...options(c), nAGQ: 0 });
    expect(g0.nAGQ).toBe(0);
    expect(g0.df).toBe(c.df);
    expect(g0.structures[0].structure).toBe('ar1');
    // the nAGQ = 0 fit's deviance is PIRLS's at its θ̂ (β profiled), at least the Laplace optimum's
    expect(g0.objective).toBeGreaterThanOrEqual(fit.objective - 1e-6);
    const up = await fit.update({ nAGQ: 1 });
    expect(Math.abs(up.objective - fit.objective)).toBeLessThanOrEqual(1e-9);
  }, 60000);
});

describe('allFit and emmeans on a structured glmer fit', () => {
  it('allFit: every optimizer refits in ψ and agrees', async () => {
    const fit = await fitOf(ref.cases.cbpp_ar1);
    const a = await fit.allFit();
    expect(a.rows.length).toBeGreaterThanOrEqual(3);
    for (const r of a.rows) {
      expect(r.ok).toBe(true);
      expect(Math.abs(r.logLik! - fit.logLik)).toBeLessThanOrEqual(1e-6);
    }
  }, 120000);
  it('emmeans of period: the means are β\'s combinations with Var(β̂) from the (ψ, β) Hessian', async () => {
    const fit = await fitOf(ref.cases.cbpp_ar1);
    const g = fit.emmeans('~ period');
    const V = fit.vcov;
    // period1 = β₀; period2 = β₀ + β₁
    expect(Math.abs(g.rows[0].emmean - fit.beta[0])).toBeLessThanOrEqual(1e-12);
    expect(Math.abs(g.rows[0].SE - Math.sqrt(V[0][0]))).toBeLessThanOrEqual(1e-12);
    expect(Math.abs(g.rows[1].emmean - (fit.beta[0] + fit.beta[1]))).toBeLessThanOrEqual(1e-12);
    expect(Math.abs(g.rows[1].SE - Math.sqrt(V[0][0] + 2 * V[0][1] + V[1][1]))).toBeLessThanOrEqual(1e-12);
    expect(g.rows[0].df).toBe(Infinity);
  });
});

describe('CLI: mixedgpu fit --family poisson with a structured term', () => {
  it('prints glmmTMB\'s VarCorr line; the JSON counts ψ', async () => {
    const out: string[] = [], err: string[] = [];
    const io = { stdout: (t: string) => { out.push(t); }, stderr: (t: string) => { err.push(t); } };
    const file = join(__dirname, 'fixtures', 'data', 'glmer_structcov.csv');
    const c = ref.cases.pois_cs;
    expect(await runFit({ file, formula: c.ts, family: 'poisson' }, io)).toBe(0);
    expect(out.join('')).toMatch(/0\.49 \(cs\)/);
    expect(out.join('')).toContain("Covariance structure: cs(0 + factor(time) | subject), 5 parameters (glmmTMB's cs)");
    out.length = 0;
    expect(await runFit({ file, formula: c.ts, family: 'poisson', json: true }, io)).toBe(0);
    const j = JSON.parse(out.join(''));
    expect(j.df).toBe(c.df);
    expect(Math.abs(j.loglik - c.logLik)).toBeLessThanOrEqual(1e-6);
    expect(await runFit({ file, formula: c.ts, family: 'poisson', nagq: '3' }, io)).not.toBe(0);
    expect(err.join('')).toContain('nAGQ = 3');
    // the engines fit structures in lmer only: a structured GLMM is fitted from the rows in memory
    err.length = 0;
    expect(await runFit({ file, formula: c.ts, family: 'poisson', engine: 'stream' }, io)).not.toBe(0);
    expect(err.join('')).toMatch(/stream: covariance structures \(cs\(0 \+ factor\(time\) \| subject\)\) in a GLMM are fitted with the rows in memory only/);
  }, 60000);
});
