/**
 * A grouping factor's known covariance matrix K (relatedness: a kinship matrix, a phylogeny, a
 * pedigree): b ~ N(0, σ_b² K). The inputs a user gives — a dense matrix with level names, a sparse
 * one (triplets), a pedigree — are checked here (finite, symmetric, positive diagonal; positive
 * definite when factored, with the failing level named) and matched to the data's levels, and
 * `factor(order)` gives F with F Fᵀ = K[order, order] (src/relmat/covFactor.ts) for the model.
 */
import { DataError } from '../errors/errors.js';
import { DenseArena } from '../linalg/denseArena.js';
import { NotPositiveDefiniteError } from '../linalg/dense.js';
import type { CovFactor } from './covFactor.js';
import { type Pedigree, pedigreeFactor } from './pedigree.js';
import { type NamedMatrix } from './phylo.js';
import { SparsePivotError, type SymmetricCsc, sparseCholesky } from './sparseCholesky.js';

/** A sparse symmetric K by triplets (one triangle, or both when they agree): K[i[e]][j[e]] = x[e]. */
export interface SparseRelmat {
  kind: 'sparse';
  levels: string[];
  i: ArrayLike<number>;
  j: ArrayLike<number>;
  x: ArrayLike<number>;
}

/**
 * A dense K: rows of numbers or a row-major array, with the level names of its rows and columns. A
 * Float64Array is read in place, not copied (leave it unchanged until the fit returns).
 */
export interface DenseRelmat {
  kind?: 'matrix';
  levels: string[];
  matrix: ArrayLike<number> | ArrayLike<number>[];
}

export type RelmatInput = DenseRelmat | NamedMatrix | SparseRelmat | Pedigree;

export interface KnownCovariance {
  /** where K came from */
  source: 'matrix' | 'sparse' | 'pedigree';
  /** K's levels (a pedigree's in pedigree order) */
  levels: string[];
  /**
   * Levels of K that the data must have: all of K's for a matrix; none for a pedigree (ancestors
   * without records are part of the model: their values are predicted from their relatives').
   */
  requireAllLevels: boolean;
  /** F with F Fᵀ = K[order, order]; `order` is a permutation of `levels` */
  factor(order: string[]): CovFactor;
  /**
   * A dense K only: its Cholesky factor L (L Lᵀ = K[order, order]) into the lower triangle of `L`
   * (n × n row-major, diagonal included) with `arena`'s kernel; the strict upper triangle is
   * neither read nor written (so L may share an array with other data: src/relmat/gram.ts).
   */
  factorInto?(order: string[], L: Float64Array, arena: DenseArena): void;
  /** a pedigree's inbreeding coefficients (pedigree order), else null */
  inbreeding: Float64Array | null;
}

const SYMMETRY_TOL = 1e-10;

function checkLevels(what: string, levels: string[], n: number): Map<string, number> {
  if (!Array.isArray(levels) || levels.length !== n) {
    throw new DataError(`${what}: ${Array.isArray(levels) ? levels.length : 'no'} level names for a ${n} × ${n} matrix (one name per row and column)`);
  }
  const index = new Map<string, number>();
  levels.forEach((l, k) => {
    const s = String(l);
    if (index.has(s)) throw new DataError(`${what}: the level '${s}' names two rows (${index.get(s)! + 1} and ${k + 1})`);
    index.set(s, k);
  });
  return index;
}

/** Dense row-major copy of a matrix given as rows or flat. */
function denseValues(what: string, m: DenseRelmat['matrix'], n: number): Float64Array {
  const out = new Float64Array(n * n);
  const first = (m as ArrayLike<unknown>)[0];
  if (m.length === n && n > 0 && typeof first === 'object' && first !== null) {
    for (let i = 0; i < n; i++) {
      const row = (m as ArrayLike<number>[])[i];
      if (!row || row.length !== n) throw new DataError(`${what}: row ${i + 1} has ${row ? row.length : 0} values, expected ${n}`);
      for (let j = 0; j < n; j++) out[i * n + j] = Number(row[j]);
    }
    return out;
  }
  if (m.length !== n * n) throw new DataError(`${what}: ${m.length} values for ${n} levels (a flat matrix needs ${n * n}, row-major)`);
  for (let k = 0; k < n * n; k++) out[k] = Number((m as ArrayLike<number>)[k]);
  return out;
}

/** Checks K (row-major n × n): finite entries, symmetric to 1e-10 relative, positive diagonal. */
function checkDense(what: string, K: Float64Array, levels: string[]): void {
  const n = levels.length;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (!Number.isFinite(K[i * n + j])) throw new DataError(`${what}: K['${levels[i]}', '${levels[j]}'] is ${K[i * n + j]}: a covariance matrix needs finite numbers`);
    }
  }
  for (let i = 0; i < n; i++) {
    const d = K[i * n + i];
    if (!(d > 0)) throw new DataError(`${what}: the variance K['${levels[i]}', '${levels[i]}'] is ${d}: a covariance matrix needs a positive diagonal`);
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const a = K[i * n + j], b = K[j * n + i];
      if (Math.abs(a - b) > SYMMETRY_TOL * Math.sqrt(K[i * n + i] * K[j * n + j])) {
        throw new DataError(`${what}: K is not symmetric: K['${levels[i]}', '${levels[j]}'] = ${a} but K['${levels[j]}', '${levels[i]}'] = ${b}`);
      }
    }
  }
}

