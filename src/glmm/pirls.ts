/**
 * Penalized iteratively reweighted least squares (PIRLS) for a GLMM at given θ, and the Laplace
 * approximation of the deviance built on its result (Bates et al., lme4's GLMM description;
 * MixedModels.jl's `pirls!`; lme4's glmerLaplace).
 *
 * At θ the conditional mode ũ (and, in the first stage of glmer, β̂) minimizes the penalized
 * deviance  Σ d(y_i, μ_i) + ‖u‖²,  η = offset + Xβ + ZΛu, μ = g⁻¹(η). Each iteration
 *   1. forms the working weights w = wt · (dμ/dη)² / V(μ) and the working response
 *      z = η − base + (y − μ)/(dμ/dη) at the current η (base = offset, or offset + Xβ when β is fixed);
 *   2. forms the weighted Gram matrix A(w) = [Z X z]ᵀ W [Z X z] (src/glmm/weightedGram.ts, the pass
 *      a GPU backend replaces) and factors it at θ with the blocked Cholesky;
 *   3. solves the penalized weighted least-squares problem for the new u (and β);
 *   4. halves the step (up to 10 times) while the penalized deviance increases.
 * It stops when the remaining error of η, estimated from the last two steps, is below 1e-12 (with
 * Newton's quadratic convergence that is one step after max |Δη| falls below ~1e-6), and L is then
 * refactored at the final weights. lme4 instead stops when the relative change of the penalized
 * deviance is below 1e-7 and keeps L from the previous weights, which leaves its Laplace deviance
 * up to ~1e-3 above the converged value; here the objective is smooth in θ and β to ~1e-10.
 *
 * For a non-canonical link (probit, cloglog, the negative binomial's log) step 1 takes the observed
 * information instead (src/glmm/rowPass.ts observedRows): the solve is then Newton's step on the
 * penalized deviance, which converges quadratically where Fisher scoring converges linearly, to the
 * same mode; at the mode L is refactored at the expected information, so the Laplace deviance is
 * lme4's (the random GLMMs' probit and cloglog cases: 15.0 iterations a run from a cold start and
 * 11.6 from a warm one under Fisher scoring, 5.4 and 2.8 with Newton's steps; bench/RESULTS.md).
 *
 * Laplace:  −2ℓ(θ, β) ≈ log|L|² + ‖ũ‖² + aic(y, μ̃)          (lme4's glmResp::Laplace)
 * AGQ (one scalar term): src/glmm/agq.ts; one factor's vector term: src/glmm/agqVector.ts, from the state PIRLS leaves.
 *
 * On an asynchronous pass (the WebGPU backend, f32) the working response is split, z = (η − base) + r
 * with r = (y − μ)/(dμ/dη): the pass forms the cross-products of r and the fitted part's are added in
 * float64 from A itself (weightedGram.ts addFittedPart), so the solve returns the iterate plus a
 * Newton step and f32 rounding perturbs only the step (it lowered PIRLS's noise floor in η from
 * ~4e-5 to ~2e-7 on grouseticks). A pass that evaluates states on its device (rowsOnDevice) also
 * computes η, μ, the weights, r and the deviance there: per iteration only the coefficients go up,
 * and the step is bounded from the coefficients' change (etaStepBound); the deviance is then f32
 * (DEVICE_DEVIANCE_NOISE) and the fit's float64 polish settles the optimum.
 *
 * The device passes and per-group solvers PIRLS can drive are described in src/glmm/pirlsDevice.ts.
 *
 * θ here is that of `model.blocks`: for a GLMM built by buildGlmm, the internal parametrization
 * (Z M, src/model/reparam.ts); thetaToInternal maps lme4's θ to it.
 */
import { FitError, ModelError } from '../errors/errors.js';
import { BlockedCholesky } from '../linalg/blockedCholesky.js';
import { NotPositiveDefiniteError, choleskyInPlace, invertLower, solveLower, solveLowerT } from '../linalg/dense.js';
import type { RandomBlock, ThetaLayout } from '../model/lambda.js';
import { columnMaxAbs } from '../model/lambda.js';
import { applyTemplate, fillTemplate } from '../linalg/template.js';
import { conditionalVariances, solveLmm } from '../lmm/solution.js';
import type { GlmFamily } from './family.js';
import type { GHRule } from './rmath.js';
import { agqDeviance, agqFromRowSums } from './agq.js';
import { agqVectorDeviance } from './agqVector.js';
import { LOGIT_PRELUDE, ROW_CHUNK, type RowKernel, fixedPartChunk, fixedRows, generalRows, logitEvalChunk, logitSetup, observedRows, rowKernel } from './rowPass.js';
import { RowJobs, type RowArrays, registerRowKernel, rowThreadsReady, rowThreadsWanted, shareArray, sharedFloat64, sharedInt32 } from '../linalg/rowThreads.js';
import { ScalarSegments, WeightedGramCpu, addFittedPart, knownWeightedGram } from './weightedGram.js';
import type { CovFactor } from '../relmat/covFactor.js';
import { knownConditionalVariances, knownModes } from '../relmat/conditional.js';
import type { AnyWeightedGram, DeviceFactor, DeviceGroupSolver, DeviceWeightedGram } from './pirlsDevice.js';
import { GroupNewton } from './groupNewton.js';
import { FAMILY_CODE, familyCode } from './familyRow.js';

/**
 * What PIRLS asks of its driver: a device evaluation of the state (`evaluate`), or A(w) at the
 * engine's w and z (with the fitted part added on the host when z holds the working residual).
 */
type PassRequest =
  | { gram: AnyWeightedGram; evaluate: true }
  | { gram: AnyWeightedGram; evaluate: false; residual: boolean; full: boolean }
  | { run: () => Promise<void> };

/** What PIRLS needs of a GLMM: the data, the random-effects structure and the family. */
export interface PirlsModel {
  n: number;
  /** fixed-effects matrix, n × p column-major */
  X: Float64Array;
  p: number;
  blocks: RandomBlock[];
  theta: ThetaLayout;
  family: GlmFamily;
  y: Float64Array;
  /** prior weights */
  weights: Float64Array;
  /** binomial: numbers of trials (R's n) for the log-likelihood; else null */
  trials: Float64Array | null;
  /**
   * per block, the factor F of its known covariance matrix (relmat; Z (F ⊗ I) in place of Z,
   * b = (F ⊗ I) Λ u), or null; absent when no block has one
   */
  known?: (CovFactor | null)[];
  /** offset (zeros when none) */
  offset: Float64Array;
  /**
   * a model whose rows are not in memory (an engine's fit, src/gram/glmm.ts: n = 0 here, the row
   * arrays empty): where they are, and what the engine would otherwise read of them — aic − Σ wt·d(y, μ)
   * (aicMinusDeviance) and the bound's max |X_r| and max |Z_ks| (etaStepBound), from the engine's
   * queries. Its PIRLS runs only on that engine's passes (PirlsEngineOptions.grams).
   */
  rowless?: { source: string; aicConst: number; colMaxX: Float64Array; colMaxZ: Float64Array[] };
}

export interface PirlsOptions {
  /** iteration limit (default 100) */
  maxIter?: number;
}

/**
 * Convergence settings of PIRLS. The defaults suit the float64 pass; a pass in f32 (the WebGPU
 * backend) leaves η jittering at ~1e-7 relative around the fixed point, so it needs looser ones.
 */
export interface PirlsTolerances {
  /** converged when the estimated remaining error of η (max |Δη| and its geometric tail) is below this (default 1e-12) */
  etaTol: number;
  /** relative increases of the penalized deviance below this are rounding, not a failed step (default 1e-11) */
  halvingNoise: number;
  /** relative changes of the penalized deviance below pdevStall, stallCount times running, count as converged (1e-13, 8) */
  pdevStall: number;
  stallCount: number;
  /**
   * the rounding floor of a pass in f32: a step below this that is not at most half the one
   * before has reached the noise of the pass rather than a slower convergence (0: none)
   */
  noiseFloor: number;
}

/** Tolerances for a weighted Gram pass in f32 (partial sums finished in float64). */
export const F32_PASS_TOLERANCES: PirlsTolerances = { etaTol: 1e-6, halvingNoise: 1e-8, pdevStall: 1e-10, stallCount: 3, noiseFloor: 1e-4 };

