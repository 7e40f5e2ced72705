/**
 * lme4's allFit(fit) and summary(allFit(fit)): the fit's model refitted by each of several optimizers
 * from lme4's start, so that a user warned about convergence can see whether they agree.
 *
 * lme4 1.1-31's allFit calls update(fit, control = …) with each optimizer (bobyqa, Nelder_Mead,
 * nlminbwrap, nmkbw, optimx's L-BFGS-B, nloptwrap's NLOPT_LN_NELDERMEAD and NLOPT_LN_BOBYQA), maxfun
 * 1e5, from lme4's default start (not from the fit's optimum). Here each refit is fit.update with
 * `optimizer: { method, maxfun: 1e5 }` and, for lmer, `momentStart: false` (lme4's start only); glmer's
 * two stages both take the method, as glmerControl(optimizer = one name) gives both. The optimizers are
 * ours (src/optim/minimizers.ts), named for what ran:
 *
 *   'bobyqa (mixedgpu)'               our BOBYQA (the default fit from lme4's start), not minqa's
 *   'Nelder_Mead'                     lme4's Nelder_Mead, rewritten (src/optim/nelderMead.ts)
 *   'quasi-Newton (projected L-BFGS)' projected L-BFGS on finite differences (src/optim/quasiNewton.ts)
 *
 * Every method runs inside the θ optimizer's scaling, boundary restarts and boundary snap
 * (src/optim/thetaOptimizer.ts; lme4's optimizeLmer applies its restart_edge and check.boundary to
 * every optimizer too). nlminb's PORT, dfoptim's nmkb, optimx and nloptr are not reproduced.
 *
 * summary(allFit) is `allFitSummary`: which.OK, msgs (lme4's convergence messages), fixef, llik, sdcor
 * (as.data.frame(VarCorr)'s sdcor column, named by what each entry is — lme4 1.1-31 labels that column
 * with tnames(), which are in θ's order, so for a term with correlations its labels do not match the
 * entries), theta, times, feval; plus a one-line verdict.
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import { type OptimizerMethod, OPTIMIZER_LABELS, OPTIMIZER_METHODS } from '../optim/minimizers.js';
import { SINGULAR_MESSAGE } from '../model/lambda.js';
import { throwIfAborted } from '../model/control.js';
import { LmmFit } from '../lmm/lmmFit.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import { callOf, updateFit } from './update.js';

/** lme4's allFit evaluation budget (its maxfun argument, 1e5). */
export const ALLFIT_MAXFUN = 100_000;

/** Optimizers agree when their logLik values are within this (absolute)… */
export const AGREE_LOGLIK = 1e-4;
/** …and their fixed effects within this many standard errors (the best fit's). */
export const AGREE_FIXEF_SE = 0.01;

export interface AllFitOptions {
  /** the methods to run, in this order (default: all of src/optim/minimizers.ts, BOBYQA first) */
  optimizers?: readonly OptimizerMethod[];
  /** each refit's evaluation budget (default 1e5, lme4's allFit) */
  maxfun?: number;
  /** aborts the refits (an AbortError) */
  signal?: AbortSignal;
  /** called after each refit */
  onProgress?: (p: { done: number; total: number; optimizer: string }) => void;
}

/** One optimizer's refit. */
export interface AllFitRow {
  /** what ran (OPTIMIZER_LABELS) */
  optimizer: string;
  method: OptimizerMethod;
  /** false when the refit failed (lme4: an error object in the list; not in which.OK) */
  ok: boolean;
  /** the refit's error message, when it failed */
  error?: string;
  /** lme4's msgs: the convergence checks' messages and the singular-fit message */
  messages: string[];
  /** the optimizer's own verdict and message */
  converged: boolean;
  optimizerMessage: string;
  fixef: Record<string, number>;
  theta: number[];
  /** as.data.frame(VarCorr)'s sdcor: per term its SDs then its correlations, then σ (lmer, and GLMMs with a scale) */
  sdcor: Record<string, number>;
  logLik: number;
  /** the refit's objective evaluations */
  feval: number;
  /** wall time of the refit, ms */
  timeMs: number;
  /** the refit itself (absent when it failed) */
  fit?: LmmFit | GlmmFit;
}

