/**
 * multcomp 1.4-22's general linear hypotheses of a mixed model's fixed effects, glht(fit, linfct):
 * H0: Kβ = m (or ≤, ≥) with β̂ = fixef(fit), V = vcov(fit) (lme4's, as modelparm.merMod reads them; for
 * nlme's lme and gls, MASS's glmmPQL and glmmTMB — a component's block — the fit's own, through a GlhtModel), so
 *   estimates   Kβ̂,   their covariance  K V Kᵀ,   t_i = (K_i β̂ − m_i) / √(K V Kᵀ)_ii,
 * referred to the normal (multcomp's df = 0 for lmer and glmer fits) or a t with `df`. K comes from
 *   - multcomp's mcp(): multiple comparisons of a factor's levels (contrMat's Tukey, Dunnett, … or
 *     symbolic hypotheses on the levels), as mcp2matrix builds it: the comparisons C_mcp of the levels
 *     times the factor's contrasts (C_mcp · contr, placed on the columns of the factor's own term; a
 *     factor in an interaction gets multcomp's warning that the default contrasts may not be appropriate;
 *     with mcp's interaction_average and covariate_average, mcp2matrix2's rows over all the factor's terms:
 *     averaged over the other factors' levels, at the covariates' means, mcpAverage.ts);
 *   - symbolic hypotheses on the coefficients (`'x - z = 0'`, glhtLinfct.ts), or a matrix K.
 * summary(test): multcomp's tests of the hypotheses —
 *   univariate      p_i from t_i alone;
 *   single-step     p_i = 1 − P(max_j |T_j| ≤ |t_i|), T ~ N(0, R) (or t), R = cov2cor(K V Kᵀ) (pmvt);
 *   free, Shaffer, Westfall   step-down: free re-tests the remaining hypotheses after each rejection,
 *                   Westfall (and Shaffer with Bonferroni in place of pmvt) over multcomp's maximal sets
 *                   of hypotheses that can be true together (logical constraints: maxsets, by the search
 *                   of the flats in glhtMaxsets.ts; one integral per set, at its most significant), then the
 *                   running maximum;
 *   p.adjust's methods (holm, hochberg, hommel, bonferroni, BH, BY, fdr, none) of the univariate p;
 *   Chisq, F        the global test: SSH = (Kβ̂ − m)ᵀ (K V Kᵀ)⁺ (Kβ̂ − m) on q = rank(K V Kᵀ) df (χ²), or
 *                   SSH/q on (q, df.residual(fit)) (lme4's n − the number of parameters; glmmTMB's
 *                   df.residual; lme and gls have none, and multcomp gives the χ² test with a warning).
 * cld(level, decreasing): a Tukey family's compact letter display of the summary (glhtCld.ts).
 * confint(level, calpha): Kβ̂ ± c · SE with c the equicoordinate quantile of T (adjusted, the default) or
 * of one T_i (univariate). mvtnorm integrates by randomized lattice rules to an error of about 1e-3 by
 * default; the integrals here are run to `abseps` (default 1e-4; see src/stats/mvt.ts), so single-step,
 * free, Westfall p-values and the adjusted quantile agree with multcomp's to about that error.
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { pchisqUpper, pfUpper, pt, qt, qnorm } from '../stats/distributions.js';
import { pnorm } from '../glmm/rmath.js';
import { pmvt, qmvtBoth, qmvtLower } from '../stats/mvt.js';
import { P_ADJUST_METHODS, type PAdjustMethod, pAdjust } from '../stats/pAdjust.js';
import { contrastMatrix } from '../frame/contrasts.js';
import { termColumns } from './termColumns.js';
import { type ContrastType, CONTRAST_TYPES, contrMat, matchContrastType } from './contrMat.js';
import { type Alternative, symbolicHypotheses } from './glhtLinfct.js';
import { pseudoInverse } from './eigen.js';
import { maxsets } from './glhtMaxsets.js';
import { type GlhtCld, type GlhtCldOptions, cldOfSummary } from './glhtCld.js';
import type { ModelFrame } from '../frame/modelFrame.js';
import { FAMILY_LINKS } from '../glmm/family.js';
import { deparseCall } from '../results/rFormat.js';
import { type AveragedFactor, type McpAverageOptions, averagedFactorRows, checkCovariateStep, multcompCovariateStep } from './mcpAverage.js';

type Fit = LmmFit | GlmmFit;

/**
 * What glht reads of a fit (multcomp's modelparm): the frame of the fixed part (its factors, contrasts
 * and the terms' columns, for mcp), β̂ and V = vcov(β̂), df.residual (null where the fit has none), and
 * the call for the printout's Fit line.
 */
