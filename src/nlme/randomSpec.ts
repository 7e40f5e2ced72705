/**
 * lme's random effects as nlme writes them, as lme4 terms of the core (src/lmm):
 *  - `~ 1 | Subject`, `~ age | Subject`: one level, a general positive-definite Ψ (nlme's pdLogChol),
 *    the term `(age | Subject)`;
 *  - `~ 1 | Block/Variety` (nlme's nested levels, outermost first; `~ age | School/Class` the same
 *    formula at each level): the terms `(1 | Block) + (1 | Block:Variety)` — the inner grouping factor
 *    is the interaction, nlme's `Variety %in% Block`;
 *  - `list(Dog = ~ day, Side = ~ 1)`: nlme's named list, outermost first, a formula (or a pdMat class)
 *    per level: `(day | Dog) + (1 | Dog:Side)`;
 *  - a pdMat class in the list, `list(Subject = pdDiag(~ age))`: pdDiag as lme4's uncorrelated terms
 *    `(1 | Subject) + (0 + age | Subject)` (one block with a diagonal template); pdIdent and pdCompSymm
 *    as the general term, their Ψ mapped from the class's own parameters (pdMat.ts); pdSymm and
 *    pdNatural, nlme's other parametrizations of a general Ψ (the matrix logarithm; log SDs and
 *    correlations' Fisher z), as the general term itself: the same model, the same MLE;
 *  - or an lme4-style formula with its random-effects term in `fixed` (`distance ~ age + (1 | Subject)`).
 */
import { ModelError, OptionError } from '../errors/errors.js';

/**
 * nlme's pdMat classes: pdLogChol (nlme's default), pdSymm and pdNatural (general positive-definite, in
 * other parametrizations), pdDiag, pdIdent, pdCompSymm, pdBlocked.
 */
export type PdClass = 'pdLogChol' | 'pdSymm' | 'pdNatural' | 'pdDiag' | 'pdIdent' | 'pdCompSymm' | 'pdBlocked';
export const PD_CLASSES: PdClass[] = ['pdLogChol', 'pdSymm', 'pdNatural', 'pdDiag', 'pdIdent', 'pdCompSymm', 'pdBlocked'];
/**
 * The classes of a general positive-definite Ψ: the same model and MLE, θ the Cholesky factor of Ψ/σ²
 * (nlme's parametrizations differ in its optimizer's path and printout only; intervals() works on the
 * natural one for all three, nlme's lmeApVar).
 */
export const GENERAL_PD: PdClass[] = ['pdLogChol', 'pdSymm', 'pdNatural'];
export const isGeneralPd = (pd: string): boolean => (GENERAL_PD as string[]).includes(pd);

/** One block of a pdBlocked Ψ (or the whole Ψ of another class): its class and formula. */
export interface PdPart { pd: Exclude<PdClass, 'pdBlocked'>; lhs: string; /** its lme4 terms' count (pdDiag: one per column) */ terms: number }

/** One level of grouping, outermost first. */
export interface RandomLevel {
  /** nlme's name of the level: the grouping variable (`Variety`) */
  name: string;
  /** the core's grouping factor: the interaction with the outer levels (`Block:Variety`) */
  group: string;
  /** nlme's printout of the grouping (`Variety %in% Block`) */
  label: string;
  /** the random-effects formula's right side (`1`, `age`) */
  lhs: string;
  pd: PdClass;
  /** pdBlocked's blocks, in order (their columns follow one another in the level's block) */
  parts?: PdPart[];
}

export interface RandomSpec {
  /** the lme4 formula of fixed and random */
  formula: string;
  /** the levels, outermost first (null: the lme4-style term in the formula, one level read from the model) */
  levels: RandomLevel[] | null;
}

const NAME = /^[A-Za-z.][A-Za-z0-9._]*$/;

