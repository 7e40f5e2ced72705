/**
 * The reference grid's summaries from a cell table (src/gram/gridCells.ts) and their merge across an
 * engine's partial results (src/gram/moments.ts mergeCells), on hand-made cells whose answers are
 * known exactly: sums add, extremes merge, a merged cell has a third value where its parts' values
 * are more than two together, and a two-valued covariate's rows at its larger value are
 * (Σv − n·a)/(b − a). Exact equality: every number here is a small integer or a sum of them.
 */
import { describe, expect, it } from 'vitest';
import { type CellTable, type FrameSummary, type MomentPlan, mergeCells } from '../../src/gram/moments.js';
import { gridCells, twoValueCandidates } from '../../src/gram/gridCells.js';
import { orderLevels } from '../../src/gram/levels.js';

const plan = { pairs: [], cellFactors: ['A'], covariates: ['d', 'x'] } as unknown as MomentPlan;
const summary = { n: 0, levels: new Map([['A', orderLevels('text', ['a1', 'a2'], [], 'C')]]) } as unknown as FrameSummary;

/** parts of cells: (ok, level of A, n, per covariate [sum, min, max, many]) */
function table(rows: [number, string, number, [number, number, number, number][]][], withMany: boolean): CellTable {
  return {
    ok: Uint8Array.from(rows, (r) => r[0]),
    keys: [rows.map((r) => r[1])],
    n: Float64Array.from(rows, (r) => r[2]),
    sums: [],
    comoments: [],
    covariates: [0, 1].map((k) => ({
      sum: Float64Array.from(rows, (r) => r[3][k][0]),
      min: Float64Array.from(rows, (r) => r[3][k][1]),
      max: Float64Array.from(rows, (r) => r[3][k][2]),
      ...(withMany ? { many: Uint8Array.from(rows, (r) => r[3][k][3]) } : {}),
    })),
  };
}

describe('the grid summaries from cells', () => {
  it('a stream\'s parts merged: d two-valued (0/1) with its counts per cell; x with values {1, 3} and {1, 2} in one cell has three', () => {
    // cell a1 in two parts: d = 0,1,1 (Σ 2) and 1,0 (Σ 1); x = 1,3,3 and 1,2 → a1 has x ∈ {1, 2, 3}
    // cell a2: d = 0,0 (Σ 0); x = 1,1; and an incomplete cell, not used
    const t = mergeCells(plan, table([
      [1, 'a1', 3, [[2, 0, 1, 0], [7, 1, 3, 0]]],
      [1, 'a2', 2, [[0, 0, 0, 0], [2, 1, 1, 0]]],
      [0, 'a1', 4, [[NaN, NaN, NaN, 0], [NaN, NaN, NaN, 0]]],
      [1, 'a1', 2, [[1, 0, 1, 0], [3, 1, 2, 0]]],
    ], true));
    expect(Array.from(t.n)).toEqual([5, 2, 4]);
    expect(Array.from(t.covariates![1].many!)).toEqual([1, 0, 0]);
    expect(Array.from(t.covariates![0].many!)).toEqual([0, 0, 0]);
    const g = gridCells(plan, t, { ...summary, n: 7 } as FrameSummary);
    expect(g.covariates.get('d')).toEqual({ mean: 3 / 7, min: 0, max: 1, values: [0, 1], codes: null });
    expect(g.covariates.get('x')).toEqual({ mean: 12 / 7, min: 1, max: 3, values: null, codes: null });
    expect(Array.from(g.cellCounts.n)).toEqual([5, 2]);
    expect(Array.from(g.cellCounts.levels[0])).toEqual([0, 1]);
    expect(Array.from(g.cellCounts.upper.get('d')!)).toEqual([3, 0]);
    expect(twoValueCandidates(plan, t)).toEqual([]);
  });

  it('SQL cells (no per-cell flag): the candidates, and the count over the rows decides', () => {
    // d: cells' extremes {0, 1}; x: {2, 5} in both cells — both candidates
    const t = table([
      [1, 'a1', 3, [[1, 0, 1, 0], [9, 2, 5, 0]]],
      [1, 'a2', 2, [[2, 1, 1, 0], [10, 5, 5, 0]]],
    ], false);
    expect(twoValueCandidates(plan, t)).toEqual([{ name: 'd', a: 0, b: 1 }, { name: 'x', a: 2, b: 5 }]);
    const s = { ...summary, n: 5 } as FrameSummary;
    expect(() => gridCells(plan, t, s)).toThrow(/internal: whether 'd' takes a third value is not known/);
    // the engine's count of used rows with x ∉ {2, 5}: 1, so x takes a third value
    const g = gridCells(plan, t, s, new Map([['d', 0], ['x', 1]]));
    expect(g.covariates.get('d')!.values).toEqual([0, 1]);
    expect(g.covariates.get('x')!.values).toBeNull();
    expect(Array.from(g.cellCounts.upper.get('d')!)).toEqual([1, 2]);
    expect(g.cellCounts.upper.has('x')).toBe(false);
    // with no third value x is two-valued: rows at 5 per cell (9 − 3·2)/3 = 1 and (10 − 2·2)/3 = 2
    const h = gridCells(plan, t, s, new Map([['d', 0], ['x', 0]]));
    expect(Array.from(h.cellCounts.upper.get('x')!)).toEqual([1, 2]);
  });
});
