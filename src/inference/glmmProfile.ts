/**
 * The profile problem of a GLMM (lme4's profile.merMod for glmer fits): every parameter — the
 * random effects' SDs and correlations (no σ: binomial and Poisson) and the fixed effects — is
 * profiled alike (lme4's npar1 = nptot for GLMMs): fixed at a value, the glmer deviance
 *   d(sd, cor, β) = −2ℓ (Laplace, or AGQ with nAGQ > 1) at θ = Sv_to_Cv(sd, cor)
 * is minimized over all the others (BOBYQA; each evaluation a PIRLS run for u).
 */
import type { GlmmModel } from '../glmm/model.js';
import type { PirlsEngine } from '../glmm/pirls.js';
import { type GHRule, ghRule } from '../glmm/rmath.js';
import { thetaToInternal } from '../model/reparam.js';
import { bobyqa } from '../optim/bobyqa.js';
import type { ProfilePoint, ProfileProblem } from './profile.js';
import { sdcorToTheta, thetaToSdcor, varianceParameterNames } from './lmmProfile.js';

export interface GlmmProfileInput {
  model: GlmmModel;
  engine: PirlsEngine;
  nAGQ: number;
  /** lme4's θ̂, β̂ and −2ℓ of the fit */
  theta: ArrayLike<number>;
  beta: ArrayLike<number>;
  deviance: number;
}

export function glmmProfileProblem({ model, engine, nAGQ, theta, beta, deviance }: GlmmProfileInput): ProfileProblem {
  const terms = model.frame.reTerms;
  const nt = theta.length;
  const p = beta.length;
  const sdcor = thetaToSdcor(terms, theta, 1).subarray(0, nt);
  const names = [...varianceParameterNames(terms).slice(0, nt), ...model.frame.xnames];
  const opt = Float64Array.from([...sdcor, ...Array.from(beta)]);
  const np = opt.length;
  const lower = new Float64Array(np).fill(-Infinity), upper = new Float64Array(np).fill(Infinity);
  for (let k = 0; k < nt; k++) {
    if (model.theta.lower[k] === 0) lower[k] = 0;
    else { lower[k] = -1; upper[k] = 1; }
  }
  const rule: GHRule | null = nAGQ > 1 ? ghRule(nAGQ) : null;
  const dev = (pars: Float64Array): number => {
    const th = thetaToInternal(model, sdcorToTheta(terms, pars.subarray(0, nt), 1));
    try {
      const r = engine.run(th, pars.subarray(nt));
      return rule ? engine.agq(rule) : r.laplace;
    } catch {
      return Infinity;
    }
  };
  // optimizer scales: SDs by their estimate, correlations 1, fixed effects by |β̂| (at least 0.1)
  const scale = Float64Array.from(opt, (v, k) => (k < nt ? (upper[k] === 1 ? 1 : v > 0 ? v : 1) : Math.max(Math.abs(v), 0.1)));
  const fix = (w: number, x: number, start: Float64Array): ProfilePoint => {
    const free = Array.from({ length: np }, (_, k) => k).filter((k) => k !== w);
    const pars = Float64Array.from(start);
    pars[w] = x;
    const toPars = (u: Float64Array) => { free.forEach((k, i) => { pars[k] = u[i] * scale[k]; }); return pars; };
    const res = bobyqa((u) => dev(toPars(u)), Float64Array.from(free, (k) => Math.min(upper[k], Math.max(lower[k], start[k])) / scale[k]), {
      lower: Float64Array.from(free, (k) => lower[k] / scale[k]),
      upper: Float64Array.from(free, (k) => upper[k] / scale[k]),
      rhobeg: 0.02, rhoend: 1e-7, maxfun: 20000,
    });
    const best = Float64Array.from(toPars(res.x));
    return { par: best, deviance: dev(best), notConverged: res.converged ? undefined : res.message };
  };
  void p;
  return {
    names, opt, nvp: np, lower, upper, base: deviance, stderr: new Float64Array(0),
    fixVariance: fix,
    fixFixed: () => { throw new Error('internal: GLMM fixed effects are profiled with the variance parameters'); },
  };
}
