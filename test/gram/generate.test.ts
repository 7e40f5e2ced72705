/**
 * The out-of-core benchmarks' data (bench/gram/generate.ts) are what its header describes: x
 * independent of w and of the noise (the OLS slope of y on x is 0.5), w constant within a group,
 * at most 10 levels of h per group (about 10 with 100 rows per group), 1 000 levels of h.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateParquet } from '../../bench/gram/generate.js';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';

let dir: string;
let duck: DuckDbEngine;
let from: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mixedgpu-generate-'));
  const file = join(dir, 'g.parquet');
  await generateParquet(file, 200_000, 2_000);
  from = duckdbSource(file);
  duck = await DuckDbEngine.open({ threads: 1 });
}, 60_000);
afterAll(async () => {
  await duck?.close();
  rmSync(dir, { recursive: true, force: true });
});

const num = (v: unknown) => Number(v);

describe('bench/gram/generate.ts', () => {
  it('x ~ N(1, 1) independent of w and of the noise; w ~ N(0, 1) constant within g', async () => {
    const [r] = await duck.rows(`SELECT regr_slope(y, x) AS slope, corr(x, w) AS cxw, avg(x) AS mx, stddev_pop(x) AS sx, count(*) AS n FROM ${from}`, 'check');
    expect(num(r.n)).toBe(200_000);
    // the slope's standard error is about 0.004 here
    expect(Math.abs(num(r.slope) - 0.5)).toBeLessThan(0.03);
    expect(Math.abs(num(r.cxw))).toBeLessThan(0.02);
    expect(Math.abs(num(r.mx) - 1)).toBeLessThan(0.02);
    expect(Math.abs(num(r.sx) - 1)).toBeLessThan(0.02);
    const [g] = await duck.rows(`SELECT max(nw) AS most, count(*) AS groups, avg(w) AS mw, stddev_pop(w) AS sw FROM (SELECT g, count(DISTINCT w) AS nw, any_value(w) AS w FROM ${from} GROUP BY g)`, 'check');
    expect(num(g.most)).toBe(1);
    expect(num(g.groups)).toBe(2_000);
    expect(Math.abs(num(g.mw))).toBeLessThan(0.1);
    expect(Math.abs(num(g.sw) - 1)).toBeLessThan(0.1);
  });

  it('h: 1 000 levels, at most 10 per group, nearly all 10 with 100 rows per group', async () => {
    const [r] = await duck.rows(`SELECT count(DISTINCT h) AS levels FROM ${from}`, 'check');
    expect(num(r.levels)).toBe(1_000);
    const [p] = await duck.rows(`SELECT max(nh) AS most, avg(nh) AS mean FROM (SELECT g, count(DISTINCT h) AS nh FROM ${from} GROUP BY g)`, 'check');
    expect(num(p.most)).toBe(10);
    expect(num(p.mean)).toBeGreaterThan(9.9);
  });
});
