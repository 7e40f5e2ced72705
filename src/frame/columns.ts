/**
 * Columns of the model frame: numeric vectors and factors, read from an Arrow table and evaluated
 * from formula expressions.
 */
import * as arrow from 'apache-arrow';
import type { BasisArgs, CompareOp, Expr, ScaleArgs } from '../formula/types.js';
import { FACTOR_FUNCTIONS, FORMULA_FUNCTIONS, NUM_FACTOR, REDUCTIONS, RELEVEL, formulaFunctionNames } from '../formula/functions.js';
import { fround, ifelse, logBase, pminmax, rSign, rTrunc } from './rowFunctions.js';
import { type ReductionName, reduceColumn } from './reductions.js';
import { exprVariables } from './covariates.js';
import { cutColumn, interactionColumn } from './factorBuilders.js';
import { deparseString } from '../formula/parse.js';
import { type PolyCoefs, polyFit, polyPredict, polyRaw } from './basis/poly.js';
import { type SplineCoefs, bsBasis, nsBasis, splineKnots } from './basis/splines.js';
import { DataError, FormulaError } from '../errors/errors.js';
import { LEVEL_ORDER_KEY, STRAY_TEXT_KEY, compareLocale, describeExamples, type StrayTextNote } from '../io/csv.js';
import { FRAME_CHUNK, rowFloat64, rowInt32, rowJobs, rowShare } from '../linalg/rowChunks.js';
import { onSharedMemory, registerRowKernel, rowThreadsWanted, sharedFloat64, sharedInt32 } from '../linalg/rowThreads.js';
import { constantColumn } from './rowPasses.js';
import { checkModelMatrixSize } from './checks.js';

export interface NumericColumn {
  kind: 'numeric';
  /** NaN marks a missing value */
  values: Float64Array;
}

export interface FactorColumn {
  kind: 'factor';
  /** level index per row; -1 marks a missing value */
  codes: Int32Array;
  levels: string[];
  /**
   * R's logical vector (a comparison, `I(x > 2)`): levels FALSE, TRUE (codes 0, 1) always, both kept
   * when the rows use one only — model.matrix codes a logical as factor(x, levels = c(FALSE, TRUE))
   */
  logical?: true;
}

/**
 * A matrix-valued variable (R's poly(x, 2), ns(x, df = 3), bs(x)): one term, several model-matrix
 * columns, named label + colname as R's model.matrix names them (`poly(x, 2)1`, `poly(x, 2)2`).
 */
export interface MatrixColumn {
  kind: 'matrix';
  /** the columns, each one value per row (NaN: missing) */
  columns: Float64Array[];
  /** R's colnames of the matrix: '1', '2', … */
  colnames: string[];
}

export type Column = NumericColumn | FactorColumn | MatrixColumn;

/** A column as the data hold it (a matrix column is only ever computed from one). */
export type DataColumn = NumericColumn | FactorColumn;

/**
 * How character levels are sorted: 'locale' as R's `factor()` in an English UTF-8 locale (en-US
 * collation, readCsv's default), 'C' by code point as R in the C locale (a column readCsv read with
 * `levelOrder: 'C'`, marked by LEVEL_ORDER_KEY).
 */
export type LevelOrder = 'locale' | 'C';

function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** R's `as.character` for a double: integers without a decimal point, else 15 significant digits. */
export function formatNumberLevel(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  return String(Number(v.toPrecision(15)));
}

/**
 * Reads one Arrow column as a model-frame column. Dictionary, Utf8 and Bool columns become factors.
 * `asFactor`: the caller reads it as a factor (listed in `factors`), so numbers with stray text are fine.
 * The buffers are read directly, chunk by chunk (typed-array loops, no per-row objects): a dictionary
 * column's strings are read once per dictionary entry, not once per row.
 */
export function columnFromArrow(table: arrow.Table, name: string, asFactor = false): DataColumn {
  const vec = table.getChild(name);
  if (!vec) {
    const names = table.schema.fields.map((f) => f.name);
    throw new DataError(`column '${name}' not found in the data (columns: ${names.join(', ')})`, { column: name });
  }
  if (!asFactor) checkStrayText(table, name);
  const n = vec.length;
  const type = vec.type;
  const order: LevelOrder = table.schema.fields.find((f) => f.name === name)?.metadata.get(LEVEL_ORDER_KEY) === 'C' ? 'C' : 'locale';
  if (arrow.DataType.isDictionary(type)) return logicalIfBoolean(dictionaryFactor(vec.data, order));
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type)) return logicalIfBoolean(factorFromStrings(utf8Strings(vec.data, n), order));
  if (arrow.DataType.isBool(type)) {
    const codes = rowInt32(n);
    let o = 0;
    for (const d of vec.data) {
      const bits = d.values as Uint8Array;
      for (let i = 0; i < d.length; i++) {
        const pos = d.offset + i;
        codes[o + i] = !isValid(d, i) ? -1 : (bits[pos >> 3] >> (pos & 7)) & 1;
      }
      o += d.length;
    }
    // R's logical: model.matrix codes it as factor(x, levels = c(FALSE, TRUE)), both levels kept when the
    // rows used hold one only (a grouping factor keeps its sampled levels: modelFrame.ts asFactor)
    return { kind: 'factor', codes, levels: ['FALSE', 'TRUE'], logical: true };
  }
  if (arrow.DataType.isInt(type) || arrow.DataType.isFloat(type) || arrow.DataType.isDecimal(type)) {
    // on shared memory; with threads, its pages first touched by them (zeros written as a row job): the
    // copy from Arrow's buffers below, which they cannot read, then runs on memory already mapped
    const values = rowThreadsWanted() > 1 ? constantColumn(n, 0) : rowFloat64(n);
    const direct = !arrow.DataType.isDecimal(type) && !(arrow.DataType.isFloat(type) && (type as arrow.Float).precision === arrow.Precision.HALF);
    if (!direct) {
      let i = 0;
      for (const v of vec) values[i++] = v == null ? NaN : Number(v);
      return { kind: 'numeric', values };
    }
    let o = 0;
    for (const d of vec.data) {
      // the values start at the chunk's first row (Arrow slices them with the chunk); 64-bit integers are BigInts
      const src = d.values as ArrayLike<number | bigint>;
      if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
        for (let i = 0; i < d.length; i++) values[o + i] = Number(src[i]);
      } else {
        values.set((src as Float64Array).subarray(0, d.length), o);
      }
      if (d.nullCount > 0) for (let i = 0; i < d.length; i++) if (!isValid(d, i)) values[o + i] = NaN;
      o += d.length;
    }
    return { kind: 'numeric', values };
  }
  throw new DataError(`column '${name}' has Arrow type ${String(type)}, which is neither numeric, string, dictionary nor boolean`);
}

