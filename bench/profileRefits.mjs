/**
 * Where InstEval's profile intervals spend their time: the ML fit, then lme4's profile of the chosen
 * parameters, with each refit's number of factorizations (BlockedCholesky.factor calls) and CPU time.
 * Plain JavaScript over a build, so that the same script times an older commit's build:
 *
 *   npm run build && node bench/profileRefits.mjs 0,4,5            # parameters by index: 0 sd_(Intercept)|s,
 *   DIST=/tmp/before/dist node bench/profileRefits.mjs 0            #   1 sd_d, 2 sd_dept:service, 3 sigma, 4 (Intercept), 5 service1
 *
 * Prints one line per refit (the fixed index w or j, the value, factorizations, CPU s), the totals
 * and the intervals.
 */
import { fileURLToPath } from 'node:url';
const root = fileURLToPath(new URL('..', import.meta.url));
const D = process.env.DIST ?? `${root}dist`;
const { lmer } = await import(`${D}/src/fit/lmer.js`);
const { buildLmm } = await import(`${D}/src/lmm/model.js`);
const { formGram } = await import(`${D}/src/backend/cpu/gram.js`);
const { readTableFile } = await import(`${D}/src/io/node.js`);
const { lmmProfileProblem } = await import(`${D}/src/inference/lmmProfile.js`);
const { profileIntervals, profileModel } = await import(`${D}/src/inference/profile.js`);
const { BlockedCholesky } = await import(`${D}/src/linalg/blockedCholesky.js`);

const factors = ['s', 'd', 'dept', 'service'];
const formula = 'y ~ service + (1 | s) + (1 | d) + (1 | dept:service)';
const { table } = readTableFile(`${root}test/fixtures/data/insteval.csv`, { factors });
const which = (process.argv[2] ?? '0').split(',').map(Number);
const cpu = () => process.cpuUsage().user / 1e6;
let c0 = cpu();
const ml = await lmer(formula, table, { factors, REML: false });
console.log(`ML fit: ${(cpu() - c0).toFixed(2)} s CPU`);
const model = buildLmm(formula, table, { factors, REML: false });
const problem = lmmProfileProblem({
  model, gram: formGram(model),
  ml: { theta: ml.theta, sigma: ml.sigma, beta: ml.beta, se: Float64Array.from(ml.model.frame.xnames, (x) => ml.se[x]), deviance: ml.objective },
});
let factorizations = 0;
const factor = BlockedCholesky.prototype.factor;
BlockedCholesky.prototype.factor = function (...a) { factorizations++; return factor.apply(this, a); };
let fits = 0;
const counted = (f) => (...a) => {
  fits++;
  const n0 = factorizations, t = cpu();
  const r = f(...a);
  console.log([a[0], a[1].toPrecision(6), factorizations - n0, (cpu() - t).toFixed(3)].join('\t'));
  return r;
};
problem.fixVariance = counted(problem.fixVariance);
problem.fixFixed = counted(problem.fixFixed);
c0 = cpu();
const prof = profileModel(problem, { which });
console.log(`parameters ${which}: ${fits} refits, ${factorizations} factorizations, ${(cpu() - c0).toFixed(1)} s CPU`);
console.log(JSON.stringify(profileIntervals(prof).intervals));
