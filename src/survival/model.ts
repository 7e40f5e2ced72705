/**
 * A mixed-effects Cox model's structure (coxme's model):
 *
 *   λ_i(t) = λ0_s(t) exp(o_i + x_iβ + z_ib),   b = Λ(θ)u,  u ~ N(0, I),  Σ = ΛΛᵀ
 *
 * built from `Surv(time, status) ~ fixed + (1 | g) + strata(s)` and the data: the survival response
 * (survResponse.ts), the model frame of lmer's formula syntax (src/frame: fixed-effects design, the
 * random-effects terms in lme4's order, na.omit with its count) with X's intercept column removed (the
 * baseline hazard λ0 takes its place), the strata, and lme4's θ layout of the terms' templates
 * (src/model/lambda.ts): per term, the lower-triangular q_k × q_k template T_k, Λ = ⊕_k I_{l_k} ⊗ T_k.
 *
 * The frame reads a stand-in response, the input row's index (missing where a Surv column or a stratum
 * is), so that na.omit over the formula's columns and Surv's is one pass and counted once.
 */
import * as arrow from 'apache-arrow';
import { DataError, ModelError } from '../errors/errors.js';
import { parseFormula } from '../formula/parse.js';
import type { Formula } from '../formula/types.js';
import { columnFromArrow } from '../frame/columns.js';
import { type ModelFrame, type ModelFrameOptions, type ReTerm, buildModelFrame } from '../frame/modelFrame.js';
import { type ThetaLayout, buildRandomBlocks } from '../model/lambda.js';
import { type SurvFormula, parseSurvFormula, readSurv } from './survResponse.js';

/** The most coefficients (random effects + fixed effects) of the dense Newton iteration over (u, β). */
export const MAX_COXME_COEFFICIENTS = 4000;

export type CoxTies = 'efron' | 'breslow';

export interface CoxmeModelOptions {
  /** the handling of tied event times (default 'efron', as coxme) */
  ties?: CoxTies;
  /** numeric columns to treat as factors */
  factors?: string[];
  /** contrasts of fixed-effects factors (as lmer's) */
  contrasts?: ModelFrameOptions['contrasts'];
}

export interface CoxmeModel {
  /** the formula as written */
  text: string;
  surv: SurvFormula;
  /** the parsed formula with the stand-in response (fixed and random parts) */
  formula: Formula;
  frame: ModelFrame;
  n: number;
  nInput: number;
  nDropped: number;
  /** per observation: stop (event/censoring) time, start time (counting process) or null, status 0/1 */
  stop: Float64Array;
  start: Float64Array | null;
  status: Uint8Array;
  nevent: number;
  /** per observation: its stratum (0 … nstrata − 1), or null when there are no strata */
  strata: Int32Array | null;
  strataLevels: string[];
  /** the offset o (formula offset() terms), or null */
  offset: Float64Array | null;
  /** X without the intercept, n × p column-major */
  X: Float64Array;
  p: number;
  xnames: string[];
  /** random-effects terms in lme4's order */
  terms: ReTerm[];
  /** q = Σ_k l_k q_k */
  q: number;
  /** each term's first column among the q */
  termOffsets: number[];
  /** lme4's θ layout: per term, its template's lower triangle by columns */
  theta: ThetaLayout;
  /** each term's first θ index */
  thetaOffsets: number[];
  ties: CoxTies;
  messages: string[];
}


