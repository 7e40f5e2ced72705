/**
 * ../usedRows.ts's scans over record batches: each a pass over the input, the rows used being the
 * model frame's complete rows (./evaluate.ts evaluateBatch's `ok`), a covariate its raw column as
 * the frame reads it; sums in float64 in input order (as memory sums), the distinct values in a set
 * that stops past its cap, the quantiles by ./quantileScan.ts.
 */
import type { UsedRowSums } from '../../frame/covariates.js';
import type { FrameSpec } from '../frameSpec.js';
import type { UsedRowsBase } from '../usedRows.js';
import type { BatchSource } from './batch.js';
import { type BatchFrame, evaluateBatch } from './evaluate.js';
import { streamQuantileScan } from './quantileScan.js';

export function streamUsedRows(source: BatchSource, spec: FrameSpec, batchSize = 65_536): UsedRowsBase {
  const each = async (f: (frame: BatchFrame) => void) => {
    for await (const batch of source.batches(spec.columns, batchSize)) f(evaluateBatch(spec, batch));
  };
  /** per covariate, f(x, w, k) over its values in the rows used */
  const values = (names: string[], f: (x: number, w: number, k: number) => void) => each((frame) => {
    const xs = names.map((nm) => frame.column(nm));
    const { ok, w } = frame;
    for (let i = 0; i < ok.length; i++) if (ok[i]) xs.forEach((x, k) => f(x[i], w ? w[i] : NaN, k));
  });
  return {
    distinctScans: 'one',
    async sums(names) {
      const out = names.map((): UsedRowSums => ({ n: 0, sum: 0, fracAbs: 0, abs: 0, wx: spec.weights ? 0 : NaN, w: spec.weights ? 0 : NaN }));
      await values(names, (x, w, k) => {
        const s = out[k];
        s.n++;
        s.sum += x;
        s.fracAbs += Math.abs(x - Math.round(x));
        s.abs += Math.abs(x);
        if (spec.weights) { s.wx += w * x; s.w += w; }
      });
      return out;
    },
    async squares(names, c) {
      const out = names.map(() => 0);
      await values(names, (x, _w, k) => { out[k] += (x - c[k]) * (x - c[k]); });
      return out;
    },
    async distinct(names, cap) {
      // one set per covariate, which stops growing one past the cap
      const seen = names.map(() => new Set<number>());
      await values(names, (x, _w, k) => { if (seen[k].size <= cap) seen[k].add(x); });
      return seen.map((s) => (s.size > cap ? null : [...s].sort((a, b) => a - b)));
    },
    quantileScan(name) {
      return streamQuantileScan((f) => values([name], (x) => f(x)));
    },
  };
}
