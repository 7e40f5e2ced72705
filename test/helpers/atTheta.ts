/**
 * An lmer model assembled at a given θ (lme4's, from a fixture) on the float64 CPU backend, with no
 * optimizer: the tests' first level (the machinery alone at the reference's θ). `gram`: A formed
 * elsewhere (an engine's), else from the model's rows.
 */
import { assembleFit } from '../../src/lmm/assemble.js';
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import type { LmmModel } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import type { GramMatrix } from '../../src/linalg/gram.js';
import { CpuBackend } from '../../src/backend/cpu/cpuBackend.js';

/** what the fit records of an optimization that did not run */
const record = { feval: 0, converged: true, optimizerMessage: '', backend: { name: 'cpu', device: 'CPU', precision: 'float64' }, timings: {}, t0: 0 } as const;

export function fitAtTheta(model: LmmModel, theta: ArrayLike<number>, gram: GramMatrix = formGram(model)): LmmFit {
  return assembleFit(model, new CpuBackend(gram, model.theta.length), Float64Array.from(theta), { ...record, messages: [] });
}
