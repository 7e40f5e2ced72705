/**
 * emmeans's reference grid and basis of a glmmTMB fit, by `component` (glmmTMB 1.1.5's own
 * emm_basis.glmmTMB and recover_data.glmmTMB, which emmeans 1.8.4 calls):
 *
 *   cond  the conditional model: the grid of the variables of its fixed part, each cell's design row
 *         x_c, η_c = x_cᵀβ on the link's scale (log for the count families, logit for beta_family,
 *         identity for gaussian); type 'response' back-transforms μ = g⁻¹(η) with the delta method
 *         SE(μ) = |dμ/dη| SE(η), and contrasts of a log (logit) scale become ratios (odds ratios);
 *   zi    the zero-inflation (a hurdle's zero) model: the grid of the ziformula's variables,
 *         logit p_c = x_zi,cᵀγ;
 *   disp  the dispersion model: the grid of the dispformula's variables, log φ_c = x_d,cᵀδ
 *         (glmmTMB's betad: the NB size, NB1's φ, the beta precision, gaussian's σ²).
 *
 * Each component's grid is its own formula's (recover_data.glmmTMB reads terms(fit, component)): the
 * variables of the other models are not in it, and its weights count the fit's rows per cell. The
 * coefficients are the component's block of x̂ = (β, γ, δ, ψ) and V its block of Var(x̂) (glmmTMB's
 * vcov(fit)[[component]], from the joint Hessian of the Laplace objective). The df are glmmTMB's
 * df.residual(fit) = n − (number of parameters) for every family and component (emm_basis.glmmTMB's
 * last dffun). glmmTMB 1.1.5 offers no "response" (the mean (1 − p)μ) or "cmean" component, and its
 * vcov has no disp block for dispformula ~ 1, where emmeans stops: those are refused here.
 * Where a frame dropped aliased columns, a cell outside the row space of the full model matrix is not
 * estimable (the grid's estimability, emmeans's nonEst).
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import { type Scale, trendGrid } from '../inference/emmeans.js';
import { type GridModel, type ReferenceGrid, referenceGrid } from '../inference/referenceGrid.js';
import type { ZeroInflatedModel } from './model.js';

export const ZI_EMM_COMPONENTS = ['cond', 'zi', 'disp'] as const;
export type ZiEmmComponent = (typeof ZI_EMM_COMPONENTS)[number];

/** The parameters the means are computed at: β, γ, δ and Var(β, γ, δ), (p + pz + pd)² row-major. */
export interface ZiEmmParameters {
  beta: ArrayLike<number>;
  gamma: ArrayLike<number>;
  delta: ArrayLike<number>;
  V: ArrayLike<number>;
}

/** A component's grid (rows in its coefficients' coordinates), its coefficients and their covariance. */
export interface ZiEmmBasis {
  /** the component's formula, frame and design (for the interaction note and the grid) */
  gridModel: GridModel;
  grid: ReferenceGrid;
  beta: Float64Array;
  V: Float64Array;
  p: number;
  scale: Scale;
}

const ratioOf = (tran: string): Scale['ratio'] => (tran === 'logit' ? { label: 'odds.ratio', scale: 'log odds ratio' } : tran === 'log' ? { label: 'ratio', scale: 'log' } : null);

/** emmeans's .std.link.labels: the link as emmeans's tran, and 'prob' (binomial), 'rate' (a poisson family) or 'response' */
function scaleOf(link: 'log' | 'logit' | 'identity', family: string | null): Scale {
  if (link === 'identity') return { tran: null, linkinv: (x) => x, muEta: () => 1, label: 'response', ratio: null };
  const label = family !== null && family.includes('binomial') ? 'prob' : family !== null && family.includes('poisson') ? 'rate' : 'response';
  if (link === 'log') return { tran: 'log', linkinv: Math.exp, muEta: Math.exp, label, ratio: ratioOf('log') };
  // logit: μ = 1/(1 + e^(−η)), dμ/dη = μ(1 − μ)
  const inv = (x: number) => 1 / (1 + Math.exp(-x));
  return { tran: 'logit', linkinv: inv, muEta: (x) => { const m = inv(x); return m * (1 - m); }, label, ratio: ratioOf('logit') };
}

/**
 * emtrends's variable and step: the component's numeric variable `name` and δ (default 0.001 of its
 * range over the fit's rows, emmeans's delta.var = .001 * diff(range(x)))
 */
