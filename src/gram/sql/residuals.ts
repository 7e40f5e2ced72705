/**
 * What needs rows after an out-of-core fit, as queries: fitted values and residuals (lme4's fitted()
 * and residuals(), on the model's scale), their exact quantiles for the summary (../quantiles.ts),
 * and the rows written back with them (a file through DuckDB's COPY, a table in ClickHouse).
 *
 *   fitted_i = ((o_i + x_i,0 β_0) + x_i,1 β_1 …) + Σ_k z_i,kᵀ b_k[g_k(i)]   (src/results/lmmFit.ts's order)
 *   r_i = y_i − fitted_i,   scaled Pearson residual √w_i r_i / σ
 * The conditional modes b_k are loaded into a table per grouping factor (keyed as the frame keys
 * the factor) and joined; the tables are dropped afterwards, also after an error.
 */
import { type AssembledGram, type GroupSpec, groupSpecs } from '../assemble.js';
import type { FitValues, GramSourceResult } from '../source.js';
import type { FrameSummary } from '../moments.js';
import { exactQuantiles } from '../quantiles.js';
import type { SqlEngine, TableColumn } from './engine.js';
import { A, type GramQuery, SqlFrame } from './generate.js';

export type { FitValues } from '../source.js';

export const R = {
  fit: '__mg_fit',
  res: '__mg_res',
  sres: '__mg_sres',
  x: (j: number) => `__mg_fx${j}`,
  z: (k: number, s: number) => `__mg_fz${k}_${s}`,
  b: (k: number, s: number) => `__mg_fb${k}_${s}`,
};

/** The b̂ tables and the relation of fitted values and residuals over a source. */
export class ResidualSql {
  readonly tables: { name: string; columns: TableColumn[]; data: (string[] | Float64Array)[] }[];
  private readonly tag = Math.random().toString(36).slice(2, 10);

  constructor(readonly frame: SqlFrame, readonly summary: FrameSummary, readonly groups: GroupSpec[], readonly gram: AssembledGram, readonly fit: FitValues) {
    const byLabel = new Map(groups.map((g) => [g.label, g] as const));
    this.tables = gram.blocks.map((blk, k) => {
      const g = byLabel.get(blk.group)!;
      const keys = gram.levelKeys.get(blk.group)!;
      const columns: TableColumn[] = g.components.map((f) => ({ name: frame.key(f), kind: f.kind === 'numeric' ? 'numeric' : 'text' }));
      const data: (string[] | Float64Array)[] = g.components.map((f, c) => (f.kind === 'numeric' ? Float64Array.from(keys[c] as number[]) : (keys[c] as string[])));
      for (let s = 0; s < blk.q; s++) {
        columns.push({ name: R.b(k, s), kind: 'numeric' });
        data.push(Float64Array.from({ length: blk.nl }, (_, l) => fit.b[k][l * blk.q + s]));
      }
      return { name: `__mg_b_${this.tag}_${k}`, columns, data };
    });
  }

