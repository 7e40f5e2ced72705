/**
 * Our posterior modes of the random prior models (./randomBlme.ts), in blme's parameter order
 * (θ, then β where blme optimizes it, then σ where blme does), as test/fixtures/random-blme/ours.json:
 * test/oracle/random_blme.R evaluates blme's own penalized objective there (`at_ours`), the evidence
 * where our mode is lower than every blme fit (test/prior/randomBlme.test.ts). Needs blme.json's
 * par_names: run random_blme.R, this, then random_blme.R again.
 *
 *   npx vite-node test/oracle/randomBlmeOptima.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv } from '../../src/io/csv.js';
import { lmer } from '../../src/fit/lmer.js';
import { glmer } from '../../src/fit/glmer.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'random-blme');
const index = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as { cases: { name: string; formula: string; reml: boolean; family: 'binomial' | 'poisson' | null; cov: string | null; fixef: string | null; resid: string | null }[] };
const blme = JSON.parse(readFileSync(join(dir, 'blme.json'), 'utf8')) as { cases: { name: string; par_names?: string[] }[] };
const parNames = new Map(blme.cases.map((c) => [c.name, c.par_names]));
const out: Record<string, { pars: number[]; objective: number }> = {};
for (const c of index.cases) {
  const names = parNames.get(c.name);
  if (!names) continue;
  const data = readCsv(readFileSync(join(dir, `${c.name}.csv`), 'utf8')).table;
  const prior = { cov: c.cov ?? undefined, fixef: c.fixef, ...(c.family ? {} : { resid: c.resid }) };
  const fit = c.family ? await glmer(c.formula, data, { family: c.family, prior }) : await lmer(c.formula, data, { REML: c.reml, prior });
  const j = fit.toJSON() as Record<string, number>;
  const pars = [...fit.theta];
  if (c.family || names.includes('beta') || names.includes('fixef')) pars.push(...Object.values(fit.fixef));
  if (names.includes('sigma')) pars.push(fit.sigma);
  out[c.name] = { pars, objective: c.family ? fit.objective + j.prior_deviance : j.penalized_objective };
}
writeFileSync(join(dir, 'ours.json'), JSON.stringify(out, null, 1) + '\n');
console.log(`${Object.keys(out).length} optima written`);
