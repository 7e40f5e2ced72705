/**
 * The post-fit commands on a ClickHouse table: `mixedgpu confint|anova|drop1|r2|emmeans|joint-tests
 * … --engine clickhouse --url URL --table TABLE`, the arguments without FILE (as `fit`), give the
 * memory engine's numbers on the same data, and what the ClickHouse source cannot give is refused with
 * the reason.
 *
 * One two-shard cluster for the suite (test/helpers/clickhouse.ts: two clickhouse-server processes on
 * loopback ports in temporary directories, stopped by PID; skipped where there is none) holding
 * sleepstudy with a factor covariate (Days in three bands; test/helpers/cliEngines.ts) as a Distributed
 * table over both shards; the memory engine reads the same rows from a Parquet file. Every command
 * runs through `main` (commander's parsing of the arguments included) with --json.
 *
 * Tolerances (those of the other engine CLI tests, test/gram/cliInference.test.ts, and the library's
 * ClickHouse tests, test/gram/inference.test.ts, emmeans.test.ts, r2.test.ts): the in-memory fit starts
 * from the moment estimates too and ClickHouse sums in another order (per shard, then merged), so θ̂
 * agrees only to the optimizer's tolerance (test/gram/fit.test.ts: |Δθ| ≤ 1e-6) and everything smooth
 * in θ̂ moves by that much times its O(1) sensitivity: every number within 1e-5 relative (lmerTest's p
 * values 1e-5 absolute). Worst seen (logged as `worst` after the suite; the same on repeated runs):
 * 1.7e-7 (joint tests), 1.0e-7 (drop1, Satterthwaite), 5.0e-8 (R² of the random-slopes model), 3.8e-8
 * (emmeans), 3.6e-8 (profile bounds), 6.9e-9 (Wald bounds), 1.4e-11 (the likelihood-ratio test).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableToParquet } from '../helpers/parquetFile.js';
import { jsonDiff, runMain, sleepWithBand } from '../helpers/cliEngines.js';
import { clickhouseTestsMissing, loadSharded, useCluster } from '../helpers/clickhouse.js';

const FORMULA = 'Reaction ~ Days + band + (Days | Subject)';
/** the tolerance of every comparison (see the header: θ̂ to the optimizer's tolerance) */
const TOL = 1e-5;

const worst: Record<string, number> = {};
const note = (key: string, d: number) => { worst[key] = Math.max(worst[key] ?? 0, d); return d; };

