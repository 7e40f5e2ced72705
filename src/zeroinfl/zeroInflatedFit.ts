/**
 * A fitted glmmTMB model (zero-inflated, hurdle, beta, gaussian): glmmTMB's object and its summary's pieces.
 *   - the conditional, zero-inflation and dispersion models' tables: estimates β̂, γ̂, δ̂; SEs from
 *     Var(x̂) = H⁻¹, H the central-difference Hessian of the Laplace objective in all fixed parameters x = (β, γ, δ, ψ)
 *     at the optimum (glmmTMB's sdreport: TMB's Hessian of the same objective, b integrated out);
 *     z = est/SE, Pr(>|z|) = 2Φ(−|z|);
 *   - the random effects' variances, SDs and correlations (VarCorr): per term of the conditional, then of
 *     the zero model, S and C of its ψ (covariance.ts; a scalar term's SD = exp ψ, glmmTMB's theta);
 *   - sigma: glmmTMB's sigma() for dispformula '~ 1': φ = exp(δ) (NB2 Var = μ + μ²/φ, NB1 Var = μ(1 + φ),
 *     beta Var = μ(1 − μ)/(1 + φ)), gaussian σ = exp(δ/2), Gamma 1/√φ; 1 for Poisson and binomial; NaN with a dispersion model
 *     (glmmTMB's NA); disp: φ_i = exp(x_d,iᵀδ̂) per row;
 *   - logLik = −objective, df = the number of parameters, AIC = −2ℓ + 2 df, BIC = −2ℓ + log(n) df,
 *     deviance = −2ℓ (glmmTMB's summary), df.resid = n − df; REML (glmmTMB's REML = TRUE, fit.ts): the
 *     objective the restricted one, df still counting β (glmmTMB's logLik reads its parfull), df.resid = n −
 *     (df − p) (its fit$par: the outer parameters), Var(x̂) the inverse of the joint precision of (β̂, x̂_o)
 *     (remlPrecision.ts) in place of H⁻¹;
 *   - ranef: b̃ = Λũ per level, with glmmTMB's conditional variances (TMB's sdreport: Λ (L Lᵀ)⁻¹ Λᵀ, L at ũ
 *     and observed W, plus the parameters' uncertainty A Var(x̂) Aᵀ, ranefVariance.ts; glmmTMB reports the
 *     diagonal, here the q × q block of each level); with
 *     the zero model's random effects, one entry per grouping factor and model (component 'cond', then
 *     'zi': a shared factor's block split by its columns' predictor);
 *   - predictions on the fit's rows at the conditional modes (glmmTMB's predict, re.form = NULL):
 *     'link' η = xᵀβ + o + zᵀb̃, 'conditional' the conditional model's mean (μ = g⁻¹(η); a hurdle's
 *     truncated count: μ / (1 − f(0; μ))), 'zprob' p, 'response' (1 − p) × the conditional mean (the mean
 *     of y), 'disp' the dispersion on sigma()'s scale, as glmmTMB 1.1.5's predict.
 */
