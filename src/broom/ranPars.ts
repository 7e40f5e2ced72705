/**
 * broom.mixed's ran_pars rows: lme4's as.data.frame(VarCorr(fit), order = "lower.tri") — per
 * random-effects term, the entries of its covariance Σ = σ² T Tᵀ (src/results/components.ts
 * termCovariance) taken down the columns of the lower triangle,
 *   (1,1), (2,1), …, (q,1), (2,2), (3,2), …, (q,q),
 * which is θ's order — then the residual's row where the model has a scale. A diagonal entry is a
 * standard deviation √Σ_ii (or the variance Σ_ii, scales 'vcov'); an entry below it the correlation
 * Σ_ij / √(Σ_ii Σ_jj) (or the covariance). broom.mixed's ran_pars_name names each row
 *   sd__(Intercept), cor__(Intercept).Days, sd__Observation
 * (prefix[0] for one variable, prefix[1] for two; the variables joined by '.', the residual's
 * "Observation"); a term whose grouping factor was already named gets `.1`, `.2` (lme4's names).
 */
import { type VarCorrRow, type VarCorrTerm, varCorrRows } from '../results/components.js';

/** The scale of the variance parameters: standard deviations and correlations, or variances and covariances. */
export type RanParsScale = 'sdcor' | 'vcov';

export interface RanParRow {
  group: string;
  term: string;
  estimate: number;
}

/** broom.mixed's default prefixes: c("sd", "cor") or c("var", "cov"). */
export function defaultRanPrefix(scale: RanParsScale): [string, string] {
  return scale === 'vcov' ? ['var', 'cov'] : ['sd', 'cor'];
}

/**
 * The ran_pars rows of terms with θ and σ: `useScale` adds the residual's row (lmer, and glmer families
 * with a scale); `prefix` null writes the variables' names alone (broom.mixed's ran_prefix = NA).
 */
export function ranParsRows(
  terms: readonly VarCorrTerm[], theta: ArrayLike<number>, sigma: number, useScale: boolean,
  scale: RanParsScale, prefix: readonly [string, string] | null,
): RanParRow[] {
  // broom.mixed's sep1 option, "__"
  const name = (vars: string[]) => (prefix === null ? vars.join('.') : `${prefix[vars.length - 1]}__${vars.join('.')}`);
  // lme4's as.data.frame(VarCorr) rows (variances, then covariances, per term) taken in lower.tri order:
  // each column's variance followed by its covariances with the later columns
  const vc = varCorrRows(terms, theta, sigma, useScale);
  const rows: RanParRow[] = [];
  const row = (r: VarCorrRow, vars: string[]) => rows.push({ group: r.group, term: name(vars), estimate: scale === 'vcov' ? r.vcov : r.sdcor });
  for (const v of vc) {
    if (v.var2 !== null) continue;
    if (v.var1 === null) { row(v, ['Observation']); continue; }
    row(v, [v.var1]);
    for (const c of vc) if (c.group === v.group && c.var2 !== null && c.var1 === v.var1) row(c, [c.var1!, c.var2]);
  }
  return rows;
}
