/**
 * CPU benchmark: our float64 CPU backend against R's lme4, case by case, on the same data in the same run.
 *
 *   npm run build
 *   node --expose-gc dist/bench/run.js [--cases 1m,insteval] [--rows N] [--groups G] [--seed S]
 *                                      [--no-r] [--r-control default|tight] [--out bench/out] [--keep-csv]
 *                                      [--backends cpu,webgpu,auto] [--timeout-min T]
 *
 * Cases:
 *   1m        1,000,000 rows, 50,000 groups, y ~ x + w + (x | g), REML (seeded synthetic data, ./synth.ts)
 *   10m       10,000,000 rows, 100,000 groups, same model (only when asked for)
 *   1m-crossed 1,000,000 rows, y ~ x + w + (x | g) + (1 | h), g 50,000 levels crossed with h 500 levels
 *   synth     --rows / --groups (default 100,000 / 5,000), same model
 *   insteval  test/fixtures/data/insteval.csv, y ~ service + (1 | s) + (1 | d) + (1 | dept:service), REML
 *   q11, q20  y ~ x + (f | g), REML: a factor f with 11 / 20 levels as the random-effects term (66 / 210
 *             variance parameters), 2,000 rows, 50 groups (seeded data, ./factorSlopes.ts)
 *   wide      y ~ f * (x + z) + (x1 + … + x8 | g), REML: p = 21, q = 9, 20,000 rows, 200 groups (./sized.ts)
 *   glmm1m, glmm1m-slope, glmm1m-crossed, glmm1m-nested, glmm1m-agq (nAGQ = 9), and the same at 200k
 *             binomial GLMMs (glmer, Laplace) y ~ x + w + (1 | g) / (x | g), 1,000,000 rows and 50,000
 *             groups or 200,000 and 10,000, against lme4's glmer (./glmm.ts); our fit on each of
 *             --backends cpu,webgpu,auto (default cpu), each in its own process; auto: the backend rule's choice, `auto (cpu|webgpu)`
 * --rows / --groups override the size of every synthetic case (its label becomes synth-<rows>x<groups>).
 * --timeout-min T (default 30) kills a child (ours or R) after T minutes; the table says so.
 *
 * Each case runs in a fresh child process (`--worker`), so its peak RSS (resourceUsage().maxRSS) is
 * its own. The child times data generation / reading, then lmer() (frame, Gram pass, optimization,
 * final solve), and for R writes the synthetic data as CSV under <out>/data (shortest round-trip
 * digits up to 2M rows, so R fits the same numbers; 10 significant digits above). Then, unless --no-r or
 * Rscript/lme4 is missing, the parent runs bench/lme4.R on that CSV — never concurrently with our fit.
 * The children (ours and R alike) get transparent huge pages where the command line would give them to a
 * large fit (GLIBC_TUNABLES; src/cli/hugePages.ts; MIXEDGPU_HUGE_PAGES=off: not); the machine line says which.
 * Results go to <out>/results-<timestamp>.json and a Markdown table is printed (see bench/README.md).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as arrow from 'apache-arrow';
import { lmer } from '../src/fit/lmer.js';
import { denseChunksHelped, denseChunksHelpedByJob, denseThreadStats, setDenseThreads } from '../src/linalg/denseThreads.js';
import { readTableFile } from '../src/io/node.js';
import { generateLmmData, type SynthColumns } from './synth.js';
import { writeColumnsCsv } from './write-csv.js';
import { type GlmmBackend, type GlmmCase, type GlmmCaseResult, type GlmmOursResult, type GlmerResult, glmmMarkdownTable, glmmNotes, glmmWorker, makeGlmmCase } from './glmm.js';
import { type BenchCase, MiB, dateLine, f1, fileStamp, gc, gitState, hugePagesForChildren, machine, machineLine, mdTable, repoRoot, makeBenchCases, runChild, sec } from './common.js';

// ---------------------------------------------------------------------------------------------
// cases

/** the model and data of a case (shared with gpu.ts: see ./common.ts; GLMM cases: ./glmm.ts) */
type CaseSpec = BenchCase | GlmmCase;

const isGlmm = (c: CaseSpec): c is GlmmCase => 'family' in c;

