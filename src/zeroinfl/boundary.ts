/**
 * Fixed effects running to a boundary of a glmmTMB model (fit.ts): a linear combination of the zero model's
 * coefficients γ (or of the conditional model's β) drifting to ∓∞ on a set of rows E, where the likelihood's
 * supremum is approached but not attained:
 *   - the zero-inflation probability p → 0 on rows with no excess zeros (a hurdle's: rows with no zeros),
 *     or p → 1 on rows whose responses are all 0;
 *   - the conditional mean μ → 0 (log link) on rows whose responses are all 0; a binomial probability
 *     → 0 or 1 on rows of no successes or all successes (logit link).
 * glmmTMB's nlminb follows such a direction until its steps stall ("singular convergence (7)", or "relative
 * convergence" with coefficients of ±15…35 and SEs in the thousands); BOBYQA crawls along it to its
 * evaluation limit. The supremum is a limit along a direction d in coefficient space.
 *
 * What this file provides (the stages are pure; fit.ts runs them between its optimizer's runs):
 *   1. `boundaryCandidate`: at a point x, per linear predictor (cond, zi) the rows with s·η_i > η_trigger
 *      (s = −1: toward 0, +1: toward 1) whose responses allow that limit (above), E; F the other rows, and
 *      V = null(X_F) (eigenvectors of X_Fᵀ X_F with eigenvalue ≤ 1e-10 × the largest): the directions
 *      that leave every row of F unchanged. A row of E whose x_i has no component in V (its η is fixed by
 *      the rows of F) cannot move alone: it is returned to F. The step direction d ∈ V solves
 *      X_E d = s_E by least squares (on E; X_F d = 0 by construction), accepted when its residual is ~0
 *      (max |X_E d − s_E| < 1e-6): the rows are "representable", a union of cells of the design's rows.
 *      η_trigger = 5 (p = 0.0067): a trigger for the test of step 2, not the decision. A lower one tests
 *      more interior points (each rejected test costs BOBYQA a restart, ~2·nPar + 1 evaluations); a higher
 *      one waits for the drift, which is slow: in glmmTMB's zinbm3 (Salamanders) the first cell's logit p
 *      passes −5 after ~1,000 evaluations and −8 only after ~10,000.
 *   2. the test (fit.ts): steps of 2 in η along d (x + 2d, …) to min_E |η| ≥ 30 (p < 1e-13), each lowering
 *      the objective or leaving it within its noise (1e-11 relative); a step that raises it rejects the set
 *      (an interior optimum along d). Accepted: the rows are at the supremum's boundary to 1e-13 and V's
 *      directions (beyond earlier boundaries) join the boundary basis B.
 *   3. `complementBasis`: an orthonormal basis Q of B's orthogonal complement; fit.ts optimizes in x = x_b +
 *      Q z (BOBYQA, then Newton steps on QᵀHQ) and `projectedCovariance` forms Var(x̂) = Q (QᵀHQ)⁻¹ Qᵀ:
 *      the covariance conditional on the boundary. A coefficient e_k with ‖Bᵀe_k‖ > 1e-8 loads on a
 *      boundary direction: its estimate is unbounded (the value at |η| = 30 is arbitrary) and its row and
 *      column are NaN; a coefficient orthogonal to B has the variance of an estimable function, the same
 *      whatever complement is used (H B = 0 at the boundary), as glm's estimable contrasts under separation.
 *   4. `describeRows`: the rows named by the cells of the formula's factors when E is a union of whole cells
 *      (cells that cover every level of a factor merged: "spp = GP"), else by their count.
 * A random-effects SD at its boundary (log SD → −∞, fit.ts) is a unit vector of B, the same mechanism.
 */
import { symmetricEigen } from '../linalg/symmetricEigen.js';
import { spdInverse } from '../linalg/dense.js';
import type { FactorColumn } from '../frame/columns.js';
import type { ModelFrame } from '../frame/modelFrame.js';
import { condFixed, ziLinear } from './laplace.js';
import type { ZeroInflatedModel } from './model.js';