/** summary(allFit(fit)): lme4's list, each piece by optimizer (only the refits that ran, as lme4's). */
export interface AllFitSummary {
  whichOK: Record<string, boolean>;
  msgs: Record<string, string[]>;
  fixef: Record<string, Record<string, number>>;
  llik: Record<string, number>;
  sdcor: Record<string, Record<string, number>>;
  theta: Record<string, number[]>;
  /** elapsed ms */
  times: Record<string, number>;
  feval: Record<string, number>;
}

export interface AllFitResult {
  rows: AllFitRow[];
  summary: AllFitSummary;
  /** one line: whether the optimizers agree, and to what */
  verdict: string;
  /** the spreads behind the verdict (over the refits that ran) */
  spread: { logLik: number; fixefSE: number; theta: number; sdcorRelative: number };
}

/** Names of the sdcor entries, in as.data.frame(VarCorr)'s order: `sd_x|g`, `cor_x.y|g`, `sigma`. */
function sdcorNames(fit: LmmFit | GlmmFit): string[] {
  return fit.varCorr.map((r) => (r.var1 === null ? 'sigma' : r.var2 === null ? `sd_${r.var1}|${r.group}` : `cor_${r.var1}.${r.var2}|${r.group}`));
}

/** Refuses a fit that allFit cannot refit (no record of its call: a fit of rows in a file or an engine); returns the call. */
export function checkAllFit(fit: LmmFit | GlmmFit): NonNullable<ReturnType<typeof callOf>> {
  const call = callOf(fit);
  if (!call) {
    throw new ModelError('allFit: this fit keeps no record of its call (it was not made by lmer or glmer from data in memory, e.g. a fit of rows in a file or a database engine, or an internal refit): fit the model with lmer or glmer, then call allFit');
  }
  return call;
}

/** lme4's allFit(fit): the model refitted by each optimizer (header); failed refits are rows with `ok: false`. */
export async function allFit(fit: LmmFit | GlmmFit, options: AllFitOptions = {}): Promise<AllFitResult> {
  const call = checkAllFit(fit);
  const methods = options.optimizers ?? OPTIMIZER_METHODS;
  if (!Array.isArray(methods) || methods.length === 0) {
    throw new OptionError('optimizers', `allFit: optimizers must be a non-empty array of ${OPTIMIZER_METHODS.map((m) => `'${m}'`).join(', ')}, not ${showValue(methods)}`);
  }
  for (const m of methods) {
    if (!(OPTIMIZER_METHODS as readonly unknown[]).includes(m)) {
      throw new OptionError('optimizers', `allFit: unknown optimizer ${showValue(m)}: use ${OPTIMIZER_METHODS.map((x) => `'${x}'`).join(', ')} (lme4's nlminbwrap, nmkbw, optimx and nloptwrap are not reproduced)`);
    }
  }
  if (new Set(methods).size !== methods.length) throw new OptionError('optimizers', `allFit: optimizers lists a method twice: ${showValue(methods)}`);
  const maxfun = options.maxfun ?? ALLFIT_MAXFUN;
  if (!(Number.isInteger(maxfun) && maxfun >= 1)) throw new OptionError('maxfun', `allFit: maxfun must be a whole number ≥ 1, not ${showValue(options.maxfun)}`);
  const userOptimizer = (call.options.optimizer ?? {}) as Record<string, unknown>;

  const rows: AllFitRow[] = [];
  for (const method of methods as readonly OptimizerMethod[]) {
    throwIfAborted(options.signal);
    // BOBYQA keeps the call's radii; the others take only maxfun (src/fit/checks.ts)
    const optimizer = method === 'bobyqa' ? { ...userOptimizer, method, maxfun } : { method, maxfun };
    const changes: Record<string, unknown> = { optimizer, ...(call.fn === 'lmer' ? { momentStart: false } : {}), ...(options.signal ? { signal: options.signal } : {}) };
    const t0 = performance.now();
    const optimizerName = OPTIMIZER_LABELS[method];
    try {
      const refit = await updateFit(fit, changes);
      const timeMs = performance.now() - t0;
      const names = sdcorNames(refit);
      rows.push({
        optimizer: optimizerName, method, ok: true,
        messages: [...(refit.convergence?.messages ?? []), ...(refit.singular ? [SINGULAR_MESSAGE] : [])],
        converged: refit.converged, optimizerMessage: refit.optimizerMessage,
        fixef: refit.fixef, theta: Array.from(refit.theta),
        sdcor: Object.fromEntries(refit.varCorr.map((r, k) => [names[k], r.sdcor])),
        logLik: refit.logLik, feval: refit.feval, timeMs, fit: refit,
      });
    } catch (e) {
      if (e instanceof Error && e.name === 'AbortError') throw e;
      rows.push({
        optimizer: optimizerName, method, ok: false, error: e instanceof Error ? e.message : String(e), messages: [],
        converged: false, optimizerMessage: '', fixef: {}, theta: [], sdcor: {}, logLik: NaN, feval: 0, timeMs: performance.now() - t0,
      });
    }
    options.onProgress?.({ done: rows.length, total: methods.length, optimizer: optimizerName });
  }
  return { rows, summary: allFitSummary(rows), ...verdictOf(rows) };
}

