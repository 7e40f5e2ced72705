/**
 * Data whose numeric factor codes have distinct doubles with one printed label (R's as.character,
 * 15 significant digits): k ∈ {0.3, 0.1 + 0.2, 1, 1 + 2⁻⁵², 2} (levels 0.3, 1, 2) and the grouping
 * factor g ∈ {5, 5 + 2⁻⁵⁰, 6, 7, 8, 8 − 2⁻⁴⁹, 9} (levels 5 … 9). For test/gram/numericLevels.test.ts
 * and the ClickHouse part of test/gram/randomEngines.test.ts.
 */
import * as arrow from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { Rng } from '../../bench/synth.js';

export const SAME_LABEL_FACTORS = ['k', 'g'];
export const SAME_LABEL_FORMULAS = ['y ~ x + k + (1 | g)', 'y ~ x + (1 | g) + (1 | k)', 'y ~ x + (0 + k | g)'];

export function sameLabelData(n = 120): { table: arrow.Table; parquet: Uint8Array; csv: string } {
  const rng = new Rng(11);
  const K = [0.3, 0.1 + 0.2, 1, 1 + 2 ** -52, 2];
  const G = [5, 5 + 2 ** -50, 6, 7, 8, 8 - 2 ** -49, 9];
  const effK = [0, 0, 1, 1, -0.5];
  const effG = [0.3, 0.3, -0.4, 0.8, 0.1, 0.1, -0.6];
  const x: number[] = [], k: number[] = [], g: number[] = [], y: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = i % K.length, b = rng.int(G.length);
    x.push(rng.normal());
    k.push(K[a]);
    g.push(G[b]);
    y.push(1 + 0.5 * x[i] + effK[a] + effG[b] + 0.4 * rng.normal());
  }
  const table = new arrow.Table({
    y: arrow.vectorFromArray(y, new arrow.Float64()),
    x: arrow.vectorFromArray(x, new arrow.Float64()),
    k: arrow.vectorFromArray(k, new arrow.Float64()),
    g: arrow.vectorFromArray(g, new arrow.Float64()),
  });
  const parquet = new Uint8Array(parquetWriteBuffer({
    columnData: [{ name: 'y', data: y, type: 'DOUBLE' }, { name: 'x', data: x, type: 'DOUBLE' }, { name: 'k', data: k, type: 'DOUBLE' }, { name: 'g', data: g, type: 'DOUBLE' }],
    rowGroupSize: 50,
  }));
  const csv = `y,x,k,g\n${y.map((_, i) => [y[i], x[i], k[i], g[i]].map(String).join(',')).join('\n')}\n`;
  return { table, parquet, csv };
}
