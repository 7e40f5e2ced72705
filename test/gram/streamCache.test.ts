/**
 * The stream engine's evaluated batches kept between passes (cacheBytes; src/gram/stream/batchCache.ts):
 *  - lmer and glmer (Laplace and nAGQ = 9, a 0/1 response and cbpp's cbind) fitted with the cache
 *    (everything kept, and a budget that keeps only the first batches) and without it (cacheBytes: 0)
 *    are the same fit to the last bit (θ, β, vcov, b, the objective, the evaluations, the residual
 *    quantiles), from a Parquet file of several row groups and from a CSV file;
 *  - the source's reads, counted through the BatchSource interface: with everything kept the source
 *    is read once for lmer's Gram and residual passes and glmer's Gram and PIRLS/AGQ passes; with
 *    cacheBytes 0 once per pass; with a partial budget the later passes read only the rows after
 *    the kept ones (batchesFrom);
 *  - the fit's rows_scanned: the rows the source handed out (equal to the count above), and
 *    rows_replayed: the rows the passes took from the cache instead, also through the CLI's --json;
 *  - a bad cacheBytes (and --cache-mb) refused by name.
 * The uncached fits themselves are checked against lme4 in test/gram/glmer*.test.ts and stream.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLmmData } from '../../bench/synth.js';
import { tableToParquet } from '../helpers/parquetFile.js';
import type { Batch, BatchSource } from '../../src/gram/stream/batch.js';
import { batchesFrom } from '../../src/gram/stream/batchCache.js';
import { glmerStream, type StreamGlmerOptions } from '../../src/gram/stream/glmer.js';
import { lmerStream, type StreamLmerOptions } from '../../src/gram/stream/lmer.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import type { MixedFit } from '../../src/results/mixedFit.js';
import { loadTight, optionsOf } from '../helpers/glmmParity.js';
import { dataPath } from '../helpers/reference.js';
import { runMain } from '../helpers/cliEngines.js';

let dir: string;
let lmmParquet: string, lmmCsv: string, lmmArrow: string, glmmParquet: string;
const N = 6000, BATCH = 500, ROW_GROUP = 1500;

function csvOf(cols: Record<string, ArrayLike<number | string>>): string {
  const names = Object.keys(cols);
  const n = cols[names[0]].length;
  const lines = [names.join(',')];
  for (let i = 0; i < n; i++) lines.push(names.map((k) => String(cols[k][i])).join(','));
  return `${lines.join('\n')}\n`;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mixedgpu-stream-cache-'));
  const lmm = generateLmmData({ n: N, groups: 60, seed: 7, crossed: 12 });
  lmmParquet = join(dir, 'lmm.parquet');
  writeFileSync(lmmParquet, new Uint8Array(tableToParquet(lmm.table, ROW_GROUP)));
  // an Arrow IPC file of four record batches
  lmmArrow = join(dir, 'lmm.arrow');
  const slices = [0, 1, 2, 3].flatMap((k) => lmm.table.slice(k * ROW_GROUP, (k + 1) * ROW_GROUP).batches);
  writeFileSync(lmmArrow, arrow.tableToIPC(new arrow.Table(slices), 'file'));
  const c = lmm.columns;
  lmmCsv = join(dir, 'lmm.csv');
  writeFileSync(lmmCsv, csvOf({ y: c.y, x: c.x, w: c.w, g: Array.from(c.g, (k) => `g${k + 1}`), h: Array.from(c.h!, (k) => `h${k + 1}`) }));
  const glmm = generateLmmData({ n: N, groups: 80, seed: 11, family: 'binomial' });
  glmmParquet = join(dir, 'glmm.parquet');
  writeFileSync(glmmParquet, new Uint8Array(tableToParquet(glmm.table, ROW_GROUP)));
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

/** A source whose reads are counted: passes from row 0 (batches), passes from a later row (batchesFrom), rows handed out. */
interface Counts { whole: number; from: number; rows: number }
async function counted(path: string): Promise<{ src: BatchSource; counts: Counts; close: () => Promise<void> }> {
  const inner = await openBatchSource(path);
  const counts: Counts = { whole: 0, from: 0, rows: 0 };
  async function* tally(it: AsyncIterable<Batch>): AsyncIterable<Batch> { for await (const b of it) { counts.rows += b.n; yield b; } }
  const src: BatchSource = {
    name: inner.name,
    schema: () => inner.schema(),
    ...(inner.levelOrder ? { levelOrder: () => inner.levelOrder!() } : {}),
    batches: (columns, size) => { counts.whole++; return tally(inner.batches(columns, size)); },
    ...(inner.batchesFrom ? { batchesFrom: (columns: string[], size: number, from: number) => { counts.from++; return tally(inner.batchesFrom!(columns, size, from)); } } : {}),
  };
  return { src, counts, close: () => inner.close() };
}

