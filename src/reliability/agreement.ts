/**
 * Within-group agreement, Bliese's multilevel package: for each group j of raters, from its ratings
 * of one item (x_1 … x_n) or of J items (an n × J block), with rows that miss the group or any item
 * left out (na.exclude):
 *  - rwg (James, Demaree & Wolf 1984):      r_wg = 1 − min(s², σ²_E)/σ²_E, s² the item's variance;
 *  - rwg.j:  with s̄² the mean of the items' variances, clipped at σ²_E,
 *              r_wg(J) = J(1 − s̄²/σ²_E) / (J(1 − s̄²/σ²_E) + s̄²/σ²_E);
 *  - rwg.j.lindell (Lindell, Brandt & Whitney 1999):  r*_wg(J) = 1 − s̄²/σ²_E (not clipped);
 *  - awg (Brown & Hauenstein 2005), scale [L, H], mean M, k raters:
 *              a_wg = 1 − 2 s² / (((H + L) M − M² − H L) · k/(k − 1)),
 *    missing (NA) where M < (L(k − 1) + H)/k or M > (H(k − 1) + L)/k, 1 where M is L or H; for
 *    several items the mean of the items' a_wg that are not missing;
 *  - ad.m (Burke, Finkelstein & Dusig 1999): AD = Σ|x_i − m|/n, m the mean or the median; for
 *    several items the mean of the items' AD.
 * σ²_E, the variance of the null (uniform) distribution: `ranvar`, or (A² − 1)/12 for A response
 * options; multilevel's default ranvar = 2 (A = 5). A group of one rater has no variance: an error
 * naming it, or NA (null) with `singletons: 'na'` as multilevel gives.
 */
import { DataError, OptionError, showValue } from '../errors/errors.js';
import { type DataInput, toArrowTable } from '../io/dataInput.js';
import { keyColumn, numericColumn } from './columns.js';
import { mean, median, variance } from '../frame/reductions.js';

export interface AgreementOptions {
  /** the column of groups */
  group: string;
  /** what a group of one rater gives: a DataError naming it (default), or null (multilevel's NA) */
  singletons?: 'error' | 'na';
}

export interface NullVarianceOptions {
  /** σ²_E, the expected variance of ratings under no agreement (multilevel's ranvar; default 2) */
  ranvar?: number;
  /** the number of response options A: σ²_E = (A² − 1)/12, the uniform null */
  A?: number;
}

/** The groups of raters: per group in R's order, the rows' ratings of each item (items × raters). */
export interface RatingGroups {
  group: string;
  items: string[];
  levels: string[];
  /** per group, per item, the ratings */
  ratings: Float64Array[][];
}

/** The uniform null's variance: (A² − 1)/12 for A options, or the given ranvar (default 2). */
export function nullVariance(o: NullVarianceOptions, fn: string): number {
  if (o.A !== undefined && o.ranvar !== undefined) throw new OptionError('A', `${fn}: give ranvar or A (the number of response options), not both`);
  if (o.A !== undefined) {
    if (!(Number.isInteger(o.A) && o.A >= 2)) throw new OptionError('A', `${fn}: A, the number of response options, must be an integer ≥ 2, got ${showValue(o.A)}`);
    // the discrete uniform on A options: σ²_E = (A² − 1)/12
    return (o.A * o.A - 1) / 12;
  }
  const r = o.ranvar ?? 2;
  if (!(typeof r === 'number' && r > 0 && Number.isFinite(r))) throw new OptionError('ranvar', `${fn}: ranvar must be a positive number, got ${showValue(o.ranvar)}`);
  return r;
}

/** Split the items' ratings by group, rows with a missing group or item left out (multilevel's na.exclude and split). */
export function ratingGroups(input: DataInput, group: string, items: readonly string[], fn: string): RatingGroups {
  if (typeof group !== 'string' || group === '') throw new OptionError('group', `${fn}: the option group must name a column, got ${showValue(group)}`);
  if (!Array.isArray(items) || items.length === 0 || items.some((s) => typeof s !== 'string')) throw new OptionError('items', `${fn}: name one or more item columns, got ${showValue(items)}`);
  const table = toArrowTable(input);
  const g = keyColumn(table, group, `${fn} group`);
  const xs = items.map((it) => numericColumn(table, it, `${fn} item`));
  const keep: number[] = [];
  for (let i = 0; i < g.values.length; i++) if (g.values[i] !== null && xs.every((x) => !Number.isNaN(x[i]))) keep.push(i);
  const present = new Set(keep.map((i) => g.values[i]!));
  const levels = g.levels.filter((l) => present.has(l));
  if (levels.length === 0) throw new DataError(`${fn}: no row has a group ('${group}') and every item (${items.join(', ')})`, { column: group });
  const index = new Map(levels.map((l, j) => [l, j]));
  const rowsOf: number[][] = levels.map(() => []);
  for (const i of keep) rowsOf[index.get(g.values[i]!)!].push(i);
  return { group, items: [...items], levels, ratings: rowsOf.map((rows) => xs.map((x) => Float64Array.from(rows, (i) => x[i]))) };
}

