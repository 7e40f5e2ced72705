/**
 * glmer from an engine (the rows in DuckDB or a file, never in memory): the GLMM without its rows —
 * the core's GlmmModel with empty row arrays, `pirls.rowless` and a `source` — whose PIRLS runs on
 * the engine's float64 passes, fitted by the core's own stages (src/glmm/fit.ts fitGlmm), exactly as
 * src/fit/glmer.ts fits an in-memory table; nothing here optimizes.
 *
 * Per PIRLS evaluation the engine makes one pass over the rows (GlmmPassRunner: GROUP BY queries
 * of an SQL engine, ./sql/glmmPass.ts) at the state's coefficients β and b = M b_int per grouping
 * factor (the modes on the formula's scale, src/model/reparam.ts): per row
 *   η = offset + Xβ + Σ_k z_kᵀ b_k[g_k(i)],  μ = g⁻¹(η),  w = wt (dμ/dη)²/V(μ),  r = (y − μ)/(dμ/dη),
 * and the weighted cross-products A(w) = [Z̃ X r]ᵀ W [Z̃ X r] of the internal Z̃ = Z M, with Σ wt·d(y, μ).
 * EngineWeightedGram adds the fitted part (src/glmm/weightedGram.ts addFittedPart), so that the solve
 * returns the iterate plus Newton's step — the DeviceWeightedGram of src/glmm/pirlsDevice.ts, in
 * float64, so PIRLS keeps its default (tight) tolerances. A cold start's pass is at R's mustart
 * instead (formAsync: z = η − offset + r whole, nothing added). With nAGQ > 1 (one scalar term) each
 * stage-2 evaluation adds one pass, the quadrature's rows term (./agq.ts), through agqRowSums.
 */
import { ModelError, OptionError } from '../errors/errors.js';
import type { Expr, Formula } from '../formula/types.js';
import type { GramMatrix } from '../linalg/gram.js';
import { type GlmmFitOptions, fitGlmm } from '../glmm/fit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { type FamilyName, type GlmFamily, type LinkName, makeFamily } from '../glmm/family.js';
import type { GlmmModel } from '../glmm/model.js';
import { PirlsEngine, PirlsError } from '../glmm/pirls.js';
import type { DeviceWeightedGram } from '../glmm/pirlsDevice.js';
import { addFittedPart } from '../glmm/weightedGram.js';
import { type BlockTransform, modesToOriginal, transformFromMoments } from '../model/reparam.js';
import { type AgqPassRunner, checkEngineAgq } from './agq.js';
import { gramLmm, refuseRelmatOption } from './fit.js';
import type { GramSourceResult } from './source.js';

/** What the engine's first GLMM query gives: the response checked, and what PIRLS would read of the rows. */
export interface GlmmRowSummary {
  /** aic − Σ wt·d(y, μ), constant in μ (src/glmm/pirls.ts aicMinusDeviance) */
  aicConst: number;
  /** max |X_r| per column of X (the fixed part's columns after the rank check) */
  colMaxX: Float64Array;
  /** per block, max |z_s| per column of Z, and Σ z_s and Σ z_s² (the internal transform M) */
  colMaxZ: Float64Array[];
  zSum: Float64Array[];
  zSq: Float64Array[];
}

/**
 * The response checks of an engine's first GLMM pass (the in-memory frame's rules, src/frame/glmResponse.ts,
 * on the engines: a binomial response 0/1 or cbind counts, Poisson counts), as the error texts every
 * engine gives: `count` rows failing, the response's range `lo`–`hi`.
 */
export const RESPONSE_CHECKS = {
  binary: (label: string, count: number, lo: number, hi: number) => `the response '${label}' is not 0/1 in ${count} rows (values from ${lo} to ${hi}): a binomial response must be 0/1 on the engines, or cbind(successes, failures)`,
  negativeCounts: (label: string, count: number) => `the successes or failures of '${label}' are negative in ${count} rows: counts must be ≥ 0`,
  wholeCounts: (label: string, count: number) => `the counts of '${label}' are not whole numbers in ${count} rows: the engines fit whole counts (fit with the rows in memory for R's non-integer warning)`,
  poissonNegative: (label: string, count: number, lo: number) => `the response '${label}' is negative in ${count} rows (down to ${lo}): the poisson family needs counts ≥ 0`,
  poissonWhole: (label: string, count: number) => `the response '${label}' is not a whole number in ${count} rows: the poisson family needs integer counts`,
};

