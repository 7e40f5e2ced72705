/**
 * Structured covariances of random-effects terms (glmmTMB's `diag`, `cs`, `ar1`, `toep`, `ou`, `exp`, `gau`, `mat`, `rr`) as a
 * composition over the unstructured core: the optimizer's variables x hold, per term in lme4's
 * order, either the term's free θ entries (an ordinary `(lhs | g)` or `us(lhs | g)` term) or its
 * structure's parameters ψ; θ(x) is then the Cholesky factor of each structured term's relative
 * covariance, and the profiled criterion is evaluated at θ(x) unchanged.
 *
 * ψ follows glmmTMB's parametrization (its covstruct vignette and ?glmmTMB::ar1), with the SDs
 * relative to the residual σ, as the profiled criterion needs (Σ/σ² = T Tᵀ):
 *   diag (q):          ψ = log(s_1 … s_q);                 Σ/σ² = diag(s²)
 *   ar1  (2):          ψ = (log s, a);  ρ = a / √(1 + a²);   (Σ/σ²)_ij = s² ρ^|i−j|
 *   cs   (q + 1):      ψ = (log s_1 … s_q, c);
 *                     ρ = logit⁻¹(c) (1 + 1/(q−1)) − 1/(q−1) ∈ (−1/(q−1), 1);
 *                                                          (Σ/σ²)_ij = s_i s_j (δ_ij + (1 − δ_ij) ρ)
 *   toep (2q − 1):     ψ = (log s_1 … s_q, a_1 … a_{q−1});  ρ_k = a_k / √(1 + a_k²);
 *                                                          (Σ/σ²)_ij = s_i s_j ρ_|i−j| (ρ_0 = 1)
 *   ou   (2):          ψ = (log s, log κ);                 (Σ/σ²)_ij = s² exp(−κ |t_i − t_j|),
 *                     t the times the factor's levels name (glmmTMB's numFactor coordinates)
 *   exp  (2):          ψ = (log s, log φ);                 (Σ/σ²)_ij = s² exp(−d_ij / φ)
 *   gau  (2):          ψ = (log s, log φ);                 (Σ/σ²)_ij = s² exp(−d_ij² / φ²)
 *   mat  (3):          ψ = (log s, log φ, log κ);          (Σ/σ²)_ij = s² (d_ij/φ)^κ K_κ(d_ij/φ) / (Γ(κ) 2^(κ−1))
 *                     d_ij the Euclidean distance between the positions the factor's levels name
 *                     (glmmTMB's numFactor coordinates, `(x,y)`); φ the range, κ the smoothness
 *                     (glmmTMB 1.1.5's TMB template: exp(−d e^(−θ₂)), exp(−d² e^(−2θ₂)), TMB's matern)
 *   rr   (qd − d(d−1)/2): ψ = the loadings Λ (q × d, Λ_ij = 0 for j > i) relative to σ: first the
 *                     diagonal Λ_11 … Λ_dd, then the entries below it column by column (glmmTMB's order);
 *                     Σ/σ² = Λ Λᵀ of rank d, and θ is Λ itself: T = [Λ | 0] is lower triangular with
 *                     T Tᵀ = Λ Λᵀ (no Cholesky; ∂θ/∂ψ has one 1 per loading)
 *   homdiag (1):       ψ = s ≥ 0 (not its log);             Σ/σ² = s² I_q,  Λ = s I_q
 *                     a penalized smooth's random part (gamm4's (1 | Xr), src/gamm): s is lme4's θ of
 *                     that scalar term, bounded below by 0 as lme4 bounds it, so that a smooth
 *                     penalized to its null space (s = 0, gamm4's boundary fits) is reached exactly
 * glmmTMB's own log-SDs are log(σ s_i): the same ψ shifted by log σ̂ (`glmmTmbParameters`).
 * A toep's ρ_k need not give a positive-definite matrix: there θ(x) is undefined and the criterion +∞.
 *
 *   θ = vech(L),  L Lᵀ = Σ(ψ)/σ²                           (lower Cholesky factor, lme4's θ order)
 *   dL = L Φ(L⁻¹ dΣ L⁻ᵀ)                                   (Φ: the lower triangle, half the diagonal)
 */
import { ModelError } from '../errors/errors.js';
import { besselK, logGamma, maternCorrelation } from './besselK.js';
import { NotPositiveDefiniteError, choleskyInPlace } from '../linalg/dense.js';
import { type CovStructure, isSpatialStructure } from '../formula/types.js';
import type { ModelFrame, ReTerm } from '../frame/modelFrame.js';
import type { ThetaLayout } from './lambda.js';

/** A structure other than lme4's unstructured one. */
export type Structure = Exclude<CovStructure, 'us'>;

/** One structured term of a model: where its θ is and which ψ fill it. */
export interface StructuredTerm {
  /** the term's index in the frame's reTerms (lme4's order) */
  term: number;
  structure: Structure;
  /** the grouping factor's name and the term's text (`ar1(0 + timef | subject)`) */
  group: string;
  /** the group as VarCorr names it: `subject`, or `subject.1` for the factor's second term */
  vcGroup: string;
  text: string;
  /** the term's columns */
  cnames: string[];
  q: number;
  /** the offset of the term's q(q+1)/2 entries in θ */
  thetaOffset: number;
  /** the offset of its ψ in the optimizer's x */
  xOffset: number;
  /** its number of parameters (ψ's length) */
  npar: number;
  /** ou: the time of each column (the factor's levels as numbers) */
  times?: number[];
  /** rr: the rank d */
  rank?: number;
  /** exp, gau, mat: each column's position (the coordinates its level names) */
  positions?: number[][];
  /** exp, gau, mat: the Euclidean distances between the columns' positions (q × q row-major) */
  dist?: Float64Array;
}

