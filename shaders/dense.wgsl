// Dense Cholesky D = L Lᵀ of an SPD m × m matrix (row-major f32, lower triangle used; the strict
// upper triangle is never read or written), its log-determinant, and the right triangular solve
// X = S L⁻ᵀ, all blocked by panels of NB columns. The host (src/backend/webgpu/dense.ts) records
// every panel's dispatches into one command encoder; each dispatch binds its own slice of one
// uniform buffer of per-panel parameters (`panel`), so nothing is written between dispatches.
//
// Factorization, per panel k (columns k0 .. k0+nb, `below` = m − k0 − nb rows under it):
//   (a) diagFactor   ONE workgroup: the nb × nb diagonal block in shared memory, right-looking with
//                    one barrier per column; writes L11, and Σ log pivot into status[2 + k]; a
//                    non-positive pivot is recorded (first failing index + 1 and its value in
//                    status[0], status[1]) and replaced by 1 (the factor is meaningless from there).
//   (b) panelSolve   L21 = A21 L11⁻ᵀ: one thread per row, forward substitution against L11; writes
//                    L21 to A and, transposed, to PT (which the update reads).
//   (c) update       A22 −= L21 L21ᵀ, lower triangle only, over the lower TS × TS tiles of the
//                    trailing matrix (diagonal tiles write only their lower half); a capped number
//                    of workgroups, each looping over tiles. Two variants (same sums, same order):
//                    updateTiled   256 threads, 64 × 64 tiles, both L21 row blocks staged in shared
//                                  memory (K = nb ≤ NB fits in one stage), 4 × 4 outputs per thread:
//                                  for GPUs.
//                    updateDirect  128 threads, 64 × 64 tiles, no shared memory and no barriers,
//                                  each thread an 8 × 4 block read straight from PT as vec4s:
//                                  for CPU drivers (SwiftShader runs a workgroup with barriers as coroutines, one
//                                  per 4 invocations, and that setup costs milliseconds per
//                                  workgroup; without barriers a workgroup is a plain loop).
//   (b) and (c) are skipped for the last panel (below = 0).
//
// Right solve X = S L⁻ᵀ for `rows` rows (S in `rhs`: rows × m, leading dimension m), per panel k:
//   solveDiag    X_k = S_k L11⁻ᵀ, one thread per row, written to `xout`;
//   solveUpdate  S[:, right of the panel] −= X_k L[right, panel]ᵀ, one thread per 4 × 4 block
//                (skipped for the last panel).

const NB: u32 = 32u;       // panel width

struct Panel {
  m: u32,       // matrix order
  k0: u32,      // first column of the panel
  nb: u32,      // panel width: min(NB, m − k0)
  index: u32,   // panel number (its logdet slot)
  below: u32,   // rows below the panel: m − k0 − nb
}

struct Dims {
  rows: u32,    // rows of S in this right solve
}

// status (u32 words): [0] first failing pivot index + 1 (0: none), [1] its value (f32 bits),
// [2 + k] panel k's Σ_j log(pivot_j) (= Σ 2 log L_jj) as f32 bits.
@group(0) @binding(0) var<uniform> panel: Panel;
@group(0) @binding(1) var<storage, read_write> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> status: array<u32>;
// L21ᵀ of the current panel, k-major: PT[k * ldp + r] = L[r][k0 + k] for the rows r below the panel,
// ldp = m rounded up to a multiple of 4 (written by panelSolve; read by the update, whose
// neighbouring threads then read neighbouring words; updateDirect reads it as vec4s, PT4)
@group(0) @binding(7) var<storage, read_write> PT: array<f32>;
@group(0) @binding(8) var<storage, read> PT4: array<vec4f>;

fn ldPT() -> u32 { return (panel.m + 3u) & ~3u; }

var<workgroup> d11: array<f32, 1024>;  // NB × NB diagonal block
var<workgroup> sd: array<f32, 32>;     // its pivots' square roots
var<workgroup> red: array<f32, 32>;    // log pivots, reduced

