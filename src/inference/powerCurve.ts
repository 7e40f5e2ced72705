/**
 * simr's extend and powerCurve (R/extend.R, R/powerCurve.R) for lmer and glmer fits (binomial,
 * Poisson: the glmer model refitted on the extended rows by its own call, simulated with the original
 * fit's β and θ; the subsets refitted by the core's GLMM fit, powerGlmm.ts).
 *
 * extend(fit, data, { along, n }): a larger design with the fit's parameters. simr's
 * extend.data.frame: the new values of `along` are
 *   a factor: make.unique(letters recycled to n)  ("a" … "z", "a.1" … "z.1", "a.2" …),
 *   numeric:  1, 2, …, n,
 * the i-th new value is a copy of the rows (in their order) of the i-th old value, the old values
 * taken in order of first appearance and recycled; the rows keep their other columns (the
 * response too: it is simulated afresh by powerSim). `within: 'Subject'` (simr's within = "Subject")
 * instead replicates each group's rows: the rows of every combination of the `within` columns are
 * numbered in order (simr's addReplicateIndex) and the design is extended along that index (each
 * combination gets n observations: its rows recycled). The model is fitted to the extended data once
 * (lmer's model frame, on the CPU in float64: its design and a start for the refits); powerSim simulates from the original fit's β, θ, σ,
 * as simr keeps the model's parameters with its new data.
 *
 * powerCurve(fit, { along, breaks }): the power at subsets of the rows, those whose `along` is among
 * the first k of its sorted distinct values (levels of a factor; an extended factor's in simr's order
 * a … z, a.1, …), for each k of `breaks` (default
 * simr's tidySeq(3, #values, 10)); each response is simulated once on all rows and refitted on each
 * subset, as simr's powerCurve reuses its simulations.
 */
import type * as arrow from 'apache-arrow';
import { ModelError, OptionError } from '../errors/errors.js';
import { buildLmm } from '../lmm/model.js';
import { optimizeAndAssemble } from '../lmm/fit.js';
import { CpuBackend } from '../backend/cpu/cpuBackend.js';
import { referenceGram } from '../backend/cpu/gram.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import { buildGlmm } from '../glmm/model.js';
import { fitGlmm } from '../glmm/fit.js';
import { PirlsEngine } from '../glmm/pirls.js';
import { checkPowerGlmm, powerRunGlmmSubsets } from './powerGlmm.js';
import { type DataInput, toArrowTable } from '../io/dataInput.js';
import {
  type ExtendedFit, type PowerMethod, type PowerSimOptions, checkPowerFit, checkPowerOptions,
  isExtended, powerDescription, powerInput, powerInputGlmm, powerParameters, powerRunSubsets, powerSummary, resolvePowerTest,
} from './powerSim.js';
import type { PowerCurvePoint } from './powerPrint.js';
import { makeUnique } from '../results/rFormat.js';

export interface ExtendOptions {
  /** the column whose values are extended (a grouping factor such as Subject, or a numeric column) */
  along?: string;
  /** the column(s) within whose groups the observations are replicated (simr's within = "a + b" as ['a', 'b']) */
  within?: string | string[];
  /** the number of values of `along` (or of observations within each group) in the new design */
  n: number;
}

/** R's make.unique of letters recycled to n: a … z, a.1 … z.1, a.2 … */
export function letterValues(n: number): string[] {
  return makeUnique(Array.from({ length: n }, (_, i) => String.fromCharCode(97 + (i % 26))));
}

function columnsOf(data: arrow.Table): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const f of data.schema.fields) {
    const col = data.getChild(f.name)!;
    out[f.name] = Array.from({ length: data.numRows }, (_, i) => {
      const v = col.get(i);
      return typeof v === 'bigint' ? Number(v) : v;
    });
  }
  return out;
}