/**
 * The optimizer's variables of a model with structured terms: the structured terms, the free θ
 * entries of the others (x index → θ index), and x's names, bounds and start.
 */
export interface CovParameters {
  /** x's length: the number of variance parameters besides σ (glmmTMB's theta) */
  length: number;
  structured: StructuredTerm[];
  /** the free θ entries: x[xIndex[k]] = θ[thetaIndex[k]] */
  free: { x: number; theta: number }[];
  /** θ's length */
  thetaLength: number;
  names: string[];
  lower: Float64Array;
  upper: Float64Array;
  /** Σ/σ² = I at the start (lme4's θ start): log-SDs 0, correlations 0 */
  start: Float64Array;
}

/** The number of ψ of `structure` for a term of q columns. */
export function structureParameterCount(structure: Structure, q: number, rank = 2): number {
  switch (structure) {
    case 'rr': return q * rank - (rank * (rank - 1)) / 2;
    case 'diag': return q;
    case 'homdiag': return 1;
    case 'ar1': return 2;
    case 'ou': return 2;
    case 'exp': case 'gau': return 2;
    case 'mat': return 3;
    case 'cs': return q + 1;
    case 'toep': return 2 * q - 1;
  }
}

/**
 * The variance parameters of the frame's terms (null when no term has a structure other than
 * `us`), after glmmTMB's rules for each structure, refused with a ModelError naming the term:
 * `ar1` takes a factor of equally spaced times without an intercept (`ar1(0 + f | g)`); `cs`,
 * `ar1` and `toep` need at least two columns.
 */
export function covParameters(frame: Pick<ModelFrame, 'reTerms' | 'columns'>, theta: ThetaLayout): CovParameters | null {
  const terms = frame.reTerms;
  if (!terms.some((t) => structureOf(t) !== null)) return null;
  const structured: StructuredTerm[] = [];
  const free: { x: number; theta: number }[] = [];
  const names: string[] = [];
  const lower: number[] = [];
  const start: number[] = [];
  let thetaOffset = 0;
  const seen = new Map<string, number>();
  terms.forEach((t, k) => {
    const count = seen.get(t.group) ?? 0;
    seen.set(t.group, count + 1);
    const nTheta = (t.q * (t.q + 1)) / 2;
    const structure = structureOf(t);
    if (structure === null) {
      for (let e = 0; e < nTheta; e++) {
        free.push({ x: names.length, theta: thetaOffset + e });
        names.push(theta.names[thetaOffset + e]);
        lower.push(theta.lower[thetaOffset + e]);
        start.push(theta.start[thetaOffset + e]);
      }
    } else {
      const space = isSpatialStructure(structure) ? spatialPositions(t, structure, frame.columns) : null;
      const times = checkStructuredTerm(t, structure, frame.columns);
      const rank = structure === 'rr' ? rrRank(t) : undefined;
      const npar = structureParameterCount(structure, t.q, rank);
      structured.push({
        term: k, structure, group: t.group, vcGroup: count === 0 ? t.group : `${t.group}.${count}`, text: t.text, cnames: t.cnames, q: t.q, thetaOffset, xOffset: names.length, npar,
        ...(times ? { times } : {}),
        ...(space ? { positions: space.positions, dist: space.dist } : {}),
        ...(rank !== undefined ? { rank } : {}),
      });
      const sdNames = structure === 'rr' ? [] : oneSd(structure) ? [t.cnames[0]] : t.cnames;
      if (structure === 'homdiag') { names.push(`${t.group}.sd`); lower.push(0); start.push(1); }
      else if (structure === 'rr') {
        // the loadings started at Λ = [I_d; 0]
        rrIndex(t.q, rank!).forEach(([i, j]) => { names.push(`${t.group}.rr.${t.cnames[i]}.${j + 1}`); lower.push(-Infinity); start.push(i === j ? 1 : 0); });
      }
      else for (const c of sdNames) { names.push(`${t.group}.log_sd.${c}`); lower.push(-Infinity); start.push(0); }
      const corr = npar - sdNames.length;
      if (structure === 'rr') { /* named above */ } else if (space) {
        // the range started at the median distance between positions (glmmTMB starts at φ = 1, which
        // for distances in the hundreds is a correlation of 0 with no gradient), the smoothness at 1
        names.push(`${t.group}.${structure}.log_range`); lower.push(-Infinity); start.push(Math.log(space.median));
        if (structure === 'mat') { names.push(`${t.group}.mat.log_smoothness`); lower.push(-Infinity); start.push(0); }
      } else for (let e = 0; e < corr; e++) {
        names.push(structure === 'toep' ? `${t.group}.${structure}.lag${e + 1}` : structure === 'ou' ? `${t.group}.ou.log_rate` : `${t.group}.${structure}`);
        lower.push(-Infinity);
        // cs: ρ = 0 at c = −log(q − 1); ar1, toep: ρ = 0 at a = 0
        start.push(structure === 'cs' ? -Math.log(t.q - 1) : 0);
      }
    }
    thetaOffset += nTheta;
  });
  return {
    length: names.length, structured, free, thetaLength: thetaOffset, names,
    lower: Float64Array.from(lower), upper: new Float64Array(names.length).fill(Infinity), start: Float64Array.from(start),
  };
}

