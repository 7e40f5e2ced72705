/**
 * RLRsim 3.1.8's exact (restricted) likelihood-ratio tests of a variance component (exactRLRT(m),
 * exactRLRT(m, mA, m0), exactLRT(m, m0)) against RLRsim itself (test/oracle/rlrsim.R →
 * test/fixtures/rlrsim/rlrsim.json; lme4 1.1-31 fits to tight tolerances).
 *
 * Tolerances:
 *  - the observed statistic: 1e-8 relative to max(1, |RLRsim's|) (our optimum's criteria against lme4's tight
 *    ones; observed ≤ 4.6e-13 absolute, but 1.2e-8 absolute, 1.1e-10 relative, for an ML fit's exactRLRT,
 *    whose REML criterion at the ML estimates is first order in θ̂'s difference from lme4's);
 *  - the eigenvalues the null distribution uses (μ; ξ for the LRT), sorted decreasing and scaled as
 *    RLRsim scales them: 1e-8 absolute (observed ≤ 9.3e-15);
 *  - the p-value: R's RNG is not ours, so ours (nsim = 10,000) and RLRsim's (nsim = 1e6) are two
 *    Monte Carlo estimates of one probability: |p − p_R| ≤ 4 √(p_R (1 − p_R) (1/10⁴ + 1/10⁶)) (4 binomial SEs;
 *    Dyestuff: 0.0035 against 0.0045, 1.5 SEs; RLRsim's 0 where every simulated value is below the statistic);
 *  - the null law: our sample of 100,000 against RLRsim's of 1e6 — the mass at 0 and P(T > x) at RLRsim's
 *    quantiles x (probabilities 0.6, 0.75, 0.9, 0.95, 0.99), each within 4 binomial SEs of both samples,
 *    4 √(π (1 − π) (1/10⁵ + 1/10⁶)) with π RLRsim's share.
 * The printout is R's print.htest of exactRLRT(m, nsim = 10000) on sleepstudy, line for line.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { glmer, lmer } from '../src/index.js';
import { type RlrtArgs, runRlrt } from '../src/cli/rlrtCommand.js';
import { ModelError, OptionError } from '../src/errors/errors.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import { exactLRT, exactRLRT, printExactTest } from '../src/inference/exactRlrt.js';
import { rlrtEigenvalues, scaleRemlEigen } from '../src/inference/rlrtDesign.js';
import { lambdaGrid, simulateRlrtNull } from '../src/inference/rlrtSimulate.js';
import { loadDataFile } from './helpers/inference.js';

interface NullLaw { nsim: number; mass0: number; probs: number[]; quantiles: number[]; exceed: number[]; mean: number }
interface Case {
  name: string; kind: 'rlrt' | 'lrt'; data: string; formula: string; reml: boolean; full?: string; null?: string | NullLaw;
  null_law?: NullLaw; q?: number; statistic: number; p: number; nsim: number; mu: number[]; xi?: number[]; n: number; p_fixed: number; K: number;
}
const ref = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'rlrsim', 'rlrsim.json'), 'utf8')) as { cases: Case[]; printout: string[] };
const byName = (n: string) => ref.cases.find((c) => c.name === n)!;
const lawOf = (c: Case): NullLaw => (c.null_law ?? c.null) as NullLaw;

const factors = (file: string) => (file === 'sleepstudy.csv' ? ['Subject'] : []);
const fit = (file: string, formula: string, REML = true): Promise<LmmFit> => lmer(formula, loadDataFile(file), { REML, factors: factors(file) }) as Promise<LmmFit>;

const NSIM = 10000, NLAW = 100000;
const expectStatistic = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-8 * Math.max(1, Math.abs(b)));
function expectEigen(ours: Float64Array, theirs: number[]) {
  expect(ours.length).toBe(theirs.length);
  for (let s = 0; s < theirs.length; s++) expect(Math.abs(ours[s] - theirs[s])).toBeLessThanOrEqual(1e-8);
}
function expectP(p: number, pR: number, nR: number) {
  expect(Math.abs(p - pR)).toBeLessThanOrEqual(4 * Math.sqrt(pR * (1 - pR) * (1 / NSIM + 1 / nR)));
}
/** our sample against RLRsim's null law (see the header) */
function expectLaw(sample: Float64Array, law: NullLaw) {
  const n = sample.length;
  const se = (pi: number) => 4 * Math.sqrt(pi * (1 - pi) * (1 / n + 1 / law.nsim));
  const mass0 = sample.filter((v) => v === 0).length / n;
  expect(Math.abs(mass0 - law.mass0)).toBeLessThanOrEqual(se(law.mass0));
  law.quantiles.forEach((x, k) => {
    const pi = law.exceed[k];
    const ours = sample.filter((v) => v > x).length / n;
    expect(Math.abs(ours - pi), `P(T > ${x}) (RLRsim's ${law.probs[k]} quantile)`).toBeLessThanOrEqual(se(pi));
  });
}

