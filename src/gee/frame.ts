/**
 * The GEE's data (geeglm's model frame): the response y read as R's glm reads it for the family
 * (src/frame/glmResponse.ts: 0/1, proportions with weights, cbind(successes, failures), counts, positive
 * numbers), the prior weights w, the offset and the fixed-effects design X of an lme4-style formula
 * without random terms (src/frame), on the rows that have every variable, the id, the waves and the
 * weights (na.omit: geeglm itself stops where a covariate is missing, "nrow(zsca) and length(y) not match").
 *
 * Clusters: geepack takes each run of equal ids in consecutive rows as one cluster (geese.fit's
 * `diff(as.numeric(id)) != 0`), so data not sorted by id silently make more, smaller clusters. Here
 * the rows are grouped by id: the clusters in the order of each id's first row, the rows of a cluster
 * in their order in the data — the same clusters as geepack's on data whose rows of an id are
 * contiguous, and the clusters geepack's documentation asks for otherwise (a message says so).
 * Waves: geeglm's `as.factor(waves)` codes 1, 2, … (the sorted distinct values); without waves, 1, …, n_i
 * in each cluster's row order (geese.fit's default).
 */
import type * as arrow from 'apache-arrow';
import { DataError, OptionError } from '../errors/errors.js';
import { parseFormula } from '../formula/parse.js';
import { type ModelFrame, buildModelFrame } from '../frame/modelFrame.js';
import type { GeeFamilyName } from './meanModel.js';
import type { LinkName } from '../glmm/family.js';

export interface GeeFrameOptions {
  family: GeeFamilyName;
  link?: LinkName;
  id: string;
  waves?: string;
  weights?: string | ArrayLike<number>;
  factors?: string[];
}

export interface GeeFrame {
  frame: ModelFrame;
  n: number;
  p: number;
  xnames: string[];
  /** rows in cluster order: the design X (n rows of p), y, prior weights w, offset, wave codes t */
  X: number[][];
  y: Float64Array;
  w: Float64Array;
  offset: Float64Array;
  t: Int32Array;
  /** each cluster's first row (in cluster order) and size */
  start: Int32Array;
  size: Int32Array;
  /** each cluster's id as text */
  ids: string[];
  /** the input row (0-based) of each row in cluster order */
  inputRow: Int32Array;
  /** whether waves were given */
  hasWaves: boolean;
  messages: string[];
}

function cellText(col: arrow.Vector, row: number): string | null {
  const v: unknown = col.get(row);
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  return String(v);
}

/** Stage: formula, data and options → the clusters' rows, ordered by cluster. */
export function geeFrame(formula: string, table: arrow.Table, options: GeeFrameOptions): GeeFrame {
  if (typeof formula !== 'string' || !formula.includes('~')) throw new OptionError('formula', `gee: the formula must be text such as 'y ~ x', got ${JSON.stringify(formula)}`);
  const names = table.schema.fields.map((f) => f.name);
  if (typeof options.id !== 'string' || options.id === '') throw new OptionError('id', "gee: id is required: the column of the cluster (subject) identifiers, e.g. { id: 'subject' }");
  const idCol = table.getChild(options.id);
  if (!idCol) throw new DataError(`gee: the id column '${options.id}' is not in the data (columns: ${names.join(', ')})`, { column: options.id });
  const wavesCol = options.waves !== undefined ? table.getChild(options.waves) : null;
  if (options.waves !== undefined && !wavesCol) throw new DataError(`gee: the waves column '${options.waves}' is not in the data (columns: ${names.join(', ')})`, { column: options.waves });
  const f = parseFormula(formula, { dataColumns: names });
  if (f.random.length) throw new OptionError('formula', `gee: the formula '${formula}' has random-effects terms: a GEE is a marginal model; give the clusters as id (for a mixed model, use glmer)`);
  const naVariables = [options.id, ...(options.waves !== undefined ? [options.waves] : []), ...(typeof options.weights === 'string' ? [options.weights] : [])];
  const frame = buildModelFrame(f, table, { factors: options.factors, naVariables }, { family: options.family, link: options.link, weights: options.weights });
  const { n, p } = frame;
  const rowOf = (i: number) => (frame.rows ? frame.rows[i] : i);
  // group by id: clusters in order of first appearance, rows in data order within each
  const byId = new Map<string, number[]>();
  let contiguous = true;
  let last: string | null = null;
  for (let i = 0; i < n; i++) {
    const key = cellText(idCol, rowOf(i));
    if (key === null) throw new DataError(`gee: the id column '${options.id}' is missing at row ${rowOf(i) + 1}`, { column: options.id, row: rowOf(i) + 1 });
    let rows = byId.get(key);
    if (!rows) { rows = []; byId.set(key, rows); } else if (key !== last) contiguous = false;
    rows.push(i);
    last = key;
  }
  const K = byId.size;
  const start = new Int32Array(K);
  const size = new Int32Array(K);
  const ids = [...byId.keys()];
  const order: number[] = [];
  ids.forEach((k, c) => { start[c] = order.length; size[c] = byId.get(k)!.length; order.push(...byId.get(k)!); });
  const X = order.map((i) => Array.from({ length: p }, (_, j) => frame.X[j * n + i]));
  const y = Float64Array.from(order, (i) => frame.y[i]);
  const w = Float64Array.from(order, (i) => (frame.weights ? frame.weights[i] : 1));
  const offset = Float64Array.from(order, (i) => (frame.offset ? frame.offset[i] : 0));
  const inputRow = Int32Array.from(order, rowOf);
  for (let k = 0; k < n; k++) {
    if (!(w[k] > 0 && Number.isFinite(w[k]))) throw new DataError(`gee: the prior weight of row ${inputRow[k] + 1} is ${w[k]}: weights must be positive and finite`, { row: inputRow[k] + 1 });
  }
  // waves: as.factor codes (sorted distinct values: numbers numerically, else as text)
  const t = new Int32Array(n);
  if (wavesCol) {
    const raw = order.map((i) => wavesCol.get(rowOf(i)) as unknown);
    const numeric = raw.every((v) => typeof v === 'number' || typeof v === 'bigint');
    const keys = raw.map((v) => (numeric ? Number(v) : String(v)));
    const levels = [...new Set(keys)].sort((a, b) => (numeric ? (a as number) - (b as number) : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
    const code = new Map(levels.map((v, k) => [v, k + 1]));
    keys.forEach((v, k) => { t[k] = code.get(v)!; });
  } else {
    for (let c = 0; c < K; c++) for (let j = 0; j < size[c]; j++) t[start[c] + j] = j + 1;
  }
  const messages = [...frame.messages];
  if (!contiguous) messages.push(`the rows of an id are not contiguous in the data: they are grouped by '${options.id}' (${K} clusters; geepack would take each run of equal ids as a cluster — sort the data by id to fit the same model there)`);
  return { frame, n, p, xnames: frame.xnames, X, y, w, offset, t, start, size, ids, inputRow, hasWaves: !!wavesCol, messages };
}
