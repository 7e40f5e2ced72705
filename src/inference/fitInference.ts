/**
 * Inference on fitted models, the library's entry points (the CLI and the fit methods of
 * methods.ts call these): lmerTest's coefficient table and anova of type I, II or III with Satterthwaite's or
 * Kenward–Roger's ddf, contrasts, lme4's confint (Wald, profile, parametric bootstrap), the
 * bootstrap itself, prediction intervals, and anova(m0, m1, …) between nested models.
 *
 * An ML refit (anova of REML fits, profiles) goes through the core's fit driver
 * (src/lmm/fit.ts optimizeAndAssemble) on the same model with REML off; nothing here re-reads data.
 */
import { ModelError, OptionError } from '../errors/errors.js';
import type * as arrow from 'apache-arrow';
import { CpuBackend } from '../backend/cpu/cpuBackend.js';
import { formGram, referenceGram } from '../backend/cpu/gram.js';
import { knownCovarianceGram } from '../relmat/gram.js';
import { type BackendOptions, bootstrapGramBackend } from '../backend/select.js';
import type { GramMatrix } from '../linalg/gram.js';
import type { BlockedCholesky } from '../linalg/blockedCholesky.js';
import { fillTemplate } from '../linalg/template.js';
import type { FixedTransform } from '../model/fixedTransform.js';
import { fitFromStart, optimizeAndAssemble } from '../lmm/fit.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import type { LmmModel } from '../lmm/model.js';
import { thetaToInternal } from '../model/reparam.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { PirlsEngine } from '../glmm/pirls.js';
import { type NewDataDesign, fittedDesign, newDataDesign } from '../results/predict.js';
import { type DdfContext, type FTest, type TTest, contest1D, contestMD } from './contest.js';
import { kenwardRoger } from './kenwardRoger.js';
import { type LsMeansOptions, type LsMeansTable, lsMeansTable } from './lsMeans.js';
import type { NamedHypothesis } from './lsMeansContrasts.js';
import { fullNullBasis } from './referenceGrid.js';
import { varparCovariance } from './satterthwaite.js';
import { type FixedDesign, gramDesign } from './fixedDesign.js';
import { type AnovaType, type AnovaTypeOption, anovaHypotheses, checkAnovaType } from './anovaType.js';
import { lmmProfileProblem, sdcorToTheta, varianceParameterNames } from './lmmProfile.js';
import { glmmProfileProblem } from './glmmProfile.js';
import { LowerDevianceError, type ProfileOptions, profileIntervals, profileModel } from './profile.js';
import { type BootstrapOptions, type BootstrapResult, bootstrapIntervals, bootstrapLmm } from './bootstrap.js';
import { BCA_MIN_REPLICATES, type BootType, checkBootType } from './bootCi.js';
import { bootstrapGlmm } from './glmmBootstrap.js';
import { likelihoodRatioTable, type LrtModel, type LrtTable } from './lrt.js';
import { type PredictionRow, normalInterval, predictionVariances } from './predictInterval.js';
import { qnorm } from '../stats/distributions.js';
import { refuseEngineRows, refuseKnownCovariance } from './knownCovariance.js';
import { parametersOfTheta, structuredRefusal } from '../model/covStructure.js';
import { structuredVarparCovariance } from './structuredSatterthwaite.js';

export type Ddf = 'satterthwaite' | 'kenward-roger';

export function checkDdf(ddf: string | undefined): Ddf {
  const d = (ddf ?? 'satterthwaite').toLowerCase().replace('_', '-');
  if (d === 'satterthwaite' || d === 'kenward-roger') return d;
  throw new OptionError('ddf', `unknown ddf method '${ddf}' (choose satterthwaite or kenward-roger)`);
}

/**
 * Refuses inference that assumes lme4's criterion on a fit that minimized something else: a fixed
 * residual σ (lmer's `sigma`) or a posterior mode under blme's priors. Their Satterthwaite /
 * Kenward–Roger df, profiles, bootstrap refits and likelihood-ratio tests would need the changed
 * objective throughout; Wald intervals and prediction intervals need only the fit.
 */
