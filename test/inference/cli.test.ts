/** The CLI of the inference: fit --ddf, anova, confint — JSON exactly as issue 11 specifies, text as R, errors. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFit } from '../../src/cli/fitCommand.js';
import { runAnova, runConfint } from '../../src/cli/inferenceCommands.js';
import { lmer } from '../../src/fit/lmer.js';
import { bootstrapIntervals } from '../../src/inference/bootstrap.js';
import { loadDataFile, loadInference, rel } from '../helpers/inference.js';

const data = (f: string) => join(import.meta.dirname, '..', 'fixtures', 'data', f);

async function capture(run: (io: { stdout: (s: string) => void; stderr: (s: string) => void }) => Promise<number>) {
  const out: string[] = [], err: string[] = [];
  const code = await run({ stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('mixedgpu inference CLI', () => {
  it('fit --ddf kenward-roger --json: ddf, coefficients and type III anova', async () => {
    const ref = loadInference('design_covariate');
    const r = await capture((io) => runFit({ file: data(ref.data), formula: ref.formula, factors: 'Subject', ddf: 'kenward-roger', json: true }, io));
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ddf).toBe('kenward-roger');
    expect(Object.keys(j.coefficients)).toEqual(Object.keys(ref.kenward_roger!.coefficients));
    for (const [name, c] of Object.entries(j.coefficients) as [string, { estimate: number; se: number; df: number; t: number; p: number }][]) {
      expect(Object.keys(c)).toEqual(['estimate', 'se', 'df', 't', 'p']);
      expect(rel(c.se, ref.kenward_roger!.coefficients[name].se)).toBeLessThan(1e-5);
      expect(rel(c.df, ref.kenward_roger!.coefficients[name].df)).toBeLessThan(1e-3);
    }
    for (const [term, a] of Object.entries(j.anova) as [string, { numdf: number; dendf: number; F: number; p: number }][]) {
      expect(a.numdf).toBe(ref.kenward_roger!.anova[term].numdf);
      expect(rel(a.dendf, ref.kenward_roger!.anova[term].dendf)).toBeLessThan(1e-3);
      expect(rel(a.F, ref.kenward_roger!.anova[term].F)).toBeLessThan(1e-5);
    }
  });

  it('fit --ddf satterthwaite prints lmerTest\'s summary and anova', async () => {
    const r = await capture((io) => runFit({ file: data('sleepstudy_design.csv'), formula: 'Reaction ~ Days * grp + (Days | Subject)', factors: 'Subject', ddf: 'satterthwaite' }, io));
    expect(r.code).toBe(0);
    const text = loadInference<{ coef_satterthwaite: string[]; anova_satterthwaite: string[] }>('text');
    expect(r.stdout).toContain("Linear mixed model fit by REML. t-tests use Satterthwaite's method [\nlmerModLmerTest]");
    expect(r.stdout).toContain(text.anova_satterthwaite.join('\n'));
  });

  it('fit --ddf --type: lmerTest\'s anova of type I or II, printed as R prints it, and in the JSON', async () => {
    const types = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'inference', 'anova-types.json'), 'utf8')) as
      { name: string; types: Record<string, { printed: Record<string, string[]>; kenward_roger: Record<string, { F: number }> }> }[];
    const ref = types.find((c) => c.name === 'design_covariate')!;
    const args = { file: data('sleepstudy_design.csv'), formula: 'Reaction ~ Days * grp + (Days | Subject)', factors: 'Subject' };
    for (const [type, ddf] of [['II', 'satterthwaite'], ['I', 'kenward-roger'], ['2', 'kenward-roger']] as const) {
      const r = await capture((io) => runFit({ ...args, ddf, type }, io));
      expect(r.code).toBe(0);
      const roman = type === '2' ? 'II' : type;
      expect(r.stdout).toContain(ref.types[roman].printed[ddf === 'satterthwaite' ? 'satterthwaite' : 'kenward_roger'].join('\n'));
    }
    const j = JSON.parse((await capture((io) => runFit({ ...args, ddf: 'kenward-roger', type: 'I', json: true }, io))).stdout);
    expect(j.anovaType).toBe('I');
    for (const [term, a] of Object.entries(j.anova) as [string, { F: number }][]) expect(rel(a.F, ref.types.I.kenward_roger[term].F)).toBeLessThan(1e-4);
    const plain = JSON.parse((await capture((io) => runFit({ ...args, ddf: 'satterthwaite', json: true }, io))).stdout);
    expect(plain.anovaType).toBe('III');
    expect((await capture((io) => runFit({ ...args, type: 'II' }, io))).stderr).toMatch(/--type chooses the type of the anova that --ddf adds: give --ddf too/);
    expect((await capture((io) => runFit({ ...args, ddf: 'satterthwaite', type: 'IV' }, io))).stderr).toMatch(/unknown anova type 'IV': choose 'I', 'II' or 'III'/);
  }, 60_000);

  it('anova --json: models by npar and the χ² tests', async () => {
    const ref = loadInference<{ models: { formula: string; npar: number; loglik: number }[]; tests: ({ chisq: number; df: number; p: number } | null)[] }>('lrt_sleepstudy');
    const r = await capture((io) => runAnova({ file: data('sleepstudy.csv'), formulas: ['Reaction ~ Days + (Days | Subject)', 'Reaction ~ Days + (1 | Subject)', 'Reaction ~ 1 + (1 | Subject)'], factors: 'Subject', json: true }, io));
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.models.map((m: { formula: string }) => m.formula)).toEqual(ref.models.map((m) => m.formula));
    expect(Object.keys(j.models[0])).toEqual(['formula', 'npar', 'aic', 'bic', 'loglik', 'deviance']);
    expect(j.tests[0]).toBeNull();
    j.tests.slice(1).forEach((t: { chisq: number; df: number; p: number }, k: number) => {
      expect(Object.keys(t)).toEqual(['chisq', 'df', 'p']);
      expect(Math.abs(t.chisq - ref.tests[k + 1]!.chisq)).toBeLessThan(1e-5);
    });
    expect(r.stderr).toMatch(/refitting model\(s\) with ML/);
  }, 60_000);

  it('confint --json: profile, wald, boot; nulls for lme4\'s NA', async () => {
    const ref = loadInference('sleepstudy');
    const args = { file: data('sleepstudy.csv'), formula: 'Reaction ~ Days + (Days | Subject)', factors: 'Subject', json: true };
    const w = JSON.parse((await capture((io) => runConfint({ ...args, method: 'wald' }, io))).stdout);
    expect(w).toMatchObject({ method: 'wald', level: 0.95 });
    expect(w.intervals['sd_(Intercept)|Subject']).toEqual([null, null]);
    const p = JSON.parse((await capture((io) => runConfint({ ...args, method: 'profile', level: '0.9' }, io))).stdout);
    for (const [name, [lo, hi]] of Object.entries(ref.profile90!.intervals)) {
      expect(Math.abs(p.intervals[name][0] - lo!)).toBeLessThan(2e-3 * (hi! - lo!));
    }
    const b = JSON.parse((await capture((io) => runConfint({ ...args, method: 'boot', nsim: '40', seed: '3' }, io))).stdout);
    expect(b.method).toBe('boot');
    expect(Object.keys(b.intervals)).toEqual(Object.keys(ref.profile!.intervals));
  }, 60_000);

  it('confint --method boot --boot-type: boot.ci\'s types in the JSON, the same as the library\'s from one bootstrap', async () => {
    const args = { file: data('sleepstudy.csv'), formula: 'Reaction ~ Days + (Days | Subject)', factors: 'Subject', json: true, method: 'boot', nsim: '150', seed: '5' };
    const fit = await lmer('Reaction ~ Days + (Days | Subject)', loadDataFile('sleepstudy.csv'), { factors: ['Subject'] });
    const boot = await fit.bootstrap({ nsim: 150, seed: 5, jackknife: true });
    for (const type of ['perc', 'basic', 'norm', 'bca'] as const) {
      const r = await capture((io) => runConfint({ ...args, bootType: type }, io));
      expect(r.code, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j).toMatchObject({ method: 'boot', level: 0.95, type });
      for (const iv of bootstrapIntervals(boot, 0.95, type).intervals) {
        expect(j.intervals[iv.name][0]).toBeCloseTo(iv.lower!, 8);
        expect(j.intervals[iv.name][1]).toBeCloseTo(iv.upper!, 8);
      }
    }
  }, 120_000);

  it('confint --method boot for a glmer fit (--family)', async () => {
    const args = { file: data('cbpp.csv'), formula: 'cbind(incidence, size - incidence) ~ period + (1 | herd)', factors: 'herd,period', family: 'binomial', json: true };
    const b = JSON.parse((await capture((io) => runConfint({ ...args, method: 'boot', nsim: '12', seed: '4' }, io))).stdout);
    expect(b).toMatchObject({ method: 'boot', level: 0.95 });
    expect(Object.keys(b.intervals)).toEqual(['sd_(Intercept)|herd', '(Intercept)', 'period2', 'period3', 'period4']);
    for (const [lo, hi] of Object.values(b.intervals) as [number, number][]) expect(lo).toBeLessThan(hi);
  }, 60_000);

  it('bad input: names the problem', async () => {
    const args = { file: data('sleepstudy.csv'), formula: 'Reaction ~ Days + (Days | Subject)', factors: 'Subject' };
    expect((await capture((io) => runConfint({ ...args, method: 'boot', nsim: '0' }, io))).stderr).toMatch(/--nsim must be at least 1, got 0/);
    expect((await capture((io) => runConfint({ ...args, level: '95' }, io))).stderr).toMatch(/--level must be between 0 and 1/);
    expect((await capture((io) => runConfint({ ...args, method: 'bayes' }, io))).stderr).toMatch(/unknown --method 'bayes'/);
    expect((await capture((io) => runConfint({ ...args, method: 'boot', bootType: 'stud' }, io))).stderr).toMatch(/unknown bootstrap interval type 'stud' \(choose perc, basic, norm, bca\)/);
    expect((await capture((io) => runConfint({ ...args, method: 'profile', bootType: 'bca' }, io))).stderr).toMatch(/--boot-type and --jackknife-factor are for --method boot/);
    expect((await capture((io) => runConfint({ ...args, method: 'boot', bootType: 'bca', nsim: '50' }, io))).stderr).toMatch(/BCa intervals need at least 100 bootstrap replicates, got nsim = 50/);
    expect((await capture((io) => runConfint({ ...args, method: 'boot', bootType: 'bca', nsim: '100', jackknifeFactor: 'Days' }, io))).stderr).toMatch(/grouping factor 'Days' is not one of the model's \(Subject\)/);
    expect((await capture((io) => runFit({ ...args, ddf: 'kr' }, io))).stderr).toMatch(/unknown ddf method 'kr'/);
    expect((await capture((io) => runFit({ ...args, ddf: 'kenward-roger', ml: true }, io))).stderr).toMatch(/only available for REML model fits/);
    expect((await capture((io) => runAnova({ ...args, formulas: [] }, io))).stderr).toMatch(/anova needs a model formula \(lme4's anova of one fit\), or two or more to compare/);
  }, 60_000);

  it("anova reads a CSV as fit does: a semicolon-delimited file is sniffed (and said), or read with delimiter ';'", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mixedgpu-anova-'));
    try {
      const semi = join(dir, 'sleep.csv');
      writeFileSync(semi, readFileSync(data('sleepstudy.csv'), 'utf8').replaceAll(',', ';'));
      const formulas = ['Reaction ~ Days + (1 | Subject)', 'Reaction ~ 1 + (1 | Subject)'];
      const comma = await capture((io) => runAnova({ file: data('sleepstudy.csv'), formulas, factors: 'Subject', json: true }, io));
      const sniffed = await capture((io) => runAnova({ file: semi, formulas, factors: 'Subject', json: true }, io));
      const given = await capture((io) => runAnova({ file: semi, formulas, factors: 'Subject', json: true, delimiter: ';', quiet: true }, io));
      expect([comma.code, sniffed.code, given.code]).toEqual([0, 0, 0]);
      expect(sniffed.stdout).toBe(comma.stdout);
      expect(given.stdout).toBe(comma.stdout);
      expect(sniffed.stderr).toMatch(/semicolon/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