/** simr's extend.data.frame on columns (see the header); `isFactor` whether `along` is a factor */
export function extendColumns(cols: Record<string, unknown[]>, along: string, n: number, isFactor: boolean): Record<string, unknown[]> {
  const x = cols[along];
  if (!x) throw new OptionError('along', `extend: the column '${along}' is not in the data (columns: ${Object.keys(cols).join(', ')})`);
  if (!(Number.isInteger(n) && n >= 1)) throw new OptionError('n', `extend: n must be a whole number ≥ 1, got ${String(n)}`);
  const values: unknown[] = isFactor ? letterValues(n) : Array.from({ length: n }, (_, i) => i + 1);
  // the old values in order of first appearance, recycled to n
  const unique: unknown[] = [];
  const seen = new Set<string>();
  for (const v of x) { const k = String(v); if (!seen.has(k)) { seen.add(k); unique.push(v); } }
  const rowsOf = new Map<string, number[]>();
  x.forEach((v, i) => { const k = String(v); const r = rowsOf.get(k); if (r) r.push(i); else rowsOf.set(k, [i]); });
  const out: Record<string, unknown[]> = Object.fromEntries(Object.keys(cols).map((k) => [k, [] as unknown[]]));
  values.forEach((value, i) => {
    for (const row of rowsOf.get(String(unique[i % unique.length]))!) {
      for (const k of Object.keys(cols)) out[k].push(k === along ? value : cols[k][row]);
    }
  });
  return out;
}

const REPL = '.simr_repl';

export type { ExtendedFit };

/** simr's extend(fit, along = , within = , n = ) (see the header) */
export async function extend(fit: LmmFit | GlmmFit, data: DataInput, options: ExtendOptions): Promise<ExtendedFit> {
  if (fit instanceof GlmmFit) checkPowerGlmm(fit, 'extend');
  else checkPowerFit(fit, 'extend');
  if (typeof options !== 'object' || options === null) throw new OptionError('options', 'extend: options must be an object with along (or within) and n');
  for (const k of Object.keys(options)) if (!['along', 'within', 'n'].includes(k)) throw new OptionError(k, `extend: unknown option '${k}' (the options are along, within, n)`);
  const { along, within, n } = options;
  if (along !== undefined && within !== undefined) throw new OptionError('within', 'extend: only one of along and within may be used');
  if (along === undefined && within === undefined) throw new OptionError('along', 'extend: give along (a column whose values are extended) or within');
  const table = toArrowTable(data, 'extend data');
  if (table.numRows !== fit.nobs) throw new ModelError(`extend: the data has ${table.numRows} rows, the fit ${fit.nobs}: give the data the model was fitted to (with no rows dropped)`);
  let cols = columnsOf(table);
  const factors = fit.model.frameOptions.factors ?? [];
  let column: string;
  let isFactor: boolean;
  if (within !== undefined) {
    const groups = Array.isArray(within) ? within : within.split(/[+,]/).map((s) => s.trim()).filter(Boolean);
    for (const g of groups) if (!cols[g]) throw new OptionError('within', `extend: the column '${g}' is not in the data`);
    // simr's addReplicateIndex: the rows of each combination of `within` numbered 1, 2, … in order
    const counter = new Map<string, number>();
    cols = { ...cols, [REPL]: cols[groups[0]].map((_, i) => {
      const key = JSON.stringify(groups.map((g) => cols[g][i]));
      const r = (counter.get(key) ?? 0) + 1;
      counter.set(key, r);
      return r;
    }) };
    column = REPL;
    isFactor = false;
  } else {
    column = along!;
    if (!cols[column]) throw new OptionError('along', `extend: the column '${column}' is not in the data (columns: ${Object.keys(cols).join(', ')})`);
    isFactor = factors.includes(column) || cols[column].some((v) => typeof v === 'string');
    const fixedVars = fit.model.frame.formula.fixed.terms.flatMap((t) => t.label.split(':'));
    if (isFactor && fixedVars.includes(column)) throw new OptionError('along', `extend: cannot extend along a fixed factor ('${column}'), as simr`);
  }
  const extended = extendColumns(cols, column, n, isFactor);
  delete extended[REPL];
  const parameters = powerParameters(fit);
  const alongName = within !== undefined ? REPL : column;
  if (fit instanceof GlmmFit) {
    // glmer's model again on the extended rows (its family and link, prior weights by column or
    // cbind trials, offset, factors and contrasts), fitted on the CPU in float64 with its nAGQ: the
    // design, and the refits' start
    const m = fit.model;
    if (m.pirls.weights.some((w) => w !== 1) && !m.weightsName && !m.pirls.trials) throw new ModelError('extend: the fit\'s prior weights were given as an array; name their column (weights: \'size\') so that the extended rows carry them');
    const model = buildGlmm(m.formula, toArrowTable(extended, 'extended data'), {
      family: m.family.family, link: m.family.link, factors, nAGQ: fit.nAGQ, ...(m.weightsName ? { weights: m.weightsName } : {}),
      ...(m.frameOptions.contrasts ? { contrasts: m.frameOptions.contrasts } : {}),
    });
    const newFit = await fitGlmm(model, new PirlsEngine(model.pirls), fit.nAGQ, {}, performance.now(), {});
    return { kind: 'extended', fit: newFit, parameters, data: extended, along: alongName, n };
  }
  // the model on the extended rows (lmer's model frame and options), fitted on the CPU in float64
  const model = buildLmm(fit.model.formula, toArrowTable(extended, 'extended data'), {
    REML: fit.reml, factors, ...(fit.model.frameOptions.contrasts ? { contrasts: fit.model.frameOptions.contrasts } : {}),
  });
  const reference = new CpuBackend(referenceGram(model), model.theta.length, undefined, () => referenceGram(model));
  const newFit = await optimizeAndAssemble(model, reference, reference, {}, {}, performance.now());
  return { kind: 'extended', fit: newFit, parameters, data: extended, along: alongName, n };
}

