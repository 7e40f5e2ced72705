/**
 * `mixedgpu zeroinfl … --parameters` and `mixedgpu lme|gls … --parameters` (src/cli/zeroinflCommand.ts,
 * lmeCommand.ts, parametersCommand.ts's shared table options and printout): the printout against R's
 * (test/oracle/parameters_tmb.R and parameters_nlme.R; the tables are tested number by number in
 * test/parametersTmb.test.ts), the JSON rows (1e-4 relative, that file's SE tolerance), the options
 * through commander, and the refusals naming the flag.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { CliIO } from '../src/cli/fitCommand.js';
import { runZeroinfl, type ZeroinflArgs } from '../src/cli/zeroinflCommand.js';
import { runLme, type LmeArgs } from '../src/cli/lmeCommand.js';
import { main } from '../src/cli/program.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const salamanders = join(fixtures, 'data', 'salamanders.csv');
const orthodont = join(fixtures, 'data', 'Orthodont.csv');
type Row = Record<string, unknown>;
interface MpCase { name: string; rows: Row[]; printed: string[]; messages: string[] | string }
const tmb = JSON.parse(readFileSync(join(fixtures, 'parameters_tmb', 'parameters_tmb.json'), 'utf8')) as { model_parameters: MpCase[] };
const nlme = JSON.parse(readFileSync(join(fixtures, 'parameters_tmb', 'parameters_nlme.json'), 'utf8')) as { model_parameters: MpCase[] };
const tmbCase = (name: string) => tmb.model_parameters.find((c) => c.name === name)!;
const nlmeCase = (name: string) => nlme.model_parameters.find((c) => c.name === name)!;

function capture(): { io: CliIO; out: string[]; err: string[] } {
  const out: string[] = [], err: string[] = [];
  return { io: { stdout: (t) => out.push(t), stderr: (t) => err.push(t) }, out, err };
}
async function zeroinfl(args: Partial<ZeroinflArgs>) {
  const c = capture();
  const code = await runZeroinfl({ file: salamanders, formula: 'count ~ mined + (1 | site)', family: 'poisson', zi: '~ mined', quiet: true, ...args }, c.io);
  return { code, stdout: c.out.join(''), stderr: c.err.join('') };
}
async function nlmeRun(args: Partial<LmeArgs>, fn: 'lme' | 'gls' = 'lme') {
  const c = capture();
  const base = fn === 'lme' ? { random: '~ 1 | Subject' } : { correlation: 'corCompSymm(form = ~ 1 | Subject)' };
  const code = await runLme({ file: orthodont, formula: 'distance ~ age + Sex', quiet: true, ...base, ...args } as LmeArgs, c.io, fn);
  return { code, stdout: c.out.join(''), stderr: c.err.join('') };
}

/** R's printout and its footer messages, as the command writes them (the table, then the messages' lines) */
function rText(c: MpCase): string {
  const table = c.printed.filter((l, i, a) => !(l === '' && i === a.length - 1));
  const footer = [c.messages].flat().filter((m) => m.trim() !== '').flatMap((m) => m.replace(/\n$/, '').split('\n'));
  return `${[...table, ...footer].join('\n')}\n`;
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('zeroinfl --parameters', () => {
  it("prints parameters's table and footer as R does (zip_default)", async () => {
    const r = await zeroinfl({ parameters: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(rText(tmbCase('zip_default')));
  });

  it('--component zi --exponentiate --json: the rows', async () => {
    const r = await zeroinfl({ parameters: true, component: 'zi', exponentiate: true, json: true });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout).model_parameters as { coefficient_name: string; zi_coefficient_name: string; rows: Row[] };
    expect(out.zi_coefficient_name).toBe('Odds Ratio');
    // R's zip_exp rows of the zero-inflation model
    const theirs = tmbCase('zip_exp').rows.filter((x) => x.Component === 'zero_inflated');
    expect(out.rows.map((x) => x.Parameter)).toEqual(theirs.map((x) => x.Parameter));
    out.rows.forEach((x, i) => {
      for (const k of ['Coefficient', 'SE', 'CI_low', 'CI_high', 'z', 'p']) expect(rel(x[k] as number, theirs[i][k] as number), `${k} ${i}`).toBeLessThan(1e-4);
      expect(x.df_error).toBe('Inf');
      expect(x.Component).toBe('zero_inflated');
    });
  });

  it('through commander: --parameters --effects fixed --ci 0.9', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((t: string | Uint8Array) => { written.push(String(t)); return true; });
    try {
      await main(['node', 'mixedgpu', 'zeroinfl', salamanders, 'count ~ mined + (1 | site)', '--zi', '~ mined', '--parameters', '--effects', 'fixed', '--ci', '0.9', '--quiet']);
    } finally { spy.mockRestore(); }
    expect(process.exitCode ?? 0).toBe(0);
    expect(written.join('')).toBe(rText(tmbCase('zip_ci90')));
  });

  it('refusals name the flag or the method', async () => {
    expect((await zeroinfl({ ciMethod: 'normal' })).stderr).toMatch(/--ci-method is an option of --parameters/);
    expect((await zeroinfl({ parameters: true, ciMethod: 'satterthwaite' })).stderr).toMatch(/ci_method 'satterthwaite' of a glmmTMB fit: it is for linear mixed models/);
    expect((await zeroinfl({ parameters: true, ciMethod: 'wlad' })).stderr).toMatch(/--ci-method: unknown ci_method 'wlad'/);
    expect((await zeroinfl({ parameters: true, component: 'cond' })).stderr).toMatch(/--component: 'cond' is not one of all, conditional, zi/);
    expect((await zeroinfl({ parameters: true, ci: '95' })).stderr).toMatch(/--ci must be a level between 0 and 1/);
    expect((await zeroinfl({ parameters: true, tidy: true })).stderr).toMatch(/give one of --tidy\/--glance\/--augment, --parameters/);
  });
});

describe('lme and gls --parameters', () => {
  it("lme: parameters's table and footer as R prints them (ri_default)", async () => {
    const r = await nlmeRun({ parameters: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(rText(nlmeCase('ri_default')));
  });

  it('lme --ci 0.9 --exponentiate, gls --ci-method normal', async () => {
    expect((await nlmeRun({ parameters: true, ci: '0.9', exponentiate: true })).stdout).toBe(rText(nlmeCase('ri_ci90_exp')));
    expect((await nlmeRun({ parameters: true, ciMethod: 'normal' }, 'gls')).stdout).toBe(rText(nlmeCase('cs_normal')));
  });

  it('refusals name the flag or the method', async () => {
    expect((await nlmeRun({ effects: 'fixed' })).stderr).toMatch(/--effects is an option of --parameters/);
    expect((await nlmeRun({ parameters: true, ciMethod: 'normal' })).stderr).toMatch(/ci_method 'normal' of an lme fit: parameters 0.20.2 labels/);
    expect((await nlmeRun({ parameters: true, ciMethod: 'ml1' }, 'gls')).stderr).toMatch(/Model must be a mixed model/);
    expect((await nlmeRun({ parameters: true, anova: true })).stderr).toMatch(/--parameters prints parameters's table instead of the summary/);
  });
});
