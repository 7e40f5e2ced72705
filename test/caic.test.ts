/**
 * cAIC4's conditional AIC (src/inference/caic.ts, src/inference/caicGaussian.ts) against cAIC4 1.0
 * (test/oracle/caic.R → test/fixtures/caic/caic.json; test/oracle/caic_sim.R → caic_sim.json).
 *
 * Tolerances:
 *  - at lme4's θ̂ (the model evaluated at R's θ, no fit of ours): the bias correction ρ and the conditional
 *    log-likelihood to 1e-10 relative (cAIC4 forms n × n matrices, we do not: the gap is rounding);
 *  - through our own fit: θ̂ agrees with lme4's tight fit to ~2e-7 relative, which moves ρ by ~3e-8 and
 *    the log-likelihood by ~1e-9: 1e-6 relative for both;
 *  - glmer: ρ is a sum of differences of refits' η̂, each refit an optimum of its own: Poisson 1e-5
 *    relative against R's refits run to rhoend 1e-10, the log-likelihood 1e-6. Bernoulli (bacteria):
 *    1e-4 for ρ and 3e-5 for the log-likelihood, because θ̂ itself is determined there only to ~5e-5: the
 *    Laplace deviance changes by ~1e-8 over Δθ = 5e-5, and lme4's own optimizers land that far apart
 *    (lme4's devfun: bobyqa rhoend 1e-10 stops at θ = 1.146488 with code 3, "a trust region step failed
 *    to reduce q", f = 197.770801970; our θ̂ = 1.146551 has f = 197.770801959 and optim's BFGS from
 *    R's optimum 1.146532, f = 197.770801956). Rounding the optimizer's rhoend down does not move ours.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { readCsv } from '../src/io/csv.js';
import { formatCaic, gaussianCondLogLik, lmmCaicAt, reducedFormula } from '../src/inference/caic.js';
import { inverseByFirstBlock } from '../src/inference/caicGaussian.js';
import { spdInverse } from '../src/linalg/dense.js';
import type { CliIO } from '../src/cli/fitCommand.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import { runCaic } from '../src/cli/caicCommand.js';
import { main } from '../src/cli/program.js';
import { dataText } from './helpers/fitExtras.js';

interface Case {
  name: string; formula: string; REML?: boolean; theta: number | number[]; loglikelihood: number; df?: number; caic?: number;
  new: boolean; reducedFormula?: string | null; printout: string; cAIC4_df?: number; df_intended?: number; caic_intended?: number;
}
const fx = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'caic', 'caic.json'), 'utf8')).cases as Record<string, Case>;
const partial = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'caic', 'caic_partial.json'), 'utf8')).cases as Record<string, Case & { file: string; theta: number[] }>;
const sim = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'caic', 'caic_sim.json'), 'utf8')) as Record<string, { REML: boolean; theta: number[]; loglikelihood: number; df: number; caic: number }>;
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const sleep = () => readCsv(dataText('sleepstudy.csv'), { factors: ['Subject'] }).table;
/** sleepstudy with `noise`: 10 levels cycling through the rows (the oracle's rep(1:10, length.out = n)) */
function sleepNoise() {
  const lines = dataText('sleepstudy.csv').trim().split('\n');
  const text = [`${lines[0]},"noise"`, ...lines.slice(1).map((l, i) => `${l},"${(i % 10) + 1}"`)].join('\n');
  return readCsv(text, { factors: ['Subject', 'noise'] }).table;
}

const lmmCases: { name: string; data: () => ReturnType<typeof sleep>; factors: string[] }[] = [
  { name: 'sleep_slope_reml', data: sleep, factors: ['Subject'] },
  { name: 'sleep_slope_ml', data: sleep, factors: ['Subject'] },
  { name: 'sleep_intercept_reml', data: sleep, factors: ['Subject'] },
  { name: 'sleep_uncorrelated_ml', data: sleep, factors: ['Subject'] },
  { name: 'penicillin_crossed_reml', data: () => readCsv(dataText('penicillin.csv')).table, factors: [] },
];

