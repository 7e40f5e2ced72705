/**
 * The larger mlmRev reference cases (test/fixtures/mlmrev, test/oracle/mlmrev.R) on the CPU backend, to set
 * beside lme4's fits of the same CSVs (bench/mlmrev.R): the fit from the Arrow table read from the CSV
 * (model frame, Gram, optimization, assembly), the median of 3 after one warm-up.
 *   npm run build && node dist/bench/mlmrev.js && Rscript bench/mlmrev.R
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv } from '../src/io/csv.js';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';

const dir = 'test/fixtures/mlmrev';
const cases = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as { name: string; data: string; formula: string; reml?: boolean; family?: string; factors?: string[] }[];
const which = ['chem97_nested_reml', 'egsingle_growth_reml', 'star_growth_reml', 'guimmun_binomial_crossed'];
for (const name of which) {
  const c = cases.find((k) => k.name === name)!;
  const table = readCsv(readFileSync(join(dir, c.data), 'utf8'), { factors: c.factors }).table;
  const fit = async () => (c.family
    ? glmer(c.formula, table, { family: c.family as 'binomial', factors: c.factors })
    : lmer(c.formula, table, { REML: c.reml, factors: c.factors }));
  const first = await fit();
  const times: number[] = [];
  for (let k = 0; k < 3; k++) { const t0 = performance.now(); await fit(); times.push((performance.now() - t0) / 1000); }
  times.sort((a, b) => a - b);
  console.log(`${name}: ${table.numRows} rows, fit ${times[1].toFixed(3)} s (median of 3), ${first.feval} evaluations, objective ${first.objective.toFixed(6)}`);
}