export interface GlhtModel {
  frame: ModelFrame;
  beta: ArrayLike<number>;
  vcov: number[][];
  dfResidual: number | null;
  /** the fit's call as R prints it (deparseCall: width.cutoff 60), one line each */
  fitCall: string[];
}

/** a fit that gives its GlhtModel (nlme's lme and gls, glmmPQL, glmmTMB by component) */
export interface HasGlhtModel {
  glhtModel(component?: string): GlhtModel;
}

/** refuses glmmTMB's `component` for a fit with one set of fixed effects (`what`: 'an lme fit') */
export function refuseComponent(component: string | undefined, what: string): void {
  if (component !== undefined) throw new OptionError('component', `${WHAT}: component is a glmmTMB fit's option (its cond, zi or disp coefficients); ${what} has one set of fixed effects`);
}

/** lmer's and glmer's GlhtModel: lme4's fixef and vcov, df.residual n − the number of parameters */
function lme4GlhtModel(fit: Fit): GlhtModel {
  const frame = fit.model.frame;
  return {
    frame, beta: fit.beta, vcov: fit.vcov, dfResidual: fit.nobs - fit.df,
    fitCall: lme4Call(fit),
  };
}

/**
 * lmer's or glmer's call as the user would have written it in R: formula, data (where the fit knows its name),
 * family (glmer: with its link where not the default; glmer.nb's own function), weights, REML = FALSE (an ML
 * lmer fit), contrasts (other than treatment)
 */
function lme4Call(fit: Fit): string[] {
  const frame = fit.model.frame;
  const args: { name: string; formula?: string; code?: string }[] = [{ name: 'formula', formula: frame.formula.text ?? '' }];
  if (fit.dataName) args.push({ name: 'data', code: fit.dataName });
  let fn = 'lmer';
  if ('family' in fit) {
    const { family, link } = fit.model.family;
    fn = family === 'negative.binomial' ? 'glmer.nb' : 'glmer';
    const defaultLink = family === 'gaussian' ? 'identity' : FAMILY_LINKS[family][0];
    if (fn === 'glmer') args.push({ name: 'family', code: link === defaultLink ? family : `${family}(link = "${link}")` });
  } else if (!fit.reml) {
    args.push({ name: 'REML', code: 'FALSE' });
  }
  if (frame.weightsName) args.push({ name: 'weights', code: frame.weightsName });
  if (frame.contrasts && Object.keys(frame.contrasts).length > 0) {
    args.push({ name: 'contrasts', code: `list(${Object.entries(frame.contrasts).map(([k, v]) => `${k} = "${v}"`).join(', ')})` });
  }
  return deparseCall(fn, args);
}

/**
 * multcomp's mcp(f = "Tukey"): per factor a contrast type, symbolic hypotheses on its levels, or a matrix over
 * its levels (R's matrix with rownames, such as contrMat(table(f), "Dunnett", base = 2): { K, rowNames })
 */
export interface McpSpec extends McpAverageOptions { mcp: Record<string, ContrastType | string | string[] | number[][] | LevelMatrix> }

/** a matrix over a factor's levels with its rows' names (R's rownames, which multcomp keeps; its type is "User-defined") */
export interface LevelMatrix { K: number[][]; rowNames: string[] }

/**
 * mcp({ Variety: 'Tukey' }): the linfct of multiple comparisons of factors' levels; mcp({ f: 'Tukey' },
 * { interactionAverage: true, covariateAverage: true }): multcomp's interaction_average and covariate_average
 * (a factor in interactions compared averaged over the other factors' levels, at the covariates' means: mcpAverage.ts)
 */
export function mcp(spec: McpSpec['mcp'], options: McpAverageOptions = {}): McpSpec {
  for (const k of ['interactionAverage', 'covariateAverage'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'boolean') throw new OptionError(k, `${WHAT}: mcp's ${k} must be true or false, not ${showValue(options[k])}`);
  }
  return { mcp: spec, ...(options.interactionAverage ? { interactionAverage: true } : {}), ...(options.covariateAverage ? { covariateAverage: true } : {}) };
}

/** a matrix K over the coefficients (rows the hypotheses), with optional row names */
export interface LinfctMatrix { K: number[][]; rowNames?: string[] }

export type Linfct = McpSpec | string[] | string | LinfctMatrix;

export interface GlhtOptions {
  /** the alternative of a matrix K or an mcp type (symbolic hypotheses say theirs by ==, <=, >=) */
  alternative?: Alternative;
  /** m of H0: Kβ = m for a matrix K (a number for all rows, or one per row; default 0) */
  rhs?: number | number[];
  /** the t's degrees of freedom (multcomp's df; default 0, the normal, as for every mixed model) */
  df?: number;
  /** a glmmTMB fit's component: 'cond' (default), 'zi' or 'disp' (glmmTMB's modelparm) */
  component?: string;
}

