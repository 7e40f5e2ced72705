/**
 * pbkrtest's PBmodcomp(large, small, nsim): the likelihood-ratio test of two nested lmer fits against
 * its parametric-bootstrap reference distribution, and the summary's approximations.
 *
 * Two stages:
 *  - the reference distribution (pbkrtest's PBrefdist): both models refitted by ML (update(…,
 *    REML = FALSE)); nsim responses y*_r simulated from the small model's ML fit (lme4's simulate:
 *    simulate.ts, counter-based draws, replicate r a pure function of (seed, r)); each refitted to
 *    both models from their ML θ̂ (lme4's refit(fit, newresp)), giving
 *      t_r = 2 (ℓ_large(y*_r) − ℓ_small(y*_r))      (ML log-likelihoods; not truncated at 0);
 *  - the summary (pbkrtest's .summarizePB, `pbSummary`, a pure function of t_obs, its df and the t_r):
 *    with the positive t_r (npos of them), E and V their mean and variance,
 *      LRT       t_obs on χ²(df)
 *      PBtest    p = (1 + #{t_r > t_obs}) / (1 + npos)
 *      Gamma     t_obs on Γ(shape E²/V, scale V/E)              (moments matched)
 *      Bartlett  df · t_obs / E on χ²(df)                        (mean-corrected LRT)
 *      F         t_obs / df on F(df, ddf), ddf = 2E/(E − 1)      (no p-value where ddf ≤ 0)
 * A replicate whose refit fails is NaN: left out of npos (as pbkrtest's ref > 0 leaves out NA) but
 * counted in nsim, and reported.
 */
import { ModelError, OptionError } from '../errors/errors.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import type { LmmModel } from '../lmm/model.js';
import { LMM_OPTIMIZER } from '../lmm/fit.js';
import { Evaluations, abortError, macrotask } from '../model/control.js';
import { thetaToInternal } from '../model/reparam.js';
import { incompleteGamma, pchisqUpper, pfUpper } from '../stats/distributions.js';
import { mlFit } from './fitInference.js';
import { refitLmm } from './jackknife.js';
import { simulateFit } from './simulate.js';
import { checkLmerFit, checkSameData, compareColumnSpace, oneMinusLower } from './modcomp.js';

export interface PbTestRow {
  name: 'LRT' | 'PBtest' | 'Gamma' | 'Bartlett' | 'F';
  stat: number;
  /** null where pbkrtest's table has NA */
  df: number | null;
  ddf: number | null;
  p: number | null;
}

/** pbkrtest's summary(PBmodcomp) */
export interface PbSummary {
  rows: PbTestRow[];
  /** mean and variance of the positive replicates */
  moment: { mean: number; var: number };
  /** replicates requested and positive ones used */
  samples: { nsim: number; npos: number };
  /** replicates above t_obs */
  nExtreme: number;
  gamma: { scale: number; shape: number };
  /** the PB p-value's binomial standard error and 95% interval, rounded to 4 decimals as pbkrtest */
  se: number;
  ci: [number, number];
}

/** 1 − pchisq(x, df), with R's value 1 at x ≤ 0 */
const chisqUpper = (x: number, df: number) => (x > 0 ? oneMinusLower(pchisqUpper(x, df)) : Number.isNaN(x) ? NaN : 1);
/** R's round(x, 4) for the values here (the half-way cases of binary fractions aside) */
const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * pbkrtest's .summarizePB: the five tests of t_obs (df degrees of freedom) from the reference
 * distribution `ref` (see the header). Pure: pbkrtest's own ref gives its numbers.
 */
