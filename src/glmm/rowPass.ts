/**
 * The per-row work of one PIRLS state on the CPU: from the linear predictor η, the mean
 * μ = g⁻¹(η), the deviance Σ wt·d(y, μ), the working weights w = wt (dμ/dη)²/V(μ) and the working
 * response z = (η − base) + (y − μ)/(dμ/dη) (or the working residual alone, base = null), in one
 * loop over the rows.
 *
 * The general kernel evaluates the family's scalar functions (src/glmm/family.ts) row by row. The
 * binomial family with the logit link has its own kernel, which shares one exponential e = exp(−|η|)
 * among all of them (d = 1 + e):
 *   μ = 1/d (η ≥ 0) or e/d (η < 0),   dμ/dη = V(μ) = e/d²,   w = wt e/d²,
 *   y − μ = (y − 1) + e/d (η ≥ 0) or y − e/d (η < 0)  (no cancellation in 1 − μ),
 *   d(y, μ) = 2 [y log(y/μ) + (1 − y) log((1 − y)/(1 − μ))]
 *           = 2 [y log y + (1 − y) log(1 − y) + log1p(e) + |η| · (1 − y if η ≥ 0, else y)],
 * since log μ = −log1p(e) − (|η| if η < 0) and log(1 − μ) = −log1p(e) − (|η| if η ≥ 0); for y ∈ {0, 1}
 * the entropy term y log y + (1 − y) log(1 − y) is 0 and the unit deviance is 2 log1p(exp(−|η|)),
 * plus 2|η| on the wrong side; with unit prior weights Σ log1p(e) is taken as the logarithm of a
 * product of the d per chunk of rows, one logarithm per 256 rows. Rows with |η| > LOGIT_FAST_MAX, where lme4's clamps of μ and dμ/dη at
 * machine epsilon bind (|η| ≳ 36), take the general kernel's formulas, so both kernels are the same
 * function of η; the fast one is the more accurate (the general one loses relative accuracy in 1 − μ
 * and in log(1/μ) for well-predicted rows, ~1e-16/e). test/rowPass.test.ts compares the two.
 */
import type { GlmFamily } from './family.js';
import { EXP_NEG_SOURCE, expNeg } from './expNeg.js';

/**
 * expNeg under a name of this module that no other module uses: logitRange's text (which the row
 * threads evaluate, with LOGIT_PRELUDE's definition of it) names it so whatever a loader makes of
 * imports, and a bundler, which renames top-level names that collide, leaves it as it is.
 */
const logitExpNeg = expNeg;

/**
 * Rows per chunk of the row work (the row jobs, src/linalg/rowThreads.ts, and the kernels called
 * chunk by chunk): fixed, so that the partial sums, and their order, do not depend on the threads.
 */
export const ROW_CHUNK = 8192;

/**
 * μ, w and z at η for rows [from, to) into `mu`, `w`, `z`; returns Σ wt·d(y, μ) over those rows.
 * `base` null: z holds the working residual (y − μ)/(dμ/dη) alone.
 */
export type RowKernel = (eta: Float64Array, base: Float64Array | null, mu: Float64Array, w: Float64Array, z: Float64Array, from: number, to: number) => number;

/** |η| up to which the logit kernel's formulas are used (beyond it the clamped general ones) */
export const LOGIT_FAST_MAX = 30;

/** The row kernel for `family`: the logit kernel for binomial(logit), else the general one. */
export function rowKernel(family: GlmFamily, y: Float64Array, weights: Float64Array): RowKernel {
  return family.family === 'binomial' && family.link === 'logit' ? logitRows(family, y, weights) : generalRows(family, y, weights);
}

/** One row by the family's scalar functions: μ, w and z at η_i into the arrays; returns wt·d(y, μ). */
function generalRow(family: GlmFamily, y: Float64Array, weights: Float64Array, eta: Float64Array, base: Float64Array | null, mu: Float64Array, w: Float64Array, z: Float64Array, i: number): number {
  const h = eta[i];
  const m = family.linkinv(h);
  mu[i] = m;
  const me = family.muEta(h);
  w[i] = (weights[i] * me * me) / family.variance(m);
  z[i] = (base ? h - base[i] : 0) + (y[i] - m) / me;
  return family.devResid(y[i], m, weights[i]);
}