/**
 * A column the CSV reader found to be numbers with a few text values (its field carries
 * STRAY_TEXT_KEY) is an error when a model uses it: R would quietly make it a factor of hundreds of
 * number levels, which fits as nonsense or ends in a puzzling numerical error.
 */
function checkStrayText(table: arrow.Table, name: string): void {
  const note = table.schema.fields.find((f) => f.name === name)?.metadata.get(STRAY_TEXT_KEY);
  if (note === undefined) return;
  const n = JSON.parse(note) as StrayTextNote;
  throw new DataError(
    `column '${name}' holds numbers except for ${n.textRows} of its ${n.valueRows} values that are not numbers (${describeExamples(n)}). ` +
      `Fix those values; or read them as missing (readCsv option strayText: 'missing', CLI --stray-text missing); ` +
      `or, if '${name}' is a factor whose levels are mostly numbers, list it in factors`,
    { column: name, row: n.examples[0]?.row },
  );
}

/** Whether a chunk has missing values (else every row is present). */
/**
 * A column of the strings TRUE and FALSE only (R's read.csv reads them as a logical; the library's boolean
 * input is written so, src/io/dataInput.ts) is R's logical: levels FALSE, TRUE always (`logical`).
 */
function logicalIfBoolean(col: FactorColumn): FactorColumn {
  if (col.levels.length === 0 || !col.levels.every((l) => l === 'FALSE' || l === 'TRUE')) return col;
  if (col.levels.length === 2 && col.levels[0] === 'FALSE') return { ...col, logical: true };
  const to = col.levels.map((l) => (l === 'FALSE' ? 0 : 1));
  const codes = rowInt32(col.codes.length);
  for (let i = 0; i < codes.length; i++) codes[i] = col.codes[i] < 0 ? -1 : to[col.codes[i]];
  return { kind: 'factor', codes, levels: ['FALSE', 'TRUE'], logical: true };
}

function hasNulls(d: arrow.Data): boolean {
  return !(d.nullCount === 0 || !d.nullBitmap || d.nullBitmap.length === 0);
}

/** Whether row i of a chunk is present (its validity bit; the bitmap counts from the chunk's offset). */
function isValid(d: arrow.Data, i: number): boolean {
  if (d.nullCount === 0 || !d.nullBitmap || d.nullBitmap.length === 0) return true;
  const pos = d.offset + i;
  return ((d.nullBitmap[pos >> 3] >> (pos & 7)) & 1) === 1;
}

/** The strings of Utf8 / LargeUtf8 chunks, decoded from their buffers (null for a missing value). */
function utf8Strings(chunks: readonly arrow.Data[], n: number): (string | null)[] {
  const out: (string | null)[] = new Array(n);
  const dec = new TextDecoder();
  let o = 0;
  for (const d of chunks) {
    const offsets = d.valueOffsets as ArrayLike<number | bigint>;
    const bytes = d.values as Uint8Array;
    for (let i = 0; i < d.length; i++) {
      out[o + i] = isValid(d, i) ? dec.decode(bytes.subarray(Number(offsets[i]), Number(offsets[i + 1]))) : null;
    }
    o += d.length;
  }
  return out;
}

/**
 * A dictionary column as a factor: each chunk's dictionary entries read once as strings (String(v),
 * as the rows would read), then the rows' indices mapped through them; the levels are the strings
 * the rows use, sorted as factorFromStrings sorts them. Two typed-array passes over the rows: which
 * entries they use, then each row's code through its entry's sorted level (the sort's remap is
 * applied to the entries, not to the rows); row jobs where the indices are many (sharedIndices).
 */
function dictionaryFactor(chunks: readonly arrow.Data[], order: LevelOrder): FactorColumn {
  let n = 0;
  for (const d of chunks) n += d.length;
  const index = new Map<string, number>();
  // per chunk: its dictionary entries' first-seen level (-1: a null entry, -2: not used)
  const entries: Int32Array[] = [];
  // per chunk: its row indices on shared memory (sharedIndices), or null
  const sharedIx: (Int32Array | null)[] = [];
  for (const d of chunks) {
    const dict = d.dictionary;
    if (!dict) throw new Error('a dictionary column without its dictionary');
    const idx = d.values as ArrayLike<number | bigint>;
    // the entries the rows use, then their strings in dictionary order
    const shared = sharedIndices(d);
    sharedIx.push(shared);
    const entry = (shared ? sharedInt32(dict.length) : new Int32Array(dict.length)).fill(-2);
    if (shared) {
      dictionaryJob(DICT_USED, shared, entry, new Int32Array(0), 0);
    } else if (idx instanceof BigInt64Array || idx instanceof BigUint64Array) {
      for (let i = 0; i < d.length; i++) if (isValid(d, i)) entry[Number(idx[i])] = 0;
    } else if (!hasNulls(d)) {
      const ix = idx as ArrayLike<number>;
      for (let i = 0; i < d.length; i++) entry[ix[i]] = 0;
    } else {
      const ix = idx as ArrayLike<number>;
      for (let i = 0; i < d.length; i++) if (isValid(d, i)) entry[ix[i]] = 0;
    }
    // a string dictionary's entries decoded from its buffers (Arrow's per-entry get is far slower)
    const strings = arrow.DataType.isUtf8(dict.type) || arrow.DataType.isLargeUtf8(dict.type) ? utf8Strings(dict.data, dict.length) : null;
    for (let j = 0; j < entry.length; j++) {
      if (entry[j] !== 0) continue;
      const v = strings ? strings[j] : dict.get(j);
      if (v == null) { entry[j] = -1; continue; }
      const s = String(v);
      let k = index.get(s);
      if (k === undefined) { k = index.size; index.set(s, k); }
      entry[j] = k;
    }
    entries.push(entry);
  }
  const { remap, levels } = levelOrder([...index.keys()], order);
  const codes = rowInt32(n);
  let o = 0;
  chunks.forEach((d, c) => {
    // each entry's level in R's order (-1 for a null entry)
    const entry = entries[c];
    for (let j = 0; j < entry.length; j++) entry[j] = entry[j] < 0 ? -1 : remap[entry[j]];
    const idx = d.values as ArrayLike<number | bigint>;
    const shared = sharedIx[c];
    if (shared) {
      dictionaryJob(DICT_CODES, shared, entry, codes, o);
    } else if (idx instanceof BigInt64Array || idx instanceof BigUint64Array) {
      for (let i = 0; i < d.length; i++) codes[o + i] = isValid(d, i) ? entry[Number(idx[i])] : -1;
    } else if (!hasNulls(d)) {
      const ix = idx as ArrayLike<number>;
      for (let i = 0; i < d.length; i++) codes[o + i] = entry[ix[i]];
    } else {
      const ix = idx as ArrayLike<number>;
      for (let i = 0; i < d.length; i++) codes[o + i] = isValid(d, i) ? entry[ix[i]] : -1;
    }
    o += d.length;
  });
  return { kind: 'factor', codes, levels };
}

