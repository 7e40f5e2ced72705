/**
 * Writes the random nested model sets of ./randomLrt.ts as test/fixtures/random-lrt/<name>.csv and
 * cases.json, for test/oracle/random_lrt.R.
 *
 *   npx vite-node test/oracle/exportRandomLrt.ts [SEED] [COUNT]
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RANDOM_LRT_COUNT, RANDOM_LRT_SEED, generateLrtCases } from './randomLrt.js';

const seed = Number(process.argv[2] ?? RANDOM_LRT_SEED);
const count = Number(process.argv[3] ?? RANDOM_LRT_COUNT);
const dir = join(import.meta.dirname, '..', 'fixtures', 'random-lrt');
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.csv')) rmSync(join(dir, f));
const cases = generateLrtCases(seed, count);
for (const c of cases) writeFileSync(join(dir, `${c.name}.csv`), c.csv);
const index = {
  seed, count,
  generator: 'test/oracle/randomLrt.ts',
  cases: cases.map(({ name, chain, formulas, reml, nobs }) => ({ name, chain, formulas, reml, data: `${name}.csv`, nobs })),
};
writeFileSync(join(dir, 'cases.json'), JSON.stringify(index, null, 1) + '\n');
console.log(`${cases.length} cases (seed ${seed}) written to ${dir}`);
