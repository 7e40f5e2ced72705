/**
 * The model frame (lme4's lFormula): from a parsed formula and an Arrow table to the response y,
 * the fixed-effects matrix X, and the random-effects terms (grouping factor, its levels, the term's
 * model matrix), after dropping rows with missing values (R's na.omit).
 */
import type * as arrow from 'apache-arrow';
import { type Expr, type Formula, type LinearPart, type RandomTerm, isSpatialStructure } from '../formula/types.js';
import {
  type Column, type DataColumn, type FactorColumn, type ScaleParams, columnFromArrow, evalExpr, interactFactors, numericToFactor, subsetColumn,
} from './columns.js';
import type { ContrastName, Contrasts } from './contrasts.js';
import { countColumns, dropRankDeficient, dropRankDeficientWithResidual, modelMatrix } from './modelMatrix.js';
import { checkFinite, checkModelMatrixSize, checkResponseNotConstant, checkScale } from './checks.js';
import { DataError, ModelError, OptionError } from '../errors/errors.js';
import { rowFloat64, rowShare } from '../linalg/rowChunks.js';
import { type CellCounts, type CovariateSummary, type FullCrossProduct, covariateSummaries } from './covariates.js';
import { columnsMatrix, constantColumn, markMissing } from './rowPasses.js';
import { SCALE_X_MESSAGE, scaleXMessage } from './scaleX.js';
import {
  type GlmResponseSpec, type RawGlmResponse, evalGlmResponse, finishGlmResponse, markMissingGlm, readPriorWeights,
} from './glmResponse.js';

/** One random-effects term `(lhs | group)` evaluated on the data. */
export interface ReTerm {
  /** the grouping factor's name as lme4 prints it (`Subject`, `cask:batch`) */
  group: string;
  /** the grouping factor's levels in R's order */
  levels: string[];
  /** level index of each row */
  codes: Int32Array;
  /** names of the term's columns (`(Intercept)`, `Days`) */
  cnames: string[];
  /** number of columns q */
  q: number;
  /** the term's model matrix, n × q, row-major */
  Z: Float64Array;
  /** the term as text, e.g. `(Days | Subject)` */
  text: string;
  /** the parsed term (its left-hand side and grouping variables), used to evaluate new data */
  term: RandomTerm;
  /** the term's place in the formula (the terms are kept in lme4's order, lme4TermOrder) */
  position: number;
}

export interface ModelFrameOptions {
  /** numeric columns to treat as factors (as R's `factor()`) */
  factors?: string[];
  /**
   * a linear mixed model's prior weights (lme4's `lmer(..., weights = w)`): a numeric column or one
   * value per input row; rows with a missing weight are dropped (na.omit); weights must be > 0.
   * (A GLMM gives its weights in the GlmResponseSpec instead.)
   */
  weights?: string | ArrayLike<number>;
  /**
   * grouping factors with a known covariance matrix (relmat): lme4's checks that a factor has fewer
   * levels (and random effects) than observations do not apply to them — K makes their variance
   * identifiable with one observation per level, as pedigreemm and lme4qtl fit them
   */
  knownCovarianceGroups?: string[];
  /**
   * allow as many levels of a grouping factor as observations (observation-level random effects):
   * lme4's checks exist because the residual variance would be confounded with them, which does
   * not apply when σ is fixed (a meta-analysis's known sampling variances; blme's point prior)
   */
  observationLevel?: boolean;
  /**
   * lme4's na.action: rows with a missing value are dropped either way (na.omit); with 'exclude'
   * (na.exclude) the fit's per-row results (fitted, residuals, predict without new data) come back
   * padded to the input's rows with NaN at the dropped ones (src/results/naAction.ts)
   */
  naAction?: NaAction;
  /**
   * lme4's `contrasts`: R's contrast function for a factor of the fixed part, by its label
   * (`{ a: 'contr.sum' }`), used wherever R codes that factor by contrasts (default contr.treatment)
   */
  contrasts?: Contrasts;
  /**
   * columns in R's model frame that the formula does not use (nlme's variance-function and correlation
   * covariates and groups): rows with a missing value in them are dropped too (na.omit); a name that is
   * not a column is left to whoever reads it
   */
  naVariables?: string[];
}

