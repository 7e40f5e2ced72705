/**
 * The browser app's zero-inflated and hurdle count GLMMs, in Node (no browser): the worker's tables
 * equal the library's (the same fit's numbers, exactly), each family choice reaches zeroInflated as
 * glmmTMB's family, the expected count frequencies equal a direct sum of each row's probabilities
 * written here from the pmfs (Poisson e^{−μ} μ^k / k!; NB2 Γ(k + φ)/(Γ(φ) k!) (φ/(φ + μ))^φ (μ/(φ + μ))^k
 * with Γ(k + φ)/Γ(φ) = Π_{j<k} (φ + j)) at 1e-12 relative, and glmmTMB 1.1.5's (its own fits' p, μ and φ
 * summed in R, test/oracle/zeroinfl_frequencies.R → test/fixtures/zeroinfl/frequencies.json) at 1e-5 × max(1, E),
 * the size of glmmTMB's stopping distance from the optimum; the predictions CSV is the library's
 * predict, the zero-inflation formula's checks, the worker's errors where they belong, and the
 * address's new field round tripping. Data: glmmTMB's Salamanders (test/fixtures/data/salamanders.csv).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { readCsv, zeroInflated, type ZeroInflatedFit } from '../../src/index.js';
import { ZI_FAMILY_OF, describeZeroInflated, expectedFrequencies, isZiChoice, predictionsCsv, runZeroInflated, ziFormulaProblem, ziProbability } from '../../demo/src/zeroinfl.js';
import { ziFamilyLabel } from '../../demo/src/zeroinflView.js';
import { PlacedError } from '../../demo/src/fitting.js';
import { readUrlState, writeUrlState } from '../../demo/src/urlState.js';
import type { FitRequest } from '../../demo/src/protocol.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const salamanders = readCsv(readFileSync(`${ROOT}test/fixtures/data/salamanders.csv`, 'utf8')).table;
const signal = new AbortController().signal;
const FORMULA = 'count ~ mined + (1 | site)';

const request = (over: Partial<FitRequest> = {}): FitRequest => ({
  formula: FORMULA, factors: [], reml: false, backend: 'cpu', family: 'zi_poisson', link: 'log', ziformula: '~ mined', dataName: 'salamanders.csv', ...over,
});

/** log k! by a sum */
function logFactorial(k: number): number {
  let s = 0;
  for (let j = 2; j <= k; j++) s += Math.log(j);
  return s;
}

