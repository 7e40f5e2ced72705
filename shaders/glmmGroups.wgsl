// The per-group updates of one PIRLS iteration on the device (src/backend/webgpu/glmmGroups.ts), for
// a model with one grouping factor: the Newton step of the penalized weighted least-squares problem
// at the state (u, β), solved group by group,
//   [Λᵀ A_zz Λ + I   Λᵀ A_zX] [Δu]   [Λᵀ a_r − u]
//   [A_Xz Λ          A_XX   ] [Δβ] = [a_X,r     ]
// with A the weighted Gram matrix of [Z X] and a_r = Zᵀ W r, a_X,r = Xᵀ W r the cross-products with
// the working residual r = (y − μ)/(dμ/dη), all from the products of glmmPass.wgsl in the group
// layout (per group, the packed lower triangle of the Gram matrix of [Z X r], one f32 partial per
// segment of ≤ 256 rows). Solving for the step (not the new iterate) keeps the f32 rounding of the
// pass out of the iterate: it perturbs only the step.
//
// `factor`, one thread per group g (Λ_g = T, the template at θ):
//   L_g L_gᵀ = Tᵀ A_zz,g T + I                       (q × q; eigenvalues ≥ 1)
//   L_X,g    = A_Xz,g T L_g⁻ᵀ                        (p × q)
//   ℓ_g      = L_g⁻¹ (Tᵀ a_r,g − u_g)                (q; u the state the Gram matrix was formed at)
//   S_g      = [A_XX,g − L_X,g L_X,gᵀ,  a_X,r,g − L_X,g ℓ_g]   (the group's share of the Schur
//              complement for Δβ: positive semi-definite in its XX part, so the sum over groups
//              has no cancellation)
// writing log|L_g|², S_g (perGroup) and L_g, L_X,g, ℓ_g (factorOut); `reduce` sums perGroup over
// chunks of groups; the host finishes the sums in float64 and solves S_XX Δβ = S_Xr.
// `update`, one thread per group, by `mode`: 0 the step Δu_g = L_g⁻ᵀ (ℓ_g − L_X,gᵀ Δβ) from the
// accepted state, u_g = u_acc,g + Δu_g; 1 the halved step u_g = (u_g + u_acc,g)/2; 2 u_g = u_acc,g
// (a new θ). Then b_g = T u_g into the pass's coefficients (for the next reweight), and per group
// ‖u_g‖² and Σ_s max|Z_s| |T (u_g − u_acc,g)|_s (a bound on the change of η), which `updateSums`
// sums (‖u‖², compensated) and maximizes (the bound) over chunks of groups.

// #include "limits.wgsl"
// #include "groupCholesky.wgsl"

