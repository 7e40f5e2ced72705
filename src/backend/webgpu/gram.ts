/**
 * Host of shaders/gram.wgsl: uploads the group-sorted rows once and runs the one pass over the
 * data, leaving each group's packed Gram matrix of [Z X y] in a GPU buffer (G × E f32).
 */
import type { GpuContext } from './device.js';
import { ComputeKernel, packUniform, structLayout } from './kernel.js';
import { createStorage, createUniform } from './buffers.js';
import { shaderSource } from './shaders.generated.js';
import type { GpuDataLayout } from './upload.js';

export interface GpuGram {
  /** G × E packed per-group Gram matrices, f32 */
  gram: GPUBuffer;
  /** buffers to release with the fit */
  buffers: GPUBuffer[];
  /** milliseconds: upload (write + queue), data pass (submit to done) */
  uploadMs: number;
  passMs: number;
  /** bytes read by the data pass (rows) */
  bytes: number;
  /** upload chunks (one when the rows fit one storage binding) */
  chunks: number;
}

/**
 * Runs the data pass. The rows go up in chunks of whole segments, each within the device's storage
 * binding and buffer limits (or `maxChunkBytes`, for tests), one `segments` dispatch per chunk.
 */
export async function formGramGpu(ctx: GpuContext, layout: GpuDataLayout, maxChunkBytes?: number): Promise<GpuGram> {
  const { device } = ctx;
  const code = shaderSource('gram');
  const [segK, grpK] = await Promise.all([
    ComputeKernel.create(ctx, code, 'segments', { label: 'gram.segments' }),
    ComputeKernel.create(ctx, code, 'groups', { label: 'gram.groups' }),
  ]);
  const { w, E, G } = layout;
  const nseg = layout.segStart.length - 1;
  const limit = Math.min(maxChunkBytes ?? Infinity, ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  const chunks = segmentChunks(layout.segStart, w * 4, limit);
  const paramLayout = structLayout(code, 'Params');
  const t0 = performance.now();
  const segGram = createStorage(ctx, nseg * E * 4, 'segGram');
  const groupSeg = createStorage(ctx, layout.groupSeg, 'groupSeg');
  const gram = createStorage(ctx, G * E * 4, 'gram');
  const groupParams = createUniform(ctx, packUniform(paramLayout, { nseg, ngroups: G, w, E, segOffset: 0 }), 'gram params');
  const transient: GPUBuffer[] = [segGram, groupSeg];
  const enc = device.createCommandEncoder({ label: 'gram pass' });
  const pass = enc.beginComputePass({ label: 'gram pass' });
  for (const [s0, s1] of chunks) {
    const r0 = layout.segStart[s0];
    const r1 = layout.segStart[s1];
    const rows = createStorage(ctx, layout.rows.subarray(r0 * w, r1 * w), `rows ${r0}..${r1}`);
    const starts = new Uint32Array(s1 - s0 + 1);
    for (let s = s0; s <= s1; s++) starts[s - s0] = layout.segStart[s] - r0;
    const segStart = createStorage(ctx, starts, 'segStart');
    const params = createUniform(ctx, packUniform(paramLayout, { nseg: s1 - s0, ngroups: G, w, E, segOffset: s0 }), 'gram chunk params');
    transient.push(rows, segStart, params);
    segK.dispatch(pass, segK.bind({ params, rows, segStart, segGram }), segK.workgroupsFor(s1 - s0));
  }
  grpK.dispatch(pass, grpK.bind({ params: groupParams, segGram, groupSeg, gram }), grpK.workgroupsFor(G));
  pass.end();
  await device.queue.onSubmittedWorkDone();
  const t1 = performance.now();
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
  const t2 = performance.now();
  // the rows and segment partials are not needed after the pass
  for (const b of transient) b.destroy();
  return { gram, buffers: [groupParams, gram], uploadMs: t1 - t0, passMs: t2 - t1, bytes: layout.rows.byteLength, chunks: chunks.length };
}

/** Splits the segments into runs [s0, s1) whose rows fit in `limit` bytes (at least one segment each). */
export function segmentChunks(segStart: Uint32Array, rowBytes: number, limit: number): [number, number][] {
  const nseg = segStart.length - 1;
  const out: [number, number][] = [];
  let s0 = 0;
  for (let s = 0; s < nseg; s++) {
    const bytes = (segStart[s + 1] - segStart[s0]) * rowBytes;
    if (bytes > limit && s > s0) {
      out.push([s0, s]);
      s0 = s;
    }
    if ((segStart[s + 1] - segStart[s]) * rowBytes > limit) {
      throw new Error(`one segment of ${segStart[s + 1] - segStart[s]} rows (${(segStart[s + 1] - segStart[s]) * rowBytes} bytes) exceeds the storage binding limit of ${limit} bytes`);
    }
  }
  if (s0 < nseg) out.push([s0, nseg]);
  return out;
}
