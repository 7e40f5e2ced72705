/**
 * The parsed form of an lme4 model formula. Produced by `parseFormula` (src/formula/parse.ts),
 * consumed by `buildModelFrame` (src/frame/).
 */

/** An expression over data columns, as it may appear in a formula (`x`, `log(x)`, `I(x^2)`, `size - incidence`). */
export type Expr =
  | { type: 'var'; name: string }
  | { type: 'num'; value: number }
  | { type: 'neg'; arg: Expr }
  | { type: 'binop'; op: '+' | '-' | '*' | '/' | '^'; left: Expr; right: Expr }
  /** a string literal (`"F"`): only an operand of a comparison with a factor (`sex == "F"`) */
  | { type: 'str'; value: string }
  /** R's comparisons `x > 2`, `sex == "F"`: a logical value (TRUE, FALSE, NA) per row */
  | { type: 'compare'; op: CompareOp; left: Expr; right: Expr }
  /** R's `a & b` (elementwise and of two logical values) */
  | { type: 'and'; left: Expr; right: Expr }
  /** R's `!a` (negation of a logical value) */
  | { type: 'not'; arg: Expr }
  /**
   * `fn(args)`; `basis`: the other arguments of `poly()`, `ns()` or `bs()` (their first argument, the
   * variable, is `args[0]`), matched as R matches them (src/formula/parse.ts basisArgs)
   */
  | {
      type: 'call';
      fn: string;
      args: Expr[];
      basis?: BasisArgs;
      ref?: RelevelRef;
      /** a summary of the whole column (`mean(x, na.rm = TRUE)`): skip its missing values */
      naRm?: true;
      /** `scale(x, center = …, scale = …)` other than R's defaults (TRUE, TRUE): what is subtracted and divided by */
      scaleArgs?: ScaleArgs;
      /** `interaction(…, sep =)`: the separator of the levels' parts (R's default ".") */
      sep?: string;
      /** `C(f, contr.sum)`: the name of the contrast function */
      contrast?: string;
      /** `cut(x, breaks, …)`: its arguments */
      cut?: CutArgs;
    };

/** cut(x, breaks, include.lowest, right, dig.lab)'s arguments other than x (src/frame/factorBuilders.ts). */
export interface CutArgs {
  /** the number of intervals (≥ 2), or the breaks themselves (±Inf allowed) */
  breaks: number | number[];
  includeLowest: boolean;
  right: boolean;
  digLab: number;
}

/**
 * R's scale(x, center, scale): `center` TRUE subtracts the mean, FALSE nothing, a number that number;
 * `scale` TRUE divides by √(Σ (x − c)² / (m − 1)) of the centred values (the SD when centred at the
 * mean, the root mean square when center = FALSE), FALSE by nothing, a number by that number.
 */
export interface ScaleArgs {
  center: boolean | number;
  scale: boolean | number;
}

/** R's comparison operators. */
export type CompareOp = '==' | '!=' | '<' | '>' | '<=' | '>=';

/**
 * The reference level of `relevel(f, ref = "ctl")`: a level by its name, or (R's relevel also takes
 * one) by its 1-based position among the levels (`relevel(f, ref = 2)`).
 */
export type RelevelRef = { level: string } | { index: number };

/**
 * The arguments of a matrix-valued call `poly(x, …)`, `ns(x, …)`, `bs(x, …)` other than x, as the
 * user gave them (absent: R's default). The bases themselves: src/frame/basis/.
 */
export interface BasisArgs {
  /** poly's degree (default 1), bs's degree (default 3); ns is cubic (3) */
  degree: number;
  /** poly: raw powers x, x², … instead of orthogonal polynomials */
  raw?: boolean;
  /** ns/bs: the degrees of freedom (number of columns); the inner knots at quantiles of x */
  df?: number;
  /** ns/bs: the inner knots */
  knots?: number[];
  /** ns/bs: the boundary knots (default range(x)) */
  boundary?: [number, number];
}

/** One variable of a model term: a column or an expression of columns. `label` is its text as R deparses it (`x`, `log(x)`, `I(x^2)`). */
export interface TermVar {
  label: string;
  expr: Expr;
}

/** A model term: one variable (main effect) or the interaction of several (`a:b`). */
export interface Term {
  /** the variables, ordered as R's terms() orders them (by first appearance in the formula) */
  vars: TermVar[];
  /** R's term label: the variable labels joined by ':' */
  label: string;
}

/** The right-hand side of a (fixed or random) linear predictor after expansion of `*`, `/`, `-`, `0`/`1`. */
export interface LinearPart {
  intercept: boolean;
  /** terms in R's order: by degree (main effects, then two-way interactions, ...), then by appearance */
  terms: Term[];
}