describe('exactRLRT, one random effect', () => {
  for (const name of ['sleepstudy_intercept', 'dyestuff']) {
    it(name, async () => {
      const c = byName(name);
      const m = await fit(c.data, c.formula);
      const t = await exactRLRT(m, { nsim: NSIM, seed: 1 });
      expectStatistic(t.statistic, c.statistic);
      expectEigen(t.mu, c.mu);
      expect([t.n, t.p, t.K]).toEqual([c.n, c.p_fixed, c.K]);
      expect(t.nsim).toBe(NSIM);
      expectP(t.pValue, c.p, c.nsim);
      // the null law, from a longer run on the same design
      const law = await exactRLRT(m, { nsim: NLAW, seed: 7 });
      expectLaw(law.sample, lawOf(c));
    });
  }

  it('prints as RLRsim (print.htest)', async () => {
    const m = await fit('sleepstudy.csv', 'Reaction ~ Days + (1 | Subject)');
    const t = await exactRLRT(m, { nsim: 10000 });
    expect(printExactTest(t)).toEqual(ref.printout);
    expect(t.method).toBe('simulated finite sample distribution of RLRT. (p-value based on 10000 simulated values)');
  });

  it('an ML fit: the restricted likelihood at the ML estimates, with RLRsim\'s message', async () => {
    const c = byName('sleepstudy_ml_rlrt');
    const m = await fit(c.data, c.formula, false);
    const t = await exactRLRT(m, { nsim: 1000 });
    expectStatistic(t.statistic, c.statistic);
    expectEigen(t.mu, c.mu);
    expect(t.messages).toContain('Using restricted likelihood evaluated at ML estimators.');
  });

  it('a variance estimated at 0: statistic 0, p = 1, nothing simulated', async () => {
    const c = byName('dyestuff2_zero');
    const m = await fit(c.data, c.formula);
    expect(m.theta[0]).toBe(0);
    const t = await exactRLRT(m, { nsim: NSIM });
    // RLRsim's statistic is the two criteria's rounding difference (5.7e-14; its p-value then 1 − mass at 0)
    expectStatistic(t.statistic, c.statistic);
    expect(t.statistic).toBe(0);
    expect(t.pValue).toBe(1);
    expect(t.nsim).toBe(0);
    expect(t.sample.length).toBe(0);
    expect(t.messages).toContain('Observed RLRT statistic is 0, no simulation performed.');
    expect(printExactTest(t)).toContain('RLRT = 0, p-value = 1');
    // the null law of its design anyway (RLRTSim on it in the oracle)
    const mu = scaleRemlEigen(rlrtEigenvalues({ X: m.model.frame.X, n: 30, p: 1, codes: m.model.frame.reTerms[0].codes, z: m.model.frame.reTerms[0].Z, K: 6 }));
    expectEigen(mu, c.mu);
    const law = await simulateRlrtNull({ n: 30, p: 1, q: 0, mu, reml: true, nsim: NLAW, seed: 3, logGridHi: 8, logGridLo: -10, gridLength: 200 });
    expectLaw(law.sample, lawOf(c));
  });
});

