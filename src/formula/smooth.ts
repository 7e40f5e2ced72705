/**
 * gamm4's formulas: smooth terms `s(x)`, `s(x, k = 8)`, `s(x, bs = "cr")`, `s(x, bs = "tp", k = 12)`,
 * `s(x, bs = "cc")` (cyclic), `s(x, bs = "ps")` (P-spline), `s(x, by = f)` (a factor or numeric by variable; `by = ordered(f)`: no smooth for f's first level), and the tensor products `t2(x, z)`, `t2(x, z, k = c(5, 5))`,
 * `t2(x, z, bs = "cr")` (cr margins, mgcv's t2 default; "tp", "cc", "ps", or one per margin `bs = c("cr", "tp")`),
 * `t2(x, z, by = f)` among the parametric terms of an lme4 fixed part
 * (mgcv's interpret.gam). Each smooth is a term of its own, joined by `+`; it is cut out of the formula, whose
 * remaining text (the parametric part, `y ~ z` or `y ~ 1`) is then an ordinary formula (./parse.ts). Refused
 * with a FormulaError at the token: other bases (`bs = "re"`, …), other arguments of
 * s() and t2(), several covariates in s() (`s(x, z)`), `te()` and `ti()` (gamm4's advice: t2), a smooth
 * inside another term, one covariate used by two smooths.
 */
import { FormulaError } from '../errors/errors.js';

