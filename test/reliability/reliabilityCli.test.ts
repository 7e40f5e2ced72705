/**
 * `mixedgpu reliability` and `mixedgpu agreement` as functions with in-memory writers: psych's
 * printout of the rater design with missing cells (test/oracle/reliability.R), the JSON's numbers
 * against R, multilevel's agreement table, and the errors a user sees.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import type { CliIO } from '../../src/cli/fitCommand.js';
import { type AgreementArgs, type ReliabilityArgs, runAgreement, runReliability } from '../../src/cli/reliabilityCommand.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'reliability');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ref: any = JSON.parse(readFileSync(join(dir, 'reliability.json'), 'utf8'));

async function call<A>(run: (a: A, io: CliIO) => Promise<number>, args: A) {
  const out: string[] = [], err: string[] = [];
  const code = await run(args, { stdout: (s) => { out.push(s); }, stderr: (s) => { err.push(s); } });
  return { code, stdout: out.join(''), stderr: err.join('') };
}
const reliability = (a: Omit<ReliabilityArgs, 'file'>, file = 'ratings_missing.csv') => call(runReliability, { file: resolve(dir, file), ...a });
const agreement = (a: Omit<AgreementArgs, 'file'>, file = 'lq2002_sub.csv') => call(runAgreement, { file: resolve(dir, file), ...a });
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('mixedgpu reliability', () => {
  it("prints psych's ICC table line for line, then lmer's decomposition", async () => {
    const r = await reliability({ subject: 'subject', rater: 'rater', value: 'value' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    // psych's call names the data: ICC(x = ratings) in R, the file's name here
    expect(lines[0]).toBe('Call: ICC(x = ratings_missing)');
    expect(lines.slice(1, ref.missing.print.length)).toEqual(ref.missing.print.slice(1));
    expect(r.stdout).toMatch(/Variance decomposition \(lmer/);
    expect(r.stdout).toMatch(/7 of 75 cells missing/);
  });
  it('a wide file: --raters names its columns', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'mixedgpu-reliability-'));
    try {
      const lines = ['id,J1,J2,J3,J4', ...(ref.sf.data as number[][]).map((row, i) => `${i + 1},${row.join(',')}`)];
      writeFileSync(join(tmp, 'sf.csv'), `${lines.join('\n')}\n`);
      const r = await reliability({ raters: 'J1,J2,J3,J4' }, join(tmp, 'sf.csv'));
      expect(r.stderr).toBe('');
      expect(r.stdout.split('\n').slice(0, ref.sf.print.length)).toEqual(ref.sf.print);
      const both = await reliability({ raters: 'J1,J2', subject: 'id' }, join(tmp, 'sf.csv'));
      expect(both.stderr).toMatch(/not both/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
  it('--json holds the results and the decomposition', async () => {
    const r = await reliability({ subject: 'subject', rater: 'rater', value: 'value', json: true, alpha: '0.05' });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.nObs).toBe(15);
    expect(j.nJudge).toBe(5);
    j.results.forEach((x: { ICC: number; lower: number }, i: number) => {
      expect(rel(x.ICC, ref.missing.results.ICC[i])).toBeLessThan(1e-6);
      expect(rel(x.lower, ref.missing.results.lower[i])).toBeLessThan(1e-6);
    });
    j.lme.forEach((x: { variance: number }, i: number) => expect(rel(x.variance, ref.missing.lme.variance[i])).toBeLessThan(1e-6));
  });
  it('names what is wrong', async () => {
    let r = await reliability({ subject: 'subject', rater: 'rater' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--value is required/);
    r = await reliability({ subject: 'subject', rater: 'rater', value: 'rater' });
    expect(r.stderr).toMatch(/column 'rater' must be numeric ratings/);
    r = await reliability({ subject: 'subject', rater: 'rater', value: 'value', alpha: '2' });
    expect(r.stderr).toMatch(/--alpha must be a number strictly between 0 and 1/);
    r = await reliability({ subject: 'subject', rater: 'nope', value: 'value' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nope/);
  });
});

describe('mixedgpu agreement', () => {
  const items = Array.from({ length: 11 }, (_, i) => `LEAD${String(i + 1).padStart(2, '0')}`);
  it("several items: rwg.j, rwg.lindell, a.wg and AD.M per group, as multilevel's", async () => {
    const r = await agreement({ group: 'COMPID', items: items.join(','), options: '5', json: true });
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    expect(j.ranvar).toBe(2);
    expect(j.groups.map((g: { grpid: string }) => g.grpid)).toEqual(ref.lq.rwg_j.grpid);
    j.groups.forEach((g: Record<string, number>, i: number) => {
      expect(rel(g['rwg.j'], ref.lq.rwg_j['rwg.j'][i])).toBeLessThan(1e-8);
      expect(rel(g['rwg.lindell'], ref.lq.rwg_lindell['rwg.lindell'][i])).toBeLessThan(1e-8);
      expect(rel(g['a.wg'], ref.lq.awg_items['a.wg'][i])).toBeLessThan(1e-8);
      expect(rel(g['AD.M'], ref.lq.adm_items['AD.M'][i])).toBeLessThan(1e-8);
      expect(g.gsize).toBe(ref.lq.rwg_j.gsize[i]);
    });
    const t = await agreement({ group: 'COMPID', items: items.join(',') });
    const lines = t.stdout.trimEnd().split('\n');
    expect(lines[1].trim().split(/\s+/)).toEqual(['grpid', 'gsize', 'rwg.j', 'rwg.lindell', 'a.wg', 'AD.M']);
    expect(lines).toHaveLength(2 + 6);
  });
  it('one item: rwg with the A-option null', async () => {
    const r = await agreement({ group: 'COMPID', items: 'LEAD03', options: '7', json: true });
    const j = JSON.parse(r.stdout);
    j.groups.forEach((g: Record<string, number>, i: number) => expect(rel(g.rwg, ref.lq.rwg_LEAD03_A7.rwg[i])).toBeLessThan(1e-8));
  });
  it('a group of one rater: an error naming it, NA with --singletons na', async () => {
    const lines = ['g,x,y', ...ref.toy.data.g.map((g: string, i: number) => `${g},${ref.toy.data.x[i]},${ref.toy.data.y[i]}`)];
    const tmp = mkdtempSync(join(tmpdir(), 'mixedgpu-agreement-'));
    try {
      writeFileSync(join(tmp, 'toy.csv'), `${lines.join('\n')}\n`);
      let r = await agreement({ group: 'g', items: 'x,y' }, join(tmp, 'toy.csv'));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/group 'b' of column 'g' has 1 rater/);
      r = await agreement({ group: 'g', items: 'x,y', singletons: 'na' }, join(tmp, 'toy.csv'));
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')[3]).toMatch(/^2\s+b\s+1\s+NA\s+NA\s+NA\s+NA$/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
  it('names what is wrong', async () => {
    let r = await agreement({ group: 'COMPID' });
    expect(r.stderr).toMatch(/--items is required/);
    r = await agreement({ group: 'COMPID', items: 'LEAD01', options: '5', ranvar: '2' });
    expect(r.stderr).toMatch(/not both/);
    r = await agreement({ group: 'COMPID', items: 'LEAD01,NOPE' });
    expect(r.stderr).toMatch(/no column 'NOPE'/);
    r = await agreement({ group: 'COMPID', items: 'LEAD01', options: '1.5' });
    expect(r.stderr).toMatch(/--options must be an integer ≥ 2/);
  });
});

describe('the commands through the program (commander)', () => {
  afterEach(() => { vi.restoreAllMocks(); process.exitCode = undefined; });
  async function program(argv: string[]) {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out.push(String(s)); return true; });
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => { out.push(String(s)); return true; });
    await buildProgram().exitOverride().parseAsync(['node', 'mixedgpu', ...argv]);
    vi.restoreAllMocks();
    return { code: process.exitCode ?? 0, text: out.join('') };
  }
  it('reliability and agreement parse their options into the runs', async () => {
    const r = await program(['reliability', join(dir, 'ratings_missing.csv'), '--subject', 'subject', '--rater', 'rater', '--value', 'value', '--alpha', '0.1', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.text).alpha).toBe(0.1);
    const a = await program(['agreement', join(dir, 'lq2002_sub.csv'), '--group', 'COMPID', '--items', 'LEAD01,LEAD02', '--options', '7', '--range', '1,7', '--type', 'median', '--singletons', 'na', '--json']);
    expect(a.code).toBe(0);
    const j = JSON.parse(a.text);
    expect([j.ranvar, j.range, j.type]).toEqual([4, [1, 7], 'median']);
  });
});
