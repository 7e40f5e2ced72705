/**
 * Pedigrees: the additive relationship matrix A of a pedigree and its factor, from the pedigree
 * directly (Henderson 1976, "A simple method for computing the inverse of a numerator
 * relationship matrix used in prediction of breeding values"; Quaas 1976).
 *
 * With the animals ordered parents before children, A = T D Tᵀ where T = (I − P)⁻¹ is unit lower
 * triangular (P has ½ at (i, sire_i) and (i, dam_i)) and D is diagonal:
 *
 *   D_i = 1 − ¼ (2 + F'_s + F'_d),   F'_p = F_p for a known parent p, −1 for an unknown one
 *
 * (½ − ¼(F_s + F_d) with both parents known, ¾ − ¼F_p with one, 1 with none), F the inbreeding
 * coefficients. So L = T D^½ is A's Cholesky factor, and its rows follow the recursion
 *
 *   L[i, :] = ½ (L[s, :] + L[d, :]) + √D_i e_iᵀ,   F_i = Σ_j L[i][j]² − 1 = A_ii − 1,
 *
 * row i's nonzeros being i and its ancestors: a sparse factor, computed without forming A. The
 * tabular method (A_ii = 1 + ½ A_sd, A_ij = ½ (A_js + A_jd) for j < i) forms A densely, for checks
 * and small pedigrees.
 */
import { DataError } from '../errors/errors.js';
import type * as arrow from 'apache-arrow';
import type { SparseFactor } from './covFactor.js';

/** A pedigree ordered parents before children; sire/dam are indices into `ids`, −1 when unknown. */
export interface Pedigree {
  kind: 'pedigree';
  ids: string[];
  sire: Int32Array;
  dam: Int32Array;
  /** whether the input listed some animal before one of its parents (the order was changed) */
  reordered: boolean;
}

export interface PedigreeColumns {
  id: string;
  sire: string;
  dam: string;
}

/** Parent values that mean "unknown": a missing value, empty text, NA, 0 (pedigreemm's conventions). */
function isUnknown(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'number') return Number.isNaN(v) || v === 0;
  if (typeof v === 'bigint') return v === 0n;
  const s = String(v).trim();
  return s === '' || s === 'NA' || s === '0';
}

function idText(v: unknown): string {
  return typeof v === 'string' ? v.trim() : String(v);
}

type PedigreeSource = arrow.Table | Record<string, ArrayLike<unknown>>;

function readColumn(source: PedigreeSource, name: string, role: string): ArrayLike<unknown> {
  if ('getChild' in source && typeof source.getChild === 'function') {
    const col = (source as arrow.Table).getChild(name);
    if (!col) {
      throw new DataError(`pedigree: the ${role} column '${name}' is not in the table (columns: ${(source as arrow.Table).schema.fields.map((f) => f.name).join(', ')})`);
    }
    return Array.from({ length: col.length }, (_, i) => col.get(i) as unknown);
  }
  const col = (source as Record<string, ArrayLike<unknown>>)[name];
  if (!col) throw new DataError(`pedigree: the ${role} column '${name}' is not given (columns: ${Object.keys(source).join(', ')})`);
  return col;
}

/**
 * A pedigree from a table with one row per animal: its id and its sire's and dam's ids (missing, empty,
 * NA or 0 for an unknown parent). Checked: ids unique and present; every parent listed as an animal
 * of its own (a founder row with unknown parents); no animal its own ancestor. Animals listed before
 * a parent are moved after it (the relative order is kept otherwise).
 */
export function pedigree(source: PedigreeSource, columns: Partial<PedigreeColumns> = {}): Pedigree {
  const cols: PedigreeColumns = { id: 'id', sire: 'sire', dam: 'dam', ...columns };
  const idCol = readColumn(source, cols.id, 'id');
  const sireCol = readColumn(source, cols.sire, 'sire');
  const damCol = readColumn(source, cols.dam, 'dam');
  const n = idCol.length;
  if (sireCol.length !== n || damCol.length !== n) {
    throw new DataError(`pedigree: the columns have different lengths (${cols.id}: ${n}, ${cols.sire}: ${sireCol.length}, ${cols.dam}: ${damCol.length})`);
  }
  if (n === 0) throw new DataError('pedigree: the table has no rows');
  const ids: string[] = new Array(n);
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const v = idCol[i];
    if (isUnknown(v)) throw new DataError(`pedigree: row ${i + 1} has no id (${v === null || v === undefined ? 'missing' : `'${String(v)}'`}; 0, NA and empty mean an unknown parent and cannot be ids)`);
    const id = idText(v);
    if (index.has(id)) throw new DataError(`pedigree: the id '${id}' is listed twice (rows ${index.get(id)! + 1} and ${i + 1})`);
    index.set(id, i);
    ids[i] = id;
  }
  const missing: string[] = [];
  let nMissing = 0;
  const parentOf = (col: ArrayLike<unknown>, role: 'sire' | 'dam'): Int32Array => {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = col[i];
      if (isUnknown(v)) { out[i] = -1; continue; }
      const p = index.get(idText(v));
      if (p === undefined) {
        if (missing.length < 5) missing.push(`${role} '${idText(v)}' of '${ids[i]}' (row ${i + 1})`);
        nMissing++;
        out[i] = -1;
        continue;
      }
      if (p === i) throw new DataError(`pedigree: animal '${ids[i]}' (row ${i + 1}) is its own ${role}`);
      out[i] = p;
    }
    return out;
  };
  const sire = parentOf(sireCol, 'sire');
  const dam = parentOf(damCol, 'dam');
  if (nMissing > 0) {
    throw new DataError(`pedigree: ${nMissing} parent${nMissing > 1 ? 's are' : ' is'} not listed as animals: ${missing.join(', ')}${nMissing > missing.length ? ', …' : ''}; add each as a row with unknown parents`);
  }
  return sortPedigree(ids, sire, dam);
}

