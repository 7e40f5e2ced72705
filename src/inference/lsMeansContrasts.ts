/**
 * The contrast matrices of lmerTest's least-squares means (lmerTest 3.1-3's lsmeans_contrasts), not
 * emmeans's:
 *
 *   grid = expand.grid(every factor of the fixed part at all its levels, every covariate at its mean)
 *   uX   = model.matrix(fixed formula, grid, the fit's contrasts)                (grid rows × p)
 *   for each factor term t (a term of factors only):
 *     Lt = model.matrix(~ 0 + t, grid) with treatment contrasts                  (one column per cell of t)
 *     L_t = diag(1 / colSums(Lt)) Ltᵀ uX                                         (cells × p)
 *
 * so a row of L_t is the average of uX's rows over the grid rows in its cell: every other factor's
 * levels weighted equally, the covariates at their means over the rows used. Its rows are named as
 * model.matrix names the cells ("Aa1:Bb2", the term's first variable varying fastest) and its columns
 * as uX's. With `pairwise` (lmerTest's get_pairs): the rows L_i − L_j, i < j in combn's order, named
 * "name_i - name_j".
 */
import { ModelError, OptionError } from '../errors/errors.js';
import type { Column, FactorColumn } from '../frame/columns.js';
import type { ModelFrame } from '../frame/modelFrame.js';
import { modelMatrix } from '../frame/modelMatrix.js';
import type { Term } from '../formula/types.js';

/** A named contrast matrix: rows L (of colNames.length entries) named rowNames, lmerTest's show_tests element. */
export interface NamedHypothesis {
  /** the term's label (`A`, `A:B`) */
  term: string;
  rowNames: string[];
  colNames: string[];
  L: number[][];
}

/** the columns (in memory or from the engine's first pass) and covariate summaries lsmeans_contrasts reads */
export type LsMeansFrame = Pick<ModelFrame, 'formula' | 'columns' | 'covariates' | 'contrasts'>;

/** lmerTest's factor terms (numeric_terms false): the fixed-effects terms whose variables are all factors */
export function factorTerms(frame: LsMeansFrame): Term[] {
  return frame.formula.fixed.terms.filter((t) => t.vars.every((v) => isFactor(frame.columns.get(v.label))));
}

const isFactor = (c: Column | undefined): c is FactorColumn => c?.kind === 'factor' && !c.logical;

/**
 * lmerTest's lsmeans_contrasts(model, which): one L per term of `which` (default: every factor term, in
 * the formula's order); naming a term that is not a factor term is lmerTest's error.
 */
