/**
 * The glmmTMB families' cases of test/oracle/tmbfamilies.R (nbinom1, truncated_nbinom1, nbinom2 with a
 * dispersion model, beta, gaussian with a dispersion model) fitted by src/zeroinfl: the fit's time,
 * evaluations and logLik, to set beside glmmTMB's (bench/tmbfamilies.R) on the same rows.
 *   npx vite-node bench/tmbfamilies.ts && Rscript bench/tmbfamilies.R
 */
import { readFileSync } from 'node:fs';
import { readCsv } from '../src/io/csv.js';
import { zeroInflated } from '../src/zeroinfl/zeroInflated.js';

const data = {
  salamanders: readCsv(readFileSync('test/fixtures/data/salamanders.csv', 'utf8')).table,
  tmbfamilies: readCsv(readFileSync('test/fixtures/data/tmbfamilies.csv', 'utf8')).table,
};
for (const name of ['zinb1_mined', 'hurdle_nb1_cover', 'zinb2_disp_mined', 'beta_x', 'beta_disp_f', 'gaussian_disp_f']) {
  const ref = JSON.parse(readFileSync(`test/fixtures/tmbfamilies/${name}.json`, 'utf8'));
  const t0 = performance.now();
  const fit = await zeroInflated(ref.formula, data[ref.data as keyof typeof data], { family: ref.family, ziformula: ref.ziformula, dispformula: ref.dispformula });
  const s = (performance.now() - t0) / 1000;
  console.log(`ours ${name} (n = ${fit.nobs}, ${fit.df} parameters): ${s.toFixed(2)} s, ${fit.evaluations} evaluations, logLik ${fit.logLik.toFixed(6)} (glmmTMB ${ref.loglik.toFixed(6)})`);
}
