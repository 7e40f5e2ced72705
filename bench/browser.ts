/**
 * GPU benchmark in the browser: serves bench/out/browser/ (the page of bench/browser/, bundled by
 * `npm run bench:browser:build`) on 127.0.0.1, opens it in Chromium through Puppeteer (headless,
 * WebGPU enabled), and for each size generates the data in the page and fits it with the WebGPU and
 * the CPU backend there; plus the adapter's measured bandwidth (bench/bandwidth.ts).
 *
 *   npm run bench:browser:build && node bench/out/browser-bench.mjs [options]
 *
 * Options:
 *   --rows 100000,1000000   sizes (default 1e5,1e6; 1e7 where memory allows); groups n/20 up to 100,000
 *   --backends webgpu,cpu   (default both, in this order)
 *   --seed S                (default 1)
 *   --bw-mib M              buffer of the bandwidth measurement (default 256); --no-bandwidth skips it
 *   --chromium PATH         the browser (default /usr/bin/chromium, or $CHROMIUM)
 *   --real-gpu              a real Linux GPU: adds --enable-features=Vulkan --use-angle=vulkan, and
 *                           --enable-webgpu-developer-features so the adapter reports its full name
 *                           (e.g. the card's model, for the nominal bandwidth; otherwise only 'nvidia hopper')
 *   --chrome-arg FLAG       one more Chromium flag (repeatable), e.g. --chrome-arg=--ignore-gpu-blocklist
 *   --headful               show the window (needs a display)
 *   --timeout-min T         the whole run stops after T minutes, browser closed (default 20)
 *   --out DIR               where browser-results-<date>.{json,md} go (default bench/out)
 *
 * Each size runs in a fresh page (tab) of one browser, so one size's memory is freed before the next.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'puppeteer';
import type { BandwidthResult } from './bandwidth.js';
import { type FitRow, bandwidthLines, gpuTable } from './format.js';
import type { PageInfo } from './browser/main.js';
import { dateLine, fileStamp, flags, gitState, machine, machineLine, positiveInt, repoRoot } from './common.js';

interface Args {
  rows: number[];
  backends: ('webgpu' | 'cpu')[];
  seed: number;
  bwMiB: number;
  bandwidth: boolean;
  chromium: string;
  realGpu: boolean;
  headful: boolean;
  timeoutMin: number;
  out: string;
  /** extra Chromium flags (--chrome-arg, repeatable) */
  chromeArgs: string[];
}

const USAGE = 'usage: node bench/out/browser-bench.mjs [--rows 1e5,1e6,1e7] [--backends webgpu,cpu] [--seed S] [--bw-mib 256] [--no-bandwidth] [--chromium /usr/bin/chromium] [--real-gpu] [--chrome-arg FLAG] [--headful] [--timeout-min 20] [--out bench/out]';

function parseArgs(argv: string[]): Args {
  const a: Args = {
    rows: [1e5, 1e6], backends: ['webgpu', 'cpu'], seed: 1, bwMiB: 256, bandwidth: true,
    chromium: process.env.CHROMIUM ?? '/usr/bin/chromium', realGpu: false, headful: false, timeoutMin: 20, out: 'bench/out', chromeArgs: [],
  };
  for (const [flag, val, raw] of flags(argv)) {
    switch (flag) {
      case '--rows': a.rows = (val() ?? '').split(',').filter(Boolean).map((s) => positiveInt('--rows', String(Number(s.replace(/_/g, ''))))); break;
      case '--backends': {
        const b = (val() ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        for (const x of b) if (x !== 'webgpu' && x !== 'cpu') throw new Error(`--backends takes webgpu and cpu, got ${x}`);
        a.backends = b as Args['backends'];
        break;
      }
      case '--seed': a.seed = positiveInt(flag, val()); break;
      case '--bw-mib': a.bwMiB = positiveInt(flag, val()); break;
      case '--no-bandwidth': a.bandwidth = false; break;
      case '--chromium': a.chromium = val() ?? a.chromium; break;
      case '--real-gpu': a.realGpu = true; break;
      case '--chrome-arg': a.chromeArgs.push(val() ?? ''); break;
      case '--headful': a.headful = true; break;
      case '--timeout-min': a.timeoutMin = Number(val()); if (!(a.timeoutMin > 0)) throw new Error('--timeout-min needs a positive number'); break;
      case '--out': a.out = val() ?? a.out; break;
      case '-h': case '--help': console.log(USAGE); process.exit(0); break;
      default: throw new Error(`unknown argument ${raw}\n${USAGE}`);
    }
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// static server

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json', '.json': 'application/json', '.wasm': 'application/wasm', '.css': 'text/css',
};

/** Serves `dir` (GET/HEAD only, nothing outside it) on 127.0.0.1 at a random port. */
export function serve(dir: string): Promise<{ server: Server; url: string }> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if ((req.method !== 'GET' && req.method !== 'HEAD') || (file !== root && !file.startsWith(root + sep)) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((ok, fail) => {
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      if (!addr || typeof addr === 'string') return fail(new Error('no port'));
      ok({ server, url: `http://127.0.0.1:${addr.port}/` });
    });
  });
}