export function checkLme4Criterion(fit: LmmFit | GlmmFit, what: string, structures: 'refuse' | 'allow' = 'refuse'): void {
  if ('sigmaFixed' in fit && fit.sigmaFixed) throw new ModelError(`${what} is not available for a fit with a fixed residual σ (lmer's sigma option): it assumes lme4's criterion`);
  if (fit.annotation) throw new ModelError(`${what} is not available for a fit with priors (blme's posterior mode): it assumes lme4's criterion`);
  // covariance structures (glmmTMB's ar1, cs, diag, toep): their refits go through optimizeAndAssemble,
  // which optimizes the structure's parameters; anything that works in θ itself is refused
  if (structures === 'refuse') {
    const available = 'sigmaFixed' in fit
      ? "Satterthwaite's tests, Wald intervals, predictions, emmeans and likelihood-ratio tests between fits are available"
      : "z tests, Wald intervals, predictions, emmeans, drop1 and likelihood-ratio tests between fits are available";
    const refusal = structuredRefusal(fit.model.covariance, what, `it works in the unstructured parameters θ of lme4 (${available})`);
    if (refusal) throw refusal;
  }
}

interface Cached { gram?: GramMatrix; reference?: CpuBackend; ctx: Map<Ddf, { ctx: DdfContext; messages: string[] }>; ml?: LmmFit; reml?: LmmFit }
const cache = new WeakMap<LmmFit, Cached>();
const cached = (fit: LmmFit): Cached => {
  let c = cache.get(fit);
  if (!c) cache.set(fit, (c = { ctx: new Map() }));
  return c;
};

/**
 * The fit's float64 factor, for `what`: of its Gram matrix formed again from the model's rows (once
 * per fit), or, for a fit whose rows are in an SQL engine or a stream (lmerSql, lmerStream, the CLI's
 * --engine), of the A that engine formed (kept on the model's source, src/gram/fit.ts): the ddf
 * methods, anova, contrasts, profiles and ML refits need only A. A source without its A is refused
 * with a message that says so.
 */
export function referenceOf(fit: LmmFit, what: string): CpuBackend {
  const c = cached(fit);
  if (!c.reference) {
    const model = fit.model;
    const engineGram = model.source?.gram;
    if (!engineGram) refuseEngineRows(model, what);
    c.gram = engineGram ?? formGram(model);
    // with known covariances (relmat), A transformed by their factors as in the fit (src/relmat/gram.ts;
    // the engines take none: src/gram/fit.ts refuseRelmatOption)
    c.reference = new CpuBackend(knownCovarianceGram(c.gram, model.known), model.theta.length, undefined, engineGram ? undefined : () => referenceGram(model));
  }
  return c.reference;
}

/**
 * The ddf method's parts at the fit (computed once per fit and method). Kenward–Roger needs a REML
 * fit, as lmerTest; where it cannot be computed (pbkrtest's information matrix computationally
 * singular; a boundary fit with more random effects than the exact dense path takes), Satterthwaite's
 * is used with lmerTest's message.
 */
export function ddfContext(fit: LmmFit, ddf: Ddf): { ctx: DdfContext; messages: string[] } {
  // a fit with covariance structures: Satterthwaite's in the structures' parameters, Kenward–Roger's refused
  checkLme4Criterion(fit, ddf === 'satterthwaite' ? "Satterthwaite's method" : "Kenward-Roger's method", ddf === 'satterthwaite' ? 'allow' : 'refuse');
  const c = cached(fit);
  const hit = c.ctx.get(ddf);
  if (hit) return hit;
  const chol = referenceOf(fit, ddf === 'satterthwaite' ? "Satterthwaite's method" : "Kenward-Roger's method").chol;
  let out: { ctx: DdfContext; messages: string[] };
  if (ddf === 'kenward-roger') {
    if (!fit.reml) throw new ModelError("Kenward-Roger's method is only available for REML model fits (lmerTest's rule): fit with REML, or use --ddf satterthwaite");
    try {
      const kr = kenwardRoger({ chol, model: fit.model, theta: fit.theta, sigma: fit.sigma });
      out = { ctx: { method: 'kenward-roger', kr, beta: fit.beta, sigma: fit.sigma }, messages: [] };
    } catch (e) {
      const sat = ddfContext(fit, 'satterthwaite');
      out = { ctx: sat.ctx, messages: [...sat.messages, `Unable to compute Kenward-Roger's method (${(e as Error).message}): using Satterthwaite instead`] };
    }
  } else {
    const inTheta = varparCovariance({ chol, model: fit.model, theta: fit.theta });
    const cov = fit.model.covariance;
    const sat = cov ? structuredVarparCovariance(inTheta, cov, parametersOfTheta(cov, fit.theta, fit.sigma)) : inTheta;
    out = { ctx: { method: 'satterthwaite', sat }, messages: sat.warnings };
  }
  c.ctx.set(ddf, out);
  return out;
}