/**
 * Orders the animals parents before children (depth-first, parents first, in input order
 * otherwise); a loop (an animal among its own ancestors) is an error naming it.
 */
export function sortPedigree(ids: string[], sire: Int32Array, dam: Int32Array): Pedigree {
  const n = ids.length;
  const state = new Uint8Array(n); // 0 new, 1 on the current path, 2 placed
  const order: number[] = [];
  for (let root = 0; root < n; root++) {
    if (state[root] === 2) continue;
    // iterative depth-first search: a frame is (animal, next parent to visit: 0 sire, 1 dam, 2 done)
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1];
      const [a, next] = frame;
      if (next === 2) {
        stack.pop();
        state[a] = 2;
        order.push(a);
        continue;
      }
      frame[1]++;
      const p = next === 0 ? sire[a] : dam[a];
      if (p < 0 || state[p] === 2) continue;
      if (state[p] === 1) {
        // the loop: p … a → p
        const loop = [ids[p]];
        for (let k = stack.length - 1; k >= 0 && stack[k][0] !== p; k--) loop.push(ids[stack[k][0]]);
        loop.push(ids[p]);
        throw new DataError(`pedigree: a loop — '${ids[p]}' is its own ancestor (${loop.join(' → ')}, each a parent of the next)`);
      }
      state[p] = 1;
      stack.push([p, 0]);
    }
  }
  let reordered = false;
  for (let k = 0; k < n; k++) if (order[k] !== k) { reordered = true; break; }
  const pos = new Int32Array(n);
  order.forEach((a, k) => { pos[a] = k; });
  const remap = (par: Int32Array) => Int32Array.from(order, (a) => (par[a] < 0 ? -1 : pos[par[a]]));
  return { kind: 'pedigree', ids: order.map((a) => ids[a]), sire: remap(sire), dam: remap(dam), reordered };
}

/**
 * Henderson's factor L = T D^½ of A (compressed rows in pedigree order, columns increasing), and the
 * inbreeding coefficients F, by the row recursion in the header: O(Σ_i ancestors(i)) work and storage.
 */
export function pedigreeFactor(ped: Pedigree): { L: SparseFactor; F: Float64Array } {
  const n = ped.ids.length;
  const { sire, dam } = ped;
  const rowPtr = new Int32Array(n + 1);
  let cols = new Int32Array(Math.max(16, 4 * n));
  let vals = new Float64Array(cols.length);
  let used = 0;
  const F = new Float64Array(n);
  const acc = new Float64Array(n);
  const mark = new Int32Array(n).fill(-1);
  const pattern: number[] = [];
  for (let i = 0; i < n; i++) {
    pattern.length = 0;
    // ½ (L[s, :] + L[d, :]) scattered into acc over the union of the parents' patterns
    for (const p of [sire[i], dam[i]]) {
      if (p < 0) continue;
      for (let e = rowPtr[p]; e < rowPtr[p + 1]; e++) {
        const j = cols[e];
        if (mark[j] !== i) { mark[j] = i; acc[j] = 0; pattern.push(j); }
        acc[j] += 0.5 * vals[e];
      }
    }
    const fs = sire[i] >= 0 ? F[sire[i]] : -1;
    const fd = dam[i] >= 0 ? F[dam[i]] : -1;
    const D = 1 - 0.25 * (2 + fs + fd);
    pattern.sort((a, b) => a - b);
    if (used + pattern.length + 1 > cols.length) {
      const size = Math.max(2 * cols.length, used + pattern.length + 1);
      const c2 = new Int32Array(size); c2.set(cols.subarray(0, used)); cols = c2;
      const v2 = new Float64Array(size); v2.set(vals.subarray(0, used)); vals = v2;
    }
    let a = D;
    for (const j of pattern) {
      cols[used] = j;
      vals[used++] = acc[j];
      a += acc[j] * acc[j];
    }
    cols[used] = i;
    vals[used++] = Math.sqrt(D);
    rowPtr[i + 1] = used;
    // A_ii = Σ_j L[i][j]² (the diagonal entry contributes D)
    F[i] = a - 1;
  }
  return { L: { kind: 'sparse', n, rowPtr, colIdx: cols.slice(0, used), values: vals.slice(0, used) }, F };
}

/** The additive relationship matrix A (n × n row-major, pedigree order) by the tabular method. */
export function relationshipMatrix(ped: Pedigree): Float64Array {
  const n = ped.ids.length;
  const { sire, dam } = ped;
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const s = sire[i], d = dam[i];
    A[i * n + i] = 1 + (s >= 0 && d >= 0 ? 0.5 * A[s * n + d] : 0);
    for (let j = 0; j < i; j++) {
      let v = 0;
      if (s >= 0) v += 0.5 * A[j * n + s];
      if (d >= 0) v += 0.5 * A[j * n + d];
      A[i * n + j] = v;
      A[j * n + i] = v;
    }
  }
  return A;
}
