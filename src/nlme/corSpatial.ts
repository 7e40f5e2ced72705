/**
 * nlme's spatial correlation structures (corSpatial) of positions s_i (`form = ~ x + y | g`):
 * Cor(ε_i, ε_j) = (1 − ν) h(d_ij / ρ) for i ≠ j (ν the nugget, 0 without one), d the distance
 * (metric euclidean, manhattan or maximum), ρ the range; unconstrained (log ρ, logit ν), nlme's start
 * ρ = 0.9 × the smallest distance, ν = 0.1 (corSpher and corLin: ρ = d_min + exp(x_0), from 1.1 d_min). Each group's C_g is dense: its Cholesky factor L_g
 * whitens the group's rows (L_g⁻¹ z by forward substitution), log|C_g| = 2 Σ log L_g,ii (denseFactor). corExp.ts,
 * corGaus.ts, corSpher.ts, corLin.ts and corRatio.ts give h. corSpher and corLin also give the ranges
 * to scan for the optimizer's starts (`scanRanges`; optimize.ts minimizeScanned).
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { NotPositiveDefiniteError, choleskyInPlace, solveLowerColumns } from '../linalg/dense.js';
import { numericColumn } from './covariates.js';
import { type CorContext, type CorStructure, type CorrelationFactor, corGroups } from './correlation.js';
import { checkArgs, numberVectorArg, type StructCall } from './structSpec.js';

const METRICS = ['euclidean', 'manhattan', 'maximum'];

/**
 * `shifted`: corSpher's and corLin's range ρ = d_min + exp(x_0) (d_min the smallest distance), nlme's,
 * starting at 1.1 d_min (a given value ≤ d_min is set to that, as nlme does with a warning); the
 * others' ρ = exp(x_0).
 */