export interface CoefficientRow extends TTest { name: string }

/** lmerTest's summary coefficient table: per fixed effect its estimate, SE, df, t and p (KR: SE and t from Φ_A). */
export function coefficientTable(fit: LmmFit, options: { ddf?: Ddf } = {}): { ddf: Ddf; rows: CoefficientRow[]; messages: string[] } {
  const ddf = checkDdf(options.ddf);
  const { ctx, messages } = ddfContext(fit, ddf);
  const xn = fit.model.frame.xnames;
  const rows = xn.map((name, j) => ({ name, ...contest1D(ctx, xn.map((_, c) => (c === j ? 1 : 0))) }));
  return { ddf: ctx.method, rows, messages };
}

export interface AnovaRow extends FTest { term: string }

/**
 * What anova's hypotheses read of X (fixedDesign.ts): the frame's rows, or for a fit whose rows are in
 * an engine, A's XᵀX block (through the fixed-effects transform) and the term structure.
 */
export function fixedDesignOf(fit: LmmFit): FixedDesign | undefined {
  const model = fit.model;
  if (!model.source) return undefined;
  const gram = referenceOf(fit, 'anova').chol.gram;
  const s = model.source;
  return gramDesign(model.frame, model.fixed, gram.AXX, model.weights !== null || model.frame.weightsName !== undefined, `${s.engine === 'stream' ? 'a stream' : s.engine} (${s.name})`);
}

/**
 * lmerTest's anova(fit, type, ddf): one F test per fixed-effects term of its type I, II or III
 * hypothesis (default III; src/inference/anovaType.ts). Terms with no estimable column are left out.
 */
export function anovaTable(fit: LmmFit, options: { ddf?: Ddf; type?: AnovaTypeOption } = {}): { ddf: Ddf; type: AnovaType; rows: AnovaRow[]; messages: string[]; hypotheses: NamedHypothesis[] } {
  const type = checkAnovaType(options.type);
  const ddf = checkDdf(options.ddf);
  const { ctx, messages } = ddfContext(fit, ddf);
  const tested = anovaHypotheses(fit.model.frame, type, fixedDesignOf(fit)).filter((h) => h.L.length > 0);
  const rows = tested.map((h) => ({ term: h.term, ...contestMD(ctx, h.L) }));
  // the matrices behind the rows, as lmerTest's show_tests(anova(fit, type)) shows them
  const xnames = fit.model.frame.xnames;
  const hypotheses = tested.map((h) => ({ term: h.term, rowNames: h.rowNames ?? h.L.map((_, r) => String(r + 1)), colNames: [...xnames], L: h.L }));
  return { ddf: ctx.method, type, rows, messages, hypotheses };
}

/**
 * lmerTest's ls_means(fit, which, level, ddf, pairwise) (difflsmeans: pairwise): the least-squares
 * means of the factor terms, each a contest1D of a row of lmerTest's own contrast matrices
 * (src/inference/lsMeans.ts, lsMeansContrasts.ts).
 */
export function lsMeans(fit: LmmFit, options: LsMeansOptions = {}): LsMeansTable {
  const ddf = checkDdf(options.ddf);
  const { ctx, messages } = ddfContext(fit, ddf);
  return lsMeansTable(fit.model.frame, fit.model.frame.xnames, ctx, { ...options, messages }, () => fullNullBasis(fit.model, 'ls_means'));
}