/** Splits at commas outside parentheses. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) { out.push(s.slice(start, i)); start = i + 1; }
  }
  out.push(s.slice(start));
  return out;
}

/** A level's formula: `~ age` or `pdDiag(~ age)` (no grouping). */
function levelFormula(text: string, random: string): { lhs: string; pd: PdClass; parts?: { pd: PdClass; lhs: string }[] } {
  const t = text.trim();
  const pd = /^(pd[A-Za-z]+)\s*\(([\s\S]*)\)$/.exec(t);
  if (pd && pd[1] === 'pdBlocked') {
    // pdBlocked(list(pdIdent(~ 1), pdIdent(~ Variety - 1))): a block-diagonal Ψ, a class per block
    const inner = /^list\s*\(([\s\S]*)\)$/.exec(pd[2].trim());
    if (!inner) throw new OptionError('random', `random: '${random}': pdBlocked takes a list of pdMat classes or formulas, such as pdBlocked(list(pdIdent(~ 1), pdIdent(~ Variety - 1)))`);
    const parts = splitTopLevel(inner[1]).map((e) => levelFormula(e, random));
    if (parts.some((p) => p.pd === 'pdBlocked')) throw new OptionError('random', `random: '${random}': a pdBlocked inside a pdBlocked`);
    if (parts.length < 2) throw new OptionError('random', `random: '${random}': pdBlocked needs two or more blocks`);
    return { lhs: parts.map((p) => p.lhs).join(' + '), pd: 'pdBlocked', parts: parts.map((p) => ({ pd: p.pd, lhs: p.lhs })) };
  }
  if (pd) {
    const cls = pd[1];
    if (!(PD_CLASSES as string[]).includes(cls)) throw new OptionError('random', `random: '${random}': unknown pdMat class '${cls}' (available: ${PD_CLASSES.join(', ')})`);
    const inner = pd[2].trim().replace(/^form\s*=\s*/, '');
    const f = levelFormula(inner, random);
    if (f.pd !== 'pdLogChol') throw new OptionError('random', `random: '${random}': a pdMat class inside another`);
    return { lhs: f.lhs, pd: cls as PdClass };
  }
  const m = /^~([^|]*)$/.exec(t);
  if (!m) throw new OptionError('random', `random: '${random}': '${t}' must be a one-sided formula without grouping, such as ~ 1 or ~ age (or a pdMat class: pdDiag(~ age))`);
  const lhs = m[1].trim();
  if (lhs.length === 0) throw new OptionError('random', `random: '${random}': the formula '${t}' has no terms (write ~ 1 for an intercept)`);
  return { lhs, pd: 'pdLogChol' };
}

function checkGroup(g: string, random: string): void {
  if (!NAME.test(g)) throw new OptionError('random', `random: '${random}': the grouping '${g}' must be a column name`);
}

/** The levels of nlme's random: `~ lhs | A/B`, `list(A = ~ lhs, B = pdDiag(~ lhs))`. */
export function randomLevels(random: string): RandomLevel[] {
  const r = random.trim();
  const entries: { name: string; lhs: string; pd: PdClass; parts?: { pd: PdClass; lhs: string }[] }[] = [];
  const list = /^list\s*\(([\s\S]*)\)$/.exec(r);
  if (list) {
    for (const part of splitTopLevel(list[1])) {
      const e = /^\s*([^=]+?)\s*=(?!=)([\s\S]*)$/.exec(part);
      if (!e) throw new OptionError('random', `random: '${random}': each element of the list must be named by its grouping variable (Subject = ~ age)`);
      checkGroup(e[1], random);
      entries.push({ name: e[1], ...levelFormula(e[2], random) });
    }
    if (entries.length === 0) throw new OptionError('random', `random: '${random}': the list is empty`);
  } else {
    if (/^pd[A-Za-z]*\s*\(/.test(r)) {
      throw new OptionError('random', `random: '${random}': a pdMat class needs its grouping variable, as nlme's named list: list(Subject = ${r})`);
    }
    const m = /^~\s*([^|]+)\|\s*(.+)$/.exec(r);
    if (!m) throw new OptionError('random', `random: '${random}' is not a one-sided formula such as ~ 1 | Subject, ~ age | Subject, ~ 1 | Block/Variety or list(Dog = ~ day, Side = ~ 1)`);
    const lhs = m[1].trim();
    for (const g of m[2].split('/').map((s) => s.trim())) {
      checkGroup(g, random);
      entries.push({ name: g, lhs, pd: 'pdLogChol' });
    }
  }
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.name)) throw new ModelError(`random: '${random}': the grouping variable '${e.name}' appears twice`);
    seen.add(e.name);
  }
  return entries.map((e, k) => {
    const outer = entries.slice(0, k).map((o) => o.name);
    return {
      name: e.name, lhs: e.lhs, pd: e.pd,
      ...(e.parts ? { parts: e.parts.map((p) => ({ pd: p.pd as PdPart['pd'], lhs: p.lhs, terms: partTerms(p.pd, p.lhs, e.name).length })) } : {}),
      group: [...outer, e.name].join(':'),
      label: outer.length ? `${e.name} %in% ${[...outer].reverse().join(' %in% ')}` : e.name,
    };
  });
}