describe.skipIf(clickhouseTestsMissing() !== null)('the post-fit commands with --engine clickhouse (two shards) give the memory engine\'s numbers', () => {
  const house = useCluster();
  let dir: string;
  let file: string;
  let dist: string;
  /** --engine clickhouse --url … --table … */
  let ch: string[];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mixedgpu-cli-clickhouse-'));
    const table = sleepWithBand();
    file = join(dir, 'sleep.parquet');
    writeFileSync(file, new Uint8Array(tableToParquet(table, 50)));
    dist = await loadSharded(house.cluster, 'sleepband', table, 60);
    ch = ['--engine', 'clickhouse', '--url', house.cluster.urls[0], '--table', dist];
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    console.log('worst differences (ClickHouse CLI):', JSON.stringify(worst, null, 1));
  });

  /** the command's JSON output, exit code 0 */
  const json = async (args: string[]) => {
    const r = await runMain([...args, '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };
  /** the command on the file (memory) and on the table (its arguments without FILE) */
  const both = async (command: string, args: string[], options: string[] = []) => [
    await json([command, file, ...args, ...options]),
    await json([command, ...args, ...options, ...ch]),
  ];

  it('confint FORMULA --method profile and wald; --method boot is refused naming the table', async () => {
    for (const method of ['profile', 'wald']) {
      const [mem, eng] = await both('confint', [FORMULA], ['--method', method]);
      expect(eng.method).toBe(method);
      expect(note(`confint ${method}`, jsonDiff(mem, eng))).toBeLessThan(TOL);
    }
    const boot = await runMain(['confint', FORMULA, '--method', 'boot', '--nsim', '10', ...ch]);
    expect(boot.code).toBe(1);
    expect(boot.stderr).toMatch(new RegExp(`error: the parametric bootstrap: not available for this fit, whose rows are in clickhouse \\(${dist}\\); it needs the rows themselves.*--engine memory`));
  }, 300_000);

  it('anova FORMULA0 FORMULA1: the likelihood-ratio test of ML refits from A; the text names the table', async () => {
    const [mem, eng] = await both('anova', ['Reaction ~ Days + (Days | Subject)', FORMULA]);
    expect(note('anova', jsonDiff(mem, eng))).toBeLessThan(TOL);
    // --url and --table without --engine read the table too (as fit); lme4's "Data:" line names it
    const text = await runMain(['anova', 'Reaction ~ Days + (Days | Subject)', FORMULA, '--quiet', '--url', house.cluster.urls[0], '--table', dist]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^Data: ${dist}$`, 'm'));
    expect(text.stdout).toMatch(/^m1 +8 /m);
  }, 300_000);

  it("drop1 FORMULA: lmerTest's F tests (Satterthwaite and Kenward-Roger)", async () => {
    for (const ddf of ['satterthwaite', 'kenward-roger']) {
      const [mem, eng] = await both('drop1', [FORMULA], ['--ddf', ddf]);
      expect(eng.ddf).toBe(ddf);
      expect((eng.rows as { term: string }[]).map((r) => r.term)).toEqual(['Days', 'band']);
      expect(note(`drop1 ${ddf}`, jsonDiff(mem, eng))).toBeLessThan(TOL);
    }
  }, 300_000);

  it("r2 FORMULA --by-group: Nakagawa's R² and the ICC from A", async () => {
    const [mem, eng] = await both('r2', ['Reaction ~ Days + band + (1 | Subject)'], ['--by-group']);
    expect(note('r2', jsonDiff(mem, eng))).toBeLessThan(TOL);
    // performance's message on a random-slopes model, as in memory
    const [mem2, eng2] = await both('r2', [FORMULA]);
    expect(eng2.messages).toEqual(mem2.messages);
    expect(note('r2 slopes', jsonDiff(mem2, eng2))).toBeLessThan(TOL);
  }, 300_000);

  it('emmeans FORMULA SPECS: means with proportional weights and pairwise contrasts, and --trend', async () => {
    const [mem, eng] = await both('emmeans', [FORMULA, 'band'], ['--emm-weights', 'proportional', '--contrast', 'pairwise']);
    expect(note('emmeans', jsonDiff(mem, eng))).toBeLessThan(TOL);
    const [memT, engT] = await both('emmeans', ['Reaction ~ Days * band + (Days | Subject)', 'band'], ['--trend', 'Days', '--ddf', 'satterthwaite']);
    expect(note('emtrends', jsonDiff(memT, engT))).toBeLessThan(TOL);
  }, 300_000);

  it('joint-tests FORMULA (and --by)', async () => {
    const [mem, eng] = await both('joint-tests', [FORMULA]);
    expect((eng.joint_tests as { rows: { model_term: string }[] }).rows.map((r) => r.model_term)).toEqual(['Days', 'band']);
    expect(note('joint-tests', jsonDiff(mem, eng))).toBeLessThan(TOL);
    const [memB, engB] = await both('joint-tests', ['Reaction ~ Days * band + (Days | Subject)'], ['--by', 'band']);
    expect(note('joint-tests by', jsonDiff(memB, engB))).toBeLessThan(TOL);
  }, 300_000);

  it('refusals: a FILE with the table, missing or extra arguments, a GLMM\'s bad response, another engine\'s options, no --url, a refused login', async () => {
    const fails = async (args: string[], message: RegExp) => {
      const r = await runMain(args);
      expect(r.code, r.stdout).toBe(1);
      expect(r.stderr).toMatch(message);
    };
    // a FILE before the formula: the table is read, never a file (as fit)
    await fails(['confint', file, FORMULA, ...ch], /error: --engine clickhouse reads --table, not a file \('.*sleep\.parquet'\)/);
    await fails(['anova', file, 'Reaction ~ Days + (Days | Subject)', FORMULA, ...ch], /error: --engine clickhouse reads --table, not a file/);
    await fails(['emmeans', file, FORMULA, 'band', ...ch], /error: --engine clickhouse reads --table, not a file/);
    // fit splits its arguments the same way (./program.ts dataArguments)
    await fails(['fit', file, FORMULA, ...ch], /error: --engine clickhouse reads --table, not a file/);
    await fails(['fit', FORMULA], /error: missing arguments \(1\): give FILE FORMULA/);
    // the arguments counted: emmeans needs its specs; r2 takes one formula
    await fails(['emmeans', FORMULA, ...ch], /error: missing arguments \(1\): give FORMULA SPECS \(quote the formula\) with the table in --table/);
    await fails(['r2', FORMULA, 'band', 'x', ...ch], /error: too many arguments \(3\): give FORMULA/);
    // anova of one formula is lme4's anova(fit), from the engine's fit (no rows)
    const one = await runMain(['anova', FORMULA, '--quiet', ...ch]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout.split('\n')[0]).toBe('Analysis of Variance Table');
    await fails(['joint-tests', FORMULA], /error: missing arguments \(1\): give FILE FORMULA .*with --engine clickhouse, no FILE: --url URL --table TABLE/);
    // a GLMM is fitted on ClickHouse (test/gram/glmerClickhouse.test.ts): a response that is not a count is named
    await fails(['drop1', 'Reaction ~ Days + (1 | Subject)', '--family', 'poisson', ...ch], /error: clickhouse: the response 'Reaction' is not a whole number in \d+ rows: the poisson family needs integer counts/);
    await fails(['r2', FORMULA, '--batch-size', '10', ...ch], /error: --batch-size is for --engine stream/);
    await fails(['confint', FORMULA, '--engine', 'clickhouse', '--table', dist], /error: --engine clickhouse needs --url/);
    await fails(['confint', file, FORMULA, '--table', dist, '--engine', 'duckdb'], /error: --table is for --engine clickhouse/);
    // the user from CLICKHOUSE_USER: one the server does not know is its error, named
    const user = process.env.CLICKHOUSE_USER;
    process.env.CLICKHOUSE_USER = 'mixedgpu_nobody';
    try {
      await fails(['joint-tests', FORMULA, ...ch], /error: clickhouse: .*mixedgpu_nobody/);
    } finally {
      if (user === undefined) delete process.env.CLICKHOUSE_USER; else process.env.CLICKHOUSE_USER = user;
    }
  }, 300_000);
});
