/**
 * `mixedgpu fit --engine …`: where the rows are read and A is formed (issue 14).
 *   memory      the whole table read into memory (src/fit/lmer.ts)
 *   stream      record batches of a Parquet, CSV or Arrow IPC file, never the whole table (src/gram/stream/)
 *   duckdb      DuckDB embedded over a file or glob ('data/*.parquet'), out of core (src/gram/sql/)
 *   clickhouse  a ClickHouse table (a Distributed table over shards) at --url (src/gram/sql/)
 * Without --engine: memory for a file up to AUTO_ENGINE_BYTES, duckdb past it and for a glob
 * (./engineChoice.ts, which the command's launcher reads too).
 */
import { existsSync } from 'node:fs';
import { type EngineChoice, isGlob } from './engineChoice.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import type { GramLmerOptions } from '../gram/fit.js';
import type { GramGlmerOptions } from '../gram/glmm.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { lmerSql } from '../gram/sql/lmer.js';
import { writeResiduals } from '../gram/sql/residuals.js';
import { lmerStream } from '../gram/stream/lmer.js';
import { openBatchSource, writeStreamResiduals } from '../gram/stream/node.js';

export { AUTO_ENGINE_BYTES, ENGINES, type EngineChoice, chooseEngine, isGlob, namedEngine, readsClickhouseTable } from './engineChoice.js';

/** runs with the fit while its connection or file is still open (ggeffects's scans over the rows used), before it closes */
export type WhileOpen = (fit: LmmFit | GlmmFit) => Promise<void>;

export interface EngineFitArgs extends GramLmerOptions {
  whileOpen?: WhileOpen;
  /** the prior weights' column */
  weights?: string;
  engine: Exclude<EngineChoice, 'memory'>;
  formula: string;
  /** the file or glob (stream, duckdb) */
  file?: string;
  /** the table (clickhouse) */
  table?: string;
  /** the HTTP interface (clickhouse) */
  url?: string;
  /** stream: rows per batch */
  batchSize?: number;
  /** stream: bytes of evaluated batches kept between passes (default 256 MiB; 0: none) */
  cacheBytes?: number;
  /** duckdb: its memory_limit (e.g. '1.5GB'; past it DuckDB spills to a temporary directory) */
  memoryLimit?: string;
  /** where fitted values and residuals go: a .parquet or .csv file (stream, duckdb) or a new table (clickhouse) */
  residuals?: string;
  /** notes for stderr (the rows written) */
  notes: string[];
  /** lme4's calc.derivs (the convergence checks; default lme4's rule) */
  calcDerivs?: boolean;
}

export interface EngineGlmerArgs extends Omit<GramGlmerOptions, 'factors'> {
  whileOpen?: WhileOpen;
  engine: Exclude<EngineChoice, 'memory'>;
  formula: string;
  file?: string;
  /** the table (clickhouse) */
  table?: string;
  /** the HTTP interface (clickhouse) */
  url?: string;
  factors?: string[];
  /** duckdb: its memory_limit */
  memoryLimit?: string;
  /** stream: rows per batch */
  batchSize?: number;
  /** stream: bytes of evaluated batches kept between passes (default 256 MiB; 0: none) */
  cacheBytes?: number;
  /** refused with its reason: a GLMM's residuals are not written back yet */
  residuals?: string;
  /** refused by the engine fit (a GLMM's prior weights, the negative binomial's size: the rows in memory) */
  weights?: string;
  theta?: number;
}

/** Fits a GLMM through the stream, DuckDB or ClickHouse engine (a PIRLS pass over the batches, or queries, per evaluation). */
export async function glmerThroughEngine(args: EngineGlmerArgs): Promise<GlmmFit> {
  const { engine, formula, file, table, url, residuals, memoryLimit, batchSize, cacheBytes, whileOpen, ...options } = args;
  if (residuals !== undefined) throw new Error('--residuals: a GLMM\'s fitted values and residuals are not written back by the engines yet; fit with --engine memory for them');
  if (engine === 'clickhouse') {
    if (!url) throw new Error('--engine clickhouse needs --url (e.g. http://127.0.0.1:8123)');
    if (!table) throw new Error('--engine clickhouse needs --table (a table or a Distributed table over shards)');
    const { ClickHouseEngine, clickhouseSource } = await import('../gram/sql/clickhouse.js');
    const { glmerSql } = await import('../gram/sql/glmer.js');
    const ch = new ClickHouseEngine({ url, username: process.env.CLICKHOUSE_USER, password: process.env.CLICKHOUSE_PASSWORD });
    try {
      const fit = await glmerSql(ch, { from: clickhouseSource(table), name: table }, formula, options);
      await whileOpen?.(fit);
      return fit;
    } finally {
      await ch.close();
    }
  }
  if (table) throw new Error(`--table is for --engine clickhouse; the ${engine} engine reads ${file}`);
  if (!file) throw new Error(`--engine ${engine} needs a data file`);
  if (engine === 'stream') {
    if (isGlob(file)) throw new Error(`stream: ${file} is a glob; the stream engine reads one file (use --engine duckdb)`);
    const { glmerStream } = await import('../gram/stream/glmer.js');
    const src = await openBatchSource(file);
    try {
      const fit = await glmerStream(src, formula, { ...options, ...(batchSize !== undefined ? { batchSize } : {}), ...(cacheBytes !== undefined ? { cacheBytes } : {}) });
      await whileOpen?.(fit);
      return fit;
    } finally {
      await src.close();
    }
  }
  if (!isGlob(file) && !existsSync(file)) throw new Error(`duckdb: reading ${file}: data file not found`);
  const { DuckDbEngine, duckdbSource } = await import('../gram/sql/duckdb.js');
  const { glmerSql } = await import('../gram/sql/glmer.js');
  const duck = await DuckDbEngine.open({ memoryLimit });
  try {
    const fit = await glmerSql(duck, { from: duckdbSource(file), name: file }, formula, options);
    await whileOpen?.(fit);
    return fit;
  } finally {
    await duck.close();
  }
}

