/**
 * Factor levels in R's order from the distinct values an engine returns (SELECT DISTINCT / GROUP BY
 * keys), as the in-memory frame orders them (src/frame/columns.ts):
 *  - text: R's sort over every value of the column in the input (numeric-looking values numerically,
 *    else the en-US collation, or code points with `levelOrder: 'C'`), then the levels no complete row uses dropped (drop.unused.levels);
 *  - a numeric column read as a factor: numerically, labelled as R's as.character (the engines key a
 *    level by its label's double, numericLevelKey: doubles with one label are one level);
 *  - boolean: FALSE, TRUE.
 * A factor of the model matrices (factorLevels) is then R's logical where it is boolean, a logical
 * variable (`I(x > 2)`) or text of the values TRUE and FALSE only: levels FALSE, TRUE whatever the rows
 * hold (src/frame/columns.ts logicalIfBoolean); and relevel()'s reference level is moved first.
 * An engine returns a text or boolean key as a string ('TRUE'/'FALSE' for booleans) and a numeric
 * factor's key as a number.
 */
import { type LevelOrder, factorFromStrings, formatNumberLevel } from '../frame/columns.js';
import { DataError } from '../errors/errors.js';
import { deparseString } from '../formula/parse.js';
import { type ColumnKind, type FactorVar, INTERACTION_SEP } from './frameSpec.js';

/** A factor's key as an engine returns it. */
export type LevelKey = string | number;

/**
 * The key of a numeric factor's level: the double its label (R's as.character, 15 significant
 * digits: formatNumberLevel) reads back to, so that doubles with one label — 1 and
 * 1.0000000000000002, 0.3 and 0.1 + 0.2 — are one level, as in R's factor() and the in-memory frame.
 */
export function numericLevelKey(v: number): number {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return v === 0 ? 0 : v;
  return Number(formatNumberLevel(v));
}

export interface OrderedLevels {
  /** the levels' labels, in R's order */
  labels: string[];
  /** the engine's key of each level */
  keys: LevelKey[];
  /** key → level index */
  index: Map<LevelKey, number>;
}

/**
 * The levels of one factor: `present` are the keys seen in complete rows, `others` any further keys
 * seen only in rows dropped for missing values (they decide whether text sorts numerically).
 */
export function orderLevels(kind: ColumnKind, present: Iterable<LevelKey>, others: Iterable<LevelKey> = [], order: LevelOrder = 'locale'): OrderedLevels {
  const used = new Set<LevelKey>();
  for (const k of present) used.add(k);
  let keys: LevelKey[];
  if (kind === 'numeric') {
    keys = [...used].sort((a, b) => (a as number) - (b as number));
    const labels = keys.map((k) => formatNumberLevel(k as number));
    return { labels, keys, index: indexOf(keys) };
  }
  const all = new Set<string>();
  for (const k of used) all.add(String(k));
  for (const k of others) all.add(String(k));
  // the in-memory frame's own sort over every value of the column
  const sorted = factorFromStrings([...all], order).levels;
  keys = sorted.filter((s) => used.has(s));
  return { labels: keys as string[], keys, index: indexOf(keys) };
}

const LOGICAL: OrderedLevels = { labels: ['FALSE', 'TRUE'], keys: ['FALSE', 'TRUE'], index: new Map<LevelKey, number>([['FALSE', 0], ['TRUE', 1]]) };

/**
 * The levels of a factor of the model matrices (not a grouping factor, which keeps the levels its
 * rows hold): orderLevels, then R's logical (a boolean column, a logical variable, text of the values
 * TRUE and FALSE only) with both levels FALSE, TRUE; then relevel()'s reference level first (R's
 * relevel.factor: by name, or by its position among the column's levels in the input, `others` too),
 * an error naming the levels where it is not one.
 */
export function factorLevels(f: FactorVar, label: string, present: Iterable<LevelKey>, others: Iterable<LevelKey> = [], order: LevelOrder = 'locale'): OrderedLevels {
  const seen = [...present];
  const dropped = [...others];
  if (f.interaction) return interactionLevels(f.interaction, label, seen, dropped, order);
  if (f.cut) {
    // cut(): the intervals some complete row is in, in their order (the key is the interval's index), by their labels
    const keys = [...new Set(seen)].sort((a, b) => (a as number) - (b as number));
    return { labels: keys.map((k) => f.cut!.labels![k as number]), keys, index: indexOf(keys) };
  }
  const logical = f.kind === 'bool' || (f.kind === 'text' && seen.length + dropped.length > 0 && [...seen, ...dropped].every((k) => k === 'TRUE' || k === 'FALSE'));
  const lv = logical ? LOGICAL : orderLevels(f.kind, seen, dropped, order);
  if (!f.relevel?.ref) return lv;
  // every level of the column in the input, in R's order (relevel's positions count them)
  const all = logical ? LOGICAL.labels : orderLevels(f.kind, [...seen, ...dropped], [], order).labels;
  const ref = f.relevel.ref;
  const name = f.column;
  let k: number;
  if ('level' in ref) {
    k = all.indexOf(ref.level);
    if (k < 0) {
      const shown = all.slice(0, 20).map((l) => deparseString(l)).join(', ') + (all.length > 20 ? ', …' : '');
      throw new DataError(`'${label}': the reference level ${deparseString(ref.level)} is not a level of '${name}' (its levels: ${shown}) (R: 'ref' must be an existing level)`, { column: name });
    }
  } else {
    k = ref.index - 1;
    if (k >= all.length) throw new DataError(`'${label}': ref = ${ref.index} is past the ${all.length} levels of '${name}' (R: ref = ${ref.index} must be in 1L:${all.length})`);
  }
  const at = lv.labels.indexOf(all[k]);
  if (at <= 0) return lv;
  const move = <T>(a: T[]) => [a[at], ...a.filter((_, j) => j !== at)];
  const keys = move(lv.keys);
  return { labels: move(lv.labels), keys, index: indexOf(keys) };
}