/** A state's coefficients for a pass: β and each block's modes b_k = M_k b_int on the formula's scale (level-major nl × q). */
export interface GlmmPassState {
  beta: Float64Array;
  b: Float64Array[];
}

/** An engine's passes over its rows. */
export interface GlmmPassRunner {
  /**
   * One pass at `state` (η from its coefficients; the fitted part is added by the caller) or, for
   * null, at R's mustart (z = η − offset + r whole), into `gram` (gram.p = 0: the random effects
   * alone, X only through η): A(w) of the internal Z̃ = Z M (`transforms`), with Fisher's weights, or
   * with `observed` Newton's (w·f, the family's observedFactor). Returns Σ wt·d(y, μ).
   */
  pass(state: GlmmPassState | null, gram: GramMatrix, transforms: readonly (BlockTransform | null)[], observed?: boolean): Promise<number>;
  /** passes made, each one's queries, and their time; with EngineRowCounts where the passes count their rows */
  readonly stats: { passes: number; queries: number; ms: number } & EngineRowCounts;
}

/**
 * The rows an engine's passes read from the source and replayed from memory, where they count them
 * (the stream: its cache replays kept batches, ./stream/batchCache.ts); absent, each query scans
 * nInput rows (the SQL engines).
 */
export interface EngineRowCounts {
  rowsRead?: number;
  rowsReplayed?: number;
}

/** Adds passes' rows to a fit's source: those they counted, else `queries` scans of nInput rows each. */
export function addScannedRows(source: { rowsScanned: number; rowsReplayed?: number }, stats: { queries: number } & EngineRowCounts, nInput: number): void {
  source.rowsScanned += stats.rowsRead ?? stats.queries * nInput;
  if (stats.rowsReplayed !== undefined) source.rowsReplayed = (source.rowsReplayed ?? 0) + stats.rowsReplayed;
}

/**
 * Per pair of blocks (j > k) of A's cross blocks, (code_k · nl_j + code_j) → the entry of A_jk's
 * pattern: where an engine's pass adds a row's (or a group's) cross-products.
 */
export function pairEntries(gram: GramMatrix): Map<number, number>[][] {
  return gram.Ajk.map((row, j) => row.map((a) => {
    const m = new Map<number, number>();
    if (!a) return m;
    const nlj = gram.blocks[j].nl;
    for (let col = 0; col < a.pattern.ncol; col++) for (let e = a.pattern.colPtr[col]; e < a.pattern.colPtr[col + 1]; e++) m.set(col * nlj + a.pattern.rowIdx[e], e);
    return m;
  }));
}

/**
 * The families and links the engines evaluate in their passes, each in float64 as src/glmm/family.ts
 * does (the SQL engines: src/gram/sql/links.ts, Φ by Cody's algorithm, expm1 and log1p by Kahan's
 * formulas; the stream engine: family.ts itself). logit and log are canonical (Fisher's steps are
 * Newton's); for probit, cloglog, sqrt and identity PIRLS asks the passes for Newton's weights
 * w·f (the observed information) and refactors L at Fisher's, as in memory; cauchit (its log-likelihood
 * not concave in η) takes Fisher's steps, as in memory.
 */
export const ENGINE_GLMM_FAMILIES: Readonly<Partial<Record<FamilyName, readonly LinkName[]>>> = { binomial: ['logit', 'probit', 'cloglog', 'cauchit'], poisson: ['log', 'sqrt', 'identity'] };

/**
 * Links one engine cannot evaluate, with the reason. ClickHouse 18.16 expands a query's WITH aliases in
 * place before it evaluates them, so Cody's Φ in SQL (./sql/links.ts: its ranges' polynomials read |η|,
 * 1/η² and the tail's factor several times) grows past its limit on a query's syntax tree once every
 * reference of μ in the pass carries it ("AST is too big. Maximum: 500000 (after expansion of
 * aliases)", seen with Φ⁻¹ of the starting μ); its erfc(−η/√2) is not float64-accurate in the tail.
 */
