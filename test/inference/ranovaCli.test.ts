/** The CLI's ranova and drop1: text as lmerTest prints it, JSON rows, the --no-reduce-terms flag, refusals. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDrop1, runRanova } from '../../src/cli/inferenceCommands.js';
import { buildProgram } from '../../src/cli/program.js';
import { loadInference } from '../helpers/inference.js';

const data = (f: string) => join(import.meta.dirname, '..', 'fixtures', 'data', f);

async function capture(run: (io: { stdout: (s: string) => void; stderr: (s: string) => void }) => Promise<number>) {
  const out: string[] = [], err: string[] = [];
  const code = await run({ stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

interface Ref { name: string; reml: boolean; ranova: { name: string; logLik: number }[]; printed: { ranova: string[]; ranovaFull: string[]; drop1KR: string[] } }
const ref = loadInference<Ref[]>('ranova-drop1').find((c) => c.name === 'sleepstudy slope' && c.reml)!;
const F = 'Reaction ~ Days + (Days | Subject)';

describe('mixedgpu ranova and drop1', () => {
  it('ranova prints lmerTest\'s table; --no-reduce-terms removes the term whole', async () => {
    const r = await capture((io) => runRanova({ file: data('sleepstudy.csv'), formula: F, factors: 'Subject', quiet: true }, io));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${ref.printed.ranova.join('\n')}\n`);
    const full = await capture((io) => runRanova({ file: data('sleepstudy.csv'), formula: F, factors: 'Subject', reduceTerms: false, quiet: true }, io));
    expect(full.stdout).toBe(`${ref.printed.ranovaFull.join('\n')}\n`);
    const opt = buildProgram().commands.find((c) => c.name() === 'ranova')!.options.find((o) => o.long === '--no-reduce-terms')!;
    expect([opt.attributeName(), opt.negate]).toEqual(['reduceTerms', true]);
  });

  it('ranova --json: the rows with their numbers', async () => {
    const r = await capture((io) => runRanova({ file: data('sleepstudy.csv'), formula: F, factors: 'Subject', json: true, quiet: true }, io));
    const j = JSON.parse(r.stdout);
    expect(j.model).toBe('Reaction ~ Days + (Days | Subject)');
    expect(j.rows.map((x: { name: string }) => x.name)).toEqual(['<none>', 'Days in (Days | Subject)']);
    expect(Math.abs(j.rows[1].logLik - ref.ranova[1].logLik)).toBeLessThan(1e-6);
    expect(j.rows[0].LRT).toBeNull();
  });

  it("drop1 --ddf kenward-roger prints lmerTest's table", async () => {
    const r = await capture((io) => runDrop1({ file: data('sleepstudy.csv'), formula: F, factors: 'Subject', ddf: 'kenward-roger', quiet: true }, io));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${ref.printed.drop1KR.join('\n')}\n`);
  });

  it('drop1 --scope: the named marginal terms only', async () => {
    const r = await capture((io) => runDrop1({ file: data('anova_types.csv'), formula: 'y ~ A * B + x * z + (1 | g)', scope: 'x:z', json: true, quiet: true }, io));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).rows.map((x: { term: string }) => x.term)).toEqual(['x:z']);
    const bad = await capture((io) => runDrop1({ file: data('anova_types.csv'), formula: 'y ~ A * B + x * z + (1 | g)', scope: 'A', quiet: true }, io));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/only marginal terms can be dropped/);
  });

  it('refuses a glmer fit and an unknown ddf, naming the problem', async () => {
    const g = await capture((io) => runRanova({ file: data('cbpp.csv'), formula: 'cbind(incidence, size - incidence) ~ period + (1 | herd)', family: 'binomial', quiet: true }, io));
    expect(g.code).toBe(1);
    expect(g.stderr).toMatch(/only for linear mixed models \(lmer fits\)/);
    const d = await capture((io) => runDrop1({ file: data('sleepstudy.csv'), formula: F, ddf: 'lme4', quiet: true }, io));
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/unknown ddf method 'lme4'/);
  });
});
