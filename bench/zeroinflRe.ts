/**
 * The cases of test/oracle/zeroinfl_re.R (random effects in the zero model, vector terms) fitted by
 * src/zeroinfl: the fit's time (the mean of 3), evaluations and logLik, to set beside glmmTMB's
 * (bench/zeroinflRe.R) on the same rows.
 *   npx vite-node bench/zeroinflRe.ts && Rscript bench/zeroinflRe.R
 */
import { readFileSync } from 'node:fs';
import { readCsv } from '../src/io/csv.js';
import { zeroInflated } from '../src/zeroinfl/zeroInflated.js';

const data = readCsv(readFileSync('test/fixtures/data/salamanders_doy.csv', 'utf8')).table;
for (const name of ['zip_re', 'zinb2_re', 'hurdle_pois_re', 'zip_zi_only_re', 'zip_vector', 'zip_diag']) {
  const ref = JSON.parse(readFileSync(`test/fixtures/zeroinfl_re/${name}.json`, 'utf8'));
  let fit = null;
  const t0 = performance.now();
  for (let k = 0; k < 3; k++) fit = await zeroInflated(ref.formula, data, { family: ref.family, ziformula: ref.ziformula });
  const s = (performance.now() - t0) / 3000;
  console.log(`ours ${name} (${fit!.df} parameters): ${s.toFixed(2)} s, ${fit!.evaluations} evaluations, ${fit!.iterations} inner Newton steps, logLik ${fit!.logLik.toFixed(6)} (glmmTMB ${ref.loglik.toFixed(6)})`);
}