/** summary(allFit): the pieces by optimizer name, the failed refits only in whichOK (lme4's). */
export function allFitSummary(rows: readonly AllFitRow[]): AllFitSummary {
  const ok = rows.filter((r) => r.ok);
  const by = <T>(f: (r: AllFitRow) => T): Record<string, T> => Object.fromEntries(ok.map((r) => [r.optimizer, f(r)]));
  return {
    whichOK: Object.fromEntries(rows.map((r) => [r.optimizer, r.ok])),
    msgs: by((r) => r.messages), fixef: by((r) => r.fixef), llik: by((r) => r.logLik),
    sdcor: by((r) => r.sdcor), theta: by((r) => r.theta), times: by((r) => r.timeMs), feval: by((r) => r.feval),
  };
}

/**
 * The verdict: the refits that ran agree when their logLik values span at most AGREE_LOGLIK and their
 * fixed effects differ by at most AGREE_FIXEF_SE standard errors (the best fit's SEs); the spreads of θ
 * (absolute) and of the sdcor entries (relative to the best fit's, at least 1e-8) are reported with it.
 */
export function verdictOf(rows: readonly AllFitRow[]): Pick<AllFitResult, 'verdict' | 'spread'> {
  const ok = rows.filter((r) => r.ok);
  const failed = rows.filter((r) => !r.ok).map((r) => r.optimizer);
  const failedNote = failed.length ? `; failed: ${failed.join(', ')}` : '';
  if (ok.length === 0) return { verdict: `no optimizer ran${failedNote}`, spread: { logLik: NaN, fixefSE: NaN, theta: NaN, sdcorRelative: NaN } };
  const best = ok.reduce((a, b) => (b.logLik > a.logLik ? b : a));
  const worst = ok.reduce((a, b) => (b.logLik < a.logLik ? b : a));
  const se = best.fit?.se ?? {};
  let fixefSE = 0, theta = 0, sdcorRelative = 0;
  for (const r of ok) {
    for (const [k, v] of Object.entries(r.fixef)) fixefSE = Math.max(fixefSE, Math.abs(v - best.fixef[k]) / (se[k] > 0 ? se[k] : 1));
    r.theta.forEach((t, k) => { theta = Math.max(theta, Math.abs(t - best.theta[k])); });
    for (const [k, v] of Object.entries(r.sdcor)) sdcorRelative = Math.max(sdcorRelative, Math.abs(v - best.sdcor[k]) / Math.max(Math.abs(best.sdcor[k]), 1e-8));
  }
  const logLik = best.logLik - worst.logLik;
  const spread = { logLik, fixefSE, theta, sdcorRelative };
  const g = (x: number) => (x === 0 ? '0' : Math.abs(x) < 1e-3 ? x.toExponential(1) : x.toPrecision(2));
  const numbers = `logLik within ${g(logLik)}, fixed effects within ${g(fixefSE)} SE, θ within ${g(theta)}, SDs and correlations within ${g(sdcorRelative)} (relative)`;
  const n = `${ok.length} optimizers`;
  if (ok.length === 1) return { verdict: `only ${best.optimizer} ran${failedNote}`, spread };
  const agree = logLik <= AGREE_LOGLIK && fixefSE <= AGREE_FIXEF_SE;
  return {
    spread,
    verdict: agree
      ? `${ok.length === 2 ? 'both optimizers' : `all ${n}`} agree: ${numbers}${failedNote}`
      : `the ${n} disagree: logLik from ${worst.logLik.toFixed(6)} (${worst.optimizer}) to ${best.logLik.toFixed(6)} (${best.optimizer}); ${numbers}${failedNote}`,
  };
}