/** The test of Lβ = 0 for any contrast matrix L (rows of p entries; one row also gives its t test). */
export function contrastTest(fit: LmmFit, L: number[][] | number[], options: { ddf?: Ddf } = {}): FTest & { t?: TTest } {
  const rows = (Array.isArray(L[0]) ? L : [L]) as number[][];
  const { ctx } = ddfContext(fit, checkDdf(options.ddf));
  const F = contestMD(ctx, rows);
  return rows.length === 1 ? { ...F, t: contest1D(ctx, rows[0]) } : F;
}

/** The ML fit of the same model (lme4's refitML): the fit itself when it is ML. */
export function mlFit(fit: LmmFit): Promise<LmmFit> {
  return refitCriterion(fit, false);
}

/** The REML fit of the same model (update(fit, REML = TRUE), as pbkrtest's KRmodcomp and SATmodcomp refit an ML fit): the fit itself when it is REML. */
export function remlFit(fit: LmmFit): Promise<LmmFit> {
  return refitCriterion(fit, true);
}

/** the fit of the same model with the REML (true) or ML (false) criterion, optimized from the model's start on the fit's Gram matrix; cached per fit */
async function refitCriterion(fit: LmmFit, reml: boolean): Promise<LmmFit> {
  const what = reml ? 'a REML refit' : 'an ML refit';
  // a model with covariance structures is refitted in their parameters (optimizeAndAssemble)
  checkLme4Criterion(fit, what, 'allow');
  if (fit.reml === reml) return fit;
  const c = cached(fit);
  const key = reml ? 'reml' : 'ml';
  const hit = c[key];
  if (hit) return hit;
  const model: LmmModel = Object.assign(Object.create(Object.getPrototypeOf(fit.model)), fit.model, { reml });
  const reference = referenceOf(fit, what);
  const refit = await optimizeAndAssemble(model, reference, reference, {}, { calcDerivs: false }, performance.now());
  c[key] = refit;
  return refit;
}

/** The ML fit refitted from the profile point `par` (sd/cor and σ, then β): θ's start there. */
async function mlRefitFrom(fit: LmmFit, ml: LmmFit, par: Float64Array): Promise<LmmFit> {
  const model = ml.model;
  const nvp = varianceParameterNames(model.frame.reTerms).length;
  const theta = sdcorToTheta(model.frame.reTerms, par, par[nvp - 1]);
  return fitFromStart(model, referenceOf(fit, 'a refit'), thetaToInternal(model, theta));
}

export type ConfintMethod = 'wald' | 'profile' | 'boot';

export interface ConfintOptions {
  method?: ConfintMethod;
  level?: number;
  /** bootstrap: replicates and seed, and where its data pass runs ('cpu' default, 'webgpu', 'auto') */
  backend?: BackendOptions['backend'];
  nsim?: number;
  seed?: number;
  /**
   * bootstrap: boot.ci's interval type (bootCi.ts): 'perc' (default, as lme4), 'basic', 'norm' or
   * 'bca' (which also refits the model without each level of a grouping factor: the jackknife)
   */
  type?: BootType;
  /** bootstrap with type 'bca': the grouping factor whose levels the jackknife leaves out (default: the model's only one) */
  jackknife?: string;
  onProgress?: BootstrapOptions['onProgress'];
  signal?: AbortSignal;
  /** profile: lme4's profile settings */
  profile?: ProfileOptions;
}

export interface ConfintResult {
  method: ConfintMethod;
  level: number;
  /** the bootstrap's interval type (method boot only) */
  type?: BootType;
  /** lme4's names (oldNames = FALSE); null where lme4 reports NA */
  intervals: Record<string, [number | null, number | null]>;
  messages: string[];
}

function checkLevel(level: number): void {
  if (!(level > 0 && level < 1)) throw new OptionError('level', `level must be between 0 and 1 (exclusive), got ${level}`);
}

