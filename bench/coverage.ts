/**
 * Coverage study of the parametric bootstrap's intervals (issue 11): simulate data sets from a known
 * model, fit each (REML), bootstrap it, and count how often each 95% interval covers the true value,
 * for every boot.ci type (perc, basic, norm, bca: src/inference/bootCi.ts) computed from the same
 * replicates (BCa's acceleration from the jackknife over the groups). The issue's bar: 93–97% over
 * at least 500 data sets.
 *
 *   npm run build
 *   node dist/bench/coverage.js [--datasets 500] [--nsim 500] [--groups 40] [--per 10] [--seed 1] [--from 0] [--out bench/results]
 *
 * `--from F` starts at data set F (shards: `--from 0 --datasets 250` and `--from 250 --datasets 250`
 * are the data sets of one `--datasets 500` run); merge shards with bench/coverageMerge.ts.
 *
 * Model (bench/synth.ts): y ~ x + w + (x | g), β = (2, 0.5, −0.3), SD(intercept) 1, SD(slope) 0.5,
 * correlation 0.3, σ = 1; x per row, w per group, standard normal. Each data set has its own seed;
 * each bootstrap its own seed. The result (JSON) lists the coverage of every parameter with its
 * binomial standard error, and the timings.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { lmer } from '../src/fit/lmer.js';
import { type BootstrapResult, bootstrapIntervals, bootstrapLmm } from '../src/inference/bootstrap.js';
import { BCA_MIN_REPLICATES, BOOT_TYPES, type BootType } from '../src/inference/bootCi.js';
import { generateLmmData } from './synth.js';
import { machine, machineLine } from './common.js';

export interface CoverageArgs { datasets: number; nsim: number; groups: number; per: number; seed: number; from?: number; out: string }
type Args = CoverageArgs;

/** The study's command line over `defaults` (also bench/glmmCoverage.ts's). */
export function parseCoverageArgs(argv: string[], defaults: Args = { datasets: 500, nsim: 500, groups: 40, per: 10, seed: 1, out: 'bench/results' }): Args {
  const a: Args = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--datasets': a.datasets = Number(v); i++; break;
      case '--nsim': a.nsim = Number(v); i++; break;
      case '--groups': a.groups = Number(v); i++; break;
      case '--per': a.per = Number(v); i++; break;
      case '--seed': a.seed = Number(v); i++; break;
      case '--from': a.from = Number(v); i++; break;
      case '--out': a.out = v; i++; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return a;
}

/** Per type and parameter: how many intervals covered the truth, their summed widths, and how many were null. */
export type CoverageCounts = Record<BootType, Record<string, { covered: number; width: number; none: number }>>;

export function emptyCounts(names: string[]): CoverageCounts {
  return Object.fromEntries(BOOT_TYPES.map((ty) => [ty, Object.fromEntries(names.map((k) => [k, { covered: 0, width: 0, none: 0 }]))])) as CoverageCounts;
}

/** Adds one data set's intervals of every type (from the same replicates) to the counts. */
export function countCoverage(counts: CoverageCounts, boot: BootstrapResult, truth: Record<string, number>): void {
  // BCa where the bootstrap has its jackknife and enough replicates (the short CI study has not)
  for (const ty of BOOT_TYPES.filter((t) => t !== 'bca' || (boot.jackknife && boot.nsim >= BCA_MIN_REPLICATES))) {
    for (const iv of bootstrapIntervals(boot, 0.95, ty).intervals) {
      const c = counts[ty][iv.name];
      if (!c) continue;
      if (iv.lower === null || iv.upper === null) { c.none++; continue; }
      c.width += iv.upper - iv.lower;
      if (iv.lower <= truth[iv.name] && truth[iv.name] <= iv.upper) c.covered++;
    }
  }
}

/** Coverage ± binomial SE per type and parameter (a null interval counts as not covering). */
export function coverageTable(counts: CoverageCounts, datasets: number) {
  return Object.fromEntries(BOOT_TYPES.map((ty) => [ty, Object.fromEntries(Object.entries(counts[ty]).map(([k, c]) => {
    const pHat = c.covered / datasets;
    return [k, { covered: c.covered, coverage: pHat, se: Math.sqrt((pHat * (1 - pHat)) / datasets), meanWidth: c.width / Math.max(1, datasets - c.none), none: c.none }];
  }))]));
}

