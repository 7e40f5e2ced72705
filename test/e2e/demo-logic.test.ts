/**
 * The browser app's worker-side logic, in Node (no browser): the shrinkage plot's per-group OLS
 * estimates, predictions for one row, the Parquet reader, column summaries and error placement.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { lmer, readCsv, type LmmFit } from '../../src/index.js';
import { checkColumns, placeError, predictOne, shrinkageData } from '../../demo/src/fitting.js';
import { describeColumns } from '../../demo/src/load.js';
import { readParquet } from '../../src/io/parquet.js';
import { parseFormula } from '../../src/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const sleep = readCsv(readFileSync(`${ROOT}test/fixtures/data/sleepstudy.csv`, 'utf8')).table;

describe('browser app logic', () => {
  let fit: LmmFit;

  test('shrinkage: each Subject\'s own OLS line, and β + b̂', async () => {
    fit = await lmer('Reaction ~ Days + (Days | Subject)', sleep, { factors: ['Subject'] });
    const [s] = shrinkageData(fit);
    expect(s!.group).toBe('Subject');
    expect(s!.cnames).toEqual(['(Intercept)', 'Days']);
    expect(s!.adjustedFor).toEqual([]);
    // subject 308, by hand: least squares of Reaction on Days over its 10 rows
    const y = sleep.getChild('Reaction')!.toArray() as Float64Array;
    const d = sleep.getChild('Days')!.toArray() as Float64Array;
    const g = sleep.getChild('Subject')!.toArray() as Float64Array;
    const rows = [...g.keys()].filter((i) => g[i] === 308);
    const mx = rows.reduce((a, i) => a + d[i]!, 0) / rows.length;
    const my = rows.reduce((a, i) => a + y[i]!, 0) / rows.length;
    const slope = rows.reduce((a, i) => a + (d[i]! - mx) * (y[i]! - my), 0) / rows.reduce((a, i) => a + (d[i]! - mx) ** 2, 0);
    const k = fit.ranef[0]!.levels.indexOf('308');
    expect(s!.count[k]).toBe(10);
    expect(s!.ols[1]![k]).toBeCloseTo(slope, 9);
    expect(s!.ols[0]![k]).toBeCloseTo(my - slope * mx, 9);
    expect(s!.pooled[1]![k]).toBeCloseTo(fit.fixef.Days! + fit.ranef[0]!.values.Days![k]!, 12);
    // partial pooling: the spread of the pooled slopes is smaller than that of the own slopes
    const sd = (a: Float64Array) => Math.sqrt(a.reduce((s2, v) => s2 + (v - a.reduce((m, w) => m + w, 0) / a.length) ** 2, 0) / a.length);
    expect(sd(s!.pooled[1]!)).toBeLessThan(sd(s!.ols[1]!));
  });

  test('predictions: population level and an existing Subject', () => {
    const p = predictOne(fit, sleep, { Days: '4.5', Subject: '308' }, []);
    expect(p.population).toBeCloseTo(fit.fixef['(Intercept)']! + 4.5 * fit.fixef.Days!, 9);
    const k = fit.ranef[0]!.levels.indexOf('308');
    expect(p.conditional).toBeCloseTo(p.population + fit.ranef[0]!.values['(Intercept)']![k]! + 4.5 * fit.ranef[0]!.values.Days![k]!, 9);
    const q = predictOne(fit, sleep, { Days: '4.5' }, ['Subject']);
    expect(q.conditional).toBeCloseTo(q.population, 12);
    expect(q.groups).toBe('Subject = a new level');
    expect(() => predictOne(fit, sleep, { Days: 'x', Subject: '308' }, [])).toThrow(/Days must be a number/);
    expect(() => predictOne(fit, sleep, { Days: '1', Subject: '999' }, [])).not.toThrow();
  });

  test('Parquet: numbers, integers and strings to Arrow columns, nulls kept', async () => {
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'y', data: Float64Array.of(1.5, 2.5, 3.5), type: 'DOUBLE' },
        { name: 'n', data: [1n, null, 3n], type: 'INT64', nullable: true },
        { name: 'g', data: ['b', 'a', null], type: 'STRING', nullable: true },
      ],
    });
    const { table: t, warnings } = await readParquet(buf);
    expect(warnings).toEqual([]);
    expect(t.numRows).toBe(3);
    expect(Array.from(t.getChild('y')!.toArray() as Float64Array)).toEqual([1.5, 2.5, 3.5]);
    expect([...t.getChild('n')!].map((v) => (v === null ? null : Number(v)))).toEqual([1, null, 3]);
    expect([...t.getChild('g')!]).toEqual(['b', 'a', null]);
    const cols = describeColumns(t);
    expect(cols.map((c) => [c.name, c.kind, c.nulls])).toEqual([['y', 'numeric', 0], ['n', 'numeric', 1], ['g', 'factor', 1]]);
    expect(cols[2]!.distinct).toBe(2);
    await expect(readParquet(new Uint8Array([1, 2, 3, 4]).buffer)).rejects.toThrow(/not a valid Parquet file/);
  });

  test('errors are placed beside their cause', () => {
    const req = { formula: 'Reaction ~ Dayz + (1 | Subject)', factors: [], reml: true, backend: 'cpu' as const, family: 'gaussian' as const };
    try {
      checkColumns(parseFormula(req.formula), sleep, req);
      expect.unreachable();
    } catch (e) {
      const p = placeError(e);
      expect(p.where).toBe('formula');
      expect(p.message).toMatch(/unknown column 'Dayz'/);
      expect(p.position).toBe(req.formula.indexOf('Dayz'));
    }
    let fe: unknown;
    try { parseFormula('y ~ x +'); } catch (e) { fe = e; }
    const placed = placeError(fe);
    expect(placed.where).toBe('formula');
    expect(placed.position).toBe(6);
    expect(placed.message).not.toMatch(/\n/);
    expect(placeError(new Error('no WebGPU adapter is available')).where).toBe('options');
  });
});
