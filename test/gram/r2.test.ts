/**
 * Nakagawa's R² and the ICC (performance's r2_nakagawa and icc; src/inference/r2Nakagawa.ts) of lmer
 * fits whose rows are in an engine, from the Gram matrix A the engine formed (no rows:
 * src/inference/designMoments.ts gramMoments), against the same model fitted in memory, whose values
 * test/r2.test.ts matches to performance 0.10.2 (so no R fixture here: the in-memory fit is the
 * reference). Cases: sleepstudy (Days | Subject); Penicillin crossed; Pastes nested (1 | batch/cask);
 * a random slope whose variable is not in the fixed part (insight's message); X without an intercept
 * (X's column sums then read from A_Xk of the (1 | Subject) block).
 *
 * Two levels, as elsewhere:
 *  (1) at the same estimates (the in-memory fit's θ̂, β̂, σ̂): the components from the engine's A and
 *      from the rows differ only by the order of the sums (A's centred cross-products mapped back,
 *      fixedDesign.ts uncentredCrossProducts, against sums over the rows): 1e-11 relative (worst seen
 *      printed below; it is ~1e-14 for the stream, whose A is the in-memory A bit for bit, and for
 *      DuckDB, whose A agrees to rounding).
 *  (2) the engine fit's own fit.r2() / fit.icc(): the stream's fit is the in-memory fit (same A, same
 *      starts: its objective is checked equal), so only (1)'s arithmetic separates them: 1e-11. DuckDB
 *      sums in another order, and θ̂ is determined by the float64 criterion only to about √ε (the tight
 *      optimizer setting of test/gram/inference.test.ts on both sides; |Δθ̂| relative printed below):
 *      the ratios follow θ̂ and β̂ with O(1) sensitivity, 1e-5 relative as that file's tables (worst
 *      seen printed below).
 * A two-shard ClickHouse (started and stopped by PID as in the other engine tests; skipped where there
 * is none) on the feature-table cases, with DuckDB's tolerances.
 * Refused, with the reason: a weighted engine fit (A holds XᵀWX, insight's sums are unweighted), X
 * without an intercept and no random-effects term with one (X's column sums are not in A), and a
 * source that did not keep A.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { lmerSql } from '../../src/gram/sql/lmer.js';
import { lmerStream } from '../../src/gram/stream/lmer.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { lmer } from '../../src/fit/lmer.js';
import { readCsv } from '../../src/io/csv.js';
import '../../src/inference/methods.js';
import { iccOf, r2Nakagawa, randomSlopesInFixed } from '../../src/inference/r2Nakagawa.js';
import { SLOPES_NOT_FIXED_MESSAGE, merVarianceInput, varianceComponents, type VarianceComponents } from '../../src/inference/varianceComponents.js';
import { gramMoments, rowMoments } from '../../src/inference/designMoments.js';
import { runR2 } from '../../src/cli/inferenceCommands.js';
import { main } from '../../src/cli/program.js';
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import { featureColumns, featureCsv, featureParquet } from '../helpers/featureData.js';
import { readParquet } from '../../src/io/parquet.js';
import { clickhouseSource } from '../../src/gram/sql/clickhouse.js';
import { clickhouseTestsMissing, loadSharded, useCluster } from '../helpers/clickhouse.js';

const data = (f: string) => join(import.meta.dirname, '..', 'fixtures', 'data', f);
/** the seeded feature table (test/helpers/featureData.ts: x ≈ 100, missing values, 3 000 rows) as CSV */
const featureDir = mkdtempSync(join(tmpdir(), 'mixedgpu-engr2-'));
const FEATURES = join(featureDir, 'features.csv');
writeFileSync(FEATURES, featureCsv(featureColumns()));
/** the case's file and its in-memory table (h: numbers but for 'x', a factor as in the engines) */
const fileOf = (c: Case) => (c.file === 'features' ? FEATURES : data(c.file));
const tableOf = (c: Case) => readCsv(readFileSync(fileOf(c)), c.file === 'features' ? { factors: ['h'] } : {}).table;

