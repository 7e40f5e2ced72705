/**
 * Writes the random models of ./randomModels.ts as test/fixtures/random-lmm/<name>.csv and
 * cases.json (name, formula, reml, shape, data, nobs), for test/oracle/random_models.R.
 *
 *   npx vite-node test/oracle/exportRandomModels.ts [SEED] [COUNT]
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RANDOM_MODELS_COUNT, RANDOM_MODELS_SEED, generateRandomCases } from './randomModels.js';

const seed = Number(process.argv[2] ?? RANDOM_MODELS_SEED);
const count = Number(process.argv[3] ?? RANDOM_MODELS_COUNT);
const dir = join(import.meta.dirname, '..', 'fixtures', 'random-lmm');
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.csv')) rmSync(join(dir, f));
const cases = generateRandomCases(seed, count);
for (const c of cases) writeFileSync(join(dir, `${c.name}.csv`), c.csv);
const index = {
  seed, count,
  generator: 'test/oracle/randomModels.ts',
  cases: cases.map(({ name, formula, reml, shape, nobs }) => ({ name, formula, reml, shape, data: `${name}.csv`, nobs })),
};
writeFileSync(join(dir, 'cases.json'), JSON.stringify(index, null, 1) + '\n');
console.log(`${cases.length} cases (seed ${seed}) written to ${dir}`);