@compute @workgroup_size(64)
fn diagFactor(@builtin(local_invocation_index) lid: u32) {
  let m = panel.m;
  let k0 = panel.k0;
  let nb = panel.nb;
  for (var e = lid; e < NB * NB; e += 64u) {
    let i = e / NB;
    let l = e % NB;
    var v = 0.0;
    if (i < nb && l <= i) { v = A[(k0 + i) * m + k0 + l]; }
    d11[e] = v;
  }
  // right-looking, unscaled (LDLᵀ-like): after step j, d11[i][l] (l > j) holds
  // A[i][l] − Σ_{t ≤ j} a_it a_lt / p_t; the final scaling divides column l by √p_l.
  let i = lid >> 1u;     // two threads per row
  let lane = lid & 1u;
  for (var j = 0u; j < nb; j++) {
    workgroupBarrier();
    var piv = d11[j * NB + j];
    if (!(piv > 0.0)) {
      if (lid == 0u && status[0] == 0u) {
        status[0] = k0 + j + 1u;
        status[1] = bitcast<u32>(piv);
      }
      piv = 1.0;
    }
    let inv = 1.0 / piv;
    if (i > j && i < nb) {
      let f = d11[i * NB + j] * inv;
      for (var l = j + 1u + lane; l <= i; l += 2u) {
        d11[i * NB + l] -= f * d11[l * NB + j];
      }
    }
  }
  workgroupBarrier();
  if (lid < NB) {
    var p = 1.0;
    var lg = 0.0;
    if (lid < nb) {
      p = d11[lid * NB + lid];
      if (!(p > 0.0)) { p = 1.0; }
      lg = log(p);
    }
    sd[lid] = sqrt(p);
    red[lid] = lg;
  }
  workgroupBarrier();
  for (var e = lid; e < NB * NB; e += 64u) {
    let r = e / NB;
    let c = e % NB;
    if (r < nb && c <= r) {
      var v = sd[c];
      if (c < r) { v = d11[e] / sd[c]; }
      A[(k0 + r) * m + k0 + c] = v;
    }
  }
  // pairwise sum of the log pivots (accurate to a few f32 ulps of the panel's sum)
  for (var s = NB / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s) { red[lid] += red[lid + s]; }
  }
  if (lid == 0u) { status[2u + panel.index] = bitcast<u32>(red[0]); }
}

@compute @workgroup_size(64)
fn panelSolve(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
              @builtin(local_invocation_index) lid: u32) {
  let m = panel.m;
  let k0 = panel.k0;
  let nb = panel.nb;
  let nthreads = nwg.x * nwg.y * 64u;
  let ldp = ldPT();
  var x: array<f32, 32>;
  for (var r = k0 + nb + (wid.x + wid.y * nwg.x) * 64u + lid; r < m; r += nthreads) {
    // row r of L21 solves L11 xᵀ = a_rᵀ
    let base = r * m + k0;
    for (var j = 0u; j < nb; j++) {
      let lj = (k0 + j) * m + k0;
      var s = A[base + j];
      for (var l = 0u; l < j; l++) { s -= A[lj + l] * x[l]; }
      x[j] = s / A[lj + j];
    }
    for (var j = 0u; j < nb; j++) {
      A[base + j] = x[j];
      PT[j * ldp + r] = x[j];
    }
  }
}

// lower tile t → (ti, tj), tj ≤ ti, t = ti (ti + 1) / 2 + tj
fn lowerTile(t: u32) -> vec2u {
  var ti = u32((sqrt(8.0 * f32(t) + 1.0) - 1.0) * 0.5);
  if (ti * (ti + 1u) / 2u > t) { ti -= 1u; }
  if ((ti + 1u) * (ti + 2u) / 2u <= t) { ti += 1u; }
  return vec2u(ti, t - ti * (ti + 1u) / 2u);
}

var<workgroup> ta: array<f32, 2048>;   // NB × 64: L21 rows of the output tile's row block, k-major
var<workgroup> tb: array<f32, 2048>;   // NB × 64: L21 rows of its column block, k-major

