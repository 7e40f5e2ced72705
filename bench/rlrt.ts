/**
 * RLRsim's exactRLRT on lmer fits of growing size: the time of the eigenvalues of the null design
 * (Zᵀ(I − H_X)Z, K × K, src/inference/rlrtDesign.ts) and of the simulation (nsim values, the grid search
 * per value, src/inference/rlrtSimulate.ts), after the fit. Seeded data: n rows, G groups, a covariate x,
 * `y ~ x + (1 | g)` with a small group variance (so that the statistic is > 0 and the null is simulated).
 *
 *   npx vite-node bench/rlrt.ts [n] [groups] [nsim]
 */
import { tableFromArrays } from 'apache-arrow';
import { lmer } from '../src/fit/lmer.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import { exactRLRT } from '../src/inference/exactRlrt.js';
import { rlrtEigenvalues } from '../src/inference/rlrtDesign.js';
import { Rng } from './synth.js';

const n = Number(process.argv[2] ?? 20_000);
const G = Number(process.argv[3] ?? 500);
const nsim = Number(process.argv[4] ?? 10_000);
const rng = new Rng(20261206);
const g: string[] = [];
const x = new Float64Array(n), y = new Float64Array(n);
const b = Float64Array.from({ length: G }, () => 0.2 * rng.normal());
for (let i = 0; i < n; i++) {
  const k = i % G;
  g.push(`g${k}`);
  x[i] = rng.normal();
  y[i] = 1 + 0.5 * x[i] + b[k] + rng.normal();
}
const fit = (await lmer('y ~ x + (1 | g)', tableFromArrays({ y, x, g }))) as LmmFit;
const frame = fit.model.frame, t = frame.reTerms[0];
let t0 = performance.now();
rlrtEigenvalues({ X: frame.X, n: frame.n, p: frame.p, codes: t.codes, z: t.Z, K: t.levels.length });
const eigenMs = performance.now() - t0;
t0 = performance.now();
const res = await exactRLRT(fit, { nsim });
const totalMs = performance.now() - t0;
console.log(`n ${n}, K ${G}, nsim ${nsim}: RLRT ${res.statistic.toFixed(4)}, p ${res.pValue}; eigenvalues ${eigenMs.toFixed(0)} ms, exactRLRT in all ${totalMs.toFixed(0)} ms`);
