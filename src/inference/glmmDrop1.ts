/**
 * lme4's drop1 of a glmer fit (lme4 1.1-31 drop1.merMod with its default sumFun, extractAIC): each
 * marginal fixed-effects term t (drop.scope, src/formula/dropScope.ts) left out in turn, the model
 * refitted as update(fit, ~ . − t) — the same family, link, nAGQ, prior weights, offset, random
 * effects and rows, the fixed design X₋ₜ (fixedWithout.ts) — and tabulated as
 *   npar_t = npar − npar₋ₜ                    (the fit's parameters minus the refit's: R's attr(logLik, "df"))
 *   AIC₋ₜ  = −2ℓ₋ₜ + 2 npar₋ₜ                 (the first row, <none>, the fit's own AIC)
 *   LRT_t  = (AIC₋ₜ − 2 npar₋ₜ) − (AIC − 2 npar) = −2ℓ₋ₜ − (−2ℓ)   (test = "Chisq"; not clamped at 0, as lme4)
 *   Pr(Chi) = P(χ²_{npar_t} > LRT_t)          (safe_pchisq: none for npar_t ≤ 0)
 * with −2ℓ the Laplace (nAGQ = 1) or adaptive Gauss–Hermite (nAGQ > 1) deviance, or stage 1's for
 * nAGQ = 0. The refits start where glmer starts a new fit (update re-runs glmer from its defaults)
 * and run the core's GLMM fit (src/glmm/fit.ts) on the float64 CPU engine, with Var(β̂) from R_X (the
 * table needs only −2ℓ).
 *
 * Refused, with the reason: fits with priors (another criterion), glmer.nb fits (update re-estimates
 * the negative binomial size in each refit), and fits that dropped rows for missing values (lme4's
 * refit reads the rows complete for the smaller formula and stops when their number changes; the
 * rows dropped are not known here by variable).
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { fitGlmm } from '../glmm/fit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import type { GlmmModel } from '../glmm/model.js';
import { PirlsEngine } from '../glmm/pirls.js';
import { abortError } from '../model/control.js';
import { type FixedTransform, fixedTransform } from '../model/fixedTransform.js';
import { pchisqUpper } from '../stats/distributions.js';
import { drop1Scope } from './drop1.js';
import { checkLme4Criterion } from './fitInference.js';
import { frameWithout } from './fixedWithout.js';

export type Drop1Test = 'Chisq' | 'none';

export interface GlmmDrop1Row {
  term: string;
  /** parameters dropped with the term (R's npar column) */
  npar: number;
  /** the refit's AIC */
  AIC: number;
  /** test = "Chisq": −2ℓ of the refit minus the fit's, and its χ² p-value (null where npar ≤ 0, R's NA) */
  LRT?: number;
  p?: number | null;
}

export interface GlmmDrop1Table {
  test: Drop1Test;
  /** the fit's own row (<none>): its AIC */
  none: { AIC: number };
  rows: GlmmDrop1Row[];
  /** the model as lme4's heading writes it (the fit's formula) */
  model: string;
  /** the refits' notes that the fit did not have (a refit that did not converge, columns of X₋ₜ dropped) */
  messages: string[];
  timeMs: number;
}

export interface GlmmDrop1Progress { done: number; total: number; term: string; elapsedMs: number }

export interface GlmmDrop1Options {
  /** lme4's test: 'Chisq' (default here; lme4's default is 'none', the npar and AIC columns alone) */
  test?: Drop1Test;
  /** the marginal terms to drop (default all) */
  scope?: string[];
  onProgress?: (p: GlmmDrop1Progress) => void;
  signal?: AbortSignal;
}

/** The GLMM without fixed-effects term t: the frame's X₋ₜ in the model and in PIRLS's data, all else shared. */
export function glmmWithout(model: GlmmModel, term: string): GlmmModel {
  const frame = frameWithout(model.frame, term);
  let fixed: FixedTransform | undefined;
  const reduced = Object.assign(Object.create(Object.getPrototypeOf(model)), model, {
    formula: frame.formula, frame, pirls: { ...model.pirls, X: frame.X, p: frame.p },
  }) as GlmmModel;
  // the fixed-effects transform of X₋ₜ, computed on first use as the model's own
  Object.defineProperty(reduced, 'fixed', { get: () => (fixed ??= fixedTransform(frame)), configurable: true, enumerable: true });
  return reduced;
}

/** R's safe_pchisq: the upper χ² tail, none (null) for df ≤ 0; a negative statistic has tail 1. */
export function safePchisq(q: number, df: number): number | null {
  if (!(df > 0)) return null;
  return q <= 0 ? 1 : pchisqUpper(q, df);
}

export async function drop1Glmm(fit: GlmmFit, options: GlmmDrop1Options = {}): Promise<GlmmDrop1Table> {
  const t0 = performance.now();
  const test = options.test ?? 'Chisq';
  if (test !== 'Chisq' && test !== 'none') throw new OptionError('test', `drop1's test for a glmer fit is 'Chisq' or 'none' (lme4's; its F test is unfinished), not '${String(test)}'`);
  // covariance structures (glmmTMB's ar1, cs, …): each refit optimizes the structure's ψ again
  // (fitGlmm through src/glmm/structured.ts), as a glmer fit of the smaller formula would
  checkLme4Criterion(fit, 'drop1 (refits without each term)', 'allow');
  if (fit.thetaEstimation) {
    throw new ModelError("drop1 of a glmer.nb fit is not available: lme4's update re-estimates the negative binomial size in each refit (glmer.nb), which these refits do not do; fit the family with a fixed size (theta) to refit at it");
  }
  const model = fit.model;
  if (model.frame.nDropped > 0) {
    throw new ModelError(`drop1 of a glmer fit that dropped ${model.frame.nDropped} rows for missing values is not available: lme4's refits read the rows complete for each smaller formula and stop ("number of rows in use has changed") when a dropped term's variable was missing; remove the rows with missing values first`);
  }
  const scope = drop1Scope(model.frame.formula.fixed, options.scope);
  const rows: GlmmDrop1Row[] = [];
  const messages: string[] = [];
  for (const [k, t] of scope.entries()) {
    if (options.signal?.aborted) throw abortError();
    const m = glmmWithout(model, t.label);
    let refit: GlmmFit;
    try {
      refit = await fitGlmm(m, new PirlsEngine(m.pirls), fit.nAGQ, { vcov: 'RX', signal: options.signal }, performance.now(), {});
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new ModelError(`drop1: the refit without '${t.label}' failed: ${(e as Error).message}`);
    }
    // npar_t = npar − npar₋ₜ; AIC₋ₜ = −2ℓ₋ₜ + 2 npar₋ₜ; LRT_t = −2ℓ₋ₜ − (−2ℓ)
    const npar = fit.df - refit.df;
    const row: GlmmDrop1Row = { term: t.label, npar, AIC: refit.objective + 2 * refit.df };
    if (test === 'Chisq') {
      row.LRT = refit.objective - fit.objective;
      row.p = safePchisq(row.LRT, npar);
    }
    rows.push(row);
    // the refit's own notes (convergence, a rank-deficient X₋ₜ), not the fit's
    for (const m of refit.messages) if (!fit.messages.includes(m)) messages.push(`refit without '${t.label}': ${m}`);
    options.onProgress?.({ done: k + 1, total: scope.length, term: t.label, elapsedMs: performance.now() - t0 });
  }
  return { test, none: { AIC: fit.objective + 2 * fit.df }, rows, model: fit.formula, messages, timeMs: performance.now() - t0 };
}