/** the fit's JSON count of the rows read from the source (rows_scanned) and of those replayed from the cache (rows_replayed) */
function rowsOf(fit: MixedFit): { scanned: number; replayed: number } {
  const j = fit.toJSON() as { rows_scanned: number; rows_replayed: number };
  return { scanned: j.rows_scanned, replayed: j.rows_replayed };
}

/** every number of a fit that its passes decide */
function bits(fit: MixedFit): unknown {
  return {
    theta: Array.from(fit.theta), beta: Array.from(fit.beta), vcov: Array.from(fit.vcov), ranef: fit.ranef.map((r) => r.values),
    objective: fit.objective, feval: fit.feval, converged: fit.converged, singular: fit.singular, messages: fit.messages,
  };
}

async function lmerCounted(path: string, formula: string, o: StreamLmerOptions) {
  const { src, counts, close } = await counted(path);
  try {
    const { fit } = await lmerStream(src, formula, { batchSize: BATCH, ...o });
    return { fit, counts, quantiles: fit.scaledResidualQuantiles };
  } finally { await close(); }
}

async function glmerCounted(path: string, formula: string, o: StreamGlmerOptions) {
  const { src, counts, close } = await counted(path);
  try {
    return { fit: await glmerStream(src, formula, { batchSize: BATCH, ...o }), counts };
  } finally { await close(); }
}

describe('lmer on the stream: the same fit with and without the cache', () => {
  const formula = 'y ~ x + w + (1 + x | g) + (1 | h)';
  for (const [kind, path] of [['Parquet', () => lmmParquet], ['CSV', () => lmmCsv], ['Arrow IPC', () => lmmArrow]] as const) {
    it(`${kind}: everything kept, part kept, nothing kept`, async () => {
      const none = await lmerCounted(path(), formula, { cacheBytes: 0 });
      const all = await lmerCounted(path(), formula, {});
      // about a third of the batches (each batch's frame: ~ 500 rows × (5 numeric columns + codes))
      const part = await lmerCounted(path(), formula, { cacheBytes: 60_000 });
      for (const r of [all, part]) {
        expect(bits(r.fit)).toStrictEqual(bits(none.fit));
        expect(r.quantiles).toStrictEqual(none.quantiles);
      }
      expect(none.quantiles).not.toBeNull();
      // nothing kept: 4 Gram passes and 3 residual passes, each over the whole file
      expect(none.counts).toEqual({ whole: 7, from: 0, rows: 7 * N });
      // everything kept: the file read once
      expect(all.counts).toEqual({ whole: 1, from: 0, rows: N });
      // rows_scanned: the rows the file handed out, counted by the source; rows_replayed: the rest of
      // the 7 passes' rows, from the cache (nothing kept: none; everything kept: 6 passes' worth)
      expect(rowsOf(none.fit)).toEqual({ scanned: 7 * N, replayed: 0 });
      expect(rowsOf(all.fit)).toEqual({ scanned: N, replayed: 6 * N });
      const partRows = rowsOf(part.fit);
      expect(partRows.scanned).toBe(part.counts.rows);
      // the kept batches' rows, replayed by each of the 6 later passes
      expect(partRows.replayed % 6).toBe(0);
      const kept = partRows.replayed / 6;
      expect(kept % BATCH).toBe(0);
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(N);
      // part kept: one whole pass, then 6 passes over the rows after the kept batches alone
      expect(part.counts.whole + part.counts.from).toBe(7);
      if (kind !== 'CSV') {
        expect(part.counts.from).toBe(6);
        expect(part.counts.rows).toBeGreaterThan(N);
        expect((part.counts.rows - N) % BATCH).toBe(0);
        expect(part.counts.rows).toBeLessThan(7 * N - 6 * BATCH);
        // read: the first pass and the uncached tail in each later pass
        expect(partRows.scanned).toBe(N + 6 * (N - kept));
      } else {
        // the kept rows read again and dropped: read (the source handed them out), and replayed too
        expect(partRows.scanned).toBe(7 * N);
        // a CSV source has no batchesFrom: the rows before are read and dropped (not evaluated)
        expect(part.counts.whole).toBe(7);
      }
    }, 120_000);
  }
});