export const GLHT_TESTS = ['single-step', 'Shaffer', 'Westfall', 'free', ...P_ADJUST_METHODS, 'univariate', 'Chisq', 'F'] as const;
export type GlhtTest = (typeof GLHT_TESTS)[number];

export interface GlhtSummaryOptions {
  /** multcomp's test: adjusted(type), univariate(), Chisqtest(), Ftest() (default 'single-step') */
  test?: GlhtTest;
  /** the multivariate integrals' absolute error (default 1e-4) */
  abseps?: number;
}

export interface GlhtTestResult {
  test: Exclude<GlhtTest, 'Chisq' | 'F'>;
  estimate: number[];
  se: number[];
  statistic: number[];
  pValue: number[];
  /** the largest integration error of the p-values (0 where none was integrated) */
  error: number;
}

export interface GlhtGlobalResult {
  /** the test done: 'Chisq' where 'F' was asked of a fit without df.residual (with multcomp's warning) */
  test: 'Chisq' | 'F';
  /** multcomp's warning where F became Chisq */
  warning?: string;
  /** SSH (Chisq) or SSH/q (F) */
  statistic: number;
  df: number[];
  pValue: number;
}

export interface GlhtConfint {
  level: number;
  calpha: 'adjusted' | 'univariate';
  /** the critical value c */
  quantile: number;
  estimate: number[];
  lower: number[];
  upper: number[];
}

export interface GlhtConfintOptions {
  level?: number;
  /** adjusted_calpha() (default) or univariate_calpha() */
  calpha?: 'adjusted' | 'univariate';
  abseps?: number;
}

/** one glht object: the hypotheses and what multcomp computes of them */
export interface Glht {
  /** K, row-major rows over the coefficients */
  linfct: number[][];
  rowNames: string[];
  coefNames: string[];
  rhs: number[];
  alternative: Alternative;
  df: number;
  /** "Tukey", "Dunnett, Tukey", "User-defined" for mcp(); null otherwise */
  type: string | null;
  /** the fit's call as R prints it, one line each, for the printout's Fit block */
  fitCall: string[];
  /** df.residual(fit), the F test's denominator df (null: the fit has none, and F is multcomp's χ²) */
  dfResidual: number | null;
  estimate: number[];
  /** K V Kᵀ, row-major */
  covariance: number[][];
  messages: string[];
  /** mcp()'s factors (multcomp's focus): each one's levels and mean response per level (cld's level order); null otherwise */
  focus: GlhtFocus[] | null;
  summary(options?: GlhtSummaryOptions): GlhtTestResult | GlhtGlobalResult;
  confint(options?: GlhtConfintOptions): GlhtConfint;
  /** cld(summary(glht, test)): the compact letter display of a Tukey family (glhtCld.ts) */
  cld(options?: GlhtCldOptions & Pick<GlhtSummaryOptions, 'test' | 'abseps'>): GlhtCld;
}

export interface GlhtFocus {
  factor: string;
  levels: string[];
  /** mean(y) per level, y the response as R's model frame holds it (a cbind's first column: the successes) */
  meanResponse: number[];
}

const WHAT = 'glht';

