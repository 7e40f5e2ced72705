/**
 * multcomp 1.4-22's mcp(..., interaction_average, covariate_average) (glht.mcp's mcp2matrix2): the
 * comparisons of a factor f that is in interactions, over all of f's columns of X. With C_mcp the comparisons
 * of f's levels and C f's contrasts, K* = C_mcp · C on f's own term's m columns, and per interaction term i
 * of f with one other variable v (k_i = ncol(term i) / m columns per column of K*):
 *   v a factor      K*_i = K*[, rep] / (k_i + 1)   the average of f's comparisons over v's k_i + 1 levels
 *                                                   (contr.treatment: each of v's other levels adds its
 *                                                   interaction column, the reference level none);
 *   v a covariate   K*_i = K*[, rep] · x̄_v         the comparisons at v's mean (covariate_average), or at
 *                                                   v = 1 without it (multcomp's warning);
 * rep the columns of term i in R's order: f's column fastest where f is the term's first variable
 * (rep(1:m, k)), else slowest (rep(1:m, each = k)). K = [K*, K*_i, …] on the columns of f's terms.
 * multcomp puts covariates at their means in a last step over the whole K: the columns whose names match
 * (grep) the last interaction's covariate, times its mean; where that differs from the comparisons at
 * each covariate's mean (another factor's or term's covariate unscaled, a name that matches other columns)
 * the hypotheses are refused rather than given as multcomp would build them.
 * Refused too, where the average above is not an average: an interaction of three or more variables, the
 * other factor coded by contrasts other than contr.treatment or contr.SAS or by indicators, a model without
 * an intercept (multcomp's K* has then as many columns as levels), covariate_average alone with a factor
 * interaction (multcomp recycles K* over the interaction's columns: no comparison of cells).
 */
import { ModelError } from '../errors/errors.js';
import type { ModelFrame } from '../frame/modelFrame.js';

const WHAT = 'glht';

export interface McpAverageOptions {
  /** multcomp's interaction_average: a factor's comparisons averaged over the levels of the factors it interacts with */
  interactionAverage?: boolean;
  /** multcomp's covariate_average: a factor's comparisons at the mean of the covariates it interacts with */
  covariateAverage?: boolean;
}

/** one factor's comparisons over the columns of its terms */
export interface AveragedFactor {
  /** X's columns of the factor's terms (its own term first, then its interactions in term order) */
  where: number[];
  /** the rows over `where`, covariates at their means where covariate_average is on (the intended K) */
  K: number[][];
  /** multcomp's rows over `where` before its last step (covariate columns times 1) */
  Kmultcomp: number[][];
  /** multcomp's warnings */
  messages: string[];
  /**
   * multcomp's state after this factor (its `classes`, `ivar`): the last interaction's covariate and its mean
   * where that interaction had a covariate, null where it had factors only or the factor had no averaged interaction
   */
  lastCovariate: { name: string; mean: number } | null | 'factors';
}

/**
 * mcp2matrix2's rows of factor `nm` (its K* = C_mcp · C given) over its terms' columns; `cols` the columns of X
 * per term (termColumns), `termIndex` the factor's own term
 */
