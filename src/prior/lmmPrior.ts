/**
 * blmer through the LMM core: the posterior-mode objective of penalty.ts as the fit's Objective
 * (src/lmm/fit.ts LmmObjectiveChange), not a new fitter.
 *
 *   x = (θ_int [, δ] [, s]):  θ_int the core's internal θ; with a t prior on β (blme's numeric β)
 *   δ = R_X₀(β − β̃₀)/σ̂₀ in units of β̃₀'s standard errors at the start (as glmer's stage 2 searches
 *   β); with σ among the parameters (blme's numeric σ) s = σ/σ̂₀.
 *
 * A normal prior on β enters the decomposition as pseudo-data: rows P with PPᵀ = Σ_β⁻¹ (R⁻¹ of
 * RᵀR = Σ_β) and response 0 — in the fixed-effects transform's coordinates X_c = X C, y_c = y − X_cβ₀
 * the rows are PᵀC with response −PᵀCβ₀ — added to A_XX of the float64 reference's Gram matrix,
 * scaled by σ² off the common scale. Priors on β therefore need the float64 reference (the CPU
 * backend); covariance and residual priors use only log|L|², log|R_X|² and r² at θ and run on any
 * backend.
 */
import { OptionError } from '../errors/errors.js';
import type { Objective } from '../model/objective.js';
import { mapBeta } from '../model/fixedTransform.js';
import { thetaToOriginal } from '../model/reparam.js';
import type { Float64Reference, LmmBackend, ObjectiveParts } from '../lmm/deviance.js';
import type { LmmObjectiveChange } from '../lmm/fit.js';
import type { LmmModel } from '../lmm/model.js';
import { solveLmm } from '../lmm/solution.js';
import { lmmThetaProblem } from '../lmm/thetaProblem.js';
import { scaledStart } from '../optim/thetaOptimizer.js';
import type { AssembleOverride } from '../lmm/assemble.js';
import { type ModelPriors, type PriorTerm, priorLines, priorToString } from './distributions.js';
import { type BlmeControl, blmeControl, blmeLmmObjective } from './penalty.js';

/** The prior's terms of a model (one per lme4 random-effects term). */
export function priorTerms(model: Pick<LmmModel, 'frame'>): PriorTerm[] {
  return model.frame.reTerms.map((t) => ({ group: t.group, q: t.q, nl: t.levels.length }));
}

/** Whether a prior needs the float64 reference (priors on β) rather than any backend's parts. */
export function priorNeedsReference(priors: ModelPriors): boolean {
  return priors.fixef !== null;
}

/** R's round(x, digits) as cat prints it */
function roundPrint(x: number, digits: number): string {
  const f = 10 ** digits;
  return String(Number((Math.round(x * f) / f).toPrecision(15)));
}

/** The record a prior fit adds to the summary and the JSON (blme's printPriors and "Prior dev"). */
export function priorAnnotation(priors: ModelPriors, terms: PriorTerm[], penalty: number, objective: number): NonNullable<AssembleOverride['annotation']> {
  return {
    cls: 'blmerMod',
    preamble: [...priorLines(priors, terms), `Prior dev  : ${roundPrint(penalty, 4)}`, ''],
    json: { prior: priorJson(priors, terms), prior_deviance: penalty, penalized_objective: objective },
  };
}

/** The priors as the JSON reports them: blme's strings per term, fixed effects and residual. */
export function priorJson(priors: ModelPriors, terms: PriorTerm[]): Record<string, unknown> {
  return {
    input: priors.text,
    cov: priors.cov.map((c, i) => ({ group: terms[i].group, prior: c ? priorToString(c) : null })),
    fixef: priors.fixef ? priorToString(priors.fixef) : null,
    resid: priors.resid ? priorToString(priors.resid, 4, false) : null,
  };
}

/** The pseudo-data of a normal prior in the fixed-effects transform's coordinates: its contribution to A_XX at scale 1. */
function pseudoGram(model: LmmModel, priors: ModelPriors): Float64Array | null {
  const fx = priors.fixef;
  if (!fx || fx.family !== 'normal') return null;
  const p = model.frame.p;
  const { means, intercept, beta0 } = model.fixed;
  // rows R = Pᵀ C (p × p), P = R_cov⁻¹ (column-major, upper): Pᵀ[r][j] = P[j][r] = RCovInv[r·p + j]
  const R = new Float64Array(p * p);
  for (let r = 0; r < p; r++) for (let j = 0; j < p; j++) R[r * p + j] = fx.RCovInv[r * p + j];
  if (intercept >= 0) for (let r = 0; r < p; r++) for (let j = 0; j < p; j++) if (j !== intercept) R[r * p + j] -= means[j] * R[r * p + intercept];
  // response −R β₀
  const yv = new Float64Array(p);
  for (let r = 0; r < p; r++) {
    let s = 0;
    for (let j = 0; j < p; j++) s -= R[r * p + j] * beta0[j];
    yv[r] = s;
  }
  // [R y]ᵀ[R y], (p + 1) × (p + 1) row-major
  const p1 = p + 1;
  const A = new Float64Array(p1 * p1);
  const col = (j: number, r: number) => (j < p ? R[r * p + j] : yv[r]);
  for (let a = 0; a < p1; a++) for (let b = 0; b < p1; b++) {
    let s = 0;
    for (let r = 0; r < p; r++) s += col(a, r) * col(b, r);
    A[a * p1 + b] = s;
  }
  return A;
}