export const ENGINE_LINK_REFUSALS: Readonly<Record<string, Partial<Record<LinkName, string>>>> = {
  clickhouse: {
    probit: 'ClickHouse expands the SQL of Φ (Cody\'s algorithm, the float64-accurate normal distribution function) past its limit on a query\'s size, and its erfc is not accurate to float64 in the tail',
  },
};

/** The family of an engine fit, or the error naming what the engines (or this engine) do not evaluate. */
export function engineFamily(engine: string, family: FamilyName, link?: LinkName): GlmFamily {
  const f = makeFamily(family, link);
  const links = ENGINE_GLMM_FAMILIES[family];
  if (!links || !links.includes(f.link)) {
    const offered = Object.entries(ENGINE_GLMM_FAMILIES).map(([fam, l]) => `${fam}(${l!.join(', ')})`).join(' and ');
    throw new ModelError(`${engine}: the ${family} family with the ${f.link} link is not evaluated by the engines (they fit ${offered}); fit it with the rows in memory (the CLI's --engine memory)`);
  }
  const refused = ENGINE_LINK_REFUSALS[engine]?.[f.link];
  if (refused) throw new ModelError(`${engine}: the ${family} family with the ${f.link} link is not evaluated on ${engine}: ${refused}; fit it with --engine duckdb or stream (which evaluate it), or with the rows in memory`);
  return f;
}

/**
 * A pass whose μ left the family's range (poisson's identity link: μ ≤ 0) stops PIRLS, as in memory
 * (src/glmm/pirls.ts checkMuRange; lme4 1.1-31 stops too): `count` rows, the smallest μ `lowest`.
 */
export function muRangeError(family: GlmFamily, source: string, count: number, lowest: number): PirlsError {
  return new PirlsError(`PIRLS: the ${family.family} family's mean left its range with the ${family.link} link: μ = ${lowest} (the smallest) in ${count} rows of ${source}, where the family needs ${family.muRange}; lme4 1.1-31 stops here too ("PIRLS loop resulted in NaN value"). Try the family's canonical link`);
}

/** The GLMM's response as an engine reads it: a numeric column (0/1, counts) or cbind(successes, failures). */
export type GlmmEngineResponse = { kind: 'numeric'; label: string } | { kind: 'cbind'; label: string; failures: Expr; failuresLabel: string };

/**
 * The formula the LMM's first passes read (a cbind response as its successes, the failures in
 * na.omit's marks as a variable of no column) and the response as the GLMM's passes read it.
 */
export function engineGlmmFormula(f: Formula, family: string): { formula: Formula; response: GlmmEngineResponse } {
  const r = f.response;
  if (r.kind !== 'cbind') return { formula: f, response: { kind: 'numeric', label: r.label } };
  if (family !== 'binomial') throw new ModelError(`the response '${r.label}' (cbind) is for the binomial family, not ${family}`);
  const failuresLabel = `${r.label} (failures)`;
  return {
    formula: { ...f, response: { kind: 'expr', label: r.label, expr: r.successes }, removedVars: [...(f.removedVars ?? []), { label: failuresLabel, expr: r.failures }] },
    response: { kind: 'cbind', label: r.label, failures: r.failures, failuresLabel },
  };
}

/** Options an engine's glmer does not take, refused by name (not ignored). */
export function refuseEngineGlmerOptions(options: object, engine: string): void {
  refuseRelmatOption(options, `${engine} glmer`);
  for (const name of ['weights', 'prior', 'theta', 'contrasts'] as const) {
    if ((options as Record<string, unknown>)[name] !== undefined) {
      throw new OptionError(name, `${engine}: glmer's ${name} is not available on the engines yet (a GLMM's prior weights, priors, the negative binomial and contrasts other than treatment are fitted with the rows in memory: the CLI's --engine memory)`);
    }
  }
}

