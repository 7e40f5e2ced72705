/**
 * R's factors built from factors inside a formula: `interaction(f, h, sep = ".")` (base R's
 * interaction with lex.order = FALSE: the levels are the combinations with the first factor varying
 * fastest, "a.hi", "b.hi", …, "a.lo"; a row missing any factor is missing) and `C(f, contr)` (the
 * factor itself; its contrasts join the model frame's, src/frame/modelFrame.ts).
 */
import type { FactorColumn } from './columns.js';
import { rowInt32 } from '../linalg/rowChunks.js';

/**
 * interaction(f₁, …, f_m): row i's key is Σ_k code_k(i) · Π_{j<k} L_j (the first factor fastest, as
 * R's levels run); the levels kept are the combinations some row has, in key order. R's drop = FALSE
 * keeps the others too, and the model frame then drops them (drop.unused.levels): the same factor.
 */
export function interactionColumn(cols: readonly FactorColumn[], sep: string): FactorColumn {
  const n = cols[0].codes.length;
  const radix = cols.map((c) => c.levels.length);
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let key = 0, place = 1, missing = false;
    for (let k = 0; k < cols.length; k++) {
      const c = cols[k].codes[i];
      if (c < 0) { missing = true; break; }
      key += c * place;
      place *= radix[k];
    }
    keys[i] = missing ? -1 : key;
  }
  const used = [...new Set(keys)].filter((k) => k >= 0).sort((a, b) => a - b);
  const pos = new Map(used.map((k, j) => [k, j] as const));
  const codes = rowInt32(n);
  for (let i = 0; i < n; i++) codes[i] = keys[i] < 0 ? -1 : pos.get(keys[i])!;
  const levels = used.map((key) => {
    const parts: string[] = [];
    for (let k = 0; k < cols.length; k++) {
      parts.push(cols[k].levels[key % radix[k]]);
      key = Math.floor(key / radix[k]);
    }
    return parts.join(sep);
  });
  return { kind: 'factor', codes, levels };
}
