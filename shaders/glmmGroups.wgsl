// The per-group updates of one PIRLS iteration on the device (src/backend/webgpu/glmmGroups.ts), for
// the first grouping factor: the Newton step of the penalized weighted least-squares problem at the
// state (u, β), solved group by group,
//   [Λᵀ A_zz Λ + I   Λᵀ A_zX] [Δu]   [Λᵀ a_r − u]
//   [A_Xz Λ          A_XX   ] [Δβ] = [a_X,r     ]
// with A the weighted Gram matrix of [Z X] and a_r = Zᵀ W r, a_X,r = Xᵀ W r the cross-products with
// the working residual r = (y − μ)/(dμ/dη), all from the products of glmmPass.wgsl in the group
// layout (per segment of ≤ 256 rows of one group, the packed lower triangle of the Gram matrix of
// [Z X r], E entries). Solving for the step (not the new iterate) keeps the f32 rounding of the pass
// out of the iterate: it perturbs only the step. No size limit on q or p: every working matrix is in
// storage.
//
// The factor itself is blockdiag.wgsl's, one implementation for the LMM and the GLMM (Λ_g = T):
//   `gather`  one thread per (group, entry of A_zz,g (q × q) and A_Xz,g ((p+1) × q, rows [X r])): the
//             group's segments' partials summed, into blockdiag's inputs;
//   blockdiag L_g L_gᵀ = Tᵀ A_zz,g T + I, L_X,g = A_Xz,g T L_g⁻ᵀ for the X rows and, in the r row with
//             u subtracted, ℓ_g = L_g⁻¹ (Tᵀ a_r,g − u_g); the compensated sums over chunks of groups
//             of log|L_g|² and [L_X,g; ℓ_g] [L_X,g; ℓ_g]ᵀ;
//   `sumXX`   one thread per (chunk of groups, entry of the packed (p+1) × (p+1) triangle of [X r]):
//             Σ over the chunk's groups and segments of A_[Xr][Xr], compensated;
// the host finishes both in float64: S_XX = A_XX − Σ L_X L_Xᵀ, S_Xr = a_X,r − Σ L_X ℓ, and solves
// S_XX Δβ = S_Xr.
// `update`, one thread per group, by `mode`: 0 the step Δu_g = L_g⁻ᵀ (ℓ_g − L_X,gᵀ Δβ) from the
// accepted state, u_g = u_acc,g + Δu_g; 1 the halved step u_g = (u_g + u_acc,g)/2; 2 u_g = u_acc,g
// (a new θ); 3 (more grouping factors) u_g = u_acc,g + Δu_g with the host's Δu_g (`step`). Then b_g = T u_g into the pass's coefficients (for the next reweight), and per group
// ‖u_g‖² and Σ_s max|Z_s| |T (u_g − u_acc,g)|_s (a bound on the change of η), which `updateSums`
// sums (‖u‖², compensated) and maximizes (the bound) over chunks of groups.

// threads per workgroup of every kernel here (the host reads it back by reflection)
const WG: u32 = 64u;

struct Params {
  ngroups: u32,
  q: u32,
  p: u32,
  // packed entries per segment of [Z X r]: w (w + 1) / 2, w = q + p + 1
  E: u32,
  // packed entries of [X r]: (p + 1)(p + 2) / 2
  EX: u32,
  chunk: u32,
  nchunks: u32,
  mode: u32,
  // 1: more grouping factors (gather adds `extra` to the r row; update mode 3 takes the host's step)
  coupled: u32,
}

@group(0) @binding(0) var<uniform> params: Params;

// entry (a, b) of a symmetric matrix stored as its packed lower triangle
fn packed(a: u32, b: u32) -> u32 {
  if (a >= b) { return a * (a + 1u) / 2u + b; }
  return b * (b + 1u) / 2u + a;
}

fn linearId(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.x + wid.y * nwg.x;
}

// ---- the group's Gram matrix from the pass's partials --------------------------------------------