interface Args {
  cases: string[];
  rows?: number;
  groups?: number;
  seed: number;
  r: boolean;
  rControl: 'default' | 'tight';
  out: string;
  keepCsv: boolean;
  /** backends of our GLMM fits */
  backends: GlmmBackend[];
  /** limit of each child process, minutes */
  timeoutMin: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { cases: ['1m', 'insteval'], seed: 1, r: true, rControl: 'default', out: 'bench/out', keepCsv: false, backends: ['cpu'], timeoutMin: 30 };
  const num = (flag: string, v: string | undefined): number => {
    const x = Number(v);
    if (v === undefined || !Number.isInteger(x) || x < 1) throw new Error(`${flag} needs a positive integer, got ${v}`);
    return x;
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    const [flag, inline] = f.includes('=') ? [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)] : [f, undefined];
    const val = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--cases': a.cases = (val() ?? '').split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--rows': a.rows = num('--rows', val()); break;
      case '--groups': a.groups = num('--groups', val()); break;
      case '--seed': a.seed = num('--seed', val()); break;
      case '--no-r': a.r = false; break;
      case '--r-control': {
        const v = val();
        if (v !== 'default' && v !== 'tight') throw new Error(`--r-control is default or tight, got ${v}`);
        a.rControl = v;
        break;
      }
      case '--out': a.out = val() ?? a.out; break;
      case '--keep-csv': a.keepCsv = true; break;
      case '--backends': {
        const list = (val() ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        const bad = list.filter((b) => b !== 'cpu' && b !== 'webgpu' && b !== 'auto');
        if (!list.length || bad.length) throw new Error(`--backends is a list of cpu, webgpu, auto, got ${list.join(',')}`);
        a.backends = list as GlmmBackend[];
        break;
      }
      case '--threads': {
        // the dense kernels' threads in our fitting process (src/linalg/denseThreads.ts): a count or 'auto' (default)
        const v = val() ?? '';
        if (v !== 'auto' && !(Number.isInteger(Number(v)) && Number(v) >= 1)) throw new Error(`--threads is a positive integer or auto, got ${v}`);
        process.env.MIXEDGPU_BENCH_THREADS = v;
        break;
      }
      case '--timeout-min': { const v = val(); const t = Number(v); if (!(t > 0)) throw new Error(`--timeout-min needs a positive number of minutes, got ${v}`); a.timeoutMin = t; break; }
      case '-h': case '--help':
        console.log('usage: node --expose-gc dist/bench/run.js [--cases 1m,insteval,10m,synth,q11,q20,wide,glmm1m,glmm1m-slope,glmm1m-crossed,glmm1m-nested,glmm1m-agq,glmm200k,glmm200k-slope,...] [--rows N] [--groups G] [--seed S] [--no-r] [--r-control default|tight] [--out bench/out] [--keep-csv] [--backends cpu,webgpu,auto] [--timeout-min T] [--threads N|auto]');
        process.exit(0);
        break;
      default: throw new Error(`unknown argument ${f}`);
    }
  }
  return a;
}

function makeCases(args: Args): CaseSpec[] {
  return args.cases.map((c) => makeGlmmCase(c, args) ?? makeBenchCases([c], args)[0]!);
}

// ---------------------------------------------------------------------------------------------
// worker: one case, our fit

interface OursResult {
  n: number;
  ngroups: Record<string, number>;
  /** data generation (synthetic) or CSV reading, ms */
  dataMs: number;
  dataKind: 'generate' | 'read';
  frameMs: number;
  gramMs: number;
  perEvaluationMs: number;
  feval: number;
  optimizeMs: number;
  solveMs: number;
  /** lmer()'s own total (frame + Gram + optimize + solve) */
  totalMs: number;
  /** wall clock around the lmer() call */
  fitWallMs: number;
  /** CPU time (user + system) of the process during the lmer() call: on a shared machine the comparable figure */
  fitCpuMs: number;
  objective: number;
  theta: number[];
  fixef: Record<string, number>;
  sigma: number;
  converged: boolean;
  messages: string[];
  backend: string;
  /** RSS after the data existed, before the fit (MiB) */
  rssAfterDataMB: number;
  /** peak RSS of the worker process (resourceUsage().maxRSS, MiB) */
  peakRssMB: number;
  /** heap + external + arrayBuffers after the fit (MiB) */
  heapUsedMB: number;
  arrayBuffersMB: number;
  /** CSV written for R (synthetic cases) */
  csv?: { path: string; bytes: number; ms: number };
}

