/**
 * merTools 0.5.2's predictInterval(merMod, newdata, which, level, n.sims, stat, type,
 * include.resid.var, fix.intercept.variance, ignore.fixed.terms): prediction intervals by simulation
 * (the analytic ones are predict(newdata, { interval }), src/inference/predictInterval.ts).
 *
 * merTools's model of uncertainty, draw r = 1 … n.sims, each piece drawn independently:
 *   β*_r ~ N(β̂, V),  V = vcov(fit) (lme4's Var(β̂); with fix.intercept.variance or
 *                   ignore.fixed.terms, V changed as below);
 *   b*_{k,g,r} ~ N(b̂_{k,g}, C_{k,g}),  C_{k,g} lme4's condVar of level g of grouping factor k
 *                   (ranef(fit, condVar = TRUE)), independently for every level and factor;
 *   σ*_r:  LMM   1/σ*² ~ Gamma((n − p − m − 1)/2, rate = pwrss/2)  (merTools's residDF: m the
 *                   number of θ's, one for σ);  GLMM: σ* = 1 (merTools's choice, with a message for
 *                   families other than binomial with logit or probit links);
 *   η*_{i,r} = x_i β*_r + Σ_k z_{i,k} b*_{k,g_k(i),r} (+ offset_i), a level not in the fit
 *                   contributing 0 (merTools's new levels: fixed part and residual only);
 *   which: 'full' the sum, 'fixed' x β* alone, 'random' the random part alone, 'all' the sum and each
 *                   part (every grouping factor's and the fixed) with its own residual draws;
 *   y*_{i,r} = η*_{i,r} + σ*_r ε_{i,r},  ε ~ N(0, 1), with include.resid.var (default; for a GLMM on
 *                   the link scale, as merTools), else η*;
 *   fit = median (stat 'median', R's quantile type 7) or mean of y*_{i,·}; upr, lwr = its quantiles
 *                   1 − (1 − level)/2 and (1 − level)/2; type 'probability' (a GLMM): g⁻¹ of the three.
 * fix.intercept.variance (Gelman–Hill's adjustment): with v₀ = V₁₁ − Σ_k 1/Σ_g 1/(C_{k,g,11} + τ_k²)
 *   (τ_k² the intercept's variance of factor k) and ratio = v₀/V₁₁, V ← (P with P₁₁/ratio)⁻¹, P = V⁻¹;
 * ignore.fixed.terms: P_jj ← 10¹⁵ P_jj for the named fixed effects, V ← P⁻¹.
 *
 * Where we differ from merTools on purpose: the random part is z_i b* with z_i the random-effects
 * term's own columns on the new data (merTools multiplies b* by the fixed-effects model matrix's
 * columns of the same name, and drops a random slope that is not also a fixed effect); the offset is
 * added (merTools computes it and leaves it out); a missing grouping value is a new level (0), a
 * missing fixed-part value gives NaN.
 *
 * Draws are counter-based (src/model/random.ts): draw r is a pure function of (seed, r), β*'s normals
 * from stream PI_BETA, σ*'s Gamma from PI_SIGMA_N/PI_SIGMA_U, b* of block k from PI_RE + k (index
 * level·q + column: a level's draw does not depend on the new data's rows), ε from PI_EPS (index row),
 * the parts' own ε (which 'all') from PI_EPS_PART + c: n.sims draws are a prefix of n.sims + 1 draws.
 */
import type * as arrow from 'apache-arrow';
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import { quantile7 } from '../frame/basis/bspline.js';
import { semidefiniteCholesky, spdInverse } from '../linalg/dense.js';
import type { MixedModel } from '../model/mixedModel.js';
import { CounterNormal, gammaDraw } from '../model/random.js';
import { YIELD_EVERY_MS, macrotask, throwIfAborted } from '../model/control.js';
import { type Schema, bool, checkObject, integer, oneOf } from '../options/rules.js';
import { type PredictSource, newDataDesign } from '../results/predict.js';
import type { GlmFamily } from '../glmm/family.js';
import { refuseKnownCovariance } from './knownCovariance.js';