/** the factor's mcp rows over the coefficients (mcp2matrix) */
function mcpMatrix(frame: ModelFrame, spec: McpSpec['mcp'], messages: string[], average: McpAverageOptions = {}): { K: number[][]; rowNames: string[]; rhs: number[]; alternative: Alternative | null; type: string; focus: GlhtFocus[] } {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec) || Object.keys(spec).length === 0) {
    throw new OptionError('linfct', `${WHAT}: mcp() takes factors' names with a contrast type, e.g. mcp({ Variety: 'Tukey' }), not ${showValue(spec)}`);
  }
  const fixed = frame.formula.fixed;
  const names = Object.keys(spec);
  const variables = new Set(fixed.terms.flatMap((t) => t.vars.map((v) => v.label)));
  const cols = termColumns(frame);
  const K: number[][] = [], rowNames: string[] = [], rhs: number[] = [];
  const types: string[] = [];
  const focus: GlhtFocus[] = [];
  let alternative: Alternative | null = null;
  // multcomp's K before its covariate step, and the state that step reads (mcpAverage.ts)
  const Kmultcomp: number[][] = [];
  let last: AveragedFactor['lastCovariate'] = null;
  // the response as R's model frame holds it: a binomial cbind(s, f)'s first column s = y · trials
  const y = frame.trials ? frame.y.map((v, i) => v * frame.trials![i]) : frame.y;
  for (const nm of names) {
    if (!variables.has(nm)) throw new ModelError(`${WHAT}: the variable '${nm}' was given in mcp() but is not in the model's fixed effects (${[...variables].join(', ')})`);
    const col = frame.columns.get(nm);
    if (!col || col.kind !== 'factor') throw new ModelError(`${WHAT}: the variable '${nm}' is not contained as a factor in the model (mcp compares the levels of a factor)`);
    const levels = col.levels;
    const n = levels.map(() => 0);
    const sums = levels.map(() => 0);
    col.codes.forEach((c, i) => { if (c >= 0) { n[c]++; sums[c] += y[i]; } });
    focus.push({ factor: nm, levels: levels.slice(), meanResponse: sums.map((v, l) => (n[l] > 0 ? v / n[l] : NaN)) });
    // the comparisons of the levels: per element a contrast type (contrMat's rows) or a hypothesis on the
    // levels (chrlinfct2matrix's row), as mcp2matrix's Kchr; or a matrix over the levels
    const given = spec[nm];
    let Kl: number[][] = [];
    let rn: string[] = [];
    const strings = typeof given === 'string' ? [given] : Array.isArray(given) && given.every((g) => typeof g === 'string') ? given as string[] : null;
    if (strings && strings.length > 0) {
      for (const item of strings) {
        const ct = matchContrastType(item);
        if (ct !== null) {
          const cm = contrMat(n, levels, ct);
          Kl.push(...cm.K); rn.push(...cm.names); types.push(cm.type);
          continue;
        }
        if (!/[=<>]/.test(item)) throw new OptionError('linfct', `${WHAT}: '${item}' is not one of multcomp's contrast types (${CONTRAST_TYPES.join(', ')}) nor a hypothesis on the levels of '${nm}'`);
        const sh = symbolicHypotheses([item], levels);
        Kl.push(...sh.K); rn.push(...sh.rowNames); rhs.push(...sh.rhs);
        if (alternative !== null && sh.alternative !== alternative) throw new ModelError(`${WHAT}: the hypotheses mix alternatives, which multcomp does not implement`);
        alternative = sh.alternative;
      }
    } else if (isLevelRows(given, levels.length)) {
      // a matrix without row names: mcp2matrix names its rows 1, 2, …
      Kl = given.map((r) => r.slice()); rn = Kl.map((_, i) => String(i + 1));
    } else if (typeof given === 'object' && given !== null && !Array.isArray(given) && isLevelRows(given.K, levels.length)
      && Array.isArray(given.rowNames) && given.rowNames.length === given.K.length && given.rowNames.every((r) => typeof r === 'string')) {
      // a matrix with row names (contrMat's): multcomp keeps them
      Kl = given.K.map((r) => r.slice()); rn = given.rowNames.slice();
    } else {
      throw new OptionError('linfct', `${WHAT}: mcp's '${nm}' must be a contrast type (${CONTRAST_TYPES.join(', ')}), hypotheses on its levels ('${levels[1] ?? 'b'} - ${levels[0]} = 0'), or a matrix with ${levels.length} columns (one per level; as { K, rowNames } with its rows' names), not ${showValue(given)}`);
    }
    if (names.length > 1) rn = rn.map((r) => `${nm}: ${r}`);
    // the factor's own term and its columns of X
    const termIndex = fixed.terms.findIndex((t) => t.label === nm);
    if (termIndex < 0) throw new ModelError(`${WHAT}: the factor '${nm}' has no main-effect term in the model (it appears only in interactions), so mcp has no columns to compare its levels on`);
    const averaged = average.interactionAverage === true || average.covariateAverage === true;
    const inTerms = fixed.terms.filter((t) => t.vars.some((v) => v.label === nm)).length;
    if (inTerms > 1 && !averaged) messages.push('covariate interactions found -- default contrast might be inappropriate');
    let where = cols[termIndex];
    // K* = K_levels · C (the factor's contrasts), or K itself where the factor is coded by indicators
    // (no intercept and the factor the first term; mcp2matrix2 takes K itself for any factor of a model
    // without an intercept, which fits only the first term's columns)
    if (averaged && !fixed.intercept && termIndex !== 0) throw new ModelError(`${WHAT}: mcp's interaction_average and covariate_average in a model without an intercept take the levels' comparisons as they are, which fit only the first term's columns (multcomp stops); '${nm}' is not the first term`);
    const indicators = !fixed.intercept && termIndex === 0;
    let Kstar: number[][];
    if (indicators) Kstar = Kl;
    else {
      const C = contrastMatrix(frame.contrasts?.[nm] ?? 'contr.treatment', levels);
      Kstar = Kl.map((row) => Array.from({ length: C.m }, (_, j) => row.reduce((s, v, l) => s + v * C.matrix[l * C.m + j], 0)));
    }
    if (Kstar[0].length !== where.length) throw new ModelError(`${WHAT}: the factor '${nm}' has ${Kstar[0].length} columns in its coding but ${where.length} in the fitted X (a rank-deficient column was dropped), so its comparisons are not estimable here`);
    if (averaged) {
      // mcp2matrix2: the factor's comparisons over the columns of all its terms (mcpAverage.ts)
      const a = averagedFactorRows(frame, nm, termIndex, Kstar, cols, average);
      messages.push(...a.messages);
      last = a.lastCovariate;
      ({ where, K: Kstar } = a);
      for (const row of a.Kmultcomp) {
        const full = new Array(frame.p).fill(0);
        where.forEach((j, c) => { full[j] = row[c]; });
        Kmultcomp.push(full);
      }
    }
    for (const row of Kstar) {
      const full = new Array(frame.p).fill(0);
      where.forEach((j, a) => { full[j] = row[a]; });
      K.push(full);
    }
    rowNames.push(...rn);
  }
  // multcomp's last step (covariates at their means by the columns' names): refused where it is not the intended K
  if (average.interactionAverage === true || average.covariateAverage === true) checkCovariateStep(K, multcompCovariateStep(Kmultcomp, frame.xnames, last, average.covariateAverage === true), frame.xnames);
  return { K, rowNames, rhs: rhs.length ? rhs : K.map(() => 0), alternative, type: types.length ? [...new Set(types)].join(', ') : 'User-defined', focus };
}