async function worker(spec: BenchCase, csvPath: string | null, root: string): Promise<OursResult> {
  gc();
  const t0 = performance.now();
  let table: arrow.Table;
  let columns: SynthColumns | null = null;
  if (spec.source.kind === 'synthetic') {
    const d = generateLmmData({ n: spec.source.n, groups: spec.source.groups, seed: spec.source.seed, crossed: spec.source.crossed });
    table = d.table;
    columns = d.columns;
  } else {
    const r = readTableFile(join(root, spec.source.path), { factors: spec.factors });
    table = r.table;
  }
  const dataMs = performance.now() - t0;
  gc();
  const rssAfterDataMB = process.memoryUsage().rss / MiB;

  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const fit = await lmer(spec.formula, table, { REML: spec.REML, factors: spec.factors });
  const fitWallMs = performance.now() - t1;
  const c2 = process.cpuUsage(c1);
  const ts = denseThreadStats();
  if (ts.threaded + ts.alone > 0) console.error(`[${spec.id}] dense Cholesky: ${ts.threaded} factorizations threaded, ${ts.alone} on one thread (helpers busy), ${denseChunksHelped()} chunks by helpers (${Object.entries(denseChunksHelpedByJob()).map(([j, n]) => `${j} ${n}`).join(', ')})`);
  const mem = process.memoryUsage();
  const tm = fit.timings;
  const res: OursResult = {
    n: fit.nobs,
    ngroups: fit.ngroups,
    dataMs,
    dataKind: spec.source.kind === 'synthetic' ? 'generate' : 'read',
    frameMs: tm.frameMs ?? NaN,
    gramMs: tm.gramMs ?? NaN,
    perEvaluationMs: tm.perEvaluationMs ?? NaN,
    feval: fit.feval,
    optimizeMs: tm.optimizeMs ?? NaN,
    solveMs: tm.solveMs ?? NaN,
    totalMs: tm.totalMs ?? NaN,
    fitWallMs,
    fitCpuMs: (c2.user + c2.system) / 1e3,
    objective: fit.objective,
    theta: Array.from(fit.theta),
    fixef: fit.fixef,
    sigma: fit.sigma,
    converged: fit.converged,
    messages: fit.messages,
    backend: `${fit.backend.name} (${fit.backend.precision})`,
    rssAfterDataMB,
    peakRssMB: process.resourceUsage().maxRSS / 1024, // maxRSS is in KiB
    heapUsedMB: mem.heapUsed / MiB,
    arrayBuffersMB: mem.arrayBuffers / MiB,
  };
  if (csvPath && columns) {
    const t2 = performance.now();
    // exact (shortest round-trip) digits while the file stays small; 10 digits for 10M rows
    const digits = columns.y.length <= 2_000_000 ? 0 : 10;
    const bytes = writeColumnsCsv(csvPath, columns, { digits });
    res.csv = { path: csvPath, bytes, ms: performance.now() - t2 };
  }
  return res;
}

// ---------------------------------------------------------------------------------------------
// parent: run workers and lme4, collect, print

interface Lme4Result {
  read_s: number;
  fit_s: number;
  /** user + system CPU seconds of the fit */
  fit_cpu_s?: number;
  objective: number;
  objective_kind: string;
  theta: number[];
  theta_names: string[];
  feval: number;
  fixef: Record<string, number>;
  sigma: number;
  nobs: number;
  ngroups: Record<string, number>;
  control: string;
  messages: string[];
  fit_gc_max_mb: number;
  peak_rss_mb: number | null;
  R: string;
  lme4: string;
  blas: string | null;
}

interface CaseResult {
  case: string;
  formula: string;
  REML: boolean;
  source: CaseSpec['source'];
  ours?: OursResult;
  oursError?: string;
  lme4?: Lme4Result & { wall_s: number };
  lme4Error?: string;
  lme4Skipped?: string;
  /** lme4 fit_s / our lmer() total */
  ratio?: number;
  /** lme4 fit_cpu_s / our lmer() CPU time */
  cpuRatio?: number;
  /** ours − lme4 (negative: ours lower) */
  objectiveDiff?: number;
  objectiveRelDiff?: number;
}

const WORKER_MARK = '@@BENCH_RESULT@@ ';

/** Runs one worker child (`--worker ARGS`) and returns its result line, or why there is none. */
async function runWorker<T>(script: string, workerArgs: string[], root: string, timeoutMin: number): Promise<{ result: T } | { error: string }> {
  const w = await runChild(process.execPath, [...process.execArgv, script, '--worker', ...workerArgs], root, true, timeoutMin * 60_000);
  const line = w.stdout.split('\n').find((s) => s.startsWith(WORKER_MARK));
  if (w.code === 0 && line) return { result: JSON.parse(line.slice(WORKER_MARK.length)) as T };
  return { error: w.timedOut ? `killed after ${timeoutMin} min` : `worker exited with ${w.code}: ${w.stderr.trim().split('\n').slice(-5).join(' | ')}` };
}

