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
import { expNeg } from './expNeg.js';

/** rows per product of (1 + e) in the logit kernel's deviance (2^CHUNK does not overflow) */
const CHUNK = 256;

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

/** The binomial(logit) kernel (see the header): one exponential per row. */
export function logitRows(family: GlmFamily, y: Float64Array, weights: Float64Array): RowKernel {
  if (family.family !== 'binomial' || family.link !== 'logit') throw new Error('internal: the logit row kernel needs binomial(logit)');
  // y log y + (1 − y) log(1 − y) per row: 0 for y ∈ {0, 1}; no array when every y is 0 or 1
  let ent: Float64Array | null = null;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (v === 0 || v === 1) continue;
    ent ??= new Float64Array(y.length);
    ent[i] = v > 0 && v < 1 ? v * Math.log(v) + (1 - v) * Math.log1p(-v) : NaN;
  }
  // unit prior weights: Σ log1p(e) as the log of a product of d = 1 + e ∈ (1, 2] per CHUNK rows
  // (no overflow; the rounding of the product adds ~ε/2 per row, as a logarithm per row would)
  let unit = true;
  for (let i = 0; i < weights.length; i++) if (weights[i] !== 1) { unit = false; break; }
  return (eta, base, mu, w, z, from, to) => {
    let dev = 0;
    for (let c0 = from; c0 < to; c0 += CHUNK) {
      const c1 = Math.min(to, c0 + CHUNK);
      let prod = 1;
      for (let i = c0; i < c1; i++) {
        const h = eta[i];
        const a = Math.abs(h);
        if (!(a <= LOGIT_FAST_MAX)) {
          // the clamped formulas (and NaN's propagation)
          dev += 0.5 * generalRow(family, y, weights, eta, base, mu, w, z, i);
          continue;
        }
        const e = expNeg(a);
        const d = 1 + e;
        const yi = y[i];
        const wi = weights[i];
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
  };
}
