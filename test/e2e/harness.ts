/**
 * The browser tests' harness: the page is built once per test file with Vite into a temporary
 * folder, served by a small static server on 127.0.0.1, and driven in Debian's Chromium through
 * Puppeteer (never a downloaded browser), with WebGPU on SwiftShader (--enable-unsafe-webgpu).
 * Also used by bench/app.ts (no vitest here).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'puppeteer';
import { CHROMIUM, CI, launchChromium, run, serve } from './browser.js';

export { CHROMIUM, CI };
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Without Chromium the tests are skipped; under CI (env CI set) a missing Chromium fails them. */
export const enabled = !!CHROMIUM || CI;

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
  const tmp = mkdtempSync(join(tmpdir(), 'mixedgpu-e2e-'));
  const outDir = join(tmp, 'dist');
  await run(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'demo/vite.config.ts', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], ROOT, 240_000);
  const { server, base } = await serve(outDir);
  const browser = await launchChromium(join(tmp, 'profile'));
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
