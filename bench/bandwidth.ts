/**
 * The achievable memory bandwidth of a WebGPU adapter, measured (WebGPU does not report the
 * hardware's figure): a streaming kernel that reads a large buffer once (vec4<f32> loads in a
 * grid-stride loop, one f32 partial sum written per invocation), and copyBufferToBuffer of the same buffer.
 * Timed by wall clock from submit to onSubmittedWorkDone, like the fit's data pass, so the data
 * pass's GB/s can be read as a fraction of the read kernel's. Browser-safe (no Node imports): used
 * by bench/gpu.ts in Node and by the page in bench/browser/.
 */

export interface BandwidthResult {
  /** bytes of the buffer read per pass */
  bytes: number;
  /** best read-kernel throughput over the trials, GB/s (1e9 bytes/s) */
  readGBps: number;
  /** best copyBufferToBuffer throughput, counting the bytes read and written (2 × size), GB/s */
  copyGBps: number;
  /** passes per trial (one submission) and trials */
  passesPerTrial: number;
  trials: number;
  /** every trial's read and copy GB/s, in order */
  readTrialsGBps: number[];
  copyTrialsGBps: number[];
  /** the first (cold) read pass, ms: includes the pipeline's first use and the buffer's lazy clear */
  firstReadMs: number;
}

export interface BandwidthOptions {
  /** buffer size in bytes (default 256 MiB), capped by the device's maxStorageBufferBindingSize and maxBufferSize */
  bytes?: number;
  /** passes recorded into one submission (default 4) */
  passesPerTrial?: number;
  /** trials, the best counted (default 5) */
  trials?: number;
}

// GPUBufferUsage bits (fixed by the spec; Node has no globals until WebGPU is loaded)
const MAP_READ = 0x1;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const STORAGE = 0x80;

const WG = 256;

// Each invocation streams its share (grid-stride, so neighbouring invocations read neighbouring vec4s)
// and writes one partial sum: no workgroup barriers, which a CPU implementation (SwiftShader) runs
// very slowly. The partials written are at most 1/128 of the bytes read.
const READ_WGSL = /* wgsl */ `
@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = arrayLength(&src);
  let stride = nwg.x * ${WG}u;
  var s = vec4<f32>(0.0);
  for (var i = gid.x; i < n; i += stride) {
    s += src[i];
  }
  dst[gid.x] = s.x + s.y + s.z + s.w;
}
`;

/** Measures the device's read and copy bandwidth; destroys its buffers before returning. */
export async function measureBandwidth(device: GPUDevice, opts: BandwidthOptions = {}): Promise<BandwidthResult> {
  const lim = device.limits;
  const cap = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize);
  const bytes = Math.floor(Math.min(opts.bytes ?? 256 * 2 ** 20, cap) / 16) * 16;
  const passes = opts.passesPerTrial ?? 4;
  const trials = opts.trials ?? 5;
  const n4 = bytes / 16;
  // enough invocations to fill a large GPU (an H100 keeps about 270k resident), each streaming at
  // least 32 vec4s, so the partials written are at most 1/128 of the bytes read
  const groups = Math.max(1, Math.min(lim.maxComputeWorkgroupsPerDimension, 4096, Math.ceil(n4 / WG / 32)));

  const src = device.createBuffer({ size: bytes, usage: STORAGE | COPY_SRC, mappedAtCreation: true, label: 'bw src' });
  new Float32Array(src.getMappedRange()).fill(1);
  src.unmap();
  const dst = device.createBuffer({ size: groups * WG * 4, usage: STORAGE | COPY_SRC, label: 'bw partials' });
  const copyDst = device.createBuffer({ size: bytes, usage: COPY_DST, label: 'bw copy dst' });
  const check = device.createBuffer({ size: 4, usage: MAP_READ | COPY_DST, label: 'bw check' });
  try {
    const module = device.createShaderModule({ code: READ_WGSL, label: 'bw read' });
    const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: 'bw read' });
    const bind = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: src } }, { binding: 1, resource: { buffer: dst } }],
    });
    const readPasses = async (k: number): Promise<number> => {
      const enc = device.createCommandEncoder();
      for (let r = 0; r < k; r++) {
        const pass = enc.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bind);
        pass.dispatchWorkgroups(groups);
        pass.end();
      }
      const t = performance.now();
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t;
    };
    const copyPasses = async (k: number): Promise<number> => {
      const enc = device.createCommandEncoder();
      for (let r = 0; r < k; r++) enc.copyBufferToBuffer(src, 0, copyDst, 0, bytes);
      const t = performance.now();
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t;
    };
    const firstReadMs = await readPasses(1);
    await copyPasses(1);
    // the kernel really read the buffer: partial 0 is a sum of ones
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(dst, 0, check, 0, 4);
    device.queue.submit([enc.finish()]);
    await check.mapAsync(1 /* GPUMapMode.READ */);
    const first = new Float32Array(check.getMappedRange().slice(0))[0]!;
    check.unmap();
    if (!(first >= 1)) throw new Error(`bandwidth kernel check failed: partial sum ${first}`);

    const readTrialsGBps: number[] = [];
    const copyTrialsGBps: number[] = [];
    for (let t = 0; t < trials; t++) {
      readTrialsGBps.push((passes * bytes) / 1e6 / (await readPasses(passes)));
      copyTrialsGBps.push((2 * passes * bytes) / 1e6 / (await copyPasses(passes)));
    }
    return {
      bytes, readGBps: Math.max(...readTrialsGBps), copyGBps: Math.max(...copyTrialsGBps),
      passesPerTrial: passes, trials, readTrialsGBps, copyTrialsGBps, firstReadMs,
    };
  } finally {
    for (const b of [src, dst, copyDst, check]) b.destroy();
  }
}

/** Nominal memory bandwidth (vendor figures, GB/s) when the adapter's name says which GPU it is. */
export function nominalBandwidth(adapterName: string): { label: string; GBps: number; GBpsMax?: number } | null {
  const s = adapterName;
  if (/H200/i.test(s)) return { label: 'H200 (HBM3e, 4.8 TB/s)', GBps: 4800 };
  if (/H100/i.test(s) && /PCIe/i.test(s)) return { label: 'H100 PCIe (HBM2e, 2.0 TB/s)', GBps: 2000 };
  if (/H100/i.test(s)) return { label: 'H100 SXM (HBM3, 3.35 TB/s)', GBps: 3350 };
  if (/A100/i.test(s)) return { label: 'A100 (HBM2/2e, 1.6–2.0 TB/s by model)', GBps: 1555, GBpsMax: 2039 };
  return null;
}
