/**
 * ggeffects's `terms` of an adjusted-predictions call (ggpredict, ggemmeans): up to three focal terms
 * (x, group, facet), each a variable name with representative values in brackets, as ggeffects 1.2.0
 * reads them (.clean_terms, .get_representative_values):
 *   "x"                    default values (prettyRange.ts's rules, by the term's position)
 *   "x [1, 5, 10]"         those values          "f [a, b]"  those levels, in that order
 *   "x [1:10]", "x [0:10 by = 2]"  R's seq(from, to, by)
 *   "x [minmax]", "[meansd]", "[zeromax]", "[quart]", "[quart2]", "[fivenum]", "[terciles]",
 *   "[terciles2]", "[all]"  values_at's choices       "x [pretty]"  pretty_range       "x [n = 5]"  pretty_range(x, 5)
 * Others of ggeffects (a random sample `[sample = 5]`, a function name `[exp]`, a variable of the
 * calling environment) are refused by name.
 */
import { OptionError, showValue } from '../errors/errors.js';
import { VALUES_AT, type ValuesAt } from './prettyRange.js';

/** how a focal term's values are given */
export type TermValues =
  | { kind: 'default' }
  | { kind: 'list'; items: string[] }
  | { kind: 'seq'; from: number; to: number; by: number }
  | { kind: 'valuesAt'; how: ValuesAt }
  | { kind: 'pretty'; n?: number };

export interface FocalTerm {
  /** the variable's name */
  name: string;
  values: TermValues;
  /** the term as written */
  text: string;
}

/** ggeffects's focal terms' limit here: x, group and facet (ggeffects's fourth, panel, is not offered) */
export const MAX_TERMS = 3;

const num = (s: string): number | null => {
  const t = s.trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return null;
  return Number(t);
};

/** One term: `name` or `name [values]`. */
export function parseTerm(text: unknown): FocalTerm {
  if (typeof text !== 'string' || text.trim().length === 0) throw new OptionError('terms', `each term must be a variable name such as 'x' or 'x [1, 5, 10]', not ${showValue(text)}`);
  const open = text.indexOf('[');
  const name = (open < 0 ? text : text.slice(0, open)).trim();
  if (name.length === 0) throw new OptionError('terms', `term '${text}' names no variable before its brackets`);
  if (open < 0) return { name, values: { kind: 'default' }, text };
  const close = text.lastIndexOf(']');
  if (close < open || text.slice(close + 1).trim().length > 0) throw new OptionError('terms', `term '${text}': its values must be in one pair of brackets at the end, as 'x [1, 5, 10]'`);
  const inner = text.slice(open + 1, close).trim();
  if (inner.length === 0) throw new OptionError('terms', `term '${text}' has empty brackets`);
  // from:to, from:to by = k (R's seq)
  if (inner.includes(':')) {
    const m = /^([^:]+):([^:]+?)(?:\s*by\s*=\s*(.+))?$/.exec(inner) ?? /^([^:]+):([^:]+):\s*by\s*=\s*(.+)$/.exec(inner);
    const from = m ? num(m[1]) : null, to = m ? num(m[2]) : null, by = m?.[3] !== undefined ? num(m[3]) : 1;
    if (from === null || to === null || by === null || by === 0 || (to - from) / by < 0) throw new OptionError('terms', `term '${text}': a range must be 'from:to' or 'from:to by = step' with numbers, the step taking from to to`);
    return { name, values: { kind: 'seq', from, to, by }, text };
  }
  const nMatch = /^n\s*=\s*(.+)$/.exec(inner);
  if (nMatch) {
    const k = num(nMatch[1]);
    if (k === null || !(k >= 1) || !Number.isInteger(k)) throw new OptionError('terms', `term '${text}': n must be a whole number of at least 1`);
    return { name, values: { kind: 'pretty', n: k }, text };
  }
  if (/^sample\s*=/.test(inner)) throw new OptionError('terms', `term '${text}': ggeffects's random sample of values ('[sample = k]') is not offered (it depends on R's random numbers); give the values`);
  const items = inner.split(',').map((s) => s.trim());
  if (items.some((s) => s.length === 0)) throw new OptionError('terms', `term '${text}' has an empty value between commas`);
  if (items.length === 1 && items[0] === 'pretty') return { name, values: { kind: 'pretty' }, text };
  if (items.length === 1 && (VALUES_AT as readonly string[]).includes(items[0])) return { name, values: { kind: 'valuesAt', how: items[0] as ValuesAt }, text };
  return { name, values: { kind: 'list', items }, text };
}

/** The terms (one string or up to three), parsed; a variable named twice or more than three terms is an error. */
export function parseTerms(terms: unknown): FocalTerm[] {
  const list = typeof terms === 'string' ? [terms] : terms;
  if (!Array.isArray(list) || list.length === 0) throw new OptionError('terms', `terms must be a variable name or an array of up to ${MAX_TERMS} (x, group, facet), such as ['x [1, 5, 10]', 'f'], not ${showValue(terms)}`);
  if (list.length > MAX_TERMS) throw new OptionError('terms', `${list.length} terms given (${list.map((t) => `'${String(t)}'`).join(', ')}): at most ${MAX_TERMS} (x, group and facet)`);
  const parsed = list.map(parseTerm);
  const dup = parsed.find((t, i) => parsed.findIndex((u) => u.name === t.name) !== i);
  if (dup) throw new OptionError('terms', `'${dup.name}' is named twice among the terms`);
  return parsed;
}

/** a parsed list item as a number, or null */
export const itemNumber = num;
