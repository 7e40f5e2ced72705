/**
 * glmmTMB's parameter names and its getParms: the full parameter vector's names as vcov(fit, full = TRUE)
 * gives them, and the positions a `parm` selects (confint's and profile's parm).
 */
import { OptionError, showValue } from '../errors/errors.js';
import { termParameterCount } from './covariance.js';
import type { ZeroInflatedFit } from './zeroInflatedFit.js';

/** glmmTMB's parm: names, 'theta_', 'beta_', 'disp_' or 'sigma', or 1-based positions */
export type TmbParm = string | string[] | number | number[];

/** glmmTMB's trivialDisp: dispformula ~ 1 (a single log φ, or none) */
export function trivialDisp(fit: ZeroInflatedFit): boolean {
  return fit.model.dispConstant || fit.model.pd === 0;
}

/** the parameters' names as glmmTMB's vcov(fit, full = TRUE) gives them (getEstParnames(full = TRUE)) */
export function fullParameterNames(fit: ZeroInflatedFit): string[] {
  const m = fit.model;
  const thetaNames = (terms: typeof m.reTerms) => terms.flatMap((t) => {
    // names(reStruc): the term as findbars deparses it, spaces removed
    const label = t.text.replace(/^\(/, '').replace(/\)$/, '').replace(/\s+/g, '');
    return Array.from({ length: termParameterCount(t.q) }, (_, k) => `theta_${label}.${k + 1}`);
  });
  return [
    ...m.xnames,
    ...m.zinames.map((v) => `zi~${v}`),
    ...m.dispnames.slice(0, m.pd).map((v) => `d~${v}`),
    ...thetaNames(m.reTerms.slice(0, m.nCondTerms)),
    ...thetaNames(m.reTerms.slice(m.nCondTerms)),
    ...(m.dist === 'tweedie' ? ['Tweedie power'] : []),
  ];
}

/** glmmTMB's getParms: 0-based positions in the full parameter vector */
export function parameterPositions(fit: ZeroInflatedFit, parm: TmbParm | undefined, full: boolean): number[] {
  const m = fit.model;
  const names = fullParameterNames(fit);
  const nx = names.length;
  const dispStart = m.p + m.pz, thetaStart = dispStart + m.pd;
  const all = Array.from({ length: nx }, (_, k) => k);
  if (parm === undefined) return !full && trivialDisp(fit) ? all.filter((k) => k < dispStart || k >= thetaStart) : all;
  const list = Array.isArray(parm) ? parm : [parm];
  if (list.length === 0) throw new OptionError('parm', 'confint: parm names no parameter');
  if (list.every((v) => typeof v === 'number')) {
    for (const v of list as number[]) {
      if (!(Number.isInteger(v) && v >= 1 && v <= nx)) throw new OptionError('parm', `confint: parm ${showValue(v)} is not a parameter's position (1 to ${nx})`);
    }
    return (list as number[]).map((v) => v - 1);
  }
  if (list.length === 1) {
    const p = list[0];
    if (p === 'theta_') return all.filter((k) => k >= thetaStart && k < thetaStart + m.nTheta);
    if (p === 'beta_') return trivialDisp(fit) ? all.filter((k) => k < dispStart) : all.filter((k) => k < thetaStart);
    if (p === 'disp_' || p === 'sigma') return all.filter((k) => k >= dispStart && k < thetaStart);
  }
  return list.map((v) => {
    const k = typeof v === 'string' ? names.indexOf(v) : -1;
    if (k < 0) throw new OptionError('parm', `confint: unrecognized parameter name ${showValue(v)} (glmmTMB's names: ${names.map((s) => `'${s}'`).join(', ')}; or 'theta_', 'beta_', 'disp_')`);
    return k;
  });
}
