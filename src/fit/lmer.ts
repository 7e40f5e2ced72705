/**
 * lmer: fitting a linear mixed model, lme4's pipeline (lFormula → mkLmerDevfun → optimizeLmer →
 * mkMerMod) as stages that can each be run alone:
 *   buildLmm (formula → frame → mixed model, src/lmm/model.ts) → formGram (A on the CPU, in float64)
 *   → lmmBackend (the backend rule, src/backend/select.ts) → optimizeAndAssemble (the LMM's objective
 *   through the one fit driver, src/lmm/fit.ts) → LmmFit.
 */
import type * as arrow from 'apache-arrow';
import type { Formula } from '../formula/types.js';
import { CpuBackend } from '../backend/cpu/cpuBackend.js';
import { formGram } from '../backend/cpu/gram.js';
import { type BackendOptions, lmmBackend } from '../backend/select.js';
import { macrotask, throwIfAborted } from '../model/control.js';
import { type LmmFitOptions, optimizeAndAssemble } from '../lmm/fit.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import { type LmmModelOptions, buildLmm } from '../lmm/model.js';

export interface LmerOptions extends LmmModelOptions, LmmFitOptions, BackendOptions {
  /**
   * WebGPU backend: factor crossed factors' dense blocks on the GPU too (default: on hardware GPUs;
   * on software adapters such as SwiftShader the CPU's float64 SIMD kernels are faster)
   */
  denseOnGpu?: boolean;
}

/** Fits a linear mixed model (lme4's `lmer`). */
export async function lmer(formula: string | Formula, data: arrow.Table, options: LmerOptions = {}): Promise<LmmFit> {
  const t0 = performance.now();
  throwIfAborted(options.signal);
  const model = buildLmm(formula, data, options);
  const t1 = performance.now();
  const timings: Record<string, number> = { frameMs: t1 - t0 };
  const messages: string[] = [];
  // the float64 reference: the whole fit on the CPU, or the check and polish of a GPU fit
  const reference = new CpuBackend(formGram(model), model.theta.length);
  timings.gramMs = performance.now() - t1;
  // a turn for the event loop after the passes over the data (an abort that came meanwhile stops here)
  await macrotask();
  throwIfAborted(options.signal);
  const device = await lmmBackend(model, reference, options, messages, timings);
  try {
    return await optimizeAndAssemble(model, device ?? reference, reference, timings, options, t0, messages);
  } finally {
    device?.dispose();
  }
}