struct Params {
  ngroups: u32,
  q: u32,
  p: u32,
  // packed entries per group of [Z X r], and of S_g with log|L_g|² (R = 1 + p(p+1)/2 + p)
  E: u32,
  R: u32,
  // floats per group of factorOut: q(q+1)/2 + p q + q
  F: u32,
  chunk: u32,
  nchunks: u32,
  mode: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
// each group's first segment, and one past its last (ngroups + 1)
@group(0) @binding(2) var<storage, read> segments: array<u32>;
@group(0) @binding(3) var<storage, read> T: array<f32>;
@group(0) @binding(4) var<storage, read> uAcc: array<f32>;
@group(0) @binding(5) var<storage, read_write> perGroup: array<f32>;
@group(0) @binding(6) var<storage, read_write> factorOut: array<f32>;
// u at the state the pass formed the Gram matrix at (the candidate, accepted or not yet)
@group(0) @binding(17) var<storage, read> uNow: array<f32>;

@compute @workgroup_size(64)
fn factor(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
          @builtin(local_invocation_index) lid: u32) {
  let g = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (g >= params.ngroups) { return; }
  let q = params.q;
  let p = params.p;
  let E = params.E;
  // the group's Gram matrix of [Z X r]: its segments' partials summed
  var A: array<f32, MAXE>;
  for (var e = 0u; e < E; e++) { A[e] = 0.0; }
  for (var sg = segments[g]; sg < segments[g + 1u]; sg++) {
    for (var e = 0u; e < E; e++) { A[e] += partial[sg * E + e]; }
  }
  let rc = q + p; // r's column
  // L_g (Tᵀ A_zz T + I = L Lᵀ) and L_X,g (X rows)
  var L: array<f32, MAXQQ>;
  let logdet = groupCholesky(&A, q, &L);
  var LX: array<f32, MAXLX>;
  groupLX(&A, q, p, &L, &LX);
  // ℓ = L⁻¹ (Tᵀ a_r − u)
  var ell: array<f32, MAXQ>;
  for (var t = 0u; t < q; t++) {
    var acc = -uNow[g * q + t];
    for (var v = t; v < q; v++) { acc += T[v * q + t] * A[packed(rc, v)]; }
    for (var v = 0u; v < t; v++) { acc -= L[t * MAXQ + v] * ell[v]; }
    ell[t] = acc / L[t * MAXQ + t];
  }
  let out = g * params.R;
  perGroup[out] = logdet;
  var e = schurShare(&A, q, p, &LX, out + 1u);
  for (var r = 0u; r < p; r++) {
    var acc = A[packed(rc, q + r)];
    for (var t = 0u; t < q; t++) { acc -= LX[r * MAXQ + t] * ell[t]; }
    perGroup[e] = acc;
    e++;
  }
  let f = writeGroupFactor(&L, &LX, q, p, g * params.F);
  for (var t = 0u; t < q; t++) { factorOut[f + t] = ell[t]; }
}

// per chunk and entry: the sum and its compensation (Kahan summation, as glmmPass.wgsl's chunkSums)
@group(0) @binding(7) var<storage, read_write> partials: array<f32>;

@compute @workgroup_size(64)
fn reduce(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
          @builtin(local_invocation_index) lid: u32) {
  let c = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (c >= params.nchunks) { return; }
  let g0 = c * params.chunk;
  let g1 = min(params.ngroups, g0 + params.chunk);
  for (var e = 0u; e < params.R; e++) {
    var s = 0.0;
    var comp = 0.0;
    for (var g = g0; g < g1; g++) {
      let y = perGroup[g * params.R + e] - comp;
      let t = s + y;
      comp = (t - s) - y;
      s = t;
    }
    partials[2u * (c * params.R + e)] = s;
    partials[2u * (c * params.R + e) + 1u] = -comp;
  }
}

// ---- the update of u ---------------------------------------------------------------------------

@group(0) @binding(8) var<storage, read> factorIn: array<f32>;
// Δβ (p values; unused when p = 0)
@group(0) @binding(9) var<storage, read> dbeta: array<f32>;
@group(0) @binding(10) var<storage, read_write> uCand: array<f32>;
// the pass's coefficients: β (p values, written by the host), then b (ngroups q values)
@group(0) @binding(11) var<storage, read_write> coef: array<f32>;
// max |Z_s| over the rows, per column s of the block
@group(0) @binding(12) var<storage, read> zmax: array<f32>;
// per group: ‖u_g‖², the bound on |Δη| in the group
@group(0) @binding(13) var<storage, read_write> perGroupU: array<f32>;

@compute @workgroup_size(64)
fn update(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
          @builtin(local_invocation_index) lid: u32) {
  let g = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (g >= params.ngroups) { return; }
  let q = params.q;
  let p = params.p;
  let o = g * q;
  var u: array<f32, MAXQ>;
  if (params.mode == 0u) {
    // Δu = L⁻ᵀ (ℓ − L_Xᵀ Δβ): back substitution with the packed lower L
    let fo = g * params.F;
    let lx = fo + q * (q + 1u) / 2u;
    let el = lx + p * q;
    var x: array<f32, MAXQ>;
    for (var t = 0u; t < q; t++) {
      var acc = factorIn[el + t];
      for (var r = 0u; r < p; r++) { acc -= factorIn[lx + r * q + t] * dbeta[r]; }
      x[t] = acc;
    }
    for (var jj = 0u; jj < q; jj++) {
      let j = q - 1u - jj;
      var acc = x[j];
      for (var i = j + 1u; i < q; i++) { acc -= factorIn[fo + i * (i + 1u) / 2u + j] * x[i]; }
      x[j] = acc / factorIn[fo + j * (j + 1u) / 2u + j];
    }
    for (var t = 0u; t < q; t++) { u[t] = uAcc[o + t] + x[t]; }
  } else if (params.mode == 1u) {
    for (var t = 0u; t < q; t++) { u[t] = 0.5 * (uCand[o + t] + uAcc[o + t]); }
  } else {
    for (var t = 0u; t < q; t++) { u[t] = uAcc[o + t]; }
  }
  var sq = 0.0;
  var bound = 0.0;
  for (var s = 0u; s < q; s++) {
    uCand[o + s] = u[s];
    sq += u[s] * u[s];
    // b = T u (T lower triangular), and T (u − u_acc)
    var b = 0.0;
    var db = 0.0;
    for (var t = 0u; t <= s; t++) {
      b += T[s * q + t] * u[t];
      db += T[s * q + t] * (u[t] - uAcc[o + t]);
    }
    coef[p + o + s] = b;
    bound += zmax[s] * abs(db);
  }
  perGroupU[2u * g] = sq;
  perGroupU[2u * g + 1u] = bound;
}

@group(0) @binding(14) var<storage, read> perGroupUIn: array<f32>;
// per chunk: Σ‖u_g‖² and its compensation (Kahan), the largest bound
@group(0) @binding(15) var<storage, read_write> partialsU: array<f32>;

@compute @workgroup_size(64)
fn updateSums(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
              @builtin(local_invocation_index) lid: u32) {
  let c = (wid.x + wid.y * nwg.x) * 64u + lid;
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
