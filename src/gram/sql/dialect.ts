/**
 * The two SQL dialects the Gram-matrix generator writes: DuckDB and ClickHouse (from release 18.16,
 * Debian's). Expressions are IEEE-faithful so that a row is kept or dropped exactly as the in-memory
 * frame decides (src/frame/columns.ts evaluates formulas with JavaScript's Math):
 *  - a missing number (NULL) reads as NaN, as the in-memory frame reads Arrow's nulls;
 *  - log, sqrt and the trigonometric functions return −∞ / NaN where DuckDB would raise an error
 *    (log(0), sqrt(−1), sin(∞));
 *  - x^y follows JavaScript's Math.pow where C's pow differs (1^NaN and (±1)^±∞ are NaN);
 *  - number literals are exact: DuckDB parses a string to the nearest double, ClickHouse 18.16's
 *    string-to-float conversion is not correctly rounded, so its literals carry the IEEE bits.
 * DuckDB has no log1p/expm1 and ClickHouse 18.16 neither: formulas using them get an error that
 * names the function and the engine.
 */

export type EngineName = 'duckdb' | 'clickhouse';

/** One layer of a frame: (alias, expression) pairs that refer to the source's columns and earlier layers' aliases. */
export type FrameLayer = [alias: string, expr: string][];

export interface Dialect {
  readonly name: EngineName;
  /** a quoted identifier */
  ident(name: string): string;
  /** an exact Float64 literal */
  double(v: number): string;
  /** a constant as a column (the intercept's value in every row) */
  constantColumn(v: number): string;
  /** a string literal */
  text(s: string): string;
  /** a numeric column as a double, NULL read as NaN */
  numericColumn(name: string): string;
  /** a factor's key: text as a string, boolean as 'TRUE'/'FALSE', a numeric column read as a factor as a double */
  factorKey(name: string, kind: 'numeric' | 'text' | 'bool'): string;
  /** a logical variable's key from its value 1 (TRUE), 0 (FALSE) or NaN (NA): 'TRUE', 'FALSE' or NULL */
  logicalKey(v: string): string;
  /** a present factor key as text (a numeric key's double in its shortest round-trip decimal) */
  keyText(key: string, kind: 'numeric' | 'text' | 'bool'): string;
  /** texts joined, or NULL where `present` does not hold */
  concatIf(present: string, parts: string[]): string;
  /** whether a factor key is present (not NULL, and not NaN for a numeric key) */
  keyPresent(key: string, kind: 'numeric' | 'text' | 'bool'): string;
  /** a formula function applied to `arg`; throws for one the engine lacks */
  call(fn: string, arg: string, label: string): string;
  /** x^y as JavaScript's Math.pow */
  pow(a: string, b: string): string;
  /** whether a double is finite (not NaN, not ±∞) */
  isFinite(e: string): string;
  /** whether a double is +∞ or −∞ */
  isInfinite(e: string): string;
  /** the conjunction of predicates (true when empty) */
  and(preds: string[]): string;
  /** the negation of a predicate */
  not(pred: string): string;
  /** the disjunction of predicates (false when empty) */
  or(preds: string[]): string;
  /** the number of rows where a predicate holds, as a double */
  countIf(pred: string): string;
  /** an approximate quantile (a t-digest) at p */
  approxQuantile(e: string, p: number): string;
  /** CASE WHEN cond THEN a ELSE b END */
  ifThen(cond: string, a: string, b: string): string;
  /** a compensated (Kahan) float64 sum */
  kahanSum(e: string): string;
  /** a plain float64 sum (where groups are many and small: DuckDB spills plain sums, not Kahan sums) */
  plainSum(e: string): string;
  /** an estimate of the number of distinct key tuples (HyperLogLog) */
  approxDistinct(keys: string[]): string;
  /** the population covariance (a numerically stable, mergeable algorithm) */
  covarPop(a: string, b: string): string;
  /** the row count as a double */
  readonly count: string;
  min(e: string): string;
  max(e: string): string;
  /** the query: the frame's layers over the source, then the outer select list, filter and grouping */
  query(q: { source: string; layers: FrameLayer[]; select: string[]; where?: string; groupBy?: string[]; limit?: number }): string;
}

/** Shortest round-trip decimal of a double as DuckDB reads it (string → double is correctly rounded). */
function duckDouble(v: number): string {
  if (Number.isNaN(v)) return "CAST('NaN' AS DOUBLE)";
  if (v === Infinity) return "CAST('Infinity' AS DOUBLE)";
  if (v === -Infinity) return "CAST('-Infinity' AS DOUBLE)";
  if (Object.is(v, -0)) return "CAST('-0.0' AS DOUBLE)";
  return `CAST('${String(v)}' AS DOUBLE)`;
}

