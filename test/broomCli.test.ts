/**
 * `mixedgpu fit … --tidy / --glance / --augment` (src/cli/broomCommand.ts): the CSV and JSON of
 * broom.mixed's tables, checked against test/oracle/broom.R's fixture where they carry numbers (the
 * library's tables are tested column by column in test/broom.test.ts), the option parsing through
 * commander, and the refusals.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type CliIO, type FitArgs, runFit } from '../src/cli/fitCommand.js';
import { main } from '../src/cli/program.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const sleepstudy = join(fixtures, 'data', 'sleepstudy.csv');
const cbpp = join(fixtures, 'data', 'cbpp.csv');
const FORMULA = 'Reaction ~ Days + (Days | Subject)';
const CBPP = 'cbind(incidence, size - incidence) ~ period + (1 | herd)';
const oracle = JSON.parse(readFileSync(join(fixtures, 'broom', 'broom.json'), 'utf8')) as { cases: { name: string; glance: Record<string, number>[]; tidy: { options: unknown; table: Record<string, unknown>[] }[]; augment?: Record<string, number[]> }[] };
const ref = (name: string) => oracle.cases.find((c) => c.name === name)!;
const dir = mkdtempSync(join(tmpdir(), 'broom-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: Partial<FitArgs>) {
  const out: string[] = [], err: string[] = [];
  const io: CliIO = { stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
  const code = await runFit({ file: sleepstudy, formula: FORMULA, factors: 'Subject', ...args }, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** a CSV line's cells (no commas inside the quoted strings of these tables) */
const cells = (line: string) => line.split(',').map((c) => (c === 'NA' ? null : c.startsWith('"') ? c.slice(1, -1) : Number(c)));
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1);

describe('fit --tidy, --glance', () => {
  it('--tidy --glance: tidy\'s CSV, a blank line, glance\'s CSV (REML: REMLcrit), R\'s numbers', async () => {
    const { code, stdout, stderr } = await run({ tidy: true, glance: true });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [tidyText, glanceText] = stdout.split('\n\n');
    const lines = tidyText.trim().split('\n');
    expect(lines[0]).toBe('"effect","group","term","estimate","std.error","statistic"');
    const r = ref('sleepstudy_reml').tidy[0].table;
    lines.slice(1).forEach((l, i) => {
      const c = cells(l);
      expect(c.slice(0, 3)).toEqual([r[i].effect, r[i].group, r[i].term]);
      expect(rel(c[3] as number, r[i].estimate as number)).toBeLessThan(1e-6);
    });
    const g = glanceText.trim().split('\n');
    expect(g[0]).toBe('"nobs","sigma","logLik","AIC","BIC","REMLcrit","df.residual"');
    const gr = ref('sleepstudy_reml').glance[0];
    cells(g[1]).forEach((v, j) => expect(rel(v as number, Object.values(gr)[j])).toBeLessThan(1e-6));
  });

  it('--tidy fixed --ddf kenward-roger --conf-int --json: lmerTest\'s df and t intervals as JSON', async () => {
    const { code, stdout } = await run({ tidy: 'fixed', ddf: 'kenward-roger', confInt: true, json: true });
    expect(code).toBe(0);
    const j = JSON.parse(stdout) as { tidy: Record<string, unknown>[]; messages: string[] };
    const r = ref('sleepstudy_lmertest').tidy[2].table.filter((x) => x.effect === 'fixed');
    expect(j.tidy.map((x) => Object.keys(x))[0]).toEqual(['effect', 'group', 'term', 'estimate', 'std.error', 'statistic', 'df', 'p.value', 'conf.low', 'conf.high']);
    j.tidy.forEach((row, i) => {
      for (const k of ['estimate', 'std.error', 'statistic', 'df', 'p.value', 'conf.low', 'conf.high']) expect(rel(row[k] as number, r[i][k] as number), k).toBeLessThan(1e-6);
    });
  });

  it('glmer: --tidy ran_vals,fixed --exponentiate --conf-level 0.9 through commander', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((t: string | Uint8Array) => { written.push(String(t)); return true; });
    try {
      await main(['node', 'mixedgpu', 'fit', cbpp, CBPP, '--family', 'binomial', '--factors', 'herd,period', '--tidy', 'ran_vals,fixed', '--exponentiate', '--conf-level', '0.9', '--quiet']);
    } finally { spy.mockRestore(); }
    expect(process.exitCode ?? 0).toBe(0);
    const lines = written.join('').trim().split('\n');
    expect(lines[0]).toBe('"effect","group","level","term","estimate","std.error","statistic","p.value","conf.low","conf.high"');
    // fixed first (broom.mixed's order), then the 15 herds
    expect(lines.length).toBe(1 + 4 + 15);
    const intercept = cells(lines[1]);
    const est = ref('cbpp_binomial').tidy[0].table[0];
    expect(intercept.slice(0, 4)).toEqual(['fixed', null, null, '(Intercept)']);
    expect(rel(intercept[4] as number, Math.exp(est.estimate as number))).toBeLessThan(1e-6);
    // exp(β̂ ± z₀.₉₅ SE)
    const z = 1.6448536269514722;
    expect(rel(intercept[8] as number, Math.exp((est.estimate as number) - z * (est['std.error'] as number)))).toBeLessThan(1e-5);
    expect(cells(lines[5]).slice(0, 4)).toEqual(['ran_vals', 'herd', '1', '(Intercept)']);
  });
});

