/**
 * The WebGPU GLMM path against the CPU on the random audits' non-canonical cases: the random NB audit's
 * cases at their size (given, or glmer.nb's) and the random GLMMs' probit and cloglog cases, each fitted on
 * both backends; reports how many fitted, the failures, and the worst (device − CPU) objective (the device
 * fit is checked and polished in float64, so it should be no worse).
 *
 *   npx vite-node bench/gpuGlmmSweep.ts      # on SwiftShader here, or a GPU
 */
import { readFileSync } from 'node:fs';
import { readCsv } from '../src/io/csv.js';
import { glmer } from '../src/fit/glmer.js';
const out: string[] = [];
let worst = -Infinity, fails = 0, n = 0;
async function one(name: string, formula: string, table: any, o: any) {
  const cpu = await glmer(formula, table, o);
  try {
    const gpu = await glmer(formula, table, { ...o, backend: 'webgpu' });
    const d = gpu.objective - cpu.objective;
    n++; if (d > worst) worst = d;
    if (d > 1e-6) out.push(`${name} ${formula} worse by ${d}`);
  } catch (e) { fails++; out.push(`${name} ${formula} FAILED ${(e as Error).message}`); }
}
{
  const dir = 'test/fixtures/random-negbin';
  const ref = JSON.parse(readFileSync(`${dir}/glmer.json`, 'utf8'));
  for (const c of ref.cases) {
    const size = c.theta ?? c.glmer_nb?.size;
    if (!size) continue;
    await one(c.name, c.formula, readCsv(readFileSync(`${dir}/${c.name}.csv`, 'utf8')).table, { family: 'negative.binomial', theta: size });
  }
}
{
  const dir = 'test/fixtures/random-glmm';
  const ref = JSON.parse(readFileSync(`${dir}/glmer.json`, 'utf8'));
  const idx = new Map(JSON.parse(readFileSync(`${dir}/cases.json`, 'utf8')).cases.map((c: any) => [c.name, c.weights]));
  for (const c of ref.cases.filter((c: any) => c.link === 'probit' || c.link === 'cloglog')) {
    await one(c.name, c.formula, readCsv(readFileSync(`${dir}/${c.name}.csv`, 'utf8')).table, { family: c.family, link: c.link, nAGQ: c.nAGQ, weights: (idx.get(c.name) as any) ?? undefined });
  }
}
console.log({ n, fails, worst }); console.log(out.join('\n'));
process.exit(0);
