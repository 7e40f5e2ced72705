/**
 * Writes the random models of ./randomInference.ts as test/fixtures/random-inference/<name>.csv and
 * cases.json, for test/oracle/random_inference.R.
 *
 *   npx vite-node test/oracle/exportRandomInference.ts [SEED] [COUNT]
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RANDOM_INFERENCE_COUNT, RANDOM_INFERENCE_SEED, generateInferenceCases } from './randomInference.js';

const seed = Number(process.argv[2] ?? RANDOM_INFERENCE_SEED);
const count = Number(process.argv[3] ?? RANDOM_INFERENCE_COUNT);
const dir = join(import.meta.dirname, '..', 'fixtures', 'random-inference');
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.csv')) rmSync(join(dir, f));
const cases = generateInferenceCases(seed, count);
for (const c of cases) writeFileSync(join(dir, `${c.name}.csv`), c.csv);
const index = {
  seed, count,
  generator: 'test/oracle/randomInference.ts',
  cases: cases.map(({ name, formula, reml, profile, nobs }) => ({ name, formula, reml, profile, data: `${name}.csv`, nobs })),
};
writeFileSync(join(dir, 'cases.json'), JSON.stringify(index, null, 1) + '\n');
console.log(`${cases.length} cases (seed ${seed}) written to ${dir}`);
