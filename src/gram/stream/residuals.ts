/**
 * Fitted values and residuals of a fit from record batches, batch by batch (the arithmetic and
 * order of src/results/lmmFit.ts's fitted()), their exact quantiles in three passes and bounded
 * memory (../quantiles.ts: a deterministic sample for the approximation), and a pass that hands
 * every complete row with them to a writer.
 */
import { type GroupSpec, groupSpecs } from '../assemble.js';
import type { FitValues, GramSourceResult } from '../source.js';
import { exactQuantiles } from '../quantiles.js';
import { streamQuantileScan } from './quantileScan.js';
import type { Batch, BatchSource } from './batch.js';
import { type LevelId, levelIdOf } from './accumulate.js';
import { type BatchFrame, designColumns, evaluateBatch } from './evaluate.js';
import { PassRows, batchesFrom } from './batchCache.js';
import type { FrameBatches } from './streamSource.js';

export interface BatchResiduals {
  /** 1 where the row is in the model (complete) */
  ok: Uint8Array;
  fitted: Float64Array;
  residual: Float64Array;
  /** √w (y − fitted) / σ: the summary's scaled residuals */
  scaled: Float64Array;
}

export class StreamResiduals {
  private readonly groups: GroupSpec[];
  private readonly index: Map<LevelId, number>[];

  constructor(readonly result: GramSourceResult, readonly fit: FitValues) {
    this.groups = groupSpecs(result.spec, result.summary);
    const byLabel = new Map(this.groups.map((g) => [g.label, g] as const));
    this.index = result.blocks.map((b) => {
      const keys = result.levelKeys.get(b.group)!;
      const cols = keys.map((k) => k as (string | number | null)[]);
      const m = new Map<LevelId, number>();
      for (let l = 0; l < b.nl; l++) m.set(levelIdOf(cols, l), l);
      return m;
    });
  }

  compute(batch: Batch): BatchResiduals {
    return this.computeFrame(evaluateBatch(this.result.spec, batch));
  }

  /** the fitted values and residuals of a batch's model frame */
  computeFrame(frame: BatchFrame): BatchResiduals {
    const { summary, blocks } = this.result;
    const { n, ok } = frame;
    const column = designColumns(frame, summary);
    // fitted = offset, + x_j β_j in column order, + each block's zᵀb (lmmFit.ts fitted)
    const fitted = frame.off ? Float64Array.from(frame.off) : new Float64Array(n);
    summary.xcols.forEach((col, j) => {
      const x = column(col);
      const b = this.fit.beta[j];
      for (let i = 0; i < n; i++) fitted[i] += x[i] * b;
    });
    const byLabel = new Map(this.groups.map((g) => [g.label, g] as const));
    blocks.forEach((blk, k) => {
      const g = byLabel.get(blk.group)!;
      const z = g.zcols.map(column);
      const cols = g.components.map((c) => frame.keys.get(c.column)!);
      const idx = this.index[k];
      const b = this.fit.b[k];
      const q = blk.q;
      for (let i = 0; i < n; i++) {
        if (!ok[i]) continue;
        const l = idx.get(levelIdOf(cols, i))!;
        let acc = 0;
        for (let s = 0; s < q; s++) acc += z[s][i] * b[l * q + s];
        fitted[i] += acc;
      }
    });
    const residual = new Float64Array(n);
    const scaled = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (!ok[i]) { fitted[i] = residual[i] = scaled[i] = NaN; continue; }
      residual[i] = frame.y[i] - fitted[i];
      scaled[i] = (frame.w ? residual[i] * Math.sqrt(frame.w[i]) : residual[i]) / this.fit.sigma;
    }
    return { ok, fitted, residual, scaled };
  }
}

/** Exact type-7 quantiles (Min, 1Q, Median, 3Q, Max) of the scaled residuals, in three passes. */
export async function streamResidualQuantiles(
  source: BatchSource, sr: StreamResiduals, batchSize = 65_536, probs = [0, 0.25, 0.5, 0.75, 1], frames?: FrameBatches,
): Promise<{ quantiles: number[]; scans: number; rows: { read: number; replayed: number } }> {
  const { spec } = sr.result;
  // the rows these passes read from the source and replayed from the cache (the fit's count, shared with the Gram passes')
  const rows = frames?.rows ?? new PassRows();
  const [read0, replayed0] = [rows.read, rows.replayed];
  // the batches' model frames: those the Gram passes kept (./batchCache.ts), the rest evaluated from the source
  const read = async function* (from: number) { for await (const b of batchesFrom(source, spec.columns, batchSize, from, rows)) yield evaluateBatch(spec, b); };
  const each = async (f: (s: Float64Array, ok: Uint8Array) => void) => {
    for await (const frame of frames ? frames.pass(read) : read(0)) { const r = sr.computeFrame(frame); f(r.scaled, r.ok); }
  };
  // the scaled residuals of the complete rows, batch by batch (./quantileScan.ts)
  const values = (f: (v: number) => void) => each((s, ok) => { for (let i = 0; i < s.length; i++) if (ok[i]) f(s[i]); });
  const res = await exactQuantiles(streamQuantileScan(values), probs);
  return { quantiles: res.quantiles, scans: res.scans, rows: { read: rows.read - read0, replayed: rows.replayed - replayed0 } };
}
