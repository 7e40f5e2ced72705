/**
 * A real two-shard ClickHouse cluster for the tests (test/helpers/clickhouse.ts) and the benchmark
 * (./clickhouse.ts): two `clickhouse-server` processes
 * (Debian's package) on loopback ports, each in its own temporary directory, with a `remote_servers`
 * cluster of two shards (one per server, by TCP port). Stopped by PID; the directories are removed.
 * Data go in as RowBinary over HTTP (exact doubles: ClickHouse 18.16's text float parser is not
 * correctly rounded).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const USERS_XML = '/etc/clickhouse-server/users.xml';

/** The server binary (Debian installs it in /usr/sbin), or null. */
function serverBinary(): string | null {
  for (const p of ['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server']) if (existsSync(p)) return p;
  const w = spawnSync('which', ['clickhouse-server'], { encoding: 'utf8' });
  return w.status === 0 ? w.stdout.trim() : null;
}

/** Why the cluster cannot start here, or null. */
export function clickhouseMissing(): string | null {
  if (!serverBinary()) return 'clickhouse-server is not installed (apt-get install clickhouse-server)';
  if (!existsSync(USERS_XML)) return `${USERS_XML} is missing (Debian's clickhouse-server package installs it)`;
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Server {
  dir: string;
  http: number;
  tcp: number;
  proc: ChildProcess;
  exited: Promise<void>;
  log: string[];
}

export interface Cluster {
  /** HTTP URLs of the two servers */
  urls: string[];
  /** the cluster's name in remote_servers */
  cluster: string;
  /** the servers' process ids */
  pids: number[];
  /** the servers' error logs and console output so far */
  logs(): string;
  /** runs a statement on server `k` (0 or 1) over HTTP; returns the response text */
  sql(k: number, query: string, body?: Uint8Array): Promise<string>;
  /** stops server `k` alone (to test a failure mid-fit) */
  stopServer(k: number): Promise<void>;
  stop(): Promise<void>;
}

function config(dir: string, http: number, tcp: number, shards: number[]): string {
  const replicas = shards.map((p) => `<shard><replica><host>127.0.0.1</host><port>${p}</port></replica></shard>`).join('');
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/error.log</errorlog><console>0</console></logger>
  <http_port>${http}</http_port>
  <tcp_port>${tcp}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${USERS_XML}</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
  <remote_servers><mixedgpu>${replicas}</mixedgpu></remote_servers>
</yandex>
`;
}

async function waitReady(s: Server, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  let exited = false;
  void s.exited.then(() => { exited = true; });
  while (Date.now() - t0 < timeoutMs) {
    if (exited) throw new Error(`clickhouse-server (port ${s.http}) exited: ${s.log.join('').slice(-2000)}`);
    try {
      const r = await fetch(`http://127.0.0.1:${s.http}/ping`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`clickhouse-server (port ${s.http}) did not answer within ${timeoutMs} ms`);
}

/** Starts two servers forming the cluster `mixedgpu` of two shards. */
export async function startCluster(): Promise<Cluster> {
  const missing = clickhouseMissing();
  if (missing) throw new Error(missing);
  const root = mkdtempSync(join(tmpdir(), 'mixedgpu-clickhouse-'));
  const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
  const tcp = [ports[1], ports[3]];
  const servers: Server[] = [];
  try {
    for (let k = 0; k < 2; k++) {
      const dir = join(root, `shard${k + 1}`);
      for (const d of ['data', 'tmp', 'user_files', 'format_schemas']) mkdirSync(join(dir, d), { recursive: true });
      const file = join(dir, 'config.xml');
      writeFileSync(file, config(dir, ports[2 * k], ports[2 * k + 1], tcp));
      const proc = spawn(serverBinary()!, [`--config-file=${file}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      const log: string[] = [];
      proc.stdout!.on('data', (b) => log.push(String(b)));
      proc.stderr!.on('data', (b) => log.push(String(b)));
      const exited = new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.once('error', (e) => { log.push(String(e)); resolve(); });
      });
      servers.push({ dir, http: ports[2 * k], tcp: ports[2 * k + 1], proc, exited, log });
    }
    await Promise.all(servers.map((s) => waitReady(s, 60_000)));
  } catch (e) {
    await stopServers(servers);
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
  const urls = servers.map((s) => `http://127.0.0.1:${s.http}`);
  return {
    urls,
    cluster: 'mixedgpu',
    pids: servers.map((s) => s.proc.pid!),
    logs: () => servers.map((s, k) => {
      const err = join(s.dir, 'error.log');
      return `server ${k + 1}: ${s.log.join('')}${existsSync(err) ? readFileSync(err, 'utf8') : ''}`;
    }).join('\n'),
    async sql(k, query, body) {
      const url = `${urls[k]}/?query=${encodeURIComponent(query)}`;
      const r = await fetch(body ? url : urls[k], { method: 'POST', body: body ? new Blob([body as Uint8Array<ArrayBuffer>]) : query });
      const text = await r.text();
      if (!r.ok) throw new Error(`clickhouse (server ${k + 1}): ${text.trim()}`);
      return text;
    },
    stopServer: (k) => stopServers([servers[k]]),
    async stop() {
      await stopServers(servers);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** SIGTERM each server by its PID, SIGKILL after 10 s. */
async function stopServers(servers: Server[]): Promise<void> {
  await Promise.all(servers.map(async (s) => {
    if (s.proc.pid === undefined || s.proc.exitCode !== null || s.proc.signalCode !== null) return;
    process.kill(s.proc.pid!, 'SIGTERM');
    const timer = setTimeout(() => { if (s.proc.exitCode === null) process.kill(s.proc.pid!, 'SIGKILL'); }, 10_000);
    await s.exited;
    clearTimeout(timer);
  }));
}