/** the term's structure, null for lme4's unstructured term (written `(lhs | g)` or `us(lhs | g)`) */
export function structureOf(t: Pick<ReTerm, 'term'>): Structure | null {
  const s = t.term.structure;
  return s === undefined || s === 'us' ? null : s;
}

/** whether the structure has one SD for all its columns (ar1, ou) */
export const oneSd = (structure: Structure) => structure === 'ar1' || structure === 'ou' || structure === 'homdiag' || isSpatialStructure(structure);

/** rr's rank, checked: 1 ≤ d < q (d ≥ q is the unstructured `us`) */
function rrRank(t: ReTerm): number {
  const d = t.term.rank ?? 2;
  if (d >= t.q) throw new ModelError(`term ${t.text}: rr's rank d = ${d} must be less than the term's ${t.q} columns (d ≥ ${t.q} is the unstructured us(…))`);
  return d;
}

/** rr's loadings in glmmTMB's order: (row, column) of Λ — the diagonal, then below it column by column */
export function rrIndex(q: number, d: number): [number, number][] {
  const out: [number, number][] = [];
  for (let j = 0; j < d; j++) out.push([j, j]);
  for (let j = 0; j < d; j++) for (let i = j + 1; i < q; i++) out.push([i, j]);
  return out;
}


/**
 * The positions of a spatial term's columns, as glmmTMB's parseNumLevels reads the factor's levels:
 * the trailing `(x,y,…)` of each level (numFactor's), or a level that is one number; their
 * Euclidean distances (glmmTMB's dist(coords)) and the median distance. Refused naming the term
 * and level: a level that is not coordinates, levels of different dimensions, two levels at one position.
 */
function spatialPositions(t: ReTerm, structure: Structure, columns: ModelFrame['columns']): { positions: number[][]; dist: Float64Array; median: number } {
  const f = singleFactor(t, columns);
  if ('why' in f) throw new ModelError(`term ${t.text}: ${structure} needs a factor whose levels are the positions and no intercept, such as ${structure}(0 + numFactor(x, y) | ${t.group}) or ${structure}(0 + pos | ${t.group}) with pos's levels '(x,y)': its left-hand side ${f.why}`);
  const positions = f.levels.map((level) => {
    const m = /\(([^()]*)\)\s*$/.exec(level);
    const parts = (m ? m[1] : level).split(',');
    const x = parts.map((p) => (p.trim() === '' ? NaN : Number(p)));
    if (!x.every(Number.isFinite)) throw new ModelError(`term ${t.text}: ${structure} takes the levels of '${f.label}' as coordinates (glmmTMB's numFactor, '(1.5,2)'), but level '${level}' is not numbers`);
    return x;
  });
  const dim = positions[0].length;
  const other = positions.findIndex((x) => x.length !== dim);
  if (other >= 0) throw new ModelError(`term ${t.text}: the levels of '${f.label}' name positions of different dimensions ('${f.levels[0]}' has ${dim} coordinate${dim === 1 ? '' : 's'}, '${f.levels[other]}' ${positions[other].length})`);
  const q = positions.length;
  const dist = new Float64Array(q * q);
  const all: number[] = [];
  for (let i = 0; i < q; i++) {
    for (let j = 0; j < i; j++) {
      // d_ij = ‖x_i − x_j‖₂
      let s2 = 0;
      for (let k = 0; k < dim; k++) s2 += (positions[i][k] - positions[j][k]) ** 2;
      const d = Math.sqrt(s2);
      if (d === 0) throw new ModelError(`term ${t.text}: levels '${f.levels[j]}' and '${f.levels[i]}' of '${f.label}' name the same position: their random effects would be one (give each position one level)`);
      dist[i * q + j] = dist[j * q + i] = d;
      all.push(d);
    }
  }
  all.sort((a, b) => a - b);
  const median = all.length === 0 ? 1 : all.length % 2 === 1 ? all[(all.length - 1) / 2] : (all[all.length / 2 - 1] + all[all.length / 2]) / 2;
  return { positions, dist, median };
}

/** glmmTMB's rules for a structured term's left-hand side; ou's times. */
function checkStructuredTerm(t: ReTerm, structure: Structure, columns: ModelFrame['columns']): number[] | null {
  if (structure === 'ar1') checkAr1Term(t, columns);
  const times = structure === 'ou' ? ouTimes(t, columns) : null;
  if (structure === 'homdiag' && t.term.smooth === undefined) throw new ModelError(`term ${t.text}: homdiag is internal to gamm4's smooths (src/gamm)`);
  if (structure !== 'diag' && structure !== 'homdiag' && t.q < 2) {
    throw new ModelError(`term ${t.text}: ${structure} needs at least 2 random effects per level of '${t.group}' (its left-hand side has 1 column, '${t.cnames[0]}')`);
  }
  return times;
}

