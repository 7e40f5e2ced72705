/**
 * The scans of the whole-column summaries' pre-pass (../summaryPass.ts) over record batches: each a
 * pass over every row of the input in order, the summaries' arguments evaluated as the in-memory
 * frame evaluates them (./evaluate.ts summaryArguments), the sums in float64 in input order, as
 * src/frame/reductions.ts sums them (the same doubles). The median's scans hold only the values
 * inside their brackets (./quantileScan.ts), not the column.
 */
import type { SummaryCall, SummaryCounts, SummaryScan } from '../summaryPass.js';
import type { FrameSpec } from '../frameSpec.js';
import type { BatchSource } from './batch.js';
import { summaryArguments } from './evaluate.js';
import { streamQuantileScan } from './quantileScan.js';

export function streamSummaryScan(source: BatchSource, spec: FrameSpec, batchSize: number, abort: () => void): SummaryScan {
  /** each batch's arguments of `calls` (by their place in spec.summaries) */
  const each = async (calls: SummaryCall[], f: (xs: Float64Array[]) => void) => {
    const at = calls.map((c) => spec.summaries.indexOf(c));
    for await (const batch of source.batches(spec.columns, batchSize)) {
      abort();
      const args = summaryArguments(spec, batch);
      f(at.map((k) => args[k]));
    }
  };
  /** Σ g(x) over the non-missing x of each call */
  const sums = async (calls: SummaryCall[], g: (x: number, k: number) => number) => {
    const r = calls.map(() => 0);
    await each(calls, (xs) => xs.forEach((x, k) => { for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i])) r[k] += g(x[i], k); }));
    return r;
  };
  return {
    async counts(calls) {
      const out = calls.map((): SummaryCounts => ({ n: 0, missing: 0, min: Infinity, max: -Infinity, sum: 0 }));
      await each(calls, (xs) => xs.forEach((x, k) => {
        const s = out[k];
        s.n += x.length;
        for (let i = 0; i < x.length; i++) {
          const v = x[i];
          if (Number.isNaN(v)) { s.missing++; continue; }
          if (v < s.min) s.min = v;
          if (v > s.max) s.max = v;
          s.sum += v;
        }
      }));
      return out;
    },
    centred: (calls, c) => sums(calls, (x, k) => x - c[k]),
    squares: (calls, c) => sums(calls, (x, k) => (x - c[k]) * (x - c[k])),
    quantiles(call) {
      return streamQuantileScan((f) => each([call], ([x]) => { for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i])) f(x[i]); }));
    },
  };
}