/** lme4 terms (with `g` for the group) of one class's formula: pdDiag's uncorrelated columns, the others one term. */
function partTerms(pd: PdClass, lhs: string, g: string): string[] {
  if (pd !== 'pdDiag') return [`(${lhs} | ${g})`];
  const parts = lhs.split('+').map((s) => s.trim()).filter((s) => s.length > 0);
  const noInt = parts.some((s) => s === '0' || s === '-1');
  const cols = parts.filter((s) => s !== '1' && s !== '0' && s !== '-1');
  if (cols.some((c) => !NAME.test(c))) throw new OptionError('random', `pdDiag(~ ${lhs}): the columns must be numeric column names (a factor's or an interaction's columns in pdDiag are not implemented)`);
  const terms = noInt ? [] : [`(1 | ${g})`];
  for (const c of cols) terms.push(`(0 + ${c} | ${g})`);
  if (terms.length === 0) throw new OptionError('random', `pdDiag(~ ${lhs}): no columns`);
  return terms;
}

/** lme4 terms of a level: pdBlocked's blocks' in turn (their columns in the order given). */
function levelTerms(l: RandomLevel): string {
  const parts = l.parts ?? [{ pd: l.pd, lhs: l.lhs }];
  return parts.flatMap((p) => partTerms(p.pd, p.lhs, l.group)).join(' + ');
}

/** The lme4 formula of `fixed` and `random`, and random's levels. */
export function randomSpec(fixed: string, random: string | undefined): RandomSpec {
  const hasBar = /\(\s*[^()]*\|[^()]*\)/.test(fixed);
  if (random === undefined) {
    if (!hasBar) throw new OptionError('random', `lme: no random effects: give random = '~ 1 | g' (nlme's syntax) or a term (1 | g) in the formula '${fixed}'`);
    return { formula: fixed, levels: null };
  }
  if (hasBar) throw new OptionError('random', `lme: random effects given twice: in the formula '${fixed}' and as random = '${random}'`);
  const levels = randomLevels(random);
  return { formula: `${fixed} + ${levels.map(levelTerms).join(' + ')}`, levels };
}

/** The lme4 formula of `fixed` and `random` (kept for callers that need the formula only). */
export function lme4Formula(fixed: string, random: string | undefined): string {
  return randomSpec(fixed, random).formula;
}

/**
 * The fixed part of an lme4-style formula, for nlme's "Fixed effects:" line (nlme prints its `fixed`
 * formula, which has no random-effects terms): `distance ~ age + (1 | Subject)` → `distance ~ age`.
 */
export function fixedPartText(fixed: string): string {
  const bar = String.raw`\(\s*[^()]*\|[^()]*\)`;
  let s = fixed.replace(new RegExp(String.raw`\s*\+\s*${bar}`, 'g'), '');
  s = s.replace(new RegExp(String.raw`~\s*${bar}\s*(\+\s*)?`), '~ ');
  return /~\s*$/.test(s) ? s.replace(/~\s*$/, '~ 1') : s.trim();
}
