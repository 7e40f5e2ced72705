/**
 * What lmerTest's anova hypotheses (typeI.ts, typeII.ts, typeIII.ts) read of the fixed-effects design
 * X (n × p): XᵀX (types I and II: the Doolittle factorization) and X⁺ R for columns R made from the
 * same variables (type III: X⁺ rdX). Two sources:
 *
 * - `rowDesign(frame)`: the model frame's rows (an in-memory fit);
 * - `gramDesign(...)`: a fit whose rows are in an SQL engine or a stream, from the A it formed and the
 *   term structure alone (no rows):
 *     XᵀX = C⁻ᵀ (X_cᵀX_c) C⁻¹   X_cᵀX_c the leading p × p block of A_XX, X_c = X C the fixed-effects
 *                               transform (src/model/fixedTransform.ts: C⁻¹ = I + e_int mᵀ, each
 *                               non-intercept column's mean m_j added back times the intercept column);
 *   A of a weighted fit holds XᵀWX, not XᵀX, so types I and II are refused there.
 *     X⁺ R: X's columns and R's are multilinear functions of the model's variables (a term is a product
 *     of distinct variables: numeric values and level indicators). Where R = X c holds identically in
 *     the variables, X⁺ R = c on any rows where X has full column rank, the fit's own included. c is
 *     found on a grid of design points — every combination of the factors' levels and two values per
 *     numeric variable, on which two multilinear functions that agree agree everywhere — and the
 *     identity checked there; where it fails (R not in X's span: lmerTest's X⁺ rdX then depends on the
 *     fit's rows, e.g. with aliased columns dropped), type III is refused with that reason.
 */
import { ModelError } from '../errors/errors.js';
import type { Column } from '../frame/columns.js';
import type { ModelFrame } from '../frame/modelFrame.js';
import { modelMatrix } from '../frame/modelMatrix.js';
import type { FixedTransform } from '../model/fixedTransform.js';

/** The columns R (each n long) that a hypothesis builds from the model's variables on n rows. */
export type ColumnsOf = (columnOf: (label: string) => Column, n: number) => Float64Array[];

export interface FixedDesign {
  /** XᵀX, p × p row-major */
  XtX(): Float64Array;
  /** X⁺ R, the least-squares coefficients of each column of R on X: p × r row-major */
  project(columns: ColumnsOf): Float64Array;
}

/** The design of the model frame's rows (X: n × p column-major). */
export function rowDesign(frame: Pick<ModelFrame, 'X' | 'n' | 'p' | 'columns'>): FixedDesign {
  return {
    XtX: () => crossprod(frame.X, frame.n, frame.p),
    project: (columns) => leastSquares(frame.X, frame.n, frame.p, columns((label) => frame.columns.get(label)!, frame.n)),
  };
}

/**
 * XᵀX (p × p row-major) from A's X_cᵀX_c block (`AXX`, (p + 1) × (p + 1) row-major) and the
 * fixed-effects transform X_c = X C: XᵀX = C⁻ᵀ (X_cᵀX_c) C⁻¹ with D = C⁻¹ = I + e_int mᵀ (D_jj = 1,
 * D_int,j = m_j). Without an intercept X_c = X and this is the block itself.
 */
export function uncentredCrossProducts(AXX: Float64Array, p: number, fixed: Pick<FixedTransform, 'means' | 'intercept'>): Float64Array {
  const { means, intercept } = fixed;
  const p1 = p + 1;
  const G = (a: number, b: number) => AXX[a * p1 + b];
  const out = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b <= a; b++) {
      let s = G(a, b);
      if (intercept >= 0) {
        const ma = a === intercept ? 0 : means[a], mb = b === intercept ? 0 : means[b];
        s += ma * G(intercept, b) + mb * G(a, intercept) + ma * mb * G(intercept, intercept);
      }
      out[a * p + b] = out[b * p + a] = s;
    }
  }
  return out;
}

/** The most points the type III grid may have, and points × (p + r) (its Gram–Schmidt is O(points p (p + r))). */
export const GRID_MAX_POINTS = 1_000_000;
export const GRID_MAX_CELLS = 20_000_000;

/**
 * The design of a fit whose rows are elsewhere (`where`: the engine and source, for messages), from
 * A's X_cᵀX_c block (`AXX`, (p + 1) × (p + 1) row-major), the fixed-effects transform and the frame's
 * fitted columns (the factors' levels).
 */