/** |η| above which a set of rows is tested as a boundary (step 1 of the header) */
export const ETA_TRIGGER = 5;
/** |η| the rows of an accepted set are stepped to: p or μ within e^−30 ≈ 1e-13 of the limit */
export const ETA_BOUNDARY = 30;

/** one linear predictor's fixed part: cond (β, from 0) or zi (γ, from p) */
export type BoundaryPart = 'cond' | 'zi';

export interface BoundaryCandidate {
  part: BoundaryPart;
  /** the rows newly at the boundary (E without rows of earlier boundaries), their limit's sign per row */
  rows: Int32Array;
  signs: Int8Array;
  /** the step direction in all nPar parameters: η moves by s_i per unit on E's rows, 0 on the others */
  d: Float64Array;
  /** orthonormal directions (nPar each) of V not in the earlier boundary basis */
  directions: Float64Array[];
  /** min over the new rows of |η| at the point tested */
  minAbsEta: number;
  /** a key of the row set (rejected sets are not retested until they drift further) */
  key: string;
}

/** the part's design (n × k, column-major), its first parameter and its fixed linear predictor at x */
function partDesign(model: ZeroInflatedModel, part: BoundaryPart, x: ArrayLike<number>): { X: Float64Array; k: number; from: number; eta: Float64Array } {
  if (part === 'cond') return { X: model.X, k: model.p, from: 0, eta: condFixed(model, Array.from({ length: model.p }, (_, j) => x[j])) };
  return { X: model.Xzi, k: model.pz, from: model.p, eta: ziLinear(model, Array.from({ length: model.pz }, (_, j) => x[model.p + j])) };
}

/**
 * The limit s (−1: toward 0, +1: toward 1) row i's response allows in a part's predictor, 0 for none:
 * zi: p → 0 always for a zero-inflated family, only for y > 0 for a hurdle (P(0) = p); p → 1 for y = 0.
 * cond: log link μ → 0 for y = 0 (not for a hurdle, whose zeros leave μ free); logit link (binomial,
 * betabinomial) → 0 for no successes, → 1 for all successes; beta, gaussian, Gamma: none.
 */
export function admissibleLimit(model: ZeroInflatedModel, part: BoundaryPart, i: number, eta: number): -1 | 0 | 1 {
  const y = model.y[i];
  if (part === 'zi') {
    if (eta < 0) return model.hurdle && y === 0 ? 0 : -1;
    return y === 0 ? 1 : 0;
  }
  if (model.link === 'log') return eta < 0 && y === 0 && !model.hurdle && (model.count || model.dist === 'tweedie') ? -1 : 0;
  if (model.binomial) return eta < 0 ? (y === 0 ? -1 : 0) : y === 1 ? 1 : 0;
  return 0;
}

/** k × k Gram matrix Σ_{i ∈ rows} x_i x_iᵀ of a column-major n × k design */
function gram(X: Float64Array, n: number, k: number, use: (i: number) => boolean): Float64Array {
  const G = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) if (use(i)) s += X[a * n + i] * X[b * n + i];
      G[a * k + b] = s;
      G[b * k + a] = s;
    }
  }
  return G;
}

/** orthonormal basis (columns, length k each) of the null space of a k × k symmetric PSD G */
function nullSpace(G: Float64Array, k: number): Float64Array[] {
  const { values, vectors } = symmetricEigen(G, k);
  const top = Math.max(values[0], 0);
  const out: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    if (values[j] <= 1e-10 * top) out.push(Float64Array.from({ length: k }, (_, r) => vectors[r * k + j]));
  }
  return out;
}

