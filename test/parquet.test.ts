/** Parquet input in the library (readParquet) and from files (readTableFileAsync), and a fit from it. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { readTableFileAsync, readTableFile } from '../src/io/node.js';
import { lmer } from '../src/fit/lmer.js';
import { loadData, loadReference } from './helpers/reference.js';

describe('Parquet', () => {
  it('sleepstudy written as Parquet reads back with the CSV reader\'s typing and fits the same model', async () => {
    const ref = loadReference('sleepstudy_slopes_reml');
    const csv = loadData(ref);
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'Reaction', data: Float64Array.from(csv.getChild('Reaction')!.toArray() as Float64Array), type: 'DOUBLE' },
        { name: 'Days', data: Float64Array.from(csv.getChild('Days')!.toArray() as Float64Array), type: 'DOUBLE' },
        { name: 'Subject', data: Array.from(csv.getChild('Subject')!.toArray() as Float64Array, (v) => String(v)), type: 'STRING' },
      ],
    });
    const dir = mkdtempSync(join(tmpdir(), 'mixedgpu-pq-'));
    try {
      const path = join(dir, 'sleepstudy.parquet');
      writeFileSync(path, new Uint8Array(buf));
      const { table, warnings } = await readTableFileAsync(path);
      expect(warnings).toEqual([]);
      expect(table.numRows).toBe(180);
      expect(String(table.getChild('Subject')!.type)).toMatch(/Dictionary/);
      const fit = await lmer(ref.formula, table);
      expect(fit.objective).toBeLessThanOrEqual(ref.remlcrit! + 1e-6);
      expect(fit.ranef[0].levels).toEqual(ref.ranef[0].levels);
      expect(() => readTableFile(path)).toThrow(/read asynchronously: use readTableFileAsync/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a file that is not Parquet is a clear error naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mixedgpu-pq-'));
    try {
      const path = join(dir, 'bad.parquet');
      writeFileSync(path, 'y,x\n1,2\n');
      await expect(readTableFileAsync(path)).rejects.toThrow(/bad\.parquet: not a valid Parquet file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