@compute @workgroup_size(256)
fn updateTiled(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
               @builtin(local_invocation_index) lid: u32) {
  const TS = 64u;
  let m = panel.m;
  let k0 = panel.k0;
  let nb = panel.nb;
  let r0 = k0 + nb;             // first row / column of the trailing matrix
  let nt = (panel.below + TS - 1u) / TS;
  let ntiles = nt * (nt + 1u) / 2u;
  let ldp = ldPT();
  let tx = lid % 16u;
  let ty = lid / 16u;
  for (var t = wid.x + wid.y * nwg.x; t < ntiles; t += nwg.x * nwg.y) {
    let tile = lowerTile(t);
    let i0 = r0 + tile.x * TS;
    let j0 = r0 + tile.y * TS;
    workgroupBarrier();  // the previous tile's reads of ta / tb are done
    for (var e = lid; e < NB * TS; e += 256u) {
      let row = e % TS;
      let k = e / TS;
      var va = 0.0;
      var vb = 0.0;
      if (k < nb) {
        if (i0 + row < m) { va = PT[k * ldp + i0 + row]; }
        if (j0 + row < m) { vb = PT[k * ldp + j0 + row]; }
      }
      ta[e] = va;
      tb[e] = vb;
    }
    workgroupBarrier();
    // rows ty + 16a, columns tx + 16b
    var acc0 = vec4f(0.0);
    var acc1 = vec4f(0.0);
    var acc2 = vec4f(0.0);
    var acc3 = vec4f(0.0);
    for (var k = 0u; k < nb; k++) {
      let b = vec4f(tb[k * TS + tx], tb[k * TS + tx + 16u], tb[k * TS + tx + 32u], tb[k * TS + tx + 48u]);
      acc0 += ta[k * TS + ty] * b;
      acc1 += ta[k * TS + ty + 16u] * b;
      acc2 += ta[k * TS + ty + 32u] * b;
      acc3 += ta[k * TS + ty + 48u] * b;
    }
    for (var b = 0u; b < 4u; b++) {
      let j = j0 + tx + 16u * b;
      var i = i0 + ty;
      if (i < m && j <= i) { A[i * m + j] -= acc0[b]; }
      i += 16u;
      if (i < m && j <= i) { A[i * m + j] -= acc1[b]; }
      i += 16u;
      if (i < m && j <= i) { A[i * m + j] -= acc2[b]; }
      i += 16u;
      if (i < m && j <= i) { A[i * m + j] -= acc3[b]; }
    }
  }
}