/** v minus its projection on the orthonormal vectors B, normalized; null when nothing (≤ 1e-8) is left */
function orthogonalize(v: Float64Array, B: Float64Array[]): Float64Array | null {
  const w = Float64Array.from(v);
  for (let pass = 0; pass < 2; pass++) {
    for (const b of B) {
      let s = 0;
      for (let r = 0; r < w.length; r++) s += b[r] * w[r];
      for (let r = 0; r < w.length; r++) w[r] -= s * b[r];
    }
  }
  const norm = Math.hypot(...w);
  if (!(norm > 1e-8)) return null;
  for (let r = 0; r < w.length; r++) w[r] /= norm;
  return w;
}

/**
 * Step 1 of the header at x: the first part (cond, then zi) with rows beyond ±η_trigger not yet at a
 * boundary, representable as a direction; null when there is none. `atBoundary` marks rows of accepted
 * sets per part; `basis` is the boundary basis B so far (orthonormal, nPar each); `skip(key, minAbsEta)`
 * says whether to pass over a set (rejected earlier and not drifted further).
 */
export function boundaryCandidate(
  model: ZeroInflatedModel, x: ArrayLike<number>, atBoundary: Record<BoundaryPart, Uint8Array>, basis: Float64Array[],
  skip: (key: string, minAbsEta: number) => boolean,
): BoundaryCandidate | null {
  const n = model.n;
  for (const part of ['cond', 'zi'] as const) {
    const { X, k, from, eta } = partDesign(model, part, x);
    if (k === 0) continue;
    const s = new Int8Array(n);
    let any = false;
    for (let i = 0; i < n; i++) {
      const lim = atBoundary[part][i] ? Math.sign(eta[i]) : Math.abs(eta[i]) > ETA_TRIGGER ? admissibleLimit(model, part, i, eta[i]) : 0;
      s[i] = lim;
      if (lim !== 0 && !atBoundary[part][i]) any = true;
    }
    if (!any) continue;
    // V = null(X_Fᵀ X_F); rows of E with x_iᵀV = 0 returned to F (their η is fixed by F's rows), repeated
    let V: Float64Array[] = [];
    for (let round = 0; round < 3; round++) {
      V = nullSpace(gram(X, n, k, (i) => s[i] === 0), k);
      let moved = false;
      for (let i = 0; i < n; i++) {
        if (s[i] === 0) continue;
        let m = 0;
        for (const v of V) { let t = 0; for (let a = 0; a < k; a++) t += X[a * n + i] * v[a]; m = Math.max(m, Math.abs(t)); }
        if (m < 1e-8) { s[i] = 0; moved = true; }
      }
      if (!moved) break;
    }
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (s[i] !== 0 && !atBoundary[part][i]) rows.push(i);
    if (rows.length === 0 || V.length === 0) continue;
    // d = V c, c the least-squares solution of (X_E V) c = t_E: t = s on the new rows, 0 on earlier boundaries'
    const m = V.length;
    const A = new Float64Array(m * m), rhs = new Float64Array(m);
    const XV = (i: number) => V.map((v) => { let t = 0; for (let a = 0; a < k; a++) t += X[a * n + i] * v[a]; return t; });
    const target = (i: number) => (atBoundary[part][i] ? 0 : s[i]);
    for (let i = 0; i < n; i++) {
      if (s[i] === 0) continue;
      const r = XV(i);
      for (let a = 0; a < m; a++) { rhs[a] += r[a] * target(i); for (let b = 0; b < m; b++) A[a * m + b] += r[a] * r[b]; }
    }
    let inv: Float64Array;
    try { inv = spdInverse(A, m, 'the boundary rows\' design').inv; } catch { continue; }
    const c = Float64Array.from({ length: m }, (_, a) => { let t = 0; for (let b = 0; b < m; b++) t += inv[a * m + b] * rhs[b]; return t; });
    const dk = new Float64Array(k);
    V.forEach((v, j) => { for (let a = 0; a < k; a++) dk[a] += c[j] * v[a]; });
    let resid = 0;
    for (let i = 0; i < n; i++) {
      if (s[i] === 0) continue;
      let t = 0;
      for (let a = 0; a < k; a++) t += X[a * n + i] * dk[a];
      resid = Math.max(resid, Math.abs(t - target(i)));
    }
    if (!(resid < 1e-6)) continue;
    const d = new Float64Array(model.nPar);
    d.set(dk, from);
    const directions: Float64Array[] = [];
    const known = [...basis];
    for (const v of V) {
      const full = new Float64Array(model.nPar);
      full.set(v, from);
      const w = orthogonalize(full, known);
      if (w) { directions.push(w); known.push(w); }
    }
    if (directions.length === 0) continue;
    const key = `${part}:${rows.join(',')}`;
    const minAbsEta = Math.min(...rows.map((i) => Math.abs(eta[i])));
    if (skip(key, minAbsEta)) continue;
    return { part, rows: Int32Array.from(rows), signs: Int8Array.from(rows, (i) => s[i]), d, directions, minAbsEta, key };
  }
  return null;
}

