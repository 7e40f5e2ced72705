/**
 * The lme4 model-formula parser: `parseFormula('Reaction ~ Days + (Days | Subject)')`.
 *
 * Three stages, each in its own section below:
 *   1. `tokenize`   — the text to tokens (names, numbers, operators), with their offsets;
 *   2. `Parser`     — a Pratt parser from tokens to an AST that follows R's operator precedence;
 *   3. expansion    — R's term algebra (`terms.formula` in R's model.c) from the AST to the
 *                     fixed-effects `LinearPart`, plus lme4's handling of random-effects terms
 *                     (`findbars`, `expandDoubleVerts`, `expandSlash`) and `offset()`.
 * Labels are written as R's `deparse` writes them, so they match R's term labels and coefficient names.
 *
 * Hostile input ends fast with a FormulaError: nesting deeper than MAX_FORMULA_DEPTH (the parser and
 * the expansion recurse; a long sum `a + b + …` does not count, it is expanded iteratively), an
 * expansion past MAX_MODEL_COLUMNS terms (checked as it grows), a power `^n` beyond the number of
 * variables (capped there: higher powers add nothing), an unknown function (looked up in a Map).
 */
import { MAX_FORMULA_DEPTH, MAX_MODEL_COLUMNS } from '../errors/limits.js';
import { BASIS_FUNCTIONS, FACTOR_BUILDERS, FACTOR_FUNCTIONS, NUM_FACTOR, REDUCTIONS, RELEVEL, ROW_FUNCTIONS, formulaFunctionNames, isFormulaFunction } from './functions.js';
import {
  FormulaError,
  type BasisArgs,
  type CompareOp,
  type CovStructure,
  type Expr,
  type Formula,
  type GroupedFormula,
  type LinearPart,
  type RandomTerm,
  type RelevelRef,
  type Response,
  type ScaleArgs,
  type Term,
  type TermVar,
} from './types.js';

/**
 * Parses an lme4 model formula such as `y ~ x + (1 | g)`; throws `FormulaError` on a malformed formula.
 * `dataColumns`: the data's columns in order, for `.` on the right-hand side (R's terms(formula, data =):
 * every column but the response's variables, each a term, the grouping factors included).
 */
export function parseFormula(text: string, options: { dataColumns?: readonly string[] } = {}): Formula {
  if (typeof text !== 'string') throw new FormulaError(`a formula is a string such as 'y ~ x + (1 | g)', not ${text === null ? 'null' : typeof text}`, '', 0);
  const { response, rhs } = new Parser(text, tokenize(text)).parseFormula();
  checkNesting(response, text, false);
  checkNesting(rhs, text, true);
  const responseVars = new Set<string>();
  nodeNames(response, responseVars);
  const dot = options.dataColumns?.filter((c) => !responseVars.has(c));
  const encoder = new TermEncoder(text, { insideBarAt: null, ...(dot ? { dot } : {}) });
  const terms = encoder.encode(rhs, { parity: true, blocker: null });
  const fixed = encoder.linearPart(terms);
  const removedVars = encoder.variablesOutside(fixed);
  return {
    text,
    response: buildResponse(response, text),
    fixed,
    offsets: encoder.offsets,
    random: encoder.random,
    ...(removedVars.length > 0 ? { removedVars } : {}),
  };
}

/**
 * Whether a formula's text has R's `.` (all other columns) as a name: the caller then reads the data's
 * columns for parseFormula's `dataColumns`. False for text that does not tokenize (parseFormula's error).
 */
export function usesDot(text: string): boolean {
  try {
    return tokenize(text).some((t) => t.kind === 'name' && t.text === '.');
  } catch {
    return false;
  }
}

/** The names a formula expression reads (R's all.vars), added to `out`. */
function nodeNames(node: Node, out: Set<string>): void {
  const stack: Node[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.kind === 'name') out.add(n.name);
    else if (n.kind === 'call') stack.push(...n.args);
    else if (n.kind === 'paren') stack.push(n.inner);
    else if (n.kind === 'unary') stack.push(n.arg);
    else if (n.kind === 'binary') stack.push(n.left, n.right);
  }
}

/**
 * Parses a one-sided formula of random-effects terms, lme4's `re.form` (`~ (1 | Subject)`,
 * `~ (Days | Subject) + (1 | g:h)`); `~ 0` (or `~ 1`) is none: the population level, lme4's
 * `re.form = ~0`. Terms are expanded as in a model formula (`||`, `/`). A fixed-effects term is an
 * error naming it (the prediction always has the fixed part; lme4's reOnly drops such terms silently).
 */
export function parseRandomForm(text: string): RandomTerm[] {
  if (typeof text !== 'string') throw new FormulaError(`a random-effects formula is a string such as '~ (1 | g)', not ${text === null ? 'null' : typeof text}`, '', 0);
  const rhs = new Parser(text, tokenize(text)).parseOneSided();
  checkNesting(rhs, text, true);
  const encoder = new TermEncoder(text, { insideBarAt: null });
  const fixed = encoder.linearPart(encoder.encode(rhs, { parity: true, blocker: null }));
  if (fixed.terms.length > 0 || encoder.offsets.length > 0) {
    const what = fixed.terms.length > 0 ? `'${fixed.terms[0].label}' is a fixed-effects term` : 'an offset is not a random-effects term';
    throw new FormulaError(`a random-effects formula (re.form) takes random-effects terms such as (1 | g) only: ${what} (predictions always include the fixed effects)`, text, 0);
  }
  return encoder.random;
}

/** A formula's two sides as syntax trees (update.ts): `response` null for a one-sided formula `~ rhs`. */
export function parseFormulaSides(text: string): { response: Node | null; rhs: Node } {
  const tokens = tokenize(text);
  const first = tokens[0];
  if (first.kind === 'op' && first.op === '~') return { response: null, rhs: new Parser(text, tokens).parseOneSided() };
  return new Parser(text, tokens).parseFormula();
}

/**
 * R's terms() of a right-hand side with its random-effects terms kept whole (`(1 | g)` one variable
 * labelled `1 | g`, as R without lme4 sees it): the term labels in R's order (by degree, then by
 * appearance), the intercept, and the offsets' texts. What update.formula's simplification writes;
 * `written`: the labels with each logical variable in parentheses (`(x > 0):z`, R's label `x > 0:z`).
 */
export function termLabels(rhs: Node, text: string): { labels: string[]; written: string[]; intercept: boolean; offsets: string[] } {
  checkNesting(rhs, text, true);
  const encoder = new TermEncoder(text, { insideBarAt: null, barsAsVariables: true });
  const part = encoder.linearPart(encoder.encode(rhs, { parity: true, blocker: null }));
  // a logical variable (`x > 0`, `!z`, `a & b`) in parentheses, so that the label reads back as one variable
  const logical = (e: Expr) => e.type === 'compare' || e.type === 'and' || e.type === 'not';
  const written = part.terms.map((t) => t.vars.map((v) => (logical(v.expr) ? `(${v.label})` : v.label)).join(':'));
  return { labels: part.terms.map((t) => t.label), written, intercept: part.intercept, offsets: encoder.offsetTexts };
}

/**
 * Parses a grouped formula `response ~ terms | group`, the formula of lme4's (and nlme's) `lmList`:
 * the linear model `response ~ terms` fitted in each level of `group`, the variable after a bar
 * outside parentheses (lme4's modelFormula: the bar is the formula's outermost operator, R's `|`
 * binding loosest). The grouping variable is one column: an interaction (`g1:g2`) or a nested
 * grouping (`g1/g2`) is refused (lme4 evaluates such an expression as R arithmetic, not as a
 * grouping). Random-effects terms `(x | g)` in the model are refused: each group's model is a
 * linear model.
 */
export function parseGroupedFormula(text: string): GroupedFormula {
  if (typeof text !== 'string') throw new FormulaError(`a grouped formula is a string such as 'y ~ x | g', not ${text === null ? 'null' : typeof text}`, '', 0);
  const { response, rhs } = new Parser(text, tokenize(text)).parseFormula();
  if (rhs.kind !== 'binary' || rhs.op !== '|') {
    const at = rhs.kind === 'binary' && rhs.op === '||' ? rhs.pos : text.length;
    throw new FormulaError("a grouped formula (lmList) has the form 'response ~ terms | group': the grouping variable after a '|' outside parentheses", text, at);
  }
  checkNesting(response, text, false);
  checkNesting(rhs.left, text, true);
  const groupNode = unwrap(rhs.right);
  if (groupNode.kind !== 'name') {
    throw new FormulaError(`the grouping variable of a grouped formula (lmList) is one column, not '${deparse(rhs.right)}'`, text, rhs.right.pos);
  }
  const encoder = new TermEncoder(text, { insideBarAt: null });
  const fixed = encoder.linearPart(encoder.encode(rhs.left, { parity: true, blocker: null }));
  if (encoder.random.length > 0) {
    throw new FormulaError(`random-effects term ${encoder.random[0].text} in a grouped formula (lmList): each group's model is a linear model`, text, rhs.left.pos);
  }
  const removedVars = encoder.variablesOutside(fixed);
  const modelText = `${deparse(response)} ~ ${deparse(rhs.left)}`;
  return {
    text,
    model: {
      text: modelText,
      response: buildResponse(response, text),
      fixed,
      offsets: encoder.offsets,
      random: [],
      ...(removedVars.length > 0 ? { removedVars } : {}),
    },
    group: groupNode.name,
  };
}

// ---------------------------------------------------------------------------------------------
// 1. Tokens
// ---------------------------------------------------------------------------------------------

/** Operators and punctuation; `**` is read as `^`, as R does. */
type Op = '~' | '+' | '-' | '*' | '/' | ':' | '^' | '|' | '||' | '(' | ')' | ',' | '=' | CompareOp | '&' | '!' | '%in%';

type Token =
  | { kind: 'name'; name: string; text: string; pos: number }
  | { kind: 'num'; value: number; text: string; pos: number }
  /** a string literal: `value` with R's escapes resolved, `text` as written (quotes included) */
  | { kind: 'str'; value: string; text: string; pos: number }
  | { kind: 'op'; op: Op; text: string; pos: number }
  | { kind: 'eof'; text: string; pos: number };

const NAME_START = /[\p{L}.]/u;
const NAME_CHAR = /[\p{L}\p{N}._]/u;
const NUMBER = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
/** longest first, so that `==` is not read as `=` `=` nor `<=` as `<` `=` */
const OPERATORS: Op[] = ['||', '==', '!=', '<=', '>=', '~', '+', '-', '*', '/', ':', '^', '|', '(', ')', ',', '=', '<', '>', '&', '!'];
const COMPARE_OPS: ReadonlySet<string> = new Set<CompareOp>(['==', '!=', '<', '>', '<=', '>=']);

/** R's single-character escapes in a string literal (R's gram.y), the character each stands for. */
const ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'", '`': '`', ' ': ' ', '\n': '\n',
};

