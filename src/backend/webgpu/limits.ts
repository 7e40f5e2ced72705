/**
 * The WebGPU backend's size limits, as the shaders state them (shaders/include/limits.wgsl, copied
 * into SHADER_LIMITS by the shader build): the bootstrap pass (bootstrapGram.wgsl) sizes its
 * per-thread arrays with them. The LMM's factor (blockdiag.ts, dense.ts) and the GLMM's per-group
 * updates (glmmGroups.ts) have no such limits: only the adapter's buffer limits bound them.
 */
import { SHADER_LIMITS } from './shaders.generated.js';

/** The largest q of the random-effects block the bootstrap pass takes. */
export const MAX_Q: number = SHADER_LIMITS.MAXQ;
/** The widest row [Z X y] (q + p + 1) it takes. */
export const MAX_W: number = SHADER_LIMITS.MAXW;
