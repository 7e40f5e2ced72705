/**
 * afex's reading of a mixed-model formula (afex 1.2-1 `mixed`): the response text, the fixed part
 * (lme4's nobars) and the random-effects terms as written (R's term labels that hold a bar, `type | id`,
 * `phase || id`), each term's order (R's attr(terms, "order")), and the variables in the order R's
 * all.vars lists them. Pure functions of the formula text.
 */
import { FormulaError } from '../errors/errors.js';
import { parseFormula, parseFormulaSides, termLabels } from '../formula/parse.js';
import type { Formula } from '../formula/types.js';

export interface AfexFormulaParts {
  /** the formula as given (trimmed) */
  text: string;
  /** the response as written (`value`, `cbind(incidence, size - incidence)`) */
  response: string;
  /** the parsed formula (the library's parser: `||` expanded, terms in R's order) */
  formula: Formula;
  /** the random-effects terms as R's terms() labels them, without parentheses: `type | id`, `phase || id` */
  random: string[];
  /** the fixed part's right-hand side as written, the random-effects terms taken out (lme4's nobars) */
  fixedText: string;
  /** the formula's variables in R's all.vars order (first appearance) */
  variables: string[];
}

/** R's all.vars: each name in the formula text in order of first appearance, not a function's name. */
export function allVars(text: string, formula: Formula): string[] {
  const out: string[] = [];
  const re = /`([^`]+)`|([A-Za-z.][A-Za-z0-9._]*)(\s*\()?/g;
  for (const m of text.matchAll(re)) {
    const name = m[1] ?? m[2];
    if (m[3] || name === undefined) continue; // a call: poly(, factor(, cbind(
    if (/^\.\d/.test(name) || name === 'TRUE' || name === 'FALSE') continue;
    if (!out.includes(name)) out.push(name);
  }
  // keep the names the parser reads as variables (drops named arguments such as `degree` in poly(x, degree = 2))
  const known = new Set<string>();
  const addExpr = (e: unknown): void => {
    if (!e || typeof e !== 'object') return;
    const x = e as { type?: string; name?: string; args?: unknown[]; left?: unknown; right?: unknown; arg?: unknown };
    if (x.type === 'var' && x.name) known.add(x.name);
    for (const a of x.args ?? []) addExpr(a);
    addExpr(x.left); addExpr(x.right); addExpr(x.arg);
  };
  const r = formula.response;
  if (r.kind === 'expr') addExpr(r.expr); else { addExpr(r.successes); addExpr(r.failures); }
  for (const t of formula.fixed.terms) for (const v of t.vars) addExpr(v.expr);
  for (const v of formula.removedVars ?? []) addExpr(v.expr);
  for (const e of formula.offsets) addExpr(e);
  for (const rt of formula.random) {
    for (const t of rt.lhs.terms) for (const v of t.vars) addExpr(v.expr);
    for (const g of rt.group) known.add(g);
  }
  return out.filter((v) => known.has(v));
}

/** Splits the formula as afex does: response, fixed part (nobars) and the random-effects terms. */
export function afexFormulaParts(text: string): AfexFormulaParts {
  if (typeof text !== 'string' || !text.includes('~')) throw new FormulaError(`mixed needs a two-sided model formula such as 'y ~ a * b + (1 | id)', got '${String(text)}'`, String(text), 0);
  const formula = parseFormula(text);
  const trimmed = text.trim();
  const tilde = trimmed.indexOf('~');
  const response = trimmed.slice(0, tilde).trim();
  if (!response) throw new FormulaError('mixed needs a response on the left of ~', trimmed, 0);
  const sides = parseFormulaSides(trimmed);
  const { labels } = termLabels(sides.rhs, trimmed);
  const random = labels.filter((l) => l.includes('|'));
  if (random.length === 0) throw new FormulaError(`no random-effects terms in '${trimmed}': mixed needs at least one term such as (1 | id)`, trimmed, 0);
  return { text: trimmed, response, formula, random, fixedText: withoutBars(trimmed.slice(tilde + 1)), variables: allVars(trimmed, formula) };
}

/**
 * The right-hand side with its parenthesized random-effects terms taken out, as written otherwise
 * (lme4's nobars): each top-level `( … | … )` group goes with the `+` before it (or after it, for the
 * first term); nothing left is the intercept alone, `1`.
 */
export function withoutBars(rhs: string): string {
  const groups: [number, number][] = [];
  let depth = 0, start = -1;
  for (let i = 0; i < rhs.length; i++) {
    const c = rhs[i];
    if (c === '(') { if (depth === 0) start = i; depth++; }
    else if (c === ')') {
      depth--;
      if (depth === 0 && rhs.slice(start, i + 1).includes('|')) groups.push([start, i + 1]);
    }
  }
  let out = rhs;
  for (const [a, b] of groups.reverse()) {
    const before = out.slice(0, a).replace(/\s*\+\s*$/, '');
    if (before.length < out.slice(0, a).length || before.trim() === '') {
      const after = before.trim() === '' ? out.slice(b).replace(/^\s*\+\s*/, '') : out.slice(b);
      out = before + after;
    } else {
      out = out.slice(0, a) + out.slice(b);
    }
  }
  out = out.trim();
  return out === '' ? '1' : out;
}

/** R's make.names for the characters afex's expand_re meets: invalid characters become '.', a leading digit gets 'X'. */
export function makeName(s: string): string {
  let out = s.replace(/[^A-Za-z0-9._]/g, '.');
  if (!/^[A-Za-z.]/.test(out) || /^\.\d/.test(out)) out = `X${out}`;
  return out;
}
