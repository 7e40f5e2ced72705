/**
 * What the browser tests share: Debian's Chromium (never a downloaded browser) driven by Puppeteer
 * with WebGPU on SwiftShader (--enable-unsafe-webgpu), a small static server on 127.0.0.1, and a
 * child process runner with a timeout. Used by test/e2e/harness.ts (the app's tests) and consumer.test.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import type { Browser } from 'puppeteer';

export const CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
export const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => !!p && existsSync(p));

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.csv': 'text/csv', '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.png': 'image/png',
};

/** Runs `cmd args` in `cwd`; rejects with its output when it fails or runs past `timeoutMs`. Resolves to its output. */
export function run(cmd: string, args: string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); rej(new Error(`${cmd} ${args.join(' ')} timed out:\n${out}`)); }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); rej(e); });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) res(out); else rej(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${out}`));
    });
  });
}

/**
 * Serves `dir` on 127.0.0.1 (a free port); returns the server and its base address. `headers` go with
 * every response (e.g. COOP/COEP for a cross-origin isolated page).
 */
export function serve(dir: string, headers: Record<string, string> = {}): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let path = normalize(join(dir, decodeURIComponent(url.pathname)));
    if (!path.startsWith(dir + sep) && path !== dir) { res.writeHead(403).end(); return; }
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'index.html');
    if (!existsSync(path)) { res.writeHead(404).end('not found'); return; }
    res.writeHead(200, { 'content-type': MIME[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store', ...headers });
    res.end(readFileSync(path));
  });
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` })));
}

/** Headless Debian Chromium with WebGPU (SwiftShader here), its profile in `profileDir`. */
export async function launchChromium(profileDir: string): Promise<Browser> {
  if (!CHROMIUM) throw new Error('Chromium is not installed (/usr/bin/chromium; Debian package chromium): the browser tests cannot run under CI');
  const puppeteer = (await import('puppeteer')).default;
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    protocolTimeout: 180_000,
    args: [
      '--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-gpu-sandbox',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
      `--user-data-dir=${profileDir}`,
    ],
  });
}
