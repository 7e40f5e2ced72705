/**
 * Case-deletion influence of an lmer or glmer fit (lme4 ≥ 1.1-27's influence.merMod): the model refitted once
 * without each unit — each level of a grouping factor (`groups`), or each observation — giving per
 * unit i the deleted fit's β̂₋ᵢ, θ̂₋ᵢ, σ̂₋ᵢ, its variance components (lme4's var.cov.comps: σ², then
 * each term's covariance matrix's lower triangle by columns) and Var(β̂₋ᵢ); Cook's distance, dfbeta
 * and dfbetas follow from them (influenceMeasures.ts).
 *
 * The refits are lme4's: the same criterion (REML or ML, as the fit), the same prior weights on the
 * kept rows, started at the full fit's θ̂ (influence.merMod's `start = getME(model, "theta")`), with
 * an evaluation budget `maxfun` (lme4's default 1000). lme4 stops its refits at nloptwrap's default
 * tolerances; ours run to the core's final radius, so they reach the deleted data's optimum.
 *
 * The model without unit i is the model's rows without its rows (jackknife.ts `lmmOnRows`): the
 * deleted level stays in the structure with no rows, contributing log|I| = 0 to log|L|² and nothing
 * to the penalized residual sum of squares, so the criterion is that of the model built from the
 * reduced data, where lme4's refit drops the level (and any other factor's level left without rows).
 * Data-dependent terms — scale(x), poly(x, …), ns(x, …), bs(x, …) — keep the full data's centre and
 * scale, coefficients and knots in every refit, as lme4's do: influence.merMod refits by
 * update(model, data = data, subset = (.groups != del)), and R's model.frame evaluates the formula's
 * variables on the whole data before it applies `subset`, so β̂₋ᵢ is in β̂'s coordinates (checked
 * against lme4 1.1-31 in test/influenceDataTerms.test.ts; a refit on the data cut down, where the terms
 * are evaluated anew, is not lme4's answer).
 * A fixed-effect column left all zero by a deletion (a factor level only that unit has) would be
 * dropped by lme4's refit, changing β's length: it is refused, naming the unit.
 *
 * A glmer fit's refits (influenceGlmm) are lme4's too: the same family, link, nAGQ, prior weights
 * and offset on the kept rows (jackknife.ts `glmmOnRows`: an empty level's u has no data, so it adds
 * nothing to the Laplace or AGQ deviance, as the level dropped), started at θ̂ as lme4's `start =
 * list(theta = θ̂, fixef = β̂)` starts its stage 1 (our stage 2 starts at stage 1's optimum, lme4's at
 * β̂: the same optimum), run by the core's GLMM fit (src/glmm/fit.ts) with `maxfun` its final stage's
 * budget and Var(β̂₋ᵢ) by the fit's method (the Hessian, lme4's vcov of a glmer fit, unless the fit
 * used R_X); σ̂₋ᵢ is 1 for binomial and Poisson (var.cov.comps's first entry, as lme4's sigma).
 * lme4's refits stop at glmerControl's default tolerances (PIRLS tolPwrss 1e-7, Nelder–Mead's stage 2);
 * ours reach the deleted data's optimum.
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { LMM_OPTIMIZER } from '../lmm/fit.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { fitGlmm } from '../glmm/fit.js';
import { PirlsEngine } from '../glmm/pirls.js';
import type { ModelFrame } from '../frame/modelFrame.js';
import { Evaluations, abortError } from '../model/control.js';
import { optimizerSettings } from '../model/fitObjective.js';
import { mapBeta, mapVcov } from '../model/fixedTransform.js';
import { thetaToInternal, thetaToOriginal } from '../model/reparam.js';
import { termCovariance } from '../results/components.js';
import { checkLme4Criterion } from './fitInference.js';
import { glmmOnRows, lmmOnRows, refitLmm } from './jackknife.js';
import { withResponse } from './glmmBootstrap.js';
import { refuseEngineRows, refuseKnownCovariance } from './knownCovariance.js';
import { cooksDistance, dfbeta, dfbetas } from './influenceMeasures.js';

/** lme4's influence.merMod default evaluation budget of each refit */
export const INFLUENCE_MAXFUN = 1000;

export interface InfluenceProgress {
  /** refits done, of `total` */
  done: number;
  total: number;
  /** the unit just refitted */
  label: string;
  elapsedMs: number;
}

