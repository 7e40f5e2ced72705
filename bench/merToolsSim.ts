/**
 * merTools's predictInterval, REsim and FEsim by simulation (src/inference/predictIntervalSim.ts, reSim.ts) on
 * sleepstudy with 20,000 draws, to set beside merTools's (bench/merToolsSim.R): the mean of 3 calls after one warm-up.
 *   npm run build && node dist/bench/merToolsSim.js && Rscript bench/merToolsSim.R
 */
import { readFileSync } from 'node:fs';
import { readCsv } from '../src/io/csv.js';
import { lmer } from '../src/fit/lmer.js';

const t = readCsv(readFileSync('test/fixtures/data/sleepstudy.csv', 'utf8'), { factors: ['Subject'] }).table;
const fit = await lmer('Reaction ~ Days + (Days | Subject)', t, { factors: ['Subject'] });
const nd = { Subject: ['308', '308', '335', '372', '999'], Days: [0, 9, 5, 2, 4] };
const time = (f: () => unknown) => { f(); const t0 = performance.now(); for (let k = 0; k < 3; k++) f(); return (performance.now() - t0) / 3; };
console.log(`predictIntervalSim 20000: ${time(() => fit.predictIntervalSim(nd, { nsims: 20000 })).toFixed(0)} ms`);
console.log(`REsim 20000: ${time(() => fit.REsim({ nsims: 20000 })).toFixed(0)} ms`);
console.log(`FEsim 20000: ${time(() => fit.FEsim({ nsims: 20000 })).toFixed(0)} ms`);
