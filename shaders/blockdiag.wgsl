// Per θ, the block-diagonal part of the blocked Cholesky factor (the first grouping factor), one
// thread per group g, from the group's packed Gram matrix A_g of [Z X y] (see gram.wgsl):
//   L_g L_gᵀ = Tᵀ A_zz,g T + I                  (q × q, eigenvalues ≥ 1: well conditioned in f32)
//   L_X,g   = A_xz,g T L_g⁻ᵀ                    ((p+1) × q)
//   S_g     = A_xx,g − L_X,g L_X,gᵀ             (the group's share of the [X y] Schur complement,
//                                                 positive semi-definite: summing these has no
//                                                 cancellation, unlike A_XX − Σ_g L_X,g L_X,gᵀ)
// `factor` writes log|L_g|² and S_g per group (and, when asked, L_g and L_X,g for the CPU's later
// blocks); `reduce` sums them over chunks of groups; the CPU finishes the sums in f64.

// #include "limits.wgsl"
// #include "groupCholesky.wgsl"

struct Params {
  ngroups: u32,
  q: u32,
  p1: u32,
  E: u32,
  R: u32,
  chunk: u32,
  nchunks: u32,
  writeFactor: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> gram: array<f32>;
@group(0) @binding(2) var<storage, read> T: array<f32>;
@group(0) @binding(3) var<storage, read_write> perGroup: array<f32>;
@group(0) @binding(4) var<storage, read_write> factorOut: array<f32>;
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;

@compute @workgroup_size(64)
fn factor(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
          @builtin(local_invocation_index) lid: u32) {
  let g = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (g >= params.ngroups) { return; }
  let q = params.q;
  let p1 = params.p1;
  let base = g * params.E;
  // the group's packed Gram matrix, then L_g and L_X,g (X and y rows)
  var A: array<f32, MAXE>;
  for (var e = 0u; e < params.E; e++) { A[e] = gram[base + e]; }
  var L: array<f32, MAXQQ>;
  let logdet = groupCholesky(&A, q, &L);
  var LX: array<f32, MAXLX>;
  groupLX(&A, q, p1, &L, &LX);
  let out = g * params.R;
  perGroup[out] = logdet;
  schurShare(&A, q, p1, &LX, out + 1u);
  if (params.writeFactor != 0u) {
    writeGroupFactor(&L, &LX, q, p1, g * (q * (q + 1u) / 2u + p1 * q));
  }
}

@compute @workgroup_size(64)
fn reduce(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
          @builtin(local_invocation_index) lid: u32) {
  let c = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (c >= params.nchunks) { return; }
  let g0 = c * params.chunk;
  let g1 = min(params.ngroups, g0 + params.chunk);
  for (var e = 0u; e < params.R; e++) {
    var t = 0.0;
    for (var g = g0; g < g1; g++) { t += perGroup[g * params.R + e]; }
    partials[c * params.R + e] = t;
  }
}
