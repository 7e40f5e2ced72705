/**
 * The mathematics of a known covariance K (src/relmat/): ape's vcv from Newick text, pedigrees
 * (Henderson's factor against the tabular A), K's checks and factors, the congruence kernels, and
 * the objective at fixed θ against lme4's modular fits with Z L in place of Z
 * (test/oracle/relmat.R; fixtures in test/fixtures/relmat).
 *
 * Tolerances: vcv 1e-12 (absolute, entries ≤ 2); A, L, F 1e-12; kernels against dense products
 * 1e-12 relative to the largest entry; the profiled criterion at lme4's θ 1e-8 relative (the
 * value is a sum of terms of size ~600, computed in another order); at lme4's θ̂ fixed effects 1e-6
 * relative, conditional modes and SDs 1e-6 (R computes them densely from the same θ̂).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tableFromArrays } from 'apache-arrow';
import { readCsv } from '../src/io/csv.js';
import { phyloVcv, parseNewick } from '../src/relmat/phylo.js';
import { pedigree, pedigreeFactor, relationshipMatrix } from '../src/relmat/pedigree.js';
import { knownCovariance, matchLevels } from '../src/relmat/knownCovariance.js';
import { namedMatrixFromTable } from '../src/relmat/matrixTable.js';
import { sparseCholesky } from '../src/relmat/sparseCholesky.js';
import { type CovFactor, applyFactor, applyFactorT, congruence, rightMultiplyFactor } from '../src/relmat/covFactor.js';
import { choleskyInPlace } from '../src/linalg/dense.js';
import { buildModelFrame } from '../src/frame/modelFrame.js';
import { parseFormula } from '../src/formula/parse.js';
import { buildRandomBlocks } from '../src/model/lambda.js';
import { formGramCpu } from '../src/backend/cpu/gram.js';
import { profiledDeviance } from '../src/lmm/deviance.js';
import { denseOf, denseRelmatEvaluate } from './helpers/denseRelmat.js';

const dir = join(import.meta.dirname, 'fixtures', 'relmat');
const json = <T = any>(f: string): T => JSON.parse(readFileSync(join(dir, f), 'utf8'));
const csv = (f: string) => readCsv(readFileSync(join(dir, f), 'utf8')).table;
const maxAbs = (a: ArrayLike<number>) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i])); return m; };
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i])); return m; };

/** deterministic pseudo-random numbers in [−1, 1) */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 31 - 1; };
}

describe('phylogenies: ape::vcv from Newick text', () => {
  const cases = json<{ newick: string; labels: string[]; corr: number[][]; cov: number[][] }[]>('vcv_cases.json');
  it.each(cases.map((c, k) => [k, c] as const))('tree %i: corr and cov as ape 5.7', (_k, c) => {
    for (const corr of [true, false]) {
      const v = phyloVcv(c.newick, { corr });
      // ape keeps a quoted label's quotes; here they are removed
      expect(v.levels).toEqual(c.labels.map((l) => l.replace(/^'(.*)'$/, '$1')));
      const ref = (corr ? c.corr : c.cov).flat();
      expect(maxDiff(v.matrix, ref)).toBeLessThan(1e-12);
    }
  });
  it('the written tree file gives the K that the fits used (phylo_K.csv)', () => {
    const v = phyloVcv(readFileSync(join(dir, 'phylo_tree.nwk'), 'utf8'));
    const K = namedMatrixFromTable(csv('phylo_K.csv'));
    const idx = new Map(v.levels.map((l, k) => [l, k]));
    const n = K.levels.length;
    let d = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      d = Math.max(d, Math.abs(K.matrix[i * n + j] - v.matrix[idx.get(K.levels[i])! * n + idx.get(K.levels[j])!]));
    }
    expect(d).toBeLessThan(1e-13);
  });
  it('reads polytomies, single-child nodes, comments and quotes', () => {
    const t = parseNewick(" ( 'it''s':1 , (b:2)[x] :0.5, c:3e-1, d:.25 ) r ; ");
    expect(t.label).toBe('r');
    expect(t.children.map((c) => c.label)).toEqual(["it's", '', 'c', 'd']);
    expect(t.children[1].children[0].length).toBe(2);
    const v = phyloVcv(t, { corr: false });
    expect(Array.from(v.matrix.slice(0, 4))).toEqual([1, 0, 0, 0]);
    expect(v.matrix[1 * 4 + 1]).toBe(2.5);
  });
  it('bad trees: clear errors', () => {
    expect(() => phyloVcv('((a:1,b:1):1,c:2')).toThrow(/unbalanced parentheses: missing '\)'/);
    expect(() => phyloVcv('(a:1,b:1)):1;')).toThrow(/unbalanced parentheses: unexpected '\)'/);
    expect(() => phyloVcv('((a:1,b):1,c:2);')).toThrow(/no branch length for the tip 'b'/);
    expect(() => phyloVcv('((a:1,b:1)x,c:2);')).toThrow(/no branch length for the node 'x'/);
    expect(() => phyloVcv('((a:1,a:1):1,c:2);')).toThrow(/tip label 'a' appears twice/);
    expect(() => phyloVcv('((a:1,b:-1):1,c:2);')).toThrow(/branch length of the tip 'b' is negative/);
    expect(() => phyloVcv('((a:1,:1):1,c:2);')).toThrow(/a tip without a label/);
    expect(() => phyloVcv('(a:1,b:1);(c:1,d:1);')).toThrow(/unexpected text after the tree/);
    expect(() => phyloVcv('(a:0,b:1);')).toThrow(/'a' is at distance 0 from the root/);
    expect(() => phyloVcv('(a:1,b:x);')).toThrow(/expected a branch length after ':'/);
  });
});

