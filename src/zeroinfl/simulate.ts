/**
 * glmmTMB 1.1.5's simulate(fit, nsim, seed) for a glmmTMB fit: TMB's obj$simulate at the fitted
 * parameters, which draws NEW random effects (glmmTMB 1.1.5 has no simcodes: every random-effects term
 * is redrawn from N(0, σ̂²), an unconditional simulation), then per row
 *
 *   b*_k = T_k(θ̂) u*,  u* ~ N(0, I)   (θ̂ = exp ψ̂, the SDs),   or b̃ (the conditional modes) with
 *          `conditional: true` (DHARMa's simulateREs = "conditional", glmmTMB ≥ 1.1.6's simcode "fix"),
 *   η* = offset + X β̂ + Σ_k Z_k b*_k,  μ* = g⁻¹(η*),  p = logit⁻¹(x_ziᵀγ̂),  φ = exp(x_dᵀδ̂),
 *   (with random effects in the zero model: p* = logit⁻¹(x_ziᵀγ̂ + z_ziᵀb*_zi), b*_zi new ones from the
 *   same blocks' draws — a factor shared by both models draws one u* per level for both — or the modes
 *   with `conditional: true`; θ̂ from glmmTMB's ψ̂ by covariance.ts),
 *   zero-inflated (poisson, nbinom1, nbinom2):  y* = c · B,  c ~ f(·; μ*, φ),  B ~ Bernoulli(1 − p)
 *   hurdle (truncated_*):                       y* = c · B,  c ~ f(· | c > 0; μ*, φ)
 *   beta_family:  y* ~ Beta(μ*φ, (1 − μ*)φ)      gaussian:  y* ~ N(μ*, φ)   (φ = σ²)
 *
 * (glmmTMB.cpp: the count draw rpois / rnbinom2(μ, μ(1 + μ/φ)) / rnbinom2(μ, μ(1 + φ)) (NB1) / the
 * zero-truncated draw, times rbinom(1, 1 − p); rbeta(μφ, (1 − μ)φ); rnorm(μ, √φ)). Here each count
 * y* comes from ONE counter-based uniform u (stream STREAM_EPS, index = row; src/model/random.ts) by
 * inverting the mixture's distribution function, which has the same distribution:
 *   zero-inflated:  F(k) = p + (1 − p) F_c(k):  y* = 0 if u ≤ p, else F_c⁻¹((u − p)/(1 − p)),
 *   hurdle:         F(0) = p, F(k) = p + (1 − p)(F_c(k) − F_c(0))/(1 − F_c(0)) for k ≥ 1:
 *                   y* = 0 if u ≤ p, else max(1, F_c⁻¹(F_c(0) + (1 − F_c(0))(u − p)/(1 − p)))
 *                   (where 1 − F_c(0) < ½, by summing the truncated probabilities from k = 1 instead),
 * F_c the Poisson(μ*) or negative binomial distribution function (NB2 size φ; NB1 size μ* ÷ φ, the same
 * probability 1/(1 + φ)) (src/inference/discreteDraws.ts); a gaussian y* = μ* + √φ z, z the normal
 * number `row` of STREAM_EPS; a beta y* = G_a/(G_a + G_b), G_a ~ Gamma(μ*φ), G_b ~ Gamma((1 − μ*)φ) by
 * Marsaglia and Tsang (2000) from the streams STREAM_BETA + 0…5 (index 16·row + attempt; a shape below 1
 * boosted, Gamma(a) = Gamma(a + 1) U^{1/a}, in logs); u* from
 * the streams STREAM_U + k (index = level), as lme4's simulate here (src/inference/simulate.ts), so
 * replicate r is a pure function of (seed, r).
 * The other families (glmmTMB.cpp's rbinom(size, μ), rbinom(size, rbeta(a, b)), rgamma(φ, μ/φ),
 * rtweedie, rgenpois), each from the same streams:
 *   genpois (and its zero-inflated, truncated forms): F_c inverted by summing f(k) = θ(θ + λk)^{k−1}
 *     e^{−θ−λk}/k! from k = 0 (glmmTMB's rgenpois sums the same way), θ = μ/√φ, λ = 1 − 1/√φ;
 *   compois (and its zero-inflated, truncated forms): F_c inverted by summing f(k) = λ^k/(k!)^ν/Z from
 *     k = 0, ν = 1/φ, λ from μ* (compois.ts; glmmTMB's rcompois2 is a rejection sampler of the same law);
 *   binomial: k* = F⁻¹(u) of Binomial(m, μ*) (summing its probabilities from 0), zero-inflated as the
 *     counts; y* = k* ÷ m, the proportion (model.y's scale);
 *   betabinomial: π* ~ Beta(μ*φ, (1 − μ*)φ) (the beta draw above), then k* ~ Binomial(m, π*) from u;
 *   Gamma: y* = (μ* ÷ φ) G, G ~ Gamma(φ) (Marsaglia–Tsang on the beta draw's first streams);
 *   tweedie: N ~ Poisson(μ*^(2−p)/(φ(2−p))) from u, then y* = φ(p − 1)μ*^(p−1) G, G ~ Gamma(N(2 − p)/(p − 1))
 *     (a sum of N independent gamma variables), y* = 0 when N = 0.
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { negbinInverse, poissonInverse } from '../inference/discreteDraws.js';
import { fillTemplate } from '../linalg/template.js';
import { CounterNormal, STREAM_EPS, addBlockEffects, drawBlockEffects } from '../model/random.js';
import { type Schema, bool, checkObject, integer } from '../options/rules.js';
import { condFixed, dispLinear, splitParameters, ziLinear } from './laplace.js';
import { tweediePower } from './tweedie.js';
import { compoisLogLambda, compoisLogPmf } from './compois.js';
import { lgamma } from '../glmm/rmath.js';
import { lme4Theta } from './covariance.js';
import type { ZeroInflatedModel } from './model.js';
import { logZeroProbability, ziConditionalMean } from './predict.js';

/** the beta draws' gamma streams: normals and uniforms of G_a, of G_b, and the boost's uniforms (far from STREAM_U + k) */
const STREAM_BETA = 0x6265740;
/** Marsaglia and Tsang's attempts per row in one index range (each accepted with probability > 0.95) */
const ATTEMPTS = 16;

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
  /** logit p at the modes per row (the fit's; read where the zero model has random effects) */
  etaZi?: Float64Array;
}

