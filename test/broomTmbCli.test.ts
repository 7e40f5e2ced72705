/**
 * `mixedgpu zeroinfl … --tidy / --glance` and `mixedgpu lme … --tidy / --glance`
 * (src/cli/broomCommand.ts with BroomKind 'glmmTMB' and 'lme'): the CSV and JSON of broom.mixed's
 * tables against test/oracle/broom_tmb.R's fixture (the library's tables are tested column by column
 * in test/broomTmb.test.ts; here 1e-4 relative, that file's glmmTMB tolerance), the options through
 * commander, and the refusals.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { CliIO } from '../src/cli/fitCommand.js';
import { runZeroinfl, type ZeroinflArgs } from '../src/cli/zeroinflCommand.js';
import { runLme, type LmeArgs } from '../src/cli/lmeCommand.js';
import { main } from '../src/cli/program.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const salamanders = join(fixtures, 'data', 'salamanders.csv');
const orthodont = join(fixtures, 'data', 'Orthodont.csv');
type Row = Record<string, unknown>;
const oracle = JSON.parse(readFileSync(join(fixtures, 'broom', 'broom_tmb.json'), 'utf8')) as { cases: { name: string; glance: Row[]; tidy: { options: unknown; table: Row[] }[] }[] };
const ref = (name: string) => oracle.cases.find((c) => c.name === name)!;
const dir = mkdtempSync(join(tmpdir(), 'broom-tmb-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(): { io: CliIO; out: string[]; err: string[] } {
  const out: string[] = [], err: string[] = [];
  return { io: { stdout: (t) => out.push(t), stderr: (t) => err.push(t) }, out, err };
}
async function zeroinfl(args: Partial<ZeroinflArgs>) {
  const c = capture();
  const code = await runZeroinfl({ file: salamanders, formula: 'count ~ mined + (1 | site)', family: 'poisson', zi: '~ mined', ...args }, c.io);
  return { code, stdout: c.out.join(''), stderr: c.err.join('') };
}
async function lmeRun(args: Partial<LmeArgs>) {
  const c = capture();
  const code = await runLme({ file: orthodont, formula: 'distance ~ age + Sex', random: '~ 1 | Subject', weights: 'varIdent(form = ~ 1 | Sex)', ml: true, ...args } as LmeArgs, c.io);
  return { code, stdout: c.out.join(''), stderr: c.err.join('') };
}

/** a CSV line's cells (no commas inside the quoted strings of these tables) */
const cells = (line: string) => line.split(',').map((c) => (c === 'NA' ? null : c.startsWith('"') ? c.slice(1, -1) : Number(c)));
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

/** the CSV table's rows against broom.mixed's: every string and NA exactly, every number to 1e-4 relative */
function expectCsv(text: string, theirs: Row[]): void {
  const lines = text.trim().split('\n');
  const cols = Object.keys(theirs[0]);
  expect(lines[0]).toBe(cols.map((c) => `"${c}"`).join(','));
  expect(lines.length - 1).toBe(theirs.length);
  lines.slice(1).forEach((l, i) => {
    const c = cells(l);
    cols.forEach((k, j) => {
      const v = theirs[i][k];
      if (typeof v === 'number') expect(rel(c[j] as number, v), `row ${i + 1} ${k}`).toBeLessThan(1e-4);
      else expect(c[j], `row ${i + 1} ${k}`).toBe(v);
    });
  });
}

describe('zeroinfl --tidy, --glance', () => {
  it('--tidy --glance --conf-int: tidy.glmmTMB\'s CSV, a blank line, glance\'s', async () => {
    const { code, stdout, stderr } = await zeroinfl({ tidy: true, glance: true, confInt: true, quiet: true });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [t, g] = stdout.split('\n\n');
    expectCsv(t, ref('zip_mined').tidy[1].table);
    expectCsv(g, ref('zip_mined').glance);
  });

  it('--tidy fixed,ran_pars --component zi --json', async () => {
    const { code, stdout } = await zeroinfl({ tidy: 'fixed,ran_pars', component: 'zi', json: true, quiet: true });
    expect(code).toBe(0);
    const j = JSON.parse(stdout) as { tidy: Row[] };
    const r = ref('zip_mined').tidy[4].table;
    expect(j.tidy.map((x) => [x.component, x.term])).toEqual(r.map((x) => [x.component, x.term]));
    j.tidy.forEach((x, i) => expect(rel(x.estimate as number, r[i].estimate as number)).toBeLessThan(1e-4));
  });

  it('through commander: --tidy fixed --exponentiate --conf-level 0.9', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((t: string | Uint8Array) => { written.push(String(t)); return true; });
    try {
      await main(['node', 'mixedgpu', 'zeroinfl', salamanders, 'count ~ mined + (1 | site)', '--zi', '~ mined', '--tidy', 'fixed', '--exponentiate', '--conf-level', '0.9', '--quiet']);
    } finally { spy.mockRestore(); }
    expect(process.exitCode ?? 0).toBe(0);
    expectCsv(written.join(''), ref('zip_mined').tidy[2].table);
  });

  it('refusals name the option', async () => {
    expect((await zeroinfl({ tidy: 'ran_coefs' })).stderr).toMatch(/--tidy: unknown effect 'ran_coefs' \(choose from fixed, ran_pars, ran_vals/);
    expect((await zeroinfl({ tidy: true, confInt: 'profile' })).stderr).toMatch(/only Wald intervals for a glmmTMB fit/);
    expect((await zeroinfl({ tidy: true, component: 'disp' })).stderr).toMatch(/--component with --tidy: unknown component 'disp'/);
    expect((await zeroinfl({ exponentiate: true })).stderr).toMatch(/--exponentiate is for --tidy: give --tidy too/);
    expect((await zeroinfl({ tidy: true, dharma: true })).stderr).toMatch(/give one of --dharma, --tidy\/--glance/);
    expect((await zeroinfl({ component: 'zi' })).stderr).toMatch(/--component is an option of the means/);
  });
});

