/**
 * R's printing (R 4.2, default options: digits = 7, width = 80), as lme4's print blocks
 * (src/results/lme4Print.ts) use it, so that the text matches R's character for character:
 * - R's number formatting: ports of `formatReal` (the rule behind `format`, `print` and `cat` of
 *   doubles), `round`, `zapsmall`, `format.pval` and type-7 `quantile`;
 * - R's printing of named vectors and character matrices, `cat(fill = TRUE)`, `deparse` of a
 *   formula and `abbreviate`.
 */

import { fround } from '../frame/rowFunctions.js';

/** R's getOption("width") */
export const WIDTH = 80;
/** The largest number of digits R's formatReal considers (KP_MAX). */
const KP_MAX = 22;

interface RealFormat {
  /** field width */
  w: number;
  /** digits after the decimal point (fixed) or in the mantissa (scientific) */
  d: number;
  /** 0: fixed notation; 1 or 2: scientific with that many exponent digits beyond the first */
  e: number;
}

/** C's sprintf("%.<d>e", x) (R's sprintf): the exponent with at least two digits, e+05 not e+5 */
export function sprintfE(x: number, d: number): string {
  return x.toExponential(d).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** R's scientific(): sign, decimal exponent and significant digits of x rounded to `digits`. */
function scientific(x: number, digits: number): { neg: boolean; kpower: number; nsig: number; roundingWidens: boolean } {
  if (x === 0) return { neg: false, kpower: 0, nsig: 1, roundingWidens: false };
  const neg = x < 0;
  const r = Math.abs(x);
  const s = r.toExponential(Math.max(0, digits - 1));
  const [mant, exp] = s.split('e');
  const kpower = Number(exp);
  const mdigits = mant.replace('.', '').replace(/0+$/, '');
  const nsig = Math.max(1, mdigits.length);
  let rgt = digits - kpower;
  rgt = rgt < 0 ? 0 : rgt > KP_MAX ? KP_MAX : rgt;
  const fuzz = 0.5 / 10 ** rgt;
  const roundingWidens = kpower > 0 && kpower <= KP_MAX && r < 10 ** kpower - fuzz;
  return { neg, kpower, nsig, roundingWidens };
}

/**
 * R's formatReal: the common format of a vector of doubles printed with `digits` significant digits;
 * `scipen` is R's penalty against scientific notation (format(scientific = FALSE) is 100).
 */
function formatReal(xs: number[], digits: number, nsmall = 0, scipen = 0): RealFormat {
  let naflag = false, nanflag = false, posinf = false, neginf = false;
  let neg = false;
  let rgt = -Infinity, mxl = -Infinity, mnl = Infinity, mxsl = -Infinity, mxns = -Infinity;
  let any = false;
  for (const x of xs) {
    if (Number.isNaN(x)) { nanflag = true; continue; }
    if (x === Infinity) { posinf = true; continue; }
    if (x === -Infinity) { neginf = true; continue; }
    any = true;
    const sc = scientific(x, digits);
    let left = sc.kpower + 1;
    if (sc.roundingWidens) left--;
    const sleft = (sc.neg ? 1 : 0) + (left <= 0 ? 1 : left);
    const right = sc.nsig - left;
    if (sc.neg) neg = true;
    if (right > rgt) rgt = right;
    if (left > mxl) mxl = left;
    if (left < mnl) mnl = left;
    if (sleft > mxsl) mxsl = sleft;
    if (sc.nsig > mxns) mxns = sc.nsig;
  }
  let w = 0, d = 0, e = 0;
  if (any) {
    if (mxl < 0) mxsl = 1 + (neg ? 1 : 0);
    if (rgt < 0) rgt = 0;
    let wF = mxsl + rgt + (rgt !== 0 ? 1 : 0);
    e = mxl > 100 || mnl <= -99 ? 2 : 1;
    d = mxns - 1;
    w = (neg ? 1 : 0) + (d > 0 ? 1 : 0) + d + 4 + e;
    if (wF <= w + scipen) {
      e = 0;
      if (nsmall > rgt) {
        rgt = nsmall;
        wF = mxsl + rgt + (rgt !== 0 ? 1 : 0);
      }
      d = rgt;
      w = wF;
    }
  }
  if (naflag && w < 2) w = 2;
  if (nanflag && w < 3) w = 3;
  if (posinf && w < 3) w = 3;
  if (neginf && w < 4) w = 4;
  return { w, d, e };
}

/** x with `d` decimals, rounding exact ties to even as C's printf does (JS's toFixed rounds them away from zero). */
export function toFixedEven(x: number, d: number): string {
  const s = x.toFixed(d);
  const extra = 25;
  if (d + extra > 100) return s;
  // an exact tie has the exact decimal expansion ...d digits, then 5, then zeros
  const ext = Math.abs(x).toFixed(d + extra);
  const cut = ext.length - extra;
  if (!/^50*$/.test(ext.slice(cut))) return s;
  const kept = ext.slice(0, d === 0 ? cut - 1 : cut); // truncated to d decimals
  if (Number(kept[kept.length - 1]) % 2 !== 0) return s; // the rounded-up neighbour is the even one
  return (x < 0 && /[1-9]/.test(kept) ? '-' : '') + kept;
}

function encodeReal(x: number, f: RealFormat): string {
  let s: string;
  if (Number.isNaN(x)) s = 'NaN';
  else if (x === Infinity) s = 'Inf';
  else if (x === -Infinity) s = '-Inf';
  else {
    if (x === 0) x = 0; // drop the sign of -0, as R does
    if (f.e) {
      const [m, ex] = x.toExponential(f.d).split('e');
      const n = Math.abs(Number(ex));
      const ed = String(n).padStart(f.e + 1, '0');
      s = `${m}e${Number(ex) < 0 ? '-' : '+'}${ed}`;
    } else {
      s = toFixedEven(x, f.d);
    }
  }
  return s.padStart(f.w);
}

/**
 * R's format(x, digits = digits, nsmall = nsmall): common format, right-justified to a common width;
 * `scipen` 100 is format(…, scientific = FALSE).
 */
export function formatR(xs: number[], digits: number, nsmall = 0, scipen = 0): string[] {
  const f = formatReal(xs, digits, nsmall, scipen);
  return xs.map((x) => encodeReal(x, f));
}

/**
 * R's round(x, digits), which R's print methods apply before formatting: R 4's algorithm (fround,
 * src/frame/rowFunctions.ts), not the decimal closest to x — round(0.45, 1) is 0.4 in R, as here.
 */
export function roundR(x: number, digits: number): number {
  return fround(x, digits);
}

/**
 * R's make.unique(names, sep): a name's first occurrence kept, each later one suffixed `.1`, `.2`, … with the
 * smallest count (from the name's last) that is none of the names, given or made (`a a a.1` → `a a.2 a.1`).
 */
export function makeUnique(names: readonly string[], sep = '.'): string[] {
  const taken = new Set(names);
  const kept = new Set<string>();
  const next = new Map<string, number>();
  return names.map((name) => {
    if (!kept.has(name)) { kept.add(name); return name; }
    let k = next.get(name) ?? 1;
    while (taken.has(`${name}${sep}${k}`)) k++;
    const made = `${name}${sep}${k}`;
    taken.add(made);
    next.set(name, k + 1);
    return made;
  });
}

/**
 * R's zapsmall(x, digits) as in R 4.2: round(x, max(0, digits − log10(max |x|))), where round()
 * takes the nearest integer number of digits (fround: floor(digits + 0.5)), not the ceiling of
 * log10 (R ≥ 4.4's zapsmall): with digits 5 and max |x| = 12.3, 4 decimals, not 3.
 */
export function zapsmall(xs: number[], digits: number): number[] {
  const finite = xs.filter((x) => !Number.isNaN(x));
  if (finite.length === 0) return xs;
  const mx = Math.max(...finite.map(Math.abs));
  const d = mx > 0 ? Math.floor(Math.max(0, digits - Math.log10(mx)) + 0.5) : digits;
  return xs.map((x) => roundR(x, d));
}

/** R's format.pval(pv, digits, eps) (eps default .Machine$double.eps) */
export function formatPval(pv: number[], digits: number, eps = Number.EPSILON): string[] {
  const out: string[] = pv.map(() => 'NA');
  const idx = pv.map((_, i) => i).filter((i) => !Number.isNaN(pv[i]));
  const is0 = idx.filter((i) => pv[i] < eps);
  const not0 = idx.filter((i) => !(pv[i] < eps));
  let rr: string[] = [];
  if (not0.length) {
    const expo = not0.map((i) => Math.floor(Math.log10(pv[i] > 0 ? pv[i] : 1e-50)));
    const fixp = not0.filter((_, k) => expo[k] >= -3 || (expo[k] === -4 && digits > 1));
    const sci = not0.filter((i) => !fixp.includes(i));
    if (fixp.length) formatR(fixp.map((i) => pv[i]), digits).forEach((s, k) => { out[fixp[k]] = s; });
    if (sci.length) formatR(sci.map((i) => pv[i]), digits).forEach((s, k) => { out[sci[k]] = s; });
    rr = not0.map((i) => out[i]);
  }
  if (is0.length) {
    let d = Math.max(1, digits - 2);
    let sep: string;
    if (not0.length) {
      const nc = Math.max(...rr.map((s) => s.length));
      if (d > 1 && d + 6 > nc) d = Math.max(1, nc - 7);
      sep = d === 1 && nc <= 6 ? '' : ' ';
    } else sep = d === 1 ? '' : ' ';
    const e = formatR([eps], d)[0].trim();
    for (const i of is0) out[i] = `<${sep}${e}`;
  }
  return out;
}

// -----------------------------------------------------------------------------------------------
// R's printing of vectors and matrices, cat(fill = TRUE), deparse, abbreviate
// -----------------------------------------------------------------------------------------------

/** print() of a named vector of formatted entries: right-justified columns, a gap after each. */
export function printNamedVector(values: string[], names: string[]): string[] {
  const w = Math.max(...values.map((v) => v.length), ...names.map((n) => n.length));
  const perLine = Math.max(1, Math.floor(WIDTH / (w + 1)));
  const lines: string[] = [];
  for (let k = 0; k < values.length; k += perLine) {
    lines.push(names.slice(k, k + perLine).map((n) => n.padStart(w) + ' ').join(''));
    lines.push(values.slice(k, k + perLine).map((v) => v.padStart(w) + ' ').join(''));
  }
  return lines;
}

/**
 * print() of a character matrix with quote = FALSE: row labels left-justified, each column after a
 * one-space gap, entries and column labels right- or left-justified; columns that do not fit in the
 * line width continue in a further block below.
 */
export function printMatrix(cols: string[][], rowNames: string[], colNames: string[], right: boolean): string[] {
  const rlabw = Math.max(0, ...rowNames.map((r) => r.length));
  const w = cols.map((c, j) => Math.max(colNames[j].length, ...c.map((s) => s.length)));
  const lines: string[] = [];
  const pad = (s: string, width: number) => (right ? s.padStart(width) : s.padEnd(width));
  let jmin = 0;
  while (jmin < cols.length) {
    let width = rlabw;
    let jmax = jmin;
    do { width += w[jmax] + 1; jmax++; } while (jmax < cols.length && width + w[jmax] + 1 < WIDTH);
    let header = ' '.repeat(rlabw);
    for (let j = jmin; j < jmax; j++) header += ' ' + pad(colNames[j], w[j]);
    lines.push(header);
    rowNames.forEach((rn, i) => {
      let line = rn.padEnd(rlabw);
      for (let j = jmin; j < jmax; j++) line += ' ' + pad(cols[j][i], w[j]);
      lines.push(line);
    });
    jmin = jmax;
  }
  return lines;
}

/** cat(..., fill = TRUE) of character vectors: items separated by spaces, new lines where the width is reached. */
export function catFill(objects: string[][]): string[] {
  const lines: string[] = [];
  let cur = '';
  let width = 0;
  let first = true;
  objects.forEach((obj, iobj) => {
    obj.forEach((item, i) => {
      if (!first) cur += ' ';
      const w = item.length;
      if ((iobj > 0 || i > 0) && !first && width + w + 1 > WIDTH) {
        lines.push(cur);
        cur = '';
        width = 0;
      }
      cur += item;
      width += w + 1;
      first = false;
    });
  });
  lines.push(cur);
  return lines;
}

type FTok = { kind: 'name' | 'num' | 'str' | 'op'; text: string };

const SPACED_BINARY = new Set(['~', '+', '-', '*', '|', '||', '&', '&&', '==', '!=', '<', '>', '<=', '>=', '<-', '=']);
const TIGHT_BINARY = new Set(['/', ':', '^', '$', '@', '::']);

function tokenizeFormula(text: string): FTok[] | null {
  const toks: FTok[] = [];
  let i = 0;
  const ops = ['||', '&&', '==', '!=', '<=', '>=', '<-', '::', '~', '+', '-', '*', '/', ':', '^', '|', '&', '<', '>', '!', '(', ')', ',', '=', '$', '@', '[', ']'];
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    const num = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?L?/.exec(text.slice(i));
    if (num && /[\d.]/.test(c) && !(c === '.' && !/\d/.test(text[i + 1] ?? ''))) {
      toks.push({ kind: 'num', text: num[0] }); i += num[0].length; continue;
    }
    const name = /^[\p{L}.][\p{L}\p{N}._]*/u.exec(text.slice(i));
    if (name) { toks.push({ kind: 'name', text: name[0] }); i += name[0].length; continue; }
    if (c === '`') {
      const close = text.indexOf('`', i + 1);
      if (close < 0) return null;
      const inner = text.slice(i + 1, close);
      // deparse drops the backquotes of syntactic names
      toks.push({ kind: 'name', text: /^[\p{L}.][\p{L}\p{N}._]*$/u.test(inner) && !/^\.\d/.test(inner) ? inner : text.slice(i, close + 1) });
      i = close + 1; continue;
    }
    if (c === '"' || c === "'") {
      const close = text.indexOf(c, i + 1);
      if (close < 0) return null;
      toks.push({ kind: 'str', text: '"' + text.slice(i + 1, close) + '"' });
      i = close + 1; continue;
    }
    if (c === '%') {
      const close = text.indexOf('%', i + 1);
      if (close < 0) return null;
      toks.push({ kind: 'op', text: text.slice(i, close + 1) }); i = close + 1; continue;
    }
    if (text.startsWith('**', i)) { toks.push({ kind: 'op', text: '^' }); i += 2; continue; }
    const op = ops.find((o) => text.startsWith(o, i));
    if (!op) return null;
    toks.push({ kind: 'op', text: op }); i += op.length;
  }
  return toks;
}

