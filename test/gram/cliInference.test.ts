/**
 * The CLI's inference on engine fits (from the A the engine formed): `mixedgpu fit … --engine
 * stream|duckdb --ddf …`, `mixedgpu confint … --engine … --method profile` and `mixedgpu anova …
 * --engine …`, `mixedgpu emmeans … --engine …` (means, contrasts, --trend) and `mixedgpu joint-tests …
 * --engine …` give the in-memory commands' numbers; `--method boot` is refused with the engine named.
 *
 * sleepstudy with a factor covariate (Days in three bands) and its Parquet file. The in-memory CLI fit
 * starts from the moment estimates too and the engines do not, so θ̂ agrees to the optimizer's
 * tolerance only (test/gram/fit.test.ts: |Δθ| ≤ 1e-6), and the tables are smooth in θ̂: every number
 * within 1e-5 relative (p values 1e-5 absolute); the exact agreement from the same A and start is
 * test/gram/inference.test.ts's. Worst seen (logged as `worst`; DuckDB's threaded sums vary a little
 * between runs): tables 1.0e-7 (DuckDB, Satterthwaite), profile bounds 8.1e-8, the likelihood-ratio
 * table 1.4e-11.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FitArgs, runFit } from '../../src/cli/fitCommand.js';
import { type ConfintArgs, type EmmeansArgs, runAnova, runConfint, runEmmeans } from '../../src/cli/inferenceCommands.js';
import { type JointTestsArgs, runJointTests } from '../../src/cli/jointTestsCommand.js';
import { readCsv } from '../../src/io/csv.js';
import { dataPath } from '../helpers/reference.js';
import { tableToParquet } from '../helpers/parquetFile.js';
import { capture, jsonDiff, runMain, sleepWithBand } from '../helpers/cliEngines.js';

const FORMULA = 'Reaction ~ Days + band + (Days | Subject)';

const worst: Record<string, number> = {};
const note = (key: string, d: number) => { worst[key] = Math.max(worst[key] ?? 0, d); return d; };

describe('mixedgpu inference with --engine', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mixedgpu-cli-engineinf-'));
    file = join(dir, 'sleep.parquet');
    writeFileSync(file, new Uint8Array(tableToParquet(sleepWithBand(), 50)));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    console.log('worst differences:', JSON.stringify(worst, null, 1));
  });

  const fitJson = async (args: FitArgs) => {
    const r = await capture((io) => runFit({ ...args, json: true, quiet: true }, io));
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };

  for (const ddf of ['satterthwaite', 'kenward-roger'] as const) {
    it(`fit --ddf ${ddf} --type II: stream and duckdb as in memory`, async () => {
      const mem = await fitJson({ file, formula: FORMULA, engine: 'memory', ddf, type: 'II' });
      for (const engine of ['stream', 'duckdb']) {
        const eng = await fitJson({ file, formula: FORMULA, engine, ddf, type: 'II' });
        expect(eng.ddf).toBe(ddf);
        expect(eng.anovaType).toBe('II');
        expect(note(`fit ${ddf} ${engine} coefficients`, jsonDiff(mem.coefficients, eng.coefficients))).toBeLessThan(1e-5);
        expect(note(`fit ${ddf} ${engine} anova`, jsonDiff(mem.anova, eng.anova))).toBeLessThan(1e-5);
      }
      // the text output with lmerTest's table and the anova heading
      const text = await capture((io) => runFit({ file, formula: FORMULA, engine: 'stream', ddf }, io));
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/Type III Analysis of Variance Table with (Satterthwaite's|Kenward-Roger's) method/);
      expect(text.stdout).toMatch(/Pr\(>\|t\|\)/);
    }, 300_000);
  }

  it('confint --method profile through stream and duckdb; --method boot is refused naming the engine', async () => {
    const confJson = async (args: ConfintArgs) => {
      const r = await capture((io) => runConfint({ ...args, json: true, quiet: true }, io));
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { intervals: Record<string, [number | null, number | null]> };
    };
    const mem = await confJson({ file, formula: FORMULA, engine: 'memory', method: 'profile' });
    for (const engine of ['stream', 'duckdb']) {
      const eng = await confJson({ file, formula: FORMULA, engine, method: 'profile' });
      expect(note(`confint profile ${engine}`, jsonDiff(mem.intervals, eng.intervals))).toBeLessThan(1e-5);
      const boot = await capture((io) => runConfint({ file, formula: FORMULA, engine, method: 'boot', nsim: 10 }, io));
      expect(boot.code).toBe(1);
      expect(boot.stderr).toMatch(new RegExp(`error: the parametric bootstrap: not available for this fit, whose rows are in ${engine === 'stream' ? 'a stream' : 'duckdb'} \\(.*sleep\\.parquet\\); it needs the rows themselves.*--engine memory`));
    }
  }, 300_000);

  it('anova FORMULA0 FORMULA1 --engine stream: the likelihood-ratio test by ML refits from A', async () => {
    const lrt = async (engine: string) => {
      const r = await capture((io) => runAnova({ file, formulas: ['Reaction ~ Days + (Days | Subject)', FORMULA], engine, json: true, quiet: true }, io));
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { models: unknown; tests: unknown };
    };
    const mem = await lrt('memory');
    for (const engine of ['stream', 'duckdb']) expect(note(`anova lrt ${engine}`, jsonDiff(mem, await lrt(engine)))).toBeLessThan(1e-5);
  }, 300_000);

  it('emmeans (proportional weights, pairwise contrasts, --trend) and joint-tests through stream and duckdb as in memory', async () => {
    const emm = async (args: EmmeansArgs) => {
      const r = await capture((io) => runEmmeans({ ...args, json: true, quiet: true }, io));
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    const joint = async (args: JointTestsArgs) => {
      const r = await capture((io) => runJointTests({ ...args, json: true, quiet: true }, io));
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    const means: Omit<EmmeansArgs, 'engine'> = { file, formula: FORMULA, specs: 'band', emmWeights: 'proportional', contrast: 'pairwise' };
    const trend: Omit<EmmeansArgs, 'engine'> = { file, formula: 'Reaction ~ Days * band + (Days | Subject)', specs: 'band', trend: 'Days', ddf: 'satterthwaite' };
    const [m1, m2, m3] = [await emm({ ...means, engine: 'memory' }), await emm({ ...trend, engine: 'memory' }), await joint({ file, formula: FORMULA, engine: 'memory' })];
    for (const engine of ['stream', 'duckdb']) {
      expect(note(`emmeans ${engine}`, jsonDiff(m1, await emm({ ...means, engine })))).toBeLessThan(1e-5);
      expect(note(`emtrends ${engine}`, jsonDiff(m2, await emm({ ...trend, engine })))).toBeLessThan(1e-5);
      expect(note(`joint-tests ${engine}`, jsonDiff(m3, await joint({ file, formula: FORMULA, engine })))).toBeLessThan(1e-5);
    }
  }, 300_000);
});

describe('the command line takes --engine for confint, anova, emmeans and joint-tests', () => {
  it('mixedgpu confint FILE FORMULA --engine stream --method profile --json; anova, emmeans and joint-tests … --engine duckdb', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mixedgpu-cli-engineinf-main-'));
    const json = async (args: string[]) => {
      const r = await runMain(args);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as unknown;
    };
    try {
      const file = join(dir, 'sleep.parquet');
      const t = readCsv(readFileSync(dataPath('sleepstudy.csv'), 'utf8'), { factors: ['Subject'] }).table;
      writeFileSync(file, new Uint8Array(tableToParquet(t, 60)));
      const ci = await json(['confint', file, 'Reaction ~ Days + (1 | Subject)', '--factors', 'Subject', '--engine', 'stream', '--batch-size', '40', '--json', '--quiet']) as { method: string; intervals: Record<string, [number, number]> };
      expect(ci.method).toBe('profile');
      expect(Object.keys(ci.intervals)).toEqual(['sd_(Intercept)|Subject', 'sigma', '(Intercept)', 'Days']);
      const lrt = await json(['anova', file, 'Reaction ~ 1 + (1 | Subject)', 'Reaction ~ Days + (1 | Subject)', '--factors', 'Subject', '--engine', 'duckdb', '--json', '--quiet']) as { tests: ({ chisq: number } | null)[] };
      expect(lrt.tests[1]!.chisq).toBeGreaterThan(0);
      const e = await json(['emmeans', file, 'Reaction ~ Days + (1 | Subject)', '~ 1', '--factors', 'Subject', '--engine', 'duckdb', '--json', '--quiet']) as { emmeans: { rows: { emmean: number }[] } };
      // at Days' mean (4.5) the mean is β₀ + 4.5 β₁ (lme4: 251.405 + 4.5 · 10.467)
      expect(e.emmeans.rows[0].emmean).toBeCloseTo(251.405 + 4.5 * 10.467, 2);
      const j = await json(['joint-tests', file, 'Reaction ~ Days + (1 | Subject)', '--factors', 'Subject', '--engine', 'stream', '--json', '--quiet']) as { joint_tests: { rows: { model_term: string; df1: number }[] } };
      expect(j.joint_tests.rows.map((r) => [r.model_term, r.df1])).toEqual([['Days', 1]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
