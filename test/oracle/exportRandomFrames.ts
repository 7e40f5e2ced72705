/**
 * Writes the random frames of ./randomFrames.ts: test/fixtures/random-frame/cases.json (name,
 * formula, REML, factors, level order, dictionary flag, shape and the SHA-256 of the data and new
 * data texts) and, for test/oracle/random_frames.R, the CSV texts into DIR (not committed: the test
 * regenerates them from the seed).
 *
 *   npx vite-node test/oracle/exportRandomFrames.ts DIR [SEED] [COUNT]
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RANDOM_FRAMES_COUNT, RANDOM_FRAMES_SEED, generateRandomFrames } from './randomFrames.js';

const out = process.argv[2];
if (!out) throw new Error('usage: exportRandomFrames.ts DIR [SEED] [COUNT]');
const seed = Number(process.argv[3] ?? RANDOM_FRAMES_SEED);
const count = Number(process.argv[4] ?? RANDOM_FRAMES_COUNT);
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'random-frame');
mkdirSync(fixtures, { recursive: true });
mkdirSync(out, { recursive: true });
const cases = generateRandomFrames(seed, count);
for (const c of cases) {
  writeFileSync(join(out, `${c.name}.csv`), c.csv);
  writeFileSync(join(out, `${c.name}-new.csv`), c.newdata);
}
const index = {
  seed, count,
  generator: 'test/oracle/randomFrames.ts',
  cases: cases.map(({ csv, newdata, ...rest }) => ({ ...rest, csvSha256: sha(csv), newdataSha256: sha(newdata) })),
};
writeFileSync(join(out, 'cases.json'), JSON.stringify(index, null, 1) + '\n');
writeFileSync(join(fixtures, 'cases.json'), JSON.stringify(index, null, 1) + '\n');
console.log(`${cases.length} cases (seed ${seed}) written to ${out} and ${fixtures}/cases.json`);
