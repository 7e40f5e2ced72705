/**
 * Replays one case of test/fuzz/model.test.ts with its timing and progress:
 *   node node_modules/vite-node/vite-node.mjs test/fuzz/replay.ts N   (MIXEDGPU_FUZZ_SEED as the test)
 */
import { writeFileSync } from 'node:fs';
import { lmer } from '../../src/fit/lmer.js';
import { glmer } from '../../src/fit/glmer.js';
import { Rand, SEED } from './fuzz.js';
import { modelCase } from './modelCases.js';

const target = Number(process.argv[2]);
const rand = new Rand(SEED + 20);
for (let i = 0; i < target; i++) modelCase(rand);
const c = modelCase(rand);
writeFileSync('fuzz-case.json', JSON.stringify(c.rows));
console.log(c.fn, JSON.stringify(c.formula), JSON.stringify(c.options), `${c.rows.length} rows (fuzz-case.json)`);
const t0 = performance.now();
let feval = 0;
const onProgress = (p: { feval: number }) => { feval = p.feval; };
try {
  const fit = c.fn === 'lmer' ? await lmer(c.formula, c.input as never, { ...c.options, onProgress } as never) : await glmer(c.formula, c.input as never, { ...c.options, onProgress } as never);
  console.log(`ok in ${((performance.now() - t0) / 1000).toFixed(2)} s, ${feval} evaluations, objective ${fit.objective}`);
} catch (e) {
  console.log(`${(e as Error).name} in ${((performance.now() - t0) / 1000).toFixed(2)} s after ${feval} evaluations: ${(e as Error).message}`);
}
