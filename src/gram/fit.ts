/**
 * lmer from a Gram source (an SQL engine or a stream of record batches): the model without its rows
 * (the core's LmmModel with empty row arrays and a `source`), fitted by the core's own stages —
 * the float64 reference CpuBackend(A), the backend rule, and optimizeAndAssemble (the one fit
 * driver) — exactly as src/fit/lmer.ts fits an in-memory table; nothing here optimizes.
 */
import { OptionError } from '../errors/errors.js';
import { CpuBackend } from '../backend/cpu/cpuBackend.js';
import { type BackendOptions, lmmBackend } from '../backend/select.js';
import type { FrameSummary } from './moments.js';
import type { Contrasts } from '../frame/contrasts.js';
import type { FitValues, GramSourceResult } from './source.js';
import type { ModelFrame } from '../frame/modelFrame.js';
import { type Column, type ScaleParams, scaleKey } from '../frame/columns.js';
import { type LmmFitOptions, optimizeAndAssemble } from '../lmm/fit.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import type { LmmModel, RowSource } from '../lmm/model.js';
import type { BlockTransform } from '../model/reparam.js';
import { type CovParameters, covParameters } from '../model/covStructure.js';
import { structuredChange } from '../lmm/structured.js';

/** The scaled-residual quantiles an LmmFit's summary prints. */
type FitQuantiles = NonNullable<LmmFit['scaledResidualQuantiles']>;

/**
 * The engines read the rows once into A; a known covariance matrix (relmat) belongs to lmer's
 * in-memory fit. Given to lmerSql or lmerStream it is refused (not ignored), before any data are read.
 */
export function refuseRelmatOption(options: object, what: string): void {
  const r = (options as { relmat?: unknown }).relmat;
  if (r !== undefined) throw new OptionError('relmat', `${what}: known covariance matrices (relmat) are fitted with the rows in memory: use lmer(formula, data, { relmat }) (the CLI's --engine memory)`);
}

/** The centring of a block (src/model/reparam.ts, lmer: M = I − e₀ mᵀ), or null for the identity. */
export function centreTransform(m: Float64Array | null, q: number): BlockTransform | null {
  if (!m || m.every((v) => v === 0)) return null;
  const M = new Float64Array(q * q);
  const Minv = new Float64Array(q * q);
  for (let s = 0; s < q; s++) { M[s * q + s] = 1; Minv[s * q + s] = 1; }
  for (let s = 1; s < q; s++) { M[s] = -m[s]; Minv[s] = m[s]; }
  return { M, Minv };
}

export interface GramLmmOptions {
  /** REML (default) or ML */
  REML?: boolean;
  /** the numeric columns read as factors (kept for new data, as the in-memory model keeps them) */
  factors?: string[];
  /** lme4's `contrasts` of the fixed part's factors (FrameSpecOptions; kept as the in-memory model keeps them) */
  contrasts?: Contrasts;
}

/**
 * The frame's columns without rows: each variable of the fixed part and of the random terms'
 * left-hand sides, numeric or a factor with its fitted levels, which is what predict reads of them
 * for new data (the kind, and the levels new data are coded by).
 */
function fittedColumns(res: GramSourceResult): Map<string, Column> {
  const columns = new Map<string, Column>();
  for (const label of res.spec.numeric.keys()) if (!res.spec.basisColumns.has(label)) columns.set(label, { kind: 'numeric', values: new Float64Array(0) });
  // poly/ns/bs: a matrix variable of its columns (new data evaluate it with the fitted coefficients, spec.scales)
  for (const b of res.spec.bases) columns.set(b.label, { kind: 'matrix', columns: b.labels.map(() => new Float64Array(0)), colnames: b.labels.map((_, k) => String(k + 1)) });
  for (const label of res.spec.factors.keys()) {
    const levels = res.summary.levels.get(label);
    if (levels) columns.set(label, { kind: 'factor', codes: new Int32Array(0), levels: levels.labels });
  }
  return columns;
}

/**
 * What the frame keeps of the data for new rows (src/frame/columns.ts ScaleParams): scale()'s centres
 * and scales, the comparisons' checks, and each relevel()'s levels in the fitted order (new rows are
 * coded by them, as memory's relevelColumn codes them).
 */
function levelScales(res: GramSourceResult): ScaleParams {
  // the summaries' values (mean(x), …) are not kept: predict re-evaluates them on new data, as memory and R do
  const scales: ScaleParams = new Map([...res.spec.scales].filter(([, p]) => !('fn' in p && p.fn === 'summary')));
  for (const [label, f] of res.spec.factors) {
    const levels = res.summary.levels.get(label);
    if (f.relevel && levels) scales.set(scaleKey(f.relevel), { fn: 'relevel', levels: levels.labels });
  }
  return scales;
}

/**
 * glmmTMB's covariance structures of the terms (`ar1(0 + factor(t) | g)`, src/model/covStructure.ts):
 * A does not depend on θ, so a structure only maps its parameters to θ; the times or positions its
 * factor's levels name are the levels the engine's first pass found (the fitted columns). Null
 * without one.
 */