/** ‖R_X(β − β̃)‖² from the reference's factor (in the transform's coordinates: δ_c = C⁻¹δ, C⁻¹ = I + e_int mᵀ). */
export function distanceRX(reference: Pick<Float64Reference, 'chol'>, model: LmmModel, beta: ArrayLike<number>, betaTilde: ArrayLike<number>): number {
  const { LXX, p1 } = reference.chol;
  const p = p1 - 1;
  const { means, intercept } = model.fixed;
  const d = Float64Array.from({ length: p }, (_, j) => beta[j] - betaTilde[j]);
  if (intercept >= 0) {
    let s = 0;
    for (let j = 0; j < p; j++) s += means[j] * d[j];
    d[intercept] += s;
  }
  let total = 0;
  for (let r = 0; r < p; r++) {
    let v = 0;
    for (let c = r; c < p; c++) v += LXX[c * p1 + r] * d[c];
    total += v * v;
  }
  return total;
}

/** Solves R_X d = v for d in the model's coordinates (back substitution, then C). */
function solveRX(reference: Float64Reference, model: LmmModel, v: Float64Array): Float64Array {
  const { LXX, p1 } = reference.chol;
  const p = p1 - 1;
  const dc = Float64Array.from(v);
  for (let r = p - 1; r >= 0; r--) {
    let s = dc[r];
    for (let c = r + 1; c < p; c++) s -= LXX[c * p1 + r] * dc[c];
    dc[r] = s / LXX[r * p1 + r];
  }
  const { means, intercept } = model.fixed;
  if (intercept >= 0) {
    let s = 0;
    for (let j = 0; j < p; j++) if (j !== intercept) s += means[j] * dc[j];
    dc[intercept] -= s;
  }
  return dc;
}

