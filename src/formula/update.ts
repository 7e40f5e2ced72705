/**
 * R's update.formula(old, new): the formula `new` with its dots filled from `old`, simplified as R
 * writes it (what lme4's update(fit, . ~ . - x) refits):
 *   1. C_updateform (R's model.c): a one-sided `new` (`~ . + z`) takes old's response; a `.` on the
 *      left is old's response, a `.` on the right old's right-hand side (in parentheses);
 *   2. terms(simplify = TRUE) (fixFormulaObject): the right-hand side rewritten from R's term labels
 *      (by degree, then by first appearance), each label with a `|` in parentheses (a random-effects
 *      term is one variable to R: `(1 | g)` is labelled `1 | g`), the offsets after the terms, `1`
 *      when there is no term and `- 1` appended without an intercept. One departure: a comparison
 *      that is a whole variable (`y ~ (x > 0) + z`, R's label `x > 0`) is written in parentheses,
 *      `(x > 0) + z`, where R writes `x > 0 + z`, which reads back as x > (0 + z).
 * With `expandDoubleVerts`, `(x || g)` in `old` is first lme4's `((1 | g) + (0 + x | g))`, as the
 * formula of an lmer fit with `||` is (formula(fit)), so that `- (0 + x | g)` removes one of them.
 */
import { FormulaError } from '../errors/errors.js';
import { COV_STRUCTURES, STRUCTURE_ALIASES, type Node, deparse, parseFormulaSides, termLabels } from './parse.js';
import type { CovStructure } from './types.js';

export interface UpdateFormulaOptions {
  /** `(x || g)` of `old` as lme4's `((1 | g) + (0 + x | g))` (lme4's expandDoubleVerts; default false) */
  expandDoubleVerts?: boolean;
}

/** R's `deparse(update(old, new))` for two formula strings, e.g. `updateFormula('y ~ x * f', '. ~ . - x:f')` is `'y ~ x + f'`. */
export function updateFormula(old: string, update: string, options: UpdateFormulaOptions = {}): string {
  if (typeof old !== 'string') throw new FormulaError(`update: the old formula is a string such as 'y ~ x + (1 | g)', not ${old === null ? 'null' : typeof old}`, '', 0);
  if (typeof update !== 'string') throw new FormulaError(`update: the new formula is a string such as '. ~ . - x', not ${update === null ? 'null' : typeof update}`, '', 0);
  const o = parseFormulaSides(old);
  const n = parseFormulaSides(update);
  const oldRhs = options.expandDoubleVerts ? expandDoubleVerts(o.rhs, old) : o.rhs;
  // step 1 (C_updateform): the response of `new`, or old's; dots filled in
  let response: Node | null;
  if (n.response === null) response = o.response;
  else if (o.response === null) {
    if (containsDot(n.response)) throw new FormulaError("update: '.' on the left of the new formula, but the old formula has no left-hand side", update, 0);
    response = n.response;
  } else response = fillDots(n.response, o.response, false);
  const rhs = fillDots(n.rhs, { kind: 'paren', inner: oldRhs, pos: 0 }, true);
  // step 2 (terms(simplify = TRUE)): the right-hand side from the term labels
  const text = (response ? `${deparse(response)} ` : '') + '~ ';
  const terms = termLabels(rhs, text + deparse(rhs));
  // a bar term in parentheses, `(1 | g)`; a structured term `ar1(0 + f | g)` as written (R's label)
  // (R's own test is a '|' anywhere in the label, a string's included: `(I(s == "a|b"))` as R writes it)
  const parts = [...terms.written.map((l) => (l.includes('|') && !isStructuredLabel(l) ? `(${l})` : l)), ...terms.offsets];
  return text + (parts.length > 0 ? parts.join(' + ') : '1') + (terms.intercept ? '' : ' - 1');
}

/** Whether an expression has a `.` in it. */
function containsDot(node: Node): boolean {
  switch (node.kind) {
    case 'name':
      return node.name === '.';
    case 'num':
    case 'str':
    case 'logical':
      return false;
    case 'call':
      return node.args.some(containsDot);
    case 'paren':
      return containsDot(node.inner);
    case 'unary':
      return containsDot(node.arg);
    case 'binary':
      return containsDot(node.left) || containsDot(node.right);
  }
}

/**
 * `node` with each `.` replaced by `value` (R's ExpandDots): on the right `value` is old's
 * right-hand side in parentheses; on the left old's response as it is, in parentheses only as the
 * operand of an operator when it is itself an operation (`. + 1` with old `a + b`: `(a + b) + 1`).
 */
function fillDots(node: Node, value: Node, rhs: boolean): Node {
  const operand = (child: Node): Node => {
    const v = fillDots(child, value, rhs);
    return !rhs && child.kind === 'name' && child.name === '.' && (value.kind === 'binary' || value.kind === 'unary') ? { kind: 'paren', inner: v, pos: v.pos } : v;
  };
  switch (node.kind) {
    case 'name':
      return node.name === '.' ? value : node;
    case 'num':
    case 'str':
    case 'logical':
      return node;
    case 'call':
      return { ...node, args: node.args.map((a) => fillDots(a, value, rhs)) };
    case 'paren':
      return { ...node, inner: fillDots(node.inner, value, rhs) };
    case 'unary':
      return { ...node, arg: operand(node.arg) };
    case 'binary':
      return { ...node, left: operand(node.left), right: operand(node.right) };
  }
}

/**
 * lme4's expandDoubleVerts: each `(lhs || g)` as `((1 | g) + (0 + t | g) + …)`, one term per term
 * t of lhs (the `1 | g` only when lhs has an intercept), written as lme4 pastes them.
 */
function expandDoubleVerts(node: Node, text: string): Node {
  switch (node.kind) {
    case 'paren': {
      const inner = node.inner;
      if (inner.kind === 'binary' && inner.op === '||') {
        const lhs = termLabels(inner.left, text);
        const group = deparse(inner.right);
        const pieces = [...(lhs.intercept ? ['1'] : []), ...lhs.written.map((l) => `0 + ${l}`)].map((t) => `(${t} | ${group})`);
        if (pieces.length === 0) throw new FormulaError(`random-effects term '${deparse(inner)}' has no intercept and no terms`, text, inner.pos);
        return { kind: 'paren', inner: parseFormulaSides(`~ ${pieces.join(' + ')}`).rhs, pos: node.pos };
      }
      return { ...node, inner: expandDoubleVerts(inner, text) };
    }
    case 'binary':
      return { ...node, left: expandDoubleVerts(node.left, text), right: expandDoubleVerts(node.right, text) };
    case 'unary':
      return { ...node, arg: expandDoubleVerts(node.arg, text) };
    default:
      return node;
  }
}

/** Whether a term label is a whole structured term `ar1(…)` (glmmTMB's, src/formula/parse.ts COV_STRUCTURES). */
function isStructuredLabel(label: string): boolean {
  const m = /^([A-Za-z0-9]+)\(/.exec(label);
  if (!m || !(COV_STRUCTURES.has(m[1] as CovStructure) || STRUCTURE_ALIASES.has(m[1])) || !label.endsWith(')')) return false;
  // the call's parenthesis closes at the label's end
  let depth = 0;
  for (let k = m[0].length - 1; k < label.length; k++) {
    if (label[k] === '(') depth++;
    else if (label[k] === ')' && --depth === 0) return k === label.length - 1;
  }
  return false;
}
