/**
 * gamm4's formulas: smooth terms `s(x)`, `s(x, k = 8)`, `s(x, bs = "cr")`, `s(x, bs = "tp", k = 12)` among
 * the parametric terms of an lme4 fixed part (mgcv's interpret.gam, for one covariate per smooth).
 * Each smooth is a term of its own, joined by `+`; it is cut out of the formula, whose remaining text
 * (the parametric part, `y ~ z` or `y ~ 1`) is then an ordinary formula (./parse.ts). Refused with a
 * FormulaError at the token: other bases (`bs = "ps"`, …), `by =`, other arguments of s(), several
 * covariates (`s(x, z)`), tensor products (`te()`, `ti()`, `t2()`), a smooth inside another term.
 */
import { FormulaError } from '../errors/errors.js';

/** One smooth as written. */
export interface SmoothTerm {
  /** the covariate */
  term: string;
  /** the basis: thin plate regression spline (mgcv's default) or cubic regression spline */
  bs: 'tp' | 'cr';
  /** the basis dimension (mgcv's default 10) */
  k: number;
  /** mgcv's label: `s(x)` */
  label: string;
  /** its text and offset in the formula */
  text: string;
  pos: number;
}

export interface SmoothFormula {
  /** the formula as given */
  text: string;
  /** the formula without its smooths (the parametric part) */
  parametric: string;
  smooths: SmoothTerm[];
}

const NAME = /[A-Za-z.][A-Za-z0-9._]*/y;
const SMOOTH_ARGS = new Set(['k', 'bs']);
/** s()'s other arguments (mgcv's): refused by name */
const OTHER_ARGS = new Set(['by', 'fx', 'm', 'id', 'xt', 'sp', 'pc', 'd']);
const TENSORS = new Set(['te', 'ti', 't2']);

/** The offset of the `)` closing the `(` at `open` (quotes respected), or −1. */
function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end < 0) return -1;
      i = end;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

/** The arguments of a call between `from` and `to` split at top-level commas, with their offsets. */
function splitArgs(text: string, from: number, to: number): { text: string; pos: number }[] {
  const out: { text: string; pos: number }[] = [];
  let depth = 0, start = from;
  for (let i = from; i <= to; i++) {
    const c = text[i];
    if (i < to && (c === '"' || c === "'")) { i = text.indexOf(c, i + 1); continue; }
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (i === to || (c === ',' && depth === 0)) {
      const raw = text.slice(start, i);
      const lead = raw.length - raw.trimStart().length;
      out.push({ text: raw.trim(), pos: start + lead });
      start = i + 1;
    }
  }
  return out;
}

