/**
 * The assembly's bookkeeping on engine results without strings per row: rows' keys as numeric ids,
 * the merge of repeated keys (ClickHouse's shards), and a one-factor grouping factor's codes.
 */
import { describe, expect, it } from 'vitest';
import { type GroupSums, mergeDuplicateKeys, rowIds } from '../../src/gram/assemble.js';
import { orderInteraction, orderLevels } from '../../src/gram/levels.js';

/** the merge as one string-keyed Map would do it: first occurrences in order, Neumaier sums */
function mergeByJson(res: GroupSums): { keys: string[]; values: number[][] } {
  const at = new Map<string, number>();
  const keys: string[] = [];
  const sums: number[][] = [];
  const comp: number[][] = [];
  for (let i = 0; i < res.rows; i++) {
    const k = JSON.stringify(res.keys.map((c) => c[i]));
    let r = at.get(k);
    if (r === undefined) {
      r = keys.length;
      at.set(k, r);
      keys.push(k);
      sums.push(res.values.map((v) => v[i]));
      comp.push(res.values.map(() => 0));
      continue;
    }
    for (let c = 0; c < res.values.length; c++) {
      const a = sums[r][c], b = res.values[c][i];
      const t = a + b;
      comp[r][c] += Math.abs(a) >= Math.abs(b) ? (a - t) + b : (b - t) + a;
      sums[r][c] = t;
    }
  }
  return { keys, values: sums.map((s, r) => s.map((v, c) => v + comp[r][c])) };
}

describe('rowIds', () => {
  it('gives equal ids exactly to rows with equal keys, numbers and strings kept apart', () => {
    const keys = [[1, '1', 1, 2, 'a', 2], [7, 7, 7, 7, 7, 8]];
    const ids = rowIds(keys, 6);
    expect(ids).toBeInstanceOf(Float64Array);
    const same = (i: number, j: number) => ids[i] === ids[j];
    expect(same(0, 2)).toBe(true);
    expect(same(0, 1)).toBe(false);
    expect(same(3, 5)).toBe(false);
    expect(new Set(ids as Float64Array).size).toBe(5);
  });

  it('falls back to the keys as text past 2^53 combinations', () => {
    const n = 3000;
    const col = () => Array.from({ length: n }, (_, i) => i);
    const ids = rowIds([col(), col(), col(), col(), col()], n);
    expect(Array.isArray(ids)).toBe(true);
    expect(ids[5]).toBe(JSON.stringify([5, 5, 5, 5, 5]));
  });
});

describe('mergeDuplicateKeys', () => {
  it('returns a result without repeated keys as it is', () => {
    const res: GroupSums = { rows: 3, keys: [[3, 1, 2], ['x', 'x', 'x']], values: [Float64Array.of(1, 2, 3)] };
    expect(mergeDuplicateKeys(res)).toBe(res);
  });

  it('sums repeated keys in the order of their first occurrence, as a string-keyed merge', () => {
    // two shards' rows of the same groups, with sums that need the compensation
    const g = [5, 2, 9, 2, 5, 9, 5, 1];
    const h = ['b', 'a', 'a', 'a', 'b', 'c', 'b', 'a'];
    const v0 = Float64Array.of(1e16, 3, -1, 4, 1, 2, -1e16, 8);
    const v1 = Float64Array.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8);
    const res: GroupSums = { rows: 8, keys: [g, h], values: [v0, v1] };
    const merged = mergeDuplicateKeys(res);
    const want = mergeByJson(res);
    expect(merged.rows).toBe(want.keys.length);
    expect(merged.rows).toBe(5);
    for (let r = 0; r < merged.rows; r++) {
      expect(JSON.stringify(merged.keys.map((k) => k[r]))).toBe(want.keys[r]);
      expect(merged.values.map((v) => v[r])).toEqual(want.values[r]);
    }
    // 1e16 + 1 − 1e16 is 1 only with the compensation
    expect(merged.values[0][0]).toBe(1);
  });
});

describe('orderInteraction', () => {
  it("gives a one-component factor's codes as its levels' indices, and drops absent levels", () => {
    const rows = [[30, 10, 20, 10]];
    const comp = orderLevels('numeric', [10, 20, 30]);
    const { labels, code } = orderInteraction([comp], rows, 4);
    expect(labels).toEqual(['10', '20', '30']);
    expect([...code]).toEqual([2, 0, 1, 0]);
    // a level given but absent from the rows is dropped, as R's interaction(drop = TRUE)
    const wider = orderLevels('numeric', [10, 20, 30, 40]);
    const r2 = orderInteraction([wider], rows, 4);
    expect(r2.labels).toEqual(['10', '20', '30']);
    expect([...r2.code]).toEqual([2, 0, 1, 0]);
  });
});
