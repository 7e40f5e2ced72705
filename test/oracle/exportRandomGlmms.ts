/**
 * Writes the random GLMMs of ./randomGlmms.ts as test/fixtures/random-glmm/<name>.csv and
 * cases.json (name, formula, family, link, nAGQ, weights, shape, response, data, nobs), for
 * test/oracle/random_glmms.R.
 *
 *   npx vite-node test/oracle/exportRandomGlmms.ts [SEED] [COUNT]
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RANDOM_GLMMS_COUNT, RANDOM_GLMMS_SEED, generateRandomGlmms } from './randomGlmms.js';

const seed = Number(process.argv[2] ?? RANDOM_GLMMS_SEED);
const count = Number(process.argv[3] ?? RANDOM_GLMMS_COUNT);
const dir = join(import.meta.dirname, '..', 'fixtures', 'random-glmm');
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.csv')) rmSync(join(dir, f));
const cases = generateRandomGlmms(seed, count);
for (const c of cases) writeFileSync(join(dir, `${c.name}.csv`), c.csv);
const index = {
  seed, count,
  generator: 'test/oracle/randomGlmms.ts',
  cases: cases.map(({ name, formula, family, link, nAGQ, weights, shape, response, nobs }) => ({ name, formula, family, link, nAGQ, weights, shape, response, data: `${name}.csv`, nobs })),
};
writeFileSync(join(dir, 'cases.json'), JSON.stringify(index, null, 1) + '\n');
console.log(`${cases.length} cases (seed ${seed}) written to ${dir}`);