/** blmer's objective as the LMM fit's Objective, with its σ, criterion and record at the optimum. */
export function blmeLmmChange(model: LmmModel, priors: ModelPriors): LmmObjectiveChange & { control: BlmeControl } {
  const { n, p } = model.frame;
  const reml = model.reml;
  const terms = priorTerms(model);
  const control = blmeControl(priors, false, p);
  const nth = model.theta.length;
  const numericBeta = control.fixefOptimization === 'numeric';
  const numericSigma = control.sigmaOptimization === 'numeric';
  const pseudo = pseudoGram(model, priors);
  const pseudoScaled = priors.fixef?.family === 'normal' && !priors.fixef.commonScale;
  const needsReference = priorNeedsReference(priors);
  let baseAXX: Float64Array | null = null;
  let scaleSet = NaN;
  // the start's scales: β̃₀, R_X₀ and σ̂₀ at θ's start (set when the objective is made)
  let beta0: Float64Array = new Float64Array(p);
  let sigma0 = 1;

  /** A_XX of the reference = data + s² · pseudo-data */
  const setPseudo = (reference: Float64Reference, s: number) => {
    if (!pseudo) return;
    const gram = reference.chol.gram;
    if (!baseAXX) baseAXX = Float64Array.from(gram.AXX);
    if (s === scaleSet) return;
    const s2 = s * s;
    for (let e = 0; e < pseudo.length; e++) gram.AXX[e] = baseAXX[e] + s2 * pseudo[e];
    scaleSet = s;
  };
  const split = (x: Float64Array) => {
    const thetaInt = x.subarray(0, nth);
    let beta: Float64Array | null = null;
    let sigma: number | undefined;
    let at = nth;
    if (numericBeta) {
      // β = β̃₀ + R_X₀⁻¹ σ̂₀ δ
      const v = Float64Array.from(x.subarray(at, at + p), (d) => d * sigma0);
      const d = solveRX0(v);
      beta = Float64Array.from(beta0, (b, j) => b + d[j]);
      at += p;
    }
    if (numericSigma) sigma = x[at] * sigma0;
    return { thetaInt: Float64Array.from(thetaInt), beta, sigma };
  };
  let solveRX0: (v: Float64Array) => Float64Array = (v) => v;

  /** the objective's value and record at x on a backend whose parts are `parts` (θ from x) */
  const value = (x: Float64Array, parts: ObjectiveParts, reference: Float64Reference | null) => {
    const { thetaInt, beta, sigma } = split(x);
    const theta = thetaToOriginal(model, thetaInt);
    let b: Float64Array | null = beta;
    let betaDistance: number | undefined;
    let pwrss = parts.pwrss;
    if (priors.fixef && reference) {
      const sol = solveLmm(reference.chol, n, reml);
      const betaTilde = mapBeta(model.fixed, sol.beta);
      if (numericBeta) betaDistance = distanceRX(reference, model, beta!, betaTilde);
      else b = betaTilde;
      if (pseudo) {
        // r² of the factor includes the pseudo-data's ‖s P'β̃‖²; blme's r² does not (its exponential term has it)
        const fx = priors.fixef;
        let q = 0;
        for (let j = 0; j < p; j++) {
          let v = 0;
          for (let i = 0; i <= j; i++) v += betaTilde[i] * (fx as { RCovInv: Float64Array }).RCovInv[j * p + i];
          q += v * v;
        }
        pwrss -= (pseudoScaled ? (sigma ?? 1) ** 2 : 1) * q;
      }
    }
    return blmeLmmObjective({ ...parts, pwrss, n, p, reml, sumLogW: model.sumLogW, theta, beta: b, betaDistance, sigma }, priors, control, terms);
  };

  const evaluateOn = (backend: LmmBackend, reference: Float64Reference | null) => (x: Float64Array): number | Promise<number> => {
    const { thetaInt, sigma } = split(x);
    if (numericSigma && !(sigma! > 0)) return Infinity;
    if (reference) setPseudo(reference, pseudoScaled ? sigma! : 1);
    const parts = backend.evaluate(thetaInt);
    const finish = (pt: ObjectiveParts) => {
      if (!(pt.pwrss > 0)) return Infinity;
      const v = value(x, pt, reference).objective;
      return Number.isNaN(v) ? Infinity : v;
    };
    return parts instanceof Promise ? parts.then(finish) : finish(parts);
  };

  return {
    control,
    objective(backend: LmmBackend, reference: Float64Reference): Objective {
      if (needsReference && backend !== reference) throw new OptionError('prior', 'a prior on the fixed effects (fixef.prior) runs on the CPU backend');
      // θ as lmer's objective has it (scaled start; the θ optimizer's problem when x is θ alone)
      const thetaProblem = lmmThetaProblem(model.blocks, model.internalBlocks, model.theta, n);
      const start = scaledStart(thetaProblem);
      // scales at the start: β̃₀, R_X₀ and σ̂₀ (lme4's profiled σ at θ's start)
      setPseudo(reference, 1);
      const parts0 = reference.evaluate(start);
      sigma0 = Math.sqrt(parts0.pwrss / (n - (reml ? p : 0)));
      if (numericBeta) {
        beta0 = mapBeta(model.fixed, solveLmm(reference.chol, n, reml).beta);
        // R_X₀ as it is at the start (the reference's factor changes with every evaluation)
        const snapshot = { chol: { LXX: Float64Array.from(reference.chol.LXX), p1: p + 1 } } as unknown as Float64Reference;
        solveRX0 = (v) => solveRX(snapshot, model, v);
      }
      const xs = [...start, ...(numericBeta ? new Array(p).fill(0) : []), ...(numericSigma ? [1] : [])];
      const lower = [...model.theta.lower, ...(numericBeta ? new Array(p).fill(-Infinity) : []), ...(numericSigma ? [0] : [])];
      const info = { name: backend.name, device: backend.device, precision: backend.precision };
      return {
        start: Float64Array.from(xs),
        lower: Float64Array.from(lower),
        upper: new Float64Array(xs.length).fill(Infinity),
        evaluate: evaluateOn(backend, needsReference ? reference : null),
        backend: info,
        ...(backend === reference ? {} : { f64: (x: Float64Array) => evaluateOn(reference, null)(x) as number }),
        thetaOf: (x) => x.slice(0, nth),
        ...(numericBeta || numericSigma ? {} : { thetaProblem }),
      };
    },
    thetaOf: (x) => x.slice(0, nth),
    atOptimum(x: Float64Array, reference: Float64Reference): AssembleOverride {
      const { thetaInt, beta, sigma } = split(x);
      setPseudo(reference, pseudoScaled ? sigma! : 1);
      const parts = reference.evaluate(thetaInt);
      const v = value(x, parts, reference);
      return {
        sigma: v.sigma, criterion: v.criterion, ...(numericBeta ? { beta: beta! } : {}),
        annotation: priorAnnotation(priors, terms, v.penalty, v.objective),
      };
    },
  };
}
