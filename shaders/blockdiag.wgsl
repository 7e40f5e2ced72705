// Per θ, the first grouping factor's part of the blocked Cholesky factor (Bates et al. 2015, eqs.
// 18–20 for block 0), from that factor's blocks of the float64 Gram matrix A, uploaded once in f32:
// per group g, A_zz,g (q × q) and A_Xz,g ((p+1) × q, the rows of [X y]). For each group
//   L_g L_gᵀ = Tᵀ A_zz,g T + I              (q × q, Λ_g = T; eigenvalues ≥ 1: well conditioned in f32)
//   L_X,g    = A_Xz,g T L_g⁻ᵀ                ((p+1) × q)
// and the sums over groups, by chunks of groups (compensated f32 partials, which the host adds in
// float64 and subtracts from A_XX, exact in float64: S = A_XX − Σ_g L_X,g L_X,gᵀ, whose Cholesky
// gives log|R_X|² and r², eq. 20):
//   Σ_g log|L_g|²   and   Σ_g L_X,g L_X,gᵀ   ((p+1) × (p+1), packed lower triangle).
// No size limit on q or p: the working matrices are the outputs in storage, not per-thread arrays.
//
//   factorThread  one thread per group (small q): M = Tᵀ A T + I formed in place of L_g, then its
//                 Cholesky, right-looking and unscaled (an LDLᵀ whose columns are scaled at the end);
//   factorGroup   one workgroup per group (large q): the same steps with the entries, columns and
//                 trailing updates spread over the workgroup's threads, one barrier per column of
//                 the Cholesky (blocked updates, not one thread per group);
//   solveLX       one thread per (group, row of [X y]): the row of A_Xz,g T (minus the group's
//                 `shift` in row `shiftRow`: the GLMM's ℓ_g = L_g⁻¹ (Tᵀ a_r,g − u_g), glmmGroups.wgsl),
//                 then the forward substitution with L_g, in place in L_X;
//   sums          one workgroup per (tile of TILE × TILE entries of the lower triangle, chunk of
//                 groups), one thread per entry: Σ over the chunk's groups of (L_X,g L_X,gᵀ)_ab,
//                 Kahan-compensated; the first tile's first thread also sums the chunk's log|L_g|².
// Storage: L_g row-major q × q (its strict upper triangle is scratch), L_X,g row-major (p+1) × q.
// The LMM (blockdiag.ts) uploads A_zz,g and A_Xz,g from the float64 Gram matrix; the GLMM's per-group
// updates (glmmGroups.ts) gather them on the device from its weighted pass and run the same kernels.

const WG: u32 = 64u;
// the sums' output tile: TILE × TILE entries, one per thread of a WG-thread workgroup
const TILE: u32 = 8u;