describe('exactLRT of a REML fit', () => {
  it('the likelihood at the REML estimates, with RLRsim\'s message', async () => {
    const c = byName('sleepstudy_reml_lrt');
    const m = await fit(c.data, c.formula, true);
    const t = await exactLRT(m, c.null as string, { nsim: 1000 });
    expectStatistic(t.statistic, c.statistic);
    expect(t.messages).toEqual(expect.arrayContaining(['Using likelihood evaluated at REML estimators.', 'Please refit model with method="ML" for exact results.']));
  });
});

describe('exactRLRT(m, { mA, m0 }): one variance among several', () => {
  it('sleepstudy: the slope\'s variance in (1 | Subject) + (0 + Days | Subject)', async () => {
    const c = byName('sleepstudy_slope');
    const [m, mA, m0] = await Promise.all([fit(c.data, c.formula), fit(c.data, c.full!), fit(c.data, c.null as string)]);
    const t = await exactRLRT(m, { mA, m0, nsim: NSIM, seed: 2 });
    expectStatistic(t.statistic, c.statistic);
    expectEigen(t.mu, c.mu);
    expectP(t.pValue, c.p, c.nsim);
    const law = await exactRLRT(m, { mA, m0, nsim: NLAW, seed: 11 });
    expectLaw(law.sample, lawOf(c));
  });
});

describe('exactLRT(m, m0): ML against a linear model', () => {
  for (const name of ['sleepstudy_ml_q0', 'sleepstudy_ml_q1']) {
    it(name, async () => {
      const c = byName(name);
      const m = await fit(c.data, c.formula, false);
      const t = await exactLRT(m, c.null as string, { nsim: NSIM, seed: 5 });
      expect(t.q).toBe(c.q);
      expectStatistic(t.statistic, c.statistic);
      expectEigen(t.mu, c.mu);
      expectEigen(t.xi!, c.xi!);
      expectP(t.pValue, c.p, c.nsim);
      expect(t.method).toBe(`simulated finite sample distribution of LRT. (p-value based on ${NSIM} simulated values)`);
      const law = await exactLRT(m, c.null as string, { nsim: NLAW, seed: 13 });
      expectLaw(law.sample, c.null_law!);
    });
  }
});

describe('draws', () => {
  it('are a pure function of the seed', async () => {
    const m = await fit('dyestuff.csv', 'Yield ~ 1 + (1 | Batch)');
    const a = await exactRLRT(m, { nsim: 500, seed: 42 });
    const b = await exactRLRT(m, { nsim: 500, seed: 42 });
    const c = await exactRLRT(m, { nsim: 500, seed: 43 });
    expect(Array.from(a.sample)).toEqual(Array.from(b.sample));
    expect(Array.from(a.sample)).not.toEqual(Array.from(c.sample));
    // the first simulations do not depend on nsim
    const d = await exactRLRT(m, { nsim: 100, seed: 42 });
    expect(Array.from(d.sample)).toEqual(Array.from(a.sample.subarray(0, 100)));
  });
});

