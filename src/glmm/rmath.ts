/**
 * The few pieces of R's nmath that a GLMM's log-likelihood needs, written from the published
 * algorithms so that the values agree with R to rounding:
 *   - log dbinom and log dpois by Loader's saddle-point method ("Fast and accurate computation of
 *     binomial probabilities", 2000): the Stirling remainder stirlerr(n) and the deviance term bd0;
 *   - the normal distribution function by Cody's rational Chebyshev approximations (1969), used
 *     for the probit link and the p-values of z statistics;
 *   - Gauss–Hermite quadrature nodes and weights for the standard normal density (lme4's GHrule).
 */

const LN_SQRT_2PI = 0.918938533204672741780329736406; // log(sqrt(2*pi))
const LN_2PI = 1.837877066409345483560659472811; // log(2*pi)
const ONE_SQRT_2PI = 0.398942280401432677939946059934;

/** stirlerr(n) = log(n!) − log(√(2π n) (n/e)^n) at n = 0.5, 1, …, 15 (exact to double precision). */
const SFERR_HALVES = [
  0.0, // n = 0: not used
  0.1534264097200273452913839, 0.08106146679532725821967026, 0.0548141210519176538961387,
  0.04134069595540929409382208, 0.03316287351993628748511051, 0.02767792568499833914878929,
  0.02374616365629749597133028, 0.02079067210376509311152277, 0.01848845053267318523077936,
  0.01664469118982119216319487, 0.01513497322191737887351384, 0.01387612882307074799874573,
  0.01281046524292022692425066, 0.01189670994589177009505572, 0.01110455975820691732663076,
  0.01041126526197209649747857, 0.009799416126158803298390373, 0.009255462182712732917728637,
  0.008768700134139385462955047, 0.008330563433362871256469319, 0.007934114564314020547249562,
  0.007573675487951840794972024, 0.007244554301320383179546197, 0.006942840107209529865664153,
  0.006665247032707682442356181, 0.006408994188004207068439631, 0.006171712263039457647534605,
  0.005951370112758847735624416, 0.005746216513010115682026102, 0.00555473355196280137103869,
];

/** log Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error about 1e-15), for non-half-integer n ≤ 15. */
export function lgamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let a = c[0];
  const t = z + g + 0.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return LN_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The error of Stirling's approximation to log(n!): log(n!) − log(√(2πn)(n/e)^n). */
export function stirlerr(n: number): number {
  const S0 = 1 / 12, S1 = 1 / 360, S2 = 1 / 1260, S3 = 1 / 1680, S4 = 1 / 1188;
  if (n <= 15) {
    const nn = n + n;
    if (nn === Math.trunc(nn)) return SFERR_HALVES[nn];
    return lgamma(n + 1) - (n + 0.5) * Math.log(n) + n - LN_SQRT_2PI;
  }
  const nn = n * n;
  if (n > 500) return (S0 - S1 / nn) / n;
  if (n > 80) return (S0 - (S1 - S2 / nn) / nn) / n;
  if (n > 35) return (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n;
  return (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n;
}

/** The deviance term bd0(x, np) = x log(x/np) + np − x, computed stably when x ≈ np. */
export function bd0(x: number, np: number): number {
  if (Math.abs(x - np) < 0.1 * (x + np)) {
    let v = (x - np) / (x + np);
    let s = (x - np) * v;
    if (Math.abs(s) < Number.MIN_VALUE) return s;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) return s1;
      s = s1;
    }
  }
  return x * Math.log(x / np) + np - x;
}

/** log dbinom(x; n, p) for integer 0 ≤ x ≤ n (R's dbinom_raw with q = 1 − p, log = TRUE). */
export function dbinomLog(x: number, n: number, p: number): number {
  return dbinomRawLog(x, n, p, 1 - p);
}

/** log of R's dbinom_raw(x, n, p, q) (Loader's saddle point; x real, ≤ n), q given separately as R's callers pass it. */
export function dbinomRawLog(x: number, n: number, p: number, q: number): number {
  if (p === 0) return x === 0 ? 0 : -Infinity;
  if (q === 0) return x === n ? 0 : -Infinity;
  if (x === 0) {
    if (n === 0) return 0;
    return p < 0.1 ? -bd0(n, n * q) - n * p : n * Math.log(q);
  }
  if (x === n) return q < 0.1 ? -bd0(n, n * p) - n * q : n * Math.log(p);
  if (x < 0 || x > n) return -Infinity;
  const lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(x, n * p) - bd0(n - x, n * q);
  const lf = LN_2PI + Math.log(x) + Math.log1p(-x / n);
  return lc - 0.5 * lf;
}

