/**
 * Fitted values and residuals of a fit from record batches, batch by batch (the arithmetic and
 * order of src/results/lmmFit.ts's fitted()), their exact quantiles in three passes and bounded
 * memory (../quantiles.ts: a deterministic sample for the approximation), and a pass that hands
 * every complete row with them to a writer.
 */
import { type GroupSpec, groupSpecs } from '../assemble.js';
import type { FitValues, GramSourceResult } from '../source.js';
import { exactQuantiles } from '../quantiles.js';
import type { Batch, BatchSource } from './batch.js';
import { type LevelId, levelIdOf } from './accumulate.js';
import { designColumns, evaluateBatch } from './evaluate.js';

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
    const { spec, summary, blocks } = this.result;
    const frame = evaluateBatch(spec, batch);
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
export async function streamResidualQuantiles(source: BatchSource, sr: StreamResiduals, batchSize = 65_536, probs = [0, 0.25, 0.5, 0.75, 1]): Promise<{ quantiles: number[]; scans: number }> {
  const columns = sr.result.spec.columns;
  const each = async (f: (s: Float64Array, ok: Uint8Array) => void) => {
    for await (const b of source.batches(columns, batchSize)) { const r = sr.compute(b); f(r.scaled, r.ok); }
  };
  const res = await exactQuantiles({
    async stats(ps) {
      // count, range and a systematic sample of ~65 536 values for the approximation
      let n = 0, min = Infinity, max = -Infinity;
      const sample: number[] = [];
      let step = 1, next = 0;
      await each((s, ok) => {
        for (let i = 0; i < s.length; i++) {
          if (!ok[i]) continue;
          const v = s[i];
          if (v < min) min = v;
          if (v > max) max = v;
          if (n++ === next) {
            sample.push(v);
            next += step;
            if (sample.length >= 131_072) { for (let k = 0; k < 65_536; k++) sample[k] = sample[2 * k]; sample.length = 65_536; step *= 2; next = n - 1 + step; }
          }
        }
      });
      sample.sort((a, b) => a - b);
      const approx = ps.map((p) => sample[Math.min(sample.length - 1, Math.floor(p * (sample.length - 1)))] ?? NaN);
      return { n, min, max, approx };
    },
    async count(br) {
      const c = br.map(() => [0, 0] as [number, number]);
      await each((s, ok) => {
        for (let i = 0; i < s.length; i++) {
          if (!ok[i]) continue;
          br.forEach(([a, b], k) => { if (s[i] < a) c[k][0]++; if (s[i] <= b) c[k][1]++; });
        }
      });
      return c;
    },
    async values(br) {
      const out: number[] = [];
      await each((s, ok) => {
        for (let i = 0; i < s.length; i++) if (ok[i] && br.some(([a, b]) => s[i] >= a && s[i] <= b)) out.push(s[i]);
      });
      return Float64Array.from(out);
    },
  }, probs);
  return { quantiles: res.quantiles, scans: res.scans };
}
