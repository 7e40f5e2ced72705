/**
 * ClickHouse over HTTP (the official npm @clickhouse/client; Node only), from release 18.16 on: a
 * table, typically a Distributed table over shards, on which each Gram query is one aggregation
 * that every shard computes; the shards' groups are added up by the client (../assemble.ts). Results come back as TabSeparated text
 * (18.16 has no Arrow format; its float output is exact, shortest round-trip).
 */
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import type { GroupSums } from '../assemble.js';
import type { ColumnKind, ColumnSchema } from '../frameSpec.js';
import { clickhouse } from './dialect.js';
import { EngineError, ResultBuilder, type SqlEngine, type TableColumn } from './engine.js';
import type { GramQuery } from './generate.js';

export interface ClickHouseOptions {
  /** the HTTP interface, e.g. http://127.0.0.1:8123 */
  url: string;
  username?: string;
  password?: string;
  database?: string;
  /** per-request timeout in ms (default 10 minutes) */
  requestTimeoutMs?: number;
}

/** ClickHouse's type names → how the model frame reads the column. */
export function clickhouseKind(type: string): ColumnKind {
  let t = type;
  for (;;) {
    const m = /^(Nullable|LowCardinality)\((.*)\)$/.exec(t);
    if (!m) break;
    t = m[2];
  }
  if (/^(U?Int\d+|Float\d+|Decimal)/.test(t)) return 'numeric';
  if (t === 'Bool') return 'bool';
  return 'text';
}

/** A table name as a FROM item (`db.table` quoted part by part). */
export function clickhouseSource(table: string): string {
  return table.split('.').map((part) => clickhouse.ident(part)).join('.');
}

export class ClickHouseEngine implements SqlEngine {
  readonly name = 'clickhouse' as const;
  readonly dialect = clickhouse;
  private readonly client: ClickHouseClient;

  constructor(readonly options: ClickHouseOptions) {
    this.client = createClient({
      url: options.url,
      username: options.username,
      password: options.password,
      database: options.database,
      request_timeout: options.requestTimeoutMs ?? 600_000,
      log: { level: ClickHouseLogLevel.OFF },
    });
  }

  private wrap(stage: string, e: unknown): EngineError {
    const err = e as { code?: string; message?: string };
    if (err?.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(err?.message ?? '')) {
      return new EngineError('clickhouse', stage, new Error(`cannot connect to ${this.options.url} (connection refused)`));
    }
    return new EngineError('clickhouse', stage, e);
  }

  async schema(source: string): Promise<ColumnSchema> {
    const rows = await this.rows(`DESCRIBE TABLE ${source}`, 'reading the schema');
    return new Map(rows.map((r) => [String(r.name), clickhouseKind(String(r.type))] as const));
  }

  async run(query: GramQuery): Promise<GroupSums> {
    const out = new ResultBuilder(query);
    try {
      // each shard returns its own groups, finished; the Gram source adds them up. (Debian's
      // 18.16 cannot merge sumKahan / covarPopStable states between servers: "Unknown packet".)
      const rs = await this.client.query({ query: query.sql, format: 'TabSeparated', clickhouse_settings: { distributed_group_by_no_merge: '1' } });
      for await (const rows of rs.stream()) {
        for (const row of rows as { text: string }[]) out.addTextRow(row.text.split('\t'));
      }
    } catch (e) {
      throw this.wrap(query.stage, e);
    }
    return out.finish();
  }

  async exec(sql: string, stage: string): Promise<void> {
    try {
      await this.client.command({ query: sql });
    } catch (e) {
      throw this.wrap(stage, e);
    }
  }

  async rows(sql: string, stage: string): Promise<Record<string, unknown>[]> {
    try {
      const rs = await this.client.query({ query: sql, format: 'JSONEachRow' });
      return await rs.json<Record<string, unknown>>();
    } catch (e) {
      throw this.wrap(stage, e);
    }
  }

  async createTable(name: string, columns: TableColumn[], data: (string[] | Float64Array)[], stage: string): Promise<void> {
    const d = this.dialect;
    const table = d.ident(name);
    await this.exec(`CREATE TABLE ${table} (${columns.map((c) => `${d.ident(c.name)} ${c.kind === 'numeric' ? 'Float64' : 'String'}`).join(', ')}) ENGINE = Memory`, stage);
    try {
      // RowBinary over HTTP: the doubles' bits (18.16's text float parser is not correctly rounded)
      const url = new URL(this.options.url);
      url.searchParams.set('query', `INSERT INTO ${table} FORMAT RowBinary`);
      if (this.options.database) url.searchParams.set('database', this.options.database);
      const headers: Record<string, string> = {};
      if (this.options.username) headers['X-ClickHouse-User'] = this.options.username;
      if (this.options.password) headers['X-ClickHouse-Key'] = this.options.password;
      const r = await fetch(url, { method: 'POST', headers, body: new Blob([rowBinary(columns, data)]) });
      if (!r.ok) throw new Error((await r.text()).trim());
    } catch (e) {
      await this.dropTable(name);
      throw this.wrap(stage, e);
    }
  }

  async dropTable(name: string): Promise<void> {
    await this.client.command({ query: `DROP TABLE IF EXISTS ${this.dialect.ident(name)}` });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** Rows of String and Float64 columns in ClickHouse's RowBinary (LEB128 lengths, little-endian doubles). */
export function rowBinary(columns: TableColumn[], data: (string[] | Float64Array)[]): Uint8Array<ArrayBuffer> {
  const enc = new TextEncoder();
  const rows = data[0]?.length ?? 0;
  const text = columns.map((c, k) => (c.kind === 'text' ? (data[k] as string[]).map((v) => enc.encode(v)) : null));
  let size = 0;
  columns.forEach((c, k) => {
    if (c.kind === 'numeric') size += 8 * rows;
    else for (const b of text[k]!) size += b.length + 5;
  });
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let o = 0;
  for (let i = 0; i < rows; i++) {
    columns.forEach((c, k) => {
      if (c.kind === 'numeric') { view.setFloat64(o, (data[k] as Float64Array)[i], true); o += 8; return; }
      const b = text[k]![i];
      let len = b.length;
      do { let byte = len & 0x7f; len >>>= 7; if (len) byte |= 0x80; out[o++] = byte; } while (len);
      out.set(b, o);
      o += b.length;
    });
  }
  return out.slice(0, o);
}
