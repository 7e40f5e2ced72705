/**
 * glmer on bench/glmmLinks.ts's data (its CSV) from a built package's dist/ — what `npx mixedgpu` runs
 * (its row threads included, which the TypeScript runner under vite-node does not start): time and
 * objective of one fit per model, for before/after comparisons (a copy of another commit, built) and
 * against lme4 (bench/glmmLinks.R on the same CSV).
 *
 *   npx vite-node bench/glmmLinks.ts 20000 400 probit /tmp/20k.csv   # the data
 *   npm run build && node bench/glmmLinks.mjs . /tmp/20k.csv probit,cloglog,nbfixed,nb
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [root = '.', csv = '/tmp/20k.csv', models = 'probit,cloglog,nbfixed,nb'] = process.argv.slice(2);
const { glmer, readCsv } = await import(pathToFileURL(resolve(root, 'dist/src/index.js')).href);
const t = readCsv(readFileSync(csv, 'utf8')).table;
for (const m of models.split(',')) {
  const t0 = performance.now();
  const fit = m === 'nbfixed' ? await glmer('yn ~ x + z + (x | g)', t, { family: 'negative.binomial', theta: 1.5 })
    : m === 'nb' ? await glmer('yn ~ x + z + (x | g)', t, { family: 'negative.binomial' })
    : m === 'cloglog' ? await glmer('yc ~ x + z + (x | g)', t, { family: 'binomial', link: 'cloglog' })
    : await glmer('yp ~ x + z + (x | g)', t, { family: 'binomial', link: 'probit' });
  console.log(`${m}: ${((performance.now() - t0) / 1000).toFixed(2)} s, objective (−2ℓ) ${fit.objective.toFixed(9)}`);
}
process.exit(0);
