/** Node-only entry: file readers on top of the browser-safe library. */
export * from './index.js';
export { readCsvFile, readTableFile, readTableFileAsync, fileSource, TABLE_EXTENSIONS } from './io/node.js';
// A through an SQL engine (#14): DuckDB embedded over files and globs, a ClickHouse table; a stream from a file
export { lmerSql } from './gram/sql/lmer.js';
export type { SqlFit, SqlLmerOptions } from './gram/sql/lmer.js';
// glmer with its PIRLS passes as queries (DuckDB)
export { glmerSql } from './gram/sql/glmer.js';
export type { SqlGlmerOptions } from './gram/sql/glmer.js';
export { gramFromSql } from './gram/sql/sqlSource.js';
export type { SqlGramOptions, SqlSourceRef } from './gram/sql/sqlSource.js';
export { DuckDbEngine, duckdbSource } from './gram/sql/duckdb.js';
export type { DuckDbOptions } from './gram/sql/duckdb.js';
export { ClickHouseEngine, clickhouseSource } from './gram/sql/clickhouse.js';
export type { ClickHouseOptions } from './gram/sql/clickhouse.js';
export type { SqlEngine } from './gram/sql/engine.js';
export { writeResiduals, residualQuantiles } from './gram/sql/residuals.js';
export type { ResidualTarget } from './gram/sql/residuals.js';
export { openBatchSource, writeStreamResiduals } from './gram/stream/node.js';
