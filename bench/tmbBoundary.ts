/**
 * glmmTMB fits whose fixed effects run to a boundary (test/oracle/tmb_boundary.R's cases: glmmTMB's vignette
 * model zinbm3 on Salamanders, a zero-inflated Poisson with a cell without zeros, a Poisson GLMM with an
 * all-zero cell) fitted by src/zeroinfl: time, evaluations, logLik and the messages, beside glmmTMB 1.1.5's
 * recorded fit (test/fixtures/tmb_boundary/*.json: its time, nlminb's iterations and message, logLik) and
 * the supremum (the mapped model's logLik).
 *   npx vite-node bench/tmbBoundary.ts [case …]
 */
import { readFileSync } from 'node:fs';
import { readCsv } from '../src/io/csv.js';
import { zeroInflated } from '../src/zeroinfl/zeroInflated.js';

const data = {
  salamanders: readCsv(readFileSync('test/fixtures/data/salamanders.csv', 'utf8')).table,
  tmb_boundary: readCsv(readFileSync('test/fixtures/data/tmb_boundary.csv', 'utf8')).table,
};
const names = process.argv.slice(2);
for (const name of names.length ? names : ['zinbm3', 'zip_cell', 'pois_zero_cell']) {
  const ref = JSON.parse(readFileSync(`test/fixtures/tmb_boundary/${name}.json`, 'utf8'));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const fit = await zeroInflated(ref.formula, data[ref.data as keyof typeof data], { family: ref.family, ziformula: ref.ziformula });
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  console.log(`ours ${name}: ${s.toFixed(2)} s (CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s), ${fit.evaluations} evaluations, logLik ${fit.logLik.toFixed(6)}, converged ${fit.converged}`);
  console.log(`  glmmTMB: ${ref.glmmtmb.seconds.toFixed(2)} s, ${ref.glmmtmb.iterations} nlminb iterations ("${ref.glmmtmb.message}"), logLik ${ref.glmmtmb.loglik.toFixed(6)}; supremum ${ref.mapped.loglik.toFixed(6)}`);
  for (const m of fit.messages) console.log(`  note: ${m}`);
}
