/**
 * R's drop.scope(terms): the terms of a linear part that can be dropped while respecting the
 * hierarchy (stats:::factor.scope): term i is marginal when no other term holds all of i's variables,
 *   max_{j ≠ i} |vars(i) ∩ vars(j)| < |vars(i)|   (crossprod of the factor pattern's indicator),
 * and a lone term is always marginal. lmerTest's drop1 drops these fixed-effects terms; its ranova
 * drops these terms of a random-effects term's left-hand side.
 */
import type { LinearPart, Term } from './types.js';

/** the marginal terms of `part`, in its term order */
export function dropScope(part: LinearPart): Term[] {
  const { terms } = part;
  if (terms.length <= 1) return terms.slice();
  const vars = terms.map((t) => t.vars.map((v) => v.label));
  return terms.filter((_, i) => terms.every((__, j) => j === i || vars[i].filter((v) => vars[j].includes(v)).length < vars[i].length));
}
