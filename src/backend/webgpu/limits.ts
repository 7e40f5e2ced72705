/**
 * The WebGPU backend's size limits, as the shaders state them (shaders/include/limits.wgsl, copied
 * into SHADER_LIMITS by the shader build): the GLMM's per-group update shaders (glmmGroups.wgsl)
 * size their per-thread arrays with them; beyond them a GLMM's per-group updates run on the CPU in
 * float64 while its passes stay on the GPU (glmmSide.ts). The LMM's shaders have no such limits
 * (blockdiag.ts).
 */
import { SHADER_LIMITS } from './shaders.generated.js';

/** The largest q of the first random-effects block the per-group shaders take. */
export const MAX_Q: number = SHADER_LIMITS.MAXQ;
/** The widest row [Z X y] (q + p + 1) they take. */
export const MAX_W: number = SHADER_LIMITS.MAXW;

/** Why a block of q columns with p fixed effects does not fit the per-group shaders, or null when it does. */
export function groupShaderLimit(q: number, p: number): string | null {
  if (q > MAX_Q) return `the first random-effects block has ${q} columns; the WebGPU shaders take at most ${MAX_Q}`;
  const w = q + p + 1;
  if (w > MAX_W) return `q + p + 1 = ${w} columns; the WebGPU shaders take at most ${MAX_W}`;
  return null;
}
