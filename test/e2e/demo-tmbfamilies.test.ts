/**
 * The browser app's newer glmmTMB families and dispformula, in Node (no browser): zero-inflated and hurdle
 * NB1, beta (beta_family) and gaussian with a dispersion model. The worker's tables equal the library's
 * (the same fit's numbers, exactly), and the dispersion table glmmTMB 1.1.5's (test/fixtures/tmbfamilies/,
 * test/oracle/tmbfamilies.R) at test/tmbfamilies.test.ts's tolerances (estimates 5e-5 × max(1, |x|), glmmTMB's
 * stopping distance from the optimum; SEs 1e-4 relative); the NB1 expected count frequencies equal a direct
 * sum of each row's probabilities written here from the pmf (NB1(μ, φ) is NB of size s = μ/φ:
 * Γ(k + s)/(Γ(s) k!) (1/(1 + φ))^s (φ/(1 + φ))^k, Γ(k + s)/Γ(s) = Π_{j<k} (s + j)) at 1e-12 relative, also with
 * a per-row φ (nbinom2 with dispformula ~ mined); the beta and gaussian histograms' expected numbers per inner
 * bin equal Simpson's rule on each row's density (written here: the normal density, the beta density with
 * the library's lgamma) at 1e-7 relative, and they add up to the rows; the predictions CSV's disp column;
 * the dispersion box's checks and where the worker's errors go; the Model checks card's setup and
 * performance's refusals for a gaussian fit, and its DHARMa run (no zero-inflation test); the address's
 * dispersion formula round tripping. Data: Salamanders (test/fixtures/data/salamanders.csv) and
 * test/fixtures/data/tmbfamilies.csv (400 rows, 25 groups g, a factor f, yb in (0, 1), yg).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { readCsv, zeroInflated, type ZeroInflatedFit } from '../../src/index.js';
import { lgamma } from '../../src/glmm/rmath.js';
import {
  ZI_FAMILY_OF, describeZeroInflated, dispFormulaProblem, expectedFrequencies, expectedHistogram, histogramBins, predictionsCsv, runZeroInflated,
  takesDispFormula, takesZiFormula, ziFormulaUnavailable, ziProbability,
} from '../../demo/src/zeroinfl.js';
import { dispersionLine, ziFamilyLabel } from '../../demo/src/zeroinflView.js';
import { PlacedError, ZI_FAMILY_CHOICES } from '../../demo/src/fitting.js';
import { modelChecksSetup, runDharma, runPerformanceChecks } from '../../demo/src/modelChecksRun.js';
import { readUrlState, writeUrlState } from '../../demo/src/urlState.js';
import type { FitRequest } from '../../demo/src/protocol.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const salamanders = readCsv(readFileSync(`${ROOT}test/fixtures/data/salamanders.csv`, 'utf8')).table;
const tmb = readCsv(readFileSync(`${ROOT}test/fixtures/data/tmbfamilies.csv`, 'utf8')).table;
const signal = new AbortController().signal;
const yieldNow = () => new Promise((r) => setTimeout(r, 0));

const request = (over: Partial<FitRequest> = {}): FitRequest => ({
  formula: 'yg ~ x + (1 | g)', factors: [], reml: false, backend: 'cpu', family: 'tmb_gaussian', link: 'identity', dispformula: '~ f', dataName: 'tmbfamilies.csv', ...over,
});

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

/** log k! by a sum */
function logFactorial(k: number): number {
  let s = 0;
  for (let j = 2; j <= k; j++) s += Math.log(j);
  return s;
}

/** NB1(μ, φ) and NB2(μ, size φ) pmfs written out (independent of the library's dnbinom) */
function nbPmf(x: number, mu: number, phi: number, nb1: boolean): number {
  const size = nb1 ? mu / phi : phi;
  let lg = 0;
  for (let j = 0; j < x; j++) lg += Math.log(size + j);
  return Math.exp(lg - logFactorial(x) + size * Math.log(size / (size + mu)) + x * Math.log(mu / (size + mu)));
}

function directProbability(k: number, p: number, mu: number, phi: number, nb1: boolean, hurdle: boolean): number {
  const f = (x: number) => nbPmf(x, mu, phi, nb1);
  if (hurdle) return k === 0 ? p : ((1 - p) * f(k)) / (1 - f(0));
  return k === 0 ? p + (1 - p) * f(0) : (1 - p) * f(k);
}

