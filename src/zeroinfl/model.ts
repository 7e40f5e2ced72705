/**
 * A glmmTMB model's structure (glmmTMB's `glmmTMB(formula, ziformula, dispformula, family)`):
 *
 *   conditional model:  g(μ_i) = x_iᵀβ + o_i + z_iᵀb,   b = Λ(θ) u,  u ~ N(0, I)
 *                       (g: log for the count families, logit for beta_family, identity for gaussian)
 *   zero-inflation:     logit p_i = x_zi,iᵀγ + z_zi,iᵀb_zi,   b_zi = Λ_zi(θ) u_zi,  u_zi ~ N(0, I)
 *   dispersion:         log φ_i = x_d,iᵀδ                 (fixed effects only; glmmTMB's betad)
 *   zero-inflated (poisson, nbinom1, nbinom2):    y_i ~ p_i δ₀ + (1 − p_i) f(y_i; μ_i, φ_i)
 *   hurdle (truncated_poisson, truncated_nbinom1, truncated_nbinom2):
 *                       P(y_i = 0) = p_i,  P(y_i = y > 0) = (1 − p_i) f(y; μ_i) / (1 − f(0; μ_i))
 *   beta_family:        y_i ~ Beta(μ_i φ_i, (1 − μ_i) φ_i),  Var = μ(1 − μ)/(1 + φ)  (no zero model)
 *   gaussian:           y_i ~ N(μ_i, φ_i),  φ = σ² (glmmTMB's dispersion; sigma() = √φ) (no zero model)
 *   binomial:           k_i = y_i m_i ~ Binomial(m_i, μ_i), logit link, m_i the trials (glmmTMB's size); zero model allowed
 *   betabinomial:       k_i ~ Binomial(m_i, π_i), π_i ~ Beta(μ_i φ_i, (1 − μ_i) φ_i); zero model allowed
 *   Gamma:              y_i ~ Gamma(shape φ_i, scale μ_i/φ_i), log link, Var = μ²/φ (sigma() = 1/√φ) (no zero model)
 *   tweedie:            y_i ~ Tweedie(μ_i, φ_i, p), log link, Var = φμ^p, p = 1 + logit⁻¹ ψ_f (no zero model)
 *   genpois:            glmmTMB's generalized Poisson, Var = μφ (zero-inflated; truncated_genpois: hurdle)
 *   compois:            glmmTMB's Conway–Maxwell–Poisson by its mean μ, ν = 1/φ (compois.ts; zero-inflated;
 *                       truncated_compois: hurdle)
 * with f Poisson(μ), NB1 (Var = μ(1 + φ)), NB2 (Var = μ + μ²/φ), generalized Poisson, binomial or betabinomial,
 *
 * built from the three formulas and the data: the conditional model frame (lmer's formula syntax,
 * src/frame) and the zero-inflation and dispersion models' designs (the zero model's with its random-effects terms, their
 * response the conditional one's) on the same rows: a row missing a variable of any formula is dropped
 * and counted (glmmTMB's na.omit over all). The response must be counts (whole numbers ≥ 0) for the
 * count families, in (0, 1) for beta_family, finite for gaussian, > 0 for Gamma, ≥ 0 for tweedie; binomial and
 * betabinomial read theirs as glmer's binomial (cbind, 0/1, a proportion with weights) and need whole successes.
 *
 * The parameters the fit optimizes are glmmTMB's, in its order: (β, γ, δ, ψ): δ the dispersion model's
 * coefficients (none for poisson, truncated_poisson and binomial; one, log φ, for dispformula '~ 1'),
 * ψ = glmmTMB's theta then thetazi: per random-effects term of the conditional, then of the zero
 * model, its log-SDs and correlation parameters (covariance.ts); then the family's own (glmmTMB's psi:
 * tweedie's power).
 *
 * The random-effects terms of both models are one list (the conditional model's, then the zero
 * model's, each in lme4's order), whose blocks group the terms on one grouping factor, as lmer's
 * (1 | g) + (0 + x | g): `predictors` says which linear predictor each block column enters.
 */
import type * as arrow from 'apache-arrow';
import * as arrowLib from 'apache-arrow';
import { DataError, ModelError, OptionError } from '../errors/errors.js';
import type { Formula } from '../formula/types.js';
import { parseFormula } from '../formula/parse.js';
import { type ModelFrame, type ModelFrameOptions, type ReTerm, buildModelFrame } from '../frame/modelFrame.js';
import { type RandomBlock, type ThetaLayout, buildRandomBlocks } from '../model/lambda.js';
import { mixedFormula } from '../model/mixedModel.js';