export function averagedFactorRows(frame: ModelFrame, nm: string, termIndex: number, Kstar: number[][], cols: number[][], options: McpAverageOptions): AveragedFactor {
  const ia = options.interactionAverage === true, ca = options.covariateAverage === true;
  const terms = frame.formula.fixed.terms;
  const m = Kstar[0].length;
  const inter = terms.map((t, i) => ({ t, i })).filter(({ t, i }) => i !== termIndex && t.vars.some((v) => v.label === nm));
  const messages: string[] = [];
  const where = [...cols[termIndex]];
  const K = Kstar.map((r) => r.slice()), Kmultcomp = Kstar.map((r) => r.slice());
  if (inter.length === 0) return { where, K, Kmultcomp, messages, lastCovariate: null };
  if (!frame.formula.fixed.intercept) throw new ModelError(`${WHAT}: mcp's interaction_average and covariate_average need a model with an intercept (without one multcomp codes '${nm}' by its levels and its comparisons do not fit its interactions' columns)`);
  let lastCovariate: AveragedFactor['lastCovariate'] = null;
  if (!ia) messages.push('covariate interactions found -- default contrast might be inappropriate');
  for (const { t, i } of inter) {
    const others = t.vars.filter((v) => v.label !== nm);
    if (others.length !== 1) throw new ModelError(`${WHAT}: '${nm}' is in the interaction '${t.label}' of ${t.vars.length} variables; multcomp's interaction_average weights its columns 1/(k + 1), an average over the levels only for an interaction of two variables`);
    const v = others[0].label;
    const col = frame.columns.get(v);
    const ncol = cols[i].length;
    let weight: number, weightMultcomp: number;
    if (col?.kind === 'factor') {
      // average over v's levels: each level's comparison is K* plus its interaction columns (treatment coding)
      const coding = frame.contrasts?.[v] ?? 'contr.treatment';
      if (coding !== 'contr.treatment' && coding !== 'contr.SAS') throw new ModelError(`${WHAT}: '${v}' is coded by ${coding}; multcomp's interaction_average (1/(k + 1) of each interaction column) is the average over its levels only for contr.treatment or contr.SAS`);
      if (ncol !== m * (col.levels.length - 1)) throw new ModelError(`${WHAT}: the interaction '${t.label}' has ${ncol} columns in the fitted X, not ${m} × ${col.levels.length - 1} (a rank-deficient column was dropped, or '${v}' is coded by indicators), so '${nm}' cannot be averaged over the levels of '${v}'`);
      if (!ia) throw new ModelError(`${WHAT}: covariate_average without interaction_average: multcomp would repeat the comparisons of '${nm}' over the columns of its interaction with the factor '${v}', which compares no cells; give interaction_average too`);
      weight = weightMultcomp = 1 / (ncol / m + 1);
      lastCovariate = 'factors';
    } else if (col?.kind === 'numeric') {
      if (ncol !== m) throw new ModelError(`${WHAT}: the interaction '${t.label}' has ${ncol} columns in the fitted X, not ${m} (a rank-deficient column was dropped, or '${nm}' is coded there by indicators: the model has no main effect of '${v}'), so its comparisons cannot be put at a value of '${v}'`);
      // x̄_v over the model frame's rows (multcomp's colMeans(model.frame(fit)[, v]))
      const vals = col.values;
      let s = 0;
      for (let r = 0; r < vals.length; r++) s += vals[r];
      const mean = s / vals.length;
      if (ia && !ca) messages.push('covariate interactions found -- please choose appropriate contrast');
      // multcomp's interaction columns are K* times 1; covariate_average multiplies them by x̄ at its end
      weightMultcomp = 1;
      weight = ia && ca ? mean : 1;
      lastCovariate = { name: v, mean };
    } else {
      throw new ModelError(`${WHAT}: '${nm}' interacts with '${v}', which is neither a factor nor a numeric covariate of one column; multcomp's interaction_average has no rule for it`);
    }
    // the term's columns in R's order: the first variable's columns vary fastest
    const k = ncol / m;
    const first = t.vars[0].label === nm;
    for (let c = 0; c < ncol; c++) {
      const a = first ? c % m : Math.floor(c / k);
      where.push(cols[i][c]);
      K.forEach((row, r) => row.push(Kstar[r][a] * weight));
      Kmultcomp.forEach((row, r) => row.push(Kstar[r][a] * weightMultcomp));
    }
  }
  // (multcomp's last step scales only where interaction_average built the interactions: `classes` is empty otherwise)
  return { where, K, Kmultcomp, messages, lastCovariate: ia ? lastCovariate : null };
}

/**
 * multcomp's last step of mcp2matrix2: with covariate_average, where the last factor's last interaction had a
 * covariate v, the columns of K whose names match v (R's grep(v, colnames(K))) times v's mean
 */
export function multcompCovariateStep(K: number[][], xnames: string[], last: AveragedFactor['lastCovariate'], covariateAverage: boolean): number[][] {
  if (!covariateAverage || last === null || last === 'factors') return K;
  let pattern: RegExp;
  try { pattern = new RegExp(last.name); } catch { pattern = /(?!)/; }
  const hit = xnames.map((x) => pattern.test(x));
  return K.map((row) => row.map((v, j) => (hit[j] ? v * last.mean : v)));
}

/** refuses hypotheses where multcomp's K is not the comparisons at the covariates' means (see the header) */
export function checkCovariateStep(K: number[][], Kmultcomp: number[][], xnames: string[]): void {
  for (let r = 0; r < K.length; r++) {
    for (let j = 0; j < K[r].length; j++) {
      if (K[r][j] !== Kmultcomp[r][j]) {
        throw new ModelError(`${WHAT}: mcp's covariate_average: multcomp 1.4-22 puts only the last interaction's covariate at its mean, on the columns whose names match it, and here that gives the column '${xnames[j]}' the weight ${Kmultcomp[r][j]} in place of ${K[r][j]} (another covariate left at 1, or a name that matches other columns); give the comparisons as a matrix K`);
      }
    }
  }
}