describe('pedigrees: Henderson\'s factor and the tabular A', () => {
  const ref = json<{ ids: string[]; sire: (string | null)[]; dam: (string | null)[]; A: number[][]; F: number[]; L: number[][] }>('pedigree_A.json');
  const N = ref.ids.length;
  const refIndex = new Map(ref.ids.map((id, k) => [id, k]));
  it('a shuffled pedigree file is sorted parents first; A, L and F agree with R', () => {
    const ped = pedigree(csv('pedigree.csv'), { id: 'id', sire: 'sire', dam: 'dam' });
    expect(ped.reordered).toBe(true);
    expect(ped.ids.length).toBe(N);
    for (let i = 0; i < N; i++) {
      expect(ped.sire[i]).toBeLessThan(i);
      expect(ped.dam[i]).toBeLessThan(i);
    }
    // the same parents as R's pedigree
    ped.ids.forEach((id, i) => {
      const r = refIndex.get(id)!;
      expect(ped.sire[i] < 0 ? null : ped.ids[ped.sire[i]]).toBe(ref.sire[r]);
      expect(ped.dam[i] < 0 ? null : ped.ids[ped.dam[i]]).toBe(ref.dam[r]);
    });
    const perm = ped.ids.map((id) => refIndex.get(id)!);
    const Aref = new Float64Array(N * N);
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) Aref[i * N + j] = ref.A[perm[i]][perm[j]];
    expect(maxDiff(relationshipMatrix(ped), Aref)).toBeLessThan(1e-14);
    const { L, F } = pedigreeFactor(ped);
    expect(maxDiff(F, perm.map((k) => ref.F[k]))).toBeLessThan(1e-13);
    expect(Math.max(...F)).toBeGreaterThan(0.1); // the simulated pedigree has inbreeding
    // Henderson's L is the Cholesky factor of A in pedigree order
    const chol = Float64Array.from(Aref);
    choleskyInPlace(chol, N);
    for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) chol[i * N + j] = 0;
    expect(maxDiff(denseOf(L), chol)).toBeLessThan(1e-12);
    // sparse: row i holds i and its ancestors only
    expect(L.rowPtr[N]).toBeLessThan(N * N / 4);
  });
  it('a sorted pedigree keeps its order and L is R\'s t(chol(A))', () => {
    const ped = pedigree({ id: ref.ids, sire: ref.sire, dam: ref.dam });
    expect(ped.reordered).toBe(false);
    expect(ped.ids).toEqual(ref.ids);
    expect(maxDiff(denseOf(pedigreeFactor(ped).L), ref.L.flat())).toBeLessThan(1e-12);
  });
  it('selfing (sire = dam) follows the tabular method', () => {
    const ped = pedigree({ id: ['a', 'b', 'c', 'd'], sire: ['0', 'a', 'b', 'c'], dam: [null, 'a', 'b', 'a'] });
    const A = relationshipMatrix(ped);
    const L = denseOf(pedigreeFactor(ped).L);
    const LLt = new Float64Array(16);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 4; k++) LLt[i * 4 + j] += L[i * 4 + k] * L[j * 4 + k];
    expect(maxDiff(LLt, A)).toBeLessThan(1e-14);
    expect(A[5]).toBeCloseTo(1.5, 14); // b = a ⊗ a: 1 + ½ A_aa
  });
  it('bad pedigrees: clear errors', () => {
    expect(() => pedigree({ id: ['a', 'b', 'c'], sire: [null, 'a', 'c'], dam: [null, null, null] })).toThrow(/animal 'c' \(row 3\) is its own sire/);
    expect(() => pedigree({ id: ['a', 'b', 'c'], sire: ['c', 'a', 'b'], dam: [null, null, null] })).toThrow(/a loop — '(a|b|c)' is its own ancestor/);
    expect(() => pedigree({ id: ['a', 'b'], sire: [null, 'x'], dam: [null, 'y'] })).toThrow(/2 parents are not listed as animals: sire 'x' of 'b' \(row 2\), dam 'y' of 'b' \(row 2\)/);
    expect(() => pedigree({ id: ['a', 'b', 'a'], sire: [null, 'a', null], dam: [null, null, null] })).toThrow(/the id 'a' is listed twice \(rows 1 and 3\)/);
    expect(() => pedigree({ id: ['a', null], sire: [null, null], dam: [null, null] })).toThrow(/row 2 has no id/);
    expect(() => pedigree(tableFromArrays({ animal: ['a'], father: [null], mother: [null] }), { id: 'animal', sire: 'sire', dam: 'mother' })).toThrow(/the sire column 'sire' is not in the table \(columns: animal, father, mother\)/);
  });
});