/** the single factor of a term `(0 + f | g)`, or why the term is not one */
function singleFactor(t: ReTerm, columns: ModelFrame['columns']): { label: string; levels: string[] } | { why: string; hint: string } {
  const lhs = t.term.lhs;
  const single = lhs.terms.length === 1 ? lhs.terms[0] : null;
  const column = single && single.vars.length === 1 ? columns.get(single.label) : undefined;
  if (lhs.intercept || !single || column?.kind !== 'factor') {
    const why = lhs.intercept ? 'has an intercept' : !single ? `has ${lhs.terms.length} terms` : `'${single.label}' is not a factor`;
    const hint = single && !lhs.intercept && column?.kind !== 'factor' ? `0 + factor(${single.label})` : '0 + f';
    return { why, hint };
  }
  return { label: single.label, levels: column.levels };
}

/** glmmTMB's ou: a factor whose levels are the times (its numFactor), no intercept. */
function ouTimes(t: ReTerm, columns: ModelFrame['columns']): number[] {
  const f = singleFactor(t, columns);
  if ('why' in f) throw new ModelError(`term ${t.text}: ou needs a factor whose levels are the times and no intercept, such as ou(${f.hint} | ${t.group}): its left-hand side ${f.why}`);
  const times = f.levels.map(Number);
  const bad = f.levels.find((l, k) => l.trim() === '' || !Number.isFinite(times[k]));
  if (bad !== undefined) throw new ModelError(`term ${t.text}: ou takes the levels of '${f.label}' as times, but level '${bad}' is not a number`);
  return times;
}

/** glmmTMB's ar1: a factor of equally spaced times (consecutive levels), no intercept. */
function checkAr1Term(t: ReTerm, columns: ModelFrame['columns']): void {
  const f = singleFactor(t, columns);
  if ('why' in f) throw new ModelError(`term ${t.text}: ar1 needs a factor of equally spaced times and no intercept, such as ar1(${f.hint} | ${t.group}): its left-hand side ${f.why}`);
  // glmmTMB's ar1 takes the factor's levels as consecutive, unit-spaced times: numeric levels must be
  // equally spaced (ou takes unequally spaced ones)
  const times = f.levels.map(Number);
  if (times.every((v) => Number.isFinite(v)) && times.length > 2) {
    const step = times[1] - times[0];
    for (let k = 2; k < times.length; k++) {
      if (Math.abs(times[k] - times[k - 1] - step) > 1e-8 * Math.max(1, Math.abs(step))) {
        throw new ModelError(`term ${t.text}: ar1 needs equally spaced times, but the levels of '${f.label}' are ${f.levels.slice(0, 8).join(', ')}${f.levels.length > 8 ? ', …' : ''} (steps ${step} and ${times[k] - times[k - 1]}; ou(0 + ${f.label} | ${t.group}) takes unequally spaced times)`);
      }
    }
  }
}

/** logit⁻¹ */
const invLogit = (c: number) => (c >= 0 ? 1 / (1 + Math.exp(-c)) : Math.exp(c) / (1 + Math.exp(c)));

/**
 * The relative SDs and correlation matrix of a structured term at ψ: Σ/σ² = diag(s) R diag(s).
 * `R` q × q row-major.
 */
export function structureCorrelation(structure: Structure, q: number, psi: ArrayLike<number>, times?: readonly number[], dist?: ArrayLike<number>): { sd: Float64Array; R: Float64Array } {
  const sd = new Float64Array(q);
  const R = new Float64Array(q * q);
  for (let i = 0; i < q; i++) R[i * q + i] = 1;
  if (structure === 'rr') {
    // Σ/σ² = Λ Λᵀ: sd_i = √Σ_ii, R_ij = Σ_ij / (sd_i sd_j)
    const d = Math.round((2 * q + 1 - Math.sqrt((2 * q + 1) ** 2 - 8 * psi.length)) / 2);
    const L = new Float64Array(q * d);
    rrIndex(q, d).forEach(([i, j], m) => { L[i * d + j] = psi[m]; });
    const S = new Float64Array(q * q);
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) { let v = 0; for (let k = 0; k < d; k++) v += L[i * d + k] * L[j * d + k]; S[i * q + j] = v; }
    for (let i = 0; i < q; i++) sd[i] = Math.sqrt(S[i * q + i]);
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) if (i !== j) R[i * q + j] = S[i * q + j] / (sd[i] * sd[j]);
    return { sd, R };
  }
  const nsd = oneSd(structure) ? 1 : q;
  // homdiag: s itself, not its log
  for (let i = 0; i < q; i++) sd[i] = structure === 'homdiag' ? psi[0] : Math.exp(psi[nsd === 1 ? 0 : i]);
  if (isSpatialStructure(structure)) {
    if (!dist) throw new Error(`internal: ${structure} without its distances`);
    const range = Math.exp(psi[1]);
    const smooth = structure === 'mat' ? Math.exp(psi[2]) : 0;
    for (let i = 0; i < q; i++) {
      for (let j = 0; j < i; j++) {
        const d = dist[i * q + j];
        // exp: R_ij = exp(−d/φ); gau: exp(−d²/φ²); mat: Matérn(d; φ, κ)
        R[i * q + j] = R[j * q + i] = structure === 'exp' ? Math.exp(-d / range) : structure === 'gau' ? Math.exp(-((d / range) ** 2)) : maternCorrelation(d, range, smooth);
      }
    }
  } else if (structure === 'ou') {
    // R_ij = exp(−κ |t_i − t_j|), κ = exp(ψ₂)
    if (!times) throw new Error('internal: ou without its times');
    const kappa = Math.exp(psi[1]);
    for (let i = 0; i < q; i++) for (let j = 0; j < i; j++) R[i * q + j] = R[j * q + i] = Math.exp(-kappa * Math.abs(times[i] - times[j]));
  } else if (structure === 'ar1') {
    // ρ = a / √(1 + a²); R_ij = ρ^|i−j|
    const rho = psi[1] / Math.sqrt(1 + psi[1] * psi[1]);
    for (let i = 0; i < q; i++) for (let j = 0; j < i; j++) R[i * q + j] = R[j * q + i] = rho ** (i - j);
  } else if (structure === 'cs') {
    // ρ = logit⁻¹(c) (1 + 1/(q−1)) − 1/(q−1)
    const a = 1 / (q - 1);
    const rho = invLogit(psi[nsd]) * (1 + a) - a;
    for (let i = 0; i < q; i++) for (let j = 0; j < i; j++) R[i * q + j] = R[j * q + i] = rho;
  } else if (structure === 'toep') {
    // ρ_k = a_k / √(1 + a_k²)
    for (let i = 0; i < q; i++) {
      for (let j = 0; j < i; j++) {
        const a = psi[nsd + i - j - 1];
        R[i * q + j] = R[j * q + i] = a / Math.sqrt(1 + a * a);
      }
    }
  }
  return { sd, R };
}