/** formula + data → the model. */
export function buildCoxmeModel(formulaText: string, data: arrow.Table, options: CoxmeModelOptions = {}): CoxmeModel {
  const surv = parseSurvFormula(formulaText);
  const sd = readSurv(data, surv);
  const nInput = data.numRows;
  if (nInput === 0) throw new DataError('the data have no rows');
  // strata: the combination of the strata columns' values, as survival's strata()
  let strataKey: string[] | null = null;
  if (surv.strata.length > 0) {
    const cols = surv.strata.map((s) => {
      if (!data.getChild(s)) throw new DataError(`the strata() column '${s}' is not in the data (columns: ${data.schema.fields.map((f) => f.name).join(', ')})`, { column: s });
      return columnFromArrow(data, s, true);
    });
    strataKey = new Array<string>(nInput);
    for (let i = 0; i < nInput; i++) {
      const parts: string[] = [];
      let missing = false;
      for (const [k, c] of cols.entries()) {
        if (c.kind !== 'factor') throw new DataError(`strata(): column '${surv.strata[k]}' could not be read as a factor`, { column: surv.strata[k] });
        if (c.codes[i] < 0) { missing = true; break; }
        parts.push(c.levels[c.codes[i]]);
      }
      strataKey[i] = missing ? '' : parts.join(', ');
    }
  }
  // the stand-in response: the input row's index, missing where a Surv column or stratum is missing
  const rowIndex = new Float64Array(nInput);
  for (let i = 0; i < nInput; i++) {
    const missing = Number.isNaN(sd.stop[i]) || Number.isNaN(sd.status[i]) || (sd.start !== null && Number.isNaN(sd.start[i])) || (strataKey !== null && strataKey[i] === '');
    rowIndex[i] = missing ? NaN : i;
  }
  // the stand-in response's column is named as the Surv() call is written, so that the formula the
  // parser and the frame see (and show in their errors) reads `Surv(time, status)` ~ …
  const ROW_COLUMN = surv.lhs.replace(/`/g, '');
  if (data.getChild(ROW_COLUMN)) throw new DataError(`the data have a column named '${ROW_COLUMN}', which coxme uses internally; rename it`, { column: ROW_COLUMN });
  const table = data.assign(new arrow.Table({ [ROW_COLUMN]: arrow.makeVector(rowIndex) }));
  const text = `\`${ROW_COLUMN}\` ~ ${surv.rhs}`;
  // errors of the parser and the frame name the data's columns, not the stand-in's
  const ownColumns = (e: unknown): never => {
    if (e instanceof Error) e.message = e.message.replaceAll(`, ${ROW_COLUMN})`, ')');
    throw e;
  };
  let formula: Formula;
  try {
    formula = parseFormula(text, { dataColumns: table.schema.fields.map((c) => c.name) });
  } catch (e) { ownColumns(e); throw e; }
  if (formula.random.length === 0) {
    throw new ModelError(`no random-effects terms in '${formulaText}': a mixed-effects Cox model needs at least one term such as (1 | group) (a Cox model without random effects is survival's coxph)`);
  }
  const frameOptions: ModelFrameOptions = {
    ...(options.factors ? { factors: options.factors } : {}),
    ...(options.contrasts ? { contrasts: options.contrasts } : {}),
    observationLevel: true,
  };
  let frame: ModelFrame;
  try {
    frame = buildModelFrame(formula, table, frameOptions);
  } catch (e) { ownColumns(e); throw e; }
  const n = frame.n;
  const rows = Int32Array.from(frame.y);
  if (frame.xnames[0] !== '(Intercept)') {
    throw new ModelError(`a Cox model's formula keeps its intercept (the baseline hazard takes its place and the intercept column is removed): remove '0 +' / '- 1' from '${formulaText}'`);
  }
  const p = frame.p - 1;
  const X = frame.X.slice(n, n * frame.p);
  const xnames = frame.xnames.slice(1);
  const stop = new Float64Array(n);
  const start = sd.start ? new Float64Array(n) : null;
  const status = new Uint8Array(n);
  let nevent = 0;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    stop[i] = sd.stop[r];
    if (start) start[i] = sd.start![r];
    status[i] = sd.status[r];
    nevent += status[i];
  }
  if (nevent === 0) throw new DataError(`the Surv() status '${surv.args[surv.args.length - 1]}' has no events among the ${n} rows used: a Cox model needs events`, { column: surv.args[surv.args.length - 1] });
  let strata: Int32Array | null = null;
  let strataLevels: string[] = [];
  if (strataKey) {
    strataLevels = [...new Set(Array.from(rows, (r) => strataKey![r]))].sort();
    const index = new Map(strataLevels.map((l, k) => [l, k]));
    strata = Int32Array.from(rows, (r) => index.get(strataKey![r])!);
  }
  const terms = frame.reTerms;
  const { theta } = buildRandomBlocks(terms);
  const termOffsets: number[] = [];
  const thetaOffsets: number[] = [];
  let q = 0;
  let t0 = 0;
  for (const t of terms) {
    termOffsets.push(q);
    thetaOffsets.push(t0);
    q += t.levels.length * t.q;
    t0 += (t.q * (t.q + 1)) / 2;
  }
  if (q + p > MAX_COXME_COEFFICIENTS) {
    throw new ModelError(
      `the model has ${q} random effects and ${p} fixed effects: the penalized partial likelihood's Hessian couples all of them through the risk sets, and coxme here solves it densely, for at most ${MAX_COXME_COEFFICIENTS} coefficients in all`,
    );
  }
  const messages = [...frame.messages];
  if (sd.note) messages.push(sd.note);
  return {
    text: formulaText, surv, formula, frame, n, nInput, nDropped: nInput - n, stop, start, status, nevent, strata, strataLevels,
    offset: frame.offset, X, p, xnames, terms, q, termOffsets, theta, thetaOffsets, ties: options.ties ?? 'efron', messages,
  };
}