/** A double as ClickHouse reads it exactly: small integers as such, anything else by its IEEE bits. */
function clickhouseDouble(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Number.isSafeInteger(v) && !Object.is(v, -0)) return `toFloat64(${v})`;
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, v, true);
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return `reinterpretAsFloat64(unhex('${hex.toUpperCase()}'))`;
}

/** log-like functions: −∞ at 0, NaN below (DuckDB raises errors there). */
function guardedLog(fn: string, a: string, nan: string, isnan: string): string {
  return `(CASE WHEN ${isnan}(${a}) THEN ${a} WHEN ${a} > 0 THEN ${fn}(${a}) WHEN ${a} = 0 THEN CAST('-Infinity' AS DOUBLE) ELSE ${nan} END)`;
}

const unsupported = (engine: string, fn: string, label: string) =>
  new Error(`${engine}: the function ${fn}() in '${label}' is not available in this engine (use the memory or stream engine, or rewrite it, e.g. log(1 + x))`);

export const duckdb: Dialect = {
  name: 'duckdb',
  ident: (name) => `"${name.replace(/"/g, '""')}"`,
  double: duckDouble,
  constantColumn: duckDouble,
  text: (s) => `'${s.replace(/'/g, "''")}'`,
  numericColumn(name) {
    return `coalesce(CAST(${this.ident(name)} AS DOUBLE), CAST('NaN' AS DOUBLE))`;
  },
  factorKey(name, kind) {
    const id = this.ident(name);
    if (kind === 'numeric') return `CAST(${id} AS DOUBLE)`;
    if (kind === 'bool') return `(CASE WHEN ${id} THEN 'TRUE' WHEN NOT ${id} THEN 'FALSE' END)`;
    return `CAST(${id} AS VARCHAR)`;
  },
  logicalKey: (v) => `(CASE WHEN ${v} = 1 THEN 'TRUE' WHEN ${v} = 0 THEN 'FALSE' END)`,
  keyText: (key, kind) => (kind === 'numeric' ? `CAST(${key} AS VARCHAR)` : key),
  concatIf: (present, parts) => `(CASE WHEN ${present} THEN (${parts.join(' || ')}) END)`,
  keyPresent: (key, kind) => (kind === 'numeric' ? `(${key} IS NOT NULL AND NOT isnan(${key}))` : `(${key} IS NOT NULL)`),
  call(fn, a, label) {
    const nan = "CAST('NaN' AS DOUBLE)";
    switch (fn) {
      case 'I': return a;
      case 'log': return guardedLog('ln', a, nan, 'isnan');
      case 'log10': return guardedLog('log10', a, nan, 'isnan');
      case 'log2': return guardedLog('log2', a, nan, 'isnan');
      case 'sqrt': return `(CASE WHEN ${a} < 0 THEN ${nan} ELSE sqrt(${a}) END)`;
      case 'exp': return `exp(${a})`;
      case 'abs': return `abs(${a})`;
      case 'sin': case 'cos': case 'tan': return `(CASE WHEN isinf(${a}) THEN ${nan} ELSE ${fn}(${a}) END)`;
      default: throw unsupported('DuckDB', fn, label);
    }
  },
  pow: (a, b) => `(CASE WHEN isnan(${b}) OR (abs(${a}) = 1 AND isinf(${b})) THEN CAST('NaN' AS DOUBLE) ELSE pow(${a}, ${b}) END)`,
  isFinite: (e) => `coalesce(isfinite(${e}), false)`,
  isInfinite: (e) => `coalesce(isinf(${e}), false)`,
  // parenthesized whole: NOT binds tighter than AND and OR (`NOT a OR b` is `(NOT a) OR b`)
  and: (preds) => (preds.length === 0 ? 'true' : `(${preds.map((p) => `(${p})`).join(' AND ')})`),
  not: (pred) => `(NOT ${pred})`,
  or: (preds) => (preds.length === 0 ? 'false' : `(${preds.map((p) => `(${p})`).join(' OR ')})`),
  countIf: (pred) => `CAST(count_if(${pred}) AS DOUBLE)`,
  approxQuantile: (e, p) => `approx_quantile(${e}, ${p})`,
  ifThen: (c, a, b) => `(CASE WHEN ${c} THEN ${a} ELSE ${b} END)`,
  kahanSum: (e) => `fsum(${e})`,
  plainSum: (e) => `sum(${e})`,
  approxDistinct: (keys) => `CAST(approx_count_distinct(${keys.length > 1 ? `hash(${keys.join(', ')})` : keys[0]}) AS DOUBLE)`,
  covarPop: (a, b) => `covar_pop(${a}, ${b})`,
  count: 'CAST(count(*) AS DOUBLE)',
  min: (e) => `min(${e})`,
  max: (e) => `max(${e})`,
  query({ source, layers, select, where, groupBy, limit }) {
    let from = source;
    layers.forEach((layer, k) => {
      if (layer.length === 0) return;
      from = `(SELECT *, ${layer.map(([alias, e]) => `${e} AS ${alias}`).join(', ')} FROM ${from} AS __mg_l${k})`;
    });
    return `SELECT ${select.join(', ')} FROM ${from} AS __mg_f${where ? ` WHERE ${where}` : ''}${groupBy && groupBy.length ? ` GROUP BY ${groupBy.join(', ')}` : ''}${limit !== undefined ? ` LIMIT ${limit}` : ''}`;
  },
};