/** Runs bench/lme4.R with these arguments and returns its JSON line with the wall time, or why there is none. */
async function runLme4<T>(root: string, rArgs: string[], timeoutMin: number): Promise<{ result: T & { wall_s: number } } | { error: string }> {
  const t0 = performance.now();
  const rr = await runChild('Rscript', [join(root, 'bench', 'lme4.R'), ...rArgs], root, true, timeoutMin * 60_000);
  const wall_s = (performance.now() - t0) / 1000;
  const line = rr.stdout.trim().split('\n').pop() ?? '';
  if (rr.code === 0 && line.startsWith('{')) return { result: { ...(JSON.parse(line) as T), wall_s } };
  return { error: rr.timedOut ? `killed after ${timeoutMin} min` : `Rscript exited with ${rr.code}: ${rr.stderr.trim().split('\n').slice(-5).join(' | ')}` };
}

function rAvailable(): { ok: true; version: string } | { ok: false; why: string } {
  const r = spawnSync('Rscript', ['-e', 'suppressMessages(library(lme4)); library(jsonlite); cat(R.version.string, "lme4", as.character(packageVersion("lme4")))'], { encoding: 'utf8' });
  if (r.error) return { ok: false, why: `Rscript not found (${r.error.message})` };
  if (r.status !== 0) return { ok: false, why: `lme4/jsonlite not loadable: ${r.stderr.trim().split('\n').pop()}` };
  return { ok: true, version: r.stdout.trim() };
}