/**
 * A string literal `"…"` or `'…'` starting at `start` (its quote), as R's lexer reads it: the escapes
 * `\n \t \r \a \b \f \v \\ \" \' \``, octal `\ooo`, hex `\xhh`, Unicode `\uXXXX`, `\u{XXXX}`,
 * `\UXXXXXXXX`, `\U{…}`; any other escape, a nul character or no closing quote is an error at its place.
 */
function readString(text: string, start: number): { value: string; end: number } {
  const quote = text[start];
  let value = '';
  let i = start + 1;
  const hexRun = (from: number, max: number): string => {
    let j = from;
    while (j < text.length && j - from < max && /[0-9a-fA-F]/.test(text[j])) j++;
    return text.slice(from, j);
  };
  const codePoint = (cp: number, at: number): string => {
    if (cp === 0) throw new FormulaError('nul character not allowed in a string', text, at);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new FormulaError(`invalid Unicode escape in a string: code point ${cp.toString(16)} is not a character`, text, at);
    return String.fromCodePoint(cp);
  };
  while (i < text.length && text[i] !== quote) {
    if (text[i] !== '\\') {
      const cp = text.codePointAt(i)!;
      value += String.fromCodePoint(cp);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const at = i;
    const c = text[i + 1];
    if (c === undefined) break;
    if (ESCAPES[c] !== undefined) {
      value += ESCAPES[c];
      i += 2;
    } else if (/[0-7]/.test(c)) {
      let j = i + 1;
      while (j < text.length && j - (i + 1) < 3 && /[0-7]/.test(text[j])) j++;
      value += codePoint(parseInt(text.slice(i + 1, j), 8), at);
      i = j;
    } else if (c === 'x') {
      const h = hexRun(i + 2, 2);
      if (h === '') throw new FormulaError("'\\x' used without hex digits in a string", text, at);
      value += codePoint(parseInt(h, 16), at);
      i += 2 + h.length;
    } else if (c === 'u' || c === 'U') {
      const max = c === 'u' ? 4 : 8;
      let h: string;
      if (text[i + 2] === '{') {
        h = hexRun(i + 3, max);
        if (text[i + 3 + h.length] !== '}') throw new FormulaError(`invalid \\${c}{xxxx} sequence in a string: no closing '}'`, text, at);
        i += 4 + h.length;
      } else {
        h = hexRun(i + 2, max);
        i += 2 + h.length;
      }
      if (h === '') throw new FormulaError(`'\\${c}' used without hex digits in a string`, text, at);
      value += codePoint(parseInt(h, 16), at);
    } else {
      const shown = String.fromCodePoint(text.codePointAt(i + 1)!);
      throw new FormulaError(`'\\${shown}' is an unrecognized escape in a string (R's escapes: \\n \\t \\" \\' \\\\ \\x.. \\u.... and the others of ?Quotes)`, text, at);
    }
  }
  if (i >= text.length) throw new FormulaError(`unterminated string: no closing ${quote}`, text, start);
  return { value, end: i + 1 };
}

/** Splits a formula into tokens, ending with an 'eof' token at `text.length`. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    // one character (a code point: a character outside the BMP is two UTF-16 units)
    const c = String.fromCodePoint(text.codePointAt(i)!);
    if (/\s/.test(c)) {
      i += c.length;
    } else if (/\d/.test(c) || (c === '.' && /\d/.test(text[i + 1] ?? ''))) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text)!;
      tokens.push({ kind: 'num', value: Number(m[0]), text: m[0], pos: i });
      i += m[0].length;
    } else if (NAME_START.test(c)) {
      let j = i + c.length;
      while (j < text.length) {
        const d = String.fromCodePoint(text.codePointAt(j)!);
        if (!NAME_CHAR.test(d)) break;
        j += d.length;
      }
      const name = text.slice(i, j);
      // R's Inf is a number constant (a reserved word, deparsed as Inf), not a name: cut(x, c(-Inf, 0, Inf))
      if (name === 'Inf') tokens.push({ kind: 'num', value: Infinity, text: name, pos: i });
      else tokens.push({ kind: 'name', name, text: name, pos: i });
      i = j;
    } else if (c === '`') {
      const close = text.indexOf('`', i + 1);
      if (close < 0) throw new FormulaError('unterminated backquoted name: no closing \'`\'', text, i);
      if (close === i + 1) throw new FormulaError("empty backquoted name '``'", text, i);
      tokens.push({ kind: 'name', name: text.slice(i + 1, close), text: text.slice(i, close + 1), pos: i });
      i = close + 1;
    } else if (c === '"' || c === "'") {
      const { value, end } = readString(text, i);
      tokens.push({ kind: 'str', value, text: text.slice(i, end), pos: i });
      i = end;
    } else if (text.startsWith('<-', i) || text.startsWith('<<-', i)) {
      // R's assignment, never part of a formula: refused rather than read as `<` and a negative number
      throw new FormulaError(`'${text.startsWith('<<-', i) ? '<<-' : '<-'}' is R's assignment, not part of a formula (a comparison with a negative number is written with a space: x < -1)`, text, i);
    } else if (text.startsWith('&&', i)) {
      throw new FormulaError("'&&' compares single values in R; in a formula, '&' combines the rows' comparisons (I(x > 0 & z < 1))", text, i);
    } else if (c === '%') {
      // R's %op% operators: %in% (a term nested in another: x %in% f is x:f) only
      const close = text.indexOf('%', i + 1);
      const op = close > i ? text.slice(i, close + 1) : '%';
      if (op !== '%in%') throw new FormulaError(`unexpected operator '${op}': of R's %…% operators a formula takes %in% only (x %in% f, R's x:f)`, text, i);
      tokens.push({ kind: 'op', op: '%in%', text: op, pos: i });
      i += op.length;
    } else if (text.startsWith('**', i)) {
      tokens.push({ kind: 'op', op: '^', text: '**', pos: i });
      i += 2;
    } else {
      const op = OPERATORS.find((o) => text.startsWith(o, i));
      if (op === undefined) throw new FormulaError(`unexpected character '${c}'`, text, i);
      tokens.push({ kind: 'op', op, text: op, pos: i });
      i += op.length;
    }
  }
  tokens.push({ kind: 'eof', text: 'end of formula', pos: text.length });
  return tokens;
}

/** True if the token is the operator `op` (or one of `ops`). */
function isOp(tok: Token, ...ops: Op[]): boolean {
  return tok.kind === 'op' && ops.includes(tok.op);
}

/** How a token is named in error messages. */
function describe(tok: Token): string {
  return tok.kind === 'eof' ? tok.text : `'${tok.text}'`;
}

// ---------------------------------------------------------------------------------------------
// 2. AST and parser
// ---------------------------------------------------------------------------------------------

type BinaryOp = '+' | '-' | '*' | '/' | ':' | '^' | '|' | '||' | CompareOp | '&' | '%in%';

/**
 * A formula expression as written. Parentheses are kept (R keeps them too, and `deparse` prints
 * them back). `pos` is the offset of the node's first token, or of the operator for a binary node.
 */
export type Node =
  | { kind: 'name'; name: string; pos: number }
  | { kind: 'num'; value: number; text: string; pos: number }
  /** a string literal (`"ctl"`, `'F'`): `value` with its escapes resolved */
  | { kind: 'str'; value: string; pos: number }
  /** `fn(a, name = b)`: `names[k]` is argument k's name, null when positional */
  | { kind: 'call'; fn: string; args: Node[]; names: (string | null)[]; pos: number }
  /** R's logical constants `TRUE` and `FALSE` (a call argument's value: `raw = TRUE`) */
  | { kind: 'logical'; value: boolean; pos: number }
  | { kind: 'paren'; inner: Node; pos: number }
  | { kind: 'unary'; op: '+' | '-' | '!'; arg: Node; pos: number }
  | { kind: 'binary'; op: BinaryOp; left: Node; right: Node; pos: number };

type BinaryNode = Extract<Node, { kind: 'binary' }>;

/**
 * Binding powers from R's precedence table (?Syntax), lowest first: `|`/`||`, `&`, unary `!`, the
 * comparisons `== != < > <= >=`, binary `+ -`, `* /`, `:`, unary `+ -`, `^`. All are left-associative
 * except `^` (right) and the comparisons, which do not chain (R: `a < b < c` is a syntax error).
 */
const INFIX: Partial<Record<Op, { lbp: number; rbp: number }>> = {
  '|': { lbp: 10, rbp: 11 },
  '||': { lbp: 10, rbp: 11 },
  '&': { lbp: 12, rbp: 13 },
  '==': { lbp: 16, rbp: 17 },
  '!=': { lbp: 16, rbp: 17 },
  '<': { lbp: 16, rbp: 17 },
  '>': { lbp: 16, rbp: 17 },
  '<=': { lbp: 16, rbp: 17 },
  '>=': { lbp: 16, rbp: 17 },
  '+': { lbp: 20, rbp: 21 },
  '-': { lbp: 20, rbp: 21 },
  '*': { lbp: 30, rbp: 31 },
  '/': { lbp: 30, rbp: 31 },
  // R's %any% binds tighter than * and /, less tightly than ':'
  '%in%': { lbp: 35, rbp: 36 },
  ':': { lbp: 40, rbp: 41 },
  '^': { lbp: 60, rbp: 59 },
};
const UNARY_BP = 50;
/** `!`'s operand: the comparisons and everything tighter, not `&` nor `|` (`!x > 2 & z` is `(!(x > 2)) & z`) */
const NOT_BP = 14;

/** Pratt parser over the token list; `~` only at the top level (`response ~ rhs`). */
class Parser {
  private index = 0;
  /** how deeply parseExpr is nested (parentheses, calls, unary operators, right operands) */
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  /** `response ~ rhs`, then the end of the text. */
  parseFormula(): { response: Node; rhs: Node } {
    const first = this.peek();
    if (first.kind === 'eof') throw this.error("missing '~': a formula has the form 'response ~ terms'", 0);
    if (isOp(first, '~')) throw this.error("empty response: expected an expression before '~'", first.pos);
    const response = this.parseExpr(0, null);

    const tilde = this.next();
    if (!isOp(tilde, '~')) {
      if (!this.tokens.some((t) => isOp(t, '~'))) {
        throw this.error(`missing '~': expected '~' after the response, found ${describe(tilde)}`, tilde.pos);
      }
      throw this.unexpected(tilde);
    }
    const rhs = this.parseExpr(0, tilde);
    const rest = this.next();
    if (rest.kind !== 'eof') throw this.unexpected(rest);
    return { response, rhs };
  }

  /** `~ rhs` (a one-sided formula), then the end of the text. */
  parseOneSided(): Node {
    const tilde = this.next();
    if (!isOp(tilde, '~')) throw this.error(`a one-sided formula starts with '~' (such as '~ (1 | g)'), found ${describe(tilde)}`, tilde.pos);
    const rhs = this.parseExpr(0, tilde);
    const rest = this.next();
    if (rest.kind !== 'eof') throw this.unexpected(rest);
    return rhs;
  }

  /** An expression whose operators all bind tighter than `minBp`; `after` is the token before it. */
  private parseExpr(minBp: number, after: Token | null): Node {
    if (++this.depth > MAX_FORMULA_DEPTH) throw this.tooDeep(this.peek().pos);
    let left = this.parsePrefix(after);
    for (;;) {
      const tok = this.peek();
      const power = tok.kind === 'op' ? INFIX[tok.op] : undefined;
      if (tok.kind !== 'op' || power === undefined || power.lbp <= minBp) {
        this.depth--;
        return left;
      }
      // a comparison's operand is itself no comparison: R's comparisons do not chain (`a < b < c`), while
      // `a < b & b < c` is fine
      if (COMPARE_OPS.has(tok.op) && left.kind === 'binary' && COMPARE_OPS.has(left.op)) {
        throw this.error(`unexpected '${tok.text}': comparisons do not chain in R (write ${deparse(left.right)} twice: a < b & b < c)`, tok.pos);
      }
      this.next();
      const right = this.parseExpr(power.rbp, tok);
      left = { kind: 'binary', op: tok.op as BinaryOp, left, right, pos: tok.pos };
    }
  }

  private tooDeep(pos: number): FormulaError {
    return this.error(tooDeepMessage(), pos);
  }

  /** An operand: a name, a call, a number, a parenthesized expression, or a unary `+`/`-`. */
  private parsePrefix(after: Token | null): Node {
    const tok = this.peek();
    if (tok.kind === 'name') {
      this.next();
      if (isOp(this.peek(), '(')) return this.parseCall(tok);
      // TRUE and FALSE as written (a backquoted `TRUE` is a name)
      if (tok.text === 'TRUE' || tok.text === 'FALSE') return { kind: 'logical', value: tok.text === 'TRUE', pos: tok.pos };
      return { kind: 'name', name: tok.name, pos: tok.pos };
    }
    if (tok.kind === 'num') {
      this.next();
      return { kind: 'num', value: tok.value, text: tok.text, pos: tok.pos };
    }
    if (tok.kind === 'str') {
      this.next();
      return { kind: 'str', value: tok.value, pos: tok.pos };
    }
    if (isOp(tok, '(')) return this.parseParen();
    if (isOp(tok, '!')) {
      this.next();
      return { kind: 'unary', op: '!', arg: this.parseExpr(NOT_BP, tok), pos: tok.pos };
    }
    if (tok.kind === 'op' && (tok.op === '+' || tok.op === '-')) {
      this.next();
      return { kind: 'unary', op: tok.op, arg: this.parseExpr(UNARY_BP, tok), pos: tok.pos };
    }
    throw this.missingOperand(after, tok);
  }

  /** `( expr )`. */
  private parseParen(): Node {
    const open = this.next();
    const unclosed = () => this.error("unbalanced parentheses: '(' is never closed", open.pos);
    if (this.peek().kind === 'eof') throw unclosed();
    const inner = this.parseExpr(0, open);
    const close = this.next();
    if (close.kind === 'eof') throw unclosed();
    if (!isOp(close, ')')) throw this.unexpected(close);
    return { kind: 'paren', inner, pos: open.pos };
  }

  /** `fn(arg, ...)`, the name already read and `(` next. */
  private parseCall(fn: Extract<Token, { kind: 'name' }>): Node {
    const open = this.next();
    const unclosed = () => this.error(`unclosed function call '${fn.text}(': missing ')'`, fn.pos);
    const args: Node[] = [];
    const names: (string | null)[] = [];
    if (isOp(this.peek(), ')')) {
      this.next();
      return { kind: 'call', fn: fn.name, args, names, pos: fn.pos };
    }
    let before: Token = open;
    for (;;) {
      if (this.peek().kind === 'eof') throw unclosed();
      // a named argument `name = value` (which arguments a function takes is checked by toExpr)
      const name = this.peek(), eq = this.tokens[this.index + 1];
      if (name.kind === 'name' && eq !== undefined && isOp(eq, '=')) {
        this.next();
        before = this.next();
        if (this.peek().kind === 'eof' || isOp(this.peek(), ',', ')')) throw this.error(`expected a value after '${name.text} ='`, eq.pos);
        names.push(name.name);
      } else {
        names.push(null);
      }
      args.push(this.parseExpr(0, before));
      const tok = this.next();
      if (isOp(tok, ')')) return { kind: 'call', fn: fn.name, args, names, pos: fn.pos };
      if (tok.kind === 'eof') throw unclosed();
      if (!isOp(tok, ',')) throw this.unexpected(tok);
      before = tok;
    }
  }

  /** The error for a missing operand: `found` is where one was expected, `after` the token before it. */
  private missingOperand(after: Token | null, found: Token): FormulaError {
    if (isOp(found, '|', '||') && after !== null && isOp(after, '(')) {
      return this.error(`empty random-effects term: expected a term before '${found.text}'`, found.pos);
    }
    if (after === null || !(found.kind === 'eof' || isOp(found, ')', ','))) return this.unexpected(found);
    if (isOp(after, '|', '||')) return this.error(`expected a grouping factor after '${after.text}'`, after.pos);
    if (isOp(after, '~')) return this.error("empty right-hand side: expected a term after '~'", after.pos);
    if (isOp(after, '(') && isOp(found, ')')) return this.error("empty parentheses '()'", after.pos);
    if (isOp(after, ',')) return this.error("expected an argument after ','", after.pos);
    return this.error(`expected a term after '${after.text}'`, after.pos);
  }

  /** The error for a token that cannot appear where it is. */
  private unexpected(tok: Token): FormulaError {
    if (isOp(tok, ')')) return this.error("unbalanced parentheses: unexpected ')'", tok.pos);
    if (isOp(tok, '=')) return this.error("unexpected '=': '=' names an argument of a function call (poly(x, degree = 2)); it is no operator of a formula", tok.pos);
    return this.error(`unexpected ${describe(tok)}`, tok.pos);
  }

  private error(message: string, pos: number): FormulaError {
    return new FormulaError(message, this.text, pos);
  }

  private peek(): Token {
    return this.tokens[this.index];
  }

  private next(): Token {
    const tok = this.tokens[this.index];
    if (tok.kind !== 'eof') this.index++;
    return tok;
  }
}

// ---------------------------------------------------------------------------------------------
// 3a. Deparsing and expressions
// ---------------------------------------------------------------------------------------------

/** R's reserved words, which deparse backquotes when used as names. */
const RESERVED = new Set([
  'if', 'else', 'repeat', 'while', 'function', 'for', 'next', 'break', 'in', 'TRUE', 'FALSE', 'NULL',
  'Inf', 'NaN', 'NA', 'NA_integer_', 'NA_real_', 'NA_character_', 'NA_complex_', '...',
]);

/** True if R writes `name` without backquotes. */
function isSyntacticName(name: string): boolean {
  return /^(?:\p{L}|\.(?!\d))[\p{L}\p{N}._]*$/u.test(name) && !RESERVED.has(name) && !/^\.\.\d+$/.test(name);
}

/** A name as R's deparse writes it: backquoted when not syntactic (`` `my col` ``). */
function deparseName(name: string): string {
  return isSyntacticName(name) ? name : `\`${name.replace(/`/g, '\\`')}\``;
}

