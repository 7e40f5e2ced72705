/**
 * gamm4 for binomial and Poisson responses (glmer, Laplace) against gamm4 0.2-6 / mgcv 1.8-41 / lme4 1.1-31
 * (fixtures from test/oracle/gamm4_glmm.R: gamm4 fitted with tight PIRLS and optimizer tolerances). Tolerances:
 *   - lme4's Laplace deviance at gamm4's (θ, β), every smooth cr (mgcv's basis exactly): 1e-9 relative;
 *   - at our own optimum: the Laplace deviance 1e-9 relative (or lower), θ 1e-4 relative (cr smooths; a smooth at
 *     the boundary, gamm4's θ ≈ 1e-9: ours ≥ 0 and below 1e-5);
 *     fitted values and linear predictors (population level), the parametric estimates, the smooths' values on
 *     gamm4's grid, predictions on the link and response scales 1e-5 relative to their largest value; their
 *     SEs, the edf (each smooth's, and each coefficient's where every smooth is cr: there 1e-4 relative, or 1e-5
 *     absolute with a smooth at the boundary, whose penalty is gamm4's 1e10 at s = 0 against gamm4's 1/θ² ≈ 1e18
 *     at its θ ≈ 1e-9), the working weights 1e-4 relative; R²(adj) 1e-4 absolute; gamm4's gcv.ubre (lme4's deviance()) 1e-6 relative.
 * Our fits run glmer's stage 2 with rhoend 1e-7, as the oracle tightens gamm4's: at the default 1e-5 the
 * boundary case stops 1.2e-10 relative above gamm4's optimum with β 3e-5 away (gamm4's own default stops early too).
 * The tp basis's eigenvectors have arbitrary signs, so for tp smooths only invariants are compared.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTableFile } from '../src/io/node.js';
import { gamm4 } from '../src/gamm/gamm4.js';
import { formatCg } from '../src/gamm/gamm4Glmm.js';
import { DataError, ModelError, OptionError } from '../src/errors/errors.js';
import { runGamm } from '../src/cli/gammCommand.js';

const fixtures = join(import.meta.dirname, 'fixtures');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const cases: Record<string, any> = JSON.parse(readFileSync(join(fixtures, 'gamm4', 'gamm4_glmm.json'), 'utf8'));
const data = () => readTableFile(join(fixtures, 'data', 'gamsim1_glmm.csv')).table;
const tick = () => new Promise((r) => setTimeout(r, 0));

const maxAbs = (a: ArrayLike<number>) => Math.max(...Array.from(a, Math.abs));
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, scale = maxAbs(expected)) {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst / Math.max(scale, 1e-300)).toBeLessThan(tol);
}
function expectRel(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i]) / Math.abs(expected[i])).toBeLessThan(tol);
}
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('gamm4 with family binomial / poisson against gamm4 0.2-6', () => {
  for (const name of Object.keys(cases)) {
    const c = cases[name];
    it(`${name}: ${c.formula} (${c.family}), random ${c.random}`, async () => {
      const fit = await gamm4(c.formula, data(), { random: c.random, family: c.family as 'binomial' | 'poisson', optimizer: { rhoend: 1e-7 } });
      await tick();
      const allCr = c.formula.match(/s\(/g).length === (c.formula.match(/bs = "cr"/g) ?? []).length;
      expect(fit.mer.nAGQ).toBe(1);
      expect(fit.mer.family).toBe(c.family);
      expect(fit.mer.link).toBe(c.link);
      if (allCr) {
        // lme4's Laplace deviance at gamm4's (θ, β): a fresh devfun's and the mer's −2 logLik
        const dev = fit.devianceAt(c.mer.theta, c.mer.beta);
        expect(rel(dev, c.mer.laplace_at)).toBeLessThan(1e-9);
        expect(rel(dev, c.mer.m2loglik)).toBeLessThan(1e-9);
        // θ at our optimum (the smooths' s in the groups gamm4 named)
        fit.gam.smooths.forEach((s, k) => {
          const grp = fit.setupGroups[k];
          const ref = c.mer.varcorr.sdcor[c.mer.varcorr.grp.indexOf(grp)];
            // a smooth at the boundary (gamm4's θ ≈ 1e-9): s ≥ 0 within 1e-5 absolute of it; at s = 0 gamm4's
          // sp is 1e10
          if (ref < 1e-5) {
            expect(s.sd >= 0 && s.sd < 1e-5).toBe(true);
            if (s.sd === 0) expect(s.sp).toBe(1e10);
          } else expect(rel(s.sd, ref)).toBeLessThan(1e-4);
        });
        // each coefficient's edf 1e-4 relative; with a smooth at the boundary 1e-5 absolute: its penalty there is
        // 1e10 (s = 0) against gamm4's 1/θ² ≈ 1e18 (θ ≈ 1e-9), which moves each edf by ~ XVX/sp ≈ 1e-7
        const boundary = fit.gam.smooths.some((s) => s.sd < 1e-5);
        c.gam.edf.forEach((e: number, j: number) => expect(Math.abs(fit.gam.edf[j] - e)).toBeLessThan(boundary ? 1e-5 : 1e-4 * Math.abs(e)));
        expectClose(fit.gam.coefficients, c.gam.coefficients, 1e-5);
      }
      // the optimum: gamm4's or lower
      expect((fit.mer.objective - c.mer.m2loglik) / c.mer.m2loglik).toBeLessThan(1e-9);
      expect((c.mer.m2loglik - fit.mer.objective) / c.mer.m2loglik).toBeLessThan(1e-7);
      expect(fit.gam.names).toEqual(c.gam.names);
      expect(fit.gam.sig2).toBe(c.gam.sig2);
      expect(rel(fit.gam.criterion, c.gam.gcv_ubre)).toBeLessThan(1e-6);
      expectClose(fit.gam.fitted, c.gam.fitted, 1e-5);
      expectClose(fit.gam.linearPredictors, c.gam.linear_predictors, 1e-5);
      expectRel(fit.gam.weights, c.gam.weights, 1e-4);
      expect(Array.from(fit.gam.priorWeights)).toEqual(c.gam.prior_weights);
      expect(Math.abs(fit.gam.dfResidual - c.gam.df_residual)).toBeLessThan(1e-4 * c.n);
      expectClose(fit.mer.fitted, c.mer.fitted, 1e-5);
      const t = fit.gam.parametric;
      expect(t.names).toEqual(c.gam.p_table.names);
      expectClose(t.estimate, c.gam.p_table.estimate, 1e-5);
      expectRel(t.se, c.gam.p_table.se, 1e-4);
      expectRel(t.z, c.gam.p_table.z, 1e-4);
      expectRel(t.p, c.gam.p_table.p, 1e-3);
      expect(Math.abs(fit.gam.rSq - c.gam.r_sq)).toBeLessThan(1e-4);
      // each smooth on gamm4's grid (link scale) and its edf
      const plot = fit.plotData(50);
      plot.forEach((p, k) => {
        const s = c.smooths[k];
        expect(p.label).toBe(s.label);
        expectClose(p.x, s.grid, 1e-12);
        expectClose(p.fit, s.fit, 1e-5);
        // a smooth at the boundary is a line whose SE vanishes where it crosses 0: there the penalized part's
        // variance, 1/sp (1e-10 here, gamm4's ~1e-18), is all of it, so 1e-4 relative to its largest SE
        if (fit.gam.smooths[k].sd < 1e-5) expectClose(p.se, s.se, 1e-4);
        else expectRel(p.se, s.se, 1e-4);
        expect(rel(fit.gam.smooths[k].edf, s.edf)).toBeLessThan(1e-4);
      });
      // predict.gam on the link and response scales, with SEs
      const link = fit.predict(c.newdata);
      expectClose(link.fit, c.predict_link.fit, 1e-5);
      expectRel(link.se, c.predict_link.se, 1e-4);
      const resp = fit.predict(c.newdata, { type: 'response' });
      expectClose(resp.fit, c.predict_response.fit, 1e-5);
      expectRel(resp.se, c.predict_response.se, 1e-4);
      // the printout's head and the lines that do not depend on the p-values of the smooths
      const text = fit.summary();
      const r = c.gam.printout as string[];
      expect(text.split('\n').slice(0, 5)).toEqual(r.slice(0, 5));
      expect(text).toContain(r.find((l) => l.startsWith('R-sq.(adj)')));
      expect(text).toContain('z value Pr(>|z|)');
      expect(text).toMatch(/glmer\.ML = +\d/);
      expect(text).toContain(`Scale est. = 1         n = ${c.n}`);
    }, 120_000);
  }
});

describe('gamm4 GLMM: formatC, options refused, CLI', () => {
  it("R's formatC of format g (the printout's numbers)", () => {
    expect(formatCg(416.2958, 5)).toBe(' 416.3');
    expect(formatCg(638.96, 5)).toBe('638.96');
    expect(formatCg(1, 5, 8, true)).toBe('1       ');
    expect(formatCg(0.2296, 3, 5)).toBe(' 0.23');
    expect(formatCg(1234567, 5)).toBe('1.2346e+06');
    expect(formatCg(0.00012345, 3, 5)).toBe('0.000123');
    // R 4.2.2's formatC: %*.*g in width (digits + 1 when not given), no padding beyond it
    expect(formatCg(-0.05, 3, 5)).toBe('-0.05');
    expect(formatCg(-0.0123456, 3, 5)).toBe('-0.0123');
    expect(formatCg(0.00012, 3, 5)).toBe('0.00012');
    expect(formatCg(100000, 5)).toBe(' 1e+05');
    expect(formatCg(1.5e-7, 5)).toBe('1.5e-07');
    expect(formatCg(1000, 5)).toBe('  1000');
    expect(formatCg(12.000001, 5)).toBe('    12');
    expect(formatCg(0, 3, 5)).toBe('    0');
  });

  it('refuses what gamm4 does not fit here, naming it', async () => {
    const f = 'yb ~ s(x0, bs = "cr") + x2';
    await expect(gamm4(f, data(), { random: '~ (1 | fac)', family: 'binomial', nAGQ: 5 })).rejects.toThrow(OptionError);
    await expect(gamm4(f, data(), { random: '~ (1 | fac)', family: 'binomial', nAGQ: 5 })).rejects.toThrow(/nAGQ = 5 is not available: gamm4 fits by the Laplace approximation/);
    await expect(gamm4(f, data(), { random: '~ (1 | fac)', family: 'binomial', link: 'probit' })).rejects.toThrow(/link 'probit' is not available.*canonical link \(binomial: logit\)/);
    await expect(gamm4(f, data(), { random: '~ (1 | fac)', family: 'binomial', REML: true })).rejects.toThrow(/REML is not available for the binomial family/);
    await expect(gamm4(f, data(), { random: '~ (1 | fac)', family: 'Gamma' } as never)).rejects.toThrow(/family 'Gamma' is not available/);
    await expect(gamm4(f, data(), { random: '~ (1 | fac)', family: 'binomial', calcDerivs: true } as never)).rejects.toThrow(/option 'calcDerivs' is not available for the binomial family/);
    await expect(gamm4(f, data(), { random: '~ (1 | fac)', nAGQ: 1 } as never)).rejects.toThrow(/nAGQ is a glmer option/);
    await expect(gamm4('yb ~ s(x0, bs = "cr") + offset(x2)', data(), { random: '~ (1 | fac)', family: 'poisson' })).rejects.toThrow(ModelError);
    // a response outside the family's range, as glmer refuses it
    await expect(gamm4('yp ~ s(x0, bs = "cr")', data(), { random: '~ (1 | fac)', family: 'binomial' })).rejects.toThrow(/yp/);
    await expect(gamm4('yb ~ s(nope, bs = "cr")', data(), { random: '~ (1 | fac)', family: 'binomial' })).rejects.toThrow(DataError);
  }, 60_000);

  it('the CLI: --family binomial, JSON and the printout', async () => {
    const out: string[] = [], err: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) };
    const file = join(fixtures, 'data', 'gamsim1_glmm.csv');
    const c = cases.cbind_cr;
    expect(await runGamm({ file, formula: c.formula, random: c.random, family: 'binomial', json: true, quiet: true, points: 5 }, io)).toBe(0);
    const parsed = JSON.parse(out.join(''));
    expect(parsed.family).toBe('binomial');
    expect(parsed.method).toBe('glmer.ML');
    expect(parsed.plot[0].x.length).toBe(5);
    expect(rel(parsed.mer.deviance, c.mer.m2loglik)).toBeLessThan(1e-9);
    out.length = 0;
    expect(await runGamm({ file, formula: c.formula, random: c.random, family: 'binomial', quiet: true }, io)).toBe(0);
    expect(out.join('')).toContain('Family: binomial');
    expect(out.join('')).toContain('Generalized linear mixed model fit by maximum likelihood');
    expect(await runGamm({ file, formula: 'yp ~ s(x2, bs = "cr")', random: c.random, family: 'gamma', quiet: true }, io)).toBe(1);
    expect(err.join('')).toMatch(/family 'gamma' is not available/);
  }, 120_000);
});

describe("gamm4 GLMM: the mer's summary", () => {
  it("lists the smooths' terms as gamm4's mer does, and no covariance structure for them", async () => {
    const c = cases.cbind_cr;
    const fit = await gamm4(c.formula, data(), { random: c.random, family: 'binomial' });
    const text = fit.mer.summary();
    expect(text).toMatch(/Xr\s+s\(x2\)/);
    expect(text).not.toContain('Covariance structure');
    expect(text).not.toContain('homdiag');
  }, 60_000);
});