/** lme4's na.action: 'omit' (na.omit, the default) or 'exclude' (na.exclude) */
export type NaAction = 'omit' | 'exclude';

export interface ModelFrame {
  formula: Formula;
  /** number of observations used */
  n: number;
  /** the response */
  y: Float64Array;
  /** the response's name */
  yname: string;
  /** fixed-effects model matrix, n × p, column-major */
  X: Float64Array;
  p: number;
  /** fixed-effect coefficient names as lme4 prints them */
  xnames: string[];
  /** offset (sum of the formula's offset() terms), or null */
  offset: Float64Array | null;
  /** random-effects terms in lme4's order: by number of levels, largest first (stable) */
  reTerms: ReTerm[];
  /** rows of the input dropped for missing values */
  nDropped: number;
  /** input row index of each observation used, or null when every row was used */
  rows: Int32Array | null;
  /** the input's row count */
  nInput: number;
  /** lme4's na.action: 'exclude' pads per-row results to the input's rows (absent: 'omit') */
  naAction?: NaAction;
  /** notes for the user (dropped rows, dropped rank-deficient columns) */
  messages: string[];
  /** evaluated columns, by formula label, after row filtering (used by predict) */
  columns: Map<string, Column>;
  /** the centre and scale of each scale(x) in the formula (reused for new data) */
  scales: ScaleParams;
  /**
   * the fixed part's numeric data columns (`z` of `log(z)`) summarized over the rows used, for
   * emmeans's reference grid (src/frame/covariates.ts); for a fit whose rows are in an engine, from
   * its first pass (src/gram/gridCells.ts, `codes` null)
   */
  covariates?: Map<string, CovariateSummary>;
  /** a fit whose rows are in an engine: the rows used per cell, which the reference grid counts in place of the rows */
  cellCounts?: CellCounts;
  /** a rank-deficient fit whose rows are in an engine: the full design's XᵀX (emmeans's estimability) */
  fullCrossProduct?: FullCrossProduct;
  /**
   * prior weights: a GLMM's (binomial cbind: the numbers of trials times any `weights`), or a linear
   * mixed model's `weights` option; absent for an unweighted lmer
   */
  weights?: Float64Array;
  /** the name of the weights column, when a linear mixed model's weights were given by name */
  weightsName?: string;
  /** a binomial GLMM's numbers of trials (R's `n`: s + f for cbind, else 1), for the log-likelihood */
  trials?: Float64Array | null;
  /**
   * the factors coded by contrasts other than treatment (lme4's `contrasts`, its contr.treatment
   * entries left out): every design row built for the fixed part codes them so; absent when none
   */
  contrasts?: Contrasts;
}

/** Variables of a linear part, by label, with their expressions. */
function partVars(part: LinearPart, out: Map<string, Expr>): void {
  for (const t of part.terms) for (const v of t.vars) out.set(v.label, v.expr);
}

/**
 * Builds the model frame of a Gaussian (or GLMM) model; throws errors that name the problem.
 * `glm`: a GLMM's family and prior weights; the response is then read as R's binomial() or
 * poisson() reads it (src/frame/glmResponse.ts) and `y` is the proportion or the count.
 */
