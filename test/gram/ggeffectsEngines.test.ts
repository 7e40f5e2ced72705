/**
 * ggeffects's adjusted predictions (ggpredict, ggemmeans) of engine fits (a Parquet and a CSV stream,
 * DuckDB, a two-shard ClickHouse) equal the in-memory fit's of the same rows. The engine fit keeps
 * scans over the rows it used (src/gram/usedRows.ts); ggpredictAsync / ggemmeansAsync ask them for what
 * the terms' default values and the typical values read (src/inference/ggRows.ts). The in-memory
 * ggeffects is itself checked against R (test/ggeffects*.test.ts): here the oracle is the in-memory fit.
 *
 * Tolerances: the focal terms' values are equal exactly (pretty values, rounded values_at choices,
 * exact order statistics); every other number relative to max(|x|, 1): the lmer stream forms A bit for
 * bit as in memory, so only the last-ulp covariate means differ: 1e-10; DuckDB and ClickHouse sum in
 * another order, θ̂ to ~1e-7: 1e-5, as test/gram/emmeans.test.ts; glmer fits differ by the optimizer's
 * path (test/helpers/engineGlmm.ts: estimates 1e-5, standard errors 1e-4): 1e-4.
 *
 * Data: seeded synthetic rows (1 200): x in 0…10 000 with two decimals (many distinct values: pretty_range;
 * its order statistics and sd far apart at values_at's two decimals, so that a rank or an n − 1 off shows),
 * z > 0 with three, k whole in 0…5 (few: all of them), factor trt (3 levels), prior weights
 * w, a binary yb, and (1 | g) over 40 levels; 13 rows miss y and 14 miss k (na.omit drops them).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as arrow from 'apache-arrow';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { lmerSql } from '../../src/gram/sql/lmer.js';
import { glmerSql } from '../../src/gram/sql/glmer.js';
import { lmerStream } from '../../src/gram/stream/lmer.js';
import { glmerStream } from '../../src/gram/stream/glmer.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { clickhouseSource } from '../../src/gram/sql/clickhouse.js';
import { lmer } from '../../src/fit/lmer.js';
import { glmer } from '../../src/fit/glmer.js';
import { readCsv } from '../../src/io/csv.js';
import { type GgEffects, type GgOptions, ggemmeans, ggpredict } from '../../src/inference/ggpredict.js';
import { ggemmeansAsync, ggpredictAsync } from '../../src/inference/ggRows.js';
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import type { GlmmFit } from '../../src/glmm/glmmFit.js';
import { tableToParquet } from '../helpers/parquetFile.js';
import { jsonDiff } from '../helpers/gramCompare.js';
import { clickhouseTestsMissing, loadSharded, useCluster } from '../helpers/clickhouse.js';
import { capture } from '../helpers/cliEngines.js';
import { runGgeffects } from '../../src/cli/ggeffectsCommand.js';

const LMER = 'y ~ x + z + k + trt + (1 | g)';
const GLMER = 'yb ~ x + k + trt + (1 | g)';

function dataCsv(n = 1200, seed = 11): string {
  let s = seed >>> 0;
  const u = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s + 0.5) / 4294967296; };
  const nz = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const bg = Array.from({ length: 40 }, () => 0.7 * nz());
  const eff: Record<string, number> = { a: 0, b: 0.5, c: -0.4 };
  const lines = ['y,yb,x,z,k,w,trt,g'];
  for (let i = 0; i < n; i++) {
    const g = i % 40, trt = 'abc'[Math.floor(u() * 3)];
    const x = Math.round(u() * 1e6) / 100, z = Math.round((0.5 + 4 * u()) * 1000) / 1000, k = Math.floor(u() * 6);
    const w = Math.round((0.5 + u()) * 100) / 100;
    const eta = 0.3 * (x / 1000 - 5) + 0.2 * k + eff[trt] + bg[g];
    const y = 1 + eff[trt] + 0.0003 * x + 0.8 * Math.log(z) - 0.2 * k + bg[g] + nz();
    const yb = u() < 1 / (1 + Math.exp(-eta)) ? 1 : 0;
    // some rows miss y (not used by the lmer fits) or k (by none): the scans read the rows used only
    lines.push(`${i % 97 === 5 ? '' : y},${yb},${x},${z},${i % 89 === 3 ? '' : k},${w},${trt},g${g}`);
  }
  return lines.join('\n') + '\n';
}

/** the calls compared: [method, terms, options] */
type Call = ['ggpredict' | 'ggemmeans', string | string[], GgOptions?];
const LMER_CALLS: Call[] = [
  // default values: pretty_range (x), all values (k), a group's mean ± sd (x second), a factor's levels
  ['ggpredict', 'x'], ['ggpredict', 'k'], ['ggpredict', ['x', 'trt']], ['ggpredict', ['trt', 'x']], ['ggpredict', ['x', 'k']], ['ggpredict', ['trt', 'k', 'x']],
  // brackets
  ['ggpredict', 'x [meansd]'], ['ggpredict', 'x [quart]'], ['ggpredict', 'x [quart2]'], ['ggpredict', 'x [fivenum]'], ['ggpredict', 'x [terciles]'], ['ggpredict', 'x [terciles2]'],
  ['ggpredict', 'x [minmax]'], ['ggpredict', 'k [zeromax]'], ['ggpredict', 'k [all]'], ['ggpredict', 'x [n = 5]'], ['ggpredict', 'x [pretty]'], ['ggpredict', 'x [1000, 5500.5]'], ['ggpredict', 'k [quart]'],
  // typical values, type, condition
  ['ggpredict', 'trt', { typical: 'median' }], ['ggpredict', 'x', { type: 'random' }], ['ggpredict', 'x', { condition: { k: 2 } }], ['ggpredict', 'g [g1, g7]', { type: 'random' }],
  ['ggemmeans', 'x'], ['ggemmeans', ['x', 'trt']], ['ggemmeans', 'k [quart2]'], ['ggemmeans', 'trt', { typical: 'median' }], ['ggemmeans', ['trt', 'x [fivenum]'], { type: 'random' }],
];
const GLMER_CALLS: Call[] = [
  ['ggpredict', 'x'], ['ggpredict', ['x', 'trt']], ['ggpredict', ['trt', 'x']], ['ggpredict', 'k'], ['ggpredict', 'x [quart]'], ['ggpredict', 'x [meansd]'],
  ['ggpredict', 'trt', { typical: 'median' }], ['ggemmeans', 'x'], ['ggemmeans', ['k', 'trt']],
];
const WEIGHTED_CALLS: Call[] = [['ggpredict', 'trt'], ['ggpredict', 'x'], ['ggemmeans', 'trt']];

