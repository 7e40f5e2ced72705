/**
 * The model frame's fast paths against the general ones they replace (src/frame/columns.ts,
 * src/frame/modelMatrix.ts, src/backend/cpu/gram.ts):
 *  - a dictionary column read through its dictionary equals the same strings read row by row
 *    (factorFromStrings), with null rows, null and unused dictionary entries, several chunks, a slice;
 *  - numeric and boolean columns read from their buffers equal the Arrow iterator's values;
 *  - numericToFactor / interactFactors with a direct table equal the sorted-set path;
 *  - the rank check on the TSQR factor R drops the same columns as Gram–Schmidt on X;
 *  - formGramCpu equals a row-by-row accumulation of [Z X y]ᵀ[Z X y].
 */
import { describe, expect, it } from 'vitest';
import * as arrow from 'apache-arrow';
import { columnFromArrow, factorFromStrings, interactFactors, numericToFactor, type FactorColumn } from '../src/frame/columns.js';
import { dropRankDeficient, triangularFactor } from '../src/frame/modelMatrix.js';
import { formGramCpu } from '../src/backend/cpu/gram.js';
import type { GramInput } from '../src/linalg/gram.js';
import { Rng } from '../bench/synth.js';

/** a Dictionary<Utf8, Int32> chunk with the given indices, dictionary (null entries allowed) and nulls */
function dictChunk(indices: number[], dict: (string | null)[], nullRows: number[] = []): arrow.Data {
  const validity = new Uint8Array(Math.ceil(indices.length / 8)).fill(255);
  for (const i of nullRows) validity[i >> 3] &= ~(1 << (i & 7));
  const dictVec = arrow.vectorFromArray(dict, new arrow.Utf8());
  return arrow.makeData({
    type: new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()), length: indices.length, nullCount: nullRows.length,
    data: Int32Array.from(indices), dictionary: dictVec, ...(nullRows.length ? { nullBitmap: validity } : {}),
  });
}

function tableOf(name: string, chunks: arrow.Data[]): arrow.Table {
  return new arrow.Table({ [name]: arrow.makeVector(chunks) });
}

/** the strings the Arrow iterator gives, as the frame used to read them */
function iterStrings(t: arrow.Table, name: string): (string | null)[] {
  return [...t.getChild(name)!].map((v) => (v == null ? null : String(v)));
}

describe('dictionary and buffer readers equal the row-by-row readers', () => {
  it('a dictionary column with nulls, null and unused entries, in two chunks', () => {
    const dict = ['b', null, 'a10', 'a2', 'unused', 'B'];
    const t = tableOf('f', [dictChunk([0, 2, 3, 1, 5, 0, 3], dict, [5]), dictChunk([3, 3, 0, 2], ['zz', 'a2', 'b', 'a2'])]);
    const fast = columnFromArrow(t, 'f') as FactorColumn;
    const slow = factorFromStrings(iterStrings(t, 'f'));
    expect(fast).toEqual(slow);
    expect(fast.levels).not.toContain('unused');
  });

  it('numeric-looking levels sort numerically; a sliced table', () => {
    const dict = ['10', '9', '100', '-1'];
    const t = tableOf('f', [dictChunk([0, 1, 2, 3, 1, 0, 2, 2, 3], dict, [1])]).slice(2, 8);
    expect(columnFromArrow(t, 'f')).toEqual(factorFromStrings(iterStrings(t, 'f')));
  });

  it('a dictionary already in R\'s order is used as is; one in another order is sorted', () => {
    const n = 1000;
    const rng = new Rng(3);
    const idx = Array.from({ length: n }, () => rng.int(26));
    const letters = Array.from({ length: 26 }, (_, k) => String.fromCharCode(97 + k));
    for (const dict of [letters, [...letters].reverse()]) {
      const t = tableOf('f', [dictChunk(idx, dict)]);
      expect(columnFromArrow(t, 'f')).toEqual(factorFromStrings(iterStrings(t, 'f')));
    }
  });

  it('numeric (float64 with nulls, float32, int32, int64, uint8) and boolean columns', () => {
    const vals = [1.5, null, -2, 3, null, 7];
    const cases: [arrow.DataType, (number | bigint | null)[]][] = [
      [new arrow.Float64(), vals], [new arrow.Float32(), vals], [new arrow.Int32(), [1, null, -2, 3, null, 7]],
      [new arrow.Int64(), [1n, null, -2n, 3n, null, 7n]], [new arrow.Uint8(), [1, null, 2, 3, null, 7]],
    ];
    for (const [type, v] of cases) {
      const vec = arrow.vectorFromArray(v, type);
      const t = new arrow.Table({ x: vec }).slice(1);
      const col = columnFromArrow(t, 'x');
      expect(col.kind).toBe('numeric');
      const want = [...t.getChild('x')!].map((a) => (a == null ? NaN : Number(a)));
      expect(Array.from((col as { values: Float64Array }).values)).toEqual(want);
    }
    const b = new arrow.Table({ b: arrow.vectorFromArray([true, null, false, true, false], new arrow.Bool()) }).slice(1);
    expect(columnFromArrow(b, 'b')).toEqual({ kind: 'factor', codes: Int32Array.from([-1, 0, 1, 0]), levels: ['FALSE', 'TRUE'], logical: true });
  });
});