/** a piece of deparsed text and whether R's deparse may break the line after it (linebreak()) */
interface DeparsePiece { text: string; breakAfter: boolean }

/** the formula's pieces as R's deparse writes them; null where the text does not tokenize */
function formulaPieces(text: string): DeparsePiece[] | null {
  const toks = tokenizeFormula(text);
  if (!toks || toks.length === 0) return null;
  const out: DeparsePiece[] = [];
  let prev: FTok | null = null;
  for (const t of toks) {
    const isOp = t.kind === 'op';
    const unaryContext = prev === null || (prev.kind === 'op' && prev.text !== ')' && prev.text !== ']');
    let piece: string;
    let breakAfter = false;
    if (isOp && (t.text === '(' || t.text === '[' || t.text === ')' || t.text === ']')) {
      piece = t.text;
    } else if (isOp && t.text === ',') {
      // args2buff: ", " then linebreak()
      piece = ', ';
      breakAfter = true;
    } else if (isOp && unaryContext && ['-', '+', '~', '!'].includes(t.text)) {
      piece = t.text;
    } else if (isOp && (SPACED_BINARY.has(t.text) || /^%.*%$/.test(t.text))) {
      // PP_BINARY: " op " then linebreak() (an assignment's or an argument's = does not break)
      piece = ` ${t.text} `;
      breakAfter = t.text !== '=' && t.text !== '<-';
    } else if (isOp && TIGHT_BINARY.has(t.text)) {
      piece = t.text;
    } else if (t.kind === 'num') {
      piece = t.text.endsWith('L') ? t.text : formatR([Number(t.text)], 15)[0].trim();
    } else {
      piece = t.text;
    }
    out.push({ text: piece, breakAfter });
    prev = t;
  }
  return out;
}