export function gramDesign(frame: Pick<ModelFrame, 'p' | 'columns' | 'formula' | 'xnames'>, fixed: Pick<FixedTransform, 'means' | 'intercept'>, AXX: Float64Array, weighted: boolean, where: string): FixedDesign {
  const p = frame.p;
  return {
    XtX: () => {
      if (weighted) throw new ModelError(`anova of type I or II: not available for this weighted fit, whose rows are in ${where}: its hypotheses are lmerTest's Doolittle factorization of the unweighted XᵀX, and the engine's A holds XᵀWX (type III, contrasts and the coefficient table are available; fit with the rows in memory for types I and II)`);
      return uncentredCrossProducts(AXX, p, fixed);
    },
    project: (columns) => {
      const { columnOf, n } = designGrid(frame, where);
      const design = modelMatrix(frame.formula.fixed, columnOf, n);
      const X = new Float64Array(n * p);
      frame.xnames.forEach((name, j) => X.set(design.columns[design.names.indexOf(name)], j * n));
      const R = columns(columnOf, n);
      if (n * (p + R.length) > GRID_MAX_CELLS) throw new ModelError(`anova of type III: not available for this fit, whose rows are in ${where}: its design grid (${n} points) is too large to find X⁺ rdX without the rows; fit with the rows in memory for it`);
      const c = leastSquares(X, n, p, R);
      // the identity R = X c on the grid (so on every row); else X⁺ R depends on the fit's rows
      const r = R.length;
      R.forEach((col, k) => {
        let scale = 0, worst = 0;
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < p; j++) s += X[j * n + i] * c[j * r + k];
          scale = Math.max(scale, Math.abs(col[i]));
          worst = Math.max(worst, Math.abs(s - col[i]));
        }
        if (!(worst <= 1e-9 * Math.max(1, scale))) throw new ModelError(`anova of type III: not available for this fit, whose rows are in ${where}: lmerTest's hypotheses need X⁺ rdX, and rdX is not in the span of X's columns (aliased columns dropped, or a term without its marginal terms), so it depends on the rows; fit with the rows in memory for it`);
      });
      return c;
    },
  };
}

/**
 * The grid of design points: every combination of the levels of the fixed part's factor variables and
 * the values 0 and 1 of each numeric one, the zero row and the unit rows of each matrix one (poly, ns,
 * bs) (the first variable varying fastest).
 */
function designGrid(frame: Pick<ModelFrame, 'columns' | 'formula'>, where: string): { columnOf: (label: string) => Column; n: number } {
  const labels = [...new Set(frame.formula.fixed.terms.flatMap((t) => t.vars.map((v) => v.label)))];
  const sizes = labels.map((label) => {
    const c = frame.columns.get(label);
    if (!c) throw new Error(`internal: no fitted column '${label}'`);
    // a matrix variable (poly, ns, bs) of m columns: the zero row and each unit row (m + 1 points, like a factor's levels)
    return c.kind === 'factor' ? c.levels.length : c.kind === 'matrix' ? c.columns.length + 1 : 2;
  });
  const n = sizes.reduce((a, b) => a * b, 1);
  if (!(n <= GRID_MAX_POINTS)) throw new ModelError(`anova of type III: not available for this fit, whose rows are in ${where}: its design grid (${n} points) is too large to find X⁺ rdX without the rows; fit with the rows in memory for it`);
  const grid = new Map<string, Column>();
  let stride = 1;
  labels.forEach((label, v) => {
    const size = sizes[v], s = stride;
    const code = (i: number) => Math.floor(i / s) % size;
    const c = frame.columns.get(label)!;
    grid.set(label, c.kind === 'factor'
      ? { kind: 'factor', codes: Int32Array.from({ length: n }, (_, i) => code(i)), levels: c.levels }
      : c.kind === 'matrix'
        ? { kind: 'matrix', columns: c.columns.map((_, k) => Float64Array.from({ length: n }, (_, i) => (code(i) === k + 1 ? 1 : 0))), colnames: c.colnames }
        : { kind: 'numeric', values: Float64Array.from({ length: n }, (_, i) => code(i)) });
    stride *= size;
  });
  return { columnOf: (label) => grid.get(label)!, n };
}

/** XᵀX (p × p row-major) of X (n × p column-major) */
export function crossprod(X: Float64Array, n: number, p: number): Float64Array {
  const XtX = new Float64Array(p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b <= a; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += X[a * n + i] * X[b * n + i];
    XtX[a * p + b] = XtX[b * p + a] = s;
  }
  return XtX;
}

/**
 * Least-squares coefficients of each column y of `ys` on X (n × p column-major, full column rank):
 * R⁻¹ Qᵀ y from modified Gram–Schmidt with reorthogonalization. Returns p × r row-major.
 */
export function leastSquares(X: Float64Array, n: number, p: number, ys: Float64Array[]): Float64Array {
  const Q: Float64Array[] = [];
  const R = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    const v = Float64Array.from(X.subarray(j * n, j * n + n));
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        const c = dot(Q[k], v);
        R[k * p + j] += c;
        for (let i = 0; i < n; i++) v[i] -= c * Q[k][i];
      }
    }
    const norm = Math.sqrt(dot(v, v));
    R[j * p + j] = norm;
    for (let i = 0; i < n; i++) v[i] /= norm;
    Q.push(v);
  }
  const r = ys.length;
  const out = new Float64Array(p * r);
  ys.forEach((y, c) => {
    const b = Q.map((q) => dot(q, y));
    for (let j = p - 1; j >= 0; j--) {
      let s = b[j];
      for (let k = j + 1; k < p; k++) s -= R[j * p + k] * out[k * r + c];
      out[j * r + c] = s / R[j * p + j];
    }
  });
  return out;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
