/**
 * The parametric bootstrap of a generalized linear mixed model (lme4's bootMer(fit, FUN, nsim) with
 * confint's statistics for a glmer fit: the random effects' SDs and correlations and β):
 *
 *   u* ~ N(0, I),   η* = offset + X β̂ + Z Λ(θ̂) u*,   μ* = g⁻¹(η*),
 *   y*_i ~ Binomial(w_i, μ*_i) / w_i   (w_i the prior weights: the trials of cbind(s, f))
 *   y*_i ~ Poisson(μ*_i),   y*_i ~ NB2(θ̂, μ*_i)   (the negative binomial's size held at its estimate in
 *   the draws and the refits, as lme4's bootMer and refit do: the intervals leave out its uncertainty),
 *
 * as lme4's simulate.merMod; then each y* is refitted by the core's GLMM fit (src/glmm/fit.ts:
 * stage 1, stage 2 and the one fit driver) on the same model with only the response replaced and
 * stage 1 started at θ̂ (as lme4's refit), with
 * Var(β̂) from R_X (no Hessian: the statistics need only θ̂* and β̂*). Unlike the LMM's (bootstrap.ts)
 * a GLMM's refit has no sufficient statistics to batch: PIRLS visits the rows at every θ.
 *
 * Draws are counter-based (src/model/random.ts): u* from the streams STREAM_U + k (block k, index
 * level·q + column), the response from the uniforms of STREAM_EPS (index = row), inverted by
 * discreteDraws.ts, so a replicate is a pure function of (seed, replicate).
 */
import { DataError, ModelError, OptionError } from '../errors/errors.js';
import { abortError } from '../model/control.js';
import { CounterNormal, STREAM_EPS, STREAM_U } from '../model/random.js';
import { thetaToInternal } from '../model/reparam.js';
import { fitGlmm } from '../glmm/fit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import type { GlmmModel } from '../glmm/model.js';
import { PirlsEngine } from '../glmm/pirls.js';
import type { BootstrapOptions, BootstrapResult } from './bootstrap.js';
import { familyDraw } from './discreteDraws.js';
import { thetaToSdcor, varianceParameterNames } from './lmmProfile.js';
import { refuseKnownCovariance } from './knownCovariance.js';
import { jackknifeBlock, jackknifeGlmm } from './jackknife.js';

/** The response simulator of a glmer fit: replicate ↦ y* (a new array each call). */
export function glmmSimulator(model: GlmmModel, theta: ArrayLike<number>, beta: ArrayLike<number>, seed: number): { simulate: (replicate: number) => Float64Array; messages: string[] } {
  const { pirls, family } = model;
  const { n, weights } = pirls;
  const messages: string[] = [];
  if (family.family !== 'binomial' && family.family !== 'poisson' && family.family !== 'negative.binomial') {
    throw new ModelError(`the parametric bootstrap of a glmer fit simulates binomial, Poisson and negative binomial responses; this fit's family is ${String(family.family)}, which it does not simulate`);
  }
  if (family.family === 'binomial') {
    for (let i = 0; i < n; i++) {
      if (!(Number.isInteger(weights[i]) && weights[i] >= 1)) {
        throw new DataError(`the bootstrap of a binomial GLMM needs whole numbers of trials (prior weights), row ${i + 1} has ${weights[i]}`);
      }
    }
  } else if (weights.some((w) => w !== 1)) {
    messages.push('ignoring prior weights when simulating the Poisson response (as lme4\'s simulate)');
  }
  // Λ(θ̂) of the internal parametrization with the fit's β: the engine's linear predictor
  const engine = new PirlsEngine(pirls);
  const thetaInt = thetaToInternal(model, theta);
  const betaF = Float64Array.from(beta);
  engine.run(thetaInt, betaF);
  const rng = new CounterNormal(seed);
  const eta = new Float64Array(n);
  const simulate = (replicate: number): Float64Array => {
    const u = pirls.blocks.map((b, k) => Float64Array.from({ length: b.nl * b.q }, (_, e) => rng.normal(replicate, STREAM_U + k, e)));
    engine.linearPredictor(u, betaF, eta);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const mu = family.linkinv(eta[i]);
      const v = rng.uniform(replicate, STREAM_EPS, i);
      y[i] = familyDraw(family, v, mu, weights[i]);
    }
    return y;
  };
  return { simulate, messages };
}