/**
 * The derivatives of Σ/σ² (q × q row-major each) in each ψ_m of a structured term, and Σ/σ² itself.
 *   ∂Σ_ij/∂ log s_k = Σ_ij (δ_ik + δ_jk)   (diag, cs, toep);  ∂Σ_ij/∂ log s = 2 Σ_ij (ar1)
 *   ar1:  ∂ρ/∂a = (1 + a²)^(−3/2),  ∂Σ_ij/∂a = s² |i−j| ρ^(|i−j|−1) ∂ρ/∂a
 *   cs:   ∂ρ/∂c = (1 + 1/(q−1)) p (1 − p), p = logit⁻¹(c),  ∂Σ_ij/∂c = s_i s_j ∂ρ/∂c (i ≠ j)
 *   toep: ∂Σ_ij/∂a_k = s_i s_j (1 + a_k²)^(−3/2) where |i−j| = k
 *   ou:   ∂Σ_ij/∂ log κ = −κ |t_i − t_j| Σ_ij
 */
export function structureCovarianceDerivatives(structure: Structure, q: number, psi: ArrayLike<number>, times?: readonly number[], dist?: ArrayLike<number>): { S: Float64Array; dS: Float64Array[] } {
  const { sd, R } = structureCorrelation(structure, q, psi, times, dist);
  const S = new Float64Array(q * q);
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) S[i * q + j] = sd[i] * sd[j] * R[i * q + j];
  const npar = structureParameterCount(structure, q);
  const dS: Float64Array[] = [];
  if (structure === 'homdiag') {
    // Σ/σ² = s² I: ∂Σ_ij/∂s = 2 s δ_ij
    const d = new Float64Array(q * q);
    for (let i = 0; i < q; i++) d[i * q + i] = 2 * psi[0];
    dS.push(d);
    return { S, dS };
  }
  if (isSpatialStructure(structure)) {
    // ∂Σ_ij/∂ log s = 2 Σ_ij
    dS.push(S.map((v) => 2 * v));
    const range = Math.exp(psi[1]);
    const s2 = sd[0] * sd[0];
    const d = dist!;
    if (structure === 'exp') {
      // ∂Σ_ij/∂ log φ = (d_ij/φ) Σ_ij
      dS.push(S.map((v, e) => (d[e] / range) * v));
    } else if (structure === 'gau') {
      // ∂Σ_ij/∂ log φ = 2 (d_ij/φ)² Σ_ij
      dS.push(S.map((v, e) => 2 * (d[e] / range) ** 2 * v));
    } else {
      // ∂Σ_ij/∂ log φ = s² x^(κ+1) K_(κ−1)(x) / (Γ(κ) 2^(κ−1)), x = d_ij/φ (d/dx [x^κ K_κ(x)] = −x^κ K_(κ−1)(x));
      // ∂Σ_ij/∂ log κ by a five-point difference (no closed form for ∂K_κ/∂κ)
      const kappa = Math.exp(psi[2]);
      const c = -logGamma(kappa) - (kappa - 1) * Math.LN2;
      dS.push(S.map((_, e) => {
        if (d[e] === 0) return 0;
        const x = d[e] / range;
        const k = besselK(kappa - 1, x);
        return k === 0 || !Number.isFinite(k) ? 0 : s2 * Math.exp((kappa + 1) * Math.log(x) + Math.log(k) + c);
      }));
      // f'(ψ) ≈ (−f(ψ + 2h) + 8 f(ψ + h) − 8 f(ψ − h) + f(ψ − 2h)) / 12h, h = 5e-3: truncation ~h⁴ ≈ 1e-10,
      // rounding ~1e-14, smooth in ψ (Satterthwaite's central differences of this Jacobian need that)
      const h = 5e-3;
      const at = (t: number) => structureCorrelation('mat', q, [psi[0], psi[1], psi[2] + t], undefined, d).R;
      const p2 = at(2 * h), p1 = at(h), m1 = at(-h), m2 = at(-2 * h);
      dS.push(p1.map((_, e) => (s2 * (-p2[e] + 8 * p1[e] - 8 * m1[e] + m2[e])) / (12 * h)));
    }
    return { S, dS };
  }
  if (structure === 'ou') {
    // ∂Σ_ij/∂ log s = 2 Σ_ij;  ∂Σ_ij/∂ log κ = −κ |t_i − t_j| Σ_ij
    dS.push(S.map((v) => 2 * v));
    const kappa = Math.exp(psi[1]);
    dS.push(S.map((v, e) => -kappa * Math.abs(times![Math.floor(e / q)] - times![e % q]) * v));
    return { S, dS };
  }
  if (structure === 'ar1') {
    dS.push(S.map((v) => 2 * v));
    const a = psi[1];
    const rho = a / Math.sqrt(1 + a * a);
    const drho = (1 + a * a) ** -1.5;
    const d = new Float64Array(q * q);
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) { const k = Math.abs(i - j); if (k > 0) d[i * q + j] = sd[0] * sd[0] * k * rho ** (k - 1) * drho; }
    dS.push(d);
    return { S, dS };
  }
  for (let k = 0; k < q; k++) {
    const d = new Float64Array(q * q);
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) d[i * q + j] = S[i * q + j] * ((i === k ? 1 : 0) + (j === k ? 1 : 0));
    dS.push(d);
  }
  if (structure === 'cs') {
    const a = 1 / (q - 1);
    const p = invLogit(psi[q]);
    const drho = (1 + a) * p * (1 - p);
    const d = new Float64Array(q * q);
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) if (i !== j) d[i * q + j] = sd[i] * sd[j] * drho;
    dS.push(d);
  } else if (structure === 'toep') {
    for (let lag = 1; lag < q; lag++) {
      const a = psi[q + lag - 1];
      const drho = (1 + a * a) ** -1.5;
      const d = new Float64Array(q * q);
      for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) if (Math.abs(i - j) === lag) d[i * q + j] = sd[i] * sd[j] * drho;
      dS.push(d);
    }
  }
  if (dS.length !== npar) throw new Error(`internal: ${structure} has ${npar} parameters, ${dS.length} derivatives`);
  return { S, dS };
}