/**
 * A number as R's deparse writes it: 15 significant digits, fixed notation unless scientific
 * notation is narrower (`0.5`, `100`, `1e+05`, `1e-04`).
 */
function deparseNumber(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Inf' : '-Inf';
  if (value === 0) return '0';
  const sign = value < 0 ? '-' : '';
  const [mantissa, expText] = Math.abs(value).toExponential(14).split('e');
  const digits = mantissa.replace('.', '').replace(/0+$/, '');
  const exp = Number(expText);
  const decimals = Math.max(0, digits.length - exp - 1);
  const fixedWidth = (exp >= 0 ? exp + 1 : 1) + (decimals > 0 ? decimals + 1 : 0);
  const sciWidth = digits.length + (digits.length > 1 ? 1 : 0) + (Math.abs(exp) >= 100 ? 5 : 4);
  if (fixedWidth <= sciWidth) return sign + Math.abs(value).toFixed(decimals);
  const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
  return `${sign}${digits[0]}${frac}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/**
 * A string as R's deparse writes it: in double quotes, with `\\` and `"` escaped and the control
 * characters written as escapes (`\n`, `\t`, …; others as `\001`, or `\u007f` for DEL), other
 * characters as they are (R in a UTF-8 locale).
 */
export function deparseString(value: string): string {
  const named: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\', '"': '\\"' };
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (named[ch] !== undefined) out += named[ch];
    else if (code < 0x20) out += '\\' + code.toString(8).padStart(3, '0');
    else if (code === 0x7f) out += '\\177';
    else out += ch;
  }
  return out + '"';
}

/** R's deparse: spaces around `+ - * | || ~`, none around `/ ^ :`; parentheses as written. */
export function deparse(node: Node): string {
  switch (node.kind) {
    case 'name':
      return deparseName(node.name);
    case 'num':
      return deparseNumber(node.value);
    case 'str':
      return deparseString(node.value);
    case 'call':
      return `${deparseName(node.fn)}(${node.args.map((a, k) => (node.names[k] !== null ? `${deparseName(node.names[k]!)} = ` : '') + deparse(a)).join(', ')})`;
    case 'logical':
      return node.value ? 'TRUE' : 'FALSE';
    case 'paren':
      return `(${deparse(node.inner)})`;
    case 'unary':
      return node.op + deparse(node.arg);
    case 'binary': {
      // a left-leaning chain (`a + b + c + …`) iteratively: a formula may have thousands of terms
      const chain: BinaryNode[] = [];
      let left: Node = node;
      while (left.kind === 'binary') {
        chain.push(left);
        left = left.left;
      }
      let out = deparse(left);
      for (let k = chain.length - 1; k >= 0; k--) {
        const b = chain[k];
        // (R's deparse writes the comparisons and `&` with spaces too)
        const tight = b.op === '/' || b.op === '^' || b.op === ':';
        out += (tight ? b.op : ` ${b.op} `) + deparse(b.right);
      }
      return out;
    }
  }
}

function tooDeepMessage(): string {
  return `formula nested too deeply: more than ${MAX_FORMULA_DEPTH} levels of parentheses, function calls or operators (MAX_FORMULA_DEPTH)`;
}

/**
 * Refuses nesting the expansion would recurse through more than MAX_FORMULA_DEPTH deep. The parser
 * already counted parentheses, calls and right operands; left-leaning chains (`a*b*c*…`, `a:b:c:…`)
 * are counted here. In the terms (`terms`: the right-hand side, outside calls) a chain of `+` and `-`
 * is expanded iteratively and does not count. Iterative, so that it cannot overflow itself.
 */
