/** The CLI's modcomp: pbkrtest's printouts (print and summary), JSON, the restriction matrix argument, refusals. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRestriction, runModcomp } from '../../src/cli/modcompCommand.js';
import { buildProgram } from '../../src/cli/program.js';

const data = (f: string) => join(import.meta.dirname, '..', 'fixtures', 'data', f);
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'modcomp', 'pbkrtest.json'), 'utf8')) as {
  cases: { name: string; kr: { stat: number; ddf: number; printed: string[]; summary: string[] }; sat: { stat: number; printed: string[] } }[];
  pb: { name: string; LRT: { stat: number } }[];
};
const ss = fixture.cases.find((c) => c.name === 'sleepstudy slope')!;
const restr = fixture.cases.find((c) => c.name === '2x3 restriction matrix')!;
const LARGE = 'Reaction ~ Days + (Days | Subject)', SMALL = 'Reaction ~ 1 + (Days | Subject)';

async function capture(run: (io: { stdout: (s: string) => void; stderr: (s: string) => void }) => Promise<number>) {
  const out: string[] = [], err: string[] = [];
  const code = await run({ stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('mixedgpu modcomp', () => {
  it("kr (default) prints pbkrtest's print(KRmodcomp); --summary its summary", async () => {
    const r = await capture((io) => runModcomp({ file: data('sleepstudy.csv'), large: LARGE, small: SMALL, factors: 'Subject', quiet: true }, io));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${ss.kr.printed.join('\n')}\n`);
    const s = await capture((io) => runModcomp({ file: data('sleepstudy.csv'), large: LARGE, small: SMALL, factors: 'Subject', summary: true, quiet: true }, io));
    const lines = s.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^F-test with Kenward-Roger approximation; time: \d+\.\d\d sec$/);
    expect(lines.slice(1)).toEqual(ss.kr.summary);
  });

  it('a restriction matrix as SMALL; sat prints print(SATmodcomp)', async () => {
    const r = await capture((io) => runModcomp({ file: data('modcomp_2x3.csv'), large: 'y ~ A * B + (1 | g) + (1 | g:A)', small: '0 0 1 0 0 0; 0 0 0 1 0 0', method: 'sat', quiet: true }, io));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${restr.sat.printed.join('\n')}\n`);
  });

  it('--json: pbkrtest\'s numbers (kr, sat, pb)', async () => {
    const kr = JSON.parse((await capture((io) => runModcomp({ file: data('sleepstudy.csv'), large: LARGE, small: SMALL, factors: 'Subject', json: true, quiet: true }, io))).stdout);
    expect(kr.method).toBe('KRmodcomp');
    // at our optimum: within 1e-6 relative of pbkrtest's (modcomp.test.ts)
    expect(Math.abs(kr.Ftest.stat - ss.kr.stat) / ss.kr.stat).toBeLessThan(1e-6);
    expect(Math.abs(kr.Ftest.ddf - ss.kr.ddf) / ss.kr.ddf).toBeLessThan(1e-6);
    expect(kr.FtestU.stat).toBe(kr.Ftest.stat / kr.Ftest.F_scaling);
    const sat = JSON.parse((await capture((io) => runModcomp({ file: data('sleepstudy.csv'), large: LARGE, small: SMALL, factors: 'Subject', method: 'sat', json: true, quiet: true }, io))).stdout);
    expect(Math.abs(sat.test.statistic - ss.sat.stat) / ss.sat.stat).toBeLessThan(1e-6);
    const pb = JSON.parse((await capture((io) => runModcomp({ file: data('sleepstudy.csv'), large: LARGE, small: SMALL, factors: 'Subject', method: 'pb', nsim: '20', seed: '3', json: true, quiet: true }, io))).stdout);
    expect(pb.test.map((t: { name: string }) => t.name)).toEqual(['LRT', 'PBtest', 'Gamma', 'Bartlett', 'F']);
    expect(Math.abs(pb.test[0].stat - fixture.pb[0].LRT.stat)).toBeLessThan(1e-6);
    expect(pb.ref).toHaveLength(20);
    expect(pb.samples.nsim).toBe(20);
  }, 60_000);

  it('pb prints print(PBmodcomp) and with --summary its summary', async () => {
    const r = await capture((io) => runModcomp({ file: data('sleepstudy.csv'), large: LARGE, small: SMALL, factors: 'Subject', method: 'pb', nsim: '20', summary: true }, io));
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^Bootstrap test; time: \d+\.\d\d sec; samples: 20; extremes: \d+;$/);
    expect(lines.filter((l) => /^(LRT|PBtest|Gamma|Bartlett|F) /.test(l))).toHaveLength(5);
    expect(r.stderr).toMatch(/refitting model\(s\) with ML/);
  }, 60_000);

  it('refusals: method, nsim and seed, pb with a restriction matrix, a glmer family, a bad matrix', async () => {
    const run = (extra: Record<string, unknown>) => capture((io) => runModcomp({ file: data('sleepstudy.csv'), large: LARGE, small: SMALL, factors: 'Subject', quiet: true, ...extra }, io));
    expect((await run({ method: 'lrt' })).stderr).toMatch(/unknown --method 'lrt' \(choose kr, sat or pb\)/);
    expect((await run({ nsim: '10' })).stderr).toMatch(/--nsim and --seed are for --method pb/);
    expect((await run({ method: 'pb', nsim: '1' })).stderr).toMatch(/--nsim must be a whole number ≥ 2, got '1'/);
    expect((await run({ method: 'pb', small: '0 1' })).stderr).toMatch(/--method pb needs the small model's formula/);
    expect((await run({ family: 'poisson' })).stderr).toMatch(/for lmer fits: --family/);
    expect((await run({ small: '0 x' })).stderr).toMatch(/entry \[1, 2\] is 'x', not a number/);
    expect((await run({ small: 'Reaction ~ 1 + (1 | Subject)' })).code).toBe(1);
    expect(parseRestriction('0, 1; 1 0')).toEqual([[0, 1], [1, 0]]);
    expect(parseRestriction(SMALL)).toBeNull();
  });

  it('is a command of the program', () => {
    const cmd = buildProgram().commands.find((c) => c.name() === 'modcomp')!;
    expect(cmd.options.map((o) => o.long)).toEqual(expect.arrayContaining(['--method', '--nsim', '--seed', '--summary', '--json']));
  });
});