export function corSpatial(call: StructCall, ctx: CorContext, h: (r: number) => number, structure: string, shifted = false): CorStructure {
  checkArgs(call, ['nugget', 'metric', 'value'], 'correlation');
  if (call.covariates.length === 0) throw new OptionError('correlation', `correlation: '${call.text}': ${call.name} needs the positions' columns, as form = ~ x + y | g`);
  const nuggetArg = call.args.nugget ?? 'FALSE';
  if (!['TRUE', 'FALSE', 'T', 'F'].includes(nuggetArg)) throw new OptionError('correlation', `correlation: '${call.text}': nugget must be TRUE or FALSE`);
  const nugget = nuggetArg.startsWith('T');
  const metric = (call.args.metric ?? '"euclidean"').replace(/^["']|["']$/g, '');
  if (!METRICS.includes(metric)) throw new OptionError('correlation', `correlation: '${call.text}': metric must be one of ${METRICS.join(', ')}, got '${metric}'`);
  // value = range or c(range, nugget), nlme's
  const value = numberVectorArg(call, 'value', 'correlation');
  if (value !== null && !(value.length === 1 || (nugget && value.length === 2))) {
    throw new OptionError('correlation', `correlation: '${call.text}': value must give ${nugget ? 'the range, or the range and the nugget' : 'the range (one number; c(range, nugget) needs nugget = TRUE)'}, got ${value.length} numbers`);
  }
  const nugget0 = value !== null && value.length === 2 ? value[1] : 0.1;
  if (!(nugget0 > 0 && nugget0 < 1)) throw new OptionError('correlation', `correlation: '${call.text}': the nugget's initial value must be between 0 and 1, got ${nugget0}`);
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
  let range0 = value !== null ? value[0] : (shifted ? 1.1 : 0.9) * minD;
  if (!(range0 > 0)) throw new ModelError(`${what}: the range must be positive, got ${range0}`);
  if (shifted && range0 <= minD) range0 = 1.1 * minD;
  const shift = shifted ? minD : 0;
  const x0 = Math.log(range0 - shift);
  const start = nugget ? Float64Array.of(x0, Math.log(nugget0 / (1 - nugget0))) : Float64Array.of(x0);
  // ρ = shift + exp(x_0), ν = 1/(1 + exp(−x_1))
  const rangeScan = shifted ? scanRanges(dist, minD).map((r) => Math.log(r - shift)) : undefined;
  const constrained = (x: Float64Array) => ({ range: shift + Math.exp(x[0]), nu: nugget ? 1 / (1 + Math.exp(-x[1])) : 0 });
  return {
    text: call.text,
    structure,
    formula: `~${call.covariates.join(' + ')}${group ? ` | ${group}` : ''}`,
    nPar: nugget ? 2 : 1,
    start,
    groups,
    group,
    ...(rangeScan ? { rangeScan } : {}),
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

/** The most ranges that `scanRanges` gives. */
export const MAX_SCAN = 48;

/**
 * The ranges to scan for corSpher's and corLin's optimizer starts: C(ρ) has a kink in ρ at each
 * distinct distance d_(1) < … < d_(m) (h(d/ρ) changes form at ρ = d, for corLin a jump of its
 * derivative), so the criterion is smooth on each piece (d_(k), d_(k+1)) and on (d_(m), ∞). One range
 * per piece, its midpoint (d_(k) + d_(k+1))/2, and 1.5 d_(m) beyond the largest distance; where there
 * are more than MAX_SCAN pieces, MAX_SCAN of them at equally spaced ranks (the first and the last
 * kept). Distances equal to 1e-9 relative are one.
 */
export function scanRanges(dist: Float64Array[], minD: number): number[] {
  const all: number[] = [];
  for (const D of dist) for (const d of D) if (d > 0) all.push(d);
  all.sort((a, b) => a - b);
  const distinct: number[] = [];
  for (const d of all) if (distinct.length === 0 || d > distinct[distinct.length - 1] * (1 + 1e-9)) distinct.push(d);
  const pieces: number[] = [];
  for (let k = 0; k + 1 < distinct.length; k++) pieces.push((distinct[k] + distinct[k + 1]) / 2);
  pieces.push(1.5 * distinct[distinct.length - 1]);
  const out = pieces.length <= MAX_SCAN ? pieces
    : Array.from({ length: MAX_SCAN }, (_, i) => pieces[Math.round((i * (pieces.length - 1)) / (MAX_SCAN - 1))]);
  // (every range above d_min, as the parametrization ρ = d_min + exp(x) needs)
  return out.filter((r) => r > minD);
}

/**
 * C_g = L_g L_gᵀ with C_jk = corr(g, j, k) off the diagonal and 1 on it (src/linalg/dense.ts's
 * choleskyInPlace; log|C| = Σ_g 2 Σ_i log L_g,ii); whitening v ← L_g⁻¹ v by forward substitution
 * (solveLowerColumns). Also corARMA's and corSymm's.
 */
export function denseFactor(groups: Int32Array[], corr: (g: number, j: number, k: number) => number): CorrelationFactor {
  let logDet = 0;
  const Ls: Float64Array[] = [];
  try {
    for (let gi = 0; gi < groups.length; gi++) {
      const m = groups[gi].length;
      const L = new Float64Array(m * m);
      for (let i = 0; i < m; i++) {
        L[i * m + i] = 1;
        for (let j = 0; j < i; j++) L[i * m + j] = corr(gi, i, j);
      }
      logDet += choleskyInPlace(L, m, 'the correlation matrix');
      Ls.push(L);
    }
  } catch (e) {
    // a correlation matrix that is not positive definite (Gaussian correlation at a long range): the
    // criterion is +∞ there
    if (e instanceof NotPositiveDefiniteError) return { logDet: NaN, whiten() { /* not reached: the criterion is NaN */ } };
    throw e;
  }
  return {
    logDet,
    whiten(gi, v, k) { solveLowerColumns(Ls[gi], groups[gi].length, v, k); },
  };
}