import { type TmbConfint, type TmbConfintOptions, confintGlmmTmb } from './confint.js';
import { type TmbProfile, type TmbProfileOptions, profileGlmmTmb } from './profile.js';
import type { DataInput } from '../io/dataInput.js';
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import { checkObject, positiveNumber } from '../options/rules.js';
import { type Overdispersion, overdispersion } from '../checks/overdispersion.js';
import { type ZeroInflation, zeroInflation } from '../checks/zeroInflation.js';
import { checkPearsonAvailable, ziPearsonResiduals } from './pearson.js';
import type { DharmaResiduals } from '../diagnostics/dharma.js';
import { type DharmaSimulator, type SimulateResidualsOptions, simulateResiduals } from '../diagnostics/simulateResiduals.js';
import { pvalueNormal } from '../glmm/rmath.js';
import { projectedCovariance } from './boundary.js';
import { applyTemplate } from '../linalg/template.js';
import { conditionalVariances } from '../lmm/solution.js';
import { parameterVariance } from './ranefVariance.js';
import { type ZiLaplace, condFixed, dispLinear, splitParameters, ziLinear } from './laplace.js';
import type { ZeroInflatedModel, ZiFamily } from './model.js';
import { termCovariance, termParameterCount } from './covariance.js';
import { formatZeroInflatedSummary } from './summary.js';
import { tweediePower } from './tweedie.js';
import { type ZiPredictOptions, type ZiPredictType, predictZeroInflated, sigmaScale, ziConditionalMean } from './predict.js';
export type { ZiPredictType } from './predict.js';
import { type ZiSimulateOptions, type ZiSimulateResult, simulateZeroInflated } from './simulate.js';
import type { EmmGrid } from '../inference/emmeans.js';
import { type Glht, type GlhtModel, type GlhtOptions, type Linfct, glht } from '../inference/glht.js';
import { tmbGlhtModel } from './glht.js';
import type { GgEffects, GgOptions } from '../inference/ggpredict.js';
import { ggemmeansTmb, ggpredictTmb } from './ggpredict.js';
import { type ZiEmmeansOptions, type ZiEmtrendsOptions, type ZiJointTestsOptions, zeroInflatedEmmeans, zeroInflatedEmtrends, zeroInflatedJointTests } from './emmeans.js';
import type { JointTests } from '../inference/jointTests.js';
import { type TmbDrop1, type TmbDrop1Options, type TmbWaldAnova, type TmbWaldAnovaOptions, drop1Tmb, tmbWaldAnova } from './anova.js';
import type { IccOptions, IccOutcome, R2Options, R2Result } from '../inference/r2Nakagawa.js';
import type { ModelPerformance } from '../checks/modelPerformance.js';
import { type TmbPerformanceOptions, tmbIcc, tmbModelPerformance, tmbR2 } from './r2.js';

export interface ZeroInflatedOptimum {
  x: Float64Array;
  objective: number;
  hessian: Float64Array;
  gradient: Float64Array;
  parNames: string[];
  /** parameters at their boundary (a log SD → −∞): left out of Var(x̂) (their rows and columns NaN) */
  boundary?: number[];
  /**
   * the boundary basis B (orthonormal, nPar each; boundary.ts): the unit vectors of `boundary` and the
   * directions of fixed effects running to a boundary; Var(x̂) is formed in its complement
   */
  boundaryBasis?: Float64Array[];
  /** the fixed-effects coefficients that load on a boundary direction (their estimates unbounded, SEs NaN) */
  unbounded?: string[];
  /**
   * glmmTMB's REML = TRUE: objective is −log of the restricted likelihood (β integrated out), x's β the joint
   * mode, hessian the joint precision of (β, the outer parameters) (fit.ts)
   */
  reml?: boolean;
  evaluations: number;
  iterations: number;
  safeguardedSteps: number;
  converged: boolean;
  messages: string[];
  dataName?: string;
  elapsedMs: number;
}

export interface ZiCoefRow { name: string; estimate: number; se: number; z: number; p: number }
/**
 * A row of VarCorr: one column of a random-effects term. `corr` (vector terms): its correlations with the
 * term's earlier columns (lme4's print); `component`: 'zi' for the zero model's terms (absent for the
 * conditional model's).
 */
export interface ZiVarCorrRow { group: string; name: string; variance: number; sd: number; corr?: number[]; component?: 'zi' }
/** ranef of one grouping factor: values and condVar level-major (q and q × q per level); component 'zi' for the zero model's */
export interface ZiRanef { group: string; levels: string[]; cnames: string[]; values: Float64Array; condVar: Float64Array; component?: 'zi' }

