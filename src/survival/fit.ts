/**
 * The fit of a mixed-effects Cox model: θ̂ maximizing the Laplace IPL (penalizedMode.ts), then the
 * quantities coxme reports at θ̂.
 *
 *   start: coxme's grid of standard deviations (.02, .1, .4, .8, its varinit (.02, .1, .4, .8)² as
 *          SDs of every term's diagonal at once, off-diagonals 0), the best IPL taken;
 *   θ̂ = argmin −2 log IPL(θ): Brent's fmin (R's optimize) on [0, upper] for one θ, BOBYQA within θ's
 *          bounds (diagonal ≥ 0) otherwise; each evaluation's inner Newton starts from the last mode;
 *   at θ̂: H⁻¹ (the full penalized Hessian in (u, β)), Var(β̂) = its β block — coxme's variance, whose
 *          β block is the same in (b, β) since b = Λu changes only the random effects' coordinates;
 *          the penalized df p + q − tr((H⁻¹)_uu) = coxme's p + q − tr((H_b⁻¹)_bb Σ⁻¹);
 *          the NULL log-likelihood PL(o) (coxme's fit0 loglik at β = 0).
 * coxme itself runs optim's BFGS on its own variance scale with a capped inner iteration
 * (inner.iter) and, for a grouping factor of 50 or more levels, treats as zero the off-diagonal
 * elements of H_bb between levels that each hold at most 2% of the rows (coxme.control's sparse); this
 * fit maximizes the IPL with the exact Hessian and a converged inner loop, so coxme's printed numbers
 * can differ from these (in the last places, or more where its sparse approximation applies).
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { spdInverse } from '../linalg/dense.js';
import { bobyqa } from '../optim/bobyqa.js';
import { fmin } from '../optim/fmin.js';
import { type CoxmeModel } from './model.js';
import { coxLogLik } from './partialLikelihood.js';
import { type PenalizedMode, penalizedMode } from './penalizedMode.js';
import { type RiskSchedule, riskSchedule } from './riskSets.js';

/** coxme.control()'s varinit, as standard deviations. */
export const COXME_START_SDS = [0.02, 0.1, 0.4, 0.8];

export interface CoxmeOptimizerOptions {
  /** θ to start from (lme4's θ layout), in place of the grid */
  start?: ArrayLike<number>;
  /** θ held fixed: no optimization (coxme's `vfixed`, in θ) */
  fixedTheta?: ArrayLike<number>;
  /** the most IPL evaluations of the outer optimization (default 1000) */
  maxfun?: number;
}

export interface CoxmeEstimates {
  model: CoxmeModel;
  schedule: RiskSchedule;
  mode: PenalizedMode;
  theta: Float64Array;
  /** Var(β̂), p × p row-major */
  vcov: Float64Array;
  /** the random effects' conditional variances in u (diagonal of (H⁻¹)_uu) */
  uVariance: Float64Array;
  /** PL at η = o */
  nullLoglik: number;
  /** p + q − tr((H⁻¹)_uu) */
  dfPenalized: number;
  /** IPL evaluations of the outer optimization and Newton iterations in all */
  evaluations: number;
  innerIterations: number;
  converged: boolean;
  optimizerMessage: string;
}

/** θ̂ and the estimates at θ̂. */
export function estimateCoxme(model: CoxmeModel, options: CoxmeOptimizerOptions = {}): CoxmeEstimates {
  const schedule = riskSchedule(model.stop, model.start, model.status, model.strata);
  const nTheta = model.theta.length;
  let last: PenalizedMode | null = null;
  let evaluations = 0;
  let inner = 0;
  const ipl = (theta: ArrayLike<number>): number => {
    const m = penalizedMode(model, schedule, theta, last ? { start: last.c } : {});
    evaluations++;
    inner += m.iterations;
    last = m;
    return m.ipl;
  };
  const objective = (theta: ArrayLike<number>) => -2 * ipl(theta);
  const checkTheta = (v: ArrayLike<number>, what: string) => {
    if (v.length !== nTheta || Array.from(v).some((x, k) => !Number.isFinite(x) || x < model.theta.lower[k])) {
      throw new OptionError(what, `${what} must be ${nTheta} finite number${nTheta > 1 ? 's' : ''} in lme4's θ layout (${model.theta.names.join(', ')}), diagonal entries ≥ 0, not ${JSON.stringify(Array.from(v))}`);
    }
  };
  let theta: Float64Array;
  let converged = true;
  let optimizerMessage = '';
  if (options.fixedTheta) {
    checkTheta(options.fixedTheta, 'fixedTheta');
    theta = Float64Array.from(options.fixedTheta);
  } else {
    let start: Float64Array;
    if (options.start) {
      checkTheta(options.start, 'start');
      start = Float64Array.from(options.start);
    } else {
      let best = Infinity;
      start = Float64Array.from(model.theta.start);
      for (const s of COXME_START_SDS) {
        const th = Float64Array.from(model.theta.start, (v) => v * s);
        const f = objective(th);
        if (f < best) { best = f; start = th; }
      }
    }
    const maxfun = options.maxfun ?? 1000;
    if (nTheta === 1) {
      // Brent on [0, upper], the interval widened while the optimum sits at its upper end
      let upper = Math.max(5, 4 * start[0]);
      let x = 0;
      for (let k = 0; k < 6; k++) {
        x = fmin((t) => objective([t]), 0, upper, 1e-11);
        if (x < 0.99 * upper) break;
        upper *= 4;
      }
      theta = Float64Array.of(x);
    } else {
      const r = bobyqa((t) => objective(t), start, { lower: model.theta.lower, upper: new Float64Array(nTheta).fill(Infinity), rhobeg: 0.1, rhoend: 1e-9, maxfun });
      theta = r.x;
      converged = r.converged;
      optimizerMessage = r.message ?? '';
    }
  }
  // the mode at θ̂, tightly, from the last mode
  const mode = penalizedMode(model, schedule, theta, { ...(last ? { start: (last as PenalizedMode).c } : {}), tol: 1e-12 });
  inner += mode.iterations;
  const P = model.q + model.p;
  const { inv } = spdInverse(mode.hessian, P, 'the penalized Hessian at θ̂');
  const { q, p } = model;
  const vcov = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) vcov[i * p + j] = inv[(q + i) * P + q + j];
  const uVariance = new Float64Array(q);
  let trace = 0;
  for (let j = 0; j < q; j++) { uVariance[j] = inv[j * P + j]; trace += inv[j * P + j]; }
  const eta0 = model.offset ? Float64Array.from(model.offset) : new Float64Array(model.n);
  const nullLoglik = coxLogLik(eta0, schedule, model.ties);
  if (!Number.isFinite(mode.ipl)) throw new ModelError('the integrated partial likelihood is not finite at the estimate');
  return {
    model, schedule, mode, theta, vcov, uVariance, nullLoglik, dfPenalized: p + q - trace,
    evaluations, innerIterations: inner, converged, optimizerMessage,
  };
}
