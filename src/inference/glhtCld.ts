/**
 * multcomp 1.4-22's compact letter display of all-pairwise comparisons (cld.summary.glht, cld.confint.glht,
 * insert_absorb, sweepLetters, get_letters, print.cld): levels that share a letter are not significantly
 * different. Piepho's (2004) insert-absorb algorithm on the letter matrix L (levels × letters, TRUE where the
 * level carries the letter):
 *   start         one letter for every level, the levels ordered by their mean response (lvl_order);
 *   insert        for each significant pair (a, b) (p < level; an interval that excludes 0): every letter
 *                 column that holds both is duplicated, a dropped from the original and b from the copy;
 *   absorb        a column whose levels are a subset of another column's is removed (after each insertion);
 *   sweep         (sweepLetters) a level's letter is dropped where every other level of that letter shares a
 *                 further letter with it, and a column left empty is removed;
 *   order         the levels back in their order, the columns by their sizes (ascending), swept, then by their
 *                 first level (decreasing = TRUE: last level first), named a, b, …, z, A, …, Z, .a, …; twice.
 * cld needs a Tukey family of one factor, as multcomp's extr (stopifnot(object$type == "Tukey")).
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import { printNamedVector } from '../results/rFormat.js';
import type { Glht, GlhtConfint, GlhtTestResult } from './glht.js';

const WHAT = 'glht cld';
const LETTERS = [...'abcdefghijklmnopqrstuvwxyz', ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];

export interface GlhtCldOptions {
  /** the significance level of the summary's p-values (default 0.05; the intervals decide for a confint) */
  level?: number;
  /** the letters' order: the first letter on the first level (false, the default) or on the last */
  decreasing?: boolean;
}

export interface GlhtCld {
  factor: string;
  /** the factor's levels, in their order */
  levels: string[];
  /** each level's letters */
  letters: string[];
  /** each level's letters with a blank where a letter is absent (monospacedLetters) */
  monospaced: string[];
  /** the letter matrix: per level, per letter whether the level has it */
  matrix: boolean[][];
  /** the letters, the columns of the matrix */
  columns: string[];
  /** per comparison whether it is significant */
  signif: boolean[];
  /** the levels ordered by their mean response (insert_absorb's starting order) */
  levelOrder: string[];
}

/** get_letters(n): a … z, A … Z, then the same after a separator '.', '..', … */
export function getLetters(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push('.'.repeat(Math.floor(i / LETTERS.length)) + LETTERS[i % LETTERS.length]);
  return out;
}

/** a letter matrix: columns of booleans over the rows (levels) */
type Cols = boolean[][];

/** absorb: remove a column contained in another (the later one of a nested pair first), until none is */
function absorb(m: Cols): Cols {
  for (let j = 0; j < m.length - 1; j++) {
    for (let k = j + 1; k < m.length; k++) {
      // every level of column k is in column j: k is absorbed; else every level of j in k: j is
      if (m[k].every((v, r) => !v || m[j][r])) return absorb(m.filter((_, c) => c !== k));
      if (m[j].every((v, r) => !v || m[k][r])) return absorb(m.filter((_, c) => c !== j));
    }
  }
  return m;
}

/** sweepLetters: drop a level's letter that is redundant (every other level of the letter shares another one with it) */
function sweepLetters(mat: Cols): Cols {
  const n = mat[0]?.length ?? 0;
  const ncol = mat.length;
  const locked = Array.from({ length: n }, () => new Array<boolean>(ncol).fill(false));
  for (let i = 0; i < ncol; i++) {
    // tmp: the rows (levels) that have letter i, all their letters; the other rows empty
    const tmp = Array.from({ length: n }, (_, r) => (mat[i][r] ? mat.map((col) => col[r]) : new Array<boolean>(ncol).fill(false)));
    const one = Array.from({ length: n }, (_, r) => r).filter((r) => tmp[r][i]);
    if (tmp.every((row) => row.some((v, c) => c !== i && v))) continue;
    for (const j of one) {
      if (locked[j][i]) continue;
      const lck: [number, number, number][] = [];
      for (const k of one) {
        if (j === k) continue;
        // the letters j and k share besides i; the last of them is locked for both
        const hit = tmp[j].map((v, c) => v && tmp[k][c] && c !== i ? c : -1).filter((c) => c >= 0);
        if (hit.length > 0) lck.push([j, k, hit[hit.length - 1]]);
      }
      if (lck.length === one.length - 1 && lck.length !== 0) {
        for (const [a, b, c] of lck) { locked[a][c] = true; locked[b][c] = true; }
        mat[i][j] = false;
      }
    }
    if (mat[i].every((v) => !v)) return sweepLetters(mat.filter((_, c) => c !== i));
  }
  return mat.filter((col) => col.some((v) => v));
}

/** R's order(): stable, ascending or (radix's decreasing) descending with ties in their order */
function orderBy(values: number[], decreasing = false): number[] {
  return values.map((_, i) => i).sort((a, b) => (decreasing ? values[b] - values[a] : values[a] - values[b]) || a - b);
}

