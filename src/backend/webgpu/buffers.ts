/**
 * GPU buffer helpers: storage / uniform buffers with clear size-limit errors, writes, and reads
 * through a reused MAP_READ staging buffer.
 */
import { ModelError } from '../../errors/errors.js';
import type { GpuContext } from './device.js';

/** GPUBufferUsage / GPUMapMode bits (fixed by the spec; not read from globals, which Node lacks until WebGPU loads). */
export const BufferUsage = {
  MAP_READ: 0x1,
  MAP_WRITE: 0x2,
  COPY_SRC: 0x4,
  COPY_DST: 0x8,
  INDEX: 0x10,
  VERTEX: 0x20,
  UNIFORM: 0x40,
  STORAGE: 0x80,
  INDIRECT: 0x100,
  QUERY_RESOLVE: 0x200,
} as const;
const MAP_MODE_READ = 0x1;

export type BufferData = ArrayBuffer | ArrayBufferView;

function bytesOf(data: BufferData): Uint8Array {
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function fmtBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

/**
 * Throws a clear error (a ModelError: the model is too large for this device) when a `size`-byte
 * buffer bound as `binding` exceeds the device's limits, naming the buffer, the size and the limit.
 */
export function checkBufferSize(ctx: Pick<GpuContext, 'limits'>, size: number, label: string, binding: 'storage' | 'uniform'): void {
  const checks: [string, number][] = [['maxBufferSize', ctx.limits.maxBufferSize]];
  if (binding === 'storage') checks.push(['maxStorageBufferBindingSize', ctx.limits.maxStorageBufferBindingSize]);
  else checks.push(['maxUniformBufferBindingSize', ctx.limits.maxUniformBufferBindingSize]);
  for (const [name, limit] of checks) {
    if (size > limit) {
      throw new ModelError(`buffer '${label}': ${size} bytes (${fmtBytes(size)}) exceeds this device's ${name} of ${limit} bytes (${fmtBytes(limit)})`);
    }
  }
}

function createWith(ctx: GpuContext, bytesOrData: number | BufferData, label: string, usage: number, binding: 'storage' | 'uniform'): GPUBuffer {
  const dataBytes = typeof bytesOrData === 'number' ? null : bytesOf(bytesOrData);
  const requested = dataBytes ? dataBytes.byteLength : bytesOrData as number;
  if (!Number.isInteger(requested) || requested < 0) throw new Error(`buffer '${label}': size must be a non-negative integer, got ${requested}`);
  // WebGPU wants multiples of 4 for mapping and copies; a zero-size buffer cannot be bound
  const size = Math.max(4, Math.ceil(requested / 4) * 4);
  checkBufferSize(ctx, size, label, binding);
  const buffer = ctx.device.createBuffer({ label, size, usage, mappedAtCreation: dataBytes !== null });
  if (dataBytes) {
    new Uint8Array(buffer.getMappedRange()).set(dataBytes);
    buffer.unmap();
  }
  return buffer;
}

/**
 * A storage buffer (STORAGE | COPY_DST | COPY_SRC | extraUsage) of `bytesOrData` bytes (rounded up to 4),
 * or holding a copy of the data. Throws when it exceeds maxBufferSize or maxStorageBufferBindingSize.
 */
export function createStorage(ctx: GpuContext, bytesOrData: number | BufferData, label: string, extraUsage = 0): GPUBuffer {
  return createWith(ctx, bytesOrData, label, BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC | extraUsage, 'storage');
}

/** A uniform buffer (UNIFORM | COPY_DST), e.g. from packUniform(...). */
export function createUniform(ctx: GpuContext, bytesOrData: number | BufferData, label: string): GPUBuffer {
  return createWith(ctx, bytesOrData, label, BufferUsage.UNIFORM | BufferUsage.COPY_DST, 'uniform');
}

/** queue.writeBuffer with checks: offset and length must be multiples of 4 and fit the buffer. */
export function writeBuffer(ctx: GpuContext, buffer: GPUBuffer, data: BufferData, byteOffset = 0): void {
  const bytes = bytesOf(data);
  if (byteOffset % 4 !== 0 || bytes.byteLength % 4 !== 0) {
    throw new Error(`writeBuffer '${buffer.label}': offset ${byteOffset} and length ${bytes.byteLength} must be multiples of 4`);
  }
  if (byteOffset + bytes.byteLength > buffer.size) {
    throw new Error(`writeBuffer '${buffer.label}': ${bytes.byteLength} bytes at offset ${byteOffset} overrun the buffer (${buffer.size} bytes)`);
  }
  ctx.device.queue.writeBuffer(buffer, byteOffset, bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// Free MAP_READ staging buffers per device, by size; a buffer in use is taken out, so concurrent reads never share one.
const staging = new WeakMap<GPUDevice, Map<number, GPUBuffer[]>>();

/**
 * Round trips per device: a read that starts while none is pending starts one; reads started while
 * others are pending (submitted together, awaited together) join it. The host's waits for the
 * device, whatever the number of buffers read.
 */
const trips = new WeakMap<GPUDevice, { pending: number; count: number }>();

/** The round trips to `ctx`'s device so far (readBuffer and readRanges; see `trips`). */
export function roundTrips(ctx: GpuContext): number {
  return trips.get(ctx.device)?.count ?? 0;
}

/**
 * Copies `byteLength` bytes at `byteOffset` of `buffer` (which needs COPY_SRC) into a new ArrayBuffer,
 * through a MAP_READ staging buffer reused for reads of the same size. Offset and length: multiples of 4.
 */
export async function readBuffer(ctx: GpuContext, buffer: GPUBuffer, byteOffset = 0, byteLength = buffer.size - byteOffset): Promise<ArrayBuffer> {
  if (byteOffset % 4 !== 0 || byteLength % 4 !== 0) {
    throw new Error(`readBuffer '${buffer.label}': offset ${byteOffset} and length ${byteLength} must be multiples of 4`);
  }
  if (byteOffset < 0 || byteLength < 0 || byteOffset + byteLength > buffer.size) {
    throw new Error(`readBuffer '${buffer.label}': ${byteLength} bytes at offset ${byteOffset} are outside the buffer (${buffer.size} bytes)`);
  }
  if (byteLength === 0) return new ArrayBuffer(0);
  // one range: readRanges' single staging copy and map
  const [out] = await readRanges(ctx, [{ buffer, offset: byteOffset, size: byteLength }]);
  return out;
}

/** A range of a buffer to read (offset and size: multiples of 4). */
export interface ReadRange {
  buffer: GPUBuffer;
  offset?: number;
  size: number;
}

/**
 * Reads several buffer ranges in one round trip: one submission copies them all into one MAP_READ
 * staging buffer (reused for reads of the same total size), one map. `encoder`: record the copies
 * after the caller's commands there (then this submits it), so that the computation and its
 * readback are one submission. Resolves to one ArrayBuffer per range.
 */
export async function readRanges(ctx: GpuContext, ranges: ReadRange[], encoder?: GPUCommandEncoder): Promise<ArrayBuffer[]> {
  const { device } = ctx;
  let total = 0;
  const at: number[] = [];
  for (const r of ranges) {
    const off = r.offset ?? 0;
    if (off % 4 !== 0 || r.size % 4 !== 0) throw new Error(`readRanges '${r.buffer.label}': offset ${off} and length ${r.size} must be multiples of 4`);
    if (off < 0 || r.size < 0 || off + r.size > r.buffer.size) throw new Error(`readRanges '${r.buffer.label}': ${r.size} bytes at offset ${off} are outside the buffer (${r.buffer.size} bytes)`);
    at.push(total);
    total += r.size;
  }
  const enc = encoder ?? device.createCommandEncoder({ label: 'read ranges' });
  if (total === 0) {
    if (encoder) device.queue.submit([enc.finish()]);
    return ranges.map(() => new ArrayBuffer(0));
  }
  let pools = staging.get(device);
  if (!pools) staging.set(device, (pools = new Map()));
  let free = pools.get(total);
  if (!free) pools.set(total, (free = []));
  const stage = free.pop() ?? device.createBuffer({ label: `staging ${total}`, size: total, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  let trip = trips.get(device);
  if (!trip) trips.set(device, (trip = { pending: 0, count: 0 }));
  if (trip.pending === 0) trip.count++;
  trip.pending++;
  try {
    ranges.forEach((r, k) => { if (r.size > 0) enc.copyBufferToBuffer(r.buffer, r.offset ?? 0, stage, at[k], r.size); });
    device.queue.submit([enc.finish()]);
    try {
      await stage.mapAsync(MAP_MODE_READ);
    } finally {
      trip.pending--;
    }
    const mapped = stage.getMappedRange();
    const out = ranges.map((r, k) => mapped.slice(at[k], at[k] + r.size));
    stage.unmap();
    free.push(stage);
    return out;
  } catch (e) {
    stage.destroy();
    throw e;
  }
}

/** Destroys the cached staging buffers of `ctx`'s device (device.destroy() frees them too). */
export function releaseStaging(ctx: GpuContext): void {
  const pools = staging.get(ctx.device);
  if (!pools) return;
  for (const list of pools.values()) for (const b of list) b.destroy();
  staging.delete(ctx.device);
}
