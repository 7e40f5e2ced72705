// The parametric bootstrap's data pass for a batch of B replicates (src/inference/bootstrap.ts; the
// float64 CPU twin is src/backend/cpu/bootstrapGram.ts, which these kernels reproduce in f32): simulate
//   y*_i = x_i·β̂_c + Σ_k z_ki·b*_k,g + σ ε_i,   b*_k,g = σ T_k u_k,g,   u, ε ~ N(0, 1)
// and sum, per segment of rows, z_ki y*_i (per level of each factor k), x_i y*_i and y*_i²; the host
// finishes the sums per level and overall in float64. Three kernels, no per-thread arrays (any q, p and
// number of grouping factors; only the device's buffer sizes bound a batch):
//   effects   one thread per (level entry g·q + s of block k, replicate): b*_k
//   response  one thread per (row, replicate): y*
//   sums      one thread per (segment, column, replicate): Σ over the segment's rows of column · y*
//             (the column w is y*² itself)
// The normal draws are those of src/model/random.ts: Threefry-2x32-20 keyed by
// (seedLo ⊕ (replicate + 1)·0x9e3779b9, stream), counter (index >> 1, seedHi), Box–Muller, index & 1
// picking cos or sin; ε uses the row's position in the first factor's level order (the CPU pass's order,
// src/backend/cpu/bootstrapGram.ts groupOrder), u_k the index g·q_k + t in stream STREAM_U + k.
// Rows: in that order, row-major, w = Σ_k q_k + p columns: Z_0 … Z_{K−1} (the blocks' Z), then X_c.

const STREAM_EPS: u32 = 0u;
const STREAM_U: u32 = 1u;

