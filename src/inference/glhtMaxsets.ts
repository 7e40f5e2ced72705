/**
 * The logical constraints of Shaffer's and Westfall's step-down tests (multcomp 1.4-22's maxsets): with the
 * hypotheses' rows c_1 … c_k of K ordered most significant first, step j's maximal sets are the largest sets
 * S ⊆ {j, …, k} with j ∈ S whose hypotheses can all be true while every earlier one is false, that is
 *   c_i ∉ span{c_s : s ∈ S}   for every i < j                                    (multcomp's checkCS)
 * (at step 1 only the full set). A set closed under the span (S = {s ≥ j : c_s ∈ span(S)}) is a flat of the
 * rows' linear matroid, and every maximal S is one, so
 *   maxsets        searches the flats: from cl({j}) it adds one more allowed row and closes again,
 *                  cl(S ∪ {e}) = the rows whose residual after projection on span(S ∪ {e}) is 0, until no
 *                  row can be added without taking an earlier one in (a maximal set). Each flat is kept
 *                  once; the residuals of all k rows are updated by one Gram–Schmidt direction per added
 *                  row, r_i ← r_i − (r_iᵀu) u with u = r_e/‖r_e‖, so a closure costs O(k p). For all-pairwise
 *                  comparisons of g levels the flats are the partitions of the levels (a true set of
 *                  differences μ_a − μ_b = 0 makes its levels' classes equal): Bell(g) of them, 203 for g = 6,
 *                  877 for g = 7, 4140 for g = 8, against multcomp's 2^(k−1) subsets (k = g(g−1)/2).
 *   maxsetsExhaustive  multcomp's own search (allsubsets, checkCS with MPinv, rmsets), 2^(k−1) subsets: the
 *                  reference the flat search is tested against.
 * Both return per step the maximal sets (rmsets keeps the sets that are no subset of a later one; the flat
 * search returns exactly the maximal ones, which is all the step-down uses: a set's minimum adjusted p is its
 * most significant hypothesis's, j's, and grows with the set).
 */
import { pseudoInverse, symmetricEigen } from './eigen.js';

/** a residual's sum of squares at or below this is 0: the row is in the span (checkCS's colSums(tmp²) > ε) */
const IN_SPAN = Number.EPSILON;

/** the maximal sets of each step (0-based indices into Korder, each set ascending), by the flats' search */
export function maxsets(Korder: number[][]): number[][][] {
  const k = Korder.length;
  const out: number[][][] = [];
  for (let j = 0; j < k; j++) out.push(stepSets(Korder, j));
  return out;
}

interface Flat { members: Uint8Array; residual: Float64Array[] }

/** r_i ← r_i − (r_iᵀu) u for every row, u = r_e/‖r_e‖ (one Gram–Schmidt step: the projection on span(S ∪ {e})) */
function extend(flat: Flat, e: number): Flat {
  const re = flat.residual[e];
  const ss = re.reduce((s, v) => s + v * v, 0);
  if (ss <= IN_SPAN) { const members = flat.members.slice(); members[e] = 1; return close({ members, residual: flat.residual }); }
  const norm = Math.sqrt(ss);
  const u = re.map((v) => v / norm);
  const residual = flat.residual.map((r) => {
    let d = 0;
    for (let l = 0; l < r.length; l++) d += r[l] * u[l];
    return r.map((v, l) => v - d * u[l]);
  });
  return close({ members: flat.members.slice(), residual });
}

/** cl(S): every row whose residual is 0 joins the set */
function close(flat: Flat): Flat {
  flat.residual.forEach((r, i) => { if (r.reduce((s, v) => s + v * v, 0) <= IN_SPAN) flat.members[i] = 1; });
  return flat;
}

