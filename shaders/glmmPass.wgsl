// The weighted data pass of one PIRLS iteration (src/backend/webgpu/glmmPass.ts): the weighted
// cross-products Σ_{i ∈ segment} w_i a_i b_i that make up the blocks of the GLMM's Gram matrix
// A(w) = [Z X z]ᵀ W [Z X z] (src/glmm/weightedGram.ts). Each task is one output entry of one row
// segment: the rows of one level of a factor (A_kk, A_Xk), of one (level_j, level_k) pattern entry
// (A_jk), or one chunk of consecutive rows (A_XX); a segment has at most a few hundred rows, listed
// (CSR, built once on the CPU) in `rowIdx`. One thread per task accumulates in f32 (no barriers, no
// atomics); the host adds the segments' partial sums into the blocks in float64.
//
// `cols` holds the columns, n values each: X (p columns), the working response z (or the working
// residual r, see `reweight`), then each block's Z columns; `w` the working weights. z and w change
// at each iteration (computed by `reweight` below, or uploaded), the rest is uploaded once per fit.

// #include "limits.wgsl"

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

// ---- the working weights and residual, and the deviance, from β and b = Λu --------------------
// One thread per row: η = base + Xβ + Σ_k Z_k b_k[code_k] (base = offset when the pass has X, i.e.
// β is free; offset + Xβ uploaded when β is fixed and the pass has no X), μ = g⁻¹(η),
//   w = wt (dμ/dη)² / V(μ),   r = (y − μ)/(dμ/dη),   d = wt · d(y, μ)   (the unit deviance),
// written to `w`, to z's column of the columns (the working residual: the host adds the fitted part
// η − base in float64, src/glmm/weightedGram.ts addFittedPart) and to `dev`. The clamps are
// family.ts's, with f32's epsilon for float64's (1 − 2⁻⁵² is 1 in f32). With `observed` (a
// non-canonical link: cloglog, probit, the negative binomial's log), the observed information in
// place of the expected one, w f and r / f with f = (−∂²ℓ/∂η²)/((dμ/dη)²/V) (src/glmm/family.ts
// observedFactor, src/glmm/rowPass.ts observedRows): PIRLS's Newton steps.

struct RowParams {
  n: u32,
  p: u32,
  nblocks: u32,
  // 0: binomial logit, 1: binomial cloglog, 2: poisson log, 3: binomial probit,
  // 4: negative binomial (NB2, size nbTheta) log
  link: u32,
  nbTheta: f32,
  // 1: Newton's weights (the observed information) for links 1, 3 and 4; 0: Fisher's (expected)
  observed: u32,
}

@group(0) @binding(6) var<uniform> rowParams: RowParams;
@group(0) @binding(7) var<storage, read_write> colsOut: array<f32>;
@group(0) @binding(8) var<storage, read_write> wOut: array<f32>;
// β (p values), then each block's b (nl q values, level-major)
@group(0) @binding(9) var<storage, read> coef: array<f32>;
// per block: first column, q, offset of its b in coef, offset of its codes in codes
@group(0) @binding(10) var<storage, read> blockInfo: array<vec4u>;
@group(0) @binding(11) var<storage, read> codes: array<u32>;
// y, prior weights, base (n each)
@group(0) @binding(12) var<storage, read> response: array<f32>;
@group(0) @binding(13) var<storage, read_write> devOut: array<f32>;

const EPS32: f32 = 1.1920929e-7;

// a log(a / m), with 0 log 0 = 0 (lme4's Y_log_Y)
fn ylogy(a: f32, m: f32) -> f32 {
  return select(0.0, a * log(a / m), a > 0.0);
}

// log(1 + e) for −1/2 ≤ e ≤ 1 to f32's accuracy, whatever the device's log (WGSL allows an absolute error of
// 2⁻²¹ in [0.5, 2], where log(1 + e) lies, and GPUs use fast approximations): 2 atanh(s) with
// s = e / (2 + e), |s| ≤ 1/3, its series to s¹⁵ (the next term is below 2e-9 of the sum)
fn log1pUnit(e: f32) -> f32 {
  let s = e / (2.0 + e);
  let s2 = s * s;
  return 2.0 * s * (1.0 + s2 * (0.33333333 + s2 * (0.2 + s2 * (0.14285714 + s2 * (0.11111111 +
    s2 * (0.09090909 + s2 * (0.07692308 + s2 * 0.06666667)))))));
}

// exp(x) to within about one ulp (cephes' expf: x = k ln 2 + r with ln 2 in two parts, a degree-7
// polynomial for |r| ≤ ln 2 / 2, then 2ᵏ exactly). The builtin's error is the device's: SwiftShader's
// is biased (+8e-8 relative on average, 1.2e-7 RMS, against 5e-10 and 2.7e-8 here), and a GPU's
// exp2(x · log₂e) rounds the product first. A bias or noise in each row's exp sums over a million rows
// into the objective that the optimizer reads. The logit link's rows use it; the log link keeps the
// builtin (with this one, grouseticks_poisson's float64 polish in test/gpu/glmm.test.ts took a second
// Newton step: not measured further).
fn expAccurate(x: f32) -> f32 {
  let k = round(x * 1.44269504);
  let r = (x - k * 0.693359375) + k * 2.12194440e-4;
  let p = (((((1.9875691500e-4 * r + 1.3981999507e-3) * r + 8.3334519073e-3) * r + 4.1665795894e-2) * r +
    1.6666665459e-1) * r + 5.0000001201e-1) * r * r + r + 1.0;
  return ldexp(p, i32(clamp(k, -200.0, 200.0)));
}

