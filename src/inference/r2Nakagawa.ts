/**
 * Nakagawa's R² (Nakagawa & Schielzeth 2013; Nakagawa, Johnson & Schielzeth 2017) and the
 * intraclass correlation of a mixed model, as performance 0.10.2's `r2_nakagawa()` and `icc()`
 * compute them from insight 0.19.0's variance components (varianceComponents.ts):
 *
 *   marginal R²    = σ²_f / (σ²_f + σ²_α + σ²_ε)
 *   conditional R² = (σ²_f + σ²_α) / (σ²_f + σ²_α + σ²_ε)
 *   adjusted ICC   = σ²_α / (σ²_α + σ²_ε)
 *   unadjusted ICC = σ²_α / (σ²_f + σ²_α + σ²_ε)
 *   ICC by group   = σ²_{α,k}[1, 1] / (σ²_α + σ²_ε)   (each term's intercept variance)
 *
 * with σ²_ε = var.residual = σ²_d + σ²_e. For a singular fit (a diagonal θ below 1e-5) insight gives
 * no σ²_α: r2_nakagawa returns the marginal R² as σ²_f / (σ²_f + σ²_ε) and no conditional R² (NA),
 * icc returns NA (here null), each with performance's messages.
 *
 * Refused, with the reason: fits with priors or a fixed σ and known covariances (relmat), whose
 * components performance was not run on; several random-effects terms on one grouping factor
 * (insight counts only the first: `(Days || Subject)` leaves the slope's variance out); families insight gives no variance for
 * (distributionVariance.ts); for Poisson and the negative binomial, offsets and dropped rows (the
 * null model, nullModel.ts).
 *
 * An lmer fit whose rows are in an engine (DuckDB, ClickHouse, a stream: src/gram/) gets its components
 * from the Gram matrix A the engine formed (kept on the model's source), as the in-memory fit from its
 * rows (designMoments.ts), except: a weighted engine fit (A holds XᵀWX, and insight's var(Xβ̂) and
 * random-effect variance are unweighted sums over the rows), a fit without an intercept in X and
 * without a random-effects term with one (X's column sums are then not in A), a fit without an
 * intercept in X whose var(Xβ̂) from A's uncentred XᵀX cancels by more than 1e4 (CANCELLATION_LIMIT:
 * `0 + f` with a large mean), and a source that did not keep A.
 */
import { ModelError, OptionError } from '../errors/errors.js';
import type { Expr, Formula } from '../formula/types.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import { type DesignMoments, gramMoments, rowMoments } from './designMoments.js';
import { checkDistribution, type DistributionSpec } from './distributionVariance.js';
import { refuseEngineRows, refuseKnownCovariance } from './knownCovariance.js';
import { structuredRefusal } from '../model/covStructure.js';
import { fitNullModel } from './nullModel.js';
import { type VarianceComponents, merVarianceInput, varianceComponents } from './varianceComponents.js';

export interface R2Options {
  /** insight's tolerance of the singularity check (performance's default 1e-5) */
  tolerance?: number;
}

export interface R2Result {
  /** null where the fit is singular (performance's NA) */
  conditional: number | null;
  marginal: number;
  components: { fixed: number; random: number | null; residual: number; distribution: number; dispersion: number };
  /** the null model's intercept β₀ (Poisson, negative binomial), else absent */
  nullIntercept?: number;
  /** performance's and insight's warnings and notes */
  messages: string[];
}

export interface IccOptions extends R2Options {
  /** performance's by_group: one ICC per random-effects term with an intercept */
  byGroup?: boolean;
}

export interface IccResult {
  adjusted: number;
  unadjusted: number;
}

export interface IccGroupRow {
  group: string;
  ICC: number;
}

export interface IccOutcome {
  /** null where performance returns NA (a singular fit) */
  icc: IccResult | null;
  /** with byGroup: the rows, or null where performance returns NA */
  byGroup?: IccGroupRow[] | null;
  components: R2Result['components'];
  messages: string[];
}

export const NO_RANDOM_MESSAGE = 'Random effect variances not available. Returned R2 does not account for random effects.';
export const BY_GROUP_SLOPES_MESSAGE = 'Model contains random slopes. Cannot compute accurate ICCs by group factors.';

const WHAT = "Nakagawa's R2 and the ICC";

/** R²'s two ratios from the components (the equations in the header) */
export function r2FromComponents(v: Pick<VarianceComponents, 'fixed' | 'random' | 'residual'>): { conditional: number | null; marginal: number; messages: string[] } {
  if (v.random === null) return { conditional: null, marginal: v.fixed / (v.fixed + v.residual), messages: [NO_RANDOM_MESSAGE] };
  const total = v.fixed + v.random + v.residual;
  return { conditional: (v.fixed + v.random) / total, marginal: v.fixed / total, messages: [] };
}

