/**
 * The first pass of an out-of-core fit: from per-cell moments to the fixed-effects transform.
 *
 * A cell is a combination of the values of the factors that the model matrices use (for
 * `y ~ f * x + (x | g)`: the levels of f). Inside a cell every column of X is c_j · u_j, with
 * c_j ∈ {0, 1} fixed by the cell and u_j a product of numeric variables (a "monomial"). So per cell
 * the count n, the sums Σu of the monomials and the centred co-moments
 *   M_ab = Σ (u_a − ū_a)(u_b − ū_b)
 * of X's monomials and the working response y' = y − offset determine, by Chan's parallel formula,
 *   mean_j = Σ_cells c_j Σu_j / N,
 *   C_jk   = Σ_cells [ c_j c_k M_jk + n (c_j ū_j − mean_j)(c_k ū_k − mean_k) ]  = X_cᵀX_c,
 * and likewise X_cᵀy'. These give what src/model/fixedTransform.ts computes from the rows:
 *   the columns R's rank check drops (Gram–Schmidt residual ‖r_j‖ ≤ 1e-7 ‖x_j‖, in column order;
 *   with an intercept ‖r_j‖² is the Schur complement in C and ‖x_j‖² = C_jj + N mean_j²),
 *   the column means and β₀ (least squares of y' on X_c: β₀ = ȳ' for the intercept,
 *   C⁻¹ X_cᵀy' for the rest, whose centred columns are orthogonal to the intercept),
 * and the means of the random-effects columns that a centred block subtracts (src/model/lambda.ts).
 * Every engine (SQL, a stream of batches) returns the same CellTable; this module is pure.
 */
import { choleskyInPlace, solveLower, solveLowerT } from '../linalg/dense.js';
import {
  type DesignColumn, type FrameSpec, cellFactors, columnFactor, expandDesign, monoKey, partMonomials,
} from './frameSpec.js';
import { type LevelKey, type OrderedLevels, factorLevels } from './levels.js';
import { fixedVariables } from '../frame/covariates.js';

/** What the first pass computes, per moment variable and pair. */
export interface MomentPlan {
  spec: FrameSpec;
  /** the factor variables that define cells */
  cellFactors: string[];
  /** monomials of X and of the random terms' left-hand sides (variable v < monos.length) */
  monos: string[][];
  /** the working response y' is variable monos.length */
  response: number;
  /** the response y itself is variable monos.length + 1 (its total sum of squares: lmer's exact-fit check) */
  y: number;
  /** number of variables: monomials, y', y */
  nvars: number;
  /** pairs (a ≤ b) of variables whose centred co-moments are summed: X's monomials and y' */
  pairs: [number, number][];
  /**
   * the fixed part's numeric data columns (`z` of `log(z)`; frame/covariates.ts fixedVariables less
   * the factors): per cell their sum, min and max, for emmeans's reference grid (./gridCells.ts)
   */
  covariates: string[];
}

export function momentPlan(spec: FrameSpec): MomentPlan {
  const fixedMonos = partMonomials([spec.formula.fixed], spec);
  const monos = partMonomials([spec.formula.fixed, ...spec.formula.random.map((r) => r.lhs)], spec);
  const response = monos.length;
  const index = new Map(monos.map((m, k) => [monoKey(m), k] as const));
  const co = [...fixedMonos.map((m) => index.get(monoKey(m))!), response];
  const pairs: [number, number][] = [];
  for (let a = 0; a < co.length; a++) for (let b = a; b < co.length; b++) pairs.push([co[a], co[b]]);
  const y = response + 1;
  pairs.push([y, y]);
  // the columns memory reads as factors are not covariates: text and boolean columns (factors, or only
  // compared with a level: `f2` of `I(f2 == "lo")`) and those named in `factors`; a numeric column is
  // one also where the formula reads it as factor(x) (memory's too: emmeans's grid maps it to the factor);
  // interaction()'s components are read as factors
  const factorColumns = new Set([...[...spec.factors.values()].flatMap((f) => f.interaction?.parts ?? [f]), ...spec.levelTests].filter((f) => f.kind !== 'numeric').map((f) => f.column).concat(spec.asFactors));
  const covariates = fixedVariables(spec.formula).filter((name) => !factorColumns.has(name));
  return { spec, cellFactors: cellFactors(spec), monos, response, y, nvars: monos.length + 2, pairs, covariates };
}