/**
 * deparse's linebreak(): a line ends after a piece that allows it once the line passes 60 characters
 * (width.cutoff), continuation lines indented by four spaces
 */
function breakLines(pieces: DeparsePiece[]): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const p of pieces) {
    if (cur === '' && lines.length > 0) cur = '    ';
    cur += p.text;
    if (p.breakAfter && cur.length > 60) { lines.push(cur); cur = ''; }
  }
  if (cur !== '') lines.push(cur);
  return lines;
}

/**
 * The formula as R's deparse() writes it (spaces around `~ + - * |`, none around `/ : ^`, `, `
 * after commas), broken into lines after a spaced operator or a comma once a line passes 60
 * characters (width.cutoff), continuation lines indented by four spaces. Falls back to the text as given.
 */
export function deparseFormula(text: string): string[] {
  const pieces = formulaPieces(text);
  return pieces ? breakLines(pieces) : [text.trim()];
}

/**
 * A call as R prints it (print of a call: deparse, width.cutoff 60), `fn(name = value, …)`: each value a
 * formula (deparsed as deparseFormula) or R code written as given, the lines broken as deparseFormula's
 * (after ", " between arguments too); e.g. multcomp's "Fit: lmer(formula = y ~ x + (1 | g), data = d)".
 */
export function deparseCall(fn: string, args: readonly { name: string; formula?: string; code?: string }[]): string[] {
  const pieces: DeparsePiece[] = [{ text: `${fn}(`, breakAfter: false }];
  args.forEach((a, i) => {
    pieces.push({ text: `${a.name} = `, breakAfter: false });
    const value = a.formula !== undefined ? formulaPieces(a.formula) ?? [{ text: a.formula.trim(), breakAfter: false }] : [{ text: a.code ?? '', breakAfter: false }];
    pieces.push(...value);
    if (i < args.length - 1) pieces.push({ text: ', ', breakAfter: true });
  });
  pieces.push({ text: ')', breakAfter: false });
  return breakLines(pieces);
}

