/**
 * gamm4's arguments of an app formula with smooth terms (no library math: the page checks the formula
 * box with it, the worker fits with it): the library's parseSmoothFormula cuts the smooths out (its
 * FormulaError, at the token, for a smooth it refuses), and the remaining `( | )` terms become gamm4's
 * `random = ~ …`, the other terms its parametric part.
 */
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

/** the top-level `+` summands of text (outside parentheses and quotes) */
function summands(text: string): string[] {
  const out: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'" || c === '`') { const e = text.indexOf(c, i + 1); if (e > 0) { i = e; continue; } }
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (i === text.length || (c === '+' && depth === 0)) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  return out.filter((s) => s !== '');
}

/** a summand that is a random-effects term: `( … | … )` as a whole */
function isRandomTerm(s: string): boolean {
  if (!s.startsWith('(') || !s.endsWith(')')) return false;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')' && --depth === 0 && i < s.length - 1) return false;
  }
  return s.slice(1, -1).includes('|');
}

/**
 * A formula's gamm4 arguments, or null where it has no smooth; the library's FormulaError (at the token)
 * for a smooth it refuses (other bases, `by =`, te(), several covariates, …).
 * `y ~ s(x0) + s(x1, bs = "cr") + x2 + (1 | fac)` → gamm4(`y ~ x2 + s(x0) + s(x1, bs = "cr")`, random = `~ (1 | fac)`).
 */
export function splitGammFormula(text: string): GammSplit | null {
  const sf = parseSmoothFormula(text);
  if (sf.smooths.length === 0) return null;
  const tilde = sf.parametric.indexOf('~');
  const lhs = sf.parametric.slice(0, tilde).trim();
  const parts = summands(sf.parametric.slice(tilde + 1));
  const random = parts.filter(isRandomTerm);
  const fixed = parts.filter((p) => !isRandomTerm(p));
  const fixedText = fixed.length === 1 && fixed[0] === '1' ? [] : fixed;
  return {
    formula: `${lhs} ~ ${[...fixedText, ...sf.smooths.map((s) => s.text)].join(' + ')}`,
    ...(random.length ? { random: `~ ${random.join(' + ')}` } : {}),
    smooths: sf.smooths,
    parametric: sf.parametric,
  };
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
