/**
 * nlme's corSymm(form = ~ 1 | g) and corSymm(form = ~ t | g): a general (unstructured) correlation
 * within each group, C_jk = ρ_{t_j t_k} for the K positions t = 1..K (the rows' positions in the group,
 * or an integer covariate whose values are 1..K), K(K − 1)/2 parameters in nlme's spherical
 * parametrization of the Cholesky factor (Pinheiro & Bates 2000, sec. 5.3): the full K × K correlation
 * is UᵀU with U upper triangular and unit columns,
 *   U_ji = cos(a_ji) Π_{l<j} sin(a_li) (j < i),   U_ii = Π_{l<i} sin(a_li),   a = π eˣ / (1 + eˣ),
 * the x taken column by column (i = 2..K, j = 1..i−1), so that every x gives a positive-definite C and
 * x = 0 the identity. Each group's C_g is dense, taken in the group's row order (as nlme does): its
 * Cholesky factor whitens the group (corSpatial.ts's denseFactor).
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { NotPositiveDefiniteError, choleskyInPlace } from '../linalg/dense.js';
import { numericColumn } from './covariates.js';
import { type CorContext, type CorStructure, type CorrelationFactor, corGroups } from './correlation.js';
import { denseFactor } from './corSpatial.js';
import { checkArgs, numberVectorArg, type StructCall } from './structSpec.js';
import { formText } from './varFunction.js';

/**
 * The K(K − 1)/2 correlations (ρ_12, ρ_13, …, ρ_1K, ρ_23, …: the lower triangle column by column, as
 * nlme's coef(·, unconstrained = FALSE)) of the unconstrained x: ρ_ij = Σ_{l ≤ i} U_li U_lj.
 */
export function symmCorrelations(x: ArrayLike<number>, K: number): Float64Array {
  const U = new Float64Array(K * K); // U[l * K + i]: row l, column i
  let at = 0;
  for (let i = 0; i < K; i++) {
    let prod = 1;
    for (let j = 0; j < i; j++) {
      const e = Math.exp(x[at++]);
      // a = π eˣ/(1 + eˣ), written to stay finite for large x
      const a = Number.isFinite(e) ? (Math.PI * e) / (1 + e) : Math.PI;
      U[j * K + i] = prod * Math.cos(a);
      prod *= Math.sin(a);
    }
    U[i * K + i] = prod;
  }
  const rho = new Float64Array((K * (K - 1)) / 2);
  let k = 0;
  for (let i = 0; i < K - 1; i++) {
    for (let j = i + 1; j < K; j++) {
      let s = 0;
      for (let l = 0; l <= i; l++) s += U[l * K + i] * U[l * K + j];
      rho[k++] = s;
    }
  }
  return rho;
}

/**
 * nlme's unconstrained x of the correlations (the inverse of symmCorrelations): U from the Cholesky
 * factor of C, then a_ji = arccos(U_ji / √(Σ_{l ≥ j} U_li²)) and x = log(a/(π − a)). Null where C is not
 * positive definite.
 */
export function symmUnconstrained(rho: ArrayLike<number>, K: number): Float64Array | null {
  const C = new Float64Array(K * K);
  for (let i = 0; i < K; i++) C[i * K + i] = 1;
  for (let i = 0; i < K - 1; i++) for (let j = i + 1; j < K; j++) C[j * K + i] = rho[pairIndex(i, j, K)];
  try {
    choleskyInPlace(C, K, 'the correlation matrix');
  } catch (e) {
    if (e instanceof NotPositiveDefiniteError) return null;
    throw e;
  }
  // U = Lᵀ: U_ji = L[i][j]
  const x = new Float64Array((K * (K - 1)) / 2);
  let at = 0;
  for (let i = 1; i < K; i++) {
    for (let j = 0; j < i; j++) {
      let tail = 0;
      for (let l = j; l <= i; l++) tail += C[i * K + l] ** 2;
      const a = Math.acos(Math.max(-1, Math.min(1, C[i * K + j] / Math.sqrt(tail))));
      x[at++] = Math.log(a / (Math.PI - a));
    }
  }
  return x;
}

/** The index of ρ_ij (0-based positions i < j) in the column-by-column order: i K − i(i + 1)/2 + (j − i − 1). */
function pairIndex(i: number, j: number, K: number): number {
  return i * K - (i * (i + 1)) / 2 + (j - i - 1);
}

/** A general correlation's groups and positions (corSymm's and corNatural's): K positions, the pair names. */
export interface GeneralPositions {
  groups: Int32Array[];
  group: string | null;
  /** each group's rows' positions 0..K−1 */
  pos: Int32Array[];
  K: number;
  /** the positions' labels 1..K and the pairs' names cor(1,2), cor(1,3), … (column by column) */
  labels: string[];
  names: string[];
}

/**
 * The positions of a general correlation's rows: their places in the group (`~ 1 | g`), or an integer
 * covariate's values 1..K (`~ t | g`), distinct within a group and all of 1..K used (nlme's rules).
 */
