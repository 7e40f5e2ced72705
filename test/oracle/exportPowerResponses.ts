/**
 * Writes the simulated responses of the power cases (./powerCases.ts) as
 * test/fixtures/power/<name>_responses.csv (one column sim_r per replicate; a binomial glmer's as proportions of the trials; r = 1 … nsim, printed with
 * 17 significant digits: the doubles exactly), a pb case's bootstrap responses of its first replicates
 * (<name>_pb_<r>.csv, ./powerPbInner.ts) and cases.json, for test/oracle/power.R.
 *
 *   npx vite-node test/oracle/exportPowerResponses.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv } from '../../src/io/csv.js';
import { lmer } from '../../src/fit/lmer.js';
import { glmer } from '../../src/fit/glmer.js';
import { glmmSimulator } from '../../src/inference/glmmBootstrap.js';
import { powerParameters, simulationSource } from '../../src/inference/powerSim.js';
import { simulateFit } from '../../src/inference/simulate.js';
import { POWER_CASES } from './powerCases.js';
import { pbInnerResponses } from './powerPbInner.js';

const root = join(import.meta.dirname, '..', 'fixtures');
for (const c of POWER_CASES) {
  const data = readCsv(readFileSync(join(root, 'data', c.data), 'utf8')).table;
  let y: Float64Array[];
  let nobs: number;
  if (c.family) {
    // glmer: the responses of powerGlmm.ts (glmmSimulator with β's effects set), proportions of the trials
    const fit = await glmer(c.formula, data, { family: c.family, factors: c.factors });
    const { simulate } = glmmSimulator(fit.model, fit.theta, powerParameters(fit, c.fixef).beta, c.seed);
    y = Array.from({ length: c.nsim }, (_, r) => simulate(r));
    nobs = fit.nobs;
  } else {
    const fit = await lmer(c.formula, data, { factors: c.factors, REML: c.reml });
    ({ y } = simulateFit(simulationSource(fit, powerParameters(fit, c.fixef, c.sigma)), c.nsim, { seed: c.seed }));
    nobs = fit.nobs;
    // a pb test: each of the first pb.nsim replicates' bootstrap responses, <name>_pb_<r>.csv (columns boot_k)
    for (let r = 0; r < (c.pb?.nsim ?? 0); r++) {
      const cmp = c.pb!.compare;
      const inner = await pbInnerResponses(fit, cmp ? ({ [cmp.kind]: cmp.formula } as { compare: string }) : c.test, y[r], r, c.seed, c.pb!.pbnsim);
      const rows = [inner.map((_, k) => `boot_${k + 1}`).join(',')];
      for (let i = 0; i < nobs; i++) rows.push(inner.map((v) => v[i].toPrecision(17)).join(','));
      writeFileSync(join(root, 'power', `${c.name}_pb_${r + 1}.csv`), `${rows.join('\n')}\n`);
    }
  }
  const lines = [Array.from({ length: c.nsim }, (_, r) => `sim_${r + 1}`).join(',')];
  for (let i = 0; i < nobs; i++) lines.push(y.map((v) => v[i].toPrecision(17)).join(','));
  writeFileSync(join(root, 'power', `${c.name}_responses.csv`), `${lines.join('\n')}\n`);
}
writeFileSync(join(root, 'power', 'cases.json'), `${JSON.stringify({ generator: 'test/oracle/exportPowerResponses.ts', cases: POWER_CASES }, null, 1)}\n`);