/** The lower Cholesky factor of S (q × q row-major; src/linalg/dense.ts), or null where S is not positive definite. */
function cholesky(S: ArrayLike<number>, q: number): Float64Array | null {
  const L = new Float64Array(q * q);
  for (let i = 0; i < q; i++) for (let j = 0; j <= i; j++) L[i * q + j] = S[i * q + j];
  try {
    choleskyInPlace(L, q);
  } catch (e) {
    if (e instanceof NotPositiveDefiniteError) return null;
    throw e;
  }
  return L;
}

/**
 * θ (lme4's parametrization) at the optimizer's x: the free entries copied, each structured term's
 * entries vech(L) with L Lᵀ = Σ(ψ)/σ²; null where a structure's Σ is not positive definite.
 */
export function thetaOfParameters(par: CovParameters, x: ArrayLike<number>): Float64Array | null {
  const theta = new Float64Array(par.thetaLength);
  for (const f of par.free) theta[f.theta] = x[f.x];
  for (const s of par.structured) {
    const psi = Array.from({ length: s.npar }, (_, m) => x[s.xOffset + m]);
    if (!psi.every(Number.isFinite)) return null;
    if (s.structure === 'homdiag') {
      // Λ's template s I_q: vech has s at each diagonal entry (defined at s = 0, where Σ is singular)
      let off = s.thetaOffset;
      for (let j = 0; j < s.q; j++) for (let i = j; i < s.q; i++) theta[off++] = i === j ? psi[0] : 0;
      continue;
    }
    if (s.structure === 'rr') {
      // θ = vech([Λ | 0])
      const T = new Float64Array(s.q * s.q);
      rrIndex(s.q, s.rank!).forEach(([i, j], m) => { T[i * s.q + j] = psi[m]; });
      let off = s.thetaOffset;
      for (let j = 0; j < s.q; j++) for (let i = j; i < s.q; i++) theta[off++] = T[i * s.q + j];
      continue;
    }
    const { sd, R } = structureCorrelation(s.structure, s.q, psi, s.times, s.dist);
    const S = new Float64Array(s.q * s.q);
    for (let i = 0; i < s.q; i++) for (let j = 0; j < s.q; j++) S[i * s.q + j] = sd[i] * sd[j] * R[i * s.q + j];
    const L = cholesky(S, s.q);
    if (!L) return null;
    let off = s.thetaOffset;
    for (let j = 0; j < s.q; j++) for (let i = j; i < s.q; i++) theta[off++] = L[i * s.q + j];
  }
  return theta;
}

/**
 * ∂θ/∂x (θ's length × x's length, row-major) at x, by the chain rule through each structured term's
 * Cholesky factor: dL = L Φ(L⁻¹ dΣ L⁻ᵀ) for each ∂Σ/∂ψ_m; the free entries' rows are unit vectors.
 * null where θ(x) is undefined.
 */
