/**
 * `mixedgpu tabmodel FILE FORMULA [FORMULA2 …]` (src/cli/tabmodelCommand.ts) through commander: the
 * JSON's HTML table and the --html page against test/oracle/tab_model.R's sjPlot output (the library
 * is tested case by case in test/tabModel.test.ts), the text on stdout, and the refusals with exit 1.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/program.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const sleepstudy = join(fixtures, 'data', 'sleepstudy.csv');
const factorCovariate = join(fixtures, 'parameters', 'factor_covariate.csv');
const SLEEP = 'Reaction ~ Days + (Days | Subject)';
const oracle = JSON.parse(readFileSync(join(fixtures, 'tabmodel', 'tab_model.json'), 'utf8')) as { cases: { name: string; content: string; complete?: string }[] };
const content = (name: string) => oracle.cases.find((c) => c.name === name)!;
const dir = mkdtempSync(join(tmpdir(), 'tabmodel-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]) {
  const out: string[] = [], err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((t: string | Uint8Array) => { out.push(String(t)); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((t: string | Uint8Array) => { err.push(String(t)); return true; });
  process.exitCode = 0;
  try { await main(['node', 'mixedgpu', 'tabmodel', ...args, '--quiet']); } finally { o.mockRestore(); e.mockRestore(); }
  const code = process.exitCode ?? 0;
  process.exitCode = 0;
  return { code, stdout: out.join(''), stderr: err.join('') };
}
afterEach(() => { process.exitCode = 0; });

describe('mixedgpu tabmodel', () => {
  it('--html writes sjPlot\'s complete page; the text goes to stdout', async () => {
    const file = join(dir, 'sleep.html');
    const { code, stdout } = await run([sleepstudy, SLEEP, '--factors', 'Subject', '--html', file]);
    expect(code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(content('sleep').complete);
    expect(stdout).toMatch(/^Days +10\.47 +7\.42 – 13\.52 +<0\.001$/m);
    expect(stdout).toMatch(/^τ00 Subject +612\.09$/m);
  });
  it('--df-method satterthwaite --show-df --json: the HTML table (sleep_satterthwaite)', async () => {
    const { code, stdout } = await run([sleepstudy, SLEEP, '--factors', 'Subject', '--df-method', 'satterthwaite', '--show-df', '--json']);
    expect(code).toBe(0);
    const j = JSON.parse(stdout) as { tab_model: { html: string; columns: { header: string }[] } };
    expect(j.tab_model.html).toBe(content('sleep_satterthwaite').content);
    expect(j.tab_model.columns.map((c) => c.header)).toEqual(['Estimates', 'CI', 'p', 'df']);
  });
  it('two formulas with the options of two_lmer_options', async () => {
    const { code, stdout } = await run([factorCovariate, 'y ~ f + x + (1 | g)', 'y ~ f + x + h + (1 | g)', '--factors', 'f,h,g',
      '--show-se', '--show-stat', '--show-df', '--show-aic', '--show-loglik', '--show-dev', '--p-style', 'stars', '--json']);
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { tab_model: { html: string } }).tab_model.html).toBe(content('two_lmer_options').content);
  });
  it('labels, strings, collapse-ci and hidden rows (fx1_labels)', async () => {
    const { code, stdout } = await run([factorCovariate, 'y ~ f + x + (1 | g)', '--factors', 'f,h,g', '--dv-labels', 'Outcome',
      '--pred-labels', 'Intercept;f is b;f is c;slope of x', '--title', 'Model 1', '--string-est', 'Coef.', '--string-ci', '95% CI', '--string-p', 'P',
      '--collapse-ci', '--no-show-re-var', '--no-show-ngroups', '--no-show-obs', '--json']);
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { tab_model: { html: string } }).tab_model.html).toBe(content('fx1_labels').content);
  });
  it('refusals: a bad option value, an existing --html file, a glmer with satterthwaite', async () => {
    let r = await run([sleepstudy, SLEEP, '--factors', 'Subject', '--p-style', 'scientific']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--p-style: unknown style 'scientific'/);
    const file = join(dir, 'exists.html');
    writeFileSync(file, 'x');
    r = await run([sleepstudy, SLEEP, '--factors', 'Subject', '--html', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/exists \(not overwritten\)/);
    expect(readFileSync(file, 'utf8')).toBe('x');
    r = await run([join(fixtures, 'data', 'cbpp.csv'), 'cbind(incidence, size - incidence) ~ period + (1 | herd)', '--factors', 'period,herd', '--family', 'binomial', '--df-method', 'satterthwaite']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/satterthwaite/);
    r = await run([sleepstudy, SLEEP, '--factors', 'Subject', '--digits', '2.5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--digits must be a whole number/);
  });
});
