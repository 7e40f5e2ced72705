/**
 * parameters 0.20.2's degrees-of-freedom rules of mixed models that need no refit: pure functions of
 * the fit's design, its predictors' columns and its grouping factors.
 *
 *  - residual (insight::get_df(type = "residual"), lme4's df.residual): n − npar, npar = p + #θ (+ 1 for σ)
 *  - ml1 (parameters:::dof_ml1, Elff et al. 2021's "m − l − 1" heuristic): for each predictor x of the
 *    fixed part and each grouping factor g with m levels,
 *        x̄ = ave(x, g),  within = var(x − x̄),  between = var(x̄),
 *        d(x, g) = n if within ≥ between else m          (.get_df_ml1_approx)
 *    d(x) = min_g d(x, g); the predictors that share a value m count l; ddf = m − l (− 1 with an
 *    intercept); each column of X takes its predictor's ddf, the intercept the smallest of them.
 *  - betwithin (parameters:::dof_betwithin): with G = Σ_g (levels of g) over the grouping factors,
 *        within  = G − p (− 1 with an intercept)         for the columns that are random slopes
 *        between = N − G − p (− 1 with an intercept)     for the others
 *    where p is the number of fixed effects and N insight::n_obs(disaggregate = TRUE): the rows, or for
 *    a binomial cbind() response the total of the trials.
 */

/** one predictor of the fixed part as insight::get_data gives it (a factor as its codes, as.numeric(f)) */
export interface Predictor {
  name: string;
  values: ArrayLike<number>;
}

/** one grouping factor: its level code per row and its number of levels */
export interface GroupingFactor {
  name: string;
  codes: ArrayLike<number>;
  levels: number;
}

/** R's var(): the sample variance (n − 1 denominator) */
function sampleVariance(x: ArrayLike<number>): number {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (x[i] - mean) ** 2;
  return ss / (n - 1);
}

/** parameters:::.get_df_ml1_approx(x, g): n where x varies at least as much within g's levels as between them, else g's number of levels */
export function ml1Approx(x: ArrayLike<number>, g: GroupingFactor): number {
  const n = x.length;
  const sum = new Float64Array(g.levels), count = new Float64Array(g.levels);
  for (let i = 0; i < n; i++) { sum[g.codes[i]] += x[i]; count[g.codes[i]] += 1; }
  // x̄_i = ave(x, g): the mean of x in row i's level
  const xbar = new Float64Array(n), within = new Float64Array(n);
  for (let i = 0; i < n; i++) { xbar[i] = sum[g.codes[i]] / count[g.codes[i]]; within[i] = x[i] - xbar[i]; }
  // nlevels(g): R's factor keeps levels that no row uses; the codes' range is what the frame holds
  return sampleVariance(within) >= sampleVariance(xbar) ? n : g.levels;
}

/**
 * parameters:::dof_ml1: the ddf of each fixed-effects column. `columnPredictor[j]` is the index in
 * `predictors` of column j's variable (null for the intercept).
 */
export function ml1Dof(predictors: readonly Predictor[], groups: readonly GroupingFactor[], columnPredictor: readonly (number | null)[], hasIntercept: boolean): number[] {
  // d(x) = min over the grouping factors of .get_df_ml1_approx(x, g)
  const d = predictors.map((x) => Math.min(...groups.map((g) => ml1Approx(x.values, g))));
  // table(d): l = how many predictors share each value m; ddf = m − l (− 1)
  const l = new Map<number, number>();
  for (const m of d) l.set(m, (l.get(m) ?? 0) + 1);
  const ddf = d.map((m) => m - l.get(m)! - (hasIntercept ? 1 : 0));
  const smallest = Math.min(...ddf);
  return columnPredictor.map((k) => (k === null ? smallest : ddf[k]));
}

/**
 * parameters:::dof_betwithin: the ddf of each fixed-effects column from the grouping factors' numbers
 * of levels; `slope[j]` marks the columns that are random slopes (insight::find_random_slopes).
 */
export function betwithinDof(p: number, nObs: number, groupLevels: readonly number[], slope: readonly boolean[], hasIntercept: boolean): number[] {
  const G = groupLevels.reduce((a, b) => a + b, 0);
  const within = G - p - (hasIntercept ? 1 : 0);
  const between = nObs - G - p - (hasIntercept ? 1 : 0);
  // no random slope among the columns: every column gets the between-level ddf
  return slope.map((s) => (s ? within : between));
}
