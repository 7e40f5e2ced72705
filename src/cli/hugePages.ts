/**
 * Transparent huge pages for the command line's large fits (Linux with glibc ≥ 2.35).
 *
 * A large fit allocates its row arrays at once: about 1.5 GB for 10M rows of `y ~ x + w + (x | g)`
 * (the columns, X, Z, X_c, Z M, the Gram pass's level-order copies). The kernel backs fresh memory
 * page by page at its first write: 4 KiB pages mean ~365,000 page faults for that fit, and on a
 * virtual machine each fault is expensive (bench/RESULTS.md, "huge pages for the rows' memory": on the
 * 2-core AMD EPYC VM, 4 GiB first written in 18.7–19.4 s with 4 KiB pages and 3.2–3.4 s with huge
 * pages; the 10M-row fit 5.4–5.6 s against 3.8–4.4 s). Where the kernel gives huge pages only to memory
 * that asks for them (/sys/kernel/mm/transparent_hugepage/enabled reads `[madvise]`: Ubuntu's
 * default and many clouds'), glibc's malloc asks for them — madvise(MADV_HUGEPAGE) on its mmap'd
 * blocks, where Node's ArrayBuffers and SharedArrayBuffers live — when the environment variable
 * GLIBC_TUNABLES holds `glibc.malloc.hugetlb=1`. glibc reads it once, when the process starts; so
 * the command runs itself again with it (`hugePagePlan` decides, `relaunch` does it) when it will hold
 * a large data file's rows in memory (the engines that read them in batches allocate little). The
 * values computed are the same: only where the memory comes from changes.
 *
 * MIXEDGPU_HUGE_PAGES=off never relaunches; =on relaunches whatever the data's size (where the
 * other conditions hold). A library user sets GLIBC_TUNABLES before starting Node (README.md).
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { chooseEngine, namedEngine } from './engineChoice.js';

/** the commands that take --engine (./program.ts) */
const ENGINE_COMMANDS = ['fit', 'confint', 'anova', 'drop1', 'r2', 'check', 'emmeans', 'joint-tests', 'lsmeans', 'getme'];

/** the glibc tunable that makes malloc ask for transparent huge pages */
export const HUGE_PAGE_TUNABLE = 'glibc.malloc.hugetlb=1';
/** data files from this size (bytes) relaunch the command: a smaller fit's faults cost less than a second Node start (~50 ms) */
export const HUGE_PAGE_MIN_BYTES = 32 * 2 ** 20;

/** What the decision reads: the platform, the kernel's THP mode, glibc's version, the environment, the data's size. */
export interface HugePageFacts {
  platform: string;
  /** the contents of /sys/kernel/mm/transparent_hugepage/enabled, e.g. "always [madvise] never", or null */
  thp: string | null;
  /** glibc's runtime version ("2.36"), or null (not glibc: musl, macOS, Windows) */
  glibc: string | null;
  env: Record<string, string | undefined>;
  /** the largest data file named on the command line (bytes; 0 if none) */
  dataBytes: number;
  /**
   * whether the command holds the rows in memory: every command but those that take --engine (`fit`, `confint`, `anova`,
   * `drop1`, `r2`, `emmeans`, `joint-tests`, `lsmeans`, `getme`) through another engine (stream, duckdb, clickhouse — named, or implied by
   * --url or --table: the rows in batches, A formed as they pass; ./engineChoice.ts)
   */
  inMemory: boolean;
}

export type HugePagePlan = { relaunch: true; tunables: string } | { relaunch: false; why: string };

/** Whether to run the command again with GLIBC_TUNABLES asking for huge pages, and with what value. */
export function hugePagePlan(f: HugePageFacts): HugePagePlan {
  if (setting(f.env) === 'off') return { relaunch: false, why: 'MIXEDGPU_HUGE_PAGES=off' };
  if (f.platform !== 'linux') return { relaunch: false, why: `not Linux (${f.platform})` };
  const current = f.env.GLIBC_TUNABLES ?? '';
  // already set, by the user or by this relaunch (so never twice)
  if (current.includes('glibc.malloc.hugetlb')) return { relaunch: false, why: 'GLIBC_TUNABLES already sets glibc.malloc.hugetlb' };
  const mode = f.thp === null ? null : /\[(\w+)\]/.exec(f.thp)?.[1] ?? null;
  if (mode !== 'madvise') {
    return { relaunch: false, why: mode === null ? 'no transparent huge pages' : `transparent huge pages are '${mode}', not 'madvise'` };
  }
  if (!f.inMemory) return { relaunch: false, why: 'the rows are read in batches by an engine, not held in memory' };
  if (setting(f.env) !== 'on' && f.dataBytes < HUGE_PAGE_MIN_BYTES) return { relaunch: false, why: `data under ${HUGE_PAGE_MIN_BYTES / 2 ** 20} MiB` };
  if (!glibcAtLeast(f.glibc, 2, 35)) return { relaunch: false, why: f.glibc ? `glibc ${f.glibc} has no glibc.malloc.hugetlb (2.35)` : 'not glibc' };
  return { relaunch: true, tunables: current ? `${current}:${HUGE_PAGE_TUNABLE}` : HUGE_PAGE_TUNABLE };
}

