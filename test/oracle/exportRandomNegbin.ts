/**
 * Writes the random negative binomial GLMMs of ./randomNegbin.ts as
 * test/fixtures/random-negbin/<name>.csv and cases.json (name, formula, theta, trueSize, shape,
 * offset, data, nobs), for test/oracle/random_negbin.R.
 *
 *   npx vite-node test/oracle/exportRandomNegbin.ts [SEED] [COUNT]
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RANDOM_NEGBIN_COUNT, RANDOM_NEGBIN_SEED, generateRandomNegbin } from './randomNegbin.js';

const seed = Number(process.argv[2] ?? RANDOM_NEGBIN_SEED);
const count = Number(process.argv[3] ?? RANDOM_NEGBIN_COUNT);
const dir = join(import.meta.dirname, '..', 'fixtures', 'random-negbin');
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.csv')) rmSync(join(dir, f));
const cases = generateRandomNegbin(seed, count);
for (const c of cases) writeFileSync(join(dir, `${c.name}.csv`), c.csv);
const index = {
  seed, count,
  generator: 'test/oracle/randomNegbin.ts',
  cases: cases.map(({ name, formula, theta, trueSize, shape, offset, nobs }) => ({ name, formula, theta, trueSize, shape, offset, data: `${name}.csv`, nobs })),
};
writeFileSync(join(dir, 'cases.json'), JSON.stringify(index, null, 1) + '\n');
console.log(`${cases.length} cases (seed ${seed}) written to ${dir}`);
