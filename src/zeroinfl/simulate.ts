/**
 * glmmTMB 1.1.5's simulate(fit, nsim, seed) for a zero-inflated or hurdle count GLMM: TMB's
 * obj$simulate at the fitted parameters, which draws NEW random effects (glmmTMB 1.1.5 has no simcodes:
 * every random-effects term is redrawn from N(0, σ̂²), an unconditional simulation), then per row
 *
 *   b*_k = T_k(θ̂) u*,  u* ~ N(0, I)   (θ̂ = exp ψ̂, the SDs),   or b̃ (the conditional modes) with
 *          `conditional: true` (DHARMa's simulateREs = "conditional", glmmTMB ≥ 1.1.6's simcode "fix"),
 *   η* = offset + X β̂ + Σ_k Z_k b*_k,  μ* = e^{η*},  p = logit⁻¹(x_ziᵀγ̂),
 *   zero-inflated (poisson, nbinom2):  y* = c · B,  c ~ f(·; μ*),  B ~ Bernoulli(1 − p)
 *   hurdle (truncated_*):              y* = c · B,  c ~ f(· | c > 0; μ*)
 *
 * (glmmTMB.cpp: the count draw rpois / rnbinom2(μ, μ(1 + μ/φ)) / the zero-truncated draw, times
 * rbinom(1, 1 − p)). Here each row's y* comes from ONE counter-based uniform u (stream STREAM_EPS,
 * index = row; src/model/random.ts) by inverting the mixture's distribution function, which has the
 * same distribution:
 *   zero-inflated:  F(k) = p + (1 − p) F_c(k):  y* = 0 if u ≤ p, else F_c⁻¹((u − p)/(1 − p)),
 *   hurdle:         F(0) = p, F(k) = p + (1 − p)(F_c(k) − F_c(0))/(1 − F_c(0)) for k ≥ 1:
 *                   y* = 0 if u ≤ p, else max(1, F_c⁻¹(F_c(0) + (1 − F_c(0))(u − p)/(1 − p)))
 *                   (where 1 − F_c(0) < ½, by summing the truncated probabilities from k = 1 instead),
 * F_c the Poisson(μ*) or NB2(φ̂, μ*) distribution function (src/inference/discreteDraws.ts); u* from
 * the streams STREAM_U + k (index = level), as lme4's simulate here (src/inference/simulate.ts), so
 * replicate r is a pure function of (seed, r).
 */
import { OptionError } from '../errors/errors.js';
import { negbinInverse, poissonInverse } from '../inference/discreteDraws.js';
import { fillTemplate } from '../linalg/template.js';
import { CounterNormal, STREAM_EPS, addBlockEffects, drawBlockEffects } from '../model/random.js';
import { type Schema, bool, checkObject, integer } from '../options/rules.js';
import { condFixed, splitParameters, ziLinear } from './laplace.js';
import type { ZeroInflatedModel } from './model.js';

export interface ZiSimulateOptions {
  /** the random seed (an integer; default 1): the same seed gives the same draws */
  seed?: number;
  /** draw on the fitted random effects b̃ instead of new ones (default false: glmmTMB 1.1.5's simulate redraws them) */
  conditional?: boolean;
}

export interface ZiSimulateResult {
  seed: number;
  conditional: boolean;
  /** nsim simulated responses, each with one count per row of the fit */
  y: Float64Array[];
  messages: string[];
}

/** what the simulations read of a fit */
export interface ZiSimulateSource {
  model: ZeroInflatedModel;
  par: Float64Array;
  /** η at the conditional modes per row (the fit's) */
  eta: Float64Array;
}

const OPTIONS: Schema = { seed: integer(-(2 ** 53), 2 ** 53), conditional: bool };

/** One count of the zero-inflated / hurdle distribution at (μ, p, φ) from the uniform u (see the header). */
export function ziDraw(model: Pick<ZeroInflatedModel, 'nb' | 'hurdle'>, u: number, mu: number, p: number, phi: number): number {
  if (u <= p) return 0;
  const v = (u - p) / (1 - p);
  const inv = (w: number) => (model.nb ? negbinInverse(w, phi, mu) : poissonInverse(w, mu));
  if (!model.hurdle) return inv(v);
  // F_c(0) = e^g: Poisson g = −μ, NB2 g = −φ log(1 + μ/φ); S₀ = 1 − F_c(0) = −expm1(g) without cancellation
  const g = model.nb ? -phi * Math.log1p(mu / phi) : -mu;
  const S0 = -Math.expm1(g);
  if (S0 >= 0.5) return Math.max(1, inv(Math.min(Math.exp(g) + S0 * v, 1)));
  // most of the count's mass at 0 (small μ): F_c(0) + S₀v would round to 1, so walk up from k = 1 on the
  // truncated scale, min{ k ≥ 1 : Σ_{j=1..k} f(j) ≥ v S₀ }, with f(1) = μ e^g (Poisson), φ e^g μ/(φ + μ) (NB2)
  // and the ratios f(k + 1)/f(k) = μ/(k + 1) (Poisson), (k + φ) q/(k + 1), q = μ/(φ + μ) (NB2)
  const q = model.nb ? mu / (phi + mu) : NaN;
  let k = 1;
  let pk = model.nb ? phi * Math.exp(g) * q : mu * Math.exp(g);
  let cum = pk;
  const target = v * S0;
  while (cum < target && pk > 0) {
    pk *= model.nb ? ((k + phi) * q) / (k + 1) : mu / (k + 1);
    k++;
    cum += pk;
  }
  return k;
}

/** simulate(fit, nsim, { seed, conditional }) (see the header); `first`: the first replicate's index. */
export function simulateZeroInflated(fit: ZiSimulateSource, nsim = 1, options: ZiSimulateOptions = {}, first = 0): ZiSimulateResult {
  if (!(Number.isInteger(nsim) && nsim >= 1)) throw new OptionError('nsim', `simulate: nsim must be a whole number of simulations (1 or more), got ${String(nsim)}`);
  checkObject(options, 'simulate', OPTIONS);
  const seed = options.seed ?? 1;
  const conditional = options.conditional === true;
  const { model } = fit;
  const { n } = model;
  const { beta, gamma, logPhi, psi } = splitParameters(model, fit.par);
  const phi = model.nb ? Math.exp(logPhi) : NaN;
  const fixed = condFixed(model, beta);
  const lz = ziLinear(model, gamma);
  const p = Float64Array.from(lz, (e) => (model.pz === 0 ? 0 : 1 / (1 + Math.exp(-e))));
  const theta = Float64Array.from(psi, Math.exp);
  const templates = model.blocks.map((b) => {
    const T = new Float64Array(b.q * b.q);
    fillTemplate(b, theta, T);
    return T;
  });
  const rng = new CounterNormal(seed);
  const y: Float64Array[] = [];
  const eta = new Float64Array(n);
  for (let r = first; r < first + nsim; r++) {
    if (conditional) eta.set(fit.eta);
    else {
      eta.set(fixed);
      // b*_g = T u*_g per level (src/model/random.ts)
      model.blocks.forEach((blk, k) => addBlockEffects(eta, blk.codes, blk.Z, blk.q, drawBlockEffects(rng, r, k, blk.nl, blk.q, templates[k])));
    }
    const yr = new Float64Array(n);
    for (let i = 0; i < n; i++) yr[i] = ziDraw(model, rng.uniform(r, STREAM_EPS, i), Math.exp(eta[i]), p[i], phi);
    y.push(yr);
  }
  return { seed, conditional, y, messages: [] };
}