function checkNesting(root: Node, text: string, terms: boolean): void {
  const stack: { node: Node; depth: number; terms: boolean }[] = [{ node: root, depth: 0, terms }];
  while (stack.length > 0) {
    const { node, depth, terms: inTerms } = stack.pop()!;
    if (depth > MAX_FORMULA_DEPTH) throw new FormulaError(tooDeepMessage(), text, node.pos);
    switch (node.kind) {
      case 'call':
        for (const a of node.args) stack.push({ node: a, depth: depth + 1, terms: false });
        break;
      case 'paren':
        stack.push({ node: node.inner, depth: depth + 1, terms: inTerms });
        break;
      case 'unary':
        stack.push({ node: node.arg, depth: depth + 1, terms: inTerms });
        break;
      case 'binary': {
        const sum = inTerms && (node.op === '+' || node.op === '-');
        stack.push({ node: node.left, depth: sum ? depth : depth + 1, terms: inTerms });
        stack.push({ node: node.right, depth: depth + 1, terms: inTerms });
        break;
      }
      default:
        break;
    }
  }
}

/**
 * The `Expr` of an arithmetic expression (a response, a variable, a call argument). `termVar`: the
 * expression is a whole variable of a term, where a factor() or a matrix-valued call (poly, ns, bs)
 * may stand; anywhere else (inside arithmetic or another call, a response, an offset) they are refused.
 */
function toExpr(node: Node, text: string, termVar = false): Expr {
  switch (node.kind) {
    case 'name':
      return { type: 'var', name: node.name };
    case 'num':
      return { type: 'num', value: node.value };
    case 'str':
      throw new FormulaError(`the string ${deparseString(node.value)} is a value, not a variable: it may be compared with a factor (I(sex == "F")) or name a level (relevel(f, ref = "ctl"))`, text, node.pos);
    case 'logical':
      throw new FormulaError(`'${node.value ? 'TRUE' : 'FALSE'}' is the value of a function's argument (poly(x, 2, raw = TRUE)), not a variable`, text, node.pos);
    case 'call': {
      if (!isFormulaFunction(node.fn)) {
        const where = node.fn === 'offset' ? ": 'offset(...)' is a term of the right-hand side, not part of an expression"
          : node.fn === 'cbind' ? ": 'cbind(successes, failures)' is a binomial model's response"
          : node.fn === 'c' ? ": 'c(...)' is the value of an argument such as knots = c(2, 5)" : '';
        throw new FormulaError(`unknown function '${node.fn}'${where} (functions: ${formulaFunctionNames()}; I(...) for arithmetic)`, text, node.pos);
      }
      if (FACTOR_BUILDERS.has(node.fn)) return factorBuilderCall(node, text, termVar);
      if (REDUCTIONS.has(node.fn)) return reductionCall(node, text);
      if (node.fn === 'scale' && (node.args.length !== 1 || node.names[0] !== null)) return scaleCall(node, text);
      if (ROW_FUNCTIONS.has(node.fn)) return rowCall(node, text);
      const matrix = BASIS_FUNCTIONS.has(node.fn);
      if (node.fn === NUM_FACTOR) return numFactorCall(node, text, termVar);
      if (node.fn === RELEVEL) return relevelCall(node, text, termVar);
      if ((matrix || FACTOR_FUNCTIONS.has(node.fn)) && !termVar) {
        const what = matrix ? `'${node.fn}()' gives a matrix of columns` : `'${node.fn}()' gives a factor`;
        throw new FormulaError(`${what}: it may only be a variable of a term (y ~ ${node.fn}(x${matrix ? ', 2' : ''}) + …), not inside an expression, a response or an offset`, text, node.pos);
      }
      if (matrix) return basisCall(node, text);
      const named = node.names.findIndex((nm) => nm !== null);
      if (named >= 0) {
        const takes = FACTOR_FUNCTIONS.has(node.fn) ? ' (its levels, labels or other arguments are not supported)' : '';
        throw new FormulaError(`'${node.fn}' takes no named argument here: '${node.names[named]} = ' is not supported${takes}`, text, node.args[named].pos);
      }
      if (node.args.length !== 1) {
        throw new FormulaError(`'${node.fn}' takes 1 argument, got ${node.args.length}`, text, node.pos);
      }
      return { type: 'call', fn: node.fn, args: node.args.map((a) => toExpr(a, text)) };
    }
    case 'paren':
      return toExpr(node.inner, text, termVar);
    case 'unary':
      if (node.op === '!') return { type: 'not', arg: toExpr(node.arg, text) };
      return node.op === '-' ? { type: 'neg', arg: toExpr(node.arg, text) } : toExpr(node.arg, text);
    case 'binary':
      if (node.op === '|' && !termVar) {
        throw new FormulaError("'|' inside an expression: in a formula '|' is the bar of a random-effects term (lme4 reads I(a | b) as one too); write R's 'or' of two comparisons as !(!a & !b)", text, node.pos);
      }
      if (node.op === ':' || node.op === '%in%' || node.op === '|' || node.op === '||') {
        throw new FormulaError(`operator '${node.op}' is not supported inside an expression`, text, node.pos);
      }
      if (COMPARE_OPS.has(node.op)) {
        // a string is an operand of a comparison only: a factor's level (`sex == "F"`)
        const side = (n: Node): Expr => { const u = unwrap(n); return u.kind === 'str' ? { type: 'str', value: u.value } : toExpr(n, text); };
        return { type: 'compare', op: node.op as CompareOp, left: side(node.left), right: side(node.right) };
      }
      if (node.op === '&') return { type: 'and', left: toExpr(node.left, text), right: toExpr(node.right, text) };
      return { type: 'binop', op: node.op as '+' | '-' | '*' | '/' | '^', left: toExpr(node.left, text), right: toExpr(node.right, text) };
  }
}

/**
 * A call's arguments matched to `formals` as R matches a closure's: named ones by their exact name (a
 * partial name is refused, naming the full one), then the positional ones in order to the formals
 * left; `...` (pmin, pmax) takes every positional argument.
 */
function matchCallArgs(node: Extract<Node, { kind: 'call' }>, formals: readonly string[], text: string): { given: Map<string, Node>; dots: Node[] } {
  const fn = node.fn;
  const given = new Map<string, Node>();
  const dots: Node[] = [];
  const shown = formals.filter((f) => f !== '...').join(', ') || '…';
  node.args.forEach((arg, k) => {
    const name = node.names[k];
    if (name === null) return;
    if (!formals.includes(name) || name === '...') {
      const full = formals.filter((f) => f !== '...' && f.startsWith(name));
      const hint = full.length === 1 ? ` (write its full name: ${full[0]} = …)` : '';
      throw new FormulaError(`'${fn}' has no argument '${name}'${hint} (its arguments: ${shown})`, text, arg.pos);
    }
    if (given.has(name)) throw new FormulaError(`'${fn}': argument '${name}' given twice`, text, arg.pos);
    given.set(name, arg);
  });
  const open = formals.filter((f) => !given.has(f));
  let slot = 0;
  node.args.forEach((arg, k) => {
    if (node.names[k] !== null) return;
    const formal = open[slot];
    if (formal === '...') { dots.push(arg); return; }
    if (formal === undefined) throw new FormulaError(`'${fn}' takes at most ${formals.length} argument${formals.length === 1 ? '' : 's'} (${shown}), got ${node.args.length}`, text, arg.pos);
    given.set(formal, arg);
    slot++;
  });
  return { given, dots };
}

/** A TRUE/FALSE argument written out (`na.rm = TRUE`), or undefined when not given. */
function logicalArg(fn: string, name: string, arg: Node | undefined, text: string): boolean | undefined {
  if (!arg) return undefined;
  const a = unwrap(arg);
  if (a.kind !== 'logical') throw new FormulaError(`'${fn}': ${name} must be TRUE or FALSE, not '${deparse(arg)}'`, text, arg.pos);
  return a.value;
}

/** the contrast functions C() takes by name (src/frame/contrasts.ts CONTRAST_NAMES) */
const C_CONTRASTS = ['contr.treatment', 'contr.sum', 'contr.helmert', 'contr.SAS', 'contr.poly'];

/**
 * R's `interaction(f, h, …, drop = FALSE, sep = ".")` and `C(f, contr)`: factors built from factors
 * (columns, factor(x), relevel(…)), whole variables of a term. interaction's lex.order = TRUE and C's
 * how.many, a contrast matrix or a call such as contr.treatment(3, base = 2) are refused by name.
 */
function factorBuilderCall(node: Extract<Node, { kind: 'call' }>, text: string, termVar: boolean): Expr {
  const fn = node.fn;
  if (!termVar) throw new FormulaError(`'${fn}()' gives a factor: it may only be a variable of a term (y ~ ${fn}(f, ${fn === 'C' ? 'contr.sum' : 'h'}) + …), not inside an expression, a response or an offset`, text, node.pos);
  const factorArg = (a: Node): Expr => {
    const u = unwrap(a);
    const ok = u.kind === 'name' || (u.kind === 'call' && (FACTOR_FUNCTIONS.has(u.fn) || u.fn === RELEVEL));
    if (!ok) throw new FormulaError(`'${fn}' takes factors: columns, factor(x) or relevel(…), not '${deparse(a)}'`, text, a.pos);
    return toExpr(a, text, true);
  };
  if (fn === 'interaction') {
    const { given, dots } = matchCallArgs(node, ['...', 'drop', 'sep', 'lex.order'], text);
    if (dots.length === 0) throw new FormulaError(`'interaction' needs factors: interaction(f, h)`, text, node.pos);
    if (logicalArg(fn, 'lex.order', given.get('lex.order'), text)) throw new FormulaError(`'interaction': lex.order = TRUE is not supported (the levels with the first factor varying fastest, R's default)`, text, given.get('lex.order')!.pos);
    // drop = TRUE keeps only the combinations present; the model frame drops the unused ones anyway (R's drop.unused.levels)
    logicalArg(fn, 'drop', given.get('drop'), text);
    const sepNode = given.get('sep');
    const sep = sepNode ? unwrap(sepNode) : null;
    if (sep && sep.kind !== 'str') throw new FormulaError(`'interaction': sep must be a string in quotes (sep = "_"), not '${deparse(sepNode!)}'`, text, sepNode!.pos);
    return { type: 'call', fn, args: dots.map(factorArg), ...(sep && sep.kind === 'str' && sep.value !== '.' ? { sep: sep.value } : {}) };
  }
  if (fn === 'cut') return cutCall(node, text);
  const { given } = matchCallArgs(node, ['object', 'contr', 'how.many'], text);
  const object = given.get('object');
  if (!object) throw new FormulaError(`'C' needs a factor: C(f, contr.sum)`, text, node.pos);
  if (given.has('how.many')) throw new FormulaError(`'C': how.many is not supported`, text, given.get('how.many')!.pos);
  const contrNode = given.get('contr');
  if (!contrNode) throw new FormulaError(`'C' needs its contrasts: C(${deparse(object)}, contr.sum) (R: argument "contr" is missing)`, text, node.pos);
  const c = unwrap(contrNode);
  const name = c.kind === 'name' ? c.name : c.kind === 'str' ? c.value : null;
  if (name === null || !C_CONTRASTS.includes(name)) {
    throw new FormulaError(`'C': the contrasts must be one of ${C_CONTRASTS.join(', ')} by name, not '${deparse(contrNode)}'${c.kind === 'call' ? ' (a call such as contr.treatment(3, base = 2): relevel() the factor instead)' : ''}`, text, contrNode.pos);
  }
  return { type: 'call', fn, args: [factorArg(object)], contrast: name };
}