/** Fits a linear mixed model through a stream or an SQL engine; writes the residuals when asked. */
export async function lmerThroughEngine(args: EngineFitArgs): Promise<LmmFit> {
  const { engine, formula, notes } = args;
  const options: GramLmerOptions & { weights?: string } = {
    REML: args.REML, factors: args.factors, ...(args.contrasts ? { contrasts: args.contrasts } : {}), weights: args.weights, backend: args.backend, dataName: args.dataName,
    onProgress: args.onProgress, calcDerivs: args.calcDerivs, ...(args.start !== undefined ? { start: args.start } : {}),
    ...(args.optimizer !== undefined ? { optimizer: args.optimizer } : {}),
  };
  if (engine === 'clickhouse') {
    if (!args.url) throw new Error('--engine clickhouse needs --url (e.g. http://127.0.0.1:8123)');
    if (!args.table) throw new Error('--engine clickhouse needs --table (a table or a Distributed table over shards)');
    // the engines' clients load only when used (DuckDB's is a native module)
    const { ClickHouseEngine, clickhouseSource } = await import('../gram/sql/clickhouse.js');
    const ch = new ClickHouseEngine({
      url: args.url, username: process.env.CLICKHOUSE_USER, password: process.env.CLICKHOUSE_PASSWORD,
    });
    try {
      const from = clickhouseSource(args.table);
      const { fit, residuals } = await lmerSql(ch, { from, name: args.table }, formula, options);
      if (args.residuals) {
        const n = await writeResiduals(ch, residuals, from, { table: args.residuals });
        notes.push(`fitted values and residuals of ${n} rows written to the table ${args.residuals}`);
      }
      await args.whileOpen?.(fit);
      return fit;
    } finally {
      await ch.close();
    }
  }
  if (!args.file) throw new Error(`--engine ${engine} needs a data file`);
  if (args.table) throw new Error(`--table is for --engine clickhouse; the ${engine} engine reads ${args.file}`);
  if (args.residuals && existsSync(args.residuals)) throw new Error(`--residuals: ${args.residuals} exists (not overwritten)`);
  if (engine === 'duckdb') {
    if (!isGlob(args.file) && !existsSync(args.file)) throw new Error(`duckdb: reading ${args.file}: data file not found`);
    const { DuckDbEngine, duckdbSource } = await import('../gram/sql/duckdb.js');
    const duck = await DuckDbEngine.open({ memoryLimit: args.memoryLimit });
    try {
      const from = duckdbSource(args.file);
      const { fit, residuals } = await lmerSql(duck, { from, name: args.file }, formula, options);
      if (args.residuals) {
        const n = await writeResiduals(duck, residuals, from, { file: args.residuals });
        notes.push(`fitted values and residuals of ${n} rows written to ${args.residuals}`);
      }
      await args.whileOpen?.(fit);
      return fit;
    } finally {
      await duck.close();
    }
  }
  if (isGlob(args.file)) throw new Error(`stream: ${args.file} is a glob; the stream engine reads one file (use --engine duckdb)`);
  const src = await openBatchSource(args.file);
  try {
    const { fit, residuals } = await lmerStream(src, formula, { ...options, batchSize: args.batchSize, ...(args.cacheBytes !== undefined ? { cacheBytes: args.cacheBytes } : {}) });
    if (args.residuals) {
      const n = await writeStreamResiduals(src, residuals, args.residuals, args.batchSize);
      notes.push(`fitted values and residuals of ${n} rows written to ${args.residuals}`);
    }
    await args.whileOpen?.(fit);
    return fit;
  } finally {
    await src.close();
  }
}