function indexOf(keys: LevelKey[]): Map<LevelKey, number> {
  const m = new Map<LevelKey, number>();
  keys.forEach((k, i) => m.set(k, i));
  return m;
}

/**
 * The levels of an interaction of factors (a grouping factor such as `dept:service`): the
 * combinations present, ordered with the first factor varying slowest, labelled `a:b` (R's
 * interaction with drop = TRUE, as src/frame/columns.ts interactFactors).
 * `rows[c][i]`: the key of component c in row i (rows may repeat a combination).
 */
export function orderInteraction(components: OrderedLevels[], rows: LevelKey[][], nrows: number): { labels: string[]; code: Int32Array } {
  const C = components.length;
  if (C === 1) {
    // one factor whose every level is present in the rows: a level's code is its index in R's order
    const { index, labels } = components[0];
    const code = new Int32Array(nrows);
    const seen = new Uint8Array(labels.length);
    let present = 0;
    for (let i = 0; i < nrows; i++) {
      const r = index.get(rows[0][i]);
      if (r === undefined) throw new Error(`level '${String(rows[0][i])}' not among the levels found for the grouping factor's component 1`);
      code[i] = r;
      if (!seen[r]) { seen[r] = 1; present++; }
    }
    if (present === labels.length) return { labels, code };
  }
  const rank = new Float64Array(nrows);
  for (let i = 0; i < nrows; i++) {
    let key = 0;
    for (let c = 0; c < C; c++) {
      const r = components[c].index.get(rows[c][i]);
      if (r === undefined) throw new Error(`level '${String(rows[c][i])}' not among the levels found for the grouping factor's component ${c + 1}`);
      key = key * components[c].keys.length + r;
    }
    rank[i] = key;
  }
  const uniq = [...new Set(rank)].sort((a, b) => a - b);
  const pos = new Map<number, number>();
  uniq.forEach((k, j) => pos.set(k, j));
  const code = new Int32Array(nrows);
  for (let i = 0; i < nrows; i++) code[i] = pos.get(rank[i])!;
  const labels = uniq.map((key) => {
    const parts: string[] = new Array(C);
    for (let c = C - 1; c >= 0; c--) {
      const L = components[c].keys.length;
      parts[c] = components[c].labels[key % L];
      key = Math.floor(key / L);
    }
    return parts.join(':');
  });
  return { labels, code };
}

/**
 * interaction()'s levels (memory's interactionColumn, then drop.unused.levels): the combinations some
 * complete row has, each component's levels in its own order (orderLevels over the keys seen, those
 * of dropped rows too), the first component varying fastest; labels joined by `sep`.
 */
function interactionLevels(inter: { parts: FactorVar[]; sep: string }, label: string, seen: LevelKey[], dropped: LevelKey[], order: LevelOrder): OrderedLevels {
  const decode = (key: LevelKey): LevelKey[] => String(key).split(INTERACTION_SEP).map((p, c) => (inter.parts[c].kind === 'numeric' ? numericLevelKey(Number(p)) : p));
  const present = [...new Set(seen)];
  const tuples = present.map(decode);
  const others = dropped.map(decode);
  const comps = inter.parts.map((p, c) => orderLevels(p.kind, tuples.map((t) => t[c]), others.map((t) => t[c]), order));
  // each key's place: Σ_c index_c · Π_{j<c} L_j, the last component slowest
  const rank = tuples.map((t) => t.reduceRight<number>((acc, k, c) => acc * comps[c].keys.length + comps[c].index.get(k)!, 0));
  const byRank = present.map((key, i) => ({ key, r: rank[i], t: tuples[i] })).sort((a, b) => a.r - b.r);
  byRank.forEach((e, i) => {
    if (i > 0 && byRank[i - 1].r === e.r) throw new DataError(`'${label}': two keys of the engine, ${deparseString(String(byRank[i - 1].key))} and ${deparseString(String(e.key))}, name one combination of levels`);
  });
  const keys = byRank.map((e) => e.key);
  const labels = byRank.map((e) => e.t.map((k, c) => comps[c].labels[comps[c].index.get(k)!]).join(inter.sep));
  return { labels, keys, index: indexOf(keys) };
}
