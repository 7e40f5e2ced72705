/**
 * An lmer model assembled at a given θ (lme4's, from a fixture) on the float64 CPU backend, with no
 * optimizer: the tests' first level (the machinery alone at the reference's θ). `gram`: A formed
 * elsewhere (an engine's), else from the model's rows.
 */
import { assembleFit } from '../../src/lmm/assemble.js';
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import type * as arrow from 'apache-arrow';
import { type LmmModel, buildLmm } from '../../src/lmm/model.js';
import { lmer } from '../../src/fit/lmer.js';
import { glmer } from '../../src/fit/glmer.js';
import type { GlmmFit } from '../../src/glmm/glmmFit.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import type { GramMatrix } from '../../src/linalg/gram.js';
import { CpuBackend } from '../../src/backend/cpu/cpuBackend.js';

/** what the fit records of an optimization that did not run */
const record = { feval: 0, converged: true, optimizerMessage: '', backend: { name: 'cpu', device: 'CPU', precision: 'float64' }, timings: {}, t0: 0 } as const;

export function fitAtTheta(model: LmmModel, theta: ArrayLike<number>, gram: GramMatrix = formGram(model)): LmmFit {
  return assembleFit(model, new CpuBackend(gram, model.theta.length), Float64Array.from(theta), { ...record, messages: [] });
}

/** a model of an R fixture: its formula and data, lmer's REML or glmer's family, and lme4's θ */
export interface FixtureModel { formula: string; data: string; reml?: boolean; family?: string; link?: string; theta: number[] | number; /** lmer's prior weights: a column */ weights?: string }

/**
 * Each fixture model fitted here (lmer, or glmer with its family) into `fits` and, for lmer, also
 * assembled at lme4's θ into `atTheta`; `dataOf` and `factorsOf` give a model's data and factors by its
 * data's name.
 */
export async function fitFixtureModels(
  models: Record<string, FixtureModel>, dataOf: (data: string) => arrow.Table, factorsOf: (data: string) => string[],
  into: { fits: Map<string, LmmFit | GlmmFit>; atTheta: Map<string, LmmFit> },
): Promise<void> {
  for (const [name, m] of Object.entries(models)) {
    const data = dataOf(m.data);
    const factors = factorsOf(m.data);
    into.fits.set(name, m.family
      ? await glmer(m.formula, data, { family: m.family as 'binomial' | 'poisson', link: m.link as 'logit', factors })
      : await lmer(m.formula, data, { REML: m.reml, factors, ...(m.weights ? { weights: m.weights } : {}) }));
    if (!m.family) into.atTheta.set(name, fitAtTheta(buildLmm(m.formula, data, { REML: m.reml, factors, ...(m.weights ? { weights: m.weights } : {}) }), [m.theta].flat()));
  }
}
