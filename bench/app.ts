/**
 * The browser app's click-to-result time against the library's own fit in Node, in one run: the
 * generated 1M-row example (bench/synth.ts, seed 1, 20,000 groups, `y ~ x + w + (x | g)`, REML) on
 * the CPU backend. The page's time is its header's (from the click on "Fit model" to the drawn
 * results: the fit in the worker, the tables, diagnostics and plots, and the messages); the Node
 * time is lmer() on the same table (model frame, Gram matrix, optimizer, results) — what the CLI's
 * `fit` spends after reading the file. Reading/generating the data is outside both.
 *
 *   node bench/build.mjs app && node bench/out/app-bench.mjs [--repeats 2]
 */
import { performance } from 'node:perf_hooks';
import { lmer } from '../src/index.js';
import { generateLmmData } from './synth.js';
import { startApp } from '../test/e2e/harness.js';
import { machine, machineLine } from './common.js';

const repeats = Number(process.argv[process.argv.indexOf('--repeats') + 1] ?? 2) || 2;
const FORMULA = 'y ~ x + w + (x | g)';

async function main(): Promise<void> {
  const table = generateLmmData({ n: 1_000_000, groups: 20_000, seed: 1 }).table;
  const app = await startApp();
  const node: number[] = [];
  const page: { total: number; fit: number; describe: number; render: number }[] = [];
  try {
    const tab = await app.openPage();
    tab.setDefaultTimeout(600_000);
    await tab.click('[data-example="synthetic"]');
    await tab.waitForSelector('body[data-state="loaded"]');
    await tab.select('#backend', 'cpu');
    if ((await tab.$eval('#formula', (e) => (e as HTMLInputElement).value)) !== FORMULA) throw new Error('the example\'s formula changed');
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      const fit = await lmer(FORMULA, table, { backend: 'cpu' });
      node.push(performance.now() - t0);
      if (fit.backend.name !== 'cpu') throw new Error('not the CPU backend');
      await tab.click('#fit');
      await tab.waitForFunction((k) => document.body.dataset.state === 'fitted' && document.querySelectorAll('#history-table tbody tr').length === k, {}, r + 1);
      page.push(await tab.$eval('#timing', (e) => ({ total: Number((e as HTMLElement).dataset.totalMs), fit: Number((e as HTMLElement).dataset.fitMs), describe: Number((e as HTMLElement).dataset.describeMs), render: Number((e as HTMLElement).dataset.renderMs) })));
      console.error(`[app] repeat ${r + 1}: node ${(node[r]! / 1000).toFixed(2)} s, page ${(page[r]!.total / 1000).toFixed(2)} s (fit in the worker ${(page[r]!.fit / 1000).toFixed(2)} s, results there ${(page[r]!.describe / 1000).toFixed(2)} s, drawing ${(page[r]!.render / 1000).toFixed(2)} s)`);
    }
  } finally {
    await app.close();
  }
  const best = (a: number[]) => Math.min(...a);
  const n = best(node);
  const p = best(page.map((x) => x.total));
  const w = best(page.map((x) => x.fit));
  console.log(`| 1M rows, ${FORMULA}, REML, CPU backend | Node lmer ${(n / 1000).toFixed(2)} s | page click-to-result ${(p / 1000).toFixed(2)} s (worker fit ${(w / 1000).toFixed(2)} s) | ratio ${(p / n).toFixed(2)} |`);
  console.log(`best of ${repeats}, alternating; ${machineLine(machine())}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
