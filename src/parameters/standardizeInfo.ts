/**
 * parameters 0.20.2's standardize_info() of an lmer or glmer fit (standardize_info.default): per fixed
 * effect, the deviations that the post-hoc standardizations divide and multiply by. Pure functions of
 * the fit's model frame (the response, X, the predictors' columns, the grouping factor), apart from the
 * pseudo method's null model (standardize.ts fits it and passes its variances in).
 *
 *   Deviation_Response_Basic  lmer: SD(y) (datawizard's weighted_sd with the prior weights); glmer: 1
 *   Deviation_Response_Smart  lmer: a factor's level column: SD(y) over the rows where the factor takes
 *                             the value of the data's first row (unique(x)[1]); other columns SD(y); glmer: 1
 *   Deviation_Basic           0 for the intercept, else SD of X's column
 *   Deviation_Smart           0 for the intercept, SD of a numeric variable, 1 for a factor's level
 *   Deviation_Pseudo,         Hoffman's (2015) within/between split for a model with one grouping
 *   Deviation_Response_Pseudo factor g: a column is "within" if its variable varies within g's levels
 *                             (performance::check_heterogeneity_bias: |x − x̄_g| > 1e-5 somewhere);
 *                             a within column: SD(X_j) (weighted) and the response's within SD σ₀; a between
 *                             column: SD over g's levels of X_j's level means and the between SD τ₀; the
 *                             intercept: 0 and τ₀. σ₀, τ₀ from the null model y ~ (1 | g) (lmer; glmer: 1).
 * weighted_sd(x, w) = √( Σ w̃ (x − Σ w̃ x)² / (1 − Σ w̃²) ), w̃ = w / Σ w; without weights R's sd(x).
 */
import { ModelError } from '../errors/errors.js';
import type { FixedTerms } from './modelParameters.js';

/** datawizard's weighted_sd (R's sd without weights) */
export function weightedSd(x: ArrayLike<number>, w: ArrayLike<number> | null = null): number {
  const n = x.length;
  if (!w) {
    let m = 0;
    for (let i = 0; i < n; i++) m += x[i];
    m /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (x[i] - m) ** 2;
    return Math.sqrt(ss / (n - 1));
  }
  let sw = 0;
  for (let i = 0; i < n; i++) sw += w[i];
  // w̃ = w / Σw; centre Σ w̃ x; var = Σ w̃ (x − centre)² / (1 − Σ w̃²)
  let centre = 0, sw2 = 0;
  for (let i = 0; i < n; i++) { centre += (w[i] / sw) * x[i]; sw2 += (w[i] / sw) ** 2; }
  let v = 0;
  for (let i = 0; i < n; i++) v += (w[i] / sw) * (x[i] - centre) ** 2;
  return Math.sqrt(v / (1 - sw2));
}

export interface StdInfoInput {
  /** the response (lmer), or null for a glmer fit (its response is not standardized) */
  y: Float64Array | null;
  /** X, n × p, column-major */
  X: Float64Array;
  n: number;
  p: number;
  terms: FixedTerms;
  /** the factor column (level codes per row) of each factor level's column's variable; null elsewhere */
  factorCodes: (Int32Array | null)[];
  /** the prior weights (lmer's), or null */
  weights: Float64Array | null;
}

export interface StdInfo {
  responseBasic: number[];
  responseSmart: number[];
  basic: number[];
  smart: number[];
}

const column = (inp: StdInfoInput, j: number) => inp.X.subarray(j * inp.n, (j + 1) * inp.n);

/** standardize_info's basic and smart deviations (Deviation_Response_Basic/Smart, Deviation_Basic/Smart) */
export function stdInfo(inp: StdInfoInput): StdInfo {
  const { y, terms, weights, p } = inp;
  const sdY = y ? weightedSd(y, weights) : 1;
  const responseBasic = new Array<number>(p).fill(sdY);
  const responseSmart: number[] = [];
  const basic: number[] = [];
  const smart: number[] = [];
  for (let j = 0; j < p; j++) {
    const kind = terms.kind[j];
    basic.push(kind === 'intercept' ? 0 : weightedSd(column(inp, j), weights));
    if (kind === 'intercept') smart.push(0);
    else if (kind === 'numeric') smart.push(weightedSd(terms.predictors[terms.columnPredictor[j]!].values, weights));
    else smart.push(1);
    const codes = inp.factorCodes[j];
    if (y && kind === 'factor' && codes) {
      // the response's SD over the rows where the factor takes the first row's value (parameters's unique(x)[1])
      const first = codes[0];
      const ys: number[] = [], ws: number[] = [];
      for (let i = 0; i < inp.n; i++) if (codes[i] === first) { ys.push(y[i]); if (weights) ws.push(weights[i]); }
      responseSmart.push(weightedSd(ys, weights ? ws : null));
    } else responseSmart.push(sdY);
  }
  return { responseBasic, responseSmart, basic, smart };
}

