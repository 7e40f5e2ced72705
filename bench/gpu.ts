/**
 * GPU benchmark in Node (WebGPU through the `webgpu` package, Dawn): each case fitted with the WebGPU
 * backend and, in the same run, the float64 CPU backend; plus the adapter's measured memory bandwidth.
 *
 *   npm run bench:gpu:bundle && node --expose-gc bench/out/gpu-bench.mjs [options]
 *   (or: npm run build && node --expose-gc dist/bench/gpu.js [options])
 *
 * Options:
 *   --cases 1m,insteval        comma list of 1m, 10m, synth, insteval, q11, q20, wide (bench/common.ts;
 *                              default 1m,insteval; 10m only when asked)
 *   --backends webgpu,cpu      which backends to fit, in this order (default webgpu,cpu; also auto: the
 *                              backend rule's own choice, src/backend/select.ts, shown as `auto (cpu|webgpu)`)
 *   --rows N --groups G        size of every synthetic case (label synth-<N>x<G>); --seed S (default 1)
 *   --bw-mib M                 buffer of the bandwidth measurement (default 256, capped by the device limits)
 *   --no-bandwidth             skip the bandwidth measurement
 *   --timeout-min T            a fit's child process is killed after T minutes (default 30)
 *   --out DIR                  where gpu-results-<date>.json goes (default bench/out)
 *   --adapter                  print the adapter Dawn picks ({ adapterName, isSoftware }) as JSON and exit
 *
 * Each fit (case × backend) and the bandwidth measurement run in their own child process (`--worker`,
 * `--bandwidth`), one after the other, so a fit's peak RSS is its own and a GPU device never outlives
 * its measurement. See bench/README.md for the columns and for running this on a GPU machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as arrow from 'apache-arrow';
import { lmer } from '../src/fit/lmer.js';
import { readTableFile } from '../src/io/node.js';
import { acquireGpu, gpuUnavailableReason, releaseGpu } from '../src/backend/webgpu/device.js';
import { generateLmmData } from './synth.js';
import { type BandwidthResult, measureBandwidth } from './bandwidth.js';
import { type FitRow, backendLabel, bandwidthLines, fitRow, gpuTable } from './format.js';
import {
  type BenchCase, MiB, dateLine, fileStamp, flags, gc, gitState, hugePagesForChildren, machine, machineLine, makeBenchCases, positiveInt,
  repoRoot, runChild, sec, workerResult,
} from './common.js';

type Backend = 'webgpu' | 'cpu' | 'auto';

interface Args {
  cases: string[];
  backends: Backend[];
  rows?: number;
  groups?: number;
  seed: number;
  bwMiB: number;
  bandwidth: boolean;
  timeoutMin: number;
  out: string;
}

const USAGE = 'usage: node --expose-gc bench/out/gpu-bench.mjs [--cases 1m,insteval,10m,synth,q11,q20,wide] [--backends webgpu,cpu,auto] [--rows N] [--groups G] [--seed S] [--bw-mib 256] [--no-bandwidth] [--timeout-min 30] [--out bench/out]';

function parseArgs(argv: string[]): Args {
  const a: Args = { cases: ['1m', 'insteval'], backends: ['webgpu', 'cpu'], seed: 1, bwMiB: 256, bandwidth: true, timeoutMin: 30, out: 'bench/out' };
  for (const [flag, val, raw] of flags(argv)) {
    switch (flag) {
      case '--cases': a.cases = (val() ?? '').split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--backends': {
        const b = (val() ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        for (const x of b) if (x !== 'webgpu' && x !== 'cpu' && x !== 'auto') throw new Error(`--backends takes webgpu, cpu and auto, got ${x}`);
        a.backends = b as Backend[];
        break;
      }
      case '--rows': a.rows = positiveInt(flag, val()); break;
      case '--groups': a.groups = positiveInt(flag, val()); break;
      case '--seed': a.seed = positiveInt(flag, val()); break;
      case '--bw-mib': a.bwMiB = positiveInt(flag, val()); break;
      case '--no-bandwidth': a.bandwidth = false; break;
      case '--timeout-min': a.timeoutMin = Number(val()); if (!(a.timeoutMin > 0)) throw new Error('--timeout-min needs a positive number'); break;
      case '--out': a.out = val() ?? a.out; break;
      case '-h': case '--help': console.log(USAGE); process.exit(0); break;
      default: throw new Error(`unknown argument ${raw}\n${USAGE}`);
    }
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// workers

interface BandwidthReport {
  adapterName: string;
  isSoftware: boolean;
  limits: Record<string, number>;
  bandwidth?: BandwidthResult;
  error?: string;
}

async function bandwidthWorker(bytes: number): Promise<BandwidthReport> {
  const ctx = await acquireGpu();
  if (!ctx) throw new Error(`no WebGPU adapter: ${gpuUnavailableReason()}`);
  const limits: Record<string, number> = {};
  for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupsPerDimension', 'maxComputeInvocationsPerWorkgroup'] as const) limits[k] = ctx.limits[k];
  const rep: BandwidthReport = { adapterName: ctx.adapterName, isSoftware: ctx.isSoftware, limits };
  try {
    // fewer passes on a CPU adapter: each 256 MiB pass takes tens of ms there
    rep.bandwidth = await measureBandwidth(ctx.device, { bytes, passesPerTrial: ctx.isSoftware ? 2 : 8, trials: ctx.isSoftware ? 3 : 5 });
  } catch (e) {
    rep.error = (e as Error).message;
  }
  await ctx.device.queue.onSubmittedWorkDone();
  releaseGpu(ctx);
  return rep;
}

async function fitWorker(spec: BenchCase, backend: Backend, root: string): Promise<FitRow> {
  gc();
  const t0 = performance.now();
  let table: arrow.Table;
  if (spec.source.kind === 'synthetic') {
    table = generateLmmData({ n: spec.source.n, groups: spec.source.groups, seed: spec.source.seed, crossed: spec.source.crossed }).table;
  } else {
    table = readTableFile(join(root, spec.source.path), { factors: spec.factors }).table;
  }
  const dataMs = performance.now() - t0;
  gc();
  const memAfterDataMB = process.memoryUsage().rss / MiB;
  let last = 0;
  const t1 = performance.now();
  const fit = await lmer(spec.formula, table, {
    REML: spec.REML, factors: spec.factors, backend,
    onProgress: (p) => {
      // a heartbeat on stderr every 10 s, so a slow fit (SwiftShader) shows it is alive
      if (p.elapsedMs - last > 10_000) {
        last = p.elapsedMs;
        process.stderr.write(`  [${spec.id} ${backend}] ${p.feval} evals, ${(p.elapsedMs / 1000).toFixed(0)} s, best ${p.best.toFixed(4)}\n`);
      }
    },
  });
  const fitWallMs = performance.now() - t1;
  return {
    ...fitRow(spec.id, backend, fit, fitWallMs),
    dataMs, dataKind: spec.source.kind === 'synthetic' ? 'generate' : 'read',
    memAfterDataMB, memMB: process.resourceUsage().maxRSS / 1024, // maxRSS is in KiB
  };
}

const MARK = '@@GPU_BENCH_RESULT@@ ';

/** Prints the result line and exits (a Dawn device left alive would keep the process running). */
function finish(res: unknown): void {
  process.stdout.write(MARK + JSON.stringify(res) + '\n', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// parent

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const root = repoRoot(import.meta.url);
  if (argv[0] === '--worker') {
    finish(await fitWorker(JSON.parse(argv[1]!) as BenchCase, argv[2] as Backend, root));
    return;
  }
  if (argv[0] === '--bandwidth') {
    finish(await bandwidthWorker(Number(argv[1])));
    return;
  }
  if (argv[0] === '--adapter') {
    // the adapter Dawn picks, as one JSON line (bench/gpu-run.sh refuses a software adapter from it)
    const ctx = await acquireGpu();
    const info = ctx ? { adapterName: ctx.adapterName, isSoftware: ctx.isSoftware } : { adapterName: null, isSoftware: null, error: gpuUnavailableReason() };
    if (ctx) releaseGpu(ctx);
    process.stdout.write(JSON.stringify(info) + '\n', () => process.exit(ctx ? 0 : 1));
    return;
  }

  const args = parseArgs(argv);
  const cases = makeBenchCases(args.cases, args);
  const outDir = resolve(root, args.out);
  mkdirSync(outDir, { recursive: true });
  const script = fileURLToPath(import.meta.url);
  const started = new Date();
  hugePagesForChildren();
  const mach = machine();
  const loadStart = os.loadavg();
  const timeoutMs = args.timeoutMin * 60_000;
  const child = (extra: string[]) => runChild(process.execPath, [...process.execArgv, script, ...extra], root, true, timeoutMs);

  let bw: BandwidthReport | null = null;
  let bwError: string | undefined;
  if (args.bandwidth && args.backends.includes('webgpu')) {
    console.error(`[bandwidth] measuring the adapter's read and copy bandwidth (${args.bwMiB} MiB) ...`);
    const w = await child(['--bandwidth', String(args.bwMiB * MiB)]);
    bw = workerResult<BandwidthReport>(w.stdout, MARK);
    if (w.code !== 0 || !bw) {
      bwError = w.timedOut ? 'timed out' : `exited with ${w.code}: ${w.stderr.trim().split('\n').slice(-3).join(' | ')}`;
      bw = null;
    } else if (bw.error) {
      bwError = bw.error;
    }
    if (bw?.bandwidth) console.error(`[bandwidth] ${bw.adapterName}: read ${bw.bandwidth.readGBps.toFixed(1)} GB/s, copy ${bw.bandwidth.copyGBps.toFixed(1)} GB/s`);
    else console.error(`[bandwidth] failed: ${bwError}`);
  }

  const rows: FitRow[] = [];
  for (const spec of cases) {
    for (const backend of args.backends) {
      console.error(`[${spec.id}] ${backend} fit: ${spec.formula} ...`);
      const w = await child(['--worker', JSON.stringify(spec), backend]);
      const r = workerResult<FitRow>(w.stdout, MARK);
      if (w.code !== 0 || !r) {
        const why = w.timedOut ? `timed out after ${args.timeoutMin} min` : `worker exited with ${w.code}: ${w.stderr.trim().split('\n').slice(-4).join(' | ')}`;
        console.error(`[${spec.id}] ${backend}: ${why}`);
        rows.push({ case: spec.id, backend: backend === 'auto' ? 'cpu' : backend, ...(backend === 'auto' ? { auto: true } : {}), error: why });
        continue;
      }
      rows.push(r);
      const t = r.timings ?? {};
      console.error(`[${spec.id}] ${backend}: fit ${sec(t.totalMs)} s, ${r.evals}${r.backend === 'webgpu' ? ` + ${r.polishEvals} polish` : ''} evals, objective ${r.objective}` +
        (r.backend === 'webgpu' ? `; Gram f64 ${sec(t.gramMs)} s on the CPU, upload ${((t.gpuUploadBytes ?? NaN) / 1e6).toFixed(2)} MB in ${t.gpuUploadMs?.toFixed(1)} ms` : ''));
    }
  }

  const adapterName = bw?.adapterName ?? rows.find((r) => r.backend === 'webgpu' && r.device)?.device?.replace(/^WebGPU: /, '') ?? null;
  const report = {
    date: started.toISOString(),
    command: `node ${process.execArgv.join(' ')} ${script.replace(root + '/', '')} ${argv.join(' ')}`.replace(/\s+/g, ' ').trim(),
    git: gitState(root),
    machine: mach,
    /** 1-minute load average before and after the run (the machine may be shared) */
    loadAverage: { start: loadStart[0], end: os.loadavg()[0] },
    adapter: bw ? { name: bw.adapterName, isSoftware: bw.isSoftware, limits: bw.limits } : adapterName ? { name: adapterName } : null,
    bandwidth: bw?.bandwidth ?? null,
    bandwidthError: bwError ?? null,
    cases,
    results: rows,
  };
  const outFile = join(outDir, `gpu-results-${fileStamp(started)}.json`);
  writeFileSync(outFile, JSON.stringify(report, null, 2) + '\n');

  console.log(`\nMachine: ${machineLine(mach)}`);
  console.log(dateLine(report.date, report.git) + `; load average ${report.loadAverage.start.toFixed(1)} → ${report.loadAverage.end.toFixed(1)} (${mach.cores} cores)`);
  for (const l of bandwidthLines(adapterName, bw?.isSoftware ?? null, bw?.bandwidth ?? null, bwError)) console.log(l);
  console.log('\n' + gpuTable(rows));
  for (const r of rows) {
    const notes: string[] = [];
    if (r.converged === false) notes.push(`did not converge`);
    // an 'auto' fit's own choice is its note; the others' 'backend auto' lines are not theirs
    const msgs = (r.messages ?? []).filter((m) => r.auto || !/^backend auto/.test(m));
    if (msgs.length) notes.push(msgs.join('; '));
    if (notes.length) console.log(`\n**${r.case} ${backendLabel(r)}**: ${notes.join('; ')}`);
  }
  console.log(`\nJSON: ${outFile}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(1);
  });
}
