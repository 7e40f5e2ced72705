/**
 * blme's prior syntax, read as R reads it: `wishart`, `gamma(shape = 2.5, rate = 0,
 * posterior.scale = 'sd')`, `invwishart(df = 3, scale = diag(c(500, 50)))`, `normal(sd = c(10, 2.5))`,
 * `point(1)`, `list(Subject ~ gamma(shape = 2), wishart)`, `inverse.gamma`, `NULL`.
 * A call's arguments are kept as expressions: blme evaluates them per term, where `level.dim` (and
 * `q.k`), `n.grps` (`j.k`), `p` (`n.fixef`) and `n` (`n.obs`) are defined.
 * Expressions: numbers, `Inf`, TRUE/FALSE (T/F), strings, + − * / ^, unary minus, and the calls
 * c(…), diag(x) / diag(x, n), rep(x, n), sqrt, log, exp.
 */
import { OptionError } from '../errors/errors.js';

export type Expr =
  | { kind: 'num'; value: number }
  | { kind: 'str'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' }
  | { kind: 'name'; name: string }
  | { kind: 'call'; fn: string; args: Arg[] }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/' | '^'; left: Expr; right: Expr }
  | { kind: 'neg'; arg: Expr }
  | { kind: 'formula'; lhs: string; rhs: Expr };

export interface Arg { name: string | null; value: Expr }

/** A value of an evaluated argument: a number vector, a matrix, a string or a logical. */
export type Value =
  | { kind: 'vec'; v: number[] }
  | { kind: 'mat'; n: number; v: number[] } // n × n, column-major as R
  | { kind: 'str'; v: string }
  | { kind: 'bool'; v: boolean }
  | { kind: 'null' };

export class PriorSyntaxError extends OptionError {
  constructor(text: string, pos: number, what: string) {
    super('prior', `prior '${text}': ${what} at position ${pos + 1}${pos < text.length ? ` ('${text.slice(pos, pos + 12)}')` : ' (end)'}`);
    this.name = 'PriorSyntaxError';
  }
}

type Tok = { t: 'num'; v: number; pos: number } | { t: 'str'; v: string; pos: number } | { t: 'id'; v: string; pos: number } | { t: 'op'; v: string; pos: number };

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    if (/[0-9.]/.test(c) && !(c === '.' && /[A-Za-z_]/.test(text[i + 1] ?? ''))) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?L?/.exec(text.slice(i));
      if (!m) throw new PriorSyntaxError(text, i, 'a malformed number');
      out.push({ t: 'num', v: Number(m[0].replace(/L$/, '')), pos: i });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_.]/.test(c)) {
      const m = /^[A-Za-z_.][A-Za-z0-9_.]*/.exec(text.slice(i))!;
      out.push({ t: 'id', v: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new PriorSyntaxError(text, i, 'an unterminated string');
      out.push({ t: 'str', v: text.slice(i + 1, end), pos: i });
      i = end + 1;
      continue;
    }
    if ('(),=~+-*/^'.includes(c)) {
      out.push({ t: 'op', v: c, pos: i });
      i++;
      continue;
    }
    throw new PriorSyntaxError(text, i, `an unexpected character '${c}'`);
  }
  return out;
}

/** Parses a prior specification (one expression). */
export function parsePriorExpr(text: string): Expr {
  const toks = tokenize(text);
  let k = 0;
  const peek = () => toks[k];
  const pos = () => (k < toks.length ? toks[k].pos : text.length);
  const expectOp = (v: string) => {
    const t = toks[k];
    if (!t || t.t !== 'op' || t.v !== v) throw new PriorSyntaxError(text, pos(), `expected '${v}'`);
    k++;
  };
  const isOp = (v: string) => peek()?.t === 'op' && peek()!.v === v;

  function primary(): Expr {
    const t = toks[k];
    if (!t) throw new PriorSyntaxError(text, pos(), 'expected a value');
    if (t.t === 'num') { k++; return { kind: 'num', value: t.v }; }
    if (t.t === 'str') { k++; return { kind: 'str', value: t.v }; }
    if (t.t === 'op' && t.v === '(') {
      k++;
      const e = additive();
      expectOp(')');
      return e;
    }
    if (t.t === 'op' && t.v === '-') { k++; return { kind: 'neg', arg: power() }; }
    if (t.t === 'op' && t.v === '+') { k++; return power(); }
    if (t.t !== 'id') throw new PriorSyntaxError(text, t.pos, 'expected a value');
    k++;
    if (isOp('(')) {
      k++;
      const args: Arg[] = [];
      if (!isOp(')')) {
        for (;;) {
          const a = toks[k], b = toks[k + 1];
          if (a?.t === 'id' && b?.t === 'op' && b.v === '=') {
            k += 2;
            args.push({ name: a.v, value: formula() });
          } else {
            args.push({ name: null, value: formula() });
          }
          if (isOp(',')) { k++; continue; }
          break;
        }
      }
      expectOp(')');
      return { kind: 'call', fn: t.v, args };
    }
    if (t.v === 'TRUE' || t.v === 'T') return { kind: 'bool', value: true };
    if (t.v === 'FALSE' || t.v === 'F') return { kind: 'bool', value: false };
    if (t.v === 'Inf') return { kind: 'num', value: Infinity };
    if (t.v === 'NULL') return { kind: 'null' };
    if (t.v === 'pi') return { kind: 'num', value: Math.PI };
    return { kind: 'name', name: t.v };
  }
  function power(): Expr {
    const base = primary();
    if (isOp('^')) {
      k++;
      return { kind: 'binary', op: '^', left: base, right: unary() };
    }
    return base;
  }
  function unary(): Expr {
    if (isOp('-')) { k++; return { kind: 'neg', arg: unary() }; }
    if (isOp('+')) { k++; return unary(); }
    return power();
  }
  function multiplicative(): Expr {
    let e = unary();
    while (isOp('*') || isOp('/')) {
      const op = toks[k++].v as '*' | '/';
      e = { kind: 'binary', op, left: e, right: unary() };
    }
    return e;
  }
  function additive(): Expr {
    let e = multiplicative();
    while (isOp('+') || isOp('-')) {
      const op = toks[k++].v as '+' | '-';
      e = { kind: 'binary', op, left: e, right: multiplicative() };
    }
    return e;
  }
  function formula(): Expr {
    const start = k;
    const e = additive();
    if (isOp('~')) {
      if (e.kind !== 'name') throw new PriorSyntaxError(text, toks[start].pos, "the left-hand side of '~' must be a grouping factor's name");
      k++;
      return { kind: 'formula', lhs: e.name, rhs: additive() };
    }
    return e;
  }
  const e = formula();
  if (k < toks.length) throw new PriorSyntaxError(text, pos(), 'unexpected text after the prior');
  return e;
}