struct Params {
  // groups in this slab (the host splits the groups into slabs within the buffer limits)
  ngroups: u32,
  q: u32,
  p1: u32,
  // groups per chunk of the sums, and chunks
  chunk: u32,
  nchunks: u32,
  // tiles per side of the (p+1) × (p+1) sum (⌈p1 / TILE⌉) and the lower tiles, ntiles (ntiles + 1) / 2
  ntiles: u32,
  tilePairs: u32,
  // entries per chunk of `partials`: 1 (Σ log|L_g|²) + p1 (p1 + 1) / 2
  E: u32,
  // the row of [X y] from which solveLX subtracts the group's `shift` (q values per group), or p1: none
  shiftRow: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> Azz: array<f32>;
@group(0) @binding(2) var<storage, read> AXz: array<f32>;
@group(0) @binding(3) var<storage, read> T: array<f32>;
@group(0) @binding(4) var<storage, read_write> L: array<f32>;
@group(0) @binding(5) var<storage, read_write> logdet: array<f32>;
@group(0) @binding(6) var<storage, read_write> LX: array<f32>;
// per chunk and entry: (sum, compensation)
@group(0) @binding(7) var<storage, read_write> partials: array<f32>;
// per group q values subtracted from row shiftRow of A_Xz,g T (unused when shiftRow = p1)
@group(0) @binding(8) var<storage, read> shift: array<f32>;

fn linearId(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.x + wid.y * nwg.x;
}

// L_g ← A_zz,g T (all q × q entries): (A T)_st = Σ_{v ≥ t} A_sv T_vt, T lower triangular
fn formAT(base: u32, q: u32, e: u32) {
  let s = e / q;
  let t = e % q;
  var acc = 0.0;
  for (var v = t; v < q; v++) { acc += Azz[base + s * q + v] * T[v * q + t]; }
  L[base + s * q + t] = acc;
}

// column t of M = Tᵀ (A T) + I, rows s ≥ t, in place of (A T)'s column t: M_st needs (A T)_ut for
// u ≥ s only, so ascending s never reads an entry already overwritten
fn formMColumn(base: u32, q: u32, t: u32) {
  for (var s = t; s < q; s++) {
    var acc = select(0.0, 1.0, s == t);
    for (var u = s; u < q; u++) { acc += T[u * q + s] * L[base + u * q + t]; }
    L[base + s * q + t] = acc;
  }
}

@compute @workgroup_size(64)
fn factorThread(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(local_invocation_index) lid: u32) {
  let g = linearId(wid, nwg) * WG + lid;
  if (g >= params.ngroups) { return; }
  let q = params.q;
  let base = g * q * q;
  for (var e = 0u; e < q * q; e++) { formAT(base, q, e); }
  for (var t = 0u; t < q; t++) { formMColumn(base, q, t); }
  // right-looking, unscaled: after step j, L_il (l > j) holds M_il − Σ_{k ≤ j} a_ik a_lk / p_k
  var ld = 0.0;
  for (var j = 0u; j < q; j++) {
    let pj = max(L[base + j * q + j], 1e-30);
    ld += log(pj);
    for (var i = j + 1u; i < q; i++) {
      let f = L[base + i * q + j] / pj;
      for (var k = j + 1u; k <= i; k++) { L[base + i * q + k] -= f * L[base + k * q + j]; }
    }
  }
  // scale column l by 1/√p_l (L_ll = √p_l)
  for (var l = 0u; l < q; l++) {
    let d = sqrt(max(L[base + l * q + l], 1e-30));
    L[base + l * q + l] = d;
    for (var i = l + 1u; i < q; i++) { L[base + i * q + l] /= d; }
  }
  logdet[g] = ld;
}

var<workgroup> ldShared: array<f32, 64>;

@compute @workgroup_size(64)
fn factorGroup(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
               @builtin(local_invocation_index) lid: u32) {
  // one workgroup per group: every thread takes part in every barrier, so the group index is
  // checked inside the loops (a whole workgroup past the end does no work)
  let g = linearId(wid, nwg);
  let live = g < params.ngroups;
  let q = params.q;
  let base = min(g, params.ngroups - 1u) * q * q;
  if (live) { for (var e = lid; e < q * q; e += WG) { formAT(base, q, e); } }
  storageBarrier();
  workgroupBarrier();
  if (live) { for (var t = lid; t < q; t += WG) { formMColumn(base, q, t); } }
  storageBarrier();
  workgroupBarrier();
  // right-looking, unscaled, as factorThread: in step j every thread reads column j (not written in
  // step j) and updates its share of the trailing lower triangle, rows and columns > j
  for (var j = 0u; j < q; j++) {
    if (live) {
      let pj = max(L[base + j * q + j], 1e-30);
      let m = q - j - 1u;
      for (var e = lid; e < m * (m + 1u) / 2u; e += WG) {
        // e → (i, k), j < k ≤ i < q, by rows of the trailing triangle
        let r = u32((sqrt(8.0 * f32(e) + 1.0) - 1.0) * 0.5);
        var ii = r;
        if ((ii + 1u) * (ii + 2u) / 2u <= e) { ii += 1u; }
        if (ii * (ii + 1u) / 2u > e) { ii -= 1u; }
        let i = j + 1u + ii;
        let k = j + 1u + (e - ii * (ii + 1u) / 2u);
        L[base + i * q + k] -= L[base + i * q + j] * L[base + k * q + j] / pj;
      }
    }
    storageBarrier();
    workgroupBarrier();
  }
  var ld = 0.0;
  if (live) {
    for (var l = lid; l < q; l += WG) { ld += log(max(L[base + l * q + l], 1e-30)); }
  }
  ldShared[lid] = ld;
  storageBarrier();
  workgroupBarrier();
  if (live) {
    // scale: L_il = a_il / √p_l below the diagonal, L_ll = √p_l (rows spread over the threads)
    for (var i = lid; i < q; i += WG) {
      for (var l = 0u; l < i; l++) { L[base + i * q + l] /= sqrt(max(L[base + l * q + l], 1e-30)); }
    }
  }
  storageBarrier();
  workgroupBarrier();
  if (live) {
    for (var l = lid; l < q; l += WG) { L[base + l * q + l] = sqrt(max(L[base + l * q + l], 1e-30)); }
    if (lid == 0u) {
      var s = 0.0;
      for (var t = 0u; t < WG; t++) { s += ldShared[t]; }
      logdet[g] = s;
    }
  }
}

@compute @workgroup_size(64)
fn solveLX(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let id = linearId(wid, nwg) * WG + lid;
  let q = params.q;
  let p1 = params.p1;
  if (id >= params.ngroups * p1) { return; }
  let g = id / p1;
  let o = id * q;      // row r = id % p1 of group g: (g p1 + r) q
  let lb = g * q * q;
  // (A_Xz,g T)_rt (− shift_g in row shiftRow), then L_g x = (…)ᵀ by forward substitution, in place
  let shifted = id % p1 == params.shiftRow;
  for (var t = 0u; t < q; t++) {
    var acc = 0.0;
    for (var v = t; v < q; v++) { acc += AXz[o + v] * T[v * q + t]; }
    if (shifted) { acc -= shift[g * q + t]; }
    LX[o + t] = acc;
  }
  for (var t = 0u; t < q; t++) {
    var acc = LX[o + t];
    for (var v = 0u; v < t; v++) { acc -= L[lb + t * q + v] * LX[o + v]; }
    LX[o + t] = acc / L[lb + t * q + t];
  }
}

@compute @workgroup_size(64)
fn sums(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let w = linearId(wid, nwg);
  let tp = w % params.tilePairs;
  let c = w / params.tilePairs;
  if (c >= params.nchunks) { return; }
  // tile pair tp → (A, B), B ≤ A, by rows of the lower triangle of tiles
  var A = u32((sqrt(8.0 * f32(tp) + 1.0) - 1.0) * 0.5);
  if ((A + 1u) * (A + 2u) / 2u <= tp) { A += 1u; }
  if (A * (A + 1u) / 2u > tp) { A -= 1u; }
  let B = tp - A * (A + 1u) / 2u;
  let a = A * TILE + lid / TILE;
  let b = B * TILE + lid % TILE;
  let q = params.q;
  let p1 = params.p1;
  let g0 = c * params.chunk;
  let g1 = min(params.ngroups, g0 + params.chunk);
  let out = 2u * c * params.E;
  if (tp == 0u && lid == 0u) {
    var s = 0.0;
    var comp = 0.0;
    for (var g = g0; g < g1; g++) {
      let y = logdet[g] - comp;
      let t = s + y;
      comp = (t - s) - y;
      s = t;
    }
    partials[out] = s;
    partials[out + 1u] = -comp;
  }
  if (a >= p1 || b > a) { return; }
  var s = 0.0;
  var comp = 0.0;
  for (var g = g0; g < g1; g++) {
    let ra = (g * p1 + a) * q;
    let rb = (g * p1 + b) * q;
    var v = 0.0;
    for (var t = 0u; t < q; t++) { v += LX[ra + t] * LX[rb + t]; }
    let y = v - comp;
    let t = s + y;
    comp = (t - s) - y;
    s = t;
  }
  let e = out + 2u * (1u + a * (a + 1u) / 2u + b);
  partials[e] = s;
  partials[e + 1u] = -comp;
}