/**
 * Chunk c of a dictionary chunk's rows (dParams = [rows, rows per chunk, offset, pass]): pass 0
 * marks the entries the rows use, entry[ix[i]] = 0 (every thread writes the same 0); pass 1 writes
 * each row's code, codes[offset + i] = entry[ix[i]].
 */
export function dictionaryChunk(A: Record<string, Float64Array | Int32Array>, c: number): void {
  const P = A.dParams as Float64Array;
  const i0 = c * P[1], i1 = Math.min(P[0], i0 + P[1]), o = P[2];
  const ix = A.ix as Int32Array, entry = A.entry as Int32Array, codes = A.codes as Int32Array;
  if (P[3] === 0) for (let i = i0; i < i1; i++) entry[ix[i]] = 0;
  else for (let i = i0; i < i1; i++) codes[o + i] = entry[ix[i]];
}

const DICTIONARY = registerRowKernel('dictionary', dictionaryChunk);
const DICT_USED = 0;
const DICT_CODES = 1;

/**
 * A dictionary chunk's row indices copied to shared memory, for its two passes as row jobs (src/linalg/rowChunks.ts),
 * where threads are wanted and the rows are many, all present, and their indices Int32; else null (the
 * same codes from the loops over Arrow's buffer).
 */
function sharedIndices(d: arrow.Data): Int32Array | null {
  const idx = d.values as unknown;
  if (!(idx instanceof Int32Array) || hasNulls(d) || rowThreadsWanted() < 2) return null;
  const ix = rowShare(idx.subarray(0, d.length));
  return onSharedMemory(ix) ? ix : null;
}

/** One of dictionaryChunk's passes over the rows of a chunk with indices `ix`. */
function dictionaryJob(pass: number, ix: Int32Array, entry: Int32Array, codes: Int32Array, offset: number): void {
  const dParams = sharedFloat64(4);
  dParams.set([ix.length, FRAME_CHUNK, offset, pass]);
  const arrays = { ix, entry, codes: pass === DICT_CODES ? codes : sharedInt32(0), dParams };
  rowJobs(arrays, arrays).run(DICTIONARY, Math.ceil(ix.length / FRAME_CHUNK));
}

/** A factor from per-row strings, levels in R's sort order (`order`); numeric-looking levels sort numerically. */
export function factorFromStrings(raw: (string | null)[], order: LevelOrder = 'locale'): FactorColumn {
  const index = new Map<string, number>();
  const firstCodes = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const s = raw[i];
    if (s == null) { firstCodes[i] = -1; continue; }
    let c = index.get(s);
    if (c === undefined) { c = index.size; index.set(s, c); }
    firstCodes[i] = c;
  }
  return sortLevels(firstCodes, [...index.keys()], order);
}

/** Codes into `unique` (first-seen order, -1 missing) → a factor with the levels in R's sort order. */
function sortLevels(firstCodes: Int32Array, unique: string[], order: LevelOrder): FactorColumn {
  const { remap, levels } = levelOrder(unique, order);
  const codes = rowInt32(firstCodes.length);
  for (let i = 0; i < firstCodes.length; i++) codes[i] = firstCodes[i] < 0 ? -1 : remap[firstCodes[i]];
  return { kind: 'factor', codes, levels };
}

/** R's sort order of the levels `unique` (first-seen order): each one's rank, and the levels sorted; numeric-looking levels sort numerically. */
function levelOrder(unique: string[], sortOrder: LevelOrder): { remap: Int32Array; levels: string[] } {
  const compare = sortOrder === 'C' ? compareCodePoints : compareLocale;
  const allNumeric = unique.every((s) => s.trim() !== '' && Number.isFinite(Number(s)));
  const order = unique.map((_, k) => k);
  // already in order (a dictionary written in R's order): the sort, being stable, would keep it
  let inOrder = true;
  if (allNumeric) {
    for (let k = 1; k < unique.length && inOrder; k++) inOrder = Number(unique[k - 1]) <= Number(unique[k]);
  } else {
    for (let k = 1; k < unique.length && inOrder; k++) inOrder = compare(unique[k - 1], unique[k]) <= 0;
  }
  if (inOrder) {
    // nothing to sort
  } else if (allNumeric) {
    const num = unique.map(Number);
    order.sort((a, b) => num[a] - num[b]);
  } else {
    order.sort((a, b) => compare(unique[a], unique[b]));
  }
  const remap = new Int32Array(unique.length);
  order.forEach((k, r) => { remap[k] = r; });
  return { remap, levels: order.map((k) => unique[k]) };
}

/** A numeric column as a factor (R's `factor(x)` on numbers: levels sorted numerically). */
export function numericToFactor(col: NumericColumn): FactorColumn {
  const v = col.values;
  const n = v.length;
  const codes = rowInt32(n);
  // small non-negative integers (ids): a direct table, no hashing per row
  let maxInt = -1;
  let ints = true;
  for (let i = 0; i < n && ints; i++) {
    const x = v[i];
    if (Number.isNaN(x)) continue;
    if (Number.isInteger(x) && x >= 0 && x <= DIRECT_TABLE_MAX && !Object.is(x, -0)) { if (x > maxInt) maxInt = x; } else ints = false;
  }
  if (ints && maxInt <= Math.max(4 * n, 1 << 16)) {
    const table = new Int32Array(maxInt + 1).fill(-1);
    for (let i = 0; i < n; i++) if (!Number.isNaN(v[i])) table[v[i]] = 0;
    const levels: string[] = [];
    for (let x = 0; x <= maxInt; x++) if (table[x] === 0) { table[x] = levels.length; levels.push(formatNumberLevel(x)); }
    for (let i = 0; i < n; i++) codes[i] = Number.isNaN(v[i]) ? -1 : table[v[i]];
    return { kind: 'factor', codes, levels };
  }
  const uniq = new Set<number>();
  for (let i = 0; i < n; i++) if (!Number.isNaN(v[i])) uniq.add(v[i]);
  const sorted = [...uniq].sort((a, b) => a - b);
  // values with the same label (15 significant digits: 0.1 + 0.2 and 0.3) are one level, as R's
  // factor() makes them (its levels are the distinct as.character strings); in sorted order they
  // are neighbours
  const pos = new Map<number, number>();
  const levels: string[] = [];
  for (const x of sorted) {
    const label = formatNumberLevel(x);
    if (levels[levels.length - 1] !== label) levels.push(label);
    pos.set(x, levels.length - 1);
  }
  for (let i = 0; i < n; i++) codes[i] = Number.isNaN(v[i]) ? -1 : pos.get(v[i])!;
  return { kind: 'factor', codes, levels };
}

