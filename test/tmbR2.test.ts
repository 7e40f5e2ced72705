/**
 * performance 0.10.2's r2 (r2_nakagawa), icc and model_performance of glmmTMB fits (src/zeroinfl/r2.ts,
 * src/zeroinfl/distributionVariance.ts) against performance 0.10.2 with insight 0.19.0 on glmmTMB 1.1.5
 * (test/oracle/tmb_r2.R, fixture test/fixtures/tmb_r2/tmb_r2.json): Poisson, NB2, NB1, genpois,
 * zero-inflated Poisson (with and without a random effect in the zero model), NB2 and NB1, hurdle Poisson
 * and NB2 (a singular fit: R² marginal only, no ICC), beta (and with a random slope, (1 + x | g)), gaussian,
 * Gamma (log), tweedie, binomial (0/1 and cbind); the refusals where performance returns NA (truncated_nbinom1, gaussian with a dispformula).
 *
 * R's fits and insight's null models are moved to their tight optimum (Newton steps to max |gradient| <
 * 1e-10), the one our fits reach: the objectives agree within 3e-10 (tests of the fits themselves are
 * test/zeroinfl*.test.ts). Tolerances: the fit's parameters within 1e-5 absolute (those at a boundary —
 * an unbounded coefficient or a log SD → −∞ — left out: their values are wherever each optimizer stopped);
 * R², ICC, the variance components and every model_performance column within 5e-6 relative. Not 1e-6: the
 * likelihood is flat in a random effect's log SD ψ, where our optimum (central-difference Newton steps)
 * agrees with TMB's (exact gradient) to ~1e-6 at an objective 1e-12 apart (zinb2: 1.1e-6), and σ²_α = e^{2ψ}
 * doubles that relative error (2.3e-6 in zinb2's var.random). Worst seen: TMB_R2_WORST=1 prints it.
 * hurdle_nb1's R fit is glmmTMB's own optimum (its tight fit fails: the SD runs to 0 and the Hessian is
 * singular), so its model_performance columns are compared within 1e-5.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as arrow from 'apache-arrow';
import { readCsv } from '../src/io/csv.js';
import { zeroInflated } from '../src/zeroinfl/zeroInflated.js';
import type { ZiFamily } from '../src/zeroinfl/model.js';
import type { ZeroInflatedFit } from '../src/zeroinfl/zeroInflatedFit.js';
import { ModelError, OptionError } from '../src/errors/errors.js';
import { NO_RANDOM_MESSAGE, printIcc, printR2 } from '../src/inference/r2Nakagawa.js';
import { truncatedNbinom2Variance, truncatedPoissonVariance } from '../src/zeroinfl/distributionVariance.js';
import { type ZeroinflArgs, runZeroinfl } from '../src/cli/zeroinflCommand.js';

const fixtures = join(import.meta.dirname, 'fixtures');
interface Model { data: string; formula: string; ziformula: string; dispformula: string; family: ZiFamily }
interface Case {
  name: string; model: Model; par: number[]; objective: number; sigma: number | null; null_intercept: number | null;
  r2: { conditional: number | null; marginal: number | null } | null; r2_warnings: string[] | string; r2_printed: string[] | string;
  icc: { adjusted: number; unadjusted: number } | null; icc_warnings: string[] | string;
  icc_by_group: { group: string | string[]; ICC: number | number[] } | null; icc_by_group_warnings: string[] | string;
  variance: Record<string, number | null> | null;
  performance: Record<string, number | null>; performance_warnings: string[] | string; performance_printed: string[] | string;
}
const REF = JSON.parse(readFileSync(join(fixtures, 'tmb_r2', 'tmb_r2.json'), 'utf8')) as { cases: Record<string, Case> };
const table = (f: string) => readCsv(readFileSync(join(fixtures, 'data', f), 'utf8')).table;
const DATA: Record<string, arrow.Table> = {
  salamanders: table('salamanders.csv'), tmbfamilies: table('tmbfamilies.csv'), tmbfamilies2: table('tmbfamilies2.csv'),
  binomial_interaction: table('binomial_interaction.csv'),
};
const list = <T>(v: T | T[] | null | undefined): T[] => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]);
const fits = new Map<string, ZeroInflatedFit>();
const TOL = 5e-6;
// the largest relative error seen (TMB_R2_WORST=1 prints it)
let worst = 0;

function rel(ours: number | null | undefined, theirs: number | null | undefined, at: string, tol = TOL) {
  if (theirs === null || theirs === undefined) { expect(ours ?? null, at).toBeNull(); return; }
  expect(typeof ours, at).toBe('number');
  const e = Math.abs((ours as number) - theirs) / Math.max(Math.abs(theirs), 1e-300);
  worst = Math.max(worst, e);
  expect(e, `${at}: ${ours} vs ${theirs}`).toBeLessThan(tol);
}

beforeAll(async () => {
  for (const [name, c] of Object.entries(REF.cases)) {
    const m = c.model;
    fits.set(name, await zeroInflated(m.formula, DATA[m.data], { family: m.family, ziformula: m.ziformula, dispformula: m.dispformula, factors: m.data === 'binomial_interaction' ? [] : undefined }));
  }
}, 600_000);

const supported = Object.values(REF.cases).filter((c) => c.r2 !== null && c.r2.marginal !== null);
const refused = Object.values(REF.cases).filter((c) => !(c.r2 !== null && c.r2.marginal !== null));

describe('glmmTMB r2 and icc against performance 0.10.2', () => {
  it('covers the families of the brief', () => {
    expect(supported.map((c) => c.name)).toEqual(expect.arrayContaining(['pois', 'nb1', 'nb2', 'zip', 'zinb2', 'hurdle_pois', 'beta', 'gaussian', 'binomial', 'gamma']));
    expect(refused.map((c) => c.name).sort()).toEqual(['gaussian_disp', 'hurdle_nb1']);
  });
  for (const c of supported) {
    it(`${c.name}: ${c.model.family} ${c.model.formula}, zi ${c.model.ziformula}`, async () => {
      const fit = fits.get(c.name)!;
      const nx = fit.par.length;
      const atBoundary = (k: number) => fit.unbounded.includes(fit.parNames[k]) || (/^log\(sd\)/.test(fit.parNames[k]) && Number.isNaN(fit.vcov[k * nx + k]));
      fit.par.forEach((v, k) => { if (!atBoundary(k)) expect(Math.abs(v - c.par[k]), `${c.name} par ${fit.parNames[k]}`).toBeLessThan(1e-5); });
      if (c.sigma !== null) rel(fit.sigma, c.sigma, `${c.name} sigma`);
      const r2 = await fit.r2();
      if (c.null_intercept !== null) rel(r2.nullIntercept, c.null_intercept, `${c.name} null intercept`);
      else expect(r2.nullIntercept).toBeUndefined();
      rel(r2.marginal, c.r2!.marginal, `${c.name} R2 marginal`);
      rel(r2.conditional, c.r2!.conditional, `${c.name} R2 conditional`);
      const v = c.variance!;
      rel(r2.components.fixed, v['var.fixed'], `${c.name} var.fixed`);
      rel(r2.components.random, v['var.random'] ?? null, `${c.name} var.random`);
      rel(r2.components.residual, v['var.residual'], `${c.name} var.residual`);
      rel(r2.components.distribution, v['var.distribution'], `${c.name} var.distribution`);
      if (v['var.dispersion'] !== 0) rel(r2.components.dispersion, v['var.dispersion'], `${c.name} var.dispersion`);
      else expect(r2.components.dispersion).toBe(0);
      // insight's warnings in its order, then r2's printed note (a singular fit)
      expect(r2.messages).toEqual([...list(c.r2_warnings), ...list(c.r2_printed)]);
      expect(printR2(r2)).toEqual(printR2({ conditional: c.r2!.conditional, marginal: c.r2!.marginal! }));
      const icc = await fit.icc();
      if (c.icc === null) expect(icc.icc).toBeNull();
      else {
        rel(icc.icc!.adjusted, c.icc.adjusted, `${c.name} ICC adjusted`);
        rel(icc.icc!.unadjusted, c.icc.unadjusted, `${c.name} ICC unadjusted`);
        expect(printIcc(icc.icc)).toEqual(printIcc(c.icc));
      }
      expect(icc.messages).toEqual(list(c.icc_warnings));
      const byGroup = await fit.icc({ byGroup: true });
      if (c.icc_by_group === null) expect(byGroup.byGroup).toBeNull();
      else {
        expect(byGroup.byGroup!.map((r) => r.group)).toEqual(list(c.icc_by_group.group));
        byGroup.byGroup!.forEach((r, k) => rel(r.ICC, list(c.icc_by_group!.ICC)[k], `${c.name} ICC ${r.group}`));
      }
      // insight's warnings, then performance's on random slopes (beta_slope)
      expect(byGroup.messages).toEqual(list(c.icc_by_group_warnings));
    }, 120_000);
  }
});

describe('glmmTMB model_performance against performance 0.10.2', () => {
  for (const c of Object.values(REF.cases)) {
    it(`${c.name}: the columns performance reports, and no others`, async () => {
      const fit = fits.get(c.name)!;
      const mp = await fit.modelPerformance();
      const { messages, ...cols } = mp;
      // performance's row drops NA columns except where another row entry is set (R2_conditional with a marginal)
      const theirs = Object.fromEntries(Object.entries(c.performance));
      // a hurdle NB whose SD is at its boundary: performance's NB size exp(ψ̂) is wherever glmmTMB stopped
      // (hurdle_nb2: ψ̂ −13.8 there, −18.4 here): the scores are left out with the reason
      if (c.name === 'hurdle_nb2' || c.name === 'hurdle_nb1') {
        expect(messages.some((m) => /Score_log and Score_spherical not computed: .*at its boundary/.test(m))).toBe(true);
        delete theirs.Score_log;
        delete theirs.Score_spherical;
      }
      expect(Object.keys(cols)).toEqual(Object.keys(theirs));
      for (const [k, v] of Object.entries(theirs)) rel((cols as Record<string, number | null>)[k], v, `${c.name} ${k}`, c.name === 'hurdle_nb1' ? 1e-5 : TOL);
      // performance's printed notes are ours; a refused R² says why
      for (const note of list(c.performance_printed)) expect(messages).toContain(note);
      if (!('R2_marginal' in theirs)) expect(messages.some((m) => m.startsWith('R2 and ICC not available: '))).toBe(true);
      if (c.r2?.conditional === null && c.r2?.marginal !== null) expect(messages).toContain(NO_RANDOM_MESSAGE);
    }, 120_000);
  }
  it('prints the largest error', () => { if (process.env.TMB_R2_WORST) console.log('worst relative error', worst); });
});

describe('glmmTMB r2 and icc: what is refused, and why', () => {
  it('truncated_nbinom1: performance returns NA (insight does not support truncated negative binomials)', async () => {
    const fit = fits.get('hurdle_nb1')!;
    expect(list(REF.cases.hurdle_nb1.r2_warnings).join(' ')).toMatch(/Truncated negative binomial families are currently not supported/);
    await expect(fit.r2()).rejects.toThrow(ModelError);
    await expect(fit.r2()).rejects.toThrow(/truncated_nbinom1.*Truncated negative binomial families are currently not supported/);
    await expect(fit.icc()).rejects.toThrow(/NA/);
  });
  it('a dispersion model: sigma(fit) is NA and performance returns NA', async () => {
    const fit = fits.get('gaussian_disp')!;
    expect(REF.cases.gaussian_disp.r2).toEqual({ conditional: null, marginal: null });
    expect(REF.cases.gaussian_disp.icc).toEqual({ adjusted: null, unadjusted: null });
    await expect(fit.r2()).rejects.toThrow(/dispformula '~ f'.*sigma\(fit\) is NA/);
    await expect(fit.icc({ byGroup: true })).rejects.toThrow(ModelError);
  });
  it("betabinomial: insight's fallback reads glmmTMB's random-effects parameters as an NB θ: refused with that reason; model_performance without R² and ICC", async () => {
    const fit = await zeroInflated('cbind(s, fl) ~ x + (1 | g)', DATA.tmbfamilies2, { family: 'betabinomial', ziformula: '~ 0' });
    await expect(fit.r2()).rejects.toThrow(/family betabinomial: .*getME\(fit, "theta"\)/);
    const mp = await fit.modelPerformance();
    expect('R2_marginal' in mp).toBe(false);
    expect(mp.messages.some((m) => m.startsWith('R2 and ICC not available: '))).toBe(true);
    // a cbind response: performance's log loss is NA and it computes no scores (its notes)
    expect(mp.Log_loss).toBeNull();
    expect(mp.messages).toContain("Can't calculate log-loss.");
    expect(mp.messages).toContain("Can't calculate proper scoring rules for models without integer response values.");
  }, 120_000);
  it('bad options name themselves', async () => {
    const fit = fits.get('pois')!;
    await expect(fit.r2({ tolerance: -1 })).rejects.toThrow(OptionError);
    await expect(fit.icc({ byGroup: 'yes' as never })).rejects.toThrow(/byGroup/);
    await expect(fit.modelPerformance({ estimator: 'OLS' as never })).rejects.toThrow(/estimator/);
  });
  it('the tolerance of the singularity check is insight\'s: a variance below it', async () => {
    // hurdle_nb2's site variance is ~1e-9 (singular at 1e-5); at tolerance 0 the random variance is computed
    const fit = fits.get('hurdle_nb2')!;
    const r = await fit.r2({ tolerance: 0 });
    expect(r.conditional).not.toBeNull();
    expect(r.components.random!).toBeLessThan(1e-5);
  });
});

describe('glmmTMB variance functions (glmmTMB 1.1.5: truncated_poisson()$variance, truncated_nbinom2()$variance)', () => {
  it('truncated Poisson and truncated NB2 against R', () => {
    // R: truncated_poisson()$variance(1); truncated_nbinom2()$variance(2, 1.5); $variance(0.3, 0.8)
    rel(truncatedPoissonVariance(1), 0.661303112661534, 'truncated_poisson V(1)', 1e-12);
    rel(truncatedNbinom2Variance(2, 1.5), 4.31831255196314, 'truncated_nbinom2 V(2, 1.5)', 1e-12);
    rel(truncatedNbinom2Variance(0.3, 0.8), 0.454966189348631, 'truncated_nbinom2 V(0.3, 0.8)', 1e-12);
  });
});

describe('mixedgpu zeroinfl --r2 and --performance', () => {
  const file = join(fixtures, 'data', 'salamanders.csv');
  const run = async (args: Partial<ZeroinflArgs>) => {
    let out = '', err = '';
    const code = await runZeroinfl({ file, formula: 'count ~ mined + (1 | site)', family: 'poisson', zi: '~ mined', ...args } as ZeroinflArgs, { stdout: (s) => { out += s; }, stderr: (s) => { err += s; } });
    return { code, out, err };
  };
  it("--r2 prints performance's r2 and icc (the library's values), --json the numbers, notes once on stderr", async () => {
    const c = REF.cases.zip;
    const r = await run({ r2: true, byGroup: true });
    expect(r.code).toBe(0);
    expect(r.out).toContain(printR2({ conditional: c.r2!.conditional, marginal: c.r2!.marginal! }).join('\n'));
    expect(r.out).toContain(printIcc(c.icc).join('\n'));
    expect(r.out).toContain('# ICC by Group');
    expect(r.err.match(/too close to zero/g)).toHaveLength(1);
    const j = JSON.parse((await run({ r2: true, json: true })).out);
    rel(j.r2.marginal, c.r2!.marginal, 'cli R2 marginal');
    rel(j.icc.adjusted, c.icc!.adjusted, 'cli ICC');
    rel(j.null_intercept, c.null_intercept, 'cli null intercept');
  }, 120_000);
  it("--performance prints model_performance's row; --json its columns", async () => {
    const c = REF.cases.zip;
    const r = await run({ performance: true });
    expect(r.code).toBe(0);
    expect(r.out).toContain('# Indices of model performance');
    expect(r.out).toMatch(/AIC .*AICc .*BIC .*R2 \(cond\.\) .*R2 \(marg\.\) .*ICC .*RMSE .*Sigma .*Score_log .*Score_spherical/);
    const j = JSON.parse((await run({ performance: true, json: true })).out);
    for (const [k, v] of Object.entries(c.performance)) rel(j.model_performance[k], v, `cli ${k}`);
  }, 120_000);
  it('refusals and bad combinations are errors that say why', async () => {
    const g = await runZeroinfl({ file: join(fixtures, 'data', 'tmbfamilies.csv'), formula: 'yg ~ x + f + (1 | g)', family: 'gaussian', disp: '~ f', r2: true } as ZeroinflArgs, { stdout: () => {}, stderr: (s) => { expect(s).toMatch(/sigma\(fit\) is NA/); } });
    expect(g).toBe(1);
    const b = await run({ byGroup: true });
    expect(b.code).toBe(1);
    expect(b.err).toContain('--by-group and --tolerance are options of --r2');
    const two = await run({ r2: true, performance: true });
    expect(two.code).toBe(1);
    expect(two.err).toContain('--r2');
  }, 120_000);
});