/** Parses the smooth `s(…)` whose `s` is at `pos` and `(` at `open`, `)` at `close`. */
function smoothCall(text: string, pos: number, open: number, close: number): SmoothTerm {
  const args = splitArgs(text, open + 1, close);
  if (args.length === 1 && args[0].text === '') throw new FormulaError('s() needs a covariate: s(x)', text, pos);
  const covariates: { text: string; pos: number }[] = [];
  let k = 10, bs: 'tp' | 'cr' = 'tp';
  for (const a of args) {
    const m = /^([A-Za-z.][A-Za-z0-9._]*)\s*=(?!=)\s*(.*)$/s.exec(a.text);
    if (!m) {
      covariates.push(a);
      continue;
    }
    const [, name, value] = m;
    if (OTHER_ARGS.has(name)) {
      const why = name === 'by' ? "'by =' (varying-coefficient and by-factor smooths) is not supported" : `s()'s argument '${name} =' is not supported`;
      throw new FormulaError(`${why}: s() takes a covariate, k = and bs = ("tp" or "cr")`, text, a.pos);
    }
    if (!SMOOTH_ARGS.has(name)) throw new FormulaError(`s() has no argument '${name} =' here (it takes a covariate, k = and bs =)`, text, a.pos);
    if (name === 'k') {
      const v = Number(value);
      if (!/^\d+$/.test(value.trim()) || !Number.isInteger(v) || v < 3) throw new FormulaError(`k = ${value}: the basis dimension must be an integer of at least 3`, text, a.pos);
      k = v;
    } else {
      const q = /^(["'])(.*)\1$/.exec(value.trim());
      if (!q) throw new FormulaError(`bs = ${value}: the basis is a quoted name, bs = "tp" or bs = "cr"`, text, a.pos);
      if (q[2] !== 'tp' && q[2] !== 'cr') throw new FormulaError(`bs = "${q[2]}": basis not supported (supported: "tp", the thin plate regression spline, mgcv's default; "cr", the cubic regression spline)`, text, a.pos);
      bs = q[2];
    }
  }
  if (covariates.length === 0) throw new FormulaError('s() needs a covariate: s(x)', text, pos);
  if (covariates.length > 1) throw new FormulaError(`s() of several covariates (${covariates.map((c) => c.text).join(', ')}) is not supported: one covariate per smooth`, text, covariates[1].pos);
  const cov = covariates[0];
  const nm = /^`([^`]+)`$|^([A-Za-z.][A-Za-z0-9._]*)$/.exec(cov.text);
  if (!nm) throw new FormulaError(`s(${cov.text}): the covariate must be a column name`, text, cov.pos);
  const term = nm[1] ?? nm[2];
  return { term, bs, k, label: `s(${term})`, text: text.slice(pos, close + 1), pos };
}

/** The top-level `+` summands of text[from, to) (outside parentheses, quotes and backticks), with their offsets. */
function summands(text: string, from: number, to: number): { text: string; pos: number; end: number }[] {
  const out: { text: string; pos: number; end: number }[] = [];
  let depth = 0, start = from;
  for (let i = from; i <= to; i++) {
    const c = text[i];
    if (i < to && (c === '"' || c === "'" || c === '`')) { const e = text.indexOf(c, i + 1); if (e > 0) i = e; continue; }
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (i === to || (c === '+' && depth === 0)) {
      const raw = text.slice(start, i);
      const lead = raw.length - raw.trimStart().length;
      out.push({ text: raw.trim(), pos: start + lead, end: start + lead + raw.trim().length });
      start = i + 1;
    }
  }
  return out;
}

/** Splits a gamm4 formula into its smooths and its parametric part. */
export function parseSmoothFormula(text: string): SmoothFormula {
  if (typeof text !== 'string') throw new FormulaError(`a formula is a string such as 'y ~ s(x) + z', not ${text === null ? 'null' : typeof text}`, '', 0);
  const tilde = text.indexOf('~');
  const smooths: SmoothTerm[] = [];
  const kept: string[] = [];
  const parts = tilde < 0 ? [] : summands(text, tilde + 1, text.length);
  for (const part of parts) {
    let found: SmoothTerm | null = null;
    for (let i = part.pos; i < part.end; i++) {
      const c = text[i];
      if (c === '`') { const e = text.indexOf('`', i + 1); if (e > 0) i = e; continue; }
      if (c === '"' || c === "'") { const e = text.indexOf(c, i + 1); if (e > 0) i = e; continue; }
      if (!/[A-Za-z.]/.test(c) || (i > 0 && /[A-Za-z0-9._]/.test(text[i - 1]))) continue;
      NAME.lastIndex = i;
      const name = NAME.exec(text)![0];
      let j = i + name.length;
      while (j < text.length && /\s/.test(text[j])) j++;
      if (text[j] !== '(' || (name !== 's' && !TENSORS.has(name))) { i += name.length - 1; continue; }
      if (TENSORS.has(name)) throw new FormulaError(`${name}(): tensor product smooths are not supported (one covariate per smooth: s(x))`, text, i);
      const close = closing(text, j);
      if (close < 0) throw new FormulaError("unclosed smooth 's(': missing ')'", text, i);
      const sm = smoothCall(text, i, j, close);
      if (i !== part.pos || close + 1 !== part.end) {
        throw new FormulaError(`${sm.text}: a smooth is a term of its own, joined to the others by '+' (not inside another term: '${part.text}')`, text, i);
      }
      if (smooths.some((s) => s.term === sm.term)) throw new FormulaError(`${sm.label} appears twice`, text, i);
      found = sm;
      i = close;
    }
    if (found) smooths.push(found);
    else kept.push(part.text);
  }
  const lhs = tilde < 0 ? text : text.slice(0, tilde + 1);
  const parametric = `${lhs.trimEnd()} ${kept.length > 0 ? kept.join(' + ') : '1'}`;
  return { text, parametric, smooths };
}
