/**
 * performance 0.10.2's model checks and indices as methods of lmer and glmer fits: each takes the
 * fit's pieces to the pure function of its own file (collinearity.ts, overdispersion.ts,
 * zeroInflation.ts, singularity.ts, convergence.ts, modelPerformance.ts with scoringRules.ts) and says
 * where a fit is outside what performance checks. Nakagawa's R² and the ICC are the fit's own
 * (src/inference/r2Nakagawa.ts). src/fit/lmer.ts and src/fit/glmer.ts load this module.
 *
 * Fits whose rows are in an engine (lmer with lmerStream / lmerSql): checkCollinearity (Var(β̂)),
 * checkSingularity (θ) and checkConvergence (the derivatives) need no rows and work; modelPerformance
 * needs the response residuals (RMSE) and is refused for them.
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { LmmFit } from '../lmm/lmmFit.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import { profiledDeviance } from '../lmm/deviance.js';
import { RANK_DEFICIENT } from '../frame/modelFrame.js';
import { termColumns } from '../inference/termColumns.js';
import { NO_RANDOM_MESSAGE, iccOf, r2Nakagawa } from '../inference/r2Nakagawa.js';
import { type Collinearity, collinearity } from './collinearity.js';
import { type Overdispersion, overdispersion } from './overdispersion.js';
import { type ZeroInflation, zeroInflation } from './zeroInflation.js';
import { PERFORMANCE_SINGULAR_TOLERANCE, singularity } from './singularity.js';
import { type Convergence, convergence } from './convergence.js';
import { type ModelPerformance, informationCriteria, rmse } from './modelPerformance.js';
import { type ScoreFamily, logLoss, scoringRules } from './scoringRules.js';

type AnyFit = LmmFit | GlmmFit;

export interface CollinearityOptions {
  /** the confidence level of the VIF's interval (performance's ci, default 0.95), or null for none */
  ci?: number | null;
}
export interface ZeroInflationOptions {
  /** the ratio's tolerance around 1 (default 0.05) */
  tolerance?: number;
}
import type { SingularityResult } from './singularity.js';
export type { SingularityResult };
export interface ModelPerformanceOptions {
  /** lmer: the log-likelihood of AIC, AICc and BIC, 'REML' (performance's default) or 'ML'; no refit */
  estimator?: 'REML' | 'ML';
}
export type ModelPerformanceResult = ModelPerformance & { messages: string[] };

declare module '../lmm/lmmFit.js' {
  interface LmmFit {
    /** performance's check_collinearity: each fixed-effects term's (generalized) VIF from Var(β̂) (src/checks/collinearity.ts) */
    checkCollinearity(options?: CollinearityOptions): Collinearity;
    /** refused: performance's check_overdispersion is for Poisson, negative binomial and binomial fits */
    checkOverdispersion(): Overdispersion;
    /** refused: performance's check_zeroinflation is for count fits */
    checkZeroinflation(options?: ZeroInflationOptions): ZeroInflation | null;
    /** performance's check_singularity: a diagonal θ below tolerance (1e-5) (src/checks/singularity.ts) */
    checkSingularity(options?: { tolerance?: number }): SingularityResult;
    /** performance's check_convergence: max |H⁻¹g| of lme4's derivatives below tolerance (0.001) (src/checks/convergence.ts) */
    checkConvergence(options?: { tolerance?: number }): Convergence;
    /** performance's model_performance: AIC, AICc, BIC, R², ICC, RMSE, Sigma (src/checks/modelPerformance.ts) */
    modelPerformance(options?: ModelPerformanceOptions): Promise<ModelPerformanceResult>;
  }
}
declare module '../glmm/glmmFit.js' {
  interface GlmmFit {
    /** performance's check_collinearity (src/checks/collinearity.ts) */
    checkCollinearity(options?: CollinearityOptions): Collinearity;
    /** performance's check_overdispersion: the Pearson χ² against the residual df (src/checks/overdispersion.ts) */
    checkOverdispersion(): Overdispersion;
    /** performance's check_zeroinflation: predicted against observed zeros (src/checks/zeroInflation.ts) */
    checkZeroinflation(options?: ZeroInflationOptions): ZeroInflation | null;
    /** performance's check_singularity (src/checks/singularity.ts) */
    checkSingularity(options?: { tolerance?: number }): SingularityResult;
    /** performance's check_convergence (src/checks/convergence.ts) */
    checkConvergence(options?: { tolerance?: number }): Convergence;
    /** performance's model_performance, with Log_loss and the scoring rules where it reports them */
    modelPerformance(options?: ModelPerformanceOptions): Promise<ModelPerformanceResult>;
  }
}

function checkTolerance(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value >= 0)) throw new OptionError(name, `${name} must be a finite number ≥ 0, not ${String(value)}`);
  return value;
}

