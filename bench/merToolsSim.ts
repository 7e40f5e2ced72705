/**
 * merTools's predictInterval, REsim and FEsim by simulation (src/inference/predictIntervalSim.ts, reSim.ts) on
 * sleepstudy with 20,000 draws, to set beside merTools's (bench/merToolsSim.R): the mean of 3 calls after one warm-up.
 * Also the async forms the browser app's worker runs (predictIntervalSimAsync, reFeSimAsync: chunks of draws with
 * a turn of the event loop between them), to give their cost over the synchronous calls in the same run.
 *   npm run build && node dist/bench/merToolsSim.js && Rscript bench/merToolsSim.R
 */
import { readFileSync } from 'node:fs';
import { readCsv } from '../src/io/csv.js';
import { lmer } from '../src/fit/lmer.js';
import { toArrowTable } from '../src/io/dataInput.js';
import { predictIntervalSimAsync } from '../src/inference/predictIntervalSim.js';
import { reFeSimAsync } from '../src/inference/reSim.js';

const t = readCsv(readFileSync('test/fixtures/data/sleepstudy.csv', 'utf8'), { factors: ['Subject'] }).table;
const fit = await lmer('Reaction ~ Days + (Days | Subject)', t, { factors: ['Subject'] });
const nd = { Subject: ['308', '308', '335', '372', '999'], Days: [0, 9, 5, 2, 4] };
const time = (f: () => unknown) => { f(); const t0 = performance.now(); for (let k = 0; k < 3; k++) f(); return (performance.now() - t0) / 3; };
console.log(`predictIntervalSim 20000: ${time(() => fit.predictIntervalSim(nd, { nsims: 20000 })).toFixed(0)} ms`);
console.log(`REsim 20000: ${time(() => fit.REsim({ nsims: 20000 })).toFixed(0)} ms`);
console.log(`FEsim 20000: ${time(() => fit.FEsim({ nsims: 20000 })).toFixed(0)} ms`);
const timeAsync = async (f: () => Promise<unknown>) => { await f(); const t0 = performance.now(); for (let k = 0; k < 3; k++) await f(); return (performance.now() - t0) / 3; };
const ndTable = toArrowTable(nd, 'newdata');
console.log(`predictIntervalSimAsync 20000: ${(await timeAsync(() => predictIntervalSimAsync(fit, ndTable, { nsims: 20000 }))).toFixed(0)} ms`);
console.log(`REsim + FEsim 20000 (two calls): ${time(() => { fit.REsim({ nsims: 20000 }); fit.FEsim({ nsims: 20000 }); }).toFixed(0)} ms`);
console.log(`reFeSimAsync 20000 (one set of draws, both tables): ${(await timeAsync(() => reFeSimAsync(fit, { nsims: 20000 }))).toFixed(0)} ms`);