export const PI_BETA = 0;
export const PI_SIGMA_N = 1;
export const PI_SIGMA_U = 2;
export const PI_EPS = 3;
export const PI_EPS_PART = 4;
export const PI_RE = 1024;

export interface PredictIntervalSimOptions {
  /** 'full' (default), 'fixed', 'random' or 'all' */
  which?: 'full' | 'fixed' | 'random' | 'all';
  /** the interval's coverage (default 0.8) */
  level?: number;
  /** number of draws (merTools's n.sims; default 1000) */
  nsims?: number;
  /** the point estimate: 'median' (default) or 'mean' of the draws */
  stat?: 'median' | 'mean';
  /** 'linear.prediction' (default) or 'probability' (a glmer fit: the inverse link of fit, upr and lwr) */
  type?: 'linear.prediction' | 'probability';
  /** add the residual draw σ* ε (default true) */
  includeResidVar?: boolean;
  /** merTools's fix.intercept.variance (default false) */
  fixInterceptVariance?: boolean;
  /** merTools's ignore.fixed.terms: fixed effects (names) held at their estimates */
  ignoreFixedTerms?: string[];
  /** return every draw (per row, nsims values; with 'all', per part) */
  returnSims?: boolean;
  /** the random seed (default 1) */
  seed?: number;
}

export interface IntervalColumns {
  fit: Float64Array;
  upr: Float64Array;
  lwr: Float64Array;
}

export interface PredictIntervalSimResult extends IntervalColumns {
  which: string;
  level: number;
  nsims: number;
  stat: string;
  type: string;
  seed: number;
  /** which 'all': each part's intervals, named as merTools's `effect` (grouping factors, then 'fixed') */
  parts?: ({ effect: string } & IntervalColumns)[];
  /** returnSims: per row its draws (with 'all', of the combined prediction; the parts' in `partSims`) */
  sims?: Float64Array[];
  partSims?: { effect: string; sims: Float64Array[] }[];
  messages: string[];
}

const OPTIONS: Schema = {
  which: oneOf('full', 'fixed', 'random', 'all'),
  level: (v, at) => { if (typeof v !== 'number' || !(v > 0 && v < 1)) throw new OptionError('level', `${at} must be a number between 0 and 1 (such as 0.8), not ${showValue(v)}`); },
  nsims: integer(1, 1e7),
  stat: oneOf('median', 'mean'),
  type: oneOf('linear.prediction', 'probability'),
  includeResidVar: bool,
  fixInterceptVariance: bool,
  ignoreFixedTerms: (v, at) => { if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new OptionError('ignoreFixedTerms', `${at} must be an array of fixed-effect names, not ${showValue(v)}`); },
  returnSims: bool,
  seed: integer(-(2 ** 53), 2 ** 53),
};

/** What the simulation reads of a fit (LmmFit or GlmmFit). */
export interface PredictIntervalSimSource extends PredictSource {
  model: PredictSource['model'] & Pick<MixedModel, 'known'> & { family?: GlmFamily };
  theta: Float64Array;
  sigma: number;
  vcov: number[][];
  conditionalCovariance(k: number): Float64Array;
  /** an LMM's penalized RSS at θ̂ */
  parts?: { pwrss: number };
  varCorr: { group: string; var1: string | null; var2: string | null; vcov: number }[];
}

/**
 * Stage: the covariance V of β*'s draws (module comment): vcov, changed by fix.intercept.variance and
 * ignore.fixed.terms.
 */
