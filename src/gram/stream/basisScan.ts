/**
 * The scans of the poly/ns/bs pre-pass (../basisPass.ts) over record batches: each a pass over every
 * row of the input in order, the formula's basis arguments evaluated as the in-memory frame evaluates
 * them (./evaluate.ts basisArguments), the sums in float64 in input order.
 */
import { polyRecurrence } from '../../frame/basis/poly.js';
import type { ArgSummary, BasisCall, BasisScan } from '../basisPass.js';
import type { FrameSpec } from '../frameSpec.js';
import type { BatchSource } from './batch.js';
import { basisArguments } from './evaluate.js';
import { streamQuantileScan } from './quantileScan.js';

export function streamBasisScan(source: BatchSource, spec: FrameSpec, batchSize: number, abort: () => void): BasisScan {
  /** each batch's arguments of `calls` (by their place in spec.bases) */
  const each = async (calls: BasisCall[], f: (xs: Float64Array[], offset: number) => void) => {
    const at = calls.map((c) => spec.bases.indexOf(c));
    let offset = 0;
    for await (const batch of source.batches(spec.columns, batchSize)) {
      abort();
      const args = basisArguments(spec, batch);
      f(at.map((k) => args[k]), offset);
      offset += batch.n;
    }
  };
  return {
    async summary(calls, caps) {
      const out: ArgSummary[] = calls.map(() => ({ n: 0, missing: 0, infinite: 0, min: Infinity, max: -Infinity, sum: 0, distinct: 0 }));
      // the distinct values, kept up to cap + 1 (poly's degree check needs no more)
      const seen = calls.map(() => new Set<number>());
      await each(calls, (xs, offset) => xs.forEach((x, k) => {
        const s = out[k];
        s.n += x.length;
        for (let i = 0; i < x.length; i++) {
          const v = x[i];
          if (Number.isNaN(v)) { if (s.missing++ === 0) s.firstMissing = offset + i + 1; continue; }
          if (v < s.min) s.min = v;
          if (v > s.max) s.max = v;
          if (v === Infinity || v === -Infinity) { if (s.infinite++ === 0) s.firstInfinite = { value: v, row: offset + i + 1 }; continue; }
          s.sum += v;
          if (seen[k].size <= caps[k]) seen[k].add(v);
        }
      }));
      out.forEach((s, k) => { s.distinct = seen[k].size; });
      return out;
    },
    async centred(calls, c) {
      const r = calls.map(() => 0);
      await each(calls, (xs) => xs.forEach((x, k) => { for (let i = 0; i < x.length; i++) r[k] += x[i] - c[k]; }));
      return r;
    },
    async polySums(calls, steps) {
      const out = calls.map(() => ({ ss: 0, sxs: 0 }));
      await each(calls, (xs) => xs.forEach((x, k) => {
        const { j, xbar, alpha, norm2 } = steps[k];
        for (let i = 0; i < x.length; i++) {
          // P_j(x_i) by the recurrence (src/frame/basis/poly.ts polyRecurrence)
          const p = polyRecurrence(x[i], alpha, norm2, j);
          out[k].ss += p * p;
          out[k].sxs += (x[i] - xbar) * p * p;
        }
      }));
      return out;
    },
    quantiles(call, lo, hi) {
      // the non-missing x inside [lo, hi] (./quantileScan.ts)
      return streamQuantileScan((f) => each([call], ([x]) => { for (let i = 0; i < x.length; i++) if (x[i] >= lo && x[i] <= hi) f(x[i]); }));
    },
  };
}