/** insert_absorb(signif, comps, lvl_order, levels.x, decreasing): the letter matrix (rows in levels.x's order) */
export function insertAbsorb(signif: boolean[], comps: [string, string][], lvlOrder: string[], levels: string[], decreasing: boolean): { matrix: Cols; columns: string[] } {
  const n = lvlOrder.length;
  const row = new Map(lvlOrder.map((l, i) => [l, i]));
  let lmat: Cols = [new Array<boolean>(n).fill(true)];
  if (signif.some((s) => s)) {
    comps.forEach(([a, b], i) => {
      if (!signif[i]) return;
      const ra = row.get(a)!, rb = row.get(b)!;
      const wassert = lmat.map((col, c) => (col[ra] && col[rb] ? c : -1)).filter((c) => c >= 0);
      if (wassert.length === 0) return;
      // the columns holding both: a copy without b appended, the original without a
      const copies = wassert.map((c) => lmat[c].map((v, r) => v && r !== rb));
      for (const c of wassert) lmat[c] = lmat[c].map((v, r) => v && r !== ra);
      lmat = [...lmat, ...copies];
      if (lmat.length > 1) lmat = absorb(lmat);
    });
    // the rows in the levels' order
    const perm = levels.map((l) => row.get(l)!);
    lmat = lmat.map((col) => perm.map((r) => col[r]));
    for (let pass = 0; pass < 2; pass++) {
      lmat = orderBy(lmat.map((col) => col.filter((v) => v).length)).map((c) => lmat[c]);
      lmat = sweepLetters(lmat);
      lmat = orderBy(lmat.map((col) => col.indexOf(true)), decreasing).map((c) => lmat[c]);
    }
  } else {
    const perm = levels.map((l) => row.get(l)!);
    lmat = lmat.map((col) => perm.map((r) => col[r]));
  }
  return { matrix: lmat, columns: getLetters(lmat.length) };
}

/** extr(): the Tukey family's factor, its levels, comparisons (the level with +1, the one with −1) and level order */
function extr(g: Glht): { factor: string; levels: string[]; comps: [string, string][]; lvlOrder: string[] } {
  if (g.type !== 'Tukey' || g.focus === null) {
    throw new ModelError(`${WHAT}: the compact letter display needs a Tukey family, all-pairwise comparisons of one factor's levels (multcomp's cld: object$type == "Tukey" is not TRUE); this family is ${g.type === null ? 'hypotheses on the coefficients' : `of type ${g.type}`}`);
  }
  if (g.focus.length !== 1) throw new ModelError(`${WHAT}: the compact letter display needs the comparisons of one factor, not of ${g.focus.map((f) => f.factor).join(', ')} (multcomp's cld: length(object$focus) == 1 is not TRUE)`);
  const { factor, levels, meanResponse } = g.focus[0];
  const comps: [string, string][] = [];
  for (let a = 0; a < levels.length; a++) for (let b = a + 1; b < levels.length; b++) comps.push([levels[b], levels[a]]);
  if (comps.length !== g.rowNames.length) throw new ModelError(`${WHAT}: the family has ${g.rowNames.length} comparisons, not the ${comps.length} pairs of '${factor}''s levels`);
  // order(tapply(y, x, mean)): the levels by their mean response, ties in their order
  const lvlOrder = orderBy(meanResponse).map((i) => levels[i]);
  return { factor, levels, comps, lvlOrder };
}

function display(g: Glht, signif: boolean[], decreasing: boolean): GlhtCld {
  const { factor, levels, comps, lvlOrder } = extr(g);
  const { matrix, columns } = insertAbsorb(signif, comps, lvlOrder, levels, decreasing);
  const letters = levels.map((_, r) => columns.filter((_, c) => matrix[c][r]).join(''));
  const monospaced = levels.map((_, r) => columns.map((name, c) => (matrix[c][r] ? name : ' '.repeat(name.length))).join(''));
  return { factor, levels, letters, monospaced, matrix: levels.map((_, r) => matrix.map((col) => col[r])), columns, signif, levelOrder: lvlOrder };
}

function checkDecreasing(v: unknown): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new OptionError('decreasing', `${WHAT}: decreasing must be true or false, not ${showValue(v)}`);
  return v;
}

/** cld(summary(glht)): a comparison is significant where its p-value is below level */
export function cldOfSummary(g: Glht, s: GlhtTestResult, options: GlhtCldOptions = {}): GlhtCld {
  const level = options.level ?? 0.05;
  if (typeof level !== 'number' || !(level > 0 && level < 1)) throw new OptionError('level', `${WHAT}: level must be a significance level between 0 and 1, not ${showValue(level)}`);
  return display(g, s.pValue.map((p) => p < level), checkDecreasing(options.decreasing));
}

/** cld(confint(glht)): a comparison is significant where its interval does not hold 0 (lwr < 0 < upr fails) */
export function cldOfConfint(g: Glht, c: GlhtConfint, options: Pick<GlhtCldOptions, 'decreasing'> = {}): GlhtCld {
  if ((options as GlhtCldOptions).level !== undefined) throw new OptionError('level', `${WHAT}: the intervals' level is confint's; a cld of intervals takes no significance level`);
  return display(g, c.lower.map((lo, i) => !(lo < 0 && c.upper[i] > 0)), checkDecreasing(options.decreasing));
}

/** print.cld: the letters as R prints a named character vector */
export function printGlhtCld(c: GlhtCld): string[] {
  return printNamedVector(c.letters.map((l) => `"${l}"`), c.levels);
}