// −log μ, capped where the float64 engine's μ is (DBL_EPSILON, as lme4's logit link): −log(2⁻⁵²)
const NEG_LOG_DBL_EPS: f32 = 36.04365;

// erfc(x) for x ≥ 0 (Numerical Recipes' erfcc, Chebyshev fit: relative error < 1.2e-7)
fn erfcPos(x: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * x);
  let poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * exp(-x * x + poly);
}

// η = base + Xβ + Σ_k Z_k b_k[code_k] of row i at the coefficients in `coef`
fn etaOf(i: u32) -> f32 {
  let n = rowParams.n;
  var eta = response[2u * n + i];
  for (var r = 0u; r < rowParams.p; r++) { eta += colsOut[r * n + i] * coef[r]; }
  for (var k = 0u; k < rowParams.nblocks; k++) {
    let info = blockInfo[k];
    let c = codes[info.w + i];
    for (var s = 0u; s < info.y; s++) { eta += colsOut[(info.x + s) * n + i] * coef[info.z + c * info.y + s]; }
  }
  return eta;
}

// μ, dμ/dη, V(μ) and the unit deviance wt · d(y, μ) at η
struct RowState {
  mu: f32,
  me: f32,
  v: f32,
  d: f32,
}

fn rowState(eta: f32, y: f32, wt: f32) -> RowState {
  var mu: f32;
  var me: f32;
  var v: f32;
  // logit: exp(−|η|), kept for the deviance
  var e: f32 = 0.0;
  if (rowParams.link == 0u) {
    e = expAccurate(-abs(eta));
    let d = 1.0 + e;
    mu = select(e / d, 1.0 / d, eta >= 0.0);
    mu = min(1.0 - EPS32, max(EPS32, mu));
    me = max(EPS32 * EPS32, e / (d * d));
  } else if (rowParams.link == 1u) {
    let ee = exp(eta);
    mu = max(EPS32, min(1.0 - EPS32, 1.0 - exp(-ee)));
    me = max(EPS32 * EPS32, exp(eta - ee));
  } else if (rowParams.link == 3u) {
    // Φ(η) = erfc(−η/√2)/2, the tail from erfc on the positive side
    let t = erfcPos(abs(eta) * 0.70710678) * 0.5;
    mu = min(1.0 - EPS32, max(EPS32, select(t, 1.0 - t, eta > 0.0)));
    me = max(EPS32 * EPS32, 0.39894228 * exp(-0.5 * eta * eta));
  } else {
    mu = max(EPS32 * EPS32, exp(eta));
    me = mu;
  }
  var d: f32;
  if (rowParams.link == 2u) {
    v = mu;
    d = 2.0 * wt * (ylogy(y, mu) - (y - mu));
  } else if (rowParams.link == 4u) {
    // NB2: V(μ) = μ + μ²/θ, d = 2 wt [y log(y/μ) − (y + θ) log((y + θ)/(μ + θ))], the last logarithm as
    // log1p(δ), δ = (y − μ)/(μ + θ), where |δ| ≤ 1/2: at a large size the ratio is 1 + δ with δ ~ 1e-5, and
    // log of its f32 rounding is off by ε/δ relative — times y + θ, ~1e-3 a row, more than the deviance's
    // own changes near the mode (the random NB audit's nb29, size 5990: PIRLS's step halving failed)
    let th = rowParams.nbTheta;
    v = mu + mu * mu / th;
    let delta = (y - mu) / (mu + th);
    let lr = select(log((y + th) / (mu + th)), log1pUnit(delta), abs(delta) <= 0.5);
    d = 2.0 * wt * (ylogy(y, mu) - (y + th) * lr);
  } else {
    v = max(EPS32 * EPS32, mu * (1.0 - mu));
    if (rowParams.link == 0u && (y == 0.0 || y == 1.0)) {
      // logit, y = 0 or 1: d = 2 wt (−log μ or −log(1 − μ)), the softplus of ∓η from η itself,
      // softplus(t) = max(t, 0) + log(1 + exp(−|t|)); not from the rounded μ
      let t = select(eta, -eta, y == 1.0);
      d = 2.0 * wt * min(max(t, 0.0) + log1pUnit(e), NEG_LOG_DBL_EPS);
    } else {
      d = 2.0 * wt * (ylogy(y, mu) + ylogy(1.0 - y, 1.0 - mu));
    }
  }
  return RowState(mu, me, v, d);
}