/** The weighted pass of PIRLS on an engine: a DeviceWeightedGram whose evaluations are the engine's float64 passes. */
export class EngineWeightedGram implements DeviceWeightedGram {
  readonly rowsOnDevice = true;
  readonly float64 = true;
  readonly gram: GramMatrix;

  /** `agq`: the engine's pass for adaptive quadrature's rows term (./agq.ts), offered to PIRLS as agqRowSums */
  constructor(private readonly runner: GlmmPassRunner, shape: GramMatrix, p: number, private readonly transforms: readonly (BlockTransform | null)[], private readonly agq?: AgqPassRunner) {
    const p1 = p + 1;
    this.gram = {
      n: shape.n, p, blocks: shape.blocks,
      Akk: shape.blocks.map((b) => new Float64Array(b.nl * b.q * b.q)),
      Ajk: shape.Ajk.map((row) => row.map((a) => ({ ...a, values: new Float64Array(a.values.length) }))),
      AXk: shape.blocks.map((b) => new Float64Array(p1 * b.nl * b.q)),
      AXX: new Float64Array(p1 * p1),
      yty: 0,
    };
  }

  /** η, μ, w, r and the deviance at the state in the engine's pass; A(w) with the fitted part added */
  async evaluateAsync(state: { beta: Float64Array; b: Float64Array[]; observed?: boolean }): Promise<number> {
    const b = this.modesOnFormulaScale(state.b);
    const dev = await this.runner.pass({ beta: state.beta, b }, this.gram, this.transforms, state.observed === true);
    addFittedPart(this.gram, state.b, this.gram.p > 0 ? state.beta : null);
    return dev;
  }

  /** the modes b = M b_int on the formula's scale (the passes' Z is the formula's, not the internal Z̃ = Z M) */
  private modesOnFormulaScale(bInternal: Float64Array[]): Float64Array[] {
    return bInternal.map((bk, k) => {
      const out = Float64Array.from(bk);
      modesToOriginal(out, this.gram.blocks[k].q, this.transforms[k]);
      return out;
    });
  }

  /** whether agqRowSums runs on the engine (a scalar term with an AGQ pass) */
  get agqOnDevice(): boolean {
    return this.agq !== undefined;
  }

  /**
   * adaptive quadrature's rows term (./agq.ts) in one engine pass at the state (β fixed): the modes and
   * `scale` = t / L_gg on the internal Z̃ = Z M taken to the formula's scale (b = M b_int; z̃ · scale = z · M scale)
   */
  async agqRowSums(state: { beta: Float64Array; b: Float64Array[] }, scale: Float64Array, nodes: ArrayLike<number>): Promise<Float64Array> {
    if (!this.agq) throw new Error('internal: adaptive quadrature on an engine without its pass');
    const b = this.modesOnFormulaScale(state.b);
    const shift = Float64Array.from(scale);
    modesToOriginal(shift, 1, this.transforms[0]);
    return this.agq.rowSums({ beta: state.beta, b }, shift, nodes);
  }

  /** A(w) at R's mustart (PIRLS's cold start; its w and z are computed in the pass, not here) */
  async formAsync(): Promise<GramMatrix> {
    if (this.gram.p === 0) throw new Error('internal: a cold start with β fixed on an engine\'s pass');
    await this.runner.pass(null, this.gram, this.transforms);
    return this.gram;
  }
}

export interface GramGlmerOptions extends GlmmFitOptions {
  family: FamilyName;
  link?: LinkName;
  /** 1 (default): Laplace; 0: stage 1 only; 2–25: adaptive Gauss–Hermite quadrature (one scalar term; ./agq.ts) */
  nAGQ?: number;
  /** the numeric columns read as factors */
  factors?: string[];
}

/**
 * The GLMM of an engine: the LMM's shapes from the engine's first passes (gramLmm: frame without
 * rows, blocks, θ), the family, the internal transform from the engine's column sums, and PIRLS's
 * data without rows (`rowless`). `yname`: the response as the formula writes it.
 */
