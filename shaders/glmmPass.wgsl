// The weighted data pass of one PIRLS iteration (src/backend/webgpu/glmmPass.ts): the weighted
// cross-products Σ_{i ∈ segment} w_i a_i b_i that make up the blocks of the GLMM's Gram matrix
// A(w) = [Z X z]ᵀ W [Z X z] (src/glmm/weightedGram.ts). Each task is one output entry of one row
// segment: the rows of one level of a factor (A_kk, A_Xk), of one (level_j, level_k) pattern entry
// (A_jk), or one chunk of consecutive rows (A_XX); a segment has at most a few hundred rows, listed
// (CSR, built once on the CPU) in `rowIdx`. One thread per task accumulates in f32 (no barriers, no
// atomics); the host adds the segments' partial sums into the blocks in float64.
//
// `cols` holds the columns, n values each: X (p columns), the working response z, then each
// block's Z columns; `w` the working weights. z and w change at each iteration, the rest is
// uploaded once per fit.

struct Params {
  ntasks: u32,
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> cols: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> rowIdx: array<u32>;
// per task: first and one-past-last position in rowIdx, the two columns
@group(0) @binding(4) var<storage, read> tasks: array<vec4u>;
@group(0) @binding(5) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(64)
fn products(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let t = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (t >= params.ntasks) { return; }
  let task = tasks[t];
  let a = task.z * params.n;
  let b = task.w * params.n;
  var acc = 0.0;
  for (var k = task.x; k < task.y; k++) {
    let i = rowIdx[k];
    acc += w[i] * cols[a + i] * cols[b + i];
  }
  partial[t] = acc;
}

// ---- the working weights and response, from β and the conditional modes b = Λu -------------
// One thread per row: η = offset + Xβ + Σ_k Z_k b_k[code_k], μ = g⁻¹(η), w = wt (dμ/dη)² / V(μ),
// z = η − base + (y − μ)/(dμ/dη) with base = offset (β free) or offset + Xβ (β fixed), written to
// `w` and to z's column of the columns. The clamps are family.ts's, with f32's epsilon for float64's
// (1 − 2⁻⁵² is 1 in f32).

struct RowParams {
  n: u32,
  p: u32,
  nblocks: u32,
  // 0: binomial logit, 1: binomial cloglog, 2: poisson log
  link: u32,
  // 1: β free (z keeps Xβ), 0: β fixed
  full: u32,
}

@group(0) @binding(6) var<uniform> rowParams: RowParams;
@group(0) @binding(7) var<storage, read_write> colsOut: array<f32>;
@group(0) @binding(8) var<storage, read_write> wOut: array<f32>;
// β (p values), then each block's b (nl q values, level-major)
@group(0) @binding(9) var<storage, read> coef: array<f32>;
// per block: first column, q, offset of its b in coef, offset of its codes in codes
@group(0) @binding(10) var<storage, read> blockInfo: array<vec4u>;
@group(0) @binding(11) var<storage, read> codes: array<u32>;
// y, prior weights, offset (n each)
@group(0) @binding(12) var<storage, read> response: array<f32>;

const EPS32: f32 = 1.1920929e-7;

@compute @workgroup_size(64)
fn reweight(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 64u + lid;
  let n = rowParams.n;
  if (i >= n) { return; }
  let p = rowParams.p;
  var xb = 0.0;
  for (var r = 0u; r < p; r++) { xb += colsOut[r * n + i] * coef[r]; }
  var zb = 0.0;
  for (var k = 0u; k < rowParams.nblocks; k++) {
    let info = blockInfo[k];
    let c = codes[info.w + i];
    for (var s = 0u; s < info.y; s++) { zb += colsOut[(info.x + s) * n + i] * coef[info.z + c * info.y + s]; }
  }
  let y = response[i];
  let wt = response[n + i];
  let eta = response[2u * n + i] + xb + zb;
  var mu: f32;
  var me: f32;
  var v: f32;
  if (rowParams.link == 0u) {
    let e = exp(-abs(eta));
    let d = 1.0 + e;
    mu = select(e / d, 1.0 / d, eta >= 0.0);
    mu = min(1.0 - EPS32, max(EPS32, mu));
    me = max(EPS32 * EPS32, e / (d * d));
    v = max(EPS32 * EPS32, mu * (1.0 - mu));
  } else if (rowParams.link == 1u) {
    let ee = exp(eta);
    mu = max(EPS32, min(1.0 - EPS32, 1.0 - exp(-ee)));
    me = max(EPS32 * EPS32, exp(eta - ee));
    v = max(EPS32 * EPS32, mu * (1.0 - mu));
  } else {
    mu = max(EPS32 * EPS32, exp(eta));
    me = mu;
    v = mu;
  }
  wOut[i] = wt * me * me / v;
  colsOut[p * n + i] = select(0.0, xb, rowParams.full == 1u) + zb + (y - mu) / me;
}