export function generalPositions(call: StructCall, ctx: CorContext): GeneralPositions {
  checkArgs(call, ['value'], 'correlation');
  const what = `correlation ${call.text}`;
  // the groups in the data's row order (nlme keeps it; the positions index C)
  const { groups, group } = corGroups({ ...call, covariate: null }, ctx);
  let pos: Int32Array[];
  if (call.covariate === null) pos = groups.map((g) => Int32Array.from(g, (_, a) => a));
  else {
    const t = numericColumn(ctx.table, call.covariate, ctx.frame, what);
    const r = (i: number) => (ctx.frame.rows ? ctx.frame.rows[i] : i) + 1;
    pos = groups.map((g) => {
      const seen = new Set<number>();
      return Int32Array.from(g, (i) => {
        if (!Number.isInteger(t[i]) || t[i] < 1) throw new ModelError(`${what}: ${call.name}'s covariate '${call.covariate}' must hold the positions 1, 2, …, K (integers), got ${t[i]} (row ${r(i)})`);
        if (seen.has(t[i])) throw new ModelError(`${what}: the covariate '${call.covariate}' has the value ${t[i]} twice in one group (row ${r(i)}): positions must be distinct within a group`);
        seen.add(t[i]);
        return t[i] - 1;
      });
    });
  }
  let K = 0;
  const used = new Set<number>();
  for (const p of pos) for (const v of p) { used.add(v); K = Math.max(K, v + 1); }
  if (call.covariate !== null && used.size !== K) {
    const missing = Array.from({ length: K }, (_, v) => v).find((v) => !used.has(v))! + 1;
    throw new ModelError(`${what}: the values of '${call.covariate}' must be the consecutive integers 1..${K} (nlme's rule), but ${missing} does not occur`);
  }
  if (K < 2) throw new ModelError(`${what}: every group has one row: a within-group correlation cannot be estimated`);
  const labels = Array.from({ length: K }, (_, i) => String(i + 1));
  const names: string[] = [];
  for (let i = 0; i < K - 1; i++) for (let j = i + 1; j < K; j++) names.push(`cor(${labels[i]},${labels[j]})`);
  return { groups, group, pos, K, labels, names };
}

/**
 * `value`: the K(K − 1)/2 initial correlations (the lower triangle by columns), checked to lie in (−1, 1)
 * and to form a positive-definite matrix; null where not given.
 */
export function initialCorrelations(call: StructCall, K: number): number[] | null {
  const value = numberVectorArg(call, 'value', 'correlation');
  if (value === null) return null;
  const nPar = (K * (K - 1)) / 2;
  if (value.length !== nPar) throw new OptionError('correlation', `correlation: '${call.text}': value must give the ${nPar} correlations of ${K} positions (the lower triangle by columns), got ${value.length}`);
  if (value.some((v) => !(Math.abs(v) < 1))) throw new OptionError('correlation', `correlation: '${call.text}': the initial correlations must be between -1 and 1`);
  if (!symmUnconstrained(value, K)) throw new OptionError('correlation', `correlation: '${call.text}': the initial correlations do not form a positive-definite matrix`);
  return value;
}

/** Each group's dense factor of C_ab = ρ of the positions of rows a and b (corSpatial.ts's denseFactor). */
export function generalFactor(at: GeneralPositions, rho: Float64Array): CorrelationFactor {
  const { pos, K } = at;
  return denseFactor(at.groups, (gi, a, b) => {
    const [i, j] = pos[gi][a] < pos[gi][b] ? [pos[gi][a], pos[gi][b]] : [pos[gi][b], pos[gi][a]];
    return rho[pairIndex(i, j, K)];
  });
}

/**
 * A general correlation within each group (corSymm, corNatural): its positions, the parameters' start
 * (`toParameters` of the initial correlations `value`, or 0: the identity) and their correlations
 * (`correlations`); the structure each parametrization shares.
 */
export function generalStructure(
  call: StructCall, ctx: CorContext,
  toParameters: (value: number[], K: number) => Float64Array, correlations: (x: ArrayLike<number>, K: number) => Float64Array,
): CorStructure {
  const at = generalPositions(call, ctx);
  const { K, labels, names } = at;
  const nPar = (K * (K - 1)) / 2;
  const value = initialCorrelations(call, K);
  return {
    text: call.text,
    structure: 'General',
    formula: formText(call.covariate, at.group),
    nPar,
    start: value === null ? new Float64Array(nPar) : toParameters(value, K),
    groups: at.groups,
    group: at.group,
    factor: (x) => generalFactor(at, correlations(x, K)),
    estimates: (x) => ({ names, values: Array.from(correlations(x, K)), matrix: labels }),
  };
}

export function corSymm(call: StructCall, ctx: CorContext): CorStructure {
  const general = generalStructure(call, ctx, (value, K) => symmUnconstrained(value, K)!, symmCorrelations);
  // the number of positions K of the nPar = K(K − 1)/2 correlations
  const K = Math.round((1 + Math.sqrt(1 + 8 * general.nPar)) / 2);
  return {
    ...general,
    natural: {
      // η_k = log((1 + ρ_k)/(1 − ρ_k)), ρ_k = tanh(η_k / 2)
      from(x) { return symmCorrelations(x, K).map((r) => Math.log((1 + r) / (1 - r))); },
      to(eta) { return symmUnconstrained(Array.from(eta, (e) => Math.tanh(e / 2)), K); },
      values(eta) { return Array.from(eta, (e) => Math.tanh(e / 2)); },
    },
  };
}