/** lme4's confint(fit, method = "Wald" | "profile" | "boot", oldNames = FALSE) for an lmer fit. */
export async function confintLmm(fit: LmmFit, options: ConfintOptions = {}): Promise<ConfintResult> {
  const method = (options.method ?? 'profile').toLowerCase() as ConfintMethod;
  const level = options.level ?? 0.95;
  checkLevel(level);
  const vp = varianceParameterNames(fit.model.frame.reTerms);
  if (method === 'wald') return waldIntervals(fit, vp, level);
  if (method === 'profile') {
    checkLme4Criterion(fit, 'a profile');
    const profileAt = (ml: LmmFit) => profileModel(lmmProfileProblem({
      // the fit's Gram matrix (with known covariances, transformed as in the fit)
      model: ml.model, gram: referenceOf(fit, 'profile intervals').chol.gram,
      ml: { theta: ml.theta, sigma: ml.sigma, beta: ml.beta, se: Float64Array.from(ml.model.frame.xnames, (x) => ml.se[x]), deviance: ml.objective },
    }), { ...options.profile, signal: options.signal });
    const ml = await mlFit(fit);
    const notes: string[] = [];
    let prof: ReturnType<typeof profileAt>;
    try {
      prof = profileAt(ml);
    } catch (e) {
      // lme4 stops here; a profile's refit found a lower ML deviance than the ML fit's (by more than
      // devtol, 1e-9: an optimizer's tolerance can leave that much at a boundary fit), so the ML fit
      // is refitted from that point and the profile run again from the better optimum, once
      if (!(e instanceof LowerDevianceError)) throw e;
      const better = await mlRefitFrom(fit, ml, e.point.par);
      if (!(better.objective < ml.objective)) throw e;
      notes.push(`profiling detected a new, lower deviance (${e.point.deviance} < ${ml.objective}): the ML fit was refitted from that point (${better.objective}) and profiled again`);
      prof = profileAt(better);
    }
    const { intervals, warnings } = profileIntervals(prof, level);
    return { method, level, intervals: Object.fromEntries(intervals.map((i) => [i.name, [i.lower, i.upper]])), messages: [...notes, ...prof.warnings, ...warnings] };
  }
  if (method === 'boot') {
    const type = checkBootType(options.type);
    return bootIntervals(await bootstrapFit(fit, { ...bootOptions(options, type), backend: options.backend }), level, type);
  }
  throw new OptionError('method', `unknown confint method '${options.method}' (choose profile, wald or boot)`);
}

/** The bootstrap's options of confint's: BCa's jackknife, and its replicates checked before any refit. */
function bootOptions(options: ConfintOptions, type: BootType): BootstrapOptions {
  const nsim = options.nsim ?? 500;
  if (type === 'bca' && nsim < BCA_MIN_REPLICATES) throw new OptionError('nsim', `BCa intervals need at least ${BCA_MIN_REPLICATES} bootstrap replicates, got nsim = ${nsim}`);
  if (options.jackknife !== undefined && type !== 'bca') throw new OptionError('jackknife', `the jackknife is for BCa intervals (type 'bca'), not type '${type}'`);
  return { nsim, seed: options.seed, onProgress: options.onProgress, signal: options.signal, ...(type === 'bca' ? { jackknife: options.jackknife ?? true } : {}) };
}

/** boot.ci's intervals (percentile by default) of a bootstrap's statistics, as confint(method = "boot") reports them. */
function bootIntervals(boot: BootstrapResult & { messages: string[] }, level: number, type: BootType): ConfintResult {
  const { intervals, warnings } = bootstrapIntervals(boot, level, type);
  const msgs = [...boot.messages, ...warnings];
  if (boot.refits.failed) msgs.push(`${boot.refits.failed} of ${boot.nsim} bootstrap refits failed`);
  if (boot.jackknife) msgs.push(`BCa's acceleration from the jackknife over the ${boot.jackknife.levels.length} levels of ${boot.jackknife.factor}`);
  return { method: 'boot', level, type, intervals: Object.fromEntries(intervals.map((i) => [i.name, [i.lower, i.upper]])), messages: msgs };
}

/** Wald intervals: β̂ ± z SE for the fixed effects; none for the variance parameters (null, as lme4's NA). */
function waldIntervals(fit: LmmFit | GlmmFit, vp: string[], level: number): ConfintResult {
  const z = qnorm(1 - (1 - level) / 2);
  const intervals: Record<string, [number | null, number | null]> = {};
  for (const name of vp) intervals[name] = [null, null];
  for (const [name, b] of Object.entries(fit.fixef)) intervals[name] = [b - z * fit.se[name], b + z * fit.se[name]];
  return { method: 'wald', level, intervals, messages: ['Wald intervals are not available for the variance parameters (lme4 reports NA): use method profile or boot'] };
}

