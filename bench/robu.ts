/**
 * robumeta's robu() at scale (src/meta/robu*.ts: the small-sample corrections from each study's pieces, no
 * M × M matrix): seeded synthetic effect sizes (bench/synth.ts's Rng) in studies of 1–20 effect sizes each and
 * one study of 500, y_ij = 0.3 + 0.1 x_ij + u_j + e_ij, u_j ~ N(0, 0.2²), e_ij ~ N(0, v_ij), v_ij ~ U(0.01, 0.1);
 * fitted by CORR and HIER with the small-sample corrections (after one warm-up fit), for M ≈ 2,000 and 20,000.
 * With --r, robumeta 2.0's robu on the same data written as CSV, in Rscript (bench/robu.R), for the sizes given by
 * --r-max (default 3,000 effect sizes: robu forms the M × M hat matrix).
 *
 *   npm run build && node dist/bench/robu.js [--seed S] [--r] [--r-max M]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { robu } from '../src/meta/robu.js';
import { tableFromColumns, makeFloat64Vector } from '../src/io/arrow.js';
import { Rng } from './synth.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** studies of 1–20 effect sizes until about `target` rows, plus one of 500 */
function data(target: number, seed: number) {
  const rng = new Rng(seed);
  const y: number[] = [], x: number[] = [], v: number[] = [], s: number[] = [];
  let study = 0;
  const add = (k: number) => {
    study++;
    const u = 0.2 * rng.normal();
    for (let i = 0; i < k; i++) {
      const vi = 0.01 + 0.09 * rng.uniform(), xi = rng.normal();
      y.push(0.3 + 0.1 * xi + u + Math.sqrt(vi) * rng.normal()); x.push(xi); v.push(vi); s.push(study);
    }
  };
  add(500);
  while (y.length < target) add(1 + rng.int(20));
  return { y, x, v, s, studies: study };
}

async function main(): Promise<void> {
  const seed = arg('--seed', 1), rMax = arg('--r-max', 3000), withR = process.argv.includes('--r');
  const dir = mkdtempSync(join(tmpdir(), 'mixedgpu-robu-'));
  try {
    for (const target of [2000, 20000]) {
      const d = data(target, seed);
      const table = tableFromColumns([
        ['y', makeFloat64Vector(Float64Array.from(d.y))], ['x', makeFloat64Vector(Float64Array.from(d.x))],
        ['v', makeFloat64Vector(Float64Array.from(d.v))], ['study', makeFloat64Vector(Float64Array.from(d.s))],
      ]);
      const opts = { formula: 'y ~ x', studynum: 'study', var: 'v' };
      robu(table, { ...opts, modelweights: 'CORR' });
      for (const mw of ['CORR', 'HIER'] as const) {
        const t0 = performance.now();
        const fit = robu(table, { ...opts, modelweights: mw });
        const ms = performance.now() - t0;
        console.log(`ours ${mw}: ${d.y.length} effect sizes in ${d.studies} studies, ${(ms / 1000).toFixed(3)} s, beta ${Array.from(fit.beta).map((b) => b.toFixed(5)).join(' ')}, dfs ${Array.from(fit.dfs).map((b) => b.toFixed(2)).join(' ')}`);
      }
      if (withR && d.y.length <= rMax) {
        const csv = join(dir, `robu_${target}.csv`);
        writeFileSync(csv, 'y,x,v,study\n' + d.y.map((_, i) => `${d.y[i]},${d.x[i]},${d.v[i]},${d.s[i]}`).join('\n') + '\n');
        process.stdout.write(execFileSync('Rscript', ['bench/robu.R', csv], { encoding: 'utf8' }));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