/** MIXEDGPU_HUGE_PAGES: off (or 0) never, on (or 1) whatever the data's size, else null (by the data's size) */
function setting(env: Record<string, string | undefined>): 'off' | 'on' | null {
  const v = (env.MIXEDGPU_HUGE_PAGES ?? '').toLowerCase();
  return v === 'off' || v === '0' ? 'off' : v === 'on' || v === '1' ? 'on' : null;
}

function glibcAtLeast(version: string | null, major: number, minor: number): boolean {
  const m = version === null ? null : /^(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  return Number(m[1]) > major || (Number(m[1]) === major && Number(m[2]) >= minor);
}

/**
 * This process's facts; `args` are the command's arguments, of which existing files count as data.
 * For `fit`, the engine is the one the command will choose (`--engine`, else by FILE, its first
 * argument that is no option, and `--family`: ./engineChoice.ts); an argument the command will refuse
 * counts as not in memory.
 */
export function hugePageFacts(args: string[], env: Record<string, string | undefined> = process.env): HugePageFacts {
  const facts: HugePageFacts = { platform: process.platform, thp: null, glibc: null, env, dataBytes: 0, inMemory: rowsInMemory(args) };
  if (facts.platform !== 'linux') return facts;
  try {
    facts.thp = readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8');
  } catch {
    return facts;
  }
  for (const a of args) {
    try {
      const s = statSync(a, { throwIfNoEntry: false });
      if (s?.isFile()) facts.dataBytes = Math.max(facts.dataBytes, s.size);
    } catch {
      // not a path (a long formula: ENAMETOOLONG; under a file: ENOTDIR): not data
    }
  }
  // the process report's header names glibc's runtime version (absent under musl); read (~7 ms) only
  // when it can matter, so that a small fit's command does not pay for it
  if (facts.thp.includes('[madvise]') && facts.inMemory && (setting(env) === 'on' || facts.dataBytes >= HUGE_PAGE_MIN_BYTES)) {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    facts.glibc = header?.glibcVersionRuntime ?? null;
  }
  return facts;
}

/** Whether the command of these arguments holds its rows in memory (see HugePageFacts.inMemory). */
function rowsInMemory(args: string[]): boolean {
  if (!ENGINE_COMMANDS.includes(args[0])) return true;
  const opts: { engine?: string; url?: string; table?: string } = {};
  for (let k = 1; k < args.length; k++) {
    for (const name of ['engine', 'url', 'table'] as const) {
      if (args[k] === `--${name}`) opts[name] = args[k + 1];
      else if (args[k].startsWith(`--${name}=`)) opts[name] = args[k].slice(name.length + 3);
    }
  }
  const engine = namedEngine(opts);
  const glmm = args.some((a) => a === '--family' || a.startsWith('--family='));
  const file = args.slice(1).find((a) => !a.startsWith('-'));
  try {
    return chooseEngine(file, engine, glmm).engine === 'memory';
  } catch {
    return false;
  }
}

/** The signals a relaunched command passes on to its child (which would otherwise outlive it). */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs `command args` with GLIBC_TUNABLES set to the plan's value (and MIXEDGPU_HUGE_PAGES=off), its
 * standard streams this process's, and resolves to its exit status; to null if it could not be
 * started (the caller then runs the command itself). SIGINT, SIGTERM and SIGHUP sent to this process
 * are passed on to the child; a child ended by a signal ends this process by the same signal.
 */
export function relaunch(tunables: string, command: string, args: string[], env: Record<string, string | undefined> = process.env): Promise<number | null> {
  return new Promise((resolve) => {
    // MIXEDGPU_HUGE_PAGES=off as well: never a second relaunch, even where the loader drops GLIBC_TUNABLES (setuid)
    const child = spawn(command, args, { stdio: 'inherit', env: { ...env, GLIBC_TUNABLES: tunables, MIXEDGPU_HUGE_PAGES: 'off' } });
    const forward = (signal: NodeJS.Signals) => { child.kill(signal); };
    for (const s of FORWARDED) process.on(s, forward);
    const done = () => { for (const s of FORWARDED) process.off(s, forward); };
    child.on('error', () => {
      done();
      resolve(null);
    });
    child.on('exit', (code, signal) => {
      done();
      if (signal) {
        process.kill(process.pid, signal);
        resolve(1);
      } else {
        resolve(code ?? 1);
      }
    });
  });
}
