/**
 * The reduced random-effects structures of lmerTest's ranova (get_newforms, rm_complete_terms), over
 * the random-effects terms after lme4's expansions (findbars: `||` into (1 | g) and (0 + x | g), `g1/g2`
 * into (1 | g2:g1) and (1 | g1)), in the formula's order:
 *  - reduceTerms false, or a term whose lhs has no terms ((1 | g)): the term removed, row `(1 | g)`;
 *  - else, for each marginal term t of the lhs (drop.scope): the term replaced by its lhs without t,
 *    row `t in (x + z | g)`; when t is the lhs's only term the replacement is (1 | g), also for an
 *    lhs without intercept ((0 + x | g) → (1 | g)).
 * The replacement is added after the other terms, as update(formula, ~ . - (term) + (new)) adds it;
 * update.formula keeps one copy of a term written twice, so a replacement identical to a remaining
 * term is not added again ((1 | g) + (0 + x | g) reduced by x is (1 | g)).
 */
import { dropScope } from '../formula/dropScope.js';
import type { LinearPart, RandomTerm } from '../formula/types.js';

export interface ReducedStructure {
  /** lmerTest's row name: `(1 | g)` or `x in (x | g)` */
  name: string;
  /** the random-effects terms of the reduced model (empty: a linear model) */
  random: RandomTerm[];
}

/** the lhs as lme4 writes it: `1`, `x`, `x + z`, `0 + x` (as the parser's term texts) */
function lhsText(part: LinearPart): string {
  const labels = part.terms.map((t) => t.label);
  if (!part.intercept) return ['0', ...labels].join(' + ');
  return labels.length === 0 ? '1' : labels.join(' + ');
}

/** the term with a new lhs (its text rebuilt) */
function withLhs(term: RandomTerm, lhs: LinearPart): RandomTerm {
  const { written: _, ...rest } = term;
  return { ...rest, lhs, text: `(${lhsText(lhs)} | ${term.groupLabel})` };
}

/** the term as lme4's findbars leaves it and lmerTest's rows name it: its lhs as written (`(1 + x | g)`) */
export function writtenText(term: RandomTerm): string {
  return term.written === undefined ? term.text : `(${term.written} | ${term.groupLabel})`;
}

export function reducedStructures(random: RandomTerm[], reduceTerms: boolean): ReducedStructure[] {
  return random.flatMap((term, k) => {
    const others = random.filter((_, j) => j !== k);
    const scope = dropScope(term.lhs);
    if (!reduceTerms || scope.length === 0) return [{ name: writtenText(term), random: others }];
    return scope.map((t) => {
      const lhs: LinearPart = term.lhs.terms.length === 1
        ? { intercept: true, terms: [] }
        : { intercept: term.lhs.intercept, terms: term.lhs.terms.filter((u) => u !== t) };
      const next = withLhs(term, lhs);
      const present = others.some((o) => o.text === next.text);
      return { name: `${t.label} in ${writtenText(term)}`, random: present ? others : [...others, next] };
    });
  });
}