function structuresOf(res: GramSourceResult): CovParameters | null {
  return covParameters({ reTerms: res.reTerms, columns: fittedColumns(res) }, res.theta);
}

/** The model of a Gram source: shapes, transform and A's statistics, no rows. */
export function gramLmm(res: GramSourceResult, options: GramLmmOptions = {}, sourceName = res.engine): LmmModel {
  const S: FrameSummary = res.summary;
  const empty = new Float64Array(0);
  const frame: ModelFrame = {
    formula: res.spec.formula, n: S.n, y: empty, yname: res.spec.yname, X: empty, p: S.p, xnames: S.xnames,
    offset: null, reTerms: res.reTerms, nDropped: S.nDropped, rows: null, nInput: S.nInput, messages: S.messages,
    columns: fittedColumns(res), scales: levelScales(res), ...(res.spec.weights ? { weightsName: res.spec.weights } : {}),
    ...(res.spec.contrasts ? { contrasts: res.spec.contrasts } : {}),
    // emmeans's reference grid without the rows: the first pass's summaries (./gridCells.ts)
    ...(res.grid ? { covariates: res.grid.covariates, cellCounts: res.grid.cellCounts } : {}),
    ...(S.fullCrossProduct ? { fullCrossProduct: S.fullCrossProduct } : {}),
  };
  const transforms = res.blocks.map((b, k) => centreTransform(res.centres[k], b.q));
  const source: RowSource = {
    engine: res.engine, name: sourceName, rowsScanned: res.rowsScanned, ...(res.rowsReplayed !== undefined ? { rowsReplayed: res.rowsReplayed } : {}), queries: res.queries,
    responseSS: S.responseSS, zSquares: res.zSquares,
  };
  // A stays with the model (held during the fit already; no rows): what inference needs of the rows
  // through A alone works from it (src/inference/fitInference.ts referenceOf)
  Object.defineProperty(source, 'gram', { value: res.gram, enumerable: false, writable: true, configurable: true });
  const fixed = { Xc: empty, yc: empty, means: S.means, intercept: S.intercept, beta0: S.beta0 };
  return {
    formula: res.spec.formula, frame, frameOptions: { factors: options.factors, ...(options.contrasts ? { contrasts: options.contrasts } : {}) }, blocks: res.blocks, theta: res.theta,
    transforms, known: res.blocks.map(() => null), covariance: structuresOf(res), internalBlocks: res.blocks, fixed, weights: null, offset: null,
    reml: options.REML ?? true, sumLogW: S.sumLogW,
    rows: { n: S.n, X: empty, p: S.p, y: empty, blocks: res.blocks },
    source,
  };
}

export interface GramLmerOptions extends GramLmmOptions, LmmFitOptions, BackendOptions {}

/** Fits the model of a Gram source (no post-fit queries: see the engines' residual modules). */
export async function lmerFromGram(res: GramSourceResult, options: GramLmerOptions = {}, sourceName?: string): Promise<LmmFit> {
  const t0 = performance.now();
  const model = gramLmm(res, options, sourceName);
  const timings: Record<string, number> = {};
  for (const q of res.queries) timings[`${res.engine}: ${q.stage} (ms)`] = q.ms;
  const messages: string[] = [];
  const reference = new CpuBackend(res.gram, model.theta.length);
  timings.gramSetupMs = performance.now() - t0;
  const device = await lmmBackend(model, reference, options, messages, timings);
  // a structured model's optimizer works in the structures' parameters (src/lmm/structured.ts), as lmer's
  const change = model.covariance ? structuredChange(model) : undefined;
  try {
    return await optimizeAndAssemble(model, device ?? reference, reference, timings, options, t0, messages, change);
  } finally {
    device?.dispose();
  }
}

/** The estimates the post-fit passes need (β̂, b̂ per block on the model's scale, σ̂). */
export function fitValues(fit: LmmFit): FitValues {
  return { beta: fit.beta, b: fit.model.blocks.map((_, k) => fit.conditionalModes(k)), sigma: fit.sigma };
}

/**
 * The summary's scaled-residual quantiles by an engine's passes over the rows (`quantiles`: SQL
 * queries or record-batch passes), set on the fit and recorded as one more stage of its source,
 * with the rows those passes scanned (`unit`: 'scans' or 'passes'): each scan's nInput, or where
 * the passes count them (`rows`: the stream's cache replays kept batches), the rows read from the
 * source and those replayed.
 */
export async function addResidualQuantiles(
  fit: LmmFit, nInput: number, unit: string,
  quantiles: () => Promise<{ quantiles: FitQuantiles; scans: number; rows?: { read: number; replayed: number } }>,
): Promise<void> {
  const t = performance.now();
  const q = await quantiles();
  fit.scaledResidualQuantiles = q.quantiles;
  const source = fit.model.source!;
  source.queries.push({ stage: `residual quantiles (${q.scans} ${unit})`, ms: performance.now() - t, rows: fit.nobs });
  source.rowsScanned += q.rows ? q.rows.read : q.scans * nInput;
  if (q.rows) source.rowsReplayed = (source.rowsReplayed ?? 0) + q.rows.replayed;
}