/** The kernel of the family's scalar functions (lme4's glmFamily, row by row). */
export function generalRows(family: GlmFamily, y: Float64Array, weights: Float64Array): RowKernel {
  return (eta, base, mu, w, z, from, to) => {
    let dev = 0;
    for (let i = from; i < to; i++) dev += generalRow(family, y, weights, eta, base, mu, w, z, i);
    return dev;
  };
}

/**
 * Newton's rows for a non-canonical link (the family's `observedFactor` f): μ and wt·d(y, μ) as
 * generalRows, with the observed information in place of the expected one,
 *   w = wt (dμ/dη)² f / V(μ),   z = (η − base) + (y − μ)/((dμ/dη) f),
 * so that w (z − η + base) is the score, as with the expected weights, and the penalized
 * least-squares solve is Newton's step on the penalized deviance (f ≥ 0 for every family here; it
 * is kept at least OBSERVED_FLOOR, and 1 where it is not a number). Any positive weights have the
 * same fixed point (the score is zero there), so only the iteration's speed changes: quadratic
 * instead of Fisher scoring's linear convergence, whose rate is near 1 where f is small (NB2 with a
 * small size, a zero count at a large μ: f = θ/(μ + θ); test/randomNegbin.test.ts nb09). The Laplace
 * deviance's log|L|² is still taken at the expected weights (lme4's), by generalRows at the mode.
 */
export function observedRows(family: GlmFamily, y: Float64Array, weights: Float64Array): RowKernel {
  const factor = family.observedFactor;
  if (!factor) throw new Error('internal: observedRows needs a family with an observedFactor (a non-canonical link)');
  return (eta, base, mu, w, z, from, to) => {
    let dev = 0;
    for (let i = from; i < to; i++) {
      const h = eta[i];
      const m = family.linkinv(h);
      mu[i] = m;
      const me = family.muEta(h);
      const f0 = factor(y[i], h, m, me);
      const f = f0 >= OBSERVED_FLOOR ? f0 : f0 === f0 ? OBSERVED_FLOOR : 1;
      w[i] = (weights[i] * me * me * f) / family.variance(m);
      z[i] = (base ? h - base[i] : 0) + (y[i] - m) / (me * f);
      dev += family.devResid(y[i], m, weights[i]);
    }
    return dev;
  };
}

/** The least observed-over-expected factor of Newton's rows (observedRows): a guard against rounding only. */
export const OBSERVED_FLOOR = 1e-8;

/** The binomial(logit) kernel (see the header): one exponential per row, summed per ROW_CHUNK rows (as the row jobs). */
export function logitRows(family: GlmFamily, y: Float64Array, weights: Float64Array): RowKernel {
  const { ent, unit } = logitSetup(family, y, weights);
  return (eta, base, mu, w, z, from, to) => {
    let dev = 0;
    for (let c0 = from; c0 < to; c0 += ROW_CHUNK) dev += logitRange(eta, base, mu, w, z, y, weights, ent, unit, c0, Math.min(to, c0 + ROW_CHUNK));
    return dev;
  };
}

/**
 * The logit kernel's data: per row y log y + (1 − y) log(1 − y) (`ent`: 0 for y ∈ {0, 1}; null when
 * every y is 0 or 1), and whether every prior weight is 1 (`unit`).
 */
export function logitSetup(family: GlmFamily, y: Float64Array, weights: Float64Array): { ent: Float64Array | null; unit: boolean } {
  if (family.family !== 'binomial' || family.link !== 'logit') throw new Error('internal: the logit row kernel needs binomial(logit)');
  let ent: Float64Array | null = null;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (v === 0 || v === 1) continue;
    ent ??= new Float64Array(y.length);
    ent[i] = v > 0 && v < 1 ? v * Math.log(v) + (1 - v) * Math.log1p(-v) : NaN;
  }
  let unit = true;
  for (let i = 0; i < weights.length; i++) if (weights[i] !== 1) { unit = false; break; }
  return { ent, unit };
}