interface Case { name: string; file: string; formula: string; factors: string[]; slopesNotFixed?: boolean }
const CASES: Case[] = [
  { name: 'sleepstudy (Days | Subject)', file: 'sleepstudy.csv', formula: 'Reaction ~ Days + (Days | Subject)', factors: ['Subject'] },
  { name: 'Penicillin crossed', file: 'penicillin.csv', formula: 'diameter ~ 1 + (1 | plate) + (1 | sample)', factors: [] },
  { name: 'Pastes nested', file: 'pastes.csv', formula: 'strength ~ 1 + (1 | batch/cask)', factors: [] },
  { name: 'a random slope not in the fixed part', file: 'sleepstudy.csv', formula: 'Reaction ~ 1 + (Days | Subject)', factors: ['Subject'], slopesNotFixed: true },
  { name: 'X without an intercept', file: 'sleepstudy.csv', formula: 'Reaction ~ 0 + Days + (1 | Subject)', factors: ['Subject'] },
  // sleepstudy's Days and the data sets above are small integers, on which A and the rows give the
  // same sums exactly; the feature table's non-integer columns with large means (x ≈ 100, the
  // engines centre X and the random slope) are not
  { name: 'features: crossed, a centred random slope, a factor, log()', file: 'features', formula: 'y ~ x + f + log(z) + (x | g) + (1 | g2)', factors: ['g2'] },
  { name: 'features: nested', file: 'features', formula: 'y ~ x + (1 | f/g)', factors: [] },
  // cell-means coding of a centred response: X without an intercept, its var(Xβ̂) from A's uncentred
  // XᵀX cancelling by a small factor only (the refusal below has the uncentred y)
  { name: 'features: X without an intercept', file: 'features', formula: 'y - 6052 ~ 0 + f + x:z + (1 | g)', factors: [] },
];

/** the worst relative differences seen, by level */
const worst: Record<string, { v: number; at: string }> = {};
function close(ours: number | null, mem: number | null, tol: number, what: string, level: string) {
  if (mem === null) {
    expect(ours, what).toBeNull();
    return;
  }
  expect(typeof ours, what).toBe('number');
  // relative; a value of 0 (var.fixed and the marginal R² of an intercept-only fixed part) absolutely
  const v = mem === 0 ? Math.abs(ours!) : Math.abs(ours! - mem) / Math.abs(mem);
  if (!(v <= (worst[level]?.v ?? -1))) worst[level] = { v, at: what };
  expect(v, `${what}: ${ours} vs in memory ${mem}`).toBeLessThanOrEqual(tol);
}

function compareComponents(a: Pick<VarianceComponents, 'fixed' | 'random' | 'residual'>, b: typeof a, tol: number, at: string, level: string) {
  close(a.fixed, b.fixed, tol, `${at} var.fixed`, level);
  close(a.random, b.random, tol, `${at} var.random`, level);
  close(a.residual, b.residual, tol, `${at} var.residual`, level);
}

/** (1): the components from the engine fit's A at the in-memory fit's estimates, against the rows' */
function atSameEstimates(mem: LmmFit, eng: LmmFit, tol: number, at: string, level: string) {
  const frame = mem.model.frame;
  const common = {
    beta: mem.beta, terms: frame.reTerms, theta: mem.theta, thetaLower: mem.model.theta.lower, sigma: mem.sigma,
    distribution: { family: 'gaussian', sigma: mem.sigma } as const, randomSlopesInFixed: randomSlopesInFixed(mem.model.formula),
  };
  const fromRows = varianceComponents(merVarianceInput({ ...common, moments: rowMoments(frame.X, frame.n, frame.p, frame.xnames, mem.model.fixed.intercept) }));
  const efr = eng.model.frame;
  expect(efr.xnames).toEqual(frame.xnames);
  const fromA = varianceComponents(merVarianceInput({ ...common, moments: gramMoments(eng.model.source!.gram!, eng.model.fixed, efr.xnames, efr.reTerms) }));
  compareComponents(fromA, fromRows, tol, at, level);
  expect(fromA.intercept).toEqual(Object.fromEntries(Object.keys(fromRows.intercept).map((k) => [k, fromA.intercept[k]])));
  for (const k of Object.keys(fromRows.intercept)) close(fromA.intercept[k], fromRows.intercept[k], tol, `${at} var.intercept ${k}`, level);
  expect(fromA.messages).toEqual(fromRows.messages);
}

/** (2): the engine fit's R², ICC and ICC by group against the in-memory fit's */
async function sameR2(mem: LmmFit, eng: LmmFit, tol: number, at: string, level: string, c: Case) {
  const [rm, re] = [await r2Nakagawa(mem), await r2Nakagawa(eng)];
  close(re.conditional, rm.conditional, tol, `${at} conditional R2`, level);
  close(re.marginal, rm.marginal, tol, `${at} marginal R2`, level);
  compareComponents(re.components, rm.components, tol, at, level);
  expect(re.messages).toEqual(rm.messages);
  expect(re.messages.includes(SLOPES_NOT_FIXED_MESSAGE)).toBe(c.slopesNotFixed === true);
  const [im, ie] = [await iccOf(mem, { byGroup: true }), await iccOf(eng, { byGroup: true })];
  close(ie.icc!.adjusted, im.icc!.adjusted, tol, `${at} adjusted ICC`, level);
  close(ie.icc!.unadjusted, im.icc!.unadjusted, tol, `${at} unadjusted ICC`, level);
  expect(ie.byGroup!.map((r) => r.group)).toEqual(im.byGroup!.map((r) => r.group));
  ie.byGroup!.forEach((r, i) => close(r.ICC, im.byGroup![i].ICC, tol, `${at} ICC of ${r.group}`, level));
  expect(ie.messages).toEqual(im.messages);
}