/** an lmer cAIC after cAIC4's refit without zero variance components: its formula, df, log-likelihood, printout */
function expectRefitCaic(r: Awaited<ReturnType<LmmFit['cAIC']>>, c: Case): void {
  expect(r.new).toBe(true);
  expect(r.reducedModel).toBe(c.reducedFormula);
  expect(rel(r.df, c.df!)).toBeLessThan(1e-6);
  expect(rel(r.loglikelihood, c.loglikelihood)).toBeLessThan(1e-6);
  expect(formatCaic(r)).toBe(c.printout);
}

describe('cAIC of lmer fits (Greven & Kneib, cAIC4 1.0)', () => {
  for (const lc of lmmCases) {
    it(`${lc.name}: at lme4's θ̂ and through our fit`, async () => {
      const c = fx[lc.name];
      const fit = await lmer(c.formula, lc.data(), { factors: lc.factors, REML: c.REML });
      // at R's θ: ρ + 1 and the log-likelihood with σ̂² = r²/(n − p) (REML) or r²/n (ML)
      const at = lmmCaicAt(fit.model, [c.theta].flat());
      const { n, p } = fit.model.frame;
      expect(rel(at.rho + 1, c.df!)).toBeLessThan(1e-10);
      const sigma = Math.sqrt(at.tye / (c.REML ? n - p : n));
      expect(rel(gaussianCondLogLik(at.e, sigma), c.loglikelihood)).toBeLessThan(1e-10);
      // through our fit
      const r = await fit.cAIC();
      expect(rel(r.df, c.df!)).toBeLessThan(1e-6);
      expect(rel(r.loglikelihood, c.loglikelihood)).toBeLessThan(1e-6);
      expect(rel(r.caic, c.caic!)).toBeLessThan(1e-6);
      expect(r.new).toBe(false);
      expect(r.reducedModel).toBeNull();
      expect(formatCaic(r)).toBe(c.printout);
    });
  }

  it('sigmaPenalty: 0 leaves out the σ term; a negative value is refused', async () => {
    const fit = await lmer('Reaction ~ Days + (1 | Subject)', sleep(), { factors: ['Subject'] });
    const [a, b] = [await fit.cAIC(), await fit.cAIC({ sigmaPenalty: 0 })];
    expect(a.df - b.df).toBeCloseTo(1, 12);
    await expect(fit.cAIC({ sigmaPenalty: -1 })).rejects.toThrow(/sigmaPenalty must be a number ≥ 0/);
  });

  it("a zero variance component: cAIC4's deleteZeroComponents refits without the term", async () => {
    const c = fx.sleep_noise_singular_reml;
    const fit = await lmer(c.formula, sleepNoise(), { factors: ['Subject', 'noise'] });
    expect(fit.theta[1]).toBe(0);
    expectRefitCaic(await fit.cAIC(), c);
  });

  /** the oracle's data with f = x > 0.5 ("b") else "a" */
  const partialData = (c: Case & { file: string }) => {
    const text = dataText(c.file).trim().split('\n');
    const csv = [`${text[0]},"f"`, ...text.slice(1).map((l) => `${l},"${Number(l.split(',')[0]) > 0.5 ? 'b' : 'a'}"`)].join('\n');
    return readCsv(csv, { factors: ['g', 'f'] }).table;
  };
  for (const name of ['intercept_kept', 'factor_intercept_kept']) {
    it(`a zero variance on some columns of a term (${name}): cAIC4 keeps the others and refits`, async () => {
      const c = partial[name];
      const fit = await lmer(c.formula, partialData(c), { factors: ['g', 'f'] });
      // lme4's θ̂ has its zero diagonal in the same place (θ₃: the slope's or fb's column)
      fit.theta.forEach((t, i) => expect(t === 0).toBe(c.theta[i] === 0));
      expectRefitCaic(await fit.cAIC(), c);
    });
  }

  /**
   * cAIC4's cnms2formula where the intercept's variance is the zero one: "(-1 + x | g)". No R case pins it
   * (test/oracle/caic_partial.R: with θ₁ = 0 the criterion is a ridge in the other two, so where an optimizer
   * stops on it differs between lme4 and us), so the reduced formula is checked at given θ; the refit that
   * follows is the branch above's.
   */
  it('the reduced formula at a θ whose intercept diagonal is 0: (-1 + x | g); a kept column that is not a variable refused', async () => {
    const c = partial.intercept_kept;
    const fit = await lmer(c.formula, partialData(c), { factors: ['g', 'f'] });
    const f = reducedFormula({ model: fit.model, theta: [0, 0.4, 0.3] });
    expect(f).not.toBeNull();
    expect(typeof f === 'object' && f!.text).toBe('y ~ x + (-1 + x | g)');
    expect(reducedFormula({ model: fit.model, theta: [0.5, 0.4, 0] })).toMatchObject({ text: 'y ~ x + (1 | g)' });
    expect(reducedFormula({ model: fit.model, theta: [0.5, 0.4, 0.3] })).toBeNull();
    expect(reducedFormula({ model: fit.model, theta: [0, 0, 0] })).toBe('lm');
    // (1 + f | g): dropping the intercept keeps the column fb, which is not a variable that cnms2formula could write
    const ff = await lmer('y ~ x + (1 + f | g)', partialData(c), { factors: ['g', 'f'] });
    expect(() => reducedFormula({ model: ff.model, theta: [0, 0.4, 0.3] })).toThrow(/the term \(f \| g\) has a zero variance on some of its columns.*its column .fb. is not a variable of the data/);
  });

  it('every variance zero: the linear model (df = rank of X, the fit\'s own log-likelihood), as cAIC4', async () => {
    const c = fx.dyestuff2_all_zero_reml;
    const fit = await lmer(c.formula, readCsv(dataText('dyestuff2.csv')).table);
    expect(fit.theta[0]).toBe(0);
    const r = await fit.cAIC();
    expect(r.df).toBe(c.df);
    expect(r.new).toBe(false);
    expect(rel(r.loglikelihood, c.loglikelihood)).toBeLessThan(1e-8);
    expect(formatCaic(r)).toBe(c.printout);
  });

  it('2000 rows, a random slope and a crossed factor (q = 185): cAIC4 (n × n) at its θ̂ and through our fit', async () => {
    const table = readCsv(dataText('caic_sim.csv'), { factors: ['g', 'h'] }).table;
    for (const s of Object.values(sim)) {
      const fit = await lmer('y ~ x + (1 + x | g) + (1 | h)', table, { factors: ['g', 'h'], REML: s.REML });
      const at = lmmCaicAt(fit.model, s.theta);
      expect(rel(at.rho + 1, s.df)).toBeLessThan(1e-10);
      const r = await fit.cAIC();
      expect(rel(r.df, s.df)).toBeLessThan(1e-6);
      expect(rel(r.caic, s.caic)).toBeLessThan(1e-6);
    }
  });

  it('refusals: prior weights, an offset', async () => {
    const w = await lmer('Reaction ~ Days + (1 | Subject)', readCsv(dataText('sleepstudy_weighted.csv'), { factors: ['Subject'] }).table, { factors: ['Subject'], weights: 'w' });
    await expect(w.cAIC()).rejects.toThrow(/prior weights/);
    const o = await lmer('Reaction ~ Days + offset(Days) + (1 | Subject)', sleep(), { factors: ['Subject'] });
    await expect(o.cAIC()).rejects.toThrow(/offset/);
  });
});

