/**
 * afex's nested models for method = "LRT" and "PB" (afex 1.2-1 `mixed`): which columns of the full
 * model's fixed-effects matrix X each fit keeps. afex fits `y ~ 0 + m.matrix[, -cols] + random`, X
 * with columns removed, so that a term is tested with its own columns gone and every other column
 * kept (with sum-to-zero contrasts this is the type 3 hypothesis):
 *  - type 3: one full model (all of X); for each term t (and the intercept, with test_intercept)
 *      restricted_t = X without t's columns,                         compared with the full model;
 *  - type 2: with M the highest order of a term, full models F_c for c = 1 … M,
 *      F_c = X without the columns of every term of order > c      (F_M = X),
 *    and for each term t of order o
 *      restricted_t = X without t's columns and (o < M) those of every term of order > o,
 *    compared with F_o.
 * afex's per_parameter (type 3 only): the terms whose label one of the patterns matches are split into
 * one term per column of X, named by the column (so each parameter is tested on its own); see
 * perParameterTerms.
 * Pure: indices of X's columns only.
 */
import { OptionError } from '../errors/errors.js';

/** a fixed-effects term: R's label, its order (the number of variables) and its columns of X */
export interface DesignTerm {
  label: string;
  order: number;
  columns: number[];
}

export interface NestedFit {
  /** the effect tested (a term's label, or `(Intercept)`) */
  effect: string;
  /** the columns of X this fit keeps, in X's order */
  keep: number[];
  /** the full model it is compared with (an index of `full`) */
  full: number;
}

export interface NestedDesigns {
  /** the full models' columns: one for type 3, M for type 2 (the last is all of X) */
  full: number[][];
  restricted: NestedFit[];
}

const without = (p: number, drop: Set<number>) => Array.from({ length: p }, (_, j) => j).filter((j) => !drop.has(j));

/**
 * The designs of afex's nested fits: `p` columns of X, the intercept's column (or -1 without one),
 * the terms in R's order, type 3 or 2, whether the intercept is tested (type 3 only, as afex).
 */
export function nestedDesigns(p: number, interceptColumn: number, terms: DesignTerm[], type: 2 | 3, testIntercept: boolean): NestedDesigns {
  if (terms.length === 0 && !(type === 3 && testIntercept && interceptColumn >= 0)) {
    throw new OptionError('method', 'mixed: the model has no fixed-effects term to test (only the intercept: set test_intercept to test it, with type 3)');
  }
  if (type === 3) {
    const restricted: NestedFit[] = [];
    if (testIntercept && interceptColumn >= 0) restricted.push({ effect: '(Intercept)', keep: without(p, new Set([interceptColumn])), full: 0 });
    for (const t of terms) restricted.push({ effect: t.label, keep: without(p, new Set(t.columns)), full: 0 });
    return { full: [without(p, new Set())], restricted };
  }
  const M = Math.max(...terms.map((t) => t.order));
  // columns of the terms of order > c
  const above = (c: number) => new Set(terms.filter((t) => t.order > c).flatMap((t) => t.columns));
  const full = Array.from({ length: M }, (_, k) => without(p, above(k + 1)));
  const restricted = terms.map((t) => {
    const drop = new Set(t.columns);
    if (t.order < M) for (const j of above(t.order)) drop.add(j);
    return { effect: t.label, keep: without(p, drop), full: t.order - 1 };
  });
  return { full, restricted };
}

/**
 * afex's per_parameter: `grep(pattern, fixed.effects)` for each pattern over the labels ("(Intercept)"
 * first where X has one, then the terms'), the matches but the intercept (one column: tested whole)
 * replaced by one term per column, labelled by X's column name (`xnames`), in X's order. The patterns
 * are regular expressions (JavaScript's here, R's extended ones in afex: the same for the patterns term
 * labels need). A pattern that is not a regular expression, or (`requireMatch`) matches no label, is
 * refused by name.
 */
export function perParameterTerms(terms: DesignTerm[], xnames: string[], patterns: string[], hasIntercept: boolean, requireMatch = true): DesignTerm[] {
  const labels = [...(hasIntercept ? ['(Intercept)'] : []), ...terms.map((t) => t.label)];
  const change = new Set<string>();
  for (const pattern of patterns) {
    let re: RegExp;
    try {
      re = new RegExp(pattern);
    } catch (e) {
      throw new OptionError('perParameter', `mixed: perParameter '${pattern}' is not a regular expression (${(e as Error).message})`);
    }
    const hits = labels.filter((l) => re.test(l));
    if (hits.length === 0 && requireMatch) throw new OptionError('perParameter', `mixed: perParameter '${pattern}' matches none of the model's effects (${labels.join(', ')})`);
    for (const h of hits) if (h !== '(Intercept)') change.add(h);
  }
  return terms.flatMap((t) => (change.has(t.label) ? t.columns.map((j) => ({ label: xnames[j], order: t.order, columns: [j] })) : [t]));
}