struct Params {
  // the batch
  B: u32,
  rep0: u32,
  seedLo: u32,
  seedHi: u32,
  sigma: f32,
  n: u32,
  // columns of a row (Σ_k q_k + p), fixed effects p, grouping factors K
  w: u32,
  p: u32,
  K: u32,
  // effects: block k with nl levels of q, its T at coef[tOff], its b* at bOut[bOff]
  k: u32,
  nl: u32,
  q: u32,
  tOff: u32,
  bOff: u32,
  // sums: nseg segments of perm (segStart), columns col0 … col0 + ncols − 1, written at partials[pOff]
  nseg: u32,
  col0: u32,
  ncols: u32,
  pOff: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> rows: array<f32>;
// the level of each factor per row: codes[row · K + k]
@group(0) @binding(2) var<storage, read> codes: array<u32>;
// per factor: q_k, its first Z column in a row, the offset of its b* (in entries × B)
@group(0) @binding(3) var<storage, read> factors: array<u32>;
// β̂_c (p), then each factor's T_k (q_k × q_k, row-major, lower)
@group(0) @binding(4) var<storage, read> coef: array<f32>;
// b*: per factor, (level · q_k + s) · B + r
@group(0) @binding(5) var<storage, read_write> bOut: array<f32>;
@group(0) @binding(6) var<storage, read> bIn: array<f32>;
// y*: row · B + r
@group(0) @binding(7) var<storage, read_write> yOut: array<f32>;
@group(0) @binding(8) var<storage, read> yIn: array<f32>;
// the rows in a factor's level order, cut into segments of one level: perm[segStart[s] … segStart[s + 1])
@group(0) @binding(9) var<storage, read> perm: array<u32>;
@group(0) @binding(10) var<storage, read> segStart: array<u32>;
// per (segment, column, replicate): the segment's partial sum
@group(0) @binding(11) var<storage, read_write> partials: array<f32>;

fn rotl(x: u32, r: u32) -> u32 { return (x << r) | (x >> (32u - r)); }

// Threefry-2x32 with 20 rounds (Random123's rotations 13 15 26 6 17 29 16 24)
fn threefry(k0: u32, k1: u32, c0: u32, c1: u32) -> vec2u {
  let ks = array<u32, 3>(k0, k1, k0 ^ k1 ^ 0x1bd11bdau);
  let rot = array<u32, 8>(13u, 15u, 26u, 6u, 17u, 29u, 16u, 24u);
  var x0 = c0 + k0;
  var x1 = c1 + k1;
  for (var s = 1u; s <= 5u; s++) {
    let o = ((s - 1u) & 1u) * 4u;
    for (var j = 0u; j < 4u; j++) {
      x0 = x0 + x1;
      x1 = rotl(x1, rot[o + j]) ^ x0;
    }
    x0 = x0 + ks[s % 3u];
    x1 = x1 + ks[(s + 1u) % 3u] + s;
  }
  return vec2u(x0, x1);
}

// log, cos and sin of our own: WGSL lets log err by 2^-21 absolute near 1 and cos/sin by 2^-11
// absolute, which would move a draw by up to 1e-3; these are accurate to a few f32 ulps.

// log x for x > 0: x = m 2^e, m ∈ [0.5, 1), log m = 2 atanh(s), s = (m − 1)/(m + 1) ∈ [−1/3, 0)
fn logAccurate(x: f32) -> f32 {
  let fe = frexp(x);
  let m = fe.fract;
  let s = (m - 1.0) / (m + 1.0);
  let s2 = s * s;
  var poly = 1.0 / 15.0;
  poly = 1.0 / 13.0 + s2 * poly;
  poly = 1.0 / 11.0 + s2 * poly;
  poly = 1.0 / 9.0 + s2 * poly;
  poly = 1.0 / 7.0 + s2 * poly;
  poly = 1.0 / 5.0 + s2 * poly;
  poly = 1.0 / 3.0 + s2 * poly;
  poly = 1.0 + s2 * poly;
  return 2.0 * s * poly + f32(fe.exp) * 0.6931471805599453;
}

// (cos 2πt, sin 2πt) for t ∈ [0, 1): octant k of t, then the Taylor series at the octant's centre
fn cosSin2pi(t: f32) -> vec2f {
  let t8 = t * 8.0;
  let k = min(floor(t8), 7.0);
  let x = (t8 - k - 0.5) * 0.7853981633974483;
  let x2 = x * x;
  let sx = x * (1.0 - x2 / 6.0 * (1.0 - x2 / 20.0 * (1.0 - x2 / 42.0 * (1.0 - x2 / 72.0))));
  let cx = 1.0 - x2 / 2.0 * (1.0 - x2 / 12.0 * (1.0 - x2 / 30.0 * (1.0 - x2 / 56.0)));
  // centre c = (k + ½) π/4: cos c and sin c
  let cc = array<f32, 8>(0.9238795325112867, 0.3826834323650898, -0.3826834323650898, -0.9238795325112867,
                         -0.9238795325112867, -0.3826834323650898, 0.3826834323650898, 0.9238795325112867);
  let sc = array<f32, 8>(0.3826834323650898, 0.9238795325112867, 0.9238795325112867, 0.3826834323650898,
                         -0.3826834323650898, -0.9238795325112867, -0.9238795325112867, -0.3826834323650898);
  let i = u32(k);
  return vec2f(cc[i] * cx - sc[i] * sx, sc[i] * cx + cc[i] * sx);
}

fn normal(rep: u32, stream: u32, index: u32) -> f32 {
  let key = params.seedLo ^ ((rep + 1u) * 0x9e3779b9u);
  let w = threefry(key, stream, index >> 1u, params.seedHi);
  let u1 = (f32(w.x) + 0.5) / 4294967296.0;
  let u2 = (f32(w.y) + 0.5) / 4294967296.0;
  // −log u1, also accurate when u1 is near 1: from v = 1 − u1, exact for small v
  let v = (f32(~w.x) + 0.5) / 4294967296.0;
  var l = -logAccurate(u1);
  if (v < 0.01) { l = v * (1.0 + v * (0.5 + v * (0.3333333333 + v * 0.25))); }
  let r = sqrt(2.0 * l);
  let cs = cosSin2pi(u2);
  if ((index & 1u) == 0u) { return r * cs.x; }
  return r * cs.y;
}

fn invocation(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * 64u + lid;
}

// b*_k,g,s = σ Σ_{t ≤ s} T_k[s][t] u_k,g,t
@compute @workgroup_size(64)
fn effects(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let t = invocation(wid, nwg, lid);
  let B = params.B;
  let q = params.q;
  if (t >= params.nl * q * B) { return; }
  let r = t % B;
  let e = t / B;
  let g = e / q;
  let s = e % q;
  let rep = params.rep0 + r;
  var acc = 0.0;
  for (var u = 0u; u <= s; u++) {
    acc += coef[params.tOff + s * q + u] * normal(rep, STREAM_U + params.k, g * q + u);
  }
  bOut[params.bOff + e * B + r] = params.sigma * acc;
}

// y*_i = σ ε_i + Σ_k z_ki·b*_k + x_i·β̂_c
@compute @workgroup_size(64)
fn response(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let t = invocation(wid, nwg, lid);
  let B = params.B;
  if (t >= params.n * B) { return; }
  let r = t % B;
  let i = t / B;
  let w = params.w;
  let p = params.p;
  let K = params.K;
  let base = i * w;
  var y = params.sigma * normal(params.rep0 + r, STREAM_EPS, i);
  for (var k = 0u; k < K; k++) {
    let q = factors[3u * k];
    let z0 = base + factors[3u * k + 1u];
    let b0 = (factors[3u * k + 2u] + codes[i * K + k] * q) * B + r;
    for (var s = 0u; s < q; s++) { y += rows[z0 + s] * bIn[b0 + s * B]; }
  }
  let x0 = base + w - p;
  for (var j = 0u; j < p; j++) { y += rows[x0 + j] * coef[j]; }
  yOut[i * B + r] = y;
}

// Σ over segment s's rows of column c · y*, or y*² for column w
@compute @workgroup_size(64)
fn sums(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let t = invocation(wid, nwg, lid);
  let B = params.B;
  let ncols = params.ncols;
  if (t >= params.nseg * ncols * B) { return; }
  let r = t % B;
  let sc = t / B;
  let c = params.col0 + sc % ncols;
  let s = sc / ncols;
  let w = params.w;
  var acc = 0.0;
  for (var e = segStart[s]; e < segStart[s + 1u]; e++) {
    let i = perm[e];
    let y = yIn[i * B + r];
    if (c == w) { acc += y * y; } else { acc += rows[i * w + c] * y; }
  }
  partials[params.pOff + t] = acc;
}