export function gramGlmm(res: GramSourceResult, family: GlmFamily, rows: GlmmRowSummary, yname: string, options: { factors?: string[] }, sourceName = res.engine): GlmmModel {
  const lmm = gramLmm(res, options, sourceName);
  if (lmm.covariance) {
    const terms = lmm.covariance.structured.map((t) => t.text).join(', ');
    throw new ModelError(`${res.engine}: covariance structures (${terms}) in a GLMM are fitted with the rows in memory only; the engines fit them in lmer (a linear mixed model), not in glmer: fit with the rows in memory (the CLI's --engine memory)`);
  }
  const n = res.summary.n;
  const transforms = res.blocks.map((b, k) => transformFromMoments(b, n, rows.zSum[k], rows.zSq[k], { scale: true }));
  const empty = new Float64Array(0);
  const source = { engine: res.engine, name: sourceName, rowsScanned: res.rowsScanned, ...(res.rowsReplayed !== undefined ? { rowsReplayed: res.rowsReplayed } : {}), queries: res.queries };
  // the internal blocks' shapes are the blocks' (their Z M is formed in the engine's queries)
  return {
    formula: lmm.formula, frame: { ...lmm.frame, yname }, frameOptions: lmm.frameOptions, blocks: lmm.blocks, theta: lmm.theta,
    transforms, internalBlocks: lmm.blocks, known: lmm.known, covariance: null, fixed: lmm.fixed, weights: null, offset: null,
    family,
    pirls: {
      n: 0, X: empty, p: res.summary.p, blocks: lmm.blocks, theta: lmm.theta, family, y: empty, weights: empty, trials: null, offset: empty,
      rowless: { source: `${res.engine} (${sourceName})`, aicConst: rows.aicConst, colMaxX: rows.colMaxX, colMaxZ: rows.colMaxZ },
    },
    source,
  };
}

/**
 * Fits the GLMM of an engine: PIRLS on its passes (`runner`), the core's two stages and assembly;
 * `agq`: the engine's pass for adaptive quadrature (nAGQ > 1, ./agq.ts), one per stage-2 evaluation.
 */
export async function glmerFromGram(
  res: GramSourceResult, family: GlmFamily, rows: GlmmRowSummary, runner: GlmmPassRunner, yname: string, options: GramGlmerOptions, sourceName?: string, agq?: AgqPassRunner,
): Promise<GlmmFit> {
  const t0 = performance.now();
  const nAGQ = options.nAGQ ?? 1;
  const model = gramGlmm(res, family, rows, yname, options, sourceName);
  checkEngineAgq(res.engine, model, nAGQ, agq);
  const full = new EngineWeightedGram(runner, res.gram, res.summary.p, model.transforms);
  const u = new EngineWeightedGram(runner, res.gram, 0, model.transforms, nAGQ > 1 ? agq : undefined);
  const engine = new PirlsEngine(model.pirls, { grams: { full, u } });
  const timings: Record<string, number> = {};
  for (const q of res.queries) timings[`${res.engine}: ${q.stage} (ms)`] = q.ms;
  timings.setupMs = performance.now() - t0;
  const fit = await fitGlmm(model, engine, nAGQ, options, t0, timings);
  // the PIRLS passes as one more stage of the source, with the rows they scanned
  const s = runner.stats;
  model.source!.queries.push({ stage: `PIRLS passes (${s.passes} passes, ${s.queries} queries)`, ms: s.ms, rows: res.summary.n });
  addScannedRows(model.source!, s, res.summary.nInput);
  fit.timings[`${res.engine}: PIRLS passes (ms)`] = s.ms;
  fit.timings.enginePasses = s.passes;
  fit.timings.engineQueries = s.queries;
  if (nAGQ > 1 && agq) {
    // the quadrature's passes (one per stage-2 and Hessian evaluation), as one more stage
    const a = agq.stats;
    model.source!.queries.push({ stage: `AGQ passes (${a.passes} passes, ${a.queries} queries)`, ms: a.ms, rows: res.summary.n });
    addScannedRows(model.source!, a, res.summary.nInput);
    fit.timings[`${res.engine}: AGQ passes (ms)`] = a.ms;
    fit.timings.engineAgqPasses = a.passes;
  }
  return fit;
}
