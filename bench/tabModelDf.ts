/**
 * What the app's Regression table card costs by df method (whether a link should compute it): sjPlot's
 * tab_model (the library's tabModel) of sleepstudy's two lmer fits, `Reaction ~ Days + (Days | Subject)` and
 * `Reaction ~ Days + (1 | Subject)`, each df method on fresh fits (the first call: what a link costs) and then
 * three times more (the median: what the fit's caches leave), in ms.
 *   npx vite-node bench/tabModelDf.ts
 */
import { readFileSync } from 'node:fs';
import { lmer, readCsv } from '../src/index.js';
import { TAB_DF_METHODS, tabModel } from '../src/tabmodel/tabModel.js';

const sleep = readCsv(readFileSync(new URL('../test/fixtures/data/sleepstudy.csv', import.meta.url), 'utf8')).table;
for (const dfMethod of TAB_DF_METHODS.filter((m) => m !== 'kr')) {
  const m1 = await lmer('Reaction ~ Days + (Days | Subject)', sleep, { factors: ['Subject'] });
  const m2 = await lmer('Reaction ~ Days + (1 | Subject)', sleep, { factors: ['Subject'] });
  const t1 = performance.now();
  await tabModel([m1, m2], { dfMethod });
  const first = performance.now() - t1;
  const times: number[] = [];
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    await tabModel([m1, m2], { dfMethod });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(`${dfMethod.padEnd(14)} first ${first.toFixed(1)} ms, then ${times[1]!.toFixed(1)} ms`);
}