/** The parametric bootstrap of an lmer fit (batched Gram parts, warm-started refits). */
export async function bootstrapFit(fit: LmmFit, options: BootstrapOptions & BackendOptions): Promise<BootstrapResult & { messages: string[] }> {
  checkLme4Criterion(fit, 'the parametric bootstrap');
  refuseKnownCovariance(fit.model, 'the parametric bootstrap', "its simulation draws each level's random effects independently, not with K's covariance");
  // its replicates are responses simulated on the model's rows (Z and X), and their A's formed from them
  refuseEngineRows(fit.model, 'the parametric bootstrap');
  referenceOf(fit, 'the parametric bootstrap');
  const messages: string[] = [];
  const device = options.gramSource ? null : await bootstrapGramBackend(fit.model, options, messages);
  try {
    const res = await bootstrapLmm({ model: fit.model, gram: cached(fit).gram!, theta: fit.theta }, { ...options, gramSource: options.gramSource ?? device?.batch });
    if (device) messages.push(`the bootstrap's data pass ran on WebGPU (${device.device})`);
    return { ...res, messages };
  } finally {
    device?.dispose();
  }
}

export type IntervalKind = 'prediction' | 'confidence';

export interface PredictionIntervals {
  fit: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  /** the standard error of each bound's half-width: √Var (confidence) or √(Var + new-level variance + σ²) (prediction) */
  se: Float64Array;
}

/**
 * What predictionVariances needs of a fit: the blocked factor at the internal θ̂, the blocks' internal
 * templates there, and each block's Σ_b = σ² T Tᵀ of lme4's θ̂ in the model's coordinates (terms of a
 * block side by side).
 */
function predictionSystem(fit: LmmFit, what: string): { chol: BlockedCholesky; templates: Float64Array[]; covariance: Float64Array[] } {
  const model = fit.model;
  const chol = referenceOf(fit, what).chol;
  const thetaInt = thetaToInternal(model, fit.theta);
  chol.factor(thetaInt);
  const templates = model.internalBlocks.map((b) => { const T = new Float64Array(b.q * b.q); fillTemplate(b, thetaInt, T); return T; });
  const covariance = model.blocks.map((b) => {
    const q = b.q;
    const T = new Float64Array(q * q);
    fillTemplate(b, fit.theta, T);
    const S = new Float64Array(q * q);
    for (let r = 0; r < q; r++) for (let c = 0; c < q; c++) { let acc = 0; for (let u = 0; u < q; u++) acc += T[r * q + u] * T[c * q + u]; S[r * q + c] = fit.sigma * fit.sigma * acc; }
    return S;
  });
  return { chol, templates, covariance };
}

/**
 * A design's rows as predictionVariances reads them: x, and per block the row's level (−1: new, or
 * none, counted as new) and z (zeros where the design has no block: population level).
 */
function predictionRows(model: Pick<LmmFit['model'], 'frame' | 'blocks'>, d: NewDataDesign): PredictionRow[] {
  const { n, X } = d;
  const p = model.frame.p;
  return Array.from({ length: n }, (_, i) => ({
    x: Float64Array.from({ length: p }, (_, j) => X[j * n + i]),
    groups: model.blocks.map((_, k) => {
      const blk = d.blocks?.[k];
      const level = blk ? blk.codes[i] : -1;
      return { level: level >= 0 ? level : -1, z: blk ? blk.Z.map((col) => col[i]) : new Array(model.blocks[k].q).fill(0) };
    }),
  }));
}

/**
 * lme4's hatvalues(fit): the diagonal of the hat matrix H = W̃ A⁻¹ W̃ᵀ of the penalized least-squares
 * system, W̃ = √W [ZΛ X], A = W̃ᵀW̃ + [I 0; 0 0] = L Lᵀ (the blocked factor at θ̂), so
 *   h_i = w_i ‖L⁻¹ [Λᵀ z_i; x_i]‖² = w_i Var(ŷ_i)/σ²
 * with Var(ŷ_i) the fitted row's confidence variance (predictInterval.ts, one sparse forward solve a
 * row); Σ h_i is the model's effective degrees of freedom. Known covariances are refused, as the
 * intervals are.
 */