function markdownTable(results: CaseResult[]): string {
  const head = [
    'case', 'rows', 'groups', 'data (s)', 'frame (s)', 'Gram (s)', 'per eval (ms)', 'evals', 'optimize (s)',
    'solve (s)', 'fit total (s)', 'peak RSS (MiB)', 'lme4 read (s)', 'lme4 fit (s)', 'lme4 evals', 'lme4 peak RSS (MiB)', 'lme4 / ours', 'fit CPU (s)', 'lme4 fit CPU (s)', 'lme4 / ours (CPU)', 'Δ objective (ours − lme4)',
  ];
  const rows: string[][] = [];
  for (const r of results) {
    const o = r.ours;
    const l = r.lme4;
    const groups = o ? Object.values(o.ngroups).join(' / ') : '–';
    const delta = r.objectiveDiff === undefined ? (r.lme4Skipped ? 'no R' : r.lme4Error ? 'R failed' : '–')
      : `${r.objectiveDiff.toExponential(2)} (rel ${r.objectiveRelDiff!.toExponential(1)})`;
    rows.push([
      r.case, o ? o.n.toLocaleString('en-US') : '–', groups,
      o ? `${sec(o.dataMs)} ${o.dataKind === 'read' ? '(read)' : '(gen)'}` : 'failed',
      sec(o?.frameMs), sec(o?.gramMs), f1(o?.perEvaluationMs, 2), o ? String(o.feval) : '–', sec(o?.optimizeMs),
      sec(o?.solveMs), sec(o?.totalMs), f1(o?.peakRssMB, 0),
      l ? l.read_s.toFixed(2) : '–', l ? l.fit_s.toFixed(2) : '–', l ? String(l.feval) : '–', l ? f1(l.peak_rss_mb ?? undefined, 0) : '–',
      r.ratio === undefined ? '–' : `${r.ratio.toFixed(1)}×`, sec(o?.fitCpuMs),
      l?.fit_cpu_s !== undefined ? l.fit_cpu_s.toFixed(2) : '–', r.cpuRatio === undefined ? '–' : `${r.cpuRatio.toFixed(1)}×`, delta,
    ]);
  }
  return mdTable(head, rows);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const root = repoRoot(import.meta.url);

  if (argv[0] === '--worker') {
    const spec = JSON.parse(argv[1]!) as CaseSpec;
    const csvPath = argv[2] && argv[2] !== '-' ? argv[2] : null;
    // --threads: the dense kernels' and PIRLS's row threads (one setting), for the LMM and GLMM cases
    const threads = process.env.MIXEDGPU_BENCH_THREADS;
    if (threads) setDenseThreads(threads === 'auto' ? 'auto' : Number(threads));
    const res = isGlmm(spec) ? await glmmWorker(spec, (argv[3] ?? 'cpu') as GlmmBackend, csvPath) : await worker(spec, csvPath, root);
    process.stdout.write(WORKER_MARK + JSON.stringify(res) + '\n');
    return;
  }

  const args = parseArgs(argv);
  const cases = makeCases(args);
  const outDir = resolve(root, args.out);
  const dataDir = join(outDir, 'data');
  mkdirSync(dataDir, { recursive: true });
  hugePagesForChildren();
  const mach = machine();
  const r = args.r ? rAvailable() : ({ ok: false, why: '--no-r' } as const);
  if (args.r && !r.ok) console.error(`lme4 comparison skipped: ${r.why}`);
  const script = fileURLToPath(import.meta.url);
  const started = new Date();
  const results: CaseResult[] = [];
  const glmmResults: GlmmCaseResult[] = [];

  for (const spec of cases) {
    if (isGlmm(spec)) {
      glmmResults.push(await runGlmmCase(spec, args, r, root, script, dataDir));
      continue;
    }
    const res: CaseResult = { case: spec.id, formula: spec.formula, REML: spec.REML, source: spec.source };
    results.push(res);
    const wantR = r.ok;
    const csvPath = !wantR ? null
      : spec.source.kind === 'csv' ? join(root, spec.source.path)
        : join(dataDir, `synth-${spec.source.n}x${spec.source.groups}${spec.source.crossed ? `x${spec.source.crossed}` : ''}-seed${spec.source.seed}.csv`);
    const workerCsv = wantR && spec.source.kind === 'synthetic' ? csvPath! : '-';

    console.error(`[${spec.id}] our CPU fit: ${spec.formula} ...`);
    const w = await runWorker<OursResult>(script, [JSON.stringify(spec), workerCsv], root, args.timeoutMin);
    if ('error' in w) {
      res.oursError = w.error;
      console.error(`[${spec.id}] ${res.oursError}`);
      continue;
    }
    const ours = w.result;
    res.ours = ours;
    console.error(`[${spec.id}] ours: fit ${sec(ours.totalMs)} s, ${ours.feval} evals, objective ${ours.objective}`);

    if (!wantR) {
      res.lme4Skipped = r.ok ? '' : r.why;
      continue;
    }
    console.error(`[${spec.id}] lme4 fit (${args.rControl} control) ...`);
    const rr = await runLme4<Lme4Result>(root, [csvPath!, spec.formula, spec.REML ? 'TRUE' : 'FALSE', spec.factors.join(','), args.rControl], args.timeoutMin);
    if ('error' in rr) {
      res.lme4Error = rr.error;
      console.error(`[${spec.id}] ${res.lme4Error}`);
    } else {
      const l = rr.result;
      res.lme4 = l;
      res.ratio = (l.fit_s * 1000) / ours.totalMs;
      if (l.fit_cpu_s !== undefined && ours.fitCpuMs > 0) res.cpuRatio = (l.fit_cpu_s * 1000) / ours.fitCpuMs;
      res.objectiveDiff = ours.objective - l.objective;
      res.objectiveRelDiff = res.objectiveDiff / Math.abs(l.objective);
      console.error(`[${spec.id}] lme4: fit ${l.fit_s.toFixed(2)} s, ${l.feval} evals, objective ${l.objective}; ratio ${res.ratio.toFixed(2)}`);
    }
    if (spec.source.kind === 'synthetic' && !args.keepCsv) rmSync(csvPath!, { force: true });
  }

  const rInfo = results.find((x) => x.lme4)?.lme4 ?? glmmResults.find((x) => x.glmer)?.glmer;
  const report = {
    date: started.toISOString(),
    command: `node ${process.execArgv.join(' ')} ${fileURLToPath(import.meta.url).replace(root + '/', '')} ${argv.join(' ')}`.replace(/\s+/g, ' ').trim(),
    git: gitState(root),
    machine: { ...mach, ...(rInfo ? { R: rInfo.R, lme4: rInfo.lme4, blas: rInfo.blas } : {}) },
    lme4Control: args.rControl,
    results,
    ...(glmmResults.length ? { glmmResults } : {}),
  };
  const outFile = join(outDir, `results-${fileStamp(started)}.json`);
  writeFileSync(outFile, JSON.stringify(report, null, 2) + '\n');

  console.log(`\nMachine: ${machineLine(mach)}` +
    (rInfo ? `; ${rInfo.R}, lme4 ${rInfo.lme4} (${results.length ? `lmerControl: ${args.rControl}` : ''}${results.length && glmmResults.length ? ', ' : ''}${glmmResults.length ? 'glmerControl: default' : ''}), BLAS ${rInfo.blas}` : ''));
  console.log(dateLine(report.date, report.git) + '\n');
  if (results.length) console.log(markdownTable(results));
  for (const x of results) {
    const notes: string[] = [];
    if (x.ours && !x.ours.converged) notes.push(`ours did not converge (${x.ours.messages.join('; ')})`);
    if (x.objectiveRelDiff !== undefined && Math.abs(x.objectiveRelDiff) > 1e-4) notes.push(`objective differs from lme4 by ${x.objectiveRelDiff.toExponential(2)} relative`);
    const lw = x.lme4?.messages.filter((msg) => !msg.startsWith('NLOPT_')) ?? [];
    if (lw.length) notes.push(`lme4 warned: ${lw.join('; ')}`);
    if (x.lme4Error) notes.push(`lme4: ${x.lme4Error}`);
    if (x.oursError) notes.push(`ours: ${x.oursError}`);
    if (notes.length) console.log(`\n**${x.case}**: ${notes.join('; ')}`);
  }
  if (glmmResults.length) {
    console.log(`\nGLMMs (binomial, Laplace; lme4: glmer with the default glmerControl()):\n`);
    console.log(glmmMarkdownTable(glmmResults));
    for (const x of glmmResults) {
      const notes = glmmNotes(x);
      if (notes.length) console.log(`\n**${x.case}**: ${notes.join('; ')}`);
    }
  }
  console.log(`\nJSON: ${outFile}`);
}

