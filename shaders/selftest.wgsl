// Self-test: y[i] = a * x[i] + b over n elements, one invocation per element.
// Shows the project's 1-D convention: the host dispatches a 2-D grid when the workgroup count
// exceeds maxComputeWorkgroupsPerDimension, so the linear workgroup index is wid.x + wid.y * nwg.x,
// and the grid may overshoot: always bounds-check.

struct Params {
  a: f32,
  b: f32,
  n: u32,
}

const WG: u32 = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let wg = wid.x + wid.y * nwg.x;
  let i = wg * WG + lid;
  if (i >= params.n) {
    return;
  }
  y[i] = params.a * x[i] + params.b;
}