export interface PirlsEngineOptions {
  /** the data passes for (u, β) and for u alone (default: WeightedGramCpu; the second shares the first's structure) */
  grams?: { full: AnyWeightedGram; u: AnyWeightedGram };
  /** per-group updates on the device for the two passes (needs passes with rows on the device) */
  groups?: { full: DeviceGroupSolver; u: DeviceGroupSolver };
  tolerances?: Partial<PirlsTolerances>;
  /** the family's scalar functions row by row even where the family has its own row kernel (tests) */
  generalRows?: boolean;
  /**
   * runs by levels (src/glmm/groupNewton.ts) where the model allows (one term of at most MAX_LEVEL_Q
   * columns, a family of src/glmm/familyRow.ts's FAMILY_CODE, the CPU's passes); default true, false for
   * the general iteration (tests)
   */
  groupNewton?: boolean;
  /**
   * Newton's steps with the observed information for a non-canonical link (src/glmm/rowPass.ts
   * observedRows) where the rows are on the CPU; default true, false for Fisher scoring (tests)
   */
  observedInformation?: boolean;
}

/** A failure of PIRLS at given parameters (no convergence, step halving failed, singular system). */
export class PirlsError extends FitError {
  constructor(message: string) {
    super(message);
    this.name = 'PirlsError';
  }
}

/** The pieces of the deviance at the conditional modes. */
export interface PirlsResult {
  /** log |L|² at the converged weights */
  ldL2: number;
  /** ‖ũ‖² */
  sqrU: number;
  /** Σ deviance residuals at μ̃ */
  devResid: number;
  /** −2 Σ log p(y | μ̃) (R's family aic without 2 df) */
  aic: number;
  /** Laplace approximation of −2ℓ: ldL2 + sqrU + aic */
  laplace: number;
  iterations: number;
  halvings: number;
  /** true for a run by levels (src/glmm/groupNewton.ts) */
  byLevels?: boolean;
  /** a run by levels with β fixed: evaluations of a level's state per level, on average */
  levelEvaluations?: number;
}

/**
 * PIRLS has converged when the linear predictor's remaining error, estimated from the last step
 * (max |Δη|) and its ratio to the step before, is below this. The Laplace deviance is first-order
 * in η through log|L|², so η must be accurate far beyond the penalized deviance's tolerance for the
 * objective to be smooth enough for a finite-difference Hessian.
 */
const ETA_TOL = 1e-12;
/** A random-effects term of up to this many columns per level runs by levels (src/glmm/groupNewton.ts) */
const MAX_LEVEL_Q = 4;
/** Increases of the penalized deviance below this (relative) are rounding, not a failed step. */
const HALVING_NOISE = 1e-11;
/** Relative changes of the penalized deviance below PDEV_STALL, STALL_COUNT times running, count as converged. */
const PDEV_STALL = 1e-13;
/**
 * Relative noise of the penalized deviance of a device evaluation: per-row deviances in f32 (their
 * terms, such as y log(y/μ) and y − μ, cancel), compensated chunk sums; seen ≤ 3e-7 on the
 * reference cases. Increases below it are not failed steps.
 */
const DEVICE_DEVIANCE_NOISE = 1e-6;
const STALL_COUNT = 8;
/**
 * Newton's quadratic convergence: the next step is ≈ C·step² (max |Δη|), C = step_k/step_{k−1}²
 * observed in PIRLS runs (0.1–0.3 on the benchmark's logistic model). A run also stops when
 * NEWTON_C_MARGIN·C·step² is below the η tolerance, with C the largest seen lately (each run's
 * observation, the older ones decaying by NEWTON_C_DECAY per observation); only for steps below
 * QUADRATIC_MAX_STEP (in the quadratic regime) and C observed from steps above QUADRATIC_MIN_STEP
 * (below it, the rounding of η). Never for a pass in f32 (its noise floor), and only for the
 * canonical links (binomial logit, Poisson log), where PIRLS's expected-information weights are the
 * observed ones and its step is Newton's: with another link (probit, cloglog, the negative
 * binomial's log) PIRLS is Fisher scoring and converges linearly, so C·step² is no bound on the next
 * step (a binomial cloglog model with θ ≈ 2.5, steps shrinking by 0.55 each, stopped with η still
 * 2e-7 from the mode and its Laplace deviance 1.4e-8 off: test/randomGlmms.test.ts, g052).
 */
const NEWTON_C_MARGIN = 4;
const NEWTON_C_DECAY = 0.9;
const QUADRATIC_MAX_STEP = 1e-4;
const QUADRATIC_MIN_STEP = 1e-13;
/** the row job of an evaluation with the logit kernel (η, μ, w, z, the deviance per chunk) */
const LOGIT_EVAL = registerRowKernel('logitEval', logitEvalChunk, LOGIT_PRELUDE);
/** the row job of base = offset + Xβ at the start of a run with β fixed */
const FIXED_PART = registerRowKernel('fixedPart', fixedPartChunk, fixedRows.toString());

export class PirlsEngine {
  readonly model: PirlsModel;
  /** the data pass and factor for u and β together (stage 1, RX) */
  readonly gramFull: AnyWeightedGram;
  readonly cholFull: BlockedCholesky;
  /** the data pass and factor for u alone (β fixed) */
  readonly gramU: AnyWeightedGram;
  readonly tolerances: PirlsTolerances;
  readonly cholU: BlockedCholesky;
  /** the factor whose L_Z holds the weights at the current η (after a PIRLS run) */
  lastChol: BlockedCholesky | null = null;

  /** current state: spherical random effects per block, β, η, μ */
  readonly u: Float64Array[];
  readonly beta: Float64Array;
  readonly eta: Float64Array;
  readonly mu: Float64Array;
  /** whether u and β hold a converged solution to warm-start from */
  private warm = false;
  /** whether η is base + Xβ + ZΛu of the state (not R's starting η from mustart) */
  private etaIsState = false;
  /** the templates T_k at the θ of the current state */
  private readonly T: Float64Array[];
  private readonly thetaNow: Float64Array;
  /**
   * whether the passes evaluate states on their device (then η and μ here are updated only on
   * request, syncRows), and whether z holds the working residual with the fitted part added on the
   * host (asynchronous passes: f32 on a GPU)
   */
  readonly rowsOnDevice: boolean;
  /** the device's evaluations are float64 (an engine's queries or passes): no f32 noise in its deviance */
  private readonly float64Device: boolean;
  private readonly residualForm: boolean;
  /** device passes: Σ wt·d(y, μ) of the last evaluation, the pass formed at that state, aic − deviance */
  private devSum = NaN;
  /** device groups: ‖u‖² and the bound on |Δη| from the random effects at the last update */
  private sqrUDevice = NaN;
  private etaBoundDevice = NaN;
  /** device groups: the factor at the current state (computed with each new state), or null */
  private factorDevice: DeviceFactor | null = null;
  private formedAt: AnyWeightedGram | null = null;
  private rowsStale = false;
  private lastFull = true;
  /**
   * aic − Σ wt·d(y, μ) (constant in μ, aicMinusDeviance), so that a run's aic is its deviance plus
   * this; NaN where it is not constant (then aic is summed at μ̃ each run, and the rows stay on the CPU)
   */
  private readonly aicConst: number;
  /** the per-row work of a state on the CPU: μ, deviance, w and z at η (src/glmm/rowPass.ts) */
  private readonly rows: RowKernel;
  /**
   * the general iteration's rows where they differ from `rows`: Newton's, with the observed
   * information, for a non-canonical link on the CPU (observedRows); null where they are `rows`
   */
  private readonly newtonRows: RowKernel | null;
  /** Newton's constant C (next step ≈ C·step²) seen lately, for β fixed [0] and free [1]; ∞ until seen */
  private readonly newtonC = [Infinity, Infinity];
  /** PIRLS's step is Newton's (a canonical link, or newtonRows), so its convergence is quadratic (NEWTON_C_MARGIN) */
  private newtonSteps: boolean;
  /**
   * the device's evaluations may take Newton's weights (its reweight shader's `observed`: a
   * non-canonical link, rows on the device), and whether they do now (during the general iteration)
   */
  private readonly deviceNewton: boolean;
  /** the general iteration is running: its evaluations take Newton's weights (newtonRows, or the device's) */
  private newtonNow = false;
  /** whether w and z hold the working weights and response at the current η (left by the last evaluation) */
  private wzFresh = false;
  /** the per-group updates on the device, when the passes have them (then u lives there) */
  readonly groups: { full: DeviceGroupSolver; u: DeviceGroupSolver } | null;
  /** max |X_r| per column and max |Z_ks| per block column: the bound on max |Δη| of a device step */
  private readonly colMaxX: Float64Array;
  private readonly colMaxZ: Float64Array[];
  /**
   * the row jobs of an evaluation (binomial(logit) on the CPU's pass: η, the row kernel and |Δη| per
   * ROW_CHUNK rows, on the row threads where they run), or null; their arrays, and |Δη| of the last
   */
  private readonly jobs: RowJobs | null = null;
  private readonly jobArrays: { b: Float64Array; bOffset: number[]; beta: Float64Array; params: Float64Array; out: Float64Array; chunks: number } | null = null;
  private jobStep = NaN;
  /**
   * runs by levels (src/glmm/groupNewton.ts; one term of q ≤ MAX_LEVEL_Q, a family with a code in
   * src/glmm/familyRow.ts, the CPU's passes): made at the first run from its data; null where the model does not
   * allow it. After such a run η, μ, w, z and lastChol (and base, `baseBehind`) are not yet those of the
   * state (`behind`; `behindFull`: a run with β free): catchUp makes them so when they are asked for.
   */
  private groupNewton: GroupNewton | null = null;
  private readonly groupNewtonData: ConstructorParameters<typeof GroupNewton> | null = null;
  private behind = false;
  private baseBehind = false;
  /** the rule of the last agq (runs by levels then compute its rows term), and the last run by levels' log|L|² and rule */
  private agqRule: GHRule | null = null;
  private levelsRun: { ldL2: number; rule: GHRule | null } | null = null;
  /** the state left behind is a run's with β free (η = offset + Xβ + ZΛu, L with β's block) */
  private behindFull = false;
  /** work arrays */
  private readonly w: Float64Array;
  private readonly z: Float64Array;
  private readonly base: Float64Array;
  private readonly etaOld: Float64Array;