/** simr's tidySeq(from, to, maxLength): from … to, or maxLength values spread evenly (R's round, half to even) */
export function tidySeq(from: number, to: number, maxLength: number): number[] {
  if (to < from) return [to];
  if (to - from + 1 <= maxLength) return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  return Array.from({ length: maxLength }, (_, i) => roundHalfEven(from + ((to - from) * i) / (maxLength - 1)));
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x), d = x - f;
  if (Math.abs(d - 0.5) < 1e-9) return f % 2 === 0 ? f : f + 1;
  return Math.round(x);
}

export interface PowerCurveOptions extends Omit<PowerSimOptions, 'onProgress'> {
  /** the column along which subsets are taken (a grouping factor or a numeric column) */
  along: string;
  /** the numbers of values (levels) of `along` in each subset (default simr's tidySeq(3, #values, 10)) */
  breaks?: number[];
  onProgress?: PowerSimOptions['onProgress'];
}

export interface PowerCurveResult {
  text: string;
  /** "number of levels in Subject" or "largest value of Days" */
  xlab: string;
  along: string;
  term: string;
  method: PowerMethod;
  points: PowerCurvePoint[];
  warnings: number;
  errors: number;
  nsim: number;
  seed: number;
  alpha: number;
  timeMs: number;
}

/** the values of `along` on the fit's rows: a grouping factor's level index, or a numeric column */
function alongValues(fit: LmmFit | GlmmFit, along: string, byAppearance = false): { x: Float64Array; targets: number[]; isFactor: boolean } {
  const frame = fit.model.frame;
  const re = frame.reTerms.find((t) => t.group === along);
  const col = frame.columns.get(along);
  if (re || col?.kind === 'factor') {
    const codes = re ? re.codes : (col as { codes: Int32Array }).codes;
    const nl = re ? re.levels.length : (col as { levels: string[] }).levels.length;
    const used = new Set(codes);
    // an extended factor's levels in simr's order (a … z, a.1, …: the order of the new rows), not sorted
    const targets = byAppearance ? [...new Set(codes)] : Array.from({ length: nl }, (_, i) => i).filter((i) => used.has(i));
    return { x: Float64Array.from(codes), targets, isFactor: true };
  }
  if (col?.kind === 'numeric') {
    const x = Float64Array.from(col.values);
    return { x, targets: [...new Set(x)].sort((a, b) => a - b), isFactor: false };
  }
  throw new OptionError('along', `powerCurve: '${along}' is not a grouping factor or a variable of the model (grouping factors: ${frame.reTerms.map((t) => t.group).join(', ')})`);
}

