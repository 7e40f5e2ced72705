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
import { type ZiEmmComponent, type ZiEmmParameters, type ZiTrend, ZI_EMM_COMPONENTS, zeroInflatedEmmBasis } from './emmBasis.js';
import { type JointTests, checkJointBy, jointTestsOn } from '../inference/jointTests.js';
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

/** emtrends's options for a glmmTMB fit: emmeans's (no type or offset: slopes are on the component's linear-predictor scale), with the variable. */
export interface ZiEmtrendsOptions extends Omit<ZiEmmeansOptions, 'type' | 'offset'> {
  /** the numeric variable of the component's fixed part whose slope (derivative of the linear predictor) is estimated */
  var: string;
  /** the difference step (default 0.001 of the variable's range over the fit's rows, emmeans's delta.var) */
  deltaVar?: number;
}
const KNOWN_TREND = ['component', 'by', 'at', 'weights', 'level', 'adjust', 'var', 'deltaVar'];

/** joint_tests(fit, by, component = …) of a glmmTMB fit. */
export interface ZiJointTestsOptions {
  /** glmmTMB's component (default 'cond') */
  component?: ZiEmmComponent;
  /** variables whose levels form separate tables (emmeans's `by`) */
  by?: string | string[];
  /** the "(confounded)" row (emmeans's showconf, default true) */
  showConfounded?: boolean;
  /** rows with df1 = 0 (emmeans's show0df, default false) */
  show0df?: boolean;
}
const KNOWN_JOINT = ['component', 'by', 'showConfounded', 'show0df'];

/** What the means read of a fit: its model, coefficients, Var(x̂) over all nPar parameters and residual df. */
export interface ZiEmmFit {
  model: ZeroInflatedModel;
  beta: Float64Array;
  gamma: Float64Array;
  delta: Float64Array;
  vcov: Float64Array;
  dfResid: number;
}

/** (β, γ, δ) and their covariance: the first p + pz + pd parameters of x (glmmTMB's order) and their block of Var(x̂) */
function fitParameters(fit: ZiEmmFit, what: string): ZiEmmParameters {
  const { p, pz, pd, nPar } = fit.model;
  const k = p + pz + pd;
  const V = new Float64Array(k * k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) V[a * k + b] = fit.vcov[a * nPar + b];
  if (V.some((v) => !Number.isFinite(v))) throw new ModelError(`${what}: the variance-covariance matrix of the glmmTMB fit is not defined (its Hessian is not positive definite), so the means have no standard errors`);
  return { beta: fit.beta, gamma: fit.gamma, delta: fit.delta, V };
}

/** emmeans(fit, specs, component = …) of a glmmTMB fit, at its estimates. */
export function zeroInflatedEmmeans(fit: ZiEmmFit, specs: string | string[], options: ZiEmmeansOptions = {}): EmmGrid {
  return zeroInflatedEmmeansAt(fit.model, fitParameters(fit, 'emmeans'), fit.dfResid, specs, options);
}

/**
 * emtrends(fit, specs, var, component = …) of a glmmTMB fit: the slopes of the component's linear
 * predictor in `var` (emmeans 1.8.4's forward difference (x_c(v + δ) − x_c(v))ᵀθ/δ at each grid row,
 * δ = delta.var = 0.001 of v's range over the fit's rows), averaged as the means are, with glmmTMB's df.
 */
export function zeroInflatedEmtrends(fit: ZiEmmFit, specs: string | string[], options: ZiEmtrendsOptions): EmmGrid {
  return zeroInflatedEmtrendsAt(fit.model, fitParameters(fit, 'emtrends'), fit.dfResid, specs, options);
}

/** emtrends of a glmmTMB model at given parameters and residual df (the fit's, or glmmTMB's in the tests). */
export function zeroInflatedEmtrendsAt(model: ZeroInflatedModel, params: ZiEmmParameters, dfResid: number, specs: string | string[], options: ZiEmtrendsOptions): EmmGrid {
  if (options === null || typeof options !== 'object' || typeof options.var !== 'string') throw new OptionError('var', 'emtrends needs options.var, the numeric variable whose slopes are estimated');
  for (const key of Object.keys(options)) {
    if (!KNOWN_TREND.includes(key)) throw new OptionError(key, `unknown emtrends option '${key}' for a glmmTMB fit (options: ${KNOWN_TREND.join(', ')})${key === 'type' ? '; slopes are on the linear predictor\'s scale, as emtrends gives them' : ''}`);
  }
  const { var: name, deltaVar, ...rest } = options;
  return marginal(model, params, dfResid, specs, rest, 'emtrends', { name, ...(deltaVar !== undefined ? { delta: deltaVar } : {}) });
}

/**
 * joint_tests(fit, by, component = …) of a glmmTMB fit: emmeans's F test of every term of the
 * component's fixed part from its means (src/inference/jointTests.ts), with V the component's block of
 * Var(x̂) and df2 = glmmTMB's df.residual.
 */
