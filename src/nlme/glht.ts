/**
 * multcomp's modelparm of nlme's fits, for glht (src/inference/glht.ts): modelparm.lme reads
 * β̂ = fixef(fit) and V = vcov(fit) (nlme's varFix: an ML fit's without the N/(N − p) that summary.lme's
 * standard errors carry), gls's modelparm.default coef(fit) and vcov(fit) (an ML fit's varBeta with it, as
 * nlme stores it); df 0 (the normal) and no df.residual, so that
 * multcomp's F test is its χ² test (with its warning). A glmmPQL fit is its last lme's.
 */
import { type GlhtModel, refuseComponent } from '../inference/glht.js';
import type { GlsFit } from './glsFit.js';
import type { LmeFit } from './lmeFit.js';
import { deparseCall } from '../results/rFormat.js';

/** lme's GlhtModel (glmmPQL's through its last lme, with its own call) */
export function lmeGlhtModel(fit: LmeFit, component?: string, call?: string[]): GlhtModel {
  refuseComponent(component, call ? 'a glmmPQL fit' : 'an lme fit');
  return {
    // vcov(lme) is nlme's varFix, without the N/(N − p) of an ML fit's summary (LmeFit.vcov's, adjustSigma)
    frame: fit.model.frame, beta: fit.beta, vcov: fit.inner.vcov, dfResidual: null,
    fitCall: call ?? deparseCall('lme.formula', [
      { name: 'fixed', formula: fit.fixedText }, { name: 'data', code: fit.dataName }, { name: 'random', formula: fit.randomArg ?? fit.randomText },
      ...nlmeStructures(fit.rc), ...(fit.method === 'ML' ? [{ name: 'method', code: '"ML"' }] : []),
    ]),
  };
}

/** gls's GlhtModel */
export function glsGlhtModel(fit: GlsFit, component?: string): GlhtModel {
  refuseComponent(component, 'a gls fit');
  return {
    frame: fit.frame, beta: fit.beta, vcov: fit.vcov, dfResidual: null,
    fitCall: deparseCall('gls', [
      { name: 'model', formula: fit.modelText }, { name: 'data', code: fit.dataName },
      ...nlmeStructures(fit.rc), ...(fit.method === 'ML' ? [{ name: 'method', code: '"ML"' }] : []),
    ]),
  };
}

/** the call's weights (variance function) and correlation arguments, as given */
function nlmeStructures(rc: LmeFit['rc']): { name: string; formula: string }[] {
  return [
    ...(rc.cor ? [{ name: 'correlation', formula: rc.cor.text }] : []),
    ...(rc.vf ? [{ name: 'weights', formula: rc.vf.text }] : []),
  ];
}
