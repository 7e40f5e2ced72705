/**
 * The scans of the poly/ns/bs pre-pass (../basisPass.ts) as queries over every row of the source,
 * the basis arguments evaluated by the frame's own SQL (SqlFrame.basisArguments).
 */
import type { GroupSums } from '../assemble.js';
import type { ArgSummary, BasisCall, BasisScan } from '../basisPass.js';
import type { FrameSpec } from '../frameSpec.js';
import type { Dialect, FrameLayer } from './dialect.js';
import type { QuantileScan } from '../quantiles.js';
import { type GramQuery, SqlFrame } from './generate.js';
import { missing, polyRecurrenceSql } from './basisColumns.js';

/**
 * The pre-pass's scans as queries over the source: `run` runs one (and counts it); `merge`: rows
 * with equal keys summed (a ClickHouse shard each), false for a query whose rows are values.
 */
export function sqlBasisScan(d: Dialect, spec: FrameSpec, source: string, run: (q: GramQuery, merge?: boolean) => Promise<GroupSums>): BasisScan {
  const { frame, args } = SqlFrame.basisArguments(d, spec);
  const layers = [frame.layer0, frame.layer1];
  const argOf = (c: BasisCall) => args[spec.bases.indexOf(c)];
  const present = (x: string) => d.or([d.isFinite(x), d.isInfinite(x)]);
  const query = (stage: string, select: string[], where?: string): GramQuery => ({ stage, sql: d.query({ source, layers, select, where }), keys: [], values: select.length });
  return {
    async summary(calls, caps) {
      const select = calls.flatMap((c) => {
        const x = argOf(c);
        return [d.count, d.countIf(missing(d, x)), d.countIf(d.isInfinite(x)), d.min(d.ifThen(present(x), x, d.double(Infinity))), d.max(d.ifThen(present(x), x, d.double(-Infinity))),
          d.kahanSum(d.ifThen(d.isFinite(x), x, d.double(0)))];
      });
      // one row per ClickHouse shard: counts and sums add, extremes merge
      const r = await run(query('poly/ns/bs: their arguments (count, missing, range, sum)', select), false);
      const total = (col: Float64Array) => col.reduce((a, b) => a + b, 0);
      const out: ArgSummary[] = [];
      for (const [k, c] of calls.entries()) {
        const v = (i: number) => r.values[6 * k + i];
        const s: ArgSummary = { n: total(v(0)), missing: total(v(1)), infinite: total(v(2)), min: Math.min(...v(3)), max: Math.max(...v(4)), sum: total(v(5)), distinct: 0 };
        if (s.infinite > 0) s.firstInfinite = { value: s.max === Infinity ? Infinity : -Infinity };
        if (caps[k] > 0) {
          // the distinct finite values, up to cap + 1 of them (poly's degree check needs no more)
          const x = argOf(c);
          const q: GramQuery = { stage: `${c.label}: distinct values`, sql: d.query({ source, layers, select: [x], where: d.isFinite(x), groupBy: [x], limit: caps[k] + 1 }), keys: ['numeric'], values: 0 };
          s.distinct = (await run(q)).rows;
        }
        out.push(s);
      }
      return out;
    },
    async centred(calls, c) {
      const r = await run(query('poly: the mean\'s correction', calls.map((call, k) => d.kahanSum(`(${argOf(call)} - ${d.double(c[k])})`))));
      return calls.map((_, k) => r.values[k][0]);
    },
    async polySums(calls, steps) {
      const select = calls.flatMap((call, k) => {
        const x = argOf(call);
        const { j, xbar, alpha, norm2 } = steps[k];
        const P = polyRecurrenceSql(d, x, alpha, norm2, j);
        return [d.kahanSum(`(${P} * ${P})`), d.kahanSum(`(((${x} - ${d.double(xbar)}) * ${P}) * ${P})`)];
      });
      const r = await run(query(`poly: degree ${steps[0].j}'s norm and centre`, select));
      return calls.map((_, k) => ({ ss: r.values[2 * k][0], sxs: r.values[2 * k + 1][0] }));
    },
    quantiles(call, lo, hi) {
      const x = argOf(call);
      return sqlQuantileScan(d, source, layers, x, d.and([present(x), `${x} >= ${d.double(lo)}`, `${x} <= ${d.double(hi)}`]), `${call.label}: knots`, run);
    },
  };
}

/**
 * ../quantiles.ts's scans of the values `x` (an alias over `layers`) of the rows where `inside` holds,
 * as queries over the source; `stage` names them.
 */
export function sqlQuantileScan(d: Dialect, source: string, layers: FrameLayer[], x: string, inside: string, stage: string, run: (q: GramQuery, merge?: boolean) => Promise<GroupSums>): QuantileScan {
  const query = (name: string, select: string[], where: string): GramQuery => ({ stage: `${stage} (${name})`, sql: d.query({ source, layers, select, where }), keys: [], values: select.length });
  return {
    stats: async (ps) => {
      // one row per ClickHouse shard: counts add, extremes merge, any shard's approximation will do (the brackets widen)
      const r = await run(query('count, range, t-digest', [d.count, d.min(x), d.max(x), ...ps.map((p) => d.approxQuantile(x, p))], inside), false);
      return { n: r.values[0].reduce((a, b) => a + b, 0), min: Math.min(...r.values[1]), max: Math.max(...r.values[2]), approx: ps.map((_, k) => r.values[3 + k][0]) };
    },
    count: async (br) => {
      const r = await run(query('brackets', br.flatMap(([a, b]) => [d.countIf(`${x} < ${d.double(a)}`), d.countIf(`${x} <= ${d.double(b)}`)]), inside));
      return br.map((_, k) => [r.values[2 * k][0], r.values[2 * k + 1][0]]);
    },
    values: async (br) => {
      const r = await run(query('values', [x], d.and([inside, d.or(br.map(([a, b]) => d.and([`${x} >= ${d.double(a)}`, `${x} <= ${d.double(b)}`])))])), false);
      return r.values[0];
    },
  };
}
