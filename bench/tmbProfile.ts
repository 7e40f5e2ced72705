/**
 * glmmTMB's confint(method = "profile") (src/zeroinfl/confint.ts, profile.ts) on test/oracle/tmb_profile.R's cases,
 * to set beside glmmTMB's (bench/tmbProfile.R): the time of the intervals and the profile's optimizations (each a
 * BOBYQA over the other parameters; glmmTMB's an nlminb on TMB's gradient).
 *   npx vite-node bench/tmbProfile.ts && Rscript bench/tmbProfile.R
 */
import { readFileSync } from 'node:fs';
import { readCsv } from '../src/io/csv.js';
import { glmmTMB } from '../src/zeroinfl/zeroInflated.js';
import type { TmbConfintOptions } from '../src/zeroinfl/confint.js';
import { parameterPositions } from '../src/zeroinfl/parameterNames.js';

const table = (f: string, factors: string[] = []) => readCsv(readFileSync(`test/fixtures/data/${f}.csv`, 'utf8'), { factors }).table;
const cases: [string, string, string, string, string, [string, string[]], TmbConfintOptions['parm']][] = [
  ['sleep_gauss', 'Reaction ~ Days + (Days | Subject)', '~ 0', '~ 1', 'gaussian', ['sleepstudy', ['Subject']], undefined],
  ['gauss_disp_f', 'yg ~ x + (1 | g)', '~ 0', '~ f', 'gaussian', ['tmbfamilies', []], 'disp_'],
  ['zip_zi_site', 'count ~ mined + (1 | site)', '~ mined + (1 | site)', '~ 1', 'poisson', ['salamanders', []], [2, 5]],
];
for (const [name, formula, ziformula, dispformula, family, [file, factors], parm] of cases) {
  const fit = await glmmTMB(formula, table(file, factors), { family: family as 'poisson', ziformula, dispformula, factors });
  const t0 = performance.now();
  const ci = await fit.confint({ method: 'profile', ...(parm !== undefined ? { parm } : {}) });
  const t1 = performance.now();
  console.log(`ours ${name}: profile ${((t1 - t0) / 1000).toFixed(2)} s, ${ci.rows.length} parameters, ${ci.profileEvaluations} profile optimizations`);
  // the same profile's walk alone (fit.profile with level_max = level), without the guard's re-minimizations at
  // the ends (src/zeroinfl/profileGuard.ts): the guard's share of confint's time
  const t2 = performance.now();
  const pr = await fit.profile({ levelMax: 0.95, parm: parameterPositions(fit, parm, false).map((k) => k + 1) });
  const t3 = performance.now();
  console.log(`ours ${name}: the walk alone ${((t3 - t2) / 1000).toFixed(2)} s, ${pr.evaluations} optimizations; the guard ${ci.profileEvaluations - pr.evaluations} optimizations, ${(((t1 - t0) - (t3 - t2)) / 1000).toFixed(2)} s (${(100 * ((t1 - t0) / (t3 - t2) - 1)).toFixed(0)} % of the walk)`);
}
