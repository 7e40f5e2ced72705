/**
 * The browser app's glmmTMB families of tmbfamilies2 in Node (no browser): genpois and truncated_genpois
 * (zi_genpois, hurdle_genpois), binomial and betabinomial (tmb_binomial, tmb_betabinomial; a proportion with its
 * trials as `weights`), Gamma (tmb_gamma) and tweedie (tmb_tweedie). The worker's tables are the library's
 * (the same fit's numbers, exactly) and glmmTMB 1.1.5's (test/fixtures/tmbfamilies2/, test/oracle/tmbfamilies2.R)
 * at test/tmbfamilies2.test.ts's tolerances: estimates 5e-5 × max(1, |x|) (glmmTMB's stopping distance), SEs
 * 1e-4 relative, tweedie's power 1e-5 relative, logLik 1e-6 absolute. The plots' expected numbers are checked
 * against sums written here from each distribution's own formula: the generalized Poisson pmf (θ = μ/√φ,
 * λ = 1 − 1/√φ) by a product, at 1e-10 relative, with its hurdle zeros Σ p_i exactly; the beta-binomial's
 * expected proportions per bin from the pmf by Γ ratios written as products (1e-9 relative), adding up to the
 * rows; Gamma's and tweedie's expected numbers per inner bin against Simpson's rule on their densities (Gamma's
 * written here; tweedie's as the compound Poisson–gamma series of gamma densities) at 1e-6 relative. Also the
 * family lists, the zero model's defaults, the address's `weights` and the worker's refusals.
 * Data: test/fixtures/data/salamanders.csv, cbpp.csv and tmbfamilies2.csv (400 rows, 25 groups g).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { readCsv, type ZeroInflatedFit } from '../../src/index.js';
import {
  ZI_FAMILY_OF, defaultZiFormula, describeZeroInflated, expectedFrequencies, expectedHistogram, runZeroInflated, takesDispFormula,
  takesZiFormula, tweedieCdf, ziFormulaUnavailable, ziProbability,
} from '../../demo/src/zeroinfl.js';
import { dispersionLine, ziFamilyLabel } from '../../demo/src/zeroinflView.js';
import { PlacedError, ZI_FAMILY_CHOICES } from '../../demo/src/fitting.js';
import { readUrlState, writeUrlState } from '../../demo/src/urlState.js';
import type { FitRequest, ZiFamilyChoice } from '../../demo/src/protocol.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const data = (name: string) => readCsv(readFileSync(`${ROOT}test/fixtures/data/${name}.csv`, 'utf8')).table;
const salamanders = data('salamanders');
const cbpp = data('cbpp');
const tmb2 = data('tmbfamilies2');
const signal = new AbortController().signal;
const yieldNow = () => new Promise((r) => setTimeout(r, 0));
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

interface Ref {
  loglik: number; cond: { rownames: string[]; estimate: number[]; se: number[] }; zi: { rownames: string[]; estimate: number[]; se: number[] } | null;
  sigma: number; family_params: number | null; printout: string[];
}
const reference = (name: string): Ref => JSON.parse(readFileSync(`${ROOT}test/fixtures/tmbfamilies2/${name}.json`, 'utf8')) as Ref;
const arr = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

const request = (family: ZiFamilyChoice, formula: string, over: Partial<FitRequest> = {}): FitRequest => ({
  formula, factors: [], reml: false, backend: 'cpu', family, link: ZI_FAMILY_OF[family] === 'Gamma' || ZI_FAMILY_OF[family] === 'tweedie' ? 'log' : undefined, ...over,
});

/** log of a product of consecutive terms: log Π_{j<k} (a + j) = log Γ(a + k) − log Γ(a) */
function logRising(a: number, k: number): number {
  let s = 0;
  for (let j = 0; j < k; j++) s += Math.log(a + j);
  return s;
}

/** generalized Poisson f(k) written out: θ (θ + λk)^(k−1) e^(−θ−λk) / k! */
function gpPmf(k: number, mu: number, phi: number): number {
  const th = mu / Math.sqrt(phi);
  const lam = 1 - 1 / Math.sqrt(phi);
  return Math.exp(Math.log(th) + (k - 1) * Math.log(th + lam * k) - th - lam * k - logRising(1, k));
}

/** beta-binomial f(k) of m trials by rising factorials: C(m, k) a^(k) b^(m−k) / (a + b)^(m) */
function bbPmf(k: number, m: number, mu: number, phi: number): number {
  const a = mu * phi;
  const b = (1 - mu) * phi;
  return Math.exp(logRising(1, m) - logRising(1, k) - logRising(1, m - k) + logRising(a, k) + logRising(b, m - k) - logRising(a + b, m));
}