/**
 * R's `cut(x, breaks, labels = NULL, include.lowest = FALSE, right = TRUE, dig.lab = 3,
 * ordered_result = FALSE)`: breaks a number of intervals (≥ 2) or numbers c(…) written out (Inf, -Inf
 * too); labels other than NULL and ordered_result = TRUE are refused by name.
 */
function cutCall(node: Extract<Node, { kind: 'call' }>, text: string): Expr {
  const { given } = matchCallArgs(node, ['x', 'breaks', 'labels', 'include.lowest', 'right', 'dig.lab', 'ordered_result'], text);
  const x = given.get('x'), b = given.get('breaks');
  if (!x) throw new FormulaError(`'cut' needs a variable: cut(x, breaks = 3)`, text, node.pos);
  if (!b) throw new FormulaError(`'cut' needs its breaks: cut(${deparse(x)}, breaks = 3) or cut(${deparse(x)}, c(-Inf, 0, 1, Inf)) (R: argument "breaks" is missing)`, text, node.pos);
  const labels = given.get('labels');
  if (labels && !(unwrap(labels).kind === 'name' && (unwrap(labels) as { name: string }).name === 'NULL')) throw new FormulaError(`'cut': labels are not supported (R's own "(a,b]" labels are used)`, text, labels.pos);
  if (logicalArg('cut', 'ordered_result', given.get('ordered_result'), text)) throw new FormulaError(`'cut': ordered_result = TRUE (an ordered factor, coded by contr.poly) is not supported`, text, given.get('ordered_result')!.pos);
  // the breaks: numbers written out, Inf and -Inf among them
  const literal = (n: Node): number | null => {
    const u = unwrap(n);
    if (u.kind === 'num') return u.value;
    if (u.kind === 'name' && u.name === 'Inf') return Infinity;
    if (u.kind === 'unary' && (u.op === '-' || u.op === '+')) { const v = literal(u.arg); return v === null ? null : u.op === '-' ? -v : v; }
    return null;
  };
  const bu = unwrap(b);
  const list = bu.kind === 'call' && bu.fn === 'c' && bu.names.every((nm) => nm === null) ? bu.args.map(literal) : [literal(b)];
  if (list.length === 0 || list.some((v) => v === null || Number.isNaN(v))) throw new FormulaError(`'cut': breaks must be a number of intervals or numbers c(…) written out, not '${deparse(b)}'`, text, b.pos);
  let breaks: number | number[];
  if (list.length === 1) {
    const k = list[0]!;
    if (!(k >= 2) || !Number.isFinite(k)) throw new FormulaError(`'cut': breaks = ${deparse(b)} is an invalid number of intervals (at least 2; R: invalid number of intervals)`, text, b.pos);
    breaks = k;
  } else breaks = list as number[];
  const digArg = given.get('dig.lab');
  const dig = digArg ? literal(digArg) : 3;
  if (dig === null || !Number.isInteger(dig) || dig < 1 || dig > 22) throw new FormulaError(`'cut': dig.lab must be a whole number from 1 to 22`, text, digArg!.pos);
  return {
    type: 'call', fn: 'cut', args: [toExpr(x, text)],
    cut: { breaks, includeLowest: logicalArg('cut', 'include.lowest', given.get('include.lowest'), text) ?? false, right: logicalArg('cut', 'right', given.get('right'), text) ?? true, digLab: dig },
  };
}

/**
 * R's summaries of a whole column, `mean(x)`, `sd(x, na.rm = TRUE)`, …, `length(x)`
 * (functions.ts REDUCTIONS): x a numeric expression, na.rm TRUE or FALSE written out.
 */
function reductionCall(node: Extract<Node, { kind: 'call' }>, text: string): Expr {
  const fn = node.fn;
  const { given } = matchCallArgs(node, REDUCTIONS.get(fn)!, text);
  const x = given.get('x');
  if (!x) throw new FormulaError(`'${fn}' needs a variable: ${fn}(x${fn === 'length' ? '' : ', na.rm = TRUE'})`, text, node.pos);
  const naRm = logicalArg(fn, 'na.rm', given.get('na.rm'), text);
  return { type: 'call', fn, args: [toExpr(x, text)], ...(naRm ? { naRm: true as const } : {}) };
}

/**
 * R's `scale(x, center = TRUE, scale = TRUE)`: center and scale TRUE, FALSE or a number written out;
 * R's defaults leave the call as scale(x) (no scaleArgs).
 */
function scaleCall(node: Extract<Node, { kind: 'call' }>, text: string): Expr {
  const { given } = matchCallArgs(node, ['x', 'center', 'scale'], text);
  const x = given.get('x');
  if (!x) throw new FormulaError(`'scale' needs a variable: scale(x, center = TRUE, scale = TRUE)`, text, node.pos);
  const value = (name: 'center' | 'scale'): boolean | number => {
    const arg = given.get(name);
    if (!arg) return true;
    const a = unwrap(arg);
    if (a.kind === 'logical') return a.value;
    const v = numbers(arg, text, `scale's ${name}`, true);
    if (v === null || v.length !== 1 || !Number.isFinite(v[0])) throw new FormulaError(`'scale': ${name} must be TRUE, FALSE or one number written out, not '${deparse(arg)}'`, text, arg.pos);
    return v[0];
  };
  const scaleArgs: ScaleArgs = { center: value('center'), scale: value('scale') };
  if (scaleArgs.scale === 0) throw new FormulaError(`'scale': scale = 0 divides by zero`, text, given.get('scale')!.pos);
  const defaults = scaleArgs.center === true && scaleArgs.scale === true;
  return { type: 'call', fn: 'scale', args: [toExpr(x, text)], ...(defaults ? {} : { scaleArgs }) };
}

/**
 * R's row-wise functions (functions.ts ROW_FUNCTIONS): round's digits and log's base written out as
 * numbers (round(x, 1), log(x, 2)); pmin/pmax of two or more expressions; ifelse(test, yes, no);
 * as.numeric of a numeric expression or of a factor (a column, factor(x), relevel(…)).
 */
function rowCall(node: Extract<Node, { kind: 'call' }>, text: string): Expr {
  const fn = node.fn;
  const { given, dots } = matchCallArgs(node, ROW_FUNCTIONS.get(fn)!, text);
  const literal = (name: string, arg: Node): number => {
    const v = numbers(arg, text, `${fn}'s ${name}`, true);
    if (v === null || v.length !== 1 || !Number.isFinite(v[0])) throw new FormulaError(`'${fn}': ${name} must be one number written out (${fn === 'round' ? 'round(x, 1)' : 'log(x, 2)'}), not '${deparse(arg)}'`, text, arg.pos);
    return v[0];
  };
  if (fn === 'pmin' || fn === 'pmax') {
    if (dots.length < 2) throw new FormulaError(`'${fn}' takes two or more arguments (${fn}(x, 0)), got ${dots.length}`, text, node.pos);
    return { type: 'call', fn, args: dots.map((a) => toExpr(a, text)) };
  }
  const need = (name: string): Node => {
    const arg = given.get(name);
    if (!arg) throw new FormulaError(`'${fn}': argument '${name}' is missing (${fn}(${ROW_FUNCTIONS.get(fn)!.join(', ')}))`, text, node.pos);
    return arg;
  };
  if (fn === 'dummy') {
    // lme4's dummy(f, "b") = model.matrix(~ 0 + f)[, "b"]: the comparison f == "b" as a number
    const f = need('f'), keep = need('levelsToKeep');
    if (unwrap(f).kind !== 'name') throw new FormulaError(`'dummy' takes a factor column by name (dummy(f, "b")), not '${deparse(f)}'`, text, f.pos);
    const k = unwrap(keep);
    const one = k.kind === 'call' && k.fn === 'c' && k.args.length === 1 && k.names[0] === null ? unwrap(k.args[0]) : k;
    if (one.kind !== 'str') {
      const several = k.kind === 'call' && k.fn === 'c' && k.args.length > 1;
      throw new FormulaError(`'dummy': levelsToKeep must be one level in quotes (dummy(f, "b"))${several ? '; several levels are several terms: dummy(f, "b") + dummy(f, "c")' : `, not '${deparse(keep)}'`}`, text, keep.pos);
    }
    return { type: 'call', fn, args: [{ type: 'compare', op: '==', left: toExpr(f, text), right: { type: 'str', value: one.value } }] };
  }
  if (fn === 'ifelse') return { type: 'call', fn, args: [toExpr(need('test'), text), toExpr(need('yes'), text), toExpr(need('no'), text)] };
  const x = need('x');
  if (fn === 'round') {
    const digits = given.get('digits');
    return { type: 'call', fn, args: [toExpr(x, text), { type: 'num', value: digits ? literal('digits', digits) : 0 }] };
  }
  if (fn === 'log') {
    const base = given.get('base');
    if (!base) return { type: 'call', fn, args: [toExpr(x, text)] };
    const b = literal('base', base);
    if (!(b > 0) || b === 1) throw new FormulaError(`'log': base must be a positive number other than 1, not '${deparse(base)}'`, text, base.pos);
    return { type: 'call', fn, args: [toExpr(x, text), { type: 'num', value: b }] };
  }
  if (fn === 'as.numeric') {
    // a factor's codes: the argument may be a factor-valued call (as.numeric(factor(x)))
    const u = unwrap(x);
    const factorCall = u.kind === 'call' && (FACTOR_FUNCTIONS.has(u.fn) || u.fn === RELEVEL);
    return { type: 'call', fn, args: [toExpr(x, text, factorCall)] };
  }
  return { type: 'call', fn, args: [toExpr(x, text)] };
}

/**
 * R's `relevel(x, ref)`: x a factor (a column, `factor(x)`, `as.factor(x)` or another relevel), ref its
 * reference level, a string (`ref = "ctl"`) or a level's position (`ref = 2`), by name or position as R
 * matches relevel's formals (x, ref). A whole variable of a term only, as factor().
 */
