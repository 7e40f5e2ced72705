/**
 * `mixedgpu robu` (src/cli/robuCommand.ts): robumeta's printout and sensitivity() from a file, --json with
 * robumeta's names, the options through commander (main), and the errors a user sees.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { CliIO } from '../src/cli/fitCommand.js';
import { main } from '../src/cli/program.js';
import { type RobuArgs, runRobu } from '../src/cli/robuCommand.js';

const dir = join(import.meta.dirname, 'fixtures', 'robumeta');
const load = (name: string) => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Record<string, any>;
const corrdat = join(dir, 'data', 'corrdat.csv');
const hierdat = join(dir, 'data', 'hierdat.csv');

async function run(args: RobuArgs) {
  const out: string[] = [], err: string[] = [];
  const io: CliIO = { stdout: (s) => { out.push(s); }, stderr: (s) => { err.push(s); }, stderrIsTTY: false };
  const code = await runRobu(args, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('mixedgpu robu', () => {
  it("prints robumeta's print(robu) and, with --sensitivity, sensitivity()", async () => {
    const f = load('corr_reg');
    const r = await run({ file: corrdat, formula: f.formula, study: 'studyid', var: 'var', sensitivity: true });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${f.printed}\n\n${f.sensitivity.printed}\n`);
  });
  it('--modelweights HIER --no-small (commander: --no-small is small = false)', async () => {
    const f = load('hier_reg_large');
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((t: string | Uint8Array) => { written.push(String(t)); return true; });
    try {
      await main(['node', 'mixedgpu', 'robu', hierdat, f.formula, '--study', 'studyid', '--var', 'var', '--modelweights', 'HIER', '--no-small']);
    } finally { spy.mockRestore(); }
    expect(process.exitCode ?? 0).toBe(0);
    expect(written.join('')).toBe(`${f.printed}\n`);
  });
  it('--json: the coefficients, dfs and variance components with robumeta\'s names; --rho', async () => {
    const f = load('corr_reg_rho2');
    const r = await run({ file: corrdat, formula: f.formula, study: 'studyid', var: 'var', rho: '0.2', json: true, sensitivity: true });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, any>;
    expect(j.model).toBe('CORR');
    expect(j.rho).toBe(0.2);
    expect(j.labels).toEqual(['(Intercept)', 'followup', 'males', 'binge', 'college']);
    for (const key of ['b', 'SE', 't', 'dfs', 'prob', 'CI_L', 'CI_U']) {
      (j[key] as number[]).forEach((x, i) => expect(Math.abs(x - f[key][i]) / Math.abs(f[key][i]), `${key}[${i}]`).toBeLessThan(1e-8));
    }
    expect(Math.abs(j.tau_sq - f.tau_sq) / f.tau_sq).toBeLessThan(1e-8);
    expect(Math.abs(j.I2 - f.I2) / f.I2).toBeLessThan(1e-8);
    expect(j.sensitivity).toHaveLength(6);
    expect(Math.abs(j.sensitivity[5].tau_sq - f.sensitivity.rows[5].tau_sq) / f.sensitivity.rows[5].tau_sq).toBeLessThan(1e-8);
  });
  it('the dropped rows are noted on stderr', async () => {
    const f = load('corr_na');
    const r = await run({ file: join(dir, 'data', 'corrdat_na.csv'), formula: f.formula, study: 'studyid', var: 'var' });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('mixedgpu: note: 3 of 172 rows dropped for missing values (na.omit)\n');
    expect(r.stdout).toBe(`${f.printed}\n`);
  });
  it('errors name the option or column', async () => {
    const base = { file: corrdat, formula: 'effectsize ~ males', study: 'studyid', var: 'var' };
    const cases: [Partial<RobuArgs>, RegExp][] = [
      [{ study: undefined }, /--study is required/],
      [{ var: undefined }, /--var is required/],
      [{ modelweights: 'CORRELATED' }, /--modelweights must be CORR or HIER \(got 'CORRELATED'\)/],
      [{ rho: '1.2' }, /--rho must be a number between 0 and 1 \(got '1.2'\)/],
      [{ rho: 'x' }, /--rho must be a number/],
      [{ modelweights: 'HIER', sensitivity: true }, /--sensitivity .* not available for hierarchical effects/],
      [{ study: 'study' }, /studynum: column 'study' not found/],
      [{ formula: 'effectsize ~ nope' }, /nope/],
    ];
    for (const [over, msg] of cases) {
      const r = await run({ ...base, ...over } as RobuArgs);
      expect(r.code, JSON.stringify(over)).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^mixedgpu: error: /);
      expect(r.stderr).toMatch(msg);
    }
  });
});