/**
 * A GLMM case: our fit on each backend in its own child process (the first also writes the CSV
 * for R), then glmer on that CSV — one after the other, never concurrently.
 */
async function runGlmmCase(
  spec: GlmmCase, args: Args, r: { ok: true; version: string } | { ok: false; why: string },
  root: string, script: string, dataDir: string,
): Promise<GlmmCaseResult> {
  const res: GlmmCaseResult = { case: spec.id, formula: spec.formula, family: spec.family, source: spec.source, ours: [], oursErrors: [] };
  if (spec.source.kind !== 'synthetic') throw new Error('GLMM cases are synthetic');
  // bench/lme4.R fits nAGQ = 1 only
  if (r.ok && (spec.nAGQ ?? 1) > 1) r = { ok: false, why: `nAGQ = ${spec.nAGQ}: bench/lme4.R fits the Laplace approximation only` };
  const h = spec.source.crossed ? `-h${spec.source.crossed}` : '';
  const csvPath = r.ok ? join(dataDir, `synth-${spec.family}-${spec.source.n}x${spec.source.groups}${h}-seed${spec.source.seed}.csv`) : null;
  let csvWritten = false;
  for (const backend of args.backends) {
    console.error(`[${spec.id}] our ${backend} fit: glmer ${spec.formula}, ${spec.family} ...`);
    const workerCsv = csvPath && !csvWritten ? csvPath : '-';
    const w = await runWorker<GlmmOursResult>(script, [JSON.stringify(spec), workerCsv, backend], root, args.timeoutMin);
    if ('error' in w) {
      res.oursErrors.push({ backend, error: w.error });
      console.error(`[${spec.id}] ${backend}: ${w.error}`);
      continue;
    }
    const ours = w.result;
    if (ours.csv) csvWritten = true;
    res.ours.push(ours);
    console.error(`[${spec.id}] ours (${backend}): fit ${sec(ours.timings.totalMs)} s, ${ours.feval} evals, −2ℓ ${ours.objective}`);
  }
  if (!r.ok) {
    res.glmerSkipped = r.why;
    return res;
  }
  if (!csvWritten) {
    res.glmerError = 'no CSV (our fits failed)';
    return res;
  }
  console.error(`[${spec.id}] lme4 glmer (default glmerControl) ...`);
  const rr = await runLme4<GlmerResult>(root, [csvPath!, spec.formula, 'FALSE', spec.factors.join(','), 'default', spec.family], args.timeoutMin);
  if ('error' in rr) {
    res.glmerError = rr.error;
    console.error(`[${spec.id}] ${res.glmerError}`);
  } else {
    res.glmer = rr.result;
    console.error(`[${spec.id}] glmer: fit ${res.glmer.fit_s.toFixed(2)} s, ${res.glmer.feval} evals, −2ℓ ${res.glmer.objective}`);
  }
  if (!args.keepCsv) rmSync(csvPath!, { force: true });
  return res;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(1);
  });
}