/** The first pass's result: one entry per cell (and per cell of incomplete rows, flagged). */
export interface CellTable {
  /** 1: the cell's rows are complete (used); 0: rows dropped for missing values */
  ok: Uint8Array;
  /** the cell factors' keys: keys[f][cell] (null: missing) */
  keys: (LevelKey | null)[][];
  /** rows per cell */
  n: Float64Array;
  /** Σ v per variable (monomials, then y', then y): sums[v][cell] */
  sums: Float64Array[];
  /** Σ (v_a − v̄_a)(v_b − v̄_b) per plan pair: comoments[pair][cell] */
  comoments: Float64Array[];
  /** with prior weights: Σ log w, the number of weights ≤ 0 and the smallest weight, per cell */
  logW?: Float64Array;
  badW?: Float64Array;
  minW?: Float64Array;
  /** per plan covariate: its sum, min and max per cell (and, where the engine knows it, whether the cell has a third value) */
  covariates?: CovariateCells[];
}

/** A covariate's per-cell statistics (ok cells: over the rows used). */
export interface CovariateCells {
  sum: Float64Array;
  min: Float64Array;
  max: Float64Array;
  /**
   * 1: the cell has a value other than its min and max (a stream tracks it exactly); absent (SQL):
   * not known per cell, settled by one count over the rows (./gridCells.ts)
   */
  many?: Uint8Array;
}

/**
 * Cells with the same keys merged (an engine's partial results, e.g. one per shard): counts and sums
 * add, co-moments by Chan's formula M = M₁ + M₂ + (n₁n₂/n)(ū_a1 − ū_a2)(ū_b1 − ū_b2), weights' minima.
 */
export function mergeCells(plan: MomentPlan, t: CellTable): CellTable {
  const index = new Map<string, number>();
  const rows: number[] = [];
  const n: number[] = [];
  const sums = t.sums.map(() => [] as number[]);
  const co = t.comoments.map(() => [] as number[]);
  const logW: number[] = [], badW: number[] = [], minW: number[] = [];
  const cov = (t.covariates ?? []).map((x) => ({ sum: [] as number[], min: [] as number[], max: [] as number[], many: x.many ? [] as number[] : null }));
  for (let c = 0; c < t.n.length; c++) {
    const key = JSON.stringify([t.ok[c], ...t.keys.map((k) => k[c])]);
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, rows.length);
      rows.push(c);
      n.push(t.n[c]);
      sums.forEach((s, v) => s.push(t.sums[v][c]));
      co.forEach((m, k) => m.push(t.comoments[k][c]));
      if (t.logW) { logW.push(t.logW[c]); badW.push(t.badW![c]); minW.push(t.minW![c]); }
      cov.forEach((m, k) => {
        const x = t.covariates![k];
        m.sum.push(x.sum[c]); m.min.push(x.min[c]); m.max.push(x.max[c]); m.many?.push(x.many![c]);
      });
      continue;
    }
    const n1 = n[at], n2 = t.n[c], nn = n1 + n2;
    plan.pairs.forEach(([a, b], k) => {
      const da = sums[a][at] / n1 - t.sums[a][c] / n2;
      const db = sums[b][at] / n1 - t.sums[b][c] / n2;
      co[k][at] += t.comoments[k][c] + (n1 * n2 / nn) * da * db;
    });
    sums.forEach((s, v) => { s[at] += t.sums[v][c]; });
    n[at] = nn;
    if (t.logW) { logW[at] += t.logW[c]; badW[at] += t.badW![c]; minW[at] = Math.min(minW[at], t.minW![c]); }
    // covariates: sums add, extremes merge; a merged cell has a third value where a part has one or
    // the parts' values (each within its min and max) are more than two together
    cov.forEach((m, k) => {
      const x = t.covariates![k];
      if (m.many) {
        const values = new Set([m.min[at], m.max[at], x.min[c], x.max[c]]);
        m.many[at] = m.many[at] || x.many![c] || values.size > 2 ? 1 : 0;
      }
      m.sum[at] += x.sum[c];
      m.min[at] = Math.min(m.min[at], x.min[c]);
      m.max[at] = Math.max(m.max[at], x.max[c]);
    });
  }
  if (rows.length === t.n.length) return t;
  return {
    ok: Uint8Array.from(rows, (c) => t.ok[c]),
    keys: t.keys.map((k) => rows.map((c) => k[c])),
    n: Float64Array.from(n),
    sums: sums.map((s) => Float64Array.from(s)),
    comoments: co.map((m) => Float64Array.from(m)),
    ...(t.logW ? { logW: Float64Array.from(logW), badW: Float64Array.from(badW), minW: Float64Array.from(minW) } : {}),
    ...(t.covariates ? {
      covariates: cov.map((m) => ({
        sum: Float64Array.from(m.sum), min: Float64Array.from(m.min), max: Float64Array.from(m.max), ...(m.many ? { many: Uint8Array.from(m.many) } : {}),
      })),
    } : {}),
  };
}

