/**
 * emmeans 1.8.4's estimated marginal means of a glmmPQL fit. MASS's glmmPQL object is the last lme of the
 * PQL loop (class c("glmmPQL", "lme")) with the family, so emmeans takes it by emm_basis.lme: the reference
 * grid of the fixed part, β̂ and V = the lme's Var(β̂) with σ̂² N/(N − p) (sigmaAdjust; PQL's lme is an ML
 * fit), containment df (the intercept's the outermost level's groups less one) or 'asymptotic' (df = ∞),
 * and the family's link as the means' scale (.std.link.labels: the link as emmeans's tran, the
 * back-transformed mean labelled prob, rate or response). With type 'response': g⁻¹(ℓᵀβ̂), its SE
 * |μ′(ℓᵀβ̂)| SE_η and the interval g⁻¹(ℓᵀβ̂ ± t SE_η) ("Intervals are back-transformed from the logit
 * scale"); pairs of a logit (log) link are odds ratios (ratios), tested on the log odds ratio (log) scale.
 * emmeans's Satterthwaite modes of an lme refit its call to perturbed responses (gradV.kludge), which
 * fails on a glmmPQL fit ("Unable to estimate Satterthwaite parameters"): refused here too.
 */
import { type EmmGrid, linkScale } from '../inference/emmeans.js';
import { type NlmeEmmeansOptions, lmeBasisEmmeans } from '../nlme/emmeans.js';
import type { GlmmPqlFit } from './glmmPQLFit.js';

/** emmeans(fit, specs) of a glmmPQL fit: src/nlme/emmeans.ts's emm_basis.lme on its last lme, on its family's link. */
export function pqlEmmeans(fit: GlmmPqlFit, specs: string | string[], options: NlmeEmmeansOptions = {}): EmmGrid {
  return lmeBasisEmmeans(fit.lme, specs, options, linkScale(fit.family), 'glmmPQL');
}
