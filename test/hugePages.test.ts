/**
 * Transparent huge pages for the command line's large fits (src/cli/hugePages.ts): when the command
 * runs itself again with GLIBC_TUNABLES asking glibc's malloc for them, that the relaunched process
 * gets the variable and the caller its exit status, and that the command prints the same fit either way.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { HUGE_PAGE_MIN_BYTES, type HugePageFacts, hugePageFacts, hugePagePlan, relaunch } from '../src/cli/hugePages.js';

const root = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'mixedgpu-hugepages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** a directory under the project's node_modules, where a bundle finds the packages it leaves out (removed after the test) */
function cacheDir(): string {
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const own = mkdtempSync(join(cache, 'mixedgpu-hugepages-'));
  onTestFinished(() => rmSync(own, { recursive: true, force: true }));
  return own;
}

describe('hugePagePlan', () => {
  const large: HugePageFacts = { platform: 'linux', thp: 'always [madvise] never\n', glibc: '2.36', env: {}, dataBytes: HUGE_PAGE_MIN_BYTES, inMemory: true };

  it('relaunches a large fit on Linux with THP on request (madvise) and glibc ≥ 2.35', () => {
    expect(hugePagePlan(large)).toEqual({ relaunch: true, tunables: 'glibc.malloc.hugetlb=1' });
    expect(hugePagePlan({ ...large, glibc: '2.35' }).relaunch).toBe(true);
    expect(hugePagePlan({ ...large, glibc: '3.0' }).relaunch).toBe(true);
  });

  it('keeps the tunables already set and adds its own', () => {
    expect(hugePagePlan({ ...large, env: { GLIBC_TUNABLES: 'glibc.malloc.check=0' } }))
      .toEqual({ relaunch: true, tunables: 'glibc.malloc.check=0:glibc.malloc.hugetlb=1' });
  });

  it('small data relaunches only when asked to (MIXEDGPU_HUGE_PAGES=on)', () => {
    const small = { ...large, dataBytes: HUGE_PAGE_MIN_BYTES - 1 };
    expect(hugePagePlan(small)).toEqual({ relaunch: false, why: 'data under 32 MiB' });
    expect(hugePagePlan({ ...small, env: { MIXEDGPU_HUGE_PAGES: 'on' } }).relaunch).toBe(true);
  });

  it('does not relaunch where it would not help, or twice, and says why', () => {
    const cases: [Partial<HugePageFacts>, string][] = [
      [{ env: { MIXEDGPU_HUGE_PAGES: 'off' } }, 'MIXEDGPU_HUGE_PAGES=off'],
      [{ platform: 'darwin' }, 'not Linux (darwin)'],
      [{ env: { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' } }, 'GLIBC_TUNABLES already sets glibc.malloc.hugetlb'],
      [{ env: { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' } }, 'GLIBC_TUNABLES already sets glibc.malloc.hugetlb'],
      [{ thp: '[always] madvise never' }, "transparent huge pages are 'always', not 'madvise'"],
      [{ thp: 'always madvise [never]' }, "transparent huge pages are 'never', not 'madvise'"],
      [{ thp: null }, 'no transparent huge pages'],
      [{ glibc: '2.31' }, 'glibc 2.31 has no glibc.malloc.hugetlb (2.35)'],
      [{ glibc: null }, 'not glibc'],
      [{ inMemory: false }, 'the rows are read in batches by an engine, not held in memory'],
    ];
    for (const [change, why] of cases) {
      expect(hugePagePlan({ ...large, ...change, env: { ...change.env } }), why).toEqual({ relaunch: false, why });
    }
  });

  it("reads this machine's facts and counts only existing files as data", () => {
    const file = join(dir, 'data.csv');
    writeFileSync(file, 'y,x\n1,2\n');
    // a formula longer than a file name may be, and a path under a file, are not data either
    const f = hugePageFacts(['fit', file, 'y ~ x + (1 | g)', join(dir, 'missing.csv'), `y ~ ${'x + '.repeat(100)}(1 | g)`, join(file, 'x')], {});
    expect(f.platform).toBe(process.platform);
    if (f.thp !== null) expect(f.dataBytes).toBe(8);
  });

  it('holds the rows in memory for the commands that take --engine with the memory engine (named, or chosen by the file) and every other command', () => {
    const file = join(dir, 'data.csv');
    writeFileSync(file, 'y,x\n1,2\n');
    const inMemory = (...args: string[]) => hugePageFacts(args, {}).inMemory;
    expect(inMemory('fit', file, 'y ~ x * z + (1 | g)')).toBe(true);
    expect(inMemory('fit', '--ml', file, 'y ~ x + (1 | g)', '--engine', 'memory')).toBe(true);
    expect(inMemory('fit', file, 'y ~ x + (1 | g)', '--engine', 'duckdb')).toBe(false);
    expect(inMemory('fit', file, 'y ~ x + (1 | g)', '--engine=stream')).toBe(false);
    expect(inMemory('fit', '--engine', 'clickhouse', '--url', 'http://127.0.0.1:8123', '--table', 't', 'y ~ x + (1 | g)')).toBe(false);
    // a glob goes to DuckDB, unless a GLMM (the memory engine only)
    expect(inMemory('fit', join(dir, '*.parquet'), 'y ~ x + (1 | g)')).toBe(false);
    expect(inMemory('fit', join(dir, '*.parquet'), 'y ~ x + (1 | g)', '--family', 'binomial')).toBe(true);
    // an engine the command refuses
    expect(inMemory('fit', file, 'y ~ x + (1 | g)', '--engine', 'spark')).toBe(false);
    expect(inMemory('anova', file, 'y ~ 1 + (1 | g)', 'y ~ x + (1 | g)')).toBe(true);
    // confint and anova through an engine (profiles and ML refits from A) hold no rows either
    expect(inMemory('anova', file, 'y ~ 1 + (1 | g)', 'y ~ x + (1 | g)', '--engine', 'stream')).toBe(false);
    expect(inMemory('confint', file, 'y ~ x + (1 | g)', '--engine=duckdb')).toBe(false);
    expect(inMemory('confint', file, 'y ~ x + (1 | g)')).toBe(true);
    // so do drop1, r2, emmeans, joint-tests and lsmeans through an engine, and a ClickHouse table named by --url/--table alone
    expect(inMemory('drop1', file, 'y ~ x + (1 | g)', '--engine', 'stream')).toBe(false);
    expect(inMemory('r2', file, 'y ~ x + (1 | g)', '--engine=duckdb')).toBe(false);
    expect(inMemory('emmeans', 'y ~ x + (1 | g)', 'x', '--engine', 'clickhouse', '--url', 'http://127.0.0.1:8123', '--table', 't')).toBe(false);
    expect(inMemory('joint-tests', 'y ~ x + (1 | g)', '--url=http://127.0.0.1:8123', '--table', 't')).toBe(false);
    expect(inMemory('lsmeans', file, 'y ~ A + (1 | g)', '--engine', 'duckdb')).toBe(false);
    expect(inMemory('lsmeans', file, 'y ~ A + (1 | g)')).toBe(true);
    expect(inMemory('r2', file, 'y ~ x + (1 | g)')).toBe(true);
    expect(inMemory('getme', file, 'y ~ x + (1 | g)', 'theta', '--engine', 'stream')).toBe(false);
    expect(inMemory('getme', file, 'y ~ x + (1 | g)', 'theta')).toBe(true);
    expect(inMemory('ranova', file, 'y ~ x + (1 | g)', '--table', 't')).toBe(true);
    expect(inMemory('meta', file)).toBe(true);
  });
});

describe('relaunch', () => {
  it('runs the command with GLIBC_TUNABLES set and returns its exit status', async () => {
    const out = join(dir, 'env.txt');
    const status = await relaunch('glibc.malloc.check=0:glibc.malloc.hugetlb=1', process.execPath,
      ['-e', `require('fs').writeFileSync(${JSON.stringify(out)}, process.env.GLIBC_TUNABLES + ' ' + process.env.MIXEDGPU_HUGE_PAGES); process.exitCode = 3`], { PATH: process.env.PATH });
    expect(status).toBe(3);
    // and never a second relaunch from there
    expect(readFileSync(out, 'utf8')).toBe('glibc.malloc.check=0:glibc.malloc.hugetlb=1 off');
  });

  it('returns null when the command cannot be started (the caller runs it itself)', async () => {
    expect(await relaunch('glibc.malloc.hugetlb=1', join(dir, 'no-such-command'), [])).toBeNull();
  });

  it('passes SIGTERM on to the child, which would otherwise outlive the command, and ends by it', async () => {
    // a command that relaunches a child which waits (bundled, as the built command runs), then SIGTERM to the command alone
    const own = cacheDir();
    const pidFile = join(own, 'child.pid');
    const entry = join(own, 'relauncher.ts');
    writeFileSync(entry, [
      `import { relaunch } from ${JSON.stringify(join(root, 'src', 'cli', 'hugePages.ts'))};`,
      `const status = await relaunch('glibc.malloc.hugetlb=1', process.execPath, ['-e', ${JSON.stringify(`require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000)`)}]);`,
      'process.exitCode = status ?? 9;',
    ].join('\n'));
    const bundle = join(own, 'relauncher.mjs');
    await build({ entryPoints: [entry], outfile: bundle, bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'error' });
    const command = spawn(process.execPath, [bundle], { stdio: 'ignore' });
    // whatever the outcome, neither process outlives the test
    onTestFinished(() => {
      if (command.exitCode === null && command.signalCode === null) command.kill('SIGKILL');
      if (childPid) try { process.kill(childPid, 'SIGKILL'); } catch { /* gone */ }
    });
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => command.on('exit', (code, signal) => res({ code, signal })));
    let childPid = 0;
    for (let k = 0; k < 200 && !childPid; k++) {
      await new Promise((r) => setTimeout(r, 25));
      if (existsSync(pidFile)) childPid = Number(readFileSync(pidFile, 'utf8')) || 0;
    }
    expect(childPid).toBeGreaterThan(0);
    command.kill('SIGTERM');
    expect(await ended).toEqual({ code: null, signal: 'SIGTERM' });
    // the child is gone too
    let alive = true;
    for (let k = 0; k < 200 && alive; k++) {
      try { process.kill(childPid, 0); await new Promise((r) => setTimeout(r, 25)); } catch { alive = false; }
    }
    expect(alive).toBe(false);
  }, 60_000);
});

describe('the command with and without huge pages', () => {
  it('prints the same fit; it runs itself again only where the plan says so, with the same Node options', async () => {
    const cli = join(cacheDir(), 'mixedgpu.mjs');
    await build({
      entryPoints: [join(root, 'src/cli/main.ts')], outfile: cli, bundle: true, format: 'esm', platform: 'node', target: 'node20',
      external: ['webgpu', '@duckdb/node-api'], logLevel: 'error', legalComments: 'none',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
    // a preload (passed on as a Node option) that logs each process's GLIBC_TUNABLES
    const log = join(dir, 'processes.txt');
    const preload = join(dir, 'preload.mjs');
    writeFileSync(preload, `import { appendFileSync } from 'node:fs'; appendFileSync(${JSON.stringify(log)}, (process.env.GLIBC_TUNABLES ?? '-') + '\\n');\n`);
    const data = join(root, 'test', 'fixtures', 'data', 'sleepstudy.csv');
    const fit = (setting: string) => {
      writeFileSync(log, '');
      const env: NodeJS.ProcessEnv = { ...process.env, MIXEDGPU_HUGE_PAGES: setting };
      delete env.GLIBC_TUNABLES;
      const r = spawnSync(process.execPath, ['--import', pathToFileURL(preload).href, cli, 'fit', data, 'Reaction ~ Days + (Days | Subject)', '--factors', 'Subject', '--json', '--quiet'], {
        cwd: root, encoding: 'utf8', env, timeout: 60_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const json = JSON.parse(r.stdout) as Record<string, unknown>;
      delete json.timings_ms;
      return { json, processes: readFileSync(log, 'utf8').trim().split('\n') };
    };
    const off = fit('off');
    const on = fit('on');
    expect(on.json).toEqual(off.json);
    expect(off.processes).toEqual(['-']);
    const plan = hugePagePlan(hugePageFacts([], { MIXEDGPU_HUGE_PAGES: 'on' }));
    expect(on.processes).toEqual(plan.relaunch ? ['-', 'glibc.malloc.hugetlb=1'] : ['-']);
  }, 120_000);
});