/** rows over a factor's k levels: a non-empty array of arrays of k finite numbers */
function isLevelRows(v: unknown, k: number): v is number[][] {
  return Array.isArray(v) && v.length > 0 && v.every((r) => Array.isArray(r) && r.length === k && r.every((x) => typeof x === 'number' && Number.isFinite(x)));
}

function checkNumber(v: unknown, name: string, ok: (x: number) => boolean, what: string): number {
  if (typeof v !== 'number' || !ok(v)) throw new OptionError(name, `${WHAT}: ${name} must be ${what}, not ${showValue(v)}`);
  return v;
}

/**
 * multcomp's MPinv of a symmetric positive semi-definite matrix: the Moore–Penrose inverse from the
 * eigenvalues above rel × the largest (MPinv's singular values above √ε × the largest: rel = √ε for the
 * matrix itself, ε for a Gram matrix AᵀA, whose eigenvalues are A's squared singular values)
 */
function mpInverse(S: number[][], rel: number): { inverse: number[][]; rank: number } {
  const k = S.length;
  // eigenvalues above rel × the largest (none where the largest is not positive)
  const { inverse, rank } = pseudoInverse(Float64Array.from(S.flat()), k, (values) => {
    const top = Math.max(0, ...values);
    return top > 0 ? rel * top : Infinity;
  });
  return { inverse: Array.from({ length: k }, (_, i) => Array.from(inverse.subarray(i * k, i * k + k))), rank };
}

const corrOf = (S: number[][]) => Float64Array.from(S.flatMap((row, i) => row.map((v, j) => v / Math.sqrt(S[i][i] * S[j][j]))));

/** the GlhtModel of a fit (a glmmTMB fit's `component`; refused for the others) */
function glhtModelOf(fit: Fit | HasGlhtModel | GlhtModel, component: string | undefined): GlhtModel {
  if (typeof (fit as HasGlhtModel).glhtModel === 'function') return (fit as HasGlhtModel).glhtModel(component);
  refuseComponent(component, 'this fit');
  if ('frame' in fit && 'vcov' in fit && 'fitCall' in fit) return fit;
  return lme4GlhtModel(fit as Fit);
}

/**
 * glht(fit, linfct, options): the hypotheses, their estimates and covariance, for lmer and glmer fits,
 * nlme's lme and gls, glmmPQL and glmmTMB fits (or any GlhtModel)
 */
