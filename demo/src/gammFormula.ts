/**
 * gamm4's arguments of an app formula with smooth terms (no library math: the page checks the formula
 * box with it, the worker fits with it): the library's formula parser reads the formula's summands
 * (formulaSummands), the smooth calls go to gamm4's formula as written, the `( | )` terms become its
 * `random = ~ …`, the other terms its parametric part; the library's parseSmoothFormula judges the smooths
 * (its FormulaError, at the token, for one it refuses).
 */
import { FormulaError } from '../../src/errors/errors.js';
import { type Node, parseFormulaSides } from '../../src/formula/parse.js';
import { parseSmoothFormula, type SmoothTerm } from '../../src/formula/smooth.js';

/** gamm4's arguments of a formula with smooths */
export interface GammSplit {
  /** gamm4's formula: the response, the parametric terms and the smooths */
  formula: string;
  /** gamm4's random = ~ …: the formula's random-effects terms; undefined where it has none */
  random?: string;
  smooths: SmoothTerm[];
  /** the formula without its smooths (the parametric and random-effects terms: lme4's syntax) */
  parametric: string;
}

/** the first token's offset of a node (a binary node's own pos is its operator's) */
function startOf(node: Node): number {
  let n = node;
  while (n.kind === 'binary') n = n.left;
  return n.pos;
}

/** the node inside its parentheses */
function unparen(node: Node): Node {
  let n = node;
  while (n.kind === 'paren') n = n.inner;
  return n;
}

/** gamm4's smooth constructors (mgcv's s, te, ti, t2) */
const SMOOTH_CALLS: ReadonlySet<string> = new Set(['s', 'te', 'ti', 't2']);

/** one summand of a formula's right-hand side: its sign, text as written, and what it is */
export interface Summand {
  sign: '+' | '-';
  text: string;
  /** the offset of its text in the formula */
  pos: number;
  kind: 'smooth' | 'random' | 'fixed';
}

/**
 * The top-level summands of a formula's right-hand side as the library's formula parser reads it
 * (src/formula/parse.ts, the parse the fit uses: nested parentheses, calls with named arguments, `/`, `||`):
 * a call of s(), te(), ti() or t2() is a smooth (its text unchanged: the library's gamm4 judges its
 * arguments), a parenthesized bar term `( … | … )` or `( … || … )` a random-effects term, anything else
 * a fixed-effects term. Throws the parser's FormulaError (at the token) for a formula it cannot read.
 */
export function formulaSummands(text: string): { response: string; summands: Summand[] } {
  // (the parser reads string literals, s(x, bs = "cr"), as R does)
  const { response, rhs } = parseFormulaSides(text);
  if (response === null) throw new FormulaError("a model formula has a response: 'y ~ s(x) + (1 | g)'", text, 0);
  // the top-level chain a + b - c + …: the operators' offsets cut the text into the summands as written
  const cuts: { sign: '+' | '-'; node: Node; opPos: number }[] = [];
  let n: Node = rhs;
  while (n.kind === 'binary' && (n.op === '+' || n.op === '-')) {
    cuts.push({ sign: n.op, node: n.right, opPos: n.pos });
    n = n.left;
  }
  cuts.push({ sign: '+', node: n, opPos: -1 });
  cuts.reverse();
  const rhsStart = startOf(rhs);
  const summands = cuts.map((c, k): Summand => {
    const from = k === 0 ? rhsStart : c.opPos + 1;
    const to = k + 1 < cuts.length ? cuts[k + 1]!.opPos : text.length;
    const raw = text.slice(from, to);
    const pos = from + raw.length - raw.trimStart().length;
    const inner = unparen(c.node);
    const kind = c.node.kind === 'call' && SMOOTH_CALLS.has(c.node.fn) ? 'smooth'
      : c.node.kind === 'paren' && inner.kind === 'binary' && (inner.op === '|' || inner.op === '||') ? 'random' : 'fixed';
    return { sign: c.sign, text: raw.trim(), pos, kind };
  });
  const lhs = text.slice(0, rhsStart).trimEnd();
  return { response: lhs.endsWith('~') ? lhs.slice(0, -1).trim() : lhs, summands };
}