// ---------------------------------------------------------------------------------------------

export function chromiumArgs(realGpu: boolean, userDataDir: string, extra: string[] = []): string[] {
  return [
    '--enable-unsafe-webgpu',
    '--no-sandbox',
    '--disable-gpu-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    `--user-data-dir=${userDataDir}`,
    ...(realGpu ? ['--enable-features=Vulkan', '--use-angle=vulkan', '--enable-webgpu-developer-features'] : []),
    ...extra,
  ];
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  const root = repoRoot(import.meta.url);
  const pageDir = join(root, 'bench', 'out', 'browser');
  if (!existsSync(join(pageDir, 'main.js')) || !existsSync(join(pageDir, 'index.html'))) {
    throw new Error(`${pageDir} has no page: run npm run bench:browser:build first`);
  }
  const outDir = resolve(root, args.out);
  mkdirSync(outDir, { recursive: true });
  const started = new Date();
  const loadStart = os.loadavg();
  const deadline = Date.now() + args.timeoutMin * 60_000;
  const remaining = (): number => Math.max(1_000, deadline - Date.now());

  const { server, url } = await serve(pageDir);
  const userDataDir = mkdtempSync(join(os.tmpdir(), 'mixedgpu-chromium-'));
  const puppeteer = (await import('puppeteer')).default;
  let browser: Browser | null = null;
  // hard stop: whatever hangs, the browser is closed and the process exits
  const killer = setTimeout(() => {
    console.error(`[browser] --timeout-min ${args.timeoutMin} reached: closing the browser`);
    const proc = browser?.process();
    proc?.kill('SIGKILL');
    server.close();
    rmSync(userDataDir, { recursive: true, force: true });
    process.exit(3);
  }, args.timeoutMin * 60_000 + 30_000);
  killer.unref();

  const rows: FitRow[] = [];
  let info: PageInfo | null = null;
  let bw: BandwidthResult | null = null;
  let bwError: string | undefined;
  let browserVersion = '';
  const launchArgs = chromiumArgs(args.realGpu, userDataDir, args.chromeArgs);
  try {
    browser = await puppeteer.launch({
      executablePath: args.chromium,
      headless: !args.headful,
      args: launchArgs,
      protocolTimeout: args.timeoutMin * 60_000,
      timeout: 60_000,
    });
    browserVersion = await browser.version();
    console.error(`[browser] ${browserVersion} at ${url}`);

    const openPage = async (): Promise<Page> => {
      const page = await browser!.newPage();
      page.setDefaultTimeout(remaining());
      page.on('console', (m) => console.error(`  [page] ${m.text()}`));
      page.on('pageerror', (e) => console.error(`  [page error] ${(e as Error).message ?? e}`));
      await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
      await page.waitForFunction(() => (window as unknown as { mixedBench?: { ready: boolean } }).mixedBench?.ready === true, { timeout: 60_000 });
      return page;
    };
    const withTimeout = <T>(p: Promise<T>, what: string): Promise<T> => {
      let timer: NodeJS.Timeout | undefined;
      const t = new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`${what}: past --timeout-min`)), remaining()); });
      return Promise.race([p, t]).finally(() => clearTimeout(timer));
    };

    let page = await openPage();
    info = await withTimeout(page.evaluate(() => window.mixedBench.info()), 'adapter info');
    console.error(`[browser] adapter: ${info.adapterName ?? `none (${info.error})`}`);
    if (args.bandwidth && info.adapterName && args.backends.includes('webgpu')) {
      const r = await withTimeout(page.evaluate((b, s) => window.mixedBench.bandwidth(b, s), args.bwMiB * 2 ** 20, !!info.isSoftware), 'bandwidth');
      if ('error' in r) bwError = r.error;
      else bw = r;
      console.error(`[browser] bandwidth: ${bw ? `read ${bw.readGBps.toFixed(1)} GB/s, copy ${bw.copyGBps.toFixed(1)} GB/s` : bwError}`);
    }
    await page.close();

    for (const n of args.rows) {
      if (Date.now() > deadline) {
        console.error(`[browser] out of time: ${n} rows skipped`);
        rows.push({ case: String(n), backend: 'webgpu', n, error: 'skipped: past --timeout-min' });
        continue;
      }
      page = await openPage();
      try {
        const groups = await page.evaluate((x) => window.mixedBench.groupsFor(x), n);
        const r = await withTimeout(page.evaluate((x, g, s, b) => window.mixedBench.fitSize(x, g, s, b), n, groups, args.seed, args.backends), `${n} rows`);
        rows.push(...r);
      } catch (e) {
        const msg = (e as Error).message;
        console.error(`[browser] ${n} rows failed: ${msg}`);
        rows.push({ case: String(n), backend: 'webgpu', n, error: msg.split('\n')[0]! });
      } finally {
        await page.close().catch(() => undefined);
      }
    }
  } finally {
    await browser?.close().catch(() => browser?.process()?.kill('SIGKILL'));
    server.close();
    rmSync(userDataDir, { recursive: true, force: true });
    clearTimeout(killer);
  }

  const mach = machine();
  const report = {
    date: started.toISOString(),
    command: `node ${fileURLToPath(import.meta.url).replace(root + '/', '')} ${argv.join(' ')}`.trim(),
    git: gitState(root),
    machine: mach,
    /** 1-minute load average before and after the run (the machine may be shared) */
    loadAverage: { start: loadStart[0], end: os.loadavg()[0] },
    browser: { version: browserVersion, executable: args.chromium, args: launchArgs.filter((a) => !a.startsWith('--user-data-dir=')), headless: !args.headful },
    page: info,
    bandwidth: bw,
    bandwidthError: bwError ?? null,
    formula: 'y ~ x + w + (x | g)',
    results: rows,
  };
  const stamp = fileStamp(started);
  const jsonFile = join(outDir, `browser-results-${stamp}.json`);
  writeFileSync(jsonFile, JSON.stringify(report, null, 2) + '\n');
  const md = [
    `Machine: ${machineLine(mach)}`,
    dateLine(report.date, report.git) + `; load average ${report.loadAverage.start!.toFixed(1)} → ${report.loadAverage.end!.toFixed(1)} (${mach.cores} cores)`,
    `Browser: ${browserVersion} (${args.chromium}, ${args.headful ? 'headful' : 'headless'}; ${report.browser.args.join(' ')})`,
    ...bandwidthLines(info?.adapterName ?? null, info?.isSoftware ?? null, bw, bwError ?? (info?.adapterName ? undefined : info?.error ?? undefined)),
    '',
    gpuTable(rows, 'JS heap (MiB)'),
    ...rows.filter((r) => r.converged === false).map((r) => `\n**${r.case} ${r.backend}**: did not converge`),
  ].join('\n');
  const mdFile = join(outDir, `browser-results-${stamp}.md`);
  writeFileSync(mdFile, md + '\n');
  console.log('\n' + md);
  console.log(`\nJSON: ${jsonFile}\nMarkdown: ${mdFile}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(() => process.exit(0), (e: unknown) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(1);
  });
}