function stepSets(Korder: number[][], j: number): number[][] {
  const k = Korder.length;
  const forbidden = (f: Flat) => { for (let i = 0; i < j; i++) if (f.members[i]) return true; return false; };
  const start = extend({ members: new Uint8Array(k), residual: Korder.map((c) => Float64Array.from(c)) }, j);
  if (forbidden(start)) return [];
  const seen = new Set<string>();
  const key = (f: Flat) => f.members.join('');
  const found: number[][] = [];
  const stack: Flat[] = [start];
  seen.add(key(start));
  while (stack.length > 0) {
    const f = stack.pop()!;
    let maximal = true;
    for (let e = j + 1; e < k; e++) {
      if (f.members[e]) continue;
      const g = extend(f, e);
      if (forbidden(g)) continue;
      maximal = false;
      const kg = key(g);
      if (!seen.has(kg)) { seen.add(kg); stack.push(g); }
    }
    if (maximal) found.push(Array.from({ length: k }, (_, i) => i).filter((i) => f.members[i]));
  }
  // (sets in multcomp's order does not matter to the step-down's maximum; sorted for a stable result)
  return found.sort((a, b) => (a.length !== b.length ? b.length - a.length : a.join(',') < b.join(',') ? -1 : 1));
}

/**
 * the Moore–Penrose inverse of the Gram matrix CK CKᵀ (eigenvalues above √ε × the largest). MPinv(CK) keeps
 * CK's singular values above √ε × the largest, i.e. the Gram's eigenvalues above ε × the largest, but the
 * Gram's eigenvalues carry an absolute error of about ε × the largest, so that cut cannot tell a zero one
 * (a dependent row, e.g. the difference of two Tukey comparisons) from a small one; √ε can, and differs from
 * MPinv only for rows dependent to within 1e-4 … 1e-8 relative, which contrasts are not.
 */
function gramInverse(G: number[][]): number[][] {
  const n = G.length;
  const flat = Float64Array.from(G.flat());
  const top = Math.max(0, ...symmetricEigen(flat, n).values);
  const { inverse } = pseudoInverse(flat, n, top > 0 ? Math.sqrt(Number.EPSILON) * top : Infinity);
  return Array.from({ length: n }, (_, i) => Array.from(inverse.subarray(i * n, i * n + n)));
}

/** multcomp's allsubsets, maxsets (with checkCS) and rmsets: 2^(k−1) subsets at step 1 */
export function maxsetsExhaustive(Korder: number[][]): number[][][] {
  const k = Korder.length;
  const allsubsets = (S: number[]): number[][] => {
    if (S.length === 0) return [[]];
    if (S.length === 1) return [S.slice()];
    let ret: number[][] = S.map((s) => [s]);
    for (let i = 0; i < S.length - 1; i++) ret = ret.concat(allsubsets(S.slice(i + 1)).map((t) => [S[i], ...t]));
    return ret;
  };
  // checkCS: the set K can be true while every hypothesis before min(K) is false: none of those is in
  // the span of K's rows (R's C[, 1:(min(K) − 1)] is column 1 when min(K) = 1: then only the full set passes)
  const checkCS = (set: number[]): boolean => {
    if (set.length === k) return true;
    const first = Math.min(...set);
    const before = first === 0 ? [0] : Array.from({ length: first }, (_, i) => i);
    const CK = set.map((s) => Korder[s]);
    // residual of each earlier row after projection onto span(CK): r = c − CKᵀ (CK CKᵀ)⁺ CK c
    const Gi = gramInverse(CK.map((a) => CK.map((b) => a.reduce((s, v, l) => s + v * b[l], 0))));
    return before.every((j) => {
      const c = Korder[j];
      const proj = CK.map((a) => a.reduce((s, v, l) => s + v * c[l], 0));
      const w = Gi.map((row) => row.reduce((s, v, l) => s + v * proj[l], 0));
      let ss = 0;
      for (let l = 0; l < c.length; l++) { let r = c[l]; for (let a = 0; a < CK.length; a++) r -= w[a] * CK[a][l]; ss += r * r; }
      return ss > IN_SPAN;
    });
  };
  const rmsets = (sets: number[][]): number[][] => {
    if (sets.length === 1) return sets;
    return sets.filter((set, j) => j === sets.length - 1 || !sets.slice(j + 1).some((x) => set.every((s) => x.includes(s))));
  };
  const out: number[][][] = [];
  for (let j = 0; j < k; j++) {
    let tmp = allsubsets(Array.from({ length: k - j - 1 }, (_, i) => j + 1 + i)).map((t) => [j, ...t]);
    if (tmp.length > 1 || tmp[0].length > 1) tmp = [[j], ...tmp];
    out.push(rmsets(tmp.filter(checkCS)));
  }
  return out;
}