export interface InfluenceOptions {
  /** the grouping factor whose levels are deleted one at a time (a random-effects term's group, e.g. 'Subject'); absent: each observation (lme4's `.case`) */
  groups?: string;
  /** each refit's evaluation budget (lme4's maxfun, default 1000) */
  maxfun?: number;
  /** called after each refit */
  onProgress?: (p: InfluenceProgress) => void;
  /** aborts the refits (an AbortError is thrown) */
  signal?: AbortSignal;
}

/** The fit without one unit. */
export interface DeletedFit {
  /** the unit: the level's name, or the observation's row of the input (1-based, R's rownames) */
  label: string;
  /** the number of rows deleted */
  rows: number;
  /** β̂₋ᵢ */
  beta: Float64Array;
  /** θ̂₋ᵢ (lme4's parametrization) */
  theta: Float64Array;
  sigma: number;
  /** lme4's var.cov.comps row: σ², then each term's covariance matrix's lower triangle by columns */
  varcov: Float64Array;
  /** Var(β̂₋ᵢ), p × p row-major */
  vcov: Float64Array;
  /** whether the optimizer converged within maxfun */
  converged: boolean;
  feval: number;
}

/** lme4's influence.merMod: the full fit's β̂, Var(β̂), variance components, and the fit without each unit. */
export class Influence {
  constructor(
    /** the grouping factor deleted by, or 'case' */
    readonly groups: string,
    readonly xnames: string[],
    /** the names of var.cov.comps's entries (lme4's: sigma^2, v[(Intercept)], Subject:C[Days,(Intercept)], …) */
    readonly varcovNames: string[],
    /** the full fit's β̂ */
    readonly beta: Float64Array,
    /** the full fit's Var(β̂), p × p row-major */
    readonly vcov: Float64Array,
    /** the full fit's var.cov.comps */
    readonly varcov: Float64Array,
    readonly deleted: DeletedFit[],
    readonly timeMs: number,
  ) {}

  /** lme4's dfbeta(infl): β̂₋ᵢ − β̂, one row per unit */
  dfbeta(): Float64Array[] { return dfbeta(this.beta, this.deleted.map((d) => d.beta)); }

  /** lme4's dfbetas(infl): dfbeta scaled by the deleted fit's standard errors √diag Var(β̂₋ᵢ) */
  dfbetas(): Float64Array[] { return dfbetas(this.beta, this.deleted.map((d) => d.beta), this.deleted.map((d) => d.vcov)); }

  /** lme4's cooks.distance(infl): dfbeta_iᵀ ((G − p)/(G p)) Var(β̂)⁻¹ dfbeta_i */
  cooksDistance(): Float64Array { return cooksDistance(this.beta, this.vcov, this.deleted.map((d) => d.beta)); }

  /** var.cov.comps's change, lme4's dfbeta(infl, which = "var.cov"): varcov₋ᵢ − varcov */
  dfbetaVarcov(): Float64Array[] { return this.deleted.map((d) => d.varcov.map((v, j) => v - this.varcov[j])); }
}

/** lme4's var.cov.comps at (θ, σ): σ² (1 for binomial and Poisson), then each term's Σ's lower triangle by columns. */
export function varcovComponents(fit: LmmFit | GlmmFit, theta: ArrayLike<number>, sigma: number): Float64Array {
  const terms = fit.model.frame.reTerms;
  const out = [sigma * sigma];
  terms.forEach((t, k) => {
    const S = termCovariance(terms, theta, k, sigma * sigma);
    for (let c = 0; c < t.q; c++) for (let r = c; r < t.q; r++) out.push(S[r * t.q + c]);
  });
  return Float64Array.from(out);
}

/** lme4's names of var.cov.comps: the terms' names (VarCorr's, a repeated group made unique by R's .1, .2) before ':' when there are several. */
function varcovNames(fit: LmmFit | GlmmFit): string[] {
  const terms = fit.model.frame.reTerms;
  const seen = new Map<string, number>();
  const names = ['sigma^2'];
  for (const t of terms) {
    const k = seen.get(t.group) ?? 0;
    seen.set(t.group, k + 1);
    const prefix = terms.length === 1 ? '' : `${k === 0 ? t.group : `${t.group}.${k}`}:`;
    for (let c = 0; c < t.q; c++) for (let r = c; r < t.q; r++) names.push(prefix + (r === c ? `v[${t.cnames[r]}]` : `C[${t.cnames[r]},${t.cnames[c]}]`));
  }
  return names;
}