const OPTIONS: Schema = { seed: integer(-(2 ** 53), 2 ** 53), conditional: bool };

/**
 * One count of the zero-inflated / hurdle distribution at (μ, p, φ) from the uniform u (see the header);
 * φ the NB2 size or the NB1 dispersion (unused for Poisson).
 */
export function ziDraw(model: Pick<ZeroInflatedModel, 'dist' | 'hurdle'>, u: number, mu: number, p: number, phi: number): number {
  if (u <= p) return 0;
  const v = (u - p) / (1 - p);
  if (model.dist === 'genpois') return genpoisInverse(v, mu, phi, model.hurdle);
  if (model.dist === 'compois') return compoisInverse(v, mu, phi, model.hurdle);
  const nb = model.dist === 'nbinom1' || model.dist === 'nbinom2';
  // the negative binomial's size: NB2 φ, NB1 μ/φ
  const size = model.dist === 'nbinom1' ? mu / phi : phi;
  const inv = (w: number) => (nb ? negbinInverse(w, size, mu) : poissonInverse(w, mu));
  if (!model.hurdle) return inv(v);
  // F_c(0) = e^g (logZeroProbability); S₀ = 1 − F_c(0) = −expm1(g) without cancellation
  const g = logZeroProbability(model.dist, mu, phi);
  const S0 = -Math.expm1(g);
  if (S0 >= 0.5) return Math.max(1, inv(Math.min(Math.exp(g) + S0 * v, 1)));
  // most of the count's mass at 0 (small μ): F_c(0) + S₀v would round to 1, so walk up from k = 1 on the
  // truncated scale, min{ k ≥ 1 : Σ_{j=1..k} f(j) ≥ v S₀ }, with f(1) = μ e^g (Poisson), s e^g q (NB, size s)
  // and the ratios f(k + 1)/f(k) = μ/(k + 1) (Poisson), (k + s) q/(k + 1), q = μ/(s + μ) (NB)
  const q = nb ? mu / (size + mu) : NaN;
  let k = 1;
  let pk = nb ? size * Math.exp(g) * q : mu * Math.exp(g);
  let cum = pk;
  const target = v * S0;
  while (cum < target && pk > 0) {
    pk *= nb ? ((k + size) * q) / (k + 1) : mu / (k + 1);
    k++;
    cum += pk;
  }
  return k;
}

/** log f(k) of the generalized Poisson (θ, λ) (glmmTMB's dgenpois) */
function genpoisLogPmf(k: number, th: number, lam: number): number {
  return Math.log(th) + (k - 1) * Math.log(th + lam * k) - th - lam * k - lgamma(k + 1);
}

/**
 * F⁻¹(v) of the generalized Poisson with mean μ and Var μφ (θ = μ/√φ, λ = 1 − 1/√φ) by summing f(k)
 * from k = 0; truncated: from k = 1 on the truncated scale (Σ_{j=1..k} f(j) ≥ v (1 − f(0))). Where λ < 0
 * the support ends where θ + λk ≤ 0 (the last k is returned there).
 */
