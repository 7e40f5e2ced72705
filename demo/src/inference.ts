/**
 * Worker side: the inference the page shows for a fit (issue 16 with the inference issue's
 * library): lmerTest's coefficient table (Satterthwaite's or Kenward–Roger's ddf) and anova table
 * of type I, II or III for lmer fits, and lme4's confint — Wald at once, profile and the parametric
 * bootstrap on request, with progress and an AbortSignal.
 */
import { anovaTable, coefficientTable, confintGlmm, confintLmm, type ConfintResult, type Ddf, type LmmFit } from '../../src/index.js';
import { macrotask } from '../../src/model/control.js';
import { type EmmDdf, type EmmGrid, type EmmRow, type ContrastRow, emmeans, emtrends, formatLevel, needsRemlRefit } from '../../src/inference/emmeans.js';
import type { AdjustMethod } from '../../src/inference/emmAdjust.js';
import { exprVariables, fixedVariables } from '../../src/frame/covariates.js';
import type { AnyFit } from './fitting.js';
import { ModelError } from '../../src/errors/errors.js';
import { engineRefusal } from './modelTests.js';
import { CONFINT_METHODS } from './confintMethods.js';
import type { ConfintMsg, ConfintRequest, EmmContrastRow, EmmMeanRow, EmmMsg, EmmRequest, EmmVariable, InferenceMsg } from './protocol.js';

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
  // what the card does not offer for a fit whose rows are in a stream (the bootstrap): refused here too, with the reason
  const source = glmm ? undefined : (fit as LmmFit).model.source;
  const spec = CONFINT_METHODS.find((m) => m.method === req.method);
  if (source && spec && 'unavailable' in spec.streamed) throw new ModelError(engineRefusal(spec.r, source, spec.streamed.unavailable));
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

/** the fixed part's data columns (emmeans's reference-grid variables): factors with their levels in the rows used, and covariates */
export function emmVariables(fit: AnyFit): EmmVariable[] {
  const frame = fit.model.frame;
  // the terms' variables, not an offset's
  const inTerms = new Set<string>();
  for (const t of frame.formula.fixed.terms) for (const v of t.vars) exprVariables(v.expr, inTerms);
  return fixedVariables(frame.formula).filter((n) => inTerms.has(n)).map((name) => {
    const col = frame.columns.get(name);
    return col?.kind === 'factor' ? { name, kind: 'factor' as const, levels: col.levels.slice(0, 200) } : { name, kind: 'covariate' as const, levels: [] };
  });
}

const labels = (x: Record<string, string | number>): Record<string, string> =>
  Object.fromEntries(Object.entries(x).map(([k, v]) => [k, formatLevel(v)]));

function meanRow(r: EmmRow): EmmMeanRow {
  return { ...r, levels: labels(r.levels) };
}

function contrastRow(r: ContrastRow): EmmContrastRow {
  return { ...r, by: labels(r.by) };
}

/**
 * emmeans(fit, specs, by, ddf, type) or emtrends(fit, specs, var = trend), and on request their
 * contrasts (emmeans's contrast(method, ref, adjust)), as the page shows them.
 */
export async function emmTables(fit: AnyFit, req: EmmRequest): Promise<EmmMsg> {
  const t0 = performance.now();
  if (typeof req.specs !== 'string' || req.specs === '') throw new Error('choose the variable whose means are estimated');
  const options: Record<string, unknown> = {};
  if (req.by) options.by = [req.by];
  if (req.ddf) options.ddf = req.ddf;
  // emmeans's default on an ML fit: Kenward–Roger's df from the model's REML refit (pbkrtest's vcovAdj)
  if (needsRemlRefit(fit, (req.ddf || undefined) as EmmDdf | undefined)) options.remlRefit = await (fit as LmmFit).remlFit();
  if (req.type && !req.trend) options.type = req.type;
  const grid: EmmGrid = req.trend
    ? emtrends(fit, [req.specs], { ...options, var: req.trend })
    : emmeans(fit, [req.specs], options);
  // the rows first: they add the intervals' adjustment line to the notes
  const means = grid.rows.map(meanRow);
  let contrasts: EmmMsg['contrasts'] = null;
  if (req.contrast !== 'none') {
    const copts: Record<string, unknown> = {};
    if (req.adjust) copts.adjust = req.adjust as AdjustMethod;
    if (req.contrast === 'trt.vs.ctrl' && req.ref !== undefined && req.ref !== '') {
      // the control by its position among the factor's levels (emmeans labels numeric levels 'Days2')
      const col = fit.model.frame.columns.get(req.specs);
      const k = col?.kind === 'factor' ? col.levels.indexOf(req.ref) : -1;
      copts.ref = k >= 0 ? k + 1 : req.ref;
    }
    const c = grid.contrast(req.contrast, copts);
    contrasts = { method: req.contrast, adjust: c.adjust, ratioLabel: c.ratioLabel, rows: c.rows.map(contrastRow), notes: [...c.messages], text: c.toString() };
  }
  return {
    request: req,
    kind: req.trend ? 'emtrends' : 'emmeans',
    estimateName: grid.estimateName,
    responseLabel: grid.type === 'response' ? grid.responseLabel : null,
    specs: grid.specs,
    by: grid.by,
    ddf: grid.ddf,
    level: grid.level,
    type: grid.type,
    means,
    meansNotes: [...grid.messages],
    meansText: grid.toString(),
    contrasts,
    elapsedMs: performance.now() - t0,
  };
}
