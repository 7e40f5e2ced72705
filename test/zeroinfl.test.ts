/**
 * Zero-inflated and hurdle count GLMMs (src/zeroinfl) against glmmTMB 1.1.5
 * (test/oracle/zeroinfl.R → test/fixtures/zeroinfl/*.json; data: test/fixtures/data/salamanders.csv,
 * glmmTMB's Salamanders): `count ~ mined + (1 | site)` with ziformula ~ mined (poisson, nbinom2,
 * truncated_nbinom2), ziformula ~ 1 (poisson), and `count ~ mined + cover + (1 | site)` with
 * truncated_poisson.
 *
 * Two levels:
 *   - the objective −log L (the Laplace approximation with the exact Hessian in b, as TMB's) at
 *     glmmTMB's optimum and at two points about it: 1e-10 relative (observed: ≤ 3e-13, the size of
 *     TMB's inner convergence);
 *   - the fit: parameters (β, γ, log φ, log SD) within 1e-6 × max(1, |x|) of the converged optimum
 *     (Newton steps on TMB's exact gradient from glmmTMB's, to max|gradient| < 1e-10) and 1e-5 ×
 *     max(1, |x|) of glmmTMB's own (nlminb stops with a gradient up to 5e-5: the hurdle case's log SD
 *     is 1e-5 from the optimum in its flat direction); the objective 1e-12 relative of the converged
 *     one; logLik, AIC, BIC 1e-8 relative of glmmTMB's; df.resid exact; SEs within 1e-4 relative of
 *     sdreport's (vcov(full = TRUE): the objective's Hessian in all fixed parameters, at glmmTMB's
 *     optimum); sigma 1e-5 relative; the SD 1e-6 of the converged optimum's (2e-5 of glmmTMB's);
 *     predictions of every type and the conditional modes 1e-5 (relative; ranef and link absolute).
 * No test runs R.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { runZeroinflCli } from './helpers/tmbChecks.js';
import { readCsv } from '../src/io/csv.js';
import { DataError, MixedGpuError, ModelError, OptionError } from '../src/errors/errors.js';
import { zeroInflated } from '../src/zeroinfl/zeroInflated.js';
import { buildZeroInflatedModel } from '../src/zeroinfl/model.js';
import { ZiLaplace } from '../src/zeroinfl/laplace.js';
import { fillDispersionConstants, ziRowLogLik, type ZiRowState } from '../src/zeroinfl/rowKernel.js';
import type { ZeroInflatedFit } from '../src/zeroinfl/zeroInflatedFit.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const salamanders = readCsv(readFileSync(join(fixtures, 'data', 'salamanders.csv'), 'utf8')).table;
const reference = (name: string) => JSON.parse(readFileSync(join(fixtures, 'zeroinfl', `${name}.json`), 'utf8'));
const CASES = ['zip_mined', 'zinb_mined', 'hurdle_nb_mined', 'zip_intercept', 'hurdle_pois_cover'];
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('zero-inflated objective at glmmTMB\'s points', () => {
  for (const name of CASES) {
    it(name, () => {
      const ref = reference(name);
      const model = buildZeroInflatedModel(ref.formula, salamanders, { family: ref.family, ziformula: ref.ziformula });
      expect(model.nPar).toBe(ref.par.length);
      const lap = new ZiLaplace(model);
      for (const pt of ref.objective) {
        expect(rel(lap.evaluate(pt.par), pt.value)).toBeLessThan(1e-10);
      }
    });
  }
});

describe('zero-inflated fit against glmmTMB', () => {
  const fits = new Map<string, ZeroInflatedFit>();
  const fitOf = async (name: string) => {
    if (!fits.has(name)) {
      const ref = reference(name);
      fits.set(name, await zeroInflated(ref.formula, salamanders, { family: ref.family, ziformula: ref.ziformula }));
    }
    return fits.get(name)!;
  };
  for (const name of CASES) {
    it(name, async () => {
      const ref = reference(name);
      const fit = await fitOf(name);
      await new Promise((r) => setTimeout(r, 0));
      expect(fit.nobs).toBe(ref.nobs);
      expect(fit.df).toBe(ref.df);
      // the parameters: against the converged optimum (1e-6) and glmmTMB's own (1e-5)
      fit.par.forEach((v, k) => expect(Math.abs(v - ref.tight.par[k])).toBeLessThan(1e-6 * Math.max(1, Math.abs(ref.tight.par[k]))));
      fit.par.forEach((v, k) => expect(Math.abs(v - ref.par[k])).toBeLessThan(1e-5 * Math.max(1, Math.abs(ref.par[k]))));
      expect(rel(fit.logLik, ref.loglik)).toBeLessThan(1e-8);
      expect(rel(fit.objective, ref.tight.value)).toBeLessThan(1e-12);
      expect(rel(fit.AIC, ref.aic)).toBeLessThan(1e-8);
      expect(rel(fit.BIC, ref.bic)).toBeLessThan(1e-8);
      expect(fit.dfResid).toBe(ref.df_resid);
      // SEs of every parameter against sdreport's vcov(full = TRUE), and the summary's tables
      for (let k = 0; k < fit.df; k++) expect(rel(Math.sqrt(fit.vcov[k * fit.df + k]), Math.sqrt(ref.vcov_full[k][k]))).toBeLessThan(1e-4);
      // (jsonlite writes a one-row table's columns as scalars)
      const arr = <T>(v: T | T[]): T[] => ([] as T[]).concat(v);
      for (const key of ['rownames', 'se', 'z'] as const) { ref.cond[key] = arr(ref.cond[key]); ref.zi[key] = arr(ref.zi[key]); }
      expect(fit.cond.map((r) => r.name)).toEqual(ref.cond.rownames);
      expect(fit.zi.map((r) => r.name)).toEqual(ref.zi.rownames);
      fit.cond.forEach((r, k) => { expect(rel(r.se, ref.cond.se[k])).toBeLessThan(1e-4); expect(Math.abs(r.z - ref.cond.z[k])).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref.cond.z[k]))); });
      fit.zi.forEach((r, k) => { expect(rel(r.se, ref.zi.se[k])).toBeLessThan(1e-4); expect(Math.abs(r.z - ref.zi.z[k])).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref.zi.z[k]))); });
      expect(rel(fit.sigma, ref.sigma)).toBeLessThan(1e-5);
      expect(rel(fit.varCorr[0].sd, Math.exp(ref.tight.par[ref.par.length - 1]))).toBeLessThan(1e-6);
      expect(rel(fit.varCorr[0].sd, ([] as number[]).concat(ref.sd_re)[0])).toBeLessThan(2e-5);
      for (const [type, key] of [['response', 'predict_response'], ['conditional', 'predict_conditional'], ['zprob', 'predict_zprob']] as const) {
        const pr = fit.predict(type);
        pr.forEach((v, i) => expect(rel(v, ref[key][i])).toBeLessThan(1e-5));
      }
      fit.predict('link').forEach((v, i) => expect(Math.abs(v - ref.predict_link[i])).toBeLessThan(1e-5));
      const re = fit.ranef[0];
      ref.ranef.levels.forEach((l: string, k: number) => {
        expect(Math.abs(re.values[re.levels.indexOf(l)] - ref.ranef.values[k])).toBeLessThan(1e-5);
      });
    });
  }
  it('prints glmmTMB\'s summary lines (information line, variance table, coefficient tables)', async () => {
    const ref = reference('hurdle_nb_mined');
    const text = (await fitOf('hurdle_nb_mined')).summary().split('\n');
    const rLines: string[] = ref.printout;
    // the AIC … df.resid line and its values
    const at = rLines.findIndex((l) => l.includes('df.resid'));
    expect(text).toContain(rLines[at]);
    expect(text).toContain(rLines[at + 1]);
    for (const l of rLines.filter((x) => /^(\(Intercept\)|minedyes) /.test(x))) expect(text).toContain(l);
    expect(text).toContain(' Family: truncated_nbinom2  ( log )');
    expect(text).toContain(rLines.find((l) => l.startsWith('Dispersion parameter')));
    expect(text.some((l) => /^ site +\(Intercept\) 0\.01109 +0\.1053/.test(l))).toBe(true);
  });
  it('JSON: glmmTMB\'s parameters and tables', async () => {
    const j = JSON.parse(JSON.stringify((await fitOf('zinb_mined')).toJSON()));
    expect(j.family).toBe('nbinom2');
    expect(j.par_names).toEqual(['cond:(Intercept)', 'cond:minedyes', 'zi:(Intercept)', 'zi:minedyes', 'log(phi)', 'log(sd):site:(Intercept)']);
    expect(rel(j.loglik, reference('zinb_mined').loglik)).toBeLessThan(1e-8);
    expect(j.zi.map((r: { name: string }) => r.name)).toEqual(['(Intercept)', 'minedyes']);
  });
});

describe('the zero-inflated row kernel', () => {
  // one row at η: ℓ, ℓ′ and W against central differences of ℓ in η
  const kernelAt = (family: string, y: number, eta: number, p: number, phi: number) => {
    const continuous = family === 'beta_family' || family === 'gaussian';
    const table = arrow.tableFromArrays({ y: Float64Array.from(continuous ? [y, 0.5, 0.25] : [y, 1, 2]), g: ['a', 'a', 'b'] });
    const model = buildZeroInflatedModel('y ~ 1 + (1 | g)', table, { family: family as never, ziformula: continuous ? '~ 0' : '~ 1' });
    const one = { ...model, n: 1 };
    const state = (e: number): ZiRowState => {
      const st: ZiRowState = {
        etaFixed: Float64Array.of(e), logP: Float64Array.of(continuous ? -Infinity : Math.log(p)), log1mP: Float64Array.of(continuous ? 0 : Math.log1p(-p)),
        phi: Float64Array.of(phi), aux: new Float64Array(1),
      };
      fillDispersionConstants(one, st);
      return st;
    };
    const g = new Float64Array(1), w = new Float64Array(1), sw = new Float64Array(1);
    const l = ziRowLogLik(one, state(eta), null, g, w, sw);
    const h = 1e-4;
    const lp = ziRowLogLik(one, state(eta + h), null), lm = ziRowLogLik(one, state(eta - h), null);
    return { l, g: g[0], w: w[0], sw: sw[0], gNum: (lp - lm) / (2 * h), wNum: -(lp - 2 * l + lm) / (h * h) };
  };
  const cases: [string, number[]][] = [
    ...['poisson', 'nbinom1', 'nbinom2', 'truncated_poisson', 'truncated_nbinom1', 'truncated_nbinom2'].map((f): [string, number[]] => [f, [0, 1, 4]]),
    ['beta_family', [0.05, 0.5, 0.93]], ['gaussian', [-1.2, 0, 3.5]],
  ];
  for (const [family, ys] of cases) {
    for (const y of ys) {
      it(`${family}, y = ${y}: ℓ′ and W = −ℓ″ equal central differences; step weights ≥ 0`, () => {
        for (const eta of [-1.5, 0.3, 1.2]) {
          const k = kernelAt(family, y, eta, 0.3, 1.7);
          expect(Number.isFinite(k.l)).toBe(true);
          expect(Math.abs(k.g - k.gNum)).toBeLessThan(1e-7 * Math.max(1, Math.abs(k.g)));
          expect(Math.abs(k.w - k.wNum)).toBeLessThan(1e-5 * Math.max(1, Math.abs(k.w)));
          expect(k.sw).toBeGreaterThanOrEqual(0);
        }
      });
    }
  }
  it('a zero-inflated zero can have negative W (the mixture is not log-concave): the reason for the safeguard', () => {
    // p = ½, μ = e^1.1 ≈ 3: ℓ″ = r g″ + r (1 − r) g′² > 0
    const k = kernelAt('poisson', 0, 1.1, 0.5, 1);
    expect(k.w).toBeLessThan(0);
    expect(k.sw).toBeGreaterThan(0);
  });
});

describe('the safeguarded Newton iteration', () => {
  it('a group of zeros whose observed system is indefinite at the start: the Laplace value equals a per-group search', () => {
    // three groups: 'z' all zeros (at μ = 5, p = ½ each zero's W ≈ −0.13: 1 + Σ W θ² < 0 at θ = 1),
    // 'a' and 'b' counts with some zeros
    const y: number[] = [], g: string[] = [];
    for (let i = 0; i < 20; i++) { y.push(0); g.push('z'); }
    for (let i = 0; i < 20; i++) { y.push(i % 3 === 0 ? 0 : 3 + (i % 5)); g.push('a'); }
    for (let i = 0; i < 20; i++) { y.push(i % 4 === 0 ? 0 : 6 + (i % 3)); g.push('b'); }
    const table = arrow.tableFromArrays({ y: Float64Array.from(y), g });
    const model = buildZeroInflatedModel('y ~ 1 + (1 | g)', table, { family: 'poisson', ziformula: '~ 1' });
    const lap = new ZiLaplace(model);
    const x = [Math.log(5), 0, 0.2];
    const value = lap.evaluate(x);
    expect(lap.safeguardedSteps).toBeGreaterThan(0);
    // the reference: per group (one scalar term: the modes are independent), h_g(u) = −Σ ℓ_i(β₀ + θu) + u²/2
    // minimized by a grid and golden-section search, h_g″ by central differences
    const theta = Math.exp(x[2]);
    const logp = -Math.log1p(Math.exp(-x[1])), log1mp = -Math.log1p(Math.exp(x[1]));
    const lgf = (k: number) => { let s = 0; for (let j = 2; j <= k; j++) s += Math.log(j); return s; };
    let total = 0;
    for (const lev of ['z', 'a', 'b']) {
      const ys = y.filter((_, i) => g[i] === lev);
      const h = (u: number) => {
        const eta = x[0] + theta * u, mu = Math.exp(eta);
        let ll = 0;
        for (const yi of ys) ll += yi === 0 ? Math.log(Math.exp(logp) + Math.exp(log1mp - mu)) : log1mp + yi * eta - mu - lgf(yi);
        return -ll + 0.5 * u * u;
      };
      let best = -10;
      for (let u = -10; u <= 10; u += 0.01) if (h(u) < h(best)) best = u;
      let lo = best - 0.01, hi = best + 0.01;
      for (let it = 0; it < 200; it++) {
        const m1 = lo + (hi - lo) * 0.381966, m2 = hi - (hi - lo) * 0.381966;
        if (h(m1) < h(m2)) hi = m2; else lo = m1;
      }
      const u = (lo + hi) / 2, d = 1e-4;
      const h2 = (h(u + d) - 2 * h(u) + h(u - d)) / (d * d);
      total += h(u) + 0.5 * Math.log(h2);
    }
    expect(Math.abs(value - total) / Math.abs(total)).toBeLessThan(1e-8);
  });
});

describe('zero-inflated input', () => {
  const rows = (counts: number[]) => arrow.tableFromArrays({ count: Float64Array.from(counts), site: counts.map((_, i) => `s${i % 4}`), x: Float64Array.from(counts, (_, i) => i % 3) });
  it('refuses negative and non-integer counts, naming the column, row and value', async () => {
    const neg = rows([0, 1, 2, -1, 3, 0, 1, 2]);
    await expect(zeroInflated('count ~ x + (1 | site)', neg)).rejects.toThrow(DataError);
    await expect(zeroInflated('count ~ x + (1 | site)', neg)).rejects.toThrow(/'count' is -1 in row 4/);
    await expect(zeroInflated('count ~ x + (1 | site)', rows([0, 1, 2.5, 1, 3, 0, 1, 2]))).rejects.toThrow(/'count' is 2.5 in row 3: counts must be whole numbers/);
  });
  it('refuses random effects in the dispersion formula, structures in the zi formula, unknown families, the WebGPU backend', async () => {
    const t = rows([0, 1, 2, 0, 3, 0, 1, 2, 0, 0, 4, 1]);
    await expect(zeroInflated('count ~ x + (1 | site)', t, { family: 'nbinom2', dispformula: '~ x + (1 | site)' })).rejects.toThrow(ModelError);
    await expect(zeroInflated('count ~ x + (1 | site)', t, { family: 'nbinom2', dispformula: '~ x + (1 | site)' })).rejects.toThrow(/dispformula: '~ x \+ \(1 \| site\)' has random-effects terms/);
    await expect(zeroInflated('count ~ x + (1 | site)', t, { ziformula: '~ ar1(0 + factor(x) | site)' })).rejects.toThrow(/ziformula: covariance structures \(ar1\(…\)\) are not available in the zero-inflation model/);
    await expect(zeroInflated('count ~ x + (1 | site)', t, { family: 'ordbeta' as never })).rejects.toThrow(OptionError);
    await expect(zeroInflated('count ~ x + (1 | site)', t, { family: 'ordbeta' as never })).rejects.toThrow(/not a glmmTMB family offered here; use one of poisson, nbinom1, nbinom2/);
    await expect(zeroInflated('count ~ x + (1 | site)', t, { backend: 'webgpu' })).rejects.toThrow(/run on the CPU only; the WebGPU backend has no zero-inflated likelihood/);
    await expect(zeroInflated('count ~ x + (1 | site)', t, { ziformula: 'x' })).rejects.toThrow(/ziformula must be a one-sided formula/);
    await expect(zeroInflated('count ~ x + (1 | site)', t, { family: 'truncated_poisson', ziformula: '~ 0' })).rejects.toThrow(/cannot have zeros/);
    for (const bad of [{ dispformula: '~ (1 | site)', family: 'nbinom2' as const }, { family: 'x' as never }, { backend: 'webgpu' as const }]) {
      await expect(zeroInflated('count ~ x + (1 | site)', t, bad)).rejects.toThrow(MixedGpuError);
    }
  });
  it('drops and counts rows missing a variable of either formula, as na.omit over both', async () => {
    const sub = salamanders.slice(0, 300);
    const count = Float64Array.from(sub.getChild('count')!.toArray() as ArrayLike<number>);
    const cover = Float64Array.from(sub.getChild('cover')!.toArray() as ArrayLike<number>);
    count[5] = NaN;
    cover[17] = NaN; // a variable of the zi formula only
    const withNa = sub.assign(arrow.tableFromArrays({ count, cover }));
    const fit = await zeroInflated('count ~ mined + (1 | site)', withNa, { ziformula: '~ cover' });
    expect(fit.nobs).toBe(298);
    expect(fit.model.frame.nDropped).toBe(2);
    expect(fit.summary()).toContain('(2 observations deleted due to missingness)');
    const keep = Array.from({ length: 300 }, (_, i) => i).filter((i) => i !== 5 && i !== 17);
    const cols = Object.fromEntries(['site', 'mined', 'cover', 'count'].map((c) => [c, keep.map((i) => withNa.getChild(c)!.get(i))]));
    const fit2 = await zeroInflated('count ~ mined + (1 | site)', cols, { ziformula: '~ cover' });
    expect(rel(fit.logLik, fit2.logLik)).toBeLessThan(1e-10);
  });
});

describe('mixedgpu zeroinfl (CLI)', () => {
  const run = runZeroinflCli;
  it('prints the summary, the JSON and predictions; refuses the WebGPU backend and a bad --predict', async () => {
    const file = join(fixtures, 'data', 'salamanders.csv');
    const formula = 'count ~ mined + (1 | site)';
    const r = await run({ file, formula, family: 'poisson', zi: '~ mined' });
    expect(r.code).toBe(0);
    expect(r.out).toContain('Zero-inflation model:');
    const j = JSON.parse((await run({ file, formula, family: 'poisson', zi: '~ mined', json: true })).out);
    expect(rel(j.loglik, reference('zip_mined').loglik)).toBeLessThan(1e-8);
    const p = (await run({ file, formula, family: 'poisson', zi: '~ mined', predict: 'zprob' })).out.trim().split('\n').map(Number);
    expect(p.length).toBe(644);
    expect(rel(p[0], reference('zip_mined').predict_zprob[0])).toBeLessThan(1e-5);
    const g = await run({ file, formula, backend: 'webgpu' });
    expect(g.code).toBe(1);
    expect(g.err).toMatch(/CPU only/);
    const q = await run({ file, formula, predict: 'mean' });
    expect(q.err).toMatch(/--predict must be one of response, conditional, zprob, link, zlink/);
  });
});
