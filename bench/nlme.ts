/**
 * nlme's lme/gls (src/nlme) and lme4's nlmer (src/nlmer) on the cases of test/oracle/nlme.R and
 * test/oracle/nlmer.R: each fit's time (median of 5 after one warm-up) and its log-likelihood, to set beside
 * nlme's and lme4's (bench/nlme.R) on the same rows.
 *   npx vite-node bench/nlme.ts && Rscript bench/nlme.R
 */
import { readFileSync } from 'node:fs';
import { readCsv } from '../src/io/csv.js';
import { gls } from '../src/nlme/gls.js';
import { lme } from '../src/nlme/lme.js';
import { nlmer } from '../src/nlmer/nlmer.js';

const FACTORS: Record<string, string[]> = { Orthodont: [], Ovary: ['Mare'], BodyWeight: ['Rat'], Wheat2: [], Soybean: ['Plot'], Phenobarb: ['Subject'], Oats: [] };
const table = (name: string) => readCsv(readFileSync(`test/fixtures/data/${name}.csv`, 'utf8'), { factors: FACTORS[name] }).table;
const median = (x: number[]) => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)];

async function timed<T>(f: () => Promise<T>): Promise<{ s: number; out: T }> {
  let out = await f();
  const t: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    out = await f();
    t.push((performance.now() - t0) / 1000);
  }
  return { s: median(t), out };
}

// (and, since 2026-12-06 20:00: varPower() of the fitted values, weights over orders of magnitude, nested levels, corSpher)
const CASES = ['ortho_varident_reml', 'ovary_ar1', 'bw_car1', 'bw_varpower_car1_ml', 'gls_wheat_exp_ml',
  'ortho_varpower_fitted', 'bw_varpower_fitted', 'soy_varpower_fitted', 'soy_varpower_time', 'pheno_varconstpower', 'oats_nested_reml', 'gls_wheat_spher'];
for (const name of CASES) {
  const fx = JSON.parse(readFileSync(`test/fixtures/nlme/${name}.json`, 'utf8'));
  const d = table(fx.data);
  const opts = { weights: fx.ours.weights, correlation: fx.ours.correlation, method: fx.method, factors: FACTORS[fx.data] };
  const { s, out } = fx.ours.model !== undefined
    ? await timed(() => gls(fx.ours.model, d, opts))
    : await timed(() => lme(fx.ours.fixed, d, { ...opts, random: fx.ours.random }));
  console.log(`ours ${name} (n = ${d.numRows}): ${s.toFixed(3)} s, ${out.feval} evaluations, logLik ${out.logLik.toFixed(6)}`);
}
for (const name of ['orange', 'theoph']) {
  const fx = JSON.parse(readFileSync(`test/fixtures/nlmer/${name}.json`, 'utf8'));
  const d = readCsv(readFileSync(`test/fixtures/data/${fx.data}`, 'utf8')).table;
  const { s, out } = await timed(() => nlmer(fx.formula, d, { start: fx.start }));
  console.log(`ours nlmer ${name} (n = ${d.numRows}): ${s.toFixed(3)} s, deviance ${out.deviance().toFixed(6)} (lme4 ${fx.deviance.toFixed(6)})`);
}
