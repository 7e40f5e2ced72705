/**
 * lme4's anova() of one fit (anova.merMod with a single model, lmer or glmer; lmerTest's
 * anova(fit, ddf = "lme4")): the sequential ("type I") sums of squares of the fixed-effects terms from
 * R_X β̂, with no denominator df and no p-values (lme4 gives none):
 *
 *   R_XᵀR_X = σ̂² Var_RX(β̂)⁻¹   (R_X upper triangular, X's column order: the factor of the fixed
 *                                  effects' block of the penalized system, lme4's pp$RX())
 *   e = R_X β̂,   SS_t = Σ_{j ∈ t} e_j²,   MS_t = SS_t / npar_t,   F_t = MS_t / σ̂²
 *
 * with Var_RX the R_X formula's Var(β̂) (a glmer fit's vcovRX, whatever its reported vcov) and σ̂ = 1
 * for families without a scale. The intercept's row is left out, as lme4 does; a term whose columns
 * were all dropped as aliased has no row. The columns of a term are those of X it produced after
 * the rank check (termColumns.ts), so e is R_X β̂ in X's own order.
 */
import { choleskyInPlace } from '../linalg/dense.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import { inverse } from './eigen.js';
import { termColumns } from './termColumns.js';

export interface Lme4AnovaRow {
  term: string;
  npar: number;
  sumSq: number;
  meanSq: number;
  F: number;
}

/**
 * R_X from the fit's R_X-formula Var(β̂) (no rows needed): R_XᵀR_X = σ̂² V⁻¹ = L Lᵀ, R_X = Lᵀ. Returns L
 * (p × p row-major, lower triangle; the strict upper triangle holds V⁻¹'s entries).
 */
export function rxFromVcov(fit: { model: { frame: { p: number } }; sigma: number; vcov: number[][] } | GlmmFit): Float64Array {
  const p = fit.model.frame.p;
  const V = Float64Array.from((fit instanceof GlmmFit ? fit.vcovRX : fit.vcov).flat());
  const s2 = fit.sigma * fit.sigma;
  const M = p > 0 ? inverse(V, p, 'Var(β̂)') : new Float64Array(0);
  for (let e = 0; e < M.length; e++) M[e] *= s2;
  choleskyInPlace(M, p, 'R_XᵀR_X');
  return M;
}

/** lme4's one-model anova table (anova.merMod): one row per fixed-effects term but the intercept. */
export function lme4Anova(fit: LmmFit | GlmmFit): Lme4AnovaRow[] {
  const frame = fit.model.frame;
  const p = frame.p;
  const s2 = fit.sigma * fit.sigma;
  const M = rxFromVcov(fit);
  // e = R_X β̂: e_j = Σ_{k ≥ j} L_kj β̂_k
  const e = Array.from({ length: p }, (_, j) => {
    let s = 0;
    for (let k = j; k < p; k++) s += M[k * p + j] * fit.beta[k];
    return s;
  });
  const assign = termColumns(frame);
  return frame.formula.fixed.terms.flatMap((t, k) => {
    const cols = assign[k];
    if (cols.length === 0) return [];
    const sumSq = cols.reduce((s, j) => s + e[j] * e[j], 0);
    const meanSq = sumSq / cols.length;
    return [{ term: t.label, npar: cols.length, sumSq, meanSq, F: meanSq / s2 }];
  });
}
