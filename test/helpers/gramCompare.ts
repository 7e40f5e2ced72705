/**
 * Compares two Gram matrices entry by entry, each difference scaled by the Cauchy–Schwarz bound of
 * its entry, √(A_ii A_jj) (so a near-zero entry such as X_cᵀy_c is judged against its row and
 * column, not against itself); and the profiled objective of two Gram matrices at fixed θ.
 */
import type { GramMatrix } from '../../src/linalg/gram.js';
import { findInPattern } from '../../src/linalg/gram.js';
import { CpuBackend } from '../../src/backend/cpu/cpuBackend.js';
import { profiledDeviance } from '../../src/lmm/deviance.js';
import { expect } from 'vitest';
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import type { Table } from 'apache-arrow';
import { lmer } from '../../src/fit/lmer.js';
import { centreTransform } from '../../src/gram/fit.js';
import type { GramSourceResult } from '../../src/gram/source.js';
import { thetaToInternal } from '../../src/model/reparam.js';

/** max over entries of |a − b| / √(a_ii a_jj) (diagonals from `a`) */
export function gramDifference(a: GramMatrix, b: GramMatrix): number {
  if (a.n !== b.n || a.p !== b.p || a.blocks.length !== b.blocks.length) {
    throw new Error(`shapes differ: n ${a.n}/${b.n}, p ${a.p}/${b.p}, blocks ${a.blocks.length}/${b.blocks.length}`);
  }
  const p1 = a.p + 1;
  let worst = 0;
  const see = (x: number, y: number, scale: number, where: string) => {
    const d = Math.abs(x - y) / (scale > 0 ? scale : 1);
    if (!(d <= worst)) {
      worst = Number.isNaN(d) ? Infinity : d;
      lastWhere = `${where}: ${x} vs ${y}`;
    }
  };
  let lastWhere = '';
  const xx = (r: number) => a.AXX[r * p1 + r];
  for (let r = 0; r < p1; r++) for (let s = 0; s < p1; s++) see(a.AXX[r * p1 + s], b.AXX[r * p1 + s], Math.sqrt(xx(r) * xx(s)), `AXX[${r},${s}]`);
  a.blocks.forEach((blk, k) => {
    const bb = b.blocks[k];
    if (blk.nl !== bb.nl || blk.q !== bb.q || blk.group !== bb.group) throw new Error(`block ${k} differs: ${blk.group} ${blk.nl}×${blk.q} vs ${bb.group} ${bb.nl}×${bb.q}`);
    const q = blk.q;
    const dk = (c: number, s: number) => a.Akk[k][c * q * q + s * q + s];
    for (let c = 0; c < blk.nl; c++) {
      for (let s = 0; s < q; s++) for (let t = 0; t < q; t++) {
        const e = c * q * q + s * q + t;
        see(a.Akk[k][e], b.Akk[k][e], Math.sqrt(dk(c, s) * dk(c, t)), `A${k}${k}[${c}](${s},${t})`);
      }
      for (let r = 0; r < p1; r++) for (let s = 0; s < q; s++) {
        const e = r * blk.nl * q + c * q + s;
        see(a.AXk[k][e], b.AXk[k][e], Math.sqrt(xx(r) * dk(c, s)), `AX${k}[${r}][${c},${s}]`);
      }
    }
    for (let j = k + 1; j < a.blocks.length; j++) {
      const A = a.Ajk[j][k], B = b.Ajk[j][k];
      const qj = a.blocks[j].q;
      if (A.pattern.rowIdx.length !== B.pattern.rowIdx.length) throw new Error(`A${j}${k}: ${A.pattern.rowIdx.length} vs ${B.pattern.rowIdx.length} entries`);
      for (let col = 0; col < blk.nl; col++) {
        for (let e = A.pattern.colPtr[col]; e < A.pattern.colPtr[col + 1]; e++) {
          const row = A.pattern.rowIdx[e];
          const f = findInPattern(B.pattern, col, row);
          if (f < 0) throw new Error(`A${j}${k}: entry (${row}, ${col}) missing`);
          for (let s = 0; s < qj; s++) for (let t = 0; t < q; t++) {
            const dj = a.Akk[j][row * qj * qj + s * qj + s];
            see(A.values[e * qj * q + s * q + t], B.values[f * qj * q + s * q + t], Math.sqrt(dj * dk(col, t)), `A${j}${k}[${row},${col}](${s},${t})`);
          }
        }
      }
    }
  });
  gramDifference.where = lastWhere;
  return worst;
}
gramDifference.where = '';

