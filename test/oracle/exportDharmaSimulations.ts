/**
 * Writes, for each case of ./dharmaCases.ts, our DHARMa inputs as test/fixtures/dharma/<name>.json, for
 * test/oracle/dharma.R: the observed response, the fitted population-level response and the simulated
 * responses of fit.simulateResiduals (a binomial's as counts), the PIT's uniforms Uᵢ (the draws that
 * randomize residual i: R's runif is replaced by them there), our residuals, the outlier bootstrap's
 * resamples (1-based, one row per replicate) and the group labels of recalculateResiduals. Numbers
 * with 17 significant digits (the doubles exactly).
 *
 *   npx vite-node test/oracle/exportDharmaSimulations.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv } from '../../src/io/csv.js';
import { CounterNormal } from '../../src/model/random.js';
import { STREAM_PIT } from '../../src/diagnostics/scaledResiduals.js';
import { outlierBootIndices } from '../../src/diagnostics/outliers.js';
import { DHARMA_CASES, fitDharmaCase } from './dharmaCases.js';

const root = join(import.meta.dirname, '..', 'fixtures');
const num = (x: ArrayLike<number>) => Array.from(x, (v) => Number(v.toPrecision(17)));
for (const c of DHARMA_CASES) {
  const data = readCsv(readFileSync(join(root, 'data', c.data), 'utf8')).table;
  const fit = await fitDharmaCase(c, data);
  const d = fit.simulateResiduals({ nsim: c.nsim, seed: c.seed, ...(c.simulateREs ? { simulateREs: c.simulateREs } : {}) });
  const rng = new CounterNormal(c.seed);
  const uniforms = Array.from({ length: d.nObs }, (_, i) => rng.uniform(0, STREAM_PIT, i));
  const nBoot = Math.min(100, d.nSim);
  const boot = d.integerResponse ? Array.from({ length: nBoot }, (_, b) => Array.from(outlierBootIndices(rng, b, d.nSim), (j) => j + 1)) : null;
  const group = c.group ? Array.from({ length: data.numRows }, (_, i) => String(data.getChild(c.group!)!.get(i))) : null;
  const out = {
    generator: 'test/oracle/exportDharmaSimulations.ts', case: c, nObs: d.nObs, nSim: d.nSim, integerResponse: d.integerResponse,
    observed: num(d.observedResponse), fitted: num(d.fittedPredictedResponse), uniforms: num(uniforms), residuals: num(d.scaledResiduals),
    simulated: d.simulatedResponse.map(num), boot, group,
  };
  writeFileSync(join(root, 'dharma', `${c.name}.json`), `${JSON.stringify(out)}\n`);
}