  constructor(model: PirlsModel, options: PirlsEngineOptions = {}) {
    this.model = model;
    const { n, X, p, blocks, theta } = model;
    if (model.rowless && !options.grams) {
      throw new ModelError(`the rows of this GLMM are in ${model.rowless.source}, not in memory: its PIRLS runs only on that engine's passes (a refit, a bootstrap or a profile of such a fit needs the rows: fit with the rows in memory, the CLI's --engine memory)`);
    }
    this.tolerances = { etaTol: ETA_TOL, halvingNoise: HALVING_NOISE, pdevStall: PDEV_STALL, stallCount: STALL_COUNT, noiseFloor: 0, ...options.tolerances };
    const { family: fam, link } = model.family;
    this.newtonSteps = (fam === 'binomial' && link === 'logit') || (fam === 'poisson' && link === 'log');
    this.u = blocks.map((b) => new Float64Array(b.nl * b.q));
    this.beta = new Float64Array(p);
    this.T = blocks.map((b) => new Float64Array(b.q * b.q));
    this.thetaNow = new Float64Array(theta.length);
    // the rows' arrays on SharedArrayBuffers when the row threads may share an evaluation's chunks
    // (the CPU's passes with the logit kernel)
    const logit = model.family.family === 'binomial' && model.family.link === 'logit' && !options.generalRows && !options.grams;
    // runs by levels (src/glmm/groupNewton.ts): one term, a family with a code there (the non-canonical links
    // take Newton's steps: not with Fisher scoring asked for), the CPU's passes
    const code = options.generalRows || options.grams ? null : familyCode(model.family);
    const levelFamily = code !== null && (code < FAMILY_CODE.probit || options.observedInformation !== false);
    const byLevels = options.groupNewton !== false && levelFamily && blocks.length === 1 && blocks[0].q <= MAX_LEVEL_Q && !model.known?.[0];
    const shared = (logit || byLevels) && n >= 2 * ROW_CHUNK && rowThreadsWanted() > 1;
    const rowArray = shared ? sharedFloat64 : (m: number) => new Float64Array(m);
    const intArray = shared ? sharedInt32 : (m: number) => new Int32Array(m);
    this.eta = rowArray(n);
    this.mu = rowArray(n);
    this.w = rowArray(n);
    this.z = rowArray(n);
    this.base = rowArray(n);
    this.etaOld = rowArray(n);
    if (logit) {
      const share = <T extends Float64Array | Int32Array>(a: T): T => (shared ? shareArray(a) : a);
      const { ent, unit } = logitSetup(model.family, model.y, model.weights);
      // Z and the codes of every block in one array each; b = Λu of every block in one
      let codes: Int32Array, Z: Float64Array;
      if (blocks.length === 1) {
        codes = share(blocks[0].codes);
        Z = share(blocks[0].Z);
      } else {
        codes = intArray(n * blocks.length);
        Z = rowArray(blocks.reduce((a, b) => a + n * b.q, 0));
        let zo = 0;
        blocks.forEach((b, k) => { codes.set(b.codes, k * n); Z.set(b.Z, zo); zo += n * b.q; });
      }
      const layout = intArray(1 + 3 * blocks.length);
      layout[0] = blocks.length;
      const bOffset: number[] = [];
      let zo = 0, bo = 0;
      blocks.forEach((b, k) => { layout.set([b.q, zo, bo], 1 + 3 * k); bOffset.push(bo); zo += n * b.q; bo += b.nl * b.q; });
      const chunks = Math.ceil(n / ROW_CHUNK);
      const arrays: RowArrays = {
        eta: this.eta, mu: this.mu, w: this.w, z: this.z, base: this.base, etaOld: this.etaOld,
        y: share(model.y), wt: share(model.weights), ent: ent ? share(ent) : rowArray(0), X: share(X), offset: share(model.offset),
        codes, Z, layout, b: rowArray(bo), beta: rowArray(p), params: rowArray(6), out: rowArray(2 * chunks),
      };
      (arrays.params as Float64Array).set([n, p, 0, 0, unit ? 1 : 0, ROW_CHUNK]);
      this.jobs = new RowJobs(arrays, this, shared);
      this.jobArrays = { b: arrays.b as Float64Array, bOffset, beta: arrays.beta as Float64Array, params: arrays.params as Float64Array, out: arrays.out as Float64Array, chunks };
      if (byLevels) {
        this.groupNewtonData = [{
          codes, nl: blocks[0].nl, Z, y: arrays.y as Float64Array, weights: arrays.wt as Float64Array, unit,
          ent: ent ? (arrays.ent as Float64Array) : null, X: arrays.X as Float64Array, p, offset: arrays.offset as Float64Array, base: this.base,
          fam: FAMILY_CODE.logit, nbTheta: 0, q: blocks[0].q,
        }, shared];
      }
    } else if (byLevels) {
      // poisson(log): y log y per row (null where every y is 0 or 1; the other families compute their
      // deviance whole), and whether the prior weights are all 1 (GroupNewton puts what its kernels read
      // on shared memory)
      const { y, weights } = model;
      let ent: Float64Array | null = null;
      if (code === FAMILY_CODE.poisson) for (let i = 0; i < n; i++) if (y[i] !== 0 && y[i] !== 1) { (ent ??= new Float64Array(n))[i] = y[i] * Math.log(y[i]); }
      const unit = weights.every((v) => v === 1);
      this.groupNewtonData = [{
        codes: blocks[0].codes, nl: blocks[0].nl, Z: blocks[0].Z, y, weights, unit,
        ent, X, p, offset: model.offset, base: this.base, fam: code!, nbTheta: model.family.theta ?? 0, q: blocks[0].q,
      }, shared];
    }
    if (options.grams) {
      this.gramFull = options.grams.full;
      this.gramU = options.grams.u;
    } else {
      // one scalar term: the weighted pass in segments on the row jobs too
      const segments = this.jobs && blocks.length === 1 && blocks[0].q === 1 ? ScalarSegments.create(this.jobs, n, blocks[0].nl, ROW_CHUNK) : null;
      const full = new WeightedGramCpu({ n, X, p, blocks }, undefined, segments);
      const u = new WeightedGramCpu({ n, X: new Float64Array(0), p: 0, blocks }, full, segments);
      // known covariances: each pass's A(w) transformed by the factors (src/relmat/gram.ts)
      const known = model.known?.some((f) => f) ? model.known : null;
      this.gramFull = known ? knownWeightedGram(full, known) : full;
      this.gramU = known ? knownWeightedGram(u, known) : u;
    }
    this.residualForm = !('form' in this.gramFull);
    const onDevice = (g: AnyWeightedGram) => 'rowsOnDevice' in g && (g as DeviceWeightedGram).rowsOnDevice;
    this.aicConst = model.rowless ? model.rowless.aicConst : aicMinusDeviance(model);
    this.rowsOnDevice = onDevice(this.gramFull) && onDevice(this.gramU) && Number.isFinite(this.aicConst);
    this.rows = options.generalRows ? generalRows(model.family, model.y, model.weights) : rowKernel(model.family, model.y, model.weights);
    this.newtonRows = options.observedInformation !== false && model.family.observedFactor && !this.residualForm && !this.rowsOnDevice
      ? observedRows(model.family, model.y, model.weights) : null;
    this.deviceNewton = options.observedInformation !== false && model.family.observedFactor !== undefined && this.rowsOnDevice;
    if (this.newtonRows || this.deviceNewton) this.newtonSteps = true;
    this.groups = this.rowsOnDevice && options.groups ? options.groups : null;
    this.colMaxX = model.rowless ? model.rowless.colMaxX : Float64Array.from({ length: p }, (_, r) => { let m = 0; for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(X[r * n + i])); return m; });
    this.colMaxZ = model.rowless ? model.rowless.colMaxZ : blocks.map(columnMaxAbs);
    this.float64Device = this.rowsOnDevice && (this.gramFull as DeviceWeightedGram).float64 === true && (this.gramU as DeviceWeightedGram).float64 === true;
    this.cholFull = new BlockedCholesky(this.gramFull.gram, theta.length);
    this.cholU = new BlockedCholesky(this.gramU.gram, theta.length);
    this.reset();
  }

  /** Back to the starting point: η from R's mustart, u = 0, β = 0 (no warm start), nothing learnt from earlier runs. */
  reset(): void {
    const { n, family, y, weights } = this.model;
    for (let i = 0; i < n; i++) {
      const m = family.mustart(y[i], weights[i]);
      this.eta[i] = family.linkfun(m);
      this.mu[i] = family.linkinv(this.eta[i]);
    }
    for (const u of this.u) u.fill(0);
    this.beta.fill(0);
    this.warm = false;
    this.etaIsState = false;
    this.wzFresh = false;
    this.formedAt = null;
    this.factorDevice = null;
    this.rowsStale = false;
    this.behind = false;
    this.baseBehind = false;
    this.behindFull = false;
    this.newtonC.fill(Infinity);
    this.groups?.full.reset();
  }

  /** Copies the state (u, β) so that it can be restored. */
  saveState(): { u: Float64Array[]; beta: Float64Array; warm: boolean } {
    return { u: this.u.map((u) => Float64Array.from(u)), beta: Float64Array.from(this.beta), warm: this.warm };
  }

  restoreState(s: { u: Float64Array[]; beta: Float64Array; warm: boolean }): void {
    // η, μ and lastChol stay those of the last run, as they are after a general one
    this.catchUp();
    s.u.forEach((u, k) => this.u[k].set(u));
    this.beta.set(s.beta);
    this.warm = s.warm;
    this.wzFresh = false;
    this.formedAt = null;
  }

  private setTheta(theta: ArrayLike<number>): void {
    this.formedAt = null;
    this.wzFresh = false;
    this.factorDevice = null;
    this.thetaNow.set(Array.from(theta));
    this.model.blocks.forEach((b, k) => fillTemplate(b, theta, this.T[k]));
  }

  /** η = offset + Xβ + Z Λ(θ) u for the given u and β, into `out`. */
  linearPredictor(u: Float64Array[], beta: Float64Array, out: Float64Array): void {
    this.fixedPart(beta, out);
    this.addRandomPart(u, out);
  }

  /** out = offset + Xβ */
  private fixedPart(beta: ArrayLike<number>, out: Float64Array): void {
    const { n, X, p, offset } = this.model;
    out.set(offset);
    for (let r = 0; r < p; r++) {
      const br = beta[r];
      if (br === 0) continue;
      const o = r * n;
      for (let i = 0; i < n; i++) out[i] += X[o + i] * br;
    }
  }

  /** b_k = Λ_k u_k, or (F ⊗ I) Λ_k u_k for a block with a known covariance */
  private randomEffects(k: number, u: Float64Array): Float64Array {
    const b = this.model.blocks[k];
    const bk = applyTemplate(this.T[k], b.q, b.nl, u);
    const f = this.model.known?.[k];
    if (!f) return bk;
    const out = [bk];
    knownModes(out, [f], [b.q]);
    return out[0];
  }

  /** out += Z Λ(θ) u */
  private addRandomPart(u: Float64Array[], out: Float64Array): void {
    const { n, blocks } = this.model;
    blocks.forEach((b, k) => {
      const q = b.q;
      const bk = this.randomEffects(k, u[k]);
      const Z = b.Z;
      const codes = b.codes;
      if (q === 1) {
        for (let i = 0; i < n; i++) out[i] += Z[i] * bk[codes[i]];
        return;
      }
      for (let i = 0; i < n; i++) {
        const g = codes[i] * q;
        let acc = 0;
        for (let s = 0; s < q; s++) acc += Z[i * q + s] * bk[g + s];
        out[i] += acc;
      }
    });
  }

  /** η for (u, β): base + ZΛu, with base = offset + Xβ (β fixed) or offset + Xβ computed here (β free) */
  private setEta(full: boolean): void {
    if (full) this.fixedPart(this.beta, this.eta);
    else this.eta.set(this.base);
    this.addRandomPart(this.u, this.eta);
    this.etaIsState = true;
    this.rowsStale = false;
  }

  /**
   * μ from η, and the penalized deviance Σ d(y, μ) + ‖u‖²; the row kernel leaves the working
   * weights and response at this η (for the current base) in w and z too (`wzFresh`)
   */
  /** the rows that evaluations leave w and z from: newtonRows during the general iteration, else rows */
  private get iterationRows(): RowKernel {
    return this.newtonNow && this.newtonRows ? this.newtonRows : this.rows;
  }

  /** whether the device's evaluations take Newton's weights now */
  private get deviceObserved(): boolean {
    return this.newtonNow && this.deviceNewton;
  }

  private updateMu(u: Float64Array[]): number {
    const dev = this.iterationRows(this.eta, this.residualForm ? null : this.base, this.mu, this.w, this.z, 0, this.model.n);
    if (this.model.family.muRange) checkMuRange(this.model.family, this.mu, this.thetaNow);
    if (!this.rowsOnDevice) this.devSum = dev;
    return dev + sumSquares(u);
  }

  /**
   * working weights and response at the current η; `base` is subtracted from η, or with `residual`
   * z is the working residual (y − μ)/(dμ/dη) alone (the fitted part added to A(w) on the host)
   */
  private reweight(base: Float64Array, residual = false): void {
    this.iterationRows(this.eta, residual ? null : base, this.mu, this.w, this.z, 0, this.model.n);
  }

  /**
   * The penalized deviance Σ wt·d(y, μ) + ‖u‖² at the state (u, β) with η = base + ZΛu (+ Xβ when
   * β is free): on the CPU, or as one device evaluation, which also forms A(w) at the state.
   */
  private *evaluate(full: boolean): Generator<PassRequest, number, void> {
    if (this.jobs) return this.evaluateRows(full);
    if (!this.rowsOnDevice) {
      this.setEta(full);
      const pdev = this.updateMu(this.u);
      this.wzFresh = true;
      return pdev;
    }
    const gram = full ? this.gramFull : this.gramU;
    this.formedAt = null;
    yield { gram, evaluate: true };
    this.formedAt = gram;
    this.etaIsState = true;
    this.rowsStale = true;
    this.lastFull = full;
    return this.devSum + (this.groups ? this.sqrUDevice : sumSquares(this.u));
  }

  /**
   * `evaluate` on the CPU by the row jobs (η, the logit kernel, |Δη| per chunk, on the row threads
   * where they run): the deviance's partial sums added in chunk order, so the same whatever the threads.
   */
  private evaluateRows(full: boolean): number {
    const J = this.jobArrays!;
    this.model.blocks.forEach((_, k) => J.b.set(this.randomEffects(k, this.u[k]), J.bOffset[k]));
    if (full) J.beta.set(this.beta);
    J.params[2] = full ? 2 : 1;
    this.jobs!.run(LOGIT_EVAL, J.chunks);
    let dev = 0, step = 0;
    for (let c = 0; c < J.chunks; c++) {
      dev += J.out[2 * c];
      if (J.out[2 * c + 1] > step) step = J.out[2 * c + 1];
    }
    this.etaIsState = true;
    this.rowsStale = false;
    this.devSum = dev;
    this.jobStep = step;
    this.wzFresh = true;
    return dev + sumSquares(this.u);
  }

  /** whether the data passes complete asynchronously only (a device's or an engine's): then run with runAsync */
  get asyncPasses(): boolean {
    return this.residualForm;
  }

  /** Resolves when the row threads this engine's evaluations may use are running (at once when none). */
  async rowThreadsReady(): Promise<void> {
    if (this.jobs?.shared) await rowThreadsReady();
  }

  /** A(w) at the current η: already formed by a device evaluation of the state, or from w and z here */
  private *formGram(full: boolean): Generator<PassRequest, void, void> {
    const gram = full ? this.gramFull : this.gramU;
    if (this.groups && !this.etaIsState) {
      // device groups, cold start (u = 0, β = 0 there): w and z from R's mustart η
      this.reweight(this.base);
      yield { gram, evaluate: false, residual: false, full };
      return;
    }
    if (this.rowsOnDevice && this.etaIsState) {
      if (this.formedAt !== gram) yield* this.evaluate(full);
      return;
    }
    // the CPU's η: of the state, or R's starting η from mustart (no state: z whole); w and z are
    // there already when the state's evaluation (updateMu) left them
    const residual = this.residualForm && this.etaIsState;
    if (!(this.wzFresh && residual === this.residualForm)) this.reweight(this.base, residual);
    this.wzFresh = false;
    yield { gram, evaluate: false, residual, full };
  }

  /** η and μ here at the state of the last device evaluation (for AGQ and diagnostics) */
  syncRows(): void {
    this.catchUp();
    if (!this.rowsStale) return;
    this.setEta(this.lastFull);
    this.updateMu(this.u);
  }

  /**
   * A bound on max_i |Δη_i| from the change of the coefficients (a device step, whose η stays on
   * the device): Σ_r max|X_r| |Δβ_r| + Σ_k max_g Σ_s max|Z_ks| |Δb_kgs|, Δb = Λ Δu; the random
   * part from the device when u lives there (`randomPart`).
   */
  private etaStepBound(uOld: Float64Array[], betaOld: Float64Array, full: boolean, randomPart?: number): number {
    let bound = 0;
    if (full) for (let r = 0; r < this.model.p; r++) bound += this.colMaxX[r] * Math.abs(this.beta[r] - betaOld[r]);
    if (randomPart !== undefined) return bound + randomPart;
    this.model.blocks.forEach((b, k) => {
      const du = Float64Array.from(this.u[k], (v, j) => v - uOld[k][j]);
      const db = this.randomEffects(k, du);
      const mz = this.colMaxZ[k];
      let worst = 0;
      for (let g = 0; g < b.nl; g++) {
        let s = 0;
        for (let t = 0; t < b.q; t++) s += mz[t] * Math.abs(db[g * b.q + t]);
        if (s > worst) worst = s;
      }
      bound += worst;
    });
    return bound;
  }

  /**
   * PIRLS at θ: the conditional modes u, and β too when `beta` is null (glmer's first stage, nAGQ = 0),
   * else with β fixed at `beta`. Starts from the current state (warm start); on failure from a warm
   * start, retries once from the starting point.
   */
  run(theta: ArrayLike<number>, beta: ArrayLike<number> | null, options: PirlsOptions = {}): PirlsResult {
    const wasWarm = this.warm;
    try {
      return this.drive(this.runOnce(theta, beta, options));
    } catch (e) {
      if (!(e instanceof PirlsError) || !wasWarm) throw e;
      // retry from the start: u = 0 (and, when β is free, η from mustart)
      this.reset();
      return this.drive(this.runOnce(theta, beta, options));
    }
  }

  /** `run` for an asynchronous data pass (the WebGPU backend); the same iterations as `run`. */
  async runAsync(theta: ArrayLike<number>, beta: ArrayLike<number> | null, options: PirlsOptions = {}): Promise<PirlsResult> {
    const wasWarm = this.warm;
    try {
      return await this.driveAsync(this.runOnce(theta, beta, options));
    } catch (e) {
      if (!(e instanceof PirlsError) || !wasWarm) throw e;
      this.reset();
      return await this.driveAsync(this.runOnce(theta, beta, options));
    }
  }

  /** Runs a PIRLS generator, forming each requested weighted Gram matrix synchronously. */
  private drive<T>(steps: Generator<PassRequest, T, void>): T {
    let step = steps.next();
    while (!step.done) {
      const req = step.value;
      if ('run' in req) throw new Error('internal: device work needs runAsync / fixedEffectsFactorAsync');
      const g = req.gram;
      if (req.evaluate || !('form' in g)) throw new Error('internal: this weighted Gram pass is asynchronous: use runAsync / fixedEffectsFactorAsync');
      g.form(this.w, this.z);
      if (req.residual) addFittedPart(g.gram, this.conditionalModes(), req.full ? this.beta : null);
      step = steps.next();
    }
    return step.value;
  }

  private async driveAsync<T>(steps: Generator<PassRequest, T, void>): Promise<T> {
    let step = steps.next();
    while (!step.done) {
      const req = step.value;
      if ('run' in req) { await req.run(); step = steps.next(); continue; }
      const g = req.gram;
      if (req.evaluate) {
        // η, μ, the weights, working residual, deviance and A(w) from the state, on the device
        // (b is there already when the per-group updates run there)
        const b = this.groups ? [] : this.conditionalModes();
        this.devSum = await (g as DeviceWeightedGram).evaluateAsync({ beta: this.beta, b, base: this.base, full: g === this.gramFull, observed: this.deviceObserved });
      } else {
        if ('formAsync' in g) await g.formAsync(this.w, this.z);
        else g.form(this.w, this.z);
        if (req.residual) addFittedPart(g.gram, this.conditionalModes(), req.full ? this.beta : null);
      }
      step = steps.next();
    }
    return step.value;
  }

  /** PIRLS at θ, yielding a request to the driver whenever a state must be evaluated or A(w) formed. */
  private *runOnce(theta: ArrayLike<number>, betaFixed: ArrayLike<number> | null, options: PirlsOptions): Generator<PassRequest, PirlsResult, void> {
    const { n, p } = this.model;
    const maxIter = options.maxIter ?? 100;
    const full = betaFixed === null;
    const chol = full ? this.cholFull : this.cholU;
    const gs = this.groups ? (full ? this.groups.full : this.groups.u) : null;
    // this run replaces the state whose rows a run by levels left behind
    this.behind = false;
    this.newtonNow = false;
    this.baseBehind = false;
    this.behindFull = false;
    this.setTheta(theta);
    gs?.setTemplate(this.T[0], this.thetaNow);
    if (!full) this.beta.set(Array.from(betaFixed));
    // a run by levels where the model allows it (one term, a family with a code in familyRow.ts, aic − deviance
    // constant; with β free, with X's copy in level order, from the state: a cold start from
    // u = 0, β = 0, η = offset, where the general iteration starts from R's mustart)
    const levels = this.groupNewtonData && Number.isFinite(this.aicConst) ? (this.groupNewton ??= new GroupNewton(...this.groupNewtonData)) : null;
    if (full && levels?.formsBase) {
      const r = this.runByLevelsFull(levels, maxIter);
      if (r) return r;
    }
    if (!full && levels?.formsBase) {
      // it forms base itself, in level order: the rows' base only when asked for (catchUp)
      const r = this.runByLevels(levels, maxIter);
      if (r) { this.baseBehind = true; return r; }
    }
    // the part of η that the solve does not change
    this.formBase(full);
    if (!full && levels && !levels.formsBase) {
      const r = this.runByLevels(levels, maxIter);
      if (r) return r;
    }
    // else (a level failed) the general iteration from the same warm start; Newton's rows where they differ
    const base = this.base;
    this.newtonNow = this.newtonRows !== null || this.deviceNewton;
    if (this.newtonRows) this.wzFresh = false;
    let pdevOld: number;
    if (full && !this.warm) {
      // cold start: η from mustart; the first step has nothing to compare with
      pdevOld = Infinity;
    } else {
      // device groups: u from the accepted one and b = Λ(θ)u into this pass's coefficients
      pdevOld = gs ? yield* this.advanceDevice(gs, 2, undefined, full) : yield* this.evaluate(full);
    }
    const uOld = this.u.map((u) => new Float64Array(u.length));
    let ldL2 = NaN;
    const betaOld = new Float64Array(p);
    let halvings = 0;
    let it = 0;
    let converged = false;
    /** whether η moved since L was last factored (then L is refactored at the final weights) */
    let stale = false;
    let stepPrev = NaN;
    let stalled = 0;
    let lastStep = NaN;
    for (; it < maxIter; it++) {
      yield* this.formGram(full);
      betaOld.set(this.beta);
      let pdev: number;
      if (gs) {
        // the Newton step on the device: the factor per group at the state (from its evaluation,
        // or now after a cold start), Δβ here, then u, the evaluation and the next factor
        const fac = yield* this.deviceFactor(gs);
        const dbeta = full ? solveSchur(fac.SXX, fac.SXr, p, theta) : new Float64Array(0);
        for (let j = 0; j < dbeta.length; j++) this.beta[j] += dbeta[j];
        pdev = yield* this.advanceDevice(gs, 0, dbeta, full);
      } else {
        try {
          chol.factor(theta);
        } catch (e) {
          if (e instanceof NotPositiveDefiniteError) throw singularSystem(theta, e);
          throw e;
        }
        const sol = solveLmm(chol, n, false);
        uOld.forEach((u, k) => u.set(this.u[k]));
        if (!this.rowsOnDevice) this.etaOld.set(this.eta);
        sol.u.forEach((u, k) => this.u[k].set(u));
        if (full) this.beta.set(sol.beta);
        pdev = yield* this.evaluate(full);
      }
      // rounding in the sum over n observations: increases below this are not increases
      const noise = (this.rowsOnDevice && !this.float64Device ? Math.max(this.tolerances.halvingNoise, DEVICE_DEVIANCE_NOISE) : this.tolerances.halvingNoise) * (Math.abs(pdevOld) + 1);
      let k = 0;
      while (!(pdev <= pdevOld + noise) && Number.isFinite(pdevOld) && k < 10) {
        // step halving: average with the previous iterate
        if (full) for (let j = 0; j < p; j++) this.beta[j] = 0.5 * (this.beta[j] + betaOld[j]);
        if (gs) pdev = yield* this.advanceDevice(gs, 1, undefined, full);
        else {
          for (let b = 0; b < this.u.length; b++) {
            const u = this.u[b], uo = uOld[b];
            for (let j = 0; j < u.length; j++) u[j] = 0.5 * (u[j] + uo[j]);
          }
          pdev = yield* this.evaluate(full);
        }
        k++;
        halvings++;
      }
      if (!(pdev <= pdevOld + noise) && Number.isFinite(pdevOld)) {
        throw new PirlsError(`PIRLS step-halving failed to reduce the penalized deviance at θ = [${fmt(theta)}] (${pdevOld} → ${pdev} after 10 halvings)`);
      }
      if (!Number.isFinite(pdev)) {
        throw new PirlsError(`PIRLS: the penalized deviance is not finite at θ = [${fmt(theta)}]: the linear predictor diverged`);
      }
      let step = 0;
      if (gs) gs.accept();
      if (this.rowsOnDevice) step = this.etaStepBound(uOld, betaOld, full, gs ? this.etaBoundDevice : undefined);
      else if (this.jobs) step = this.jobStep;
      else for (let i = 0; i < n; i++) { const d = Math.abs(this.eta[i] - this.etaOld[i]); if (d > step) step = d; }
      lastStep = step;
      stale = step > 0;
      const stop = this.stopAfter(step, stepPrev, k, full ? 1 : 0, pdev, pdevOld, stalled, maxIter - it - 1);
      stalled = stop.stalled;
      if (stop.converged) { converged = true; it++; break; }
      stepPrev = k === 0 ? step : NaN;
      pdevOld = pdev;
    }
    if (!converged) {
      throw new PirlsError(`PIRLS did not converge in ${maxIter} iterations at θ = [${fmt(theta)}]${full ? '' : ' with β fixed'}: the linear predictor still moved by ${lastStep.toPrecision(3)}`);
    }
    if (this.newtonNow) {
      // L at the expected information of the final η (lme4's Laplace), not at Newton's weights: on the
      // CPU from w and z again; on the device the final state evaluated again (one round trip) and its
      // factor (its deviance is the same)
      const device = this.deviceObserved;
      this.newtonNow = false;
      if (device && gs) yield* this.advanceDevice(gs, 2, undefined, full, false);
      else {
        this.wzFresh = false;
        this.formedAt = null;
        stale = true;
      }
    }
    if (gs) {
      // log|L|² at the weights of the final η (the factor computed with its evaluation)
      ldL2 = (yield* this.deviceFactor(gs)).ldL2;
    } else {
      if (stale) {
        // L at the weights of the final η
        yield* this.formGram(full);
        chol.factor(theta);
      }
      ldL2 = chol.ldL2;
      this.lastChol = chol;
    }
    this.warm = true;
    const sqrU = gs ? this.sqrUDevice : sumSquares(this.u);
    const { family, y, weights, trials } = this.model;
    // Σ wt·d(y, μ̃) from the last evaluation (the device's, or the CPU row kernel's); aic from it
    // and the constant aic − deviance, or summed at μ̃ where that is not constant
    const devResid = this.devSum;
    const aic = Number.isFinite(this.aicConst) ? devResid + this.aicConst : family.aic(y, trials, this.mu, weights);
    return { ldL2, sqrU, devResid, aic, laplace: ldL2 + sqrU + aic, iterations: it, halvings };
  }

  /**
   * PIRLS's stopping rules after a step that moved η by max |Δη| = `step` (with k halvings): the error
   * left, estimated as the step itself, its geometric tail with the ratio to the step before
   * (`stepPrev`; Newton's quadratic convergence makes the ratio, and the tail, tiny) or Newton's next
   * step C·step² (C from this run's last two steps or earlier runs', per `mode`: 0 β fixed, 1 β free),
   * below the tolerance; a pass in f32 whose step has stopped shrinking at its noise; or the penalized
   * deviance stalled `stallCount` times running (η still moves but the deviance no longer decreases,
   * e.g. a coefficient drifting to infinity under separation: the point where it stalled is taken).
   * A step that shrank geometrically from the one before, at a ratio that reaches the tolerance
   * within the `left` iterations, is no stall: Fisher scoring (a non-canonical link) converges
   * linearly, and near the mode its penalized deviance changes by less than its rounding while η
   * still moves by 1e-7 (g052 of test/randomGlmms.test.ts, ratio 0.55: stopped 3e-8 from the mode,
   * its Laplace deviance 1.3e-9 off).
   */
  private stopAfter(step: number, stepPrev: number, k: number, mode: 0 | 1, pdev: number, pdevOld: number, stalled: number, left: number): { converged: boolean; stalled: number } {
    const tol = this.tolerances;
    const ratio = k === 0 && stepPrev > 0 ? step / stepPrev : NaN;
    const tail = ratio < 0.5 ? (step * ratio) / (1 - ratio) : Infinity;
    if (ratio < 0.5 && step > QUADRATIC_MIN_STEP) this.learnNewtonC(mode, step / (stepPrev * stepPrev));
    const next = this.newtonSteps && tol.noiseFloor === 0 && k === 0 && step < QUADRATIC_MAX_STEP ? NEWTON_C_MARGIN * this.newtonC[mode] * step * step : Infinity;
    if (step < tol.etaTol || tail < tol.etaTol || next < tol.etaTol) return { converged: true, stalled };
    if (k === 0 && step < tol.noiseFloor && step > 0.5 * stepPrev) return { converged: true, stalled };
    const converging = ratio < 1 && Math.log(tol.etaTol / step) / Math.log(ratio) <= left;
    const s = !converging && Number.isFinite(pdevOld) && Math.abs(pdevOld - pdev) <= tol.pdevStall * (Math.abs(pdev) + 1) ? stalled + 1 : 0;
    return { converged: s >= tol.stallCount, stalled: s };
  }

  /**
   * A run with β free by levels (GroupNewton.jointPass: one pass per Newton step, PIRLS's system
   * reduced to β's Schur complement level by level) from the warm state (u, β), with the general
   * iteration's step halving and stopping rules; null when it cannot go on (a singular system, step
   * halving failed, no convergence in maxIter): then the general iteration from the same state.
   */
  private runByLevelsFull(levels: GroupNewton, maxIter: number): PirlsResult | null {
    const p = this.model.p;
    const t = this.T[0];
    const u = Float64Array.from(this.u[0]), beta = Float64Array.from(this.beta);
    const uOld = new Float64Array(u.length), betaOld = new Float64Array(p);
    let ps = levels.jointPass(u, beta, t, null);
    let pdevOld = ps.devResid + ps.sqrU;
    if (!Number.isFinite(pdevOld)) return null;
    let it = 0, halvings = 0, stepPrev = NaN, stalled = 0, converged = false;
    for (; it < maxIter; it++) {
      // Newton's step from the state just evaluated: S Δβ = r, then each level's u
      const L = Float64Array.from(ps.S);
      const dbeta = Float64Array.from(ps.r);
      try {
        choleskyInPlace(L, p);
      } catch (e) {
        if (e instanceof NotPositiveDefiniteError) return null;
        throw e;
      }
      solveLower(L, p, dbeta);
      solveLowerT(L, p, dbeta);
      uOld.set(u);
      betaOld.set(beta);
      levels.jointUpdate(u, dbeta);
      for (let r = 0; r < p; r++) beta[r] += dbeta[r];
      const prev = { u: uOld, beta: betaOld };
      ps = levels.jointPass(u, beta, t, prev);
      let pdev = ps.devResid + ps.sqrU;
      const noise = this.tolerances.halvingNoise * (Math.abs(pdevOld) + 1);
      let k = 0;
      while (!(pdev <= pdevOld + noise) && k < 10) {
        for (let j = 0; j < u.length; j++) u[j] = 0.5 * (u[j] + uOld[j]);
        for (let r = 0; r < p; r++) beta[r] = 0.5 * (beta[r] + betaOld[r]);
        ps = levels.jointPass(u, beta, t, prev);
        pdev = ps.devResid + ps.sqrU;
        k++;
        halvings++;
      }
      if (!(pdev <= pdevOld + noise) || !Number.isFinite(pdev)) return null;
      const stop = this.stopAfter(ps.step, stepPrev, k, 1, pdev, pdevOld, stalled, maxIter - it - 1);
      stalled = stop.stalled;
      if (stop.converged) { converged = true; it++; break; }
      stepPrev = k === 0 ? ps.step : NaN;
      pdevOld = pdev;
    }
    if (!converged || !Number.isFinite(ps.ldL2)) return null;
    this.u[0].set(u);
    this.beta.set(beta);
    return this.leftByLevels(true, ps, it, halvings);
  }

  /**
   * Newton's constant C (next step ≈ C·step²) seen by a run, for `mode` (0 β fixed, 1 β free): kept as
   * the larger of it and the earlier ones decayed by NEWTON_C_DECAY.
   */
  private learnNewtonC(mode: 0 | 1, c: number): void {
    const seen = this.newtonC[mode];
    this.newtonC[mode] = Number.isFinite(seen) ? Math.max(c, NEWTON_C_DECAY * seen) : c;
  }

  /**
   * The result of a run by levels (β free when `full`) whose u and β are the state's: its η, μ, w, z and
   * L left behind (catchUp), the deviance's pieces from the run.
   */
  private leftByLevels(full: boolean, r: { devResid: number; ldL2: number; sqrU: number }, iterations: number, halvings: number, levelEvaluations?: number): PirlsResult {
    this.warm = true;
    this.behind = true;
    this.behindFull = full;
    this.wzFresh = false;
    this.formedAt = null;
    this.devSum = r.devResid;
    const aic = r.devResid + this.aicConst;
    return {
      ldL2: r.ldL2, sqrU: r.sqrU, devResid: r.devResid, aic, laplace: r.ldL2 + r.sqrU + aic, iterations, halvings, byLevels: true,
      ...(levelEvaluations !== undefined ? { levelEvaluations } : {}),
    };
  }

  /** base = offset (β free: the solve changes Xβ) or offset + Xβ (β fixed), in the rows' order */
  private formBase(full: boolean): void {
    if (full) this.base.set(this.model.offset);
    else if (this.jobs) {
      this.jobArrays!.beta.set(this.beta);
      this.jobs.run(FIXED_PART, this.jobArrays!.chunks);
    } else this.fixedPart(this.beta, this.base);
  }

  /**
   * A run with β fixed by levels (src/glmm/groupNewton.ts) from the current u at θ and β (base formed
   * by it, or in `base`); null when a level failed (u then unchanged). η, μ, w, z and lastChol (and
   * base, where the run formed its own) are left behind (catchUp).
   */
  private runByLevels(levels: GroupNewton, maxIter: number): PirlsResult | null {
    const tol = this.tolerances;
    // with the rule AGQ asked for last (agq), the quadrature's rows term at the modes too
    const rule = this.agqRule;
    const r = levels.run(this.u[0], this.beta, { T: this.T[0], maxIter, etaTol: tol.etaTol, halvingNoise: tol.halvingNoise, newtonC: this.newtonC[0], agqNodes: rule?.z });
    if (!r) return null;
    this.levelsRun = { ldL2: r.ldL2, rule };
    if (r.newtonC > 0) this.learnNewtonC(0, r.newtonC);
    return this.leftByLevels(false, r, r.iterations, r.halvings, r.evaluations);
  }

  /**
   * After a run by levels: η, μ, w and z at the state (η = base + ZΛu, the run's base) and L at its
   * weights (lastChol), as a general run leaves them.
   */
  private catchUp(): void {
    if (!this.behind) return;
    const full = this.behindFull;
    this.behind = false;
    this.behindFull = false;
    if (this.baseBehind || full) this.formBase(full);
    this.baseBehind = false;
    this.drive(this.evaluate(full));
    this.drive(this.formGram(full));
    const chol = full ? this.cholFull : this.cholU;
    chol.factor(this.thetaNow);
    this.lastChol = chol;
  }

  /**
   * A new state on the device (see DeviceGroupSolver.advance): u by `mode`, the pass's evaluation
   * there and the factor for the next step, in one round trip. Returns the penalized deviance.
   */
  private *advanceDevice(gs: DeviceGroupSolver, mode: 0 | 1 | 2, dbeta: Float64Array | undefined, full: boolean, lookAhead?: boolean): Generator<PassRequest, number, void> {
    const gram = (full ? this.gramFull : this.gramU) as DeviceWeightedGram;
    this.formedAt = null;
    this.factorDevice = null;
    yield {
      run: async () => {
        const observed = this.deviceObserved;
        const r = await gs.advance(mode, dbeta, () => gram.evaluateAsync({ beta: this.beta, b: [], base: this.base, full, observed }), lookAhead);
        this.sqrUDevice = r.sqrU;
        this.etaBoundDevice = r.etaBound;
        this.devSum = r.dev;
        this.factorDevice = r.factor;
      },
    };
    this.formedAt = gram;
    this.etaIsState = true;
    this.rowsStale = true;
    this.lastFull = full;
    return this.devSum + this.sqrUDevice;
  }

  /** The factor on the device at the current state: the one its evaluation computed, or now (after a cold start). */
  private *deviceFactor(gs: DeviceGroupSolver): Generator<PassRequest, DeviceFactor, void> {
    if (!this.factorDevice) yield { run: async () => { this.factorDevice = await gs.factor(); } };
    return this.factorDevice!;
  }

  /** The device's accepted u (f32), into the state here (for tests and diagnostics). */
  async syncU(): Promise<void> {
    if (!this.groups) return;
    this.u[0].set(await this.groups.full.readU());
  }

  /**
   * The adaptive Gauss–Hermite approximation of −2ℓ (lme4's glmerAGQ, src/glmm/agq.ts) at the state
   * of the last `run` (which must have converged with β fixed): one grouping factor, a scalar term
   * (agq.ts) or a vector term by the product rule (agqVector.ts, rows on the CPU).
   */
  agq(rule: GHRule): number {
    this.agqRule = rule;
    const { blocks } = this.model;
    if (blocks.length === 1 && blocks[0].q > 1 && !this.model.known?.[0]) {
      // one grouping factor with a vector term: the product rule (src/glmm/agqVector.ts) on the rows here
      this.catchUp();
      const chol = this.lastChol;
      if (!chol) throw new Error('adaptive Gauss–Hermite quadrature needs a converged PIRLS run');
      this.syncRows();
      return agqVectorDeviance({ model: this.model, L: chol.Lkk[0], ldL2: chol.ldL2, u: this.u[0], T: this.T[0], eta: this.eta, mu: this.mu }, rule);
    }
    // the last run by levels computed the rows term for this rule: no catching up
    const lv = this.behind && !this.behindFull && this.levelsRun?.rule === rule ? this.groupNewton?.agqRows(rule.z.length) : null;
    if (lv) return agqFromRowSums(this.u[0], lv.L, this.levelsRun!.ldL2, sumSquares(this.u) + this.devSum, rule, lv.rows);
    this.catchUp();
    const chol = this.lastChol;
    if (!chol || blocks.length !== 1 || blocks[0].q !== 1) throw new Error('adaptive Gauss–Hermite quadrature needs a single grouping factor');
    this.syncRows();
    return agqDeviance({ model: this.model, L: chol.Lkk[0], ldL2: chol.ldL2, u: this.u[0], t: this.T[0][0], eta: this.eta, mu: this.mu }, rule);
  }

  /**
   * `agq` with the rows term on the device where the u pass computes it (the WebGPU backend:
   * shaders/glmmPass.wgsl agqRows, f32 sums per segment), finished here in float64; else `agq`.
   */
  async agqAsync(rule: GHRule): Promise<number> {
    const g = this.gramU as DeviceWeightedGram;
    if (!this.rowsOnDevice || !g.agqOnDevice || !g.agqRowSums) return this.agq(rule);
    const chol = this.lastChol;
    const { blocks } = this.model;
    if (!chol || chol !== this.cholU || blocks.length !== 1 || blocks[0].q !== 1) throw new Error('adaptive Gauss–Hermite quadrature needs a single scalar random-effects term and a run with β fixed');
    const L = chol.Lkk[0];
    const t = this.T[0][0];
    const rows = await g.agqRowSums({ beta: this.beta, b: this.conditionalModes(), base: this.base, full: false }, Float64Array.from(L, (l) => t / l), rule.z);
    // s0 = ‖ũ‖² + Σ d(y, μ) at the state (the device's deviance of its last evaluation)
    return agqFromRowSums(this.u[0], L, chol.ldL2, sumSquares(this.u) + this.devSum, rule, rows);
  }

  /**
   * The AGQ deviance of the float64 engine's state: `agq` on the rows in memory; `agqAsync` where the
   * passes are asynchronous (an engine's passes, the rows in DuckDB or a file: its rows term is one
   * more pass there, src/gram/agq.ts).
   */
  agqValue(rule: GHRule): number | Promise<number> {
    return this.asyncPasses ? this.agqAsync(rule) : this.agq(rule);
  }

  /**
   * The fixed-effects factor at the current state (weights at the current η): R_X (p × p upper,
   * row-major) and (R_XᵀR_X)⁻¹, lme4's `unsc()`. Forms the full weighted system once.
   */
  fixedEffectsFactor(theta: ArrayLike<number>): { RX: Float64Array; unsc: Float64Array } {
    return this.drive(this.fixedEffectsSteps(theta));
  }

  /** `fixedEffectsFactor` for an asynchronous data pass */
  fixedEffectsFactorAsync(theta: ArrayLike<number>): Promise<{ RX: Float64Array; unsc: Float64Array }> {
    return this.driveAsync(this.fixedEffectsSteps(theta));
  }

  private *fixedEffectsSteps(theta: ArrayLike<number>): Generator<PassRequest, { RX: Float64Array; unsc: Float64Array }, void> {
    const { p, offset } = this.model;
    // the state's rows and L first, as a general run leaves them (base is replaced below)
    this.catchUp();
    this.setTheta(theta);
    this.base.set(offset);
    // the state's η (β free: base = offset) and A(w) there
    const gs = this.groups?.full;
    if (gs) {
      gs.setTemplate(this.T[0], this.thetaNow);
      yield* this.advanceDevice(gs, 2, undefined, true);
    } else {
      yield* this.evaluate(true);
      yield* this.formGram(true);
    }
    const Lp = new Float64Array(p * p);
    const RX = new Float64Array(p * p);
    if (gs) {
      // R_XᵀR_X is the Schur complement S_XX of the factor on the device
      const SXX = this.factorDevice!.SXX;
      for (let r = 0; r < p; r++) for (let c = 0; c <= r; c++) Lp[r * p + c] = SXX[r * p + c];
      choleskyInPlace(Lp, p, 'the fixed-effects block of the penalized weighted least-squares system');
      for (let r = 0; r < p; r++) for (let s = 0; s <= r; s++) RX[s * p + r] = Lp[r * p + s];
    } else {
      this.cholFull.factor(theta);
      const p1 = p + 1;
      const LXX = this.cholFull.LXX;
      for (let r = 0; r < p; r++) for (let s = 0; s <= r; s++) { Lp[r * p + s] = LXX[r * p1 + s]; RX[s * p + r] = LXX[r * p1 + s]; }
    }
    const Li = invertLower(Lp, p);
    const unsc = new Float64Array(p * p);
    for (let r = 0; r < p; r++) {
      for (let s = 0; s < p; s++) {
        let acc = 0;
        for (let t = Math.max(r, s); t < p; t++) acc += Li[t * p + r] * Li[t * p + s];
        unsc[r * p + s] = acc;
      }
    }
    return { RX, unsc };
  }

  /** Conditional variances of b (σ = 1) at the state's weights: Λ (L_Z L_Zᵀ)⁻¹ Λᵀ, per level. */
  conditionalVariances(): Float64Array[] {
    this.catchUp();
    if (!this.lastChol) throw new Error('internal: conditional variances before PIRLS');
    const known = this.model.known;
    if (!known?.some((f) => f)) return conditionalVariances(this.lastChol, 1);
    // blocks with a known covariance: (F ⊗ T) (L Lᵀ)⁻¹ (F ⊗ T)ᵀ (src/relmat/conditional.ts)
    const cv = conditionalVariances(this.lastChol, 1, (k) => known[k] !== null);
    knownConditionalVariances(this.lastChol, known, 1, cv);
    return cv;
  }

  /** b = Λ u per block at the current θ ((F ⊗ I) Λ u for a block with a known covariance) */
  conditionalModes(): Float64Array[] {
    return this.model.blocks.map((_, k) => this.randomEffects(k, this.u[k]));
  }

  /** the θ of the current state */
  get theta(): Float64Array {
    return this.thetaNow;
  }
}