/** The model frame's shape and the fixed-effects transform, from the first pass. */
export interface FrameSummary {
  plan: MomentPlan;
  /** rows used, rows in the input, rows dropped (na.omit) */
  n: number;
  nInput: number;
  nDropped: number;
  /** the cell factors' levels (after na.omit) */
  levels: Map<string, OrderedLevels>;
  /** X's columns kept by the rank check */
  xcols: DesignColumn[];
  xnames: string[];
  p: number;
  /** column means subtracted (0 at the intercept and without one) */
  means: Float64Array;
  intercept: number;
  /** β₀, least squares of y' on X_c */
  beta0: Float64Array;
  /** Σ log w_i (0 without weights) */
  sumLogW: number;
  /** Σ (y_i − ȳ)² of the response (lmer's check that the fit is not exact is relative to it) */
  responseSS: number;
  /** notes as the in-memory frame gives them */
  messages: string[];
  /** the mean over the used rows of a column of a model matrix */
  meanOf(col: DesignColumn): number;
  /** the random terms' model-matrix columns, in the order written */
  zcols: DesignColumn[][];
  /** with columns dropped by the rank check: the full design's XᵀX = C + N m mᵀ (emmeans's estimability) */
  fullCrossProduct: { names: string[]; XtX: Float64Array } | null;
}

/** Rows of a cell table in which `pred` holds, summed (Neumaier). */
function sumOver(vals: Float64Array, use: (c: number) => boolean): number {
  let s = 0;
  let comp = 0;
  for (let c = 0; c < vals.length; c++) {
    if (!use(c)) continue;
    const v = vals[c];
    const t = s + v;
    comp += Math.abs(s) >= Math.abs(v) ? (s - t) + v : (v - t) + s;
    s = t;
  }
  return s + comp;
}

/** Rank check tolerance of src/frame/modelMatrix.ts dropRankDeficient (on norms). */
const RANK_TOL = 1e-7;