  /** the model's rows (complete cases) with fitted values, residuals and scaled Pearson residuals */
  relation(source: string): string {
    const { frame, summary: S, gram } = this;
    const d = frame.d;
    const layer: [string, string][] = [];
    S.xcols.forEach((col, j) => layer.push([R.x(j), frame.value(col, S)]));
    const byLabel = new Map(this.groups.map((g) => [g.label, g] as const));
    gram.blocks.forEach((blk, k) => byLabel.get(blk.group)!.zcols.forEach((col, s) => layer.push([R.z(k, s), frame.value(col, S)])));
    const keep = [...frame.layer0, ...frame.layer1, ...layer].map(([a]) => a);
    let rel: string;
    if (d.name === 'duckdb') {
      rel = `(${d.query({ source, layers: [frame.layer0, frame.layer1, layer], select: ['*'], where: A.ok })})`;
      rel = `(SELECT * FROM ${rel} AS __mg_r ${this.tables.map((t, k) => `LEFT JOIN ${d.ident(t.name)} AS __mg_j${k} USING (${this.joinKeys(k).join(', ')})`).join(' ')})`;
    } else {
      // ClickHouse 18.16: one JOIN per SELECT, so one level of nesting per grouping factor; the
      // innermost query reads the (Distributed) table, the joins run where the client connects
      rel = `(${d.query({ source, layers: [frame.layer0, frame.layer1, layer], select: ['*', ...keep], where: A.ok })})`;
      this.tables.forEach((t, k) => { rel = `(SELECT * FROM ${rel} ANY LEFT JOIN ${d.ident(t.name)} USING ${this.joinKeys(k).join(', ')})`; });
    }
    // fitted: offset, then X β in column order, then each block's zᵀb (lmmFit.ts fitted)
    let fit = frame.spec.offsets.length ? A.off : '';
    S.xcols.forEach((_, j) => {
      const term = `(${R.x(j)} * ${d.double(this.fit.beta[j])})`;
      fit = fit ? `(${fit} + ${term})` : term;
    });
    gram.blocks.forEach((blk, k) => {
      let acc = '';
      for (let s = 0; s < blk.q; s++) { const t = `(${R.z(k, s)} * ${R.b(k, s)})`; acc = acc ? `(${acc} + ${t})` : t; }
      fit = fit ? `(${fit} + ${acc})` : acc;
    });
    const res = `(${A.y} - ${fit})`;
    const pearson = frame.hasWeights ? `(${res} * ${d.call('sqrt', A.w, 'weights')})` : res;
    return `(SELECT *, ${fit} AS ${R.fit}, ${res} AS ${R.res}, (${pearson} / ${d.double(this.fit.sigma)}) AS ${R.sres} FROM ${rel} AS __mg_rel)`;
  }

  /** the key columns of b̂ table k (named as the frame's key aliases) */
  private joinKeys(k: number): string[] {
    return this.tables[k].columns.filter((c) => !c.name.startsWith('__mg_fb')).map((c) => c.name);
  }

  /** creates the b̂ tables, runs `step`, drops the tables (also after an error) */
  async withTables<T>(engine: SqlEngine, step: () => Promise<T>): Promise<T> {
    const made: string[] = [];
    try {
      for (const t of this.tables) {
        await engine.createTable(t.name, t.columns, t.data, 'loading the conditional modes');
        made.push(t.name);
      }
      return await step();
    } finally {
      for (const name of made) await engine.dropTable(name).catch(() => {});
    }
  }
}

/** The residual queries of a fit from an SQL Gram source. */
export function residualSql(engine: SqlEngine, result: GramSourceResult, fit: FitValues): ResidualSql {
  return new ResidualSql(new SqlFrame(engine.dialect, result.spec, result.keyAliases), result.summary, groupSpecs(result.spec, result.summary), result, fit);
}

/** Exact type-7 quantiles (Min, 1Q, Median, 3Q, Max) of the scaled Pearson residuals, as the summary prints them. */
export async function residualQuantiles(engine: SqlEngine, rs: ResidualSql, source: string, probs = [0, 0.25, 0.5, 0.75, 1]): Promise<{ quantiles: number[]; scans: number }> {
  const d = engine.dialect;
  const rel = rs.relation(source);
  const s = R.sres;
  const q = (stage: string, select: string[], where?: string): GramQuery => ({
    stage, keys: [], values: select.length,
    sql: `SELECT ${select.join(', ')} FROM ${rel} AS __mg_q${where ? ` WHERE ${where}` : ''}`,
  });
  return rs.withTables(engine, async () => {
    const res = await exactQuantiles({
      stats: async (ps) => {
        const r = await engine.run(q('residual quantiles (count, range, t-digest)', [d.count, `min(${s})`, `max(${s})`, ...ps.map((p) => d.approxQuantile(s, p))]));
        return { n: r.values[0][0], min: r.values[1][0], max: r.values[2][0], approx: ps.map((_, k) => r.values[3 + k][0]) };
      },
      count: async (br) => {
        const r = await engine.run(q('residual quantiles (brackets)', br.flatMap(([a, b]) => [d.countIf(`${s} < ${d.double(a)}`), d.countIf(`${s} <= ${d.double(b)}`)])));
        return br.map((_, k) => [r.values[2 * k][0], r.values[2 * k + 1][0]]);
      },
      values: async (br) => {
        const r = await engine.run(q('residual quantiles (values)', [s], d.or(br.map(([a, b]) => d.and([`${s} >= ${d.double(a)}`, `${s} <= ${d.double(b)}`])))));
        return r.values[0];
      },
    }, probs);
    return { quantiles: res.quantiles, scans: res.scans };
  });
}

