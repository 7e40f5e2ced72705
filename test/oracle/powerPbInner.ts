/**
 * The parametric bootstrap's responses inside replicate r of a pb power test (powerSim.ts 'pb'):
 * the refits of replicate r's response y (the fit and the model without the term, or the
 * comparison's smaller model, each from its θ̂
 * on the CPU, as powerTester refits), the small one's ML fit (pbModcomp.ts's mlFit), and
 * simulateFit's draws from it with seed pbSeed(seed, r). Shared by exportPowerResponses.ts (which
 * writes them for power.R) and powerSim.test.ts (which draws them again).
 */
import { CpuBackend } from '../../src/backend/cpu/cpuBackend.js';
import { referenceGram } from '../../src/backend/cpu/gram.js';
import { fitFromStart } from '../../src/lmm/fit.js';
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import { thetaToInternal } from '../../src/model/reparam.js';
import { mlFit } from '../../src/inference/fitInference.js';
import { formulaWithout } from '../../src/inference/fixedWithout.js';
import { refitWithFormula } from '../../src/inference/refitFrame.js';
import { lmmWithResponse } from '../../src/inference/pbModcomp.js';
import { type PowerCompare, pbSeed, resolvePowerTest } from '../../src/inference/powerSim.js';
import { simulateFit } from '../../src/inference/simulate.js';

export async function pbInnerResponses(fit: LmmFit, test: string | PowerCompare, y: Float64Array, r: number, seed: number, pbnsim: number): Promise<Float64Array[]> {
  // the smaller model: the fit without the term (fixed(x, "pb")) or the comparison's (compare, fcompare, rcompare)
  const formula = typeof test === 'string' ? formulaWithout(fit.model.formula, test) : resolvePowerTest(fit, test, 'pb').compare!.small;
  const small = await refitWithFormula(fit, formula, 'powerSim');
  const model = lmmWithResponse(small.model, y);
  const reference = new CpuBackend(referenceGram(model), model.theta.length, undefined, () => referenceGram(model));
  const f0 = await fitFromStart(model, reference, thetaToInternal(small.model, small.theta), {});
  return simulateFit(await mlFit(f0), pbnsim, { seed: pbSeed(seed, r) }).y;
}
