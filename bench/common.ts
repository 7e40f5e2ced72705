/**
 * Shared by the Node benchmarks (run.ts: CPU against lme4; gpu.ts: WebGPU against CPU; browser.ts):
 * where the repository is, the machine and commit description, child processes, and table formatting.
 * Node-only (the browser page imports nothing from here).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureFactorSlopesCsv } from './factorSlopes.js';
import { ensureSizedCsv } from './sized.js';
import type * as arrow from 'apache-arrow';
import { readTableFile } from '../src/io/node.js';
import { HUGE_PAGE_TUNABLE, hugePageFacts, hugePagePlan } from '../src/cli/hugePages.js';
import { generateLmmData } from './synth.js';

export const MiB = 2 ** 20;

/** Runs the V8 garbage collector when Node was started with --expose-gc. */
export const gc = (): void => { (globalThis as { gc?: () => void }).gc?.(); };

/**
 * The repository root, found upwards from the running script (bench/x.ts, dist/bench/x.js or a bundle
 * in bench/out/): the first folder with package.json and bench/synth.ts.
 */
export function repoRoot(scriptUrl: string): string {
  const start = dirname(fileURLToPath(scriptUrl));
  for (let d = start; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'bench', 'synth.ts'))) return d;
    if (dirname(d) === d) return resolve(start, '..');
  }
}

/** Set by bench/build.mjs in the esbuild bundles: the commit they were built from. */
declare const __BENCH_GIT__: { commit: string; modified: string[]; bundledAt: string } | null | undefined;

/**
 * The commit and the files that differ from it under src/ and shaders/ (the benchmark measures the
 * working tree); in a bundle run where there is no git repository (a GPU machine), the commit the
 * bundle was built from.
 */
export function gitState(root: string): { commit: string; modified: string[]; bundledAt?: string } | null {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  if (head.error || head.status !== 0) return typeof __BENCH_GIT__ === 'undefined' ? null : __BENCH_GIT__;
  const st = spawnSync('git', ['status', '--porcelain', '--', 'src', 'shaders'], { cwd: root, encoding: 'utf8' });
  return { commit: head.stdout.trim(), modified: st.status === 0 ? st.stdout.split('\n').map((l) => l.trim()).filter(Boolean) : [] };
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  [k: string]: string | number;
}

export function machine(): Machine {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const m = /^model name\s*:\s*(.+)$/m.exec(info);
    if (m) cpu = m[1]!.trim();
  } catch { /* not Linux */ }
  return {
    cpu,
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    hugePages: hugePagesState(),
  };
}

/** The command line's plan for a large fit here (MIXEDGPU_HUGE_PAGES=on unless set: the benchmarks' fits are large). */
function benchHugePagePlan(env: NodeJS.ProcessEnv) {
  return hugePagePlan(hugePageFacts([], { ...env, MIXEDGPU_HUGE_PAGES: env.MIXEDGPU_HUGE_PAGES ?? 'on' }));
}

/**
 * The memory the benchmark's fitting children get: glibc's malloc asking for transparent huge pages
 * (GLIBC_TUNABLES, as the command line sets it for large data: src/cli/hugePages.ts) or not, and why.
 */
export function hugePagesState(env: NodeJS.ProcessEnv = process.env): string {
  if ((env.GLIBC_TUNABLES ?? '').includes(HUGE_PAGE_TUNABLE)) return `on (GLIBC_TUNABLES ${HUGE_PAGE_TUNABLE})`;
  const plan = benchHugePagePlan(env);
  return plan.relaunch ? 'off (available: GLIBC_TUNABLES unset)' : `off (${plan.why})`;
}

/**
 * Gives the children started from here (the fits, R) huge pages where the command line would give
 * them to a large fit (MIXEDGPU_HUGE_PAGES=off: not), by setting GLIBC_TUNABLES in this process's
 * environment, which they inherit; `machine()` then says so.
 */
export function hugePagesForChildren(): void {
  const plan = benchHugePagePlan(process.env);
  if (plan.relaunch) process.env.GLIBC_TUNABLES = plan.tunables;
}