export function buildModelFrame(formula: Formula, table: arrow.Table, options: ModelFrameOptions = {}, glm?: GlmResponseSpec): ModelFrame {
  const nInput = table.numRows;
  if (nInput === 0) throw new DataError('the data have no rows');
  const factorSet = new Set(options.factors ?? []);
  for (const f of factorSet) {
    if (!table.getChild(f)) throw new OptionError('factors', `factors: column '${f}' not found in the data (columns: ${table.schema.fields.map((x) => x.name).join(', ')})`);
  }
  // raw columns, read once each
  const raw = new Map<string, DataColumn>();
  const source = (name: string): DataColumn => {
    let c = raw.get(name);
    if (!c) {
      c = columnFromArrow(table, name, factorSet.has(name));
      if (c.kind === 'numeric' && factorSet.has(name)) c = numericToFactor(c);
      raw.set(name, c);
    }
    return c;
  };
  const asFactor = (name: string): FactorColumn => {
    const c = source(name);
    // (a grouping factor of a logical column has its sampled levels, as lme4's factor(): not `logical`'s both)
    if (c.kind === 'factor' && c.logical) return { kind: 'factor', codes: c.codes, levels: c.levels };
    return c.kind === 'factor' ? c : numericToFactor(c);
  };

  // evaluate every variable the formula uses, on all input rows
  const scales: ScaleParams = new Map();
  const response = formula.response;
  let yCol: Column | null = null;
  let glmRaw: RawGlmResponse | null = null;
  // a linear mixed model's prior weights (a GLMM reads its own with the response)
  const lmmWeights = glm ? { values: null, label: 'weights' } : readPriorWeights(options.weights, table);
  if (glm) {
    glmRaw = evalGlmResponse(response, source, table, glm);
  } else {
    if (response.kind !== 'expr') throw new ModelError(`the response '${response.label}' (cbind) is for binomial models; a linear mixed model needs a numeric response`);
    yCol = evalExpr(response.expr, source, response.label, nInput, scales);
    if (yCol.kind !== 'numeric') throw new DataError(`the response '${response.label}' is a factor; a linear mixed model needs a numeric response`, { column: response.label });
  }

  const fixedVars = new Map<string, Expr>();
  partVars(formula.fixed, fixedVars);
  for (const r of formula.random) partVars(r.lhs, fixedVars);
  const vars = new Map<string, Column>();
  for (const [label, expr] of fixedVars) vars.set(label, evalExpr(expr, source, label, nInput, scales));
  const offsets = formula.offsets.map((e, k) => {
    const c = evalExpr(e, source, `offset #${k + 1}`, nInput, scales);
    if (c.kind !== 'numeric') throw new DataError('an offset must be numeric, not a factor');
    return c;
  });
  // variables only in removed terms (`- x`): in R's model frame, so in na.omit's marks only
  const removed = (formula.removedVars ?? []).filter((v) => !fixedVars.has(v.label)).map((v) => evalExpr(v.expr, source, v.label, nInput, new Map()));
  const groups = new Map<string, FactorColumn>();
  for (const r of formula.random) {
    if (!groups.has(r.groupLabel)) groups.set(r.groupLabel, interactFactors(r.group.map(asFactor)));
  }

  // na.omit: keep rows where every used variable is present (NA and NaN are missing; Inf is not):
  // one row job over the columns (src/frame/rowPasses.ts), which also finds the columns holding an
  // infinite value (checked below among the rows kept; the others need no second pass)
  const numericCols = new Set<Float64Array>(), factorCols = new Set<Int32Array>();
  const addColumn = (c: Column) => {
    // a matrix variable (ns, bs: NaN rows where x is missing) by each of its columns
    if (c.kind === 'matrix') for (const v of c.columns) numericCols.add(v);
    else if (c.kind === 'numeric') numericCols.add(c.values);
    else factorCols.add(c.codes);
  };
  if (yCol) addColumn(yCol);
  for (const c of vars.values()) addColumn(c);
  for (const c of offsets) addColumn(c);
  for (const c of removed) addColumn(c);
  for (const g of groups.values()) factorCols.add(g.codes);
  if (lmmWeights.values) numericCols.add(lmmWeights.values);
  for (const v of options.naVariables ?? []) if (table.getChild(v)) addColumn(source(v));
  // (a column not on shared memory yet, e.g. weights given as numbers, is copied there for the job)
  const numericList = [...numericCols], numericShared = numericList.map((v) => rowShare(v, nInput));
  const marks = markMissing(nInput, numericShared, [...factorCols].map((f) => rowShare(f, nInput)));
  const { ok } = marks;
  const infinite = new Set(numericList.filter((v, k) => marks.infinite.has(numericShared[k])));
  let n = marks.kept;
  if (glmRaw) {
    markMissingGlm(glmRaw, ok);
    n = 0;
    for (let i = 0; i < nInput; i++) n += ok[i];
  }
  const nDropped = nInput - n;
  if (n === 0) throw new DataError(`no complete rows: all ${nInput} rows have a missing (null/NaN) value in a variable of the formula`);
  // infinite values in the rows kept are errors (lme4: "NA/NaN/Inf in 'y'"), not missing values
  const finite = (label: string, v: Float64Array, what?: string) => { if (infinite.has(v)) checkFinite(label, v, ok, what); };
  if (yCol?.kind === 'numeric') finite(response.label, yCol.values, 'response');
  if (glmRaw) glmRaw.values.forEach((v, k) => checkFinite(glmRaw!.labels[k], v, ok, 'response'));
  if (glmRaw?.weights) checkFinite(glmRaw.weightsLabel, glmRaw.weights, ok, 'weight');
  if (lmmWeights.values) finite(lmmWeights.label, lmmWeights.values, 'weight');
  for (const [label, c] of vars) {
    if (c.kind === 'numeric') finite(label, c.values);
    else if (c.kind === 'matrix') for (const v of c.columns) finite(label, v);
  }
  offsets.forEach((c, k) => finite(`offset #${k + 1}`, c.values, 'offset'));
  let rows: Int32Array | null = null;
  if (nDropped > 0) {
    rows = new Int32Array(n);
    for (let i = 0, k = 0; i < nInput; i++) if (ok[i]) rows[k++] = i;
  }
  const sub = (c: Column) => subsetColumn(c, rows);
  const glmResp = glmRaw ? finishGlmResponse(glmRaw, rows, n) : null;
  if (glmResp && glm) checkResponseNotConstant(response.label, glmResp.y, glm.family);
  const y = glmResp ? glmResp.y : (sub(yCol!) as { values: Float64Array }).values;
  // magnitudes the fit's float64 sums of squares can hold (an overflow is not "fits exactly")
  checkScale(response.label, y, rows, 'response');
  const columns = new Map<string, Column>();
  for (const [label, c] of vars) {
    const s = sub(c);
    if (s.kind === 'numeric') checkScale(label, s.values, rows);
    else if (s.kind === 'matrix') for (const v of s.columns) checkScale(label, v, rows);
    columns.set(label, s);
  }
  let offset: Float64Array | null = null;
  if (offsets.length > 0) {
    offset = new Float64Array(n);
    for (const c of offsets) {
      const v = (sub(c) as { values: Float64Array }).values;
      for (let i = 0; i < n; i++) offset[i] += v[i];
    }
  }
  let lmmW: Float64Array | undefined;
  if (lmmWeights.values) {
    lmmW = rowFloat64(n);
    for (let i = 0; i < n; i++) {
      const w = lmmWeights.values[rows ? rows[i] : i];
      if (!(w > 0)) {
        throw new DataError(`weights: '${lmmWeights.label}' is ${w < 0 ? 'negative' : 'zero'} (${w}) in row ${(rows ? rows[i] : i) + 1}; a linear mixed model's prior weights must be > 0${w === 0 ? ' (lme4 accepts a zero weight but its deviance is then infinite: drop the row instead)' : ''}`);
      }
      lmmW[i] = w;
    }
  }
  const messages: string[] = [];
  if (nDropped > 0) messages.push(`${nDropped} of ${nInput} rows dropped for missing values (${options.naAction === 'exclude' ? 'na.exclude' : 'na.omit'})`);
  if (glmResp) messages.push(...glmResp.messages);

  // fixed effects: the size checked from the factors' levels before any column is built
  const columnOf = (label: string) => columns.get(label)!;
  const count = countColumns(formula.fixed, columnOf);
  checkModelMatrixSize('fixed-effects', count.total, n, count.perTerm);
  for (const r of formula.random) {
    const rc = countColumns(r.lhs, columnOf);
    checkModelMatrixSize(`random-effects term ${r.text}'s`, rc.total, n, rc.perTerm);
  }
  // one intercept column for X and the terms' Z (read only)
  let intercept: Float64Array | null = null;
  const ones = () => (intercept ??= constantColumn(n, 1));
  // a linear mixed model whose fixed effects alone reproduce the response leaves nothing to estimate
  // (unless σ is fixed: observationLevel, as a meta-analysis's known sampling variances)
  const residualCheck = !glm && options.observationLevel !== true;
  const contrasts = frameContrasts(formula, columns, withCContrasts(formula, options.contrasts), (name) => table.getChild(name) !== null, messages);
  const fixed = fixedEffectsDesign(formula.fixed, columnOf, n, ones, residualCheck ? { y, offset, response: response.label } : null, contrasts);
  messages.push(...fixed.messages);
  const { X, p, xnames } = fixed;

  // random effects
  const reTerms: ReTerm[] = formula.random.map((r, k) => buildReTerm(r, k, sub(groups.get(r.groupLabel)!) as FactorColumn, columnOf, n, ones));
  const known = new Set(options.knownCovarianceGroups ?? []);
  // (a smooth's penalized part, gamm4's (1 | Xr), is one level by construction: src/gamm sets term.smooth)
  for (const t of reTerms) if (!known.has(t.group) && t.term.smooth === undefined) checkReTerm(t, n, glm !== undefined || options.observationLevel === true);
  const sorted = lme4TermOrder(reTerms.map((t) => t.levels.length)).map((k) => reTerms[k]);

  return {
    formula, n, y, yname: response.label, X, p, xnames, offset, reTerms: sorted,
    nDropped, rows, nInput, messages, columns, scales, covariates: covariateSummaries(formula, source, rows, n),
    ...(options.naAction === 'exclude' ? { naAction: 'exclude' as const } : {}),
    ...(glmResp ? { weights: glmResp.weights, trials: glmResp.trials } : {}),
    ...(lmmW ? { weights: lmmW, ...(typeof options.weights === 'string' ? { weightsName: options.weights } : {}) } : {}),
    ...(contrasts ? { contrasts } : {}),
  };
}