/** glmmTMB's family names (R's constructors: poisson(), nbinom1(), …, beta_family(), gaussian()) */
export const ZI_FAMILIES = [
  'poisson', 'nbinom1', 'nbinom2', 'genpois', 'compois', 'truncated_poisson', 'truncated_nbinom1', 'truncated_nbinom2', 'truncated_genpois',
  'truncated_compois',
  'binomial', 'betabinomial', 'beta_family', 'gaussian', 'Gamma', 'tweedie',
] as const;
export type ZiFamily = (typeof ZI_FAMILIES)[number];
/** other names taken for a family: 'beta' (glmmTMB's family(fit)$family of beta_family()), 'gamma' for R's Gamma */
export const ZI_FAMILY_ALIASES: Readonly<Record<string, ZiFamily>> = { beta: 'beta_family', gamma: 'Gamma' };

/** the response distribution of a family (a truncated family's untruncated one) */
export type ZiDist = 'poisson' | 'nbinom1' | 'nbinom2' | 'genpois' | 'compois' | 'binomial' | 'betabinomial' | 'beta' | 'gaussian' | 'gamma' | 'tweedie';
export type ZiLink = 'log' | 'logit' | 'identity';

/** the distribution, link and kind of a family */
export function familyInfo(family: ZiFamily): {
  dist: ZiDist; link: ZiLink; hurdle: boolean; count: boolean; hasDispersion: boolean;
  /** binomial or betabinomial: the response is a proportion of `size` trials (cbind(s, f), or y with weights) */
  binomial: boolean;
  /** the family takes a zero model (ziformula): the count families and the binomial ones */
  zeroModel: boolean;
  /** the family's own parameters beyond φ (glmmTMB's psi): tweedie's power */
  nFamilyPar: number;
} {
  const hurdle = family.startsWith('truncated_');
  const dist: ZiDist = family === 'beta_family' ? 'beta' : family === 'Gamma' ? 'gamma' : (family.replace('truncated_', '') as ZiDist);
  const binomial = dist === 'binomial' || dist === 'betabinomial';
  const link: ZiLink = dist === 'beta' || binomial ? 'logit' : dist === 'gaussian' ? 'identity' : 'log';
  const count = dist === 'poisson' || dist === 'nbinom1' || dist === 'nbinom2' || dist === 'genpois' || dist === 'compois';
  return {
    dist, link, hurdle, count, binomial, zeroModel: count || binomial,
    hasDispersion: dist !== 'poisson' && dist !== 'binomial', nFamilyPar: dist === 'tweedie' ? 1 : 0,
  };
}

export interface ZeroInflatedModelOptions {
  /**
   * glmmTMB's family (default 'poisson'): the counts' poisson, nbinom1, nbinom2 (zero-inflated with a
   * ziformula), truncated_poisson, truncated_nbinom1, truncated_nbinom2 (hurdle), or beta_family ('beta')
   * for responses in (0, 1) and gaussian (neither with a zero model)
   */
  family?: ZiFamily | 'beta';
  /**
   * the zero-inflation (hurdle: zero) model, one-sided, with random-effects terms as the conditional
   * model's: '~ 1', '~ x', '~ x + (1 | g)', '~ 0' (none);
   * default '~ 1' for the count families, '~ 0' (the only one taken) for beta_family and gaussian
   */
  ziformula?: string;
  /**
   * the dispersion model log φ = X_d δ, one-sided with fixed effects only (default '~ 1'); for the
   * families with a dispersion parameter (nbinom1, nbinom2, their truncated forms, beta_family, gaussian)
   */
  dispformula?: string;
  /**
   * binomial and betabinomial: the numbers of trials of a proportion response (a column or one value per
   * row; glmmTMB's weights, its size), or weights multiplying cbind's trials; refused for other families
   */
  weights?: string | ArrayLike<number>;
  /** numeric columns to treat as factors */
  factors?: string[];
  /** contrasts of fixed-effects factors (all formulas) */
  contrasts?: ModelFrameOptions['contrasts'];
}