export function glht(fit: Fit | HasGlhtModel | GlhtModel, linfct: Linfct, options: GlhtOptions = {}): Glht {
  const model = glhtModelOf(fit, options.component);
  const frame = model.frame;
  const coefNames = frame.xnames;
  const p = frame.p;
  const messages: string[] = [];
  let K: number[][], rowNames: string[], rhs: number[] | null = null, alternative: Alternative | null = null, type: string | null = null;
  let focus: GlhtFocus[] | null = null;
  if (typeof linfct === 'string' || (Array.isArray(linfct) && linfct.every((h) => typeof h === 'string'))) {
    const sh = symbolicHypotheses([linfct].flat() as string[], coefNames);
    ({ K, rowNames } = sh); rhs = sh.rhs; alternative = sh.alternative;
  } else if (typeof linfct === 'object' && linfct !== null && 'mcp' in linfct) {
    const m = mcpMatrix(frame, linfct.mcp, messages, { interactionAverage: linfct.interactionAverage, covariateAverage: linfct.covariateAverage });
    ({ K, rowNames, type, focus } = m);
    if (m.alternative !== null) { alternative = m.alternative; rhs = m.rhs; }
  } else if (typeof linfct === 'object' && linfct !== null && 'K' in linfct && Array.isArray(linfct.K)) {
    K = linfct.K.map((r) => {
      if (!Array.isArray(r) || r.length !== p || r.some((v) => typeof v !== 'number' || !Number.isFinite(v))) throw new OptionError('linfct', `${WHAT}: each row of K must hold ${p} numbers, one per coefficient (${coefNames.join(', ')})`);
      return r.slice();
    });
    if (K.length === 0) throw new OptionError('linfct', `${WHAT}: K has no rows`);
    rowNames = linfct.rowNames ?? K.map((_, i) => String(i + 1));
    if (rowNames.length !== K.length) throw new OptionError('linfct', `${WHAT}: ${rowNames.length} row names for ${K.length} rows of K`);
  } else {
    throw new OptionError('linfct', `${WHAT}: linfct must be mcp({ f: 'Tukey' }), hypotheses such as ['x = 0', 'a - b = 0'], or { K: rows }, not ${showValue(linfct)}`);
  }
  if (options.alternative !== undefined) {
    if (!['two.sided', 'less', 'greater'].includes(options.alternative)) throw new OptionError('alternative', `${WHAT}: alternative must be 'two.sided', 'less' or 'greater', not ${showValue(options.alternative)}`);
    if (alternative !== null && alternative !== options.alternative) throw new OptionError('alternative', `${WHAT}: the hypotheses' comparisons give the alternative '${alternative}', and the option says '${options.alternative}'`);
    alternative = options.alternative;
  }
  if (options.rhs !== undefined) {
    if (rhs !== null) throw new OptionError('rhs', `${WHAT}: symbolic hypotheses carry their right-hand sides; rhs is for a matrix K or an mcp type`);
    const r = [options.rhs].flat();
    if (r.some((v) => typeof v !== 'number' || !Number.isFinite(v)) || (r.length !== 1 && r.length !== K.length)) throw new OptionError('rhs', `${WHAT}: rhs must be one number or ${K.length} (one per hypothesis), not ${showValue(options.rhs)}`);
    rhs = r.length === 1 ? K.map(() => r[0]) : r;
  }
  const df = options.df === undefined ? 0 : checkNumber(options.df, 'df', (x) => x >= 0 && Number.isFinite(x), 'a number ≥ 0 (0: the normal)');
  const beta = model.beta;
  const V = model.vcov;
  if (beta.length !== p || V.length !== p) throw new ModelError(`${WHAT}: the fit has ${beta.length} coefficients and a ${V.length} × ${V.length} covariance for the ${p} columns of its X`);
  const estimate = K.map((row) => row.reduce((s, v, j) => s + v * beta[j], 0));
  const KV = K.map((row) => Array.from({ length: p }, (_, j) => row.reduce((s, v, l) => s + v * V[l][j], 0)));
  const covariance = KV.map((a) => K.map((row) => row.reduce((s, v, j) => s + v * a[j], 0)));
  const g: Glht = {
    linfct: K, rowNames, coefNames, rhs: rhs ?? K.map(() => 0), alternative: alternative ?? 'two.sided', df, type,
    fitCall: model.fitCall,
    dfResidual: model.dfResidual,
    estimate, covariance, messages, focus,
    summary: (o = {}) => glhtSummary(g, o),
    cld: (o = {}) => {
      const test = o.test ?? 'single-step';
      if (test === 'Chisq' || test === 'F') throw new OptionError('test', `${WHAT}: a compact letter display needs a p-value per comparison; the ${test} test is one global test`);
      return cldOfSummary(g, glhtSummary(g, { test, ...(o.abseps !== undefined ? { abseps: o.abseps } : {}) }) as GlhtTestResult, o);
    },
    confint: (o = {}) => glhtConfint(g, o),
  };
  return g;
}

const seOf = (g: Glht) => g.covariance.map((row, i) => Math.sqrt(row[i]));
const statOf = (g: Glht) => { const se = seOf(g); return g.estimate.map((e, i) => (e - g.rhs[i]) / se[i]); };