export function betaDrawCovariance(fit: PredictIntervalSimSource, options: Pick<PredictIntervalSimOptions, 'fixInterceptVariance' | 'ignoreFixedTerms'>): Float64Array {
  const { xnames, p } = fit.model.frame;
  let V: Float64Array = Float64Array.from(fit.vcov.flat());
  if (options.fixInterceptVariance) {
    if (xnames[0] !== '(Intercept)') throw new OptionError('fixInterceptVariance', 'fixInterceptVariance adjusts the fixed intercept\'s variance, and this model has no fixed intercept');
    let v0 = V[0];
    fit.model.blocks.forEach((blk, k) => {
      const s = blk.cnames.indexOf('(Intercept)');
      const row = fit.varCorr.find((r) => r.group === blk.group && r.var1 === '(Intercept)' && r.var2 === null);
      if (s < 0 || !row) throw new OptionError('fixInterceptVariance', `fixInterceptVariance needs a random intercept for every grouping factor, and '${blk.group}' has none`);
      // Σ_g 1/(C_g,11 + τ²): the levels' precision about the intercept
      const C = fit.conditionalCovariance(k);
      const q = blk.q;
      let precision = 0;
      for (let g = 0; g < blk.nl; g++) precision += 1 / (C[g * q * q + s * q + s] + row.vcov);
      v0 -= 1 / precision;
    });
    if (!(v0 > 0)) throw new ModelError(`fixInterceptVariance: the adjusted intercept variance is ${v0.toPrecision(4)} (not positive); do not use fixInterceptVariance for this model`);
    const ratio = v0 / V[0];
    const P = spdInverse(V, p, 'vcov').inv;
    P[0] /= ratio;
    V = spdInverse(P, p, 'the adjusted precision').inv;
  }
  if (options.ignoreFixedTerms && options.ignoreFixedTerms.length > 0) {
    const P = spdInverse(V, p, 'vcov').inv;
    for (const term of options.ignoreFixedTerms) {
      const j = xnames.indexOf(term);
      if (j < 0) throw new OptionError('ignoreFixedTerms', `ignoreFixedTerms: '${term}' is not a fixed effect of the fit (${xnames.join(', ')})`);
      P[j * p + j] *= 1e15;
    }
    V = spdInverse(P, p, 'the adjusted precision').inv;
  }
  return V;
}

/** R's quantile-based summary of one row's draws: fit (median or mean), upr, lwr. */
function summarize(x: Float64Array, stat: string, level: number): [number, number, number] {
  if (x.some((v) => Number.isNaN(v))) return [NaN, NaN, NaN];
  const [med, up, lo] = quantile7(x, [0.5, 1 - (1 - level) / 2, (1 - level) / 2]);
  if (stat === 'median') return [med, up, lo];
  let m = 0;
  for (let i = 0; i < x.length; i++) m += x[i];
  return [m / x.length, up, lo];
}

/** merTools's predictInterval(fit, newdata, …) (module comment). */
export function predictIntervalSim(fit: PredictIntervalSimSource, newdata: arrow.Table, options: PredictIntervalSimOptions = {}): PredictIntervalSimResult {
  const steps = predictIntervalSimSteps(fit, newdata, options);
  for (;;) { const s = steps.next(); if (s.done) return s.value; }
}

export interface PredictIntervalSimControl {
  /** cancels: rejects with the library's AbortError (name 'AbortError') within a chunk of draws */
  signal?: AbortSignal;
  /** the draws done so far (of nsims), after each chunk */
  onProgress?: (p: { done: number; total: number }) => void;
}

/**
 * predictIntervalSim in chunks of draws with a turn of the event loop at least every 50 ms, its progress reported and
 * `signal` honoured (for a page or a worker that must stay responsive); the same result as predictIntervalSim.
 */
export async function predictIntervalSimAsync(fit: PredictIntervalSimSource, newdata: arrow.Table, options: PredictIntervalSimOptions = {}, control: PredictIntervalSimControl = {}): Promise<PredictIntervalSimResult> {
  throwIfAborted(control.signal);
  const steps = predictIntervalSimSteps(fit, newdata, options);
  let last = performance.now();
  for (;;) {
    const s = steps.next();
    if (s.done) {
      control.onProgress?.({ done: s.value.nsims, total: s.value.nsims });
      return s.value;
    }
    control.onProgress?.(s.value);
    throwIfAborted(control.signal);
    // a turn of the event loop (its messages, a Cancel) at least every YIELD_EVERY_MS of drawing
    if (performance.now() - last >= YIELD_EVERY_MS) {
      await macrotask();
      last = performance.now();
      throwIfAborted(control.signal);
    }
  }
}

/** about this many multiply-adds of the draws between two reports of predictIntervalSimSteps */
const STEP_WORK = 2e5;

/**
 * Stage: predictIntervalSim's draws, yielding the number done after each chunk of them (draw r is a pure
 * function of (seed, r): chunking changes nothing), returning the result.
 */
