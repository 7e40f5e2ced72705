/**
 * The browser app's Conway–Maxwell–Poisson choices in Node (no browser): zi_compois (glmmTMB's compois with a
 * ziformula) and hurdle_compois (truncated_compois). The worker's tables are the library's (the same fit's
 * numbers, exactly) and glmmTMB 1.1.5's (test/fixtures/tmbfamilies3/, test/oracle/tmbfamilies3.R) at
 * test/tmbfamilies3.test.ts's tolerances: estimates 5e-5 × max(1, |x|), SEs 1e-4 relative, logLik 1e-6
 * absolute. The rootogram's probabilities against the pmf written out here (λ^k/(k!)^ν normalized by its own
 * sum over k < 400, with λ from the library's mean solve): 1e-10 relative, adding up to 1, the hurdle's zeros
 * Σ p_i. Data: test/fixtures/data/tmbfamilies3.csv (400 rows, 25 groups g).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { readCsv } from '../../src/index.js';
import { compoisLogLambda } from '../../src/zeroinfl/compois.js';
import { ZI_FAMILY_OF, describeZeroInflated, expectedFrequencies, runZeroInflated, takesDispFormula, takesZiFormula, ziProbability } from '../../demo/src/zeroinfl.js';
import { dispersionLine, ziFamilyLabel } from '../../demo/src/zeroinflView.js';
import { ZI_FAMILY_CHOICES } from '../../demo/src/fitting.js';
import type { FitRequest, ZiFamilyChoice } from '../../demo/src/protocol.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const tmb3 = readCsv(readFileSync(`${ROOT}test/fixtures/data/tmbfamilies3.csv`, 'utf8')).table;
const reference = (name: string) => JSON.parse(readFileSync(`${ROOT}test/fixtures/tmbfamilies3/${name}.json`, 'utf8'));
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
const arr = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);
const request = (family: ZiFamilyChoice, formula: string, over: Partial<FitRequest> = {}): FitRequest => ({ formula, factors: [], reml: false, backend: 'cpu', family, ...over });

/** the CMP pmf written out: λ^k/(k!)^ν over its own sum (k < 400), λ from the library's solve of E[y] = μ */
function cmpPmf(mu: number, phi: number): number[] {
  const nu = 1 / phi;
  const ll = compoisLogLambda(Math.log(mu), nu).logLambda;
  const lt: number[] = [];
  let lf = 0;
  for (let k = 0; k < 400; k++) { if (k > 1) lf += Math.log(k); lt.push(k * ll - nu * lf); }
  const m = Math.max(...lt);
  const s = lt.reduce((a, t) => a + Math.exp(t - m), 0);
  return lt.map((t) => Math.exp(t - m) / s);
}

describe('the Conway–Maxwell–Poisson choices', () => {
  test('the family list, boxes and the pmf of the rootogram', () => {
    expect(ZI_FAMILY_CHOICES.slice(14)).toEqual(['zi_compois', 'hurdle_compois']);
    expect(ZI_FAMILY_CHOICES.slice(14).map((c) => ZI_FAMILY_OF[c])).toEqual(['compois', 'truncated_compois']);
    expect(ZI_FAMILY_CHOICES.slice(14).filter(takesZiFormula)).toEqual(['zi_compois', 'hurdle_compois']);
    expect(ZI_FAMILY_CHOICES.slice(14).filter(takesDispFormula)).toEqual(['zi_compois', 'hurdle_compois']);
    for (const [mu, phi] of [[0.7, 0.4], [3.2, 1.7], [10, 0.5]] as const) {
      const f = cmpPmf(mu, phi);
      let zi = 0, hu = 0;
      for (let k = 0; k < 400; k++) {
        const z = ziProbability(k, 0.3, mu, 'compois', phi);
        if (f[k]! > 1e-250) expect(rel(z, k === 0 ? 0.3 + 0.7 * f[0]! : 0.7 * f[k]!)).toBeLessThan(1e-10);
        zi += z;
        hu += ziProbability(k, 0.3, mu, 'truncated_compois', phi);
      }
      expect(Math.abs(zi - 1)).toBeLessThan(1e-10);
      expect(Math.abs(hu - 1)).toBeLessThan(1e-10);
    }
  });

  test('hurdle_compois: glmmTMB\'s tables, the hurdle zeros Σ p_i, the labels', async () => {
    const ref = reference('hurdle_compois');
    const fit = await runZeroInflated(tmb3, request('hurdle_compois', ref.formula, { ziformula: '~ 1' }), new AbortController().signal);
    const r = describeZeroInflated(fit, 1, 'hurdle_compois');
    expect(r.cond).toEqual(fit.cond.map((x) => ({ ...x })));
    expect(r.summary).toBe(fit.summary());
    expect(Math.abs(r.logLik - ref.loglik)).toBeLessThan(1e-6);
    r.cond.forEach((row, k) => {
      expect(row.name).toBe(arr(ref.cond.rownames)[k]);
      expect(Math.abs(row.estimate - arr<number>(ref.cond.estimate)[k]!)).toBeLessThan(5e-5 * Math.max(1, Math.abs(arr<number>(ref.cond.estimate)[k]!)));
      expect(rel(row.se, arr<number>(ref.cond.se)[k]!)).toBeLessThan(1e-4);
    });
    expect(ziFamilyLabel(r)).toBe('hurdle Conway–Maxwell–Poisson (glmmTMB\'s truncated_compois)');
    expect(dispersionLine(r)).toEqual({ label: 'Dispersion parameter for compois family (φ = 1/ν): ', value: fit.sigma });
    const freq = expectedFrequencies(fit);
    expect(rel(freq[0]!.expected, fit.zprob.reduce((a, b) => a + b, 0))).toBeLessThan(1e-12);
    expect(Math.abs(freq.reduce((a, x) => a + x.expected, 0) - fit.nobs)).toBeLessThan(1e-8);
  }, 120_000);
});