describe('factor fast paths equal the sorted-set paths', () => {
  it('numericToFactor: small integer ids (direct table) and other numbers (sorted set)', () => {
    const ids = Float64Array.from([5, 3, NaN, 3, 0, 17, 5]);
    expect(numericToFactor({ kind: 'numeric', values: ids })).toEqual({ kind: 'factor', codes: Int32Array.from([2, 1, -1, 1, 0, 3, 2]), levels: ['0', '3', '5', '17'] });
    const other = Float64Array.from([2.5, -1, 2.5, 1e12, NaN]);
    expect(numericToFactor({ kind: 'numeric', values: other })).toEqual({ kind: 'factor', codes: Int32Array.from([1, 0, 1, 2, -1]), levels: ['-1', '2.5', '1000000000000'] });
  });

  it('interactFactors: direct table and hashed keys give the same factor', () => {
    const rng = new Rng(5);
    const n = 500;
    const mk = (L: number, miss: boolean): FactorColumn => ({
      kind: 'factor', levels: Array.from({ length: L }, (_, k) => `l${k}`),
      codes: Int32Array.from({ length: n }, () => (miss && rng.uniform() < 0.05 ? -1 : rng.int(L))),
    });
    const a = mk(7, true), b = mk(5, false);
    const direct = interactFactors([a, b]);
    // a key space larger than the direct table's limit takes the hashed path
    const big: FactorColumn = { kind: 'factor', levels: Array.from({ length: 70_000 }, (_, k) => `m${k}`), codes: b.codes };
    const bigA: FactorColumn = { kind: 'factor', levels: Array.from({ length: 1100 }, (_, k) => (k < 7 ? `l${k}` : `x${k}`)), codes: a.codes };
    const hashed = interactFactors([bigA, big]);
    expect(hashed.codes).toEqual(direct.codes);
    expect(hashed.levels).toEqual(direct.levels.map((l) => l.replace(/:l(\d)$/, ':m$1')));
  });
});

/** the rank check as it was: modified Gram–Schmidt on X's columns, two passes */
function gramSchmidtDrops(cols: Float64Array[], names: string[], tol = 1e-7): string[] {
  const basis: Float64Array[] = [];
  const dropped: string[] = [];
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);
  cols.forEach((col, j) => {
    const r = Float64Array.from(col);
    const norm0 = Math.sqrt(dot(r, r));
    for (let pass = 0; pass < 2; pass++) for (const q of basis) { const c = dot(q, r); for (let i = 0; i < r.length; i++) r[i] -= c * q[i]; }
    const norm = Math.sqrt(dot(r, r));
    if (norm0 === 0 || norm <= tol * norm0) { dropped.push(names[j]); return; }
    basis.push(r.map((v) => v / norm));
  });
  return dropped;
}