@group(0) @binding(1) var<storage, read> partial: array<f32>;
// each group's first segment, and one past its last (ngroups + 1)
@group(0) @binding(2) var<storage, read> segments: array<u32>;
// blockdiag.wgsl's inputs: A_zz,g row-major q × q, A_Xz,g row-major (p+1) × q
@group(0) @binding(3) var<storage, read_write> Azz: array<f32>;
@group(0) @binding(4) var<storage, read_write> AXz: array<f32>;
// coupled: per group q values added to the r row of A_Xz,g: Σ_{k ≥ 1} A_0k,g b_k, the other blocks'
// fitted part (the host's, from their cross-products), so that the step is solved for the other
// blocks' new u (see glmmGroups.ts)
@group(0) @binding(17) var<storage, read> extra: array<f32>;

@compute @workgroup_size(WG)
fn gather(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
          @builtin(local_invocation_index) lid: u32) {
  let id = linearId(wid, nwg) * WG + lid;
  let q = params.q;
  let p1 = params.p + 1u;
  let per = q * q + p1 * q;
  if (id >= params.ngroups * per) { return; }
  let g = id / per;
  let e = id % per;
  // the packed entry of [Z X r] this output is
  var src: u32;
  if (e < q * q) { src = packed(e / q, e % q); } else { let x = e - q * q; src = packed(q + x / q, x % q); }
  var acc = 0.0;
  for (var sg = segments[g]; sg < segments[g + 1u]; sg++) { acc += partial[sg * params.E + src]; }
  if (params.coupled == 1u && e >= q * q + params.p * q) { acc += extra[g * q + e - q * q - params.p * q]; }
  if (e < q * q) { Azz[g * q * q + e] = acc; } else { AXz[g * p1 * q + e - q * q] = acc; }
}

// per chunk and entry of [X r]'s triangle: the sum and its compensation (Kahan summation)
@group(0) @binding(5) var<storage, read_write> partialsXX: array<f32>;

@compute @workgroup_size(WG)
fn sumXX(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
         @builtin(local_invocation_index) lid: u32) {
  let id = linearId(wid, nwg) * WG + lid;
  let EX = params.EX;
  if (id >= params.nchunks * EX) { return; }
  let c = id / EX;
  let e = id % EX;
  // e → (a, b), b ≤ a, by rows of the lower triangle
  var a = u32((sqrt(8.0 * f32(e) + 1.0) - 1.0) * 0.5);
  if ((a + 1u) * (a + 2u) / 2u <= e) { a += 1u; }
  if (a * (a + 1u) / 2u > e) { a -= 1u; }
  let b = e - a * (a + 1u) / 2u;
  let src = packed(params.q + a, params.q + b);
  let g0 = c * params.chunk;
  let g1 = min(params.ngroups, g0 + params.chunk);
  var s = 0.0;
  var comp = 0.0;
  for (var sg = segments[g0]; sg < segments[g1]; sg++) {
    let y = partial[sg * params.E + src] - comp;
    let t = s + y;
    comp = (t - s) - y;
    s = t;
  }
  partialsXX[2u * id] = s;
  partialsXX[2u * id + 1u] = -comp;
}

// ---- the update of u ---------------------------------------------------------------------------

// the template Λ_g = T (q × q row-major, lower triangular)
@group(0) @binding(6) var<storage, read> T: array<f32>;
@group(0) @binding(7) var<storage, read> uAcc: array<f32>;
// blockdiag.wgsl's outputs: L_g (row-major q × q, lower), [L_X,g; ℓ_g] (row-major (p+1) × q)
@group(0) @binding(8) var<storage, read> L: array<f32>;
@group(0) @binding(9) var<storage, read> LX: array<f32>;
// Δβ (p values; unused when p = 0)
@group(0) @binding(10) var<storage, read> dbeta: array<f32>;
@group(0) @binding(11) var<storage, read_write> uCand: array<f32>;
// the pass's coefficients: β (p values, written by the host), then b (ngroups q values)
@group(0) @binding(12) var<storage, read_write> coef: array<f32>;
// max |Z_s| over the rows, per column s of the block
@group(0) @binding(13) var<storage, read> zmax: array<f32>;
// per group: ‖u_g‖², the bound on |Δη| in the group
@group(0) @binding(14) var<storage, read_write> perGroupU: array<f32>;
// coupled, mode 3: the step Δu_g the host solved (ngroups q values)
@group(0) @binding(18) var<storage, read> step: array<f32>;

