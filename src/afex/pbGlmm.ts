/**
 * pbkrtest's PBmodcomp(large, small, nsim, seed) for two nested glmer fits, as afex's method = "PB"
 * with a family calls it: responses y*_r simulated from the small model's fit (lme4's simulate:
 * src/inference/glmmBootstrap.ts glmmSimulator, counter-based draws, replicate r a pure function of
 * (seed, r)); both models refitted to each (lme4's refit: the fit's design, the start at its θ̂), and
 *   t_r = 2 (ℓ_large(y*_r) − ℓ_small(y*_r)) = dev_small(y*_r) − dev_large(y*_r)   (Laplace deviances)
 * the reference distribution of the observed t = 2 (ℓ_large − ℓ_small); the summary is pbkrtest's
 * (src/inference/pbModcomp.ts pbSummary). The draws are not R's: the p-values agree with pbkrtest's
 * within Monte-Carlo error only.
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { fitGlmm } from '../glmm/fit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { PirlsEngine } from '../glmm/pirls.js';
import { abortError, macrotask } from '../model/control.js';
import { thetaToInternal } from '../model/reparam.js';
import { glmmSimulator, withResponse } from '../inference/glmmBootstrap.js';
import { type PbModcomp, pbSummary } from '../inference/pbModcomp.js';
import { pchisqUpper } from '../stats/distributions.js';

export interface PbGlmmOptions {
  nsim?: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (p: { done: number; nsim: number }) => void;
}

/** PBmodcomp's result (src/inference/pbModcomp.ts), without the lmer comparison's model strings and time */
export type PbGlmm = Omit<PbModcomp, 'large' | 'small' | 'timeMs'>;

/** the deviance of `fit`'s model refitted to the response y, from its θ̂ */
async function refitDeviance(fit: GlmmFit, y: Float64Array, signal?: AbortSignal): Promise<number> {
  const m = withResponse(fit.model, y, thetaToInternal(fit.model, fit.theta));
  const g = await fitGlmm(m, new PirlsEngine(m.pirls), fit.nAGQ, { vcov: 'RX', signal }, performance.now(), {});
  return g.objective;
}

export async function pbModcompGlmm(large: GlmmFit, small: GlmmFit, options: PbGlmmOptions = {}): Promise<PbGlmm> {
  const nsim = options.nsim ?? 1000;
  if (!(Number.isInteger(nsim) && nsim >= 2)) throw new OptionError('nsim', `PBmodcomp: nsim must be a whole number of simulations (2 or more), got ${String(nsim)}`);
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new OptionError('seed', `PBmodcomp: seed must be an integer, got ${String(seed)}`);
  if (large.model.frame.n !== small.model.frame.n) throw new ModelError('PBmodcomp: the glmer fits use different rows');
  if (small.df >= large.df) throw new ModelError(`PBmodcomp: the small model has ${small.df} parameters, the large one ${large.df}: nothing to test`);
  const tobs = 2 * (large.logLik - small.logLik);
  const df = large.df - small.df;
  const { simulate, messages } = glmmSimulator(small.model, small.theta, small.beta, seed);
  const ref = new Float64Array(nsim);
  let failed = 0;
  for (let r = 0; r < nsim; r++) {
    if (options.signal?.aborted) throw abortError();
    const y = simulate(r);
    try {
      ref[r] = (await refitDeviance(small, y, options.signal)) - (await refitDeviance(large, y, options.signal));
      if (!Number.isFinite(ref[r])) throw new Error('not finite');
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      ref[r] = NaN;
      failed++;
    }
    if (r % 16 === 15) {
      options.onProgress?.({ done: r + 1, nsim });
      await macrotask();
    }
  }
  if (failed) messages.push(`${failed} of ${nsim} bootstrap refits failed: left out of the reference distribution`);
  const summary = pbSummary(tobs, df, ref);
  return {
    LRT: { stat: tobs, df, p: tobs > 0 ? pchisqUpper(tobs, df) : 1 },
    PBtest: { stat: tobs, p: summary.rows[1].p! },
    summary, ref, nsim, seed, failed, messages,
  };
}