describe('inverseByFirstBlock', () => {
  it('equals the dense inverse of an SPD matrix whose leading block is block diagonal (with and without a rest)', () => {
    let seed = 7;
    const unif = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 4294967296 - 0.5; };
    for (const [size, count, r] of [[2, 5, 3], [1, 6, 0], [3, 4, 1]]) {
      const k1 = size * count, d = k1 + r;
      // M = BᵀB + I with B's columns of distinct levels of the first block never in one row
      const rows = 40, B = new Float64Array(rows * d);
      for (let i = 0; i < rows; i++) {
        const g = i % count;
        for (let j = 0; j < size; j++) B[i * d + g * size + j] = unif();
        for (let j = k1; j < d; j++) B[i * d + j] = unif();
      }
      const M = new Float64Array(d * d);
      for (let a = 0; a < d; a++) for (let c = 0; c < d; c++) { let s = a === c ? 1 : 0; for (let i = 0; i < rows; i++) s += B[i * d + a] * B[i * d + c]; M[a * d + c] = s; }
      const K = inverseByFirstBlock(M, d, size, count), ref = spdInverse(M, d, 'M').inv;
      for (let e = 0; e < d * d; e++) expect(Math.abs(K[e] - ref[e])).toBeLessThan(1e-12);
    }
  });
});

