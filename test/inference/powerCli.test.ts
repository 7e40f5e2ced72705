/** The CLI's power: simr's printouts, JSON (its p-values those of powerSim, against R in powerSim.test.ts), extend, curve, refusals. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFixef, runPower } from '../../src/cli/powerCommand.js';
import { buildProgram } from '../../src/cli/program.js';

const data = (f: string) => join(import.meta.dirname, '..', 'fixtures', 'data', f);
const ref = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'power', 'power.json'), 'utf8')) as { cases: Record<string, { p: Record<string, number[]>; successes: Record<string, number> }> };
const SS = 'Reaction ~ Days + (Days | Subject)';

async function capture(run: (io: { stdout: (s: string) => void; stderr: (s: string) => void }) => Promise<number>) {
  const out: string[] = [], err: string[] = [];
  const code = await run({ stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('mixedgpu power', () => {
  it("prints simr's print.powerSim", async () => {
    const r = await capture((io) => runPower({ file: data('sleepstudy.csv'), formula: SS, factors: 'Subject', test: 'Days', method: 't', nsim: '20', seed: '1', fixef: 'Days=2', quiet: true }, io));
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 8)).toEqual([
      "Power for predictor 'Days', (95% confidence interval):",
      '      15.00% ( 3.21, 37.89)',
      '',
      'Test: t-test with Satterthwaite degrees of freedom (package lmerTest)',
      '      Effect size for Days is 2.0',
      '',
      'Based on 20 simulations, (0 warnings, 0 errors)',
      'alpha = 0.05, nrow = 180',
    ]);
    expect(lines[9]).toMatch(/^Time elapsed: 0 h 0 m \d+ s$/);
  });

  it("--json: the p-values (R's to 1e-6, see powerSim.test.ts), counts and interval", async () => {
    const r = await capture((io) => runPower({ file: data('sleepstudy.csv'), formula: SS, factors: 'Subject', test: 'Days', method: 'kr', nsim: '20', seed: '1', fixef: 'Days=2', json: true, quiet: true }, io));
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { successes: number; trials: number; p_values: number[]; ci: { lower: number; upper: number }; method: string };
    expect(j.method).toBe('kr');
    expect(j.trials).toBe(20);
    expect(j.successes).toBe(ref.cases.sleepstudy_days.successes.kr);
    j.p_values.forEach((p, k) => expect(Math.abs(p - ref.cases.sleepstudy_days.p.kr[k]) / ref.cases.sleepstudy_days.p.kr[k]).toBeLessThan(1e-6));
  });

  it('--extend and --curve', async () => {
    const e = await capture((io) => runPower({ file: data('sleepstudy.csv'), formula: SS, factors: 'Subject', test: 'Days', method: 'z', nsim: '3', fixef: 'Days=2', extend: 'Subject=25', json: true, quiet: true }, io));
    expect(e.code).toBe(0);
    expect((JSON.parse(e.stdout) as { nrow: number }).nrow).toBe(250);
    const c = await capture((io) => runPower({ file: data('sleepstudy.csv'), formula: SS, factors: 'Subject', test: 'Days', method: 'z', nsim: '3', fixef: 'Days=2', curve: 'Subject=4,8', quiet: true }, io));
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/^Power for predictor 'Days', \(95% confidence interval\),\nby number of levels in Subject:\n {6}4: .* - 40 rows\n {6}8: .* - 80 rows\n/);
  });

  it('refusals name the problem', async () => {
    const run = (extra: Record<string, string>) => capture((io) => runPower({ file: data('sleepstudy.csv'), formula: SS, factors: 'Subject', nsim: '2', quiet: true, ...extra }, io));
    expect((await run({ test: 'Nope' })).stderr).toMatch(/'Nope' is not a fixed-effects term/);
    expect((await run({ nsim: '0' })).stderr).toMatch(/nsim must be a whole number/);
    expect((await run({ nsim: 'x' })).stderr).toMatch(/--nsim must be a whole number/);
    expect((await run({ method: 'bogus' })).stderr).toMatch(/unknown test method 'bogus'/);
    expect((await run({ test: 'Days', rcompare: '~ (1 | Subject)' })).stderr).toMatch(/give one of --test, --compare, --fcompare, --rcompare \(got --test, --rcompare\)/);
    expect((await run({ method: 'pb', pbnsim: '1.5' })).stderr).toMatch(/--pbnsim must be a whole number/);
    expect((await run({ fixef: 'Days' })).stderr).toMatch(/--fixef: expected name=value/);
    expect((await run({ extend: 'Subject=40', within: 'Subject=3' })).stderr).toMatch(/cannot be used together/);
    expect((await run({ extend: 'Subject' })).stderr).toMatch(/--extend: expected COLUMN=N/);
    const cbpp = await capture((io) => runPower({ file: data('cbpp.csv'), formula: 'cbind(incidence, size - incidence) ~ period + (1 | herd)', family: 'binomial', factors: 'herd,period', curve: 'herd', method: 't', nsim: '2', quiet: true }, io));
    expect(cbpp.stderr).toMatch(/the t test is for lmer fits/);
    expect(parseFixef('a=1, b=-0.5')).toEqual({ a: 1, b: -0.5 });
  });

  it('--family binomial: a glmer fit, its z test (as powerSim, against R in powerSim.test.ts)', async () => {
    const r = await capture((io) => runPower({ file: data('cbpp.csv'), formula: 'cbind(incidence, size - incidence) ~ period + (1 | herd)', family: 'binomial', factors: 'herd,period', test: 'period2', nsim: '20', seed: '6', fixef: 'period2=-0.5', json: true, quiet: true }, io));
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { method: string; p_values: number[]; successes: number };
    const want = (ref.cases as Record<string, { p: Record<string, number[]>; successes: Record<string, number> }>).cbpp_period2;
    expect(j.method).toBe('z');
    expect(j.successes).toBe(want.successes.z);
    // 1e-5 relative, as powerSim.test.ts's glmer cases (against R's exact Laplace optimum)
    j.p_values.forEach((p, k) => expect(Math.abs(p - want.p.z[k]) / want.p.z[k]).toBeLessThan(1e-5));
  });

  it('--family poisson --extend site=16 --curve site=6,16: a glmer curve on an extended design (against R in powerGlmmCurve.test.ts)', async () => {
    const r = await capture((io) => runPower({
      file: data('poisson_offset.csv'), formula: 'count ~ x + trt + offset(log(exposure)) + (1 | site)', family: 'poisson', factors: 'site,trt',
      extend: 'site=16', curve: 'site=6,16', test: 'x', nsim: '10', seed: '22', fixef: 'x=0.06', json: true, quiet: true,
    }, io));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { method: string; points: { x: number; nrow: number; p_values: number[] }[] };
    const want = (JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'power', 'power_glmm.json'), 'utf8')) as { cases: Record<string, { breaks: ({ k: number; nrow: number } & Record<string, number[]>)[] }> }).cases.poisson_extend.breaks;
    expect(j.method).toBe('z');
    j.points.forEach((pt, s) => {
      expect([pt.x, pt.nrow]).toEqual([want[s].k, want[s].nrow]);
      // 1e-5 relative, as powerGlmmCurve.test.ts (against R's exact Laplace optimum)
      pt.p_values.forEach((p, k) => expect(Math.abs(p - want[s].z_x[k]) / want[s].z_x[k]).toBeLessThan(1e-5));
    });
  });

  it("--rcompare '~ (1 | Subject)': simr's rcompare by the likelihood ratio (against R in powerSim.test.ts)", async () => {
    const r = await capture((io) => runPower({ file: data('sleepstudy.csv'), formula: SS, factors: 'Subject', rcompare: '~ (1 | Subject)', nsim: '20', seed: '1', fixef: 'Days=2', json: true, quiet: true }, io));
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout) as { method: string; text: string; description: string[]; p_values: number[] };
    expect([j.method, j.text, j.description[1]]).toEqual(['lr', 'Power for model comparison', 'Comparison to [fe] + ~ (1 | Subject)']);
    // 1e-6 relative, as powerSim.test.ts
    j.p_values.forEach((p, k) => expect(Math.abs(p - ref.cases.sleepstudy_days.p.compare_1[k]) / ref.cases.sleepstudy_days.p.compare_1[k]).toBeLessThan(1e-6));
  });

  it('--method chisq prints car\'s test in simr\'s words', async () => {
    const r = await capture((io) => runPower({ file: data('sleepstudy.csv'), formula: SS, factors: 'Subject', test: 'Days', method: 'chisq', nsim: '20', seed: '1', fixef: 'Days=2', quiet: true }, io));
    expect(r.stdout).toContain('Test: Type-II Chi-Square-test (package car)\n      Effect size for Days is 2.0');
    expect(r.stdout).toContain(`      15.00% ( 3.21, 37.89)`);
    expect(ref.cases.sleepstudy_days.successes.chisq).toBe(3);
  });

  it('is a command of the program', () => {
    expect(buildProgram().commands.map((c) => c.name())).toContain('power');
  });
});