export function* predictIntervalSimSteps(fit: PredictIntervalSimSource, newdata: arrow.Table, options: PredictIntervalSimOptions = {}): Generator<{ done: number; total: number }, PredictIntervalSimResult> {
  checkObject(options, 'predictIntervalSim', OPTIONS);
  const which = options.which ?? 'full';
  const level = options.level ?? 0.8;
  const nsims = options.nsims ?? 1000;
  const stat = options.stat ?? 'median';
  const type = options.type ?? 'linear.prediction';
  const includeResid = options.includeResidVar !== false;
  const seed = options.seed ?? 1;
  const { model } = fit;
  const family = model.family ?? null;
  const messages: string[] = [];
  refuseKnownCovariance(model, 'predictIntervalSim', "its draws treat each grouping factor's levels as independent");
  if (type === 'probability' && !family) throw new OptionError('type', "type 'probability' is for glmer fits (the inverse link of the linear predictor); an lmer fit's predictions are 'linear.prediction'");
  // the scale of the residual draws
  let residDf = 0, pwrss = 0;
  if (!family) {
    const { n, p } = model.frame;
    residDf = n - (p + fit.theta.length + 1);
    pwrss = fit.parts?.pwrss ?? NaN;
    if (includeResid && !(residDf >= 2 && pwrss > 0)) throw new ModelError(`predictIntervalSim: the residual scale's draws need n − p − (number of θ) − 1 ≥ 2 degrees of freedom and a positive penalized RSS (here ${residDf} and ${pwrss})`);
  } else if (includeResid && !(family.family === 'binomial' && (family.link === 'logit' || family.link === 'probit'))) {
    messages.push(`the residual draws of a ${family.family} GLMM are N(0, 1) on the link scale (merTools's sigma = 1; merTools: "Prediction for NLMMs or GLMMs that are not mixed binomial regressions is not tested")`);
  }
  const d = newDataDesign(fit, newdata, { allowNewLevels: true });
  const n = d.n;
  const p = model.frame.p;
  const K = model.blocks.length;
  // new levels: named once, as merTools warns
  model.blocks.forEach((blk, k) => {
    const codes = d.blocks![k].codes;
    let count = 0;
    for (let i = 0; i < n; i++) if (codes[i] < 0) count++;
    if (count > 0) messages.push(`${count} row${count > 1 ? 's' : ''} of newdata ha${count > 1 ? 've' : 's'} a level of '${blk.group}' not in the fit: ${count > 1 ? 'their' : 'its'} prediction has no '${blk.group}' effect (the fixed part and the residual only), as merTools's`);
  });
  // the draws' factors: β*'s C_β C_βᵀ = V; each used level's C_{k,g} C_{k,g}ᵀ = condVar (a zero pivot leaves its column zero)
  const Cbeta = semidefiniteCholesky(betaDrawCovariance(fit, options), p);
  const used = model.blocks.map((blk, k) => {
    const set = new Set<number>();
    for (const g of d.blocks![k].codes) if (g >= 0) set.add(g);
    return [...set].sort((a, b) => a - b);
  });
  const levelFactors = model.blocks.map((blk, k) => {
    const C = fit.conditionalCovariance(k);
    const map = new Map<number, Float64Array>();
    for (const g of used[k]) map.set(g, semidefiniteCholesky(C.subarray(g * blk.q * blk.q, (g + 1) * blk.q * blk.q), blk.q));
    return map;
  });
  const rng = new CounterNormal(seed);
  // the parts of η* per row and draw: part k < K the random part of factor k, part K the fixed part
  const nParts = K + 1;
  const partValues = Array.from({ length: nParts }, () => new Float64Array(n * nsims));
  const fixedRow = new Float64Array(n);
  for (let i = 0; i < n; i++) fixedRow[i] = d.missing[i] ? NaN : (d.offset ? d.offset[i] : 0);
  const sigmas = new Float64Array(nsims).fill(1);
  const zb = new Float64Array(p), betaStar = new Float64Array(p);
  const chunk = Math.max(1, Math.floor(STEP_WORK / (n * (p + 1) + 1)));
  for (let r = 0; r < nsims; r++) {
    if (r > 0 && r % chunk === 0) yield { done: r, total: nsims };
    // σ*: 1/σ*² ~ Gamma(df/2, rate pwrss/2), i.e. σ*² = pwrss / (2 G), G ~ Gamma(df/2)
    if (!family && includeResid) sigmas[r] = Math.sqrt(pwrss / (2 * gammaDraw(rng, r, residDf / 2, PI_SIGMA_N, PI_SIGMA_U)));
    // β* = β̂ + C_β z
    for (let j = 0; j < p; j++) zb[j] = rng.normal(r, PI_BETA, j);
    for (let j = 0; j < p; j++) {
      let acc = fit.beta[j];
      for (let t = 0; t <= j; t++) acc += Cbeta[j * p + t] * zb[t];
      betaStar[j] = acc;
    }
    const fixed = partValues[K];
    for (let i = 0; i < n; i++) {
      let acc = fixedRow[i];
      for (let j = 0; j < p; j++) acc += d.X[j * n + i] * betaStar[j];
      fixed[i * nsims + r] = acc;
    }
    // b*_{k,g} = b̂_{k,g} + C_{k,g} z for the levels the new data uses
    model.blocks.forEach((blk, k) => {
      const q = blk.q;
      const bhat = fit.conditionalModes(k);
      const draws = new Map<number, Float64Array>();
      const z = new Float64Array(q);
      for (const g of used[k]) {
        for (let s = 0; s < q; s++) z[s] = rng.normal(r, PI_RE + k, g * q + s);
        const C = levelFactors[k].get(g)!;
        const bg = new Float64Array(q);
        for (let s = 0; s < q; s++) {
          let acc = bhat[g * q + s];
          for (let t = 0; t <= s; t++) acc += C[s * q + t] * z[t];
          bg[s] = acc;
        }
        draws.set(g, bg);
      }
      const { codes, Z } = d.blocks![k];
      const part = partValues[k];
      for (let i = 0; i < n; i++) {
        const g = codes[i];
        if (g < 0) continue;
        const bg = draws.get(g)!;
        let acc = 0;
        for (let s = 0; s < q; s++) acc += Z[s][i] * bg[s];
        part[i * nsims + r] = acc;
      }
    });
  }
  // the combined draws: the parts `which` names, plus σ* ε
  const combined = new Float64Array(n * nsims);
  const take = which === 'fixed' ? [K] : which === 'random' ? model.blocks.map((_, k) => k) : [...model.blocks.map((_, k) => k), K];
  for (const c of take) { const v = partValues[c]; for (let e = 0; e < combined.length; e++) combined[e] += v[e]; }
  const addResidual = (values: Float64Array, stream: number) => {
    if (!includeResid) return;
    for (let i = 0; i < n; i++) for (let r = 0; r < nsims; r++) values[i * nsims + r] += sigmas[r] * rng.normal(r, stream, i);
  };
  addResidual(combined, PI_EPS);
  const linkinv = type === 'probability' ? family!.linkinv : null;
  const columns = (values: Float64Array): IntervalColumns => {
    const fitCol = new Float64Array(n), upr = new Float64Array(n), lwr = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let [f, u, l] = summarize(values.subarray(i * nsims, (i + 1) * nsims), stat, level);
      if (linkinv) { f = linkinv(f); u = linkinv(u); l = linkinv(l); }
      fitCol[i] = f; upr[i] = u; lwr[i] = l;
    }
    return { fit: fitCol, upr, lwr };
  };
  const perRow = (values: Float64Array) => Array.from({ length: n }, (_, i) => values.slice(i * nsims, (i + 1) * nsims));
  const result: PredictIntervalSimResult = { which, level, nsims, stat, type, seed, ...columns(combined), messages };
  if (which === 'all') {
    const names = [...model.blocks.map((b) => b.group), 'fixed'];
    partValues.forEach((v, c) => addResidual(v, PI_EPS_PART + c));
    result.parts = partValues.map((v, c) => ({ effect: names[c], ...columns(v) }));
    if (options.returnSims) result.partSims = partValues.map((v, c) => ({ effect: names[c], sims: perRow(v) }));
  }
  if (options.returnSims) result.sims = perRow(combined);
  return result;
}