/** log Γ(x) by Stirling's series after shifting x above 10 (independent of the library's lgamma) */
function logGamma(x: number): number {
  let s = 0;
  while (x < 10) { s -= Math.log(x); x += 1; }
  return s + (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3) + 1 / (1260 * x ** 5) - 1 / (1680 * x ** 7);
}

const gammaPdf = (y: number, shape: number, scale: number) => Math.exp((shape - 1) * Math.log(y) - y / scale - logGamma(shape) - shape * Math.log(scale));

/** tweedie's density for y > 0 as the compound Poisson–gamma series: Σ_N Pois(N; λ) Gamma(y; Nα, γ) */
function tweediePdf(y: number, mu: number, phi: number, p: number): number {
  const lambda = mu ** (2 - p) / (phi * (2 - p));
  const alpha = (2 - p) / (p - 1);
  const gam = phi * (p - 1) * mu ** (p - 1);
  let s = 0;
  for (let N = 1; N < 400; N++) s += Math.exp(-lambda + N * Math.log(lambda) - logGamma(N + 1)) * gammaPdf(y, N * alpha, gam);
  return s;
}

/** Simpson's rule with 2m panels */
function simpson(f: (x: number) => number, a: number, b: number, m = 400): number {
  const hh = (b - a) / (2 * m);
  let s = f(a) + f(b);
  for (let j = 1; j < 2 * m; j++) s += (j % 2 ? 4 : 2) * f(a + j * hh);
  return (s * hh) / 3;
}

function expectTablesAsGlmmTMB(fit: ZeroInflatedFit, choice: ZiFamilyChoice, ref: Ref): void {
  const r = describeZeroInflated(fit, 1, choice);
  // the page's tables are the library's numbers, exactly
  expect(r.cond).toEqual(fit.cond.map((x) => ({ ...x })));
  expect(r.logLik).toBe(fit.logLik);
  expect(r.summary).toBe(fit.summary());
  // and glmmTMB's at test/tmbfamilies2.test.ts's tolerances
  expect(Math.abs(r.logLik - ref.loglik)).toBeLessThan(1e-6);
  r.cond.forEach((row, k) => {
    expect(row.name).toBe(arr(ref.cond.rownames)[k]);
    expect(Math.abs(row.estimate - arr(ref.cond.estimate)[k]!)).toBeLessThan(5e-5 * Math.max(1, Math.abs(arr(ref.cond.estimate)[k]!)));
    expect(rel(row.se, arr(ref.cond.se)[k]!)).toBeLessThan(1e-4);
  });
  expect(r.zi.length).toBe(ref.zi ? arr(ref.zi.rownames).length : 0);
}

describe('the family lists', () => {
  test('every new choice maps to its glmmTMB family, with its boxes and defaults', () => {
    expect(ZI_FAMILY_CHOICES.slice(8, 14)).toEqual(['zi_genpois', 'hurdle_genpois', 'tmb_binomial', 'tmb_betabinomial', 'tmb_gamma', 'tmb_tweedie']);
    expect(ZI_FAMILY_CHOICES.slice(8, 14).map((c) => ZI_FAMILY_OF[c])).toEqual(['genpois', 'truncated_genpois', 'binomial', 'betabinomial', 'Gamma', 'tweedie']);
    expect(ZI_FAMILY_CHOICES.slice(8, 14).filter(takesZiFormula)).toEqual(['zi_genpois', 'hurdle_genpois', 'tmb_binomial', 'tmb_betabinomial']);
    expect(ZI_FAMILY_CHOICES.slice(8, 14).filter(takesDispFormula)).toEqual(['zi_genpois', 'hurdle_genpois', 'tmb_betabinomial', 'tmb_gamma', 'tmb_tweedie']);
    expect(ZI_FAMILY_CHOICES.slice(8, 14).map(defaultZiFormula)).toEqual(['~ 1', '~ 1', '~ 0', '~ 0', '~ 1', '~ 1']);
    expect(ziFormulaUnavailable('tmb_gamma')).toMatch(/Gamma.*positive/);
    expect(ziFormulaUnavailable('tmb_tweedie')).toMatch(/tweedie/);
    expect(ziFormulaUnavailable('tmb_binomial')).toBeNull();
  });

  test('the address keeps the trials column and the binomial zero model\'s default', () => {
    const s = { example: 'cbpp' as const, formula: 'cbind(incidence, size - incidence) ~ period + (1 | herd)', family: 'tmb_betabinomial' as const, link: 'logit', ziformula: '~ 0', fit: true };
    const q = writeUrlState(s);
    expect(q).not.toContain('zi=');
    expect(readUrlState(`?${q}`).family).toBe('tmb_betabinomial');
    const w = writeUrlState({ ...s, formula: 'prop ~ x + (1 | g)', family: 'tmb_binomial', ziformula: '~ 1', weights: 'ntr' });
    expect(readUrlState(`?${w}`)).toMatchObject({ family: 'tmb_binomial', ziformula: '~ 1', weights: 'ntr' });
    // weights only for the binomial families
    expect(readUrlState('?family=tmb_gamma&weights=ntr').weights).toBeUndefined();
    expect(writeUrlState({ ...s, family: 'tmb_gamma', weights: 'ntr' })).not.toContain('weights=');
  });
});

