// The size limits of the shaders that size per-thread arrays, stated once. shaders/build.mjs copies
// these literal constants into src/backend/webgpu/shaders.generated.ts (SHADER_LIMITS), which
// src/backend/webgpu/limits.ts reads: the host checks a model against the same numbers. The LMM's
// factor (blockdiag.wgsl, dense.wgsl) and the GLMM's per-group updates (glmmGroups.wgsl) have none:
// their working matrices are in storage.

// the bootstrap pass (bootstrapGram.wgsl, whose per-thread arrays hold q and p values): q of the
// grouping factor's block, and the columns of a row [Z X y], q + p + 1
const MAXQ: u32 = 8u;
const MAXW: u32 = 16u;
// the nodes of a Gauss–Hermite rule in adaptive quadrature's rows pass (glmmPass.wgsl agqRows; nAGQ ≤ 25)
const MAXNODES: u32 = 32u;