/** R's abbreviate(names, minlength) (method "left.kept", use.classes = TRUE). */
export function abbreviate(names: string[], minlength: number): string[] {
  const trimmed = names.map((n) => n.replace(/^ +/, '').replace(/ +$/, ''));
  const uniq = [...new Set(trimmed)];
  const x = uniq.slice();
  let minlen = minlength;
  let these = uniq.map((_, k) => k);
  for (;;) {
    for (const k of these) x[k] = stripChars(uniq[k], minlen);
    const dup = x.map((v, k) => x.indexOf(v) !== k);
    if (!dup.some(Boolean)) break;
    minlen++;
    const dupVals = new Set(x.filter((_, k) => dup[k]));
    these = x.flatMap((v, k) => (dup[k] || dupVals.has(v) ? [k] : []));
  }
  return trimmed.map((n) => x[uniq.indexOf(n)]);
}

/** R's C routine stripchars() behind abbreviate(). */
function stripChars(input: string, minlen: number): string {
  const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);
  const isLower = (c: string | undefined) => c !== undefined && c >= 'a' && c <= 'z';
  const isVowel = (c: string | undefined) => c === 'a' || c === 'e' || c === 'i' || c === 'o' || c === 'u';
  let b = input.replace(/^\s+/, '').split('');
  const at = (i: number) => (i < b.length ? b[i] : undefined);
  const firstChar = (i: number) => isSpace(at(i - 1));
  const lastChar = (i: number) => !isSpace(at(i - 1)) && (at(i + 1) === undefined || isSpace(at(i + 1)));
  const removeAt = (i: number) => { if (i < b.length) b.splice(i, 1); };
  let nspace = 0;
  const done = () => b.length - nspace <= minlen;
  const finish = () => {
    if (b.length > minlen) {
      for (let i = b.length - 1; i > 0; i--) if (isSpace(b[i])) b.splice(i, 1);
    }
    return b.join('');
  };
  if (b.length < minlen) return finish();
  const upper = b.length - 1;
  // trailing blanks are dropped, inner ones counted (they are word boundaries until the end)
  let trailing = true;
  for (let i = upper; i > 0; i--) {
    if (isSpace(b[i])) {
      if (trailing) b = b.slice(0, i); else nspace++;
    } else trailing = false;
    if (done()) return finish();
  }
  const passes: Array<(i: number) => boolean> = [
    (i) => isVowel(at(i)) && lastChar(i),
    (i) => isVowel(at(i)) && !firstChar(i),
    (i) => isLower(at(i)) && lastChar(i),
    (i) => isLower(at(i)) && !firstChar(i),
  ];
  for (const test of passes) {
    for (let i = upper; i > 0; i--) {
      if (test(i)) removeAt(i);
      if (done()) return finish();
    }
  }
  const upper2 = b.length - 1;
  for (let i = upper2; i > 0; i--) {
    if (!firstChar(i) && at(i) !== undefined && !isSpace(at(i))) removeAt(i);
    if (done()) return finish();
  }
  return finish();
}