export class ZeroInflatedFit {
  readonly model: ZeroInflatedModel;
  readonly family: ZiFamily;
  readonly formula: string;
  readonly ziformula: string;
  /** the dispersion formula as given ('~ 1' by default) */
  readonly dispformula: string;
  /** the conditional model's link: log (count families), logit (beta_family), identity (gaussian) */
  readonly link: string;
  readonly nobs: number;
  /** x = (β, γ, δ, ψ): glmmTMB's fit$par */
  readonly par: Float64Array;
  readonly parNames: string[];
  readonly beta: Float64Array;
  readonly gamma: Float64Array;
  /** the dispersion model's coefficients δ̂ (glmmTMB's betad) */
  readonly delta: Float64Array;
  /**
   * glmmTMB's sigma(): the dispersion φ for dispformula '~ 1' (the NB2 size, NB1's φ, the beta precision),
   * σ = √φ for gaussian, 1 for Poisson; NaN with a dispersion model (glmmTMB's NA: see disp)
   */
  readonly sigma: number;
  /** φ_i per row (the kernel's scale: NB size, NB1 φ, beta precision, gaussian σ², Gamma shape; NaN for Poisson and binomial) */
  readonly disp: Float64Array;
  /** tweedie's power p = 1 + logit⁻¹ ψ (glmmTMB's family_params); NaN for the other families */
  readonly power: number;
  /** −log L at the optimum (glmmTMB's fit$objective) */
  readonly objective: number;
  readonly logLik: number;
  readonly df: number;
  readonly AIC: number;
  readonly BIC: number;
  readonly deviance: number;
  readonly dfResid: number;
  /** Var(x̂) = H⁻¹ (NaN where H is not positive definite), row-major nPar × nPar */
  readonly vcov: Float64Array;
  readonly hessian: Float64Array;
  /** the objective's gradient at the optimum (central differences) */
  readonly gradient: Float64Array;
  readonly cond: ZiCoefRow[];
  readonly zi: ZiCoefRow[];
  /** the dispersion model's table (glmmTMB's coefficients$disp: log scale) */
  readonly dispersion: ZiCoefRow[];
  readonly varCorr: ZiVarCorrRow[];
  readonly ranef: ZiRanef[];
  readonly ngroups: { group: string; levels: number }[];
  /** per row: η, μ, p */
  readonly eta: Float64Array;
  readonly mu: Float64Array;
  readonly zprob: Float64Array;
  /** per row: the zero model's logit p (at the modes of its random effects, where it has them) */
  readonly etaZi: Float64Array;
  readonly evaluations: number;
  readonly iterations: number;
  readonly safeguardedSteps: number;
  readonly converged: boolean;
  /**
   * the fixed-effects coefficients that run to a boundary (boundary.ts: a zero-inflation probability or a
   * conditional mean → 0 or 1 on a set of rows): their estimates are unbounded, their SEs NaN
   */
  readonly unbounded: string[];
  readonly messages: string[];
  readonly dataName?: string;
  readonly elapsedMs: number;
  /** fitted by REML (glmmTMB's REML = TRUE): logLik is the restricted likelihood's */
  readonly REML: boolean;