export function pbSummary(tobs: number, df: number, ref: ArrayLike<number>): PbSummary {
  const refpos = Array.from(ref).filter((t) => t > 0);
  const nsim = ref.length, npos = refpos.length;
  if (npos < 2) throw new ModelError(`the parametric bootstrap's reference distribution has ${npos} positive replicate${npos === 1 ? '' : 's'} of ${nsim}: its moments need at least 2`);
  // E, V: mean and (n − 1) variance of the positive replicates
  const E = refpos.reduce((s, t) => s + t, 0) / npos;
  const V = refpos.reduce((s, t) => s + (t - E) * (t - E), 0) / (npos - 1);
  const nExtreme = refpos.filter((t) => tobs < t).length;
  const pPB = (1 + nExtreme) / (1 + npos);
  const se = round4(Math.sqrt((pPB * (1 - pPB)) / npos));
  // Bartlett: the LRT scaled to the reference distribution's mean, df · t / E on χ²(df)
  const BC = (df * tobs) / E;
  // Gamma with the reference distribution's moments: scale V/E, shape E²/V
  const scale = V / E, shape = (E * E) / V;
  const pGamma = tobs > 0 ? oneMinusLower(incompleteGamma(shape, tobs / scale).upper) : 1;
  // F: t/df on F(df, ddf), ddf = 2E/(E − 1): the ddf whose F(1, ddf) has mean E, ddf/(ddf − 2) = E (pbkrtest's rule, for any df)
  const ddf = (2 * E) / (E - 1);
  const Fobs = tobs / df;
  const pF = ddf > 0 ? (Fobs > 0 ? oneMinusLower(pfUpper(Fobs, df, ddf)) : 1) : null;
  return {
    rows: [
      { name: 'LRT', stat: tobs, df, ddf: null, p: chisqUpper(tobs, df) },
      { name: 'PBtest', stat: tobs, df: null, ddf: null, p: pPB },
      { name: 'Gamma', stat: tobs, df: null, ddf: null, p: pGamma },
      { name: 'Bartlett', stat: BC, df, ddf: null, p: chisqUpper(BC, df) },
      { name: 'F', stat: Fobs, df, ddf, p: pF },
    ],
    moment: { mean: E, var: V }, samples: { nsim, npos }, nExtreme, gamma: { scale, shape },
    se, ci: [round4(-1.96 * se + pPB), round4(1.96 * se + pPB)],
  };
}

export interface PbModcompOptions {
  /** replicates (default 1000, as pbkrtest) */
  nsim?: number;
  /** the random seed (an integer; default 1) */
  seed?: number;
  onProgress?: (p: { done: number; nsim: number; elapsedMs: number }) => void;
  signal?: AbortSignal;
}

/** pbkrtest's PBmodcomp: its print (LRT and PBtest), its summary, and the reference distribution */
export interface PbModcomp {
  large: string;
  small: string;
  /** the likelihood-ratio test of the ML fits: 2 (ℓ_large − ℓ_small) on the difference of npar */
  LRT: { stat: number; df: number; p: number };
  /** the parametric bootstrap's p-value (pbkrtest's print) */
  PBtest: { stat: number; p: number };
  summary: PbSummary;
  /** the reference distribution: t_r of each replicate (NaN where a refit failed) */
  ref: Float64Array;
  nsim: number;
  seed: number;
  /** replicates whose refit failed */
  failed: number;
  timeMs: number;
  messages: string[];
}

/** the model with the response y (same rows): its Gram rows' y is √w (y − offset − X_c β₀), so the new one is that plus √w (y − y_fit) */
export function lmmWithResponse(model: LmmModel, y: Float64Array): LmmModel {
  const { rows, frame, weights } = model;
  const yRows = Float64Array.from(rows.y, (v, i) => v + (weights ? Math.sqrt(weights[i]) : 1) * (y[i] - frame.y[i]));
  return Object.assign(Object.create(Object.getPrototypeOf(model)), model, {
    frame: { ...frame, y }, rows: { ...rows, y: yRows }, momentStart: false,
  });
}

/** lme4's refit(fit, newresp = y) of an ML fit, from its θ̂: the ML log-likelihood at the new optimum */
export async function refitLogLik(fit: LmmFit, y: Float64Array, evaluations: Evaluations): Promise<number> {
  const model = lmmWithResponse(fit.model, y);
  const { opt } = await refitLmm(model, thetaToInternal(fit.model, fit.theta), LMM_OPTIMIZER, evaluations, true);
  // the criterion is the ML deviance −2ℓ (the fit's model is ML)
  return -opt.fval / 2;
}

/**
 * Checks for PBmodcomp: two lmer fits of the same rows and response, the small one nested in the
 * large one (its fixed-effects columns in the large model's column space, its random-effects columns
 * among the large model's) with fewer parameters.
 */