/**
 * aic − Σ wt·d(y, μ), which does not depend on μ for the families without a scale (both are −2 log-likelihoods, the
 * deviance relative to the saturated model): evaluated at R's starting μ and checked at a second
 * μ; NaN where it is not constant (binomial counts m·y that are not whole numbers, which R's aic
 * rounds), and then η and μ stay on the CPU.
 */
function aicMinusDeviance(model: PirlsModel): number {
  const { n, family, y, weights, trials } = model;
  // Gamma, inverse.gaussian: the aic depends on μ through the dispersion Σ wt d(y, μ)/Σ wt (family.ts),
  // so it is computed whole at each state (the rows on the CPU; no runs by levels)
  if (family.hasScale) return NaN;
  // binomial 0/1 responses with unit weights (one trial each): −2 log p(y | μ) = −2 log(μ^y (1 − μ)^(1 − y))
  // is the unit deviance itself, so the difference is 0 (no passes over the rows needed)
  if (family.family === 'binomial' && zeroOneUnit(y, weights, trials)) return 0;
  const mu = new Float64Array(n);
  const at = (shift: number): [number, number] => {
    let dev = 0;
    for (let i = 0; i < n; i++) {
      mu[i] = family.linkinv(family.linkfun(family.mustart(y[i], weights[i])) + shift);
      dev += family.devResid(y[i], mu[i], weights[i]);
    }
    return [family.aic(y, trials, mu, weights) - dev, dev];
  };
  const [c0, d0] = at(0);
  const [c1, d1] = at(0.25);
  return Math.abs(c1 - c0) <= 1e-9 * (Math.abs(c0) + d0 + d1 + 1) ? c0 : NaN;
}