function relevelCall(node: Extract<Node, { kind: 'call' }>, text: string, termVar: boolean): Expr {
  if (!termVar) throw new FormulaError(`'relevel()' gives a factor: it may only be a variable of a term (y ~ relevel(f, ref = "ctl") + …), not inside an expression, a response or an offset`, text, node.pos);
  const formals = ['x', 'ref'];
  const given = new Map<string, Node>();
  node.args.forEach((arg, k) => {
    const name = node.names[k];
    if (name === null) return;
    if (!formals.includes(name)) throw new FormulaError(`'relevel' has no argument '${name}' (its arguments: x, ref)`, text, arg.pos);
    if (given.has(name)) throw new FormulaError(`'relevel': argument '${name}' given twice`, text, arg.pos);
    given.set(name, arg);
  });
  const open = formals.filter((f) => !given.has(f));
  let slot = 0;
  node.args.forEach((arg, k) => {
    if (node.names[k] !== null) return;
    if (slot >= open.length) throw new FormulaError(`'relevel' takes 2 arguments (x, ref), got ${node.args.length}`, text, arg.pos);
    given.set(open[slot++], arg);
  });
  const x = given.get('x'), ref = given.get('ref');
  if (!x) throw new FormulaError(`'relevel' needs a factor: relevel(f, ref = "level")`, text, node.pos);
  if (!ref) throw new FormulaError(`'relevel' needs the reference level: relevel(${deparse(x)}, ref = "level") (R: argument "ref" is missing)`, text, node.pos);
  const xu = unwrap(x);
  const factorCall = xu.kind === 'call' && (FACTOR_FUNCTIONS.has(xu.fn) || xu.fn === RELEVEL);
  if (xu.kind !== 'name' && !factorCall) {
    throw new FormulaError(`'relevel' takes a factor: a column, factor(x) or as.factor(x), not '${deparse(x)}'`, text, x.pos);
  }
  const r = unwrap(ref);
  let level: RelevelRef;
  if (r.kind === 'str') level = { level: r.value };
  else if (r.kind === 'num' && Number.isInteger(r.value) && r.value >= 1) level = { index: r.value };
  else throw new FormulaError(`'relevel': ref must be a level in quotes (ref = "ctl") or a level's position (ref = 2), not '${deparse(ref)}'`, text, ref.pos);
  return { type: 'call', fn: RELEVEL, args: [toExpr(x, text, true)], ref: level };
}

/**
 * glmmTMB's `numFactor(x, y, …)`: a factor whose levels are the rows' coordinates, `(x,y)` (the
 * positions of a spatial structure, `exp(0 + numFactor(x, y) | g)`); one or more numeric columns,
 * by name, positional. A whole variable of a term only, as factor().
 */
function numFactorCall(node: Extract<Node, { kind: 'call' }>, text: string, termVar: boolean): Expr {
  if (!termVar) throw new FormulaError(`'numFactor()' gives a factor: it may only be a variable of a term (exp(0 + numFactor(x, y) | g)), not inside an expression, a response or an offset`, text, node.pos);
  const named = node.names.findIndex((nm) => nm !== null);
  if (named >= 0) throw new FormulaError(`'numFactor' takes its coordinate columns by position: '${node.names[named]} = ' is not supported`, text, node.args[named].pos);
  if (node.args.length === 0) throw new FormulaError(`'numFactor' takes one or more coordinate columns, numFactor(x, y)`, text, node.pos);
  const bad = node.args.find((a) => unwrap(a).kind !== 'name');
  if (bad) throw new FormulaError(`'numFactor' takes columns by name, not '${deparse(bad)}'`, text, bad.pos);
  return { type: 'call', fn: NUM_FACTOR, args: node.args.map((a) => toExpr(a, text)) };
}

/**
 * `poly(x, …)`, `ns(x, …)`, `bs(x, …)`: the arguments matched to the function's formals as R matches
 * them — named ones by their exact name (a partial name is refused, naming the full one), then the
 * positional ones in order to the formals left — and each value checked. poly's second positional
 * argument goes to its `...`, which poly reads as the degree when it is one number (poly(x, 2));
 * several (polym, a polynomial in several variables) are refused. Arguments this package does not
 * evaluate (poly's coefs and simple, intercept = TRUE) are refused by name.
 */
function basisCall(node: Extract<Node, { kind: 'call' }>, text: string): Expr {
  const fn = node.fn;
  const formals = BASIS_FUNCTIONS.get(fn)!;
  const { given, dots } = matchCallArgs(node, formals, text);
  const x = given.get('x');
  if (!x) throw new FormulaError(`'${fn}' needs a variable: ${fn}(x, …)`, text, node.pos);
  const value = (name: string) => given.get(name);
  const refuse = (name: string, why: string) => {
    const arg = value(name);
    if (arg) throw new FormulaError(`'${fn}': the argument '${name}' is not supported (${why})`, text, arg.pos);
  };
  const integer = (name: string, min: number, arg = value(name)): number | undefined => {
    if (!arg) return undefined;
    const v = numbers(arg, text, `${fn}'s ${name}`);
    if (v.length !== 1 || !Number.isInteger(v[0]) || v[0] < min) throw new FormulaError(`'${fn}': ${name} must be a whole number ≥ ${min}, not '${deparse(arg)}'`, text, arg.pos);
    return v[0];
  };
  const logical = (name: string): boolean | undefined => {
    const arg = value(name);
    if (!arg) return undefined;
    const a = unwrap(arg);
    if (a.kind !== 'logical') throw new FormulaError(`'${fn}': ${name} must be TRUE or FALSE, not '${deparse(arg)}'`, text, arg.pos);
    return a.value;
  };
  const basis: BasisArgs = { degree: 3 };
  if (fn === 'poly') {
    if (dots.length > 1 || (dots.length === 1 && numbers(dots[0], text, "poly's degree", true) === null)) {
      throw new FormulaError("'poly' of several variables (R's polym: poly(x, z, …)) is not supported: its second positional argument is the degree, a number", text, dots[dots.length > 1 ? 1 : 0].pos);
    }
    if (dots.length === 1 && value('degree')) throw new FormulaError("'poly': the degree given twice (positionally and as degree =)", text, dots[0].pos);
    refuse('coefs', 'the coefficients are computed from the data, as when it is not given');
    refuse('simple', 'it drops the attributes that new data need');
    basis.degree = integer('degree', 1, dots[0] ?? value('degree')) ?? 1;
    if (logical('raw')) basis.raw = true;
  } else {
    if (logical('intercept')) refuse('intercept', `intercept = TRUE keeps the basis's first column; the model's intercept already spans it`);
    logical('warn.outside');
    if (fn === 'bs') basis.degree = integer('degree', 1) ?? 3;
    const df = integer('df', 1);
    if (df !== undefined) basis.df = df;
    const knots = value('knots');
    if (knots) {
      const k = numbers(knots, text, `${fn}'s knots`);
      if (k.some((v) => !Number.isFinite(v))) throw new FormulaError(`'${fn}': the knots must be finite numbers`, text, knots.pos);
      basis.knots = k;
    }
    const bk = value('Boundary.knots');
    if (bk) {
      const b = numbers(bk, text, `${fn}'s Boundary.knots`);
      if (b.length !== 2 || !(b[0] < b[1])) throw new FormulaError(`'${fn}': Boundary.knots must be two increasing numbers c(a, b), not '${deparse(bk)}'`, text, bk.pos);
      basis.boundary = [b[0], b[1]];
    }
  }
  return { type: 'call', fn, args: [toExpr(x, text)], basis };
}

/**
 * The numbers of a literal argument value: a number, `-number`, or `c(…)` of those. `orNull`: null
 * instead of an error when it is not one.
 */
function numbers(node: Node, text: string, what: string, orNull: true): number[] | null;
function numbers(node: Node, text: string, what: string): number[];
function numbers(node: Node, text: string, what: string, orNull = false): number[] | null {
  const one = (n: Node): number | null => {
    const u = unwrap(n);
    if (u.kind === 'num') return u.value;
    if (u.kind === 'unary') {
      const v = one(u.arg);
      return v === null ? null : u.op === '-' ? -v : v;
    }
    return null;
  };
  const u = unwrap(node);
  const list = u.kind === 'call' && u.fn === 'c' && u.names.every((nm) => nm === null) ? u.args : [node];
  const out = list.map(one);
  if (out.some((v) => v === null) || out.length === 0) {
    if (orNull) return null;
    throw new FormulaError(`${what} must be a number or numbers c(…) written out, not '${deparse(node)}'`, text, node.pos);
  }
  return out as number[];
}

/** The response: `cbind(successes, failures)` or any other expression. */
function buildResponse(node: Node, text: string): Response {
  const label = deparse(node);
  if (node.kind === 'call' && node.fn === 'cbind') {
    if (node.args.length !== 2) {
      throw new FormulaError(`'cbind' in the response needs 2 arguments (successes, failures), got ${node.args.length}`, text, node.pos);
    }
    const named = node.names.findIndex((nm) => nm !== null);
    if (named >= 0) throw new FormulaError(`'cbind' takes no named argument ('${node.names[named]} =')`, text, node.args[named].pos);
    return { kind: 'cbind', label, successes: toExpr(node.args[0], text), failures: toExpr(node.args[1], text) };
  }
  return { kind: 'expr', label, expr: toExpr(node, text) };
}

// ---------------------------------------------------------------------------------------------
// 3b. Term algebra (R's model.c) and random-effects terms (lme4's findbars)
// ---------------------------------------------------------------------------------------------

/** A term as the sorted ids of its variables (ids are in order of first appearance). */
type TermBits = number[];

/** Where an encoding happens, as in R's EncodeVars. */
interface Scope {
  /** false inside the right operand of `-` (R's `parity`): there `1` removes the intercept and `0` adds it */
  parity: boolean;
  /** the operator under which random terms and offsets may not appear (`a:(1|g)`), or null */
  blocker: { text: string; pos: number } | null;
}

const termKey = (t: TermBits) => t.join(',');