export function summarizeFrame(plan: MomentPlan, cells: CellTable, nInput: number): FrameSummary {
  const { spec } = plan;
  if (nInput === 0) throw new Error('the data have no rows');
  const ncell = cells.n.length;
  const okCells: number[] = [];
  for (let c = 0; c < ncell; c++) if (cells.ok[c]) okCells.push(c);
  const isOk = (c: number) => cells.ok[c] === 1;
  const N = sumOver(cells.n, isOk);
  const nDropped = nInput - N;
  if (N === 0) throw new Error(`no complete rows: all ${nInput} rows have a missing (null/NaN) value in a variable of the formula`);

  // levels of the cell factors, and each cell's level per factor
  const levels = new Map<string, OrderedLevels>();
  const cellLevel = new Map<string, Int32Array>();
  plan.cellFactors.forEach((f, fi) => {
    const keys = cells.keys[fi];
    const present: LevelKey[] = [];
    const others: LevelKey[] = [];
    for (let c = 0; c < ncell; c++) {
      const k = keys[c];
      if (k === null) continue;
      (cells.ok[c] ? present : others).push(k);
    }
    const lv = factorLevels(spec.factors.get(f)!, f, present, others, spec.levelOrder);
    levels.set(f, lv);
    cellLevel.set(f, Int32Array.from(keys, (k) => (k === null ? -1 : (lv.index.get(k) ?? -1))));
  });
  const levelsOf = (f: string) => levels.get(f)!.labels;
  // a column's constant in cell c: its indicators and contrast weights at the cell's levels
  const at = (col: DesignColumn, c: number) => columnFactor(col, (f) => cellLevel.get(f)![c]);

  // moment variables
  const monoIndex = new Map(plan.monos.map((m, k) => [monoKey(m), k] as const));
  const varOf = (col: DesignColumn) => (col.mono.length === 0 ? -1 : monoIndex.get(monoKey(col.mono))!);
  const pairIndex = new Map<string, number>();
  plan.pairs.forEach(([a, b], k) => pairIndex.set(`${a},${b}`, k));
  const sumOf = (v: number, c: number) => (v < 0 ? cells.n[c] : cells.sums[v][c]);
  const comoment = (a: number, b: number, c: number) => {
    if (a < 0 || b < 0) return 0;
    const k = pairIndex.get(a <= b ? `${a},${b}` : `${b},${a}`);
    if (k === undefined) throw new Error(`internal: no co-moment of variables ${a} and ${b}`);
    return cells.comoments[k][c];
  };
  const meanOf = (col: DesignColumn) => {
    const v = varOf(col);
    return sumOver(Float64Array.from(okCells, (c) => at(col, c) * sumOf(v, c)), () => true) / N;
  };

  // the design and its centred cross-products (Chan's formula over cells)
  const all = expandDesign(spec.formula.fixed, spec, levelsOf, spec.contrasts);
  const P = all.length;
  const intercept0 = all.findIndex((c) => c.name === '(Intercept)');
  const vars = [...all.map(varOf), plan.response];
  const ind = okCells.map((c) => [...all.map((col) => at(col, c)), 1]);
  const mean = vars.map((v, j) => (j < P ? meanOf(all[j]) : sumOver(cells.sums[plan.response], isOk) / N));
  const P1 = P + 1;
  // C[j][k] for j, k over X's columns and y' (index P)
  const C = new Float64Array(P1 * P1);
  for (let j = 0; j < P1; j++) {
    for (let k = 0; k <= j; k++) {
      const terms = new Float64Array(okCells.length);
      okCells.forEach((c, i) => {
        const cj = ind[i][j], ck = ind[i][k];
        const n = cells.n[c];
        const uj = vars[j] < 0 ? 1 : cells.sums[vars[j]][c] / n;
        const uk = vars[k] < 0 ? 1 : cells.sums[vars[k]][c] / n;
        terms[i] = cj * ck * comoment(vars[j], vars[k], c) + n * (cj * uj - mean[j]) * (ck * uk - mean[k]);
      });
      C[j * P1 + k] = C[k * P1 + j] = sumOver(terms, () => true);
    }
  }
  const hasIntercept = intercept0 >= 0;
  // the matrix the rank check works on: C (residuals after the intercept) or the raw XᵀX = C + N m mᵀ
  const H = (j: number, k: number) => C[j * P1 + k] + (hasIntercept ? 0 : N * mean[j] * mean[k]);
  const norm0sq = (j: number) => C[j * P1 + j] + N * mean[j] * mean[j];
  const kept: number[] = [];
  const dropped: string[] = [];
  // L: Cholesky factor of H over the kept non-intercept columns, grown column by column
  const L: number[][] = [];
  for (let j = 0; j < P; j++) {
    if (j === intercept0) { kept.push(j); continue; }
    const basis = kept.filter((k) => k !== intercept0);
    const w = basis.map((k) => H(k, j));
    for (let a = 0; a < w.length; a++) {
      let s = w[a];
      for (let b = 0; b < a; b++) s -= L[a][b] * w[b];
      w[a] = s / L[a][a];
    }
    let r2 = H(j, j);
    for (const x of w) r2 -= x * x;
    const n0 = norm0sq(j);
    if (n0 === 0 || !(r2 > RANK_TOL * RANK_TOL * n0)) { dropped.push(all[j].name); continue; }
    L.push([...w, Math.sqrt(r2)]);
    kept.push(j);
  }
  const messages: string[] = [];
  if (nDropped > 0) messages.push(`${nDropped} of ${nInput} rows dropped for missing values (na.omit)`);
  messages.push(...spec.notes);
  if (dropped.length > 0) {
    messages.push(`fixed-effect model matrix is rank deficient so dropping ${dropped.length} column${dropped.length > 1 ? 's' : ''} / coefficient${dropped.length > 1 ? 's' : ''} (${dropped.join(', ')})`);
  }
  const p = kept.length;
  if (p > N) throw new Error(`more fixed effects (${p}) than observations (${N})`);
  const xcols = kept.map((j) => all[j]);
  const intercept = xcols.findIndex((c) => c.name === '(Intercept)');
  const means = Float64Array.from(kept, (j) => (hasIntercept && j !== intercept0 ? mean[j] : 0));

  // β₀: the least-squares coefficients of y' on X_c (fixedTransform.ts)
  const beta0 = new Float64Array(p);
  const rest = kept.map((j, pos) => ({ j, pos })).filter(({ j }) => j !== intercept0);
  if (hasIntercept) beta0[intercept] = mean[P];
  if (rest.length > 0) {
    const m = rest.length;
    const A = new Float64Array(m * m);
    const rhs = new Float64Array(m);
    rest.forEach(({ j }, a) => {
      for (let b = 0; b <= a; b++) A[a * m + b] = H(j, rest[b].j);
      rhs[a] = C[j * P1 + P] + (hasIntercept ? 0 : N * mean[j] * mean[P]);
    });
    choleskyInPlace(A, m, 'the fixed-effects cross-product matrix X\'X');
    solveLower(A, m, rhs);
    solveLowerT(A, m, rhs);
    rest.forEach(({ pos }, a) => { beta0[pos] = rhs[a]; });
  }

  // prior weights
  let sumLogW = 0;
  if (spec.weights) {
    const bad = sumOver(cells.badW!, isOk);
    if (bad > 0) {
      let min = Infinity;
      for (const c of okCells) min = Math.min(min, cells.minW![c]);
      throw new Error(`weights: '${spec.weights}' is ${min < 0 ? 'negative' : 'zero'} (${min}) in ${bad} row${bad > 1 ? 's' : ''}; a linear mixed model's prior weights must be > 0${min === 0 ? ' (lme4 accepts a zero weight but its deviance is then infinite: drop the row instead)' : ''}`);
    }
    sumLogW = sumOver(cells.logW!, isOk);
  }
  const zcols = spec.formula.random.map((r) => expandDesign(r.lhs, spec, levelsOf));
  // Σ (y − ȳ)² by Chan's formula over the cells
  const yMean = sumOver(cells.sums[plan.y], isOk) / N;
  const yPair = plan.pairs.findIndex(([a, b]) => a === plan.y && b === plan.y);
  const responseSS = sumOver(Float64Array.from(okCells, (c) => {
    const d = cells.sums[plan.y][c] / cells.n[c] - yMean;
    return cells.comoments[yPair][c] + cells.n[c] * d * d;
  }), () => true);
  // the full design's XᵀX = C + N m mᵀ (the uncentred cross-products), where the rank check dropped columns
  let fullCrossProduct: FrameSummary['fullCrossProduct'] = null;
  if (dropped.length > 0) {
    const XtX = new Float64Array(P * P);
    for (let j = 0; j < P; j++) for (let k = 0; k < P; k++) XtX[j * P + k] = C[j * P1 + k] + N * mean[j] * mean[k];
    fullCrossProduct = { names: all.map((c) => c.name), XtX };
  }
  return {
    plan, n: N, nInput, nDropped, levels, xcols, xnames: xcols.map((c) => c.name), p, means, intercept, beta0,
    sumLogW, responseSS, messages, meanOf, zcols, fullCrossProduct,
  };
}
