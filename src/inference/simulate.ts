/**
 * lme4's simulate(fit, nsim, seed, use.u): responses drawn from the fitted model,
 *   b*_k = s T_k(θ̂) u*,  u* ~ N(0, I)   (s = σ̂ for an LMM, 1 for a GLMM; T_k block k's template),
 *          or b̂_k, the conditional modes, with `useU` (lme4's use.u = TRUE),
 *   η* = offset + X β̂ + Σ_k Z_k b*_k,
 *   LMM:  y* = η* + σ̂ ε / √w_i,  ε ~ N(0, 1)   (w the prior weights: the fitted model's residual
 *         variance σ̂²/w_i, as the parametric bootstrap draws it; lme4 1.1-31's simulate draws σ̂ ε for
 *         every row whatever the weights),
 *   GLMM: μ* = g⁻¹(η*);  binomial: y* = k/m, k ~ Binomial(m_i, μ*_i) with m the prior weights (the
 *         trials of cbind(s, f)); Poisson(μ*_i); NB2(θ̂, μ*_i)   (discreteDraws.ts, by inversion).
 * Draws are counter-based (src/model/random.ts), as the bootstrap's: replicate r's u* from the streams
 * STREAM_U + k (index level·q + column), its ε (LMM) or its response's uniforms (GLMM) from STREAM_EPS
 * (index = row), so a replicate is a pure function of (seed, r).
 */
import { DataError, ModelError, OptionError } from '../errors/errors.js';
import { CounterNormal, STREAM_EPS, addBlockEffects, drawBlockEffects } from '../model/random.js';
import { fillTemplate } from '../linalg/template.js';
import type { MixedModel } from '../model/mixedModel.js';
import type { GlmFamily } from '../glmm/family.js';
import { type Schema, bool, checkObject, integer } from '../options/rules.js';
import { type PredictSource, predictLinear } from '../results/predict.js';
import { familyDraw } from './discreteDraws.js';
import { refuseEngineRows, refuseKnownCovariance } from './knownCovariance.js';

export interface SimulateOptions {
  /** the random seed (an integer; default 1, as the bootstrap's): the same seed gives the same draws */
  seed?: number;
  /** condition on the conditional modes b̂ instead of drawing new random effects (lme4's use.u = TRUE) */
  useU?: boolean;
}

export interface SimulateResult {
  seed: number;
  /** nsim simulated responses, each with one value per row of the fit (a binomial's as proportions k/m) */
  y: Float64Array[];
  messages: string[];
}

const SIMULATE_OPTIONS: Schema = { seed: integer(-(2 ** 53), 2 ** 53), useU: bool };

/** What simulate reads of a fit (an lmer or glmer fit). */
export interface SimulateSource extends PredictSource {
  model: PredictSource['model'] & Pick<MixedModel, 'known'> & { family?: GlmFamily; source?: { engine: string; name: string } };
  theta: Float64Array;
  sigma: number;
}

/** simulate(fit, nsim, { seed, useU }) (see the header). */
/** `first`: the index of the first replicate drawn (a batch of a longer run: replicate r is the same whatever the batches) */
export function simulateFit(fit: SimulateSource, nsim = 1, options: SimulateOptions = {}, first = 0): SimulateResult {
  if (!(Number.isInteger(nsim) && nsim >= 1)) throw new OptionError('nsim', `nsim must be a whole number of simulations (1 or more), got ${String(nsim)}`);
  checkObject(options, 'simulate', SIMULATE_OPTIONS);
  const seed = options.seed ?? 1;
  const useU = options.useU === true;
  const { model } = fit;
  const family = model.family;
  // Gamma and inverse.gaussian: lme4 1.1-31's Gamma_simfun draws rgamma with shape = sigma(fit)·wt (not
  // the dispersion's 1/σ̂², so its draws do not have the fit's variance) and inverse.gaussian_simfun
  // statmod's rinvgauss with shape wt/σ̂; neither is reproduced here: refused rather than drawn either way
  if (family && family.family !== 'binomial' && family.family !== 'poisson' && family.family !== 'negative.binomial') {
    throw new ModelError(`simulate: simulating a ${family.family} GLMM's response is not supported (binomial, Poisson and negative binomial fits only; lme4 1.1-31 draws a Gamma response with shape sigma(fit) instead of 1/sigma(fit)^2)`);
  }
  if (!useU) refuseKnownCovariance(model, 'simulations with new random effects', 'their draws need K\'s factor; simulate with useU: true (the conditional modes) instead');
  refuseEngineRows(model, 'simulate');
  const { n } = model.frame;
  const weights = model.frame.weights ?? null;
  const messages: string[] = [];
  if (family?.family === 'binomial' && weights) {
    for (let i = 0; i < n; i++) {
      if (!(Number.isInteger(weights[i]) && weights[i] >= 1)) throw new DataError(`simulating a binomial GLMM needs whole numbers of trials (prior weights), row ${i + 1} has ${weights[i]}`);
    }
  } else if (family && weights && weights.some((w) => w !== 1)) {
    messages.push(`ignoring prior weights when simulating the ${family.family === 'poisson' ? 'Poisson' : 'negative binomial'} response (as lme4's simulate)`);
  }
  // the fixed part offset + X β̂ of the fit's rows (predict's population level), shared by every replicate
  const fixed = predictLinear(fit, null, { groups: false });
  // each block's T(θ̂) scaled by s (σ̂ for an LMM)
  const scale = family ? 1 : fit.sigma;
  const templates = model.blocks.map((b) => {
    const T = new Float64Array(b.q * b.q);
    fillTemplate(b, fit.theta, T);
    for (let e = 0; e < T.length; e++) T[e] *= scale;
    return T;
  });
  const rng = new CounterNormal(seed);
  const y: Float64Array[] = [];
  const eta = new Float64Array(n);
  for (let r = first; r < first + nsim; r++) {
    eta.set(fixed);
    model.blocks.forEach((blk, k) => {
      // the conditional modes, or b*_g = T u*_g per level
      const b = useU ? fit.conditionalModes(k) : drawBlockEffects(rng, r, k, blk.nl, blk.q, templates[k]);
      addBlockEffects(eta, blk.codes, blk.Z, blk.q, b);
    });
    const yr = new Float64Array(n);
    if (!family) {
      for (let i = 0; i < n; i++) yr[i] = eta[i] + (fit.sigma * rng.normal(r, STREAM_EPS, i)) / (weights ? Math.sqrt(weights[i]) : 1);
    } else {
      for (let i = 0; i < n; i++) {
        yr[i] = familyDraw(family, rng.uniform(r, STREAM_EPS, i), family.linkinv(eta[i]), weights ? weights[i] : 1);
      }
    }
    y.push(yr);
  }
  return { seed, y, messages };
}