/**
 * A link whose μ can leave the family's range (family.muRange: binomial's log, poisson's identity): the
 * PirlsError where a μ is outside it. lme4 1.1-31's PIRLS stops there too ("PIRLS loop resulted in NaN
 * value": the deviance or the weights are NaN), without step halving; here also where lme4's clamped
 * variance would keep the deviance finite (a binomial y = 1 with μ > 1), which is no likelihood.
 */
function checkMuRange(family: GlmFamily, mu: Float64Array, theta: ArrayLike<number>): void {
  for (let i = 0; i < mu.length; i++) {
    if (!family.validmu(mu[i])) {
      throw new PirlsError(`PIRLS: the ${family.family} family's mean left its range with the ${family.link} link at θ = [${fmt(theta)}]: μ = ${mu[i]} in row ${i + 1}, where the family needs ${family.muRange}; lme4 1.1-31 stops here too ("PIRLS loop resulted in NaN value"). Try the family's canonical link`);
    }
  }
}

/** every y is 0 or 1, and every prior weight and number of trials 1 */
function zeroOneUnit(y: Float64Array, weights: Float64Array, trials: Float64Array | null): boolean {
  for (let i = 0; i < y.length; i++) if ((y[i] !== 0 && y[i] !== 1) || weights[i] !== 1 || (trials && trials[i] !== 1)) return false;
  return true;
}

