/**
 * Worker side of the Optimizers (allFit) card: lme4's allFit of a kept lmer or glmer fit, by the
 * library's own allFit (src/fit/allFit.ts: each optimizer's refit from lme4's start, the summary's
 * pieces, the verdict, printAllFit), with its signal (Cancel) and a progress report per optimizer.
 * What the card offers for a fit (allFitSetup) is the library's answer: a fit it cannot refit (a
 * streamed fit keeps no call, its rows never held) carries the library's message.
 */
import { ALLFIT_MAXFUN, allFit, checkAllFit, printAllFit } from '../../src/fit/allFit.js';
import { OPTIMIZER_LABELS, OPTIMIZER_METHODS } from '../../src/optim/minimizers.js';
import { OptionError, showValue } from '../../src/errors/errors.js';
import type { AnyFit } from './fitting.js';
import type { AllFitMsg, AllFitRequest, AllFitSetup } from './protocol.js';

const message = (e: unknown) => (e as Error)?.message ?? String(e);

/** What the card offers for a fit: the library's optimizers and budget, the fit's convergence messages, or the library's refusal. */
export function allFitSetup(fit: AnyFit): AllFitSetup {
  let refusal: string | null = null;
  try {
    checkAllFit(fit);
  } catch (e) {
    refusal = message(e);
  }
  return {
    refusal,
    optimizers: OPTIMIZER_METHODS.map((method) => ({ method, label: OPTIMIZER_LABELS[method] })),
    maxfun: ALLFIT_MAXFUN,
    convergenceMessages: [...(fit.convergence?.messages ?? [])],
    backend: fit.backend.name,
  };
}

export interface AllFitContext {
  signal: AbortSignal;
  /** before the first refit and after each: `done` refits of `total`, `label` the optimizer that runs next ('' when all ran) */
  onProgress: (p: { done: number; total: number; label: string }) => void;
}

/** lme4's allFit of the fit (the library's), its rows without the refits themselves, and printAllFit's text */
export async function runAllFit(fit: AnyFit, req: AllFitRequest, ctx: AllFitContext): Promise<AllFitMsg> {
  const t0 = performance.now();
  checkAllFit(fit);
  // the library checks the methods and the budget again; a request that is not an array is named here
  if (!Array.isArray(req.optimizers)) throw new OptionError('optimizers', `allFit: optimizers must be an array of ${OPTIMIZER_METHODS.join(', ')}, not ${showValue(req.optimizers)}`);
  const labels = req.optimizers.map((m) => OPTIMIZER_LABELS[m] ?? String(m));
  ctx.onProgress({ done: 0, total: labels.length, label: labels[0] ?? '' });
  const r = await allFit(fit, {
    optimizers: req.optimizers, maxfun: req.maxfun, signal: ctx.signal,
    onProgress: (p) => ctx.onProgress({ done: p.done, total: p.total, label: labels[p.done] ?? '' }),
  });
  return {
    request: req,
    rows: r.rows.map(({ fit: _fit, ...row }) => row),
    verdict: r.verdict,
    spread: r.spread,
    fitLogLik: fit.logLik,
    text: printAllFit(r).join('\n'),
    elapsedMs: performance.now() - t0,
  };
}