/** min over the rows of |η| of a part at x */
export function minAbsEta(model: ZeroInflatedModel, part: BoundaryPart, rows: ArrayLike<number>, x: ArrayLike<number>): number {
  const { eta } = partDesign(model, part, x);
  let m = Infinity;
  for (let j = 0; j < rows.length; j++) m = Math.min(m, Math.abs(eta[rows[j]]));
  return m;
}

/** An orthonormal basis Q (nx × (nx − |B|), column-major per column) of the orthogonal complement of the orthonormal B. */
export function complementBasis(B: Float64Array[], nx: number): Float64Array[] {
  const P = new Float64Array(nx * nx);
  for (const b of B) for (let r = 0; r < nx; r++) for (let c = 0; c < nx; c++) P[r * nx + c] += b[r] * b[c];
  const { values, vectors } = symmetricEigen(P, nx);
  const Q: Float64Array[] = [];
  for (let j = 0; j < nx; j++) if (values[j] < 0.5) Q.push(Float64Array.from({ length: nx }, (_, r) => vectors[r * nx + j]));
  return Q;
}

/** QᵀMQ (m × m, row-major) of a row-major nx × nx M */
export function projectSymmetric(M: ArrayLike<number>, Q: Float64Array[], nx: number): Float64Array {
  const m = Q.length;
  const MQ = Q.map((q) => Float64Array.from({ length: nx }, (_, r) => { let s = 0; for (let c = 0; c < nx; c++) s += M[r * nx + c] * q[c]; return s; }));
  const out = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) { let s = 0; for (let r = 0; r < nx; r++) s += Q[a][r] * MQ[b][r]; out[a * m + b] = s; }
  return out;
}

/** the parameters loading on the boundary basis (‖Bᵀe_k‖ > 1e-8): unbounded estimates */
export function loadedParameters(B: Float64Array[], nx: number): boolean[] {
  return Array.from({ length: nx }, (_, k) => Math.hypot(...B.map((b) => b[k])) > 1e-8);
}

/**
 * Var(x̂) = Q (QᵀHQ)⁻¹ Qᵀ (row-major nx × nx), Q the complement of B, with NaN in the rows and columns of
 * the parameters that load on B; H⁻¹ when B is empty. Throws (spdInverse's error) when QᵀHQ is not
 * positive definite.
 */
export function projectedCovariance(H: ArrayLike<number>, nx: number, B: Float64Array[]): Float64Array {
  if (B.length === 0) return spdInverse(H, nx, 'the Hessian').inv;
  const Q = complementBasis(B, nx);
  const m = Q.length;
  const inv = spdInverse(projectSymmetric(H, Q, nx), m, 'the Hessian').inv;
  const loaded = loadedParameters(B, nx);
  const V = new Float64Array(nx * nx);
  for (let r = 0; r < nx; r++) {
    for (let c = 0; c < nx; c++) {
      if (loaded[r] || loaded[c]) { V[r * nx + c] = NaN; continue; }
      let s = 0;
      for (let a = 0; a < m; a++) { const qa = Q[a][r]; if (qa === 0) continue; for (let b = 0; b < m; b++) s += qa * inv[a * m + b] * Q[b][c]; }
      V[r * nx + c] = s;
    }
  }
  return V;
}

