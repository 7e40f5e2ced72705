// The size limits of the shaders that size per-thread arrays, stated once. shaders/build.mjs copies
// these literal constants into src/backend/webgpu/shaders.generated.ts (SHADER_LIMITS): the host
// checks a model against the same numbers. The LMM's factor (blockdiag.wgsl, dense.wgsl), the GLMM's
// per-group updates (glmmGroups.wgsl) and the bootstrap pass (bootstrapGram.wgsl) have none: their
// working matrices are in storage.

// the nodes of a Gauss–Hermite rule in adaptive quadrature's rows pass (glmmPass.wgsl agqRows; nAGQ ≤ 25)
const MAXNODES: u32 = 32u;
