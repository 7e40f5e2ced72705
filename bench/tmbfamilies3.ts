/**
 * The Conway–Maxwell–Poisson cases of test/oracle/tmbfamilies3.R (compois under- and over-dispersed,
 * zero-inflated, truncated_compois, a dispersion model ~ x) fitted by src/zeroinfl: the fit's time,
 * evaluations and logLik, to set beside glmmTMB's (bench/tmbfamilies3.R) on the same rows.
 *   npx vite-node bench/tmbfamilies3.ts && Rscript bench/tmbfamilies3.R
 */
import { readFileSync } from 'node:fs';
import { readCsv } from '../src/io/csv.js';
import { zeroInflated } from '../src/zeroinfl/zeroInflated.js';

const data = readCsv(readFileSync('test/fixtures/data/tmbfamilies3.csv', 'utf8')).table;
for (const name of ['compois_under', 'compois_over', 'zicompois', 'hurdle_compois', 'compois_disp_x']) {
  const ref = JSON.parse(readFileSync(`test/fixtures/tmbfamilies3/${name}.json`, 'utf8'));
  const t0 = performance.now();
  const fit = await zeroInflated(ref.formula, data, { family: ref.family, ziformula: ref.ziformula, dispformula: ref.dispformula });
  const s = (performance.now() - t0) / 1000;
  console.log(`ours ${name} (n = ${fit.nobs}, ${fit.df} parameters): ${s.toFixed(2)} s, ${fit.evaluations} evaluations, logLik ${fit.logLik.toFixed(6)} (glmmTMB ${ref.loglik.toFixed(6)})`);
}