describe('generalized Poisson (Salamanders)', () => {
  let hurdle: ZeroInflatedFit;
  beforeAll(async () => {
    hurdle = await runZeroInflated(salamanders, request('hurdle_genpois', 'count ~ mined + (1 | site)', { ziformula: '~ mined' }), signal);
  }, 120_000);

  test('the pmf and its hurdle mixture add up to 1 and equal the pmf written out', () => {
    for (const [mu, phi] of [[0.7, 1.5], [3.2, 2.4], [10, 4]] as const) {
      let zi = 0;
      let hu = 0;
      for (let k = 0; k < 400; k++) {
        const z = ziProbability(k, 0.3, mu, 'genpois', phi);
        const want = k === 0 ? 0.3 + 0.7 * gpPmf(0, mu, phi) : 0.7 * gpPmf(k, mu, phi);
        expect(rel(z, want)).toBeLessThan(1e-10);
        zi += z;
        hu += ziProbability(k, 0.3, mu, 'truncated_genpois', phi);
      }
      expect(Math.abs(zi - 1)).toBeLessThan(1e-10);
      expect(Math.abs(hu - 1)).toBeLessThan(1e-10);
    }
  });

  test('hurdle_genpois: glmmTMB\'s tables, the hurdle zeros Σ p_i, the dispersion line', async () => {
    expectTablesAsGlmmTMB(hurdle, 'hurdle_genpois', reference('hurdle_genpois_mined'));
    const r = describeZeroInflated(hurdle, 1, 'hurdle_genpois');
    expect(r.count).toBe(true);
    expect(r.power).toBeNull();
    expect(ziFamilyLabel(r)).toBe('hurdle generalized Poisson (glmmTMB\'s truncated_genpois)');
    expect(dispersionLine(r)).toEqual({ label: 'Dispersion parameter for genpois family (φ, Var = μφ): ', value: hurdle.sigma });
    expect(rel(hurdle.sigma, reference('hurdle_genpois_mined').sigma)).toBeLessThan(1e-4);
    const freq = expectedFrequencies(hurdle);
    const sumP = hurdle.zprob.reduce((a, b) => a + b, 0);
    expect(rel(freq[0]!.expected, sumP)).toBeLessThan(1e-12);
    await yieldNow();
  });
});

describe('binomial and betabinomial', () => {
  test('betabinomial on cbpp: glmmTMB\'s tables; the expected proportions per bin from the pmf written out', async () => {
    const fit = await runZeroInflated(cbpp, request('tmb_betabinomial', 'cbind(incidence, size - incidence) ~ period + (1 | herd)', { factors: ['herd', 'period'] }), signal);
    expectTablesAsGlmmTMB(fit, 'tmb_betabinomial', reference('betabinom_cbpp'));
    const r = describeZeroInflated(fit, 1, 'tmb_betabinomial');
    expect(r.count).toBe(false);
    expect(r.zi).toEqual([]);
    expect(dispersionLine(r)!.value).toBe(fit.sigma);
    const bins = expectedHistogram(fit);
    expect(bins).toEqual(r.histogram);
    const total = bins.reduce((a, b) => a + b.expected, 0);
    expect(Math.abs(total - fit.nobs)).toBeLessThan(1e-9);
    expect(bins.reduce((a, b) => a + b.observed, 0)).toBe(fit.nobs);
    const size = fit.model.size!;
    // the inner bins: Σ_i Σ_{k: lo ≤ k/m < hi} f(k) (the end bins take the tails)
    for (let j = 1; j < bins.length - 1; j++) {
      const b = bins[j]!;
      let want = 0;
      for (let i = 0; i < fit.nobs; i++) {
        const m = size[i]!;
        for (let k = 0; k <= m; k++) if (k / m >= b.lo && k / m < b.hi) want += bbPmf(k, m, fit.mu[i]!, fit.disp[i]!);
      }
      expect(want === 0 ? b.expected : rel(b.expected, want)).toBeLessThan(1e-9);
    }
    await yieldNow();
  }, 120_000);

  test('binomial: a proportion with its trials as weights is cbind(s, f)\'s fit', async () => {
    const ref = reference('zibinom_x');
    const byCbind = await runZeroInflated(tmb2, request('tmb_binomial', 'cbind(s, fl) ~ x + (1 | g)', { ziformula: '~ 1' }), signal);
    expectTablesAsGlmmTMB(byCbind, 'tmb_binomial', ref);
    await yieldNow();
    const byWeights = await runZeroInflated(tmb2, request('tmb_binomial', 'prop ~ x + (1 | g)', { ziformula: '~ 1', weights: 'ntr' }), signal);
    expectTablesAsGlmmTMB(byWeights, 'tmb_binomial', ref);
    expect(Array.from(byWeights.model.size!)).toEqual(Array.from(byCbind.model.size!));
    expect(dispersionLine(describeZeroInflated(byWeights, 1, 'tmb_binomial'))).toBeNull();
    // the zero-inflated binomial's histogram adds up to the rows (p_i's zeros included)
    const bins = expectedHistogram(byWeights);
    expect(Math.abs(bins.reduce((a, b) => a + b.expected, 0) - byWeights.nobs)).toBeLessThan(1e-9);
  }, 120_000);

  test('an unknown trials column is refused beside the Options', async () => {
    const e = await runZeroInflated(tmb2, request('tmb_binomial', 'prop ~ x + (1 | g)', { weights: 'trials' }), signal).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PlacedError);
    expect((e as PlacedError).where).toBe('options');
    expect((e as Error).message).toMatch(/trials/);
  });
});