describe('K: checks, level matching and factors', () => {
  const levels = ['a', 'b', 'c', 'd'];
  const K = [[2, 0.5, 0.2, 0], [0.5, 1, 0.3, 0.1], [0.2, 0.3, 1.5, 0], [0, 0.1, 0, 1]];
  it('a dense K is factored in the model\'s level order: F Fᵀ = K[order, order]', () => {
    const kc = knownCovariance('g', { levels, matrix: K });
    const order = ['c', 'a', 'd', 'b'];
    const f = kc.factor(order);
    const Fd = denseOf(f);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
      let v = 0;
      for (let k = 0; k < 4; k++) v += Fd[i * 4 + k] * Fd[j * 4 + k];
      expect(v).toBeCloseTo(K[levels.indexOf(order[i])][levels.indexOf(order[j])], 14);
    }
  });
  it('a sparse K (triplets, one or both triangles) gives the same K', () => {
    const i: number[] = [], j: number[] = [], x: number[] = [];
    K.forEach((row, r) => row.forEach((v, c) => { if (v !== 0 && c <= r) { i.push(r); j.push(c); x.push(v); } }));
    const order = ['d', 'b', 'a', 'c'];
    for (const both of [false, true]) {
      const ii = both ? [...i, ...j.filter((c, e) => c !== i[e])] : i;
      const jj = both ? [...j, ...i.filter((r, e) => r !== j[e])] : j;
      const xx = both ? [...x, ...x.filter((_, e) => i[e] !== j[e])] : x;
      const f = knownCovariance('g', { kind: 'sparse', levels, i: ii, j: jj, x: xx }).factor(order);
      expect(f.kind).toBe('sparse');
      const Fd = denseOf(f);
      for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) {
        let v = 0;
        for (let k = 0; k < 4; k++) v += Fd[r * 4 + k] * Fd[c * 4 + k];
        expect(v).toBeCloseTo(K[levels.indexOf(order[r])][levels.indexOf(order[c])], 14);
      }
    }
  });
  it('the sparse Cholesky equals the dense one on a random sparse SPD matrix', () => {
    const n = 60, r = rng(7);
    const D = new Float64Array(n * n);
    for (let i = 0; i < n; i++) D[i * n + i] = 4 + r();
    for (let e = 0; e < 90; e++) {
      const i = Math.floor((r() + 1) * n / 2), j = Math.floor((r() + 1) * n / 2);
      if (i === j) continue;
      const v = 0.4 * r();
      D[i * n + j] = v; D[j * n + i] = v;
    }
    const colPtr = new Int32Array(n + 1), rows: number[] = [], vals: number[] = [];
    for (let k = 0; k < n; k++) { for (let i = 0; i <= k; i++) if (D[i * n + k] !== 0) { rows.push(i); vals.push(D[i * n + k]); } colPtr[k + 1] = rows.length; }
    const L = sparseCholesky({ n, colPtr, rowIdx: Int32Array.from(rows), values: Float64Array.from(vals) });
    const C = Float64Array.from(D);
    choleskyInPlace(C, n);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) C[i * n + j] = 0;
    expect(maxDiff(denseOf(L), C)).toBeLessThan(1e-13);
    expect(L.rowPtr[n]).toBeLessThan(n * (n + 1) / 2);
  });
  it('bad K: clear errors naming the level', () => {
    const bad = (m: number[][], what: RegExp, order = levels) => expect(() => knownCovariance('animal', { levels, matrix: m }).factor(order)).toThrow(what);
    bad([[2, NaN, 0, 0], [NaN, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], /relmat 'animal': K\['a', 'b'\] is NaN/);
    bad([[2, 0.5, 0, 0], [0.4, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], /K is not symmetric: K\['b', 'a'\] = 0.4 but K\['a', 'b'\] = 0.5/);
    bad([[2, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], /the variance K\['b', 'b'\] is 0/);
    // c duplicates a: singular, found at c's pivot (or a's, in another order)
    const dup = [[1, 0.5, 1, 0], [0.5, 1, 0.5, 0], [1, 0.5, 1, 0], [0, 0, 0, 1]];
    bad(dup, /K is not positive definite: the Cholesky pivot of level 'c' \(3\. in the model's order\)/);
    bad(dup, /the Cholesky pivot of level 'a' \(4\. in the model's order\)/, ['c', 'b', 'd', 'a']);
    expect(() => knownCovariance('g', { levels: ['a', 'b'], matrix: [[1, 0], [0]] })).toThrow(/row 2 has 1 values, expected 2/);
    expect(() => knownCovariance('g', { levels: ['a', 'a'], matrix: [[1, 0], [0, 1]] })).toThrow(/the level 'a' names two rows/);
    expect(() => knownCovariance('g', { kind: 'sparse', levels: ['a', 'b'], i: [0, 1, 1], j: [0, 1, 0], x: [1, 1, 2] }).factor(['a', 'b']))
      .toThrow(/K is not positive definite: the Cholesky pivot of level 'b'/);
    expect(() => knownCovariance('g', { kind: 'sparse', levels: ['a', 'b'], i: [0, 1, 1, 0], j: [0, 1, 0, 1], x: [1, 1, 0.2, 0.3] })).toThrow(/not symmetric/);
    expect(() => knownCovariance('g', { kind: 'sparse', levels: ['a', 'b'], i: [0], j: [0], x: [1] })).toThrow(/the variance K\['b', 'b'\] is missing/);
  });
  it('levels: the data\'s must be in K; a matrix K must have no others; a pedigree\'s others are appended', () => {
    const kc = knownCovariance('g', { levels, matrix: K });
    expect(matchLevels('g', kc, ['b', 'a', 'd', 'c'])).toEqual({ levels: ['b', 'a', 'd', 'c'], extra: 0 });
    expect(() => matchLevels('g', kc, ['a', 'b', 'x', 'c', 'd'])).toThrow(/relmat 'g': 1 level of the data is not in K: 'x'/);
    expect(() => matchLevels('g', kc, ['a', 'b'])).toThrow(/2 levels of K have no rows in the data: 'c', 'd'/);
    const ped = pedigree({ id: ['s', 'd', 'k1', 'k2'], sire: [null, null, 's', 's'], dam: [null, null, 'd', 'd'] });
    const kp = knownCovariance('animal', ped);
    expect(matchLevels('animal', kp, ['k2', 'k1'])).toEqual({ levels: ['k2', 'k1', 's', 'd'], extra: 2 });
    expect(() => matchLevels('animal', kp, ['k1', 'zz'])).toThrow(/1 level of the data is not in the pedigree: 'zz'/);
  });
  it('a matrix table: level names as header and first column, columns in any order', () => {
    const t = tableFromArrays({ id: ['x', 'y'], y: Float64Array.from([0.5, 2]), x: Float64Array.from([1, 0.5]) });
    const m = namedMatrixFromTable(t);
    expect(m.levels).toEqual(['x', 'y']);
    expect(Array.from(m.matrix)).toEqual([1, 0.5, 0.5, 2]);
    expect(() => namedMatrixFromTable(tableFromArrays({ id: ['x', 'y'], x: Float64Array.from([1, 0]), z: Float64Array.from([0, 1]) }))).toThrow(/the column 'z' is not a level/);
    expect(() => namedMatrixFromTable(tableFromArrays({ id: ['x', 'y'], x: Float64Array.from([1, 0]) }))).toThrow(/2 rows but 1 matrix columns/);
  });
});

describe('the congruence kernels against dense products', () => {
  const n = 70;
  const r = rng(3);
  const denseLower = (): CovFactor => {
    const F = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) F[i * n + j] = j === i ? 1 + Math.abs(r()) : 0.5 * r();
    return { kind: 'dense', n, F, lower: true };
  };
  const sparseOf = (f: CovFactor): CovFactor => {
    const D = denseOf(f);
    const rowPtr = new Int32Array(n + 1), cols: number[] = [], vals: number[] = [];
    for (let i = 0; i < n; i++) { for (let j = 0; j < n; j++) if (D[i * n + j] !== 0) { cols.push(j); vals.push(D[i * n + j]); } rowPtr[i + 1] = cols.length; }
    return { kind: 'sparse', n, rowPtr, colIdx: Int32Array.from(cols), values: Float64Array.from(vals) };
  };
  /** (F ⊗ I)ᵀ G (F ⊗ I) directly */
  const direct = (f: CovFactor, G: Float64Array, q: number) => {
    const D = denseOf(f), m = n * q;
    const out = new Float64Array(m * m);
    for (let k = 0; k < n; k++) for (let l = 0; l < n; l++) for (let i = 0; i < n; i++) {
      const a = D[i * n + k] * D[i * n + l];
      if (a === 0) continue;
      for (let s = 0; s < q; s++) for (let u = 0; u < q; u++) out[(k * q + s) * m + l * q + u] += a * G[i * q * q + s * q + u];
    }
    return out;
  };
  for (const q of [1, 2, 3]) {
    it(`q = ${q}: dense lower, dense full, sparse; a level without data (G_i = 0)`, () => {
      const G = new Float64Array(n * q * q);
      for (let i = 0; i < n; i++) {
        if (i === 5) continue;
        const v = Array.from({ length: q * q }, () => r());
        for (let s = 0; s < q; s++) for (let u = 0; u < q; u++) {
          let acc = 0;
          for (let t = 0; t < q; t++) acc += v[s * q + t] * v[u * q + t];
          G[i * q * q + s * q + u] = acc + (s === u ? 0.1 : 0);
        }
      }
      const fl = denseLower();
      const ff: CovFactor = { kind: 'dense', n, F: denseOf(fl).map((v, e) => (Math.floor(e / n) < e % n ? 0.3 * r() : v)), lower: false };
      for (const f of [fl, ff, sparseOf(fl)]) {
        const ref = direct(f, G, q);
        const scale = maxAbs(ref);
        expect(maxDiff(congruence(f, G, q), ref) / scale).toBeLessThan(1e-13);
        const rows = 3;
        const S = Float64Array.from({ length: rows * n * q }, () => r());
        const D = denseOf(f), m = n * q;
        const SF = new Float64Array(rows * m);
        for (let a = 0; a < rows; a++) for (let j = 0; j < n; j++) for (let s = 0; s < q; s++) {
          let acc = 0;
          for (let i = 0; i < n; i++) acc += S[a * m + i * q + s] * D[i * n + j];
          SF[a * m + j * q + s] = acc;
        }
        expect(maxDiff(rightMultiplyFactor(S, rows, f, q), SF) / maxAbs(SF)).toBeLessThan(1e-13);
        // ⟨F u, v⟩ = ⟨u, Fᵀ v⟩
        const u = Float64Array.from({ length: m }, () => r()), v = Float64Array.from({ length: m }, () => r());
        const Fu = applyFactor(f, u, q), Ftv = applyFactorT(f, v, q);
        let a1 = 0, a2 = 0;
        for (let e = 0; e < m; e++) { a1 += Fu[e] * v[e]; a2 += u[e] * Ftv[e]; }
        expect(Math.abs(a1 - a2)).toBeLessThan(1e-12 * (Math.abs(a1) + 1));
      }
    });
  }
});

interface LmmRef {
  name: string; formula: string; reml: boolean; data: string;
  theta: number[]; sigma: number; fixef: Record<string, number>; criterion: number;
  objective_at: { theta: number[]; value: number }[];
  ranef: { group: string; levels: string[]; values: Record<string, number[]>; condsd: Record<string, number[]> }[];
  pedigree_animals?: { levels: string[]; values: number[]; condsd: number[] };
  relmat: { group: string; kind: string };
}

describe('the objective at fixed θ with Z F in place of Z, against lme4', () => {
  const phyloK = namedMatrixFromTable(csv('phylo_K.csv'));
  const ped = pedigree(csv('pedigree.csv'));
  const cases = ['phylo_reml', 'phylo_ml', 'phylo_slopes_reml', 'pedigree_reml', 'pedigree_ml', 'pedigree_herd_reml'];
  it.each(cases)('%s', (name) => {
    const ref = json<LmmRef>(`${name}.json`);
    const data = csv(ref.data);
    const f = parseFormula(ref.formula);
    const frame = buildModelFrame(f, data, { factors: [] });
    const { blocks } = buildRandomBlocks(frame.reTerms);
    // lme4's θ on Z as the formula gives it
    const gram = formGramCpu({ n: frame.n, X: frame.X, p: frame.p, y: frame.y, blocks });
    const kc = knownCovariance(ref.relmat.group, ref.relmat.kind === 'phylo' ? phyloK : ped);
    const extra: number[] = [];
    const levelsExt: string[][] = [];
    const factors = blocks.map((b) => {
      if (b.group !== ref.relmat.group) { extra.push(0); levelsExt.push(b.levels); return null; }
      const m = matchLevels(b.group, kc, b.levels);
      extra.push(m.extra);
      levelsExt.push(m.levels);
      return kc.factor(m.levels);
    });
    if (ref.relmat.kind === 'pedigree') expect(extra[0]).toBe(14); // the founders have no records
    for (const pt of ref.objective_at) {
      const e = denseRelmatEvaluate(gram, factors, extra, pt.theta);
      const dev = profiledDeviance(e, frame.n, frame.p, ref.reml);
      expect(Math.abs(dev - pt.value) / Math.abs(pt.value)).toBeLessThan(1e-8);
    }
    // at θ̂: β, σ, conditional modes and SDs on the original scale
    const e = denseRelmatEvaluate(gram, factors, extra, ref.theta);
    const sigma = Math.sqrt(e.pwrss / (ref.reml ? frame.n - frame.p : frame.n));
    expect(Math.abs(sigma - ref.sigma) / ref.sigma).toBeLessThan(1e-6);
    frame.xnames.forEach((nm, j) => expect(Math.abs(e.beta[j] - ref.fixef[nm]) / Math.abs(ref.fixef[nm])).toBeLessThan(1e-6));
    for (const rr of ref.ranef) {
      const k = blocks.findIndex((b) => b.group === rr.group);
      const q = blocks[k].q;
      const pos = new Map(levelsExt[k].map((l, i) => [l, i]));
      Object.keys(rr.values).forEach((cn, s) => {
        rr.levels.forEach((lev, g) => {
          const i = pos.get(lev)!;
          expect(Math.abs(e.b[k][i * q + s] - rr.values[cn][g])).toBeLessThan(1e-6);
          expect(Math.abs(sigma * Math.sqrt(e.vdiag[k][i * q + s]) - rr.condsd[cn][g])).toBeLessThan(1e-6);
        });
      });
    }
    if (ref.pedigree_animals) {
      // every animal of the pedigree, the 14 founders without records included
      const k = blocks.findIndex((b) => b.group === 'animal');
      const pos = new Map(levelsExt[k].map((l, i) => [l, i]));
      ref.pedigree_animals.levels.forEach((lev, g) => {
        const i = pos.get(lev)!;
        expect(Math.abs(e.b[k][i] - ref.pedigree_animals!.values[g])).toBeLessThan(1e-6);
        expect(Math.abs(sigma * Math.sqrt(e.vdiag[k][i]) - ref.pedigree_animals!.condsd[g])).toBeLessThan(1e-6);
      });
    }
  });
});
