/**
 * The browser tests' harness: the page is built once per test file with Vite into a temporary
 * folder, served by a small static server on 127.0.0.1, and driven in Debian's Chromium through
 * Puppeteer (never a downloaded browser), with WebGPU on SwiftShader (--enable-unsafe-webgpu).
 * Also used by bench/app.ts (no vitest here).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'puppeteer';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
export const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => !!p && existsSync(p));
/** Without Chromium the tests are skipped; under CI (env CI set) a missing Chromium fails them. */
export const enabled = !!CHROMIUM || CI;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.csv': 'text/csv', '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.png': 'image/png',
};

function run(cmd: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); rej(new Error(`${cmd} ${args.join(' ')} timed out:\n${out}`)); }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); rej(e); });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) res(); else rej(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${out}`));
    });
  });
}

export interface App {
  /** the page's address */
  base: string;
  /** a temporary folder for test files (removed by close) */
  tmp: string;
  browser: Browser;
  /** a new tab at `base + query`, at the given viewport, once the page has probed WebGPU */
  openPage(options?: { query?: string; width?: number; height?: number }): Promise<Page>;
  close(): Promise<void>;
}

/** Builds the page, serves it and starts Chromium. */
export async function startApp(): Promise<App> {
  if (!CHROMIUM) throw new Error('Chromium is not installed (/usr/bin/chromium; Debian package chromium): the browser tests cannot run under CI');
  const tmp = mkdtempSync(join(tmpdir(), 'mixedgpu-e2e-'));
  const outDir = join(tmp, 'dist');
  await run(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'demo/vite.config.ts', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], 240_000);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let path = normalize(join(outDir, decodeURIComponent(url.pathname)));
    if (!path.startsWith(outDir + sep) && path !== outDir) { res.writeHead(403).end(); return; }
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'index.html');
    if (!existsSync(path)) { res.writeHead(404).end('not found'); return; }
    res.writeHead(200, { 'content-type': MIME[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(path));
  });
  const base = await new Promise<string>((res) => server.listen(0, '127.0.0.1', () => res(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)));
  const puppeteer = (await import('puppeteer')).default;
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    protocolTimeout: 180_000,
    args: [
      '--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-gpu-sandbox',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
      `--user-data-dir=${join(tmp, 'profile')}`,
    ],
  });
  return {
    base, tmp, browser,
    async openPage({ query = '', width = 1440, height = 1000 } = {}) {
      const page = await browser.newPage();
      await page.setViewport({ width, height, deviceScaleFactor: 1 });
      await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
      page.setDefaultTimeout(60_000);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(base + query, { waitUntil: 'load' });
      await page.waitForFunction(() => document.body.dataset.gpu !== 'probing', { timeout: 60_000 });
      if (errors.length) throw new Error(`the page threw while loading: ${errors.join('; ')}`);
      return page;
    },
    async close() {
      await browser.close().catch(() => {});
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export async function text(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (e) => (e.textContent ?? '').trim());
}

/** Replaces link clicks by a capture of the downloaded file: its text, or for binary files its bytes as base64. */
export async function captureDownloads(page: Page): Promise<(name: string) => Promise<{ text: string; bytes: Buffer }>> {
  await page.evaluate(() => {
    const w = window as unknown as { downloads: Record<string, string> };
    w.downloads = {};
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      const name = this.download;
      void fetch(this.href).then((r) => r.arrayBuffer()).then((b) => {
        const u = new Uint8Array(b);
        let s = '';
        for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
        w.downloads[name] = btoa(s);
      });
    };
  });
  return async (name: string) => {
    await page.waitForFunction((n) => (window as unknown as { downloads: Record<string, string> }).downloads[n] !== undefined, {}, name);
    const b64 = await page.evaluate((n) => (window as unknown as { downloads: Record<string, string> }).downloads[n]!, name);
    const bytes = Buffer.from(b64, 'base64');
    return { text: bytes.toString('utf8'), bytes };
  };
}

/** Drops a file with this content on the page's drop zone. */
export async function dropFile(page: Page, name: string, content: string): Promise<void> {
  await page.$eval('#drop', (zone, n, c) => {
    const dt = new DataTransfer();
    dt.items.add(new File([c], n, { type: 'text/csv' }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, name, content);
}