/**
 * The variables that vary within the grouping factor's levels (performance's check_heterogeneity_bias:
 * some |x − x̄_g| > 1e-5; a factor as its codes), in the predictors' order.
 */
export function withinVariables(terms: FixedTerms, group: { codes: ArrayLike<number>; levels: number }): string[] {
  const out: string[] = [];
  for (const x of terms.predictors) {
    const sum = new Float64Array(group.levels), count = new Float64Array(group.levels);
    for (let i = 0; i < x.values.length; i++) { sum[group.codes[i]] += x.values[i]; count[group.codes[i]] += 1; }
    let varies = false;
    for (let i = 0; i < x.values.length && !varies; i++) varies = Math.abs(x.values[i] - sum[group.codes[i]] / count[group.codes[i]]) > 1e-5;
    if (varies) out.push(x.name);
  }
  return out;
}

export interface PseudoInfo {
  responsePseudo: number[];
  pseudo: number[];
  /** the within columns whose variable also varies between the levels (var of the level means / var > 0.01) */
  alsoBetween: string[];
}

/**
 * parameters's .std_info_pseudo: `sdWithin` σ₀ and `sdBetween` τ₀ of the null model (1 for glmer),
 * `xnames` X's column names.
 */
export function pseudoInfo(inp: StdInfoInput, xnames: readonly string[], group: { codes: ArrayLike<number>; levels: number }, sdWithin: number, sdBetween: number): PseudoInfo {
  const { terms, p, n } = inp;
  const within = withinVariables(terms, group);
  // which columns are "within": a numeric variable among them; a factor's level whose name starts with
  // one of them (R's grepl(paste0("^", within_vars), name): with none, "^" matches every name)
  const isWithin = xnames.map((name, j) => {
    const kind = terms.kind[j];
    if (kind === 'intercept') return false;
    if (kind === 'numeric') return within.includes(terms.predictors[terms.columnPredictor[j]!].name);
    return within.length === 0 || within.some((v) => name.startsWith(v));
  });
  const levelMeans = (x: ArrayLike<number>) => {
    const sum = new Float64Array(group.levels), count = new Float64Array(group.levels);
    for (let i = 0; i < n; i++) { sum[group.codes[i]] += x[i]; count[group.codes[i]] += 1; }
    const out: number[] = [];
    for (let l = 0; l < group.levels; l++) if (count[l] > 0) out.push(sum[l] / count[l]);
    return out;
  };
  // the warning's check: var(x̄_g over rows) / var(x) > 0.01 for a numeric within column
  const alsoBetween: string[] = [];
  const variance = (x: ArrayLike<number>) => weightedSd(x) ** 2;
  for (let j = 0; j < p; j++) {
    if (!(isWithin[j] && terms.kind[j] === 'numeric')) continue;
    const x = column(inp, j);
    const sum = new Float64Array(group.levels), count = new Float64Array(group.levels);
    for (let i = 0; i < n; i++) { sum[group.codes[i]] += x[i]; count[group.codes[i]] += 1; }
    const between = Float64Array.from({ length: n }, (_, i) => sum[group.codes[i]] / count[group.codes[i]]);
    if (variance(between) / variance(x) > 0.01) alsoBetween.push(xnames[j]);
  }
  const responsePseudo: number[] = [];
  const pseudo: number[] = [];
  for (let j = 0; j < p; j++) {
    if (terms.kind[j] === 'intercept') { responsePseudo.push(sdBetween); pseudo.push(0); continue; }
    if (isWithin[j]) { responsePseudo.push(sdWithin); pseudo.push(weightedSd(column(inp, j), inp.weights)); continue; }
    // R's weighted_sd(tapply(X_j, g, mean), w) pairs the levels' means with the rows' weights (vectors of
    // different lengths): refused rather than recycled
    if (inp.weights) throw new ModelError(`standardizeParameters: method 'pseudo' of a fit with prior weights and the between-level term '${xnames[j]}': parameters weighs its levels' means by the rows' weights (vectors of different lengths, recycled); refused — use method 'basic' or 'refit'`);
    responsePseudo.push(sdBetween);
    pseudo.push(weightedSd(levelMeans(column(inp, j))));
  }
  return { responsePseudo, pseudo, alsoBetween };
}
