/**
 * `mixedgpu fit`: the command as a function with in-memory output writers (no process spawned).
 * Numeric parity with lme4 is tested elsewhere; here: what goes to stdout / stderr and exit codes.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFit, type CliIO, type FitArgs } from '../src/cli/fitCommand.js';

const data = join(import.meta.dirname, 'fixtures', 'data');
const sleepstudy = join(data, 'sleepstudy.csv');
const FORMULA = 'Reaction ~ Days + (Days | Subject)';

function memoryIO(tty = false): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (s) => { out.push(s); }, stderr: (s) => { err.push(s); }, stderrIsTTY: tty };
}

async function run(args: FitArgs, tty = false) {
  const io = memoryIO(tty);
  const code = await runFit(args, io);
  return { code, stdout: io.out.join(''), stderr: io.err.join('') };
}

describe('mixedgpu fit', () => {
  it('--json prints one JSON object with the fit\'s fields', async () => {
    const { code, stdout, stderr } = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', json: true });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as Record<string, unknown>;
    for (const key of ['formula', 'reml', 'nobs', 'ngroups', 'theta', 'sigma', 'fixef', 'se', 'vcov', 'varcorr', 'loglik', 'aic', 'bic', 'remlcrit', 'singular', 'ranef', 'backend', 'messages']) {
      expect(json).toHaveProperty(key);
    }
    expect(json.formula).toBe(FORMULA);
    expect(json.reml).toBe(true);
    expect(json.nobs).toBe(180);
    expect(json.ngroups).toEqual({ Subject: 18 });
    expect(Object.keys(json.fixef as object)).toEqual(['(Intercept)', 'Days']);
    expect(json.backend).toBe('cpu');
    expect((json.varcorr as unknown[]).length).toBe(4);
  });

  it('--ml fits by maximum likelihood', async () => {
    const { code, stdout } = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', json: true, ml: true });
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as Record<string, unknown>;
    expect(json.reml).toBe(false);
    expect(json).toHaveProperty('deviance');
    expect(json).not.toHaveProperty('remlcrit');
  });

  it('prints the summary by default, with the file name as the data name', async () => {
    const { code, stdout } = await run({ file: sleepstudy, formula: FORMULA, factors: ['Subject'] });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Linear mixed model fit by REML \['lmerMod'\]\n/);
    expect(stdout).toContain('Formula: Reaction ~ Days + (Days | Subject)\n   Data: sleepstudy\n');
    expect(stdout).toContain('Number of obs: 180, groups:  Subject, 18');
    expect(stdout).toContain('Backend: cpu');
  });

  it('shows progress on a terminal stderr only, never on stdout', async () => {
    const tty = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', json: true }, true);
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/evaluations, REML criterion \d/);
    expect(() => JSON.parse(tty.stdout)).not.toThrow();
    const quiet = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', json: true, quiet: true }, true);
    expect(quiet.stderr).toBe('');
  });

  it('an unknown backend is a clear error', async () => {
    const { code, stdout, stderr } = await run({ file: sleepstudy, formula: FORMULA, backend: 'tpu' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe("mixedgpu: error: unknown backend 'tpu' (choose one of cpu, webgpu, auto)\n");
  });

  it('a missing file is an error naming the file', async () => {
    const { code, stdout, stderr } = await run({ file: join(data, 'no_such_file.csv'), formula: FORMULA });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^mixedgpu: error: .*no_such_file\.csv/);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a malformed formula is an error with the caret message', async () => {
    const { code, stdout, stderr } = await run({ file: sleepstudy, formula: 'Reaction ~ Days + (Days | Subject', factors: 'Subject' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^mixedgpu: error: /);
    expect(stderr).toContain('Reaction ~ Days + (Days | Subject');
    expect(stderr).toContain('^');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing column is an error naming the column', async () => {
    const { code, stdout, stderr } = await run({ file: sleepstudy, formula: 'Reaction ~ Dayz + (1 | Subject)', factors: 'Subject' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^mixedgpu: error: .*'Dayz'/);
  });

  it('--ml with --reml is an error', async () => {
    const { code, stderr } = await run({ file: sleepstudy, formula: FORMULA, ml: true, reml: true });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^mixedgpu: error: --ml and --reml/);
  });
});