/**
 * The contrasts of the fixed part's C(f, contr) variables (R's C() sets the factor's contrasts
 * attribute, which model.matrix uses) joined to lme4's `contrasts` (which name other labels).
 */
export function withCContrasts(formula: Formula, contrasts: Contrasts | undefined): Contrasts | undefined {
  const fromC: Record<string, ContrastName> = {};
  for (const t of formula.fixed.terms) {
    for (const v of t.vars) if (v.expr.type === 'call' && v.expr.fn === 'C' && v.expr.contrast) fromC[v.label] = v.expr.contrast as ContrastName;
  }
  return Object.keys(fromC).length === 0 ? contrasts : { ...contrasts, ...fromC };
}

/**
 * lme4's `contrasts` checked against the model: each name a factor variable of the fixed part. A
 * column of the data that the fixed part does not use is ignored with a note, as R warns ("variable
 * 'b' is absent, its contrasts will be ignored": a smaller model of a comparison fitted with the same
 * contrasts); a name that is neither is an error (a misspelt name would leave the coding silently
 * treatment). A factor of a random-effects term's left-hand side (`(0 + a | g)`) is refused: lme4
 * codes it by the same contrasts there, which this frame does not. Returns the entries other than
 * contr.treatment (the default coding), or undefined when none; `messages` receives the notes.
 */
