/**
 * The engines' `levelOrder` option: text factors' levels in R's collation by default (a < B < c),
 * or by code points with 'C' (B < a < c, R in the C locale; readCsv's `levelOrder: 'C'`), as the
 * in-memory frame orders them: the reference level, the columns' names and the grouping factors'
 * levels (stream from CSV, DuckDB on the CSV file).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../../src/io/csv.js';
import { buildLmm } from '../../src/lmm/model.js';
import { gramFromStream } from '../../src/gram/stream/streamSource.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { gramFromSql } from '../../src/gram/sql/sqlSource.js';
import type { GramSourceResult } from '../../src/gram/source.js';
import { Rng } from '../../bench/synth.js';

const rng = new Rng(5);
const lines = ['y,x,a,g'];
for (let i = 0; i < 60; i++) lines.push([rng.normal().toFixed(4), rng.normal().toFixed(4), ['B', 'a', 'c'][i % 3], ['h', 'G', 'g', 'H'][rng.int(4)]].join(','));
const csv = `${lines.join('\n')}\n`;
const formula = 'y ~ x + a + (1 | g)';

let dir: string;
let duck: DuckDbEngine;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mixedgpu-level-order-'));
  writeFileSync(join(dir, 'd.csv'), csv);
  duck = await DuckDbEngine.open({ threads: 1 });
});
afterAll(async () => {
  await duck?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the engines order text levels as readCsv levelOrder does', () => {
  for (const order of ['locale', 'C'] as const) {
    it(`levelOrder ${order}`, async () => {
      const model = buildLmm(formula, readCsv(csv, { levelOrder: order }).table);
      expect(model.frame.xnames).toEqual(order === 'C' ? ['(Intercept)', 'x', 'aa', 'ac'] : ['(Intercept)', 'x', 'aB', 'ac']);
      const src = await openBatchSource(join(dir, 'd.csv'));
      let stream: GramSourceResult;
      try {
        stream = await gramFromStream(src, formula, order === 'C' ? { levelOrder: 'C' } : {});
      } finally {
        await src.close();
      }
      const file = join(dir, 'd.csv');
      const sql = await gramFromSql(duck, { from: duckdbSource(file), name: file }, formula, order === 'C' ? { levelOrder: 'C' } : {});
      for (const got of [stream, sql]) {
        expect(got.summary.xnames, got.engine).toEqual(model.frame.xnames);
        expect(got.reTerms.map((t) => t.levels), got.engine).toEqual(model.frame.reTerms.map((t) => t.levels));
      }
    });
  }
});

describe('the stream takes the order an Arrow IPC file marks (readCsv levelOrder C\'s field metadata)', () => {
  it('a C-order table written as IPC streams in C order without the option, as the table fits in memory', async () => {
    const table = readCsv(csv, { levelOrder: 'C' }).table;
    const model = buildLmm(formula, table);
    expect(model.frame.xnames).toEqual(['(Intercept)', 'x', 'aa', 'ac']);
    const file = join(dir, 'c-order.arrow');
    writeFileSync(file, tableToIPC(table, 'file'));
    for (const options of [{}, { levelOrder: 'locale' as const }]) {
      const src = await openBatchSource(file);
      try {
        const got = await gramFromStream(src, formula, options);
        // the caller's option wins over the file's mark
        const expected = 'levelOrder' in options ? ['(Intercept)', 'x', 'aB', 'ac'] : model.frame.xnames;
        expect(got.summary.xnames).toEqual(expected);
        if (!('levelOrder' in options)) expect(got.reTerms.map((t) => t.levels)).toEqual(model.frame.reTerms.map((t) => t.levels));
      } finally {
        await src.close();
      }
    }
  });
});
