/**
 * The engines' GLMM benches' rows on disk: the synthetic y, x, g columns (bench/synth.ts) as a
 * Parquet file (row groups of 100,000; g as strings g1, g2, …) and as the table `obs` of a DuckDB
 * database file loaded from it (one thread), both in `dir`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { DuckDbEngine } from '../src/gram/sql/duckdb.js';

export async function writeGlmmEngineFiles(
  dir: string,
  columns: { y: ArrayLike<number>; x: ArrayLike<number>; g: ArrayLike<number> },
): Promise<{ parquet: string; database: string }> {
  const { y, x, g } = columns;
  const parquet = join(dir, 'obs.parquet');
  writeFileSync(parquet, new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: 'y', data: Array.from(y), type: 'DOUBLE' },
      { name: 'x', data: Array.from(x), type: 'DOUBLE' },
      { name: 'g', data: Array.from(g, (k) => `g${k + 1}`), type: 'STRING' },
    ],
    rowGroupSize: 100_000,
  })));
  const database = join(dir, 'obs.duckdb');
  const load = await DuckDbEngine.open({ database, threads: 1 });
  try {
    await load.exec(`CREATE TABLE obs AS SELECT * FROM read_parquet('${parquet}')`, 'loading the table');
  } finally {
    await load.close();
  }
  return { parquet, database };
}