export function thetaJacobian(par: CovParameters, x: ArrayLike<number>): Float64Array | null {
  const nt = par.thetaLength, nx = par.length;
  const J = new Float64Array(nt * nx);
  for (const f of par.free) J[f.theta * nx + f.x] = 1;
  for (const s of par.structured) {
    const q = s.q;
    if (s.structure === 'homdiag') {
      // θ's diagonal entries are s itself: ∂θ/∂s = 1 there
      let off = s.thetaOffset;
      for (let j = 0; j < q; j++) for (let i = j; i < q; i++) { if (i === j) J[off * nx + s.xOffset] = 1; off++; }
      continue;
    }
    if (s.structure === 'rr') {
      // ∂θ/∂Λ_ij = 1 at Λ_ij's entry of vech([Λ | 0]): column j starts at Σ_{k<j} (q − k)
      rrIndex(q, s.rank!).forEach(([i, j], m) => { const off = s.thetaOffset + j * q - (j * (j - 1)) / 2 + (i - j); J[off * nx + s.xOffset + m] = 1; });
      continue;
    }
    const psi = Array.from({ length: s.npar }, (_, m) => x[s.xOffset + m]);
    const { S, dS } = structureCovarianceDerivatives(s.structure, q, psi, s.times, s.dist);
    const L = cholesky(S, q);
    if (!L) return null;
    dS.forEach((D, m) => {
      // W = L⁻¹ D L⁻ᵀ: solve L Y = D, then L Wᵀ = Yᵀ (W is symmetric)
      const Y = solveLowerColumns(L, D, q);
      const Yt = new Float64Array(q * q);
      for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) Yt[i * q + j] = Y[j * q + i];
      const W = solveLowerColumns(L, Yt, q);
      // Φ(W): the lower triangle with half the diagonal; dL = L Φ(W)
      const P = new Float64Array(q * q);
      for (let i = 0; i < q; i++) for (let j = 0; j <= i; j++) P[i * q + j] = i === j ? W[i * q + i] / 2 : W[i * q + j];
      let off = s.thetaOffset;
      for (let j = 0; j < q; j++) {
        for (let i = j; i < q; i++) {
          let v = 0;
          for (let k = j; k <= i; k++) v += L[i * q + k] * P[k * q + j];
          J[off++ * nx + s.xOffset + m] = v;
        }
      }
    });
  }
  return J;
}

/** L⁻¹ B for lower-triangular L (q × q) and B q × q, row-major. */
function solveLowerColumns(L: Float64Array, B: Float64Array, q: number): Float64Array {
  const X = new Float64Array(q * q);
  for (let c = 0; c < q; c++) {
    for (let i = 0; i < q; i++) {
      let v = B[i * q + c];
      for (let k = 0; k < i; k++) v -= L[i * q + k] * X[k * q + c];
      X[i * q + c] = v / L[i * q + i];
    }
  }
  return X;
}

/**
 * A structured term's parameters at a fit: its relative covariance T Tᵀ read from θ, and σ. Back to
 * ψ (the inverse of the map: log SDs, and each structure's correlation transform inverted) and to
 * glmmTMB's scale (log SDs of Σ itself: log σ + log s), with the SDs and the correlation(s).
 */
export interface StructureEstimate {
  /** the group as VarCorr names it */
  group: string;
  term: string;
  structure: Structure;
  /** the SDs of the term's columns (ar1: one) */
  sd: number[];
  /** the one correlation (ar1, cs), the correlation at each lag (toep), at unit time distance (ou), none (diag) */
  rho: number[];
  /** glmmTMB's theta for the term: log SDs on Σ's scale, then its correlation parameters */
  parameters: number[];
  /** exp, gau, mat: the range φ (glmmTMB's exp(θ₂)) */
  range?: number;
  /** mat: the smoothness κ (glmmTMB's exp(θ₃)) */
  smoothness?: number;
}

/** The estimate of each structured term from θ (lme4's) and σ. */
export function structureEstimates(par: CovParameters, theta: ArrayLike<number>, sigma: number): StructureEstimate[] {
  return par.structured.map((s) => {
    const q = s.q;
    const T = new Float64Array(q * q);
    let off = s.thetaOffset;
    for (let j = 0; j < q; j++) for (let i = j; i < q; i++) T[i * q + j] = theta[off++];
    const S = new Float64Array(q * q);
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) { let v = 0; for (let k = 0; k <= Math.min(i, j); k++) v += T[i * q + k] * T[j * q + k]; S[i * q + j] = v; }
    const sdRel = Array.from({ length: q }, (_, i) => Math.sqrt(S[i * q + i]));
    const corr = (i: number, j: number) => S[i * q + j] / (sdRel[i] * sdRel[j]);
    const logSd = (v: number) => Math.log(sigma * v);
    let rho: number[] = [];
    let corrPar: number[] = [];
    if (s.structure === 'ar1') {
      rho = [corr(1, 0)];
      corrPar = [rho[0] / Math.sqrt(1 - rho[0] * rho[0])];
    } else if (s.structure === 'cs') {
      rho = [corr(1, 0)];
      const a = 1 / (q - 1);
      const p = (rho[0] + a) / (1 + a);
      corrPar = [Math.log(p / (1 - p))];
    } else if (s.structure === 'toep') {
      rho = Array.from({ length: q - 1 }, (_, k) => corr(k + 1, 0));
      corrPar = rho.map((r) => r / Math.sqrt(1 - r * r));
    } else if (s.structure === 'rr') {
      // glmmTMB's theta: the loadings on Σ's scale, σ Λ, Λ the first d columns of T
      return { group: s.vcGroup, term: s.text, structure: s.structure, sd: sdRel.map((v) => sigma * v), rho: [], parameters: rrIndex(q, s.rank!).map(([i, j]) => sigma * T[i * q + j]) };
    } else if (isSpatialStructure(s.structure)) {
      const sp = spatialParameters(s, corr);
      const sds = [sdRel[0]];
      return { group: s.vcGroup, term: s.text, structure: s.structure, sd: sds.map((v) => sigma * v), rho: [], parameters: [...sds.map(logSd), ...sp.map(Math.log)], range: sp[0], ...(s.structure === 'mat' ? { smoothness: sp[1] } : {}) };
    } else if (s.structure === 'ou') {
      // κ from the first two times' correlation: ρ = exp(−κ |t_1 − t_0|)
      const kappa = -Math.log(corr(1, 0)) / Math.abs(s.times![1] - s.times![0]);
      rho = [Math.exp(-kappa)];
      corrPar = [Math.log(kappa)];
    }
    const sds = oneSd(s.structure) ? [sdRel[0]] : sdRel;
    return { group: s.vcGroup, term: s.text, structure: s.structure, sd: sds.map((v) => sigma * v), rho, parameters: [...sds.map(logSd), ...corrPar] };
  });
}

