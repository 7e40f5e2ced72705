/**
 * The Gram matrix of a linear mixed model from record batches (./batch.ts), never holding the
 * table: pass 1 accumulates the moments per cell and the grouping factors' levels, pass 2 the
 * per-level and per-pair sums, both row by row in float64 (./accumulate.ts); the model frame, the
 * transform and the assembly are those of the SQL engines (../moments.ts, ../assemble.ts).
 * Memory: O(batch + levels + pairs). Browser-safe.
 */
import { infiniteValueError } from '../../frame/checks.js';
import { parseFormula, usesDot } from '../../formula/parse.js';
import type { Formula } from '../../formula/types.js';
import { assembleGram, groupSpecs } from '../assemble.js';
import { type FrameSpecOptions, checkLevelTests, describeFrame, resolveCuts } from '../frameSpec.js';
import { momentPlan, summarizeFrame } from '../moments.js';
import { gridCells } from '../gridCells.js';
import { type GramSourceResult, type QueryTiming } from '../source.js';
import type { BatchSource } from './batch.js';
import { type BatchFrame, evaluateBatch, scaleArguments } from './evaluate.js';
import { BatchCache, batchesFrom, cacheBudget } from './batchCache.js';
import { type KeptFrame, frameCodec } from './frameCache.js';
import { ScaleSums } from '../../frame/columns.js';
import { GramAccumulator, MomentAccumulator } from './accumulate.js';
import { ColumnSums, NormalEquations } from './exact.js';
import { inStage } from '../source.js';
import { basisCoefficients } from '../basisPass.js';
import { streamBasisScan } from './basisScan.js';
import { summaryValues } from '../summaryPass.js';
import { streamSummaryScan } from './summaryScan.js';

export interface StreamGramOptions extends FrameSpecOptions {
  /** rows per batch (default 65 536) */
  batchSize?: number;
  /** the most levels a grouping factor may have (default 50 million) */
  maxLevels?: number;
  /** called after each batch: the pass (1, 2) and the rows read in it so far */
  onBatch?: (pass: 1 | 2, rows: number) => void;
  /** aborts between batches */
  signal?: AbortSignal;
  /**
   * the in-memory path's arithmetic (default true): two more passes (plain sums in input order for
   * the fixed-effects transform and the centring, ./exact.ts), so that A and the fit are the ones
   * the whole table in memory gives, bit for bit; false: the first pass's moments (compensated,
   * Welford) give the transform, A agrees to rounding
   */
  exact?: boolean;
  /**
   * bytes of evaluated batches kept between passes (./batchCache.ts; default 256 MiB, 0: none): the
   * passes after the first read the kept batches from memory and only the rows after them from the
   * source; the fit is the same to the last bit
   */
  cacheBytes?: number;
}

export async function gramFromStream(source: BatchSource, formula: string | Formula, options: StreamGramOptions = {}): Promise<GramSourceResult> {
  const { gram, frames } = await gramAndFrames(source, formula, options);
  frames.clear();
  return gram;
}

/** The model frame's batches kept by the Gram passes (./frameCache.ts), for the passes after them. */
export type FrameBatches = BatchCache<BatchFrame, KeptFrame>;

