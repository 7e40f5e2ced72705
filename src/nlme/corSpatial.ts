/**
 * nlme's spatial correlation structures (corSpatial) of positions s_i (`form = ~ x + y | g`):
 * Cor(ε_i, ε_j) = (1 − ν) h(d_ij / ρ) for i ≠ j (ν the nugget, 0 without one), d the distance
 * (metric euclidean, manhattan or maximum), ρ the range; unconstrained (log ρ, logit ν), nlme's start
 * ρ = 0.9 × the smallest distance, ν = 0.1. Each group's C_g is dense: its Cholesky factor L_g
 * whitens the group's rows (L_g⁻¹ z by forward substitution), log|C_g| = 2 Σ log L_g,ii. corExp.ts and
 * corGaus.ts give h.
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { numericColumn } from './covariates.js';
import { type CorContext, type CorStructure, type CorrelationFactor, corGroups } from './correlation.js';
import { checkArgs, numberArg, type StructCall } from './structSpec.js';

const METRICS = ['euclidean', 'manhattan', 'maximum'];

export function corSpatial(call: StructCall, ctx: CorContext, h: (r: number) => number, structure: string): CorStructure {
  checkArgs(call, ['nugget', 'metric', 'value'], 'correlation');
  if (call.covariates.length === 0) throw new OptionError('correlation', `correlation: '${call.text}': ${call.name} needs the positions' columns, as form = ~ x + y | g`);
  const nuggetArg = call.args.nugget ?? 'FALSE';
  if (!['TRUE', 'FALSE', 'T', 'F'].includes(nuggetArg)) throw new OptionError('correlation', `correlation: '${call.text}': nugget must be TRUE or FALSE`);
  const nugget = nuggetArg.startsWith('T');
  const metric = (call.args.metric ?? '"euclidean"').replace(/^["']|["']$/g, '');
  if (!METRICS.includes(metric)) throw new OptionError('correlation', `correlation: '${call.text}': metric must be one of ${METRICS.join(', ')}, got '${metric}'`);
  if (call.args.value !== undefined) numberArg(call, 'value', 'correlation', 0);
  const what = `correlation ${call.text}`;
  const coords = call.covariates.map((c) => numericColumn(ctx.table, c, ctx.frame, what));
  const { groups, group } = corGroups({ ...call, covariate: null }, ctx);
  // the within-group distances, row-major per group
  let minD = Infinity;
  const dist = groups.map((g) => {
    const m = g.length;
    const D = new Float64Array(m * m);
    for (let a = 0; a < m; a++) {
      for (let b = 0; b < a; b++) {
        let d = 0;
        for (const x of coords) {
          const t = Math.abs(x[g[a]] - x[g[b]]);
          d = metric === 'euclidean' ? d + t * t : metric === 'manhattan' ? d + t : Math.max(d, t);
        }
        if (metric === 'euclidean') d = Math.sqrt(d);
        if (d === 0) {
          const r = (i: number) => (ctx.frame.rows ? ctx.frame.rows[i] : i) + 1;
          throw new ModelError(`${what}: rows ${r(g[b])} and ${r(g[a])} are at the same position in one group: zero distances are not allowed`);
        }
        D[a * m + b] = d; D[b * m + a] = d;
        minD = Math.min(minD, d);
      }
    }
    return D;
  });
  if (!Number.isFinite(minD)) throw new ModelError(`${what}: every group has one row: a spatial correlation cannot be estimated`);
  const range0 = call.args.value !== undefined ? Number(call.args.value) : 0.9 * minD;
  if (!(range0 > 0)) throw new ModelError(`${what}: the range must be positive, got ${range0}`);
  const start = nugget ? Float64Array.of(Math.log(range0), Math.log(0.1 / 0.9)) : Float64Array.of(Math.log(range0));
  const constrained = (x: Float64Array) => ({ range: Math.exp(x[0]), nu: nugget ? 1 / (1 + Math.exp(-x[1])) : 0 });
  return {
    text: call.text,
    structure,
    formula: `~${call.covariates.join(' + ')}${group ? ` | ${group}` : ''}`,
    nPar: nugget ? 2 : 1,
    start,
    groups,
    group,
    factor(x) {
      const { range, nu } = constrained(x);
      return denseFactor(groups, (gi, a, b) => (1 - nu) * h(dist[gi][a * groups[gi].length + b] / range));
    },
    estimates(x) {
      const { range, nu } = constrained(x);
      return nugget ? { names: ['range', 'nugget'], values: [range, nu] } : { names: ['range'], values: [range] };
    },
  };
}

/**
 * C_g = L_g L_gᵀ with C_jk = corr(g, j, k) off the diagonal and 1 on it; whitening by forward
 * substitution (also corARMA's).
 */
export function denseFactor(groups: Int32Array[], corr: (g: number, j: number, k: number) => number): CorrelationFactor {
  let logDet = 0;
  const Ls = groups.map((g, gi) => {
    const m = g.length;
    const L = new Float64Array(m * m);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j <= i; j++) {
        let s = i === j ? 1 : corr(gi, i, j);
        for (let k = 0; k < j; k++) s -= L[i * m + k] * L[j * m + k];
        if (i === j) {
          if (!(s > 0)) return null;
          L[i * m + i] = Math.sqrt(s);
          logDet += 2 * Math.log(L[i * m + i]);
        } else L[i * m + j] = s / L[j * m + j];
      }
    }
    return L;
  });
  // a correlation matrix that is not positive definite (Gaussian correlation at a long range): the
  // criterion is +∞ there
  if (Ls.some((L) => L === null)) return { logDet: NaN, whiten() { /* not reached: the criterion is NaN */ } };
  return {
    logDet,
    whiten(gi, v, k) {
      const m = groups[gi].length;
      const L = Ls[gi]!;
      for (let c = 0; c < k; c++) {
        for (let i = 0; i < m; i++) {
          let s = v[i * k + c];
          for (let j = 0; j < i; j++) s -= L[i * m + j] * v[j * k + c];
          v[i * k + c] = s / L[i * m + i];
        }
      }
    },
  };
}