/** Largest integer value (and key) indexed by a direct lookup table rather than a hash map. */
const DIRECT_TABLE_MAX = 1 << 26;

/** Chunk c: used[k] = 1 for each level k a row of the chunk has (every thread writes the same 1). uParams = [n, rows per chunk]. */
export function levelsUsedChunk(A: Record<string, Float64Array | Int32Array>, c: number): void {
  const P = A.uParams as Float64Array;
  const i0 = c * P[1], i1 = Math.min(P[0], i0 + P[1]);
  const codes = A.codes as Int32Array, used = A.used as Int32Array;
  for (let i = i0; i < i1; i++) {
    const k = codes[i];
    if (k >= 0) used[k] = 1;
  }
}

const LEVELS_USED = registerRowKernel('levelsUsed', levelsUsedChunk);

/** Keeps the rows in `keep` and drops levels no longer used (R's drop.unused.levels = TRUE). */
export function subsetColumn(col: Column, keep: Int32Array | null): Column {
  if (col.kind === 'matrix') {
    if (!keep) return col;
    return { kind: 'matrix', colnames: col.colnames, columns: col.columns.map((c) => Float64Array.from(keep, (i) => c[i])) };
  }
  if (col.kind === 'numeric') {
    if (!keep) return col;
    const out = rowFloat64(keep.length);
    for (let i = 0; i < keep.length; i++) out[i] = col.values[keep[i]];
    return { kind: 'numeric', values: out };
  }
  if (col.logical) {
    // a logical keeps both levels FALSE, TRUE (R's model.matrix: factor(x, levels = c(FALSE, TRUE)))
    if (!keep) return col;
    const codes = rowInt32(keep.length);
    for (let i = 0; i < keep.length; i++) codes[i] = col.codes[keep[i]];
    return { kind: 'factor', codes, levels: col.levels, logical: true };
  }
  const n = keep ? keep.length : col.codes.length;
  const used = new Uint8Array(col.levels.length);
  if (!keep) {
    // every row kept: the column itself where it uses all its levels (codes are never written to);
    // the levels used marked by a row job
    const chunks = Math.max(1, Math.ceil(n / FRAME_CHUNK));
    const arrays = { codes: col.codes, used: sharedInt32(col.levels.length), uParams: sharedFloat64(2) };
    arrays.uParams.set([n, FRAME_CHUNK]);
    rowJobs(arrays, arrays).run(LEVELS_USED, chunks);
    if (arrays.used.every((u) => u === 1)) return col;
  }
  const codes = rowInt32(n);
  for (let i = 0; i < n; i++) {
    const c = col.codes[keep ? keep[i] : i];
    codes[i] = c;
    if (c >= 0) used[c] = 1;
  }
  if (used.every((u) => u === 1)) return { kind: 'factor', codes, levels: col.levels };
  const remap = new Int32Array(col.levels.length).fill(-1);
  const levels: string[] = [];
  col.levels.forEach((l, k) => { if (used[k]) { remap[k] = levels.length; levels.push(l); } });
  for (let i = 0; i < n; i++) if (codes[i] >= 0) codes[i] = remap[codes[i]];
  return { kind: 'factor', codes, levels };
}

/**
 * The interaction of factors (R's `f1:f2` on factors): levels `a:b` with the first factor varying
 * slowest; only combinations present in the data are kept.
 */
export function interactFactors(cols: FactorColumn[]): FactorColumn {
  if (cols.length === 1) return cols[0];
  const n = cols[0].codes.length;
  // mixed-radix key, first factor most significant, so numeric order = R's level order
  const keys = new Float64Array(n);
  let space = 1;
  for (const c of cols) space *= c.levels.length;
  for (let i = 0; i < n; i++) {
    let key = 0;
    let missing = false;
    for (const c of cols) {
      const code = c.codes[i];
      if (code < 0) { missing = true; break; }
      key = key * c.levels.length + code;
    }
    keys[i] = missing ? -1 : key;
  }
  const codes = rowInt32(n);
  let uniq: number[];
  if (space <= Math.max(4 * n, 1 << 16) && space <= DIRECT_TABLE_MAX) {
    // a direct table over the key space: the keys in use, numbered in increasing order
    const table = new Int32Array(space).fill(-1);
    for (let i = 0; i < n; i++) if (keys[i] >= 0) table[keys[i]] = 0;
    uniq = [];
    for (let k = 0; k < space; k++) if (table[k] === 0) { table[k] = uniq.length; uniq.push(k); }
    for (let i = 0; i < n; i++) codes[i] = keys[i] < 0 ? -1 : table[keys[i]];
  } else {
    uniq = [...new Set(keys)].filter((k) => k >= 0).sort((a, b) => a - b);
    const pos = new Map<number, number>();
    uniq.forEach((k, j) => pos.set(k, j));
    for (let i = 0; i < n; i++) codes[i] = keys[i] < 0 ? -1 : pos.get(keys[i])!;
  }
  const levels = uniq.map((key) => {
    const parts: string[] = new Array(cols.length);
    for (let f = cols.length - 1; f >= 0; f--) {
      const L = cols[f].levels.length;
      parts[f] = cols[f].levels[key % L];
      key = Math.floor(key / L);
    }
    return parts.join(':');
  });
  return { kind: 'factor', codes, levels };
}

/** Where a formula expression's variables come from. */
export type ColumnSource = (name: string) => DataColumn;

/** The centre and scale of a `scale(x)`. */
export interface ScaleCenter {
  center: number;
  scale: number;
}

/** What a matrix-valued call keeps of the data (R's makepredictcall): poly's coefs (raw: none), ns/bs's knots. */
export type BasisCoefs = { fn: 'poly'; coefs: PolyCoefs | null } | { fn: 'ns' | 'bs'; coefs: SplineCoefs };

/**
 * What a relevel() or a comparison with a level keeps of the data: `relevel(f, ref)`'s levels in
 * their new order (new data are coded by them: a level the new rows lack need not be there); a
 * comparison `f == "F"` only that the level was checked against the data's (new rows may lack it).
 */
export type LevelParams = { fn: 'relevel'; levels: string[] } | { fn: 'compare' };

/**
 * What each data-dependent call of a formula keeps of the data, keyed by the call (scaleKey): the
 * centre and scale of a `scale(x)`, the coefficients or knots of a `poly()`, `ns()`, `bs()`.
 * Computed on the data when a model frame is built, and reused for new data (R's `makepredictcall`).
 */
export type ScaleParams = Map<string, ScaleCenter | BasisCoefs | LevelParams | SummaryValue>;