export function zeroInflatedJointTests(fit: ZiEmmFit, options: ZiJointTestsOptions = {}): JointTests {
  return zeroInflatedJointTestsAt(fit.model, fitParameters(fit, 'joint tests'), fit.dfResid, options);
}

/** joint tests of a glmmTMB model at given parameters and residual df. */
export function zeroInflatedJointTestsAt(model: ZeroInflatedModel, params: ZiEmmParameters, dfResid: number, options: ZiJointTestsOptions = {}): JointTests {
  if (options === null || typeof options !== 'object') throw new OptionError('options', `joint tests options must be an object, not ${showValue(options)}`);
  for (const key of Object.keys(options)) {
    if (!KNOWN_JOINT.includes(key)) throw new OptionError(key, `unknown joint tests option '${key}' for a glmmTMB fit (options: ${KNOWN_JOINT.join(', ')})`);
  }
  for (const k of ['showConfounded', 'show0df'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'boolean') throw new OptionError(k, `${k} must be true or false, not ${showValue(options[k])}`);
  }
  const component = checkComponent(options.component);
  const by = checkJointBy(options.by);
  if (!(dfResid > 0)) throw new ModelError(`joint tests: the fit has ${dfResid} residual df (n − number of parameters), glmmTMB's df of the tests`);
  const basis = zeroInflatedEmmBasis(model, params, { component });
  return jointTestsOn(basis.gridModel, { method: 'residual', V: basis.V, p: basis.p, df: () => dfResid }, basis.beta, [], { by, showConfounded: options.showConfounded, show0df: options.show0df }, `the ${component} component's fixed part`);
}

function checkComponent(x: unknown): ZiEmmComponent {
  const component = x ?? 'cond';
  if (!(ZI_EMM_COMPONENTS as readonly unknown[]).includes(component) && component !== 'response' && component !== 'cmean') {
    throw new OptionError('component', `component must be one of ${ZI_EMM_COMPONENTS.join(', ')}, not ${showValue(component)}`);
  }
  return component as ZiEmmComponent;
}

/** emmeans of a glmmTMB model at given parameters (β, γ, δ, Var(β, γ, δ)) and residual df: the fit's, or glmmTMB's (in the tests). */
export function zeroInflatedEmmeansAt(model: ZeroInflatedModel, params: ZiEmmParameters, dfResid: number, specs: string | string[], options: ZiEmmeansOptions = {}): EmmGrid {
  if (options === null || typeof options !== 'object') throw new OptionError('options', `emmeans options must be an object, not ${showValue(options)}`);
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) throw new OptionError(key, `unknown emmeans option '${key}' for a glmmTMB fit (options: ${KNOWN.join(', ')})${key === 'ddf' ? "; its df are glmmTMB's df.residual" : ''}`);
  }
  return marginal(model, params, dfResid, specs, options, 'emmeans', null);
}

function marginal(model: ZeroInflatedModel, params: ZiEmmParameters, dfResid: number, specs: string | string[], options: ZiEmmeansOptions, what: string, trend: ZiTrend | null): EmmGrid {
  const component = checkComponent(options.component);
  const parsed = parseSpecs(specs, options.by);
  const { level, weights, type, adjust } = gridOptions(options);
  const basis = zeroInflatedEmmBasis(model, params, { component, at: options.at, ...(trend ? { trend } : {}) });
  const names = basis.grid.variables.map((v) => v.name);
  for (const v of [...parsed.specs, ...parsed.by]) {
    if (names.includes(v) || (v === '1' && parsed.specs.includes(v))) continue;
    const grouping = model.frame.reTerms.some((t) => t.term.group.includes(v));
    const other = ZI_EMM_COMPONENTS.filter((c) => c !== component && componentVariables(model, c).includes(v));
    const hint = grouping ? '; it groups random effects, which estimated marginal means average out'
      : other.length > 0 ? `; it is a variable of the ${other.join(' and ')} component${other.length > 1 ? 's' : ''} (give component: '${other[0]}')` : '';
    throw new OptionError('specs', `'${v}' is not a variable of the reference grid of component '${component}' (its variables: ${names.join(', ') || 'none'})${hint}`);
  }
  if (!(dfResid > 0)) throw new ModelError(`${what}: the fit has ${dfResid} residual df (n − number of parameters), glmmTMB's df of the means`);
  return new EmmGrid(basis.gridModel.formula, basis.grid, parsed.specs, parsed.by, {
    weights, level, type, adjust, offset: options.offset,
    inference: { method: 'residual', V: basis.V, p: basis.p, df: () => dfResid },
    scale: basis.scale, messages: [], beta: basis.beta, estName: trend ? `${trend.name}.trend` : null, trend: trend?.name ?? null, dfNote: false,
  });
}

/** the names of a component's data variables (for the error of a spec from another component) */
function componentVariables(model: ZeroInflatedModel, component: ZiEmmComponent): string[] {
  if (component === 'zi' && model.pz === 0) return [];
  if (component === 'disp' && (model.pd === 0 || model.dispConstant)) return [];
  return fixedVariables((component === 'cond' ? model.frame : component === 'zi' ? model.ziFrame : model.dispFrame).formula);
}