/**
 * The logit kernel on rows [from, to) (a whole chunk of the row jobs, or less): μ, w and z into the
 * arrays, returns Σ wt·d(y, μ). Self-contained but for logitExpNeg, LOGIT_FAST_MAX and logitClampedRow (the row threads
 * evaluate its text with theirs: LOGIT_PRELUDE, src/linalg/rowThreads.ts). With unit prior weights Σ log1p(e) is the log of a product of the d = 1 + e
 * ∈ (1, 2] per CHUNK (256) rows from `from` (no overflow; the rounding of the product adds ~ε/2 per
 * row, as a logarithm per row would). Rows with |η| > LOGIT_FAST_MAX take the family's clamped
 * formulas (lme4's: μ ≤ 1 − ε, dμ/dη ≥ ε, V(μ) ≥ ε; src/glmm/family.ts), written out here.
 */
export function logitRange(eta: Float64Array, base: Float64Array | null, mu: Float64Array, w: Float64Array, z: Float64Array,
  y: Float64Array, weights: Float64Array, ent: Float64Array | null, unit: boolean, from: number, to: number): number {
  const R = new Float64Array(4);
  let dev = 0;
  for (let c0 = from; c0 < to; c0 += 256) {
    const c1 = Math.min(to, c0 + 256);
    let prod = 1;
    for (let i = c0; i < c1; i++) {
      const h = eta[i];
      const a = Math.abs(h);
      const yi = y[i];
      const wi = weights[i];
      if (!(a <= LOGIT_FAST_MAX)) {
        logitClampedRow(h, yi, wi, R);
        mu[i] = R[0];
        w[i] = R[1];
        z[i] = (base ? h - base[i] : 0) + R[2];
        dev += R[3];
        continue;
      }
      const e = logitExpNeg(a);
      const d = 1 + e;
      const me = e / (d * d);
      let ymu: number;
      let wrong: number;
      if (h >= 0) {
        mu[i] = 1 / d;
        ymu = yi - 1 + e / d;
        wrong = 1 - yi;
      } else {
        const m = e / d;
        mu[i] = m;
        ymu = yi - m;
        wrong = yi;
      }
      w[i] = wi * me;
      z[i] = (base ? h - base[i] : 0) + ymu / me;
      if (unit) {
        prod *= d;
        dev += (ent ? ent[i] : 0) + a * wrong;
      } else {
        dev += wi * ((ent ? ent[i] : 0) + Math.log1p(e) + a * wrong);
      }
    }
    if (unit) dev += Math.log(prod);
  }
  return 2 * dev;
}

/**
 * One row with |η| > LOGIT_FAST_MAX (or NaN) by the family's clamped formulas (lme4's linkinv, muEta,
 * variance and devResid, and NaN's propagation): into R, μ, the working weight w = wt (dμ/dη)²/V(μ),
 * the working residual (y − μ)/(dμ/dη) and wt·d(y, μ)/2. Self-contained (the row threads evaluate its text).
 */
export function logitClampedRow(h: number, yi: number, wi: number, R: Float64Array): void {
  const EPS = Number.EPSILON;
  let m: number;
  if (h >= 0) m = 1 / (1 + Math.exp(-h));
  else { const ep = Math.exp(h); m = ep / (1 + ep); }
  m = Math.min(1 - EPS, m);
  const a = Math.abs(h);
  const eg = Math.exp(-a);
  const dg = 1 + eg;
  const meg = Math.max(EPS, eg / (dg * dg));
  R[0] = m;
  R[1] = (wi * meg * meg) / Math.max(EPS, m * (1 - m));
  R[2] = (yi - m) / meg;
  const y1 = 1 - yi;
  R[3] = wi * ((yi !== 0 ? yi * Math.log(yi / m) : 0) + (y1 !== 0 ? y1 * Math.log(y1 / (1 - m)) : 0));
}

