/**
 * The θ optimizer with and without its singular-Σ check (src/model/covarianceDescent.ts) on the seeded
 * random LMM sets of the randomized audits: how often the check moves the optimum, by how much, and
 * what it costs in evaluations. Each case is optimized twice from the same starts (the fit's moment
 * start among them) on the float64 CPU objective.
 *
 *   npx vite-node bench/sigmaDescent.ts models [seed count]   # test/oracle/randomModels.ts (default 20261204 240)
 *   npx vite-node bench/sigmaDescent.ts frames [seed count]   # test/oracle/randomFrames.ts (e.g. 4242 600)
 */
import { readCsv } from '../src/io/csv.js';
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { CpuBackend } from '../src/backend/cpu/cpuBackend.js';
import { lmmObjective } from '../src/lmm/deviance.js';
import { optimizeTheta } from '../src/optim/thetaOptimizer.js';
import { covarianceDescent } from '../src/model/covarianceDescent.js';
import { generateRandomCases } from '../test/oracle/randomModels.js';
import { generateRandomFrames } from '../test/oracle/randomFrames.js';
const which = process.argv[2] ?? 'models';
const cases: { name: string; formula: string; reml: boolean; csv: string; factors?: string[]; levelOrder?: 'locale' | 'C' }[] =
  which === 'models' ? generateRandomCases(Number(process.argv[3] ?? 20261204), Number(process.argv[4] ?? 240)) : generateRandomFrames(Number(process.argv[3] ?? 4242), Number(process.argv[4] ?? 600));
let n = 0, better = 0, worse = 0, fe0 = 0, fe1 = 0, trig = 0;
for (const c of cases) {
  let model;
  try { model = buildLmm(c.formula, readCsv(c.csv, c.levelOrder ? { levelOrder: c.levelOrder } : {}).table, { REML: c.reml, factors: c.factors }); } catch { continue; }
  const be = new CpuBackend(formGram(model), model.theta.length);
  const obj = lmmObjective(model, be, be);
  const f = (x: Float64Array) => obj.evaluate(x) as number;
  const o = { start: obj.start, candidates: obj.startCandidates, candidateRhobeg: obj.candidateRhobeg };
  const a = await optimizeTheta(f, obj.thetaProblem!, o);
  const b = await optimizeTheta(f, obj.thetaProblem!, { ...o, sigmaDescent: covarianceDescent() });
  n++; fe0 += a.feval; fe1 += b.feval;
  if (b.notes.some((s) => s.includes('singular covariance'))) trig++;
  if (b.fval < a.fval - 1e-6) { better++; console.log('better', c.name, c.formula, a.fval, b.fval, a.feval, b.feval); }
  if (b.fval > a.fval + 1e-9) { worse++; console.log('WORSE', c.name, c.formula, a.fval, b.fval); }
  if (b.feval !== a.feval && !(b.fval < a.fval - 1e-6) && process.env.VERBOSE) console.log('cost', c.name, c.formula, a.feval, '->', b.feval);
}
console.log({ which, n, better, worse, trig, fe0, fe1 });