function notPositiveDefinite(what: string, level: string, pos: number, pivot: number): Error {
  return new DataError(`${what}: K is not positive definite: the Cholesky pivot of level '${level}' (${pos + 1}. in the model's order) is ${pivot.toPrecision(3)} after the levels before it, so K is singular or indefinite (duplicated individuals; a marker-based kinship from fewer markers than individuals); a small ridge, K + εI, makes it definite`);
}

function permutation(what: string, index: Map<string, number>, order: string[]): Int32Array {
  if (order.length !== index.size) throw new DataError(`${what}: ${order.length} levels asked for, K has ${index.size}`);
  return Int32Array.from(order, (l) => {
    const k = index.get(l);
    if (k === undefined) throw new DataError(`${what}: the level '${l}' is not in K`);
    return k;
  });
}

function denseCovariance(what: string, levels: string[], K: Float64Array): KnownCovariance {
  const index = checkLevels(what, levels, levels.length);
  checkDense(what, K, levels);
  const n = levels.length;
  return {
    source: 'matrix', levels, requireAllLevels: true, inbreeding: null,
    factorInto(order, L, arena) {
      const perm = permutation(what, index, order);
      // L Lᵀ = K[order, order] (WebAssembly SIMD kernel where available; lower triangle only)
      for (let a = 0; a < n; a++) {
        const ka = perm[a] * n;
        for (let b = 0; b <= a; b++) L[a * n + b] = K[ka + perm[b]];
      }
      try {
        arena.cholesky(L, n, 'K');
      } catch (e) {
        if (e instanceof NotPositiveDefiniteError) throw notPositiveDefinite(what, order[e.index], e.index, e.pivot);
        throw e;
      }
    },
    factor(order) {
      const arena = new DenseArena([n * n]);
      const L = arena.arrays[0];
      this.factorInto!(order, L, arena);
      for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) L[a * n + b] = 0;
      return { kind: 'dense', n, F: L, lower: true };
    },
  };
}

function sparseCovariance(what: string, s: SparseRelmat): KnownCovariance {
  const n = s.levels.length;
  const index = checkLevels(what, s.levels, n);
  const m = s.x.length;
  if (s.i.length !== m || s.j.length !== m) throw new DataError(`${what}: the triplets have different lengths (i: ${s.i.length}, j: ${s.j.length}, x: ${m})`);
  // one value per unordered pair {i, j}; a pair given in both triangles must agree
  const entries = new Map<number, number>();
  const given = new Set<number>();
  for (let e = 0; e < m; e++) {
    const i = s.i[e], j = s.j[e], x = s.x[e];
    if (!(Number.isInteger(i) && Number.isInteger(j) && i >= 0 && j >= 0 && i < n && j < n)) {
      throw new DataError(`${what}: triplet ${e + 1} has index (${i}, ${j}) outside 0…${n - 1}`);
    }
    const li = s.levels[i], lj = s.levels[j];
    if (!Number.isFinite(x)) throw new DataError(`${what}: K['${li}', '${lj}'] is ${x}: a covariance matrix needs finite numbers`);
    const key = i * n + j;
    if (given.has(key)) throw new DataError(`${what}: K['${li}', '${lj}'] is given twice (triplets are not summed)`);
    given.add(key);
    const lo = Math.min(i, j), hi = Math.max(i, j);
    const pair = lo * n + hi;
    const prev = entries.get(pair);
    if (prev !== undefined && Math.abs(prev - x) > SYMMETRY_TOL * Math.max(Math.abs(prev), Math.abs(x))) {
      throw new DataError(`${what}: K is not symmetric: K['${li}', '${lj}'] = ${x} but K['${lj}', '${li}'] = ${prev}`);
    }
    entries.set(pair, x);
  }
  for (let i = 0; i < n; i++) {
    const d = entries.get(i * n + i);
    if (!(d !== undefined && d > 0)) throw new DataError(`${what}: the variance K['${s.levels[i]}', '${s.levels[i]}'] is ${d ?? 'missing'}: a covariance matrix needs a positive diagonal`);
  }
  return {
    source: 'sparse', levels: s.levels, requireAllLevels: true, inbreeding: null,
    factor(order) {
      const perm = permutation(what, index, order);
      const pos = new Int32Array(n);
      perm.forEach((k, a) => { pos[k] = a; });
      // the upper triangle of K[order, order] by columns
      const cols: [number, number][][] = Array.from({ length: n }, () => []);
      for (const [pair, x] of entries) {
        const i = Math.floor(pair / n), j = pair - i * n;
        const a = pos[i], b = pos[j];
        if (a <= b) cols[b].push([a, x]); else cols[a].push([b, x]);
      }
      const colPtr = new Int32Array(n + 1);
      cols.forEach((c, k) => { c.sort((p, q) => p[0] - q[0]); colPtr[k + 1] = colPtr[k] + c.length; });
      const csc: SymmetricCsc = { n, colPtr, rowIdx: new Int32Array(colPtr[n]), values: new Float64Array(colPtr[n]) };
      cols.forEach((c, k) => c.forEach(([r, x], t) => { csc.rowIdx[colPtr[k] + t] = r; csc.values[colPtr[k] + t] = x; }));
      try {
        return sparseCholesky(csc);
      } catch (e) {
        if (e instanceof SparsePivotError) throw notPositiveDefinite(what, order[e.index], e.index, e.pivot);
        throw e;
      }
    },
  };
}

