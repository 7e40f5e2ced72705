/**
 * A GLMM's PIRLS on the WebGPU backend (src/glmm/objectives.ts GlmmDevice): the weighted passes with
 * and without X (glmmPass.ts), each PIRLS state evaluated in the shaders unless `gpuReweight` is
 * false, and the first grouping factor's per-group updates there too (glmmGroups.ts; with several
 * factors the rest of the factor and the step on the host in float64). With
 * nAGQ > 1 (one scalar term) adaptive quadrature's rows pass (n × nAGQ unit deviances) runs there too
 * (glmmPass.ts agqRowSums), finished per level in float64 from the CPU's factor (PirlsEngine.agqAsync);
 * with one factor's vector term the product rule runs on the CPU from η brought back (src/glmm/agqVector.ts).
 */
import type { GlmmModel } from '../../glmm/model.js';
import type { GlmmDevice, GlmmGpuOptions } from '../../glmm/objectives.js';
import { F32_PASS_TOLERANCES, PirlsEngine, type PirlsTolerances } from '../../glmm/pirls.js';
import { roundTrips } from './buffers.js';
import { type GpuContext, guardDevice } from './device.js';
import { GlmmGroupsGpu, groupSegments, groupUpdatesFit } from './glmmGroups.js';
import { GlmmPassGpu, gpuReweightSupported } from './glmmPass.js';

/**
 * PIRLS's tolerances on the device: those of an f32 pass, except that a run stops once its last
 * Newton step moved η by less than 1e-3 (F32_PASS_TOLERANCES: 1e-6). The state is the one after that
 * step, whose error is Newton's C·step² ≲ 3e-7 (C ≈ 0.1–0.3 measured), the f32 resolution of η
 * itself: the objective's jitter is unchanged (bench/glmmNoise.ts) and a stage-2 evaluation takes
 * fewer iterations, each a round trip (bench/RESULTS.md, issue 15: the stage-2 evaluations).
 */
export const DEVICE_PIRLS_TOLERANCES: PirlsTolerances = { ...F32_PASS_TOLERANCES, etaTol: 1e-3 };

/** The GLMM's device side on `ctx`; `nAGQ` > 1 keeps the per-group updates on the CPU (AGQ reads the factor L there; its rows pass runs on the device). */
export async function createGlmmDevice(ctx: GpuContext, model: GlmmModel, options: GlmmGpuOptions, nAGQ: number): Promise<GlmmDevice> {
  const { n, X, p, blocks } = model.pirls;
  // each PIRLS state evaluated in the shaders from (β, b) (unless gpuReweight is false): only the
  // coefficients go up and O(segments) partial sums come back per iteration
  const { family, y, weights, offset } = model.pirls;
  const rowData = options.gpuReweight === false ? undefined : { family, y, weights, offset };
  // the per-group updates of the first grouping factor on the GPU too: rows on the GPU, Laplace or
  // nAGQ = 0 (AGQ's quadrature reads the factor on the CPU), any q and p within the adapter's
  // bindings; with more grouping factors the rest of the factor and the step on the host (coupled)
  // With several factors this takes two round trips an iteration where the CPU's path takes one, and on a
  // software adapter it was 1.2–2.3× slower than the per-group work on the CPU (bench/glmmGroupsAB.ts,
  // bench/RESULTS.md): there it runs only when asked (gpuGroups: true)
  const wanted = options.gpuGroups ?? !(blocks.length > 1 && ctx.isSoftware);
  const groupLayout = wanted && rowData !== undefined && gpuReweightSupported(family) &&
    nAGQ <= 1 && groupUpdatesFit(ctx, blocks[0].q, p, blocks[0].nl, groupSegments(blocks[0], n)) === null;
  const full = await GlmmPassGpu.create(ctx, { n, X, p, blocks }, undefined, rowData, { groupLayout });
  const u = await GlmmPassGpu.create(ctx, { n, X: new Float64Array(0), p: 0, blocks }, full, rowData, { groupLayout });
  let groups: { full: GlmmGroupsGpu; u: GlmmGroupsGpu } | undefined;
  if (groupLayout) {
    const coupled = blocks.length > 1 ? { blocks, nTheta: model.theta.length } : undefined;
    const gFull = await GlmmGroupsGpu.create(ctx, full, blocks[0], undefined, { coupled });
    groups = { full: gFull, u: await GlmmGroupsGpu.create(ctx, u, blocks[0], gFull) };
  }
  const engine = new PirlsEngine(model.pirls, { grams: { full, u }, groups, tolerances: DEVICE_PIRLS_TOLERANCES });
  if (groups && !engine.groups) {
    // the engine keeps η on the CPU (aic − deviance not constant): no group layout then
    for (const x of [full, u, groups.u, groups.full]) x.dispose();
    return createGlmmDevice(ctx, model, { ...options, gpuGroups: false }, nAGQ);
  }
  const passes = [full, u];
  const trips0 = roundTrips(ctx);
  const resources = [full, u, ...(groups ? [groups.u, groups.full] : [])];
  return {
    engine,
    guard: (run) => guardDevice(ctx, run),
    backend: { name: 'webgpu', device: ctx.adapterName, precision: 'float32' },
    setupMs: passes.reduce((a, x) => a + x.timings.setupMs, 0),
    passTimings: () => ({
      passes: passes.reduce((a, x) => a + x.timings.passes, 0),
      passMs: passes.reduce((a, x) => a + x.timings.passMs, 0),
      finishMs: passes.reduce((a, x) => a + x.timings.finishMs, 0),
      groupFactors: groups ? groups.full.counts.factors + groups.u.counts.factors : 0,
      roundTrips: roundTrips(ctx) - trips0,
    }),
    dispose: () => { for (const x of resources) x.dispose(); },
  };
}
