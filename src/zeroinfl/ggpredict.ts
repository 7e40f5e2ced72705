/**
 * Adjusted predictions of glmmTMB fits as ggeffects 1.2.0 computes them (get_predictions_glmmTMB,
 * ggemmeans with emmeans's glmmTMB basis), on the grid of src/inference/ggpredict.ts (the focal terms'
 * representative values; every other variable of the conditional, zero-inflation and dispersion
 * formulas at its typical value or first level; grouping factors NA: population level):
 *
 * ggpredict
 *   type 'fixed' ("fe"):   η = xᵀβ̂ (the conditional model, re.form = NA), SE = √(xᵀ V_β x) (V_β the
 *                          conditional block of vcov(fit)), predicted g⁻¹(η), CI g⁻¹(η ∓ z SE) — z the
 *                          normal quantile (insight's wald df of a glmmTMB fit: ∞), g the conditional
 *                          link (log, logit, identity; a hurdle's too: exp η, not the truncated mean);
 *   type 'random' ("re"):  the same η with SE² + σ², σ = insight's get_sigma(fit), glmmTMB's sigma():
 *                          1 for Poisson and binomial, the NB2 size, NB1's φ, the beta precision, a
 *                          gaussian's σ, Gamma's 1/√φ — 0 where sigma() is NA (a dispformula other
 *                          than ~ 1): "prediction intervals" (ggeffects adds no random-effect variance);
 *   type 'zero_inflated' ("fe.zi") and 'zi_random' ("re.zi"): predicted = predict(type = "response",
 *                          re.form = NA) = (1 − p) × the conditional mean (a hurdle's truncated mean),
 *                          p = logit⁻¹(x_ziᵀγ̂); ggeffects 1.2.0 takes their intervals from 1000
 *                          random draws of the parameters (.simulate_zi_predictions), which are not
 *                          reproduced here: std_error and the interval are NaN, with a note saying so.
 *                          A fit without a zero model falls back to 'fixed' / 'random', with ggeffects's note.
 * ggemmeans
 *   type 'fixed':   emmeans's means of the conditional component (src/zeroinfl/emmeans.ts: other factors
 *                   averaged, t intervals on df.residual(fit)), back-transformed by g⁻¹;
 *   type 'random':  emmeans's interval moved out by z σ and SE √(SE² + σ²) (.ggemmeans_add_confint);
 *   the zero-inflated types are refused (ggeffects simulates their points and intervals).
 * A model with random effects in its zero model, or a grouping factor as a focal term, is refused.
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { fixedVariables } from '../frame/covariates.js';
import { newDataDesign } from '../results/predict.js';
import { qnorm } from '../stats/distributions.js';
import { type ConstantValue, type GgModel, type GgOptions, GgEffects, type GgType, checkOptions, combinations, gridTable, predictionsAt, rowOf, setup } from '../inference/ggpredict.js';
import type { GridValue } from '../inference/referenceGrid.js';
import { predictZeroInflated } from './predict.js';
import { zeroInflatedEmmeans } from './emmeans.js';
import type { ZeroInflatedFit } from './zeroInflatedFit.js';

const TYPES: readonly GgType[] = ['fixed', 'random', 'zero_inflated', 'zi_random'];

/** the fit as the grid reads it: the conditional, zero and dispersion models' frames */
function ggModel(fit: ZeroInflatedFit): GgModel {
  const m = fit.model;
  if (m.ziRandom) throw new ModelError(`ggeffects: a glmmTMB fit with random effects in its zero-inflation model (ziformula '${m.ziText}') is not offered (its predictions for new data are not implemented here)`);
  return { frames: [m.frame, m.ziFrame, m.dispFrame], reTerms: m.reTerms, weights: null };
}

/** ggeffects's title: counts for the count families (hurdles too), probabilities for binomial, values otherwise */
function titleOf(fit: ZeroInflatedFit): string {
  const m = fit.model;
  const what = m.count ? 'counts' : m.binomial ? 'probabilities' : 'values';
  return `Predicted ${what} of ${m.frame.yname}`;
}

/** the conditional link's inverse g⁻¹ */
function linkInverse(fit: ZeroInflatedFit): (eta: number) => number {
  const link = fit.model.link;
  return link === 'log' ? Math.exp : link === 'logit' ? (e: number) => 1 / (1 + Math.exp(-e)) : (e: number) => e;
}

/** ggeffects's residual variance for type random: sigma(fit)² (insight's get_sigma), 0 where glmmTMB's sigma() is NA */
function residualVariance(fit: ZeroInflatedFit): number {
  return Number.isFinite(fit.sigma) ? fit.sigma * fit.sigma : 0;
}

/**
 * "Adjusted for" in insight's order: the conditional model's variables, the grouping factors, then the
 * zero and dispersion models' other variables
 */
function orderListed(fit: ZeroInflatedFit, listed: ConstantValue[]): ConstantValue[] {
  const cond = new Set(fixedVariables(fit.model.frame.formula));
  const rank = (c: ConstantValue) => (c.population ? 1 : cond.has(c.name) ? 0 : 2);
  return listed.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i).map((e) => e.c);
}

/** the zero-inflated types of a fit without a zero model: ggeffects's fallback and note */
function effectiveType(fit: ZeroInflatedFit, type: GgType, messages: string[]): GgType {
  const zi = fit.model.pz > 0 || fit.model.ziRandom;
  if (zi || (type !== 'zero_inflated' && type !== 'zi_random')) return type;
  const to: GgType = type === 'zero_inflated' ? 'fixed' : 'random';
  messages.push(`Model has no zero-inflation part. Changing prediction-type to "${to === 'fixed' ? 'fe' : 're'}".`);
  return to;
}

