/**
 * Writes the simulated responses of the glmer power-curve cases (./powerGlmmCases.ts) as
 * test/fixtures/power/<name>_responses.csv (one column sim_r per replicate, one row per row of the
 * design — the extended one where the case extends —, binomial responses as proportions of the
 * trials; 17 significant digits: the doubles exactly) with the design's `along` column first, and
 * glmm_cases.json, for test/oracle/power_glmm.R.
 *
 *   npx vite-node test/oracle/exportPowerGlmmResponses.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv } from '../../src/io/csv.js';
import { glmer } from '../../src/fit/glmer.js';
import type { GlmmFit } from '../../src/glmm/glmmFit.js';
import { glmmSimulator } from '../../src/inference/glmmBootstrap.js';
import { powerParameters } from '../../src/inference/powerSim.js';
import { extend } from '../../src/inference/powerCurve.js';
import { POWER_GLMM_CASES } from './powerGlmmCases.js';

const root = join(import.meta.dirname, '..', 'fixtures');
for (const c of POWER_GLMM_CASES) {
  const data = readCsv(readFileSync(join(root, 'data', c.data), 'utf8')).table;
  const fit = await glmer(c.formula, data, { family: c.family, factors: c.factors, ...(c.weights ? { weights: c.weights } : {}) });
  let design: GlmmFit = fit;
  let alongColumn: unknown[] = Array.from({ length: data.numRows }, (_, i) => data.getChild(c.along)!.get(i));
  let par = powerParameters(fit, c.fixef);
  if (c.extend) {
    const ext = await extend(fit, data, c.extend as { along: string; n: number });
    design = ext.fit as GlmmFit;
    alongColumn = ext.data[c.along];
    par = powerParameters(design, c.fixef, undefined, ext.parameters);
  }
  // the responses powerGlmm.ts draws: the design's rows, the original fit's θ and β with the effects set
  const { simulate } = glmmSimulator(design.model, par.theta, par.beta, c.seed);
  const y = Array.from({ length: c.nsim }, (_, r) => simulate(r));
  const lines = [[c.along, ...Array.from({ length: c.nsim }, (_, r) => `sim_${r + 1}`)].join(',')];
  for (let i = 0; i < design.nobs; i++) lines.push([JSON.stringify(String(alongColumn[i])), ...y.map((v) => v[i].toPrecision(17))].join(','));
  writeFileSync(join(root, 'power', `${c.name}_responses.csv`), `${lines.join('\n')}\n`);
}
writeFileSync(join(root, 'power', 'glmm_cases.json'), `${JSON.stringify({ generator: 'test/oracle/exportPowerGlmmResponses.ts', cases: POWER_GLMM_CASES }, null, 1)}\n`);
