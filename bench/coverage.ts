/**
 * Coverage study of the parametric bootstrap's percentile intervals (issue 11): simulate data sets
 * from a known model, fit each (REML), bootstrap it, and count how often each 95% interval covers
 * the true value. The issue's bar: 93–97% over at least 500 data sets.
 *
 *   npm run build
 *   node dist/bench/coverage.js [--datasets 500] [--nsim 500] [--groups 40] [--per 10] [--seed 1] [--out bench/results]
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
import { bootstrapLmm, percentileIntervals } from '../src/inference/bootstrap.js';
import { generateLmmData } from './synth.js';
import { machine, machineLine } from './common.js';

export interface CoverageArgs { datasets: number; nsim: number; groups: number; per: number; seed: number; out: string }
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
      case '--out': a.out = v; i++; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return a;
}

export async function coverageStudy(a: Omit<Args, 'out'>, log: (s: string) => void = () => {}) {
  const truth: Record<string, number> = {
    'sd_(Intercept)|g': 1, 'cor_x.(Intercept)|g': 0.3, 'sd_x|g': 0.5, sigma: 1, '(Intercept)': 2, x: 0.5, w: -0.3,
  };
  const names = Object.keys(truth);
  const covered = Object.fromEntries(names.map((k) => [k, 0]));
  let fitMs = 0, bootMs = 0, newton = 0, bobyqa = 0, failed = 0, singularFits = 0;
  for (let d = 0; d < a.datasets; d++) {
    const data = generateLmmData({ n: a.groups * a.per, groups: a.groups, seed: a.seed * 100003 + d, layout: 'sorted' });
    let t = performance.now();
    const fit = await lmer('y ~ x + w + (x | g)', data.table, {});
    fitMs += performance.now() - t;
    if (fit.singular) singularFits++;
    const model = buildLmm('y ~ x + w + (x | g)', data.table, {});
    t = performance.now();
    const boot = await bootstrapLmm({ model, gram: formGram(model), theta: fit.theta }, { nsim: a.nsim, seed: a.seed * 7919 + d });
    bootMs += performance.now() - t;
    newton += boot.refits.newton; bobyqa += boot.refits.bobyqa; failed += boot.refits.failed;
    const { intervals } = percentileIntervals(boot, 0.95);
    for (const iv of intervals) {
      const v = truth[iv.name];
      if (iv.lower !== null && iv.upper !== null && iv.lower <= v && v <= iv.upper) covered[iv.name]++;
    }
    if ((d + 1) % 25 === 0) log(`${d + 1}/${a.datasets} data sets: ${names.map((k) => `${k} ${(100 * covered[k] / (d + 1)).toFixed(1)}%`).join(', ')}`);
  }
  const coverage = Object.fromEntries(names.map((k) => {
    const pHat = covered[k] / a.datasets;
    return [k, { covered: covered[k], coverage: pHat, se: Math.sqrt((pHat * (1 - pHat)) / a.datasets) }];
  }));
  return { truth, coverage, datasets: a.datasets, nsim: a.nsim, refits: { newton, bobyqa, failed }, singularFits, fitMs, bootMs };
}

async function main(): Promise<void> {
  const a = parseCoverageArgs(process.argv.slice(2));
  const t0 = performance.now();
  const res = await coverageStudy(a, (s) => console.log(s));
  const out = { ...res, args: a, machine: machineLine(machine()), totalS: (performance.now() - t0) / 1000, date: new Date().toISOString() };
  mkdirSync(a.out, { recursive: true });
  const file = join(a.out, `coverage-${a.datasets}x${a.nsim}.json`);
  writeFileSync(file, JSON.stringify(out, null, 2));
  console.log(`\n| parameter | truth | coverage of 95% percentile intervals | ± SE |\n|:--|--:|--:|--:|`);
  for (const [k, v] of Object.entries(res.coverage)) console.log(`| ${k} | ${res.truth[k]} | ${(100 * v.coverage).toFixed(1)}% (${v.covered}/${res.datasets}) | ${(100 * v.se).toFixed(1)} |`);
  console.log(`\n${res.datasets} data sets × ${res.nsim} replicates; refits: ${res.refits.newton} Newton, ${res.refits.bobyqa} BOBYQA, ${res.refits.failed} failed; ${res.singularFits} singular original fits; total ${out.totalS.toFixed(0)} s. Written to ${file}`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) await main();