/** 'Machine: …' line of the printed reports. */
export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}${m.hugePages ? `; huge pages ${m.hugePages}` : ''}`;
}

/** 'Date: …; commit …' line of the printed reports. */
export function dateLine(date: string, git: { commit: string; modified: string[]; bundledAt?: string } | null): string {
  return `Date: ${date}` + (git ? `; commit ${git.commit}${git.modified.length ? ` + uncommitted: ${git.modified.join(', ')}` : ''}${git.bundledAt ? ` (bundled ${git.bundledAt})` : ''}` : '');
}

/** An ISO date usable in a file name: 2026-11-26T06-58-37Z. */
export function fileStamp(d: Date): string {
  return d.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
}

export interface ChildResult {
  code: number | null;
  /** the signal that ended the child, when one did (e.g. SIGKILL from the kernel's out-of-memory killer) */
  signal?: NodeJS.Signals | null;
  /** set when the child was killed for running past timeoutMs */
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command, collecting its output (stderr echoed when asked). With timeoutMs, the child gets
 * SIGTERM at the limit and SIGKILL 10 s later.
 */
export function runChild(cmd: string, args: string[], cwd: string, echoStderr: boolean, timeoutMs?: number, env?: NodeJS.ProcessEnv): Promise<ChildResult> {
  return new Promise((res, rej) => {
    const ch = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      ch.kill('SIGTERM');
      killer = setTimeout(() => ch.kill('SIGKILL'), 10_000);
    }, timeoutMs);
    ch.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    ch.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (echoStderr) process.stderr.write(s);
    });
    ch.on('error', (e) => { clearTimeout(timer); clearTimeout(killer); rej(e); });
    ch.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killer);
      res({ code, signal, timedOut, stdout, stderr });
    });
  });
}

/** The JSON line a worker child prints after this mark, parsed (null when absent). */
export function workerResult<T>(stdout: string, mark: string): T | null {
  const line = stdout.split('\n').find((s) => s.startsWith(mark));
  return line ? (JSON.parse(line.slice(mark.length)) as T) : null;
}

export { f1, sec, mdTable } from './format.js';

/** `--flag value` / `--flag=value` argument lists: yields [flag, value getter]. */
export function* flags(argv: string[]): Generator<[string, () => string | undefined, string]> {
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    const eq = f.indexOf('=');
    const [flag, inline] = f.startsWith('--') && eq > 0 ? [f.slice(0, eq), f.slice(eq + 1)] : [f, undefined];
    yield [flag, () => inline ?? argv[++i], f];
  }
}

/** A positive integer flag value (accepts 1e6 and 1_000_000). */
export function positiveInt(flag: string, v: string | undefined): number {
  const x = Number(v?.replace(/_/g, ''));
  if (v === undefined || !Number.isInteger(x) || x < 1) throw new Error(`${flag} needs a positive integer, got ${v}`);
  return x;
}

// ---------------------------------------------------------------------------------------------
// cases (bench/run.ts and bench/gpu.ts)

export interface BenchCase {
  /** label in the table */
  id: string;
  formula: string;
  REML: boolean;
  factors: string[];
  /** synthetic data (n rows, groups levels of g) or a CSV file (relative to the repository root) */
  source: { kind: 'synthetic'; n: number; groups: number; seed: number; crossed?: number } | { kind: 'csv'; path: string };
}

export const SYNTH_FORMULA = 'y ~ x + w + (x | g)';
/** the synthetic data with a crossed factor h (./synth.ts `crossed`) */
export const CROSSED_FORMULA = 'y ~ x + w + (x | g) + (1 | h)';
export const INSTEVAL_FORMULA = 'y ~ service + (1 | s) + (1 | d) + (1 | dept:service)';
export const INSTEVAL_FACTORS = ['s', 'd', 'dept', 'service', 'studage', 'lectage'];
export const INSTEVAL_CSV = 'test/fixtures/data/insteval.csv';

export const FACTOR_SLOPES_FORMULA = 'y ~ x + (f | g)';

/**
 * A large-q case: y ~ x + (f | g) with a q-level factor f, 2,000 rows and 50 groups (the shape of
 * the issue's probe data; q = 20 has 210 variance parameters), data from ./factorSlopes.ts written
 * once to bench/out/data/.
 */
function factorSlopesCase(q: number, seed: number): BenchCase {
  const n = 2000;
  const groups = 50;
  const path = join('bench', 'out', 'data', `factor-slopes-q${q}-${n}x${groups}-seed${seed}.csv`);
  ensureFactorSlopesCsv(join(repoRoot(import.meta.url), path), { n, groups, q, seed });
  return { id: `q${q}`, formula: FACTOR_SLOPES_FORMULA, REML: true, factors: [], source: { kind: 'csv', path } };
}

/** The wide case's size: p = 21 fixed effects (f with 7 levels, times x and z), q = 9 (45 variance parameters). */
export const WIDE = { n: 20_000, groups: 200, levels: 7, q: 9 };

/**
 * A case beyond the old WebGPU shader limits (q ≤ 8, q + p + 1 ≤ 16; issue 15): p = 21 and q = 9,
 * data from ./sized.ts written once to bench/out/data/.
 */
function wideCase(seed: number): BenchCase {
  const path = join('bench', 'out', 'data', `wide-p21-q9-${WIDE.n}x${WIDE.groups}-seed${seed}.csv`);
  const formula = ensureSizedCsv(join(repoRoot(import.meta.url), path), { ...WIDE, seed });
  return { id: 'wide', formula, REML: true, factors: [], source: { kind: 'csv', path } };
}

/**
 * The cases by name: 1m (1,000,000 rows, 50,000 groups), 10m (10,000,000 rows, 100,000 groups), synth
 * (100,000 / 5,000) of y ~ x + w + (x | g), insteval, and q11 / q20 (y ~ x + (f | g), f with 11 / 20
 * levels: 66 / 210 variance parameters), 1m-crossed (1,000,000 rows, 50,000 levels of g crossed with
 * 500 of h: y ~ x + w + (x | g) + (1 | h)), and wide (20,000 rows, 200 groups, p = 21, q = 9: wideCase).
 * rows / groups override every synthetic case's size (its label becomes synth-<rows>x<groups>); they do
 * not apply to q11 / q20 / wide.
 */
export function makeBenchCases(names: string[], o: { rows?: number; groups?: number; seed: number }): BenchCase[] {
  const synth = (id: string, n: number, groups: number, crossed = 0): BenchCase => {
    const overridden = o.rows !== undefined || o.groups !== undefined;
    const nn = o.rows ?? n;
    const gg = o.groups ?? groups;
    return {
      id: overridden && id !== 'synth' ? `synth-${nn}x${gg}${crossed ? `x${crossed}` : ''}` : id,
      formula: crossed ? CROSSED_FORMULA : SYNTH_FORMULA, REML: true, factors: [],
      source: { kind: 'synthetic', n: nn, groups: gg, seed: o.seed, ...(crossed ? { crossed } : {}) },
    };
  };
  return names.map((c) => {
    switch (c) {
      case '1m': return synth('1m', 1_000_000, 50_000);
      case '10m': return synth('10m', 10_000_000, 100_000);
      case '1m-crossed': return synth('1m-crossed', 1_000_000, 50_000, 500);
      case 'synth': return synth('synth', 100_000, 5_000);
      case 'insteval':
        return { id: 'insteval', formula: INSTEVAL_FORMULA, REML: true, factors: INSTEVAL_FACTORS, source: { kind: 'csv', path: INSTEVAL_CSV } };
      case 'q11': return factorSlopesCase(11, o.seed);
      case 'q20': return factorSlopesCase(20, o.seed);
      case 'wide': return wideCase(o.seed);
      default: throw new Error(`unknown case '${c}' (1m, 10m, 1m-crossed, synth, insteval, q11, q20, wide)`);
    }
  });
}

/** A case's data as a table: generated (synthetic) or read from its file under the repository root. */
export function benchTable(spec: BenchCase, root: string): arrow.Table {
  return spec.source.kind === 'synthetic'
    ? generateLmmData({ n: spec.source.n, groups: spec.source.groups, seed: spec.source.seed, crossed: spec.source.crossed }).table
    : readTableFile(join(root, spec.source.path), { factors: spec.factors }).table;
}