/** log dpois(x; λ) for x ≥ 0 (R's dpois_raw, log = TRUE; x need not be a whole number). */
export function dpoisLog(x: number, lambda: number): number {
  if (lambda === 0) return x === 0 ? 0 : -Infinity;
  if (!Number.isFinite(lambda) || x < 0) return -Infinity;
  if (x <= lambda * Number.MIN_VALUE) return -lambda;
  if (lambda < x * Number.MIN_VALUE) return -lambda + x * Math.log(lambda) - lgamma(x + 1);
  return -0.5 * Math.log(2 * Math.PI * x) - stirlerr(x) - bd0(x, lambda);
}

/**
 * log dgamma(x; shape, scale) (R's dgamma, log = TRUE; Loader's saddle-point form): for shape ≥ 1
 *   log f = log dpois(shape − 1; x/scale) − log scale,
 * for shape < 1 log dpois(shape; x/scale) + log(shape/x), with dpois's Stirling-error form
 * (dpoisLog) for non-integer counts.
 */
export function dgammaLog(x: number, shape: number, scale: number): number {
  if (Number.isNaN(x) || Number.isNaN(shape) || Number.isNaN(scale) || shape < 0 || scale <= 0) return NaN;
  if (x < 0) return -Infinity;
  if (shape === 0) return x === 0 ? Infinity : -Infinity;
  if (x === 0) {
    if (shape < 1) return Infinity;
    if (shape > 1) return -Infinity;
    return -Math.log(scale);
  }
  if (shape < 1) {
    const pr = dpoisLog(shape, x / scale);
    return pr + (Number.isFinite(shape / x) ? Math.log(shape / x) : Math.log(shape) - Math.log(x));
  }
  return dpoisLog(shape - 1, x / scale) - Math.log(scale);
}

