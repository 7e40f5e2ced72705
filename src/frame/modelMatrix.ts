/**
 * R's model.matrix for a linear part of a formula: intercept, numeric columns, factors coded by
 * treatment contrasts (first level as reference) or by indicators, and interactions.
 */
import type { LinearPart, Term } from '../formula/types.js';
import type { Column } from './columns.js';

export interface DesignMatrix {
  /** column names as R prints them: `(Intercept)`, `x`, `serviceB`, `recipeB:temperature185` */
  names: string[];
  /** columns, each of length n */
  columns: Float64Array[];
}

/**
 * R's rule for coding a factor F inside a term T: F is coded by contrasts when the term T without F
 * (the empty term being the intercept) is in the model, and by one indicator per level otherwise.
 */
export function contrastCoded(term: Term, varIndex: number, part: LinearPart): boolean {
  const rest = term.vars.filter((_, k) => k !== varIndex).map((v) => v.label);
  if (rest.length === 0) return part.intercept;
  const key = [...rest].sort().join('\u0000');
  return part.terms.some((t) => t.vars.length === rest.length && t.vars.map((v) => v.label).sort().join('\u0000') === key);
}

/** Builds the design matrix; `columnOf(label)` gives the evaluated column of a term variable. */
export function modelMatrix(part: LinearPart, columnOf: (label: string) => Column, n: number): DesignMatrix {
  const names: string[] = [];
  const columns: Float64Array[] = [];
  if (part.intercept) {
    names.push('(Intercept)');
    columns.push(new Float64Array(n).fill(1));
  }
  for (const term of part.terms) {
    // each variable contributes a list of (name suffix, column) pieces; the term is their product,
    // first variable varying fastest (R's column order)
    let pieces: { name: string; col: Float64Array }[] = [{ name: '', col: new Float64Array(0) }];
    let first = true;
    term.vars.forEach((v, k) => {
      const c = columnOf(v.label);
      let own: { name: string; col: Float64Array }[];
      if (c.kind === 'numeric') {
        own = [{ name: v.label, col: c.values }];
      } else {
        const start = contrastCoded(term, k, part) ? 1 : 0;
        own = [];
        for (let l = start; l < c.levels.length; l++) {
          const col = new Float64Array(n);
          for (let i = 0; i < n; i++) col[i] = c.codes[i] === l ? 1 : 0;
          own.push({ name: v.label + c.levels[l], col });
        }
      }
      const next: { name: string; col: Float64Array }[] = [];
      for (const o of own) {
        for (const p of pieces) {
          if (first) { next.push(o); continue; }
          const col = new Float64Array(n);
          for (let i = 0; i < n; i++) col[i] = p.col[i] * o.col[i];
          next.push({ name: `${p.name}:${o.name}`, col });
        }
      }
      pieces = next;
      first = false;
    });
    for (const p of pieces) {
      names.push(p.name);
      columns.push(p.col);
    }
  }
  return { names, columns };
}

/**
 * Drops columns of X that are linear combinations of earlier ones (lme4 drops them with a message,
 * "fixed-effect model matrix is rank deficient so dropping N columns / coefficients").
 * Modified Gram–Schmidt in column order with relative tolerance `tol` on the residual norm.
 */
export function dropRankDeficient(X: DesignMatrix, tol = 1e-7): { kept: DesignMatrix; dropped: string[] } {
  const basis: Float64Array[] = [];
  const keptNames: string[] = [];
  const keptCols: Float64Array[] = [];
  const dropped: string[] = [];
  X.columns.forEach((col, j) => {
    const r = Float64Array.from(col);
    const norm0 = Math.sqrt(dot(r, r));
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        const c = dot(q, r);
        for (let i = 0; i < r.length; i++) r[i] -= c * q[i];
      }
    }
    const norm = Math.sqrt(dot(r, r));
    if (norm0 === 0 || norm <= tol * norm0) {
      dropped.push(X.names[j]);
      return;
    }
    for (let i = 0; i < r.length; i++) r[i] /= norm;
    basis.push(r);
    keptNames.push(X.names[j]);
    keptCols.push(col);
  });
  return { kept: { names: keptNames, columns: keptCols }, dropped };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