describe('refusals', () => {
  it('a tested effect that is not one scalar variance', async () => {
    const m = await fit('sleepstudy.csv', 'Reaction ~ Days + (Days | Subject)');
    await expect(exactRLRT(m)).rejects.toThrow(ModelError);
    await expect(exactRLRT(m)).rejects.toThrow(/single scalar random effect.*\(Days \| Subject\) \(2 columns: \(Intercept\), Days\)/);
    const two = await fit('sleepstudy.csv', 'Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)');
    await expect(exactRLRT(two)).rejects.toThrow(/single scalar random effect.*\(1 \| Subject\) \+ \(0 \+ Days \| Subject\)/);
    await expect(exactLRT(m, 'Reaction ~ Days')).rejects.toThrow(/exactLRT: m must have a single scalar random effect/);
  });

  it('models that do not nest', async () => {
    const m = await fit('sleepstudy.csv', 'Reaction ~ Days + (0 + Days | Subject)');
    const mI = await fit('sleepstudy.csv', 'Reaction ~ Days + (1 | Subject)');
    const full = await fit('sleepstudy.csv', 'Reaction ~ Days + (Days | Subject)');
    // covariance and variance both 0 under H0: two parameters
    await expect(exactRLRT(m, { mA: full, m0: mI })).rejects.toThrow(/differ by 2 parameters: random effects not independent/);
    // m0 without the intercept's term, not the slope's
    const slopeOnly = await fit('sleepstudy.csv', 'Reaction ~ Days + (0 + Days | Subject)');
    const both = await fit('sleepstudy.csv', 'Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)');
    await expect(exactRLRT(m, { mA: both, m0: slopeOnly })).rejects.toThrow(/mA's term missing from m0 is \(1 \| Subject\), but m tests \(0 \+ Days \| Subject\)/);
    // different fixed effects
    const noDays = await fit('sleepstudy.csv', 'Reaction ~ 1 + (1 | Subject)');
    await expect(exactRLRT(m, { mA: both, m0: noDays })).rejects.toThrow(/fixed effects of m0 \(\(Intercept\)\) and m \(\(Intercept\), Days\) are not identical/);
    await expect(exactRLRT(m, { mA: both })).rejects.toThrow(OptionError);
    // exactLRT: m0 not nested in m
    const ml = await fit('sleepstudy.csv', 'Reaction ~ 1 + (1 | Subject)', false);
    await expect(exactLRT(ml, 'Reaction ~ Days')).rejects.toThrow(/m0 not nested in m: its term 'Days' is not in m's fixed part/);
    await expect(exactLRT(ml, 'Days ~ 1')).rejects.toThrow(/m0's response Days is not m's \(Reaction\)/);
    await expect(exactLRT(ml, 'Reaction ~ 1 + (1 | Subject)')).rejects.toThrow(/must be a linear model/);
  });

  it('options', async () => {
    const m = await fit('dyestuff.csv', 'Yield ~ 1 + (1 | Batch)');
    await expect(exactRLRT(m, { nsim: 0 })).rejects.toThrow(/nsim must be an integer from 1/);
    await expect(exactRLRT(m, { nsims: 10 } as never)).rejects.toThrow(/unknown option 'nsims' \(did you mean 'nsim'\?\)/);
    await expect(exactRLRT(m, { logGridLo: 9 })).rejects.toThrow(/logGridLo \(9\) must be below logGridHi \(8\)/);
    await expect(exactRLRT(m, { mA: 3 as never, m0: m })).rejects.toThrow(/mA must be an lmer fit/);
  });
});

describe('fit methods', () => {
  it('lmer fits have exactRLRT and exactLRT; glmer fits refuse them', async () => {
    const m = await fit('dyestuff.csv', 'Yield ~ 1 + (1 | Batch)');
    const a = await m.exactRLRT({ nsim: 200, seed: 9 });
    const b = await exactRLRT(m, { nsim: 200, seed: 9 });
    expect(a.statistic).toBe(b.statistic);
    expect(Array.from(a.sample)).toEqual(Array.from(b.sample));
    const ml = await fit('dyestuff.csv', 'Yield ~ 1 + (1 | Batch)', false);
    const l = await ml.exactLRT('Yield ~ 1', { nsim: 200 });
    expect(l.statisticName).toBe('LRT');
    expect(l.messages).toContain('No restrictions on fixed effects. REML-based inference preferable.');
    const g = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', loadDataFile('cbpp.csv'), { family: 'binomial', factors: ['herd', 'period'] });
    await expect(g.exactRLRT()).rejects.toThrow(/exactRLRT is RLRsim's, for linear mixed models/);
  });
});

describe('CLI: mixedgpu rlrt', () => {
  const run = async (args: RlrtArgs) => {
    const out: string[] = [], err: string[] = [];
    const code = await runRlrt(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
    return { code, out: out.join(''), err: err.join('') };
  };
  const file = join(__dirname, 'fixtures', 'data', 'sleepstudy.csv');

  it('exactRLRT with one effect: RLRsim\'s printout', async () => {
    const r = await run({ file, formula: 'Reaction ~ Days + (1 | Subject)', factors: 'Subject' });
    expect(r.code).toBe(0);
    expect(r.out.split('\n').slice(0, -1)).toEqual(ref.printout);
  });

  it('the grid options reach the simulation', async () => {
    // a grid of λ ≤ e⁻⁹ only: every simulated supremum is tiny (p = 0), where the default grid's p is not
    const a = await run({ file: join(__dirname, 'fixtures', 'data', 'dyestuff.csv'), formula: 'Yield ~ 1 + (1 | Batch)', json: true, nsim: '2000', logGridHi: '-9', logGridLo: '-10', gridLength: '3' });
    const m = await fit('dyestuff.csv', 'Yield ~ 1 + (1 | Batch)');
    const b = await exactRLRT(m, { nsim: 2000, logGridHi: -9, logGridLo: -10, gridLength: 3 });
    const c = await exactRLRT(m, { nsim: 2000 });
    expect(a.code).toBe(0);
    expect(JSON.parse(a.out).p_value).toBe(b.pValue);
    expect(b.pValue).toBe(0);
    expect(c.pValue).toBeGreaterThan(0);
    expect(Math.max(...b.lambda)).toBeLessThanOrEqual(Math.exp(-9));
  });

  it('the mA, m0 form and JSON', async () => {
    const c = byName('sleepstudy_slope');
    const r = await run({ file, formula: c.formula, full: c.full, null: c.null as string, factors: 'Subject', json: true, nsim: '500', seed: '4' });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.test).toBe('exactRLRT');
    expectStatistic(j.statistic.RLRT, c.statistic);
    expect(j.nsim).toBe(500);
    expect(j.seed).toBe(4);
  });

  it('exactLRT with --ml (default null: the fixed part)', async () => {
    const c = byName('sleepstudy_ml_q0');
    const r = await run({ file, formula: c.formula, factors: 'Subject', ml: true, json: true, nsim: '500' });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.test).toBe('exactLRT');
    expect(j.q).toBe(0);
    expectStatistic(j.statistic.LRT, c.statistic);
    expect(r.err).toContain('mixedgpu: note: No restrictions on fixed effects. REML-based inference preferable.');
  });

  it('refusals name the problem', async () => {
    let r = await run({ file, formula: 'Reaction ~ Days + (0 + Days | Subject)', factors: 'Subject', full: 'Reaction ~ Days + (Days | Subject)' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('give both --full');
    r = await run({ file, formula: 'Reaction ~ Days + (1 | Subject)', factors: 'Subject', nsim: '0' });
    expect(r.err).toContain('--nsim must be at least 1, got 0');
    r = await run({ file, formula: 'Reaction ~ Days + (1 | Subject)', factors: 'Subject', ml: true, full: 'Reaction ~ Days + (1 | Subject)' });
    expect(r.err).toContain('--full is for exactRLRT');
    r = await run({ file, formula: 'Reaction ~ Days + (1 | Subject)', factors: 'Subject', gridLength: '1.5' });
    expect(r.err).toContain("--grid-length must be a whole number, got '1.5'");
    r = await run({ file, formula: 'Reaction ~ Days + (1 | Subject)', factors: 'Subject', logGridLo: '9' });
    expect(r.err).toContain('exactRLRT: logGridLo (9) must be below logGridHi (8)');
  });
});

describe('the grid', () => {
  it("is RLRsim's: 0, then seq(log.grid.lo, log.grid.hi, length = gridlength − 1) in log scale", () => {
    const g = lambdaGrid(-10, 8, 200);
    expect(g.length).toBe(200);
    expect(g[0]).toBe(0);
    expect(g[1]).toBe(Math.exp(-10));
    expect(g[199]).toBe(Math.exp(8));
    expect(Math.abs(Math.log(g[100]) - (-10 + 99 * (18 / 198)))).toBeLessThan(1e-12);
    expect(Array.from(lambdaGrid(-10, 8, 2))).toEqual([0, Math.exp(-10)]);
  });
});
