/**
 * A zero-inflated or hurdle count GLMM's structure (glmmTMB's `glmmTMB(formula, ziformula, family)`):
 *
 *   conditional model:  log μ_i = x_iᵀβ + o_i + z_iᵀb,   b = Λ(θ) u,  u ~ N(0, I)
 *   zero-inflation:     logit p_i = x_zi,iᵀγ              (fixed effects only)
 *   zero-inflated (poisson, nbinom2):    y_i ~ p_i δ₀ + (1 − p_i) f(y_i; μ_i)
 *   hurdle (truncated_poisson, truncated_nbinom2):
 *                       P(y_i = 0) = p_i,  P(y_i = y > 0) = (1 − p_i) f(y; μ_i) / (1 − f(0; μ_i))
 *
 * built from the two formulas and the data: the conditional model frame (lmer's formula syntax,
 * src/frame) and the zero-inflation model's design (a fixed-effects formula, its response the
 * conditional one's) on the same rows: a row missing a variable of either formula is dropped and
 * counted (glmmTMB's na.omit over both). The response must be counts (whole numbers ≥ 0).
 *
 * The parameters the fit optimizes are glmmTMB's, in its order: (β, γ, log φ (nbinom2: the size,
 * Var = μ + μ²/φ), ψ), ψ = log SD of each scalar random-effects term (glmmTMB's theta).
 */
import type * as arrow from 'apache-arrow';
import * as arrowLib from 'apache-arrow';
import { DataError, ModelError, OptionError } from '../errors/errors.js';
import type { Formula } from '../formula/types.js';
import { parseFormula } from '../formula/parse.js';
import { type ModelFrame, type ModelFrameOptions, buildModelFrame } from '../frame/modelFrame.js';
import { type RandomBlock, type ThetaLayout, buildRandomBlocks } from '../model/lambda.js';
import { mixedFormula } from '../model/mixedModel.js';

export const ZI_FAMILIES = ['poisson', 'nbinom2', 'truncated_poisson', 'truncated_nbinom2'] as const;
export type ZiFamily = (typeof ZI_FAMILIES)[number];

export interface ZeroInflatedModelOptions {
  /** the count distribution (default 'poisson'); the truncated ones make a hurdle model */
  family?: ZiFamily;
  /** the zero-inflation (hurdle: zero) model, one-sided with fixed effects only: '~ 1' (default), '~ x', '~ 0' (none) */
  ziformula?: string;
  /** numeric columns to treat as factors */
  factors?: string[];
  /** contrasts of fixed-effects factors (both formulas) */
  contrasts?: ModelFrameOptions['contrasts'];
}

export interface ZeroInflatedModel {
  formula: Formula;
  ziFormula: Formula;
  /** the zi formula as given */
  ziText: string;
  family: ZiFamily;
  /** a hurdle model (a truncated family) */
  hurdle: boolean;
  /** a negative binomial (log φ is a parameter) */
  nb: boolean;
  frame: ModelFrame;
  n: number;
  /** the counts */
  y: Float64Array;
  /** log Γ(y + 1) per row */
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
  /** the frame options both formulas were read with (factors, contrasts) */
  frameOptions: ModelFrameOptions;
  blocks: RandomBlock[];
  theta: ThetaLayout;
  /** the number of parameters: p + pz + (nb ? 1 : 0) + nTheta */
  nPar: number;
  nTheta: number;
  /** notes for the user (dropped rows, dropped columns) */
  messages: string[];
}