/**
 * The value of a whole-column summary (`mean(x)`, src/frame/reductions.ts) computed over every row by
 * an engine's pre-pass (src/gram/summaryPass.ts), for its passes that evaluate the rows a batch at a
 * time. Memory never records one (R's predict re-evaluates the summaries on new data), and an
 * engine's fit leaves them out of what it keeps for new data (src/gram/fit.ts).
 */
export interface SummaryValue {
  fn: 'summary';
  value: number;
}

/** The centre and scale of a `scale()` call in `scales`, if computed. */
export function scaleCenterOf(scales: ScaleParams | undefined, key: string): ScaleCenter | undefined {
  const p = scales?.get(key);
  return p && 'center' in p ? p : undefined;
}

/** The key of a `scale(…)` call in ScaleParams. */
export function scaleKey(expr: Expr): string {
  return JSON.stringify(expr);
}

/**
 * Evaluates a formula expression. A bare variable keeps its kind (a factor stays a factor);
 * arithmetic and calls need numeric arguments. `scale(x)` is (x − mean)/sd as R's scale(): over
 * all rows of the data where x is not missing (R evaluates it before na.omit), unless `scales`
 * already holds its centre and scale (new data); what it computes is recorded in `scales`.
 */
export function evalExpr(expr: Expr, source: ColumnSource, label: string, n: number, scales?: ScaleParams): Column {
  if (expr.type === 'var') return source(expr.name);
  if (expr.type === 'call' && FACTOR_FUNCTIONS.has(expr.fn) && expr.args.length === 1) {
    // factor(x): a factor stays itself; numbers become levels sorted numerically (R's factor())
    const arg = expr.args[0];
    const c = arg.type === 'var' ? source(arg.name) : { kind: 'numeric' as const, values: asVector(evalNumeric(arg, source, label, scales), n) };
    return c.kind === 'factor' ? c : numericToFactor(c);
  }
  if (expr.type === 'call' && expr.fn === NUM_FACTOR) return numFactorColumn(expr.args, source, label, n, scales);
  if (expr.type === 'call' && expr.fn === 'cut' && expr.cut) {
    // R evaluates cut() in model.frame over every row (before na.omit): the breaks from the whole column
    const a = expr.args[0];
    if (a.type === 'var' && source(a.name).kind === 'factor') throw new DataError(`'${label}': '${a.name}' is a factor; cut() needs a numeric variable`, { column: a.name });
    try {
      return cutColumn(asVector(evalNumeric(a, source, label, scales), n), expr.cut, `'${label}'`);
    } catch (e) {
      if (e instanceof DataError || e instanceof FormulaError) throw e;
      throw new DataError((e as Error).message);
    }
  }
  if (expr.type === 'call' && (expr.fn === 'interaction' || expr.fn === 'C')) {
    // R's interaction() reads each argument as a factor (as.factor); C() takes a factor
    const cols = expr.args.map((a) => {
      const c = evalExpr(a, source, label, n, scales);
      if (c.kind === 'factor') return c;
      const name = a.type === 'var' ? a.name : label;
      if (expr.fn === 'C' || c.kind !== 'numeric') throw new DataError(`'${label}': '${name}' is ${c.kind === 'numeric' ? 'numeric' : 'a matrix'}; ${expr.fn}() takes a factor: write ${expr.fn}(factor(${name}), …), or list '${name}' in factors`, { column: name });
      return numericToFactor(c);
    });
    return expr.fn === 'C' ? cols[0] : interactionColumn(cols, expr.sep ?? '.');
  }
  if (expr.type === 'call' && expr.fn === RELEVEL) return relevelColumn(expr, source, label, n, scales);
  if (expr.type === 'call' && expr.basis) return basisColumn(expr, source, label, n, scales);
  if (isLogicalExpr(expr)) {
    // R's logical vector (TRUE, FALSE, NA): a factor FALSE, TRUE for model.matrix (codes 0, 1; NA -1)
    const v = asVector(evalNumeric(expr, source, label, scales), n);
    const codes = rowInt32(n);
    for (let i = 0; i < n; i++) codes[i] = Number.isNaN(v[i]) ? -1 : v[i];
    return { kind: 'factor', codes, levels: ['FALSE', 'TRUE'], logical: true };
  }
  return { kind: 'numeric', values: asVector(evalNumeric(expr, source, label, scales), n) };
}

/** Whether an expression is logical-valued in R: a comparison, `&`, `!`, or I() of one (`I(x > 2)`). */
export function isLogicalExpr(expr: Expr): boolean {
  if (expr.type === 'compare' || expr.type === 'and' || expr.type === 'not') return true;
  return expr.type === 'call' && expr.fn === 'I' && expr.args.length === 1 && isLogicalExpr(expr.args[0]);
}

/**
 * R's `relevel(x, ref)`: the factor x with its level ref moved first, the others in their order
 * (relevel.factor: levels c(ref, levels without ref)). ref by name or by position; on new data
 * (`scales` holds the fitted levels) the rows are coded by the fitted levels' order, ref need not
 * be among the new rows; a level the fit did not have is left to the caller (predict names it).
 */
function relevelColumn(expr: Extract<Expr, { type: 'call' }>, source: ColumnSource, label: string, n: number, scales?: ScaleParams): FactorColumn {
  const arg = expr.args[0];
  const x = evalExpr(arg, source, label, n, scales);
  if (x.kind !== 'factor') {
    const name = arg.type === 'var' ? arg.name : label;
    throw new DataError(`'${label}': '${name}' is ${x.kind === 'numeric' ? 'numeric' : 'a matrix'}; relevel takes a factor (R: 'relevel' only for (unordered) factors): write relevel(factor(${name}), …), or list '${name}' in factors`, { column: name });
  }
  const key = scaleKey(expr);
  const kept = scales?.get(key);
  let levels: string[];
  if (kept && 'fn' in kept && kept.fn === 'relevel') {
    levels = [...kept.levels, ...x.levels.filter((l) => !kept.levels.includes(l))];
  } else {
    const ref = expr.ref;
    if (!ref) throw new FormulaError(`'${label}': relevel needs its reference level`, label, 0);
    let k: number;
    if ('level' in ref) {
      k = x.levels.indexOf(ref.level);
      if (k < 0) {
        const shown = x.levels.slice(0, 20).map((l) => deparseString(l)).join(', ') + (x.levels.length > 20 ? ', …' : '');
        throw new DataError(`'${label}': the reference level ${deparseString(ref.level)} is not a level of '${arg.type === 'var' ? arg.name : label}' (its levels: ${shown}) (R: 'ref' must be an existing level)`, { column: arg.type === 'var' ? arg.name : undefined });
      }
    } else {
      k = ref.index - 1;
      if (k >= x.levels.length) throw new DataError(`'${label}': ref = ${ref.index} is past the ${x.levels.length} levels of '${arg.type === 'var' ? arg.name : label}' (R: ref = ${ref.index} must be in 1L:${x.levels.length})`);
    }
    levels = [x.levels[k], ...x.levels.filter((_, j) => j !== k)];
    scales?.set(key, { fn: 'relevel', levels });
  }
  // each old level's place in the new order
  const to = new Int32Array(x.levels.length);
  const pos = new Map(levels.map((l, j) => [l, j] as const));
  x.levels.forEach((l, j) => { to[j] = pos.get(l)!; });
  const codes = rowInt32(n);
  for (let i = 0; i < n; i++) codes[i] = x.codes[i] < 0 ? -1 : to[x.codes[i]];
  return { kind: 'factor', codes, levels };
}

