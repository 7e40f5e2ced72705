/**
 * Scans over the rows a fit from an engine used (complete cases: the model frame's `ok`), after the
 * fit, for what ggeffects's representative and typical values read of a fixed-part covariate
 * (src/inference/ggRows.ts): its count, Σx, whether it holds whole numbers, its prior-weighted sum,
 * Σ (x − c)², its distinct values up to a cap, and exact type-7 quantiles and Tukey's five numbers by
 * ./quantiles.ts's bracketing scans. The engines give the scans (./stream/usedRowsScan.ts,
 * ./sql/usedRowsScan.ts); the fit's model keeps the result on its source (not enumerable, like A),
 * and each scan is recorded there as one more stage with the rows it read.
 */
import type { UsedRowSums, UsedRowsScan } from '../frame/covariates.js';
import { FIVENUM_INNER, type QuantileScan, exactQuantiles, fivenumIndex } from './quantiles.js';

/** What an engine gives: the one-scan reductions and the quantile scans of a covariate. */
export interface UsedRowsBase {
  sums(names: string[]): Promise<UsedRowSums[]>;
  squares(names: string[], centres: number[]): Promise<number[]>;
  distinct(names: string[], cap: number): Promise<(number[] | null)[]>;
  /** whether `distinct` scans once for all its covariates (a stream) or once for each (SQL: a GROUP BY each) */
  distinctScans: 'one' | 'each';
  quantileScan(name: string): QuantileScan;
}

/** The source a fit keeps (src/lmm/model.ts RowSource): its stages and rows read. */
interface Recorded { queries: { stage: string; ms: number; rows: number }[]; rowsScanned: number; usedRows?: UsedRowsScan }

/** The scans of an engine, each recorded on the fit's source (`nInput`: the rows one scan reads). */
export function usedRowsScan(base: UsedRowsBase, source: Recorded, nInput: number, nUsed: number): UsedRowsScan {
  const timed = async <T>(stage: string, scans: (r: T) => number, step: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const r = await step();
    const k = scans(r);
    source.queries.push({ stage: `ggeffects: ${stage} (${k} scan${k === 1 ? '' : 's'})`, ms: performance.now() - t, rows: nUsed });
    source.rowsScanned += k * nInput;
    return r;
  };
  return {
    sums: (names) => timed(`sums of ${names.join(', ')}`, () => 1, () => base.sums(names)),
    squares: (names, c) => timed(`sums of squares of ${names.join(', ')}`, () => 1, () => base.squares(names, c)),
    distinct: (names, cap) => timed(`distinct values of ${names.join(', ')}`, () => (base.distinctScans === 'one' ? 1 : names.length), () => base.distinct(names, cap)),
    quantiles: async (name, probs) => (await timed(`quantiles of ${name}`, (r) => r.scans, () => exactQuantiles(base.quantileScan(name), probs))).quantiles,
    fivenum: async (name) => {
      // Tukey's hinges: ½ (x_(⌊d⌋) + x_(⌈d⌉)) at fivenum's indices d (R's fivenum)
      const r = await timed(`fivenum of ${name}`, (q) => q.scans, () => exactQuantiles(base.quantileScan(name), [0, ...FIVENUM_INNER, 1], undefined, fivenumIndex));
      return r.order.map(([a, b]) => 0.5 * (a + b));
    },
  };
}

/** Keeps the scans on a fit's source, not enumerable (copies and JSON of the source leave them out). */
export function keepUsedRows(source: Recorded, scan: UsedRowsScan): void {
  Object.defineProperty(source, 'usedRows', { value: scan, enumerable: false, writable: true, configurable: true });
}