/** Reads the family option with a clear error. */
export function ziFamily(family: unknown): ZiFamily {
  if (family === undefined) return 'poisson';
  if (typeof family !== 'string' || !(ZI_FAMILIES as readonly string[]).includes(family)) {
    throw new OptionError('family', `family: '${String(family)}' is not a zero-inflated or hurdle count family; use one of ${ZI_FAMILIES.join(', ')}`);
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

/** formulas + data → the model. */
export function buildZeroInflatedModel(formula: string | Formula, data: arrow.Table, options: ZeroInflatedModelOptions = {}): ZeroInflatedModel {
  const family = ziFamily(options.family);
  const f = mixedFormula(formula);
  const response = f.response;
  if (response.kind !== 'expr' || response.expr.type !== 'var') {
    throw new ModelError(`the response of a zero-inflated count model is one column of counts, not '${response.label}'`);
  }
  const yname = response.expr.name;
  if (!data.getChild(yname)) throw new DataError(`response column '${yname}' not found in the data (columns: ${data.schema.fields.map((x) => x.name).join(', ')})`, { column: yname });
  for (const t of f.random) {
    if (t.structure) throw new ModelError(`covariance structures (${t.structure}(…)) are not available for zero-inflated models here; use (1 | g)`);
  }
  const ziText = (options.ziformula ?? '~ 1').trim();
  if (!ziText.startsWith('~')) throw new OptionError('ziformula', `ziformula: '${ziText}' must be a one-sided formula such as '~ 1' or '~ x'`);
  const ziFormula = parseFormula(`${yname} ${ziText}`);
  if (ziFormula.random.length > 0) {
    throw new ModelError(`ziformula: '${ziText}' has random-effects terms (${ziFormula.random.map((t) => t.text).join(', ')}); glmmTMB allows them, but here the zero-inflation model takes fixed effects only`);
  }
  if (ziFormula.offsets.length > 0) throw new ModelError(`ziformula: offset() terms are not available in the zero-inflation model here`);
  const frameOptions: ModelFrameOptions = {
    ...(options.factors ? { factors: options.factors } : {}),
    ...(options.contrasts ? { contrasts: options.contrasts } : {}),
  };
  const nIn = data.numRows;
  // glmmTMB's na.omit over both formulas: the zi frame's rows, then the conditional frame on those,
  // then the zi design on the conditional frame's rows
  const zi0 = buildModelFrame(ziFormula, data, frameOptions);
  const keep = new Uint8Array(nIn);
  for (const r of keptRows(zi0)) keep[r] = 1;
  const frame = buildModelFrame(f, withResponseMissing(data, yname, keep), frameOptions);
  const rows = keptRows(frame);
  const keep2 = new Uint8Array(nIn);
  for (const r of rows) keep2[r] = 1;
  const ziFrame = buildModelFrame(ziFormula, withResponseMissing(data, yname, keep2), frameOptions);
  if (ziFrame.n !== frame.n) throw new ModelError('internal: the conditional and zero-inflation frames kept different rows');
  const n = frame.n;
  const hurdle = family.startsWith('truncated_');
  const pz = ziFrame.p;
  const y = frame.y;
  const lgy1 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = y[i];
    const row = rows[i] + 1;
    if (!(v >= 0) || !Number.isFinite(v)) throw new DataError(`response '${yname}' is ${v} in row ${row}: counts must be whole numbers ≥ 0`, { column: yname, row });
    if (Math.round(v) !== v) throw new DataError(`response '${yname}' is ${v} in row ${row}: counts must be whole numbers (glmmTMB's ${family} takes counts)`, { column: yname, row });
    if (hurdle && pz === 0 && v === 0) throw new DataError(`response '${yname}' is 0 in row ${row}: a ${family} model without a zero model (ziformula '~ 0') cannot have zeros`, { column: yname, row });
  }
  for (let i = 0; i < n; i++) lgy1[i] = lgammaInt(y[i]);
  for (const t of frame.reTerms) {
    if (t.q !== 1) throw new ModelError(`random-effects term ${t.text} has ${t.q} columns: zero-inflated models here take scalar terms only ((1 | g), (0 + x | g), (1 | g1) + (1 | g2)); glmmTMB's vector terms are not implemented`);
  }
  if (frame.reTerms.length === 0) throw new ModelError(`the formula '${f.text}' has no random-effects terms: a zero-inflated GLMM needs at least one, e.g. (1 | g)`);
  const { blocks, theta } = buildRandomBlocks(frame.reTerms);
  const nb = family === 'nbinom2' || family === 'truncated_nbinom2';
  const nTheta = theta.length;
  const messages = [...frame.messages, ...ziFrame.messages.filter((m) => !frame.messages.includes(m) && !/dropped .*missing/i.test(m)).map((m) => `zero-inflation model: ${m}`)];
  return {
    formula: f, ziFormula, ziText, family, hurdle, nb, frame, n, y, lgy1,
    X: frame.X, p: frame.p, xnames: frame.xnames, offset: frame.offset,
    Xzi: ziFrame.X, pz, zinames: ziFrame.xnames, ziFrame, frameOptions,
    blocks, theta, nPar: frame.p + pz + (nb ? 1 : 0) + nTheta, nTheta, messages,
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
