/**
 * Synthetic data for the out-of-core benchmarks, written by DuckDB straight to Parquet (no JS
 * memory): `y ~ x + w + (x | g) + (1 | h)` with
 *   y = 2 + 0.5 x − 0.3 w + b₀_g + b₁_g x + c_h + ε,
 *   x ~ N(1, 1) per row, w ~ N(0, 1) per level of g (constant within g),
 *   b₀_g ~ N(0, 0.8²), b₁_g ~ N(0, 0.3²) independent, c_h ~ N(0, 0.5²), ε ~ N(0, 1),
 * `groups` levels of g (rows assigned uniformly at random) and h of 1 000 levels crossed with g: a
 * row's h is one of 10 consecutive levels from its group's own start, so each group sees at most 10
 * (with 100 rows per group, nearly all 10: about 10 pairs of levels per group).
 * Deterministic: every random number is a hash of (row or level index, stream number). Each stream
 * is hash(hash(a) xor b): DuckDB's two-argument hash(a, b) combines hash(a) and hash(b) by xor, so
 * its streams b are not independent (hash(i, 2) and hash(i, 7) correlate at 0.53, and x was
 * correlated with the noise: an OLS slope of 1.48, not 0.5, in the files the first version wrote).
 *
 *   node dist/bench/gram/generate.js --rows 100000000 --groups 1000000 --out bench/out/data/big.parquet
 */
import { statSync } from 'node:fs';
import { DuckDbEngine } from '../../src/gram/sql/duckdb.js';
import { duckdb } from '../../src/gram/sql/dialect.js';

export async function generateParquet(out: string, rows: number, groups: number, hLevels = 1000, rowGroup = 1 << 20): Promise<number> {
  const engine = await DuckDbEngine.open({ memoryLimit: '1GB' });
  try {
    // 64 random bits of stream b at index a; uniform in (0, 1) from 53 of them; normal by Box–Muller
    await engine.exec('CREATE MACRO h64(a, b) AS hash(xor(hash(a), b::UBIGINT))', 'macro');
    await engine.exec("CREATE MACRO unif(a, b) AS ((h64(a, b) >> 11)::DOUBLE + 0.5) / 9007199254740992.0", 'macro');
    await engine.exec('CREATE MACRO norm(a, b) AS sqrt(-2 * ln(unif(a, b))) * cos(2 * pi() * unif(a, b + 1000))', 'macro');
    const sql = `COPY (
      SELECT g, h, x, w, 2 + 0.5 * x - 0.3 * w + 0.8 * norm(g, 4) + 0.3 * norm(g, 5) * x + 0.5 * norm(h, 6) + norm(i, 7) AS y
      FROM (
        SELECT i, g, ((h64(g, 8) % ${hLevels}) + (h64(i, 9) % 10)) % ${hLevels} AS h, 1 + norm(i, 2) AS x, norm(g, 3) AS w
        FROM (SELECT i, (h64(i, 1) % ${groups}) AS g FROM range(${rows}) t(i))
      )
    ) TO ${duckdb.text(out)} (FORMAT PARQUET, ROW_GROUP_SIZE ${rowGroup})`;
    await engine.exec(sql, 'generating');
  } finally {
    await engine.close();
  }
  return statSync(out).size;
}

if (process.argv[1]?.endsWith('generate.js')) {
  const arg = (k: string, d: string) => { const i = process.argv.indexOf(`--${k}`); return i > 0 ? process.argv[i + 1] : d; };
  const out = arg('out', 'bench/out/data/big.parquet');
  const t = performance.now();
  const size = await generateParquet(out, Number(arg('rows', '1000000')), Number(arg('groups', '10000')));
  console.log(`${out}: ${(size / 1e9).toFixed(2)} GB in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
