/**
 * glmer with the non-canonical links and the negative binomial: time, evaluations and −2ℓ of one fit
 * per model on seeded data (n rows, G groups, `(x | g)`), for before/after comparisons of PIRLS.
 *
 *   npx vite-node bench/glmmLinks.ts [n] [groups] [models] [csv]   # models: probit,cloglog,nb,nbfixed (default all)
 *   Rscript bench/glmmLinks.R CSV [models]                          # lme4 on the same data (csv written by the above)
 */
import { writeFileSync } from 'node:fs';
import { tableFromArrays } from 'apache-arrow';
import { glmer } from '../src/fit/glmer.js';
import { Rng } from './synth.js';

const n = Number(process.argv[2] ?? 20000);
const G = Number(process.argv[3] ?? 400);
const models = (process.argv[4] ?? 'probit,cloglog,nb,nbfixed').split(',');
const rng = new Rng(20261205);
const x = new Float64Array(n), z = new Float64Array(n), g: string[] = [];
const b0 = Float64Array.from({ length: G }, () => 0.6 * rng.normal());
const b1 = Float64Array.from({ length: G }, () => 0.3 * rng.normal());
const eta = new Float64Array(n);
for (let i = 0; i < n; i++) {
  x[i] = rng.normal();
  z[i] = rng.normal();
  const k = i % G;
  g.push(`g${k}`);
  eta[i] = -0.3 + 0.5 * x[i] - 0.2 * z[i] + b0[k] + b1[k] * x[i];
}
// binary responses by inversion: probit Φ(η), cloglog 1 − exp(−e^η); counts NB2 (size 1.5) as a gamma–Poisson mixture
const phi = (t: number) => 0.5 * (1 + erf(t / Math.SQRT2));
function erf(t: number): number {
  // Abramowitz–Stegun 7.1.26 (data generation only)
  const s = Math.sign(t), a = Math.abs(t), k = 1 / (1 + 0.3275911 * a);
  return s * (1 - (((((1.061405429 * k - 1.453152027) * k + 1.421413741) * k - 0.284496736) * k + 0.254829592) * k) * Math.exp(-a * a));
}
const yp = Float64Array.from(eta, (e) => (rng.uniform() < phi(e) ? 1 : 0));
const yc = Float64Array.from(eta, (e) => (rng.uniform() < 1 - Math.exp(-Math.exp(e)) ? 1 : 0));
const gammaDraw = (shape: number): number => {
  // Marsaglia–Tsang (shape ≥ 1; shape < 1 by boosting)
  if (shape < 1) return gammaDraw(shape + 1) * rng.uniform() ** (1 / shape);
  const d = shape - 1 / 3, c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const v0 = rng.normal(), v = (1 + c * v0) ** 3;
    if (v > 0 && Math.log(rng.uniform()) < 0.5 * v0 * v0 + d - d * v + d * Math.log(v)) return d * v;
  }
};
const poissonDraw = (m: number): number => {
  let k = 0, p = Math.exp(-m), s = p;
  const u = rng.uniform();
  while (u > s && k < 10000) { k++; p *= m / k; s += p; }
  return k;
};
const yn = Float64Array.from(eta, (e) => poissonDraw(Math.exp(e + 1) * gammaDraw(1.5) / 1.5));
const table = tableFromArrays({ yp, yc, yn, x, z, g });
if (process.argv[5]) {
  const lines = ['yp,yc,yn,x,z,g'];
  for (let i = 0; i < n; i++) lines.push(`${yp[i]},${yc[i]},${yn[i]},${x[i]},${z[i]},${g[i]}`);
  writeFileSync(process.argv[5], `${lines.join('\n')}\n`);
}
for (const m of models) {
  const t0 = performance.now();
  const fit = m === 'probit' ? await glmer('yp ~ x + z + (x | g)', table, { family: 'binomial', link: 'probit' })
    : m === 'cloglog' ? await glmer('yc ~ x + z + (x | g)', table, { family: 'binomial', link: 'cloglog' })
    : m === 'nb' ? await glmer('yn ~ x + z + (x | g)', table, { family: 'negative.binomial' })
    : await glmer('yn ~ x + z + (x | g)', table, { family: 'negative.binomial', theta: 1.5 });
  const ms = performance.now() - t0;
  console.log(`${m}: ${(ms / 1000).toFixed(2)} s, feval ${fit.stage1.feval}+${fit.feval2}, objective (−2ℓ) ${fit.objective.toFixed(9)}, θ [${Array.from(fit.theta, (v) => v.toFixed(6)).join(', ')}]`);
}
