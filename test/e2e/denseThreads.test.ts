/**
 * The threaded dense Cholesky in a browser (headless Debian Chromium): on a cross-origin isolated page
 * (COOP/COEP headers) the helpers are Web Workers on a shared WebAssembly memory and the factor (and an
 * update of a dense block from sparse ones) is bit-identical to one thread's; on a page without the headers (no SharedArrayBuffer) the kernels run
 * on one thread and give the same factor. Without Chromium the test is skipped; under CI it fails.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'puppeteer';
import { CHROMIUM, CI, launchChromium, serve } from './browser.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
const N = 600;

let tmp = '';
let browser: Browser | undefined;
const servers: Server[] = [];

const enabled = !!CHROMIUM || CI;

describe.skipIf(!enabled)('dense kernels on Web Workers (Chromium)', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'mixedgpu-threads-'));
    await build({ entryPoints: [join(HERE, 'pages/denseThreads.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outfile: join(tmp, 'page.js'), logLevel: 'error' });
    writeFileSync(join(tmp, 'index.html'), '<!doctype html><html><body><script type="module" src="./page.js"></script></body></html>');
    browser = await launchChromium(join(tmp, 'profile'));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  async function runPage(headers: Record<string, string>) {
    const { server, base } = await serve(tmp, headers);
    servers.push(server);
    const page = await browser!.newPage();
    try {
      await page.goto(base, { waitUntil: 'load' });
      await page.waitForSelector('body[data-ready="yes"]', { timeout: 60_000 });
      return await page.evaluate((n) => (globalThis as unknown as { runThreads(n: number): Promise<{ isolated: boolean; poolThreads: number; arenaThreads: number; identical: boolean; helped: number; logdet: number; sparseIdentical: boolean; sparseHelped: number }> }).runThreads(n), N);
    } finally {
      await page.close();
    }
  }

  it('a cross-origin isolated page factors on two threads, bit-identical to one', async () => {
    const r = await runPage(ISOLATION);
    expect(r.isolated).toBe(true);
    expect(r.poolThreads).toBe(2);
    expect(r.arenaThreads).toBe(2);
    expect(r.helped).toBeGreaterThan(0);
    expect(r.identical).toBe(true);
    expect(Number.isFinite(r.logdet)).toBe(true);
    // the sparse-to-dense update's rows on the Web Worker too
    expect(r.sparseHelped).toBeGreaterThan(0);
    expect(r.sparseIdentical).toBe(true);
  }, 120_000);

  it('a page without isolation falls back to one thread, with the same factor', async () => {
    const r = await runPage({});
    expect(r.isolated).toBe(false);
    expect(r.poolThreads).toBe(1);
    expect(r.arenaThreads).toBe(1);
    expect(r.helped).toBe(0);
    expect(r.identical).toBe(true);
    expect(r.sparseHelped).toBe(0);
    expect(r.sparseIdentical).toBe(true);
  }, 120_000);
});
