/**
 * ../usedRows.ts's scans as queries over the source: the model frame's layers (./generate.ts SqlFrame,
 * with the fit's scale centres, summaries and key aliases), the rows used WHERE ok, a covariate its raw
 * column as a double. Sums are compensated (Kahan); the distinct values a GROUP BY with a LIMIT one past
 * the cap; the quantiles ./basisScan.ts's sqlQuantileScan. An engine may return a row per ClickHouse
 * shard: sums add over the rows, distinct values are merged here.
 */
import { type GroupSums, mergeDuplicateKeys } from '../assemble.js';
import type { FrameSpec } from '../frameSpec.js';
import type { UsedRowsBase } from '../usedRows.js';
import type { SqlEngine } from './engine.js';
import { A, type GramQuery, type KeyAliases, SqlFrame } from './generate.js';
import { sqlQuantileScan } from './basisScan.js';

export function sqlUsedRows(engine: SqlEngine, spec: FrameSpec, from: string, aliases?: KeyAliases): UsedRowsBase {
  const d = engine.dialect;
  const frame = new SqlFrame(d, spec, aliases);
  const layers = [frame.layer0, frame.layer1];
  const query = (stage: string, select: string[]): GramQuery => ({ stage: `ggeffects: ${stage}`, sql: d.query({ source: from, layers, select, where: A.ok }), keys: [], values: select.length });
  /** each value column summed over the rows (one per shard) */
  const totals = (r: GroupSums) => r.values.map((col) => col.reduce((a, b) => a + b, 0));
  const run = async (q: GramQuery, merge = true): Promise<GroupSums> => {
    const r = await engine.run(q);
    return merge ? mergeDuplicateKeys(r) : r;
  };
  return {
    distinctScans: 'each',
    async sums(names) {
      const select = names.flatMap((nm) => {
        const x = frame.column(nm);
        const s = [d.count, d.kahanSum(x), d.kahanSum(`abs(${x} - round(${x}))`), d.kahanSum(`abs(${x})`)];
        if (frame.hasWeights) s.push(d.kahanSum(`(${A.w} * ${x})`), d.kahanSum(A.w));
        return s;
      });
      const t = totals(await engine.run(query(`sums of ${names.join(', ')}`, select)));
      const m = frame.hasWeights ? 6 : 4;
      return names.map((_, k) => ({ n: t[m * k], sum: t[m * k + 1], fracAbs: t[m * k + 2], abs: t[m * k + 3], wx: frame.hasWeights ? t[m * k + 4] : NaN, w: frame.hasWeights ? t[m * k + 5] : NaN }));
    },
    async squares(names, c) {
      const select = names.map((nm, k) => {
        const dev = `(${frame.column(nm)} - ${d.double(c[k])})`;
        return d.kahanSum(`(${dev} * ${dev})`);
      });
      return totals(await engine.run(query(`sums of squares of ${names.join(', ')}`, select)));
    },
    async distinct(names, cap) {
      const out: (number[] | null)[] = [];
      for (const name of names) out.push(await distinctOf(name, cap));
      return out;
    },
    quantileScan(name) {
      const x = frame.column(name);
      return sqlQuantileScan(d, from, layers, x, A.ok, `ggeffects: ${name}`, run);
    },
  };

  /** one query: a GROUP BY of the covariate, LIMIT one past the cap (a ClickHouse shard each: merged here) */
  async function distinctOf(name: string, cap: number): Promise<number[] | null> {
    const x = frame.column(name);
    const q: GramQuery = {
      stage: `ggeffects: distinct values of ${name}`,
      sql: d.query({ source: from, layers, select: [x, d.count], where: A.ok, groupBy: [x], limit: cap + 1 }),
      keys: ['numeric'], values: 1,
    };
    const r = await engine.run(q);
    const seen = new Set<number>();
    for (const k of r.keys[0]) if (typeof k === 'number') seen.add(k);
    return seen.size > cap ? null : [...seen].sort((a, b) => a - b);
  }
}