/** ∫_a^b g by Simpson's rule on m (even) panels */
function simpson(g: (x: number) => number, a: number, b: number, m = 400): number {
  const h = (b - a) / m;
  let s = g(a) + g(b);
  for (let j = 1; j < m; j++) s += (j % 2 ? 4 : 2) * g(a + j * h);
  return (s * h) / 3;
}

describe('the app\'s glmmTMB families: NB1, beta, gaussian, dispformula (worker logic)', () => {
  let gauss: ZeroInflatedFit;
  let gaussLib: ZeroInflatedFit;
  beforeAll(async () => {
    gauss = await runZeroInflated(tmb, request(), signal);
    gaussLib = await zeroInflated('yg ~ x + (1 | g)', tmb, { family: 'gaussian', dispformula: '~ f', dataName: 'tmbfamilies' });
  });

  test('the choices: each is glmmTMB\'s family; which take a zero model and which a dispersion model', () => {
    // the first eight choices (the later ones: test/e2e/demo-tmbfamilies2.test.ts)
    expect(ZI_FAMILY_CHOICES.slice(0, 8).map((c) => ZI_FAMILY_OF[c])).toEqual(['poisson', 'nbinom1', 'nbinom2', 'truncated_poisson', 'truncated_nbinom1', 'truncated_nbinom2', 'beta_family', 'gaussian']);
    expect(ZI_FAMILY_CHOICES.slice(0, 8).filter(takesZiFormula)).toEqual(['zi_poisson', 'zi_nbinom1', 'zi_nbinom2', 'hurdle_poisson', 'hurdle_nbinom1', 'hurdle_nbinom2']);
    expect(ZI_FAMILY_CHOICES.slice(0, 8).filter(takesDispFormula)).toEqual(['zi_nbinom1', 'zi_nbinom2', 'hurdle_nbinom1', 'hurdle_nbinom2', 'tmb_beta', 'tmb_gaussian']);
    expect(takesZiFormula('gaussian')).toBe(false);
    expect(takesDispFormula('negative.binomial')).toBe(false);
    expect(ziFormulaUnavailable('tmb_beta')).toMatch(/beta_family.*no zeros/);
    expect(ziFormulaUnavailable('tmb_gaussian')).toMatch(/gaussian/);
    expect(ziFormulaUnavailable('zi_nbinom1')).toBeNull();
  });

  test('gaussian with dispformula ~ f: the worker\'s tables are the library\'s, the dispersion table glmmTMB\'s', () => {
    const r = describeZeroInflated(gauss, 1, 'tmb_gaussian');
    expect([r.family, r.link, r.count, r.takesZi, r.hurdle]).toEqual(['gaussian', 'identity', false, false, false]);
    expect(r.cond).toEqual(gaussLib.cond);
    expect(r.disp).toEqual(gaussLib.dispersion);
    expect(r.disp.map((d) => d.name)).toEqual(['(Intercept)', 'fb', 'fc']);
    expect(r.zi).toEqual([]);
    expect(r.varCorr).toEqual(gaussLib.varCorr);
    expect([r.logLik, r.AIC, r.BIC, r.df, r.dfResid]).toEqual([gaussLib.logLik, gaussLib.AIC, gaussLib.BIC, gaussLib.df, gaussLib.dfResid]);
    expect(r.summary).toBe(gaussLib.summary());
    expect([r.ziformula, r.dispformula]).toEqual(['~ 0', '~ f']);
    // glmmTMB's sigma() is NA with a dispersion model: no one number, the line points at the table
    expect(r.sigma).toBeNull();
    const line = dispersionLine(r)!;
    expect(line.value).toBeNull();
    expect(line.label).toMatch(/^Residual standard deviation for gaussian family \(σ, Var = σ²\): one per row from the dispersion model ~ f/);
    expect(ziFamilyLabel(r)).toBe('gaussian (glmmTMB\'s gaussian)');
    expect(r.frequencies).toEqual([]);
    // glmmTMB 1.1.5's dispersion table (test/fixtures/tmbfamilies/gaussian_disp_f.json)
    const ref = JSON.parse(readFileSync(`${ROOT}test/fixtures/tmbfamilies/gaussian_disp_f.json`, 'utf8')) as { disp: { rownames: string[]; estimate: number[]; se: number[] } };
    expect(r.disp.map((d) => d.name)).toEqual(ref.disp.rownames);
    r.disp.forEach((d, k) => {
      // test/tmbfamilies.test.ts's tolerances: glmmTMB's nlminb stops within 5e-5 × max(1, |x|) of the optimum; SEs 1e-4 relative
      expect(Math.abs(d.estimate - ref.disp.estimate[k]!), d.name).toBeLessThan(5e-5 * Math.max(1, Math.abs(ref.disp.estimate[k]!)));
      expect(rel(d.se, ref.disp.se[k]!), d.name).toBeLessThan(1e-4);
    });
  });

  test('beta with dispformula ~ 1: sigma is glmmTMB\'s φ, no dispersion table; a zero-inflation formula is not sent', async () => {
    const f = await runZeroInflated(tmb, request({ formula: 'yb ~ x + (1 | g)', family: 'tmb_beta', link: 'logit', ziformula: '~ x', dispformula: '~ 1' }), signal);
    const lib = await zeroInflated('yb ~ x + (1 | g)', tmb, { family: 'beta_family' });
    expect(f.ziformula).toBe('~ 0');
    expect([...f.par]).toEqual([...lib.par]);
    const r = describeZeroInflated(f, 1, 'tmb_beta');
    expect(r.sigma).toBe(lib.sigma);
    expect(r.disp).toEqual([]);
    expect(r.link).toBe('logit');
    expect(dispersionLine(r)).toEqual({ label: 'Dispersion parameter for beta family (φ, Var = μ(1 − μ)/(1 + φ)): ', value: lib.sigma });
    expect(ziFamilyLabel(r)).toBe('beta (glmmTMB\'s beta_family)');
    // its predictions: no zprob (no zero model), no disp (one φ)
    expect(predictionsCsv(f).split('\n')[0]).toBe('row,observed,response,conditional');
    // the beta histogram: Simpson's rule on each row's density, bin by bin
    const bins = expectedHistogram(f);
    expect(bins.length).toBe(histogramBins(400));
    expect(bins.reduce((a, b) => a + b.observed, 0)).toBe(400);
    expect(rel(bins.reduce((a, b) => a + b.expected, 0), 400)).toBeLessThan(1e-12);
    const y = [...f.model.y];
    expect(bins[0]!.lo).toBe(Math.min(...y));
    expect(bins.at(-1)!.hi).toBe(Math.max(...y));
    for (const j of [1, Math.floor(bins.length / 2), bins.length - 2]) {
      const b = bins[j]!;
      let e = 0;
      for (let i = 0; i < f.nobs; i++) {
        const a = f.mu[i]! * f.disp[i]!;
        const c = (1 - f.mu[i]!) * f.disp[i]!;
        const lb = lgamma(a) + lgamma(c) - lgamma(a + c);
        e += simpson((x) => Math.exp((a - 1) * Math.log(x) + (c - 1) * Math.log1p(-x) - lb), b.lo, b.hi);
      }
      expect(rel(b.expected, e), `bin ${j}`).toBeLessThan(1e-7);
      expect(b.observed).toBe(y.filter((v) => v >= b.lo && v < b.hi).length);
    }
  });

  test('the gaussian histogram: Simpson\'s rule on each row\'s normal density with its own σ_i', async () => {
    const bins = expectedHistogram(gauss);
    expect(rel(bins.reduce((a, b) => a + b.expected, 0), gauss.nobs)).toBeLessThan(1e-12);
    expect(bins.reduce((a, b) => a + b.observed, 0)).toBe(gauss.nobs);
    // σ_i² = φ_i = exp(x_d,iᵀδ̂): three values, one per level of f
    expect(new Set(gauss.disp).size).toBe(3);
    for (const j of [1, 4, bins.length - 2]) {
      const b = bins[j]!;
      let e = 0;
      for (let i = 0; i < gauss.nobs; i++) {
        const m = gauss.mu[i]!;
        const s = Math.sqrt(gauss.disp[i]!);
        e += simpson((x) => Math.exp(-0.5 * ((x - m) / s) ** 2) / (s * Math.sqrt(2 * Math.PI)), b.lo, b.hi);
      }
      expect(rel(b.expected, e), `bin ${j}`).toBeLessThan(1e-7);
    }
    await yieldNow();
  });

  test('NB1 expected frequencies: a direct sum of the rows\' probabilities (zero-inflated and hurdle NB1; NB2 with a per-row φ)', async () => {
    const cases = [
      { choice: 'zi_nbinom1', formula: 'count ~ mined + (1 | site)', zi: '~ 1', disp: '~ 1' },
      { choice: 'hurdle_nbinom1', formula: 'count ~ cover + (1 | site)', zi: '~ mined', disp: '~ 1' },
      { choice: 'zi_nbinom2', formula: 'count ~ mined + (1 | site)', zi: '~ mined', disp: '~ mined' },
    ] as const;
    for (const c of cases) {
      const f = await runZeroInflated(salamanders, { formula: c.formula, factors: [], reml: false, backend: 'cpu', family: c.choice, ziformula: c.zi, dispformula: c.disp }, signal);
      const lib = await zeroInflated(c.formula, salamanders, { family: ZI_FAMILY_OF[c.choice], ziformula: c.zi, dispformula: c.disp });
      expect([...f.par], c.choice).toEqual([...lib.par]);
      const r = describeZeroInflated(f, 1, c.choice);
      expect(r.count).toBe(true);
      expect(r.histogram).toEqual([]);
      const nb1 = c.choice.endsWith('nbinom1');
      if (c.disp === '~ 1') {
        expect(r.sigma).toBe(lib.sigma);
        expect(dispersionLine(r)!.label).toBe(nb1 ? 'Dispersion parameter for nbinom1 family (φ, Var = μ(1 + φ)): ' : 'Dispersion parameter for nbinom2 family (φ, Var = μ + μ²/φ): ');
        expect(r.disp).toEqual([]);
      } else {
        expect(r.sigma).toBeNull();
        expect(r.disp).toEqual(lib.dispersion);
        expect(new Set(f.disp).size).toBe(2);
      }
      const rows = expectedFrequencies(f);
      const y = f.model.y;
      const K = Math.min(Math.max(...y), 30);
      const p = f.predict('zprob');
      const mu = f.predict('link').map(Math.exp);
      const phi = f.disp;
      for (let k = 0; k <= K; k++) {
        let e = 0;
        for (let i = 0; i < f.nobs; i++) e += directProbability(k, p[i]!, mu[i]!, phi[i]!, nb1, f.model.hurdle);
        expect(rel(rows[k]!.expected, e), `${c.choice} ${k}`).toBeLessThan(1e-12);
        expect(rows[k]!.observed).toBe([...y].filter((v) => v === k).length);
        expect(rel(ziProbability(k, p[5]!, mu[5]!, f.family, phi[5]!), directProbability(k, p[5]!, mu[5]!, phi[5]!, nb1, f.model.hurdle))).toBeLessThan(1e-12);
      }
      expect(rel(rows.reduce((a, b) => a + b.expected, 0), f.nobs)).toBeLessThan(1e-12);
      await yieldNow();
    }
  });

  test('the predictions CSV gains disp with a dispersion model (glmmTMB\'s predict type "disp")', () => {
    const lines = predictionsCsv(gauss).trim().split('\n');
    expect(lines[0]).toBe('row,observed,response,conditional,disp');
    expect(lines.length).toBe(gauss.nobs + 1);
    const resp = gauss.predict('response');
    const disp = gauss.predict('disp');
    for (const i of [0, 1, 2, 399]) {
      const cells = lines[i + 1]!.split(',').map(Number);
      expect(cells).toEqual([i + 1, gauss.model.y[i], resp[i], gauss.predict('conditional')[i], disp[i]]);
    }
    // gaussian: disp is σ_i (glmmTMB's sigma scale), the square root of the kernel's φ_i
    expect(rel(disp[0]!, Math.sqrt(gauss.disp[0]!))).toBeLessThan(1e-14);
  });

  test('the dispersion formula is checked by the parser, and its errors go under Options', async () => {
    const cols = tmb.schema.fields.map((f) => f.name);
    expect(dispFormulaProblem('~ 1', cols)).toBeNull();
    expect(dispFormulaProblem(' ~ f + x', cols)).toBeNull();
    expect(dispFormulaProblem('f', cols)!.message).toMatch(/^The dispersion formula is one-sided/);
    expect(dispFormulaProblem('~ (1 | g)', cols)!.message).toBe('The dispersion model takes fixed effects only here: (1 | g) is a random-effects term.');
    expect(dispFormulaProblem('~ f + offset(x)', cols)!.message).toMatch(/offset\(\) terms are not available in the dispersion model/);
    const unknown = dispFormulaProblem('~ f + h', cols)!;
    expect(unknown.message).toBe('Dispersion formula: unknown column \'h\': not in the data.');
    expect(unknown.position).toBe(6);
    const bad = dispFormulaProblem('~ f +', cols)!;
    expect(bad.message).toMatch(/^Dispersion formula: /);
    // the worker refuses it before fitting, under Options
    const err = await runZeroInflated(tmb, request({ dispformula: '~ h' }), signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlacedError);
    expect((err as PlacedError).where).toBe('options');
    // the library's refusal of '~ 0' (no dispersion parameter left), under Options too
    const zero = await runZeroInflated(tmb, request({ dispformula: '~ 0' }), signal).catch((e: unknown) => e);
    expect(zero).toBeInstanceOf(PlacedError);
    expect((zero as PlacedError).where).toBe('options');
    expect((zero as PlacedError).message).toMatch(/^dispformula: '~ 0' leaves the gaussian family without its dispersion parameter/);
    // a beta response outside (0, 1): the library's error names the column
    const notBeta = await runZeroInflated(tmb, request({ formula: 'yg ~ x + (1 | g)', family: 'tmb_beta' }), signal).catch((e: unknown) => e);
    expect(notBeta).toBeInstanceOf(PlacedError);
    expect((notBeta as PlacedError).message).toMatch(/'yg'.*beta_family takes responses strictly between 0 and 1/);
  });

  test('the Model checks card: a gaussian fit is not a count model; performance\'s count checks refused with the library\'s reasons; DHARMa runs', async () => {
    const s = modelChecksSetup(gauss);
    expect(s).toMatchObject({ dharmaRefusal: null, countModel: false, groups: ['g'], model: 'glmmTMB' });
    const perf = await runPerformanceChecks(gauss);
    const reason = (f: () => unknown) => { try { f(); return ''; } catch (e) { return (e as Error).message; } };
    const od = perf.refusals.find((r) => r.check === 'check_overdispersion');
    const zi = perf.refusals.find((r) => r.check === 'check_zeroinflation');
    expect(od?.reason).toContain(reason(() => gauss.checkOverdispersion()).replace(/^checkOverdispersion: /, ''));
    expect(zi?.reason).toContain(reason(() => gauss.checkZeroinflation()).replace(/^checkZeroinflation: /, ''));
    expect(perf.overdispersion).toBeNull();
    expect(perf.zeroinflation).toBeNull();
    const d = await runDharma(gauss, { nsim: 30, seed: 3, simulateREs: 'conditional', group: null }, { signal, onProgress: () => {} });
    expect(d.tests.map((t) => t.test)).toEqual(['uniformity', 'dispersion', 'outliers']);
    expect(d.integerResponse).toBe(false);
    const lib = gauss.simulateResiduals({ nsim: 30, seed: 3 });
    expect(Array.from(d.scaledResiduals)).toEqual(Array.from(lib.scaledResiduals));
  });
});