function checkAbseps(v: unknown): number {
  return v === undefined ? 1e-4 : checkNumber(v, 'abseps', (x) => x > 0 && x < 0.1, 'a small positive number (the integrals\' absolute error)');
}

/** pqglht's univariate p-values */
function univariateP(t: number[], alternative: Alternative, df: number): number[] {
  const F = (x: number) => (df > 0 ? pt(x, df) : pnorm(x));
  return t.map((x) => (alternative === 'two.sided' ? 2 * (1 - F(Math.abs(x))) : alternative === 'less' ? F(x) : 1 - F(x)));
}

/** pqglht's adjusted p-values within the hypotheses `rows` of those `at` (1 − P over the rectangle each statistic sets) */
function singleStep(g: Glht, rows: number[], t: number[], abseps: number, at: number[] = rows): { p: number[]; error: number } {
  const S = rows.map((i) => rows.map((j) => g.covariance[i][j]));
  const R = corrOf(S);
  const k = rows.length;
  let error = 0;
  const p = at.map((i) => {
    const q = t[i];
    const lower = new Array(k).fill(g.alternative === 'two.sided' ? -Math.abs(q) : g.alternative === 'less' ? q : -Infinity);
    const upper = new Array(k).fill(g.alternative === 'two.sided' ? Math.abs(q) : g.alternative === 'less' ? Infinity : q);
    const r = pmvt(lower, upper, R, g.df, { abseps });
    error = Math.max(error, r.error);
    return 1 - r.value;
  });
  return { p, error };
}

/**
 * the most hypotheses Shaffer's and Westfall's logical constraints are searched for: all-pairwise comparisons
 * of 8 levels (28 hypotheses). There the flats' search (glhtMaxsets.ts) takes about 1 s and finds 275 maximal
 * sets, each a multivariate normal integral of up to 28 dimensions for Westfall unless its Bonferroni bound
 * cannot raise the running maximum (2 to 8 s on a simulated family: bench/glhtMaxsets.ts); 9 levels' 36
 * hypotheses take about 20 s for the search alone (Bell(9) = 21147 partitions) and 879 sets.
 */
export const MAXSETS_LIMIT = 28;

