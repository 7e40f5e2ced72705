/**
 * The glmmTMB families' cases of test/oracle/tmbfamilies2.R (zero-inflated binomial, betabinomial on cbpp,
 * Gamma with a dispersion model, tweedie, genpois, truncated_genpois) fitted by src/zeroinfl: the fit's
 * time, evaluations and logLik, to set beside glmmTMB's (bench/tmbfamilies2.R) on the same rows.
 *   npx vite-node bench/tmbfamilies2.ts && Rscript bench/tmbfamilies2.R
 */
import { readFileSync } from 'node:fs';
import { readCsv } from '../src/io/csv.js';
import { zeroInflated } from '../src/zeroinfl/zeroInflated.js';

const data = {
  salamanders: readCsv(readFileSync('test/fixtures/data/salamanders.csv', 'utf8')).table,
  tmbfamilies2: readCsv(readFileSync('test/fixtures/data/tmbfamilies2.csv', 'utf8')).table,
  cbpp: readCsv(readFileSync('test/fixtures/data/cbpp.csv', 'utf8')).table,
};
for (const name of ['zibinom_x', 'betabinom_cbpp', 'gamma_disp_f', 'tweedie_x', 'genpois_mined', 'hurdle_genpois_mined']) {
  const ref = JSON.parse(readFileSync(`test/fixtures/tmbfamilies2/${name}.json`, 'utf8'));
  const t0 = performance.now();
  const fit = await zeroInflated(ref.formula, data[ref.data as keyof typeof data], {
    family: ref.family, ziformula: ref.ziformula, dispformula: ref.dispformula, ...(ref.data === 'cbpp' ? { factors: ['herd', 'period'] } : {}),
  });
  const s = (performance.now() - t0) / 1000;
  console.log(`ours ${name} (n = ${fit.nobs}, ${fit.df} parameters): ${s.toFixed(2)} s, ${fit.evaluations} evaluations, logLik ${fit.logLik.toFixed(6)} (glmmTMB ${ref.loglik.toFixed(6)})`);
}
