/**
 * nlme's varComb(f_A, f_B, …): the product of variance functions, g_i = Π_k g_i^(k) (varWeights the
 * product of the functions' weights), the parameters the functions' in turn; the estimates named
 * `A.Male`, `B.power` as nlme's coef(·, allCoef = TRUE); printed as nlme's print.summary.varComb
 * ("Combination of variance functions:" and each function's structure).
 */
import { OptionError } from '../errors/errors.js';
import { splitTopLevel } from './structSpec.js';
import type { VarContext, VarFunction } from './varFunction.js';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * `text` is the whole `varComb(…)` call; `one` reads each argument (a variance function's call).
 */
export function varComb(text: string, ctx: VarContext, one: (text: string, ctx: VarContext) => VarFunction): VarFunction {
  const m = /^\s*varComb\s*\(([\s\S]*)\)\s*$/.exec(text);
  if (!m) throw new OptionError('weights', `weights: '${text}' is not a call varComb(varIdent(form = ~ 1 | Sex), varPower())`);
  const args = m[1].trim() === '' ? [] : splitTopLevel(m[1]).map((a) => a.trim());
  if (args.length < 1) throw new OptionError('weights', `weights: '${text}': varComb needs one or more variance functions, as varComb(varIdent(form = ~ 1 | Sex), varPower())`);
  if (args.length > LETTERS.length) throw new OptionError('weights', `weights: '${text}': varComb takes at most ${LETTERS.length} functions`);
  const parts = args.map((a) => {
    if (/^[A-Za-z.][A-Za-z0-9._]*\s*=/.test(a)) throw new OptionError('weights', `weights: '${text}': varComb's arguments are variance functions, not named arguments ('${a}')`);
    if (/^\s*varComb\s*\(/.test(a)) throw new OptionError('weights', `weights: '${text}': a varComb inside varComb is not supported`);
    return one(a, ctx);
  });
  const offsets: number[] = [];
  let nPar = 0;
  for (const p of parts) { offsets.push(nPar); nPar += p.nPar; }
  const own = (x: Float64Array, k: number) => x.subarray(offsets[k], offsets[k] + parts[k].nPar);
  const n = ctx.frame.n;
  const tmp = new Float64Array(n);
  const fitted = parts.filter((p) => p.usesFitted);
  return {
    text: text.trim(),
    structure: 'Combination of variance functions:',
    formula: parts.map((p) => p.formula).join(', '),
    nPar,
    start: Float64Array.from(parts.flatMap((p) => Array.from(p.start))),
    usesFitted: fitted.length > 0,
    setCovariate(v) {
      for (const p of fitted) p.setCovariate!(v);
    },
    sd(x, out) {
      // g_i = Π_k g_i^(k)
      out.fill(1);
      parts.forEach((p, k) => {
        p.sd(own(x, k), tmp);
        for (let i = 0; i < n; i++) out[i] *= tmp[i];
      });
    },
    estimates(x) {
      const each = parts.map((p, k) => ({ structure: p.structure, formula: p.formula, ...p.estimates(own(x, k)) }));
      const names = each.flatMap((e, k) => e.names.map((nm) => `${LETTERS[k]}.${nm}`));
      // the free parameters' places: each function's last nPar values (varIdent's first stratum is fixed at 1)
      const free = each.flatMap((e, k) => {
        const before = each.slice(0, k).reduce((s, f) => s + f.values.length, 0);
        return Array.from({ length: parts[k].nPar }, (_, j) => before + e.values.length - parts[k].nPar + j);
      });
      return { names, values: each.flatMap((e) => e.values), parts: each, free };
    },
  };
}