describe('the rank check on the TSQR factor', () => {
  it('R of a random X satisfies RᵀR = XᵀX', () => {
    const rng = new Rng(7);
    const n = 1000, p = 6;
    const cols = Array.from({ length: p }, () => Float64Array.from({ length: n }, () => rng.normal()));
    const R = triangularFactor(cols);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
      let xtx = 0, rtr = 0;
      for (let i = 0; i < n; i++) xtx += cols[a][i] * cols[b][i];
      for (let k = 0; k < p; k++) rtr += R[k * p + a] * R[k * p + b];
      expect(Math.abs(xtx - rtr)).toBeLessThan(1e-10 * n);
    }
  });

  it('drops what Gram–Schmidt on X drops: exact and near collinearity, a zero column, large means', () => {
    const rng = new Rng(11);
    const n = 777;
    const one = new Float64Array(n).fill(1);
    const x = Float64Array.from({ length: n }, () => rng.normal());
    const w = Float64Array.from({ length: n }, () => 1e6 + rng.normal());
    const f = Float64Array.from({ length: n }, () => (rng.uniform() < 0.4 ? 1 : 0));
    const cols = [one, x, Float64Array.from(x, (v, i) => 2 * v - 3), w, f, Float64Array.from(f, (v) => 1 - v),
      new Float64Array(n), Float64Array.from(x, (v, i) => v + 1e-9 * (i % 3)), Float64Array.from(x, (v, i) => v + 1e-3 * (i % 3))];
    const names = cols.map((_, k) => `c${k}`);
    const { dropped, kept } = dropRankDeficient({ names, columns: cols });
    expect(dropped).toEqual(gramSchmidtDrops(cols, names));
    expect(dropped).toEqual(['c2', 'c5', 'c6', 'c7']);
    expect(kept.names).toEqual(['c0', 'c1', 'c3', 'c4', 'c8']);
  });
});

describe('formGramCpu', () => {
  it('equals a row-by-row accumulation, q = 1, 2, 3 and two blocks', () => {
    const rng = new Rng(13);
    const n = 3000, p = 3;
    const X = Float64Array.from({ length: n * p }, () => rng.normal());
    const y = Float64Array.from({ length: n }, () => rng.normal());
    for (const qs of [[1], [2], [3], [2, 1]]) {
      const blocks = qs.map((q, k) => {
        const nl = 40 + 13 * k;
        return { group: `g${k}`, levels: Array.from({ length: nl }, (_, c) => `${c}`), nl, q, thetaIndex: new Int32Array(q * q), codes: Int32Array.from({ length: n }, () => rng.int(nl)), Z: Float64Array.from({ length: n * q }, () => rng.normal()) };
      });
      const input = { n, X, p, y, blocks } as unknown as GramInput;
      const g = formGramCpu(input);
      const p1 = p + 1;
      const AXX = new Float64Array(p1 * p1);
      const row = (i: number) => [...Array.from({ length: p }, (_, r) => X[r * n + i]), y[i]];
      for (let i = 0; i < n; i++) { const v = row(i); for (let r = 0; r < p1; r++) for (let s = 0; s < p1; s++) AXX[r * p1 + s] += v[r] * v[s]; }
      g.AXX.forEach((v, e) => expect(v).toBeCloseTo(AXX[e], 9));
      blocks.forEach((b, k) => {
        const q = b.q, m = b.nl * q;
        const Akk = new Float64Array(b.nl * q * q), AXk = new Float64Array(p1 * m);
        for (let i = 0; i < n; i++) {
          const c = b.codes[i], v = row(i);
          for (let s = 0; s < q; s++) {
            for (let t = 0; t < q; t++) Akk[c * q * q + s * q + t] += b.Z[i * q + s] * b.Z[i * q + t];
            for (let r = 0; r < p1; r++) AXk[r * m + c * q + s] += v[r] * b.Z[i * q + s];
          }
        }
        g.Akk[k].forEach((v, e) => expect(v).toBeCloseTo(Akk[e], 10));
        g.AXk[k].forEach((v, e) => expect(v).toBeCloseTo(AXk[e], 10));
      });
      expect(g.yty).toBeCloseTo(y.reduce((s, v) => s + v * v, 0), 9);
    }
  });
});
