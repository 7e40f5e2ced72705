/**
 * The ClickHouse tests' helpers: the two-shard cluster (bench/gram/cluster.ts, shared with the
 * benchmark) started and stopped around a describe block with an engine on its first server, and
 * Arrow tables loaded into both shards as RowBinary (exact doubles: ClickHouse 18.16's text float
 * parser is not correctly rounded).
 */
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll } from 'vitest';
import { type Cluster, clickhouseMissing, startCluster } from '../../bench/gram/cluster.js';
import { ClickHouseEngine } from '../../src/gram/sql/clickhouse.js';

export { type Cluster, clickhouseMissing, startCluster };

/** Why the ClickHouse tests cannot run here (they are skipped), or null; under CI a missing server is a failure. */
export function clickhouseTestsMissing(): string | null {
  const missing = clickhouseMissing();
  if (missing && process.env.CI) throw new Error(`ClickHouse tests need clickhouse-server under CI: ${missing}`);
  return missing;
}

/**
 * A two-shard cluster and an engine on its first server for the tests of the describe block that
 * calls it: started in beforeAll, the engine closed and the servers stopped (by PID) in afterAll.
 * The fields are set once the block's beforeAll ran.
 */
export function useCluster(): { cluster: Cluster; engine: ClickHouseEngine } {
  const ctx = {} as { cluster: Cluster; engine: ClickHouseEngine };
  beforeAll(async () => {
    ctx.cluster = await startCluster();
    ctx.engine = new ClickHouseEngine({ url: ctx.cluster.urls[0] });
  }, 120_000);
  afterAll(async () => {
    await ctx.engine?.close();
    await ctx.cluster?.stop();
  }, 60_000);
  return ctx;
}

// ---------------------------------------------------------------------------------------------
// loading an Arrow table (numeric and factor columns) as RowBinary

/** ClickHouse column types for an Arrow table's columns: Nullable(Float64) or Nullable(String). */
export function clickhouseColumns(table: arrow.Table): { name: string; type: string }[] {
  return table.schema.fields.map((f) => ({
    name: f.name,
    type: arrow.DataType.isDictionary(f.type) || arrow.DataType.isUtf8(f.type) ? 'Nullable(String)' : 'Nullable(Float64)',
  }));
}

/** RowBinary of rows [from, to) of a table (Nullable: a null byte, then the value). */
export function rowBinary(table: arrow.Table, from = 0, to = table.numRows): Uint8Array {
  const cols = table.schema.fields.map((f) => ({ text: arrow.DataType.isDictionary(f.type) || arrow.DataType.isUtf8(f.type), vec: table.getChild(f.name)! }));
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  let size = 0;
  const buf = new Uint8Array(1 << 20);
  const view = new DataView(buf.buffer);
  let o = 0;
  const flush = () => { parts.push(buf.slice(0, o)); size += o; o = 0; };
  const values = cols.map((c) => (c.text ? null : c.vec.toArray() as Float64Array));
  for (let i = from; i < to; i++) {
    cols.forEach((c, k) => {
      if (o > buf.length - 64) flush();
      const v = c.vec.get(i);
      if (v === null || v === undefined || (!c.text && !c.vec.isValid(i))) { buf[o++] = 1; return; }
      buf[o++] = 0;
      if (!c.text) {
        view.setFloat64(o, values[k]![i], true);
        o += 8;
        return;
      }
      const bytes = enc.encode(String(v));
      let len = bytes.length;
      // unsigned LEB128 length
      do { let b = len & 0x7f; len >>>= 7; if (len) b |= 0x80; buf[o++] = b; } while (len);
      if (o + bytes.length > buf.length) flush();
      if (bytes.length > buf.length) { parts.push(bytes); size += bytes.length; } else { buf.set(bytes, o); o += bytes.length; }
    });
  }
  flush();
  const out = new Uint8Array(size);
  let p = 0;
  for (const part of parts) { out.set(part, p); p += part.length; }
  return out;
}

/**
 * Creates `name` (MergeTree) on both servers and the Distributed table `${name}_all` over them,
 * and loads the table's rows into the two shards in alternating blocks.
 */
export async function loadSharded(c: Cluster, name: string, table: arrow.Table, block = 100_000): Promise<string> {
  const cols = clickhouseColumns(table).map((col) => `\`${col.name}\` ${col.type}`).join(', ');
  for (let k = 0; k < 2; k++) {
    await c.sql(k, `DROP TABLE IF EXISTS ${name}`);
    await c.sql(k, `CREATE TABLE ${name} (${cols}) ENGINE = MergeTree() ORDER BY tuple()`);
  }
  const dist = `${name}_all`;
  await c.sql(0, `DROP TABLE IF EXISTS ${dist}`);
  await c.sql(0, `CREATE TABLE ${dist} AS ${name} ENGINE = Distributed(${c.cluster}, default, ${name}, rand())`);
  let shard = 0;
  // at least two blocks, so that both shards hold rows
  const size = Math.max(1, Math.min(block, Math.ceil(table.numRows / 2)));
  for (let from = 0; from < table.numRows; from += size) {
    await c.sql(shard, `INSERT INTO ${name} FORMAT RowBinary`, rowBinary(table, from, Math.min(table.numRows, from + size)));
    shard = 1 - shard;
  }
  return dist;
}
