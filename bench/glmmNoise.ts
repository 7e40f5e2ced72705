/**
 * The f32 noise of the WebGPU GLMM's stage-2 objective (issue 15): at the CPU backend's optimum
 * (θ̂, β̂) of a binomial GLMM, the device's Laplace deviance (PIRLS with β fixed, warm-started from
 * the point before, as the optimizer's evaluations are) and the float64 engine's along a line in β
 * (steps in units of β's standard error) and in θ, in the order an optimizer would visit them.
 * The difference device − float64 splits into a smooth part (its quadratic fit along the line: the
 * bias) and the rest (the jitter, what an optimizer sees as noise); also the same point evaluated
 * from different warm starts. Prints the jitter's RMS and the float64 objective's change at each step.
 *
 *   npx vite-node bench/glmmNoise.ts [--rows 50000] [--groups 2500] [--seed 1] [--span 0.2] [--points 21]
 */
import { glmer } from '../src/fit/glmer.js';
import { acquireGpu, gpuUnavailableReason, releaseGpu } from '../src/backend/webgpu/device.js';
import { createGlmmDevice } from '../src/backend/webgpu/glmmSide.js';
import { buildGlmm } from '../src/glmm/model.js';
import { PirlsEngine } from '../src/glmm/pirls.js';
import { thetaToInternal } from '../src/model/reparam.js';
import { generateLmmData } from './synth.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const n = Number(arg('--rows', '50000'));
const groups = Number(arg('--groups', '2500'));
const seed = Number(arg('--seed', '1'));
const span = Number(arg('--span', '0.2'));
const points = Number(arg('--points', '21'));
const formula = 'y ~ x + w + (1 | g)';

const ctx = await acquireGpu();
if (!ctx) throw new Error(`no WebGPU adapter: ${gpuUnavailableReason()}`);
const d = generateLmmData({ n, groups, seed, family: 'binomial' });
const fit = await glmer(formula, d.table, { family: 'binomial', backend: 'cpu' });
const model = buildGlmm(formula, d.table, { family: 'binomial' });
const cpu = new PirlsEngine(model.pirls);
const device = await createGlmmDevice(ctx, model, {}, 1);
const theta0 = thetaToInternal(model, fit.theta);
const beta0 = Float64Array.from(Object.values(fit.fixef));
const se = Object.values(fit.se);
console.log(`bench/glmmNoise.ts: ${n} rows, ${groups} groups, seed ${seed}; −2ℓ ${fit.objective} (${ctx.adapterName})`);

/** the quadratic least-squares fit's residuals of ys at ts */
function residuals(ts: number[], ys: number[]): number[] {
  // normal equations for a + b t + c t²
  const S = [[0, 0, 0], [0, 0, 0], [0, 0, 0]], r = [0, 0, 0];
  ts.forEach((t, i) => { const v = [1, t, t * t]; for (let a = 0; a < 3; a++) { r[a] += v[a] * ys[i]; for (let b = 0; b < 3; b++) S[a][b] += v[a] * v[b]; } });
  // Gaussian elimination
  for (let k = 0; k < 3; k++) for (let i = k + 1; i < 3; i++) { const m = S[i][k] / S[k][k]; for (let j = k; j < 3; j++) S[i][j] -= m * S[k][j]; r[i] -= m * r[k]; }
  const c = [0, 0, 0];
  for (let i = 2; i >= 0; i--) { let s = r[i]; for (let j = i + 1; j < 3; j++) s -= S[i][j] * c[j]; c[i] = s / S[i][i]; }
  return ts.map((t, i) => ys[i] - (c[0] + c[1] * t + c[2] * t * t));
}
const rms = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);

for (const along of ['theta', 'beta1', 'beta2']) {
  const ts: number[] = [], dev: number[] = [], f64: number[] = [];
  for (let k = 0; k < points; k++) {
    const t = -span + (2 * span * k) / (points - 1);
    const theta = Float64Array.from(theta0), beta = Float64Array.from(beta0);
    if (along === 'theta') theta[0] *= 1 + t * 0.05;
    else beta[along === 'beta1' ? 1 : 2] += t * se[along === 'beta1' ? 1 : 2];
    ts.push(t);
    dev.push((await device.engine.runAsync(theta, beta)).laplace);
    f64.push(cpu.run(theta, beta).laplace);
  }
  const diff = dev.map((v, i) => v - f64[i]);
  const jitter = residuals(ts, diff);
  const df = f64.slice(1).map((v, i) => Math.abs(v - f64[i]));
  console.log(`${along}: device − float64 mean ${(diff.reduce((a, x) => a + x, 0) / diff.length).toExponential(2)}, jitter RMS ${rms(jitter).toExponential(2)} (max ${Math.max(...jitter.map(Math.abs)).toExponential(2)}); float64 change per step ${Math.min(...df).toExponential(2)}–${Math.max(...df).toExponential(2)}`);
}
// one point from different warm starts: the optimum after each point of a line in β
const warm: number[] = [];
for (let k = 0; k < 8; k++) {
  const beta = Float64Array.from(beta0);
  beta[1] += (k % 2 ? 1 : -1) * (0.05 * (k + 1)) * se[1];
  await device.engine.runAsync(theta0, beta);
  warm.push((await device.engine.runAsync(theta0, beta0)).laplace);
}
const mean = warm.reduce((a, x) => a + x, 0) / warm.length;
console.log(`the optimum from 8 warm starts: spread ${(Math.max(...warm) - Math.min(...warm)).toExponential(2)}, RMS about the mean ${rms(warm.map((v) => v - mean)).toExponential(2)}; float64 ${cpu.run(theta0, beta0).laplace}`);
device.dispose();
releaseGpu(ctx);
process.exit(0);
