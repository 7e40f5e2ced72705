/**
 * broom.mixed 0.2.9.4's augment.merMod: the model's rows with, per row (broom's augment_columns, then
 * the response module's fields, lme4's fit@resp):
 *   .fitted   predict(fit): μ̂ = Xβ̂ + Zb̂ + offset (lmer); η̂ = Xβ̂ + Zb̂ + offset, the link scale (glmer)
 *   .resid    residuals(fit): y − μ̂ (lmer); the deviance residual sign(y − μ̂) √d_i (glmer)
 *   .hat      hatvalues(fit): w_i ‖L⁻¹[Λᵀz_i; x_i]‖² (src/inference/fitInference.ts hatValues, glmmHatValues)
 *   .cooksd   cooks.distance.merMod: (r_i / (1 − h_i))² h_i / (σ̂² p), r the Pearson residual (NaN where infinite)
 *   .fixed    predict(fit, re.form = NA): Xβ̂ + offset (the link scale)
 *   .mu       μ̂
 *   .offset   the offset (0 without one)
 *   .sqrtXwt  √ of the weights of X in the last weighted least-squares step: √w (lmer),
 *             √(w / V(μ̂)) dμ/dη (glmer)
 *   .sqrtrwt  √ of the residuals' weights: √w (lmer), √(w / V(μ̂)) (glmer)
 *   .weights  the prior weights w (1 without)
 *   .wtres    .sqrtrwt (y − μ̂), the Pearson residual
 *   .eta      η̂ (glmer only: lmerResp has no eta)
 * y is the response as the fit reads it (a binomial's proportion of successes, w its trials).
 */
import type * as arrow from 'apache-arrow';
import type { ModelFrame } from '../frame/modelFrame.js';
import type { RandomBlock } from '../model/lambda.js';
import { ModelError } from '../errors/errors.js';
import { LmmFit } from '../lmm/lmmFit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { glmmHatValues, hatValues } from '../inference/fitInference.js';
import { broomFit } from './tidy.js';
import { LmeFit } from '../nlme/lmeFit.js';
import { augmentLme } from './augmentLme.js';
import { augmentTmb } from './augmentTmb.js';
import { ZeroInflatedFit } from '../zeroinfl/zeroInflatedFit.js';
import type { Cell, TidyTable } from './table.js';

export interface AugmentOptions {
  /**
   * the data the model was fitted to (broom's augment(fit, data = )): its columns at the rows used
   * come first; without it, the model frame's variables (the response as the fit reads it, the
   * formula's evaluated columns, the grouping factors)
   */
  data?: arrow.Table;
}

/** The per-row columns augment adds (lmer; glmer adds .eta). */
export const AUGMENT_COLUMNS = ['.fitted', '.resid', '.hat', '.cooksd', '.fixed', '.mu', '.offset', '.sqrtXwt', '.sqrtrwt', '.weights', '.wtres'] as const;

/** The per-row values of augment's columns, each of the rows used. */
export function augmentColumns(fitIn: LmmFit | GlmmFit): Record<string, Float64Array> {
  const fit = broomFit(fitIn, 'augment');
  const { frame } = fit.model;
  const { n, p, X } = frame;
  const offset = frame.offset ?? new Float64Array(n);
  // population level: Xβ̂ + offset
  const fixed = Float64Array.from(offset);
  for (let j = 0; j < p; j++) for (let i = 0; i < n; i++) fixed[i] += X[j * n + i] * fit.beta[j];
  const mu = fit.mu;
  const out: Record<string, Float64Array> = {};
  let wtres: Float64Array, sigma2: number;
  if (fit instanceof LmmFit) {
    const w = frame.weights;
    const sqrtw = Float64Array.from({ length: n }, (_, i) => (w ? Math.sqrt(w[i]) : 1));
    wtres = fit.rowResiduals('pearson');
    out['.fitted'] = mu;
    out['.resid'] = fit.rowResiduals('response');
    out['.hat'] = hatValues(fit);
    out['.fixed'] = fixed;
    out['.mu'] = mu;
    out['.offset'] = offset;
    out['.sqrtXwt'] = sqrtw;
    out['.sqrtrwt'] = sqrtw;
    out['.weights'] = Float64Array.from({ length: n }, (_, i) => (w ? w[i] : 1));
    out['.wtres'] = wtres;
    sigma2 = fit.sigma * fit.sigma;
  } else {
    const { y, weights } = fit.model.pirls;
    const fam = fit.model.family;
    const eta = fit.linearPredictor;
    const sqrtrwt = Float64Array.from({ length: n }, (_, i) => Math.sqrt(weights[i] / fam.variance(mu[i])));
    wtres = Float64Array.from({ length: n }, (_, i) => sqrtrwt[i] * (y[i] - mu[i]));
    out['.fitted'] = eta;
    out['.resid'] = fit.rowResiduals('deviance');
    out['.hat'] = glmmHatValues(fit);
    out['.fixed'] = fixed;
    out['.mu'] = mu;
    out['.offset'] = offset;
    out['.sqrtXwt'] = Float64Array.from({ length: n }, (_, i) => sqrtrwt[i] * fam.muEta(eta[i]));
    out['.sqrtrwt'] = sqrtrwt;
    out['.weights'] = Float64Array.from(weights);
    out['.wtres'] = wtres;
    out['.eta'] = eta;
    sigma2 = fit.sigma * fit.sigma;
  }
  // cooks.distance.merMod: (r / (1 − h))² h / (σ̂² p), p = rank(X) (lme4 drops X's dependent columns: p)
  const h = out['.hat'];
  out['.cooksd'] = Float64Array.from({ length: n }, (_, i) => {
    const c = (wtres[i] / (1 - h[i])) ** 2 * h[i] / (sigma2 * p);
    return Number.isFinite(c) ? c : NaN;
  });
  const ordered: Record<string, Float64Array> = {};
  for (const c of [...AUGMENT_COLUMNS, ...(fit instanceof LmmFit ? [] : ['.eta'])]) ordered[c] = out[c];
  return ordered;
}

