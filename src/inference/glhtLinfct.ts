/**
 * multcomp's symbolic hypotheses (chrlinfct2matrix, expression2coef): each string a linear function of
 * named effects compared with a constant, `2 * nitro - 0.5 * VarietyVictory <= 1`, read into a row of
 * the matrix K, its right-hand side m and the alternative:
 *   `==` or `=`  H0: Kβ = m against Kβ ≠ m   (two.sided)
 *   `<=`         H0: Kβ ≤ m against Kβ > m   (greater)
 *   `>=`         H0: Kβ ≥ m against Kβ < m   (less)
 * The left-hand side is a sum of effects, each with a constant factor (`2 * x`, `x * 3`, `x / 2`,
 * `(a + b) / 2`, `-x`), an interaction named with ':' (`f:x`); `Intercept` names `(Intercept)`. As
 * multcomp: an effect named twice, a constant added to an effect and a product of effects are errors.
 * The row's name is R's deparse of the left-hand side (`2 * nitro - 0.5 * VarietyVictory`,
 * `VarietyVictory/2 + nitro * 3`).
 */
import { ModelError } from '../errors/errors.js';
import { formatR } from '../results/rFormat.js';

export type Alternative = 'two.sided' | 'less' | 'greater';

type Node =
  | { kind: 'num'; value: number; text: string }
  | { kind: 'name'; name: string }
  | { kind: 'neg' | 'pos' | 'paren'; arg: Node }
  | { kind: '+' | '-' | '*' | '/' | ':'; left: Node; right: Node };

interface Token { type: 'num' | 'name' | 'op'; text: string }

const WHAT = 'glht';

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) { i++; continue; }
    const two = s.slice(i, i + 2);
    if (two === '==' || two === '<=' || two === '>=') { out.push({ type: 'op', text: two }); i += 2; continue; }
    if ('+-*/():='.includes(c)) { out.push({ type: 'op', text: c }); i++; continue; }
    if (c === '<' || c === '>' || c === '!') throw new ModelError(`${WHAT}: the hypothesis '${s}': '${c}${s[i + 1] === '=' ? '=' : ''}' is not one of multcomp's comparisons ==, =, <=, >=`);
    const num = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(s.slice(i));
    if (num) { out.push({ type: 'num', text: num[0] }); i += num[0].length; continue; }
    if (c === '`') {
      const end = s.indexOf('`', i + 1);
      if (end < 0) throw new ModelError(`${WHAT}: the hypothesis '${s}' has an unclosed backquote`);
      out.push({ type: 'name', text: s.slice(i + 1, end) }); i = end + 1; continue;
    }
    const name = /^[A-Za-z.][A-Za-z0-9._]*/.exec(s.slice(i));
    if (name) { out.push({ type: 'name', text: name[0] }); i += name[0].length; continue; }
    throw new ModelError(`${WHAT}: the hypothesis '${s}' has an unexpected character '${c}'`);
  }
  return out;
}

/** R's grammar for these operators: binary + − lowest, then * /, then unary ±, then ':' */
function parseExpression(tokens: Token[], source: string): Node {
  let p = 0;
  const peek = () => tokens[p];
  const fail = (why: string): never => { throw new ModelError(`${WHAT}: the hypothesis '${source}' cannot be read: ${why}`); };
  const sum = (): Node => {
    let left = product();
    while (peek()?.type === 'op' && (peek().text === '+' || peek().text === '-')) {
      const op = tokens[p++].text as '+' | '-';
      left = { kind: op, left, right: product() };
    }
    return left;
  };
  const product = (): Node => {
    let left = unary();
    while (peek()?.type === 'op' && (peek().text === '*' || peek().text === '/')) {
      const op = tokens[p++].text as '*' | '/';
      left = { kind: op, left, right: unary() };
    }
    return left;
  };
  const unary = (): Node => {
    const t = peek();
    if (t?.type === 'op' && (t.text === '-' || t.text === '+')) { p++; return { kind: t.text === '-' ? 'neg' : 'pos', arg: unary() }; }
    return colon();
  };
  const colon = (): Node => {
    let left = primary();
    while (peek()?.type === 'op' && peek().text === ':') { p++; left = { kind: ':', left, right: primary() }; }
    return left;
  };
  const primary = (): Node => {
    const t = tokens[p++];
    if (!t) return fail('it ends too early');
    if (t.type === 'num') return { kind: 'num', value: Number(t.text), text: t.text };
    if (t.type === 'name') return { kind: 'name', name: t.text };
    if (t.text === '(') {
      const arg = sum();
      if (tokens[p++]?.text !== ')') fail("a '(' is not closed");
      return { kind: 'paren', arg };
    }
    return fail(`'${t.text}' where an effect or a number was expected`);
  };
  const node = sum();
  if (p !== tokens.length) fail(`'${tokens[p].text}' was not expected`);
  return node;
}

/** R's deparse of a number: format(x, digits = 15), fixed notation unless the scientific one is shorter */
export function deparseNumber(x: number): string {
  return formatR([x], 15)[0].trim();
}

/** R's deparse of the expression (backquotes left out, as multcomp's row names show them) */
function deparse(n: Node): string {
  switch (n.kind) {
    case 'num': return deparseNumber(n.value);
    case 'name': return n.name;
    case 'neg': return `-${deparse(n.arg)}`;
    case 'pos': return `+${deparse(n.arg)}`;
    case 'paren': return `(${deparse(n.arg)})`;
    case '+': case '-': case '*': return `${deparse(n.left)} ${n.kind} ${deparse(n.right)}`;
    case '/': case ':': return `${deparse(n.left)}${n.kind}${deparse(n.right)}`;
  }
}