/**
 * One side of a comparison: a string, a factor column (compared by its levels' labels, as R's
 * Ops.factor), or numbers (a number, a numeric expression, a logical one as 0/1).
 */
type CompareSide = { kind: 'str'; value: string } | { kind: 'factor'; col: FactorColumn; name: string } | { kind: 'numeric'; v: Float64Array | number };

function compareSide(e: Expr, source: ColumnSource, label: string, scales?: ScaleParams): CompareSide {
  if (e.type === 'str') return { kind: 'str', value: e.value };
  if (e.type === 'var') {
    const c = source(e.name);
    if (c.kind === 'factor') return { kind: 'factor', col: c, name: e.name };
  }
  if (e.type === 'call' && (FACTOR_FUNCTIONS.has(e.fn) || e.fn === RELEVEL)) {
    throw new FormulaError(`'${label}': compare the column itself with a level (${e.args[0]?.type === 'var' ? e.args[0].name : 'f'} == "level"), not ${e.fn}()`, label, 0);
  }
  return { kind: 'numeric', v: evalNumeric(e, source, label, scales) };
}

/** R's comparison `op` of two numbers (NaN: NA, either missing). */
const COMPARE: Readonly<Record<CompareOp, (x: number, y: number) => number>> = {
  '==': (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : x === y ? 1 : 0),
  '!=': (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : x !== y ? 1 : 0),
  '<': (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : x < y ? 1 : 0),
  '>': (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : x > y ? 1 : 0),
  '<=': (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : x <= y ? 1 : 0),
  '>=': (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : x >= y ? 1 : 0),
};

/**
 * A comparison, R's logical values as 1 (TRUE), 0 (FALSE), NaN (NA): numbers with numbers (`x > 2`),
 * or a factor with a level (`sex == "F"`, `g != 3`: the level's label, R's Ops.factor; == and != only).
 * On the data (no kept entry in `scales`) a level must be one of the factor's, else an error naming the
 * levels (R would give a constant FALSE column, dropped as aliased); new data may lack it.
 */
function evalCompare(expr: Extract<Expr, { type: 'compare' }>, source: ColumnSource, label: string, scales?: ScaleParams): Float64Array | number {
  const a = compareSide(expr.left, source, label, scales);
  const b = compareSide(expr.right, source, label, scales);
  if (a.kind === 'numeric' && b.kind === 'numeric') return map2(a.v, b.v, COMPARE[expr.op]);
  const f = a.kind === 'factor' ? a : b.kind === 'factor' ? b : null;
  const other = f === a ? b : a;
  if (f === null) {
    throw new FormulaError(`'${label}': a string is compared with a factor column (sex == "F"), not with ${other.kind === 'str' && (a.kind === 'str' && b.kind === 'str') ? 'another string' : 'numbers'}`, label, 0);
  }
  if (other.kind === 'factor') throw new FormulaError(`'${label}': two factors ('${a.kind === 'factor' ? a.name : ''}', '${b.kind === 'factor' ? b.name : ''}') compared: compare a factor with a level in quotes (f == "a")`, label, 0);
  if (expr.op !== '==' && expr.op !== '!=') {
    throw new FormulaError(`'${label}': '${expr.op}' on the factor '${f.name}': a factor is compared with a level by == or != only (R: '${expr.op}' not meaningful for factors)`, label, 0);
  }
  let level: string;
  if (other.kind === 'str') level = other.value;
  else if (typeof other.v === 'number') level = formatNumberLevel(other.v);
  else throw new FormulaError(`'${label}': the factor '${f.name}' is compared with a level in quotes or a number (${f.name} == "a"), not with a column`, label, 0);
  const k = f.col.levels.indexOf(level);
  const key = scaleKey(expr);
  if (!scales?.has(key)) {
    if (k < 0) {
      const shown = f.col.levels.slice(0, 20).map((l) => deparseString(l)).join(', ') + (f.col.levels.length > 20 ? ', …' : '');
      throw new DataError(`'${label}': ${deparseString(level)} is not a level of '${f.name}' (its levels: ${shown}); the comparison would be FALSE in every row`, { column: f.name });
    }
    scales?.set(key, { fn: 'compare' });
  }
  const codes = f.col.codes;
  const out = rowFloat64(codes.length);
  const eq = expr.op === '==' ? 1 : 0;
  for (let i = 0; i < codes.length; i++) out[i] = codes[i] < 0 ? NaN : codes[i] === k ? eq : 1 - eq;
  return out;
}

/**
 * glmmTMB's numFactor(x, y, …): each row's coordinates as the level `(x,y)` (R's as.character of each
 * number), the levels ordered as numFactor orders them (by the last coordinate, ties by the one
 * before, …, the first); a row with a missing coordinate is missing.
 */
function numFactorColumn(args: Expr[], source: ColumnSource, label: string, n: number, scales?: ScaleParams): FactorColumn {
  const cols = args.map((a) => {
    if (a.type === 'var' && source(a.name).kind !== 'numeric') throw new DataError(`'${label}': numFactor takes numeric coordinate columns, and '${a.name}' is not numeric`, { column: a.name });
    return asVector(evalNumeric(a, source, label, scales), n);
  });
  const codes = rowInt32(n);
  const index = new Map<string, number>();
  const coords: number[][] = [];
  for (let i = 0; i < n; i++) {
    const x = cols.map((c) => c[i]);
    if (x.some((v) => Number.isNaN(v))) { codes[i] = -1; continue; }
    const key = `(${x.map(formatNumberLevel).join(',')})`;
    let k = index.get(key);
    if (k === undefined) { k = coords.length; index.set(key, k); coords.push(x); }
    codes[i] = k;
  }
  const order = coords.map((_, k) => k).sort((a, b) => {
    for (let j = cols.length - 1; j >= 0; j--) if (coords[a][j] !== coords[b][j]) return coords[a][j] - coords[b][j];
    return a - b;
  });
  const rank = new Int32Array(coords.length);
  order.forEach((k, r) => { rank[k] = r; });
  for (let i = 0; i < n; i++) if (codes[i] >= 0) codes[i] = rank[codes[i]];
  return { kind: 'factor', codes, levels: order.map((k) => `(${coords[k].map(formatNumberLevel).join(',')})`) };
}