const streamFit = async (file: string, formula: string, options: Record<string, unknown>) => {
  const src = await openBatchSource(file);
  try {
    return (await lmerStream(src, formula, { batchSize: 50, ...options })).fit;
  } finally {
    await src.close();
  }
};

describe("Nakagawa's R² and the ICC of engine fits equal the in-memory fit's", () => {
  let duck: DuckDbEngine;
  beforeAll(async () => { duck = await DuckDbEngine.open({ threads: 2 }); });
  afterAll(async () => {
    await duck?.close();
    rmSync(featureDir, { recursive: true, force: true });
    console.log('worst relative differences:', JSON.stringify(worst, null, 1));
  });

  for (const c of CASES) {
    it(`${c.name}: a CSV stream (A bit for bit the in-memory A)`, async () => {
      const mem = await lmer(c.formula, tableOf(c), { factors: c.factors, momentStart: false });
      const eng = await streamFit(fileOf(c), c.formula, { factors: c.factors, momentStart: false });
      expect(eng.objective).toBe(mem.objective);
      atSameEstimates(mem, eng, 1e-11, `stream ${c.name}`, 'same estimates');
      await sameR2(mem, eng, 1e-11, `stream ${c.name}`, 'stream fit', c);
    }, 120_000);

    it(`${c.name}: DuckDB (A to rounding)`, async () => {
      const tight = { factors: c.factors, momentStart: false, optimizer: { rhoend: 1e-10 } };
      const mem = await lmer(c.formula, tableOf(c), tight);
      const eng = (await lmerSql(duck, { from: duckdbSource(fileOf(c)), name: c.file }, c.formula, tight)).fit;
      atSameEstimates(mem, eng, 1e-11, `duckdb ${c.name}`, 'same estimates');
      const dTheta = Math.max(...mem.theta.map((t, i) => Math.abs(t - eng.theta[i]) / Math.max(Math.abs(t), 1e-3)));
      if (!(dTheta <= (worst['duckdb θ̂']?.v ?? -1))) worst['duckdb θ̂'] = { v: dTheta, at: c.name };
      await sameR2(mem, eng, 1e-5, `duckdb ${c.name}`, 'duckdb fit', c);
    }, 120_000);
  }

  it('refuses a weighted engine fit (A holds XᵀWX; insight sums the rows unweighted)', async () => {
    const eng = await streamFit(data('sleepstudy_weighted.csv'), 'Reaction ~ Days + (Days | Subject)', { factors: ['Subject'], weights: 'w' });
    await expect(eng.r2()).rejects.toThrow(/not available for this weighted fit, whose rows are in a stream \(.*sleepstudy_weighted\.csv\).*holds XᵀWX, not XᵀX/);
    await expect(eng.icc()).rejects.toThrow(/weighted fit/);
  }, 60_000);

  it('refuses X without an intercept where no random-effects term has one (X\'s column sums are not in A)', async () => {
    const eng = await streamFit(data('sleepstudy.csv'), 'Reaction ~ 0 + Days + (0 + Days | Subject)', { factors: ['Subject'] });
    await expect(eng.r2()).rejects.toThrow(/X has no intercept and no random-effects term has one, so X's column sums .* are not in the Gram matrix/);
  }, 60_000);

  it('refuses X without an intercept whose var(Xβ) from A\'s uncentred XᵀX cancels by more than 1e4', async () => {
    // `0 + f` in place of the intercept with y ≈ 6 000: η's mean is ~6 000, its spread ~1.6, so
    // βᵀXᵀXβ and (Σ η)²/n agree to ~7 digits (the in-memory fit centres X's columns from the rows)
    const f = 'y ~ 0 + f + x:z + (1 | g)';
    const eng = await streamFit(FEATURES, f, {});
    await expect(eng.r2()).rejects.toThrow(/X has no intercept, so the Gram matrix the engine formed holds X's uncentred cross-products, and var\(Xβ\) from them cancels by a factor [0-9.e+]+ .*more than the 1e\+4 allowed/);
    const mem = await lmer(f, readCsv(readFileSync(FEATURES), { factors: ['h'] }).table, {});
    expect((await mem.r2()).marginal).toBeGreaterThan(0);
  }, 60_000);

  it('refuses a source that did not keep A (it needs the rows then)', async () => {
    const eng = await streamFit(data('sleepstudy.csv'), 'Reaction ~ Days + (Days | Subject)', { factors: ['Subject'] });
    eng.model.source!.gram = undefined;
    await expect(eng.r2()).rejects.toThrow(/Nakagawa's R2 and the ICC: not available for this fit, whose rows are in a stream/);
  }, 60_000);
});

describe.skipIf(clickhouseTestsMissing() !== null)("a two-shard ClickHouse fit's R² and ICC equal the in-memory fit's", () => {
  const house = useCluster();
  it('the feature-table cases (tolerances as DuckDB: its sums in another order)', async () => {
    const table = (await readParquet(featureParquet(featureColumns()))).table;
    const dist = await loadSharded(house.cluster, 'engr2', table, 1000);
    for (const c of CASES.filter((x) => x.file === 'features')) {
      const tight = { factors: c.factors, momentStart: false, optimizer: { rhoend: 1e-10 } };
      const mem = await lmer(c.formula, table, tight);
      const eng = (await lmerSql(house.engine, { from: clickhouseSource(dist), name: dist }, c.formula, tight)).fit;
      atSameEstimates(mem, eng, 1e-11, `clickhouse ${c.name}`, 'same estimates');
      await sameR2(mem, eng, 1e-5, `clickhouse ${c.name}`, 'clickhouse fit', c);
    }
    console.log('worst relative differences (ClickHouse):', JSON.stringify(worst, null, 1));
  }, 180_000);
});

describe('mixedgpu r2 --engine', () => {
  const run = async (engine: string) => {
    const out: string[] = [], err: string[] = [];
    const code = await runR2({ file: data('sleepstudy.csv'), formula: 'Reaction ~ 1 + (Days | Subject)', factors: 'Subject', byGroup: true, engine, json: true, quiet: true }, { stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
    return { code, json: JSON.parse(out.join('') || 'null'), stderr: err.join('') };
  };

  it('stream and duckdb give the memory engine\'s JSON (R², ICC, by group, components, messages)', async () => {
    const memory = await run('memory');
    expect(memory.code, memory.stderr).toBe(0);
    expect(memory.json.messages).toContain(SLOPES_NOT_FIXED_MESSAGE);
    for (const engine of ['stream', 'duckdb']) {
      const r = await run(engine);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json.messages).toEqual(memory.json.messages);
      // the CLI's fits use the default optimizer settings: DuckDB's θ̂ then differs from memory's by
      // up to the optimizer's tolerance (θ within 1e-6: README, Beyond memory), and the ratios with
      // it: 1e-5 as above (worst seen 5.7e-8); the stream's fit is memory's (worst seen 0)
      const tol = engine === 'stream' ? 1e-11 : 1e-5;
      const pairs: [number, number, string][] = [
        [r.json.r2.conditional, memory.json.r2.conditional, 'conditional'], [r.json.r2.marginal, memory.json.r2.marginal, 'marginal'],
        [r.json.icc.adjusted, memory.json.icc.adjusted, 'adjusted'], [r.json.icc.unadjusted, memory.json.icc.unadjusted, 'unadjusted'],
        [r.json.icc_by_group[0].ICC, memory.json.icc_by_group[0].ICC, 'by group'],
        [r.json.components.random, memory.json.components.random, 'var.random'], [r.json.components.residual, memory.json.components.residual, 'var.residual'],
      ];
      for (const [a, b, what] of pairs) close(a, b, tol, `cli ${engine} ${what}`, `cli ${engine}`);
      expect(r.json.components.fixed).toBe(0);
    }
    console.log('worst relative differences (CLI):', JSON.stringify({ stream: worst['cli stream'], duckdb: worst['cli duckdb'] }));
  }, 120_000);

  it('is an option of the program\'s r2 (with --batch-size): the stream\'s fit is the memory fit', async () => {
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((x: string | Uint8Array) => { out.push(String(x)); return true; });
    const code = process.exitCode;
    try {
      await main(['node', 'mixedgpu', 'r2', data('sleepstudy.csv'), 'Reaction ~ Days + (Days | Subject)', '--factors', 'Subject', '--engine', 'stream', '--batch-size', '40', '--json', '--quiet']);
      expect(process.exitCode ?? 0).toBe(0);
    } finally {
      write.mockRestore();
      process.exitCode = code;
    }
    const j = JSON.parse(out.join('')) as { r2: { conditional: number; marginal: number } };
    const mem = await r2Nakagawa(await lmer('Reaction ~ Days + (Days | Subject)', readCsv(readFileSync(data('sleepstudy.csv'))).table, { factors: ['Subject'], momentStart: false }));
    // the CLI's stream fit repeats the in-memory arithmetic (same A; lme4's start, momentStart false): 1e-11 as above
    close(j.r2.conditional, mem.conditional, 1e-11, 'program stream conditional', 'cli program');
    close(j.r2.marginal, mem.marginal, 1e-11, 'program stream marginal', 'cli program');
  }, 60_000);
});
