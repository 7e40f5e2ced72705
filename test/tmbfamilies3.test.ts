/**
 * glmmTMB's Conway–Maxwell–Poisson family compois and its hurdle truncated_compois (src/zeroinfl/compois.ts)
 * against glmmTMB 1.1.5 (test/oracle/tmbfamilies3.R → test/fixtures/tmbfamilies3/*.json; data:
 * test/fixtures/data/tmbfamilies3.csv, 400 rows in 25 groups constructed there with a seed):
 *   compois_under   compois, yu ~ x + (1 | g)  (drawn with ν = 2.5: under-dispersed)
 *   compois_over    compois, yo ~ x + (1 | g)  (ν = 0.6: over-dispersed)
 *   zicompois       compois, yz ~ x + (1 | g), ziformula ~ 1
 *   hurdle_compois  truncated_compois, yz ~ x + (1 | g), ziformula ~ 1
 *   compois_disp_x  compois, yd ~ x + (1 | g), dispformula ~ x
 *
 * Tolerances as test/tmbfamilies2.test.ts's:
 *   - the CMP pieces: the variance function (TMB's compois_calc_var through glmmTMB's compois()$variance)
 *     at 28 (μ, φ), both of TMB's log Z branches (series and Laplace, μ = 150), within 1e-10 relative; the
 *     derivatives of log f in η (implicit differentiation through λ(μ, ν)) against central differences of
 *     log f and of the first derivative (h = 1e-4: O(h²) ≈ 1e-8 of the second derivative's scale, so 1e-6
 *     relative), and the pmf summing to 1 (1e-12) with the mean μ (1e-9 relative, TMB's Newton tolerance);
 *   - the objective −log L at glmmTMB's optimum and two points about it: 1e-10 relative; also (the objective
 *     only) a zero-inflated compois with random effects in the zero model, ziformula ~ (1 | g);
 *   - the fit: parameters within 1e-5 × max(1, |x|) of the converged optimum (TMB's Newton steps; for
 *     zicompois, where those did not reach max|gradient| < 1e-10, glmmTMB's own point is the reference)
 *     and 5e-5 of glmmTMB's; our objective no higher than glmmTMB's (+1e-12 relative) and within 1e-10
 *     relative of the converged one's; logLik, AIC, BIC 1e-8 relative; df.resid exact; SEs 1e-4 relative of
 *     sdreport's; the tables' names exact, SEs 1e-4, z 1e-4 × max(1, |z|); sigma, the SD, predictions on
 *     the fit's rows 1e-5;
 *   - Pearson residuals 1e-5 (refused for truncated_compois, as glmmTMB stops), performance's checks
 *     refused (performance 0.10.2 stops on compois);
 *   - predictions for new data at glmmTMB's parameters: 1e-8, every type;
 *   - simulations by their moments: the mean of 2,000 conditional draws per row within 4.5 SE of the
 *     model's mean, Σ(y − m)²/Σ Var within 1 ± 0.05;
 *   - bad input: errors naming the row, column or option; the CLI's --family compois.
 * No test runs R.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { DataError, ModelError, OptionError } from '../src/errors/errors.js';
import { glmmTMB } from '../src/zeroinfl/zeroInflated.js';
import { buildZeroInflatedModel } from '../src/zeroinfl/model.js';
import { ZiLaplace } from '../src/zeroinfl/laplace.js';
import { ziRowLogLik } from '../src/zeroinfl/rowKernel.js';
import { compoisLogDensity, compoisLogLambda, compoisLogPmf, compoisLogZ, compoisVariance } from '../src/zeroinfl/compois.js';
import type { ZeroInflatedFit } from '../src/zeroinfl/zeroInflatedFit.js';
import { zeroInflatedAt } from './helpers/zeroinflAt.js';
import { arr, expectDrawMoments, expectNewdataPredictions, expectPearsonAndChecks, expectPrintedTable, expectTmbFit, expectTmbPrintoutHead, rel, runZeroinflCli } from './helpers/tmbChecks.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const table = (f: string) => readCsv(readFileSync(join(fixtures, 'data', f), 'utf8')).table;
const DATA = table('tmbfamilies3.csv');
const reference = (name: string) => JSON.parse(readFileSync(join(fixtures, 'tmbfamilies3', `${name}.json`), 'utf8'));
const CASES = ['compois_under', 'compois_over', 'zicompois', 'hurdle_compois', 'compois_disp_x'];
const optionsOf = (ref: { family: string; ziformula: string; dispformula: string }) => ({ family: ref.family as never, ziformula: ref.ziformula, dispformula: ref.dispformula });
const yieldTurn = () => new Promise((r) => setTimeout(r, 0));
const lfact = (y: number) => { let s = 0; for (let k = 2; k <= y; k++) s += Math.log(k); return s; };

const fits = new Map<string, ZeroInflatedFit>();
const fitOf = async (name: string) => {
  if (!fits.has(name)) {
    const ref = reference(name);
    fits.set(name, await glmmTMB(ref.formula, DATA, optionsOf(ref)));
  }
  return fits.get(name)!;
};

describe('compois: the distribution (TMB\'s log Z, λ from the mean, the derivatives)', () => {
  it('the variance function: glmmTMB\'s compois()$variance (TMB\'s compois_calc_var), series and Laplace branches', () => {
    const v = JSON.parse(readFileSync(join(fixtures, 'tmbfamilies3', 'variance.json'), 'utf8'));
    expect(v.mu.length).toBe(28);
    // μ = 150 with φ ≤ 1 takes TMB's Laplace approximation (mode > 100, mode·ν > 200, ν < 2 mode)
    expect(v.mu.some((m: number, i: number) => m > 100 && 1 / v.phi[i] < 2 * m)).toBe(true);
    for (let i = 0; i < v.mu.length; i++) expect(rel(compoisVariance(v.mu[i], 1 / v.phi[i]), v.var[i])).toBeLessThan(1e-10);
  });
  it('λ solves E[y] = μ; the pmf sums to 1 and has mean μ and the cumulants\' variance', () => {
    for (const [mu, nu] of [[0.05, 2], [0.7, 0.4], [3.2, 2.5], [12, 1], [40, 0.6], [8, 5]]) {
      const z = compoisLogLambda(Math.log(mu), nu);
      let s = 0, m1 = 0, m2 = 0;
      for (let k = 0; k < 2000; k++) { const p = Math.exp(compoisLogPmf(k, z.logLambda, z.logZ, nu)); s += p; m1 += k * p; m2 += k * k * p; }
      expect(Math.abs(s - 1)).toBeLessThan(1e-12);
      expect(rel(m1, mu)).toBeLessThan(1e-9);
      expect(rel(m2 - m1 * m1, z.k2)).toBeLessThan(1e-9);
      // ν = 1 is the Poisson: log Z = λ = μ
      if (nu === 1) expect(rel(z.logZ, mu)).toBeLessThan(1e-12);
    }
    expect(compoisLogZ(1, 0).logZ).toBeNaN();
  });
  it('∂ log f/∂η and ∂² log f/∂η² (implicit differentiation through λ(μ, ν)) against central differences', () => {
    const h = 1e-4;
    for (const [y, eta, nu] of [[3, 1.2, 2.5], [0, 0.3, 0.6], [7, 1.9, 1.3], [1, -2, 3], [12, 2.5, 0.5], [160, Math.log(150), 2]]) {
      const f = (e: number) => compoisLogDensity(y, lfact(y), e, nu);
      const a = f(eta), p = f(eta + h), m = f(eta - h);
      expect(Math.abs(a.d1 - (p.logf - m.logf) / (2 * h))).toBeLessThan(1e-6 * Math.max(1, Math.abs(a.d1)));
      expect(Math.abs(a.d2 - (p.d1 - m.d1) / (2 * h))).toBeLessThan(1e-6 * Math.max(1, Math.abs(a.d2)));
    }
  });
  it('the row kernel\'s ℓ′ and W = −ℓ″ (zero-inflated and hurdle zeros and counts) against central differences', () => {
    for (const name of ['zicompois', 'hurdle_compois', 'compois_disp_x']) {
      const ref = reference(name);
      const model = buildZeroInflatedModel(ref.formula, DATA, optionsOf(ref));
      const lap = new ZiLaplace(model);
      lap.evaluate(Float64Array.from(ref.par));
      const s = lap.state;
      const n = model.n, h = 1e-4;
      const g = new Float64Array(n), w = new Float64Array(n);
      const zeta = new Float64Array(n);
      ziRowLogLik(model, s, zeta, g, w);
      const one = (i: number, d: number) => { const z = new Float64Array(n); z[i] = d; const gg = new Float64Array(n), ww = new Float64Array(n); const ll = ziRowLogLik(model, s, z, gg, ww); return { ll, g: gg[i] }; };
      const base = ziRowLogLik(model, s, zeta);
      for (let i = 0; i < 40; i++) {
        const p = one(i, h), m = one(i, -h);
        expect(Math.abs(g[i] - (p.ll - m.ll) / (2 * h))).toBeLessThan(1e-6 * Math.max(1, Math.abs(g[i])));
        expect(Math.abs(-w[i] - (p.g - m.g) / (2 * h))).toBeLessThan(1e-6 * Math.max(1, Math.abs(w[i])));
      }
      expect(Number.isFinite(base)).toBe(true);
    }
  });
});

describe('compois: the objective at glmmTMB\'s points', () => {
  for (const name of CASES) {
    it(name, () => {
      const ref = reference(name);
      const model = buildZeroInflatedModel(ref.formula, DATA, optionsOf(ref));
      expect(model.nPar).toBe(ref.par.length);
      const lap = new ZiLaplace(model);
      for (const pt of ref.objective) expect(rel(lap.evaluate(Float64Array.from(pt.par)), pt.value)).toBeLessThan(1e-10);
    });
  }
  it('random effects in the zero model (zero-inflated compois, ziformula ~ (1 | g)): the two-predictor kernel', () => {
    const Z = JSON.parse(readFileSync(join(fixtures, 'tmbfamilies3', 'objective_zire.json'), 'utf8'));
    const ref = Z.zicompois_zire;
    const model = buildZeroInflatedModel(ref.formula, DATA, optionsOf({ ...ref, ziformula: ref.zi, dispformula: ref.disp }));
    expect(model.ziRandom).toBe(true);
    expect(model.nPar).toBe(ref.parnames.length);
    const lap = new ZiLaplace(model);
    for (const pt of ref.objective) expect(rel(lap.evaluate(Float64Array.from(pt.par)), pt.value)).toBeLessThan(1e-10);
  });
});

describe('compois: the fit against glmmTMB 1.1.5', () => {
  for (const name of CASES) {
    it(name, async () => {
      const ref = reference(name);
      const fit = await fitOf(name);
      await yieldTurn();
      expectTmbFit(fit, ref, { tight: ref.tight.ok ? ref.tight.par : ref.par });
    }, 120000);
  }
});

describe('compois: the printout (print.summary.glmmTMB)', () => {
  for (const name of CASES) {
    it(name, async () => {
      const ref = reference(name);
      const text = (await fitOf(name)).summary().split('\n');
      const rLines: string[] = ref.printout;
      expectTmbPrintoutHead(text, rLines);
      expectPrintedTable(text, rLines, 'Conditional model:', arr(ref.cond.rownames).length);
      // the random-effects row to its printed digits (±1 in the last: compois_disp_x's SD is 0.2955503 at
      // glmmTMB's point and 0.2955500 at the converged optimum, either side of 0.29555)
      const rRow = rLines.find((x) => /^ g /.test(x))!.trim().split(/\s+/);
      const oRow = text.find((x) => /^ g /.test(x))!.trim().split(/\s+/);
      expect(oRow.slice(0, 2)).toEqual(rRow.slice(0, 2));
      for (const c of [2, 3]) {
        const unit = 10 ** -(rRow[c].split('.')[1] ?? '').length;
        expect(Math.abs(Number(oRow[c]) - Number(rRow[c]))).toBeLessThanOrEqual(1.0001 * unit);
      }
    }, 120000);
  }
});

describe('compois: Pearson residuals and performance\'s checks', () => {
  for (const name of CASES) {
    it(`${name}: as glmmTMB 1.1.5 and performance 0.10.2, or refused where they stop`, async () => {
      const ref = reference(name);
      expectPearsonAndChecks(await fitOf(name), ref);
    }, 120000);
  }
  it('the refusals name the reason', async () => {
    const h = await fitOf('hurdle_compois');
    expect(() => h.residuals('pearson')).toThrow(/variance for truncated compois family not yet implemented/);
    const u = await fitOf('compois_under');
    expect(() => u.checkOverdispersion()).toThrow(/Poisson or binomial families only/);
    expect(() => u.checkZeroinflation()).toThrow(/count models only .*compois/);
  }, 120000);
});

describe('compois: predict(newdata) at glmmTMB\'s parameters', () => {
  const R = JSON.parse(readFileSync(join(fixtures, 'tmbfamilies3', 'predict_newdata.json'), 'utf8'));
  const nd = table('tmbfamilies3_newdata.csv');
  for (const name of Object.keys(R)) {
    it(`${name}: every type, with the random effects (a new level at b = 0) and without`, () => {
      const ref = reference(name);
      expectNewdataPredictions(zeroInflatedAt(DATA, { ...ref, par: R[name].par }), nd, R[name]);
    });
  }
});

describe('compois: simulate', () => {
  // the model's mean and variance of y per row at the conditional modes: E y = μ, Var y = κ₂ (compois.ts);
  // the hurdle's zero-truncated moments E[y^r]/(1 − f(0)), f(0) = 1/Z; zero-inflated (1 − p) mixtures
  const moments = (fit: ZeroInflatedFit) => {
    const n = fit.nobs;
    const m = new Float64Array(n), v = new Float64Array(n);
    const mu = fit.mu, p = fit.zprob, phi = fit.disp;
    for (let i = 0; i < n; i++) {
      const z = compoisLogLambda(Math.log(mu[i]), 1 / phi[i]);
      let e1 = mu[i], e2 = z.k2 + mu[i] * mu[i];
      if (fit.model.hurdle) {
        const s0 = -Math.expm1(-z.logZ);
        e1 /= s0;
        e2 /= s0;
      }
      m[i] = (1 - p[i]) * e1;
      v[i] = (1 - p[i]) * e2 - m[i] * m[i];
    }
    return { m, v };
  };
  for (const name of CASES) {
    it(`${name}: conditional draws have the model's means and variances`, async () => {
      const fit = await fitOf(name);
      const sim = fit.simulate(2000, { seed: 5, conditional: true });
      await yieldTurn();
      const { m, v } = moments(fit);
      expectDrawMoments(sim.y, m, v);
      expect(sim.y.every((yr) => yr.every((x) => Number.isInteger(x) && x >= 0))).toBe(true);
      if (fit.model.hurdle) {
        // zeros only from the hurdle: P(0) = p
        const zeros = sim.y.reduce((s, yr) => s + yr.filter((x) => x === 0).length, 0) / (2000 * fit.nobs);
        const pbar = fit.zprob.reduce((s, x) => s + x, 0) / fit.nobs;
        expect(Math.abs(zeros - pbar)).toBeLessThan(4.5 * Math.sqrt((pbar * (1 - pbar)) / (2000 * fit.nobs)));
      }
    }, 120000);
  }
});

describe('compois: bad input', () => {
  const n = DATA.numRows;
  const withColumn = (name: string, values: number[]) => DATA.assign(arrow.tableFromArrays({ [name]: Float64Array.from(values) }));
  it('counts only; a hurdle without a zero model cannot have zeros; no weights', async () => {
    const y = Array.from(DATA.getChild('yu')!.toArray() as ArrayLike<number>, Number);
    y[9] = 2.5;
    await expect(glmmTMB('yu ~ x + (1 | g)', withColumn('yu', y), { family: 'compois' })).rejects.toThrow(DataError);
    await expect(glmmTMB('yu ~ x + (1 | g)', withColumn('yu', y), { family: 'compois' })).rejects.toThrow(/'yu' is 2.5 in row 10: counts must be whole numbers/);
    y[9] = -1;
    await expect(glmmTMB('yu ~ x + (1 | g)', withColumn('yu', y), { family: 'compois' })).rejects.toThrow(/'yu' is -1 in row 10/);
    await expect(glmmTMB('yz ~ x + (1 | g)', DATA, { family: 'truncated_compois', ziformula: '~ 0' })).rejects.toThrow(/cannot have zeros/);
    await expect(glmmTMB('yu ~ x + (1 | g)', DATA, { family: 'compois', weights: Array.from({ length: n }, () => 1) })).rejects.toThrow(OptionError);
    await expect(glmmTMB('yu ~ x + (1 | g)', DATA, { family: 'compois', dispformula: '~ 0' })).rejects.toThrow(/leaves the compois family without its dispersion parameter/);
    await expect(glmmTMB('yu ~ x + (1 | g)', DATA, { family: 'compoisson' as never })).rejects.toThrow(/family: "compoisson" is not a glmmTMB family offered here; use one of .*compois, .*truncated_compois/);
  });
});

describe('mixedgpu zeroinfl (CLI): --family compois', () => {
  const run = runZeroinflCli;
  it('the summary, JSON, --predict disp; --check refused (performance stops on compois)', async () => {
    const file = join(fixtures, 'data', 'tmbfamilies3.csv');
    const u = reference('compois_under');
    const s = await run({ file, formula: u.formula, family: 'compois', zi: '~ 0' });
    expect(s.code).toBe(0);
    expect(s.out).toContain(' Family: compois  ( log )');
    expect(s.out).toContain(u.printout.find((l: string) => l.startsWith('Dispersion parameter')));
    const d = reference('compois_disp_x');
    const j = JSON.parse((await run({ file, formula: d.formula, family: 'compois', zi: '~ 0', disp: '~ x', json: true })).out);
    expect(rel(j.loglik, d.loglik)).toBeLessThan(1e-8);
    const pd = (await run({ file, formula: d.formula, family: 'compois', zi: '~ 0', disp: '~ x', predict: 'disp' })).out.trim().split('\n').map(Number);
    expect(pd.length).toBe(400);
    pd.forEach((v, i) => expect(Math.abs(v - d.predict_disp[i])).toBeLessThan(1e-5 * d.predict_disp[i]));
    const c = await run({ file, formula: u.formula, family: 'compois', zi: '~ 0', check: true });
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/Poisson or binomial families only/);
  }, 120000);
});
