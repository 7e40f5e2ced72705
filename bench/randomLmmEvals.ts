/**
 * The optimizer on the 240 random lme4 cases (test/fixtures/random-lmm): per case our optimum's
 * objective, the evaluations it took and whether it restarted from the boundary, with lme4's default
 * objective beside it. Comparing two commits: run it in each checkout (ROOT the checkout to import).
 *
 *   npx vite-node bench/randomLmmEvals.ts [ROOT] > out.json
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const { readCsv } = await import(join(root, 'src/io/csv.ts'));
const { lmer } = await import(join(root, 'src/fit/lmer.ts'));
const dir = join(import.meta.dirname, '..', 'test', 'fixtures', 'random-lmm');
const ref = JSON.parse(readFileSync(join(dir, 'lme4.json'), 'utf8'));
const cases = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')).cases;
const out = [];
for (const c of cases) {
  const lme4 = ref.cases.find((x: { name: string }) => x.name === c.name).default.objective;
  const table = readCsv(readFileSync(join(dir, c.data), 'utf8')).table;
  try {
    const fit = await lmer(c.formula, table, { REML: c.reml });
    out.push({ name: c.name, objective: fit.objective, feval: fit.feval, restarted: /restarted from/.test(fit.optimizerMessage), lme4 });
  } catch (e) {
    out.push({ name: c.name, error: String(e) });
  }
}
console.log(JSON.stringify(out));