/** The standard normal density. */
export function dnorm(x: number): number {
  return ONE_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/**
 * pnormInto's maker. Its text names nothing outside itself (its coefficients are within), so the row
 * threads (src/linalg/rowThreads.ts) can evaluate it (PNORM_INTO_SOURCE) and get the same operations on
 * the same values, whatever names a bundler gives this module's top-level constants.
 */
function makePnormInto(): ((x: number, out: Float64Array) => void) & { coefficients: PnormCoefficients } {
  const ONE_SQRT_2PI = 0.398942280401432677939946059934;
  const PA = [2.2352520354606839287, 161.02823106855587881, 1067.6894854603709582, 18154.981253343561249, 0.065682337918207449113];
  const PB = [47.20258190468824187, 976.09855173777669322, 10260.932208618978205, 45507.789335026729956];
  const PC = [
    0.39894151208813466764, 8.8831497943883759412, 93.506656132177855979, 597.27027639480026226,
    2494.5375852903726711, 6848.1904505362823326, 11602.651437647350124, 9842.7148383839780218, 1.0765576773720192317e-8,
  ];
  const PD = [
    22.266688044328115691, 235.38790178262499861, 1519.377599407554805, 6485.558298266760755,
    18615.571640885098091, 34900.952721145977266, 38912.003286093271411, 19685.429676859990727,
  ];
  const PP = [0.21589853405795699, 0.1274011611602473639, 0.022235277870649807, 0.001421619193227893466, 2.9112874951168792e-5, 0.02307344176494017303];
  const PQ = [1.28426009614491121, 0.468238212480865118, 0.0659881378689285515, 0.00378239633202758244, 7.29751555083966205e-5];
  const pnormInto = (x: number, out: Float64Array): void => {
    const y = Math.abs(x);
    if (Number.isNaN(x)) { out[0] = NaN; out[1] = NaN; return; }
    if (y <= 0.67448975) {
      let xnum = 0, xden = 0;
      if (y > Number.EPSILON * 0.5) {
        const xsq = x * x;
        xnum = PA[4] * xsq;
        xden = xsq;
        for (let i = 0; i < 3; i++) {
          xnum = (xnum + PA[i]) * xsq;
          xden = (xden + PB[i]) * xsq;
        }
      }
      const temp = (x * (xnum + PA[3])) / (xden + PB[3]);
      out[0] = 0.5 + temp;
      out[1] = 0.5 - temp;
      return;
    }
    // the tail at X (y, or x in the asymptotic range) with the rational factor `temp`:
    // cum = exp(−X²/2) temp, the exponential in two parts (X to 1/16, and the rest) for accuracy
    let X: number, temp: number;
    if (y <= 5.656854249492380195206754896838) {
      let xnum = PC[8] * y;
      let xden = y;
      for (let i = 0; i < 7; i++) {
        xnum = (xnum + PC[i]) * y;
        xden = (xden + PD[i]) * y;
      }
      X = y;
      temp = (xnum + PC[7]) / (xden + PD[7]);
    } else if (y < 37.5193) {
      const xsq = 1 / (x * x);
      let xnum = PP[5] * xsq;
      let xden = xsq;
      for (let i = 0; i < 4; i++) {
        xnum = (xnum + PP[i]) * xsq;
        xden = (xden + PQ[i]) * xsq;
      }
      X = x;
      temp = (ONE_SQRT_2PI - (xsq * (xnum + PP[4])) / (xden + PQ[4])) / y;
    } else {
      X = NaN;
      temp = 0;
    }
    let cum = 0, ccum = 1;
    if (temp !== 0) {
      const xsq = Math.trunc(X * 16) / 16;
      const del = (X - xsq) * (X + xsq);
      cum = Math.exp(-xsq * xsq * 0.5) * Math.exp(-del * 0.5) * temp;
      ccum = 1 - cum;
    }
    // computed for −|x|: swap for x > 0
    out[0] = x > 0 ? ccum : cum;
    out[1] = x > 0 ? cum : ccum;
  };
  // the coefficients, for the engines' SQL of the same algorithm (src/gram/sql/links.ts)
  return Object.assign(pnormInto, { coefficients: { ONE_SQRT_2PI, PA, PB, PC, PD, PP, PQ } });
}

/** Cody's coefficients of pnormInto's three ranges (R's pnorm.c names: a, b; c, d; p, q) and 1/√(2π). */
export interface PnormCoefficients { ONE_SQRT_2PI: number; PA: number[]; PB: number[]; PC: number[]; PD: number[]; PP: number[]; PQ: number[] }

const pnormMade = makePnormInto();

/** Φ(x) into out[0] and 1 − Φ(x) into out[1], each with full relative accuracy in its tail (Cody's algorithm, as R's pnorm); no allocation. */
export const pnormInto: (x: number, out: Float64Array) => void = pnormMade;

/** pnormInto's coefficients (an SQL engine evaluates the same algorithm with them: src/gram/sql/links.ts). */
export const PNORM_COEFFICIENTS: PnormCoefficients = pnormMade.coefficients;

/** An expression whose value is pnormInto (evaluated by the row threads: the same function). */
export const PNORM_INTO_SOURCE = `(${makePnormInto.toString()})()`;

const pnormOut = new Float64Array(2);

/** Φ(x) and 1 − Φ(x), each with full relative accuracy in its tail (Cody's algorithm, as R's pnorm). */
export function pnormBoth(x: number): { lower: number; upper: number } {
  pnormInto(x, pnormOut);
  return { lower: pnormOut[0], upper: pnormOut[1] };
}

/** Φ(x) */
export function pnorm(x: number): number {
  return pnormBoth(x).lower;
}

/** Two-sided normal p-value 2 Φ(−|z|). */
export function pvalueNormal(z: number): number {
  return 2 * pnormBoth(-Math.abs(z)).lower;
}

/** Gauss–Hermite rule for ∫ f(z) φ(z) dz: nodes z (ascending), weights w (Σ w = 1), log φ(z) (lme4's GHrule). */
export interface GHRule {
  z: Float64Array;
  w: Float64Array;
  ldnorm: Float64Array;
}

/**
 * The k-point rule: nodes and weights of the physicists' Hermite polynomials by Newton's method on
 * the orthonormal recurrence (as Numerical Recipes' gauher), rescaled to the standard normal.
 */
export function ghRule(k: number): GHRule {
  if (!(Number.isInteger(k) && k >= 1 && k <= 100)) throw new Error(`the number of quadrature points must be an integer from 1 to 100, got ${k}`);
  const x = new Float64Array(k);
  const wt = new Float64Array(k);
  const PIM4 = 0.7511255444649425; // π^(−1/4)
  const m = Math.floor((k + 1) / 2);
  let z = 0;
  for (let i = 0; i < m; i++) {
    if (i === 0) z = Math.sqrt(2 * k + 1) - 1.85575 * Math.pow(2 * k + 1, -0.16667);
    else if (i === 1) z -= (1.14 * Math.pow(k, 0.426)) / z;
    else if (i === 2) z = 1.86 * z - 0.86 * x[0];
    else if (i === 3) z = 1.91 * z - 0.91 * x[1];
    else z = 2 * z - x[i - 2];
    let pp = 0;
    for (let its = 0; its < 100; its++) {
      let p1 = PIM4;
      let p2 = 0;
      for (let j = 0; j < k; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = z * Math.sqrt(2 / (j + 1)) * p2 - Math.sqrt(j / (j + 1)) * p3;
      }
      pp = Math.sqrt(2 * k) * p2;
      const z1 = z;
      z = z1 - p1 / pp;
      if (Math.abs(z - z1) <= 1e-15 * Math.max(1, Math.abs(z))) {
        // one more evaluation at the converged node for the weight
        p1 = PIM4;
        p2 = 0;
        for (let j = 0; j < k; j++) {
          const p3 = p2;
          p2 = p1;
          p1 = z * Math.sqrt(2 / (j + 1)) * p2 - Math.sqrt(j / (j + 1)) * p3;
        }
        pp = Math.sqrt(2 * k) * p2;
        break;
      }
    }
    x[i] = z;
    x[k - 1 - i] = -z;
    wt[i] = 2 / (pp * pp);
    wt[k - 1 - i] = wt[i];
  }
  if (k % 2 === 1) x[m - 1] = 0;
  // physicists' rule (weight e^{−x²}) → standard normal: z = √2 x, w / √π; ascending order
  const out: GHRule = { z: new Float64Array(k), w: new Float64Array(k), ldnorm: new Float64Array(k) };
  let sw = 0;
  for (let i = 0; i < k; i++) sw += wt[i];
  for (let i = 0; i < k; i++) {
    const zi = -Math.SQRT2 * x[i];
    out.z[i] = zi;
    out.w[i] = wt[i] / sw;
    out.ldnorm[i] = -0.5 * zi * zi - LN_SQRT_2PI;
  }
  return out;
}

/**
 * The digamma and trigamma functions ψ(x) = d log Γ(x)/dx and ψ'(x) for x > 0, which the score
 * and information of the negative binomial size θ need (MASS's theta.ml): the recurrences
 * ψ(x) = ψ(x + 1) − 1/x and ψ'(x) = ψ'(x + 1) + 1/x² up to x ≥ 10, then the asymptotic series
 * (Abramowitz & Stegun 6.3.18 and 6.4.12) with Bernoulli numbers B₂ … B₁₆, whose first omitted
 * term is below 1e-17 there. Relative error about 1e-15 (checked against R's values).
 */
const PSI_SHIFT = 10;

export function digamma(x: number): number {
  if (!(x > 0)) return x === 0 ? -Infinity : NaN;
  if (!Number.isFinite(x)) return x;
  let acc = 0;
  while (x < PSI_SHIFT) {
    acc -= 1 / x;
    x += 1;
  }
  const r = 1 / (x * x);
  // ψ(x) ~ log x − 1/(2x) − Σ_k B_2k / (2k x^2k)
  const series = r * (1 / 12 - r * (1 / 120 - r * (1 / 252 - r * (1 / 240 - r * (1 / 132 - r * (691 / 32760 - r * (1 / 12 - r * 3617 / 8160)))))));
  return acc + Math.log(x) - 0.5 / x - series;
}

export function trigamma(x: number): number {
  if (!(x > 0)) return x === 0 ? Infinity : NaN;
  if (!Number.isFinite(x)) return 0;
  let acc = 0;
  while (x < PSI_SHIFT) {
    acc += 1 / (x * x);
    x += 1;
  }
  const r = 1 / (x * x);
  // ψ'(x) ~ 1/x + 1/(2x²) + Σ_k B_2k / x^(2k+1)
  const series = r * (1 / 6 - r * (1 / 30 - r * (1 / 42 - r * (1 / 30 - r * (5 / 66 - r * (691 / 2730 - r * (7 / 6 - r * 3617 / 510)))))));
  return acc + 1 / x + 0.5 * r + series / x;
}