/** logitRange's and fixedRows's definitions and what they refer to, as source text for the row threads */
export const LOGIT_PRELUDE = [`const logitExpNeg = ${EXP_NEG_SOURCE};`, `const LOGIT_FAST_MAX = ${LOGIT_FAST_MAX};`, logitClampedRow.toString(), logitRange.toString(), fixedRows.toString()].join('\n');

/**
 * The row job of one PIRLS evaluation with the logit kernel, on chunk c of `A` (the engine's arrays,
 * src/glmm/pirls.ts): rows [c·m, (c + 1)·m) with m = params[5] (ROW_CHUNK). With params[2] = 1
 * η = base + Zb, with 2 η = offset + Xβ + Zb (as PirlsEngine's fixedPart and addRandomPart, column by
 * column), with 0 η as it is; then out[2c + 1] = max |η − η_old| over the chunk (0 when η is kept)
 * and out[2c] = Σ wt·d(y, μ) over the chunk, with μ, w and z from logitRange (z without η − base
 * when params[3] = 1). params: [n, p, mode, residual, unit weights, m]. Self-contained but for
 * logitRange and fixedRows (LOGIT_PRELUDE): the row threads evaluate its text.
 */
export function logitEvalChunk(A: Record<string, Float64Array | Int32Array>, c: number): void {
  const P = A.params as Float64Array;
  const n = P[0], p = P[1], mode = P[2];
  const i0 = c * P[5], i1 = Math.min(n, i0 + P[5]);
  const eta = A.eta as Float64Array, etaOld = A.etaOld as Float64Array;
  let step = 0;
  if (mode > 0) {
    if (mode === 2) {
      fixedRows(A, eta, n, p, i0, i1);
    } else {
      const base = A.base as Float64Array;
      for (let i = i0; i < i1; i++) eta[i] = base[i];
    }
    const L = A.layout as Int32Array, codes = A.codes as Int32Array, Z = A.Z as Float64Array, b = A.b as Float64Array;
    for (let k = 0; k < L[0]; k++) {
      const q = L[1 + 3 * k], zo = L[2 + 3 * k], bo = L[3 + 3 * k], co = k * n;
      if (q === 1) {
        for (let i = i0; i < i1; i++) eta[i] += Z[zo + i] * b[bo + codes[co + i]];
        continue;
      }
      for (let i = i0; i < i1; i++) {
        const g = bo + codes[co + i] * q, o = zo + i * q;
        let acc = 0;
        for (let s = 0; s < q; s++) acc += Z[o + s] * b[g + s];
        eta[i] += acc;
      }
    }
    for (let i = i0; i < i1; i++) {
      const d = Math.abs(eta[i] - etaOld[i]);
      if (d > step) step = d;
    }
  }
  const ent = A.ent as Float64Array;
  const out = A.out as Float64Array;
  out[2 * c + 1] = step;
  out[2 * c] = logitRange(eta, P[3] === 1 ? null : (A.base as Float64Array), A.mu as Float64Array, A.w as Float64Array, A.z as Float64Array,
    A.y as Float64Array, A.wt as Float64Array, ent.length > 0 ? ent : null, P[4] === 1, i0, i1);
}

/** out = offset + Xβ on rows [i0, i1) (PirlsEngine's fixedPart: column by column), from A's offset, X and beta. */
export function fixedRows(A: Record<string, Float64Array | Int32Array>, out: Float64Array, n: number, p: number, i0: number, i1: number): void {
  const offset = A.offset as Float64Array, X = A.X as Float64Array, beta = A.beta as Float64Array;
  for (let i = i0; i < i1; i++) out[i] = offset[i];
  for (let r = 0; r < p; r++) {
    const br = beta[r];
    if (br === 0) continue;
    const o = r * n;
    for (let i = i0; i < i1; i++) out[i] += X[o + i] * br;
  }
}

/** The row job of base = offset + Xβ (a PIRLS run with β fixed) on chunk c of `A` (as logitEvalChunk's rows). */
export function fixedPartChunk(A: Record<string, Float64Array | Int32Array>, c: number): void {
  const P = A.params as Float64Array;
  const n = P[0], i0 = c * P[5];
  fixedRows(A, A.base as Float64Array, n, P[1], i0, Math.min(n, i0 + P[5]));
}
