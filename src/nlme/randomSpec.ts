/**
 * lme's random effects as nlme writes them (`random = ~ 1 | Subject`, `~ age | Subject`: one level of
 * grouping, a general positive-definite Ψ, nlme's pdLogChol) as the lme4 term `(age | Subject)`, or an
 * lme4-style formula with its random-effects term in `fixed` (`distance ~ age + (1 | Subject)`).
 */
import { ModelError, OptionError } from '../errors/errors.js';

/** The lme4 formula of `fixed` and `random`. */
export function lme4Formula(fixed: string, random: string | undefined): string {
  const hasBar = /\(\s*[^()]*\|[^()]*\)/.test(fixed);
  if (random === undefined) {
    if (!hasBar) throw new OptionError('random', `lme: no random effects: give random = '~ 1 | g' (nlme's syntax) or a term (1 | g) in the formula '${fixed}'`);
    return fixed;
  }
  if (hasBar) throw new OptionError('random', `lme: random effects given twice: in the formula '${fixed}' and as random = '${random}'`);
  const r = random.trim();
  const m = /^~\s*([^|]+)\|\s*(.+)$/.exec(r);
  if (!m) throw new OptionError('random', `random: '${random}' is not a one-sided formula such as ~ 1 | Subject or ~ age | Subject`);
  const lhs = m[1].trim();
  const group = m[2].trim();
  if (group.includes('/')) throw new ModelError(`random: '${random}': nested levels of grouping (nlme's ~ 1 | A/B) are not implemented: give one grouping variable`);
  if (!/^[A-Za-z.][A-Za-z0-9._]*$/.test(group)) throw new OptionError('random', `random: '${random}': the grouping '${group}' must be a column name`);
  if (/\bpd[A-Z][A-Za-z]*\s*\(/.test(r)) throw new OptionError('random', `random: '${random}': pdMat classes are not implemented (a general positive-definite Ψ, nlme's default, is used)`);
  return `${fixed} + (${lhs} | ${group})`;
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