/** The terms of `terms` without repeats, first occurrence kept (R's TrimRepeats). */
function trimRepeats(terms: TermBits[]): TermBits[] {
  const seen = new Set<string>();
  return terms.filter((t) => {
    const key = termKey(t);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The union of the variables of two terms (R's OrBits). */
function orBits(a: TermBits, b: TermBits): TermBits {
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

/**
 * The most pairs of terms one interaction may combine (`a:b` with |a| × |b| pairs) before the
 * repeats are removed: a bound on the work, so that even an expansion whose result would be small
 * (`(x1*…*x13)^2`, 8191² pairs for 8191 terms) ends fast.
 */
const MAX_INTERACTION_PAIRS = 4_000_000;

/** Where an expansion happens, for its error message. */
interface At {
  text: string;
  pos: number;
  op: string;
}

/** Refuses an expansion past MAX_MODEL_COLUMNS terms. */
function checkTermCount(terms: TermBits[], at: At): TermBits[] {
  if (terms.length > MAX_MODEL_COLUMNS) {
    throw new FormulaError(
      `'${at.op}' expands the formula to more than ${MAX_MODEL_COLUMNS} terms, each at least one model-matrix column (the limit MAX_MODEL_COLUMNS is ${MAX_MODEL_COLUMNS})`,
      at.text, at.pos,
    );
  }
  return terms;
}

/** `a:b`: every term of `a` with every term of `b`. */
function interactTerms(a: TermBits[], b: TermBits[], at: At): TermBits[] {
  if (a.length * b.length > MAX_INTERACTION_PAIRS) {
    throw new FormulaError(
      `'${at.op}' combines ${a.length} terms with ${b.length} terms: ${a.length * b.length} interactions to form, more than ${MAX_INTERACTION_PAIRS} ` +
        `(the result could not stay within MAX_MODEL_COLUMNS = ${MAX_MODEL_COLUMNS} columns anyway unless almost all of them repeat)`,
      at.text, at.pos,
    );
  }
  const seen = new Set<string>();
  const out: TermBits[] = [];
  for (const l of a) {
    for (const r of b) {
      const t = orBits(l, r);
      const key = termKey(t);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(t);
      if (out.length > MAX_MODEL_COLUMNS) return checkTermCount(out, at);
    }
  }
  return out;
}

/** `a*b` = `a + b + a:b`. */
function crossTerms(a: TermBits[], b: TermBits[], at: At): TermBits[] {
  return checkTermCount(trimRepeats([...a, ...b, ...interactTerms(a, b, at)]), at);
}

/** `a/b` = `a` + (all variables of `a`):b. */
/**
 * R's `a %in% b` (model.c InTerms): each term of a with all of b's variables, `(x + z) %in% f` is
 * x:f + z:f (R's help: `x %in% f` is x:f).
 */
function inTerms(a: TermBits[], b: TermBits[], at: At): TermBits[] {
  const all = b.reduce(orBits, []);
  return checkTermCount(trimRepeats(a.map((l) => orBits(all, l))), at);
}

function nestTerms(a: TermBits[], b: TermBits[], at: At): TermBits[] {
  const all = a.reduce(orBits, []);
  return checkTermCount(trimRepeats([...a, ...b.map((r) => orBits(all, r))]), at);
}

/**
 * `a^n`: all interactions of the terms of `a` up to order n. Past the number of distinct variables
 * of `a` a higher power adds no term (as in R, where the expansion stops growing), so n is capped
 * there and `(a + b)^1e308` is `(a + b)^2`.
 */
function powerTerms(a: TermBits[], n: number, at: At): TermBits[] {
  const nvars = a.reduce(orBits, []).length;
  const m = Math.min(n, Math.max(1, nvars));
  let result = a;
  for (let i = 1; i < m; i++) {
    const next = interactTerms(a, result, at);
    if (next.length === result.length) break; // no new term: every higher power is the same
    result = next;
  }
  return result;
}

/** `a - b`: the terms of `a` that are not in `b`. */
function deleteTerms(a: TermBits[], b: TermBits[]): TermBits[] {
  const drop = new Set(b.map(termKey));
  return a.filter((t) => !drop.has(termKey(t)));
}

/** The innermost expression inside any number of parentheses. */
function unwrap(node: Node): Node {
  return node.kind === 'paren' ? unwrap(node.inner) : node;
}

/**
 * Encodes one linear predictor (the fixed part, or the lhs of one random term) into terms, with
 * its own variable registry and intercept flag. In the fixed part it also collects `offset()`s
 * and random-effects terms; inside a random term (`insideBarAt` set) both are errors.
 */
class TermEncoder {
  /** the intercept flag, set by `0`/`1` in the order they are met (as in R) */
  intercept = true;
  readonly offsets: Expr[] = [];
  readonly random: RandomTerm[] = [];
  private readonly vars: TermVar[] = [];
  private readonly varIds = new Map<string, number>();
  private readonly offsetLabels = new Set<string>();
  /** the texts of the offsets, as R's deparse writes them (`offset(log(n))`), in order of appearance */
  readonly offsetTexts: string[] = [];
  private readonly insideBarAt: number | null;
  /**
   * R's terms() without lme4: a random-effects term `(lhs | g)` is one variable labelled `lhs | g`
   * (update.formula's simplification), not expanded
   */
  private readonly barsAsVariables: boolean;
  /** the columns `.` stands for (the data's, less the response's variables), when the data are known */
  private readonly dot: readonly string[] | undefined;

  constructor(
    private readonly text: string,
    options: { insideBarAt: number | null; barsAsVariables?: boolean; dot?: readonly string[] },
  ) {
    this.dot = options.dot;
    this.insideBarAt = options.insideBarAt;
    this.barsAsVariables = options.barsAsVariables ?? false;
  }

  /** The terms of `node` (R's EncodeVars). */
  encode(node: Node, scope: Scope): TermBits[] {
    switch (node.kind) {
      case 'num':
        return this.encodeNumber(node, scope);
      case 'name':
        if (node.name === '.') {
          if (this.insideBarAt !== null) throw this.error("'.' inside a random-effects term: lme4 does not expand it there; name the columns", node.pos);
          if (!this.dot) throw this.error("'.' (all other columns) needs the data's columns: it is expanded where the formula is fitted to data (lmer, glmer, the engines)", node.pos);
          // R's terms(formula, data =): each column but the response's variables, a term of its own
          return this.dot.map((name) => [this.variable({ kind: 'name', name, pos: node.pos })]);
        }
        return [[this.variable(node)]];
      case 'call':
        if (node.fn === 'offset') return this.encodeOffset(node, scope);
        if (isStructureCall(node)) return this.barsAsVariables ? [[this.variable(node)]] : this.encodeStructured(node, scope);
        return [[this.variable(node)]];
      case 'logical':
        throw this.error(`invalid term '${node.value ? 'TRUE' : 'FALSE'}': TRUE and FALSE are values of a function's argument (poly(x, 2, raw = TRUE))`, node.pos);
      case 'str':
        throw this.error(`invalid term ${deparseString(node.value)}: a string is a value, compared with a factor (I(sex == "F")) or naming a level (relevel(f, ref = "ctl"))`, node.pos);
      case 'paren': {
        const inner = unwrap(node);
        if (inner.kind === 'binary' && (inner.op === '|' || inner.op === '||')) {
          return this.barsAsVariables ? [[this.variable(inner)]] : this.encodeRandom(node, inner, scope);
        }
        return this.encode(node.inner, scope);
      }
      case 'unary':
        // `!x > 0`: one logical variable (R's terms() treats `!` as no formula operator)
        if (node.op === '!') return [[this.variable(node)]];
        if (node.op === '+') return this.encode(node.arg, scope);
        this.encode(node.arg, { parity: !scope.parity, blocker: { text: node.op, pos: node.pos } });
        return [];
      case 'binary':
        return this.encodeBinary(node, scope);
    }
  }

  /** The fixed or random linear part for the encoded `terms`: sorted by degree, stable (R's terms()). */
  linearPart(terms: TermBits[]): LinearPart {
    const sorted = terms.map((bits, k) => ({ bits, k })).sort((a, b) => a.bits.length - b.bits.length || a.k - b.k);
    return { intercept: this.intercept, terms: sorted.map(({ bits }) => this.term(bits)) };
  }

  /** The variables met while encoding that are in none of `part`'s terms (only in removed terms). */
  variablesOutside(part: LinearPart): TermVar[] {
    const used = new Set(part.terms.flatMap((t) => t.vars.map((v) => v.label)));
    return this.vars.filter((v) => !used.has(v.label));
  }

  /**
   * `a + b - c + …`: the chain of `+` and `-` along the left operands is walked iteratively, left to
   * right (a formula may have thousands of terms), each operand encoded in turn as the recursive
   * form would.
   */
  private encodeSum(node: BinaryNode, scope: Scope): TermBits[] {
    const chain: BinaryNode[] = [];
    let left: Node = node;
    while (left.kind === 'binary' && (left.op === '+' || left.op === '-')) {
      chain.push(left);
      left = left.left;
    }
    // the terms so far and their keys, kept together so that each `+` costs only its own terms
    let terms = this.encode(left, scope);
    let keys = new Set(terms.map(termKey));
    for (let k = chain.length - 1; k >= 0; k--) {
      const b = chain[k];
      if (b.op === '+') {
        for (const t of this.encode(b.right, scope)) {
          const key = termKey(t);
          if (keys.has(key)) continue;
          keys.add(key);
          terms.push(t);
        }
        checkTermCount(terms, this.at(b));
      } else {
        terms = deleteTerms(terms, this.encode(b.right, { parity: !scope.parity, blocker: { text: b.op, pos: b.pos } }));
        keys = new Set(terms.map(termKey));
      }
    }
    return terms;
  }

  private at(node: BinaryNode): At {
    return { text: this.text, pos: node.pos, op: node.op };
  }

  private encodeBinary(node: BinaryNode, scope: Scope): TermBits[] {
    const op = { text: node.op, pos: node.pos };
    const inner: Scope = { parity: scope.parity, blocker: op };
    const at = this.at(node);
    switch (node.op) {
      case '+':
      case '-':
        return this.encodeSum(node, scope);
      case '*':
        return crossTerms(this.encode(node.left, inner), this.encode(node.right, inner), at);
      case ':':
        return interactTerms(this.encode(node.left, inner), this.encode(node.right, inner), at);
      case '%in%':
        return inTerms(this.encode(node.left, inner), this.encode(node.right, inner), at);
      case '/':
        return nestTerms(this.encode(node.left, inner), this.encode(node.right, inner), at);
      case '^':
        return powerTerms(this.encode(node.left, inner), this.power(node.right), at);
      case '|':
      case '||':
        if (this.insideBarAt !== null) throw this.nestedBar(node.pos);
        throw this.error(`'${node.op}' outside parentheses: a random-effects term is written (terms ${node.op} group)`, node.pos);
      default:
        // a comparison or `&` (`x > 0`, `x + z > 2`): one logical variable, as R's terms() reads it
        return [[this.variable(node)]];
    }
  }

  /** `0` and `1` set the intercept; any other number is not a term. */
  private encodeNumber(node: Extract<Node, { kind: 'num' }>, scope: Scope): TermBits[] {
    if (node.value !== 0 && node.value !== 1) {
      throw this.error(`invalid term '${node.text}': only 0 and 1 (the intercept) may be used as numbers in a formula`, node.pos);
    }
    this.intercept = (node.value === 1) === scope.parity;
    return [];
  }

  /** The exponent of `(terms)^n`: a positive integer. */
  private power(node: Node): number {
    const n = unwrap(node);
    if (n.kind !== 'num' || !Number.isInteger(n.value) || n.value < 1) {
      // (a number written with a fraction, zero or too large to be finite: 1e309 is Inf)
      throw this.error(`invalid power '${deparse(node)}' in formula: use a positive integer, or I() for arithmetic`, node.pos);
    }
    return n.value;
  }

  /** `offset(expr)`: recorded, contributes no term. */
  private encodeOffset(node: Extract<Node, { kind: 'call' }>, scope: Scope): TermBits[] {
    if (this.insideBarAt !== null) throw this.error("'offset' is not allowed inside a random-effects term", node.pos);
    if (scope.blocker !== null) throw this.error(`'offset' cannot be used with '${scope.blocker.text}'`, node.pos);
    if (node.args.length !== 1) throw this.error(`'offset' takes 1 argument, got ${node.args.length}`, node.pos);
    if (node.names[0] !== null) throw this.error(`'offset' takes no named argument ('${node.names[0]} =')`, node.args[0].pos);
    const label = deparse(node);
    if (!this.offsetLabels.has(label)) {
      this.offsetLabels.add(label);
      this.offsetTexts.push(label);
      this.offsets.push(toExpr(node.args[0], this.text));
    }
    return [];
  }

  /** A random-effects term `(lhs | group)` or `(lhs || group)`: recorded, contributes no fixed term. */
  private encodeRandom(paren: Node, bar: BinaryNode, scope: Scope): TermBits[] {
    if (this.insideBarAt !== null) throw this.nestedBar(bar.pos);
    if (scope.blocker !== null) {
      throw this.error(`a random-effects term cannot be used with '${scope.blocker.text}'`, paren.pos);
    }
    this.random.push(...expandRandomTerm(bar, this.text));
    return [];
  }

  /**
   * glmmTMB's structured term `ar1(lhs | group)` (`cs`, `diag`, `toep`, `ou`, `us`, and the spatial
   * `exp`, `gau`, `mat` around a bar): one argument, a random-effects term with a single bar; recorded
   * with its structure, contributes no fixed term. glmmTMB's other structures (`rr`, …) are refused by name.
   */
  private encodeStructured(node: Extract<Node, { kind: 'call' }>, scope: Scope): TermBits[] {
    const fn = node.fn;
    // (MixedModels.jl's zerocorr is diag; messages name what was written)
    const structure = (STRUCTURE_ALIASES.get(fn) ?? fn) as CovStructure;
    if (!COV_STRUCTURES.has(structure)) {
      throw this.error(`glmmTMB's covariance structure '${fn}' is not supported (supported: ${[...COV_STRUCTURES].join(', ')})`, node.pos);
    }
    if (this.insideBarAt !== null) throw this.error(`'${fn}(…)' inside a random-effects term: a structured term is written ${fn}(terms | group) on the formula's right-hand side`, node.pos);
    if (scope.blocker !== null) throw this.error(`a random-effects term cannot be used with '${scope.blocker.text}'`, node.pos);
    // rr's second argument: the rank d (glmmTMB's `rr(0 + f | g, d = 2)`, by name or position; default 2)
    let rank: number | undefined;
    if (fn === 'rr' && node.args.length === 2 && (node.names[1] === null || node.names[1] === 'd') && node.names[0] === null) {
      const dn = unwrap(node.args[1]);
      if (dn.kind !== 'num' || !Number.isInteger(dn.value) || dn.value < 1) throw this.error(`rr's rank d must be a positive integer, not '${deparse(node.args[1])}'`, node.args[1].pos);
      rank = dn.value;
    } else if (node.args.length !== 1 || node.names[0] !== null) {
      throw this.error(`'${fn}' takes one random-effects term, such as ${fn}(0 + f | g)${fn === 'rr' ? ' (and its rank, d = 2)' : ''}, got ${node.args.length} argument${node.args.length === 1 ? ' (named)' : 's'}`, node.pos);
    }
    const inner = unwrap(node.args[0]);
    if (inner.kind === 'binary' && inner.op === '||') {
      throw this.error(`'||' inside ${fn}(…): a structured term takes one bar, ${fn}(terms | group) (use diag(terms | group) for uncorrelated effects)`, inner.pos);
    }
    if (inner.kind !== 'binary' || inner.op !== '|') {
      throw this.error(`'${fn}' takes a random-effects term such as ${fn}(0 + f | g): '${deparse(node.args[0])}' has no '|'`, node.args[0].pos);
    }
    for (const t of expandRandomTerm(inner, this.text)) {
      if (structure === 'rr') this.random.push({ ...t, structure, rank: rank ?? 2, text: `rr(${t.text.slice(1, -1)}, d = ${rank ?? 2})` });
      else this.random.push({ ...t, structure, text: `${structure}(${t.text.slice(1, -1)})` });
    }
    return [];
  }

  /** The id of a variable (a name or a call), registering it on first appearance. */
  private variable(node: Node): number {
    const label = deparse(node);
    let id = this.varIds.get(label);
    if (id === undefined) {
      id = this.vars.length;
      this.varIds.set(label, id);
      // (a random-effects term as a variable, barsAsVariables, has no expression of columns)
      const bar = (node.kind === 'binary' && (node.op === '|' || node.op === '||')) || isStructureCall(node);
      this.vars.push({ label, expr: bar ? { type: 'var', name: label } : toExpr(node, this.text, true) });
    }
    return id;
  }

  private term(bits: TermBits): Term {
    const vars = bits.map((id) => this.vars[id]);
    return { vars, label: vars.map((v) => v.label).join(':') };
  }

  private nestedBar(pos: number): FormulaError {
    return this.error("nested '|': a random-effects term cannot contain another '|'", Math.max(pos, this.insideBarAt ?? pos));
  }

  private error(message: string, pos: number): FormulaError {
    return new FormulaError(message, this.text, pos);
  }
}

/**
 * The random-effects terms of one `(lhs | group)` / `(lhs || group)`, after lme4's expansions:
 * `||` gives `(1 | g)` (with an intercept) and `(0 + t | g)` for each lhs term t; a nested
 * group `g1/g2` gives one term per grouping factor (see `expandNestedGroup`).
 */
function expandRandomTerm(bar: BinaryNode, text: string): RandomTerm[] {
  const encoder = new TermEncoder(text, { insideBarAt: bar.pos });
  const lhs = encoder.linearPart(encoder.encode(bar.left, { parity: true, blocker: null }));
  if (!lhs.intercept && lhs.terms.length === 0) {
    throw new FormulaError(`random-effects term '${deparse(bar)}' has no intercept and no terms`, text, bar.pos);
  }
  const parts: LinearPart[] =
    bar.op === '|'
      ? [lhs]
      : [
          ...(lhs.intercept ? [{ intercept: true, terms: [] }] : []),
          ...lhs.terms.map((t) => ({ intercept: false, terms: [t] })),
        ];
  const groups = expandNestedGroup(groupComponents(bar.right, bar.pos, text));
  return parts.flatMap((part) =>
    groups.map((components) => {
      const group = components.map((c) => c.name);
      const groupLabel = components.map((c) => c.label).join(':');
      return { lhs: part, group, groupLabel, text: `(${lhsText(part)} | ${groupLabel})`, ...(bar.op === '|' ? { written: deparse(bar.left) } : {}) };
    }),
  );
}

/** glmmTMB's covariance structures this package fits (src/model/covStructure.ts). */
export const COV_STRUCTURES: ReadonlySet<CovStructure> = new Set<CovStructure>(['us', 'diag', 'cs', 'ar1', 'toep', 'ou', 'exp', 'gau', 'mat', 'rr']);

/** the spatial structures, whose names are also functions (`exp(x)`): structures only around a bar */
const SPATIAL_STRUCTURES: ReadonlySet<string> = new Set(['exp', 'gau', 'mat']);

/** glmmTMB's structures it does not: refused by name rather than as unknown functions. */
const OTHER_STRUCTURES: ReadonlySet<string> = new Set(['homdiag', 'homcs', 'hetar1', 'propto', 'equalto']);
/**
 * MixedModels.jl's names for our structures: `zerocorr(1 + x | g)` is a diagonal covariance of every
 * column of the term (a factor's contrasts too), glmmTMB's `diag(1 + x | g)`.
 */
export const STRUCTURE_ALIASES: ReadonlyMap<string, CovStructure> = new Map([['zerocorr', 'diag']]);

/**
 * Whether `node` is a structured random-effects term `ar1(…)` (or one of glmmTMB's others): one of
 * ours by its name (`ar1(x)` is then an error that says what it takes), one of glmmTMB's others only
 * around a bar (`exp(x)` is the exponential of x, `exp(0 + f | g)` glmmTMB's structure).
 */
function isStructureCall(node: Node): node is Extract<Node, { kind: 'call' }> {
  if (node.kind !== 'call') return false;
  if ((COV_STRUCTURES.has(node.fn as CovStructure) || STRUCTURE_ALIASES.has(node.fn)) && !SPATIAL_STRUCTURES.has(node.fn)) return true;
  if ((!OTHER_STRUCTURES.has(node.fn) && !SPATIAL_STRUCTURES.has(node.fn)) || node.args.length !== 1) return false;
  const inner = unwrap(node.args[0]);
  return inner.kind === 'binary' && (inner.op === '|' || inner.op === '||');
}

/** The lhs of a random term as printed: `1`, `x`, `x + z`, `0 + x`. */
function lhsText(part: LinearPart): string {
  const labels = part.terms.map((t) => t.label);
  if (!part.intercept) return ['0', ...labels].join(' + ');
  return labels.length === 0 ? '1' : labels.join(' + ');
}

/**
 * lme4's expandSlash: components c1/c2/.../cn give the factors
 * cn:...:c2:c1, ..., c2:c1, c1 — innermost first, in lme4's order (`batch/cask` gives
 * `cask:batch`, `batch`). The model frame then sorts random terms stably by number of levels.
 */
function expandNestedGroup(components: GroupVar[][]): GroupVar[][] {
  const cumulative: GroupVar[][] = [];
  for (const c of components) cumulative.push([...c, ...(cumulative.at(-1) ?? [])]);
  return cumulative.reverse();
}

/**
 * A variable of a grouping factor: its column, and its label as lme4 prints it — the name, or
 * `factor(g)` for `(1 | factor(g))` (a grouping variable is read as a factor anyway; lme4 names the
 * grouping factor by the expression).
 */
interface GroupVar {
  name: string;
  label: string;
}

/** The `/`-separated components of a grouping expression, each an interaction of names. */
function groupComponents(node: Node, barPos: number, text: string): GroupVar[][] {
  if (node.kind === 'binary' && node.op === '/') {
    return [...groupComponents(node.left, barPos, text), interactionNames(node.right, barPos, text)];
  }
  return [interactionNames(node, barPos, text)];
}

/** The variables of a grouping factor `g` or interaction `g1:g2` (`factor(g)` and `as.factor(g)` too). */
function interactionNames(node: Node, barPos: number, text: string): GroupVar[] {
  switch (node.kind) {
    case 'name':
      return [{ name: node.name, label: node.name }];
    case 'call': {
      const arg = node.args.length === 1 && node.names[0] === null ? unwrap(node.args[0]) : null;
      if (FACTOR_FUNCTIONS.has(node.fn) && arg?.kind === 'name') return [{ name: arg.name, label: deparse(node) }];
      throw new FormulaError(
        `grouping factor must be a variable, factor(variable) or an interaction of those, not '${deparse(node)}'`,
        text,
        node.pos,
      );
    }
    case 'paren':
      return interactionNames(node.inner, barPos, text);
    case 'binary':
      if (node.op === ':') return [...interactionNames(node.left, barPos, text), ...interactionNames(node.right, barPos, text)];
      if (node.op === '%in%') {
        // lme4 evaluates the grouping expression: %in% is then R's match(), a logical vector, never a nesting
        throw new FormulaError(`'%in%' in a grouping factor: lme4 evaluates it as R's match() (a TRUE/FALSE grouping, 'grouping factors must have > 1 sampled level'); write the nesting as (1 | g/h) or (1 | g:h)`, text, node.pos);
      }
      if (node.op === '|' || node.op === '||') {
        throw new FormulaError("nested '|': a random-effects term cannot contain another '|'", text, Math.max(barPos, node.pos));
      }
      throw new FormulaError(`unexpected '${node.op}' in grouping factor`, text, node.pos);
    default:
      throw new FormulaError(
        `grouping factor must be a variable or an interaction of variables, not '${deparse(node)}'`,
        text,
        node.pos,
      );
  }
}