/** the centring means of a model's blocks (src/model/reparam.ts: M = I − e₀ mᵀ), or null */
export function centresOf(model: { transforms: ({ M: Float64Array } | null)[]; blocks: { q: number }[] }): (Float64Array | null)[] {
  return model.transforms.map((t, k) => (t ? Float64Array.from({ length: model.blocks[k].q }, (_, s) => (s === 0 ? 0 : -t.M[s])) : null));
}

/** the profiled objective (REML or ML) of a Gram matrix at θ (internal parametrization) */
export function objectiveAt(g: GramMatrix, nTheta: number, theta: Float64Array, reml: boolean, sumLogW = 0): number {
  const be = new CpuBackend(g, nTheta, 'js');
  return profiledDeviance(be.evaluate(theta), g.n, g.p, reml, sumLogW);
}

/** What a Gram matrix's transform subtracted: X's column means and β₀ (fixedTransform.ts), each block's centring means (lambda.ts). */
export interface TransformParams {
  means: Float64Array;
  beta0: Float64Array;
  intercept: number;
  centres: (Float64Array | null)[];
}

/** C = Aᵀ B (A: r×a, B: r×b, row-major) */
function atb(A: Float64Array, B: Float64Array, r: number, a: number, b: number): Float64Array {
  const C = new Float64Array(a * b);
  for (let k = 0; k < r; k++) for (let i = 0; i < a; i++) {
    const x = A[k * a + i];
    if (x === 0) continue;
    for (let j = 0; j < b; j++) C[i * b + j] += x * B[k * b + j];
  }
  return C;
}

/** C = A B (A: r×k, B: k×c) */
function ab(A: Float64Array, B: Float64Array, r: number, k: number, c: number): Float64Array {
  const C = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let t = 0; t < k; t++) {
    const x = A[i * k + t];
    if (x === 0) continue;
    for (let j = 0; j < c; j++) C[i * c + j] += x * B[t * c + j];
  }
  return C;
}

/**
 * `g` (formed with transform `from`) re-expressed with transform `to`: the transform's parameters
 * are free (any means, any β₀ give the same model) and two engines round them differently, so a
 * Gram matrix is compared with another formed with the same parameters. [X_c y_c] and Z_c change
 * by unit-triangular maps M and N_k: X_c,to = X_c,from − 1 Δmᵀ, y_c,to = y_c,from + X_c,from
 * (β₀,from − β₀,to) + 1 (Δmᵀ β₀,to), Z_c,to[:, s] = Z_c,from[:, s] − Δm_s z_0; then A_XX → MᵀA_XX M,
 * A_Xk → MᵀA_Xk N_k, A_kk → N_kᵀA_kk N_k, A_jk → N_jᵀA_jk N_k (exact algebra, in float64).
 */
export function rebaseGram(g: GramMatrix, from: TransformParams, to: TransformParams): GramMatrix {
  const p = g.p, p1 = p + 1, int = from.intercept;
  const M = new Float64Array(p1 * p1);
  for (let j = 0; j < p1; j++) M[j * p1 + j] = 1;
  const dm = Float64Array.from(to.means, (m, j) => m - from.means[j]);
  if (int >= 0) for (let j = 0; j < p; j++) if (j !== int) M[int * p1 + j] = -dm[j];
  for (let j = 0; j < p; j++) M[j * p1 + p] += from.beta0[j] - to.beta0[j];
  if (int >= 0) {
    let s = 0;
    for (let j = 0; j < p; j++) s += dm[j] * to.beta0[j];
    M[int * p1 + p] += s;
  }
  const N = g.blocks.map((b, k) => {
    const q = b.q;
    const T = new Float64Array(q * q);
    for (let s = 0; s < q; s++) T[s * q + s] = 1;
    const a = from.centres[k], c = to.centres[k];
    if (a && c) for (let s = 1; s < q; s++) T[s] = -(c[s] - a[s]);
    return T;
  });
  const AXX = ab(atb(M, g.AXX, p1, p1, p1), M, p1, p1, p1);
  const Akk = g.blocks.map((b, k) => {
    const q = b.q, out = new Float64Array(b.nl * q * q);
    for (let c = 0; c < b.nl; c++) out.set(ab(atb(N[k], g.Akk[k].subarray(c * q * q, (c + 1) * q * q), q, q, q), N[k], q, q, q), c * q * q);
    return out;
  });
  const AXk = g.blocks.map((b, k) => {
    const q = b.q, m = b.nl * q;
    const left = atb(M, g.AXk[k], p1, p1, m);
    const out = new Float64Array(p1 * m);
    for (let c = 0; c < b.nl; c++) {
      const blk = new Float64Array(p1 * q);
      for (let r = 0; r < p1; r++) for (let s = 0; s < q; s++) blk[r * q + s] = left[r * m + c * q + s];
      const t = ab(blk, N[k], p1, q, q);
      for (let r = 0; r < p1; r++) for (let s = 0; s < q; s++) out[r * m + c * q + s] = t[r * q + s];
    }
    return out;
  });
  const Ajk = g.Ajk.map((row, j) => row.map((A, k) => {
    if (!A) return A;
    const qr = A.qr, qc = A.qc, nnz = A.pattern.rowIdx.length;
    const values = new Float64Array(A.values.length);
    for (let e = 0; e < nnz; e++) values.set(ab(atb(N[j], A.values.subarray(e * qr * qc, (e + 1) * qr * qc), qr, qr, qc), N[k], qr, qc, qc), e * qr * qc);
    return { ...A, values };
  }));
  return { ...g, AXX, Akk, AXk, Ajk };
}