describe('glmer on the stream: the same fit with and without the cache', () => {
  const formula = 'y ~ x + (1 | g)';
  for (const nAGQ of [1, 9]) {
    it(`Parquet, binomial, nAGQ = ${nAGQ}`, async () => {
      const o: StreamGlmerOptions = { family: 'binomial', nAGQ };
      const none = await glmerCounted(glmmParquet, formula, { ...o, cacheBytes: 0 });
      const all = await glmerCounted(glmmParquet, formula, o);
      const part = await glmerCounted(glmmParquet, formula, { ...o, cacheBytes: 40_000 });
      expect(bits(all.fit)).toStrictEqual(bits(none.fit));
      expect(bits(part.fit)).toStrictEqual(bits(none.fit));
      const passes = none.fit.timings.enginePasses + (nAGQ > 1 ? none.fit.timings.engineAgqPasses : 0);
      expect(passes).toBeGreaterThan(10);
      // nothing kept: the 4 Gram passes, the response's pass, then one per PIRLS (and AGQ) pass
      expect(none.counts).toEqual({ whole: 5 + passes, from: 0, rows: (5 + passes) * N });
      // everything kept: the file read once, whatever the number of passes
      expect(all.counts).toEqual({ whole: 1, from: 0, rows: N });
      // rows_scanned: the rows the file handed out; rows_replayed: the rest of the 5 + passes passes' rows
      expect(rowsOf(none.fit)).toEqual({ scanned: (5 + passes) * N, replayed: 0 });
      expect(rowsOf(all.fit)).toEqual({ scanned: N, replayed: (4 + passes) * N });
      const partRows = rowsOf(part.fit);
      expect(partRows.scanned).toBe(part.counts.rows);
      expect(partRows.scanned + partRows.replayed).toBe((5 + passes) * N);
      expect(partRows.replayed).toBeGreaterThan(0);
      // the PIRLS and AGQ stages in `queries`: each pass's rows processed (read or replayed), the rows used
      const pirls = (part.fit.toJSON() as { queries: { stage: string; rows: number }[] }).queries.filter((q) => /^(PIRLS|AGQ) passes/.test(q.stage));
      expect(pirls.length).toBe(nAGQ > 1 ? 2 : 1);
      for (const q of pirls) expect(q.rows).toBe(N);
      // part kept: the rows after the kept batches read in each later pass, not the whole file
      expect(part.counts.whole).toBe(1);
      expect(part.counts.from).toBeGreaterThan(passes);
      expect(part.counts.rows).toBeLessThan(N + part.counts.from * (N - BATCH));
    }, 180_000);
  }

  it('CSV, cbpp: binomial with a cbind response, nAGQ = 9 (lme4\'s tight case)', async () => {
    const t = loadTight('cbpp_binomial_agq');
    const file = dataPath(t.data.replace('../data/', ''));
    const o = optionsOf(t) as StreamGlmerOptions;
    const none = await glmerCounted(file, t.formula, { ...o, batchSize: 7, cacheBytes: 0 });
    const all = await glmerCounted(file, t.formula, { ...o, batchSize: 7 });
    const part = await glmerCounted(file, t.formula, { ...o, batchSize: 7, cacheBytes: 1200 });
    expect(bits(all.fit)).toStrictEqual(bits(none.fit));
    expect(bits(part.fit)).toStrictEqual(bits(none.fit));
    expect(all.fit.nAGQ).toBe(9);
    // a cbind response: its counts are read from the source in the response's pass, after the Gram pass
    expect(all.counts.whole).toBe(2);
    expect(none.counts.whole).toBeGreaterThan(20);
    expect(part.counts.whole).toBe(none.counts.whole);
    // a CSV source has no batchesFrom: the later passes read the rows of the kept batches and drop them unevaluated
    expect(part.counts.rows).toBe(none.counts.rows);
    // rows_scanned: the rows the file handed out (those read and dropped too); rows_replayed: the cache's
    const nInput = none.fit.model.frame.nInput;
    const passes = none.fit.timings.enginePasses + none.fit.timings.engineAgqPasses;
    expect(rowsOf(none.fit)).toEqual({ scanned: (5 + passes) * nInput, replayed: 0 });
    // everything kept: the Gram passes' first and the response's pass (the cbind counts) read the file
    expect(rowsOf(all.fit)).toEqual({ scanned: 2 * nInput, replayed: (3 + passes) * nInput });
    expect(all.counts.rows).toBe(2 * nInput);
    expect(rowsOf(part.fit).scanned).toBe(part.counts.rows);
    expect(rowsOf(part.fit).replayed).toBeGreaterThan(0);
  }, 120_000);
});