/** Variables blme defines while evaluating a prior's arguments. */
export type PriorEnv = Record<string, number>;

/** Evaluates an argument expression (R semantics for the supported operations). */
export function evalExpr(e: Expr, env: PriorEnv, context: string): Value {
  const fail = (what: string): never => { throw new OptionError('prior', `${context}: ${what}`); };
  const nums = (x: Value): number[] => (x.kind === 'vec' || x.kind === 'mat' ? x.v : x.kind === 'bool' ? [x.v ? 1 : 0] : fail(`expected a number, got ${x.kind === 'str' ? `'${x.v}'` : 'NULL'}`));
  switch (e.kind) {
    case 'num': return { kind: 'vec', v: [e.value] };
    case 'str': return { kind: 'str', v: e.value };
    case 'bool': return { kind: 'bool', v: e.value };
    case 'null': return { kind: 'null' };
    case 'name': {
      if (e.name in env) return { kind: 'vec', v: [env[e.name]] };
      return fail(`unknown name '${e.name}' (blme defines level.dim, q.k, n.grps, j.k, p, n.fixef, n, n.obs)`);
    }
    case 'neg': {
      const x = evalExpr(e.arg, env, context);
      return x.kind === 'mat' ? { kind: 'mat', n: x.n, v: x.v.map((a) => -a) } : { kind: 'vec', v: nums(x).map((a) => -a) };
    }
    case 'binary': {
      const a = evalExpr(e.left, env, context), b = evalExpr(e.right, env, context);
      const av = nums(a), bv = nums(b);
      const len = Math.max(av.length, bv.length);
      const f = { '+': (x: number, y: number) => x + y, '-': (x: number, y: number) => x - y, '*': (x: number, y: number) => x * y, '/': (x: number, y: number) => x / y, '^': (x: number, y: number) => x ** y }[e.op];
      const v = Array.from({ length: len }, (_, i) => f(av[i % av.length], bv[i % bv.length]));
      const m = a.kind === 'mat' ? a : b.kind === 'mat' ? b : null;
      return m && len === m.v.length ? { kind: 'mat', n: m.n, v } : { kind: 'vec', v };
    }
    case 'formula': return fail('a formula is not a value');
    case 'call': {
      const args = e.args.map((a) => evalExpr(a.value, env, context));
      switch (e.fn) {
        case 'c': return { kind: 'vec', v: args.flatMap(nums) };
        case 'sqrt': case 'log': case 'exp': {
          if (args.length !== 1) fail(`${e.fn}() takes one argument`);
          const f = { sqrt: Math.sqrt, log: Math.log, exp: Math.exp }[e.fn];
          const x = args[0];
          return x.kind === 'mat' ? { kind: 'mat', n: x.n, v: x.v.map(f) } : { kind: 'vec', v: nums(x).map(f) };
        }
        case 'rep': {
          if (args.length !== 2) fail('rep(x, times) takes two arguments');
          const x = nums(args[0]), times = nums(args[1])[0];
          return { kind: 'vec', v: Array.from({ length: x.length * times }, (_, i) => x[i % x.length]) };
        }
        case 'diag': {
          const x = nums(args[0]);
          const n = args.length > 1 ? nums(args[1])[0] : x.length === 1 ? Math.round(x[0]) : x.length;
          const d = args.length === 1 && x.length === 1 ? [1] : x;
          const v = new Array<number>(n * n).fill(0);
          for (let i = 0; i < n; i++) v[i * n + i] = d[i % d.length];
          return { kind: 'mat', n, v };
        }
        case 'matrix': {
          const x = nums(args[0]);
          const n = Math.round(Math.sqrt(x.length));
          if (n * n !== x.length) fail('matrix() needs a square number of values');
          return { kind: 'mat', n, v: x };
        }
        default: return fail(`unknown function '${e.fn}()'`);
      }
    }
  }
}
