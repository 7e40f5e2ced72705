/**
 * A Parquet file streamed through the Gram-matrix pass in Chromium's Web Worker: serves
 * bench/out/stream-browser/ (bundled by `node bench/build.mjs stream-browser`), opens it headless
 * through Puppeteer, gives the page the file (a disk-backed File: nothing is copied into the tab),
 * and runs src/gram/stream/ in the worker. Reports the time, the worker's JS heap peak and the peak
 * resident memory of Chromium's processes (sampled from /proc every second).
 *
 *   node bench/build.mjs stream-browser && node bench/out/stream-browser-bench.mjs \
 *     --file bench/out/data/rows210m.parquet --formula 'y ~ x + w + (x | g)' --factors g
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer from 'puppeteer';
import { chromiumArgs, serve } from './browser.js';
import type { StreamResult } from './stream-browser/main.js';

const arg = (k: string, d?: string) => { const i = process.argv.indexOf(`--${k}`); return i > 0 ? process.argv[i + 1] : d; };

/** RSS (MiB) of a process and its descendants, from /proc */
function treeRssMB(root: number): { total: number; largest: number } {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try { parent.set(Number(d), Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1])); } catch { /* gone */ }
  }
  let total = 0, largest = 0;
  for (const pid of parent.keys()) {
    let p: number | undefined = pid;
    while (p && p !== root) p = parent.get(p);
    if (p !== root && pid !== root) continue;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      const mb = m ? Number(m[1]) / 1024 : 0;
      total += mb;
      largest = Math.max(largest, mb);
    } catch { /* gone */ }
  }
  return { total, largest };
}

async function main(): Promise<void> {
  const file = resolve(arg('file')!);
  const run = { formula: arg('formula', 'y ~ x + w + (x | g)')!, factors: arg('factors')?.split(','), batchSize: Number(arg('batch', '65536')) };
  const { server, url } = await serve('bench/out/stream-browser');
  const userDataDir = mkdtempSync(join(tmpdir(), 'mixedgpu-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: arg('chromium', process.env.CHROMIUM ?? '/usr/bin/chromium'), headless: true,
    args: chromiumArgs(false, userDataDir), protocolTimeout: Number(arg('timeout-min', '120')) * 60_000,
  });
  const pid = browser.process()!.pid!;
  let peak = { total: 0, largest: 0 };
  const timer = setInterval(() => { const r = treeRssMB(pid); if (r.total > peak.total) peak = { ...r }; if (r.largest > peak.largest) peak.largest = r.largest; }, 1000);
  try {
    const page = await browser.newPage();
    page.on('console', (m) => console.error(`[page] ${m.text()}`));
    await page.goto(url);
    const input = (await page.$('#file'))!;
    await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(file);
    const res = await page.evaluate((r) => window.streamBench.run(r), run) as StreamResult;
    console.log(JSON.stringify({
      ...res, fileGB: statSync(file).size / 1e9, formula: run.formula, batchSize: run.batchSize,
      chromiumPeakRssMB: peak.total, largestProcessPeakRssMB: peak.largest, browser: await browser.version(),
    }, null, 2));
  } finally {
    clearInterval(timer);
    await browser.close();
    server.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

await main();