function genpoisInverse(v: number, mu: number, phi: number, truncated: boolean): number {
  const sq = Math.sqrt(phi);
  const th = mu / sq, lam = 1 - 1 / sq;
  const S0 = -Math.expm1(-th);
  let k = truncated ? 1 : 0;
  const target = truncated ? v * S0 : v;
  let cum = truncated ? 0 : Math.exp(-th);
  if (!truncated && cum >= target) return 0;
  for (; k < 1e7; k++) {
    if (k > 0) {
      if (th + lam * k <= 0) return k - 1;
      cum += Math.exp(genpoisLogPmf(k, th, lam));
    }
    if (cum >= target) return k;
  }
  return k;
}

/**
 * F⁻¹(v) of the Conway–Maxwell–Poisson with mean μ and ν = 1/φ by summing f(k) = λ^k/(k!)^ν/Z from k = 0
 * (ℓ = log λ and log Z by TMB's rules, compois.ts; glmmTMB's rcompois2 draws the same distribution by
 * rejection from a piecewise geometric envelope); truncated: from k = 1 on the truncated scale
 * (Σ_{j=1..k} f(j) ≥ v (1 − f(0))).
 */
function compoisInverse(v: number, mu: number, phi: number, truncated: boolean): number {
  const nu = 1 / phi;
  const z = compoisLogLambda(Math.log(mu), nu);
  const S0 = -Math.expm1(-z.logZ);
  const target = truncated ? v * S0 : v;
  let cum = 0;
  let k = truncated ? 1 : 0;
  for (; k < 1e7; k++) {
    const pk = Math.exp(compoisLogPmf(k, z.logLambda, z.logZ, nu));
    cum += pk;
    if (cum >= target) return k;
    // past the mean and with the remaining mass below the rounding of the sum: the last k
    if (k > z.k1 && pk < 1e-17 * cum) return k;
  }
  return k;
}

/** F⁻¹(u) of Binomial(m, π) by summing its probabilities from k = 0 (in logs) */
export function binomialInverse(u: number, m: number, pi: number): number {
  if (!(pi > 0)) return 0;
  if (!(pi < 1)) return m;
  const lp = Math.log(pi), lq = Math.log1p(-pi);
  let cum = 0;
  for (let k = 0; k < m; k++) {
    cum += Math.exp(lgamma(m + 1) - lgamma(k + 1) - lgamma(m - k + 1) + k * lp + (m - k) * lq);
    if (cum >= u) return k;
  }
  return m;
}

/**
 * log G, G ~ Gamma(a) for row `row` of replicate r, by Marsaglia and Tsang (2000) on the streams
 * (normals, normals + 1) at indices ATTEMPTS·row + attempt (attempts past ATTEMPTS·j on the streams
 * shifted by 12j); a < 1: log Gamma(a + 1) + log(U)/a, U from stream normals + 2 at index row.
 */
function logGammaDraw(rng: CounterNormal, r: number, normals: number, row: number, a: number): number {
  const boost = a < 1;
  const shape = boost ? a + 1 : a;
  const d = shape - 1 / 3, c = 1 / Math.sqrt(9 * d);
  for (let k = 0; ; k++) {
    const range = Math.floor(k / ATTEMPTS);
    const stream = normals + 3 * 4 * range;
    const index = row * ATTEMPTS + (k % ATTEMPTS);
    const x = rng.normal(r, stream, index);
    const v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = rng.uniform(r, stream + 1, index);
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
      return Math.log(d * v) + (boost ? Math.log(rng.uniform(r, normals + 2, row)) / a : 0);
    }
  }
}

/** One beta draw Beta(μφ, (1 − μ)φ) = G_a/(G_a + G_b) for row `row` of replicate r (see the header). */
export function betaDraw(rng: CounterNormal, r: number, row: number, mu: number, phi: number): number {
  const la = logGammaDraw(rng, r, STREAM_BETA, row, mu * phi);
  const lb = logGammaDraw(rng, r, STREAM_BETA + 3, row, (1 - mu) * phi);
  // G_a/(G_a + G_b) = 1/(1 + e^{log G_b − log G_a})
  return 1 / (1 + Math.exp(lb - la));
}