export function hatValues(fit: LmmFit): Float64Array {
  refuseKnownCovariance(fit.model, 'hat values', "their solve treats each grouping factor's levels as independent");
  // one value per row of the fit: its rows' x and z
  refuseEngineRows(fit.model, 'hat values');
  const model = fit.model;
  const { chol, templates, covariance } = predictionSystem(fit, 'hat values');
  const weights = model.frame.weights;
  const v = predictionVariances(chol, model.fixed, model.blocks, model.transforms, templates, covariance, fit.sigma, predictionRows(model, fittedDesign(fit)));
  const s2 = fit.sigma * fit.sigma;
  return Float64Array.from(v, (vi, i) => ((weights ? weights[i] : 1) * vi.confidence) / s2);
}

/**
 * lme4's hatvalues(fit) of a glmer fit (hatvalues.merMod, which warns that "the hat matrix may not make
 * sense for GLMMs"): the same h_i = w_i ‖L⁻¹ [Λᵀ z_i; x_i]‖² with L the factor of the penalized weighted
 * least-squares system at the optimum, [[ΛᵀZᵀWZΛ + I, ΛᵀZᵀWX], [XᵀWZΛ, XᵀWX]] with PIRLS's weights
 * W = w (dμ/dη)²/V(μ̂) at (θ̂, β̂, ũ) (lme4's L, RZX, RX after the last PIRLS run), and w_i the prior
 * weights (lme4's sqrtW = √weights(fit, "prior"), so a binomial row of m trials counts m times).
 */
export function glmmHatValues(fit: GlmmFit): Float64Array {
  refuseKnownCovariance(fit.model, 'hat values', "their solve treats each grouping factor's levels as independent");
  refuseEngineRows(fit.model, 'hat values');
  const model = fit.model;
  const engine = new PirlsEngine(model.pirls);
  const thetaInt = thetaToInternal(model, fit.theta);
  // the conditional modes at (θ̂, β̂), then the full system formed and factored at their weights
  engine.run(thetaInt, fit.beta);
  engine.fixedEffectsFactor(thetaInt);
  const chol = engine.cholFull;
  const templates = model.internalBlocks.map((b) => { const T = new Float64Array(b.q * b.q); fillTemplate(b, thetaInt, T); return T; });
  // every fitted row has its levels: no new level's variance is read
  const covariance = model.blocks.map((b) => new Float64Array(b.q * b.q));
  // PIRLS's X is the model's own (not centred): the identity transform
  const identity = { intercept: -1, means: new Float64Array(model.frame.p) } as FixedTransform;
  const v = predictionVariances(chol, identity, model.blocks, model.transforms, templates, covariance, 1, predictionRows(model, fittedDesign(fit)));
  const w = model.pirls.weights;
  return Float64Array.from(v, (vi, i) => w[i] * vi.confidence);
}

/** Confidence or prediction intervals for new rows (predictInterval.ts). */
export function predictWithIntervals(fit: LmmFit, newdata: arrow.Table, options: { interval: IntervalKind; level?: number; groups?: boolean; allowNewLevels?: boolean }): PredictionIntervals {
  const level = options.level ?? 0.95;
  checkLevel(level);
  refuseKnownCovariance(fit.model, 'prediction and confidence intervals', "their variances treat each grouping factor's levels as independent; the conditional SDs (fit.ranef) are on K's scale");
  if (options.interval !== 'prediction' && options.interval !== 'confidence') throw new OptionError('interval', `interval must be 'prediction' or 'confidence', got '${String(options.interval)}'`);
  const yhat = fit.predict(newdata, { groups: options.groups, allowNewLevels: options.allowNewLevels });
  const d = newDataDesign(fit, newdata, { groups: options.groups, allowNewLevels: options.allowNewLevels });
  const model = fit.model;
  const { chol, templates, covariance } = predictionSystem(fit, 'prediction and confidence intervals');
  const n = d.n;
  const v = predictionVariances(chol, model.fixed, model.blocks, model.transforms, templates, covariance, fit.sigma, predictionRows(model, d));
  const lower = new Float64Array(n), upper = new Float64Array(n), se = new Float64Array(n);
  v.forEach((vi, i) => {
    // without group effects every factor is "new": its variance belongs to a prediction
    const variance = options.interval === 'prediction' ? vi.prediction : vi.confidence;
    const [lo, hi] = normalInterval(yhat[i], variance, level);
    lower[i] = lo; upper[i] = hi; se[i] = Math.sqrt(variance);
  });
  return { fit: yhat, lower, upper, se };
}