function pedigreeCovariance(what: string, ped: Pedigree): KnownCovariance {
  const index = checkLevels(what, ped.ids, ped.ids.length);
  const { L, F } = pedigreeFactor(ped);
  return {
    source: 'pedigree', levels: ped.ids, requireAllLevels: false, inbreeding: F,
    factor(order) {
      // F = P L: L's rows in the model's order (F Fᵀ = P A Pᵀ); the columns stay in pedigree order
      const perm = permutation(what, index, order);
      const n = L.n;
      const rowPtr = new Int32Array(n + 1);
      perm.forEach((k, a) => { rowPtr[a + 1] = rowPtr[a] + L.rowPtr[k + 1] - L.rowPtr[k]; });
      const colIdx = new Int32Array(rowPtr[n]);
      const values = new Float64Array(rowPtr[n]);
      perm.forEach((k, a) => {
        colIdx.set(L.colIdx.subarray(L.rowPtr[k], L.rowPtr[k + 1]), rowPtr[a]);
        values.set(L.values.subarray(L.rowPtr[k], L.rowPtr[k + 1]), rowPtr[a]);
      });
      return { kind: 'sparse', n, rowPtr, colIdx, values };
    },
  };
}

/** Checks a user's K for grouping factor `group` and returns it ready to be matched and factored. */
export function knownCovariance(group: string, input: RelmatInput): KnownCovariance {
  const what = `relmat '${group}'`;
  if (input === null || typeof input !== 'object') throw new DataError(`${what}: expected a matrix with level names, a sparse matrix or a pedigree, got ${String(input)}`);
  if (input.kind === 'pedigree') return pedigreeCovariance(what, input);
  if (input.kind === 'sparse') return sparseCovariance(what, input);
  const levels = (input as DenseRelmat).levels;
  if (!Array.isArray(levels)) throw new DataError(`${what}: a matrix needs its level names ({ levels, matrix })`);
  const n = levels.length;
  // a row-major Float64Array is used as it is (read, never written: K is the one n × n array of a
  // kinship fit besides its dense block, src/relmat/gram.ts); rows or other arrays are copied
  const given = (input as DenseRelmat).matrix;
  const K = given instanceof Float64Array && given.length === n * n ? given : denseValues(what, given, n);
  return denseCovariance(what, levels.map(String), K);
}

/**
 * The model's levels for a factor with a known K: the data's levels, checked against K's, then K's
 * levels without data (a pedigree's ancestors) appended in K's order. A matrix K must have exactly
 * the data's levels; every level of the data must be in K.
 */
export function matchLevels(group: string, kc: KnownCovariance, dataLevels: string[]): { levels: string[]; extra: number } {
  const what = `relmat '${group}'`;
  const inK = new Set(kc.levels);
  const missing = dataLevels.filter((l) => !inK.has(l));
  const list = (xs: string[]) => `${xs.slice(0, 5).map((x) => `'${x}'`).join(', ')}${xs.length > 5 ? `, … (${xs.length} in all)` : ''}`;
  if (missing.length > 0) {
    throw new DataError(`${what}: ${missing.length} level${missing.length > 1 ? 's' : ''} of the data ${missing.length > 1 ? 'are' : 'is'} not in ${kc.source === 'pedigree' ? 'the pedigree' : 'K'}: ${list(missing)}`);
  }
  const inData = new Set(dataLevels);
  const extra = kc.levels.filter((l) => !inData.has(l));
  if (extra.length > 0 && kc.requireAllLevels) {
    throw new DataError(`${what}: ${extra.length} level${extra.length > 1 ? 's' : ''} of K ${extra.length > 1 ? 'have' : 'has'} no rows in the data: ${list(extra)} (give K for the data's levels only)`);
  }
  return { levels: [...dataLevels, ...extra], extra: extra.length };
}