/** The Gram matrix, and the evaluated batches its passes kept (the caller's to use or clear). */
export async function gramAndFrames(source: BatchSource, formula: string | Formula, options: StreamGramOptions = {}): Promise<{ gram: GramSourceResult; frames: FrameBatches }> {
  const frames: FrameBatches = new BatchCache(cacheBudget(options.cacheBytes), frameCodec);
  // `.`: the source's columns (R's terms(formula, data =))
  const f = typeof formula === 'string' ? parseFormula(formula, usesDot(formula) ? { dataColumns: [...(await source.schema()).keys()] } : {}) : formula;
  if (f.random.length === 0) throw new Error(`no random-effects terms in '${f.text}': a mixed model needs at least one term such as (1 | group)`);
  const batchSize = options.batchSize ?? 65_536;
  if (!(batchSize >= 1)) throw new Error(`batchSize must be at least 1 (got ${batchSize})`);
  // the model frame of each batch: pass 1 evaluates it (and keeps what fits), the later passes read it back
  const framePass = () => frames.pass(async function* (from) { for await (const b of batchesFrom(source, spec.columns, batchSize, from, frames.rows)) yield evaluateBatch(spec, b); });
  const maxLevels = options.maxLevels ?? 50_000_000;
  const queries: QueryTiming[] = [];
  const abort = () => {
    if (options.signal?.aborted) { const e = new Error('the fit was cancelled'); e.name = 'AbortError'; throw e; }
  };
  let t = performance.now();
  const schema = await inStage('stream', 'reading the schema', () => source.schema());
  queries.push({ stage: 'reading the schema', ms: performance.now() - t, rows: schema.size });
  // text levels in the order the file marks (an Arrow IPC file of a C-order table) unless the caller gives one
  const levelOrder = options.levelOrder ?? (await source.levelOrder?.());
  const { spec, plan } = await inStage('stream', `the model frame of ${source.name}`, () => {
    const spec = describeFrame(f, schema, { ...options, ...(levelOrder ? { levelOrder } : {}) });
    return { spec, plan: momentPlan(spec) };
  });
  let scalePasses = 0;
  if (spec.summaries.length > 0) {
    // mean(x), sd(x), …: their values over every row (../summaryPass.ts), before any pass reads them
    t = performance.now();
    const { scans } = await inStage('stream', 'whole-column summaries', () => summaryValues(spec.summaries, streamSummaryScan(source, spec, batchSize, abort), spec.scales));
    queries.push({ stage: 'whole-column summaries', ms: performance.now() - t, rows: 0 });
    scalePasses += scans;
  }
  // cut(): its breaks (a number of intervals from the range just found) and labels
  resolveCuts(spec);
  if (spec.scaled.length > 0) {
    // scale(), as the in-memory frame's scaleColumn: the mean over the whole column's non-missing values, then
    // Σ (x − centre)², each summed in input order (the same doubles), before na.omit (as R)
    t = performance.now();
    const sums = spec.scaled.map((s) => new ScaleSums(s.label, s.scaleArgs));
    for (const [stage, add] of [['scale(): the centres', 'addValues'], ['scale(): the sums of squares', 'addSquares']] as const) {
      await inStage('stream', stage, async () => {
        for await (const batch of source.batches(spec.columns, batchSize)) {
          abort();
          scaleArguments(spec, batch).forEach((x, k) => sums[k][add](x));
        }
      });
    }
    spec.scaled.forEach((s, k) => spec.scales.set(s.key, sums[k].params()));
    queries.push({ stage: 'scale(): the centres and sums of squares', ms: performance.now() - t, rows: 0 });
    scalePasses += 2;
  }
  if (spec.bases.length > 0) {
    // poly/ns/bs: their coefficients and knots over every row (../basisPass.ts), before any pass evaluates them
    t = performance.now();
    const { scans } = await inStage('stream', 'poly/ns/bs: their coefficients', () => basisCoefficients(spec.bases, streamBasisScan(source, spec, batchSize, abort), spec.scales));
    queries.push({ stage: 'poly/ns/bs: their coefficients', ms: performance.now() - t, rows: 0 });
    scalePasses += scans;
  }

  t = performance.now();
  const moments = new MomentAccumulator(plan, [...spec.groups]);
  await inStage('stream', 'pass 1 (moments)', async () => {
    for await (const frame of framePass()) {
      abort();
      moments.add(frame);
      for (const [label, lv] of moments.groupLevels) {
        if (lv.size > maxLevels) throw new Error(`the grouping factor '${label}' has more than ${maxLevels} levels (the limit, maxLevels)`);
      }
      options.onBatch?.(1, moments.nInput);
    }
  });
  queries.push({ stage: 'pass 1 (moments)', ms: performance.now() - t, rows: moments.nInput });
  // ±∞ in a complete row: the in-memory frame's error, for the first value checked that has one
  if (moments.infinite.size > 0) {
    const f = moments.infinite.get(Math.min(...moments.infinite.keys()))!;
    throw infiniteValueError(f.label, f.what, f.count, { row: f.row, value: f.value });
  }
  // each factor's level compared with (`sex == "F"`): among the column's values, over every row (as in memory)
  await inStage('stream', 'pass 1 (moments)', () => checkLevelTests(spec, moments.levelSeen));
  let { summary, groups, grid } = await inStage('stream', 'pass 1 (moments)', () => {
    const cells = moments.cellTable();
    const summary = summarizeFrame(plan, cells, moments.nInput);
    // emmeans's reference grid: the covariates' summaries and the cell counts (../gridCells.ts)
    return { summary, groups: groupSpecs(spec, summary), grid: gridCells(plan, cells, summary) };
  });
  let passes = 2;
  if (options.exact ?? true) {
    // the transform with the in-memory path's sums (./exact.ts)
    t = performance.now();
    const sums = new ColumnSums(summary, groups);
    await inStage('stream', 'pass 2 (column sums)', async () => {
      for await (const frame of framePass()) { abort(); sums.add(frame); options.onBatch?.(2, sums.n); }
    });
    queries.push({ stage: 'pass 2 (column sums)', ms: performance.now() - t, rows: moments.nInput });
    const m = sums.means();
    t = performance.now();
    const normal = new NormalEquations(summary, m.x, m.y);
    await inStage('stream', 'pass 3 (normal equations)', async () => {
      for await (const frame of framePass()) { abort(); normal.add(frame); options.onBatch?.(2, sums.n); }
    });
    queries.push({ stage: 'pass 3 (normal equations)', ms: performance.now() - t, rows: moments.nInput });
    const beta0 = await inStage('stream', 'pass 3 (normal equations)', () => normal.beta0());
    summary = { ...summary, means: m.x, beta0, sumLogW: sums.logW, responseSS: normal.ss };
    groups = groups.map((g, gi) => ({ ...g, centre: m.z[gi] }));
    passes = 4;
  }

  t = performance.now();
  const gram = new GramAccumulator(summary, groups, moments.groupLevels);
  let rows = 0;
  await inStage('stream', `pass ${passes} (Gram)`, async () => {
    for await (const frame of framePass()) {
      abort();
      gram.add(frame);
      rows += frame.n;
      options.onBatch?.(2, rows);
    }
    if (rows !== moments.nInput) throw new Error(`${source.name} changed between the passes (${moments.nInput} rows, then ${rows})`);
  });
  queries.push({ stage: `pass ${passes} (Gram)`, ms: performance.now() - t, rows });
  const assembled = await inStage('stream', 'assembling A', () => assembleGram(spec, summary, groups, gram.secondPass(moments.dropped)));
  // the rows read from the source: the whole-column scans' (each over every row, from the source) and
  // the frame passes' as the source handed them out (frames.rows.read: the file once where the cache
  // kept every batch); the frame passes' rows replayed from the cache apart (each pass's `rows` in
  // `queries` stays the rows it processed, read or replayed)
  const rowsScanned = scalePasses * moments.nInput + frames.rows.read;
  return { gram: { engine: 'stream', spec, summary, ...assembled, grid, rowsScanned, rowsReplayed: frames.rows.replayed, queries }, frames };
}
