/**
 * Which engine reads the rows of `mixedgpu fit` (./engines.ts): the names, and the choice when none is
 * named. Kept apart from the engines themselves so that the command's launcher (./main.ts, which decides
 * on huge pages before anything else loads) can ask whether the rows will be held in memory.
 */
import { existsSync, statSync } from 'node:fs';

export const ENGINES = ['memory', 'stream', 'duckdb', 'clickhouse'] as const;
export type EngineChoice = (typeof ENGINES)[number];

/** Files larger than this (on disk) are fitted through DuckDB when no engine is named: 10M rows in memory take 1.7–2.5 GB. */
export const AUTO_ENGINE_BYTES = 1 << 30;

/** whether a path is a glob (DuckDB expands it) */
export function isGlob(path: string): boolean {
  return /[*?[]/.test(path);
}

/**
 * The engine the arguments name: --engine's value, or clickhouse when --url or --table is given
 * without --engine (they are ClickHouse's alone); undefined when none is named.
 */
export function namedEngine(opts: { engine?: string; url?: string; table?: string }): string | undefined {
  return opts.engine ?? (opts.table !== undefined || opts.url !== undefined ? 'clickhouse' : undefined);
}

/** whether the arguments read a ClickHouse table (and so take no data file) */
export function readsClickhouseTable(opts: { engine?: string; url?: string; table?: string }): boolean {
  return namedEngine(opts)?.toLowerCase() === 'clickhouse';
}

/** The engine to use and, when it was chosen for the user, why (said on stderr). */
export function chooseEngine(file: string | undefined, engine: string | undefined, glmm: boolean): { engine: EngineChoice; note: string | null } {
  if (engine !== undefined) {
    const e = engine.toLowerCase();
    if (!(ENGINES as readonly string[]).includes(e)) throw new Error(`unknown engine '${engine}' (choose one of ${ENGINES.join(', ')})`);
    return { engine: e as EngineChoice, note: null };
  }
  if (!file || glmm) return { engine: 'memory', note: null };
  if (isGlob(file)) return { engine: 'duckdb', note: `${file} is a glob: read through DuckDB (--engine duckdb)` };
  if (existsSync(file) && statSync(file).size > AUTO_ENGINE_BYTES) {
    const gb = (statSync(file).size / 1e9).toFixed(2);
    return { engine: 'duckdb', note: `${file} is ${gb} GB, over the ${(AUTO_ENGINE_BYTES / 1e9).toFixed(2)} GB that are read into memory: read through DuckDB (--engine duckdb; --engine memory to override)` };
  }
  return { engine: 'memory', note: null };
}

