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
          const p = polyRecurrence(x[i], alpha, norm2, j)[j];
          out[k].ss += p * p;
          out[k].sxs += (x[i] - xbar) * p * p;
        }
      }));
      return out;
    },
    quantiles(call, lo, hi) {
      const inside = (v: number) => v >= lo && v <= hi;
      const values = async (f: (v: number) => void) => each([call], ([x]) => { for (let i = 0; i < x.length; i++) if (inside(x[i])) f(x[i]); });
      return {
        async stats(ps) {
          // count, range and a systematic sample of ~65 536 values for the approximation (as ./residuals.ts)
          let n = 0, min = Infinity, max = -Infinity;
          const sample: number[] = [];
          let step = 1, next = 0;
          await values((v) => {
            if (v < min) min = v;
            if (v > max) max = v;
            if (n++ === next) {
              sample.push(v);
              next += step;
              if (sample.length >= 131_072) { for (let k = 0; k < 65_536; k++) sample[k] = sample[2 * k]; sample.length = 65_536; step *= 2; next = n - 1 + step; }
            }
          });
          sample.sort((a, b) => a - b);
          return { n, min, max, approx: ps.map((p) => sample[Math.min(sample.length - 1, Math.floor(p * (sample.length - 1)))] ?? NaN) };
        },
        async count(br) {
          const c = br.map(() => [0, 0] as [number, number]);
          await values((v) => br.forEach(([a, b], k) => { if (v < a) c[k][0]++; if (v <= b) c[k][1]++; }));
          return c;
        },
        async values(br) {
          const out: number[] = [];
          await values((v) => { if (br.some(([a, b]) => v >= a && v <= b)) out.push(v); });
          return Float64Array.from(out);
        },
      };
    },
  };
}