/** the ICCs from the components; null where σ²_α is not available */
export function iccFromComponents(v: Pick<VarianceComponents, 'fixed' | 'random' | 'residual'>): IccResult | null {
  if (v.random === null) return null;
  return { adjusted: v.random / (v.random + v.residual), unadjusted: v.random / (v.fixed + v.random + v.residual) };
}

/** the ICC of each term with an intercept: its intercept variance over σ²_α + σ²_ε */
export function iccByGroupFromComponents(v: Pick<VarianceComponents, 'random' | 'residual' | 'intercept'>): IccGroupRow[] | null {
  if (v.random === null) return null;
  const random = v.random;
  return Object.entries(v.intercept).map(([group, s]) => ({ group, ICC: s / (random + v.residual) }));
}

/** the data variables of an expression (R's all.vars) */
function exprVars(e: Expr, out: string[]): string[] {
  switch (e.type) {
    case 'var': if (!out.includes(e.name)) out.push(e.name); break;
    case 'neg': exprVars(e.arg, out); break;
    case 'binop': case 'compare': case 'and': exprVars(e.left, out); exprVars(e.right, out); break;
    case 'not': exprVars(e.arg, out); break;
    case 'call': for (const a of e.args) exprVars(a, out); break;
    case 'num': break;
  }
  return out;
}

/**
 * insight's find_random_slopes: of each random-effects term's variables (left-hand side and grouping
 * factor, R's all.vars), those whose name occurs in the text of the left-hand side (a substring test,
 * as insight's grepl)
 */
export function randomSlopeVariables(formula: Formula): string[] {
  const out: string[] = [];
  for (const r of formula.random) {
    const lhsText = r.written ?? [r.lhs.intercept ? '1' : '0', ...r.lhs.terms.map((t) => t.label)].join(' + ');
    const vars: string[] = [];
    for (const t of r.lhs.terms) for (const v of t.vars) exprVars(v.expr, vars);
    for (const g of r.group) if (!vars.includes(g)) vars.push(g);
    for (const v of vars) if (lhsText.includes(v) && !out.includes(v)) out.push(v);
  }
  return out;
}

/** insight's .random_slopes_in_fixed: every random slope's variable is a variable of the fixed part */
export function randomSlopesInFixed(formula: Formula): boolean {
  const fixed: string[] = [];
  for (const t of formula.fixed.terms) for (const v of t.vars) exprVars(v.expr, fixed);
  return randomSlopeVariables(formula).every((v) => fixed.includes(v));
}

type AnyFit = LmmFit | GlmmFit;

/** the refusals that apply to every fit (the header) */
function checkFit(fit: AnyFit): void {
  if ('sigmaFixed' in fit && fit.sigmaFixed) throw new ModelError(`${WHAT}: not available for a fit with a fixed residual σ (lmer's sigma option): performance computes them from lme4's fits, which estimate σ, and there is no reference for a fixed one`);
  if (fit.annotation) throw new ModelError(`${WHAT}: not available for a fit with priors (blme's posterior mode): there is no performance reference for it here`);
  refuseKnownCovariance(fit.model, WHAT, "performance's random-effect variance is Σ of the term, not σ²_b times the known matrix's diagonal, so there is no reference for it");
  const structured = structuredRefusal(fit.model.covariance, WHAT, "insight's random-effect variance of a structured term (glmmTMB's ar1, cs, diag, toep, ou) has no reference here");
  if (structured) throw structured;
  if (!(fit instanceof GlmmFit)) {
    const s = fit.model.source;
    if (s && !s.gram) refuseEngineRows(fit.model, WHAT);
    if (s && fit.model.frame.weightsName !== undefined) throw new ModelError(`${WHAT}: not available for this weighted fit, whose rows are in ${engineWhere(s)}: insight's var(Xβ) and random-effect variance are unweighted sums over the rows, and the engine's Gram matrix holds XᵀWX, not XᵀX (fit with the rows in memory for it)`);
  }
  const groups = new Map<string, number>();
  for (const t of fit.model.frame.reTerms) groups.set(t.group, (groups.get(t.group) ?? 0) + 1);
  for (const [g, count] of groups) {
    if (count > 1) {
      throw new ModelError(`${WHAT}: the grouping factor '${g}' has ${count} random-effects terms (e.g. (x || ${g}) or (1 | ${g}) + (0 + x | ${g})); insight 0.19.0 counts only the first of them in the random-effect variance (it looks VarCorr's '${g}' up, not '${g}.1'), so performance's values leave a variance out: write one term per grouping factor, e.g. (x | ${g})`);
    }
  }
  if (fit instanceof GlmmFit) checkDistribution(fit.family, fit.link, WHAT);
}