  constructor(model: ZeroInflatedModel, lap: ZiLaplace, opt: ZeroInflatedOptimum) {
    this.model = model;
    this.family = model.family;
    this.formula = model.formula.text;
    this.ziformula = model.ziText;
    this.dispformula = model.dispText;
    this.link = model.link;
    this.nobs = model.n;
    this.par = Float64Array.from(opt.x);
    this.parNames = opt.parNames;
    const { beta, gamma, delta, psi, familyPar } = splitParameters(model, opt.x);
    this.power = model.dist === 'tweedie' ? tweediePower(familyPar[0]) : NaN;
    this.beta = beta;
    this.gamma = gamma;
    this.delta = delta;
    this.disp = model.pd > 0 ? Float64Array.from(dispLinear(model, delta), Math.exp) : new Float64Array(model.n).fill(NaN);
    this.sigma = model.pd === 0 ? 1 : model.dispConstant ? sigmaScale(model, [Math.exp(delta[0])])[0] : NaN;
    this.objective = opt.objective;
    this.logLik = -opt.objective;
    this.df = model.nPar;
    this.AIC = -2 * this.logLik + 2 * this.df;
    this.BIC = -2 * this.logLik + Math.log(model.n) * this.df;
    this.deviance = -2 * this.logLik;
    // glmmTMB's df.residual: n − length(fit$par), the outer parameters (without β under REML); logLik's df
    // counts β in both (its parfull)
    this.REML = opt.reml === true;
    this.dfResid = model.n - (this.df - (this.REML ? model.p : 0));
    const nx = model.nPar;
    this.hessian = Float64Array.from(opt.hessian);
    this.gradient = Float64Array.from(opt.gradient);
    // Var(x̂) = Q (QᵀHQ)⁻¹ Qᵀ in the complement of the boundary basis B (H⁻¹ without one; boundary.ts):
    // NaN in the rows and columns of the parameters at or loading on a boundary
    const B = opt.boundaryBasis ?? (opt.boundary ?? []).map((k) => Float64Array.from({ length: nx }, (_, r) => (r === k ? 1 : 0)));
    let vcov: Float64Array;
    try {
      vcov = projectedCovariance(opt.hessian, nx, B);
    } catch {
      // not positive definite: every SE NaN (glmmTMB's "non-positive-definite Hessian matrix")
      vcov = new Float64Array(nx * nx).fill(NaN);
    }
    this.vcov = vcov;
    const row = (name: string, k: number): ZiCoefRow => {
      const se = Math.sqrt(vcov[k * nx + k]);
      const z = opt.x[k] / se;
      return { name, estimate: opt.x[k], se, z, p: pvalueNormal(z) };
    };
    this.cond = model.xnames.map((v, k) => row(v, k));
    this.zi = model.zinames.map((v, k) => row(v, model.p + k));
    this.dispersion = model.dispnames.map((v, k) => row(v, model.p + model.pz + k));
    const terms = model.reTerms;
    // VarCorr: S and C of each term's ψ (covariance.ts)
    const varCorr: ZiVarCorrRow[] = [];
    let off = 0;
    terms.forEach((t, k) => {
      const { sd, corr } = termCovariance(t.q, psi, off);
      off += termParameterCount(t.q);
      for (let j = 0; j < t.q; j++) {
        const r: ZiVarCorrRow = { group: t.group, name: t.cnames[j], variance: sd[j] * sd[j], sd: sd[j] };
        if (t.q > 1) r.corr = Array.from({ length: j }, (_, i) => corr[j * t.q + i]);
        if (k >= model.nCondTerms) r.component = 'zi';
        varCorr.push(r);
      }
    });
    this.varCorr = varCorr;
    // glmmTMB's condVar: Λ(LLᵀ)⁻¹Λᵀ plus the parameters' uncertainty, A Var(x̂) Aᵀ (ranefVariance.ts)
    const extra = parameterVariance(model, opt.x, vcov);
    const cv = conditionalVariances(lap.chol, 1).map((v, k) => v.map((e, r) => e + extra[k][r]));
    if (!model.ziRandom) {
      this.ranef = model.blocks.map((b, k) => ({
        group: terms[b.terms[0].term].group, levels: terms[b.terms[0].term].levels, cnames: b.cnames,
        values: applyTemplate(lap.T[k], b.q, b.nl, lap.u[k]), condVar: cv[k],
      }));
    } else {
      // each block's columns of one predictor: the conditional model's entries, then the zero model's
      const ranef: ZiRanef[] = [];
      for (const a of [0, 1]) {
        model.blocks.forEach((b, k) => {
          const cols = Array.from({ length: b.q }, (_, s) => s).filter((s) => model.predictors[k][s] === a);
          if (cols.length === 0) return;
          const full = applyTemplate(lap.T[k], b.q, b.nl, lap.u[k]);
          const qa = cols.length;
          const values = new Float64Array(b.nl * qa);
          const condVar = new Float64Array(b.nl * qa * qa);
          for (let c = 0; c < b.nl; c++) {
            cols.forEach((s, i) => {
              values[c * qa + i] = full[c * b.q + s];
              cols.forEach((t, j) => { condVar[c * qa * qa + i * qa + j] = cv[k][c * b.q * b.q + s * b.q + t]; });
            });
          }
          const r: ZiRanef = { group: b.group, levels: b.levels, cnames: cols.map((s) => b.cnames[s]), values, condVar };
          if (a === 1) r.component = 'zi';
          ranef.push(r);
        });
      }
      this.ranef = ranef;
    }
    const seen = new Map<string, number>();
    for (const t of terms) if (!seen.has(t.group)) seen.set(t.group, t.levels.length);
    this.ngroups = [...seen].map(([group, levels]) => ({ group, levels }));
    // predictions at the modes
    const n = model.n;
    this.eta = condFixed(model, beta);
    for (let i = 0; i < n; i++) this.eta[i] += lap.zeta[i];
    this.mu = model.link === 'log' ? Float64Array.from(this.eta, Math.exp) : ziConditionalMean({ ...model, hurdle: false }, this.disp, this.eta);
    const lz = ziLinear(model, gamma);
    // logit p at the modes of the zero model's random effects (ζ_zi: the second half of the Laplace's ζ)
    if (model.ziRandom) for (let i = 0; i < n; i++) lz[i] += lap.zeta[n + i];
    this.etaZi = lz;
    this.zprob = Float64Array.from(lz, (e) => (model.pz === 0 && !model.ziRandom ? 0 : 1 / (1 + Math.exp(-e))));
    this.evaluations = opt.evaluations;
    this.iterations = opt.iterations;
    this.safeguardedSteps = opt.safeguardedSteps;
    this.converged = opt.converged;
    this.unbounded = opt.unbounded ?? [];
    this.messages = opt.messages;
    if (opt.dataName !== undefined) this.dataName = opt.dataName;
    this.elapsedMs = opt.elapsedMs;
  }

