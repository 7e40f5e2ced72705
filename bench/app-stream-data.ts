/**
 * The data of the browser app's large-file benchmark (bench/app-stream.ts), written by DuckDB
 * straight to Parquet (no JS memory): `y ~ x + w + (x | g)` with `groups` levels of g (an INTEGER
 * column, rows assigned by hash), a covariate w, and only the columns the model reads,
 * so that every byte of the file is read by each pass. Deterministic: every random number is a hash
 * of the row or level index (bench/gram/generate.ts's macros).
 *
 *   npx vite-node bench/app-stream-data.ts -- --rows 210000000 --groups 10000 --out /tmp/big.parquet
 */
import { statSync } from 'node:fs';
import { DuckDbEngine } from '../src/gram/sql/duckdb.js';
import { duckdb } from '../src/gram/sql/dialect.js';

export async function generateAppStreamParquet(out: string, rows: number, groups: number, rowGroup = 1 << 20): Promise<number> {
  const engine = await DuckDbEngine.open({ memoryLimit: '1GB' });
  try {
    await engine.exec("CREATE MACRO unif(a, b) AS ((hash(a, b) >> 11)::DOUBLE + 0.5) / 9007199254740992.0", 'macro');
    await engine.exec('CREATE MACRO norm(a, b) AS sqrt(-2 * ln(unif(a, b))) * cos(2 * pi() * unif(a, b + 1000))', 'macro');
    const sql = `COPY (
      SELECT g::INTEGER AS g, x, w, 2 + 0.5 * x - 0.3 * w + 0.8 * norm(g, 4) + 0.3 * norm(g, 5) * x + norm(i, 7) AS y
      FROM (
        SELECT i, g, 1 + norm(i, 2) AS x, norm(i, 3) AS w
        FROM (SELECT i, (hash(i, 1) % ${groups}) AS g FROM range(${rows}) t(i))
      )
    ) TO ${duckdb.text(out)} (FORMAT PARQUET, ROW_GROUP_SIZE ${rowGroup})`;
    await engine.exec(sql, 'generating');
  } finally {
    await engine.close();
  }
  return statSync(out).size;
}

if (process.argv.some((a) => /app-stream-data\.[jt]s$/.test(a)) || process.env.APP_STREAM_DATA === '1') {
  const arg = (k: string, d: string) => { const i = process.argv.indexOf(`--${k}`); return i > 0 ? process.argv[i + 1]! : d; };
  const out = arg('out', '/tmp/app-stream.parquet');
  const t = performance.now();
  const size = await generateAppStreamParquet(out, Number(arg('rows', '1000000')), Number(arg('groups', '10000')));
  console.log(`${out}: ${(size / 1e9).toFixed(3)} GB (${size} bytes) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