describe('cAIC of glmer fits (Säfken et al.)', () => {
  it('grouseticks Poisson: one refit per positive count', async () => {
    const c = fx.grouseticks_poisson;
    const fit = await glmer(c.formula, readCsv(dataText('grouseticks.csv'), { factors: ['YEAR', 'BROOD'] }).table, { family: 'poisson', factors: ['YEAR', 'BROOD'] });
    const r = await fit.cAIC();
    expect(rel(r.df, c.df_intended!)).toBeLessThan(1e-5);
    expect(rel(r.df, c.cAIC4_df!)).toBeLessThan(1e-5);
    expect(rel(r.loglikelihood, c.loglikelihood)).toBeLessThan(1e-6);
    expect(r.refits).toBe(fit.model.frame.y.filter((v) => v > 0).length);
    expect(formatCaic(r)).toBe(c.printout);
  }, 120_000);

  it('bacteria Bernoulli: the correction as Säfken et al. define it (cAIC4 1.0 ignores the flipped responses)', async () => {
    const c = fx.bacteria_bernoulli;
    const fit = await glmer(c.formula, readCsv(dataText('bacteria.csv')).table, { family: 'binomial' });
    const r = await fit.cAIC();
    expect(rel(r.df, c.df_intended!)).toBeLessThan(1e-4);
    expect(Math.abs(c.cAIC4_df!)).toBeLessThan(1e-2); // cAIC4's bug, recorded by the oracle
    expect(rel(r.loglikelihood, c.loglikelihood)).toBeLessThan(3e-5);
    expect(rel(r.caic, c.caic_intended!)).toBeLessThan(1e-4);
    expect(r.messages.join('\n')).toMatch(/cAIC4 1\.0 itself returns a df near 0/);
  }, 120_000);

  it("a zero variance component: cAIC4's deleteZeroComponents refits the glmer without the term, then its refits", async () => {
    // test/oracle/caic_glmer_zero.R: lme4's θ̂ for (1 | h) is 0; cAIC4 refits y ~ x + (1 | g)
    const c = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'caic', 'caic_glmer_zero.json'), 'utf8')) as Case & { theta: number[]; reducedTheta: number; reducedObjective: number; loglikelihood_tight: number; refits: number };
    // the fit and its reduced refit as tight as the oracle's (rhoend 1e-10): the conditional log-likelihood
    // moves with θ̂, which the default rhoend leaves 1e-4 (relative) from the optimum here
    const tight = { rhoend: 1e-10, maxfun: 100_000 };
    const fit = await glmer(c.formula, readCsv(dataText('caic_glmer_zero.csv'), { factors: ['g', 'h'] }).table, { family: 'poisson', factors: ['g', 'h'], optimizer: tight });
    fit.theta.forEach((t, i) => expect(t === 0).toBe(c.theta[i] === 0));
    const r = await fit.cAIC({ optimizer: tight });
    expect(r.new).toBe(true);
    expect(r.reducedModel).toBe(c.reducedFormula);
    expect(r.refits).toBe(c.refits);
    // the reduced fit is the optimum of lme4's with PIRLS and the optimizer tight (tolPwrss 1e-13): its
    // Laplace deviance to 1e-12 and the conditional log-likelihood to 1e-8. cAIC4's own reduced fit runs
    // PIRLS to lme4's default tolPwrss, which leaves its deviance 5.6e-5 high and θ̂ 8e-5 (relative) away
    // (0.623533 against 0.623581): its conditional log-likelihood is 1.3e-6 (relative) from the optimum's
    const reduced = await glmer(c.reducedFormula!, readCsv(dataText('caic_glmer_zero.csv'), { factors: ['g', 'h'] }).table, { family: 'poisson', factors: ['g'], optimizer: tight });
    expect(rel(reduced.objective, c.reducedObjective)).toBeLessThan(1e-12);
    expect(rel(r.loglikelihood, c.loglikelihood_tight)).toBeLessThan(1e-8);
    expect(rel(r.loglikelihood, c.loglikelihood)).toBeLessThan(2e-6);
    // against the correction from tight refits (cAIC4's own refits stop at lme4's default tolerance: 5e-4 away)
    expect(rel(r.df, c.df_intended!)).toBeLessThan(1e-5);
    expect(rel(r.caic, c.caic_intended!)).toBeLessThan(1e-5);
    expect(rel(r.df, c.cAIC4_df!)).toBeLessThan(1e-3);
    // cAIC4's printout: its refit lines as R prints them
    expect(formatCaic(r).split('\n').slice(0, 3)).toEqual(c.printout.split('\n').slice(0, 3));
  }, 120_000);

  it('every variance zero: refused, as cAIC4 1.0 stops (its reduced model is an lm)', async () => {
    // test/fixtures/data/caic_poisson_zero.csv (test/oracle/caic_poisson_zero.R: set.seed(4)); y ~ Poisson(exp(0.5 + 0.3x)), 20 groups
    // without effect; lme4 fits θ̂ = 0 and cAIC4's biasCorrectionPoisson fails on the lm deleteZeroComponents returns
    const fit = await glmer('y ~ x + (1 | g)', readCsv(dataText('caic_poisson_zero.csv'), { factors: ['g'] }).table, { family: 'poisson', factors: ['g'] });
    expect(fit.theta[0]).toBe(0);
    await expect(fit.cAIC()).rejects.toThrow(/every variance parameter of this glmer fit is 0; cAIC4 stops here/);
  });

  it('refusals: binomial with trials (cbind), other families', async () => {
    const cb = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', readCsv(dataText('cbpp.csv')).table, { family: 'binomial' });
    await expect(cb.cAIC()).rejects.toThrow(/more than one trial.*−Inf/);
    const gm = await glmer('TICKS + 1 ~ YEAR + (1 | BROOD)', readCsv(dataText('grouseticks.csv'), { factors: ['YEAR', 'BROOD'] }).table, { family: 'Gamma', factors: ['YEAR', 'BROOD'] });
    await expect(gm.cAIC()).rejects.toThrow(/Gamma family/);
  });
});

