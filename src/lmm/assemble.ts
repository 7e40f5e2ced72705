/**
 * Stage: the LMM's fit at θ (lme4's mkMerMod; θ in lme4's parametrization): the float64 factor at θ
 * gives β̂, b̂, σ̂, Var(β̂) and the conditional variances. With θ from the optimizer this is the fit;
 * with a given θ it is the model at that θ.
 */
import { FitError } from '../errors/errors.js';
import { BlockedCholesky } from '../linalg/blockedCholesky.js';
import type { GramMatrix } from '../linalg/gram.js';
import { SINGULAR_MESSAGE, isSingular } from '../model/lambda.js';
import type { BackendInfo, GpuCheck } from '../model/objective.js';
import type { ConvergenceCheck, Derivatives } from '../model/convergence.js';
import { covariancesToOriginal, modesToOriginal, thetaToInternal } from '../model/reparam.js';
import { mapBeta, mapVcov } from '../model/fixedTransform.js';
import { profiledDeviance } from './deviance.js';
import { LmmFit } from './lmmFit.js';
import type { FitAnnotation } from '../results/mixedFit.js';
import type { LmmModel } from './model.js';
import { conditionalVariances, solveLmm } from './solution.js';
import { knownConditionalVariances, knownModes } from '../relmat/conditional.js';
import { lendKnownFactors } from '../relmat/gram.js';

/** How the optimum was reached, for the fit's record. */
export interface FitRecord {
  feval: number;
  converged: boolean;
  optimizerMessage: string;
  /** the optimizer's name (default 'bobyqa') */
  optimizer?: string;
  messages: string[];
  backend: BackendInfo;
  timings: Record<string, number>;
  dataName?: string;
  t0: number;
  /** for a GPU fit: its objective's error at its optimum and the float64 polish */
  gpu?: GpuCheck;
  /** lme4's derivatives at θ̂ and its convergence checks on them, when made */
  derivs?: Derivatives | null;
  convergence?: ConvergenceCheck | null;
}

/**
 * How a fit whose objective is not lme4's profiled criterion differs at its optimum
 * (src/lmm/fit.ts LmmObjectiveChange): its σ (fixed, or profiled with a prior's terms), the
 * criterion it reports, β when the optimizer searched it, and a record for the summary and JSON.
 */
export interface AssembleOverride {
  /** the residual SD: Var(β̂) and the conditional variances scale with σ² */
  sigma: number;
  /** whether σ was fixed (not estimated): the likelihood's df does not count it */
  sigmaFixed?: boolean;
  /** the criterion reported as the REML criterion or deviance */
  criterion: number;
  /** β̂ when it is an optimizer variable (else the penalized least-squares solution at θ̂) */
  beta?: Float64Array;
  /** what the summary prints before lme4's and the JSON adds (a prior's description and deviance) */
  annotation?: FitAnnotation;
}

export function assembleFit(model: LmmModel, reference: { chol: BlockedCholesky; gramAgain?: () => GramMatrix }, theta: Float64Array, record: FitRecord, override?: AssembleOverride): LmmFit {
  const { frame, reml } = model;
  const { n, p } = frame;
  const tSol = performance.now();
  const chol = reference.chol;
  const thetaC = thetaToInternal(model, theta);
  chol.factor(thetaC);
  const parts = { ldL2: chol.ldL2, ldRX2: chol.ldRX2, pwrss: chol.pwrss };
  const tss = model.rowsResponseSS ?? (model.source ? (model.source.responseSS > 0 ? model.source.responseSS : 1) : totalSumOfSquares(frame.y));
  if (!(parts.pwrss > 1e-12 * tss)) {
    throw new FitError(`the penalized residual sum of squares is zero at θ = [${Array.from(theta, (t) => t.toPrecision(4)).join(', ')}]: the model fits the response '${frame.yname}' exactly, so σ and the variance components cannot be estimated`);
  }
  const dev = override ? override.criterion : profiledDeviance(parts, n, p, reml, model.sumLogW);
  // the factor is of the transformed fixed effects: map β and Var(β) back to the model's
  const solC = solveLmm(chol, n, reml);
  if (override) {
    // Var(β̂) = σ² R_X⁻¹R_X⁻ᵀ at the override's σ instead of σ̂
    const r = (override.sigma / solC.sigma) ** 2;
    for (let e = 0; e < solC.vcov.length; e++) solC.vcov[e] *= r;
    solC.sigma = override.sigma;
  }
  const sol = { ...solC, beta: override?.beta ?? mapBeta(model.fixed, solC.beta), vcov: mapVcov(model.fixed, solC.vcov) };
  // the conditional variances of the internal random effects, and of the model's: Var(b) = M Var(b_int) Mᵀ
  const toOriginal = (condVar: Float64Array[]) => {
    model.blocks.forEach((blk, k) => covariancesToOriginal(condVar[k], blk.q, model.transforms[k]));
    return condVar;
  };
  let condVar: Float64Array[] | (() => Float64Array[]);
  if (model.known.some((k) => k)) {
    // blocks with a known covariance: b = (F ⊗ I) Λ u and its conditional variances (src/relmat; a dense
    // K's factor formed again in its block's storage beside L_kk at θ̂), now
    const cv = conditionalVariances(chol, sol.sigma, (k) => model.known[k] !== null);
    const known = lendKnownFactors(chol, model.known);
    knownModes(sol.b, known, model.blocks.map((b) => b.q));
    knownConditionalVariances(chol, known, sol.sigma, cv);
    condVar = toOriginal(cv);
  } else if (model.source || !reference.gramAgain) {
    // the rows are in an engine or a file (src/gram/), or A cannot be formed again: from this factor, now
    condVar = toOriginal(conditionalVariances(chol, sol.sigma));
  } else {
    // on first use (lme4's ranef(condVar = TRUE)), from A formed again from the model's rows and a
    // factor of its own at θ̂: a fit does not keep its Gram matrix and factor alive for them
    const { sigma } = sol;
    const kernels = chol.arena.kind;
    const gramAgain = reference.gramAgain;
    condVar = () => {
      const own = new BlockedCholesky(gramAgain(), thetaC.length, kernels);
      own.factor(thetaC);
      return toOriginal(conditionalVariances(own, sigma));
    };
  }
  // and the modes: b = M b_int
  model.blocks.forEach((blk, k) => modesToOriginal(sol.b[k], blk.q, model.transforms[k]));
  const singular = isSingular(model.theta, theta);
  const messages = [...record.messages];
  if (singular) messages.push(SINGULAR_MESSAGE);
  const solveMs = performance.now() - tSol;
  return new LmmFit({
    model, theta: Float64Array.from(theta), deviance: dev, parts, solution: sol, condVar, feval: record.feval,
    converged: record.converged, optimizerMessage: record.optimizerMessage, optimizer: record.optimizer, singular, messages,
    backend: record.backend,
    timings: { ...record.timings, solveMs, totalMs: performance.now() - record.t0 },
    dataName: record.dataName,
    gpu: record.gpu,
    derivs: record.derivs,
    convergence: record.convergence,
    sigmaFixed: override?.sigmaFixed ?? false,
    annotation: override?.annotation,
  });
}

/** Σ (y − ȳ)², the scale against which a zero residual sum of squares is judged. */
export function totalSumOfSquares(y: Float64Array): number {
  let mean = 0;
  for (let i = 0; i < y.length; i++) mean += y[i];
  mean /= y.length;
  let ss = 0;
  for (let i = 0; i < y.length; i++) ss += (y[i] - mean) * (y[i] - mean);
  return ss > 0 ? ss : 1;
}
