/**
 * Estimated marginal means of a glmmTMB fit (emmeans 1.8.4's emmeans on glmmTMB 1.1.5's fits, with
 * `component` = cond, zi or disp): the component's grid and basis (emmBasis.ts) at the fit's
 * coefficients and Var(β̂, γ̂, δ̂) — the fixed parameters' block of H⁻¹, H the Hessian of the Laplace
 * objective in all of x = (β, γ, δ, ψ), as glmmTMB's vcov — then the means, their contrasts and
 * adjustments, and the printout of src/inference/emmeans.ts (EmmGrid, shared with lmer, glmer and
 * clmm), with glmmTMB's df: df.residual(fit) = n − (number of parameters), t statistics.
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import type { AdjustMethod } from '../inference/emmAdjust.js';
import { checkAdjust } from '../inference/emmAdjust.js';
import { type EmmWeights, EmmGrid, gridOptions, parseSpecs } from '../inference/emmeans.js';
import type { AtValues } from '../inference/referenceGrid.js';
import { fixedVariables } from '../frame/covariates.js';
import { type ZiEmmComponent, type ZiEmmParameters, ZI_EMM_COMPONENTS, zeroInflatedEmmBasis } from './emmBasis.js';
import type { ZeroInflatedModel } from './model.js';

export interface ZiEmmeansOptions {
  /**
   * glmmTMB's component (default 'cond'): the conditional model on its link's scale, the zero-inflation
   * (hurdle: zero) model on the logit scale, or the dispersion model on the log scale (a dispformula
   * other than '~ 1', as glmmTMB 1.1.5)
   */
  component?: ZiEmmComponent;
  /** variables whose levels form separate groups (also `'~ A | B'` in specs) */
  by?: string | string[];
  /** values of some variables of the component's reference grid */
  at?: AtValues;
  /** how to average over the other variables (default 'equal') */
  weights?: EmmWeights;
  /** 'link' (default) or 'response': the means back-transformed (rate, response), contrasts as ratios or odds ratios */
  type?: 'link' | 'response';
  /** confidence level (default 0.95) */
  level?: number;
  /** the multiplicity adjustment of the means' intervals (default 'none') */
  adjust?: AdjustMethod;
  /** a constant offset in place of the reference grid's (emmeans's `offset`; the grid's: an offset's variables at their means) */
  offset?: number;
}

const KNOWN = ['component', 'by', 'at', 'weights', 'type', 'level', 'adjust', 'offset'];

/** What the means read of a fit: its model, coefficients, Var(x̂) over all nPar parameters and residual df. */
export interface ZiEmmFit {
  model: ZeroInflatedModel;
  beta: Float64Array;
  gamma: Float64Array;
  delta: Float64Array;
  vcov: Float64Array;
  dfResid: number;
}

/** emmeans(fit, specs, component = …) of a glmmTMB fit, at its estimates. */
export function zeroInflatedEmmeans(fit: ZiEmmFit, specs: string | string[], options: ZiEmmeansOptions = {}): EmmGrid {
  const { p, pz, pd, nPar } = fit.model;
  const k = p + pz + pd;
  // (β, γ, δ) are the first p + pz + pd parameters of x (glmmTMB's order)
  const V = new Float64Array(k * k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) V[a * k + b] = fit.vcov[a * nPar + b];
  if (V.some((v) => !Number.isFinite(v))) throw new ModelError('emmeans: the variance-covariance matrix of the glmmTMB fit is not defined (its Hessian is not positive definite), so the means have no standard errors');
  return zeroInflatedEmmeansAt(fit.model, { beta: fit.beta, gamma: fit.gamma, delta: fit.delta, V }, fit.dfResid, specs, options);
}

/** emmeans of a glmmTMB model at given parameters (β, γ, δ, Var(β, γ, δ)) and residual df: the fit's, or glmmTMB's (in the tests). */
export function zeroInflatedEmmeansAt(model: ZeroInflatedModel, params: ZiEmmParameters, dfResid: number, specs: string | string[], options: ZiEmmeansOptions = {}): EmmGrid {
  if (options === null || typeof options !== 'object') throw new OptionError('options', `emmeans options must be an object, not ${showValue(options)}`);
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) throw new OptionError(key, `unknown emmeans option '${key}' for a glmmTMB fit (options: ${KNOWN.join(', ')})${key === 'ddf' ? "; its df are glmmTMB's df.residual" : ''}`);
  }
  const component = options.component ?? 'cond';
  if (!(ZI_EMM_COMPONENTS as readonly unknown[]).includes(component) && component as string !== 'response' && component as string !== 'cmean') {
    throw new OptionError('component', `component must be one of ${ZI_EMM_COMPONENTS.join(', ')}, not ${showValue(component)}`);
  }
  const parsed = parseSpecs(specs, options.by);
  const { level, weights, type, adjust } = gridOptions(options);
  const basis = zeroInflatedEmmBasis(model, params, { component, at: options.at });
  const names = basis.grid.variables.map((v) => v.name);
  for (const v of [...parsed.specs, ...parsed.by]) {
    if (names.includes(v) || (v === '1' && parsed.specs.includes(v))) continue;
    const grouping = model.frame.reTerms.some((t) => t.term.group.includes(v));
    const other = ZI_EMM_COMPONENTS.filter((c) => c !== component && componentVariables(model, c).includes(v));
    const hint = grouping ? '; it groups random effects, which estimated marginal means average out'
      : other.length > 0 ? `; it is a variable of the ${other.join(' and ')} component${other.length > 1 ? 's' : ''} (give component: '${other[0]}')` : '';
    throw new OptionError('specs', `'${v}' is not a variable of the reference grid of component '${component}' (its variables: ${names.join(', ') || 'none'})${hint}`);
  }
  if (!(dfResid > 0)) throw new ModelError(`emmeans: the fit has ${dfResid} residual df (n − number of parameters), glmmTMB's df of the means`);
  return new EmmGrid(basis.gridModel.formula, basis.grid, parsed.specs, parsed.by, {
    weights, level, type, adjust, offset: options.offset,
    inference: { method: 'residual', V: basis.V, p: basis.p, df: () => dfResid },
    scale: basis.scale, messages: [], beta: basis.beta, estName: null, trend: null, dfNote: false,
  });
}

/** the names of a component's data variables (for the error of a spec from another component) */
function componentVariables(model: ZeroInflatedModel, component: ZiEmmComponent): string[] {
  if (component === 'zi' && model.pz === 0) return [];
  if (component === 'disp' && (model.pd === 0 || model.dispConstant)) return [];
  return fixedVariables((component === 'cond' ? model.frame : component === 'zi' ? model.ziFrame : model.dispFrame).formula);
}