/** R's cov of two columns */
function covariance(x: Float64Array, y: Float64Array): number {
  const mx = mean(x), my = mean(y);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - mx) * (y[i] - my);
  return s / (x.length - 1);
}

/** null for a group of one rater (multilevel's NA), or the error naming it. */
function singleton(groups: RatingGroups, j: number, o: AgreementOptions, fn: string): null {
  if ((o.singletons ?? 'error') === 'na') return null;
  throw new DataError(`${fn}: group '${groups.levels[j]}' of column '${groups.group}' has 1 rater (with every item present); agreement needs 2 or more raters per group (singletons: 'na' gives NA there, as multilevel)`, { column: groups.group });
}

export interface RwgRow { grpid: string; rwg: number | null; gsize: number }
export interface RwgJRow { grpid: string; rwgJ: number | null; gsize: number }
export interface RwgLindellRow { grpid: string; rwgLindell: number | null; gsize: number }

/** multilevel's rwg(x, grpid, ranvar): single-item agreement per group. */
export function rwg(input: DataInput, o: AgreementOptions & NullVarianceOptions & { value: string }): RwgRow[] {
  const s2E = nullVariance(o, 'rwg');
  const groups = ratingGroups(input, o.group, [valueColumn(o.value, 'rwg')], 'rwg');
  return groups.ratings.map(([x], j) => {
    const gsize = x.length;
    if (gsize < 2) return { grpid: groups.levels[j], rwg: singleton(groups, j, o, 'rwg'), gsize };
    // r_wg = 1 − min(s², σ²_E)/σ²_E
    return { grpid: groups.levels[j], rwg: 1 - Math.min(variance(x), s2E) / s2E, gsize };
  });
}

/** The mean of the items' variances s̄² of a group. */
const meanItemVariance = (items: Float64Array[]) => mean(items.map(variance));

/** multilevel's rwg.j(x, grpid, ranvar): multi-item agreement per group. */
export function rwgJ(input: DataInput, o: AgreementOptions & NullVarianceOptions & { items: string[] }): RwgJRow[] {
  const s2E = nullVariance(o, 'rwgJ');
  const groups = ratingGroups(input, o.group, o.items, 'rwgJ');
  const J = groups.items.length;
  return groups.ratings.map((items, j) => {
    const gsize = items[0].length;
    if (gsize < 2) return { grpid: groups.levels[j], rwgJ: singleton(groups, j, o, 'rwgJ'), gsize };
    // s̄²/σ²_E clipped at 1, then J(1 − s̄²/σ²_E) / (J(1 − s̄²/σ²_E) + s̄²/σ²_E)
    const r = Math.min(meanItemVariance(items), s2E) / s2E;
    return { grpid: groups.levels[j], rwgJ: (J * (1 - r)) / (J * (1 - r) + r), gsize };
  });
}

/** multilevel's rwg.j.lindell(x, grpid, ranvar): r*_wg(J) = 1 − s̄²/σ²_E per group. */
export function rwgLindell(input: DataInput, o: AgreementOptions & NullVarianceOptions & { items: string[] }): RwgLindellRow[] {
  const s2E = nullVariance(o, 'rwgLindell');
  const groups = ratingGroups(input, o.group, o.items, 'rwgLindell');
  return groups.ratings.map((items, j) => {
    const gsize = items[0].length;
    if (gsize < 2) return { grpid: groups.levels[j], rwgLindell: singleton(groups, j, o, 'rwgLindell'), gsize };
    return { grpid: groups.levels[j], rwgLindell: 1 - meanItemVariance(items) / s2E, gsize };
  });
}

export interface AwgRow { grpid: string; awg: number | null; nraters: number; grpVar: number | null }
export interface AwgItemsRow { grpid: string; awg: number | null; nitems: number; nraters: number; avgGrpVar: number | null }