function glhtSummary(g: Glht, o: GlhtSummaryOptions): GlhtTestResult | GlhtGlobalResult {
  const test = o.test ?? 'single-step';
  if (!(GLHT_TESTS as readonly string[]).includes(test)) throw new OptionError('test', `${WHAT}: test must be one of ${GLHT_TESTS.join(', ')}, not ${showValue(test)}`);
  const abseps = checkAbseps(o.abseps);
  const se = seOf(g);
  const t = statOf(g);
  const k = t.length;
  if (test === 'Chisq' || test === 'F') {
    // SSH = (Kβ̂ − m)ᵀ (K V Kᵀ)⁺ (Kβ̂ − m), q = rank(K V Kᵀ)
    const d = g.estimate.map((e, i) => e - g.rhs[i]);
    const { inverse, rank } = mpInverse(g.covariance, Math.sqrt(Number.EPSILON));
    const SSH = d.reduce((s, di, i) => s + di * inverse[i].reduce((a, v, j) => a + v * d[j], 0), 0);
    if (test === 'Chisq') return { test, statistic: SSH, df: [rank], pValue: pchisqUpper(SSH, rank) };
    if (g.dfResidual === null) {
      // multcomp's global("F") where df.residual(model) is NULL (lme, gls): the χ² test, with its warning
      return { test: 'Chisq', statistic: SSH, df: [rank], pValue: pchisqUpper(SSH, rank), warning: '‘df.residual’ is not available for ‘model’ a Chisq test is performed instead of the requested F test.' };
    }
    return { test, statistic: SSH / rank, df: [rank, g.dfResidual], pValue: pfUpper(SSH / rank, rank, g.dfResidual) };
  }
  const base = { test, estimate: g.estimate, se, statistic: t };
  const pu = univariateP(t, g.alternative, g.df);
  if (test === 'univariate') return { ...base, pValue: pu, error: 0 };
  if ((P_ADJUST_METHODS as readonly string[]).includes(test)) return { ...base, pValue: pAdjust(pu, test as PAdjustMethod), error: 0 };
  const all = Array.from({ length: k }, (_, i) => i);
  if (test === 'single-step') { const r = singleStep(g, all, t, abseps); return { ...base, pValue: r.p, error: r.error }; }
  if (test === 'free') {
    // re-test the remaining hypotheses after removing the one with the smallest adjusted p, each step's minimum kept
    const pv = new Array(k).fill(0);
    let rest = all.slice();
    let error = 0;
    for (let step = 0; step < k; step++) {
      const r = singleStep(g, rest, t, abseps);
      error = Math.max(error, r.error);
      const m = Math.min(...r.p);
      for (const i of rest) pv[i] = Math.max(pv[i], m);
      rest = rest.filter((_, a) => a !== r.p.indexOf(m));
    }
    // (R: pv[i, rownames(K)] <- min(p) for the rows left at step i, then the column maxima)
    return { ...base, pValue: pv, error };
  }
  // Shaffer, Westfall: the hypotheses ordered by their statistics (most significant first), the maximal
  // sets of each step (glhtMaxsets.ts), each set's minimum adjusted p (Westfall: single-step within the set;
  // Shaffer: Bonferroni), the step's maximum over its sets, then the running maximum over the steps
  if (k > MAXSETS_LIMIT) throw new ModelError(`${WHAT}: ${test}'s logical constraints are searched for at most ${MAXSETS_LIMIT} hypotheses (all-pairwise comparisons of 8 levels); these are ${k} (use 'free' or 'single-step')`);
  const score = t.map((x) => (g.alternative === 'less' ? x : g.alternative === 'greater' ? -x : -Math.abs(x)));
  const order = all.slice().sort((a, b) => score[a] - score[b] || a - b);
  const sets = maxsets(order.map((i) => g.linfct[i]));
  let error = 0;
  const stepP: number[] = [];
  for (let j = 0; j < k; j++) {
    // the running maximum so far: a set whose p cannot exceed it leaves the step's p as it is
    let best = j > 0 ? stepP[j - 1] : -Infinity;
    // (larger sets first: theirs are the larger p's)
    for (const set of sets[j].slice().sort((a, b) => b.length - a.length)) {
      const rows = set.map((s) => order[s]);
      // the set's most significant hypothesis is j (set[0]): its p is the set's minimum, as p_i falls with |t_i|
      //   Shaffer   min_i min(1, |S| p_i) = min(1, |S| p_j)
      //   Westfall  min_i P(max_{s∈S} |T_s| ≥ |t_i|) = P(max_{s∈S} |T_s| ≥ |t_j|) ≤ min(1, |S| p_j) (Bonferroni)
      const bound = Math.min(1, set.length * pu[order[set[0]]]);
      if (bound <= best) continue;
      if (test === 'Shaffer') { best = bound; continue; }
      const r = singleStep(g, rows, t, abseps, [order[set[0]]]);
      error = Math.max(error, r.error);
      best = Math.max(best, r.p[0]);
    }
    stepP.push(best);
  }
  // R's p[rank(tstat)]: ties share their average rank, whose fraction R's subscript drops
  const pValue = all.map((i) => {
    const below = score.filter((x) => x < score[i]).length, tied = score.filter((x) => x === score[i]).length;
    return stepP[Math.floor(below + (tied + 1) / 2) - 1];
  });
  return { ...base, pValue, error };
}

function glhtConfint(g: Glht, o: GlhtConfintOptions): GlhtConfint {
  const level = o.level === undefined ? 0.95 : checkNumber(o.level, 'level', (x) => x > 0 && x < 1, 'between 0 and 1');
  const calpha = o.calpha ?? 'adjusted';
  if (calpha !== 'adjusted' && calpha !== 'univariate') throw new OptionError('calpha', `${WHAT}: calpha must be 'adjusted' or 'univariate', not ${showValue(calpha)}`);
  const abseps = checkAbseps(o.abseps);
  const se = seOf(g);
  const R = calpha === 'adjusted' ? corrOf(g.covariance) : Float64Array.of(1);
  let c: number;
  if (g.alternative === 'two.sided') {
    c = R.length === 1 ? (g.df > 0 ? qt((1 + level) / 2, g.df) : qnorm((1 + level) / 2)) : qmvtBoth(level, R, g.df, { abseps });
  } else {
    // one-sided: P(T_i ≤ c for all i) = level (mvtnorm's "lower.tail"; "upper.tail" by symmetry: −c)
    const lower = R.length === 1 ? (g.df > 0 ? qt(level, g.df) : qnorm(level)) : qmvtLower(level, R, g.df, { abseps });
    c = g.alternative === 'less' ? lower : -lower;
  }
  // two-sided: β̂ ∓ c SE; less: (−∞, β̂ + c SE]; greater: [β̂ + c SE, ∞) with c < 0
  const lower = g.estimate.map((e, i) => (g.alternative === 'less' ? -Infinity : g.alternative === 'greater' ? e + c * se[i] : e - c * se[i]));
  const upper = g.estimate.map((e, i) => (g.alternative === 'greater' ? Infinity : e + c * se[i]));
  return { level, calpha, quantile: c, estimate: g.estimate, lower, upper };
}