/** The units and their rows: a grouping factor's levels in order of first appearance (R's unique()), or each row. */
function deletionUnits(frame: ModelFrame, groups: string | undefined): { name: string; labels: string[]; rows: Int32Array[] } {
  if (groups === undefined) {
    const labels = Array.from({ length: frame.n }, (_, i) => String((frame.rows ? frame.rows[i] : i) + 1));
    return { name: 'case', labels, rows: labels.map((_, i) => Int32Array.of(i)) };
  }
  const term = frame.reTerms.find((t) => t.group === groups);
  if (!term) {
    const names = [...new Set(frame.reTerms.map((t) => t.group))];
    throw new OptionError('groups', `influence's groups '${groups}' is not one of the model's grouping factors (${names.join(', ')}): name one, or give none to delete each observation`);
  }
  const members: number[][] = term.levels.map(() => []);
  const order: number[] = [];
  term.codes.forEach((c, i) => {
    if (members[c].length === 0) order.push(c);
    members[c].push(i);
  });
  return { name: groups, labels: order.map((c) => term.levels[c]), rows: order.map((c) => Int32Array.from(members[c])) };
}

/** The rows 0…n−1 without the sorted `drop`. */
function keptRows(n: number, drop: Int32Array): Int32Array {
  const keep = new Int32Array(n - drop.length);
  for (let i = 0, j = 0, d = 0; i < n; i++) {
    if (d < drop.length && drop[d] === i) d++;
    else keep[j++] = i;
  }
  return keep;
}

/** The name of a fixed-effect column that is zero on every kept row, or null. */
function emptyColumn(frame: ModelFrame, keep: Int32Array): string | null {
  const { X, n, p, xnames } = frame;
  for (let j = 0; j < p; j++) {
    let any = false;
    for (const i of keep) if (X[j * n + i] !== 0) { any = true; break; }
    if (!any) return xnames[j];
  }
  return null;
}

/** One refit's results, in the model's fixed effects and lme4's θ. */
interface Refit { beta: Float64Array; vcov: Float64Array; theta: Float64Array; sigma: number; fval: number; converged: boolean; feval: number }

/**
 * The deletions of influence(fit, groups): for each unit, `refit(the rows kept)`; a refit that fails,
 * or gives non-finite results, is an error naming the unit.
 */
async function deleteUnits(fit: LmmFit | GlmmFit, options: InfluenceOptions, refit: (keep: Int32Array) => Promise<Refit>): Promise<Influence> {
  const t0 = performance.now();
  const frame = fit.model.frame;
  const { name, labels, rows } = deletionUnits(frame, options.groups);
  if (labels.length < 2) throw new OptionError('groups', `influence over '${name}' needs at least 2 units to delete, it has ${labels.length}`);
  const deleted: DeletedFit[] = [];
  // a turn of the event loop at least every 50 ms across the refits (each refit's own Evaluations
  // yields only within a refit that long), so that a worker sees Cancel between many short refits
  const turns = new Evaluations({ signal: options.signal });
  for (let u = 0; u < labels.length; u++) {
    await turns.pause();
    if (options.signal?.aborted) throw abortError();
    const label = labels[u];
    const keep = keptRows(frame.n, rows[u]);
    const empty = emptyColumn(frame, keep);
    if (empty !== null) throw new ModelError(`without ${name} '${label}' the fixed effect '${empty}' has no data (lme4's refit drops its column, and its β₋ᵢ has fewer coefficients): influence over '${name}' cannot be computed for this model`);
    let r: Refit;
    try {
      r = await refit(keep);
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new ModelError(`the refit without ${name} '${label}' failed: ${(e as Error).message}`);
    }
    if (!(Number.isFinite(r.fval) && Number.isFinite(r.sigma) && r.beta.every(Number.isFinite) && r.vcov.every(Number.isFinite))) {
      throw new ModelError(`the refit without ${name} '${label}' has no finite optimum (criterion ${r.fval}): its fixed effects may not be estimable from the other units`);
    }
    deleted.push({
      label, rows: rows[u].length, beta: r.beta, theta: r.theta, sigma: r.sigma, varcov: varcovComponents(fit, r.theta, r.sigma), vcov: r.vcov,
      converged: r.converged, feval: r.feval,
    });
    options.onProgress?.({ done: u + 1, total: labels.length, label, elapsedMs: performance.now() - t0 });
  }
  const p = frame.p;
  const vcovFull = Float64Array.from(fit.vcov.flat());
  if (vcovFull.length !== p * p) throw new ModelError('influence: the fit has no Var(β̂)');
  return new Influence(name, frame.xnames, varcovNames(fit), Float64Array.from(fit.beta), vcovFull, varcovComponents(fit, fit.theta, fit.sigma), deleted, performance.now() - t0);
}