describe('fit --augment', () => {
  it('writes the data\'s columns and augment\'s to a new file, prints the summary, and never overwrites', async () => {
    const out = join(dir, 'aug.csv');
    const { code, stdout, stderr } = await run({ augment: out });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Linear mixed model fit by REML/);
    expect(stderr).toMatch(/wrote 180 rows with \.fitted, \.resid, \.hat, \.cooksd/);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('"Reaction","Days","Subject",".fitted",".resid",".hat",".cooksd",".fixed",".mu",".offset",".sqrtXwt",".sqrtrwt",".weights",".wtres"');
    expect(lines.length).toBe(181);
    const a = ref('sleepstudy_reml').augment!;
    const first = cells(lines[1]);
    expect(rel(first[5] as number, a['.hat'][0])).toBeLessThan(1e-6);
    expect(rel(first[6] as number, a['.cooksd'][0])).toBeLessThan(1e-6);
    const again = await run({ augment: out });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/--augment: .*aug\.csv exists \(not overwritten\)/);
  });
});

describe('fit --engine stream', () => {
  it('--tidy --glance from the engine\'s A (no rows) equal broom.mixed\'s; --augment needs the rows', async () => {
    const { code, stdout } = await run({ engine: 'stream', tidy: true, glance: true, json: true, quiet: true });
    expect(code).toBe(0);
    const j = JSON.parse(stdout) as { tidy: Record<string, unknown>[]; glance: Record<string, number>[] };
    const r = ref('sleepstudy_reml');
    expect(j.tidy.map((x) => x.term)).toEqual(r.tidy[0].table.map((x) => x.term));
    j.tidy.forEach((row, i) => expect(rel(row.estimate as number, r.tidy[0].table[i].estimate as number)).toBeLessThan(1e-6));
    for (const [k, v] of Object.entries(r.glance[0])) expect(rel(j.glance[0][k], v), k).toBeLessThan(1e-6);
    const aug = await run({ engine: 'stream', augment: join(dir, 'never.csv') });
    expect(aug.code).toBe(1);
    expect(aug.stderr).toMatch(/augment: the rows of this fit are in stream/);
  });
});

describe('fit --tidy: refusals', () => {
  it('names the option', async () => {
    const bad: [Partial<FitArgs>, RegExp][] = [
      [{ tidy: 'fixed,ran_modes' }, /--tidy: unknown effect 'ran_modes'/],
      [{ tidy: true, confInt: 'bayes' }, /--conf-int: unknown method 'bayes'/],
      [{ tidy: true, confLevel: '95' }, /--conf-level must be a number between 0 and 1/],
      [{ tidy: true, scales: 'sd' }, /--scales must be sdcor or vcov/],
      [{ tidy: true, ranPrefix: 'sd' }, /--ran-prefix takes two prefixes/],
      [{ tidy: true, nsim: '10' }, /--nsim and --seed are for the bootstrap's intervals/],
      [{ confInt: true }, /--conf-int is for --tidy: give --tidy too/],
      [{ tidy: true, json: true, ranef: 'all' }, /--ranef chooses how --json writes/],
      [{ tidy: 'ran_vals', confInt: 'profile' }, /only Wald intervals are available for conditional modes/],
      [{ augment: ' ' }, /--augment needs a file name/],
    ];
    for (const [args, msg] of bad) {
      const { code, stderr } = await run(args);
      expect(code, JSON.stringify(args)).toBe(1);
      expect(stderr, JSON.stringify(args)).toMatch(msg);
    }
  });

  it('a glmer fit refuses --ddf with --tidy (z tests)', async () => {
    const out: string[] = [], err: string[] = [];
    const code = await runFit({ file: cbpp, formula: CBPP, family: 'binomial', factors: 'herd,period', tidy: true, ddf: 'satterthwaite' }, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
    expect(code).toBe(1);
    expect(err.join('')).toMatch(/--ddf is for linear mixed models/);
  });
});