export const clickhouse: Dialect = {
  name: 'clickhouse',
  ident: (name) => `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``,
  double: clickhouseDouble,
  // 18.16's sumKahan of a constant column fails on a shard (std::bad_typeid)
  constantColumn: (v) => `materialize(${clickhouseDouble(v)})`,
  text: (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`,
  numericColumn(name) {
    return `ifNull(toFloat64(${this.ident(name)}), nan)`;
  },
  factorKey(name, kind) {
    const id = this.ident(name);
    if (kind === 'numeric') return `toFloat64(${id})`;
    if (kind === 'bool') return `multiIf(isNull(${id}), NULL, ${id} != 0, 'TRUE', 'FALSE')`;
    return `toString(${id})`;
  },
  logicalKey: (v) => `multiIf(${v} = 1, 'TRUE', ${v} = 0, 'FALSE', NULL)`,
  keyText: (key, kind) => (kind === 'numeric' ? `toString(assumeNotNull(${key}))` : `assumeNotNull(${key})`),
  concatIf: (present, parts) => `if(${present}, concat(${parts.join(', ')}), NULL)`,
  keyPresent(key, kind) {
    return kind === 'numeric' ? this.and([`isNotNull(${key})`, `isNaN(ifNull(${key}, 0)) = 0`]) : `isNotNull(${key})`;
  },
  call(fn, a, label) {
    switch (fn) {
      case 'I': return a;
      case 'log': return `log(${a})`;
      case 'log10': case 'log2': case 'sqrt': case 'exp': case 'abs': case 'sin': case 'cos': case 'tan': return `${fn}(${a})`;
      default: throw unsupported('ClickHouse', fn, label);
    }
  },
  pow: (a, b) => `if(isNaN(${b}) OR (abs(${a}) = 1 AND isInfinite(${b})), nan, pow(${a}, ${b}))`,
  // every numeric expression of the frame is non-Nullable (NULL reads as nan)
  isFinite: (e) => `isFinite(${e})`,
  isInfinite: (e) => `isInfinite(${e})`,
  // nested if(): 18.16 fails on a shard (std::bad_typeid) for some `a AND b` in a WHERE
  and: (preds) => (preds.length === 0 ? 'toUInt8(1)' : preds.reduceRight((acc, p) => `if(${p}, ${acc}, toUInt8(0))`, 'toUInt8(1)')),
  not: (pred) => `(${pred} = 0)`,
  or: (preds) => (preds.length === 0 ? 'toUInt8(0)' : preds.reduceRight((acc, p) => `if(${p}, toUInt8(1), ${acc})`, 'toUInt8(0)')),
  countIf: (pred) => `toFloat64(countIf(${pred}))`,
  approxQuantile: (e, p) => `quantileTDigest(${p})(${e})`,
  ifThen: (c, a, b) => `if(${c}, ${a}, ${b})`,
  kahanSum: (e) => `sumKahan(${e})`,
  plainSum: (e) => `sum(${e})`,
  approxDistinct: (keys) => `toFloat64(uniq(${keys.join(', ')}))`,
  covarPop: (a, b) => `covarPopStable(${a}, ${b})`,
  count: 'toFloat64(count())',
  min: (e) => `min(${e})`,
  max: (e) => `max(${e})`,
  query({ source, layers, select, where, groupBy, limit }) {
    // aliases in WITH: the query stays one aggregation over the (Distributed) table, which
    // ClickHouse runs on every shard and merges
    const defs = layers.flat();
    const withClause = defs.length ? `WITH ${defs.map(([alias, e]) => `${e} AS ${alias}`).join(', ')} ` : '';
    return `${withClause}SELECT ${select.join(', ')} FROM ${source}${where ? ` WHERE ${where}` : ''}${groupBy && groupBy.length ? ` GROUP BY ${groupBy.join(', ')}` : ''}${limit !== undefined ? ` LIMIT ${limit}` : ''}`;
  },
};

export const DIALECTS: Record<EngineName, Dialect> = { duckdb, clickhouse };
