import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { generateLmmData, Rng } from '../bench/synth.js';
import { writeColumnsCsv } from '../bench/write-csv.js';
import { readCsvFile } from '../src/io/node.js';

function meanSd(a: ArrayLike<number>): [number, number] {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  const m = s / a.length;
  let ss = 0;
  for (let i = 0; i < a.length; i++) ss += (a[i]! - m) ** 2;
  return [m, Math.sqrt(ss / (a.length - 1))];
}

describe('Rng', () => {
  it('is deterministic and roughly uniform / normal', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xa);
    const r = new Rng(7);
    const u = Float64Array.from({ length: 100_000 }, () => r.uniform());
    const [mu, su] = meanSd(u);
    expect(mu).toBeCloseTo(0.5, 2);
    expect(su).toBeCloseTo(Math.sqrt(1 / 12), 2);
    const z = Float64Array.from({ length: 100_000 }, () => r.normal());
    const [mz, sz] = meanSd(z);
    expect(Math.abs(mz)).toBeLessThan(0.02);
    expect(Math.abs(sz - 1)).toBeLessThan(0.02);
  });
});

describe('generateLmmData', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateLmmData({ n: 1000, groups: 20, seed: 5, crossed: 7 });
    const b = generateLmmData({ n: 1000, groups: 20, seed: 5, crossed: 7 });
    const c = generateLmmData({ n: 1000, groups: 20, seed: 6, crossed: 7 });
    expect(b.columns.y).toEqual(a.columns.y);
    expect(b.columns.g).toEqual(a.columns.g);
    expect(b.columns.h).toEqual(a.columns.h);
    expect(c.columns.y).not.toEqual(a.columns.y);
  });

  it('shapes, Arrow types, balanced groups, w constant within group', () => {
    const { columns, table } = generateLmmData({ n: 10_007, groups: 100, seed: 1, crossed: 13 });
    const { y, x, w, g, h } = columns;
    for (const a of [y, x, w, g, h!]) expect(a.length).toBe(10_007);
    expect(table.numRows).toBe(10_007);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['y', 'x', 'w', 'g', 'h']);
    for (const n of ['y', 'x', 'w']) expect(String(table.getChild(n)!.type)).toBe('Float64');
    for (const n of ['g', 'h']) {
      const t = table.getChild(n)!.type;
      expect(arrow.DataType.isDictionary(t)).toBe(true);
    }
    // indices are shared, not copied
    expect(table.getChild('g')!.data[0]!.values).toBe(g);
    expect(table.getChild('y')!.data[0]!.values).toBe(y);
    const gLevels = table.getChild('g')!.data[0]!.dictionary!.toArray() as string[];
    expect(gLevels).toHaveLength(100);
    expect(gLevels[0]).toBe('g1');
    expect(table.getChild('g')!.get(0)).toBe(`g${g[0]! + 1}`);
    const counts = new Int32Array(100);
    const wOf = new Float64Array(100).fill(NaN);
    for (let i = 0; i < g.length; i++) {
      const k = g[i]!;
      counts[k]!++;
      if (Number.isNaN(wOf[k]!)) wOf[k] = w[i]!;
      else expect(w[i]).toBe(wOf[k]);
    }
    expect(Math.min(...counts)).toBe(100);
    expect(Math.max(...counts)).toBe(101);
    const hCounts = new Int32Array(13);
    for (let i = 0; i < h!.length; i++) hCounts[h![i]!]!++;
    expect(Math.min(...hCounts)).toBeGreaterThanOrEqual(Math.floor(10_007 / 13));
    // rows are shuffled by default, contiguous with layout 'sorted'
    expect(g.slice(0, 10)).not.toEqual(Int32Array.from({ length: 10 }, (_, i) => i));
    const s = generateLmmData({ n: 1000, groups: 10, seed: 1, layout: 'sorted' }).columns.g;
    expect(Array.from(s.slice(0, 101))).toEqual([...Array(100).fill(0), 1]);
  });

  it('empirical SDs match the parameters on 200k rows', () => {
    const sigma = 1.5;
    const { columns, truth } = generateLmmData({
      n: 200_000,
      groups: 4000,
      seed: 123,
      crossed: 400,
      sigma,
      sdIntercept: 2,
      sdSlope: 0.5,
      corr: 0.4,
    });
    const { y, x, w, g, h } = columns;
    const [bInt, bX, bW] = truth.beta as [number, number, number];
    const res = new Float64Array(y.length);
    for (let i = 0; i < y.length; i++) {
      const k = g[i]!;
      res[i] = y[i]! - (bInt + bX * x[i]! + bW * w[i]! + truth.b0[k]! + truth.b1[k]! * x[i]! + truth.c![h![i]!]!);
    }
    const [mr, sr] = meanSd(res);
    expect(Math.abs(mr)).toBeLessThan(0.02);
    expect(sr / sigma).toBeGreaterThan(0.98);
    expect(sr / sigma).toBeLessThan(1.02);
    const [, sx] = meanSd(x);
    expect(Math.abs(sx - 1)).toBeLessThan(0.01);
    const [, s0] = meanSd(truth.b0);
    const [, s1] = meanSd(truth.b1);
    const [, sw] = meanSd(truth.wGroup);
    const [, sc] = meanSd(truth.c!);
    expect(Math.abs(s0 / 2 - 1)).toBeLessThan(0.06);
    expect(Math.abs(s1 / 0.5 - 1)).toBeLessThan(0.06);
    expect(Math.abs(sw - 1)).toBeLessThan(0.06);
    expect(Math.abs(sc / 0.7 - 1)).toBeLessThan(0.15);
    // correlation of b0 and b1
    const [m0] = meanSd(truth.b0);
    const [m1] = meanSd(truth.b1);
    let cov = 0;
    for (let k = 0; k < truth.b0.length; k++) cov += (truth.b0[k]! - m0) * (truth.b1[k]! - m1);
    const r = cov / (truth.b0.length - 1) / (s0 * s1);
    expect(Math.abs(r - 0.4)).toBeLessThan(0.05);
    // total variance of y around the fixed part = sdInt² + sdSlope²·E[x²] + sdCrossed² + sigma²
    const fixedRes = Float64Array.from(y, (v, i) => v - (bInt + bX * x[i]! + bW * w[i]!));
    const [, sy] = meanSd(fixedRes);
    const expected = Math.sqrt(4 + 0.25 + 0.49 + sigma * sigma);
    expect(Math.abs(sy / expected - 1)).toBeLessThan(0.06);
  });

  it('binomial family gives 0/1 responses with the right mean', () => {
    const { columns, truth } = generateLmmData({ n: 50_000, groups: 500, seed: 9, family: 'binomial', beta: [0, 0.5, 0] });
    let ones = 0;
    let pSum = 0;
    for (let i = 0; i < columns.y.length; i++) {
      const v = columns.y[i]!;
      expect(v === 0 || v === 1).toBe(true);
      ones += v;
      const k = columns.g[i]!;
      pSum += 1 / (1 + Math.exp(-(0.5 * columns.x[i]! + truth.b0[k]! + truth.b1[k]! * columns.x[i]!)));
    }
    expect(Math.abs(ones - pSum) / columns.y.length).toBeLessThan(0.01);
  });

  it('writes CSV that readCsv reads back', () => {
    const { columns } = generateLmmData({ n: 5000, groups: 50, seed: 3, crossed: 4 });
    const dir = mkdtempSync(join(tmpdir(), 'synth-test-'));
    try {
      const p = join(dir, 'd.csv');
      writeColumnsCsv(p, columns, { chunkRows: 777 });
      const { table } = readCsvFile(p);
      expect(table.numRows).toBe(5000);
      expect(table.schema.fields.map((f) => f.name)).toEqual(['y', 'x', 'w', 'g', 'h']);
      const y = table.getChild('y')!.toArray() as Float64Array;
      for (let i = 0; i < 5000; i += 97) expect(y[i]).toBeCloseTo(columns.y[i]!, 8);
      expect(table.getChild('g')!.get(17)).toBe(`g${columns.g[17]! + 1}`);
      expect(table.getChild('h')!.get(4999)).toBe(`h${columns.h![4999]! + 1}`);
      const full = join(dir, 'full.csv');
      writeColumnsCsv(full, columns, { digits: 0 });
      const back = readCsvFile(full).table.getChild('x')!.toArray() as Float64Array;
      expect(Array.from(back)).toEqual(Array.from(columns.x));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
