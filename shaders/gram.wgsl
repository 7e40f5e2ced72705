// The one pass over the data: per-group Gram matrices of [Z X y] for the first (largest) grouping
// factor, A_g = [Z X y]_gᵀ [Z X y]_g, packed lower triangle (entry (a, b), a ≥ b, at a(a+1)/2 + b).
// Rows arrive sorted by group (CSR offsets computed on the CPU), row-major with w = q + p + 1
// columns: z_0..z_{q-1}, x_0..x_{p-1} (centred), y (centred). Long groups are split into segments
// of at most a few hundred rows so no thread walks a long loop; `segments` accumulates one segment
// per thread in f32 (no barriers, no atomics), `groups` sums each group's segments. Data larger than
// one storage binding is uploaded in chunks of whole segments: `segments` then runs once per chunk,
// with the chunk's rows, its segment starts relative to its first row, and its first segment's index.

// #include "limits.wgsl"

struct Params {
  nseg: u32,
  ngroups: u32,
  w: u32,
  E: u32,
  segOffset: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> rows: array<f32>;
@group(0) @binding(2) var<storage, read> segStart: array<u32>;
@group(0) @binding(3) var<storage, read_write> segGram: array<f32>;
@group(0) @binding(4) var<storage, read> groupSeg: array<u32>;
@group(0) @binding(5) var<storage, read_write> gram: array<f32>;

@compute @workgroup_size(64)
fn segments(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let s = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (s >= params.nseg) { return; }
  let w = params.w;
  var acc: array<f32, MAXE>;
  for (var e = 0u; e < params.E; e++) { acc[e] = 0.0; }
  var v: array<f32, MAXW>;
  for (var r = segStart[s]; r < segStart[s + 1u]; r++) {
    let base = r * w;
    for (var a = 0u; a < w; a++) { v[a] = rows[base + a]; }
    var e = 0u;
    for (var a = 0u; a < w; a++) {
      let va = v[a];
      for (var b = 0u; b <= a; b++) {
        acc[e] += va * v[b];
        e++;
      }
    }
  }
  let out = (params.segOffset + s) * params.E;
  for (var e = 0u; e < params.E; e++) { segGram[out + e] = acc[e]; }
}

@compute @workgroup_size(64)
fn groups(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
          @builtin(local_invocation_index) lid: u32) {
  let g = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (g >= params.ngroups) { return; }
  let E = params.E;
  for (var e = 0u; e < E; e++) {
    var t = 0.0;
    for (var s = groupSeg[g]; s < groupSeg[g + 1u]; s++) { t += segGram[s * E + e]; }
    gram[g * E + e] = t;
  }
}