export interface ZiTrend {
  name: string;
  delta?: number;
}

/** the trend's variable among the component's covariates, and its step δ */
function trendShift(gridModel: GridModel, trend: ZiTrend, component: ZiEmmComponent): { name: string; delta: number } {
  const c = gridModel.frame.covariates?.get(trend.name);
  if (!c) throw new OptionError('var', `'${trend.name}' is not a numeric variable of the ${component} component's fixed part (its covariates: ${[...(gridModel.frame.covariates?.keys() ?? [])].join(', ') || 'none'})`);
  const delta = trend.delta ?? 0.001 * (c.max - c.min);
  if (!(typeof delta === 'number' && Number.isFinite(delta) && delta !== 0)) throw new OptionError('deltaVar', `emtrends's step for '${trend.name}' is ${showValue(delta)}: give a nonzero deltaVar (the variable is constant in the rows used)`);
  return { name: trend.name, delta };
}

/** The grid and basis of `component` at the parameters `params` (emtrends: the difference quotients' grid, src/inference/emmeans.ts trendGrid). */
export function zeroInflatedEmmBasis(model: ZeroInflatedModel, params: ZiEmmParameters, options: { component?: ZiEmmComponent; at?: unknown; trend?: ZiTrend } = {}): ZiEmmBasis {
  const component = options.component ?? 'cond';
  if (component as string === 'response' || component as string === 'cmean') {
    throw new OptionError('component', `component '${component}': glmmTMB 1.1.5's emm_basis offers the components cond, zi and disp (emmeans stops on '${component}'); the mean of the response is fit.predict(newdata, { type: 'response' })`);
  }
  if (!(ZI_EMM_COMPONENTS as readonly unknown[]).includes(component)) throw new OptionError('component', `component must be one of ${ZI_EMM_COMPONENTS.join(', ')}, not ${showValue(component)}`);
  const { p, pz, pd } = model;
  const k = p + pz + pd;
  if (params.beta.length !== p || params.gamma.length !== pz || params.delta.length !== pd || params.V.length !== k * k) {
    throw new ModelError(`emmeans: the parameters must be ${p} conditional, ${pz} zero-inflation and ${pd} dispersion coefficients and their ${k} × ${k} covariance (got ${params.beta.length}, ${params.gamma.length}, ${params.delta.length} and ${params.V.length} values)`);
  }
  let gridModel: GridModel, start: number, coef: ArrayLike<number>, scale: Scale;
  if (component === 'cond') {
    gridModel = model;
    start = 0;
    coef = params.beta;
    scale = scaleOf(model.link, model.family);
  } else if (component === 'zi') {
    if (pz === 0) throw new ModelError(`emmeans: component 'zi': this ${model.family} fit has no zero-inflation model (ziformula '${model.ziText}')`);
    gridModel = { formula: model.ziFormula, frame: model.ziFrame, blocks: [], frameOptions: model.frameOptions };
    start = p;
    coef = params.gamma;
    scale = scaleOf('logit', null);
  } else {
    if (pd === 0) throw new ModelError(`emmeans: component 'disp': the ${model.family} family has no dispersion parameter`);
    if (model.dispConstant) {
      throw new ModelError(`emmeans: component 'disp' with dispformula '${model.dispText}': glmmTMB 1.1.5's vcov has no dispersion block for a constant dispersion (emmeans stops); the dispersion is fit.sigma, its log-scale estimate and SE fit.dispersion`);
    }
    gridModel = { formula: model.dispFormula, frame: model.dispFrame, blocks: [], frameOptions: model.frameOptions };
    start = p + pz;
    coef = params.delta;
    scale = scaleOf('log', null);
  }
  const base = referenceGrid(gridModel, options.at);
  const shift = options.trend ? trendShift(gridModel, options.trend, component) : null;
  const grid = shift ? trendGrid(base, referenceGrid(gridModel, options.at, shift), shift.delta) : base;
  const m = coef.length;
  if (gridModel.frame.p !== m) throw new Error(`internal: the ${component} frame has ${gridModel.frame.p} columns for ${m} coefficients`);
  // V_component = the component's diagonal block of Var(β, γ, δ)
  const V = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) V[a * m + b] = params.V[(start + a) * k + start + b];
  return { gridModel, grid, beta: Float64Array.from(coef), V, p: m, scale };
}