/** The markdown table of coverageTable: a row per parameter, a column per type. */
export function coverageMarkdown(table: ReturnType<typeof coverageTable>, truth: Record<string, number>): string {
  const head = `| parameter | truth | ${BOOT_TYPES.join(' | ')} |\n|:--|--:|${BOOT_TYPES.map(() => '--:').join('|')}|`;
  const rows = Object.keys(truth).map((k) => `| ${k} | ${truth[k]} | ${BOOT_TYPES.map((ty) => {
    const v = table[ty][k];
    return `${(100 * v.coverage).toFixed(1)}% ± ${(100 * v.se).toFixed(1)}`;
  }).join(' | ')} |`);
  return [head, ...rows].join('\n');
}

export async function coverageStudy(a: Omit<Args, 'out'>, log: (s: string) => void = () => {}) {
  const truth: Record<string, number> = {
    'sd_(Intercept)|g': 1, 'cor_x.(Intercept)|g': 0.3, 'sd_x|g': 0.5, sigma: 1, '(Intercept)': 2, x: 0.5, w: -0.3,
  };
  const names = Object.keys(truth);
  const counts = emptyCounts(names);
  const from = a.from ?? 0;
  let fitMs = 0, bootMs = 0, jackMs = 0, newton = 0, bobyqa = 0, failed = 0, singularFits = 0;
  for (let d = from; d < from + a.datasets; d++) {
    const data = generateLmmData({ n: a.groups * a.per, groups: a.groups, seed: a.seed * 100003 + d, layout: 'sorted' });
    let t = performance.now();
    const fit = await lmer('y ~ x + w + (x | g)', data.table, {});
    fitMs += performance.now() - t;
    if (fit.singular) singularFits++;
    const model = buildLmm('y ~ x + w + (x | g)', data.table, {});
    t = performance.now();
    const boot = await bootstrapLmm({ model, gram: formGram(model), theta: fit.theta }, { nsim: a.nsim, seed: a.seed * 7919 + d, jackknife: a.nsim >= BCA_MIN_REPLICATES });
    bootMs += performance.now() - t;
    jackMs += boot.jackknife?.timeMs ?? 0;
    newton += boot.refits.newton; bobyqa += boot.refits.bobyqa; failed += boot.refits.failed;
    countCoverage(counts, boot, truth);
    const done = d - from + 1;
    if (done % 25 === 0) log(`${done}/${a.datasets} data sets: ${names.map((k) => `${k} ${BOOT_TYPES.map((ty) => (100 * counts[ty][k].covered / done).toFixed(1)).join('/')}%`).join(', ')}`);
  }
  const coverage = coverageTable(counts, a.datasets);
  return { truth, coverage, counts, datasets: a.datasets, from, nsim: a.nsim, refits: { newton, bobyqa, failed }, singularFits, fitMs, bootMs, jackknifeMs: jackMs };
}

async function main(): Promise<void> {
  const a = parseCoverageArgs(process.argv.slice(2));
  const t0 = performance.now();
  const res = await coverageStudy(a, (s) => console.log(s));
  const out = { ...res, args: a, machine: machineLine(machine()), totalS: (performance.now() - t0) / 1000, cpuS: process.cpuUsage().user / 1e6, date: new Date().toISOString() };
  mkdirSync(a.out, { recursive: true });
  const file = join(a.out, `coverage-${a.datasets}x${a.nsim}-${a.groups}groups${a.from ? `-from${a.from}` : ''}.json`);
  writeFileSync(file, JSON.stringify(out, null, 2));
  console.log(`\n${coverageMarkdown(res.coverage, res.truth)}`);
  console.log(`\n${res.datasets} data sets × ${res.nsim} replicates; refits: ${res.refits.newton} Newton, ${res.refits.bobyqa} BOBYQA, ${res.refits.failed} failed; ${res.singularFits} singular original fits; jackknife ${(res.jackknifeMs / 1000).toFixed(0)} s; total ${out.totalS.toFixed(0)} s. Written to ${file}`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) await main();