/** P(y = k) written out from the pmfs (independent of the library's dpois and dnbinom) */
function directProbability(k: number, p: number, mu: number, nb: boolean, hurdle: boolean, phi: number): number {
  const f = (x: number) => {
    if (!nb) return Math.exp(-mu + x * Math.log(mu) - logFactorial(x));
    let lg = 0;
    for (let j = 0; j < x; j++) lg += Math.log(phi + j);
    return Math.exp(lg - logFactorial(x) + phi * Math.log(phi / (phi + mu)) + x * Math.log(mu / (phi + mu)));
  };
  if (hurdle) return k === 0 ? p : ((1 - p) * f(k)) / (1 - f(0));
  return k === 0 ? p + (1 - p) * f(0) : (1 - p) * f(k);
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('zero-inflated and hurdle fits in the app (worker logic)', () => {
  let fit: ZeroInflatedFit;
  let lib: ZeroInflatedFit;
  beforeAll(async () => {
    fit = await runZeroInflated(salamanders, request(), signal);
    lib = await zeroInflated(FORMULA, salamanders, { family: 'poisson', ziformula: '~ mined', dataName: 'salamanders' });
  });

  test('the worker\'s tables are the library\'s (ZIP, Salamanders)', () => {
    const r = describeZeroInflated(fit, 1, 'zi_poisson');
    expect(r.kind).toBe('zeroinfl');
    expect(r.family).toBe('poisson');
    expect(r.hurdle).toBe(false);
    expect(r.cond).toEqual(lib.cond);
    expect(r.zi).toEqual(lib.zi);
    expect(r.cond.map((c) => c.name)).toEqual(['(Intercept)', 'minedyes']);
    expect(r.zi.map((c) => c.name)).toEqual(['(Intercept)', 'minedyes']);
    expect(r.varCorr).toEqual(lib.varCorr);
    expect([r.logLik, r.AIC, r.BIC, r.deviance, r.df, r.dfResid]).toEqual([lib.logLik, lib.AIC, lib.BIC, lib.deviance, lib.df, lib.dfResid]);
    expect(r.sigma).toBeNull();
    expect(r.nobs).toBe(644);
    expect(r.ngroups).toEqual({ site: 23 });
    expect(r.summary).toBe(lib.summary());
    expect(r.ziformula).toBe('~ mined');
    // the conditional modes and SDs per level, from the library's ranef and condVar
    expect(r.ranef[0]!.levels).toEqual(lib.ranef[0]!.levels);
    expect([...r.ranef[0]!.values[0]!]).toEqual([...lib.ranef[0]!.values]);
    expect([...r.ranef[0]!.condsd[0]!]).toEqual([...lib.ranef[0]!.condVar].map(Math.sqrt));
    expect(ziFamilyLabel(r)).toBe('zero-inflated Poisson (glmmTMB\'s poisson)');
  });

  test('each family choice is glmmTMB\'s family, with the NB dispersion where it has one', async () => {
    expect(Object.keys(ZI_FAMILY_OF).every(isZiChoice)).toBe(true);
    expect(isZiChoice('poisson')).toBe(false);
    for (const [choice, family] of [['zi_nbinom2', 'nbinom2'], ['hurdle_poisson', 'truncated_poisson']] as const) {
      const f = await runZeroInflated(salamanders, request({ family: choice }), signal);
      const ref = await zeroInflated(FORMULA, salamanders, { family, ziformula: '~ mined' });
      expect(f.family).toBe(family);
      expect([...f.par]).toEqual([...ref.par]);
      const r = describeZeroInflated(f, 1, choice);
      expect(r.sigma).toBe(family === 'nbinom2' ? ref.sigma : null);
      expect(r.hurdle).toBe(family === 'truncated_poisson');
    }
  });

  test('expected frequencies: a direct sum of the rows\' probabilities (ZIP, and a hurdle NB2 fit)', async () => {
    const hnb = await runZeroInflated(salamanders, request({ family: 'hurdle_nbinom2' }), signal);
    for (const f of [fit, hnb]) {
      const rows = expectedFrequencies(f);
      const y = f.model.y;
      const ymax = Math.max(...y);
      const K = Math.min(ymax, 30);
      expect(rows.map((r) => r.count)).toEqual([...Array.from({ length: K + 1 }, (_, k) => String(k)), `> ${K}`]);
      const p = f.predict('zprob');
      const mu = f.predict('link').map(Math.exp);
      const nb = f.family.endsWith('nbinom2');
      for (let k = 0; k <= K; k++) {
        let e = 0;
        let o = 0;
        for (let i = 0; i < f.nobs; i++) {
          e += directProbability(k, p[i]!, mu[i]!, nb, f.model.hurdle, f.sigma);
          if (y[i] === k) o++;
        }
        expect(rows[k]!.observed).toBe(o);
        expect(rel(rows[k]!.expected, e)).toBeLessThan(1e-12);
        // the worker's per-row probability is the same pmf
        expect(rel(ziProbability(k, p[3]!, mu[3]!, f.family, f.sigma), directProbability(k, p[3]!, mu[3]!, nb, f.model.hurdle, f.sigma))).toBeLessThan(1e-12);
      }
      // every row counted once; the expected counts add up to the rows
      expect(rows.reduce((a, r) => a + r.observed, 0)).toBe(f.nobs);
      expect(rel(rows.reduce((a, r) => a + r.expected, 0), f.nobs)).toBeLessThan(1e-12);
    }
    // a smaller plot range: the tail collects the counts above it
    const short = expectedFrequencies(fit, 3);
    expect(short.map((r) => r.count)).toEqual(['0', '1', '2', '3', '> 3']);
    expect(short[4]!.observed).toBe([...fit.model.y].filter((v) => v > 3).length);
    // the zeros: ZIP's expected zeros are Σ p + (1 − p) e^{−μ}, its observed are the data's
    expect(short[0]!.observed).toBe([...fit.model.y].filter((v) => v === 0).length);
  });

  test('expected frequencies against glmmTMB 1.1.5\'s own fits (ZIP, ZINB, hurdle NB2; test/oracle/zeroinfl_frequencies.R)', async () => {
    // glmmTMB's optimum is within 1e-5 × max(1, |x|) of the converged one (test/zeroinfl.test.ts), so its p and μ,
    // hence Σ_i P(y_i = k), within about 1e-5 relative: 1e-5 × max(1, E) (observed ≤ 8.5e-7)
    const ref = JSON.parse(readFileSync(`${ROOT}test/fixtures/zeroinfl/frequencies.json`, 'utf8')) as Record<string, {
      family: 'poisson' | 'nbinom2' | 'truncated_nbinom2'; formula: string; ziformula: string; observed: number[]; expected: number[]; above: number;
    }>;
    expect(Object.keys(ref)).toEqual(['zip_mined', 'zinb_mined', 'hurdle_nb_mined']);
    for (const [name, r] of Object.entries(ref)) {
      const f = await zeroInflated(r.formula, salamanders, { family: r.family, ziformula: r.ziformula });
      const rows = expectedFrequencies(f);
      expect(rows.length, name).toBe(r.expected.length + 1);
      r.expected.forEach((e, k) => {
        expect(rows[k]!.observed, `${name} observed ${k}`).toBe(r.observed[k]);
        expect(Math.abs(rows[k]!.expected - e) / Math.max(1, e), `${name} expected ${k}`).toBeLessThan(1e-5);
      });
      expect(rows.at(-1)!.observed).toBe(r.above);
    }
  });

  test('the predictions CSV is the library\'s predict on the fit\'s rows', () => {
    const text = predictionsCsv(fit);
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('row,observed,response,conditional,zprob');
    expect(lines.length).toBe(fit.nobs + 1);
    const resp = fit.predict('response');
    const cond = fit.predict('conditional');
    const zp = fit.predict('zprob');
    for (const i of [0, 17, 643]) {
      const cells = lines[i + 1]!.split(',').map(Number);
      expect(cells).toEqual([i + 1, fit.model.y[i], resp[i], cond[i], zp[i]]);
    }
  });

  test('random effects in the zero model: the worker fits them; VarCorr and the caterpillar name the zero model\'s factor', async () => {
    const zre = await runZeroInflated(salamanders, request({ ziformula: '~ mined + (1 | site)' }), signal);
    const direct = await zeroInflated(FORMULA, salamanders, { family: 'poisson', ziformula: '~ mined + (1 | site)', dataName: 'salamanders' });
    expect(zre.logLik).toBe(direct.logLik);
    const r = describeZeroInflated(zre, 1, 'zi_poisson');
    expect(r.varCorr.map((v) => v.group)).toEqual(['site', 'site (zero model)']);
    expect(r.varCorr.map((v) => v.variance)).toEqual(direct.varCorr.map((v) => v.variance));
    expect(r.ranef.map((g) => g.group)).toEqual(['site', 'site (zero model)']);
    expect(r.ranef[1]!.values[0]).toEqual(Float64Array.from(direct.ranef[1]!.values));
  });

  test('the zero-inflation formula is checked by the parser, and its errors go under Options', async () => {
    const cols = salamanders.schema.fields.map((f) => f.name);
    expect(ziFormulaProblem('~ 1', cols)).toBeNull();
    expect(ziFormulaProblem('  ~ mined + cover', cols)).toBeNull();
    expect(ziFormulaProblem('~ 0', cols)).toBeNull();
    expect(ziFormulaProblem('mined', cols)!.message).toMatch(/one-sided/);
    // the zero model takes random-effects terms (glmmTMB's ziformula = ~ mined + (1 | site)); their columns are checked
    expect(ziFormulaProblem('~ (1 | site)', cols)).toBeNull();
    expect(ziFormulaProblem('~ mined + (1 | site)', cols)).toBeNull();
    expect(ziFormulaProblem('~ mined + (1 | plot)', cols)!.message).toMatch(/'plot'/);
    const bad = ziFormulaProblem('~ mined +', cols)!;
    expect(bad.message).toMatch(/^Zero-inflation formula: /);
    expect(bad.position).toBeGreaterThanOrEqual(7);
    const unknown = ziFormulaProblem('~ mined + depth', cols)!;
    expect(unknown.message).toMatch(/'depth'/);
    expect(unknown.position).toBe(10);
    // the worker refuses them before fitting, under Options
    const err = await runZeroInflated(salamanders, request({ ziformula: '~ depth' }), signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlacedError);
    expect((err as PlacedError).where).toBe('options');
    expect((err as PlacedError).message).toMatch(/'depth'/);
    // the library's own refusals: a response that is not counts, in the formula box
    const notCounts = await runZeroInflated(salamanders, request({ formula: 'cover ~ mined + (1 | site)' }), signal).catch((e: unknown) => e);
    expect(notCounts).toBeInstanceOf(PlacedError);
    expect((notCounts as PlacedError).message).toMatch(/cover/);
  });
});

describe('the address of a zero-inflated fit', () => {
  test('family and zero-inflation formula round trip; the default ~ 1 is left out', () => {
    const s = { example: 'salamanders' as const, formula: FORMULA, family: 'zi_nbinom2' as const, link: 'log', ziformula: '~ mined + cover', fit: true };
    const q = writeUrlState(s);
    expect(q).toContain('zi=');
    const back = readUrlState(q);
    expect(back.family).toBe('zi_nbinom2');
    expect(back.ziformula).toBe('~ mined + cover');
    expect(back.example).toBe('salamanders');
    expect(back.fit).toBe(true);
    expect(writeUrlState({ ...s, ziformula: '~ 1' })).not.toContain('zi=');
    // only for a zero-inflated family
    expect(writeUrlState({ ...s, family: 'poisson' })).not.toContain('zi=');
    // a value that is not a one-sided formula is left out (never an error)
    expect(readUrlState('?family=hurdle_poisson&zi=mined').ziformula).toBeUndefined();
    expect(readUrlState('?family=hurdle_poisson&zi=mined').family).toBe('hurdle_poisson');
  });
});