/** check_collinearity of a fit */
export function fitCollinearity(fit: AnyFit, options: CollinearityOptions = {}): Collinearity {
  const ci = options.ci === undefined ? 0.95 : options.ci;
  if (ci !== null && (typeof ci !== 'number' || !(ci > 0 && ci < 1))) throw new OptionError('ci', `ci must be a number between 0 and 1 (or null for no interval), not ${String(ci)}`);
  const frame = fit.model.frame;
  if (frame.messages.some((m) => m.startsWith(RANK_DEFICIENT))) {
    throw new ModelError("check_collinearity: the fixed-effects design is rank deficient (lme4 dropped columns of X), so some terms are perfectly collinear; performance's term assignment then no longer matches Var(β̂) (it reads the full model matrix): remove the aliased columns from the formula first");
  }
  const columns = termColumns(frame);
  const terms = frame.formula.fixed.terms.map((t, i) => ({ label: t.label, columns: columns[i], interaction: t.vars.length > 1 }));
  const vcov = Float64Array.from(fit.vcov.flat());
  return collinearity({ vcov, p: frame.p, intercept: frame.xnames[0] === '(Intercept)', terms, n: frame.n, ci });
}

/** the GLMM's family for the count and binomial checks, or the refusal */
function countOrBinomial(fit: AnyFit, what: string, families: string[]): GlmmFit {
  const family = fit instanceof GlmmFit ? fit.family : 'gaussian';
  if (!(fit instanceof GlmmFit) || !families.includes(family)) {
    throw new ModelError(what === 'check_overdispersion'
      ? `check_overdispersion: overdispersion checks can only be used for models from Poisson families or binomial families with trials > 1 (performance's rule), not a ${family} model`
      : `check_zeroinflation: the model must be from a count family (Poisson or negative binomial), not ${family}`);
  }
  return fit;
}

/** a binomial response of one trial per row (0/1 or a factor, weights 1) */
function isBernoulli(fit: GlmmFit): boolean {
  const f = fit.model.frame;
  if (fit.family !== 'binomial' || f.formula.response.kind === 'cbind') return false;
  const w = f.weights;
  return !w || w.every((v) => v === 1);
}

export function fitOverdispersion(fit: AnyFit): Overdispersion {
  const g = countOrBinomial(fit, 'check_overdispersion', ['poisson', 'negative.binomial', 'binomial']);
  // performance refuses Bernoulli models ("Overdispersion checks cannot be used for Bernoulli
  // models."); its test misses glmer's 0/1 responses and computes a χ² there, which means nothing
  // for 0/1 data: refused here with its message
  if (isBernoulli(g)) throw new ModelError('check_overdispersion: overdispersion checks cannot be used for Bernoulli models (a binomial response of one trial per row: 0/1 or a factor); performance 0.10.2 means to refuse them (its check misses a glmer fit\'s 0/1 response and computes a Pearson χ² that says nothing about overdispersion)');
  return overdispersion(g.rowResiduals('pearson'), g.dfResidual);
}

export function fitZeroInflation(fit: AnyFit, options: ZeroInflationOptions = {}): ZeroInflation | null {
  const tolerance = checkTolerance('tolerance', options.tolerance, 0.05);
  const g = countOrBinomial(fit, 'check_zeroinflation', ['poisson', 'negative.binomial']);
  return zeroInflation(g.model.frame.y, g.mu, g.nbSize, tolerance);
}

export function fitSingularity(fit: AnyFit, options: { tolerance?: number } = {}): SingularityResult {
  const tolerance = checkTolerance('tolerance', options.tolerance, PERFORMANCE_SINGULAR_TOLERANCE);
  const lower = fit.model.theta.lower;
  return { singular: singularity(fit.theta, lower, tolerance), tolerance, lme4Singular: singularity(fit.theta, lower, 1e-4) };
}

export function fitConvergence(fit: AnyFit, options: { tolerance?: number } = {}): Convergence {
  const tolerance = checkTolerance('tolerance', options.tolerance, 0.001);
  const d = fit.derivatives;
  if (!d) throw new ModelError(`check_convergence: this fit has no derivatives at its optimum (lme4's optinfo$derivs), which performance's check needs: they are not computed for a singular fit${fit.singular ? ' (this one is singular: see checkSingularity)' : ''} nor, by lme4 2.0's rule, for 10,000 observations or more`);
  return convergence(d.gradient, d.hessian.flat(), tolerance);
}

const CANT_LOGLOSS = "Can't calculate log-loss.";
const CANT_SCORE = "Can't calculate proper scoring rules for models without integer response values.";

/** −2ℓ at performance's estimator: an lmer fit's criterion at its own estimates (lme4's devCrit), no refit */
function criterionOf(fit: AnyFit, estimator: 'REML' | 'ML'): number {
  if (fit instanceof GlmmFit) return fit.objective;
  if (fit.reml === (estimator === 'REML')) return fit.objective;
  const w = fit.weights;
  let sumLogW = 0;
  if (w) for (let i = 0; i < w.length; i++) sumLogW += Math.log(w[i]);
  // REML: ldL2 + ldRX2 − Σ log w + (n − p)(1 + log(2π pwrss/(n − p))); ML: ldL2 − Σ log w + n(1 + log(2π pwrss/n))
  return profiledDeviance(fit.parts, fit.model.frame.n, fit.model.frame.p, estimator === 'REML', sumLogW);
}

