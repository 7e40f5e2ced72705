/**
 * glmmTMB's spatial covariance structures exp, gau, mat (src/model/covStructure.ts, the Matérn's
 * K_ν in src/model/besselK.ts) against glmmTMB 1.1.5 (test/oracle/spatialcov.R →
 * test/fixtures/spatialcov/), with test/structcov.test.ts's two levels and tolerances, REML and ML:
 *  1. at glmmTMB's optimum, no optimizer: its theta (log-SD, log range, mat's log smoothness; σ from
 *     betad = log σ²) mapped by our ψ → θ gives the Cholesky factor of its VarCorr (1e-9 absolute),
 *     lme4's profiled criterion there equals the oracle's dense evaluation to 1e-9 relative, and
 *     Satterthwaite's ddf (varpar = (ψ, σ)) the oracle's lmerTest recipe to 1e-6 relative (observed:
 *     criterion ≤ 3.6e-15, ddf ≤ 1.6e-10 for exp and gau, ≤ 3.9e-9 for mat, whose ∂Σ/∂ log κ is a
 *     five-point difference);
 *  2. the fit from our start: the criterion is glmmTMB's −2ℓ or lower, by at most 1e-6; β and σ
 *     to 1e-5 relative, lme4's SEs at glmmTMB's optimum (the oracle's σ²(X'V₀⁻¹X)⁻¹) 2e-5, the SD
 *     2e-5 relative, every correlation 2e-5 absolute, glmmTMB's theta 1e-4 absolute; df, AIC, BIC
 *     (observed: ours below glmmTMB's −2ℓ by ≤ 7.7e-11, β ≤ 2.2e-7, the SD ≤ 4.0e-7, theta ≤ 8.9e-7).
 * Positions: `numFactor(xc, yc)` in the formula (numFactor's level order, as the oracle's) and the
 * text column `pos` of numFactor's strings (the same criterion; its levels in the CSV's order).
 * glmer (Poisson, log): the Laplace deviance at glmmTMB's (ψ, β) is its −2ℓ (1e-10 relative), and
 * the fit (glmerStructcov.test.ts's tolerances). K_ν against R's besselK (1e-13 relative).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lmer, glmer } from '../src/index.js';
import { buildLmm } from '../src/lmm/model.js';
import { buildGlmm } from '../src/glmm/model.js';
import { PirlsEngine } from '../src/glmm/pirls.js';
import { GlmmEngines } from '../src/glmm/objectives.js';
import { hessianObjective } from '../src/glmm/assemble.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import { thetaJacobian, thetaOfParameters, structureParameterCount } from '../src/model/covStructure.js';
import { besselK, maternCorrelation } from '../src/model/besselK.js';
import { FormulaError, ModelError } from '../src/errors/errors.js';
import { fitAtTheta } from './helpers/atTheta.js';
import { loadDataFile } from './helpers/inference.js';
import { runFit } from '../src/cli/fitCommand.js';
import { describeFrame } from '../src/gram/frameSpec.js';
import { anovaModels } from '../src/inference/fitInference.js';
import { parseFormula } from '../src/formula/parse.js';

interface Case {
  name: string; structure: 'exp' | 'gau' | 'mat'; formula: string; reml: boolean; beta: number[]; se: number[]; xnames: string[]; sigma: number;
  theta: number[]; betad: number; sd: number; range: number; smoothness?: number; names: string[]; corr: number[][];
  loglik: number; df: number; aic: number; bic: number; objective_at: number; se_lme4: number[]; satterthwaite_df: number[];
}
interface GlmerCase {
  name: string; formula: string; beta: number[]; se: number[]; xnames: string[]; theta: number[]; sd: number; range: number;
  names: string[]; corr: number[][]; loglik: number; df: number; aic: number; bic: number;
}
const ref = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'spatialcov', 'spatialcov.json'), 'utf8')) as {
  cases: Case[]; glmer: GlmerCase; besselK: { nu: number; x: number; K: number }[];
  single: { formula: string; plot: string; beta: number[]; sigma: number; theta: number[]; loglik: number; df: number };
};
const data = () => loadDataFile('spatialcov.csv');
// the oracle's posf = numFactor(xc, yc) is the formula's numFactor(xc, yc) here
const ours = (formula: string) => formula.replace('0 + posf', '0 + numFactor(xc, yc)');
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
const tick = () => new Promise((r) => setTimeout(r, 0));
// a column's position: glmmTMB's `posf(9.1,0.4)`, ours `numFactor(xc, yc)(9.1,0.4)`
const position = (name: string) => /\([^()]*\)$/.exec(name)![0];

/** vech(chol(Σ/σ²)) of glmmTMB's VarCorr (one SD, its correlation matrix) */
function thetaOfVarCorr(c: Case): number[] {
  const q = c.names.length;
  const S = c.corr.map((row) => row.map((r) => (c.sd * c.sd * r) / c.sigma ** 2));
  const L = S.map(() => new Array<number>(q).fill(0));
  for (let j = 0; j < q; j++) {
    let d = S[j][j];
    for (let k = 0; k < j; k++) d -= L[j][k] ** 2;
    L[j][j] = Math.sqrt(d);
    for (let i = j + 1; i < q; i++) { let v = S[i][j]; for (let k = 0; k < j; k++) v -= L[i][k] * L[j][k]; L[i][j] = v / L[j][j]; }
  }
  const out: number[] = [];
  for (let j = 0; j < q; j++) for (let i = j; i < q; i++) out.push(L[i][j]);
  return out;
}