/**
 * gamm4's formula and `random` of a formula with smooths, or null where it has none, without judging the
 * smooths: every s()/te()/ti()/t2() call goes to the formula unchanged, after the fixed-effects terms (with
 * their signs), and the random-effects terms (with `+`) make gamm4's `random = ~ …`.
 * `y ~ s(x, by = f) + z + (1 | g/h)` → `y ~ z + s(x, by = f)`, random `~ (1 | g/h)`.
 */
export function splitSmoothFormula(text: string): { formula: string; random?: string } | null {
  const { response, summands } = formulaSummands(text);
  const smooths = summands.filter((s) => s.kind === 'smooth');
  if (smooths.length === 0) return null;
  const random = summands.filter((s) => s.kind === 'random');
  const minus = random.find((s) => s.sign === '-');
  if (minus) throw new FormulaError(`a random-effects term is added to a formula, not removed: '- ${minus.text}'`, text, minus.pos);
  const fixed = summands.filter((s) => s.kind === 'fixed');
  // the intercept alone adds nothing to gamm4's formula (it has one)
  const fixedText = fixed.length === 1 && fixed[0]!.sign === '+' && fixed[0]!.text === '1' ? [] : fixed;
  const rhs = [...fixedText, ...smooths].map((s, k) => (k === 0 ? (s.sign === '-' ? `- ${s.text}` : s.text) : `${s.sign} ${s.text}`)).join(' ');
  return {
    formula: `${response} ~ ${rhs}`,
    ...(random.length ? { random: `~ ${random.map((s) => s.text).join(' + ')}` } : {}),
  };
}

/**
 * A formula's gamm4 arguments, or null where it has no smooth; the library's FormulaError (at the token)
 * for a smooth it refuses (src/formula/smooth.ts: other bases, several covariates, …; what the library
 * takes, it takes here) or a formula its parser cannot read.
 * `y ~ s(x0) + s(x1, bs = "cr") + x2 + (1 | fac)` → gamm4(`y ~ x2 + s(x0) + s(x1, bs = "cr")`, random = `~ (1 | fac)`).
 */
export function splitGammFormula(text: string): GammSplit | null {
  const sf = parseSmoothFormula(text);
  if (sf.smooths.length === 0) return null;
  const split = splitSmoothFormula(text);
  // the library found a smooth inside another term where the parser's summands have none: its refusal
  if (!split) throw new FormulaError(`${sf.smooths[0]!.label} must be a term of its own, joined by '+'`, text, sf.smooths[0]!.pos);
  return { ...split, smooths: sf.smooths, parametric: sf.parametric };
}

/**
 * gamm4's families here: Gaussian (lmer), binomial and Poisson with their canonical links (glmer: the library's
 * gamm4 takes those only); why another family or link is not offered, or null.
 */
export function gammFamilyProblem(family: string, link: string | undefined): string | null {
  if (family === 'gaussian') return null;
  const canonical: Record<string, string> = { binomial: 'logit', poisson: 'log' };
  if (!(family in canonical)) return `smooth terms s() are fitted by gamm4 for Gaussian, binomial and Poisson responses: choose one of those families, not ${family}`;
  if (link !== undefined && link !== canonical[family]) return `gamm4's ${family} smooths take the canonical link ${canonical[family]} only, not ${link}`;
  return null;
}

/**
 * What the formula box says of a formula with smooths, at the token, or null: the family (gaussian,
 * binomial or Poisson with its canonical link: gammFamilyProblem) and each smooth's covariate, which must be
 * a numeric column not marked as a factor.
 */
export function gammFormulaProblem(
  split: GammSplit, family: string, link: string | undefined, columns: { name: string; kind: string }[] | undefined, factors: ReadonlySet<string>,
): { message: string; position: number } | null {
  const first = split.smooths[0]!;
  const why = gammFamilyProblem(family, link);
  if (why) return { message: `${first.label}: ${why}.`, position: first.pos };
  for (const sm of split.smooths) {
    const col = columns?.find((c) => c.name === sm.term);
    if (col && (col.kind !== 'numeric' || factors.has(sm.term))) {
      return { message: `${sm.label}: '${sm.term}' is ${col.kind === 'numeric' ? 'marked as a factor' : 'not numeric'}; a smooth needs a numeric covariate.`, position: sm.pos };
    }
  }
  return null;
}