const worst: Record<string, number> = {};
const note = (key: string, d: number) => { worst[key] = Math.max(worst[key] ?? 0, d); return d; };

const sync = (fit: LmmFit | GlmmFit, [m, t, o]: Call): GgEffects => (m === 'ggpredict' ? ggpredict : ggemmeans)(fit, t, o ?? {});
const async_ = (fit: LmmFit | GlmmFit, [m, t, o]: Call): Promise<GgEffects> => (m === 'ggpredict' ? ggpredictAsync : ggemmeansAsync)(fit, t, o ?? {});

/** each call's table on the engine fit equals the in-memory fit's: the grid's values exactly, the numbers to `tol` */
async function compareCalls(label: string, calls: Call[], mem: LmmFit | GlmmFit, eng: LmmFit | GlmmFit, tol: number): Promise<void> {
  for (const call of calls) {
    const a = sync(mem, call), b = await async_(eng, call);
    const what = `${label} ${call[0]}(${JSON.stringify(call[1])}${call[2] ? `, ${JSON.stringify(call[2])}` : ''})`;
    // the focal values: equal exactly
    expect(b.rows.map((r) => [r.x, r.group, r.facet]), what).toEqual(a.rows.map((r) => [r.x, r.group, r.facet]));
    expect(b.constantValues.map((c) => [c.name, typeof c.value]), what).toEqual(a.constantValues.map((c) => [c.name, typeof c.value]));
    expect(b.title).toBe(a.title);
    expect(note(label, jsonDiff(a.toJSON(), b.toJSON(), what))).toBeLessThan(tol);
  }
}