describe('the Matérn\'s Bessel function', () => {
  it('K_ν(x) is R\'s besselK (1e-13 relative), and the Matérn with κ = 1/2 is exp(−d/φ)', () => {
    for (const r of ref.besselK) expect(relErr(besselK(r.nu, r.x), r.K)).toBeLessThanOrEqual(1e-13);
    for (const d of [0.1, 1, 3.7, 20]) expect(relErr(maternCorrelation(d, 1.7, 0.5), Math.exp(-d / 1.7))).toBeLessThanOrEqual(1e-13);
    expect(maternCorrelation(0, 1, 2)).toBe(1);
  });
});

describe('spatial structures: the criterion at glmmTMB\'s optimum', () => {
  for (const c of ref.cases) {
    it(`${c.name} (${c.reml ? 'REML' : 'ML'}): glmmTMB's parameters give its VarCorr, the oracle's criterion and Satterthwaite's df`, async () => {
      const model = buildLmm(ours(c.formula), data(), { REML: c.reml });
      const par = model.covariance!;
      expect(par.structured[0].structure).toBe(c.structure);
      expect(par.length + c.xnames.length + 1).toBe(c.df);
      expect(model.frame.reTerms[0].cnames.map(position)).toEqual(c.names.map(position));
      // x: the log-SD relative to σ, then the log range (and log smoothness) as they are
      const sigma = Math.exp(c.betad / 2);
      const x = Float64Array.from(c.theta, (v, m) => (m === 0 ? v - Math.log(sigma) : v));
      const theta = thetaOfParameters(par, x)!;
      const expected = thetaOfVarCorr(c);
      expect(theta.length).toBe(expected.length);
      for (let e = 0; e < expected.length; e++) expect(Math.abs(theta[e] - expected[e])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected[e])));
      const at = fitAtTheta(model, theta);
      expect(relErr(at.objective, c.objective_at)).toBeLessThanOrEqual(1e-9);
      at.coefficients().forEach((row, j) => expect(relErr(row.df, c.satterthwaite_df[j])).toBeLessThanOrEqual(1e-6));
      await tick();
    });
  }
});

const fitCache = new Map<string, Promise<LmmFit>>();
const fitOf = (c: Case) => {
  const key = `${c.name}${c.reml}`;
  let f = fitCache.get(key);
  if (!f) fitCache.set(key, (f = lmer(ours(c.formula), data(), { REML: c.reml })));
  return f;
};