@compute @workgroup_size(WG)
fn update(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
          @builtin(local_invocation_index) lid: u32) {
  let g = linearId(wid, nwg) * WG + lid;
  if (g >= params.ngroups) { return; }
  let q = params.q;
  let p = params.p;
  let o = g * q;
  if (params.mode == 0u) {
    // Δu = L⁻ᵀ (ℓ − L_Xᵀ Δβ) by back substitution, formed in place in uCand, then u = u_acc + Δu
    let lb = g * q * q;
    let lx = g * (p + 1u) * q;
    for (var t = 0u; t < q; t++) {
      var acc = LX[lx + p * q + t];
      for (var r = 0u; r < p; r++) { acc -= LX[lx + r * q + t] * dbeta[r]; }
      uCand[o + t] = acc;
    }
    for (var jj = 0u; jj < q; jj++) {
      let j = q - 1u - jj;
      var acc = uCand[o + j];
      for (var i = j + 1u; i < q; i++) { acc -= L[lb + i * q + j] * uCand[o + i]; }
      uCand[o + j] = acc / L[lb + j * q + j];
    }
    for (var t = 0u; t < q; t++) { uCand[o + t] += uAcc[o + t]; }
  } else if (params.mode == 3u) {
    for (var t = 0u; t < q; t++) { uCand[o + t] = uAcc[o + t] + step[o + t]; }
  } else if (params.mode == 1u) {
    for (var t = 0u; t < q; t++) { uCand[o + t] = 0.5 * (uCand[o + t] + uAcc[o + t]); }
  } else {
    for (var t = 0u; t < q; t++) { uCand[o + t] = uAcc[o + t]; }
  }
  var sq = 0.0;
  var bound = 0.0;
  for (var s = 0u; s < q; s++) {
    let us = uCand[o + s];
    sq += us * us;
    // b = T u (T lower triangular), and T (u − u_acc)
    var b = 0.0;
    var db = 0.0;
    for (var t = 0u; t <= s; t++) {
      let u = uCand[o + t];
      b += T[s * q + t] * u;
      db += T[s * q + t] * (u - uAcc[o + t]);
    }
    coef[p + o + s] = b;
    bound += zmax[s] * abs(db);
  }
  perGroupU[2u * g] = sq;
  perGroupU[2u * g + 1u] = bound;
}

@group(0) @binding(15) var<storage, read> perGroupUIn: array<f32>;
// per chunk: Σ‖u_g‖² and its compensation (Kahan), the largest bound
@group(0) @binding(16) var<storage, read_write> partialsU: array<f32>;

@compute @workgroup_size(WG)
fn updateSums(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
              @builtin(local_invocation_index) lid: u32) {
  let c = linearId(wid, nwg) * WG + lid;
  if (c >= params.nchunks) { return; }
  let g0 = c * params.chunk;
  let g1 = min(params.ngroups, g0 + params.chunk);
  var sq = 0.0;
  var comp = 0.0;
  var worst = 0.0;
  for (var g = g0; g < g1; g++) {
    let y = perGroupUIn[2u * g] - comp;
    let t = sq + y;
    comp = (t - sq) - y;
    sq = t;
    worst = max(worst, perGroupUIn[2u * g + 1u]);
  }
  partialsU[3u * c] = sq;
  partialsU[3u * c + 1u] = -comp;
  partialsU[3u * c + 2u] = worst;
}
