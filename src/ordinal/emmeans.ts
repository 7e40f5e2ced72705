/**
 * Estimated marginal means of a clmm fit (emmeans's emmeans on ordinal's clmm, emmeans 1.8.4): the
 * mode's grid and basis (emmBasis.ts) at the fit's α̂, β̂ and Var(α̂, β̂) — the Hessian-based vcov
 * restricted to the thresholds' parameters and the coefficients, as emm_basis.clmm restricts it —
 * then the means, their contrasts and adjustments, and the printout of src/inference/emmeans.ts
 * (EmmGrid, shared with lmer and glmer), with asymptotic df (z statistics), as emmeans's clm basis.
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import type { AdjustMethod } from '../inference/emmAdjust.js';
import { checkAdjust } from '../inference/emmAdjust.js';
import { type EmmWeights, EmmGrid, gridOptions, parseSpecs } from '../inference/emmeans.js';
import type { AtValues } from '../inference/referenceGrid.js';
import type { ClmmFit } from './clmmFit.js';
import { type ClmmEmmMode, type ClmmEmmParameters, CLMM_EMM_MODES, clmmEmmBasis } from './emmBasis.js';
import type { ClmmModel } from './model.js';

export interface ClmmEmmeansOptions {
  /**
   * emmeans's mode (default 'latent'): the latent variable's mean, the linear predictor per cut point
   * (`cut`), cumulative or exceedance probabilities per cut point, each category's probability (a
   * pseudo-factor named as the response: `'~ rating | temp'`), or the mean class
   */
  mode?: ClmmEmmMode;
  /** mode 'latent': [shift, scale] of the latent variable (emmeans's rescale, default [0, 1]) */
  rescale?: [number, number];
  /** variables whose levels form separate groups (also `'~ A | B'` in specs) */
  by?: string | string[];
  /** values of some variables of the reference grid */
  at?: AtValues;
  /** how to average over the other variables (default 'equal'; mode 'mean.class' has no weights, as emmeans's) */
  weights?: EmmWeights;
  /** 'link' (default) or 'response': mode 'linear.predictor''s means back-transformed to cumulative probabilities */
  type?: 'link' | 'response';
  /** confidence level (default 0.95) */
  level?: number;
  /** the multiplicity adjustment of the means' intervals (default 'none') */
  adjust?: AdjustMethod;
  /** only 'asymptotic': clmm's means have z statistics, as emmeans's */
  ddf?: 'asymptotic';
}

const KNOWN = ['mode', 'rescale', 'by', 'at', 'weights', 'type', 'level', 'adjust', 'ddf'];

/** emmeans(fit, specs, mode = …) of a clmm fit, at its estimates. */
export function clmmEmmeans(fit: ClmmFit, specs: string | string[], options: ClmmEmmeansOptions = {}): EmmGrid {
  const { nAlpha, p } = fit.model;
  const np = nAlpha + p;
  const m = fit.hessianNames.length;
  if (!fit.vcov) throw new ModelError('emmeans: the variance-covariance matrix of the clmm fit is not defined (its Hessian is not positive definite), so the means have no standard errors');
  // the thresholds' parameters and coefficients are the first n_α + p of the free parameters (never on a bound)
  const at = Array.from({ length: np }, (_, k) => fit.hessianNames.indexOf(fit.parNames[k]));
  if (at.some((j) => j < 0)) throw new Error('internal: a threshold or coefficient is not among the Hessian\'s parameters');
  const V = new Float64Array(np * np);
  for (let a = 0; a < np; a++) for (let b = 0; b < np; b++) V[a * np + b] = fit.vcov[at[a] * m + at[b]];
  return clmmEmmeansAt(fit.model, { alpha: fit.alpha, beta: fit.beta, V }, specs, options);
}

/** emmeans of a clmm model at given parameters (α, β, Var(α, β)): the fit's, or another's (ordinal's, in the tests). */
export function clmmEmmeansAt(model: ClmmModel, params: ClmmEmmParameters, specs: string | string[], options: ClmmEmmeansOptions = {}): EmmGrid {
  if (options === null || typeof options !== 'object') throw new OptionError('options', `emmeans options must be an object, not ${showValue(options)}`);
  for (const k of Object.keys(options)) if (!KNOWN.includes(k)) throw new OptionError(k, `unknown emmeans option '${k}' for a clmm fit (options: ${KNOWN.join(', ')})`);
  const mode = options.mode ?? 'latent';
  if (!(CLMM_EMM_MODES as readonly unknown[]).includes(mode)) throw new OptionError('mode', `mode must be one of ${CLMM_EMM_MODES.join(', ')}, not ${showValue(mode)}`);
  if (options.ddf !== undefined && options.ddf !== 'asymptotic') throw new OptionError('ddf', `ddf '${String(options.ddf)}': a clmm fit's means have asymptotic (z) inference, as emmeans's`);
  const parsed = parseSpecs(specs, options.by);
  const { level, weights, type, adjust } = gridOptions(options);
  const basis = clmmEmmBasis(model, params, { mode, at: options.at, ...(options.rescale !== undefined ? { rescale: options.rescale } : {}) });
  const names = basis.grid.variables.map((v) => v.name);
  for (const v of [...parsed.specs, ...parsed.by]) {
    if (names.includes(v) || (v === '1' && parsed.specs.includes(v))) continue;
    const grouping = model.frame.reTerms.some((t) => t.term.group.includes(v));
    const hint = v === 'cut' ? `; 'cut' is a pseudo-factor of modes linear.predictor, cum.prob and exc.prob`
      : v === nameOfResponse(model) ? `; the response's categories are a pseudo-factor of mode 'prob'`
      : grouping ? '; it groups random effects, which estimated marginal means average out' : '';
    throw new OptionError('specs', `'${v}' is not a variable of the reference grid of mode '${mode}' (its variables: ${names.join(', ') || 'none'})${hint}`);
  }
  const messages = [...basis.messages];
  // emmeans's mean.class grid has no weights: a weighting asked for is equal there, with emmeans's warning
  const settingsWeights: EmmWeights = mode === 'mean.class' ? 'equal' : weights;
  if (mode === 'mean.class' && options.weights !== undefined && options.weights !== 'equal') messages.push("'weights' requested but no weighting information is available");
  return new EmmGrid(model.formula, basis.grid, parsed.specs, parsed.by, {
    weights: settingsWeights, level, type, adjust, offset: undefined,
    inference: { method: 'asymptotic', V: basis.V, p: basis.p, df: () => Infinity },
    scale: basis.scale, messages, beta: basis.beta, estName: basis.estName, trend: null, dfNote: false,
  });
}

function nameOfResponse(model: ClmmModel): string | null {
  const r = model.formula.response;
  return r.kind === 'expr' && r.expr.type === 'var' ? r.expr.name : null;
}