describe('the Model checks card on the other new families', () => {
  test('beta: DHARMa without the zero-inflation test, performance\'s count checks refused; NB2 with a dispersion model: check_zeroinflation refused, check_overdispersion computed', async () => {
    const beta = await runZeroInflated(tmb, request({ formula: 'yb ~ x + (1 | g)', family: 'tmb_beta', link: 'logit', dispformula: '~ f' }), signal);
    expect(modelChecksSetup(beta).countModel).toBe(false);
    const d = await runDharma(beta, { nsim: 20, seed: 5, simulateREs: 'conditional', group: 'g' }, { signal, onProgress: () => {} });
    expect(d.tests.map((t) => t.test)).toEqual(['uniformity', 'dispersion', 'outliers']);
    expect(Array.from(d.scaledResiduals)).toEqual(Array.from(beta.simulateResiduals({ nsim: 20, seed: 5 }).scaledResiduals));
    const bp = await runPerformanceChecks(beta);
    expect(bp.refusals.map((r) => r.check)).toEqual(expect.arrayContaining(['check_overdispersion', 'check_zeroinflation']));
    await yieldNow();
    const nb = await runZeroInflated(salamanders, { formula: 'count ~ mined + (1 | site)', factors: [], reml: false, backend: 'cpu', family: 'zi_nbinom2', ziformula: '~ mined', dispformula: '~ mined' }, signal);
    expect(modelChecksSetup(nb).countModel).toBe(true);
    const np = await runPerformanceChecks(nb);
    expect(np.refusals.find((r) => r.check === 'check_zeroinflation')?.reason).toMatch(/sigma\(fit\).*NA with dispformula '~ mined'/);
    expect(np.refusals.some((r) => r.check === 'check_overdispersion')).toBe(false);
    expect(np.overdispersion!.chisq).toBe(nb.checkOverdispersion().chisq);
  });
});

