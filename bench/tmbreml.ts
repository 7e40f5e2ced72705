/**
 * glmmTMB(…, REML = TRUE)'s cases (test/oracle/tmbreml.R) fitted by src/zeroinfl, each by ML and by REML in one
 * run: the median time of 3 fits, the evaluations and the logLik, to set beside glmmTMB's (bench/tmbreml.R).
 *   npx vite-node bench/tmbreml.ts && Rscript bench/tmbreml.R
 */
import { readFileSync } from 'node:fs';
import { readCsv } from '../src/io/csv.js';
import { glmmTMB } from '../src/zeroinfl/zeroInflated.js';

const table = (f: string) => readCsv(readFileSync(`test/fixtures/data/${f}.csv`, 'utf8')).table;
const data = { sleepstudy: table('sleepstudy'), tmbfamilies: table('tmbfamilies'), tmbfamilies2: table('tmbfamilies2'), salamanders: table('salamanders') };
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
for (const name of ['sleepstudy_lmm', 'gaussian_disp_f', 'beta_x', 'tweedie_x', 'zip_mined', 'nb2_mined', 'zip_zire']) {
  const ref = JSON.parse(readFileSync(`test/fixtures/tmbreml/${name}.json`, 'utf8'));
  const opts = { family: ref.family, ziformula: ref.ziformula, dispformula: ref.dispformula, ...(ref.data === 'sleepstudy' ? { factors: ['Subject'] } : {}) };
  const row: string[] = [];
  for (const REML of [false, true]) {
    const times: number[] = [];
    let fit = null as Awaited<ReturnType<typeof glmmTMB>> | null;
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      fit = await glmmTMB(ref.formula, data[ref.data as keyof typeof data], { ...opts, REML });
      times.push((performance.now() - t0) / 1000);
    }
    row.push(`${REML ? 'REML' : 'ML'} ${median(times).toFixed(2)} s, ${fit!.evaluations} evaluations, logLik ${fit!.logLik.toFixed(6)}`);
  }
  console.log(`ours ${name}: ${row.join('; ')} (glmmTMB REML logLik ${ref.loglik.toFixed(6)})`);
}
