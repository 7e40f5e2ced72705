/**
 * The scans of the whole-column summaries' pre-pass (../summaryPass.ts) as queries over every row of
 * the source, the summaries' arguments evaluated by the frame's own SQL (SqlFrame.summaryArguments).
 * A missing value is NULL or NaN (./basisColumns.ts missing); ±∞ counts, as in memory.
 */
import type { GroupSums } from '../assemble.js';
import type { SummaryCall, SummaryCounts, SummaryScan } from '../summaryPass.js';
import type { FrameSpec } from '../frameSpec.js';
import type { Dialect } from './dialect.js';
import { type GramQuery, SqlFrame } from './generate.js';
import { missing } from './basisColumns.js';
import { sqlQuantileScan } from './basisScan.js';

/**
 * The pre-pass's scans as queries over the source: `run` runs one (and counts it); `merge`: rows with
 * equal keys summed (a ClickHouse shard each), false to keep one row per shard.
 */
export function sqlSummaryScan(d: Dialect, spec: FrameSpec, source: string, run: (q: GramQuery, merge?: boolean) => Promise<GroupSums>): SummaryScan {
  const { frame, args } = SqlFrame.summaryArguments(d, spec);
  const layers = [frame.layer0, frame.layer1];
  const argOf = (c: SummaryCall) => args[spec.summaries.indexOf(c)];
  const present = (x: string) => d.or([d.isFinite(x), d.isInfinite(x)]);
  const query = (stage: string, select: string[]): GramQuery => ({ stage, sql: d.query({ source, layers, select }), keys: [], values: select.length });
  return {
    async counts(calls) {
      // rows, missing, range, the finite sum (compensated) and the counts of +∞ and −∞ (a Kahan sum has no ∞)
      const select = calls.flatMap((c) => {
        const x = argOf(c);
        return [d.count, d.countIf(missing(d, x)), d.min(d.ifThen(present(x), x, d.double(Infinity))), d.max(d.ifThen(present(x), x, d.double(-Infinity))),
          d.kahanSum(d.ifThen(d.isFinite(x), x, d.double(0))), d.countIf(`${x} = ${d.double(Infinity)}`), d.countIf(`${x} = ${d.double(-Infinity)}`)];
      });
      // one row per ClickHouse shard: counts and sums add, extremes merge
      const r = await run(query('summaries: rows, missing values, range, sum', select), false);
      const total = (col: Float64Array) => col.reduce((a, b) => a + b, 0);
      return calls.map((_, k): SummaryCounts => {
        const v = (i: number) => r.values[7 * k + i];
        const up = total(v(5)), down = total(v(6));
        // Σ x with ±∞: ∞ − ∞ is NaN
        const sum = up > 0 && down > 0 ? NaN : up > 0 ? Infinity : down > 0 ? -Infinity : total(v(4));
        return { n: total(v(0)), missing: total(v(1)), min: Math.min(...v(2)), max: Math.max(...v(3)), sum };
      });
    },
    async centred(calls, c) {
      const r = await run(query('summaries: the mean\'s correction', calls.map((call, k) => {
        const x = argOf(call);
        return d.kahanSum(d.ifThen(present(x), `(${x} - ${d.double(c[k])})`, d.double(0)));
      })));
      return calls.map((_, k) => r.values[k][0]);
    },
    async squares(calls, c) {
      const r = await run(query('summaries: the sums of squares', calls.map((call, k) => {
        const x = argOf(call);
        const dev = `(${x} - ${d.double(c[k])})`;
        return d.kahanSum(d.ifThen(present(x), `(${dev} * ${dev})`, d.double(0)));
      })));
      return calls.map((_, k) => r.values[k][0]);
    },
    quantiles(call) {
      const x = argOf(call);
      return sqlQuantileScan(d, source, layers, x, present(x), `${call.what}: the median`, run);
    },
  };
}