/** a_wg of one item's ratings on the scale [L, H] (NaN where multilevel gives NA). */
function awgOne(x: Float64Array, L: number, H: number): number {
  const M = mean(x), k = x.length;
  // the maximum possible variance given the mean M: ((H + L) M − M² − H L) k/(k − 1)
  let a = 1 - (2 * variance(x)) / (((H + L) * M - M * M - H * L) * (k / (k - 1)));
  // the mean too close to an end of the scale for a_wg to be defined
  if (M < (L * (k - 1) + H) / k) a = NaN;
  if (M > (H * (k - 1) + L) / k) a = NaN;
  if (M === H || M === L) a = 1;
  return a;
}

function scaleRange(o: { range?: [number, number]; A?: number }): [number, number] {
  if (o.range !== undefined && o.A !== undefined) throw new OptionError('range', 'awg: give range or A (a scale 1 … A), not both');
  const r = o.range ?? (o.A !== undefined ? [1, o.A] : [1, 5]);
  if (!(Array.isArray(r) && r.length === 2 && Number.isFinite(r[0]) && Number.isFinite(r[1]) && r[0] < r[1])) throw new OptionError('range', `awg: range must be [L, H] with L < H, got ${showValue(o.range)}`);
  return r;
}

/** The one item's column of the single-item indices (the option `value`). */
function valueColumn(v: unknown, fn: string): string {
  if (typeof v !== 'string' || v === '') throw new OptionError('value', `${fn}: the option value must name the item's column, got ${showValue(v)}`);
  return v;
}

const nullable = (v: number) => (Number.isNaN(v) ? null : v);

/** multilevel's awg(x, grpid, range) of one item: a_wg, the raters and the variance per group. */
export function awg(input: DataInput, o: AgreementOptions & { value: string; range?: [number, number]; A?: number }): AwgRow[] {
  const [L, H] = scaleRange(o);
  const groups = ratingGroups(input, o.group, [valueColumn(o.value, 'awg')], 'awg');
  return groups.ratings.map(([x], j) => {
    if (x.length < 2) return { grpid: groups.levels[j], awg: singleton(groups, j, o, 'awg'), nraters: x.length, grpVar: null };
    return { grpid: groups.levels[j], awg: nullable(awgOne(x, L, H)), nraters: x.length, grpVar: variance(x) };
  });
}

/**
 * multilevel's awg(x, grpid, range) of several items: the mean of the items' a_wg that are defined,
 * and avg.grp.var, the mean of every entry of the group's covariance matrix of the items (as
 * multilevel computes it: mean(var(Q))).
 */
export function awgItems(input: DataInput, o: AgreementOptions & { items: string[]; range?: [number, number]; A?: number }): AwgItemsRow[] {
  const [L, H] = scaleRange(o);
  const groups = ratingGroups(input, o.group, o.items, 'awg');
  const J = groups.items.length;
  return groups.ratings.map((items, j) => {
    const nraters = items[0].length;
    if (nraters < 2) return { grpid: groups.levels[j], awg: singleton(groups, j, o, 'awg'), nitems: J, nraters, avgGrpVar: null };
    const defined = items.map((x) => awgOne(x, L, H)).filter((a) => !Number.isNaN(a));
    let c = 0;
    for (const x of items) for (const y of items) c += covariance(x, y);
    return { grpid: groups.levels[j], awg: defined.length ? mean(defined) : null, nitems: J, nraters, avgGrpVar: c / (J * J) };
  });
}

export interface AdMRow { grpid: string; adM: number | null; gsize: number }

/** multilevel's ad.m(x, grpid, type): the average deviation from the mean (or median), averaged over the items. */
export function adM(input: DataInput, o: AgreementOptions & ({ value: string } | { items: string[] }) & { type?: 'mean' | 'median' }): AdMRow[] {
  const type = o.type ?? 'mean';
  if (type !== 'mean' && type !== 'median') throw new OptionError('type', `adM: type must be 'mean' or 'median', got ${showValue(o.type)}`);
  const names = 'items' in o ? o.items : [valueColumn((o as { value?: unknown }).value, 'adM')];
  const groups = ratingGroups(input, o.group, names, 'adM');
  const centre = type === 'mean' ? mean : median;
  return groups.ratings.map((items, j) => {
    const gsize = items[0].length;
    if (gsize < 2) return { grpid: groups.levels[j], adM: singleton(groups, j, o, 'adM'), gsize };
    // AD = Σ|x_i − m|/n per item, then the mean over the items
    const ad = items.map((x) => { const m = centre(x); let s = 0; for (const v of x) s += Math.abs(v - m); return s / x.length; });
    return { grpid: groups.levels[j], adM: mean(ad), gsize };
  });
}