describe('lme --tidy, --glance', () => {
  it('--tidy fixed,ran_pars,var_model,ran_vals,ran_coefs --conf-int --glance: tidy.lme\'s CSV and glance\'s', async () => {
    const { code, stdout, stderr } = await lmeRun({ tidy: 'fixed,ran_pars,var_model,ran_vals,ran_coefs', confInt: true, glance: true, quiet: true });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [t, g] = stdout.split('\n\n');
    // ours against nlme's optimum: as test/broomTmb.test.ts (β 1e-4; the intervals of the SDs 1e-3)
    const theirs = ref('lme_orth_varident').tidy[1].table;
    const lines = t.trim().split('\n');
    expect(lines[0]).toBe(Object.keys(theirs[0]).map((c) => `"${c}"`).join(','));
    expect(lines.length - 1).toBe(theirs.length);
    lines.slice(1).forEach((l, i) => {
      const c = cells(l);
      expect(c.slice(0, 4)).toEqual([theirs[i].effect, theirs[i].group, theirs[i].level, theirs[i].term]);
      expect(rel(c[4] as number, theirs[i].estimate as number)).toBeLessThan(1e-3);
    });
    expectCsv(g, ref('lme_orth_varident').glance);
  });

  it('through commander: lme --tidy --glance --json', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((t: string | Uint8Array) => { written.push(String(t)); return true; });
    try {
      await main(['node', 'mixedgpu', 'lme', orthodont, 'distance ~ age + Sex', '--random', '~ 1 | Subject', '--weights', 'varIdent(form = ~ 1 | Sex)', '--ml', '--tidy', '--glance', '--json', '--quiet']);
    } finally { spy.mockRestore(); }
    expect(process.exitCode ?? 0).toBe(0);
    const j = JSON.parse(written.join('')) as { tidy: Row[]; glance: Row[] };
    expect(j.tidy.map((r) => [r.effect, r.group, r.term])).toEqual(ref('lme_orth_varident').tidy[0].table.map((r) => [r.effect, r.group, r.term]));
    expect(Object.keys(j.glance[0])).toEqual(['nobs', 'sigma', 'logLik', 'AIC', 'BIC', 'deviance']);
  });

  it('--augment OUT.csv: the data\'s columns, .fitted, .resid, .fixed; the summary printed; never overwritten', async () => {
    const out = join(dir, 'orth_aug.csv');
    const r = await lmeRun({ augment: out });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Linear mixed-effects model fit by maximum likelihood/);
    expect(r.stderr).toMatch(/wrote 108 rows with \.fitted, \.resid, \.fixed/);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    const aug = (ref('lme_orth_varident') as unknown as { augment: Record<string, number[]> & { columns: string[] } }).augment;
    expect(lines[0]).toBe(aug.columns.map((c) => `"${c}"`).join(','));
    expect(lines.length - 1).toBe(108);
    const first = cells(lines[1]);
    expect(Math.abs((first[5] as number) - aug['.fitted'][0])).toBeLessThan(1e-4);
    const again = await lmeRun({ augment: out });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists \(not overwritten\)/);
  });

  it('zeroinfl --augment OUT.csv: augment.glmmTMB\'s rows (the data\'s columns, .fitted, .se.fit, .resid), never overwritten', async () => {
    const out = join(dir, 'zi_aug.csv');
    const ref = (JSON.parse(readFileSync(join(fixtures, 'broom', 'broom_tmb_augment.json'), 'utf8')) as { name: string; columns: string[]; '.fitted': number[]; '.se.fit': number[]; '.resid': number[] }[]).find((c) => c.name === 'zip')!;
    const z = await zeroinfl({ formula: 'count ~ mined + cover + (1 | site)', augment: out });
    expect(z.code).toBe(0);
    expect(z.stderr).toMatch(/wrote 644 rows with \.fitted, \.se\.fit, \.resid/);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(ref.columns.map((c) => `"${c}"`).join(','));
    expect(lines.length - 1).toBe(644);
    // (every row and column: test/broomTmbAugment.test.ts; here the first and last rows, 1e-4 relative)
    for (const i of [0, 643]) {
      const c = cells(lines[i + 1]);
      expect(rel(c[5] as number, ref['.fitted'][i])).toBeLessThan(1e-4);
      expect(rel(c[6] as number, ref['.se.fit'][i])).toBeLessThan(1e-4);
      expect(rel(c[7] as number, ref['.resid'][i])).toBeLessThan(1e-4);
    }
    const again = await zeroinfl({ formula: 'count ~ mined + cover + (1 | site)', augment: out });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists \(not overwritten\)/);
  });

  it('refusals name the option', async () => {
    expect((await lmeRun({ tidy: 'ran_foo' })).stderr).toMatch(/--tidy: unknown effect 'ran_foo' \(choose from var_model, ran_pars, fixed, ran_vals, ran_coefs/);
    expect((await lmeRun({ tidy: true, confInt: 'profile' })).stderr).toMatch(/--conf-int takes no method for an lme fit/);
    expect((await lmeRun({ scales: 'vcov' })).stderr).toMatch(/--scales is for --tidy/);
    expect((await lmeRun({ tidy: true, intervals: true })).stderr).toMatch(/--intervals prints nlme's intervals with the summary/);
    const c = capture();
    expect(await runLme({ file: orthodont, formula: 'distance ~ age', tidy: true } as LmeArgs, c.io, 'gls')).toBe(1);
    expect(c.err.join('')).toMatch(/--tidy, --glance and --augment are for lme fits/);
  });
});
