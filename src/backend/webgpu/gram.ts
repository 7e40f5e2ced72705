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
}

export async function formGramGpu(ctx: GpuContext, layout: GpuDataLayout): Promise<GpuGram> {
  const { device } = ctx;
  const code = shaderSource('gram');
  const [segK, grpK] = await Promise.all([
    ComputeKernel.create(ctx, code, 'segments', { label: 'gram.segments' }),
    ComputeKernel.create(ctx, code, 'groups', { label: 'gram.groups' }),
  ]);
  const nseg = layout.segStart.length - 1;
  const t0 = performance.now();
  const params = createUniform(ctx, packUniform(structLayout(code, 'Params'), { nseg, ngroups: layout.G, w: layout.w, E: layout.E }), 'gram params');
  const rows = createStorage(ctx, layout.rows, 'rows');
  const segStart = createStorage(ctx, layout.segStart, 'segStart');
  const groupSeg = createStorage(ctx, layout.groupSeg, 'groupSeg');
  const segGram = createStorage(ctx, nseg * layout.E * 4, 'segGram');
  const gram = createStorage(ctx, layout.G * layout.E * 4, 'gram');
  await device.queue.onSubmittedWorkDone();
  const t1 = performance.now();
  const enc = device.createCommandEncoder({ label: 'gram pass' });
  const pass = enc.beginComputePass({ label: 'gram pass' });
  segK.dispatch(pass, segK.bind({ params, rows, segStart, segGram }), segK.workgroupsFor(nseg));
  grpK.dispatch(pass, grpK.bind({ params, segGram, groupSeg, gram }), grpK.workgroupsFor(layout.G));
  pass.end();
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
  const t2 = performance.now();
  // the rows and segment partials are not needed after the pass
  for (const b of [rows, segStart, groupSeg, segGram]) b.destroy();
  return { gram, buffers: [params, gram], uploadMs: t1 - t0, passMs: t2 - t1, bytes: layout.rows.byteLength };
}