/** confint for a glmer fit: Wald (fixed effects), profile (θ on the SD scale and β) or the parametric bootstrap (glmmBootstrap.ts). */
export async function confintGlmm(fit: GlmmFit, options: ConfintOptions = {}): Promise<ConfintResult> {
  const method = (options.method ?? 'profile').toLowerCase() as ConfintMethod;
  const level = options.level ?? 0.95;
  checkLevel(level);
  const vp = varianceParameterNames(fit.model.frame.reTerms).slice(0, -1);
  if (method === 'wald') return waldIntervals(fit, vp, level);
  if (method === 'profile') {
    checkLme4Criterion(fit, 'a profile');
    refuseKnownCovariance(fit.model, "a glmer fit's profile", 'it has not been checked against lme4 for this model (Wald intervals are available; an lmer fit\'s profile is)');
    // lme4 1.1-31's profile.merMod stops for a GLMM with a scale ("can't (yet) profile GLMMs with
    // non-fixed scale parameters"): its variance parameters are σ̂-scaled while the deviance is not
    if (fit.model.family.hasScale) throw new ModelError(`a profile is not available for a ${fit.model.family.family} GLMM (a family with a scale; lme4 1.1-31 refuses it too): use method 'wald' for the fixed effects`);
    const problem = glmmProfileProblem({ model: fit.model, engine: new PirlsEngine(fit.model.pirls), nAGQ: fit.nAGQ, theta: fit.theta, beta: fit.beta, deviance: fit.objective });
    const prof = profileModel(problem, { ...options.profile, signal: options.signal });
    const { intervals, warnings } = profileIntervals(prof, level);
    return { method, level, intervals: Object.fromEntries(intervals.map((i) => [i.name, [i.lower, i.upper]])), messages: [...prof.warnings, ...warnings] };
  }
  if (method === 'boot') {
    checkLme4Criterion(fit, 'the parametric bootstrap');
    const type = checkBootType(options.type);
    const boot = await bootstrapGlmm(fit, bootOptions(options, type));
    if (options.backend !== undefined && options.backend !== 'cpu') boot.messages.push('the refits of a glmer bootstrap run on the CPU');
    return bootIntervals(boot, level, type);
  }
  throw new OptionError('method', `unknown confint method '${options.method}' (choose profile, wald or boot)`);
}

/** lme4's anova(m0, m1, …): ML refits of REML fits, models by increasing npar, χ² tests. */
export async function anovaModels(fits: (LmmFit | GlmmFit)[], names?: string[]): Promise<LrtTable & { names: string[]; messages: string[] }> {
  const messages: string[] = [];
  if (fits.some((f) => 'reml' in f && (f as LmmFit).reml)) messages.push('refitting model(s) with ML (instead of REML)');
  const models: LrtModel[] = [];
  for (const f of fits) checkLme4Criterion(f, 'a likelihood-ratio test', 'allow');
  for (const f of fits) {
    const g = 'reml' in f ? await mlFit(f as LmmFit) : f;
    models.push({
      formula: g.formula, npar: g.df, loglik: g.logLik, nobs: g.nobs, rows: g.model.frame.rows, nInput: g.model.frame.nInput,
      fixed: g.model.frame.xnames, random: g.model.frame.reTerms.flatMap((t) => t.cnames.map((cn) => `${cn}|${t.group}`)),
      family: 'reml' in f ? 'gaussian' : `${(f as GlmmFit).family}(${(f as GlmmFit).link})`,
    });
  }
  const table = likelihoodRatioTable(models);
  const base = names ?? fits.map((_, k) => `m${k}`);
  const order = models.map((_, k) => k).sort((a, b) => models[a].npar - models[b].npar || a - b);
  return { ...table, names: order.map((k) => base[k]), messages: [...messages, ...table.warnings] };
}