/** simr's powerCurve (see the header) */
export async function powerCurve(input: LmmFit | GlmmFit | ExtendedFit, options: PowerCurveOptions): Promise<PowerCurveResult> {
  const t0 = performance.now();
  if (typeof options !== 'object' || options === null) throw new OptionError('options', 'powerCurve: options must be an object with along');
  const glmm = input instanceof GlmmFit || (isExtended(input) && input.fit instanceof GlmmFit);
  if (glmm && options.refit !== undefined && options.refit !== 'refit') throw new OptionError('refit', "powerCurve: a glmer fit's replicates are refitted one by one (refit: 'refit')");
  const { fit, par } = glmm ? powerInputGlmm(input as GlmmFit | ExtendedFit, 'powerCurve', options.fixef, options.sigma) : powerInput(input as LmmFit | ExtendedFit, 'powerCurve', options.fixef, options.sigma);
  const { nsim, seed, alpha } = checkPowerOptions(options as unknown as Record<string, unknown>, 'powerCurve', ['along', 'breaks']);
  const test = resolvePowerTest(fit, options.test, options.method);
  const along = options.along;
  if (typeof along !== 'string') throw new OptionError('along', 'powerCurve: along must name a grouping factor or a numeric variable');
  const extendedAlong = (input as ExtendedFit).kind === 'extended' && (input as ExtendedFit).along === along;
  const { x, targets, isFactor } = alongValues(fit, along, extendedAlong);
  const breaks = options.breaks ?? tidySeq(3, targets.length, 10);
  if (!Array.isArray(breaks) || breaks.length === 0 || !breaks.every((b) => Number.isInteger(b) && b >= 1 && b <= targets.length)) {
    throw new OptionError('breaks', `powerCurve: breaks must be whole numbers from 1 to ${targets.length} (the number of values of ${along}), got ${JSON.stringify(breaks)}`);
  }
  const subsets = breaks.map((k) => {
    const keep = new Set(targets.slice(0, k));
    const rows: number[] = [];
    x.forEach((v, i) => { if (keep.has(v)) rows.push(i); });
    if (rows.length <= fit.model.frame.p) throw new ModelError(`powerCurve: the subset of the first ${k} values of ${along} has ${rows.length} rows, too few for the model`);
    return Int32Array.from(rows);
  });
  const o = { nsim, seed, signal: options.signal, onProgress: options.onProgress, t0 };
  const runs = fit instanceof GlmmFit ? await powerRunGlmmSubsets(fit, par.beta, par.theta, test, subsets, o) : await powerRunSubsets(fit, par, test, subsets, o);
  const desc = powerDescription(fit, test, par);
  const points = runs.map((run, s) => ({
    ...desc, ...powerSummary(run.pValues, alpha), ...run, term: test.term, method: test.method, alpha,
    nrow: subsets[s].length, nsim, seed, timeMs: 0, x: isFactor ? breaks[s] : targets[breaks[s] - 1],
  }));
  return {
    text: desc.text, xlab: isFactor ? `number of levels in ${along}` : `largest value of ${along}`, along, term: test.term, method: test.method,
    points, warnings: points.reduce((s, p) => s + p.warnings, 0), errors: points.reduce((s, p) => s + p.errors, 0), nsim, seed, alpha, timeMs: performance.now() - t0,
  };
}
