/**
 * PIRLS's iterations per run, Newton's steps (the observed information, src/glmm/rowPass.ts observedRows)
 * against Fisher scoring (`observedInformation: false`), at glmer's points of the random GLMMs' probit and
 * cloglog cases (test/fixtures/random-glmm): each point from a cold start (reset), then warm from it
 * with θ moved by 1%, β fixed.
 *
 *   npx vite-node bench/pirlsIterations.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv } from '../src/io/csv.js';
import { buildGlmm } from '../src/glmm/model.js';
import { PirlsEngine } from '../src/glmm/pirls.js';
import { thetaToInternal } from '../src/model/reparam.js';
import type { LinkName } from '../src/glmm/family.js';

const dir = join(import.meta.dirname, '..', 'test', 'fixtures', 'random-glmm');
interface Case { name: string; formula: string; family: 'binomial'; link: LinkName; objective_at: { theta: number[]; beta: number[] }[] }
const cases = (JSON.parse(readFileSync(join(dir, 'glmer.json'), 'utf8')).cases as Case[]).filter((c) => c.link === 'probit' || c.link === 'cloglog');
const weights = new Map((JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')).cases as { name: string; weights: string | null }[]).map((c) => [c.name, c.weights]));
const total = { newton: { cold: 0, warm: 0 }, fisher: { cold: 0, warm: 0 } };
let runs = 0;
for (const c of cases) {
  const model = buildGlmm(c.formula, readCsv(readFileSync(join(dir, `${c.name}.csv`), 'utf8')).table, { family: c.family, link: c.link, weights: weights.get(c.name) ?? undefined });
  for (const [kind, observedInformation] of [['newton', true], ['fisher', false]] as const) {
    const engine = new PirlsEngine(model.pirls, { observedInformation });
    for (const pt of c.objective_at) {
      engine.reset();
      total[kind].cold += engine.run(thetaToInternal(model, pt.theta), pt.beta).iterations;
      total[kind].warm += engine.run(thetaToInternal(model, pt.theta.map((t) => t * 1.01)), pt.beta).iterations;
      if (kind === 'newton') runs++;
    }
  }
}
const per = (v: number) => (v / runs).toFixed(1);
console.log(`${cases.length} cases, ${runs} runs each way`);
for (const k of ['fisher', 'newton'] as const) console.log(`${k}: cold ${total[k].cold} (${per(total[k].cold)} a run), warm ${total[k].warm} (${per(total[k].warm)} a run)`);
