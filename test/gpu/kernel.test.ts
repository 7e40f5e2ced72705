import { describe, expect, it } from 'vitest';
import { gpuOrSkip, gpuSuiteName, GPU_TIMEOUT } from './setup.js';
import type { GpuContext } from '../../src/backend/webgpu/device.js';
import { ComputeKernel, gridFor, packUniform, reflectWgsl, structLayout } from '../../src/backend/webgpu/kernel.js';
import { createStorage, createUniform, readBuffer, writeBuffer } from '../../src/backend/webgpu/buffers.js';
import { runSelfTest } from '../../src/backend/webgpu/selftest.js';
import { SHADERS, shaderSource } from '../../src/backend/webgpu/shaders.generated.js';

const gpu = await gpuOrSkip();

const MIXED = /* wgsl */ `
struct Mixed {
  a: u32,
  b: f32,
  c: vec4<f32>,
  d: array<f32, 4>,
  e: u32,
  v: vec3<f32>,
  t: f32,
  m: mat2x3f,
  k: i32,
  w: vec2u,
}
@group(0) @binding(0) var<storage, read> mixed: Mixed;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(1) fn main() { out[0] = mixed.b; }
`;

describe('WGSL struct layouts (no GPU needed)', () => {
  it('matches WGSL alignment rules for mixed members', () => {
    const L = structLayout(MIXED, 'Mixed');
    const at = (name: string) => [L.members[name].offset, L.members[name].size, L.members[name].type];
    expect(at('a')).toEqual([0, 4, 'u32']);
    expect(at('b')).toEqual([4, 4, 'f32']);
    expect(at('c')).toEqual([16, 16, 'vec4<f32>']); // vec4 aligns to 16
    expect(at('d')).toEqual([32, 16, 'array<f32, 4>']);
    expect(L.members.d).toMatchObject({ count: 4, stride: 4, scalar: 'f32' });
    expect(at('e')).toEqual([48, 4, 'u32']);
    expect(at('v')).toEqual([64, 12, 'vec3<f32>']); // vec3 aligns to 16, is 12 bytes...
    expect(at('t')).toEqual([76, 4, 'f32']); // ...so a scalar packs into its tail
    expect(at('m')).toEqual([80, 32, 'mat2x3<f32>']); // 2 columns of vec3 (stride 16)
    expect(at('k')).toEqual([112, 4, 'i32']);
    expect(at('w')).toEqual([120, 8, 'vec2<u32>']);
    expect(L.size).toBe(128); // rounded up to the struct's 16-byte alignment
    expect(L.align).toBe(16);
  });

  it('packUniform writes every member at its offset', () => {
    const L = structLayout(MIXED, 'Mixed');
    const buf = packUniform(L, {
      a: 7, b: 0.5, c: [1, 2, 3, 4], d: [5, 6, 7, 8], e: 0xffffffff, v: [9, 10, 11], t: 12,
      m: [1, 2, 3, 4, 5, 6], k: -3, w: [13, 14],
    });
    expect(buf.byteLength).toBe(128);
    const u = new Uint32Array(buf);
    const f = new Float32Array(buf);
    const i = new Int32Array(buf);
    expect(u[0]).toBe(7);
    expect(f[1]).toBe(0.5);
    expect([...f.slice(4, 8)]).toEqual([1, 2, 3, 4]);
    expect([...f.slice(8, 12)]).toEqual([5, 6, 7, 8]);
    expect(u[12]).toBe(0xffffffff);
    expect([...f.slice(16, 20)]).toEqual([9, 10, 11, 12]); // v then t in v's tail
    expect([...f.slice(20, 28)]).toEqual([1, 2, 3, 0, 4, 5, 6, 0]); // column-major, padded columns
    expect(i[28]).toBe(-3);
    expect([...u.slice(30, 32)]).toEqual([13, 14]);
  });

  it('packUniform rejects missing, unknown and out-of-range values', () => {
    const L = structLayout(shaderSource('selftest'), 'Params');
    expect(L.size).toBe(12);
    expect(() => packUniform(L, { a: 1, b: 2 })).toThrow(/packUniform\(Params\): missing 'n'/);
    expect(() => packUniform(L, { a: 1, b: 2, n: 3, z: 4 })).toThrow(/unknown 'z'/);
    expect(() => packUniform(L, { a: 1, b: 2, n: -1 })).toThrow(/-1 is not a u32/);
    expect(() => packUniform(L, { a: 1, b: 2, n: 1.5 })).toThrow(/1.5 is not a u32/);
    expect(() => packUniform(L, { a: [1, 2], b: 2, n: 1 })).toThrow(/expected 1 number, got 2/);
    expect(() => structLayout(MIXED, 'Nope')).toThrow(/no struct 'Nope'.*found: Mixed/);
  });

  it('reflects each WGSL text once; a text that does not parse throws every time', () => {
    const code = shaderSource('dense');
    const first = reflectWgsl(code);
    expect(reflectWgsl(code)).toBe(first);
    expect(first.entry.compute.map((f) => f.name)).toContain('diagFactor');
    // the layouts read from the kept reflection are the ones a fresh parse gives
    expect(structLayout(code, 'Panel')).toEqual(structLayout(`${code}\n`, 'Panel'));
    const broken = 'struct P { a: f32 ';
    expect(() => reflectWgsl(broken)).toThrow(/WGSL reflection failed/);
    expect(() => reflectWgsl(broken)).toThrow(/WGSL reflection failed/);
  });

  it('2-D grid for more workgroups than one dimension holds', () => {
    expect(gridFor(0, 65535)).toEqual([0, 0]);
    expect(gridFor(1, 65535)).toEqual([1, 1]);
    expect(gridFor(65535, 65535)).toEqual([65535, 1]);
    expect(gridFor(78125, 65535)).toEqual([65535, 2]);
    expect(gridFor(65535 * 65535, 65535)).toEqual([65535, 65535]);
    expect(() => gridFor(65535 * 65535 + 1, 65535)).toThrow(/exceed the 2-D grid limit/);
    expect(() => gridFor(1.5, 65535)).toThrow(/non-negative integer/);
  });

  it('createStorage names the size and the limit it exceeds', () => {
    const limits = { maxBufferSize: 1 << 30, maxStorageBufferBindingSize: 1 << 27, maxUniformBufferBindingSize: 65536 };
    const fake = { limits, device: {} } as unknown as GpuContext;
    expect(() => createStorage(fake, (1 << 27) + 4, 'big')).toThrow(
      "buffer 'big': 134217732 bytes (128.0 MiB) exceeds this device's maxStorageBufferBindingSize of 134217728 bytes (128.0 MiB)",
    );
    expect(() => createStorage(fake, 2 ** 31, 'huge')).toThrow(/maxBufferSize of 1073741824 bytes/);
  });

  it('shader sources are generated from shaders/*.wgsl', () => {
    expect(SHADERS.selftest).toContain('fn main(');
    expect(shaderSource('selftest.wgsl')).toBe(SHADERS.selftest);
    expect(() => shaderSource('nope')).toThrow(/unknown shader 'nope' \(known: .*selftest/);
  });
});

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'WebGPU infrastructure'), { timeout: GPU_TIMEOUT }, () => {
  const ctx = gpu as GpuContext;

  it('reports the adapter and raised limits', () => {
    console.log(`[gpu] adapter: ${ctx.adapterName}; software: ${ctx.isSoftware}; ` +
      `maxStorageBufferBindingSize ${ctx.limits.maxStorageBufferBindingSize}, maxBufferSize ${ctx.limits.maxBufferSize}, ` +
      `maxComputeWorkgroupsPerDimension ${ctx.limits.maxComputeWorkgroupsPerDimension}, ` +
      `maxComputeInvocationsPerWorkgroup ${ctx.limits.maxComputeInvocationsPerWorkgroup}, ` +
      `maxComputeWorkgroupSizeX ${ctx.limits.maxComputeWorkgroupSizeX}, maxStorageBuffersPerShaderStage ${ctx.limits.maxStorageBuffersPerShaderStage}`);
    expect(ctx.adapterName.length).toBeGreaterThan(0);
    // above the WebGPU defaults (128 MiB binding, 8 storage buffers) on every adapter we target
    expect(ctx.limits.maxStorageBufferBindingSize).toBeGreaterThan(128 * 1024 * 1024);
    expect(ctx.limits.maxStorageBuffersPerShaderStage).toBeGreaterThan(8);
  });

  it('self-test: 5M elements, 78,125 workgroups as a 2-D grid', async () => {
    const r = await runSelfTest(ctx, { n: 5_000_000 });
    console.log(`[gpu] selftest n=${r.n}: grid ${r.grid.join('x')}, maxError ${r.maxError}, total ${r.ms.total.toFixed(0)} ms, dispatch ${r.ms.dispatch.toFixed(0)} ms`);
    expect(r.workgroups).toBe(78125);
    expect(r.grid).toEqual([65535, 2]);
    expect(r.maxError).toBeLessThanOrEqual(2e-6);
    expect(r.ok).toBe(true);
  });

  it('self-test: sizes that are not multiples of the workgroup', async () => {
    for (const n of [1, 63, 65, 1000]) {
      const r = await runSelfTest(ctx, { n, a: -2, b: 3 });
      expect(r.ok, `n = ${n}`).toBe(true);
    }
  });

  it('derives the bind group layout from the WGSL and binds by name', async () => {
    const k = await ComputeKernel.create(ctx, shaderSource('selftest'), 'main', { label: 'selftest' });
    expect(k.bindings.map((b) => [b.name, b.binding, b.kind, b.type])).toEqual([
      ['params', 0, 'uniform', 'Params'],
      ['x', 1, 'read-only-storage', 'array<f32>'],
      ['y', 2, 'storage', 'array<f32>'],
    ]);
    expect(k.workgroupSize).toEqual([64, 1, 1]);
    const params = createUniform(ctx, 12, 'params');
    const x = createStorage(ctx, 64, 'x');
    const y = createStorage(ctx, 64, 'y');
    expect(() => k.bind({ params, x })).toThrow("ComputeKernel 'selftest'.bind: missing 'y' (expected: params, x, y)");
    expect(() => k.bind({ params, x, y, z: y })).toThrow(/unknown 'z' \(expected: params, x, y\)/);
    expect(() => k.bind({ params: x, x, y })).toThrow(/'params' is a uniform binding but buffer 'x' lacks UNIFORM usage/);
    expect(() => k.bind({ params: { buffer: params, size: 8 }, x, y })).toThrow(/'params' \(Params\) needs at least 12 bytes, got 8/);
    expect(k.bind({ params, x: { buffer: x, offset: 0, size: 32 }, y })).toBeTruthy();
    for (const b of [params, x, y]) b.destroy();
  });

  it('ComputeKernel.create reports WGSL errors and unknown entry points', async () => {
    const bad = '@group(0) @binding(0) var<storage, read_write> y: array<f32>;\n@compute @workgroup_size(1) fn main() { y[0] = undefinedThing; }';
    await expect(ComputeKernel.create(ctx, bad, 'main')).rejects.toThrow(/WGSL compile error in 'main':\n\s+2:\d+ .*undefinedThing/);
    await expect(ComputeKernel.create(ctx, 'fn main( {', 'main')).rejects.toThrow(/WGSL compile error in 'main':\n\s+1:\d+ /);
    await expect(ComputeKernel.create(ctx, shaderSource('selftest'), 'nope')).rejects.toThrow(/no @compute entry point 'nope' \(found: main\)/);
  });

  it('createStorage refuses buffers over the device limits; readBuffer reads a sub-range', async () => {
    const over = ctx.limits.maxStorageBufferBindingSize + 4;
    expect(() => createStorage(ctx, over, 'too big')).toThrow(
      new RegExp(`buffer 'too big': ${over} bytes .* exceeds this device's (maxBufferSize|maxStorageBufferBindingSize) of \\d+ bytes`),
    );
    const data = Float32Array.from({ length: 100 }, (_, i) => i);
    const buf = createStorage(ctx, data, 'range');
    expect([...new Float32Array(await readBuffer(ctx, buf, 40, 16))]).toEqual([10, 11, 12, 13]);
    writeBuffer(ctx, buf, new Float32Array([-1, -2]), 44);
    expect([...new Float32Array(await readBuffer(ctx, buf, 40, 16))]).toEqual([10, -1, -2, 13]);
    // two reads of the same size in flight at once must not share a staging buffer
    const [r1, r2] = await Promise.all([readBuffer(ctx, buf, 0, 8), readBuffer(ctx, buf, 8, 8)]);
    expect([...new Float32Array(r1), ...new Float32Array(r2)]).toEqual([0, 1, 2, 3]);
    expect(() => writeBuffer(ctx, buf, new Uint8Array(3))).toThrow(/multiples of 4/);
    buf.destroy();
  });
});
