/**
 * The browser page of the GPU benchmark (bundled by `npm run bench:browser:build` into
 * bench/out/browser/main.js). It imports the library's browser-safe entry (src/index.ts), generates
 * the synthetic data in the page (bench/synth.ts), and fits it with the WebGPU and the CPU backend
 * in the same page. bench/browser.ts drives it through `window.mixedBench`; by hand, open
 * `index.html?rows=100000,1000000&run`.
 */
import { lmer } from '../../src/index.js';
// browser-safe (navigator.gpu); the library's entry does not export it
import { acquireGpu, gpuUnavailableReason, releaseGpu } from '../../src/backend/webgpu/device.js';
import { generateLmmData } from '../synth.js';
import { type BandwidthResult, measureBandwidth } from '../bandwidth.js';
import { type FitRow, bandwidthLines, fitRow, gpuTable } from '../format.js';

export const FORMULA = 'y ~ x + w + (x | g)';

/** The groups of an n-row case: n/20 up to 100,000 (1e5 → 5,000; 1e6 → 50,000; 1e7 → 100,000). */
export function groupsFor(n: number): number {
  return Math.max(1, Math.min(100_000, Math.round(n / 20)));
}

export interface PageInfo {
  userAgent: string;
  hardwareConcurrency: number;
  /** navigator.deviceMemory (GiB, rounded by the browser) */
  deviceMemoryGiB: number | null;
  webgpu: boolean;
  adapterName: string | null;
  isSoftware: boolean | null;
  limits: Record<string, number> | null;
  error: string | null;
}

const MiB = 2 ** 20;

function jsHeapMB(): number | undefined {
  const m = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
  return m ? m.usedJSHeapSize / MiB : undefined;
}

function log(s: string): void {
  console.log(s);
  const el = document.getElementById('log');
  if (el) el.textContent += s + '\n';
}

async function info(): Promise<PageInfo> {
  const nav = navigator as Navigator & { deviceMemory?: number };
  const res: PageInfo = {
    userAgent: nav.userAgent, hardwareConcurrency: nav.hardwareConcurrency, deviceMemoryGiB: nav.deviceMemory ?? null,
    webgpu: !!nav.gpu, adapterName: null, isSoftware: null, limits: null, error: null,
  };
  const ctx = await acquireGpu();
  if (!ctx) {
    res.error = gpuUnavailableReason();
    return res;
  }
  res.adapterName = ctx.adapterName;
  res.isSoftware = ctx.isSoftware;
  res.limits = {};
  for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupsPerDimension', 'maxComputeInvocationsPerWorkgroup'] as const) res.limits[k] = ctx.limits[k];
  releaseGpu(ctx);
  return res;
}

async function bandwidth(bytes: number, software: boolean): Promise<BandwidthResult | { error: string }> {
  const ctx = await acquireGpu();
  if (!ctx) return { error: gpuUnavailableReason() ?? 'no adapter' };
  try {
    return await measureBandwidth(ctx.device, { bytes, passesPerTrial: software ? 2 : 8, trials: software ? 3 : 5 });
  } catch (e) {
    return { error: (e as Error).message };
  } finally {
    await ctx.device.queue.onSubmittedWorkDone();
    releaseGpu(ctx);
  }
}

/** Generates n rows and fits them with each backend in turn; a failed fit gives a row with `error`. */
async function fitSize(n: number, groups: number, seed: number, backends: ('webgpu' | 'cpu')[]): Promise<FitRow[]> {
  const id = n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}m` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n);
  const t0 = performance.now();
  let data: ReturnType<typeof generateLmmData> | null = generateLmmData({ n, groups, seed });
  const dataMs = performance.now() - t0;
  const memAfterDataMB = jsHeapMB();
  log(`[${id}] ${n} rows, ${groups} groups generated in ${(dataMs / 1000).toFixed(2)} s`);
  const rows: FitRow[] = [];
  for (const backend of backends) {
    log(`[${id}] ${backend} fit: ${FORMULA} ...`);
    let last = 0;
    try {
      const t1 = performance.now();
      const fit = await lmer(FORMULA, data.table, {
        REML: true, backend,
        onProgress: (p) => {
          if (p.elapsedMs - last > 10_000) {
            last = p.elapsedMs;
            log(`  [${id} ${backend}] ${p.feval} evals, ${(p.elapsedMs / 1000).toFixed(0)} s, best ${p.best.toFixed(4)}`);
          }
        },
      });
      const wall = performance.now() - t1;
      const row: FitRow = { ...fitRow(id, backend, fit, wall), dataMs, dataKind: 'generate', memMB: jsHeapMB(), memAfterDataMB };
      rows.push(row);
      const t = fit.timings;
      log(`[${id}] ${backend}: fit ${(t.totalMs! / 1000).toFixed(2)} s, ${row.evals}${backend === 'webgpu' ? ` + ${row.polishEvals} polish` : ''} evals, objective ${fit.objective}`);
    } catch (e) {
      const err = e as Error;
      log(`[${id}] ${backend} failed: ${err.stack ?? err.message}`);
      rows.push({ case: id, backend, n, error: `${err.name}: ${err.message}` });
    } finally {
      // destroy the devices the WebGPU fit acquired (lmer leaves its device to the process)
      releaseGpu();
    }
  }
  data = null;
  return rows;
}

declare global {
  interface Window {
    mixedBench: {
      info: typeof info;
      bandwidth: typeof bandwidth;
      fitSize: typeof fitSize;
      groupsFor: typeof groupsFor;
      ready: true;
    };
  }
}

window.mixedBench = { info, bandwidth, fitSize, groupsFor, ready: true };

// by hand: index.html?rows=100000,1000000&run[&bw-mib=256][&backends=webgpu,cpu]
const q = new URLSearchParams(location.search);
if (q.has('run')) {
  void (async () => {
    const i = await info();
    log(JSON.stringify(i));
    const bw = i.adapterName ? await bandwidth(Number(q.get('bw-mib') ?? 256) * MiB, !!i.isSoftware) : null;
    const bwOk = bw && !('error' in bw) ? bw : null;
    for (const l of bandwidthLines(i.adapterName, i.isSoftware, bwOk, bw && 'error' in bw ? bw.error : undefined)) log(l);
    const sizes = (q.get('rows') ?? '100000').split(',').map(Number);
    const backends = (q.get('backends') ?? 'webgpu,cpu').split(',') as ('webgpu' | 'cpu')[];
    const rows: FitRow[] = [];
    for (const n of sizes) rows.push(...(await fitSize(n, groupsFor(n), 1, backends)));
    log('\n' + gpuTable(rows, 'JS heap (MiB)'));
  })();
}