/** R's print of summary(allFit(fit)) in plain words: one block per piece, a row per optimizer. */
export function printAllFit(result: AllFitResult): string[] {
  const { rows } = result;
  const ok = rows.filter((r) => r.ok);
  const width = Math.max(...rows.map((r) => r.optimizer.length));
  const pad = (s: string) => s.padEnd(width);
  const out: string[] = ['$which.OK', ...rows.map((r) => `${pad(r.optimizer)}  ${r.ok ? 'TRUE' : `FALSE  (${r.error})`}`), ''];
  out.push('$msgs');
  for (const r of ok) {
    // lme4's msgs, and (not among them in lme4's summary) an optimizer that stopped without converging
    const msgs = [...r.messages, ...(r.converged ? [] : [`optimizer did not converge: ${r.optimizerMessage}`])];
    out.push(`${pad(r.optimizer)}  ${msgs.length ? msgs.map((m) => m.replace(/\n\s*/g, ' ')).join(' | ') : 'NULL'}`);
  }
  out.push('');
  const table = (title: string, get: (r: AllFitRow) => Record<string, number>, digits: number) => {
    if (ok.length === 0) return;
    const cols = Object.keys(get(ok[0]));
    const cells = ok.map((r) => cols.map((c) => formatNumber(get(r)[c], digits)));
    const w = cols.map((c, j) => Math.max(c.length, ...cells.map((row) => row[j].length)));
    out.push(title, `${' '.repeat(width)}  ${cols.map((c, j) => c.padStart(w[j])).join(' ')}`);
    ok.forEach((r, i) => out.push(`${pad(r.optimizer)}  ${cells[i].map((v, j) => v.padStart(w[j])).join(' ')}`));
    out.push('');
  };
  table('$fixef', (r) => r.fixef, 7);
  table('$llik', (r) => ({ logLik: r.logLik }), 10);
  table('$sdcor', (r) => r.sdcor, 7);
  table('$theta', (r) => Object.fromEntries(r.theta.map((t, k) => [`theta${k + 1}`, t])), 7);
  table('$times', (r) => ({ elapsed_s: r.timeMs / 1000 }), 3);
  table('$feval', (r) => ({ feval: r.feval }), 10);
  out.push(`optimizers: ${result.verdict}`);
  return out;
}

/** R's print of a number at `digits` significant digits (as format(x, digits)) */
function formatNumber(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  return Number(x.toPrecision(digits)).toString();
}

declare module '../lmm/lmmFit.js' {
  interface LmmFit {
    /** lme4's allFit(fit): the model refitted by each optimizer from lme4's start (src/fit/allFit.ts) */
    allFit(options?: AllFitOptions): Promise<AllFitResult>;
  }
}

declare module '../glmm/glmmFit.js' {
  interface GlmmFit {
    /** lme4's allFit(fit): the model refitted by each optimizer from lme4's start, both glmer stages with it (src/fit/allFit.ts) */
    allFit(options?: AllFitOptions): Promise<AllFitResult>;
  }
}

LmmFit.prototype.allFit = function (this: LmmFit, options?: AllFitOptions) {
  return allFit(this, options);
};
GlmmFit.prototype.allFit = function (this: GlmmFit, options?: AllFitOptions) {
  return allFit(this, options);
};