@compute @workgroup_size(128)
fn updateDirect(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(local_invocation_index) lid: u32) {
  const TS = 64u;
  let m = panel.m;
  let nb = panel.nb;
  let r0 = panel.k0 + nb;       // a multiple of 4 (of NB) whenever there is a trailing matrix
  let nt = (panel.below + TS - 1u) / TS;
  let ntiles = nt * (nt + 1u) / 2u;
  let ldv = ldPT() / 4u;        // vec4s per PT row
  let last = nb * ldv - 1u;     // rows past m read inside PT (values never written back)
  // this thread's 8 × 4 block: rows i .. i+7, columns j .. j+3 of the tile (2 + 1 vec4 loads per k)
  let di = (lid / 16u) * 8u;
  let dj = (lid % 16u) * 4u;
  for (var t = wid.x + wid.y * nwg.x; t < ntiles; t += nwg.x * nwg.y) {
    let tile = lowerTile(t);
    let i = r0 + tile.x * TS + di;
    let j = r0 + tile.y * TS + dj;
    if (i >= m || j > i + 7u) { continue; }  // below the matrix, or above the diagonal
    var acc0 = vec4f(0.0);
    var acc1 = vec4f(0.0);
    var acc2 = vec4f(0.0);
    var acc3 = vec4f(0.0);
    var acc4 = vec4f(0.0);
    var acc5 = vec4f(0.0);
    var acc6 = vec4f(0.0);
    var acc7 = vec4f(0.0);
    for (var k = 0u; k < nb; k++) {
      let o = k * ldv;
      let b = PT4[min(o + j / 4u, last)];
      let lo = PT4[min(o + i / 4u, last)];
      let hi = PT4[min(o + i / 4u + 1u, last)];
      acc0 += lo.x * b;
      acc1 += lo.y * b;
      acc2 += lo.z * b;
      acc3 += lo.w * b;
      acc4 += hi.x * b;
      acc5 += hi.y * b;
      acc6 += hi.z * b;
      acc7 += hi.w * b;
    }
    for (var c = 0u; c < 4u; c++) {
      let jc = j + c;
      if (jc <= i) { A[i * m + jc] -= acc0[c]; }
      if (jc <= i + 1u && i + 1u < m) { A[(i + 1u) * m + jc] -= acc1[c]; }
      if (jc <= i + 2u && i + 2u < m) { A[(i + 2u) * m + jc] -= acc2[c]; }
      if (jc <= i + 3u && i + 3u < m) { A[(i + 3u) * m + jc] -= acc3[c]; }
      if (jc <= i + 4u && i + 4u < m) { A[(i + 4u) * m + jc] -= acc4[c]; }
      if (jc <= i + 5u && i + 5u < m) { A[(i + 5u) * m + jc] -= acc5[c]; }
      if (jc <= i + 6u && i + 6u < m) { A[(i + 6u) * m + jc] -= acc6[c]; }
      if (jc <= i + 7u && i + 7u < m) { A[(i + 7u) * m + jc] -= acc7[c]; }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Right solve

@group(0) @binding(3) var<uniform> dims: Dims;
@group(0) @binding(4) var<storage, read> L: array<f32>;
@group(0) @binding(5) var<storage, read_write> rhs: array<f32>;
@group(0) @binding(6) var<storage, read_write> xout: array<f32>;

@compute @workgroup_size(64)
fn solveDiag(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) lid: u32) {
  let r = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (r >= dims.rows) { return; }
  let m = panel.m;
  let k0 = panel.k0;
  let nb = panel.nb;
  let base = r * m + k0;
  var x: array<f32, 32>;
  for (var j = 0u; j < nb; j++) {
    let lj = (k0 + j) * m + k0;
    var s = rhs[base + j];
    for (var l = 0u; l < j; l++) { s -= L[lj + l] * x[l]; }
    x[j] = s / L[lj + j];
    xout[base + j] = x[j];
  }
}

@compute @workgroup_size(64)
fn solveUpdate(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
               @builtin(local_invocation_index) lid: u32) {
  let m = panel.m;
  let k0 = panel.k0;
  let nb = panel.nb;
  let rows = dims.rows;
  let ncg = (panel.below + 3u) / 4u;   // column groups of 4
  let g = (wid.x + wid.y * nwg.x) * 64u + lid;
  let r = (g / ncg) * 4u;
  let c = k0 + nb + (g % ncg) * 4u;
  if (r >= rows) { return; }
  // rows / columns past the end read the last one (never written back)
  let x0 = r * m + k0;
  let x1 = min(r + 1u, rows - 1u) * m + k0;
  let x2 = min(r + 2u, rows - 1u) * m + k0;
  let x3 = min(r + 3u, rows - 1u) * m + k0;
  let l0 = c * m + k0;
  let l1 = min(c + 1u, m - 1u) * m + k0;
  let l2 = min(c + 2u, m - 1u) * m + k0;
  let l3 = min(c + 3u, m - 1u) * m + k0;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var k = 0u; k < nb; k++) {
    let l = vec4f(L[l0 + k], L[l1 + k], L[l2 + k], L[l3 + k]);
    acc0 += xout[x0 + k] * l;
    acc1 += xout[x1 + k] * l;
    acc2 += xout[x2 + k] * l;
    acc3 += xout[x3 + k] * l;
  }
  for (var b = 0u; b < 4u; b++) {
    let cb = c + b;
    if (cb < m) {
      rhs[r * m + cb] -= acc0[b];
      if (r + 1u < rows) { rhs[(r + 1u) * m + cb] -= acc1[b]; }
      if (r + 2u < rows) { rhs[(r + 2u) * m + cb] -= acc2[b]; }
      if (r + 3u < rows) { rhs[(r + 3u) * m + cb] -= acc3[b]; }
    }
  }
}
