/**
 * glmmTMB's confint(method = "uniroot") (src/zeroinfl/confint.ts) on test/oracle/tmb_confint.R's cases, to set
 * beside glmmTMB's (bench/tmbConfint.R): the time of the profile intervals of every default parameter and the
 * profile's optimizations (each a BOBYQA over the other parameters; glmmTMB's an nlminb on TMB's gradient).
 *   npx vite-node bench/tmbConfint.ts && Rscript bench/tmbConfint.R
 */
import { readFileSync } from 'node:fs';
import { readCsv } from '../src/io/csv.js';
import { glmmTMB } from '../src/zeroinfl/zeroInflated.js';

const table = (f: string, factors: string[] = []) => readCsv(readFileSync(`test/fixtures/data/${f}.csv`, 'utf8'), { factors }).table;
const cases = JSON.parse(readFileSync('test/fixtures/tmb_confint/confint.json', 'utf8')).cases as { name: string; formula: string; ziformula: string; dispformula: string; family: string; data: string }[];
const files: Record<string, [string, string[]]> = { sleepstudy: ['sleepstudy', ['Subject']], salamanders: ['salamanders', []], tmbfamilies: ['tmbfamilies', []], tmbfamilies2: ['tmbfamilies2', []] };
for (const c of cases.filter((k) => k.name !== 'tweedie_x')) {
  const [file, factors] = files[c.data];
  const fit = await glmmTMB(c.formula, table(file, factors), { family: c.family as 'poisson', ziformula: c.ziformula, dispformula: c.dispformula, factors });
  const t0 = performance.now();
  const wald = await fit.confint();
  const t1 = performance.now();
  const ci = await fit.confint({ method: 'uniroot', ...(c.name === 'gauss_disp_f' ? { parm: 'disp_' } : {}) });
  const t2 = performance.now();
  console.log(`ours ${c.name}: wald ${((t1 - t0) / 1000).toFixed(3)} s (${wald.rows.length} rows); uniroot ${((t2 - t1) / 1000).toFixed(2)} s, ${ci.rows.length} parameters, ${ci.profileEvaluations} profile optimizations`);
}