/** simulate(fit, nsim, { seed, conditional }) (see the header); `first`: the first replicate's index. */
export function simulateZeroInflated(fit: ZiSimulateSource, nsim = 1, options: ZiSimulateOptions = {}, first = 0): ZiSimulateResult {
  if (!(Number.isInteger(nsim) && nsim >= 1)) throw new OptionError('nsim', `simulate: nsim must be a whole number of simulations (1 or more), got ${String(nsim)}`);
  checkObject(options, 'simulate', OPTIONS);
  const seed = options.seed ?? 1;
  const conditional = options.conditional === true;
  const { model } = fit;
  const { n } = model;
  const { beta, gamma, delta, psi, familyPar } = splitParameters(model, fit.par);
  const power = model.dist === 'tweedie' ? tweediePower(familyPar[0]) : NaN;
  const phi = model.pd > 0 ? Float64Array.from(dispLinear(model, delta), Math.exp) : new Float64Array(n).fill(NaN);
  const fixed = condFixed(model, beta);
  const lz = ziLinear(model, gamma);
  const p = Float64Array.from(lz, (e) => (model.pz === 0 ? 0 : 1 / (1 + Math.exp(-e))));
  // lme4's θ of glmmTMB's ψ (covariance.ts; exp ψ for scalar terms)
  const theta = lme4Theta(model.reTerms, psi);
  const templates = model.blocks.map((b) => {
    const T = new Float64Array(b.q * b.q);
    fillTemplate(b, theta, T);
    return T;
  });
  const rng = new CounterNormal(seed);
  const y: Float64Array[] = [];
  const eta = new Float64Array(n);
  // with the zero model's random effects: its linear predictor per replicate (the fit's modes when conditional)
  const etaZi = model.ziRandom ? new Float64Array(n) : null;
  for (let r = first; r < first + nsim; r++) {
    if (conditional) {
      eta.set(fit.eta);
      if (etaZi) {
        if (!fit.etaZi) throw new ModelError('simulate: the fit\'s zero-model predictor at the modes is missing');
        etaZi.set(fit.etaZi);
      }
    } else if (!etaZi) {
      eta.set(fixed);
      // b*_g = T u*_g per level (src/model/random.ts)
      model.blocks.forEach((blk, k) => addBlockEffects(eta, blk.codes, blk.Z, blk.q, drawBlockEffects(rng, r, k, blk.nl, blk.q, templates[k])));
    } else {
      eta.set(fixed);
      etaZi.set(lz);
      // new b* in both models: each block's draw, its columns added to the predictor they enter
      model.blocks.forEach((blk, k) => {
        const b = drawBlockEffects(rng, r, k, blk.nl, blk.q, templates[k]);
        const pred = model.predictors[k];
        const q = blk.q;
        for (let i = 0; i < n; i++) {
          const c = blk.codes[i] * q;
          for (let s = 0; s < q; s++) (pred[s] === 0 ? eta : etaZi)[i] += blk.Z[i * q + s] * b[c + s];
        }
      });
    }
    if (etaZi) for (let i = 0; i < n; i++) p[i] = 1 / (1 + Math.exp(-etaZi[i]));
    const yr = new Float64Array(n);
    if (model.dist === 'gaussian') {
      for (let i = 0; i < n; i++) yr[i] = eta[i] + Math.sqrt(phi[i]) * rng.normal(r, STREAM_EPS, i);
    } else if (model.dist === 'beta') {
      const mu = ziConditionalMean(model, phi, eta);
      for (let i = 0; i < n; i++) yr[i] = betaDraw(rng, r, i, mu[i], phi[i]);
    } else if (model.dist === 'binomial' || model.dist === 'betabinomial') {
      const mu = ziConditionalMean(model, phi, eta);
      const size = model.size!;
      for (let i = 0; i < n; i++) {
        const u = rng.uniform(r, STREAM_EPS, i);
        if (u <= p[i] || size[i] === 0) { yr[i] = 0; continue; }
        const pi = model.dist === 'binomial' ? mu[i] : betaDraw(rng, r, i, mu[i], phi[i]);
        yr[i] = binomialInverse((u - p[i]) / (1 - p[i]), size[i], pi) / size[i];
      }
    } else if (model.dist === 'gamma') {
      for (let i = 0; i < n; i++) {
        const mu = Math.exp(eta[i]);
        yr[i] = (mu / phi[i]) * Math.exp(logGammaDraw(rng, r, STREAM_BETA, i, phi[i]));
      }
    } else if (model.dist === 'tweedie') {
      const a = (2 - power) / (power - 1);
      for (let i = 0; i < n; i++) {
        const mu = Math.exp(eta[i]);
        const N = poissonInverse(rng.uniform(r, STREAM_EPS, i), mu ** (2 - power) / (phi[i] * (2 - power)));
        yr[i] = N === 0 ? 0 : phi[i] * (power - 1) * mu ** (power - 1) * Math.exp(logGammaDraw(rng, r, STREAM_BETA, i, N * a));
      }
    } else {
      for (let i = 0; i < n; i++) yr[i] = ziDraw(model, rng.uniform(r, STREAM_EPS, i), Math.exp(eta[i]), p[i], phi[i]);
    }
    y.push(yr);
  }
  return { seed, conditional, y, messages: [] };
}
