/** The CLI's step: lmerTest's printout and the final model's line, JSON, the options, a refusal. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStep } from '../../src/cli/inferenceCommands.js';
import { buildProgram } from '../../src/cli/program.js';
import { loadInference } from '../helpers/inference.js';

const data = (f: string) => join(import.meta.dirname, '..', 'fixtures', 'data', f);

async function capture(run: (io: { stdout: (s: string) => void; stderr: (s: string) => void }) => Promise<number>) {
  const out: string[] = [], err: string[] = [];
  const code = await run({ stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

interface Ref {
  name: string; formula: string; reml: boolean; ddf: string; keep: string[]; printed: string[];
  random: { name: string; eliminated: number | null }[]; fixed: { term: string; eliminated: number }[];
  final: { formula: string; criterion: number; logLik: number };
}
const cases = loadInference<{ cases: Ref[] }>('step').cases;
const design = cases.find((c) => c.name === 'design' && c.reml)!;
const sleep = cases.find((c) => c.name === 'sleepstudy' && c.reml)!;

describe('mixedgpu step', () => {
  it("prints lmerTest's tables and \"Model found:\", then the final model's criterion", async () => {
    // our own numbers printed to lmerTest's 5 significant digits: the same text as lmerTest's
    for (const ref of [sleep, design]) {
      const r = await capture((io) => runStep({ file: data(ref.name === 'sleepstudy' ? 'sleepstudy.csv' : 'step_design.csv'), formula: ref.formula, factors: ref.name === 'sleepstudy' ? 'Subject' : undefined, quiet: true }, io));
      expect(r.code).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines.slice(0, ref.printed.length)).toEqual(ref.printed);
      expect(lines.at(-1)).toMatch(new RegExp(`^Final model \\(REML\\): logLik ${ref.final.logLik.toFixed(4)} \\(df \\d+\\), REML criterion at convergence ${ref.final.criterion.toFixed(4)}, AIC `));
    }
  });

  it('--json: both tables, the final formula and the final model', async () => {
    const r = await capture((io) => runStep({ file: data('step_design.csv'), formula: design.formula, json: true, quiet: true }, io));
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ddf).toBe('satterthwaite');
    expect(j.random.map((x: { name: string; eliminated: number | null }) => [x.name, x.eliminated])).toEqual(design.random.map((x) => [x.name, x.eliminated]));
    expect(j.fixed.map((x: { term: string; eliminated: number }) => [x.term, x.eliminated])).toEqual(design.fixed.map((x) => [x.term, x.eliminated]));
    expect(j.formula).toBe(design.final.formula);
    expect(j.model.formula).toBe(design.final.formula);
    expect(Math.abs(j.model.loglik - design.final.logLik)).toBeLessThan(1e-6);
  });

  it('--ddf, --keep, --ml, --alpha-* and --no-reduce-* reach step', async () => {
    const kr = cases.find((c) => c.ddf === 'kenward-roger' && c.keep.length > 0)!;
    const r = await capture((io) => runStep({ file: data('step_design.csv'), formula: kr.formula, ddf: 'kenward-roger', keep: kr.keep.join(','), json: true, quiet: true }, io));
    expect(JSON.parse(r.stdout).fixed.map((x: { term: string; eliminated: number }) => [x.term, x.eliminated])).toEqual(kr.fixed.map((x) => [x.term, x.eliminated]));
    const ml = cases.find((c) => c.name === 'design, fixed part kept')!;
    const m = await capture((io) => runStep({ file: data('step_design.csv'), formula: ml.formula, ml: true, reduceFixed: false, json: true, quiet: true }, io));
    expect(JSON.parse(m.stdout).formula).toBe(ml.final.formula);
    const a = await capture((io) => runStep({ file: data('step_design.csv'), formula: design.formula, alphaRandom: '1', alphaFixed: '1', json: true, quiet: true }, io));
    const ja = JSON.parse(a.stdout);
    expect(ja.random.every((x: { eliminated: number | null }) => !x.eliminated)).toBe(true);
    expect(ja.formula).toBe(design.formula);
    const cmd = buildProgram().commands.find((c) => c.name() === 'step')!;
    for (const [flag, attr] of [['--no-reduce-fixed', 'reduceFixed'], ['--no-reduce-random', 'reduceRandom']]) {
      const o = cmd.options.find((x) => x.long === flag)!;
      expect([o.attributeName(), o.negate]).toEqual([attr, true]);
    }
    expect(cmd.options.map((o) => o.long)).toEqual(expect.arrayContaining(['--ddf', '--alpha-random', '--alpha-fixed', '--keep', '--ml', '--json']));
  });

  it('refusals and bad values exit 1 with the reason', async () => {
    const lm = await capture((io) => runStep({ file: data('step_design.csv'), formula: 'y ~ A + (1 | item)', quiet: true }, io));
    expect(lm.code).toBe(1);
    expect(lm.stderr).toMatch(/^mixedgpu: error: .*removes the last one.*lm/);
    const bad = await capture((io) => runStep({ file: data('step_design.csv'), formula: design.formula, alphaFixed: 'high', quiet: true }, io));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--alpha-fixed must be a number/);
  });
});