describe('mixedgpu caic', () => {
  async function capture(f: (io: CliIO) => Promise<number>) {
    const out: string[] = [], err: string[] = [];
    const code = await f({ stdout: (s) => { out.push(s); }, stderr: (s) => { err.push(s); } });
    return { code, stdout: out.join(''), stderr: err.join('') };
  }
  const data = (f: string) => join(import.meta.dirname, 'fixtures', 'data', f);
  it("prints cAIC4's printout; --json gives its list; --ml", async () => {
    const c = fx.sleep_slope_reml;
    const t = await capture((io) => runCaic({ file: data('sleepstudy.csv'), formula: c.formula, factors: 'Subject', quiet: true }, io));
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toBe(`${c.printout}\n`);
    const m = fx.sleep_slope_ml;
    const j = await capture((io) => runCaic({ file: data('sleepstudy.csv'), formula: m.formula, factors: 'Subject', ml: true, json: true, quiet: true }, io));
    expect(j.code, j.stderr).toBe(0);
    const o = JSON.parse(j.stdout) as { loglikelihood: number; df: number; caic: number; new: boolean; reducedModel: null };
    expect(rel(o.df, m.df!)).toBeLessThan(1e-6);
    expect(rel(o.caic, m.caic!)).toBeLessThan(1e-6);
    expect(o.new).toBe(false);
    expect(o.reducedModel).toBeNull();
  });
  it('a bad --sigma-penalty is named', async () => {
    const t = await capture((io) => runCaic({ file: data('sleepstudy.csv'), formula: 'Reaction ~ Days + (1 | Subject)', factors: 'Subject', sigmaPenalty: 'x', quiet: true }, io));
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/--sigma-penalty must be a number/);
  });
  it('is a command of the program: --family poisson', async () => {
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out.push(String(s)); return true; });
    const code = process.exitCode;
    try {
      await main(['node', 'mixedgpu', 'caic', data('grouseticks.csv'), 'TICKS ~ YEAR + (1 | BROOD)', '--family', 'poisson', '--factors', 'YEAR,BROOD', '--json', '--quiet']);
      expect(process.exitCode ?? 0).toBe(0);
      const j = JSON.parse(out.join('')) as { df: number; family: string };
      expect(j.family).toBe('poisson');
      expect(rel(j.df, fx.grouseticks_poisson.df_intended!)).toBeLessThan(1e-5);
    } finally {
      write.mockRestore();
      process.exitCode = code;
    }
  }, 120_000);
});
