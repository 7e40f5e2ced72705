/**
 * `mixedgpu parameters FILE FORMULA …` (src/cli/parametersCommand.ts) through commander: the printout
 * against test/oracle/parameters.R's (the library's numbers are tested in test/parameters.test.ts),
 * --standardize, --json, and the refusals with their exit code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/program.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const sleepstudy = join(fixtures, 'data', 'sleepstudy.csv');
const cbpp = join(fixtures, 'data', 'cbpp.csv');
const FORMULA = 'Reaction ~ Days + (Days | Subject)';
const CBPP = 'cbind(incidence, size - incidence) ~ period + (1 | herd)';
const oracle = JSON.parse(readFileSync(join(fixtures, 'parameters', 'parameters.json'), 'utf8')) as {
  model_parameters: { name: string; printed: string[]; messages: string[] | string }[]; standardize_parameters: { name: string; printed: string[] }[];
};

async function run(args: string[]) {
  const out: string[] = [], err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((t: string | Uint8Array) => { out.push(String(t)); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((t: string | Uint8Array) => { err.push(String(t)); return true; });
  process.exitCode = 0;
  try { await main(['node', 'mixedgpu', 'parameters', ...args, '--quiet']); } finally { o.mockRestore(); e.mockRestore(); }
  const code = process.exitCode ?? 0;
  process.exitCode = 0;
  return { code, stdout: out.join(''), stderr: err.join('') };
}
afterEach(() => { process.exitCode = 0; });

describe('mixedgpu parameters', () => {
  it('--ci-method satterthwaite --ci 0.9: parameters\'s printout and footer (sleep_ci90)', async () => {
    const { code, stdout } = await run([sleepstudy, FORMULA, '--factors', 'Subject', '--ci-method', 'satterthwaite', '--ci', '0.9']);
    expect(code).toBe(0);
    const c = oracle.model_parameters.find((x) => x.name === 'sleep_ci90')!;
    const footer = [c.messages].flat().find((m) => m.includes('Uncertainty'))!.replace(/\n$/, '').split('\n');
    expect(stdout.trimEnd().split('\n')).toEqual([...c.printed, ...footer]);
  });

  it('--standardize basic of a glmer fit (cbpp_basic), and --json', async () => {
    const { code, stdout } = await run([cbpp, CBPP, '--family', 'binomial', '--factors', 'period,herd', '--standardize', 'basic']);
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n')).toEqual(oracle.standardize_parameters.find((x) => x.name === 'cbpp_basic')!.printed);
    const j = await run([sleepstudy, FORMULA, '--factors', 'Subject', '--effects', 'fixed', '--ci-method', 'ml1', '--json']);
    expect(j.code).toBe(0);
    const rows = JSON.parse(j.stdout).model_parameters.rows as Record<string, unknown>[];
    expect(rows.map((r) => [r.Parameter, r.df_error])).toEqual([['(Intercept)', 178], ['Days', 178]]);
    expect(Object.keys(rows[0])).toEqual(['Parameter', 'Coefficient', 'SE', 'CI', 'CI_low', 'CI_high', 't', 'df_error', 'p', 'Effects', 'Group']);
  });

  it('refuses, naming the option: kenward for glmer, an unknown ci_method or method, --standardize with --ci-method', async () => {
    const kr = await run([cbpp, CBPP, '--family', 'binomial', '--factors', 'period,herd', '--ci-method', 'kenward']);
    expect(kr.code).toBe(1);
    expect(kr.stderr).toMatch(/ci_method 'kenward' is for linear mixed models/);
    const bad = await run([sleepstudy, FORMULA, '--ci-method', 'wlad']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--ci-method: unknown ci_method 'wlad'/);
    const std = await run([sleepstudy, FORMULA, '--standardize', 'zscore']);
    expect(std.code).toBe(1);
    expect(std.stderr).toMatch(/--standardize: unknown method 'zscore'/);
    const both = await run([sleepstudy, FORMULA, '--standardize', 'basic', '--ci-method', 'ml1']);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/--ci-method and --effects do not apply/);
  });
});