describe('spatial structures: the fit against glmmTMB', () => {
  for (const c of ref.cases) {
    it(`${c.name} (${c.reml ? 'REML' : 'ML'})`, async () => {
      const fit = await fitOf(c);
      expect(fit.converged).toBe(true);
      expect(fit.objective).toBeLessThanOrEqual(-2 * c.loglik + 1e-8);
      expect(-2 * c.loglik - fit.objective).toBeLessThanOrEqual(1e-6);
      expect(Object.keys(fit.fixef)).toEqual(c.xnames);
      c.xnames.forEach((x, j) => {
        expect(relErr(fit.fixef[x], c.beta[j])).toBeLessThanOrEqual(1e-5);
        expect(relErr(fit.se[x], c.se_lme4[j])).toBeLessThanOrEqual(2e-5);
      });
      expect(relErr(fit.sigma, c.sigma)).toBeLessThanOrEqual(1e-5);
      // VarCorr: one SD at every position, each correlation
      const rows = fit.varCorr.filter((r) => r.group === 'plot');
      const sds = rows.filter((r) => r.var2 === null);
      expect(sds.length).toBe(c.names.length);
      sds.forEach((r) => expect(relErr(r.sdcor, c.sd)).toBeLessThanOrEqual(2e-5));
      for (let i = 1; i < sds.length; i++) {
        for (let j = 0; j < i; j++) {
          const r = rows.find((v) => v.var1 === sds[j].var1 && v.var2 === sds[i].var1)!;
          expect(Math.abs(r.sdcor - c.corr[i][j])).toBeLessThanOrEqual(2e-5);
        }
      }
      expect(fit.df).toBe(c.df);
      expect(Math.abs(fit.AIC - c.aic)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(fit.BIC - c.bic)).toBeLessThanOrEqual(1e-6);
      if (!c.reml) expect(Math.abs(fit.logLik - c.loglik)).toBeLessThanOrEqual(5e-7);
      // the structure's estimates: SD, range (mat: smoothness), glmmTMB's theta (1e-4 absolute)
      const s = fit.structures[0];
      expect(s.structure).toBe(c.structure);
      expect(relErr(s.sd[0], c.sd)).toBeLessThanOrEqual(2e-5);
      expect(s.parameters.length).toBe(c.theta.length);
      s.parameters.forEach((p, m) => expect(Math.abs(p - c.theta[m])).toBeLessThanOrEqual(1e-4));
      expect(Math.abs(Math.log(s.range!) - Math.log(c.range))).toBeLessThanOrEqual(1e-4);
      if (c.structure === 'mat') expect(Math.abs(Math.log(s.smoothness!) - Math.log(c.smoothness!))).toBeLessThanOrEqual(1e-4);
      else expect(s.smoothness).toBeUndefined();
    }, 60000);
  }

  it('the text column of numFactor\'s strings is the same model (its levels in the CSV\'s order)', async () => {
    for (const c of ref.cases.filter((k) => k.reml)) {
      const a = buildLmm(ours(c.formula), data(), { REML: true });
      const b = buildLmm(c.formula.replace('0 + posf', '0 + pos'), data(), { REML: true });
      const x = Float64Array.from(c.theta, (v, m) => (m === 0 ? v - c.betad / 2 : v));
      const fa = fitAtTheta(a, thetaOfParameters(a.covariance!, x)!);
      const fb = fitAtTheta(b, thetaOfParameters(b.covariance!, x)!);
      expect(relErr(fb.objective, fa.objective)).toBeLessThanOrEqual(1e-10);
      expect(b.frame.reTerms[0].cnames.map(position).sort()).toEqual(a.frame.reTerms[0].cnames.map(position).sort());
      await tick();
    }
  });

  it('one field: a grouping factor of one level (glmmTMB\'s single spatial field), ML', async () => {
    const c = ref.single;
    const t = data();
    const col = (name: string) => Array.from(t.getChild(name)!.toArray() as ArrayLike<unknown>);
    const keep = col('plot').map((p) => p === c.plot);
    const pick = (name: string) => col(name).filter((_, i) => keep[i]);
    const one = { y_exp: pick('y_exp'), x: pick('x'), xc: pick('xc'), yc: pick('yc'), one: pick('plot').map(() => 'a') };
    expect(one.x.length).toBe(30);
    const fit = await lmer(ours(c.formula), one as never, { REML: false });
    expect(fit.objective).toBeLessThanOrEqual(-2 * c.loglik + 1e-8);
    expect(-2 * c.loglik - fit.objective).toBeLessThanOrEqual(1e-6);
    Object.values(fit.fixef).forEach((b, j) => expect(relErr(b, c.beta[j])).toBeLessThanOrEqual(1e-5));
    expect(relErr(fit.sigma, c.sigma)).toBeLessThanOrEqual(1e-5);
    fit.structures[0].parameters.forEach((p, m) => expect(Math.abs(p - c.theta[m])).toBeLessThanOrEqual(1e-4));
    expect(fit.df).toBe(c.df);
    // an ordinary term still needs two levels
    const e = await lmer('y_exp ~ x + (1 | one)', one as never).then(() => null, (err: Error) => err);
    expect(e!.message).toMatch(/grouping factor 'one' has 1 level/);
  });

  it('its Jacobian is the central differences\' (exp, gau, mat)', async () => {
    for (const f of ['y_exp ~ x + exp(0 + pos | plot)', 'y_gau ~ x + gau(0 + pos | plot)', 'y_mat ~ x + mat(0 + pos | plot)']) {
      const par = buildLmm(f, data()).covariance!;
      expect(par.length).toBe(structureParameterCount(par.structured[0].structure, 15));
      const x = Float64Array.from([0.2, 0.4, -0.3].slice(0, par.length));
      const J = thetaJacobian(par, x)!;
      const h = 1e-6;
      for (let m = 0; m < par.length; m++) {
        const xp = Float64Array.from(x), xm = Float64Array.from(x);
        xp[m] += h; xm[m] -= h;
        const tp = thetaOfParameters(par, xp)!, tm = thetaOfParameters(par, xm)!;
        // (mat's smoothness derivative is itself a five-point difference)
        const tol = 1e-7;
        for (let e = 0; e < par.thetaLength; e++) expect(Math.abs(J[e * par.length + m] - (tp[e] - tm[e]) / (2 * h))).toBeLessThanOrEqual(tol);
      }
      await tick();
    }
  });
});

