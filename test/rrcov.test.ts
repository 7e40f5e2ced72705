/**
 * glmmTMB's reduced-rank structure rr(0 + sp | id, d = 2) (src/model/covStructure.ts: θ = vech([Λ | 0]),
 * Σ/σ² = ΛΛᵀ) against glmmTMB 1.1.5 (test/oracle/rrcov.R → test/fixtures/rrcov/), with
 * test/structcov.test.ts's two levels and tolerances, REML and ML:
 *  1. at glmmTMB's optimum: its loadings (theta, divided by σ from betad = log σ²) give its fact_load's
 *     ΛΛᵀ/σ² (1e-9 absolute) and lme4's profiled criterion the oracle's dense evaluation (1e-9 relative);
 *  2. the fit from our start Λ = [I_2; 0]: glmmTMB's −2ℓ or lower, by at most 1e-6; β and σ 1e-5
 *     relative, lme4's SEs at glmmTMB's optimum 2e-5, VarCorr's SDs 2e-5 relative and correlations
 *     2e-5 absolute, the loadings 1e-4 absolute after each column's sign is glmmTMB's (Λ's columns
 *     are identified up to sign); df, AIC, BIC.
 * glmer (Poisson, log; test/glmerStructcov.test.ts's tolerances): the Laplace deviance at glmmTMB's
 * (ψ, β) is its −2ℓ (1e-10 relative); the fit is its −2ℓ or lower (by at most 1e-6), β 1e-5
 * absolute, SEs 1e-4 relative, VarCorr's SDs 5e-5 relative and correlations 5e-5 absolute.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { glmer, lmer } from '../src/index.js';
import { buildGlmm } from '../src/glmm/model.js';
import { PirlsEngine } from '../src/glmm/pirls.js';
import { GlmmEngines } from '../src/glmm/objectives.js';
import { hessianObjective } from '../src/glmm/assemble.js';
import { buildLmm } from '../src/lmm/model.js';
import { rrIndex, thetaJacobian, thetaOfParameters } from '../src/model/covStructure.js';
import { FormulaError, ModelError } from '../src/errors/errors.js';
import { parseFormula } from '../src/formula/parse.js';
import { fitAtTheta } from './helpers/atTheta.js';
import { loadDataFile } from './helpers/inference.js';

interface Case {
  reml: boolean; formula: string; beta: number[]; xnames: string[]; sigma: number; theta: number[]; betad: number; fact_load: number[][];
  sd: number[]; corr: number[][]; loglik: number; df: number; aic: number; bic: number; objective_at: number; se_lme4: number[];
}
interface GlmerCase { formula: string; beta: number[]; se: number[]; theta: number[]; sd: number[]; corr: number[][]; loglik: number; df: number; aic: number; bic: number }
const ref = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'rrcov', 'rrcov.json'), 'utf8')) as { cases: Case[]; glmer: GlmerCase };
const data = () => loadDataFile('rrcov.csv');
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('rr: the criterion at glmmTMB\'s optimum', () => {
  for (const c of ref.cases) {
    it(`${c.reml ? 'REML' : 'ML'}: glmmTMB's loadings give its ΛΛᵀ and the oracle's criterion`, () => {
      const model = buildLmm(c.formula, data(), { REML: c.reml });
      const par = model.covariance!;
      expect(par.structured[0].structure).toBe('rr');
      expect(par.structured[0].text).toBe('rr(0 + sp | id, d = 2)');
      expect(par.length + c.xnames.length + 1).toBe(c.df);
      const sigma = Math.exp(c.betad / 2);
      const theta = thetaOfParameters(par, Float64Array.from(c.theta, (v) => v / sigma))!;
      // T Tᵀ from θ against fact_load fact_loadᵀ / σ²
      const q = 5;
      const T = Array.from({ length: q }, () => new Array<number>(q).fill(0));
      let off = 0;
      for (let j = 0; j < q; j++) for (let i = j; i < q; i++) T[i][j] = theta[off++];
      for (let i = 0; i < q; i++) {
        for (let j = 0; j < q; j++) {
          const ours = T[i].reduce((a, v, k) => a + v * T[j][k], 0);
          const theirs = (c.fact_load[i][0] * c.fact_load[j][0] + c.fact_load[i][1] * c.fact_load[j][1]) / sigma ** 2;
          expect(Math.abs(ours - theirs)).toBeLessThanOrEqual(1e-9);
        }
      }
      expect(relErr(fitAtTheta(model, theta).objective, c.objective_at)).toBeLessThanOrEqual(1e-9);
    });
  }
});

describe('rr: the fit against glmmTMB', () => {
  for (const c of ref.cases) {
    it(`${c.reml ? 'REML' : 'ML'}`, async () => {
      const fit = await lmer(c.formula, data(), { REML: c.reml });
      expect(fit.converged).toBe(true);
      expect(fit.objective).toBeLessThanOrEqual(-2 * c.loglik + 1e-8);
      expect(-2 * c.loglik - fit.objective).toBeLessThanOrEqual(1e-6);
      c.xnames.forEach((x, j) => {
        expect(relErr(fit.fixef[x], c.beta[j])).toBeLessThanOrEqual(1e-5);
        expect(relErr(fit.se[x], c.se_lme4[j])).toBeLessThanOrEqual(2e-5);
      });
      expect(relErr(fit.sigma, c.sigma)).toBeLessThanOrEqual(1e-5);
      const rows = fit.varCorr.filter((r) => r.group === 'id');
      const sds = rows.filter((r) => r.var2 === null);
      sds.forEach((r, i) => expect(relErr(r.sdcor, c.sd[i])).toBeLessThanOrEqual(2e-5));
      for (let i = 1; i < sds.length; i++) for (let j = 0; j < i; j++) {
        const r = rows.find((v) => v.var1 === sds[j].var1 && v.var2 === sds[i].var1)!;
        expect(Math.abs(r.sdcor - c.corr[i][j])).toBeLessThanOrEqual(2e-5);
      }
      // the loadings, each column's sign aligned with glmmTMB's (its diagonal entry)
      const s = fit.structures[0];
      const idx = rrIndex(5, 2);
      const sign = [0, 1].map((j) => Math.sign(s.parameters[j]) * Math.sign(c.theta[j]));
      s.parameters.forEach((p, m) => expect(Math.abs(sign[idx[m][1]] * p - c.theta[m])).toBeLessThanOrEqual(1e-4));
      expect(fit.df).toBe(c.df);
      expect(Math.abs(fit.AIC - c.aic)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(fit.BIC - c.bic)).toBeLessThanOrEqual(1e-6);
      expect(fit.summary()).toContain('Covariance structure: rr(0 + sp | id, d = 2), 9 parameters (glmmTMB\'s rr)');
    }, 60000);
  }

  it('its Jacobian is the central differences\' (d = 1, 2, 3)', () => {
    for (const d of [1, 2, 3]) {
      const par = buildLmm(`y ~ x + rr(0 + sp | id, d = ${d})`, data()).covariance!;
      expect(par.length).toBe(5 * d - (d * (d - 1)) / 2);
      const x = Float64Array.from({ length: par.length }, (_, k) => 0.3 * Math.sin(3 * k + 1));
      const J = thetaJacobian(par, x)!;
      const h = 1e-6;
      for (let m = 0; m < par.length; m++) {
        const xp = Float64Array.from(x), xm = Float64Array.from(x);
        xp[m] += h; xm[m] -= h;
        const tp = thetaOfParameters(par, xp)!, tm = thetaOfParameters(par, xm)!;
        for (let e = 0; e < par.thetaLength; e++) expect(Math.abs(J[e * par.length + m] - (tp[e] - tm[e]) / (2 * h))).toBeLessThanOrEqual(1e-7);
      }
    }
  });

  it('d: glmmTMB\'s default 2, by name or position; refused unless 1 ≤ d < q', async () => {
    expect(parseFormula('y ~ rr(0 + sp | id)').random[0].rank).toBe(2);
    expect(parseFormula('y ~ rr(0 + sp | id, 3)').random[0].text).toBe('rr(0 + sp | id, d = 3)');
    expect(() => parseFormula('y ~ rr(0 + sp | id, d = 1.5)')).toThrow(FormulaError);
    expect(() => parseFormula('y ~ rr(0 + sp | id, k = 2)')).toThrow(/'rr' takes one random-effects term, such as rr\(0 \+ f \| g\) \(and its rank, d = 2\)/);
    const big = await lmer('y ~ x + rr(0 + sp | id, d = 5)', data()).then(() => null, (e: Error) => e);
    expect(big).toBeInstanceOf(ModelError);
    expect(big!.message).toMatch(/rr's rank d = 5 must be less than the term's 5 columns/);
  });
});

describe('rr in glmer (Poisson, log)', () => {
  const c = ref.glmer;
  it('at glmmTMB\'s optimum the Laplace deviance is its −2ℓ (1e-10)', () => {
    const model = buildGlmm(c.formula, data(), { family: 'poisson' });
    const cov = model.covariance!;
    const e = new GlmmEngines(model, new PirlsEngine(model.pirls), undefined, undefined);
    const z = new Float64Array(cov.length + c.beta.length);
    z.set(c.theta);
    z.set(c.beta, cov.length);
    expect(relErr(hessianObjective(e, null)(z), -2 * c.loglik)).toBeLessThanOrEqual(1e-10);
  });
  it('the fit', async () => {
    const fit = await glmer(c.formula, data(), { family: 'poisson' });
    expect(fit.objective).toBeLessThanOrEqual(-2 * c.loglik + 1e-6);
    expect(fit.objective).toBeGreaterThanOrEqual(-2 * c.loglik - 1e-4);
    fit.beta.forEach((b, j) => expect(Math.abs(b - c.beta[j])).toBeLessThanOrEqual(1e-5));
    fit.coefficients.forEach((r, j) => expect(relErr(r.se, c.se[j])).toBeLessThanOrEqual(1e-4));
    const rows = fit.varCorr.filter((r) => r.group === 'id');
    const sds = rows.filter((r) => r.var2 === null);
    sds.forEach((r, i) => expect(relErr(r.sdcor, c.sd[i])).toBeLessThanOrEqual(5e-5));
    for (let i = 1; i < sds.length; i++) for (let j = 0; j < i; j++) {
      const r = rows.find((v) => v.var1 === sds[j].var1 && v.var2 === sds[i].var1)!;
      expect(Math.abs(r.sdcor - c.corr[i][j])).toBeLessThanOrEqual(5e-5);
    }
    expect(fit.df).toBe(c.df);
    expect(Math.abs(fit.AIC - c.aic)).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(fit.BIC - c.bic)).toBeLessThanOrEqual(1e-6);
  }, 60000);
});