/**
 * R's scale(x, center, scale) over the non-missing values, from two passes over them in order:
 * `addValues` sums them (and counts them), then `addSquares` sums (x − c)² with c the centre (their
 * mean, 0 or the number given: `args`, R's defaults TRUE, TRUE when absent); `params` gives c and the
 * scale √(Σ (x − c)² / (m − 1)) (or 1, or the number given), or an error where the scale is not a
 * positive number (no values, a constant). The in-memory frame passes the whole column once each;
 * the stream (src/gram/stream/streamSource.ts) passes its batches in input order, so the same sums.
 */
export class ScaleSums {
  private m = 0;
  private sum = 0;
  private ss = 0;

  constructor(private readonly label: string, private readonly args: ScaleArgs = { center: true, scale: true }) {}

  addValues(x: Float64Array): void {
    for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i])) { this.m++; this.sum += x[i]; }
  }

  get center(): number {
    return scaleCentre(this.args, this.m, this.sum);
  }

  addSquares(x: Float64Array): void {
    const center = this.center;
    for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i])) this.ss += (x[i] - center) * (x[i] - center);
  }

  params(): { center: number; scale: number } {
    return scaleParams(this.m, this.center, this.ss, this.label, this.args);
  }
}

/** scale()'s centre c: the mean Σx / m (center = TRUE), 0 (FALSE) or the number given. */
export function scaleCentre(args: ScaleArgs | undefined, m: number, sum: number): number {
  const c = args?.center ?? true;
  return c === true ? sum / m : c === false ? 0 : c;
}

/**
 * R's scale(x, center, scale) from the m non-missing values' centre c and Σ (x − c)²: scale = √(Σ (x − c)² / (m − 1))
 * (or 1, or the number given: `args`); an error where it is not a positive number (no values, a constant).
 * (The SQL engines, src/gram/sql/, take the sums by queries of their own.)
 */
export function scaleParams(m: number, center: number, ss: number, label: string, args?: ScaleArgs): { center: number; scale: number } {
  const by = args?.scale ?? true;
  if (by !== true) return { center, scale: by === false ? 1 : by };
  const scale = Math.sqrt(ss / Math.max(1, m - 1));
  if (!(scale > 0 && Number.isFinite(scale))) {
    const why = m === 0 ? 'has no values' : !Number.isFinite(scale) ? 'has infinite values (its scale is not a number)' : (args?.center ?? true) === true ? `is constant (${center})` : 'is 0 in every row';
    throw new DataError(`scale() in '${label}': the variable ${why}, so it cannot be scaled`);
  }
  return { center, scale };
}

/**
 * R's scale(x, center, scale) over the m non-missing values (scale.default): x_c = x − c, with c the
 * mean (center = TRUE), 0 (FALSE) or the number given; then x_c / s, with s = √(Σ x_c² / (m − 1))
 * (scale = TRUE: the SD when centred at the mean, the root mean square when center = FALSE), 1
 * (FALSE) or the number given. On new data the kept c and s (R's makepredictcall).
 */
function scaleColumn(x: Float64Array | number, expr: Extract<Expr, { type: 'call' }>, label: string, scales?: ScaleParams): Float64Array {
  if (typeof x === 'number') throw new FormulaError(`scale() of a constant in '${label}': scale needs a variable`, label, 0);
  const key = scaleKey(expr);
  let p = scaleCenterOf(scales, key);
  if (!p) {
    const sums = new ScaleSums(label, expr.scaleArgs);
    sums.addValues(x);
    sums.addSquares(x);
    p = sums.params();
    scales?.set(key, p);
  }
  const { center, scale } = p;
  const out = rowFloat64(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] - center) / scale;
  return out;
}

function evalNumeric(expr: Expr, source: ColumnSource, label: string, scales?: ScaleParams): Float64Array | number {
  switch (expr.type) {
    case 'num':
      return expr.value;
    case 'var': {
      const c = source(expr.name);
      if (c.kind !== 'numeric') throw new DataError(`'${expr.name}' is a ${c.kind === 'factor' ? 'factor' : 'matrix'} and cannot be used in the arithmetic of '${label}'`, { column: expr.name });
      return c.values;
    }
    case 'neg':
      return map1(evalNumeric(expr.arg, source, label, scales), (x) => -x);
    case 'str':
      throw new FormulaError(`'${label}': the string ${deparseString(expr.value)} is not a number: a string is compared with a factor (sex == "F")`, label, 0);
    case 'compare':
      return evalCompare(expr, source, label, scales);
    case 'and':
      // R's &: FALSE wins over NA (FALSE & NA is FALSE), numbers are TRUE when not 0
      return map2(evalNumeric(expr.left, source, label, scales), evalNumeric(expr.right, source, label, scales),
        (x, y) => (x === 0 || y === 0 ? 0 : Number.isNaN(x) || Number.isNaN(y) ? NaN : 1));
    case 'not':
      return map1(evalNumeric(expr.arg, source, label, scales), (x) => (Number.isNaN(x) ? NaN : x === 0 ? 1 : 0));
    case 'binop': {
      const a = evalNumeric(expr.left, source, label, scales);
      const b = evalNumeric(expr.right, source, label, scales);
      const op = expr.op;
      const f = op === '+' ? (x: number, y: number) => x + y
        : op === '-' ? (x: number, y: number) => x - y
        : op === '*' ? (x: number, y: number) => x * y
        : op === '/' ? (x: number, y: number) => x / y
        : (x: number, y: number) => Math.pow(x, y);
      return map2(a, b, f);
    }
    case 'call': {
      if (expr.fn === 'scale' && expr.args.length === 1) return scaleColumn(evalNumeric(expr.args[0], source, label, scales), expr, label, scales);
      const row = evalRowCall(expr, source, label, scales);
      if (row !== undefined) return row;
      // a Map: names such as 'constructor' are unknown (parseFormula refuses them too; a Formula
      // object may have been built by hand)
      const fn = FORMULA_FUNCTIONS.get(expr.fn);
      if (!fn || expr.args.length !== 1) {
        throw new FormulaError(`unknown function '${expr.fn}' in '${label}' (functions: ${formulaFunctionNames()}, with one argument)`, label, 0);
      }
      return map1(evalNumeric(expr.args[0], source, label, scales), fn);
    }
  }
}

/** the number of rows of a column */
function columnLength(c: DataColumn): number {
  return c.kind === 'factor' ? c.codes.length : c.values.length;
}

