/**
 * Moment starting values of θ for a linear mixed model (issue 17: fewer evaluations on crossed
 * designs). lme4 starts every relative standard deviation at 1; where a factor's true one is far
 * from 1 (InstEval's dept:service: 0.09), BOBYQA spends dozens of evaluations walking there after
 * the other coordinates have converged and its trust region has shrunk.
 *
 * For the random intercepts (the intercept column of a block's first term, whose column of Z is all
 * ones) the level effects are first fitted as fixed effects, by backfitting on the least-squares
 * residuals e = y_c (src/model/fixedTransform.ts): each sweep replaces each factor's effects by the
 * level means of the residual with that factor's effects added back (Gauss–Seidel on the normal
 * equations of y_c ~ Σ_f Z_f b_f, the factors with fewest levels first; SWEEPS sweeps, a start value
 * need not be converged). Then, with
 * r the residual after the last sweep and J_f the levels of f that occur,
 *
 *   σ² = Σ r² / (N − p − Σ_f (J_f − 1))                     (the fixed-effects ANOVA's mean square error)
 *   σ_f² = max(0, Σ_j (b̂_fj − mean b̂_f)² / (J_f − 1) − σ² · mean_j(1 / n_fj))
 *                                                    (b̂_fj = b_fj + noise of variance σ²/n_fj)
 *   θ_f = σ_f / σ
 *
 * (Searle, Casella & McCulloch 1992, ch. 5: moment estimators from fitted constants.) Other entries
 * of θ keep lme4's start; too few residual degrees of freedom (under a tenth of N) or no random
 * intercept give none. The θ optimizer evaluates both starts and begins at the lower
 * (src/optim/thetaOptimizer.ts, `candidates`), so a poor estimate costs one evaluation.
 */
import type { LmmModel } from './model.js';

/**
 * BOBYQA's first initial radius (scaled θ) from a moment start when it is lower than lme4's: the
 * estimates are typically within a factor 1.5 of θ̂ (test/momentStart.test.ts), and the default 0.2
 * would move a small one (InstEval's 0.14) onto 0.2 or the bound for the first design.
 */
export const MOMENT_RHOBEG = 0.05;

/** Backfitting sweeps over the factors. */
const SWEEPS = 12;

/**
 * θ with moment estimates in place of lme4's 1 for the random intercepts, or null when there are
 * none. Prior weights are ignored (unweighted residuals): the estimate is only a start, and unit
 * weights then give the unweighted fit's path.
 */
export function momentStart(model: LmmModel, start: Float64Array): Float64Array | null {
  const { n, p } = model.frame;
  const factors: { k: number; codes: Int32Array; nl: number; cnt: Float64Array; b: Float64Array; J: number }[] = [];
  for (const blk of model.internalBlocks) {
    const term = blk.terms[0];
    if (!term || blk.cnames[term.col] !== '(Intercept)') continue;
    const { q, nl, codes, Z } = blk;
    const col = term.col;
    const k = blk.thetaIndex[col * q + col];
    if (k < 0) continue;
    const cnt = new Float64Array(nl);
    let ones = true;
    for (let i = 0; i < n; i++) {
      if (Z[i * q + col] !== 1) { ones = false; break; }
      cnt[codes[i]]++;
    }
    if (!ones) continue;
    let J = 0;
    for (let j = 0; j < nl; j++) if (cnt[j] > 0) J++;
    if (J >= 2) factors.push({ k, codes, nl, cnt, b: new Float64Array(nl), J });
  }
  if (factors.length === 0) return null;
  // coarsest first: a factor nested in another (batch/cask) then takes only the deviations within
  // the coarser one's levels, the hierarchical split (largest first, it would take all of them)
  factors.sort((a, b) => a.J - b.J);
  const df = n - p - factors.reduce((s, f) => s + f.J - 1, 0);
  if (df < 0.1 * n) return null;
  const r = Float64Array.from(model.fixed.yc);
  for (let sweep = 0; sweep < (factors.length > 1 ? SWEEPS : 1); sweep++) {
    for (const { codes, nl, cnt, b } of factors) {
      // b_f ← level means of r + Z_f b_f; r ← r + Z_f (b_old − b_new)
      const sum = new Float64Array(nl);
      for (let i = 0; i < n; i++) sum[codes[i]] += r[i];
      for (let j = 0; j < nl; j++) if (cnt[j] > 0) sum[j] /= cnt[j]; // the change of b_j
      for (let i = 0; i < n; i++) r[i] -= sum[codes[i]];
      for (let j = 0; j < nl; j++) b[j] += sum[j];
    }
  }
  let sse = 0;
  for (let i = 0; i < n; i++) sse += r[i] * r[i];
  const sigma2 = sse / df;
  if (!(sigma2 > 0) || !Number.isFinite(sigma2)) return null;
  const theta = Float64Array.from(start);
  for (const { k, nl, cnt, b, J } of factors) {
    // the spread of b̂ about its mean (with several factors and X's intercept, b is fixed up to a shift)
    let mean = 0, sb = 0, inv = 0;
    for (let j = 0; j < nl; j++) if (cnt[j] > 0) mean += b[j] / J;
    for (let j = 0; j < nl; j++) if (cnt[j] > 0) { sb += (b[j] - mean) ** 2; inv += 1 / cnt[j]; }
    theta[k] = Math.sqrt(Math.max(0, sb / (J - 1) - (sigma2 * inv) / J) / sigma2);
  }
  return theta;
}