/** Where fitted values and residuals go: a file (DuckDB: .parquet or .csv) or a new table (ClickHouse). */
export type ResidualTarget = { file: string } | { table: string };

/**
 * Writes the model's rows (complete cases, every source column) with `fitted` and `residual`
 * columns: DuckDB COPYs them to a Parquet or CSV file, ClickHouse creates a MergeTree table. The
 * target must not exist; a partial target is removed after an error. Returns the rows written.
 */
export async function writeResiduals(engine: SqlEngine, rs: ResidualSql, source: string, target: ResidualTarget): Promise<number> {
  const d = engine.dialect;
  const schema = await engine.schema(source);
  for (const c of ['fitted', 'residual']) {
    if (schema.has(c)) throw new Error(`${engine.name}: writing residuals: the data already have a column '${c}'`);
  }
  const cols = [...schema.keys()].map((c) => d.ident(c));
  const select = `SELECT ${[...cols, `${R.fit} AS fitted`, `${R.res} AS residual`].join(', ')} FROM ${rs.relation(source)} AS __mg_w`;
  return rs.withTables(engine, async () => {
    if ('file' in target) {
      if (engine.name !== 'duckdb') throw new Error(`${engine.name}: writing residuals: a file target needs the DuckDB engine; give a table name`);
      const { existsSync, rmSync } = await import('node:fs');
      if (existsSync(target.file)) throw new Error(`duckdb: writing residuals: ${target.file} exists (not overwritten)`);
      const format = /\.(parquet|pq)$/i.test(target.file) ? 'PARQUET' : /\.csv$/i.test(target.file) ? 'CSV, HEADER' : null;
      if (!format) throw new Error(`duckdb: writing residuals: ${target.file}: the file must end in .parquet or .csv`);
      try {
        const rows = await engine.rows(`COPY (${select}) TO ${d.text(target.file)} (FORMAT ${format})`, 'writing residuals');
        return Number(Object.values(rows[0] ?? {})[0] ?? 0);
      } catch (e) {
        rmSync(target.file, { force: true, recursive: true });
        throw e;
      }
    }
    const table = target.table.split('.').map((part) => d.ident(part)).join('.');
    const found = await engine.rows(engine.name === 'duckdb'
      ? `SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = ${d.text(target.table.split('.').pop()!)}`
      : `SELECT count() AS n FROM system.tables WHERE name = ${d.text(target.table.split('.').pop()!)}`, 'writing residuals');
    if (Number(found[0]?.n) > 0) throw new Error(`${engine.name}: writing residuals: table ${target.table} exists (not overwritten)`);
    try {
      await engine.exec(`CREATE TABLE ${table} ${engine.name === 'clickhouse' ? 'ENGINE = MergeTree() ORDER BY tuple() ' : ''}AS ${select}`, 'writing residuals');
    } catch (e) {
      await engine.exec(`DROP TABLE IF EXISTS ${table}`, 'removing a partial residual table').catch(() => {});
      throw e;
    }
    const n = await engine.rows(`SELECT count(*) AS n FROM ${table}`, 'writing residuals');
    return Number(n[0].n);
  });
}
