/**
 * glmer on bench/glmmLinks.ts's data (its CSV) from a built package's dist/ — what `npx mixedgpu` runs
 * (its row threads included, which the TypeScript runner under vite-node does not start): time and
 * objective of one fit per model, for before/after comparisons (a copy of another commit, built) and
 * against lme4 (bench/glmmLinks.R on the same CSV).
 *
 *   npx vite-node bench/glmmLinks.ts 20000 400 probit /tmp/20k.csv   # the data
 *   npm run build && node bench/glmmLinks.mjs . /tmp/20k.csv probit,cloglog,nbfixed,nb
 *   node bench/glmmLinks.mjs . /tmp/20k.csv logit,poisson          # the canonical links on the same responses
 *   node bench/glmmLinks.mjs . /tmp/20k.csv probit 1               # on one thread
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [root = '.', csv = '/tmp/20k.csv', models = 'probit,cloglog,nbfixed,nb', threads = 'auto'] = process.argv.slice(2);
const { glmer, readCsv, setDenseThreads } = await import(pathToFileURL(resolve(root, 'dist/src/index.js')).href);
// the row threads: 'auto' (as the CLI), or a count (1: none, for comparisons on a loaded machine)
setDenseThreads(threads === 'auto' ? 'auto' : Number(threads));
const t = readCsv(readFileSync(csv, 'utf8')).table;
for (const m of models.split(',')) {
  const t0 = performance.now();
  const fit = m === 'nbfixed' ? await glmer('yn ~ x + z + (x | g)', t, { family: 'negative.binomial', theta: 1.5 })
    : m === 'nb' ? await glmer('yn ~ x + z + (x | g)', t, { family: 'negative.binomial' })
    : m === 'cloglog' ? await glmer('yc ~ x + z + (x | g)', t, { family: 'binomial', link: 'cloglog' })
    // the canonical links on the same responses, for comparison: their PIRLS runs by levels (src/glmm/groupNewton.ts)
    : m === 'logit' ? await glmer('yp ~ x + z + (x | g)', t, { family: 'binomial' })
    : m === 'poisson' ? await glmer('yn ~ x + z + (x | g)', t, { family: 'poisson' })
    : await glmer('yp ~ x + z + (x | g)', t, { family: 'binomial', link: 'probit' });
  console.log(`${m}: ${((performance.now() - t0) / 1000).toFixed(2)} s, objective (−2ℓ) ${fit.objective.toFixed(9)}`);
}
process.exit(0);
