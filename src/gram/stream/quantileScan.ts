/**
 * ../quantiles.ts's scans over record batches, for any column the stream can re-compute batch by
 * batch (the scaled residuals, a basis argument): `each(f)` passes over the input and calls f with
 * each value of the column that counts (in input order).
 *   stats: count, range and a systematic sample of ~65 536 values for the approximate quantiles;
 *   count: per bracket [a, b], #{x < a} and #{x ≤ b};   values: the x inside some bracket.
 */
import type { QuantileScan } from '../quantiles.js';

export function streamQuantileScan(each: (f: (v: number) => void) => Promise<void>): QuantileScan {
  return {
    async stats(ps) {
      let n = 0, min = Infinity, max = -Infinity;
      const sample: number[] = [];
      let step = 1, next = 0;
      await each((v) => {
        if (v < min) min = v;
        if (v > max) max = v;
        if (n++ === next) {
          sample.push(v);
          next += step;
          // keep every other value once the sample doubles, and sample half as often
          if (sample.length >= 131_072) { for (let k = 0; k < 65_536; k++) sample[k] = sample[2 * k]; sample.length = 65_536; step *= 2; next = n - 1 + step; }
        }
      });
      sample.sort((a, b) => a - b);
      return { n, min, max, approx: ps.map((p) => sample[Math.min(sample.length - 1, Math.floor(p * (sample.length - 1)))] ?? NaN) };
    },
    async count(br) {
      const c = br.map(() => [0, 0] as [number, number]);
      await each((v) => br.forEach(([a, b], k) => { if (v < a) c[k][0]++; if (v <= b) c[k][1]++; }));
      return c;
    },
    async values(br) {
      const out: number[] = [];
      await each((v) => { if (br.some(([a, b]) => v >= a && v <= b)) out.push(v); });
      return Float64Array.from(out);
    },
  };
}
