/**
 * Writes the random prior models of ./randomBlme.ts as test/fixtures/random-blme/<name>.csv and
 * cases.json, for test/oracle/random_blme.R.
 *
 *   npx vite-node test/oracle/exportRandomBlme.ts [SEED] [COUNT]
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RANDOM_BLME_COUNT, RANDOM_BLME_SEED, generateRandomBlmeCases } from './randomBlme.js';

const seed = Number(process.argv[2] ?? RANDOM_BLME_SEED);
const count = Number(process.argv[3] ?? RANDOM_BLME_COUNT);
const dir = join(import.meta.dirname, '..', 'fixtures', 'random-blme');
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.csv')) rmSync(join(dir, f));
const cases = generateRandomBlmeCases(seed, count);
for (const c of cases) writeFileSync(join(dir, `${c.name}.csv`), c.csv);
const index = {
  seed, count,
  generator: 'test/oracle/randomBlme.ts',
  cases: cases.map(({ csv: _csv, ...rest }) => ({ ...rest, data: `${rest.name}.csv` })),
};
writeFileSync(join(dir, 'cases.json'), JSON.stringify(index, null, 1) + '\n');
console.log(`${cases.length} cases (seed ${seed}) written to ${dir}`);