/**
 * R's row-wise functions of several arguments (round(x, digits), log(x, base), pmin, pmax, ifelse),
 * floor, ceiling, trunc, sign, as.numeric (a factor's codes 1..K), and the summaries of a whole column
 * (mean(x), sd(x), …: src/frame/reductions.ts); undefined for any other call.
 */
function evalRowCall(expr: Extract<Expr, { type: 'call' }>, source: ColumnSource, label: string, scales?: ScaleParams): Float64Array | number | undefined {
  const arg = (k: number) => evalNumeric(expr.args[k], source, label, scales);
  switch (expr.fn) {
    case 'round': return map2(arg(0), arg(1), fround);
    // lme4's dummy(f, "b"): its argument is the comparison f == "b" (parse.ts), as a number
    case 'dummy': return arg(0);
    case 'floor': return map1(arg(0), Math.floor);
    case 'ceiling': return map1(arg(0), Math.ceil);
    case 'trunc': return map1(arg(0), rTrunc);
    case 'sign': return map1(arg(0), rSign);
    case 'log': return expr.args.length === 2 ? map2(arg(0), arg(1), logBase) : undefined;
    case 'pmin': case 'pmax': {
      const fn = expr.fn;
      return expr.args.map((_, k) => arg(k)).reduce((a, b) => map2(a, b, (x, y) => pminmax(fn, [x, y])));
    }
    case 'ifelse': {
      const test = arg(0), yes = arg(1), no = arg(2);
      const n = [test, yes, no].find((v) => typeof v !== 'number') as Float64Array | undefined;
      if (!n) return ifelse(test as number, yes as number, no as number);
      const at = (v: Float64Array | number, i: number) => (typeof v === 'number' ? v : v[i]);
      const out = rowFloat64(n.length);
      for (let i = 0; i < n.length; i++) out[i] = ifelse(at(test, i), at(yes, i), at(no, i));
      return out;
    }
    case 'as.numeric': {
      // as.numeric of a factor: its codes 1..K (R's integer codes), NA where missing
      const a = expr.args[0];
      const f = a.type === 'var' ? source(a.name) : a.type === 'call' && (FACTOR_FUNCTIONS.has(a.fn) || a.fn === RELEVEL) ? evalExpr(a, source, label, columnLength(source(exprVariables(a).values().next().value!)), scales) : null;
      if (f && f.kind === 'factor') return Float64Array.from(f.codes, (c) => (c < 0 ? NaN : c + 1));
      return arg(0);
    }
  }
  if (REDUCTIONS.has(expr.fn)) {
    // an engine's batch: the value its pre-pass computed over every row (SummaryValue)
    const kept = scales?.get(scaleKey(expr));
    if (kept && 'fn' in kept && kept.fn === 'summary') return kept.value;
    // R's model.frame: over every row of the data (source), before na.omit
    const what = `${expr.fn}(${[...exprVariables(expr.args[0])].join(', ')})`;
    const x = arg(0);
    if (typeof x === 'number') throw new FormulaError(`'${label}': ${expr.fn}() of a constant: it summarizes a column`, label, 0);
    return reduceColumn(expr.fn as ReductionName, x, expr.naRm === true, what, [...exprVariables(expr.args[0])], label);
  }
  return undefined;
}

/**
 * poly(x, …), ns(x, …), bs(x, …) of a numeric x: on the data (no entry in `scales` yet) the basis
 * with its coefficients or knots computed there and recorded; on new data (`scales` holds them) the
 * basis at the kept ones, as R's predict methods evaluate it. R evaluates these calls on every row
 * before na.omit, as here (`source` gives all rows).
 */
function basisColumn(expr: Extract<Expr, { type: 'call' }>, source: ColumnSource, label: string, n: number, scales?: ScaleParams): MatrixColumn {
  const args = expr.basis!;
  const xv = expr.args[0];
  if (xv.type === 'var' && source(xv.name).kind === 'factor') {
    throw new DataError(`'${label}': '${xv.name}' is a factor; ${expr.fn}() needs a numeric variable`, { column: xv.name });
  }
  // the columns it will have, checked before any is built (a degree or df of millions)
  const ncol = basisWidth(expr.fn, args);
  checkModelMatrixSize(`'${label}' term's`, ncol, n, [{ label, columns: ncol }]);
  const x = asVector(evalNumeric(xv, source, label, scales), n);
  const key = scaleKey(expr);
  const kept = scales?.get(key);
  let columns: Float64Array[];
  if (expr.fn === 'poly') {
    if (args.raw) {
      columns = polyRaw(x, args.degree);
      scales?.set(key, { fn: 'poly', coefs: null });
    } else if (kept && 'fn' in kept && kept.fn === 'poly' && kept.coefs) {
      columns = polyPredict(x, kept.coefs);
    } else {
      const fit = polyFit(x, args.degree, label);
      columns = fit.columns;
      scales?.set(key, { fn: 'poly', coefs: fit.coefs });
    }
  } else {
    const fn = expr.fn as 'ns' | 'bs';
    let coefs: SplineCoefs;
    if (kept && 'fn' in kept && kept.fn === fn) {
      coefs = kept.coefs as SplineCoefs;
    } else {
      coefs = splineKnots(fn, x, args, label);
      scales?.set(key, { fn, coefs });
    }
    columns = fn === 'ns' ? nsBasis(x, coefs) : bsBasis(x, coefs);
  }
  return { kind: 'matrix', columns, colnames: columns.map((_, k) => String(k + 1)) };
}

/**
 * The number of columns of poly(x, …), ns(x, …), bs(x, …) (known before any row is read): poly's
 * degree; ns/bs with knots: their number + 1 (ns) or + degree (bs); else df (default 1 for ns, the
 * degree for bs).
 */
export function basisWidth(fn: string, args: BasisArgs): number {
  return fn === 'poly' ? args.degree
    : args.knots !== undefined ? args.knots.length + (fn === 'ns' ? 1 : args.degree)
    : args.df ?? (fn === 'ns' ? 1 : args.degree);
}

function map1(a: Float64Array | number, f: (x: number) => number): Float64Array | number {
  if (typeof a === 'number') return f(a);
  const out = rowFloat64(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f(a[i]);
  return out;
}

function map2(a: Float64Array | number, b: Float64Array | number, f: (x: number, y: number) => number): Float64Array | number {
  if (typeof a === 'number' && typeof b === 'number') return f(a, b);
  const n = typeof a === 'number' ? (b as Float64Array).length : a.length;
  const out = rowFloat64(n);
  for (let i = 0; i < n; i++) out[i] = f(typeof a === 'number' ? a : a[i], typeof b === 'number' ? b : b[i]);
  return out;
}

/** Broadcasts a scalar expression result to n rows. */
export function asVector(v: Float64Array | number, n: number): Float64Array {
  return typeof v === 'number' ? rowFloat64(n).fill(v) : v;
}