/**
 * The model with its response replaced by y (everything else shared: the design is the fit's) and,
 * when given, the optimizer's start at the internal θ `start` (lme4's refit starts from the fit's θ).
 */
export function withResponse(model: GlmmModel, y: Float64Array, start?: Float64Array): GlmmModel {
  const frame = { ...model.frame, y };
  const theta = start ? { ...model.theta, start } : model.theta;
  return Object.assign(Object.create(Object.getPrototypeOf(model)), model, { frame, theta, pirls: { ...model.pirls, y, theta } });
}

export async function bootstrapGlmm(fit: GlmmFit, options: BootstrapOptions): Promise<BootstrapResult & { messages: string[] }> {
  const t0 = performance.now();
  refuseKnownCovariance(fit.model, 'the parametric bootstrap', "its simulation draws each level's random effects independently, not with K's covariance");
  const { nsim } = options;
  if (!Number.isInteger(nsim) || nsim < 1) throw new OptionError('nsim', `nsim must be a whole number ≥ 1, got ${nsim}`);
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new OptionError('seed', `seed must be an integer, got ${seed}`);
  const model = fit.model;
  const terms = model.frame.reTerms;
  const nt = model.theta.length;
  const names = [...varianceParameterNames(terms).slice(0, nt), ...model.frame.xnames];
  const stats = (f: GlmmFit) => Float64Array.from([...thetaToSdcor(terms, f.theta, 1).subarray(0, nt), ...f.beta]);
  const jackBlock = options.jackknife ? jackknifeBlock(model, options.jackknife) : -1;
  const { simulate, messages } = glmmSimulator(model, fit.theta, fit.beta, seed);
  if (fit.thetaEstimation) {
    messages.push(`the negative binomial size is held at its estimate ${fit.nbSize} in every replicate (as lme4's bootMer): the intervals leave out its uncertainty`);
  }
  // each refit starts from θ̂ (stage 1; stage 2 from stage 1's optimum), as lme4's refit
  const start = thetaToInternal(model, fit.theta);
  const t: Float64Array[] = [];
  const deviance: number[] = [];
  const refits = { newton: 0, bobyqa: 0, failed: 0 };
  let gramMs = 0, refitMs = 0;
  const failures = new Map<string, number>();
  for (let r = 0; r < nsim; r++) {
    if (options.signal?.aborted) throw abortError();
    const tg = performance.now();
    const m = withResponse(model, simulate(r), start);
    gramMs += performance.now() - tg;
    const tr = performance.now();
    try {
      const g = await fitGlmm(m, new PirlsEngine(m.pirls), fit.nAGQ, { vcov: 'RX', signal: options.signal }, tr, {});
      t.push(stats(g));
      deviance.push(g.objective);
      refits.bobyqa++;
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      const msg = (e as Error).message;
      failures.set(msg, (failures.get(msg) ?? 0) + 1);
      t.push(new Float64Array(names.length).fill(NaN));
      deviance.push(NaN);
      refits.failed++;
    }
    refitMs += performance.now() - tr;
    options.onProgress?.({ done: r + 1, nsim, elapsedMs: performance.now() - t0 });
  }
  for (const [msg, count] of failures) messages.push(`${count} bootstrap refit${count > 1 ? 's' : ''} failed: ${msg}`);
  // BCa's jackknife: each refit from θ̂ as the replicates'
  const jackknife = jackBlock >= 0
    ? await jackknifeGlmm(model, jackBlock, async (m) => {
      const s = withResponse(m, m.pirls.y, start);
      return stats(await fitGlmm(s, new PirlsEngine(s.pirls), fit.nAGQ, { vcov: 'RX', signal: options.signal }, performance.now(), {}));
    }, options.signal)
    : undefined;
  return {
    names, t0: stats(fit), t, deviance: Float64Array.from(deviance), refits, nsim, seed,
    timings: { gramMs, refitMs, totalMs: performance.now() - t0 }, messages, ...(jackknife ? { jackknife } : {}),
  };
}