/** maxfun checked: a positive integer (default lme4's 1000). */
function checkMaxfun(maxfun: number | undefined): number {
  const m = maxfun ?? INFLUENCE_MAXFUN;
  if (!(Number.isInteger(m) && m > 0)) throw new OptionError('maxfun', `influence's maxfun must be a positive integer, not ${m}`);
  return m;
}

const WHAT = 'influence (case deletion)';

const KNOWN_REASON = "deleting a level of a factor with a known covariance matrix leaves its relatives' effects correlated with it, and the refit's K would need the level removed";

/**
 * influence(fit, groups): the fit without each unit, refitted from θ̂ on the float64 CPU backend.
 * Refused for fits that minimized another criterion (priors, fixed σ), with a known covariance
 * (relmat: its levels are not independent units), or whose rows are in an engine.
 */
export async function influenceLmm(fit: LmmFit, options: InfluenceOptions = {}): Promise<Influence> {
  checkLme4Criterion(fit, WHAT);
  refuseKnownCovariance(fit.model, WHAT, KNOWN_REASON);
  refuseEngineRows(fit.model, WHAT);
  const maxfun = checkMaxfun(options.maxfun);
  const model = fit.model;
  const thetaC = thetaToInternal(model, fit.theta);
  const settings = optimizerSettings({ maxfun }, LMM_OPTIMIZER);
  return deleteUnits(fit, options, async (keep) => {
    const { opt, x, solution: s } = await refitLmm(lmmOnRows(model, keep), thetaC, settings, new Evaluations({ signal: options.signal }), true);
    // at θ̂₋ᵢ: β̂₋ᵢ = R_X⁻¹ r_Xy and Var(β̂₋ᵢ) = σ̂₋ᵢ² R_X⁻¹R_X⁻ᵀ in the model's fixed effects
    return {
      beta: mapBeta(model.fixed, s.beta), vcov: mapVcov(model.fixed, s.vcov), theta: thetaToOriginal(model, x), sigma: s.sigma,
      fval: opt.fval, converged: opt.converged, feval: opt.feval,
    };
  });
}

/**
 * influence(fit, groups) of a glmer fit: the fit without each unit, refitted from θ̂ (stage 1) by the
 * core's GLMM fit on the float64 CPU engine. Refused, besides influenceLmm's refusals (priors, known
 * covariances), for glmer.nb fits (lme4's refit, update of glmer.nb, re-estimates the negative
 * binomial size) and nAGQ = 0 fits (not checked against lme4).
 */
export async function influenceGlmm(fit: GlmmFit, options: InfluenceOptions = {}): Promise<Influence> {
  checkLme4Criterion(fit, WHAT);
  refuseKnownCovariance(fit.model, WHAT, KNOWN_REASON);
  if (fit.thetaEstimation) throw new ModelError(`${WHAT} of a glmer.nb fit is not available: lme4's refits (update of glmer.nb) re-estimate the negative binomial size for each deletion, which these refits do not do; fit the family with a fixed size (theta) to refit at it`);
  if (fit.nAGQ === 0) throw new ModelError(`${WHAT} of an nAGQ = 0 glmer fit is not available: it has not been checked against lme4's (whose refits start θ alone there and whose Var(β̂) has no Hessian); fit with nAGQ = 1 or more`);
  const maxfun = checkMaxfun(options.maxfun);
  const model = fit.model;
  const start = thetaToInternal(model, fit.theta);
  return deleteUnits(fit, options, async (keep) => {
    const sub = glmmOnRows(model, keep);
    // the rows kept, stage 1 started at θ̂ (lme4's start$theta)
    const m = withResponse(sub, sub.pirls.y, start);
    const g = await fitGlmm(m, new PirlsEngine(m.pirls), fit.nAGQ, { vcov: fit.vcovMethod, optimizer: { maxfun }, signal: options.signal }, performance.now(), {});
    return {
      beta: Float64Array.from(g.beta), vcov: Float64Array.from(g.vcov.flat()), theta: Float64Array.from(g.theta), sigma: g.sigma,
      fval: g.objective, converged: g.converged, feval: g.feval,
    };
  });
}