/** One smooth as written. */
export interface SmoothTerm {
  /** s(): one covariate; t2(): a tensor product of one-covariate margins */
  kind: 's' | 't2';
  /** the (first) covariate */
  term: string;
  /** all covariates (s(): one; t2(): one per margin) */
  terms: string[];
  /** t2's margins: each a basis (cr, t2's default; tp, cc or ps) of dimension k (mgcv's t2 default k = 5) */
  margins?: { term: string; bs: 'tp' | 'cr' | 'cc' | 'ps'; k: number }[];
  /** `by =`: a factor (one smooth per level) or numeric (varying coefficient) column */
  by?: string;
  /** `by = ordered(f)`: mgcv's ordered factor by, no smooth for the first level */
  byOrdered?: boolean;
  /** the basis: thin plate regression spline (mgcv's default), cubic regression spline, cyclic cubic
   * regression spline or P-spline (s() only; t2's margins: cr) */
  bs: 'tp' | 'cr' | 'cc' | 'ps';
  /** the basis dimension (mgcv's default 10; t2: the product of the margins') */
  k: number;
  /** mgcv's label: `s(x)`, `s(x):z` (numeric by; a factor by's per level at setup), `t2(x,z)` */
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
const SMOOTH_ARGS = new Set(['k', 'bs', 'by']);
/** s()'s and t2()'s other arguments (mgcv's): refused by name */
const OTHER_ARGS = new Set(['fx', 'm', 'id', 'xt', 'sp', 'pc', 'd', 'full', 'ord']);
const TENSORS = new Set(['te', 'ti']);

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

/** A covariate's name (a column: `x` or a backticked name), or null. */
function columnName(text: string): string | null {
  const nm = /^`([^`]+)`$|^([A-Za-z.][A-Za-z0-9._]*)$/.exec(text);
  return nm ? (nm[1] ?? nm[2]) : null;
}

/** A quoted basis name `"cr"`, or a FormulaError. */
function basisName(value: string, text: string, pos: number, what: string): string {
  const q = /^(["'])(.*)\1$/.exec(value.trim());
  if (!q) throw new FormulaError(`bs = ${value}: the basis is a quoted name, ${what}`, text, pos);
  return q[2];
}

/** R's c(a, b, …) or a single value: its elements' texts. */
function vectorArg(value: string): string[] {
  const m = /^c\s*\((.*)\)$/s.exec(value.trim());
  return m ? m[1].split(',').map((v) => v.trim()) : [value.trim()];
}

/** An integer basis dimension of at least 3, or a FormulaError. */
function basisDimension(value: string, text: string, pos: number): number {
  const v = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(v) || v < 3) throw new FormulaError(`k = ${value}: the basis dimension must be an integer of at least 3`, text, pos);
  return v;
}

/** Parses the smooth `s(…)` or `t2(…)` whose name is at `pos` and `(` at `open`, `)` at `close`. */
function smoothCall(kind: 's' | 't2', text: string, pos: number, open: number, close: number): SmoothTerm {
  const args = splitArgs(text, open + 1, close);
  if (args.length === 1 && args[0].text === '') throw new FormulaError(kind === 's' ? 's() needs a covariate: s(x)' : 't2() needs covariates: t2(x, z)', text, pos);
  const covariates: { text: string; pos: number }[] = [];
  let kText: { value: string; pos: number } | null = null, bsText: { value: string; pos: number } | null = null;
  let by: string | undefined, byOrdered = false;
  for (const a of args) {
    const m = /^([A-Za-z.][A-Za-z0-9._]*)\s*=(?!=)\s*(.*)$/s.exec(a.text);
    if (!m) {
      covariates.push(a);
      continue;
    }
    const [, name, value] = m;
    if (OTHER_ARGS.has(name)) throw new FormulaError(`${kind}()'s argument '${name} =' is not supported: ${kind === 's' ? 's() takes a covariate, k =, bs = ("tp", "cr", "cc" or "ps") and by =' : 't2() takes its covariates, k =, bs = ("cr", "tp", "cc" or "ps", one or one per margin) and by ='}`, text, a.pos);
    if (!SMOOTH_ARGS.has(name)) throw new FormulaError(`${kind}() has no argument '${name} =' here (${kind === 's' ? 'it takes a covariate, k =, bs = and by =' : 'it takes its covariates, k = and bs ='})`, text, a.pos);
    if (name === 'k') kText = { value, pos: a.pos };
    else if (name === 'bs') bsText = { value, pos: a.pos };
    else {
      const ord = /^ordered\s*\(\s*(.*?)\s*\)$/s.exec(value.trim());
      const b = columnName(ord ? ord[1] : value.trim());
      if (b === null) throw new FormulaError(`by = ${value}: the by variable must be a column name (a factor: one smooth per level; numeric: a varying coefficient) or ordered(f)`, text, a.pos);
      by = b;
      if (ord) byOrdered = true;
    }
  }
  const terms: string[] = [];
  for (const cov of covariates) {
    const term = columnName(cov.text);
    if (term === null) throw new FormulaError(`${kind}(${cov.text}): the covariate must be a column name`, text, cov.pos);
    if (terms.includes(term)) throw new FormulaError(`${kind}(): covariate '${term}' repeated (repeated variables as arguments of a smooth are not permitted)`, text, cov.pos);
    terms.push(term);
  }
  if (kind === 's') {
    if (covariates.length === 0) throw new FormulaError('s() needs a covariate: s(x)', text, pos);
    if (covariates.length > 1) throw new FormulaError(`s() of several covariates (${covariates.map((c) => c.text).join(', ')}) is not supported: one covariate per smooth (a tensor product: t2(${covariates.map((c) => c.text).join(', ')}))`, text, covariates[1].pos);
    const k = kText ? basisDimension(kText.value, text, kText.pos) : 10;
    let bs: 'tp' | 'cr' | 'cc' | 'ps' = 'tp';
    if (bsText) {
      const b = basisName(bsText.value, text, bsText.pos, 'bs = "tp", "cr", "cc" or "ps"');
      if (b !== 'tp' && b !== 'cr' && b !== 'cc' && b !== 'ps') throw new FormulaError(`bs = "${b}": basis not supported (supported: "tp", the thin plate regression spline, mgcv's default; "cr", the cubic regression spline; "cc", the cyclic cubic regression spline; "ps", the P-spline)`, text, bsText.pos);
      bs = b;
    }
    if (bs === 'cc' && kText && Number(kText.value) < 4) throw new FormulaError(`k = ${kText.value}: a cyclic smooth (bs = "cc") needs k of at least 4`, text, kText.pos);
    const term = terms[0];
    if (by === term) throw new FormulaError(`s(${term}, by = ${by}): the by variable is the smooth's covariate`, text, pos);
    // mgcv's label: a numeric by's `s(x):z`; a factor by's `s(x):zlevel`, set per level at setup
    return {
      kind, term, terms, bs, k, ...(by !== undefined ? { by } : {}), ...(byOrdered ? { byOrdered } : {}),
      label: by !== undefined ? `s(${term}):${byOrdered ? `ordered(${by})` : by}` : `s(${term})`, text: text.slice(pos, close + 1), pos,
    };
  }
  if (covariates.length < 2) throw new FormulaError(`t2() needs at least two covariates (t2(x, z)); one covariate is s(${covariates[0]?.text ?? 'x'}, bs = "cr")`, text, covariates[0]?.pos ?? pos);
  const d = terms.length;
  if (d > 2) throw new FormulaError(`t2() of ${d} covariates is not supported here: t2(x, z) of two`, text, covariates[2].pos);
  let ks = new Array<number>(d).fill(5);
  if (kText) {
    const parts = vectorArg(kText.value);
    if (parts.length !== 1 && parts.length !== d) throw new FormulaError(`k = ${kText.value}: t2() of ${d} covariates takes one k or ${d} (k = c(${new Array(d).fill(5).join(', ')}))`, text, kText.pos);
    const vals = parts.map((v) => basisDimension(v, text, kText!.pos));
    ks = parts.length === 1 ? new Array<number>(d).fill(vals[0]) : vals;
  }
  let bss = new Array<'tp' | 'cr' | 'cc' | 'ps'>(d).fill('cr');
  if (bsText) {
    const parts = vectorArg(bsText.value);
    if (parts.length !== 1 && parts.length !== d) throw new FormulaError(`bs = ${bsText.value}: t2() of ${d} covariates takes one basis or ${d}`, text, bsText.pos);
    const names = parts.map((v) => {
      const b = basisName(v, text, bsText!.pos, 'bs = "cr"');
      if (b !== 'cr' && b !== 'tp' && b !== 'cc' && b !== 'ps') throw new FormulaError(`bs = "${b}": t2()'s margins are "cr" (mgcv's t2 default), "tp", "cc" or "ps" here; other bases are not supported`, text, bsText!.pos);
      return b;
    });
    bss = names.length === 1 ? new Array(d).fill(names[0]) : names;
  }
  bss.forEach((b, i) => { if (b === 'cc' && ks[i] < 4) throw new FormulaError(`k = ${kText?.value ?? ks[i]}: a cyclic margin (bs = "cc") needs k of at least 4`, text, kText?.pos ?? pos); });
  const margins = terms.map((term, i) => ({ term, bs: bss[i], k: ks[i] }));
  if (by !== undefined && terms.includes(by)) throw new FormulaError(`t2(${terms.join(', ')}, by = ${by}): the by variable is one of the smooth's covariates`, text, pos);
  const label = `t2(${terms.join(',')})`;
  return {
    kind, term: terms[0], terms, margins, bs: bss[0], k: ks.reduce((a, b) => a * b, 1), ...(by !== undefined ? { by } : {}), ...(byOrdered ? { byOrdered } : {}),
    label: by !== undefined ? `${label}:${byOrdered ? `ordered(${by})` : by}` : label, text: text.slice(pos, close + 1), pos,
  };
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
      if (text[j] !== '(' || (name !== 's' && name !== 't2' && !TENSORS.has(name))) { i += name.length - 1; continue; }
      if (TENSORS.has(name)) throw new FormulaError(`${name}(): not supported; gamm4 fits tensor product smooths as t2() terms (t2(x, z): mgcv's t2, its penalties separate random effects)`, text, i);
      const close = closing(text, j);
      if (close < 0) throw new FormulaError(`unclosed smooth '${name}(': missing ')'`, text, i);
      const sm = smoothCall(name as 's' | 't2', text, i, j, close);
      if (i !== part.pos || close + 1 !== part.end) {
        throw new FormulaError(`${sm.text}: a smooth is a term of its own, joined to the others by '+' (not inside another term: '${part.text}')`, text, i);
      }
      if (smooths.some((s) => s.label === sm.label)) throw new FormulaError(`${sm.label} appears twice`, text, i);
      // mgcv's gam.side names a by smooth's variables with its by variable (x + f), so s(x) and s(x, by = f) are
      // not nested; smooths that share a variable so named are (gam.side would constrain them)
      const names = (t: SmoothTerm) => t.terms.map((v) => (t.by !== undefined ? `${v}\u0000${t.by}` : v));
      const shared = smooths.find((s) => names(s).some((t) => names(sm).includes(t)));
      if (shared) throw new FormulaError(`${sm.label} and ${shared.label} share a covariate: not supported here (mgcv's gam.side identifiability constraints for nested smooths are not applied)`, text, i);
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
