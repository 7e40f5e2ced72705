/**
 * Compares two Gram matrices entry by entry, each difference scaled by the Cauchy–Schwarz bound of
 * its entry, √(A_ii A_jj) (so a near-zero entry such as X_cᵀy_c is judged against its row and
 * column, not against itself); and the profiled objective of two Gram matrices at fixed θ.
 */
import type { GramMatrix } from '../../src/model/gram.js';
import { findInPattern } from '../../src/model/gram.js';
import { CpuBackend } from '../../src/backend/cpu/cpuBackend.js';
import { profiledDeviance } from '../../src/model/objective.js';

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

/** the profiled objective (REML or ML) of a Gram matrix at θ (internal parametrization) */
export function objectiveAt(g: GramMatrix, nTheta: number, theta: Float64Array, reml: boolean, sumLogW = 0): number {
  const be = new CpuBackend(g, nTheta, 'js');
  return profiledDeviance(be.evaluate(theta), g.n, g.p, reml, sumLogW);
}