/** ggeffects::ggpredict(fit, terms, type, ci.lvl, typical, condition) of a glmmTMB fit (see the header). */
export function ggpredictTmb(fit: ZeroInflatedFit, terms: string | string[], options: GgOptions = {}): GgEffects {
  const o = checkOptions(options, TYPES);
  const m = ggModel(fit);
  const s = setup(m, terms, o.typical, o.condition, 'refuse');
  const combos = combinations(s.focal);
  const table = gridTable(m, s, combos);
  const messages: string[] = [];
  const type = effectiveType(fit, o.type, messages);
  const linkinv = linkInverse(fit);
  let rows;
  if (type === 'zero_inflated' || type === 'zi_random') {
    // predict(type = "response", re.form = NA): (1 − p) × the conditional mean; intervals not computed
    const mu = predictZeroInflated(fit, table, { type: 'response', groups: false });
    rows = combos.map((v, i) => rowOf(v, { predicted: mu[i], se: NaN, low: NaN, high: NaN }));
    messages.push(`ggeffects 1.2.0 computes the intervals of type "${type === 'zero_inflated' ? 'fe.zi' : 're.zi'}" from random draws of the parameters (1000 simulations); they are not computed here (std.error and the interval are NA)`);
  } else {
    const { p } = fit.model;
    const design = newDataDesign({ model: { formula: fit.model.formula, frame: fit.model.frame, blocks: fit.model.blocks, frameOptions: fit.model.frameOptions } }, table, { groups: false });
    const n = combos.length;
    // the design's rows, row-major
    const X = new Float64Array(n * p);
    for (let j = 0; j < p; j++) for (let r = 0; r < n; r++) X[r * p + j] = design.X[j * n + r];
    // V_β: the conditional coefficients' block (the first p of glmmTMB's parameters) of vcov(fit)
    const nx = fit.df;
    const V = new Float64Array(p * p);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) V[a * p + b] = fit.vcov[a * nx + b];
    const crit = qnorm(1 - (1 - o.level) / 2);
    const addVariance = type === 'random' ? residualVariance(fit) : 0;
    rows = predictionsAt({ X, rows: n, beta: fit.beta, V, addVariance, crit, linkinv }).map((r, i) => rowOf(combos[i], r));
  }
  return new GgEffects('ggpredict', s.focal.map((f) => f.term.name), rows, titleOf(fit), orderListed(fit, s.listed), type, o.level,
    type === 'random' || type === 'zi_random', Infinity, messages, 'NA');
}

/** ggeffects::ggemmeans(fit, terms, type, ci.lvl, typical, condition) of a glmmTMB fit (see the header). */
export function ggemmeansTmb(fit: ZeroInflatedFit, terms: string | string[], options: GgOptions = {}): GgEffects {
  const o = checkOptions(options, TYPES);
  if (o.type === 'zero_inflated' || o.type === 'zi_random') {
    throw new OptionError('type', `ggemmeans of a glmmTMB fit: type '${o.type}' is not offered (ggeffects 1.2.0 computes its predictions and intervals from random draws of the parameters); use type 'fixed' or 'random', or ggpredict's '${o.type}' for the predictions`);
  }
  const m = ggModel(fit);
  const s = setup(m, terms, o.typical, o.condition, 'refuse');
  const condVars = new Set(fixedVariables(fit.model.frame.formula));
  for (const f of s.focal) {
    if (!condVars.has(f.term.name)) throw new OptionError('terms', `ggemmeans of a glmmTMB fit: '${f.term.name}' is not a variable of the conditional model (${fit.formula}), whose means ggemmeans computes`);
  }
  // emmeans's `at`: the focal values, the conditional model's other covariates at their typical value, condition's values
  const at: Record<string, GridValue | GridValue[]> = {};
  for (const f of s.focal) at[f.term.name] = f.values;
  for (const [name, v] of s.constants) if (condVars.has(name) && (typeof v === 'number' || s.condition.has(name))) at[name] = v;
  const names = s.focal.map((f) => f.term.name);
  const grid = zeroInflatedEmmeans(fit, names, { component: 'cond', at, level: o.level });
  const sigma = o.type === 'random' ? Math.sqrt(residualVariance(fit)) : 0;
  const crit = qnorm(1 - (1 - o.level) / 2);
  const linkinv = linkInverse(fit);
  const byKey = new Map(grid.rows.map((r) => [JSON.stringify(names.map((nm) => r.levels[nm])), r]));
  const rows = combinations(s.focal).map((values) => {
    const e = byKey.get(JSON.stringify(values));
    if (!e) throw new Error(`internal: no mean at ${JSON.stringify(values)}`);
    // type random: emmeans's interval ∓ z σ, SE² + σ² (ggeffects's .ggemmeans_add_confint)
    return rowOf(values, { predicted: linkinv(e.emmean), se: Math.sqrt(e.SE * e.SE + sigma * sigma), low: linkinv(e.lower - crit * sigma), high: linkinv(e.upper + crit * sigma) });
  });
  // "Adjusted for": the conditional model's non-focal covariates (factors are averaged over)
  const listed = s.listed.filter((c) => !c.population && typeof c.value === 'number' && condVars.has(c.name));
  // (the means' intervals are emmeans's t intervals on glmmTMB's df.residual)
  return new GgEffects('ggemmeans', names, rows, titleOf(fit), listed, o.type, o.level, false, fit.dfResid, [], 'NA');
}