// The observed information over the expected one, f (family.ts observedFactor), with `observed` and a
// non-canonical link; else 1. Kept at least OBSERVED_FLOOR (rowPass.ts's guard), 1 where not finite.
const OBSERVED_FLOOR: f32 = 1e-8;
fn observedFactor(eta: f32, y: f32, st: RowState) -> f32 {
  if (rowParams.observed == 0u) { return 1.0; }
  var f: f32 = 1.0;
  if (rowParams.link == 4u) {
    let th = rowParams.nbTheta;
    f = (y + th) / (st.mu + th);
  } else if (rowParams.link == 1u) {
    f = 1.0 - (y - st.mu) * (1.0 - st.me / st.mu) / st.me;
  } else if (rowParams.link == 3u) {
    f = 1.0 + (y - st.mu) * (eta + (st.me / st.v) * (1.0 - 2.0 * st.mu)) / st.me;
  }
  // NaN fails both comparisons: 1 then, as an infinite f
  if (!(f >= OBSERVED_FLOOR)) { f = select(1.0, OBSERVED_FLOOR, f < OBSERVED_FLOOR); }
  if (!(f <= 3.0e38)) { f = 1.0; }
  return f;
}

@compute @workgroup_size(64)
fn reweight(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 64u + lid;
  let n = rowParams.n;
  if (i >= n) { return; }
  let y = response[i];
  let eta = etaOf(i);
  let st = rowState(eta, y, response[n + i]);
  let f = observedFactor(eta, y, st);
  wOut[i] = response[n + i] * st.me * st.me * f / st.v;
  colsOut[rowParams.p * n + i] = (y - st.mu) / (st.me * f);
  devOut[i] = st.d;
}

// ---- adaptive Gauss–Hermite quadrature's rows term (src/glmm/agq.ts agqRowSums) ----------------
// One scalar random-effects term (block 0, q = 1), β fixed: one thread per segment of one level's
// rows (listed in rowIdx), for each node k with z_k ≠ 0 the sum over its rows of
//   d(y_i, μ(η_i + Z_i · (t / L_gg) · z_k)) − d(y_i, μ(η_i)),
// η at the state in `coef` and the base; the host adds the segments of each level in float64 and
// finishes the quadrature there (agqFromRowSums).

struct AgqParams {
  nseg: u32,
  // nodes of the rule (at most MAXNODES, limits.wgsl)
  K: u32,
  // the column of block 0's Z in the columns
  zcol: u32,
  nl: u32,
}

@group(0) @binding(17) var<uniform> agqParams: AgqParams;
// per segment: first and one-past-last position in rowIdx, the level
@group(0) @binding(18) var<storage, read> agqSegs: array<vec4u>;
// t / L_gg per level (nl values), then the nodes z_k (K values)
@group(0) @binding(19) var<storage, read> agqIn: array<f32>;
// per segment: K sums
@group(0) @binding(20) var<storage, read_write> agqOut: array<f32>;

@compute @workgroup_size(64)
fn agqRows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let sg = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (sg >= agqParams.nseg) { return; }
  let seg = agqSegs[sg];
  let n = rowParams.n;
  let K = agqParams.K;
  let scale = agqIn[seg.z];
  var acc: array<f32, MAXNODES>;
  for (var k = 0u; k < K; k++) { acc[k] = 0.0; }
  for (var j = seg.x; j < seg.y; j++) {
    let i = rowIdx[j];
    let y = response[i];
    let wt = response[n + i];
    let eta = etaOf(i);
    let d0 = rowState(eta, y, wt).d;
    let shift = colsOut[agqParams.zcol * n + i] * scale;
    for (var k = 0u; k < K; k++) {
      let zk = agqIn[agqParams.nl + k];
      if (zk != 0.0) { acc[k] += rowState(eta + shift * zk, y, wt).d - d0; }
    }
  }
  for (var k = 0u; k < K; k++) { agqOut[sg * K + k] = acc[k]; }
}

// ---- the deviance's partial sums: one thread per chunk of CHUNK consecutive rows ----------------
// Compensated (Kahan) summation, written as the pair (sum, compensation) that the host adds in
// float64: the chunk's sum to ~f32² rather than CHUNK rounding errors of the size of the partial sum
// (a plain f32 sum of 256 deviances was the largest error of the f32 objective: ~5e-3 at 200k rows).
// A compiler that reassociated (t − s) − y to 0 would leave a plain sum (compensation 0), still
// correct; test/gpu/glmm.test.ts checks that the compensation is in effect.

struct SumParams {
  n: u32,
  nchunks: u32,
}

const CHUNK: u32 = 256u;

@group(0) @binding(14) var<uniform> sumParams: SumParams;
@group(0) @binding(15) var<storage, read> devIn: array<f32>;
// per chunk: the sum and its compensation
@group(0) @binding(16) var<storage, read_write> chunkOut: array<f32>;

@compute @workgroup_size(64)
fn chunkSums(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) lid: u32) {
  let c = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (c >= sumParams.nchunks) { return; }
  let end = min(sumParams.n, (c + 1u) * CHUNK);
  var s = 0.0;
  var comp = 0.0;
  for (var i = c * CHUNK; i < end; i++) {
    let y = devIn[i] - comp;
    let t = s + y;
    comp = (t - s) - y;
    s = t;
  }
  chunkOut[2u * c] = s;
  chunkOut[2u * c + 1u] = -comp;
}
