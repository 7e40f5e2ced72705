/**
 * The browser app's "Files larger than the tab" panel on a multi-GB Parquet file (issues 14 and 16):
 * builds and serves the app (test/e2e/harness.ts), gives the panel the file (a disk-backed File:
 * nothing is copied into the tab), streams and fits it in the app's worker, and samples every two
 * seconds the page's JS heap (CDP Performance.getMetrics: the main thread), the worker's JS heap
 * (CDP Runtime.getHeapUsage on the worker's target) and the resident memory of Chromium's processes
 * (/proc). Reports the time, bytes and rows read per second, and the peaks.
 *
 *   APP_STREAM_DATA=1 npx vite-node bench/app-stream-data.ts -- --rows 215000000 --groups 10000 --out /tmp/big.parquet
 *   node bench/build.mjs app-stream && node bench/out/app-stream-bench.mjs --file /tmp/big.parquet \
 *     --formula 'y ~ x + w + (x | g)' --factors g [--exact] [--quantiles] [--no-diagnostics] [--batch 65536]
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CDPSession, Page } from 'puppeteer';
import { startApp } from '../test/e2e/harness.js';
import { machine, machineLine } from './common.js';

const arg = (k: string, d?: string) => { const i = process.argv.indexOf(`--${k}`); return i > 0 ? process.argv[i + 1] : d; };
const flag = (k: string) => process.argv.includes(`--${k}`);

/** RSS (MiB) of a process and its descendants, from /proc */
function treeRssMB(root: number): number {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try { parent.set(Number(d), Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1])); } catch { /* gone */ }
  }
  let total = 0;
  for (const pid of parent.keys()) {
    let p: number | undefined = pid;
    while (p && p !== root) p = parent.get(p);
    if (p !== root) continue;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      total += m ? Number(m[1]) / 1024 : 0;
    } catch { /* gone */ }
  }
  return total;
}

const MB = 2 ** 20;

async function main(): Promise<void> {
  const file = resolve(arg('file')!);
  const formula = arg('formula', 'y ~ x + w + (x | g)')!;
  const factors = arg('factors', 'g')!;
  const batch = arg('batch', '65536')!;
  const exact = flag('exact');
  const quantiles = flag('quantiles');
  const diagnostics = !flag('no-diagnostics');
  const fileBytes = statSync(file).size;
  const app = await startApp();
  const pid = app.browser.process()!.pid!;
  const peak = { page: 0, worker: 0, rss: 0 };
  const samples: { t: number; page: number; worker: number; rss: number; progress: string }[] = [];
  try {
    const page: Page = await app.openPage();
    await page.click('#stream-details summary');
    const input = (await page.$('#stream-file'))!;
    await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(file);
    await page.$eval('#stream-formula', (e, f) => { (e as HTMLInputElement).value = f; }, formula);
    await page.$eval('#stream-factors', (e, f) => { (e as HTMLInputElement).value = f; }, factors);
    await page.$eval('#stream-batch', (e, b) => { (e as HTMLInputElement).value = b; }, batch);
    const setBox = (id: string, on: boolean) => page.$eval(id, (e, v) => { (e as HTMLInputElement).checked = v; }, on);
    await setBox('#stream-exact', exact);
    await setBox('#stream-quantiles', quantiles);
    await setBox('#stream-diag', diagnostics);
    // the app's worker (started with the page): its CDP session for the heap
    const workers = page.workers();
    if (workers.length !== 1) throw new Error(`expected the app's one worker, found ${workers.length}`);
    const workerCdp = (workers[0] as unknown as { client: CDPSession }).client;
    const t0 = Date.now();
    await page.click('#stream-fit');
    let lastLog = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 2000));
      const [m, w] = await Promise.all([page.metrics(), workerCdp.send('Runtime.getHeapUsage')]);
      const rss = treeRssMB(pid);
      const pageMB = (m.JSHeapUsedSize ?? 0) / MB;
      const workerMB = w.usedSize / MB;
      peak.page = Math.max(peak.page, pageMB);
      peak.worker = Math.max(peak.worker, workerMB);
      peak.rss = Math.max(peak.rss, rss);
      const state = await page.evaluate(() => ({
        done: !(document.querySelector('#stream-result') as HTMLElement).hidden,
        error: document.querySelector('#stream-error')!.textContent ?? '',
        progress: document.querySelector('#stream-progress')!.textContent ?? '',
      }));
      samples.push({ t: (Date.now() - t0) / 1000, page: pageMB, worker: workerMB, rss, progress: state.progress });
      if (Date.now() - lastLog > 30_000) {
        lastLog = Date.now();
        console.error(`[${((Date.now() - t0) / 1000).toFixed(0)} s] page heap ${pageMB.toFixed(1)} MiB, worker heap ${workerMB.toFixed(0)} MiB, Chromium RSS ${rss.toFixed(0)} MiB · ${state.progress}`);
      }
      if (state.error) throw new Error(`the page says: ${state.error}`);
      if (state.done) break;
    }
    const stats = await page.$eval('#stream-stats', (e) => ({ ...(e as HTMLElement).dataset }) as Record<string, string>);
    const info = await page.$eval('#stream-info', (e) => e.textContent);
    const fixef = await page.$$eval('#stream-fixef-table tbody tr', (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.term, Number((tr as HTMLElement).dataset.estimate), Number((tr as HTMLElement).dataset.se)]));
    const sigma = await page.$eval('#stream-sigma', (e) => Number((e as HTMLElement).dataset.value));
    const diagCaption = diagnostics ? await page.$eval('#stream-diag-caption', (e) => e.textContent) : null;
    const notShown = await page.$eval('#stream-not-shown', (e) => e.textContent);
    const out = {
      file, fileBytes, fileGB: fileBytes / 1e9, formula, factors, batch: Number(batch), exact, quantiles, diagnostics,
      wallSeconds: (Date.now() - t0) / 1000,
      pageElapsedSeconds: Number(stats.elapsedMs) / 1000,
      bytesRead: Number(stats.bytesRead), rowsScanned: Number(stats.rowsScanned), rowsReplayed: Number(stats.rowsReplayed),
      rowsPerSecond: Number(stats.rowsPerSecond), bytesPerSecond: Number(stats.bytesPerSecond),
      pageHeapPeakMiB: peak.page, workerHeapPeakMiB: peak.worker, chromiumRssPeakMiB: peak.rss,
      fixef, sigma, info, diagCaption, notShown, samples: samples.length,
      browser: await app.browser.version(), machine: machineLine(machine()), date: new Date().toISOString(),
    };
    console.log(JSON.stringify(out, null, 2));
  } finally {
    await app.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