/** The PirlsError for a penalized weighted least-squares system (or `part` of it) that is not positive definite. */
function singularSystem(theta: ArrayLike<number>, e: NotPositiveDefiniteError, part = ''): PirlsError {
  return new PirlsError(`PIRLS: ${part}the penalized weighted least-squares system is singular at θ = [${fmt(theta)}] (${e.message}); the fixed effects may not be estimable (complete separation, or a column with all weight on zero)`);
}

/** Δβ from S_XX Δβ = S_Xr (the fixed effects' Schur complement, p × p), by Cholesky in float64. */
function solveSchur(SXX: Float64Array, SXr: Float64Array, p: number, theta: ArrayLike<number>): Float64Array {
  const L = Float64Array.from(SXX);
  try {
    choleskyInPlace(L, p);
  } catch (e) {
    if (!(e instanceof NotPositiveDefiniteError)) throw e;
    throw singularSystem(theta, e, 'the fixed-effects block of ');
  }
  const x = Float64Array.from(SXr);
  solveLower(L, p, x);
  solveLowerT(L, p, x);
  return x;
}

function sumSquares(us: Float64Array[]): number {
  let s = 0;
  for (const u of us) for (let j = 0; j < u.length; j++) s += u[j] * u[j];
  return s;
}

function fmt(theta: ArrayLike<number>): string {
  return Array.from(theta, (t) => Number(t).toPrecision(4)).join(', ');
}
