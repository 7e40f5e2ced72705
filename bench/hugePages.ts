/**
 * What a fresh page costs on this machine: first writes to new memory with 4 KiB pages against
 * transparent huge pages (glibc's malloc asking for them: GLIBC_TUNABLES glibc.malloc.hugetlb=1, as
 * the command line sets it for a large fit, src/cli/hugePages.ts), and a 10M-row lmer fit each way,
 * each in its own process, alternated.
 *
 *   npm run build && node dist/bench/hugePages.js [--gib 4] [--rows 10000000] [--groups 100000] [--rounds 2]
 *
 * The machine's THP mode is printed; where it is not `madvise`, both settings get the same memory.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lmer } from '../src/index.js';
import { HUGE_PAGE_TUNABLE } from '../src/cli/hugePages.js';
import { flags, machine, machineLine, positiveInt } from './common.js';
import { generateLmmData } from './synth.js';

const argv = process.argv.slice(2);

if (argv[0] === '--worker') {
  const [, what, size, groups] = argv;
  const r0 = process.resourceUsage();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let extra = '';
  if (what === 'touch') {
    const keep: Float64Array[] = [];
    for (let g = 0; g < Number(size); g++) {
      const a = new Float64Array(2 ** 27); // 1 GiB
      a.fill(1);
      keep.push(a);
    }
    extra = `${keep.length} GiB`;
  } else {
    const d = generateLmmData({ n: Number(size), groups: Number(groups), seed: 1 });
    (globalThis as { gc?: () => void }).gc?.();
    const r1 = process.resourceUsage(), c1 = process.cpuUsage(), t1 = performance.now();
    const fit = await lmer('y ~ x + w + (x | g)', d.table, { REML: false, factors: ['g'] });
    const r2 = process.resourceUsage(), c2 = process.cpuUsage(c1);
    console.log(JSON.stringify({
      ms: performance.now() - t1, frameMs: fit.timings.frameMs, userMs: c2.user / 1e3, sysMs: c2.system / 1e3,
      faults: r2.minorPageFault - r1.minorPageFault, objective: fit.objective,
    }));
    process.exit(0);
  }
  const r2 = process.resourceUsage(), c2 = process.cpuUsage(c0);
  console.log(JSON.stringify({ ms: performance.now() - t0, userMs: c2.user / 1e3, sysMs: c2.system / 1e3, faults: r2.minorPageFault - r0.minorPageFault, extra }));
  process.exit(0);
}

let gib = 4, rows = 10_000_000, groups = 100_000, rounds = 2;
for (const [flag, value] of flags(argv)) {
  switch (flag) {
    case '--gib': gib = positiveInt(flag, value()); break;
    case '--rows': rows = positiveInt(flag, value()); break;
    case '--groups': groups = positiveInt(flag, value()); break;
    case '--rounds': rounds = positiveInt(flag, value()); break;
    default: throw new Error(`hugePages bench: unknown argument ${flag}`);
  }
}
let thp = 'unknown';
try { thp = readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8').trim(); } catch { /* not Linux */ }
console.log(`${machineLine(machine())}\nTHP: ${thp}\n`);

const self = fileURLToPath(import.meta.url);
function child(args: string[], huge: boolean): Record<string, number | string> {
  const env = { ...process.env };
  delete env.GLIBC_TUNABLES;
  if (huge) env.GLIBC_TUNABLES = HUGE_PAGE_TUNABLE;
  const r = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', self, '--worker', ...args], { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(`worker failed: ${r.stderr.slice(-2000)}`);
  return JSON.parse(line) as Record<string, number | string>;
}

const s = (ms: unknown) => (Number(ms) / 1000).toFixed(2);
console.log('| round | pages | what | wall (s) | frame (s) | user (s) | sys (s) | minor faults |');
console.log('|--:|:--|:--|--:|--:|--:|--:|--:|');
for (let r = 1; r <= rounds; r++) {
  for (const huge of [false, true]) {
    const t = child(['touch', String(gib)], huge);
    console.log(`| ${r} | ${huge ? 'huge' : '4 KiB'} | first write of ${gib} GiB | ${s(t.ms)} | – | ${s(t.userMs)} | ${s(t.sysMs)} | ${t.faults} |`);
  }
  for (const huge of [false, true]) {
    const t = child(['fit', String(rows), String(groups)], huge);
    console.log(`| ${r} | ${huge ? 'huge' : '4 KiB'} | lmer, ${rows.toLocaleString('en-US')} rows (objective ${t.objective}) | ${s(t.ms)} | ${s(t.frameMs)} | ${s(t.userMs)} | ${s(t.sysMs)} | ${t.faults} |`);
  }
}