/** the factor columns of a frame's fixed part (the variables of its terms that are factors) */
function fixedFactors(frame: ModelFrame): [string, FactorColumn][] {
  const out: [string, FactorColumn][] = [];
  const seen = new Set<string>();
  for (const t of frame.formula.fixed.terms) {
    for (const v of t.vars) {
      const col = frame.columns.get(v.label);
      if (col?.kind === 'factor' && !seen.has(v.label)) { seen.add(v.label); out.push([v.label, col]); }
    }
  }
  return out;
}

/**
 * The rows named by the cells of the frame's fixed-part factors when they are a union of whole cells
 * ("spp = GP, mined = no (48 rows)"; cells covering every level of a factor merged, "spp = GP (92 rows)"),
 * else "N rows".
 */
export function describeRows(frame: ModelFrame, rows: ArrayLike<number>): string {
  const count = `${rows.length} row${rows.length === 1 ? '' : 's'}`;
  const factors = fixedFactors(frame);
  if (factors.length === 0) return count;
  const cellOf = (i: number) => factors.map(([, f]) => f.codes[i]).join(',');
  const inSet = new Set(Array.from(rows, (i) => i));
  const cellRows = new Map<string, number>();
  for (let i = 0; i < frame.n; i++) cellRows.set(cellOf(i), (cellRows.get(cellOf(i)) ?? 0) + 1);
  const cells = new Map<string, number>();
  for (const i of inSet) cells.set(cellOf(i), (cells.get(cellOf(i)) ?? 0) + 1);
  for (const [c, m] of cells) if (cellRows.get(c) !== m) return count;
  // cells as code tuples (−1: any level), merged over a factor when every level occurring with the others is there
  let groups = [...cells].map(([c, m]) => ({ codes: c.split(',').map(Number), m }));
  factors.forEach(([, f], j) => {
    const by = new Map<string, typeof groups>();
    for (const g of groups) { const key = g.codes.map((v, l) => (l === j ? '*' : v)).join(','); by.set(key, [...(by.get(key) ?? []), g]); }
    const next: typeof groups = [];
    for (const gs of by.values()) {
      const levels = new Set(gs.map((g) => g.codes[j]));
      const total = gs.reduce((a, g) => a + g.m, 0);
      // every level of the factor present in the data with these other values is in the set
      const possible = new Set<number>();
      for (let i = 0; i < frame.n; i++) if (factors.every(([, h], l) => l === j || gs[0].codes[l] === -1 || h.codes[i] === gs[0].codes[l])) possible.add(f.codes[i]);
      if (gs.length > 1 && levels.size === possible.size && !levels.has(-1)) next.push({ codes: gs[0].codes.map((v, l) => (l === j ? -1 : v)), m: total });
      else next.push(...gs);
    }
    groups = next;
  });
  const name = (g: { codes: number[]; m: number }) => {
    const parts = factors.flatMap(([label, f], j) => (g.codes[j] === -1 ? [] : [`${label} = ${f.levels[g.codes[j]]}`]));
    return `${parts.length ? parts.join(', ') : 'all'} (${g.m} row${g.m === 1 ? '' : 's'})`;
  };
  return groups.map(name).join('; ');
}

/** what tends to which limit, in words, for a part and sign */
export function limitWords(model: ZeroInflatedModel, part: BoundaryPart, sign: number): string {
  if (part === 'zi') return `${model.hurdle ? 'zero (hurdle) probability' : 'zero-inflation probability'} → ${sign < 0 ? 0 : 1}`;
  if (model.binomial) return `conditional probability → ${sign < 0 ? 0 : 1}`;
  return 'conditional mean → 0';
}