export async function fitModelPerformance(fit: AnyFit, options: ModelPerformanceOptions = {}): Promise<ModelPerformanceResult> {
  const estimator = options.estimator ?? 'REML';
  if (estimator !== 'REML' && estimator !== 'ML') throw new OptionError('estimator', `estimator must be 'REML' or 'ML', not ${String(estimator)}`);
  const frame = fit.model.frame;
  if (!(fit instanceof GlmmFit)) {
    if (fit.model.source) throw new ModelError(`model_performance: not available for this fit, whose rows are in ${fit.model.source.engine === 'stream' ? 'a stream' : fit.model.source.engine} (${fit.model.source.name}): its RMSE needs the response residuals of every row; fit with the rows in memory for it`);
    if (fit.sigmaFixed) throw new ModelError("model_performance: not available for a fit with a fixed residual σ (lmer's sigma option): lme4's log-likelihood of AIC and BIC estimates σ");
  }
  if (fit.annotation) throw new ModelError("model_performance: not available for a fit with priors (blme's posterior mode): its criterion is not a log-likelihood");
  const response = frame.formula.response;
  if (response.kind === 'expr' && response.expr.type !== 'var') {
    throw new ModelError(`model_performance: the response '${response.label}' is transformed; performance corrects the log-likelihood of AIC and BIC by the transformation's Jacobian, which is not implemented here: fit a response column computed beforehand for AIC and BIC on that scale`);
  }
  const messages: string[] = [];
  // Nakagawa's R² and the ICC, the fit's own; where they are refused, left out with the reason
  let r2Columns: Pick<ModelPerformance, 'R2_conditional' | 'R2_marginal' | 'ICC'> = {};
  try {
    const r2 = await r2Nakagawa(fit);
    const icc = await iccOf(fit);
    r2Columns = { R2_conditional: r2.conditional, R2_marginal: r2.marginal, ...(icc.icc ? { ICC: icc.icc.adjusted } : {}) };
    // model_performance suppresses insight's warnings but not r2's printed note on a singular fit
    if (r2.messages.includes(NO_RANDOM_MESSAGE)) messages.push(NO_RANDOM_MESSAGE);
  } catch (e) {
    if (!(e instanceof ModelError)) throw e;
    messages.push(`R2 and ICC not available: ${e.message}`);
  }
  // the columns in performance's order: AIC, AICc, BIC, R², ICC, RMSE (from the response residuals
  // y − μ̂ of the rows used), Sigma, then the binomial and count ones
  const ordered: ModelPerformance = {
    ...informationCriteria(criterionOf(fit, estimator), fit.df, frame.n), ...r2Columns,
    RMSE: rmse(fit.rowResiduals('response')), Sigma: fit.sigma,
  };
  if (fit instanceof GlmmFit && ['binomial', 'poisson', 'negative.binomial'].includes(fit.family)) {
    const y = frame.y, mu = fit.mu;
    if (fit.family === 'binomial') {
      if (isBernoulli(fit)) ordered.Log_loss = logLoss(y, mu);
      else {
        // performance's get_response of cbind(s, f) is two columns: NA with its note; proportions
        // with weights: performance's formula takes the proportions shifted by their minimum as 0/1
        // outcomes, which is no log loss — NA here too
        ordered.Log_loss = null;
        messages.push(CANT_LOGLOSS);
      }
    }
    let family: ScoreFamily | null = null;
    if (fit.family === 'binomial') {
      if (isBernoulli(fit)) family = { family: 'binomial' };
      else messages.push(CANT_SCORE);
    } else if (fit.family === 'poisson') family = { family: 'poisson' };
    else {
      // performance's size: exp of the Pearson dispersion χ²/rdf, not the fit's θ
      const od = overdispersion(fit.rowResiduals('pearson'), fit.dfResidual);
      family = { family: 'negative.binomial', size: Math.exp(od.ratio) };
    }
    if (family) {
      const s = scoringRules(y, mu, family);
      if (!Number.isNaN(s.logarithmic)) ordered.Score_log = s.logarithmic;
      if (!Number.isNaN(s.spherical)) ordered.Score_spherical = s.spherical;
    }
  }
  return { ...ordered, messages };
}

for (const C of [LmmFit, GlmmFit]) {
  Object.assign(C.prototype, {
    checkCollinearity(this: AnyFit, options?: CollinearityOptions) { return fitCollinearity(this, options); },
    checkOverdispersion(this: AnyFit) { return fitOverdispersion(this); },
    checkZeroinflation(this: AnyFit, options?: ZeroInflationOptions) { return fitZeroInflation(this, options); },
    checkSingularity(this: AnyFit, options?: { tolerance?: number }) { return fitSingularity(this, options); },
    checkConvergence(this: AnyFit, options?: { tolerance?: number }) { return fitConvergence(this, options); },
    modelPerformance(this: AnyFit, options?: ModelPerformanceOptions) { return fitModelPerformance(this, options); },
  });
}