export interface ZeroInflatedModel {
  formula: Formula;
  ziFormula: Formula;
  /** the zi formula as given */
  ziText: string;
  family: ZiFamily;
  /** the response distribution and the conditional model's link */
  dist: ZiDist;
  link: ZiLink;
  /** a hurdle model (a truncated family) */
  hurdle: boolean;
  /** a negative binomial (nbinom1, nbinom2 or a truncated one) */
  nb: boolean;
  /** a count family (poisson, nbinom1, nbinom2, genpois, compois, truncated): the response takes whole numbers */
  count: boolean;
  /** binomial or betabinomial: y is the proportion of size trials (glmmTMB's yobs = y × size successes) */
  binomial: boolean;
  /** the number of trials per row (glmmTMB's size: cbind's s + f, or the weights of a proportion); null otherwise */
  size: Float64Array | null;
  /** the family's own parameters (glmmTMB's psi; tweedie: p = 1 + logit⁻¹ ψ), after θ in the parameters */
  nFamilyPar: number;
  frame: ModelFrame;
  n: number;
  /** the response */
  y: Float64Array;
  /**
   * the density's constant subtracted per row: log Γ(y + 1) for the count families, −log C(size, k) for
   * binomial and betabinomial (k = y × size successes), log y for Gamma and tweedie; 0 otherwise
   */
  lgy1: Float64Array;
  /** the conditional model's X (n × p, column-major), names, offset */
  X: Float64Array;
  p: number;
  xnames: string[];
  offset: Float64Array | null;
  /** the zero-inflation model's X (n × pz, column-major) and names; pz = 0 for '~ 0' */
  Xzi: Float64Array;
  pz: number;
  zinames: string[];
  /** the zero-inflation model's frame (its columns, contrasts: predictions for new data) */
  ziFrame: ModelFrame;
  /** the dispersion model: its formula, text, frame, X (n × pd, column-major), names; pd = 0 without a dispersion parameter */
  dispFormula: Formula;
  dispText: string;
  dispFrame: ModelFrame;
  Xd: Float64Array;
  pd: number;
  dispnames: string[];
  /** the dispersion model is '~ 1' (one φ: glmmTMB prints it and sigma() returns it) */
  dispConstant: boolean;
  /** the frame options all formulas were read with (factors, contrasts) */
  frameOptions: ModelFrameOptions;
  blocks: RandomBlock[];
  theta: ThetaLayout;
  /** the random-effects terms: the conditional model's (frame.reTerms), then the zero model's (ziFrame.reTerms) */
  reTerms: ReTerm[];
  /** how many of reTerms are the conditional model's */
  nCondTerms: number;
  /** per block, the linear predictor of each column: 0 the conditional model's, 1 the zero model's */
  predictors: Int8Array[];
  /** the zero model has random effects */
  ziRandom: boolean;
  /** the number of parameters: p + pz + pd + nTheta + nFamilyPar */
  nPar: number;
  nTheta: number;
  /** notes for the user (dropped rows, dropped columns) */
  messages: string[];
}

/** Reads the family option with a clear error. */
export function ziFamily(family: unknown): ZiFamily {
  if (family === undefined) return 'poisson';
  if (typeof family === 'string' && family in ZI_FAMILY_ALIASES) return ZI_FAMILY_ALIASES[family];
  if (typeof family !== 'string' || !(ZI_FAMILIES as readonly string[]).includes(family)) {
    throw new OptionError('family', `family: '${String(family)}' is not a glmmTMB family offered here; use one of ${ZI_FAMILIES.join(', ')} ('beta' is beta_family)`);
  }
  return family as ZiFamily;
}

/** The rows of the input a frame kept (all when rows is null). */
function keptRows(frame: ModelFrame): Int32Array {
  return frame.rows ?? Int32Array.from({ length: frame.n }, (_, i) => i);
}

/** the table with the response set to NaN outside `keep` (so that the frame drops and counts those rows) */
function withResponseMissing(table: arrow.Table, yname: string, keep: Uint8Array): arrow.Table {
  const col = table.getChild(yname)!;
  const y = new Float64Array(table.numRows);
  for (let i = 0; i < y.length; i++) {
    const v = col.get(i);
    y[i] = keep[i] && v !== null && v !== undefined ? Number(v) : NaN;
  }
  return table.setChild(yname, arrowLib.makeVector(y));
}

