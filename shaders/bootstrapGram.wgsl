// The parametric bootstrap's data pass for a batch of B replicates (src/inference/bootstrap.ts; the
// float64 CPU twin is src/backend/cpu/bootstrapGram.ts, which this kernel reproduces in f32): for a
// model with one grouping factor, each thread takes one (segment, replicate) pair, simulates
//   y*_i = x_i·β̂_c + z_i·b*_g + σ ε_i,   b*_g = σ T_c u_g,   u_g, ε_i ~ N(0, 1)
// over the segment's rows (one group), and writes the segment's partial sums of z_i y*_i (q),
// x_i y*_i (p) and y*_i² (1); the host finishes the sums per group and overall in float64.
// The normal draws are those of src/model/random.ts: Threefry-2x32-20 keyed by
// (seedLo ⊕ (replicate + 1)·0x9e3779b9, stream), counter (index >> 1, seedHi), Box–Muller, index & 1
// picking cos or sin; ε uses the row's position in the group-sorted order (the CPU pass's order,
// src/backend/cpu/bootstrapGram.ts groupOrder), u_g the index g·q + t.
// Rows: group-sorted, row-major, w = q + p columns z_0..z_{q-1} (Z_c), x_0..x_{p-1} (X_c).

const MAXQ: u32 = 8u;
const MAXP: u32 = 15u;
const STREAM_EPS: u32 = 0u;
const STREAM_U: u32 = 1u;

struct Params {
  nseg: u32,
  B: u32,
  q: u32,
  p: u32,
  seedLo: u32,
  seedHi: u32,
  rep0: u32,
  sigma: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> rows: array<f32>;
@group(0) @binding(2) var<storage, read> segStart: array<u32>;
@group(0) @binding(3) var<storage, read> segGroup: array<u32>;
// β̂_c (p), then T_c (q × q, row-major, lower)
@group(0) @binding(4) var<storage, read> coef: array<f32>;
// per (segment, replicate): q + p + 1 partial sums
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;

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

@compute @workgroup_size(64)
fn batch(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
         @builtin(local_invocation_index) lid: u32) {
  let t = (wid.x + wid.y * nwg.x) * 64u + lid;
  let B = params.B;
  if (t >= params.nseg * B) { return; }
  let s = t / B;
  let r = t % B;
  let rep = params.rep0 + r;
  let q = params.q;
  let p = params.p;
  let w = q + p;
  let g = segGroup[s];
  let sigma = params.sigma;
  // b*_g = σ T_c u_g
  var u: array<f32, MAXQ>;
  for (var k = 0u; k < q; k++) { u[k] = normal(rep, STREAM_U, g * q + k); }
  var b: array<f32, MAXQ>;
  for (var a = 0u; a < q; a++) {
    var acc = 0.0;
    for (var k = 0u; k <= a; k++) { acc += coef[p + a * q + k] * u[k]; }
    b[a] = sigma * acc;
  }
  var sz: array<f32, MAXQ>;
  var sx: array<f32, MAXP>;
  for (var a = 0u; a < q; a++) { sz[a] = 0.0; }
  for (var j = 0u; j < p; j++) { sx[j] = 0.0; }
  var syy = 0.0;
  for (var i = segStart[s]; i < segStart[s + 1u]; i++) {
    let base = i * w;
    var y = sigma * normal(rep, STREAM_EPS, i);
    for (var a = 0u; a < q; a++) { y += rows[base + a] * b[a]; }
    for (var j = 0u; j < p; j++) { y += rows[base + q + j] * coef[j]; }
    for (var a = 0u; a < q; a++) { sz[a] += rows[base + a] * y; }
    for (var j = 0u; j < p; j++) { sx[j] += rows[base + q + j] * y; }
    syy += y * y;
  }
  let o = t * (w + 1u);
  for (var a = 0u; a < q; a++) { partials[o + a] = sz[a]; }
  for (var j = 0u; j < p; j++) { partials[o + q + j] = sx[j]; }
  partials[o + w] = syy;
}