export function lsMeansContrasts(frame: LsMeansFrame, which?: readonly string[]): NamedHypothesis[] {
  const part = frame.formula.fixed;
  const factors = factorTerms(frame);
  const labels = factors.map((t) => t.label);
  if (which !== undefined) {
    const bad = which.filter((w) => !labels.includes(w));
    if (bad.length > 0) {
      throw new OptionError('which', `all(which %in% factor_terms) is not TRUE: ${bad.map((w) => `'${w}'`).join(', ')} ${bad.length > 1 ? 'are not factor terms' : 'is not a factor term'} of the fixed part (its factor terms: ${labels.join(', ') || 'none'}; lmerTest's least-squares means are of terms of factors only)`);
    }
  }
  const chosen = (which ?? labels).map((w) => factors[labels.indexOf(w)]);
  // the grid's variables: the fixed part's data variables, each a plain column (lmerTest rebuilds the
  // model matrix from a grid of the variables themselves: a transformed variable has no grid column)
  const vars: { label: string; col: Column }[] = [];
  for (const t of part.terms) {
    for (const v of t.vars) {
      if (vars.some((u) => u.label === v.label)) continue;
      const col = frame.columns.get(v.label);
      if (v.expr.type !== 'var' || !col || col.kind === 'matrix' || (col.kind === 'factor' && col.logical)) {
        throw new ModelError(`ls_means: '${v.label}' is in the fixed part: lmerTest's least-squares means need each variable of the fixed part as a plain factor or numeric column (it evaluates the model matrix again on a grid of the variables); compute '${v.label}' as a column before the fit`);
      }
      vars.push({ label: v.label, col });
    }
  }
  const factorVars = vars.filter((v) => v.col.kind === 'factor');
  const sizes = factorVars.map((v) => (v.col as FactorColumn).levels.length);
  const rows = sizes.reduce((s, k) => s * k, 1);
  if (rows > 1_000_000) throw new ModelError(`ls_means: the grid of the factors' levels would have ${rows} rows; lmerTest averages over all of them`);
  // the grid (expand.grid: the first factor varying fastest), covariates at their means over the rows used
  const gridCols = new Map<string, Column>();
  let stride = 1;
  factorVars.forEach((v, k) => {
    const codes = new Int32Array(rows);
    for (let r = 0; r < rows; r++) codes[r] = Math.floor(r / stride) % sizes[k];
    stride *= sizes[k];
    gridCols.set(v.label, { kind: 'factor', codes, levels: (v.col as FactorColumn).levels });
  });
  for (const v of vars) {
    if (v.col.kind === 'factor') continue;
    const summary = frame.covariates?.get(v.label);
    if (!summary) throw new ModelError(`ls_means: this fit has no summary of the covariate '${v.label}' (fit the model again with this version)`);
    gridCols.set(v.label, { kind: 'numeric', values: new Float64Array(rows).fill(summary.mean) });
  }
  // uX = model.matrix(fixed formula, grid, the fit's contrasts), columns of `rows` values
  const uX = modelMatrix(part, (label) => gridCols.get(label)!, rows, undefined, frame.contrasts);
  const p = uX.names.length;
  return chosen.map((t) => {
    const tf = t.vars.map((v) => factorVars.findIndex((u) => u.label === v.label));
    const tsizes = tf.map((k) => sizes[k]);
    const ncell = tsizes.reduce((s, k) => s * k, 1);
    // Ltᵀ uX and colSums(Lt): each grid row's uX row added to its cell's
    const sum = Array.from({ length: ncell }, () => new Array<number>(p).fill(0));
    const count = new Array<number>(ncell).fill(0);
    for (let r = 0; r < rows; r++) {
      let cell = 0, cstride = 1;
      tf.forEach((k, a) => { cell += ((gridCols.get(factorVars[k].label) as FactorColumn).codes[r]) * cstride; cstride *= tsizes[a]; });
      count[cell] += 1;
      for (let j = 0; j < p; j++) sum[cell][j] += uX.columns[j][r];
    }
    // the cells' names as model.matrix(~ 0 + t) names its columns
    const rowNames = Array.from({ length: ncell }, (_, c) => {
      let rest = c;
      return t.vars.map((v, a) => {
        const level = (gridCols.get(v.label) as FactorColumn).levels[rest % tsizes[a]];
        rest = Math.floor(rest / tsizes[a]);
        return `${v.label}${level}`;
      }).join(':');
    });
    // L_t = diag(1 / colSums(Lt)) Ltᵀ uX
    const L = sum.map((row, c) => row.map((s) => s * (1 / count[c])));
    return { term: t.label, rowNames, colNames: [...uX.names], L };
  });
}

/** lmerTest's get_pairs applied to L: the rows L_i − L_j for i < j (combn's order), named "i - j". */
export function pairwiseHypothesis(h: NamedHypothesis): NamedHypothesis {
  const m = h.rowNames.length;
  if (m < 2) throw new ModelError(`ls_means: the term '${h.term}' has one cell; pairwise differences need two or more (lmerTest's get_pairs: length(levs) > 1 is not TRUE)`);
  const rowNames: string[] = [];
  const L: number[][] = [];
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      rowNames.push(`${h.rowNames[i]} - ${h.rowNames[j]}`);
      // crossprod(A, L): row = 1·L_i + (−1)·L_j
      L.push(h.L[i].map((v, c) => v - h.L[j][c]));
    }
  }
  return { term: h.term, rowNames, colNames: h.colNames, L };
}