/** A one-sided fixed-effects formula option (ziformula, dispformula) read on the response's name. */
function sideFormula(option: 'ziformula' | 'dispformula', text: string, yname: string): Formula {
  if (!text.startsWith('~')) throw new OptionError(option, `${option}: '${text}' must be a one-sided formula such as '~ 1' or '~ x'`);
  const f = parseFormula(`${yname} ${text}`);
  const what = option === 'ziformula' ? 'zero-inflation' : 'dispersion';
  if (option === 'ziformula') {
    for (const t of f.random) {
      if (t.structure) throw new ModelError(`ziformula: covariance structures (${t.structure}(…)) are not available in the zero-inflation model here; use (1 | g) or (x | g)`);
    }
  }
  if (f.random.length > 0 && option === 'dispformula') {
    throw new ModelError(`${option}: '${text}' has random-effects terms (${f.random.map((t) => t.text).join(', ')}); glmmTMB allows them in its newer versions, but here the ${what} model takes fixed effects only`);
  }
  if (f.offsets.length > 0) throw new ModelError(`${option}: offset() terms are not available in the ${what} model here`);
  return f;
}

/** formulas + data → the model. */
export function buildZeroInflatedModel(formula: string | Formula, data: arrow.Table, options: ZeroInflatedModelOptions = {}): ZeroInflatedModel {
  const family = ziFamily(options.family);
  const info = familyInfo(family);
  const f = mixedFormula(formula, data);
  const response = f.response;
  // the response's column (cbind: the successes'), set missing on the rows the side formulas drop
  const yexpr = response.kind === 'cbind' && info.binomial ? response.successes : response.kind === 'expr' ? response.expr : null;
  if (!yexpr || yexpr.type !== 'var') {
    throw new ModelError(info.binomial
      ? `the response of a ${family} model here is cbind(successes, failures) with the successes a column, a 0/1 column, or a proportion column with weights (the trials), not '${response.label}'`
      : `the response of a glmmTMB model here is one column${info.count ? ' of counts' : ''}, not '${response.label}'${response.kind === 'cbind' ? ' (cbind(successes, failures) is for binomial and betabinomial)' : ''}`);
  }
  const yname = yexpr.name;
  if (options.weights !== undefined && !info.binomial) {
    throw new OptionError('weights', `weights: prior weights are taken for binomial and betabinomial here (the numbers of trials of a proportion response), not for ${family}`);
  }
  if (!data.getChild(yname)) throw new DataError(`response column '${yname}' not found in the data (columns: ${data.schema.fields.map((x) => x.name).join(', ')})`, { column: yname });
  for (const t of f.random) {
    if (t.structure) throw new ModelError(`covariance structures (${t.structure}(…)) are not available for zero-inflated models here; use (1 | g)`);
  }
  const ziText = (options.ziformula ?? (info.count ? '~ 1' : '~ 0')).trim();
  const ziFormula = sideFormula('ziformula', ziText, yname);
  if (!info.zeroModel && !(ziFormula.fixed.intercept === false && ziFormula.fixed.terms.length === 0 && ziFormula.random.length === 0)) {
    const why = family === 'beta_family' ? ', which a beta response in (0, 1) never has'
      : family === 'gaussian' ? ', which a continuous gaussian response has with probability 0'
        : family === 'Gamma' ? ', which a Gamma response (y > 0) never has; glmmTMB reads a zero-inflated Gamma as a hurdle on y = 0, not implemented here'
          : ', and a tweedie response has its own point mass at 0 (P(y = 0) = exp(−μ^(2−p)/(φ(2−p)))); zero-inflated tweedie is not implemented here';
    throw new OptionError('ziformula', `ziformula: '${ziText}' with family ${family}: a zero model is for counts and binomial responses (glmmTMB's zero-inflation mixes in exact zeros${why}); use '~ 0' (the default for ${family})`);
  }
  const dispText = (options.dispformula ?? '~ 1').trim();
  const dispFormula = sideFormula('dispformula', dispText, yname);
  const dispNone = dispFormula.fixed.intercept === false && dispFormula.fixed.terms.length === 0;
  if (!info.hasDispersion && dispText.replace(/\s+/g, '') !== '~1') {
    throw new OptionError('dispformula', `dispformula: '${dispText}' with family ${family}: ${info.dist === 'binomial' ? 'a binomial model has no dispersion parameter (Var = nμ(1 − μ); betabinomial has one)' : 'a Poisson model has no dispersion parameter (Var = μ)'}; a dispersion model needs nbinom1, nbinom2, genpois, compois, their truncated forms, betabinomial, beta_family, gaussian, Gamma or tweedie`);
  }
  if (info.hasDispersion && dispNone) {
    throw new OptionError('dispformula', `dispformula: '${dispText}' leaves the ${family} family without its dispersion parameter (glmmTMB's '~ 0' fixes a gaussian model's residual variance at a tiny value); give '~ 1' or a model such as '~ x'`);
  }
  const frameOptions: ModelFrameOptions = {
    ...(options.factors ? { factors: options.factors } : {}),
    ...(options.contrasts ? { contrasts: options.contrasts } : {}),
  };
  const nIn = data.numRows;
  // glmmTMB's na.omit over all formulas: the zi and dispersion frames' rows, then the conditional frame
  // on those, then the zi and dispersion designs on the conditional frame's rows
  const zi0 = buildModelFrame(ziFormula, data, frameOptions);
  const disp0 = buildModelFrame(dispFormula, data, frameOptions);
  const keep = new Uint8Array(nIn);
  for (const r of keptRows(zi0)) keep[r] = 1;
  const keepD = new Uint8Array(nIn);
  for (const r of keptRows(disp0)) keepD[r] = 1;
  for (let r = 0; r < nIn; r++) keep[r] &= keepD[r];
  // binomial and betabinomial read their response as R's binomial() does (src/frame/glmResponse.ts: the
  // proportion y and the prior weights, cbind's trials times any weights: glmmTMB's size)
  const glmSpec = info.binomial ? { family: 'binomial' as const, ...(options.weights !== undefined ? { weights: options.weights } : {}) } : undefined;
  const frame = buildModelFrame(f, withResponseMissing(data, yname, keep), frameOptions, glmSpec);
  const rows = keptRows(frame);
  const keep2 = new Uint8Array(nIn);
  for (const r of rows) keep2[r] = 1;
  const on = withResponseMissing(data, yname, keep2);
  const ziFrame = buildModelFrame(ziFormula, on, frameOptions);
  const dispFrame = buildModelFrame(dispFormula, on, frameOptions);
  if (ziFrame.n !== frame.n || dispFrame.n !== frame.n) throw new ModelError('internal: the conditional, zero-inflation and dispersion frames kept different rows');
  const n = frame.n;
  const { hurdle, dist, link, count, binomial, nFamilyPar } = info;
  const pz = ziFrame.p;
  const pd = info.hasDispersion ? dispFrame.p : 0;
  const y = frame.y;
  const lgy1 = new Float64Array(n);
  const size = binomial ? Float64Array.from(frame.weights!) : null;
  for (let i = 0; i < n; i++) {
    const v = y[i];
    const row = rows[i] + 1;
    if (count) {
      if (!(v >= 0) || !Number.isFinite(v)) throw new DataError(`response '${yname}' is ${v} in row ${row}: counts must be whole numbers ≥ 0`, { column: yname, row });
      if (Math.round(v) !== v) throw new DataError(`response '${yname}' is ${v} in row ${row}: counts must be whole numbers (glmmTMB's ${family} takes counts)`, { column: yname, row });
      if (hurdle && pz === 0 && ziFrame.reTerms.length === 0 && v === 0) throw new DataError(`response '${yname}' is 0 in row ${row}: a ${family} model without a zero model (ziformula '~ 0') cannot have zeros`, { column: yname, row });
    } else if (binomial) {
      // glmmTMB's yobs = y × size successes (binomial()$initialize has checked y in [0, 1] and the weights)
      const m = size![i];
      if (Math.round(m) !== m) throw new DataError(`response '${response.label}' in row ${row}: ${m} trials (the weights${response.kind === 'cbind' ? ' times the successes and failures' : ''}) is not a whole number; ${family} here takes whole numbers of trials`, { column: yname, row });
      const k = v * m;
      if (Math.abs(k - Math.round(k)) > 1e-8 * Math.max(1, k)) throw new DataError(`response '${response.label}' in row ${row}: ${v} × ${m} trials is ${k} successes, not a whole number (glmmTMB's ${family} counts successes: give whole numbers of trials as weights, or cbind(successes, failures))`, { column: yname, row });
    } else if (dist === 'gamma') {
      if (!(v > 0) || !Number.isFinite(v)) throw new DataError(`response '${yname}' is ${v} in row ${row}: the Gamma family takes responses y > 0 (glmmTMB's Gamma density is 0 or undefined at y ≤ 0)`, { column: yname, row });
    } else if (dist === 'tweedie') {
      if (!(v >= 0) || !Number.isFinite(v)) throw new DataError(`response '${yname}' is ${v} in row ${row}: the tweedie family (1 < p < 2) takes responses y ≥ 0 (a point mass at 0 and a continuous part on y > 0)`, { column: yname, row });
    } else if (dist === 'beta') {
      if (!(v > 0 && v < 1)) throw new DataError(`response '${yname}' is ${v} in row ${row}: beta_family takes responses strictly between 0 and 1 (glmmTMB: "y values must be 0 < y < 1"); 0 and 1 have density 0 or ∞ under a beta distribution`, { column: yname, row });
    } else if (!Number.isFinite(v)) {
      throw new DataError(`response '${yname}' is ${v} in row ${row}: a gaussian response must be a finite number`, { column: yname, row });
    }
  }
  if (count) for (let i = 0; i < n; i++) lgy1[i] = lgammaInt(y[i]);
  // −log C(size, k) = log Γ(k + 1) + log Γ(size − k + 1) − log Γ(size + 1)
  if (binomial) for (let i = 0; i < n; i++) { const m = size![i], k = Math.round(y[i] * m); lgy1[i] = lgammaInt(k) + lgammaInt(m - k) - lgammaInt(m); }
  if (dist === 'gamma' || dist === 'tweedie') for (let i = 0; i < n; i++) lgy1[i] = y[i] > 0 ? Math.log(y[i]) : 0;
  if (frame.reTerms.length === 0) throw new ModelError(`the formula '${f.text}' has no random-effects terms: a glmmTMB mixed model here needs at least one in its conditional model, e.g. (1 | g)`);
  // the zero model's terms after the conditional model's (positions past them: a shared factor's block
  // holds the conditional columns first)
  const ziTerms = ziFrame.reTerms;
  const shift = 1 + Math.max(...frame.reTerms.map((t) => t.position));
  const reTerms = [...frame.reTerms, ...ziTerms.map((t) => ({ ...t, position: t.position + shift }))];
  for (const t of ziTerms) {
    const c = frame.reTerms.find((u) => u.group === t.group);
    if (c && (c.levels.length !== t.levels.length || c.levels.some((v, k) => v !== t.levels[k]) || c.codes.some((v, k) => v !== t.codes[k]))) {
      throw new ModelError(`internal: the grouping factor '${t.group}' has different levels in the conditional and zero-inflation models`);
    }
  }
  const { blocks, theta } = buildRandomBlocks(reTerms);
  const nCondTerms = frame.reTerms.length;
  const predictors = blocks.map((b) => {
    const pred = new Int8Array(b.q);
    for (const m of b.terms) if (m.term >= nCondTerms) pred.fill(1, m.col, m.col + m.q);
    return pred;
  });
  const nb = dist === 'nbinom1' || dist === 'nbinom2';
  const nTheta = theta.length;
  const side = (fr: ModelFrame, label: string) => fr.messages.filter((m) => !frame.messages.includes(m) && !/dropped .*missing/i.test(m)).map((m) => `${label} model: ${m}`);
  const messages = [...frame.messages, ...side(ziFrame, 'zero-inflation'), ...(pd > 0 ? side(dispFrame, 'dispersion') : [])];
  return {
    formula: f, ziFormula, ziText, family, dist, link, hurdle, nb, count, binomial, size, nFamilyPar, frame, n, y, lgy1,
    X: frame.X, p: frame.p, xnames: frame.xnames, offset: frame.offset,
    Xzi: ziFrame.X, pz, zinames: ziFrame.xnames, ziFrame,
    dispFormula, dispText, dispFrame, Xd: pd > 0 ? dispFrame.X : new Float64Array(0), pd, dispnames: pd > 0 ? dispFrame.xnames : [],
    dispConstant: pd === 1 && dispFrame.xnames[0] === '(Intercept)',
    frameOptions, blocks, theta, reTerms, nCondTerms, predictors, ziRandom: ziTerms.length > 0,
    nPar: frame.p + pz + pd + nTheta + nFamilyPar, nTheta, messages,
  };
}

/** log Γ(y + 1) = log y! for a whole y ≥ 0 (a sum up to 170, Stirling's series above) */
function lgammaInt(y: number): number {
  if (y < 2) return 0;
  if (y <= 170) { let s = 0; for (let k = 2; k <= y; k++) s += Math.log(k); return s; }
  const x = y + 1;
  // log Γ(x) = (x − ½) log x − x + ½ log 2π + 1/(12x) − 1/(360x³) + 1/(1260x⁵)
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3) + 1 / (1260 * x ** 5);
}
