/**
 * `mixedgpu meta` and `mixedgpu fit --prior …` as functions with in-memory writers: metafor's
 * printout and JSON names, blme's priors from the command line, and the errors a user sees.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFit, type CliIO, type FitArgs } from '../../src/cli/fitCommand.js';
import { type MetaArgs, runMeta } from '../../src/cli/metaCommand.js';
import { loadBlme, loadRma, metaDataPath, relDiff } from '../helpers/metaReference.js';

function memoryIO(): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (s) => { out.push(s); }, stderr: (s) => { err.push(s); }, stderrIsTTY: false };
}
async function meta(args: MetaArgs) {
  const io = memoryIO();
  const code = await runMeta(args, io);
  return { code, stdout: io.out.join(''), stderr: io.err.join('') };
}
async function fit(args: FitArgs) {
  const io = memoryIO();
  const code = await runFit(args, io);
  return { code, stdout: io.out.join(''), stderr: io.err.join('') };
}
const ko = metaDataPath('konstantopoulos2011');
const data = join(import.meta.dirname, '..', 'fixtures', 'data');

describe('mixedgpu meta', () => {
  it("prints metafor's printout of a multilevel model", async () => {
    const r = await meta({ file: ko, yi: 'yi', vi: 'vi', random: '~ 1 | district/school' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, loadRma('konstantopoulos_reml').print.length)).toEqual(loadRma('konstantopoulos_reml').print);
  });
  it("--json uses metafor's names (sigma2 outermost first; tval with --test t)", async () => {
    const r = await meta({ file: ko, yi: 'yi', vi: 'vi', random: '~ 1 | district/school', test: 't', json: true });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, any>;
    for (const key of ['sigma2', 'beta', 'se', 'tval', 'pval', 'ci_lb', 'ci_ub', 'pi_lb', 'pi_ub', 'QE', 'QEdf', 'QEp', 'loglik', 'k', 'studies']) expect(j).toHaveProperty(key);
    const ref = loadRma('konstantopoulos_reml_t');
    expect(relDiff(j.sigma2[0], ref.sigma2![0])).toBeLessThan(1e-5);
    expect(relDiff(j.tval.intrcpt, ref.stat.intrcpt)).toBeLessThan(1e-5);
    expect(j.QEdf).toBe(55);
    expect(j.k).toBe(56);
  });
  it('a univariate model with moderators and Knapp–Hartung', async () => {
    // dat.bcg with log risk ratios: mixedgpu escalc's output is the input here (written by test/meta/escalcCli.test.ts' path)
    const { runEscalc } = await import('../../src/cli/escalcCommand.js');
    const io = memoryIO();
    await runEscalc({ file: metaDataPath('bcg'), measure: 'RR', ai: 'tpos', bi: 'tneg', ci: 'cpos', di: 'cneg' }, io);
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'mixedgpu-meta-'));
    try {
      const file = join(dir, 'bcg.csv');
      writeFileSync(file, io.out.join(''));
      const r = await meta({ file, yi: 'yi', vi: 'vi', mods: 'ablat,year', test: 'knha', json: true });
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout) as Record<string, any>;
      const ref = loadRma('bcg_reml_ablat_year_knha');
      expect(relDiff(j.tau2, ref.tau2!)).toBeLessThan(1e-5);
      expect(relDiff(j.tval.ablat, ref.stat.ablat)).toBeLessThan(1e-5);
      expect(j.QMdf).toEqual([2, 10]);
      const printed = await meta({ file, yi: 'yi', vi: 'vi', mods: '~ ablat + year', test: 'knha' });
      expect(printed.stdout.split('\n').slice(0, ref.print.length)).toEqual(ref.print);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('reports bad arguments and data', async () => {
    expect((await meta({ file: ko, vi: 'vi' })).stderr).toMatch(/--yi is required/);
    expect((await meta({ file: ko, yi: 'yi' })).stderr).toMatch(/--vi \(sampling variances\) or --sei/);
    expect((await meta({ file: ko, yi: 'yi', vi: 'vi', method: 'FOO' })).stderr).toMatch(/--method must be one of REML, ML, DL/);
    expect((await meta({ file: ko, yi: 'yi', vi: 'vi', mods: ' ' })).stderr).toMatch(/--mods needs moderators/);
    expect((await meta({ file: ko, yi: 'yi', vi: 'vi', random: '~ 1 | region' })).stderr).toMatch(/random: column 'region' not found/);
    expect((await meta({ file: ko, yi: 'yi', vi: 'vi', level: '120' })).stderr).toMatch(/--level must be a percentage/);
    expect((await meta({ file: ko, yi: 'yi', vi: 'year', mods: 'school' })).code).toBe(0);
  });
});

describe('mixedgpu fit --prior', () => {
  it("--prior blme: blmer's defaults on the singular Dyestuff2", async () => {
    const r = await fit({ file: join(data, 'dyestuff2.csv'), formula: 'Yield ~ 1 + (1 | Batch)', factors: 'Batch', prior: 'blme', json: true });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, any>;
    const ref = loadBlme('dyestuff2_default');
    expect(Math.abs(j.theta[0] - ref.best.theta[0])).toBeLessThan(1e-4);
    expect(relDiff(j.prior_deviance, ref.best.penalty)).toBeLessThan(1e-5);
    expect(relDiff(j.remlcrit, ref.best.remlcrit!)).toBeLessThan(1e-6);
    expect(j.singular).toBe(false);
    expect(j.prior.cov[0].prior).toBe('wishart(df = 3.5, scale = Inf, posterior.scale = cov, common.scale = TRUE)');
  });
  it("--cov-prior, --resid-prior in blme's syntax; the summary says which prior ran", async () => {
    const r = await fit({ file: join(data, 'dyestuff2.csv'), formula: 'Yield ~ 1 + (1 | Batch)', factors: 'Batch', covPrior: "gamma(shape = 2, rate = 0.5, posterior.scale = 'sd')", residPrior: 'invgamma(shape = 2, scale = 5)' });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Cov prior  : Batch ~ gamma(shape = 2, rate = 0.5, posterior.scale = sd, common.scale = TRUE)');
    expect(lines[1]).toBe('Resid prior: invgamma(shape = 2, scale = 5, posterior.scale = var)');
    expect(lines[2]).toMatch(/^Prior dev {2}: \d+\.\d+$/);
    expect(lines[4]).toBe("Linear mixed model fit by REML ['blmerMod']");
  });
  it('bglmer from the command line', async () => {
    const r = await fit({ file: join(data, 'cbpp.csv'), formula: 'cbind(incidence, size - incidence) ~ period + (1 | herd)', factors: 'herd,period', family: 'binomial', prior: 'blme', json: true });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, any>;
    expect(Math.abs(j.theta[0] - loadBlme('cbpp_default').best.theta[0])).toBeLessThan(1e-4);
  });
  it('reports bad priors', async () => {
    const base = { file: join(data, 'dyestuff2.csv'), formula: 'Yield ~ 1 + (1 | Batch)', factors: 'Batch' };
    expect((await fit({ ...base, prior: 'flat' })).stderr).toMatch(/--prior takes 'blme'/);
    expect((await fit({ ...base, covPrior: 'wishart(df = -1)' })).stderr).toMatch(/degrees of freedom less than or equal to \(level.dim - 1\)/);
    expect((await fit({ ...base, covPrior: 'gamma(shape = 2' })).stderr).toMatch(/expected '\)'/);
    expect((await fit({ ...base, fixefPrior: 't(df = 3, scale = 100)' })).stderr).toMatch(/only supported with REML = FALSE/);
    // blme's default t scale c(100, 6.25) does not fit one coefficient: blme stops with the same message
    expect((await fit({ ...base, ml: true, fixefPrior: 't' })).stderr).toMatch(/t prior scale of improper length 2/);
    expect((await fit({ file: join(data, 'cbpp.csv'), formula: 'cbind(incidence, size - incidence) ~ period + (1 | herd)', factors: 'herd', family: 'binomial', residPrior: 'point' })).stderr).toMatch(/--resid-prior is for linear mixed models/);
  });
});
