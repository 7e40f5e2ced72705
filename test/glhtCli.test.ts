/**
 * `mixedgpu glht FILE FORMULA (--mcp F=TYPE | --linfct H) [--test T] [--confint] [--cld]` (src/cli/glhtCommand.ts) through
 * commander: the printouts against test/oracle/glht.R's and glht_cld.R's multcomp output (the library is tested case by case in
 * test/glht.test.ts), the JSON, and the refusals with exit 1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/program.js';
import { withoutFit } from './helpers/withoutFit.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const oats = join(fixtures, 'data', 'Oats.csv');
const OATS = 'yield ~ nitro + Variety + (1 | Block/Variety)';
interface Case { name: string; estimate: number[]; rownames: string[]; tests: Record<string, { p: number[] }>; prints: Record<string, string[]> }
const oracle = JSON.parse(readFileSync(join(fixtures, 'glht', 'glht.json'), 'utf8')) as { cases: Case[] };
const caseOf = (name: string) => oracle.cases.find((c) => c.name === name)!;

async function run(args: string[]) {
  const out: string[] = [], err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((t: string | Uint8Array) => { out.push(String(t)); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((t: string | Uint8Array) => { err.push(String(t)); return true; });
  process.exitCode = 0;
  try { await main(['node', 'mixedgpu', 'glht', ...args, '--quiet']); } finally { o.mockRestore(); e.mockRestore(); }
  const code = process.exitCode ?? 0;
  process.exitCode = 0;
  return { code, stdout: out.join(''), stderr: err.join('') };
}
afterEach(() => { process.exitCode = 0; });

describe('mixedgpu glht', () => {
  it("--mcp Variety=Tukey --test univariate --test holm: multcomp's printouts", async () => {
    const { code, stdout } = await run([oats, OATS, '--factors', 'Block,Variety', '--mcp', 'Variety=Tukey', '--test', 'univariate', '--test', 'holm']);
    expect(code).toBe(0);
    const c = caseOf('oats_tukey');
    expect(withoutFit(stdout.replace(/\n$/, '').split('\n'))).toEqual(withoutFit([...c.prints.univariate, ...c.prints.holm]));
  });

  it('--linfct with --json: the hypotheses, estimates and single-step p-values', async () => {
    const { code, stdout } = await run([oats, OATS, '--factors', 'Block,Variety', '--linfct', 'nitro = 0', '--linfct', 'VarietyVictory - VarietyMarvellous = 0', '--confint', '--calpha', 'univariate', '--level', '0.9', '--json']);
    expect(code).toBe(0);
    const j = JSON.parse(stdout) as { glht: { hypotheses: string[]; estimate: number[]; tests: { test: string; result: { pValue: number[] } }[]; confint: { level: number } } };
    const c = caseOf('oats_coef');
    expect(j.glht.hypotheses).toEqual(c.rownames);
    j.glht.estimate.forEach((v, i) => expect(v).toBeCloseTo(c.estimate[i], 6));
    j.glht.tests[0].result.pValue.forEach((v, i) => expect(Math.abs(v - c.tests['single-step'].p[i])).toBeLessThan(4e-4));
    expect(j.glht.confint.level).toBe(0.9);
  });

  it("--cld: multcomp's compact letter display after the summary (test/oracle/glht_cld.R)", async () => {
    const cld = JSON.parse(readFileSync(join(fixtures, 'glht', 'glht_cld.json'), 'utf8')) as { cld: { name: string; print: string[]; letters: Record<string, string> }[] };
    const ref = cld.cld.find((c) => c.name === 'sleep_holm_decreasing')!;
    const sleep = join(fixtures, 'data', 'sleepstudy_dayf.csv');
    const { code, stdout } = await run([sleep, 'Reaction ~ DayF + (1 | Subject)', '--factors', 'DayF,Subject', '--mcp', 'DayF=Tukey', '--test', 'holm', '--cld', '--decreasing']);
    expect(code).toBe(0);
    expect(stdout.replace(/\n$/, '').split('\n').slice(-2)).toEqual(ref.print);
    const j = await run([sleep, 'Reaction ~ DayF + (1 | Subject)', '--factors', 'DayF,Subject', '--mcp', 'DayF=Tukey', '--test', 'holm', '--cld', '--decreasing', '--json']);
    const out = JSON.parse(j.stdout) as { glht: { cld: { test: string; cld: { letters: string[] } }[] } };
    expect(out.glht.cld[0].test).toBe('holm');
    expect(out.glht.cld[0].cld.letters).toEqual(Object.values(ref.letters));
  });

  it('--cld refusals: a family that is not Tukey, its options without it', async () => {
    const r = await run([oats, OATS, '--factors', 'Block,Variety', '--mcp', 'Variety=Dunnett', '--test', 'univariate', '--cld']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/needs a Tukey family.*of type Dunnett/);
    expect((await run([oats, OATS, '--factors', 'Block,Variety', '--mcp', 'Variety=Tukey', '--decreasing'])).stderr).toMatch(/--cld-level and --decreasing are options of --cld/);
    expect((await run([oats, OATS, '--factors', 'Block,Variety', '--mcp', 'Variety=Tukey', '--test', 'F', '--cld'])).stderr).toMatch(/--cld needs a test with a p-value per comparison/);
  });

  it('refusals: no hypotheses, both kinds, an unknown test, a bad --mcp, a number option that is not one', async () => {
    expect((await run([oats, OATS, '--factors', 'Block,Variety'])).stderr).toMatch(/--mcp FACTOR=TYPE .* or by --linfct/);
    expect((await run([oats, OATS, '--factors', 'Block,Variety', '--mcp', 'Variety=Tukey', '--linfct', 'nitro = 0'])).code).toBe(1);
    expect((await run([oats, OATS, '--factors', 'Block,Variety', '--mcp', 'Variety=Tukey', '--test', 'maxT'])).stderr).toMatch(/--test 'maxT': one of single-step/);
    expect((await run([oats, OATS, '--factors', 'Block,Variety', '--mcp', 'Tukey'])).stderr).toMatch(/--mcp 'Tukey': write FACTOR=TYPE/);
    // a number option that is not one (an empty value is not read as 0)
    expect((await run([oats, OATS, '--factors', 'Block,Variety', '--mcp', 'Variety=Tukey', '--level', 'high'])).stderr).toMatch(/--level must be a number, got 'high'/);
    expect((await run([oats, OATS, '--factors', 'Block,Variety', '--linfct', 'nitro = 0', '--rhs', ''])).stderr).toMatch(/--rhs must be a number, got ''/);
  });
});