describe('Gamma and tweedie (tmbfamilies2)', () => {
  test('Gamma with dispformula ~ f: glmmTMB\'s tables; the histogram against Simpson\'s rule on each row\'s density', async () => {
    const fit = await runZeroInflated(tmb2, request('tmb_gamma', 'yga ~ x + (1 | g)', { dispformula: '~ f' }), signal);
    expectTablesAsGlmmTMB(fit, 'tmb_gamma', reference('gamma_disp_f'));
    const r = describeZeroInflated(fit, 1, 'tmb_gamma');
    expect(r.disp.length).toBe(fit.dispersion.length);
    expect(dispersionLine(r)!.value).toBeNull();
    const bins = r.histogram;
    expect(Math.abs(bins.reduce((a, b) => a + b.expected, 0) - fit.nobs)).toBeLessThan(1e-9);
    for (const j of [1, Math.floor(bins.length / 2), bins.length - 2]) {
      const b = bins[j]!;
      let want = 0;
      // shape φ_i, scale μ_i/φ_i
      for (let i = 0; i < fit.nobs; i++) want += simpson((y) => gammaPdf(y, fit.disp[i]!, fit.mu[i]! / fit.disp[i]!), b.lo, b.hi, 200);
      expect(rel(b.expected, want)).toBeLessThan(1e-6);
      await yieldNow();
    }
  }, 120_000);

  test('tweedie: the power and φ in the results, glmmTMB\'s tables; the CDF against its density series', async () => {
    const ref = reference('tweedie_x');
    const fit = await runZeroInflated(tmb2, request('tmb_tweedie', 'ytw ~ x + (1 | g)'), signal);
    expectTablesAsGlmmTMB(fit, 'tmb_tweedie', ref);
    const r = describeZeroInflated(fit, 1, 'tmb_tweedie');
    expect(r.power).toBe(fit.power);
    expect(rel(r.power!, ref.family_params!)).toBeLessThan(1e-5);
    expect(dispersionLine(r)).toEqual({ label: 'Dispersion parameter for tweedie family (φ, Var = φμ^p): ', value: fit.sigma });
    expect(rel(fit.sigma, ref.sigma)).toBeLessThan(1e-4);
    // F(0+) is the point mass e^(−λ); F(b) − F(a) the density's integral; F → 1
    const [mu, phi, p] = [2.5, 1.3, 1.55];
    const lambda = mu ** (2 - p) / (phi * (2 - p));
    expect(rel(tweedieCdf(1e-300, mu, phi, p), Math.exp(-lambda))).toBeLessThan(1e-12);
    expect(rel(tweedieCdf(3, mu, phi, p) - tweedieCdf(0.5, mu, phi, p), simpson((y) => tweediePdf(y, mu, phi, p), 0.5, 3))).toBeLessThan(1e-7);
    expect(Math.abs(tweedieCdf(200, mu, phi, p) - 1)).toBeLessThan(1e-10);
    const bins = r.histogram;
    expect(Math.abs(bins.reduce((a, b) => a + b.expected, 0) - fit.nobs)).toBeLessThan(1e-9);
    const b = bins[1]!;
    let want = 0;
    for (let i = 0; i < fit.nobs; i++) want += simpson((y) => tweediePdf(y, fit.mu[i]!, fit.disp[i]!, fit.power), b.lo, b.hi, 50);
    expect(rel(b.expected, want)).toBeLessThan(1e-6);
  }, 120_000);
});