/** a linear combination: coefficients by effect name, and a constant (never both, as multcomp) */
interface Linear { coef: Map<string, number>; constant: number }

function evaluate(n: Node, vars: readonly string[], source: string): Linear {
  const err = (why: string): never => { throw new ModelError(`${WHAT}: the hypothesis '${source}': ${why}`); };
  const effectName = (name: string) => {
    const nm = name === 'Intercept' && vars.includes('(Intercept)') ? '(Intercept)' : name;
    if (!vars.includes(nm)) err(`'${name}' is not one of the coefficients (${vars.join(', ')})`);
    return nm;
  };
  const scale = (l: Linear, c: number): Linear => ({ coef: new Map([...l.coef].map(([k, v]) => [k, v * c])), constant: l.constant * c });
  const isConstant = (l: Linear) => l.coef.size === 0;
  switch (n.kind) {
    case 'num': return { coef: new Map(), constant: n.value };
    case 'name': return { coef: new Map([[effectName(n.name), 1]]), constant: 0 };
    case ':': return { coef: new Map([[effectName(deparse(n)), 1]]), constant: 0 };
    case 'neg': return scale(evaluate(n.arg, vars, source), -1);
    case 'pos': case 'paren': return evaluate(n.arg, vars, source);
    case '+': case '-': {
      const a = evaluate(n.left, vars, source), b = scale(evaluate(n.right, vars, source), n.kind === '-' ? -1 : 1);
      if (isConstant(a) && isConstant(b)) return { coef: new Map(), constant: a.constant + b.constant };
      if (isConstant(a) || isConstant(b)) err(`a constant and an effect are combined in '${deparse(n)}', which multcomp does not support (move the constant to the right-hand side)`);
      const coef = new Map(a.coef);
      for (const [k, v] of b.coef) {
        if (coef.has(k)) err(`'${k}' occurs more than once in '${deparse(n)}'`);
        coef.set(k, v);
      }
      return { coef, constant: 0 };
    }
    case '*': {
      const a = evaluate(n.left, vars, source), b = evaluate(n.right, vars, source);
      if (!isConstant(a) && !isConstant(b)) err(`'${deparse(n)}' multiplies two effects: a hypothesis is linear in the effects`);
      return isConstant(a) ? scale(b, a.constant) : scale(a, b.constant);
    }
    case '/': {
      const a = evaluate(n.left, vars, source), b = evaluate(n.right, vars, source);
      if (!isConstant(b)) err(`'${deparse(n)}' divides by an effect: a hypothesis is linear in the effects`);
      if (b.constant === 0) err(`'${deparse(n)}' divides by zero`);
      return scale(a, 1 / b.constant);
    }
  }
}

export interface SymbolicHypotheses {
  /** K, one row per hypothesis, columns in `vars`' order */
  K: number[][];
  rowNames: string[];
  rhs: number[];
  alternative: Alternative;
}

/** chrlinfct2matrix(ex, var): the hypotheses' rows over the effects `vars` */
export function symbolicHypotheses(hypotheses: readonly string[], vars: readonly string[]): SymbolicHypotheses {
  if (hypotheses.length === 0) throw new ModelError(`${WHAT}: no hypothesis given`);
  const K: number[][] = [], rowNames: string[] = [], rhs: number[] = [];
  let alternative: Alternative | null = null;
  for (const h of hypotheses) {
    if (typeof h !== 'string') throw new ModelError(`${WHAT}: a hypothesis must be a string such as 'x = 0', not ${String(h)}`);
    const tokens = tokenize(h);
    const at = tokens.findIndex((t) => t.type === 'op' && ['==', '=', '<=', '>='].includes(t.text));
    if (at < 0 || tokens.slice(at + 1).some((t) => t.type === 'op' && ['==', '=', '<=', '>='].includes(t.text))) {
      throw new ModelError(`${WHAT}: the hypothesis '${h}' must compare a linear function of the coefficients with a number by one of ==, =, <=, >= (e.g. 'x - z = 0')`);
    }
    const op = tokens[at].text;
    const lhs = parseExpression(tokens.slice(0, at), h);
    const right = evaluate(parseExpression(tokens.slice(at + 1), h), vars, h);
    if (right.coef.size > 0) throw new ModelError(`${WHAT}: the hypothesis '${h}': the right-hand side must be a number (move the effects to the left)`);
    const left = evaluate(lhs, vars, h);
    if (left.coef.size === 0) throw new ModelError(`${WHAT}: the hypothesis '${h}' names no coefficient on its left-hand side`);
    const alt: Alternative = op === '<=' ? 'greater' : op === '>=' ? 'less' : 'two.sided';
    if (alternative !== null && alt !== alternative) throw new ModelError(`${WHAT}: the hypotheses mix alternatives (==, <= and >=), which multcomp does not implement: test them separately`);
    alternative = alt;
    K.push(vars.map((v) => left.coef.get(v) ?? 0));
    rowNames.push(deparse(lhs));
    rhs.push(right.constant);
  }
  return { K, rowNames, rhs, alternative: alternative! };
}