/**
 * glmmTMB's covariance structures of a random-effects term (`ar1(0 + f | g)`): `us` unstructured
 * (lme4's `(lhs | g)`), `diag` heterogeneous variances without correlations, `cs` heterogeneous
 * compound symmetry, `ar1` first-order autoregressive (one SD), `toep` heterogeneous Toeplitz, `ou`
 * Ornstein–Uhlenbeck (one SD, correlation exp(−κ |t_i − t_j|) at the times the levels name), the
 * spatial `exp`, `gau`, `mat` (one SD, a correlation by the distance between the positions the levels
 * name: `exp(0 + numFactor(x, y) | g)`), `rr` reduced rank (Σ = ΛΛᵀ, Λ q × d: `rr(0 + f | g, d = 2)`).
 * `homdiag`: one SD for all q columns, no correlations (Λ = θ I_q) — not written by users (the parser
 * refuses glmmTMB's homdiag by name): a penalized smooth's random part, gamm4's (1 | Xr), set by
 * src/gamm (RandomTerm.smooth). Their parameters and the map to θ: src/model/covStructure.ts.
 */
export type CovStructure = 'us' | 'diag' | 'cs' | 'ar1' | 'toep' | 'ou' | 'exp' | 'gau' | 'mat' | 'rr' | 'homdiag';

/**
 * glmmTMB's spatial structures (exp, gau, mat): one SD, a correlation by the distances between the
 * positions the levels name; one field over the positions, so their grouping may have one level.
 */
export const isSpatialStructure = (structure: CovStructure | undefined) => structure === 'exp' || structure === 'gau' || structure === 'mat';

/** One random-effects term `(lhs | group)` after expansion of `||` and `/`. */
export interface RandomTerm {
  lhs: LinearPart;
  /** grouping variables; several for an interaction such as `dept:service` or the inner term of `g1/g2` */
  group: string[];
  /** the grouping factor's name as lme4 prints it: `group.join(':')`, e.g. `cask:batch` */
  groupLabel: string;
  /** the text of this term as lme4 would write it, e.g. `(1 | Subject)`, `(0 + Days | Subject)` */
  text: string;
  /**
   * the lhs as written, as R's deparse writes it (`1 + Days`), for a term of a `|` bar; absent for the
   * terms `||` makes. lme4's findbars keeps it, so lmerTest's ranova names its rows with it.
   */
  written?: string;
  /**
   * glmmTMB's covariance structure when the term was written `ar1(lhs | group)`, `cs(…)`, `diag(…)`,
   * `toep(…)` or `us(…)`; absent for lme4's `(lhs | group)` (unstructured)
   */
  structure?: CovStructure;
  /** `rr(lhs | group, d = 2)`: the reduced rank d (glmmTMB's default 2) */
  rank?: number;
  /**
   * set only by gamm4's setup (src/gamm), never by the parser: this term is the penalized part of the
   * smooth with this label (`s(x)`), gamm4's `(1 | Xr)` with its Z replaced — the smooth's k columns
   * on a grouping factor of one level, structure `homdiag`. lme4's rule that a grouping factor have at
   * least 2 levels (src/frame/modelFrame.ts checkReTerm) does not apply to it.
   */
  smooth?: string;
}

export type Response =
  | { kind: 'expr'; label: string; expr: Expr }
  /** `cbind(successes, failures)` for binomial models */
  | { kind: 'cbind'; label: string; successes: Expr; failures: Expr };

export interface Formula {
  /** the formula text as given */
  text: string;
  response: Response;
  fixed: LinearPart;
  /** expressions inside `offset(...)` on the right-hand side */
  offsets: Expr[];
  /**
   * variables of the fixed part that are in no term, only in terms removed with `-` (`y ~ a + b - x`):
   * R's model frame still holds them (all.vars of the formula), so na.omit drops the rows where
   * they are missing; they add no column
   */
  removedVars?: TermVar[];
  /** random-effects terms in the order written (after expansion); the model frame sorts them as lme4 does */
  random: RandomTerm[];
}

/** A grouped formula `response ~ terms | group` (lme4's lmList): the model fitted in each level of the group. */
export interface GroupedFormula {
  /** the formula text as given */
  text: string;
  /** the model `response ~ terms` (no random-effects terms) */
  model: Formula;
  /** the grouping variable's column */
  group: string;
}

/** Formula errors are one of the package's error types (src/errors/errors.ts). */
export { FormulaError } from '../errors/errors.js';