/** the most cancellation var(Xβ̂) from an engine's uncentred XᵀX may have (4 of float64's 16 digits) */
export const CANCELLATION_LIMIT = 1e4;

const engineWhere = (s: { engine: string; name: string }) => `${s.engine === 'stream' ? 'a stream' : s.engine} (${s.name})`;

/** the fixed-effects design's cross-products: from the rows, or from an engine fit's A (designMoments.ts) */
function momentsOf(fit: AnyFit): DesignMoments {
  const frame = fit.model.frame;
  const source = fit instanceof GlmmFit ? undefined : fit.model.source;
  if (!source) return rowMoments(frame.X, frame.n, frame.p, frame.xnames, fit.model.fixed.intercept);
  const m = gramMoments(source.gram!, fit.model.fixed, frame.xnames, frame.reTerms);
  if (!m.hasColumnSums) throw new ModelError(`${WHAT}: not available for this fit, whose rows are in ${engineWhere(source)}: X has no intercept and no random-effects term has one, so X's column sums (var(Xβ)'s mean) are not in the Gram matrix the engine formed; fit with the rows in memory for it`);
  if (m.intercept < 0) {
    // without an intercept the engine's A holds X's uncentred cross-products: var(Xβ̂) is then the
    // difference of two sums that cancel by the factor ss / (ss − lin2) (designMoments.ts
    // fixedParts), which magnifies A's rounding; past CANCELLATION_LIMIT it is refused
    const { ss, lin2 } = m.fixedParts(fit.beta);
    const factor = ss / (ss - lin2);
    if (!(factor <= CANCELLATION_LIMIT)) throw new ModelError(`${WHAT}: not available for this fit, whose rows are in ${engineWhere(source)}: X has no intercept, so the Gram matrix the engine formed holds X's uncentred cross-products, and var(Xβ) from them cancels by a factor ${factor.toPrecision(3)} (the mean of Xβ is large against its spread: e.g. the levels of a factor in place of the intercept), more than the ${CANCELLATION_LIMIT.toExponential(0)} allowed; write the model with an intercept (the same fit) or fit with the rows in memory`);
  }
  return m;
}

/** performance's singularity tolerance option (default 1e-5) */
export function checkTolerance(tolerance: number | undefined): number {
  if (tolerance === undefined) return 1e-5;
  if (typeof tolerance !== 'number' || !(tolerance >= 0) || !Number.isFinite(tolerance)) throw new OptionError('tolerance', `tolerance must be a number ≥ 0, not ${String(tolerance)}`);
  return tolerance;
}

/** the fit's family as distributionVariance takes it (fitting the null model where one is needed) */
async function distributionOf(fit: AnyFit): Promise<{ spec: DistributionSpec; nullIntercept?: number }> {
  if (!(fit instanceof GlmmFit)) return { spec: { family: 'gaussian', sigma: fit.sigma } };
  const link = fit.link;
  switch (fit.family) {
    case 'binomial': return { spec: { family: 'binomial', link } };
    case 'Gamma': return { spec: { family: 'Gamma', link, sigma: fit.sigma } };
    case 'poisson':
    case 'negative.binomial': {
      const nullFit = await fitNullModel(fit, WHAT);
      const nullBeta0 = nullFit.beta[0];
      const spec: DistributionSpec = fit.family === 'poisson'
        ? { family: 'poisson', link, nullBeta0 }
        : { family: 'negative.binomial', link, nullBeta0, theta: fit.nbSize! };
      return { spec, nullIntercept: nullBeta0 };
    }
    default: throw new ModelError(`${WHAT}: no distribution-specific variance for the family '${fit.family}'`);
  }
}

/** insight's get_variance of a fit, with the null model's intercept where one was refitted */
export type FitComponents = VarianceComponents & { nullIntercept?: number };

/**
 * The variance components of a fit, computed once per fit and tolerance by `compute` (lmer and glmer here,
 * glmmTMB in src/zeroinfl/r2.ts); a refusal is not kept: the next call says it again.
 */
export function cachedComponents<F extends object>(cache: WeakMap<F, Map<number, Promise<FitComponents>>>, fit: F, tolerance: number, compute: () => Promise<FitComponents>): Promise<FitComponents> {
  let byTol = cache.get(fit);
  if (!byTol) cache.set(fit, (byTol = new Map()));
  let hit = byTol.get(tolerance);
  if (!hit) {
    hit = compute();
    hit.catch(() => byTol!.delete(tolerance));
    byTol.set(tolerance, hit);
  }
  return hit;
}