describe('ggeffects on engine fits equals the in-memory fit', () => {
  let dir: string;
  let duck: DuckDbEngine;
  let table: arrow.Table;
  const tight = { momentStart: false, optimizer: { rhoend: 1e-10 } };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mixedgpu-enggg-'));
    const csv = dataCsv();
    table = readCsv(csv).table;
    writeFileSync(join(dir, 'd.csv'), csv);
    writeFileSync(join(dir, 'd.parquet'), new Uint8Array(tableToParquet(table, 500)));
    duck = await DuckDbEngine.open({ threads: 2 });
  });
  afterAll(async () => {
    await duck?.close();
    rmSync(dir, { recursive: true, force: true });
    console.log('worst differences (ggeffects on engine fits):', JSON.stringify(worst, null, 1));
  });

  const streamLmer = async (file: string, formula: string, batchSize: number, extra: object = {}) => {
    const src = await openBatchSource(join(dir, file));
    // the source stays open while the fit's scans may run (closed by the caller)
    return { fit: (await lmerStream(src, formula, { ...tight, batchSize, ...extra })).fit, close: () => src.close() };
  };

  it('lmer: a Parquet and a CSV stream, default and bracket terms, to 1e-10; the scans recorded on the source', async () => {
    const mem = await lmer(LMER, table, tight);
    for (const [file, batch] of [['d.parquet', 500], ['d.csv', 300]] as const) {
      const { fit, close } = await streamLmer(file, LMER, batch);
      try {
        expect(fit.objective).toBe(mem.objective);
        // the sync call has no rows to read: it names the async one
        expect(() => ggpredict(fit, 'x')).toThrow(/ggeffects: the default representative values of 'x' need its values over the rows used, which are in stream \(.*\): use ggpredictAsync or ggemmeansAsync/);
        // bracketed values need no scan: the sync call works
        expect(note('stream', jsonDiff(ggpredict(mem, 'x [1, 2]').toJSON(), ggpredict(fit, 'x [1, 2]').toJSON()))).toBeLessThan(1e-10);
        const before = fit.model.source!.queries.length;
        await compareCalls(`stream ${file}`, LMER_CALLS, mem, fit, 1e-10);
        const stages = fit.model.source!.queries.slice(before).map((q) => q.stage);
        expect(stages).toContain('ggeffects: distinct values of x (1 scan)');
        // two focal covariates' distinct values in one pass
        expect(stages).toContain('ggeffects: distinct values of x, k (1 scan)');
        expect(stages.some((s) => /^ggeffects: quantiles of x \(\d+ scans\)$/.test(s))).toBe(true);
      } finally {
        await close();
      }
    }
  }, 300_000);

  it('lmer with prior weights: the typical value is the weighted mean (stream and DuckDB)', async () => {
    const mem = await lmer(LMER, table, { ...tight, weights: 'w' });
    const { fit, close } = await streamLmer('d.parquet', LMER, 500, { weights: 'w' });
    try {
      await compareCalls('stream weighted', WEIGHTED_CALLS, mem, fit, 1e-10);
      // the weighted mean, not the mean
      const x = ggpredict(mem, 'trt').constantValues.find((c) => c.name === 'x')!.value as number;
      expect(Math.abs(x - mem.model.frame.covariates!.get('x')!.mean)).toBeGreaterThan(1e-6);
    } finally {
      await close();
    }
    const eng = (await lmerSql(duck, { from: duckdbSource(join(dir, 'd.parquet')), name: 'd.parquet' }, LMER, { ...tight, weights: 'w' })).fit;
    await compareCalls('duckdb weighted', WEIGHTED_CALLS, mem, eng, 1e-5);
  }, 300_000);

  it('lmer through DuckDB: default and bracket terms to 1e-5', async () => {
    const mem = await lmer(LMER, table, tight);
    const eng = (await lmerSql(duck, { from: duckdbSource(join(dir, 'd.parquet')), name: 'd.parquet' }, LMER, tight)).fit;
    expect(() => ggemmeans(eng, 'x [quart]')).toThrow(/use ggpredictAsync or ggemmeansAsync/);
    await compareCalls('duckdb', LMER_CALLS, mem, eng, 1e-5);
    // (a GROUP BY each: one query per covariate)
    expect(eng.model.source!.queries.map((q) => q.stage)).toContain('ggeffects: distinct values of x, k (2 scans)');
  }, 300_000);

  it("the CLI: mixedgpu ggpredict / ggemmeans --engine stream|duckdb give the in-memory fit's table (computed before the file or connection closes)", async () => {
    const mem = await lmer(LMER, table, {});
    for (const engine of ['stream', 'duckdb'] as const) {
      for (const [method, terms] of [['ggpredict', ['x', 'trt']], ['ggemmeans', ['x [quart]']]] as const) {
        const r = await capture((io) => runGgeffects(method, { file: join(dir, 'd.parquet'), formula: LMER, engine, terms: [...terms], json: true, quiet: true }, io));
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        const got = (JSON.parse(r.stdout) as Record<string, ReturnType<GgEffects['toJSON']>>)[method]!;
        const want = (method === 'ggpredict' ? ggpredict : ggemmeans)(mem, [...terms]).toJSON();
        // (default optimizer settings on both sides: the fits agree to ~1e-7)
        expect(note(`cli ${engine}`, jsonDiff(want, got, `cli ${engine} ${method}`))).toBeLessThan(1e-5);
      }
    }
  }, 300_000);

  it('glmer (binomial): a Parquet stream and DuckDB to 1e-4', async () => {
    const options = { family: 'binomial' as const };
    const mem = await glmer(GLMER, table, options);
    const src = await openBatchSource(join(dir, 'd.parquet'));
    try {
      const eng = await glmerStream(src, GLMER, { ...options, batchSize: 500 });
      await compareCalls('stream glmer', GLMER_CALLS, mem, eng, 1e-4);
    } finally {
      await src.close();
    }
    const duckEng = await glmerSql(duck, { from: duckdbSource(join(dir, 'd.parquet')), name: 'd.parquet' }, GLMER, options);
    await compareCalls('duckdb glmer', GLMER_CALLS, mem, duckEng, 1e-4);
  }, 300_000);
});