/**
 * A spatial term's range (and mat's smoothness) from its correlations: exp: φ = −d/log r, gau:
 * φ = d/√(−log r) at the closest pair; mat: the (φ, κ) whose Matérn correlation matches the
 * correlations r_a, r_b at two distances d_a < d_b (the closest pair, and the next distance at least
 * 1.5 d_a): for each κ, φ(κ) solves C(d_a; φ, κ) = r_a (C increases with φ; bisection in log φ), and
 * κ solves C(d_b; φ(κ), κ) = r_b (a scan of log κ over [−5, 5], then bisection).
 */
function spatialParameters(s: StructuredTerm, corr: (i: number, j: number) => number): number[] {
  const q = s.q, d = s.dist!;
  let a: [number, number] = [1, 0];
  for (let i = 0; i < q; i++) for (let j = 0; j < i; j++) if (d[i * q + j] < d[a[0] * q + a[1]]) a = [i, j];
  const da = d[a[0] * q + a[1]];
  const ra = corr(a[0], a[1]);
  if (s.structure === 'exp') return [-da / Math.log(ra)];
  if (s.structure === 'gau') return [da / Math.sqrt(-Math.log(ra))];
  let b: [number, number] | null = null;
  for (let i = 0; i < q; i++) for (let j = 0; j < i; j++) { const v = d[i * q + j]; if (v >= 1.5 * da && (!b || v < d[b[0] * q + b[1]])) b = [i, j]; }
  if (!b) { for (let i = 0; i < q; i++) for (let j = 0; j < i; j++) if (!b || d[i * q + j] > d[b[0] * q + b[1]]) b = [i, j]; }
  const db = d[b![0] * q + b![1]];
  const rb = corr(b![0], b![1]);
  const bisect = (f: (x: number) => number, lo: number, hi: number) => {
    let flo = f(lo);
    for (let it = 0; it < 200 && hi - lo > 1e-15 * Math.max(1, Math.abs(lo)); it++) {
      const mid = (lo + hi) / 2;
      const fm = f(mid);
      if (fm === 0) return mid;
      if ((fm < 0) === (flo < 0)) { lo = mid; flo = fm; } else hi = mid;
    }
    return (lo + hi) / 2;
  };
  const rangeAt = (logKappa: number) => {
    const kappa = Math.exp(logKappa);
    const f = (lp: number) => maternCorrelation(da, Math.exp(lp), kappa) - ra;
    let lo = Math.log(da) - 40, hi = Math.log(da) + 40;
    if (f(lo) > 0 || f(hi) < 0) { lo = Math.log(da) - 200; hi = Math.log(da) + 200; }
    return Math.exp(bisect(f, lo, hi));
  };
  const g = (lk: number) => maternCorrelation(db, rangeAt(lk), Math.exp(lk)) - rb;
  let best = 0, bestV = Infinity, prev = -5, gPrev = g(-5);
  for (let lk = -5; lk <= 5 + 1e-9; lk += 0.25) {
    const v = g(lk);
    if (Math.abs(v) < bestV) { bestV = Math.abs(v); best = lk; }
    if (lk > -5 && Number.isFinite(v) && Number.isFinite(gPrev) && (v < 0) !== (gPrev < 0)) { best = bisect(g, prev, lk); break; }
    prev = lk; gPrev = v;
  }
  return [rangeAt(best), Math.exp(best)];
}

/** ψ (relative log-SDs) of the model's x at a fit's θ and σ: the optimizer's variables there (a refit's start). */
export function parametersOfTheta(par: CovParameters, theta: ArrayLike<number>, sigma: number): Float64Array {
  const x = new Float64Array(par.length);
  for (const f of par.free) x[f.x] = theta[f.theta];
  structureEstimates(par, theta, sigma).forEach((e, k) => {
    const s = par.structured[k];
    const nsd = e.sd.length;
    // (homdiag's parameter is the relative SD s itself)
    for (let m = 0; m < s.npar; m++) x[s.xOffset + m] = s.structure === 'rr' ? e.parameters[m] / sigma : s.structure === 'homdiag' ? e.sd[0] / sigma : m < nsd ? e.parameters[m] - Math.log(sigma) : e.parameters[m];
  });
  return x;
}

/** A refusal for `what` on a model with structured terms, naming them (null when it has none). */
export function structuredRefusal(par: CovParameters | null, what: string, reason = 'it assumes the unstructured parameters θ of lme4'): ModelError | null {
  if (!par) return null;
  const terms = par.structured.map((s) => s.text).join(', ');
  return new ModelError(`${what} is not available for a fit with a covariance structure (${terms}): ${reason}`);
}