describe('spatial structures in glmer (Poisson, log)', () => {
  const c = ref.glmer;
  it('at glmmTMB\'s optimum: θ(ψ̂) is its VarCorr\'s factor and the Laplace deviance its −2ℓ (1e-10)', async () => {
    const model = buildGlmm(ours(c.formula), data(), { family: 'poisson' });
    const cov = model.covariance!;
    const theta = thetaOfParameters(cov, Float64Array.from(c.theta))!;
    const expected = thetaOfVarCorr({ ...(c as unknown as Case), sigma: 1 });
    theta.forEach((t, e) => expect(Math.abs(t - expected[e])).toBeLessThanOrEqual(1e-9));
    const e = new GlmmEngines(model, new PirlsEngine(model.pirls), undefined, undefined);
    const z = new Float64Array(cov.length + c.beta.length);
    z.set(c.theta);
    z.set(c.beta, cov.length);
    expect(relErr(hessianObjective(e, null)(z), -2 * c.loglik)).toBeLessThanOrEqual(1e-10);
  });

  it('the fit: glmmTMB\'s −2ℓ or lower, β, SEs, SD and range, df, AIC, BIC', async () => {
    const fit = await glmer(ours(c.formula), data(), { family: 'poisson' });
    expect(fit.objective).toBeLessThanOrEqual(-2 * c.loglik + 1e-6);
    expect(fit.objective).toBeGreaterThanOrEqual(-2 * c.loglik - 1e-4);
    fit.beta.forEach((b, j) => expect(Math.abs(b - c.beta[j])).toBeLessThanOrEqual(1e-5));
    fit.coefficients.forEach((r, j) => expect(relErr(r.se, c.se[j])).toBeLessThanOrEqual(1e-4));
    const s = fit.structures[0];
    expect(relErr(s.sd[0], c.sd)).toBeLessThanOrEqual(5e-5);
    expect(relErr(s.range!, c.range)).toBeLessThanOrEqual(5e-5);
    expect(fit.df).toBe(c.df);
    expect(Math.abs(fit.AIC - c.aic)).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(fit.BIC - c.bic)).toBeLessThanOrEqual(1e-6);
    // predictions, ranef, simulate work
    expect(fit.predict().length).toBe(360);
    expect(fit.ranef[0].levels.length).toBe(12);
    expect(fit.simulate(1, { seed: 3 }).y.length).toBe(1);
    expect(fit.summary()).toMatch(/Covariance structure: exp\(0 \+ numFactor\(xc, yc\) \| plot\), 2 parameters \(glmmTMB's exp\), range 3\.00/);
  }, 60000);
});

describe('spatial structures: what works and the refusals', () => {
  const exp = () => fitOf(ref.cases.find((c) => c.name === 'exp' && c.reml)!);
  const fitErr = (formula: string, d = data()) => lmer(formula, d).then(() => null, (e: Error) => e);

  it('predictions, ranef, simulate, Wald intervals, emmeans, Satterthwaite, the summary and JSON', async () => {
    const fit = await exp();
    expect(fit.predict().length).toBe(360);
    expect(fit.ranef[0].levels.length).toBe(12);
    expect(fit.simulate(2, { seed: 1 }).y.length).toBe(2);
    const w = await fit.confint({ method: 'wald' });
    expect(w.intervals.x[0]).toBeCloseTo(fit.fixef.x - 1.959963984540054 * fit.se.x, 10);
    expect(fit.emmeans('x', { ddf: 'asymptotic', at: { x: [0, 1] } }).rows.length).toBe(2);
    const c = ref.cases.find((k) => k.name === 'exp' && k.reml)!;
    // Satterthwaite's df at our optimum near the oracle's at glmmTMB's (the optima differ by ~1e-6)
    fit.coefficients().forEach((r, j) => expect(relErr(r.df, c.satterthwaite_df[j])).toBeLessThanOrEqual(1e-3));
    const text = fit.summary();
    expect(text).toContain('Covariance structure: exp(0 + numFactor(xc, yc) | plot), 2 parameters (glmmTMB\'s exp), range 3.575');
    const json = fit.toJSON() as { covariance_structures: { structure: string; range: number }[] };
    expect(json.covariance_structures[0].structure).toBe('exp');
    expect(json.covariance_structures[0].range).toBeCloseTo(fit.structures[0].range!, 12);
  }, 60000);

  it('update and the likelihood-ratio anova refit in ψ (ML): exp against mat on the same response', async () => {
    const fit = await exp();
    const ml = await fit.update({ REML: false });
    const c = ref.cases.find((k) => k.name === 'exp' && !k.reml)!;
    expect(ml.model.covariance!.structured[0].structure).toBe('exp');
    expect(-2 * c.loglik - ml.objective).toBeLessThanOrEqual(1e-6);
    expect(ml.objective).toBeLessThanOrEqual(-2 * c.loglik + 1e-8);
    const mat = await lmer('y_exp ~ x + mat(0 + numFactor(xc, yc) | plot)', data());
    const t = await anovaModels([fit, mat]);
    expect(t.models.map((r) => r.npar)).toEqual([5, 6]);
    expect(Math.abs(t.models[0].deviance - ml.objective)).toBeLessThanOrEqual(1e-6);
    // the Matérn nests exp (κ = 1/2): its ML deviance is no higher
    expect(t.models[1].deviance).toBeLessThanOrEqual(t.models[0].deviance + 1e-6);
  }, 60000);

  it('the CLI fits a spatial term', async () => {
    let out = '';
    const io = { stdout: (s: string) => { out += s; }, stderr: () => {} };
    expect(await runFit({ file: join(__dirname, 'fixtures', 'data', 'spatialcov.csv'), formula: 'y_gau ~ x + gau(0 + pos | plot)' }, io as never)).toBe(0);
    expect(out).toContain('(glmmTMB\'s gau)');
  }, 60000);

  it('bad positions: a missing column, one position, the same position twice, levels that are not numbers, an intercept', async () => {
    const missing = await fitErr('y_exp ~ x + exp(0 + numFactor(xc, zc) | plot)');
    expect(missing).not.toBeNull();
    expect(missing!.message).toMatch(/zc/);
    const small = { y: [1, 2, 3, 4, 2, 3], pos: ['(1,2)', '(1,2)', '(1,2)', '(1,2)', '(1,2)', '(1,2)'], g: ['a', 'a', 'b', 'b', 'c', 'c'] };
    const one = await fitErr('y ~ exp(0 + pos | g)', small as never);
    expect(one).toBeInstanceOf(ModelError);
    expect(one!.message).toMatch(/factor 'pos' has one level \('\(1,2\)'\)/);
    const dup = await fitErr('y ~ exp(0 + pos | g)', { ...small, pos: ['(1,2)', '(1.0,2)', '(1,2)', '(1.0,2)', '(1,2)', '(3,4)'] } as never);
    expect(dup).toBeInstanceOf(ModelError);
    expect(dup!.message).toMatch(/levels '\(1,2\)' and '\(1.0,2\)' of 'pos' name the same position/);
    const text = await fitErr('y ~ gau(0 + pos | g)', { ...small, pos: ['(1,2)', 'north', '(1,2)', 'north', '(1,2)', '(3,4)'] } as never);
    expect(text).toBeInstanceOf(ModelError);
    expect(text!.message).toMatch(/gau takes the levels of 'pos' as coordinates.*level 'north' is not numbers/);
    const dims = await fitErr('y ~ mat(0 + pos | g)', { ...small, pos: ['(1,2)', '(1,2,3)', '(1,2)', '(1,2,3)', '(1,2)', '(3,4)'] } as never);
    expect(dims!.message).toMatch(/different dimensions/);
    const icpt = await fitErr('y_exp ~ x + exp(1 + pos | plot)');
    expect(icpt).toBeInstanceOf(ModelError);
    expect(icpt!.message).toMatch(/exp needs a factor whose levels are the positions and no intercept.*has an intercept/);
    const num = await fitErr('y_exp ~ x + exp(0 + xc | plot)');
    expect(num!.message).toMatch(/'xc' is not a factor/);
    // numFactor only as a term's variable; exp(x) is still the exponential
    const inside = await fitErr('y_exp ~ x + I(numFactor(xc, yc)) + (1 | plot)');
    expect(inside).toBeInstanceOf(FormulaError);
    expect(buildLmm('y_exp ~ exp(x) + (1 | plot)', data()).frame.xnames).toEqual(['(Intercept)', 'exp(x)']);
    // the engines evaluate no numFactor (a fixed-effects factor here; a structured term is refused before)
    expect(() => describeFrame(parseFormula('y ~ numFactor(xc, yc) + (1 | g)'), new Map([['y', 'numeric'], ['xc', 'numeric'], ['yc', 'numeric'], ['g', 'text']] as const)))
      .toThrow(/numFactor\(\) is evaluated with the rows in memory only/);
  });

  it('what works in θ itself is refused naming the structure (Kenward–Roger, profiles)', async () => {
    const fit = await exp();
    const kr = await Promise.resolve().then(() => fit.coefficients({ ddf: 'kenward-roger' })).then(() => null, (e: Error) => e);
    expect(kr).toBeInstanceOf(ModelError);
    expect(kr!.message).toMatch(/exp\(0 \+ numFactor\(xc, yc\) \| plot\)/);
    const prof = await fit.confint({ method: 'profile' }).then(() => null, (e: Error) => e);
    expect(prof!.message).toMatch(/covariance structure \(exp\(0 \+ numFactor\(xc, yc\) \| plot\)\)/);
  }, 60000);
});