/** |a − b| / max(|a|, |b|, 1): relative for large numbers, absolute below 1 (p values, means near 0) */
export const diff = (a: number, b: number) => (a === b || (Number.isNaN(a) && Number.isNaN(b)) ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1));

/** the largest difference over the numbers of two JSON values; strings, keys, nulls and shapes equal */
export function jsonDiff(a: unknown, b: unknown, path = ''): number {
  if (typeof a === 'number') {
    expect(typeof b, path).toBe('number');
    const d = diff(a, b as number);
    return Number.isNaN(d) ? Infinity : d;
  }
  if (Array.isArray(a)) {
    expect(Array.isArray(b), path).toBe(true);
    expect((b as unknown[]).length, path).toBe(a.length);
    return Math.max(0, ...a.map((x, i) => jsonDiff(x, (b as unknown[])[i], `${path}[${i}]`)));
  }
  if (a !== null && typeof a === 'object') {
    expect(Object.keys(b as object), path).toEqual(Object.keys(a));
    return Math.max(0, ...Object.entries(a).map(([k, v]) => jsonDiff(v, (b as Record<string, unknown>)[k], `${path}.${k}`)));
  }
  expect(b, path).toEqual(a);
  return 0;
}

function relative(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1e-300, Math.abs(a));
}

/** the largest differences between two fits: criterion (relative), θ (absolute, θ is of order 1), β (relative to its scale) */
export function fitDifferences(a: LmmFit, b: LmmFit): { criterion: number; theta: number; beta: number; sigma: number } {
  const betaScale = Math.max(...Array.from(a.beta, Math.abs), 1);
  return {
    criterion: relative(a.objective, b.objective),
    theta: Math.max(...Array.from(a.theta, (t, k) => Math.abs(t - b.theta[k]))),
    beta: Math.max(...Array.from(a.beta, (x, k) => Math.abs(x - b.beta[k]))) / betaScale,
    sigma: relative(a.sigma, b.sigma),
  };
}

/** lmer fits of one table with the engines' start (momentStart false), each formula fitted once */
export function memoryFits(table: Table): (formula: string) => Promise<LmmFit> {
  const fits = new Map<string, Promise<LmmFit>>();
  return (formula) => {
    if (!fits.has(formula)) fits.set(formula, lmer(formula, table, { momentStart: false }));
    return fits.get(formula)!;
  };
}

/**
 * An engine's lmer fit as the in-memory fit of the same rows, with the same fixed-effects columns: the
 * stream's (float64 passes over the same rows) criterion, θ and β within 1e-12; an SQL engine's criterion
 * within 1e-10, β within 1e-8 and θ within 1e-6 (test/gram/formulaParity.test.ts's)
 */
export function expectEngineFit(fit: LmmFit, mem: LmmFit, engine: 'stream' | 'sql'): void {
  expect(fit.model.frame.xnames).toEqual(mem.model.frame.xnames);
  const d = fitDifferences(mem, fit);
  const [criterion, beta, theta] = engine === 'stream' ? [1e-12, 1e-12, 1e-12] : [1e-10, 1e-8, 1e-6];
  expect(d.criterion).toBeLessThan(criterion);
  expect(d.beta).toBeLessThan(beta);
  expect(d.theta).toBeLessThan(theta);
}

/** lme4's REML criterion at its θ from an engine's A (the θ taken through the engine's centring), within 1e-8 relative */
export function expectObjectiveAt(res: GramSourceResult, at: { theta: number[]; value: number }): void {
  const th = thetaToInternal({ blocks: res.blocks, transforms: res.centres.map((m, k) => centreTransform(m, res.blocks[k].q)) }, at.theta);
  expect(Math.abs(objectiveAt(res.gram, res.theta.length, th, true) - at.value) / at.value).toBeLessThan(1e-8);
}
