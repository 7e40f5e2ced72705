/**
 * lme4's deviance function of a fit (getME(fit, "devfun"), lme4 1.1-31): the objective its optimizer
 * minimizes, in lme4's parametrization.
 *
 *  - lmer: θ ↦ the REML criterion (REML fits) or −2ℓ (ML), profiled over β and σ (Bates et al. 2015,
 *    eqs. 34 and 41): log|L_θ|² [+ log|R_X|²] − Σ log w + (n − p_REML)(1 + log(2π r²_θ / (n − p_REML))),
 *    from the fit's float64 factor of its Gram matrix (src/lmm/deviance.ts profiledCriterion).
 *  - glmer, nAGQ ≥ 1: (θ, β) ↦ the Laplace approximation (nAGQ = 1) or the adaptive Gauss–Hermite one
 *    (nAGQ > 1, src/glmm/agq.ts) of −2ℓ at the conditional modes PIRLS finds with β fixed (stage 2);
 *    nAGQ = 0: θ ↦ the stage-1 deviance (β inside PIRLS), as lme4's updateGlmerDevfun(…, nAGQ).
 *    PIRLS runs to convergence here: lme4's own deviance function stops at tolPwrss = 1e-7 and uses the
 *    previous iteration's factor, up to ~1e-4 away (test/oracle/exact_laplace.R).
 *
 * θ is lme4's (getME(fit, "theta")'s order); the function maps it to the internal parametrization
 * (src/model/reparam.ts). Fits that minimized another criterion (a fixed σ, blme's priors) are refused.
 */
import { OptionError } from '../errors/errors.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { PirlsEngine } from '../glmm/pirls.js';
import { ghRule } from '../glmm/rmath.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import { profiledCriterion } from '../lmm/deviance.js';
import { thetaToInternal } from '../model/reparam.js';
import { checkLme4Criterion, referenceOf } from './fitInference.js';

/** lme4's devfun: a function of its parameters (θ, or (θ, β) for glmer with nAGQ ≥ 1) returning the objective. */
export type Devfun = (pars: ArrayLike<number>) => number;

/** the number of parameters and what they are, checked at each call */
function checkedPars(pars: ArrayLike<number>, length: number, what: string): void {
  if (pars === null || typeof pars !== 'object' || typeof pars.length !== 'number' || pars.length !== length) {
    throw new OptionError('pars', `getME(fit, 'devfun'): the deviance function takes ${what} (${length} numbers), not ${pars === null || typeof pars !== 'object' ? String(pars) : `${(pars as ArrayLike<number>).length} values`}`);
  }
  for (let k = 0; k < length; k++) {
    if (typeof pars[k] !== 'number' || !Number.isFinite(pars[k])) throw new OptionError('pars', `getME(fit, 'devfun'): parameter ${k + 1} is not a finite number (${String(pars[k])})`);
  }
}

/** lme4's devfun of an lmer fit: θ ↦ its criterion (REML or ML), module comment */
export function lmmDevfun(fit: LmmFit): Devfun {
  checkLme4Criterion(fit, "getME('devfun')");
  const model = fit.model;
  const reference = referenceOf(fit, "getME('devfun')");
  const criterion = profiledCriterion(model);
  const nth = model.theta.length;
  return (pars) => {
    checkedPars(pars, nth, 'θ in lme4\'s order');
    return criterion(reference.evaluate(thetaToInternal(model, pars)));
  };
}

/** lme4's devfun of a glmer fit: (θ, β) ↦ Laplace or AGQ deviance, or θ ↦ stage 1's at nAGQ = 0 (module comment) */
export function glmmDevfun(fit: GlmmFit): Devfun {
  checkLme4Criterion(fit, "getME('devfun')");
  const model = fit.model;
  const engine = new PirlsEngine(model.pirls);
  const nth = model.theta.length;
  const p = model.frame.p;
  const rule = fit.nAGQ > 1 ? ghRule(fit.nAGQ) : null;
  if (fit.nAGQ === 0) {
    return (pars) => {
      checkedPars(pars, nth, 'θ in lme4\'s order (nAGQ = 0: β is found by PIRLS)');
      engine.reset();
      return engine.run(thetaToInternal(model, pars), null).laplace;
    };
  }
  return (pars) => {
    checkedPars(pars, nth + p, 'c(θ, β): θ in lme4\'s order, then β');
    const all = Array.from(pars);
    engine.reset();
    const r = engine.run(thetaToInternal(model, all.slice(0, nth)), all.slice(nth));
    return rule ? engine.agq(rule) : r.laplace;
  };
}
