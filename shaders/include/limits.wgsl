// The size limits of the per-group shaders, stated once. shaders/build.mjs copies MAXQ and MAXW into
// src/backend/webgpu/shaders.generated.ts (SHADER_LIMITS), which src/backend/webgpu/limits.ts reads:
// the host checks a model against the same numbers the shaders' per-thread arrays are sized with.

// the columns q of the first grouping factor's block
const MAXQ: u32 = 8u;
// the columns of a row [Z X y]: q + p + 1
const MAXW: u32 = 16u;
// the packed lower triangle of a symmetric MAXW × MAXW matrix
const MAXE: u32 = MAXW * (MAXW + 1u) / 2u;
// a group's L (q × q, rows MAXQ apart) and L_X (the X and y rows below it: at most MAXW − 1 rows of MAXQ)
const MAXQQ: u32 = MAXQ * MAXQ;
const MAXLX: u32 = (MAXW - 1u) * MAXQ;
// the nodes of a Gauss–Hermite rule in adaptive quadrature's rows pass (glmmPass.wgsl agqRows; nAGQ ≤ 25)
const MAXNODES: u32 = 32u;
