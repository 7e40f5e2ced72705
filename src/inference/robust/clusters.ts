/**
 * The clusters of a cluster-robust variance (clubSandwich's `cluster` argument for an lmerMod): by
 * default the model's highest level of nesting, the grouping factor with the fewest levels (lme4's
 * flist in its order, the first of those with min(l_i): clubSandwich's get_outer_group); or a grouping
 * factor named by the caller; or one label per row. Every grouping factor of the model must be nested in
 * the clusters (each of its levels in one cluster: clubSandwich's is_nested_lmerMod), so that the
 * marginal covariance V is block diagonal by cluster; crossed or non-nested factors are refused, as
 * clubSandwich refuses them ("Non-nested random effects detected").
 */
import { DataError, ModelError, OptionError } from '../../errors/errors.js';
import type { ModelFrame } from '../../frame/modelFrame.js';

export interface Clusters {
  /** the clustering factor's name (a grouping factor's, or 'cluster' for labels given per row) */
  name: string;
  /** the clusters' labels, in the order of `rows` */
  levels: string[];
  /** the model's rows (0-based, rows used) of each cluster, ascending */
  rows: Int32Array[];
}

/** lme4's flist: the distinct grouping factors of the random-effects terms, in the terms' order, with their term indices */
function groupingFactors(frame: ModelFrame): { group: string; terms: number[]; levels: number }[] {
  const out: { group: string; terms: number[]; levels: number }[] = [];
  frame.reTerms.forEach((t, k) => {
    const f = out.find((g) => g.group === t.group);
    if (f) f.terms.push(k);
    else out.push({ group: t.group, terms: [k], levels: t.levels.length });
  });
  return out;
}

/** Splits rows 0..n-1 by code (0..nLevels-1) into ascending row lists; empty levels dropped (droplevels). */
function splitRows(codes: ArrayLike<number>, nLevels: number, labels: string[]): { levels: string[]; rows: Int32Array[] } {
  const counts = new Int32Array(nLevels);
  for (let i = 0; i < codes.length; i++) counts[codes[i]]++;
  const rows = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(nLevels);
  for (let i = 0; i < codes.length; i++) { const c = codes[i]; rows[c][fill[c]++] = i; }
  const keep = Array.from(counts, (c, k) => (c > 0 ? k : -1)).filter((k) => k >= 0);
  return { levels: keep.map((k) => labels[k]), rows: keep.map((k) => rows[k]) };
}

/** The clusters of labels given one per row (of the rows used, or of the input's rows when the fit dropped some). */
function clustersOfLabels(frame: ModelFrame, given: ArrayLike<unknown>): { levels: string[]; rows: Int32Array[] } {
  const n = frame.n;
  let labels: unknown[];
  if (given.length === n) labels = Array.from(given);
  else if (given.length === frame.nInput && frame.rows) labels = Array.from(frame.rows, (r) => given[r]);
  else throw new OptionError('cluster', `cluster: ${given.length} labels given; the model has ${n} rows used${frame.nInput !== n ? ` (of ${frame.nInput} input rows)` : ''}: give one label per row`);
  const index = new Map<string, number>();
  const codes = new Int32Array(n);
  const numeric = labels.every((v) => typeof v === 'number');
  labels.forEach((v, i) => {
    if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) || (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'bigint')) {
      throw new DataError(`cluster: the label of row ${i + 1} is missing or not a string or number (${String(v)}); clusters cannot have missing values`, { column: 'cluster', row: i + 1 });
    }
    const key = String(v);
    if (!index.has(key)) index.set(key, index.size);
    codes[i] = index.get(key)!;
  });
  // R's factor levels: sorted (numbers numerically)
  const keys = [...index.keys()];
  const sorted = [...keys].sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rank = new Map(sorted.map((k, r) => [k, r]));
  const recoded = codes.map((c) => rank.get(keys[c])!);
  return splitRows(recoded, sorted.length, sorted);
}

/**
 * The clusters of a fit's rows: `cluster` a grouping factor's name (`'school'`), one label per row, or
 * absent (the grouping factor with the fewest levels).
 */
export function resolveClusters(frame: ModelFrame, cluster?: string | ArrayLike<unknown>): Clusters {
  const factors = groupingFactors(frame);
  if (factors.length === 0) throw new ModelError('cluster-robust variance: the model has no random-effects terms');
  let name: string;
  let split: { levels: string[]; rows: Int32Array[] };
  if (cluster === undefined) {
    // clubSandwich's get_outer_group: flist[[which.min(l_i)]]
    let best = factors[0];
    for (const f of factors) if (f.levels < best.levels) best = f;
    name = best.group;
    const t = frame.reTerms[best.terms[0]];
    split = splitRows(t.codes, t.levels.length, t.levels);
  } else if (typeof cluster === 'string') {
    const f = factors.find((g) => g.group === cluster);
    if (!f) {
      throw new OptionError('cluster', `cluster: '${cluster}' is not a grouping factor of the model; its grouping factors are ${factors.map((g) => `'${g.group}'`).join(', ')} (or give one cluster label per row)`);
    }
    name = f.group;
    const t = frame.reTerms[f.terms[0]];
    split = splitRows(t.codes, t.levels.length, t.levels);
  } else if (typeof cluster === 'object' && cluster !== null && typeof (cluster as ArrayLike<unknown>).length === 'number') {
    name = 'cluster';
    split = clustersOfLabels(frame, cluster);
  } else {
    throw new OptionError('cluster', `cluster: expected a grouping factor's name or one label per row, got ${typeof cluster}`);
  }
  if (split.rows.length < 2) {
    throw new ModelError(`cluster-robust variance: the data have a single cluster of '${name}'; it needs two or more (clubSandwich: "Cluster-robust variance estimation will not work when the data only includes a single cluster.")`);
  }
  checkNested(frame, factors, name, split);
  return { name, levels: split.levels, rows: split.rows };
}

/** Every grouping factor nested in the clusters: each of its levels within one cluster (clubSandwich's check_nested). */
function checkNested(frame: ModelFrame, factors: { group: string; terms: number[] }[], name: string, split: { levels: string[]; rows: Int32Array[] }): void {
  for (const f of factors) {
    const t = frame.reTerms[f.terms[0]];
    const home = new Int32Array(t.levels.length).fill(-1);
    split.rows.forEach((rows, j) => {
      for (const i of rows) {
        const l = t.codes[i];
        if (home[l] === -1) home[l] = j;
        else if (home[l] !== j) {
          throw new ModelError(`cluster-robust variance: the grouping factor '${f.group}' is not nested in the clusters of '${name}': its level '${t.levels[l]}' is in clusters '${split.levels[home[l]]}' and '${split.levels[j]}' (crossed or non-nested random effects; clubSandwich refuses them: "Non-nested random effects detected. clubSandwich methods are not available for such models."${name === 'cluster' ? '' : ' Give a cluster in which every grouping factor is nested'})`);
        }
      }
    });
  }
}