describe('the address of a glmmTMB fit with a dispersion formula', () => {
  test('family and dispersion formula round trip; the default ~ 1 is left out; only for families that take one', () => {
    const s = { example: 'tmbfamilies' as const, formula: 'yg ~ x + (1 | g)', family: 'tmb_gaussian' as const, link: 'identity', dispformula: '~ f', fit: true };
    const q = writeUrlState(s);
    expect(q).toContain('disp=');
    const back = readUrlState(q);
    expect([back.example, back.family, back.dispformula, back.fit]).toEqual(['tmbfamilies', 'tmb_gaussian', '~ f', true]);
    expect(writeUrlState({ ...s, dispformula: '~ 1' })).not.toContain('disp=');
    // gaussian and beta take no zero-inflation formula; Poisson families no dispersion formula
    expect(writeUrlState({ ...s, ziformula: '~ x' })).not.toContain('zi=');
    expect(writeUrlState({ ...s, family: 'zi_poisson', ziformula: '~ x' })).not.toContain('disp=');
    const nb1 = readUrlState(writeUrlState({ ...s, family: 'hurdle_nbinom1', ziformula: '~ mined', dispformula: '~ mined' }));
    expect([nb1.family, nb1.ziformula, nb1.dispformula]).toEqual(['hurdle_nbinom1', '~ mined', '~ mined']);
    for (const f of ZI_FAMILY_CHOICES) expect(readUrlState(writeUrlState({ family: f })).family).toBe(f);
    // a value that is not a one-sided formula is left out (never an error)
    expect(readUrlState('?family=tmb_beta&disp=f').dispformula).toBeUndefined();
    // the Criterion: glmmTMB's REML = TRUE travels, its default ML is left out
    expect(readUrlState(writeUrlState({ ...s, criterion: 'reml' })).criterion).toBe('reml');
    expect(writeUrlState({ ...s, criterion: 'ml' })).not.toContain('criterion');
  });
});

describe("the app's glmmTMB REML (the Criterion's REML: glmmTMB's REML = TRUE)", () => {
  test("the worker's fit is the library's REML fit; its result says so", async () => {
    const f = await runZeroInflated(tmb, request({ reml: true }), signal);
    const lib = await zeroInflated('yg ~ x + (1 | g)', tmb, { family: 'gaussian', dispformula: '~ f', REML: true, dataName: 'tmbfamilies' });
    expect(f.REML).toBe(true);
    expect([...f.par]).toEqual([...lib.par]);
    const r = describeZeroInflated(f, 1, 'tmb_gaussian');
    expect(r.reml).toBe(true);
    expect(r.logLik).toBe(lib.logLik);
    expect(r.cond).toEqual(lib.cond);
    expect(r.dfResid).toBe(lib.dfResid);
    // and without it, maximum likelihood (glmmTMB's default)
    expect(describeZeroInflated(await runZeroInflated(tmb, request(), signal), 1, 'tmb_gaussian').reml).toBe(false);
  });
});