/** a fit with a model frame and random-effects blocks (lmer, glmer, lme, glmmTMB) */
type FramedFit = { model: { frame: ModelFrame; blocks: Pick<RandomBlock, 'group' | 'codes' | 'levels'>[] } };

/** The model frame's variables at the rows used: the response, the formula's evaluated columns, the grouping factors. */
export function frameVariables(fit: FramedFit): Record<string, Cell[]> {
  const { frame, blocks } = fit.model;
  const out: Record<string, Cell[]> = {};
  out[frame.yname] = Array.from(frame.y);
  for (const [label, col] of frame.columns) {
    if (label in out) continue;
    if (col.kind === 'numeric') out[label] = Array.from(col.values, (v) => (Number.isNaN(v) ? null : v));
    else if (col.kind === 'factor') out[label] = Array.from(col.codes, (c) => (c < 0 ? null : col.levels[c]));
  }
  for (const blk of blocks) if (!(blk.group in out)) out[blk.group] = Array.from(blk.codes.subarray(0, frame.n), (c) => blk.levels[c]);
  return out;
}

/** The data table's columns at the rows used (frame.rows: each used row's input row). */
export function dataVariables(fit: FramedFit, data: arrow.Table): Record<string, Cell[]> {
  const { frame } = fit.model;
  if (data.numRows !== frame.nInput) throw new ModelError(`augment: data has ${data.numRows} rows, but the model was fitted to ${frame.nInput}: pass the data the model was fitted to`);
  const out: Record<string, Cell[]> = {};
  for (const f of data.schema.fields) {
    const col = data.getChild(f.name)!;
    out[f.name] = Array.from({ length: frame.n }, (_, i) => {
      const v = col.get(frame.rows ? frame.rows[i] : i);
      if (v === null || v === undefined) return null;
      if (typeof v === 'number') return Number.isNaN(v) ? null : v;
      if (typeof v === 'bigint') return Number(v);
      if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
      return String(v);
    });
  }
  return out;
}

/** broom.mixed's augment(fit): one row per observation used, the data's columns then augment's (augment.lme: augmentLme.ts; augment.glmmTMB: augmentTmb.ts). */
export function augment(fitIn: LmmFit | GlmmFit | LmeFit | ZeroInflatedFit, options: AugmentOptions = {}): TidyTable {
  if (fitIn instanceof LmeFit) return augmentLme(fitIn, options);
  if (fitIn instanceof ZeroInflatedFit) return augmentTmb(fitIn, options);
  const fit = broomFit(fitIn, 'augment');
  if (fit.model.source) throw new ModelError(`augment: the rows of this fit are in ${fit.rowsSource}, not in memory; write the fitted values and residuals there (the CLI's --residuals), or fit with the rows in memory`);
  const vars = options.data ? dataVariables(fit, options.data) : frameVariables(fit);
  return augmentTable(vars, augmentColumns(fit), fit.model.frame.n);
}

/** augment's table: n rows, the data's columns `vars` then augment's `cols`. */
export function augmentTable(vars: Record<string, ArrayLike<Cell>>, cols: Record<string, ArrayLike<Cell>>, n: number): TidyTable {
  const columns = [...Object.keys(vars), ...Object.keys(cols)];
  const rows = Array.from({ length: n }, (_, i) => {
    const r: Record<string, Cell> = {};
    for (const [k, v] of Object.entries(vars)) r[k] = v[i];
    for (const [k, v] of Object.entries(cols)) r[k] = v[i];
    return r;
  });
  return { columns, rows };
}
