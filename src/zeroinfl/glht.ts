/**
 * glmmTMB 1.1.5's modelparm.glmmTMB, for multcomp's glht (src/inference/glht.ts): a component's
 * coefficients fixef(fit)[[component]] and their covariance vcov(fit)[[component]] (the component's block
 * of Var(β̂, γ̂, δ̂) from the Laplace objective's Hessian), df 0 (the normal), and glmmTMB's
 * df.residual for multcomp's F test.
 */
import { deparseCall } from '../results/rFormat.js';
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import type { GlhtModel } from '../inference/glht.js';
import { TMB_COMPONENTS, type TmbComponent, componentOf } from './anova.js';
import type { ZeroInflatedFit } from './zeroInflatedFit.js';

/** the component's GlhtModel (default 'cond', glmmTMB's) */
export function tmbGlhtModel(fit: ZeroInflatedFit, component = 'cond'): GlhtModel {
  if (!(TMB_COMPONENTS as readonly string[]).includes(component)) throw new OptionError('component', `glht: component must be one of ${TMB_COMPONENTS.join(', ')} (glmmTMB's modelparm), not ${showValue(component)}`);
  const c = componentOf(fit.model, component as TmbComponent);
  if (c.k === 0) throw new ModelError(`glht: component '${component}' of this ${fit.family} fit has no coefficients (${component === 'zi' ? `ziformula '${fit.ziformula}'` : component === 'disp' ? `dispformula '${fit.dispformula}'` : 'formula'})`);
  if (component === 'disp' && fit.model.dispConstant) throw new ModelError(`glht: component 'disp' with dispformula '${fit.dispformula}': glmmTMB 1.1.5's vcov has no dispersion block for a constant dispersion (multcomp stops); the dispersion is fit.sigma`);
  const nPar = fit.model.nPar;
  const vcov = Array.from({ length: c.k }, (_, a) => Array.from({ length: c.k }, (_, b) => fit.vcov[(c.from + a) * nPar + c.from + b]));
  if (vcov.some((r) => r.some((v) => !Number.isFinite(v)))) throw new ModelError(`glht: the covariance of the ${component} coefficients is not defined (the fit's Hessian is not positive definite, or a coefficient is at a boundary), so the hypotheses have no standard errors`);
  return {
    frame: c.frame, beta: Array.from(fit.par.subarray(c.from, c.from + c.k)), vcov, dfResidual: fit.dfResid,
    fitCall: deparseCall('glmmTMB', [
      { name: 'formula', formula: fit.formula }, ...(fit.dataName ? [{ name: 'data', code: fit.dataName }] : []),
      ...(fit.family !== 'gaussian' ? [{ name: 'family', code: fit.family }] : []),
      ...(fit.ziformula.replace(/\s/g, '') !== '~0' ? [{ name: 'ziformula', formula: fit.ziformula }] : []),
      ...(fit.dispformula.replace(/\s/g, '') !== '~1' ? [{ name: 'dispformula', formula: fit.dispformula }] : []),
      ...(fit.REML ? [{ name: 'REML', code: 'TRUE' }] : []),
    ]),
  };
}
