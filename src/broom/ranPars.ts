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
import { cov2cor, termCovariance, type VarCorrTerm } from '../results/components.js';

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
  const rows: RanParRow[] = [];
  const seen = new Map<string, number>();
  const s2 = sigma * sigma;
  terms.forEach((term, t) => {
    const count = seen.get(term.group) ?? 0;
    seen.set(term.group, count + 1);
    const group = count === 0 ? term.group : `${term.group}.${count}`;
    const S = termCovariance(terms, theta, t, s2);
    const q = term.q;
    for (let j = 0; j < q; j++) {
      for (let i = j; i < q; i++) {
        const v = S[i * q + j];
        if (i === j) rows.push({ group, term: name([term.cnames[j]]), estimate: scale === 'vcov' ? v : Math.sqrt(v) });
        // below the diagonal: var1 the column's name, var2 the row's (as.data.frame.VarCorr.merMod)
        else rows.push({ group, term: name([term.cnames[j], term.cnames[i]]), estimate: scale === 'vcov' ? v : cov2cor(v, S[j * q + j], S[i * q + i]) });
      }
    }
  });
  if (useScale) rows.push({ group: 'Residual', term: name(['Observation']), estimate: scale === 'vcov' ? s2 : sigma });
  return rows;
}
