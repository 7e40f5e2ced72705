/**
 * nlme's variance-function and correlation-structure calls as text (`varIdent(form = ~ 1 | Sex)`,
 * `corAR1(form = ~ time | Subject)`, `varFixed(~ age)`): the function's name, its one-sided formula's
 * covariate and grouping (or strata) variable, and its other named arguments (`value`, `p`, `q`).
 */
import { OptionError } from '../errors/errors.js';

export interface StructCall {
  /** the function's name, as written */
  name: string;
  /** the covariate of `form = ~ cov | g` (null for `~ 1`; `x + y` for a spatial structure's two) */
  covariate: string | null;
  /** the covariates (`~ x + y | g`: ['x', 'y']) */
  covariates: string[];
  /** the variable after `|` (null when none) */
  group: string | null;
  /** the other named arguments, as text */
  args: Record<string, string>;
  /** the call as the user wrote it */
  text: string;
  /** whether the call gives a form (`varPower()` does not: nlme's default form applies) */
  hasForm: boolean;
}

/** the covariate nlme's `fitted(.)` stands for: the fitted values, updated during the fit */
export const FITTED = 'fitted(.)';

const NAME = /^[A-Za-z.][A-Za-z0-9._]*$/;
/** the structures whose form takes several covariates (the coordinates of a position) */
const SPATIAL = ['corExp', 'corGaus', 'corSpher', 'corLin', 'corRatio'];

/** Parses `fun(form = ~ cov | g, name = value)`; `option` names the option in errors (`weights`, `correlation`). */
export function parseStructCall(text: string, option: string): StructCall {
  const src = text.trim();
  const m = /^([A-Za-z.][A-Za-z0-9._]*)\s*\(([\s\S]*)\)$/.exec(src);
  if (!m) throw new OptionError(option, `${option}: '${text}' is not a call such as varIdent(form = ~ 1 | Sex) or corAR1(form = ~ 1 | Subject)`);
  const name = m[1];
  const args: Record<string, string> = {};
  let form: string | null = null;
  const body = m[2].trim();
  if (body.length > 0) {
    for (const part of splitTopLevel(body)) {
      const eq = /^([A-Za-z.][A-Za-z0-9._]*)\s*=(?!=)\s*([\s\S]*)$/.exec(part.trim());
      const [key, value] = eq ? [eq[1], eq[2].trim()] : [null, part.trim()];
      if (key === 'form' || (key === null && value.startsWith('~'))) {
        if (form !== null) throw new OptionError(option, `${option}: '${text}' gives the formula twice`);
        form = value;
      } else if (key === null) {
        throw new OptionError(option, `${option}: '${text}': the argument '${value}' needs a name (form = ~ …, value = …)`);
      } else {
        args[key] = value;
      }
    }
  }
  const { covariate, group } = form === null ? { covariate: null, group: null } : parseForm(form, option, text);
  const covariates = covariate === null ? [] : covariate === FITTED ? [FITTED] : covariate.split('+').map((c) => c.trim());
  if (covariate !== FITTED && covariates.length > 1 && !SPATIAL.includes(name)) throw new OptionError(option, `${option}: '${text}': ${name} takes one covariate`);
  return { name, covariate, group, covariates, args, text: src, hasForm: form !== null };
}

/** `~ cov | g`, `~ 1 | g`, `~ cov`, `~ 1`. */
function parseForm(form: string, option: string, text: string): { covariate: string | null; group: string | null } {
  if (!form.startsWith('~')) throw new OptionError(option, `${option}: '${text}': form must be a one-sided formula such as ~ 1 | g`);
  const rest = form.slice(1);
  const bar = rest.split('|');
  if (bar.length > 2) throw new OptionError(option, `${option}: '${text}': form has more than one '|'`);
  const cov = bar[0].trim();
  const group = bar.length === 2 ? bar[1].split('/').map((g) => g.trim()).join('/') : null;
  if (group !== null) {
    // nested groups (`~ 1 | A/B`, nlme's) for correlation structures: their groups are the innermost level's
    if (group.includes('/') && option !== 'correlation') throw new OptionError(option, `${option}: '${text}': nested grouping (${group}) is not supported: give one grouping variable`);
    for (const g of group.split('/')) {
      if (!NAME.test(g.trim())) throw new OptionError(option, `${option}: '${text}': the grouping '${g.trim()}' must be a column name`);
    }
  }
  if (cov === '1') return { covariate: null, group };
  if (/\bfitted\s*\(/.test(cov)) {
    if (option === 'weights' && /^fitted\s*\(\s*\.\s*\)$/.test(cov)) return { covariate: FITTED, group };
    throw new OptionError(option, `${option}: '${text}': the fitted values are a covariate of variance functions only, written fitted(.) (form = ~ fitted(.) or ~ fitted(.) | s)`);
  }
  for (const c of cov.split('+')) {
    if (!NAME.test(c.trim())) throw new OptionError(option, `${option}: '${text}': the covariate '${c.trim()}' must be a column name (or 1)`);
  }
  return { covariate: cov, group };
}

/** Splits at commas outside parentheses. */
export function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) { out.push(s.slice(start, i)); start = i + 1; }
  }
  out.push(s.slice(start));
  return out;
}

/** A numeric argument (`p = 1`), or the default. */
export function numberArg(call: StructCall, key: string, option: string, dflt: number): number {
  const v = call.args[key];
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!Number.isFinite(x)) throw new OptionError(option, `${option}: '${call.text}': ${key} = ${v} is not a number`);
  return x;
}

/** Refuses arguments other than `allowed`. */
export function checkArgs(call: StructCall, allowed: string[], option: string): void {
  for (const k of Object.keys(call.args)) {
    if (!allowed.includes(k)) throw new OptionError(option, `${option}: '${call.text}': the argument '${k}' of ${call.name} is not supported${allowed.length ? ` (allowed: form, ${allowed.join(', ')})` : ' (only form)'}`);
  }
}

/** A numeric vector argument (`value = c(28, 0.2)` or one number), or null when absent. */
export function numberVectorArg(call: StructCall, key: string, option: string): number[] | null {
  const v = call.args[key];
  if (v === undefined) return null;
  const m = /^c\(([\s\S]*)\)$/.exec(v.trim());
  const parts = (m ? splitTopLevel(m[1]) : [v]).map((t) => t.trim());
  const xs = parts.map(Number);
  const bad = parts.findIndex((t, i) => t === '' || !Number.isFinite(xs[i]));
  if (bad >= 0) throw new OptionError(option, `${option}: '${call.text}': ${key} = ${v}: '${parts[bad]}' is not a number`);
  return xs;
}

/**
 * The data columns a variance function or correlation structure reads (its covariates and grouping
 * variables; each function of a varComb's), for na.omit (src/frame/modelFrame.ts `naVariables`): nlme
 * puts them in its model frame, so a row missing one is dropped. A call that does not parse gives none
 * here: the structure's own reading reports it.
 */
export function structureColumns(text: string | undefined, option: string): string[] {
  if (text === undefined) return [];
  const comb = /^\s*varComb\s*\(([\s\S]*)\)\s*$/.exec(text);
  if (comb) return comb[1].trim() === '' ? [] : splitTopLevel(comb[1]).flatMap((a) => structureColumns(a.trim(), option));
  let call: StructCall;
  try { call = parseStructCall(text, option); } catch { return []; }
  const names = [...call.covariates.filter((c) => c !== FITTED), ...(call.group ? call.group.split('/') : [])].map((c) => c.trim());
  return names.filter((c) => NAME.test(c));
}