const cache = new WeakMap<AnyFit, Map<number, Promise<FitComponents>>>();

/** the fit's variance components (insight's get_variance), computed once per fit and tolerance */
export function fitVarianceComponents(fit: AnyFit, tolerance: number): Promise<FitComponents> {
  return cachedComponents(cache, fit, tolerance, async () => {
    checkFit(fit);
    const frame = fit.model.frame;
    const { spec, nullIntercept } = await distributionOf(fit);
    const v = varianceComponents(merVarianceInput({
      moments: momentsOf(fit), beta: fit.beta, terms: frame.reTerms,
      theta: fit.theta, thetaLower: fit.model.theta.lower, sigma: fit.sigma, distribution: spec,
      randomSlopesInFixed: randomSlopesInFixed(fit.model.formula), tolerance,
    }));
    return nullIntercept === undefined ? v : { ...v, nullIntercept };
  });
}

const componentsOf = (v: VarianceComponents): R2Result['components'] => ({
  fixed: v.fixed, random: v.random, residual: v.residual, distribution: v.distribution, dispersion: v.dispersion,
});

/** r2_nakagawa's result from a fit's variance components */
export function r2Result(v: FitComponents): R2Result {
  const r = r2FromComponents(v);
  return {
    conditional: r.conditional, marginal: r.marginal, components: componentsOf(v),
    ...(v.nullIntercept !== undefined ? { nullIntercept: v.nullIntercept } : {}),
    messages: [...v.messages, ...r.messages],
  };
}

/** icc's result (by_group: one per term with an intercept) from a fit's variance components and its formula */
export function iccResult(v: FitComponents, byGroup: boolean, formula: Formula): IccOutcome {
  const messages = [...v.messages];
  if (byGroup && v.random !== null && randomSlopeVariables(formula).length > 0) messages.push(BY_GROUP_SLOPES_MESSAGE);
  return { icc: iccFromComponents(v), ...(byGroup ? { byGroup: iccByGroupFromComponents(v) } : {}), components: componentsOf(v), messages };
}

/** icc's byGroup option */
export function checkByGroup(options: IccOptions): boolean {
  const byGroup = options.byGroup ?? false;
  if (typeof byGroup !== 'boolean') throw new OptionError('byGroup', `byGroup must be true or false, not ${String(byGroup)}`);
  return byGroup;
}

/** performance's r2_nakagawa(fit) */
export async function r2Nakagawa(fit: AnyFit, options: R2Options = {}): Promise<R2Result> {
  return r2Result(await fitVarianceComponents(fit, checkTolerance(options.tolerance)));
}

/** performance's icc(fit) and icc(fit, by_group = TRUE) */
export async function iccOf(fit: AnyFit, options: IccOptions = {}): Promise<IccOutcome> {
  const byGroup = checkByGroup(options);
  return iccResult(await fitVarianceComponents(fit, checkTolerance(options.tolerance)), byGroup, fit.model.formula);
}

/** performance's print of r2_nakagawa: `# R2 for Mixed Models` and the two R² with 3 decimals (NA for none) */
export function printR2(r: Pick<R2Result, 'conditional' | 'marginal'>, digits = 3): string[] {
  const f = (x: number | null) => (x === null || Number.isNaN(x) ? 'NA' : x.toFixed(digits));
  return ['# R2 for Mixed Models', '', `  Conditional R2: ${f(r.conditional)}`, `     Marginal R2: ${f(r.marginal)}`];
}

/** performance's print of icc: `# Intraclass Correlation Coefficient` and the two ICCs (R's NA for none) */
export function printIcc(icc: IccResult | null, digits = 3): string[] {
  if (!icc) return ['[1] NA'];
  return ['# Intraclass Correlation Coefficient', '', `    Adjusted ICC: ${icc.adjusted.toFixed(digits)}`, `  Unadjusted ICC: ${icc.unadjusted.toFixed(digits)}`];
}

/** performance's print of icc(by_group = TRUE): insight's export_table of Group and ICC */
export function printIccByGroup(rows: IccGroupRow[] | null, digits = 3): string[] {
  if (!rows) return ['[1] NA'];
  const values = rows.map((r) => r.ICC.toFixed(digits));
  const w1 = Math.max('Group'.length, ...rows.map((r) => r.group.length));
  const w2 = Math.max('ICC'.length, ...values.map((v) => v.length));
  const line = (a: string, b: string) => `${a.padEnd(w1)} | ${b.padStart(w2)}`;
  return ['# ICC by Group', '', line('Group', 'ICC'), '-'.repeat(w1 + 3 + w2), ...rows.map((r, i) => line(r.group, values[i]))];
}
