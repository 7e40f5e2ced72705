/**
 * Writes the cases of ./randomWeighted.ts as test/fixtures/random-weighted/<name>.csv (and K files)
 * and cases.json, for test/oracle/random_weighted.R.
 *
 *   npx vite-node test/oracle/exportRandomWeighted.ts
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RANDOM_WEIGHTED_COUNTS, RANDOM_WEIGHTED_SEED, generateRandomWeighted } from './randomWeighted.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'random-weighted');
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.csv') || /_Kh?\.json$/.test(f)) rmSync(join(dir, f));
const cases = generateRandomWeighted();
for (const c of cases) {
  writeFileSync(join(dir, `${c.name}.csv`), c.csv);
  c.relmat.forEach((r, k) => writeFileSync(join(dir, r.file), c.kText[k]));
}
writeFileSync(join(dir, 'cases.json'), JSON.stringify(indexOf(cases), null, 1) + '\n');
console.log(`${cases.length} cases (seed ${RANDOM_WEIGHTED_SEED}) written to ${dir}`);

export function indexOf(cs: typeof cases) {
  return {
    seed: RANDOM_WEIGHTED_SEED, counts: RANDOM_WEIGHTED_COUNTS, generator: 'test/oracle/randomWeighted.ts',
    cases: cs.map(({ name, formula, family, reml, shape, weights, relmat, nobs }) => ({ name, formula, family, reml, shape, weights, relmat, data: `${name}.csv`, nobs })),
  };
}