describe('rows_scanned and rows_replayed', () => {
  it('lmer with scale(): its two whole-column scans read the file, the frame passes once', async () => {
    const all = await lmerCounted(lmmParquet, 'y ~ scale(x) + (1 | g)', {});
    // scale()'s centres and sums of squares (2 scans), then the 4 Gram passes and 3 residual passes from one read
    expect(all.counts.rows).toBe(3 * N);
    expect(rowsOf(all.fit)).toEqual({ scanned: 3 * N, replayed: 6 * N });
  }, 120_000);

  it('the CLI\'s --json: rows_scanned (read from the file) and rows_replayed (from the cache)', async () => {
    const args = ['fit', lmmParquet, 'y ~ x + (1 | g)', '--engine', 'stream', '--json'];
    const parse = (r: { code: number; stdout: string; stderr: string }) => {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as { engine: string; rows_scanned: number; rows_replayed: number };
    };
    const cached = parse(await runMain(args));
    const uncached = parse(await runMain([...args, '--cache-mb', '0']));
    // 4 Gram passes and 3 residual passes: the file read once and replayed six times, or read seven times
    expect(cached).toMatchObject({ engine: 'stream', rows_scanned: N, rows_replayed: 6 * N });
    expect(uncached).toMatchObject({ engine: 'stream', rows_scanned: 7 * N, rows_replayed: 0 });
  }, 120_000);
});

describe('batchesFrom: the rows after the kept batches, in the batches a whole pass gives them in', () => {
  for (const [kind, path] of [['Parquet (row groups of 1 500)', () => lmmParquet], ['Arrow IPC (record batches of 1 500)', () => lmmArrow], ['CSV (no batchesFrom: read and dropped)', () => lmmCsv]] as const) {
    it(kind, async () => {
      const src = await openBatchSource(path());
      try {
        const columns = ['y', 'x', 'g'];
        const whole: Batch[] = [];
        for await (const b of src.batches(columns, BATCH)) whole.push(b);
        expect(whole.reduce((t, b) => t + b.n, 0)).toBe(N);
        // a batch start inside the first row group, at a row group's start, inside a later one, and the end
        for (const k of [1, 3, 5, 9, whole.length]) {
          const from = whole.slice(0, k).reduce((t, b) => t + b.n, 0);
          const got: Batch[] = [];
          for await (const b of batchesFrom(src, columns, BATCH, from)) got.push(b);
          expect(got.map((b) => b.n)).toEqual(whole.slice(k).map((b) => b.n));
          got.forEach((b, i) => { for (const c of columns) expect(Array.from(b.columns.get(c)! as ArrayLike<unknown>)).toStrictEqual(Array.from(whole[k + i].columns.get(c)! as ArrayLike<unknown>)); });
        }
      } finally { await src.close(); }
    });
  }
});

describe('cacheBytes refused by name', () => {
  for (const bad of [-1, 1.5, Number.NaN, '100' as unknown as number]) {
    it(`cacheBytes: ${String(bad)}`, async () => {
      const { src, close } = await counted(lmmParquet);
      try {
        await expect(lmerStream(src, 'y ~ x + (1 | g)', { cacheBytes: bad })).rejects.toThrow(/cacheBytes must be a whole number of bytes/);
        await expect(glmerStream(src, 'y ~ x + (1 | g)', { family: 'binomial', cacheBytes: bad })).rejects.toThrow(/cacheBytes/);
      } finally { await close(); }
    });
  }

  it('the CLI: --cache-mb checked, and for --engine stream only', async () => {
    const bad = await runMain(['fit', lmmParquet, 'y ~ x + (1 | g)', '--engine', 'stream', '--cache-mb', '-2']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--cache-mb must be a number of MiB, 0 or more/);
    const notStream = await runMain(['fit', lmmParquet, 'y ~ x + (1 | g)', '--engine', 'duckdb', '--cache-mb', '10']);
    expect(notStream.code).not.toBe(0);
    expect(notStream.stderr).toMatch(/--cache-mb is for --engine stream/);
    const none = await runMain(['fit', lmmParquet, 'y ~ x + (1 | g)', '--engine', 'stream', '--cache-mb', '0']);
    const some = await runMain(['fit', lmmParquet, 'y ~ x + (1 | g)', '--engine', 'stream', '--cache-mb', '0.5']);
    expect(none.stderr).toBe('');
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/Fixed effects/);
    expect(some.stdout).toBe(none.stdout);
  }, 120_000);
});
