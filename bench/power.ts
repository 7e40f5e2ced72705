/**
 * simr's powerSim on our refits against a naive per-replicate loop (a full lmer() on a table with the
 * replicate's response, then the test: what simr's doFit + doTest do in R), on the same simulated
 * responses (src/inference/powerSim.ts):
 *  - sleepstudy, Reaction ~ Days + (Days | Subject), fixef Days = 2;
 *  - a seeded 100k-row model y ~ x + (x | g), 1,000 groups (as bench/influence.ts), fixef x = 0.05.
 * The naive loop runs `naive` replicates (default 20) and is reported per replicate.
 *
 *   npx vite-node bench/power.ts [nsim] [method] [naive]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { lmer } from '../src/fit/lmer.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import { readCsv } from '../src/io/csv.js';
import { type PowerMethod, powerParameters, powerSim, resolvePowerTest, simulationSource } from '../src/inference/powerSim.js';
import { simulateFit } from '../src/inference/simulate.js';
import { coefficientTable } from '../src/inference/fitInference.js';
import { krModcomp } from '../src/inference/modcomp.js';
import { slopeData } from './synth.js';

const nsim = Number(process.argv[2] ?? 1000);
const method = (process.argv[3] ?? 'kr') as PowerMethod;
const naiveCount = Number(process.argv[4] ?? 20);

async function bench(name: string, fit: LmmFit, columns: Record<string, ArrayLike<unknown>>, response: string, options: { factors?: string[] }, test: string, fixef: Record<string, number>) {
  const cpu0 = process.cpuUsage();
  let t = performance.now();
  const r = await powerSim(fit, { test, method, nsim, seed: 1, fixef });
  const ms = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  // naive: lmer() from the data for each replicate, then the same test
  const { y } = simulateFit(simulationSource(fit, powerParameters(fit, fixef)), naiveCount, { seed: 1 });
  const pt = resolvePowerTest(fit, test, method);
  t = performance.now();
  let maxRel = 0;
  for (let k = 0; k < naiveCount; k++) {
    const f = await lmer(fit.model.formula, { ...columns, [response]: y[k] }, { ...options, REML: fit.reml });
    const p = method === 't' ? coefficientTable(f).rows[pt.columns[0]].p
      : (await krModcomp(f, pt.columns.map((c) => f.model.frame.xnames.map((_, j) => (j === c ? 1 : 0))))).Ftest.p;
    maxRel = Math.max(maxRel, Math.abs(p - r.pValues[k]) / r.pValues[k]);
  }
  const naiveMs = (performance.now() - t) / naiveCount;
  console.log(JSON.stringify({
    name, n: fit.nobs, method, nsim, powerSimMs: Math.round(ms), perReplicateMs: +(ms / nsim).toFixed(2), cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    naivePerReplicateMs: +naiveMs.toFixed(2), naiveReplicates: naiveCount, ratio: +(naiveMs / (ms / nsim)).toFixed(2),
    naiveVsOursMaxRelP: maxRel, power: r.power, ci: r.ci, errors: r.errors, warnings: r.warnings, singular: r.singular,
  }));
}

const ssTable = readCsv(readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'data', 'sleepstudy.csv'), 'utf8')).table;
const ssCols = Object.fromEntries(ssTable.schema.fields.map((f) => [f.name, ssTable.getChild(f.name)!.toArray() as ArrayLike<unknown>]));
const ss = await lmer('Reaction ~ Days + (Days | Subject)', ssCols, { factors: ['Subject'] });
await bench('sleepstudy', ss, ssCols, 'Reaction', { factors: ['Subject'] }, 'Days', { Days: 2 });

const n = 100_000, G = 1_000;
const { y: yv, x, g } = slopeData(n, G);
const cols = { y: yv, x, g };
const big = await lmer('y ~ x + (x | g)', tableFromArrays(cols));
await bench('100k rows, 1000 groups', big, cols, 'y', {}, 'x', { x: 0.05 });
