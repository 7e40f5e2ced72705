/**
 * Worker side: the inference the page shows for a fit (issue 16 with the inference issue's
 * library): lmerTest's coefficient table (Satterthwaite's or Kenward–Roger's ddf) and anova table
 * of type I, II or III for lmer fits, and lme4's confint — Wald at once, profile and the parametric
 * bootstrap on request, with progress and an AbortSignal.
 */
import { anovaTable, coefficientTable, confintGlmm, confintLmm, type ConfintResult, type Ddf, type LmmFit } from '../../src/index.js';
import { macrotask } from '../../src/model/control.js';
import type { AnyFit } from './fitting.js';
import type { ConfintMsg, ConfintRequest, InferenceMsg } from './protocol.js';

function isGlmm(fit: AnyFit): boolean {
  return 'nAGQ' in fit;
}

/** lmerTest's summary coefficients and anova(type) (default "III") for an lmer fit, with the chosen ddf. */
export function inferenceTables(fit: AnyFit, ddf: Ddf, anovaType: InferenceMsg['anovaType'] = 'III'): InferenceMsg {
  if (isGlmm(fit)) throw new Error('denominator degrees of freedom are for lmer fits: a glmer fit has z tests (shown in the table)');
  const t0 = performance.now();
  const coef = coefficientTable(fit as LmmFit, { ddf });
  const anova = anovaTable(fit as LmmFit, { ddf, type: anovaType });
  return {
    ddf: coef.ddf,
    anovaType: anova.type,
    coefficients: coef.rows.map((r) => ({ name: r.name, estimate: r.estimate, se: r.se, df: r.df, t: r.t, p: r.p })),
    anova: anova.rows.map((r) => ({ term: r.term, sumsq: r.sumsq, meansq: r.meansq, numdf: r.numdf, dendf: r.dendf, F: r.F, p: r.p })),
    messages: [...new Set([...coef.messages, ...anova.messages])],
    elapsedMs: performance.now() - t0,
  };
}

export interface ConfintContext {
  signal: AbortSignal;
  onProgress: (p: { done: number; total: number; label: string }) => void;
}

function abortError(): Error {
  const e = new Error('cancelled');
  e.name = 'AbortError';
  return e;
}

/**
 * lme4's confint(fit, method, level = 0.95, oldNames = FALSE). The profile is computed one parameter
 * at a time (lme4's profile(which = k); each parameter's interval comes from its own profile), with a
 * turn of the event loop in between, so that Cancel reaches the worker and progress is posted; the
 * bootstrap reports its replicates and yields within its refits.
 */
export async function runConfint(fit: AnyFit, req: ConfintRequest, ctx: ConfintContext): Promise<ConfintMsg> {
  const t0 = performance.now();
  const glmm = isGlmm(fit);
  const confint = (o: Parameters<typeof confintLmm>[1]): Promise<ConfintResult> =>
    glmm ? confintGlmm(fit as never, o) : confintLmm(fit as LmmFit, o);
  const names = Object.keys((await confint({ method: 'wald' })).intervals);
  let res: ConfintResult;
  if (req.method === 'profile') {
    const intervals: ConfintResult['intervals'] = {};
    const messages: string[] = [];
    for (let k = 0; k < names.length; k++) {
      ctx.onProgress({ done: k, total: names.length, label: names[k]! });
      await macrotask();
      if (ctx.signal.aborted) throw abortError();
      const one = await confint({ method: 'profile', profile: { which: [k] }, signal: ctx.signal });
      Object.assign(intervals, one.intervals);
      messages.push(...one.messages);
    }
    ctx.onProgress({ done: names.length, total: names.length, label: '' });
    res = { method: 'profile', level: 0.95, intervals, messages: [...new Set(messages)] };
  } else {
    const nsim = req.nsim ?? 200;
    if (!(Number.isInteger(nsim) && nsim >= 10 && nsim <= 100_000)) throw new Error(`bootstrap replicates must be a whole number from 10 to 100,000, got ${req.nsim}`);
    res = await confint({
      method: 'boot', nsim, seed: req.seed ?? 1, signal: ctx.signal,
      onProgress: (p) => ctx.onProgress({ done: p.done, total: p.nsim, label: 'replicates' }),
    });
  }
  return {
    method: res.method,
    level: res.level,
    rows: names.map((name) => ({ name, lower: res.intervals[name]?.[0] ?? null, upper: res.intervals[name]?.[1] ?? null })),
    messages: res.messages,
    elapsedMs: performance.now() - t0,
  };
}