export function frameContrasts(
  formula: Formula, columns: Map<string, Column>, contrasts: Contrasts | undefined, isDataColumn: (name: string) => boolean, messages: string[],
): Contrasts | undefined {
  if (!contrasts) return undefined;
  const fixedLabels = new Set(formula.fixed.terms.flatMap((t) => t.vars.map((v) => v.label)));
  const factorsOf = [...fixedLabels].filter((l) => columns.get(l)?.kind === 'factor');
  const randomLabels = new Set(formula.random.flatMap((r) => r.lhs.terms.flatMap((t) => t.vars.map((v) => v.label))));
  const out: Record<string, Contrasts[string]> = {};
  for (const [label, name] of Object.entries(contrasts)) {
    if (!fixedLabels.has(label) && isDataColumn(label)) {
      messages.push(`contrasts: the variable '${label}' is absent from the fixed effects of '${formula.text}', its contrasts are ignored`);
      continue;
    }
    if (!fixedLabels.has(label)) {
      throw new OptionError('contrasts', `contrasts: '${label}' is neither a variable of the fixed effects of '${formula.text}' (its factors: ${factorsOf.join(', ') || 'none'}) nor a column of the data`);
    }
    if (columns.get(label)?.kind !== 'factor') {
      throw new OptionError('contrasts', `contrasts: '${label}' is numeric, not a factor: contrasts code factors only (name it in factors to read it as one)`);
    }
    if (randomLabels.has(label) && name !== 'contr.treatment') {
      throw new OptionError('contrasts', `contrasts: the factor '${label}' also appears in a random-effects term (${formula.random.filter((r) => r.lhs.terms.some((t) => t.vars.some((v) => v.label === label))).map((r) => r.text).join(', ')}), where lme4 codes it by the same contrasts; that is not supported: give '${label}' treatment contrasts or take it out of the random-effects term`);
    }
    if (name !== 'contr.treatment') out[label] = name;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The fixed-effects matrix X of a linear part (lme4's model.matrix, then its rank check): the
 * columns of `part`, less those aliased with earlier ones (lme4's "fixed-effect model matrix is
 * rank deficient so dropping …", the message returned), column-major. `residual` (a linear mixed
 * model whose σ is estimated): the response less the offset must not be reproduced by X alone, so
 * that σ and the variance components are estimable. Used by the model frame and by the refits of
 * a frame with fixed-effects terms removed (lmerTest's step, src/inference/refitFrame.ts).
 * `contrasts`: the frame's (ModelFrame.contrasts).
 */
export function fixedEffectsDesign(
  part: LinearPart, columnOf: (label: string) => Column, n: number, ones: () => Float64Array,
  residual: { y: Float64Array; offset: Float64Array | null; response: string } | null, contrasts?: Contrasts,
): { X: Float64Array; p: number; xnames: string[]; messages: string[] } {
  const design = modelMatrix(part, columnOf, n, ones, contrasts);
  let yw = residual?.y ?? new Float64Array(0);
  if (residual?.offset) {
    // y − offset: the part of the response X has to explain
    yw = new Float64Array(n);
    for (let i = 0; i < n; i++) yw[i] = residual.y[i] - residual.offset[i];
  }
  // the rank check and the response's residual from one pass
  const { kept, dropped, residual: rel } = residual
    ? dropRankDeficientWithResidual(design, yw)
    : { ...dropRankDeficient(design), residual: Infinity };
  const messages: string[] = [];
  if (dropped.length > 0) messages.push(rankDeficientMessage(dropped));
  const p = kept.columns.length;
  if (p > n) throw new ModelError(`more fixed effects (${p}) than observations (${n})`);
  if (residual && rel <= 1e-10) {
    throw new ModelError(
      `the residual sum of squares is zero with the fixed effects alone: the model fits the response '${residual.response}' exactly ` +
        `(as ${kept.names.join(' + ') || 'nothing'}${residual.offset ? ' plus the offset' : ''}; relative residual ${rel.toExponential(1)}), so σ and the variance components cannot be estimated`,
    );
  }
  const X = columnsMatrix(kept.columns, n, 'columns');
  // lme4's checkScaleX on the kept columns
  const scales = scaleXMessage(X, n, p);
  if (scales) messages.push(scales);
  return { X, p, xnames: kept.names, messages };
}

/** the start of lme4's message for the columns of X dropped as aliased (rankDeficientMessage) */
export const RANK_DEFICIENT = 'fixed-effect model matrix is rank deficient so dropping ';

/**
 * Whether a frame's message is one of fixedEffectsDesign's (the rank check's, checkScaleX's): a frame
 * whose X is rebuilt for another fixed part (a reduced model's refit) replaces these with its new X's.
 */
export function isFixedDesignMessage(m: string): boolean {
  return m.startsWith(RANK_DEFICIENT) || m === SCALE_X_MESSAGE;
}

/** lme4's message for the columns of X dropped as aliased */
export function rankDeficientMessage(dropped: string[]): string {
  return `${RANK_DEFICIENT}${dropped.length} column${dropped.length > 1 ? 's' : ''} / coefficient${dropped.length > 1 ? 's' : ''} (${dropped.join(', ')})`;
}

/**
 * lme4's order of the random-effects terms (mkReTrms with reorder.terms): where some term has more
 * levels than the one before it, `rev(order(nl))`, decreasing number of levels with the terms of
 * equal numbers in the reverse of the formula's order (R's order is stable; its reversal is not);
 * else the formula's order. θ, VarCorr's rows (and which of a factor's terms is `g.1`) and the
 * columns of a factor's conditional modes follow it: (1 | g) + (1 | h) + (0 + x | g) with h's levels
 * more than g's is h, (0 + x | g), (1 | g).
 */
export function lme4TermOrder(nl: readonly number[]): number[] {
  const identity = nl.map((_, k) => k);
  if (!nl.some((v, k) => k > 0 && v > nl[k - 1])) return identity;
  // order(nl): increasing, ties in the formula's order; then reversed
  return identity.sort((a, b) => nl[a] - nl[b] || a - b).reverse();
}

/** One random-effects term's Z (its lhs's model matrix on the frame's columns) with its grouping factor. */
export function buildReTerm(r: RandomTerm, position: number, g: FactorColumn, columnOf: (label: string) => Column, n: number, ones: () => Float64Array): ReTerm {
  const design = modelMatrix(r.lhs, columnOf, n, ones);
  const q = design.columns.length;
  if (q === 0) throw new ModelError(`random-effects term ${r.text} has no columns`);
  const Z = columnsMatrix(design.columns, n, 'rows');
  return { group: r.groupLabel, levels: g.levels, codes: g.codes, cnames: design.names, q, Z, text: r.text, term: r, position };
}

/**
 * lme4's checks (check.nlev.gtr.1, check.nobs.vs.nlev, check.nobs.vs.nRE), all "stop"; a GLMM
 * (`allowN`, as glmer) may have as many levels as observations (observation-level random effects).
 */
export function checkReTerm(t: ReTerm, n: number, allowN = false): void {
  const l = t.levels.length;
  // (glmmTMB's spatial structures take one field over the positions: `exp(0 + pos | one)` with one level)
  if (l < 2 && !(isSpatialStructure(t.term.structure) && l === 1)) {
    throw new ModelError(`grouping factor '${t.group}' has ${l} level${l === 1 ? '' : 's'}${l === 1 ? ` ('${t.levels[0]}')` : ''}: a grouping factor needs at least 2 sampled levels`);
  }
  if (allowN ? l > n : l >= n) {
    throw new ModelError(`grouping factor '${t.group}' has ${l} levels for ${n} observations: the number of levels of each grouping factor must be ${allowN ? 'at most' : 'less than'} the number of observations`);
  }
  // (lme4's rule for its unstructured terms: a covariance structure of glmmTMB's, `ar1(0 + f | g)`, has
  // a few parameters however many random effects it has, and glmmTMB does not check this)
  const structured = t.term.structure !== undefined && t.term.structure !== 'us';
  if ((allowN ? t.q * l > n : t.q * l >= n) && t.q > 1 && !structured) {
    throw new ModelError(`term ${t.text}: ${t.q * l} random effects (${t.q} per level × ${l} levels of '${t.group}') for ${n} observations: the random-effects parameters and the residual variance are probably unidentifiable`);
  }
}
