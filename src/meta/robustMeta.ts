/**
 * clubSandwich 0.5.8's cluster-robust inference for meta-analyses (vcovCR.rma.uni, vcovCR.rma.mv, then
 * coef_test, conf_int and Wald_test: robust variance estimation, RVE), with the working model's inverse
 * variance as weights (inverse_var = TRUE, clubSandwich's default for both):
 *
 *   rma.uni  V_j = diag(v_i + τ̂²) over the studies of cluster j (the cluster must be given);
 *   rma.mv   V_j = diag(v_i) + Σ_l σ̂²_l [i, i' share level l's group], the fit's marginal covariance M;
 *            clusters by default the outermost level (metafor's highest level, the one with the fewest
 *            groups), every level nested in them (clubSandwich: "Random effects are not nested within
 *            clustering variable");
 *
 * e = y − Xβ̂ (metafor's residuals). Each cluster's V_j is small (the studies of a district), so its
 * pieces are dense: V_j = L Lᵀ, W_j = V_j⁻¹, X_jᵀW_j, F_j = X_jᵀW_jX_j, g_j = X_jᵀW_je_j; the variance and
 * its tests are the lmer path's (src/inference/robust/).
 */
import { DataError, ModelError, OptionError } from '../errors/errors.js';
import { spdInverse } from '../linalg/dense.js';
import type { ClusterPiece } from '../inference/robust/clusterPieces.js';
import { type CrType, type VcovCR, checkCrType, fitOfVcov, ownVcov, vcovFromPieces } from '../inference/robust/vcovCR.js';
import { type CoefTest, type CoefTestName, type ConfInt, checkCoefTest, coefTest, confIntOfVcov } from '../inference/robust/coefTest.js';
import { type Constraints, type WaldTest, type WaldTestName, checkWaldTests, waldTestCR } from '../inference/robust/waldTest.js';

/** What a meta-analysis keeps for the robust variance: the design, the estimates and the levels. */
export interface MetaRobustDesign {
  /** moderators' matrix X (k × p, column-major) */
  X: Float64Array;
  k: number;
  p: number;
  names: string[];
  y: Float64Array;
  v: Float64Array;
  beta: Float64Array;
  /** rma.uni's τ̂² (null for rma.mv) */
  tau2: number | null;
  /** rma.mv's levels, outermost first: name ('district', 'district/school'), σ̂², each study's group code */
  levels: { name: string; sigma2: number; codes: Int32Array; labels: string[] }[] | null;
  /** the data's rows of the studies (0-based) and the input table's row count, for labels given per input row */
  rows: Int32Array;
  nInput: number;
  /** a column of the input data by name (for `cluster: 'district'`), null where there is none */
  column: (name: string) => ArrayLike<unknown> | null;
}

export interface MetaVcovCROptions {
  type?: CrType;
  /** a column of the data, or one label per study (or per input row) */
  cluster?: string | ArrayLike<unknown>;
}

/** The studies of each cluster, from labels per study. */
function clustersOfLabels(labels: ArrayLike<unknown>, name: string): { levels: string[]; rows: Int32Array[] } {
  const index = new Map<string, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) {
      throw new DataError(`cluster '${name}': the label of study ${i + 1} is missing; clusters cannot have missing values`, { column: name, row: i + 1 });
    }
    const key = String(v);
    const list = index.get(key);
    if (list) list.push(i); else index.set(key, [i]);
  }
  const numeric = Array.from(labels as ArrayLike<unknown>).every((v) => typeof v === 'number' || typeof v === 'bigint');
  const levels = [...index.keys()].sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { levels, rows: levels.map((l) => Int32Array.from(index.get(l)!)) };
}