  /**
   * glmmTMB's predict (predict.ts): `predict(type)` on the fit's rows (re.form = NULL) — 'response'
   * (1 − p) × the conditional mean (default), 'conditional' the count model's mean, 'zprob' p, 'link' η,
   * 'zlink' logit p — or `predict(newdata, { type, groups, allowNewLevels })` for new data (newdata null:
   * the fit's rows; `groups: false` is re.form = NA).
   */
  predict(type?: ZiPredictType): Float64Array;
  predict(newdata: DataInput | null | undefined, options?: ZiPredictOptions): Float64Array;
  predict(arg?: ZiPredictType | DataInput | null, options: ZiPredictOptions = {}): Float64Array {
    if (arg === undefined || typeof arg === 'string') return predictZeroInflated(this, null, { type: (arg ?? 'response') as ZiPredictType });
    return predictZeroInflated(this, arg, options);
  }

  /** b̃ of block k, level-major (ranef's values) */
  conditionalModes(k: number): Float64Array {
    return this.ranef[k].values;
  }

  /** The conditional model's mean per row at the modes: μ, or a hurdle's zero-truncated count's μ / (1 − f(0; μ)). */
  conditionalMean(): Float64Array {
    return ziConditionalMean(this.model, this.disp, this.eta);
  }

  /** glmmTMB's residuals: 'response' y − ŷ, 'pearson' (y − ŷ)/√v (pearson.ts), at the conditional modes */
  residuals(type: 'response' | 'pearson' = 'response'): Float64Array {
    const resp = this.predict('response');
    if (type === 'response') return Float64Array.from(this.model.y, (v, i) => v - resp[i]);
    if (type === 'pearson') return ziPearsonResiduals(this.model, this.model.y, resp, this.conditionalMean(), this.zprob, this.disp, this.power);
    throw new OptionError('type', `residuals: type ${showValue(type)} is not one of response, pearson`);
  }

  /**
   * performance 0.10.2's check_overdispersion of a glmmTMB fit: Σ r² of glmmTMB's Pearson residuals
   * against df.residual = n − (number of parameters) (src/checks/overdispersion.ts).
   */
  checkOverdispersion(): Overdispersion {
    // insight 0.19.0's model_info reads compois as neither count nor Poisson: performance stops on it
    if ((!this.model.count && !this.model.binomial) || this.model.dist === 'compois') {
      throw new ModelError(`checkOverdispersion: performance 0.10.2's check_overdispersion takes models of Poisson or binomial families only ("Overdispersion checks can only be used for models from Poisson families or binomial families with trials > 1"), not ${this.family}`);
    }
    if (this.model.binomial && this.model.size!.every((m) => m === 1)) {
      throw new ModelError(`checkOverdispersion: performance 0.10.2's check_overdispersion refuses Bernoulli models ("Overdispersion checks cannot be used for Bernoulli models."): this ${this.family} fit has one trial per row`);
    }
    checkPearsonAvailable(this.model);
    return overdispersion(this.residuals('pearson'), this.dfResid);
  }

  /**
   * performance 0.10.2's check_zeroinflation of a glmmTMB fit: the zeros that fitted(fit) — the response
   * mean (1 − p) μ, zero model included — would give under a plain Poisson, or NB2 with size sigma(fit) for
   * the nbinom2 families (insight's is_negbin), against the observed (src/checks/zeroInflation.ts). As in
   * performance, the zero model is not counted as a source of zeros: a ZIP fit can read as "underfitting zeros".
   */
  checkZeroinflation(options: { tolerance?: number } = {}): ZeroInflation | null {
    checkObject(options, 'checkZeroinflation', { tolerance: positiveNumber });
    if (!this.model.count || this.model.dist === 'compois') {
      throw new ModelError(`checkZeroinflation: performance 0.10.2's check_zeroinflation takes count models only ("Model must be from Poisson-family."), not ${this.family}${this.model.dist === 'compois' ? ' (insight 0.19.0 does not read compois as a count family)' : ''}`);
    }
    // insight 0.19.0's is_negbin holds for nbinom1, nbinom2 and genpois (their truncated forms too)
    const negbin = this.model.nb || this.model.dist === 'genpois';
    if (negbin && !this.model.dispConstant) {
      throw new ModelError(`checkZeroinflation: performance 0.10.2 takes a negative binomial fit's size from sigma(fit), which glmmTMB gives as NA with dispformula '${this.dispformula}' (its predicted zeros are NA)`);
    }
    // (performance uses sigma(fit) as an NB2 size for nbinom1 and genpois too: insight's is_negbin)
    return zeroInflation(this.model.y, this.predict('response'), negbin ? this.sigma : null, options.tolerance ?? 0.05);
  }