const chMissing = clickhouseTestsMissing();

describe.skipIf(chMissing !== null)('ggeffects on a two-shard ClickHouse fit equals the in-memory fit', () => {
  const house = useCluster();
  let dist: string;
  let table: arrow.Table;
  beforeAll(async () => {
    table = readCsv(dataCsv()).table;
    dist = await loadSharded(house.cluster, 'enggg', table, 400);
  }, 120_000);

  it('lmer and glmer: distinct values merged across shards, exact quantiles, to 1e-5 and 1e-4', async () => {
    const tight = { momentStart: false, optimizer: { rhoend: 1e-10 } };
    const from = clickhouseSource(dist);
    const mem = await lmer(LMER, table, tight);
    const eng = (await lmerSql(house.engine, { from, name: dist }, LMER, tight)).fit;
    await compareCalls('clickhouse', LMER_CALLS, mem, eng, 1e-5);
    const options = { family: 'binomial' as const };
    const memG = await glmer(GLMER, table, options);
    const engG = await glmerSql(house.engine, { from, name: dist }, GLMER, options);
    await compareCalls('clickhouse glmer', GLMER_CALLS, memG, engG, 1e-4);
    console.log('worst differences (ggeffects on ClickHouse fits):', JSON.stringify(Object.fromEntries(Object.entries(worst).filter(([k]) => k.startsWith('clickhouse'))), null, 1));
  }, 600_000);
});