function checkPbPair(large: LmmFit, small: unknown): asserts small is LmmFit {
  const what = 'PBmodcomp';
  checkLmerFit(large, what, 'large');
  if (Array.isArray(small)) throw new ModelError(`${what}: a restriction matrix L as the small model is not available (pbkrtest 0.5.2's restriction_matrix2model fails on it, so there is no reference to match): give the small model as a fit`);
  checkLmerFit(small, what, 'small');
  checkSameData(large, small, what);
  const cmp = compareColumnSpace(large, small);
  if (cmp.smallOutside.length) throw new ModelError(`${what}: the small model is not nested in the large one: its fixed-effects column${cmp.smallOutside.length > 1 ? 's' : ''} ${cmp.smallOutside.map((c) => `'${c}'`).join(', ')} ${cmp.smallOutside.length > 1 ? 'are' : 'is'} outside the large model's column space`);
  const rl = large.model.frame.reTerms.flatMap((t) => t.cnames.map((cn) => `${cn} | ${t.group}`));
  const missing = small.model.frame.reTerms.flatMap((t) => t.cnames.map((cn) => `${cn} | ${t.group}`)).filter((c) => !rl.includes(c));
  if (missing.length) throw new ModelError(`${what}: the small model is not nested in the large one: its random-effects column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `'${c}'`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not in the large model`);
  if (small.df >= large.df) throw new ModelError(`${what}: the small model has ${small.df} parameters, the large one ${large.df}: give the larger model first, and models that differ (the test has ${large.df - small.df} degrees of freedom)`);
}

/** pbkrtest's PBmodcomp(large, small, nsim) (see the header); lmer fits, REML or ML. */
export async function pbModcomp(large: LmmFit, small: LmmFit, options: PbModcompOptions = {}): Promise<PbModcomp> {
  const t0 = performance.now();
  const known = ['nsim', 'seed', 'onProgress', 'signal'];
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) throw new OptionError(k, k === 'cl' ? "PBmodcomp: pbkrtest's cl (parallel clusters) is not offered: the refits run in one thread" : `PBmodcomp: unknown option '${k}' (the options are ${known.join(', ')})`);
  }
  const nsim = options.nsim ?? 1000;
  if (!(Number.isInteger(nsim) && nsim >= 2)) throw new OptionError('nsim', `nsim must be a whole number of simulations (2 or more), got ${String(nsim)}`);
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new OptionError('seed', `seed must be an integer, got ${String(seed)}`);
  checkPbPair(large, small);
  const messages: string[] = [];
  if (large.reml || small.reml) messages.push('refitting model(s) with ML (instead of REML), as pbkrtest does');
  const lg = await mlFit(large), sm = await mlFit(small);
  // the observed statistic (pbkrtest's getLRT): 2 (ℓ_large − ℓ_small) of the ML fits, on the difference of their npar
  const tobs = 2 * (lg.logLik - sm.logLik);
  const df = lg.df - sm.df;
  const ref = new Float64Array(nsim);
  let failed = 0;
  const evaluations = new Evaluations({ signal: options.signal });
  const BATCH = 32;
  for (let first = 0; first < nsim; first += BATCH) {
    if (options.signal?.aborted) throw abortError();
    const count = Math.min(BATCH, nsim - first);
    // y*_r from the small model's ML fit, replicate r = first … first + count − 1
    const { y } = simulateFit(sm, count, { seed }, first);
    for (let k = 0; k < count; k++) {
      try {
        ref[first + k] = 2 * ((await refitLogLik(lg, y[k], evaluations)) - (await refitLogLik(sm, y[k], evaluations)));
        if (!Number.isFinite(ref[first + k])) throw new Error('not finite');
      } catch (e) {
        if ((e as Error).name === 'AbortError') throw e;
        ref[first + k] = NaN;
        failed++;
      }
    }
    options.onProgress?.({ done: first + count, nsim, elapsedMs: performance.now() - t0 });
    await macrotask();
  }
  if (failed) messages.push(`${failed} of ${nsim} bootstrap refits failed: left out of the reference distribution`);
  const summary = pbSummary(tobs, df, ref);
  if (summary.samples.npos < nsim - failed) messages.push(`${nsim - failed - summary.samples.npos} replicates with t ≤ 0 left out (pbkrtest uses the positive ones)`);
  return {
    large: large.formula, small: small.formula,
    LRT: { stat: tobs, df, p: chisqUpper(tobs, df) },
    PBtest: { stat: tobs, p: summary.rows[1].p! },
    summary, ref, nsim, seed, failed, timeMs: performance.now() - t0, messages,
  };
}