  /**
   * performance 0.10.2's r2(fit) (r2_nakagawa) of a glmmTMB fit: marginal and conditional R² from insight's
   * variance components of the conditional model, σ²_d by family (src/zeroinfl/r2.ts, distributionVariance.ts)
   */
  r2(options?: R2Options): Promise<R2Result> {
    return tmbR2(this, options);
  }

  /** performance 0.10.2's icc(fit) and icc(fit, by_group = TRUE) of a glmmTMB fit (src/zeroinfl/r2.ts) */
  icc(options?: IccOptions): Promise<IccOutcome> {
    return tmbIcc(this, options);
  }

  /**
   * performance 0.10.2's model_performance(fit): AIC, AICc, BIC, R², ICC, RMSE, Sigma, and Log_loss and the
   * scoring rules where performance reports them (src/zeroinfl/r2.ts)
   */
  modelPerformance(options?: TmbPerformanceOptions): Promise<ModelPerformance & { messages: string[] }> {
    return tmbModelPerformance(this, options);
  }

  /**
   * glmmTMB 1.1.5's simulate(fit, nsim, seed): nsim responses with new random effects (default), or on
   * the fitted ones with `conditional: true` (simulate.ts).
   */
  simulate(nsim = 1, options: ZiSimulateOptions = {}): ZiSimulateResult {
    return simulateZeroInflated(this, nsim, options);
  }

  /**
   * DHARMa's simulateResiduals for this fit (src/diagnostics/simulateResiduals.ts): the simulations of
   * simulate.ts, the observed counts, getFitted's predict(type = "response", re.form = ~0), integerResponse.
   */
  simulateResiduals(options: SimulateResidualsOptions = {}): DharmaResiduals {
    return simulateResiduals(this, options);
  }

  /** what DHARMa's residuals read of this fit (src/diagnostics/simulateResiduals.ts's DharmaSimulator) */
  dharmaSimulator(conditional: boolean): DharmaSimulator {
    // binomial and betabinomial: the successes (DHARMa's observed response of cbind), simulated likewise
    const size = this.model.size;
    const counts = (v: Float64Array) => (size ? Float64Array.from(v, (x, i) => Math.round(x * size[i])) : v);
    return {
      observed: counts(Float64Array.from(this.model.y)),
      fitted: this.predict(null, { groups: false }),
      integerResponse: this.model.count || this.model.binomial,
      simulate: (count, first, seed) => {
        const s = simulateZeroInflated(this, count, { seed, conditional }, first);
        return size ? { ...s, y: s.y.map(counts) } : s;
      },
    };
  }

  /**
   * glmmTMB's confint(fit, parm, level, method, component, estimate, full): Wald intervals of the fixed
   * effects and, through glmmTMB's monotone transformation, of σ and the random effects' SDs and
   * correlations; or (method 'uniroot') the profile likelihood's ends of each parameter on its internal
   * scale, as TMB's tmbroot finds them, or (method 'profile') glmmTMB's spline through the points of
   * tmbprofile's profile (confint.ts)
   */
  confint(options: TmbConfintOptions = {}): Promise<TmbConfint> {
    return confintGlmmTmb(this, options);
  }

  /**
   * glmmTMB's profile(fit, parm, level_max, npts, stepfac, stderr): each parameter's likelihood profile by
   * TMB's tmbprofile, glmmTMB's data frame (.par, .focal, value) (profile.ts); confintOfProfile(profile, level)
   * is glmmTMB's confint(profile)
   */
  profile(options: TmbProfileOptions = {}): Promise<TmbProfile> {
    return profileGlmmTmb(this, options);
  }

  /**
   * emmeans 1.8.4's emmeans(fit, specs, component = …) with glmmTMB 1.1.5's basis (emmeans.ts): the
   * conditional model's means on the link's scale (type 'response': back-transformed; ratios for log-link
   * contrasts, odds ratios for logit), the zero model's on the logit scale (component 'zi'), the
   * dispersion model's on the log scale ('disp'), with df = df.residual, as glmmTMB gives them.
   */
  /** glmmTMB's modelparm.glmmTMB, for glht(fit, linfct, { component }): a component's coefficients and covariance block, df.residual */
  glhtModel(component?: string): GlhtModel { return tmbGlhtModel(this, component); }

