/**
 * DHARMa's simulateResiduals and its tests on glmer and lmer fits of growing size: the time of
 * fit.simulateResiduals (nsim responses simulated, the PIT residuals) and of testUniformity,
 * testDispersion, testZeroInflation and testOutliers (the bootstrap where the response is counts and
 * n ≤ 500, else binomial), after the fit. Seeded data: n rows, G groups, a covariate x,
 * Poisson counts around exp(0.5 + 0.4 x + b_g) (`y ~ x + (1 | g)`, glmer) and a Gaussian response
 * (`z ~ x + (1 | g)`, lmer).
 *
 *   npx vite-node bench/dharma.ts [n] [groups] [nsim]
 */
import { tableFromArrays } from 'apache-arrow';
import { glmer } from '../src/fit/glmer.js';
import { lmer } from '../src/fit/lmer.js';
import { testDispersion, testOutliers, testUniformity, testZeroInflation } from '../src/diagnostics/dharmaTests.js';
import { Rng } from './synth.js';

const n = Number(process.argv[2] ?? 10_000);
const G = Number(process.argv[3] ?? 200);
const nsim = Number(process.argv[4] ?? 250);
const rng = new Rng(20261206);
const g: string[] = [];
const x = new Float64Array(n), y = new Float64Array(n), z = new Float64Array(n);
const b = Float64Array.from({ length: G }, () => 0.5 * rng.normal());
for (let i = 0; i < n; i++) {
  const k = i % G;
  g.push(`g${k}`);
  x[i] = rng.normal();
  const mu = Math.exp(0.5 + 0.4 * x[i] + b[k]);
  // Poisson by inversion
  let u = rng.uniform(), c = 0, p = Math.exp(-mu), s = p;
  while (u > s) { c++; p *= mu / c; s += p; }
  y[i] = c;
  z[i] = 1 + 0.5 * x[i] + b[k] + rng.normal();
}
const data = tableFromArrays({ y, z, x, g });
for (const [label, fit] of [['glmer poisson', await glmer('y ~ x + (1 | g)', data, { family: 'poisson' })], ['lmer', await lmer('z ~ x + (1 | g)', data)]] as const) {
  const t0 = performance.now();
  const d = fit.simulateResiduals({ nsim });
  const t1 = performance.now();
  const u = testUniformity(d), disp = testDispersion(d), zi = testZeroInflation(d), out = testOutliers(d);
  const t2 = performance.now();
  console.log(`${label}: n = ${n}, G = ${G}, nsim = ${nsim}: simulateResiduals ${(t1 - t0).toFixed(0)} ms, the four tests ${(t2 - t1).toFixed(0)} ms (outliers: ${out.type}); KS p = ${u.pValue.toPrecision(3)}, dispersion ${disp.statistic.value.toFixed(3)} (p = ${disp.pValue}), zeros ${Number.isNaN(zi.statistic.value) ? 'NaN' : zi.statistic.value.toFixed(3)}`);
}