/** clubSandwich's vcovCR of an rma.uni or rma.mv fit. */
export function metaVcovCR(d: MetaRobustDesign, options: MetaVcovCROptions = {}): VcovCR {
  if (typeof options !== 'object' || options === null) throw new OptionError('options', 'vcovCR: options must be an object');
  for (const k of Object.keys(options)) if (k !== 'type' && k !== 'cluster') throw new OptionError(k, `vcovCR: unknown option '${k}' (allowed: type, cluster)`);
  const type = checkCrType(options.type);
  const { k, p, X, y, v, beta } = d;
  let labels: ArrayLike<unknown>;
  let name: string;
  if (options.cluster === undefined) {
    if (!d.levels) throw new OptionError('cluster', "vcovCR: a univariate meta-analysis (rma.uni) needs the clusters: a column of the data ('district') or one label per study (clubSandwich: \"You must specify a clustering variable.\")");
    // the outermost level (fewest groups)
    const outer = d.levels.reduce((best, l) => (l.labels.length < best.labels.length ? l : best), d.levels[0]);
    name = outer.name;
    labels = Array.from(outer.codes, (c) => outer.labels[c]);
  } else if (typeof options.cluster === 'string') {
    name = options.cluster;
    const col = d.column(name);
    if (!col) throw new OptionError('cluster', `vcovCR: '${name}' is not a column of the data`);
    labels = Array.from(d.rows, (r) => col[r]);
  } else if (typeof options.cluster === 'object' && options.cluster !== null && typeof options.cluster.length === 'number') {
    name = 'cluster';
    const given = options.cluster;
    if (given.length === k) labels = given;
    else if (given.length === d.nInput) labels = Array.from(d.rows, (r) => given[r]);
    else throw new OptionError('cluster', `vcovCR: ${given.length} cluster labels given; the meta-analysis has ${k} studies (of ${d.nInput} input rows)`);
  } else {
    throw new OptionError('cluster', "vcovCR: cluster must be a column's name or one label per study");
  }
  const split = clustersOfLabels(labels, name);
  if (split.rows.length < 2) throw new ModelError(`cluster-robust variance: the studies are in a single cluster of '${name}'; it needs two or more (clubSandwich: "Cluster-robust variance estimation will not work when the data only includes a single cluster.")`);
  // every level nested in the clusters
  for (const l of d.levels ?? []) {
    const home = new Int32Array(l.labels.length).fill(-1);
    split.rows.forEach((rows, j) => {
      for (const i of rows) {
        const g = l.codes[i];
        if (home[g] === -1) home[g] = j;
        else if (home[g] !== j) throw new ModelError(`cluster-robust variance: the level '${l.name}' is not nested in the clusters of '${name}': its group '${l.labels[g]}' is in clusters '${split.levels[home[g]]}' and '${split.levels[j]}' (clubSandwich: "Random effects are not nested within clustering variable.")`);
      }
    });
  }
  const pieces: ClusterPiece[] = split.rows.map((rows) => {
    const n = rows.length;
    // V_j
    const V = new Float64Array(n * n);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) {
      const i = rows[a], i2 = rows[b];
      let x = a === b ? v[i] + (d.tau2 ?? 0) : 0;
      for (const l of d.levels ?? []) if (l.codes[i] === l.codes[i2]) x += l.sigma2;
      V[a * n + b] = x;
    }
    // W = V_j⁻¹
    const W = spdInverse(V, n, 'the marginal covariance of a cluster').inv;
    const Xj = new Float64Array(n * p);
    const e = new Float64Array(n);
    for (let a = 0; a < n; a++) {
      const i = rows[a];
      let fit = 0;
      for (let c = 0; c < p; c++) { Xj[a * p + c] = X[c * k + i]; fit += X[c * k + i] * beta[c]; }
      e[a] = y[i] - fit;
    }
    const XW = new Float64Array(p * n);
    for (let c = 0; c < p; c++) for (let b = 0; b < n; b++) {
      let s = 0;
      for (let a = 0; a < n; a++) s += Xj[a * p + c] * W[a * n + b];
      XW[c * n + b] = s;
    }
    const F = new Float64Array(p * p), g = new Float64Array(p);
    for (let c = 0; c < p; c++) {
      for (let c2 = 0; c2 < p; c2++) { let s = 0; for (let a = 0; a < n; a++) s += XW[c * n + a] * Xj[a * p + c2]; F[c * p + c2] = s; }
      let s = 0;
      for (let a = 0; a < n; a++) s += XW[c * n + a] * e[a];
      g[c] = s;
    }
    return { rows, n, X: Xj, e, F, g, V, XW, Zt: new Float64Array(0), qj: 0, dconst: null };
  });
  return vcovFromPieces(pieces, type, { cluster: name, clusterLevels: split.levels, N: k, xnames: d.names, beta }, true);
}

/** a meta-analysis's own robust variance, or one computed from the type and cluster given */
function robustOf(owner: object, d: MetaRobustDesign, o: MetaRobustOptions, fn: string): VcovCR {
  if (o.vcov !== undefined && o.type !== undefined) throw new OptionError('type', `${fn}: give vcov or type, not both`);
  if (o.vcov !== undefined && typeof o.vcov === 'object') {
    if (fitOfVcov(o.vcov) !== owner) throw new OptionError('vcov', `${fn}: vcov is not a cluster-robust variance of this meta-analysis (compute it with fit.vcovCR())`);
    if (o.cluster !== undefined) throw new OptionError('cluster', `${fn}: give cluster to vcovCR, not with a vcov computed already`);
    return o.vcov;
  }
  return ownVcov(metaVcovCR(d, { type: (o.vcov as CrType | undefined) ?? o.type, ...(o.cluster !== undefined ? { cluster: o.cluster } : {}) }), owner);
}

const keys = (o: object, allowed: string[], fn: string) => {
  if (typeof o !== 'object' || o === null) throw new OptionError('options', `${fn}: options must be an object`);
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new OptionError(k, `${fn}: unknown option '${k}' (allowed: ${allowed.join(', ')})`);
};

/** the cluster-robust variance: one computed before (`vcov`), or its type (`vcov: 'CR2'` or `type: 'CR2'`, as the lmer fits' methods take) with `cluster` */
export interface MetaRobustOptions { vcov?: VcovCR | CrType; type?: CrType; cluster?: MetaVcovCROptions['cluster'] }

export function metaCoefTest(owner: object, d: MetaRobustDesign, o: MetaRobustOptions & { test?: CoefTestName } = {}): CoefTest {
  keys(o, ['vcov', 'type', 'cluster', 'test'], 'coefTest');
  return coefTest(robustOf(owner, d, o, 'coefTest'), checkCoefTest(o.test));
}

export function metaConfInt(owner: object, d: MetaRobustDesign, o: MetaRobustOptions & { test?: CoefTestName; level?: number } = {}): ConfInt {
  keys(o, ['vcov', 'type', 'cluster', 'test', 'level'], 'confIntCR');
  return confIntOfVcov(robustOf(owner, d, o, 'confIntCR'), o.level ?? 0.95, checkCoefTest(o.test));
}

export function metaWaldTest(owner: object, d: MetaRobustDesign, constraints: Constraints, o: MetaRobustOptions & { test?: WaldTestName | WaldTestName[] | 'All' } = {}): WaldTest {
  keys(o, ['vcov', 'type', 'cluster', 'test'], 'waldTest');
  return waldTestCR(robustOf(owner, d, o, 'waldTest'), constraints, checkWaldTests(o.test));
}

export { ownVcov };