  /** multcomp's glht(fit, linfct) (options.component: 'cond', 'zi' or 'disp'): general linear hypotheses of the fixed effects, mcp()'s multiple comparisons (src/inference/glht.ts) */
  glht(linfct: Linfct, options: GlhtOptions = {}): Glht { return glht(this, linfct, options); }

  emmeans(specs: string | string[], options: ZiEmmeansOptions = {}): EmmGrid {
    return zeroInflatedEmmeans(this, specs, options);
  }

  /** emmeans 1.8.4's emtrends(fit, specs, var, component = …): a component's slopes in `var` on its linear predictor's scale (emmeans.ts). */
  emtrends(specs: string | string[], options: ZiEmtrendsOptions): EmmGrid {
    return zeroInflatedEmtrends(this, specs, options);
  }

  /** emmeans 1.8.4's joint_tests(fit, by, component = …): an F test of each term of a component (emmeans.ts). */
  jointTests(options: ZiJointTestsOptions = {}): JointTests {
    return zeroInflatedJointTests(this, options);
  }

  /** ggeffects 1.2.0's ggpredict(fit, terms, type, ci.lvl, typical, condition) of a glmmTMB fit (ggpredict.ts): types 'fixed', 'random', and 'zero_inflated' / 'zi_random' without their simulated intervals. */
  ggpredict(terms: string | string[], options: GgOptions = {}): GgEffects {
    return ggpredictTmb(this, terms, options);
  }

  /** ggeffects 1.2.0's ggemmeans(fit, terms, type, …) of a glmmTMB fit: the conditional component's means (ggpredict.ts). */
  ggemmeans(terms: string | string[], options: GgOptions = {}): GgEffects {
    return ggemmeansTmb(this, terms, options);
  }

  /**
   * stats' drop1(fit, scope, test = "Chisq") of a glmmTMB fit (anova.ts): each term of the conditional
   * model's fixed part refitted without it; Df, AIC, LRT, Pr(>Chi), and R's printout.
   */
  drop1(options: TmbDrop1Options = {}): Promise<TmbDrop1> {
    return drop1Tmb(this, options);
  }

  /**
   * car 3.1-1's Anova(fit, type = 'II' | 'III', component = 'cond' | 'zi' | 'disp') by glmmTMB's
   * Anova.glmmTMB (anova.ts): Wald χ² tests per term of the component from its coefficients and vcov.
   * (Compare fits with `anovaTmb(m0, m1, …)`: glmmTMB's anova.)
   */
  Anova(options: TmbWaldAnovaOptions = {}): TmbWaldAnova {
    return tmbWaldAnova(this, options);
  }

  /** glmmTMB's summary printout. */
  summary(): string {
    return formatZeroInflatedSummary(this);
  }

  toJSON(): Record<string, unknown> {
    const tab = (rows: ZiCoefRow[]) => rows.map((r) => ({ name: r.name, estimate: r.estimate, se: r.se, z: r.z, p: r.p }));
    return {
      model: 'glmmTMB', family: this.family, link: this.link, formula: this.formula, ziformula: this.ziformula, dispformula: this.dispformula, reml: this.REML,
      nobs: this.nobs, nobs_dropped: this.model.frame.nDropped,
      par: Array.from(this.par), par_names: this.parNames,
      objective: this.objective, loglik: this.logLik, df: this.df, aic: this.AIC, bic: this.BIC, deviance: this.deviance, df_resid: this.dfResid,
      cond: tab(this.cond), zi: tab(this.zi), disp: tab(this.dispersion),
      varcorr: this.varCorr, sigma: Number.isNaN(this.sigma) ? null : this.sigma,
      ...(this.model.dist === 'tweedie' ? { power: this.power } : {}),
      vcov: Array.from({ length: this.df }, (_, r) => Array.from(this.vcov.subarray(r * this.df, (r + 1) * this.df))),
      ngroups: this.ngroups,
      evaluations: this.evaluations, inner_iterations: this.iterations, safeguarded_steps: this.safeguardedSteps,
      converged: this.converged, unbounded: this.unbounded, messages: this.messages, elapsed_ms: this.elapsedMs,
    };
  }
}
